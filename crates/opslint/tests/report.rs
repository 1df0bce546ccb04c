//! End-to-end tests of `opslint report`: formats, the HTML file's
//! self-containment, answers and their errors.

mod common;

use std::path::PathBuf;

use assert_cmd::Command;
use common::repo_root;
use serde_json::Value;

fn opslint() -> Command {
    let mut command = Command::cargo_bin("opslint").expect("the opslint binary is built");
    command.current_dir(repo_root()).env("NO_COLOR", "1");
    command
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("opslint-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder can be created");
    dir
}

fn copy_shop(dir: &std::path::Path) {
    let source = repo_root().join("fixtures/workloads/shop");
    copy_tree(&source, dir);
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn html_report_is_self_contained() {
    let output = opslint()
        .args(["report", "fixtures/workloads/shop", "--format", "html"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let html = String::from_utf8(output.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(html.matches("<rect ").count(), 8, "one bar per principle");
    assert!(!html.contains("<script"));
    assert!(!html.contains("src=\"http"));
    assert!(!html.contains("href=\"http"));
    assert!(!html.contains("<link"));
}

#[test]
fn json_report_has_eight_principles() {
    let output = opslint()
        .args(["report", "fixtures/workloads/shop", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let principles = json["principles"].as_array().unwrap();
    assert_eq!(principles.len(), 8);
    assert_eq!(principles[0]["slug"], "organize-teams");
    assert!(
        json["questions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["id"].as_str().unwrap().starts_with("q-"))
    );
}

#[test]
fn answers_count_and_expire() {
    let dir = temp_dir("answers");
    copy_shop(&dir);
    std::fs::write(
        dir.join("opslint-answers.toml"),
        "[[answer]]\nid = \"q-no-alarms\"\nanswer = \"Alarms are in the observability repository.\"\nwho = \"team-sre\"\nreview-by = \"2099-12-31\"\n",
    )
    .unwrap();
    let path = dir.to_string_lossy().into_owned();
    let output = opslint()
        .args(["report", &path, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let question = json["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "q-no-alarms")
        .expect("the no-alarms question is listed");
    assert_eq!(question["answer"]["who"], "team-sre");
    assert_eq!(question["answer"]["expired"], false);
    assert_eq!(json["counts"]["answered_questions"], 1);

    std::fs::write(
        dir.join("opslint-answers.toml"),
        "[[answer]]\nid = \"q-no-alarms\"\nanswer = \"Alarms are elsewhere.\"\nwho = \"team-sre\"\nreview-by = \"2020-01-31\"\n",
    )
    .unwrap();
    let output = opslint().args(["report", &path]).output().unwrap();
    let markdown = String::from_utf8(output.stdout).unwrap();
    assert!(
        markdown.contains("review-by date 2020-01-31 has passed"),
        "{markdown}"
    );
}

#[test]
fn malformed_answers_name_the_line() {
    let dir = temp_dir("bad-answers");
    copy_shop(&dir);
    std::fs::write(
        dir.join("opslint-answers.toml"),
        "[[answer]]\nid = \"q-no-alarms\"\nanswer = unquoted\n",
    )
    .unwrap();
    let path = dir.to_string_lossy().into_owned();
    let output = opslint().args(["report", &path]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("opslint-answers.toml`: line 3:"),
        "{stderr}"
    );
}
