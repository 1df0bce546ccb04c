//! The operational-excellence analysis: rule results, records and answers
//! turned into a rating, strengths, findings, related records, best
//! practices and follow-up questions per design principle. Rendered as
//! Markdown, self-contained HTML or JSON.

mod html;
mod markdown;
pub use opslint_core::waf;

use std::collections::{BTreeMap, BTreeSet};

use opslint_core::{Diagnostic, Evidence, Principle, Question, Severity};
use opslint_records::figures::Figures;
use serde::Serialize;

pub use html::render as render_html;
pub use markdown::render as render_markdown;

/// Everything a run found besides rule results.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    /// Names of deployable workloads in code and infrastructure.
    pub services: Vec<String>,
    /// Datastores and helpers that only local-development compose files
    /// start, by compose service name.
    pub development_dependencies: Vec<String>,
    /// Services named by incidents.
    pub incident_services: BTreeSet<String>,
    pub artifacts_by_kind: BTreeMap<String, usize>,
    pub adrs: Vec<AdrEntry>,
    pub postmortems: Vec<PostmortemEntry>,
    pub incident_exports: Vec<String>,
    pub codeowners: Vec<String>,
    pub runbooks: Vec<String>,
    /// CloudWatch alarms and Prometheus rule objects.
    pub alarms: usize,
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdrEntry {
    pub path: String,
    pub label: String,
    pub status: Option<String>,
    pub date: Option<String>,
    /// The decision's first sentence.
    pub decision: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostmortemEntry {
    pub path: String,
    pub title: String,
    pub date: Option<String>,
    pub incidents: Vec<String>,
    pub open_items: usize,
    /// Action items whose state the analysis does not give.
    pub items_without_status: usize,
    pub items: usize,
}

/// A finding an ADR accepted as a known risk.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptedRisk {
    pub rule: String,
    /// The slug of the rule's principle.
    pub principle: String,
    pub path: String,
    pub line: usize,
    pub message: String,
    pub adr: String,
    pub adr_path: String,
}

/// A team's answer to a follow-up question, from `opslint-answers.toml`.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub id: String,
    pub answer: String,
    pub who: String,
    /// `YYYY-MM-DD`.
    pub review_by: String,
    /// Whether the review-by date has passed, so the question is asked again.
    pub expired: bool,
}

pub struct Input<'a> {
    /// The analysed path as the user gave it.
    pub target: &'a str,
    pub file_count: usize,
    pub diagnostics: &'a [Diagnostic],
    pub questions: &'a [Question],
    pub evidence: &'a [Evidence],
    pub accepted: &'a [AcceptedRisk],
    pub inventory: &'a Inventory,
    pub answers: &'a [Answer],
}

#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub version: u32,
    pub target: String,
    pub framework: &'static str,
    pub summary: Vec<String>,
    pub inventory: Inventory,
    pub principles: Vec<PrincipleSection>,
    pub questions: Vec<QuestionEntry>,
    pub accepted: Vec<AcceptedRisk>,
    /// Findings of opslint itself, such as files it could not read or
    /// parse, which belong to no principle.
    pub input_problems: Vec<RuleFindings>,
    /// Answers that match no question of this report or repeat an id; the
    /// command line fills them in once the questions are known.
    pub answer_problems: Vec<String>,
    pub counts: Counts,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub files: usize,
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub strengths: usize,
    pub open_questions: usize,
    pub answered_questions: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrincipleSection {
    pub slug: &'static str,
    pub title: &'static str,
    /// 0 (no evidence either way) to 4 (strong).
    pub score: u8,
    pub rating: &'static str,
    /// The counts behind the rating, in words.
    pub basis: String,
    pub strengths: Vec<String>,
    pub findings: Vec<RuleFindings>,
    pub related_adrs: Vec<String>,
    pub related_incidents: Vec<String>,
    pub best_practices: Vec<BestPractice>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleFindings {
    pub rule: &'static str,
    pub summary: &'static str,
    pub severity: &'static str,
    pub locations: Vec<Location>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BestPractice {
    pub id: String,
    pub title: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionEntry {
    pub id: String,
    pub principle: &'static str,
    pub question: String,
    pub reason: String,
    pub location: Option<String>,
    pub best_practices: Vec<String>,
    pub answer: Option<Answer>,
}

impl QuestionEntry {
    /// Whether the question still needs an answer: none given, or its
    /// review-by date has passed.
    pub fn is_open(&self) -> bool {
        self.answer.as_ref().is_none_or(|a| a.expired)
    }
}

/// Best practices a principle covers, for sections without findings.
fn principle_practices(principle: Principle) -> &'static [&'static str] {
    match principle {
        Principle::OrganizeTeams => &["OPS02-BP01", "OPS02-BP02", "OPS02-BP03", "OPS02-BP04"],
        Principle::Observability => &["OPS04-BP02", "OPS04-BP05", "OPS08-BP02", "OPS08-BP04"],
        Principle::SafeAutomation => &["OPS05-BP02", "OPS05-BP04", "OPS05-BP10", "OPS07-BP05"],
        Principle::SmallReversibleChanges => {
            &["OPS05-BP09", "OPS06-BP01", "OPS06-BP03", "OPS06-BP04"]
        }
        Principle::RefineProcedures => &["OPS07-BP03", "OPS07-BP04", "OPS10-BP02", "OPS11-BP04"],
        Principle::AnticipateFailure => &["OPS07-BP02", "OPS10-BP01", "OPS10-BP04", "OPS10-BP07"],
        Principle::LearnFromEvents => &["OPS11-BP02", "OPS11-BP03", "OPS11-BP08", "OPS09-BP01"],
        Principle::ManagedServices => &["OPS01-BP06", "OPS05-BP03", "OPS10-BP07"],
    }
}

/// Words that tie an ADR or a post-incident analysis to a principle.
fn principle_words(principle: Principle) -> &'static [&'static str] {
    match principle {
        Principle::OrganizeTeams => &[
            "ownership",
            "codeowners",
            "on-call rotation",
            "escalation policy",
        ],
        Principle::Observability => &[
            "tracing",
            "telemetry",
            "opentelemetry",
            "logging",
            "metric",
            "monitoring",
            "alert",
            "alarm",
            "detected by customers",
            "stale",
        ],
        Principle::SafeAutomation => &["pipeline", "terraform", "automation", "automate", "ci/cd"],
        Principle::SmallReversibleChanges => &[
            "feature flag",
            "blue/green",
            "canary",
            "rollback",
            "roll back",
            "release",
            "deploy",
        ],
        Principle::RefineProcedures => &["runbook", "playbook", "procedure", "checklist"],
        Principle::AnticipateFailure => &[
            "failover",
            "backup",
            "health",
            "timeout",
            "retry",
            "certificate",
            "oom",
            "capacity",
            "expired",
        ],
        Principle::LearnFromEvents => &["incident", "postmortem", "post-incident", "recurr"],
        // A decision belongs here when it chooses how a datastore, queue or
        // compute platform is run: managed by AWS or by the team.
        Principle::ManagedServices => &[
            "managed service",
            "self-run",
            "self-managed",
            "self-hosted",
            "serverless",
            "rds",
            "aurora",
            "dynamodb",
            "msk",
            "kafka",
            "elasticache",
            "redis",
            "memcached",
            "postgresql",
            "mysql",
            "mariadb",
            "mongodb",
            "documentdb",
            "sqs",
            "rabbitmq",
            "amazon mq",
            "opensearch",
            "elasticsearch",
            "ec2",
            "fargate",
            "database",
            "datastore",
            "queue",
            "message broker",
        ],
    }
}

const MISSING_INPUTS: usize = 7;

pub fn build(input: &Input) -> Analysis {
    let answers: BTreeMap<&str, &Answer> =
        input.answers.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut questions: Vec<QuestionEntry> = input
        .questions
        .iter()
        .map(|q| QuestionEntry {
            id: q.id.clone(),
            principle: q.rule.principle.map_or("general", Principle::slug),
            question: q.question.clone(),
            reason: q.reason.clone(),
            location: Some(format!("{}:{}", q.path, q.start.line)),
            best_practices: q.rule.waf.iter().map(|s| (*s).to_string()).collect(),
            answer: answers.get(q.id.as_str()).map(|a| (*a).clone()),
        })
        .collect();
    questions.extend(missing_input_questions(input, &answers));

    let principles: Vec<PrincipleSection> = Principle::ALL
        .iter()
        .map(|principle| principle_section(*principle, input, &questions))
        .collect();

    let tool_diagnostics: Vec<&Diagnostic> = input
        .diagnostics
        .iter()
        .filter(|d| d.rule.principle.is_none())
        .collect();
    let input_problems = group_by_rule(&tool_diagnostics);

    let counts = Counts {
        files: input.file_count,
        findings: input.diagnostics.len(),
        errors: count(input.diagnostics, Severity::Error),
        warnings: count(input.diagnostics, Severity::Warning),
        notes: count(input.diagnostics, Severity::Note),
        strengths: input.evidence.len(),
        open_questions: questions.iter().filter(|q| q.is_open()).count(),
        answered_questions: questions.iter().filter(|q| !q.is_open()).count(),
    };
    let mut summary = executive_summary(input, &principles, &counts);
    // What could not be read or parsed is missing from every figure, so the
    // summary states it right after what was read.
    let unreadable: BTreeSet<&str> = tool_diagnostics
        .iter()
        .filter(|d| matches!(d.rule.id, "parse-error" | "io-error"))
        .map(|d| d.path.as_str())
        .collect();
    if !unreadable.is_empty() {
        summary.insert(
            1,
            format!(
                "{} {} could not be read or parsed in whole or in part, and what was not read is \
                 missing from the figures below; see Input problems.",
                unreadable.len(),
                plural(unreadable.len(), "file", "files"),
            ),
        );
    }
    Analysis {
        version: 1,
        target: input.target.to_string(),
        framework: "AWS Well-Architected Framework, Operational Excellence pillar (2026 release)",
        summary,
        inventory: input.inventory.clone(),
        principles,
        questions,
        accepted: input.accepted.to_vec(),
        input_problems,
        answer_problems: Vec::new(),
        counts,
    }
}

pub fn render_json(analysis: &Analysis) -> String {
    let mut text = serde_json::to_string_pretty(analysis).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

/// Groups findings by rule, the most severe and most frequent rule first.
fn group_by_rule(diagnostics: &[&Diagnostic]) -> Vec<RuleFindings> {
    let mut by_rule: BTreeMap<&str, RuleFindings> = BTreeMap::new();
    for diagnostic in diagnostics {
        // The findings' own severity, which the configuration may have
        // changed from the rule's default.
        let group = by_rule
            .entry(diagnostic.rule.id)
            .or_insert_with(|| RuleFindings {
                rule: diagnostic.rule.id,
                summary: diagnostic.rule.summary,
                severity: diagnostic.severity.as_str(),
                locations: Vec::new(),
            });
        if severity_rank(diagnostic.severity.as_str()) > severity_rank(group.severity) {
            group.severity = diagnostic.severity.as_str();
        }
        group.locations.push(Location {
            path: diagnostic.path.clone(),
            line: diagnostic.start.line,
            message: diagnostic.message.clone(),
        });
    }
    let mut findings: Vec<RuleFindings> = by_rule.into_values().collect();
    findings.sort_by(|a, b| {
        severity_rank(b.severity)
            .cmp(&severity_rank(a.severity))
            .then(b.locations.len().cmp(&a.locations.len()))
    });
    findings
}

fn count(diagnostics: &[Diagnostic], severity: Severity) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .count()
}

/// Questions about inputs the repository lacks: the report cannot rate
/// what it cannot see, so it asks where those records live.
fn missing_input_questions(input: &Input, answers: &BTreeMap<&str, &Answer>) -> Vec<QuestionEntry> {
    let inventory = input.inventory;
    let has_workload = !inventory.services.is_empty();
    let mut missing: Vec<(&str, Principle, String, String, &[&str])> =
        Vec::with_capacity(MISSING_INPUTS);
    if inventory.incident_exports.is_empty() {
        missing.push((
            "q-no-incident-data",
            Principle::LearnFromEvents,
            "Where are incidents recorded (PagerDuty, Opsgenie, Jira, incident.io), and can an export be added so acknowledgement and resolution times and recurring causes can be measured?".into(),
            "the repository contains no incident export".into(),
            &["OPS10-BP01", "OPS11-BP02"],
        ));
    } else if inventory.postmortems.is_empty() {
        missing.push((
            "q-no-postmortems",
            Principle::LearnFromEvents,
            "Where are the post-incident analyses of these incidents kept, and who decides which incidents get one?".into(),
            "incidents are recorded but no post-incident analysis is in the repository".into(),
            &["OPS11-BP02", "OPS11-BP08"],
        ));
    }
    let has_implementation = inventory.artifacts_by_kind.keys().any(|kind| {
        !matches!(
            kind.as_str(),
            "markdown" | "incident-export" | "codeowners" | "yaml" | "json"
        )
    });
    if !has_implementation && !inventory.incident_services.is_empty() {
        let services: Vec<String> = inventory.incident_services.iter().cloned().collect();
        missing.push((
            "q-no-implementation",
            Principle::SafeAutomation,
            format!(
                "The incidents name {}, but the repository holds none of their code, infrastructure or pipelines. Where do they live, so deployment safety, observability and ownership can be checked against these records?",
                list_names(&services)
            ),
            "no code, infrastructure as code or CI/CD configuration was found".into(),
            &["OPS05-BP01", "OPS05-BP03", "OPS05-BP04"],
        ));
    }
    if inventory.codeowners.is_empty() && !has_workload && !inventory.incident_services.is_empty() {
        let services: Vec<String> = inventory.incident_services.iter().cloned().collect();
        missing.push((
            "q-no-owners",
            Principle::OrganizeTeams,
            format!(
                "Which team owns each of {}, who is on call for it, and where is that recorded?",
                list_names(&services)
            ),
            "the repository has no CODEOWNERS file and no code that names owners".into(),
            &["OPS02-BP01", "OPS02-BP03", "OPS10-BP04"],
        ));
    }
    if inventory.adrs.is_empty() {
        missing.push((
            "q-no-adrs",
            Principle::RefineProcedures,
            "Where are architecture decisions and their trade-offs recorded, and who approves them?".into(),
            "the repository contains no architecture decision records".into(),
            &["OPS01-BP06", "OPS05-BP06"],
        ));
    }
    if has_workload && inventory.alarms == 0 {
        missing.push((
            "q-no-alarms",
            Principle::Observability,
            format!(
                "Which alarms or alert rules watch {}, and where are they defined?",
                list_names(&inventory.services)
            ),
            "no CloudWatch alarm or Prometheus rule is defined in the repository".into(),
            &["OPS08-BP04", "OPS10-BP02"],
        ));
    }
    // Alarms and configuration that link runbooks show that they exist, as
    // `runbooks-missing` already counted.
    let runbooks_linked = input
        .evidence
        .iter()
        .any(|evidence| evidence.rule.id == "runbooks-missing");
    if inventory.runbooks.is_empty()
        && !runbooks_linked
        && (has_workload || !inventory.incident_services.is_empty())
    {
        let services: Vec<String> = if has_workload {
            inventory.services.clone()
        } else {
            inventory.incident_services.iter().cloned().collect()
        };
        missing.push((
            "q-no-runbooks",
            Principle::RefineProcedures,
            format!(
                "Where are the runbooks for {}, and when were they last used or rehearsed?",
                list_names(&services)
            ),
            "the repository contains no runbooks or playbooks".into(),
            &["OPS07-BP03", "OPS07-BP04"],
        ));
    }
    missing
        .into_iter()
        .map(
            |(id, principle, question, reason, practices)| QuestionEntry {
                id: id.to_string(),
                principle: principle.slug(),
                question,
                reason,
                location: None,
                best_practices: practices.iter().map(|s| (*s).to_string()).collect(),
                answer: answers.get(id).map(|a| (*a).clone()),
            },
        )
        .collect()
}

fn list_names(names: &[String]) -> String {
    match names.len() {
        0 => "these services".into(),
        1..=4 => names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
        n => format!(
            "{} and {} more services",
            names[..3]
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            n - 3
        ),
    }
}

fn principle_section(
    principle: Principle,
    input: &Input,
    questions: &[QuestionEntry],
) -> PrincipleSection {
    let diagnostics: Vec<&Diagnostic> = input
        .diagnostics
        .iter()
        .filter(|d| d.rule.principle == Some(principle))
        .collect();
    let evidence: Vec<&Evidence> = input
        .evidence
        .iter()
        .filter(|e| e.rule.principle == Some(principle))
        .collect();
    let own_questions: Vec<&QuestionEntry> = questions
        .iter()
        .filter(|q| q.principle == principle.slug())
        .collect();
    let answered = own_questions.iter().filter(|q| !q.is_open()).count();
    let open = own_questions.len() - answered;
    // A risk an ADR accepts is a known weakness that the team decided on:
    // it counts half against the principle and half for it, so that the
    // principle is assessed rather than left without evidence.
    let accepted = input
        .accepted
        .iter()
        .filter(|risk| risk.principle == principle.slug())
        .count();

    let weight: usize = diagnostics
        .iter()
        .map(|d| match d.severity {
            Severity::Error => 3,
            Severity::Warning => 2,
            Severity::Note => 1,
        })
        .sum::<usize>()
        + accepted;
    let positive = evidence.len() + answered + accepted;
    let (score, rating) = if weight == 0 && positive == 0 {
        (0, "not assessed")
    } else {
        let share = positive as f64 / (positive + weight) as f64;
        match share {
            s if s >= 0.85 => (4, "strong"),
            s if s >= 0.6 => (3, "adequate"),
            s if s >= 0.3 => (2, "weak"),
            _ => (1, "poor"),
        }
    };
    let basis = format!(
        "{} {}, {} {}{}, {} open {}",
        evidence.len(),
        plural(evidence.len(), "check holds", "checks hold"),
        diagnostics.len(),
        plural(diagnostics.len(), "finding", "findings"),
        if answered > 0 {
            format!(
                ", {answered} answered {}",
                plural(answered, "question", "questions")
            )
        } else {
            String::new()
        } + &if accepted > 0 {
            format!(
                ", {accepted} {}",
                plural(
                    accepted,
                    "risk accepted by an ADR",
                    "risks accepted by ADRs"
                )
            )
        } else {
            String::new()
        },
        open,
        plural(open, "question", "questions"),
    );

    let mut strengths_by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for item in &evidence {
        *strengths_by_rule.entry(item.rule.id).or_default() += 1;
    }
    // A rule counts as a strength when it passes in at least four of every
    // five places it checks, because "2 of 7 pass" reads as praise. A place
    // with an open question is checked and does not pass.
    let open_ids: std::collections::HashSet<&str> = own_questions
        .iter()
        .filter(|q| q.is_open())
        .map(|q| q.id.as_str())
        .collect();
    let open_by_rule = |rule: &str| {
        input
            .questions
            .iter()
            .filter(|q| q.rule.id == rule && open_ids.contains(q.id.as_str()))
            .count()
    };
    let mut strengths: Vec<String> = strengths_by_rule
        .iter()
        .filter_map(|(rule, passed)| {
            let failed = diagnostics.iter().filter(|d| d.rule.id == *rule).count();
            let unknown = open_by_rule(rule);
            let checked = passed + failed + unknown;
            (passed * 5 >= checked * 4).then(|| {
                let questions = if unknown > 0 {
                    format!(
                        ", {unknown} open {}",
                        plural(unknown, "question", "questions")
                    )
                } else {
                    String::new()
                };
                format!(
                    "`{rule}`: {passed} of {checked} checked {} {}{questions}",
                    plural(checked, "place", "places"),
                    plural(*passed, "passes", "pass")
                )
            })
        })
        .collect();
    for question in own_questions.iter().filter(|q| !q.is_open()) {
        if let Some(answer) = &question.answer {
            strengths.push(format!(
                "answered by {} (review by {}): {} — {}",
                answer.who, answer.review_by, question.question, answer.answer
            ));
        }
    }

    let findings = group_by_rule(&diagnostics);

    let mut practice_ids: Vec<String> = Vec::new();
    for diagnostic in &diagnostics {
        for id in diagnostic.rule.waf {
            if !practice_ids.iter().any(|p| p == id) {
                practice_ids.push((*id).to_string());
            }
        }
    }
    for question in own_questions.iter().filter(|q| q.is_open()) {
        for id in &question.best_practices {
            if !practice_ids.contains(id) {
                practice_ids.push(id.clone());
            }
        }
    }
    if practice_ids.is_empty() {
        practice_ids = principle_practices(principle)
            .iter()
            .map(|s| (*s).to_string())
            .collect();
    }
    let best_practices = practice_ids
        .into_iter()
        .map(|id| BestPractice {
            title: waf::title(&id).unwrap_or(""),
            id,
        })
        .collect();

    PrincipleSection {
        slug: principle.slug(),
        title: principle.title(),
        score,
        rating,
        basis,
        strengths,
        findings,
        related_adrs: related_adrs(principle, input, &diagnostics),
        related_incidents: related_incidents(principle, input, &diagnostics),
        best_practices,
    }
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "error" => 2,
        "warning" => 1,
        _ => 0,
    }
}

/// Returns `, 2 of them alerts that resolved on their own` for the time to
/// resolve, or nothing when it includes none.
fn auto_resolved_clause(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => ", 1 of them an alert that resolved on its own".into(),
        _ => format!(", {count} of them alerts that resolved on their own"),
    }
}

fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

/// Checks whether `text` contains one of `words` at the start of a word, so
/// that `rds` matches "Amazon RDS" but not "records", while `recurr` still
/// matches "recurring".
fn mentions(text: &str, words: &[&str]) -> bool {
    let lower = text.to_lowercase();
    words.iter().any(|word| {
        lower.match_indices(word).any(|(at, _)| {
            lower[..at]
                .chars()
                .next_back()
                .is_none_or(|before| !before.is_alphanumeric())
        })
    })
}

fn related_adrs(principle: Principle, input: &Input, diagnostics: &[&Diagnostic]) -> Vec<String> {
    let words = principle_words(principle);
    input
        .inventory
        .adrs
        .iter()
        .filter(|adr| {
            diagnostics.iter().any(|d| d.path == adr.path)
                || mentions(&format!("{} {}", adr.label, adr.decision), words)
        })
        .map(|adr| {
            format!(
                "{} ({}) — `{}`",
                adr.label,
                adr.status.as_deref().unwrap_or("no status"),
                adr.path
            )
        })
        .collect()
}

fn related_incidents(
    principle: Principle,
    input: &Input,
    diagnostics: &[&Diagnostic],
) -> Vec<String> {
    let words = principle_words(principle);
    let mut related: Vec<String> = input
        .inventory
        .postmortems
        .iter()
        .filter(|pm| diagnostics.iter().any(|d| d.path == pm.path) || mentions(&pm.title, words))
        .map(|pm| {
            let incidents = if pm.incidents.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} {})",
                    plural(pm.incidents.len(), "incident", "incidents"),
                    pm.incidents.join(", ")
                )
            };
            format!("{}{incidents} — `{}`", pm.title, pm.path)
        })
        .collect();
    if principle == Principle::LearnFromEvents {
        for recurrence in &input.inventory.figures.recurring {
            related.push(format!(
                "recurring on `{}`: \"{}\" ({})",
                recurrence.service,
                recurrence.title,
                recurrence.numbers.join(", ")
            ));
        }
    }
    related
}

fn executive_summary(
    input: &Input,
    principles: &[PrincipleSection],
    counts: &Counts,
) -> Vec<String> {
    let inventory = input.inventory;
    let figures = &inventory.figures;
    let mut lines = Vec::new();
    lines.push(format!(
        "opslint read {} {}: {} deployable {}, {} architecture decision {}, {} {} from {} {} and {} post-incident {}.",
        counts.files,
        plural(counts.files, "file", "files"),
        inventory.services.len(),
        plural(inventory.services.len(), "service", "services"),
        inventory.adrs.len(),
        plural(inventory.adrs.len(), "record", "records"),
        figures.incidents,
        plural(figures.incidents, "incident", "incidents"),
        inventory.incident_exports.len(),
        plural(inventory.incident_exports.len(), "export", "exports"),
        inventory.postmortems.len(),
        plural(inventory.postmortems.len(), "analysis", "analyses"),
    ));
    let assessed: Vec<&PrincipleSection> = principles.iter().filter(|p| p.score > 0).collect();
    if assessed.is_empty() {
        lines.push(
            "No principle could be rated: the repository shows neither strengths nor findings."
                .into(),
        );
    } else {
        // Worst first; principles with the same rating keep their order.
        let mut weak: Vec<&&PrincipleSection> = assessed.iter().filter(|p| p.score <= 2).collect();
        weak.sort_by_key(|p| p.score);
        let weakest: Vec<String> = weak
            .iter()
            .map(|p| format!("{} ({})", p.title, p.rating))
            .collect();
        let strongest: Vec<String> = assessed
            .iter()
            .filter(|p| p.score >= 3)
            .map(|p| format!("{} ({})", p.title, p.rating))
            .collect();
        if !weakest.is_empty() {
            lines.push(format!("Needs attention first: {}.", weakest.join("; ")));
        }
        if !strongest.is_empty() {
            lines.push(format!("Holding up: {}.", strongest.join("; ")));
        }
        let not_assessed: Vec<&str> = principles
            .iter()
            .filter(|p| p.score == 0)
            .map(|p| p.title)
            .collect();
        if !not_assessed.is_empty() {
            lines.push(format!(
                "No evidence either way in the repository for {}, so only the team can rate {}.",
                not_assessed.join("; "),
                plural(not_assessed.len(), "it", "them")
            ));
        }
    }
    let mut top: Vec<&RuleFindings> = principles.iter().flat_map(|p| &p.findings).collect();
    top.sort_by(|a, b| {
        severity_rank(b.severity)
            .cmp(&severity_rank(a.severity))
            .then(b.locations.len().cmp(&a.locations.len()))
    });
    if !top.is_empty() {
        let items: Vec<String> = top
            .iter()
            .take(3)
            .map(|f| format!("{} (`{}`, {}×)", f.summary, f.rule, f.locations.len()))
            .collect();
        lines.push(format!(
            "{} {} ({} {}, {} {}, {} {}); the most severe and frequent: {}.",
            counts.findings,
            plural(counts.findings, "finding", "findings"),
            counts.errors,
            plural(counts.errors, "error", "errors"),
            counts.warnings,
            plural(counts.warnings, "warning", "warnings"),
            counts.notes,
            plural(counts.notes, "note", "notes"),
            items.join("; ")
        ));
    }
    if figures.incidents > 0 {
        let mut parts = vec![format!(
            "{} {}, {} still open",
            figures.incidents,
            plural(figures.incidents, "incident", "incidents"),
            figures.open_incidents
        )];
        if let Some(mttr) = &figures.mttr {
            parts.push(format!(
                "median time to resolve {}",
                minutes(mttr.median_minutes)
            ));
        }
        if !figures.recurring.is_empty() {
            parts.push(format!(
                "{} recurring {}",
                figures.recurring.len(),
                plural(figures.recurring.len(), "incident", "incidents")
            ));
        }
        if figures.open_action_items > 0 {
            parts.push(format!(
                "{} of {} post-incident action items open",
                figures.open_action_items, figures.action_items
            ));
        }
        lines.push(format!("Incidents: {}.", parts.join(", ")));
    }
    match input.accepted.len() {
        0 => {}
        1 => lines.push(
            "1 finding is accepted as a known risk by an ADR; it is listed under Accepted \
             risks, not above, and counts half in the ratings."
                .to_string(),
        ),
        count => lines.push(format!(
            "{count} findings are accepted as known risks by ADRs; they are listed under \
             Accepted risks, not above, and count half in the ratings."
        )),
    }
    lines.push(format!(
        "{} follow-up {} an answer from the team{}.",
        counts.open_questions,
        plural(counts.open_questions, "question needs", "questions need"),
        if counts.answered_questions > 0 {
            format!(
                "; {} answered in `opslint-answers.toml`",
                counts.answered_questions
            )
        } else {
            String::new()
        }
    ));
    lines
}

/// Minutes as `42 min` or `3 h 5 min`.
pub fn minutes(value: f64) -> String {
    let total = value.round() as i64;
    if total < 60 {
        format!("{total} min")
    } else {
        format!("{} h {} min", total / 60, total % 60)
    }
}
