use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::service::is_health_path;

use crate::Rule;

pub struct ServiceMissingHealthEndpoint;

pub static META: RuleMeta = RuleMeta {
    id: "service-missing-health-endpoint",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS04-BP02", "OPS10-BP07"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Rust, ArtifactKind::Python],
    summary: "HTTP or gRPC service that serves no health endpoint",
    what_it_checks: "Rust and Python services, grouped by the folder of their `Cargo.toml`, \
        `pyproject.toml`, `requirements*.txt`, `setup.py` or `Dockerfile`, that create a server \
        (axum, actix-web, rocket, warp, poem, hyper, tonic, FastAPI, Flask, Django, aiohttp, \
        Starlette, grpcio) or declare routes, but route no path that names a health check \
        (`/health`, `/healthz`, `/livez`, `/readyz`, `/ready`, `/ping`, `/status` and similar) \
        and register no gRPC health service (tonic-health, grpcio-health-checking). Routes count \
        wherever they are declared: in helper functions, nested routers and other files of the \
        same service. Routes of the Powertools for AWS Lambda event handler (a file that \
        imports `aws_lambda_powertools.event_handler`) are served inside a Lambda function, \
        where no process runs between requests, so they do not make a service.",
    why_it_matters: "Orchestrators and load balancers decide whether to send traffic to an \
        instance, and whether to restart it, from a health check. Without an endpoint they can \
        only test that a port accepts connections, so a process that is stuck or has lost its \
        database keeps receiving requests.",
    how_to_fix: "Serve a cheap health route and point the probe at it:\n\n\
        ```rust\n\
        let app = Router::new()\n\
        \x20   .route(\"/orders\", post(create_order))\n\
        \x20   .route(\"/healthz\", get(|| async { \"ok\" }));\n\
        ```\n\n\
        For gRPC services, register the standard health service (`tonic_health` or \
        `grpc_health.v1`).",
    known_limits: "Health routes are recognised by their path words, so a route named \
        `/is-up` is not recognised. Health endpoints that a library adds without a route in \
        the repository (for example a framework plugin configured at run time) are only \
        found through the dependency manifest, which makes the result a question.",
};

/// Dependency names of libraries that add a health endpoint on their own.
fn is_health_library(dependency: &str) -> bool {
    dependency.contains("health")
}

impl Rule for ServiceMissingHealthEndpoint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn needs_other_files(&self) -> bool {
        true
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for service in workspace.services() {
            let (artifact, span) = service.anchor();
            let file = &artifact.file;
            let location = format!("service:{}", service.repository_root);
            let has_health_route = service
                .routes()
                .any(|(_, route)| route.path.as_deref().is_some_and(is_health_path));
            let has_health_mount = service
                .mounts()
                .any(|mount| mount.prefix.as_deref().is_some_and(is_health_path));
            if has_health_route || has_health_mount || service.has_grpc_health() {
                sink.holds(&META, file, location);
                continue;
            }
            if let Some((fallback, error_span)) = service.fallback_files().next() {
                sink.unclear(
                    &META,
                    &fallback.file,
                    error_span,
                    location,
                    format!(
                        "Does service {} serve a health endpoint from `{}`, which has a \
                         syntax error?",
                        service.label(),
                        fallback.file.path
                    ),
                    "routes in a Rust file with a syntax error come from the part that \
                     tree-sitter recovers and may be incomplete",
                );
                continue;
            }
            if let Some(library) = service.depends_on(is_health_library) {
                sink.unclear(
                    &META,
                    file,
                    span,
                    location,
                    format!(
                        "Service {} depends on `{library}` but no health route or health \
                         service registration was found: does the library serve one?",
                        service.label()
                    ),
                    "a library may add the endpoint without a route in this repository",
                );
                continue;
            }
            sink.violation(
                &META,
                file,
                span,
                location,
                format!("service {} serves no health endpoint", service.label()),
                service.anchor_label(),
            )
            .help = Some(
                "add a route such as `/healthz` or register the gRPC health service, and point \
                 the probes at it"
                    .to_string(),
            );
        }
    }
}
