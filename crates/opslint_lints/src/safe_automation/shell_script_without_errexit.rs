use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, Span};
use opslint_model::shell::ShellScript;
use opslint_model::{Facts, Workspace};

use crate::Rule;

pub struct ShellScriptWithoutErrexit;

pub static META: RuleMeta = RuleMeta {
    id: "shell-script-without-errexit",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS05-BP10", "OPS06-BP01"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Shell],
    summary: "shell script that keeps going after a command fails",
    what_it_checks: "`.sh` and `.bash` files that run commands outside functions and never \
        turn on `errexit`: no `set -e` (alone or combined, as in `set -euo pipefail`), no \
        `set -o errexit`, no `-e` on the `#!` line, and no sourced script of the \
        repository that sets it. A sourced path is looked up beside the script and from the \
        repository's root, where CI runs scripts.",
    why_it_matters: "Without `errexit`, a failed build, login or plan is followed by the next \
        command as if it had worked: the script pushes a stale image, applies with missing \
        credentials, or reports success to the pipeline after a failed deploy.",
    how_to_fix: "Stop at the first failed command, unset variable or failed pipe stage:\n\n\
        ```sh\n#!/usr/bin/env bash\nset -euo pipefail\n```",
    known_limits: "Scripts that check `$?` after every command are reported too. A script \
        that only defines functions for others to source is skipped.",
};

impl Rule for ShellScriptWithoutErrexit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for artifact in workspace.all() {
            let Facts::Shell(script) = &artifact.facts else {
                continue;
            };
            let file = &artifact.file;
            if !script.commands.iter().any(|command| !command.in_function) {
                continue;
            }
            if script.errexit || sources_errexit(workspace, &file.path, script) {
                sink.holds(&META, file, file.path.clone());
                continue;
            }
            let first_line_end = file.text.find('\n').unwrap_or(file.text.len());
            sink.violation(
                &META,
                file,
                Span::new(0, first_line_end),
                file.path.clone(),
                "script keeps running after a command fails because it never sets `errexit`",
                "no `set -e` in this script",
            )
            .help = Some("add `set -euo pipefail` after the `#!` line".into());
        }
    }
}

/// Returns whether a script that `script` sources (`source lib.sh`, `. ./lib.sh`)
/// from its own folder or from the repository's root turns on `errexit`.
fn sources_errexit(workspace: &Workspace, path: &str, script: &ShellScript) -> bool {
    let folder = path.rfind('/').map_or("", |index| &path[..=index]);
    script.commands.iter().any(|command| {
        let [program, sourced, ..] = command.words.as_slice() else {
            return false;
        };
        if !matches!(program.as_str(), "source" | ".") {
            return false;
        }
        let sourced = sourced
            .trim_start_matches("./")
            .replace("$(dirname \"$0\")/", "")
            .replace("$(dirname $0)/", "");
        let sets_errexit = |candidate: &str| {
            matches!(
                workspace.artifact(candidate).map(|a| &a.facts),
                Some(Facts::Shell(inner)) if inner.errexit
            )
        };
        if sets_errexit(&format!("{folder}{sourced}")) || sets_errexit(&sourced) {
            return true;
        }
        // CI runs scripts from the repository's root, so `. ./scripts/x.sh`
        // names a path from there; the run may have started in a folder
        // above it.
        sourced.contains('/')
            && workspace.artifacts.iter().any(|artifact| {
                artifact.file.path.ends_with(&format!("/{sourced}"))
                    && matches!(&artifact.facts, Facts::Shell(inner) if inner.errexit)
            })
    })
}
