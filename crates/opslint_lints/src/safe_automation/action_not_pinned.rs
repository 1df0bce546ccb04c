use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile};
use opslint_model::Workspace;
use opslint_model::github::Step;
use opslint_syntax::value::Node;

use super::deploys::{job_location, step_location, workflow_label};
use crate::Rule;

pub struct ActionNotPinned;

pub static META: RuleMeta = RuleMeta {
    id: "action-not-pinned",
    principle: Some(Principle::SafeAutomation),
    waf: &["OPS05-BP05", "OPS05-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::GithubWorkflow, ArtifactKind::GithubAction],
    summary: "action or reusable workflow from another repository not pinned to a commit SHA",
    what_it_checks: "`uses:` of steps, of composite action steps and of jobs that call a \
        reusable workflow, when the reference points outside the repository and its ref is \
        not a full 40-character commit SHA. GitHub's own `actions/*` count as outside the \
        repository. `docker://` images must carry an `@sha256:` digest. Local references \
        (`./...`) are skipped.",
    why_it_matters: "Tags and branches of another repository can be moved by whoever controls \
        it. A retagged action runs new code in every pipeline that uses it, with the \
        pipeline's secrets and token, and a deploy that worked yesterday changes behaviour \
        with no change in this repository.",
    how_to_fix: "Pin to the commit the tag points at and keep the tag as a comment, so \
        Dependabot or Renovate can update both:\n\n\
        ```yaml\n      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n```",
    known_limits: "Whether the SHA exists in the action's repository is not checked (no \
        network access). Every repository other than this one is treated alike, with no \
        allow-list of trusted owners.",
};

/// Why a `uses:` value is not pinned, or `None` when it is pinned or local.
fn unpinned_reason(uses: &str) -> Option<String> {
    let uses = uses.trim();
    if uses.starts_with("./") || uses.starts_with("${{") {
        return None;
    }
    if let Some(image) = uses.strip_prefix("docker://") {
        return if image.contains("@sha256:") {
            None
        } else {
            Some(format!(
                "image `{image}` is not pinned to an `@sha256:` digest"
            ))
        };
    }
    let Some((_, reference)) = uses.rsplit_once('@') else {
        return Some(format!(
            "`{uses}` has no ref, so it runs the default branch"
        ));
    };
    let is_full_sha = reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit());
    if is_full_sha {
        return None;
    }
    let is_short_sha =
        (7..40).contains(&reference.len()) && reference.chars().all(|c| c.is_ascii_hexdigit());
    if is_short_sha {
        Some(format!(
            "`{uses}` uses a short SHA, which can become ambiguous"
        ))
    } else {
        Some(format!("`{uses}` follows the movable ref `{reference}`"))
    }
}

fn check_uses(file: &SourceFile, node: &Node, location: String, sink: &mut Sink) {
    let Some(uses) = node.as_str() else {
        return;
    };
    match unpinned_reason(uses) {
        Some(reason) => {
            let help = if uses.starts_with("docker://") {
                "pin the image to its `@sha256:` digest"
            } else {
                "pin to the full 40-character commit SHA and keep the tag in a comment"
            };
            sink.violation(&META, file, node.span, location, reason, "not pinned")
                .help = Some(help.into());
        }
        None if !uses.starts_with("./") => sink.holds(&META, file, location),
        None => {}
    }
}

fn check_steps(
    file: &SourceFile,
    steps: &[Step],
    location: impl Fn(usize) -> String,
    sink: &mut Sink,
) {
    for step in steps {
        if let Some(node) = step.uses_node() {
            check_uses(file, node, location(step.index), sink);
        }
    }
}

impl Rule for ActionNotPinned {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for artifact in workspace.all() {
            let file = &artifact.file;
            match &artifact.facts {
                opslint_model::Facts::GithubWorkflow(workflow) => {
                    for job in &workflow.jobs {
                        if let Some(node) = job.node.get("uses") {
                            check_uses(file, node, job_location(artifact, job), sink);
                        }
                        check_steps(
                            file,
                            &job.steps,
                            |index| step_location(artifact, job, index),
                            sink,
                        );
                    }
                }
                opslint_model::Facts::GithubAction(action) => {
                    let label = workflow_label(&file.path);
                    check_steps(
                        file,
                        &action.steps,
                        |index| {
                            let step = action
                                .steps
                                .iter()
                                .find(|step| step.index == index)
                                .map_or_else(|| index.to_string(), |step| step.key());
                            format!("{label}/steps/{step}")
                        },
                        sink,
                    );
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::unpinned_reason;

    #[test]
    fn full_sha_and_local_are_pinned() {
        assert_eq!(
            unpinned_reason("actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"),
            None
        );
        assert_eq!(unpinned_reason("./.github/actions/setup"), None);
        assert_eq!(
            unpinned_reason(
                "docker://alpine@sha256:21dc6063fd678b478f57c0e13f47560d0ea4eeba26dfc947b2a4f81f686b9f45"
            ),
            None
        );
    }

    #[test]
    fn tags_branches_and_short_shas_are_not() {
        assert!(unpinned_reason("actions/checkout@v4").is_some());
        assert!(unpinned_reason("org/repo/.github/workflows/x.yml@main").is_some());
        assert!(unpinned_reason("actions/checkout@08c6903").is_some());
        assert!(unpinned_reason("docker://alpine:3.20").is_some());
        assert!(unpinned_reason("owner/action").is_some());
    }
}
