//! Finds the files that lie outside the checked paths and settle findings
//! inside them. They are the repository's records for the rules about the
//! whole repository (see [`OutsideRecords`]), the context files of a run on
//! named files, and the local Terraform modules that a checked folder calls.

use std::path::{Path, PathBuf};

use opslint_model::OutsideRecords;
use opslint_syntax::discover::{FoundFile, display_path};

/// Looks, for each walked folder inside a git work tree whose root lies
/// above it, at that root for a CODEOWNERS file and for runbooks: entries
/// of the root and of its `docs/` folder whose names contain `runbook` or
/// `playbook`. Only those few places are read, so a run on one service of
/// a large repository stays cheap. Runbooks deeper in the repository are
/// not found.
pub fn find(paths: &[PathBuf], working_folder: &Path) -> OutsideRecords {
    let mut records = OutsideRecords::default();
    for path in paths.iter().filter(|path| path.is_dir()) {
        let Ok(folder) = path.canonicalize() else {
            continue;
        };
        let Some(top) = git_root(&folder) else {
            continue;
        };
        if top == folder {
            continue;
        }
        let walked = display_path(path, working_folder);
        if let Some(owners) = opslint_records::codeowners::LOCATIONS
            .iter()
            .map(|place| top.join(place))
            .find(|candidate| candidate.is_file())
        {
            records
                .codeowners
                .push((walked.clone(), display_path(&owners, working_folder)));
        }
        if let Some(runbook) = [top.to_path_buf(), top.join("docs")]
            .iter()
            .find_map(|dir| runbook_entry(dir))
        {
            records
                .runbooks
                .push((walked, display_path(&runbook, working_folder)));
        }
    }
    records
}

/// Deploy-tool files that set image tags for the manifests below them.
const TAGGING_FILES: [&str; 4] = [
    "skaffold.yaml",
    "skaffold.yml",
    "kustomization.yaml",
    "kustomization.yml",
];

/// Main compose files and the override files that `docker compose up`
/// merges over them: every compose file of a folder is judged in a stack
/// with them.
const STACK_COMPOSE_FILES: [&str; 8] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// Finds, for a run on named files, the few files outside the run that can
/// clear a finding in them. A Skaffold or Kustomize file in a folder above a
/// named YAML file, up to the git work tree's root (else the working
/// folder), sets the tags of its images. The main and override compose
/// files beside a named compose file make the stacks it is judged in. A
/// named Terraform file is judged with the rest of its module folder, its
/// variables files, the local modules it calls and their other callers. A
/// named chart file brings its chart, a named GitLab file its pipeline, and
/// a named CI file the scripts and actions its steps run. The run reads
/// them as context and reports nothing in them, except findings whose
/// message names a named file, such as the variables file that set a value.
pub fn context_files(named: &[FoundFile], working_folder: &Path) -> Vec<FoundFile> {
    let mut found: Vec<PathBuf> = Vec::new();
    for file in named {
        let name = file
            .disk_path
            .file_name()
            .map(|name| name.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if is_terraform_name(&name) {
            if let Some(folder) = file
                .disk_path
                .canonicalize()
                .ok()
                .and_then(|path| path.parent().map(Path::to_path_buf))
            {
                let stop = search_root(&folder, working_folder);
                found.extend(terraform_module_files(&folder, stop.as_deref()));
            }
            continue;
        }
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        let Some(folder) = file
            .disk_path
            .canonicalize()
            .ok()
            .and_then(|path| path.parent().map(Path::to_path_buf))
        else {
            continue;
        };
        if name.contains("compose") {
            found.extend(
                STACK_COMPOSE_FILES
                    .iter()
                    .map(|main| folder.join(main))
                    .filter(|candidate| candidate.is_file()),
            );
        } else if let Some(chart) = helm_chart_files(&folder) {
            // A template renders from the chart's defaults, and the values
            // file decides what the templates render.
            found.extend(chart);
        } else if let Some(pipeline) = gitlab_pipeline_files(&folder, &name, working_folder) {
            // A GitLab pipeline is judged whole: templates that jobs extend
            // sit in included files, and jobs that use a template sit in the
            // root file.
            found.extend(pipeline);
        } else if folder.ends_with(".github/workflows") {
            // The callers of a reusable workflow sit beside it and set its
            // concurrency and environment.
            found.extend(yaml_files_in(&folder));
        } else if name.contains("hpa") || name.contains("autoscal") {
            // A named autoscaler is judged with the workloads it scales,
            // which usually sit beside it.
            found.extend(yaml_files_in(&folder));
        } else {
            found.extend(autoscaler_siblings(&folder));
            found.extend(kustomize_overlays(&folder));
        }
        if folder.ends_with(".github/workflows") || name.contains("gitlab-ci") {
            found.extend(ci_local_files(&file.disk_path, &folder, working_folder));
        }
        let stop = search_root(&folder, working_folder);
        for dir in folder.ancestors() {
            found.extend(
                TAGGING_FILES
                    .iter()
                    .map(|tagging| dir.join(tagging))
                    .filter(|candidate| candidate.is_file()),
            );
            if stop.as_deref().is_none_or(|stop| dir == stop) {
                break;
            }
        }
    }
    found.sort();
    found.dedup();
    found
        .into_iter()
        .map(|path| FoundFile {
            display_path: display_path(&path, working_folder),
            disk_path: path,
        })
        .filter(|context| {
            !named
                .iter()
                .any(|file| file.display_path == context.display_path)
        })
        .collect()
}

/// Files whose folder is a Rust or a Python project's, as the service
/// grouping finds projects.
pub const RUST_PROJECT_FILES: [&str; 2] = ["Cargo.toml", "Dockerfile"];
pub const PYTHON_PROJECT_FILES: [&str; 4] = [
    "pyproject.toml",
    "requirements.txt",
    "setup.py",
    "Dockerfile",
];

/// Returns the nearest folder above `folder` that has one of `names`, with
/// the name found, up to the git work tree's root (else the working folder).
pub fn enclosing_project(
    folder: &Path,
    working_folder: &Path,
    names: &[&'static str],
) -> Option<(PathBuf, &'static str)> {
    let folder = folder.canonicalize().ok()?;
    let top = search_root(&folder, working_folder)?;
    folder
        .ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(&top))
        .find_map(|dir| {
            let name = names.iter().find(|name| dir.join(name).is_file())?;
            Some((dir.to_path_buf(), *name))
        })
}

/// Returns the highest folder that context files are looked for in: the git
/// work tree's root around `folder`, else the working folder.
fn search_root(folder: &Path, working_folder: &Path) -> Option<PathBuf> {
    git_root(folder)
        .map(Path::to_path_buf)
        .or_else(|| working_folder.canonicalize().ok())
}

/// Returns the files of the Helm chart that a named YAML file in `folder`
/// belongs to: its `Chart.yaml`, `values.yaml` and every YAML and `.tpl`
/// file under its `templates` folder. `None` when `folder` is neither a
/// chart's folder nor inside its `templates`.
fn helm_chart_files(folder: &Path) -> Option<Vec<PathBuf>> {
    let is_chart = |dir: &Path| dir.join("Chart.yaml").is_file();
    let chart = if is_chart(folder) {
        folder
    } else {
        folder
            .ancestors()
            .find(|dir| dir.file_name().is_some_and(|name| name == "templates"))
            .and_then(Path::parent)
            .filter(|dir| is_chart(dir))?
    };
    let mut files: Vec<PathBuf> = ["Chart.yaml", "values.yaml", "values.yml"]
        .iter()
        .map(|name| chart.join(name))
        .filter(|path| path.is_file())
        .collect();
    let mut folders = vec![chart.join("templates")];
    while let Some(dir) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.flatten().map(|entry| entry.path()) {
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|extension| {
                extension == "yaml" || extension == "yml" || extension == "tpl"
            }) {
                files.push(path);
            }
        }
    }
    Some(files)
}

/// Returns the local files that the steps of a CI file run or use: shell
/// scripts named in its text (`./scripts/deploy.sh`, `bash ci/release.sh`),
/// the `Makefile` beside the repository's root when a step runs `make`,
/// and composite actions (`uses: ./.github/actions/deploy`). Their deploy
/// commands count for the CI file's jobs. Paths are taken from the
/// repository's root, else the working folder, and from the CI file's
/// folder.
fn ci_local_files(path: &Path, folder: &Path, working_folder: &Path) -> Vec<PathBuf> {
    #[expect(
        clippy::expect_used,
        reason = "the pattern is a constant, and the tests of named CI files compile it"
    )]
    static SCRIPT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?:^|[\s'\x22=(])\.?/?((?:[\w.-]+/)*[\w.-]+\.sh)\b")
            .expect("valid pattern")
    });
    #[expect(
        clippy::expect_used,
        reason = "the pattern is a constant, and the tests of named CI files compile it"
    )]
    static ACTION: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"uses:\s*['\x22]?\./([\w./-]+)").expect("valid pattern")
    });

    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let bases: Vec<PathBuf> = git_root(folder)
        .map(Path::to_path_buf)
        .into_iter()
        .chain(working_folder.canonicalize().ok())
        .chain(std::iter::once(folder.to_path_buf()))
        .collect();
    let mut files = Vec::new();
    let mut add = |relative: &str| {
        if let Some(found) = bases
            .iter()
            .map(|base| base.join(relative))
            .find(|candidate| candidate.is_file())
            && !files.contains(&found)
        {
            files.push(found);
        }
    };

    for script in SCRIPT.captures_iter(&text) {
        add(&script[1]);
    }
    for action in ACTION.captures_iter(&text) {
        for name in ["action.yml", "action.yaml"] {
            add(&format!("{}/{name}", action[1].trim_end_matches('/')));
        }
    }
    if text.contains("make ") {
        add("Makefile");
    }
    files
}

/// Most files of a GitLab pipeline read for a named file.
const MAX_PIPELINE_FILES: usize = 64;

/// Returns the files of the GitLab pipeline that a named YAML file belongs
/// to: the `.gitlab-ci.yml` at the root of the repository, else in the
/// working folder, and the local files it includes, followed to any depth.
/// `None` when the named file is neither that file nor one of those.
fn gitlab_pipeline_files(folder: &Path, name: &str, working_folder: &Path) -> Option<Vec<PathBuf>> {
    let root = git_root(folder)
        .map(Path::to_path_buf)
        .into_iter()
        .chain(working_folder.canonicalize().ok())
        .find(|root| root.join(".gitlab-ci.yml").is_file())?;
    let main = root.join(".gitlab-ci.yml");
    let mut files = vec![main];
    let mut next = 0;
    while next < files.len() && files.len() < MAX_PIPELINE_FILES {
        let text = std::fs::read_to_string(&files[next]).unwrap_or_default();
        next += 1;
        for include in gitlab_local_includes(&text) {
            let path = root.join(include.trim_start_matches('/'));
            if path.is_file() && !files.contains(&path) {
                files.push(path);
            }
        }
    }
    let belongs = files.iter().any(|file| {
        file.parent() == Some(folder)
            && file
                .file_name()
                .is_some_and(|file_name| file_name.to_string_lossy().eq_ignore_ascii_case(name))
    });
    belongs.then_some(files)
}

/// Returns the paths of the local files that GitLab CI text includes, in
/// the forms `include: ci/a.yml`, a list of paths under `include:`, and
/// `local: ci/a.yml` (also inside `trigger:` for child pipelines). Remote,
/// project and template includes, and paths with wildcards, are left out.
fn gitlab_local_includes(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    // The indentation of an `include:` key without a value, whose list
    // items follow.
    let mut include_indent: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if include_indent.is_some_and(|at| indent <= at && !trimmed.starts_with('-')) {
            include_indent = None;
        }
        let entry = trimmed.strip_prefix("- ").map_or(trimmed, str::trim_start);
        let value = if let Some(value) = entry.strip_prefix("include:") {
            if value.trim().is_empty() {
                include_indent = Some(indent);
                continue;
            }
            value
        } else if let Some(value) = entry.strip_prefix("local:") {
            value
        } else if include_indent.is_some() && trimmed.starts_with('-') && !entry.contains(':') {
            entry
        } else {
            continue;
        };
        let path = value.trim().trim_matches(['\'', '"']);
        if (path.ends_with(".yml") || path.ends_with(".yaml")) && !path.contains(['*', '$']) {
            paths.push(path.to_string());
        }
    }
    paths
}

/// Returns the Terraform files of the local modules that the Terraform
/// artifacts call and that are not among them, such as `../../modules/db`
/// called from a checked `live/prod`. Their display paths are the calls'
/// paths joined, so that the model links each call to its module.
pub fn missing_terraform_modules(
    artifacts: &[opslint_model::Artifact],
    working_folder: &Path,
) -> Vec<FoundFile> {
    // The artifacts are in path order, so a folder's files are found by a
    // binary search.
    let has_module = |folder: &str| {
        let prefix = format!("{folder}/");
        let start =
            artifacts.partition_point(|artifact| artifact.file.path.as_str() < prefix.as_str());
        artifacts[start..]
            .iter()
            .take_while(|artifact| artifact.file.path.starts_with(&prefix))
            .any(|artifact| {
                artifact.kind == opslint_core::ArtifactKind::Terraform
                    && !artifact.file.path[prefix.len()..].contains('/')
            })
    };
    let mut missing: Vec<String> = Vec::new();
    for artifact in artifacts {
        let opslint_model::Facts::Terraform(terraform) = &artifact.facts else {
            continue;
        };
        for block in terraform.body.blocks("module") {
            let Some(source) = block.body.attribute("source").and_then(|a| a.expr.as_str()) else {
                continue;
            };
            if !opslint_model::terraform_eval::is_local_source(source) {
                continue;
            }
            let folder = opslint_model::kubernetes::join_path(
                &artifact.file.path,
                source.trim_end_matches('/'),
            );
            if !missing.contains(&folder) && !has_module(&folder) {
                missing.push(folder);
            }
        }
    }
    let mut found = Vec::new();
    for folder in missing {
        let Ok(entries) = std::fs::read_dir(working_folder.join(&folder)) else {
            continue;
        };
        for path in entries.flatten().map(|entry| entry.path()) {
            let Some(name) = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
            else {
                continue;
            };
            if is_terraform_name(&name.to_ascii_lowercase()) && path.is_file() {
                found.push(FoundFile {
                    display_path: if folder.is_empty() {
                        name
                    } else {
                        format!("{folder}/{name}")
                    },
                    disk_path: path,
                });
            }
        }
    }
    found.sort_by(|a, b| a.display_path.cmp(&b.display_path));
    found
}

/// Tells whether a lower-case file name is Terraform code or a variables
/// file.
fn is_terraform_name(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".tfvars.json")
}

/// Most folders of local modules followed from one named Terraform file, so
/// that a hook stays quick in a repository whose modules call each other
/// widely.
const MAX_MODULE_FOLDERS: usize = 64;

/// Returns the Terraform files of the module in `folder`, of the local
/// modules it calls (`source = "../modules/service"`), followed to any
/// depth, and of the other modules that call those. Terraform reads a
/// folder as one module with its variables files, so a value set in
/// `staging.auto.tfvars` is judged where `main.tf` passes it to a module.
/// A finding in a shared module sits at each call when the calls pass
/// different values. Every call must be seen for the finding to sit where a
/// run on the whole repository puts it. The callers are looked for in the
/// smallest folder that contains `folder` and the modules, never above
/// `stop`. When `folder` is inside a `modules` folder, its own callers are
/// looked for too, in the folder that contains `modules`.
fn terraform_module_files(folder: &Path, stop: Option<&Path>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut folders = vec![folder.to_path_buf()];
    let mut modules = Vec::new();
    while let Some(current) = folders.pop() {
        if seen.len() >= MAX_MODULE_FOLDERS || !seen.insert(current.clone()) {
            continue;
        }
        for (path, sources) in terraform_files_in(&current) {
            for module in sources {
                if !modules.contains(&module) && module != folder {
                    modules.push(module.clone());
                }
                folders.push(module);
            }
            files.push(path);
        }
    }
    // A named file in a `modules` folder belongs to a shared module, whose
    // callers decide its inputs.
    let shared_module_root = folder
        .ancestors()
        .skip(1)
        .find(|dir| dir.file_name().is_some_and(|name| name == "modules"))
        .and_then(Path::parent);
    if shared_module_root.is_some() {
        modules.push(folder.to_path_buf());
    }
    if modules.is_empty() {
        return files;
    }

    // The smallest folder that contains the named one and every module.
    let mut root = shared_module_root.unwrap_or(folder).to_path_buf();
    for module in &modules {
        while !module.starts_with(&root) {
            let Some(parent) = root.parent() else { break };
            root = parent.to_path_buf();
        }
    }
    if let Some(stop) = stop
        && !root.starts_with(stop)
    {
        return files;
    }

    let walked = opslint_syntax::discover::discover(std::slice::from_ref(&root), &root);
    for found in walked.files {
        let path = found.disk_path;
        let Some(caller) = path.parent() else {
            continue;
        };
        if !path.to_string_lossy().ends_with(".tf")
            || seen.contains(caller)
            || seen.len() >= MAX_MODULE_FOLDERS
        {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if local_sources(&text, caller).any(|module| modules.contains(&module)) {
            seen.insert(caller.to_path_buf());
            files.extend(terraform_files_in(caller).into_iter().map(|(path, _)| path));
        }
    }
    files
}

/// Returns the Terraform and variables files directly in `folder`, each
/// `.tf` file with the folders of the local modules it calls.
fn terraform_files_in(folder: &Path) -> Vec<(PathBuf, Vec<PathBuf>)> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for path in entries.flatten().map(|entry| entry.path()) {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if !is_terraform_name(&name) || !path.is_file() {
            continue;
        }
        let sources = if name.ends_with(".tf") {
            std::fs::read_to_string(&path)
                .map(|text| local_sources(&text, folder).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        files.push((path, sources));
    }
    files
}

/// Returns the folders of the local modules that the Terraform `text` of a
/// file in `folder` calls, resolved on disk.
fn local_sources<'t>(text: &'t str, folder: &'t Path) -> impl Iterator<Item = PathBuf> + 't {
    #[expect(
        clippy::expect_used,
        reason = "the pattern is a constant, and the tests of named Terraform files compile it"
    )]
    static LOCAL_SOURCE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?m)^\s*source\s*=\s*"(\.\.?/[^"]*)""#).expect("valid pattern")
    });
    LOCAL_SOURCE
        .captures_iter(text)
        .filter_map(move |source| folder.join(&source[1]).canonicalize().ok())
}

/// Returns the YAML files directly in `folder`, in no particular order.
fn yaml_files_in(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.is_file()
                && path
                    .extension()
                    .is_some_and(|extension| extension == "yaml" || extension == "yml")
        })
        .collect()
}

/// Returns the YAML files beside a manifest whose names show an autoscaler
/// (`hpa.yaml`, `web-autoscaler.yml`), which decides its replica count.
/// Other files of the folder are not read, so that a hook on a few files
/// stays fast in a folder of hundreds of manifests.
fn autoscaler_siblings(folder: &Path) -> Vec<PathBuf> {
    yaml_files_in(folder)
        .into_iter()
        .filter(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            name.contains("hpa") || name.contains("autoscal")
        })
        .collect()
}

/// Returns the files of the Kustomize overlays of a base. When `folder`
/// contains a kustomization, they are the YAML files of every folder
/// `overlays/*` beside it or beside its parent (`app/base` with
/// `app/overlays/prod`) that contains one too, patches included. Overlays
/// patch probes, replica counts and image tags of the base's manifests.
fn kustomize_overlays(folder: &Path) -> Vec<PathBuf> {
    let is_kustomization_folder = |dir: &Path| {
        ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .any(|name| dir.join(name).is_file())
    };
    if !is_kustomization_folder(folder) {
        return Vec::new();
    }
    let mut files = Vec::new();
    for parent in folder.ancestors().skip(1).take(2) {
        let Ok(overlays) = std::fs::read_dir(parent.join("overlays")) else {
            continue;
        };
        for overlay in overlays.flatten().map(|entry| entry.path()) {
            if overlay.is_dir() && is_kustomization_folder(&overlay) {
                files.extend(yaml_files_in(&overlay));
            }
        }
    }
    files
}

/// Returns the usual ADR folders (`docs/adr` and the like) at the root of
/// the git work tree around each walked subfolder, as display paths. A
/// run on one service of a repository reads the team's decisions there.
pub fn repository_adr_folders(paths: &[PathBuf], working_folder: &Path) -> Vec<String> {
    at_repository_roots(
        paths,
        working_folder,
        &opslint_records::adr::ADR_FOLDERS,
        Path::is_dir,
    )
}

/// Returns the CODEOWNERS files at the root of the git work tree around
/// each walked subfolder, as display paths. Their patterns are written from
/// that root, so a run on one folder needs them to tell who owns its files.
pub fn repository_codeowners(paths: &[PathBuf], working_folder: &Path) -> Vec<String> {
    at_repository_roots(
        paths,
        working_folder,
        &opslint_records::codeowners::LOCATIONS,
        Path::is_file,
    )
}

/// Returns the display paths of `names` under the root of the git work
/// tree around each walked subfolder that `exists` accepts, once each.
/// Walked folders that are a root themselves are left out, since the walk
/// reads them already.
fn at_repository_roots(
    paths: &[PathBuf],
    working_folder: &Path,
    names: &[&str],
    exists: fn(&Path) -> bool,
) -> Vec<String> {
    let mut found = Vec::new();
    for path in paths.iter().filter(|path| path.is_dir()) {
        let Ok(folder) = path.canonicalize() else {
            continue;
        };
        let Some(top) = git_root(&folder) else {
            continue;
        };
        if top == folder {
            continue;
        }
        for name in names {
            let candidate = top.join(name);
            let display = display_path(&candidate, working_folder);
            if exists(&candidate) && !found.contains(&display) {
                found.push(display);
            }
        }
    }
    found
}

/// Returns whether `path` is a folder that is the root of a git work tree,
/// or lies in none, so that a run on it covers a whole repository.
pub fn is_repository_root(path: &Path) -> bool {
    let Ok(folder) = path.canonicalize() else {
        return false;
    };
    folder.is_dir() && git_root(&folder).is_none_or(|top| top == folder)
}

/// Returns the root of the git work tree that holds `folder`, which has
/// been canonicalized: the nearest folder with a `.git` entry.
fn git_root(folder: &Path) -> Option<&Path> {
    folder.ancestors().find(|dir| dir.join(".git").exists())
}

/// Returns the first entry of `dir`, in name order, that names a runbook
/// or playbook and is a folder or a Markdown file.
fn runbook_entry(dir: &Path) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            (name.contains("runbook") || name.contains("playbook"))
                && (path.is_dir() || name.ends_with(".md") || name.ends_with(".markdown"))
        })
        .collect();
    entries.sort();
    entries.into_iter().next()
}

/// The git repository around the working folder, or the repositories below
/// it that the walked paths lie in, for paths that do not depend on the
/// folder opslint runs in.
pub struct RepositoryRoot {
    /// The root of the repository around the working folder, with links
    /// resolved; `None` when the working folder is not below a repository's
    /// root.
    top: Option<PathBuf>,
    /// The working folder relative to `top`, `/`-separated.
    prefix: String,
    /// When the working folder is outside any repository, or at a root
    /// above other repositories: the roots of the repositories that walked
    /// paths lie in, as display paths such as `app`.
    nested: Vec<String>,
}

impl RepositoryRoot {
    /// Finds the repository around `working_folder`, else the repositories
    /// below it that hold the walked `paths`. `None` when output paths are
    /// already relative to the repository's root.
    pub fn find(working_folder: &Path, paths: &[PathBuf]) -> Option<Self> {
        let folder = working_folder.canonicalize().ok()?;
        if let Some(top) = git_root(&folder)
            && let Ok(relative) = folder.strip_prefix(top)
            && !relative.as_os_str().is_empty()
        {
            let prefix = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            return Some(Self {
                top: Some(top.to_path_buf()),
                prefix,
                nested: Vec::new(),
            });
        }
        let mut nested: Vec<String> = paths
            .iter()
            .filter_map(|path| folder.join(path).canonicalize().ok())
            .filter_map(|path| {
                let top = git_root(&path)?;
                (top != folder && top.starts_with(&folder)).then(|| display_path(top, &folder))
            })
            .collect();
        nested.sort();
        nested.dedup();
        (!nested.is_empty()).then_some(Self {
            top: None,
            prefix: String::new(),
            nested,
        })
    }

    /// Returns the working folder relative to the repository's root,
    /// `/`-separated; empty when it is not below a repository's root.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Returns the roots of the repositories below the working folder that
    /// the walked paths lie in, as display paths.
    pub fn nested(&self) -> &[String] {
        &self.nested
    }

    /// Returns the repository-relative form of a path as output shows it,
    /// which is relative to the working folder, or absolute when the file
    /// lies outside it.
    pub fn path_of(&self, display_path: &str) -> Option<String> {
        if Path::new(display_path).is_absolute() {
            let relative = Path::new(display_path)
                .strip_prefix(self.top.as_ref()?)
                .ok()?;
            return Some(relative.to_string_lossy().replace('\\', "/"));
        }
        if self.top.is_none() {
            return self.nested.iter().find_map(|root| {
                display_path
                    .strip_prefix(root.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
                    .map(str::to_string)
            });
        }
        Some(opslint_core::normalize_path(&format!(
            "{}/{display_path}",
            self.prefix
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::gitlab_local_includes;

    #[test]
    fn gitlab_includes_in_every_local_form() {
        let text = "include:\n  - local: /ci/a.yml\n  - 'ci/b.yml'\n  - remote: https://x.example/y.yml\n  - project: group/templates\n    file: /deploy.yml\n  - local: ci/*.yml\nstages: [a]\njob:\n  script: [make]\nchild:\n  trigger:\n    include: ci/child.yml\n";
        assert_eq!(
            gitlab_local_includes(text),
            ["/ci/a.yml", "ci/b.yml", "ci/child.yml"]
        );
        assert_eq!(
            gitlab_local_includes("include: \"ci/one.yaml\"\n"),
            ["ci/one.yaml"]
        );
    }
}
