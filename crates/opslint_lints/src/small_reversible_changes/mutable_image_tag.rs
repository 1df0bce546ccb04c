use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile};
use opslint_model::helm::Rendered;
use opslint_model::image::{self, ImagePin};
use opslint_model::{Artifact, Facts, Workspace};
use opslint_syntax::value::Node;

use crate::Rule;

pub struct MutableImageTag;

pub static META: RuleMeta = RuleMeta {
    id: "mutable-image-tag",
    principle: Some(Principle::SmallReversibleChanges),
    waf: &["OPS06-BP01", "OPS05-BP04"],
    severity: Severity::Warning,
    artifacts: &[
        ArtifactKind::Kubernetes,
        ArtifactKind::HelmTemplate,
        ArtifactKind::DockerCompose,
    ],
    summary: "container image without a tag or with `latest`",
    what_it_checks: "Images with no tag or the `latest` tag and no digest. The rule reads \
        container and init container images of Kubernetes pod templates and the `image:` \
        of docker-compose services that do not build their image. It also reads \
        Kustomize `images:` entries, which fire when they set `newTag: latest` without a \
        digest.",
    why_it_matters: "An image without a fixed tag runs whatever the tag points to when a \
        node pulls it. Two pods of one Deployment can run different code, a node \
        replacement silently upgrades the service, and rolling back the manifest does not \
        bring the old code back.",
    how_to_fix: "Pin a version tag set by your release process, or a digest:\n\n\
        ```yaml\n# before\nimage: registry.example.com/web:latest\n# after\nimage: registry.example.com/web:1.4.2\n```",
    known_limits: "Images whose tag Kustomize `images:` or Skaffold sets at deploy time are \
        accepted, also when the manifest or a patch writes `latest`, since the tag is \
        replaced. An `images:` entry covers the files that its kustomization lists under \
        `resources`, `bases`, `components` and patches, a folder standing for every file \
        below it; remote resources are not followed. A Helm image built only from `.Values` paths, string literals, \
        `.Chart.AppVersion`, `default` and `quote`, directly or through an \
        `include` of a named template of the chart's `.tpl` files made of the same, is \
        rendered from `values.yaml` and `Chart.yaml`; other values files and `--set` at install time are not seen. Images \
        that need more of the template language, values that `values.yaml` does not give, \
        and environment variables are reported as questions. A tag such as `stable` that \
        is moved by hand is not detected.",
};

impl Rule for MutableImageTag {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, manifest) in workspace.kubernetes() {
            for object in &manifest.objects {
                let containers = object
                    .init_containers()
                    .into_iter()
                    .chain(object.containers());
                for (index, container) in containers.enumerate() {
                    let Some(image) = container.image else {
                        continue;
                    };
                    let location =
                        format!("{}/containers/{}", object.label(), container.label(index));
                    check_image(workspace, artifact, image, location, sink);
                }
            }
        }
        // Kustomize `images:` entries that retag an image to `latest`.
        for artifact in &workspace.artifacts {
            let Facts::Kustomization(kustomization) = &artifact.facts else {
                continue;
            };
            for (name, span) in &kustomization.latest_tags {
                sink.violation(
                    &META,
                    &artifact.file,
                    *span,
                    format!("images/{name}"),
                    format!("Kustomize sets image `{name}` to the mutable `latest` tag"),
                    "`latest` changes with every push",
                )
                .help = Some("set `newTag` to a version, or `digest` to the image's digest".into());
            }
        }
        for (artifact, compose) in workspace.compose() {
            for service in &compose.services {
                if service.builds_image() {
                    continue;
                }
                if let Some(image) = service.image() {
                    let location = format!("services/{}", service.name);
                    check_image(workspace, artifact, image, location, sink);
                }
            }
        }
    }
}

fn check_image(
    workspace: &Workspace,
    artifact: &Artifact,
    node: &Node,
    location: String,
    sink: &mut Sink,
) {
    let file = &artifact.file;
    if let Some(rendered) = workspace.render_helm(artifact, node) {
        check_rendered(file, node, &rendered, location, sink);
        return;
    }
    if node.is_templated() {
        sink.unclear(
            &META,
            file,
            node.span,
            location.clone(),
            format!("Which image tag does `{location}` run in production: a fixed version, a digest or `latest`?"),
            "the image is rendered from template values",
        );
        return;
    }
    let Some(reference) = node.as_str() else {
        return;
    };
    let name = reference.split('@').next().unwrap_or(reference);
    // The repository without the tag; a colon before the last `/` belongs to
    // a registry port.
    let name = match name.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => repository,
        _ => name,
    };
    match image::pin(reference) {
        ImagePin::Digest | ImagePin::Tag(_) => sink.holds(&META, file, location),
        ImagePin::Variable => ask_variable_tag(file, node, location, reference, sink),
        // Kustomize applies `images:` after patches and Skaffold tags at
        // deploy time, so what the manifest writes is replaced either way.
        ImagePin::Untagged | ImagePin::Latest if workspace.retagged(name, &file.path).is_some() => {
            sink.holds(&META, file, location);
        }
        ImagePin::Untagged => {
            sink.violation(
                &META,
                file,
                node.span,
                location,
                format!(
                    "image `{reference}` has no tag, so it runs whatever `latest` is when pulled"
                ),
                "no tag or digest",
            )
            .help = Some("pin a version tag or a digest (`name@sha256:...`)".into());
        }
        ImagePin::Latest => {
            sink.violation(
                &META,
                file,
                node.span,
                location,
                format!("image `{reference}` uses the mutable `latest` tag"),
                "`latest` changes with every push",
            )
            .help = Some("pin a version tag or a digest (`name@sha256:...`)".into());
        }
    }
}

/// Checks an image that a Helm template builds from the chart defaults. An
/// install can override any value, so the finding names the defaults it read.
fn check_rendered(
    file: &SourceFile,
    node: &Node,
    rendered: &Rendered,
    location: String,
    sink: &mut Sink,
) {
    let reference = rendered.text.trim();
    let sources = rendered.describe_sources();
    let last_part = reference.rsplit('/').next().unwrap_or(reference);
    // `repo:` with an empty tag, or an empty repository, is not a valid
    // reference; the install must set the value, so ask instead.
    if reference.is_empty() || reference.starts_with(':') || last_part.ends_with(':') {
        sink.unclear(
            &META,
            file,
            node.span,
            location.clone(),
            format!("Which image tag does the install set for `{location}`, whose chart defaults render the incomplete `{reference}`?"),
            format!("the image is rendered from {sources}"),
        );
        return;
    }
    let help =
        "pin a version tag in `values.yaml` (or let it default to `appVersion`) or use a digest";
    match image::pin(reference) {
        ImagePin::Digest | ImagePin::Tag(_) => sink.holds(&META, file, location),
        ImagePin::Variable => ask_variable_tag(file, node, location, reference, sink),
        ImagePin::Untagged => {
            sink.violation(
                &META,
                file,
                node.span,
                location,
                format!("image `{reference}` has no tag, rendered from {sources}"),
                "renders without a tag or digest",
            )
            .help = Some(help.into());
        }
        ImagePin::Latest => {
            sink.violation(
                &META,
                file,
                node.span,
                location,
                format!(
                    "image `{reference}` uses the mutable `latest` tag, rendered from {sources}"
                ),
                "renders to `latest` from the chart defaults",
            )
            .help = Some(help.into());
        }
    }
}

fn ask_variable_tag(
    file: &SourceFile,
    node: &Node,
    location: String,
    reference: &str,
    sink: &mut Sink,
) {
    sink.unclear(
        &META,
        file,
        node.span,
        location.clone(),
        format!("Which image tag does `{location}` run in production: a fixed version, a digest or `latest`?"),
        format!("the image `{reference}` is built from environment variables"),
    );
}
