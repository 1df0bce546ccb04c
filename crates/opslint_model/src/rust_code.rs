//! Facts of Rust source files, read from the tree-sitter tree: routes of
//! axum, actix-web, rocket, warp, poem and hyper services, tonic gRPC
//! servers and their health service, telemetry crates, and reqwest clients.

use std::sync::OnceLock;

use opslint_core::{SourceFile, Span};
use opslint_syntax::Children;
use opslint_syntax::rust::{RustFile, language};
use tree_sitter::Node;

use crate::service::{
    CodeFile, HttpClient, Mount, Route, Server, Telemetry, TelemetryKind, Timeout,
};

/// Macro calls nested this deep inside others are not read.
const MAX_MACRO_DEPTH: usize = 4;

/// Text that a fact read from a macro body needs: a path (`reqwest::get`),
/// a router or client builder method, a `match` on a request path, a
/// tracing span or warp's `path!`.
const MACRO_BODY_WORDS: [&str; 12] = [
    "::",
    "route",
    ".at",
    "nest",
    "mount",
    "scope",
    "add_service",
    "build",
    "timeout",
    "match",
    "span",
    "path!",
];

/// HTTP method attribute macros of actix-web, rocket and poem handlers.
const METHOD_ATTRIBUTES: [&str; 9] = [
    "get", "post", "put", "delete", "patch", "head", "options", "route", "connect",
];

pub fn extract(file: &SourceFile, parsed: RustFile) -> CodeFile {
    let mut code = CodeFile::default();
    if let Some(tree) = &parsed.tree {
        let mut visitor = Visitor {
            code: &mut code,
            text: &file.text,
            file_text: &file.text,
            offset: 0,
            macro_depth: 0,
            kinds: kinds(),
            request_timeouts: 0,
        };
        visitor.walk(tree.root_node(), 0);
        // A client without a timeout is fine when every request sets
        // one, which only reading each call site can confirm.
        if visitor.request_timeouts > 0 {
            for client in &mut code.http_clients {
                if client.call.ends_with("Client::new()") && client.timeout == Timeout::Missing {
                    client.timeout = Timeout::Unclear(
                        "requests in this file call `.timeout(...)` one by one".into(),
                    );
                }
            }
        }
    }
    code.fallback = parsed.syn_error;
    code.tree = parsed.tree;
    code
}

/// Node kinds of the Rust grammar by id, compared by number on every node.
struct Kinds {
    attribute_item: u16,
    attribute: u16,
    block_comment: u16,
    line_comment: u16,
    call_expression: u16,
    field_expression: u16,
    generic_function: u16,
    generic_type: u16,
    function_item: u16,
    mod_item: u16,
    impl_item: u16,
    trait_item: u16,
    declaration_list: u16,
    macro_invocation: u16,
    match_expression: u16,
    use_declaration: u16,
    scoped_identifier: u16,
    scoped_type_identifier: u16,
    parenthesized_expression: u16,
    reference_expression: u16,
    string_literal: u16,
    raw_string_literal: u16,
    token_tree: u16,
    /// Field ids, 0 where the grammar has no such field.
    field_argument: u16,
    field_arguments: u16,
    field_body: u16,
    field_field: u16,
    field_function: u16,
    field_macro: u16,
    field_name: u16,
    field_path: u16,
    field_pattern: u16,
    field_type: u16,
    field_value: u16,
}

fn kinds() -> &'static Kinds {
    static KINDS: OnceLock<Kinds> = OnceLock::new();
    KINDS.get_or_init(|| {
        let language = language();
        let id = |name: &str| language.id_for_node_kind(name, true);
        let field = |name: &str| {
            language
                .field_id_for_name(name)
                .map_or(0, std::num::NonZeroU16::get)
        };
        Kinds {
            attribute_item: id("attribute_item"),
            attribute: id("attribute"),
            block_comment: id("block_comment"),
            line_comment: id("line_comment"),
            call_expression: id("call_expression"),
            field_expression: id("field_expression"),
            generic_function: id("generic_function"),
            generic_type: id("generic_type"),
            function_item: id("function_item"),
            mod_item: id("mod_item"),
            impl_item: id("impl_item"),
            trait_item: id("trait_item"),
            declaration_list: id("declaration_list"),
            macro_invocation: id("macro_invocation"),
            match_expression: id("match_expression"),
            use_declaration: id("use_declaration"),
            scoped_identifier: id("scoped_identifier"),
            scoped_type_identifier: id("scoped_type_identifier"),
            parenthesized_expression: id("parenthesized_expression"),
            reference_expression: id("reference_expression"),
            string_literal: id("string_literal"),
            raw_string_literal: id("raw_string_literal"),
            token_tree: id("token_tree"),
            field_argument: field("argument"),
            field_arguments: field("arguments"),
            field_body: field("body"),
            field_field: field("field"),
            field_function: field("function"),
            field_macro: field("macro"),
            field_name: field("name"),
            field_path: field("path"),
            field_pattern: field("pattern"),
            field_type: field("type"),
            field_value: field("value"),
        }
    })
}

/// A node waiting to be visited, with the attributes written before it.
struct Pending<'tree> {
    node: Node<'tree>,
    attributes: Vec<Node<'tree>>,
    /// Depth of `#[cfg(test)]` modules around the node.
    in_test: usize,
    /// Set inside `impl` and `trait` blocks, whose functions are methods:
    /// handler attributes and `#[test]` are read on free functions only.
    in_impl: bool,
}

struct Visitor<'c> {
    code: &'c mut CodeFile,
    /// The text the tree was parsed from: the file, or the body of a macro
    /// call wrapped as Rust.
    text: &'c str,
    /// The whole file, for the checks of which crates it mentions.
    file_text: &'c str,
    /// Added to every span found, to place a macro body's facts in the file.
    offset: isize,
    /// How many macro bodies the walk is inside.
    macro_depth: usize,
    kinds: &'static Kinds,
    /// `.timeout(...)` calls on requests, not on a client builder.
    request_timeouts: usize,
}

/// A method call: `receiver.method(arguments)`, with or without a turbofish.
struct MethodCall<'tree> {
    call: Node<'tree>,
    receiver: Node<'tree>,
    method: Node<'tree>,
    arguments: Vec<Node<'tree>>,
}

impl<'c> Visitor<'c> {
    fn span(&self, node: Node<'_>) -> Span {
        let place = |at: usize| at.saturating_add_signed(self.offset);
        let range = node.byte_range();
        Span::new(place(range.start), place(range.end))
    }

    fn text_of(&self, node: Node<'_>) -> &'c str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    fn source(&self, node: Node<'_>) -> String {
        self.text_of(node).to_string()
    }

    /// Visits the tree in document order, parents before children, with a
    /// stack instead of recursion, so deeply nested input cannot exhaust the
    /// stack of a worker thread.
    fn walk(&mut self, root: Node<'_>, in_test: usize) {
        let mut stack = vec![Pending {
            node: root,
            attributes: Vec::new(),
            in_test,
            in_impl: false,
        }];
        // Reused for every node, so that collecting children allocates only
        // when a node has more children than any before it.
        let mut children = Vec::new();
        while let Some(pending) = stack.pop() {
            let node = pending.node;
            let kind = node.kind_id();
            let mut in_test = pending.in_test;
            let is_function = kind == self.kinds.function_item && !pending.in_impl;
            if is_function && is_test_attribute(self, &pending.attributes) {
                continue;
            }
            if kind == self.kinds.mod_item && is_test_attribute(self, &pending.attributes) {
                in_test += 1;
            }
            if is_function {
                self.function_attributes(&pending.attributes);
            }
            let mut descend = true;
            if kind == self.kinds.call_expression {
                if in_test == 0 {
                    match self.method_call(node) {
                        Some(call) => self.method(&call),
                        None => self.call(node),
                    }
                }
            } else if kind == self.kinds.match_expression {
                if in_test == 0 {
                    self.match_routes(node);
                }
            } else if kind == self.kinds.macro_invocation {
                self.macro_invocation(node, in_test);
                descend = false;
            } else if kind == self.kinds.use_declaration {
                self.use_declaration(node);
                descend = false;
            } else if kind == self.kinds.scoped_identifier
                || kind == self.kinds.scoped_type_identifier
            {
                self.path(node);
                descend = false;
            }

            // The node's attributes are visited next, then its children in
            // order: each child carries the attributes written just before it.
            let children_in_impl = kind == self.kinds.impl_item
                || kind == self.kinds.trait_item
                || (kind == self.kinds.declaration_list && pending.in_impl);
            children.clear();
            if descend {
                let mut attributes = Vec::new();
                for child in Children::all(node) {
                    let child_kind = child.kind_id();
                    if child_kind == self.kinds.attribute_item {
                        attributes.push(child);
                    } else if child_kind != self.kinds.line_comment
                        && child_kind != self.kinds.block_comment
                        && child.is_named()
                    {
                        children.push(Pending {
                            node: child,
                            attributes: std::mem::take(&mut attributes),
                            in_test,
                            in_impl: children_in_impl,
                        });
                    }
                }
                // Attributes at the end of a block belong to no item.
                children.extend(attributes.into_iter().map(|attribute| Pending {
                    node: attribute,
                    attributes: Vec::new(),
                    in_test,
                    in_impl: false,
                }));
            }
            stack.extend(children.drain(..).rev());
            stack.extend(
                pending
                    .attributes
                    .into_iter()
                    .rev()
                    .map(|attribute| Pending {
                        node: attribute,
                        attributes: Vec::new(),
                        in_test,
                        in_impl: false,
                    }),
            );
        }
    }

    /// Records what the attributes of a free function show: `#[instrument]`,
    /// handler routes such as `#[get("/health")]`, and rocket's `#[launch]`.
    fn function_attributes(&mut self, attributes: &[Node<'_>]) {
        for item in attributes {
            let Some((path, arguments)) = self.attribute(*item) else {
                continue;
            };
            let last = path.rsplit("::").next().unwrap_or("");
            let span = self.span(*item);
            if last == "instrument" {
                self.telemetry(TelemetryKind::Tracing, "#[instrument]", span);
            } else if METHOD_ATTRIBUTES.contains(&last) || last == "oai" {
                let tokens = arguments.map_or("", |arguments| self.text_of(arguments));
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
    }

    /// Returns the path and the argument tokens of an `attribute_item`.
    fn attribute<'t>(&self, item: Node<'t>) -> Option<(String, Option<Node<'t>>)> {
        let mut cursor = item.walk();
        let attribute = item
            .named_children(&mut cursor)
            .find(|child| child.kind_id() == self.kinds.attribute)?;
        let mut cursor = attribute.walk();
        let mut children = attribute.named_children(&mut cursor);
        let path = path_text(self, children.next()?)?;
        let arguments = children.find(|child| child.kind_id() == self.kinds.token_tree);
        Some((path, arguments))
    }

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

    fn server(&mut self, framework: &'static str, span: Span) {
        self.code.servers.push(Server { framework, span });
    }

    /// Reads a `call_expression` as a method call, or returns `None` for a
    /// call of a function.
    fn method_call<'t>(&self, call: Node<'t>) -> Option<MethodCall<'t>> {
        let mut function = call.child_by_field_id(self.kinds.field_function)?;
        if function.kind_id() == self.kinds.generic_function {
            function = function.child_by_field_id(self.kinds.field_function)?;
        }
        if function.kind_id() != self.kinds.field_expression {
            return None;
        }
        Some(MethodCall {
            call,
            receiver: function.child_by_field_id(self.kinds.field_value)?,
            method: function.child_by_field_id(self.kinds.field_field)?,
            arguments: self.arguments(call),
        })
    }

    /// Returns the argument expressions of a call.
    fn arguments<'t>(&self, call: Node<'t>) -> Vec<Node<'t>> {
        let Some(arguments) = call.child_by_field_id(self.kinds.field_arguments) else {
            return Vec::new();
        };
        let mut cursor = arguments.walk();
        arguments
            .named_children(&mut cursor)
            .filter(|child| {
                let kind = child.kind_id();
                kind != self.kinds.line_comment
                    && kind != self.kinds.block_comment
                    && kind != self.kinds.attribute_item
            })
            .collect()
    }

    fn method(&mut self, call: &MethodCall<'_>) {
        let method = self.text_of(call.method);
        let first = call.arguments.first().copied();
        let span = self.span(call.method);
        if method == "timeout" && !self.on_builder(call.receiver) {
            self.request_timeouts += 1;
        }
        match method {
            // axum `.route("/p", get(h))`, actix `.route("/p", web::get().to(h))`,
            // poem `.at("/p", get(h))`.
            "route" | "at" | "route_service" => {
                if let Some(first) = first {
                    let framework = if method == "at" {
                        "poem"
                    } else {
                        "router builder"
                    };
                    let path = self.string_literal(first);
                    self.route(path, framework, self.span(first));
                }
            }
            "nest" | "nest_service" | "mount" | "scope" => {
                if let Some(first) = first {
                    let prefix = self.string_literal(first);
                    let source = self.source(first);
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
                if call.arguments.iter().any(|argument| {
                    let text = self.text_of(*argument);
                    text.contains("health") || text.contains("Health")
                }) =>
            {
                self.code.grpc_health.push(self.span(call.call));
            }
            "build" => self.client_builder(call),
            _ => {}
        }
    }

    /// Returns whether a method's receiver is a client builder chain, such
    /// as `Client::builder().connect_timeout(d)`, so that a `.timeout(...)`
    /// on it configures the client rather than one request.
    fn on_builder(&self, receiver: Node<'_>) -> bool {
        let mut current = receiver;
        loop {
            if current.kind_id() == self.kinds.parenthesized_expression {
                match current.named_child(0) {
                    Some(inner) => current = inner,
                    None => return false,
                }
                continue;
            }
            if current.kind_id() != self.kinds.call_expression {
                return false;
            }
            match self.method_call(current) {
                Some(call) => {
                    if self.text_of(call.method) == "builder" {
                        return true;
                    }
                    current = call.receiver;
                }
                None => {
                    return self.call_path(current).is_some_and(|path| {
                        path.rsplit("::").next() == Some("builder")
                            || path.ends_with("ClientBuilder::new")
                    });
                }
            }
        }
    }

    /// Records a `reqwest::Client::builder()...build()` chain. The client
    /// has a timeout when the chain sets `timeout` or `read_timeout`.
    fn client_builder(&mut self, call: &MethodCall<'_>) {
        let mut methods = Vec::new();
        let mut receiver = call.receiver;
        loop {
            if receiver.kind_id() != self.kinds.call_expression {
                return;
            }
            if let Some(inner) = self.method_call(receiver) {
                methods.push(self.text_of(inner.method));
                receiver = inner.receiver;
                continue;
            }
            let Some(path) = self.call_path(receiver) else {
                return;
            };
            let is_reqwest =
                path.ends_with("Client::builder") || path.ends_with("ClientBuilder::new");
            if !is_reqwest || !self.uses_reqwest() {
                return;
            }
            let timeout = if methods
                .iter()
                .any(|m| *m == "timeout" || *m == "read_timeout")
            {
                Timeout::Set
            } else if self.file_text.contains(".timeout(") {
                Timeout::Unclear("requests in this file call `.timeout(...)` one by one".into())
            } else {
                Timeout::Missing
            };
            self.code.http_clients.push(HttpClient {
                call: format!("{path}()"),
                timeout,
                span: self.span(receiver),
            });
            return;
        }
    }

    fn uses_reqwest(&self) -> bool {
        self.file_text.contains("reqwest")
    }

    /// Returns the path of a call's function as `a::b::c`, or `None` for
    /// closures and other computed callees.
    fn call_path(&self, call: Node<'_>) -> Option<String> {
        let mut function = call.child_by_field_id(self.kinds.field_function)?;
        if function.kind_id() == self.kinds.generic_function {
            function = function.child_by_field_id(self.kinds.field_function)?;
        }
        if function.kind_id() == self.kinds.field_expression {
            return None;
        }
        path_text(self, function)
    }

    /// Returns the value of a string literal argument, also behind `&`.
    fn string_literal(&self, expression: Node<'_>) -> Option<String> {
        let mut expression = expression;
        while expression.kind_id() == self.kinds.reference_expression {
            expression = expression.child_by_field_id(self.kinds.field_value)?;
        }
        let kind = expression.kind_id();
        let raw = self.text_of(expression);
        if kind == self.kinds.raw_string_literal {
            let body = raw.strip_prefix('r')?.trim_matches('#');
            return Some(body.strip_prefix('"')?.strip_suffix('"')?.to_string());
        }
        if kind != self.kinds.string_literal {
            return None;
        }
        let body = raw.strip_prefix('"')?.strip_suffix('"')?;
        Some(unescape(body))
    }

    fn call(&mut self, call: Node<'_>) {
        let Some(path) = self.call_path(call) else {
            return;
        };
        let Some(function) = call.child_by_field_id(self.kinds.field_function) else {
            return;
        };
        let span = self.span(function);
        let last_two: Vec<&str> = path.rsplit("::").take(2).collect();
        let tail = match last_two.as_slice() {
            [last, before] => format!("{before}::{last}"),
            [last] => (*last).to_string(),
            _ => return,
        };
        let first_argument = || self.arguments(call).first().copied();
        match tail.as_str() {
            "Router::new" if self.file_text.contains("axum") => self.server("axum", span),
            "HttpServer::new" => self.server("actix-web", span),
            "rocket::build" | "rocket::custom" => self.server("rocket", span),
            "warp::serve" => self.server("warp", span),
            "Route::new" if self.file_text.contains("poem") => self.server("poem", span),
            "Server::bind" | "Server::builder" | "Builder::new" | "conn::http1"
                if self.file_text.contains("hyper") && !self.file_text.contains("tonic") =>
            {
                self.server("hyper", span)
            }
            "Server::builder" if self.file_text.contains("tonic") => self.server("tonic", span),
            "server::health_reporter" | "tonic_health::health_reporter" => {
                self.code.grpc_health.push(span)
            }
            "web::scope" => {
                let first = first_argument();
                self.code.mounts.push(Mount {
                    prefix: first.and_then(|first| self.string_literal(first)),
                    source: first.map_or(String::new(), |first| self.source(first)),
                    span,
                    on_router: false,
                    router: None,
                    parent: None,
                });
            }
            "web::resource" | "warp::path" | "path::path" => {
                let framework = if tail.starts_with("web") {
                    "actix-web"
                } else {
                    "warp"
                };
                let path = first_argument()
                    .and_then(|first| self.string_literal(first))
                    .map(|p| {
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
            "Client::new" if self.uses_reqwest() && !self.file_text.contains("hyper_util") => {
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

    /// Routes of hyper services that match on `req.uri().path()`.
    fn match_routes(&mut self, expression: Node<'_>) {
        let Some(value) = expression.child_by_field_id(self.kinds.field_value) else {
            return;
        };
        if !self.text_of(value).contains("path()") {
            return;
        }
        let Some(body) = expression.child_by_field_id(self.kinds.field_body) else {
            return;
        };
        let mut cursor = body.walk();
        for arm in body.named_children(&mut cursor) {
            // The pattern without its `if` guard.
            let Some(pattern) = arm
                .child_by_field_id(self.kinds.field_pattern)
                .and_then(|pattern| pattern.named_child(0))
            else {
                continue;
            };
            let span = self.span(pattern);
            for piece in self.text_of(pattern).split('"').skip(1).step_by(2) {
                if piece.starts_with('/') {
                    self.route(Some(piece.to_string()), "hyper", span);
                }
            }
        }
    }

    /// Records a macro call such as `tracing::info!(...)` or warp's
    /// `path!(...)`, and what its body holds when it parses as expressions.
    fn macro_invocation(&mut self, invocation: Node<'_>, in_test: usize) {
        let Some(name) = invocation.child_by_field_id(self.kinds.field_macro) else {
            return;
        };
        let Some(path) = path_text(self, name) else {
            return;
        };
        let span = self.span(name);
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
            || path == "path" && self.file_text.contains("warp")
        {
            let mut cursor = invocation.walk();
            let tokens = invocation
                .named_children(&mut cursor)
                .find(|child| child.kind_id() == self.kinds.token_tree)
                .map_or("", |tokens| self.text_of(tokens));
            let pieces: Vec<&str> = tokens.split('"').skip(1).step_by(2).collect();
            if !pieces.is_empty() {
                self.route(Some(format!("/{}", pieces.join("/"))), "warp", span);
            }
        }
        if name.kind_id() == self.kinds.scoped_identifier {
            self.path(name);
        }
        self.macro_body(invocation, in_test);
    }

    /// Reads the body of a macro call as a list of expressions when it
    /// parses as one, as in `vec![Router::new().route("/a", get(a))]` or
    /// `println!("{:?}", reqwest::get(url))`. Bodies of other shapes, such
    /// as `tokio::select!`, are not read.
    fn macro_body(&mut self, invocation: Node<'_>, in_test: usize) {
        /// Wraps the body so that it parses as a tuple or a parenthesised
        /// expression.
        const PREFIX: &str = "fn f() { (";
        if self.macro_depth >= MAX_MACRO_DEPTH {
            return;
        }

        let mut cursor = invocation.walk();
        let Some(body) = invocation
            .named_children(&mut cursor)
            .find(|child| child.kind_id() == self.kinds.token_tree)
        else {
            return;
        };
        let text = self.text_of(body);
        // Only a body with a call and a word that some fact needs can hold
        // a fact, which spares parsing `println!("{}", body.len())`.
        let Some(inner) = text.get(1..text.len().saturating_sub(1)) else {
            return;
        };
        if !inner.contains('(') || !MACRO_BODY_WORDS.iter().any(|word| inner.contains(word)) {
            return;
        }

        let wrapped = format!("{PREFIX}{inner}\n); }}");
        let Some(tree) = opslint_syntax::rust::parse_tree(&wrapped) else {
            return;
        };
        if tree.root_node().has_error() {
            return;
        }

        // The body's first byte is at `PREFIX.len()` in `wrapped`.
        let body_start = self.span(body).start + 1;
        let offset = isize::try_from(body_start).unwrap_or(isize::MAX)
            - isize::try_from(PREFIX.len()).unwrap_or(0);
        let mut inner_visitor = Visitor {
            code: &mut *self.code,
            text: &wrapped,
            file_text: self.file_text,
            offset,
            macro_depth: self.macro_depth + 1,
            kinds: self.kinds,
            request_timeouts: 0,
        };
        // Calls in a body inside a `#[cfg(test)]` module are test code too.
        inner_visitor.walk(tree.root_node(), in_test);
        self.request_timeouts += inner_visitor.request_timeouts;
    }

    /// Records a `use` declaration of a telemetry crate.
    fn use_declaration(&mut self, declaration: Node<'_>) {
        let root = declaration
            .child_by_field_id(self.kinds.field_argument)
            .map(|argument| use_root(self, argument))
            .unwrap_or_default();
        let span = self.span(declaration);
        if let Some(kind) = telemetry_of_crate(&root) {
            self.telemetry(kind, root.clone(), span);
        }
        if root == "opentelemetry" && self.text_of(declaration).contains("metrics") {
            self.telemetry(TelemetryKind::Metrics, "opentelemetry metrics", span);
        }
    }

    /// Records a path of two or more segments into a telemetry crate, such
    /// as `tracing::Span` or `metrics::counter`.
    fn path(&mut self, path: Node<'_>) {
        let Some(text) = path_text(self, path) else {
            return;
        };
        let Some(name) = text.split("::").next().filter(|_| text.contains("::")) else {
            return;
        };
        let span = self.span(path);
        if let Some(kind) = telemetry_of_crate(name) {
            self.telemetry(kind, name.to_string(), span);
        }
        if name == "opentelemetry" && text.contains("metrics") {
            self.telemetry(TelemetryKind::Metrics, "opentelemetry metrics", span);
        }
    }
}

/// Returns the segments of a path as `a::b::c`, without generic arguments,
/// or `None` when `node` is no path. The walk is a loop because a generated
/// file can hold a path of thousands of segments.
fn path_text(visitor: &Visitor<'_>, node: Node<'_>) -> Option<String> {
    let kinds = visitor.kinds;
    let mut segments = Vec::new();
    let mut current = Some(node);
    while let Some(node) = current {
        let kind = node.kind_id();
        current = if kind == kinds.scoped_identifier || kind == kinds.scoped_type_identifier {
            segments.push(visitor.text_of(node.child_by_field_id(kinds.field_name)?));
            node.child_by_field_id(kinds.field_path)
        } else if kind == kinds.generic_type {
            Some(node.child_by_field_id(kinds.field_type)?)
        } else if kind == kinds.generic_function {
            Some(node.child_by_field_id(kinds.field_function)?)
        } else {
            // Identifiers and the `self`, `super` and `crate` keywords.
            let text = visitor.text_of(node);
            let is_name = node.child_count() == 0
                && !text.is_empty()
                && text.chars().all(|c| c.is_alphanumeric() || c == '_');
            if !is_name {
                return None;
            }
            segments.push(text);
            None
        };
    }
    segments.reverse();
    Some(segments.join("::"))
}

/// Returns the first crate or module a `use` names: `tracing` for
/// `use tracing::{info, warn}`. A lone renamed name or a group at the top
/// gives the empty string.
fn use_root(visitor: &Visitor<'_>, argument: Node<'_>) -> String {
    let mut current = argument;
    let mut depth = 0;
    loop {
        depth += 1;
        if depth > 64 {
            return String::new();
        }
        let next = match current.kind() {
            // `use ::tracing::info` has no path before its first name.
            "scoped_identifier" => current
                .child_by_field_id(visitor.kinds.field_path)
                .or_else(|| current.child_by_field_id(visitor.kinds.field_name)),
            "scoped_use_list" => current.child_by_field_id(visitor.kinds.field_path),
            "use_wildcard" => current.named_child(0),
            "use_as_clause" => {
                let path = current.child_by_field_id(visitor.kinds.field_path);
                // `use tracing as t;` renames the crate itself.
                if path.is_some_and(|path| path.kind() == "identifier") && depth == 1 {
                    return String::new();
                }
                path
            }
            "identifier" | "crate" | "self" | "super" => {
                return visitor.text_of(current).to_string();
            }
            _ => return String::new(),
        };
        match next {
            Some(next) => current = next,
            None => return String::new(),
        }
    }
}

/// Returns whether the attributes mark test code: `#[test]`,
/// `#[tokio::test]` or `#[cfg(test)]`.
fn is_test_attribute(visitor: &Visitor<'_>, attributes: &[Node<'_>]) -> bool {
    attributes.iter().any(|item| {
        let Some((path, arguments)) = visitor.attribute(*item) else {
            return false;
        };
        path == "test" || path.ends_with("::test") || {
            path == "cfg"
                && arguments.is_some_and(|arguments| {
                    visitor
                        .text_of(arguments)
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == "test")
                })
        }
    })
}

/// Returns the value of the text between the quotes of a Rust string literal.
fn unescape(body: &str) -> String {
    if !body.contains('\\') {
        return body.to_string();
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            // A line continuation skips the line break and the indentation.
            Some('\n') => {
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
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
    fn deep_nesting_is_read_in_full() {
        let text = format!(
            "fn app() {{ Router::new().route(\"/health\", get(h)); let x = {}1{}; }}\n",
            "(".repeat(5_000),
            ")".repeat(5_000)
        );
        let code = facts(&text);
        assert!(code.fallback.is_none());
        assert_eq!(code.routes[0].path.as_deref(), Some("/health"));
    }

    #[test]
    fn macro_paths_and_test_code() {
        let code = facts(
            "use tracing::info;\n\
             fn a() { tracing::info!(\"up\"); let c = reqwest::Client::new(); }\n\
             #[cfg(test)]\nmod tests { fn b() { let c = reqwest::Client::new(); } }\n\
             #[test]\nfn c() { let c = reqwest::Client::new(); }\n",
        );
        assert_eq!(code.http_clients.len(), 1);
        let libraries: Vec<&str> = code.telemetry.iter().map(|t| t.library.as_str()).collect();
        assert_eq!(libraries, ["tracing", "tracing", "tracing"]);
    }

    #[test]
    fn macro_bodies_in_test_modules() {
        let code = facts(
            "#[cfg(test)]\nmod tests {\n\
             fn a() { let v = vec![reqwest::Client::new()]; }\n}\n",
        );
        assert!(code.http_clients.is_empty());
    }

    #[test]
    fn calls_inside_macro_bodies() {
        let text = "fn a() { println!(\"{:?}\", reqwest::get(u));\n\
                    let v = vec![Router::new().route(\"/in-vec\", get(h))];\n\
                    tokio::select! { _ = reqwest::get(u) => {} } }\n";
        let code = facts(text);
        assert_eq!(paths(&code), ["/in-vec"]);
        let route = &code.routes[0];
        assert_eq!(&text[route.span.start..route.span.end], "\"/in-vec\"");
        // The `select!` body is not a list of expressions, so its call is not read.
        assert_eq!(code.http_clients.len(), 1);
        let client = &code.http_clients[0];
        assert_eq!(&text[client.span.start..client.span.end], "reqwest::get");
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
