use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_records::figures::mask_numbers;
use opslint_records::incidents::Incident;
use opslint_records::postmortem::{ItemState, Postmortem};

use opslint_model::Artifact;
use opslint_model::service_link::ServiceLinks;

use super::lesson_evidence::{
    AlertEvidence, AlertRule, alert_evidence, alert_rules, call_place, call_without_timeout,
    known_service_names, linked_code,
};
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
        When no file names the service, the rule asks where the control lives. An alarm also \
        counts when a Prometheus alerting rule or CloudWatch alarm anywhere in the repository \
        names the service. Alert rules rarely name the workload they watch, so when the \
        repository has alert rules that name no known service, the rule asks instead of \
        reporting. A missing alarm is reported only when there is no alert rule, or every \
        alert rule names other services only. A timeout is usually set in the service's code. \
        When only manifests or templates name the service, the rule follows the images of \
        the workloads that name it to their code, by build context, service folder or \
        package name, and judges that code: an HTTP call without a timeout there is \
        reported with its file and line. When nothing links the code, the rule asks.",
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
        whole invocation, not the call. Alert rules nested in Helm values are not read. \
        Code is linked only for services that serve HTTP or gRPC, because only those form \
        the service groups that images are linked to.",
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
    /// Whether the repository's alert rules can show the control, though
    /// no file that names the service contains them.
    shown_by_alert_rules: bool,
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
        shown_by_alert_rules: false,
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
        shown_by_alert_rules: false,
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
        shown_by_alert_rules: true,
    },
    Control {
        name: "a timeout",
        item_words: &["timeout", "time out", "time-out"],
        evidence: &["timeout"],
        in_code: true,
        shown_in_ci: false,
        shown_by_alert_rules: false,
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
        let mut evidence: Option<Evidence> = None;
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
                    let item_check = ItemCheck {
                        artifact,
                        item_span: item.span,
                        item_text: &item.text,
                        control,
                        calls_only,
                        service,
                        location: format!("{}/{}/{}", postmortem.title, service, control.name),
                    };
                    evidence
                        .get_or_insert_with(|| Evidence::new(workspace))
                        .judge(&item_check, sink);
                }
            }
        }
    }
}

/// One done action item and one service it applies to.
struct ItemCheck<'a> {
    artifact: &'a opslint_model::Artifact,
    item_span: opslint_core::Span,
    item_text: &'a str,
    control: &'a Control,
    /// Whether the item is about the calls the service makes, so that only
    /// a timeout in code counts.
    calls_only: bool,
    service: &'a str,
    location: String,
}

impl ItemCheck<'_> {
    fn question(&self) -> String {
        format!(
            "Does `{}` now have {} as the done action item \"{}\" says?",
            self.service,
            self.control.name,
            shorten(self.item_text)
        )
    }

    fn ask(&self, sink: &mut Sink, reason: String) {
        sink.unclear(
            &META,
            &self.artifact.file,
            self.item_span,
            self.location.clone(),
            self.question(),
            reason,
        );
    }

    fn report(&self, sink: &mut Sink, message: String) {
        sink.violation(
            &META,
            &self.artifact.file,
            self.item_span,
            self.location.clone(),
            message,
            "not applied",
        )
        .help = Some(format!(
            "add {} to `{}` or reopen the action item",
            self.control.name, self.service
        ));
    }
}

/// Repository-wide evidence for action items, found once per run: alert
/// rules, the names of known services and the links from images to service
/// code.
struct Evidence<'w> {
    workspace: &'w Workspace,
    alert_rules: Vec<AlertRule<'w>>,
    known_services: Vec<String>,
    services: Vec<opslint_model::service::Service<'w>>,
    contexts: Vec<(String, String)>,
}

impl<'w> Evidence<'w> {
    fn new(workspace: &'w Workspace) -> Self {
        Self {
            workspace,
            alert_rules: alert_rules(workspace),
            known_services: known_service_names(workspace),
            services: workspace.services(),
            contexts: opslint_model::service_link::build_contexts(workspace),
        }
    }

    /// Reports one action item for one service, raises a question about
    /// it or records that it is applied.
    fn judge(&self, check: &ItemCheck, sink: &mut Sink) {
        let control = check.control;
        let needle = check.service.to_lowercase();
        let alerts = if control.shown_by_alert_rules {
            alert_evidence(&self.alert_rules, &self.known_services, &needle)
        } else {
            AlertEvidence::None { others: 0 }
        };

        if let AlertEvidence::Names = alerts {
            sink.holds(&META, &check.artifact.file, check.location.clone());
            return;
        }

        let files: Vec<&Artifact> = implementation(self.workspace)
            .filter(|a| {
                in_service_folder(&a.file.path, &needle)
                    || contains_word(&a.file.text.to_lowercase(), &needle)
            })
            .collect();
        if files.is_empty() {
            check.ask(
                sink,
                format!(
                    "no code or infrastructure file of the run names `{}`",
                    check.service
                ),
            );
            return;
        }

        let linked = if control.in_code && !files.iter().any(|a| is_code(a.kind)) {
            let links = ServiceLinks::new(&self.services, self.contexts.clone());
            linked_code(&links, &files, &needle)
        } else {
            Vec::new()
        };

        let judged: Vec<&Artifact> = files.iter().chain(&linked).copied().collect();
        // A call without a timeout in the service's code means the lesson is
        // not applied, whatever timeouts other clients in it set.
        let call_lacks_timeout = check.calls_only
            && judged
                .iter()
                .any(|a| is_code(a.kind) && call_without_timeout(a).is_some());
        let applied = !call_lacks_timeout && shows_control(check, &judged, &linked, &needle);
        if applied {
            sink.holds(&META, &check.artifact.file, check.location.clone());
            return;
        }

        let names = file_list(&files);
        if let AlertEvidence::Unlinked(rules) = &alerts {
            let shown: Vec<String> = rules.iter().take(3).map(|r| r.label()).collect();
            check.ask(
                sink,
                format!(
                    "the files that name `{}` ({names}) show none, but the repository has alert \
                     rules that name no service ({}), and one of them may watch it",
                    check.service,
                    shown.join(", ")
                ),
            );
            return;
        }

        let code: Vec<&Artifact> = judged.iter().copied().filter(|a| is_code(a.kind)).collect();
        if control.in_code && code.is_empty() {
            check.ask(sink, self.unlinked_code_reason(check, &names));
            return;
        }
        let message = not_applied_message(check, &files, &linked, &alerts);
        check.report(sink, message);
    }

    /// Explains why a timeout stays a question when only deployment files
    /// name the service and nothing links them to the code of the run.
    fn unlinked_code_reason(&self, check: &ItemCheck, names: &str) -> String {
        let service = check.service;
        let mut reason =
            format!("only deployment files name `{service}` ({names}) and none sets it");
        let code: Vec<&Artifact> = self
            .workspace
            .code()
            .map(|(artifact, _)| artifact)
            .filter(|a| !opslint_model::service::is_test_path(&a.file.path))
            .collect();
        if code.is_empty() {
            reason.push_str(", and the run contains no Python or Rust code");
            return reason;
        }
        reason.push_str(&format!(
            ", and no build context, service folder or package name links `{service}` to the code \
             of the run"
        ));
        let missing = code
            .iter()
            .find_map(|a| call_without_timeout(a).map(|call| (*a, call)));
        if let Some((artifact, call)) = missing.filter(|_| check.calls_only) {
            reason.push_str(&format!(
                ", where `{}` at {} has no timeout",
                call.call,
                call_place(artifact, call)
            ));
        }
        reason
    }
}

/// Checks whether the files that name the service, or the code linked to
/// it, show the control.
fn shows_control(
    check: &ItemCheck,
    judged: &[&Artifact],
    linked: &[&Artifact],
    needle: &str,
) -> bool {
    let control = check.control;
    judged
        .iter()
        .filter(|a| control.shown_in_ci || !is_ci(a.kind))
        .filter(|a| !check.calls_only || is_code(a.kind))
        .filter(|a| !check.calls_only || call_without_timeout(a).is_none())
        .any(|a| {
            // Linked code counts whole, because it rarely names the service.
            let parts = if linked.iter().any(|l| std::ptr::eq(*l, *a)) {
                vec![a.file.text.as_str()]
            } else {
                parts_naming(a, needle)
            };
            parts.iter().any(|part| {
                let lower = without_comments(part, a.kind).to_lowercase();
                control.evidence.iter().any(|e| lower.contains(e))
            })
        })
}

/// Builds the finding's message: the call without a timeout when the item
/// is about calls and one is known, else the files that show no control.
fn not_applied_message(
    check: &ItemCheck,
    files: &[&Artifact],
    linked: &[&Artifact],
    alerts: &AlertEvidence,
) -> String {
    let mut message = format!(
        "action item marked done calls for {} on `{}`, but ",
        check.control.name, check.service
    );
    let missing_call = files
        .iter()
        .chain(linked)
        .filter(|a| is_code(a.kind))
        .find_map(|a| call_without_timeout(a).map(|call| (*a, call)));
    match missing_call {
        Some((artifact, call)) if check.calls_only => message.push_str(&format!(
            "`{}` at {} has no timeout",
            call.call,
            call_place(artifact, call)
        )),
        _ if linked.is_empty() => message.push_str(&format!(
            "the files that name it ({}) show none",
            file_list(files)
        )),
        _ => message.push_str(&format!(
            "the files that name it ({}) and the code its images run ({}) show none",
            file_list(files),
            file_list(linked)
        )),
    }
    if let AlertEvidence::None { others } = alerts
        && *others > 0
    {
        message.push_str(", and the repository's alert rules name only other services");
    }
    message
}

/// Returns up to three file paths in backticks, joined by commas.
fn file_list(files: &[&Artifact]) -> String {
    files
        .iter()
        .take(3)
        .map(|a| format!("`{}`", a.file.path))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Words of an action item about the calls a service makes, whose timeout
/// belongs in the code.
const CALL_WORDS: [&str; 8] = [
    "http", "request", "requests", "call", "calls", "client", "upstream", "provider",
];

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
