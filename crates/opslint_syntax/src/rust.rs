//! The Rust front end: tree-sitter-rust for the syntax tree that facts and
//! declarative rules read, and syn only to confirm a syntax error that
//! tree-sitter reports, since the grammar can lag the language.

use opslint_core::Span;

use crate::SyntaxError;
use crate::parsers::{self, Grammar};
use crate::yaml::{error_offset, first_error, missing_message, syntax_message};

/// A parsed Rust file: its tree-sitter tree, and the errors of a file that
/// tree-sitter reads with an error.
#[derive(Debug)]
pub struct RustFile {
    pub tree: Option<tree_sitter::Tree>,
    /// A syntax error both parsers agree on: the file does not compile.
    pub errors: Vec<SyntaxError>,
    /// The reason syn rejected a file that tree-sitter also read with an
    /// error, at the place syn stopped. Facts then come from tree-sitter's
    /// recovered tree and may be incomplete.
    pub syn_error: Option<SyntaxError>,
}

/// Parses `text` with tree-sitter-rust. Each file is parsed once: syn runs
/// only on a file whose tree has an error, to tell a file that does not
/// compile from syntax newer than the grammar. Call [`release_spans`] after
/// a file that syn parsed.
pub fn parse(text: &str) -> RustFile {
    let tree = parsers::parse(Grammar::Rust, text);
    let Some(root) = tree.as_ref().map(tree_sitter::Tree::root_node) else {
        return RustFile {
            tree,
            errors: Vec::new(),
            syn_error: None,
        };
    };
    if !root.has_error() {
        return RustFile {
            tree,
            errors: Vec::new(),
            syn_error: None,
        };
    }
    // syn parses and drops its tree by recursion, so input nested thousands
    // of levels deep would overflow the stack of a worker thread.
    if let Some((deep, message)) = too_deep(root) {
        return RustFile {
            tree,
            errors: Vec::new(),
            syn_error: Some(SyntaxError::new(Span::new(deep, deep), message)),
        };
    }
    match syn::parse_file(text) {
        // Syntax that the grammar does not know yet: the recovered tree
        // gives the facts.
        Ok(_) => RustFile {
            tree,
            errors: Vec::new(),
            syn_error: None,
        },
        Err(error) => {
            let range = error.span().byte_range();
            let syn_error = SyntaxError::new(Span::from(range), error.to_string());
            let errors = both_reject(root, text, &syn_error).into_iter().collect();
            RustFile {
                tree,
                errors,
                syn_error: Some(syn_error),
            }
        }
    }
}

/// Parses `text` with tree-sitter-rust only, for code such as the body of
/// a macro call that is read as Rust when it parses.
pub fn parse_tree(text: &str) -> Option<tree_sitter::Tree> {
    parsers::parse(Grammar::Rust, text)
}

/// Returns the error to report when tree-sitter also finds a syntax error, so the
/// file does not compile. syn's message names what it expected, except
/// when its lexer fails on unbalanced brackets or quotes; tree-sitter's
/// first error then gives the place.
fn both_reject(
    root: tree_sitter::Node<'_>,
    text: &str,
    syn_error: &SyntaxError,
) -> Option<SyntaxError> {
    if !root.has_error() {
        return None;
    }
    if syn_error.message != "cannot parse string into token stream" {
        return Some(SyntaxError::new(
            syn_error.span,
            format!("invalid Rust syntax: {}", syn_error.message),
        ));
    }
    let node = first_error(root)?;
    let offset = error_offset(node, text);
    let message = if node.is_missing() {
        missing_message("Rust syntax", node, text)
    } else {
        syntax_message("Rust", text.get(offset..).unwrap_or(""))
    };
    Some(SyntaxError::new(Span::new(offset, offset), message))
}

/// The deepest tree-sitter tree, and the deepest nesting of brackets, that
/// syn is given. syn recurses once per bracket and per unary operator, and in
/// a debug build on a 2 MiB stack (the default of spawned threads) it
/// overflowed at about 150 nested parentheses. Ordinary code stays far below
/// both limits; a long method chain adds two tree levels per call, hence the
/// higher tree limit.
const MAX_TREE_DEPTH: usize = 256;
const MAX_BRACKET_DEPTH: usize = 64;

/// Maximum number of tokens in one tree-sitter `ERROR` node before syn is
/// skipped. Inside an error tree-sitter keeps tokens flat, so its depth shows
/// nothing about how deep syn recurses there: a 1,300-byte run of `<` and
/// path segments made syn recurse once per `<` through qualified paths and
/// overflowed an 8 MiB stack.
const MAX_ERROR_TOKENS: usize = 128;

/// Returns where the tree first goes past [`MAX_TREE_DEPTH`] levels,
/// [`MAX_BRACKET_DEPTH`] open brackets or [`MAX_ERROR_TOKENS`] tokens in one
/// `ERROR` node, with the reason, walking with a cursor so the check itself
/// does not recurse. Brackets are the leaf tokens `(`, `[` and `{`, so
/// brackets inside strings and comments do not count.
fn too_deep(root: tree_sitter::Node) -> Option<(usize, String)> {
    let brackets_kinds = bracket_kinds();
    let mut cursor = root.walk();
    let mut depth = 0;
    let mut brackets: usize = 0;
    // The depth of the `ERROR` node being walked, and its tokens so far.
    let mut error_depth: Option<usize> = None;
    let mut error_tokens = 0;
    loop {
        let node = cursor.node();
        if error_depth.is_none() && node.is_error() {
            error_depth = Some(depth);
            error_tokens = 0;
        }
        if depth > MAX_TREE_DEPTH || brackets > MAX_BRACKET_DEPTH {
            let message = format!(
                "nesting deeper than {MAX_BRACKET_DEPTH} brackets or {MAX_TREE_DEPTH} syntax \
                 levels is not analysed"
            );
            return Some((node.start_byte(), message));
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        let kind = node.kind_id();
        if brackets_kinds.open.contains(&kind) {
            brackets += 1;
        } else if brackets_kinds.close.contains(&kind) {
            brackets = brackets.saturating_sub(1);
        }
        if error_depth.is_some() {
            error_tokens += 1;
            if error_tokens > MAX_ERROR_TOKENS {
                let message = format!(
                    "a syntax error spanning more than {MAX_ERROR_TOKENS} tokens is not analysed"
                );
                return Some((node.start_byte(), message));
            }
        }
        loop {
            // Moving on from the `ERROR` node itself leaves it.
            if error_depth == Some(depth) {
                error_depth = None;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return None;
            }
            depth -= 1;
        }
    }
}

/// The symbol ids of the bracket tokens, compared by number on every leaf
/// of every file instead of by name. A grammar may give one token several
/// ids, so every id with the token's name is listed.
struct BracketKinds {
    open: Vec<u16>,
    close: Vec<u16>,
}

fn bracket_kinds() -> &'static BracketKinds {
    static KINDS: std::sync::OnceLock<BracketKinds> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let language = language();
        let ids_of = |names: [&str; 3]| -> Vec<u16> {
            (0..u16::try_from(language.node_kind_count()).unwrap_or(u16::MAX))
                .filter(|&id| {
                    !language.node_kind_is_named(id)
                        && language
                            .node_kind_for_id(id)
                            .is_some_and(|kind| names.contains(&kind))
                })
                .collect()
        };
        BracketKinds {
            open: ids_of(["(", "[", "{"]),
            close: ids_of([")", "]", "}"]),
        }
    })
}

/// The tree-sitter language of Rust, for queries over [`RustFile::tree`].
pub fn language() -> tree_sitter::Language {
    tree_sitter_rust::LANGUAGE.into()
}

/// Frees the span map that syn filled for the files parsed on this thread.
/// Spans created before the call become invalid.
pub fn release_spans() {
    proc_macro2::extra::invalidate_current_thread_spans();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_has_every_bracket_token() {
        let language = language();
        let names = |ids: &[u16]| {
            let mut names: Vec<&str> = ids
                .iter()
                .filter_map(|&id| language.node_kind_for_id(id))
                .collect();
            names.sort_unstable();
            names.dedup();
            names
        };
        let kinds = bracket_kinds();
        assert_eq!(names(&kinds.open), ["(", "[", "{"]);
        assert_eq!(names(&kinds.close), [")", "]", "}"]);
    }
}
