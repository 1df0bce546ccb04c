//! Kubernetes objects, their pod templates and containers, and the parts of a
//! `kustomization.yaml` that other facts depend on.

use opslint_core::Span;
use opslint_syntax::value::{Document, Node, Value};

#[derive(Debug, Default)]
pub struct Manifest {
    pub objects: Vec<Object>,
}

#[derive(Debug)]
pub struct Object {
    pub kind: String,
    pub api_version: Option<String>,
    /// `None` when the name is templated or missing.
    pub name: Option<String>,
    pub root: Node,
    /// Span of the `kind` value, or of the document when it has none.
    pub kind_span: Span,
    /// From a Helm chart template: values may be templated.
    pub from_helm: bool,
    /// Used by a kustomization as a patch: it states only what it changes.
    pub is_patch: bool,
    /// Positions of the mapping entries that lead from `root` to the pod
    /// spec, found once when the object is built because most workload
    /// rules ask for the spec. They stay valid because `root` is not changed
    /// after that.
    pod_spec_at: Option<Vec<u32>>,
}

/// A container of a pod template.
#[derive(Debug, Clone, Copy)]
pub struct Container<'a> {
    pub node: &'a Node,
    /// `None` when the name is templated or missing.
    pub name: Option<&'a str>,
    /// Span of the `name` value, else of the container mapping.
    pub name_span: Span,
    pub image: Option<&'a Node>,
}

/// Workload kinds whose pods run until stopped, so probes apply.
const LONG_RUNNING_KINDS: [&str; 6] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Rollout",
];

impl Manifest {
    /// Builds the objects of a stream; `text` is the file's text, from which
    /// templated names are shown as written.
    pub fn from_documents(documents: Vec<Document>, text: &str, from_helm: bool) -> Self {
        let mut manifest = Self::default();
        for document in documents {
            manifest.push(document.root, text, from_helm);
        }
        manifest
    }

    fn push(&mut self, root: Node, text: &str, from_helm: bool) {
        let Some(kind_node) = root.get("kind") else {
            return;
        };
        let kind = kind_node.as_str().unwrap_or("").to_string();
        if kind == "List" || (kind.ends_with("List") && root.get("items").is_some()) {
            if let Some(Value::Seq(items)) = root.get("items").map(|n| n.value.clone()) {
                for item in items {
                    self.push(item, text, from_helm);
                }
            }
            return;
        }
        let kind_span = kind_node.span;
        let api_version = root
            .get("apiVersion")
            .and_then(Node::as_str)
            .map(str::to_string);
        let name = root
            .at(&["metadata", "name"])
            .and_then(|node| match node.as_str() {
                Some(name) => Some(name.to_string()),
                None if node.is_templated() => text
                    .get(node.span.start..node.span.end)
                    .map(|raw| raw.trim().to_string()),
                None => None,
            });
        let pod_spec_at = entry_positions(&root, pod_spec_keys(&kind));
        self.objects.push(Object {
            kind,
            api_version,
            name,
            root,
            kind_span,
            from_helm,
            is_patch: false,
            pod_spec_at,
        });
    }
}

/// Returns the keys that lead from an object of `kind` to its pod spec.
fn pod_spec_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &["spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => &["spec", "template", "spec"],
    }
}

/// Finds, for a path of mapping keys, the position of each key's entry in
/// its mapping. Like [`Node::at`], it takes the first entry of a repeated key.
fn entry_positions(root: &Node, keys: &[&str]) -> Option<Vec<u32>> {
    let mut node = root;
    let mut positions = Vec::with_capacity(keys.len());
    for key in keys {
        let entries = &node.as_map()?.entries;
        let position = entries.iter().position(|entry| entry.key == *key)?;
        positions.push(u32::try_from(position).ok()?);
        node = &entries[position].value;
    }
    Some(positions)
}

impl Object {
    /// Marks the container keys inside `ranges` (the bodies of
    /// `{{ with .Values.x }}` that a default install renders), or followed
    /// by a `toYaml` of a value that `writes_values` accepts, whose value
    /// template output fills. Each such value becomes an open, empty mapping,
    /// because the chart defaults set it with content the masked text does
    /// not show.
    pub fn mark_rendered_keys(
        &mut self,
        ranges: &[std::ops::Range<usize>],
        text: &str,
        writes_values: impl Fn(&str) -> bool,
    ) {
        for item in self.container_lists_mut().flatten() {
            let Value::Map(container) = &mut item.value else {
                continue;
            };
            let starts: Vec<usize> = container
                .entries
                .iter()
                .map(|entry| entry.key_span.start)
                .chain(std::iter::once(item.span.end))
                .collect();
            for (position, entry) in container.entries.iter_mut().enumerate() {
                let inside = ranges
                    .iter()
                    .any(|range| range.contains(&entry.key_span.start));
                let filled = entry.value.is_templated() || entry.value.is_null();
                // `key:` followed by `{{ toYaml .Values.x | nindent N }}`
                // writes what values.yaml sets for `x`.
                let body = text
                    .get(entry.key_span.end..starts[position + 1].max(entry.key_span.end))
                    .unwrap_or("");
                if filled && (inside || writes_values(body)) {
                    entry.value.value = Value::Map(opslint_syntax::value::Map {
                        entries: Box::default(),
                        open: true,
                    });
                }
            }
        }
    }

    /// Replaces templated container names with what `render` makes of
    /// their text in the file (`text`), such as the chart's name for
    /// `{{ .Chart.Name }}`, so that messages name the container.
    pub fn render_container_names(&mut self, text: &str, render: impl Fn(&str) -> Option<String>) {
        for item in self.container_lists_mut().flatten() {
            let Value::Map(container) = &mut item.value else {
                continue;
            };
            let Some(name) = container
                .entries
                .iter_mut()
                .find(|entry| entry.key == "name")
            else {
                continue;
            };
            if !name.value.is_templated() {
                continue;
            }
            let Some(raw) = text.get(name.value.span.start..name.value.span.end) else {
                continue;
            };
            if let Some(rendered) = render(raw) {
                name.value.value = Value::Scalar(opslint_syntax::value::Scalar {
                    text: rendered.into(),
                    quoted: true,
                });
            }
        }
    }

    /// Removes the containers and init containers that start inside one of
    /// `ranges` of the file's text, such as the parts of a Helm template
    /// that a default install does not render, and the keys of the kept
    /// containers that start there, such as a probe inside
    /// `{{ with .Values.readinessProbe }}`.
    pub fn drop_containers_in(&mut self, ranges: &[std::ops::Range<usize>]) {
        let starts_inside = |offset: usize| ranges.iter().any(|range| range.contains(&offset));
        for items in self.container_lists_mut() {
            items.retain(|item| !starts_inside(item.span.start));
            for item in items.iter_mut() {
                if let Value::Map(container) = &mut item.value
                    && container
                        .entries
                        .iter()
                        .any(|key| starts_inside(key.key_span.start))
                {
                    let mut entries = std::mem::take(&mut container.entries).into_vec();
                    entries.retain(|key| !starts_inside(key.key_span.start));
                    container.entries = entries.into_boxed_slice();
                }
            }
        }
    }

    /// Returns the `containers` and `initContainers` lists of the pod spec,
    /// for changing them in place.
    fn container_lists_mut(&mut self) -> impl Iterator<Item = &mut Vec<Node>> {
        let spec = self.pod_spec_mut();
        spec.into_iter().flat_map(|spec| {
            spec.entries
                .iter_mut()
                .filter(|entry| matches!(entry.key.as_str(), "containers" | "initContainers"))
                .filter_map(|entry| match &mut entry.value.value {
                    Value::Seq(items) => Some(items),
                    _ => None,
                })
        })
    }

    /// Returns the pod spec's mapping, for changing it in place.
    fn pod_spec_mut(&mut self) -> Option<&mut opslint_syntax::value::Map> {
        let positions = self.pod_spec_at.clone()?;
        let mut node = &mut self.root;
        for position in positions {
            let Value::Map(map) = &mut node.value else {
                return None;
            };
            node = &mut map.entries.get_mut(position as usize)?.value;
        }
        match &mut node.value {
            Value::Map(spec) => Some(spec),
            _ => None,
        }
    }

    /// Images that Skaffold builds and tags at deploy time, when this object
    /// is a `skaffold.yaml` configuration.
    pub fn skaffold_images(&self) -> Vec<String> {
        let is_skaffold = self
            .api_version
            .as_deref()
            .is_some_and(|v| v.starts_with("skaffold/"));
        if !is_skaffold {
            return Vec::new();
        }
        self.root
            .at(&["build", "artifacts"])
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|artifact| artifact.get("image").and_then(Node::as_str))
            .map(str::to_string)
            .collect()
    }

    /// `Deployment/api`, or `Deployment` when the name is not known.
    pub fn label(&self) -> String {
        match &self.name {
            // Concatenated rather than formatted, because rules ask for the
            // labels of thousands of objects and `format!` costs several times more.
            Some(name) => [self.kind.as_str(), "/", name.as_str()].concat(),
            None => self.kind.clone(),
        }
    }

    /// Returns the value this object, read as a strategic-merge patch, sets at
    /// `path` of `object` (mapping keys and list positions from the root).
    /// Containers merge by name, so a position in `containers` or
    /// `initContainers` of `object` is matched to the patch's container of
    /// the same name.
    pub fn value_as_patch(&self, object: &Object, path: &[&str]) -> Option<&Node> {
        if let Some(rest) = path.strip_prefix(object.pod_spec_keys())
            && let [list @ ("containers" | "initContainers"), index, inner @ ..] = rest
        {
            let index = index.parse::<usize>().ok()?;
            let base = object.container_list(list);
            let name = base.get(index)?.name?;
            return self
                .container_list(list)
                .into_iter()
                .find(|container| container.name == Some(name))?
                .node
                .at(inner);
        }
        self.root.at(path)
    }

    /// Returns the keys that lead from this object to its pod spec, as the
    /// paths of JSON patches name them.
    pub fn pod_spec_keys(&self) -> &'static [&'static str] {
        pod_spec_keys(&self.kind)
    }

    /// The pod spec of a workload, wherever its kind keeps it.
    pub fn pod_spec(&self) -> Option<&Node> {
        let mut node = &self.root;
        for &position in self.pod_spec_at.as_deref()? {
            node = &node.as_map()?.entries.get(position as usize)?.value;
        }
        Some(node)
    }

    /// Whether pods of this object serve until stopped: the workload kinds
    /// that keep pods running, and bare Pods that restart always and are not
    /// Helm test hooks. Jobs and CronJobs run to completion.
    pub fn is_long_running(&self) -> bool {
        if LONG_RUNNING_KINDS.contains(&self.kind.as_str()) {
            return self.kind != "Rollout"
                || self
                    .api_version
                    .as_deref()
                    .is_some_and(|v| v.starts_with("argoproj.io/"));
        }
        if self.kind == "Pod" {
            let restart = self
                .pod_spec()
                .and_then(|spec| spec.get("restartPolicy"))
                .and_then(Node::as_str);
            let is_hook = self
                .root
                .at(&["metadata", "annotations", "helm.sh/hook"])
                .is_some();
            return matches!(restart, None | Some("Always")) && !is_hook;
        }
        false
    }

    /// The regular containers of the pod template (not init containers).
    pub fn containers(&self) -> Vec<Container<'_>> {
        self.container_list("containers")
    }

    pub fn init_containers(&self) -> Vec<Container<'_>> {
        self.container_list("initContainers")
    }

    fn container_list(&self, key: &str) -> Vec<Container<'_>> {
        let Some(list) = self
            .pod_spec()
            .and_then(|spec| spec.get(key))
            .and_then(Node::as_seq)
        else {
            return Vec::new();
        };
        list.iter()
            .filter(|node| node.as_map().is_some())
            .map(|node| {
                let name_node = node.get("name");
                Container {
                    node,
                    name: name_node.and_then(Node::as_str),
                    name_span: name_node.map_or(node.span, |n| n.span),
                    image: node.get("image"),
                }
            })
            .collect()
    }
}

impl Container<'_> {
    /// `web`, or `#2` (1-based) when the name is not known.
    pub fn label(&self, index: usize) -> String {
        match self.name {
            Some(name) => name.to_string(),
            None => format!("#{}", index + 1),
        }
    }
}

/// The patches a kustomization applies, and the other fields that change
/// what its resources become.
#[derive(Debug, Default)]
pub struct Kustomization {
    /// Files named by `patchesStrategicMerge`, `patches` and
    /// `patchesJson6902`, relative to the kustomization.
    pub patch_files: Vec<String>,
    /// Patches written inline, and files of JSON 6902 operations with the
    /// target they apply to.
    pub patches: Vec<Patch>,
    /// Names from the `images:` transformer, which sets their tag or digest.
    pub image_names: Vec<String>,
    /// Entries of `images:` whose `newTag` is `latest`, as the image name
    /// and the span of the tag.
    pub latest_tags: Vec<(String, Span)>,
    /// Workload names whose replica count the `replicas:` field sets.
    pub replica_names: Vec<String>,
    /// Local files and folders from `resources`, `bases` and `components`,
    /// relative to the kustomization. Remote ones (a URL or a Git host) are
    /// left out.
    pub resources: Vec<String>,
}

impl Kustomization {
    pub fn from_documents(documents: &[Document]) -> Self {
        let mut kustomization = Self::default();
        for document in documents {
            let root = &document.root;
            if let Some(images) = root.get("images").and_then(Node::as_seq) {
                for image in images {
                    let retags = image.get("newTag").is_some() || image.get("digest").is_some();
                    if let (true, Some(name)) = (retags, image.get("name").and_then(Node::as_str)) {
                        kustomization.image_names.push(name.to_string());
                        // A digest wins over the tag, so `latest` is harmless beside one.
                        let latest = image
                            .get("newTag")
                            .filter(|tag| {
                                tag.as_str()
                                    .is_some_and(|t| t.eq_ignore_ascii_case("latest"))
                            })
                            .filter(|_| image.get("digest").is_none());
                        if let Some(tag) = latest {
                            kustomization.latest_tags.push((name.to_string(), tag.span));
                        }
                    }
                }
            }
            for key in ["resources", "bases", "components"] {
                for resource in root.get(key).and_then(Node::as_seq).unwrap_or_default() {
                    if let Some(resource) = resource.as_str()
                        && !resource.contains("://")
                        && !resource.starts_with("github.com/")
                        && !resource.contains("?ref=")
                    {
                        kustomization.resources.push(resource.to_string());
                    }
                }
            }
            for replica in root
                .get("replicas")
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                if let Some(name) = replica.get("name").and_then(Node::as_str) {
                    kustomization.replica_names.push(name.to_string());
                }
            }
            for key in ["patchesStrategicMerge", "patches", "patchesJson6902"] {
                let Some(items) = root.get(key).and_then(Node::as_seq) else {
                    continue;
                };
                for item in items {
                    kustomization.read_patch(item);
                }
            }
        }
        kustomization
    }

    /// Reads one entry of a patch list: a file name, a `path:` with an
    /// optional `target:`, or a `patch:` written inline.
    fn read_patch(&mut self, item: &Node) {
        let target = item.get("target").map(PatchTarget::from_node);
        let path = item
            .as_str()
            .or_else(|| item.get("path").and_then(Node::as_str));
        if let Some(path) = path {
            self.patch_files.push(path.to_string());
            // The file contains either objects, which the workspace marks as
            // patches, or JSON 6902 operations on the target.
            if let Some(target) = target {
                self.patches.push(Patch::JsonFile {
                    target,
                    path: path.to_string(),
                });
            }
            return;
        }
        let Some(text) = item.get("patch").and_then(Node::as_str) else {
            return;
        };
        // JSON is YAML, so one parser reads both forms of an inline patch.
        let documents = opslint_syntax::yaml::parse(text, false).documents;
        if let Some(ops) = documents.first().and_then(|d| json_patch_ops(&d.root)) {
            if let Some(target) = target {
                self.patches.push(Patch::Json { target, ops });
            }
            return;
        }
        let mut objects = Manifest::from_documents(documents, text, false).objects;
        for object in &mut objects {
            object.is_patch = true;
        }
        if !objects.is_empty() {
            self.patches.push(Patch::Merge { target, objects });
        }
    }
}

/// A Kustomize patch that is not a file of objects: those are marked
/// [`Object::is_patch`] where they are.
///
/// The nodes of inline patches were parsed from the text of the `patch:`
/// value, so their spans are offsets into that text, not into the
/// kustomization: they tell what a patch sets, and findings never point at them.
#[derive(Debug)]
pub enum Patch {
    /// Strategic-merge objects written inline. With a target the patch
    /// applies to the objects the target selects, else to the object of its
    /// own kind and name.
    Merge {
        target: Option<PatchTarget>,
        objects: Vec<Object>,
    },
    /// JSON 6902 operations on the objects the target selects.
    Json {
        target: PatchTarget,
        ops: Vec<JsonPatchOp>,
    },
    /// A file of JSON 6902 operations, relative to the kustomization; the
    /// workspace replaces it with [`Patch::Json`] when it reads the file.
    JsonFile { target: PatchTarget, path: String },
}

impl Patch {
    /// Returns the value this patch sets at `path` of `object` (mapping keys
    /// and list positions from its root), when it applies to `object`.
    pub fn value_at(&self, object: &Object, path: &[&str]) -> Option<&Node> {
        match self {
            Self::Merge { target, objects } => objects.iter().find_map(|patch| {
                let selected = match target {
                    Some(target) => target.selects(object),
                    None => patch.kind == object.kind && patch.name == object.name,
                };
                selected
                    .then(|| patch.value_as_patch(object, path))
                    .flatten()
            }),
            Self::Json { target, ops } if target.selects(object) => {
                // A later operation overwrites an earlier one.
                ops.iter().rev().find_map(|op| op.value_at(path))
            }
            Self::Json { .. } | Self::JsonFile { .. } => None,
        }
    }
}

/// The kind and name a Kustomize patch target selects. A field left out
/// selects every value; label and annotation selectors are not read, so a
/// target with only those selects every object.
#[derive(Debug, Clone, Default)]
pub struct PatchTarget {
    pub kind: Option<String>,
    pub name: Option<String>,
}

impl PatchTarget {
    fn from_node(node: &Node) -> Self {
        let field = |key| node.get(key).and_then(Node::as_str).map(str::to_string);
        Self {
            kind: field("kind"),
            name: field("name"),
        }
    }

    /// Checks whether the target selects `object`. Kustomize reads a target
    /// name as a regular expression; names here are compared as written.
    pub fn selects(&self, object: &Object) -> bool {
        self.kind.as_deref().is_none_or(|kind| kind == object.kind)
            && self
                .name
                .as_deref()
                .is_none_or(|name| object.name.as_deref() == Some(name))
    }
}

/// An `add` or `replace` operation of a JSON 6902 patch: the path it writes,
/// split into its parts, and the value written there.
#[derive(Debug, Clone)]
pub struct JsonPatchOp {
    pub path: Vec<String>,
    pub value: Option<Node>,
}

impl JsonPatchOp {
    /// Returns the value the operation writes at `path`: its own value when
    /// its path is `path`, or the part of its value at the rest of `path`
    /// when its path leads there.
    pub fn value_at(&self, path: &[&str]) -> Option<&Node> {
        let leads_there = self.path.len() <= path.len()
            && self.path.iter().zip(path).all(|(part, key)| part == key);
        if !leads_there {
            return None;
        }
        self.value.as_ref()?.at(&path[self.path.len()..])
    }
}

/// Reads a JSON 6902 patch: a list of mappings with `op` and `path`. Returns
/// `None` for anything else, and keeps only `add` and `replace` operations,
/// the ones that set a value.
pub fn json_patch_ops(root: &Node) -> Option<Vec<JsonPatchOp>> {
    let items = root.as_seq()?;
    if items.is_empty() {
        return None;
    }
    let mut ops = Vec::new();
    for item in items {
        let op = item.get("op").and_then(Node::as_str)?;
        let path = item.get("path").and_then(Node::as_str)?;
        if !matches!(op, "add" | "replace") {
            continue;
        }
        ops.push(JsonPatchOp {
            path: json_pointer_parts(path),
            value: item.get("value").cloned(),
        });
    }
    Some(ops)
}

/// Splits a JSON pointer (RFC 6901) such as `/metadata/annotations/a~1b`
/// into its unescaped parts: `metadata`, `annotations`, `a/b`.
fn json_pointer_parts(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|part| part.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Resolves `relative` against the folder of `file`, both `/`-separated,
/// removing `.` and `..` parts.
pub fn join_path(file: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = file.split('/').collect();
    parts.pop();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") && !parts.is_empty() {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use opslint_syntax::yaml;

    fn manifest(text: &str) -> Manifest {
        Manifest::from_documents(yaml::parse(text, false).documents, text, false)
    }

    #[test]
    fn deployment_containers_and_kinds() {
        let m = manifest(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: init\n      containers:\n        - name: web\n          image: nginx\n",
        );
        let object = &m.objects[0];
        assert_eq!(object.label(), "Deployment/api");
        assert!(object.is_long_running());
        assert_eq!(object.containers().len(), 1);
        assert_eq!(object.containers()[0].name, Some("web"));
        assert_eq!(object.init_containers().len(), 1);
    }

    #[test]
    fn jobs_and_hook_pods_are_not_long_running() {
        let m = manifest(
            "kind: Job\nmetadata:\n  name: j\n---\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\nspec:\n  containers: []\n---\nkind: Pod\nspec:\n  restartPolicy: Never\n",
        );
        assert!(m.objects.iter().all(|o| !o.is_long_running()));
    }

    #[test]
    fn list_items_become_objects() {
        let m = manifest(
            "apiVersion: v1\nkind: List\nitems:\n  - kind: Deployment\n    metadata:\n      name: a\n  - kind: Service\n",
        );
        assert_eq!(m.objects.len(), 2);
        assert_eq!(m.objects[0].label(), "Deployment/a");
    }

    #[test]
    fn kustomization_replicas_and_patches() {
        let documents = yaml::parse(
            "patches:\n  - path: p.yaml\nreplicas:\n  - name: web\n    count: 3\n",
            false,
        )
        .documents;
        let kustomization = Kustomization::from_documents(&documents);
        assert_eq!(kustomization.replica_names, vec!["web"]);
        assert_eq!(kustomization.patch_files, vec!["p.yaml"]);
    }

    #[test]
    fn inline_patches_are_read() {
        let documents = yaml::parse(
            "patches:\n  - target:\n      kind: Deployment\n      name: web\n    patch: |-\n      - op: add\n        path: /spec/template/spec/containers/0/readinessProbe\n        value: {httpGet: {path: /ready}}\n      - op: remove\n        path: /spec/replicas\n  - patch: |-\n      kind: Deployment\n      metadata:\n        name: web\n      spec:\n        replicas: 4\n",
            false,
        )
        .documents;
        let kustomization = Kustomization::from_documents(&documents);
        assert!(kustomization.patch_files.is_empty());
        assert_eq!(kustomization.patches.len(), 2);

        let web = &manifest(
            "kind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n",
        )
        .objects[0];
        let probe = [
            "spec",
            "template",
            "spec",
            "containers",
            "0",
            "readinessProbe",
            "httpGet",
        ];

        assert!(kustomization.patches[0].value_at(web, &probe).is_some());
        assert!(kustomization.patches[1].value_at(web, &probe).is_none());
        // `remove` sets nothing; the inline object sets the count.
        assert!(
            kustomization.patches[0]
                .value_at(web, &["spec", "replicas"])
                .is_none()
        );
        let replicas = kustomization.patches[1].value_at(web, &["spec", "replicas"]);
        assert_eq!(replicas.and_then(Node::as_str), Some("4"));
    }

    #[test]
    fn json_patch_targets_select_by_kind_and_name() {
        let objects = manifest(
            "kind: Deployment\nmetadata:\n  name: web\n---\nkind: Deployment\nmetadata:\n  name: worker\n---\nkind: StatefulSet\nmetadata:\n  name: web\n",
        )
        .objects;
        let target = |kind: Option<&str>, name: Option<&str>| PatchTarget {
            kind: kind.map(str::to_string),
            name: name.map(str::to_string),
        };
        let selected = |target: PatchTarget| {
            objects
                .iter()
                .filter(|object| target.selects(object))
                .map(Object::label)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            selected(target(Some("Deployment"), Some("web"))),
            vec!["Deployment/web"]
        );
        assert_eq!(
            selected(target(Some("Deployment"), None)),
            vec!["Deployment/web", "Deployment/worker"]
        );
        assert_eq!(
            selected(target(None, Some("web"))),
            vec!["Deployment/web", "StatefulSet/web"]
        );
    }

    #[test]
    fn json_patch_ops_need_op_and_path() {
        let root = |text: &str| yaml::parse(text, false).documents.remove(0).root;
        let ops = json_patch_ops(&root(
            "- op: replace\n  path: /metadata/annotations/example.com~1owner\n  value: team-a\n- op: test\n  path: /kind\n  value: Deployment\n",
        ))
        .expect("a list of operations");
        assert_eq!(ops.len(), 1);
        assert_eq!(
            ops[0].path,
            ["metadata", "annotations", "example.com/owner"]
        );
        assert!(json_patch_ops(&root("- name: web\n  image: nginx\n")).is_none());
        assert!(json_patch_ops(&root("- op: add\n")).is_none());
        assert!(json_patch_ops(&root("op: add\npath: /spec\n")).is_none());
    }

    #[test]
    fn join_path_resolves_parent_parts() {
        assert_eq!(
            join_path("k/overlays/prod/kustomization.yaml", "patch.yaml"),
            "k/overlays/prod/patch.yaml"
        );
        assert_eq!(
            join_path("k/overlays/prod/kustomization.yaml", "../base/x.yaml"),
            "k/overlays/base/x.yaml"
        );
        assert_eq!(join_path("kustomization.yaml", "./p.yaml"), "p.yaml");
    }
}
