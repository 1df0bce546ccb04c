use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use super::probes::ProbeCheck;
use crate::Rule;

pub struct K8sMissingLivenessProbe;

pub static META: RuleMeta = RuleMeta {
    id: "k8s-missing-liveness-probe",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS10-BP07", "OPS04-BP02"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Kubernetes, ArtifactKind::HelmTemplate],
    summary: "long-running container without a liveness probe",
    what_it_checks: "Containers of Deployments, StatefulSets, DaemonSets, ReplicaSets, \
        ReplicationControllers, Argo Rollouts and restarting Pods that have no \
        `livenessProbe`. Jobs, CronJobs, init containers, Helm test hooks and Kustomize \
        patches are not checked themselves. A container whose probe a Kustomize patch adds \
        (a patch file, a patch written inline, or JSON 6902 operations) is not reported.",
    why_it_matters: "A process that deadlocks or stops making progress without exiting \
        keeps its pod running and ready in name only. A liveness probe lets the kubelet \
        restart it automatically instead of waiting for a person to notice.",
    how_to_fix: "Add a probe that fails only when the process cannot recover by itself:\n\n\
        ```yaml\n\
        containers:\n  - name: web\n    image: registry.example.com/web:1.4.2\n\
        \x20   livenessProbe:\n      httpGet:\n        path: /healthz\n        port: 8080\n\
        \x20     initialDelaySeconds: 10\n\
        ```\n\n\
        Keep dependency checks out of the liveness probe: a database outage should not \
        restart every pod.",
    known_limits: "Helm templates are read without rendering. A probe that an `include` \
        adds at the container's level makes the result unclear, and a probe set from \
        values is reported as a question. Chart defaults settle two cases. A probe under \
        `{{ with .Values.x }}` or `{{ if .Values.x }}` that `values.yaml` leaves empty is \
        not rendered by a default install, so it is reported as missing. A probe under \
        `{{ with .Values.x }}` or written by `{{ toYaml .Values.x }}` that `values.yaml` \
        sets counts as present. A Kustomize patch target is matched by kind and \
        name as written: name patterns, label selectors and JSON 6902 patches in `.json` \
        files are not read.",
};

impl Rule for K8sMissingLivenessProbe {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        ProbeCheck {
            meta: &META,
            key: "livenessProbe",
            noun: "liveness",
            help: "add a `livenessProbe` so the kubelet restarts the container when it hangs",
        }
        .run(workspace, sink);
    }
}
