//! Links container images to the service code they are built from: by the
//! build context that Skaffold or docker-compose names for the image, and
//! else by a service folder named like the image.

use opslint_syntax::value::Node;

use crate::kubernetes::join_path;
use crate::service::Service;
use crate::{Facts, Workspace};

/// Returns the image name without registry, tag or digest: `emailservice` for
/// `gcr.io/shop/emailservice:v1`.
pub fn image_base_name(reference: &str) -> &str {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

/// Returns the image name without tag or digest, registry kept.
pub fn image_repository(reference: &str) -> &str {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    match without_digest.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => repository,
        _ => without_digest,
    }
}

/// The evidence that links an image to a service, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkReason {
    /// The build context of a Skaffold artifact or compose service.
    BuildContext(String),
    /// A service folder named like the image.
    FolderName,
}

/// Build contexts that deploy tooling declares for images, as
/// `(image repository, context folder)`.
pub fn build_contexts(workspace: &Workspace) -> Vec<(String, String)> {
    let mut contexts = Vec::new();
    for artifact in &workspace.artifacts {
        match &artifact.facts {
            Facts::Kubernetes(manifest) => {
                for object in &manifest.objects {
                    let is_skaffold = object
                        .api_version
                        .as_deref()
                        .is_some_and(|v| v.starts_with("skaffold/"));
                    if !is_skaffold {
                        continue;
                    }
                    let artifacts = object
                        .root
                        .at(&["build", "artifacts"])
                        .and_then(Node::as_seq)
                        .unwrap_or_default();
                    for build in artifacts {
                        let Some(image) = build.get("image").and_then(Node::as_str) else {
                            continue;
                        };
                        let context = build.get("context").and_then(Node::as_str).unwrap_or(".");
                        contexts.push((
                            image_repository(image).to_string(),
                            join_path(&artifact.file.path, context),
                        ));
                    }
                }
            }
            Facts::Compose(compose) => {
                for service in &compose.services {
                    let Some(image) = service.image().and_then(Node::as_str) else {
                        continue;
                    };
                    let context = match service.node.get("build") {
                        Some(build) => build
                            .as_str()
                            .or_else(|| build.get("context").and_then(Node::as_str)),
                        None => None,
                    };
                    if let Some(context) = context {
                        contexts.push((
                            image_repository(image).to_string(),
                            join_path(&artifact.file.path, context),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    contexts
}

/// Finds the service that `image` runs, if the repository shows it.
pub fn service_for_image<'s, 'a>(
    image: &str,
    services: &'s [Service<'a>],
    contexts: &[(String, String)],
) -> Option<(&'s Service<'a>, LinkReason)> {
    let repository = image_repository(image);
    let base = image_base_name(image);
    for (context_image, folder) in contexts {
        let same_image = context_image == repository || image_base_name(context_image) == base;
        if !same_image {
            continue;
        }
        let linked = services
            .iter()
            .find(|service| service.root == *folder)
            .or_else(|| {
                services
                    .iter()
                    .find(|service| service.root.starts_with(&format!("{folder}/")))
            });
        if let Some(service) = linked {
            return Some((service, LinkReason::BuildContext(folder.clone())));
        }
    }
    services
        .iter()
        .find(|service| service.root.rsplit('/').next() == Some(base) && !base.is_empty())
        .map(|service| (service, LinkReason::FolderName))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_without_registry_and_tag() {
        assert_eq!(
            image_base_name("gcr.io/shop/emailservice:v1"),
            "emailservice"
        );
        assert_eq!(image_base_name("localhost:5000/api@sha256:abc"), "api");
        assert_eq!(
            image_repository("localhost:5000/api:1.2"),
            "localhost:5000/api"
        );
        assert_eq!(image_repository("localhost:5000/api"), "localhost:5000/api");
    }
}
