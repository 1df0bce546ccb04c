//! Deploy commands that a CI step reaches: in its own shell text, in
//! composite actions of the repository that it uses, and in the scripts and
//! Makefile targets that those commands call.

use std::sync::Arc;

use opslint_core::{SourceFile, Span};

use crate::commands::{DeployCommand, ShellCommand, deploy_command, parse_commands};
use crate::github::{RunScript, Step, repository_prefix};
use crate::{Facts, Workspace};

/// How many files deep calls are followed (script to script, Makefile
/// target to script), which also stops call cycles.
const MAX_DEPTH: usize = 4;

/// A deploy command found from a CI step, in the file that contains it.
#[derive(Debug, Clone)]
pub struct Reached<'a> {
    pub file: &'a Arc<SourceFile>,
    /// The command, with its span in `file`.
    pub command: DeployCommand,
    /// The files passed through from the step to the command, in call order
    /// (`.github/actions/deploy/action.yml`, `scripts/deploy.sh`); empty when
    /// the command is in the step itself.
    pub via: Vec<String>,
}

/// The repository folder that relative paths in a CI file resolve against,
/// with a trailing `/` unless it is the root.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub workspace: &'a Workspace,
    pub prefix: &'a str,
}

impl<'a> Origin<'a> {
    /// Finds the origin of a GitHub workflow or action file.
    pub fn github(workspace: &'a Workspace, path: &'a str) -> Self {
        Self {
            workspace,
            prefix: repository_prefix(path),
        }
    }
}

/// Collects every deploy command that `step` of `file` reaches.
pub fn step_deploys<'a>(
    origin: Origin<'a>,
    file: &'a Arc<SourceFile>,
    step: &Step,
) -> Vec<Reached<'a>> {
    let mut found = Vec::new();
    collect_step(origin, file, step, 0, &[], &mut found);
    found
}

/// Collects every deploy command that a shell text reaches, such as a GitLab
/// `script:` entry.
pub fn script_deploys<'a>(
    origin: Origin<'a>,
    file: &'a Arc<SourceFile>,
    run: &RunScript,
) -> Vec<Reached<'a>> {
    let mut found = Vec::new();
    collect_run(origin, file, run, 0, &[], &mut found);
    found
}

fn collect_step<'a>(
    origin: Origin<'a>,
    file: &'a Arc<SourceFile>,
    step: &Step,
    depth: usize,
    via: &[String],
    found: &mut Vec<Reached<'a>>,
) {
    if let Some(run) = &step.run {
        collect_run(origin, file, run, depth, via, found);
    }
    let Some(local) = step
        .uses
        .as_deref()
        .and_then(|uses| uses.strip_prefix("./"))
    else {
        return;
    };
    if depth >= MAX_DEPTH {
        return;
    }
    let folder = format!("{}{}", origin.prefix, local.trim_end_matches('/'));
    for name in ["action.yml", "action.yaml"] {
        let path = format!("{folder}/{name}");
        let Some(artifact) = origin.workspace.artifact(&path) else {
            continue;
        };
        let Facts::GithubAction(action) = &artifact.facts else {
            continue;
        };
        let mut inner_via = via.to_vec();
        inner_via.push(path[origin.prefix.len()..].to_string());
        for inner in &action.steps {
            collect_step(origin, &artifact.file, inner, depth + 1, &inner_via, found);
        }
    }
}

fn collect_run<'a>(
    origin: Origin<'a>,
    file: &'a Arc<SourceFile>,
    run: &RunScript,
    depth: usize,
    via: &[String],
    found: &mut Vec<Reached<'a>>,
) {
    for command in parse_commands(&run.text) {
        let span = run.file_span(file, command.span);
        collect_command(origin, file, &command.words, span, depth, via, found);
    }
}

/// Records `words` when they form a deploy command.
fn collect_command<'a>(
    _origin: Origin<'a>,
    file: &'a Arc<SourceFile>,
    words: &[String],
    span: Span,
    _depth: usize,
    via: &[String],
    found: &mut Vec<Reached<'a>>,
) {
    let command = ShellCommand {
        words: words.to_vec(),
        span,
    };
    if let Some(deploy) = deploy_command(&command) {
        found.push(Reached {
            file,
            command: deploy,
            via: via.to_vec(),
        });
    }
}
