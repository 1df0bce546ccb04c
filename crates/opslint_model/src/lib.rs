//! Typed facts extracted from parsed files, and the workspace model that
//! joins them across files. Rules read only these facts; none of them reads
//! or parses a file.

pub mod cloudformation;
pub mod commands;
pub mod compose;
pub mod github;
pub mod image;
pub mod kubernetes;
pub mod terraform;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use opslint_core::{ArtifactKind, SourceFile};
use opslint_syntax::Syntax;

/// One file with the facts extracted from it.
#[derive(Debug)]
pub struct Artifact {
    pub file: Arc<SourceFile>,
    pub kind: ArtifactKind,
    pub facts: Facts,
}

#[derive(Debug)]
pub enum Facts {
    Kubernetes(kubernetes::Manifest),
    Kustomization(kubernetes::Kustomization),
    CloudFormation(cloudformation::Template),
    Terraform(terraform::TerraformFile),
    GithubWorkflow(github::Workflow),
    Compose(compose::ComposeFile),
    /// ADRs, post-incident analyses, incident exports, CODEOWNERS and
    /// runbooks.
    Record(opslint_records::Record),
    None,
}

/// Extracts the facts of one parsed file. Documents with syntax errors were
/// already left out by the parser.
pub fn extract(kind: ArtifactKind, file: &SourceFile, syntax: Syntax) -> Facts {
    match (kind, syntax) {
        (ArtifactKind::Kubernetes | ArtifactKind::HelmTemplate, Syntax::Yaml(yaml)) => {
            Facts::Kubernetes(kubernetes::Manifest::from_documents(
                yaml.documents,
                &file.text,
                kind == ArtifactKind::HelmTemplate,
            ))
        }
        (ArtifactKind::Kustomization, Syntax::Yaml(yaml)) => {
            Facts::Kustomization(kubernetes::Kustomization::from_documents(&yaml.documents))
        }
        (ArtifactKind::CloudFormation, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::CloudFormation(cloudformation::Template::from_root(doc.root))
            }),
        (ArtifactKind::CloudFormation, Syntax::Json(json)) => {
            json.document.map_or(Facts::None, |doc| {
                Facts::CloudFormation(cloudformation::Template::from_root(doc.root))
            })
        }
        (ArtifactKind::Terraform, Syntax::Hcl(hcl)) => {
            Facts::Terraform(terraform::TerraformFile::new(hcl.body))
        }
        (ArtifactKind::GithubWorkflow, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::GithubWorkflow(github::Workflow::from_root(doc.root, file))
            }),
        (ArtifactKind::DockerCompose, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::Compose(compose::ComposeFile::from_root(doc.root))
            }),
        _ => Facts::None,
    }
}

/// All artifacts of a run, joined.
#[derive(Debug, Default)]
pub struct Workspace {
    pub artifacts: Vec<Artifact>,
    /// Image names whose tag a deploy tool sets (Kustomize `images:`,
    /// Skaffold artifacts), mapped to the tool's name.
    pub retagged_images: BTreeMap<String, &'static str>,
    /// Whether the run walked at least one folder. Rules about the whole
    /// repository (no CODEOWNERS, no runbooks) stay quiet when only single
    /// files were given, as a pre-commit hook does.
    pub folders_walked: bool,
}

impl Workspace {
    /// Builds the model: sorts artifacts by path and marks Kubernetes
    /// documents that a `kustomization.yaml` uses as patches, since a patch
    /// states only what it changes.
    pub fn new(mut artifacts: Vec<Artifact>) -> Self {
        artifacts.sort_by(|a, b| a.file.path.cmp(&b.file.path));
        let patch_paths: HashSet<String> = artifacts
            .iter()
            .filter_map(|artifact| match &artifact.facts {
                Facts::Kustomization(kustomization) => Some(
                    kustomization
                        .patch_files
                        .iter()
                        .map(|patch| kubernetes::join_path(&artifact.file.path, patch))
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        for artifact in &mut artifacts {
            if let Facts::Kubernetes(manifest) = &mut artifact.facts
                && patch_paths.contains(&artifact.file.path)
            {
                for object in &mut manifest.objects {
                    object.is_patch = true;
                }
            }
        }
        let mut retagged_images = BTreeMap::new();
        for artifact in &artifacts {
            match &artifact.facts {
                Facts::Kustomization(kustomization) => {
                    for name in &kustomization.image_names {
                        retagged_images.insert(name.clone(), "Kustomize `images:`");
                    }
                }
                Facts::Kubernetes(manifest) => {
                    for object in &manifest.objects {
                        for name in object.skaffold_images() {
                            retagged_images.insert(name, "Skaffold");
                        }
                    }
                }
                _ => {}
            }
        }
        Self {
            artifacts,
            retagged_images,
            folders_walked: false,
        }
    }

    pub fn records(&self) -> impl Iterator<Item = (&Artifact, &opslint_records::Record)> {
        self.artifacts.iter().filter_map(|a| match &a.facts {
            Facts::Record(r) => Some((a, r)),
            _ => None,
        })
    }

    pub fn kubernetes(&self) -> impl Iterator<Item = (&Artifact, &kubernetes::Manifest)> {
        self.artifacts.iter().filter_map(|a| match &a.facts {
            Facts::Kubernetes(m) => Some((a, m)),
            _ => None,
        })
    }

    pub fn cloudformation(&self) -> impl Iterator<Item = (&Artifact, &cloudformation::Template)> {
        self.artifacts.iter().filter_map(|a| match &a.facts {
            Facts::CloudFormation(t) => Some((a, t)),
            _ => None,
        })
    }

    pub fn terraform(&self) -> impl Iterator<Item = (&Artifact, &terraform::TerraformFile)> {
        self.artifacts.iter().filter_map(|a| match &a.facts {
            Facts::Terraform(t) => Some((a, t)),
            _ => None,
        })
    }

    pub fn github_workflows(&self) -> impl Iterator<Item = (&Artifact, &github::Workflow)> {
        self.artifacts.iter().filter_map(|a| match &a.facts {
            Facts::GithubWorkflow(w) => Some((a, w)),
            _ => None,
        })
    }

    pub fn compose(&self) -> impl Iterator<Item = (&Artifact, &compose::ComposeFile)> {
        self.artifacts.iter().filter_map(|a| match &a.facts {
            Facts::Compose(c) => Some((a, c)),
            _ => None,
        })
    }
}
