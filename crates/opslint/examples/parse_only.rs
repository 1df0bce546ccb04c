//! The benchmark floor: walks the given folder in parallel, reads every file
//! that opslint would parse and parses it once with its tree-sitter grammar,
//! nothing else. `bench/run.py` compares opslint's time with this one.
//!
//! Usage: `parse_only PATH` prints the number of files and bytes parsed.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use ignore::{WalkBuilder, WalkState};
use opslint_syntax::classify::{self, PathClass};

fn main() {
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
            let mut yaml = parser(tree_sitter_yaml::LANGUAGE.into());
            let mut json = parser(tree_sitter_json::LANGUAGE.into());
            let mut hcl = parser(tree_sitter_hcl::LANGUAGE.into());
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
                let class = classify::by_path(&path.to_string_lossy(), false, false);
                let parser = match (class, extension(path)) {
                    (PathClass::Skip, _) => return WalkState::Continue,
                    (_, "tf" | "tfvars") => &mut hcl,
                    (_, "json") => &mut json,
                    (_, "yaml" | "yml") => &mut yaml,
                    _ => return WalkState::Continue,
                };
                let Ok(text) = std::fs::read_to_string(path) else {
                    return WalkState::Continue;
                };
                // opslint parses only the JSON files that are CloudFormation.
                if class == PathClass::SniffJson && classify::sniff_json(&text).is_none() {
                    return WalkState::Continue;
                }
                if parser.parse(&text, None).is_some() {
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

fn extension(path: &Path) -> &str {
    path.extension().and_then(|e| e.to_str()).unwrap_or("")
}
