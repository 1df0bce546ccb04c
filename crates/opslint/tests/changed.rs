//! End-to-end tests of `check --changed-since REF` in a temporary git
//! repository.

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::Value;

const LATEST: &str = "apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      containers:
        - name: migrate
          image: migrate:latest
";

fn git(dir: &Path, args: &[&str]) {
    let status = Process::new("git")
        .args([
            "-c",
            "user.name=opslint tests",
            "-c",
            "user.email=tests@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// A repository with two committed manifests that both have a finding.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("k8s")).unwrap();
    std::fs::write(dir.path().join("k8s/a.yaml"), LATEST).unwrap();
    std::fs::write(dir.path().join("k8s/b.yaml"), LATEST).unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "initial"]);
    dir
}

fn paths_reported(dir: &Path, extra: &[&str]) -> (Vec<String>, i32) {
    let output = Command::cargo_bin("opslint")
        .unwrap()
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("stderr: {}", String::from_utf8_lossy(&output.stderr)));
    let paths = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap().to_string())
        .collect();
    (paths, output.status.code().unwrap())
}

#[test]
fn unchanged_repository_reports_nothing() {
    let dir = repository();
    let (paths, code) = paths_reported(dir.path(), &["--changed-since", "HEAD"]);
    assert!(paths.is_empty(), "{paths:?}");
    assert_eq!(code, 0);
    let (paths, _) = paths_reported(dir.path(), &[]);
    assert_eq!(paths, ["k8s/a.yaml", "k8s/b.yaml"]);
}

#[test]
fn modified_and_untracked_files_are_reported() {
    let dir = repository();
    std::fs::write(dir.path().join("k8s/b.yaml"), format!("# edited\n{LATEST}")).unwrap();
    std::fs::write(dir.path().join("k8s/c.yaml"), LATEST).unwrap();
    let (paths, code) = paths_reported(dir.path(), &["--changed-since", "HEAD"]);
    assert_eq!(paths, ["k8s/b.yaml", "k8s/c.yaml"]);
    assert_eq!(code, 1);
}

#[test]
fn committed_changes_since_a_ref() {
    let dir = repository();
    std::fs::write(dir.path().join("k8s/a.yaml"), format!("# edited\n{LATEST}")).unwrap();
    git(dir.path(), &["commit", "-q", "-am", "edit a"]);
    let (paths, _) = paths_reported(dir.path(), &["--changed-since", "HEAD~1"]);
    assert_eq!(paths, ["k8s/a.yaml"]);
}

#[test]
fn paths_are_relative_to_a_subfolder() {
    let dir = repository();
    std::fs::write(dir.path().join("k8s/a.yaml"), format!("# edited\n{LATEST}")).unwrap();
    let (paths, _) = paths_reported(&dir.path().join("k8s"), &["--changed-since", "HEAD"]);
    assert_eq!(paths, ["a.yaml"]);
}

#[test]
fn unknown_ref_is_an_error() {
    let dir = repository();
    let output = Command::cargo_bin("opslint")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "--changed-since", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: --changed-since no-such-branch: `git diff"),
        "{stderr}"
    );
}

#[test]
fn folder_outside_git_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("opslint")
        .unwrap()
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .args(["check", "--changed-since", "main"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not inside a git work tree"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
