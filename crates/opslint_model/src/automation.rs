//! Deploy commands that a CI step reaches: in its own shell text, in
//! composite actions of the repository that it uses, and in the scripts and
//! Makefile targets that those commands call.

use std::borrow::Cow;
use std::sync::Arc;

use opslint_core::{SourceFile, Span, normalize_path};

use crate::commands::{DeployCommand, deploy_command_in};
use crate::github::{RunScript, Step, repository_prefix};
use crate::{Facts, Workspace};

/// How many files deep calls are followed (script to script, Makefile
/// target to script), which also stops call cycles.
const MAX_DEPTH: usize = 4;

/// A deploy command found from a CI step, in the file that contains it.
#[derive(Debug, Clone)]
pub struct Reached<'a> {
    pub file: &'a Arc<SourceFile>,
    /// The command, with its span in `file`. Borrowed from the workspace
    /// when the step's commands were found once for every rule that needs them.
    pub command: Cow<'a, DeployCommand>,
    /// The files passed through from the step to the command, in call order
    /// (`.github/actions/deploy/action.yml`, `scripts/deploy.sh`); empty when
    /// the command is in the step itself.
    pub via: Cow<'a, [String]>,
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

/// Collects every deploy command that `step` of `file` reaches. Run
/// scripts start in the step's `working-directory`, else in
/// `default_directory` (the job's or workflow's `defaults.run`).
pub fn step_deploys<'a>(
    origin: Origin<'a>,
    file: &'a Arc<SourceFile>,
    step: &Step,
    default_directory: &str,
) -> Vec<Reached<'a>> {
    let mut found = Vec::new();
    if let Some(run) = &step.run {
        let cwd = step.working_directory().unwrap_or(default_directory);
        collect_run(origin, file, run, cwd, 0, &[], &mut found);
    }
    collect_uses(origin, step, 0, &[], &mut found);
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
    collect_run(origin, file, run, "", 0, &[], &mut found);
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
        let cwd = step.working_directory().unwrap_or("");
        collect_run(origin, file, run, cwd, depth, via, found);
    }
    collect_uses(origin, step, depth, via, found);
}

/// Follows `uses: ./path` into a composite action of the repository.
fn collect_uses<'a>(
    origin: Origin<'a>,
    step: &Step,
    depth: usize,
    via: &[String],
    found: &mut Vec<Reached<'a>>,
) {
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
        inner_via.push(relative_path(origin, &path));
        for inner in &action.steps {
            collect_step(origin, &artifact.file, inner, depth + 1, &inner_via, found);
        }
    }
}

/// Collects the deploys of a shell text whose commands run in the folder
/// `cwd` (relative to the repository; empty for its root).
fn collect_run<'a>(
    origin: Origin<'a>,
    file: &'a Arc<SourceFile>,
    run: &RunScript,
    cwd: &str,
    depth: usize,
    via: &[String],
    found: &mut Vec<Reached<'a>>,
) {
    let commands = &run.commands;
    let literals =
        literal_assignments(
            commands
                .iter()
                .filter_map(|command| match command.words.as_slice() {
                    [assignment] => assignment.split_once('='),
                    [export, assignment] if export == "export" => assignment.split_once('='),
                    _ => None,
                }),
        );
    for command in commands {
        let words = expand_literals(&command.words, &literals);
        let span = || run.file_span(file, command.span);
        collect_command(origin, file, &words, &span, cwd, depth, via, found);
    }
}

/// Keeps the assignments whose value is a literal word, such as
/// `TF=terraform`, so that `$TF apply` can be read as `terraform apply`.
pub fn literal_assignments<'a>(
    assignments: impl Iterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, String)> {
    assignments
        .filter(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(|(name, value)| (name, value.trim_matches(['"', '\''])))
        .filter(|(_, value)| !value.is_empty() && !value.contains(['$', '`', ' ', '(', ')']))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// Replaces words that are exactly `$NAME`, `${NAME}` or, for Makefiles,
/// `$(NAME)` by the literal value the script assigns to `NAME`. A name assigned twice keeps its
/// last value, which is right for straight-line scripts only.
pub fn expand_literals<'w>(
    words: &'w [String],
    literals: &[(String, String)],
) -> std::borrow::Cow<'w, [String]> {
    if literals.is_empty() || !words.iter().any(|word| word.starts_with('$')) {
        return std::borrow::Cow::Borrowed(words);
    }
    words
        .iter()
        .map(|word| {
            let name = word
                .strip_prefix("${")
                .and_then(|rest| rest.strip_suffix('}'))
                .or_else(|| {
                    word.strip_prefix("$(")
                        .and_then(|rest| rest.strip_suffix(')'))
                })
                .or_else(|| word.strip_prefix('$'));
            name.and_then(|name| literals.iter().rev().find(|(n, _)| n == name))
                .map_or_else(|| word.clone(), |(_, value)| value.clone())
        })
        .collect::<Vec<_>>()
        .into()
}

/// Records `words` when they form a deploy command, and otherwise follows
/// them into a script or Makefile target of the repository that they run.
/// `span` gives the command's span in `file`, which is worked out only for
/// a deploy command.
#[allow(clippy::too_many_arguments)]
fn collect_command<'a>(
    origin: Origin<'a>,
    file: &'a Arc<SourceFile>,
    words: &[String],
    span: &dyn Fn() -> Span,
    cwd: &str,
    depth: usize,
    via: &[String],
    found: &mut Vec<Reached<'a>>,
) {
    if let Some(mut deploy) = deploy_command_in(words, Span::default()) {
        deploy.span = span();
        found.push(Reached {
            file,
            command: Cow::Owned(deploy),
            via: Cow::Owned(via.to_vec()),
        });
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    match called_file(words) {
        Some(Call::Script(path)) => {
            let Some(artifact) = resolve(origin, file, cwd, &path) else {
                return;
            };
            let Facts::Shell(script) = &artifact.facts else {
                return;
            };
            let mut inner_via = via.to_vec();
            inner_via.push(relative_path(origin, &artifact.file.path));
            let literals = literal_assignments(
                script
                    .assignments
                    .iter()
                    .map(|a| (a.name.as_str(), a.raw_value.as_str())),
            );
            for inner in &script.commands {
                collect_command(
                    origin,
                    &artifact.file,
                    &expand_literals(&inner.words, &literals),
                    &|| inner.span,
                    "",
                    depth + 1,
                    &inner_via,
                    found,
                );
            }
        }
        Some(Call::Make { folder, targets }) => {
            let path = format!("{folder}Makefile");
            let Some(artifact) = resolve(origin, file, cwd, &path) else {
                return;
            };
            let Facts::Makefile(makefile) = &artifact.facts else {
                return;
            };
            let mut inner_via = via.to_vec();
            inner_via.push(relative_path(origin, &artifact.file.path));
            let mut names: Vec<String> = targets;
            if names.is_empty() {
                names.extend(makefile.default_target().map(|t| t.name.clone()));
            }
            let literals = literal_assignments(
                makefile
                    .variables
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.as_str())),
            );
            let mut visited = Vec::new();
            while let Some(name) = names.pop() {
                if visited.contains(&name) || visited.len() > 64 {
                    continue;
                }
                for target in makefile.targets_named(&name) {
                    names.extend(target.prerequisites.iter().cloned());
                    for inner in &target.commands {
                        collect_command(
                            origin,
                            &artifact.file,
                            &expand_literals(&inner.words, &literals),
                            &|| inner.span,
                            "",
                            depth + 1,
                            &inner_via,
                            found,
                        );
                    }
                }
                visited.push(name);
            }
        }
        None => {}
    }
}

/// A script or Makefile that a command runs.
#[derive(Debug, PartialEq)]
enum Call {
    Script(String),
    /// `make -C folder target...`; `folder` is empty or ends in `/`.
    Make {
        folder: String,
        targets: Vec<String>,
    },
}

/// Recognises `./scripts/deploy.sh`, `bash scripts/deploy.sh`,
/// `source lib.sh` and `make deploy`.
fn called_file(words: &[String]) -> Option<Call> {
    let mut words = words.iter().map(String::as_str).skip_while(|w| {
        w.contains('=') && !w.starts_with('-') || matches!(*w, "sudo" | "env" | "exec" | "time")
    });
    let program = words.next()?;
    let program_name = program.rsplit('/').next().unwrap_or(program);
    if matches!(program_name, "bash" | "sh" | "zsh" | "source" | ".") {
        let script = words.find(|w| !w.starts_with('-'))?;
        return Some(Call::Script(script.to_string()));
    }
    if program.ends_with(".sh") || program.ends_with(".bash") || program.starts_with("./") {
        return Some(Call::Script(program.to_string()));
    }
    if matches!(program_name, "make" | "gmake" | "$(MAKE)" | "${MAKE}") {
        let mut folder = String::new();
        let mut targets = Vec::new();
        let mut rest = words.peekable();
        while let Some(word) = rest.next() {
            if word == "-C" {
                folder = rest
                    .next()
                    .map(|f| format!("{}/", f.trim_end_matches('/')))?;
            } else if let Some(dir) = word.strip_prefix("-C") {
                folder = format!("{}/", dir.trim_end_matches('/'));
            } else if word == "-f" || word == "--file" {
                // A Makefile with another name is not followed.
                return None;
            } else if !word.starts_with('-') && !word.contains('=') {
                targets.push(word.to_string());
            }
        }
        return Some(Call::Make { folder, targets });
    }
    None
}

/// Finds the artifact for a path that a command in `file` names: relative
/// to the working folder `cwd`, to the repository root (where CI runs
/// commands), then to `file`'s folder.
fn resolve<'a>(
    origin: Origin<'a>,
    file: &SourceFile,
    cwd: &str,
    path: &str,
) -> Option<&'a crate::Artifact> {
    if path.contains('$') || path.starts_with('/') {
        return None;
    }
    let relative = path.trim_start_matches("./");
    let folder = file
        .path
        .rfind('/')
        .map_or("", |index| &file.path[..=index]);
    let cwd = cwd.trim_start_matches("./").trim_end_matches('/');
    [
        format!("{}{cwd}/{relative}", origin.prefix),
        format!("{}{relative}", origin.prefix),
        format!("{folder}{relative}"),
    ]
    .iter()
    .find_map(|candidate| origin.workspace.artifact(&normalize_path(candidate)))
}

/// Returns `path` relative to the repository folder of `origin`.
fn relative_path(origin: Origin, path: &str) -> String {
    path.strip_prefix(origin.prefix).unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn script_calls() {
        assert_eq!(
            called_file(&words("./scripts/deploy.sh prod")),
            Some(Call::Script("./scripts/deploy.sh".into()))
        );
        assert_eq!(
            called_file(&words("bash -x scripts/x.sh")),
            Some(Call::Script("scripts/x.sh".into()))
        );
        assert_eq!(called_file(&words("echo ./x.sh")), None);
    }

    #[test]
    fn make_calls() {
        assert_eq!(
            called_file(&words("make -C infra deploy ENV=prod")),
            Some(Call::Make {
                folder: "infra/".into(),
                targets: vec!["deploy".into()]
            })
        );
        assert_eq!(
            called_file(&words("make")),
            Some(Call::Make {
                folder: String::new(),
                targets: Vec::new()
            })
        );
    }

    #[test]
    fn literal_variables_expand() {
        let literals = literal_assignments([("TF", "terraform"), ("DIR", "$(pwd)")].into_iter());
        assert_eq!(literals, [("TF".to_string(), "terraform".to_string())]);
        assert_eq!(
            expand_literals(&words("${TF} apply $DIR"), &literals),
            words("terraform apply $DIR")
        );
    }
}
