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

/// The children of a node, or only its named ones. Callgrind put a tree
/// cursor step at about 480 instructions and a read of child `i` by index at
/// about 330 (tree-sitter 0.27). A read by index starts over from the first
/// child, so only nodes with a few children are read that way.
pub struct Children<'tree>(Reader<'tree>);

enum Reader<'tree> {
    ByIndex {
        node: Node<'tree>,
        next: u32,
        count: u32,
        named: bool,
    },
    ByCursor {
        cursor: TreeCursor<'tree>,
        started: bool,
        named: bool,
    },
}

/// Children up to this count are read by index.
pub(crate) const READ_BY_INDEX: u32 = 8;

impl<'tree> Children<'tree> {
    /// Iterates over every child of `node`, anonymous ones included.
    pub fn all(node: Node<'tree>) -> Self {
        Self::new(node, false)
    }

    /// Iterates over the named children of `node`, extras such as comments
    /// included.
    pub fn named(node: Node<'tree>) -> Self {
        Self::new(node, true)
    }

    fn new(node: Node<'tree>, named: bool) -> Self {
        let count = node.child_count();
        Self(if count <= READ_BY_INDEX {
            Reader::ByIndex {
                node,
                next: 0,
                count,
                named,
            }
        } else {
            Reader::ByCursor {
                cursor: node.walk(),
                started: false,
                named,
            }
        })
    }
}

impl<'tree> Iterator for Children<'tree> {
    type Item = Node<'tree>;

    fn next(&mut self) -> Option<Node<'tree>> {
        match &mut self.0 {
            Reader::ByIndex {
                node,
                next,
                count,
                named,
            } => {
                while *next < *count {
                    let child = node.child(*next);
                    *next += 1;
                    if let Some(child) = child
                        && (!*named || child.is_named())
                    {
                        return Some(child);
                    }
                }
                None
            }
            Reader::ByCursor {
                cursor,
                started,
                named,
            } => loop {
                let moved = if *started {
                    cursor.goto_next_sibling()
                } else {
                    *started = true;
                    cursor.goto_first_child()
                };
                if !moved {
                    return None;
                }
                let child = cursor.node();
                if !*named || child.is_named() {
                    return Some(child);
                }
            },
        }
    }
}
