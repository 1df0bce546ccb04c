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

/// Image repository names and the managed service that replaces each.
const DATASTORES: [(&[&str], &str); 10] = [
    (
        &["postgres", "postgresql", "postgis", "timescaledb"],
        "Amazon RDS or Aurora PostgreSQL",
    ),
    (
        &["mysql", "mysql-server", "percona"],
        "Amazon RDS or Aurora MySQL",
    ),
    (&["mariadb"], "Amazon RDS for MariaDB"),
    (
        &["mongo", "mongodb", "mongodb-community-server"],
        "Amazon DocumentDB",
    ),
    (
        &["redis", "redis-stack-server", "valkey"],
        "Amazon ElastiCache",
    ),
    (&["memcached"], "Amazon ElastiCache for Memcached"),
    (&["kafka", "cp-kafka", "cp-server"], "Amazon MSK"),
    (&["rabbitmq"], "Amazon MQ"),
    (
        &["elasticsearch", "opensearch"],
        "Amazon OpenSearch Service",
    ),
    (&["cassandra"], "Amazon Keyspaces"),
];

/// Returns the datastore name and its managed service when `image` runs one.
pub fn datastore_of(image: &str) -> Option<(&'static str, &'static str)> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_part = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let name = last_part
        .split(':')
        .next()
        .unwrap_or(last_part)
        .to_ascii_lowercase();
    DATASTORES.iter().find_map(|(names, service)| {
        names
            .iter()
            .find(|candidate| **candidate == name)
            .map(|candidate| (*candidate, *service))
    })
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

    #[test]
    fn datastore_images() {
        assert_eq!(datastore_of("postgres:16").map(|d| d.0), Some("postgres"));
        assert_eq!(
            datastore_of("docker.io/bitnami/postgresql:16@sha256:ab").map(|d| d.0),
            Some("postgresql")
        );
        assert_eq!(
            datastore_of("confluentinc/cp-kafka:7.6.0").map(|d| d.0),
            Some("cp-kafka")
        );
        assert_eq!(
            datastore_of("redis:alpine").map(|d| d.1),
            Some("Amazon ElastiCache")
        );
        assert_eq!(datastore_of("oliver006/redis_exporter:v1"), None);
        assert_eq!(datastore_of("postgres-exporter:1"), None);
        assert_eq!(datastore_of("registry.example.com/orders:1.0"), None);
    }
}
