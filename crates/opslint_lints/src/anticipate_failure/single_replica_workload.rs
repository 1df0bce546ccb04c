use std::collections::{BTreeMap, BTreeSet};

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, Span};
use opslint_model::helm::Rendered;
use opslint_model::kubernetes::Object;
use opslint_model::{Artifact, Workspace};
use opslint_syntax::value::{Node, Value};

use crate::Rule;
use crate::support::{IntField, int_field, patch_sets_where};

pub struct SingleReplicaWorkload;

pub static META: RuleMeta = RuleMeta {
    id: "single-replica-workload",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS06-BP03", "OPS05-BP09"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Kubernetes, ArtifactKind::HelmTemplate],
    summary: "service Deployment pinned to one replica",
    what_it_checks: "Deployments and Argo Rollouts that serve traffic (a Service selects \
        their pods, or a container declares a port) and set `replicas: 1`, written in the \
        manifest or rendered from the chart's `values.yaml`. A workload that a \
        HorizontalPodAutoscaler scales is judged by the autoscaler instead: one whose \
        `minReplicas` is 0 or 1, or missing (Kubernetes then uses 1), is reported there. A \
        workload that a KEDA ScaledObject scales, or whose replica count a \
        kustomization's `replicas:` field or a Kustomize patch sets to another count (a \
        patch file, a patch written inline, or JSON 6902 operations), is not checked. In a \
        Helm chart with an autoscaler template, which values usually turn on, the replica \
        count is a question. A Deployment with `strategy: Recreate` is a deliberate \
        singleton (two copies must never run at once) and is not reported. A Deployment \
        whose containers take a leader-election flag is reported, because leader election \
        exists so that a second replica can wait as a standby.",
    why_it_matters: "With one replica every node drain, eviction, crash or rollout stops the \
        service until a new pod is scheduled and ready. A second replica on another node \
        keeps serving through all of these.",
    how_to_fix: "Run at least two replicas, spread over nodes, and protect them with a \
        PodDisruptionBudget:\n\n\
        ```yaml\nspec:\n  # before\n  replicas: 1\n  # after\n  replicas: 2\n```\n\n\
        Or let a HorizontalPodAutoscaler with `minReplicas: 2` manage the count.",
    known_limits: "A Deployment without `replicas` also runs one pod, but its count is \
        usually set by an autoscaler, an overlay or the deploy tool, so it is not reported. \
        StatefulSets are not checked: one replica of a stateful service needs replication \
        in the application before a second helps, which `self-managed-datastore` covers \
        for datastores. Kustomize patches are not checked themselves, so a base with more \
        replicas than an overlay's patch sets is not reported. A Helm value is rendered \
        only from `values.yaml`.",
};

const LEADER_ELECTION_FLAGS: [&str; 3] = [
    "--leader-elect",
    "--leader-election",
    "--enable-leader-election",
];

impl Rule for SingleReplicaWorkload {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let scaled = scaled_workloads(workspace);
        let charts_with_autoscaler = charts_with_autoscaler(workspace);
        let selectors = service_selectors(workspace);
        for (artifact, manifest) in workspace.kubernetes() {
            let file = &artifact.file;
            for object in &manifest.objects {
                if !matches!(object.kind.as_str(), "Deployment" | "Rollout")
                    || !object.is_long_running()
                    || object.is_patch
                {
                    continue;
                }
                let location = object.label();
                let strategy = object
                    .root
                    .at(&["spec", "strategy", "type"])
                    .and_then(Node::as_str);
                let judged = strategy != Some("Recreate") && serves_traffic(object, &selectors);
                let scaler = object
                    .name
                    .as_ref()
                    .and_then(|name| scaled.get(&(object.kind.clone(), name.clone())));
                if let Some(scaler) = scaler {
                    match scaler {
                        Some(floor) if judged => report_autoscaler_floor(sink, object, floor),
                        _ => sink.holds(&META, file, location),
                    }
                    continue;
                }
                let chart_autoscaled = object.from_helm
                    && opslint_model::helm::chart_dir(&file.path)
                        .is_some_and(|dir| charts_with_autoscaler.contains(dir));
                if !judged {
                    continue;
                }
                // An overlay that sets one replica leaves the base's count
                // to be judged.
                if patch_sets_where(workspace, object, &["spec", "replicas"], |count| {
                    count.as_str() != Some("1")
                }) {
                    sink.holds(&META, file, location);
                    continue;
                }
                let node = object.root.at(&["spec", "replicas"]);
                let span = node.map_or(object.kind_span, |n| n.span);
                match int_field(workspace, artifact, node) {
                    IntField::Value(1, _) if chart_autoscaled => sink.unclear(
                        &META,
                        file,
                        span,
                        location,
                        format!(
                            "Does the chart's autoscaler scale {} in production, or does it run \
                             one replica?",
                            object.label()
                        ),
                        "the chart has an autoscaler template, which values may turn on",
                    ),
                    IntField::Value(1, rendered) => {
                        report_single_replica(sink, artifact, object, span, rendered.as_ref());
                    }
                    IntField::Unknown => sink.unclear(
                        &META,
                        file,
                        span,
                        location,
                        format!("How many replicas of {} run in production?", object.label()),
                        "`replicas` is templated (Helm values that `values.yaml` does not give, or \
                         `if`/`else` branches) or its key is duplicated",
                    ),
                    _ => sink.holds(&META, file, location),
                }
            }
        }
    }
}

fn report_single_replica(
    sink: &mut Sink,
    artifact: &Artifact,
    object: &Object,
    span: Span,
    rendered: Option<&Rendered>,
) {
    let source = rendered.map_or(String::new(), |rendered| {
        format!(" (from {})", rendered.describe_sources())
    });
    let message = if uses_leader_election(object) {
        format!(
            "{} runs one replica{source}, though its leader election allows a standby",
            object.label()
        )
    } else {
        format!(
            "{} serves traffic from a single replica{source}",
            object.label()
        )
    };
    sink.violation(
        &META,
        &artifact.file,
        span,
        object.label(),
        message,
        "one pod: any drain, crash or rollout is an outage",
    )
    .help = Some(
        "run at least two replicas (or an autoscaler with `minReplicas: 2`) and add a \
         PodDisruptionBudget"
            .into(),
    );
}

/// A HorizontalPodAutoscaler that may scale its target down to one pod.
struct SingleReplicaFloor<'a> {
    artifact: &'a Artifact,
    autoscaler: String,
    /// `minReplicas`, or the autoscaler's kind when the field is missing.
    span: Span,
    /// The value of `minReplicas`, `None` when it is missing.
    minimum: Option<&'a str>,
}

/// Workloads, as `(kind, name)`, whose replica count an autoscaler or a
/// kustomization's `replicas:` field decides, each with the autoscaler's
/// floor when that is one replica. A KEDA ScaledObject's floor is left
/// alone, because scaling a worker to zero is what KEDA is for.
fn scaled_workloads(
    workspace: &Workspace,
) -> BTreeMap<(String, String), Option<SingleReplicaFloor<'_>>> {
    let mut scaled = BTreeMap::new();
    for (artifact, manifest) in workspace.kubernetes() {
        for object in &manifest.objects {
            let is_hpa = object.kind == "HorizontalPodAutoscaler";
            if !is_hpa && object.kind != "ScaledObject" {
                continue;
            }
            let Some(target) = object.root.at(&["spec", "scaleTargetRef"]) else {
                continue;
            };
            let kind = target
                .get("kind")
                .and_then(Node::as_str)
                .unwrap_or("Deployment");
            let Some(name) = target.get("name").and_then(Node::as_str) else {
                continue;
            };
            // Kubernetes gives `minReplicas` a default of 1.
            let minimum = object.root.at(&["spec", "minReplicas"]);
            let floor = match minimum.map(|node| (node, node.as_str())) {
                _ if !is_hpa => None,
                None => Some((object.kind_span, None)),
                Some((node, Some(value @ ("0" | "1")))) => Some((node.span, Some(value))),
                Some(_) => None,
            };
            let floor = floor.map(|(span, minimum)| SingleReplicaFloor {
                artifact,
                autoscaler: object.label(),
                span,
                minimum,
            });
            scaled.insert((kind.to_string(), name.to_string()), floor);
        }
    }
    for artifact in workspace.all() {
        if let opslint_model::Facts::Kustomization(kustomization) = &artifact.facts {
            for name in &kustomization.replica_names {
                for kind in ["Deployment", "Rollout"] {
                    scaled.insert((kind.to_string(), name.clone()), None);
                }
            }
        }
    }
    scaled
}

fn report_autoscaler_floor(sink: &mut Sink, object: &Object, floor: &SingleReplicaFloor) {
    let label = match floor.minimum {
        Some(value) => format!("`minReplicas: {value}`"),
        None => "no `minReplicas`, so the minimum is 1".to_string(),
    };
    sink.violation(
        &META,
        &floor.artifact.file,
        floor.span,
        floor.autoscaler.clone(),
        format!(
            "{} lets {} scale down to a single replica",
            floor.autoscaler,
            object.label()
        ),
        label,
    )
    .help = Some("set `minReplicas: 2` and add a PodDisruptionBudget".into());
}

/// Collects the chart folders with a HorizontalPodAutoscaler or ScaledObject
/// template, usually wrapped in `{{ if .Values.autoscaling.enabled }}`.
fn charts_with_autoscaler(workspace: &Workspace) -> BTreeSet<String> {
    let mut charts = BTreeSet::new();
    for (artifact, manifest) in workspace.kubernetes() {
        let has_autoscaler = manifest.objects.iter().any(|object| {
            matches!(
                object.kind.as_str(),
                "HorizontalPodAutoscaler" | "ScaledObject"
            )
        });
        if let (true, true, Some(dir)) = (
            has_autoscaler,
            artifact.kind == ArtifactKind::HelmTemplate,
            opslint_model::helm::chart_dir(&artifact.file.path),
        ) {
            charts.insert(dir.to_string());
        }
    }
    charts
}

/// Collects the literal label selectors of every Service.
fn service_selectors(workspace: &Workspace) -> Vec<Vec<(String, String)>> {
    let mut selectors = Vec::new();
    for (_, manifest) in workspace.kubernetes() {
        for object in manifest.objects.iter().filter(|o| o.kind == "Service") {
            let Some(selector) = object.root.at(&["spec", "selector"]).and_then(Node::as_map)
            else {
                continue;
            };
            let pairs: Vec<(String, String)> = selector
                .entries
                .iter()
                .filter_map(|entry| {
                    entry
                        .value
                        .as_str()
                        .map(|value| (entry.key.to_string(), value.to_string()))
                })
                .collect();
            if !pairs.is_empty() && pairs.len() == selector.entries.len() {
                selectors.push(pairs);
            }
        }
    }
    selectors
}

/// Checks whether a Service selects the workload's pods, or a container
/// declares a port.
fn serves_traffic(object: &Object, selectors: &[Vec<(String, String)>]) -> bool {
    let declares_port = object
        .containers()
        .iter()
        .any(|container| container.node.get("ports").is_some());
    if declares_port {
        return true;
    }
    let Some(labels) = object
        .root
        .at(&["spec", "template", "metadata", "labels"])
        .and_then(Node::as_map)
    else {
        return false;
    };
    selectors.iter().any(|selector| {
        selector
            .iter()
            .all(|(key, value)| labels.get(key).and_then(Node::as_str) == Some(value.as_str()))
    })
}

fn uses_leader_election(object: &Object) -> bool {
    object.containers().iter().any(|container| {
        ["args", "command"].iter().any(|key| {
            let Some(Value::Seq(items)) = container.node.get(key).map(|n| &n.value) else {
                return false;
            };
            items.iter().filter_map(Node::as_str).any(|arg| {
                LEADER_ELECTION_FLAGS.iter().any(|flag| {
                    arg == *flag
                        || arg
                            .strip_prefix(flag)
                            .is_some_and(|rest| rest.starts_with('='))
                            && !arg.ends_with("=false")
                })
            })
        })
    })
}
