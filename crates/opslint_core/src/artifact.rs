use serde::Serialize;

/// What a discovered file is, decided from its path and, for YAML and JSON,
/// from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    Kubernetes,
    HelmTemplate,
    HelmValues,
    /// A `.tpl` file in a chart's `templates` folder, such as `_helpers.tpl`:
    /// the named templates that `include` renders.
    HelmHelpers,
    Kustomization,
    CloudFormation,
    Terraform,
    TerraformVars,
    DockerCompose,
    GithubWorkflow,
    GithubAction,
    GitlabCi,
    Dockerfile,
    Shell,
    Makefile,
    Rust,
    Python,
    /// `Cargo.toml`.
    CargoManifest,
    /// `pyproject.toml`.
    PyprojectManifest,
    /// `requirements.txt` and its variants such as `requirements-dev.txt`.
    PipRequirements,
    Markdown,
    /// An incident export: CSV, or JSON whose path names incidents.
    IncidentExport,
    /// A `CODEOWNERS` file.
    Codeowners,
    /// YAML that none of the kinds above claims; parsed so syntax errors
    /// are still reported.
    OtherYaml,
    OtherJson,
}

impl ArtifactKind {
    /// Returns whether files of this kind are YAML. CloudFormation templates
    /// may also be JSON, which their `.json` suffix marks.
    pub fn is_yaml(self) -> bool {
        matches!(
            self,
            Self::Kubernetes
                | Self::HelmTemplate
                | Self::HelmValues
                | Self::Kustomization
                | Self::CloudFormation
                | Self::DockerCompose
                | Self::GithubWorkflow
                | Self::GithubAction
                | Self::GitlabCi
                | Self::OtherYaml
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kubernetes => "kubernetes",
            Self::HelmTemplate => "helm-template",
            Self::HelmValues => "helm-values",
            Self::HelmHelpers => "helm-helpers",
            Self::Kustomization => "kustomization",
            Self::CloudFormation => "cloudformation",
            Self::Terraform => "terraform",
            Self::TerraformVars => "terraform-vars",
            Self::DockerCompose => "docker-compose",
            Self::GithubWorkflow => "github-workflow",
            Self::GithubAction => "github-action",
            Self::GitlabCi => "gitlab-ci",
            Self::Dockerfile => "dockerfile",
            Self::Shell => "shell",
            Self::Makefile => "makefile",
            Self::Rust => "rust",
            Self::Python => "python",
            Self::CargoManifest => "cargo-manifest",
            Self::PyprojectManifest => "pyproject",
            Self::PipRequirements => "pip-requirements",
            Self::Markdown => "markdown",
            Self::IncidentExport => "incident-export",
            Self::Codeowners => "codeowners",
            Self::OtherYaml => "yaml",
            Self::OtherJson => "json",
        }
    }
}
