use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use opslint::{Options, Outcome};
use opslint_core::Severity;
use opslint_core::config::{Config, FailLevel};
use opslint_report::{Report, TextOptions};

/// mimalloc, for speed: see `opslint::allocator`.
#[global_allocator]
static GLOBAL: opslint::allocator::MiMalloc = opslint::allocator::MiMalloc;

/// Operational-excellence linter: checks code, infrastructure as code and
/// CI/CD configuration against the AWS Well-Architected Operational
/// Excellence pillar.
#[derive(Parser)]
#[command(name = "opslint", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check files and folders and report findings and open questions.
    #[command(
        after_help = "Exit status: 0 when no finding reaches the `--fail-on` level, 1 when \
        one does, 2 when the run itself fails (invalid arguments or configuration, a file or \
        folder that cannot be read, a rule that fails)."
    )]
    Check(CheckArgs),
    /// Write the operational-excellence analysis: a rating, strengths,
    /// findings, related ADRs and incidents and best practices per
    /// principle, incident figures and follow-up questions.
    #[command(
        after_help = "Exit status: 0 when the report is written, whatever it finds; 2 when \
        the run fails (invalid arguments, configuration or answers file, an answers file named \
        with --answers that does not exist, or the report cannot be written)."
    )]
    Report(ReportArgs),
    /// List the rules with their principle, severity, artifact kinds and
    /// summary.
    Rules(RulesArgs),
    /// Record the current findings in a baseline file, so that
    /// `check --baseline FILE` reports only new ones.
    Baseline(BaselineArgs),
    /// Print the documentation of one rule.
    Explain {
        /// Rule id, for example `k8s-missing-readiness-probe`.
        id: String,
        #[command(flatten)]
        sources: RuleSources,
    },
}

/// The sources of user-written rules for `rules` and `explain`, besides
/// the built-in rules.
#[derive(clap::Args)]
struct RuleSources {
    /// Also list the declarative rules (`*.toml` files) in DIR; repeat the
    /// option for several folders. Adds to the configuration's `rule-paths`.
    #[arg(long = "rules-dir", value_name = "DIR")]
    rules_dirs: Vec<PathBuf>,
    /// Read the configuration, for its `rule-paths`, from FILE instead of
    /// searching the current folder and its parents.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    no_config: bool,
}

impl RuleSources {
    /// Loads the user-written rules of the rule folders and of the
    /// configuration's `rule-paths`.
    fn user_rules(&self) -> Result<Vec<&'static opslint_core::RuleMeta>, String> {
        if self.rules_dirs.is_empty() && self.no_config {
            return Ok(Vec::new());
        }
        let run = RunArgs {
            paths: Vec::new(),
            select: Vec::new(),
            ignore: Vec::new(),
            config: self.config.clone(),
            no_config: self.no_config,
            changed_since: None,
            quiet: true,
            rules_dirs: self.rules_dirs.clone(),
            no_progress: true,
        };
        let (options, _) = prepare(&run)?;
        let rules = opslint::user_rules(&options)
            .map_err(|error| format!("invalid user rules: {error}"))?;
        Ok(rules.into_iter().map(|rule| rule.meta()).collect())
    }
}

/// Arguments shared by every command that runs the rules.
#[derive(clap::Args)]
struct RunArgs {
    /// Files or folders to check; folders are walked honouring .gitignore
    /// [default: the current folder, or the workspace root for `cargo
    /// opslint`].
    paths: Vec<PathBuf>,
    /// Run only these rules (comma-separated ids); replaces the
    /// configuration's `select`.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    select: Vec<String>,
    /// Skip these rules (comma-separated ids), in addition to the
    /// configuration's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    ignore: Vec<String>,
    /// Read the configuration from FILE (`opslint.toml`, `.opslint.toml` or a
    /// `Cargo.toml` with `[workspace.metadata.opslint]`) instead of searching
    /// the current folder and its parents.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    no_config: bool,
    /// Keep only findings in files changed since the git reference REF
    /// (committed, staged, unstaged or untracked). All files are still
    /// analysed, so rules that read several files see the whole repository.
    #[arg(long, value_name = "REF")]
    changed_since: Option<String>,
    /// Do not print notices about skipped files or the progress bar to
    /// standard error.
    #[arg(short, long)]
    quiet: bool,
    /// Also run the declarative rules (`*.toml` files) in DIR; repeat the
    /// option for several folders. Adds to the configuration's `rule-paths`.
    #[arg(long = "rules-dir", value_name = "DIR")]
    rules_dirs: Vec<PathBuf>,
    /// Do not show the progress bar. It appears on standard error only when
    /// that is a terminal and the run takes longer than half a second, and
    /// has no colours when NO_COLOR is set.
    #[arg(long)]
    no_progress: bool,
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the output to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1; `never` always exits 0
    /// when the run itself succeeds [default: the configuration's
    /// `fail-on`, else warning].
    #[arg(long, value_enum, value_name = "LEVEL")]
    fail_on: Option<FailOn>,
    /// Exit with 0 even when findings are reported (errors of the run itself
    /// still exit with 2).
    #[arg(long)]
    exit_zero: bool,
    /// Report only findings whose fingerprint is not in FILE, a baseline
    /// written by `opslint baseline`.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// List suppressed findings in JSON output, each with its `suppression`
    /// (kind, reason, expiry, source). SARIF always keeps them as dismissed
    /// results and text output counts them.
    #[arg(long)]
    show_suppressed: bool,
    /// When to colour text output: `auto` colours only a terminal and
    /// honours NO_COLOR.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// Folder (or file) to analyse [default: the current folder, or the
    /// workspace root for `cargo opslint`].
    path: Option<PathBuf>,
    /// Report format: Markdown, one self-contained HTML file, or JSON.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    format: ReportFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Another folder that holds ADRs, besides doc/adr, docs/adr,
    /// docs/decisions, docs/architecture/decisions and adr (repeatable).
    #[arg(long, value_name = "DIR")]
    adr_dir: Vec<String>,
    /// Answers to follow-up questions [default: PATH/opslint-answers.toml].
    #[arg(long, value_name = "FILE")]
    answers: Option<PathBuf>,
    /// Read the configuration from FILE (`opslint.toml`, `.opslint.toml` or a
    /// `Cargo.toml` with `[workspace.metadata.opslint]`) instead of searching
    /// the current folder and its parents. Every key applies as it does for
    /// `check`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    no_config: bool,
    /// Do not print notices about skipped files and accepted risks on
    /// standard error.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Markdown,
    Html,
    Json,
}

#[derive(clap::Args)]
struct RulesArgs {
    /// List only the rules of this design principle.
    #[arg(long, value_name = "PRINCIPLE", value_parser = principle_slugs())]
    principle: Option<String>,
    /// List only the rules that check this artifact kind.
    #[arg(long, value_name = "KIND", value_parser = artifact_kinds())]
    artifact: Option<String>,
    #[command(flatten)]
    sources: RuleSources,
}

/// Builds the parser of the artifact kinds that `rules --artifact`
/// accepts: the kinds opslint reads and every kind a rule names.
fn artifact_kinds() -> clap::builder::PossibleValuesParser {
    let mut kinds: Vec<&'static str> = opslint::artifact_kind_names();
    kinds.extend(
        opslint::reference::documented_rules()
            .iter()
            .flat_map(|rule| rule.artifacts.iter().map(|kind| kind.as_str())),
    );
    kinds.sort_unstable();
    kinds.dedup();
    clap::builder::PossibleValuesParser::new(kinds)
}

fn principle_slugs() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        opslint_core::Principle::ALL.map(|principle| principle.slug()),
    )
}

#[derive(clap::Args)]
struct BaselineArgs {
    #[command(flatten)]
    run: RunArgs,
    /// File to write the baseline to.
    #[arg(
        short,
        long,
        value_name = "FILE",
        default_value = "opslint-baseline.json"
    )]
    output: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Diagnostics in rustc style, with source excerpts.
    Text,
    /// The stable JSON contract (`version: 1`).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands, shown as pull-request annotations.
    Github,
    /// A GitLab Code Quality report (Code Climate JSON), shown in merge
    /// requests when a job stores it as `artifacts:reports:codequality`.
    Gitlab,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    run(Cli::parse())
}

/// Runs a parsed command line; `cargo-opslint` calls it too.
pub(crate) fn run(cli: Cli) -> ExitCode {
    #[allow(unsafe_code)]
    // SAFETY: nothing has used tree-sitter or started a thread yet: parsing
    // the arguments does neither.
    unsafe {
        opslint::allocator::use_mimalloc_for_tree_sitter();
    }
    match cli.command {
        Command::Check(args) => check(args),
        Command::Baseline(args) => write_baseline(args),
        Command::Report(args) => report(args),
        Command::Rules(args) => print_rules(&args),
        Command::Explain { id, sources } => explain(&id, &sources),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let (options, config_fail_on) = match prepare(&args.run) {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let fail_on = args.fail_on.or(config_fail_on).unwrap_or(FailOn::Warning);
    let baseline = match &args.baseline {
        Some(path) => match opslint::baseline::load(path) {
            Ok(baseline) => Some((baseline, path.display().to_string())),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let root = options.root.clone();
    let mut outcome = opslint::run(&options);
    if let Some((baseline, source)) = &baseline {
        let stale = opslint::baseline::apply(&mut outcome, baseline, source);
        if stale > 0 && !args.run.quiet {
            eprintln!(
                "note: {stale} baseline {} matched no finding; `opslint baseline -o {source}` rewrites the file",
                if stale == 1 { "entry" } else { "entries" }
            );
        }
    }
    print_notices(&outcome, args.run.quiet);
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let started = std::time::Instant::now();
    let written = write_output(args.output.as_deref(), |writer| {
        emit(
            &outcome,
            args.format,
            color,
            args.show_suppressed,
            &root,
            writer,
        )
    });
    if !written {
        return ExitCode::from(2);
    }
    if std::env::var_os("OPSLINT_TIMINGS").is_some() {
        eprintln!(
            "timing: {:>8.1} ms  render and write",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    let code = exit_code(&outcome, fail_on, args.exit_zero);
    // The process ends here: the operating system reclaims the files and
    // findings faster than freeing them one by one.
    std::mem::forget(outcome);
    code
}

/// Writes the output that `emit` produces to `output` or standard output
/// and reports a failure on standard error. A closed pipe is not a failure.
fn write_output(
    output: Option<&std::path::Path>,
    emit: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> bool {
    let write_all = |writer: &mut dyn Write| -> std::io::Result<()> {
        emit(writer)?;
        writer.flush()
    };
    let written = match output {
        Some(path) => std::fs::File::create(path)
            .and_then(|mut file| write_all(&mut file))
            .map_err(|e| (path.display().to_string(), e)),
        None => {
            let mut stdout = std::io::stdout().lock();
            match write_all(&mut stdout) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| ("standard output".to_string(), e)),
            }
        }
    };
    if let Err((target, error)) = written {
        eprintln!("error: cannot write {target}: {error}");
        return false;
    }
    true
}

fn report(args: ReportArgs) -> ExitCode {
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if let Err(error) = std::fs::metadata(&path) {
        if error.kind() == std::io::ErrorKind::NotFound {
            eprintln!("error: `{}` does not exist", path.display());
        } else {
            eprintln!("error: cannot read `{}`: {error}", path.display());
        }
        return ExitCode::from(2);
    }
    let answers_path = args.answers.clone().unwrap_or_else(|| {
        let folder = if path.is_dir() {
            path.clone()
        } else {
            path.parent().map(PathBuf::from).unwrap_or_default()
        };
        folder.join(opslint::answers::FILE_NAME)
    });
    // The default file may be absent; a file named with --answers must exist.
    if args.answers.is_some() && !answers_path.exists() {
        eprintln!(
            "error: the answers file `{}` does not exist; leave out --answers to read `{}` in the analysed folder",
            answers_path.display(),
            opslint::answers::FILE_NAME
        );
        return ExitCode::from(2);
    }
    let answers = match opslint::answers::load(&answers_path, &opslint::answers::today()) {
        Ok(answers) => answers,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    // The report reads the configuration as `check` does, so ignored rules
    // stay out of it and ADRs in configured folders count.
    let run = RunArgs {
        paths: vec![path.clone()],
        select: Vec::new(),
        ignore: Vec::new(),
        config: args.config.clone(),
        no_config: args.no_config,
        changed_since: None,
        quiet: args.quiet,
        rules_dirs: Vec::new(),
        no_progress: true,
    };
    let mut options = match prepare(&run) {
        Ok((options, _)) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    options.collect_inventory = true;
    options
        .records
        .adr_folders
        .extend(args.adr_dir.iter().cloned());
    let outcome = opslint::run(&options);
    if !args.quiet {
        for notice in &outcome.notices {
            eprintln!("note: {notice}");
        }
    }
    // NOTE: outside a git repository, question ids hash the file path as
    // displayed, which is relative to the current folder, so answers match
    // only when the report runs from the same folder each time.
    // A path made absolute for `cargo opslint` is shown as the user wrote
    // it, relative to the working folder.
    let target = match std::env::current_dir() {
        Ok(dir) if path.is_absolute() => opslint_syntax::discover::display_path(&path, &dir),
        _ => path.display().to_string(),
    };
    // The report of the current folder is titled with the folder's name.
    let target = match std::env::current_dir() {
        Ok(dir) if matches!(target.as_str(), "." | "./") => dir
            .file_name()
            .map_or(target, |name| name.to_string_lossy().into_owned()),
        _ => target,
    };
    let mut analysis = opslint::analysis(&outcome, &target, &answers);
    // The report lists the faulty answers too, since its readers do not
    // see standard error.
    analysis.answer_problems = answer_notices(&answers, &analysis, &answers_path);
    if !args.quiet {
        for notice in &analysis.answer_problems {
            eprintln!("note: {notice}");
        }
    }
    let rendered = match args.format {
        ReportFormat::Markdown => opslint_report::analysis::render_markdown(&analysis),
        ReportFormat::Html => opslint_report::analysis::render_html(&analysis),
        ReportFormat::Json => opslint_report::analysis::render_json(&analysis),
    };
    if !write_output(args.output.as_deref(), |writer| {
        writer.write_all(rendered.as_bytes())
    }) {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

fn write_baseline(args: BaselineArgs) -> ExitCode {
    let (options, _) = match prepare(&args.run) {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let outcome = opslint::run(&options);
    print_notices(&outcome, args.run.quiet);
    let baseline = opslint::baseline::from_outcome(&outcome);
    if let Err(error) = std::fs::write(&args.output, opslint::baseline::to_json(&baseline)) {
        eprintln!("error: cannot write {}: {error}", args.output.display());
        return ExitCode::from(2);
    }
    if !args.run.quiet {
        eprintln!(
            "Recorded {} {} in {}.",
            baseline.findings.len(),
            if baseline.findings.len() == 1 {
                "finding"
            } else {
                "findings"
            },
            args.output.display()
        );
    }
    let run_failed = outcome
        .sink
        .diagnostics
        .iter()
        .any(|d| matches!(d.rule.id, "io-error" | "internal-error"));
    if run_failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

impl Cli {
    /// Makes every relative path argument absolute against `dir`, so the
    /// command can run from another folder.
    #[allow(dead_code, reason = "only `cargo-opslint` changes folder")]
    pub(crate) fn make_paths_absolute(&mut self, dir: &Path) {
        let absolute = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = dir.join(&*path);
            }
        };
        let run = match &mut self.command {
            Command::Check(args) => {
                args.output.as_mut().map(absolute);
                args.baseline.as_mut().map(absolute);
                &mut args.run
            }
            Command::Baseline(args) => {
                absolute(&mut args.output);
                &mut args.run
            }
            Command::Report(args) => {
                args.path.as_mut().map(absolute);
                args.output.as_mut().map(absolute);
                args.answers.as_mut().map(absolute);
                args.config.as_mut().map(absolute);
                return;
            }
            _ => return,
        };
        run.paths.iter_mut().for_each(absolute);
        run.config.as_mut().map(absolute);
    }
}

fn print_notices(outcome: &Outcome, quiet: bool) {
    if !quiet {
        for notice in &outcome.notices {
            eprintln!("note: {notice}");
        }
    }
}

/// Notices about answers that cannot count: an id that no question of the
/// report has, and an id answered twice, of which the last answer counts.
fn answer_notices(
    answers: &[opslint_report::analysis::Answer],
    analysis: &opslint_report::analysis::Analysis,
    path: &Path,
) -> Vec<String> {
    let mut notices = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for answer in answers {
        if !seen.insert(answer.id.as_str()) {
            notices.push(format!(
                "{}: `{}` is answered more than once; the last answer counts",
                path.display(),
                answer.id
            ));
        }
        if !analysis.questions.iter().any(|q| q.id == answer.id) {
            notices.push(format!(
                "{}: the answer to `{}` matches no question of this report",
                path.display(),
                answer.id
            ));
        }
    }
    notices
}

/// Trims the ids of `--select` and `--ignore` and drops empty ones, so that
/// `--select "a, b"` and a trailing comma work as they do in other linters.
fn rule_ids(ids: &[String]) -> Vec<String> {
    // Rule ids are lower case; `MUTABLE-IMAGE-TAG` means the same rule.
    ids.iter()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Builds the run options from the arguments and the configuration file;
/// returns them with the configuration's `fail-on`.
fn prepare(args: &RunArgs) -> Result<(Options, Option<FailOn>), String> {
    let root = std::env::current_dir()
        .map_err(|error| format!("cannot read the current folder: {error}"))?;
    let config = load_config(args, &root)?;
    if !args.quiet && !args.no_config && args.config.is_none() {
        for unused in unused_configs(&args.paths, &root, config.as_deref()) {
            eprintln!(
                "note: `{unused}` is not used: the configuration is looked up from the current \
                 folder upwards; run opslint from its folder or pass `--config {unused}`"
            );
        }
    }
    let mut select = rule_ids(&args.select);
    if !args.select.is_empty() && select.is_empty() {
        return Err("--select names no rule id; leave it out to run every rule".into());
    }
    let mut ignore = rule_ids(&args.ignore);
    let mut fail_on = None;
    if let Some(config) = &config {
        if select.is_empty() {
            select = Config::ids(&config.settings.select);
        }
        ignore.extend(Config::ids(&config.settings.ignore));
        fail_on = config.settings.fail_on.map(FailOn::from);
    }
    let changed = match &args.changed_since {
        Some(reference) => Some(
            opslint::changed_files(&root, reference)
                .map_err(|message| format!("--changed-since {reference}: {message}"))?,
        ),
        None => None,
    };
    let mut rule_folders = args.rules_dirs.clone();
    if let Some(config) = &config {
        rule_folders.extend(
            config
                .settings
                .rule_paths
                .iter()
                .map(|path| config.dir.join(path)),
        );
    }
    let mut records = opslint_records::Config::default();
    if let Some(config) = &config {
        records.adr_folders = config
            .settings
            .adr_paths
            .iter()
            .map(|path| opslint_syntax::discover::display_path(&config.dir.join(path), &root))
            .collect();
        records.incident_paths = config
            .settings
            .incident_paths
            .iter()
            .map(|path| opslint_syntax::discover::display_path(&config.dir.join(path), &root))
            .collect();
        records.incident_columns = config.settings.incident_columns.clone();
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let options = Options {
        paths,
        select,
        ignore,
        root,
        config,
        changed,
        progress: progress_bar(args),
        rule_folders,
        records,
        exits_after_run: true,
        collect_inventory: false,
    };
    opslint::check_rule_ids(&options)?;
    Ok((options, fail_on))
}

/// Returns the configuration files directly in the checked folders that the
/// run does not use, as a user types their paths, because the configuration
/// is looked up from the current folder and its parents, not from the
/// checked folders.
fn unused_configs(paths: &[PathBuf], root: &Path, used: Option<&Config>) -> Vec<String> {
    let used = used.and_then(|config| config.path.canonicalize().ok());
    let mut unused = Vec::new();
    for path in paths.iter().filter(|path| root.join(path).is_dir()) {
        for name in ["opslint.toml", ".opslint.toml"] {
            let candidate = path.join(name);
            let Ok(canonical) = root.join(&candidate).canonicalize() else {
                continue;
            };
            if used.as_ref() != Some(&canonical) {
                unused.push(candidate.display().to_string());
            }
            break;
        }
    }
    unused
}

/// The progress bar, when standard error is a terminal and neither
/// `--no-progress` nor `--quiet` is given.
fn progress_bar(args: &RunArgs) -> Option<opslint::progress::Progress> {
    if args.no_progress || args.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let delay = std::env::var("OPSLINT_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|value| value.parse().ok())
        .map_or(
            opslint::progress::DEFAULT_DELAY,
            std::time::Duration::from_millis,
        );
    let color = std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    Some(opslint::progress::Progress::new(delay, color))
}

/// The configuration named with `--config`, else the nearest one found from
/// `root` upwards, with its rule ids checked.
fn load_config(args: &RunArgs, root: &Path) -> Result<Option<Arc<Config>>, String> {
    if args.no_config {
        return Ok(None);
    }
    let config = match &args.config {
        Some(path) => Some(Config::load(&root.join(path))),
        None => Config::discover(root).transpose(),
    };
    let Some(config) = config else {
        return Ok(None);
    };
    let config = config.map_err(|error| error.to_string())?;
    let incident_fields: Vec<&str> = opslint_records::incidents::Field::ALL
        .iter()
        .map(|field| field.key())
        .collect();
    config
        .check_incident_columns(&incident_fields)
        .map_err(|error| error.to_string())?;
    config
        .check_rule_ids(|id| {
            (!opslint::is_known_rule(id)).then(|| opslint::unknown_rule_message(id))
        })
        .map_err(|error| error.to_string())?;
    Ok(Some(Arc::new(config)))
}

impl From<FailLevel> for FailOn {
    fn from(level: FailLevel) -> Self {
        match level {
            FailLevel::Error => Self::Error,
            FailLevel::Warning => Self::Warning,
            FailLevel::Note => Self::Note,
            FailLevel::Never => Self::Never,
        }
    }
}

/// Writes the findings of `outcome` in `format` to `writer`.
fn emit(
    outcome: &Outcome,
    format: Format,
    color: bool,
    show_suppressed: bool,
    root: &std::path::Path,
    writer: &mut dyn Write,
) -> std::io::Result<()> {
    let report = Report {
        diagnostics: &outcome.sink.diagnostics,
        suppressed: &outcome.suppressed,
        show_suppressed,
        questions: &outcome.sink.questions,
        rules: &outcome.rules,
        files: &outcome.files,
        file_count: outcome.file_count,
        notices: &outcome.notices,
        root,
    };
    let whole = match format {
        Format::Text => return opslint_report::write_text(&report, &TextOptions { color }, writer),
        Format::Json => opslint_report::render_json(&report),
        Format::Sarif => opslint_report::render_sarif(&report),
        Format::Github => opslint_report::render_github(&report),
        Format::Gitlab => opslint_report::render_gitlab(&report),
    };
    writer.write_all(whole.as_bytes())
}

/// 2 when opslint itself failed (unreadable files, internal errors), 1 when
/// a finding reaches the fail level, else 0.
fn exit_code(outcome: &Outcome, fail_on: FailOn, exit_zero: bool) -> ExitCode {
    let run_failed = outcome
        .sink
        .diagnostics
        .iter()
        .any(|d| matches!(d.rule.id, "io-error" | "internal-error"));
    if run_failed {
        return ExitCode::from(2);
    }
    if exit_zero {
        return ExitCode::SUCCESS;
    }
    let threshold = match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Note => Severity::Note,
        FailOn::Never => return ExitCode::SUCCESS,
    };
    if outcome
        .sink
        .diagnostics
        .iter()
        .any(|d| d.severity >= threshold)
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_rules(args: &RulesArgs) -> ExitCode {
    let mut rules = opslint::reference::documented_rules();
    match args.sources.user_rules() {
        Ok(user) => rules.extend(user),
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    let selected: Vec<_> = rules
        .into_iter()
        .filter(|rule| {
            args.principle
                .as_deref()
                .is_none_or(|slug| rule.principle.is_some_and(|p| p.slug() == slug))
        })
        .filter(|rule| {
            args.artifact.as_deref().is_none_or(|kind| {
                rule.artifacts.is_empty() || rule.artifacts.iter().any(|a| a.as_str() == kind)
            })
        })
        .collect();
    let artifacts = |rule: &opslint_core::RuleMeta| {
        if rule.artifacts.is_empty() {
            "all".to_string()
        } else {
            rule.artifacts
                .iter()
                .map(|kind| kind.as_str())
                .collect::<Vec<_>>()
                .join(",")
        }
    };
    let id_width = selected
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let artifact_width = selected
        .iter()
        .map(|r| artifacts(r).len())
        .max()
        .unwrap_or(9)
        .max(9);
    let mut table = format!(
        "{:id_width$}  {:24}  {:8}  {:artifact_width$}  SUMMARY\n",
        "ID", "PRINCIPLE", "SEVERITY", "ARTIFACTS"
    );
    for rule in selected {
        table.push_str(&format!(
            "{:id_width$}  {:24}  {:8}  {:artifact_width$}  {}\n",
            rule.id,
            rule.principle.map_or("-", |p| p.slug()),
            rule.severity.as_str(),
            artifacts(rule),
            rule.summary
        ));
    }
    write_stdout(&table)
}

fn explain(id: &str, sources: &RuleSources) -> ExitCode {
    // A built-in rule is explained without reading the configuration, so an
    // invalid configuration file does not hide its documentation.
    let found = match opslint_lints::meta(id) {
        Some(meta) => Some(meta),
        None => match sources.user_rules() {
            Ok(user) => user.into_iter().find(|meta| meta.id == id),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        },
    };
    let Some(meta) = found else {
        eprintln!("error: {}", opslint::unknown_rule_message(id));
        return ExitCode::from(2);
    };
    let mut page = format!("# {}\n\n{}\n\n", meta.id, meta.summary);
    if let Some(principle) = meta.principle {
        page.push_str(&format!(
            "- Principle: {} ({})\n",
            principle.title(),
            principle.slug()
        ));
    }
    if !meta.waf.is_empty() {
        page.push_str(&format!(
            "- Well-Architected best practices: {}\n",
            meta.waf.join(", ")
        ));
    }
    page.push_str(&format!(
        "- Default severity: {}\n\n",
        meta.severity.as_str()
    ));
    page.push_str(&meta.help_markdown());
    write_stdout(&page)
}

/// Writes `text` to standard output. A closed pipe (`opslint rules | head`)
/// is not an error; any other write failure exits with 2.
fn write_stdout(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write standard output: {error}");
            ExitCode::from(2)
        }
    }
}
