//! Evidence that `incident-lesson-not-applied` weighs besides the files that
//! name a service: the repository's alert rules, which rarely name the
//! workload they watch, and the code that the service's images are built
//! from, which rarely names the service.

use opslint_model::service::{HttpClient, Service, Timeout};
use opslint_model::service_link::ServiceLinks;
use opslint_model::{Artifact, Facts, Workspace};
use opslint_syntax::value::Node;

use crate::records::contains_word;

/// One alert rule: a Prometheus alerting rule or a CloudWatch alarm.
pub(super) struct AlertRule<'w> {
    pub artifact: &'w Artifact,
    /// The alert's name (`ShopHighErrorRate`) or the alarm's address or
    /// logical id.
    pub name: String,
    /// The rule's text in lower case: its expression, labels, dimensions
    /// and annotations.
    pub text: String,
}

impl AlertRule<'_> {
    /// Returns the rule's name and file in backticks, for messages.
    pub fn label(&self) -> String {
        format!("`{}` in `{}`", self.name, self.artifact.file.path)
    }
}

/// Lists the alerting rules of Prometheus rule files and `PrometheusRule`
/// resources, and the CloudWatch alarms of Terraform and CloudFormation.
pub(super) fn alert_rules(workspace: &Workspace) -> Vec<AlertRule<'_>> {
    let mut rules = Vec::new();
    for artifact in workspace.all() {
        match &artifact.facts {
            Facts::PrometheusRules(root) => {
                prometheus_rules(artifact, root.get("groups"), &mut rules);
            }
            Facts::Kubernetes(manifest) => {
                for object in &manifest.objects {
                    if object.kind == "PrometheusRule" && !object.is_patch {
                        prometheus_rules(artifact, object.root.at(&["spec", "groups"]), &mut rules);
                    }
                }
            }
            Facts::Terraform(terraform) => {
                for resource in terraform.resources().filter(|r| {
                    matches!(
                        r.type_name,
                        "aws_cloudwatch_metric_alarm" | "aws_cloudwatch_composite_alarm"
                    )
                }) {
                    rules.push(AlertRule {
                        artifact,
                        name: resource.address(),
                        text: span_text(artifact, resource.block.span),
                    });
                }
            }
            Facts::CloudFormation(template) => {
                for resource in template.resources.iter().filter(|r| {
                    matches!(
                        r.type_name.as_str(),
                        "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm"
                    )
                }) {
                    rules.push(AlertRule {
                        artifact,
                        name: resource.logical_id.clone(),
                        text: span_text(artifact, resource.node.span),
                    });
                }
            }
            _ => {}
        }
    }
    rules
}

fn prometheus_rules<'w>(
    artifact: &'w Artifact,
    groups: Option<&Node>,
    rules: &mut Vec<AlertRule<'w>>,
) {
    for (_, rule, alert) in crate::support::alerting_rules(groups) {
        rules.push(AlertRule {
            artifact,
            name: alert.as_str().unwrap_or("?").to_string(),
            text: span_text(artifact, rule.span),
        });
    }
}

fn span_text(artifact: &Artifact, span: opslint_core::Span) -> String {
    artifact
        .file
        .text
        .get(span.start..span.end)
        .unwrap_or_default()
        .to_lowercase()
}

/// Names of the services the repository or its incidents know, in lower
/// case: incident services, Kubernetes workloads, compose services and the
/// folders of service code. An alert rule that names one of them and not
/// the analysed service is about that other service.
pub(super) fn known_service_names(workspace: &Workspace) -> Vec<String> {
    let mut names: Vec<String> = workspace
        .incidents()
        .into_iter()
        .map(|(_, incident)| incident.service.to_lowercase())
        .collect();
    for (_, manifest) in workspace.kubernetes() {
        for object in manifest.objects.iter().filter(|o| o.is_long_running()) {
            names.extend(object.name.as_deref().map(str::to_lowercase));
        }
    }
    for (_, compose) in workspace.compose() {
        names.extend(compose.services.iter().map(|s| s.name.to_lowercase()));
    }
    for service in workspace.services() {
        names.push(service.folder_name.to_lowercase());
    }
    names.retain(|name| !name.is_empty());
    names.sort_unstable();
    names.dedup();
    names
}

/// The evidence that the repository's alert rules give about one service.
pub(super) enum AlertEvidence<'r, 'w> {
    /// An alert rule names the service.
    Names,
    /// An alert rule names no known service, so it may watch this one.
    Unlinked(Vec<&'r AlertRule<'w>>),
    /// No alert rule, or every alert rule names only other services.
    None { others: usize },
}

/// Judges the alert rules for the service `needle` (lower case).
pub(super) fn alert_evidence<'r, 'w>(
    rules: &'r [AlertRule<'w>],
    known_services: &[String],
    needle: &str,
) -> AlertEvidence<'r, 'w> {
    if rules.iter().any(|r| contains_word(&r.text, needle)) {
        return AlertEvidence::Names;
    }
    // A link such as a runbook URL ending in `web.md` does not tie a rule
    // to a service named `web`: only the rule's own words do.
    let unlinked: Vec<&AlertRule> = rules
        .iter()
        .filter(|rule| {
            let words = without_links(&rule.text);
            !known_services
                .iter()
                .any(|other| other != needle && contains_word(&words, other))
        })
        .collect();
    if unlinked.is_empty() {
        AlertEvidence::None {
            others: rules.len(),
        }
    } else {
        AlertEvidence::Unlinked(unlinked)
    }
}

/// Returns `text` without its URLs (words that contain `://`).
fn without_links(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .filter(|word| !word.contains("://"))
        .collect()
}

/// Finds the code of the services that the files naming a service run or
/// build: the images of the Kubernetes workloads and compose services that
/// name it, linked by build context, folder or package name, and the code
/// beside a Dockerfile that names it. Returns the code files without
/// duplicates, in service order.
pub(super) fn linked_code<'w>(
    links: &ServiceLinks<'_, 'w>,
    files: &[&'w Artifact],
    needle: &str,
) -> Vec<&'w Artifact> {
    let mut services: Vec<&Service<'w>> = Vec::new();
    for artifact in files {
        match &artifact.facts {
            Facts::Kubernetes(manifest) => {
                for object in manifest.objects.iter().filter(|o| !o.is_patch) {
                    let text = artifact
                        .file
                        .text
                        .get(object.root.span.start..object.root.span.end)
                        .unwrap_or_default();
                    if !contains_word(&text.to_lowercase(), needle) {
                        continue;
                    }
                    for container in object.containers() {
                        let image = container.image.and_then(Node::as_str);
                        services.extend(image.and_then(|i| links.for_image(i)).map(|(s, _)| s));
                    }
                }
            }
            Facts::Compose(compose) => {
                for service in &compose.services {
                    if opslint_model::service_link::comparable_name(&service.name)
                        != opslint_model::service_link::comparable_name(needle)
                    {
                        continue;
                    }
                    let image = service.image().and_then(Node::as_str);
                    services.extend(image.and_then(|i| links.for_image(i)).map(|(s, _)| s));
                }
            }
            Facts::Dockerfile(_) => {
                let folder = artifact
                    .file
                    .path
                    .rsplit_once('/')
                    .map_or("", |(folder, _)| folder);
                services.extend(links.exact(folder));
            }
            _ => {}
        }
    }
    let mut code: Vec<&'w Artifact> = Vec::new();
    for service in services {
        for (artifact, _) in &service.files {
            if !code.iter().any(|a| std::ptr::eq(*a, *artifact)) {
                code.push(artifact);
            }
        }
    }
    code
}

/// Returns the first HTTP call of `artifact` that has no timeout or turns
/// it off.
pub(super) fn call_without_timeout(artifact: &Artifact) -> Option<&HttpClient> {
    let Facts::Code(code) = &artifact.facts else {
        return None;
    };
    code.http_clients
        .iter()
        .find(|client| matches!(client.timeout, Timeout::Missing | Timeout::Disabled))
}

/// Returns where a call is, as `app/clients.py:5`.
pub(super) fn call_place(artifact: &Artifact, call: &HttpClient) -> String {
    let line = artifact.file.position(call.span.start).line;
    format!("`{}:{line}`", artifact.file.path)
}
