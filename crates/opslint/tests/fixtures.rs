//! Runs every rule on its fixtures under `fixtures/<rule-id>/`: `fail-*`
//! must produce findings on exactly the lines marked `expect: <rule-id>`,
//! `pass-*` must produce neither findings nor questions, and `unclear-*` must
//! produce questions and no findings. The rendered output of each fixture is
//! kept as an insta snapshot.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{TempFolder, repo_root, run, run_in, text};

fn fixture_entries(rule_dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(rule_dir)
        .expect("fixture folder is readable")
        .map(|entry| entry.expect("fixture entry is readable").path())
        .collect();
    entries.sort();
    entries
}

/// Lines (1-based) of `path`, or of every file under it, that carry an
/// `expect:` marker naming `rule`, as `(display path, line)`.
fn expected_lines(path: &Path, rule: &str, root: &Path) -> BTreeSet<(String, usize)> {
    let mut expected = BTreeSet::new();
    let files: Vec<PathBuf> = if path.is_dir() {
        walk(path)
    } else {
        vec![path.to_path_buf()]
    };
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let display = file
            .strip_prefix(root)
            .expect("fixture is inside the repository")
            .to_string_lossy()
            .replace('\\', "/");
        for (index, line) in text.lines().enumerate() {
            if let Some((_, names)) = line.split_once("expect:")
                && names.split([' ', ',']).any(|name| name == rule)
            {
                expected.insert((display.clone(), index + 1));
            }
        }
    }
    expected
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("fixture folder is readable") {
        let path = entry.expect("fixture entry is readable").path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Tells whether `path` is a single Terraform or variables file.
fn is_terraform_file(path: &Path) -> bool {
    let name = path.to_string_lossy();
    path.is_file()
        && [".tf", ".tfvars", ".tfvars.json"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

fn rule_dirs() -> Vec<(String, PathBuf)> {
    let fixtures = repo_root().join("fixtures");
    let mut dirs: Vec<(String, PathBuf)> = std::fs::read_dir(&fixtures)
        .expect("fixtures folder exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "workloads"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_fixture_folder_names_a_rule() {
    for (rule, _) in rule_dirs() {
        assert!(
            opslint_lints::meta(&rule).is_some(),
            "fixtures/{rule} names no rule"
        );
    }
}

#[test]
fn every_rule_has_failing_and_passing_fixtures() {
    for rule in opslint_lints::all() {
        let id = rule.meta().id;
        let dir = repo_root().join("fixtures").join(id);
        let names: Vec<String> = if dir.is_dir() {
            fixture_entries(&dir)
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        } else {
            Vec::new()
        };
        assert!(
            names.iter().any(|n| n.starts_with("fail-")),
            "{id} has no fail-* fixture"
        );
        assert!(
            names.iter().any(|n| n.starts_with("pass-")),
            "{id} has no pass-* fixture"
        );
    }
}

#[test]
fn fixtures_behave_as_named() {
    let root = repo_root();
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(root.join("crates/opslint/tests/snapshots"));
    let _guard = settings.bind_to_scope();

    for (rule, dir) in rule_dirs() {
        for entry in fixture_entries(&dir) {
            let name = entry.file_name().unwrap().to_string_lossy().into_owned();
            let outcome = if is_terraform_file(&entry) {
                // Terraform reads every file of a folder as one module, so
                // a single-file fixture runs alone in a copy of its folder,
                // at the same path for the same output.
                let copy = TempFolder::new("fixture");
                let path = copy.join(entry.strip_prefix(&root).expect("fixture in repository"));
                std::fs::create_dir_all(path.parent().expect("fixture in a folder"))
                    .expect("copy folder can be created");
                std::fs::copy(&entry, &path).expect("fixture can be copied");
                run_in(&copy, &[path], &[rule.as_str()])
            } else {
                run(std::slice::from_ref(&entry), &[rule.as_str()])
            };
            let findings: BTreeSet<(String, usize)> = outcome
                .sink
                .diagnostics
                .iter()
                .filter(|d| d.rule.id == rule)
                .map(|d| (d.path.clone(), d.start.line))
                .collect();
            let questions = outcome
                .sink
                .questions
                .iter()
                .filter(|q| q.rule.id == rule)
                .count();
            let parse_errors: Vec<String> = outcome
                .sink
                .diagnostics
                .iter()
                .filter(|d| d.rule.id == "parse-error")
                .map(|d| format!("{}:{}: {}", d.path, d.start.line, d.message))
                .collect();
            if rule != "parse-error" {
                assert!(
                    parse_errors.is_empty(),
                    "{rule}/{name}: fixture does not parse: {parse_errors:?}"
                );
            }
            let expected = expected_lines(&entry, &rule, &root);
            if name.starts_with("fail-") {
                assert!(
                    !findings.is_empty(),
                    "{rule}/{name}: expected findings, got none"
                );
                if !expected.is_empty() {
                    assert_eq!(
                        findings, expected,
                        "{rule}/{name}: findings differ from `expect:` markers"
                    );
                }
            } else if name.starts_with("pass-") {
                assert!(
                    findings.is_empty(),
                    "{rule}/{name}: expected no findings, got {findings:?}"
                );
                assert_eq!(questions, 0, "{rule}/{name}: expected no questions");
            } else if name.starts_with("unclear-") {
                assert!(
                    findings.is_empty(),
                    "{rule}/{name}: expected no findings, got {findings:?}"
                );
                assert!(questions > 0, "{rule}/{name}: expected a question");
            } else {
                panic!("{rule}/{name}: fixture names start with fail-, pass- or unclear-");
            }
            let snapshot_name = format!("{rule}__{name}");
            insta::assert_snapshot!(snapshot_name, text(&outcome));
        }
    }
}
