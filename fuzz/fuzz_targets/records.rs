#![no_main]

//! ADRs, post-incident analyses, incident exports and CODEOWNERS files, the
//! record kind chosen by the first input byte.

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use opslint_core::{ArtifactKind, SourceFile};

const KINDS: [(ArtifactKind, &str); 6] = [
    (ArtifactKind::Markdown, "docs/adr/0001-use-queues.md"),
    (ArtifactKind::Markdown, "postmortems/2026-01-01-outage.md"),
    (ArtifactKind::Markdown, "runbooks/restart.md"),
    (ArtifactKind::IncidentExport, "incidents/pagerduty.csv"),
    (ArtifactKind::IncidentExport, "incidents/opsgenie.json"),
    (ArtifactKind::Codeowners, ".github/CODEOWNERS"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (kind, path) = KINDS[selector as usize % KINDS.len()];
    let file = SourceFile::new(path.into(), PathBuf::from(path), text.into());
    let _ = opslint_records::extract(kind, &file, &opslint_records::Config::default());
});
