use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile, Span};
use opslint_model::Workspace;
use opslint_model::kubernetes::join_path;
use opslint_model::terraform_eval::{folder_of, is_local_source};
use opslint_syntax::hcl::{Body, Expr, ExprValue};
use opslint_syntax::value::{Node, Value};

use crate::Rule;
use crate::aws::{CfnSetting, TfSetting, cfn_property, tf_attribute, tf_not_created};
use crate::observability::alarm_without_actions::template_deployment_gates;

pub struct ResourceWithoutAlarm;

pub static META: RuleMeta = RuleMeta {
    id: "resource-without-alarm",
    principle: Some(Principle::Observability),
    waf: &["OPS08-BP04", "OPS04-BP02"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "Lambda function, ECS service, load balancer, queue or database that no alarm watches",
    what_it_checks: "Lambda functions, ECS services, load balancers, SQS queues and RDS \
        databases declared in Terraform or CloudFormation that no CloudWatch alarm with an \
        action refers to, in any file of the repository. An alarm watches a resource when \
        its dimensions or metric queries refer to the resource (`aws_sqs_queue.jobs.name`, \
        `!Ref JobsQueue`, `!GetAtt Api.LoadBalancerFullName`) or repeat its literal name. \
        A local module's output (`module.orders_db.db_instance_id`) is followed to what it \
        refers to in the module. A resource that only alarms without actions watch is \
        reported as such; an alarm that a SAM `DeploymentPreference`, CodeDeploy or ECS \
        deployment setting names has an action, since it stops the deployment.",
    why_it_matters: "A resource without an alarm fails silently: errors, throttles, a \
        growing queue or a full disk are noticed by users first. Alarms that exist but \
        notify nobody do not count, since they change nothing when they fire.",
    how_to_fix: "Add an alarm on the resource's key metric with an action:\n\n\
        ```hcl\nresource \"aws_cloudwatch_metric_alarm\" \"worker_errors\" {\n  alarm_name          = \"worker-errors\"\n  namespace           = \"AWS/Lambda\"\n  metric_name         = \"Errors\"\n  dimensions          = { FunctionName = aws_lambda_function.worker.function_name }\n  statistic           = \"Sum\"\n  period              = 60\n  evaluation_periods  = 1\n  threshold           = 1\n  comparison_operator = \"GreaterThanOrEqualToThreshold\"\n  alarm_actions       = [aws_sns_topic.oncall.arn]\n}\n```",
    known_limits: "A run on named files, such as a pre-commit hook, skips the rule, since \
        the alarms usually live in other files. Alarms created outside the repository, by \
        another stack, or from a \
        generic module whose inputs are computed are not seen. Terraform resources are \
        judged only when the repository has a Terraform alarm, and CloudFormation resources \
        only when it has a CloudFormation alarm. When a Terraform alarm's dimensions are \
        computed (a variable, or an output of a module that is not in the run), Terraform \
        resources that no other alarm watches are reported as questions. An alarm in a \
        local module whose dimensions come from a variable watches what each call of the \
        module passes. A resource passed to a module that looks like an alarm module (its \
        label or source names alarms, alerts, monitoring or CloudWatch) and that the run \
        does not read is reported as a question. Anomaly detectors, composite alarms and \
        alarms in CloudWatch dashboards \
        or Datadog/Grafana are not read. Aurora instances of a cluster are judged through \
        their cluster, not one by one.",
};

const TERRAFORM_TYPES: &[(&str, &str, &str)] = &[
    ("aws_lambda_function", "Lambda function", "function_name"),
    ("aws_ecs_service", "ECS service", "name"),
    ("aws_lb", "load balancer", "name"),
    ("aws_alb", "load balancer", "name"),
    ("aws_elb", "load balancer", "name"),
    ("aws_sqs_queue", "SQS queue", "name"),
    ("aws_db_instance", "database", "identifier"),
    ("aws_rds_cluster", "database", "cluster_identifier"),
];

const CLOUDFORMATION_TYPES: &[(&str, &str, &str)] = &[
    ("AWS::Lambda::Function", "Lambda function", "FunctionName"),
    (
        "AWS::Serverless::Function",
        "Lambda function",
        "FunctionName",
    ),
    ("AWS::ECS::Service", "ECS service", "ServiceName"),
    (
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "load balancer",
        "Name",
    ),
    (
        "AWS::ElasticLoadBalancing::LoadBalancer",
        "load balancer",
        "LoadBalancerName",
    ),
    ("AWS::SQS::Queue", "SQS queue", "QueueName"),
    ("AWS::RDS::DBInstance", "database", "DBInstanceIdentifier"),
    ("AWS::RDS::DBCluster", "database", "DBClusterIdentifier"),
];

/// References made by the alarms with actions of one file.
struct Watchers {
    /// Folder or template path whose addresses or logical ids the texts use.
    scope: String,
    /// Expression texts and scalars of the alarms' dimensions and queries.
    texts: Vec<String>,
    /// Whether an alarm reads a module output or a computed value, which
    /// could point at any resource.
    has_opaque: bool,
    /// The same texts of alarms without actions, so that a resource only
    /// they watch is reported as such rather than as having no alarm.
    silent_texts: Vec<String>,
    /// Arguments of calls of alarm modules that the run does not read: a
    /// resource they refer to may be watched, which makes a question.
    maybe_texts: Vec<String>,
}

impl Watchers {
    fn new(scope: String) -> Self {
        Self {
            scope,
            texts: Vec::new(),
            has_opaque: false,
            silent_texts: Vec::new(),
            maybe_texts: Vec::new(),
        }
    }
}

impl Rule for ResourceWithoutAlarm {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    // Alarms usually live in other files than the resources they watch,
    // such as an environment that alarms on a module's output.
    fn needs_other_files(&self) -> bool {
        true
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let outputs = module_outputs(workspace);
        let mut watchers = Vec::new();
        let mut terraform_alarms = 0;
        let mut template_alarms = 0;
        for (artifact, terraform) in workspace.terraform() {
            let mut entry = Watchers::new(folder_of(&artifact.file.path).to_string());
            for resource in terraform.resources_of_type("aws_cloudwatch_metric_alarm") {
                terraform_alarms += 1;
                let body = &resource.block.body;
                // An alarm with its actions turned off sends no notification.
                let actions_off = matches!(
                    tf_attribute(workspace, &artifact.file, body, "actions_enabled"),
                    TfSetting::Known {
                        value: ExprValue::Bool(false),
                        ..
                    }
                );
                let has_actions = !actions_off
                    && body.attribute("alarm_actions").is_some_and(
                        |a| !matches!(&a.expr.value, ExprValue::Tuple(items) if items.is_empty()),
                    );
                if has_actions {
                    collect_terraform_texts(body, &mut entry);
                } else {
                    let mut silent = Watchers::new(entry.scope.clone());
                    collect_terraform_texts(body, &mut silent);
                    entry.silent_texts.extend(silent.texts);
                }
            }
            entry.maybe_texts =
                unread_alarm_module_arguments(&outputs, &artifact.file.path, &terraform.body);
            watchers.push(entry);
        }
        // An alarm on `module.NAME.OUTPUT` watches what that output of a
        // local module refers to, in the module's folder, and an alarm on
        // `var.NAME` in a local module watches what each call passes.
        let mut resolved = Vec::new();
        for watcher in &mut watchers {
            let mut opaque_left = false;
            let texts = watcher.texts.iter().map(|text| (text, false));
            let silent = watcher.silent_texts.iter().map(|text| (text, true));
            for (text, is_silent) in texts.chain(silent) {
                let mut found = Vec::new();
                let followed = follow(&outputs, &watcher.scope, text, FOLLOW_DEPTH, &mut found);
                opaque_left |= !followed && !is_silent;
                resolved.extend(
                    found
                        .into_iter()
                        .map(|(folder, value)| (folder, value, is_silent)),
                );
            }
            watcher.has_opaque = opaque_left;
        }
        for (folder, value, is_silent) in resolved {
            let mut followed = Watchers::new(folder);
            if is_silent {
                followed.silent_texts.push(value);
            } else {
                followed.texts.push(value);
            }
            watchers.push(followed);
        }
        for (artifact, template) in workspace.cloudformation() {
            let mut entry = Watchers::new(artifact.file.path.clone());
            // An alarm that a deployment setting names stops or rolls back
            // the deployment, which is its action.
            let gates = template_deployment_gates(template);
            for resource in template.resources_of_type("AWS::CloudWatch::Alarm") {
                template_alarms += 1;
                let actions_off = matches!(
                    cfn_property(template, resource, &["ActionsEnabled"], None),
                    CfnSetting::Literal {
                        text: "false" | "False" | "FALSE",
                        ..
                    }
                );
                let gates_deployment = gates
                    .iter()
                    .any(|text| refers_to_logical_id(text, &resource.logical_id));
                let has_actions = gates_deployment
                    || (!actions_off
                        && resource.property(&["AlarmActions"]).is_some_and(
                            |n| !matches!(&n.value, Value::Seq(items) if items.is_empty()),
                        ));
                let texts = if has_actions {
                    &mut entry.texts
                } else {
                    &mut entry.silent_texts
                };
                for key in ["Dimensions", "Metrics"] {
                    if let Some(node) = resource.property(&[key]) {
                        collect_scalars(node, texts);
                    }
                }
            }
            watchers.push(entry);
        }
        // NOTE: resources are judged only where the same format defines at
        // least one alarm. Without any, the alarms live elsewhere or do not
        // exist, and one question per resource would bury every other result.
        for (artifact, terraform) in workspace.terraform() {
            if terraform_alarms == 0 {
                break;
            }
            let file = &artifact.file;
            let scope = folder_of(&file.path);
            for resource in terraform.resources() {
                let Some((_, kind, name_attribute)) = TERRAFORM_TYPES
                    .iter()
                    .find(|(type_name, _, _)| *type_name == resource.type_name)
                else {
                    continue;
                };
                if tf_not_created(workspace, file, resource.block) {
                    continue;
                }
                let address = resource.address();
                let name = resource
                    .block
                    .body
                    .attribute(name_attribute)
                    .and_then(|a| a.expr.as_str());
                let refers = |text: &String, scope_of_text: &str| {
                    (scope_of_text == scope && refers_to(text, &address))
                        || name.is_some_and(|name| text == name)
                };
                let watch = if watchers
                    .iter()
                    .any(|w| w.texts.iter().any(|text| refers(text, &w.scope)))
                {
                    Watch::Watched
                } else if watchers
                    .iter()
                    .any(|w| w.silent_texts.iter().any(|text| refers(text, &w.scope)))
                {
                    Watch::Silent
                } else if watchers
                    .iter()
                    .any(|w| w.maybe_texts.iter().any(|text| refers(text, &w.scope)))
                {
                    Watch::UnreadModule
                } else if watchers.iter().any(|w| w.has_opaque) {
                    Watch::Unsure
                } else {
                    Watch::None
                };
                report(
                    sink,
                    file,
                    resource.block.header_span,
                    &address,
                    kind,
                    watch,
                );
            }
        }
        for (artifact, template) in workspace.cloudformation() {
            if template_alarms == 0 {
                break;
            }
            let file = &artifact.file;
            for resource in &template.resources {
                let Some((_, kind, name_property)) = CLOUDFORMATION_TYPES
                    .iter()
                    .find(|(type_name, _, _)| *type_name == resource.type_name)
                else {
                    continue;
                };
                // An Aurora instance belongs to a cluster, which the alarms
                // watch, as Terraform's `aws_rds_cluster_instance` is left out.
                if resource.type_name == "AWS::RDS::DBInstance"
                    && resource.property(&["DBClusterIdentifier"]).is_some()
                {
                    continue;
                }
                let id = &resource.logical_id;
                let name_node = resource.property(&[name_property]);
                let name = name_node.and_then(Node::as_str);
                // A name built with `Sub`, such as `${Environment}-api`, is
                // the same name where the same template writes the same
                // `Sub` text, since the parameters are the template's own.
                let sub_name = name_node.and_then(opslint_model::cloudformation::sub_text);
                let refers = |text: &String, scope_of_text: &str| {
                    (scope_of_text == file.path
                        && (refers_to_logical_id(text, id)
                            || sub_name.is_some_and(|sub| text == sub)))
                        || name.is_some_and(|name| text == name)
                };
                // Terraform alarms with computed dimensions cannot refer to a
                // template's resources, so they do not make these questions.
                let watch = if watchers
                    .iter()
                    .any(|w| w.texts.iter().any(|text| refers(text, &w.scope)))
                {
                    Watch::Watched
                } else if watchers
                    .iter()
                    .any(|w| w.silent_texts.iter().any(|text| refers(text, &w.scope)))
                {
                    Watch::Silent
                } else {
                    Watch::None
                };
                report(sink, file, resource.id_span, id, kind, watch);
            }
        }
    }
}

/// The state of one resource given the repository's alarms.
enum Watch {
    /// An alarm with an action refers to it.
    Watched,
    /// Only alarms without actions refer to it.
    Silent,
    /// No alarm refers to it, but some alarm's dimensions are computed.
    Unsure,
    /// A call of an alarm module that the run does not read refers to it.
    UnreadModule,
    None,
}

fn report(
    sink: &mut Sink,
    file: &SourceFile,
    span: Span,
    location: &str,
    kind: &str,
    watch: Watch,
) {
    match watch {
        Watch::Watched => sink.holds(&META, file, location),
        Watch::Unsure => sink.unclear(
            &META,
            file,
            span,
            location,
            format!("Which alarm tells the on-call team when {kind} `{location}` fails?"),
            "no alarm in the repository refers to it by name or address, and some alarms' \
             dimensions are computed (variables or module outputs that could not be followed)",
        ),
        Watch::UnreadModule => sink.unclear(
            &META,
            file,
            span,
            location,
            format!("Which alarm tells the on-call team when {kind} `{location}` fails?"),
            "it is passed to an alarm module that the run does not read (a registry module, \
             or a local one that was not found)",
        ),
        Watch::Silent => {
            sink.violation(
                &META,
                file,
                span,
                location,
                format!("{kind} `{location}` is watched only by alarms without actions"),
                "the alarms that refer to it notify nobody",
            )
            .help = Some(
                "give the alarm an action, such as an SNS topic (`alarm_actions` in \
                 Terraform, `AlarmActions` in CloudFormation)"
                    .into(),
            );
        }
        Watch::None => {
            sink.violation(
                &META,
                file,
                span,
                location,
                format!("{kind} `{location}` has no alarm"),
                "no CloudWatch alarm with an action refers to it",
            )
            .help = Some("add a CloudWatch alarm on its key metric, with an alarm action".into());
        }
    }
}

fn collect_terraform_texts(body: &Body, watchers: &mut Watchers) {
    for attribute in &body.attributes {
        if matches!(attribute.name.as_str(), "dimensions" | "expression") {
            collect_expression_texts(&attribute.expr, &mut watchers.texts);
        }
    }
    for block in &body.blocks {
        collect_terraform_texts(&block.body, watchers);
    }
}

/// Adds the text of an expression and the literal values of an object, as
/// the `QueueName = "jobs"` of `dimensions`.
fn collect_expression_texts(expr: &Expr, texts: &mut Vec<String>) {
    texts.push(expr.text.clone());
    if let ExprValue::Object(entries) = &expr.value {
        for (_, value) in entries {
            if let Some(literal) = value.as_str() {
                texts.push(literal.to_string());
            }
        }
    }
}

/// Tells whether `c` can be part of a Terraform name.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Returns the text after each `prefix` in `text` that starts a reference,
/// not the end of a longer name or address (`var.` but not `myvar.`).
fn after_references<'t>(text: &'t str, prefix: &'t str) -> impl Iterator<Item = &'t str> {
    text.match_indices(prefix)
        .filter(|(at, _)| {
            !text[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| is_name_char(c) || c == '.')
        })
        .map(move |(at, _)| &text[at + prefix.len()..])
}

/// Lists the names `NAME` of the `var.NAME` references in an expression text.
fn variable_references(text: &str) -> Vec<&str> {
    after_references(text, "var.")
        .filter_map(|rest| {
            let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
            (end > 0).then_some(&rest[..end])
        })
        .collect()
}

/// How many module outputs and variables one alarm text is followed through.
const FOLLOW_DEPTH: usize = 4;

/// Follows the `module.NAME.OUTPUT` and `var.NAME` references of an alarm's
/// text in the folder `scope`, up to `depth` steps. An output leads to its
/// value in the called module, and a variable to the argument of each call
/// of the module. Adds each text reached, with its folder, to `found`, and
/// returns whether every reference was followed.
fn follow(
    outputs: &ModuleOutputs<'_>,
    scope: &str,
    text: &str,
    depth: usize,
    found: &mut Vec<(String, String)>,
) -> bool {
    let mut followed = !text.contains("each.");
    let mut reached: Vec<(String, String)> = Vec::new();
    for (name, output) in module_output_references(text) {
        match outputs.resolve(scope, name, output) {
            Some(value) => reached.push(value),
            None => followed = false,
        }
    }
    for variable in variable_references(text) {
        let passed = outputs.arguments(scope, variable);
        followed &= !passed.is_empty();
        for (folder, expr) in passed {
            let mut texts = Vec::new();
            collect_expression_texts(expr, &mut texts);
            reached.extend(texts.into_iter().map(|text| (folder.to_string(), text)));
        }
    }
    for (folder, value) in reached {
        let has_references = value.contains("var.") || value.contains("module.");
        if has_references {
            followed &= depth > 0 && follow(outputs, &folder, &value, depth - 1, found);
        }
        found.push((folder, value));
    }
    followed
}

/// Returns the argument texts of the module calls in the Terraform file at
/// `path` that look like alarm modules, by label or source. Only calls whose
/// module the run does not read count: a registry module, or a local one
/// that was not found.
fn unread_alarm_module_arguments(outputs: &ModuleOutputs, path: &str, body: &Body) -> Vec<String> {
    let mut texts = Vec::new();
    for block in body.blocks("module") {
        let label = block.labels.first().map_or("", String::as_str);
        let source = block
            .body
            .attribute("source")
            .and_then(|a| a.expr.as_str())
            .unwrap_or("");
        let looks_like_alarms = [label, source].iter().any(|text| {
            let text = text.to_ascii_lowercase();
            ["alarm", "alert", "monitor", "cloudwatch"]
                .iter()
                .any(|word| text.contains(word))
        });
        let read = is_local_source(source)
            && outputs
                .folders
                .contains(join_path(path, source.trim_end_matches('/')).as_str());
        if !looks_like_alarms || read {
            continue;
        }
        for attribute in &block.body.attributes {
            if attribute.name != "source" {
                collect_expression_texts(&attribute.expr, &mut texts);
            }
        }
    }
    texts
}

fn collect_scalars(node: &Node, texts: &mut Vec<String>) {
    match &node.value {
        Value::Scalar(scalar) => texts.push(scalar.text.to_string()),
        Value::Map(map) => {
            for entry in &map.entries {
                collect_scalars(&entry.value, texts);
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_scalars(item, texts);
            }
        }
        _ => {}
    }
}

/// The outputs of every Terraform folder and the local module calls of each,
/// for following `module.NAME.OUTPUT` to what it refers to.
struct ModuleOutputs<'a> {
    /// (folder, output name) to the output's `value` text.
    outputs: std::collections::HashMap<(&'a str, &'a str), &'a str>,
    /// (calling folder, module name) to the called module's folder.
    calls: std::collections::HashMap<(&'a str, &'a str), String>,
    /// Called module's folder to the calling folder and arguments of each
    /// call.
    arguments: std::collections::HashMap<String, Vec<(&'a str, &'a Body)>>,
    /// The folders with Terraform files in the run.
    folders: std::collections::HashSet<&'a str>,
}

impl ModuleOutputs<'_> {
    /// Returns the called module's folder and the text of the output's value.
    fn resolve(&self, folder: &str, module: &str, output: &str) -> Option<(String, String)> {
        let target = self.calls.get(&(folder, module))?;
        let value = self.outputs.get(&(target.as_str(), output))?;
        Some((target.clone(), (*value).to_string()))
    }

    /// Returns, for each call of the module in `folder` that sets the
    /// argument `variable`, the calling folder and the argument's value.
    fn arguments(&self, folder: &str, variable: &str) -> Vec<(&'_ str, &'_ Expr)> {
        self.arguments
            .get(folder)
            .into_iter()
            .flatten()
            .filter_map(|(caller, body)| {
                body.attribute(variable)
                    .map(|argument| (*caller, &argument.expr))
            })
            .collect()
    }
}

fn module_outputs(workspace: &Workspace) -> ModuleOutputs<'_> {
    let mut outputs = std::collections::HashMap::new();
    let mut calls = std::collections::HashMap::new();
    let mut arguments: std::collections::HashMap<String, Vec<(&str, &Body)>> =
        std::collections::HashMap::new();
    let mut folders = std::collections::HashSet::new();
    for (artifact, terraform) in workspace.terraform() {
        let folder = folder_of(&artifact.file.path);
        folders.insert(folder);
        for block in terraform.body.blocks("output") {
            let (Some(name), Some(value)) = (block.labels.first(), block.body.attribute("value"))
            else {
                continue;
            };
            outputs.insert((folder, name.as_str()), value.expr.text.as_str());
        }
        for block in terraform.body.blocks("module") {
            let (Some(name), Some(source)) = (
                block.labels.first(),
                block.body.attribute("source").and_then(|a| a.expr.as_str()),
            ) else {
                continue;
            };
            if is_local_source(source) {
                let target = join_path(&artifact.file.path, source.trim_end_matches('/'));
                arguments
                    .entry(target.clone())
                    .or_default()
                    .push((folder, &block.body));
                calls.insert((folder, name.as_str()), target);
            }
        }
    }
    ModuleOutputs {
        outputs,
        calls,
        arguments,
        folders,
    }
}

/// Lists the `module.NAME.OUTPUT` references in an expression text.
fn module_output_references(text: &str) -> Vec<(&str, &str)> {
    after_references(text, "module.")
        .filter_map(|rest| {
            let name_end = rest.find(|c: char| !is_name_char(c))?;
            let (name, rest) = rest.split_at(name_end);
            let rest = rest.strip_prefix('.')?;
            let output_end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
            let output = &rest[..output_end];
            (!name.is_empty() && !output.is_empty()).then_some((name, output))
        })
        .collect()
}

/// Returns whether an expression text refers to the Terraform address, as a whole
/// word: `aws_sqs_queue.jobs.name` refers to `aws_sqs_queue.jobs`, but
/// `aws_sqs_queue.jobs_dlq` does not.
pub(crate) fn refers_to(text: &str, address: &str) -> bool {
    text.match_indices(address).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + address.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

/// Returns whether a CloudFormation scalar refers to a logical id: `!Ref Queue`
/// (`Queue`), `!GetAtt Queue.QueueName`, or `${Queue}` inside `!Sub`.
pub(crate) fn refers_to_logical_id(text: &str, id: &str) -> bool {
    text == id
        || text
            .strip_prefix(id)
            .is_some_and(|rest| rest.starts_with('.'))
        || text.contains(&format!("${{{id}}}"))
        || text.contains(&format!("${{{id}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_reference_is_whole_word() {
        assert!(refers_to(
            "{ QueueName = aws_sqs_queue.jobs.name }",
            "aws_sqs_queue.jobs"
        ));
        assert!(!refers_to(
            "{ QueueName = aws_sqs_queue.jobs_dlq.name }",
            "aws_sqs_queue.jobs"
        ));
    }

    #[test]
    fn logical_id_reference_forms() {
        assert!(refers_to_logical_id("Queue", "Queue"));
        assert!(refers_to_logical_id("Queue.QueueName", "Queue"));
        assert!(refers_to_logical_id("app/${Queue}", "Queue"));
        assert!(!refers_to_logical_id("QueueDlq", "Queue"));
    }
}
