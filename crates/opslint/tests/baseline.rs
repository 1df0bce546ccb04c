//! End-to-end tests of `opslint baseline` and `check --baseline`: the round
//! trip, fingerprints that survive line moves and edits, and bad files.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const WORKLOAD: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: web:latest
          readinessProbe: {httpGet: {path: /, port: 80}}
          livenessProbe: {httpGet: {path: /, port: 80}}
        - name: sidecar
          image: proxy
          readinessProbe: {httpGet: {path: /, port: 81}}
          livenessProbe: {httpGet: {path: /, port: 81}}
";

const TERRAFORM: &str = "resource \"aws_cloudwatch_log_group\" \"app\" {
  name = \"app\"
}
";

fn opslint(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("opslint").unwrap();
    command.current_dir(dir).env("NO_COLOR", "1");
    command
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), WORKLOAD).unwrap();
    std::fs::write(dir.path().join("main.tf"), TERRAFORM).unwrap();
    // Repository-level rules would add findings about the temporary folder
    // itself; these tests are about per-file findings.
    std::fs::write(
        dir.path().join("opslint.toml"),
        "ignore = [\"codeowners-missing\", \"runbooks-missing\", \"resource-missing-owner-tags\"]\n",
    )
    .unwrap();
    dir
}

fn record_baseline(dir: &Path) {
    let output = opslint(dir)
        .args(["baseline", "-o", "opslint-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "Recorded 3 findings in opslint-baseline.json.\n"
    );
}

/// Writes `text` to `path` below `dir`, creating its folders.
fn write_file(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `(rule, path, line)` of the findings reported with the baseline, and
/// the exit code.
fn new_findings(dir: &Path) -> (Vec<(String, String, u64)>, i32) {
    let output = opslint(dir)
        .args([
            "check",
            "--format",
            "json",
            "--baseline",
            "opslint-baseline.json",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (found, output.status.code().unwrap())
}

#[test]
fn baseline_file_lists_fingerprints() {
    let dir = project();
    record_baseline(dir.path());
    let text = std::fs::read_to_string(dir.path().join("opslint-baseline.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["version"], 1);
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "log-retention-unset",
            "mutable-image-tag",
            "mutable-image-tag"
        ]
    );
    assert_eq!(
        json["findings"][0]["fingerprint"].as_str().map(str::len),
        Some(16)
    );
}

#[test]
fn baseline_round_trip_reports_nothing() {
    let dir = project();
    record_baseline(dir.path());
    let (found, code) = new_findings(dir.path());
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(code, 0);
    let text = opslint(dir.path())
        .args(["check", "--baseline", "opslint-baseline.json"])
        .args(["--ignore", "resource-missing-owner-tags"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&text.stdout),
        "No findings in 2 files; 3 in the baseline.\n"
    );
}

#[test]
fn fingerprints_survive_moves_and_edits() {
    let dir = project();
    record_baseline(dir.path());
    // Lines move down, an unrelated value changes, and the containers swap
    // places: every accepted finding must still match.
    let edited = format!(
        "# Web tier of the shop.\n# Owned by the storefront team.\n{}",
        WORKLOAD.replace("replicas: 2", "replicas: 5")
    );
    let web = "        - name: web\n          image: web:latest\n          readinessProbe: {httpGet: {path: /, port: 80}}\n          livenessProbe: {httpGet: {path: /, port: 80}}\n";
    let sidecar = "        - name: sidecar\n          image: proxy\n          readinessProbe: {httpGet: {path: /, port: 81}}\n          livenessProbe: {httpGet: {path: /, port: 81}}\n";
    let swapped = edited.replace(&format!("{web}{sidecar}"), &format!("{sidecar}{web}"));
    assert_ne!(swapped, edited);
    std::fs::write(dir.path().join("web.yaml"), swapped).unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        format!("# Logs.\n\n{TERRAFORM}"),
    )
    .unwrap();
    let (found, code) = new_findings(dir.path());
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(code, 0);
}

#[test]
fn new_finding_is_reported() {
    let dir = project();
    record_baseline(dir.path());
    let added = WORKLOAD.to_string()
        + "        - name: worker\n          image: worker:latest\n          readinessProbe: {tcpSocket: {port: 6379}}\n          livenessProbe: {tcpSocket: {port: 6379}}\n";
    std::fs::write(dir.path().join("web.yaml"), added).unwrap();
    let (found, code) = new_findings(dir.path());
    assert_eq!(
        found,
        [("mutable-image-tag".to_string(), "web.yaml".to_string(), 19)]
    );
    assert_eq!(code, 1);
}

#[test]
fn stale_entries_are_noted() {
    let dir = project();
    record_baseline(dir.path());
    std::fs::remove_file(dir.path().join("main.tf")).unwrap();
    let output = opslint(dir.path())
        .args(["check", "--baseline", "opslint-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("note: 1 baseline entry matched no finding"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn invalid_baseline_is_an_error() {
    let dir = project();
    std::fs::write(dir.path().join("bad.json"), "{\"version\": 1}").unwrap();
    let output = opslint(dir.path())
        .args(["check", "--baseline", "bad.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid baseline bad.json"), "{stderr}");
    assert!(stderr.contains("missing field `findings`"), "{stderr}");
    let output = opslint(dir.path())
        .args(["check", "--baseline", "absent.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn baselined_findings_carry_their_suppression() {
    let dir = project();
    record_baseline(dir.path());
    let output = opslint(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--show-suppressed",
            "--baseline",
            "opslint-baseline.json",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let diagnostics = json["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 3);
    for diagnostic in diagnostics {
        assert_eq!(diagnostic["suppression"]["kind"], "baseline");
        assert_eq!(diagnostic["suppression"]["source"], "opslint-baseline.json");
    }
    assert_eq!(json["summary"]["diagnostics"], 0);

    let output = opslint(dir.path())
        .args([
            "check",
            "--format",
            "sarif",
            "--baseline",
            "opslint-baseline.json",
        ])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        assert_eq!(result["suppressions"][0]["kind"], "external");
    }
}

#[test]
fn step_fingerprints_survive_a_new_step() {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    let workflow = |first_step: &str| {
        format!(
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    timeout-minutes: 10\n    steps:\n{first_step}      - uses: actions/checkout@v4\n      - uses: hashicorp/setup-terraform@v3\n"
        )
    };
    std::fs::write(workflows.join("ci.yml"), workflow("")).unwrap();
    let output = opslint(dir.path())
        .args(["baseline", "--select", "action-not-pinned"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));

    // A new unpinned action before the others is the only new finding.
    std::fs::write(
        workflows.join("ci.yml"),
        workflow("      - uses: someone/new-action@main\n"),
    )
    .unwrap();
    let output = opslint(dir.path())
        .args([
            "check",
            "--select",
            "action-not-pinned",
            "--format",
            "json",
            "--baseline",
            "opslint-baseline.json",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<(String, u64)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["message"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, 7);
    assert!(found[0].0.contains("someone/new-action@main"), "{found:?}");
}

#[test]
fn repository_findings_survive_a_new_first_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), WORKLOAD).unwrap();
    let select = ["--select", "codeowners-missing,runbooks-missing"];
    let output = opslint(dir.path())
        .arg("baseline")
        .args(select)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "Recorded 2 findings in opslint-baseline.json.\n"
    );

    // A deployable file that sorts first moves both findings onto it.
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    std::fs::write(
        dir.path().join("app/docker-compose.yml"),
        "services:\n  api:\n    image: api:1.0\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n",
    )
    .unwrap();
    let output = opslint(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--baseline",
            "opslint-baseline.json",
        ])
        .args(select)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["diagnostics"], serde_json::json!([]));
    assert_eq!(json["summary"]["suppressed"], 2);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn baseline_matches_from_another_folder_of_the_repository() {
    let dir = project();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("k8s")).unwrap();
    std::fs::rename(dir.path().join("web.yaml"), dir.path().join("k8s/web.yaml")).unwrap();
    let output = opslint(dir.path())
        .args(["baseline", "-o", "opslint-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));

    // From the subfolder the paths read `web.yaml`, but the fingerprints
    // hash `k8s/web.yaml` as from the root.
    let output = opslint(&dir.path().join("k8s"))
        .args([
            "check",
            ".",
            "--format",
            "json",
            "--config",
            "../opslint.toml",
            "--baseline",
            "../opslint-baseline.json",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["diagnostics"], serde_json::json!([]));
    assert_eq!(json["summary"]["suppressed"], 2);
    assert_eq!(output.status.code(), Some(0));
}

/// A run on `..` from a subfolder shows paths such as `../main.tf`; the
/// baseline, per-path ignores and excludes still match them.
#[test]
fn parent_folder_run_matches_baseline_and_config() {
    let dir = project();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("k8s")).unwrap();
    std::fs::rename(dir.path().join("web.yaml"), dir.path().join("k8s/web.yaml")).unwrap();
    std::fs::create_dir_all(dir.path().join("vendor")).unwrap();
    std::fs::write(dir.path().join("vendor/main.tf"), TERRAFORM).unwrap();
    let config = "ignore = [\"codeowners-missing\", \"runbooks-missing\", \"resource-missing-owner-tags\"]\n\
                  exclude = [\"vendor\"]\n\n\
                  [per-path-ignores]\n\"main.tf\" = [\"log-retention-unset\"]\n";
    std::fs::write(dir.path().join("opslint.toml"), config).unwrap();
    let output = opslint(dir.path())
        .args(["baseline", "-o", "opslint-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));

    let output = opslint(&dir.path().join("k8s"))
        .args([
            "check",
            "..",
            "--format",
            "json",
            "--show-suppressed",
            "--baseline",
            "../opslint-baseline.json",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut suppressions: Vec<(String, String)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["suppression"]["kind"]
                    .as_str()
                    .unwrap_or("none")
                    .to_string(),
            )
        })
        .collect();
    suppressions.sort();
    assert_eq!(
        suppressions,
        [
            ("../k8s/web.yaml".to_string(), "baseline".to_string()),
            ("../k8s/web.yaml".to_string(), "baseline".to_string()),
            ("../main.tf".to_string(), "config".to_string()),
        ]
    );
    assert_eq!(output.status.code(), Some(0));

    // The text summary counts baselined findings apart.
    let output = opslint(&dir.path().join("k8s"))
        .args(["check", "..", "--baseline", "../opslint-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "No findings in 2 files; 1 suppressed, 2 in the baseline.\n"
    );
}

#[test]
fn baseline_questions_are_not_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let lambda = |name: &str| {
        format!(
            "resource \"aws_lambda_function\" \"{name}\" {{\n  function_name = \"{name}\"\n  tracing_config {{\n    mode = var.mode\n  }}\n}}\n"
        )
    };
    let variable = "variable \"mode\" {}\n";
    std::fs::write(
        dir.path().join("main.tf"),
        format!("{variable}{}", lambda("a")),
    )
    .unwrap();
    let select = ["--select", "lambda-tracing-disabled"];
    let output = opslint(dir.path())
        .arg("baseline")
        .args(select)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let questions = |dir: &Path| -> Vec<String> {
        let output = opslint(dir)
            .args([
                "check",
                "--format",
                "json",
                "--baseline",
                "opslint-baseline.json",
            ])
            .args(select)
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        json["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["question"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(questions(dir.path()), Vec::<String>::new());

    // A question the change raises is asked.
    std::fs::write(
        dir.path().join("main.tf"),
        format!("{variable}{}{}", lambda("a"), lambda("b")),
    )
    .unwrap();
    let asked = questions(dir.path());
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].contains("aws_lambda_function.b"), "{asked:?}");
}

#[test]
fn baseline_leaves_out_expired_and_faulty_suppressions() {
    let dir = project();
    let expired = WORKLOAD.replace(
        "          image: web:latest\n",
        "          image: web:latest # opslint: ignore[mutable-image-tag] until=2020-01-31 pinned soon\n",
    );
    std::fs::write(dir.path().join("web.yaml"), expired).unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        format!("{TERRAFORM}# opslint: ignore[log-retention-unset]\n"),
    )
    .unwrap();

    let output = opslint(dir.path())
        .args(["baseline", "-o", "opslint-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));

    let (found, code) = new_findings(dir.path());
    let rules: Vec<&str> = found.iter().map(|(rule, _, _)| rule.as_str()).collect();
    // The finding whose suppression expired stays reported, and so does the
    // suppression comment that has no reason and suppresses nothing (one
    // finding for each fault).
    assert_eq!(
        rules,
        [
            "invalid-suppression",
            "unused-suppression",
            "mutable-image-tag"
        ],
        "{found:?}"
    );
    assert_eq!(code, 1);
}

#[test]
fn client_fingerprints_survive_moved_lines() {
    let dir = tempfile::tempdir().unwrap();
    let client =
        "import requests\n\n\ndef fetch():\n    return requests.get(\"https://api.example.com\")\n";
    std::fs::write(dir.path().join("client.py"), client).unwrap();
    std::fs::write(
        dir.path().join("opslint.toml"),
        "select = [\"http-client-without-timeout\"]\n",
    )
    .unwrap();

    let output = opslint(dir.path())
        .args(["baseline", "-o", "opslint-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "Recorded 1 finding in opslint-baseline.json.\n"
    );

    // A comment moves the call down a line: it is still the accepted one.
    let moved = format!("# Client of the partner API.\n{client}");
    std::fs::write(dir.path().join("client.py"), &moved).unwrap();
    let (found, code) = new_findings(dir.path());
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(code, 0);

    // A second call of the same function below it is new.
    let added = format!(
        "{moved}\n\ndef fetch_all():\n    return requests.get(\"https://api.example.com/all\")\n"
    );
    std::fs::write(dir.path().join("client.py"), added).unwrap();
    let (found, _) = new_findings(dir.path());
    assert_eq!(
        found,
        [(
            "http-client-without-timeout".to_string(),
            "client.py".to_string(),
            10
        )]
    );

    // So is one added above it: the accepted call keeps its fingerprint.
    let above = format!(
        "import requests\n\n\ndef ping():\n    return requests.get(\"https://api.example.com/ping\")\n\n\n{}",
        client.trim_start_matches("import requests\n\n\n")
    );
    std::fs::write(dir.path().join("client.py"), above).unwrap();
    let (found, _) = new_findings(dir.path());
    assert_eq!(
        found,
        [(
            "http-client-without-timeout".to_string(),
            "client.py".to_string(),
            5
        )]
    );
}

#[test]
fn json_summary_counts_baselined_findings() {
    let dir = project();
    record_baseline(dir.path());
    let output = opslint(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--baseline",
            "opslint-baseline.json",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["summary"]["baselined"], 3);
    assert_eq!(json["summary"]["suppressed"], 3);
    assert_eq!(json["summary"]["diagnostics"], 0);
}

/// A finding set by one environment's call of a shared module stays at that
/// call, with the same fingerprint, when a second environment starts
/// calling the module with a good value.
#[test]
fn module_finding_survives_a_second_caller() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| write_file(dir.path(), path, text);
    write(
        "modules/db/main.tf",
        "variable \"backup_days\" {\n  type = number\n}\n\nresource \"aws_db_instance\" \"this\" {\n  backup_retention_period = var.backup_days\n  deletion_protection     = true\n}\n",
    );
    let call = |days: u32| {
        format!(
            "module \"db\" {{\n  source      = \"../../modules/db\"\n  backup_days = {days}\n}}\n"
        )
    };
    write("envs/staging/main.tf", &call(0));
    write("opslint.toml", "select = [\"database-backups-disabled\"]\n");
    let output = opslint(dir.path()).arg("baseline").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let baseline = std::fs::read_to_string(dir.path().join("opslint-baseline.json")).unwrap();
    assert!(baseline.contains("envs/staging/main.tf"), "{baseline}");

    write("envs/prod/main.tf", &call(14));
    assert_eq!(new_findings(dir.path()), (Vec::new(), 0));
}

/// A finding about an unowned folder keeps its fingerprint when a file
/// added to the folder turns one file into a group or becomes its example.
#[test]
fn unowned_folder_survives_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| write_file(dir.path(), path, text);
    write(".github/CODEOWNERS", "/app/ @acme/backend\n");
    write("app/main.py", "print('app')\n");
    write("worker/consumer.py", "import time\n");
    write("opslint.toml", "select = [\"codeowners-unowned-path\"]\n");
    let output = opslint(dir.path()).arg("baseline").output().unwrap();
    assert_eq!(output.status.code(), Some(0));

    // One unowned file becomes a group of two, then of three with a new
    // example file.
    write("worker/tasks.py", "import json\n");
    assert_eq!(new_findings(dir.path()), (Vec::new(), 0));
    write("worker/codec.py", "import zlib\n");
    assert_eq!(new_findings(dir.path()), (Vec::new(), 0));
}
