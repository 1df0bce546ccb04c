//! Front ends of opslint: discovery of files, their classification into
//! artifact kinds, and parsing into span-carrying trees.

// Data read from files must never panic the linter; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod bash;
pub mod classify;
pub mod discover;
pub mod dockerfile;
pub mod hcl;
pub mod helm;
pub mod json;
mod parsers;

pub use parsers::Children;
pub mod python;
pub mod rust;
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
    Rust(rust::RustFile),
    Python(python::PythonFile),
    /// A TOML dependency manifest; `None` when it does not parse.
    Toml(Option<toml::Table>, Vec<SyntaxError>),
    Bash(bash::BashFile),
    Dockerfile(dockerfile::DockerfileSyntax),
    /// A kind that has no front end yet; its facts come from later work.
    Unparsed,
}

impl Syntax {
    pub fn errors(&self) -> &[SyntaxError] {
        match self {
            Self::Yaml(file) => &file.errors,
            Self::Json(file) => &file.errors,
            Self::Hcl(file) => &file.errors,
            Self::Python(file) => &file.errors,
            Self::Toml(_, errors) => errors,
            Self::Bash(file) => &file.errors,
            Self::Dockerfile(file) => &file.errors,
            Self::Rust(file) => &file.errors,
            Self::Unparsed => &[],
        }
    }
}

/// Parses `text` with the front end for `kind`. JSON CloudFormation is
/// recognised by the file name, so the caller passes whether the file is JSON.
pub fn parse(kind: ArtifactKind, text: &str, is_json: bool) -> Syntax {
    match kind {
        ArtifactKind::Terraform => Syntax::Hcl(hcl::parse(text)),
        // `terraform.tfvars.json` and `*.auto.tfvars.json` use JSON syntax.
        ArtifactKind::TerraformVars if is_json => Syntax::Hcl(hcl::parse_json_vars(text)),
        ArtifactKind::TerraformVars => Syntax::Hcl(hcl::parse(text)),
        ArtifactKind::IncidentExport => Syntax::Unparsed,
        _ if is_json => Syntax::Json(json::parse(text)),
        ArtifactKind::HelmTemplate => Syntax::Yaml(yaml::parse(text, true)),
        // A manifest outside a chart may still be a template (a chart without
        // its `Chart.yaml`, or Go templates rendered by another tool); its
        // `{{ ... }}` text is masked as in a chart so that the rest is read.
        ArtifactKind::Kubernetes if text.contains("{{") => Syntax::Yaml(yaml::parse(text, true)),
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
        ArtifactKind::Rust => Syntax::Rust(rust::parse(text)),
        ArtifactKind::Python => Syntax::Python(python::parse(text)),
        ArtifactKind::CargoManifest | ArtifactKind::PyprojectManifest => parse_toml(text),
        ArtifactKind::Shell => Syntax::Bash(bash::parse(text)),
        ArtifactKind::Dockerfile => Syntax::Dockerfile(dockerfile::parse(text)),
        ArtifactKind::Makefile
        | ArtifactKind::HelmHelpers
        | ArtifactKind::PipRequirements
        | ArtifactKind::Markdown
        | ArtifactKind::Codeowners => Syntax::Unparsed,
    }
}

fn parse_toml(text: &str) -> Syntax {
    match text.parse::<toml::Table>() {
        Ok(table) => Syntax::Toml(Some(table), Vec::new()),
        Err(error) => {
            let span = error.span().map(Span::from).unwrap_or_default();
            let message = format!("invalid TOML: {}", error.message());
            Syntax::Toml(None, vec![SyntaxError::new(span, message)])
        }
    }
}
