//! JSON through tree-sitter-json into the value tree.

use opslint_core::Span;
use tree_sitter::Node as TsNode;

use crate::SyntaxError;
use crate::parsers::{self, Grammar};
use crate::value::{CompactString, Document, Entry, Map, Node, Scalar, Value};
use crate::yaml::{error_offset, first_error, syntax_message};

/// Nesting depth past which the rest of a value is treated as unknown, so a
/// hostile file cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Default)]
pub struct JsonFile {
    pub document: Option<Document>,
    pub errors: Vec<SyntaxError>,
}

pub fn parse(text: &str) -> JsonFile {
    let mut file = JsonFile::default();
    let Some(tree) = parsers::parse(Grammar::Json, text) else {
        file.errors.push(SyntaxError::new(
            Span::new(0, 0),
            "JSON parsing was cancelled",
        ));
        return file;
    };
    let root = tree.root_node();
    if root.has_error() {
        let error = first_error(root).unwrap_or(root);
        let message = if error.is_missing() {
            format!("invalid JSON: missing `{}`", error.kind())
        } else {
            syntax_message("JSON", text.get(error_offset(error, text)..).unwrap_or(""))
        };
        let offset = error_offset(error, text);
        file.errors
            .push(SyntaxError::new(Span::new(offset, offset), message));
        return file;
    }
    let mut cursor = root.walk();
    let value = root
        .named_children(&mut cursor)
        .find(|child| child.kind() != "comment");
    let node = match value {
        Some(value) => convert(text, value, 0),
        None => Node::new(Value::Null, Span::new(0, 0)),
    };
    file.document = Some(Document {
        root: node,
        span: Span::new(0, text.len()),
        index: 0,
    });
    file
}

fn convert(text: &str, node: TsNode<'_>, depth: usize) -> Node {
    let span: Span = node.byte_range().into();
    if depth > MAX_DEPTH {
        return Node::new(Value::Templated, span);
    }
    let raw = text.get(node.byte_range()).unwrap_or("");
    match node.kind() {
        "object" => {
            let mut map = Map {
                entries: Vec::with_capacity(node.named_child_count()),
                open: false,
            };
            let mut cursor = node.walk();
            for pair in node.named_children(&mut cursor) {
                if pair.kind() != "pair" {
                    continue;
                }
                let (Some(key), Some(value)) = (
                    pair.child_by_field_name("key"),
                    pair.child_by_field_name("value"),
                ) else {
                    continue;
                };
                let key_text = string_value(text.get(key.byte_range()).unwrap_or(""));
                map.entries.push(Entry {
                    key: key_text,
                    key_span: key.byte_range().into(),
                    value: convert(text, value, depth + 1),
                });
            }
            keep_last_duplicates(&mut map.entries);
            Node::new(Value::Map(map), span)
        }
        "array" => {
            let mut cursor = node.walk();
            let items = node
                .named_children(&mut cursor)
                .filter(|child| child.kind() != "comment")
                .map(|child| convert(text, child, depth + 1))
                .collect();
            Node::new(Value::Seq(items), span)
        }
        "string" => Node::new(
            Value::Scalar(Scalar {
                text: string_value(raw),
                quoted: true,
            }),
            span,
        ),
        "null" => Node::new(Value::Null, span),
        _ => Node::new(
            Value::Scalar(Scalar {
                text: raw.into(),
                quoted: false,
            }),
            span,
        ),
    }
}

/// Decodes a JSON string literal, escapes included. A literal without
/// escapes or control characters is its own text between the quotes.
fn string_value(raw: &str) -> CompactString {
    if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"'))
        && !inner.bytes().any(|b| b == b'\\' || b == b'"' || b < 0x20)
    {
        return inner.into();
    }
    match serde_json::from_str::<String>(raw) {
        Ok(text) => text.into(),
        Err(_) => raw.trim_matches('"').into(),
    }
}

/// Keeps the last of entries with the same key, as JSON parsers do, in the
/// order of those last occurrences. One pass with a set, so an object with
/// a hundred thousand keys is not compared pair by pair.
fn keep_last_duplicates(entries: &mut Vec<Entry>) {
    if entries.len() < 2 {
        return;
    }
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    let mut keep: Vec<bool> = entries
        .iter()
        .rev()
        .map(|entry| seen.insert(entry.key.as_str()))
        .collect();
    if keep.iter().all(|kept| *kept) {
        return;
    }
    keep.reverse();
    let mut flags = keep.into_iter();
    entries.retain(|_| flags.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_keep_last() {
        let file = parse(r#"{"a": 1, "b": 2, "a": 3, "c": 4, "b": 5}"#);
        let root = &file.document.expect("a document").root;
        let map = root.as_map().expect("an object");
        let keys: Vec<&str> = map.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["a", "c", "b"]);
        assert_eq!(root.get("a").and_then(Node::as_str), Some("3"));
        assert_eq!(root.get("b").and_then(Node::as_str), Some("5"));
    }
}
