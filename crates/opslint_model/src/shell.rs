//! Shell scripts: their commands, assignments and error handling options.

use opslint_syntax::bash::{Assignment, BashCommand, BashFile};

#[derive(Debug)]
pub struct ShellScript {
    pub commands: Vec<BashCommand>,
    pub assignments: Vec<Assignment>,
    /// Whether the script turns on `errexit` (`set -e`, `set -o errexit`
    /// or `-e` on the `#!` line) outside any function.
    pub errexit: bool,
}

impl ShellScript {
    pub fn new(bash: BashFile) -> Self {
        let errexit = bash.shebang_options.iter().any(|o| sets_errexit(o))
            || bash.commands.iter().any(|command| {
                !command.in_function && command.words.first().is_some_and(|w| w == "set") && {
                    let args = &command.words[1..];
                    args.iter().any(|arg| sets_errexit(arg))
                        || args
                            .windows(2)
                            .any(|pair| pair[0] == "-o" && pair[1] == "errexit")
                }
            });
        Self {
            commands: bash.commands,
            assignments: bash.assignments,
            errexit,
        }
    }
}

/// Returns whether a `set` or shebang option such as `-e`, `-eu` or `-Eeuo` turns
/// on `errexit`.
fn sets_errexit(option: &str) -> bool {
    option
        .strip_prefix('-')
        .is_some_and(|letters| !letters.starts_with('-') && letters.contains('e'))
}
