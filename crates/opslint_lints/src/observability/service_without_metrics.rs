use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::service::TelemetryKind;

use super::telemetry::TelemetryCheck;
use crate::Rule;

pub struct ServiceWithoutMetrics;

pub static META: RuleMeta = RuleMeta {
    id: "service-without-metrics",
    principle: Some(Principle::Observability),
    waf: &["OPS04-BP02", "OPS08-BP01"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Rust, ArtifactKind::Python],
    summary: "HTTP or gRPC service that exposes no metrics",
    what_it_checks: "Rust and Python services (see `service-missing-health-endpoint` for how \
        files are grouped) in which no file uses a metrics library: in Rust, `metrics`, \
        `metrics-exporter-prometheus`, `prometheus`, `prometheus-client`, `axum-prometheus`, \
        `autometrics`, `actix-web-prom`, `cadence` or OpenTelemetry metrics; in Python, \
        `prometheus_client`, `statsd`, `datadog`, `aioprometheus`, the Prometheus \
        instrumentators for FastAPI, Starlette, Flask and Django, OpenTelemetry metrics, or \
        the Powertools for AWS Lambda `Metrics`.",
    why_it_matters: "Request rate, error rate and latency are what alarms and dashboards are \
        built on. A service that publishes none of them can only be watched from the outside, \
        so a slow degradation goes unnoticed until users report it.",
    how_to_fix: "Expose request metrics and scrape or push them:\n\n\
        ```rust\n\
        let (layer, handle) = axum_prometheus::PrometheusMetricLayer::pair();\n\
        let app = Router::new()\n\
        \x20   .route(\"/metrics\", get(|| async move { handle.render() }))\n\
        \x20   .layer(layer);\n\
        ```",
    known_limits: "Metrics that a sidecar, service mesh or load balancer records are not seen. \
        An OpenTelemetry dependency without a metrics import turns the result into a question.",
};

fn provides_metrics(dependency: &str) -> bool {
    dependency.contains("prometheus")
        || dependency.starts_with("metrics")
        || dependency.contains("statsd")
        || matches!(
            dependency,
            "autometrics" | "cadence" | "datadog" | "opentelemetry-sdk"
        )
}

impl Rule for ServiceWithoutMetrics {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn needs_other_files(&self) -> bool {
        true
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        TelemetryCheck {
            meta: &META,
            kind: TelemetryKind::Metrics,
            noun: "metrics",
            provides: provides_metrics,
            help: "publish request rate, errors and latency with a Prometheus client, \
                   OpenTelemetry metrics or StatsD",
        }
        .run(workspace, sink);
    }
}
