//! End-to-end tests of the progress bar. A terminal is emulated with
//! util-linux `script`; the terminal tests are skipped where it is missing.

mod common;

use std::process::Command;

use common::repo_root;

/// Runs opslint under `script`, so standard error is a terminal, and
/// returns everything written to the terminal.
fn on_terminal(args: &str, env: &[(&str, &str)]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: util-linux `script` is not installed");
        return None;
    }
    let command = format!(
        "{} check fixtures -o /dev/null {args}",
        env!("CARGO_BIN_EXE_opslint")
    );
    let mut script = Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .current_dir(repo_root())
        .env_remove("NO_COLOR")
        .env("OPSLINT_PROGRESS_DELAY_MS", "0");
    for (key, value) in env {
        script.env(key, value);
    }
    let output = script.output().expect("script runs");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn bar_is_drawn_on_a_terminal() {
    let Some(terminal) = on_terminal("", &[]) else {
        return;
    };
    assert!(terminal.contains("files    ["), "{terminal:?}");
    assert!(terminal.contains("\u{1b}[36m"), "{terminal:?}");
}

#[test]
fn no_color_draws_a_plain_bar() {
    let Some(terminal) = on_terminal("", &[("NO_COLOR", "1")]) else {
        return;
    };
    assert!(terminal.contains("files    ["), "{terminal:?}");
    assert!(!terminal.contains("\u{1b}[36m"), "{terminal:?}");
}

#[test]
fn no_progress_and_quiet_hide_the_bar() {
    for flag in ["--no-progress", "--quiet"] {
        let Some(terminal) = on_terminal(flag, &[]) else {
            return;
        };
        // The bar's message padded to its column, which no notice contains.
        assert!(!terminal.contains("files    ["), "{flag}: {terminal:?}");
    }
}

#[test]
fn bar_is_hidden_when_not_a_terminal() {
    let output = assert_cmd::Command::cargo_bin("opslint")
        .unwrap()
        .current_dir(repo_root())
        .env("OPSLINT_PROGRESS_DELAY_MS", "0")
        .args(["check", "fixtures", "-o", "/dev/null"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("files    ["), "{stderr}");
    assert!(!stderr.contains('\r'), "{stderr}");
}
