//! Incident exports: CSV and JSON from PagerDuty, Opsgenie, Jira and
//! incident.io, mapped onto one incident model by their column names.

use std::collections::BTreeMap;

use opslint_core::{SourceFile, Span};
use serde_json::Value;

use crate::markdown::normalize_key;
use crate::time::parse_timestamp;

/// The incident fields opslint reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Id,
    Number,
    Title,
    Service,
    Severity,
    Status,
    Created,
    Acknowledged,
    Resolved,
    Detection,
    AutoResolved,
    Related,
    /// PagerDuty's `urgency`, the severity of an incident without a
    /// priority.
    Urgency,
    /// Seconds from creation to acknowledgement, as PagerDuty's analytics
    /// export gives it (`seconds_to_first_ack`).
    SecondsToAck,
    /// Seconds from creation to resolution (`seconds_to_resolve`).
    SecondsToResolve,
    /// Milliseconds from creation to acknowledgement, as Opsgenie's
    /// `report.ackTime`.
    MillisToAck,
    /// Milliseconds from creation to closing (`report.closeTime`).
    MillisToClose,
}

impl Field {
    pub const ALL: [Field; 17] = [
        Self::Id,
        Self::Number,
        Self::Title,
        Self::Service,
        Self::Severity,
        Self::Status,
        Self::Created,
        Self::Acknowledged,
        Self::Resolved,
        Self::Detection,
        Self::AutoResolved,
        Self::Related,
        Self::Urgency,
        Self::SecondsToAck,
        Self::SecondsToResolve,
        Self::MillisToAck,
        Self::MillisToClose,
    ];

    /// The key used in the mapping override, `created` for example.
    pub fn key(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Number => "number",
            Self::Title => "title",
            Self::Service => "service",
            Self::Severity => "severity",
            Self::Status => "status",
            Self::Created => "created",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
            Self::Detection => "detection",
            Self::AutoResolved => "auto-resolved",
            Self::Related => "related",
            Self::Urgency => "urgency",
            Self::SecondsToAck => "seconds-to-ack",
            Self::SecondsToResolve => "seconds-to-resolve",
            Self::MillisToAck => "ack-time-ms",
            Self::MillisToClose => "close-time-ms",
        }
    }

    /// Header names of the export formats, normalized to lower-case letters
    /// and digits, in order of preference.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Id => &["id", "issueid", "incidentid"],
            Self::Number => &[
                "incidentnumber",
                "tinyid",
                "number",
                "issuekey",
                "key",
                "reference",
                "ref",
            ],
            Self::Title => &["title", "message", "summary", "name", "incidentname"],
            Self::Service => &[
                "servicename",
                "service",
                "extrapropertiesservice",
                "detailsservice",
                "affectedservices",
                "affectedservice",
                "components",
                "component",
                "componentss",
                "servicesummary",
            ],
            // `prioritysummary` and `servicesummary` are the nested objects
            // of PagerDuty's REST API, flattened.
            Self::Severity => &[
                "priority",
                "priorityname",
                "severity",
                "sev",
                "incidentseverity",
                "prioritysummary",
            ],
            Self::Status => &["status", "incidentstatus"],
            Self::Created => &[
                "createdat",
                "created",
                "createdon",
                "reportedat",
                "startedat",
                "declaredat",
            ],
            Self::Acknowledged => &[
                "acknowledgedat",
                "acknowledged",
                "acknowledgedon",
                "ackedat",
                "acceptedat",
            ],
            Self::Resolved => &[
                "resolvedat",
                "resolved",
                "resolvedon",
                "resolutiondate",
                "closedat",
                "closedon",
                "closed",
                "impactenddate",
            ],
            Self::Detection => &[
                "detectionsource",
                "detectedby",
                "detection",
                "detectionmethod",
                "customfielddetection",
                "extrapropertiesdetection",
                "detailsdetection",
            ],
            Self::AutoResolved => &["autoresolved"],
            Self::Related => &[
                "extrapropertiespagerdutyincident",
                "detailspagerdutyincident",
                "pagerdutyincident",
            ],
            Self::Urgency => &["urgency"],
            Self::SecondsToAck => &["secondstofirstack", "secondstoack"],
            Self::SecondsToResolve => &["secondstoresolve"],
            Self::MillisToAck => &["reportacktime"],
            Self::MillisToClose => &["reportclosetime"],
        }
    }
}

/// Joins words as prose: `a`, `a and b`, `a, b and c`.
fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Header names chosen by the user for fields, keyed by [`Field::key`].
pub type Mapping = BTreeMap<String, String>;

#[derive(Debug, Clone)]
pub struct Incident {
    pub path: String,
    /// The row or object of the export.
    pub span: Span,
    /// 1-based data row (CSV) or array index + 1 (JSON).
    pub row: usize,
    pub id: String,
    /// The number people use: PagerDuty's `incident_number`, Opsgenie's
    /// `tinyId`, a Jira key.
    pub number: String,
    pub title: String,
    pub service: String,
    pub severity: String,
    pub status: String,
    pub created: Option<i64>,
    pub acknowledged: Option<i64>,
    pub resolved: Option<i64>,
    pub detection: String,
    pub auto_resolved: bool,
    /// The number of the same event in another tool, when the export names it.
    pub related: String,
}

impl Incident {
    /// 1 (most severe) to 5, from P1..P5, SEV1..SEV5, critical/high/...;
    /// `None` when the export gives no severity.
    pub fn severity_rank(&self) -> Option<u8> {
        severity_rank(&self.severity)
    }

    pub fn is_open(&self) -> bool {
        let status = self.status.to_lowercase();
        !status.is_empty()
            && !matches!(
                status.as_str(),
                "resolved" | "closed" | "done" | "fixed" | "postmortem" | "post-incident"
            )
    }

    /// Returns how messages name the incident: by its number, else its id,
    /// else its row (CSV) or entry (JSON) in the export, because an export
    /// may have no column that reads as either.
    /// A short reference for lists of incidents: the number, else the id,
    /// else the row (`row 4`) or entry of its export.
    pub fn reference(&self) -> String {
        if !self.number.is_empty() {
            self.number.clone()
        } else if !self.id.is_empty() {
            self.id.clone()
        } else if self.path.to_ascii_lowercase().ends_with(".json") {
            format!("entry {}", self.row)
        } else {
            format!("row {}", self.row)
        }
    }

    /// Returns whether [`Incident::reference`] equals `reference`, without
    /// building the reference.
    pub fn has_reference(&self, reference: &str) -> bool {
        if !self.number.is_empty() {
            self.number == reference
        } else if !self.id.is_empty() {
            self.id == reference
        } else {
            self.reference() == reference
        }
    }

    pub fn label(&self) -> String {
        if !self.number.is_empty() {
            format!("incident {}", self.number)
        } else if !self.id.is_empty() {
            format!("incident `{}`", self.id)
        } else {
            let record = if self.path.to_ascii_lowercase().ends_with(".json") {
                "entry"
            } else {
                "row"
            };
            format!("the incident in {record} {} of `{}`", self.row, self.path)
        }
    }
}

pub fn severity_rank(text: &str) -> Option<u8> {
    let lower = text.trim().to_lowercase();
    let digits: String = lower.chars().filter(char::is_ascii_digit).collect();
    if !digits.is_empty() && (lower.starts_with('p') || lower.starts_with("sev")) {
        return digits.parse::<u8>().ok().map(|d| d.clamp(1, 5));
    }
    match lower.as_str() {
        // Jira's default priorities run from Highest to Lowest.
        "critical" | "blocker" | "highest" => Some(1),
        "high" | "major" => Some(2),
        "medium" | "moderate" => Some(3),
        "low" | "minor" => Some(4),
        "trivial" | "info" | "informational" | "lowest" => Some(5),
        _ => None,
    }
}

/// A row or value that could not be read; the other rows are still used.
#[derive(Debug, Clone)]
pub struct Problem {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct IncidentExport {
    pub incidents: Vec<Incident>,
    pub problems: Vec<Problem>,
    /// Column names as written: the CSV header, or the flattened keys of
    /// every JSON incident.
    pub columns: Vec<String>,
}

impl IncidentExport {
    /// Returns whether the export has the column `header`, compared as the
    /// mapping compares it: ignoring case and everything but letters and
    /// digits.
    pub fn has_column(&self, header: &str) -> bool {
        let wanted = normalize_key(header);
        self.columns
            .iter()
            .any(|column| normalize_key(column) == wanted)
    }
}

/// Returns the entries of `mapping`, as `(field, column)`, whose column is
/// in none of `exports`. An export that has the field under a known name
/// reports no problem for such an entry, because the mapping may be meant
/// for another tool's export, so a misspelt column could go unnoticed. With
/// no exports at all, nothing is returned.
pub fn columns_in_no_export<'a>(
    mapping: &'a Mapping,
    exports: &[&IncidentExport],
) -> Vec<(&'a str, &'a str)> {
    if exports.is_empty() {
        return Vec::new();
    }
    mapping
        .iter()
        .filter(|(_, column)| !exports.iter().any(|export| export.has_column(column)))
        .map(|(field, column)| (field.as_str(), column.as_str()))
        .collect()
}

/// Whether a JSON file is likely an incident export, judged by its path.
pub fn is_incident_json_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".json")
        && [
            "incident",
            "pagerduty",
            "opsgenie",
            "incidentio",
            "incident-io",
        ]
        .iter()
        .any(|word| lower.contains(word))
}

/// Reads a CSV export. Returns `None` when the header shows the file
/// contains no incidents at all, so unrelated CSV files stay silent.
pub fn read_csv(file: &SourceFile, mapping: &Mapping) -> Option<IncidentExport> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(file.text.as_bytes());
    let headers = reader.headers().ok()?.clone();
    let header_names: Vec<String> = headers.iter().map(str::to_string).collect();
    let columns = map_columns(&header_names, mapping);
    if !looks_like_incidents(&columns, path_hint(&file.path)) {
        return None;
    }
    let mut export = IncidentExport::default();
    let header_span = Span::new(0, file.text.find('\n').unwrap_or(file.text.len()));
    report_unmatched_mapping(
        &header_names,
        &columns,
        mapping,
        header_span,
        &mut export.problems,
    );
    report_missing(&columns, header_span, &mut export.problems);

    let mut row = 0;
    for record in reader.records() {
        row += 1;
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let offset = error.position().map_or(0, |p| p.byte() as usize);
                export.problems.push(Problem {
                    span: line_span(&file.text, offset),
                    message: format!("row {row}: malformed CSV record: {error}"),
                });
                continue;
            }
        };
        let offset = record.position().map_or(0, |p| p.byte() as usize);
        let span = line_span(&file.text, offset);
        if record.len() != headers.len() {
            export.problems.push(Problem {
                span,
                message: format!(
                    "row {row}: has {} fields, the header has {}; the row was skipped",
                    record.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let cell = |field: Field| -> String {
            columns
                .get(&field)
                .and_then(|index| record.get(*index))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let incident = build(&file.path, span, row, &cell, &mut export.problems);
        export.incidents.push(incident);
    }
    export.columns = header_names;
    Some(export)
}

/// Reads a JSON export: an array of incidents, or an object whose `data`,
/// `incidents` or `issues` member is one. Nested objects are flattened
/// (`extraProperties.service` becomes the header `extrapropertiesservice`).
pub fn read_json(file: &SourceFile, mapping: &Mapping) -> Option<IncidentExport> {
    let mut export = IncidentExport::default();
    let value: Value = match serde_json::from_str(&file.text) {
        Ok(value) => value,
        Err(error) => {
            let offset = file
                .line_start(error.line())
                .unwrap_or(0)
                .saturating_add(error.column().saturating_sub(1));
            export.problems.push(Problem {
                span: line_span(&file.text, offset),
                message: format!("invalid JSON: {error}"),
            });
            return Some(export);
        }
    };
    let items = match &value {
        Value::Array(items) => items,
        Value::Object(object) => ["data", "incidents", "issues", "alerts"]
            .iter()
            .find_map(|key| object.get(*key).and_then(Value::as_array))?,
        _ => return None,
    };
    let mut search_from = 0;
    let mut all_keys = std::collections::BTreeSet::new();
    for (index, item) in items.iter().enumerate() {
        let mut flat = BTreeMap::new();
        flatten("", item, &mut flat);
        let header_names: Vec<String> = flat.keys().cloned().collect();
        all_keys.extend(header_names.iter().cloned());
        let columns = map_columns(&header_names, mapping);
        if index == 0 && !looks_like_incidents(&columns, path_hint(&file.path)) {
            return None;
        }
        let cell = |field: Field| -> String {
            columns
                .get(&field)
                .and_then(|i| flat.get(&header_names[*i]))
                .cloned()
                .unwrap_or_default()
        };
        let anchor = ["id", "tinyId", "incident_number", "key"]
            .iter()
            .find_map(|key| item.get(*key))
            .map(|v| v.to_string())
            .unwrap_or_default();
        let offset = if anchor.is_empty() {
            search_from
        } else {
            file.text[search_from..]
                .find(&anchor)
                .map_or(search_from, |found| search_from + found)
        };
        search_from = offset;
        let span = line_span(&file.text, offset);
        if index == 0 {
            report_unmatched_mapping(&header_names, &columns, mapping, span, &mut export.problems);
        }
        let incident = build(&file.path, span, index + 1, &cell, &mut export.problems);
        export.incidents.push(incident);
    }
    export.columns = all_keys.into_iter().collect();
    Some(export)
}

fn path_hint(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.contains("incident") || lower.contains("pagerduty") || lower.contains("opsgenie")
}

/// Decides whether a table is an incident export. It needs a title and a
/// creation time, or a path that names incidents. Such a path makes missing
/// columns a reported problem instead of a reason to ignore the file.
fn looks_like_incidents(columns: &BTreeMap<Field, usize>, path_hint: bool) -> bool {
    let known = columns.len();
    (columns.contains_key(&Field::Title) && columns.contains_key(&Field::Created))
        || (path_hint && known >= 2)
        || known >= 4
}

/// Reports each column that the configuration's `[incident-columns]` names
/// but the export lacks, with the columns it has, when no known header name
/// gives the field either. A field found under a known name belongs to an
/// export of another tool, which the mapping is not meant for.
fn report_unmatched_mapping(
    headers: &[String],
    columns: &BTreeMap<Field, usize>,
    mapping: &Mapping,
    span: Span,
    problems: &mut Vec<Problem>,
) {
    for field in Field::ALL {
        let Some(header) = mapping.get(field.key()) else {
            continue;
        };
        if columns.contains_key(&field) {
            continue;
        }
        let wanted = normalize_key(header);
        if headers.iter().any(|h| normalize_key(h) == wanted) {
            continue;
        }
        problems.push(Problem {
            span,
            message: format!(
                "the column `{header}` that `[incident-columns]` maps to `{}` is not in this \
                 export; its columns are {}",
                field.key(),
                headers
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
}

fn report_missing(columns: &BTreeMap<Field, usize>, span: Span, problems: &mut Vec<Problem>) {
    let missing: Vec<&str> = [
        Field::Title,
        Field::Created,
        Field::Severity,
        Field::Service,
    ]
    .into_iter()
    // Urgency replaces a missing severity column.
    .filter(|field| {
        let present = columns.contains_key(field)
            || (*field == Field::Severity && columns.contains_key(&Field::Urgency));
        !present
    })
    .map(Field::key)
    .collect();
    if !missing.is_empty() {
        problems.push(Problem {
            span,
            message: format!(
                "missing column for {}; map it with `[incident-columns]` in `opslint.toml`",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
}

/// Assigns each field the first header that matches: the user's mapping
/// first, then the known aliases.
///
/// When the export has the mapped `id` column, the `number` field comes
/// only from a mapped column, so a column that is merely called `Number`
/// does not displace the configured id as the incidents' name.
fn map_columns(headers: &[String], mapping: &Mapping) -> BTreeMap<Field, usize> {
    let normalized: Vec<String> = headers.iter().map(|h| normalize_key(h)).collect();
    let id_is_mapped = mapping
        .get(Field::Id.key())
        .is_some_and(|header| normalized.contains(&normalize_key(header)));
    let mut columns = BTreeMap::new();
    for field in Field::ALL {
        if let Some(header) = mapping.get(field.key()) {
            let wanted = normalize_key(header);
            if let Some(index) = normalized.iter().position(|h| *h == wanted) {
                columns.insert(field, index);
                continue;
            }
        }
        if field == Field::Number && id_is_mapped {
            continue;
        }
        for alias in field.aliases() {
            let taken: Vec<usize> = columns.values().copied().collect();
            if let Some(index) = normalized
                .iter()
                .enumerate()
                .position(|(i, h)| h == alias && !taken.contains(&i))
            {
                columns.insert(field, index);
                break;
            }
        }
    }
    columns
}

fn build(
    path: &str,
    span: Span,
    row: usize,
    cell: &dyn Fn(Field) -> String,
    problems: &mut Vec<Problem>,
) -> Incident {
    // An export without a number column names incidents by their id, so
    // messages and recurrence lists can still refer to them.
    let id = cell(Field::Id);
    let number = match cell(Field::Number) {
        number if number.is_empty() => id.clone(),
        number => number,
    };
    // The incident number names the record in a message better than its
    // row, which counts records after the header and so differs from the
    // line shown beside it.
    let record = if number.is_empty() {
        format!("row {row}")
    } else {
        format!("incident {number}")
    };
    let mut time = |field: Field| -> Option<i64> {
        let text = cell(field);
        // Opsgenie's alert API gives `"acknowledged": true` with no time.
        if text.is_empty() || matches!(text.as_str(), "true" | "false") {
            return None;
        }
        let parsed = parse_timestamp(&text);
        if parsed.is_none() {
            problems.push(Problem {
                span,
                message: format!(
                    "{record}: cannot read the {} time `{text}`; expected ISO 8601 such as `2026-01-08T02:14:37Z`",
                    field.key()
                ),
            });
        }
        parsed
    };
    let created = time(Field::Created);
    let mut acknowledged = time(Field::Acknowledged);
    let mut resolved = time(Field::Resolved);
    // Exports that give durations instead of times: PagerDuty's analytics
    // (seconds) and Opsgenie's alert reports (milliseconds).
    let after_created = |field: Field, per_second: f64| -> Option<i64> {
        let amount: f64 = cell(field).trim().parse().ok()?;
        Some(created? + (amount / per_second).round() as i64)
    };
    if acknowledged.is_none() {
        acknowledged = after_created(Field::SecondsToAck, 1.0)
            .or_else(|| after_created(Field::MillisToAck, 1000.0));
    }
    if resolved.is_none() {
        resolved = after_created(Field::SecondsToResolve, 1.0)
            .or_else(|| after_created(Field::MillisToClose, 1000.0));
    }
    // A date without a time of day reads as midnight, which would make up
    // durations of zero or a whole day. A time before the creation is a
    // data error. Such durations are left out, and the row is reported.
    let is_date_only = |field: Field| cell(field).trim().len() == "2026-01-01".len();
    if acknowledged.is_some() || resolved.is_some() {
        let dated: Vec<&str> = [Field::Created, Field::Acknowledged, Field::Resolved]
            .into_iter()
            .filter(|field| is_date_only(*field))
            .map(Field::key)
            .collect();
        if !dated.is_empty() {
            problems.push(Problem {
                span,
                message: format!(
                    "{record}: the {} {} a date but no time of day, so its durations are left \
                     out of the figures",
                    join_words(&dated),
                    if dated.len() == 1 {
                        "time has"
                    } else {
                        "times have"
                    }
                ),
            });
            acknowledged = None;
            resolved = None;
        }
    }
    let mut early = Vec::new();
    for (field, value) in [
        (Field::Acknowledged, &mut acknowledged),
        (Field::Resolved, &mut resolved),
    ] {
        if let (Some(created), Some(time)) = (created, *value)
            && time < created
        {
            early.push(field.key());
            *value = None;
        }
    }
    if !early.is_empty() {
        let created_text = cell(Field::Created);
        // Times without a zone read as UTC, which puts them hours off
        // beside times with one.
        let zone_note = if has_zone(&created_text) {
            String::new()
        } else {
            format!(
                " (the created time `{}` has no time zone and reads as UTC)",
                created_text.trim()
            )
        };
        problems.push(Problem {
            span,
            message: format!(
                "{record}: the {} {} before the created time{zone_note}, so {} left out of the \
                 figures",
                early.join(" and "),
                if early.len() == 1 {
                    "time is"
                } else {
                    "times are"
                },
                if early.len() == 1 {
                    "it is"
                } else {
                    "they are"
                },
            ),
        });
    }
    Incident {
        path: path.to_string(),
        span,
        row,
        id: if id.is_empty() { number.clone() } else { id },
        number,
        title: cell(Field::Title),
        service: cell(Field::Service),
        // PagerDuty accounts without priorities rate incidents by urgency:
        // `high` ranks like P2 and `low` like P4.
        severity: Some(cell(Field::Severity))
            .filter(|severity| !severity.trim().is_empty())
            .unwrap_or_else(|| cell(Field::Urgency)),
        status: cell(Field::Status),
        created,
        acknowledged,
        resolved,
        detection: cell(Field::Detection),
        auto_resolved: cell(Field::AutoResolved).eq_ignore_ascii_case("true"),
        related: cell(Field::Related),
    }
}

/// Returns whether an ISO 8601 time names its zone: `Z` or an offset
/// after the time of day.
fn has_zone(text: &str) -> bool {
    let text = text.trim();
    text.ends_with(['Z', 'z']) || text.get(11..).is_some_and(|time| time.contains(['+', '-']))
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                flatten(&format!("{prefix}{key}"), inner, out);
            }
        }
        Value::Array(items) => {
            let scalars: Vec<String> = items.iter().filter_map(scalar).collect();
            if !scalars.is_empty() {
                out.insert(prefix.to_string(), scalars.join(", "));
            }
        }
        other => {
            if let Some(text) = scalar(other) {
                out.insert(prefix.to_string(), text);
            }
        }
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// The span of the line containing `offset`. An offset on a line break
/// (the csv crate reports a record after CRLF at the `\n`) moves to the
/// next line.
fn line_span(text: &str, offset: usize) -> Span {
    let mut offset = offset.min(text.len());
    // Parser offsets can fall inside a multi-byte character of broken input.
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    while text[offset..].starts_with(['\r', '\n']) {
        offset += 1;
    }
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i)
        .max(start);
    let end = if text[start..end].ends_with('\r') {
        end - 1
    } else {
        end
    };
    Span::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_span_inside_a_multibyte_character() {
        // Found by fuzzing: an offset inside `ѫ` once panicked.
        let span = line_span("\"\u{46b}", 2);
        assert_eq!(span, Span::new(0, 3));
    }
    use std::path::PathBuf;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile::new(path.into(), PathBuf::from(path), text.into())
    }

    #[test]
    fn pagerduty_csv_columns() {
        let source = file(
            "incidents/pd.csv",
            "incident_number,title,priority,service_name,created_at,acknowledged_at,resolved_at\r\n\
             7,db down,P1,billing,2026-01-01T00:00:00Z,2026-01-01T00:05:00Z,2026-01-01T01:00:00Z\r\n",
        );
        let export = read_csv(&source, &Mapping::new()).unwrap();
        assert!(export.problems.is_empty(), "{:?}", export.problems);
        let incident = &export.incidents[0];
        assert_eq!(incident.number, "7");
        assert_eq!(incident.service, "billing");
        assert_eq!(incident.severity_rank(), Some(1));
        assert_eq!(
            incident.acknowledged.unwrap() - incident.created.unwrap(),
            300
        );
    }

    #[test]
    fn label_without_id_names_row() {
        let source = file(
            "incidents/export.csv",
            "summary,service,created_at\n\
             Checkout down,shop,2026-01-01T00:00:00Z\n\
             Search slow,search,2026-01-02T00:00:00Z\n",
        );
        let export = read_csv(&source, &Mapping::new()).unwrap();
        assert_eq!(
            export.incidents[1].label(),
            "the incident in row 2 of `incidents/export.csv`"
        );
    }

    #[test]
    fn has_reference_matches_reference() {
        let source = file(
            "incidents/export.csv",
            "number,summary,service\n\
             530,Checkout down,shop\n\
             ,Search slow,search\n",
        );
        let export = read_csv(&source, &Mapping::new()).unwrap();
        let [numbered, unnumbered] = &export.incidents[..] else {
            panic!("expected two incidents");
        };
        assert!(numbered.has_reference("530"));
        assert!(!numbered.has_reference("row 1"));
        assert_eq!(unnumbered.reference(), "row 2");
        assert!(unnumbered.has_reference("row 2"));
        assert!(!unnumbered.has_reference("530"));
    }

    #[test]
    fn label_falls_back_to_json_entry() {
        let source = file(
            "incidents/export.json",
            r#"[{"summary": "Checkout down", "service": "shop"}]"#,
        );
        let export = read_json(&source, &Mapping::new()).unwrap();
        assert_eq!(
            export.incidents[0].label(),
            "the incident in entry 1 of `incidents/export.json`"
        );
    }

    #[test]
    fn label_prefers_number_then_id() {
        let source = file(
            "incidents/pd.csv",
            "incident_number,id,title\n7,Q1ABC,db down\n,Q2DEF,api down\n",
        );
        let export = read_csv(&source, &Mapping::new()).unwrap();
        assert_eq!(export.incidents[0].label(), "incident 7");
        assert_eq!(export.incidents[1].label(), "incident Q2DEF");
    }

    #[test]
    fn bad_rows_are_reported_and_others_kept() {
        let source = file(
            "incidents/x.csv",
            "number,title,severity,service,created\n1,a,P1,s,2026-01-01\n2,b,P2\n3,c,P3,s,soon\n",
        );
        let export = read_csv(&source, &Mapping::new()).unwrap();
        assert_eq!(export.incidents.len(), 2);
        assert_eq!(export.problems.len(), 2);
        assert!(
            export.problems[0]
                .message
                .starts_with("row 2: has 3 fields")
        );
        assert!(
            export.problems[1]
                .message
                .contains("incident 3: cannot read the created time `soon`")
        );
        assert_eq!(source.position(export.problems[1].span.start).line, 4);
    }

    #[test]
    fn crlf_rows_point_at_their_line() {
        let source = file(
            "incidents/x.csv",
            "number,title,severity,service,created\r\n1,a,P1,s,2026-01-01\r\n2,b,P2,s,later\r\n",
        );
        let export = read_csv(&source, &Mapping::new()).unwrap();
        assert_eq!(source.position(export.incidents[0].span.start).line, 2);
        assert_eq!(source.position(export.problems[0].span.start).line, 3);
    }

    #[test]
    fn missing_columns_are_reported() {
        let source = file("incidents/x.csv", "number,title\n1,a\n");
        let export = read_csv(&source, &Mapping::new()).unwrap();
        assert_eq!(export.incidents.len(), 1);
        assert!(export.problems[0].message.contains("`created`"));
    }

    #[test]
    fn mapping_override_names_a_column() {
        let source = file(
            "x.csv",
            "Ticket,Headline,Opened,Sev,Svc\nA-1,a,2026-01-01,P2,s\n",
        );
        let mut mapping = Mapping::new();
        mapping.insert("number".into(), "Ticket".into());
        mapping.insert("title".into(), "Headline".into());
        mapping.insert("created".into(), "Opened".into());
        mapping.insert("severity".into(), "Sev".into());
        mapping.insert("service".into(), "Svc".into());
        let export = read_csv(&source, &mapping).unwrap();
        assert_eq!(export.incidents[0].number, "A-1");
        assert_eq!(export.incidents[0].service, "s");
        assert!(export.problems.is_empty());
    }

    #[test]
    fn mapped_column_missing_from_the_export_is_reported() {
        let source = file(
            "incidents/x.csv",
            "number,Headline,severity,service,created\n1,a,P1,s,2026-01-01T00:00:00Z\n",
        );
        let mut mapping = Mapping::new();
        mapping.insert("title".into(), "Headlin".into());
        let export = read_csv(&source, &mapping).unwrap();
        let messages: Vec<&str> = export.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.contains(
                &"the column `Headlin` that `[incident-columns]` maps to `title` is not in this \
                  export; its columns are `number`, `Headline`, `severity`, `service`, `created`"
            ),
            "{messages:?}"
        );

        // An export of another tool that has the field under a known name
        // is not what the mapping is for.
        let other = file(
            "incidents/pagerduty.csv",
            "number,title,severity,service,created\n1,a,P1,s,2026-01-01T00:00:00Z\n",
        );
        let export = read_csv(&other, &mapping).unwrap();
        assert!(export.problems.is_empty(), "{:?}", export.problems);
        assert_eq!(export.incidents[0].title, "a");
    }

    #[test]
    fn pagerduty_api_json_nested_priority_and_service() {
        let source = file(
            "incidents/pagerduty.json",
            r#"{"incidents": [{"incident_number": 601, "title": "db down",
                "created_at": "2026-01-01T00:00:00Z",
                "priority": {"summary": "P1"}, "service": {"summary": "payments"}}]}"#,
        );
        let export = read_json(&source, &Mapping::new()).unwrap();
        let incident = &export.incidents[0];
        assert_eq!(incident.service, "payments");
        assert_eq!(incident.severity_rank(), Some(1));
    }

    #[test]
    fn id_names_incidents_without_a_number_column() {
        let source = file(
            "ops/tickets.csv",
            "Ticket,title,severity,service,created\nT-1,db failover,P2,db,2026-01-01T00:00:00Z\n",
        );
        let mut mapping = Mapping::new();
        mapping.insert("id".into(), "Ticket".into());
        let export = read_csv(&source, &mapping).unwrap();
        assert_eq!(export.incidents[0].number, "T-1");
        assert_eq!(export.incidents[0].id, "T-1");
    }

    #[test]
    fn mapped_id_names_incidents_beside_a_number_column() {
        let source = file(
            "incidents/export.csv",
            "Ticket,Number,Title,Priority,Status,Service,Created,Resolved\n\
             INC-7,530,ingest-api errors,P1,resolved,ingest-api,2026-03-12T14:02:00Z,2026-03-12T15:10:00Z\n",
        );
        let mut mapping = Mapping::new();
        mapping.insert("id".into(), "Ticket".into());
        let export = read_csv(&source, &mapping).unwrap();
        assert!(export.problems.is_empty(), "{:?}", export.problems);
        let incident = &export.incidents[0];
        assert_eq!(incident.id, "INC-7");
        assert_eq!(incident.number, "INC-7");
        assert_eq!(incident.label(), "incident INC-7");

        // A mapped number column still names the incidents.
        mapping.insert("number".into(), "Number".into());
        let export = read_csv(&source, &mapping).unwrap();
        assert_eq!(export.incidents[0].id, "INC-7");
        assert_eq!(export.incidents[0].number, "530");

        // Without a mapping, `Number` is the number and there is no id.
        let export = read_csv(&source, &Mapping::new()).unwrap();
        assert_eq!(export.incidents[0].number, "530");
        assert_eq!(export.incidents[0].id, "530");
    }

    #[test]
    fn mapped_id_missing_keeps_the_number_column() {
        // The mapping may be meant for another tool's export, so an export
        // without the mapped id column keeps its own names.
        let source = file(
            "incidents/pagerduty.json",
            r#"{"incidents": [{"id": "Q2INGEST5X", "incident_number": 530, "title": "t",
                "priority": "P1", "service": "s", "created_at": "2026-03-12T14:02:00Z"}]}"#,
        );
        let mut mapping = Mapping::new();
        mapping.insert("id".into(), "Ticket".into());
        let export = read_json(&source, &mapping).unwrap();
        assert!(export.problems.is_empty(), "{:?}", export.problems);
        assert_eq!(export.incidents[0].id, "Q2INGEST5X");
        assert_eq!(export.incidents[0].number, "530");
    }

    #[test]
    fn mapped_columns_in_no_export_are_listed() {
        let csv = file(
            "incidents/export.csv",
            "id,Ticket,title,priority,service,created_at\nQ1,T-1,a,P1,s,2026-01-01T00:00:00Z\n",
        );
        let json = file(
            "incidents/opsgenie.json",
            r#"{"data": [{"tinyId": "4", "message": "m", "createdAt": "2026-01-01T00:00:00Z"},
                {"tinyId": "5", "message": "n", "createdAt": "2026-01-02T00:00:00Z",
                 "extraProperties": {"team": "core"}}]}"#,
        );
        let mut mapping = Mapping::new();
        mapping.insert("id".into(), "nonexistent_col".into());
        mapping.insert("number".into(), "ticket".into());
        mapping.insert("service".into(), "Extra Properties Team".into());
        let csv_export = read_csv(&csv, &mapping).unwrap();
        let json_export = read_json(&json, &mapping).unwrap();
        assert!(csv_export.has_column("TICKET"));
        // The keys of every JSON incident count, not only the first one's.
        assert!(json_export.has_column("extraPropertiesteam"));
        assert_eq!(
            columns_in_no_export(&mapping, &[&csv_export, &json_export]),
            [("id", "nonexistent_col")]
        );
        assert!(columns_in_no_export(&mapping, &[]).is_empty());
    }

    #[test]
    fn impossible_durations_are_reported_and_left_out() {
        let source = file(
            "incidents/x.csv",
            "number,title,severity,service,created,resolved\n\
             1,a,P1,s,2026-07-04 10:00:00,2026-07-04T11:00:00+02:00\n\
             2,b,P1,s,2026-07-06,2026-07-07\n\
             3,c,P1,s,2026-07-08T10:00:00Z,2026-07-08T10:30:00Z\n",
        );
        let export = read_csv(&source, &Mapping::new()).unwrap();
        let messages: Vec<&str> = export.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "incident 1: the resolved time is before the created time (the created time \
                 `2026-07-04 10:00:00` has no time zone and reads as UTC), so it is left out of \
                 the figures",
                "incident 2: the created and resolved times have a date but no time of day, so \
                 its durations are left out of the figures",
            ]
        );
        assert_eq!(export.incidents[0].resolved, None);
        assert_eq!(export.incidents[1].resolved, None);
        assert!(export.incidents[1].created.is_some());
        assert_eq!(
            export.incidents[2].resolved.unwrap() - export.incidents[2].created.unwrap(),
            1800
        );
    }

    #[test]
    fn unrelated_csv_is_ignored() {
        let source = file("data/prices.csv", "sku,price\n1,2\n");
        assert!(read_csv(&source, &Mapping::new()).is_none());
    }

    #[test]
    fn opsgenie_json_is_flattened() {
        let source = file(
            "incidents/opsgenie.json",
            r#"{"data": [{"tinyId": "4", "message": "m", "priority": "P2", "createdAt": "2026-01-01T00:00:00.000Z", "extraProperties": {"service": "api", "pagerduty_incident": "12"}}]}"#,
        );
        let export = read_json(&source, &Mapping::new()).unwrap();
        assert_eq!(export.incidents[0].number, "4");
        assert_eq!(export.incidents[0].service, "api");
        assert_eq!(export.incidents[0].related, "12");
    }

    #[test]
    fn urgency_stands_in_for_a_missing_priority() {
        let source = file(
            "incidents/pagerduty.csv",
            "incident_number,title,priority,urgency,service_name,created_on\n\
             1,a,,high,s,2026-07-04T10:00:00Z\n\
             2,b,P1,low,s,2026-07-05T10:00:00Z\n\
             3,c,,,s,2026-07-06T10:00:00Z\n",
        );
        let export = read_csv(&source, &Mapping::new()).unwrap();
        let ranks: Vec<Option<u8>> = export
            .incidents
            .iter()
            .map(Incident::severity_rank)
            .collect();
        assert_eq!(ranks, [Some(2), Some(1), None]);
        assert!(export.problems.is_empty(), "{:?}", export.problems);

        // PagerDuty's CSV export names the column `priority_name`.
        let named = file(
            "incidents/pagerduty.csv",
            "incident_number,title,priority_name,urgency,service_name,created_on\n\
             1,a,P1,low,s,2026-07-04T10:00:00Z\n\
             2,b,P4,high,s,2026-07-05T10:00:00Z\n",
        );
        let export = read_csv(&named, &Mapping::new()).unwrap();
        let ranks: Vec<Option<u8>> = export
            .incidents
            .iter()
            .map(Incident::severity_rank)
            .collect();
        assert_eq!(ranks, [Some(1), Some(4)]);
        assert_eq!(severity_rank("Highest"), Some(1));
        assert_eq!(severity_rank("Lowest"), Some(5));
    }

    #[test]
    fn opsgenie_alert_api_details_and_flags() {
        let source = file(
            "incidents/opsgenie.json",
            r#"{"data": [{"tinyId": "55", "message": "auth: customers report failed logins",
                "priority": "P1", "createdAt": "2026-03-01T10:00:00Z", "acknowledged": true,
                "details": {"service": "auth", "detection": "customer", "pagerduty_incident": "131"}}]}"#,
        );
        let export = read_json(&source, &Mapping::new()).unwrap();
        assert!(export.problems.is_empty(), "{:?}", export.problems);
        let incident = &export.incidents[0];
        assert_eq!(incident.service, "auth");
        assert_eq!(incident.detection, "customer");
        assert_eq!(incident.related, "131");
        assert_eq!(incident.acknowledged, None);
    }

    #[test]
    fn durations_stand_in_for_missing_times() {
        let source = file(
            "incidents/pagerduty.csv",
            "incident_number,title,priority,service_name,created_on,seconds_to_first_ack,seconds_to_resolve\n\
             1,a,P1,s,2026-07-04T10:00:00Z,300,3600\n",
        );
        let export = read_csv(&source, &Mapping::new()).unwrap();
        let incident = &export.incidents[0];
        let created = incident.created.unwrap();
        assert_eq!(incident.acknowledged, Some(created + 300));
        assert_eq!(incident.resolved, Some(created + 3600));

        let alerts = file(
            "incidents/opsgenie.json",
            r#"{"data": [{"tinyId": "7", "message": "db down", "priority": "P1",
                "createdAt": "2026-03-01T10:00:00Z", "acknowledged": true,
                "report": {"ackTime": 120000, "closeTime": 900000}}]}"#,
        );
        let export = read_json(&alerts, &Mapping::new()).unwrap();
        let incident = &export.incidents[0];
        let created = incident.created.unwrap();
        assert_eq!(incident.acknowledged, Some(created + 120));
        assert_eq!(incident.resolved, Some(created + 900));
    }
}
