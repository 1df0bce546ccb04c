//! GitHub Actions workflows: triggers, jobs and steps.

use opslint_core::{SourceFile, Span};
use opslint_syntax::value::{Node, Value};

#[derive(Debug)]
pub struct Workflow {
    pub name: Option<String>,
    /// Event names from `on:`, such as `push` and `workflow_dispatch`.
    pub triggers: Vec<String>,
    pub concurrency: Option<Node>,
    pub permissions: Option<Node>,
    /// `defaults.run.working-directory` of the workflow.
    pub default_working_directory: Option<String>,
    /// The `on:` value, for trigger filters such as `tags:`.
    pub on: Option<Node>,
    pub jobs: Vec<Job>,
    /// Places where the workflow's structure is not one GitHub accepts,
    /// such as `jobs:` that is not a mapping, with the reason. The rules
    /// cannot check what is there, so the run reports them.
    pub structure_errors: Vec<(Span, String)>,
}

/// An action defined in the repository by an `action.yml`; only composite
/// actions have steps.
#[derive(Debug)]
pub struct Action {
    pub name: Option<String>,
    /// `runs.using`: `composite`, `docker`, `node20` and so on.
    pub using: Option<String>,
    pub steps: Vec<Step>,
}

impl Action {
    pub fn from_root(root: Node, file: &SourceFile) -> Self {
        let runs = root.get("runs");
        Self {
            name: root.get("name").and_then(Node::as_str).map(str::to_string),
            using: runs
                .and_then(|runs| runs.get("using"))
                .and_then(Node::as_str)
                .map(str::to_string),
            steps: runs.map(|runs| steps(runs, file)).unwrap_or_default(),
        }
    }
}

#[derive(Debug)]
pub struct Job {
    pub id: String,
    pub id_span: Span,
    pub node: Node,
    pub steps: Vec<Step>,
}

#[derive(Debug)]
pub struct Step {
    /// Zero-based position in the job.
    pub index: usize,
    pub node: Node,
    pub name: Option<String>,
    pub uses: Option<String>,
    /// The `run:` script, with the byte offset in the file where its text
    /// starts, so command spans can be mapped back.
    pub run: Option<RunScript>,
}

#[derive(Debug)]
pub struct RunScript {
    pub text: String,
    pub span: Span,
    /// Byte offset in the file of the script's first character, when the
    /// script text appears verbatim in the file (plain and literal block
    /// scalars); otherwise the span of the whole value is used.
    pub verbatim_offset: Option<usize>,
    /// The simple commands of the text, split once when the file is read
    /// rather than by every rule that looks at the script.
    pub commands: Vec<crate::commands::ShellCommand>,
}

impl Workflow {
    pub fn from_root(root: Node, file: &SourceFile) -> Self {
        let name = root.get("name").and_then(Node::as_str).map(str::to_string);
        let triggers = root.get("on").map(trigger_names).unwrap_or_default();
        let concurrency = root.get("concurrency").cloned();
        let permissions = root.get("permissions").cloned();
        let default_working_directory = root
            .at(&["defaults", "run", "working-directory"])
            .and_then(Node::as_str)
            .map(str::to_string);
        let on = root.get("on").cloned();
        let mut structure_errors = Vec::new();
        let jobs_node = root.get("jobs");
        if let Some(node) = jobs_node.filter(|node| !is_map_or_unknown(node)) {
            structure_errors.push((
                node.span,
                "invalid workflow: `jobs` must be a mapping of job ids to jobs".to_string(),
            ));
        }
        let jobs = jobs_node
            .and_then(Node::as_map)
            .map(|map| {
                map.entries
                    .iter()
                    .map(|entry| {
                        let job = &entry.value;
                        if !is_map_or_unknown(job) {
                            structure_errors.push((
                                job.span,
                                format!("invalid workflow: job `{}` must be a mapping", entry.key),
                            ));
                        }
                        if let Some(node) = job.get("steps").filter(|n| !is_seq_or_unknown(n)) {
                            structure_errors.push((
                                node.span,
                                format!(
                                    "invalid workflow: `steps` of job `{}` must be a list",
                                    entry.key
                                ),
                            ));
                        }
                        Job {
                            id: entry.key.to_string(),
                            id_span: entry.key_span,
                            steps: steps(job, file),
                            node: job.clone(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            name,
            triggers,
            concurrency,
            permissions,
            default_working_directory,
            on,
            jobs,
            structure_errors,
        }
    }

    /// Returns whether a push trigger is limited to tags (`on: push: tags: [...]`
    /// with no branch filter) and no other trigger exists.
    pub fn runs_only_on_tags(&self) -> bool {
        let Some(push) = self.on.as_ref().and_then(|on| on.get("push")) else {
            return false;
        };
        self.triggers.iter().all(|t| t == "push")
            && push.get("tags").is_some()
            && push.get("branches").is_none()
            && push.get("branches-ignore").is_none()
    }

    /// Whether every trigger is a manual one (`workflow_dispatch`), so each
    /// run is started by a person.
    pub fn is_manual_only(&self) -> bool {
        !self.triggers.is_empty() && self.triggers.iter().all(|t| t == "workflow_dispatch")
    }

    pub fn runs_on_push_or_pull_request(&self) -> bool {
        self.triggers
            .iter()
            .any(|t| matches!(t.as_str(), "push" | "pull_request" | "pull_request_target"))
    }
}

impl Job {
    pub fn environment(&self) -> Option<&Node> {
        self.node.get("environment")
    }

    /// `uses:` of a job that calls a reusable workflow.
    pub fn calls_workflow(&self) -> Option<&str> {
        self.node.get("uses").and_then(Node::as_str)
    }

    pub fn condition(&self) -> Option<&Node> {
        self.node.get("if")
    }

    /// Job ids from `needs:`, a single id or a list.
    pub fn needs(&self) -> Vec<String> {
        match self.node.get("needs").map(|n| &n.value) {
            Some(Value::Scalar(scalar)) => vec![scalar.text.to_string()],
            Some(Value::Seq(items)) => items
                .iter()
                .filter_map(Node::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn concurrency(&self) -> Option<&Node> {
        self.node.get("concurrency")
    }

    pub fn timeout_minutes(&self) -> Option<&Node> {
        self.node.get("timeout-minutes")
    }

    pub fn continue_on_error(&self) -> Option<&Node> {
        self.node.get("continue-on-error")
    }

    pub fn permissions(&self) -> Option<&Node> {
        self.node.get("permissions")
    }

    /// `defaults.run.working-directory` of the job.
    pub fn default_working_directory(&self) -> Option<&str> {
        self.node
            .at(&["defaults", "run", "working-directory"])
            .and_then(Node::as_str)
    }

    /// Reads how the job's `if:` restricts when it runs, from the common forms
    /// of the expression. A condition joined with `||` restricts
    /// nothing for certain, so it gives [`JobGate::None`].
    pub fn gate(&self) -> JobGate {
        let Some(condition) = self.condition().and_then(Node::as_str) else {
            return JobGate::None;
        };
        let compact: String = condition.chars().filter(|c| !c.is_whitespace()).collect();
        let compact = compact.replace('"', "'");
        if compact.contains("||") {
            return JobGate::None;
        }
        if compact.contains("github.event_name=='workflow_dispatch'") {
            return JobGate::ManualDispatch;
        }
        if compact.contains("startsWith(github.ref,'refs/tags/")
            || compact.contains("github.ref_type=='tag'")
        {
            return JobGate::Tags;
        }
        JobGate::None
    }
}

impl Job {
    /// Checks whether the job's `if:` lets runs started by `event` through
    /// (see [`condition_allows_event`]).
    pub fn allows_event(&self, event: &str) -> bool {
        self.condition()
            .and_then(Node::as_str)
            .is_none_or(|condition| condition_allows_event(condition, event))
    }
}

impl Step {
    /// Checks whether the step's `if:` lets runs started by `event` through
    /// (see [`condition_allows_event`]).
    pub fn allows_event(&self, event: &str) -> bool {
        self.node
            .get("if")
            .and_then(Node::as_str)
            .is_none_or(|condition| condition_allows_event(condition, event))
    }
}

/// Checks whether an `if:` condition can hold for a run started by `event`,
/// from its comparisons of `github.event_name`. Each part joined with `||`
/// lets through the events it names with `==` (all when it names none), less
/// those it names with `!=`. Other comparisons only narrow a part further,
/// so they are left out and the result errs toward letting an event through.
pub fn condition_allows_event(condition: &str, event: &str) -> bool {
    let compact: String = condition.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = compact.replace('"', "'");
    compact.split("||").any(|part| {
        let named = |operator: &str| -> Vec<&str> {
            let prefix = format!("github.event_name{operator}'");
            part.match_indices(&prefix)
                .filter_map(|(at, _)| part[at + prefix.len()..].split('\'').next())
                .collect()
        };
        let only = named("==");
        (only.is_empty() || only.contains(&event)) && !named("!=").contains(&event)
    })
}

/// The kind of run that a job's `if:` condition limits it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobGate {
    None,
    /// Only runs started by hand (`github.event_name == 'workflow_dispatch'`).
    ManualDispatch,
    /// Only pushes of tags (`startsWith(github.ref, 'refs/tags/')`).
    Tags,
}

impl Step {
    pub fn continue_on_error(&self) -> Option<&Node> {
        self.node.get("continue-on-error")
    }

    /// Returns the `uses:` value node, whose span findings point at.
    pub fn uses_node(&self) -> Option<&Node> {
        self.node.get("uses")
    }

    pub fn working_directory(&self) -> Option<&str> {
        self.node.get("working-directory").and_then(Node::as_str)
    }

    /// Returns the step's name in logical locations, and so in fingerprints,
    /// which survives adding or moving other steps. It is the step's `id:`,
    /// else its `name:`, else its `uses:` action without the ref, else the
    /// first line of its `run:` script, and only else its position.
    pub fn key(&self) -> String {
        if let Some(id) = self.node.get("id").and_then(Node::as_str) {
            return format!("id:{id}");
        }
        if let Some(name) = &self.name {
            return format!("name:{name}");
        }
        if let Some(uses) = &self.uses {
            let action = uses.split('@').next().unwrap_or(uses);
            return format!("uses:{action}");
        }
        if let Some(line) = self.run.as_ref().and_then(|run| {
            run.text
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
        }) {
            let line: String = line.chars().take(STEP_KEY_RUN_CHARS).collect();
            return format!("run:{line}");
        }
        self.index.to_string()
    }
}

/// Characters of a `run:` script's first line kept in a step's key.
const STEP_KEY_RUN_CHARS: usize = 60;

/// Returns whether `node` is a mapping, or a value a template left unknown.
fn is_map_or_unknown(node: &Node) -> bool {
    node.as_map().is_some() || matches!(node.value, Value::Templated)
}

/// Returns whether `node` is a sequence, or a value a template left
/// unknown.
fn is_seq_or_unknown(node: &Node) -> bool {
    node.as_seq().is_some() || matches!(node.value, Value::Templated)
}

/// Returns the folder that contains `.github/` for a workflow or action at `path`, with
/// a trailing `/`, or the empty string at the repository root.
pub fn repository_prefix(path: &str) -> &str {
    if path.starts_with(".github/") {
        return "";
    }
    // Each slash is tried in turn, which is faster on short paths than a
    // substring search that first prepares its pattern.
    path.match_indices('/')
        .find(|(index, _)| path[*index..].starts_with("/.github/"))
        .map_or("", |(index, _)| &path[..=index])
}

fn trigger_names(on: &Node) -> Vec<String> {
    match &on.value {
        Value::Scalar(scalar) => vec![scalar.text.to_string()],
        Value::Seq(items) => items
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_string)
            .collect(),
        Value::Map(map) => map.entries.iter().map(|e| e.key.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn steps(job: &Node, file: &SourceFile) -> Vec<Step> {
    let Some(items) = job.get("steps").and_then(Node::as_seq) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(index, node)| {
            let run = node
                .get("run")
                .and_then(|run| RunScript::from_node(run, file));
            Step {
                index,
                name: node.get("name").and_then(Node::as_str).map(str::to_string),
                uses: node.get("uses").and_then(Node::as_str).map(str::to_string),
                run,
                node: node.clone(),
            }
        })
        .collect()
}

/// Where `text` starts inside the raw scalar `raw` when the two match line
/// for line (a plain scalar, or a literal block scalar whose lines share one
/// indentation). Returns `None` for folded or escaped forms.
fn verbatim_offset(raw: &str, text: &str) -> Option<usize> {
    if raw == text {
        return Some(0);
    }
    let first_line = text.lines().next()?;
    let offset = raw.find(first_line)?;
    // Every line must appear with the same indentation for offsets inside the
    // script to map back by a per-line shift.
    let body = &raw[offset..];
    let indent = raw[..offset].rsplit('\n').next().map_or(0, str::len);
    let rebuilt: Vec<String> = body
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                line.to_string()
            } else {
                line.get(indent..).unwrap_or("").to_string()
            }
        })
        .collect();
    let expected: Vec<&str> = text.lines().collect();
    if rebuilt.len() >= expected.len()
        && rebuilt
            .iter()
            .zip(&expected)
            .all(|(a, b)| a.trim_end() == b.trim_end())
    {
        Some(offset)
    } else {
        None
    }
}

impl RunScript {
    /// Reads a scalar holding shell text; `None` for other values.
    pub fn from_node(node: &Node, file: &SourceFile) -> Option<Self> {
        let text = node.as_str()?.to_string();
        let raw = file.slice(node.span);
        let verbatim_offset = verbatim_offset(raw, &text).map(|o| node.span.start + o);
        let commands = crate::commands::parse_commands(&text);
        Some(Self {
            text,
            span: node.span,
            verbatim_offset,
            commands,
        })
    }

    /// Maps a span inside the script text to a span in the file. Block
    /// scalars lose their indentation in the text, so each line is shifted
    /// back by it.
    pub fn file_span(&self, file: &SourceFile, inner: Span) -> Span {
        let Some(offset) = self.verbatim_offset else {
            return self.span;
        };
        // A plain scalar's text keeps the indentation of its continuation
        // lines, so it appears in the file byte for byte and needs no shift.
        // Shifting it as well put spans past the end of their line.
        if file.text.get(offset..offset + self.text.len()) == Some(self.text.as_str()) {
            let end = self.text.len();
            return Span::new(offset + inner.start.min(end), offset + inner.end.min(end));
        }
        let map = |position: usize| -> usize {
            let line_index = self.text[..position.min(self.text.len())]
                .matches('\n')
                .count();
            let column = position
                - self.text[..position.min(self.text.len())]
                    .rfind('\n')
                    .map_or(0, |n| n + 1);
            let first = file.position(offset);
            if line_index == 0 {
                return offset + column;
            }
            let indent = first.column - 1;
            // A block scalar's text ends with a line break even where the
            // file has none, so a place past the last line is the file's end.
            let Some(line_start) = file.line_start(first.line + line_index) else {
                return file.text.len();
            };
            (line_start + indent + column).min(file.text.len())
        };
        let end = map(inner.end);
        Span::new(map(inner.start).min(end), end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(text: &str) -> Workflow {
        let yaml = opslint_syntax::yaml::parse(text, false);
        let root = yaml
            .documents
            .into_iter()
            .next()
            .expect("one document")
            .root;
        let file = SourceFile::new(
            ".github/workflows/x.yml".into(),
            std::path::PathBuf::new(),
            text.into(),
        );
        Workflow::from_root(root, &file)
    }

    #[test]
    fn job_gates_from_conditions() {
        let workflow = workflow(
            "on: [push, workflow_dispatch]\njobs:\n  a:\n    if: github.event_name == 'workflow_dispatch'\n    steps: []\n  b:\n    if: startsWith(github.ref, 'refs/tags/v')\n    steps: []\n  c:\n    if: github.ref_type == 'tag' || github.event_name == 'push'\n    steps: []\n",
        );
        let gates: Vec<JobGate> = workflow.jobs.iter().map(Job::gate).collect();
        assert_eq!(
            gates,
            [JobGate::ManualDispatch, JobGate::Tags, JobGate::None]
        );
    }

    #[test]
    fn tag_only_push_trigger() {
        assert!(workflow("on:\n  push:\n    tags: ['v*']\njobs: {}\n").runs_only_on_tags());
        assert!(
            !workflow("on:\n  push:\n    tags: ['v*']\n    branches: [main]\njobs: {}\n")
                .runs_only_on_tags()
        );
    }

    #[test]
    fn continued_plain_scalar_maps_to_its_line() {
        let text =
            "jobs:\n  deploy:\n    steps:\n      - run: \\\n          helm upgrade --install a\n";
        let workflow = workflow(text);
        let run = workflow.jobs[0].steps[0]
            .run
            .as_ref()
            .expect("a run script");
        let command = &run.commands[0];
        assert_eq!(command.words[0], "helm");
        let file = SourceFile::new("x.yml".into(), std::path::PathBuf::new(), text.into());
        let span = run.file_span(&file, command.span);
        assert_eq!(&text[span.start..span.end], "helm upgrade --install a");
    }

    #[test]
    fn block_scalar_maps_through_indentation() {
        let text = "jobs:\n  deploy:\n    steps:\n      - run: |\n          echo hi\n          helm upgrade a\n";
        let workflow = workflow(text);
        let run = workflow.jobs[0].steps[0]
            .run
            .as_ref()
            .expect("a run script");
        let command = &run.commands[1];
        let file = SourceFile::new("x.yml".into(), std::path::PathBuf::new(), text.into());
        let span = run.file_span(&file, command.span);
        assert_eq!(&text[span.start..span.end], "helm upgrade a");
    }

    #[test]
    fn command_ends_at_file_without_newline() {
        // The unclosed quote runs the command to the end of the script,
        // whose text has a line break that the file does not.
        let text = "jobs:\n  deploy:\n    steps:\n      - run: |\n          helm upgrade a \"./b";
        let workflow = workflow(text);
        let run = workflow.jobs[0].steps[0]
            .run
            .as_ref()
            .expect("a run script");
        let command = run.commands.last().expect("a command");
        let file = SourceFile::new("x.yml".into(), std::path::PathBuf::new(), text.into());
        let span = run.file_span(&file, command.span);
        assert_eq!(&text[span.start..span.end], "helm upgrade a \"./b");
    }

    #[test]
    fn job_conditions_filter_events() {
        let workflow = workflow(
            "on: [push, pull_request]\njobs:\n  a:\n    if: github.event_name == 'push'\n    steps: []\n  b:\n    if: ${{ github.event_name != \"pull_request\" && github.ref == 'refs/heads/main' }}\n    steps: []\n  c:\n    if: github.event_name == 'push' || inputs.force\n    steps: []\n  d:\n    steps: []\n",
        );
        let allowed = |job: usize| {
            ["push", "pull_request"]
                .into_iter()
                .filter(|event| workflow.jobs[job].allows_event(event))
                .collect::<Vec<_>>()
        };
        assert_eq!(allowed(0), ["push"]);
        assert_eq!(allowed(1), ["push"]);
        assert_eq!(allowed(2), ["push", "pull_request"]);
        assert_eq!(allowed(3), ["push", "pull_request"]);
        let events = ["push", "pull_request", "workflow_dispatch"];
        let through = |condition: &str| {
            events
                .into_iter()
                .filter(|event| condition_allows_event(condition, event))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            through("github.event_name == 'push' || github.event_name == 'workflow_dispatch'"),
            ["push", "workflow_dispatch"]
        );
        assert_eq!(
            through("github.event_name != 'pull_request'"),
            ["push", "workflow_dispatch"]
        );
        assert_eq!(
            through(
                "(github.event_name == 'push' || github.event_name == 'workflow_dispatch') && github.ref == 'refs/heads/main'"
            ),
            ["push", "workflow_dispatch"]
        );
    }

    #[test]
    fn repository_prefixes() {
        assert_eq!(repository_prefix(".github/workflows/a.yml"), "");
        assert_eq!(repository_prefix("x/y/.github/workflows/a.yml"), "x/y/");
        assert_eq!(repository_prefix("x/a.github/workflows/a.yml"), "");
        assert_eq!(repository_prefix("x/.github/y/.github/a.yml"), "x/");
    }
}
