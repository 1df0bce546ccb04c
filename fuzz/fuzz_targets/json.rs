#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let file = opslint_syntax::json::parse(text);
    for error in &file.errors {
        assert!(error.span.end <= text.len());
    }
});
