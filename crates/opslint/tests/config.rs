//! End-to-end tests of configuration files: discovery, every key that
//! changes a run, command-line overrides and the errors for bad files.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// A Deployment with a mutable image tag and no probes: three warnings.
const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: web:latest
";

fn project(config_name: &str, config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::create_dir_all(dir.path().join("k8s")).unwrap();
    std::fs::write(dir.path().join("k8s/web.yaml"), DEPLOYMENT).unwrap();
    // An owner and a runbook keep the repository-level rules quiet, so the
    // tests see only the findings of the manifest.
    std::fs::write(dir.path().join("CODEOWNERS"), "* @platform-team\n").unwrap();
    std::fs::create_dir_all(dir.path().join("docs/runbooks")).unwrap();
    std::fs::write(
        dir.path().join("docs/runbooks/web.md"),
        "# Web\n\nRestart the web pods.\n",
    )
    .unwrap();
    if !config_name.is_empty() {
        std::fs::write(dir.path().join(config_name), config).unwrap();
    }
    dir
}

fn opslint(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("opslint").expect("the opslint binary is built");
    command.current_dir(dir).env("NO_COLOR", "1");
    command
}

/// Runs `check --format json` with extra arguments; returns the rule ids
/// with their severities, and the exit code.
fn findings(dir: &Path, extra: &[&str]) -> (Vec<(String, String)>, i32) {
    let output = opslint(dir)
        .args(["check", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "stdout is not JSON; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let found = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (found, output.status.code().unwrap())
}

fn stderr_of_failed_check(dir: &Path, extra: &[&str]) -> String {
    let output = opslint(dir).arg("check").args(extra).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn no_config_reports_every_rule() {
    let dir = project("", "");
    let (found, code) = findings(dir.path(), &[]);
    assert_eq!(found.len(), 3);
    assert_eq!(code, 1);
}

#[test]
fn select_and_severity_from_opslint_toml() {
    let dir = project(
        "opslint.toml",
        "select = [\"mutable-image-tag\"]\n[severity]\nmutable-image-tag = \"error\"\n",
    );
    let (found, code) = findings(dir.path(), &[]);
    assert_eq!(found, [("mutable-image-tag".into(), "error".into())]);
    assert_eq!(code, 1);
}

#[test]
fn ignore_from_hidden_config_file() {
    let dir = project(
        ".opslint.toml",
        "ignore = [\"k8s-missing-liveness-probe\", \"k8s-missing-readiness-probe\"]\n",
    );
    let (found, _) = findings(dir.path(), &[]);
    let rules: Vec<&str> = found.iter().map(|(rule, _)| rule.as_str()).collect();
    assert_eq!(rules, ["mutable-image-tag"]);
}

#[test]
fn cargo_workspace_metadata_is_read() {
    let dir = project(
        "Cargo.toml",
        "[workspace]\nmembers = []\n\n[workspace.metadata.opslint]\nselect = [\"k8s-missing-liveness-probe\"]\n",
    );
    let (found, _) = findings(dir.path(), &[]);
    let rules: Vec<&str> = found.iter().map(|(rule, _)| rule.as_str()).collect();
    assert_eq!(rules, ["k8s-missing-liveness-probe"]);
}

#[test]
fn config_found_from_a_subfolder() {
    let dir = project("opslint.toml", "select = [\"mutable-image-tag\"]\n");
    let (found, _) = findings(&dir.path().join("k8s"), &[]);
    assert_eq!(found.len(), 1);
}

#[test]
fn per_path_ignore_names_the_config_relative() {
    let dir = project(
        "opslint.toml",
        "[per-path-ignores]\n\"k8s/**\" = [\"mutable-image-tag\"]\n",
    );
    let output = opslint(dir.path())
        .args(["check", "--format", "json", "--show-suppressed"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let suppressed: Vec<&Value> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| !d["suppression"].is_null())
        .collect();
    assert_eq!(suppressed.len(), 1, "{json}");
    assert_eq!(suppressed[0]["rule"], "mutable-image-tag");
    assert_eq!(suppressed[0]["suppression"]["kind"], "config");
    assert_eq!(suppressed[0]["suppression"]["source"], "opslint.toml");
}

#[test]
fn exclude_skips_matching_files() {
    let dir = project("opslint.toml", "exclude = [\"k8s\"]\n");
    let (found, code) = findings(dir.path(), &[]);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(code, 0);
}

#[test]
fn fail_on_from_config_and_cli_override() {
    let dir = project("opslint.toml", "fail-on = \"error\"\n");
    let (found, code) = findings(dir.path(), &[]);
    assert_eq!(found.len(), 3);
    assert_eq!(code, 0);
    let (_, code) = findings(dir.path(), &["--fail-on", "warning"]);
    assert_eq!(code, 1);
}

#[test]
fn cli_select_replaces_config_select() {
    let dir = project("opslint.toml", "select = [\"mutable-image-tag\"]\n");
    let (found, _) = findings(dir.path(), &["--select", "k8s-missing-liveness-probe"]);
    let rules: Vec<&str> = found.iter().map(|(rule, _)| rule.as_str()).collect();
    assert_eq!(rules, ["k8s-missing-liveness-probe"]);
}

#[test]
fn explicit_config_and_no_config() {
    let dir = project("", "");
    std::fs::write(
        dir.path().join("strict.toml"),
        "select = [\"mutable-image-tag\"]\n",
    )
    .unwrap();
    let (found, _) = findings(dir.path(), &["--config", "strict.toml"]);
    assert_eq!(found.len(), 1);
    std::fs::write(
        dir.path().join("opslint.toml"),
        "select = [\"mutable-image-tag\"]\n",
    )
    .unwrap();
    let (found, _) = findings(dir.path(), &["--no-config"]);
    assert_eq!(found.len(), 3);
}

#[test]
fn unknown_key_is_an_error_with_line() {
    let dir = project("opslint.toml", "select = []\n\nfail_on = \"error\"\n");
    let stderr = stderr_of_failed_check(dir.path(), &[]);
    assert!(
        stderr.contains("opslint.toml at line 3, key `fail_on`"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown field `fail_on`"), "{stderr}");
}

#[test]
fn bad_value_is_an_error_with_line() {
    let dir = project("opslint.toml", "fail-on = \"sometimes\"\n");
    let stderr = stderr_of_failed_check(dir.path(), &[]);
    assert!(
        stderr.contains("opslint.toml at line 1, key `fail-on`"),
        "{stderr}"
    );
    assert!(stderr.contains("sometimes"), "{stderr}");
}

#[test]
fn unknown_incident_field_is_an_error() {
    let dir = project(
        "opslint.toml",
        "fail-on = \"error\"\n\n[incident-columns]\nid = \"Ticket\"\nbogus = \"X\"\n",
    );
    let stderr = stderr_of_failed_check(dir.path(), &[]);
    assert!(
        stderr.contains("opslint.toml at line 5, key `incident-columns`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown incident field `bogus`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`created`"),
        "the fields are listed: {stderr}"
    );
}

#[test]
fn unknown_rule_in_config_is_an_error() {
    let dir = project(
        "opslint.toml",
        "[per-path-ignores]\n\"a/**\" = [\"no-such-rule\"]\n",
    );
    let stderr = stderr_of_failed_check(dir.path(), &[]);
    assert!(
        stderr.contains("line 2, key `per-path-ignores`: unknown rule `no-such-rule`"),
        "{stderr}"
    );
}

#[test]
fn misplaced_top_level_key_is_error() {
    let cases = [
        (
            "opslint.toml",
            "[per-path-ignores]\n\"a/**\" = [\"mutable-image-tag\"]\nadr-paths = [\"docs/adr\"]\n",
            3,
            "adr-paths",
            "per-path-ignores",
        ),
        (
            "opslint.toml",
            "[incident-columns]\nid = \"Ticket\"\nincident-paths = [\"ops\"]\n",
            3,
            "incident-paths",
            "incident-columns",
        ),
        (
            "Cargo.toml",
            "[workspace]\n\n[workspace.metadata.opslint.severity]\nmutable-image-tag = \"error\"\nfail-on = \"error\"\n",
            5,
            "fail-on",
            "severity",
        ),
    ];
    for (name, config, line, key, table) in cases {
        let dir = project(name, config);
        let stderr = stderr_of_failed_check(dir.path(), &[]);
        assert!(
            stderr.contains(&format!("{name} at line {line}, key `{key}`")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("follows the `[{table}]` header")),
            "{stderr}"
        );
        assert!(
            stderr.contains("move it above the first table header"),
            "{stderr}"
        );
    }
}

/// The example configuration of the README is valid as written.
#[test]
fn readme_configuration_example_is_valid() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("the README is readable");
    let section = readme
        .split_once("### Configuration")
        .expect("the README has a Configuration section")
        .1;
    let example = section
        .split_once("```toml\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("the section has a TOML example")
        .0;
    assert!(example.contains("[incident-columns]"), "{example}");
    let dir = project("opslint.toml", example);
    // A missing rule folder is an error of its own, so the example's exists.
    std::fs::create_dir_all(dir.path().join("opslint-rules")).unwrap();
    let output = opslint(dir.path()).args(["check"]).output().unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn bad_cargo_metadata_is_an_error() {
    let dir = project(
        "Cargo.toml",
        "[workspace]\n\n[workspace.metadata.opslint]\nselect = \"mutable-image-tag\"\n",
    );
    let stderr = stderr_of_failed_check(dir.path(), &[]);
    assert!(
        stderr.contains("Cargo.toml at line 4, key `select`"),
        "{stderr}"
    );
}

#[test]
fn missing_explicit_config_is_an_error() {
    let dir = project("", "");
    let stderr = stderr_of_failed_check(dir.path(), &["--config", "absent.toml"]);
    assert!(stderr.contains("absent.toml"), "{stderr}");
    assert!(stderr.contains("cannot read the file"), "{stderr}");
}

/// Runs `report --format json` with extra arguments; returns the report.
fn report(dir: &Path, extra: &[&str]) -> Value {
    let output = opslint(dir)
        .args(["report", ".", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the report is JSON")
}

/// Returns the rule ids of every finding in a JSON report, sorted.
fn report_rules(report: &Value) -> Vec<String> {
    let mut rules: Vec<String> = report["principles"]
        .as_array()
        .expect("principles")
        .iter()
        .flat_map(|principle| principle["findings"].as_array().expect("findings"))
        .map(|finding| finding["rule"].as_str().expect("rule").to_string())
        .collect();
    rules.sort();
    rules
}

#[test]
fn report_applies_the_configuration() {
    let dir = project(
        "opslint.toml",
        "ignore = [\"mutable-image-tag\"]\nadr-paths = [\"records/decisions\"]\n",
    );
    std::fs::create_dir_all(dir.path().join("records/decisions")).unwrap();
    std::fs::write(
        dir.path().join("records/decisions/0001-use-postgres.md"),
        "# 1. Use PostgreSQL\n\nStatus: accepted\n\n## Context\n\nWe need a database.\n\n\
         ## Decision\n\nWe use PostgreSQL.\n",
    )
    .unwrap();

    let configured = report(dir.path(), &[]);
    assert_eq!(
        report_rules(&configured),
        ["k8s-missing-liveness-probe", "k8s-missing-readiness-probe"]
    );
    let adrs = configured["inventory"]["adrs"].as_array().expect("adrs");
    assert_eq!(adrs.len(), 1);
    assert_eq!(adrs[0]["path"], "records/decisions/0001-use-postgres.md");

    let unconfigured = report(dir.path(), &["--no-config"]);
    assert_eq!(
        report_rules(&unconfigured),
        [
            "k8s-missing-liveness-probe",
            "k8s-missing-readiness-probe",
            "mutable-image-tag"
        ]
    );
    assert_eq!(
        unconfigured["inventory"]["adrs"].as_array().unwrap().len(),
        0
    );
}

/// Returns the severity of each rule's group of findings in a JSON report.
fn report_severities(report: &Value) -> Vec<(String, String)> {
    let mut severities: Vec<(String, String)> = report["principles"]
        .as_array()
        .expect("principles")
        .iter()
        .flat_map(|principle| principle["findings"].as_array().expect("findings"))
        .map(|finding| {
            (
                finding["rule"].as_str().expect("rule").to_string(),
                finding["severity"].as_str().expect("severity").to_string(),
            )
        })
        .collect();
    severities.sort();
    severities
}

#[test]
fn report_uses_configured_severity() {
    let dir = project(
        "opslint.toml",
        "[severity]\nk8s-missing-liveness-probe = \"error\"\nmutable-image-tag = \"note\"\n",
    );
    let configured = report(dir.path(), &[]);
    assert_eq!(
        report_severities(&configured),
        [
            (
                "k8s-missing-liveness-probe".to_string(),
                "error".to_string()
            ),
            (
                "k8s-missing-readiness-probe".to_string(),
                "warning".to_string()
            ),
            ("mutable-image-tag".to_string(), "note".to_string()),
        ]
    );
}

#[test]
fn report_rejects_an_invalid_configuration() {
    let dir = project("opslint.toml", "ignore = [\"mutable-image-tagz\"]\n");
    let output = opslint(dir.path()).args(["report", "."]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown rule `mutable-image-tagz`"),
        "{stderr}"
    );
}

/// Writes `files` into `dir`, creating folders.
fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn incident_paths_mark_exports_and_analyses() {
    let dir = project(
        "opslint.toml",
        "incident-paths = [\"ops/records\"]\nselect = [\"incident-without-postmortem\"]\n",
    );
    write_files(
        dir.path(),
        &[
            (
                "ops/records/export.json",
                r#"[{"id": "INC-1", "title": "Checkout down", "severity": "P1", "service": "checkout", "created_at": "2026-03-01T10:00:00Z"},
 {"id": "INC-2", "title": "Search slow", "severity": "P1", "service": "search", "created_at": "2026-03-02T10:00:00Z"}]"#,
            ),
            (
                "ops/records/checkout-down.md",
                "# Checkout down\n\n- Incidents: INC-1\n\n## Summary\n\nCheckout failed.\n\n## Root causes\n\nA bad deploy.\n",
            ),
        ],
    );
    let configured = report(dir.path(), &[]);
    let inventory = &configured["inventory"];
    assert_eq!(inventory["postmortems"].as_array().unwrap().len(), 1);
    assert_eq!(report_rules(&configured), ["incident-without-postmortem"]);
    let locations = configured["principles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|principle| principle["findings"].as_array().unwrap())
        .flat_map(|finding| finding["locations"].as_array().unwrap())
        .map(|location| location["message"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert_eq!(locations.len(), 1, "{locations:?}");
    assert!(locations[0].contains("INC-2"), "{locations:?}");

    // Without the configuration the JSON file is not an incident export.
    let unconfigured = report(dir.path(), &["--no-config"]);
    assert!(
        !report_rules(&unconfigured).contains(&"incident-without-postmortem".to_string()),
        "{:?}",
        report_rules(&unconfigured)
    );
}

/// Creates a project with one incident export, an analysis naming `INC-7`
/// and an `[incident-columns]` table that maps `id` to `id_column`.
fn incident_project(id_column: &str, export: &str) -> tempfile::TempDir {
    let dir = project(
        "opslint.toml",
        &format!(
            "select = [\"incident-without-postmortem\", \"parse-error\"]\n\n\
             [incident-columns]\nid = \"{id_column}\"\n"
        ),
    );
    write_files(
        dir.path(),
        &[
            ("incidents/export.csv", export),
            (
                "postmortems/ingest-api.md",
                "---\nincident_ids: [INC-7]\n---\n# Postmortem: ingest-api 5xx errors\n\n\
                 ## Summary\n\nA release could not reach Kafka.\n\n\
                 ## Root cause\n\nNo readiness probe.\n",
            ),
        ],
    );
    dir
}

#[test]
fn mapped_id_column_links_analyses() {
    let dir = incident_project(
        "Ticket",
        "Ticket,Number,Title,Priority,Status,Service,Created,Resolved\n\
         INC-7,530,ingest-api errors,P1,resolved,ingest-api,2026-03-12T14:02:00Z,2026-03-12T15:10:00Z\n",
    );
    let (found, code) = findings(dir.path(), &[]);
    assert_eq!(found, [], "the analysis names the ticket");
    assert_eq!(code, 0);

    // Without the analysis the finding names the incident by its ticket.
    std::fs::remove_file(dir.path().join("postmortems/ingest-api.md")).unwrap();
    let output = opslint(dir.path()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("warning[incident-without-postmortem]: incident INC-7 (P1, ingest-api)"),
        "{stdout}"
    );
}

#[test]
fn mapped_column_in_no_export_is_noted() {
    let export = "id,title,priority,status,service,created_at,resolved_at\n\
         INC-7,ingest-api errors,P1,resolved,ingest-api,2026-03-12T14:02:00Z,2026-03-12T15:10:00Z\n";
    let dir = incident_project("nonexistent_col", export);
    let output = opslint(dir.path()).arg("check").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "note: `opslint.toml`: `[incident-columns]` maps `id` to the column \
             `nonexistent_col`, but no incident export has that column \
             (`incidents/export.csv`); use a column name from an export's header"
        ),
        "{stderr}"
    );
    // The run goes on with the export's own `id` column.
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("No findings"), "{stdout}");

    // A column that an export has gets no notice.
    let dir = incident_project("ID", export);
    let output = opslint(dir.path()).arg("check").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("incident-columns"), "{stderr}");
}

#[test]
fn record_folders_outside_the_checked_folder_are_read() {
    let dir = project(
        "opslint.toml",
        "adr-paths = [\"records/decisions\"]\nincident-paths = [\"records/none\"]\n",
    );
    // A git work tree, so that a run on `k8s` finds the root's CODEOWNERS.
    write_files(
        dir.path(),
        &[
            (".git/HEAD", "ref: refs/heads/main\n"),
            (
                "records/decisions/0001-accept-latest.md",
                "# 1. Accept the latest tag\n\nStatus: accepted\n\n## Decision\n\n\
                 opslint-accepts: mutable-image-tag\n",
            ),
        ],
    );
    let output = opslint(dir.path())
        .args(["report", "k8s", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "note: the incident path `records/none` (from `incident-paths`) does not exist"
        ),
        "{stderr}"
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["inventory"]["adrs"].as_array().unwrap().len(), 1);
    assert_eq!(json["accepted"][0]["rule"], "mutable-image-tag");

    // A check of `k8s` reads the ADR, so the risk stays accepted, but
    // reports nothing in the ADR's folder.
    let (found, _) = findings(dir.path(), &["k8s"]);
    let rules: Vec<&str> = found.iter().map(|(rule, _)| rule.as_str()).collect();
    assert_eq!(
        rules,
        ["k8s-missing-liveness-probe", "k8s-missing-readiness-probe"]
    );
}

#[test]
fn config_in_checked_folder_is_noted_when_unused() {
    let dir = project("", "");
    write_files(
        dir.path(),
        &[("app/opslint.toml", "ignore = [\"mutable-image-tag\"]\n")],
    );
    let output = opslint(dir.path())
        .args(["check", "app", "--exit-zero"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "note: `app/opslint.toml` is not used: the configuration is looked up from the \
             current folder upwards; run opslint from its folder or pass `--config app/opslint.toml`"
        ),
        "{stderr}"
    );

    let output = opslint(&dir.path().join("app"))
        .args(["check", ".", "--exit-zero"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("is not used"), "{stderr}");
}
