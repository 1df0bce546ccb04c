use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_syntax::hcl::ExprValue;

use crate::Rule;
use crate::aws::{
    CfnSetting, FlagCheck, TfSetting, cfn_property, tf_attribute_each, tf_not_created,
};
use crate::support::{parameter_origin, unless_parameter_set, unless_set, via_origin};

pub struct DatabaseBackupsDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "database-backups-disabled",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS06-BP01"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Terraform, ArtifactKind::CloudFormation],
    summary: "RDS database with automated backups turned off",
    what_it_checks: "Terraform `aws_db_instance` resources and CloudFormation \
        `AWS::RDS::DBInstance` resources whose backup retention period is `0`, which turns \
        automated backups and point-in-time recovery off. Read replicas and instances of an \
        Aurora cluster are skipped: their backups are the source's or the cluster's.",
    why_it_matters: "Without automated backups there is no point-in-time recovery. A bad \
        migration, a deleted table or a corrupted write can only be undone from a manual \
        snapshot, if one exists.",
    how_to_fix: "```hcl\nresource \"aws_db_instance\" \"orders\" {\n  # ...\n  backup_retention_period = 7\n}\n```",
    known_limits: "Leaving the retention unset is not reported: RDS then keeps one day of \
        backups (the API default, which Terraform and CloudFormation inherit). Aurora \
        clusters always keep at least one day. A value from a variable or parameter without \
        a default is reported as a question. When the calls of \
        a local module set the value, the module is judged once per call, and a bad value \
        is reported at that call's argument.",
};

impl Rule for DatabaseBackupsDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, terraform) in workspace.terraform() {
            let file = &artifact.file;
            for resource in terraform.resources_of_type("aws_db_instance") {
                let body = &resource.block.body;
                if tf_not_created(workspace, file, resource.block)
                    || body.attribute("replicate_source_db").is_some()
                {
                    continue;
                }
                let address = resource.address();
                let settings =
                    tf_attribute_each(workspace, file, body, "backup_retention_period", &address);
                for (setting, site) in settings {
                    let address = &site.address;
                    let check = FlagCheck {
                        meta: &META,
                        file: site.file,
                        location: address,
                        message: format!("database `{address}` has automated backups turned off"),
                        question: format!("Does `{address}` keep automated backups?"),
                        help: if site.call_span.is_some() {
                            "make this module call pass at least `1`, for example `7`, here \
                             or where the variable it passes on is set"
                                .into()
                        } else {
                            "set `backup_retention_period` to at least `1`, for example `7`".into()
                        },
                    };
                    match setting {
                        TfSetting::Known {
                            value: ExprValue::Number(days),
                            via,
                            span,
                        } if days.trim() == "0" => {
                            check.violation(
                                span,
                                via.as_ref().map(|v| unless_set(Some(v))),
                                format!(
                                    "a retention of `0` days turns backups off{}",
                                    via_origin(via.as_ref())
                                ),
                                sink,
                            );
                        }
                        TfSetting::Unknown { reason, span } => check.unclear(span, reason, sink),
                        _ => sink.holds(&META, site.file, address.clone()),
                    }
                }
            }
        }
        for (artifact, template) in workspace.cloudformation() {
            let file = &artifact.file;
            for resource in template.resources_of_type("AWS::RDS::DBInstance") {
                if resource.property(&["DBClusterIdentifier"]).is_some()
                    || resource.property(&["SourceDBInstanceIdentifier"]).is_some()
                {
                    continue;
                }
                let id = &resource.logical_id;
                let check = FlagCheck {
                    meta: &META,
                    file,
                    location: id,
                    message: format!("database `{id}` has automated backups turned off"),
                    question: format!("Does `{id}` keep automated backups?"),
                    help: "set `BackupRetentionPeriod` to at least `1`, for example `7`".into(),
                };
                match cfn_property(template, resource, &["BackupRetentionPeriod"], None) {
                    CfnSetting::Literal {
                        text,
                        parameter,
                        span,
                    } if text.trim() == "0" => {
                        check.violation(
                            span,
                            parameter.map(|p| unless_parameter_set(Some(p))),
                            format!(
                                "a retention of `0` days turns backups off{}",
                                parameter_origin(parameter)
                            ),
                            sink,
                        );
                    }
                    CfnSetting::Unknown { reason, span } => check.unclear(span, reason, sink),
                    _ => sink.holds(&META, file, id.clone()),
                }
            }
        }
    }
}
