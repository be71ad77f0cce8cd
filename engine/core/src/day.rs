//! Calendar days. Evidence is valid per day: the core compares days since 1970-01-01 (UTC) and
//! never reads the clock; the request says what day it is.

use jiff::civil::Date;

/// A calendar day, counted from 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Day(i64);

const EPOCH: Date = Date::constant(1970, 1, 1);

impl Day {
    /// Parse `YYYY-MM-DD` or an RFC 3339 timestamp (its UTC day).
    pub fn parse(s: &str) -> Result<Day, String> {
        let date = if s.len() == 10 {
            s.parse::<Date>().map_err(|e| format!("`{s}` is not a date (YYYY-MM-DD): {e}"))?
        } else {
            let ts = s
                .parse::<jiff::Timestamp>()
                .map_err(|e| format!("`{s}` is not a date or an RFC 3339 timestamp: {e}"))?;
            ts.to_zoned(jiff::tz::TimeZone::UTC).date()
        };
        Ok(Day::from_date(date))
    }

    fn from_date(date: Date) -> Day {
        // Dates are within jiff's range (years -9999..=9999), so the difference in days fits.
        let days = date.since(EPOCH).map(|span| span.get_days()).unwrap_or_default();
        Day(i64::from(days))
    }

    /// The day with this number (days since 1970-01-01), as policies see it.
    pub fn from_number(n: i64) -> Day {
        Day(n)
    }

    /// This day plus `n` days.
    pub fn plus(self, n: i64) -> Day {
        Day(self.0.saturating_add(n))
    }

    /// Days since 1970-01-01.
    pub fn number(self) -> i64 {
        self.0
    }

    /// `YYYY-MM-DD`.
    pub fn iso(self) -> String {
        i32::try_from(self.0)
            .ok()
            .and_then(|d| jiff::Span::new().try_days(d).ok())
            .and_then(|span| EPOCH.checked_add(span).ok())
            .map(|d| d.to_string())
            .unwrap_or_else(|| format!("day {}", self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_timestamps_to_the_same_day() {
        let a = Day::parse("2026-11-22").unwrap_or_else(|e| unreachable!("{e}"));
        let b = Day::parse("2026-11-22T23:59:59Z").unwrap_or_else(|e| unreachable!("{e}"));
        let c = Day::parse("2026-11-23T00:30:00+01:00").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.iso(), "2026-11-22");
        assert_eq!(Day::parse("1970-01-02").map(Day::number), Ok(1));
    }

    #[test]
    fn rejects_nonsense() {
        assert!(Day::parse("2026-02-30").is_err());
        assert!(Day::parse("yesterday").is_err());
    }
}
