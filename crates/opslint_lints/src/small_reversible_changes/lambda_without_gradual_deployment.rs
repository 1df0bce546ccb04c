use std::collections::BTreeSet;

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile, Span};
use opslint_model::Workspace;
use opslint_model::cloudformation::{Resource, Template};
use opslint_syntax::value::{Node, Value};

use crate::Rule;
use crate::aws::{CfnSetting, cfn_property};
use crate::support::{parameter_origin, quoted_list, quoted_with_and, unless_parameter_set};

pub struct LambdaWithoutGradualDeployment;

pub static META: RuleMeta = RuleMeta {
    id: "lambda-without-gradual-deployment",
    principle: Some(Principle::SmallReversibleChanges),
    waf: &["OPS06-BP03", "OPS06-BP04"],
    severity: Severity::Note,
    artifacts: &[ArtifactKind::CloudFormation],
    summary: "SAM function deployed all at once, without an alias and deployment preference",
    what_it_checks: "SAM `AWS::Serverless::Function` resources without `AutoPublishAlias` or \
        without a `DeploymentPreference`, on the function or inherited from \
        `Globals.Function`, and those whose preference is `AllAtOnce` or has \
        `Enabled: false`. A setting in `Globals` that decides several functions is \
        reported once, at `Globals`, naming the functions.",
    why_it_matters: "Without an alias and a deployment preference every invocation moves to \
        the new version at once. A canary or linear shift sends a small share of traffic \
        first, and with alarms and hooks CodeDeploy rolls back before most users see the \
        failure.",
    how_to_fix: "```yaml\nGlobals:\n  Function:\n    AutoPublishAlias: live\n    DeploymentPreference:\n      Type: Canary10Percent5Minutes\n      Alarms:\n        - !Ref ErrorsAlarm\n```",
    known_limits: "Plain `AWS::Lambda::Function` resources and Terraform functions are not \
        checked: their traffic shifting is set up in separate alias and CodeDeploy \
        resources. Values from parameters without a default are reported as questions. \
        Functions that a template names as the handler of an `AWS::CloudFormation::Macro` \
        or of a custom resource (`ServiceToken`) are skipped: CloudFormation calls them \
        during deployments and they serve no user traffic to shift.",
};

impl Rule for LambdaWithoutGradualDeployment {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            let invoked_by_cloudformation = cloudformation_handlers(template);
            let mut verdicts = Vec::new();
            for resource in template.resources_of_type("AWS::Serverless::Function") {
                let id = resource.logical_id.as_str();
                if !invoked_by_cloudformation.contains(id) {
                    verdicts.push((id, judge(template, resource)));
                }
            }
            report(file, template, verdicts, sink);
        }
    }
}

const HELP: &str = "set `AutoPublishAlias` and a `DeploymentPreference` such as \
                    `Canary10Percent5Minutes`";

/// The verdict on one function's deployment settings.
#[derive(PartialEq)]
enum Verdict {
    Gradual,
    /// `suffix` ends the message and names the parameter to set, if one decides.
    AllAtOnce {
        span: Span,
        label: String,
        suffix: String,
    },
    Unclear {
        span: Span,
        reason: String,
    },
}

fn judge(template: &Template, resource: &Resource) -> Verdict {
    let all_at_once = |span: Span, label: &str| Verdict::AllAtOnce {
        span,
        label: label.to_string(),
        suffix: String::new(),
    };
    match cfn_property(template, resource, &["AutoPublishAlias"], Some("Function")) {
        CfnSetting::Missing => return all_at_once(resource.id_span, "no `AutoPublishAlias`"),
        CfnSetting::Unknown { reason, span } => return Verdict::Unclear { span, reason },
        _ => {}
    }
    // SAM merges a function's `DeploymentPreference` map over the one in
    // `Globals`, so a key missing on the function may be inherited.
    let global_preference = template.global("Function", "DeploymentPreference");
    let Some(preference) = resource
        .property(&["DeploymentPreference"])
        .or(global_preference)
    else {
        return all_at_once(
            resource.id_span,
            "`AutoPublishAlias` without a `DeploymentPreference`",
        );
    };
    let field = |key: &str| {
        preference
            .get(key)
            .or_else(|| global_preference.and_then(|g| g.get(key)))
    };
    if let Some(enabled) = field("Enabled")
        && enabled.as_bool() == Some(false)
    {
        return all_at_once(enabled.span, "the deployment preference is turned off");
    }
    let Some(kind) = field("Type") else {
        return Verdict::Unclear {
            span: preference.span,
            reason: "the deployment preference has no `Type`".into(),
        };
    };
    match crate::aws::cfn_value(template, kind, "DeploymentPreference.Type") {
        CfnSetting::Literal {
            text: "AllAtOnce",
            parameter,
            span,
        } => Verdict::AllAtOnce {
            span,
            label: format!(
                "the deployment preference is `AllAtOnce`{}",
                parameter_origin(parameter)
            ),
            suffix: unless_parameter_set(parameter),
        },
        CfnSetting::Literal { .. } => Verdict::Gradual,
        CfnSetting::Unknown { reason, span } => Verdict::Unclear { span, reason },
        _ => Verdict::Unclear {
            span: kind.span,
            reason: "`Type` is not a string".into(),
        },
    }
}

/// Reports each function's verdict. Functions decided by the same setting
/// in `Globals` get one finding or question there, naming them all, instead
/// of one per function on the same line.
fn report(file: &SourceFile, template: &Template, verdicts: Vec<(&str, Verdict)>, sink: &mut Sink) {
    let in_globals = |span: Span| {
        template
            .globals
            .as_ref()
            .is_some_and(|globals| globals.span.start <= span.start && span.end <= globals.span.end)
    };
    let mut groups: Vec<(Verdict, Vec<&str>)> = Vec::new();
    for (id, verdict) in verdicts {
        if verdict == Verdict::Gradual {
            sink.holds(&META, file, id);
            continue;
        }
        let shared = match &verdict {
            Verdict::AllAtOnce { span, .. } | Verdict::Unclear { span, .. } => in_globals(*span),
            Verdict::Gradual => false,
        };
        match groups
            .iter_mut()
            .find(|(other, _)| shared && *other == verdict)
        {
            Some((_, ids)) => ids.push(id),
            None => groups.push((verdict, vec![id])),
        }
    }
    for (verdict, ids) in groups {
        let location = match ids.as_slice() {
            [id] => (*id).to_string(),
            _ => "Globals.Function".to_string(),
        };
        match verdict {
            Verdict::AllAtOnce {
                span,
                label,
                suffix,
            } => {
                let message = match ids.as_slice() {
                    [id] => format!(
                        "SAM function `{id}` shifts all traffic to a new version at once{suffix}"
                    ),
                    _ => format!(
                        "{} SAM functions that take `Globals.Function` ({}) shift all traffic to a \
                         new version at once{suffix}",
                        ids.len(),
                        quoted_list(&ids)
                    ),
                };
                sink.violation(&META, file, span, location, message, label)
                    .help = Some(HELP.into());
            }
            Verdict::Unclear { span, reason } => {
                let question = match ids.as_slice() {
                    [id] => format!("Is `{id}` shifted to a new version gradually?"),
                    _ => format!(
                        "Are {} shifted to a new version gradually?",
                        quoted_with_and(&ids)
                    ),
                };
                sink.unclear(&META, file, span, location, question, reason);
            }
            Verdict::Gradual => {}
        }
    }
}

/// Logical ids of the functions that the template's macros and custom
/// resources name as their handler.
fn cloudformation_handlers(template: &Template) -> BTreeSet<String> {
    let mut handlers = BTreeSet::new();
    for resource in &template.resources {
        let handler = if resource.type_name == "AWS::CloudFormation::Macro" {
            resource.property(&["FunctionName"])
        } else if resource.type_name == "AWS::CloudFormation::CustomResource"
            || resource.type_name.starts_with("Custom::")
        {
            resource.property(&["ServiceToken"])
        } else {
            None
        };
        if let Some(handler) = handler {
            collect_logical_ids(handler, &mut handlers);
        }
    }
    handlers
}

/// Collects the resource names a `Ref` or `GetAtt` value can point at: each
/// scalar up to its first dot (`MacroFunction.Arn` gives `MacroFunction`).
fn collect_logical_ids(node: &Node, found: &mut BTreeSet<String>) {
    match &node.value {
        Value::Scalar(scalar) => {
            let name = scalar.text.split('.').next().unwrap_or_default();
            found.insert(name.to_string());
        }
        Value::Map(map) => {
            for entry in &map.entries {
                collect_logical_ids(&entry.value, found);
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_logical_ids(item, found);
            }
        }
        _ => {}
    }
}
