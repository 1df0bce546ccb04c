use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_records::figures::mask_numbers;
use opslint_records::incidents::Incident;
use opslint_records::postmortem::{ItemState, Postmortem};

use super::postmortem_open_action_items::shorten;
use crate::Rule;
use crate::records::{
    contains_word, distinct_incidents, implementation, incidents, postmortem_services, postmortems,
};

pub struct IncidentLessonNotApplied;

pub static META: RuleMeta = RuleMeta {
    id: "incident-lesson-not-applied",
    principle: Some(Principle::LearnFromEvents),
    waf: &["OPS11-BP03", "OPS11-BP08", "OPS06-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Markdown],
    summary: "lesson of a post-incident analysis that is not in place",
    what_it_checks: "Post-incident analyses whose incident recurred later: an incident of \
        the same service with the same title, numbers masked, created after an incident \
        the analysis covers. And action items marked done in a post-incident analysis that name a \
        control (automatic rollback, a health check or probe, an alarm, a timeout) for the \
        analysed service, compared with the code and infrastructure files that name that \
        service. When those files exist and none shows the control, the item is reported. \
        When no file names the service, the rule asks where the control lives. A timeout \
        is usually set in the service's code, so when only manifests or templates name the \
        service and none sets one, the rule asks instead of reporting.",
    why_it_matters: "A lesson marked as learned but not in place is worse than an open \
        item: the team believes the risk is gone, and the next incident repeats the old one.",
    how_to_fix: "Add the control to the service's infrastructure (for example \
        `deployment_circuit_breaker { enable = true, rollback = true }`, a `readinessProbe`, \
        a CloudWatch alarm) or reopen the action item.",
    known_limits: "The service is found by its name in file text or in a folder of the \
        file's path (`src/payment/` for `payment`), and the control by its usual keywords; a \
        control under another name is not recognised. In a Kubernetes manifest only the \
        objects that name the service count, in any other file its whole text. A timeout in \
        a CI pipeline, such as a job's `timeout-minutes`, limits the job and does not count \
        as the service's timeout. When the item is about calls (HTTP, requests, a client, a \
        provider), only a timeout in code counts: a Lambda function's `Timeout` ends the \
        whole invocation, not the call.",
};

/// A control an action item can call for: words in the item and words that
/// show it in files (lower case).
struct Control {
    name: &'static str,
    item_words: &'static [&'static str],
    evidence: &'static [&'static str],
    /// Whether the control is usually set in the service's own code, so
    /// manifests and templates that only deploy the service cannot show
    /// that it is missing.
    in_code: bool,
    /// Whether a CI pipeline can show the control, as `helm upgrade
    /// --atomic` shows automatic rollback. A job's `timeout-minutes` limits
    /// the job, not the service, so pipelines do not count for a timeout.
    shown_in_ci: bool,
}

const CONTROLS: [Control; 4] = [
    Control {
        name: "automatic rollback",
        item_words: &["rollback", "roll back", "circuit breaker"],
        evidence: &[
            "rollback = true",
            "rollback: true",
            "\"rollback\": true",
            "auto_rollback_configuration",
            "autorollbackconfiguration",
            "--atomic",
            "argoproj.io",
        ],
        in_code: false,
        shown_in_ci: true,
    },
    Control {
        name: "a health check",
        item_words: &[
            "health check",
            "healthcheck",
            "readiness",
            "liveness",
            "/health",
        ],
        evidence: &[
            "readinessprobe",
            "livenessprobe",
            "healthcheck",
            "health_check",
            "startupprobe",
        ],
        in_code: false,
        shown_in_ci: true,
    },
    Control {
        name: "an alarm",
        item_words: &["alarm", "alert"],
        evidence: &[
            "aws_cloudwatch_metric_alarm",
            "aws::cloudwatch::alarm",
            "prometheusrule",
            "alert:",
        ],
        in_code: false,
        shown_in_ci: true,
    },
    Control {
        name: "a timeout",
        item_words: &["timeout", "time out", "time-out"],
        evidence: &["timeout"],
        in_code: true,
        shown_in_ci: false,
    },
];

impl Rule for IncidentLessonNotApplied {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        let all_incidents = incidents(workspace);
        let distinct: Vec<&Incident> = distinct_incidents(workspace)
            .into_iter()
            .map(|(_, incident)| incident)
            .collect();
        for (artifact, postmortem) in postmortems(workspace) {
            if let Some((covered, later)) = recurrence_after(postmortem, &distinct) {
                sink.violation(
                    &META,
                    &artifact.file,
                    postmortem.title_span,
                    format!("{}/recurred", postmortem.title),
                    format!(
                        "{} recurred after this analysis: {} repeats its title (\"{}\")",
                        covered.label(),
                        later.label(),
                        later.title
                    ),
                    "recurred",
                )
                .help = Some(
                    "check which action items of this analysis are really in place, and analyse the new occurrence"
                        .into(),
                );
            }
            let services = postmortem_services(postmortem, &all_incidents);
            if services.is_empty() {
                continue;
            }
            for item in postmortem
                .action_items
                .iter()
                .filter(|i| i.state == ItemState::Done)
            {
                let text = item.text.to_lowercase();
                let Some(control) = CONTROLS
                    .iter()
                    .find(|c| c.item_words.iter().any(|w| text.contains(w)))
                else {
                    continue;
                };
                // A timeout for calls the service makes lives in its code: a
                // Lambda function's or a job's `Timeout` limits the whole
                // run, not the calls.
                let calls_only =
                    control.in_code && CALL_WORDS.iter().any(|word| contains_word(&text, word));
                for service in &services {
                    let needle = service.to_lowercase();
                    let files: Vec<_> = implementation(workspace)
                        .filter(|a| {
                            in_service_folder(&a.file.path, &needle)
                                || contains_word(&a.file.text.to_lowercase(), &needle)
                        })
                        .collect();
                    let location = format!("{}/{}/{}", postmortem.title, service, control.name);
                    if files.is_empty() {
                        sink.unclear(
                            &META,
                            &artifact.file,
                            item.span,
                            location,
                            format!(
                                "Does `{service}` now have {} as the done action item \"{}\" says?",
                                control.name,
                                shorten(&item.text)
                            ),
                            format!("no code or infrastructure file of the run names `{service}`"),
                        );
                        continue;
                    }
                    let applied = files
                        .iter()
                        .filter(|a| control.shown_in_ci || !is_ci(a.kind))
                        .filter(|a| !calls_only || is_code(a.kind))
                        .filter(|a| !calls_only || !has_call_without_timeout(a))
                        .any(|a| {
                            parts_naming(a, &needle).iter().any(|part| {
                                let lower = without_comments(part, a.kind).to_lowercase();
                                control.evidence.iter().any(|e| lower.contains(e))
                            })
                        });
                    if applied {
                        sink.holds(&META, &artifact.file, location);
                        continue;
                    }
                    let names: Vec<String> = files
                        .iter()
                        .take(3)
                        .map(|a| format!("`{}`", a.file.path))
                        .collect();
                    let has_code = files.iter().any(|a| is_code(a.kind));
                    if control.in_code && !has_code {
                        sink.unclear(
                            &META,
                            &artifact.file,
                            item.span,
                            location,
                            format!(
                                "Does `{service}` now have {} as the done action item \"{}\" says?",
                                control.name,
                                shorten(&item.text)
                            ),
                            format!(
                                "only deployment files name `{service}` ({}) and none sets it; the service's code is not in the run",
                                names.join(", ")
                            ),
                        );
                        continue;
                    }
                    sink.violation(
                        &META,
                        &artifact.file,
                        item.span,
                        location,
                        format!(
                            "action item marked done calls for {} on `{service}`, but the files that name it ({}) show none",
                            control.name,
                            names.join(", ")
                        ),
                        "not applied",
                    )
                    .help = Some(format!("add {} to `{service}` or reopen the action item", control.name));
                }
            }
        }
    }
}

/// Words of an action item about the calls a service makes, whose timeout
/// belongs in the code.
const CALL_WORDS: [&str; 8] = [
    "http", "request", "requests", "call", "calls", "client", "upstream", "provider",
];

/// Returns whether a code file makes an HTTP call that has no timeout:
/// such a file does not show the timeout an action item calls for,
/// whatever else in it mentions timeouts.
fn has_call_without_timeout(artifact: &opslint_model::Artifact) -> bool {
    match &artifact.facts {
        opslint_model::Facts::Code(code) => code.http_clients.iter().any(|client| {
            matches!(
                client.timeout,
                opslint_model::service::Timeout::Missing
                    | opslint_model::service::Timeout::Disabled
            )
        }),
        _ => false,
    }
}

/// Returns `text` without the line comments of Python (`#`) and Rust
/// (`//`), so that "no timeout yet" in a comment is not read as a timeout.
/// Other kinds of file are returned whole.
fn without_comments(text: &str, kind: ArtifactKind) -> std::borrow::Cow<'_, str> {
    let marker = match kind {
        ArtifactKind::Python => "#",
        ArtifactKind::Rust => "//",
        _ => return std::borrow::Cow::Borrowed(text),
    };
    let code_lines: Vec<&str> = text
        .lines()
        .map(|line| line.split_once(marker).map_or(line, |(code, _)| code))
        .collect();
    std::borrow::Cow::Owned(code_lines.join("\n"))
}

fn is_code(kind: ArtifactKind) -> bool {
    matches!(kind, ArtifactKind::Rust | ArtifactKind::Python)
}

/// Returns whether a folder of `path` is named after the service `needle`
/// (lower case), as `src/payment/handler.py` is for `payment`, also with
/// `-` and `_` swapped.
fn in_service_folder(path: &str, needle: &str) -> bool {
    let (folders, _) = path.rsplit_once('/').unwrap_or(("", path));
    folders.split('/').any(|folder| {
        let folder = folder.to_lowercase();
        folder == needle || folder.replace('_', "-") == needle.replace('_', "-")
    })
}

/// Returns whether files of `kind` define CI pipelines.
fn is_ci(kind: ArtifactKind) -> bool {
    matches!(
        kind,
        ArtifactKind::GithubWorkflow | ArtifactKind::GithubAction | ArtifactKind::GitlabCi
    )
}

/// The first incident this analysis covers that happened again later on
/// the same service, with the later occurrence.
fn recurrence_after<'a>(
    postmortem: &Postmortem,
    incidents: &[&'a Incident],
) -> Option<(&'a Incident, &'a Incident)> {
    for covered in incidents.iter().filter(|i| postmortem.covers(i)) {
        let Some(created) = covered.created else {
            continue;
        };
        if covered.title.is_empty() {
            continue;
        }
        let title = mask_numbers(&covered.title);
        // An incident the analysis covers as well did not recur after it.
        let later = incidents.iter().find(|other| {
            other.service == covered.service
                && other.created.is_some_and(|t| t > created)
                && mask_numbers(&other.title) == title
                && !postmortem.covers(other)
        });
        if let Some(later) = later {
            return Some((covered, later));
        }
    }
    None
}

/// Returns the parts of `artifact` in which a control for the service
/// `needle` (lower case) counts. In a Kubernetes manifest these are the
/// objects that name the service, so a probe of another workload in the
/// same file does not count. Any other file, and a manifest in the
/// service's folder, counts as a whole.
fn parts_naming<'a>(artifact: &'a opslint_model::Artifact, needle: &str) -> Vec<&'a str> {
    let text = artifact.file.text.as_str();
    let opslint_model::Facts::Kubernetes(manifest) = &artifact.facts else {
        return vec![text];
    };
    if in_service_folder(&artifact.file.path, needle) {
        return vec![text];
    }
    manifest
        .objects
        .iter()
        .filter_map(|object| text.get(object.root.span.start..object.root.span.end))
        .filter(|part| contains_word(&part.to_lowercase(), needle))
        .collect()
}
