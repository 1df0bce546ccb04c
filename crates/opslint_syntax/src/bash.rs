//! Shell scripts through tree-sitter-bash: the simple commands of a script
//! with their words, and its variable assignments.

use opslint_core::Span;
use tree_sitter::Node as TsNode;

use crate::SyntaxError;
use crate::parsers::{self, Grammar};
use crate::yaml::{error_offset, first_error, missing_message, syntax_message};

/// A parsed shell script.
#[derive(Debug, Default)]
pub struct BashFile {
    /// Every simple command, in source order, including those inside
    /// functions, pipelines, conditions and command substitutions.
    pub commands: Vec<BashCommand>,
    /// `NAME=value` assignments, including `export` and `local` ones.
    pub assignments: Vec<Assignment>,
    /// Options on the `#!` line, such as `-e` in `#!/bin/bash -e`.
    pub shebang_options: Vec<String>,
    pub errors: Vec<SyntaxError>,
}

#[derive(Debug, Clone)]
pub struct BashCommand {
    /// Leading assignments and the command's words, with quotes removed.
    pub words: Vec<String>,
    /// The same words as written, quotes and `${...}` forms included.
    pub raw_words: Vec<String>,
    pub span: Span,
    /// Whether the command sits inside a function body.
    pub in_function: bool,
}

#[derive(Debug, Clone)]
pub struct Assignment {
    pub name: String,
    /// The value as written, or empty for `NAME=`.
    pub raw_value: String,
    pub span: Span,
}

/// Nesting depth past which commands are no longer collected, so a hostile
/// script cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

/// Parses a shell script. The first syntax error is reported, and commands
/// are still collected from the parts that parsed.
pub fn parse(text: &str) -> BashFile {
    let mut file = BashFile::default();
    if let Some(first) = text.lines().next()
        && let Some(interpreter) = first.strip_prefix("#!")
    {
        file.shebang_options = interpreter
            .split_whitespace()
            .skip(1)
            .filter(|word| word.starts_with('-'))
            .map(str::to_string)
            .collect();
    }
    let Some(tree) = parsers::parse(Grammar::Bash, text) else {
        return file;
    };
    let root = tree.root_node();
    if root.has_error() {
        let error = first_error(root).unwrap_or(root);
        let message = if error.is_missing() {
            missing_message("shell syntax", error, text)
        } else {
            syntax_message("shell", text.get(error_offset(error, text)..).unwrap_or(""))
        };
        let offset = error_offset(error, text);
        file.errors
            .push(SyntaxError::new(Span::new(offset, offset), message));
    }
    walk(root, text, false, 0, &mut file);
    file
}

fn walk(node: TsNode, text: &str, in_function: bool, depth: usize, file: &mut BashFile) {
    if depth > MAX_DEPTH {
        return;
    }
    let in_function = in_function || node.kind() == "function_definition";
    match node.kind() {
        "command" => {
            let mut words = Vec::new();
            let mut raw_words = Vec::new();
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                if child.kind().ends_with("redirect") {
                    continue;
                }
                let raw = &text[child.byte_range()];
                raw_words.push(raw.to_string());
                words.push(unquote(raw));
            }
            if !words.is_empty() {
                file.commands.push(BashCommand {
                    words,
                    raw_words,
                    span: Span::new(node.start_byte(), node.end_byte()),
                    in_function,
                });
            }
        }
        "variable_assignment" => {
            let name = node
                .child_by_field_name("name")
                .map(|n| text[n.byte_range()].to_string())
                .unwrap_or_default();
            let raw_value = node
                .child_by_field_name("value")
                .map(|n| text[n.byte_range()].to_string())
                .unwrap_or_default();
            file.assignments.push(Assignment {
                name,
                raw_value,
                span: Span::new(node.start_byte(), node.end_byte()),
            });
        }
        _ => {}
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        walk(child, text, in_function, depth + 1, file);
    }
}

/// Removes shell quoting from a word: quote characters outside the other
/// kind of quote, and backslashes before a character.
pub fn unquote(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut quote: Option<char> = None;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (c, quote) {
            ('\'' | '"', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('\\', None | Some('"')) => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_words() {
        let text = "#!/bin/bash -e\nset -u\nif true; then\n  helm upgrade \"api\" './chart' \\\n    --atomic\nfi\n";
        let file = parse(text);
        assert_eq!(file.shebang_options, ["-e"]);
        let words: Vec<&Vec<String>> = file.commands.iter().map(|c| &c.words).collect();
        assert!(words.contains(&&vec!["set".to_string(), "-u".to_string()]));
        let helm = file
            .commands
            .iter()
            .find(|c| c.words[0] == "helm")
            .expect("helm command");
        assert_eq!(
            helm.words,
            ["helm", "upgrade", "api", "./chart", "--atomic"]
        );
        assert_eq!(helm.raw_words[2], "\"api\"");
        assert!(text[helm.span.start..helm.span.end].starts_with("helm upgrade"));
    }

    #[test]
    fn assignments_and_functions() {
        let text = "export DIR=\"$(mktemp -d)\"\ncleanup() {\n  rm -rf \"${DIR:?}/out\"\n}\n";
        let file = parse(text);
        assert_eq!(file.assignments[0].name, "DIR");
        assert_eq!(file.assignments[0].raw_value, "\"$(mktemp -d)\"");
        let rm = file
            .commands
            .iter()
            .find(|c| c.words[0] == "rm")
            .expect("rm command");
        assert!(rm.in_function);
        assert_eq!(rm.raw_words[2], "\"${DIR:?}/out\"");
    }

    #[test]
    fn unquote_forms() {
        assert_eq!(unquote("\"a b\""), "a b");
        assert_eq!(unquote("'$x'"), "$x");
        assert_eq!(unquote("--set=\"a\"'b'"), "--set=ab");
        assert_eq!(unquote("a\\ b"), "a b");
    }
}
