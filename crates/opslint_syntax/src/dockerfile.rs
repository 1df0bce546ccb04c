//! Dockerfiles through the arborium-dockerfile tree-sitter grammar: build
//! stages with their `FROM` image and alias, and `HEALTHCHECK` instructions.

use opslint_core::Span;
use tree_sitter::Node as TsNode;

use crate::SyntaxError;
use crate::parsers::{self, Grammar};

#[derive(Debug, Default)]
pub struct DockerfileSyntax {
    pub stages: Vec<Stage>,
    /// `ARG` instructions before the first `FROM`, which `FROM` lines may
    /// read, with their default values.
    pub global_args: Vec<(String, Option<String>)>,
    pub errors: Vec<SyntaxError>,
}

/// One build stage: a `FROM` instruction and what follows up to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// The image reference after `FROM`, as written (`golang:1.22`,
    /// `${BASE}`, or the alias of an earlier stage).
    pub base: String,
    pub base_span: Span,
    /// The name given with `AS`.
    pub alias: Option<String>,
    /// Span of the whole `FROM` instruction.
    pub from_span: Span,
    /// The last `HEALTHCHECK` of the stage, which is the one Docker uses.
    pub healthcheck: Option<Healthcheck>,
    /// The stage sets `CMD` or `ENTRYPOINT`.
    pub sets_command: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Healthcheck {
    pub span: Span,
    /// `HEALTHCHECK NONE`, which turns off a check inherited from the base.
    pub disabled: bool,
}

pub fn parse(text: &str) -> DockerfileSyntax {
    let mut file = DockerfileSyntax::default();
    let prepared = mask_empty_defaults(text);
    let Some(tree) = parsers::parse(Grammar::Dockerfile, &prepared) else {
        file.errors.push(SyntaxError::new(
            Span::new(0, 0),
            "Dockerfile parsing was cancelled",
        ));
        return file;
    };
    let root = tree.root_node();
    if root.has_error() {
        let error = crate::yaml::first_error(root).unwrap_or(root);
        let message = if error.is_missing() {
            crate::yaml::missing_message("Dockerfile", error, text)
        } else {
            let first_word = text[error.start_byte()..error.end_byte()]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .chars()
                .take(40)
                .collect::<String>();
            format!("invalid Dockerfile instruction starting with `{first_word}`")
        };
        // An error node can run to the end of the file; point at its first line.
        let start = error.start_byte();
        let first_line_end = text[start..]
            .find('\n')
            .map_or(text.len(), |offset| start + offset);
        let end = error.end_byte().clamp(start, first_line_end);
        file.errors
            .push(SyntaxError::new(Span::new(start, end), message));
    }
    let mut cursor = root.walk();
    for instruction in root.named_children(&mut cursor) {
        match instruction.kind() {
            "from_instruction" => {
                if let Some(stage) = from_stage(instruction, text) {
                    file.stages.push(stage);
                }
            }
            "healthcheck_instruction" => {
                let body = node_text(instruction, text);
                let disabled = body
                    .split_whitespace()
                    .nth(1)
                    .is_some_and(|word| word.eq_ignore_ascii_case("NONE"));
                if let Some(stage) = file.stages.last_mut() {
                    stage.healthcheck = Some(Healthcheck {
                        span: span(instruction),
                        disabled,
                    });
                }
            }
            "arg_instruction" if file.stages.is_empty() => {
                let Some(name) = instruction.child_by_field_name("name") else {
                    continue;
                };
                let default = instruction.child_by_field_name("default").map(|value| {
                    let raw = node_text(value, text);
                    raw.trim_matches(|c| c == '"' || c == '\'').to_string()
                });
                file.global_args
                    .push((node_text(name, text).to_string(), default));
            }
            "cmd_instruction" | "entrypoint_instruction" => {
                if let Some(stage) = file.stages.last_mut() {
                    stage.sets_command = true;
                }
            }
            _ => {}
        }
    }
    file
}

/// Rewrites `ARG NAME=` and `ENV NAME=` (an empty value, which Docker
/// accepts but the grammar at commit 971acdd rejects) into forms the grammar
/// accepts: `ARG NAME ` and the legacy `ENV NAM E`. Offsets stay the same, and
/// stages and health checks do not depend on these values.
fn mask_empty_defaults(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end();
        let keyword = body.split_whitespace().next().unwrap_or("");
        let is_empty_assignment = (keyword.eq_ignore_ascii_case("ARG")
            || keyword.eq_ignore_ascii_case("ENV"))
            && body.ends_with('=')
            && body.split_whitespace().count() == 2;
        let name_length = body.split_whitespace().nth(1).map_or(0, str::len);
        if is_empty_assignment && keyword.eq_ignore_ascii_case("ARG") {
            masked.push_str(&body[..body.len() - 1]);
            masked.push(' ');
            masked.push_str(&line[body.len()..]);
        } else if is_empty_assignment && name_length > 2 && body.is_ascii() {
            masked.push_str(&body[..body.len() - 2]);
            masked.push(' ');
            masked.push_str(&body[body.len() - 2..body.len() - 1]);
            masked.push_str(&line[body.len()..]);
        } else {
            masked.push_str(line);
        }
    }
    masked
}

fn from_stage(instruction: TsNode<'_>, text: &str) -> Option<Stage> {
    let mut cursor = instruction.walk();
    let image = instruction
        .named_children(&mut cursor)
        .find(|child| child.kind() == "image_spec")?;
    let alias = instruction
        .child_by_field_name("as")
        .map(|alias| node_text(alias, text).to_string());
    Some(Stage {
        base: node_text(image, text).to_string(),
        base_span: span(image),
        alias,
        from_span: span(instruction),
        healthcheck: None,
        sets_command: false,
    })
}

fn node_text<'a>(node: TsNode<'_>, text: &'a str) -> &'a str {
    text.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

fn span(node: TsNode<'_>) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_aliases_and_healthchecks() {
        let file = parse(
            "ARG BASE=alpine:3.20\nFROM golang:1.22 AS build\nRUN go build\n\nFROM ${BASE} as runtime\nCOPY --from=build /app /app\nHEALTHCHECK --interval=30s CMD [\"/app\", \"health\"]\n\nFROM runtime\nHEALTHCHECK NONE\n",
        );
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        assert_eq!(file.stages.len(), 3);
        assert_eq!(file.stages[0].base, "golang:1.22");
        assert_eq!(file.stages[0].alias.as_deref(), Some("build"));
        assert_eq!(file.stages[1].base, "${BASE}");
        assert_eq!(
            file.global_args,
            vec![("BASE".to_string(), Some("alpine:3.20".to_string()))]
        );
        assert_eq!(file.stages[1].alias.as_deref(), Some("runtime"));
        assert_eq!(
            file.stages[1].healthcheck.map(|check| check.disabled),
            Some(false)
        );
        assert_eq!(file.stages[2].base, "runtime");
        assert!(!file.stages[0].sets_command);
        assert_eq!(
            file.stages[2].healthcheck.map(|check| check.disabled),
            Some(true)
        );
    }

    #[test]
    fn empty_arg_default_parses() {
        let file = parse("FROM node AS build\nARG API_URL=\nENV MODE=\nFROM nginx\n");
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        assert_eq!(file.stages.len(), 2);
    }

    #[test]
    fn broken_instructions_report_errors() {
        let file = parse("FROM alpine\nHEALTHCHECK CMD\n");
        assert_eq!(file.errors.len(), 1);
        assert_eq!(file.errors[0].span.start, 12);
        assert!(file.errors[0].message.contains("`HEALTHCHECK`"));
        assert_eq!(file.stages.len(), 1);

        let template = parse("{{ .Values.base }}\nFROM alpine\n");
        assert_eq!(template.errors.len(), 1);
        assert!(template.errors[0].message.contains("`{{`"));
    }
}
