//! Access to the records of a workspace (ADRs, incidents, post-incident
//! analyses, CODEOWNERS, runbooks) and to the code and infrastructure that
//! record rules compare them with.

use opslint_core::ArtifactKind;
use opslint_model::{Artifact, Workspace};
use opslint_records::Record;
use opslint_records::adr::Adr;
use opslint_records::codeowners::Codeowners;
use opslint_records::incidents::Incident;
use opslint_records::postmortem::Postmortem;

/// Kinds that hold code or infrastructure: where a decision or a lesson
/// would show.
pub const IMPLEMENTATION_KINDS: [ArtifactKind; 14] = [
    ArtifactKind::Kubernetes,
    ArtifactKind::HelmTemplate,
    ArtifactKind::HelmValues,
    ArtifactKind::Kustomization,
    ArtifactKind::CloudFormation,
    ArtifactKind::Terraform,
    ArtifactKind::TerraformVars,
    ArtifactKind::DockerCompose,
    ArtifactKind::GithubWorkflow,
    ArtifactKind::GitlabCi,
    ArtifactKind::Dockerfile,
    ArtifactKind::Shell,
    ArtifactKind::Rust,
    ArtifactKind::Python,
];

/// Kinds whose files someone must own: deployable code and infrastructure.
pub const OWNED_KINDS: [ArtifactKind; 10] = [
    ArtifactKind::Kubernetes,
    ArtifactKind::HelmTemplate,
    ArtifactKind::Kustomization,
    ArtifactKind::CloudFormation,
    ArtifactKind::Terraform,
    ArtifactKind::DockerCompose,
    ArtifactKind::GithubWorkflow,
    ArtifactKind::Dockerfile,
    ArtifactKind::Rust,
    ArtifactKind::Python,
];

pub fn adrs(workspace: &Workspace) -> Vec<(&Artifact, &Adr)> {
    workspace
        .records()
        .filter_map(|(artifact, record)| match record {
            Record::Adr(adr) => Some((artifact, adr)),
            _ => None,
        })
        .collect()
}

/// Returns the paths of the ADRs that another ADR of the run supersedes
/// through a `Supersedes` link, so their status is known even when they state none.
pub fn superseded_by_others(workspace: &Workspace) -> std::collections::HashSet<String> {
    adrs(workspace)
        .into_iter()
        .flat_map(|(_, adr)| {
            adr.links
                .iter()
                .filter(|link| link.kind == opslint_records::adr::LinkKind::Supersedes)
                .map(|link| link.target.split('#').next().unwrap_or(""))
                .filter(|target| !target.is_empty() && !target.contains("://"))
                .map(|target| opslint_model::kubernetes::join_path(&adr.path, target))
        })
        .collect()
}

pub fn postmortems(workspace: &Workspace) -> Vec<(&Artifact, &Postmortem)> {
    workspace
        .records()
        .filter_map(|(artifact, record)| match record {
            Record::Postmortem(postmortem) => Some((artifact, postmortem)),
            _ => None,
        })
        .collect()
}

/// Every incident of every export, with the export's artifact.
pub fn incidents(workspace: &Workspace) -> Vec<(&Artifact, &Incident)> {
    workspace.incidents()
}

/// Incidents with twins in other exports counted once.
pub fn distinct_incidents(workspace: &Workspace) -> Vec<(&Artifact, &Incident)> {
    workspace.distinct_incidents()
}

pub fn codeowners(workspace: &Workspace) -> Vec<(&Artifact, &Codeowners)> {
    workspace
        .records()
        .filter_map(|(artifact, record)| match record {
            Record::Codeowners(owners) => Some((artifact, owners)),
            _ => None,
        })
        .collect()
}

pub fn runbooks(workspace: &Workspace) -> Vec<&Artifact> {
    workspace
        .records()
        .filter(|(_, record)| matches!(record, Record::Runbook))
        .map(|(artifact, _)| artifact)
        .collect()
}

pub fn implementation(workspace: &Workspace) -> impl Iterator<Item = &Artifact> {
    workspace
        .artifacts
        .iter()
        .filter(|a| IMPLEMENTATION_KINDS.contains(&a.kind))
}

/// Returns the first implementation file whose text contains one of
/// `needles`, ignoring ASCII case. The texts are searched in place, not
/// copied in lower case.
pub fn first_mentioning<'a>(workspace: &'a Workspace, needles: &[&str]) -> Option<&'a Artifact> {
    let matcher = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(needles)
        .ok()?;
    implementation(workspace).find(|artifact| matcher.is_match(artifact.file.text.as_str()))
}

/// Returns the first dependency manifest (`Cargo.toml`, `pyproject.toml`,
/// pip requirements) whose text contains one of `needles`, ignoring ASCII
/// case: a dependency shows that a service has taken up a library.
pub fn first_dependency_mentioning<'a>(
    workspace: &'a Workspace,
    needles: &[&str],
) -> Option<&'a Artifact> {
    let matcher = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(needles)
        .ok()?;
    workspace
        .artifacts
        .iter()
        .filter(|a| {
            matches!(
                a.kind,
                ArtifactKind::CargoManifest
                    | ArtifactKind::PyprojectManifest
                    | ArtifactKind::PipRequirements
            )
        })
        .find(|artifact| matcher.is_match(artifact.file.text.as_str()))
}

/// Whether `text` contains `word` with no letter, digit or `-` on either
/// side.
pub fn contains_word(text: &str, word: &str) -> bool {
    let mut start = 0;
    while let Some(found) = text[start..].find(word) {
        let begin = start + found;
        let end = begin + word.len();
        let boundary =
            |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '_'));
        if boundary(text[..begin].chars().next_back()) && boundary(text[end..].chars().next()) {
            return true;
        }
        start = end;
    }
    false
}

/// Services of a post-incident analysis: its metadata, else the services of
/// the incidents it covers, else incident services its title names.
pub fn postmortem_services(
    postmortem: &Postmortem,
    incidents: &[(&Artifact, &Incident)],
) -> Vec<String> {
    let mut services: Vec<String> = postmortem.services.clone();
    if services.is_empty() {
        for (_, incident) in incidents {
            if !incident.service.is_empty()
                && (postmortem.covers(incident))
                && !services.contains(&incident.service)
            {
                services.push(incident.service.clone());
            }
        }
    }
    if services.is_empty() {
        let title = postmortem.title.to_lowercase();
        for (_, incident) in incidents {
            let service = incident.service.to_lowercase();
            if !service.is_empty()
                && contains_word(&title, &service)
                && !services.contains(&incident.service)
            {
                services.push(incident.service.clone());
            }
        }
    }
    services
}

/// The first deployable file, where findings about the whole repository
/// (no CODEOWNERS, no runbooks) are reported.
pub fn first_deployable(workspace: &Workspace) -> Option<&Artifact> {
    workspace.all().find(|a| is_deployable(a))
}

/// Whether the artifact declares something that runs in production: a
/// long-running Kubernetes workload, a service of a compose file that is not
/// an override, a Lambda function,
/// an ECS service or an instance group. A Dockerfile alone does not count,
/// because it may build a tool or a documentation site.
pub fn is_deployable(artifact: &Artifact) -> bool {
    use opslint_model::Facts;
    match &artifact.facts {
        Facts::Kubernetes(manifest) => manifest
            .objects
            .iter()
            .any(|o| o.is_long_running() && !o.is_patch),
        // An override file layers development settings over the main file
        // and deploys nothing of its own.
        Facts::Compose(compose) => {
            !compose.services.is_empty()
                && opslint_model::compose::compose_role(&artifact.file.path)
                    != opslint_model::compose::ComposeRole::Override
        }
        Facts::Terraform(file) => file.resources().any(|r| {
            matches!(
                r.type_name,
                "aws_lambda_function"
                    | "aws_ecs_service"
                    | "aws_instance"
                    | "aws_autoscaling_group"
                    | "aws_apprunner_service"
            )
        }),
        Facts::CloudFormation(template) => template.resources.iter().any(|r| {
            matches!(
                r.type_name.as_str(),
                "AWS::Lambda::Function"
                    | "AWS::Serverless::Function"
                    | "AWS::ECS::Service"
                    | "AWS::EC2::Instance"
                    | "AWS::AutoScaling::AutoScalingGroup"
            )
        }),
        _ => false,
    }
}

/// The span of the first line of `artifact`, where findings about the
/// whole repository are shown.
pub fn first_line(artifact: &Artifact) -> opslint_core::Span {
    let text = &artifact.file.text;
    opslint_core::Span::new(0, text.find('\n').unwrap_or(text.len()))
}
