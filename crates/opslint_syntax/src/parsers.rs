//! One tree-sitter parser per grammar and thread, reused from file to file.
//! Creating a parser and loading its grammar for every file took about 2
//! percent of the file phase in a `perf` profile at 20,000 files.

use std::cell::RefCell;

use tree_sitter::{Language, Node, Parser, Tree, TreeCursor};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Grammar {
    Yaml,
    Json,
    Hcl,
    Rust,
    Python,
    Bash,
    Dockerfile,
}

const GRAMMARS: usize = 7;

impl Grammar {
    fn language(self) -> Language {
        match self {
            Self::Yaml => tree_sitter_yaml::LANGUAGE.into(),
            Self::Json => tree_sitter_json::LANGUAGE.into(),
            Self::Hcl => tree_sitter_hcl::LANGUAGE.into(),
            Self::Rust => tree_sitter_rust::LANGUAGE.into(),
            Self::Python => tree_sitter_python::LANGUAGE.into(),
            Self::Bash => tree_sitter_bash::LANGUAGE.into(),
            Self::Dockerfile => arborium_dockerfile::language().into(),
        }
    }
}

thread_local! {
    static PARSERS: RefCell<[Option<Parser>; GRAMMARS]> = RefCell::new(Default::default());
}

/// Parses `text` with this thread's parser for `grammar`. `None` when the
/// grammar cannot be loaded (a build problem the tests catch) or the parser
/// gives up.
pub(crate) fn parse(grammar: Grammar, text: &str) -> Option<Tree> {
    // The parser is taken out of its slot while it runs, so a parse that
    // starts another one of the same grammar gets a parser of its own.
    let cached = PARSERS.with(|parsers| parsers.borrow_mut()[grammar as usize].take());
    let mut parser = match cached {
        Some(parser) => parser,
        None => {
            let mut parser = Parser::new();
            parser.set_language(&grammar.language()).ok()?;
            parser
        }
    };
    parser.reset();
    let tree = parser.parse(text, None);
    PARSERS.with(|parsers| parsers.borrow_mut()[grammar as usize] = Some(parser));
    tree
}

/// Tree cursors returned after use, for conversions that walk many nodes of
/// one tree: creating a cursor allocates, and a conversion needs one for
/// every mapping, sequence and object.
pub(crate) struct CursorPool<'tree>(Vec<TreeCursor<'tree>>);

impl<'tree> CursorPool<'tree> {
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    /// Returns a cursor at `node`, reusing a returned one when there is one.
    pub(crate) fn take(&mut self, node: Node<'tree>) -> TreeCursor<'tree> {
        match self.0.pop() {
            Some(mut cursor) => {
                cursor.reset(node);
                cursor
            }
            None => node.walk(),
        }
    }

    pub(crate) fn give_back(&mut self, cursor: TreeCursor<'tree>) {
        self.0.push(cursor);
    }
}
