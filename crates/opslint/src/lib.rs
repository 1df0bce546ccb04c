//! The opslint pipeline: discover, classify, parse, extract facts, build the
//! workspace model, run the rules, filter, and hand the results to an
//! emitter.

use std::collections::BTreeMap;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use opslint_core::{ArtifactKind, RuleMeta, Sink, SourceFile, Span, tool_rules};
use opslint_lints::Rule;
use opslint_model::{Artifact, Facts, Workspace};
use opslint_syntax::classify::{self, PathClass};
use opslint_syntax::discover::{self, FoundFile};
use rayon::prelude::*;

pub mod answers;
pub mod inventory;

pub use inventory::AcceptedFinding;

/// Files larger than this are skipped with a notice: generated or vendored
/// data, not configuration a person maintains.
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// Rule ids to run; all when empty.
    pub select: Vec<String>,
    /// Rule ids never to run.
    pub ignore: Vec<String>,
    /// Folder that output paths are relative to.
    pub root: PathBuf,
    /// ADR folders and incident column mapping.
    pub records: opslint_records::Config,
}

/// The results of a run, sorted deterministically.
pub struct Outcome {
    pub sink: Sink,
    pub files: BTreeMap<String, Arc<SourceFile>>,
    pub file_count: usize,
    pub notices: Vec<String>,
    pub rules: Vec<&'static RuleMeta>,
    /// Findings that an accepted ADR names as known risks; they are not in
    /// `sink.diagnostics` and do not affect the exit code.
    pub accepted: Vec<AcceptedFinding>,
    /// Services, artifacts, ADRs and incidents of the run, for the report.
    pub inventory: opslint_report::analysis::Inventory,
}

/// Fails when a selected or ignored rule id does not exist.
pub fn check_rule_ids(options: &Options) -> Result<(), String> {
    for id in options.select.iter().chain(&options.ignore) {
        if opslint_lints::meta(id).is_none() {
            return Err(format!(
                "unknown rule `{id}`; `opslint rules` lists the rule ids"
            ));
        }
    }
    Ok(())
}

pub fn run(options: &Options) -> Outcome {
    let discovery = discover::discover(&options.paths, &options.root);
    let mut sink = Sink::new();
    let mut notices = Vec::new();
    for error in &discovery.errors {
        let file = SourceFile::new(
            error.path.clone(),
            PathBuf::from(&error.path),
            String::new(),
        );
        sink.violation(
            &tool_rules::IO_ERROR,
            &file,
            Span::default(),
            "",
            format!("cannot read `{}`: {}", error.path, error.message),
            "",
        );
    }

    let processed: Vec<Processed> = discovery
        .files
        .par_iter()
        .filter_map(|found| process_file(found, &options.records))
        .collect();

    let mut artifacts = Vec::new();
    let mut files = BTreeMap::new();
    for item in processed {
        notices.extend(item.notices);
        sink.extend(item.sink);
        if let Some(artifact) = item.artifact {
            files.insert(artifact.file.path.clone(), Arc::clone(&artifact.file));
            artifacts.push(artifact);
        }
    }
    let file_count = artifacts.len();
    let mut workspace = Workspace::new(artifacts);
    workspace.folders_walked = options.paths.iter().any(|path| path.is_dir());

    let rules: Vec<&'static dyn Rule> = opslint_lints::all()
        .into_iter()
        .filter(|rule| is_enabled(rule.meta().id, options))
        .collect();
    let sinks: Vec<Sink> = rules
        .par_iter()
        .map(|rule| run_rule(*rule, &workspace))
        .collect();
    for rule_sink in sinks {
        sink.extend(rule_sink);
    }
    sink.diagnostics
        .retain(|d| d.rule.principle.is_some() || !options.ignore.iter().any(|id| id == d.rule.id));
    sink.sort();
    let accepted = inventory::accept_risks(&workspace, &mut sink.diagnostics);
    for finding in &accepted {
        notices.push(format!(
            "{}:{}: `{}` finding accepted as a known risk by {} (`{}`)",
            finding.diagnostic.path,
            finding.diagnostic.start.line,
            finding.diagnostic.rule.id,
            finding.adr,
            finding.adr_path
        ));
    }
    notices.sort();
    let inventory = inventory::build(&workspace);

    let mut metas: Vec<&'static RuleMeta> = rules.iter().map(|rule| rule.meta()).collect();
    metas.extend(tool_rules::ALL);
    Outcome {
        sink,
        files,
        file_count,
        notices,
        rules: metas,
        accepted,
        inventory,
    }
}

fn is_enabled(id: &str, options: &Options) -> bool {
    (options.select.is_empty() || options.select.iter().any(|s| s == id))
        && !options.ignore.iter().any(|s| s == id)
}

/// Runs one rule; a panic becomes an `internal-error` diagnostic so the other
/// rules' results are kept.
fn run_rule(rule: &'static dyn Rule, workspace: &Workspace) -> Sink {
    let mut sink = Sink::new();
    let result = catch_unwind(AssertUnwindSafe(|| rule.check(workspace, &mut sink)));
    if let Err(panic) = result {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let mut fresh = Sink::new();
        let file = SourceFile::new(String::new(), PathBuf::new(), String::new());
        fresh.violation(
            &tool_rules::INTERNAL_ERROR,
            &file,
            Span::default(),
            rule.meta().id,
            format!("rule `{}` failed: {message}", rule.meta().id),
            "",
        );
        return fresh;
    }
    sink
}

struct Processed {
    artifact: Option<Artifact>,
    sink: Sink,
    notices: Vec<String>,
}

/// Classifies, reads, parses and extracts the facts of one file.
fn process_file(found: &FoundFile, records: &opslint_records::Config) -> Option<Processed> {
    let path_class = classify::by_path(
        &found.display_path,
        classify::in_chart_templates(&found.disk_path),
        classify::beside_chart(&found.disk_path),
    );
    if path_class == PathClass::Skip {
        return None;
    }
    let mut processed = Processed {
        artifact: None,
        sink: Sink::new(),
        notices: Vec::new(),
    };
    let text = match read_text(&found.disk_path) {
        Ok(ReadText::Text(text, lossy)) => {
            if lossy {
                processed.notices.push(format!(
                    "{}: not valid UTF-8; invalid bytes were replaced before checking",
                    found.display_path
                ));
            }
            text
        }
        Ok(ReadText::Binary) => return None,
        Ok(ReadText::TooLarge(size)) => {
            processed.notices.push(format!(
                "{}: skipped, {} MiB is over the {} MiB limit",
                found.display_path,
                size / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ));
            return Some(processed);
        }
        Err(error) => {
            let file = SourceFile::new(
                found.display_path.clone(),
                found.disk_path.clone(),
                String::new(),
            );
            processed.sink.violation(
                &tool_rules::IO_ERROR,
                &file,
                Span::default(),
                "",
                format!("cannot read `{}`: {error}", found.display_path),
                "",
            );
            return Some(processed);
        }
    };

    let (kind, is_json) = match path_class {
        PathClass::Known(kind) => (kind, false),
        PathClass::SniffYaml => (classify::sniff_yaml(&text), false),
        PathClass::SniffJson => match classify::sniff_json(&text) {
            Some(kind) => (kind, true),
            None => return None,
        },
        PathClass::Skip => return None,
    };
    let file = Arc::new(SourceFile::new(
        found.display_path.clone(),
        found.disk_path.clone(),
        text,
    ));
    let syntax = opslint_syntax::parse(kind, &file.text, is_json);
    for error in syntax.errors() {
        processed.sink.violation(
            &tool_rules::PARSE_ERROR,
            &file,
            error.span,
            error.message.clone(),
            error.message.clone(),
            "here",
        );
    }
    let facts = match opslint_records::extract(kind, &file, records) {
        Some(record) => {
            report_record_problems(&record, &file, &mut processed.sink);
            Facts::Record(record)
        }
        None => opslint_model::extract(kind, &file, syntax),
    };
    processed.artifact = Some(Artifact { file, kind, facts });
    Some(processed)
}

/// Rows of an incident export that could not be read become `parse-error`
/// findings at their line; the rows that could be read are still used.
fn report_record_problems(record: &opslint_records::Record, file: &SourceFile, sink: &mut Sink) {
    if let opslint_records::Record::Incidents(export) = record {
        for problem in &export.problems {
            sink.violation(
                &tool_rules::PARSE_ERROR,
                file,
                problem.span,
                problem.message.clone(),
                problem.message.clone(),
                "here",
            );
        }
    }
}

enum ReadText {
    /// The text, and whether invalid UTF-8 was replaced.
    Text(String, bool),
    Binary,
    TooLarge(u64),
}

fn read_text(path: &Path) -> std::io::Result<ReadText> {
    let mut handle = std::fs::File::open(path)?;
    let size = handle.metadata()?.len();
    if size > MAX_FILE_BYTES {
        return Ok(ReadText::TooLarge(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    handle.read_to_end(&mut bytes)?;
    if bytes[..bytes.len().min(8000)].contains(&0) {
        return Ok(ReadText::Binary);
    }
    // Editors do not count a byte-order mark as a column, so drop it.
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    Ok(match std::str::from_utf8(body) {
        Ok(text) => ReadText::Text(text.to_string(), false),
        Err(_) => ReadText::Text(String::from_utf8_lossy(body).into_owned(), true),
    })
}

/// The kinds opslint reads, for `--help` and the rules table.
pub fn artifact_kind_names() -> Vec<&'static str> {
    [
        ArtifactKind::Kubernetes,
        ArtifactKind::HelmTemplate,
        ArtifactKind::CloudFormation,
        ArtifactKind::Terraform,
        ArtifactKind::DockerCompose,
        ArtifactKind::GithubWorkflow,
    ]
    .iter()
    .map(|kind| kind.as_str())
    .collect()
}

/// Builds the analysis report of a run, with the team's answers.
pub fn analysis(
    outcome: &Outcome,
    target: &str,
    answers: &[opslint_report::analysis::Answer],
) -> opslint_report::analysis::Analysis {
    let accepted: Vec<opslint_report::analysis::AcceptedRisk> = outcome
        .accepted
        .iter()
        .map(|finding| opslint_report::analysis::AcceptedRisk {
            rule: finding.diagnostic.rule.id.to_string(),
            path: finding.diagnostic.path.clone(),
            line: finding.diagnostic.start.line,
            message: finding.diagnostic.message.clone(),
            adr: finding.adr.clone(),
            adr_path: finding.adr_path.clone(),
        })
        .collect();
    opslint_report::analysis::build(&opslint_report::analysis::Input {
        target,
        file_count: outcome.file_count,
        diagnostics: &outcome.sink.diagnostics,
        questions: &outcome.sink.questions,
        evidence: &outcome.sink.evidence,
        accepted: &accepted,
        inventory: &outcome.inventory,
        answers,
    })
}
