//! End-to-end tests of the `opslint` binary: exit codes, output formats and
//! the handling of bad input.

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
    let dir = std::env::temp_dir().join(format!("opslint-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder can be created");
    dir
}

fn json_output(args: &[&str]) -> (Value, i32) {
    let output = opslint().args(args).output().expect("opslint runs");
    let value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    (value, output.status.code().expect("exit code"))
}

#[test]
fn example_workload_findings_exit_one() {
    let output = opslint()
        .args(["check", "fixtures/workloads/shop"])
        .output()
        .expect("opslint runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(stdout.contains("error[terraform-auto-approve-without-gate]"));
    assert!(
        stdout.contains("--> fixtures/workloads/shop/.github/workflows/deploy.yml:16:11")
            || stdout.contains("fixtures/workloads/shop/.github/workflows/deploy.yml:16:11")
    );
    assert!(stdout.contains("Found 25 findings (2 errors, 23 warnings) and 1 question"));
}

#[test]
fn json_contract_fields() {
    let (json, code) = json_output(&["check", "fixtures/workloads/shop", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(json["version"], 1);
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics array");
    assert_eq!(diagnostics.len(), 25);
    let worker = diagnostics
        .iter()
        .find(|d| d["rule"] == "k8s-missing-readiness-probe")
        .expect("readiness finding");
    assert_eq!(worker["path"], "fixtures/workloads/shop/k8s/worker.yaml");
    assert_eq!(worker["line"], 16);
    assert_eq!(worker["column"], 17);
    assert_eq!(worker["end_line"], 16);
    assert_eq!(worker["end_column"], 23);
    assert_eq!(worker["principle"], "anticipate-failure");
    assert_eq!(worker["severity"], "warning");
    assert_eq!(worker["certainty"], "certain");
    assert_eq!(
        worker["waf"],
        serde_json::json!(["OPS06-BP03", "OPS04-BP02"])
    );
    assert_eq!(worker["fingerprint"].as_str().map(str::len), Some(16));
    let questions = json["questions"].as_array().expect("questions array");
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0]["rule"], "lambda-tracing-disabled");
    assert_eq!(questions[0]["line"], 26);
    assert_eq!(json["summary"]["diagnostics"], 25);
    assert_eq!(json["summary"]["errors"], 2);
}

#[test]
fn output_is_sorted_by_path_and_line() {
    let (json, _) = json_output(&["check", "fixtures/workloads/shop", "--format", "json"]);
    let keys: Vec<(String, u64)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn fail_on_error_ignores_warnings() {
    let dir = temp_dir("fail-on");
    std::fs::write(
        dir.join("worker.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\nspec:\n  template:\n    spec:\n      containers:\n        - name: w\n          image: w:1.0\n",
    )
    .unwrap();
    let path = dir.to_string_lossy().into_owned();
    opslint().args(["check", &path]).assert().code(1);
    opslint()
        .args(["check", &path, "--fail-on", "error"])
        .assert()
        .code(0);
    opslint()
        .args(["check", &path, "--exit-zero"])
        .assert()
        .code(0);
    opslint()
        .args(["check", &path, "--fail-on", "never"])
        .assert()
        .code(0);
}

#[test]
fn clean_input_exits_zero() {
    let output = opslint()
        .args([
            "check",
            "fixtures/lambda-tracing-disabled/pass-terraform.tf",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "No findings in 1 file.\n"
    );
}

#[test]
fn output_file_receives_the_report() {
    let dir = temp_dir("output");
    let target = dir.join("out.json");
    let target_text = target.to_string_lossy().into_owned();
    let output = opslint()
        .args([
            "check",
            "fixtures/workloads/shop",
            "--format",
            "json",
            "-o",
            &target_text,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(written["summary"]["diagnostics"], 25);
}

#[test]
fn unknown_rule_is_a_usage_error() {
    let output = opslint()
        .args([
            "check",
            "--select",
            "no-such-rule",
            "fixtures/workloads/shop",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown rule `no-such-rule`"));
}

#[test]
fn missing_path_is_reported_with_exit_two() {
    let output = opslint()
        .args(["check", "does/not/exist", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["diagnostics"][0]["rule"], "io-error");
    assert_eq!(json["diagnostics"][0]["path"], "does/not/exist");
}

#[test]
fn broken_file_is_reported_and_the_run_goes_on() {
    let dir = temp_dir("broken");
    std::fs::write(
        dir.join("broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("latest.yaml"),
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      containers:\n        - name: j\n          image: busybox:latest\n",
    )
    .unwrap();
    let path = dir.to_string_lossy().into_owned();
    let (json, code) = json_output(&["check", &path, "--format", "json"]);
    assert_eq!(code, 1);
    let rules: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["parse-error", "mutable-image-tag"]);
    assert_eq!(json["diagnostics"][0]["line"], 3);
}

#[test]
fn gitignored_files_are_skipped() {
    let dir = temp_dir("gitignore");
    std::fs::write(dir.join(".gitignore"), "generated/\n").unwrap();
    std::fs::create_dir_all(dir.join("generated")).unwrap();
    std::fs::write(
        dir.join("generated/app.yaml"),
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: a\n",
    )
    .unwrap();
    let path = dir.to_string_lossy().into_owned();
    let (json, code) = json_output(&["check", &path, "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(json["summary"]["diagnostics"], 0);
}

#[test]
fn explain_prints_rule_documentation() {
    let output = opslint()
        .args(["explain", "log-retention-unset"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for heading in [
        "## What it checks",
        "## Why it matters",
        "## How to fix",
        "## Known limits",
    ] {
        assert!(stdout.contains(heading), "missing {heading}");
    }
    opslint().args(["explain", "nope"]).assert().code(2);
}

#[test]
fn rules_lists_every_rule() {
    let output = opslint().arg("rules").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    for rule in opslint_lints::all() {
        assert!(
            stdout.contains(rule.meta().id),
            "{} missing",
            rule.meta().id
        );
    }
}
