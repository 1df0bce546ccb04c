#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let file = opslint_syntax::yaml::parse(text, false);
    for error in &file.errors {
        assert!(error.span.start <= text.len() && error.span.end <= text.len());
    }
    for document in &file.documents {
        assert!(document.root.span.end <= text.len());
    }
});
