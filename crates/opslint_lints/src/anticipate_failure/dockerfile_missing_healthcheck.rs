use std::collections::HashMap;

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::compose::{ComposeHealthcheck, compose_stacks, stack_services};
use opslint_model::dockerfile::ImageHealthcheck;
use opslint_model::kubernetes::join_path;
use opslint_model::{Artifact, Facts, Workspace};
use opslint_syntax::value::{Lookup, Node};

use crate::Rule;
use crate::support::ecs_containers;

pub struct DockerfileMissingHealthcheck;

pub static META: RuleMeta = RuleMeta {
    id: "dockerfile-missing-healthcheck",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS04-BP02", "OPS08-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Dockerfile],
    summary: "final image of a Dockerfile without a `HEALTHCHECK`",
    what_it_checks: "The final stage of each Dockerfile: it needs a `HEALTHCHECK`, either its \
        own or one inherited through `FROM <stage>` from an earlier stage of the same file. A \
        check in a builder stage that the final stage does not build on does not count, and \
        a `FROM ${ARG}` follows the default of a global `ARG` to the stage it names; \
        `HEALTHCHECK NONE` turns an inherited one off. The rule stays quiet when an \
        orchestrator checks the image instead: a docker-compose service that builds this \
        Dockerfile and has a `healthcheck:`, a Kubernetes container with a readiness or \
        liveness probe that runs the image, or an ECS container definition with a \
        `HealthCheck` that runs it. The compose service's `build:` and `healthcheck:` may \
        sit in a main file and its override.",
    why_it_matters: "Docker and Swarm mark a container unhealthy, and stop routing to it, only \
        when the image or the service defines a check. Without one a process that hangs or \
        loses its database looks healthy until users notice.",
    how_to_fix: "Add a check to the final stage:\n\n\
        ```dockerfile\nFROM gcr.io/distroless/static\nCOPY --from=build /app /app\n\
        HEALTHCHECK --interval=30s --timeout=3s CMD [\"/app\", \"healthcheck\"]\n\
        ENTRYPOINT [\"/app\"]\n```\n\n\
        Where Kubernetes or ECS runs the image, define the probe or `healthCheck` there \
        instead: Kubernetes ignores `HEALTHCHECK`.",
    known_limits: "A `HEALTHCHECK` of an external base image is not seen. A Dockerfile is \
        linked to Kubernetes containers by Skaffold artifacts (image and context). It is \
        also linked when the image name matches the Dockerfile's folder name \
        (`src/cart/Dockerfile` and `registry/cart:1.2`; a folder `fulfilment_api` also \
        matches the image `fulfilment-api`) or the package name of a \
        `Cargo.toml` or `pyproject.toml` beside it. ECS containers are linked by a \
        literal image name, in CloudFormation `ContainerDefinitions` or in the text of a \
        Terraform `container_definitions`. A Helm image is linked when it renders from \
        `values.yaml`. Images that other values files or CI variables name are not \
        linked, so their Dockerfile is reported. Skaffold profiles that patch the \
        Dockerfile name are not read. Instead, a `Dockerfile.<variant>` shares the links \
        of the `Dockerfile` beside it, and is not linked by folder name when it has no \
        such sibling. A variant that a compose `build:` or a Skaffold artifact names \
        itself is its own image, linked only through that build. When unrelated projects are checked in one run, a Dockerfile can \
        be linked by folder name to another project's workload. Dockerfiles under \
        `.devcontainer/`, Dockerfiles built on AWS Lambda or SAM build images, and `FROM \
        scratch` images without `CMD` or `ENTRYPOINT` are not checked, since none of \
        them runs as a long-running container. A Lambda image built on another base is \
        still reported. A Dockerfile with a syntax error is not checked, and the \
        `parse-error` finding gives the reason.",
};

impl Rule for DockerfileMissingHealthcheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn needs_other_files(&self) -> bool {
        true
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let orchestrators = Orchestrators::gather(workspace);
        for (artifact, dockerfile) in workspace.dockerfiles() {
            let file = &artifact.file;
            if !dockerfile.complete || file.path.contains(".devcontainer/") {
                continue;
            }
            let Some(last) = dockerfile.final_stage() else {
                continue;
            };
            if !runs_as_service(dockerfile) {
                continue;
            }
            let location = "final stage".to_string();
            let span = match dockerfile.healthcheck(last) {
                ImageHealthcheck::Declared(_) => {
                    sink.holds(&META, file, location);
                    continue;
                }
                ImageHealthcheck::Disabled(span) => span,
                ImageHealthcheck::Missing => dockerfile.stages[last].from_span,
            };
            if let Some(orchestrator) = orchestrators.covering(workspace, artifact) {
                sink.holds(&META, file, format!("{location} ({orchestrator})"));
                continue;
            }
            let builder_has_check = dockerfile.stages[..last]
                .iter()
                .any(|stage| stage.healthcheck.is_some_and(|check| !check.disabled));
            // `FROM ${BASE}` without a default may name an earlier stage
            // that has the check.
            let final_base = dockerfile.final_base_image().unwrap_or_default();
            let is_missing = dockerfile.healthcheck(last) == ImageHealthcheck::Missing;
            let base_unknown = dockerfile.expand_base(last).is_none();
            if is_missing && builder_has_check && base_unknown {
                sink.unclear(
                    &META,
                    file,
                    span,
                    location,
                    format!(
                        "Does `{final_base}` name the stage with the `HEALTHCHECK` when the image \
                         is built for production?"
                    ),
                    "the final stage builds on a build argument without a default",
                );
                continue;
            }
            let (message, label) = match dockerfile.healthcheck(last) {
                ImageHealthcheck::Disabled(_) => (
                    "the final image turns its health check off with `HEALTHCHECK NONE`"
                        .to_string(),
                    "disables the health check",
                ),
                _ if builder_has_check => (
                    "the final stage has no `HEALTHCHECK`; the one in an earlier stage is not \
                     part of the final image"
                        .to_string(),
                    "final stage starts here",
                ),
                _ => (
                    "the final stage has no `HEALTHCHECK`".to_string(),
                    "final stage starts here",
                ),
            };
            sink.violation(&META, file, span, location, message, label)
                .help = Some(
                "add `HEALTHCHECK CMD ...` to the final stage, or a health check where the \
                 image runs (a compose `healthcheck:`, a Kubernetes probe, an ECS `healthCheck`)"
                    .into(),
            );
        }
    }
}

/// Base images of AWS Lambda functions and of SAM build containers. Lambda
/// never runs `HEALTHCHECK`, and a build container runs to completion.
const NON_SERVICE_BASES: [&str; 4] = [
    "public.ecr.aws/lambda/",
    "public.ecr.aws/sam/build-",
    "amazon/aws-lambda-",
    "lambci/lambda",
];

/// Checks whether the final image can run as a long-running container: it
/// is not built for Lambda or as a build container, and an image `FROM
/// scratch` sets a command (one without is a data or artifact image).
fn runs_as_service(dockerfile: &opslint_model::dockerfile::Dockerfile) -> bool {
    let base = dockerfile.final_base_image().unwrap_or_default();
    if NON_SERVICE_BASES
        .iter()
        .any(|prefix| base.starts_with(prefix))
    {
        return false;
    }
    base != "scratch" || dockerfile.final_sets_command()
}

/// Health checks that orchestrators define, each with the text that names
/// it in output. They are gathered once per run, because every Dockerfile is
/// compared with all of them.
struct Orchestrators<'a> {
    /// Paths of the Dockerfiles that a compose service with a
    /// `healthcheck:` builds, in workspace order.
    compose: Vec<(String, String)>,
    /// Images of Kubernetes containers with a probe, rendered from Helm
    /// values where possible.
    kubernetes: ImageIndex,
    /// Images of CloudFormation ECS containers with a `HealthCheck`.
    cloudformation: ImageIndex,
    /// `container_definitions` text of Terraform ECS task definitions that
    /// mention `healthCheck`, followed by the values of the variables it
    /// reads.
    terraform: Vec<(std::borrow::Cow<'a, str>, String)>,
    /// Skaffold `build.artifacts`: the Dockerfile each builds, and the
    /// image name it gives the result.
    skaffold: Vec<(String, String)>,
    /// The Dockerfiles that compose services build, with or without a
    /// health check.
    compose_built: Vec<String>,
}

impl<'a> Orchestrators<'a> {
    fn gather(workspace: &'a Workspace) -> Self {
        // A service's `healthcheck:` may sit in an override file and its
        // `build:` in the main file: each stack of a folder is merged.
        let mut compose = Vec::new();
        let mut compose_built = Vec::new();
        for files in workspace.compose_folders().values() {
            let paths: Vec<&str> = files.iter().map(|(a, _)| a.file.path.as_str()).collect();
            for stack in compose_stacks(&paths) {
                for service in stack_services(files, &stack) {
                    if let Some(path) = &service.dockerfile {
                        compose_built.push(path.clone());
                    }
                    let (Some((ComposeHealthcheck::Declared(_), file)), Some(path)) =
                        (service.healthcheck, service.dockerfile)
                    else {
                        continue;
                    };
                    let description = format!(
                        "`healthcheck:` of service `{}` in `{}`",
                        service.name, files[file].0.file.path
                    );
                    compose.push((path, description));
                }
            }
        }

        let mut kubernetes = ImageIndex::default();
        for (artifact, manifest) in workspace.kubernetes() {
            for object in &manifest.objects {
                for container in object.containers() {
                    let Some(node) = container.image else {
                        continue;
                    };
                    let has_probe = ["readinessProbe", "livenessProbe"]
                        .iter()
                        .any(|key| matches!(container.node.lookup(key), Lookup::Present(_)));
                    if !has_probe {
                        continue;
                    }
                    let Some(image) = workspace.image_text(artifact, node) else {
                        continue;
                    };
                    let description =
                        format!("probes of {} in `{}`", object.label(), artifact.file.path);
                    kubernetes.push(&image, description);
                }
            }
        }

        let mut cloudformation = ImageIndex::default();
        for (artifact, template) in workspace.cloudformation() {
            for (resource, container) in ecs_containers(template) {
                // An image whose registry or tag is substituted is still
                // named by its repository.
                let Some(image) = container.get("Image").and_then(|image| {
                    image
                        .as_str()
                        .or_else(|| opslint_model::cloudformation::sub_image_name(image))
                }) else {
                    continue;
                };
                if container.get("HealthCheck").is_some() {
                    let description = format!(
                        "`HealthCheck` of `{}` in `{}`",
                        resource.logical_id, artifact.file.path
                    );
                    cloudformation.push(image, description);
                }
            }
        }

        let mut terraform = Vec::new();
        for (artifact, file) in workspace.terraform() {
            for resource in file.resources_of_type("aws_ecs_task_definition") {
                let Some(definitions) = resource.block.body.attribute("container_definitions")
                else {
                    continue;
                };
                // `container_definitions` is JSON, usually from `jsonencode`:
                // its text is searched for the image and a health check.
                let text = definitions.expr.text.as_str();
                if text.contains("healthCheck") {
                    let description = format!(
                        "`healthCheck` of `{}` in `{}`",
                        resource.address(),
                        artifact.file.path
                    );
                    // A shared module takes the image as a variable, which
                    // the module calls set, so their values are searched too.
                    let values = variable_values(workspace, &artifact.file.path, text);
                    let searched = if values.is_empty() {
                        std::borrow::Cow::Borrowed(text)
                    } else {
                        std::borrow::Cow::Owned(format!("{text}\n{}", values.join("\n")))
                    };
                    terraform.push((searched, description));
                }
            }
        }

        Self {
            compose,
            compose_built,
            kubernetes,
            cloudformation,
            terraform,
            skaffold: skaffold_builds(workspace),
        }
    }

    /// Names the orchestrator setting that checks the image this Dockerfile
    /// builds, if any.
    fn covering(&self, workspace: &Workspace, dockerfile: &Artifact) -> Option<String> {
        let path = dockerfile.file.path.as_str();
        if let Some((_, description)) = self.compose.iter().find(|(built, _)| built == path) {
            return Some(description.clone());
        }

        // A variant that a build names on its own, as compose's
        // `dockerfile: Dockerfile.worker`, is another image than the
        // `Dockerfile` beside it.
        let named_by_a_build = self.compose_built.iter().any(|built| built == path)
            || self.skaffold.iter().any(|(built, _)| built == path);
        let image_names = image_names(workspace, &self.skaffold, path, named_by_a_build);
        if let Some(description) = self.kubernetes.first_named(&image_names) {
            return Some(description.to_string());
        }
        if let Some(description) = self.cloudformation.first_named(&image_names) {
            return Some(description.to_string());
        }
        self.terraform
            .iter()
            .find(|(text, _)| image_names.iter().any(|name| mentions_image(text, name)))
            .map(|(_, description)| description.clone())
    }
}

/// Image references with a description each, indexed by the names
/// [`same_image`] accepts for them, so each Dockerfile is matched by lookup
/// rather than by comparing it with every container of the repository.
#[derive(Default)]
struct ImageIndex {
    descriptions: Vec<String>,
    /// Repository and repository name, each to the first description whose
    /// image has it.
    by_name: HashMap<String, usize>,
}

impl ImageIndex {
    fn push(&mut self, image: &str, description: String) {
        let position = self.descriptions.len();
        self.descriptions.push(description);
        let repository = repository(image);
        let repository_name = repository.rsplit('/').next().unwrap_or(repository);
        for name in [repository, repository_name] {
            self.by_name.entry(name.to_string()).or_insert(position);
        }
    }

    /// Returns the description of the first image, in the order they were pushed,
    /// that is the same image as one of `names`.
    fn first_named(&self, names: &[String]) -> Option<&str> {
        names
            .iter()
            .filter_map(|name| self.by_name.get(name))
            .min()
            .map(|position| self.descriptions[*position].as_str())
    }
}

/// Returns the texts of the values that the variables `text` reads
/// (`var.image`) take, from their defaults, variables files and the module
/// calls, each call's value when they differ.
fn variable_values(workspace: &Workspace, path: &str, text: &str) -> Vec<String> {
    let index = &workspace.terraform_index;
    let mut values = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (at, _) in text.match_indices("var.") {
        let name_start = at + "var.".len();
        let name_end = text[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(text.len(), |end| name_start + end);
        let name = &text[name_start..name_end];
        if name.is_empty() || seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let Some(expr) = opslint_model::terraform_eval::parse_expression(&format!("var.{name}"))
        else {
            continue;
        };
        match index.evaluate(path, &expr) {
            opslint_model::terraform_eval::Evaluated::Known { expr, .. } => values.push(expr.text),
            opslint_model::terraform_eval::Evaluated::Unknown { .. } => {
                for call in index.evaluate_per_call(path, &expr).unwrap_or_default() {
                    if let opslint_model::terraform_eval::Evaluated::Known { expr, .. } = call.value
                    {
                        values.push(expr.text);
                    }
                }
            }
        }
    }
    values
}

/// Checks whether JSON or HCL text names the image `name` as a whole
/// repository name: `"name:`, `/name:`, `"name"` or `/name"`.
fn mentions_image(text: &str, name: &str) -> bool {
    ["\"", "/"].iter().any(|before| {
        [":", "\""]
            .iter()
            .any(|after| text.contains(&format!("{before}{name}{after}")))
    })
}

/// Collects the image names that the repository builds from the Dockerfile at `path`:
/// Skaffold artifacts whose context contains it, and the name of its folder.
/// A variant such as `Dockerfile.debug` shares the links of the `Dockerfile`
/// beside it, since it builds the same image for another profile, unless a
/// build names the variant itself (`own_build`).
fn image_names(
    workspace: &Workspace,
    skaffold: &[(String, String)],
    path: &str,
    own_build: bool,
) -> Vec<String> {
    let mut names = Vec::new();
    let (folder, file_name) = path.rsplit_once('/').unwrap_or(("", path));
    let is_variant = file_name.starts_with("Dockerfile.");
    if is_variant && own_build {
        names.extend(
            skaffold
                .iter()
                .filter(|(built, _)| built == path)
                .map(|(_, image)| image.clone()),
        );
        return names;
    }
    let sibling = if is_variant {
        Some(if folder.is_empty() {
            "Dockerfile".to_string()
        } else {
            format!("{folder}/Dockerfile")
        })
    } else {
        None
    };

    // A variant links by folder name only through an existing `Dockerfile`
    // beside it: `Dockerfile.test` alone is usually another image (a test
    // runner) than the service the folder is named after.
    let sibling_exists = sibling.as_deref().is_some_and(|sibling| {
        workspace
            .artifact(sibling)
            .is_some_and(|artifact| matches!(artifact.facts, Facts::Dockerfile(_)))
    });
    let links_by_folder = sibling.is_none() || sibling_exists;
    if let Some(name) = workspace.working_folder.name_of(folder)
        && links_by_folder
    {
        names.push(name.to_string());
    }
    // Images are often named after the package that the folder builds.
    if links_by_folder {
        for manifest in ["Cargo.toml", "pyproject.toml"] {
            let manifest_path = if folder.is_empty() {
                manifest.to_string()
            } else {
                format!("{folder}/{manifest}")
            };
            if let Some(artifact) = workspace.artifact(&manifest_path)
                && let Facts::Dependencies(dependencies) = &artifact.facts
                && let Some(package) = &dependencies.package
            {
                names.push(package.clone());
            }
        }
    }

    let dockerfiles = [Some(path), sibling.as_deref()];
    names.extend(
        skaffold
            .iter()
            .filter(|(built, _)| dockerfiles.contains(&Some(built.as_str())))
            .map(|(_, image)| image.clone()),
    );
    // A folder or package named `fulfilment_api` usually builds the image
    // `fulfilment-api`.
    let comparable: Vec<String> = names
        .iter()
        .map(|name| opslint_model::service_link::comparable_name(name))
        .filter(|name| !names.contains(name))
        .collect();
    names.extend(comparable);
    names
}

/// Collects what Skaffold `build.artifacts` build: the path of each
/// artifact's Dockerfile and the image name it gives the result.
fn skaffold_builds(workspace: &Workspace) -> Vec<(String, String)> {
    let mut builds = Vec::new();
    for (artifact, manifest) in workspace.kubernetes() {
        for object in &manifest.objects {
            let is_skaffold = object
                .api_version
                .as_deref()
                .is_some_and(|version| version.starts_with("skaffold/"));
            if !is_skaffold {
                continue;
            }
            let artifacts = object
                .root
                .at(&["build", "artifacts"])
                .and_then(Node::as_seq)
                .unwrap_or_default();
            for build in artifacts {
                let (Some(image), context) = (
                    build.get("image").and_then(Node::as_str),
                    build.get("context").and_then(Node::as_str).unwrap_or("."),
                ) else {
                    continue;
                };
                let dockerfile = build
                    .at(&["docker", "dockerfile"])
                    .and_then(Node::as_str)
                    .unwrap_or("Dockerfile");
                let built = join_path(&artifact.file.path, &format!("{context}/{dockerfile}"));
                builds.push((built, image.to_string()));
            }
        }
    }
    builds
}

/// Checks whether `reference` (`registry/path/name:tag@digest`) names the image
/// `name`, compared on the full repository or on its last path part.
#[cfg(test)]
fn same_image(name: &str, reference: &str) -> bool {
    let repository = repository(reference);
    let repository_name = repository.rsplit('/').next().unwrap_or(repository);
    repository == name || repository_name == name
}

/// Returns the repository of an image reference, without its digest and tag.
fn repository(reference: &str) -> &str {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let last_part = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let tag_start =
        without_digest.len() - last_part.len() + last_part.find(':').unwrap_or(last_part.len());
    &without_digest[..tag_start]
}

#[cfg(test)]
mod tests {
    use super::same_image;

    #[test]
    fn same_image_compares_repository_names() {
        assert!(same_image("cart", "registry.example.com/shop/cart:1.2"));
        assert!(same_image("cart", "cart"));
        assert!(same_image("cart", "localhost:5000/cart@sha256:ab"));
        assert!(!same_image("cart", "registry.example.com/cartography:1"));
        assert!(!same_image("cart", "cart-db:1"));
    }

    #[test]
    fn mentions_image_needs_whole_name() {
        assert!(super::mentions_image(
            r#"image = "${var.registry}/cart:1.2""#,
            "cart"
        ));
        assert!(super::mentions_image(r#""image": "cart""#, "cart"));
        assert!(!super::mentions_image(
            r#"image = "shop/cartography:1""#,
            "cart"
        ));
    }
}
