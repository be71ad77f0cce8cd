//! Line numbers of CSV records, counted from their byte offsets.
//!
//! The csv crate's `Position::line` is one short after CRLF line endings (rust-csv issue #395)
//! and after blank lines (#208), and spreadsheet exports use CRLF; so the line of a record is
//! counted here from its byte offset, which the crate gets right.

/// Counts line breaks (`\n`, `\r\n`, a lone `\r`) up to increasing byte offsets.
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// A counter over the text the reader reads.
    pub(crate) fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        LineCounter { bytes, offset: 0, line: 1 }
    }

    /// The 1-based line of the record the csv crate says starts at `byte`: line breaks and blank
    /// lines at that offset are skipped first, since the crate may count a record from the line
    /// break before it. Offsets must not decrease between calls.
    pub(crate) fn record_line(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len());
        while self.bytes.get(start).is_some_and(|b| *b == b'\n' || *b == b'\r') {
            start += 1;
        }
        if start > self.offset {
            // Offsets never fall inside a `\r\n`: both this one and the last skipped past it.
            let seen = self.bytes.get(self.offset..start).unwrap_or_default();
            let lone_cr = |i: usize| self.bytes.get(self.offset + i + 1) != Some(&b'\n');
            let breaks = seen.iter().enumerate().filter(|(i, b)| **b == b'\n' || (**b == b'\r' && lone_cr(*i))).count();
            self.line += u64::try_from(breaks).unwrap_or(u64::MAX);
            self.offset = start;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    /// Each record's first field is the line it starts on.
    fn check(text: &str) {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut lines = LineCounter::new(text.as_bytes());
        for record in reader.records() {
            let record = record.unwrap();
            let expected: u64 = record.get(0).unwrap().trim().parse().unwrap();
            assert_eq!(lines.record_line(record.position().unwrap().byte()), expected, "{text:?}");
        }
    }

    #[test]
    fn lines_of_records() {
        check("1\n2\n3,\"a\nb\"\n5\n");
        check("1\r\n2\r\n3,\"a\r\nb\"\r\n5\r\n");
        check("1\r\n\r\n3\r\n\n\n6\n");
        check("1\r2\r3,\"a\rb\"\r5\r");
        check("1\n2,\"\n\n\"\n5\r\n6");
    }
}
