//! Typed facts extracted from parsed files, and the workspace model that
//! joins them across files. Rules read only these facts; none of them reads
//! or parses a file.

// Data read from files must never panic the linter; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod automation;
pub mod cloudformation;
pub mod commands;
pub mod compose;
pub mod current;
pub mod deployable;
pub mod dockerfile;
pub mod github;
pub mod gitlab;
pub mod helm;
pub mod image;
pub mod kubernetes;
pub mod make;
pub mod manifest;
pub mod python_code;
mod routing;
pub mod rust_code;
pub mod service;
pub mod service_link;
pub mod shell;
pub mod terraform;
pub mod terraform_eval;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use opslint_core::{ArtifactKind, SourceFile};
use opslint_records::incidents::Incident;
use opslint_syntax::Syntax;

/// One file with the facts extracted from it.
#[derive(Debug)]
pub struct Artifact {
    pub file: Arc<SourceFile>,
    pub kind: ArtifactKind,
    pub facts: Facts,
}

#[derive(Debug)]
pub enum Facts {
    Kubernetes(kubernetes::Manifest),
    Kustomization(Box<kubernetes::Kustomization>),
    CloudFormation(Box<cloudformation::Template>),
    Terraform(terraform::TerraformFile),
    /// The assignments of a `.tfvars` file.
    TerraformVars(opslint_syntax::hcl::Body),
    GithubWorkflow(Box<github::Workflow>),
    GithubAction(github::Action),
    GitlabCi(Box<gitlab::Pipeline>),
    Shell(shell::ShellScript),
    Makefile(make::Makefile),
    Compose(compose::ComposeFile),
    /// A Rust or Python source file.
    Code(Box<service::CodeFile>),
    Dependencies(service::DependencyManifest),
    Dockerfile(dockerfile::Dockerfile),
    /// The root of a chart's `values.yaml` or other values file.
    HelmValues(opslint_syntax::value::Node),
    /// The root of a Prometheus rule file (`groups:` of `rules:`).
    PrometheusRules(opslint_syntax::value::Node),
    /// The `add` and `replace` operations of a JSON 6902 patch file, which a
    /// kustomization applies to a target.
    JsonPatch(Vec<kubernetes::JsonPatchOp>),
    /// The named templates (`{{ define "x.image" }}`) of a chart's `.tpl`
    /// file, by name, with the text of each body.
    HelmHelpers(Vec<(String, String)>),
    /// A chart's `Chart.yaml`, with its `name` and `appVersion`.
    HelmChart {
        name: Option<String>,
        app_version: Option<String>,
        /// The entries of `dependencies:`, each a mapping with `name`,
        /// `repository` and an optional `condition`.
        dependencies: Vec<opslint_syntax::value::Node>,
    },
    /// ADRs, post-incident analyses, incident exports, CODEOWNERS and
    /// runbooks.
    Record(Box<opslint_records::Record>),
    None,
}

/// Extracts the facts of one parsed file. Documents with syntax errors were
/// already left out by the parser.
pub fn extract(kind: ArtifactKind, file: &SourceFile, syntax: Syntax) -> Facts {
    match (kind, syntax) {
        (ArtifactKind::Kubernetes | ArtifactKind::HelmTemplate, Syntax::Yaml(yaml)) => {
            Facts::Kubernetes(kubernetes::Manifest::from_documents(
                yaml.documents,
                &file.text,
                kind == ArtifactKind::HelmTemplate,
            ))
        }
        (ArtifactKind::Kustomization, Syntax::Yaml(yaml)) => Facts::Kustomization(Box::new(
            kubernetes::Kustomization::from_documents(&yaml.documents),
        )),
        (ArtifactKind::CloudFormation, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::CloudFormation(Box::new(cloudformation::Template::from_root(doc.root)))
            }),
        (ArtifactKind::CloudFormation, Syntax::Json(json)) => {
            json.document.map_or(Facts::None, |doc| {
                Facts::CloudFormation(Box::new(cloudformation::Template::from_root(doc.root)))
            })
        }
        (ArtifactKind::Terraform, Syntax::Hcl(hcl)) => {
            Facts::Terraform(terraform::TerraformFile::new(hcl.body))
        }
        (ArtifactKind::TerraformVars, Syntax::Hcl(hcl)) => Facts::TerraformVars(hcl.body),
        (ArtifactKind::GithubWorkflow, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::GithubWorkflow(Box::new(github::Workflow::from_root(doc.root, file)))
            }),
        (ArtifactKind::GithubAction, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::GithubAction(github::Action::from_root(doc.root, file))
            }),
        (ArtifactKind::GitlabCi, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::GitlabCi(Box::new(gitlab::Pipeline::from_root(doc.root, &file.path)))
            }),
        (ArtifactKind::Shell, Syntax::Bash(bash)) => Facts::Shell(shell::ShellScript::new(bash)),
        (ArtifactKind::Makefile, _) => Facts::Makefile(make::Makefile::parse(&file.text)),
        (ArtifactKind::DockerCompose, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| {
                Facts::Compose(compose::ComposeFile::from_root(doc.root))
            }),
        (ArtifactKind::Rust, Syntax::Rust(rust)) => {
            Facts::Code(Box::new(rust_code::extract(file, rust)))
        }
        (ArtifactKind::Python, Syntax::Python(python)) => {
            Facts::Code(Box::new(python_code::extract(file, python)))
        }
        (ArtifactKind::CargoManifest, Syntax::Toml(Some(table), _)) => {
            Facts::Dependencies(manifest::from_cargo(&table))
        }
        (ArtifactKind::PyprojectManifest, Syntax::Toml(Some(table), _)) => {
            Facts::Dependencies(manifest::from_pyproject(&table))
        }
        (ArtifactKind::PipRequirements, _) => {
            Facts::Dependencies(manifest::from_requirements(&file.text))
        }
        (ArtifactKind::Dockerfile, Syntax::Dockerfile(syntax)) => {
            Facts::Dockerfile(dockerfile::Dockerfile::new(syntax))
        }
        (ArtifactKind::HelmValues, Syntax::Yaml(yaml)) => yaml
            .documents
            .into_iter()
            .next()
            .map_or(Facts::None, |doc| Facts::HelmValues(doc.root)),
        (ArtifactKind::OtherYaml, Syntax::Yaml(yaml)) => other_yaml(file, yaml),
        (ArtifactKind::HelmHelpers, _) => Facts::HelmHelpers(helm::defines(&file.text)),
        _ => Facts::None,
    }
}

/// Facts of YAML that no path or content rule classified: a chart's
/// `Chart.yaml`, Prometheus rule files (a top-level `groups:` list whose
/// groups have `rules:`), GitLab CI files and JSON 6902 patches (a list of
/// `op` and `path` mappings). A file that a
/// `.gitlab-ci.yml` includes can have any name, so pipeline-shaped files are
/// kept; only included ones are checked.
fn other_yaml(file: &SourceFile, yaml: opslint_syntax::yaml::YamlFile) -> Facts {
    let Some(document) = yaml.documents.into_iter().next() else {
        return Facts::None;
    };
    if file_name(&file.path) == "Chart.yaml" {
        let app_version = document
            .root
            .get("appVersion")
            .and_then(|node| node.as_str())
            .map(str::to_string);
        let dependencies = document
            .root
            .get("dependencies")
            .and_then(|node| node.as_seq())
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        let name = document
            .root
            .get("name")
            .and_then(|node| node.as_str())
            .map(str::to_string);
        return Facts::HelmChart {
            name,
            app_version,
            dependencies,
        };
    }
    let is_rule_file = document
        .root
        .get("groups")
        .and_then(|groups| groups.as_seq())
        .is_some_and(|groups| groups.iter().any(|group| group.get("rules").is_some()));
    if is_rule_file {
        return Facts::PrometheusRules(document.root);
    }
    if gitlab::looks_like_pipeline(&document.root) {
        return Facts::GitlabCi(Box::new(gitlab::Pipeline::from_root(
            document.root,
            &file.path,
        )));
    }
    if let Some(ops) = kubernetes::json_patch_ops(&document.root) {
        return Facts::JsonPatch(ops);
    }
    Facts::None
}

/// Moves the patches out of every kustomization, reading each file of JSON
/// 6902 operations it names. A named file that is missing or contains no
/// operations adds nothing.
fn take_kustomize_patches(artifacts: &mut [Artifact]) -> Vec<kubernetes::Patch> {
    let mut patches = Vec::new();
    for artifact in artifacts.iter_mut() {
        if let Facts::Kustomization(kustomization) = &mut artifact.facts {
            for patch in std::mem::take(&mut kustomization.patches) {
                patches.push((artifact.file.path.clone(), patch));
            }
        }
    }
    let artifacts = &*artifacts;
    patches
        .into_iter()
        .filter_map(|(kustomization, patch)| match patch {
            kubernetes::Patch::JsonFile { target, path } => {
                let path = kubernetes::join_path(&kustomization, &path);
                let index = artifacts
                    .binary_search_by(|artifact| artifact.file.path.as_str().cmp(&path))
                    .ok()?;
                match &artifacts[index].facts {
                    Facts::JsonPatch(ops) => Some(kubernetes::Patch::Json {
                        target,
                        ops: ops.clone(),
                    }),
                    _ => None,
                }
            }
            patch => Some(patch),
        })
        .collect()
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Returns the folder part of a `/`-separated path, empty for a file at the root.
fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The folder that the run's display paths start from.
#[derive(Debug, Default, Clone)]
pub struct WorkingFolder {
    /// The folder's own name, such as `orders`; empty when unknown.
    pub name: String,
    /// The folder relative to the root of its git work tree, `/`-separated,
    /// such as `services/orders`; empty at the root or outside git.
    pub repository_prefix: String,
    /// When the folder is not below a repository's root: the roots of the
    /// repositories below it that the run walks, as display paths.
    pub nested_roots: Vec<String>,
}

impl WorkingFolder {
    /// Returns a display path relative to the root of its repository, so
    /// that it reads the same from any folder: `ecs` run from `app`, the
    /// repository's root, and `app/ecs` run from the folder above it both
    /// give `ecs`. Paths outside any repository stay as they are.
    pub fn repository_path(&self, display_path: &str) -> String {
        if !self.repository_prefix.is_empty() {
            return opslint_core::normalize_path(&format!(
                "{}/{display_path}",
                self.repository_prefix
            ));
        }
        self.nested_roots
            .iter()
            .find_map(|root| {
                if display_path == root {
                    return Some(String::new());
                }
                display_path
                    .strip_prefix(root.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| display_path.to_string())
    }

    /// Returns the name of the folder at the display path `folder`: its last
    /// part, or this folder's own name when `folder` is the working folder
    /// (empty or `.`). `None` when the name is unknown, as for `..`.
    pub fn name_of<'a>(&'a self, folder: &'a str) -> Option<&'a str> {
        match folder.trim_end_matches('/').rsplit('/').next() {
            Some("..") => None,
            Some(name) if !name.is_empty() && name != "." => Some(name),
            _ => Some(self.name.as_str()).filter(|name| !name.is_empty()),
        }
    }
}

/// Records of a repository that lie outside the walked folders: a run on
/// `services/api` reads only that folder, while GitHub reads the
/// repository's CODEOWNERS from its root, and runbooks often sit beside
/// the services. Each entry pairs a walked folder with a file or folder
/// found in the root of the git work tree around it, as display paths.
#[derive(Debug, Default)]
pub struct OutsideRecords {
    pub codeowners: Vec<(String, String)>,
    /// Runbook or playbook files and folders.
    pub runbooks: Vec<(String, String)>,
}

impl OutsideRecords {
    /// Returns a record of `list` that belongs to the walked folder holding
    /// `path`.
    pub fn for_path<'a>(list: &'a [(String, String)], path: &str) -> Option<&'a str> {
        list.iter()
            .find(|(folder, _)| {
                folder == "."
                    || path == folder
                    || path
                        .strip_prefix(folder.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .map(|(_, record)| record.as_str())
    }
}

/// Collects, per image name, the deploy tools that replace its tag.
fn retagged_images(artifacts: &[Artifact]) -> BTreeMap<String, Vec<Retag>> {
    // What each kustomization includes directly, by its folder. Patches are
    // retagged too, because the image transformer runs after them.
    let mut included: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for artifact in artifacts {
        if let Facts::Kustomization(kustomization) = &artifact.facts {
            let folder = artifact
                .file
                .path
                .rsplit_once('/')
                .map_or("", |(folder, _)| folder);
            let entries = kustomization
                .resources
                .iter()
                .chain(&kustomization.patch_files)
                .map(|resource| {
                    opslint_core::normalize_path(&if folder.is_empty() {
                        resource.clone()
                    } else {
                        format!("{folder}/{resource}")
                    })
                });
            included.entry(folder).or_default().extend(entries);
        }
    }
    let mut retagged: BTreeMap<String, Vec<Retag>> = BTreeMap::new();
    for artifact in artifacts {
        match &artifact.facts {
            Facts::Kustomization(kustomization) if !kustomization.image_names.is_empty() => {
                let folder = artifact
                    .file
                    .path
                    .rsplit_once('/')
                    .map_or("", |(folder, _)| folder);
                // A folder resource with a kustomization of its own brings
                // what that one includes, such as a base's files elsewhere.
                let mut scope: Vec<String> = Vec::new();
                let mut pending: Vec<String> = included.get(folder).cloned().unwrap_or_default();
                while let Some(entry) = pending.pop() {
                    if scope.contains(&entry) {
                        continue;
                    }
                    if let Some(nested) = included.get(entry.as_str()) {
                        pending.extend(nested.iter().cloned());
                    }
                    scope.push(entry);
                }
                for name in &kustomization.image_names {
                    retagged
                        .entry(name.clone())
                        .or_default()
                        .push(Retag::Kustomize(scope.clone()));
                }
            }
            Facts::Kubernetes(manifest) => {
                for object in &manifest.objects {
                    for name in object.skaffold_images() {
                        retagged.entry(name).or_default().push(Retag::Skaffold);
                    }
                }
            }
            _ => {}
        }
    }
    retagged
}

/// A deploy tool that replaces an image's tag.
#[derive(Debug, Clone)]
pub enum Retag {
    /// Skaffold tags the images it builds in every manifest it deploys.
    Skaffold,
    /// A kustomization's `images:` entry, which applies to its resources
    /// and patches: files and folders as display paths, a folder standing
    /// for every file below it.
    Kustomize(Vec<String>),
}

/// All artifacts of a run, joined.
#[derive(Debug, Default)]
pub struct Workspace {
    pub artifacts: Vec<Artifact>,
    /// Image names whose tag a deploy tool sets (Kustomize `images:`,
    /// Skaffold artifacts), mapped to the tool's name.
    pub retagged_images: BTreeMap<String, Vec<Retag>>,
    /// Helm charts by folder, with the defaults their templates read.
    pub charts: BTreeMap<String, helm::Chart>,
    /// Terraform variables, locals and module calls, for evaluating
    /// expressions across files.
    pub terraform_index: terraform_eval::TerraformIndex,
    /// Whether the run walked at least one folder. Rules about the whole
    /// repository (no CODEOWNERS, no runbooks) stay quiet when only single
    /// files were given, as a pre-commit hook does.
    pub folders_walked: bool,
    /// Repository records outside the walked folders, for the rules about
    /// the whole repository.
    pub outside: OutsideRecords,
    /// The folder the run's paths are relative to, so that a service whose
    /// folder is that folder gets a name and the same identity from any
    /// folder of the repository.
    pub working_folder: WorkingFolder,
    /// Paths of the Kubernetes files whose objects are Kustomize patches,
    /// sorted, so rules look a patch up without scanning every manifest.
    pub patch_files: Vec<String>,
    /// The kustomizations' inline patches and JSON 6902 patches, moved out
    /// of their facts; patch files of objects are in `patch_files`.
    pub kustomize_patches: Vec<kubernetes::Patch>,
    /// Positions in `artifacts` of each kind of facts the iterators below
    /// yield, so a rule that reads Dockerfiles does not step over twenty
    /// thousand other files to find them.
    by_facts: [Vec<usize>; FACT_KINDS],
    /// The services, grouped on first use: five rules ask for them.
    services: std::sync::OnceLock<Vec<service::Group>>,
    /// The incidents left when twins in other exports count once, kept on
    /// first use because four rules ask for them. Each is the position of
    /// its export artifact and its position in the export.
    distinct_incidents: std::sync::OnceLock<Vec<(usize, usize)>>,
    /// The deploy commands each step of a GitHub job reaches, by the step's
    /// address, found on first use because seven rules ask for them.
    step_deploys: std::sync::OnceLock<std::collections::HashMap<usize, Vec<StepDeploy>>>,
}

/// A deploy command that a GitHub step reaches, with the position of its
/// file in the artifacts, so the workspace can keep it.
#[derive(Debug)]
struct StepDeploy {
    file: usize,
    command: commands::DeployCommand,
    via: Vec<String>,
}

/// The kinds of facts that have an iterator on [`Workspace`].
#[derive(Debug, Clone, Copy)]
enum FactKind {
    Record,
    Kubernetes,
    CloudFormation,
    Terraform,
    GithubWorkflow,
    Code,
    Dockerfile,
    GitlabCi,
    Compose,
}

const FACT_KINDS: usize = 9;

impl FactKind {
    fn of(facts: &Facts) -> Option<Self> {
        Some(match facts {
            Facts::Record(_) => Self::Record,
            Facts::Kubernetes(_) => Self::Kubernetes,
            Facts::CloudFormation(_) => Self::CloudFormation,
            Facts::Terraform(_) => Self::Terraform,
            Facts::GithubWorkflow(_) => Self::GithubWorkflow,
            Facts::Code(_) => Self::Code,
            Facts::Dockerfile(_) => Self::Dockerfile,
            Facts::GitlabCi(_) => Self::GitlabCi,
            Facts::Compose(_) => Self::Compose,
            _ => return None,
        })
    }
}

/// Indexes the modules, variables and calls of the Terraform files.
fn terraform_index(artifacts: &[Artifact]) -> terraform_eval::TerraformIndex {
    let mut index = terraform_eval::TerraformIndex::default();
    for artifact in artifacts {
        match &artifact.facts {
            Facts::Terraform(terraform) => index.add_file(&artifact.file.path, &terraform.body),
            Facts::TerraformVars(body) => index.add_vars_file(&artifact.file.path, body),
            _ => {}
        }
    }
    index
}

impl Workspace {
    /// Builds the model: sorts artifacts by path and marks Kubernetes
    /// documents that a `kustomization.yaml` uses as patches, since a patch
    /// states only what it changes.
    pub fn new(mut artifacts: Vec<Artifact>) -> Self {
        artifacts.sort_by(|a, b| a.file.path.cmp(&b.file.path));
        let patch_paths: HashSet<String> = artifacts
            .iter()
            .filter_map(|artifact| match &artifact.facts {
                Facts::Kustomization(kustomization) => Some(
                    kustomization
                        .patch_files
                        .iter()
                        .map(|patch| kubernetes::join_path(&artifact.file.path, patch))
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        let kustomize_patches = take_kustomize_patches(&mut artifacts);
        let mut patch_files = Vec::new();
        for artifact in &mut artifacts {
            if let Facts::Kubernetes(manifest) = &mut artifact.facts
                && patch_paths.contains(&artifact.file.path)
            {
                patch_files.push(artifact.file.path.clone());
                for object in &mut manifest.objects {
                    object.is_patch = true;
                }
            }
        }
        // The Terraform index reads only Terraform files, which the Helm
        // steps below leave alone, so it is built beside the image and
        // chart indexes.
        let (terraform_index, (retagged_images, charts)) = rayon::join(
            || terraform_index(&artifacts),
            || (retagged_images(&artifacts), collect_charts(&artifacts)),
        );
        drop_disabled_subcharts(&mut artifacts, &charts);
        drop_skipped_template_parts(&mut artifacts, &charts);
        render_helm_names(&mut artifacts, &charts);
        let mut by_facts: [Vec<usize>; FACT_KINDS] = Default::default();
        for (position, artifact) in artifacts.iter().enumerate() {
            if let Some(kind) = FactKind::of(&artifact.facts) {
                by_facts[kind as usize].push(position);
            }
        }
        Self {
            artifacts,
            retagged_images,
            charts,
            terraform_index,
            folders_walked: false,
            outside: OutsideRecords::default(),
            working_folder: WorkingFolder::default(),
            patch_files,
            kustomize_patches,
            by_facts,
            services: std::sync::OnceLock::new(),
            distinct_incidents: std::sync::OnceLock::new(),
            step_deploys: std::sync::OnceLock::new(),
        }
    }

    /// Returns the deploy commands that `step` of a GitHub workflow of the
    /// workspace reaches, as [`automation::step_deploys`] finds them with the
    /// job's default working folder. `None` for a step the workspace does
    /// not hold.
    pub fn github_step_deploys(&self, step: &github::Step) -> Option<Vec<automation::Reached<'_>>> {
        let found = self
            .step_deploys
            .get_or_init(|| self.find_step_deploys())
            .get(&(std::ptr::from_ref(step) as usize))?;
        Some(
            found
                .iter()
                .map(|deploy| automation::Reached {
                    file: &self.artifacts[deploy.file].file,
                    command: std::borrow::Cow::Borrowed(&deploy.command),
                    via: std::borrow::Cow::Borrowed(&deploy.via),
                })
                .collect(),
        )
    }

    fn find_step_deploys(&self) -> std::collections::HashMap<usize, Vec<StepDeploy>> {
        let mut found = std::collections::HashMap::new();
        for (artifact, workflow) in self.github_workflows() {
            let origin = automation::Origin::github(self, &artifact.file.path);
            let workflow_directory = workflow.default_working_directory.as_deref();
            for job in &workflow.jobs {
                let default_directory = job
                    .default_working_directory()
                    .or(workflow_directory)
                    .unwrap_or("");
                for step in &job.steps {
                    let reached =
                        automation::step_deploys(origin, &artifact.file, step, default_directory);
                    // A step whose commands sit in a file the workspace
                    // cannot place is left out and found again when asked.
                    let deploys: Option<Vec<StepDeploy>> = reached
                        .into_iter()
                        .map(|reached| {
                            Some(StepDeploy {
                                file: self.position(&reached.file.path)?,
                                command: reached.command.into_owned(),
                                via: reached.via.into_owned(),
                            })
                        })
                        .collect();
                    if let Some(deploys) = deploys {
                        found.insert(std::ptr::from_ref(step) as usize, deploys);
                    }
                }
            }
        }
        found
    }

    /// Returns the position of the artifact at `path`.
    fn position(&self, path: &str) -> Option<usize> {
        self.artifacts
            .binary_search_by(|artifact| artifact.file.path.as_str().cmp(path))
            .ok()
    }

    /// Returns the artifacts with facts of `kind`, in path order.
    fn of_kind(&self, kind: FactKind) -> impl Iterator<Item = &Artifact> {
        self.by_facts[kind as usize]
            .iter()
            .map(|position| &self.artifacts[*position])
    }

    /// Returns every artifact, in path order. Rules loop with this rather than
    /// over the `artifacts` field, so a panic names the file being checked.
    pub fn all(&self) -> impl Iterator<Item = &Artifact> {
        current::tracked(self.artifacts.iter().map(|artifact| (artifact, ()))).map(|(a, ())| a)
    }

    /// Returns every incident of every export, with the export's artifact.
    pub fn incidents(&self) -> Vec<(&Artifact, &Incident)> {
        self.records()
            .filter_map(|(artifact, record)| match record {
                opslint_records::Record::Incidents(export) => {
                    Some(export.incidents.iter().map(move |i| (artifact, i)))
                }
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Returns the incidents with twins in other exports counted once, worked
    /// out on first use.
    pub fn distinct_incidents(&self) -> Vec<(&Artifact, &Incident)> {
        let positions = self.distinct_incidents.get_or_init(|| {
            let mut all = Vec::new();
            for &at in &self.by_facts[FactKind::Record as usize] {
                if let Facts::Record(record) = &self.artifacts[at].facts
                    && let opslint_records::Record::Incidents(export) = &**record
                {
                    all.extend((0..export.incidents.len()).map(|index| (at, index)));
                }
            }
            let only: Vec<&Incident> = all
                .iter()
                .filter_map(|&position| self.incident_at(position))
                .map(|(_, incident)| incident)
                .collect();
            let distinct: HashSet<*const Incident> = opslint_records::figures::distinct(&only)
                .into_iter()
                .map(std::ptr::from_ref)
                .collect();
            all.into_iter()
                .filter(|&position| {
                    self.incident_at(position).is_some_and(|(_, incident)| {
                        distinct.contains(&std::ptr::from_ref(incident))
                    })
                })
                .collect()
        });
        positions
            .iter()
            .filter_map(|&position| self.incident_at(position))
            .collect()
    }

    /// Returns the incident at `index` of the export at position `at`.
    fn incident_at(&self, (at, index): (usize, usize)) -> Option<(&Artifact, &Incident)> {
        let artifact = self.artifacts.get(at)?;
        match &artifact.facts {
            Facts::Record(record) => match &**record {
                opslint_records::Record::Incidents(export) => {
                    Some((artifact, export.incidents.get(index)?))
                }
                _ => None,
            },
            _ => None,
        }
    }

    pub fn records(&self) -> impl Iterator<Item = (&Artifact, &opslint_records::Record)> {
        current::tracked(
            self.of_kind(FactKind::Record)
                .filter_map(|a| match &a.facts {
                    Facts::Record(r) => Some((a, &**r)),
                    _ => None,
                }),
        )
    }

    /// Renders a templated value of a Helm template from its chart's
    /// defaults (`values.yaml`, `Chart.yaml`). `None` when the value is not
    /// templated, the file is not in a chart, or the value needs more than
    /// the defaults.
    pub fn render_helm(
        &self,
        artifact: &Artifact,
        node: &opslint_syntax::value::Node,
    ) -> Option<helm::Rendered> {
        if artifact.kind != ArtifactKind::HelmTemplate || !node.is_templated() {
            return None;
        }
        let chart = self.charts.get(helm::chart_dir(&artifact.file.path)?)?;
        let raw = artifact.file.text.get(node.span.start..node.span.end)?;
        chart.render(raw)
    }

    /// Returns the text of an image reference: rendered from the chart's
    /// defaults in a Helm template, else the plain string. `None` when the
    /// value is neither.
    pub fn image_text(
        &self,
        artifact: &Artifact,
        node: &opslint_syntax::value::Node,
    ) -> Option<String> {
        match self.render_helm(artifact, node) {
            Some(rendered) => Some(rendered.text),
            None => node.as_str().map(str::to_string),
        }
    }

    pub fn kubernetes(&self) -> impl Iterator<Item = (&Artifact, &kubernetes::Manifest)> {
        current::tracked(
            self.of_kind(FactKind::Kubernetes)
                .filter_map(|a| match &a.facts {
                    Facts::Kubernetes(m) => Some((a, m)),
                    _ => None,
                }),
        )
    }

    pub fn cloudformation(&self) -> impl Iterator<Item = (&Artifact, &cloudformation::Template)> {
        current::tracked(
            self.of_kind(FactKind::CloudFormation)
                .filter_map(|a| match &a.facts {
                    Facts::CloudFormation(t) => Some((a, &**t)),
                    _ => None,
                }),
        )
    }

    pub fn terraform(&self) -> impl Iterator<Item = (&Artifact, &terraform::TerraformFile)> {
        current::tracked(
            self.of_kind(FactKind::Terraform)
                .filter_map(|a| match &a.facts {
                    Facts::Terraform(t) => Some((a, t)),
                    _ => None,
                }),
        )
    }

    pub fn github_workflows(&self) -> impl Iterator<Item = (&Artifact, &github::Workflow)> {
        current::tracked(
            self.of_kind(FactKind::GithubWorkflow)
                .filter_map(|a| match &a.facts {
                    Facts::GithubWorkflow(w) => Some((a, &**w)),
                    _ => None,
                }),
        )
    }

    /// Rust and Python code grouped into the services it runs.
    pub fn services(&self) -> Vec<service::Service<'_>> {
        self.services
            .get_or_init(|| service::group(&self.artifacts))
            .iter()
            .map(|group| group.view(&self.artifacts, &self.working_folder))
            .collect()
    }

    pub fn code(&self) -> impl Iterator<Item = (&Artifact, &service::CodeFile)> {
        current::tracked(self.of_kind(FactKind::Code).filter_map(|a| match &a.facts {
            Facts::Code(c) => Some((a, &**c)),
            _ => None,
        }))
    }

    pub fn dockerfiles(&self) -> impl Iterator<Item = (&Artifact, &dockerfile::Dockerfile)> {
        current::tracked(
            self.of_kind(FactKind::Dockerfile)
                .filter_map(|a| match &a.facts {
                    Facts::Dockerfile(d) => Some((a, d)),
                    _ => None,
                }),
        )
    }

    pub fn gitlab_pipelines(&self) -> impl Iterator<Item = (&Artifact, &gitlab::Pipeline)> {
        current::tracked(
            self.of_kind(FactKind::GitlabCi)
                .filter_map(|a| match &a.facts {
                    Facts::GitlabCi(p) => Some((a, &**p)),
                    _ => None,
                }),
        )
    }

    /// Returns the name of the deploy tool that replaces the tag of image
    /// `name` in the manifest at `path`, if one does. Skaffold retags the
    /// images it builds everywhere, and Kustomize `images:` only in the
    /// files its kustomization includes.
    pub fn retagged(&self, name: &str, path: &str) -> Option<&'static str> {
        self.retagged_images
            .get(name)?
            .iter()
            .find_map(|retag| match retag {
                Retag::Skaffold => Some("Skaffold"),
                Retag::Kustomize(resources) => resources
                    .iter()
                    .any(|resource| {
                        path == resource
                            || path
                                .strip_prefix(resource.as_str())
                                .is_some_and(|rest| rest.starts_with('/'))
                    })
                    .then_some("Kustomize `images:`"),
            })
    }

    /// Finds the artifact whose display path is `path`.
    pub fn artifact(&self, path: &str) -> Option<&Artifact> {
        self.artifacts
            .binary_search_by(|artifact| artifact.file.path.as_str().cmp(path))
            .ok()
            .map(|index| &self.artifacts[index])
    }

    /// Groups the compose files by folder, in path order: the files that
    /// [`compose::compose_stacks`] joins into stacks.
    pub fn compose_folders(&self) -> BTreeMap<&str, Vec<(&Artifact, &compose::ComposeFile)>> {
        let mut folders: BTreeMap<&str, Vec<_>> = BTreeMap::new();
        for (artifact, file) in self.compose() {
            folders
                .entry(parent_dir(&artifact.file.path))
                .or_default()
                .push((artifact, file));
        }
        folders
    }

    pub fn compose(&self) -> impl Iterator<Item = (&Artifact, &compose::ComposeFile)> {
        current::tracked(
            self.of_kind(FactKind::Compose)
                .filter_map(|a| match &a.facts {
                    Facts::Compose(c) => Some((a, c)),
                    _ => None,
                }),
        )
    }
}

/// Joins each chart's `values.yaml` and `Chart.yaml`, and gives each
/// subchart the section of its parent's `values.yaml` that overrides it.
/// Other values files (`values-prod.yaml`) are what one install passes, not
/// the defaults.
fn collect_charts(artifacts: &[Artifact]) -> BTreeMap<String, helm::Chart> {
    let mut charts: BTreeMap<String, helm::Chart> = BTreeMap::new();
    for artifact in artifacts {
        let dir = parent_dir(&artifact.file.path).to_string();
        match &artifact.facts {
            Facts::HelmValues(root)
                if matches!(file_name(&artifact.file.path), "values.yaml" | "values.yml") =>
            {
                let chart = charts.entry(dir).or_default();
                chart.values = Some(root.clone());
                chart.values_path = Some(artifact.file.path.clone());
            }
            Facts::HelmHelpers(defines) => {
                // Helpers sit in the chart's `templates` folder.
                if let Some(chart) = helm::chart_dir(&artifact.file.path) {
                    charts
                        .entry(chart.to_string())
                        .or_default()
                        .defines
                        .extend(defines.iter().cloned());
                }
            }
            Facts::HelmChart {
                name, app_version, ..
            } => {
                let chart = charts.entry(dir).or_default();
                chart.name = name.clone();
                chart.app_version = app_version.clone();
                chart.chart_path = Some(artifact.file.path.clone());
            }
            _ => {}
        }
    }
    let subcharts: Vec<(String, String, String)> = charts
        .keys()
        .filter_map(|dir| {
            let (parent, name) = dir.rsplit_once("/charts/")?;
            Some((dir.clone(), parent.to_string(), name.to_string()))
        })
        .collect();
    for (dir, parent, name) in subcharts {
        let parent = charts.get(&parent);
        let overrides = parent
            .and_then(|chart| chart.values.as_ref())
            .and_then(|values| values.get(&name))
            .cloned();
        let parent_values_path = parent.and_then(|chart| chart.values_path.clone());
        if let Some(chart) = charts.get_mut(&dir) {
            chart.parent_values = overrides;
            chart.parent_values_path = parent_values_path;
        }
    }
    charts
}

/// Empties the objects of the templates of subcharts that a `condition`
/// in the parent's `Chart.yaml` turns off with the parent's defaults
/// (`condition: worker.enabled` and `worker.enabled: false`): a default
/// install renders none of them, so no rule should judge them.
fn drop_disabled_subcharts(artifacts: &mut [Artifact], charts: &BTreeMap<String, helm::Chart>) {
    let mut disabled: Vec<String> = Vec::new();
    for artifact in artifacts.iter() {
        let Facts::HelmChart { dependencies, .. } = &artifact.facts else {
            continue;
        };
        let dir = parent_dir(&artifact.file.path);
        let values = charts.get(dir).and_then(|chart| chart.values.as_ref());
        for dependency in dependencies {
            let Some(name) = dependency.get("name").and_then(|node| node.as_str()) else {
                continue;
            };
            if !helm::dependency_enabled(dependency, values) {
                disabled.push(if dir.is_empty() {
                    format!("charts/{name}/")
                } else {
                    format!("{dir}/charts/{name}/")
                });
            }
        }
    }
    if disabled.is_empty() {
        return;
    }
    for artifact in artifacts.iter_mut() {
        if artifact.kind == ArtifactKind::HelmTemplate
            && disabled
                .iter()
                .any(|folder| artifact.file.path.starts_with(folder.as_str()))
            && let Facts::Kubernetes(manifest) = &mut artifact.facts
        {
            manifest.objects.clear();
        }
    }
}

/// Removes the containers of Helm templates that sit inside an
/// `{{ if .Values.x }}` block that the chart defaults turn off, such as an
/// optional sidecar, so that no rule judges what a default install does not
/// render.
fn drop_skipped_template_parts(artifacts: &mut [Artifact], charts: &BTreeMap<String, helm::Chart>) {
    // Templates are rendered one by one, on the pool's threads.
    artifacts.par_iter_mut().for_each(|artifact| {
        let text = &artifact.file.text;
        if artifact.kind != ArtifactKind::HelmTemplate
            || !(text.contains("if") || text.contains("with") || text.contains("toYaml"))
        {
            return;
        }
        let Some(chart) = helm::chart_dir(&artifact.file.path).and_then(|dir| charts.get(dir))
        else {
            return;
        };
        let skipped = chart.skipped_ranges(&artifact.file.text);
        let rendered = chart.rendered_with_ranges(&artifact.file.text);
        let Facts::Kubernetes(manifest) = &mut artifact.facts else {
            return;
        };
        // Whole objects stay, because `single-replica-workload` questions a
        // chart's autoscaler that values turn off by default.
        for object in &mut manifest.objects {
            object.drop_containers_in(&skipped);
            object.mark_rendered_keys(&rendered, &artifact.file.text, |body| {
                chart.writes_values(body)
            });
        }
    });
}

/// Renders templated object names of Helm templates from the chart defaults
/// (`{{ .Values.frontend.name }}` becomes `frontend`), so that messages and
/// references between objects use the name a default install gets.
fn render_helm_names(artifacts: &mut [Artifact], charts: &BTreeMap<String, helm::Chart>) {
    artifacts.par_iter_mut().for_each(|artifact| {
        if artifact.kind != ArtifactKind::HelmTemplate {
            return;
        }
        let Some(chart) = helm::chart_dir(&artifact.file.path).and_then(|dir| charts.get(dir))
        else {
            return;
        };
        let Facts::Kubernetes(manifest) = &mut artifact.facts else {
            return;
        };
        for object in &mut manifest.objects {
            let rendered = object
                .name
                .as_deref()
                .filter(|name| name.contains("{{"))
                .and_then(|name| chart.render(name));
            if let Some(rendered) = rendered {
                object.name = Some(rendered.text);
            }
            object.render_container_names(&artifact.file.text, |raw| {
                chart.render(raw).map(|rendered| rendered.text)
            });
        }
    });
}
