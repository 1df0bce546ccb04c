//! Declarative rules: TOML files that pair rule metadata with tree-sitter
//! queries over Rust and Python code. The built-in packs in the repository's
//! `lints/` folder are compiled into the binary, and users add their own from
//! a folder.
//!
//! Each file defines one rule:
//!
//! ```toml
//! id = "print-instead-of-logging"
//! principle = "observability"
//! waf = ["OPS04-BP02"]
//! severity = "warning"
//! scope = "service"          # or "code": every non-test source file
//! summary = "..."
//! what_it_checks = "..."
//! why_it_matters = "..."
//! how_to_fix = "..."
//! known_limits = "..."
//!
//! [[match]]
//! language = "python"        # or "rust"
//! query = '(call function: (identifier) @name (#eq? @name "print")) @finding'
//! message = "`{name}` writes to standard output"
//! label = "print call"
//! help = "use the logger"
//! ```
//!
//! The `@finding` capture marks what is reported (the whole match when the
//! query has no such capture), and `{capture}` in `message` and `label` is
//! replaced with the text of that capture. Matches in test files and in test
//! functions and modules are skipped.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile, Span};
use opslint_model::Workspace;
use opslint_model::service::{QueryMatch, is_test_path};
use serde::Deserialize;
use tree_sitter::{Query, QueryCursor, StreamingIterator};

use crate::Rule;

/// The built-in packs, as `(file name, text)`.
const BUILT_IN: [(&str, &str); 2] = [
    (
        "lints/print-instead-of-logging.toml",
        include_str!("../../../lints/print-instead-of-logging.toml"),
    ),
    (
        "lints/error-swallowed.toml",
        include_str!("../../../lints/error-swallowed.toml"),
    ),
];

/// An invalid rule file, at the place the problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: toml::Spanned<String>,
    principle: toml::Spanned<String>,
    #[serde(default)]
    waf: Vec<toml::Spanned<String>>,
    severity: toml::Spanned<String>,
    #[serde(default)]
    scope: Scope,
    summary: String,
    what_it_checks: String,
    why_it_matters: String,
    how_to_fix: String,
    known_limits: String,
    #[serde(rename = "match")]
    matches: Vec<MatchSpec>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Scope {
    /// Files of services that create a server or declare routes, tests
    /// excluded.
    Service,
    /// Every Rust and Python file except tests.
    #[default]
    Code,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchSpec {
    language: toml::Spanned<String>,
    query: toml::Spanned<String>,
    message: toml::Spanned<String>,
    label: toml::Spanned<String>,
    help: Option<String>,
}

struct CompiledMatch {
    message: String,
    label: String,
    help: Option<String>,
}

/// The queries of one rule for one language, joined into one query so that
/// a file's tree is walked once per rule, not once per `[[match]]`.
struct LanguageQuery {
    kind: ArtifactKind,
    language: tree_sitter::Language,
    source: String,
    /// For each `[[match]]` of this language: where its query starts in
    /// `source`, and its position in [`DeclarativeRule::matches`].
    parts: Vec<(usize, usize)>,
    /// Compiled on first use: compiling the built-in queries took most of
    /// the start-up time of a run, and a repository without code needs none.
    compiled: OnceLock<Option<JoinedQuery>>,
}

struct JoinedQuery {
    query: Query,
    /// Index of the `@finding` capture, if a query has one.
    finding: Option<u32>,
    /// For each pattern, the strings a file must contain one of for the
    /// pattern to match; `None` means the pattern may match any file.
    needs: Vec<Option<Needs>>,
}

/// Literal text that every match of a pattern contains.
#[derive(Debug, PartialEq)]
struct Needs {
    /// The strings of an `#eq?` or `#any-of?` predicate, or one keyword.
    strings: Vec<String>,
    /// The string is a keyword token, so it counts only as a whole word:
    /// `except` in `Exception` is not the keyword.
    whole_word: bool,
}

impl Needs {
    fn predicate(strings: Vec<String>) -> Self {
        Self {
            strings,
            whole_word: false,
        }
    }

    fn keyword(word: String) -> Self {
        Self {
            strings: vec![word],
            whole_word: true,
        }
    }

    /// Byte ranges of `text` where one of the strings occurs.
    fn places<'t>(&'t self, text: &'t str) -> impl Iterator<Item = std::ops::Range<usize>> + 't {
        let word_byte = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80;
        self.strings.iter().flat_map(move |needed| {
            text.match_indices(needed.as_str())
                .map(|(start, found)| start..start + found.len())
                .filter(move |place| {
                    !self.whole_word
                        || (!text.as_bytes()[..place.start]
                            .last()
                            .is_some_and(|&byte| word_byte(byte))
                            && !text.as_bytes()[place.end..]
                                .first()
                                .is_some_and(|&byte| word_byte(byte)))
                })
        })
    }
}

impl JoinedQuery {
    /// Returns the byte ranges of `text` that a match must overlap, or `None`
    /// when the whole tree must be walked. When every pattern needs a literal,
    /// a match contains a place where one occurs, and a cursor limited to that
    /// place only starts matches at the nodes around it, while matches it
    /// starts still read their nodes outside it. An empty list means that
    /// nothing can match.
    fn ranges(&self, text: &str) -> Option<Vec<std::ops::Range<usize>>> {
        /// Past this many places one walk of the tree is cheaper.
        const MAX_RANGES: usize = 16;
        let mut places = Vec::new();
        for needs in &self.needs {
            places.extend(needs.as_ref()?.places(text));
        }
        places.sort_unstable_by_key(|range| range.start);
        let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
        for place in places {
            match ranges.last_mut() {
                Some(last) if place.start <= last.end => last.end = last.end.max(place.end),
                _ => ranges.push(place),
            }
            if ranges.len() > MAX_RANGES {
                return None;
            }
        }
        Some(ranges)
    }
}

/// Returns the text that every match of one pattern contains: the strings
/// of its first `#eq?` or `#any-of?` predicate that compares a capture with
/// literal strings, or else a keyword token such as `"except"` that the
/// pattern names. Strings with escapes are not read, and a pattern with
/// neither gives `None`. So does a pattern with alternatives or quantifiers,
/// because the captured node may be missing from a match, and the predicate
/// is then true without the text.
fn literal_needs(pattern: &str) -> Option<Needs> {
    if has_optional_parts(pattern) {
        return None;
    }
    if let Some(strings) = predicate_literals(pattern) {
        return Some(Needs::predicate(strings));
    }
    // A `(MISSING "x")` node is a token the parser inserted: it has no text.
    if pattern.contains("MISSING") {
        return None;
    }
    keyword_token(pattern).map(Needs::keyword)
}

/// Returns the first anonymous node of `pattern` that is a word, such as
/// `"except"`, outside predicates and comments. A keyword token's text is
/// its name.
fn keyword_token(pattern: &str) -> Option<String> {
    let mut chars = pattern.char_indices().peekable();
    let mut predicate_depth = 0usize;
    while let Some((at, c)) = chars.next() {
        match c {
            ';' => {
                for (_, inner) in chars.by_ref() {
                    if inner == '\n' {
                        break;
                    }
                }
            }
            '(' if chars.peek().is_some_and(|(_, next)| *next == '#') => predicate_depth += 1,
            '(' if predicate_depth > 0 => predicate_depth += 1,
            ')' if predicate_depth > 0 => predicate_depth -= 1,
            '"' => {
                let start = at + 1;
                let mut end = None;
                while let Some((inner_at, inner)) = chars.next() {
                    match inner {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            end = Some(inner_at);
                            break;
                        }
                        _ => {}
                    }
                }
                let word = &pattern[start..end?];
                if predicate_depth == 0
                    && !word.is_empty()
                    && word.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
                {
                    return Some(word.to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// Returns the strings of the first `#eq?` or `#any-of?` predicate of
/// `pattern` that compares a capture with literal strings.
fn predicate_literals(pattern: &str) -> Option<Vec<String>> {
    for (start, _) in pattern.match_indices("(#") {
        let rest = &pattern[start + 2..];
        let Some(rest) = rest
            .strip_prefix("eq?")
            .or_else(|| rest.strip_prefix("any-of?"))
        else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix('@') else {
            continue;
        };
        let mut rest = rest.trim_start_matches(|c: char| c.is_alphanumeric() || "_.-".contains(c));
        let mut strings = Vec::new();
        loop {
            rest = rest.trim_start();
            if rest.starts_with(')') {
                break;
            }
            let Some(quoted) = rest.strip_prefix('"') else {
                strings.clear();
                break;
            };
            let Some(end) = quoted.find('"') else {
                strings.clear();
                break;
            };
            let literal = &quoted[..end];
            if literal.contains('\\') || literal.is_empty() {
                strings.clear();
                break;
            }
            strings.push(literal.to_string());
            rest = &quoted[end + 1..];
        }
        if !strings.is_empty() {
            return Some(strings);
        }
    }
    None
}

impl LanguageQuery {
    fn compiled(&self) -> Option<&JoinedQuery> {
        self.compiled
            .get_or_init(|| {
                let query = Query::new(&self.language, &self.source).ok()?;
                let finding = query.capture_index_for_name("finding");
                let needs = (0..query.pattern_count())
                    .map(|pattern| {
                        let start = query.start_byte_for_pattern(pattern);
                        let end = query.end_byte_for_pattern(pattern);
                        literal_needs(self.source.get(start..end).unwrap_or(""))
                    })
                    .collect();
                Some(JoinedQuery {
                    query,
                    finding,
                    needs,
                })
            })
            .as_ref()
    }

    /// Returns the position of the `[[match]]` that pattern `pattern` of the
    /// joined query comes from.
    fn match_of(&self, query: &Query, pattern: usize) -> usize {
        let start = query.start_byte_for_pattern(pattern);
        self.parts
            .iter()
            .rev()
            .find(|(part_start, _)| *part_start <= start)
            .map_or(0, |(_, index)| *index)
    }
}

/// A rule defined by a TOML file.
pub struct DeclarativeRule {
    meta: &'static RuleMeta,
    scope: Scope,
    matches: Vec<CompiledMatch>,
    queries: Vec<LanguageQuery>,
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// Resolves a byte offset of `text` to a 1-based line and column.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let file = SourceFile::new(String::new(), PathBuf::new(), text.to_string());
    let position = file.position(offset);
    (position.line, position.column)
}

fn error_at(path: &str, text: &str, offset: usize, message: impl Into<String>) -> ConfigError {
    let (line, column) = line_column(text, offset);
    ConfigError {
        path: path.to_string(),
        line,
        column,
        message: message.into(),
    }
}

/// Parses and compiles one rule file. `path` is only used in errors.
pub fn parse_rule(path: &str, text: &str) -> Result<DeclarativeRule, ConfigError> {
    read_rule(path, text, true)
}

/// Parses one rule file; with `check_queries`, each query is compiled now so
/// that an invalid one is reported at its line. The queries that run are
/// compiled on first use either way.
fn read_rule(path: &str, text: &str, check_queries: bool) -> Result<DeclarativeRule, ConfigError> {
    let file: RuleFile = toml::from_str(text).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        error_at(path, text, offset, error.message().trim().to_string())
    })?;

    let id = file.id.get_ref();
    let is_kebab = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !is_kebab {
        return Err(error_at(
            path,
            text,
            file.id.span().start,
            format!("invalid rule id `{id}`: use lower-case letters, digits and `-`"),
        ));
    }
    let Some(principle) = Principle::from_slug(file.principle.get_ref()) else {
        return Err(error_at(
            path,
            text,
            file.principle.span().start,
            format!(
                "unknown principle `{}`; expected one of organize-teams, observability, \
                 safe-automation, small-reversible-changes, refine-procedures, \
                 anticipate-failure, learn-from-events, managed-services",
                file.principle.get_ref()
            ),
        ));
    };
    let Some(severity) = Severity::parse(file.severity.get_ref()) else {
        return Err(error_at(
            path,
            text,
            file.severity.span().start,
            format!(
                "unknown severity `{}`; expected note, warning or error",
                file.severity.get_ref()
            ),
        ));
    };
    if let Some(unknown) = file
        .waf
        .iter()
        .find(|id| opslint_core::waf::title(id.get_ref()).is_none())
    {
        return Err(error_at(
            path,
            text,
            unknown.span().start,
            format!(
                "unknown best practice `{}`; expected an id of the Operational Excellence \
                 pillar such as `OPS04-BP02`",
                unknown.get_ref()
            ),
        ));
    }
    if file.matches.is_empty() {
        return Err(error_at(
            path,
            text,
            0,
            "missing `[[match]]`: a rule needs at least one query",
        ));
    }

    let mut matches = Vec::new();
    let mut kinds = Vec::new();
    let mut queries: Vec<LanguageQuery> = Vec::new();
    for spec in file.matches {
        let (kind, language) = match spec.language.get_ref().as_str() {
            "python" => (ArtifactKind::Python, opslint_syntax::python::language()),
            "rust" => (ArtifactKind::Rust, opslint_syntax::rust::language()),
            other => {
                return Err(error_at(
                    path,
                    text,
                    spec.language.span().start,
                    format!("unknown language `{other}`; expected python or rust"),
                ));
            }
        };
        let source = spec.query.get_ref();
        let checked = if check_queries {
            Query::new(&language, source).map(Some)
        } else {
            Ok(None)
        };
        let compiled = checked.map_err(|error| {
            // Literal strings keep the query text unchanged, so it can be
            // found in the file to turn the query's row and column into a
            // file position.
            let value_start = spec.query.span().start;
            let query_start = text[value_start..]
                .find(source.as_str())
                .map_or(value_start, |found| value_start + found);
            let (line, column) = line_column(text, query_start);
            let (line, column) = if error.row == 0 {
                (line, column + error.column)
            } else {
                (line + error.row, error.column + 1)
            };
            ConfigError {
                path: path.to_string(),
                line,
                column,
                message: format!(
                    "invalid tree-sitter query: {:?} error: {}",
                    error.kind,
                    error.message.trim()
                ),
            }
        })?;
        if let Some(query) = &compiled {
            check_query_use(path, text, &spec, query)?;
        }
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
        let position = queries.iter().position(|q| q.kind == kind);
        let joined = match position {
            Some(position) => &mut queries[position],
            None => {
                queries.push(LanguageQuery {
                    kind,
                    language,
                    source: String::new(),
                    parts: Vec::new(),
                    compiled: OnceLock::new(),
                });
                let last = queries.len() - 1;
                &mut queries[last]
            }
        };
        joined.parts.push((joined.source.len(), matches.len()));
        joined.source.push_str(source);
        joined.source.push('\n');
        matches.push(CompiledMatch {
            message: spec.message.into_inner(),
            label: spec.label.into_inner(),
            help: spec.help,
        });
    }

    let meta = RuleMeta {
        id: leak(id.clone()),
        principle: Some(principle),
        waf: Box::leak(
            file.waf
                .into_iter()
                .map(|id| leak(id.into_inner()))
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        ),
        severity,
        artifacts: Box::leak(kinds.into_boxed_slice()),
        summary: leak(file.summary),
        what_it_checks: leak(file.what_it_checks),
        why_it_matters: leak(file.why_it_matters),
        how_to_fix: leak(file.how_to_fix),
        known_limits: leak(file.known_limits),
    };
    Ok(DeclarativeRule {
        meta: Box::leak(Box::new(meta)),
        scope: file.scope,
        matches,
        queries,
    })
}

/// Checks what tree-sitter accepts but opslint cannot use. A predicate other
/// than the text predicates would be left unapplied, so the pattern would
/// match everything. A `{name}` in `message` or `label` that names no capture
/// would be printed as written.
fn check_query_use(
    path: &str,
    text: &str,
    spec: &MatchSpec,
    query: &Query,
) -> Result<(), ConfigError> {
    let source = spec.query.get_ref();
    for pattern in 0..query.pattern_count() {
        if let Some(predicate) = query.general_predicates(pattern).first() {
            let operator = format!("#{}", predicate.operator);
            let value_start = spec.query.span().start;
            let offset = text[value_start..]
                .find(source.as_str())
                .and_then(|start| source.find(&operator).map(|at| value_start + start + at))
                .unwrap_or(value_start);
            return Err(error_at(
                path,
                text,
                offset,
                format!(
                    "unknown predicate `{operator}`; opslint applies #eq?, #not-eq?, #any-of?, \
                     #not-any-of?, #match? and #not-match?"
                ),
            ));
        }
    }
    let names = query.capture_names();
    for (field, value) in [("message", &spec.message), ("label", &spec.label)] {
        for name in placeholders(value.get_ref()) {
            if !names.contains(&name) {
                let known: Vec<String> = names.iter().map(|n| format!("@{n}")).collect();
                return Err(error_at(
                    path,
                    text,
                    value.span().start,
                    format!(
                        "`{{{name}}}` in `{field}` names no capture of the query; its captures are {}",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Returns the names in `{name}` placeholders of a message template.
fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let name = &after[..close];
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if is_name {
            names.push(name);
        }
        rest = &after[close + 1..];
    }
    names
}

/// Returns the rules of the built-in packs, compiled on first use.
pub fn built_in() -> Vec<&'static dyn Rule> {
    static RULES: OnceLock<Vec<DeclarativeRule>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            BUILT_IN
                .iter()
                .map(|(path, text)| {
                    // A broken built-in pack is a bug that the test suite
                    // catches; it never depends on user input.
                    read_rule(path, text, false).unwrap_or_else(|error| panic!("{error}"))
                })
                .collect()
        })
        .iter()
        .map(|rule| rule as &'static dyn Rule)
        .collect()
}

/// Loads every `*.toml` file of `folder` as a rule, sorted by file name.
/// Results are cached per folder, so loading the same folder twice returns
/// the same rules.
pub fn load_folder(folder: &Path) -> Result<Vec<&'static dyn Rule>, ConfigError> {
    static CACHE: OnceLock<Mutex<BTreeMap<PathBuf, Vec<&'static DeclarativeRule>>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(rules) = cache.lock().ok().and_then(|c| c.get(folder).cloned()) {
        return Ok(rules.into_iter().map(|r| r as &'static dyn Rule).collect());
    }

    let display = folder.display().to_string();
    let entries = std::fs::read_dir(folder).map_err(|error| ConfigError {
        path: display.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read the rule folder: {error}"),
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();

    let mut rules: Vec<&'static DeclarativeRule> = Vec::new();
    let mut ids = HashSet::new();
    for path in paths {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|error| ConfigError {
            path: shown.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read the rule file: {error}"),
        })?;
        let rule = parse_rule(&shown, &text)?;
        let id = rule.meta.id;
        let clashes_with_built_in = crate::all().iter().any(|r| r.meta().id == id)
            || opslint_core::tool_rules::ALL.iter().any(|m| m.id == id);
        if clashes_with_built_in || !ids.insert(id) {
            let offset = text.find(id).unwrap_or(0);
            return Err(error_at(
                &shown,
                &text,
                offset,
                format!("rule id `{id}` is already defined; choose another id"),
            ));
        }
        rules.push(Box::leak(Box::new(rule)));
    }
    if let Ok(mut cache) = cache.lock() {
        cache.insert(folder.to_path_buf(), rules.clone());
    }
    Ok(rules.into_iter().map(|r| r as &'static dyn Rule).collect())
}

/// Returns whether a pattern has alternatives (`[...]`) or quantifiers (`*`, `+`,
/// `?`), outside strings and predicate names such as `#eq?`.
fn has_optional_parts(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(inner) = chars.next() {
                    match inner {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            ';' => {
                // A comment runs to the end of the line.
                for inner in chars.by_ref() {
                    if inner == '\n' {
                        break;
                    }
                }
            }
            '#' => {
                // A predicate name ends with its `?` or `!`.
                for inner in chars.by_ref() {
                    if inner == '?' || inner == '!' || inner.is_whitespace() {
                        break;
                    }
                }
            }
            '[' | '*' | '+' | '?' => return true,
            _ => {}
        }
    }
    false
}

/// Returns `node` and its ancestors, innermost first. tree-sitter finds a
/// node's parent by walking down from the root, so asking each ancestor for
/// its parent costs the square of the depth. One walk down from `root` finds
/// them all.
fn ancestry<'t>(
    root: tree_sitter::Node<'t>,
    node: tree_sitter::Node<'t>,
) -> Vec<tree_sitter::Node<'t>> {
    let mut chain = vec![root];
    let mut current = root;
    while current != node {
        let Some(child) = current.child_with_descendant(node) else {
            break;
        };
        chain.push(child);
        current = child;
    }
    if current != node {
        // Only a node of another tree is not below `root`.
        chain = std::iter::successors(Some(node), tree_sitter::Node::parent).collect();
        return chain;
    }
    chain.reverse();
    chain
}

/// Names the function or method around the innermost node of `ancestry`,
/// for a location that survives line moves.
fn enclosing_function(ancestry: &[tree_sitter::Node], text: &str) -> String {
    for item in ancestry {
        if matches!(item.kind(), "function_definition" | "function_item")
            && let Some(name) = item.child_by_field_name("name")
        {
            return name.utf8_text(text.as_bytes()).unwrap_or("").to_string();
        }
    }
    "module".to_string()
}

/// Checks whether the innermost node of `ancestry` sits in test code inside
/// a non-test file: a Rust item marked `#[test]`, `#[tokio::test]` or
/// `#[cfg(test)]`, or a Python function whose name starts with `test_`.
fn is_in_test_code(ancestry: &[tree_sitter::Node], text: &str) -> bool {
    for item in ancestry {
        match item.kind() {
            "function_item" | "mod_item" => {
                let mut sibling = item.prev_sibling();
                while let Some(attribute) = sibling.filter(|s| s.kind() == "attribute_item") {
                    let attribute_text = attribute.utf8_text(text.as_bytes()).unwrap_or("");
                    let words = attribute_text.split(|c: char| !(c.is_alphanumeric() || c == '_'));
                    if words.into_iter().any(|word| word == "test") {
                        return true;
                    }
                    sibling = attribute.prev_sibling();
                }
            }
            "function_definition" => {
                let name = item
                    .child_by_field_name("name")
                    .and_then(|name| name.utf8_text(text.as_bytes()).ok())
                    .unwrap_or("");
                if name.starts_with("test_") {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Replaces `{capture}` in `template` with the captured texts.
fn fill(template: &str, captures: &BTreeMap<&str, &str>) -> String {
    let mut text = template.to_string();
    for (name, value) in captures {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

impl Rule for DeclarativeRule {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    // Only a service's other files, which create the server or declare the
    // routes, show which files belong to it.
    fn needs_other_files(&self) -> bool {
        self.scope == Scope::Service
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let service_paths: HashSet<&str> = match self.scope {
            Scope::Service => workspace
                .services()
                .iter()
                .flat_map(|service| service.files.iter().map(|(a, _)| a.file.path.as_str()))
                .collect(),
            Scope::Code => HashSet::new(),
        };
        for (artifact, code) in workspace.code() {
            let path = artifact.file.path.as_str();
            let in_scope = match self.scope {
                // A command-line program inside a service writes to the
                // terminal on purpose.
                Scope::Service => service_paths.contains(path) && !code.command_line,
                Scope::Code => !is_test_path(path),
            };
            if !in_scope {
                continue;
            }
            for found in code.query_matches.iter().filter(|m| m.rule == self.meta.id) {
                let diagnostic = sink.violation(
                    self.meta,
                    &artifact.file,
                    found.span,
                    found.location.clone(),
                    found.message.clone(),
                    found.label.clone(),
                );
                diagnostic.help = found.help.clone();
                diagnostic.also_suppressed_at = found.scope.map(|scope| {
                    let first = artifact.file.position(scope.start).line;
                    let last = artifact.file.position(scope.end).line;
                    Box::new((path.to_string(), first..=last))
                });
            }
        }
    }

    fn match_tree(
        &self,
        kind: ArtifactKind,
        file: &SourceFile,
        tree: &tree_sitter::Tree,
        matches: &mut Vec<QueryMatch>,
    ) {
        self.match_places(kind, file, tree, matches, true);
    }
}

impl DeclarativeRule {
    /// Runs the rule's query for `kind` over `tree`. With `near_literals`
    /// the query looks only around the text its patterns need (see
    /// [`JoinedQuery::ranges`]). Without it the query walks the whole tree,
    /// which tests compare against.
    fn match_places(
        &self,
        kind: ArtifactKind,
        file: &SourceFile,
        tree: &tree_sitter::Tree,
        matches: &mut Vec<QueryMatch>,
        near_literals: bool,
    ) {
        let Some(language_query) = self.queries.iter().find(|q| q.kind == kind) else {
            return;
        };
        let Some(joined) = language_query.compiled() else {
            return;
        };
        let ranges = if near_literals {
            joined.ranges(&file.text)
        } else {
            None
        };
        if ranges.as_ref().is_some_and(Vec::is_empty) {
            return;
        }
        let whole = 0..usize::MAX;
        let walks = ranges.as_deref().unwrap_or(std::slice::from_ref(&whole));
        let JoinedQuery { query, finding, .. } = joined;
        let names = query.capture_names();
        // Matches in the order of the `[[match]]` tables, then of the file,
        // so that where two tables match the same code the first one reports
        // it. A match that overlaps two ranges is found twice and reported
        // once, as its span is.
        let mut found_all = Vec::new();
        let mut cursor = QueryCursor::new();
        for range in walks {
            cursor.set_byte_range(range.clone());
            let mut found_matches = cursor.matches(query, tree.root_node(), file.text.as_bytes());
            while let Some(found) = found_matches.next() {
                let spec = language_query.match_of(query, found.pattern_index);
                let mut captures = BTreeMap::new();
                for capture in found.captures() {
                    let text = capture.node.utf8_text(file.text.as_bytes()).unwrap_or("");
                    captures.insert(names[capture.index as usize], text);
                }
                let node = found
                    .captures()
                    .iter()
                    .find(|c| Some(c.index) == *finding)
                    .or(found.captures().first())
                    .map(|c| c.node);
                let scope = found
                    .captures()
                    .iter()
                    .find(|c| names[c.index as usize] == "scope")
                    .map(|c| Span::from(c.node.byte_range()));
                if let Some(node) = node {
                    found_all.push((spec, node, captures, scope));
                }
            }
        }
        found_all.sort_by_key(|(spec, node, _, _)| (*spec, node.start_byte()));
        let mut reported = HashSet::new();
        for (spec, node, captures, scope) in found_all {
            let spec = &self.matches[spec];
            let ancestry = ancestry(tree.root_node(), node);
            if is_in_test_code(&ancestry, &file.text) {
                continue;
            }
            let span = Span::from(node.byte_range());
            if !reported.insert(span) {
                continue;
            }
            matches.push(QueryMatch {
                rule: self.meta.id,
                span,
                location: enclosing_function(&ancestry, &file.text),
                message: fill(&spec.message, &captures),
                label: fill(&spec.label, &captures),
                help: spec.help.clone(),
                scope,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "id = \"x-rule\"\nprinciple = \"observability\"\nseverity = \"note\"\n\
        summary = \"s\"\nwhat_it_checks = \"w\"\nwhy_it_matters = \"y\"\nhow_to_fix = \"h\"\n\
        known_limits = \"k\"\n\n[[match]]\nlanguage = \"python\"\n\
        query = '(call) @finding'\nmessage = \"m\"\nlabel = \"l\"\n";

    #[test]
    fn built_in_packs_compile() {
        let ids: Vec<&str> = built_in().iter().map(|rule| rule.meta().id).collect();
        assert_eq!(ids, ["print-instead-of-logging", "error-swallowed"]);
        for (path, text) in BUILT_IN {
            let rule = parse_rule(path, text).unwrap_or_else(|error| panic!("{error}"));
            for query in &rule.queries {
                assert!(query.compiled().is_some(), "{path}: joined query");
            }
        }
    }

    #[test]
    fn optional_parts_give_no_needs() {
        assert_eq!(literal_needs(r#"[(a) @x (b)] (#eq? @x "foo")"#), None);
        assert_eq!(literal_needs(r#"(a (b)* @x (#eq? @x "foo"))"#), None);
        assert_eq!(literal_needs(r#"(a (b)? @x (#eq? @x "foo"))"#), None);
        assert_eq!(
            literal_needs(r#"(a "[" (b) @x (#eq? @x "foo?"))"#),
            Some(Needs::predicate(vec!["foo?".to_string()]))
        );
    }

    #[test]
    fn literal_needs_come_from_eq_and_any_of() {
        assert_eq!(
            literal_needs(r#"(call function: (identifier) @f (#eq? @f "print")) @finding"#),
            Some(Needs::predicate(vec!["print".to_string()]))
        );
        assert_eq!(
            literal_needs(r#"(m macro: (identifier) @m (#any-of? @m "println" "print")) @x"#),
            Some(Needs::predicate(vec![
                "println".to_string(),
                "print".to_string()
            ]))
        );
        assert_eq!(literal_needs(r#"(c) @x (#not-eq? @x "print")"#), None);
        assert_eq!(literal_needs(r#"(c) @x (#eq? @x @y)"#), None);
        assert_eq!(literal_needs(r#"(c) @x (#eq? @x "a\"b")"#), None);
        assert_eq!(literal_needs(r#"(c) @x (#match? @x "print")"#), None);
    }

    #[test]
    fn keyword_token_is_needed_as_whole_word() {
        let keyword = |word: &str| Some(Needs::keyword(word.to_string()));
        assert_eq!(
            literal_needs(r#"(except_clause "except" @f (block) @b (#not-match? @b "raise"))"#),
            keyword("except")
        );
        // Strings inside predicates, punctuation tokens and comments are not keywords.
        assert_eq!(literal_needs(r#"(c) @x (#match? @x "raise")"#), None);
        assert_eq!(literal_needs(r#"(c "(" (d)) ; "pass""#), None);
        assert_eq!(literal_needs(r#"(c (MISSING "except") @m)"#), None);
        // A predicate's literal is preferred: it is rarer than a keyword.
        assert_eq!(
            literal_needs(r#"(c "def" (identifier) @n (#eq? @n "main"))"#),
            Some(Needs::predicate(vec!["main".to_string()]))
        );
        let needs = keyword("except").expect("needs");
        let text = "class MyException(Exception): pass\ntry:\n  x()\nexcept:\n  pass\n";
        let places: Vec<(usize, usize)> = needs.places(text).map(|p| (p.start, p.end)).collect();
        assert_eq!(places, [(46, 52)], "only the keyword, not `Exception`");
    }

    #[test]
    fn files_without_the_needed_text_are_not_walked() {
        let (_, text) = BUILT_IN[0];
        let rule = parse_rule("print.toml", text).expect("the built-in rule is valid");
        let rust = rule
            .queries
            .iter()
            .find(|q| q.kind == ArtifactKind::Rust)
            .and_then(LanguageQuery::compiled)
            .expect("a Rust query");
        // `eprintln`, `println`, `eprint` and `print` overlap in one place.
        assert_eq!(
            rust.ranges("fn a() { eprintln!(\"x\"); }\nfn b() { print!(\"y\"); }"),
            Some(vec![9..17, 36..41])
        );
        assert_eq!(
            rust.ranges("fn main() { tracing::info!(\"x\"); }"),
            Some(vec![])
        );
        let many = "fn a() { print!(\"x\"); }\n".repeat(20);
        assert_eq!(rust.ranges(&many), None, "one walk beats many");
    }

    #[test]
    fn query_near_literal_reads_nodes_after_it() {
        let rule_text = "id = \"x-rule\"\nprinciple = \"observability\"\nseverity = \"note\"\n\
            summary = \"s\"\nwhat_it_checks = \"w\"\nwhy_it_matters = \"y\"\nhow_to_fix = \"h\"\n\
            known_limits = \"k\"\n\n[[match]]\nlanguage = \"python\"\n\
            query = '(call function: (identifier) @f arguments: (argument_list (string) @s) \
            (#eq? @f \"print\")) @finding'\nmessage = \"{s}\"\nlabel = \"l\"\n";
        let rule = parse_rule("x.toml", rule_text).expect("the rule is valid");
        // The walk is limited to the two `print`s; the strings lie after them.
        let source = "x = 1\nprint(\"far away\")\ny = 2\nprint(\"and again\")\n";
        let tree = opslint_syntax::python::parse(source)
            .tree
            .expect("tree-sitter runs");
        let file = SourceFile::new("a.py".into(), PathBuf::from("a.py"), source.to_string());
        let mut matches = Vec::new();
        rule.match_tree(ArtifactKind::Python, &file, &tree, &mut matches);
        let found: Vec<(&str, Span)> = matches
            .iter()
            .map(|m| (m.message.as_str(), m.span))
            .collect();
        assert_eq!(
            found,
            [
                ("\"far away\"", Span::new(6, 23)),
                ("\"and again\"", Span::new(30, 48)),
            ]
        );
    }

    /// The places a query is limited to must not change what it finds:
    /// every Python and Rust fixture and some awkward cases, through every
    /// built-in rule, give the same matches both ways.
    #[test]
    fn query_near_literals_matches_whole_walk() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut sources: Vec<(ArtifactKind, String)> = Vec::new();
        let mut folders = vec![fixtures];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("fixtures are readable") {
                let path = entry.expect("an entry").path();
                let kind = match path.extension().and_then(|e| e.to_str()) {
                    Some("py") => ArtifactKind::Python,
                    Some("rs") => ArtifactKind::Rust,
                    _ if path.is_dir() => {
                        folders.push(path);
                        continue;
                    }
                    _ => continue,
                };
                sources.push((kind, std::fs::read_to_string(&path).expect("a text file")));
            }
        }
        assert!(sources.len() > 20, "found {} fixtures", sources.len());

        let awkward_python = [
            "print(\"print\")  # print\nx = 'print(1)'\nprint\n",
            "try:\n  a()\nexcept Exception:\n  pass\nclass Exceptional: pass\n",
            &"try:\n  a()\nexcept:\n  pass\nprint(1)\n".repeat(12),
            "def f():\n  try: g()\n  except: pass  # except\n",
            "printer = 1\nreprint()\nprint (  \n 'split'\n)\n",
        ];
        for text in awkward_python {
            sources.push((ArtifactKind::Python, text.to_string()));
        }
        let awkward_rust = [
            "fn main() { println!(\"println!\"); /* eprintln!() */ }\n",
            &"fn a() { eprint!(\"x\"); print!(\"y\"); }\n".repeat(10),
            "macro_rules! m { () => { println!() } }\nfn b() { m!(); let println = 1; }\n",
        ];
        for text in awkward_rust {
            sources.push((ArtifactKind::Rust, text.to_string()));
        }

        let rules: Vec<DeclarativeRule> = BUILT_IN
            .iter()
            .map(|(path, text)| parse_rule(path, text).expect("built-in rules are valid"))
            .collect();
        let described = |matches: Vec<QueryMatch>| -> Vec<(Span, String, String)> {
            matches
                .into_iter()
                .map(|m| (m.span, m.message, m.location))
                .collect()
        };
        let mut found = 0;
        for (kind, text) in &sources {
            let tree = match kind {
                ArtifactKind::Python => opslint_syntax::python::parse(text).tree,
                _ => {
                    let tree = opslint_syntax::rust::parse(text).tree;
                    opslint_syntax::rust::release_spans();
                    tree
                }
            };
            let tree = tree.expect("tree-sitter runs");
            let file = SourceFile::new("f".into(), PathBuf::from("f"), text.clone());
            for rule in &rules {
                let (mut near, mut whole) = (Vec::new(), Vec::new());
                rule.match_places(*kind, &file, &tree, &mut near, true);
                rule.match_places(*kind, &file, &tree, &mut whole, false);
                found += whole.len();
                assert_eq!(
                    described(near),
                    described(whole),
                    "{}: {text}",
                    rule.meta.id
                );
            }
        }
        assert!(found > 30, "only {found} matches to compare");
    }

    #[test]
    fn pattern_without_literal_walks_whole_tree() {
        let text = format!(
            "{RULE}\n[[match]]\nlanguage = \"python\"\n\
             query = '(pass_statement) @finding'\nmessage = \"second\"\nlabel = \"l\"\n"
        );
        let rule = parse_rule("x.toml", &text).expect("the rule is valid");
        let joined = rule.queries[0].compiled().expect("compiles");
        assert_eq!(joined.ranges("print(1)"), None);
    }

    #[test]
    fn joined_query_maps_patterns_to_their_match_table() {
        let text = format!(
            "{RULE}\n[[match]]\nlanguage = \"python\"\n\
             query = '(pass_statement) @finding'\nmessage = \"second\"\nlabel = \"l\"\n"
        );
        let rule = parse_rule("x.toml", &text).expect("the rule is valid");
        assert_eq!(rule.queries.len(), 1);
        let joined = &rule.queries[0];
        let query = &joined.compiled().expect("compiles").query;
        assert_eq!(query.pattern_count(), 2);
        assert_eq!(joined.match_of(query, 0), 0);
        assert_eq!(joined.match_of(query, 1), 1);
    }

    #[test]
    fn valid_rule_parses() {
        let rule = parse_rule("x.toml", RULE).expect("the rule is valid");
        assert_eq!(rule.meta.id, "x-rule");
        assert_eq!(rule.meta.severity, Severity::Note);
        assert_eq!(rule.meta.artifacts, [ArtifactKind::Python]);
    }

    #[test]
    fn unknown_principle_points_at_value() {
        let text = RULE.replace("\"observability\"", "\"speed\"");
        let error = parse_rule("x.toml", &text).err().expect("invalid");
        assert_eq!((error.line, error.column), (2, 13));
        assert!(error.message.contains("unknown principle `speed`"));
    }

    #[test]
    fn invalid_query_points_into_query() {
        let text = RULE.replace("(call) @finding", "(call) @finding)");
        let error = parse_rule("x.toml", &text).err().expect("invalid");
        assert_eq!(error.line, 12);
        assert!(
            error.message.contains("invalid tree-sitter query"),
            "{error}"
        );
    }

    #[test]
    fn invalid_toml_names_line() {
        let error = parse_rule("x.toml", "id = \"a\"\nprinciple = \n")
            .err()
            .expect("invalid");
        assert_eq!(error.line, 2);
        assert_eq!(error.to_string().split(':').next(), Some("x.toml"));
    }

    #[test]
    fn missing_match_is_rejected() {
        let text = &RULE[..RULE.find("[[match]]").unwrap()];
        let error = parse_rule("x.toml", text).err().expect("invalid");
        assert!(error.message.contains("match"), "{error}");
    }

    #[test]
    fn unknown_predicate_is_rejected() {
        let text = RULE.replace(
            "(call) @finding",
            "(call function: (identifier) @f (#equals? @f \"print\")) @finding",
        );
        let error = parse_rule("x.toml", &text).err().expect("invalid");
        assert_eq!((error.line, error.column), (12, 43));
        assert!(
            error.message.starts_with("unknown predicate `#equals?`"),
            "{error}"
        );
    }

    #[test]
    fn placeholder_without_capture_is_rejected() {
        let text = RULE
            .replace(
                "(call) @finding",
                "(call function: (identifier) @fn) @finding",
            )
            .replace("message = \"m\"", "message = \"call of {fnn}\"");
        let error = parse_rule("x.toml", &text).err().expect("invalid");
        assert_eq!(error.line, 13);
        assert_eq!(
            error.message,
            "`{fnn}` in `message` names no capture of the query; its captures are @fn, @finding"
        );
        let fine = RULE
            .replace(
                "(call) @finding",
                "(call function: (identifier) @fn) @finding",
            )
            .replace(
                "message = \"m\"",
                "message = \"call of {fn}, see {} or { x }\"",
            );
        assert!(parse_rule("x.toml", &fine).is_ok());
    }

    #[test]
    fn unknown_best_practice_is_rejected() {
        let text = RULE.replace(
            "severity = \"note\"",
            "waf = [\"OPS99\"]\nseverity = \"note\"",
        );
        let error = parse_rule("x.toml", &text).err().expect("invalid");
        assert_eq!(error.line, 3);
        assert!(
            error.message.starts_with("unknown best practice `OPS99`"),
            "{error}"
        );
        let known = RULE.replace(
            "severity = \"note\"",
            "waf = [\"OPS04-BP02\"]\nseverity = \"note\"",
        );
        assert!(parse_rule("x.toml", &known).is_ok());
    }
}
