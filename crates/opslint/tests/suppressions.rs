//! End-to-end tests of inline suppressions, per-path ignores from the
//! configuration and the `unused-suppression` reports, through every output
//! format.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn deployment(image_line_suffix: &str, before_image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
{before_image}          image: web:latest{image_line_suffix}
          readinessProbe: {{httpGet: {{path: /, port: 80}}}}
          livenessProbe: {{httpGet: {{path: /, port: 80}}}}
"
    )
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    // An owner and a runbook keep the repository-level rules quiet, so the
    // tests see only the findings the suppressions are about.
    let defaults = [
        ("CODEOWNERS", "* @platform-team\n"),
        ("docs/runbooks/web.md", "# Web\n\nRestart the web pods.\n"),
    ];
    for (name, text) in defaults.iter().chain(files) {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("opslint")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        output.status.code().unwrap(),
    )
}

fn json(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend(extra);
    serde_json::from_str(&run(dir, &args).0).expect("JSON output")
}

/// `(rule, line, message)` of each reported diagnostic.
fn reported(json: &Value) -> Vec<(String, u64, String)> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn trailing_comment_suppresses_its_line() {
    let dir = project(&[(
        "web.yaml",
        &deployment(
            "  # opslint: ignore[mutable-image-tag] pinned by digest at deploy",
            "",
        ),
    )]);
    let (text, code) = run(dir.path(), &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(text, "No findings in 3 files; 1 suppressed.\n");

    let hidden = json(dir.path(), &[]);
    assert!(reported(&hidden).is_empty());
    assert_eq!(hidden["summary"]["suppressed"], 1);

    let shown = json(dir.path(), &["--show-suppressed"]);
    let suppression = &shown["diagnostics"][0]["suppression"];
    assert_eq!(shown["diagnostics"][0]["rule"], "mutable-image-tag");
    assert_eq!(suppression["kind"], "inline");
    assert_eq!(suppression["reason"], "pinned by digest at deploy");
    assert_eq!(suppression["until"], Value::Null);
    assert_eq!(suppression["source"], "web.yaml:10");
}

#[test]
fn comment_on_line_above_suppresses_next_line() {
    let dir = project(&[(
        "web.yaml",
        &deployment(
            "",
            "          # opslint: ignore[mutable-image-tag] dev cluster only\n",
        ),
    )]);
    let json = json(dir.path(), &[]);
    assert!(reported(&json).is_empty(), "{:?}", reported(&json));
    assert_eq!(json["summary"]["suppressed"], 1);
}

#[test]
fn terraform_hash_and_slash_comments() {
    let dir = project(&[(
        "main.tf",
        "resource \"aws_cloudwatch_log_group\" \"a\" { # opslint: ignore[log-retention-unset] audit keeps it\n  name = \"a\"\n}\n\n// opslint: ignore[log-retention-unset] scratch logs\nresource \"aws_cloudwatch_log_group\" \"b\" {\n  name = \"b\"\n}\n\nresource \"aws_cloudwatch_log_group\" \"c\" {\n  name = \"c\"\n}\n",
    )]);
    let json = json(dir.path(), &[]);
    let found = reported(&json);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "log-retention-unset");
    assert_eq!(found[0].1, 10);
    assert_eq!(json["summary"]["suppressed"], 2);
}

#[test]
fn suppression_without_reason_is_reported() {
    let dir = project(&[(
        "web.yaml",
        &deployment("  # opslint: ignore[mutable-image-tag]", ""),
    )]);
    let found = reported(&json(dir.path(), &[]));
    assert_eq!(
        found,
        [(
            "invalid-suppression".to_string(),
            10,
            "suppression of `mutable-image-tag` has no reason".to_string()
        )]
    );
}

#[test]
fn unknown_rule_in_suppression_is_reported() {
    let dir = project(&[(
        "web.yaml",
        &deployment("  # opslint: ignore[mutable-image-tags] typo", ""),
    )]);
    let found = reported(&json(dir.path(), &[]));
    let rules: Vec<(&str, u64)> = found.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
    assert_eq!(
        rules,
        [("mutable-image-tag", 10), ("invalid-suppression", 10)]
    );
    assert_eq!(
        found[1].2,
        "suppression names unknown rule `mutable-image-tags`"
    );
}

#[test]
fn except_line_comment_suppresses_both_forms() {
    let dir = project(&[(
        "cache.py",
        "def flush(cache):
    try:
        cache.delete(\"quotes\")
    except KeyError:  # opslint: ignore[error-swallowed] the key expires anyway
        pass
    try:
        cache.delete(\"rates\")
    except:  # opslint: ignore[error-swallowed] the key expires anyway
        return False
    return True
",
    )]);
    let json = json(
        dir.path(),
        &["--select", "error-swallowed,unused-suppression"],
    );
    assert!(reported(&json).is_empty(), "{:?}", reported(&json));
    assert_eq!(json["summary"]["suppressed"], 2);
}

/// A comment inside the `except` clause, on its `pass` line or alone above
/// it, covers the clause's finding, which sits on the `except` line.
#[test]
fn comment_inside_except_clause_suppresses_it() {
    let dir = project(&[(
        "cache.py",
        "def flush(cache):
    try:
        cache.delete(\"quotes\")
    except KeyError:
        pass  # opslint: ignore[error-swallowed] the key expires anyway
    try:
        cache.delete(\"rates\")
    except KeyError:
        # opslint: ignore[error-swallowed] the key expires anyway
        pass
    try:
        cache.delete(\"other\")
    except KeyError:
        pass
",
    )]);
    let json = json(
        dir.path(),
        &["--select", "error-swallowed,unused-suppression"],
    );
    assert_eq!(
        reported(&json),
        [(
            "error-swallowed".to_string(),
            13,
            "exception is caught and dropped with `pass`".to_string()
        )]
    );
    assert_eq!(json["summary"]["suppressed"], 2);
}

#[test]
fn suppression_matching_nothing_is_reported() {
    let dir = project(&[(
        "web.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:  # opslint: ignore[mutable-image-tag] old\n  name: c\n",
    )]);
    let (text, code) = run(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        text.contains("warning[unused-suppression]: suppression of `mutable-image-tag` matches no finding on line 3"),
        "{text}"
    );
}

#[test]
fn unused_suppression_can_be_ignored() {
    let dir = project(&[(
        "web.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:  # opslint: ignore[mutable-image-tag] old\n  name: c\n",
    )]);
    let (_, code) = run(dir.path(), &["--ignore", "unused-suppression"]);
    assert_eq!(code, 0);
}

#[test]
fn suppression_for_unselected_rule_is_not_unused() {
    let dir = project(&[(
        "web.yaml",
        &deployment("  # opslint: ignore[mutable-image-tag] accepted", ""),
    )]);
    let json = json(dir.path(), &["--select", "k8s-missing-readiness-probe"]);
    assert!(reported(&json).is_empty(), "{:?}", reported(&json));
}

#[test]
fn suppression_checks_run_only_when_selected() {
    let dir = project(&[(
        "web.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:  # opslint: ignore[log-retention-unset]\n  name: c\n",
    )]);
    let selected_other = json(dir.path(), &["--select", "mutable-image-tag"]);
    assert!(
        reported(&selected_other).is_empty(),
        "{:?}",
        reported(&selected_other)
    );
    // The comment has no reason, and suppresses a rule that did not run, so
    // it is not checked for use.
    let selected = json(
        dir.path(),
        &["--select", "mutable-image-tag,invalid-suppression"],
    );
    let rules: Vec<String> = reported(&selected).into_iter().map(|(r, _, _)| r).collect();
    assert_eq!(rules, ["invalid-suppression"]);
    let unused_only = json(
        dir.path(),
        &["--select", "mutable-image-tag,unused-suppression"],
    );
    assert!(
        reported(&unused_only).is_empty(),
        "{:?}",
        reported(&unused_only)
    );
}

#[test]
fn future_expiry_still_suppresses() {
    let dir = project(&[(
        "web.yaml",
        &deployment(
            "  # opslint: ignore[mutable-image-tag] until=2999-12-31 migration",
            "",
        ),
    )]);
    let json = json(dir.path(), &["--show-suppressed"]);
    assert_eq!(json["summary"]["diagnostics"], 0);
    assert_eq!(json["diagnostics"][0]["suppression"]["until"], "2999-12-31");
    assert_eq!(json["diagnostics"][0]["suppression"]["reason"], "migration");
}

#[test]
fn past_expiry_returns_the_finding() {
    let dir = project(&[(
        "web.yaml",
        &deployment(
            "  # opslint: ignore[mutable-image-tag] until=2020-01-31 migration",
            "",
        ),
    )]);
    let json = json(dir.path(), &[]);
    let found = reported(&json);
    let rules: Vec<&str> = found.iter().map(|(r, _, _)| r.as_str()).collect();
    assert_eq!(rules, ["mutable-image-tag"]);
    let help = json["diagnostics"][0]["help"].as_str().unwrap();
    assert!(
        help.ends_with("; the suppression on line 10 expired on 2020-01-31"),
        "{help}"
    );
}

#[test]
fn unused_parse_error_suppression_is_reported() {
    let dir = project(&[(
        "run.sh",
        "#!/bin/sh
# opslint: ignore[parse-error] generated
set -e
",
    )]);
    let found = reported(&json(dir.path(), &[]));
    assert_eq!(
        found,
        [(
            "unused-suppression".to_string(),
            2,
            "suppression of `parse-error` matches no finding on line 3".to_string()
        )]
    );
}

#[test]
fn invalid_expiry_is_reported() {
    let dir = project(&[(
        "web.yaml",
        &deployment(
            "  # opslint: ignore[mutable-image-tag] until=2027-02-30 migration",
            "",
        ),
    )]);
    let found = reported(&json(dir.path(), &[]));
    let messages: Vec<&str> = found.iter().map(|(_, _, m)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "image `web:latest` uses the mutable `latest` tag",
            "invalid `until` date `2027-02-30`; expected `YYYY-MM-DD`"
        ]
    );
}

#[test]
fn per_path_ignore_from_config() {
    let dir = project(&[
        ("legacy/web.yaml", &deployment("", "")),
        ("new/web.yaml", &deployment("", "")),
        (
            "opslint.toml",
            "[per-path-ignores]\n\"legacy/**\" = [\"mutable-image-tag\"]\n",
        ),
    ]);
    let json = json(dir.path(), &["--show-suppressed"]);
    let diagnostics = json["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 2);
    let legacy = diagnostics
        .iter()
        .find(|d| d["path"] == "legacy/web.yaml")
        .unwrap();
    assert_eq!(legacy["suppression"]["kind"], "config");
    assert_eq!(
        legacy["suppression"]["reason"],
        "`per-path-ignores` entry `legacy/**`"
    );
    let new = diagnostics
        .iter()
        .find(|d| d["path"] == "new/web.yaml")
        .unwrap();
    assert!(new.get("suppression").is_none());
    assert_eq!(json["summary"]["diagnostics"], 1);
}

#[test]
fn sarif_keeps_suppressed_results() {
    let dir = project(&[(
        "web.yaml",
        &deployment(
            "  # opslint: ignore[mutable-image-tag] pinned at deploy",
            "",
        ),
    )]);
    let (text, code) = run(dir.path(), &["--format", "sarif"]);
    assert_eq!(code, 0);
    let sarif: Value = serde_json::from_str(&text).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let suppression = &results[0]["suppressions"][0];
    assert_eq!(suppression["kind"], "inSource");
    assert_eq!(suppression["status"], "accepted");
    assert_eq!(suppression["justification"], "pinned at deploy");
}

#[test]
fn file_level_suppression_covers_a_shebang_finding() {
    let script = "#!/bin/bash\n# opslint: ignore-file[shell-script-without-errexit] legacy script, exits checked by hand\ncp a b\n";
    let dir = project(&[("scripts/copy.sh", script)]);
    let found = json_of(dir.path());
    assert!(reported(&found).is_empty(), "{:?}", reported(&found));
    assert_eq!(found["summary"]["suppressed"], 1);

    // The same comment in a script without that finding is unused.
    let dir = project(&[(
        "scripts/copy.sh",
        "#!/bin/bash\nset -euo pipefail\n# opslint: ignore-file[shell-script-without-errexit] legacy\ncp a b\n",
    )]);
    assert_eq!(
        reported(&json_of(dir.path())),
        [(
            "unused-suppression".to_string(),
            3,
            "suppression of `shell-script-without-errexit` matches no finding in this file"
                .to_string()
        )]
    );
}

fn json_of(dir: &Path) -> Value {
    json(dir, &[])
}

/// Returns the text of an accepted ADR whose decision is `body`.
fn accepting_adr(body: &str) -> String {
    format!("# 1. Accept the latest tag\n\nStatus: accepted\n\n## Decision\n\n{body}\n")
}

#[test]
fn adr_acceptance_covers_folders_and_globs() {
    for entry in ["k8s", "k8s/", "k8s/*.yaml", "./k8s/web.yaml"] {
        let dir = project(&[
            ("k8s/web.yaml", &deployment("", "")),
            (
                "docs/adr/0001-accept-latest.md",
                &accepting_adr(&format!("opslint-accepts: mutable-image-tag {entry}")),
            ),
        ]);
        let found = reported(&json(dir.path(), &[]));
        assert_eq!(found, [], "{entry}");
    }
}

#[test]
fn faulty_adr_acceptances_are_reported() {
    let dir = project(&[
        ("k8s/web.yaml", &deployment("", "")),
        (
            "docs/adr/0001-accept-latest.md",
            &accepting_adr(
                "opslint-accepts: mutable-image-tagg\n\nopslint-accepts: mutable-image-tag nosuch/web.yaml",
            ),
        ),
    ]);
    let found = reported(&json(dir.path(), &[]));
    let rules: Vec<(&str, u64)> = found.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
    assert_eq!(
        rules,
        [
            ("invalid-suppression", 7),
            ("unused-suppression", 9),
            ("mutable-image-tag", 10),
        ]
    );
    assert_eq!(
        found[0].2,
        "`opslint-accepts` names the unknown rule `mutable-image-tagg`, did you mean \
         `mutable-image-tag`? `opslint rules` lists the rule ids"
    );
    assert_eq!(
        found[1].2,
        "`opslint-accepts: mutable-image-tag` names the path `nosuch/web.yaml`, which \
         matches no file of the run"
    );
}

/// A check of one folder does not report an ADR's path to a file outside
/// that folder as matching nothing.
#[test]
fn adr_paths_outside_a_checked_folder_pass() {
    let dir = project(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("k8s/web.yaml", &deployment("", "")),
        (
            "compose.yaml",
            "services:\n  db:\n    image: postgres:latest\n",
        ),
        (
            "docs/adr/0001-accept-latest.md",
            &accepting_adr("opslint-accepts: mutable-image-tag compose.yaml"),
        ),
    ]);
    let found = reported(&json(dir.path(), &["k8s"]));
    let rules: Vec<&str> = found.iter().map(|(rule, _, _)| rule.as_str()).collect();
    assert_eq!(rules, ["mutable-image-tag"]);
}

#[test]
fn module_call_finding_is_suppressed_at_the_call() {
    let module = "variable \"backup_retention_period\" {\n  default = 7\n}\n\nresource \"aws_db_instance\" \"this\" {\n  backup_retention_period = var.backup_retention_period\n}\n";
    let dev = "module \"orders_db\" {\n  source = \"../../modules/rds\"\n  # opslint: ignore[database-backups-disabled] rebuilt nightly from a snapshot\n  backup_retention_period = 0\n}\n";
    let staging = "module \"orders_db\" {\n  source = \"../../modules/rds\"\n  backup_retention_period = 0\n}\n";
    let prod = "module \"orders_db\" {\n  source = \"../../modules/rds\"\n}\n";
    let dir = project(&[
        ("modules/rds/main.tf", module),
        ("envs/dev/main.tf", dev),
        ("envs/staging/main.tf", staging),
        ("envs/prod/main.tf", prod),
    ]);
    let output = json(dir.path(), &["--select", "database-backups-disabled"]);
    // Staging's call is reported where it sets the value; dev's is
    // suppressed there, and production's default holds.
    assert_eq!(
        reported(&output),
        [(
            "database-backups-disabled".to_string(),
            3,
            "database `module.orders_db.aws_db_instance.this` has automated backups turned \
             off as `backup_retention_period` is set in this module call"
                .to_string()
        )]
    );
    assert_eq!(output["diagnostics"][0]["path"], "envs/staging/main.tf");
    assert_eq!(output["summary"]["suppressed"], 1);
}

#[test]
fn module_resource_suppression_covers_every_call() {
    let module = "variable \"backup_retention_period\" {\n  default = 7\n}\n\nresource \"aws_db_instance\" \"this\" {\n  # opslint: ignore[database-backups-disabled] every environment restores from snapshots\n  backup_retention_period = var.backup_retention_period\n}\n";
    let call = |days: &str| {
        format!(
            "module \"orders_db\" {{\n  source = \"../../modules/rds\"\n  backup_retention_period = {days}\n}}\n"
        )
    };
    let (dev, staging) = (call("0"), call("0"));
    let dir = project(&[
        ("modules/rds/main.tf", module),
        ("envs/dev/main.tf", dev.as_str()),
        ("envs/staging/main.tf", staging.as_str()),
        (
            "envs/prod/main.tf",
            "module \"orders_db\" {\n  source = \"../../modules/rds\"\n}\n",
        ),
    ]);
    let output = json(
        dir.path(),
        &["--select", "database-backups-disabled,unused-suppression"],
    );
    assert_eq!(reported(&output), []);
    assert_eq!(output["summary"]["suppressed"], 2);
}

/// A comment above a YAML block whose finding sits on a nested key names
/// the line of that finding, so the user knows where to move it.
#[test]
fn missed_suppression_names_the_nearest_finding() {
    let dir = project(&[(
        "template.yaml",
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Api:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: app.handler\n      # opslint: ignore[lambda-tracing-disabled] traced by the mesh\n      TracingConfig:\n        Mode: PassThrough\n",
    )]);
    let found = reported(&json(
        dir.path(),
        &["--select", "lambda-tracing-disabled,unused-suppression"],
    ));
    let unused: Vec<&(String, u64, String)> = found
        .iter()
        .filter(|(rule, _, _)| rule == "unused-suppression")
        .collect();
    assert_eq!(unused.len(), 1, "{found:?}");
    assert_eq!(unused[0].1, 7);
    assert!(
        unused[0].2.ends_with("matches no finding on line 8; the nearest `lambda-tracing-disabled` finding is on line 9"),
        "{}",
        unused[0].2
    );
}
