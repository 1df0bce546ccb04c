//! Checks that `docs/rules/` matches the rule metadata. Run with
//! `OPSLINT_UPDATE_DOCS=1` to rewrite the pages after changing a rule.

mod common;

use common::repo_root;

#[test]
fn rules_reference_is_up_to_date() {
    let folder = repo_root().join("docs/rules");
    let expected = opslint::reference::pages();
    if std::env::var_os("OPSLINT_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(&folder).unwrap();
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".md") && !expected.contains_key(&name) {
                std::fs::remove_file(&path).unwrap();
            }
        }
        for (name, text) in &expected {
            std::fs::write(folder.join(name), text).unwrap();
        }
    }
    let mut problems = Vec::new();
    for (name, text) in &expected {
        match std::fs::read_to_string(folder.join(name)) {
            Ok(actual) if actual == *text => {}
            Ok(_) => problems.push(format!("docs/rules/{name} is out of date")),
            Err(_) => problems.push(format!("docs/rules/{name} is missing")),
        }
    }
    if let Ok(entries) = std::fs::read_dir(&folder) {
        for entry in entries {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") && !expected.contains_key(&name) {
                problems.push(format!("docs/rules/{name} documents no rule"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nregenerate with `OPSLINT_UPDATE_DOCS=1 cargo test -p opslint --test rules_reference`",
        problems.join("\n")
    );
}

#[test]
fn every_rule_has_a_page() {
    let pages = opslint::reference::pages();
    for rule in opslint_lints::all() {
        let page = &pages[&format!("{}.md", rule.meta().id)];
        assert!(page.contains("## How to fix"), "{}", rule.meta().id);
    }
    assert!(pages["README.md"].contains("[`unused-suppression`](unused-suppression.md)"));
}
