//! The analysis as one self-contained HTML file: inline CSS and an inline
//! SVG chart of the eight ratings, no scripts and no external resources.

use std::fmt::Write;

use super::{Analysis, RuleFindings, minutes};

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}\
h1{font-size:1.6rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}h3{font-size:1.05rem;margin-bottom:.3rem}\
code{background:#f3f4f6;padding:0 .25rem;border-radius:3px;font-size:.9em}table{border-collapse:collapse;margin:.5rem 0}\
td,th{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left;vertical-align:top}th{background:#f6f8fa}\
.rating{font-weight:600}.r0{color:#57606a}.r1{color:#cf222e}.r2{color:#bc4c00}.r3{color:#9a6700}.r4{color:#1a7f37}\
.qid{font-family:monospace;font-size:.85em;color:#57606a}.muted{color:#57606a}li{margin:.15rem 0}";

const COLORS: [&str; 5] = ["#afb8c1", "#cf222e", "#bc4c00", "#d4a72c", "#1a7f37"];

pub fn render(analysis: &Analysis) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<title>Operational excellence analysis: {}</title>",
        escape(&analysis.target)
    );
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(
        out,
        "<h1>Operational excellence analysis: <code>{}</code></h1>",
        escape(&analysis.target)
    );
    let _ = writeln!(
        out,
        "<p class=\"muted\">Measured against the {}.</p>",
        escape(analysis.framework)
    );

    out.push_str("<h2>Executive summary</h2>\n<ul>\n");
    for line in &analysis.summary {
        let _ = writeln!(out, "<li>{}</li>", inline(line));
    }
    out.push_str("</ul>\n");
    chart(&mut out, analysis);

    inventory(&mut out, analysis);
    if !analysis.input_problems.is_empty() || !analysis.answer_problems.is_empty() {
        out.push_str(
            "<h2 id=\"input-problems\">Input problems</h2>\n<p>Files opslint could not read or \
             parse, rules that failed, suppression comments and answers that do not work. The \
             analysis does not cover what they hide.</p>\n",
        );
        for group in &analysis.input_problems {
            findings_group(&mut out, group);
        }
        list(&mut out, "", &analysis.answer_problems);
    }
    for principle in &analysis.principles {
        let _ = writeln!(
            out,
            "<h2 id=\"{}\">{}</h2>",
            principle.slug,
            escape(principle.title)
        );
        let _ = writeln!(
            out,
            "<p>Rating: <span class=\"rating r{}\">{}</span> <span class=\"muted\">({})</span></p>",
            principle.score,
            principle.rating,
            escape(&principle.basis)
        );
        list(&mut out, "Strengths", &principle.strengths);
        if !principle.findings.is_empty() {
            out.push_str("<h3>Findings</h3>\n");
            for group in &principle.findings {
                findings_group(&mut out, group);
            }
        }
        list(&mut out, "Related decisions", &principle.related_adrs);
        list(&mut out, "Related incidents", &principle.related_incidents);
        let practices: Vec<String> = principle
            .best_practices
            .iter()
            .map(|p| format!("{} {}", p.id, p.title))
            .collect();
        list(&mut out, "Best practices to apply", &practices);
    }
    figures(&mut out, analysis);
    if !analysis.accepted.is_empty() {
        let risks: Vec<String> = analysis
            .accepted
            .iter()
            .map(|r| {
                format!(
                    "`{}` at `{}:{}`: {} — accepted by {} (`{}`)",
                    r.rule, r.path, r.line, r.message, r.adr, r.adr_path
                )
            })
            .collect();
        out.push_str("<h2>Accepted risks</h2>\n");
        list(&mut out, "", &risks);
    }
    questions(&mut out, analysis);
    out.push_str("</body>\n</html>\n");
    out
}

fn chart(out: &mut String, analysis: &Analysis) {
    let row = 30;
    let label_width = 360;
    let bar_width = 320;
    let height = row * analysis.principles.len() + 30;
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"Rating per principle, 0 to 4\" font-family=\"system-ui,sans-serif\" font-size=\"13\">",
        label_width + bar_width + 110
    );
    for step in 0..=4 {
        let x = label_width + bar_width * step / 4;
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{}\" stroke=\"#d0d7de\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#57606a\">{step}</text>",
            height - 22,
            height - 6
        );
    }
    for (index, principle) in analysis.principles.iter().enumerate() {
        let y = index * row;
        let width = bar_width * usize::from(principle.score) / 4;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{label_width}\" y=\"{}\" width=\"{}\" height=\"18\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" fill=\"#57606a\">{}</text>",
            label_width - 8,
            y + 18,
            escape(principle.title),
            y + 5,
            width.max(2),
            COLORS[usize::from(principle.score).min(4)],
            label_width + width.max(2) + 6,
            y + 18,
            principle.rating
        );
    }
    out.push_str("</svg>\n");
}

fn inventory(out: &mut String, analysis: &Analysis) {
    let inventory = &analysis.inventory;
    out.push_str("<h2>Inventory</h2>\n<ul>\n");
    let services = if inventory.services.is_empty() {
        "none declared in code or infrastructure".to_string()
    } else {
        inventory
            .services
            .iter()
            .map(|s| format!("<code>{}</code>", escape(s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(out, "<li>Services: {services}</li>");
    if !inventory.development_dependencies.is_empty() {
        let dependencies: Vec<String> = inventory
            .development_dependencies
            .iter()
            .map(|s| format!("<code>{}</code>", escape(s)))
            .collect();
        let _ = writeln!(
            out,
            "<li>Development dependencies, started only by local compose files: {}</li>",
            dependencies.join(", ")
        );
    }
    if !inventory.incident_services.is_empty() {
        let named: Vec<String> = inventory
            .incident_services
            .iter()
            .map(|s| format!("<code>{}</code>", escape(s)))
            .collect();
        let _ = writeln!(
            out,
            "<li>Services named by incidents: {}</li>",
            named.join(", ")
        );
    }
    let kinds: Vec<String> = inventory
        .artifacts_by_kind
        .iter()
        .map(|(k, c)| format!("{k} {c}"))
        .collect();
    let _ = writeln!(out, "<li>Files by kind: {}</li>", escape(&kinds.join(", ")));
    let _ = writeln!(
        out,
        "<li>CODEOWNERS: {}; runbooks: {}; alarms and alert rules: {}</li>\n</ul>",
        if inventory.codeowners.is_empty() {
            "none".to_string()
        } else {
            escape(&inventory.codeowners.join(", "))
        },
        inventory.runbooks.len(),
        inventory.alarms
    );
    if !inventory.adrs.is_empty() {
        out.push_str("<h3>Architecture decisions</h3>\n<table><tr><th>decision</th><th>status</th><th>date</th></tr>\n");
        for adr in &inventory.adrs {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                inline(&adr.label),
                escape(adr.status.as_deref().unwrap_or("none")),
                escape(adr.date.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</table>\n");
    }
    if !inventory.postmortems.is_empty() {
        out.push_str("<h3>Post-incident analyses</h3>\n<table><tr><th>analysis</th><th>incidents</th><th>open action items</th></tr>\n");
        for pm in &inventory.postmortems {
            let without_status = if pm.items_without_status > 0 {
                format!(" ({} without a status)", pm.items_without_status)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{} of {}{without_status}</td></tr>",
                inline(&pm.title),
                escape(&pm.incidents.join(", ")),
                pm.open_items,
                pm.items
            );
        }
        out.push_str("</table>\n");
    }
}

fn figures(out: &mut String, analysis: &Analysis) {
    let inventory = &analysis.inventory;
    let figures = &inventory.figures;
    out.push_str("<h2>Incident figures</h2>\n");
    if inventory.incident_exports.is_empty() {
        out.push_str("<p>No incident export was found, so there are no incident figures.</p>\n");
        return;
    }
    let exports: Vec<String> = inventory
        .incident_exports
        .iter()
        .map(|path| format!("<code>{}</code>", escape(path)))
        .collect();
    if figures.incidents == 0 {
        let _ = writeln!(
            out,
            "<p>{} {} no incident rows, so there are no incident figures.</p>",
            exports.join(", "),
            if exports.len() == 1 { "has" } else { "have" }
        );
        return;
    }
    let _ = writeln!(
        out,
        "<p>From {}: {} distinct {}, {} still open.</p>",
        exports.join(", "),
        figures.incidents,
        if figures.incidents == 1 {
            "incident"
        } else {
            "incidents"
        },
        figures.open_incidents
    );
    out.push_str("<table><tr><th>severity</th><th>incidents</th></tr>\n");
    for (severity, count) in &figures.by_severity {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{count}</td></tr>",
            escape(severity)
        );
    }
    out.push_str("</table>\n<table><tr><th>service</th><th>incidents</th></tr>\n");
    // The same order as the Markdown report: most incidents first.
    let mut services: Vec<(&String, &usize)> = figures.by_service.iter().collect();
    services.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (service, count) in services {
        let _ = writeln!(out, "<tr><td>{}</td><td>{count}</td></tr>", escape(service));
    }
    out.push_str("</table>\n<ul>\n");
    match &figures.mtta {
        Some(d) => {
            let _ = writeln!(
                out,
                "<li>Time to acknowledge: mean {}, median {} ({} incidents with both times)</li>",
                minutes(d.mean_minutes),
                minutes(d.median_minutes),
                d.incidents
            );
        }
        None => out.push_str(
            "<li>Time to acknowledge: not measurable, no incident has both a created and an acknowledged time that could be read</li>\n",
        ),
    }
    match &figures.mttr {
        Some(d) => {
            let _ = writeln!(
                out,
                "<li>Time to resolve: mean {}, median {} ({} incidents with both times{})</li>",
                minutes(d.mean_minutes),
                minutes(d.median_minutes),
                d.incidents,
                super::auto_resolved_clause(d.auto_resolved)
            );
        }
        None => out.push_str(
            "<li>Time to resolve: not measurable, no incident has both a created and a resolved time that could be read</li>\n",
        ),
    }
    if !figures.detection.is_empty() {
        let sources: Vec<String> = figures
            .detection
            .iter()
            .map(|(source, count)| format!("{} {count}", escape(source)))
            .collect();
        let _ = writeln!(out, "<li>Detection: {}</li>", sources.join(", "));
    }
    let _ = writeln!(
        out,
        "<li>Post-incident action items: {} in total, {} open, {} without a status</li>",
        figures.action_items, figures.open_action_items, figures.action_items_without_status
    );
    if !figures.recurring.is_empty() {
        out.push_str("<li>Recurring:<ul>\n");
        for recurrence in &figures.recurring {
            let _ = writeln!(
                out,
                "<li><code>{}</code>: \"{}\" × {} ({}){}</li>",
                escape(&recurrence.service),
                escape(&recurrence.title),
                recurrence.numbers.len(),
                escape(&recurrence.numbers.join(", ")),
                if recurrence.all_auto_resolved {
                    ", resolved on its own every time"
                } else {
                    ""
                }
            );
        }
        out.push_str("</ul></li>\n");
    }
    out.push_str("</ul>\n");
}

fn questions(out: &mut String, analysis: &Analysis) {
    out.push_str("<h2>Follow-up questions</h2>\n<p class=\"muted\">Answer in <code>opslint-answers.toml</code> with <code>id</code>, <code>answer</code>, <code>who</code> and <code>review-by</code>.</p>\n");
    for principle in &analysis.principles {
        let own: Vec<_> = analysis
            .questions
            .iter()
            .filter(|q| q.principle == principle.slug)
            .collect();
        if own.is_empty() {
            continue;
        }
        let _ = writeln!(out, "<h3>{}</h3>\n<ul>", escape(principle.title));
        for question in own {
            let location = question
                .location
                .as_deref()
                .map(|l| format!(" <code>{}</code>", escape(l)))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<li><span class=\"qid\">{}</span> {}{location} <span class=\"muted\">(why: {}; \
                 best practices {})</span>",
                escape(&question.id),
                inline(&question.question),
                inline(&question.reason),
                escape(&question.best_practices.join(", "))
            );
            if let Some(answer) = &question.answer {
                let state = if answer.expired {
                    "review-by date passed"
                } else {
                    "answered"
                };
                let _ = write!(
                    out,
                    "<br><em>{state}</em> by {} (review by {}): {}",
                    escape(&answer.who),
                    escape(&answer.review_by),
                    inline(&answer.answer)
                );
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n");
    }
}

/// Writes one rule's findings, at most eight of them.
fn findings_group(out: &mut String, group: &RuleFindings) {
    let _ = writeln!(
        out,
        "<p><code>{}</code> ({}, {}×): {}</p>\n<ul>",
        group.rule,
        group.severity,
        group.locations.len(),
        inline(group.summary)
    );
    for location in group.locations.iter().take(8) {
        let _ = writeln!(
            out,
            "<li><code>{}:{}</code>: {}</li>",
            escape(&location.path),
            location.line,
            inline(&location.message)
        );
    }
    if group.locations.len() > 8 {
        let _ = writeln!(
            out,
            "<li class=\"muted\">… and {} more</li>",
            group.locations.len() - 8
        );
    }
    out.push_str("</ul>\n");
}

fn list(out: &mut String, heading: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    if !heading.is_empty() {
        let _ = writeln!(out, "<h3>{}</h3>", escape(heading));
    }
    out.push_str("<ul>\n");
    for item in items {
        let _ = writeln!(out, "<li>{}</li>", inline(item));
    }
    out.push_str("</ul>\n");
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escapes `text` and turns Markdown code spans into `<code>`.
fn inline(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::new();
    let mut open = false;
    for (index, part) in escaped.split('`').enumerate() {
        if index > 0 {
            out.push_str(if open { "</code>" } else { "<code>" });
            open = !open;
        }
        out.push_str(part);
    }
    if open {
        out.push_str("</code>");
    }
    out
}
