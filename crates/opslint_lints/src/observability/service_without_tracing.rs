use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::service::TelemetryKind;

use super::telemetry::TelemetryCheck;
use crate::Rule;

pub struct ServiceWithoutTracing;

pub static META: RuleMeta = RuleMeta {
    id: "service-without-tracing",
    principle: Some(Principle::Observability),
    waf: &["OPS04-BP05", "OPS08-BP03"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Rust, ArtifactKind::Python],
    summary: "HTTP or gRPC service without tracing instrumentation",
    what_it_checks: "Rust and Python services (see `service-missing-health-endpoint` for how \
        files are grouped) in which no file uses a tracing library: in Rust, \
        `#[instrument]`, span macros, tower-http `TraceLayer`, `opentelemetry*` or \
        `tracing-opentelemetry`; in Python, `opentelemetry`, `aws_xray_sdk`, `ddtrace`, \
        `opencensus`, a Jaeger or Zipkin client, or the Powertools for AWS Lambda `Tracer`. Log macros of the `tracing` crate alone \
        count as logging, not tracing.",
    why_it_matters: "A request that crosses several services is slow or fails somewhere along \
        the way. Traces show where, with the timing of each step; without them, finding the \
        cause means correlating logs by hand during an incident.",
    how_to_fix: "Create spans for requests and propagate the trace context:\n\n\
        ```python\n\
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor\n\n\
        app = FastAPI()\n\
        FastAPIInstrumentor.instrument_app(app)\n\
        ```",
    known_limits: "Instrumentation that an agent or the `opentelemetry-instrument` command adds \
        at start-up leaves no trace in the code; a tracing dependency without any import turns \
        the result into a question. A service mesh that traces at the proxy is not seen.",
};

fn provides_tracing(dependency: &str) -> bool {
    dependency.starts_with("opentelemetry")
        || dependency.starts_with("tracing-opentelemetry")
        || matches!(
            dependency,
            "aws-xray-sdk" | "ddtrace" | "opencensus" | "jaeger-client"
        )
}

impl Rule for ServiceWithoutTracing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn needs_other_files(&self) -> bool {
        true
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        TelemetryCheck {
            meta: &META,
            kind: TelemetryKind::Tracing,
            noun: "tracing",
            provides: provides_tracing,
            help: "instrument request handling with OpenTelemetry (or `#[instrument]` and \
                   `tracing-opentelemetry` in Rust) and export the spans",
        }
        .run(workspace, sink);
    }
}
