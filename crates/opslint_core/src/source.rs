use std::path::PathBuf;

/// A half-open byte range into a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub fn contains(&self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(range: std::ops::Range<usize>) -> Self {
        Self::new(range.start, range.end)
    }
}

/// A position resolved from a byte offset. Lines and both column counts are
/// 1-based: `column` counts Unicode scalar values as editors do, and
/// `utf16_column` counts UTF-16 code units as SARIF does by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub utf16_column: usize,
}

/// A file read from disk, with the index needed to turn byte offsets into
/// lines and columns.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the project root, `/`-separated; this is what every
    /// output shows.
    pub path: String,
    /// Path used to read the file.
    pub disk_path: PathBuf,
    pub text: String,
    /// Path relative to the root of the git repository, set when the
    /// working folder is inside a repository but not its root. Fingerprints
    /// and question ids hash it, so they do not depend on the folder opslint
    /// runs in.
    pub repository_path: Option<String>,
    /// Byte offset of each line's start. Offsets fit in 32 bits, since a
    /// file larger than a few MiB is not read, and the index is sized
    /// exactly: at 20,000 files the 8-byte offsets of a growing list were
    /// several MiB of a run's memory.
    line_starts: Vec<u32>,
}

/// Converts a byte offset to the index's width. Offsets beyond 4 GiB, which
/// no file that is read can have, become the largest one.
fn narrow(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

impl SourceFile {
    pub fn new(path: String, disk_path: PathBuf, text: String) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', bytes).map(|end| narrow(end + 1)));
        Self {
            path,
            disk_path,
            text,
            repository_path: None,
            line_starts,
        }
    }

    /// Returns the path that identifies the file in fingerprints and
    /// question ids: [`SourceFile::repository_path`] when it is set, else
    /// the path output shows.
    pub fn identity_path(&self) -> &str {
        self.repository_path.as_deref().unwrap_or(&self.path)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Resolves a byte offset; offsets past the end or inside a multi-byte
    /// character are clamped to the nearest earlier character boundary.
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_index = self.line_index(offset);
        let line_start = self.line_starts[line_index] as usize;
        let before = &self.text[line_start..offset];
        // In ASCII text, as most lines before a finding are, every count is
        // the byte length.
        let (column, utf16_column) = if before.is_ascii() {
            (before.len(), before.len())
        } else {
            (before.chars().count(), before.encode_utf16().count())
        };
        Position {
            line: line_index + 1,
            column: column + 1,
            utf16_column: utf16_column + 1,
        }
    }

    /// Returns the zero-based index of the line containing byte `offset`.
    /// An offset past the end gives the last line.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_starts
            .binary_search(&narrow(offset))
            .unwrap_or_else(|next| next - 1)
    }

    /// Returns the byte range of zero-based line `index`, with its line
    /// ending, or `None` past the last line.
    pub fn line_range(&self, index: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(index)? as usize;
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |&next| next as usize);
        Some(start..end)
    }

    /// The byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts
            .get(line.checked_sub(1)?)
            .map(|&start| start as usize)
    }

    /// The text of 1-based `line` without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(start) = self.line_start(line) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next as usize - 1);
        self.text[start..end.max(start)].trim_end_matches('\r')
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }
}

/// Removes `.` segments and `name/..` pairs from a `/`-separated path,
/// without looking at the file system. A leading `/` and `..` segments that
/// climb above the start of a relative path are kept.
pub fn normalize_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("a.yaml".into(), PathBuf::from("a.yaml"), text.into())
    }

    #[test]
    fn position_counts_characters_and_utf16_units() {
        let source = file("a: 1\nname: \"é😀\" x\n");
        let offset = source.text.find('x').unwrap();
        let position = source.position(offset);
        assert_eq!(position.line, 2);
        assert_eq!(position.column, 12);
        assert_eq!(position.utf16_column, 13);
    }

    #[test]
    fn position_in_ascii_line_counts_bytes() {
        let source = file("é\nname: x\n");
        let position = source.position(source.text.find('x').unwrap());
        assert_eq!(position.line, 2);
        assert_eq!(position.column, 7);
        assert_eq!(position.utf16_column, 7);
    }

    #[test]
    fn position_at_line_start() {
        let source = file("a\nb\n");
        assert_eq!(source.position(2).line, 2);
        assert_eq!(source.position(2).column, 1);
    }

    #[test]
    fn line_text_strips_crlf() {
        let source = file("a: 1\r\nb: 2\r\n");
        assert_eq!(source.line_text(1), "a: 1");
        assert_eq!(source.line_text(2), "b: 2");
    }

    #[test]
    fn normalize_path_removes_dots() {
        assert_eq!(normalize_path("a/./b/../c.sh"), "a/c.sh");
        assert_eq!(
            normalize_path("services/../.github/ci.yml"),
            ".github/ci.yml"
        );
        assert_eq!(normalize_path("../x/../y"), "../y");
        assert_eq!(normalize_path("../../a"), "../../a");
        assert_eq!(normalize_path("/repo/services/../x.yml"), "/repo/x.yml");
        assert_eq!(normalize_path("/../x"), "/x");
    }
}
