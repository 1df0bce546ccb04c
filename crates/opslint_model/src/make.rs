//! Makefiles: targets, their prerequisites and the commands of their
//! recipes. Variables are not expanded.

use opslint_core::Span;

use crate::commands::{ShellCommand, parse_commands};

#[derive(Debug, Default)]
pub struct Makefile {
    pub targets: Vec<Target>,
    /// `NAME = value`, `NAME := value` and `NAME ?= value` lines, as written.
    pub variables: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Target {
    pub name: String,
    pub prerequisites: Vec<String>,
    /// Recipe commands, with spans in the Makefile.
    pub commands: Vec<ShellCommand>,
}

impl Makefile {
    pub fn parse(text: &str) -> Self {
        let mut makefile = Self::default();
        let mut current: Vec<usize> = Vec::new();
        let mut offset = 0;
        let mut lines = text.split_inclusive('\n').peekable();
        while let Some(line) = lines.next() {
            let start = offset;
            offset += line.len();
            if let Some(recipe) = line.strip_prefix('\t') {
                if current.is_empty() {
                    continue;
                }
                // Join continuation lines into one logical recipe line.
                let mut end = offset;
                let mut logical = recipe.to_string();
                while logical.trim_end().ends_with('\\') {
                    let Some(next) = lines.next() else { break };
                    offset += next.len();
                    end = offset;
                    logical.push_str(next);
                }
                let prefix_len =
                    1 + recipe.len() - recipe.trim_start_matches(['@', '-', '+', ' ']).len();
                let body_start = start + prefix_len;
                let body = braced_references(&text[body_start..end.min(text.len())]);
                for command in parse_commands(&body) {
                    let shifted = ShellCommand {
                        words: command.words,
                        span: Span::new(
                            body_start + command.span.start,
                            body_start + command.span.end,
                        ),
                    };
                    for &index in &current {
                        makefile.targets[index].commands.push(shifted.clone());
                    }
                }
                continue;
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            current.clear();
            if let Some((name, value)) = variable_assignment(trimmed) {
                makefile.variables.push((name, value));
                continue;
            }
            let Some((names, rest)) = trimmed.split_once(':') else {
                continue;
            };
            // `NAME := value` and `NAME ::= value` are assignments.
            if rest.starts_with('=') || rest.starts_with(":=") || names.contains('=') {
                continue;
            }
            let rest = rest.split(['#', ';']).next().unwrap_or("");
            let prerequisites: Vec<String> = rest
                .split_whitespace()
                .filter(|word| *word != "|")
                .map(str::to_string)
                .collect();
            for name in names.split_whitespace() {
                current.push(makefile.targets.len());
                makefile.targets.push(Target {
                    name: name.to_string(),
                    prerequisites: prerequisites.clone(),
                    commands: Vec::new(),
                });
            }
        }
        makefile
    }

    /// Returns the rules for target `name`, since a Makefile may split one target over
    /// several rules.
    pub fn targets_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Target> {
        self.targets
            .iter()
            .filter(move |target| target.name == name)
    }

    /// Returns the target that `make` builds with no argument: the first one whose name
    /// does not start with `.`.
    pub fn default_target(&self) -> Option<&Target> {
        self.targets
            .iter()
            .find(|target| !target.name.starts_with('.'))
    }
}

/// Rewrites Make references `$(NAME)` as `${NAME}`, which has the same
/// length, so the shell tokenizer does not read them as command
/// substitutions and spans stay valid.
fn braced_references(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if name_end > 0 && after[name_end..].starts_with(')') {
            out.push_str("${");
            out.push_str(&after[..name_end]);
            out.push('}');
            rest = &after[name_end + 1..];
        } else {
            out.push_str("$(");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Reads `NAME = value`, `NAME := value`, `NAME ::= value` and
/// `NAME ?= value`; `+=` appends and is left out.
fn variable_assignment(line: &str) -> Option<(String, String)> {
    let equals = line.find('=')?;
    let colon = line.find(':');
    if colon.is_some_and(|c| c < equals && !line[c..equals].chars().all(|ch| ch == ':')) {
        return None;
    }
    let name = line[..equals].trim_end_matches([':', '?']).trim();
    let is_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    is_name.then(|| (name.to_string(), line[equals + 1..].trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_recipes() {
        let text = "TF := terraform\n.PHONY: deploy\ndeploy: build\n\t@echo go\n\t-terraform apply \\\n\t  -auto-approve\nbuild:\n\tcargo build\n";
        let makefile = Makefile::parse(text);
        let deploy = makefile
            .targets_named("deploy")
            .last()
            .expect("deploy target");
        assert_eq!(deploy.prerequisites, ["build"]);
        assert_eq!(deploy.commands.len(), 2);
        let apply = &deploy.commands[1];
        assert_eq!(apply.words, ["terraform", "apply", "-auto-approve"]);
        assert!(text[apply.span.start..apply.span.end].starts_with("terraform apply"));
        assert_eq!(
            makefile.default_target().map(|t| t.name.as_str()),
            Some("deploy")
        );
    }
}
