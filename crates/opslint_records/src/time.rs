//! Timestamps of incident exports, read into seconds since the Unix epoch.

/// Parses ISO 8601 / RFC 3339 timestamps (`2026-01-08T02:14:37+01:00`,
/// `…Z`, with or without fractional seconds, `T` or a space between date and
/// time), plain dates, and Jira's `08/Jan/26 2:14 AM`. A time without an
/// offset is read as UTC.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    parse_iso(text).or_else(|| parse_jira(text))
}

fn parse_iso(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year: i64 = text.get(0..4)?.parse().ok()?;
    let month: u32 = text.get(5..7)?.parse().ok()?;
    let day: u32 = text.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let date = days_from_civil(year, month, day) * 86_400;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(date);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let hour: i64 = rest.get(0..2)?.parse().ok()?;
    if rest.as_bytes().get(2) != Some(&b':') {
        return None;
    }
    let minute: i64 = rest.get(3..5)?.parse().ok()?;
    let mut index = 5;
    let mut second = 0;
    if rest.as_bytes().get(5) == Some(&b':') {
        second = rest.get(6..8)?.parse().ok()?;
        index = 8;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut tail = &rest[index..];
    if let Some(fraction) = tail.strip_prefix('.') {
        let digits = fraction.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        tail = &fraction[digits..];
    }
    let offset = match tail.trim() {
        "" | "Z" | "z" => 0,
        zone => parse_offset(zone)?,
    };
    Some(date + hour * 3600 + minute * 60 + second - offset)
}

fn parse_offset(zone: &str) -> Option<i64> {
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 && digits.len() != 2 {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    Some(sign * (hours * 3600 + minutes * 60))
}

/// Jira's default export format: `08/Jan/26 2:14 AM`.
fn parse_jira(text: &str) -> Option<i64> {
    let mut parts = text.split_whitespace();
    let date = parts.next()?;
    let time = parts.next()?;
    let meridiem = parts.next()?.to_ascii_uppercase();
    let mut date_parts = date.split('/');
    let day: u32 = date_parts.next()?.parse().ok()?;
    let month_name = date_parts.next()?.to_ascii_lowercase();
    let year: i64 = date_parts.next()?.parse().ok()?;
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month = months.iter().position(|m| *m == month_name)? as u32 + 1;
    let year = if year < 100 { 2000 + year } else { year };
    let (hour, minute) = time.split_once(':')?;
    let mut hour: i64 = hour.parse().ok()?;
    let minute: i64 = minute.parse().ok()?;
    if !(1..=12).contains(&hour) || minute > 59 || !(1..=31).contains(&day) {
        return None;
    }
    match meridiem.as_str() {
        "AM" if hour == 12 => hour = 0,
        "AM" => {}
        "PM" if hour != 12 => hour += 12,
        "PM" => {}
        _ => return None,
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp;

    #[test]
    fn iso_with_offset() {
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            parse_timestamp("2026-09-30T06:30:12.554Z"),
            Some(1_790_749_812)
        );
    }

    #[test]
    fn space_separator_without_offset_is_utc() {
        assert_eq!(parse_timestamp("1970-01-02 00:00:00"), Some(86_400));
    }

    #[test]
    fn jira_format() {
        assert_eq!(parse_timestamp("01/Jan/1970 12:00 AM"), Some(0));
        assert_eq!(
            parse_timestamp("01/Jan/1970 1:30 PM"),
            Some(13 * 3600 + 1800)
        );
        assert_eq!(
            parse_timestamp("30/Sep/26 6:30 AM"),
            parse_timestamp("2026-09-30T06:30:00Z")
        );
    }

    #[test]
    fn invalid_values() {
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_timestamp("2026-01-01T00:00:00+1"), None);
    }
}
