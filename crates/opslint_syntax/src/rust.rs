//! The Rust front end: syn for the full syntax tree, and tree-sitter-rust
//! for files that syn rejects, so a file that does not compile still yields
//! the facts a concrete syntax tree can show.

use opslint_core::Span;

use crate::SyntaxError;

/// A parsed Rust file: the syn tree when syn accepts the file, and the
/// tree-sitter tree always, which declarative rules query.
pub struct RustFile {
    pub ast: Option<syn::File>,
    pub tree: Option<tree_sitter::Tree>,
    /// Why syn rejected the file, at the place it stopped.
    pub syn_error: Option<SyntaxError>,
}

impl std::fmt::Debug for RustFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustFile")
            .field("ast", &self.ast.as_ref().map(|_| "syn::File"))
            .field("tree", &self.tree)
            .field("syn_error", &self.syn_error)
            .finish()
    }
}

/// Parses `text` with syn, and with tree-sitter-rust when syn fails. The
/// spans inside `ast` index a per-thread source map: turn them into byte
/// ranges, then call [`release_spans`] before parsing the next file.
pub fn parse(text: &str) -> RustFile {
    let mut parser = tree_sitter::Parser::new();
    let tree = parser
        .set_language(&language())
        .ok()
        .and_then(|()| parser.parse(text, None));
    match syn::parse_file(text) {
        Ok(ast) => RustFile {
            ast: Some(ast),
            tree,
            syn_error: None,
        },
        Err(error) => {
            let range = error.span().byte_range();
            let syn_error = SyntaxError::new(Span::from(range), error.to_string());
            RustFile {
                ast: None,
                tree,
                syn_error: Some(syn_error),
            }
        }
    }
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

/// The byte range of a syn span in the file it was parsed from.
pub fn span_of(span: proc_macro2::Span) -> Span {
    Span::from(span.byte_range())
}
