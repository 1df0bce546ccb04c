use std::collections::HashMap;

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
    let mut out = Vec::new();
    // `Vec<u8>` accepts every write, so the result is always `Ok`.
    let _ = write(report, options, &mut out);
    String::from_utf8(out)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// Writes [`render`]'s text to `writer` as it is rendered.
///
/// Diagnostics and questions are rendered in chunks on several threads, a
/// window of chunks at a time: a large run reports tens of thousands of
/// them, and rendering each snippet was the longest step after the rules.
/// Each window is written before the next is rendered, into the same
/// buffers, so the output never sits in memory whole: at 20,000 files it
/// is about 30 MB, which fresh pages made slow to fill.
pub fn write(
    report: &Report<'_>,
    options: &TextOptions,
    writer: &mut dyn std::io::Write,
) -> std::io::Result<()> {
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
    let window = WINDOW_CHUNKS * rayon::current_num_threads().max(1);
    let mut buffers: Vec<Vec<u8>> = Vec::new();
    let chunks: Vec<&[opslint_core::Diagnostic]> = report.diagnostics.chunks(CHUNK).collect();
    for group in chunks.chunks(window) {
        buffers.resize_with(buffers.len().max(group.len()), || {
            // Sized for a typical snippet, so the buffer does not grow by
            // doubling.
            Vec::with_capacity(CHUNK * 640)
        });
        buffers[..group.len()]
            .par_iter_mut()
            .zip(group.par_iter())
            .for_each(|(buffer, chunk)| {
                buffer.clear();
                if options.color {
                    render_chunk(Ansi::new(&mut *buffer), chunk, &files, &ids);
                } else {
                    render_chunk(NoColor::new(&mut *buffer), chunk, &files, &ids);
                }
            });
        for buffer in &buffers[..group.len()] {
            writer.write_all(buffer)?;
        }
    }
    let chunks: Vec<&[opslint_core::Question]> = report.questions.chunks(CHUNK).collect();
    for group in chunks.chunks(window) {
        buffers.resize_with(buffers.len().max(group.len()), Vec::new);
        buffers[..group.len()]
            .par_iter_mut()
            .zip(group.par_iter())
            .for_each(|(buffer, chunk)| {
                buffer.clear();
                for question in *chunk {
                    let _ = std::io::Write::write_fmt(
                        buffer,
                        format_args!(
                            "question[{}]: {}\n  --> {}:{}:{}\n   = because {}\n\n",
                            question.rule.id,
                            printable(&question.question),
                            question.path,
                            question.start.line,
                            question.start.column,
                            printable(&question.reason)
                        ),
                    );
                }
            });
        for buffer in &buffers[..group.len()] {
            writer.write_all(buffer)?;
        }
    }
    writer.write_all(summary(report).as_bytes())
}

/// `text` with control characters escaped (`\n` as `\\n`), so a value
/// from a file, such as a name with a line break, cannot break the layout
/// of the output.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    // Control characters are ASCII or start with the byte 0xC2 in UTF-8,
    // so most texts are cleared by a byte scan.
    let may_have_control = any_byte(text.as_bytes(), |byte| {
        byte < 0x20 || byte == 0x7f || byte == 0xc2
    });
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

/// Returns whether any byte of `bytes` matches `test`. The bytes are tested
/// 16 at a time without stopping inside a group, a loop the compiler turns
/// into vector instructions. A byte-by-byte `any` was the largest cost of
/// rendering, because every message, label and help text is scanned.
fn any_byte(bytes: &[u8], test: impl Fn(u8) -> bool) -> bool {
    let mut groups = bytes.chunks_exact(16);
    for group in &mut groups {
        if group.iter().fold(false, |found, &byte| found | test(byte)) {
            return true;
        }
    }
    groups.remainder().iter().any(|&byte| test(byte))
}

/// Diagnostics rendered per task of the pool.
const CHUNK: usize = 256;

/// Chunks rendered per thread of the pool before they are written.
const WINDOW_CHUNKS: usize = 4;

fn render_chunk<W: WriteColor>(
    mut writer: W,
    chunk: &[opslint_core::Diagnostic],
    files: &Sources<'_>,
    ids: &HashMap<&str, usize>,
) -> W {
    let config = Config::default();
    let plain = !writer.supports_color();
    let mut buffer = Vec::with_capacity(1024);
    // The principle note depends on the rule only, so it is written once
    // per rule and chunk instead of once per finding.
    let mut principle_notes = HashMap::new();
    for diagnostic in chunk {
        let principle_note = principle_notes
            .entry(diagnostic.rule.id)
            .or_insert_with(|| principle_note(diagnostic.rule));
        let file = ids
            .get(diagnostic.path.as_str())
            .and_then(|id| files.get(*id).ok());
        if plain
            && let Some(file) = file
            && write_simple(
                &mut writer,
                &mut buffer,
                diagnostic,
                principle_note.as_deref(),
                file,
            )
        {
            continue;
        }
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

/// Writes `diagnostic` as codespan renders it without colour, when its span
/// lies on one line of printable ASCII: the case of nearly every finding.
/// Returns false, having written nothing, for any other span, which
/// codespan then renders. codespan writes such a snippet character by
/// character through the formatting machinery, which made rendering the
/// longest step after the rules in large runs. The test
/// `simple_snippets_match_codespan` compares this output with codespan's.
fn write_simple<W: std::io::Write>(
    writer: &mut W,
    buffer: &mut Vec<u8>,
    diagnostic: &opslint_core::Diagnostic,
    principle_note: Option<&str>,
    file: &SourceFile,
) -> bool {
    let text = file.text.as_str();
    let start = diagnostic.span.start;
    let end = diagnostic.span.end.max(start);
    if end > text.len() {
        return false;
    }
    let line_index = file.line_index(start);
    if file.line_index(end) != line_index {
        return false;
    }
    let Some(line_range) = file.line_range(line_index) else {
        return false;
    };
    let line = &text[line_range.clone()];
    let source = line.trim_end_matches(['\n', '\r', '\0']);
    // Printable ASCII is one column per byte. A tab, a control character
    // or a wider character is left to codespan.
    if !line.is_ascii() || any_byte(source.as_bytes(), |byte| !(b' '..=b'~').contains(&byte)) {
        return false;
    }
    let line_number = line_index + 1;
    let column = start.min(line_range.end) - line_range.start + 1;
    let label_start = start - line_range.start;
    let label_end = (end - line_range.start).max(label_start + 1);
    // The gutter is as wide as the line number, and one space more.
    let width = line_number.ilog10() as usize + 1;
    let gutter = &GUTTER_SPACES[..(width + 1).min(GUTTER_SPACES.len())];
    let help = diagnostic.help.as_deref().map(printable);

    // The pieces are appended one by one, because formatting them with
    // `write!` was slower: 37 against 29 ms for 48,151 findings.
    let out = buffer;
    out.clear();
    out.extend_from_slice(diagnostic.severity.as_str().as_bytes());
    out.push(b'[');
    out.extend_from_slice(diagnostic.rule.id.as_bytes());
    out.extend_from_slice(b"]: ");
    out.extend_from_slice(printable(&diagnostic.message).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(gutter.as_bytes());
    out.extend_from_slice("\u{250c}\u{2500} ".as_bytes());
    out.extend_from_slice(file.path.as_bytes());
    out.push(b':');
    push_number(out, line_number);
    out.push(b':');
    push_number(out, column);
    out.push(b'\n');
    out.extend_from_slice(gutter.as_bytes());
    out.extend_from_slice("\u{2502}\n".as_bytes());
    push_number(out, line_number);
    out.extend_from_slice(" \u{2502} ".as_bytes());
    out.extend_from_slice(source.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(gutter.as_bytes());
    out.extend_from_slice("\u{2502} ".as_bytes());
    // One column per character of the line and one past its end, where a
    // span at the end of the line shows its caret.
    for column in 0..=source.len() {
        if column >= label_end {
            break;
        }
        out.push(if column >= label_start { b'^' } else { b' ' });
    }
    let label = printable(&diagnostic.label);
    if !label.is_empty() {
        out.push(b' ');
        out.extend_from_slice(label.as_bytes());
    }
    out.push(b'\n');
    if principle_note.is_some() || help.is_some() {
        out.extend_from_slice(gutter.as_bytes());
        out.extend_from_slice("\u{2502}\n".as_bytes());
    }
    let notes = principle_note
        .map(|note| ("", note))
        .into_iter()
        .chain(help.as_deref().map(|help| ("help: ", help)));
    for (prefix, note) in notes {
        // codespan writes each line of the note's text, the first after
        // `= `, and the text is `prefix` followed by `note`.
        let mut lines = note.lines();
        let first = lines.next();
        if first.is_some() || !prefix.is_empty() {
            out.extend_from_slice(gutter.as_bytes());
            out.extend_from_slice(b"= ");
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(first.unwrap_or("").as_bytes());
            out.push(b'\n');
        }
        for note_line in lines {
            out.extend_from_slice(gutter.as_bytes());
            out.extend_from_slice(b"  ");
            out.extend_from_slice(note_line.as_bytes());
            out.push(b'\n');
        }
    }
    out.push(b'\n');
    writer.write_all(out).is_ok()
}

/// Spaces for the gutter of a snippet, longer than any line number.
const GUTTER_SPACES: &str = "                        ";

/// Appends the decimal digits of `number`.
fn push_number(out: &mut Vec<u8>, number: usize) {
    let mut digits = [0u8; 20];
    let mut rest = number;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
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
    use std::collections::HashMap;

    use codespan_reporting::term::Config;
    use codespan_reporting::term::termcolor::NoColor;
    use opslint_core::{SourceFile, Span, tool_rules};

    use super::{Sources, principle_note, printable, render_diagnostic, write_simple};

    #[test]
    fn control_characters_are_found_at_every_position() {
        // Lengths around the 16-byte groups, with the character in a group
        // and in the remainder.
        for length in 1..40 {
            for at in 0..length {
                for control in ['\n', '\u{7f}', '\u{85}'] {
                    let mut text: String = "a".repeat(length);
                    text.replace_range(at..=at, &control.to_string());
                    let escaped = printable(&text);
                    assert!(
                        !escaped.contains(control),
                        "{control:?} at {at} of {length} was not escaped"
                    );
                }
            }
            let plain = "b".repeat(length);
            assert!(matches!(printable(&plain), std::borrow::Cow::Borrowed(_)));
        }
        // 0xC2 starts printable characters too: they stay as they are.
        assert_eq!(printable("caf\u{e9} \u{a9} 2026"), "caf\u{e9} \u{a9} 2026");
    }

    /// Renders one finding with codespan and with the short path, or
    /// `None` for the second when the short path declines it.
    fn both_ways(
        text: &str,
        span: Span,
        label: &str,
        help: Option<&str>,
        principle: bool,
    ) -> (String, Option<String>) {
        let file = SourceFile::new("src/app.yaml".into(), "src/app.yaml".into(), text.into());
        let mut sink = opslint_core::Sink::new();
        let rule = if principle {
            rule_with_principle()
        } else {
            &tool_rules::PARSE_ERROR
        };
        sink.violation(rule, &file, span, "", "the message", label)
            .help = help.map(str::to_string);
        let diagnostic = &sink.diagnostics[0];

        let note = principle_note(diagnostic.rule);
        let files = Sources(vec![&file]);
        let ids = HashMap::from([("src/app.yaml", 0)]);
        let mut codespan = NoColor::new(Vec::new());
        render_diagnostic(
            &mut codespan,
            &Config::default(),
            diagnostic,
            note.as_deref(),
            &files,
            &ids,
        );

        let mut simple = Vec::new();
        let written = write_simple(
            &mut simple,
            &mut Vec::new(),
            diagnostic,
            note.as_deref(),
            &file,
        );
        (
            String::from_utf8(codespan.into_inner()).unwrap(),
            written.then(|| String::from_utf8(simple).unwrap()),
        )
    }

    /// Returns a rule with a principle and best practices, so that the
    /// principle note is written.
    fn rule_with_principle() -> &'static opslint_core::RuleMeta {
        static RULE: opslint_core::RuleMeta = opslint_core::RuleMeta {
            principle: Some(opslint_core::Principle::SafeAutomation),
            waf: &["OPS05-BP04", "OPS06-BP01"],
            ..tool_rules::PARSE_ERROR
        };
        &RULE
    }

    #[test]
    fn simple_snippets_match_codespan() {
        let mut text = String::new();
        for line in 1..=120 {
            text.push_str(&format!("key{line}: value {line}\n"));
        }
        text.push_str("crlf: line\r\n");
        text.push_str("last: no newline");
        let line_start = |line: usize| {
            text.split_inclusive('\n')
                .take(line - 1)
                .map(str::len)
                .sum::<usize>()
        };
        let mut checked = 0;
        for line in [1, 9, 10, 99, 100, 120, 121, 122] {
            let start = line_start(line);
            let length = text[start..]
                .find('\n')
                .map_or(text.len() - start, |at| at + 1);
            // Spans from the line's start, inside it, empty, to its end, over
            // its line ending, and just past its last character.
            for (from, to) in [
                (0, 3),
                (2, 7),
                (4, 4),
                (0, length.saturating_sub(1)),
                (0, length),
                (length.saturating_sub(1), length),
                (length, length),
            ] {
                let span = Span::new(start + from, (start + to).min(text.len()));
                for (label, help, principle) in [
                    ("the label", Some("do this"), true),
                    ("", None, false),
                    ("label", Some("first\nsecond"), false),
                    ("label", Some(""), true),
                ] {
                    let (codespan, simple) = both_ways(&text, span, label, help, principle);
                    if let Some(simple) = simple {
                        assert_eq!(simple, codespan, "span {span:?} on line {line}");
                        checked += 1;
                    }
                }
            }
        }
        // Most of the spans above stay on one line, so the short path wrote them.
        assert!(checked >= 120, "only {checked} spans took the short path");
    }

    #[test]
    fn other_snippets_are_left_to_codespan() {
        let cases = [
            ("a:\tb\n", Span::new(0, 1)),
            ("name: caf\u{e9}\n", Span::new(0, 4)),
            ("a: 1\nb: 2\n", Span::new(0, 8)),
            ("a\u{7}b: 1\n", Span::new(0, 1)),
        ];
        for (text, span) in cases {
            let (_, simple) = both_ways(text, span, "label", None, true);
            assert_eq!(simple, None, "{text:?} took the short path");
        }
    }

    #[test]
    fn printable_escapes_control_characters() {
        assert_eq!(printable("container `web`"), "container `web`");
        assert_eq!(printable("line1\nline2\r\u{85}"), "line1\\nline2\\r\\u{85}");
        assert_eq!(printable("café ✓"), "café ✓");
    }
}
