//! Finds the deploying steps of CI jobs and what gates them, shared by the
//! rules on CI automation.

use std::collections::HashMap;
use std::sync::Arc;

use opslint_core::{ArtifactKind, RuleMeta, Sink, SourceFile, Span};
use opslint_model::automation::{
    Origin, Reached, expand_literals, literal_assignments, script_deploys, step_deploys,
};
use opslint_model::commands::deploy_command_in;
use opslint_model::github::{Job, JobGate, Workflow, repository_prefix};
use opslint_model::gitlab::{self, GitlabGate, GitlabJob, Pipeline};
use opslint_model::{Artifact, Facts, Workspace};
use opslint_syntax::value::Node;

/// Actions whose only job is to deploy, by `owner/name` without the ref.
const DEPLOY_ACTIONS: [&str; 9] = [
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "aws-actions/aws-codebuild-run-build",
    "azure/k8s-deploy",
    "azure/webapps-deploy",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-appengine",
    "hashicorp/tfc-workflows-github/actions/apply-run",
    "serverless/github-action",
];

/// One deploying command or action in a job.
#[derive(Debug)]
pub struct DeployStep<'a> {
    /// `terraform apply`, or the action's `owner/name`.
    pub name: String,
    /// The file that contains the command: the workflow, or a script or
    /// composite action that the step reaches.
    pub file: &'a Arc<SourceFile>,
    /// The exact command, or the step's `uses:` value.
    pub span: Span,
    pub auto_approve: bool,
    /// Zero-based index of the step in its job.
    pub step_index: usize,
    /// The files passed through from the step to the command.
    pub via: Vec<String>,
    /// The recognised command; `None` for a deploy action.
    pub reached: Option<Reached<'a>>,
    /// The CI file and the `run:` script or script line of the job that
    /// starts the command, which differ from `file` and `span` when the
    /// command is in a script or action the job calls.
    pub caller_file: &'a Arc<SourceFile>,
    pub caller_span: Span,
}

impl<'a> DeployStep<'a> {
    /// Returns where a finding about the job that runs this step belongs:
    /// the step itself, also when the command sits in a script that several
    /// jobs call, so that each job gets its own finding and suppression.
    pub fn job_site(&self) -> (&'a Arc<SourceFile>, Span) {
        if self.via.is_empty() {
            (self.file, self.span)
        } else {
            (self.caller_file, self.caller_span)
        }
    }
}

impl DeployStep<'_> {
    /// ` (through `scripts/deploy.sh`)`, or nothing for a command in the step.
    pub fn via_clause(&self) -> String {
        match self.via.last() {
            Some(path) => format!(" (through `{path}`)"),
            None => String::new(),
        }
    }
}

/// Returns the deploy that names a job's or step's deploying in messages:
/// the first that creates or changes something, since a clean-up before it
/// (`kubectl delete job x --ignore-not-found`, then `kubectl apply`) is not
/// what the job is for. A job that only deletes is named by its first delete.
pub fn representative<'s, 'a: 's>(
    deploys: impl IntoIterator<Item = &'s DeployStep<'a>>,
) -> Option<&'s DeployStep<'a>> {
    let mut first = None;
    for deploy in deploys {
        let removes = deploy
            .name
            .split_whitespace()
            .any(|word| matches!(word, "delete" | "destroy" | "uninstall" | "rm" | "remove"));
        if !removes {
            return Some(deploy);
        }
        first = first.or(Some(deploy));
    }
    first
}

/// Names a step of a job for a message: ``step `Apply migrations` `` by its
/// `name:`, else `step 3` by its position.
pub fn step_label(job: &Job, index: usize) -> String {
    match job.steps.get(index).and_then(|step| step.name.as_deref()) {
        Some(name) => format!("step `{name}`"),
        None => format!("step {}", index + 1),
    }
}

/// Finds every deploying command or action of a GitHub Actions job.
pub fn deploy_steps<'a>(
    workspace: &'a Workspace,
    artifact: &'a Artifact,
    job: &Job,
) -> Vec<DeployStep<'a>> {
    let origin = Origin::github(workspace, &artifact.file.path);
    let workflow_directory = match &artifact.facts {
        Facts::GithubWorkflow(workflow) => workflow.default_working_directory.as_deref(),
        _ => None,
    };
    let default_directory = job
        .default_working_directory()
        .or(workflow_directory)
        .unwrap_or("");
    let mut found = Vec::new();
    for step in &job.steps {
        let caller_span = match (&step.run, step.uses_node()) {
            (Some(run), _) => run.span,
            (None, Some(uses)) => uses.span,
            (None, None) => step.node.span,
        };
        let preview_variables = preview_variables(job, step);
        let reached_steps = workspace
            .github_step_deploys(step)
            .unwrap_or_else(|| step_deploys(origin, &artifact.file, step, default_directory));
        for reached in reached_steps {
            if is_preview_command(&reached, &preview_variables) {
                continue;
            }
            found.push(DeployStep {
                name: reached.command.name.clone(),
                file: reached.file,
                span: reached.command.span,
                auto_approve: reached.command.auto_approve,
                step_index: step.index,
                via: reached.via.to_vec(),
                reached: Some(reached),
                caller_file: &artifact.file,
                caller_span,
            });
        }
        if let Some(uses) = &step.uses {
            let action = uses.split('@').next().unwrap_or(uses);
            let action_lower = action.to_ascii_lowercase();
            if DEPLOY_ACTIONS.contains(&action_lower.as_str()) {
                let span = step.uses_node().map_or(step.node.span, |n| n.span);
                found.push(DeployStep {
                    name: action.to_string(),
                    file: &artifact.file,
                    span,
                    auto_approve: false,
                    step_index: step.index,
                    via: Vec::new(),
                    reached: None,
                    caller_file: &artifact.file,
                    caller_span: span,
                });
            }
        }
    }
    found
}

/// Returns whether a deploy or delete command aims at a short-lived
/// preview, because its text names the pull or merge request, as in
/// `kubectl delete namespace preview-${{ github.event.number }}`.
/// `variables` are shell variables that hold the pull request's number or
/// branch, as `NAMESPACE` does after `NAMESPACE="pr${PR_NUMBER}"` with
/// `PR_NUMBER: ${{ github.event.number }}` in the step's `env:`.
fn is_preview_command(reached: &Reached<'_>, variables: &[String]) -> bool {
    reached
        .file
        .text
        .get(reached.command.span.start..reached.command.span.end)
        .is_some_and(|text| {
            names_pull_request(text) || variables.iter().any(|name| references_variable(text, name))
        })
}

/// Returns whether shell text expands `$name` or `${name...}`.
fn references_variable(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = &text[..at];
        let after = text[at + name.len()..].chars().next();
        let whole_word = !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        (before.ends_with('$') && whole_word) || before.ends_with("${")
    })
}

/// Collects the variables of a GitHub step that name the pull request: those
/// of the job's and the step's `env:` whose value does, and those that the
/// `run:` script assigns from text that does or from such a variable.
fn preview_variables(job: &Job, step: &opslint_model::github::Step) -> Vec<String> {
    let mut names = Vec::new();
    for env in [job.node.get("env"), step.node.get("env")]
        .into_iter()
        .flatten()
    {
        if let Some(map) = env.as_map() {
            for entry in &map.entries {
                if entry.value.as_str().is_some_and(names_pull_request) {
                    names.push(entry.key.to_string());
                }
            }
        }
    }
    let Some(run) = &step.run else {
        return names;
    };
    // Assignments may chain (`PR=...`, then `NS="pr-$PR"`), so the script is
    // read until no new name appears, a few rounds at most.
    for _ in 0..3 {
        let before = names.len();
        for line in run.text.lines() {
            let mut line = line.trim();
            while let Some(rest) = line.strip_prefix("export ") {
                line = rest;
            }
            let line = line.trim();
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            let is_name =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let names_request = names_pull_request(value)
                || names.iter().any(|known| references_variable(value, known));
            if is_name && names_request && !names.iter().any(|known| known == name) {
                names.push(name.to_string());
            }
        }
        if names.len() == before {
            break;
        }
    }
    names
}

/// Returns whether a text names a pull request (GitHub) or merge request
/// (GitLab) by its number or head branch.
pub fn names_pull_request(text: &str) -> bool {
    const PULL_REQUEST_KEYS: [&str; 7] = [
        "pull_request.number",
        "github.event.number",
        "github.head_ref",
        "pull_requests[0].number",
        "CI_MERGE_REQUEST_IID",
        "CI_MERGE_REQUEST_ID",
        "CI_MERGE_REQUEST_SOURCE_BRANCH",
    ];
    static MATCHER: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    // One pass over the text instead of one per key.
    match MATCHER.get_or_init(|| aho_corasick::AhoCorasick::new(PULL_REQUEST_KEYS).ok()) {
        Some(matcher) => matcher.is_match(text),
        None => PULL_REQUEST_KEYS.iter().any(|needle| text.contains(needle)),
    }
}

/// Returns the workflow file's path inside its repository, such as
/// `.github/workflows/deploy.yml`.
pub fn workflow_label(path: &str) -> &str {
    &path[repository_prefix(path).len()..]
}

/// Builds the logical location of a job: `.github/workflows/deploy.yml/jobs/deploy`.
pub fn job_location(artifact: &Artifact, job: &Job) -> String {
    format!("{}/jobs/{}", workflow_label(&artifact.file.path), job.id)
}

/// Builds the logical location of a step of a job, named by its
/// [`Step::key`](opslint_model::github::Step::key) so that the fingerprint
/// survives adding or moving other steps.
pub fn step_location(artifact: &Artifact, job: &Job, step_index: usize) -> String {
    let step = job
        .steps
        .iter()
        .find(|step| step.index == step_index)
        .map_or_else(|| step_index.to_string(), opslint_model::github::Step::key);
    format!("{}/steps/{step}", job_location(artifact, job))
}

/// The control that stops a job from running on every matching event by
/// itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The job declares an `environment:`.
    Environment,
    /// Every run is started by a person (`workflow_dispatch` only, directly
    /// or through every in-repository caller of a reusable workflow).
    Manual,
    /// The job runs only for tag pushes; whether tags are protected is
    /// repository configuration.
    Tags,
    None,
}

/// A job with its workflow and the in-repository jobs that call the workflow
/// when it is reusable.
pub struct JobContext<'a> {
    pub artifact: &'a Artifact,
    pub workflow: &'a Workflow,
    pub job: &'a Job,
    pub callers: Vec<(&'a Artifact, &'a Workflow, &'a Job)>,
}

/// Lists every job of every workflow, with its callers.
pub fn github_jobs(workspace: &Workspace) -> Vec<JobContext<'_>> {
    let callers = callers_by_path(workspace);
    let mut jobs = Vec::new();
    for (artifact, workflow) in workspace.github_workflows() {
        let callers = callers
            .get(artifact.file.path.as_str())
            .cloned()
            .unwrap_or_default();
        for job in &workflow.jobs {
            jobs.push(JobContext {
                artifact,
                workflow,
                job,
                callers: callers.clone(),
            });
        }
    }
    jobs
}

type Caller<'a> = (&'a Artifact, &'a Workflow, &'a Job);

/// Collects the jobs that call a workflow with `uses: ./.github/workflows/...`, by
/// the called workflow's path. One pass over the workflows, so a repository
/// with thousands of workflows is not compared pair by pair.
fn callers_by_path(workspace: &Workspace) -> HashMap<String, Vec<Caller<'_>>> {
    let mut found: HashMap<String, Vec<Caller<'_>>> = HashMap::new();
    for (artifact, workflow) in workspace.github_workflows() {
        let prefix = repository_prefix(&artifact.file.path);
        for job in &workflow.jobs {
            let Some(called) = job.calls_workflow().and_then(|u| u.strip_prefix("./")) else {
                continue;
            };
            found
                .entry(format!("{prefix}{called}"))
                .or_default()
                .push((artifact, workflow, job));
        }
    }
    found
}

fn is_called_only(workflow: &Workflow) -> bool {
    workflow.triggers.iter().any(|t| t == "workflow_call")
        && workflow
            .triggers
            .iter()
            .all(|t| matches!(t.as_str(), "workflow_call" | "workflow_dispatch"))
}

fn caller_gate(workflow: &Workflow, job: &Job) -> Gate {
    if job.environment().is_some() {
        return Gate::Environment;
    }
    if workflow.is_manual_only() || job.gate() == JobGate::ManualDispatch {
        return Gate::Manual;
    }
    if workflow.runs_only_on_tags() || job.gate() == JobGate::Tags {
        return Gate::Tags;
    }
    Gate::None
}

impl JobContext<'_> {
    /// Returns the strongest gate of the job, counting the callers of a reusable
    /// workflow that only runs when called.
    pub fn gate(&self) -> Gate {
        let own = caller_gate(self.workflow, self.job);
        if own != Gate::None {
            return own;
        }
        if is_called_only(self.workflow) && !self.callers.is_empty() {
            let gates: Vec<Gate> = self
                .callers
                .iter()
                .map(|(_, workflow, job)| caller_gate(workflow, job))
                .collect();
            for gate in [Gate::Manual, Gate::Tags] {
                if gates.iter().all(|g| *g == gate || *g == Gate::Manual) {
                    return gate;
                }
            }
        }
        Gate::None
    }

    /// Returns whether a `concurrency:` group covers the job: its own, its
    /// workflow's, or that of every in-repository caller.
    pub fn has_concurrency(&self) -> bool {
        if self.job.concurrency().is_some() || self.workflow.concurrency.is_some() {
            return true;
        }
        is_called_only(self.workflow)
            && !self.callers.is_empty()
            && self.callers.iter().all(|(_, workflow, job)| {
                job.concurrency().is_some() || workflow.concurrency.is_some()
            })
    }

    /// Lists the events that start the job: the workflow's own, and for a reusable
    /// workflow those of its callers' workflows, less those that the job's
    /// `if:` (or the calling job's) turns away.
    pub fn triggers(&self) -> Vec<&str> {
        let mut triggers: Vec<&str> = self
            .workflow
            .triggers
            .iter()
            .map(String::as_str)
            .filter(|t| *t != "workflow_call")
            .collect();
        for (_, workflow, job) in &self.callers {
            triggers.extend(
                workflow
                    .triggers
                    .iter()
                    .map(String::as_str)
                    .filter(|event| job.allows_event(event)),
            );
        }
        triggers.retain(|event| self.job.allows_event(event));
        triggers.sort_unstable();
        triggers.dedup();
        triggers
    }

    pub fn location(&self) -> String {
        job_location(self.artifact, self.job)
    }
}

/// A deploy command found in CI, with the logical location of the step
/// that runs it.
pub struct CiCommand<'a> {
    pub location: String,
    pub deploy: DeployStep<'a>,
}

/// Lists every deploy command that some CI step runs, once per place in a file even
/// when several jobs reach the same script, followed by those of shell
/// scripts that no CI job reaches.
pub fn ci_commands(workspace: &Workspace) -> Vec<CiCommand<'_>> {
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    for context in github_jobs(workspace) {
        for deploy in deploy_steps(workspace, context.artifact, context.job) {
            if deploy.reached.is_none() || !seen.insert((deploy.file.path.clone(), deploy.span)) {
                continue;
            }
            found.push(CiCommand {
                location: step_location(context.artifact, context.job, deploy.step_index),
                deploy,
            });
        }
    }
    for context in gitlab_jobs(workspace) {
        for deploy in context.deploys(workspace) {
            if !seen.insert((deploy.file.path.clone(), deploy.span)) {
                continue;
            }
            found.push(CiCommand {
                location: context.location(),
                deploy,
            });
        }
    }
    for artifact in workspace.all() {
        let Facts::Shell(script) = &artifact.facts else {
            continue;
        };
        let literals = literal_assignments(
            script
                .assignments
                .iter()
                .map(|a| (a.name.as_str(), a.raw_value.as_str())),
        );
        for command in &script.commands {
            let words = expand_literals(&command.words, &literals);
            let Some(deploy) = deploy_command_in(&words, command.span) else {
                continue;
            };
            if !seen.insert((artifact.file.path.clone(), command.span)) {
                continue;
            }
            found.push(CiCommand {
                location: artifact.file.path.clone(),
                deploy: DeployStep {
                    name: deploy.name.clone(),
                    file: &artifact.file,
                    span: command.span,
                    auto_approve: deploy.auto_approve,
                    step_index: 0,
                    via: Vec::new(),
                    reached: Some(Reached {
                        file: &artifact.file,
                        command: std::borrow::Cow::Owned(deploy),
                        via: std::borrow::Cow::Borrowed(&[]),
                    }),
                    caller_file: &artifact.file,
                    caller_span: command.span,
                },
            });
        }
    }
    found
}

/// A GitLab CI job with the templates and defaults of its repository.
pub struct GitlabJobContext<'a> {
    pub artifact: &'a Artifact,
    pub job: &'a GitlabJob,
    pub templates: Vec<&'a GitlabJob>,
    /// The `default:` of the repository's pipeline files, with its file.
    pub default: Option<(&'a Node, &'a Arc<SourceFile>)>,
    /// The repository folder, with a trailing `/` unless it is the root.
    pub prefix: &'a str,
    /// `workflow: rules:` of the repository's root pipeline.
    pub workflow_rules: Option<&'a Node>,
}

/// Lists every job of every GitLab CI file: each `.gitlab-ci.yml` and the files
/// it includes with `include: local:`. Templates and `default:` are shared
/// by all pipeline files of one repository, since `include:` merges them.
pub fn gitlab_jobs(workspace: &Workspace) -> Vec<GitlabJobContext<'_>> {
    let pipelines = gitlab_pipeline_files(workspace);
    let mut jobs = Vec::new();
    for (artifact, pipeline, prefix) in &pipelines {
        let same_repository = pipelines
            .iter()
            .filter(|(_, _, other_prefix)| other_prefix == prefix);
        let templates: Vec<&GitlabJob> = same_repository
            .clone()
            .flat_map(|(_, other, _)| other.templates.iter())
            .collect();
        let default = std::iter::once((*artifact, *pipeline))
            .chain(same_repository.clone().map(|(a, p, _)| (*a, *p)))
            .find_map(|(other_artifact, other)| {
                other
                    .default
                    .as_ref()
                    .map(|node| (node, &other_artifact.file))
            });
        let workflow_rules = pipelines
            .iter()
            .find(|(other, _, other_prefix)| other_prefix == prefix && is_root_pipeline(other))
            .and_then(|(_, root, _)| root.workflow_rules.as_ref());
        for job in &pipeline.jobs {
            jobs.push(GitlabJobContext {
                workflow_rules,
                artifact,
                job,
                templates: templates.clone(),
                default,
                prefix,
            });
        }
    }
    jobs
}

/// Lists the GitLab CI files to check, each with its repository folder: files
/// classified by name, and the files that they include (followed up to
/// four levels of `include:`).
fn gitlab_pipeline_files(workspace: &Workspace) -> Vec<(&Artifact, &Pipeline, &str)> {
    let mut found: Vec<(&Artifact, &Pipeline, &str)> = workspace
        .gitlab_pipelines()
        .filter(|(artifact, _)| is_root_pipeline(artifact))
        .map(|(artifact, pipeline)| {
            let prefix = gitlab::repository_prefix(&artifact.file.path);
            (artifact, pipeline, prefix)
        })
        .collect();
    let mut next = 0;
    for _level in 0..4 {
        let end = found.len();
        for index in next..end {
            let (_, pipeline, prefix) = found[index];
            for include in &pipeline.local_includes {
                let path = format!("{prefix}{include}");
                let Some(artifact) = workspace.artifact(&path) else {
                    continue;
                };
                let Facts::GitlabCi(included) = &artifact.facts else {
                    continue;
                };
                if !found
                    .iter()
                    .any(|(a, _, _)| a.file.path == artifact.file.path)
                {
                    found.push((artifact, included, prefix));
                }
            }
        }
        next = end;
    }
    // Files named like pipelines that no root includes are checked alone.
    for (artifact, pipeline) in workspace.gitlab_pipelines() {
        let is_listed = found
            .iter()
            .any(|(a, _, _)| a.file.path == artifact.file.path);
        if artifact.kind == ArtifactKind::GitlabCi && !is_listed {
            found.push((
                artifact,
                pipeline,
                gitlab::repository_prefix(&artifact.file.path),
            ));
        }
    }
    found
}

fn is_root_pipeline(artifact: &Artifact) -> bool {
    let name = artifact.file.path.rsplit('/').next().unwrap_or("");
    artifact.kind == ArtifactKind::GitlabCi
        && (name == ".gitlab-ci.yml" || name == ".gitlab-ci.yaml")
}

impl<'a> GitlabJobContext<'a> {
    /// Lists the templates the job extends that no file of the repository
    /// defines, so keys they may set are unknown.
    pub fn missing_templates(&self) -> Vec<String> {
        gitlab::missing_templates(self.job, &self.templates)
    }

    /// Asks whether templates defined outside the repository set `keys`,
    /// and returns whether it asked.
    pub fn ask_missing_templates(
        &self,
        meta: &'static RuleMeta,
        span: Span,
        file: &SourceFile,
        keys: &str,
        sink: &mut Sink,
    ) -> bool {
        let missing = self.missing_templates();
        if missing.is_empty() {
            return false;
        }
        let names: Vec<String> = missing.iter().map(|name| format!("`{name}`")).collect();
        sink.unclear(
            meta,
            file,
            span,
            self.location(),
            format!(
                "does {} set {keys} for job `{}`?",
                names.join(" or "),
                self.job.name
            ),
            "the job extends templates that no file of the repository defines",
        );
        true
    }

    /// Looks a key up in the job and its `extends:` chain.
    pub fn key(&self, key: &str) -> Option<&'a Node> {
        gitlab::job_key(self.job, key, &self.templates)
    }

    pub fn location(&self) -> String {
        format!(
            "{}/jobs/{}",
            self.artifact
                .file
                .path
                .strip_prefix(self.prefix)
                .unwrap_or(&self.artifact.file.path),
            self.job.name
        )
    }

    pub fn gate(&self) -> Gate {
        if self.key("environment").is_some() {
            return Gate::Environment;
        }
        let job_gate = gitlab::job_gate(self.job, &self.templates);
        let pipeline_gate = self
            .workflow_rules
            .and_then(Node::as_seq)
            .map_or(GitlabGate::None, gitlab::rules_gate);
        match (job_gate, pipeline_gate) {
            (GitlabGate::Manual, _) | (_, GitlabGate::Manual) => Gate::Manual,
            (GitlabGate::Tags, _) | (_, GitlabGate::Tags) => Gate::Tags,
            _ => Gate::None,
        }
    }

    /// Finds every deploy command that the job's scripts run or reach.
    pub fn deploys(&self, workspace: &'a Workspace) -> Vec<DeployStep<'a>> {
        let origin = Origin {
            workspace,
            prefix: self.prefix,
        };
        let files = |job: &GitlabJob| workspace.artifact(&job.path).map(|a| &a.file);
        let lines = gitlab::script_lines(self.job, &self.templates, self.default, files);
        let mut found = Vec::new();
        for (index, (line, file)) in lines.iter().enumerate() {
            for reached in script_deploys(origin, file, &line.script) {
                if is_preview_command(&reached, &[]) {
                    continue;
                }
                found.push(DeployStep {
                    name: reached.command.name.clone(),
                    file: reached.file,
                    span: reached.command.span,
                    auto_approve: reached.command.auto_approve,
                    step_index: index,
                    via: reached.via.to_vec(),
                    reached: Some(reached),
                    caller_file: file,
                    caller_span: line.script.span,
                });
            }
        }
        found
    }
}
