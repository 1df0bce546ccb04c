//! The check shared by the readiness and liveness probe rules.

use opslint_core::{RuleMeta, Sink};
use opslint_model::Workspace;
use opslint_syntax::value::Lookup;

use crate::support::patch_sets_in_container;

pub struct ProbeCheck {
    pub meta: &'static RuleMeta,
    /// `readinessProbe` or `livenessProbe`.
    pub key: &'static str,
    /// `readiness` or `liveness`, for messages.
    pub noun: &'static str,
    pub help: &'static str,
}

impl ProbeCheck {
    pub fn run(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, manifest) in workspace.kubernetes() {
            let file = &artifact.file;
            for object in &manifest.objects {
                if object.is_patch || !object.is_long_running() {
                    continue;
                }
                for (index, container) in object.containers().iter().enumerate() {
                    let name = container.label(index);
                    let location = || format!("{}/containers/{}", object.label(), name);
                    match container.node.lookup(self.key) {
                        // In a chart, a probe key whose value is left empty
                        // once template actions are masked is filled by them,
                        // as with `{{- toYaml . | nindent 12 }}` in a `with`.
                        Lookup::Present(entry)
                            if entry.value.is_templated()
                                || (object.from_helm && entry.value.is_null()) =>
                        {
                            sink.unclear(
                                self.meta,
                                file,
                                entry.value.span,
                                location(),
                                format!(
                                    "The {} probe of container `{name}` in {} comes from template \
                                 values: is it set for every release?",
                                    self.noun,
                                    object.label()
                                ),
                                "the probe is rendered from Helm values",
                            )
                        }
                        Lookup::Present(_) => sink.holds_with(self.meta, file, location),
                        Lookup::Unknown => sink.unclear(
                            self.meta,
                            file,
                            container.name_span,
                            location(),
                            format!(
                                "Does container `{name}` in {} get a {} probe from the \
                                 template it includes?",
                                object.label(),
                                self.noun
                            ),
                            "template output that opslint cannot render may add keys here",
                        ),
                        Lookup::Absent
                            if patch_sets_in_container(workspace, object, index, self.key) =>
                        {
                            sink.holds_with(self.meta, file, location)
                        }
                        Lookup::Absent => {
                            sink.violation(
                                self.meta,
                                file,
                                container.name_span,
                                location(),
                                format!(
                                    "container `{name}` of {} has no {} probe",
                                    object.label(),
                                    self.noun
                                ),
                                format!("no `{}` in this container", self.key),
                            )
                            .help = Some(self.help.to_string());
                        }
                    }
                }
            }
        }
    }
}
