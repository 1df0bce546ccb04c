use std::collections::{BTreeMap, BTreeSet};

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::cloudformation;
use opslint_model::compose::{compose_stacks, stack_services};
use opslint_model::kubernetes::join_path;
use opslint_model::service::{Served, is_health_path};
use opslint_model::service_link::{LinkReason, ServiceLinks, build_contexts, image_base_name};
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
        ArtifactKind::DockerCompose,
        ArtifactKind::CloudFormation,
        ArtifactKind::Rust,
        ArtifactKind::Python,
    ],
    summary: "probe path that the service's code does not route",
    what_it_checks: "Probes that request a URL: `httpGet` liveness, readiness and startup \
        probes of Kubernetes containers, docker-compose `healthcheck` commands and \
        CloudFormation ECS container `HealthCheck` commands. The rule fires when the \
        probed image is built from Rust or Python service code in the repository and the \
        requested path matches no route of that service. A Helm chart's image is rendered \
        from the chart's defaults (`values.yaml`, `appVersion`). CloudFormation target groups \
        are checked through the ECS service that registers a container with them. A \
        compose service with a `build` context is linked to the code in that folder, also \
        when the health check sits in an override file and the main file builds it. An \
        image is linked to its service by the build context of a Skaffold artifact or \
        docker-compose service with the same image. Without one, a service folder named \
        like the image is used (also in lower case with `-` for `_`, so `fulfilment_api` \
        matches `fulfilment-api`), and then a service whose Cargo or Python package is \
        named like it. A Python route counts under the literal prefixes of the includes of \
        the object it is declared on (`@orders_bp.get` under \
        `app.register_blueprint(orders_bp, url_prefix=\"/api/v1\")`), followed outwards \
        through nested routers and blueprints, and a route on an object that nothing \
        includes counts at its own path. A router with a prefix of its own \
        (`APIRouter(prefix=...)`, `Blueprint(url_prefix=...)`) adds it to the prefixes it \
        is included under. When an include names no object that routes are declared on \
        (`register_blueprint(make_bp())`, a router imported under another name, Django \
        `include()`, Rust nesting), every include prefix may apply to every route, and a \
        router with a prefix of its own counts only under include prefixes.",
    why_it_matters: "A probe that requests a path the service does not serve gets a 404 on \
        every attempt. A failing readiness probe keeps the pod out of the load balancer, and a \
        failing liveness probe restarts it in a loop, so the release fails although the code \
        works.",
    how_to_fix: "Point the probe at the route the service serves, prefix included:\n\n\
        ```yaml\n\
        readinessProbe:\n  httpGet:\n    path: /api/v1/utils/health-check/\n    port: 8000\n\
        ```",
    known_limits: "Routes whose paths or mount prefixes come from variables or settings make \
        the result a question. Includes are linked to routers by the last part of the \
        name, so routers with the same name in different files (`users.router`, \
        `items.router`) share their prefixes. Flask's `register_blueprint(url_prefix=...)` \
        replaces the blueprint's own `url_prefix`, but opslint joins both. Ports and hosts \
        are not compared. Terraform ECS task \
        definitions and target groups are not linked to code yet. A run on named files, \
        such as a pre-commit hook, skips the rule. Images built from folders \
        without Rust or Python services (code in other languages) and Docker Hub official \
        images such as `nginx` are skipped.",
};

/// Checks whether the repository builds `image` from a folder without Rust or
/// Python services: code in a language opslint does not read, whose routes
/// are unknown rather than missing.
fn is_other_language_build(
    dockerfile_folders: &BTreeSet<&str>,
    image: &str,
    links: &ServiceLinks<'_, '_>,
) -> bool {
    links.has_context_for(image) || dockerfile_folders.contains(image_base_name(image))
}

/// Names of the folders that directly hold a Dockerfile.
fn dockerfile_folders(workspace: &Workspace) -> BTreeSet<&str> {
    workspace
        .artifacts
        .iter()
        .filter(|artifact| artifact.kind == ArtifactKind::Dockerfile)
        .filter_map(|artifact| artifact.file.path.rsplit('/').nth(1))
        .collect()
}

const PROBES: [(&str, &str); 3] = [
    ("livenessProbe", "liveness"),
    ("readinessProbe", "readiness"),
    ("startupProbe", "startup"),
];

/// Extracts the URL path that a health-check command requests, from the
/// first `http://` or `https://` URL in it: `/healthz` for
/// `curl -f http://localhost:8080/healthz || exit 1`.
pub fn command_url_path(command: &str) -> Option<String> {
    let start = command
        .find("http://")
        .or_else(|| command.find("https://"))?;
    let url = &command[start..];
    let url = url
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')' | '|' | ';'))
        .next()
        .unwrap_or(url);
    let after_scheme = url.split_once("://")?.1;
    let path = after_scheme
        .find('/')
        .map_or("/", |index| &after_scheme[index..]);
    Some(path.to_string())
}

/// Returns the text of a health-check command given as a string or a list.
fn command_text(node: &Node) -> Option<String> {
    if let Some(text) = node.as_str() {
        return Some(text.to_string());
    }
    let parts: Vec<&str> = node.as_seq()?.iter().filter_map(Node::as_str).collect();
    Some(parts.join(" "))
}

/// One health check that requests a path of a service.
struct Probe<'a> {
    file: &'a opslint_core::SourceFile,
    span: opslint_core::Span,
    location: String,
    path: String,
    /// For messages, for example "readiness probe path `/ready` of container
    /// `server` in Deployment/orders".
    description: String,
}

/// Returns the text of a CloudFormation value that is a plain literal.
fn cfn_literal(node: Option<&Node>) -> Option<&str> {
    match node.map(cloudformation::value) {
        Some(cloudformation::CfnValue::Literal(text)) => Some(text),
        _ => None,
    }
}

/// Maps each compose file and service to the Dockerfile that the service
/// builds in a stack with that file (see `compose_stacks`), so that an
/// override's health check finds the code the main file builds.
fn compose_stack_builds(workspace: &Workspace) -> BTreeMap<(&str, &str), String> {
    let mut builds = BTreeMap::new();
    for files in workspace.compose_folders().values() {
        let paths: Vec<&str> = files.iter().map(|(a, _)| a.file.path.as_str()).collect();
        for stack in compose_stacks(&paths) {
            for service in stack_services(files, &stack) {
                let Some(dockerfile) = service.dockerfile else {
                    continue;
                };
                for &index in &stack {
                    let (artifact, compose) = files[index];
                    if compose.services.iter().any(|s| s.name == service.name) {
                        let path = artifact.file.path.as_str();
                        builds.insert((path, service.name), dockerfile.clone());
                    }
                }
            }
        }
    }
    builds
}

/// Asks which service an image runs, when the repository does not link it.
fn ask_which_service(sink: &mut Sink, probe: Probe, image_text: &str, reason: String) {
    sink.unclear(
        &META,
        probe.file,
        probe.span,
        probe.location,
        format!(
            "Which service in this repository does {image_text} run, and does it serve the {}?",
            probe.description
        ),
        reason,
    );
}

struct Checker<'w, 's> {
    workspace: &'w Workspace,
    links: ServiceLinks<'s, 'w>,
    dockerfile_folders: BTreeSet<&'w str>,
}

impl Checker<'_, '_> {
    /// Reports a probe whose target is the service `image` runs, or the
    /// service built from `build_folder` when the deploy file names one.
    fn check(
        &self,
        sink: &mut Sink,
        probe: Probe,
        image: Option<&str>,
        build_folder: Option<String>,
    ) {
        let from_folder = build_folder.as_ref().and_then(|folder| {
            self.links
                .for_build_folder(folder)
                .map(|service| (service, LinkReason::BuildContext(folder.clone())))
        });
        if from_folder.is_none() && build_folder.is_some() {
            // Built from code in another language, or from a folder outside
            // the checked paths.
            return;
        }
        let linked = from_folder.or_else(|| image.and_then(|image| self.links.for_image(image)));
        let Some((service, reason)) = linked else {
            if image.is_some_and(|image| {
                is_other_language_build(&self.dockerfile_folders, image, &self.links)
            }) {
                return;
            }
            // An image without a `/` is a Docker Hub official image such as
            // `nginx` or `httpd:2.4`, never this repository's code.
            if image.is_some_and(|image| !image.contains('/')) {
                return;
            }
            let image_text = image.map_or("this container".to_string(), |i| format!("image `{i}`"));
            ask_which_service(
                sink,
                probe,
                &image_text,
                "no Skaffold or compose build context, service folder or package matches the \
                 image name"
                    .to_string(),
            );
            return;
        };
        let linked_by = match reason {
            LinkReason::BuildContext(_) => "linked by its build context",
            LinkReason::FolderName => "linked by its folder name",
            LinkReason::PackageName => "linked by its package name",
        };
        match service.serves(&probe.path) {
            Served::Yes => sink.holds(&META, probe.file, probe.location),
            Served::Unclear(why) => sink.unclear(
                &META,
                probe.file,
                probe.span,
                probe.location,
                format!(
                    "Does service {} serve the {}?",
                    service.label(),
                    probe.description
                ),
                why,
            ),
            Served::No => {
                let mut health_routes: Vec<String> = service
                    .full_route_paths()
                    .into_iter()
                    .filter(|(route, _)| is_health_path(route))
                    .flat_map(|(_, full)| full)
                    .map(|route| format!("`{route}`"))
                    .collect();
                health_routes.dedup();
                let help = if health_routes.is_empty() {
                    "add the route to the service, or point the check at a path it serves"
                        .to_string()
                } else {
                    format!(
                        "point the check at a health route of the service ({})",
                        health_routes.join(", ")
                    )
                };
                sink.violation(
                    &META,
                    probe.file,
                    probe.span,
                    probe.location,
                    format!(
                        "{} is not routed by service {} ({linked_by})",
                        probe.description,
                        service.label()
                    ),
                    "no route serves this path",
                )
                .help = Some(help);
            }
        }
    }

    fn kubernetes(&self, sink: &mut Sink) {
        for (artifact, manifest) in self.workspace.kubernetes() {
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
                        let Some(path) = path_node.as_str().filter(|_| !path_node.is_templated())
                        else {
                            continue;
                        };
                        // A chart's image is usually rendered from its values.
                        let rendered = container
                            .image
                            .and_then(|image| self.workspace.render_helm(artifact, image));
                        let image = match &rendered {
                            Some(rendered) => Some(rendered.text.as_str()),
                            None => container.image.and_then(Node::as_str),
                        };
                        let Some(image) = image else {
                            continue;
                        };
                        let probe = Probe {
                            file: &artifact.file,
                            span: path_node.span,
                            location: format!("{}/containers/{name}/{key}", object.label()),
                            path: path.to_string(),
                            description: format!(
                                "{noun} probe path `{path}` of container `{name}` in {}",
                                object.label()
                            ),
                        };
                        self.check(sink, probe, Some(image), None);
                    }
                }
            }
        }
    }

    fn compose(&self, sink: &mut Sink) {
        let stack_builds = compose_stack_builds(self.workspace);
        for (artifact, compose) in self.workspace.compose() {
            for service in &compose.services {
                let Some(test) = service.node.at(&["healthcheck", "test"]) else {
                    continue;
                };
                let Some(path) = command_text(test).as_deref().and_then(command_url_path) else {
                    continue;
                };
                let build = service.node.get("build");
                let context = build.and_then(|build| {
                    build
                        .as_str()
                        .or_else(|| build.get("context").and_then(Node::as_str))
                });
                // With `dockerfile:` the Dockerfile's folder names the code
                // better than a context that is often the repository root.
                let dockerfile = build
                    .and_then(|build| build.get("dockerfile"))
                    .and_then(Node::as_str);
                let build_folder = match (context, dockerfile) {
                    (Some(context), Some(dockerfile)) => {
                        let context_folder = join_path(&artifact.file.path, context);
                        // `join_path` resolves against the folder of its
                        // first argument, so give it a file inside the context.
                        let inside_context = if context_folder.is_empty() {
                            "x".to_string()
                        } else {
                            format!("{context_folder}/x")
                        };
                        let dockerfile_path = join_path(&inside_context, dockerfile);
                        Some(join_path(&dockerfile_path, "."))
                    }
                    (Some(context), None) => Some(join_path(&artifact.file.path, context)),
                    // A check in an override file probes what the main
                    // file's `build:` makes.
                    _ => stack_builds
                        .get(&(artifact.file.path.as_str(), service.name.as_str()))
                        .map(|dockerfile| {
                            dockerfile
                                .rsplit_once('/')
                                .map_or(String::new(), |(folder, _)| folder.to_string())
                        }),
                };
                let image = service.image().and_then(Node::as_str);
                let probe = Probe {
                    file: &artifact.file,
                    span: test.span,
                    location: format!("services/{}/healthcheck", service.name),
                    description: format!(
                        "health check path `{path}` of compose service `{}`",
                        service.name
                    ),
                    path,
                };
                self.check(sink, probe, image, build_folder);
            }
        }
    }

    fn ecs(&self, sink: &mut Sink) {
        for (artifact, template) in self.workspace.cloudformation() {
            for resource in template.resources_of_type("AWS::ECS::TaskDefinition") {
                let containers = resource
                    .property(&["ContainerDefinitions"])
                    .and_then(Node::as_seq)
                    .unwrap_or_default();
                for (index, container) in containers.iter().enumerate() {
                    let Some(command) = container.at(&["HealthCheck", "Command"]) else {
                        continue;
                    };
                    let Some(path) = command_text(command).as_deref().and_then(command_url_path)
                    else {
                        continue;
                    };
                    let name = container
                        .get("Name")
                        .and_then(Node::as_str)
                        .map_or(format!("#{}", index + 1), str::to_string);
                    let probe = Probe {
                        file: &artifact.file,
                        span: command.span,
                        location: format!(
                            "{}/ContainerDefinitions/{name}/HealthCheck",
                            resource.logical_id
                        ),
                        description: format!(
                            "health check path `{path}` of container `{name}` in `{}`",
                            resource.logical_id
                        ),
                        path,
                    };
                    self.check_cfn_image(sink, probe, container.get("Image"));
                }
            }
            for service in template.resources_of_type("AWS::ECS::Service") {
                self.target_groups(sink, artifact, template, service);
            }
        }
    }

    /// Checks the health check path of each target group that an ECS
    /// service registers a container with.
    fn target_groups(
        &self,
        sink: &mut Sink,
        artifact: &opslint_model::Artifact,
        template: &cloudformation::Template,
        service: &cloudformation::Resource,
    ) {
        let referenced = |node: Option<&Node>| {
            node.map(cloudformation::references)
                .and_then(|names| names.into_iter().next())
        };
        let Some(task_id) = referenced(service.property(&["TaskDefinition"])) else {
            return;
        };
        let Some(task) = template.resources.iter().find(|r| r.logical_id == task_id) else {
            return;
        };
        let balancers = service
            .property(&["LoadBalancers"])
            .and_then(Node::as_seq)
            .unwrap_or_default();
        for balancer in balancers {
            let Some(group_id) = referenced(balancer.get("TargetGroupArn")) else {
                continue;
            };
            let Some(group) = template.resources.iter().find(|r| r.logical_id == group_id) else {
                continue;
            };
            let Some(path_node) = group.property(&["HealthCheckPath"]) else {
                continue;
            };
            let cloudformation::CfnValue::Literal(path) = cloudformation::value(path_node) else {
                continue;
            };
            let containers = task
                .property(&["ContainerDefinitions"])
                .and_then(Node::as_seq)
                .unwrap_or_default();
            // A container name from a parameter still identifies the only
            // container of a task.
            let container = match cfn_literal(balancer.get("ContainerName")) {
                Some(name) => containers
                    .iter()
                    .find(|c| cfn_literal(c.get("Name")) == Some(name)),
                None if containers.len() == 1 => containers.first(),
                None => None,
            };
            let Some(container) = container else {
                continue;
            };
            let container_name = cfn_literal(container.get("Name"));
            let probe = Probe {
                file: &artifact.file,
                span: path_node.span,
                location: format!("{}/HealthCheckPath", group.logical_id),
                path: path.to_string(),
                description: format!(
                    "health check path `{path}` of target group `{}` ({} of `{}`)",
                    group.logical_id,
                    container_name.map_or("the container".to_string(), |name| format!(
                        "container `{name}`"
                    )),
                    service.logical_id
                ),
            };
            self.check_cfn_image(sink, probe, container.get("Image"));
        }
    }

    /// Checks a CloudFormation probe whose container image may come from a
    /// parameter, which makes the linked service a question.
    fn check_cfn_image(&self, sink: &mut Sink, probe: Probe, image: Option<&Node>) {
        match image.map(cloudformation::value) {
            Some(cloudformation::CfnValue::Literal(image)) => {
                self.check(sink, probe, Some(image), None);
            }
            Some(cloudformation::CfnValue::Intrinsic(function, node)) => {
                // `!Sub ".../fulfilment-api:${ImageTag}"` still names its
                // repository, which links it like a literal image.
                if let Some(name) = image.and_then(cloudformation::sub_image_name)
                    && self.links.for_image(name).is_some()
                {
                    self.check(sink, probe, Some(name), None);
                    return;
                }
                let references = cloudformation::references(node);
                let reason = if references.is_empty() {
                    format!("the image is set by `{function}`, which the template does not settle")
                } else {
                    let inputs = references
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("the image comes from {inputs}, which the template does not settle")
                };
                ask_which_service(sink, probe, "the image", reason);
            }
            _ => {}
        }
    }
}

impl Rule for ProbePathNotServed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    // The routes live in the service's code and the probes in manifests,
    // which a run on named files rarely names together.
    fn needs_other_files(&self) -> bool {
        true
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let services = workspace.services();
        if services.is_empty() {
            return;
        }
        let checker = Checker {
            workspace,
            links: ServiceLinks::new(&services, build_contexts(workspace)),
            dockerfile_folders: dockerfile_folders(workspace),
        };
        // TODO: link Terraform ECS task definitions and target groups, whose
        // container definitions are usually `jsonencode` expressions.
        checker.kubernetes(sink);
        checker.compose(sink);
        checker.ecs(sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_path_from_commands() {
        assert_eq!(
            command_url_path("CMD curl -f http://localhost:8000/api/v1/utils/health-check/")
                .as_deref(),
            Some("/api/v1/utils/health-check/")
        );
        assert_eq!(
            command_url_path("CMD-SHELL curl -f http://localhost/healthz || exit 1").as_deref(),
            Some("/healthz")
        );
        assert_eq!(
            command_url_path("wget -q http://127.0.0.1:8080").as_deref(),
            Some("/")
        );
        assert_eq!(command_url_path("pg_isready -U app"), None);
    }
}
