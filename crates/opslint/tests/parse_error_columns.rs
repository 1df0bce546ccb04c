//! Columns of parse errors after multi-byte characters: text and JSON count
//! characters from 1, SARIF counts UTF-16 code units (`columnKind`). `é` is
//! one UTF-16 unit and `😀` is two, so SARIF columns after them are one more.

mod common;

use assert_cmd::Command;
use serde_json::Value;

fn temp_dir(format: &str) -> common::TempFolder {
    let dir = common::TempFolder::new(&format!("columns-{format}"));
    std::fs::write(dir.join("app.py"), "x = \"é😀\" +\n").expect("write");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM alpine:3.20\nLABEL a=\"é😀\" b=\nRUN [ \"x\n",
    )
    .expect("write");
    std::fs::write(dir.join("deploy.sh"), "#!/bin/bash\necho \"é😀\" $(\n").expect("write");
    dir
}

fn run(format: &str) -> Value {
    let dir = temp_dir(format);
    let output = Command::cargo_bin("opslint")
        .expect("the opslint binary is built")
        .current_dir(&dir)
        .args(["check", ".", "--select", "parse-error", "--format", format])
        .output()
        .expect("opslint runs");
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

/// (path, line, start column, end column) in characters.
const EXPECTED: [(&str, u64, u64, u64); 3] = [
    // The whole instruction `LABEL a="é😀" b=` is 15 characters.
    ("Dockerfile", 2, 1, 16),
    // The whole statement `x = "é😀" +` is 10 characters.
    ("app.py", 1, 1, 11),
    // The line `echo "é😀" $(` ends after 12 characters.
    ("deploy.sh", 2, 13, 13),
];

/// The same regions in UTF-16 code units: one more after `😀`.
const EXPECTED_UTF16: [(&str, u64, u64, u64); 3] = [
    ("Dockerfile", 2, 1, 17),
    ("app.py", 1, 1, 12),
    ("deploy.sh", 2, 14, 14),
];

#[test]
fn json_columns_count_characters() {
    let json = run("json");
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), EXPECTED.len(), "{diagnostics:#?}");
    for (diagnostic, (path, line, column, end_column)) in diagnostics.iter().zip(EXPECTED) {
        assert_eq!(diagnostic["path"], path);
        assert_eq!(diagnostic["line"], line, "{path}");
        assert_eq!(diagnostic["column"], column, "{path}");
        assert_eq!(diagnostic["end_column"], end_column, "{path}");
    }
}

#[test]
fn sarif_columns_count_utf16_units() {
    let sarif = run("sarif");
    let run = &sarif["runs"][0];
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), EXPECTED.len(), "{results:#?}");
    for (result, (path, line, column, end_column)) in results.iter().zip(EXPECTED_UTF16) {
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], path);
        let region = &location["region"];
        assert_eq!(region["startLine"], line, "{path}");
        assert_eq!(region["startColumn"], column, "{path}");
        assert_eq!(region["endColumn"], end_column, "{path}");
    }
}

#[test]
fn text_columns_count_characters() {
    let dir = temp_dir("text");
    let output = Command::cargo_bin("opslint")
        .expect("the opslint binary is built")
        .current_dir(&dir)
        .args(["check", ".", "--select", "parse-error", "--format", "text"])
        .env("NO_COLOR", "1")
        .output()
        .expect("opslint runs");
    let text = String::from_utf8_lossy(&output.stdout);
    for (path, line, column, _) in EXPECTED {
        let location = format!("{path}:{line}:{column}\n");
        assert!(text.contains(&location), "{location} missing in:\n{text}");
    }
}
