//! Project configuration, read from `opslint.toml`, `.opslint.toml` or the
//! `[workspace.metadata.opslint]` table of a `Cargo.toml`.
//!
//! Every key is checked: an unknown key or a value of the wrong type is an
//! error that names the file, the line and the key, because a silently
//! ignored typo leaves a team believing a rule is configured when it is not.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::Severity;

/// File names searched in each folder, in order of precedence.
pub const CONFIG_FILE_NAMES: [&str; 3] = ["opslint.toml", ".opslint.toml", "Cargo.toml"];

/// The keys of a configuration file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Rule ids to run; all rules when empty.
    #[serde(default)]
    pub select: Vec<Spanned<String>>,
    /// Rule ids never to run.
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    /// Severity per rule id, replacing the rule's default.
    #[serde(default)]
    pub severity: BTreeMap<Spanned<String>, Severity>,
    /// Glob (relative to the configuration file's folder) to the rule ids
    /// whose findings are suppressed in matching files.
    #[serde(default)]
    pub per_path_ignores: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    /// Globs of files and folders that are not read at all.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Lowest severity that makes the exit code 1.
    pub fail_on: Option<FailLevel>,
    /// Folders holding Architecture Decision Records.
    #[serde(default)]
    pub adr_paths: Vec<PathBuf>,
    /// Files or folders holding incident records.
    #[serde(default)]
    pub incident_paths: Vec<PathBuf>,
    /// Incident record field name to the column header that holds it in the
    /// team's own export.
    #[serde(default)]
    pub incident_columns: BTreeMap<String, String>,
    /// Folders holding user-written rules.
    #[serde(default)]
    pub rule_paths: Vec<PathBuf>,
}

/// The `fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailLevel {
    Error,
    Warning,
    Note,
    Never,
}

/// A per-path ignore entry after its glob was compiled.
#[derive(Debug, Clone)]
pub struct PathIgnore {
    pub pattern: String,
    pub matcher: GlobMatcher,
    pub rules: Vec<String>,
}

/// A loaded and validated configuration file.
#[derive(Debug)]
pub struct Config {
    /// The file the settings came from.
    pub path: PathBuf,
    /// The folder that globs and relative paths in the file start from.
    pub dir: PathBuf,
    pub settings: Settings,
    pub exclude: GlobSet,
    pub per_path_ignores: Vec<PathIgnore>,
    text: String,
}

/// An invalid configuration file: where, which key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based; 0 when the error has no location in the file.
    pub line: usize,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration in {}", self.path.display())?;
        if self.line > 0 {
            write!(f, " at line {}", self.line)?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize)]
struct CargoManifest {
    workspace: Option<CargoWorkspace>,
}

#[derive(Deserialize)]
struct CargoWorkspace {
    metadata: Option<CargoMetadata>,
}

#[derive(Deserialize)]
struct CargoMetadata {
    opslint: Option<Settings>,
}

impl Config {
    /// Finds the configuration that applies to `start`: the first of
    /// [`CONFIG_FILE_NAMES`] in `start` or its ancestors. A `Cargo.toml`
    /// counts only when it has a `[workspace.metadata.opslint]` table.
    pub fn discover(start: &Path) -> Result<Option<Self>, ConfigError> {
        for dir in start.ancestors() {
            for name in CONFIG_FILE_NAMES {
                let path = dir.join(name);
                if !path.is_file() {
                    continue;
                }
                if name == "Cargo.toml" {
                    let text = read(&path)?;
                    if !text.contains("opslint") {
                        continue;
                    }
                    if let Some(config) = Self::from_cargo_manifest(&path, text)? {
                        return Ok(Some(config));
                    }
                    continue;
                }
                return Self::load(&path).map(Some);
            }
        }
        Ok(None)
    }

    /// Loads the file given with `--config`. A `Cargo.toml` must have a
    /// `[workspace.metadata.opslint]` table.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = read(path)?;
        if path.file_name().is_some_and(|name| name == "Cargo.toml") {
            return Self::from_cargo_manifest(path, text)?.ok_or_else(|| ConfigError {
                path: path.to_path_buf(),
                line: 0,
                key: None,
                message: "no `[workspace.metadata.opslint]` table".into(),
            });
        }
        if let Ok(tables) = toml::from_str::<TableKeys>(&text) {
            misplaced_key(path, &text, &tables)?;
        }
        let settings =
            toml::from_str::<Settings>(&text).map_err(|error| parse_error(path, &text, &error))?;
        Self::new(path, text, settings)
    }

    fn from_cargo_manifest(path: &Path, text: String) -> Result<Option<Self>, ConfigError> {
        if let Ok(manifest) = toml::from_str::<CargoTableKeys>(&text)
            && let Some(tables) = manifest.workspace.metadata.opslint
        {
            misplaced_key(path, &text, &tables)?;
        }
        let manifest = toml::from_str::<CargoManifest>(&text)
            .map_err(|error| parse_error(path, &text, &error))?;
        match manifest
            .workspace
            .and_then(|w| w.metadata)
            .and_then(|m| m.opslint)
        {
            Some(settings) => Self::new(path, text, settings).map(Some),
            None => Ok(None),
        }
    }

    fn new(path: &Path, text: String, settings: Settings) -> Result<Self, ConfigError> {
        let dir = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        let mut config = Self {
            path: path.to_path_buf(),
            dir,
            settings,
            exclude: GlobSet::empty(),
            per_path_ignores: Vec::new(),
            text,
        };
        let mut exclude = GlobSetBuilder::new();
        for pattern in &config.settings.exclude {
            exclude.add(config.glob(pattern, "exclude")?);
            // A folder pattern also excludes everything below it.
            let nested = Spanned::new(
                pattern.span(),
                format!("{}/**", pattern.get_ref().trim_end_matches('/')),
            );
            exclude.add(config.glob(&nested, "exclude")?);
        }
        config.exclude = exclude.build().map_err(|error| ConfigError {
            path: config.path.clone(),
            line: 0,
            key: Some("exclude".into()),
            message: error.to_string(),
        })?;
        let mut ignores = Vec::new();
        for (pattern, rules) in &config.settings.per_path_ignores {
            ignores.push(PathIgnore {
                pattern: pattern.get_ref().clone(),
                matcher: config.glob(pattern, "per-path-ignores")?.compile_matcher(),
                rules: rules.iter().map(|id| id.get_ref().clone()).collect(),
            });
        }
        config.per_path_ignores = ignores;
        Ok(config)
    }

    fn glob(&self, pattern: &Spanned<String>, key: &str) -> Result<Glob, ConfigError> {
        Glob::new(pattern.get_ref())
            .map_err(|error| self.error_at(pattern.span(), key, format!("invalid glob: {error}")))
    }

    /// Checks every rule id in the file with `unknown`, which returns the
    /// error message for an id that names no rule, so a misspelt id is an
    /// error instead of a rule that silently never runs.
    pub fn check_rule_ids(
        &self,
        unknown: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let settings = &self.settings;
        let lists = [
            ("select", settings.select.iter().collect::<Vec<_>>()),
            ("ignore", settings.ignore.iter().collect()),
            ("severity", settings.severity.keys().collect()),
            (
                "per-path-ignores",
                settings.per_path_ignores.values().flatten().collect(),
            ),
        ];
        for (key, ids) in lists {
            for id in ids {
                if let Some(message) = unknown(id.get_ref()) {
                    return Err(self.error_at(id.span(), key, message));
                }
            }
        }
        Ok(())
    }

    /// The rule ids of a list, without their locations.
    pub fn ids(list: &[Spanned<String>]) -> Vec<String> {
        list.iter().map(|id| id.get_ref().clone()).collect()
    }

    /// Whether `path` (absolute, or relative to the current folder) matches
    /// an `exclude` glob.
    pub fn is_excluded(&self, path: &Path) -> bool {
        self.relative(path)
            .is_some_and(|relative| self.exclude.is_match(relative))
    }

    /// The per-path ignore that suppresses `rule` in `path`, if any.
    pub fn path_ignore(&self, path: &Path, rule: &str) -> Option<&PathIgnore> {
        let mut entries = self
            .per_path_ignores
            .iter()
            .filter(|entry| entry.rules.iter().any(|id| id == rule))
            .peekable();
        // Most findings' rules have no entry, so the path is made relative
        // only for those that do.
        entries.peek()?;
        let relative = self.relative(path)?;
        entries.find(|entry| entry.matcher.is_match(&relative))
    }

    /// Returns `path` relative to the configuration's folder. `..` segments
    /// are resolved first, since a run on `..` from a subfolder gives paths
    /// such as `/repo/services/../compose.yml`.
    fn relative(&self, path: &Path) -> Option<PathBuf> {
        let path = PathBuf::from(crate::normalize_path(&path.to_string_lossy()));
        if self.dir.as_os_str().is_empty() {
            return Some(path);
        }
        path.strip_prefix(&self.dir).ok().map(Path::to_path_buf)
    }

    /// Checks that every key of `[incident-columns]` is one of `fields`, the
    /// incident fields an export maps, so a misspelt field is an error
    /// instead of a mapping that silently does nothing.
    pub fn check_incident_columns(&self, fields: &[&str]) -> Result<(), ConfigError> {
        for field in self.settings.incident_columns.keys() {
            if fields.contains(&field.as_str()) {
                continue;
            }
            // The map keeps no locations: the line is that of the first
            // occurrence of the name after the table's header.
            let table = self.text.find("incident-columns").unwrap_or(0);
            let offset = self.text[table..]
                .find(field.as_str())
                .map_or(table, |found| table + found);
            return Err(self.error_at(
                offset..offset,
                "incident-columns",
                format!(
                    "unknown incident field `{field}`; the fields are {}",
                    fields
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(())
    }

    fn error_at(&self, span: Range<usize>, key: &str, message: String) -> ConfigError {
        ConfigError {
            path: self.path.clone(),
            line: line_of(&self.text, span.start),
            key: Some(key.to_string()),
            message,
        }
    }
}

/// The top-level keys that are not tables.
const TOP_LEVEL_KEYS: [&str; 7] = [
    "select",
    "ignore",
    "exclude",
    "fail-on",
    "adr-paths",
    "incident-paths",
    "rule-paths",
];

/// The keys of the configuration's tables with their locations, read before
/// the settings to find top-level keys written below a table header.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct TableKeys {
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, serde::de::IgnoredAny>,
    #[serde(default)]
    per_path_ignores: BTreeMap<Spanned<String>, serde::de::IgnoredAny>,
    #[serde(default)]
    incident_columns: BTreeMap<Spanned<String>, serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct CargoTableKeys {
    workspace: CargoWorkspaceTableKeys,
}

#[derive(Deserialize)]
struct CargoWorkspaceTableKeys {
    metadata: CargoMetadataTableKeys,
}

#[derive(Deserialize)]
struct CargoMetadataTableKeys {
    opslint: Option<TableKeys>,
}

/// Rejects a top-level key such as `adr-paths` written after a table header.
/// TOML reads it as an entry of that table, which otherwise gives a puzzling
/// error (an unknown rule id, a value of the wrong type) or none at all.
fn misplaced_key(path: &Path, text: &str, tables: &TableKeys) -> Result<(), ConfigError> {
    let entries = [
        ("severity", &tables.severity),
        ("per-path-ignores", &tables.per_path_ignores),
        ("incident-columns", &tables.incident_columns),
    ];
    for (table, keys) in entries {
        if let Some(key) = keys
            .keys()
            .find(|key| TOP_LEVEL_KEYS.contains(&key.get_ref().as_str()))
        {
            return Err(ConfigError {
                path: path.to_path_buf(),
                line: line_of(text, key.span().start),
                key: Some(key.get_ref().clone()),
                message: format!(
                    "`{}` is a top-level key, but it follows the `[{table}]` header, so TOML \
                     reads it as part of that table; move it above the first table header",
                    key.get_ref()
                ),
            });
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|error| ConfigError {
        path: path.to_path_buf(),
        line: 0,
        key: None,
        message: format!("cannot read the file: {error}"),
    })
}

/// Turns a TOML or serde error into a [`ConfigError`], naming the key that
/// starts the offending line.
fn parse_error(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let (line, key) = match error.span() {
        Some(span) => {
            let line = line_of(text, span.start);
            (line, key_on_line(text, line))
        }
        None => (0, None),
    };
    ConfigError {
        path: path.to_path_buf(),
        line,
        key,
        message: error.message().trim().to_string(),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The key of the `key = value` line at or above 1-based `line`, so an
/// element of a multi-line array names its array, or the name of a
/// `[table]` header.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().take(line).collect();
    for content in lines.iter().rev().map(|content| content.trim()) {
        let key = if let Some(header) = content.strip_prefix('[') {
            header.trim_start_matches('[').split(']').next()?
        } else if let Some((key, _)) = content.split_once('=') {
            key
        } else {
            continue;
        };
        let key = key.trim().trim_matches('"');
        return (!key.is_empty()).then(|| key.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let settings = toml::from_str::<Settings>(text)
            .map_err(|error| parse_error(Path::new("opslint.toml"), text, &error))?;
        Config::new(Path::new("opslint.toml"), text.to_string(), settings)
    }

    #[test]
    fn full_settings_parse() {
        let config = parse(
            r#"
select = ["mutable-image-tag"]
ignore = ["log-retention-unset"]
exclude = ["vendor"]
fail-on = "error"
adr-paths = ["docs/adr"]
incident-paths = ["ops/incidents.csv"]
rule-paths = ["opslint-rules"]

[severity]
mutable-image-tag = "error"

[per-path-ignores]
"legacy/**" = ["mutable-image-tag"]

[incident-columns]
id = "Ticket"
"#,
        )
        .unwrap();
        assert_eq!(Config::ids(&config.settings.select), ["mutable-image-tag"]);
        assert_eq!(config.settings.fail_on, Some(FailLevel::Error));
        assert!(config.is_excluded(Path::new("vendor/app.yaml")));
        assert!(!config.is_excluded(Path::new("src/app.yaml")));
        assert_eq!(
            config
                .path_ignore(Path::new("legacy/a.yaml"), "mutable-image-tag")
                .map(|entry| entry.pattern.as_str()),
            Some("legacy/**")
        );
        assert!(
            config
                .path_ignore(Path::new("new/a.yaml"), "mutable-image-tag")
                .is_none()
        );
        assert_eq!(config.settings.incident_columns["id"], "Ticket");
        assert_eq!(config.settings.adr_paths, [PathBuf::from("docs/adr")]);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let error = parse("select = []\nselcet = [\"a\"]\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert_eq!(error.key.as_deref(), Some("selcet"));
        assert!(
            error.message.contains("unknown field `selcet`"),
            "{}",
            error.message
        );
    }

    #[test]
    fn bad_severity_names_line_and_key() {
        let error = parse("[severity]\nmutable-image-tag = \"fatal\"\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert_eq!(error.key.as_deref(), Some("mutable-image-tag"));
    }

    #[test]
    fn bad_array_element_names_its_array() {
        let error = parse("select = [\n  \"a\",\n  1,\n]\n").unwrap_err();
        assert_eq!(error.line, 3);
        assert_eq!(error.key.as_deref(), Some("select"));
    }

    #[test]
    fn bad_glob_names_line_and_key() {
        let error = parse("exclude = [\n  \"a/[b\",\n]\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert_eq!(error.key.as_deref(), Some("exclude"));
    }

    #[test]
    fn unknown_rule_id_names_line() {
        let config = parse("select = [\"mutable-image-tag\"]\nignore = [\"nope\"]\n").unwrap();
        let error = config
            .check_rule_ids(|id| (id != "mutable-image-tag").then(|| format!("unknown `{id}`")))
            .unwrap_err();
        assert_eq!(error.line, 2);
        assert_eq!(error.key.as_deref(), Some("ignore"));
        assert!(error.message.contains("`nope`"));
    }
}
