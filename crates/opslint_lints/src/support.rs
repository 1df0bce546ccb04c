//! Small helpers shared by rules.

use opslint_model::cloudformation;
use opslint_model::terraform_eval::Via;
use opslint_syntax::hcl::Expr;
use opslint_syntax::value::Node;

/// Names the inputs an HCL expression reads, as a clause to append to a
/// reason: ` (from `var.tracing_mode`)`. Empty when the expression is
/// nothing but that one reference, which the reason already quotes.
pub fn hcl_inputs(expr: Option<&Expr>) -> String {
    let references = expr.map(Expr::references).unwrap_or_default();
    let is_bare_reference =
        references.len() == 1 && expr.is_some_and(|e| e.text.trim() == references[0]);
    if references.is_empty() || is_bare_reference {
        String::new()
    } else {
        format!(" (from {})", quoted_list(&references))
    }
}

/// Names the parameters and conditions a CloudFormation value reads.
pub fn cfn_inputs(node: &Node) -> String {
    let references = cloudformation::references(node);
    if references.is_empty() {
        String::new()
    } else {
        format!(" (from {})", quoted_list(&references))
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Returns the condition under which a finding built on a variable's value
/// stops being true: ` unless `tracing_mode` is set`.
pub fn unless_set(via: Option<&Via>) -> String {
    via.map_or(String::new(), |via| {
        format!(" unless `{}` is set", via.variable)
    })
}

/// Names where a variable's value came from, as a clause for a label:
/// ` (the default of `var.tracing_mode`)`.
pub fn via_origin(via: Option<&Via>) -> String {
    via.map_or(String::new(), |via| {
        if via.origin == "the default" {
            format!(" (the default of `var.{}`)", via.variable)
        } else {
            format!(" (`var.{}` as set in {})", via.variable, via.origin)
        }
    })
}

/// Returns the `unless` clause for a value taken from a CloudFormation
/// parameter's default.
pub fn unless_parameter_set(parameter: Option<&str>) -> String {
    parameter.map_or(String::new(), |name| {
        format!(" unless parameter `{name}` is set")
    })
}

/// Names the parameter whose default a value came from, for a label.
pub fn parameter_origin(parameter: Option<&str>) -> String {
    parameter.map_or(String::new(), |name| {
        format!(" (the default of parameter `{name}`)")
    })
}
