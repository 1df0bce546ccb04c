//! Front ends of opslint: discovery of files, their classification into
//! artifact kinds, and parsing into span-carrying trees.

pub mod classify;
pub mod discover;
pub mod hcl;
pub mod helm;
pub mod json;
pub mod value;
pub mod yaml;

use opslint_core::{ArtifactKind, Span};

/// A syntax error found while parsing, at the location where it was detected.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

impl SyntaxError {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
        }
    }
}

/// The parse tree of one file, in the form its front end produces.
#[derive(Debug)]
pub enum Syntax {
    Yaml(yaml::YamlFile),
    Json(json::JsonFile),
    Hcl(hcl::HclFile),
    /// A kind that has no front end yet; its facts come from later work.
    Unparsed,
}

impl Syntax {
    pub fn errors(&self) -> &[SyntaxError] {
        match self {
            Self::Yaml(file) => &file.errors,
            Self::Json(file) => &file.errors,
            Self::Hcl(file) => &file.errors,
            Self::Unparsed => &[],
        }
    }
}

/// Parses `text` with the front end for `kind`. JSON CloudFormation is
/// recognised by the file name, so the caller passes whether the file is JSON.
pub fn parse(kind: ArtifactKind, text: &str, is_json: bool) -> Syntax {
    match kind {
        ArtifactKind::Terraform | ArtifactKind::TerraformVars => Syntax::Hcl(hcl::parse(text)),
        ArtifactKind::IncidentExport => Syntax::Unparsed,
        _ if is_json => Syntax::Json(json::parse(text)),
        ArtifactKind::HelmTemplate => Syntax::Yaml(yaml::parse(text, true)),
        ArtifactKind::Kubernetes
        | ArtifactKind::HelmValues
        | ArtifactKind::Kustomization
        | ArtifactKind::CloudFormation
        | ArtifactKind::DockerCompose
        | ArtifactKind::GithubWorkflow
        | ArtifactKind::GithubAction
        | ArtifactKind::GitlabCi
        | ArtifactKind::OtherYaml => Syntax::Yaml(yaml::parse(text, false)),
        ArtifactKind::OtherJson => Syntax::Json(json::parse(text)),
        ArtifactKind::Dockerfile
        | ArtifactKind::Shell
        | ArtifactKind::Rust
        | ArtifactKind::Python
        | ArtifactKind::Markdown
        | ArtifactKind::Codeowners => Syntax::Unparsed,
    }
}
