//! Dependency names from `Cargo.toml`, `pyproject.toml` and
//! `requirements*.txt`: evidence of the libraries a service ships with, even
//! where the code that uses them is generated or loaded at run time.

use crate::service::{DependencyManifest, normalise_dependency};

/// Runtime dependencies of a `Cargo.toml`, including workspace and
/// per-target tables.
pub fn from_cargo(table: &toml::Table) -> DependencyManifest {
    let mut dependencies = Vec::new();
    let mut add_keys = |value: Option<&toml::Value>| {
        if let Some(toml::Value::Table(deps)) = value {
            dependencies.extend(deps.keys().map(|name| normalise_dependency(name)));
        }
    };
    add_keys(table.get("dependencies"));
    if let Some(toml::Value::Table(workspace)) = table.get("workspace") {
        add_keys(workspace.get("dependencies"));
    }
    if let Some(toml::Value::Table(targets)) = table.get("target") {
        for target in targets.values() {
            if let toml::Value::Table(target) = target {
                add_keys(target.get("dependencies"));
            }
        }
    }
    dependencies.sort();
    dependencies.dedup();
    let package = table
        .get("package")
        .and_then(|package| package.get("name"))
        .and_then(toml::Value::as_str)
        .map(str::to_string);
    DependencyManifest {
        dependencies,
        package,
    }
}

/// Dependencies of a `pyproject.toml`: PEP 621 `project.dependencies` and
/// optional groups, and Poetry's dependency tables.
pub fn from_pyproject(table: &toml::Table) -> DependencyManifest {
    let mut dependencies = Vec::new();
    if let Some(toml::Value::Table(project)) = table.get("project") {
        if let Some(toml::Value::Array(list)) = project.get("dependencies") {
            dependencies.extend(
                list.iter()
                    .filter_map(|v| v.as_str())
                    .filter_map(requirement_name),
            );
        }
        if let Some(toml::Value::Table(groups)) = project.get("optional-dependencies") {
            for list in groups.values().filter_map(|v| v.as_array()) {
                dependencies.extend(
                    list.iter()
                        .filter_map(|v| v.as_str())
                        .filter_map(requirement_name),
                );
            }
        }
    }
    let poetry = table
        .get("tool")
        .and_then(|tool| tool.get("poetry"))
        .and_then(|poetry| poetry.get("dependencies"))
        .and_then(|deps| deps.as_table());
    if let Some(deps) = poetry {
        dependencies.extend(deps.keys().map(|name| normalise_dependency(name)));
    }
    dependencies.sort();
    dependencies.dedup();
    let package = table
        .get("project")
        .and_then(|project| project.get("name"))
        .or_else(|| {
            table
                .get("tool")
                .and_then(|tool| tool.get("poetry"))
                .and_then(|poetry| poetry.get("name"))
        })
        .and_then(toml::Value::as_str)
        .map(str::to_string);
    DependencyManifest {
        dependencies,
        package,
    }
}

/// Package names of a pip requirements file; options, includes and URLs
/// without an `#egg=` name are skipped.
pub fn from_requirements(text: &str) -> DependencyManifest {
    let mut dependencies: Vec<String> = text
        .lines()
        .map(|line| line.split(" #").next().unwrap_or(line).trim())
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with('-'))
        .filter_map(requirement_name)
        .collect();
    dependencies.sort();
    dependencies.dedup();
    DependencyManifest {
        dependencies,
        package: None,
    }
}

/// The distribution name at the start of a PEP 508 requirement.
fn requirement_name(requirement: &str) -> Option<String> {
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    let name = &requirement[..end];
    (!name.is_empty()).then(|| normalise_dependency(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_names_without_versions() {
        let manifest = from_requirements(
            "# pinned\nrequests==2.32.0\nopentelemetry-sdk>=1.0 ; python_version > '3.8'\n\
             -r base.txt\nprometheus_client[twisted]\n",
        );
        assert_eq!(
            manifest.dependencies,
            ["opentelemetry-sdk", "prometheus-client", "requests"]
        );
    }

    #[test]
    fn cargo_dependencies_include_targets() {
        let table: toml::Table = "[dependencies]\naxum = \"0.8\"\n\
            [target.'cfg(unix)'.dependencies]\ntracing_subscriber = \"0.3\"\n"
            .parse()
            .unwrap();
        assert_eq!(
            from_cargo(&table).dependencies,
            ["axum", "tracing-subscriber"]
        );
    }

    #[test]
    fn pyproject_reads_pep621_and_poetry() {
        let table: toml::Table = "[project]\ndependencies = [\"fastapi[standard]<1.0\"]\n\
            [tool.poetry.dependencies]\nstructlog = \"*\"\n"
            .parse()
            .unwrap();
        assert_eq!(
            from_pyproject(&table).dependencies,
            ["fastapi", "structlog"]
        );
    }
}
