//! `opslint-pre-commit`: the opslint command line, built by pre-commit from
//! the root package of this repository (see `.pre-commit-hooks.yaml`).
//!
//! It lives in the root package because pre-commit installs `language: rust`
//! hooks with `cargo install --path .`; the `opslint` package's own binary
//! cannot be named there without two packages producing a binary called
//! `opslint` in one workspace build.

#[allow(dead_code)]
#[path = "../crates/opslint/src/main.rs"]
mod opslint_cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    opslint_cli::run(opslint_cli::Cli::parse())
}
