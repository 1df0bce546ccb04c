//! Post-incident analyses in Markdown: the incidents they cover, root cause,
//! detection and action items.

use opslint_core::{SourceFile, Span};

use crate::incidents::Incident;
use crate::markdown::Document;

const FOLDERS: [&str; 8] = [
    "postmortems",
    "post-mortems",
    "postmortem",
    "post-incident",
    "post-incident-reviews",
    "incident-reviews",
    "incidents",
    "retrospectives",
];

/// Section headings a post-incident analysis has; two of them make a
/// Markdown file one.
const SECTIONS: [&str; 9] = [
    "summary",
    "impact",
    "root cause",
    "contributing factor",
    "trigger",
    "detection",
    "resolution",
    "action item",
    "timeline",
];

#[derive(Debug, Clone)]
pub struct Postmortem {
    pub path: String,
    pub title: String,
    pub title_span: Span,
    pub date: Option<String>,
    pub status: Option<String>,
    pub severity: Option<String>,
    /// Incident references as written: `2118`, `PD-2143`, `PagerDuty 2134`.
    pub incident_refs: Vec<String>,
    pub services: Vec<String>,
    /// `None` when there is no root cause or contributing factors section.
    pub root_cause: Option<String>,
    pub detection: Option<(String, Span)>,
    pub action_items: Vec<ActionItem>,
    /// Whether the action items section exists at all.
    pub has_action_section: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    Done,
    Open,
    /// Decided against (`Won't do`).
    Dropped,
    /// The item states no status.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct ActionItem {
    pub text: String,
    pub span: Span,
    pub state: ItemState,
}

impl Postmortem {
    /// Returns whether this analysis names `incident` by any identifier its
    /// export gives it: the id, the number, or the number of its twin in
    /// another tool.
    pub fn covers(&self, incident: &Incident) -> bool {
        [&incident.id, &incident.number, &incident.related]
            .into_iter()
            .any(|identifier| self.names(identifier))
    }

    /// Returns whether one of the incident references names `identifier`.
    ///
    /// A reference names it when it is the identifier, ignoring ASCII case,
    /// or when one of its words is. A word counts only for an identifier
    /// with a digit, so that an id such as `abc` links when it is the whole
    /// reference but not from a word of a sentence. A number, or a key such
    /// as `OPS-12`, also matches a reference word with the same number:
    /// `2143`, `PD-2143` and `PagerDuty 2143` all name incident 2143.
    pub fn names(&self, identifier: &str) -> bool {
        let identifier = identifier.trim();
        if identifier.is_empty() {
            return false;
        }
        let has_digit = identifier.chars().any(|c| c.is_ascii_digit());
        let number = key_number(identifier);
        self.incident_refs.iter().any(|reference| {
            if reference
                .trim_matches(|c: char| c.is_whitespace() || c == '`')
                .eq_ignore_ascii_case(identifier)
            {
                return true;
            }
            reference_words(reference).any(|word| {
                (has_digit && word.eq_ignore_ascii_case(identifier))
                    || number.is_some_and(|number| key_number(word) == Some(number))
            })
        })
    }

    pub fn open_items(&self) -> impl Iterator<Item = &ActionItem> {
        self.action_items
            .iter()
            .filter(|item| item.state == ItemState::Open)
    }
}

/// Splits a reference into words at anything but letters, digits, `-` and
/// `_`: `PagerDuty #2143 (Q2INGEST5X)` gives `PagerDuty`, `2143` and
/// `Q2INGEST5X`.
fn reference_words(reference: &str) -> impl Iterator<Item = &str> {
    reference
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .map(|word| word.trim_matches(['-', '_']))
        .filter(|word| !word.is_empty())
}

/// Returns the number of an identifier shaped like an incident number or a
/// tracker key: digits after letters and at most one `-` or `_`. `2143`,
/// `PD-2143` and `INC0002143` give `2143`, without leading zeros. Other
/// shapes, such as the PagerDuty id `PT4KHLK` or the date `2026-01-04`, give
/// `None`, so their digits never match an incident number.
fn key_number(identifier: &str) -> Option<&str> {
    let digits_start = identifier
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(identifier.len());
    let (prefix, digits) = identifier.split_at(digits_start);
    let letters = prefix.strip_suffix(['-', '_']).unwrap_or(prefix);
    if digits.is_empty()
        || !digits.chars().all(|c| c.is_ascii_digit())
        || !letters.chars().all(|c| c.is_alphabetic())
    {
        return None;
    }
    Some(digits.trim_start_matches('0')).filter(|number| !number.is_empty())
}

/// Returns whether a Markdown file is a post-incident analysis: by folder or
/// name, or by lying under a configured incident path, confirmed by at least
/// two of the usual sections.
pub fn is_postmortem(path: &str, doc: &Document, in_incident_path: bool) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if name.contains("template") || name == "readme.md" || name == "index.md" {
        return false;
    }
    let by_path = in_incident_path
        || lower.contains("postmortem")
        || lower.contains("post-mortem")
        || lower.contains("post-incident")
        || FOLDERS.iter().any(|f| lower.contains(&format!("{f}/")));
    let sections = SECTIONS
        .iter()
        .filter(|name| {
            doc.sections
                .iter()
                .any(|s| s.level >= 2 && s.heading.to_lowercase().contains(*name))
        })
        .count();
    (by_path && sections >= 2) || sections >= 5
}

/// Words that templates put before the subject of an analysis's title.
const TITLE_PREFIXES: [&str; 7] = [
    "post-incident analysis:",
    "post-incident review:",
    "postmortem:",
    "post-mortem:",
    "incident review:",
    "incident report:",
    "retrospective:",
];

/// Returns the subject of a title: "Postmortem: checkout errors" gives
/// "checkout errors", since messages quote the title as the incident's name.
fn subject(title: &str) -> String {
    let lower = title.to_lowercase();
    TITLE_PREFIXES
        .iter()
        .find(|prefix| lower.starts_with(*prefix))
        .and_then(|prefix| title.get(prefix.len()..))
        .map(str::trim)
        .filter(|rest| !rest.is_empty())
        .unwrap_or(title)
        .to_string()
}

pub fn parse(file: &SourceFile, doc: &Document) -> Postmortem {
    let (title, title_span) = doc.title.clone().unwrap_or_else(|| {
        (
            file.path
                .rsplit('/')
                .next()
                .unwrap_or(&file.path)
                .to_string(),
            Span::new(0, 0),
        )
    });
    let title = subject(&title);
    let incident_refs = doc
        .field(&["incident_ids", "incidents", "incident", "incident ids"])
        .map(|field| {
            field
                .values
                .iter()
                .flat_map(|value| value.split(','))
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let services = doc
        .field(&["services", "service", "affected services"])
        .map(|field| {
            field
                .values
                .iter()
                .flat_map(|value| value.split(','))
                .map(|value| value.trim().trim_matches('`').to_string())
                .filter(|value| !value.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let root_cause = doc
        .section(&["root cause", "contributing factor", "causes"])
        .map(|section| section.text.clone());
    // A `## Detection` section, else a header field such as
    // `Detected by: customer support ticket`.
    let detection = doc
        .section(&["detection", "how was it detected"])
        .map(|section| (section.text.clone(), section.span))
        .or_else(|| {
            doc.field(&["detected by", "detection", "detected", "detection method"])
                .map(|field| (field.value(), field.span))
        });
    let action_section = doc.section(&["action item", "follow-up", "corrective action"]);
    let mut action_items = Vec::new();
    if let Some(section) = action_section {
        for item in doc.items_in(section.body) {
            action_items.push(ActionItem {
                text: first_line(&item.text),
                span: first_line_span(&file.text, item.span),
                state: match item.checked {
                    Some(true) => ItemState::Done,
                    // An unchecked box whose text states that the item was decided
                    // against, such as `- [ ] ~~Page the manager~~ (won't do)`.
                    Some(false)
                        if state_from_text(&item.text) == ItemState::Dropped
                            || states_dropped(&item.text) =>
                    {
                        ItemState::Dropped
                    }
                    Some(false) => ItemState::Open,
                    None => state_from_text(&item.text),
                },
            });
        }
        for table in doc.tables_in(section.body) {
            let status_column = table
                .header
                .iter()
                .position(|h| h.to_lowercase().contains("status"));
            let action_column = table
                .header
                .iter()
                .position(|h| {
                    let h = h.to_lowercase();
                    h.contains("action") || h.contains("item") || h.contains("task")
                })
                .unwrap_or(0);
            for (cells, span) in &table.rows {
                let state = status_column
                    .and_then(|i| cells.get(i))
                    .map_or(ItemState::Unknown, |s| state_word(s));
                action_items.push(ActionItem {
                    text: cells.get(action_column).cloned().unwrap_or_default(),
                    span: *span,
                    state,
                });
            }
        }
    }
    Postmortem {
        path: file.path.clone(),
        title,
        title_span,
        date: doc.field(&["date"]).map(|f| f.value()),
        status: doc.field(&["status"]).map(|f| f.value()),
        severity: doc.field(&["severity"]).map(|f| f.value()),
        incident_refs,
        services,
        root_cause,
        detection,
        action_items,
        has_action_section: action_section.is_some(),
    }
}

/// The item's first line without a leading status word (`Done:`, `Open:`).
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let lower = line.to_lowercase();
    for prefix in ["done:", "open:", "in progress:", "todo:", "won't do:"] {
        if lower.starts_with(prefix) {
            return line[prefix.len()..].trim().to_string();
        }
    }
    line.to_string()
}

fn first_line_span(text: &str, span: Span) -> Span {
    let end = text[span.start..span.end]
        .find('\n')
        .map_or(span.end, |i| span.start + i);
    Span::new(span.start, end)
}

/// Reads `Status: done`, `**Open**: ...` and `(in progress)` in an item.
fn state_from_text(text: &str) -> ItemState {
    let lower = text.to_lowercase();
    if let Some((_, rest)) = lower.split_once("status:") {
        return state_word(rest);
    }
    let head = lower.trim_start_matches(['*', '_', '[', ' ']);
    for word in [
        "done",
        "open",
        "in progress",
        "todo",
        "to do",
        "won't do",
        "wont do",
    ] {
        if head.starts_with(word) {
            return state_word(word);
        }
    }
    ItemState::Unknown
}

/// Returns whether an item's text states anywhere that it was decided
/// against.
fn states_dropped(text: &str) -> bool {
    let lower = text.to_lowercase();
    [
        "won't do",
        "wont do",
        "won’t do",
        "(dropped)",
        "(cancelled)",
        "(canceled)",
    ]
    .iter()
    .any(|phrase| lower.contains(phrase))
}

fn state_word(text: &str) -> ItemState {
    let lower = text.trim().trim_matches(['*', '_']).to_lowercase();
    if lower.starts_with("done")
        || lower.starts_with("complete")
        || lower.starts_with("closed")
        || lower.starts_with("fixed")
        || lower.starts_with("resolved")
    {
        ItemState::Done
    } else if lower.starts_with("won")
        || lower.starts_with("dropped")
        || lower.starts_with("cancel")
    {
        ItemState::Dropped
    } else if lower.starts_with("open")
        || lower.starts_with("in progress")
        || lower.starts_with("todo")
        || lower.starts_with("to do")
        || lower.starts_with("planned")
        || lower.starts_with("blocked")
    {
        ItemState::Open
    } else {
        ItemState::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn postmortem(text: &str) -> Postmortem {
        let file = SourceFile::new(
            "postmortems/a.md".into(),
            PathBuf::from("a.md"),
            text.into(),
        );
        let doc = crate::markdown::parse(text);
        assert!(is_postmortem(&file.path, &doc, false));
        parse(&file, &doc)
    }

    #[test]
    fn unchecked_item_decided_against_is_dropped() {
        let pm = postmortem(
            "# Outage\n\n## Summary\n\nx\n\n## Root Causes\n\ny\n\n## Action Items\n\n- [ ] ~~Page the release manager~~ (won't do)\n- [ ] Add an alarm\n",
        );
        let states: Vec<ItemState> = pm.action_items.iter().map(|i| i.state).collect();
        assert_eq!(states, vec![ItemState::Dropped, ItemState::Open]);
    }

    #[test]
    fn checkbox_numbered_and_table_items() {
        let pm = postmortem(
            "---\nincident_ids: [2118]\n---\n# Outage\n\n## Summary\n\nx\n\n## Root Causes\n\ny\n\n## Action Items\n\n- [x] a\n- [ ] b\n1. c. Status: done\n2. d. Status: open\n\n| Action | Status |\n| --- | --- |\n| e | In progress |\n| f | Won't do |\n",
        );
        let states: Vec<ItemState> = pm.action_items.iter().map(|i| i.state).collect();
        assert_eq!(
            states,
            vec![
                ItemState::Done,
                ItemState::Open,
                ItemState::Done,
                ItemState::Open,
                ItemState::Open,
                ItemState::Dropped
            ]
        );
        assert!(pm.names("2118"));
        assert!(pm.root_cause.is_some());
    }

    #[test]
    fn prefixed_references_and_bullet_states() {
        let pm = postmortem(
            "# Outage\n\n- Incidents: PD-2143, OG-36\n\n## Impact\n\nx\n\n## Action items\n\n- **Done**: a\n- **Open**: b\n- c\n",
        );
        assert!(pm.names("2143"));
        assert!(pm.names("36"));
        assert!(pm.names("OG-36"));
        assert!(!pm.names("37"));
        assert!(pm.root_cause.is_none());
        let states: Vec<ItemState> = pm.action_items.iter().map(|i| i.state).collect();
        assert_eq!(
            states,
            vec![ItemState::Done, ItemState::Open, ItemState::Unknown]
        );
    }

    #[test]
    fn exact_ids_of_any_shape_are_named() {
        let pm = postmortem(
            "---\nincident_ids: [Q2KJ3B9XL0ZQ5W, q1kafka01, PABCDEFG, abc, def-9, PT4KHLK]\n---\n# Outage\n\n## Summary\n\nx\n\n## Root Causes\n\ny\n",
        );
        for id in [
            "Q2KJ3B9XL0ZQ5W",
            "Q1KAFKA01",
            "pabcdefg",
            "ABC",
            "def-9",
            "PT4KHLK",
        ] {
            assert!(pm.names(id), "{id} is named");
        }
        assert!(!pm.names("Q2KJ3B9XL0ZQ5"));
        assert!(!pm.names(""));
    }

    #[test]
    fn ids_among_words_need_a_digit() {
        let pm = postmortem(
            "# Outage\n\n- Incidents: PagerDuty Q2INGEST5X (the abc outage)\n\n## Summary\n\nx\n\n## Impact\n\ny\n",
        );
        assert!(pm.names("Q2INGEST5X"));
        assert!(pm.names("q2ingest5x"));
        assert!(!pm.names("abc"));
        assert!(!pm.names("outage"));
    }

    #[test]
    fn digits_match_only_number_shapes() {
        let pm = postmortem(
            "# Outage\n\n- Incidents: PD-2143, PT4KHLK, INC0000530 (2026-01-04)\n\n## Summary\n\nx\n\n## Impact\n\ny\n",
        );
        assert!(pm.names("2143"));
        assert!(pm.names("OPS-2143"));
        assert!(pm.names("530"));
        assert!(pm.names("INC-530"));
        // The digits of an opaque id or a date are no incident number.
        assert!(!pm.names("4"));
        assert!(!pm.names("2026"));
        assert!(!pm.names("1"));
        assert!(!pm.names("P4"));
        assert!(!pm.names("PT4KHLL"));
    }

    #[test]
    fn incident_is_covered_by_id_or_number() {
        let by_id = postmortem(
            "---\nincident_ids: [Q2INGEST5X]\n---\n# Outage\n\n## Summary\n\nx\n\n## Root Causes\n\ny\n",
        );
        let by_number = postmortem(
            "---\nincident_ids: [530]\n---\n# Outage\n\n## Summary\n\nx\n\n## Root Causes\n\ny\n",
        );
        let source = SourceFile::new(
            "incidents/pagerduty.json".into(),
            PathBuf::from("pagerduty.json"),
            r#"{"incidents": [{"id": "Q2INGEST5X", "incident_number": 530, "title": "t",
                "priority": "P1", "created_at": "2026-03-12T14:02:00Z"},
                {"id": "Q3OTHER7Y", "incident_number": 531, "title": "u",
                "priority": "P1", "created_at": "2026-03-13T14:02:00Z"}]}"#
                .into(),
        );
        let export =
            crate::incidents::read_json(&source, &crate::incidents::Mapping::new()).unwrap();
        let [first, second] = &export.incidents[..] else {
            panic!("two incidents expected: {:?}", export.incidents);
        };
        assert_eq!(first.id, "Q2INGEST5X");
        assert_eq!(first.number, "530");
        assert!(by_id.covers(first));
        assert!(by_number.covers(first));
        assert!(!by_id.covers(second));
        assert!(!by_number.covers(second));
    }

    #[test]
    fn title_prefixes_are_left_out() {
        assert_eq!(
            subject("Post-incident analysis: nightly reports were not delivered"),
            "nightly reports were not delivered"
        );
        assert_eq!(subject("Postmortem: checkout errors"), "checkout errors");
        assert_eq!(subject("Checkout errors"), "Checkout errors");
        assert_eq!(subject("Postmortem:"), "Postmortem:");
    }
}
