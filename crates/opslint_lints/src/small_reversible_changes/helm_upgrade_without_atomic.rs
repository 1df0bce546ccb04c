use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::safe_automation::deploys::ci_commands;

pub struct HelmUpgradeWithoutAtomic;

pub static META: RuleMeta = RuleMeta {
    id: "helm-upgrade-without-atomic",
    principle: Some(Principle::SmallReversibleChanges),
    waf: &["OPS06-BP01", "OPS06-BP04"],
    severity: Severity::Warning,
    artifacts: &[
        ArtifactKind::GithubWorkflow,
        ArtifactKind::GitlabCi,
        ArtifactKind::Shell,
    ],
    summary: "`helm upgrade` in automation that does not roll back on failure",
    what_it_checks: "`helm upgrade` commands (with or without `--install`) in shell scripts \
        and run by GitHub Actions and GitLab CI jobs, directly or through scripts, Makefile \
        targets and composite actions of the repository, without \
        `--atomic` (Helm 3) or `--rollback-on-failure` (Helm 4).",
    why_it_matters: "A failed `helm upgrade` leaves the release in the `failed` state with the \
        half-applied resources running. The next upgrade then starts from a broken release, \
        and someone has to run `helm rollback` by hand. With `--atomic` Helm waits for the \
        resources and rolls back by itself when they do not become ready.",
    how_to_fix: "Add `--atomic` (Helm 3) or `--rollback-on-failure` (Helm 4), with a timeout \
        that fits the rollout:\n\n\
        ```sh\nhelm upgrade --install api ./chart --atomic --timeout 10m\n```",
    known_limits: "Flags set through `HELM_*` environment variables or a wrapper such as \
        helmfile are not read. A command that takes words from a variable (`$HELM_FLAGS`) \
        becomes a question.",
};

/// Returns whether a word is nothing but a variable, `$NAME` or `${NAME}`,
/// so it can expand to several flags.
fn is_bare_variable(word: &str) -> bool {
    let name = word
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .or_else(|| word.strip_prefix('$'));
    name.is_some_and(|name| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

impl Rule for HelmUpgradeWithoutAtomic {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for found in ci_commands(workspace) {
            let Some(reached) = &found.deploy.reached else {
                continue;
            };
            let command = &reached.command;
            if command.name != "helm upgrade" {
                continue;
            }
            let file = found.deploy.file;
            if command.has_flag("--atomic") || command.has_flag("--rollback-on-failure") {
                sink.holds(&META, file, found.location);
                continue;
            }
            // An unquoted `$HELM_FLAGS` may expand to several flags, `--atomic`
            // among them; a quoted `"$chart"` stays one argument.
            let flag_variables: Vec<&str> = file
                .slice(command.span)
                .split_whitespace()
                .filter(|word| is_bare_variable(word))
                .collect();
            if !flag_variables.is_empty() {
                let names: Vec<String> = flag_variables.iter().map(|w| format!("`{w}`")).collect();
                sink.unclear(
                    &META,
                    file,
                    command.span,
                    found.location,
                    format!(
                        "does {} add `--atomic` or `--rollback-on-failure` to this `helm upgrade`?",
                        names.join(" or ")
                    ),
                    "the command takes words from variables that the repository does not set",
                );
                continue;
            }
            sink.violation(
                &META,
                file,
                command.span,
                found.location,
                "`helm upgrade` runs without `--atomic` or `--rollback-on-failure`",
                "a failed upgrade stays applied",
            )
            .help = Some("add `--atomic` (Helm 3) or `--rollback-on-failure` (Helm 4)".into());
        }
    }
}
