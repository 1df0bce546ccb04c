use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile, Span};
use opslint_model::Workspace;
use opslint_model::cloudformation::{self, CfnValue, Template};
use opslint_model::terraform::Resource;

use crate::Rule;
use crate::aws::tf_evaluate_each;
use opslint_model::terraform_eval::{DynamicBlock, Evaluated, Via, is_local_source};
use opslint_syntax::hcl::{Body, Expr, ExprValue};

use crate::support::{
    cfn_inputs, hcl_inputs, parameter_origin, quoted_list, quoted_with_and, unless_parameter_set,
    unless_set, via_origin,
};

pub struct LambdaTracingDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "lambda-tracing-disabled",
    principle: Some(Principle::Observability),
    waf: &["OPS04-BP05", "OPS08-BP03"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "Lambda function without active X-Ray tracing",
    what_it_checks: "Terraform `aws_lambda_function` resources whose `tracing_config` is \
        missing or not `Active`, CloudFormation `AWS::Lambda::Function` resources whose \
        `TracingConfig.Mode` is not `Active`, and SAM `AWS::Serverless::Function` \
        resources whose `Tracing` is not `Active`, either on the function or in \
        `Globals.Function`. A `Globals` value that several functions inherit is reported \
        once, at `Globals`, naming the functions.",
    why_it_matters: "Without active tracing a request that crosses the function leaves no \
        trace segment, so a slow or failing call cannot be followed from the API through \
        the function to its dependencies during an incident. The default mode, \
        `PassThrough`, traces only when an upstream service already sampled the request.",
    how_to_fix: "Terraform:\n\n\
        ```hcl\nresource \"aws_lambda_function\" \"api\" {\n  # ...\n  tracing_config {\n    mode = \"Active\"\n  }\n}\n```\n\n\
        SAM:\n\n\
        ```yaml\nGlobals:\n  Function:\n    Tracing: Active\n```\n\n\
        The function's role also needs `xray:PutTraceSegments` and \
        `xray:PutTelemetryRecords` (the `AWSXRayDaemonWriteAccess` managed policy).",
    known_limits: "A variable or parameter that nothing in the repository sets is \
        evaluated to its default, and the finding names it. A variable without a default, \
        one set to different values by variables files or by a module's example calls, a \
        computed value or a condition is reported as a question. So is a call of a Lambda \
        module from outside the repository (a registry or Git `source` that mentions \
        `lambda`). Parameter overrides in `samconfig.toml` or deploy commands are not read. \
        Functions traced only through OpenTelemetry layers without X-Ray are reported. When the calls of \
        a local module set the value, the module is judged once per call, and a bad value \
        is reported at that call's argument.",
};

impl Rule for LambdaTracingDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, terraform) in workspace.terraform() {
            for resource in terraform.resources_of_type("aws_lambda_function") {
                check_terraform(workspace, &artifact.file, resource, sink);
            }
            check_remote_modules(&artifact.file, &terraform.body, sink);
        }
        for (artifact, template) in workspace.cloudformation() {
            check_cloudformation(&artifact.file, template, sink);
        }
    }
}

fn check_terraform(
    workspace: &Workspace,
    file: &SourceFile,
    resource: Resource<'_>,
    sink: &mut Sink,
) {
    let index = &workspace.terraform_index;
    if index.is_created(&file.path, resource.block) == Some(false) {
        return;
    }
    let address = resource.address();
    let body = &resource.block.body;
    let question = format!("Is `{address}` deployed with X-Ray tracing mode `Active`?");
    let mut tracing_body = body
        .block("tracing_config")
        .map(|b| (&b.body, b.header_span));
    if let Some(dynamic) = body.dynamic_block("tracing_config") {
        match index.dynamic_block(&file.path, dynamic) {
            DynamicBlock::Absent { via } => {
                sink.violation(
                    &META,
                    file,
                    dynamic.header_span,
                    address.clone(),
                    format!(
                        "Lambda function `{address}` has no active X-Ray tracing{}",
                        unless_set(via.as_ref())
                    ),
                    format!(
                        "the `dynamic` block generates no `tracing_config`{}",
                        via_origin(via.as_ref())
                    ),
                )
                .help = Some("add `tracing_config { mode = \"Active\" }`".into());
                return;
            }
            DynamicBlock::Present { content } => {
                tracing_body = Some((content, dynamic.header_span));
            }
            DynamicBlock::Unknown { reason } => {
                // A single generated block whose mode reads the iterator,
                // as in `for_each = [var.mode]` with `mode = tracing_config.value`.
                let generated = index.expand_dynamic(&file.path, dynamic);
                if let Some(expansion) = &generated
                    && let [attributes] = expansion.blocks.as_slice()
                    && let Some((_, mode)) = attributes.iter().find(|(name, _)| name == "mode")
                {
                    let mode = Expr {
                        span: dynamic.header_span,
                        ..mode.clone()
                    };
                    let inherited = expansion.via.clone();
                    check_terraform_mode(workspace, file, &address, &mode, inherited, sink);
                    return;
                }
                let reason = reason.unwrap_or_else(|| {
                    format!(
                        "`tracing_config` is generated by a `dynamic` block{}",
                        hcl_inputs(dynamic.body.attribute("for_each").map(|a| &a.expr))
                    )
                });
                sink.unclear(
                    &META,
                    file,
                    dynamic.header_span,
                    address.clone(),
                    question,
                    reason,
                );
                return;
            }
        }
    }

    let Some((tracing, header_span)) = tracing_body else {
        sink.violation(
            &META,
            file,
            resource.block.header_span,
            address.clone(),
            format!("Lambda function `{address}` has no active X-Ray tracing"),
            "no `tracing_config` block, so the mode is `PassThrough`",
        )
        .help = Some("add `tracing_config { mode = \"Active\" }`".into());
        return;
    };

    let Some(mode) = tracing.attribute("mode") else {
        sink.violation(
            &META,
            file,
            header_span,
            address.clone(),
            format!("Lambda function `{address}` has no active X-Ray tracing"),
            "`tracing_config` without `mode` means `PassThrough`",
        )
        .help = Some("set `mode = \"Active\"`".into());
        return;
    };

    check_terraform_mode(workspace, file, &address, &mode.expr, None, sink);
}

/// Reports the evaluated `mode` of a function's tracing configuration.
/// `inherited` names the variable that decided the block itself, for a
/// mode that came out of a `dynamic` block.
fn check_terraform_mode(
    workspace: &Workspace,
    file: &SourceFile,
    address: &str,
    mode: &Expr,
    inherited: Option<Via>,
    sink: &mut Sink,
) {
    for (value, site) in tf_evaluate_each(workspace, file, mode, address) {
        let span = site.call_span.unwrap_or(mode.span);
        report_mode(
            value,
            site.file,
            &site.address,
            mode,
            span,
            inherited.clone(),
            sink,
        );
    }
}

/// Reports one evaluation of `mode`, at `span` of `file`.
fn report_mode(
    value: Evaluated,
    file: &SourceFile,
    address: &str,
    mode: &Expr,
    span: Span,
    inherited: Option<Via>,
    sink: &mut Sink,
) {
    let (value, via) = match value {
        Evaluated::Known { expr, via } => (expr.value, via.or(inherited)),
        Evaluated::Unknown { reason } => {
            let reason = reason.unwrap_or_else(|| {
                format!(
                    "the mode is `{}`{}",
                    mode.text.trim(),
                    hcl_inputs(Some(mode))
                )
            });
            sink.unclear(
                &META,
                file,
                span,
                address.to_string(),
                format!("Is `{address}` deployed with X-Ray tracing mode `Active`?"),
                reason,
            );
            return;
        }
    };
    let unless = unless_set(via.as_ref());
    let origin = via_origin(via.as_ref());
    match value {
        ExprValue::String(text) if text == "Active" => sink.holds(&META, file, address.to_string()),
        ExprValue::Null => {
            sink.violation(
                &META,
                file,
                span,
                address.to_string(),
                format!("Lambda function `{address}` has no active X-Ray tracing{unless}"),
                format!("the mode is `null`{origin}, which means `PassThrough`"),
            )
            .help = Some("set the mode to `Active`".into());
        }
        ExprValue::String(other) => {
            sink.violation(
                &META,
                file,
                span,
                address.to_string(),
                format!("Lambda function `{address}` has X-Ray tracing mode `{other}`{unless}"),
                format!("tracing is not active{origin}"),
            )
            .help = Some("set the mode to `Active`".into());
        }
        _ => sink.unclear(
            &META,
            file,
            span,
            address.to_string(),
            format!("Is `{address}` deployed with X-Ray tracing mode `Active`?"),
            format!("the mode is `{}`, which is not a string", mode.text.trim()),
        ),
    }
}

/// Asks about calls of Lambda modules from outside the repository, whose
/// functions cannot be seen. A call that passes `tracing_mode = "Active"`
/// (the input name of the widely used community module) counts as traced.
fn check_remote_modules(file: &SourceFile, body: &Body, sink: &mut Sink) {
    for call in body.blocks("module") {
        let Some(name) = call.labels.first() else {
            continue;
        };
        let Some(source) = call.body.attribute("source").and_then(|a| a.expr.as_str()) else {
            continue;
        };
        if is_local_source(source) || !source.to_ascii_lowercase().contains("lambda") {
            continue;
        }
        let location = format!("module.{name}");
        let mode = call.body.attribute("tracing_mode");
        if mode.and_then(|a| a.expr.as_str()) == Some("Active") {
            sink.holds(&META, file, location);
            continue;
        }
        sink.unclear(
            &META,
            file,
            call.header_span,
            location,
            format!(
                "Does `module.{name}` deploy its Lambda functions with X-Ray tracing mode `Active`?"
            ),
            format!("the module comes from `{source}`, outside the repository"),
        );
    }
}

fn check_cloudformation(file: &SourceFile, template: &Template, sink: &mut Sink) {
    // SAM functions that take `Tracing` from `Globals.Function`. One value
    // decides them all, so it is reported once, at `Globals`.
    let mut from_globals: Vec<&str> = Vec::new();
    let global = template.global("Function", "Tracing");
    for resource in &template.resources {
        let path: &[&str] = match resource.type_name.as_str() {
            "AWS::Lambda::Function" => &["TracingConfig", "Mode"],
            "AWS::Serverless::Function" => &["Tracing"],
            _ => continue,
        };
        let id = &resource.logical_id;
        let property = path.join(".");
        let value = match resource.property(path) {
            Some(value) => value,
            None if resource.type_name == "AWS::Serverless::Function" && global.is_some() => {
                from_globals.push(id);
                continue;
            }
            None => {
                sink.violation(
                    &META,
                    file,
                    resource.id_span,
                    id.clone(),
                    format!("Lambda function `{id}` has no active X-Ray tracing"),
                    format!("no `{property}`, so the mode is `PassThrough`"),
                )
                .help = Some(format!("set `{property}: Active`"));
                continue;
            }
        };
        let subject = format!("Lambda function `{id}`");
        match judge_mode(template, value, &property) {
            Mode::Active => sink.holds(&META, file, id.clone()),
            Mode::Inactive { message, label } => {
                sink.violation(
                    &META,
                    file,
                    value.span,
                    id.clone(),
                    format!("{subject} {message}"),
                    label,
                )
                .help = Some(format!("set `{property}: Active`"));
            }
            Mode::Unknown { function, inputs } => sink.unclear(
                &META,
                file,
                value.span,
                id.clone(),
                format!("Is `{id}` deployed with X-Ray tracing mode `Active`?"),
                format!("`{property}` is set by `{function}`{inputs}"),
            ),
        }
    }
    let (Some(value), false) = (global, from_globals.is_empty()) else {
        return;
    };
    let names = quoted_list(&from_globals);
    let subject = match from_globals.as_slice() {
        [id] => format!("Lambda function `{id}`, which takes `Globals.Function.Tracing`,"),
        _ => format!(
            "{} Lambda functions that take `Globals.Function.Tracing` ({names})",
            from_globals.len()
        ),
    };
    let location = "Globals.Function.Tracing";
    match judge_mode(template, value, location) {
        Mode::Active => {
            for id in from_globals {
                sink.holds(&META, file, id);
            }
        }
        Mode::Inactive { message, label } => {
            let message = match from_globals.len() {
                1 => format!("{subject} {message}"),
                _ => format!("{subject} have {}", message.trim_start_matches("has ")),
            };
            sink.violation(&META, file, value.span, location, message, label)
                .help = Some("set `Globals.Function.Tracing: Active`".into());
        }
        Mode::Unknown { function, inputs } => sink.unclear(
            &META,
            file,
            value.span,
            location,
            format!(
                "Are {} deployed with X-Ray tracing mode `Active`?",
                quoted_with_and(&from_globals)
            ),
            format!("`Globals.Function.Tracing` is set by `{function}`{inputs}"),
        ),
    }
}

/// The verdict on one CloudFormation tracing mode value.
enum Mode {
    Active,
    /// `message` follows the function's name ("has ...").
    Inactive {
        message: String,
        label: String,
    },
    Unknown {
        function: String,
        inputs: String,
    },
}

fn judge_mode(template: &Template, value: &opslint_syntax::value::Node, property: &str) -> Mode {
    let (resolved, parameter) = template.resolve(value);
    match cloudformation::value(resolved) {
        CfnValue::Literal("Active") => Mode::Active,
        CfnValue::Literal(other) => Mode::Inactive {
            message: format!(
                "has X-Ray tracing mode `{other}`{}",
                unless_parameter_set(parameter)
            ),
            label: format!("tracing is not active{}", parameter_origin(parameter)),
        },
        CfnValue::Intrinsic(function, node) => Mode::Unknown {
            function: function.to_string(),
            inputs: cfn_inputs(node),
        },
        CfnValue::Structure(_) => Mode::Inactive {
            message: "has no valid X-Ray tracing mode".into(),
            label: format!("`{property}` is not a mode"),
        },
    }
}
