use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use opslint::{Options, Outcome};
use opslint_core::Severity;
use opslint_report::{Report, TextOptions};

/// Operational-excellence linter: checks code, infrastructure as code and
/// CI/CD configuration against the AWS Well-Architected Operational
/// Excellence pillar.
#[derive(Parser)]
#[command(name = "opslint", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check files and folders and report findings and open questions.
    Check(CheckArgs),
    /// Write the operational-excellence analysis: a rating, strengths,
    /// findings, related ADRs and incidents and best practices per
    /// principle, incident figures and follow-up questions.
    Report(ReportArgs),
    /// List the rules with their principle, severity and summary.
    Rules,
    /// Print the documentation of one rule.
    Explain {
        /// Rule id, for example `k8s-missing-readiness-probe`.
        id: String,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or folders to check; folders are walked honouring .gitignore.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the output to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1; `never` always exits 0
    /// when the run itself succeeds.
    #[arg(long, value_enum, default_value_t = FailOn::Warning, value_name = "LEVEL")]
    fail_on: FailOn,
    /// Exit with 0 even when findings are reported (errors of the run itself
    /// still exit with 2).
    #[arg(long)]
    exit_zero: bool,
    /// Run only these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    select: Vec<String>,
    /// Skip these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    ignore: Vec<String>,
    /// Do not print notices about skipped files to standard error.
    #[arg(short, long)]
    quiet: bool,
    /// When to colour text output: `auto` colours only a terminal and
    /// honours NO_COLOR.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// Folder (or file) to analyse.
    #[arg(default_value = ".")]
    path: PathBuf,
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

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
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
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(args),
        Command::Report(args) => report(args),
        Command::Rules => {
            print_rules();
            ExitCode::SUCCESS
        }
        Command::Explain { id } => explain(&id),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let root = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("error: cannot read the current folder: {error}");
            return ExitCode::from(2);
        }
    };
    let options = Options {
        paths: args.paths.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        root: root.clone(),
        records: opslint_records::Config::default(),
    };
    if let Err(message) = opslint::check_rule_ids(&options) {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let outcome = opslint::run(&options);
    if !args.quiet {
        for notice in &outcome.notices {
            eprintln!("note: {notice}");
        }
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let rendered = render(&outcome, args.format, color, &root);
    if !write_output(args.output.as_deref(), &rendered) {
        return ExitCode::from(2);
    }
    exit_code(&outcome, args.fail_on, args.exit_zero)
}

/// Writes `rendered` to `output` or standard output and reports a failure
/// on standard error. A closed pipe is not a failure.
fn write_output(output: Option<&std::path::Path>, rendered: &str) -> bool {
    let written = match output {
        Some(path) => {
            std::fs::write(path, rendered.as_bytes()).map_err(|e| (path.display().to_string(), e))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(rendered.as_bytes())
                .and_then(|()| stdout.flush())
            {
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
    let root = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("error: cannot read the current folder: {error}");
            return ExitCode::from(2);
        }
    };
    if !args.path.exists() {
        eprintln!("error: `{}` does not exist", args.path.display());
        return ExitCode::from(2);
    }
    let answers_path = args.answers.clone().unwrap_or_else(|| {
        let folder = if args.path.is_dir() {
            args.path.clone()
        } else {
            args.path.parent().map(PathBuf::from).unwrap_or_default()
        };
        folder.join(opslint::answers::FILE_NAME)
    });
    let answers = match opslint::answers::load(&answers_path, &opslint::answers::today()) {
        Ok(answers) => answers,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let options = Options {
        paths: vec![args.path.clone()],
        select: Vec::new(),
        ignore: Vec::new(),
        root,
        records: opslint_records::Config {
            adr_folders: args.adr_dir.clone(),
            ..opslint_records::Config::default()
        },
    };
    let outcome = opslint::run(&options);
    if !args.quiet {
        for notice in &outcome.notices {
            eprintln!("note: {notice}");
        }
    }
    // NOTE: question ids hash the file path as displayed, which is relative
    // to the current folder, so answers match only when the report runs from
    // the same folder each time.
    let target = args.path.display().to_string();
    let analysis = opslint::analysis(&outcome, &target, &answers);
    let rendered = match args.format {
        ReportFormat::Markdown => opslint_report::analysis::render_markdown(&analysis),
        ReportFormat::Html => opslint_report::analysis::render_html(&analysis),
        ReportFormat::Json => opslint_report::analysis::render_json(&analysis),
    };
    if !write_output(args.output.as_deref(), &rendered) {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

fn render(outcome: &Outcome, format: Format, color: bool, root: &std::path::Path) -> String {
    let report = Report {
        diagnostics: &outcome.sink.diagnostics,
        questions: &outcome.sink.questions,
        rules: &outcome.rules,
        files: &outcome.files,
        file_count: outcome.file_count,
        notices: &outcome.notices,
        root,
    };
    match format {
        Format::Text => opslint_report::render_text(&report, &TextOptions { color }),
        Format::Json => opslint_report::render_json(&report),
        Format::Sarif => opslint_report::render_sarif(&report),
    }
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

fn print_rules() {
    let rules = opslint_lints::all();
    let width = rules.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
    println!(
        "{:width$}  {:24}  {:8}  SUMMARY",
        "ID", "PRINCIPLE", "SEVERITY"
    );
    for rule in rules {
        let meta = rule.meta();
        println!(
            "{:width$}  {:24}  {:8}  {}",
            meta.id,
            meta.principle.map_or("-", |p| p.slug()),
            meta.severity.as_str(),
            meta.summary
        );
    }
}

fn explain(id: &str) -> ExitCode {
    let Some(meta) = opslint_lints::meta(id) else {
        eprintln!("error: unknown rule `{id}`; `opslint rules` lists the rule ids");
        return ExitCode::from(2);
    };
    println!("# {}\n", meta.id);
    println!("{}\n", meta.summary);
    if let Some(principle) = meta.principle {
        println!("- Principle: {} ({})", principle.title(), principle.slug());
    }
    if !meta.waf.is_empty() {
        println!("- Well-Architected best practices: {}", meta.waf.join(", "));
    }
    println!("- Default severity: {}", meta.severity.as_str());
    println!();
    print!("{}", meta.help_markdown());
    ExitCode::SUCCESS
}
