//! HCL and Terraform through tree-sitter-hcl into blocks and attributes with
//! spans. Expressions are evaluated only as far as literals go: anything that
//! reads a variable, local, module output, data source or function result is
//! [`ExprValue::Unknown`], never absent.

use opslint_core::Span;
use tree_sitter::Node as TsNode;

use crate::SyntaxError;
use crate::parsers::{self, Children, Grammar};
use crate::yaml::{error_offset, first_error, missing_message, syntax_message};

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

/// Parses a variables file in JSON syntax (`terraform.tfvars.json`): each
/// key of the top-level object becomes an attribute of the body.
pub fn parse_json_vars(text: &str) -> HclFile {
    let json = crate::json::parse(text);
    let mut file = HclFile {
        body: Body::default(),
        errors: json.errors,
    };
    let Some(document) = json.document else {
        return file;
    };
    if let Some(map) = document.root.as_map() {
        for entry in &map.entries {
            file.body.attributes.push(Attribute {
                name: entry.key.to_string(),
                span: Span::new(entry.key_span.start, entry.value.span.end),
                expr: expr_from_json(&entry.value, text),
            });
        }
    }
    file
}

/// Converts a JSON value to the expression a native variables file would
/// give.
fn expr_from_json(node: &crate::value::Node, text: &str) -> Expr {
    use crate::value::Value;
    let value = match &node.value {
        Value::Scalar(scalar) if scalar.quoted => ExprValue::String(scalar.text.to_string()),
        Value::Scalar(scalar) => match scalar.text.as_str() {
            "true" => ExprValue::Bool(true),
            "false" => ExprValue::Bool(false),
            number => ExprValue::Number(number.to_string()),
        },
        Value::Null => ExprValue::Null,
        Value::Seq(items) => ExprValue::Tuple(
            items
                .iter()
                .map(|item| expr_from_json(item, text))
                .collect(),
        ),
        Value::Map(map) => ExprValue::Object(
            map.entries
                .iter()
                .map(|entry| (entry.key.to_string(), expr_from_json(&entry.value, text)))
                .collect(),
        ),
        Value::Templated => ExprValue::Unknown,
    };
    Expr {
        span: node.span,
        text: text
            .get(node.span.start..node.span.end)
            .unwrap_or("")
            .to_string(),
        value,
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
            missing_message("HCL", error, text)
        } else {
            syntax_message("HCL", text.get(error_offset(error, text)..).unwrap_or(""))
        };
        let offset = error_offset(error, text);
        file.errors
            .push(SyntaxError::new(Span::new(offset, offset), message));
    }
    let converter = Converter {
        kinds: kinds(),
        text,
    };
    for child in Children::named(root) {
        if child.kind_id() == converter.kinds.body {
            file.body = converter.body(child, 0);
        }
    }
    file
}

/// The grammar's ids of the node kinds and fields the converter reads, so
/// that it compares numbers, not names, at every node.
struct Kinds {
    body: u16,
    attribute: u16,
    block: u16,
    identifier: u16,
    expression: u16,
    string_lit: u16,
    block_start: u16,
    template_literal: u16,
    literal_value: u16,
    numeric_lit: u16,
    bool_lit: u16,
    null_lit: u16,
    template_expr: u16,
    quoted_template: u16,
    template_interpolation: u16,
    template_directive: u16,
    collection_value: u16,
    object: u16,
    object_elem: u16,
    tuple: u16,
    key: Option<std::num::NonZeroU16>,
    val: Option<std::num::NonZeroU16>,
}

fn kinds() -> &'static Kinds {
    static KINDS: std::sync::OnceLock<Kinds> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_hcl::LANGUAGE.into();
        let id = |name: &str| language.id_for_node_kind(name, true);
        Kinds {
            body: id("body"),
            attribute: id("attribute"),
            block: id("block"),
            identifier: id("identifier"),
            expression: id("expression"),
            string_lit: id("string_lit"),
            block_start: id("block_start"),
            template_literal: id("template_literal"),
            literal_value: id("literal_value"),
            numeric_lit: id("numeric_lit"),
            bool_lit: id("bool_lit"),
            null_lit: id("null_lit"),
            template_expr: id("template_expr"),
            quoted_template: id("quoted_template"),
            template_interpolation: id("template_interpolation"),
            template_directive: id("template_directive"),
            collection_value: id("collection_value"),
            object: id("object"),
            object_elem: id("object_elem"),
            tuple: id("tuple"),
            key: language.field_id_for_name("key"),
            val: language.field_id_for_name("val"),
        }
    })
}

struct Converter<'a> {
    kinds: &'static Kinds,
    text: &'a str,
}

impl Converter<'_> {
    /// Converts a body, leaving out blocks and attributes that contain a
    /// syntax error: a rule must not report on a guess about broken text.
    fn body(&self, node: TsNode<'_>, depth: usize) -> Body {
        let mut result = Body::default();
        if depth > MAX_DEPTH {
            return result;
        }
        let k = self.kinds;
        for child in Children::named(node) {
            if child.has_error() {
                continue;
            }
            let kind = child.kind_id();
            if kind == k.attribute {
                let mut name = None;
                let mut expr = None;
                for part in Children::named(child) {
                    let part_kind = part.kind_id();
                    if part_kind == k.identifier && name.is_none() {
                        name = Some(self.slice(part));
                    } else if part_kind == k.expression {
                        expr = Some(self.expression(part, depth + 1));
                    }
                }
                if let (Some(name), Some(expr)) = (name, expr) {
                    result.attributes.push(Attribute {
                        name: name.to_string(),
                        span: child.byte_range().into(),
                        expr,
                    });
                }
            } else if kind == k.block {
                result.blocks.push(self.block(child, depth + 1));
            }
        }
        // Bodies stay in memory for the whole run; drop the slack that growing
        // by doubling left.
        result.attributes.shrink_to_fit();
        result.blocks.shrink_to_fit();
        result
    }

    fn block(&self, node: TsNode<'_>, depth: usize) -> Block {
        let k = self.kinds;
        let mut kind = String::new();
        let mut labels = Vec::new();
        let mut header_end = node.end_byte();
        let mut block_body = Body::default();
        for child in Children::all(node) {
            let child_kind = child.kind_id();
            if child_kind == k.identifier {
                if kind.is_empty() {
                    kind = self.slice(child).to_string();
                } else {
                    labels.push(self.slice(child).to_string());
                }
            } else if child_kind == k.string_lit {
                labels.push(self.string_literal(child));
            } else if child_kind == k.block_start {
                header_end = child.start_byte();
            } else if child_kind == k.body {
                block_body = self.body(child, depth + 1);
            }
        }
        let header = self.text.get(node.start_byte()..header_end).unwrap_or("");
        let header_end = node.start_byte() + header.trim_end().len();
        Block {
            kind,
            labels,
            span: node.byte_range().into(),
            header_span: Span::new(node.start_byte(), header_end),
            body: block_body,
        }
    }

    fn slice(&self, node: TsNode<'_>) -> &str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// Joins the text of the `template_literal` children of `node`.
    fn string_literal(&self, node: TsNode<'_>) -> String {
        Children::named(node)
            .filter(|c| c.kind_id() == self.kinds.template_literal)
            .map(|c| self.slice(c))
            .collect()
    }

    fn expression(&self, node: TsNode<'_>, depth: usize) -> Expr {
        let span: Span = node.byte_range().into();
        let source = self.slice(node).to_string();
        let value = if depth > MAX_DEPTH {
            ExprValue::Unknown
        } else {
            self.expression_value(node, depth)
        };
        Expr {
            span,
            text: source,
            value,
        }
    }

    fn expression_value(&self, node: TsNode<'_>, depth: usize) -> ExprValue {
        let k = self.kinds;
        let kind = node.kind_id();
        let first = || node.named_child(0);
        if kind == k.expression && node.named_child_count() == 1 {
            return first().map_or(ExprValue::Unknown, |c| self.expression_value(c, depth + 1));
        }
        if kind == k.literal_value || kind == k.collection_value {
            first().map_or(ExprValue::Unknown, |c| self.expression_value(c, depth + 1))
        } else if kind == k.numeric_lit {
            ExprValue::Number(self.slice(node).to_string())
        } else if kind == k.bool_lit {
            ExprValue::Bool(self.slice(node) == "true")
        } else if kind == k.null_lit {
            ExprValue::Null
        } else if kind == k.string_lit {
            ExprValue::String(self.string_literal(node))
        } else if kind == k.template_expr {
            match first() {
                Some(quoted) if quoted.kind_id() == k.quoted_template => {
                    let interpolated = Children::named(quoted).any(|p| {
                        let part = p.kind_id();
                        part == k.template_interpolation || part == k.template_directive
                    });
                    if interpolated {
                        ExprValue::Unknown
                    } else {
                        ExprValue::String(self.string_literal(quoted))
                    }
                }
                _ => ExprValue::Unknown,
            }
        } else if kind == k.object {
            let mut elements = Vec::new();
            for element in Children::named(node) {
                if element.kind_id() != k.object_elem {
                    continue;
                }
                let (Some(key), Some(value)) = (
                    k.key
                        .and_then(|field| element.child_by_field_id(field.get())),
                    k.val
                        .and_then(|field| element.child_by_field_id(field.get())),
                ) else {
                    continue;
                };
                let key_expr = self.expression(key, depth + 1);
                let key_text = match &key_expr.value {
                    ExprValue::String(text) => text.clone(),
                    _ => key_expr.text.trim().to_string(),
                };
                elements.push((key_text, self.expression(value, depth + 1)));
            }
            ExprValue::Object(elements)
        } else if kind == k.tuple {
            let items = Children::named(node)
                .filter(|c| c.kind_id() == k.expression)
                .map(|c| self.expression(c, depth + 1))
                .collect();
            ExprValue::Tuple(items)
        } else {
            ExprValue::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_variables_become_attributes() {
        let file = parse_json_vars("{\"keep\": 0, \"name\": \"orders\", \"zones\": [\"a\"]}");
        assert!(file.errors.is_empty());
        let values: Vec<(&str, &ExprValue)> = file
            .body
            .attributes
            .iter()
            .map(|attribute| (attribute.name.as_str(), &attribute.expr.value))
            .collect();
        assert_eq!(values[0], ("keep", &ExprValue::Number("0".into())));
        assert_eq!(values[1], ("name", &ExprValue::String("orders".into())));
        assert!(matches!(values[2].1, ExprValue::Tuple(items) if items.len() == 1));
    }

    #[test]
    fn missing_brace_names_its_opening_line() {
        let text = "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n\n  tags = {\n    a = \"b\"\n  }\n";
        let file = parse(text);
        let messages: Vec<&str> = file.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            ["invalid HCL: missing `}` to close the `{` on line 1"]
        );
    }

    #[test]
    fn grammar_has_every_kind_used() {
        let k = kinds();
        let ids = [
            k.body,
            k.attribute,
            k.block,
            k.identifier,
            k.expression,
            k.string_lit,
            k.block_start,
            k.template_literal,
            k.literal_value,
            k.numeric_lit,
            k.bool_lit,
            k.null_lit,
            k.template_expr,
            k.quoted_template,
            k.template_interpolation,
            k.template_directive,
            k.collection_value,
            k.object,
            k.object_elem,
            k.tuple,
        ];
        assert!(ids.iter().all(|&id| id != 0), "{ids:?}");
        assert!(k.key.is_some());
        assert!(k.val.is_some());
    }

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
