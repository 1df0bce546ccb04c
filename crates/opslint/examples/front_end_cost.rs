//! A developer's aid: on one thread, for every file of a folder that opslint
//! parses, times a bare tree-sitter parse of the file and opslint's front end
//! (`opslint_syntax::parse`, which parses and converts), and prints both
//! summed by kind. The difference is what the front end adds to parsing.
//!
//! Usage: `front_end_cost PATH`

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use opslint_core::ArtifactKind;
use opslint_syntax::classify::{self, PathClass};

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: front_end_cost PATH");
        std::process::exit(2);
    };
    let mut totals: BTreeMap<ArtifactKind, (usize, Duration, Duration)> = BTreeMap::new();
    for entry in ignore::WalkBuilder::new(&root)
        .hidden(false)
        .build()
        .flatten()
    {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let (kind, is_json) = match classify::by_path(&path.to_string_lossy(), false, false) {
            PathClass::Known(kind) => (kind, false),
            PathClass::SniffYaml => (classify::sniff_yaml(&text), false),
            PathClass::SniffJson => match classify::sniff_json(&text) {
                Some(kind) => (kind, true),
                None => continue,
            },
            PathClass::Skip => continue,
        };
        let Some(language) = language(kind, is_json) else {
            continue;
        };
        let mut parser = tree_sitter::Parser::new();
        if parser.set_language(&language).is_err() {
            continue;
        }
        let started = Instant::now();
        let tree = parser.parse(&text, None);
        let bare = started.elapsed();
        drop(tree);
        let started = Instant::now();
        let syntax = opslint_syntax::parse(kind, &text, is_json);
        let front_end = started.elapsed();
        drop(syntax);
        let total = totals.entry(kind).or_default();
        total.0 += 1;
        total.1 += bare;
        total.2 += front_end;
    }
    println!("| kind | files | tree-sitter ms | front end ms | ratio |");
    for (kind, (files, bare, front_end)) in totals {
        println!(
            "| {} | {files} | {:.1} | {:.1} | {:.2} |",
            kind.as_str(),
            bare.as_secs_f64() * 1000.0,
            front_end.as_secs_f64() * 1000.0,
            front_end.as_secs_f64() / bare.as_secs_f64().max(1e-9)
        );
    }
}

fn language(kind: ArtifactKind, is_json: bool) -> Option<tree_sitter::Language> {
    Some(match kind {
        _ if is_json => tree_sitter_json::LANGUAGE.into(),
        ArtifactKind::Terraform | ArtifactKind::TerraformVars => tree_sitter_hcl::LANGUAGE.into(),
        ArtifactKind::Rust => tree_sitter_rust::LANGUAGE.into(),
        ArtifactKind::Python => tree_sitter_python::LANGUAGE.into(),
        ArtifactKind::Shell => tree_sitter_bash::LANGUAGE.into(),
        ArtifactKind::Dockerfile => arborium_dockerfile::language().into(),
        ArtifactKind::OtherJson => tree_sitter_json::LANGUAGE.into(),
        kind if kind.is_yaml() => tree_sitter_yaml::LANGUAGE.into(),
        _ => return None,
    })
}
