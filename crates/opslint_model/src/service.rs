//! Facts about application code: the HTTP and gRPC routes a file serves, the
//! telemetry libraries it uses, the HTTP clients it builds and the database
//! migrations it defines. Extraction lives in `rust_code.rs` and
//! `python_code.rs`. This module contains the shared types and groups
//! files into services.

use std::collections::BTreeMap;

use opslint_core::{ArtifactKind, Span};
use opslint_syntax::SyntaxError;

use crate::{Artifact, Facts};

pub use crate::routing::{Served, join_route, path_matches};

/// The facts of one Rust or Python source file.
#[derive(Debug, Default)]
pub struct CodeFile {
    pub routes: Vec<Route>,
    pub mounts: Vec<Mount>,
    /// Places that create an HTTP or gRPC server or application object.
    pub servers: Vec<Server>,
    /// Registrations of the standard gRPC health checking service.
    pub grpc_health: Vec<Span>,
    /// Marks a Python command-line program, which parses arguments with a
    /// CLI library, runs under `if __name__ == "__main__":` and serves
    /// nothing. Its output to the terminal is its purpose, not a log.
    pub command_line: bool,
    pub telemetry: Vec<Telemetry>,
    pub http_clients: Vec<HttpClient>,
    pub migration: Option<Migration>,
    /// Names assigned a plain string literal at module or class level, such
    /// as `API_V1_STR: str = "/api/v1"`, for resolving mount prefixes.
    pub string_constants: Vec<(String, String)>,
    /// The syntax error of a Rust file that does not compile, whose facts
    /// come from tree-sitter's recovered tree and may be incomplete.
    pub fallback: Option<SyntaxError>,
    /// The tree-sitter tree, kept only until the file phase has run the
    /// declarative rules' queries on it. The run then drops it, because
    /// trees are the largest part of a code file's memory.
    pub tree: Option<tree_sitter::Tree>,
    /// Matches of the declarative rules' queries, found in the file phase.
    pub query_matches: Vec<QueryMatch>,
}

/// One match of a declarative rule's tree-sitter query, outside test code,
/// with its message and label already filled in from the captures.
#[derive(Debug, Clone)]
pub struct QueryMatch {
    /// The id of the rule whose query matched.
    pub rule: &'static str,
    pub span: Span,
    /// The enclosing function, or the empty string at module level.
    pub location: String,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
    /// The code that a `@scope` capture names, such as a whole `except`
    /// clause: a suppression comment on any of its lines covers the finding.
    pub scope: Option<Span>,
}

/// A route a web framework serves.
#[derive(Debug, Clone)]
pub struct Route {
    /// The path as written, without the prefixes of the routers that mount
    /// it. A path given as a variable is `None`.
    pub path: Option<String>,
    pub framework: &'static str,
    pub span: Span,
    /// The application or router object the route is declared on, as
    /// written (`health_bp` for `@health_bp.route(...)`, `app` for
    /// `@app.get(...)`). `None` when the code names no object, as for
    /// Starlette `Route(...)`, Django and Rust routes.
    pub router: Option<String>,
}

/// A prefix under which a router, blueprint or scope is mounted.
#[derive(Debug, Clone)]
pub struct Mount {
    /// `None` when the prefix comes from a variable or a setting.
    pub prefix: Option<String>,
    /// The expression that supplies the prefix, as written.
    pub source: String,
    pub span: Span,
    /// Declared on the router itself (`APIRouter(prefix=...)`,
    /// `Blueprint(url_prefix=...)`), so it applies to the routes of that
    /// router's file rather than to a router mounted elsewhere.
    pub on_router: bool,
    /// The router object the prefix applies to, as written: the included
    /// router (`orders_bp` in `app.register_blueprint(orders_bp, ...)`,
    /// `users.router` in `app.include_router(users.router, ...)`) or the
    /// name a router with its own prefix is assigned to. `None` when the
    /// code names no object, as for `register_blueprint(make_bp())`.
    pub router: Option<String>,
    /// The object that includes the router (`app` in
    /// `app.include_router(...)`), which may itself be included elsewhere.
    pub parent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub framework: &'static str,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelemetryKind {
    Tracing,
    Metrics,
    Logging,
}

#[derive(Debug, Clone)]
pub struct Telemetry {
    pub kind: TelemetryKind,
    /// The library or construct, for example `opentelemetry` or
    /// `#[instrument]`.
    pub library: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timeout {
    Set,
    /// No timeout, and the library's default waits forever.
    Missing,
    /// Explicitly disabled, for example `timeout=None`.
    Disabled,
    /// Possibly set elsewhere, in a way the file does not show. The text
    /// explains the reason.
    Unclear(String),
}

/// An HTTP client or a one-off request.
#[derive(Debug, Clone)]
pub struct HttpClient {
    /// The called function, for example `requests.get` or `reqwest::Client::new`.
    pub call: String,
    pub timeout: Timeout,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Migration {
    pub tool: &'static str,
    pub span: Span,
    /// The state of the code that reverts the migration.
    pub down: Down,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Down {
    Present,
    /// Nothing reverts it; the text names what is missing, at `span`.
    Missing {
        what: String,
        span: Span,
    },
}

/// Dependency names declared in a `Cargo.toml`, `pyproject.toml` or
/// `requirements*.txt`, normalised to lower case with `_` as `-`.
#[derive(Debug, Default)]
pub struct DependencyManifest {
    pub dependencies: Vec<String>,
    /// The package's own name (`[package] name` of a `Cargo.toml`, the
    /// project name of a `pyproject.toml`), which images are often named
    /// after.
    pub package: Option<String>,
}

impl DependencyManifest {
    pub fn has(&self, name: &str) -> bool {
        self.dependencies.iter().any(|dep| dep == name)
    }

    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.dependencies.iter().any(|dep| dep.starts_with(prefix))
    }
}

pub fn normalise_dependency(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('_', "-")
}

/// Application code that runs a server, grouped by its project folder.
#[derive(Debug)]
pub struct Service<'a> {
    /// The folder of the nearest `Cargo.toml`, `pyproject.toml`,
    /// `requirements*.txt`, `setup.py` or `Dockerfile`, else of the file.
    pub root: String,
    /// The root relative to the git work tree's root, the same from any
    /// folder of the repository. Fingerprints and messages use it.
    pub repository_root: String,
    /// The last folder name of the root, which links an image named like
    /// it; the working folder's name when the root is that folder.
    pub folder_name: String,
    pub language: ArtifactKind,
    pub files: Vec<(&'a Artifact, &'a CodeFile)>,
    pub manifests: Vec<(&'a Artifact, &'a DependencyManifest)>,
}

impl<'a> Service<'a> {
    /// Returns the first server creation, where findings about the whole
    /// service are reported.
    pub fn anchor(&self) -> (&'a Artifact, Span) {
        for (artifact, code) in &self.files {
            if let Some(server) = code.servers.first() {
                return (artifact, server.span);
            }
        }
        for (artifact, code) in &self.files {
            if let Some(route) = code.routes.first() {
                return (artifact, route.span);
            }
        }
        (self.files[0].0, Span::default())
    }

    /// Returns the label for the span of [`Service::anchor`].
    pub fn anchor_label(&self) -> &'static str {
        if self.files.iter().any(|(_, code)| !code.servers.is_empty()) {
            "server created here"
        } else {
            "route served here"
        }
    }

    /// Returns the service folder from the repository's root in backticks,
    /// for messages. A service at the repository's root has no such folder,
    /// so it is named by [`Service::name`], and `.` when even that is unknown.
    pub fn label(&self) -> String {
        if !self.repository_root.is_empty() {
            return format!("`{}`", self.repository_root);
        }
        let name = self.name();
        if name.is_empty() {
            "`.`".to_string()
        } else {
            format!("`{name}`")
        }
    }

    /// Returns the name the service is known by: the package name of its
    /// `Cargo.toml` or `pyproject.toml`, else the Python package folder
    /// (with `__init__.py`) that creates the server, else the last folder
    /// name of the root. The name is empty when even that is unknown.
    pub fn name(&self) -> String {
        let package = self
            .manifests
            .iter()
            .find_map(|(_, manifest)| manifest.package.as_deref());
        if let Some(package) = package {
            return package.to_string();
        }
        if let Some(folder) = self.package_folder() {
            return folder.to_string();
        }
        self.folder_name.clone()
    }

    /// Returns the Python package folder directly below the root that
    /// contains the file of [`Service::anchor`]: `shop` for `shop/app.py` when
    /// `shop/__init__.py` is part of the service.
    fn package_folder(&self) -> Option<&str> {
        if self.language != ArtifactKind::Python {
            return None;
        }
        let (artifact, _) = self.anchor();
        let path = artifact.file.path.as_str();
        let below_root = match self.root.as_str() {
            "" => path,
            root => path.strip_prefix(root)?.strip_prefix('/')?,
        };
        let (folder, _) = below_root.split_once('/')?;
        let init = match self.root.as_str() {
            "" => format!("{folder}/__init__.py"),
            root => format!("{root}/{folder}/__init__.py"),
        };
        self.files
            .iter()
            .any(|(file, _)| file.file.path == init)
            .then_some(folder)
    }

    pub fn routes(&self) -> impl Iterator<Item = (&'a Artifact, &'a Route)> + '_ {
        self.files
            .iter()
            .flat_map(|(artifact, code)| code.routes.iter().map(move |route| (*artifact, route)))
    }

    pub fn mounts(&self) -> impl Iterator<Item = &'a Mount> + '_ {
        self.files.iter().flat_map(|(_, code)| code.mounts.iter())
    }

    pub fn telemetry(&self) -> impl Iterator<Item = &'a Telemetry> + '_ {
        self.files
            .iter()
            .flat_map(|(_, code)| code.telemetry.iter())
    }

    pub fn has_grpc_health(&self) -> bool {
        self.files
            .iter()
            .any(|(_, code)| !code.grpc_health.is_empty())
    }

    /// Returns the Rust files with a syntax error, whose facts may be
    /// incomplete, with the place of the error.
    pub fn fallback_files(&self) -> impl Iterator<Item = (&'a Artifact, Span)> + '_ {
        self.files.iter().filter_map(|(artifact, code)| {
            code.fallback.as_ref().map(|error| (*artifact, error.span))
        })
    }

    pub fn depends_on(&self, predicate: impl Fn(&str) -> bool) -> Option<String> {
        self.manifests
            .iter()
            .flat_map(|(_, manifest)| manifest.dependencies.iter())
            .find(|dep| predicate(dep))
            .cloned()
    }
}

/// Checks whether a file is test or tooling code rather than the code a
/// service runs.
pub fn is_test_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.split('/').any(|part| {
        matches!(
            part,
            "tests" | "test" | "benches" | "examples" | "scripts"
        )
    }) || name.starts_with("test_")
        // Django's test runner collects `tests.py`.
        || name == "tests.py"
        || name.ends_with("_test.py")
        || name.ends_with("_tests.rs")
        || name == "conftest.py"
        || name == "build.rs"
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn is_project_marker(artifact: &Artifact) -> bool {
    let name = artifact.file.path.rsplit('/').next().unwrap_or("");
    matches!(
        artifact.kind,
        ArtifactKind::CargoManifest
            | ArtifactKind::PyprojectManifest
            | ArtifactKind::PipRequirements
            | ArtifactKind::Dockerfile
    ) || name == "setup.py"
}

/// Finds the project folder of `path`: the nearest folder that contains one of
/// `markers`, else the file's own folder.
fn project_root<'p>(path: &'p str, markers: &std::collections::BTreeSet<&str>) -> &'p str {
    let mut dir = parent(path);
    loop {
        if markers.contains(dir) {
            return dir;
        }
        if dir.is_empty() {
            return parent(path);
        }
        dir = parent(dir);
    }
}

/// Groups code files by project folder and keeps the groups that create a
/// server or declare routes. Test files are left out.
pub fn services(artifacts: &[Artifact]) -> Vec<Service<'_>> {
    let working_folder = crate::WorkingFolder::default();
    group(artifacts)
        .iter()
        .map(|group| group.view(artifacts, &working_folder))
        .collect()
}

/// A service as positions in the artifact list, so the workspace can keep
/// the grouping that several rules ask for.
#[derive(Debug)]
pub(crate) struct Group {
    root: String,
    language: ArtifactKind,
    files: Vec<usize>,
    manifests: Vec<usize>,
}

impl Group {
    /// Builds the service from the artifacts the positions point at.
    pub(crate) fn view<'a>(
        &self,
        artifacts: &'a [Artifact],
        working_folder: &crate::WorkingFolder,
    ) -> Service<'a> {
        let folder_name = working_folder
            .name_of(&self.root)
            .unwrap_or_default()
            .to_string();
        let repository_root = working_folder.repository_path(&self.root);
        Service {
            root: self.root.clone(),
            repository_root,
            folder_name,
            language: self.language,
            files: self
                .files
                .iter()
                .filter_map(|&at| {
                    let artifact = artifacts.get(at)?;
                    match &artifact.facts {
                        Facts::Code(code) => Some((artifact, &**code)),
                        _ => None,
                    }
                })
                .collect(),
            manifests: self
                .manifests
                .iter()
                .filter_map(|&at| {
                    let artifact = artifacts.get(at)?;
                    match &artifact.facts {
                        Facts::Dependencies(manifest) => Some((artifact, manifest)),
                        _ => None,
                    }
                })
                .collect(),
        }
    }
}

/// Groups code files by project folder, as positions in `artifacts`, and
/// keeps the groups that create a server or declare routes.
pub(crate) fn group(artifacts: &[Artifact]) -> Vec<Group> {
    let mut rust_markers = std::collections::BTreeSet::new();
    let mut python_markers = std::collections::BTreeSet::new();
    for artifact in artifacts {
        if !is_project_marker(artifact) {
            continue;
        }
        let dir = parent(&artifact.file.path);
        match artifact.kind {
            ArtifactKind::CargoManifest => {
                rust_markers.insert(dir);
            }
            ArtifactKind::Dockerfile => {
                rust_markers.insert(dir);
                python_markers.insert(dir);
            }
            _ => {
                python_markers.insert(dir);
            }
        }
    }
    let mut groups: BTreeMap<(String, ArtifactKind), (Group, bool)> = BTreeMap::new();
    for (at, artifact) in artifacts.iter().enumerate() {
        let (language, markers) = match artifact.kind {
            ArtifactKind::Rust => (ArtifactKind::Rust, &rust_markers),
            ArtifactKind::Python => (ArtifactKind::Python, &python_markers),
            _ => continue,
        };
        let Facts::Code(code) = &artifact.facts else {
            continue;
        };
        if is_test_path(&artifact.file.path) {
            continue;
        }
        let root = project_root(&artifact.file.path, markers).to_string();
        let (group, serves) = groups.entry((root.clone(), language)).or_insert_with(|| {
            let group = Group {
                root,
                language,
                files: Vec::new(),
                manifests: Vec::new(),
            };
            (group, false)
        });
        group.files.push(at);
        *serves |= !code.servers.is_empty() || !code.routes.is_empty();
    }
    for (at, artifact) in artifacts.iter().enumerate() {
        if !matches!(artifact.facts, Facts::Dependencies(_)) {
            continue;
        }
        let language = if artifact.kind == ArtifactKind::CargoManifest {
            ArtifactKind::Rust
        } else {
            ArtifactKind::Python
        };
        let dir = parent(&artifact.file.path);
        if let Some((group, _)) = groups.get_mut(&(dir.to_string(), language)) {
            group.manifests.push(at);
        }
    }
    groups
        .into_values()
        .filter_map(|(group, serves)| serves.then_some(group))
        .collect()
}

/// Checks whether a route path names a health, liveness or readiness check.
pub fn is_health_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.split(['/', '.', '-', '_']).any(|word| {
        matches!(
            word,
            "health"
                | "healthz"
                | "healthcheck"
                | "healthy"
                | "livez"
                | "readyz"
                | "live"
                | "liveness"
                | "ready"
                | "readiness"
                | "ping"
                | "alive"
                | "heartbeat"
                | "status"
                | "startupz"
        ) || word.starts_with("health")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_joining_and_health_words() {
        assert_eq!(join_route("/api/v1/", "/utils"), "/api/v1/utils");
        assert_eq!(join_route("/internal", "/"), "/internal");
        assert!(is_health_path("/api/v1/utils/health-check/"));
        assert!(is_health_path("/_healthz"));
        assert!(!is_health_path("/orders"));
    }

    #[test]
    fn test_paths() {
        assert!(is_test_path("app/tests/test_api.py"));
        assert!(is_test_path("src/orders/test_models.py"));
        assert!(is_test_path("crates/api/build.rs"));
        assert!(is_test_path("services/api/examples/demo.rs"));
        assert!(is_test_path("app/orders/tests.py"));
        assert!(!is_test_path("services/testing/src/main.rs"));
        assert!(!is_test_path("app/orders/contests.py"));
        assert!(!is_test_path("src/orders/app.py"));
    }
}
