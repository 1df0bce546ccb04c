//! Decides what each file is: by its path where that is enough, and by a
//! look at the text for YAML and JSON files whose name says nothing.

use std::path::Path;

use opslint_core::ArtifactKind;

/// The result of classifying by path alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    Known(ArtifactKind),
    /// YAML or JSON whose kind depends on its content.
    SniffYaml,
    SniffJson,
    /// Not a file opslint reads.
    Skip,
}

/// Returns whether [`by_path`] reads its chart arguments for `path`: only
/// YAML files and `.tpl` helpers can belong to a Helm chart, so callers
/// look up the chart folders for those alone.
pub fn may_belong_to_chart(path: &str) -> bool {
    let path = path.as_bytes();
    [&b".yaml"[..], b".yml", b".tpl"].iter().any(|extension| {
        path.len() >= extension.len()
            && path[path.len() - extension.len()..].eq_ignore_ascii_case(extension)
    })
}

/// Classifies by the `/`-separated path. `in_chart_templates` says whether
/// the file sits in the `templates/` folder of a Helm chart (a folder with a
/// `Chart.yaml`), which the caller checks on disk.
pub fn by_path(path: &str, in_chart_templates: bool, beside_chart: bool) -> PathClass {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let extension = lower.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
    let is_yaml = matches!(extension, "yaml" | "yml");

    if lower.ends_with(".tfvars.json") {
        return PathClass::Known(ArtifactKind::TerraformVars);
    }
    if name == "CODEOWNERS" {
        return PathClass::Known(ArtifactKind::Codeowners);
    }
    if extension == "csv"
        || (extension == "json"
            && ["incident", "pagerduty", "opsgenie"]
                .iter()
                .any(|word| path.to_ascii_lowercase().contains(word)))
    {
        return PathClass::Known(ArtifactKind::IncidentExport);
    }
    if lower == "dockerfile"
        || lower.starts_with("dockerfile.")
        || lower.ends_with(".dockerfile")
        || lower == "containerfile"
    {
        // `Dockerfile.j2` and the like are templates that render a
        // Dockerfile; their text is not Dockerfile syntax.
        const TEMPLATE_EXTENSIONS: [&str; 9] = [
            "j2", "jinja", "jinja2", "tmpl", "tpl", "template", "in", "erb", "mustache",
        ];
        if TEMPLATE_EXTENSIONS.contains(&extension) {
            return PathClass::Skip;
        }
        return PathClass::Known(ArtifactKind::Dockerfile);
    }
    if lower == "cargo.toml" {
        return PathClass::Known(ArtifactKind::CargoManifest);
    }
    if lower == "pyproject.toml" {
        return PathClass::Known(ArtifactKind::PyprojectManifest);
    }
    if lower.starts_with("requirements") && extension == "txt" {
        return PathClass::Known(ArtifactKind::PipRequirements);
    }
    if matches!(lower.as_str(), "makefile" | "gnumakefile") || extension == "mk" {
        return PathClass::Known(ArtifactKind::Makefile);
    }
    if extension == "tpl" && in_chart_templates {
        return PathClass::Known(ArtifactKind::HelmHelpers);
    }
    match extension {
        "tf" => return PathClass::Known(ArtifactKind::Terraform),
        "tfvars" => return PathClass::Known(ArtifactKind::TerraformVars),
        "rs" => return PathClass::Known(ArtifactKind::Rust),
        "py" => return PathClass::Known(ArtifactKind::Python),
        "sh" | "bash" => return PathClass::Known(ArtifactKind::Shell),
        "md" | "markdown" => return PathClass::Known(ArtifactKind::Markdown),
        _ => {}
    }
    if is_yaml {
        if path.contains(".github/workflows/") {
            return PathClass::Known(ArtifactKind::GithubWorkflow);
        }
        if lower == "action.yml" || lower == "action.yaml" {
            return PathClass::Known(ArtifactKind::GithubAction);
        }
        // Included pipeline files conventionally live in `.gitlab/ci/` or end
        // in `.gitlab-ci.yml`.
        if lower == ".gitlab-ci.yml"
            || lower == ".gitlab-ci.yaml"
            || lower.ends_with(".gitlab-ci.yml")
            || path.starts_with(".gitlab/ci/")
            || path.contains("/.gitlab/ci/")
        {
            return PathClass::Known(ArtifactKind::GitlabCi);
        }
        if lower.starts_with("docker-compose")
            || lower.starts_with("compose.")
            || lower.starts_with("compose-")
        {
            return PathClass::Known(ArtifactKind::DockerCompose);
        }
        if lower == "kustomization.yaml" || lower == "kustomization.yml" {
            return PathClass::Known(ArtifactKind::Kustomization);
        }
        if in_chart_templates {
            return PathClass::Known(ArtifactKind::HelmTemplate);
        }
        if beside_chart && lower.starts_with("values") {
            return PathClass::Known(ArtifactKind::HelmValues);
        }
        return PathClass::SniffYaml;
    }
    if extension == "json" || extension == "template" {
        return PathClass::SniffJson;
    }
    PathClass::Skip
}

/// Classifies YAML by its top-level keys: Kubernetes objects have
/// `apiVersion` and `kind`; CloudFormation has `AWSTemplateFormatVersion`,
/// a SAM transform or resources typed `AWS::...`.
pub fn sniff_yaml(text: &str) -> ArtifactKind {
    let mut has_api_version = false;
    let mut has_kind = false;
    let mut has_resources = false;
    let mut has_services = false;
    for line in text.lines() {
        if line.starts_with("AWSTemplateFormatVersion")
            || line.starts_with("Transform: AWS::Serverless")
        {
            return ArtifactKind::CloudFormation;
        }
        if line.starts_with("apiVersion:") {
            has_api_version = true;
        } else if line.starts_with("kind:") {
            has_kind = true;
        } else if line.starts_with("Resources:") {
            has_resources = true;
        } else if line.starts_with("services:") {
            has_services = true;
        }
        let trimmed = line.trim_start();
        if has_resources
            && (trimmed.starts_with("Type: AWS::")
                || trimmed.starts_with("Type: 'AWS::")
                || trimmed.starts_with("Type: \"AWS::"))
        {
            return ArtifactKind::CloudFormation;
        }
    }
    if has_api_version && has_kind {
        return ArtifactKind::Kubernetes;
    }
    if has_services
        && text.lines().any(|line| {
            let trimmed = line.trim_start();
            trimmed.starts_with("image:") || trimmed.starts_with("build:")
        })
    {
        return ArtifactKind::DockerCompose;
    }
    ArtifactKind::OtherYaml
}

/// Returns the kind of a JSON file, or `None` when opslint has no rules for
/// it. Only CloudFormation is read today.
pub fn sniff_json(text: &str) -> Option<ArtifactKind> {
    let head = &text[..text.len().min(4096)];
    if head.contains("\"AWSTemplateFormatVersion\"")
        || text.contains("\"Type\": \"AWS::")
        || text.contains("\"Type\":\"AWS::")
    {
        Some(ArtifactKind::CloudFormation)
    } else {
        None
    }
}

/// Whether `path` is inside the `templates/` folder of a Helm chart.
pub fn in_chart_templates(path: &Path) -> bool {
    path.ancestors().skip(1).take(6).any(|dir| {
        dir.file_name().is_some_and(|n| n == "templates")
            && dir
                .parent()
                .is_some_and(|chart| chart.join("Chart.yaml").is_file())
    })
}

/// Whether `path` sits in a chart's root folder, beside its `Chart.yaml`.
pub fn beside_chart(path: &Path) -> bool {
    path.parent()
        .is_some_and(|dir| dir.join("Chart.yaml").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_candidates_by_extension() {
        assert!(may_belong_to_chart("charts/api/templates/deployment.yaml"));
        assert!(may_belong_to_chart("charts/api/values.YML"));
        assert!(may_belong_to_chart("charts/api/templates/_helpers.tpl"));
        assert!(!may_belong_to_chart("charts/api/README.md"));
        assert!(!may_belong_to_chart("infra/main.tf"));
        assert!(!may_belong_to_chart("yaml"));
    }

    #[test]
    fn by_path_kinds() {
        assert_eq!(
            by_path("main.tf", false, false),
            PathClass::Known(ArtifactKind::Terraform)
        );
        assert_eq!(
            by_path(".github/workflows/ci.yml", false, false),
            PathClass::Known(ArtifactKind::GithubWorkflow)
        );
        assert_eq!(
            by_path("svc/Dockerfile", false, false),
            PathClass::Known(ArtifactKind::Dockerfile)
        );
        assert_eq!(
            by_path("docker-compose.override.yml", false, false),
            PathClass::Known(ArtifactKind::DockerCompose)
        );
        assert_eq!(by_path("k8s/app.yaml", false, false), PathClass::SniffYaml);
        assert_eq!(
            by_path("chart/templates/deploy.yaml", true, false),
            PathClass::Known(ArtifactKind::HelmTemplate)
        );
        assert_eq!(by_path("image.png", false, false), PathClass::Skip);
        assert_eq!(
            by_path("docker/Dockerfile.j2", false, false),
            PathClass::Skip
        );
        assert_eq!(
            by_path("docker/Dockerfile.prod", false, false),
            PathClass::Known(ArtifactKind::Dockerfile)
        );
    }

    #[test]
    fn sniff_yaml_kinds() {
        assert_eq!(
            sniff_yaml("apiVersion: v1\nkind: Pod\n"),
            ArtifactKind::Kubernetes
        );
        assert_eq!(
            sniff_yaml("Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n"),
            ArtifactKind::CloudFormation
        );
        assert_eq!(sniff_yaml("name: ci\non: push\n"), ArtifactKind::OtherYaml);
    }
}
