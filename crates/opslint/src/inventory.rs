//! The inventory of a run besides rule results: services, artifacts by
//! kind, ADRs, post-incident analyses, incidents and their figures, and the
//! ADR-accepted risks. The analysis report is built from it.

use std::collections::BTreeSet;

use opslint_core::{Diagnostic, Sink, tool_rules};
use opslint_model::deployable::container_services;
use opslint_model::service_link::comparable_name;
use opslint_model::{Facts, Workspace};
use opslint_records::Record;
use opslint_records::postmortem::ItemState;
use opslint_report::analysis::{AdrEntry, Inventory, PostmortemEntry};

/// A finding that an accepted ADR names as a known risk.
#[derive(Debug, Clone)]
pub struct AcceptedFinding {
    pub diagnostic: Diagnostic,
    pub adr: String,
    pub adr_path: String,
    /// The ADR's path from the repository's root, for outputs that name
    /// files that way (SARIF, JSON suppression sources).
    pub adr_repository_path: String,
}

/// Moves findings of rules that an accepted ADR, of the workspace or of
/// `other_adrs`, lists under `opslint-accepts` out of `diagnostics`. Tool
/// diagnostics such as `parse-error` are never accepted.
pub fn accept_risks(
    workspace: &Workspace,
    other_adrs: &[opslint_records::adr::Adr],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<AcceptedFinding> {
    let mut accepting: Vec<(&opslint_records::adr::AcceptedRule, String, String, String)> =
        Vec::new();
    let workspace_adrs = workspace.records().filter_map(|(_, record)| match record {
        Record::Adr(adr) => Some(adr),
        _ => None,
    });
    for adr in workspace_adrs.chain(other_adrs) {
        if adr.is_accepted() {
            let repository_path = workspace
                .artifact(&adr.path)
                .and_then(|artifact| artifact.file.repository_path.clone())
                .unwrap_or_else(|| adr.path.clone());
            for rule in &adr.accepted_rules {
                accepting.push((rule, adr.label(), adr.path.clone(), repository_path.clone()));
            }
        }
    }
    let mut accepted = Vec::new();
    if accepting.is_empty() {
        return accepted;
    }
    // Findings come sorted by path, so the file is looked up once per path.
    let mut file: Option<(&str, Option<&str>)> = None;
    diagnostics.retain(|diagnostic| {
        if diagnostic.rule.principle.is_none() {
            return true;
        }
        // Entries are written from the repository's root, which differs
        // from the display path in a run from a subfolder.
        let repository_path = match file {
            Some((path, repository_path)) if path == diagnostic.path => repository_path,
            _ => {
                let artifact = workspace.artifact(&diagnostic.path);
                let repository_path =
                    artifact.and_then(|artifact| artifact.file.repository_path.as_deref());
                file = artifact.map(|artifact| (artifact.file.path.as_str(), repository_path));
                repository_path
            }
        };
        let Some((_, adr, adr_path, adr_repository_path)) = accepting.iter().find(|(rule, ..)| {
            rule.covers(diagnostic.rule.id, &diagnostic.path)
                || repository_path.is_some_and(|path| rule.covers(diagnostic.rule.id, path))
        }) else {
            return true;
        };
        accepted.push(AcceptedFinding {
            diagnostic: diagnostic.clone(),
            adr: adr.clone(),
            adr_path: adr_path.clone(),
            adr_repository_path: adr_repository_path.clone(),
        });
        false
    });
    accepted
}

/// Reports `opslint-accepts` entries of accepted ADRs that cannot work: an
/// unknown rule id, or, when the run covers a whole repository, a path that
/// names no file of the run. Like a faulty suppression comment, such an entry would
/// silently accept nothing. `is_known_rule` separates built-in and loaded user
/// rules from typos.
pub fn check_acceptances(
    workspace: &Workspace,
    is_known_rule: &dyn Fn(&str) -> bool,
    whole_repository: bool,
    reported: &[&'static str],
    sink: &mut Sink,
) {
    for (artifact, record) in workspace.records() {
        let Record::Adr(adr) = record else {
            continue;
        };
        if !adr.is_accepted() {
            continue;
        }
        for accepted in &adr.accepted_rules {
            if !is_known_rule(&accepted.rule) {
                if !reported.contains(&tool_rules::INVALID_SUPPRESSION.id) {
                    continue;
                }
                sink.violation(
                    &tool_rules::INVALID_SUPPRESSION,
                    &artifact.file,
                    accepted.span,
                    format!("opslint-accepts/{}", accepted.rule),
                    format!(
                        "`opslint-accepts` names the {}",
                        crate::unknown_rule_message(&accepted.rule)
                    ),
                    "accepted risk",
                )
                .help = Some("correct the rule id, or delete the entry".into());
                continue;
            }
            // A path can be missing from a run on part of the repository.
            if !whole_repository || !reported.contains(&tool_rules::UNUSED_SUPPRESSION.id) {
                continue;
            }
            for entry in &accepted.paths {
                let names_a_file = workspace
                    .artifacts
                    .iter()
                    .any(|other| opslint_records::adr::path_matches(entry, &other.file.path));
                if !names_a_file {
                    sink.violation(
                        &tool_rules::UNUSED_SUPPRESSION,
                        &artifact.file,
                        accepted.span,
                        format!("opslint-accepts/{}/{entry}", accepted.rule),
                        format!(
                            "`opslint-accepts: {}` names the path `{entry}`, which matches no file of the run",
                            accepted.rule
                        ),
                        "accepted risk",
                    )
                    .help = Some(
                        "write a file, a folder or a glob such as `k8s/*.yaml` from the repository's root, or delete the path"
                            .into(),
                    );
                }
            }
        }
    }
}

pub fn build(workspace: &Workspace) -> Inventory {
    let mut inventory = Inventory::default();
    let mut services = BTreeSet::new();
    let mut incidents = Vec::new();
    let mut postmortems = Vec::new();
    for artifact in &workspace.artifacts {
        *inventory
            .artifacts_by_kind
            .entry(artifact.kind.as_str().to_string())
            .or_default() += 1;
        match &artifact.facts {
            Facts::Kubernetes(manifest) => {
                inventory.alarms += manifest
                    .objects
                    .iter()
                    .filter(|object| object.kind == "PrometheusRule")
                    .count();
            }
            Facts::Terraform(file) => {
                for resource in file.resources() {
                    match resource.type_name {
                        "aws_lambda_function" | "aws_ecs_service" => {
                            // A shared module's resource is a service per call,
                            // named by the call (`module "payments"`).
                            let folder =
                                opslint_model::terraform_eval::folder_of(&artifact.file.path);
                            let calls = workspace.terraform_index.call_names(folder);
                            if is_generic_name(resource.name) && !calls.is_empty() {
                                services.extend(calls.into_iter().map(str::to_string));
                            } else {
                                services.insert(terraform_service_name(
                                    &artifact.file.path,
                                    resource.name,
                                ));
                            }
                        }
                        "aws_cloudwatch_metric_alarm" | "aws_cloudwatch_composite_alarm" => {
                            inventory.alarms += 1;
                        }
                        _ => {}
                    }
                }
            }
            Facts::CloudFormation(template) => {
                for resource in &template.resources {
                    match resource.type_name.as_str() {
                        "AWS::Lambda::Function"
                        | "AWS::Serverless::Function"
                        | "AWS::ECS::Service" => {
                            services.insert(resource.logical_id.clone());
                        }
                        "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm" => {
                            inventory.alarms += 1;
                        }
                        _ => {}
                    }
                }
            }
            Facts::Record(record) => match &**record {
                Record::Adr(adr) => inventory.adrs.push(AdrEntry {
                    path: adr.path.clone(),
                    label: adr.label(),
                    status: adr.status.as_ref().map(|s| status_label(&s.text)),
                    date: adr.date.clone(),
                    decision: first_sentence(&adr.decision),
                }),
                Record::Postmortem(postmortem) => {
                    postmortems.push(postmortem);
                    inventory.postmortems.push(PostmortemEntry {
                        path: postmortem.path.clone(),
                        title: postmortem.title.clone(),
                        date: postmortem.date.clone(),
                        incidents: postmortem.incident_refs.clone(),
                        open_items: postmortem.open_items().count(),
                        items_without_status: postmortem
                            .action_items
                            .iter()
                            .filter(|i| i.state == ItemState::Unknown)
                            .count(),
                        items: postmortem
                            .action_items
                            .iter()
                            .filter(|i| i.state != ItemState::Dropped)
                            .count(),
                    });
                }
                Record::Incidents(export) => {
                    inventory.incident_exports.push(artifact.file.path.clone());
                    incidents.extend(export.incidents.iter());
                }
                Record::Codeowners(_) => inventory.codeowners.push(artifact.file.path.clone()),
                Record::Runbook => inventory.runbooks.push(artifact.file.path.clone()),
            },
            _ => {}
        }
    }
    for incident in &incidents {
        if !incident.service.is_empty() {
            inventory.incident_services.insert(incident.service.clone());
        }
    }
    // CODEOWNERS and runbooks at the root of the repository around a walked
    // subfolder count as the checks of the whole repository count them.
    for (_, path) in &workspace.outside.codeowners {
        if !inventory.codeowners.contains(path) {
            inventory.codeowners.push(path.clone());
        }
    }
    for (_, path) in &workspace.outside.runbooks {
        if !inventory.runbooks.contains(path) {
            inventory.runbooks.push(path.clone());
        }
    }
    // Kubernetes and compose workloads, joined with the Rust and Python
    // services whose code they run.
    let containers = container_services(workspace, !services.is_empty());
    let mut listed: BTreeSet<String> = containers
        .services
        .iter()
        .map(|name| comparable_name(name))
        .collect();
    services.retain(|name| listed.insert(comparable_name(name)));
    services.extend(containers.services);
    inventory.services = services.into_iter().collect();
    inventory.development_dependencies = containers.development_dependencies;
    inventory.figures = opslint_records::figures::compute(&incidents, &postmortems);
    inventory
}

fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = flat
        .find(". ")
        .map_or(flat.len(), |i| i + 1)
        .min(flat.char_indices().nth(200).map_or(flat.len(), |(i, _)| i));
    flat[..end].to_string()
}

/// The status as a short label: `superseded by [5. X](...)`
/// becomes `superseded by 5. X`.
fn status_label(text: &str) -> String {
    let plain: String = text
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | '*' | '_' | '`'))
        .collect();
    let plain = match plain.find("](").or_else(|| plain.find('(')) {
        Some(index) if plain.contains("superseded") || plain.contains("Superseded") => {
            plain[..index].to_string()
        }
        _ => plain,
    };
    let label = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    label.chars().take(60).collect()
}

/// Returns whether a Terraform resource name tells nothing of the service,
/// as the `this` of a shared module does.
fn is_generic_name(name: &str) -> bool {
    matches!(name, "this" | "main" | "default" | "service" | "function")
}

/// Names a Terraform service resource for the inventory. A module's single
/// resource is usually called `this` or `main`, so it takes the module's
/// folder name instead: `lambda-function` for
/// `modules/lambda-function/main.tf`.
fn terraform_service_name(path: &str, name: &str) -> String {
    if !is_generic_name(name) {
        return name.to_string();
    }
    let folder = path.rsplit('/').nth(1).unwrap_or(name);
    folder.to_string()
}

#[cfg(test)]
mod tests {
    use super::terraform_service_name;

    #[test]
    fn module_resources_take_the_folder_name() {
        assert_eq!(
            terraform_service_name("modules/lambda-function/main.tf", "this"),
            "lambda-function"
        );
        assert_eq!(terraform_service_name("main.tf", "this"), "this");
        assert_eq!(
            terraform_service_name("envs/prod/main.tf", "orders"),
            "orders"
        );
    }
}
