//! Facts of Python source files, read from the tree-sitter tree: routes of
//! FastAPI, Flask, Django, aiohttp and Starlette applications, gRPC servers
//! and their health service, telemetry libraries, requests/httpx/urllib
//! calls and clients, and Alembic and Django migrations.

use std::collections::BTreeSet;

use opslint_core::{SourceFile, Span};
use opslint_syntax::Children;
use opslint_syntax::python::PythonFile;
use tree_sitter::Node;

use crate::service::{
    CodeFile, Down, HttpClient, Migration, Mount, Route, Server, Telemetry, TelemetryKind, Timeout,
};

/// Decorator and method names that register a route with a path as the
/// first argument.
const ROUTE_METHODS: [&str; 14] = [
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "head",
    "options",
    "route",
    "api_route",
    "websocket",
    "add_url_rule",
    "add_api_route",
    "add_route",
    "add_websocket_route",
];

/// aiohttp `router.add_get("/p", handler)` and its siblings.
const AIOHTTP_ADD: [&str; 7] = [
    "add_get",
    "add_post",
    "add_put",
    "add_delete",
    "add_patch",
    "add_head",
    "add_view",
];

const REQUESTS_VERBS: [&str; 8] = [
    "get", "post", "put", "delete", "patch", "head", "options", "request",
];

pub fn extract(file: &SourceFile, parsed: PythonFile) -> CodeFile {
    let mut code = CodeFile::default();
    if let Some(tree) = &parsed.tree {
        let mut extractor = Extractor {
            code: &mut code,
            text: &file.text,
            path: &file.path,
            ancestors: Vec::new(),
            sessions: BTreeSet::new(),
            lambda_event_handler: false,
            cli_library: false,
        };
        extractor.walk(tree.root_node());
        extractor.migration(tree.root_node());
        // Powertools resolvers route API Gateway, ALB and function URL
        // events inside a Lambda function. No process listens, so the
        // file's routes make no server to probe or instrument as one.
        let cli_library = extractor.cli_library;
        if extractor.lambda_event_handler {
            code.routes.clear();
            code.mounts.clear();
        }
        code.command_line = cli_library
            && has_main_guard(&file.text)
            && code.servers.is_empty()
            && code.routes.is_empty();
    }
    code.tree = parsed.tree;
    code
}

/// The symbol ids of the node kinds that [`Extractor::walk`] acts on, so
/// that it compares numbers at every node of every file.
struct WalkedKinds {
    call: u16,
    imports: [u16; 2],
    assignment: u16,
    with_item: u16,
    /// Field ids, 0 where the grammar has no such field: looking a field up
    /// by name compares it with every field name of the grammar.
    field_alias: u16,
    field_arguments: u16,
    field_body: u16,
    field_function: u16,
    field_left: u16,
    field_module_name: u16,
    field_name: u16,
    field_right: u16,
    field_value: u16,
}

fn walked_kinds() -> &'static WalkedKinds {
    static KINDS: std::sync::OnceLock<WalkedKinds> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let language = opslint_syntax::python::language();
        let id = |name: &str| language.id_for_node_kind(name, true);
        let field = |name: &str| {
            language
                .field_id_for_name(name)
                .map_or(0, std::num::NonZeroU16::get)
        };
        WalkedKinds {
            call: id("call"),
            imports: [id("import_statement"), id("import_from_statement")],
            assignment: id("assignment"),
            with_item: id("with_item"),
            field_alias: field("alias"),
            field_arguments: field("arguments"),
            field_body: field("body"),
            field_function: field("function"),
            field_left: field("left"),
            field_module_name: field("module_name"),
            field_name: field("name"),
            field_right: field("right"),
            field_value: field("value"),
        }
    })
}

struct Extractor<'c, 'tree> {
    code: &'c mut CodeFile,
    /// The ancestors of the node the walk is at, root first. They are kept
    /// because tree-sitter finds a node's parent by walking down from the
    /// root.
    ancestors: Vec<Node<'tree>>,
    text: &'c str,
    path: &'c str,
    /// Names bound to a `requests.Session()`.
    sessions: BTreeSet<String>,
    /// The file imports Powertools' `event_handler`, whose routes run
    /// inside a Lambda function.
    lambda_event_handler: bool,
    /// The file imports a command-line argument parser.
    cli_library: bool,
}

fn span(node: Node) -> Span {
    Span::from(node.byte_range())
}

impl<'c, 'tree> Extractor<'c, 'tree> {
    fn text_of(&self, node: Node) -> &'c str {
        node.utf8_text(self.text.as_bytes()).unwrap_or("")
    }

    /// Returns the value of a plain string literal, `None` for f-strings and
    /// anything that is not a literal.
    fn string_value(&self, node: Node) -> Option<String> {
        if node.kind() != "string" {
            return None;
        }
        let mut cursor = node.walk();
        let mut value = String::new();
        for child in node.children(&mut cursor) {
            match child.kind() {
                "string_start" if self.text_of(child).to_ascii_lowercase().contains('f') => {
                    return None;
                }
                "string_content" => value.push_str(self.text_of(child)),
                "interpolation" => return None,
                _ => {}
            }
        }
        Some(value)
    }

    fn positional<'t>(&self, arguments: Node<'t>, index: usize) -> Option<Node<'t>> {
        let mut cursor = arguments.walk();
        arguments
            .named_children(&mut cursor)
            .filter(|child| child.kind() != "keyword_argument" && child.kind() != "comment")
            .nth(index)
    }

    fn keyword<'t>(&self, arguments: Node<'t>, name: &str) -> Option<Node<'t>> {
        let mut cursor = arguments.walk();
        arguments
            .named_children(&mut cursor)
            .filter(|child| child.kind() == "keyword_argument")
            .find(|child| {
                child
                    .child_by_field_id(walked_kinds().field_name)
                    .is_some_and(|n| self.text_of(n) == name)
            })
            .and_then(|child| child.child_by_field_id(walked_kinds().field_value))
    }

    fn has_kwargs_splat(&self, arguments: Node) -> bool {
        let mut cursor = arguments.walk();
        arguments
            .named_children(&mut cursor)
            .any(|child| child.kind() == "dictionary_splat")
    }

    /// Visits every node in document order, without recursion, so deep
    /// nesting cannot exhaust the stack. Each pending node carries its depth,
    /// which is the number of kept ancestors that are its own.
    fn walk(&mut self, root: Node<'tree>) {
        let kinds = walked_kinds();
        let mut pending = vec![(root, 0)];
        let mut children = Vec::new();
        self.ancestors.clear();
        while let Some((node, depth)) = pending.pop() {
            self.ancestors.truncate(depth);
            let kind = node.kind_id();
            if kind == kinds.call {
                self.call(node);
            } else if kinds.imports.contains(&kind) {
                self.import(node);
            } else if kind == kinds.assignment {
                self.assignment(node);
            } else if kind == kinds.with_item {
                self.with_item(node);
            }
            children.extend(Children::all(node));
            if !children.is_empty() {
                self.ancestors.push(node);
                pending.extend(children.drain(..).rev().map(|child| (child, depth + 1)));
            }
        }
    }

    /// Returns the ancestor `levels` above the node the walk is at, where 1
    /// is its parent.
    fn ancestor(&self, levels: usize) -> Option<Node<'tree>> {
        let index = self.ancestors.len().checked_sub(levels)?;
        self.ancestors.get(index).copied()
    }

    fn import(&mut self, node: Node) {
        let modules: Vec<String> = if node.kind() == "import_from_statement" {
            node.child_by_field_id(walked_kinds().field_module_name)
                .map(|m| vec![self.text_of(m).to_string()])
                .unwrap_or_default()
        } else {
            let mut cursor = node.walk();
            node.children_by_field_name("name", &mut cursor)
                .map(|n| {
                    let text = self.text_of(n);
                    text.split(" as ").next().unwrap_or(text).trim().to_string()
                })
                .collect()
        };
        let full = self.text_of(node).to_string();
        for module in modules {
            if module.starts_with("aws_lambda_powertools.event_handler") {
                self.lambda_event_handler = true;
            }
            let root = module.split('.').next().unwrap_or(&module);
            if matches!(root, "argparse" | "click" | "typer" | "fire" | "docopt") {
                self.cli_library = true;
            }
            for (kind, library) in telemetry_of_module(&module, &full) {
                self.code.telemetry.push(Telemetry {
                    kind,
                    library,
                    span: span(node),
                });
            }
        }
    }

    /// Records `name = requests.Session()` so calls on `name` are checked,
    /// and module- or class-level string constants.
    fn assignment(&mut self, node: Node) {
        let (Some(left), Some(right)) = (
            node.child_by_field_id(walked_kinds().field_left),
            node.child_by_field_id(walked_kinds().field_right),
        ) else {
            return;
        };
        // The walk is at the assignment: its parent is the statement, and
        // the statement's parent the scope.
        let at_top_or_class = || {
            self.ancestor(2).is_some_and(|scope| {
                scope.kind() == "module"
                    || scope.kind() == "block"
                        && self
                            .ancestor(3)
                            .is_some_and(|p| p.kind() == "class_definition")
            })
        };
        if left.kind() == "identifier"
            && let Some(value) = self.string_value(right)
            && at_top_or_class()
        {
            let name = self.text_of(left).to_string();
            self.code.string_constants.push((name, value));
        }
        if right.kind() == "call"
            && let Some(function) = right.child_by_field_id(walked_kinds().field_function)
            && matches!(
                self.text_of(function),
                "requests.Session" | "requests.session" | "Session"
            )
        {
            self.sessions.insert(self.text_of(left).to_string());
        }
    }

    fn with_item(&mut self, node: Node) {
        let Some(value) = node.child_by_field_id(walked_kinds().field_value) else {
            return;
        };
        if value.kind() == "as_pattern"
            && let Some(call) = value.named_child(0)
            && call.kind() == "call"
            && let Some(function) = call.child_by_field_id(walked_kinds().field_function)
            && matches!(
                self.text_of(function),
                "requests.Session" | "requests.session"
            )
            && let Some(alias) = value.child_by_field_id(walked_kinds().field_alias)
        {
            self.sessions.insert(self.text_of(alias).trim().to_string());
        }
    }

    fn call(&mut self, node: Node) {
        let (Some(function), Some(arguments)) = (
            node.child_by_field_id(walked_kinds().field_function),
            node.child_by_field_id(walked_kinds().field_arguments),
        ) else {
            return;
        };
        if arguments.kind() != "argument_list" {
            return;
        }
        let callee = self.text_of(function);
        let (object, name) = callee.rsplit_once('.').unwrap_or(("", callee));
        let first = self.positional(arguments, 0);

        self.server_call(callee, name, node, function);
        self.route_call(object, name, arguments, first, function);
        self.mount_call(object, name, arguments, first, function);
        self.client_call(callee, object, name, arguments, node);
        if name == "add_HealthServicer_to_server" {
            self.code.grpc_health.push(span(function));
        }
    }

    fn server_call(&mut self, callee: &str, name: &str, node: Node, function: Node) {
        let framework = match (callee, name) {
            (_, "FastAPI") => "fastapi",
            (_, "Flask") => "flask",
            (_, "Starlette") => "starlette",
            ("web.Application" | "aiohttp.web.Application", _) => "aiohttp",
            ("grpc.server" | "grpc.aio.server" | "aio.server", _) => "grpc",
            ("web.run_app", _) => "aiohttp",
            ("get_wsgi_application" | "get_asgi_application", _) => "django",
            _ => return,
        };
        let _ = node;
        self.code.servers.push(Server {
            framework,
            span: span(function),
        });
    }

    fn route_call(
        &mut self,
        object: &str,
        name: &str,
        arguments: Node,
        first: Option<Node>,
        function: Node,
    ) {
        let is_django_urls = self.path.ends_with("urls.py");
        let framework =
            if is_django_urls && matches!(name, "path" | "re_path" | "url") && object.is_empty() {
                "django"
            } else if !object.is_empty()
                && (ROUTE_METHODS.contains(&name) || AIOHTTP_ADD.contains(&name))
            {
                // `requests.get(...)` and `session.get(...)` are client calls,
                // and `dict.get(...)` reads a key: only decorators and calls on
                // objects that look like applications or routers count.
                // The walk is at the call of `function`.
                let is_route_target = self
                    .ancestor(1)
                    .is_some_and(|parent| parent.kind() == "decorator")
                    || name != "get"
                        && !matches!(
                            name,
                            "post" | "put" | "delete" | "patch" | "head" | "options"
                        )
                    || object.ends_with("router")
                    || object == "web"
                    || object == "routes";
                if !is_route_target || self.is_client_object(object) {
                    return;
                }
                "python"
            } else if object.is_empty() && matches!(name, "Route" | "WebSocketRoute") {
                "starlette"
            } else {
                return;
            };
        // aiohttp `add_route("GET", "/p", handler)` puts the method first.
        let path_node = if name == "add_route"
            && first.is_some_and(|f| {
                self.string_value(f).is_some_and(|v| {
                    !v.starts_with('/') && v.chars().all(|c| c.is_ascii_uppercase() || c == '*')
                })
            }) {
            self.positional(arguments, 1)
        } else {
            first
        };
        let Some(path_node) = path_node
            .or_else(|| self.keyword(arguments, "path"))
            .or_else(|| self.keyword(arguments, "rule"))
        else {
            return;
        };
        let mut path = self.string_value(path_node);
        if framework == "django" {
            let is_include = self
                .positional(arguments, 1)
                .is_some_and(|view| self.text_of(view).starts_with("include("));
            path = path.map(|p| {
                let p = p.trim_start_matches('^').trim_end_matches('$');
                format!("/{p}")
            });
            if is_include {
                self.code.mounts.push(Mount {
                    prefix: path,
                    source: self.text_of(path_node).to_string(),
                    span: span(path_node),
                    on_router: false,
                    router: None,
                    parent: None,
                });
                return;
            }
            self.code.servers.push(Server {
                framework: "django",
                span: span(function),
            });
        }
        // aiohttp routes sit on the application's router (`app.router`),
        // and the application is what `add_subapp` mounts.
        let router = if AIOHTTP_ADD.contains(&name) || name == "add_route" {
            object.strip_suffix(".router").unwrap_or(object)
        } else {
            object
        };
        self.code.routes.push(Route {
            path,
            framework,
            span: span(path_node),
            router: (framework == "python").then(|| router.to_string()),
        });
    }

    fn mount_call(
        &mut self,
        object: &str,
        name: &str,
        arguments: Node,
        first: Option<Node>,
        function: Node,
    ) {
        let prefix_node = match name {
            "include_router" | "APIRouter" => self.keyword(arguments, "prefix"),
            "Blueprint" | "register_blueprint" => self.keyword(arguments, "url_prefix"),
            "Mount" | "add_subapp" | "mount" => first,
            _ => return,
        };
        let (router, parent) = match name {
            "include_router" => (
                self.positional(arguments, 0)
                    .or_else(|| self.keyword(arguments, "router")),
                object,
            ),
            "register_blueprint" => (
                self.positional(arguments, 0)
                    .or_else(|| self.keyword(arguments, "blueprint")),
                object,
            ),
            "Mount" | "add_subapp" | "mount" => (
                self.positional(arguments, 1)
                    .or_else(|| self.keyword(arguments, "app")),
                object,
            ),
            _ => (None, ""),
        };
        // A `StaticFiles` mount serves files, not routes of the code, so it
        // is left out and does not stop includes from being linked.
        if router.is_some_and(|app| self.is_static_files(app)) {
            return;
        }
        let on_router = matches!(name, "APIRouter" | "Blueprint");
        let router = if on_router {
            self.assigned_name(function)
        } else {
            router.and_then(|node| self.object_name(node))
        };
        let parent = (!parent.is_empty()).then(|| parent.to_string());
        let Some(prefix_node) = prefix_node else {
            // A router included without a prefix is served at its own
            // paths, which `Service::serves` needs to know once other
            // routers are included under a prefix.
            if matches!(name, "include_router" | "register_blueprint") {
                self.code.mounts.push(Mount {
                    prefix: Some(String::new()),
                    source: String::new(),
                    span: span(function),
                    on_router: false,
                    router,
                    parent,
                });
            }
            return;
        };
        self.code.mounts.push(Mount {
            prefix: self.string_value(prefix_node),
            source: self.text_of(prefix_node).to_string(),
            span: span(prefix_node),
            on_router,
            router,
            parent,
        });
    }

    /// Returns the text of a name or a dotted name (`orders_bp`,
    /// `users.router`), `None` for calls and other expressions.
    fn object_name(&self, node: Node) -> Option<String> {
        matches!(node.kind(), "identifier" | "attribute").then(|| self.text_of(node).to_string())
    }

    /// Returns the name that the call of `function` is assigned to, as in
    /// `router = APIRouter(prefix="/ops")`.
    /// The walk is at the call of `function`.
    fn assigned_name(&self, function: Node) -> Option<String> {
        let assignment = self.ancestor(1).filter(|p| p.kind() == "assignment")?;
        let call = assignment.child_by_field_id(walked_kinds().field_right)?;
        if call.child_by_field_id(walked_kinds().field_function)? != function {
            return None;
        }
        self.object_name(assignment.child_by_field_id(walked_kinds().field_left)?)
    }

    /// Checks whether a mounted application is Starlette's `StaticFiles`.
    fn is_static_files(&self, app: Node) -> bool {
        app.kind() == "call"
            && app
                .child_by_field_id(walked_kinds().field_function)
                .is_some_and(|f| self.text_of(f).rsplit('.').next() == Some("StaticFiles"))
    }

    fn is_client_object(&self, object: &str) -> bool {
        matches!(
            object,
            "requests" | "httpx" | "session" | "client" | "http" | "self.session" | "self.client"
        ) || self.sessions.contains(object)
    }

    fn client_call(&mut self, callee: &str, object: &str, name: &str, arguments: Node, node: Node) {
        let timeout_node = self.keyword(arguments, "timeout");
        let splat = self.has_kwargs_splat(arguments);
        let timeout_of = |this: &Self, missing: Timeout| match timeout_node {
            Some(value) if this.text_of(value) == "None" => Timeout::Disabled,
            Some(_) => Timeout::Set,
            None if splat => {
                Timeout::Unclear("the keyword arguments come from a `**` mapping".into())
            }
            None => missing,
        };
        let timeout = if object == "requests" && REQUESTS_VERBS.contains(&name) {
            timeout_of(self, Timeout::Missing)
        } else if self.sessions.contains(object) && REQUESTS_VERBS.contains(&name) {
            if self.session_has_default_timeout(object) {
                Timeout::Set
            } else {
                timeout_of(self, Timeout::Missing)
            }
        } else if matches!(
            callee,
            "urllib.request.urlopen" | "request.urlopen" | "urlopen"
        ) {
            // The `timeout` of `urlopen` may also be its third positional
            // argument.
            if self.positional(arguments, 2).is_some() {
                Timeout::Set
            } else {
                timeout_of(self, Timeout::Missing)
            }
        } else if (object == "httpx" && REQUESTS_VERBS.contains(&name))
            || matches!(callee, "httpx.Client" | "httpx.AsyncClient")
        {
            // httpx applies a five-second default, so only an explicit
            // `timeout=None` removes it.
            timeout_of(self, Timeout::Set)
        } else {
            return;
        };
        self.code.http_clients.push(HttpClient {
            call: callee.to_string(),
            timeout,
            span: span(
                node.child_by_field_id(walked_kinds().field_function)
                    .unwrap_or(node),
            ),
        });
    }

    /// Whether the file gives `session` a default timeout: a `request`
    /// wrapper (`functools.partial(session.request, timeout=...)`) or an
    /// adapter class that sets one.
    fn session_has_default_timeout(&self, session: &str) -> bool {
        let wrapper = format!("{session}.request");
        self.text
            .lines()
            .any(|line| line.contains(&wrapper) && line.contains("timeout"))
            || self.text.contains("HTTPAdapter") && self.text.contains("timeout")
    }

    /// Alembic revisions (`upgrade`/`downgrade` functions) and Django
    /// migrations (`RunPython` and `RunSQL` operations).
    fn migration(&mut self, root: Node) {
        let mut cursor = root.walk();
        let top: Vec<Node> = root.named_children(&mut cursor).collect();
        let function = |name: &str| {
            top.iter().copied().find(|node| {
                node.kind() == "function_definition"
                    && node
                        .child_by_field_id(walked_kinds().field_name)
                        .is_some_and(|n| self.text_of(n) == name)
            })
        };
        let is_alembic = self.text.contains("revision") && self.text.contains("alembic")
            || self.path.contains("/versions/");
        if let Some(upgrade) = function("upgrade")
            && is_alembic
        {
            let name_span = upgrade
                .child_by_field_id(walked_kinds().field_name)
                .map_or(span(upgrade), span);
            let down = match function("downgrade") {
                None => Down::Missing {
                    what: "there is no `downgrade()` function".into(),
                    span: name_span,
                },
                Some(downgrade) if self.body_is_empty(downgrade) => Down::Missing {
                    what: "`downgrade()` does nothing".into(),
                    span: downgrade
                        .child_by_field_id(walked_kinds().field_name)
                        .map_or(span(downgrade), span),
                },
                Some(_) => Down::Present,
            };
            self.code.migration = Some(Migration {
                tool: "alembic",
                span: name_span,
                down,
            });
            return;
        }
        if self.path.contains("/migrations/") && self.text.contains("migrations.Migration") {
            let mut stack = vec![root];
            let mut down = Down::Present;
            while let Some(node) = stack.pop() {
                if node.kind() == "call"
                    && let (Some(function), Some(arguments)) = (
                        node.child_by_field_id(walked_kinds().field_function),
                        node.child_by_field_id(walked_kinds().field_arguments),
                    )
                {
                    let name = self.text_of(function).rsplit('.').next().unwrap_or("");
                    let (reverse, position) = match name {
                        "RunPython" => ("reverse_code", 1),
                        "RunSQL" => ("reverse_sql", 1),
                        _ => ("", 0),
                    };
                    if !reverse.is_empty()
                        && self.keyword(arguments, reverse).is_none()
                        && self.positional(arguments, position).is_none()
                        && down == Down::Present
                    {
                        down = Down::Missing {
                            what: format!("`{name}` has no `{reverse}`"),
                            span: span(function),
                        };
                    }
                }
                let mut cursor = node.walk();
                let children: Vec<Node> = node.children(&mut cursor).collect();
                stack.extend(children.into_iter().rev());
            }
            let anchor = match &down {
                Down::Missing { span, .. } => *span,
                Down::Present => Span::default(),
            };
            self.code.migration = Some(Migration {
                tool: "django",
                span: anchor,
                down,
            });
        }
    }

    /// Checks whether a function's body is only `pass`, `...` and docstrings.
    fn body_is_empty(&self, function: Node) -> bool {
        let Some(body) = function.child_by_field_id(walked_kinds().field_body) else {
            return true;
        };
        let mut cursor = body.walk();
        body.named_children(&mut cursor)
            .all(|statement| match statement.kind() {
                "pass_statement" | "comment" => true,
                "expression_statement" => statement
                    .named_child(0)
                    .is_some_and(|e| matches!(e.kind(), "string" | "ellipsis")),
                _ => false,
            })
    }
}

/// Returns whether the module has a top-level `if __name__ == "__main__":`,
/// which runs code when it is started as a program.
fn has_main_guard(text: &str) -> bool {
    text.lines().any(|line| {
        line.strip_prefix("if __name__ ==")
            .or_else(|| line.strip_prefix("if __name__=="))
            .is_some_and(|rest| rest.contains("__main__"))
    })
}

/// Maps an imported `module` to the telemetry it provides. `statement` is
/// the whole import, so `from opentelemetry import metrics` counts as metrics.
fn telemetry_of_module(module: &str, statement: &str) -> Vec<(TelemetryKind, String)> {
    let root = module.split('.').next().unwrap_or(module);
    let mut found = Vec::new();
    match root {
        "opentelemetry" => {
            if module.contains("metric") || statement.contains("metrics") {
                found.push((TelemetryKind::Metrics, "opentelemetry metrics".to_string()));
            }
            if !module.contains("metric") && !module.contains("_logs") {
                found.push((TelemetryKind::Tracing, "opentelemetry".to_string()));
            }
        }
        "aws_xray_sdk" | "ddtrace" | "opencensus" | "jaeger_client" | "zipkin" | "py_zipkin" => {
            found.push((TelemetryKind::Tracing, root.to_string()));
        }
        "prometheus_client"
        | "statsd"
        | "datadog"
        | "aioprometheus"
        | "prometheus_fastapi_instrumentator"
        | "starlette_exporter"
        | "prometheus_flask_exporter"
        | "django_prometheus"
        | "pystatsd" => {
            found.push((TelemetryKind::Metrics, root.to_string()));
        }
        "logging" | "structlog" | "loguru" | "pythonjsonlogger" | "logger" => {
            found.push((TelemetryKind::Logging, root.to_string()));
        }
        // Powertools' Tracer records X-Ray traces, its Metrics CloudWatch
        // embedded metrics, and its Logger structured logs.
        "aws_lambda_powertools" => {
            let names = statement.rsplit(" import ").next().unwrap_or("");
            let imports = |class: &str, submodule: &str| {
                module.ends_with(submodule) || names.split([',', ' ', '(', ')']).any(|n| n == class)
            };
            if imports("Tracer", ".tracing") {
                found.push((
                    TelemetryKind::Tracing,
                    "aws_lambda_powertools tracer".to_string(),
                ));
            }
            if imports("Metrics", ".metrics") {
                found.push((
                    TelemetryKind::Metrics,
                    "aws_lambda_powertools metrics".to_string(),
                ));
            }
            if imports("Logger", ".logging") {
                found.push((
                    TelemetryKind::Logging,
                    "aws_lambda_powertools logger".to_string(),
                ));
            }
        }
        _ => {}
    }
    found
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn facts(path: &str, text: &str) -> CodeFile {
        let file = SourceFile::new(path.into(), PathBuf::from(path), text.into());
        extract(&file, opslint_syntax::python::parse(&file.text))
    }

    #[test]
    fn fastapi_routes_and_prefixes() {
        let code = facts(
            "app/main.py",
            "from fastapi import FastAPI, APIRouter\nrouter = APIRouter(prefix=\"/utils\")\n\
             @router.get(\"/health-check/\")\ndef h(): return True\napp = FastAPI()\n\
             app.include_router(router, prefix=settings.API_V1_STR)\n",
        );
        assert_eq!(code.routes[0].path.as_deref(), Some("/health-check/"));
        assert_eq!(code.mounts[0].prefix.as_deref(), Some("/utils"));
        assert_eq!(code.mounts[1].prefix, None);
        assert_eq!(code.servers[0].framework, "fastapi");
    }

    #[test]
    fn requests_and_session_timeouts() {
        let code = facts(
            "app.py",
            "import requests, httpx\nrequests.get(u)\nrequests.get(u, timeout=5)\n\
             s = requests.Session()\ns.post(u)\nhttpx.get(u)\nhttpx.Client(timeout=None)\n\
             config = {}\nconfig.get('a')\n",
        );
        let timeouts: Vec<_> = code
            .http_clients
            .iter()
            .map(|c| c.timeout.clone())
            .collect();
        assert_eq!(
            timeouts,
            [
                Timeout::Missing,
                Timeout::Set,
                Timeout::Missing,
                Timeout::Set,
                Timeout::Disabled
            ]
        );
        assert!(code.routes.is_empty());
    }

    #[test]
    fn django_urls_and_includes() {
        let code = facts(
            "shop/urls.py",
            "urlpatterns = [path(\"healthz/\", views.h), path(\"api/\", include(\"api.urls\"))]\n",
        );
        assert_eq!(code.routes[0].path.as_deref(), Some("/healthz/"));
        assert_eq!(code.mounts[0].prefix.as_deref(), Some("/api/"));
    }

    #[test]
    fn alembic_downgrade_states() {
        let missing = facts(
            "alembic/versions/1_a.py",
            "revision = 'a'\ndef upgrade():\n    op.add_column()\n",
        );
        assert!(matches!(
            missing.migration.unwrap().down,
            Down::Missing { .. }
        ));
        let empty = facts(
            "alembic/versions/2_b.py",
            "revision = 'b'\ndef upgrade():\n    op.x()\ndef downgrade():\n    pass\n",
        );
        assert!(matches!(
            empty.migration.unwrap().down,
            Down::Missing { .. }
        ));
        let present = facts(
            "alembic/versions/3_c.py",
            "revision = 'c'\ndef upgrade():\n    op.x()\ndef downgrade():\n    op.y()\n",
        );
        assert_eq!(present.migration.unwrap().down, Down::Present);
    }

    #[test]
    fn grpc_health_servicer_counts() {
        let code = facts(
            "server.py",
            "server = grpc.server(pool)\nhealth_pb2_grpc.add_HealthServicer_to_server(s, server)\n",
        );
        assert_eq!(code.grpc_health.len(), 1);
        assert_eq!(code.servers[0].framework, "grpc");
    }

    fn paths(code: &CodeFile) -> Vec<String> {
        code.routes.iter().filter_map(|r| r.path.clone()).collect()
    }

    #[test]
    fn flask_blueprint_prefix() {
        let code = facts(
            "ops.py",
            "from flask import Blueprint\nops = Blueprint(\"ops\", __name__, url_prefix=\"/ops\")\n\
             @ops.route(\"/healthz\")\ndef healthz(): return \"ok\"\n",
        );
        assert_eq!(paths(&code), ["/healthz"]);
        assert_eq!(code.mounts[0].prefix.as_deref(), Some("/ops"));
    }

    /// Returns each mount as `(prefix, router, parent)`.
    fn mount_links(code: &CodeFile) -> Vec<(Option<&str>, Option<&str>, Option<&str>)> {
        code.mounts
            .iter()
            .map(|m| {
                (
                    m.prefix.as_deref(),
                    m.router.as_deref(),
                    m.parent.as_deref(),
                )
            })
            .collect()
    }

    #[test]
    fn routes_and_mounts_name_their_routers() {
        let code = facts(
            "app.py",
            "health_bp = Blueprint(\"health\", __name__)\n\
             ops: APIRouter = APIRouter(prefix=\"/ops\")\n\
             @health_bp.route(\"/healthz\")\ndef healthz(): return \"ok\"\n\
             @app.get(\"/ready\")\ndef ready(): return \"ok\"\n\
             app.register_blueprint(health_bp)\n\
             app.register_blueprint(make_bp(), url_prefix=\"/api\")\n\
             api_router.include_router(users.router, prefix=\"/users\")\n",
        );
        let routers: Vec<Option<&str>> = code.routes.iter().map(|r| r.router.as_deref()).collect();
        assert_eq!(routers, [Some("health_bp"), Some("app")]);
        assert_eq!(
            mount_links(&code),
            [
                (Some("/ops"), Some("ops"), None),
                (Some(""), Some("health_bp"), Some("app")),
                (Some("/api"), None, Some("app")),
                (Some("/users"), Some("users.router"), Some("api_router")),
            ]
        );
        assert!(code.mounts[0].on_router);
        assert!(!code.mounts[1].on_router);
    }

    #[test]
    fn subapps_link_and_static_files_do_not_mount() {
        let code = facts(
            "server.py",
            "from aiohttp import web\napp = web.Application()\napi = web.Application()\n\
             api.router.add_get(\"/orders\", orders)\napp.add_subapp(\"/api\", api)\n\
             fastapi_app.mount(\"/static\", StaticFiles(directory=\"static\"))\n",
        );
        let routers: Vec<Option<&str>> = code.routes.iter().map(|r| r.router.as_deref()).collect();
        assert_eq!(routers, [Some("api")]);
        assert_eq!(
            mount_links(&code),
            [(Some("/api"), Some("api"), Some("app"))]
        );
    }

    #[test]
    fn aiohttp_and_starlette_routes() {
        let aiohttp = facts(
            "server.py",
            "from aiohttp import web\napp = web.Application()\n\
             app.router.add_get(\"/health\", health)\n\
             app.add_routes([web.get(\"/orders\", orders)])\n\
             app.router.add_route(\"GET\", \"/ready\", ready)\n",
        );
        assert_eq!(paths(&aiohttp), ["/health", "/orders", "/ready"]);
        assert_eq!(aiohttp.servers[0].framework, "aiohttp");

        let starlette = facts(
            "app.py",
            "app = Starlette(routes=[Route(\"/livez\", live), Mount(\"/api\", routes=api)])\n",
        );
        assert_eq!(paths(&starlette), ["/livez"]);
        assert_eq!(starlette.mounts[0].prefix.as_deref(), Some("/api"));
    }

    #[test]
    fn locust_client_calls_are_not_routes() {
        let code = facts(
            "locustfile.py",
            "def index(l):\n    l.client.get(\"/\")\n    l.client.post(\"/cart\", {})\n",
        );
        assert!(code.routes.is_empty());
        assert!(code.http_clients.is_empty());
    }

    #[test]
    fn powertools_resolver_routes_are_not_served() {
        let code = facts(
            "handler.py",
            "from aws_lambda_powertools import Metrics, Tracer\n\
             from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n\
             app = APIGatewayRestResolver()\n\
             @app.get(\"/orders\")\ndef list_orders():\n    return []\n",
        );
        assert!(code.routes.is_empty());
        let kinds: Vec<TelemetryKind> = code.telemetry.iter().map(|t| t.kind).collect();
        assert_eq!(kinds, [TelemetryKind::Tracing, TelemetryKind::Metrics]);
    }

    #[test]
    fn command_line_programs_are_marked() {
        let program = "import argparse\n\ndef main():\n    print(argparse.ArgumentParser())\n\n\
                       if __name__ == \"__main__\":\n    main()\n";
        assert!(facts("tool.py", program).command_line);
        let without_guard = "import click\n\n@click.command()\ndef main():\n    print(1)\n";
        assert!(!facts("tool.py", without_guard).command_line);
        let server = "import argparse\nfrom flask import Flask\napp = Flask(__name__)\n\
                      if __name__ == \"__main__\":\n    app.run()\n";
        assert!(!facts("server.py", server).command_line);
    }

    #[test]
    fn powertools_submodule_imports_are_telemetry() {
        let code = facts(
            "handler.py",
            "from aws_lambda_powertools.logging import Logger\n\
             from aws_lambda_powertools.tracing import Tracer\n",
        );
        let kinds: Vec<TelemetryKind> = code.telemetry.iter().map(|t| t.kind).collect();
        assert_eq!(kinds, [TelemetryKind::Logging, TelemetryKind::Tracing]);
    }

    #[test]
    fn telemetry_imports() {
        let code = facts(
            "app.py",
            "import structlog\nfrom prometheus_client import Counter\n\
             from opentelemetry import trace, metrics\nfrom aws_xray_sdk.core import xray_recorder\n",
        );
        let kinds: Vec<TelemetryKind> = code.telemetry.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [
                TelemetryKind::Logging,
                TelemetryKind::Metrics,
                TelemetryKind::Metrics,
                TelemetryKind::Tracing,
                TelemetryKind::Tracing
            ]
        );
    }

    #[test]
    fn string_constants_at_module_and_class_level() {
        let code = facts(
            "config.py",
            "PREFIX = \"/api\"\nclass Settings:\n    API_V1_STR: str = \"/api/v1\"\n\
             def f():\n    local = \"/x\"\n",
        );
        assert_eq!(
            code.string_constants,
            [
                ("PREFIX".to_string(), "/api".to_string()),
                ("API_V1_STR".to_string(), "/api/v1".to_string())
            ]
        );
    }
}
