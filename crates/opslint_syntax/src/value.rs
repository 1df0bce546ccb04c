//! The span-carrying value tree shared by the YAML and JSON front ends.

pub use compact_str::CompactString;
use opslint_core::Span;

/// One value with the byte span it came from. Merged and aliased values keep
/// the span of the text they were copied from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    /// A YAML tag such as `!Ref` or `!GetAtt`, with its `!`. Boxed, because
    /// few values have one and an inline tag would make every node 16 bytes
    /// larger. [`Node::tag`] reads it.
    pub tag: Option<Box<CompactString>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Map(Map),
    Seq(Vec<Node>),
    Scalar(Scalar),
    Null,
    /// A value produced by template text (Helm `{{ ... }}`) that cannot be
    /// known without rendering.
    Templated,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// Up to 24 bytes are stored inline: most keys and scalars of a
    /// manifest fit, which spares an allocation for each of them.
    pub text: CompactString,
    /// Quoted and block scalars are always strings; plain ones may be
    /// numbers or booleans.
    pub quoted: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map {
    /// A boxed slice rather than a `Vec`: one word shorter, which lets a
    /// [`Value`] fit in 32 bytes. Converters build a `Vec` and box it.
    pub entries: Box<[Entry]>,
    /// True when template text that is not visible to the parser may add keys
    /// to this mapping (a Helm `include` or `toYaml` at this level). A missing
    /// key in an open mapping is unknown, not absent.
    pub open: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: CompactString,
    pub key_span: Span,
    pub value: Node,
}

impl Map {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.key == key)
    }
}

impl Node {
    pub fn new(value: Value, span: Span) -> Self {
        Self {
            value,
            span,
            tag: None,
        }
    }

    /// Returns the YAML tag, such as `!Ref`, with its `!`.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref().map(CompactString::as_str)
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The scalar text of an untagged scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(scalar) if self.tag.is_none() => Some(&scalar.text),
            _ => None,
        }
    }

    /// A boolean as YAML 1.1 and 1.2 loaders both read it, or as a quoted
    /// `"true"`/`"false"` string, which CloudFormation accepts.
    pub fn as_bool(&self) -> Option<bool> {
        match self.as_str()? {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }

    pub fn is_templated(&self) -> bool {
        matches!(self.value, Value::Templated)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Looks up a key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key)
    }

    /// Follows a path of mapping keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The entry for `key`, including its key span.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.entry(key)
    }
}

/// What a lookup of a key found, for rules that must tell a missing key from
/// one they cannot see.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lookup<'a> {
    Present(&'a Entry),
    Absent,
    /// The mapping itself is templated or open, so the key may exist.
    Unknown,
}

impl Node {
    pub fn lookup(&self, key: &str) -> Lookup<'_> {
        match &self.value {
            Value::Map(map) => match map.entry(key) {
                Some(entry) => Lookup::Present(entry),
                None if map.open => Lookup::Unknown,
                None => Lookup::Absent,
            },
            Value::Templated => Lookup::Unknown,
            _ => Lookup::Absent,
        }
    }
}

/// A YAML or JSON document of a file.
#[derive(Debug, Clone)]
pub struct Document {
    pub root: Node,
    /// Span of the whole document, including its `---` marker.
    pub span: Span,
    /// Zero-based position of the document in its stream.
    pub index: usize,
}

#[cfg(test)]
mod tests {
    use super::{Entry, Node};

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn nodes_stay_small() {
        // A large run keeps millions of these until the rules have run.
        assert_eq!(std::mem::size_of::<Node>(), 56);
        assert_eq!(std::mem::size_of::<Entry>(), 96);
    }
}
