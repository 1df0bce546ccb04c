//! HCL and Terraform through tree-sitter-hcl into blocks and attributes with
//! spans. Expressions are evaluated only as far as literals go: anything that
//! reads a variable, local, module output, data source or function result is
//! [`ExprValue::Unknown`], never absent.

use opslint_core::Span;
use tree_sitter::Node as TsNode;

use crate::SyntaxError;
use crate::parsers::{self, Grammar};
use crate::yaml::{error_offset, first_error, syntax_message};

const MAX_DEPTH: usize = 128;

#[derive(Debug, Default)]
pub struct HclFile {
    pub body: Body,
    pub errors: Vec<SyntaxError>,
}

#[derive(Debug, Clone, Default)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub struct Block {
    /// The block type: `resource`, `tracing_config`, `dynamic`, ...
    pub kind: String,
    pub labels: Vec<String>,
    pub span: Span,
    /// Span of the header: the type and labels, up to the opening brace.
    pub header_span: Span,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub span: Span,
    pub expr: Expr,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub span: Span,
    /// The expression's source text.
    pub text: String,
    pub value: ExprValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprValue {
    String(String),
    Number(String),
    Bool(bool),
    Null,
    Object(Vec<(String, Expr)>),
    Tuple(Vec<Expr>),
    /// Decided by something outside this expression; see [`Expr::references`].
    Unknown,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Body {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn blocks<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }

    pub fn block(&self, kind: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.kind == kind)
    }

    /// A `dynamic "name"` block, which generates `name` blocks at plan time.
    pub fn dynamic_block(&self, name: &str) -> Option<&Block> {
        self.blocks
            .iter()
            .find(|b| b.kind == "dynamic" && b.labels.first().is_some_and(|l| l == name))
    }
}

impl Expr {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            ExprValue::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            ExprValue::Bool(value) => Some(*value),
            ExprValue::String(text) if text == "true" => Some(true),
            ExprValue::String(text) if text == "false" => Some(false),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        self.value == ExprValue::Unknown
    }

    /// The variables, locals, module outputs and data sources the expression
    /// reads, such as `var.tracing_mode`, in order of appearance.
    pub fn references(&self) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let bytes = self.text.as_bytes();
        for prefix in ["var.", "local.", "module.", "data."] {
            let mut search = 0;
            while let Some(at) = self.text[search..].find(prefix) {
                let start = search + at;
                search = start + prefix.len();
                let preceded_by_word = start > 0
                    && (bytes[start - 1].is_ascii_alphanumeric()
                        || bytes[start - 1] == b'_'
                        || bytes[start - 1] == b'.');
                if preceded_by_word {
                    continue;
                }
                // `data.TYPE.NAME` has two dots after the prefix; the others
                // have one: `var.NAME`, `module.NAME.OUTPUT`.
                let max_dots = if prefix == "data." { 2 } else { 1 };
                let mut end = search;
                let mut dots = 0;
                while end < bytes.len() {
                    let byte = bytes[end];
                    if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
                        end += 1;
                    } else if byte == b'.' && dots < max_dots {
                        dots += 1;
                        end += 1;
                    } else {
                        break;
                    }
                }
                let reference = self.text[start..end].trim_end_matches('.').to_string();
                if reference.len() > prefix.len() && !found.contains(&reference) {
                    found.push(reference);
                }
            }
        }
        found.sort_by_key(|reference| self.text.find(reference.as_str()));
        found
    }
}

pub fn parse(text: &str) -> HclFile {
    let mut file = HclFile::default();
    let Some(tree) = parsers::parse(Grammar::Hcl, text) else {
        file.errors.push(SyntaxError::new(
            Span::new(0, 0),
            "HCL parsing was cancelled",
        ));
        return file;
    };
    let root = tree.root_node();
    if let Some(error) = first_error(root) {
        let message = if error.is_missing() {
            format!("invalid HCL: missing `{}`", error.kind())
        } else {
            syntax_message("HCL", text.get(error_offset(error, text)..).unwrap_or(""))
        };
        let offset = error_offset(error, text);
        file.errors
            .push(SyntaxError::new(Span::new(offset, offset), message));
    }
    let mut cursor = root.walk();
    for child in root.named_children(&mut cursor) {
        if child.kind() == "body" {
            file.body = body(text, child, 0);
        }
    }
    file
}

/// Converts a body, leaving out blocks and attributes that contain a syntax
/// error: a rule must not report on a guess about broken text.
fn body(text: &str, node: TsNode<'_>, depth: usize) -> Body {
    let mut result = Body::default();
    if depth > MAX_DEPTH {
        return result;
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        if child.has_error() {
            continue;
        }
        match child.kind() {
            "attribute" => {
                let mut inner = child.walk();
                let mut name = None;
                let mut expr = None;
                for part in child.named_children(&mut inner) {
                    match part.kind() {
                        "identifier" if name.is_none() => name = Some(slice(text, part)),
                        "expression" => expr = Some(expression(text, part, depth + 1)),
                        _ => {}
                    }
                }
                if let (Some(name), Some(expr)) = (name, expr) {
                    result.attributes.push(Attribute {
                        name: name.to_string(),
                        span: child.byte_range().into(),
                        expr,
                    });
                }
            }
            "block" => result.blocks.push(block(text, child, depth + 1)),
            _ => {}
        }
    }
    // Bodies stay in memory for the whole run; drop the slack that growing
    // by doubling left.
    result.attributes.shrink_to_fit();
    result.blocks.shrink_to_fit();
    result
}

fn block(text: &str, node: TsNode<'_>, depth: usize) -> Block {
    let mut kind = String::new();
    let mut labels = Vec::new();
    let mut header_end = node.end_byte();
    let mut block_body = Body::default();
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        match child.kind() {
            "identifier" if kind.is_empty() => kind = slice(text, child).to_string(),
            "identifier" => labels.push(slice(text, child).to_string()),
            "string_lit" => labels.push(string_literal(text, child)),
            "block_start" => header_end = child.start_byte(),
            "body" => block_body = body(text, child, depth + 1),
            _ => {}
        }
    }
    let header = text.get(node.start_byte()..header_end).unwrap_or("");
    let header_end = node.start_byte() + header.trim_end().len();
    Block {
        kind,
        labels,
        span: node.byte_range().into(),
        header_span: Span::new(node.start_byte(), header_end),
        body: block_body,
    }
}

fn slice<'t>(text: &'t str, node: TsNode<'_>) -> &'t str {
    text.get(node.byte_range()).unwrap_or("")
}

fn string_literal(text: &str, node: TsNode<'_>) -> String {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| c.kind() == "template_literal")
        .map(|c| slice(text, c))
        .collect()
}

fn expression(text: &str, node: TsNode<'_>, depth: usize) -> Expr {
    let span: Span = node.byte_range().into();
    let source = slice(text, node).to_string();
    let value = if depth > MAX_DEPTH {
        ExprValue::Unknown
    } else {
        expression_value(text, node, depth)
    };
    Expr {
        span,
        text: source,
        value,
    }
}

fn expression_value(text: &str, node: TsNode<'_>, depth: usize) -> ExprValue {
    let mut cursor = node.walk();
    let children: Vec<TsNode<'_>> = node.named_children(&mut cursor).collect();
    if node.kind() == "expression" && children.len() == 1 {
        return expression_value(text, children[0], depth + 1);
    }
    match node.kind() {
        "literal_value" => children.first().map_or(ExprValue::Unknown, |c| {
            expression_value(text, *c, depth + 1)
        }),
        "numeric_lit" => ExprValue::Number(slice(text, node).to_string()),
        "bool_lit" => ExprValue::Bool(slice(text, node) == "true"),
        "null_lit" => ExprValue::Null,
        "string_lit" => ExprValue::String(string_literal(text, node)),
        "template_expr" => match children.first() {
            Some(quoted) if quoted.kind() == "quoted_template" => {
                let mut inner = quoted.walk();
                let parts: Vec<TsNode<'_>> = quoted.named_children(&mut inner).collect();
                if parts
                    .iter()
                    .any(|p| matches!(p.kind(), "template_interpolation" | "template_directive"))
                {
                    ExprValue::Unknown
                } else {
                    ExprValue::String(
                        parts
                            .iter()
                            .filter(|p| p.kind() == "template_literal")
                            .map(|p| slice(text, *p))
                            .collect(),
                    )
                }
            }
            _ => ExprValue::Unknown,
        },
        "collection_value" => children.first().map_or(ExprValue::Unknown, |c| {
            expression_value(text, *c, depth + 1)
        }),
        "object" => {
            let mut elements = Vec::new();
            for element in children.iter().filter(|c| c.kind() == "object_elem") {
                let (Some(key), Some(value)) = (
                    element.child_by_field_name("key"),
                    element.child_by_field_name("val"),
                ) else {
                    continue;
                };
                let key_expr = expression(text, key, depth + 1);
                let key_text = match &key_expr.value {
                    ExprValue::String(text) => text.clone(),
                    _ => key_expr.text.trim().to_string(),
                };
                elements.push((key_text, expression(text, value, depth + 1)));
            }
            ExprValue::Object(elements)
        }
        "tuple" => ExprValue::Tuple(
            children
                .iter()
                .filter(|c| c.kind() == "expression")
                .map(|c| expression(text, *c, depth + 1))
                .collect(),
        ),
        _ => ExprValue::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_resource_block_with_nested_block() {
        let text = r#"
resource "aws_lambda_function" "api" {
  function_name = "api"
  tracing_config {
    mode = "Active"
  }
}
"#;
        let file = parse(text);
        assert!(file.errors.is_empty());
        let block = &file.body.blocks[0];
        assert_eq!(block.kind, "resource");
        assert_eq!(block.labels, ["aws_lambda_function", "api"]);
        let tracing = block.body.block("tracing_config").unwrap();
        let mode = tracing.body.attribute("mode").unwrap();
        assert_eq!(mode.expr.as_str(), Some("Active"));
    }

    #[test]
    fn variable_reference_is_unknown_with_references() {
        let file = parse("x = var.tracing_mode\ny = \"${local.name}-x\"\nz = true\n");
        let x = file.body.attribute("x").unwrap();
        assert!(x.expr.is_unknown());
        assert_eq!(x.expr.references(), ["var.tracing_mode"]);
        let y = file.body.attribute("y").unwrap();
        assert!(y.expr.is_unknown());
        assert_eq!(y.expr.references(), ["local.name"]);
        assert_eq!(file.body.attribute("z").unwrap().expr.as_bool(), Some(true));
    }

    #[test]
    fn object_and_tuple_literals() {
        let file = parse("tags = { Owner = \"team-a\", \"cost\" = 1 }\nl = [1, \"a\"]\n");
        let ExprValue::Object(elements) = &file.body.attribute("tags").unwrap().expr.value else {
            panic!("expected an object");
        };
        assert_eq!(elements[0].0, "Owner");
        assert_eq!(elements[0].1.as_str(), Some("team-a"));
        assert_eq!(elements[1].0, "cost");
        let ExprValue::Tuple(items) = &file.body.attribute("l").unwrap().expr.value else {
            panic!("expected a tuple");
        };
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn syntax_error_is_reported_and_broken_block_dropped() {
        let file = parse("resource \"a\" \"b\" {\n  x = \n}\nresource \"c\" \"d\" {\n  y = 1\n}\n");
        assert_eq!(file.errors.len(), 1);
        assert!(file.body.blocks.iter().all(|b| b.labels != ["a", "b"]));
    }
}
