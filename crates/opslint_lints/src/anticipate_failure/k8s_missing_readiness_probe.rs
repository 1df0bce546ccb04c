use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use super::probes::ProbeCheck;
use crate::Rule;

pub struct K8sMissingReadinessProbe;

pub static META: RuleMeta = RuleMeta {
    id: "k8s-missing-readiness-probe",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS06-BP03", "OPS04-BP02"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Kubernetes, ArtifactKind::HelmTemplate],
    summary: "long-running container without a readiness probe",
    what_it_checks: "Containers of Deployments, StatefulSets, DaemonSets, ReplicaSets, \
        ReplicationControllers, Argo Rollouts and restarting Pods that have no \
        `readinessProbe`. Jobs, CronJobs, init containers, Helm test hooks and Kustomize \
        patches are not checked themselves. A container whose probe a Kustomize patch adds \
        (a patch file, a patch written inline, or JSON 6902 operations) is not reported.",
    why_it_matters: "Without a readiness probe a pod receives traffic as soon as its \
        process starts, before it can serve, and a rolling update moves on to the next pod \
        without knowing whether the new one works. A bad release then takes every replica \
        down instead of stalling at the first.",
    how_to_fix: "Add a probe that answers only when the container can serve requests:\n\n\
        ```yaml\n\
        containers:\n  - name: web\n    image: registry.example.com/web:1.4.2\n\
        \x20   readinessProbe:\n      httpGet:\n        path: /ready\n        port: 8080\n\
        \x20     periodSeconds: 5\n\
        ```",
    known_limits: "Helm templates are read without rendering. A probe that an `include` \
        adds at the container's level makes the result unclear, and a probe set from \
        values is reported as a question. Chart defaults settle two cases. A probe under \
        `{{ with .Values.x }}` or `{{ if .Values.x }}` that `values.yaml` leaves empty is \
        not rendered by a default install, so it is reported as missing. A probe under \
        `{{ with .Values.x }}` or written by `{{ toYaml .Values.x }}` that `values.yaml` \
        sets counts as present. Sidecars injected at admission time are not seen. \
        A Kustomize patch target is matched by kind and name as written: name patterns, \
        label selectors and JSON 6902 patches in `.json` files are not read.",
};

impl Rule for K8sMissingReadinessProbe {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        ProbeCheck {
            meta: &META,
            key: "readinessProbe",
            noun: "readiness",
            help: "add a `readinessProbe` so Services route traffic only to ready pods and \
                   rolling updates wait for each new pod",
        }
        .run(workspace, sink);
    }
}
