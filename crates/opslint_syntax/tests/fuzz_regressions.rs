//! Inputs that once crashed a front end under fuzzing. Each file in
//! `tests/fuzz-regressions/` is run through every front end; none may panic
//! or abort.

use std::path::Path;

#[test]
fn fuzz_regressions_do_not_crash() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut checked = 0;
    for entry in std::fs::read_dir(&folder).expect("regression folder exists") {
        let path = entry.expect("readable entry").path();
        let bytes = std::fs::read(&path).expect("readable input");
        let text = String::from_utf8_lossy(&bytes);
        let _ = opslint_syntax::yaml::parse(&text, false);
        let _ = opslint_syntax::yaml::parse(&text, true);
        let _ = opslint_syntax::json::parse(&text);
        let _ = opslint_syntax::hcl::parse(&text);
        let _ = opslint_syntax::rust::parse(&text);
        opslint_syntax::rust::release_spans();
        let _ = opslint_syntax::python::parse(&text);
        let _ = opslint_syntax::bash::parse(&text);
        let _ = opslint_syntax::dockerfile::parse(&text);
        checked += 1;
    }
    assert!(checked >= 3, "expected the committed regression inputs");
}
