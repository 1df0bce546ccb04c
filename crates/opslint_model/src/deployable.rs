//! The container services of a repository as a reviewer counts them: the
//! long-running workloads of Kubernetes manifests, Helm charts and compose
//! files, joined with the Rust and Python services whose code they run.
//! Datastores and helpers that only a local-development compose file starts
//! are development dependencies, and one-shot jobs such as migrations are
//! neither.

use std::collections::{BTreeMap, BTreeSet};

use opslint_syntax::value::Node;

use crate::Workspace;
use crate::compose::{ComposeFile, is_development_compose, is_production_compose};
use crate::image::datastore_of;
use crate::service::Service;
use crate::service_link::{ServiceLinks, build_contexts, comparable_name, image_base_name};

/// The services and development dependencies that [`container_services`]
/// finds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Deployables {
    /// Workload names, and the names of code services that no workload
    /// runs, sorted. Names that differ only in case or in `-` and `_`
    /// (`ingest-api`, `ingest_api`) are listed once.
    pub services: Vec<String>,
    /// Images that local-development compose files start beside the code,
    /// such as a PostgreSQL or Kafka container, by compose service name,
    /// sorted.
    pub development_dependencies: Vec<String>,
}

/// Finds the container workloads and code services of `workspace`.
/// `deployed_elsewhere` is true when Terraform or CloudFormation deploys
/// services of the repository, so a compose file without a production sign
/// is a local setup, as it is when Kubernetes workloads exist.
pub fn container_services(workspace: &Workspace, deployed_elsewhere: bool) -> Deployables {
    let code = workspace.services();
    let links = ServiceLinks::new(&code, build_contexts(workspace));
    let mut found = Found::default();
    kubernetes_workloads(workspace, &links, &mut found);
    let has_workloads = !found.services.is_empty();
    for files in workspace.compose_folders().values() {
        compose_services(
            files,
            &links,
            deployed_elsewhere || has_workloads,
            &mut found,
        );
    }
    for service in &code {
        let name = service.name();
        if !found.run_code.contains(service.root.as_str()) && !name.is_empty() {
            found.services.push(name);
        }
    }
    let services = unique_names(found.services);
    let listed: BTreeSet<String> = services.iter().map(|name| comparable_name(name)).collect();
    let development_dependencies = unique_names(found.development_dependencies)
        .into_iter()
        .filter(|name| !listed.contains(&comparable_name(name)))
        .collect();
    Deployables {
        services,
        development_dependencies,
    }
}

/// Names and links collected from the deploy files.
#[derive(Default)]
struct Found {
    services: Vec<String>,
    development_dependencies: Vec<String>,
    /// Roots of the code services that a workload runs, which the
    /// workload's name stands for.
    run_code: BTreeSet<String>,
    /// [`comparable_name`]s of the images that Kubernetes workloads run.
    workload_images: BTreeSet<String>,
}

/// Adds the long-running Kubernetes and Helm workloads, and the code
/// services their images run.
fn kubernetes_workloads(workspace: &Workspace, links: &ServiceLinks, found: &mut Found) {
    for (artifact, manifest) in workspace.kubernetes() {
        for object in &manifest.objects {
            if !object.is_long_running() || object.is_patch {
                continue;
            }
            if let Some(name) = &object.name {
                // A name that is still template text after rendering from
                // the chart's defaults, such as `{{ include
                // "payments.fullname" . }}`, is shown as its chart.
                let chart = crate::helm::chart_dir(&artifact.file.path)
                    .filter(|_| name.contains("{{"))
                    .and_then(|dir| workspace.charts.get(dir))
                    .and_then(|chart| chart.name.as_deref());
                found.services.push(chart.unwrap_or(name).to_string());
            }
            for container in object.containers() {
                let Some(node) = container.image else {
                    continue;
                };
                let Some(image) = workspace.image_text(artifact, node) else {
                    continue;
                };
                found
                    .workload_images
                    .insert(comparable_name(image_base_name(&image)));
                if let Some((service, _)) = links.for_image(&image) {
                    found.run_code.insert(service.root.clone());
                }
            }
        }
    }
}

/// Adds the services of the compose files of one folder. In a local
/// setup only images that no code of the repository builds count, and as
/// development dependencies. Elsewhere a datastore image is one too, unless
/// the file is meant for production, and a service that runs the image of a
/// Kubernetes workload is that workload.
fn compose_services(
    files: &[(&crate::Artifact, &ComposeFile)],
    links: &ServiceLinks,
    local_unless_production: bool,
    found: &mut Found,
) {
    let one_shot: BTreeSet<&str> = files
        .iter()
        .flat_map(|(_, compose)| compose.one_shot_services())
        .collect();
    // An entry of a file merged over another (`compose.prod.yaml`) may only
    // change `restart:` or `environment:` of a service whose image another
    // file of the folder names.
    let mut folder_images: BTreeMap<&str, &str> = BTreeMap::new();
    for (_, compose) in files {
        for service in &compose.services {
            if let Some(image) = service.image().and_then(Node::as_str) {
                folder_images.entry(service.name.as_str()).or_insert(image);
            }
        }
    }
    for (artifact, compose) in files {
        let path = artifact.file.path.as_str();
        let production = is_production_compose(path, compose);
        let development = !production && (is_development_compose(path) || local_unless_production);
        for service in &compose.services {
            if one_shot.contains(service.name.as_str()) || service.is_one_shot() {
                continue;
            }
            let image = service
                .image()
                .and_then(Node::as_str)
                .or_else(|| folder_images.get(service.name.as_str()).copied());
            let code = built_code(service, path, links).or_else(|| {
                image
                    .and_then(|image| links.for_image(image))
                    .map(|(s, _)| s)
            });
            if development {
                if code.is_none() && !service.builds_image() && image.is_some() {
                    found.development_dependencies.push(service.name.clone());
                }
                continue;
            }
            if !production && image.is_some_and(|image| datastore_of(image).is_some()) {
                found.development_dependencies.push(service.name.clone());
                continue;
            }
            if let Some(code) = code {
                found.run_code.insert(code.root.clone());
            }
            let runs_workload_image = image.is_some_and(|image| {
                found
                    .workload_images
                    .contains(&comparable_name(image_base_name(image)))
            });
            if !runs_workload_image {
                found.services.push(service.name.clone());
            }
        }
    }
}

/// Finds the code service that a compose service's `build:` packages: the
/// service rooted at the Dockerfile's folder, else the one the build
/// context holds.
fn built_code<'s, 'a>(
    service: &crate::compose::Service,
    compose_path: &str,
    links: &ServiceLinks<'s, 'a>,
) -> Option<&'s Service<'a>> {
    let dockerfile = service.dockerfile_path(compose_path)?;
    let dockerfile_folder = dockerfile.rsplit_once('/').map_or("", |(dir, _)| dir);
    links.exact(dockerfile_folder).or_else(|| {
        let build = service.node.get("build")?;
        let context = build
            .as_str()
            .or_else(|| build.get("context").and_then(Node::as_str))
            .unwrap_or(".");
        links.for_build_folder(&crate::kubernetes::join_path(compose_path, context))
    })
}

/// Sorts names and keeps the first of those that [`comparable_name`] makes
/// equal.
fn unique_names(names: Vec<String>) -> Vec<String> {
    let mut by_comparable: BTreeMap<String, String> = BTreeMap::new();
    let mut sorted = names;
    sorted.sort();
    for name in sorted {
        by_comparable.entry(comparable_name(&name)).or_insert(name);
    }
    let mut unique: Vec<String> = by_comparable.into_values().collect();
    unique.sort();
    unique
}

#[cfg(test)]
mod tests {
    use super::unique_names;

    #[test]
    fn names_differing_in_separator_are_one() {
        let names = ["ingest_api", "redis", "ingest-api", "Redis", "web"].map(String::from);
        assert_eq!(
            unique_names(names.to_vec()),
            vec!["Redis".to_string(), "ingest-api".into(), "web".into()]
        );
    }
}
