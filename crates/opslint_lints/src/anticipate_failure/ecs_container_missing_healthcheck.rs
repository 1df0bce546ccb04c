use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile, Span};
use opslint_model::Workspace;
use opslint_model::cloudformation;
use opslint_model::terraform::Resource;
use opslint_model::terraform_eval::{Evaluated, parse_expression};
use opslint_syntax::hcl::{Expr, ExprValue};
use opslint_syntax::json;
use opslint_syntax::value::{Node, Value};

use crate::Rule;
use crate::aws::tf_not_created;
use crate::support::hcl_inputs;

pub struct EcsContainerMissingHealthcheck;

pub static META: RuleMeta = RuleMeta {
    id: "ecs-container-missing-healthcheck",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS04-BP04", "OPS06-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "ECS container without a health check",
    what_it_checks: "Essential containers of Terraform `aws_ecs_task_definition` resources \
        (`container_definitions` written as `jsonencode([...])` or as a JSON string or \
        heredoc) and of CloudFormation `AWS::ECS::TaskDefinition` resources \
        (`ContainerDefinitions`) that have no `healthCheck` / `HealthCheck`. Containers with \
        `essential = false` are skipped.",
    why_it_matters: "Without a container health check ECS only knows whether the process \
        runs. A container that is up but deadlocked or cut off from its database stays in \
        service, and a deployment circuit breaker cannot tell a bad release from a good one.",
    how_to_fix: "```hcl\ncontainer_definitions = jsonencode([{\n  name  = \"api\"\n  image = \"example/api:1.4.2\"\n  healthCheck = {\n    command  = [\"CMD-SHELL\", \"curl -fsS http://localhost:8080/healthz || exit 1\"]\n    interval = 15\n    retries  = 3\n  }\n}])\n```",
    known_limits: "Definitions read from files (`file`, `templatefile`) or variables, and \
        those built by modules, are reported as questions. A load balancer health check on \
        the service is a different check and does not count here.",
};

impl Rule for EcsContainerMissingHealthcheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, terraform) in workspace.terraform() {
            let file = &artifact.file;
            for resource in terraform.resources_of_type("aws_ecs_task_definition") {
                if !tf_not_created(workspace, file, resource.block) {
                    check_terraform(workspace, file, resource, sink);
                }
            }
        }
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            for resource in template.resources_of_type("AWS::ECS::TaskDefinition") {
                let id = &resource.logical_id;
                let Some(definitions) = resource.property(&["ContainerDefinitions"]) else {
                    continue;
                };
                let containers = definitions
                    .as_seq()
                    .filter(|_| !cloudformation::is_intrinsic(definitions));
                let Some(containers) = containers else {
                    sink.unclear(
                        &META,
                        file,
                        definitions.span,
                        id.clone(),
                        format!("Do the containers of `{id}` have health checks?"),
                        "`ContainerDefinitions` is computed or not a list",
                    );
                    continue;
                };
                for (position, container) in containers.iter().enumerate() {
                    let name = container_name(container.get("Name"), position);
                    let name = name.as_str();
                    let location = format!("{id}/containers/{name}");
                    if container.get("Essential").and_then(Node::as_bool) == Some(false) {
                        continue;
                    }
                    match container.get("HealthCheck").filter(|n| !n.is_null()) {
                        Some(_) => sink.holds(&META, file, location),
                        None => {
                            let span = container
                                .entry("Name")
                                .map_or(container.span, |e| e.value.span);
                            report(
                                sink,
                                file,
                                span,
                                &location,
                                name,
                                "no `HealthCheck`",
                                "add `HealthCheck` with a `Command`",
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Names a container by its `Name`, the intrinsic that computes it, or its
/// position in the list. A JSON intrinsic with one scalar argument
/// (`{"Ref": "X"}`) is written in the YAML short form (`!Ref X`), so both
/// forms of one template name the container alike.
fn container_name(name: Option<&Node>, position: usize) -> String {
    match name {
        Some(Node {
            value: Value::Scalar(scalar),
            tag: Some(tag),
            ..
        }) => format!("{tag} {}", scalar.text),
        Some(Node {
            value: Value::Scalar(scalar),
            ..
        }) => scalar.text.to_string(),
        Some(Node {
            value: Value::Map(map),
            ..
        }) if map.entries.len() == 1 => {
            let entry = &map.entries[0];
            let function = match entry.key.as_str() {
                "Ref" => Some("Ref"),
                key => key.strip_prefix("Fn::"),
            };
            match (function, entry.value.as_str()) {
                (Some(function), Some(argument)) => format!("!{function} {argument}"),
                _ => format!("#{}", position + 1),
            }
        }
        _ => format!("#{}", position + 1),
    }
}

fn report(
    sink: &mut Sink,
    file: &SourceFile,
    span: Span,
    location: &str,
    name: &str,
    label: &str,
    help: &str,
) {
    let task = location.split("/containers/").next().unwrap_or(location);
    sink.violation(
        &META,
        file,
        span,
        location,
        format!("container `{name}` of `{task}` has no health check"),
        label,
    )
    .help = Some(help.into());
}

/// One entry of a `container_definitions` list.
struct Container {
    name: String,
    essential: bool,
    has_health_check: bool,
}

fn check_terraform(
    workspace: &Workspace,
    file: &SourceFile,
    resource: Resource<'_>,
    sink: &mut Sink,
) {
    let address = resource.address();
    let Some(attribute) = resource.block.body.attribute("container_definitions") else {
        return;
    };
    let containers = match containers_from_expr(workspace, file, &attribute.expr) {
        Ok(containers) => containers,
        Err(reason) => {
            sink.unclear(
                &META,
                file,
                attribute.expr.span,
                address.clone(),
                format!("Do the containers of `{address}` have health checks?"),
                reason,
            );
            return;
        }
    };
    for container in containers {
        let location = format!("{address}/containers/{}", container.name);
        if !container.essential {
            continue;
        }
        if container.has_health_check {
            sink.holds(&META, file, location);
        } else {
            let name_span = Span::new(
                attribute.span.start,
                attribute.span.start + attribute.name.len(),
            );
            report(
                sink,
                file,
                name_span,
                &location,
                &container.name,
                &format!("container `{}` has no `healthCheck`", container.name),
                "add `healthCheck` with a `command` to the container definition",
            );
        }
    }
}

fn containers_from_expr(
    workspace: &Workspace,
    file: &SourceFile,
    expr: &Expr,
) -> Result<Vec<Container>, String> {
    let text = expr.text.trim();
    if let Some(inner) = text
        .strip_prefix("jsonencode(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        let Some(parsed) = parse_expression(inner) else {
            return Err("the `jsonencode` argument could not be read".into());
        };
        let value = match workspace.terraform_index.evaluate(&file.path, &parsed) {
            Evaluated::Known { expr, .. } => expr.value,
            Evaluated::Unknown { reason } => {
                return Err(reason.unwrap_or_else(|| {
                    format!("the definitions are computed{}", hcl_inputs(Some(&parsed)))
                }));
            }
        };
        let ExprValue::Tuple(items) = value else {
            return Err("the definitions are not a list".into());
        };
        return items
            .iter()
            .enumerate()
            .map(|(index, item)| container_from_hcl(item, index))
            .collect();
    }
    if let Some(json_text) = literal_json(expr) {
        let parsed = json::parse(&json_text);
        let Some(document) = parsed.document.filter(|_| parsed.errors.is_empty()) else {
            return Err("the definitions are not valid JSON".into());
        };
        let Some(items) = document.root.as_seq() else {
            return Err("the definitions are not a JSON list".into());
        };
        return Ok(items
            .iter()
            .enumerate()
            .map(|(index, item)| container_from_json(item, index))
            .collect());
    }
    Err(format!(
        "`container_definitions` is `{}`{}",
        first_line(text),
        hcl_inputs(Some(expr))
    ))
}

/// Names a container whose `name` is not a literal by its position, as
/// `#2` for the second definition.
fn position_name(index: usize) -> String {
    format!("#{}", index + 1)
}

fn container_from_hcl(item: &Expr, index: usize) -> Result<Container, String> {
    let ExprValue::Object(entries) = &item.value else {
        return Err("a container definition is computed".into());
    };
    let field = |key: &str| entries.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    Ok(Container {
        name: field("name")
            .and_then(Expr::as_str)
            .map_or_else(|| position_name(index), str::to_string),
        essential: field("essential").and_then(Expr::as_bool) != Some(false),
        has_health_check: field("healthCheck").is_some_and(|v| v.value != ExprValue::Null),
    })
}

fn container_from_json(item: &Node, index: usize) -> Container {
    Container {
        name: item
            .get("name")
            .and_then(Node::as_str)
            .map_or_else(|| position_name(index), str::to_string),
        essential: item.get("essential").and_then(Node::as_bool) != Some(false),
        has_health_check: item
            .get("healthCheck")
            .is_some_and(|n| !matches!(n.value, Value::Null)),
    }
}

/// Extracts the JSON text of a string literal or of a heredoc without
/// interpolation.
fn literal_json(expr: &Expr) -> Option<String> {
    if let Some(text) = expr.as_str() {
        return Some(text.replace("\\\"", "\""));
    }
    let text = expr.text.trim();
    let rest = text.strip_prefix("<<")?;
    if text.contains("${") {
        return None;
    }
    let (_, body) = rest.split_once('\n')?;
    let (body, _) = body.rsplit_once('\n')?;
    Some(body.to_string())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
