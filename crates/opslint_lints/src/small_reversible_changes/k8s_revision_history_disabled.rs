use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::support::{IntField, int_field, patch_sets_where};

pub struct K8sRevisionHistoryDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "k8s-revision-history-disabled",
    principle: Some(Principle::SmallReversibleChanges),
    waf: &["OPS06-BP01", "OPS05-BP09"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Kubernetes, ArtifactKind::HelmTemplate],
    summary: "workload that keeps no old revisions, so it cannot be rolled back",
    what_it_checks: "Deployments, StatefulSets, DaemonSets and Argo Rollouts with \
        `revisionHistoryLimit: 0`, written in the manifest or rendered from the chart's \
        `values.yaml`. Kustomize patch files are checked for what they set, and a base whose \
        limit a patch sets to another value (a patch file, a patch written inline, or JSON \
        6902 operations) is left to the patch.",
    why_it_matters: "Kubernetes deletes every old ReplicaSet or controller revision at once \
        when the limit is 0. `kubectl rollout undo` then has nothing to return to, and a bad \
        release can only be fixed by finding and applying the old manifest by hand, in the \
        middle of an incident.",
    how_to_fix: "Keep a few revisions, or leave the field out (the default is 10):\n\n\
        ```yaml\nspec:\n  # before\n  revisionHistoryLimit: 0\n  # after\n  revisionHistoryLimit: 5\n```",
    known_limits: "A Helm value is rendered only from `values.yaml`; other values files and \
        `--set` are not seen, and a value that needs more of the template language is \
        reported as a question. A limit of 0 that a Kustomize patch written inline sets is \
        not reported, because the patch has no line of its own; patch files are checked.",
};

const KINDS: [&str; 4] = ["Deployment", "StatefulSet", "DaemonSet", "Rollout"];

impl Rule for K8sRevisionHistoryDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, manifest) in workspace.kubernetes() {
            let file = &artifact.file;
            for object in &manifest.objects {
                if !KINDS.contains(&object.kind.as_str()) || !object.is_long_running() {
                    continue;
                }
                // A Kustomize patch that sets another limit decides it for
                // its overlay; a patch file is also checked as its own object.
                if !object.is_patch
                    && patch_sets_where(
                        workspace,
                        object,
                        &["spec", "revisionHistoryLimit"],
                        |limit| limit.as_str() != Some("0"),
                    )
                {
                    sink.holds(&META, file, object.label());
                    continue;
                }
                let node = object.root.at(&["spec", "revisionHistoryLimit"]);
                let location = object.label();
                match int_field(workspace, artifact, node) {
                    IntField::Value(0, rendered) => {
                        let span = node.map_or(object.kind_span, |n| n.span);
                        let message = match &rendered {
                            Some(rendered) => format!(
                                "{} keeps no old revisions (`revisionHistoryLimit` is 0 from {})",
                                object.label(),
                                rendered.describe_sources()
                            ),
                            None => format!(
                                "{} keeps no old revisions (`revisionHistoryLimit: 0`)",
                                object.label()
                            ),
                        };
                        sink.violation(
                            &META,
                            file,
                            span,
                            location,
                            message,
                            "`kubectl rollout undo` has nothing to return to",
                        )
                        .help = Some(
                            "keep a few revisions (`revisionHistoryLimit: 5`) or remove the \
                             field to use the default of 10"
                                .into(),
                        );
                    }
                    IntField::Unknown => sink.unclear(
                        &META,
                        file,
                        node.map_or(object.kind_span, |n| n.span),
                        location,
                        format!(
                            "Does any release set `revisionHistoryLimit` of {} to 0?",
                            object.label()
                        ),
                        "the value is templated (Helm values that `values.yaml` does not give, or \
                         `if`/`else` branches) or its key is duplicated",
                    ),
                    IntField::Value(..) | IntField::Absent | IntField::Invalid => {
                        sink.holds(&META, file, location);
                    }
                }
            }
        }
    }
}
