use std::collections::BTreeSet;

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, Span};
use opslint_model::compose::{
    ComposeFile, ComposeHealthcheck, ComposeRole, Service, compose_role, compose_stacks,
};
use opslint_model::dockerfile::ImageHealthcheck;
use opslint_model::{Artifact, Facts, Workspace};

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
        one-shot job and is not checked. The compose files of a folder are judged as the \
        stacks Compose runs: the main file (`compose.yaml`, `docker-compose.yml`) with its \
        override files, which `docker compose up` merges, and the main file with each \
        other file, as `-f docker-compose.yml -f docker-compose.prod.yml` runs it. An \
        other file that redefines a service of the main file is a layer over it; one that \
        shares no service with it is judged on its own services. A later file's \
        `healthcheck:` and `build:` replace the earlier one's. A service that no \
        stack gives a health check is reported once, in the main file. One that only some \
        stacks lack is reported in the file that defines it there, so a check in the \
        development override does not cover production.",
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
        one folder at a time: an override file in another folder is not joined. Files \
        joined in another order, or three at a time, are not modelled. A run on named \
        files (a pre-commit hook) leaves out a service whose Dockerfile it did not read, \
        since that file's `HEALTHCHECK` would settle it; the run over the folder reports it.",
};

impl Rule for ComposeServiceMissingHealthcheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for files in workspace.compose_folders().values() {
            check_folder(workspace, files, sink);
        }
    }
}

/// The verdict of one stack on one service.
enum Verdict {
    Holds,
    /// No health check, or one turned off, at `span` of the file at
    /// `file` (a position in the folder's files).
    Missing {
        file: usize,
        span: Span,
        disabled: bool,
    },
    /// A question at the service's name in `file`.
    Unclear {
        file: usize,
        question: String,
        reason: &'static str,
    },
    /// A one-shot job, or an override entry of a service that the stack
    /// does not define, which needs no result.
    Skip,
}

/// Judges the services of one folder's compose files, stack by stack (see
/// `compose_stacks`). A service is reported once in the main file when no
/// stack gives it a health check, and otherwise in the file that defines it
/// in each stack that lacks one.
fn check_folder(workspace: &Workspace, files: &[(&Artifact, &ComposeFile)], sink: &mut Sink) {
    let paths: Vec<&str> = files.iter().map(|(a, _)| a.file.path.as_str()).collect();
    let stacks = compose_stacks(&paths);
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (_, compose) in files {
        names.extend(compose.services.iter().map(|service| service.name.as_str()));
    }
    for name in names {
        let verdicts: Vec<(Verdict, &Vec<usize>)> = stacks
            .iter()
            // Another file that redefines a service of the main file is a
            // layer over it, as `docker-compose.prod.yml` usually is, and
            // its stack judges every service. One that shares no service
            // with the main file may be a stack of its own, so its stack
            // judges only the services it names.
            .filter(|stack| {
                let layer = match stack.as_slice() {
                    [main, other]
                        if compose_role(paths[*other]) == ComposeRole::Other
                            && compose_role(paths[*main]) == ComposeRole::Main
                            && !shares_a_service(files[*main].1, files[*other].1) =>
                    {
                        &stack[1..]
                    }
                    _ => stack.as_slice(),
                };
                layer
                    .iter()
                    .any(|&i| service_in(files[i].1, name).is_some())
            })
            .map(|stack| (judge(workspace, files, stack, name), stack))
            .collect();
        // The other file of a stack that is the main file and that file,
        // named in a finding that only that stack has.
        let layer_of = |stack: &Vec<usize>| match stack.as_slice() {
            [_, other] if compose_role(paths[*other]) == ComposeRole::Other => Some(*other),
            _ => None,
        };
        let location = format!("services/{name}");
        let main = files.iter().position(|(artifact, compose)| {
            compose_role(&artifact.file.path) == ComposeRole::Main
                && service_in(compose, name).is_some()
        });
        let missing: Vec<(&Verdict, &Vec<usize>)> = verdicts
            .iter()
            .filter(|(v, _)| matches!(v, Verdict::Missing { .. }))
            .map(|(v, stack)| (v, *stack))
            .collect();
        let judged = verdicts
            .iter()
            .filter(|(v, _)| !matches!(v, Verdict::Skip))
            .count();
        // When every stack lacks a check and the main file defines the
        // service, one finding goes there: a check in the main file covers
        // every stack.
        let reported: Vec<(usize, Span, bool, Option<usize>)> = match main {
            Some(main) if !missing.is_empty() && missing.len() == judged => {
                let disabled = missing.iter().find_map(|(v, _)| match v {
                    Verdict::Missing {
                        file,
                        span,
                        disabled: true,
                    } => Some((*file, *span, true, None)),
                    _ => None,
                });
                let span = service_in(files[main].1, name).map_or(Span::new(0, 0), |s| s.name_span);
                vec![disabled.unwrap_or((main, span, false, None))]
            }
            _ => missing
                .iter()
                .filter_map(|(v, stack)| match v {
                    Verdict::Missing {
                        file,
                        span,
                        disabled,
                    } => Some((*file, *span, *disabled, layer_of(stack))),
                    _ => None,
                })
                .collect(),
        };
        let mut seen: BTreeSet<usize> = BTreeSet::new();
        for (verdict, _) in &verdicts {
            match verdict {
                Verdict::Holds => {
                    for (artifact, compose) in files {
                        if service_in(compose, name).is_some() {
                            sink.holds(&META, &artifact.file, location.clone());
                        }
                    }
                }
                Verdict::Unclear {
                    file,
                    question,
                    reason,
                } if seen.insert(*file) => {
                    let (artifact, compose) = files[*file];
                    let span = service_in(compose, name).map_or(Span::new(0, 0), |s| s.name_span);
                    sink.unclear(
                        &META,
                        &artifact.file,
                        span,
                        location.clone(),
                        question.clone(),
                        *reason,
                    );
                }
                _ => {}
            }
        }
        for (file, span, disabled, layer) in reported {
            if !seen.insert(file) {
                continue;
            }
            // Named when another stack gives the service a check, so the
            // reader knows which deployment lacks it.
            let with = layer
                .filter(|layer| *layer != file)
                .map_or(String::new(), |layer| {
                    format!(" when run with `{}`", files[layer].0.file.path)
                });
            let (message, label) = if disabled {
                (
                    format!("service `{name}` disables its health check{with}"),
                    "health check disabled here",
                )
            } else {
                (
                    format!("service `{name}` has no health check{with}"),
                    "no `healthcheck:` in this service",
                )
            };
            sink.violation(
                &META,
                &files[file].0.file,
                span,
                location.clone(),
                message,
                label,
            )
            .help = Some(
                "add a `healthcheck:` with a `test` that passes only when the service can \
                 serve, so `depends_on: condition: service_healthy` can wait for it"
                    .into(),
            );
        }
    }
}

/// Checks whether two compose files define a service of the same name.
fn shares_a_service(main: &ComposeFile, other: &ComposeFile) -> bool {
    other
        .services
        .iter()
        .any(|service| service_in(main, &service.name).is_some())
}

fn service_in<'a>(compose: &'a ComposeFile, name: &str) -> Option<&'a Service> {
    compose.services.iter().find(|service| service.name == name)
}

/// Judges service `name` in the stack of files at positions `stack`,
/// merged in order: a later file's `healthcheck:` and `build:` replace an
/// earlier one's.
fn judge(
    workspace: &Workspace,
    files: &[(&Artifact, &ComposeFile)],
    stack: &[usize],
    name: &str,
) -> Verdict {
    let mut state = ComposeHealthcheck::Absent;
    let mut dockerfile = None;
    let mut defining = None;
    let mut extends = None;
    for &index in stack {
        let (artifact, compose) = files[index];
        let Some(service) = service_in(compose, name) else {
            continue;
        };
        if compose.one_shot_services().contains(&name) {
            return Verdict::Skip;
        }
        if service.image().is_some() || service.builds_image() {
            defining = Some(index);
        }
        if let Some(path) = service.dockerfile_path(&artifact.file.path) {
            dockerfile = Some(path);
        }
        match service.healthcheck() {
            ComposeHealthcheck::Absent => {}
            other => state = other,
        }
        if service.node.get("extends").is_some() {
            extends = Some(index);
        }
    }
    // An entry that names neither image nor build only changes a service
    // that another stack defines.
    let Some(file) = defining else {
        return Verdict::Skip;
    };
    let name_span =
        |index: usize| service_in(files[index].1, name).map_or(Span::new(0, 0), |s| s.name_span);
    match state {
        ComposeHealthcheck::Declared(_) => return Verdict::Holds,
        ComposeHealthcheck::Disabled(span) => {
            let file = stack
                .iter()
                .rev()
                .copied()
                .find(|&i| {
                    service_in(files[i].1, name)
                        .is_some_and(|s| matches!(s.healthcheck(), ComposeHealthcheck::Disabled(_)))
                })
                .unwrap_or(file);
            return Verdict::Missing {
                file,
                span,
                disabled: true,
            };
        }
        ComposeHealthcheck::Absent => {}
    }
    if let Some(path) = &dockerfile {
        // A run on named files may not have read the Dockerfile, whose
        // `HEALTHCHECK` would settle it; the run over the folder judges.
        if !workspace.folders_walked && workspace.artifact(path).is_none() {
            return Verdict::Skip;
        }
        match dockerfile_healthcheck(workspace, path) {
            Some(ImageHealthcheck::Declared(_)) => return Verdict::Holds,
            None if workspace.artifact(path).is_some() => {
                return Verdict::Unclear {
                    file,
                    question: format!(
                        "Does the image that service `{name}` builds from `{path}` declare a \
                         `HEALTHCHECK`?"
                    ),
                    reason: "the Dockerfile has a syntax error",
                };
            }
            _ => {}
        }
    }
    if let Some(index) = extends {
        let service = service_in(files[index].1, name);
        // `extends` of a service in the same file can be followed.
        match extended_healthcheck(files[index].1, service.and_then(|s| s.node.get("extends"))) {
            Some(ComposeHealthcheck::Declared(_)) => return Verdict::Holds,
            Some(_) => {}
            None => {
                return Verdict::Unclear {
                    file: index,
                    question: format!(
                        "Does the service that `{name}` extends define a health check?"
                    ),
                    reason: "the service extends one in another file",
                };
            }
        }
    }
    Verdict::Missing {
        file,
        span: name_span(file),
        disabled: false,
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
