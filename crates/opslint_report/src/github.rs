//! GitHub Actions workflow commands (`::warning file=...::message`), which
//! the runner turns into annotations on the pull request's changed lines.

use opslint_core::Severity;

use crate::Report;

/// One workflow command per finding and one `notice` per question.
/// Suppressed findings are left out.
pub fn render(report: &Report<'_>) -> String {
    // GitHub attaches an annotation to a file by its path from the
    // repository's root, which differs from the path shown elsewhere when
    // opslint runs in a subfolder, such as a step's `working-directory`.
    let repository_path = |path: &str| {
        report
            .files
            .get(path)
            .map_or(path.to_string(), |file| file.identity_path().to_string())
    };
    let mut out = String::new();
    for diagnostic in report.diagnostics {
        let level = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut message = diagnostic.message.clone();
        if let Some(help) = &diagnostic.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{level} file={},line={},endLine={},col={},endColumn={},title={}::{}\n",
            escape_property(&repository_path(&diagnostic.path)),
            diagnostic.start.line,
            diagnostic.end.line,
            diagnostic.start.column,
            diagnostic.end.column,
            escape_property(&format!("opslint {}", diagnostic.rule.id)),
            escape_data(&message),
        ));
    }
    for question in report.questions {
        out.push_str(&format!(
            "::notice file={},line={},col={},title={}::{}\n",
            escape_property(&repository_path(&question.path)),
            question.start.line,
            question.start.column,
            escape_property(&format!("opslint question {}", question.rule.id)),
            escape_data(&format!(
                "{}\nbecause {}",
                question.question, question.reason
            )),
        ));
    }
    out
}

/// Escapes a command's message as the runner expects.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value, which additionally may not contain `:` or `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_runner_rules() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
