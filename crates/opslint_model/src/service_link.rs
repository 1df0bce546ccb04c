//! Links container images to the service code they are built from: by the
//! build context that Skaffold or docker-compose names for the image, and
//! else by a service folder named like the image.

use std::collections::HashMap;

use opslint_syntax::value::Node;

use crate::kubernetes::join_path;
use crate::service::Service;
use crate::{Facts, Workspace};

/// Returns a folder or image name in the form image names usually take: in
/// lower case, with `-` for `_`. A Python service in `fulfilment_api` is
/// usually published as the image `fulfilment-api`.
pub fn comparable_name(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

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
    /// A service whose Cargo or Python package is named like the image.
    PackageName,
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

/// Services and the build contexts of their images, indexed so that linking
/// an image or a folder to a service is a lookup rather than a scan of every
/// service: a repository with thousands of services and probes would
/// otherwise compare each probe with each service.
pub struct ServiceLinks<'s, 'a> {
    services: &'s [Service<'a>],
    contexts: Vec<(String, String)>,
    /// `(root, position)` of every service, sorted.
    roots: Vec<(&'s str, usize)>,
    /// The first service whose root's last folder has each name, also as
    /// [`comparable_name`] gives it.
    by_folder_name: HashMap<String, usize>,
    /// The first service whose package has each name.
    by_package_name: HashMap<&'s str, usize>,
    /// Positions of the contexts whose image has each repository or base
    /// name, in context order.
    contexts_by_image: HashMap<String, Vec<usize>>,
}

impl<'s, 'a> ServiceLinks<'s, 'a> {
    pub fn new(services: &'s [Service<'a>], contexts: Vec<(String, String)>) -> Self {
        let mut roots: Vec<(&'s str, usize)> = services
            .iter()
            .enumerate()
            .map(|(position, service)| (service.root.as_str(), position))
            .collect();
        roots.sort_unstable();
        let mut by_folder_name = HashMap::new();
        for (position, service) in services.iter().enumerate() {
            if !service.folder_name.is_empty() {
                by_folder_name
                    .entry(service.folder_name.clone())
                    .or_insert(position);
                by_folder_name
                    .entry(comparable_name(&service.folder_name))
                    .or_insert(position);
            }
        }
        let mut by_package_name = HashMap::new();
        for (position, service) in services.iter().enumerate() {
            for (_, manifest) in &service.manifests {
                if let Some(name) = &manifest.package {
                    by_package_name.entry(name.as_str()).or_insert(position);
                }
            }
        }
        let mut contexts_by_image: HashMap<String, Vec<usize>> = HashMap::new();
        for (position, (image, _)) in contexts.iter().enumerate() {
            let base = image_base_name(image);
            contexts_by_image
                .entry(image.clone())
                .or_default()
                .push(position);
            if base != image {
                contexts_by_image
                    .entry(base.to_string())
                    .or_default()
                    .push(position);
            }
        }
        Self {
            services,
            contexts,
            roots,
            by_folder_name,
            by_package_name,
            contexts_by_image,
        }
    }

    /// Returns the first service whose root is `folder`.
    pub fn exact(&self, folder: &str) -> Option<&'s Service<'a>> {
        let first = self.roots.partition_point(|(root, _)| *root < folder);
        self.roots[first..]
            .iter()
            .take_while(|(root, _)| *root == folder)
            .map(|(_, position)| *position)
            .min()
            .map(|position| &self.services[position])
    }

    /// Finds the service that an image built from `folder` runs: the
    /// service rooted there, else the only service inside it.
    pub fn for_build_folder(&self, folder: &str) -> Option<&'s Service<'a>> {
        self.exact(folder)
            .or_else(|| match self.inside(folder).as_slice() {
                [only] => Some(*only),
                _ => None,
            })
    }

    /// Returns the services inside `folder` (every service for the empty folder),
    /// in service order.
    pub fn inside(&self, folder: &str) -> Vec<&'s Service<'a>> {
        if folder.is_empty() {
            return self.services.iter().collect();
        }
        let mut positions: Vec<usize> = self.positions_below(folder).collect();
        positions.sort_unstable();
        positions
            .into_iter()
            .map(|position| &self.services[position])
            .collect()
    }

    /// Returns the first service, in service order, whose root starts with
    /// `folder/`.
    fn first_below(&self, folder: &str) -> Option<&'s Service<'a>> {
        self.positions_below(folder)
            .min()
            .map(|position| &self.services[position])
    }

    /// Positions of the services whose root starts with `folder/`.
    fn positions_below(&self, folder: &str) -> impl Iterator<Item = usize> + '_ {
        let prefix = format!("{folder}/");
        let first = self
            .roots
            .partition_point(|(root, _)| *root < prefix.as_str());
        self.roots[first..]
            .iter()
            .take_while(move |(root, _)| root.starts_with(&prefix))
            .map(|(_, position)| *position)
    }

    /// Checks whether a build context names an image with the base name of `image`.
    pub fn has_context_for(&self, image: &str) -> bool {
        let base = image_base_name(image);
        self.contexts_by_image.get(base).is_some_and(|positions| {
            positions
                .iter()
                .any(|position| image_base_name(&self.contexts[*position].0) == base)
        })
    }

    /// Finds the service that `image` runs, if the repository shows it: the
    /// first build context for the image whose folder is or contains a service,
    /// else a service folder named like the image.
    pub fn for_image(&self, image: &str) -> Option<(&'s Service<'a>, LinkReason)> {
        let repository = image_repository(image);
        let base = image_base_name(image);
        let mut candidates: Vec<usize> = [repository, base]
            .iter()
            .filter_map(|name| self.contexts_by_image.get(*name))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        for position in candidates {
            let (context_image, folder) = &self.contexts[position];
            let same_image = context_image == repository || image_base_name(context_image) == base;
            if !same_image {
                continue;
            }
            let linked = self.exact(folder).or_else(|| self.first_below(folder));
            if let Some(service) = linked {
                return Some((service, LinkReason::BuildContext(folder.clone())));
            }
        }
        if base.is_empty() {
            return None;
        }
        self.by_folder_name
            .get(base)
            .or_else(|| self.by_folder_name.get(&comparable_name(base)))
            .map(|position| (&self.services[*position], LinkReason::FolderName))
            .or_else(|| {
                self.by_package_name
                    .get(base)
                    .map(|position| (&self.services[*position], LinkReason::PackageName))
            })
    }
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
