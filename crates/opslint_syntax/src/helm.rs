//! Masking of Helm template text so that tree-sitter-yaml can parse a chart
//! template. Every byte offset is kept: a line that holds only template
//! actions becomes a comment of the same length, and an action inside a line
//! becomes the same number of `x` characters, whose values are then marked as
//! templated.

use opslint_core::Span;

use crate::value::{Node, Value};

#[derive(Debug)]
pub struct HelmMask {
    /// The masked text, byte for byte as long as the original.
    pub text: String,
    /// Inline actions, whose values cannot be known without rendering.
    templated: Vec<Span>,
    /// Action-only lines that write YAML of their own (`include`, `toYaml`,
    /// `tpl` and plain output), with the indentation that output lands at.
    producing: Vec<(usize, usize)>,
    lines: Vec<LineInfo>,
}

#[derive(Debug, Clone, Copy)]
struct LineInfo {
    start: usize,
    indent: usize,
    /// The line holds YAML after masking (not blank, not only a comment).
    content: bool,
}

/// Masks every `{{ ... }}` action of `text`.
pub fn mask(text: &str) -> HelmMask {
    let mut bytes = text.as_bytes().to_vec();
    let mut templated = Vec::new();
    let mut producing_lines = Vec::new();

    let actions = find_actions(text);
    let mut line_start = 0;
    let mut action_index = 0;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        // Actions that start on this line; one may run past its end.
        let mut line_actions = Vec::new();
        while action_index < actions.len() && actions[action_index].start < line_end {
            if actions[action_index].start >= line_start {
                line_actions.push(actions[action_index]);
            }
            action_index += 1;
        }
        let mut covered_end = line_end;
        let action_only = !line_actions.is_empty() && {
            let mut position = line_start;
            let mut only = true;
            for action in &line_actions {
                if !text[position..action.start].trim().is_empty() {
                    only = false;
                }
                position = action.end.max(position);
            }
            covered_end = covered_end.max(position);
            let rest_end = text[position.min(text.len())..]
                .find('\n')
                .map_or(text.len(), |i| position + i);
            only && text[position.min(text.len())..rest_end].trim().is_empty()
        };
        if action_only {
            let indent =
                text[line_start..line_end].len() - text[line_start..line_end].trim_start().len();
            let first = line_actions[0];
            let body = &text[first.start..first.end];
            if is_producing(body) {
                producing_lines.push((line_start, output_indent(body).unwrap_or(indent)));
            }
            let end = covered_end.min(text.len());
            let mut at_line_start = true;
            for byte in &mut bytes[line_start + indent..end] {
                if *byte == b'\n' {
                    at_line_start = true;
                } else if at_line_start {
                    *byte = b'#';
                    at_line_start = false;
                } else {
                    *byte = b' ';
                }
            }
            // Skip any lines the action-only region spanned.
            line_start = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
            while action_index < actions.len() && actions[action_index].start < line_start {
                action_index += 1;
            }
            continue;
        }
        for action in line_actions {
            templated.push(action);
            for byte in &mut bytes[action.start..action.end] {
                if *byte != b'\n' {
                    *byte = b'x';
                }
            }
        }
        line_start = line_end + 1;
    }

    // Masking only writes ASCII over whole actions, and actions start and end
    // at ASCII braces, so the bytes stay valid UTF-8; fall back to a lossy
    // conversion rather than panic if that reasoning is ever wrong.
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
    let lines = line_infos(&text);
    HelmMask {
        text,
        templated,
        producing: producing_lines,
        lines,
    }
}

/// Finds `{{ ... }}` actions; an unterminated action runs to the end of the text.
fn find_actions(text: &str) -> Vec<Span> {
    let mut actions = Vec::new();
    let mut position = 0;
    while let Some(open) = text[position..].find("{{") {
        let start = position + open;
        let end = text[start + 2..]
            .find("}}")
            .map_or(text.len(), |i| start + 2 + i + 2);
        actions.push(Span::new(start, end));
        position = end;
    }
    actions
}

/// Whether an action-only line writes YAML rather than only controlling
/// which lines are rendered.
fn is_producing(action: &str) -> bool {
    let inner = action
        .trim_start_matches("{{")
        .trim_start_matches('-')
        .trim_start();
    const CONTROL: [&str; 9] = [
        "if ", "else", "end", "range ", "with ", "define ", "block ", "/*", "break",
    ];
    if CONTROL.iter().any(|keyword| inner.starts_with(keyword)) || inner.starts_with("continue") {
        return false;
    }
    // `$name := value` only assigns a template variable.
    let is_assignment = inner.starts_with('$') && inner.contains(":=");
    !is_assignment
}

/// The indentation given by `nindent N` or `indent N`, where the output lands.
fn output_indent(action: &str) -> Option<usize> {
    let words: Vec<&str> = action.split_whitespace().collect();
    words
        .windows(2)
        .find(|pair| pair[0] == "nindent" || pair[0] == "indent")
        .and_then(|pair| {
            pair[1]
                .trim_end_matches("}}")
                .trim_end_matches('-')
                .parse()
                .ok()
        })
}

fn line_infos(text: &str) -> Vec<LineInfo> {
    let mut lines = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let body = trimmed.trim_end();
        lines.push(LineInfo {
            start,
            indent,
            content: !body.is_empty() && !body.starts_with('#'),
        });
        start += line.len();
    }
    lines
}

impl HelmMask {
    /// Whether template output may add keys to the block mapping that starts
    /// at byte `start` with its keys at `column`: an output-producing line
    /// sits inside the mapping's lines at exactly the mapping's indentation.
    pub fn opens_mapping(&self, start: usize, column: usize) -> bool {
        if self.producing.is_empty() {
            return false;
        }
        let first_line = match self.lines.binary_search_by(|line| line.start.cmp(&start)) {
            Ok(index) => index,
            Err(index) => index.saturating_sub(1),
        };
        let last_line = self.lines[first_line + 1..]
            .iter()
            .position(|line| line.content && line.indent < column)
            .map_or(self.lines.len(), |i| first_line + 1 + i);
        let region_start = self.lines[first_line].start;
        let region_end = self
            .lines
            .get(last_line)
            .map_or(usize::MAX, |line| line.start);
        self.producing.iter().any(|&(offset, indent)| {
            offset > region_start && offset < region_end && indent == column
        })
    }

    fn is_templated(&self, span: Span) -> bool {
        self.templated
            .iter()
            .any(|action| action.start < span.end && span.start < action.end)
    }
}

/// Marks every scalar that contains masked template text as templated.
pub fn apply(mask: &HelmMask, node: &mut Node) {
    match &mut node.value {
        Value::Map(map) => {
            for entry in &mut map.entries {
                apply(mask, &mut entry.value);
            }
        }
        Value::Seq(items) => {
            for item in items {
                apply(mask, item);
            }
        }
        Value::Scalar(_) => {
            if mask.is_templated(node.span) {
                node.value = Value::Templated;
            }
        }
        Value::Null | Value::Templated => {}
    }
}
