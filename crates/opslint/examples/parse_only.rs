//! The benchmark floor: walks the given folder in parallel, reads every file
//! that opslint would parse and parses it once with the parser opslint uses
//! for its kind, nothing else. `bench/run.py` compares opslint's time with
//! this one.
//!
//! The parsers: tree-sitter YAML, JSON (CloudFormation only), HCL, Rust,
//! Python, bash and Dockerfile, the `toml` crate for Cargo and pyproject
//! manifests, pulldown-cmark for Markdown and the `csv` crate for CSV
//! incident exports. YAML with `{{` in a `templates` folder is masked first,
//! as opslint masks Helm templates: tree-sitter-yaml gives up at the first
//! template action. Rust is parsed with tree-sitter only, as opslint parses
//! it. Unlike this pass, opslint also runs syn on a file where tree-sitter
//! finds a syntax error.
//!
//! Usage: `parse_only PATH` prints the number of files and bytes parsed.

use std::sync::atomic::{AtomicUsize, Ordering};

use ignore::{WalkBuilder, WalkState};
use opslint_core::ArtifactKind;
use opslint_syntax::classify::{self, PathClass};

/// The command line's allocator (see `opslint::allocator`).
#[global_allocator]
static GLOBAL: opslint::allocator::MiMalloc = opslint::allocator::MiMalloc;

/// One parser per grammar, owned by one walker thread.
struct Parsers {
    yaml: tree_sitter::Parser,
    json: tree_sitter::Parser,
    hcl: tree_sitter::Parser,
    rust: tree_sitter::Parser,
    python: tree_sitter::Parser,
    bash: tree_sitter::Parser,
    dockerfile: tree_sitter::Parser,
}

impl Parsers {
    fn new() -> Self {
        Self {
            yaml: parser(tree_sitter_yaml::LANGUAGE.into()),
            json: parser(tree_sitter_json::LANGUAGE.into()),
            hcl: parser(tree_sitter_hcl::LANGUAGE.into()),
            rust: parser(tree_sitter_rust::LANGUAGE.into()),
            python: parser(tree_sitter_python::LANGUAGE.into()),
            bash: parser(tree_sitter_bash::LANGUAGE.into()),
            dockerfile: parser(arborium_dockerfile::language().into()),
        }
    }

    /// Parses `text` as a file of `class`; returns whether a parser ran.
    fn parse(&mut self, class: PathClass, in_templates: bool, text: &str) -> bool {
        // tree-sitter-yaml stops at the first `{{` of a Helm template with
        // an error tree that covers a few lines, so a template (YAML in a
        // `templates` folder) is parsed as opslint parses it: with its
        // actions masked.
        let is_yaml = in_templates
            && match class {
                PathClass::SniffYaml => true,
                PathClass::Known(kind) => kind.is_yaml(),
                _ => false,
            };
        let masked;
        let text = if is_yaml && text.contains("{{") {
            masked = opslint_syntax::helm::mask(text).text;
            masked.as_str()
        } else {
            text
        };
        let parser = match class {
            PathClass::SniffYaml => &mut self.yaml,
            PathClass::SniffJson => {
                // opslint parses only the JSON files that are CloudFormation.
                if classify::sniff_json(text).is_none() {
                    return false;
                }
                &mut self.json
            }
            PathClass::Known(kind) => match kind {
                ArtifactKind::TerraformVars if text.trim_start().starts_with('{') => &mut self.json,
                ArtifactKind::Terraform | ArtifactKind::TerraformVars => &mut self.hcl,
                ArtifactKind::Rust => &mut self.rust,
                ArtifactKind::Python => &mut self.python,
                ArtifactKind::Shell => &mut self.bash,
                ArtifactKind::Dockerfile => &mut self.dockerfile,
                ArtifactKind::CargoManifest | ArtifactKind::PyprojectManifest => {
                    return text.parse::<toml::Table>().is_ok();
                }
                kind if kind.is_yaml() => &mut self.yaml,
                ArtifactKind::OtherJson => &mut self.json,
                ArtifactKind::Markdown => {
                    return pulldown_cmark::Parser::new(text).count() > 0 || text.is_empty();
                }
                ArtifactKind::IncidentExport if !text.trim_start().starts_with(['[', '{']) => {
                    let mut reader = csv::Reader::from_reader(text.as_bytes());
                    return reader.records().count() > 0 || text.is_empty();
                }
                ArtifactKind::IncidentExport => &mut self.json,
                // Makefiles, pip requirements and CODEOWNERS have no parser.
                _ => return false,
            },
            PathClass::Skip => return false,
        };
        parser.parse(text, None).is_some()
    }
}

fn main() {
    // The command line's allocator for tree-sitter, so that both sides pay
    // the same allocator costs.
    #[allow(unsafe_code)]
    // SAFETY: no tree-sitter object and no other thread exists yet.
    unsafe {
        opslint::allocator::use_mimalloc_for_tree_sitter();
    }
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: parse_only PATH");
        std::process::exit(2);
    };
    let files = AtomicUsize::new(0);
    let bytes = AtomicUsize::new(0);
    WalkBuilder::new(&root)
        .hidden(false)
        .require_git(false)
        .build_parallel()
        .run(|| {
            let mut parsers = Parsers::new();
            let files = &files;
            let bytes = &bytes;
            Box::new(move |entry| {
                let Ok(entry) = entry else {
                    return WalkState::Continue;
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return WalkState::Continue;
                }
                let path = entry.path();
                // Charts are not looked up on disk: a template is YAML either way.
                let class = classify::by_path(&path.to_string_lossy(), false, false);
                if class == PathClass::Skip {
                    return WalkState::Continue;
                }
                let Ok(text) = std::fs::read_to_string(path) else {
                    return WalkState::Continue;
                };
                let in_templates = path
                    .ancestors()
                    .skip(1)
                    .any(|folder| folder.file_name().is_some_and(|name| name == "templates"));
                if parsers.parse(class, in_templates, &text) {
                    files.fetch_add(1, Ordering::Relaxed);
                    bytes.fetch_add(text.len(), Ordering::Relaxed);
                }
                WalkState::Continue
            })
        });
    println!(
        "{} files, {} bytes",
        files.load(Ordering::Relaxed),
        bytes.load(Ordering::Relaxed)
    );
}

fn parser(language: tree_sitter::Language) -> tree_sitter::Parser {
    let mut parser = tree_sitter::Parser::new();
    if parser.set_language(&language).is_err() {
        eprintln!("error: a grammar could not be loaded");
        std::process::exit(2);
    }
    parser
}
