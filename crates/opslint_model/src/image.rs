//! Container image references: `[registry/]name[:tag][@digest]`.

/// How an image reference pins what it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImagePin {
    /// Pinned by content digest: immutable.
    Digest,
    /// A tag other than `latest`.
    Tag(String),
    /// The `latest` tag, spelled out.
    Latest,
    /// No tag and no digest: the runtime pulls `latest`.
    Untagged,
    /// Built from variables (`${TAG}`, `$(VERSION)`) that only the
    /// environment decides.
    Variable,
}

pub fn pin(reference: &str) -> ImagePin {
    let reference = reference.trim();
    if reference.contains("${") || reference.contains("$(") || reference.starts_with('$') {
        return ImagePin::Variable;
    }
    if reference.contains('@') {
        return ImagePin::Digest;
    }
    // A colon after the last slash separates the tag; one before it belongs
    // to a registry port such as `localhost:5000/app`.
    let last_part = reference.rsplit('/').next().unwrap_or(reference);
    match last_part.split_once(':') {
        Some((_, "latest")) => ImagePin::Latest,
        Some((_, tag)) if !tag.is_empty() => ImagePin::Tag(tag.to_string()),
        _ => ImagePin::Untagged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_cases() {
        assert_eq!(pin("nginx"), ImagePin::Untagged);
        assert_eq!(pin("nginx:latest"), ImagePin::Latest);
        assert_eq!(pin("nginx:1.25"), ImagePin::Tag("1.25".into()));
        assert_eq!(pin("localhost:5000/app"), ImagePin::Untagged);
        assert_eq!(pin("localhost:5000/app:v1"), ImagePin::Tag("v1".into()));
        assert_eq!(pin("app@sha256:abc"), ImagePin::Digest);
        assert_eq!(pin("app:${TAG}"), ImagePin::Variable);
    }
}
