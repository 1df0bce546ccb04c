use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile, Span};
use opslint_model::commands::{DeployCommand, parse_commands, ssh_remote_command};
use opslint_model::github::RunScript;
use opslint_model::{Facts, Workspace};

use super::deploys::{DeployStep, Gate, deploy_steps, github_jobs, gitlab_jobs, step_location};
use crate::Rule;

pub struct UnguardedDestructiveCommand;

pub static META: RuleMeta = RuleMeta {
    id: "unguarded-destructive-command",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS06-BP01", "OPS07-BP05"],
    severity: Severity::Error,
    artifacts: &[
        ArtifactKind::Shell,
        ArtifactKind::Makefile,
        ArtifactKind::GithubWorkflow,
        ArtifactKind::GitlabCi,
    ],
    summary: "destructive command that an empty variable or an unattended run can aim wrong",
    what_it_checks: "Two kinds of command, in shell scripts, Makefile recipes and GitHub \
        Actions and GitLab CI scripts. First, `rm -r` (any flags with `r`, `R` or \
        `--recursive`) on a path that starts with `$VAR/` or `${VAR}/`, also inside the \
        command that `ssh` runs on a host. It fires unless \
        the variable is guarded (`${VAR:?}`, `${VAR:-default}`) or set in the same \
        script to a literal or to a path command (`$(mktemp -d)`, `$(dirname ...)`, \
        `$(cd ... && pwd)`). It also stays quiet for the variables that the shell or CI \
        runner always sets (`HOME`, `PWD`, `RUNNER_TEMP`, `GITHUB_WORKSPACE`, \
        `CI_PROJECT_DIR` and similar). In a Makefile recipe this covers `$(NAME)` of a \
        variable the Makefile never sets and `$$NAME` of a shell variable the recipe \
        never sets. Second, infrastructure deletion run by a CI job with no environment \
        and no manual gate: `terraform destroy -auto-approve`, `kubectl delete` of \
        namespaces or `--all`, `helm uninstall`, `aws cloudformation delete-stack`, `cdk \
        destroy --force`, `pulumi destroy --yes` and `serverless remove`.",
    why_it_matters: "When the variable is empty, `rm -rf \"$BUILD_DIR/\"` becomes \
        `rm -rf /` and deletes whatever the runner or host lets it. A deletion that a push \
        can start with no approval removes production the first time a trigger or branch \
        filter is wrong.",
    how_to_fix: "Make an empty variable stop the script, and gate deletions:\n\n\
        ```sh\nrm -rf \"${BUILD_DIR:?}/\"\n```\n\n\
        ```yaml\njobs:\n  teardown:\n    environment: production\n```",
    known_limits: "Variables set in a workflow's `env:` are not read, so an `rm` on them is \
        reported. A deletion whose text names the pull or merge request \
        (`preview-${{ github.event.number }}`, `review-$CI_MERGE_REQUEST_IID`) removes a \
        preview and is not reported; other tear-downs of short-lived environments are.",
};

/// Variables that the shell or the CI runner always sets to a non-empty
/// path.
const ALWAYS_SET: [&str; 9] = [
    "HOME",
    "PWD",
    "TMPDIR",
    "RUNNER_TEMP",
    "RUNNER_TOOL_CACHE",
    "GITHUB_WORKSPACE",
    "GITHUB_ACTION_PATH",
    "CI_PROJECT_DIR",
    "CI_BUILDS_DIR",
];

/// Command substitutions that print a non-empty path whenever they succeed.
const PATH_COMMANDS: [&str; 6] = [
    "$(mktemp",
    "$(dirname",
    "$(cd ",
    "$(pwd",
    "$(realpath",
    "$(git rev-parse",
];

impl Rule for UnguardedDestructiveCommand {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        check_scripts(workspace, sink);
        check_makefiles(workspace, sink);
        check_ci_scripts(workspace, sink);
        check_unattended_deletions(workspace, sink);
    }
}

/// Returns the variable that an `rm -r` of `words` deletes below when it is
/// not guarded, given the variables that the script sets.
fn unguarded_rm_variable(words: &[String], assigned: &[String]) -> Option<String> {
    let mut words = words.iter().skip_while(|w| w.as_str() == "sudo");
    match words.next().map(String::as_str) {
        Some("rm") => {}
        // The command that `ssh` runs on the host, usually one quoted
        // word: `ssh app "rm -rf $OLD/*"` is as dangerous there.
        Some("ssh") => {
            let args: Vec<&str> = words.map(String::as_str).collect();
            let remote = ssh_remote_command(&args)?;
            return parse_commands(&remote)
                .iter()
                .find_map(|command| unguarded_rm_variable(&command.words, assigned));
        }
        _ => return None,
    }
    let args: Vec<&String> = words.collect();
    let recursive = args.iter().any(|arg| {
        arg.as_str() == "--recursive"
            || (arg.starts_with('-') && !arg.starts_with("--") && arg.contains(['r', 'R']))
    });
    if !recursive {
        return None;
    }
    args.iter()
        .filter(|arg| !arg.starts_with('-'))
        .find_map(|arg| {
            let rest = arg.strip_prefix('$')?;
            let (name, after) = if let Some(braced) = rest.strip_prefix('{') {
                let end = braced.find('}')?;
                let inner = &braced[..end];
                // `${VAR:?}`, `${VAR?}`, `${VAR:-x}` and `${VAR-x}` never expand empty
                // without failing or falling back.
                if inner.contains(['?', '-', '=']) && !inner.ends_with(":-") {
                    return None;
                }
                (inner.to_string(), &braced[end + 1..])
            } else {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                (rest[..end].to_string(), &rest[end..])
            };
            let is_known = ALWAYS_SET.contains(&name.as_str()) || assigned.contains(&name);
            (after.starts_with('/') && !name.is_empty() && !is_known).then_some(name)
        })
}

/// Names that a script sets to a literal, or to the output of a command that
/// prints a path such as `$(mktemp -d)` or `$(cd "$(dirname "$0")" && pwd)`.
fn safe_assignments<'a>(assignments: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    assignments
        .filter(|(_, value)| {
            let value = value.trim_matches(['"', '\'']);
            (!value.is_empty() && !value.contains('$'))
                || PATH_COMMANDS
                    .iter()
                    .any(|command| value.starts_with(command))
        })
        .map(|(name, _)| name.to_string())
        .collect()
}

fn report_rm(sink: &mut Sink, file: &SourceFile, span: Span, location: String, variable: &str) {
    sink.violation(
        &META,
        file,
        span,
        location,
        format!("`rm -r` deletes below `${variable}`, which is not guarded against being empty"),
        "becomes `rm -r /...` when the variable is empty",
    )
    .help = Some(format!(
        "write `${{{variable}:?}}` so an empty or unset `{variable}` stops the script"
    ));
}

fn report_make_rm(
    sink: &mut Sink,
    file: &SourceFile,
    span: Span,
    location: String,
    variable: &str,
) {
    sink.violation(
        &META,
        file,
        span,
        location,
        format!("`rm -r` deletes below `$({variable})`, which the Makefile never sets"),
        "becomes `rm -r /...` when the variable is empty",
    )
    .help = Some(format!(
        "set a default with `{variable} ?= <folder>`, or stop with `$(if $({variable}),,$(error {variable} is not set))`"
    ));
}

fn check_scripts(workspace: &Workspace, sink: &mut Sink) {
    for artifact in workspace.all() {
        let Facts::Shell(script) = &artifact.facts else {
            continue;
        };
        let assigned = safe_assignments(
            script
                .assignments
                .iter()
                .map(|a| (a.name.as_str(), a.raw_value.as_str())),
        );
        for command in &script.commands {
            if let Some(variable) = unguarded_rm_variable(&command.words, &assigned) {
                report_rm(
                    sink,
                    &artifact.file,
                    command.span,
                    artifact.file.path.clone(),
                    &variable,
                );
            }
        }
    }
}

/// Checks Makefile recipes, where `$(NAME)` of a variable that the Makefile
/// does not set expands to nothing, and `$$NAME` of a shell variable that the
/// recipe does not set does too.
fn check_makefiles(workspace: &Workspace, sink: &mut Sink) {
    for artifact in workspace.all() {
        let Facts::Makefile(makefile) = &artifact.facts else {
            continue;
        };
        let assigned: Vec<String> = makefile
            .variables
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, _)| name.clone())
            .collect();
        for target in &makefile.targets {
            // `$$NAME` reaches a shell variable of the recipe; Make variables
            // are left out of that check by hiding their `$`.
            let shell_words = |words: &[String]| -> Vec<String> {
                words
                    .iter()
                    .map(|word| {
                        if word.contains("$$") {
                            word.replace("$$", "$")
                        } else {
                            word.replace('$', "\u{0}")
                        }
                    })
                    .collect()
            };
            let recipe: Vec<Vec<String>> = target
                .commands
                .iter()
                .map(|command| shell_words(&command.words))
                .collect();
            let shell_assigned = safe_assignments(recipe.iter().flatten().filter_map(|word| {
                word.split_once('=')
                    .filter(|(name, _)| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            }));
            for (command, words) in target.commands.iter().zip(&recipe) {
                // The fingerprint hashes the file's path already.
                let location = format!("targets/{}", target.name);
                if let Some(variable) = unguarded_rm_variable(&command.words, &assigned) {
                    report_make_rm(sink, &artifact.file, command.span, location, &variable);
                } else if let Some(variable) = unguarded_rm_variable(words, &shell_assigned) {
                    sink.violation(
                        &META,
                        &artifact.file,
                        command.span,
                        location,
                        format!(
                            "`rm -r` deletes below `$${variable}`, which is not guarded against \
                             being empty"
                        ),
                        "becomes `rm -r /...` when the variable is empty",
                    )
                    .help = Some(format!(
                        "write `$${{{variable}:?}}` so an empty or unset `{variable}` stops the recipe"
                    ));
                }
            }
        }
    }
}

fn check_run_text(sink: &mut Sink, file: &SourceFile, run: &RunScript, location: String) {
    let commands = &run.commands;
    let assigned = safe_assignments(commands.iter().flat_map(|command| {
        command
            .words
            .iter()
            .filter_map(|word| word.split_once('='))
            .filter(|(name, _)| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    }));
    for command in commands {
        if let Some(variable) = unguarded_rm_variable(&command.words, &assigned) {
            report_rm(
                sink,
                file,
                run.file_span(file, command.span),
                location.clone(),
                &variable,
            );
        }
    }
}

fn check_ci_scripts(workspace: &Workspace, sink: &mut Sink) {
    for context in github_jobs(workspace) {
        for step in &context.job.steps {
            if let Some(run) = &step.run {
                let location = step_location(context.artifact, context.job, step.index);
                check_run_text(sink, &context.artifact.file, run, location);
            }
        }
    }
    for context in gitlab_jobs(workspace) {
        let file = &context.artifact.file;
        for key in ["before_script", "script", "after_script"] {
            // Only the job's own lines, so a shared template is reported once.
            let Some(node) = context.job.node.get(key) else {
                continue;
            };
            let items: Vec<_> = match node.as_seq() {
                Some(items) => items.iter().collect(),
                None => vec![node],
            };
            for item in items {
                if let Some(run) = RunScript::from_node(item, file) {
                    check_run_text(sink, file, &run, context.location());
                }
            }
        }
    }
}

/// Returns whether a deletion runs without any prompt of its own.
fn is_unattended_deletion(command: &DeployCommand) -> bool {
    let positional: Vec<&str> = command
        .words
        .iter()
        .map(String::as_str)
        .filter(|w| !w.starts_with('-'))
        .collect();
    match command.name.as_str() {
        "terraform destroy" | "terraform apply" | "pulumi destroy" => command.auto_approve,
        "kubectl delete" => {
            // `kubectl delete namespace NAME` or the `namespace/NAME` form.
            positional.iter().any(|w| {
                let kind = w.split('/').next().unwrap_or(w);
                matches!(kind, "namespace" | "namespaces" | "ns")
            }) || command.has_flag("--all")
                || command.has_flag("--all-namespaces")
        }
        "cdk destroy" => command.has_flag("--force") || command.has_flag("-f"),
        "helm uninstall"
        | "helm delete"
        | "aws cloudformation delete-stack"
        | "serverless remove"
        | "sls remove"
        | "aws ecs delete-service" => true,
        _ => false,
    }
}

fn report_deletion(sink: &mut Sink, job: &str, deploy: &DeployStep, location: String) {
    let (file, span) = deploy.job_site();
    sink.violation(
        &META,
        file,
        span,
        location,
        format!(
            "job `{job}` runs `{}`{} with no environment or manual gate",
            deploy.name,
            deploy.via_clause()
        ),
        "deletes infrastructure unattended",
    )
    .help = Some(format!(
        "gate job `{job}` with a protected environment or a manual start"
    ));
}

fn check_unattended_deletions(workspace: &Workspace, sink: &mut Sink) {
    for context in github_jobs(workspace) {
        if context.gate() != Gate::None {
            continue;
        }
        for deploy in deploy_steps(workspace, context.artifact, context.job) {
            let Some(reached) = &deploy.reached else {
                continue;
            };
            if reached.command.destroys && is_unattended_deletion(&reached.command) {
                report_deletion(sink, &context.job.id, &deploy, context.location());
            }
        }
    }
    for context in gitlab_jobs(workspace) {
        if context.gate() != Gate::None {
            continue;
        }
        for deploy in context.deploys(workspace) {
            let Some(reached) = &deploy.reached else {
                continue;
            };
            if reached.command.destroys && is_unattended_deletion(&reached.command) {
                report_deletion(sink, &context.job.name, &deploy, context.location());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn unguarded_variables() {
        assert_eq!(
            unguarded_rm_variable(&words("rm -rf $BUILD_DIR/"), &[]),
            Some("BUILD_DIR".into())
        );
        assert_eq!(
            unguarded_rm_variable(&words("sudo rm -fr ${OUT}/*"), &[]),
            Some("OUT".into())
        );
    }

    #[test]
    fn guarded_and_known_variables() {
        assert_eq!(
            unguarded_rm_variable(&words("rm -rf ${OUT:?}/x"), &[]),
            None
        );
        assert_eq!(
            unguarded_rm_variable(&words("rm -rf $HOME/.cache"), &[]),
            None
        );
        assert_eq!(unguarded_rm_variable(&words("rm -rf $OUT"), &[]), None);
        assert_eq!(unguarded_rm_variable(&words("rm -f $OUT/x"), &[]), None);
        assert_eq!(
            unguarded_rm_variable(&words("rm -rf $OUT/x"), &["OUT".to_string()]),
            None
        );
    }
}
