//! End-to-end test of `cargo opslint` in a temporary Cargo workspace: cargo
//! finds `cargo-opslint` on PATH and the command is rooted at the workspace.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: web:latest
";

/// A workspace with one member crate, a manifest at the root and a
/// configuration in `[workspace.metadata.opslint]`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"app\"]\nresolver = \"3\"\n\n[workspace.metadata.opslint]\nselect = [\"mutable-image-tag\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("app/src")).unwrap();
    std::fs::write(
        root.join("app/Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .unwrap();
    std::fs::write(root.join("app/src/lib.rs"), "").unwrap();
    std::fs::create_dir_all(root.join("deploy")).unwrap();
    std::fs::write(root.join("deploy/web.yaml"), DEPLOYMENT).unwrap();
    dir
}

/// PATH with the folder of the built `cargo-opslint` first.
fn path_with_subcommand() -> std::ffi::OsString {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_cargo-opslint"));
    let mut paths = vec![binary.parent().unwrap().to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

fn cargo_opslint(dir: &Path, args: &[&str]) -> Output {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .arg("opslint")
        .args(args)
        .current_dir(dir)
        .env("PATH", path_with_subcommand())
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("cargo runs")
}

fn reported(output: &Output) -> Vec<(String, String)> {
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("stderr: {}", String::from_utf8_lossy(&output.stderr)));
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn runs_from_a_member_folder_at_the_workspace_root() {
    let dir = workspace();
    let output = cargo_opslint(&dir.path().join("app/src"), &["check", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        reported(&output),
        [(
            "mutable-image-tag".to_string(),
            "deploy/web.yaml".to_string()
        )]
    );
}

#[test]
fn path_arguments_are_relative_to_the_current_folder() {
    let dir = workspace();
    let output = cargo_opslint(
        &dir.path().join("deploy"),
        &["check", "web.yaml", "--format", "json", "-o", "out.json"],
    );
    assert_eq!(output.status.code(), Some(1));
    let written = std::fs::read_to_string(dir.path().join("deploy/out.json")).unwrap();
    let json: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(json["diagnostics"][0]["path"], "deploy/web.yaml");
}

#[test]
fn baseline_and_rules_commands_work() {
    let dir = workspace();
    let output = cargo_opslint(&dir.path().join("app"), &["baseline"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(dir.path().join("app/opslint-baseline.json").is_file());
    let output = cargo_opslint(
        &dir.path().join("app"),
        &["check", "--baseline", "opslint-baseline.json"],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let output = cargo_opslint(dir.path(), &["rules"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("mutable-image-tag"));
}

#[test]
fn outside_a_workspace_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = cargo_opslint(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`cargo opslint` runs inside a Cargo workspace"),
        "{stderr}"
    );
}

#[test]
fn help_names_the_cargo_command() {
    let dir = workspace();
    let output = cargo_opslint(dir.path(), &["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Usage: cargo opslint"));
}

#[test]
fn report_path_is_relative_to_the_current_folder() {
    let dir = workspace();
    let output = cargo_opslint(
        &dir.path().join("deploy"),
        &["report", ".", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    // Only `deploy/web.yaml`, not the whole workspace.
    assert_eq!(json["counts"]["files"], 1, "{}", json["summary"]);
    // Without a path the report covers the workspace, as `check` does.
    let output = cargo_opslint(&dir.path().join("deploy"), &["report", "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        json["counts"]["files"].as_u64().unwrap() > 1,
        "{}",
        json["summary"]
    );
}
