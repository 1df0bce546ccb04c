//! Facts of Rust source files, read from the syn tree: routes of axum,
//! actix-web, rocket, warp, poem and hyper services, tonic gRPC servers and
//! their health service, telemetry crates, and reqwest clients.

use opslint_core::{SourceFile, Span};
use opslint_syntax::rust::{RustFile, span_of};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, ExprCall, ExprMethodCall, Lit};

use crate::service::{
    CodeFile, HttpClient, Mount, Route, Server, Telemetry, TelemetryKind, Timeout,
};

/// HTTP method attribute macros of actix-web, rocket and poem handlers.
const METHOD_ATTRIBUTES: [&str; 9] = [
    "get", "post", "put", "delete", "patch", "head", "options", "route", "connect",
];

pub fn extract(file: &SourceFile, parsed: RustFile) -> CodeFile {
    let mut code = CodeFile::default();
    match &parsed.ast {
        Some(ast) => {
            let mut visitor = Visitor {
                code: &mut code,
                text: &file.text,
                in_test: 0,
                request_timeouts: 0,
            };
            visitor.visit_file(ast);
            // A client without a timeout is fine when every request sets
            // one, which only reading each call site can confirm.
            if visitor.request_timeouts > 0 {
                for client in &mut code.http_clients {
                    if client.call.ends_with("Client::new()") && client.timeout == Timeout::Missing
                    {
                        client.timeout = Timeout::Unclear(
                            "requests in this file call `.timeout(...)` one by one".into(),
                        );
                    }
                }
            }
        }
        None => {
            if let Some(tree) = &parsed.tree {
                extract_fallback(&mut code, tree, &file.text);
            }
            code.fallback = parsed.syn_error;
        }
    }
    code.tree = parsed.tree;
    code
}

struct Visitor<'c> {
    code: &'c mut CodeFile,
    text: &'c str,
    /// Depth of `#[cfg(test)]` modules and `#[test]` functions.
    in_test: usize,
    /// `.timeout(...)` calls on requests, not on a client builder.
    request_timeouts: usize,
}

/// Returns whether a method's receiver is a client builder chain, such as
/// `Client::builder().connect_timeout(d)`, so that a `.timeout(...)` on it
/// configures the client rather than one request.
fn on_builder(receiver: &Expr) -> bool {
    let mut current = receiver;
    loop {
        match current {
            Expr::MethodCall(call) => {
                if call.method == "builder" {
                    return true;
                }
                current = &call.receiver;
            }
            Expr::Call(call) => {
                return matches!(&*call.func, Expr::Path(path)
                    if path.path.segments.last().is_some_and(|last| last.ident == "builder")
                        || path_text(&path.path).ends_with("ClientBuilder::new"));
            }
            Expr::Paren(inner) => current = &inner.expr,
            _ => return false,
        }
    }
}

fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        Expr::Reference(reference) => string_literal(&reference.expr),
        Expr::Group(group) => string_literal(&group.expr),
        _ => None,
    }
}

/// The path of a call's function as `a::b::c`, or `None` for closures and
/// other computed callees.
fn call_path(call: &ExprCall) -> Option<String> {
    match &*call.func {
        Expr::Path(path) => Some(path_text(&path.path)),
        _ => None,
    }
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn is_test_attribute(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let path = path_text(attr.path());
        path == "test" || path.ends_with("::test") || {
            path == "cfg"
                && attr.meta.require_list().is_ok_and(|list| {
                    list.tokens
                        .to_string()
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == "test")
                })
        }
    })
}

/// Maps the first crate name of a path to the telemetry it provides.
fn telemetry_of_crate(name: &str) -> Option<TelemetryKind> {
    match name {
        "opentelemetry"
        | "opentelemetry_sdk"
        | "opentelemetry_otlp"
        | "tracing_opentelemetry"
        | "opentelemetry_jaeger"
        | "opentelemetry_zipkin"
        | "opentelemetry_datadog"
        | "aws_xray_sdk"
        | "datadog_tracing"
        | "fastrace"
        | "minitrace" => Some(TelemetryKind::Tracing),
        "metrics"
        | "metrics_exporter_prometheus"
        | "prometheus"
        | "prometheus_client"
        | "axum_prometheus"
        | "autometrics"
        | "actix_web_prom"
        | "cadence"
        | "statsd" => Some(TelemetryKind::Metrics),
        "tracing" | "tracing_subscriber" | "log" | "env_logger" | "slog" | "log4rs"
        | "tracing_appender" | "fern" => Some(TelemetryKind::Logging),
        _ => None,
    }
}

impl Visitor<'_> {
    fn route(&mut self, path: Option<String>, framework: &'static str, span: Span) {
        self.code.routes.push(Route {
            path,
            framework,
            span,
            router: None,
        });
    }

    fn telemetry(&mut self, kind: TelemetryKind, library: impl Into<String>, span: Span) {
        self.code.telemetry.push(Telemetry {
            kind,
            library: library.into(),
            span,
        });
    }

    fn source(&self, span: Span) -> String {
        self.text
            .get(span.start..span.end)
            .unwrap_or("")
            .to_string()
    }

    fn method_call(&mut self, call: &ExprMethodCall) {
        let method = call.method.to_string();
        let first = call.args.first();
        let span = span_of(call.method.span());
        if method == "timeout" && !on_builder(&call.receiver) {
            self.request_timeouts += 1;
        }
        match method.as_str() {
            // axum `.route("/p", get(h))`, actix `.route("/p", web::get().to(h))`,
            // poem `.at("/p", get(h))`.
            "route" | "at" | "route_service" => {
                if let Some(first) = first {
                    let framework = if method == "at" {
                        "poem"
                    } else {
                        "router builder"
                    };
                    self.route(string_literal(first), framework, span_of(first.span()));
                }
            }
            "nest" | "nest_service" | "mount" | "scope" => {
                if let Some(first) = first {
                    let prefix = string_literal(first);
                    let source = self.source(span_of(first.span()));
                    self.code.mounts.push(Mount {
                        prefix,
                        source,
                        span,
                        on_router: false,
                        router: None,
                        parent: None,
                    });
                }
            }
            "add_service"
                if call.args.iter().any(|arg| {
                    let text = self.source(span_of(arg.span()));
                    text.contains("health") || text.contains("Health")
                }) =>
            {
                self.code.grpc_health.push(span_of(call.span()));
            }
            "build" => self.client_builder(call),
            _ => {}
        }
    }

    /// Records a `reqwest::Client::builder()...build()` chain. The client has
    /// a timeout when the chain sets `timeout` or `read_timeout`.
    fn client_builder(&mut self, call: &ExprMethodCall) {
        let mut methods = Vec::new();
        let mut receiver = &*call.receiver;
        loop {
            match receiver {
                Expr::MethodCall(inner) => {
                    methods.push(inner.method.to_string());
                    receiver = &inner.receiver;
                }
                Expr::Call(root) => {
                    let Some(path) = call_path(root) else {
                        return;
                    };
                    let is_reqwest =
                        path.ends_with("Client::builder") || path.ends_with("ClientBuilder::new");
                    if !is_reqwest || !self.uses_reqwest() {
                        return;
                    }
                    let timeout = if methods
                        .iter()
                        .any(|m| m == "timeout" || m == "read_timeout")
                    {
                        Timeout::Set
                    } else if self.text.contains(".timeout(") {
                        Timeout::Unclear(
                            "requests in this file call `.timeout(...)` one by one".into(),
                        )
                    } else {
                        Timeout::Missing
                    };
                    self.code.http_clients.push(HttpClient {
                        call: format!("{path}()"),
                        timeout,
                        span: span_of(root.span()),
                    });
                    return;
                }
                _ => return,
            }
        }
    }

    fn uses_reqwest(&self) -> bool {
        self.text.contains("reqwest")
    }

    fn call(&mut self, call: &ExprCall) {
        let Some(path) = call_path(call) else {
            return;
        };
        let span = span_of(call.func.span());
        let last_two: Vec<&str> = path.rsplit("::").take(2).collect();
        let tail = match last_two.as_slice() {
            [last, before] => format!("{before}::{last}"),
            [last] => (*last).to_string(),
            _ => return,
        };
        match tail.as_str() {
            "Router::new" if self.text.contains("axum") => self.server("axum", span),
            "HttpServer::new" => self.server("actix-web", span),
            "rocket::build" | "rocket::custom" => self.server("rocket", span),
            "warp::serve" => self.server("warp", span),
            "Route::new" if self.text.contains("poem") => self.server("poem", span),
            "Server::bind" | "Server::builder" | "Builder::new" | "conn::http1"
                if self.text.contains("hyper") && !self.text.contains("tonic") =>
            {
                self.server("hyper", span)
            }
            "Server::builder" if self.text.contains("tonic") => self.server("tonic", span),
            "server::health_reporter" | "tonic_health::health_reporter" => {
                self.code.grpc_health.push(span)
            }
            "web::scope" => {
                let first = call.args.first();
                self.code.mounts.push(Mount {
                    prefix: first.and_then(string_literal),
                    source: first.map_or(String::new(), |f| self.source(span_of(f.span()))),
                    span,
                    on_router: false,
                    router: None,
                    parent: None,
                });
            }
            "web::resource" | "warp::path" | "path::path" => {
                let first = call.args.first();
                let framework = if tail.starts_with("web") {
                    "actix-web"
                } else {
                    "warp"
                };
                let path = first.and_then(string_literal).map(|p| {
                    if p.starts_with('/') {
                        p
                    } else {
                        format!("/{p}")
                    }
                });
                self.route(path, framework, span);
            }
            "reqwest::get" => self.code.http_clients.push(HttpClient {
                call: "reqwest::get".into(),
                timeout: Timeout::Missing,
                span,
            }),
            "blocking::get" if self.uses_reqwest() => self.code.http_clients.push(HttpClient {
                call: "reqwest::blocking::get".into(),
                timeout: Timeout::Missing,
                span,
            }),
            // Whether requests set their own timeout is settled once the
            // whole file is read, in `extract`.
            "Client::new" if self.uses_reqwest() && !self.text.contains("hyper_util") => {
                self.code.http_clients.push(HttpClient {
                    call: format!("{path}()"),
                    timeout: Timeout::Missing,
                    span,
                })
            }
            _ => {}
        }
        if path.ends_with("info_span") || path.ends_with("debug_span") {
            self.telemetry(TelemetryKind::Tracing, "tracing spans", span);
        }
        if tail == "TraceLayer::new_for_http" || tail == "TraceLayer::new_for_grpc" {
            self.telemetry(TelemetryKind::Tracing, "tower-http `TraceLayer`", span);
        }
    }

    fn server(&mut self, framework: &'static str, span: Span) {
        self.code.servers.push(Server { framework, span });
    }

    /// Routes of hyper services that match on `req.uri().path()`.
    fn match_routes(&mut self, expr: &syn::ExprMatch) {
        let scrutinee = self.source(span_of(expr.expr.span()));
        if !scrutinee.contains("path()") {
            return;
        }
        for arm in &expr.arms {
            let pattern = self.source(span_of(arm.pat.span()));
            for piece in pattern.split('"').skip(1).step_by(2) {
                if piece.starts_with('/') {
                    self.route(Some(piece.to_string()), "hyper", span_of(arm.pat.span()));
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Visitor<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let test = is_test_attribute(&item.attrs);
        self.in_test += usize::from(test);
        visit::visit_item_mod(self, item);
        self.in_test -= usize::from(test);
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        let test = is_test_attribute(&item.attrs);
        if test {
            return;
        }
        for attr in &item.attrs {
            let path = path_text(attr.path());
            let last = path.rsplit("::").next().unwrap_or("");
            let span = span_of(attr.span());
            if last == "instrument" {
                self.telemetry(TelemetryKind::Tracing, "#[instrument]", span);
            } else if METHOD_ATTRIBUTES.contains(&last) || last == "oai" {
                let tokens = attr
                    .meta
                    .require_list()
                    .map(|list| list.tokens.to_string())
                    .unwrap_or_default();
                let route = tokens
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .find(|piece| piece.starts_with('/'))
                    .map(str::to_string);
                if route.is_some() || last != "oai" {
                    self.route(route, "actix-web/rocket", span);
                }
            } else if last == "launch" {
                self.server("rocket", span);
            }
        }
        visit::visit_item_fn(self, item);
    }

    fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
        if self.in_test == 0 {
            self.method_call(call);
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        if self.in_test == 0 {
            self.call(call);
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_match(&mut self, expr: &'ast syn::ExprMatch) {
        if self.in_test == 0 {
            self.match_routes(expr);
        }
        visit::visit_expr_match(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let path = path_text(&mac.path);
        let span = span_of(mac.path.span());
        let last = path.rsplit("::").next().unwrap_or("");
        if last.ends_with("span") && (last == "span" || last.ends_with("_span")) {
            self.telemetry(TelemetryKind::Tracing, "tracing spans", span);
        }
        if let Some(kind) = path.split("::").next().and_then(telemetry_of_crate)
            && path.contains("::")
        {
            self.telemetry(kind, path.split("::").next().unwrap_or(""), span);
        }
        if last == "path" && path.starts_with("warp")
            || path == "path" && self.text.contains("warp")
        {
            let tokens = mac.tokens.to_string();
            let pieces: Vec<&str> = tokens.split('"').skip(1).step_by(2).collect();
            if !pieces.is_empty() {
                self.route(Some(format!("/{}", pieces.join("/"))), "warp", span);
            }
        }
        // `routes![...]` and other macros hold plain Rust: visit what parses.
        if let Ok(exprs) = mac
            .parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)
        {
            for expr in &exprs {
                self.visit_expr(expr);
            }
        }
        visit::visit_macro(self, mac);
    }

    fn visit_use_tree(&mut self, tree: &'ast syn::UseTree) {
        visit::visit_use_tree(self, tree);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let root = match &item.tree {
            syn::UseTree::Path(path) => path.ident.to_string(),
            syn::UseTree::Name(name) => name.ident.to_string(),
            _ => String::new(),
        };
        if let Some(kind) = telemetry_of_crate(&root) {
            self.telemetry(kind, root.clone(), span_of(item.span()));
        }
        if root == "opentelemetry" && self.source(span_of(item.span())).contains("metrics") {
            self.telemetry(
                TelemetryKind::Metrics,
                "opentelemetry metrics",
                span_of(item.span()),
            );
        }
        visit::visit_item_use(self, item);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.segments.len() > 1
            && let Some(first) = path.segments.first()
        {
            let name = first.ident.to_string();
            if let Some(kind) = telemetry_of_crate(&name) {
                self.telemetry(kind, name.clone(), span_of(path.span()));
            }
            if name == "opentelemetry" && path_text(path).contains("metrics") {
                self.telemetry(
                    TelemetryKind::Metrics,
                    "opentelemetry metrics",
                    span_of(path.span()),
                );
            }
        }
        visit::visit_path(self, path);
    }
}

/// Facts that tree-sitter-rust can still show in a file syn rejected:
/// route paths in `.route(...)` calls and handler attributes, and the crates
/// named in `use` declarations.
fn extract_fallback(code: &mut CodeFile, tree: &tree_sitter::Tree, text: &str) {
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "call_expression" => {
                let function = node.child_by_field_name("function");
                let arguments = node.child_by_field_name("arguments");
                if let (Some(function), Some(arguments)) = (function, arguments)
                    && function.kind() == "field_expression"
                    && let Some(field) = function.child_by_field_name("field")
                    && matches!(field.utf8_text(text.as_bytes()), Ok("route" | "at"))
                    && let Some(first) = arguments.named_child(0)
                    && first.kind() == "string_literal"
                {
                    let literal = first.utf8_text(text.as_bytes()).unwrap_or("\"\"");
                    code.routes.push(Route {
                        path: Some(literal.trim_matches('"').to_string()),
                        framework: "axum",
                        span: Span::from(first.byte_range()),
                        router: None,
                    });
                }
                if let Some(function) = node.child_by_field_name("function")
                    && function
                        .utf8_text(text.as_bytes())
                        .is_ok_and(|f| f.ends_with("Router::new"))
                {
                    code.servers.push(Server {
                        framework: "axum",
                        span: Span::from(function.byte_range()),
                    });
                }
            }
            "use_declaration" => {
                let body = node.utf8_text(text.as_bytes()).unwrap_or("");
                let root = body
                    .trim_start_matches("pub ")
                    .trim_start_matches("use ")
                    .split("::")
                    .next()
                    .unwrap_or("")
                    .trim();
                if let Some(kind) = telemetry_of_crate(root) {
                    code.telemetry.push(Telemetry {
                        kind,
                        library: root.to_string(),
                        span: Span::from(node.byte_range()),
                    });
                }
            }
            _ => {}
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::service::Timeout;

    fn facts(text: &str) -> CodeFile {
        let file = SourceFile::new("src/main.rs".into(), PathBuf::from("main.rs"), text.into());
        let parsed = opslint_syntax::rust::parse(&file.text);
        let code = extract(&file, parsed);
        opslint_syntax::rust::release_spans();
        code
    }

    #[test]
    fn axum_routes_nested_and_in_helpers() {
        let code = facts(
            "use axum::{Router, routing::get};\n\
             fn health() -> Router { Router::new().route(\"/healthz\", get(ok)) }\n\
             fn app() -> Router { Router::new().nest(\"/internal\", health()) }\n",
        );
        let paths: Vec<_> = code.routes.iter().filter_map(|r| r.path.clone()).collect();
        assert_eq!(paths, ["/healthz"]);
        assert_eq!(code.mounts[0].prefix.as_deref(), Some("/internal"));
        assert_eq!(code.servers.len(), 2);
    }

    #[test]
    fn actix_attribute_routes_and_instrument() {
        let code = facts(
            "#[get(\"/ready\")]\n#[tracing::instrument]\nasync fn ready() -> &'static str { \"ok\" }\n",
        );
        assert_eq!(code.routes[0].path.as_deref(), Some("/ready"));
        assert!(
            code.telemetry
                .iter()
                .any(|t| t.kind == TelemetryKind::Tracing)
        );
    }

    #[test]
    fn reqwest_builder_timeout() {
        let built = facts("fn a() { let c = reqwest::Client::builder().timeout(D).build(); }\n");
        assert_eq!(built.http_clients[0].timeout, Timeout::Set);

        let text = "fn b() { let c = reqwest::Client::new(); }\n";
        let bare = facts(text);
        let client = &bare.http_clients[0];
        assert_eq!(client.timeout, Timeout::Missing);
        assert_eq!(
            &text[client.span.start..client.span.end],
            "reqwest::Client::new"
        );
    }

    #[test]
    fn builder_timeout_elsewhere_leaves_client_new_missing() {
        let code = facts(
            "fn a() { let c = Client::new(); }\n\
             fn shared() -> Client { Client::builder().timeout(D).build().unwrap() }\n\
             use reqwest::Client;\n",
        );
        let timeouts: Vec<&Timeout> = code.http_clients.iter().map(|c| &c.timeout).collect();
        assert_eq!(timeouts, [&Timeout::Missing, &Timeout::Set]);
    }

    #[test]
    fn reqwest_blocking_get_has_no_timeout() {
        let code = facts("fn a() { let r = reqwest::blocking::get(u); }\n");
        assert_eq!(code.http_clients[0].call, "reqwest::blocking::get");
        assert_eq!(code.http_clients[0].timeout, Timeout::Missing);
    }

    #[test]
    fn reqwest_per_request_timeout_is_unclear() {
        let code =
            facts("fn b() { let c = reqwest::Client::new(); c.get(u).timeout(D).send(); }\n");
        assert!(matches!(code.http_clients[0].timeout, Timeout::Unclear(_)));
    }

    #[test]
    fn syn_failure_falls_back_to_tree_sitter() {
        let code = facts("fn app() { Router::new().route(\"/health\", get(h)) \n fn broken( {}\n");
        assert!(code.fallback.is_some());
        assert_eq!(code.routes[0].path.as_deref(), Some("/health"));
    }

    #[test]
    fn tonic_health_reporter_counts() {
        let code = facts(
            "async fn main() { let (_r, svc) = tonic_health::server::health_reporter();\n\
             tonic::transport::Server::builder().add_service(svc); }\n",
        );
        assert!(!code.grpc_health.is_empty());
        assert_eq!(code.servers[0].framework, "tonic");
    }

    fn paths(code: &CodeFile) -> Vec<String> {
        code.routes.iter().filter_map(|r| r.path.clone()).collect()
    }

    #[test]
    fn rocket_routes_and_mounts() {
        let code = facts(
            "#[get(\"/health\")]\nfn health() -> &'static str { \"ok\" }\n\
             #[launch]\nfn rocket() -> _ { rocket::build().mount(\"/api\", routes![health]) }\n",
        );
        assert_eq!(paths(&code), ["/health"]);
        assert_eq!(code.mounts[0].prefix.as_deref(), Some("/api"));
        assert!(code.servers.iter().any(|s| s.framework == "rocket"));
    }

    #[test]
    fn warp_path_filters() {
        let code = facts(
            "use warp::Filter;\nasync fn main() {\n\
             let health = warp::path(\"healthz\").map(|| \"ok\");\n\
             let orders = warp::path!(\"api\" / \"orders\").map(|| \"[]\");\n\
             warp::serve(health.or(orders)).run(([0, 0, 0, 0], 8080)).await; }\n",
        );
        assert_eq!(paths(&code), ["/healthz", "/api/orders"]);
        assert_eq!(code.servers[0].framework, "warp");
    }

    #[test]
    fn poem_and_actix_builders() {
        let poem = facts(
            "use poem::{Route, get};\nfn app() -> Route { Route::new().at(\"/ping\", get(ping)) }\n",
        );
        assert_eq!(paths(&poem), ["/ping"]);
        assert_eq!(poem.servers[0].framework, "poem");

        let actix = facts(
            "fn config(cfg: &mut web::ServiceConfig) {\n\
             cfg.service(web::scope(\"/internal\").route(\"/livez\", web::get().to(live)));\n}\n",
        );
        assert_eq!(paths(&actix), ["/livez"]);
        assert_eq!(actix.mounts[0].prefix.as_deref(), Some("/internal"));
    }

    #[test]
    fn hyper_match_on_path() {
        let code = facts(
            "use hyper::{Method, Request};\n\
             async fn handle(req: Request<()>) {\n\
             match (req.method(), req.uri().path()) {\n\
             (&Method::GET, \"/healthz\") => ok(),\n\
             _ => not_found(),\n}\n}\n",
        );
        assert_eq!(paths(&code), ["/healthz"]);
    }

    #[test]
    fn builder_without_timeout_but_per_request_timeouts_is_unclear() {
        let code = facts(
            "fn a() { let c = reqwest::Client::builder().build().unwrap();\n\
             c.get(u).timeout(D).send(); }\n",
        );
        assert!(matches!(code.http_clients[0].timeout, Timeout::Unclear(_)));
    }
}
