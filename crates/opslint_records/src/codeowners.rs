//! CODEOWNERS files as GitHub and GitLab read them: gitignore-style
//! patterns where the last matching line decides the owners.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use opslint_core::{SourceFile, Span};

/// Where GitHub (`.github/`, root, `docs/`) and GitLab (root, `docs/`,
/// `.gitlab/`) look for the file. The bare name comes last so a file in one
/// of the folders is not taken for a root file of that folder.
pub const LOCATIONS: [&str; 4] = [
    ".github/CODEOWNERS",
    "docs/CODEOWNERS",
    ".gitlab/CODEOWNERS",
    "CODEOWNERS",
];

#[derive(Debug)]
pub struct Codeowners {
    pub path: String,
    /// The folder the patterns are relative to, from the repository's root
    /// (the run's root outside git), with a trailing `/`; empty for the
    /// root itself.
    pub base: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug)]
pub struct Entry {
    pub pattern: String,
    pub owners: Vec<String>,
    pub span: Span,
    matcher: Option<GlobSet>,
}

/// Whether `path` is a CODEOWNERS file in one of the read locations, and
/// the repository base it implies.
pub fn base_of(path: &str) -> Option<String> {
    LOCATIONS.iter().find_map(|location| {
        if path == *location {
            Some(String::new())
        } else {
            path.strip_suffix(&format!("/{location}"))
                .map(|base| format!("{base}/"))
        }
    })
}

pub fn parse(file: &SourceFile, base: String) -> Codeowners {
    let mut entries = Vec::new();
    let mut offset = 0;
    for line in file.text.split_inclusive('\n') {
        let span = Span::new(offset, offset + line.trim_end().len());
        offset += line.len();
        let trimmed = line.trim();
        // GitLab section headers (`[Docs]`, `^[Optional] @owner`) start
        // with `[` or `^[`.
        if trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with('[')
            || trimmed.starts_with("^[")
        {
            continue;
        }
        let without_comment = trimmed.split(" #").next().unwrap_or(trimmed);
        let mut parts = without_comment.split_whitespace();
        let Some(pattern) = parts.next() else {
            continue;
        };
        entries.push(Entry {
            pattern: pattern.to_string(),
            owners: parts.map(str::to_string).collect(),
            span,
            matcher: compile(pattern),
        });
    }
    Codeowners {
        path: file.identity_path().to_string(),
        base,
        entries,
    }
}

/// Translates a gitignore-style pattern: a pattern without an inner `/`
/// matches at any depth, a leading `/` anchors it, a trailing `/` or a
/// folder name covers everything below.
fn compile(pattern: &str) -> Option<GlobSet> {
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let body = pattern.trim_start_matches('/');
    let body = body.trim_end_matches('/');
    let body = if body.is_empty() || body == "*" && pattern == "*" {
        "**".to_string()
    } else {
        body.to_string()
    };
    let rooted = if anchored || body.starts_with("**") {
        body
    } else {
        format!("**/{body}")
    };
    let mut set = GlobSetBuilder::new();
    for glob in [rooted.clone(), format!("{rooted}/**")] {
        set.add(
            GlobBuilder::new(&glob)
                .literal_separator(true)
                .build()
                .ok()?,
        );
    }
    set.build().ok()
}

impl Codeowners {
    /// The entry that decides the owners of `path` (run-relative), by
    /// last-match-wins; `None` when no pattern matches or `path` is outside
    /// this file's repository.
    pub fn owner_entry(&self, path: &str) -> Option<&Entry> {
        let relative = path.strip_prefix(&self.base)?;
        self.entries
            .iter()
            .rev()
            .find(|entry| entry.matcher.as_ref().is_some_and(|m| m.is_match(relative)))
    }

    pub fn covers_path(&self, path: &str) -> bool {
        path.starts_with(&self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn owners(text: &str) -> Codeowners {
        let file = SourceFile::new(".github/CODEOWNERS".into(), PathBuf::new(), text.into());
        parse(&file, String::new())
    }

    #[test]
    fn last_match_wins() {
        let file = owners("* @all\n/k8s/ @platform\nk8s/dev.yaml\n");
        assert_eq!(file.owner_entry("README.md").unwrap().owners, vec!["@all"]);
        assert_eq!(
            file.owner_entry("src/deep/main.rs").unwrap().owners,
            vec!["@all"]
        );
        assert_eq!(
            file.owner_entry("k8s/api.yaml").unwrap().owners,
            vec!["@platform"]
        );
        assert!(file.owner_entry("k8s/dev.yaml").unwrap().owners.is_empty());
    }

    #[test]
    fn unanchored_names_match_at_any_depth() {
        let file = owners("*.tf @infra\ndocs @docs\n");
        assert!(file.owner_entry("terraform/modules/x/main.tf").is_some());
        assert!(file.owner_entry("a/docs/runbook.md").is_some());
        assert!(file.owner_entry("k8s/api.yaml").is_none());
    }

    #[test]
    fn base_locations() {
        assert_eq!(base_of("shop/.github/CODEOWNERS").as_deref(), Some("shop/"));
        assert_eq!(base_of("CODEOWNERS").as_deref(), Some(""));
        assert_eq!(base_of("shop/.gitlab/CODEOWNERS").as_deref(), Some("shop/"));
        assert_eq!(base_of("shop/docs/CODEOWNERS").as_deref(), Some("shop/"));
        assert_eq!(base_of(".gitlab/CODEOWNERS").as_deref(), Some(""));
        assert_eq!(base_of("shop/OWNERS"), None);
    }
}
