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
    /// The GitLab section the entry belongs to, counted from 1. It is 0
    /// before any section header and in GitHub files.
    section: usize,
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
    let mut section = 0;
    // The default owners of the current GitLab section, which its entries
    // without owners of their own take.
    let mut section_owners: Vec<String> = Vec::new();
    for line in file.text.split_inclusive('\n') {
        let span = Span::new(offset, offset + line.trim_end().len());
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // GitLab section headers: `[Docs]`, `^[Optional]`, `[Docs][2]`,
        // each optionally followed by default owners.
        if trimmed.starts_with('[') || trimmed.starts_with("^[") {
            section += 1;
            let after_name = trimmed.find(']').map_or("", |end| &trimmed[end + 1..]);
            let after_count = match after_name.strip_prefix('[') {
                Some(rest) => rest.find(']').map_or("", |end| &rest[end + 1..]),
                None => after_name,
            };
            let without_comment = after_count.split(" #").next().unwrap_or(after_count);
            section_owners = without_comment
                .split_whitespace()
                .map(str::to_string)
                .collect();
            continue;
        }
        let without_comment = trimmed.split(" #").next().unwrap_or(trimmed);
        let mut parts = without_comment.split_whitespace();
        let Some(pattern) = parts.next() else {
            continue;
        };
        let mut owners: Vec<String> = parts.map(str::to_string).collect();
        if owners.is_empty() {
            owners = section_owners.clone();
        }
        entries.push(Entry {
            pattern: pattern.to_string(),
            owners,
            span,
            matcher: compile(pattern),
            section,
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
    /// Returns the entry that decides the owners of `path` (from the
    /// repository's root) by last-match-wins, or `None` when no pattern
    /// matches or `path` is outside this file's repository. GitLab applies
    /// last-match-wins in each section and joins the owners of all
    /// sections, so the last matching entry with owners in any section
    /// decides, and without one the last matching entry.
    pub fn owner_entry(&self, path: &str) -> Option<&Entry> {
        let relative = path.strip_prefix(&self.base)?;
        let mut decisive: Vec<&Entry> = Vec::new();
        for entry in self.entries.iter().rev() {
            let matches = entry.matcher.as_ref().is_some_and(|m| m.is_match(relative));
            if matches && !decisive.iter().any(|other| other.section == entry.section) {
                decisive.push(entry);
            }
        }
        decisive
            .iter()
            .find(|entry| !entry.owners.is_empty())
            .or(decisive.first())
            .copied()
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
    fn gitlab_sections_are_judged_apart() {
        let file = owners(
            "[Platform]\n* @orders/backend\n\n[Fulfilment]\n/sam/\n\n\
             [Docs] @tech-writers\n/docs/\n^[Optional][2]\n/tmp/\n",
        );
        // `/sam/` in `[Fulfilment]` names no owner, but `[Platform]` owns it.
        assert_eq!(
            file.owner_entry("sam/template.yaml").unwrap().owners,
            vec!["@orders/backend"]
        );
        // An entry without owners takes its section's default owners.
        let docs = file.owner_entry("docs/runbook.md").unwrap();
        assert_eq!(docs.pattern, "/docs/");
        assert_eq!(docs.owners, vec!["@tech-writers"]);
        let only_unowned = owners("[Fulfilment]\n/sam/\n");
        assert!(
            only_unowned
                .owner_entry("sam/a.yaml")
                .unwrap()
                .owners
                .is_empty()
        );
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
