//! Validates the SARIF output of the example workload against the official
//! SARIF 2.1.0 schema, when the schema file is available.

mod common;

use std::path::PathBuf;

use assert_cmd::Command;
use common::repo_root;
use serde_json::Value;

/// The official schema is not committed here. It is read from
/// `OPSLINT_SARIF_SCHEMA` or from `../shared/schemas/` beside the checkout.
fn schema_path() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("OPSLINT_SARIF_SCHEMA").map(PathBuf::from),
        Some(repo_root().join("../shared/schemas/sarif-schema-2.1.0.json")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// The schema validator, or `None` outside CI when no schema file exists.
/// In CI (`CI` set) a missing schema fails the test, so validation is never
/// skipped silently there.
fn validator() -> Option<jsonschema::Validator> {
    let Some(path) = schema_path() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the SARIF 2.1.0 schema was not found; set OPSLINT_SARIF_SCHEMA"
        );
        eprintln!("skipping SARIF schema validation: set OPSLINT_SARIF_SCHEMA to the schema file");
        return None;
    };
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Some(jsonschema::validator_for(&schema).expect("the schema compiles"))
}

fn sarif_of(path: &str) -> Value {
    let output = Command::cargo_bin("opslint")
        .unwrap()
        .current_dir(repo_root())
        .args(["check", path, "--format", "sarif"])
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).expect("SARIF is JSON")
}

#[test]
fn example_workload_sarif_is_valid() {
    let Some(validator) = validator() else {
        return;
    };
    let sarif = sarif_of("fixtures/workloads/shop");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF is invalid: {errors:#?}");
}

#[test]
fn invalid_sarif_is_rejected() {
    let Some(validator) = validator() else {
        return;
    };
    let mut sarif = sarif_of("fixtures/workloads/shop");
    assert!(validator.is_valid(&sarif));
    sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert!(!validator.is_valid(&sarif));
}

#[test]
fn sarif_results_follow_github_rules() {
    let sarif = sarif_of("fixtures/workloads/shop");
    let run = &sarif["runs"][0];
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    // 35 findings, and the risk that ADR 4 accepts as a dismissed result.
    assert_eq!(results.len(), 36);
    let dismissed: Vec<&Value> = results
        .iter()
        .filter(|result| result.get("suppressions").is_some())
        .collect();
    assert_eq!(dismissed.len(), 1);
    assert_eq!(dismissed[0]["ruleId"], "mutable-image-tag");
    let suppression = &dismissed[0]["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert_eq!(suppression["properties"]["opslintKind"], "adr");
    assert_eq!(
        suppression["properties"]["source"],
        "fixtures/workloads/shop/docs/adr/0004-accept-latest-tag-for-local-postgres.md"
    );
    for result in results {
        let location = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(location["uriBaseId"], "%SRCROOT%");
        assert!(
            location["uri"]
                .as_str()
                .unwrap()
                .starts_with("fixtures/workloads/shop/")
        );
        assert!(result["partialFingerprints"]["opslint/v1"].is_string());
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    let probe = rules
        .iter()
        .find(|r| r["id"] == "k8s-missing-readiness-probe")
        .unwrap();
    assert!(
        probe["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## How to fix")
    );
    let tags: Vec<&str> = probe["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tags.contains(&"principle:anticipate-failure"));
    assert!(probe["properties"].get("security-severity").is_none());
}

#[test]
fn suppressed_results_are_valid_sarif() {
    let dir = common::TempFolder::new("sarif-suppressed");
    std::fs::write(
        dir.join("job.yaml"),
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      containers:\n        - name: j\n          # opslint: ignore[mutable-image-tag] until=2999-01-01 built per run\n          image: j:latest\n",
    )
    .unwrap();
    let output = Command::cargo_bin("opslint")
        .unwrap()
        .current_dir(&dir)
        .args(["check", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["suppressions"][0]["justification"], "built per run");
    assert_eq!(
        result["suppressions"][0]["properties"]["until"],
        "2999-01-01"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "job.yaml"
    );
    if let Some(validator) = validator() {
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "SARIF is invalid: {errors:#?}");
    }
}

#[test]
fn rule_tags_stay_within_github_limits() {
    let sarif = sarif_of("fixtures/workloads/shop");
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(tags.len() <= 20, "{} has {} tags", rule["id"], tags.len());
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
}
