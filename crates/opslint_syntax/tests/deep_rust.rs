//! Rust nested thousands of levels deep once overflowed the stack inside
//! syn. These inputs stay as regression tests.

use opslint_syntax::rust;

/// Parses `text` on a thread with a 2 MiB stack, the default of Rust's
/// spawned threads, and returns whether syn accepted it and its error.
fn parse_on_small_stack(text: String) -> (bool, Option<String>) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let file = rust::parse(&text);
            let accepted = file.ast.is_some();
            let error = file.syn_error.map(|error| error.message);
            rust::release_spans();
            (accepted, error)
        })
        .expect("thread starts")
        .join()
        .expect("parsing does not panic or overflow")
}

fn nested_parens(depth: usize) -> String {
    format!(
        "fn main() {{ let _x = {}1{}; }}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

#[test]
fn deep_rust_is_a_parse_error() {
    let (accepted, error) = parse_on_small_stack(nested_parens(5_000));
    assert!(!accepted);
    let error = error.expect("a syntax error");
    assert!(error.starts_with("nesting deeper than"), "{error}");
}

#[test]
fn ordinary_nesting_still_parses() {
    let (accepted, error) = parse_on_small_stack(nested_parens(40));
    assert!(accepted, "{error:?}");
}

/// Every depth up to the first one rejected must parse without overflowing
/// the stack: an overflow aborts this test process.
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
        let mut accepted_depths = 0;
        for depth in (10..=1_000).step_by(10) {
            let text = format!(
                "fn main() {{ let _x = {}1{}; }}\n",
                open.repeat(depth),
                close.repeat(depth)
            );
            let (accepted, _) = parse_on_small_stack(text);
            if !accepted {
                break;
            }
            accepted_depths += 1;
        }
        assert!(accepted_depths > 0, "{shape}");
        assert!(accepted_depths < 100, "{shape} is never rejected");
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
    let (accepted, error) = parse_on_small_stack(text);
    assert!(!accepted);
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
    let (accepted, error) = parse_on_small_stack("fn main() { let x = 1 let y = 2; }\n".into());
    assert!(!accepted);
    assert_eq!(error.as_deref(), Some("expected `;`"));
}
