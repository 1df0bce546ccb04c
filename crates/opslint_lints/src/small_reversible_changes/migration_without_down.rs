use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink};
use opslint_model::Workspace;
use opslint_model::service::Down;

use crate::Rule;

pub struct MigrationWithoutDown;

pub static META: RuleMeta = RuleMeta {
    id: "migration-without-down",
    principle: Some(Principle::SmallReversibleChanges),
    waf: &["OPS06-BP01", "OPS05-BP09"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Python],
    summary: "database migration that cannot be reverted",
    what_it_checks: "Alembic revisions (an `upgrade()` function in a file that mentions \
        `alembic` and `revision`, or sits in a `versions/` folder) without a `downgrade()` or \
        whose `downgrade()` only passes, and Django migrations whose `RunPython` has no \
        `reverse_code` or whose `RunSQL` has no `reverse_sql`. Other Django operations are \
        reversible by themselves.",
    why_it_matters: "Rolling back a release that changed the schema needs the schema change \
        undone too. Without a down migration the rollback either fails or runs the old code \
        against the new schema, which turns a quick revert into an incident.",
    how_to_fix: "Write the reverse step next to the forward one:\n\n\
        ```python\n\
        def upgrade():\n    op.add_column(\"user\", sa.Column(\"nickname\", sa.String()))\n\n\
        def downgrade():\n    op.drop_column(\"user\", \"nickname\")\n\
        ```\n\n\
        For Django, pass `reverse_code=migrations.RunPython.noop` when there is truly nothing \
        to undo, so the choice is explicit.",
    known_limits: "A `downgrade()` that runs code is trusted to revert everything the \
        `upgrade()` did. sqlx and diesel migrations are not read yet.",
};

impl Rule for MigrationWithoutDown {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, code) in workspace.code() {
            let Some(migration) = &code.migration else {
                continue;
            };
            let file = &artifact.file;
            let location = format!("{}-migration", migration.tool);
            match &migration.down {
                Down::Present => sink.holds(&META, file, location),
                Down::Missing { what, span } => {
                    sink.violation(
                        &META,
                        file,
                        *span,
                        location,
                        format!("{} migration cannot be reverted: {what}", migration.tool),
                        "not reversible",
                    )
                    .help = Some(if migration.tool == "django" {
                        "pass `reverse_code=` or `reverse_sql=` (use `noop` when nothing needs \
                         undoing)"
                            .to_string()
                    } else {
                        "write a `downgrade()` that undoes what `upgrade()` changes".to_string()
                    });
                }
            }
        }
    }
}
