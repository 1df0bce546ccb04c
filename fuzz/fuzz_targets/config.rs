#![no_main]

//! The configuration file loader, through a real file as users have it.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let path = std::env::temp_dir().join(format!("opslint-fuzz-{}.toml", std::process::id()));
    if std::fs::write(&path, text).is_ok() {
        let _ = opslint_core::config::Config::load(&path);
    }
});
