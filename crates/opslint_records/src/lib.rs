//! Operational records: Architecture Decision Records, incident exports,
//! post-incident analyses and CODEOWNERS, read into typed records with
//! spans so rules can point at the line that matters.

// Data read from files must never panic the linter; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod adr;
pub mod codeowners;
pub mod figures;
pub mod incidents;
pub mod markdown;
pub mod postmortem;
pub mod time;

use opslint_core::{ArtifactKind, SourceFile};

/// Settings of the records front end; the CLI fills them from `opslint.toml`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Extra folders (run-relative) that hold ADRs.
    pub adr_folders: Vec<String>,
    /// Files and folders (run-relative) that hold incident records: JSON
    /// files under them are incident exports whatever their name, and
    /// Markdown files with two sections of an analysis are post-incident
    /// analyses.
    pub incident_paths: Vec<String>,
    /// Header names for incident fields, keyed by [`incidents::Field::key`].
    pub incident_columns: incidents::Mapping,
}

/// What one file turned out to be.
#[derive(Debug)]
pub enum Record {
    Adr(adr::Adr),
    Postmortem(postmortem::Postmortem),
    Incidents(incidents::IncidentExport),
    Codeowners(codeowners::Codeowners),
    /// A runbook or playbook in Markdown.
    Runbook,
}

/// Reads the record in `file`, or `None` when the file is not one.
pub fn extract(kind: ArtifactKind, file: &SourceFile, config: &Config) -> Option<Record> {
    match kind {
        ArtifactKind::Markdown => {
            if adr::is_adr_path(&file.path, &config.adr_folders) {
                return Some(Record::Adr(adr::parse(file)));
            }
            let doc = markdown::parse(&file.text);
            let in_incident_path = is_under(&file.path, &config.incident_paths);
            if postmortem::is_postmortem(&file.path, &doc, in_incident_path) {
                return Some(Record::Postmortem(postmortem::parse(file, &doc)));
            }
            is_runbook_path(&file.path).then_some(Record::Runbook)
        }
        ArtifactKind::IncidentExport => {
            let export = if file.path.to_ascii_lowercase().ends_with(".json") {
                incidents::read_json(file, &config.incident_columns)
            } else {
                incidents::read_csv(file, &config.incident_columns)
            };
            export.map(Record::Incidents)
        }
        // Patterns are written from the repository's root, which the
        // repository path is relative to in a run from a subfolder.
        ArtifactKind::Codeowners => codeowners::base_of(file.identity_path())
            .map(|base| Record::Codeowners(codeowners::parse(file, base))),
        _ => None,
    }
}

/// Returns whether the run-relative `path` is one of `places` or lies in a
/// folder among them.
pub fn is_under(path: &str, places: &[String]) -> bool {
    places.iter().any(|place| {
        let place = place.trim_end_matches('/');
        place == "."
            || path == place
            || path
                .strip_prefix(place)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// Runbooks and playbooks: Markdown under a folder or with a name that says
/// so.
pub fn is_runbook_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    ["runbook", "playbook", "run-book", "play-book", "sop/"]
        .iter()
        .any(|word| lower.contains(word))
}
