use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, SourceFile, Span};
use opslint_model::cloudformation::Template;
use opslint_model::compose::is_production_compose;
use opslint_model::image::datastore_of;
use opslint_model::{Artifact, Facts, Workspace};
use opslint_syntax::hcl::Body;
use opslint_syntax::value::{Node, Value};

use crate::Rule;
use crate::support::ecs_containers;

pub struct SelfManagedDatastore;

pub static META: RuleMeta = RuleMeta {
    id: "self-managed-datastore",
    principle: Some(Principle::ManagedServices),
    waf: &["OPS05-BP05", "OPS10-BP07"],
    severity: Severity::Note,
    artifacts: &[
        ArtifactKind::Kubernetes,
        ArtifactKind::HelmTemplate,
        ArtifactKind::DockerCompose,
        ArtifactKind::CloudFormation,
        ArtifactKind::Terraform,
        ArtifactKind::OtherYaml,
    ],
    summary: "database, cache, queue or search engine run as a container where a managed service exists",
    what_it_checks: "Containers of long-running Kubernetes workloads, containers of ECS task \
        definitions in CloudFormation, and services of production docker-compose files whose \
        image is PostgreSQL, MySQL, MariaDB, MongoDB, Redis, Valkey, Memcached, Kafka, \
        RabbitMQ, Elasticsearch, OpenSearch or Cassandra. A compose file counts as \
        production when its name says so (`docker-compose.prod.yml`) or a service has a \
        `deploy:` section (a Swarm stack). Helm images are rendered from `values.yaml`, and \
        a chart's `dependencies:` that install a datastore chart (`postgresql`, `redis`...) \
        are reported unless their `condition` is false in `values.yaml`. In \
        Terraform, literal `image` arguments (of modules and resources) and images written \
        in the text of an ECS `container_definitions` are checked. EC2 instances, launch \
        templates and launch configurations (CloudFormation `UserData`, Terraform \
        `user_data`) are reported when their user data installs a datastore server package \
        (`mysql-server`, `postgresql-server`, `redis-server`, `mongodb-org`...) or starts one \
        with `docker run`. Each managed datastore, queue or stream the repository declares \
        (RDS, DynamoDB, ElastiCache, SQS, MSK, Amazon MQ, OpenSearch, DocumentDB, Kinesis) \
        counts as a check that holds in the report.",
    why_it_matters: "A datastore in a container leaves backups, failover, patching, storage \
        growth and version upgrades to the team, and each is a way to lose data or take an \
        outage at 3 a.m. The managed service (Amazon RDS or Aurora, DocumentDB, \
        ElastiCache, MSK, Amazon MQ, OpenSearch Service, Keyspaces) does them as part of \
        the service.",
    how_to_fix: "Move the data to the managed service and point the workload at its \
        endpoint:\n\n\
        ```yaml\n# before: a Redis container next to the app\n- name: redis\n  image: redis:7.2\n\
        # after: the app reads the ElastiCache endpoint from its configuration\nenv:\n\
        \x20 - name: REDIS_URL\n    value: rediss://orders.abc123.use1.cache.amazonaws.com:6379\n```\n\n\
        If running it yourself is deliberate (cost, a feature the service lacks), record \
        the decision in an ADR.",
    known_limits: "Images are matched by their repository name (`postgres`, \
        `bitnami/postgresql`, `confluentinc/cp-kafka`); custom images built on a datastore \
        are not recognised, and neither are operators' custom resources (a CloudNativePG \
        `Cluster`), nor datastores that configuration management (Ansible, AMIs built with \
        Packer) installs on EC2 outside user data. docker-compose files \
        without a production sign are taken as local development setups and not \
        reported, which misses compose files deployed to production under another name.",
};

impl Rule for SelfManagedDatastore {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, manifest) in workspace.kubernetes() {
            for object in &manifest.objects {
                if !object.is_long_running() || object.is_patch {
                    continue;
                }
                for (index, container) in object.containers().iter().enumerate() {
                    let Some(node) = container.image else {
                        continue;
                    };
                    let Some(image) = workspace.image_text(artifact, node) else {
                        continue;
                    };
                    // Most images are not datastores: the names are only
                    // formatted for those that are.
                    if datastore_of(&image).is_none() {
                        continue;
                    }
                    let location =
                        format!("{}/containers/{}", object.label(), container.label(index));
                    let place = format!("{} runs", object.label());
                    report(sink, &artifact.file, node.span, location, &place, &image);
                }
            }
        }

        for (artifact, compose) in workspace.compose() {
            if !is_production_compose(&artifact.file.path, compose) {
                continue;
            }
            for service in &compose.services {
                let Some(node) = service.image() else {
                    continue;
                };
                let Some(image) = node.as_str() else {
                    continue;
                };
                if datastore_of(image).is_none() {
                    continue;
                }
                let location = format!("services/{}", service.name);
                let place = format!("compose service `{}` runs", service.name);
                report(sink, &artifact.file, node.span, location, &place, image);
            }
        }

        for (artifact, terraform) in workspace.terraform() {
            check_terraform_body(sink, &artifact.file, &terraform.body, &mut String::new());
        }

        for artifact in workspace.all() {
            if let Facts::HelmChart { dependencies, .. } = &artifact.facts {
                check_chart_dependencies(workspace, artifact, dependencies, sink);
            }
        }

        for (artifact, template) in workspace.cloudformation() {
            check_cloudformation(sink, &artifact.file, template);
        }

        record_managed_datastores(workspace, sink);
    }
}

/// Terraform types and CloudFormation types of managed datastores, queues
/// and streams: each one the repository declares is a datastore it does
/// not run itself.
const MANAGED_TERRAFORM: [&str; 12] = [
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_dynamodb_table",
    "aws_elasticache_cluster",
    "aws_elasticache_replication_group",
    "aws_elasticache_serverless_cache",
    "aws_sqs_queue",
    "aws_msk_cluster",
    "aws_mq_broker",
    "aws_opensearch_domain",
    "aws_docdb_cluster",
    "aws_kinesis_stream",
];

const MANAGED_CLOUDFORMATION: [&str; 12] = [
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::DynamoDB::Table",
    "AWS::Serverless::SimpleTable",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::SQS::Queue",
    "AWS::MSK::Cluster",
    "AWS::AmazonMQ::Broker",
    "AWS::OpenSearchService::Domain",
    "AWS::DocDB::DBCluster",
    "AWS::Kinesis::Stream",
];

/// Records each managed datastore the repository declares as a check that
/// holds, so the report counts them for the principle.
fn record_managed_datastores(workspace: &Workspace, sink: &mut Sink) {
    for (artifact, terraform) in workspace.terraform() {
        for resource in terraform.resources() {
            if MANAGED_TERRAFORM.contains(&resource.type_name) {
                sink.holds(&META, &artifact.file, resource.address());
            }
        }
    }
    for (artifact, template) in workspace.cloudformation() {
        for resource in &template.resources {
            if MANAGED_CLOUDFORMATION.contains(&resource.type_name.as_str()) {
                sink.holds(&META, &artifact.file, resource.logical_id.clone());
            }
        }
    }
}

/// Checks the `dependencies:` of a `Chart.yaml` for datastore charts
/// (`bitnami/postgresql`), unless their `condition` is a value that the
/// chart's `values.yaml` sets to false. Helm ignores a condition whose value
/// is not set, so such a dependency is installed.
fn check_chart_dependencies(
    workspace: &Workspace,
    artifact: &Artifact,
    dependencies: &[Node],
    sink: &mut Sink,
) {
    let chart_dir = artifact
        .file
        .path
        .rsplit_once('/')
        .map_or("", |(dir, _)| dir);
    let values = workspace
        .charts
        .get(chart_dir)
        .and_then(|chart| chart.values.as_ref());
    for dependency in dependencies {
        let Some(name_node) = dependency.get("name") else {
            continue;
        };
        let Some(name) = name_node.as_str() else {
            continue;
        };
        if !opslint_model::helm::dependency_enabled(dependency, values) {
            continue;
        }
        let source = match dependency.get("repository").and_then(Node::as_str) {
            Some(repository) => format!("{}/{name}", repository.trim_end_matches('/')),
            None => name.to_string(),
        };
        report_evidence(
            sink,
            &artifact.file,
            name_node.span,
            format!("dependencies/{name}"),
            "the chart installs",
            name,
            &source,
        );
    }
}

/// Checks ECS container images and EC2 user data of a CloudFormation
/// template.
fn check_cloudformation(sink: &mut Sink, file: &SourceFile, template: &Template) {
    for (resource, container) in ecs_containers(template) {
        let Some(node) = container.get("Image") else {
            continue;
        };
        let Some(image) = node.as_str() else {
            continue;
        };
        let location = format!("{}/ContainerDefinitions", resource.logical_id);
        let place = format!("ECS task definition `{}` runs", resource.logical_id);
        report(sink, file, node.span, location, &place, image);
    }

    for resource in &template.resources {
        let user_data = match resource.type_name.as_str() {
            "AWS::EC2::Instance" | "AWS::AutoScaling::LaunchConfiguration" => {
                resource.properties().and_then(|p| p.get("UserData"))
            }
            "AWS::EC2::LaunchTemplate" => resource
                .properties()
                .and_then(|p| p.at(&["LaunchTemplateData", "UserData"])),
            _ => None,
        };
        let Some(user_data) = user_data else {
            continue;
        };
        let mut text = String::new();
        collect_strings(user_data, &mut text);
        let place = format!("EC2 `{}` installs and runs", resource.logical_id);
        report_user_data(
            sink,
            file,
            user_data.span,
            &resource.logical_id,
            &place,
            &text,
        );
    }
}

fn report(
    sink: &mut Sink,
    file: &SourceFile,
    span: Span,
    location: String,
    place: &str,
    image: &str,
) {
    report_evidence(sink, file, span, location, place, image, image);
}

/// Reports the datastore that `image` names, quoting `evidence` (the image
/// reference, or the package that user data installs).
fn report_evidence(
    sink: &mut Sink,
    file: &SourceFile,
    span: Span,
    location: String,
    place: &str,
    image: &str,
    evidence: &str,
) {
    let Some((datastore, service)) = datastore_of(image) else {
        return;
    };
    sink.violation(
        &META,
        file,
        span,
        location,
        format!("{place} its own {datastore} (`{evidence}`)"),
        format!("{service} runs this for you"),
    )
    .help = Some(format!(
        "use {service}, or record in an ADR why running {datastore} yourself is deliberate"
    ));
}

/// Checks `image` arguments and ECS `container_definitions` of every block,
/// nested blocks included. `path` names the enclosing blocks for locations.
/// Checks the attributes of `body` and of its blocks. `path` is the
/// body's address, such as `aws_instance.db/`, one buffer for the whole
/// walk: formatting a new one per block took most of this rule's time.
fn check_terraform_body(sink: &mut Sink, file: &SourceFile, body: &Body, path: &mut String) {
    let block_name = path.trim_end_matches('/');
    for attribute in &body.attributes {
        if !matches!(
            attribute.name.as_str(),
            "image" | "user_data" | "container_definitions"
        ) {
            continue;
        }
        let location = format!("{path}{}", attribute.name);
        match attribute.name.as_str() {
            "image" => {
                if let Some(image) = attribute.expr.as_str() {
                    let place = format!("`{block_name}` runs");
                    report(sink, file, attribute.expr.span, location, &place, image);
                }
            }
            "user_data" => {
                let place = format!("EC2 `{block_name}` installs and runs");
                report_user_data(
                    sink,
                    file,
                    attribute.expr.span,
                    &location,
                    &place,
                    &attribute.expr.text,
                );
            }
            "container_definitions" => {
                for (offset, image) in image_literals(&attribute.expr.text) {
                    let start = attribute.expr.span.start + offset;
                    let span = Span::new(start, start + image.len());
                    let place = format!("ECS task definition `{block_name}` runs");
                    report(sink, file, span, location.clone(), &place, image);
                }
            }
            _ => {}
        }
    }
    for block in &body.blocks {
        // Terraform addresses leave out `resource`: `aws_ecs_task_definition.api`.
        let length = path.len();
        let mut parts = (block.kind != "resource")
            .then_some(block.kind.as_str())
            .into_iter()
            .chain(block.labels.iter().map(String::as_str));
        if let Some(first) = parts.next() {
            path.push_str(first);
        }
        for part in parts {
            path.push('.');
            path.push_str(part);
        }
        path.push('/');
        check_terraform_body(sink, file, &block.body, path);
        path.truncate(length);
    }
}

/// Server packages of datastores, as package managers name them.
const SERVER_PACKAGES: [&str; 9] = [
    "mysql-server",
    "mariadb-server",
    "mariadb105-server",
    "postgresql-server",
    "redis-server",
    "mongodb-org",
    "rabbitmq-server",
    "elasticsearch",
    "cassandra",
];

/// Reports the first datastore that EC2 user data installs with a package
/// manager or starts with `docker run`.
fn report_user_data(
    sink: &mut Sink,
    file: &SourceFile,
    span: Span,
    location: &str,
    place: &str,
    text: &str,
) {
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.contains(&"install") {
            let package = words.iter().find(|word| {
                SERVER_PACKAGES.contains(word)
                    || (word.starts_with("postgresql") && word.ends_with("-server"))
            });
            if let Some(package) = package {
                let image = package.trim_end_matches("-server").trim_end_matches("-org");
                let image = if image.starts_with("postgresql") {
                    "postgres"
                } else {
                    image
                };
                let image = if image.starts_with("mariadb") {
                    "mariadb"
                } else {
                    image
                };
                report_evidence(
                    sink,
                    file,
                    span,
                    location.to_string(),
                    place,
                    image,
                    package,
                );
                return;
            }
        }
        if let Some(run) = line.find("docker run") {
            let image = line[run..]
                .split_whitespace()
                .skip(2)
                .find(|word| !word.starts_with('-') && datastore_of(word).is_some());
            if let Some(image) = image {
                report(sink, file, span, location.to_string(), place, image);
                return;
            }
        }
    }
}

/// Appends every string under `node`, one per line, so that user data built
/// with `Fn::Join` or `Fn::Sub` can be searched as text.
fn collect_strings(node: &Node, text: &mut String) {
    match &node.value {
        Value::Scalar(scalar) => {
            text.push_str(&scalar.text);
            text.push('\n');
        }
        Value::Map(map) => {
            for entry in &map.entries {
                collect_strings(&entry.value, text);
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_strings(item, text);
            }
        }
        Value::Null | Value::Templated => {}
    }
}

/// Finds the literal strings given to an `image` key in JSON or HCL text
/// (`"image": "redis:7"`, `image = "redis:7"`), with their byte offsets.
/// Strings that interpolate (`${...}`) are left out.
fn image_literals(text: &str) -> Vec<(usize, &str)> {
    let mut images = Vec::new();
    let mut search_from = 0;
    while let Some(found) = text[search_from..].find("image") {
        let key_end = search_from + found + "image".len();
        search_from = key_end;
        let rest = text[key_end..].trim_start_matches('"').trim_start();
        let Some(rest) = rest.strip_prefix(['=', ':']) else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(value) = rest.strip_prefix('"') else {
            continue;
        };
        let Some(end) = value.find('"') else {
            continue;
        };
        let image = &value[..end];
        if !image.contains("${") {
            let offset = text.len() - value.len();
            images.push((offset, image));
        }
    }
    images
}

#[cfg(test)]
mod tests {
    #[test]
    fn image_literals_in_definitions() {
        let text =
            r#"jsonencode([{ name = "cache", image = "redis:7.2" }, { "image": "${var.app}" }])"#;
        let images = super::image_literals(text);
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].1, "redis:7.2");
        assert_eq!(&text[images[0].0..images[0].0 + 9], "redis:7.2");
    }
}
