#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = opslint_syntax::rust::parse(text);
    opslint_syntax::rust::release_spans();
});
