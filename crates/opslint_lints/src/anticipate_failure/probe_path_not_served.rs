use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::service::{Served, is_health_path};
use opslint_model::service_link::{LinkReason, build_contexts, image_base_name, service_for_image};
use opslint_syntax::value::Node;

use crate::Rule;

pub struct ProbePathNotServed;

pub static META: RuleMeta = RuleMeta {
    id: "probe-path-not-served",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS10-BP07", "OPS04-BP02"],
    severity: Severity::Error,
    artifacts: &[
        ArtifactKind::Kubernetes,
        ArtifactKind::HelmTemplate,
        ArtifactKind::Rust,
        ArtifactKind::Python,
    ],
    summary: "probe path that the service's code does not route",
    what_it_checks: "`httpGet` liveness, readiness and startup probes of Kubernetes containers \
        whose image is built from Rust or Python service code in the repository, where the \
        probe's path matches no route of that service. An image is linked to its service by \
        the build context of a Skaffold artifact or docker-compose service with the same \
        image, and else by a service folder named like the image. Routes count with the \
        literal prefixes of nested routers, included routers and blueprints.",
    why_it_matters: "A probe that requests a path the service does not serve gets a 404 on \
        every attempt. A failing readiness probe keeps the pod out of the load balancer, and a \
        failing liveness probe restarts it in a loop, so the release fails although the code \
        works.",
    how_to_fix: "Point the probe at the route the service serves, prefix included:\n\n\
        ```yaml\n\
        readinessProbe:\n  httpGet:\n    path: /api/v1/utils/health-check/\n    port: 8000\n\
        ```",
    known_limits: "Routes whose paths or mount prefixes come from variables or settings make \
        the result a question. Ports are not compared. ECS container health checks and load \
        balancer target-group paths are not linked to code yet. Images built from folders \
        without Rust or Python services (code in other languages) are skipped.",
};

/// Checks whether the repository builds `image` from a folder without Rust or
/// Python services: code in a language opslint does not read, whose routes
/// are unknown rather than missing.
fn is_other_language_build(
    workspace: &Workspace,
    image: &str,
    contexts: &[(String, String)],
) -> bool {
    let base = image_base_name(image);
    let has_context = contexts
        .iter()
        .any(|(context_image, _)| image_base_name(context_image) == base);
    let has_dockerfile_folder = workspace.artifacts.iter().any(|artifact| {
        artifact.kind == ArtifactKind::Dockerfile
            && artifact
                .file
                .path
                .rsplit('/')
                .nth(1)
                .is_some_and(|folder| folder == base)
    });
    has_context || has_dockerfile_folder
}

const PROBES: [(&str, &str); 3] = [
    ("livenessProbe", "liveness"),
    ("readinessProbe", "readiness"),
    ("startupProbe", "startup"),
];

impl Rule for ProbePathNotServed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let services = workspace.services();
        if services.is_empty() {
            return;
        }
        let contexts = build_contexts(workspace);
        // TODO: link ECS `healthCheck` commands and target-group health check
        // paths to services through task definitions and load balancers.
        for (artifact, manifest) in workspace.kubernetes() {
            let file = &artifact.file;
            for object in &manifest.objects {
                if object.is_patch {
                    continue;
                }
                for (index, container) in object.containers().iter().enumerate() {
                    let name = container.label(index);
                    for (key, noun) in PROBES {
                        let Some(path_node) = container.node.at(&[key, "httpGet", "path"]) else {
                            continue;
                        };
                        let Some(path) = path_node.as_str() else {
                            continue;
                        };
                        let location = format!("{}/containers/{name}/{key}", object.label());
                        let image = container.image.and_then(Node::as_str);
                        let Some(image) = image.filter(|_| !path_node.is_templated()) else {
                            continue;
                        };
                        let Some((service, reason)) =
                            service_for_image(image, &services, &contexts)
                        else {
                            if is_other_language_build(workspace, image, &contexts) {
                                continue;
                            }
                            sink.unclear(
                                &META,
                                file,
                                path_node.span,
                                location,
                                format!(
                                    "Which service in this repository does image `{image}` run, \
                                     and does it serve the {noun} probe path `{path}`?"
                                ),
                                "no Skaffold or compose build context and no service folder \
                                 matches the image name",
                            );
                            continue;
                        };
                        let linked_by = match reason {
                            LinkReason::BuildContext(_) => "linked by its build context",
                            LinkReason::FolderName => "linked by its folder name",
                        };
                        match service.serves(path) {
                            Served::Yes => sink.holds(&META, file, location),
                            Served::Unclear(why) => sink.unclear(
                                &META,
                                file,
                                path_node.span,
                                location,
                                format!(
                                    "Does service {} serve the {noun} probe path `{path}` of \
                                     container `{name}`?",
                                    service.label()
                                ),
                                why,
                            ),
                            Served::No => {
                                let health_routes: Vec<String> = service
                                    .routes()
                                    .filter_map(|(_, route)| route.path.clone())
                                    .filter(|route| is_health_path(route))
                                    .map(|route| format!("`{route}`"))
                                    .collect();
                                let help = if health_routes.is_empty() {
                                    "add the route to the service, or point the probe at a \
                                     path it serves"
                                        .to_string()
                                } else {
                                    format!(
                                        "the service routes {}; point the probe there",
                                        health_routes.join(", ")
                                    )
                                };
                                sink.violation(
                                    &META,
                                    file,
                                    path_node.span,
                                    location,
                                    format!(
                                        "{noun} probe path `{path}` of container `{name}` in {} is \
                                         not routed by service {} ({linked_by})",
                                        object.label(),
                                        service.label()
                                    ),
                                    "no route serves this path",
                                )
                                .help = Some(help);
                            }
                        }
                    }
                }
            }
        }
    }
}
