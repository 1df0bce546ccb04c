//! The Python front end: a tree-sitter-python tree, with its first syntax
//! error.

use opslint_core::Span;

use crate::SyntaxError;
use crate::parsers::{self, Grammar};

#[derive(Debug)]
pub struct PythonFile {
    /// `None` only when tree-sitter could not run at all.
    pub tree: Option<tree_sitter::Tree>,
    pub errors: Vec<SyntaxError>,
}

/// The tree-sitter language of Python, for queries over [`PythonFile::tree`].
pub fn language() -> tree_sitter::Language {
    tree_sitter_python::LANGUAGE.into()
}

pub fn parse(text: &str) -> PythonFile {
    let tree = parsers::parse(Grammar::Python, text);
    let mut errors = Vec::new();
    if let Some(tree) = &tree
        && tree.root_node().has_error()
        && let Some(node) = first_error(tree.root_node())
    {
        let message = if node.is_missing() {
            crate::yaml::missing_message("Python syntax", node, text)
        } else {
            "invalid Python syntax".to_string()
        };
        errors.push(SyntaxError::new(Span::from(node.byte_range()), message));
    }
    PythonFile { tree, errors }
}

/// The first `ERROR` or `MISSING` node in document order.
fn first_error(root: tree_sitter::Node) -> Option<tree_sitter::Node> {
    let mut cursor = root.walk();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            return Some(node);
        }
        if node.has_error() {
            let children: Vec<_> = node.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
    }
    None
}
