//! GitLab CI pipelines: jobs, their scripts and the keywords that gate,
//! serialise and bound them, with `extends:` and `default:` applied.

use std::sync::Arc;

use opslint_core::{SourceFile, Span};
use opslint_syntax::value::{Node, Value};

use crate::github::RunScript;

/// Top-level keys of `.gitlab-ci.yml` that are not jobs.
const GLOBAL_KEYS: [&str; 12] = [
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "types",
    "spec",
];

/// One GitLab CI file: the root `.gitlab-ci.yml` or a file it includes.
#[derive(Debug)]
pub struct Pipeline {
    pub jobs: Vec<GitlabJob>,
    /// Hidden jobs (`.name`), which other jobs reuse through `extends:`.
    pub templates: Vec<GitlabJob>,
    /// The `default:` mapping.
    pub default: Option<Node>,
    /// Paths of `include:` entries that point into the repository.
    pub local_includes: Vec<String>,
    /// `workflow: rules:`, which decide whether a pipeline runs at all.
    pub workflow_rules: Option<Node>,
}

#[derive(Debug, Clone)]
pub struct GitlabJob {
    /// Display path of the file that defines the job.
    pub path: String,
    pub name: String,
    pub name_span: Span,
    pub node: Node,
    /// Names from `extends:`, nearest first.
    pub extends: Vec<String>,
}

/// A shell line of a job's `before_script`, `script` or `after_script`.
#[derive(Debug)]
pub struct ScriptLine {
    /// `before_script`, `script` or `after_script`.
    pub section: &'static str,
    pub script: RunScript,
}

impl Pipeline {
    pub fn from_root(root: Node, path: &str) -> Self {
        let mut jobs = Vec::new();
        let mut templates = Vec::new();
        if let Some(map) = root.as_map() {
            for entry in &map.entries {
                if GLOBAL_KEYS.contains(&entry.key.as_str()) || entry.value.as_map().is_none() {
                    continue;
                }
                let job = GitlabJob {
                    path: path.to_string(),
                    name: entry.key.to_string(),
                    name_span: entry.key_span,
                    extends: string_list(entry.value.get("extends")),
                    node: entry.value.clone(),
                };
                if entry.key.starts_with('.') {
                    templates.push(job);
                } else {
                    jobs.push(job);
                }
            }
        }
        // Child pipelines (`trigger: include:`) are followed like includes.
        let mut includes = local_includes(root.get("include"));
        for job in &jobs {
            let child = job
                .node
                .get("trigger")
                .and_then(|trigger| trigger.get("include"));
            includes.extend(local_includes(child));
        }
        Self {
            jobs,
            templates,
            default: root.get("default").cloned(),
            local_includes: includes,
            workflow_rules: root.at(&["workflow", "rules"]).cloned(),
        }
    }
}

/// Returns whether a YAML root looks like GitLab CI: a mapping with at least
/// one job-like entry that has `script:` and a `stage:`, `extends:`,
/// `rules:` or `image:`, or a file of hidden job templates only (`.deploy:`
/// with keys such as `stage:` or `timeout:`), as included template files
/// often are.
pub fn looks_like_pipeline(root: &Node) -> bool {
    const TEMPLATE_KEYS: [&str; 8] = [
        "stage",
        "script",
        "extends",
        "environment",
        "rules",
        "resource_group",
        "timeout",
        "interruptible",
    ];
    root.as_map().is_some_and(|map| {
        let has_job = map.entries.iter().any(|entry| {
            entry.value.get("script").is_some()
                && (entry.value.get("stage").is_some()
                    || entry.value.get("extends").is_some()
                    || entry.value.get("rules").is_some()
                    || entry.value.get("image").is_some())
        });
        let only_templates = !map.entries.is_empty()
            && map.entries.iter().all(|entry| {
                entry.key.starts_with('.')
                    && TEMPLATE_KEYS
                        .iter()
                        .any(|key| entry.value.get(key).is_some())
            });
        has_job || only_templates
    })
}

/// Reads a scalar or a list of scalars, such as `extends:` or `only:`.
pub fn string_list(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.value) {
        Some(Value::Scalar(scalar)) => vec![scalar.text.to_string()],
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads `include:` in its string, list and `local:` forms; remote,
/// project and template includes are left out.
fn local_includes(include: Option<&Node>) -> Vec<String> {
    let Some(include) = include else {
        return Vec::new();
    };
    let items: Vec<&Node> = match &include.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![include],
    };
    items
        .into_iter()
        .filter_map(|item| match item.as_str() {
            Some(path) if !path.contains("://") => Some(path.to_string()),
            Some(_) => None,
            None => item.get("local").and_then(Node::as_str).map(str::to_string),
        })
        .map(|path| path.trim_start_matches('/').to_string())
        .collect()
}

/// Finds a job's key, looking through its `extends:` chain among
/// `templates` (depth-limited, which also stops cycles).
pub fn job_key<'a>(job: &'a GitlabJob, key: &str, templates: &[&'a GitlabJob]) -> Option<&'a Node> {
    job_key_with_owner(job, key, templates).map(|(node, _)| node)
}

/// Lists the `extends:` names in a job's chain that no template of
/// `templates` defines, such as templates from a remote or project include.
pub fn missing_templates(job: &GitlabJob, templates: &[&GitlabJob]) -> Vec<String> {
    let mut missing = Vec::new();
    let mut pending: Vec<&GitlabJob> = vec![job];
    let mut visited = 0;
    while let Some(current) = pending.pop() {
        visited += 1;
        if visited > 32 {
            break;
        }
        for name in &current.extends {
            match templates.iter().find(|t| t.name == *name) {
                Some(template) => pending.push(template),
                None if !missing.contains(name) => missing.push(name.clone()),
                None => {}
            }
        }
    }
    missing
}

/// Finds a job's key like [`job_key`], with the job or template that sets it.
pub fn job_key_with_owner<'a>(
    job: &'a GitlabJob,
    key: &str,
    templates: &[&'a GitlabJob],
) -> Option<(&'a Node, &'a GitlabJob)> {
    fn find<'a>(
        job: &'a GitlabJob,
        key: &str,
        templates: &[&'a GitlabJob],
        depth: usize,
    ) -> Option<(&'a Node, &'a GitlabJob)> {
        if let Some(value) = job.node.get(key) {
            return Some((value, job));
        }
        if depth >= 8 {
            return None;
        }
        // GitLab merges `extends:` in order with later entries winning, so
        // the last template is searched first.
        job.extends.iter().rev().find_map(|name| {
            let template = templates.iter().find(|t| t.name == *name)?;
            find(template, key, templates, depth + 1)
        })
    }
    find(job, key, templates, 0)
}

/// Collects the shell lines of a job's script sections. Nested lists, which
/// YAML anchors produce, are flattened. `file_of` returns the file that
/// defines a job or template, and `default` is the `default:` mapping of
/// `default_file`.
pub fn script_lines<'a>(
    job: &GitlabJob,
    templates: &[&GitlabJob],
    default: Option<(&Node, &'a Arc<SourceFile>)>,
    file_of: impl Fn(&GitlabJob) -> Option<&'a Arc<SourceFile>>,
) -> Vec<(ScriptLine, &'a Arc<SourceFile>)> {
    let mut lines = Vec::new();
    for section in ["before_script", "script", "after_script"] {
        let found = match job_key_with_owner(job, section, templates) {
            Some((node, owner)) => file_of(owner).map(|file| (node, file)),
            None if section != "script" => {
                default.and_then(|(node, file)| node.get(section).map(|value| (value, file)))
            }
            None => None,
        };
        if let Some((node, file)) = found {
            let mut section_lines = Vec::new();
            push_lines(node, section, file, &mut section_lines);
            lines.extend(section_lines.into_iter().map(|line| (line, file)));
        }
    }
    lines
}

fn push_lines(node: &Node, section: &'static str, file: &SourceFile, lines: &mut Vec<ScriptLine>) {
    match &node.value {
        Value::Seq(items) => {
            for item in items {
                push_lines(item, section, file, lines);
            }
        }
        _ => {
            if let Some(script) = RunScript::from_node(node, file) {
                lines.push(ScriptLine { section, script });
            }
        }
    }
}

/// The kind of run that a job's `when:`, `rules:` and `only:` limit it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitlabGate {
    None,
    /// Every way the job can run needs a person to start it (`when: manual`).
    Manual,
    /// The job only runs for tag pipelines.
    Tags,
}

/// Reads how `when:`, `rules:` and `only:` restrict a job.
pub fn job_gate(job: &GitlabJob, templates: &[&GitlabJob]) -> GitlabGate {
    let is_manual = |node: Option<&Node>| node.and_then(Node::as_str) == Some("manual");
    if let Some(rules) = job_key(job, "rules", templates).and_then(Node::as_seq) {
        return rules_gate(rules);
    }
    if is_manual(job_key(job, "when", templates)) {
        return GitlabGate::Manual;
    }
    let only = job_key(job, "only", templates);
    let refs = match only.map(|n| &n.value) {
        Some(Value::Map(_)) => string_list(only.and_then(|o| o.get("refs"))),
        _ => string_list(only),
    };
    if !refs.is_empty() && refs.iter().all(|r| r == "tags") {
        return GitlabGate::Tags;
    }
    GitlabGate::None
}

/// Reads how a `rules:` list restricts a job or, under `workflow:`, a whole
/// pipeline: manual when every rule that runs says `when: manual`, tags when
/// every such rule tests `$CI_COMMIT_TAG`.
pub fn rules_gate(rules: &[Node]) -> GitlabGate {
    let running: Vec<&Node> = rules
        .iter()
        .filter(|rule| rule.get("when").and_then(Node::as_str) != Some("never"))
        .collect();
    if running.is_empty() {
        return GitlabGate::None;
    }
    let all_manual = running
        .iter()
        .all(|rule| rule.get("when").and_then(Node::as_str) == Some("manual"));
    if all_manual {
        return GitlabGate::Manual;
    }
    let tag_only = running.iter().all(|rule| {
        rule.get("if")
            .and_then(Node::as_str)
            .is_some_and(|condition| {
                condition.contains("$CI_COMMIT_TAG")
                    && !condition.contains("||")
                    && !condition.contains("null")
                    && !condition.contains("\"\"")
            })
    });
    if tag_only {
        GitlabGate::Tags
    } else {
        GitlabGate::None
    }
}

/// Returns the repository folder of a GitLab CI file, with a trailing `/`
/// unless it is the root: the folder of `.gitlab-ci.yml`, or the parent of a
/// `.gitlab/ci/` folder.
pub fn repository_prefix(path: &str) -> &str {
    if let Some(index) = path.find(".gitlab/ci/")
        && (index == 0 || path.as_bytes()[index - 1] == b'/')
    {
        return &path[..index];
    }
    path.rfind('/').map_or("", |index| &path[..=index])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(text: &str) -> Pipeline {
        let yaml = opslint_syntax::yaml::parse(text, false);
        let root = yaml
            .documents
            .into_iter()
            .next()
            .expect("one document")
            .root;
        Pipeline::from_root(root, ".gitlab-ci.yml")
    }

    fn gate_of(pipeline: &Pipeline, name: &str) -> GitlabGate {
        let templates: Vec<&GitlabJob> = pipeline.templates.iter().collect();
        let job = pipeline.jobs.iter().find(|j| j.name == name).expect("job");
        job_gate(job, &templates)
    }

    #[test]
    fn jobs_templates_and_includes() {
        let pipeline = pipeline(
            "include:\n  - local: /ci/a.yml\n  - 'ci/b.yml'\n  - remote: https://x/y.yml\nstages: [a]\n.t:\n  script: [x]\njob:\n  extends: .t\nchild:\n  trigger:\n    include: ci/child.yml\n",
        );
        assert_eq!(
            pipeline.local_includes,
            ["ci/a.yml", "ci/b.yml", "ci/child.yml"]
        );
        assert_eq!(pipeline.templates.len(), 1);
        assert_eq!(pipeline.jobs.len(), 2);
        let templates: Vec<&GitlabJob> = pipeline.templates.iter().collect();
        assert!(job_key(&pipeline.jobs[0], "script", &templates).is_some());
    }

    #[test]
    fn gates_from_when_rules_and_only() {
        let pipeline = pipeline(
            "manual:\n  when: manual\n  script: [x]\nrules-manual:\n  rules:\n    - if: $CI_MERGE_REQUEST_ID\n      when: never\n    - when: manual\n  script: [x]\nrules-mixed:\n  rules:\n    - if: $CI_COMMIT_BRANCH\n    - when: manual\n  script: [x]\ntags:\n  rules:\n    - if: $CI_COMMIT_TAG\n  script: [x]\nnot-tags:\n  rules:\n    - if: $CI_COMMIT_TAG == null\n  script: [x]\nonly-tags:\n  only: [tags]\n  script: [x]\n",
        );
        assert_eq!(gate_of(&pipeline, "manual"), GitlabGate::Manual);
        assert_eq!(gate_of(&pipeline, "rules-manual"), GitlabGate::Manual);
        assert_eq!(gate_of(&pipeline, "rules-mixed"), GitlabGate::None);
        assert_eq!(gate_of(&pipeline, "tags"), GitlabGate::Tags);
        assert_eq!(gate_of(&pipeline, "not-tags"), GitlabGate::None);
        assert_eq!(gate_of(&pipeline, "only-tags"), GitlabGate::Tags);
    }

    #[test]
    fn templates_from_outside_are_missing() {
        let pipeline =
            pipeline(".local:\n  extends: .remote\njob:\n  extends: [.local]\n  script: [x]\n");
        let templates: Vec<&GitlabJob> = pipeline.templates.iter().collect();
        assert_eq!(
            missing_templates(&pipeline.jobs[0], &templates),
            [".remote"]
        );
    }

    #[test]
    fn repository_prefixes() {
        assert_eq!(repository_prefix(".gitlab-ci.yml"), "");
        assert_eq!(repository_prefix("app/.gitlab-ci.yml"), "app/");
        assert_eq!(repository_prefix("app/.gitlab/ci/deploy.yml"), "app/");
    }
}
