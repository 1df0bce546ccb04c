//! Architecture Decision Records in the Nygard, MADR (front matter and list
//! metadata), adr-tools and log4brains conventions.

use opslint_core::{SourceFile, Span};

use crate::markdown::{self, Document};

/// Folders that hold ADRs by convention; a path matches when one of them is
/// a run of its folder names.
pub const ADR_FOLDERS: [&str; 5] = [
    "doc/adr",
    "docs/adr",
    "docs/decisions",
    "docs/architecture/decisions",
    "adr",
];

#[derive(Debug, Clone)]
pub struct Adr {
    pub path: String,
    /// From the file name (`0007-use-rds.md`) or the title (`# 7. Use RDS`).
    pub number: Option<u32>,
    pub title: String,
    pub title_span: Span,
    pub status: Option<Status>,
    pub date: Option<String>,
    pub deciders: Vec<String>,
    pub context: String,
    pub decision: String,
    pub consequences: String,
    pub links: Vec<AdrLink>,
    /// Rules whose findings this ADR accepts as a known risk.
    pub accepted_rules: Vec<AcceptedRule>,
}

#[derive(Debug, Clone)]
pub struct AcceptedRule {
    pub rule: String,
    /// Files, folders or globs the acceptance is limited to, from the
    /// repository's root ([`path_matches`]); empty for every file.
    pub paths: Vec<String>,
    pub span: Span,
}

impl AcceptedRule {
    /// Returns whether the acceptance covers a finding of `rule` in `path`.
    pub fn covers(&self, rule: &str, path: &str) -> bool {
        self.rule == rule
            && (self.paths.is_empty() || self.paths.iter().any(|entry| path_matches(entry, path)))
    }
}

/// Returns whether a path entry of an acceptance names `path`: the file
/// itself, a folder that contains it, or a glob such as `k8s/*.yaml`. Entries
/// are written from the repository's root while `path` is relative to the
/// folder of the run, so an entry may match any trailing part of `path`
/// that starts at a `/`.
pub fn path_matches(entry: &str, path: &str) -> bool {
    let entry = entry.trim_start_matches("./");
    let mut tails =
        std::iter::once(path).chain(path.match_indices('/').map(|(at, _)| &path[at + 1..]));
    if entry.contains(['*', '?', '[', '{']) {
        let Ok(glob) = globset::Glob::new(entry) else {
            return false;
        };
        let matcher = glob.compile_matcher();
        return tails.any(|tail| matcher.is_match(tail));
    }
    let entry = entry.trim_end_matches('/');
    !entry.is_empty()
        && tails.any(|tail| {
            tail == entry
                || tail
                    .strip_prefix(entry)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

#[derive(Debug, Clone)]
pub struct Status {
    /// Lower-cased first word: `accepted`, `proposed`, `superseded`...
    pub state: String,
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    SupersededBy,
    Supersedes,
    Amends,
    AmendedBy,
}

#[derive(Debug, Clone)]
pub struct AdrLink {
    pub kind: LinkKind,
    /// The link target as written, relative to the ADR.
    pub target: String,
    pub span: Span,
}

impl Adr {
    pub fn is_accepted(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.state == "accepted")
    }

    pub fn label(&self) -> String {
        match self.number {
            Some(number) => format!("ADR {number}: {}", self.title),
            None => format!("ADR \"{}\"", self.title),
        }
    }

    /// Names the ADR in a message with its title in quotes, so the title's
    /// words do not run into the sentence around it: `ADR 2 "Use Jaeger"`.
    /// `label` stays the form used in logical locations and fingerprints.
    pub fn quoted_label(&self) -> String {
        match self.number {
            Some(number) => format!("ADR {number} \"{}\"", self.title),
            None => format!("ADR \"{}\"", self.title),
        }
    }
}

/// Whether `path` sits in an ADR folder or in `extra_folders`, and its name
/// is not a template, index or README.
pub fn is_adr_path(path: &str, extra_folders: &[String]) -> bool {
    let Some((folder, name)) = path.rsplit_once('/') else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    if !lower.ends_with(".md")
        || lower.contains("template")
        || matches!(lower.as_str(), "index.md" | "readme.md" | "_index.md")
    {
        return false;
    }
    let folder = format!("/{}/", folder.trim_matches('/'));
    ADR_FOLDERS
        .iter()
        .map(|f| (*f).to_string())
        .chain(
            extra_folders
                .iter()
                .map(|f| f.trim_matches('/').to_string()),
        )
        .any(|known| folder.ends_with(&format!("/{known}/")))
}

pub fn parse(file: &SourceFile) -> Adr {
    let doc = markdown::parse(&file.text);
    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    let (title, title_span) = doc
        .title
        .clone()
        .or_else(|| {
            doc.field(&["title"])
                .map(|field| (field.value(), field.span))
        })
        .unwrap_or_else(|| (name.trim_end_matches(".md").to_string(), Span::new(0, 0)));
    let number = number_from_name(name).or_else(|| number_from_title(&title));
    let title = strip_number(&title);

    let mut links = Vec::new();
    let status = status_of(&doc, &file.text, &mut links);
    collect_links(&doc, &file.text, &mut links);

    let date = doc.field(&["date"]).map(|f| f.value());
    let deciders = doc
        .field(&["deciders", "decision-makers", "decision makers"])
        .map(|f| {
            f.values
                .iter()
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default();
    // A heading named exactly wins. Otherwise the first heading below the
    // title that contains a name counts, so that the title "Record
    // architecture decisions" is not read as the Decision section.
    let section_text = |names: &[&str]| {
        doc.section_named(names)
            .or_else(|| {
                doc.sections.iter().find(|section| {
                    let heading = section.heading.to_lowercase();
                    section.level >= 2 && names.iter().any(|name| heading.contains(name))
                })
            })
            .map(|s| s.text.clone())
            .unwrap_or_default()
    };

    Adr {
        path: file.path.clone(),
        number,
        title,
        title_span,
        status,
        date,
        deciders,
        context: section_text(&["context"]),
        decision: section_text(&["decision outcome", "decision"]),
        consequences: section_text(&["consequences"]),
        links,
        accepted_rules: accepted_rules(&doc, &file.text),
    }
}

/// The status from front matter, a `Status:` line or a `## Status` section,
/// and any supersession link written in it.
fn status_of(doc: &Document, text: &str, links: &mut Vec<AdrLink>) -> Option<Status> {
    let (status_text, span) = if let Some(field) = doc.field(&["status"]) {
        let value = field.value();
        // Front matter is not Markdown to the parser, so a link in a
        // `status:` value, as MADR writes it, is read here.
        if let (Some(kind), Some(target)) = (link_kind(&value), markdown_link_target(&value)) {
            links.push(AdrLink {
                kind,
                target,
                span: field.span,
            });
        }
        (value, field.span)
    } else {
        let section = doc.section_named(&["status"])?;
        let first = section.text.lines().find(|line| !line.trim().is_empty())?;
        let raw = &text[section.body.start..section.body.end];
        let offset = section.body.start + raw.find(first.trim()).unwrap_or(0);
        (
            first.trim().to_string(),
            Span::new(offset, offset + first.trim().len()),
        )
    };
    let state = status_text
        .trim_start_matches(['*', '_', '['])
        .split(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("")
        .to_lowercase();
    if state.is_empty() {
        return None;
    }
    if let Some(section) = doc.section_named(&["status"]) {
        for link in doc
            .links
            .iter()
            .filter(|l| section.body.start <= l.span.start && l.span.start < section.body.end)
        {
            if let Some(kind) = link_kind(&status_text) {
                links.push(AdrLink {
                    kind,
                    target: link.target.clone(),
                    span: link.span,
                });
            }
        }
    }
    Some(Status {
        state,
        text: status_text,
        span,
    })
}

/// The first link after "Supersedes", "Superseded by", "Amends" or
/// "Amended by" on a line, in a list item, a paragraph or a Links section.
fn collect_links(doc: &Document, text: &str, links: &mut Vec<AdrLink>) {
    let mut lines_done: Vec<usize> = Vec::new();
    for link in &doc.links {
        let line_start = text[..link.span.start].rfind('\n').map_or(0, |i| i + 1);
        if lines_done.contains(&line_start) {
            continue;
        }
        let before = text[line_start..link.span.start].to_lowercase();
        let Some(kind) = link_kind(&before) else {
            continue;
        };
        lines_done.push(line_start);
        if !links.iter().any(|known| known.span == link.span) {
            links.push(AdrLink {
                kind,
                target: link.target.clone(),
                span: link.span,
            });
        }
    }
}

/// Returns the target of the first `[text](target)` link in `text`.
fn markdown_link_target(text: &str) -> Option<String> {
    let start = text.find("](")? + 2;
    let length = text[start..].find(')')?;
    let target = text[start..start + length].trim();
    (!target.is_empty()).then(|| target.to_string())
}

fn link_kind(text: &str) -> Option<LinkKind> {
    let lower = text.to_lowercase();
    if lower.contains("superseded by") || lower.starts_with("superseded") {
        Some(LinkKind::SupersededBy)
    } else if lower.contains("supersedes") {
        Some(LinkKind::Supersedes)
    } else if lower.contains("amended by") {
        Some(LinkKind::AmendedBy)
    } else if lower.contains("amends") {
        Some(LinkKind::Amends)
    } else {
        None
    }
}

/// Rule ids an ADR accepts: a front matter key `opslint-accepts` or
/// `accepted-risks` (a list), or `opslint-accepts: rule-id [path...]`
/// lines anywhere. Paths limit the acceptance to findings in files whose
/// path ends with one of them.
fn accepted_rules(doc: &Document, text: &str) -> Vec<AcceptedRule> {
    let mut rules = Vec::new();
    for field in doc.front_matter.iter().filter(|f| {
        matches!(
            markdown::normalize_key(&f.key).as_str(),
            "opslintaccepts" | "acceptedrisks"
        )
    }) {
        for value in &field.values {
            for entry in value.split(',') {
                rules.extend(accepted_entry(entry, field.span));
            }
        }
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line
            .trim_start_matches([' ', '-', '*', '<', '!'])
            .trim_start();
        if let Some(rest) = trimmed.strip_prefix("opslint-accepts:")
            && !rest.trim_start().starts_with('[')
            && !doc.front_matter.iter().any(|f| f.span.start == offset)
        {
            let span = Span::new(offset, offset + line.trim_end().len());
            for entry in rest.trim().trim_end_matches("-->").split(',') {
                rules.extend(accepted_entry(entry, span));
            }
        }
        offset += line.len();
    }
    rules
}

fn accepted_entry(entry: &str, span: Span) -> Option<AcceptedRule> {
    let mut words = entry.split_whitespace().map(|w| w.trim_matches('`'));
    let rule = words.next()?.to_string();
    Some(AcceptedRule {
        rule,
        paths: words
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect(),
        span,
    })
}

fn number_from_name(name: &str) -> Option<u32> {
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    // log4brains names start with a date (`20260312-...`), not a number.
    if digits.is_empty() || digits.len() >= 8 {
        return None;
    }
    digits.parse().ok()
}

fn number_from_title(title: &str) -> Option<u32> {
    let rest = title
        .trim()
        .trim_start_matches("ADR")
        .trim_start_matches('-')
        .trim();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() >= 8 {
        return None;
    }
    let after = &rest[digits.len()..];
    if after.starts_with(['.', ':', ' ', '-']) {
        digits.parse().ok()
    } else {
        None
    }
}

fn strip_number(title: &str) -> String {
    if number_from_title(title).is_none() {
        return title.trim().to_string();
    }
    let rest = title
        .trim()
        .trim_start_matches("ADR")
        .trim_start_matches('-')
        .trim();
    rest.trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches(['.', ':', '-'])
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn adr(path: &str, text: &str) -> Adr {
        parse(&SourceFile::new(
            path.into(),
            PathBuf::from(path),
            text.into(),
        ))
    }

    #[test]
    fn nygard_status_section_and_superseded_link() {
        let record = adr(
            "doc/adr/0001-use-x.md",
            "# 1. Use X\n\nDate: 2021-06-14\n\n## Status\n\nSuperseded by [2. Use Y](0002-use-y.md)\n\n## Context\n\nWhy.\n\n## Decision\n\nWe use X.\n\n## Consequences\n\nSome.\n",
        );
        assert_eq!(record.number, Some(1));
        assert_eq!(record.title, "Use X");
        assert_eq!(record.status.as_ref().unwrap().state, "superseded");
        assert_eq!(record.links.len(), 1);
        assert_eq!(record.links[0].kind, LinkKind::SupersededBy);
        assert_eq!(record.links[0].target, "0002-use-y.md");
        assert_eq!(record.decision, "We use X.");
        assert_eq!(record.date.as_deref(), Some("2021-06-14"));
    }

    #[test]
    fn madr_front_matter() {
        let record = adr(
            "docs/decisions/0003-use-rds.md",
            "---\nstatus: accepted\ndate: 2024-01-02\ndecision-makers: a, b\nopslint-accepts: [mutable-image-tag]\n---\n# Use RDS\n\n## Decision Outcome\n\nChosen option: RDS.\n",
        );
        assert_eq!(record.number, Some(3));
        assert!(record.is_accepted());
        assert_eq!(record.deciders, vec!["a", "b"]);
        assert_eq!(record.accepted_rules.len(), 1);
        assert_eq!(record.accepted_rules[0].rule, "mutable-image-tag");
        assert!(record.accepted_rules[0].paths.is_empty());
        assert_eq!(record.decision, "Chosen option: RDS.");
    }

    #[test]
    fn madr_front_matter_status_link() {
        let record = adr(
            "docs/decisions/0003-use-redis.md",
            "---\nstatus: \"superseded by [ADR-0042](0042-use-dynamodb-sessions.md)\"\n---\n# Use Redis\n\n## Decision Outcome\n\nChosen option: Redis.\n",
        );
        assert_eq!(record.links.len(), 1);
        assert_eq!(record.links[0].kind, LinkKind::SupersededBy);
        assert_eq!(record.links[0].target, "0042-use-dynamodb-sessions.md");
    }

    #[test]
    fn log4brains_date_named_file_has_no_number() {
        let record = adr(
            "adr/20260312-adopt-otel.md",
            "# Adopt OTel\n\n- Status: accepted\n- Date: 2026-03-12\n\n## Links\n\n- Supersedes [ADR 1](0001-a.md)\n\nopslint-accepts: mutable-image-tag docker-compose.yml\n",
        );
        assert_eq!(record.accepted_rules.len(), 1);
        assert!(record.accepted_rules[0].covers("mutable-image-tag", "shop/docker-compose.yml"));
        assert!(!record.accepted_rules[0].covers("mutable-image-tag", "shop/k8s/worker.yaml"));
        assert_eq!(record.number, None);
        assert!(record.is_accepted());
        assert_eq!(record.links[0].kind, LinkKind::Supersedes);
    }

    #[test]
    fn supersedes_link_in_a_paragraph() {
        let record = adr(
            "adr/0003-use-rds.md",
            "# 3. Use RDS\n\n## Status\n\nAccepted\n\n## More Information\n\nThis decision supersedes [ADR 2](0002-run-on-ec2.md), and see [docs](x.md).\n",
        );
        assert_eq!(record.links.len(), 1);
        assert_eq!(record.links[0].kind, LinkKind::Supersedes);
        assert_eq!(record.links[0].target, "0002-run-on-ec2.md");
    }

    #[test]
    fn adr_paths() {
        assert!(is_adr_path("x/docs/adr/0001-a.md", &[]));
        assert!(is_adr_path("adr/0001-a.md", &[]));
        assert!(!is_adr_path("docs/adr/template.md", &[]));
        assert!(!is_adr_path("docs/other/0001-a.md", &[]));
        assert!(is_adr_path("docs/other/0001-a.md", &["docs/other".into()]));
    }

    #[test]
    fn acceptance_paths_match_files_folders_and_globs() {
        let cases = [
            ("docker-compose.yml", "docker-compose.yml", true),
            ("docker-compose.yml", "deploy/docker-compose.yml", true),
            ("compose.yml", "docker-compose.yml", false),
            ("services/orders/k8s/", "services/orders/k8s/web.yaml", true),
            ("services/orders/k8s", "services/orders/k8s/web.yaml", true),
            (
                "./services/orders/k8s",
                "services/orders/k8s/web.yaml",
                true,
            ),
            (
                "services/orders/k8s",
                "services/orders/k8s-old/web.yaml",
                false,
            ),
            (
                "services/orders/k8s/*.yaml",
                "services/orders/k8s/web.yaml",
                true,
            ),
            ("services/orders/**", "services/orders/k8s/web.yaml", true),
            (
                "services/orders/k8s/*.yaml",
                "../services/orders/k8s/web.yaml",
                true,
            ),
            (
                "orders/k8s/web.yaml",
                "../services/orders/k8s/web.yaml",
                true,
            ),
            (
                "services/payments/**",
                "services/orders/k8s/web.yaml",
                false,
            ),
            ("", "web.yaml", false),
        ];
        for (entry, path, expected) in cases {
            assert_eq!(path_matches(entry, path), expected, "{entry} on {path}");
        }
    }

    #[test]
    fn title_with_decisions_is_not_the_decision_section() {
        let file = SourceFile::new(
            "docs/adr/0001-record-architecture-decisions.md".into(),
            PathBuf::from("docs/adr/0001-record-architecture-decisions.md"),
            "# 1. Record architecture decisions\n\nDate: 2023-09-01\n\n## Status\n\nAccepted\n\n\
             ## Context\n\nWe need to record the architectural decisions made on this project.\n\n\
             ## Decision\n\nWe will use Architecture Decision Records.\n"
                .into(),
        );
        let adr = parse(&file);
        assert_eq!(
            adr.decision.trim(),
            "We will use Architecture Decision Records."
        );
    }
}
