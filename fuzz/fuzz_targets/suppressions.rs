#![no_main]

//! Inline suppression comments in every comment style.

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use opslint_core::SourceFile;

fuzz_target!(|text: &str| {
    for path in ["k8s.yaml", "main.rs", "main.tf"] {
        let file = SourceFile::new(path.into(), PathBuf::from(path), text.into());
        let _ = opslint::suppress::directives(&file);
    }
});
