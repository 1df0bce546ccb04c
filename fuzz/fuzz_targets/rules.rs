#![no_main]

//! Runs fact extraction and every rule on one file whose kind is chosen by
//! the first input byte, as the pipeline does after parsing.

use std::path::PathBuf;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use opslint_core::{ArtifactKind, Sink, SourceFile};
use opslint_model::{Artifact, Workspace};

const KINDS: [(ArtifactKind, &str, bool); 8] = [
    (ArtifactKind::Kubernetes, "k8s.yaml", false),
    (ArtifactKind::HelmTemplate, "chart/templates/t.yaml", false),
    (ArtifactKind::CloudFormation, "template.yaml", false),
    (ArtifactKind::CloudFormation, "template.json", true),
    (ArtifactKind::Terraform, "main.tf", false),
    (ArtifactKind::GithubWorkflow, ".github/workflows/ci.yml", false),
    (ArtifactKind::DockerCompose, "compose.yml", false),
    (ArtifactKind::Kustomization, "kustomization.yaml", false),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (kind, path, is_json) = KINDS[selector as usize % KINDS.len()];
    let file = Arc::new(SourceFile::new(path.into(), PathBuf::from(path), text.into()));
    let syntax = opslint_syntax::parse(kind, &file.text, is_json);
    let facts = opslint_model::extract(kind, &file, syntax);
    let workspace = Workspace::new(vec![Artifact { file, kind, facts }]);
    let mut sink = Sink::new();
    for rule in opslint_lints::all() {
        rule.check(&workspace, &mut sink);
    }
    for diagnostic in &sink.diagnostics {
        assert!(diagnostic.span.start <= diagnostic.span.end);
        assert!(diagnostic.span.end <= text.len());
    }
});
