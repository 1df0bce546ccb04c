use std::collections::HashMap;
use std::fmt::Write as _;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::termcolor::{Ansi, NoColor, WriteColor};
use codespan_reporting::term::{self, Config};
use opslint_core::{Severity, SourceFile};
use rayon::prelude::*;

use crate::Report;

pub struct TextOptions {
    pub color: bool,
}

/// Renders diagnostics in rustc style, then the questions and a summary.
pub fn render(report: &Report<'_>, options: &TextOptions) -> String {
    render_pieces(report, options).concat()
}

/// [`render`] as pieces that, written in order, give the same text. The
/// command line writes them one by one: joining them would copy the whole
/// output, tens of megabytes for a large run, into fresh memory.
///
/// Diagnostics are rendered in chunks on several threads: a large run
/// reports tens of thousands of them, and rendering each snippet was the
/// longest step after the rules.
pub fn render_pieces(report: &Report<'_>, options: &TextOptions) -> Vec<String> {
    let mut files = Sources(Vec::new());
    let mut ids = HashMap::new();
    let mut previous: Option<&str> = None;
    for diagnostic in report.diagnostics {
        // Findings come sorted by path, so most share the previous one's.
        if previous == Some(diagnostic.path.as_str()) {
            continue;
        }
        previous = Some(&diagnostic.path);
        if let Some(file) = report.files.get(&diagnostic.path) {
            ids.entry(diagnostic.path.as_str()).or_insert_with(|| {
                files.0.push(file.as_ref());
                files.0.len() - 1
            });
        }
    }
    let mut pieces: Vec<String> = report
        .diagnostics
        .par_chunks(CHUNK)
        .map(|chunk| {
            // Sized for a typical snippet, so the buffer does not grow by
            // doubling: fresh pages were most of the time of rendering.
            let capacity = chunk.len() * 640;
            let bytes = if options.color {
                render_chunk(Ansi::new(Vec::with_capacity(capacity)), chunk, &files, &ids)
                    .into_inner()
            } else {
                render_chunk(
                    NoColor::new(Vec::with_capacity(capacity)),
                    chunk,
                    &files,
                    &ids,
                )
                .into_inner()
            };
            String::from_utf8(bytes)
                .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
        })
        .collect();
    // Questions are rendered on the pool as well, since a large run has
    // thousands.
    pieces.par_extend(report.questions.par_chunks(CHUNK).map(|chunk| {
        let size: usize = chunk
            .iter()
            .map(|q| q.question.len() + q.reason.len() + q.path.len() + 64)
            .sum();
        let mut out = String::with_capacity(size);
        for question in chunk {
            let _ = write!(
                out,
                "question[{}]: {}\n  --> {}:{}:{}\n   = because {}\n\n",
                question.rule.id,
                printable(&question.question),
                question.path,
                question.start.line,
                question.start.column,
                printable(&question.reason)
            );
        }
        out
    }));
    let mut out = String::with_capacity(256);
    out.push_str(&summary(report));
    pieces.push(out);
    pieces
}

/// `text` with control characters escaped (`\n` as `\\n`), so a value
/// from a file, such as a name with a line break, cannot break the layout
/// of the output.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    // Control characters are ASCII or start with the byte 0xC2 in UTF-8,
    // so most texts are cleared by a byte scan.
    let may_have_control = text
        .bytes()
        .any(|byte| byte < 0x20 || byte == 0x7f || byte == 0xc2);
    if !may_have_control || !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if character.is_control() {
            escaped.extend(character.escape_default());
        } else {
            escaped.push(character);
        }
    }
    std::borrow::Cow::Owned(escaped)
}

/// Diagnostics rendered per task of the pool.
const CHUNK: usize = 256;

fn render_chunk<W: WriteColor>(
    mut writer: W,
    chunk: &[opslint_core::Diagnostic],
    files: &Sources<'_>,
    ids: &HashMap<&str, usize>,
) -> W {
    let config = Config::default();
    // The principle note depends on the rule only, so it is written once
    // per rule and chunk instead of once per finding.
    let mut principle_notes = HashMap::new();
    for diagnostic in chunk {
        let principle_note = principle_notes
            .entry(diagnostic.rule.id)
            .or_insert_with(|| principle_note(diagnostic.rule));
        render_diagnostic(
            &mut writer,
            &config,
            diagnostic,
            principle_note.as_deref(),
            files,
            ids,
        );
    }
    writer
}

/// Builds the `principle: ...` note of a rule's findings, with its
/// Well-Architected best practices.
fn principle_note(rule: &opslint_core::RuleMeta) -> Option<String> {
    let principle = rule.principle?;
    Some(if rule.waf.is_empty() {
        format!("principle: {}", principle.slug())
    } else {
        format!("principle: {} ({})", principle.slug(), rule.waf.join(", "))
    })
}

fn render_diagnostic<W: WriteColor>(
    buffer: &mut W,
    config: &Config,
    diagnostic: &opslint_core::Diagnostic,
    principle_note: Option<&str>,
    files: &Sources<'_>,
    ids: &HashMap<&str, usize>,
) {
    let severity = match diagnostic.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Note => CsSeverity::Note,
    };
    let mut notes = Vec::with_capacity(2);
    if let Some(note) = principle_note {
        notes.push(note.to_string());
    }
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {}", printable(help)));
    }
    let mut rendered = CsDiagnostic::new(severity)
        .with_code(diagnostic.rule.id)
        .with_message(printable(&diagnostic.message))
        .with_notes(notes);
    match ids.get(diagnostic.path.as_str()) {
        Some(id) => {
            let end = diagnostic.span.end.max(diagnostic.span.start);
            rendered = rendered.with_labels(vec![
                Label::primary(*id, diagnostic.span.start..end)
                    .with_message(printable(&diagnostic.label)),
            ]);
            if term::emit_to_write_style(buffer, config, files, &rendered).is_err() {
                write_plain(buffer, diagnostic);
            }
        }
        None => write_plain(buffer, diagnostic),
    }
}

/// The files that diagnostics point into, for codespan. Lines come from the
/// index each [`SourceFile`] already holds, so rendering does not index
/// every file again.
struct Sources<'a>(Vec<&'a SourceFile>);

impl<'a> Sources<'a> {
    fn get(&self, id: usize) -> Result<&'a SourceFile, FilesError> {
        self.0.get(id).copied().ok_or(FilesError::FileMissing)
    }
}

impl<'a> Files<'a> for Sources<'a> {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(self.get(id)?.path.as_str())
    }

    fn source(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(self.get(id)?.text.as_str())
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.get(id)?.line_index(byte_index))
    }

    fn line_range(
        &'a self,
        id: usize,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, FilesError> {
        let file = self.get(id)?;
        file.line_range(line_index).ok_or(FilesError::LineTooLarge {
            given: line_index,
            max: file.line_count().saturating_sub(1),
        })
    }
}

/// A diagnostic whose file text is not available, such as an unreadable file.
fn write_plain<W: WriteColor>(buffer: &mut W, diagnostic: &opslint_core::Diagnostic) {
    let _ = buffer.set_color(&Default::default());
    let text = format!(
        "{}[{}]: {}\n  --> {}\n\n",
        diagnostic.severity.as_str(),
        diagnostic.rule.id,
        diagnostic.message,
        diagnostic.path
    );
    let _ = std::io::Write::write_all(buffer, text.as_bytes());
}

fn summary(report: &Report<'_>) -> String {
    let total = report.diagnostics.len();
    let files = plural(report.file_count, "file", "files");
    // Findings a baseline hides and risks that ADRs accept are counted
    // apart from those that a comment or the configuration suppresses.
    let baselined = report.suppressed_by(opslint_core::SuppressionKind::Baseline);
    let accepted = report.suppressed_by(opslint_core::SuppressionKind::Adr);
    let mut hidden = Vec::new();
    match report.suppressed.len() - baselined - accepted {
        0 => {}
        count => hidden.push(format!("{count} suppressed")),
    }
    match accepted {
        0 => {}
        1 => hidden.push("1 accepted by an ADR".to_string()),
        count => hidden.push(format!("{count} accepted by ADRs")),
    }
    if baselined > 0 {
        hidden.push(format!("{baselined} in the baseline"));
    }
    let suppressed = if hidden.is_empty() {
        String::new()
    } else {
        format!("; {}", hidden.join(", "))
    };
    if total == 0 && report.questions.is_empty() {
        return format!("No findings in {files}{suppressed}.\n");
    }
    let mut parts = Vec::new();
    for (severity, singular, plural_form) in [
        (Severity::Error, "error", "errors"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Note, "note", "notes"),
    ] {
        let count = report.count(severity);
        if count > 0 {
            parts.push(plural(count, singular, plural_form));
        }
    }
    let findings = if total == 0 {
        "No findings".to_string()
    } else {
        format!(
            "Found {} ({})",
            plural(total, "finding", "findings"),
            parts.join(", ")
        )
    };
    let questions = if report.questions.is_empty() {
        String::new()
    } else {
        format!(
            " and {} the repository cannot answer",
            plural(report.questions.len(), "question", "questions")
        )
    };
    format!("{findings}{questions} in {files}{suppressed}.\n")
}

fn plural(count: usize, singular: &str, plural: &str) -> String {
    if count == 1 {
        format!("{count} {singular}")
    } else {
        format!("{count} {plural}")
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn printable_escapes_control_characters() {
        assert_eq!(printable("container `web`"), "container `web`");
        assert_eq!(printable("line1\nline2\r\u{85}"), "line1\\nline2\\r\\u{85}");
        assert_eq!(printable("café ✓"), "café ✓");
    }
}
