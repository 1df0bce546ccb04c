//! docker-compose files.

use opslint_core::Span;
use opslint_syntax::value::Node;

#[derive(Debug, Default)]
pub struct ComposeFile {
    pub services: Vec<Service>,
}

#[derive(Debug)]
pub struct Service {
    pub name: String,
    pub name_span: Span,
    pub node: Node,
}

impl ComposeFile {
    pub fn from_root(root: Node) -> Self {
        let services = root
            .get("services")
            .and_then(Node::as_map)
            .map(|map| {
                map.entries
                    .iter()
                    .map(|entry| Service {
                        name: entry.key.to_string(),
                        name_span: entry.key_span,
                        node: entry.value.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { services }
    }
}

impl Service {
    pub fn image(&self) -> Option<&Node> {
        self.node.get("image")
    }

    pub fn builds_image(&self) -> bool {
        self.node.get("build").is_some()
    }
}

/// The health check state of a compose service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ComposeHealthcheck {
    Declared(Span),
    /// `disable: true` or `test: ["NONE"]`.
    Disabled(Span),
    Absent,
}

impl Service {
    pub fn healthcheck(&self) -> ComposeHealthcheck {
        let Some(entry) = self.node.entry("healthcheck") else {
            return ComposeHealthcheck::Absent;
        };
        let check = &entry.value;
        let disabled = check.get("disable").and_then(Node::as_bool) == Some(true)
            || check
                .get("test")
                .and_then(Node::as_seq)
                .and_then(|test| test.first())
                .and_then(Node::as_str)
                == Some("NONE");
        if disabled {
            ComposeHealthcheck::Disabled(entry.key_span)
        } else {
            ComposeHealthcheck::Declared(entry.key_span)
        }
    }

    /// Resolves the repository path of the Dockerfile that `build:` uses, resolved
    /// against the compose file's folder. `None` when the service does not
    /// build, or the context is a URL or a variable.
    pub fn dockerfile_path(&self, compose_path: &str) -> Option<String> {
        let build = self.node.get("build")?;
        let (context, dockerfile) = match build.as_str() {
            Some(context) => (context, "Dockerfile"),
            None => (
                build.get("context").and_then(Node::as_str).unwrap_or("."),
                build
                    .get("dockerfile")
                    .and_then(Node::as_str)
                    .unwrap_or("Dockerfile"),
            ),
        };
        let is_unresolvable = |part: &str| part.contains('$') || part.contains("://");
        if is_unresolvable(context) || is_unresolvable(dockerfile) || dockerfile.starts_with('/') {
            return None;
        }
        Some(crate::kubernetes::join_path(
            compose_path,
            &format!("{context}/{dockerfile}"),
        ))
    }
}

impl ComposeFile {
    /// Services that another service waits for with
    /// `condition: service_completed_successfully`: one-shot jobs such as
    /// migrations, not long-running services.
    pub fn one_shot_services(&self) -> Vec<&str> {
        let mut names = Vec::new();
        for service in &self.services {
            let Some(depends_on) = service.node.get("depends_on").and_then(Node::as_map) else {
                continue;
            };
            for entry in &depends_on.entries {
                let condition = entry.value.get("condition").and_then(Node::as_str);
                if condition == Some("service_completed_successfully") {
                    names.push(entry.key.as_str());
                }
            }
        }
        names
    }
}

/// Checks whether a compose file is meant for production rather than local
/// development: its name says so, or it is a Swarm stack.
pub fn is_production_compose(path: &str, compose: &ComposeFile) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let named_production = name.contains("prod") || name.contains("stack");
    named_production
        || compose
            .services
            .iter()
            .any(|service| service.node.get("deploy").is_some())
}

/// Checks whether the name of a compose file marks it as a local setup:
/// an override file, which `docker compose up` merges on a developer's
/// machine, or a name with a word such as `dev`, `local` or `test`
/// (`docker-compose.dev.yml`, `compose.local.yaml`).
pub fn is_development_compose(path: &str) -> bool {
    if compose_role(path) == ComposeRole::Override {
        return true;
    }
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name.split(['.', '-', '_']).any(|word| {
        matches!(
            word,
            "dev" | "develop" | "development" | "local" | "test" | "tests" | "ci" | "e2e"
        )
    })
}

impl Service {
    /// Checks whether the service runs once and exits rather than serving:
    /// `restart: "no"`, or a command that applies database migrations
    /// (`alembic upgrade`, `manage.py migrate`, `rake db:migrate`,
    /// `flyway migrate`...). Services that another one waits for with
    /// `service_completed_successfully` are found by
    /// [`ComposeFile::one_shot_services`].
    pub fn is_one_shot(&self) -> bool {
        if self.node.get("restart").and_then(Node::as_str) == Some("no") {
            return true;
        }
        let words: Vec<String> = match self.node.get("command") {
            Some(command) => match command.as_seq() {
                Some(items) => items
                    .iter()
                    .filter_map(Node::as_str)
                    .flat_map(str::split_whitespace)
                    .map(str::to_ascii_lowercase)
                    .collect(),
                None => command
                    .as_str()
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_ascii_lowercase)
                    .collect(),
            },
            None => return false,
        };
        is_migration_command(&words)
    }
}

/// Checks whether command words apply database migrations.
fn is_migration_command(words: &[String]) -> bool {
    words.iter().enumerate().any(|(at, word)| {
        let next = words.get(at + 1).map(String::as_str);
        match word.as_str() {
            "alembic" => next == Some("upgrade"),
            "migrate" | "db:migrate" | "migrate:latest" | "db:prepare" => true,
            "migration" => next == Some("run"),
            "liquibase" => words.iter().any(|w| w == "update"),
            _ => word.ends_with("/migrate") || word.ends_with("migrate.sh"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use opslint_syntax::yaml;

    fn compose(text: &str) -> ComposeFile {
        let root = yaml::parse(text, false).documents.remove(0).root;
        ComposeFile::from_root(root)
    }

    #[test]
    fn dockerfile_path_of_build_forms() {
        let file = compose(
            "services:\n  a:\n    build: ./api\n  b:\n    build:\n      context: ../web\n      dockerfile: Dockerfile.prod\n  c:\n    build: ${CONTEXT}\n  d:\n    image: nginx:1\n",
        );
        let paths: Vec<Option<String>> = file
            .services
            .iter()
            .map(|service| service.dockerfile_path("deploy/compose.yml"))
            .collect();
        assert_eq!(paths[0].as_deref(), Some("deploy/api/Dockerfile"));
        assert_eq!(paths[1].as_deref(), Some("web/Dockerfile.prod"));
        assert_eq!(paths[2], None);
        assert_eq!(paths[3], None);
    }

    #[test]
    fn healthcheck_states() {
        let file = compose(
            "services:\n  a:\n    healthcheck:\n      test: [CMD, true]\n  b:\n    healthcheck:\n      disable: true\n  c:\n    healthcheck:\n      test: [NONE]\n  d:\n    image: x\n",
        );
        let states: Vec<ComposeHealthcheck> =
            file.services.iter().map(Service::healthcheck).collect();
        assert!(matches!(states[0], ComposeHealthcheck::Declared(_)));
        assert!(matches!(states[1], ComposeHealthcheck::Disabled(_)));
        assert!(matches!(states[2], ComposeHealthcheck::Disabled(_)));
        assert_eq!(states[3], ComposeHealthcheck::Absent);
    }

    #[test]
    fn one_shot_services_from_depends_on() {
        let file = compose(
            "services:\n  api:\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n      db:\n        condition: service_healthy\n  migrate:\n    image: m\n  db:\n    image: d\n",
        );
        assert_eq!(file.one_shot_services(), vec!["migrate"]);
    }

    #[test]
    fn one_shot_services_from_restart_and_command() {
        let file = compose(
            "services:\n  a:\n    command: [\"alembic\", \"upgrade\", \"head\"]\n  b:\n    command: python manage.py migrate --noinput\n  c:\n    restart: \"no\"\n  d:\n    command: [\"uvicorn\", \"app:app\"]\n  e:\n    image: flyway/flyway\n    command: -url=jdbc:postgresql://db/app migrate\n  f:\n    restart: unless-stopped\n  g:\n    command: [\"alembic\", \"current\"]\n",
        );
        let one_shot: Vec<&str> = file
            .services
            .iter()
            .filter(|service| service.is_one_shot())
            .map(|service| service.name.as_str())
            .collect();
        assert_eq!(one_shot, vec!["a", "b", "c", "e"]);
    }

    #[test]
    fn development_compose_names() {
        assert!(is_development_compose("docker-compose.override.yml"));
        assert!(is_development_compose("deploy/docker-compose.dev.yml"));
        assert!(is_development_compose("compose.local.yaml"));
        assert!(!is_development_compose("docker-compose.yml"));
        assert!(!is_development_compose("compose.prod.yaml"));
        assert!(!is_development_compose("devops/compose.yaml"));
    }
}

/// The part a compose file plays among the compose files of its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeRole {
    /// `compose.yaml` or `docker-compose.yml`: what every stack starts from.
    Main,
    /// `compose.override.yaml` and the like, which `docker compose up`
    /// merges over the main file without being asked.
    Override,
    /// Any other file, such as `docker-compose.prod.yml`, which a
    /// deployment names with `-f` after the main file.
    Other,
}

/// Returns the part the compose file at `path` plays in its folder.
pub fn compose_role(path: &str) -> ComposeRole {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if matches!(
        name.as_str(),
        "compose.yaml" | "compose.yml" | "docker-compose.yaml" | "docker-compose.yml"
    ) {
        ComposeRole::Main
    } else if name.contains("override") {
        ComposeRole::Override
    } else {
        ComposeRole::Other
    }
}

/// Lists the stacks that the compose files of one folder make, as positions
/// in `paths`, each in merge order. The main file with its override files is
/// what `docker compose up` runs; the main file with each other file is what
/// `docker compose -f compose.yaml -f compose.prod.yaml up` runs. Without a
/// main file, each file is a stack of its own.
pub fn compose_stacks(paths: &[&str]) -> Vec<Vec<usize>> {
    let roles: Vec<ComposeRole> = paths.iter().map(|path| compose_role(path)).collect();
    let Some(main) = roles.iter().position(|role| *role == ComposeRole::Main) else {
        return (0..paths.len()).map(|index| vec![index]).collect();
    };
    let mut default = vec![main];
    default.extend((0..paths.len()).filter(|index| roles[*index] == ComposeRole::Override));
    let mut stacks = vec![default];
    for (index, role) in roles.iter().enumerate() {
        if *role == ComposeRole::Other {
            stacks.push(vec![main, index]);
        }
    }
    // A second main file (both `compose.yaml` and `docker-compose.yml`)
    // is a stack of its own.
    for (index, role) in roles.iter().enumerate() {
        if *role == ComposeRole::Main && index != main {
            stacks.push(vec![index]);
        }
    }
    stacks
}

/// A service as one stack defines it, its entries merged in order.
#[derive(Debug)]
pub struct StackService<'a> {
    pub name: &'a str,
    /// The health check of the last entry that sets one, with the position
    /// of that entry's file.
    pub healthcheck: Option<(ComposeHealthcheck, usize)>,
    /// The Dockerfile that the stack's last `build:` names.
    pub dockerfile: Option<String>,
}

/// Merges the services of the files at positions `stack` of `files`, in
/// order: a later entry's `healthcheck:` and `build:` replace an earlier
/// one's.
pub fn stack_services<'a>(
    files: &[(&'a crate::Artifact, &'a ComposeFile)],
    stack: &[usize],
) -> Vec<StackService<'a>> {
    let mut services: Vec<StackService<'a>> = Vec::new();
    for &index in stack {
        let (artifact, compose) = files[index];
        let path = artifact.file.path.as_str();
        for service in &compose.services {
            let position = match services.iter().position(|s| s.name == service.name) {
                Some(position) => position,
                None => {
                    services.push(StackService {
                        name: &service.name,
                        healthcheck: None,
                        dockerfile: None,
                    });
                    services.len() - 1
                }
            };
            let merged = &mut services[position];
            match service.healthcheck() {
                ComposeHealthcheck::Absent => {}
                check => merged.healthcheck = Some((check, index)),
            }
            if let Some(dockerfile) = service.dockerfile_path(path) {
                merged.dockerfile = Some(dockerfile);
            }
        }
    }
    services
}

#[cfg(test)]
mod stack_tests {
    use super::*;

    #[test]
    fn main_file_joins_overrides_and_each_other_file() {
        let paths = [
            "app/docker-compose.override.yml",
            "app/docker-compose.prod.yml",
            "app/docker-compose.yml",
            "app/docker-compose.staging.yml",
        ];
        assert_eq!(
            compose_stacks(&paths),
            vec![vec![2, 0], vec![2, 1], vec![2, 3]]
        );
        assert_eq!(compose_stacks(&["x/compose.prod.yml"]), vec![vec![0]]);
    }
}
