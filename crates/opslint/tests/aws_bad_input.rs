//! Malformed and partly unknown AWS input: broken HCL, unknown intrinsic
//! functions and intrinsics in place of whole property objects. Every rule
//! runs; the only findings allowed are `parse-error`, and a property hidden
//! behind an intrinsic becomes a question, never a finding.

mod common;

use common::{repo_root, run};

fn outcome() -> opslint::Outcome {
    let dir = repo_root().join("crates/opslint/tests/data/aws-bad-input");
    run(&[dir], &[])
}

#[test]
fn broken_hcl_is_a_parse_error_only() {
    let outcome = outcome();
    let broken: Vec<(&str, usize)> = outcome
        .sink
        .diagnostics
        .iter()
        .filter(|d| d.path.ends_with("broken.tf"))
        .map(|d| (d.rule.id, d.start.line))
        .collect();
    assert!(!broken.is_empty(), "expected a parse error");
    assert!(
        broken.iter().all(|(rule, _)| *rule == "parse-error"),
        "findings built on broken HCL: {broken:?}"
    );
}

#[test]
fn intrinsics_give_questions_not_findings() {
    let outcome = outcome();
    let findings: Vec<String> = outcome
        .sink
        .diagnostics
        .iter()
        .filter(|d| !d.path.ends_with("broken.tf") && !d.path.contains("odd-shapes"))
        .map(|d| format!("{}:{} {}", d.path, d.start.line, d.rule.id))
        .collect();
    assert!(
        findings.is_empty(),
        "findings built on a guess: {findings:?}"
    );
    let questions = |location: &str, rule: &str| {
        outcome
            .sink
            .questions
            .iter()
            .any(|q| q.logical_location == location && q.rule.id == rule)
    };
    assert!(questions("Api", "lambda-tracing-disabled"));
    assert!(questions("Worker", "lambda-tracing-disabled"));
    assert!(questions("Logs", "log-retention-unset"));
    assert!(questions("Cluster", "ecs-container-insights-disabled"));
    assert!(questions("Queue", "resource-missing-owner-tags"));
    assert!(questions("Stage", "api-gateway-tracing-disabled"));
    assert!(questions("Stage", "api-gateway-access-logs-disabled"));
    assert!(questions("Tasks", "ecs-container-missing-healthcheck"));
}

#[test]
fn odd_shapes_give_questions_or_nothing() {
    let outcome = outcome();
    let findings: Vec<String> = outcome
        .sink
        .diagnostics
        .iter()
        .filter(|d| d.path.contains("odd-shapes"))
        // Repository-level rules anchor their finding on some file of the run.
        .filter(|d| !matches!(d.rule.id, "codeowners-missing" | "runbooks-missing"))
        .map(|d| format!("{}:{}", d.rule.id, d.start.line))
        .collect();
    // `Properties: null` is valid and means no retention; the list-shaped
    // properties and the computed type give nothing.
    assert_eq!(findings, ["log-retention-unset:7"]);
    let has_question = |location: &str, rule: &str| {
        outcome
            .sink
            .questions
            .iter()
            .any(|q| q.logical_location == location && q.rule.id == rule)
    };
    assert!(has_question(
        "aws_ecs_task_definition.bad_json",
        "ecs-container-missing-healthcheck"
    ));
    assert!(has_question(
        "aws_lambda_function.looped",
        "lambda-tracing-disabled"
    ));
}
