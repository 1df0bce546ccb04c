//! End-to-end tests of `opslint report`: formats, the HTML file's
//! self-containment, answers and their errors.

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
    common::TempFolder::new(&format!("report-{name}"))
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
fn input_problems_are_listed_in_every_format() {
    let report = |format: &str| {
        let output = opslint()
            .args(["report", "fixtures/workloads/shop", "--format", format])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        String::from_utf8(output.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&report("json")).unwrap();
    let problems = json["input_problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0]["rule"], "parse-error");
    let location = &problems[0]["locations"][0];
    assert_eq!(
        location["path"],
        "fixtures/workloads/shop/incidents/pagerduty.csv"
    );
    assert_eq!(location["line"], 9);
    // Every counted finding is listed, under a principle or here.
    let listed: usize = json["principles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|principle| principle["findings"].as_array().unwrap())
        .chain(problems)
        .map(|group| group["locations"].as_array().unwrap().len())
        .sum();
    assert_eq!(json["counts"]["findings"].as_u64(), Some(listed as u64));

    let html = report("html");
    assert!(html.contains("<h2 id=\"input-problems\">Input problems</h2>"));
    assert!(html.contains("<code>fixtures/workloads/shop/incidents/pagerduty.csv:9</code>"));
}

#[test]
fn summary_names_the_weakest_principles_first() {
    let output = opslint()
        .args(["report", "fixtures/workloads/shop", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let line = json["summary"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|line| line.starts_with("Needs attention first: "))
        .expect("a line names the weak principles");
    let ratings: Vec<&str> = line
        .split("; ")
        .map(|part| {
            let start = part.rfind('(').expect("a rating in brackets");
            part[start + 1..].trim_end_matches(['.', ')'])
        })
        .collect();
    let first_weak = ratings
        .iter()
        .position(|r| *r == "weak")
        .expect("a weak one");
    assert!(
        ratings[..first_weak].iter().all(|r| *r == "poor"),
        "{ratings:?}"
    );
    assert!(
        ratings[first_weak..].iter().all(|r| *r == "weak"),
        "{ratings:?}"
    );
}

#[test]
fn stray_and_repeated_answers_are_noted() {
    let dir = temp_dir("stray-answers");
    copy_shop(&dir);
    let answer = |id: &str| {
        format!(
            "[[answer]]\nid = \"{id}\"\nanswer = \"Elsewhere.\"\nwho = \"team-sre\"\nreview-by = \"2099-12-31\"\n"
        )
    };
    std::fs::write(
        dir.join("opslint-answers.toml"),
        answer("q-no-alarms") + &answer("q-no-alarms") + &answer("q-does-not-exist"),
    )
    .unwrap();
    let path = dir.to_string_lossy().into_owned();
    let output = opslint().args(["report", &path]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`q-no-alarms` is answered more than once; the last answer counts"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the answer to `q-does-not-exist` matches no question of this report"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("the answer to `q-no-alarms` matches no question"),
        "{stderr}"
    );
    // The report lists them too, for readers who do not see standard error.
    let markdown = String::from_utf8(output.stdout).unwrap();
    let problems = markdown
        .split_once("## Input problems")
        .expect("an Input problems section")
        .1;
    assert!(
        problems.contains("the answer to `q-does-not-exist` matches no question of this report"),
        "{problems}"
    );
}

#[test]
fn html_report_has_the_markdown_figures() {
    let report = |format: &str| {
        let output = opslint()
            .args(["report", "fixtures/workloads/shop", "--format", format])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let html = report("html");
    assert!(
        html.contains("From <code>fixtures/workloads/shop/incidents/pagerduty.csv</code>"),
        "the export is named"
    );
    assert!(html.contains("(7 incidents with both times)"));
    assert!(html.contains("<li>Detection: "));
    assert!(html.contains("<li>Recurring:<ul>"));
    assert!(
        html.contains("best practices OPS"),
        "questions name their best practices"
    );
    // Rule summaries render their code spans, as the Markdown report does.
    assert!(
        html.contains("(error, 1×): <code>terraform apply -auto-approve</code>"),
        "code spans in summaries"
    );
    assert!(!html.contains("(error, 1×): `"), "no raw backticks");
    let markdown = report("markdown");
    for line in [
        "(7 incidents with both times)",
        "- Detection: ",
        "- Recurring:",
    ] {
        assert!(markdown.contains(line), "{line}");
    }
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

#[test]
fn missing_answers_file_is_an_error() {
    let output = opslint()
        .args([
            "report",
            "fixtures/workloads/shop",
            "--answers",
            "fixtures/no-such-answers.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr
            .starts_with("error: the answers file `fixtures/no-such-answers.toml` does not exist"),
        "{stderr}"
    );
}

#[test]
fn markdown_report_of_example_workload() {
    let output = opslint()
        .args(["report", "fixtures/workloads/shop"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let markdown = String::from_utf8(output.stdout).unwrap();
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(repo_root().join("crates/opslint/tests/snapshots"));
    settings.bind(|| insta::assert_snapshot!("report__shop_markdown", markdown));
}

#[test]
fn adr_accepted_risk_is_scoped_to_its_path() {
    let output = opslint()
        .args(["report", "fixtures/workloads/shop", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let accepted = json["accepted"].as_array().unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["rule"], "mutable-image-tag");
    assert_eq!(
        accepted[0]["path"],
        "fixtures/workloads/shop/docker-compose.yml"
    );
    assert_eq!(
        accepted[0]["adr_path"],
        "fixtures/workloads/shop/docs/adr/0004-accept-latest-tag-for-local-postgres.md"
    );
    let open_mutable_tags: Vec<&Value> = json["principles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["findings"].as_array().unwrap())
        .filter(|f| f["rule"] == "mutable-image-tag")
        .flat_map(|f| f["locations"].as_array().unwrap())
        .collect();
    assert_eq!(open_mutable_tags.len(), 1);
    assert_eq!(
        open_mutable_tags[0]["path"],
        "fixtures/workloads/shop/k8s/worker.yaml"
    );
}

#[test]
fn bad_incident_rows_are_reported_and_others_used() {
    let output = opslint()
        .args([
            "check",
            "fixtures/workloads/shop",
            "--format",
            "json",
            "--select",
            "recurring-incident-cause",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let diagnostics = json["diagnostics"].as_array().unwrap();
    let parse_error = diagnostics
        .iter()
        .find(|d| d["rule"] == "parse-error")
        .expect("the unreadable time is reported");
    assert_eq!(
        parse_error["path"],
        "fixtures/workloads/shop/incidents/pagerduty.csv"
    );
    assert_eq!(parse_error["line"], 9);
    assert!(
        parse_error["message"]
            .as_str()
            .unwrap()
            .starts_with("incident 508: cannot read the resolved time `sometime`")
    );
    let recurring = diagnostics
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("storefront"))
        .expect("the row with the bad time still counts");
    assert_eq!(recurring["line"], 9);
}

#[test]
fn adr_dir_adds_a_folder() {
    let dir = temp_dir("adr-dir");
    std::fs::create_dir_all(dir.join("records")).unwrap();
    std::fs::write(
        dir.join("records/0001-use-queues.md"),
        "# 1. Use queues\n\n## Status\n\nAccepted\n\n## Decision\n\nOrders go through SQS.\n",
    )
    .unwrap();
    let path = dir.to_string_lossy().into_owned();
    let adrs = |extra: &[&str]| -> usize {
        let mut args = vec!["report", path.as_str(), "--format", "json"];
        args.extend_from_slice(extra);
        let output = opslint().args(&args).output().unwrap();
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        json["inventory"]["adrs"].as_array().unwrap().len()
    };
    assert_eq!(adrs(&[]), 0);
    assert_eq!(adrs(&["--adr-dir", "records"]), 1);
}

#[test]
fn single_adr_file_skips_link_check() {
    let output = opslint()
        .args([
            "check",
            "fixtures/adr-superseded-link-broken/pass-links/docs/adr/0001-use-jaeger.md",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 0);
}

/// A workload whose name stays template text after rendering from the
/// chart's defaults is listed under its chart's name.
#[test]
fn templated_service_names_show_the_chart() {
    let dir = temp_dir("helm-names");
    let files = [
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: payments\nversion: 0.1.0\n",
        ),
        ("chart/values.yaml", "replicaCount: 2\n"),
        (
            "chart/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"payments.fullname\" . }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n      containers:\n        - name: payments\n          image: payments:1.0.0\n",
        ),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let output = opslint()
        .args(["report", "--format", "json"])
        .arg(&*dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["inventory"]["services"],
        serde_json::json!(["payments"])
    );
}

#[test]
fn report_of_current_folder_is_titled_by_name() {
    let dir = temp_dir("title");
    let shop = dir.join("shop");
    std::fs::create_dir_all(&shop).unwrap();
    std::fs::write(
        shop.join("compose.yaml"),
        "services:\n  web:\n    image: web:1.0.0\n",
    )
    .unwrap();
    let output = opslint()
        .current_dir(&shop)
        .args(["report"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let markdown = String::from_utf8(output.stdout).unwrap();
    assert!(
        markdown.starts_with("# Operational excellence analysis: `shop`\n"),
        "{markdown}"
    );
}

/// Returns the Markdown report of a folder that contains `files`.
fn markdown_report_of(name: &str, files: &[(&str, &str)]) -> String {
    let dir = temp_dir(name);
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let output = opslint().arg("report").arg(&*dir).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn incident_figures_read_on_columns_and_empty_exports() {
    let markdown = markdown_report_of(
        "incident-on-columns",
        &[(
            "incidents/pagerduty.csv",
            "incident_number,title,urgency,service_name,created_on,acknowledged_on,resolved_on\n\
             7,Checkout down,high,checkout,2026-03-01T10:00:00Z,2026-03-01T10:04:00Z,2026-03-01T11:00:00Z\n",
        )],
    );
    assert!(
        markdown.contains("distinct incident, 0 still open."),
        "{markdown}"
    );
    assert!(
        markdown.contains("- Time to acknowledge: mean 4 min"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- Time to resolve: mean 1 h"),
        "{markdown}"
    );

    let markdown = markdown_report_of(
        "incident-header-only",
        &[(
            "incidents/pagerduty.csv",
            "incident_number,title,urgency,service_name,created_on\n",
        )],
    );
    assert!(
        markdown.contains("has no incident rows, so there are no incident figures."),
        "{markdown}"
    );
}

/// A report of one folder of a repository reads the ADRs, runbooks and
/// CODEOWNERS at the repository's root instead of asking for them.
#[test]
fn subfolder_report_reads_repository_records() {
    let dir = temp_dir("subfolder-records");
    let files = [
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("CODEOWNERS", "* @platform-team\n"),
        ("docs/runbooks/api.md", "# API\n\nRestart the pods.\n"),
        (
            "docs/adr/0001-use-postgres.md",
            "# 1. Use PostgreSQL\n\nStatus: accepted\n\n## Decision\n\nWe use PostgreSQL.\n",
        ),
        (
            "services/api/compose.yaml",
            "services:\n  api:\n    image: api:1.0.0\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n",
        ),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let output = opslint()
        .current_dir(dir.join("services/api"))
        .args(["report", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let inventory = &json["inventory"];
    assert_eq!(inventory["adrs"].as_array().unwrap().len(), 1);
    assert_eq!(inventory["runbooks"].as_array().unwrap().len(), 1);
    assert_eq!(inventory["codeowners"].as_array().unwrap().len(), 1);
    let ids: Vec<&str> = json["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"q-no-adrs"), "{ids:?}");
    assert!(!ids.contains(&"q-no-runbooks"), "{ids:?}");
}

/// Runbooks linked from alert rules count: the report does not ask where
/// the runbooks are when `runbooks-missing` found links to them.
#[test]
fn linked_runbooks_are_not_asked_for() {
    let dir = temp_dir("linked-runbooks");
    let files = [
        (
            "k8s/web.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1.0.0\n",
        ),
        (
            "k8s/alerts.yaml",
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: web\nspec:\n  groups:\n    - name: web\n      rules:\n        - alert: WebDown\n          expr: up{job=\"web\"} == 0\n          annotations:\n            runbook_url: https://wiki.example.com/runbooks/web-down\n",
        ),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let output = opslint()
        .args(["report", "--format", "json"])
        .arg(&*dir)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = json["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"q-no-runbooks"), "{ids:?}");
}

/// Each analysis's count of action items and the total in the incident
/// figures agree: items dropped on purpose count in neither, and items
/// without a status are named.
#[test]
fn action_item_counts_agree() {
    let markdown = markdown_report_of(
        "action-items",
        &[
            (
                "incidents/pagerduty.csv",
                "incident_number,title,priority,service_name,created_at\n\
                 42,Checkout errors,P1,checkout,2026-05-02T10:00:00Z\n",
            ),
            (
                "postmortems/2026-05-02-checkout-errors.md",
                "# Checkout errors\n\n- Incidents: 42\n\n## Summary\n\nCheckout failed.\n\n\
                 ## Root causes\n\nA bad deploy.\n\n## Action items\n\n\
                 - [x] Add a canary stage.\n\
                 - [ ] Alert on the payment error rate.\n\
                 - [ ] ~~Rewrite the checkout service~~ (won't do)\n\
                 - Review the deploy checklist.\n",
            ),
        ],
    );
    assert!(
        markdown.contains("| 42 | 1 of 3 (1 without a status) |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- Post-incident action items: 3 in total, 1 open, 1 without a status"),
        "{markdown}"
    );
}

#[test]
fn time_to_resolve_counts_auto_resolved() {
    let markdown = markdown_report_of(
        "auto-resolved",
        &[(
            "incidents/pagerduty.csv",
            "incident_number,title,priority,service_name,created_at,resolved_at,auto_resolved\n\
             1,Checkout down,P1,checkout,2026-03-01T10:00:00Z,2026-03-01T11:00:00Z,false\n\
             2,Disk above 90%,P3,db,2026-03-02T10:00:00Z,2026-03-02T10:10:00Z,true\n",
        )],
    );
    assert!(
        markdown
            .contains("(2 incidents with both times, 1 of them an alert that resolved on its own)"),
        "{markdown}"
    );
}

#[test]
fn managed_datastores_count_for_managed_services() {
    let dir = temp_dir("managed-services");
    std::fs::write(
        dir.join("main.tf"),
        "resource \"aws_db_instance\" \"orders\" {\n  engine = \"postgres\"\n  backup_retention_period = 7\n}\n\nresource \"aws_sqs_queue\" \"jobs\" {\n  name = \"jobs\"\n}\n",
    )
    .unwrap();
    let output = opslint()
        .args(["report", "--format", "json"])
        .arg(&*dir)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let managed = json["principles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "managed-services")
        .expect("the principle is listed")
        .clone();
    assert_eq!(
        managed["basis"],
        "2 checks hold, 0 findings, 0 open questions"
    );
    assert_ne!(managed["rating"], "not assessed");
}

/// The inventory names a shared module's service by its calls and lists
/// the code services, not the module's folder.
#[test]
fn inventory_names_services_by_calls_and_code() {
    let dir = temp_dir("inventory-services");
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "terraform/modules/ecs-service/main.tf",
        "variable \"name\" { type = string }\nresource \"aws_ecs_service\" \"this\" {\n  name = var.name\n}\n",
    );
    write(
        "terraform/envs/prod/main.tf",
        "module \"payments\" {\n  source = \"../../modules/ecs-service\"\n  name   = \"payments\"\n}\nmodule \"ledger\" {\n  source = \"../../modules/ecs-service\"\n  name   = \"ledger\"\n}\n",
    );
    write(
        "services/notifier/Cargo.toml",
        "[package]\nname = \"notifier\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(
        "services/notifier/src/main.rs",
        "use axum::{routing::get, Router};\nasync fn health() -> &'static str { \"ok\" }\nfn app() -> Router { Router::new().route(\"/health\", get(health)) }\n",
    );
    let output = opslint()
        .args(["report", "--format", "json"])
        .arg(&*dir)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["inventory"]["services"],
        serde_json::json!(["ledger", "notifier", "payments"])
    );
}

#[test]
fn managed_services_relate_only_service_decisions() {
    let dir = temp_dir("managed-adrs");
    let decisions = dir.join("docs/decisions");
    std::fs::create_dir_all(&decisions).unwrap();
    let adrs = [
        (
            "0001-record-architecture-decisions.md",
            "Record architecture decisions",
            "We will use Architecture Decision Records, as described by Michael Nygard.",
        ),
        (
            "0002-self-managed-kafka-on-ec2.md",
            "Run Kafka ourselves on EC2",
            "We will run a three-broker Kafka cluster on EC2 from a launch template.",
        ),
        (
            "0003-postgresql-on-rds.md",
            "Use PostgreSQL on Amazon RDS",
            "We will use Amazon RDS for PostgreSQL, Multi-AZ in production.",
        ),
        (
            "0004-opentelemetry-tracing.md",
            "Adopt OpenTelemetry distributed tracing",
            "We will send traces to AWS X-Ray through the ADOT collector.",
        ),
    ];
    for (number, (file, title, decision)) in adrs.iter().enumerate() {
        std::fs::write(
            decisions.join(file),
            format!(
                "# {}. {title}\n\nDate: 2024-01-0{}\n\n## Status\n\nAccepted\n\n## Decision\n\n{decision}\n",
                number + 1,
                number + 1
            ),
        )
        .unwrap();
    }
    let output = opslint()
        .args(["report", dir.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let related = |slug: &str| -> Vec<String> {
        let principle = json["principles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["slug"] == slug)
            .unwrap_or_else(|| panic!("no principle `{slug}`"));
        principle["related_adrs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|adr| adr.as_str().unwrap().to_string())
            .collect()
    };
    let managed = related("managed-services");
    assert!(
        managed.iter().any(|adr| adr.starts_with("ADR 2:")),
        "{managed:?}"
    );
    assert!(
        managed.iter().any(|adr| adr.starts_with("ADR 3:")),
        "{managed:?}"
    );
    assert!(
        !managed.iter().any(|adr| adr.starts_with("ADR 1:")),
        "{managed:?}"
    );
    assert!(
        !managed.iter().any(|adr| adr.starts_with("ADR 4:")),
        "{managed:?}"
    );
    let observability = related("observability");
    assert!(
        observability.iter().any(|adr| adr.starts_with("ADR 4:")),
        "{observability:?}"
    );
}

/// Writes `files` into `dir` and returns the `inventory` of the JSON report
/// of `dir`.
fn inventory_of(dir: &std::path::Path, files: &[(&str, &str)]) -> Value {
    report_of(dir, files)["inventory"].clone()
}

/// Writes `files` into `dir` and returns the JSON report of `dir`.
fn report_of(dir: &std::path::Path, files: &[(&str, &str)]) -> Value {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let output = opslint()
        .args(["report", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    serde_json::from_slice(&output.stdout).unwrap()
}

const SHOP_PYPROJECT: &str = "[project]\nname = \"shop\"\nversion = \"1.0.0\"\n";

const FLASK_APP: &str = "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route(\"/healthz\")\ndef healthz():\n    return \"ok\"\n";

/// One Flask app with a local compose file (a database, a migration job and
/// the app) and the Deployment that runs its image is one service.
#[test]
fn inventory_counts_one_app_once() {
    let dir = temp_dir("inventory-one-app");
    let inventory = inventory_of(
        &dir,
        &[
            ("pyproject.toml", SHOP_PYPROJECT),
            ("app.py", FLASK_APP),
            (
                "Dockerfile",
                "FROM python:3.12-slim\nCOPY app.py .\nCMD [\"flask\", \"run\"]\n",
            ),
            (
                "docker-compose.yml",
                "services:\n  postgres:\n    image: postgres:16\n  migrate:\n    build: .\n    command: [\"alembic\", \"upgrade\", \"head\"]\n  web:\n    build: .\n    depends_on:\n      migrate: {condition: service_completed_successfully}\n",
            ),
            (
                "k8s/web.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/shop:1.0.0\n",
            ),
        ],
    );
    assert_eq!(inventory["services"], serde_json::json!(["shop-web"]));
    assert_eq!(
        inventory["development_dependencies"],
        serde_json::json!(["postgres"])
    );
}

/// A service at the folder's root is named by its package in messages,
/// not by the folder.
#[test]
fn root_service_is_named_by_package() {
    let dir = temp_dir("package-name");
    std::fs::write(dir.join("pyproject.toml"), SHOP_PYPROJECT).unwrap();
    std::fs::write(dir.join("app.py"), FLASK_APP).unwrap();
    let output = opslint()
        .current_dir(&*dir)
        .args([
            "check",
            "--format",
            "json",
            "--select",
            "service-without-metrics",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let messages: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|diagnostic| diagnostic["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        vec!["service `shop` has no metrics instrumentation"]
    );
}

/// A chart named like the Python package (`ingest-api`, `ingest_api`) runs
/// it, and the local compose file's Kafka and PostgreSQL are development
/// dependencies.
#[test]
fn inventory_joins_chart_and_package() {
    let dir = temp_dir("inventory-chart");
    let inventory = inventory_of(
        &dir,
        &[
            (
                "services/ingest_api/pyproject.toml",
                "[project]\nname = \"ingest-api\"\nversion = \"1.0.0\"\ndependencies = [\"fastapi\"]\n",
            ),
            ("services/ingest_api/ingest_api/__init__.py", ""),
            (
                "services/ingest_api/ingest_api/app.py",
                "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get(\"/healthz\")\ndef healthz():\n    return {}\n",
            ),
            ("services/ingest_api/Dockerfile", "FROM python:3.12-slim\n"),
            (
                "charts/ingest-api/Chart.yaml",
                "apiVersion: v2\nname: ingest-api\nversion: 0.1.0\nappVersion: 1.0.0\n",
            ),
            (
                "charts/ingest-api/values.yaml",
                "image:\n  repository: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/ingest-api\n  tag: \"\"\n",
            ),
            (
                "charts/ingest-api/templates/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}\"\n",
            ),
            (
                "docker-compose.yml",
                "services:\n  postgres:\n    image: postgres:16\n  kafka:\n    image: bitnami/kafka:3.7\n  ingest-api:\n    build: services/ingest_api\n",
            ),
        ],
    );
    assert_eq!(inventory["services"], serde_json::json!(["ingest-api"]));
    assert_eq!(
        inventory["development_dependencies"],
        serde_json::json!(["kafka", "postgres"])
    );
}

/// Two Deployments of one codebase and an in-cluster Redis are three
/// services; the compose file beside them is a local setup.
#[test]
fn inventory_counts_workloads_of_a_monolith() {
    let dir = temp_dir("inventory-monolith");
    let deployment = |name: &str, image: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: main\n          image: {image}\n"
        )
    };
    let web = deployment("shopfront-web", "ghcr.io/acme/shopfront:1.0.0");
    let worker = deployment("shopfront-worker", "ghcr.io/acme/shopfront-worker:1.0.0");
    let redis = deployment("redis", "redis:7.2.5");
    let inventory = inventory_of(
        &dir,
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"shopfront\"\nversion = \"2.0.0\"\n",
            ),
            ("app/__init__.py", FLASK_APP),
            (
                "worker/consumer.py",
                "import time\n\nwhile True:\n    time.sleep(1)\n",
            ),
            ("Dockerfile", "FROM python:3.12-slim\n"),
            ("Dockerfile.worker", "FROM python:3.12-slim\n"),
            ("k8s/web.yaml", &web),
            ("k8s/worker.yaml", &worker),
            ("k8s/redis.yaml", &redis),
            (
                "k8s/migrate.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      containers:\n        - name: migrate\n          image: ghcr.io/acme/shopfront:1.0.0\n",
            ),
            (
                "docker-compose.yml",
                "services:\n  postgres:\n    image: postgres:16\n  redis:\n    image: redis:7-alpine\n  migrate:\n    build: .\n    command: [\"alembic\", \"upgrade\", \"head\"]\n  web:\n    build: .\n  worker:\n    build:\n      context: .\n      dockerfile: Dockerfile.worker\n",
            ),
        ],
    );
    assert_eq!(
        inventory["services"],
        serde_json::json!(["redis", "shopfront-web", "shopfront-worker"])
    );
    assert_eq!(
        inventory["development_dependencies"],
        serde_json::json!(["postgres"])
    );
}

/// Where compose is the only deployment, its services count, except a
/// one-shot job and a datastore of a file without a production sign. The
/// code that a compose service builds counts as that service.
#[test]
fn inventory_of_compose_only_repository() {
    let dir = temp_dir("inventory-compose-only");
    let inventory = inventory_of(
        &dir,
        &[
            ("pyproject.toml", SHOP_PYPROJECT),
            ("app.py", FLASK_APP),
            ("Dockerfile", "FROM python:3.12-slim\n"),
            (
                "compose.yaml",
                "services:\n  db:\n    image: postgres:16\n  setup:\n    build: .\n    restart: \"no\"\n  web:\n    build: .\n  proxy:\n    image: traefik:3.6\n",
            ),
            (
                "compose.prod.yaml",
                "services:\n  cache:\n    image: redis:7.2\n  web:\n    restart: always\n",
            ),
        ],
    );
    assert_eq!(
        inventory["services"],
        serde_json::json!(["cache", "proxy", "web"])
    );
    assert_eq!(
        inventory["development_dependencies"],
        serde_json::json!(["db"])
    );
}

/// A strength counts a rule's open questions as checked places that do not
/// pass, and its text gives their number. A rule whose places are mostly
/// open questions is no strength.
#[test]
fn strengths_count_open_questions() {
    let dir = temp_dir("strength-questions");
    let job = |name: &str, tag: &str| {
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: {name}\n          image: registry.example.com/{name}:{tag}\n"
        )
    };
    let jobs: Vec<(String, String)> = [
        ("a", "1.0.1"),
        ("b", "1.0.2"),
        ("c", "1.0.3"),
        ("d", "1.0.4"),
    ]
    .iter()
    .map(|(name, tag)| (format!("k8s/{name}.yaml"), job(name, tag)))
    .collect();
    let mut files: Vec<(&str, &str)> = vec![
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        ),
        (
            "chart/values.yaml",
            "image:\n  repository: registry.example.com/web\n  tag: \"\"\n",
        ),
        (
            "chart/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
        ),
    ];
    files.extend(
        jobs.iter()
            .map(|(path, text)| (path.as_str(), text.as_str())),
    );
    let strengths = |files: &[(&str, &str)]| -> Vec<String> {
        report_of(&dir, files)["principles"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["strengths"].as_array().unwrap().iter())
            .filter_map(|s| s.as_str())
            .filter(|s| s.starts_with("`mutable-image-tag`"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        strengths(&files),
        ["`mutable-image-tag`: 4 of 5 checked places pass, 1 open question"]
    );
    // With two of the four pinned images gone, open questions outweigh.
    std::fs::remove_file(dir.join("k8s/a.yaml")).unwrap();
    std::fs::remove_file(dir.join("k8s/b.yaml")).unwrap();
    assert_eq!(strengths(&[]), Vec::<String>::new());
}
