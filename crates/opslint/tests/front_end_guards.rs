//! Guards run on every front end: a line of a million characters and input
//! nested thousands of levels deep must give a result (findings or a
//! `parse-error`), never a crash, a hang or an empty output. A path that
//! cannot be read is an `io-error` with exit code 2.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

/// Files of each front end, as (name, path in the repository, text).
type Case = (&'static str, &'static str, String);

const LONG: usize = 1_000_000;
const DEEP: usize = 5_000;

fn temp_dir(name: &str) -> common::TempFolder {
    common::TempFolder::new(&format!("guard-{name}"))
}

/// Runs `opslint check . --format json` in `dir` and returns the exit code,
/// the parsed output and stderr.
fn check(dir: &Path) -> (Option<i32>, Option<Value>, String) {
    let output = Command::cargo_bin("opslint")
        .expect("the opslint binary is built")
        .current_dir(dir)
        .args(["check", ".", "--format", "json"])
        .output()
        .expect("opslint runs");
    let json = serde_json::from_slice(&output.stdout).ok();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), json, stderr)
}

/// Writes each case into its own folder, runs opslint on it and returns one
/// line per case that crashed, hung or printed no JSON.
fn failures(label: &str, cases: Vec<Case>) -> Vec<String> {
    let mut failed = Vec::new();
    for (name, path, text) in cases {
        let dir = temp_dir(&format!("{label}-{name}"));
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().expect("a file path has a parent"))
            .expect("folder can be created");
        std::fs::write(&file, text).expect("file can be written");
        if name == "rust" {
            std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"app\"\n")
                .expect("manifest can be written");
        }

        let started = Instant::now();
        let (code, json, stderr) = check(&dir);
        let elapsed = started.elapsed();

        eprintln!("{label} {name}: {elapsed:?}");
        // Generous for a loaded machine with a debug build.
        if elapsed > Duration::from_secs(60) {
            failed.push(format!("{name}: took {elapsed:?}"));
        }
        // An invalid configuration stops the run before any file is read,
        // with exit code 2 and the file and line in the message.
        if name == "config" && code == Some(2) {
            if !stderr.starts_with("error: invalid configuration in ") {
                failed.push(format!("{name}: unclear error: {stderr}"));
            }
            continue;
        }
        if !matches!(code, Some(0 | 1)) {
            failed.push(format!("{name}: exit code {code:?}, stderr: {stderr}"));
        }
        if json.is_none() {
            failed.push(format!("{name}: stdout is not JSON, stderr: {stderr}"));
        }
    }
    failed
}

fn long_line_cases() -> Vec<Case> {
    let long = "x".repeat(LONG);
    vec![
        (
            "yaml",
            "pod.yaml",
            format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"{long}\"\n"),
        ),
        (
            "json",
            "template.json",
            format!(
                "{{\"Resources\": {{\"B\": {{\"Type\": \"AWS::S3::Bucket\", \"Description\": \"{long}\"}}}}}}\n"
            ),
        ),
        (
            "hcl",
            "main.tf",
            format!("locals {{\n  x = \"{long}\"\n}}\n"),
        ),
        (
            "dockerfile",
            "Dockerfile",
            format!("FROM alpine:3.20\nRUN echo {long}\n"),
        ),
        ("bash", "deploy.sh", format!("#!/bin/bash\necho {long}\n")),
        ("python", "app.py", format!("x = \"{long}\"\n")),
        (
            "rust",
            "src/main.rs",
            format!("fn main() {{ let _x = \"{long}\"; }}\n"),
        ),
        (
            "adr",
            "docs/adr/0001-use-x.md",
            format!("# 1. Use x\n\n## Status\n\nAccepted\n\n## Decision\n\n{long}\n"),
        ),
        (
            "incident-csv",
            "incidents/incidents.csv",
            format!("id,title,created_at\n1,{long},2026-01-01T00:00:00Z\n"),
        ),
        (
            "incident-json",
            "incidents/pagerduty.json",
            format!("[{{\"id\": \"1\", \"title\": \"{long}\"}}]\n"),
        ),
        ("config", "opslint.toml", format!("ignore = [\"{long}\"]\n")),
        (
            "suppression",
            "pod.yaml",
            format!(
                "apiVersion: v1  # opslint: ignore[{}] {long}\nkind: Pod\n",
                "a,".repeat(LONG / 2)
            ),
        ),
    ]
}

fn deep_nesting_cases() -> Vec<Case> {
    let open = |s: &str| s.repeat(DEEP);
    vec![
        (
            "yaml",
            "pod.yaml",
            format!(
                "apiVersion: v1\nkind: Pod\nspec: {}1{}\n",
                open("{a: "),
                open("}")
            ),
        ),
        (
            "json",
            "template.json",
            format!("{{\"Resources\": {}1{}}}\n", open("{\"a\": "), open("}")),
        ),
        (
            "hcl",
            "main.tf",
            format!("locals {{\n  x = {}1{}\n}}\n", open("{a = "), open("}")),
        ),
        (
            "dockerfile",
            "Dockerfile",
            format!("FROM alpine:3.20\nCMD {}\"x\"{}\n", open("["), open("]")),
        ),
        (
            "bash",
            "deploy.sh",
            format!("#!/bin/bash\n{}true{}\n", open("( "), open(" )")),
        ),
        (
            "python",
            "app.py",
            format!("x = {}1{}\n", open("("), open(")")),
        ),
        (
            "rust",
            "src/main.rs",
            format!("fn main() {{ let _x = {}1{}; }}\n", open("("), open(")")),
        ),
        (
            "adr",
            "docs/adr/0001-use-x.md",
            format!("# 1. Use x\n\n## Status\n\n{}Accepted\n", open("> ")),
        ),
        (
            "incident-csv",
            "incidents/incidents.csv",
            format!("id,title\n1,\"{}\"\n", open("\"\"")),
        ),
        (
            "incident-json",
            "incidents/pagerduty.json",
            format!("{}1{}\n", open("["), open("]")),
        ),
        (
            "config",
            "opslint.toml",
            format!("ignore = {}1{}\n", open("["), open("]")),
        ),
        (
            "suppression",
            "pod.yaml",
            format!(
                "apiVersion: v1  # opslint: ignore[{}]\nkind: Pod\n",
                open("[")
            ),
        ),
    ]
}

#[test]
fn long_lines_in_every_front_end() {
    let failed = failures("long", long_line_cases());
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn deep_nesting_in_every_front_end() {
    let failed = failures("deep", deep_nesting_cases());
    assert!(failed.is_empty(), "{failed:#?}");
}

/// As root, permissions do not stop reads, so a dangling symbolic link named
/// on the command line is the unreadable path here.
#[cfg(unix)]
#[test]
fn unreadable_path_is_an_io_error() {
    let dir = temp_dir("dangling");
    std::os::unix::fs::symlink(dir.join("missing.yaml"), dir.join("pod.yaml"))
        .expect("symbolic link can be created");
    std::fs::write(
        dir.join("ok.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: nginx\n",
    )
    .expect("file can be written");

    let output = Command::cargo_bin("opslint")
        .expect("the opslint binary is built")
        .current_dir(&dir)
        .args(["check", "pod.yaml", "ok.yaml", "--format", "json"])
        .output()
        .expect("opslint runs");

    assert_eq!(output.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    let io_errors: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["rule"] == "io-error")
        .collect();
    assert_eq!(io_errors.len(), 1, "{diagnostics:#?}");
    assert_eq!(io_errors[0]["path"], "pod.yaml");
    // The readable file is still checked.
    assert!(
        diagnostics
            .iter()
            .any(|d| d["rule"] == "mutable-image-tag" && d["path"] == "ok.yaml"),
        "{diagnostics:#?}"
    );
}

/// A folder and a file without read permission. Root reads them anyway, so
/// as root the check runs as the unprivileged `nobody` user through
/// `setpriv`, which util-linux installs on most Linux systems.
#[cfg(unix)]
#[test]
fn unreadable_folder_and_file_are_io_errors() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    let dir = temp_dir("permissions");
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: nginx\n";
    std::fs::create_dir(dir.join("locked")).expect("folder can be created");
    std::fs::write(dir.join("locked/pod.yaml"), pod).expect("file can be written");
    std::fs::write(dir.join("secret.yaml"), pod).expect("file can be written");
    std::fs::write(dir.join("ok.yaml"), pod).expect("file can be written");
    let mode = |path: &str, mode: u32| {
        std::fs::set_permissions(dir.join(path), std::fs::Permissions::from_mode(mode))
            .expect("permissions can be set");
    };
    mode(".", 0o755);
    mode("ok.yaml", 0o644);
    mode("locked", 0o000);
    mode("secret.yaml", 0o000);

    let binary = assert_cmd::cargo::cargo_bin("opslint");
    let as_root = std::fs::metadata(&dir).expect("metadata").uid() == 0;
    let mut command = if as_root {
        let Ok(setpriv) = which_setpriv() else {
            eprintln!("skipped: running as root without setpriv to drop privileges");
            return;
        };
        let as_nobody = || {
            let mut command = std::process::Command::new(&setpriv);
            command
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&binary);
            command
        };
        // The build folder may sit where `nobody` cannot reach it.
        if !as_nobody()
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success())
        {
            eprintln!("skipped: `nobody` cannot run {}", binary.display());
            return;
        }
        as_nobody()
    } else {
        std::process::Command::new(&binary)
    };
    let output = command
        .current_dir(&dir)
        .args(["check", ".", "--format", "json"])
        .output()
        .expect("opslint runs");
    mode("locked", 0o755);
    mode("secret.yaml", 0o644);

    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    let mut io_errors: Vec<(&str, &str)> = diagnostics
        .iter()
        .filter(|d| d["rule"] == "io-error")
        .map(|d| (d["path"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    io_errors.sort_unstable();
    assert_eq!(io_errors.len(), 2, "{diagnostics:#?}");
    assert_eq!(io_errors[0].0, "locked");
    assert!(
        io_errors[0].1.contains("Permission denied"),
        "{}",
        io_errors[0].1
    );
    assert_eq!(io_errors[1].0, "secret.yaml");
    assert!(
        io_errors[1].1.contains("Permission denied"),
        "{}",
        io_errors[1].1
    );
    // The readable file is still checked.
    assert!(
        diagnostics
            .iter()
            .any(|d| d["rule"] == "mutable-image-tag" && d["path"] == "ok.yaml"),
        "{diagnostics:#?}"
    );
}

fn which_setpriv() -> Result<PathBuf, ()> {
    ["/usr/bin/setpriv", "/bin/setpriv"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .ok_or(())
}

/// Rust nesting that the front end's depth guard lets through but that
/// recurses deeply inside syn. On the 2 MiB default stack of spawned
/// threads each of these overflowed a debug build and aborted the run.
#[test]
fn deep_rust_within_guard_analysed() {
    let dir = temp_dir("deep-rust");
    std::fs::create_dir_all(dir.join("src")).expect("folder can be created");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"deep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .expect("file can be written");
    let shapes = [
        ("closures", "|| ".repeat(250), String::new()),
        ("returns", "return ".repeat(250), String::new()),
        ("assignments", "x = ".repeat(250), String::new()),
        ("loops", "loop { break ".repeat(60), " }".repeat(60)),
    ];
    for (name, open, close) in &shapes {
        std::fs::write(
            dir.join(format!("src/{name}.rs")),
            format!("pub fn {name}() {{\n    let _x = {open}1{close};\n}}\n"),
        )
        .expect("file can be written");
    }

    let (code, json, stderr) = check(&dir);

    assert!(matches!(code, Some(0 | 1)), "exit {code:?}: {stderr}");
    let json = json.expect("stdout is JSON");
    assert_eq!(json["summary"]["files"], 5, "{json:#}");
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    let failures: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| {
            ["parse-error", "internal-error", "io-error"]
                .contains(&d["rule"].as_str().unwrap_or(""))
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A Rust file that does not compile is a `parse-error`, and the service
/// rules ask about it instead of reporting what its recovered tree lacks.
#[test]
fn rust_that_does_not_compile_gets_questions() {
    let dir = temp_dir("rust-broken");
    std::fs::create_dir_all(dir.join("src")).expect("folder can be created");
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"app\"\n")
        .expect("manifest can be written");
    std::fs::write(
        dir.join("src/main.rs"),
        "use axum::{Router, routing::post};\n\n\
         async fn main() {\n\
         \x20   let app = Router::new().route(\"/orders\", post(create_order))\n\
         \x20   let port = 8080;\n\
         }\n",
    )
    .expect("file can be written");

    let (_, json, stderr) = check(&dir);
    let json = json.unwrap_or_else(|| panic!("no JSON output: {stderr}"));
    let places = |key: &str| -> Vec<(String, String, u64)> {
        let mut places: Vec<_> = json[key]
            .as_array()
            .expect("a list")
            .iter()
            .map(|item| {
                (
                    item["rule"].as_str().unwrap_or_default().to_string(),
                    item["path"].as_str().unwrap_or_default().to_string(),
                    item["line"].as_u64().unwrap_or_default(),
                )
            })
            .collect();
        places.sort();
        places
    };
    let main = "src/main.rs".to_string();
    assert_eq!(
        places("diagnostics"),
        [("parse-error".into(), main.clone(), 5)]
    );
    assert_eq!(
        places("questions"),
        [
            ("service-missing-health-endpoint".into(), main.clone(), 5),
            ("service-without-metrics".into(), main.clone(), 5),
            ("service-without-tracing".into(), main, 5),
        ]
    );
}
