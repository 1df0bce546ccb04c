//! The request paths a service routes: each route's path joined with the
//! prefixes of the routers, blueprints and scopes that include it.

use crate::service::{CodeFile, Mount, Service};

/// Returns a route's path under each of its router's own prefixes, or the
/// path alone when the router declares none.
fn route_bases(own_prefixes: &[String], route_path: &str) -> Vec<String> {
    if own_prefixes.is_empty() {
        vec![route_path.to_string()]
    } else {
        own_prefixes
            .iter()
            .map(|prefix| join_route(prefix, route_path))
            .collect()
    }
}

/// Joins a mount prefix and a route path the way routers do.
pub fn join_route(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    if path.is_empty() || path == "/" && !prefix.is_empty() {
        return if prefix.is_empty() {
            "/".into()
        } else {
            prefix.to_string()
        };
    }
    if path.starts_with('/') {
        format!("{prefix}{path}")
    } else {
        format!("{prefix}/{path}")
    }
}

/// Whether a service routes a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    Yes,
    No,
    /// The result depends on something the code does not settle. The text
    /// explains what.
    Unclear(String),
}

/// How many includes [`Service::prefix_chains`] follows outwards from a
/// route's router. Real applications nest routers two or three deep, and the
/// limit ends cycles such as two routers that include each other.
const MAX_NESTING: usize = 8;

/// The paths at which one route with a literal path is served.
struct RoutePaths {
    /// The route's path as written.
    route: String,
    /// The path under each of its router's own prefixes.
    bases: Vec<String>,
    /// The full paths, which help text lists as the service's routes.
    full: Vec<String>,
    /// Further paths that a request may use without being listed: the
    /// bases under two mount prefixes when mounts are not linked to their
    /// routers.
    nested: Vec<String>,
    /// The source of a mount prefix that may apply to the route but that
    /// the code does not settle.
    unresolved: Option<String>,
}

/// Returns the last part of a dotted name, which links `users.router` in
/// `include_router(users.router)` to the routes on `router` in `users.py`.
fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name).trim()
}

/// Checks whether two object names, as written, name the same object.
fn same_object(left: &str, right: &str) -> bool {
    last_segment(left) == last_segment(right)
}

impl Service<'_> {
    /// Returns each literal route path with the full paths it is served
    /// at, the prefixes of the routers that include it applied.
    pub fn full_route_paths(&self) -> Vec<(String, Vec<String>)> {
        self.route_paths()
            .into_iter()
            .map(|paths| {
                let mut full = paths.full;
                full.sort();
                full.dedup();
                (paths.route, full)
            })
            .collect()
    }

    /// Returns the paths of every route with a literal path. Each route
    /// gets the prefixes of the mounts that include its router, followed
    /// outwards through nested includes, when every mount names a router
    /// that the code declares routes on or includes routers into.
    /// Otherwise every mount prefix may apply to every route.
    fn route_paths(&self) -> Vec<RoutePaths> {
        if self.mounts_are_linked() {
            self.linked_route_paths()
        } else {
            self.unlinked_route_paths()
        }
    }

    /// Returns the mounts that include a router into another one, as
    /// opposed to the prefixes that routers declare on themselves.
    fn includes(&self) -> impl Iterator<Item = &Mount> + '_ {
        self.mounts().filter(|mount| !mount.on_router)
    }

    /// Checks whether every include names a router object that routes are
    /// declared on or that includes other routers. An include such as
    /// `register_blueprint(make_bp())` names none, so the routes it serves
    /// are unknown.
    fn mounts_are_linked(&self) -> bool {
        let route_objects: Vec<&str> = self
            .routes()
            .filter_map(|(_, route)| route.router.as_deref())
            .collect();
        let parents: Vec<&str> = self
            .includes()
            .filter_map(|mount| mount.parent.as_deref())
            .collect();
        self.includes().all(|mount| {
            mount.router.as_deref().is_some_and(|router| {
                route_objects
                    .iter()
                    .chain(&parents)
                    .any(|object| same_object(object, router))
            })
        })
    }

    /// Returns the paths of each route under the prefixes of the includes
    /// of its router. A route on an object that nothing includes, such as
    /// the application itself, is served at its own path.
    fn linked_route_paths(&self) -> Vec<RoutePaths> {
        let mut paths = Vec::new();
        for (_, code) in &self.files {
            for route in &code.routes {
                let Some(route_path) = route.path.as_deref() else {
                    continue;
                };
                let router = route.router.as_deref();
                // NOTE: Flask's `register_blueprint(url_prefix=...)` replaces
                // the blueprint's own `url_prefix`, but both are joined here.
                let bases = route_bases(&self.own_prefixes_of(code, router), route_path);
                let chains = match router {
                    Some(router) => self.prefix_chains(router, 0),
                    None => vec![Ok(String::new())],
                };
                let mut full = Vec::new();
                let mut unresolved = None;
                for chain in chains {
                    match chain {
                        Ok(prefix) => full.extend(bases.iter().map(|b| join_route(&prefix, b))),
                        Err(source) => unresolved = Some(source),
                    }
                }
                paths.push(RoutePaths {
                    route: route_path.to_string(),
                    bases,
                    full,
                    nested: Vec::new(),
                    unresolved,
                });
            }
        }
        paths
    }

    /// Returns the combined prefixes under which the object `router` is
    /// served: one per chain of includes from the object outwards, or the
    /// empty prefix when nothing includes it. A chain with a prefix that
    /// the code does not settle is an error with that prefix's source.
    fn prefix_chains(&self, router: &str, depth: usize) -> Vec<Result<String, String>> {
        let including: Vec<&Mount> = self
            .includes()
            .filter(|mount| {
                mount
                    .router
                    .as_deref()
                    .is_some_and(|r| same_object(r, router))
            })
            .collect();
        // NOTE: past the nesting limit the object counts as served at the
        // top, which accepts paths that skip the outer prefixes.
        if including.is_empty() || depth == MAX_NESTING {
            return vec![Ok(String::new())];
        }
        let mut chains = Vec::new();
        for mount in including {
            let Some(prefix) = self.mount_prefix(mount) else {
                chains.push(Err(mount.source.clone()));
                continue;
            };
            let Some(parent) = mount.parent.as_deref() else {
                chains.push(Ok(prefix));
                continue;
            };
            // A router that includes another one adds its own prefix too.
            let parent_prefixes = route_bases(&self.own_prefixes_named(parent), &prefix);
            for outer in self.prefix_chains(parent, depth + 1) {
                chains.extend(parent_prefixes.iter().map(|inner| {
                    outer
                        .as_ref()
                        .map(|outer| join_route(outer, inner))
                        .map_err(Clone::clone)
                }));
            }
        }
        chains
    }

    /// Returns the resolved prefixes that routers assigned to the name
    /// `router` declare on themselves, in any file of the service.
    fn own_prefixes_named(&self, router: &str) -> Vec<String> {
        self.mounts()
            .filter(|mount| mount.on_router)
            .filter(|mount| {
                mount
                    .router
                    .as_deref()
                    .is_some_and(|r| same_object(r, router))
            })
            .filter_map(|mount| self.mount_prefix(mount))
            .collect()
    }

    /// Returns the paths of each route when the includes are not linked to
    /// their routers: the route under its router's own prefix, alone or
    /// under one or two of the service's include prefixes. A router with a
    /// prefix of its own is served only where the application includes it,
    /// so once the service includes routers its bare paths are not served.
    fn unlinked_route_paths(&self) -> Vec<RoutePaths> {
        let mut outer = Vec::new();
        let mut unresolved = None;
        for mount in self.includes() {
            match self.mount_prefix(mount) {
                Some(prefix) => outer.push(prefix),
                None => unresolved = unresolved.or_else(|| Some(mount.source.clone())),
            }
        }
        let mut paths = Vec::new();
        for (_, code) in &self.files {
            let own = self.own_prefixes(code);
            for route in &code.routes {
                let Some(route_path) = route.path.as_deref() else {
                    continue;
                };
                let bases = route_bases(&own, route_path);
                let mut full = if own.is_empty() || outer.is_empty() {
                    bases.clone()
                } else {
                    Vec::new()
                };
                let mut nested = Vec::new();
                for base in &bases {
                    for prefix in &outer {
                        let under_prefix = join_route(prefix, base);
                        for inner in &outer {
                            nested.push(join_route(prefix, &join_route(inner, base)));
                        }
                        full.push(under_prefix);
                    }
                }
                paths.push(RoutePaths {
                    route: route_path.to_string(),
                    bases,
                    full,
                    nested,
                    unresolved: unresolved.clone(),
                });
            }
        }
        paths
    }

    /// Returns a mount's prefix, resolving a prefix written as a name.
    fn mount_prefix(&self, mount: &Mount) -> Option<String> {
        mount
            .prefix
            .clone()
            .or_else(|| self.resolve_constant(&mount.source))
    }

    /// Returns the resolved prefixes that the routers of `code` declare on
    /// themselves (`APIRouter(prefix=...)`).
    fn own_prefixes(&self, code: &CodeFile) -> Vec<String> {
        code.mounts
            .iter()
            .filter(|mount| mount.on_router)
            .filter_map(|mount| self.mount_prefix(mount))
            .collect()
    }

    /// Returns the resolved prefixes that the router object `router`
    /// declares on itself in `code`. A prefix whose router is assigned to
    /// no name applies to every route of the file.
    fn own_prefixes_of(&self, code: &CodeFile, router: Option<&str>) -> Vec<String> {
        code.mounts
            .iter()
            .filter(|mount| mount.on_router)
            .filter(|mount| match (mount.router.as_deref(), router) {
                (None, _) => true,
                (Some(own), Some(router)) => same_object(own, router),
                (Some(_), None) => false,
            })
            .filter_map(|mount| self.mount_prefix(mount))
            .collect()
    }

    /// Checks whether a request for `path` reaches a route: the route's path
    /// under the prefixes of the routers that include it (see
    /// [`Service::full_route_paths`]). Prefixes written as names resolve
    /// through string constants. Path parameters match any segment.
    pub fn serves(&self, path: &str) -> Served {
        let path = path.split(['?', '#']).next().unwrap_or(path);
        let trimmed = path.trim_end_matches('/');
        let mut unclear = None;
        for route in self.route_paths() {
            if route
                .full
                .iter()
                .chain(&route.nested)
                .any(|candidate| path_matches(candidate, path))
            {
                return Served::Yes;
            }
            let suffix_match = route.bases.iter().any(|base| {
                let base = base.trim_end_matches('/');
                !base.is_empty() && trimmed.ends_with(base)
            });
            if suffix_match && unclear.is_none() {
                unclear = route.unresolved;
            }
        }
        if let Some(source) = unclear {
            return Served::Unclear(format!(
                "a router is mounted under `{source}`, which the code does not settle"
            ));
        }
        if self.routes().any(|(_, route)| route.path.is_none()) {
            return Served::Unclear("some route paths come from variables".into());
        }
        if let Some((artifact, _)) = self.fallback_files().next() {
            return Served::Unclear(format!(
                "`{}` has a syntax error, so its routes may be incomplete",
                artifact.file.path
            ));
        }
        Served::No
    }
}

impl Service<'_> {
    /// Resolves a prefix written as a name, such as `settings.API_V1_STR`,
    /// when exactly one string value is assigned to its last part in the
    /// service's files.
    fn resolve_constant(&self, source: &str) -> Option<String> {
        let name = source.rsplit('.').next()?.trim();
        let mut values: Vec<&str> = self
            .files
            .iter()
            .flat_map(|(_, code)| code.string_constants.iter())
            .filter(|(constant, _)| constant == name)
            .map(|(_, value)| value.as_str())
            .collect();
        values.sort_unstable();
        values.dedup();
        match values.as_slice() {
            [value] => Some((*value).to_string()),
            _ => None,
        }
    }
}

/// Matches a request path against a route pattern. The segments `{id}`,
/// `<id>`, `:id` and `*` match any one segment, and `{*rest}` or `<rest..>`
/// match the rest of the path. A trailing slash is ignored.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern_segments: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let path_segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for (index, segment) in pattern_segments.iter().enumerate() {
        let is_rest = segment.starts_with("{*") || segment.ends_with("..>") || *segment == "*";
        if is_rest && index == pattern_segments.len() - 1 {
            return path_segments.len() >= index;
        }
        let Some(actual) = path_segments.get(index) else {
            return false;
        };
        let is_parameter =
            segment.starts_with('{') || segment.starts_with('<') || segment.starts_with(':');
        if !is_parameter && segment != actual {
            return false;
        }
    }
    pattern_segments.len() == path_segments.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_matching_with_parameters() {
        assert!(path_matches("/healthz", "/healthz/"));
        assert!(path_matches("/orders/{id}", "/orders/7"));
        assert!(path_matches("/files/{*rest}", "/files/a/b"));
        assert!(path_matches("/users/<name>", "/users/ana"));
        assert!(!path_matches("/healthz", "/ready"));
        assert!(!path_matches("/orders/{id}", "/orders"));
    }

    /// Extracts the facts of Python files given as `(path, text)`.
    fn python_artifacts(files: &[(&str, &str)]) -> Vec<crate::Artifact> {
        files
            .iter()
            .map(|(path, text)| {
                let file = opslint_core::SourceFile::new(
                    (*path).into(),
                    std::path::PathBuf::from(path),
                    (*text).into(),
                );
                let code = crate::python_code::extract(&file, opslint_syntax::python::parse(text));
                crate::Artifact {
                    file: std::sync::Arc::new(file),
                    kind: opslint_core::ArtifactKind::Python,
                    facts: crate::Facts::Code(Box::new(code)),
                }
            })
            .collect()
    }

    /// Returns the literal route paths with their full paths, sorted.
    fn full_paths(service: &Service) -> Vec<(String, Vec<String>)> {
        let mut paths = service.full_route_paths();
        paths.sort();
        paths
    }

    const FLASK_BLUEPRINTS: &str = include_str!(
        "../../../fixtures/probe-path-not-served/fail-flask-blueprint-prefix/shop/app.py"
    );

    #[test]
    fn blueprint_prefix_applies_to_its_blueprint() {
        let artifacts = python_artifacts(&[("app/__init__.py", FLASK_BLUEPRINTS)]);
        let services = crate::service::services(&artifacts);
        let service = &services[0];
        assert_eq!(service.serves("/healthz"), Served::Yes);
        assert_eq!(service.serves("/api/v1/orders"), Served::Yes);
        assert_eq!(service.serves("/api/v1/healthz"), Served::No);
        assert_eq!(service.serves("/orders"), Served::No);
        assert_eq!(
            full_paths(service),
            [
                ("/healthz".to_string(), vec!["/healthz".to_string()]),
                ("/orders".to_string(), vec!["/api/v1/orders".to_string()]),
            ]
        );
    }

    #[test]
    fn nested_routers_add_their_prefixes() {
        let artifacts = python_artifacts(&[
            (
                "app/main.py",
                "from fastapi import FastAPI\nfrom .api import api_router\napp = FastAPI()\n\
                 @app.get(\"/healthz\")\ndef healthz(): return True\n\
                 app.include_router(api_router, prefix=\"/api/v1\")\n",
            ),
            (
                "app/api.py",
                "from fastapi import APIRouter\nfrom . import users\napi_router = APIRouter()\n\
                 api_router.include_router(users.router, prefix=\"/users\")\n",
            ),
            (
                "app/users.py",
                "from fastapi import APIRouter\nrouter = APIRouter()\n\
                 @router.get(\"/{user_id}\")\ndef user(user_id: int): return {}\n",
            ),
        ]);
        let services = crate::service::services(&artifacts);
        let service = &services[0];
        assert_eq!(service.serves("/healthz"), Served::Yes);
        assert_eq!(service.serves("/api/v1/users/7"), Served::Yes);
        assert_eq!(service.serves("/api/v1/healthz"), Served::No);
        assert_eq!(service.serves("/users/7"), Served::No);
        assert_eq!(service.serves("/api/v1/7"), Served::No);
    }

    #[test]
    fn including_router_adds_its_own_prefix() {
        let artifacts = python_artifacts(&[(
            "app/main.py",
            "from fastapi import APIRouter, FastAPI\napi = APIRouter(prefix=\"/api\")\n\
             status = APIRouter()\n@status.get(\"/status\")\ndef status_view(): return True\n\
             api.include_router(status, prefix=\"/v1\")\napp = FastAPI()\n\
             app.include_router(api)\n",
        )]);
        let services = crate::service::services(&artifacts);
        let service = &services[0];
        assert_eq!(service.serves("/api/v1/status"), Served::Yes);
        assert_eq!(service.serves("/v1/status"), Served::No);
        assert_eq!(service.serves("/status"), Served::No);
    }

    #[test]
    fn own_prefix_applies_to_its_router() {
        let artifacts = python_artifacts(&[(
            "app/main.py",
            "from fastapi import APIRouter, FastAPI\nops = APIRouter(prefix=\"/ops\")\n\
             @ops.get(\"/healthz\")\ndef healthz(): return True\napp = FastAPI()\n\
             @app.get(\"/ready\")\ndef ready(): return True\n\
             app.include_router(ops, prefix=\"/internal\")\n",
        )]);
        let services = crate::service::services(&artifacts);
        let service = &services[0];
        assert_eq!(service.serves("/internal/ops/healthz"), Served::Yes);
        assert_eq!(service.serves("/ready"), Served::Yes);
        assert_eq!(service.serves("/ops/healthz"), Served::No);
        assert_eq!(service.serves("/internal/ready"), Served::No);
        assert_eq!(service.serves("/ops/ready"), Served::No);
    }

    #[test]
    fn unlinked_mount_applies_to_every_route() {
        let artifacts = python_artifacts(&[(
            "app/__init__.py",
            "from flask import Blueprint, Flask\nfrom .orders import make_bp\n\
             health_bp = Blueprint(\"health\", __name__)\n\
             @health_bp.route(\"/healthz\")\ndef healthz(): return \"ok\"\n\
             app = Flask(__name__)\napp.register_blueprint(health_bp)\n\
             app.register_blueprint(make_bp(), url_prefix=\"/api\")\n",
        )]);
        let services = crate::service::services(&artifacts);
        let service = &services[0];
        assert_eq!(service.serves("/healthz"), Served::Yes);
        assert_eq!(service.serves("/api/healthz"), Served::Yes);
        assert_eq!(service.serves("/other/healthz"), Served::No);
    }

    #[test]
    fn unsettled_prefix_of_linked_router_is_unclear() {
        let artifacts = python_artifacts(&[(
            "app/main.py",
            "from fastapi import APIRouter, FastAPI\nops = APIRouter()\n\
             @ops.get(\"/healthz\")\ndef healthz(): return True\napp = FastAPI()\n\
             app.include_router(ops, prefix=settings.OPS_PREFIX)\n",
        )]);
        let services = crate::service::services(&artifacts);
        let service = &services[0];
        assert_eq!(
            service.serves("/internal/healthz"),
            Served::Unclear(
                "a router is mounted under `settings.OPS_PREFIX`, which the code does not settle"
                    .to_string()
            )
        );
        assert_eq!(service.serves("/ready"), Served::No);
    }
}
