//! Small helpers shared by rules.

use opslint_model::cloudformation;
use opslint_model::terraform_eval::Via;
use opslint_syntax::hcl::Expr;
use opslint_syntax::value::Node;

/// Names the inputs an HCL expression reads, as a clause to append to a
/// reason: ` (from `var.tracing_mode`)`. Empty when the expression is
/// nothing but that one reference, which the reason already quotes.
pub fn hcl_inputs(expr: Option<&Expr>) -> String {
    let references = expr.map(Expr::references).unwrap_or_default();
    let is_bare_reference =
        references.len() == 1 && expr.is_some_and(|e| e.text.trim() == references[0]);
    if references.is_empty() || is_bare_reference {
        String::new()
    } else {
        format!(" (from {})", quoted_list(&references))
    }
}

/// Names the parameters and conditions a CloudFormation value reads.
pub fn cfn_inputs(node: &Node) -> String {
    let references = cloudformation::references(node);
    if references.is_empty() {
        String::new()
    } else {
        format!(" (from {})", quoted_list(&references))
    }
}

/// "`A`, `B`, `C`".
pub fn quoted_list(items: &[impl AsRef<str>]) -> String {
    items
        .iter()
        .map(|item| format!("`{}`", item.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "`A`", "`A` and `B`", "`A`, `B` and `C`".
pub fn quoted_with_and(items: &[impl AsRef<str>]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("{} and `{}`", quoted_list(rest), last.as_ref())
        }
        _ => quoted_list(items),
    }
}

/// An integer field of a Kubernetes object, with Helm values rendered from
/// the chart defaults where possible.
#[derive(Debug, Clone, PartialEq)]
pub enum IntField {
    /// The value, and for a rendered Helm value the defaults it came from.
    Value(i64, Option<opslint_model::helm::Rendered>),
    /// Templated, and the chart defaults do not decide it.
    Unknown,
    Absent,
    /// Present but not an integer.
    Invalid,
}

/// Reads the integer at `node`, rendering a Helm value from `values.yaml`.
pub fn int_field(
    workspace: &opslint_model::Workspace,
    artifact: &opslint_model::Artifact,
    node: Option<&Node>,
) -> IntField {
    let Some(node) = node else {
        return IntField::Absent;
    };
    if node.is_templated() {
        return match workspace.render_helm(artifact, node) {
            Some(rendered) => match rendered.text.trim().parse() {
                Ok(number) => IntField::Value(number, Some(rendered)),
                Err(_) => IntField::Unknown,
            },
            None => IntField::Unknown,
        };
    }
    match node.as_str().map(str::parse) {
        Some(Ok(number)) => IntField::Value(number, None),
        _ => IntField::Invalid,
    }
}

/// Checks whether a Kustomize patch sets the field at `path` of `object`,
/// given as mapping keys and list positions from its root. The patch is a
/// file of the same kind and name, or a patch written inline or as JSON 6902
/// operations whose target selects the object. An overlay then decides the
/// value the cluster gets, and the base's value alone is not the result.
pub fn patch_sets(
    workspace: &opslint_model::Workspace,
    object: &opslint_model::kubernetes::Object,
    path: &[&str],
) -> bool {
    patch_sets_where(workspace, object, path, |_| true)
}

/// Like [`patch_sets`], for a patch whose value at `path` passes `accept`.
pub fn patch_sets_where(
    workspace: &opslint_model::Workspace,
    object: &opslint_model::kubernetes::Object,
    path: &[&str],
    accept: impl Fn(&Node) -> bool,
) -> bool {
    if workspace
        .kustomize_patches
        .iter()
        .filter_map(|patch| patch.value_at(object, path))
        .any(&accept)
    {
        return true;
    }
    let Some(name) = object.name.as_deref() else {
        return false;
    };
    let patch_manifests = workspace.patch_files.iter().filter_map(|path| {
        let index = workspace
            .artifacts
            .binary_search_by(|artifact| artifact.file.path.as_str().cmp(path))
            .ok()?;
        match &workspace.artifacts[index].facts {
            opslint_model::Facts::Kubernetes(manifest) => Some(manifest),
            _ => None,
        }
    });
    patch_manifests.into_iter().any(|manifest| {
        manifest.objects.iter().any(|patch| {
            patch.is_patch
                && patch.kind == object.kind
                && patch.name.as_deref() == Some(name)
                && patch.value_as_patch(object, path).is_some_and(&accept)
        })
    })
}

/// Checks whether a Kustomize patch sets `key` in the container at `index`
/// of `object`'s `containers` list (see [`patch_sets`]).
pub fn patch_sets_in_container(
    workspace: &opslint_model::Workspace,
    object: &opslint_model::kubernetes::Object,
    index: usize,
    key: &str,
) -> bool {
    let index = index.to_string();
    let mut path = object.pod_spec_keys().to_vec();
    path.extend(["containers", index.as_str(), key]);
    patch_sets(workspace, object, &path)
}

/// Lists the container definitions of the ECS task definitions of a
/// CloudFormation template, with the task definition of each.
pub fn ecs_containers(
    template: &cloudformation::Template,
) -> Vec<(&cloudformation::Resource, &Node)> {
    template
        .resources_of_type("AWS::ECS::TaskDefinition")
        .flat_map(|resource| {
            resource
                .properties()
                .and_then(|properties| properties.get("ContainerDefinitions"))
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .map(move |container| (resource, container))
        })
        .collect()
}

/// Returns the condition under which a finding built on a variable's
/// default stops being true: ` unless `tracing_mode` is set`. A value that a
/// variables file sets is named with its place instead: ` as `tracing_mode`
/// is set in `prod.tfvars``, since setting the variable is what caused it.
pub fn unless_set(via: Option<&Via>) -> String {
    via.map_or(String::new(), |via| {
        if via.origin == "the default" {
            format!(" unless `{}` is set", via.variable)
        } else {
            format!(" as `{}` is set in {}", via.variable, via.origin)
        }
    })
}

/// Names where a variable's value came from, as a clause for a label:
/// ` (the default of `var.tracing_mode`)`.
pub fn via_origin(via: Option<&Via>) -> String {
    via.map_or(String::new(), |via| {
        if via.origin == "the default" {
            format!(" (the default of `var.{}`)", via.variable)
        } else {
            format!(" (`var.{}` as set in {})", via.variable, via.origin)
        }
    })
}

/// Returns the `unless` clause for a value taken from a CloudFormation
/// parameter's default.
pub fn unless_parameter_set(parameter: Option<&str>) -> String {
    parameter.map_or(String::new(), |name| {
        format!(" unless parameter `{name}` is set")
    })
}

/// Names the parameter whose default a value came from, for a label.
pub fn parameter_origin(parameter: Option<&str>) -> String {
    parameter.map_or(String::new(), |name| {
        format!(" (the default of parameter `{name}`)")
    })
}

/// Lists the alerting rules of Prometheus rule groups (`groups:` of
/// `rules:`) as `(group, rule, alert name node)`. Recording rules, which
/// have `record:` and no `alert:`, are left out because they send no alert.
pub fn alerting_rules(groups: Option<&Node>) -> Vec<(&Node, &Node, &Node)> {
    let mut alerts = Vec::new();
    for group in groups.and_then(Node::as_seq).unwrap_or_default() {
        for rule in group
            .get("rules")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            if let Some(alert) = rule.get("alert") {
                alerts.push((group, rule, alert));
            }
        }
    }
    alerts
}
