//! Guards against input that could crash, hang or mislead opslint: binary
//! and invalid UTF-8 files, byte-order marks and CRLF line endings, alias
//! bombs, deep nesting, long lines, symlink loops and empty folders. Every
//! case runs the real binary.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::repo_root;
use serde_json::Value;

fn temp_dir(name: &str) -> common::TempFolder {
    common::TempFolder::new(&format!("robust-{name}"))
}

fn check_json(path: &Path, extra: &[&str]) -> (Value, i32, String) {
    let output = Command::cargo_bin("opslint")
        .unwrap()
        .current_dir(path)
        .args(["check", ".", "--format", "json"])
        .args(extra)
        .output()
        .expect("opslint runs");
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (
        json,
        output.status.code().expect("exit code"),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn rules_of(json: &Value) -> Vec<String> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect()
}

const UNTAGGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: \"é😀\"\n      image: nginx\n";

#[test]
fn empty_folder_has_no_findings() {
    let dir = temp_dir("empty");
    let (json, code, _) = check_json(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(json["summary"]["files"], 0);
    assert_eq!(json["summary"]["diagnostics"], 0);
}

#[test]
fn binary_file_is_skipped_with_a_notice() {
    let dir = temp_dir("binary");
    std::fs::write(
        dir.join("blob.yaml"),
        b"apiVersion: v1\n\0\0\x01\x02kind: Pod\n",
    )
    .unwrap();
    let (json, code, stderr) = check_json(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(json["summary"]["files"], 0);
    assert!(
        stderr.contains("blob.yaml: skipped, it holds binary data"),
        "{stderr}"
    );
    assert_eq!(json["summary"]["notices"].as_array().unwrap().len(), 1);
}

#[test]
fn invalid_utf8_is_decoded_with_a_notice() {
    let dir = temp_dir("utf8");
    let mut bytes = UNTAGGED_POD.as_bytes().to_vec();
    bytes.extend_from_slice(b"# caf\xe9\n");
    std::fs::write(dir.join("pod.yaml"), bytes).unwrap();
    let (json, code, stderr) = check_json(&dir, &["--select", "mutable-image-tag"]);
    assert_eq!(code, 1);
    assert_eq!(rules_of(&json), ["mutable-image-tag"]);
    assert!(stderr.contains("pod.yaml: not valid UTF-8"), "{stderr}");
}

#[test]
fn bom_and_crlf_keep_exact_columns() {
    let dir = temp_dir("bom");
    let text = format!("\u{feff}{}", UNTAGGED_POD.replace('\n', "\r\n"));
    std::fs::write(dir.join("pod.yaml"), text).unwrap();
    let (json, _, _) = check_json(&dir, &["--select", "mutable-image-tag"]);
    let finding = &json["diagnostics"][0];
    assert_eq!(finding["rule"], "mutable-image-tag");
    assert_eq!(finding["line"], 8);
    assert_eq!(finding["column"], 14);
    assert_eq!(finding["end_column"], 19);
}

#[test]
fn multibyte_characters_before_a_finding() {
    let dir = temp_dir("multibyte");
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - {name: \"é😀\", image: nginx}\n";
    std::fs::write(dir.join("pod.yaml"), text).unwrap();
    let (json, _, _) = check_json(&dir, &["--select", "mutable-image-tag"]);
    let finding = &json["diagnostics"][0];
    assert_eq!(finding["line"], 7);
    // `    - {name: "é😀", image: ` is 26 characters: é and 😀 count once each.
    assert_eq!(finding["column"], 27);

    let output = Command::cargo_bin("opslint")
        .unwrap()
        .current_dir(&dir)
        .args([
            "check",
            ".",
            "--format",
            "sarif",
            "--select",
            "mutable-image-tag",
        ])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    // 😀 is two UTF-16 code units, so SARIF's column is one more.
    assert_eq!(region["startColumn"], 28);
}

#[test]
fn alias_bomb_finishes_quickly_with_a_finding() {
    let dir = temp_dir("laughs");
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let p = level - 1;
        text.push_str(&format!(
            "a{level}: &a{level} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    std::fs::write(dir.join("bomb.yaml"), text).unwrap();
    let started = Instant::now();
    let (json, code, _) = check_json(&dir, &[]);
    // Generous bound for a loaded machine; an unbounded expansion would
    // need 9^10 nodes and never finish.
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(code, 1);
    assert_eq!(rules_of(&json), ["parse-error"]);
    assert!(
        json["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("alias expansion")
    );
}

#[test]
fn deep_nesting_is_reported_not_crashed() {
    let dir = temp_dir("deep");
    let mut block = String::new();
    for level in 0..2_000 {
        block.push_str(&" ".repeat(level));
        block.push_str("k:\n");
    }
    std::fs::write(dir.join("block.yaml"), block).unwrap();
    std::fs::write(
        dir.join("flow.yaml"),
        format!("a: {}1{}\n", "[".repeat(50_000), "]".repeat(50_000)),
    )
    .unwrap();
    let json_text = format!(
        "{{\"Resources\": {}{}, \"Type\": \"AWS::X\"}}\n",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    std::fs::write(dir.join("template.json"), json_text).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        format!(
            "locals {{\n  x = {}1{}\n}}\n",
            "[".repeat(20_000),
            "]".repeat(20_000)
        ),
    )
    .unwrap();
    let (json, code, _) = check_json(&dir, &[]);
    assert_eq!(code, 1);
    let paths: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"block.yaml"), "{paths:?}");
    assert!(paths.contains(&"flow.yaml"), "{paths:?}");
    assert!(rules_of(&json).iter().all(|r| r == "parse-error"));
}

#[test]
fn extremely_long_line_is_handled() {
    let dir = temp_dir("long");
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  blob: \"{}\"\n  other: [{}\n",
        "x".repeat(2_000_000),
        "y"
    );
    std::fs::write(dir.join("config.yaml"), text).unwrap();
    let (json, code, _) = check_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(rules_of(&json), ["parse-error"]);
    assert_eq!(json["diagnostics"][0]["line"], 7);
}

#[test]
fn file_over_the_size_cap_is_skipped_with_a_notice() {
    let dir = temp_dir("large");
    let text = format!("# {}\n", "x".repeat(6 * 1024 * 1024));
    std::fs::write(dir.join("big.yaml"), text).unwrap();
    let (json, code, stderr) = check_json(&dir, &[]);
    assert_eq!(code, 0);
    assert!(stderr.contains("big.yaml: skipped"), "{stderr}");
    assert_eq!(json["summary"]["notices"].as_array().unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn symlink_loop_does_not_hang() {
    let dir = temp_dir("symlink");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("a/loop")).unwrap();
    std::fs::write(dir.join("a/pod.yaml"), UNTAGGED_POD).unwrap();
    let (json, code, _) = check_json(&dir, &["--select", "mutable-image-tag"]);
    assert_eq!(code, 1);
    assert_eq!(rules_of(&json), ["mutable-image-tag"]);
}

#[test]
fn output_is_identical_across_thread_counts() {
    let corpus = repo_root().join("fixtures");
    let run = |threads: &str, format: &str| {
        Command::cargo_bin("opslint")
            .unwrap()
            .current_dir(repo_root())
            .env("RAYON_NUM_THREADS", threads)
            .args(["check", "fixtures", "--format", format])
            .output()
            .unwrap()
            .stdout
    };
    assert!(corpus.is_dir());
    for format in ["json", "sarif"] {
        let single = run("1", format);
        let several = run("4", format);
        assert!(!single.is_empty());
        assert_eq!(
            single, several,
            "{format} output differs between thread counts"
        );
    }
}

/// Mappings with a hundred thousand keys: duplicate-key checks that compare
/// every key with every other one took minutes here, so a generated file
/// could stall a commit hook.
#[test]
fn wide_mappings_finish_and_still_find_duplicates() {
    let dir = temp_dir("wide");
    let keys = 100_000;
    let mut json = String::from("{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {");
    for index in 0..keys {
        json.push_str(&format!(
            "\"Topic{index}\": {{\"Type\": \"AWS::SNS::Topic\"}}, "
        ));
    }
    json.push_str("\"Topic0\": {\"Type\": \"AWS::SNS::Topic\"}}}\n");
    std::fs::write(dir.join("template.json"), json).unwrap();
    let mut yaml = String::from("{");
    for index in 0..keys {
        yaml.push_str(&format!("key{index}: 1, "));
    }
    yaml.push_str("key7: 2}\n");
    std::fs::write(dir.join("values.yaml"), yaml).unwrap();

    let started = Instant::now();
    let (json, code, _) = check_json(&dir, &[]);
    // Generous bound for a debug build on a loaded machine; the pairwise
    // checks needed billions of comparisons and never got near it.
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(code, 1);
    let duplicates: Vec<(&str, u64)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "parse-error")
        .map(|d| (d["path"].as_str().unwrap(), d["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(duplicates, [("values.yaml", 1)]);
    let message = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "parse-error")
        .and_then(|d| d["message"].as_str())
        .unwrap();
    assert!(message.contains("duplicate key `key7`"), "{message}");
}
