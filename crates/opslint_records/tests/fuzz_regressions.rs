//! Inputs that once crashed record ingest under fuzzing, run as every record
//! kind; none may panic.

use std::path::{Path, PathBuf};

use opslint_core::{ArtifactKind, SourceFile};

const KINDS: [(ArtifactKind, &str); 6] = [
    (ArtifactKind::Markdown, "docs/adr/0001-use-queues.md"),
    (ArtifactKind::Markdown, "postmortems/2026-01-01-outage.md"),
    (ArtifactKind::Markdown, "runbooks/restart.md"),
    (ArtifactKind::IncidentExport, "incidents/pagerduty.csv"),
    (ArtifactKind::IncidentExport, "incidents/opsgenie.json"),
    (ArtifactKind::Codeowners, ".github/CODEOWNERS"),
];

#[test]
fn fuzz_regressions_do_not_crash() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut checked = 0;
    for entry in std::fs::read_dir(&folder).expect("regression folder exists") {
        let bytes = std::fs::read(entry.expect("readable entry").path()).expect("readable input");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        for (kind, path) in KINDS {
            let file = SourceFile::new(path.into(), PathBuf::from(path), text.clone());
            let _ = opslint_records::extract(kind, &file, &opslint_records::Config::default());
        }
        checked += 1;
    }
    assert!(checked >= 1, "expected the committed regression inputs");
}
