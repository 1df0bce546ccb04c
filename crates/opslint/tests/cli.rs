//! End-to-end tests of the `opslint` binary: exit codes, output formats and
//! the handling of bad input.

mod common;

use assert_cmd::Command;
use common::repo_root;
use serde_json::Value;

fn opslint() -> Command {
    let mut command = Command::cargo_bin("opslint").expect("the opslint binary is built");
    command.current_dir(repo_root()).env("NO_COLOR", "1");
    command
}

fn temp_dir(name: &str) -> common::TempFolder {
    common::TempFolder::new(&format!("cli-{name}"))
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
    assert!(stdout.contains("Found 35 findings (2 errors, 29 warnings, 4 notes) and 4 questions"));
}

#[test]
fn json_contract_fields() {
    let (json, code) = json_output(&["check", "fixtures/workloads/shop", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(json["version"], 1);
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics array");
    assert_eq!(diagnostics.len(), 35);
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
    assert_eq!(questions.len(), 4);
    let tracing = questions
        .iter()
        .find(|q| q["rule"] == "lambda-tracing-disabled")
        .expect("tracing question");
    assert_eq!(tracing["line"], 26);
    assert_eq!(json["summary"]["diagnostics"], 35);
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
            "--select",
            "lambda-tracing-disabled",
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
    assert_eq!(written["summary"]["diagnostics"], 35);
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
fn select_ids_with_spaces_are_trimmed() {
    let (json, code) = json_output(&[
        "check",
        "--select",
        "mutable-image-tag, k8s-missing-liveness-probe,",
        "--format",
        "json",
        "fixtures/workloads/shop/k8s/worker.yaml",
    ]);
    assert_eq!(code, 1);
    let rules: Vec<&str> = json["diagnostics"]
        .as_array()
        .expect("diagnostics is a list")
        .iter()
        .map(|diagnostic| diagnostic["rule"].as_str().expect("rule is a string"))
        .collect();
    assert_eq!(rules, ["k8s-missing-liveness-probe", "mutable-image-tag"]);
}

#[test]
fn select_ids_ignore_case_but_not_emptiness() {
    let (json, _) = json_output(&[
        "check",
        "--select",
        "MUTABLE-IMAGE-TAG",
        "--format",
        "json",
        "fixtures/workloads/shop/k8s/worker.yaml",
    ]);
    assert_eq!(json["diagnostics"][0]["rule"], "mutable-image-tag");
    let output = opslint()
        .args([
            "check",
            "--select=",
            "fixtures/workloads/shop/k8s/worker.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--select names no rule id"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
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
fn missing_path_message_names_the_reason() {
    let output = opslint()
        .args(["check", "does/not/exist", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["diagnostics"][0]["message"],
        "cannot read `does/not/exist`: no such file or folder"
    );
}

#[cfg(unix)]
#[test]
fn link_loop_is_reported_as_a_loop() {
    let dir = temp_dir("link-loop");
    let first = dir.join("first");
    let second = dir.join("second");
    let _ = std::fs::remove_file(&first);
    let _ = std::fs::remove_file(&second);
    std::os::unix::fs::symlink(&second, &first).unwrap();
    std::os::unix::fs::symlink(&first, &second).unwrap();
    let output = opslint()
        .args(["check", &first.to_string_lossy(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["diagnostics"][0]["rule"], "io-error");
    let message = json["diagnostics"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("symbolic links"),
        "the message should name the loop: {message}"
    );
    assert!(!message.contains("no such file"), "{message}");
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

/// An invalid configuration in the current folder does not stop `explain`
/// of a built-in rule, which needs no configuration.
#[test]
fn explain_ignores_an_invalid_configuration() {
    let dir = temp_dir("explain-bad-config");
    std::fs::write(
        dir.join("opslint.toml"),
        "[incident-columns]\nbogus = \"X\"\n",
    )
    .unwrap();
    let output = opslint()
        .current_dir(&dir)
        .args(["explain", "adr-missing-status"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("# adr-missing-status"));
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

/// From a subfolder, as in a step with `working-directory`, annotations name
/// files by their path from the repository's root, as GitHub expects.
#[test]
fn github_format_uses_repository_paths() {
    let output = opslint()
        .current_dir(repo_root().join("fixtures/workloads/shop"))
        .args(["check", "k8s/worker.yaml", "--format", "github"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let readiness = stdout
        .lines()
        .find(|line| line.contains("k8s-missing-readiness-probe"))
        .expect("a readiness annotation");
    assert!(
        readiness.starts_with("::warning file=fixtures/workloads/shop/k8s/worker.yaml,line=16,"),
        "{readiness}"
    );
}

/// From a subfolder, SARIF's `%SRCROOT%` is the repository's root and its
/// URIs are paths from there, which code scanning matches to files.
#[test]
fn sarif_from_subfolder_uses_repository_paths() {
    let folder = repo_root().join("fixtures/workloads/shop");
    let output = opslint()
        .current_dir(&folder)
        .args(["check", "k8s/worker.yaml", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let run = &sarif["runs"][0];
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    let expected_root = format!("file://{}/", repo_root().canonicalize().unwrap().display());
    assert_eq!(root, expected_root);
    let uris: std::collections::BTreeSet<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris.into_iter().collect::<Vec<_>>(),
        ["fixtures/workloads/shop/k8s/worker.yaml"]
    );
}

/// The GitLab format is a Code Quality report: a JSON array with one issue
/// per finding, paths from the repository's root and Code Climate
/// severities.
#[test]
fn gitlab_format_writes_code_quality_issues() {
    let output = opslint()
        .current_dir(repo_root().join("fixtures/workloads/shop"))
        .args(["check", "k8s/worker.yaml", "--format", "gitlab"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let issues: Value = serde_json::from_slice(&output.stdout).unwrap();
    let issues = issues.as_array().unwrap();
    let readiness = issues
        .iter()
        .find(|issue| issue["check_name"] == "k8s-missing-readiness-probe")
        .expect("a readiness issue");
    assert_eq!(
        readiness["location"]["path"],
        "fixtures/workloads/shop/k8s/worker.yaml"
    );
    assert_eq!(readiness["location"]["lines"]["begin"], 16);
    assert_eq!(readiness["severity"], "major");
    assert!(
        readiness["fingerprint"]
            .as_str()
            .is_some_and(|f| !f.is_empty())
    );
    assert!(
        readiness["description"]
            .as_str()
            .unwrap()
            .ends_with("(k8s-missing-readiness-probe)")
    );
    let mut fingerprints: Vec<&str> = issues
        .iter()
        .map(|issue| issue["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), issues.len(), "fingerprints are unique");
}

#[test]
fn github_format_writes_workflow_commands() {
    let output = opslint()
        .args([
            "check",
            "fixtures/workloads/shop/k8s/worker.yaml",
            "--format",
            "github",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let readiness = stdout
        .lines()
        .find(|line| line.contains("k8s-missing-readiness-probe"))
        .expect("a readiness annotation");
    assert!(
        readiness.starts_with(
            "::warning file=fixtures/workloads/shop/k8s/worker.yaml,line=16,endLine=16,col=17,endColumn=23,title=opslint k8s-missing-readiness-probe::"
        ),
        "{readiness}"
    );
    assert!(
        stdout.lines().all(|line| line.starts_with("::")),
        "{stdout}"
    );
}

#[test]
fn action_uses_existing_check_flags() {
    let action = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    let help = opslint().args(["check", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let flags: Vec<&str> = action
        .split_whitespace()
        .filter(|word| word.starts_with("--") && word.len() > 2)
        .filter(|word| !["--locked", "--quiet", "--path", "--bin", "--root"].contains(word))
        .collect();
    assert!(flags.contains(&"--format"));
    for flag in flags {
        assert!(
            help.contains(flag),
            "action.yml uses `{flag}`, which `check` lacks"
        );
    }
}

#[test]
fn rules_filter_by_principle_and_artifact() {
    let output = opslint()
        .args([
            "rules",
            "--principle",
            "observability",
            "--artifact",
            "terraform",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let ids: Vec<&str> = stdout
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(
        ids,
        [
            "alarm-without-actions",
            "api-gateway-access-logs-disabled",
            "api-gateway-tracing-disabled",
            "ecs-container-insights-disabled",
            "lambda-tracing-disabled",
            "log-retention-unset",
            "resource-without-alarm",
        ]
    );
    assert!(stdout.starts_with("ID "));
    assert!(stdout.lines().next().unwrap().contains("ARTIFACTS"));

    let output = opslint()
        .args(["rules", "--artifact", "github-workflow"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("deploy-job-without-environment"));
    assert!(!stdout.contains("k8s-missing-liveness-probe"));
}

#[test]
fn rules_reject_unknown_filters() {
    let output = opslint()
        .args(["rules", "--artifact", "cobol"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid value 'cobol' for '--artifact <KIND>'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("kubernetes"),
        "the kinds are listed: {stderr}"
    );
    opslint()
        .args(["rules", "--principle", "speed"])
        .assert()
        .code(2);
}

#[test]
fn closed_stdout_is_not_an_error() {
    for args in [&["rules"][..], &["explain", "mutable-image-tag"][..]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_opslint"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(output.stderr.is_empty(), "{args:?}: {output:?}");
    }
}

const USER_RULE: &str = r#"id = "no-eval"
principle = "anticipate-failure"
waf = ["OPS04-BP02"]
severity = "error"
summary = "`eval` in application code"
what_it_checks = "Calls of `eval`."
why_it_matters = "Evaluated strings fail at run time."
how_to_fix = "Parse the input instead."
known_limits = "Only the built-in `eval`."

[[match]]
language = "python"
query = '(call function: (identifier) @f (#eq? @f "eval")) @finding'
message = "`eval` runs text as code"
label = "eval call"
"#;

#[test]
fn suppression_of_a_user_rule_is_known() {
    let rules = temp_dir("user-rule-suppressed");
    std::fs::write(rules.join("no-eval.toml"), USER_RULE).expect("rule file is written");
    let code = temp_dir("user-rule-suppressed-code");
    std::fs::write(
        code.join("calc.py"),
        "x = eval(input())  # opslint: ignore[no-eval] trusted operator input
",
    )
    .expect("code is written");
    let output = opslint()
        .args(["check", "--format", "json", "--rules-dir"])
        .arg(&rules)
        .arg(&code)
        .output()
        .expect("opslint runs");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"no-eval"), "{rules:?}");
    assert!(!rules.contains(&"unused-suppression"), "{rules:?}");
    assert_eq!(json["summary"]["suppressed"], 1);
}

#[test]
fn explain_and_rules_know_user_rules() {
    let rules = temp_dir("user-rule-explained");
    std::fs::write(rules.join("no-eval.toml"), USER_RULE).expect("rule file is written");
    let output = opslint()
        .args(["explain", "no-eval", "--rules-dir"])
        .arg(&rules)
        .output()
        .expect("opslint runs");
    assert_eq!(output.status.code(), Some(0));
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(
        page.starts_with("# no-eval\n\n`eval` in application code\n"),
        "{page}"
    );
    assert!(page.contains("Parse the input instead."), "{page}");

    let output = opslint()
        .args(["rules", "--rules-dir"])
        .arg(&rules)
        .output()
        .expect("opslint runs");
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.contains("no-eval"), "{table}");

    // Without the folder the rule is unknown.
    opslint().args(["explain", "no-eval"]).assert().code(2);
}

#[test]
fn user_rule_folder_runs_its_rules() {
    let rules = temp_dir("user-rules");
    std::fs::write(rules.join("no-eval.toml"), USER_RULE).expect("rule file is written");
    let code = temp_dir("user-rules-code");
    std::fs::write(code.join("calc.py"), "x = eval(input())\n").expect("code is written");
    let output = opslint()
        .args(["check", "--rules-dir"])
        .arg(&rules)
        .args(["--select", "no-eval"])
        .arg(&code)
        .output()
        .expect("opslint runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("error[no-eval]: `eval` runs text as code"),
        "{stdout}"
    );
    assert!(stdout.contains("calc.py:1:5"), "{stdout}");
}

#[test]
fn broken_user_rule_names_file_and_line() {
    let rules = temp_dir("broken-rules");
    let broken = USER_RULE.replace("(identifier) @f", "(identifer) @f");
    std::fs::write(rules.join("no-eval.toml"), broken).expect("rule file is written");
    let output = opslint()
        .args(["check", "--rules-dir"])
        .arg(&rules)
        .arg("fixtures/workloads")
        .output()
        .expect("opslint runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(stderr.contains("no-eval.toml:13:"), "{stderr}");
    assert!(stderr.contains("invalid tree-sitter query"), "{stderr}");
}

#[test]
fn user_rule_with_unknown_key_is_rejected() {
    let rules = temp_dir("unknown-key-rules");
    let broken = USER_RULE.replace("severity = \"error\"", "severity = \"error\"\nlevel = 3");
    std::fs::write(rules.join("no-eval.toml"), broken).expect("rule file is written");
    let output = opslint()
        .args(["check", "--rules-dir"])
        .arg(&rules)
        .arg("fixtures/workloads")
        .output()
        .expect("opslint runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(stderr.contains("no-eval.toml:5:1"), "{stderr}");
    assert!(stderr.contains("unknown field `level`"), "{stderr}");
}

/// Runs `check --format json` on `target` in `dir` and returns the rule
/// ids it reports, sorted.
fn rules_in(dir: &std::path::Path, target: &str) -> Vec<String> {
    let output = opslint()
        .current_dir(dir)
        .args(["check", target, "--format", "json", "--exit-zero"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut rules: Vec<String> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect();
    rules.sort();
    rules
}

#[test]
fn subfolder_run_sees_repository_owners_and_runbooks() {
    let dir = temp_dir("subfolder");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("k8s")).unwrap();
    std::fs::write(
        dir.join("k8s/web.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1.0\n",
    )
    .unwrap();
    let repository_rules = ["codeowners-missing", "runbooks-missing"];

    // Without owners or runbooks anywhere, both rules report the subfolder.
    let bare = rules_in(&dir, "k8s");
    for rule in repository_rules {
        assert!(bare.iter().any(|r| r == rule), "{rule} missing: {bare:?}");
    }

    // With both in the repository's root, the subfolder run finds them.
    std::fs::create_dir_all(dir.join(".github")).unwrap();
    std::fs::write(dir.join(".github/CODEOWNERS"), "* @platform\n").unwrap();
    std::fs::create_dir_all(dir.join("runbooks")).unwrap();
    std::fs::write(dir.join("runbooks/web.md"), "# Web\n\nRestart it.\n").unwrap();
    let covered = rules_in(&dir, "k8s");
    for rule in repository_rules {
        assert!(
            !covered.iter().any(|r| r == rule),
            "{rule} reported: {covered:?}"
        );
    }
    assert_eq!(
        covered,
        ["k8s-missing-liveness-probe", "k8s-missing-readiness-probe"]
    );
}

/// A named file that opslint does not read gets a notice when it is the
/// only one. Beside a file that is read it stays quiet, because pre-commit
/// passes every staged text file.
#[test]
fn named_file_of_unread_kind_gets_a_notice() {
    let dir = temp_dir("skipped-named");
    std::fs::write(dir.join("production.json"), "{\"Parameters\": {}}\n").unwrap();
    std::fs::write(dir.join("Dockerfile"), "FROM alpine:3.20\n").unwrap();
    let run = |files: &[&str]| {
        let output = opslint()
            .current_dir(&dir)
            .arg("check")
            .args(files)
            .output()
            .unwrap();
        String::from_utf8(output.stderr).unwrap()
    };
    let alone = run(&["production.json"]);
    assert!(
        alone.contains("production.json: skipped, JSON is read only as CloudFormation templates"),
        "{alone}"
    );
    let beside_read_file = run(&["production.json", "Dockerfile"]);
    assert!(!beside_read_file.contains("skipped"), "{beside_read_file}");

    // A folder without a file of a known kind gets a notice too.
    std::fs::create_dir_all(dir.join("params")).unwrap();
    std::fs::write(dir.join("params/production.json"), "{\"Parameters\": {}}\n").unwrap();
    let folder = run(&["params"]);
    assert!(
        folder.contains("no file that opslint checks was found in `params`"),
        "{folder}"
    );
}

/// A run on a subfolder reads the repository's CODEOWNERS and matches its
/// patterns against paths from the repository's root.
#[test]
fn subfolder_run_reports_unowned_paths() {
    let dir = temp_dir("subfolder-owners");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join(".github")).unwrap();
    std::fs::create_dir_all(dir.join("apps")).unwrap();
    std::fs::create_dir_all(dir.join("infra")).unwrap();
    std::fs::write(dir.join(".github/CODEOWNERS"), "/apps/ @org/apps\n").unwrap();
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1.0\n";
    std::fs::write(dir.join("apps/web.yaml"), deployment).unwrap();
    std::fs::write(dir.join("infra/web.yaml"), deployment).unwrap();
    let unowned = |folder: &std::path::Path, target: &str| {
        let (found, _) = findings_in(folder, &[target]);
        found
            .into_iter()
            .filter(|(rule, _)| rule == "codeowners-unowned-path")
            .map(|(_, path)| path)
            .collect::<Vec<_>>()
    };
    assert_eq!(unowned(&dir, "infra"), ["infra/web.yaml"]);
    assert_eq!(unowned(&dir.join("infra"), "."), ["web.yaml"]);
    assert!(unowned(&dir, "apps").is_empty());
}

/// A pre-commit run on one file reads the files that settle its findings:
/// the overlays of a Kustomize base (probes, image tag), an autoscaler
/// beside a Deployment, and the callers of a reusable workflow. Each run
/// agrees with the run over the whole folder, which reports nothing but
/// the repository-wide findings on owners and runbooks.
#[test]
fn named_files_read_the_files_that_settle_them() {
    let data = repo_root().join("crates/opslint/tests/data/named-context");
    for (folder, named) in [
        ("kustomize", "base/deployment.yaml"),
        ("autoscaler", "k8s/deployment.yaml"),
        ("reusable", ".github/workflows/_deploy.yml"),
    ] {
        let dir = data.join(folder);
        let (named_run, files) = findings_in(&dir, &[named]);
        assert!(named_run.is_empty(), "{folder}: {named_run:?}");
        assert_eq!(files, 1, "{folder}: only the named file is counted");
        let (mut folder_run, _) = findings_in(&dir, &["."]);
        folder_run.retain(|(rule, _)| {
            !["codeowners-missing", "runbooks-missing"].contains(&rule.as_str())
        });
        assert!(folder_run.is_empty(), "{folder}: {folder_run:?}");
    }
}

/// A hook on a Terraform file judges it with the rest of its module folder,
/// its variables files, the local modules it calls and their other callers.
/// A rollback turned off in `staging.auto.tfvars` is reported at the
/// staging call of the shared module, with the fingerprint of a run on the
/// whole folder. Other findings in those files are not reported.
#[test]
fn named_terraform_files_read_their_module() {
    let dir = repo_root().join("crates/opslint/tests/data/named-context/terraform");
    let findings = |args: &[&str]| -> Vec<(String, String, u64, String)> {
        json_check(&dir, args)["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                !["codeowners-missing", "runbooks-missing"].contains(&d["rule"].as_str().unwrap())
            })
            .map(|d| {
                (
                    d["rule"].as_str().unwrap().to_string(),
                    d["path"].as_str().unwrap().to_string(),
                    d["line"].as_u64().unwrap(),
                    d["fingerprint"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };

    let folder_run = findings(&["."]);
    assert_eq!(
        folder_run
            .iter()
            .map(|(rule, path, line, _)| (rule.as_str(), path.as_str(), *line))
            .collect::<Vec<_>>(),
        [(
            "ecs-deployment-rollback-disabled",
            "envs/staging/main.tf",
            4
        )]
    );
    for named in ["envs/staging/staging.auto.tfvars", "envs/staging/main.tf"] {
        assert_eq!(findings(&[named]), folder_run, "{named}");
    }

    // A run on the environment's folder reads the module outside it too.
    assert_eq!(findings(&["envs/staging"]), folder_run);
    // The default in `variables.tf` is not what the module gets, and the
    // finding does not name that file.
    assert_eq!(findings(&["envs/staging/variables.tf"]), []);
    // A hook on the module reads its callers, which pass their own values,
    // so the module's default of `false` is not reported.
    assert_eq!(findings(&["modules/service/main.tf"]), []);
}

/// A hook on `.gitlab-ci.yml` reads the files it includes, where the
/// templates that its jobs extend sit, and gives the verdicts of a run on
/// the folder instead of questions about undefined templates.
#[test]
fn named_gitlab_pipeline_reads_its_includes() {
    let dir = repo_root().join("crates/opslint/tests/data/named-context/gitlab-include");
    let verdicts = |named: &str| {
        let json = json_check(&dir, &[named]);
        (
            rule_path_line(&json["diagnostics"]),
            rule_path_line(&json["questions"]),
        )
    };
    let expected = (
        vec![(
            "deploy-without-concurrency-guard".to_string(),
            ".gitlab-ci.yml".to_string(),
            11,
        )],
        Vec::new(),
    );
    assert_eq!(verdicts("."), expected);
    assert_eq!(verdicts(".gitlab-ci.yml"), expected);
}

/// A hook on a chart's `values.yaml` or on one of its templates reads the
/// whole chart. `tag: latest` and a single replica in the defaults are then
/// reported at the template lines they render into, as in a folder run.
#[test]
fn named_helm_files_read_their_chart() {
    let dir = repo_root().join("crates/opslint/tests/data/named-context/helm");
    let verdicts = |named: &str| {
        let json = json_check(&dir, &[named]);
        let mut found = rule_path_line(&json["diagnostics"]);
        found.retain(|(rule, _, _)| {
            !["codeowners-missing", "runbooks-missing"].contains(&rule.as_str())
        });
        (found, rule_path_line(&json["questions"]))
    };
    let template = "chart/templates/deployment.yaml".to_string();
    let expected = (
        vec![
            ("single-replica-workload".to_string(), template.clone(), 6),
            ("mutable-image-tag".to_string(), template, 17),
        ],
        Vec::new(),
    );
    assert_eq!(verdicts("chart"), expected);
    assert_eq!(verdicts("chart/values.yaml"), expected);
    assert_eq!(verdicts("chart/templates/deployment.yaml"), expected);
}

/// A hook on a workflow reads the local script its step runs, so a deploy
/// done by the script is judged as in a run on the folder.
#[test]
fn named_workflow_reads_the_scripts_it_runs() {
    let dir = repo_root().join("crates/opslint/tests/data/named-context/ci-script");
    let verdicts = |named: &str| rule_path_line(&json_check(&dir, &[named])["diagnostics"]);
    let expected = vec![(
        "deploy-step-continue-on-error".to_string(),
        ".github/workflows/deploy.yml".to_string(),
        14,
    )];
    assert_eq!(verdicts("."), expected);
    assert_eq!(verdicts(".github/workflows/deploy.yml"), expected);
}

/// A named autoscaler is judged with the Deployment beside it, so a hook on
/// `hpa.yaml` alone reports its floor of one replica.
#[test]
fn named_autoscaler_is_judged_with_its_target() {
    let dir = repo_root().join("crates/opslint/tests/data/named-context/autoscaler-floor");
    let (found, files) = findings_in(&dir, &["k8s/hpa.yaml"]);
    assert_eq!(
        found,
        [(
            "single-replica-workload".to_string(),
            "k8s/hpa.yaml".to_string()
        )]
    );
    assert_eq!(files, 1);
}

/// Selecting and ignoring the same rule leaves nothing to run, and a
/// notice reports it instead of a bare "No findings".
#[test]
fn empty_rule_selection_gets_a_notice() {
    let output = opslint()
        .args([
            "check",
            "fixtures/workloads/shop/k8s",
            "--select",
            "mutable-image-tag",
            "--ignore",
            "mutable-image-tag",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no rule runs"), "{stderr}");
    let selected = opslint()
        .args([
            "check",
            "fixtures/workloads/shop/k8s",
            "--select",
            "mutable-image-tag",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&selected.stderr);
    assert!(!stderr.contains("no rule runs"), "{stderr}");
}

/// `opslint-accepts` paths are written from the repository's root, so they
/// hold in a run from a subfolder too, where display paths are shorter.
#[test]
fn subfolder_run_keeps_risks_that_adrs_accept() {
    let dir = temp_dir("subfolder-accepts");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("k8s")).unwrap();
    std::fs::create_dir_all(dir.join("docs/adr")).unwrap();
    std::fs::write(
        dir.join("k8s/toolbox.yaml"),
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: toolbox\nspec:\n  template:\n    spec:\n      containers:\n        - name: toolbox\n          image: registry.example.com/toolbox:latest\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("docs/adr/0001-toolbox-image.md"),
        "# 1. Run the toolbox from its latest image\n\n## Status\n\nAccepted\n\n## Decision\n\nThe toolbox job always pulls the newest build.\n\nopslint-accepts: mutable-image-tag k8s/toolbox.yaml\n",
    )
    .unwrap();
    assert!(!rules_in(&dir, "k8s").contains(&"mutable-image-tag".to_string()));
    let from_subfolder = rules_in(&dir.join("k8s"), ".");
    assert!(
        !from_subfolder.contains(&"mutable-image-tag".to_string()),
        "{from_subfolder:?}"
    );
    // The suppression names the ADR by its path from the repository's root.
    assert_eq!(
        suppression_sources(&dir.join("k8s"), "adr"),
        ["docs/adr/0001-toolbox-image.md"]
    );

    // A configuration at the repository's root is named from there too.
    std::fs::write(
        dir.join("k8s/web.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1.0\n          livenessProbe: {tcpSocket: {port: 80}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("opslint.toml"),
        "[per-path-ignores]\n\"k8s/*.yaml\" = [\"k8s-missing-readiness-probe\"]\n",
    )
    .unwrap();
    assert_eq!(
        suppression_sources(&dir.join("k8s"), "config"),
        ["opslint.toml"]
    );
}

/// Returns the JSON output of `opslint check ARGS` run in `dir`.
fn json_check(dir: &std::path::Path, args: &[&str]) -> Value {
    let output = opslint()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A run from a subfolder groups unowned files under that folder, as a run
/// from the root does, and gives a file with text as the example.
#[test]
fn subfolder_run_groups_unowned_files_at_its_folder() {
    let dir = temp_dir("subfolder-owners");
    for (path, text) in [
        (".github/CODEOWNERS", "/app/ @acme/backend\n"),
        ("app/main.py", "print('app')\n"),
        ("worker/__init__.py", ""),
        ("worker/consumer.py", "import time\n"),
    ] {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let messages = |folder: &std::path::Path| -> Vec<(String, String)> {
        let json = json_check(folder, &[".", "--select", "codeowners-unowned-path"]);
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["message"].as_str().unwrap().to_string(),
                    d["logical_location"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let expected = vec![(
        "2 files in `worker/`, such as `worker/consumer.py`, have no owner in \
         `.github/CODEOWNERS`: no pattern matches them"
            .to_string(),
        "worker/".to_string(),
    )];
    assert_eq!(messages(&dir), expected);
    assert_eq!(messages(&dir.join("worker")), expected);
}

/// A suppression comment in a module outside the checked folder covers the
/// finding at the checked call, as in a run on the whole repository, and a
/// comment there that covers nothing is not reported from the subfolder.
#[test]
fn module_comment_covers_call_from_subfolder() {
    let dir = temp_dir("module-comment");
    let module = "variable \"days\" {\n  type = number\n}\n\nresource \"aws_db_instance\" \"this\" {\n  # opslint: ignore[database-backups-disabled] test databases are rebuilt nightly\n  backup_retention_period = var.days\n  deletion_protection     = true # opslint: ignore[database-backups-disabled] covers nothing\n}\n";
    for (path, text) in [
        ("modules/db/main.tf", module),
        (
            "envs/dev/main.tf",
            "module \"db\" {\n  source = \"../../modules/db\"\n  days   = 0\n}\n",
        ),
    ] {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let args = [
        ".",
        "--select",
        "database-backups-disabled,unused-suppression",
    ];
    let from_root = json_check(&dir, &args);
    assert_eq!(
        rule_path_line(&from_root["diagnostics"]),
        [(
            "unused-suppression".to_string(),
            "modules/db/main.tf".to_string(),
            8
        )]
    );
    assert_eq!(from_root["summary"]["suppressed"], 1);

    let from_env = json_check(&dir.join("envs/dev"), &args);
    assert_eq!(rule_path_line(&from_env["diagnostics"]), []);
    assert_eq!(from_env["summary"]["suppressed"], 1);
}

/// Returns the sources of the suppressions of `kind` in a JSON run on the
/// folder `dir`, with suppressed findings shown.
fn suppression_sources(dir: &std::path::Path, kind: &str) -> Vec<String> {
    let output = opslint()
        .current_dir(dir)
        .args(["check", ".", "--format", "json", "--show-suppressed"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["suppression"]["kind"] == kind)
        .filter_map(|d| d["suppression"]["source"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn named_files_keep_risks_that_adrs_accept() {
    let shop = repo_root().join("fixtures/workloads/shop");
    let output = opslint()
        .current_dir(&shop)
        .args([
            "check",
            "k8s/worker.yaml",
            "docker-compose.yml",
            "terraform/main.tf",
            "--format",
            "json",
        ])
        .output()
        .unwrap();

    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let image_tags: Vec<(String, u64)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "mutable-image-tag")
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // ADR 4 accepts `postgres:latest` in the compose file; the manifest's
    // `latest` stays a finding.
    assert_eq!(image_tags, [("k8s/worker.yaml".to_string(), 17)]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("docker-compose.yml:9: `mutable-image-tag` finding accepted"),
        "{stderr}"
    );

    // The ADRs are neither counted nor reported.
    assert_eq!(json["summary"]["files"], 3);
    assert!(
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| !d["path"].as_str().unwrap().starts_with("docs/")),
        "{}",
        json["diagnostics"]
    );
    // The accepted risk is counted as suppressed, apart from the others.
    assert_eq!(json["summary"]["accepted"], 1);
    assert_eq!(json["summary"]["suppressed"], 1);
    let text = opslint()
        .current_dir(&shop)
        .args(["check", "docker-compose.yml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("; 1 accepted by an ADR.\n"), "{stdout}");
}

/// Returns `(rule, path, line)` of each finding or question of a JSON list.
fn rule_path_line(list: &Value) -> Vec<(String, String, u64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Returns the rule ids and paths of the findings of `check --format json`
/// with `args`, run in `dir`, and the number of files checked.
fn findings_in(dir: &std::path::Path, args: &[&str]) -> (Vec<(String, String)>, u64) {
    let json = json_check(dir, args);
    let found = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (found, json["summary"]["files"].as_u64().unwrap())
}

/// A run on named files reads the Skaffold file above a manifest and the
/// main compose file beside an override, reports nothing in them, and does
/// not run the rules that other files usually clear.
#[test]
fn named_files_see_the_files_that_clear_findings() {
    let dir = temp_dir("named-context");
    let files = [
        (
            "skaffold.yaml",
            "apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n    - image: web\n",
        ),
        (
            "k8s/web.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web\n          readinessProbe: {httpGet: {path: /, port: 80}}\n          livenessProbe: {httpGet: {path: /, port: 80}}\n",
        ),
        (
            "compose.yaml",
            "services:\n  web:\n    image: web:1.2.3\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n",
        ),
        ("compose.override.yml", "services:\n  web:\n    build: .\n"),
        (
            "Dockerfile",
            "FROM python:3.13-slim\nCMD [\"python\", \"-m\", \"http.server\"]\n",
        ),
        (
            "incidents/export.csv",
            "Reference,Name,Severity,Affected services,Status,Reported at\nINC-1,Web down,Critical,web,Closed,2026-03-01T10:00:00Z\n",
        ),
        ("svc/requirements.txt", "fastapi==0.115.0\n"),
        (
            "svc/routes.py",
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get(\"/orders\")\ndef orders():\n    return []\n",
        ),
        ("svc/util.py", "def report(order):\n    print(order)\n"),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let named = [
        "k8s/web.yaml",
        "compose.override.yml",
        "Dockerfile",
        "incidents/export.csv",
        "svc/util.py",
    ];
    let (found, files) = findings_in(&dir, &named);
    assert_eq!(found, []);
    assert_eq!(files, 5);

    // On the folder the incident has no analysis anywhere, and `util.py`
    // belongs to a service, so both are reported.
    let (found, _) = findings_in(&dir, &["."]);
    for (rule, path) in [
        ("incident-without-postmortem", "incidents/export.csv"),
        ("print-instead-of-logging", "svc/util.py"),
    ] {
        assert!(
            found.contains(&(rule.to_string(), path.to_string())),
            "{found:?}"
        );
    }
}

/// Returns `(rule, fingerprint, message)` of each finding of
/// `check --format json` on `path`, run in `dir`.
fn fingerprinted(dir: &std::path::Path, path: &str) -> Vec<(String, String, String)> {
    let output = opslint()
        .current_dir(dir)
        .args(["check", path, "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut found: Vec<(String, String, String)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["fingerprint"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

/// A service checked from its own folder is named and linked as from the
/// repository's root: same findings, messages and fingerprints.
#[test]
fn service_folder_run_matches_root_run() {
    let dir = temp_dir("service-folder");
    let files = [
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("CODEOWNERS", "* @platform-team\n"),
        ("docs/runbooks/orders.md", "# Orders\n\nRestart the pods.\n"),
        ("services/orders/requirements.txt", "flask==3.1.0\n"),
        (
            "services/orders/app.py",
            "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get(\"/orders\")\ndef orders():\n    return []\n",
        ),
        (
            "services/orders/Dockerfile",
            "FROM python:3.13-slim\nCOPY . /app\nCMD [\"flask\", \"run\"]\n",
        ),
        (
            "services/orders/k8s/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: orders\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: orders\n          image: registry.example.com/orders:1.4.2\n          readinessProbe: {httpGet: {path: /healthz, port: 8080}}\n          livenessProbe: {httpGet: {path: /orders, port: 8080}}\n",
        ),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let from_root = fingerprinted(&dir, "services/orders");
    let from_service = fingerprinted(&dir.join("services/orders"), ".");
    assert_eq!(from_service, from_root);
    let rules: Vec<&str> = from_root.iter().map(|(rule, _, _)| rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "probe-path-not-served",
            "service-missing-health-endpoint",
            "service-without-metrics",
            "service-without-tracing"
        ]
    );
    assert_eq!(
        from_root[2].2,
        "service `services/orders` has no metrics instrumentation"
    );
}

/// Returns the question ids of `check --format json` on `path`, run in `dir`.
fn question_ids(dir: &std::path::Path, path: &str) -> Vec<String> {
    let output = opslint()
        .current_dir(dir)
        .args(["check", path, "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut ids: Vec<String> = json["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// A repository checked from the folder above it, from its root and from
/// one of its folders gives the same fingerprints and question ids.
#[test]
fn repository_checked_from_outside_matches_inside() {
    let dir = temp_dir("outside-repository");
    let files = [
        ("app/.git/HEAD", "ref: refs/heads/main\n"),
        (
            "app/ecs/worker.yaml",
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n  WorkerLogs:\n    Type: AWS::Logs::LogGroup\n",
        ),
        (
            "app/k8s/web.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:latest\n",
        ),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let from_above = fingerprinted(&dir, "app");
    assert!(!from_above.is_empty());
    assert_eq!(fingerprinted(&dir.join("app"), "."), from_above);
    let questions = question_ids(&dir, "app");
    assert!(!questions.is_empty());
    assert_eq!(question_ids(&dir.join("app"), "."), questions);
    assert_eq!(
        question_ids(&dir.join("app/ecs"), "."),
        question_ids(&dir.join("app"), "ecs")
    );
}

/// A run on one environment's folder reads the local module it calls from
/// outside the folder, so the module's database is judged with the values
/// that call passes, as in a run on the whole repository. A module that is
/// not on disk is named in a note.
#[test]
fn module_outside_the_checked_folder_is_read() {
    let fixture = repo_root().join("fixtures/database-backups-disabled/fail-module-call-per-env");
    let (found, files) = findings_in(
        &fixture,
        &["envs/dev", "--select", "database-backups-disabled"],
    );
    assert_eq!(
        found,
        [(
            "database-backups-disabled".to_string(),
            "envs/dev/main.tf".to_string()
        )]
    );
    assert_eq!(files, 1, "the module's files are context, not counted");

    let dir = temp_dir("missing-module");
    std::fs::create_dir_all(dir.join("envs/dev")).unwrap();
    std::fs::write(
        dir.join("envs/dev/main.tf"),
        "module \"db\" {\n  source = \"../../modules/rds\"\n}\n",
    )
    .unwrap();
    let output = opslint()
        .current_dir(&dir)
        .args(["check", "envs/dev", "--select", "database-backups-disabled"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "note: envs/dev/main.tf: local module `modules/rds` was not found, so its resources \
         and the inputs passed to it are not checked\n"
    );
}

/// A check of a folder inside a Python project reads neither the project's
/// server code nor its `pyproject.toml`, so the service rules see only part
/// of the service: a notice explains this and names the folder to check.
#[test]
fn folder_inside_a_project_gets_a_notice() {
    let dir = temp_dir("inside-project");
    let app = dir.join("services/api/app");
    std::fs::create_dir_all(app.join("utils")).expect("folders can be created");
    std::fs::write(
        dir.join("services/api/pyproject.toml"),
        "[project]\nname = \"api\"\ndependencies = [\"flask\"]\n",
    )
    .expect("manifest can be written");
    std::fs::write(
        app.join("main.py"),
        "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route(\"/orders\")\ndef orders():\n    return \"[]\"\n",
    )
    .expect("file can be written");
    std::fs::write(
        app.join("utils/helpers.py"),
        "def show(value):\n    print(\"value\", value)\n",
    )
    .expect("file can be written");
    let run = |folder: &str| {
        let output = opslint()
            .current_dir(&*dir)
            .args(["check", folder, "--select", "print-instead-of-logging"])
            .output()
            .expect("opslint runs");
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };

    let (stdout, stderr) = run("services/api/app/utils");
    assert!(stdout.contains("No findings in 1 file."), "{stdout}");
    assert!(
        stderr.contains(
            "note: `services/api/app/utils` is inside the project `services/api` (it has \
             `pyproject.toml`)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("check `services/api` to judge the whole service"),
        "{stderr}"
    );

    let (stdout, stderr) = run("services/api");
    assert!(
        stdout.contains("services/api/app/utils/helpers.py:2:5"),
        "{stdout}"
    );
    assert!(!stderr.contains("is inside the project"), "{stderr}");
}
