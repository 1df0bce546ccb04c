//! The analysis as a Markdown document.

use std::fmt::Write;

use super::auto_resolved_clause;
use super::{Analysis, RuleFindings, minutes};

const MAX_LOCATIONS: usize = 8;

pub fn render(analysis: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Operational excellence analysis: `{}`\n",
        analysis.target
    );
    let _ = writeln!(out, "Measured against the {}.\n", analysis.framework);

    out.push_str("## Executive summary\n\n");
    for line in &analysis.summary {
        let _ = writeln!(out, "- {line}");
    }
    out.push('\n');

    out.push_str("| principle | rating | basis |\n| --- | --- | --- |\n");
    for principle in &analysis.principles {
        let _ = writeln!(
            out,
            "| {} | {} {} | {} |",
            principle.title,
            bar(principle.score),
            principle.rating,
            principle.basis
        );
    }
    out.push('\n');

    inventory(&mut out, analysis);

    if !analysis.input_problems.is_empty() || !analysis.answer_problems.is_empty() {
        out.push_str("## Input problems\n\n");
        out.push_str(
            "Files opslint could not read or parse, rules that failed, suppression comments \
             and answers that do not work. The analysis does not cover what they hide.\n\n",
        );
        for group in &analysis.input_problems {
            findings_group(&mut out, group);
        }
        for problem in &analysis.answer_problems {
            let _ = writeln!(out, "- {problem}");
        }
        if !analysis.answer_problems.is_empty() {
            out.push('\n');
        }
    }

    for principle in &analysis.principles {
        let _ = writeln!(out, "## {}\n", principle.title);
        let _ = writeln!(
            out,
            "Rating: **{}** ({}).\n",
            principle.rating, principle.basis
        );
        if !principle.strengths.is_empty() {
            out.push_str("### Strengths\n\n");
            for strength in &principle.strengths {
                let _ = writeln!(out, "- {strength}");
            }
            out.push('\n');
        }
        if !principle.findings.is_empty() {
            out.push_str("### Findings\n\n");
            for group in &principle.findings {
                findings_group(&mut out, group);
            }
        }
        if !principle.related_adrs.is_empty() {
            out.push_str("### Related decisions\n\n");
            for adr in &principle.related_adrs {
                let _ = writeln!(out, "- {adr}");
            }
            out.push('\n');
        }
        if !principle.related_incidents.is_empty() {
            out.push_str("### Related incidents\n\n");
            for incident in &principle.related_incidents {
                let _ = writeln!(out, "- {incident}");
            }
            out.push('\n');
        }
        out.push_str("### Best practices to apply\n\n");
        for practice in &principle.best_practices {
            let _ = writeln!(out, "- {} {}", practice.id, practice.title);
        }
        out.push('\n');
    }

    incident_figures(&mut out, analysis);

    if !analysis.accepted.is_empty() {
        out.push_str("## Accepted risks\n\n");
        for risk in &analysis.accepted {
            let _ = writeln!(
                out,
                "- `{}` at `{}:{}`: {} — accepted by {} (`{}`)",
                risk.rule, risk.path, risk.line, risk.message, risk.adr, risk.adr_path
            );
        }
        out.push('\n');
    }

    questions(&mut out, analysis);
    out
}

/// Writes one rule's findings, at most [`MAX_LOCATIONS`] of them.
fn findings_group(out: &mut String, group: &RuleFindings) {
    let _ = writeln!(
        out,
        "#### `{}` ({}, {}×): {}\n",
        group.rule,
        group.severity,
        group.locations.len(),
        group.summary
    );
    for location in group.locations.iter().take(MAX_LOCATIONS) {
        let _ = writeln!(
            out,
            "- `{}:{}`: {}",
            location.path, location.line, location.message
        );
    }
    if group.locations.len() > MAX_LOCATIONS {
        let _ = writeln!(
            out,
            "- … and {} more; `opslint check --select {}` lists them all",
            group.locations.len() - MAX_LOCATIONS,
            group.rule
        );
    }
    out.push('\n');
}

fn bar(score: u8) -> String {
    let filled = usize::from(score);
    format!("{}{}", "■".repeat(filled), "□".repeat(4 - filled))
}

fn inventory(out: &mut String, analysis: &Analysis) {
    let inventory = &analysis.inventory;
    out.push_str("## Inventory\n\n");
    if inventory.services.is_empty() {
        out.push_str("- Services: none declared in code or infrastructure.\n");
    } else {
        let _ = writeln!(
            out,
            "- Services ({}): {}",
            inventory.services.len(),
            inventory
                .services
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !inventory.development_dependencies.is_empty() {
        let _ = writeln!(
            out,
            "- Development dependencies, started only by local compose files ({}): {}",
            inventory.development_dependencies.len(),
            inventory
                .development_dependencies
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !inventory.incident_services.is_empty() {
        let _ = writeln!(
            out,
            "- Services named by incidents ({}): {}",
            inventory.incident_services.len(),
            inventory
                .incident_services
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let kinds: Vec<String> = inventory
        .artifacts_by_kind
        .iter()
        .map(|(kind, count)| format!("{kind} {count}"))
        .collect();
    let _ = writeln!(out, "- Files by kind: {}", kinds.join(", "));
    let _ = writeln!(
        out,
        "- CODEOWNERS: {}; runbooks: {}; alarms and alert rules: {}",
        if inventory.codeowners.is_empty() {
            "none".to_string()
        } else {
            inventory
                .codeowners
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        inventory.runbooks.len(),
        inventory.alarms
    );
    out.push('\n');
    if !inventory.adrs.is_empty() {
        let _ = writeln!(
            out,
            "### Architecture decisions ({})\n",
            inventory.adrs.len()
        );
        out.push_str("| decision | status | date |\n| --- | --- | --- |\n");
        for adr in &inventory.adrs {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                adr.label.replace('|', "\\|"),
                adr.status.as_deref().unwrap_or("**none**"),
                adr.date.as_deref().unwrap_or("")
            );
        }
        out.push('\n');
    }
    if !inventory.postmortems.is_empty() {
        let _ = writeln!(
            out,
            "### Post-incident analyses ({})\n",
            inventory.postmortems.len()
        );
        out.push_str("| analysis | incidents | open action items |\n| --- | --- | --- |\n");
        for pm in &inventory.postmortems {
            let without_status = if pm.items_without_status > 0 {
                format!(" ({} without a status)", pm.items_without_status)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} of {}{without_status} |",
                pm.title.replace('|', "\\|"),
                pm.incidents.join(", "),
                pm.open_items,
                pm.items
            );
        }
        out.push('\n');
    }
}

fn incident_figures(out: &mut String, analysis: &Analysis) {
    let inventory = &analysis.inventory;
    let figures = &inventory.figures;
    out.push_str("## Incident figures\n\n");
    if inventory.incident_exports.is_empty() {
        out.push_str("No incident export was found, so there are no incident figures.\n\n");
        return;
    }
    if figures.incidents == 0 {
        let _ = writeln!(
            out,
            "{} {} no incident rows, so there are no incident figures.\n",
            inventory
                .incident_exports
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if inventory.incident_exports.len() == 1 {
                "has"
            } else {
                "have"
            }
        );
        return;
    }
    let _ = writeln!(
        out,
        "From {}: {} distinct {}, {} still open.\n",
        inventory
            .incident_exports
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", "),
        figures.incidents,
        if figures.incidents == 1 {
            "incident"
        } else {
            "incidents"
        },
        figures.open_incidents
    );
    out.push_str("| severity | incidents |\n| --- | --- |\n");
    for (severity, count) in &figures.by_severity {
        let _ = writeln!(out, "| {severity} | {count} |");
    }
    out.push_str("\n| service | incidents |\n| --- | --- |\n");
    let mut services: Vec<(&String, &usize)> = figures.by_service.iter().collect();
    services.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (service, count) in services {
        let _ = writeln!(out, "| {service} | {count} |");
    }
    out.push('\n');
    match &figures.mtta {
        Some(d) => {
            let _ = writeln!(
                out,
                "- Time to acknowledge: mean {}, median {} ({} incidents with both times)",
                minutes(d.mean_minutes),
                minutes(d.median_minutes),
                d.incidents
            );
        }
        None => out.push_str(
            "- Time to acknowledge: not measurable, no incident has both a created and an acknowledged time that could be read\n",
        ),
    }
    match &figures.mttr {
        Some(d) => {
            let _ = writeln!(
                out,
                "- Time to resolve: mean {}, median {} ({} incidents with both times{})",
                minutes(d.mean_minutes),
                minutes(d.median_minutes),
                d.incidents,
                auto_resolved_clause(d.auto_resolved)
            );
        }
        None => out
            .push_str("- Time to resolve: not measurable, no incident has both a created and a resolved time that could be read\n"),
    }
    if !figures.detection.is_empty() {
        let sources: Vec<String> = figures
            .detection
            .iter()
            .map(|(s, c)| format!("{s} {c}"))
            .collect();
        let _ = writeln!(out, "- Detection: {}", sources.join(", "));
    }
    let _ = writeln!(
        out,
        "- Post-incident action items: {} in total, {} open, {} without a status",
        figures.action_items, figures.open_action_items, figures.action_items_without_status
    );
    if !figures.recurring.is_empty() {
        out.push_str("- Recurring:\n");
        for recurrence in &figures.recurring {
            let _ = writeln!(
                out,
                "  - `{}`: \"{}\" × {} ({}){}",
                recurrence.service,
                recurrence.title,
                recurrence.numbers.len(),
                recurrence.numbers.join(", "),
                if recurrence.all_auto_resolved {
                    ", resolved on its own every time"
                } else {
                    ""
                }
            );
        }
    }
    out.push('\n');
}

fn questions(out: &mut String, analysis: &Analysis) {
    out.push_str("## Follow-up questions\n\n");
    out.push_str(
        "Answer a question by adding it to `opslint-answers.toml` with `id`, `answer`, `who` and \
         `review-by`; the next report counts the answer as evidence until that date.\n\n",
    );
    let mut any = false;
    for principle in &analysis.principles {
        let own: Vec<_> = analysis
            .questions
            .iter()
            .filter(|q| q.principle == principle.slug)
            .collect();
        if own.is_empty() {
            continue;
        }
        any = true;
        let _ = writeln!(out, "### {}\n", principle.title);
        for question in own {
            let location = question
                .location
                .as_deref()
                .map(|l| format!(" (`{l}`)"))
                .unwrap_or_default();
            let _ = writeln!(out, "- **{}** {}{location}", question.id, question.question);
            let _ = writeln!(
                out,
                "  - why: {}; best practices {}",
                question.reason,
                question.best_practices.join(", ")
            );
            if let Some(answer) = &question.answer {
                if answer.expired {
                    let _ = writeln!(
                        out,
                        "  - answered by {}, but the review-by date {} has passed: please confirm or update: {}",
                        answer.who, answer.review_by, answer.answer
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "  - answered by {} (review by {}): {}",
                        answer.who, answer.review_by, answer.answer
                    );
                }
            }
        }
        out.push('\n');
    }
    if !any {
        out.push_str("None: every rule could decide from the repository.\n\n");
    }
}
