use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;

use crate::Rule;
use crate::aws::{FlagCheck, cfn_property, created_resources, tf_attribute_each};

pub struct DatabaseDeletionProtectionDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "database-deletion-protection-disabled",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS06-BP01"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "RDS or Aurora database without deletion protection",
    what_it_checks: "Terraform `aws_db_instance` and `aws_rds_cluster` resources without \
        `deletion_protection = true`, and CloudFormation `AWS::RDS::DBInstance` and \
        `AWS::RDS::DBCluster` resources without `DeletionProtection: true`. Instances that \
        belong to an Aurora cluster are left to the cluster's setting, and read replicas \
        are skipped: deleting one loses no data.",
    why_it_matters: "A rename, a changed identifier or a mistaken `destroy` replaces or \
        deletes the database. Deletion protection makes that change fail instead, so the \
        mistake surfaces in the plan or stack events rather than as lost data.",
    how_to_fix: "```hcl\nresource \"aws_db_instance\" \"orders\" {\n  # ...\n  deletion_protection = true\n}\n```\n\n\
        CloudFormation: `DeletionProtection: true`.",
    known_limits: "A value from a variable or parameter without a default is reported as a \
        question. Test databases that are meant to be thrown away are reported too; suppress \
        them inline. When the calls of \
        a local module set the value, the module is judged once per call, and a bad value \
        is reported at that call's argument.",
};

impl Rule for DatabaseDeletionProtectionDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (file, resource) in
            created_resources(workspace, &["aws_db_instance", "aws_rds_cluster"])
        {
            if resource
                .block
                .body
                .attribute("replicate_source_db")
                .is_some()
            {
                continue;
            }
            let address = resource.address();
            let body = &resource.block.body;
            for (setting, site) in
                tf_attribute_each(workspace, file, body, "deletion_protection", &address)
            {
                let address = &site.address;
                let check = FlagCheck {
                    meta: &META,
                    file: site.file,
                    location: address,
                    message: format!("database `{address}` has no deletion protection"),
                    question: format!("Is deletion protection on for `{address}` in production?"),
                    help: if site.call_span.is_some() {
                        "make this module call pass `true`, here or where the variable it \
                         passes on is set"
                            .into()
                    } else {
                        "set `deletion_protection = true`".into()
                    },
                };
                check.terraform(
                    setting,
                    "deletion_protection",
                    resource.block.header_span,
                    sink,
                );
            }
        }
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            for resource in &template.resources {
                match resource.type_name.as_str() {
                    "AWS::RDS::DBCluster" => {}
                    "AWS::RDS::DBInstance"
                        if resource.property(&["DBClusterIdentifier"]).is_none()
                            && resource.property(&["SourceDBInstanceIdentifier"]).is_none() => {}
                    _ => continue,
                }
                let id = &resource.logical_id;
                let check = FlagCheck {
                    meta: &META,
                    file,
                    location: id,
                    message: format!("database `{id}` has no deletion protection"),
                    question: format!("Is deletion protection on for `{id}` in production?"),
                    help: "set `DeletionProtection: true`".into(),
                };
                let setting = cfn_property(template, resource, &["DeletionProtection"], None);
                check.cloudformation(setting, "DeletionProtection", resource.id_span, sink);
            }
        }
    }
}
