//! Rust nested thousands of levels deep once overflowed the stack inside
//! syn, which now runs only on files that tree-sitter reads with an error.
//! These inputs stay as regression tests.

use opslint_syntax::rust;

/// Parses `text` on a thread with a 2 MiB stack, the default of Rust's
/// spawned threads, and returns whether the file parsed without a syntax
/// error and why syn rejected it, if syn ran.
fn parse_on_small_stack(text: String) -> (bool, Option<String>) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let file = rust::parse(&text);
            let clean = file.tree.is_some() && file.syn_error.is_none() && file.errors.is_empty();
            let error = file.syn_error.map(|error| error.message);
            rust::release_spans();
            (clean, error)
        })
        .expect("thread starts")
        .join()
        .expect("parsing does not panic or overflow")
}

/// Builds a `let` nested `depth` brackets deep, with a missing `;` after it
/// when `broken`, so that syn is asked to confirm the error.
fn nested(open: &str, close: &str, depth: usize, broken: bool) -> String {
    format!(
        "fn main() {{ let _x = {}1{}{} let _y = 2; }}\n",
        open.repeat(depth),
        close.repeat(depth),
        if broken { "" } else { ";" }
    )
}

#[test]
fn deep_valid_rust_parses_without_syn() {
    let (clean, error) = parse_on_small_stack(nested("(", ")", 5_000, false));
    assert!(clean, "{error:?}");
    assert_eq!(error, None);
}

#[test]
fn deep_broken_rust_is_not_given_to_syn() {
    let (clean, error) = parse_on_small_stack(nested("(", ")", 5_000, true));
    assert!(!clean);
    let error = error.expect("a reason");
    assert!(error.starts_with("nesting deeper than"), "{error}");
}

#[test]
fn ordinary_nesting_still_parses() {
    let (clean, error) = parse_on_small_stack(nested("(", ")", 40, false));
    assert!(clean, "{error:?}");
}

/// Every depth up to the first one that the guard keeps from syn must be
/// parsed by syn without overflowing the stack: an overflow aborts this
/// test process.
#[test]
fn nesting_up_to_the_limit_fits_the_stack() {
    let shapes: [(&str, &str, &str); 5] = [
        ("parentheses", "(", ")"),
        ("blocks", "{", "}"),
        ("arrays", "[", "]"),
        ("negations", "!", ""),
        ("references", "&", ""),
    ];
    for (shape, open, close) in shapes {
        let mut syn_depths = 0;
        for depth in (10..=1_000).step_by(10) {
            let (_, error) = parse_on_small_stack(nested(open, close, depth, true));
            let error = error.expect("syn or the guard rejects the missing `;`");
            if error.starts_with("nesting deeper than") {
                break;
            }
            syn_depths += 1;
        }
        assert!(syn_depths > 0, "{shape}");
        assert!(syn_depths < 100, "{shape} never reaches the guard");
    }
}

/// Found by fuzzing: inside a tree-sitter `ERROR` node tokens are flat, so
/// the depth guard saw nothing, while syn recursed once per `<` through
/// qualified paths and overflowed the stack.
#[test]
fn long_syntax_error_is_not_given_to_syn() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz-regressions/rust-qualified-path-recursion.txt"
    ))
    .expect("the regression input is readable");
    let (clean, error) = parse_on_small_stack(text);
    assert!(!clean);
    let error = error.expect("a reason");
    assert!(
        error.starts_with("a syntax error spanning more than"),
        "{error}"
    );
}

/// A short syntax error is still given to syn, whose message names what it
/// expected.
#[test]
fn short_syntax_error_gets_syn_message() {
    let (clean, error) = parse_on_small_stack("fn main() { let x = 1 let y = 2; }\n".into());
    assert!(!clean);
    assert_eq!(error.as_deref(), Some("expected `;`"));
}
