//! `cargo opslint`: the opslint command line rooted at the Cargo workspace.
//!
//! Cargo runs `cargo-opslint opslint ARGS...` for `cargo opslint ARGS...`.
//! The workspace root comes from `cargo metadata`, so the command behaves the
//! same from any folder of the workspace: output paths are relative to the
//! root, the configuration is searched from the root, and without path
//! arguments the whole workspace is checked. Path arguments stay relative
//! to the folder the command was started in.

#[allow(dead_code)]
#[path = "../main.rs"]
mod opslint_cli;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    // Cargo passes the subcommand name as the first argument.
    if args.get(1).is_some_and(|arg| arg == "opslint") {
        args.remove(1);
    }
    let matches = opslint_cli::Cli::command()
        .bin_name("cargo opslint")
        .get_matches_from(args);
    let mut cli = match opslint_cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };

    let root = match workspace_root() {
        Ok(root) => root,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match std::env::current_dir() {
        Ok(dir) => cli.make_paths_absolute(&dir),
        Err(error) => {
            eprintln!("error: cannot read the current folder: {error}");
            return ExitCode::from(2);
        }
    }
    if let Err(error) = std::env::set_current_dir(&root) {
        eprintln!(
            "error: cannot change to the workspace root {}: {error}",
            root.display()
        );
        return ExitCode::from(2);
    }
    opslint_cli::run(cli)
}

/// The `workspace_root` that `cargo metadata` reports for the current folder.
fn workspace_root() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .map_err(|error| format!("cannot run `cargo metadata`: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo opslint` runs inside a Cargo workspace, but `cargo metadata` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("cannot read the output of `cargo metadata`: {error}"))?;
    metadata["workspace_root"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "`cargo metadata` reported no `workspace_root`".to_string())
}
