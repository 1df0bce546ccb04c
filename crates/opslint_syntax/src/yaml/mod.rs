//! YAML through tree-sitter-yaml into the value tree: multi-document streams,
//! anchors, aliases and `<<` merge keys, tags kept on nodes, and Helm template
//! text masked before parsing.

use std::collections::HashMap;
use std::sync::OnceLock;

use opslint_core::Span;
use tree_sitter::Node as TsNode;

use crate::SyntaxError;
use crate::helm::{self, HelmMask};
use crate::parsers::{self, Children, CursorPool, Grammar, READ_BY_INDEX};
use crate::value::{CompactString, Document, Entry, Map, Node, Scalar, Value};

/// tree-sitter-yaml keeps rows in a 16-bit counter, so content past line
/// 32,768 of one parse turns the whole parse into an error.
const MAX_LINES_PER_PARSE: usize = 32_768;

/// tree-sitter-yaml's scanner stores one entry per open indentation level
/// and aborts the process (a failed C assertion) when they no longer fit its
/// 1,024-byte state buffer, between 250 and 300 levels as measured with
/// version 0.7.2. Documents deeper than this are reported, not parsed.
const MAX_INDENT_LEVELS: usize = 200;

/// Upper bound on the nodes that alias expansion may copy in one file. A
/// "billion laughs" document reaches it within a few levels and gets an error
/// instead of exhausting memory.
const MAX_ALIAS_NODES: usize = 200_000;

/// Nesting depth past which values are treated as unknown, so that hostile
/// input cannot exhaust the stack of the recursive conversion.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Default)]
pub struct YamlFile {
    pub documents: Vec<Document>,
    pub errors: Vec<SyntaxError>,
}

/// Parses a YAML stream. With `helm` set, `{{ ... }}` template text is masked
/// first and the values it produced are [`Value::Templated`].
pub fn parse(text: &str, helm: bool) -> YamlFile {
    let mask = if helm { Some(helm::mask(text)) } else { None };
    let source = mask.as_ref().map_or(text, |mask| mask.text.as_str());

    let mut file = YamlFile::default();
    let mut document_index = 0;
    for (base, part) in split_documents(source) {
        if !has_content(part) {
            continue;
        }
        let index = document_index;
        document_index += 1;
        let (line_count, levels) = lines_and_levels(part);
        if line_count > MAX_LINES_PER_PARSE {
            file.errors.push(SyntaxError::new(
                Span::new(base, base),
                format!(
                    "YAML document has {line_count} lines, more than the {MAX_LINES_PER_PARSE} \
                     the parser supports; it is not analysed"
                ),
            ));
            continue;
        }
        if levels > MAX_INDENT_LEVELS {
            file.errors.push(SyntaxError::new(
                Span::new(base, base),
                format!(
                    "YAML document nests {levels} indentation levels, more than the \
                     {MAX_INDENT_LEVELS} the parser supports; it is not analysed"
                ),
            ));
            continue;
        }
        let Some(tree) = parsers::parse(Grammar::Yaml, part) else {
            file.errors.push(SyntaxError::new(
                Span::new(base, base),
                "YAML parsing was cancelled",
            ));
            return file;
        };
        let mut converter = Converter {
            kinds: kinds(),
            cursors: CursorPool::new(),
            child_lists: Vec::new(),
            text: part,
            base,
            anchors: HashMap::new(),
            alias_budget: MAX_ALIAS_NODES,
            alias_limit_reported: false,
            depth: 0,
            depth_limit_reported: false,
            errors: Vec::new(),
            mask: mask.as_ref(),
        };
        let root = tree.root_node();
        if root.has_error() || root.kind() != "stream" {
            let error = first_error(root).unwrap_or(root);
            file.errors.push(converter.syntax_error(error));
            continue;
        }
        let mut cursor = root.walk();
        let document = root
            .named_children(&mut cursor)
            .find(|child| child.kind() == "document");
        if let Some(document) = document {
            let root_node = converter.document(document);
            file.documents.push(Document {
                root: root_node,
                span: Span::new(base, base + part.len()),
                index,
            });
        }
        file.errors.append(&mut converter.errors);
    }
    if let Some(mask) = &mask {
        for document in &mut file.documents {
            helm::apply(mask, &mut document.root);
        }
    }
    file
}

/// Splits a stream before each `---` document marker and returns each part
/// with its byte offset. Every document is parsed on its own: tree-sitter-yaml
/// turns a whole parse into one error node at the first syntax error, and
/// counts rows in 16 bits, so one parse per document keeps a broken or very
/// long document from hiding the others.
fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut parts = Vec::new();
    let mut part_start = 0;
    // Only a line that starts with `---` can be a marker, so the lines are
    // found by searching for a newline followed by `---`, not one by one.
    // A marker on the first line starts no new part.
    for newline in memchr::memmem::find_iter(text.as_bytes(), b"\n---") {
        let line_start = newline + 1;
        let is_marker = text[line_start + 3..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace);
        if is_marker {
            parts.push((part_start, &text[part_start..line_start]));
            part_start = line_start;
        }
    }
    parts.push((part_start, &text[part_start..]));
    parts
}

/// Counts the lines of `part` and finds an upper bound on the indentation
/// levels tree-sitter-yaml's scanner opens in it: the stack of line
/// indentations, plus every block indicator (`- `, `? `, `: `) outside
/// quotes and flow collections on the line, since compact forms such as
/// `- - x` or `? : ? :` open a level per indicator. Overestimating is safe;
/// it only means a refusal.
fn lines_and_levels(part: &str) -> (usize, usize) {
    // Every level is an indentation shorter than its line or an indicator
    // byte on a line, so twice the longest line bounds the levels. That
    // bound settles almost every document without reading its lines.
    let bytes = part.as_bytes();
    let mut lines = 0;
    let mut longest = 0;
    let mut line_start = 0;
    for newline in memchr::memchr_iter(b'\n', bytes) {
        lines += 1;
        longest = longest.max(newline - line_start);
        line_start = newline + 1;
    }
    if line_start < bytes.len() {
        lines += 1;
        longest = longest.max(bytes.len() - line_start);
    }
    if longest.saturating_mul(2) <= MAX_INDENT_LEVELS {
        return (lines, longest * 2);
    }
    let mut stack: Vec<usize> = Vec::new();
    let mut deepest = 0;
    let mut lines = 0;
    for line in part.lines() {
        lines += 1;
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        while stack.last().is_some_and(|&top| top > indent) {
            stack.pop();
        }
        if stack.last() != Some(&indent) {
            stack.push(indent);
        }
        // Every indicator is one of these bytes, so their count bounds the
        // indicators from above. The exact count, which reads quotes and
        // flow collections, is needed only when the bound is over the limit.
        let bound = content
            .bytes()
            .filter(|byte| matches!(byte, b'-' | b'?' | b':'))
            .count();
        let indicators = if stack.len() + bound <= MAX_INDENT_LEVELS {
            bound
        } else {
            block_indicators(content)
        };
        deepest = deepest.max(stack.len() + indicators);
    }
    (lines, deepest)
}

/// Counts `- `, `? ` and `: ` indicators (also at the end of the line)
/// outside quoted scalars and flow collections, up to a comment.
fn block_indicators(line: &str) -> usize {
    let bytes = line.as_bytes();
    let mut count = 0;
    let mut flow_depth = 0usize;
    let mut quote: Option<u8> = None;
    for (index, &byte) in bytes.iter().enumerate() {
        if let Some(open) = quote {
            if byte == open {
                quote = None;
            }
            continue;
        }
        let followed_by_space = bytes
            .get(index + 1)
            .is_none_or(|next| *next == b' ' || *next == b'\t');
        match byte {
            b'"' | b'\'' => quote = Some(byte),
            b'[' | b'{' => flow_depth += 1,
            b']' | b'}' => flow_depth = flow_depth.saturating_sub(1),
            b'#' if index == 0 || bytes[index - 1] == b' ' => break,
            b'-' | b'?' | b':' if flow_depth == 0 && followed_by_space => count += 1,
            _ => {}
        }
    }
    count
}

/// Returns whether a part contains anything but blank lines, comments and markers.
fn has_content(part: &str) -> bool {
    part.lines().any(|line| {
        let trimmed = line.trim();
        !trimmed.is_empty() && !trimmed.starts_with('#') && trimmed != "---" && trimmed != "..."
    })
}

/// Finds the first error or missing node in document order. A large error
/// node is not specific, so the walk descends into it to its first erroneous child.
/// The walk uses a cursor rather than recursion, so deeply nested input
/// cannot exhaust the stack.
pub(crate) fn first_error(node: TsNode<'_>) -> Option<TsNode<'_>> {
    if !node.has_error() {
        return None;
    }
    let mut cursor = node.walk();
    let mut found: Option<TsNode<'_>> = None;
    loop {
        let current = cursor.node();
        if current.is_error() || current.is_missing() {
            found = Some(current);
        }
        // Descend only into subtrees that contain an error.
        if current.has_error() && cursor.goto_first_child() {
            continue;
        }
        if found.is_some() {
            return found;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return found;
            }
        }
    }
}

/// Builds the message for a missing token, such as ``invalid HCL: missing
/// `}` ``. For a closing bracket it names the line of the bracket it would close, since
/// the parser notices the gap only where the file or the enclosing block
/// ends, often many lines later.
pub(crate) fn missing_message(language: &str, missing: TsNode<'_>, text: &str) -> String {
    let token = missing.kind();
    let mut message = format!("invalid {language}: missing `{token}`");
    let opening = match token {
        "}" => '{',
        "]" => '[',
        ")" => '(',
        _ => return message,
    };

    // The nearest enclosing node that starts before the gap contains the
    // opening bracket. Grammars wrap the missing token in an empty node of
    // its own, such as HCL's `block_end`.
    let end = missing.start_byte().min(text.len());
    let mut enclosing = missing.parent();
    let mut opened = None;
    while let Some(node) = enclosing {
        let start = node.start_byte();
        if start < end {
            opened = text
                .get(start..end)
                .and_then(|part| part.find(opening))
                .map(|at| start + at);
            break;
        }
        enclosing = node.parent();
    }

    if let Some(at) = opened {
        let line = text.as_bytes()[..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        message.push_str(&format!(" to close the `{opening}` on line {line}"));
    }
    message
}

/// A message for a syntax error at the start of `rest`: the rest of the line
/// is quoted unless it is empty or a comment.
pub(crate) fn syntax_message(language: &str, rest: &str) -> String {
    let line = rest.lines().next().unwrap_or("").trim();
    let snippet: String = line.chars().take(40).collect();
    if snippet.is_empty() || snippet.starts_with('#') || snippet.starts_with("//") {
        format!("invalid {language} syntax: the line ends where a value or token is expected")
    } else {
        format!("invalid {language} syntax near `{snippet}`")
    }
}

/// The byte where parsing failed inside `error`. An error node holds the
/// fragments that did parse, so the failure is at the first text after its
/// last fragment; whitespace is skipped.
pub(crate) fn error_offset(error: TsNode<'_>, text: &str) -> usize {
    let offset = raw_error_offset(error, text);
    // An error at the very end is shown on the last line with text, not on
    // the empty line after the final newline.
    if offset >= text.trim_end().len() {
        text.trim_end().len()
    } else {
        offset
    }
}

fn raw_error_offset(error: TsNode<'_>, text: &str) -> usize {
    if error.is_missing() || error.child_count() == 0 {
        return error.start_byte();
    }
    let mut cursor = error.walk();
    let last_end = error
        .children(&mut cursor)
        .last()
        .map_or(error.start_byte(), |child| child.end_byte());
    let rest = text
        .get(last_end..error.end_byte().max(last_end))
        .unwrap_or("");
    let skipped = rest.len() - rest.trim_start().len();
    if skipped < rest.len() {
        last_end + skipped
    } else {
        // Every fragment parsed, so the text after the node is what failed.
        let after = text.get(last_end..).unwrap_or("");
        last_end + (after.len() - after.trim_start().len())
    }
}

/// Node kinds and fields of the YAML grammar by id, so the conversion
/// compares numbers instead of looking up and comparing names for every node.
struct Kinds {
    block_node: u16,
    flow_node: u16,
    tag: u16,
    anchor: u16,
    comment: u16,
    block_mapping: u16,
    flow_mapping: u16,
    block_sequence: u16,
    flow_sequence: u16,
    block_sequence_item: u16,
    block_mapping_pair: u16,
    flow_pair: u16,
    alias: u16,
    plain_scalar: u16,
    double_quote_scalar: u16,
    single_quote_scalar: u16,
    block_scalar: u16,
    key: Option<std::num::NonZeroU16>,
    value: Option<std::num::NonZeroU16>,
}

fn kinds() -> &'static Kinds {
    static KINDS: OnceLock<Kinds> = OnceLock::new();
    KINDS.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_yaml::LANGUAGE.into();
        let id = |name: &str| language.id_for_node_kind(name, true);
        Kinds {
            block_node: id("block_node"),
            flow_node: id("flow_node"),
            tag: id("tag"),
            anchor: id("anchor"),
            comment: id("comment"),
            block_mapping: id("block_mapping"),
            flow_mapping: id("flow_mapping"),
            block_sequence: id("block_sequence"),
            flow_sequence: id("flow_sequence"),
            block_sequence_item: id("block_sequence_item"),
            block_mapping_pair: id("block_mapping_pair"),
            flow_pair: id("flow_pair"),
            alias: id("alias"),
            plain_scalar: id("plain_scalar"),
            double_quote_scalar: id("double_quote_scalar"),
            single_quote_scalar: id("single_quote_scalar"),
            block_scalar: id("block_scalar"),
            key: language.field_id_for_name("key"),
            value: language.field_id_for_name("value"),
        }
    })
}

struct Converter<'a> {
    kinds: &'static Kinds,
    cursors: CursorPool<'a>,
    /// Lists for [`Converter::named_children`], returned after use.
    child_lists: Vec<Vec<TsNode<'a>>>,
    text: &'a str,
    base: usize,
    anchors: HashMap<String, (Node, usize)>,
    alias_budget: usize,
    alias_limit_reported: bool,
    depth: usize,
    depth_limit_reported: bool,
    errors: Vec<SyntaxError>,
    mask: Option<&'a HelmMask>,
}

impl<'a> Converter<'a> {
    fn span(&self, node: TsNode<'_>) -> Span {
        Span::new(self.base + node.start_byte(), self.base + node.end_byte())
    }

    fn node_text(&self, node: TsNode<'_>) -> &str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// Lists the named children of `node`, comments included: by index for
    /// a node with a few children, as [`Children`] reads them, and with a
    /// pooled cursor otherwise. Give the list back with
    /// [`Converter::recycle`].
    fn named_children(&mut self, node: TsNode<'a>) -> Vec<TsNode<'a>> {
        let mut children = self.child_lists.pop().unwrap_or_default();
        if node.child_count() <= READ_BY_INDEX {
            children.extend(Children::named(node));
        } else {
            let mut cursor = self.cursors.take(node);
            children.extend(node.named_children(&mut cursor));
            self.cursors.give_back(cursor);
        }
        children
    }

    fn recycle(&mut self, mut children: Vec<TsNode<'a>>) {
        children.clear();
        self.child_lists.push(children);
    }

    fn syntax_error(&self, node: TsNode<'_>) -> SyntaxError {
        let offset = error_offset(node, self.text);
        let span = Span::new(self.base + offset, self.base + offset);
        let message = if node.is_missing() {
            format!("invalid YAML: missing `{}`", node.kind())
        } else if let Some(tab) = self.indentation_tab(offset) {
            return SyntaxError::new(
                Span::new(self.base + tab, self.base + tab + 1),
                "invalid YAML: tab characters are not allowed in indentation",
            );
        } else {
            let snippet: String = self.text[offset.min(self.text.len())..]
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .chars()
                .take(40)
                .collect();
            if snippet.is_empty() {
                "invalid YAML: unexpected end of document".to_string()
            } else {
                format!("invalid YAML syntax near `{snippet}`")
            }
        };
        SyntaxError::new(span, message)
    }

    /// Returns the offset of a tab in the indentation of the line containing
    /// `offset`.
    fn indentation_tab(&self, offset: usize) -> Option<usize> {
        let offset = offset.min(self.text.len());
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        self.text[line_start..]
            .char_indices()
            .take_while(|(_, c)| c.is_whitespace() && *c != '\n')
            .find(|(_, c)| *c == '\t')
            .map(|(i, _)| line_start + i)
    }

    fn document(&mut self, document: TsNode<'a>) -> Node {
        let kinds = self.kinds;
        let children = self.named_children(document);
        let content = children
            .iter()
            .copied()
            .find(|child| [kinds.block_node, kinds.flow_node].contains(&child.kind_id()));
        self.recycle(children);
        match content {
            Some(node) => self.node(node),
            None => Node::new(Value::Null, self.span(document)),
        }
    }

    /// Converts a `block_node`, `flow_node` or any content node.
    fn node(&mut self, node: TsNode<'a>) -> Node {
        let kind = node.kind_id();
        if kind == self.kinds.block_node || kind == self.kinds.flow_node {
            self.wrapped(node)
        } else {
            self.content(node, None)
        }
    }

    fn plain_scalar(&self, node: TsNode<'a>) -> Node {
        let span = self.span(node);
        let text = self.node_text(node).trim();
        if matches!(text, "null" | "Null" | "NULL" | "~") {
            Node::new(Value::Null, span)
        } else {
            Node::new(
                Value::Scalar(Scalar {
                    text: text.into(),
                    quoted: false,
                }),
                span,
            )
        }
    }

    /// A node that may carry a tag and an anchor before its content.
    fn wrapped(&mut self, node: TsNode<'a>) -> Node {
        // Most flow nodes hold one plain scalar, such as a key or a value
        // of a manifest, with the same text. Their first character
        // distinguishes them from the other contents (alias `*`, tag `!`,
        // anchor `&`, flow collections, quoted scalars), so their children
        // are not visited.
        if node.kind_id() == self.kinds.flow_node
            && self.depth < MAX_DEPTH
            && self
                .node_text(node)
                .bytes()
                .next()
                .is_some_and(|first| !b"*!&[{\"'".contains(&first))
        {
            return self.plain_scalar(node);
        }
        let mut tag = None;
        let mut anchor = None;
        let mut content = None;
        let kinds = self.kinds;
        let children = self.named_children(node);
        for &child in &children {
            let kind = child.kind_id();
            if kind == kinds.tag {
                tag = Some(Box::new(CompactString::from(self.node_text(child))));
            } else if kind == kinds.anchor {
                anchor = Some(self.node_text(child).trim_start_matches('&').to_string());
            } else if kind != kinds.comment {
                content = Some(child);
            }
        }
        self.recycle(children);
        let mut converted = match content {
            Some(content) => self.content(content, Some(node)),
            None => Node::new(Value::Null, self.span(node)),
        };
        if tag.is_some() {
            converted.tag = tag;
        }
        if let Some(name) = anchor {
            let size = node_count(&converted);
            self.anchors.insert(name, (converted.clone(), size));
        }
        converted
    }

    fn content(&mut self, node: TsNode<'a>, wrapper: Option<TsNode<'a>>) -> Node {
        if self.depth >= MAX_DEPTH {
            if !self.depth_limit_reported {
                self.depth_limit_reported = true;
                self.errors.push(SyntaxError::new(
                    self.span(node),
                    format!(
                        "YAML nesting is deeper than {MAX_DEPTH} levels; \
                         deeper values are treated as unknown"
                    ),
                ));
            }
            return Node::new(Value::Templated, self.span(node));
        }
        self.depth += 1;
        let converted = self.content_within_limit(node, wrapper);
        self.depth -= 1;
        converted
    }

    fn content_within_limit(&mut self, node: TsNode<'a>, wrapper: Option<TsNode<'a>>) -> Node {
        let span = self.span(node);
        let kinds = self.kinds;
        let kind = node.kind_id();
        match kind {
            _ if kind == kinds.block_mapping || kind == kinds.flow_mapping => self.mapping(node),
            _ if kind == kinds.block_sequence || kind == kinds.flow_sequence => {
                // Sized up front: value trees stay in memory for the whole
                // run, and growing by doubling left about a third unused.
                let children = self.named_children(node);
                let mut items = Vec::with_capacity(children.len());
                for &child in &children {
                    let child_kind = child.kind_id();
                    if child_kind == kinds.block_sequence_item {
                        let item_children = self.named_children(child);
                        let value = item_children
                            .iter()
                            .copied()
                            .find(|c| c.kind_id() != kinds.comment);
                        self.recycle(item_children);
                        items.push(match value {
                            Some(value) => self.node(value),
                            None => Node::new(Value::Null, self.span(child)),
                        });
                    } else if child_kind == kinds.flow_pair {
                        let mut map = MapBuilder::with_capacity(1);
                        self.pair(child, &mut map);
                        items.push(Node::new(Value::Map(map.finish()), self.span(child)));
                    } else if child_kind != kinds.comment {
                        items.push(self.node(child));
                    }
                }
                self.recycle(children);
                Node::new(Value::Seq(items), span)
            }
            _ if kind == kinds.alias => self.alias(node),
            _ if kind == kinds.plain_scalar => self.plain_scalar(node),
            _ if kind == kinds.double_quote_scalar => Node::new(
                Value::Scalar(Scalar {
                    text: unescape_double(self.node_text(node)),
                    quoted: true,
                }),
                span,
            ),
            _ if kind == kinds.single_quote_scalar => {
                let raw = self.node_text(node);
                let inner = raw
                    .strip_prefix('\'')
                    .and_then(|r| r.strip_suffix('\''))
                    .unwrap_or(raw);
                let text = if inner.contains("''") {
                    fold_flow_lines(&inner.replace("''", "'"))
                } else {
                    fold_flow_lines(inner)
                };
                Node::new(Value::Scalar(Scalar { text, quoted: true }), span)
            }
            _ if kind == kinds.block_scalar => Node::new(
                Value::Scalar(Scalar {
                    text: block_scalar_text(self.node_text(node)).into(),
                    quoted: true,
                }),
                span,
            ),
            _ if kind == kinds.block_node || kind == kinds.flow_node => self.wrapped(node),
            _ => {
                let _ = wrapper;
                Node::new(
                    Value::Scalar(Scalar {
                        text: self.node_text(node).into(),
                        quoted: false,
                    }),
                    span,
                )
            }
        }
    }

    fn alias(&mut self, node: TsNode<'a>) -> Node {
        let span = self.span(node);
        let name = self.node_text(node).trim_start_matches('*').to_string();
        match self.anchors.get(&name) {
            Some((target, size)) if *size <= self.alias_budget => {
                self.alias_budget -= size;
                target.clone()
            }
            Some(_) => {
                if !self.alias_limit_reported {
                    self.alias_limit_reported = true;
                    self.errors.push(SyntaxError::new(
                        span,
                        format!(
                            "YAML alias expansion exceeds {MAX_ALIAS_NODES} nodes; \
                             the expanded values are treated as unknown"
                        ),
                    ));
                }
                Node::new(Value::Templated, span)
            }
            None => {
                self.errors.push(SyntaxError::new(
                    span,
                    format!("invalid YAML: alias `*{name}` refers to no anchor defined before it"),
                ));
                Node::new(Value::Null, span)
            }
        }
    }

    fn mapping(&mut self, node: TsNode<'a>) -> Node {
        let children = self.named_children(node);
        let mut map = MapBuilder::with_capacity(children.len());
        let mut merges = Vec::new();
        let kinds = self.kinds;
        for &child in &children {
            let kind = child.kind_id();
            if kind == kinds.block_mapping_pair || kind == kinds.flow_pair {
                if let Some(merge) = self.pair(child, &mut map) {
                    merges.push(merge);
                }
            } else if kind == kinds.flow_node {
                // A flow mapping entry without a value: `{a, b}`.
                let key = self.node(child);
                let key_span = key.span;
                let key_text = key_text(key, self.node_text(child));
                map.push(Entry {
                    key: key_text,
                    key_span,
                    value: Node::new(Value::Null, key_span),
                });
            }
        }
        self.recycle(children);
        for merge in merges {
            let sources: Vec<Node> = match merge.value {
                Value::Seq(items) => items,
                _ => vec![merge],
            };
            for source in sources {
                if let Value::Map(source) = source.value {
                    for entry in source.entries.into_vec() {
                        if map.position(&entry.key).is_none() {
                            map.push(entry);
                        }
                    }
                }
            }
        }
        let mut map = map.finish();
        if let Some(mask) = self.mask {
            map.open = mask.opens_mapping(self.base + node.start_byte(), self.column(node));
        }
        Node::new(Value::Map(map), self.span(node))
    }

    fn column(&self, node: TsNode<'_>) -> usize {
        node.start_position().column
    }

    /// Adds one pair to `map`; returns the value of a `<<` merge key instead.
    fn pair(&mut self, pair: TsNode<'a>, map: &mut MapBuilder) -> Option<Node> {
        let field =
            |id: Option<std::num::NonZeroU16>| id.and_then(|id| pair.child_by_field_id(id.get()));
        let key_node = field(self.kinds.key);
        let value_node = field(self.kinds.value);
        let key = key_node.map(|k| self.node(k));
        let key_span = key_node.map_or(self.span(pair), |k| self.span(k));
        let key_untagged = key.as_ref().is_some_and(|k| k.tag.is_none());
        let key_string = match (key, key_node) {
            (Some(key), Some(raw)) => key_text(key, self.node_text(raw)),
            _ => CompactString::default(),
        };
        let value = match value_node {
            Some(value) => self.node(value),
            None => Node::new(Value::Null, Span::new(key_span.end, key_span.end)),
        };
        if key_string == "<<" && key_untagged {
            return Some(value);
        }
        if let Some(position) = map.position(&key_string) {
            // The unknown value spans every alternative, from the first
            // value to the last, so its source text is not mistaken for one
            // of them.
            let first = &map.entries[position];
            let alternatives = Span::new(first.value.span.start, value.span.end);
            // In a Helm template the same key usually appears in the
            // branches of `{{ if }} ... {{ else }}`; which one renders
            // depends on values. Elsewhere YAML loaders disagree on
            // duplicates: some keep the last value and kubectl rejects the
            // file. Either way the value is kept as unknown so that no rule
            // reports a finding built on one of them.
            if self.mask.is_none() {
                self.errors.push(SyntaxError::new(
                    key_span,
                    format!(
                        "invalid YAML: duplicate key `{key_string}`; tools disagree on which \
                         value applies, so its value is not checked"
                    ),
                ));
            }
            map.entries[position] = Entry {
                key: key_string,
                key_span,
                value: Node::new(Value::Templated, alternatives),
            };
            return None;
        }
        map.push(Entry {
            key: key_string,
            key_span,
            value,
        });
        None
    }
}

/// A mapping being built. Past a few entries it keeps an index of its keys,
/// so duplicate and merge checks stay constant-time on a mapping with
/// hundreds of thousands of keys, which a linear search per key would turn
/// into a hang.
struct MapBuilder {
    entries: Vec<Entry>,
    index: Option<HashMap<CompactString, usize>>,
}

impl MapBuilder {
    /// Below this many entries a linear search is cheap, so no index is built.
    const INDEX_FROM: usize = 16;

    fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Vec::with_capacity(capacity),
            index: None,
        }
    }

    /// Returns the position of the entry with `key`, if there is one.
    fn position(&mut self, key: &str) -> Option<usize> {
        if self.index.is_none() && self.entries.len() >= Self::INDEX_FROM {
            let index = self
                .entries
                .iter()
                .enumerate()
                .map(|(position, entry)| (entry.key.clone(), position))
                .collect();
            self.index = Some(index);
        }
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|entry| entry.key == key),
        }
    }

    fn push(&mut self, entry: Entry) {
        if let Some(index) = &mut self.index {
            index.insert(entry.key.clone(), self.entries.len());
        }
        self.entries.push(entry);
    }

    fn finish(self) -> Map {
        Map {
            entries: self.entries.into_boxed_slice(),
            open: false,
        }
    }
}

fn key_text(key: Node, raw: &str) -> CompactString {
    match key.value {
        Value::Scalar(scalar) => scalar.text,
        Value::Null => CompactString::default(),
        _ => raw.trim().into(),
    }
}

fn node_count(node: &Node) -> usize {
    match &node.value {
        Value::Map(map) => {
            1 + map
                .entries
                .iter()
                .map(|e| node_count(&e.value))
                .sum::<usize>()
        }
        Value::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        _ => 1,
    }
}

/// Folds a multi-line flow scalar: line breaks and the indentation around
/// them become one space, as YAML does for plain and quoted scalars.
fn fold_flow_lines(text: &str) -> CompactString {
    if !text.contains('\n') {
        return text.into();
    }
    text.split('\n')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .into()
}

fn unescape_double(raw: &str) -> CompactString {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let inner = fold_flow_lines(inner);
    if !inner.contains('\\') {
        return inner;
    }
    let mut out = CompactString::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('"') => out.push('"'),
            Some('/') => out.push('/'),
            Some('\\') => out.push('\\'),
            Some(' ') => out.push(' '),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Returns the content of a `|` or `>` block scalar without its indentation.
fn block_scalar_text(raw: &str) -> String {
    let mut lines = raw.lines();
    let header = lines.next().unwrap_or("");
    let folded = header.trim_start().starts_with('>');
    let body: Vec<&str> = lines.collect();
    let indent = body
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let stripped: Vec<&str> = body
        .iter()
        .map(|line| line.get(indent..).unwrap_or("").trim_end_matches('\r'))
        .collect();
    let mut text = if folded {
        stripped.join(" ")
    } else {
        stripped.join("\n")
    };
    text.push('\n');
    text
}

#[cfg(test)]
mod tests;
