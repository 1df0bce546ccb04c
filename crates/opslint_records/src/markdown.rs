//! A Markdown document reduced to what ADRs and post-incident analyses use:
//! front matter, the title, sections, list items with their checkbox state,
//! tables and `Key: value` metadata lines, all with byte spans.

use opslint_core::Span;
use pulldown_cmark::{Event, HeadingLevel, MetadataBlockKind, Options, Parser, Tag, TagEnd};

#[derive(Debug, Default)]
pub struct Document {
    pub front_matter: Vec<Field>,
    pub title: Option<(String, Span)>,
    pub sections: Vec<Section>,
    pub items: Vec<Item>,
    pub tables: Vec<Table>,
    /// `Key: value` lines in list items or paragraphs, in document order.
    pub fields: Vec<Field>,
    /// Relative and absolute link targets with the link text.
    pub links: Vec<Link>,
}

/// A metadata value: front matter keys keep lists as lists.
#[derive(Debug, Clone)]
pub struct Field {
    pub key: String,
    pub values: Vec<String>,
    pub span: Span,
}

impl Field {
    pub fn value(&self) -> String {
        self.values.join(", ")
    }
}

#[derive(Debug, Clone)]
pub struct Section {
    pub heading: String,
    pub level: u8,
    /// The heading line.
    pub span: Span,
    /// From the end of the heading to the next heading of the same or a
    /// higher level.
    pub body: Span,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub text: String,
    pub span: Span,
    /// `Some` for task list items (`- [x]`, `- [ ]`).
    pub checked: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(Vec<String>, Span)>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub target: String,
    pub text: String,
    pub span: Span,
}

impl Document {
    /// The first section whose heading, lower-cased, contains one of `names`.
    pub fn section(&self, names: &[&str]) -> Option<&Section> {
        self.sections.iter().find(|section| {
            let heading = section.heading.to_lowercase();
            names.iter().any(|name| heading.contains(name))
        })
    }

    /// The first section whose heading is exactly one of `names`, compared
    /// case-insensitively.
    pub fn section_named(&self, names: &[&str]) -> Option<&Section> {
        self.sections.iter().find(|section| {
            names
                .iter()
                .any(|name| section.heading.trim().eq_ignore_ascii_case(name))
        })
    }

    pub fn items_in(&self, body: Span) -> impl Iterator<Item = &Item> {
        self.items
            .iter()
            .filter(move |item| body.start <= item.span.start && item.span.start < body.end)
    }

    pub fn tables_in(&self, body: Span) -> impl Iterator<Item = &Table> {
        self.tables
            .iter()
            .filter(move |table| body.start <= table.span.start && table.span.start < body.end)
    }

    /// The value of a metadata key from the front matter or a `Key: value`
    /// line, compared case-insensitively with `-`, `_` and spaces ignored.
    pub fn field(&self, keys: &[&str]) -> Option<&Field> {
        let wanted: Vec<String> = keys.iter().map(|k| normalize_key(k)).collect();
        self.front_matter
            .iter()
            .chain(&self.fields)
            .find(|field| wanted.contains(&normalize_key(&field.key)))
    }
}

pub fn normalize_key(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Parses `text`. Every input is valid CommonMark, so there are no errors
/// to report.
pub fn parse(text: &str) -> Document {
    let mut document = Document::default();
    let options = Options::ENABLE_TASKLISTS
        | Options::ENABLE_TABLES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let parser = Parser::new_ext(text, options).into_offset_iter();

    let mut heading: Option<(u8, usize, String)> = None;
    let mut item_stack: Vec<(usize, String, Option<bool>)> = Vec::new();
    let mut paragraph: Option<(usize, String)> = None;
    let mut in_metadata = false;
    let mut table: Option<Table> = None;
    let mut row: Vec<String> = Vec::new();
    let mut cell: Option<String> = None;
    let mut in_head = false;
    let mut link: Option<(String, usize, String)> = None;

    for (event, range) in parser {
        match event {
            Event::Start(Tag::MetadataBlock(MetadataBlockKind::YamlStyle)) => in_metadata = true,
            Event::End(TagEnd::MetadataBlock(_)) => in_metadata = false,
            Event::Text(body) if in_metadata => {
                let base = text[..range.start].len();
                document.front_matter = parse_front_matter(&body, base);
            }
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((heading_level(level), range.start, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start, title)) = heading.take() {
                    let span = trimmed_span(text, start, range.end);
                    if level == 1 && document.title.is_none() {
                        document.title = Some((title.trim().to_string(), span));
                    }
                    document.sections.push(Section {
                        heading: title.trim().to_string(),
                        level,
                        span,
                        body: Span::new(range.end, text.len()),
                        text: String::new(),
                    });
                }
            }
            Event::Start(Tag::Item) => item_stack.push((range.start, String::new(), None)),
            Event::TaskListMarker(checked) => {
                if let Some(item) = item_stack.last_mut() {
                    item.2 = Some(checked);
                }
            }
            Event::End(TagEnd::Item) => {
                if let Some((start, body, checked)) = item_stack.pop() {
                    let span = Span::new(start, range.end);
                    let body = body.trim().to_string();
                    if let Some(field) = key_value(&body, span) {
                        document.fields.push(field);
                    }
                    document.items.push(Item {
                        text: body,
                        span,
                        checked,
                    });
                }
            }
            Event::Start(Tag::Paragraph) => paragraph = Some((range.start, String::new())),
            Event::End(TagEnd::Paragraph) => {
                if let Some((start, body)) = paragraph.take()
                    && item_stack.is_empty()
                {
                    let mut offset = start;
                    for line in body.split('\n') {
                        document.fields.extend(line_fields(line, offset));
                        offset += line.len() + 1;
                    }
                }
                for item in &mut item_stack {
                    item.1.push('\n');
                }
            }
            Event::Start(Tag::Table(_)) => {
                table = Some(Table {
                    header: Vec::new(),
                    rows: Vec::new(),
                    span: Span::new(range.start, range.end),
                });
            }
            Event::End(TagEnd::Table) => {
                if let Some(table) = table.take() {
                    document.tables.push(table);
                }
            }
            Event::Start(Tag::TableHead) => {
                in_head = true;
                row.clear();
            }
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                if let Some(table) = &mut table {
                    table.header = std::mem::take(&mut row);
                }
            }
            Event::Start(Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableRow) => {
                if let Some(table) = &mut table
                    && !in_head
                {
                    table.rows.push((
                        std::mem::take(&mut row),
                        trimmed_span(text, range.start, range.end),
                    ));
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let Some(cell) = cell.take() {
                    row.push(cell.trim().to_string());
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link = Some((dest_url.to_string(), range.start, String::new()));
            }
            Event::End(TagEnd::Link) => {
                if let Some((target, start, label)) = link.take() {
                    document.links.push(Link {
                        target,
                        text: label,
                        span: Span::new(start, range.end),
                    });
                }
            }
            Event::Text(body) | Event::Code(body) => {
                let piece = if matches!(text.get(range.start..range.start + 1), Some("`")) {
                    format!("`{body}`")
                } else {
                    body.to_string()
                };
                push_text(
                    &piece,
                    &mut heading,
                    &mut item_stack,
                    &mut paragraph,
                    &mut cell,
                    &mut link,
                );
            }
            Event::SoftBreak | Event::HardBreak => push_text(
                "\n",
                &mut heading,
                &mut item_stack,
                &mut paragraph,
                &mut cell,
                &mut link,
            ),
            _ => {}
        }
    }

    close_sections(&mut document.sections, text);
    document
}

/// A span that ends before trailing whitespace and line breaks.
fn trimmed_span(text: &str, start: usize, end: usize) -> Span {
    Span::new(start, start + text[start..end].trim_end().len())
}

fn push_text(
    piece: &str,
    heading: &mut Option<(u8, usize, String)>,
    item_stack: &mut [(usize, String, Option<bool>)],
    paragraph: &mut Option<(usize, String)>,
    cell: &mut Option<String>,
    link: &mut Option<(String, usize, String)>,
) {
    if let Some((_, _, title)) = heading {
        title.push_str(piece);
    }
    if let Some(item) = item_stack.last_mut() {
        item.1.push_str(piece);
    }
    if let Some((_, body)) = paragraph {
        body.push_str(piece);
    }
    if let Some(cell) = cell {
        cell.push_str(piece);
    }
    if let Some((_, _, label)) = link {
        label.push_str(piece);
    }
}

/// Ends each section's body at the next heading of the same or a higher
/// level and fills in its plain text.
fn close_sections(sections: &mut [Section], text: &str) {
    for index in 0..sections.len() {
        let level = sections[index].level;
        let end = sections[index + 1..]
            .iter()
            .find(|next| next.level <= level)
            .map_or(text.len(), |next| next.span.start);
        let start = sections[index].body.start.min(end);
        sections[index].body = Span::new(start, end);
        sections[index].text = text[start..end].trim().to_string();
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Reads the fields of one line of a paragraph at byte `offset`: one
/// `Key: value`, or several joined by `·` or ` | `, as in
/// `Date: 2024-03-12 · Detected by: PaymentErrorsAlarm`.
fn line_fields(line: &str, offset: usize) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut start = 0;
    let separators = |c: char| c == '·' || c == '|';
    for part in line.split(separators) {
        let span = Span::new(offset + start, offset + start + part.len());
        start += part.len()
            + line[start + part.len()..]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
        if let Some(field) = key_value(part, span) {
            fields.push(field);
        }
    }
    // A value with `|` or `·` in it, such as a shell pipe, keeps the line
    // whole when its parts read as no more than one field.
    if fields.len() <= 1 {
        return key_value(line, Span::new(offset, offset + line.len()))
            .into_iter()
            .collect();
    }
    fields
}

/// Reads `Status: accepted` and `**Status**: accepted`; keys are one to
/// three words so sentences with a colon are not taken for metadata.
fn key_value(line: &str, span: Span) -> Option<Field> {
    let line = line.lines().next()?.trim();
    let (key, value) = line.split_once(':')?;
    let key = key.trim().trim_matches('*').trim();
    let value = value.trim().trim_start_matches('*').trim();
    if key.is_empty()
        || key.split_whitespace().count() > 3
        || !key
            .chars()
            .all(|c| c.is_alphanumeric() || " -_".contains(c))
        || value.is_empty()
    {
        return None;
    }
    Some(Field {
        key: key.to_string(),
        values: vec![value.to_string()],
        span,
    })
}

/// A small reader for the YAML subset that ADR and post-incident front
/// matter uses: `key: value`, `key: [a, b]` and block lists of scalars.
/// `base` is the byte offset of the block in the file.
fn parse_front_matter(body: &str, base: usize) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::new();
    let mut offset = base;
    for line in body.split_inclusive('\n') {
        let span = Span::new(offset, offset + line.trim_end().len());
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(entry) = trimmed.strip_prefix("- ")
            && line.starts_with([' ', '-'])
        {
            if let Some(last) = fields.last_mut() {
                last.values.push(unquote(entry));
            }
            continue;
        }
        if line.starts_with(' ') {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let values = if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']'))
        {
            inner
                .split(',')
                .map(unquote)
                .filter(|v| !v.is_empty())
                .collect()
        } else if value.is_empty() {
            Vec::new()
        } else {
            vec![unquote(value)]
        };
        fields.push(Field {
            key: key.trim().to_string(),
            values,
            span,
        });
    }
    fields
}

fn unquote(value: &str) -> String {
    value
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_lists_and_scalars() {
        let doc =
            parse("---\nstatus: accepted\ndeciders: [a, \"b\"]\ntags:\n  - x\n  - y\n---\n# T\n");
        assert_eq!(doc.field(&["status"]).unwrap().value(), "accepted");
        assert_eq!(doc.field(&["deciders"]).unwrap().values, vec!["a", "b"]);
        assert_eq!(doc.field(&["tags"]).unwrap().values, vec!["x", "y"]);
        assert_eq!(doc.title.as_ref().unwrap().0, "T");
    }

    #[test]
    fn task_items_and_sections() {
        let text =
            "# T\n\n## Action items\n\n- [x] done one\n- [ ] open one\n\n## Other\n\n- plain\n";
        let doc = parse(text);
        let section = doc.section(&["action item"]).unwrap();
        let items: Vec<_> = doc.items_in(section.body).collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].checked, Some(true));
        assert_eq!(items[1].checked, Some(false));
        assert_eq!(&text[items[1].span.start..items[1].span.start + 5], "- [ ]");
    }

    #[test]
    fn bullet_metadata_fields() {
        let doc = parse(
            "# T\n\n* Status: accepted\n* **Date**: 2024-01-02\n\nThis is not a key: four words\n",
        );
        assert_eq!(doc.field(&["status"]).unwrap().value(), "accepted");
        assert_eq!(doc.field(&["date"]).unwrap().value(), "2024-01-02");
        assert!(doc.field(&["this is not a key"]).is_none());
    }

    #[test]
    fn several_fields_on_one_line() {
        let text = "# T\n\nDate: 2024-03-12 · Duration: 1 h · Detected by: PaymentErrorsAlarm\n\n\
                    Command: ps aux | grep worker\n";
        let doc = parse(text);
        let detected = doc.field(&["detected by"]).unwrap();
        assert_eq!(detected.value(), "PaymentErrorsAlarm");
        assert_eq!(
            &text[detected.span.start..detected.span.end],
            " Detected by: PaymentErrorsAlarm"
        );
        assert_eq!(doc.field(&["date"]).unwrap().value(), "2024-03-12");
        // A pipe inside a single value keeps the line whole.
        assert_eq!(
            doc.field(&["command"]).unwrap().value(),
            "ps aux | grep worker"
        );
    }
}
