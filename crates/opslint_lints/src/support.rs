//! Small helpers shared by rules.

use opslint_model::cloudformation;
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
