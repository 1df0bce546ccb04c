#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|script: &str| {
    for command in opslint_model::commands::parse_commands(script) {
        assert!(command.span.start <= command.span.end && command.span.end <= script.len());
        let _ = opslint_model::commands::deploy_command(&command);
    }
});
