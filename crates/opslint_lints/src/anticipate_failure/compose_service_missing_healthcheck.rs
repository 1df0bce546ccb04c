use std::collections::BTreeSet;

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::compose::{ComposeFile, ComposeHealthcheck};
use opslint_model::dockerfile::ImageHealthcheck;
use opslint_model::{Facts, Workspace};

use opslint_syntax::value::Node;

use crate::Rule;

pub struct ComposeServiceMissingHealthcheck;

pub static META: RuleMeta = RuleMeta {
    id: "compose-service-missing-healthcheck",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS04-BP02", "OPS08-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::DockerCompose, ArtifactKind::Dockerfile],
    summary: "docker-compose service without a health check",
    what_it_checks: "Services of docker-compose files that have no `healthcheck:` or disable \
        it, unless the Dockerfile the service builds declares a `HEALTHCHECK`. A service that \
        another service waits for with `condition: service_completed_successfully` is a \
        one-shot job and is not checked. A service that another compose file in the same \
        folder defines with a health check (an override file) is covered, and a service \
        that both the main file and an override define is reported once, in the main file.",
    why_it_matters: "Without a health check Docker only knows whether the process runs. \
        `depends_on` with `condition: service_healthy` cannot wait for the service, `docker \
        compose up --wait` returns before it can serve, and a hung process is never marked \
        unhealthy, so nothing restarts or replaces it.",
    how_to_fix: "Add a check that passes only when the service can serve:\n\n\
        ```yaml\nservices:\n  db:\n    image: postgres:16\n    healthcheck:\n\
        \x20     test: [\"CMD-SHELL\", \"pg_isready -U postgres\"]\n      interval: 10s\n\
        \x20     timeout: 5s\n      retries: 5\n```",
    known_limits: "A `HEALTHCHECK` inside an image pulled from a registry is not seen, so \
        such a service is reported although its image may check itself. A service that \
        extends a service of another file is reported as a question; one that extends a \
        service of the same file gets that service's health check. Compose files are read \
        one folder at a time: an override file in another folder is not joined.",
};

impl Rule for ComposeServiceMissingHealthcheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        // Services that some compose file of a folder gives a health check,
        // and services that a main (not override) file defines.
        let mut covered: BTreeSet<(String, String)> = BTreeSet::new();
        let mut defined_in_main: BTreeSet<(String, String)> = BTreeSet::new();
        for (artifact, compose) in workspace.compose() {
            let folder = folder_of(&artifact.file.path);
            for service in &compose.services {
                if !is_override(&artifact.file.path) {
                    defined_in_main.insert((folder.to_string(), service.name.clone()));
                }
                if matches!(service.healthcheck(), ComposeHealthcheck::Declared(_)) {
                    covered.insert((folder.to_string(), service.name.clone()));
                }
            }
        }

        for (artifact, compose) in workspace.compose() {
            let file = &artifact.file;
            let folder = folder_of(&file.path);
            let one_shot = compose.one_shot_services();
            for service in &compose.services {
                let location = format!("services/{}", service.name);
                if one_shot.contains(&service.name.as_str()) {
                    continue;
                }
                let state = service.healthcheck();
                if let ComposeHealthcheck::Declared(_) = state {
                    sink.holds(&META, file, location);
                    continue;
                }
                let defines_image =
                    service.node.get("image").is_some() || service.node.get("build").is_some();
                if state == ComposeHealthcheck::Absent {
                    if covered.contains(&(folder.to_string(), service.name.clone())) {
                        sink.holds(&META, file, location);
                        continue;
                    }
                    // An override that names neither image nor build only
                    // changes a service defined elsewhere, and a service that
                    // the main file also defines is reported there, once.
                    let key = (folder.to_string(), service.name.clone());
                    if !defines_image || (is_override(&file.path) && defined_in_main.contains(&key))
                    {
                        continue;
                    }
                }
                if let Some(dockerfile) = service.dockerfile_path(&file.path) {
                    match dockerfile_healthcheck(workspace, &dockerfile) {
                        Some(ImageHealthcheck::Declared(_))
                            if state == ComposeHealthcheck::Absent =>
                        {
                            sink.holds(&META, file, location);
                            continue;
                        }
                        None if state == ComposeHealthcheck::Absent
                            && workspace.artifact(&dockerfile).is_some() =>
                        {
                            sink.unclear(
                                &META,
                                file,
                                service.name_span,
                                location,
                                format!(
                                    "Does the image that service `{}` builds from `{dockerfile}` \
                                     declare a `HEALTHCHECK`?",
                                    service.name
                                ),
                                "the Dockerfile has a syntax error",
                            );
                            continue;
                        }
                        _ => {}
                    }
                }
                let extends = service.node.get("extends");
                if state == ComposeHealthcheck::Absent && extends.is_some() {
                    // `extends` of a service in the same file can be followed.
                    match extended_healthcheck(compose, extends) {
                        Some(ComposeHealthcheck::Declared(_)) => {
                            sink.holds(&META, file, location);
                            continue;
                        }
                        Some(_) => {}
                        None => {
                            sink.unclear(
                                &META,
                                file,
                                service.name_span,
                                location,
                                format!(
                                    "Does the service that `{}` extends define a health check?",
                                    service.name
                                ),
                                "the service extends one in another file",
                            );
                            continue;
                        }
                    }
                }
                let (message, label, span) = match state {
                    ComposeHealthcheck::Disabled(span) => (
                        format!("service `{}` disables its health check", service.name),
                        "health check disabled here",
                        span,
                    ),
                    _ => (
                        format!("service `{}` has no health check", service.name),
                        "no `healthcheck:` in this service",
                        service.name_span,
                    ),
                };
                sink.violation(&META, file, span, location, message, label)
                    .help = Some(
                    "add a `healthcheck:` with a `test` that passes only when the service can \
                     serve, so `depends_on: condition: service_healthy` can wait for it"
                        .into(),
                );
            }
        }
    }
}

/// Follows `extends:` to a service of the same file (`extends: base` or
/// `extends: {service: base}`) and returns its health check. `None` when the
/// extended service is in another file or not found.
fn extended_healthcheck(
    compose: &ComposeFile,
    extends: Option<&Node>,
) -> Option<ComposeHealthcheck> {
    let extends = extends?;
    let name = match extends.as_str() {
        Some(name) => name,
        None if extends.get("file").is_some() => return None,
        None => extends.get("service").and_then(Node::as_str)?,
    };
    let base = compose
        .services
        .iter()
        .find(|service| service.name == name)?;
    Some(base.healthcheck())
}

/// Checks whether a compose file is an override (`compose.override.yml`),
/// which Compose merges over the main file of the same folder.
fn is_override(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.to_ascii_lowercase().contains("override")
}

fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(folder, _)| folder)
}

/// Resolves the health check of the final stage of the Dockerfile at `path`, or
/// `None` when the file is missing from the run or did not parse.
fn dockerfile_healthcheck(workspace: &Workspace, path: &str) -> Option<ImageHealthcheck> {
    let Facts::Dockerfile(dockerfile) = &workspace.artifact(path)?.facts else {
        return None;
    };
    if !dockerfile.complete {
        return None;
    }
    Some(dockerfile.healthcheck(dockerfile.final_stage()?))
}
