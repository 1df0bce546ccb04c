use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::records::{
    adrs, contains_word, first_dependency_mentioning, first_mentioning, implementation,
    superseded_by_others,
};

pub struct AdrDecisionNotEvident;

pub static META: RuleMeta = RuleMeta {
    id: "adr-decision-not-evident",
    principle: Some(Principle::RefineProcedures),
    waf: &["OPS11-BP04", "OPS05-BP06", "OPS06-BP03"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Markdown],
    summary: "accepted decision that the code and infrastructure do not show",
    what_it_checks: "Accepted ADRs whose title or decision chooses distributed tracing, a \
        deployment strategy (blue/green, canary, circuit breaker, automatic rollback), \
        feature flags or a managed database, compared with the code and infrastructure of \
        the run. When those files exist and none shows the mechanism, the ADR is reported. \
        When the run has no code or infrastructure at all, the rule asks where it lives.",
    why_it_matters: "An accepted decision that was never carried out misleads everyone who \
        reads the records: reviewers assume a safety net (rollback, tracing) that production \
        does not have.",
    how_to_fix: "Implement the decision, for example enable the ECS deployment circuit \
        breaker with `rollback = true`, or change the ADR's status to proposed or deprecated \
        if the team decided otherwise.",
    known_limits: "The comparison looks for the mechanism's usual names in files \
        (`deployment_circuit_breaker`, `CodeDeploy`, `opentelemetry`, `aws_db_instance`...), \
        dependency manifests included, not at which service uses it. Mechanisms configured outside the repository, such as \
        a feature-flag service set up by hand, are asked about only when the run has no \
        code or infrastructure. A decision that removes a mechanism (\"remove\", \"drop\", \
        \"retire\", \"not\", \"instead of\" before its name in the same clause) is not read as \
        adopting it. Neither is a plan for later, with \"later\", \"eventually\", \"plan \
        to\" or \"next year\" anywhere in the clause. Other wordings of removal or of a plan, such \
        as \"in Q3 we switch to Amazon RDS\", are read as adopting it.",
};

/// A mechanism an ADR can decide on: words that name it in a decision and
/// words that show it in code or infrastructure (all lower case).
struct Topic {
    name: &'static str,
    decision_words: &'static [&'static str],
    evidence: &'static [&'static str],
}

const TOPICS: [Topic; 4] = [
    Topic {
        name: "distributed tracing",
        decision_words: &[
            "opentelemetry",
            "x-ray",
            "jaeger",
            "distributed tracing",
            "tracing",
        ],
        evidence: &[
            "tracing_config",
            "tracing: active",
            "opentelemetry",
            "otel",
            "aws-xray",
            "xray",
            "jaeger",
            "adot",
        ],
    },
    Topic {
        name: "a safe deployment strategy",
        decision_words: &[
            "blue/green",
            "blue-green",
            "canary",
            "circuit breaker",
            "automatic rollback",
            "roll back automatically",
        ],
        evidence: &[
            "deployment_circuit_breaker",
            "deploymentcircuitbreaker",
            "codedeploy",
            "deploymentpreference",
            "blue_green",
            "bluegreen",
            "canary",
            "argoproj.io",
            "flagger",
        ],
    },
    Topic {
        name: "feature flags",
        decision_words: &[
            "feature flag",
            "feature toggle",
            "launchdarkly",
            "unleash",
            "appconfig",
            "openfeature",
        ],
        evidence: &[
            "launchdarkly",
            "unleash",
            "appconfig",
            "flagsmith",
            "openfeature",
            "feature_flag",
            "featureflag",
            "feature-flag",
        ],
    },
    Topic {
        name: "a managed database",
        decision_words: &["amazon rds", "aws rds", "rds", "aurora", "dynamodb"],
        evidence: &[
            "aws_db_instance",
            "aws_rds_cluster",
            "aws::rds::",
            "aws_dynamodb_table",
            "aws::dynamodb::",
        ],
    },
];

impl Rule for AdrDecisionNotEvident {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let has_implementation = implementation(workspace).next().is_some();
        let superseded = superseded_by_others(workspace);
        for (artifact, adr) in adrs(workspace) {
            // A decision that a newer ADR supersedes need not be in place.
            if !adr.is_accepted() || superseded.contains(&adr.path) {
                continue;
            }
            let decided = format!("{}\n{}", adr.title, adr.decision).to_lowercase();
            for topic in &TOPICS {
                let Some(word) = topic
                    .decision_words
                    .iter()
                    .find(|word| adopts(&decided, word))
                else {
                    continue;
                };
                let location = format!("{}/{}", adr.label(), topic.name);
                if !has_implementation {
                    sink.unclear(
                        &META,
                        &artifact.file,
                        adr.title_span,
                        location,
                        format!(
                            "{} decides on {} ({word}): where is it implemented, and is it in production?",
                            adr.quoted_label(),
                            topic.name
                        ),
                        "the run contains no code or infrastructure to compare the decision with",
                    );
                    continue;
                }
                if first_mentioning(workspace, topic.evidence).is_some()
                    || first_dependency_mentioning(workspace, topic.evidence).is_some()
                {
                    sink.holds(&META, &artifact.file, location);
                    continue;
                }
                sink.violation(
                    &META,
                    &artifact.file,
                    adr.title_span,
                    location,
                    format!(
                        "{} is accepted and decides on {} ({word}), but no code or infrastructure file shows it",
                        adr.quoted_label(),
                        topic.name
                    ),
                    "not in the code or infrastructure",
                )
                .help = Some(
                    "implement the decision, or set the ADR's status to proposed or deprecated".into(),
                );
            }
        }
    }
}

/// Words that, before a topic's word in the same clause, turn the decision
/// into one against it, as in "Remove OpenFeature" or "We will not use
/// Amazon RDS".
const REJECTION_WORDS: [&str; 18] = [
    "remove",
    "drop",
    "stop using",
    "retire",
    "decommission",
    "no longer",
    "get rid of",
    "phase out",
    "deprecate",
    "not ",
    "n't ",
    "never ",
    "instead of",
    "rather than",
    "avoid",
    "reject",
    "against",
    "without",
];

/// Words that make a clause a plan for later rather than a decision taken
/// now, wherever they stand in it, as in "we will move to Amazon RDS later"
/// or "we plan to adopt canary releases".
const DEFERRAL_WORDS: [&str; 16] = [
    "later",
    "eventually",
    "in the future",
    "future work",
    "plan to",
    "plans to",
    "planning to",
    "we may ",
    "might ",
    "consider",
    "revisit",
    "next quarter",
    "next year",
    "follow-up",
    "once we",
    "not yet",
];

/// Returns whether the lower-cased decision text names `word` in a clause
/// that does not reject it first and does not defer it. "We adopt feature flags" adopts them;
/// "drop feature flags" and "we will not use Amazon RDS; we run PostgreSQL
/// ourselves" do not. A clause ends at a sentence or clause mark or at
/// "so", "but" and "and", so "we cannot stop deploys, so we adopt canary
/// releases" still adopts canary releases.
fn adopts(decided: &str, word: &str) -> bool {
    // Most decisions do not name most words, so the split into clauses is
    // skipped for them.
    if !decided.contains(word) {
        return false;
    }
    decided
        .split(['.', ';', ',', ':', '\n', '(', ')'])
        .flat_map(|part| part.split(" so ").flat_map(|part| part.split(" but ")))
        .flat_map(|part| part.split(" and "))
        .any(|clause| {
            contains_word(clause, word)
                && clause.find(word).is_some_and(|at| {
                    let before = &clause[..at];
                    !REJECTION_WORDS
                        .iter()
                        .any(|rejects| before.contains(rejects))
                })
                && !DEFERRAL_WORDS
                    .iter()
                    .any(|defers| contains_word(clause, defers.trim_end()))
        })
}

#[cfg(test)]
mod tests {
    use super::adopts;

    #[test]
    fn adopting_words_adopt() {
        assert!(adopts("we adopt canary releases for the api", "canary"));
        assert!(adopts(
            "we cannot stop deploys, so we adopt canary releases",
            "canary"
        ));
        assert!(adopts(
            "we run postgresql ourselves instead of aurora\nwe move orders to amazon rds",
            "amazon rds"
        ));
    }

    #[test]
    fn plans_for_later_do_not_adopt() {
        assert!(!adopts("we will move to amazon rds later", "amazon rds"));
        assert!(!adopts(
            "for now we run postgresql; we plan to adopt amazon rds",
            "amazon rds"
        ));
        assert!(!adopts(
            "eventually we may introduce feature flags",
            "feature flag"
        ));
        assert!(adopts(
            "we move to amazon rds; we will revisit aurora later",
            "amazon rds"
        ));
    }

    #[test]
    fn rejecting_words_do_not_adopt() {
        assert!(!adopts(
            "we will not use amazon rds; we run postgresql ourselves",
            "amazon rds"
        ));
        assert!(!adopts("we don't use feature flags", "feature flag"));
        assert!(!adopts(
            "we run postgresql ourselves instead of amazon rds",
            "amazon rds"
        ));
        assert!(!adopts(
            "remove openfeature and the flag checks",
            "openfeature"
        ));
        assert!(!adopts(
            "rather than canary releases, we deploy at night",
            "canary"
        ));
        assert!(!adopts(
            "we decided against amazon rds because of cost",
            "amazon rds"
        ));
    }
}
