//! `opslint-answers.toml`: a team's answers to follow-up questions.
//!
//! ```toml
//! [[answer]]
//! id = "q-no-incident-data"
//! answer = "Incidents live in PagerDuty; the export is attached monthly."
//! who = "team-sre"
//! review-by = "2027-03-31"
//! ```

use std::path::Path;

use opslint_report::analysis::Answer;
use serde::Deserialize;

pub const FILE_NAME: &str = "opslint-answers.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswersFile {
    #[serde(default)]
    answer: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    answer: String,
    who: String,
    #[serde(rename = "review-by")]
    review_by: toml::Spanned<toml::Value>,
}

/// Reads the answers in `path`; `today` is `YYYY-MM-DD` and decides which
/// answers have expired. A missing file is no answers. A malformed file is
/// an error that names the file and the line.
pub fn load(path: &Path, today: &str) -> Result<Vec<Answer>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(format!("cannot read `{}`: {error}", path.display())),
    };
    parse(&text, today).map_err(|message| format!("invalid `{}`: {message}", path.display()))
}

pub fn parse(text: &str, today: &str) -> Result<Vec<Answer>, String> {
    let file: AnswersFile = toml::from_str(text).map_err(|error| {
        let line = error
            .span()
            .map(|span| line_of(text, span.start))
            .map_or(String::new(), |line| format!("line {line}: "));
        format!("{line}{}", error.message())
    })?;
    let mut answers = Vec::new();
    for entry in file.answer {
        let line = line_of(text, entry.review_by.span().start);
        let review_by = match entry.review_by.get_ref() {
            toml::Value::String(text) => text.clone(),
            toml::Value::Datetime(date) => date.to_string(),
            _ => String::new(),
        };
        if !crate::suppress::is_valid_date(&review_by) {
            let value = match entry.review_by.get_ref() {
                toml::Value::String(text) => format!("`{text}`"),
                other => format!("`{other}`"),
            };
            return Err(format!(
                "line {line}: `review-by` of `{}` is {value}, which is not a valid date. \
                 Write one such as 2027-03-31.",
                entry.id
            ));
        }
        if entry.answer.trim().is_empty() || entry.who.trim().is_empty() {
            return Err(format!(
                "line {line}: the answer to `{}` needs a non-empty `answer` and `who`",
                entry.id
            ));
        }
        answers.push(Answer {
            expired: review_by.as_str() < today,
            id: entry.id,
            answer: entry.answer,
            who: entry.who,
            review_by,
        });
    }
    Ok(answers)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

/// The Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_expire_after_review_by() {
        let text = "[[answer]]\nid = \"q-a\"\nanswer = \"yes\"\nwho = \"sre\"\nreview-by = \"2026-01-31\"\n\n[[answer]]\nid = \"q-b\"\nanswer = \"no\"\nwho = \"sre\"\nreview-by = 2027-01-31\n";
        let answers = parse(text, "2026-06-01").unwrap();
        assert!(answers[0].expired);
        assert!(!answers[1].expired);
        assert_eq!(answers[1].review_by, "2027-01-31");
    }

    #[test]
    fn syntax_error_names_the_line() {
        let error = parse("[[answer]]\nid = \"q-a\"\nanswer = yes\n", "2026-06-01").unwrap_err();
        assert!(error.starts_with("line 3: "), "{error}");
    }

    #[test]
    fn missing_field_and_bad_date_name_the_line() {
        let missing = parse(
            "[[answer]]\nid = \"q-a\"\nanswer = \"yes\"\nreview-by = \"2027-01-01\"\n",
            "2026-06-01",
        )
        .unwrap_err();
        assert!(missing.contains("who"), "{missing}");
        assert!(missing.starts_with("line 1: "), "{missing}");
        let bad_date = parse(
            "[[answer]]\nid = \"q-a\"\nanswer = \"yes\"\nwho = \"sre\"\nreview-by = \"soon\"\n",
            "2026-06-01",
        )
        .unwrap_err();
        assert!(bad_date.starts_with("line 5: "), "{bad_date}");
        for impossible in ["2027-13-45", "2027-02-30"] {
            let text = format!(
                "[[answer]]\nid = \"q-a\"\nanswer = \"yes\"\nwho = \"sre\"\nreview-by = \"{impossible}\"\n"
            );
            let error = parse(&text, "2026-01-01").expect_err(impossible);
            assert!(error.contains(impossible), "{error}");
        }
    }

    #[test]
    fn today_is_an_iso_date() {
        assert!(crate::suppress::is_valid_date(&today()));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_000), (2024, 10, 4));
    }
}
