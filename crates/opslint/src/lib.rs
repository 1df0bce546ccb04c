//! The opslint pipeline: discover, classify, parse, extract facts, build the
//! workspace model, run the rules, filter, and hand the results to an
//! emitter.

// Data read from files must never panic the linter; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opslint_core::config::Config;
use opslint_core::{ArtifactKind, Diagnostic, RuleMeta, Sink, SourceFile, Span, tool_rules};
use opslint_lints::Rule;
use opslint_lints::declarative::ConfigError;
use opslint_model::{Artifact, Facts, Workspace};
use opslint_syntax::classify::{self, PathClass};
use opslint_syntax::discover::{self, FoundFile};
use rayon::prelude::*;

pub mod allocator;
pub mod answers;
pub mod baseline;
pub mod inventory;
mod outside;
pub mod progress;
pub mod reference;
pub mod suppress;

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
    /// The project configuration: excluded paths, severities and per-path
    /// ignores. `select` and `ignore` above already include its lists.
    pub config: Option<Arc<Config>>,
    /// Display paths of the files changed since a git reference
    /// (`--changed-since`). Every file is still analysed, so rules see the
    /// whole repository, but only findings and questions in these files are
    /// kept, except those of [`WORKSPACE_RULES`] and those about paths that
    /// are not an analysed file (unreadable folders, for example).
    pub changed: Option<std::collections::BTreeSet<String>>,
    /// Progress bar for the file and rule phases; `None` draws nothing.
    pub progress: Option<progress::Progress>,
    /// Folders of declarative rule files (`*.toml`) to run besides the
    /// built-in rules.
    pub rule_folders: Vec<PathBuf>,
    /// ADR folders and incident column mapping.
    pub records: opslint_records::Config,
    /// The process exits soon after the run, so the model is left for the
    /// operating system to reclaim instead of being freed value by value,
    /// which a profile put at three percent of a 20,000-file run.
    pub exits_after_run: bool,
    /// Whether to collect [`Outcome::inventory`] and the rules' evidence
    /// (`sink.evidence`), which only [`analysis`] reads. A check leaves both
    /// empty.
    pub collect_inventory: bool,
}

/// Rules whose findings depend on several files, so a change in one file can
/// create a finding in another. `--changed-since` keeps all their findings.
/// Every rule so far reports its finding in the file that causes it.
pub const WORKSPACE_RULES: &[&str] = &[];

/// The results of a run, sorted deterministically.
pub struct Outcome {
    pub sink: Sink,
    /// Findings that a suppression comment, the configuration or a baseline
    /// hides, each with its `suppression` set.
    pub suppressed: Vec<Diagnostic>,
    pub files: BTreeMap<String, Arc<SourceFile>>,
    pub file_count: usize,
    pub notices: Vec<String>,
    pub rules: Vec<&'static RuleMeta>,
    /// Findings that an accepted ADR names as known risks; they are not in
    /// `sink.diagnostics` and do not affect the exit code.
    pub accepted: Vec<AcceptedFinding>,
    /// Services, artifacts, ADRs and incidents of the run, for the report.
    /// It is empty unless [`Options::collect_inventory`] is set.
    pub inventory: opslint_report::analysis::Inventory,
    /// Fingerprints of the findings whose inline suppression has expired;
    /// a baseline leaves them out, so that recording it again does not
    /// undo the expiry.
    pub expired_suppressions: Vec<String>,
}

/// Returns the ADR folders and incident paths that a run on folders must
/// walk because they lie outside every walked folder: the configured ones
/// and the usual ADR folders at the root of the repository around a walked
/// subfolder. A notice names each configured place that does not exist,
/// which is most likely a typo. A check reports nothing in their files; a
/// report covers them.
fn record_roots(options: &Options, folders_walked: bool) -> (Vec<PathBuf>, Vec<String>) {
    let walked: Vec<PathBuf> = options
        .paths
        .iter()
        .filter(|path| path.is_dir())
        .filter_map(|path| options.root.join(path).canonicalize().ok())
        .collect();
    let places = options
        .records
        .adr_folders
        .iter()
        .map(|place| (place, "ADR folder", "`adr-paths` or `--adr-dir`"))
        .chain(
            options
                .records
                .incident_paths
                .iter()
                .map(|place| (place, "incident path", "`incident-paths`")),
        );
    let mut roots = Vec::new();
    let mut notices = Vec::new();
    // The ADR folders and CODEOWNERS files at the root of the repository
    // around a walked subfolder exist, so they need no notice.
    if folders_walked {
        let folders = outside::repository_adr_folders(&options.paths, &options.root);
        let owners = outside::repository_codeowners(&options.paths, &options.root);
        for folder in folders.into_iter().chain(owners) {
            if let Ok(canonical) = options.root.join(&folder).canonicalize()
                && !walked.iter().any(|walked| canonical.starts_with(walked))
            {
                roots.push(options.root.join(folder));
            }
        }
    }
    for (place, what, source) in places {
        let path = options.root.join(place);
        let Ok(canonical) = path.canonicalize() else {
            notices.push(format!(
                "the {what} `{place}` (from {source}) does not exist"
            ));
            continue;
        };
        if folders_walked && !walked.iter().any(|folder| canonical.starts_with(folder)) {
            roots.push(path);
        }
    }
    (roots, notices)
}

/// Loads the declarative rules of every folder in `options.rule_folders`.
pub fn user_rules(options: &Options) -> Result<Vec<&'static dyn Rule>, ConfigError> {
    let mut rules = Vec::new();
    for folder in &options.rule_folders {
        rules.extend(opslint_lints::declarative::load_folder(folder)?);
    }
    Ok(rules)
}

/// Fails when a rule folder holds an invalid rule file, or when a selected
/// or ignored rule id does not exist.
pub fn check_rule_ids(options: &Options) -> Result<(), String> {
    let user = user_rules(options).map_err(|error| format!("invalid user rules: {error}"))?;
    for id in options.select.iter().chain(&options.ignore) {
        let is_user_rule = user.iter().any(|rule| rule.meta().id == id);
        if opslint_lints::meta(id).is_none() && !is_user_rule {
            return Err(unknown_rule_message(id));
        }
    }
    Ok(())
}

/// Stack size of the worker threads that parse files and run rules. syn,
/// which confirms syntax errors in Rust files, parses by recursion, and
/// within the nesting the Rust front end lets through (256 syntax levels),
/// 200 nested closures overflowed the 2 MiB default of spawned threads in a
/// debug build. The memory is reserved, not used, until a thread needs it.
pub const WORKER_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Gives rayon's global pool stacks of [`WORKER_STACK_BYTES`]. It takes
/// effect only if nothing used the pool before the first run, and later
/// calls do nothing.
fn configure_workers() {
    static CONFIGURED: std::sync::Once = std::sync::Once::new();
    CONFIGURED.call_once(|| {
        let _ = rayon::ThreadPoolBuilder::new()
            .stack_size(WORKER_STACK_BYTES)
            .build_global();
    });
}

/// Points each finding reported at a call of a shared Terraform module
/// (logical location `module.NAME.TYPE.LABEL...`) to the resource's block in
/// the module, where a suppression comment covers every call.
fn link_module_resources(workspace: &Workspace, sink: &mut Sink) {
    // The module folder and resource address of each such finding.
    let targets: Vec<Option<(&str, String)>> = sink
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let rest = diagnostic.logical_location.strip_prefix("module.")?;
            let (module, address) = rest.split_once('.')?;
            let address = address.split('/').next().unwrap_or(address);
            let folder = workspace
                .terraform_index
                .called_folder(&diagnostic.path, module)?;
            Some((folder, address.to_string()))
        })
        .collect();
    if targets.iter().all(Option::is_none) {
        return;
    }

    // The blocks of the resources those findings name, found in one pass.
    let wanted: BTreeSet<(&str, &str)> = targets
        .iter()
        .flatten()
        .map(|(folder, address)| (*folder, address.as_str()))
        .collect();
    let mut blocks: BTreeMap<(&str, String), (String, std::ops::RangeInclusive<usize>)> =
        BTreeMap::new();
    for (artifact, terraform) in workspace.terraform() {
        let folder = opslint_model::terraform_eval::folder_of(&artifact.file.path);
        for resource in terraform.resources() {
            let address = resource.address();
            if !wanted.contains(&(folder, address.as_str())) {
                continue;
            }
            let span = resource.block.span;
            let first = artifact.file.position(span.start).line;
            let last = artifact.file.position(span.end).line;
            blocks.insert(
                (folder, address),
                (artifact.file.path.clone(), first..=last),
            );
        }
    }

    for (diagnostic, target) in sink.diagnostics.iter_mut().zip(targets) {
        if let Some(key) = target {
            diagnostic.also_suppressed_at = blocks.get(&key).cloned().map(Box::new);
        }
    }
}

/// Names the local Terraform modules that checked files call and that
/// were not found on disk: their resources are not checked, and the values
/// the calls pass them are not judged. Modules outside the checked folders
/// that exist are read as context (see `outside::missing_terraform_modules`).
/// Returns a notice for each checked folder inside a Rust or Python project
/// whose project file is above it, because the rules about services then see
/// only part of the project: its server, routes and telemetry setup may sit
/// outside the folder. Only code whose project file the run does not read
/// leads to a notice.
fn projects_outside_run(workspace: &Workspace, options: &Options) -> Vec<String> {
    let mut rust_projects = HashSet::new();
    let mut python_projects = HashSet::new();
    for artifact in &workspace.artifacts {
        let path = artifact.file.path.as_str();
        let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
        match artifact.kind {
            ArtifactKind::CargoManifest => {
                rust_projects.insert(folder);
            }
            ArtifactKind::Dockerfile => {
                rust_projects.insert(folder);
                python_projects.insert(folder);
            }
            ArtifactKind::PyprojectManifest | ArtifactKind::PipRequirements => {
                python_projects.insert(folder);
            }
            ArtifactKind::Python if name == "setup.py" => {
                python_projects.insert(folder);
            }
            _ => {}
        }
    }
    // Whether a project file of the run is in the file's folder or above it.
    let in_project = |path: &str, projects: &HashSet<&str>| {
        let mut rest = path;
        while let Some((folder, _)) = rest.rsplit_once('/') {
            if projects.contains(folder) {
                return true;
            }
            rest = folder;
        }
        projects.contains("")
    };
    let mut names: Vec<&'static str> = Vec::new();
    for (artifact, _) in workspace.code() {
        if opslint_model::service::is_test_path(&artifact.file.path) {
            continue;
        }
        let (projects, files): (_, &[&'static str]) = if artifact.kind == ArtifactKind::Rust {
            (&rust_projects, &outside::RUST_PROJECT_FILES)
        } else {
            (&python_projects, &outside::PYTHON_PROJECT_FILES)
        };
        if !in_project(&artifact.file.path, projects) {
            for name in files {
                if !names.contains(name) {
                    names.push(name);
                }
            }
        }
    }
    if names.is_empty() {
        return Vec::new();
    }
    let working_folder = options
        .root
        .canonicalize()
        .unwrap_or_else(|_| options.root.clone());
    options
        .paths
        .iter()
        .filter(|path| path.is_dir())
        .filter_map(|folder| {
            let (project_folder, marker) =
                outside::enclosing_project(&options.root.join(folder), &options.root, &names)?;
            // A project at or above the working folder is named as `.` or `../..`.
            let project = match working_folder.strip_prefix(&project_folder) {
                Ok(below) if below.as_os_str().is_empty() => ".".to_string(),
                Ok(below) => vec![".."; below.components().count()].join("/"),
                Err(_) => discover::display_path(&project_folder, &working_folder),
            };
            Some(format!(
                "`{}` is inside the project `{project}` (it has `{marker}`), whose other \
                 files this run does not read, so the rules about services and service code, \
                 such as `service-without-metrics` and `print-instead-of-logging`, see only \
                 part of it; check `{project}` to judge the whole service",
                folder.display()
            ))
        })
        .collect()
}

fn modules_outside_run(workspace: &Workspace) -> Vec<String> {
    workspace
        .terraform_index
        .called_modules()
        .filter(|(folder, _)| {
            let prefix = format!("{folder}/");
            let position = workspace
                .artifacts
                .partition_point(|artifact| artifact.file.path.as_str() < prefix.as_str());
            // A module is the `.tf` files directly in its folder; a checked
            // subfolder, such as the module's own examples, does not count.
            !workspace.artifacts[position..]
                .iter()
                .take_while(|artifact| artifact.file.path.starts_with(&prefix))
                .any(|artifact| {
                    artifact.kind == ArtifactKind::Terraform
                        && !artifact.file.path[prefix.len()..].contains('/')
                })
        })
        .map(|(folder, caller)| {
            format!(
                "{caller}: local module `{folder}` was not found, so its resources and the \
                 inputs passed to it are not checked"
            )
        })
        .collect()
}

/// Returns a notice for each column that `[incident-columns]` maps a field
/// to but that no incident export of the run has, naming the configuration
/// file and the exports read. The run goes on with the usual column names.
fn incident_columns_in_no_export(workspace: &Workspace, options: &Options) -> Vec<String> {
    let exports: Vec<(&str, &opslint_records::incidents::IncidentExport)> = workspace
        .records()
        .filter_map(|(artifact, record)| match record {
            opslint_records::Record::Incidents(export) => {
                Some((artifact.file.path.as_str(), export))
            }
            _ => None,
        })
        .collect();
    let records: Vec<&opslint_records::incidents::IncidentExport> =
        exports.iter().map(|(_, export)| *export).collect();
    let unmatched = opslint_records::incidents::columns_in_no_export(
        &options.records.incident_columns,
        &records,
    );
    if unmatched.is_empty() {
        return Vec::new();
    }
    let config = options.config.as_ref().map_or_else(
        || "the configuration".to_string(),
        |config| format!("`{}`", discover::display_path(&config.path, &options.root)),
    );
    // A long list of exports would hide the message, so only the first few
    // are named.
    const NAMED_EXPORTS: usize = 3;
    let mut paths: Vec<String> = exports
        .iter()
        .take(NAMED_EXPORTS)
        .map(|(path, _)| format!("`{path}`"))
        .collect();
    if exports.len() > NAMED_EXPORTS {
        paths.push(format!("{} more", exports.len() - NAMED_EXPORTS));
    }
    unmatched
        .into_iter()
        .map(|(field, column)| {
            format!(
                "{config}: `[incident-columns]` maps `{field}` to the column `{column}`, but no \
                 incident export has that column ({}); use a column name from an export's header",
                paths.join(", ")
            )
        })
        .collect()
}

pub fn run(options: &Options) -> Outcome {
    configure_workers();
    let mut timings = Timings::from_env();
    let folders_walked = options.paths.iter().any(|path| path.is_dir());
    let (record_roots, missing_record_paths) = record_roots(options, folders_walked);
    let mut discovery = discover::discover(&options.paths, &options.root);
    // Files read for other files' sake, whose own findings are not
    // reported: see `context_files` and `record_roots`.
    let mut context = BTreeSet::new();
    if !record_roots.is_empty() {
        let records = discover::discover(&record_roots, &options.root);
        for file in records.files {
            // The report covers the team's records wherever they are. A
            // check of some folders reads them only for accepted risks and
            // for the rules that compare records with code.
            if !options.collect_inventory {
                context.insert(file.display_path.clone());
            }
            discovery.files.push(file);
        }
        discovery.errors.extend(records.errors);
        discovery
            .files
            .sort_by(|a, b| a.display_path.cmp(&b.display_path));
        discovery
            .files
            .dedup_by(|a, b| a.display_path == b.display_path);
    }
    timings.phase("discover");
    if let Some(config) = &options.config {
        discovery
            .files
            .retain(|found| !config.is_excluded(&options.root.join(&found.display_path)));
    }
    let mut sink = Sink::new();
    let mut notices = missing_record_paths;
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

    let mut all_rules = opslint_lints::all();
    #[cfg(test)]
    all_rules.push(&tests::PanickingRule);
    match user_rules(options) {
        Ok(user) => all_rules.extend(user),
        Err(error) => notices.push(format!(
            "invalid user rules, their folder was skipped: {error}"
        )),
    }
    // Every loaded rule, selected or not, so that a suppression comment for
    // a user-written rule is not reported as naming an unknown rule.
    let loaded_ids: Vec<&'static str> = all_rules.iter().map(|rule| rule.meta().id).collect();
    let rules: Vec<&'static dyn Rule> = all_rules
        .into_iter()
        .filter(|rule| is_enabled(rule.meta().id, options))
        .filter(|rule| folders_walked || !rule.needs_other_files())
        .collect();
    let selected_any = all_rules_selected(&loaded_ids, options);
    if !selected_any {
        notices.push(
            "no rule runs: `--select` and `--ignore` (or the configuration's `select` and \
             `ignore`) leave none of the rules"
                .to_string(),
        );
    }
    // A run on named files reads the deploy-tool and main compose files
    // that can clear findings in them, and reports nothing in those.
    if !folders_walked {
        let found = outside::context_files(&discovery.files, &options.root);
        context.extend(found.iter().map(|file| file.display_path.clone()));
        discovery.files.extend(found);
        discovery
            .files
            .sort_by(|a, b| a.display_path.cmp(&b.display_path));
    }
    if let Some(progress) = &options.progress {
        progress.start("files", discovery.files.len());
    }
    let charts = ChartFolders::find(&discovery.files);
    let repository = outside::RepositoryRoot::find(&options.root, &options.paths);
    timings.phase("find charts and the repository");
    // Files named on the command line that opslint does not read. When it
    // reads none of them, each gets a notice, so that "No findings in 0
    // files" is not all the output. A pre-commit hook passes every staged
    // text file, so skipped files among read ones stay quiet.
    let named: Vec<&PathBuf> = options.paths.iter().filter(|path| path.is_file()).collect();
    let skipped = std::sync::Mutex::new(Vec::new());
    let process = |found: &FoundFile| {
        process_file(
            found,
            &charts,
            repository.as_ref(),
            &options.records,
            &rules,
            &timings,
        )
    };
    let processed: Vec<Processed> = discovery
        .files
        .par_iter()
        .filter_map(|found| {
            let processed = process(found);
            if let Some(progress) = &options.progress {
                progress.advance();
            }
            if processed.is_none() && named.contains(&&found.disk_path) {
                let mut skipped = skipped.lock().unwrap_or_else(|poison| poison.into_inner());
                skipped.push(skipped_notice(&found.display_path));
            }
            processed
        })
        .collect();
    // The walker threads allocated the found paths, and freeing them from
    // this thread took about 1.6 ms at 20,000 files while the pool waited.
    if options.exits_after_run {
        std::mem::forget(discovery);
    } else {
        rayon::spawn(move || drop(discovery));
    }
    if !named.is_empty() && processed.iter().all(|item| item.artifact.is_none()) {
        let mut skipped = skipped
            .into_inner()
            .unwrap_or_else(|poison| poison.into_inner());
        skipped.sort();
        notices.extend(skipped);
    }

    let mut artifacts = Vec::with_capacity(processed.len());
    let mut file_sinks = Vec::with_capacity(processed.len());
    // Files skipped with a notice of their own (binary, too large) explain
    // an empty run already.
    let skips_explained = processed
        .iter()
        .any(|item| item.artifact.is_none() && !item.notices.is_empty());
    for item in processed {
        notices.extend(item.notices);
        file_sinks.push(item.sink);
        artifacts.extend(item.artifact);
    }
    sink.merge(file_sinks);
    // A checked folder's Terraform calls local modules outside it, as
    // `live/prod` calls `../../modules/db`: they are read as context, so
    // their resources are judged with the values the calls pass.
    if folders_walked {
        for _ in 0..MODULE_CONTEXT_DEPTH {
            let found = outside::missing_terraform_modules(&artifacts, &options.root);
            if found.is_empty() {
                break;
            }
            context.extend(found.iter().map(|file| file.display_path.clone()));
            artifacts.extend(
                found
                    .iter()
                    .filter_map(|found| process(found).and_then(|processed| processed.artifact)),
            );
            artifacts.sort_by(|a, b| a.file.path.cmp(&b.file.path));
        }
    }
    timings.phase("read, parse, extract facts");
    // The artifacts are in path order, so the map is built in one pass
    // instead of by one insert per file.
    // Files read as context are kept apart: their comments can cover
    // findings, but they are not counted or reported.
    let (context_entries, entries): (Vec<_>, Vec<_>) = artifacts
        .iter()
        .map(|artifact| (artifact.file.path.clone(), Arc::clone(&artifact.file)))
        .partition(|(path, _)| context.contains(path));
    let context_files: BTreeMap<String, Arc<SourceFile>> = context_entries.into_iter().collect();
    let mut files: BTreeMap<String, Arc<SourceFile>> = entries.into_iter().collect();
    let file_count = files.len();
    if file_count == 0 && folders_walked && !skips_explained {
        let folders: Vec<String> = options
            .paths
            .iter()
            .filter(|path| path.is_dir())
            .map(|path| format!("`{}`", path.display()))
            .collect();
        notices.push(format!(
            "no file that opslint checks was found in {}; `opslint rules --help` lists the kinds it reads (under `--artifact`)",
            folders.join(", ")
        ));
    }
    let mut workspace = Workspace::new(artifacts);
    workspace.folders_walked = folders_walked;
    workspace.working_folder = opslint_model::WorkingFolder {
        name: options
            .root
            .canonicalize()
            .ok()
            .and_then(|folder| {
                folder
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
            })
            .unwrap_or_default(),
        repository_prefix: repository
            .as_ref()
            .map(|root| root.prefix().to_string())
            .unwrap_or_default(),
        nested_roots: repository
            .as_ref()
            .map(|root| root.nested().to_vec())
            .unwrap_or_default(),
    };
    if workspace.folders_walked {
        workspace.outside = outside::find(&options.paths, &options.root);
        notices.extend(modules_outside_run(&workspace));
        notices.extend(projects_outside_run(&workspace, options));
    }
    notices.extend(incident_columns_in_no_export(&workspace, options));
    timings.phase("join the model");

    if let Some(progress) = &options.progress {
        progress.start("rules", rules.len());
    }
    // The inventory for reports is built beside the rules, filling the time
    // in which the last rules run on one core.
    // Room for a few findings per file up front. Otherwise the list grows
    // by doubling as rules finish, and at each step the old and the new
    // buffer both exist, which made it the largest allocation of a run.
    // Capacity that no finding uses is never touched, so it costs address
    // space, not memory.
    let files_read = workspace.artifacts.len();
    sink.diagnostics.reserve(
        files_read
            .saturating_mul(FINDINGS_PER_FILE_HINT)
            .min(MAX_RESERVED_FINDINGS),
    );
    sink.questions
        .reserve(files_read.min(MAX_RESERVED_FINDINGS));
    let merged = Mutex::new(sink);
    let ((), inventory) = rayon::join(
        || {
            run_rules(&rules, &workspace, &merged, |rule| {
                let started = Instant::now();
                let sink = run_rule(rule, &workspace, options.collect_inventory);
                timings.rule(rule.meta().id, started.elapsed());
                if let Some(progress) = &options.progress {
                    progress.advance();
                }
                sink
            });
        },
        || {
            if options.collect_inventory {
                inventory::build(&workspace)
            } else {
                opslint_report::analysis::Inventory::default()
            }
        },
    );
    if let Some(progress) = &options.progress {
        progress.finish();
    }
    timings.phase("rules and inventory");
    let mut sink = merged
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    // The suppression checks that the run reports, like any rule only when
    // selected and not ignored.
    let suppression_checks: Vec<&'static str> = [
        tool_rules::INVALID_SUPPRESSION.id,
        tool_rules::UNUSED_SUPPRESSION.id,
    ]
    .into_iter()
    .filter(|id| is_enabled(id, options))
    .collect();
    if !suppression_checks.is_empty() {
        let whole_repository = options
            .paths
            .iter()
            .any(|path| outside::is_repository_root(&options.root.join(path)));
        inventory::check_acceptances(
            &workspace,
            &|id| is_known_rule(id) || loaded_ids.contains(&id),
            whole_repository,
            &suppression_checks,
            &mut sink,
        );
    }
    // Context files are checked like others, but nothing in them is
    // reported.
    if !context.is_empty() {
        keep_named_files_findings(&mut sink, &context, &mut files, &workspace, folders_walked);
    }
    sink.diagnostics
        .retain(|d| d.rule.principle.is_some() || !options.ignore.iter().any(|id| id == d.rule.id));
    apply_severity_overrides(&mut sink, options);
    link_module_resources(&workspace, &mut sink);
    timings.phase("check acceptances and link module resources");
    sink.sort();
    timings.phase("sort");
    let named_files_adrs = adrs_for_named_files(options, &workspace, &sink.diagnostics);
    let accepted = inventory::accept_risks(&workspace, &named_files_adrs, &mut sink.diagnostics);
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
    timings.phase("accepted risks");
    if options.exits_after_run {
        std::mem::forget(workspace);
    } else {
        // Freeing every value tree took three percent of a large run on the
        // main thread, so a pool thread frees them while the results are
        // written.
        rayon::spawn(move || drop(workspace));
    }

    let mut enabled: Vec<&'static str> = rules.iter().map(|rule| rule.meta().id).collect();
    enabled.extend(
        tool_rules::ALL
            .iter()
            .map(|meta| meta.id)
            .filter(|id| !options.ignore.iter().any(|ignored| ignored == id)),
    );
    let today = suppress::today();
    let reported_before = sink.diagnostics.len();
    let suppress::Applied {
        mut suppressed,
        expired,
    } = suppress::apply(
        &mut sink,
        &suppress::Context {
            files: &files,
            context_files: &context_files,
            config: options.config.as_deref(),
            root: &options.root,
            enabled: &enabled,
            is_known_rule: &|id: &str| is_known_rule(id) || loaded_ids.contains(&id),
            reported: &suppression_checks,
            today: &today,
        },
    );
    // Taking suppressed findings out keeps the rest in order, so only the
    // findings about suppression comments themselves need sorting in.
    if sink.diagnostics.len() + suppressed.len() != reported_before {
        sink.sort();
    }
    // Risks that ADRs accept are kept like other suppressed findings, so
    // that SARIF shows them as dismissed and JSON lists them.
    suppressed.extend(accepted.iter().map(|finding| {
        let mut diagnostic = finding.diagnostic.clone();
        diagnostic.suppression = Some(Box::new(opslint_core::Suppression {
            kind: opslint_core::SuppressionKind::Adr,
            reason: format!("accepted as a known risk by {}", finding.adr),
            until: None,
            source: finding.adr_repository_path.clone(),
        }));
        diagnostic
    }));
    if let Some(changed) = &options.changed {
        let keep = |path: &str, rule: &str| {
            changed.contains(path) || !files.contains_key(path) || WORKSPACE_RULES.contains(&rule)
        };
        sink.diagnostics.retain(|d| keep(&d.path, d.rule.id));
        sink.questions.retain(|q| keep(&q.path, q.rule.id));
        suppressed.retain(|d| keep(&d.path, d.rule.id));
    }

    timings.phase("suppressions");
    timings.print(&sink);
    let mut metas: Vec<&'static RuleMeta> = rules.iter().map(|rule| rule.meta()).collect();
    metas.extend(tool_rules::ALL);
    Outcome {
        sink,
        suppressed,
        files,
        file_count,
        notices,
        rules: metas,
        accepted,
        inventory,
        expired_suppressions: expired,
    }
}

/// Drops the findings and questions in context files, which the run reads
/// for other files' sake. In a run on named files, those whose text names a
/// named file stay, so that a value set in a named `.tfvars` file is
/// reported where the module it reaches uses it. Their files join `files`
/// so that the text output shows their lines.
fn keep_named_files_findings(
    sink: &mut Sink,
    context: &BTreeSet<String>,
    files: &mut BTreeMap<String, Arc<SourceFile>>,
    workspace: &Workspace,
    folders_walked: bool,
) {
    let named_paths: Vec<String> = if folders_walked {
        Vec::new()
    } else {
        files.keys().map(|path| format!("`{path}`")).collect()
    };
    let names_named = |text: &str| named_paths.iter().any(|path| text.contains(path.as_str()));
    sink.diagnostics
        .retain(|d| !context.contains(&d.path) || names_named(&d.message));
    sink.questions.retain(|q| {
        !context.contains(&q.path) || names_named(&q.question) || names_named(&q.reason)
    });
    let kept = sink
        .diagnostics
        .iter()
        .map(|d| &d.path)
        .chain(sink.questions.iter().map(|q| &q.path))
        .filter(|path| context.contains(*path));
    for path in kept {
        if !files.contains_key(path)
            && let Some(artifact) = workspace.artifact(path)
        {
            files.insert(path.clone(), Arc::clone(&artifact.file));
        }
    }
}

/// Gives each finding the severity that the configuration sets for its rule.
fn apply_severity_overrides(sink: &mut Sink, options: &Options) {
    let Some(config) = &options.config else {
        return;
    };
    for diagnostic in &mut sink.diagnostics {
        if let Some(severity) = config
            .settings
            .severity
            .iter()
            .find(|(id, _)| id.get_ref() == diagnostic.rule.id)
            .map(|(_, severity)| *severity)
        {
            diagnostic.severity = severity;
        }
    }
}

/// Lists the files changed since the git reference `reference`, committed or
/// not, plus untracked files that are not ignored. Paths are relative to
/// `root`, which must be inside the git work tree, as output shows them.
pub fn changed_files(
    root: &Path,
    reference: &str,
) -> Result<std::collections::BTreeSet<String>, String> {
    let mut changed = std::collections::BTreeSet::new();
    // Outside a work tree `git diff` prints its whole usage text, so that
    // case gets its own message.
    let inside = std::process::Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(root)
        .output()
        .map_err(|error| format!("cannot run `git`: {error}"))?;
    if !inside.status.success() {
        return Err(format!(
            "`{}` is not inside a git work tree; run opslint from the repository",
            root.display()
        ));
    }
    let commands: [&[&str]; 2] = [
        &["diff", "--name-only", "--relative", "-z", reference, "--"],
        &["ls-files", "--others", "--exclude-standard", "-z"],
    ];
    for args in commands {
        let output = std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .map_err(|error| format!("cannot run `git`: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "`git {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        changed.extend(
            output
                .stdout
                .split(|byte| *byte == 0)
                .filter(|name| !name.is_empty())
                .map(|name| String::from_utf8_lossy(name).into_owned()),
        );
    }
    Ok(changed)
}

/// Whether `id` names a rule or one of the tool's own diagnostics.
pub fn is_known_rule(id: &str) -> bool {
    opslint_lints::meta(id).is_some() || tool_rules::ALL.iter().any(|meta| meta.id == id)
}

/// Builds the error message for a rule id that names no rule, with the
/// closest built-in id when one is near enough to be a typo.
pub fn unknown_rule_message(id: &str) -> String {
    match closest_rule_id(id) {
        Some(close) => format!(
            "unknown rule `{id}`, did you mean `{close}`? `opslint rules` lists the rule ids"
        ),
        None => format!("unknown rule `{id}`; `opslint rules` lists the rule ids"),
    }
}

/// Returns the built-in rule id most similar to `id`, when their
/// Jaro-Winkler similarity is at least 0.85.
pub fn closest_rule_id(id: &str) -> Option<&'static str> {
    // The similarity of two texts is at most 0.8 + 0.2 * r, where r is the
    // shorter length over the longer, so it stays under 0.85 when one is
    // more than four times as long as the other. Those pairs are not
    // compared: comparing costs the product of the lengths, and a
    // configuration line of a million characters took seconds.
    let length = id.chars().count();
    let comparable = |known: &str| length <= 4 * known.len() && known.len() <= 4 * length;
    opslint_lints::all()
        .into_iter()
        .map(|rule| rule.meta().id)
        .chain(tool_rules::ALL.iter().map(|meta| meta.id))
        .filter(|known| comparable(known))
        .map(|known| (strsim::jaro_winkler(id, known), known))
        .filter(|(similarity, _)| *similarity >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, known)| known)
}

/// Returns whether the selection leaves any rule of `ids` or any of the
/// tool's own checks enabled.
fn all_rules_selected(ids: &[&'static str], options: &Options) -> bool {
    ids.iter()
        .chain(tool_rules::ALL.iter().map(|meta| &meta.id))
        .any(|id| is_enabled(id, options))
}

fn is_enabled(id: &str, options: &Options) -> bool {
    (options.select.is_empty() || options.select.iter().any(|s| s == id))
        && !options.ignore.iter().any(|s| s == id)
}

/// Runs one rule; a panic becomes an `internal-error` diagnostic so the other
/// rules' results are kept. The diagnostic names the file whose artifact the
/// rule was looking at when the workspace iterators recorded one, and the
/// findings the rule made before the panic are kept too.
/// Runs one rule. Its sink records evidence only with `keep_evidence`.
/// Findings per file read that the merged list has room for before it
/// grows: the benchmark's generated repository has about 2.4.
const FINDINGS_PER_FILE_HINT: usize = 4;

/// The maximum number of findings reserved up front (about 60 MiB of
/// address space), so that a huge repository does not request more than a
/// system that limits overcommitted memory would give.
const MAX_RESERVED_FINDINGS: usize = 1 << 18;

/// Runs every rule on the pool and moves each rule's results into `merged`
/// as soon as the rule is done, while the other threads go on with their
/// rules. Merging all results after the last rule kept one core busy for
/// several milliseconds in large runs. The arrival order does not matter,
/// because `Sink::sort` orders the results by a key that includes the rule
/// id and keeps each rule's own order.
///
/// The threads take the rules one at a time, those that read the most text
/// first. In id order, a long rule that came last kept one core busy after
/// the other had finished.
fn run_rules(
    rules: &[&'static dyn Rule],
    workspace: &Workspace,
    merged: &Mutex<Sink>,
    run: impl Fn(&'static dyn Rule) -> Sink + Sync,
) {
    let mut bytes: HashMap<ArtifactKind, usize> = HashMap::new();
    for artifact in &workspace.artifacts {
        *bytes.entry(artifact.kind).or_default() += artifact.file.text.len();
    }
    let mut order: Vec<(usize, usize)> = rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let read = rule
                .meta()
                .artifacts
                .iter()
                .filter_map(|kind| bytes.get(kind))
                .sum();
            (index, read)
        })
        .collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let next = AtomicUsize::new(0);
    rayon::scope(|scope| {
        for _ in 0..rayon::current_num_threads() {
            scope.spawn(|_| {
                while let Some(&(index, _)) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let sink = run(rules[index]);
                    merged
                        .lock()
                        .unwrap_or_else(|poison| poison.into_inner())
                        .extend(sink);
                }
            });
        }
    });
}

fn run_rule(rule: &'static dyn Rule, workspace: &Workspace, keep_evidence: bool) -> Sink {
    let mut sink = if keep_evidence {
        Sink::new()
    } else {
        Sink::without_evidence()
    };
    opslint_model::current::clear();
    let result = catch_unwind(AssertUnwindSafe(|| rule.check(workspace, &mut sink)));
    let current_file = opslint_model::current::take(workspace).map(|a| Arc::clone(&a.file));
    if let Err(panic) = result {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let id = rule.meta().id;
        let (file, message) = match current_file {
            Some(file) => {
                let message = format!("rule `{id}` failed on `{}`: {message}", file.path);
                (file, message)
            }
            None => {
                let empty = SourceFile::new(String::new(), PathBuf::new(), String::new());
                (Arc::new(empty), format!("rule `{id}` failed: {message}"))
            }
        };
        sink.violation(
            &tool_rules::INTERNAL_ERROR,
            &file,
            Span::default(),
            id,
            message,
            "",
        )
        .help = Some(format!(
            "this is a bug in opslint, please report this message; \
             findings of `{id}` may be incomplete"
        ));
    }
    sink
}

/// A stage of the file phase for one artifact kind.
type Stage = (ArtifactKind, &'static str);

/// Wall-clock times of the phases and of the slowest rules, and CPU time of
/// the file phase's stages per artifact kind. They are printed to standard
/// error when `OPSLINT_TIMINGS` is set, to find which part of a run grows
/// with the repository.
struct Timings {
    enabled: bool,
    last: Instant,
    phases: Vec<(&'static str, Duration)>,
    rules: Mutex<Vec<(&'static str, Duration)>>,
    /// CPU time of each stage of the file phase, summed over files, by kind.
    stages: Mutex<BTreeMap<Stage, (Duration, usize)>>,
}

impl Timings {
    fn from_env() -> Self {
        Self {
            enabled: std::env::var_os("OPSLINT_TIMINGS").is_some(),
            last: Instant::now(),
            phases: Vec::new(),
            rules: Mutex::new(Vec::new()),
            stages: Mutex::new(BTreeMap::new()),
        }
    }

    fn phase(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push((name, now - self.last));
        self.last = now;
    }

    fn rule(&self, id: &'static str, elapsed: Duration) {
        if self.enabled
            && let Ok(mut rules) = self.rules.lock()
        {
            rules.push((id, elapsed));
        }
    }

    /// Adds the time since `clock` to `stage` of `kind` and restarts the clock.
    fn stage(&self, clock: &mut Option<Instant>, kind: ArtifactKind, stage: &'static str) {
        let Some(started) = clock else {
            return;
        };
        let now = Instant::now();
        if let Ok(mut stages) = self.stages.lock() {
            let entry = stages.entry((kind, stage)).or_default();
            entry.0 += now - *started;
            entry.1 += 1;
        }
        *clock = Some(now);
    }

    fn print(&self, sink: &Sink) {
        if !self.enabled {
            return;
        }
        eprintln!(
            "timing: results: {} findings, {} questions, {} checks that hold",
            sink.diagnostics.len(),
            sink.questions.len(),
            sink.evidence.len()
        );
        if let Ok(stages) = self.stages.lock() {
            let mut sorted: Vec<_> = stages.iter().collect();
            sorted.sort_by_key(|entry| std::cmp::Reverse(entry.1.0));
            for ((kind, stage), (elapsed, files)) in sorted.into_iter().take(20) {
                eprintln!(
                    "timing: {:>8.1} ms  {stage} of {files} {} files (CPU, summed)",
                    elapsed.as_secs_f64() * 1000.0,
                    kind.as_str()
                );
            }
        }
        for (name, elapsed) in &self.phases {
            eprintln!("timing: {:>8.1} ms  {name}", elapsed.as_secs_f64() * 1000.0);
        }
        let Ok(mut rules) = self.rules.lock() else {
            return;
        };
        rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        // `OPSLINT_TIMINGS_ALL` lists every rule instead of the ten slowest.
        let listed_rules = if std::env::var_os("OPSLINT_TIMINGS_ALL").is_some() {
            rules.len()
        } else {
            10
        };
        for (id, elapsed) in rules.iter().take(listed_rules) {
            eprintln!(
                "timing: {:>8.1} ms  rule {id}",
                elapsed.as_secs_f64() * 1000.0
            );
        }
    }
}

struct Processed {
    artifact: Option<Artifact>,
    sink: Sink,
    notices: Vec<String>,
}

/// Reads the ADRs that may accept the risk of a finding in a run on named
/// files only, as a pre-commit hook makes: without them a risk that an ADR
/// accepts failed the hook although `check .` accepts it. Only Markdown
/// files directly in the conventional ADR folders of the working folder
/// and in the configured ones are read, on the pool, and only those that
/// name the rule of a finding are parsed.
fn adrs_for_named_files(
    options: &Options,
    workspace: &Workspace,
    diagnostics: &[Diagnostic],
) -> Vec<opslint_records::adr::Adr> {
    if options.paths.is_empty() || options.paths.iter().any(|path| path.is_dir()) {
        return Vec::new();
    }
    let mut rule_ids: Vec<&str> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.rule.principle.is_some())
        .map(|diagnostic| diagnostic.rule.id)
        .collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    if rule_ids.is_empty() {
        return Vec::new();
    }
    let mut files = Vec::new();
    let folders = opslint_records::adr::ADR_FOLDERS
        .iter()
        .map(|folder| (*folder).to_string())
        .chain(options.records.adr_folders.iter().cloned());
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(options.root.join(&folder)) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let is_markdown = path
                .extension()
                .is_some_and(|extension| extension.eq_ignore_ascii_case("md"));
            let display_path = discover::display_path(&path, &options.root);
            // An ADR named on the command line is in the workspace already.
            if is_markdown
                && entry.file_type().is_ok_and(|kind| kind.is_file())
                && workspace.artifact(&display_path).is_none()
            {
                files.push((path, display_path));
            }
        }
    }
    files.sort();
    files.dedup();
    files
        .into_par_iter()
        .filter_map(|(path, display_path)| {
            let text = std::fs::read_to_string(&path).ok()?;
            if !rule_ids.iter().any(|id| text.contains(id)) {
                return None;
            }
            Some(opslint_records::adr::parse(&SourceFile::new(
                display_path,
                path,
                text,
            )))
        })
        .collect()
}

/// Folders that hold a `Chart.yaml`, among the folders that classifying the
/// discovered files asks about. Each folder is checked on disk once, where a
/// check per file would look at the same few chart folders thousands of
/// times.
struct ChartFolders(HashSet<PathBuf>);

impl ChartFolders {
    fn find(files: &[FoundFile]) -> Self {
        // The files are sorted by path, so the files of a folder mostly
        // follow each other, and a file in the same folder as the one
        // before it adds no candidate. Folders are compared as bytes,
        // because `Path` components of every file took most of this step.
        let mut candidates: HashSet<&Path> = HashSet::new();
        let mut last_folder: Option<&[u8]> = None;
        for found in files {
            if !classify::may_belong_to_chart(&found.display_path) {
                continue;
            }
            let bytes = found.disk_path.as_os_str().as_encoded_bytes();
            let folder_end = bytes
                .iter()
                .rposition(|&byte| std::path::is_separator(char::from(byte)))
                .unwrap_or(0);
            let folder = Some(&bytes[..folder_end]);
            if folder == last_folder {
                continue;
            }
            last_folder = folder;
            candidates.extend(Self::candidates(&found.disk_path));
        }
        let charts = candidates
            .into_par_iter()
            .filter(|folder| folder.join("Chart.yaml").is_file())
            .map(Path::to_path_buf)
            .collect();
        Self(charts)
    }

    /// The folders whose `Chart.yaml` the classification of `path` depends
    /// on: its own folder, and the parent of each `templates` folder among
    /// the six folders above it, as in [`classify::in_chart_templates`].
    fn candidates(path: &Path) -> impl Iterator<Item = &Path> {
        let templates_parents = path
            .ancestors()
            .skip(1)
            .take(6)
            .filter(|dir| dir.file_name().is_some_and(|name| name == "templates"))
            .filter_map(Path::parent);
        path.parent().into_iter().chain(templates_parents)
    }

    /// Same result as [`classify::in_chart_templates`], without touching the disk.
    fn in_templates(&self, path: &Path) -> bool {
        path.ancestors().skip(1).take(6).any(|dir| {
            dir.file_name().is_some_and(|name| name == "templates")
                && dir.parent().is_some_and(|chart| self.0.contains(chart))
        })
    }

    /// Same result as [`classify::beside_chart`], without touching the disk.
    fn beside_chart(&self, path: &Path) -> bool {
        path.parent().is_some_and(|dir| self.0.contains(dir))
    }
}

/// Returns the notice for a named file that opslint does not read.
fn skipped_notice(path: &str) -> String {
    if path.to_ascii_lowercase().ends_with(".json") {
        format!(
            "{path}: skipped, JSON is read only as CloudFormation templates, Terraform \
             variables and incident exports, and this file is none of them"
        )
    } else {
        format!("{path}: skipped, opslint does not check this kind of file")
    }
}

/// How many levels of local Terraform modules outside the checked folders
/// a folder run follows: an environment, the modules it calls, and theirs.
const MODULE_CONTEXT_DEPTH: usize = 4;

/// Classifies, reads, parses and extracts the facts of one file.
fn process_file(
    found: &FoundFile,
    charts: &ChartFolders,
    repository: Option<&outside::RepositoryRoot>,
    records: &opslint_records::Config,
    rules: &[&'static dyn Rule],
    timings: &Timings,
) -> Option<Processed> {
    let mut clock = timings.enabled.then(Instant::now);
    // Looking up the chart folders costs several path walks per file.
    let chart_kind = classify::may_belong_to_chart(&found.display_path);
    let path_class = classify::by_path(
        &found.display_path,
        chart_kind && charts.in_templates(&found.disk_path),
        chart_kind && charts.beside_chart(&found.disk_path),
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
        Ok(ReadText::Binary) => {
            processed.notices.push(format!(
                "{}: skipped, it holds binary data (a NUL byte in its first 8,000 bytes)",
                found.display_path
            ));
            return Some(processed);
        }
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
        // JSON under a configured incident path is an export whatever its
        // name is.
        PathClass::SniffJson
            if opslint_records::is_under(&found.display_path, &records.incident_paths) =>
        {
            (ArtifactKind::IncidentExport, false)
        }
        PathClass::Known(kind) => (
            kind,
            kind == ArtifactKind::TerraformVars && found.display_path.ends_with(".json"),
        ),
        PathClass::SniffYaml => (classify::sniff_yaml(&text), false),
        PathClass::SniffJson => match classify::sniff_json(&text) {
            Some(kind) => (kind, true),
            None => return None,
        },
        PathClass::Skip => return None,
    };
    timings.stage(&mut clock, kind, "read");
    let mut file = SourceFile::new(found.display_path.clone(), found.disk_path.clone(), text);
    file.repository_path = repository.and_then(|root| root.path_of(&found.display_path));
    let file = Arc::new(file);
    timings.stage(&mut clock, kind, "line index");
    let syntax = opslint_syntax::parse(kind, &file.text, is_json);
    timings.stage(&mut clock, kind, "parse");
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
    let mut facts = match opslint_records::extract(kind, &file, records) {
        Some(record) => {
            report_record_problems(&record, &file, &mut processed.sink);
            Facts::Record(Box::new(record))
        }
        None => opslint_model::extract(kind, &file, syntax),
    };
    if kind == ArtifactKind::Rust {
        opslint_syntax::rust::release_spans();
    }
    if let Facts::GithubWorkflow(workflow) = &facts {
        for (span, message) in &workflow.structure_errors {
            processed.sink.violation(
                &tool_rules::PARSE_ERROR,
                &file,
                *span,
                message.clone(),
                message.clone(),
                "here",
            );
        }
    }
    timings.stage(&mut clock, kind, "facts");
    // The declarative rules query the tree now, so it can be dropped before
    // the next file: keeping every tree until the rule phase took a fifth of
    // the memory of a large run.
    if let Facts::Code(code) = &mut facts
        && let Some(tree) = code.tree.take()
    {
        for rule in rules {
            rule.match_tree(kind, &file, &tree, &mut code.query_matches);
        }
    }
    timings.stage(&mut clock, kind, "queries");
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
    // One byte more than the size, so the read that finds the end needs no
    // second buffer. Reading through `take` skips `File::read_to_end`'s own
    // size lookup, a `statx` and an `lseek` per file that `metadata` above
    // already returned.
    let mut bytes = Vec::with_capacity(size as usize + 1);
    (&mut handle).take(u64::MAX).read_to_end(&mut bytes)?;
    if bytes[..bytes.len().min(8000)].contains(&0) {
        return Ok(ReadText::Binary);
    }
    // Editors do not count a byte-order mark as a column, so drop it.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => ReadText::Text(text, false),
        Err(error) => ReadText::Text(String::from_utf8_lossy(error.as_bytes()).into_owned(), true),
    })
}

/// Returns the kinds opslint reads, for `--help` and the rules table.
pub fn artifact_kind_names() -> Vec<&'static str> {
    [
        ArtifactKind::Kubernetes,
        ArtifactKind::HelmTemplate,
        ArtifactKind::CloudFormation,
        ArtifactKind::Terraform,
        ArtifactKind::DockerCompose,
        ArtifactKind::Dockerfile,
        ArtifactKind::GithubWorkflow,
        ArtifactKind::GithubAction,
        ArtifactKind::GitlabCi,
        ArtifactKind::Shell,
        ArtifactKind::Makefile,
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
            principle: finding
                .diagnostic
                .rule
                .principle
                .map_or(String::new(), |principle| principle.slug().to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule that panics on Kubernetes manifests named `panics.yaml`. Unit
    /// tests add it to every run, and it stays out of the built binary.
    pub(super) struct PanickingRule;

    static PANICKING_RULE: RuleMeta = RuleMeta {
        id: "test-panicking-rule",
        principle: None,
        waf: &[],
        severity: opslint_core::Severity::Error,
        artifacts: &[ArtifactKind::Kubernetes],
        summary: "rule that panics on purpose in unit tests",
        what_it_checks: "Nothing.",
        why_it_matters: "It tests that a panic is reported and the run goes on.",
        how_to_fix: "Nothing.",
        known_limits: "None.",
    };

    impl Rule for PanickingRule {
        fn meta(&self) -> &'static RuleMeta {
            &PANICKING_RULE
        }

        fn check(&self, workspace: &Workspace, _sink: &mut Sink) {
            for (artifact, _) in workspace.kubernetes() {
                if artifact.file.path.ends_with("panics.yaml") {
                    panic!("deliberate panic");
                }
            }
        }
    }

    const DEPLOYMENT_WITHOUT_PROBES: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
";

    #[test]
    fn unknown_rule_message_suggests_a_close_id() {
        assert_eq!(
            unknown_rule_message("mutable-image-tags"),
            "unknown rule `mutable-image-tags`, did you mean `mutable-image-tag`? \
             `opslint rules` lists the rule ids"
        );
        assert_eq!(
            closest_rule_id("log-retention"),
            Some("log-retention-unset")
        );
        assert_eq!(closest_rule_id("zzz"), None);
        // Far too long to be a typo of any id, and not compared at all: a
        // comparison costs the product of the lengths.
        assert_eq!(closest_rule_id(&"log-retention-unset".repeat(50_000)), None);
        assert_eq!(
            unknown_rule_message("zzz"),
            "unknown rule `zzz`; `opslint rules` lists the rule ids"
        );
    }

    #[test]
    fn rule_panic_names_file_and_rule() {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("a-fine.yaml"), DEPLOYMENT_WITHOUT_PROBES).expect("write");
        std::fs::write(dir.path().join("panics.yaml"), DEPLOYMENT_WITHOUT_PROBES).expect("write");
        std::fs::write(dir.path().join("z-fine.yaml"), DEPLOYMENT_WITHOUT_PROBES).expect("write");
        let options = Options {
            paths: vec![dir.path().to_path_buf()],
            ..Options::default()
        };

        let outcome = run(&options);

        let errors: Vec<&Diagnostic> = outcome
            .sink
            .diagnostics
            .iter()
            .filter(|d| d.rule.id == "internal-error")
            .collect();
        assert_eq!(errors.len(), 1, "{:#?}", outcome.sink.diagnostics);
        let error = errors[0];
        assert!(error.path.ends_with("panics.yaml"), "{}", error.path);
        assert!(
            error
                .message
                .starts_with("rule `test-panicking-rule` failed on `"),
            "{}",
            error.message
        );
        assert!(
            error.message.ends_with("panics.yaml`: deliberate panic"),
            "{}",
            error.message
        );

        // The other rules still report every file, the panicking one included.
        let mut probes: Vec<&str> = outcome
            .sink
            .diagnostics
            .iter()
            .filter(|d| d.rule.id == "k8s-missing-liveness-probe")
            .map(|d| d.path.as_str())
            .collect();
        probes.sort_unstable();
        assert_eq!(probes.len(), 3, "{probes:?}");
        assert!(probes[0].ends_with("a-fine.yaml"));
        assert!(probes[1].ends_with("panics.yaml"));
        assert!(probes[2].ends_with("z-fine.yaml"));
    }

    #[test]
    fn rule_panic_outside_loop_names_rule() {
        let workspace = Workspace::new(Vec::new());
        struct PanicsBeforeLoop;
        impl Rule for PanicsBeforeLoop {
            fn meta(&self) -> &'static RuleMeta {
                &PANICKING_RULE
            }
            fn check(&self, workspace: &Workspace, _sink: &mut Sink) {
                for _ in workspace.kubernetes() {}
                panic!("after the loop");
            }
        }

        let sink = run_rule(&PanicsBeforeLoop, &workspace, true);

        assert_eq!(sink.diagnostics.len(), 1);
        assert_eq!(sink.diagnostics[0].rule.id, "internal-error");
        assert_eq!(sink.diagnostics[0].path, "");
        assert_eq!(
            sink.diagnostics[0].message,
            "rule `test-panicking-rule` failed: after the loop"
        );
    }

    #[test]
    fn chart_folders_found_from_yaml_and_helper_paths() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let root = dir.path();
        // Each chart is reached through one kind of path only: `api` by a
        // values file beside it, `deep` by a template four folders down,
        // `helpers` by a `.TPL` helper beside it. `docs` has a chart with
        // only a Markdown file beside it, and `plain` has none.
        let on_disk = [
            "api/Chart.yaml",
            "api/values.yaml",
            "deep/Chart.yaml",
            "deep/templates/a/b/c/hpa.yml",
            "docs/Chart.yaml",
            "docs/README.md",
            "helpers/Chart.yaml",
            "helpers/_helpers.TPL",
            "plain/templates/config.yaml",
            "plain/values.yaml",
        ];
        for file in on_disk {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "a: 1\n").unwrap();
        }
        let files: Vec<FoundFile> = on_disk
            .into_iter()
            .filter(|file| !file.ends_with("Chart.yaml"))
            .map(|file| FoundFile {
                disk_path: root.join(file),
                display_path: file.to_string(),
            })
            .collect();

        let charts = ChartFolders::find(&files);

        let mut found: Vec<PathBuf> = charts.0.iter().cloned().collect();
        found.sort();
        assert_eq!(
            found,
            [root.join("api"), root.join("deep"), root.join("helpers")]
        );
        assert!(charts.in_templates(&root.join("deep/templates/a/b/c/hpa.yml")));
        assert!(charts.beside_chart(&root.join("api/values.yaml")));
        assert!(!charts.in_templates(&root.join("plain/templates/config.yaml")));
        assert!(!charts.beside_chart(&root.join("plain/values.yaml")));
    }

    #[test]
    fn file_deleted_after_discovery_is_an_io_error() {
        let found = FoundFile {
            disk_path: std::env::temp_dir().join("opslint-deleted-during-walk.yaml"),
            display_path: "deleted.yaml".into(),
        };
        let charts = ChartFolders::find(std::slice::from_ref(&found));
        let processed = process_file(
            &found,
            &charts,
            None,
            &opslint_records::Config::default(),
            &[],
            &Timings::from_env(),
        )
        .expect("a YAML path is processed");
        assert!(processed.artifact.is_none());
        let diagnostic = &processed.sink.diagnostics[0];
        assert_eq!(diagnostic.rule.id, "io-error");
        assert_eq!(diagnostic.path, "deleted.yaml");
        assert!(diagnostic.message.starts_with("cannot read `deleted.yaml`"));
    }
}
