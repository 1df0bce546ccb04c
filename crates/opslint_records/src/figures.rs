//! Figures over all incidents and post-incident analyses of a run: counts by
//! severity and service, acknowledgement and resolution times, detection
//! sources, recurring causes and open action items.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::incidents::Incident;
use crate::postmortem::{ItemState, Postmortem};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    /// Distinct incidents: an incident that names its twin in another export
    /// (Opsgenie's `pagerduty_incident`) is counted once.
    pub incidents: usize,
    pub open_incidents: usize,
    pub by_severity: BTreeMap<String, usize>,
    pub by_service: BTreeMap<String, usize>,
    /// Mean time to acknowledge, over incidents with both times.
    pub mtta: Option<Duration>,
    /// Mean time to resolve, over incidents with both times.
    pub mttr: Option<Duration>,
    pub detection: BTreeMap<String, usize>,
    pub recurring: Vec<Recurrence>,
    pub postmortems: usize,
    pub action_items: usize,
    pub open_action_items: usize,
    pub action_items_without_status: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Duration {
    pub mean_minutes: f64,
    pub median_minutes: f64,
    pub incidents: usize,
    /// How many of those incidents are alerts that resolved on their own.
    pub auto_resolved: usize,
}

/// Two or more incidents of one service with the same title once numbers
/// are masked.
#[derive(Debug, Clone, Serialize)]
pub struct Recurrence {
    pub service: String,
    pub title: String,
    /// Incident numbers, oldest first; an incident without a number is
    /// named by its id or row (see [`Incident::reference`]).
    pub numbers: Vec<String>,
    /// Whether every occurrence resolved on its own: a noisy alert rather
    /// than a repeated failure.
    pub all_auto_resolved: bool,
}

/// Two incidents of one service in different exports created this close
/// together are taken for the same event.
const TWIN_WINDOW_SECONDS: i64 = 30 * 60;

/// Incidents after dropping twins from a secondary export: those that name
/// an incident of another export (Opsgenie's `pagerduty_incident`), and,
/// in an export that names twins elsewhere, unlinked incidents of the same
/// service created within 30 minutes of an incident in another export.
pub fn distinct<'a>(incidents: &[&'a Incident]) -> Vec<&'a Incident> {
    // The exports that hold each incident number, and each service's
    // creation times with their export, sorted by time: both lookups below
    // stay logarithmic, so thousands of incidents are not compared pair by pair.
    let mut exports_by_number: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut created_by_service: BTreeMap<&str, Vec<(i64, &str)>> = BTreeMap::new();
    for incident in incidents {
        exports_by_number
            .entry(incident.number.as_str())
            .or_default()
            .insert(incident.path.as_str());
        if let Some(created) = incident.created {
            created_by_service
                .entry(incident.service.as_str())
                .or_default()
                .push((created, incident.path.as_str()));
        }
    }
    for times in created_by_service.values_mut() {
        times.sort_unstable();
    }
    let secondary: BTreeSet<&str> = incidents
        .iter()
        .filter(|i| !i.related.is_empty())
        .map(|i| i.path.as_str())
        .collect();
    incidents
        .iter()
        .copied()
        .filter(|incident| {
            if !incident.related.is_empty() {
                return !exports_by_number
                    .get(incident.related.as_str())
                    .is_some_and(|paths| paths.iter().any(|path| *path != incident.path));
            }
            if !secondary.contains(incident.path.as_str()) || incident.service.is_empty() {
                return true;
            }
            let Some(created) = incident.created else {
                return true;
            };
            let Some(times) = created_by_service.get(incident.service.as_str()) else {
                return true;
            };
            let first =
                times.partition_point(|(t, _)| *t < created.saturating_sub(TWIN_WINDOW_SECONDS));
            !times[first..]
                .iter()
                .take_while(|(t, _)| *t <= created.saturating_add(TWIN_WINDOW_SECONDS))
                .any(|(_, path)| *path != incident.path)
        })
        .collect()
}

/// The severity label used in figures: `P1`..`P5`, or the raw label.
pub fn severity_label(incident: &Incident) -> String {
    match incident.severity_rank() {
        Some(rank) => format!("P{rank}"),
        None if incident.severity.is_empty() => "unspecified".into(),
        None => incident.severity.clone(),
    }
}

/// Classifies a detection text: customer reports, alerts, or other.
pub fn detection_source(text: &str) -> &'static str {
    let lower = text.to_lowercase();
    const CUSTOMER_PHRASES: [&str; 12] = [
        "detected by customer",
        "reported by customer",
        "customers reported",
        "customer reported",
        "customer report",
        "customer complaint",
        "customers contacted",
        "support ticket",
        "tickets from customers",
        "user report",
        "users reported",
        "reported by a user",
    ];
    if CUSTOMER_PHRASES.iter().any(|phrase| lower.contains(phrase))
        || (lower.contains("support") && lower.contains("ticket"))
        || names_customer_source(&lower)
    {
        "customer report"
    } else if lower.contains("alert")
        || lower.contains("alarm")
        || lower.contains("paged")
        || lower.contains("monitor")
        || lower.contains("page ")
    {
        "alert"
    } else if lower.contains("engineer") || lower.contains("noticed") || lower.contains("manual") {
        "staff"
    } else {
        "other"
    }
}

/// Returns whether a lowercase detection text names customers as the source: a
/// one-word value of a detection column (`customer`, `support`), or prose in
/// which customers, users or clients report, as in "a customer emailed
/// support". "An alert on customer-facing latency" does not count.
fn names_customer_source(lower: &str) -> bool {
    const SOURCE_VALUES: [&str; 11] = [
        "customer",
        "customers",
        "customer support",
        "support",
        "support desk",
        "helpdesk",
        "user",
        "users",
        "end user",
        "client",
        "clients",
    ];
    const REPORTING_VERBS: [&str; 12] = [
        "email", "call", "contact", "complain", "notic", "wrote", "open", "raise", "tweet", "told",
        "flag", "escalat",
    ];
    let value = lower.trim().trim_end_matches(['.', '!']);
    if SOURCE_VALUES.contains(&value) {
        return true;
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|word| !word.is_empty())
        .collect();
    words.iter().enumerate().any(|(index, word)| {
        let is_reporter = ["customer", "user", "client"].iter().any(|noun| {
            word.strip_prefix(noun)
                .is_some_and(|rest| rest.is_empty() || rest == "s")
        });
        is_reporter
            && words[index + 1..]
                .iter()
                .take(3)
                .any(|next| REPORTING_VERBS.iter().any(|verb| next.starts_with(verb)))
    })
}

pub fn recurring(incidents: &[&Incident]) -> Vec<Recurrence> {
    let mut groups: BTreeMap<(String, String), Vec<&Incident>> = BTreeMap::new();
    for incident in incidents {
        if incident.title.is_empty() {
            continue;
        }
        groups
            .entry((
                incident.service.to_lowercase(),
                mask_numbers(&incident.title),
            ))
            .or_default()
            .push(incident);
    }
    let mut recurrences: Vec<Recurrence> = groups
        .into_values()
        .filter(|group| group.len() >= 2)
        .map(|mut group| {
            group.sort_by_key(|i| (i.created, i.row));
            Recurrence {
                service: group[0].service.clone(),
                title: group[0].title.clone(),
                numbers: group.iter().map(|i| i.reference()).collect(),
                all_auto_resolved: group.iter().all(|i| i.auto_resolved),
            }
        })
        .collect();
    recurrences.sort_by(|a, b| {
        b.numbers
            .len()
            .cmp(&a.numbers.len())
            .then(a.title.cmp(&b.title))
    });
    recurrences
}

/// The title in lower case with every run of digits replaced by `#` and a
/// trailing repeat mark ("again", "(recurrence)") left out, so `db-1: disk
/// above 90%` and `db-2: disk above 91% again` compare equal.
pub fn mask_numbers(title: &str) -> String {
    let mut masked = String::new();
    let mut in_digits = false;
    for c in title.to_lowercase().chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                masked.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            masked.push(c);
        }
    }
    let mut words: Vec<&str> = masked.split_whitespace().collect();
    // A title that marks a repeat, as "Ledger hangs on FX again", names the
    // same failure as the title without the mark.
    while let Some(last) = words.last() {
        let word = last.trim_matches(|c: char| "()[]-–—:,.!".contains(c));
        if matches!(
            word,
            "again" | "recurrence" | "recurred" | "recurring" | "repeat" | ""
        ) && words.len() > 1
        {
            words.pop();
        } else {
            break;
        }
    }
    words.join(" ")
}

fn duration(mut minutes: Vec<f64>) -> Option<Duration> {
    if minutes.is_empty() {
        return None;
    }
    minutes.sort_by(f64::total_cmp);
    let mean = minutes.iter().sum::<f64>() / minutes.len() as f64;
    let middle = minutes.len() / 2;
    let median = if minutes.len().is_multiple_of(2) {
        (minutes[middle - 1] + minutes[middle]) / 2.0
    } else {
        minutes[middle]
    };
    Some(Duration {
        mean_minutes: (mean * 10.0).round() / 10.0,
        median_minutes: (median * 10.0).round() / 10.0,
        incidents: minutes.len(),
        auto_resolved: 0,
    })
}

pub fn compute(incidents: &[&Incident], postmortems: &[&Postmortem]) -> Figures {
    let unique = distinct(incidents);
    let mut figures = Figures {
        incidents: unique.len(),
        postmortems: postmortems.len(),
        ..Figures::default()
    };
    for incident in &unique {
        *figures
            .by_severity
            .entry(severity_label(incident))
            .or_default() += 1;
        let service = if incident.service.is_empty() {
            "unspecified"
        } else {
            &incident.service
        };
        *figures.by_service.entry(service.to_string()).or_default() += 1;
        if incident.is_open() {
            figures.open_incidents += 1;
        }
        if !incident.detection.is_empty() {
            *figures
                .detection
                .entry(detection_source(&incident.detection).to_string())
                .or_default() += 1;
        }
    }
    figures.mtta = duration(
        unique
            .iter()
            .filter_map(|i| Some((i.acknowledged? - i.created?) as f64 / 60.0))
            .filter(|m| *m >= 0.0)
            .collect(),
    );
    figures.mttr = duration(
        unique
            .iter()
            .filter_map(|i| Some((i.resolved? - i.created?) as f64 / 60.0))
            .filter(|m| *m >= 0.0)
            .collect(),
    );
    // Alerts that resolved on their own shorten the time to resolve, so
    // the report states how many it includes.
    if let Some(mttr) = &mut figures.mttr {
        mttr.auto_resolved = unique
            .iter()
            .filter(|i| i.auto_resolved)
            .filter(|i| matches!((i.created, i.resolved), (Some(c), Some(r)) if r >= c))
            .count();
    }
    for postmortem in postmortems {
        // An analysis of an incident whose export row names its detection
        // was counted with that row already.
        let counted = unique
            .iter()
            .any(|incident| !incident.detection.is_empty() && (postmortem.covers(incident)));
        if let Some((text, _)) = &postmortem.detection
            && !counted
        {
            *figures
                .detection
                .entry(format!(
                    "{} (post-incident analyses)",
                    detection_source(text)
                ))
                .or_default() += 1;
        }
        // Items dropped on purpose ("won't do") are not action items any
        // more, as in each analysis's own count.
        for item in &postmortem.action_items {
            match item.state {
                ItemState::Open => figures.open_action_items += 1,
                ItemState::Unknown => figures.action_items_without_status += 1,
                ItemState::Done => {}
                ItemState::Dropped => continue,
            }
            figures.action_items += 1;
        }
    }
    figures.recurring = recurring(&unique);
    figures
}

#[cfg(test)]
mod tests {
    use super::*;
    use opslint_core::Span;

    fn incident(path: &str, number: &str, service: &str, created: i64, related: &str) -> Incident {
        Incident {
            path: path.into(),
            span: Span::default(),
            row: 1,
            id: number.into(),
            number: number.into(),
            title: "t".into(),
            service: service.into(),
            severity: "P2".into(),
            status: "resolved".into(),
            created: Some(created),
            acknowledged: None,
            resolved: None,
            detection: String::new(),
            auto_resolved: false,
            related: related.into(),
        }
    }

    #[test]
    fn detection_from_column_values_and_prose() {
        let customer = [
            "customer",
            "Customer",
            "customers",
            "Support",
            "Customer support",
            "users.",
            "A customer emailed support at 10:00.",
            "Two clients called the help line",
            "Users noticed failed logins first",
        ];
        for text in customer {
            assert_eq!(detection_source(text), "customer report", "{text}");
        }
        let alert = [
            "Alert on customer-facing latency fired",
            "The user-facing error alarm paged on-call",
            "Customer-facing dashboard alert",
        ];
        for text in alert {
            assert_eq!(detection_source(text), "alert", "{text}");
        }
        assert_eq!(detection_source("customer data store"), "other");
    }

    #[test]
    fn twins_in_secondary_export_count_once() {
        let primary = incident("pd.csv", "2152", "web", 1_000, "");
        let linked = incident("og.json", "38", "sms", 5_000, "2148");
        let linked_target = incident("pd.csv", "2148", "sms", 5_000, "");
        let unlinked_twin = incident("og.json", "39", "web", 1_060, "");
        let only_here = incident("og.json", "42", "web", 90_000, "");
        let all = [
            &primary,
            &linked,
            &linked_target,
            &unlinked_twin,
            &only_here,
        ];
        let kept: Vec<&str> = distinct(&all).iter().map(|i| i.number.as_str()).collect();
        assert_eq!(kept, vec!["2152", "2148", "42"]);
    }

    #[test]
    fn recurring_masks_numbers() {
        let first = incident("pd.csv", "1", "db", 0, "");
        let mut second = incident("pd.csv", "2", "db", 10, "");
        second.title = "t".into();
        let groups = recurring(&[&first, &second]);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].numbers, vec!["1", "2"]);
        assert_eq!(
            mask_numbers("Ledger hangs on FX again"),
            mask_numbers("Ledger hangs on FX")
        );
        assert_eq!(
            mask_numbers("Ledger hangs on FX (recurrence)"),
            mask_numbers("Ledger hangs on FX")
        );
        assert_eq!(
            mask_numbers("db-1: disk above 90%"),
            mask_numbers("db-2: disk above 91%")
        );
    }

    /// Incidents without a number are listed by id, else by row.
    #[test]
    fn recurring_names_incidents_without_numbers() {
        let mut by_id = incident("pd.json", "", "db", 0, "");
        by_id.id = "Q2KJ3B9".into();
        let mut by_row = incident("pd.csv", "", "db", 10, "");
        by_row.id = String::new();
        by_row.row = 7;
        let groups = recurring(&[&by_id, &by_row]);
        assert_eq!(groups[0].numbers, vec!["Q2KJ3B9", "row 7"]);
    }
}
