use std::collections::HashMap;

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::cloudformation::{self, Resource as CfnResource, Template};
use opslint_model::terraform_eval::Evaluated;
use opslint_syntax::hcl::{Expr, ExprValue};
use opslint_syntax::value::{Node, Value};

use crate::Rule;
use crate::aws::tf_not_created;
use crate::support::{unless_set, via_origin};

pub struct ResourceMissingOwnerTags;

pub static META: RuleMeta = RuleMeta {
    id: "resource-missing-owner-tags",
    principle: Some(Principle::OrganizeTeams),
    waf: &["OPS02-BP01"],
    severity: Severity::Note,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "AWS resource without an owner or team tag",
    what_it_checks: "Workload resources (functions, services, clusters, databases, queues, \
        topics, buckets, tables, load balancers, APIs, instances, log groups, keys) whose \
        tags have no key naming an owner or team (`Owner`, `Team`, `owner`, `team-name`, \
        ...). In Terraform, `default_tags` of an `aws` provider in the same folder or a \
        folder above count for every resource created through that provider: those of an \
        aliased provider for resources with `provider = aws.ALIAS`, those of the default \
        provider for the others. In CloudFormation, `Tags` on the resource \
        and SAM `Globals` tags count.",
    why_it_matters: "When an alarm fires, a bill spikes or a security finding arrives, the \
        owner tag is how the resource is routed to the team that can act. An untagged \
        resource lands with whoever looks first.",
    how_to_fix: "```hcl\nprovider \"aws\" {\n  default_tags {\n    tags = {\n      Owner = \"team-orders\"\n    }\n  }\n}\n```",
    known_limits: "Tags added at deploy time are not seen: stack tags of `aws \
        cloudformation deploy --tags` and a caller's provider `default_tags` for a \
        reusable module. So untagged resources are reported as one question per module \
        or template in two places: a Terraform module without its own provider, and a \
        CloudFormation template where no resource has an owner tag. In a template where \
        other resources have one, each untagged resource is reported. Tag policies in \
        AWS Organizations are not read.",
};

const TERRAFORM_TYPES: &[&str] = &[
    "aws_lambda_function",
    "aws_ecs_cluster",
    "aws_ecs_service",
    "aws_ecs_task_definition",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_sqs_queue",
    "aws_sns_topic",
    "aws_s3_bucket",
    "aws_dynamodb_table",
    "aws_lb",
    "aws_alb",
    "aws_instance",
    "aws_eks_cluster",
    "aws_api_gateway_rest_api",
    "aws_apigatewayv2_api",
    "aws_cloudwatch_log_group",
    "aws_kms_key",
    "aws_elasticache_replication_group",
];

const CLOUDFORMATION_TYPES: &[&str] = &[
    "AWS::Lambda::Function",
    "AWS::Serverless::Function",
    "AWS::ECS::Cluster",
    "AWS::ECS::Service",
    "AWS::ECS::TaskDefinition",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::S3::Bucket",
    "AWS::DynamoDB::Table",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::EC2::Instance",
    "AWS::EKS::Cluster",
    "AWS::ApiGateway::RestApi",
    "AWS::Serverless::Api",
    "AWS::Logs::LogGroup",
    "AWS::KMS::Key",
];

/// Returns whether a tag key names an owner or a team.
fn is_owner_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.contains("owner") || lower.contains("team")
}

/// The result of looking for an owner key in tags.
enum Tags {
    HasOwner,
    NoOwner {
        via: Option<opslint_model::terraform_eval::Via>,
    },
    Unknown(String),
}

impl Rule for ResourceMissingOwnerTags {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        check_terraform(workspace, sink);
        for (artifact, template) in workspace.cloudformation() {
            check_template(&artifact.file, template, sink);
        }
    }
}

/// Returns the alias of the `aws` provider a resource names with
/// `provider = aws.ALIAS`, or `None` for the default provider.
fn provider_alias(block: &opslint_syntax::hcl::Block) -> Option<String> {
    let provider = block.body.attribute("provider")?;
    let text = provider.expr.text.trim();
    text.strip_prefix("aws.").map(str::to_string)
}

fn check_terraform(workspace: &Workspace, sink: &mut Sink) {
    let index = &workspace.terraform_index;
    for (artifact, terraform) in workspace.terraform() {
        let file = &artifact.file;
        // Whether the default tags of the provider a resource is created
        // through name an owner, by provider alias.
        let mut owner_by_provider: HashMap<Option<String>, bool> = HashMap::new();
        let is_root = index.has_aws_provider_for(&file.path);
        let mut untagged = Vec::new();
        for resource in terraform.resources() {
            if !TERRAFORM_TYPES.contains(&resource.type_name) {
                continue;
            }
            let alias = provider_alias(resource.block);
            let provider_has_owner = *owner_by_provider.entry(alias.clone()).or_insert_with(|| {
                index
                    .default_tags_for(&file.path, alias.as_deref())
                    .into_iter()
                    .any(|expr| {
                        matches!(terraform_tags(workspace, &file.path, expr), Tags::HasOwner)
                    })
            });
            if provider_has_owner {
                sink.holds(&META, file, resource.address());
                continue;
            }
            if tf_not_created(workspace, file, resource.block) {
                continue;
            }
            let address = resource.address();
            let tags = match resource.block.body.attribute("tags") {
                Some(attribute) => terraform_tags(workspace, &file.path, &attribute.expr),
                None => Tags::NoOwner { via: None },
            };
            let span = resource
                .block
                .body
                .attribute("tags")
                .map_or(resource.block.header_span, |a| a.span);
            match tags {
                Tags::HasOwner => sink.holds(&META, file, address),
                Tags::Unknown(reason) => sink.unclear(
                    &META,
                    file,
                    span,
                    address.clone(),
                    format!("Which team owns `{address}`?"),
                    reason,
                ),
                Tags::NoOwner { via } if is_root => {
                    sink.violation(
                        &META,
                        file,
                        span,
                        address.clone(),
                        format!("`{address}` has no owner tag{}", unless_set(via.as_ref())),
                        format!("no `Owner` or `Team` tag{}", via_origin(via.as_ref())),
                    )
                    .help = Some(
                        "add an `Owner` tag, or set `default_tags` on the `aws` provider".into(),
                    );
                }
                Tags::NoOwner { .. } => untagged.push((address, span)),
            }
        }
        if let Some((first, span)) = untagged.first() {
            sink.unclear(
                &META,
                file,
                *span,
                "owner-tags",
                format!(
                    "Does the caller of this module tag {} with an owner?",
                    resource_list(first, untagged.len())
                ),
                "the module configures no `aws` provider, so the caller's `default_tags` are \
                 not visible",
            );
        }
    }
}

fn terraform_tags(workspace: &Workspace, path: &str, expr: &Expr) -> Tags {
    match workspace.terraform_index.evaluate(path, expr) {
        Evaluated::Known { expr, via } => match &expr.value {
            ExprValue::Object(entries) if entries.iter().any(|(k, _)| is_owner_key(k)) => {
                Tags::HasOwner
            }
            ExprValue::Object(_) | ExprValue::Null => Tags::NoOwner { via },
            _ => Tags::Unknown(format!("`tags` is `{}`", expr.text.trim())),
        },
        // A literal owner key inside `merge(...)` still settles it.
        Evaluated::Unknown { .. } if literal_owner_key(&expr.text) => Tags::HasOwner,
        Evaluated::Unknown { reason } => Tags::Unknown(reason.unwrap_or_else(|| {
            format!(
                "the tags are computed{}",
                crate::support::hcl_inputs(Some(expr))
            )
        })),
    }
}

/// Returns whether an expression's text writes an owner-like key as `Key =` or
/// `"Key" =`.
fn literal_owner_key(text: &str) -> bool {
    text.lines().any(|line| {
        let Some((key, _)) = line.split_once(['=', ':']) else {
            return false;
        };
        let key = key
            .trim()
            .trim_start_matches(['{', ',', ' '])
            .trim_matches('"');
        !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && is_owner_key(key)
    })
}

fn check_template(file: &opslint_core::SourceFile, template: &Template, sink: &mut Sink) {
    let global_tags = template.global("Function", "Tags");
    let mut untagged = Vec::new();
    let mut owner_tagged = 0;
    for resource in &template.resources {
        if !CLOUDFORMATION_TYPES.contains(&resource.type_name.as_str()) {
            continue;
        }
        let id = &resource.logical_id;
        let tags =
            resource
                .property(&["Tags"])
                .or(if resource.type_name == "AWS::Serverless::Function" {
                    global_tags
                } else {
                    None
                });
        let Some(tags) = tags else {
            untagged.push(resource);
            continue;
        };
        if cloudformation::is_intrinsic(tags) {
            sink.unclear(
                &META,
                file,
                tags.span,
                id.clone(),
                format!("Which team owns `{id}`?"),
                format!("the tags are computed{}", crate::support::cfn_inputs(tags)),
            );
        } else if cfn_tags_have_owner(tags) || global_tags.is_some_and(cfn_tags_have_owner) {
            owner_tagged += 1;
            sink.holds(&META, file, id.clone());
        } else {
            let span = resource
                .properties()
                .and_then(|p| p.entry("Tags"))
                .map_or(tags.span, |entry| entry.key_span);
            sink.violation(
                &META,
                file,
                span,
                id.clone(),
                format!("`{id}` has no owner tag"),
                "the tags have no `Owner` or `Team` key",
            )
            .help = Some("add an `Owner` tag".into());
        }
    }
    // Where the template itself tags resources with an owner, an untagged
    // resource was most likely missed. Stack tags at deploy time are the
    // likely place only when no resource is tagged.
    if owner_tagged == 0 {
        report_untagged(file, &untagged, sink);
        return;
    }
    for resource in untagged {
        let id = &resource.logical_id;
        sink.violation(
            &META,
            file,
            resource.id_span,
            id.clone(),
            format!("`{id}` has no owner tag, while other resources of this template have one"),
            "no `Tags`",
        )
        .help = Some("add an `Owner` tag like the other resources of the template".into());
    }
}

fn report_untagged(file: &opslint_core::SourceFile, untagged: &[&CfnResource], sink: &mut Sink) {
    let Some(first) = untagged.first() else {
        return;
    };
    sink.unclear(
        &META,
        file,
        first.id_span,
        "owner-tags",
        format!(
            "Is the stack that deploys {} tagged with an owner?",
            resource_list(&first.logical_id, untagged.len())
        ),
        "stack tags given at deploy time apply to every resource but are not in the template",
    );
}

/// Returns whether CloudFormation tags (a `Key`/`Value` list, or a SAM map) have
/// an owner-like key.
fn cfn_tags_have_owner(tags: &Node) -> bool {
    match &tags.value {
        Value::Seq(items) => items.iter().any(|item| {
            item.get("Key")
                .and_then(Node::as_str)
                .is_some_and(is_owner_key)
        }),
        Value::Map(map) => map.entries.iter().any(|entry| is_owner_key(&entry.key)),
        _ => false,
    }
}

/// Names the first of `count` resources: "`a`" or "`a` and 2 other resources".
fn resource_list(first: &str, count: usize) -> String {
    match count {
        1 => format!("`{first}`"),
        2 => format!("`{first}` and 1 other resource"),
        _ => format!("`{first}` and {} other resources", count - 1),
    }
}
