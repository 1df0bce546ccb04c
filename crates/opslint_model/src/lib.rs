//! Typed facts extracted from parsed files, and the workspace model that
//! joins them across files. Rules read only these facts; none of them reads
//! or parses a file.

pub mod automation;
pub mod cloudformation;
pub mod commands;
pub mod compose;
pub mod github;
pub mod gitlab;
pub mod image;
pub mod kubernetes;
pub mod make;
pub mod manifest;
pub mod python_code;
pub mod rust_code;
pub mod service;
pub mod service_link;
pub mod shell;
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
    GithubAction(github::Action),
    GitlabCi(gitlab::Pipeline),
    Shell(shell::ShellScript),
    Makefile(make::Makefile),
    Compose(compose::ComposeFile),
    /// A Rust or Python source file.
    Code(service::CodeFile),
    Dependencies(service::DependencyManifest),
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
        (ArtifactKind::GithubAction, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::GithubAction(github::Action::from_root(doc.root, file))
            }),
        (ArtifactKind::GitlabCi, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::GitlabCi(gitlab::Pipeline::from_root(doc.root, &file.path))
            }),
        (ArtifactKind::Shell, Syntax::Bash(bash)) => Facts::Shell(shell::ShellScript::new(bash)),
        (ArtifactKind::Makefile, _) => Facts::Makefile(make::Makefile::parse(&file.text)),
        // A YAML file that a `.gitlab-ci.yml` includes can have any name, so
        // pipeline-shaped files are kept; only included ones are checked.
        (ArtifactKind::OtherYaml, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .filter(|doc| gitlab::looks_like_pipeline(&doc.root))
            .map_or(Facts::None, |doc| {
                Facts::GitlabCi(gitlab::Pipeline::from_root(doc.root, &file.path))
            }),
        (ArtifactKind::DockerCompose, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::Compose(compose::ComposeFile::from_root(doc.root))
            }),
        (ArtifactKind::Rust, Syntax::Rust(rust)) => Facts::Code(rust_code::extract(file, rust)),
        (ArtifactKind::Python, Syntax::Python(python)) => {
            Facts::Code(python_code::extract(file, python))
        }
        (ArtifactKind::CargoManifest, Syntax::Toml(Some(table), _)) => {
            Facts::Dependencies(manifest::from_cargo(&table))
        }
        (ArtifactKind::PyprojectManifest, Syntax::Toml(Some(table), _)) => {
            Facts::Dependencies(manifest::from_pyproject(&table))
        }
        (ArtifactKind::PipRequirements, _) => {
            Facts::Dependencies(manifest::from_requirements(&file.text))
        }
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
        }
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

    /// Rust and Python code grouped into the services it runs.
    pub fn services(&self) -> Vec<service::Service<'_>> {
        service::services(&self.artifacts)
    }

    pub fn code(&self) -> impl Iterator<Item = (&Artifact, &service::CodeFile)> {
        self.artifacts.iter().filter_map(|a| match &a.facts {
            Facts::Code(c) => Some((a, c)),
            _ => None,
        })
    }

    pub fn gitlab_pipelines(&self) -> impl Iterator<Item = (&Artifact, &gitlab::Pipeline)> {
        self.artifacts.iter().filter_map(|a| match &a.facts {
            Facts::GitlabCi(p) => Some((a, p)),
            _ => None,
        })
    }

    /// Finds the artifact whose display path is `path`.
    pub fn artifact(&self, path: &str) -> Option<&Artifact> {
        self.artifacts
            .binary_search_by(|artifact| artifact.file.path.as_str().cmp(path))
            .ok()
            .map(|index| &self.artifacts[index])
    }

    pub fn compose(&self) -> impl Iterator<Item = (&Artifact, &compose::ComposeFile)> {
        self.artifacts.iter().filter_map(|a| match &a.facts {
            Facts::Compose(c) => Some((a, c)),
            _ => None,
        })
    }
}
