//! The filter stage after the rules: inline `opslint: ignore[...]` comments
//! and the configuration's per-path ignores move findings from the reported
//! list to the suppressed list. Faulty suppressions are reported as
//! `invalid-suppression`, and those that match nothing as
//! `unused-suppression`.
//!
//! Comments are found in the file text that the pipeline already holds, so
//! no file is read twice.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use opslint_core::config::Config;
use opslint_core::{Diagnostic, Sink, SourceFile, Span, Suppression, SuppressionKind, tool_rules};
use rayon::prelude::*;
use regex::Regex;

/// `# opslint: ignore[a, b] until=2027-03-31 reason` or the same after `//`,
/// and `ignore-file[...]` for the whole file.
#[expect(
    clippy::expect_used,
    reason = "the pattern is a constant, and every test that reads a comment compiles it"
)]
static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:#|//)\s*opslint:\s*ignore(-file)?\[([^\]\n]*)\]([^\n]*)")
        .expect("the pattern compiles")
});

/// One suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line of the comment.
    pub line: usize,
    /// 1-based line whose findings it suppresses.
    pub target_line: usize,
    /// `ignore-file[...]`: suppresses the findings of its rules anywhere in
    /// the file, such as a finding on a script's `#!` line, which cannot
    /// carry a comment.
    pub whole_file: bool,
    pub span: Span,
    pub rules: Vec<String>,
    pub reason: String,
    pub until: Option<String>,
}

/// Finds every suppression comment of a file. A comment after code on the
/// same line applies to that line. A comment alone on its line applies to
/// the next line that is not itself a suppression comment, so several
/// comments can be stacked above one line; in Rust, attribute lines between
/// the comment and that line are skipped as well.
pub fn directives(file: &SourceFile) -> Vec<Directive> {
    if !file.text.contains("opslint:") {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut pending_standalone: Vec<Directive> = Vec::new();
    let is_rust = file.path.ends_with(".rs");
    for line in 1..=file.line_count() {
        let Some(start) = file.line_start(line) else {
            break;
        };
        let text = file.line_text(line);
        let Some(captures) = DIRECTIVE.captures(text) else {
            // A comment above `#[...]` attributes applies to the item below
            // them, which is where findings on that item are reported.
            if is_rust && !pending_standalone.is_empty() && text.trim_start().starts_with("#[") {
                continue;
            }
            found.extend(pending_standalone.drain(..).map(|mut standalone| {
                standalone.target_line = line;
                standalone
            }));
            continue;
        };
        let whole = captures.get_match();
        // A repeated id is kept once, so a comment that names one id a
        // million times costs one check, not a million findings.
        let mut seen = std::collections::HashSet::new();
        let whole_file = captures.get(1).is_some();
        let rules = captures[2]
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty() && seen.insert(*id))
            .map(str::to_string)
            .collect();
        let (until, reason) = split_reason(&captures[3]);
        let directive = Directive {
            line,
            target_line: line,
            whole_file,
            span: Span::new(start + whole.start(), start + whole.end()),
            rules,
            reason,
            until,
        };
        if whole_file {
            // Comments stacked above a line still reach it past this one.
            found.push(directive);
        } else if text[..whole.start()].trim().is_empty() {
            pending_standalone.push(directive);
        } else {
            found.extend(pending_standalone.drain(..).map(|mut standalone| {
                standalone.target_line = line;
                standalone
            }));
            found.push(directive);
        }
    }
    // Comments at the end of the file have no line to apply to; they keep
    // their own line and are reported as unused.
    found.extend(pending_standalone);
    found
}

/// Splits the text after `]` into the `until=` date and the reason.
fn split_reason(rest: &str) -> (Option<String>, String) {
    let mut until = None;
    let mut words = Vec::new();
    for word in rest.split_whitespace() {
        match word.strip_prefix("until=") {
            Some(date) if until.is_none() => until = Some(date.to_string()),
            _ => words.push(word),
        }
    }
    let reason = words.join(" ");
    let reason = reason
        .trim_start_matches(|c: char| matches!(c, ':' | '-' | '—' | '–') || c.is_whitespace())
        .to_string();
    (until, reason)
}

/// Today's date as `YYYY-MM-DD` in UTC.
pub fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Converts days since 1970-01-01 to a proleptic Gregorian date, with Howard
/// Hinnant's `civil_from_days` algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `date` is a valid `YYYY-MM-DD` calendar date.
pub(crate) fn is_valid_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return false;
    };
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return false;
    }
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<u32>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// What the filter stage needs to know about the run.
pub struct Context<'a> {
    pub files: &'a BTreeMap<String, Arc<SourceFile>>,
    /// Files read for other files' sake, such as a Terraform module outside
    /// the checked folder. Their comments cover findings reported elsewhere,
    /// but their unused or invalid comments are not reported.
    pub context_files: &'a BTreeMap<String, Arc<SourceFile>>,
    pub config: Option<&'a Config>,
    pub root: &'a Path,
    /// Ids of the rules that ran; suppressions of other rules are not
    /// checked for use.
    pub enabled: &'a [&'static str],
    pub is_known_rule: &'a dyn Fn(&str) -> bool,
    /// The ids of the suppression checks that the run reports:
    /// `invalid-suppression`, `unused-suppression`, both or neither.
    pub reported: &'a [&'static str],
    /// `YYYY-MM-DD`; suppressions with an earlier `until` date have expired.
    pub today: &'a str,
}

/// The result of [`apply`]: the findings it took out of the reported ones,
/// and those it let back.
pub struct Applied {
    /// The suppressed findings, each with its [`Suppression`].
    pub suppressed: Vec<Diagnostic>,
    /// Fingerprints of the findings whose inline suppression has expired,
    /// so they are reported again.
    pub expired: Vec<String>,
}

/// Moves suppressed findings out of `sink`, and adds `invalid-suppression`
/// and `unused-suppression` findings to `sink`.
pub fn apply(sink: &mut Sink, context: &Context<'_>) -> Applied {
    let config_source = context
        .config
        .map(|config| config_source(config, context))
        .unwrap_or_default();
    // Every file's text is scanned for comments; on the pool, since a large
    // run has tens of thousands of files and few comments.
    let mut by_file: BTreeMap<&str, Vec<(Directive, Vec<bool>)>> = context
        .files
        .par_iter()
        .chain(context.context_files.par_iter())
        .filter_map(|(path, file)| {
            let found = directives(file);
            (!found.is_empty()).then(|| {
                let list = found
                    .into_iter()
                    .map(|directive| {
                        let used = vec![false; directive.rules.len()];
                        (directive, used)
                    })
                    .collect();
                (path.as_str(), list)
            })
        })
        .collect();

    // Only suppressed findings are moved out; the rest keep their order in
    // place.
    let mut expired = Vec::new();
    let suppressed: Vec<Diagnostic> = sink
        .diagnostics
        .extract_if(.., |diagnostic| {
            let rule = diagnostic.rule.id;
            let line = diagnostic.start.line;
            // Sources name files by their repository path, as SARIF URIs do.
            let source_path = |path: &str| -> String {
                context
                    .files
                    .get(path)
                    .or_else(|| context.context_files.get(path))
                    .map_or(path, |file| file.identity_path())
                    .to_string()
            };
            let mut inline = by_file.get_mut(diagnostic.path.as_str()).and_then(|list| {
                let source = source_path(&diagnostic.path);
                inline_suppression(list, rule, &(line..=line), context.today, &source)
            });
            // A comment in a shared module's resource block covers every
            // call of the module.
            if inline.is_none()
                && let Some((path, lines)) = diagnostic.also_suppressed_at.as_deref()
            {
                let source = source_path(path);
                inline = by_file
                    .get_mut(path.as_str())
                    .and_then(|list| inline_suppression(list, rule, lines, context.today, &source));
            }
            let inline = match inline {
                Some(InlineMatch::Suppressed(suppression)) => Some(suppression),
                Some(InlineMatch::Expired { line, until }) => {
                    expired.push(diagnostic.fingerprint.clone());
                    let note = if is_valid_date(&until) {
                        format!("the suppression on line {line} expired on {until}")
                    } else {
                        format!(
                            "the suppression on line {line} has the invalid `until` date `{until}`"
                        )
                    };
                    diagnostic.help = Some(match diagnostic.help.take() {
                        Some(help) => format!("{help}; {note}"),
                        None => note,
                    });
                    None
                }
                None => None,
            };
            diagnostic.suppression = inline
                .or_else(|| config_suppression(diagnostic, context, &config_source))
                .map(Box::new);
            diagnostic.suppression.is_some()
        })
        .collect();

    if !context.reported.is_empty() {
        for (path, list) in &by_file {
            let Some(file) = context.files.get(*path) else {
                continue;
            };
            if context.context_files.contains_key(*path) {
                continue;
            }
            for (directive, used) in list {
                report_faults(sink, file, directive, used, context);
            }
        }
    }
    Applied {
        suppressed,
        expired,
    }
}

/// A suppression comment that names a finding's rule on its line.
enum InlineMatch {
    Suppressed(Suppression),
    /// The comment's `until` date has passed or is invalid, so the finding
    /// is reported.
    Expired {
        line: usize,
        until: String,
    },
}

/// The inline suppression for a finding of `rule` on one of `lines`,
/// marking the matching comment as used. Tool failures (`io-error`, `internal-error`) cannot be suppressed.
fn inline_suppression(
    list: &mut [(Directive, Vec<bool>)],
    rule: &str,
    lines: &std::ops::RangeInclusive<usize>,
    today: &str,
    source_path: &str,
) -> Option<InlineMatch> {
    if matches!(rule, "io-error" | "internal-error") {
        return None;
    }
    for (directive, used) in list.iter_mut() {
        if !directive.whole_file && !lines.contains(&directive.target_line) {
            continue;
        }
        let Some(index) = directive.rules.iter().position(|id| id == rule) else {
            continue;
        };
        // An expired suppression still counts as used, so only the returned
        // finding is reported and not an unused suppression as well.
        used[index] = true;
        if let Some(until) = &directive.until
            && (!is_valid_date(until) || until.as_str() < today)
        {
            return Some(InlineMatch::Expired {
                line: directive.line,
                until: until.clone(),
            });
        }
        return Some(InlineMatch::Suppressed(Suppression {
            kind: SuppressionKind::Inline,
            reason: directive.reason.clone(),
            until: directive.until.clone(),
            source: format!("{source_path}:{}", directive.line),
        }));
    }
    None
}

fn config_suppression(
    diagnostic: &Diagnostic,
    context: &Context<'_>,
    source: &str,
) -> Option<Suppression> {
    let config = context.config?;
    let absolute = context.root.join(&diagnostic.path);
    let entry = config.path_ignore(&absolute, diagnostic.rule.id)?;
    Some(Suppression {
        kind: SuppressionKind::Config,
        reason: format!("`per-path-ignores` entry `{}`", entry.pattern),
        until: None,
        source: source.to_string(),
    })
}

/// Returns the configuration's path for suppression sources: from the
/// repository's root like the other sources, else from the run's root when
/// the file is inside it.
fn config_source(config: &Config, context: &Context<'_>) -> String {
    let top = opslint_report::repository_root(context.files, context.root).map(|(_, top)| top);
    top.as_deref()
        .and_then(|top| config.path.strip_prefix(top).ok())
        .or_else(|| config.path.strip_prefix(context.root).ok())
        .unwrap_or(&config.path)
        .display()
        .to_string()
}

/// Reports a suppression comment without a reason, with an unknown rule id
/// or an invalid date, or with a rule id that matched no finding.
fn report_faults(
    sink: &mut Sink,
    file: &SourceFile,
    directive: &Directive,
    used: &[bool],
    context: &Context<'_>,
) {
    // For a comment that misses its finding, the nearest finding of each of
    // its rules in the lines below, as when the comment sits above a YAML
    // block whose finding is on a nested key.
    let nearest_below: Vec<Option<usize>> = directive
        .rules
        .iter()
        .map(|id| {
            sink.diagnostics
                .iter()
                .filter(|d| d.path == file.path && d.rule.id == id.as_str())
                .map(|d| d.start.line)
                .filter(|line| *line > directive.target_line && *line <= directive.target_line + 20)
                .min()
        })
        .collect();
    let mut report =
        |rule: &'static opslint_core::RuleMeta, key: String, message: String, help: &str| {
            if !context.reported.contains(&rule.id) {
                return;
            }
            sink.violation(rule, file, directive.span, key, message, "suppression")
                .help = Some(help.to_string());
        };
    let invalid = &tool_rules::INVALID_SUPPRESSION;
    let unused = &tool_rules::UNUSED_SUPPRESSION;
    if directive.rules.is_empty() {
        report(
            invalid,
            "ignore[]".into(),
            "suppression names no rule id".into(),
            "write the rule ids inside the brackets, for example `ignore[mutable-image-tag]`",
        );
        return;
    }
    if directive.reason.is_empty() {
        report(
            invalid,
            format!("ignore[{}]/reason", directive.rules.join(",")),
            format!(
                "suppression of `{}` has no reason",
                directive.rules.join("`, `")
            ),
            "write why the finding is accepted after the closing bracket",
        );
    }
    if let Some(until) = &directive.until
        && !is_valid_date(until)
    {
        report(
            invalid,
            format!("ignore[{}]/until", directive.rules.join(",")),
            format!("invalid `until` date `{until}`; expected `YYYY-MM-DD`"),
            "write the expiry as a calendar date, for example `until=2027-03-31`",
        );
        return;
    }
    for ((id, was_used), nearest) in directive.rules.iter().zip(used).zip(&nearest_below) {
        if !(context.is_known_rule)(id) {
            let help = match crate::closest_rule_id(id) {
                Some(close) => {
                    format!("did you mean `{close}`? `opslint rules` lists the rule ids")
                }
                None => "`opslint rules` lists the rule ids".to_string(),
            };
            report(
                invalid,
                format!("ignore[{id}]"),
                format!("suppression names unknown rule `{id}`"),
                &help,
            );
        } else if !was_used && context.enabled.contains(&id.as_str()) {
            if directive.whole_file {
                report(
                    unused,
                    format!("ignore-file[{id}]"),
                    format!("suppression of `{id}` matches no finding in this file"),
                    "delete the suppression",
                );
            } else if let Some(line) = nearest {
                report(
                    unused,
                    format!("ignore[{id}]"),
                    format!(
                        "suppression of `{id}` matches no finding on line {}; the nearest \
                         `{id}` finding is on line {line}",
                        directive.target_line
                    ),
                    &format!(
                        "move the comment to line {line} or the line above it: a comment covers \
                         its own line or, alone on its line, the next one"
                    ),
                );
            } else {
                report(
                    unused,
                    format!("ignore[{id}]"),
                    format!(
                        "suppression of `{id}` matches no finding on line {}",
                        directive.target_line
                    ),
                    "delete the suppression, or move it to the line of the finding or the line above",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("a.yaml".into(), PathBuf::from("a.yaml"), text.into())
    }

    #[test]
    fn trailing_comment_targets_its_line() {
        let found = directives(&file(
            "a: 1\nimage: x:latest  # opslint: ignore[mutable-image-tag] rebuilt nightly\n",
        ));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 2);
        assert_eq!(found[0].target_line, 2);
        assert_eq!(found[0].rules, ["mutable-image-tag"]);
        assert_eq!(found[0].reason, "rebuilt nightly");
    }

    #[test]
    fn repeated_rule_ids_count_once() {
        let found = directives(&file("a: 1  # opslint: ignore[b, a, b, b, a] why\n"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rules, ["b", "a"]);
    }

    #[test]
    fn rust_attributes_between_comment_and_item_are_skipped() {
        let rust = SourceFile::new(
            "src/main.rs".into(),
            PathBuf::from("src/main.rs"),
            "// opslint: ignore[a] shared client\n#[allow(unused)]\n#[inline]\nfn client() {}\n"
                .into(),
        );
        assert_eq!(directives(&rust)[0].target_line, 4);
        // Elsewhere `#[` is an ordinary line, such as a YAML comment.
        let yaml = file("# opslint: ignore[a] why\n#[not an attribute]\nimage: x\n");
        assert_eq!(directives(&yaml)[0].target_line, 2);
    }

    #[test]
    fn standalone_comments_target_next_line() {
        let found = directives(&file(
            "// opslint: ignore[a] one\n  // opslint: ignore[b, c] until=2030-01-02 two\n\"x\": 1\n",
        ));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].target_line, 3);
        assert_eq!(found[1].target_line, 3);
        assert_eq!(found[1].rules, ["b", "c"]);
        assert_eq!(found[1].until.as_deref(), Some("2030-01-02"));
        assert_eq!(found[1].reason, "two");
    }

    #[test]
    fn reason_separator_is_dropped() {
        assert_eq!(split_reason(" -- accepted").1, "accepted");
        assert_eq!(split_reason(": accepted").1, "accepted");
        assert_eq!(split_reason("").1, "");
    }

    #[test]
    fn dates_are_checked() {
        assert!(is_valid_date("2024-02-29"));
        assert!(!is_valid_date("2023-02-29"));
        assert!(!is_valid_date("2027-13-01"));
        assert!(!is_valid_date("27-03-31"));
    }

    #[test]
    fn civil_dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }
}
