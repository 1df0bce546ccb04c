//! The command-line side of `cloudformation-rollback-disabled`: stack
//! operations that CI runs with rollback turned off.

use opslint_core::Sink;
use opslint_model::Workspace;

use super::cloudformation_rollback_disabled::META;
use crate::safe_automation::deploys::ci_commands;

/// Tools and operations that create or update stacks and take
/// `--disable-rollback`.
const STACK_COMMANDS: [&str; 5] = [
    "aws cloudformation deploy",
    "aws cloudformation create-stack",
    "aws cloudformation update-stack",
    "aws cloudformation execute-change-set",
    "sam deploy",
];

/// Reports `--disable-rollback`, `--on-failure DO_NOTHING` and CDK's
/// `--no-rollback` on commands that CI steps run.
pub fn check_cli(workspace: &Workspace, sink: &mut Sink) {
    for found in ci_commands(workspace) {
        let Some(reached) = &found.deploy.reached else {
            continue;
        };
        let command = &reached.command;
        let file = found.deploy.file;
        let is_stack_command = STACK_COMMANDS.contains(&command.name.as_str());
        let is_cdk = command.name == "cdk deploy";
        if !is_stack_command && !is_cdk {
            continue;
        }
        let disabled = if is_cdk {
            ["--no-rollback", "--rollback=false"]
                .iter()
                .find(|flag| command.words.iter().any(|w| w == *flag))
                .map(|flag| format!("`{flag}`"))
        } else if command.has_flag("--disable-rollback") {
            Some("`--disable-rollback`".to_string())
        } else {
            match command.flag_value("--on-failure") {
                Some(value) if value.eq_ignore_ascii_case("DO_NOTHING") => {
                    Some("`--on-failure DO_NOTHING`".to_string())
                }
                Some(value) if value.starts_with('$') => {
                    sink.unclear(
                        &META,
                        file,
                        command.span,
                        found.location,
                        format!(
                            "which value does `{value}` take for `--on-failure` of `{}`?",
                            command.name
                        ),
                        "`DO_NOTHING` would leave a failed stack as it is",
                    );
                    continue;
                }
                _ => None,
            }
        };
        match disabled {
            Some(flag) => {
                sink.violation(
                    &META,
                    file,
                    command.span,
                    found.location,
                    format!("`{}` runs with {flag}", command.name),
                    "a failed deploy is not rolled back",
                )
                .help = Some(
                    "remove the flag so CloudFormation rolls back a failed stack operation".into(),
                );
            }
            None => sink.holds(&META, file, found.location),
        }
    }
}
