//! JSON through tree-sitter-json into the value tree.

use std::sync::OnceLock;

use opslint_core::Span;
use tree_sitter::Node as TsNode;

use crate::SyntaxError;
use crate::parsers::{self, CursorPool, Grammar};
use crate::value::{CompactString, Document, Entry, Map, Node, Scalar, Value};
use crate::yaml::{error_offset, first_error, missing_message, syntax_message};

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
            missing_message("JSON", error, text)
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
        Some(value) => Converter {
            text,
            kinds: kinds(),
            cursors: CursorPool::new(),
        }
        .convert(value, 0),
        None => Node::new(Value::Null, Span::new(0, 0)),
    };
    file.document = Some(Document {
        root: node,
        span: Span::new(0, text.len()),
        index: 0,
    });
    file
}

/// Node kinds and fields of the JSON grammar by id, resolved once, so the
/// conversion compares numbers instead of names.
struct Kinds {
    object: u16,
    array: u16,
    pair: u16,
    string: u16,
    null: u16,
    comment: u16,
    key: Option<std::num::NonZeroU16>,
    value: Option<std::num::NonZeroU16>,
}

fn kinds() -> &'static Kinds {
    static KINDS: OnceLock<Kinds> = OnceLock::new();
    KINDS.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_json::LANGUAGE.into();
        let id = |name: &str| language.id_for_node_kind(name, true);
        Kinds {
            object: id("object"),
            array: id("array"),
            pair: id("pair"),
            string: id("string"),
            null: id("null"),
            comment: id("comment"),
            key: language.field_id_for_name("key"),
            value: language.field_id_for_name("value"),
        }
    })
}

/// Converts a tree-sitter JSON tree into the value tree.
struct Converter<'a> {
    text: &'a str,
    kinds: &'static Kinds,
    cursors: CursorPool<'a>,
}

impl<'a> Converter<'a> {
    fn convert(&mut self, node: TsNode<'a>, depth: usize) -> Node {
        let span: Span = node.byte_range().into();
        if depth > MAX_DEPTH {
            return Node::new(Value::Templated, span);
        }
        let text = self.text;
        let kinds = self.kinds;
        let raw = text.get(node.byte_range()).unwrap_or("");
        let kind = node.kind_id();
        if kind == kinds.object {
            let mut entries = Vec::with_capacity(node.named_child_count());
            let mut cursor = self.cursors.take(node);
            for pair in node.named_children(&mut cursor) {
                if pair.kind_id() != kinds.pair {
                    continue;
                }
                let field = |id: Option<std::num::NonZeroU16>| {
                    id.and_then(|id| pair.child_by_field_id(id.get()))
                };
                let (Some(key), Some(value)) = (field(kinds.key), field(kinds.value)) else {
                    continue;
                };
                let key_text = string_value(text.get(key.byte_range()).unwrap_or(""));
                entries.push(Entry {
                    key: key_text,
                    key_span: key.byte_range().into(),
                    value: self.convert(value, depth + 1),
                });
            }
            self.cursors.give_back(cursor);
            keep_last_duplicates(&mut entries);
            let map = Map {
                entries: entries.into_boxed_slice(),
                open: false,
            };
            Node::new(Value::Map(map), span)
        } else if kind == kinds.array {
            let mut cursor = self.cursors.take(node);
            let mut items = Vec::with_capacity(node.named_child_count());
            for child in node.named_children(&mut cursor) {
                if child.kind_id() != kinds.comment {
                    items.push(self.convert(child, depth + 1));
                }
            }
            self.cursors.give_back(cursor);
            Node::new(Value::Seq(items), span)
        } else if kind == kinds.string {
            Node::new(
                Value::Scalar(Scalar {
                    text: string_value(raw),
                    quoted: true,
                }),
                span,
            )
        } else if kind == kinds.null {
            Node::new(Value::Null, span)
        } else {
            Node::new(
                Value::Scalar(Scalar {
                    text: raw.into(),
                    quoted: false,
                }),
                span,
            )
        }
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
    fn grammar_has_every_kind_used() {
        // `id_for_node_kind` gives 0 for a name the grammar lacks.
        let kinds = kinds();
        let ids = [
            kinds.object,
            kinds.array,
            kinds.pair,
            kinds.string,
            kinds.null,
            kinds.comment,
        ];
        for (position, id) in ids.iter().enumerate() {
            assert_ne!(
                *id, 0,
                "kind at position {position} is missing from the grammar"
            );
        }
        assert!(kinds.key.is_some(), "field `key` is missing");
        assert!(kinds.value.is_some(), "field `value` is missing");
    }

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
