//! Reads AWS resource settings from Terraform and CloudFormation with
//! variables and parameter defaults evaluated, and reports the common
//! "this flag must be on" shape of rule.

use opslint_core::{RuleMeta, Sink, SourceFile, Span};
use opslint_model::Workspace;
use opslint_model::cloudformation::{self, CfnValue, Resource as CfnResource, Template};
use opslint_model::terraform::Resource;
use opslint_model::terraform_eval::{DynamicBlock, Evaluated, Via};
use opslint_syntax::hcl::{Block, Body, Expr, ExprValue};
use opslint_syntax::value::Node;

use crate::support::{
    cfn_inputs, hcl_inputs, parameter_origin, unless_parameter_set, unless_set, via_origin,
};

/// A Terraform attribute once evaluated.
pub enum TfSetting {
    Missing,
    Known {
        value: ExprValue,
        via: Option<Via>,
        span: Span,
    },
    Unknown {
        reason: String,
        span: Span,
    },
}

/// A Terraform nested block, with `dynamic` blocks evaluated.
pub enum TfBlock<'a> {
    Missing {
        via: Option<Via>,
        span: Option<Span>,
    },
    Present {
        body: &'a Body,
        span: Span,
    },
    Unknown {
        reason: String,
        span: Span,
    },
}

pub fn tf_attribute(
    workspace: &Workspace,
    file: &SourceFile,
    body: &Body,
    name: &str,
) -> TfSetting {
    let Some(attribute) = body.attribute(name) else {
        return TfSetting::Missing;
    };
    match workspace
        .terraform_index
        .evaluate(&file.path, &attribute.expr)
    {
        Evaluated::Known { expr, via } => TfSetting::Known {
            value: expr.value,
            via,
            span: attribute.expr.span,
        },
        Evaluated::Unknown { reason } => TfSetting::Unknown {
            reason: reason.unwrap_or_else(|| computed_reason(name, &attribute.expr)),
            span: attribute.expr.span,
        },
    }
}

/// Returns why an attribute's value is unknown, when evaluation gave no
/// reason.
fn computed_reason(name: &str, expr: &Expr) -> String {
    format!(
        "`{name}` is `{}`{}",
        expr.text.trim(),
        hcl_inputs(Some(expr))
    )
}

/// The place where one evaluation of a Terraform setting is reported. It is
/// the resource's own file and address, or the site of a module call that
/// gives a shared module its own value: the calling file, the address
/// through the module (`module.orders_db.aws_db_instance.this`) and the
/// call's argument.
pub struct TfSite<'a> {
    pub file: &'a SourceFile,
    pub address: String,
    /// The argument of the module call that sets the value, or the call's
    /// header when the value is the variable's default. `None` for the
    /// resource's own file.
    pub call_span: Option<Span>,
}

/// Evaluates `expr` of a resource in `file`. When the module's calls set
/// the value, it is evaluated once per call, and each result comes with the
/// call as its site. A bad value is then reported where that call sets it,
/// and a good one passes there.
pub fn tf_evaluate_each<'a>(
    workspace: &'a Workspace,
    file: &'a SourceFile,
    expr: &Expr,
    address: &str,
) -> Vec<(Evaluated, TfSite<'a>)> {
    let index = &workspace.terraform_index;
    let own = || TfSite {
        file,
        address: address.to_string(),
        call_span: None,
    };
    let Some(calls) = index.evaluate_per_call(&file.path, expr) else {
        return vec![(index.evaluate(&file.path, expr), own())];
    };
    calls
        .into_iter()
        .filter_map(|mut call| {
            // The finding sits in the calling file, so naming it again in
            // the message would only repeat its path.
            if let Evaluated::Known { via: Some(via), .. } = &mut call.value
                && let Some(rest) = via.origin.strip_prefix(&format!("`{}`", call.caller_path))
            {
                via.origin = format!("this module call{rest}");
            }
            let position = workspace
                .artifacts
                .binary_search_by(|artifact| artifact.file.path.as_str().cmp(&call.caller_path))
                .ok()?;
            let site = TfSite {
                file: &workspace.artifacts[position].file,
                address: format!("module.{}.{address}", call.module),
                call_span: Some(call.span),
            };
            Some((call.value, site))
        })
        .collect()
}

/// [`tf_attribute`] once per module call that gives the attribute its own
/// value (see [`tf_evaluate_each`]); the spans of the results are then the
/// calls' arguments.
pub fn tf_attribute_each<'a>(
    workspace: &'a Workspace,
    file: &'a SourceFile,
    body: &Body,
    name: &str,
    address: &str,
) -> Vec<(TfSetting, TfSite<'a>)> {
    let Some(attribute) = body.attribute(name) else {
        let site = TfSite {
            file,
            address: address.to_string(),
            call_span: None,
        };
        return vec![(TfSetting::Missing, site)];
    };
    tf_evaluate_each(workspace, file, &attribute.expr, address)
        .into_iter()
        .map(|(value, site)| {
            let span = site.call_span.unwrap_or(attribute.expr.span);
            let setting = match value {
                Evaluated::Known { expr, via } => TfSetting::Known {
                    value: expr.value,
                    via,
                    span,
                },
                Evaluated::Unknown { reason } => TfSetting::Unknown {
                    reason: reason.unwrap_or_else(|| computed_reason(name, &attribute.expr)),
                    span,
                },
            };
            (setting, site)
        })
        .collect()
}

pub fn tf_block<'a>(
    workspace: &Workspace,
    file: &SourceFile,
    body: &'a Body,
    name: &str,
) -> TfBlock<'a> {
    if let Some(block) = body.block(name) {
        return TfBlock::Present {
            body: &block.body,
            span: block.header_span,
        };
    }
    let Some(dynamic) = body.dynamic_block(name) else {
        return TfBlock::Missing {
            via: None,
            span: None,
        };
    };
    match workspace.terraform_index.dynamic_block(&file.path, dynamic) {
        DynamicBlock::Absent { via } => TfBlock::Missing {
            via,
            span: Some(dynamic.header_span),
        },
        DynamicBlock::Present { content } => TfBlock::Present {
            body: content,
            span: dynamic.header_span,
        },
        DynamicBlock::Unknown { reason } => TfBlock::Unknown {
            reason: reason.unwrap_or_else(|| {
                format!(
                    "`{name}` is generated by a `dynamic` block{}",
                    hcl_inputs(dynamic.body.attribute("for_each").map(|a| &a.expr))
                )
            }),
            span: dynamic.header_span,
        },
    }
}

/// Yields the Terraform resources of `types` with their file, leaving out
/// those whose `count` is `0`.
pub fn created_resources<'a>(
    workspace: &'a Workspace,
    types: &'a [&'a str],
) -> impl Iterator<Item = (&'a SourceFile, Resource<'a>)> + 'a {
    workspace
        .terraform()
        .flat_map(move |(artifact, terraform)| {
            let file: &SourceFile = &artifact.file;
            terraform
                .resources()
                .filter(move |resource| types.contains(&resource.type_name))
                .filter(move |resource| !tf_not_created(workspace, file, resource.block))
                .map(move |resource| (file, resource))
        })
}

/// Returns whether a resource is left out because its `count` is `0`.
pub fn tf_not_created(workspace: &Workspace, file: &SourceFile, block: &Block) -> bool {
    workspace.terraform_index.is_created(&file.path, block) == Some(false)
}

/// A CloudFormation property once `Ref`s to parameter defaults are resolved.
pub enum CfnSetting<'a> {
    Missing,
    Literal {
        text: &'a str,
        parameter: Option<&'a str>,
        span: Span,
    },
    Structure(&'a Node),
    Unknown {
        reason: String,
        span: Span,
    },
}

/// Reads `path` of a resource's properties, falling back to the SAM
/// `Globals` section `global` when the resource does not set it.
pub fn cfn_property<'a>(
    template: &'a Template,
    resource: &'a CfnResource,
    path: &[&str],
    global: Option<&str>,
) -> CfnSetting<'a> {
    let value = resource.property(path).or_else(|| {
        global.and_then(|section| {
            template
                .globals
                .as_ref()
                .and_then(|g| g.get(section))
                .and_then(|g| g.at(path))
        })
    });
    let Some(value) = value else {
        return CfnSetting::Missing;
    };
    cfn_value(template, value, &path.join("."))
}

/// Reads a SAM `Globals` setting of `section` at `path`, for an API or
/// function that SAM creates without a resource of its own.
pub fn cfn_global<'a>(template: &'a Template, section: &str, path: &[&str]) -> CfnSetting<'a> {
    let value = template
        .globals
        .as_ref()
        .and_then(|globals| globals.get(section))
        .and_then(|globals| globals.at(path));
    match value {
        Some(value) => cfn_value(template, value, &path.join(".")),
        None => CfnSetting::Missing,
    }
}

pub fn cfn_value<'a>(template: &'a Template, value: &'a Node, name: &str) -> CfnSetting<'a> {
    let (resolved, parameter) = template.resolve(value);
    match cloudformation::value(resolved) {
        CfnValue::Literal(text) => CfnSetting::Literal {
            text,
            parameter,
            span: value.span,
        },
        CfnValue::Intrinsic(function, node) => CfnSetting::Unknown {
            reason: format!("`{name}` is set by `{function}`{}", cfn_inputs(node)),
            span: value.span,
        },
        CfnValue::Structure(node) if node.is_null() => CfnSetting::Missing,
        CfnValue::Structure(node) => CfnSetting::Structure(node),
    }
}

/// The texts of one "flag must be on" finding.
pub struct FlagCheck<'a> {
    pub meta: &'static RuleMeta,
    pub file: &'a SourceFile,
    /// Logical location: a Terraform address or a logical id.
    pub location: &'a str,
    /// The finding's message without the `unless ... is set` clause.
    pub message: String,
    pub question: String,
    pub help: String,
}

impl FlagCheck<'_> {
    /// Reports a Terraform flag that must be `true`; `missing_span` is where
    /// a finding for an absent flag points.
    pub fn terraform(&self, setting: TfSetting, name: &str, missing_span: Span, sink: &mut Sink) {
        match setting {
            TfSetting::Missing => self.violation(
                missing_span,
                None,
                format!("`{name}` is not set and defaults to `false`"),
                sink,
            ),
            TfSetting::Known { value, via, span } => match value {
                ExprValue::Bool(true) => sink.holds(self.meta, self.file, self.location),
                ExprValue::String(text) if text == "true" => {
                    sink.holds(self.meta, self.file, self.location);
                }
                ExprValue::Bool(false) | ExprValue::Null => {
                    let label = format!(
                        "`{name}` is `{}`{}",
                        value_text(&value),
                        via_origin(via.as_ref())
                    );
                    self.violation(span, via.as_ref().map(|v| unless_set(Some(v))), label, sink);
                }
                ExprValue::String(text) if text == "false" => {
                    let label = format!("`{name}` is `false`{}", via_origin(via.as_ref()));
                    self.violation(span, via.as_ref().map(|v| unless_set(Some(v))), label, sink);
                }
                _ => self.unclear(span, format!("`{name}` is not a boolean"), sink),
            },
            TfSetting::Unknown { reason, span } => self.unclear(span, reason, sink),
        }
    }

    /// Reports a CloudFormation flag that must be `true`.
    pub fn cloudformation(
        &self,
        setting: CfnSetting<'_>,
        name: &str,
        missing_span: Span,
        sink: &mut Sink,
    ) {
        match setting {
            CfnSetting::Missing => self.violation(
                missing_span,
                None,
                format!("no `{name}`, which defaults to `false`"),
                sink,
            ),
            CfnSetting::Literal {
                text,
                parameter,
                span,
            } => match text {
                "true" | "True" | "TRUE" => sink.holds(self.meta, self.file, self.location),
                "false" | "False" | "FALSE" => self.violation(
                    span,
                    parameter.map(|p| unless_parameter_set(Some(p))),
                    format!("`{name}` is `false`{}", parameter_origin(parameter)),
                    sink,
                ),
                _ => self.unclear(span, format!("`{name}` is `{text}`, not a boolean"), sink),
            },
            CfnSetting::Structure(node) => {
                self.unclear(node.span, format!("`{name}` is not a boolean"), sink);
            }
            CfnSetting::Unknown { reason, span } => self.unclear(span, reason, sink),
        }
    }

    pub fn violation(&self, span: Span, unless: Option<String>, label: String, sink: &mut Sink) {
        sink.violation(
            self.meta,
            self.file,
            span,
            self.location,
            format!("{}{}", self.message, unless.unwrap_or_default()),
            label,
        )
        .help = Some(self.help.clone());
    }

    pub fn unclear(&self, span: Span, reason: String, sink: &mut Sink) {
        sink.unclear(
            self.meta,
            self.file,
            span,
            self.location,
            self.question.clone(),
            reason,
        );
    }
}

pub fn value_text(value: &ExprValue) -> String {
    match value {
        ExprValue::String(text) => text.clone(),
        ExprValue::Number(text) => text.clone(),
        ExprValue::Bool(flag) => flag.to_string(),
        ExprValue::Null => "null".into(),
        ExprValue::Object(_) => "{...}".into(),
        ExprValue::Tuple(_) => "[...]".into(),
        ExprValue::Unknown => "?".into(),
    }
}
