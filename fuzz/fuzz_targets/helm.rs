#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mask = opslint_syntax::helm::mask(text);
    assert_eq!(mask.text.len(), text.len(), "masking must keep every byte offset");
    let _ = opslint_syntax::yaml::parse(text, true);
});
