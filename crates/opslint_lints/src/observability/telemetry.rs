//! The check shared by the service tracing and metrics rules.

use opslint_core::{RuleMeta, Sink};
use opslint_model::Workspace;
use opslint_model::service::TelemetryKind;

pub struct TelemetryCheck {
    pub meta: &'static RuleMeta,
    pub kind: TelemetryKind,
    /// `tracing` or `metrics`, for messages.
    pub noun: &'static str,
    /// Whether a normalised dependency name provides this telemetry.
    pub provides: fn(&str) -> bool,
    pub help: &'static str,
}

impl TelemetryCheck {
    pub fn run(&self, workspace: &Workspace, sink: &mut Sink) {
        for service in workspace.services() {
            let (artifact, span) = service.anchor();
            let file = &artifact.file;
            let location = format!("service:{}", service.repository_root);
            if service.telemetry().any(|t| t.kind == self.kind) {
                sink.holds(self.meta, file, location);
                continue;
            }
            if let Some(dependency) = service.depends_on(self.provides) {
                sink.unclear(
                    self.meta,
                    file,
                    span,
                    location,
                    format!(
                        "Service {} declares `{dependency}` but no code in it records {}: does an agent, \
                         auto-instrumentation or start command enable {}?",
                        service.label(),
                        self.noun,
                        self.noun
                    ),
                    "the dependency manifest lists the library, but no code uses it this way",
                );
                continue;
            }
            if let Some((fallback, error_span)) = service.fallback_files().next() {
                sink.unclear(
                    self.meta,
                    &fallback.file,
                    error_span,
                    location,
                    format!(
                        "Does `{}`, which has a syntax error, set up {} for service {}?",
                        fallback.file.path,
                        self.noun,
                        service.label()
                    ),
                    "facts of a Rust file with a syntax error come from the part that tree-sitter \
                     recovers and may be incomplete",
                );
                continue;
            }
            sink.violation(
                self.meta,
                file,
                span,
                location,
                format!(
                    "service {} has no {} instrumentation",
                    service.label(),
                    self.noun
                ),
                service.anchor_label(),
            )
            .help = Some(self.help.to_string());
        }
    }
}
