//! Reading a JSON object into a contract type, with the line and column of what is wrong.

use serde::de::DeserializeOwned;

/// What is wrong with a JSON text, and where.
pub(crate) struct JsonProblem {
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
    /// What is wrong.
    pub message: String,
}

impl From<serde_json::Error> for JsonProblem {
    fn from(e: serde_json::Error) -> Self {
        let (line, column) = (e.line() as u64, e.column() as u64);
        // serde_json ends its message with the place, which the error gives apart.
        let text = e.to_string();
        let message = text.strip_suffix(&at(line, column)).unwrap_or(&text).to_owned();
        JsonProblem { line, column, message }
    }
}

/// Reads `text` as a `T`, which must be written as a JSON object (serde would also read a
/// struct from an array, by position).
pub(crate) fn from_object<T: DeserializeOwned>(text: &str) -> Result<T, JsonProblem> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    if !value.is_object() {
        return Err(JsonProblem { line: 1, column: 1, message: "expected a JSON object".to_owned() });
    }
    Ok(serde_json::from_str(text)?)
}

/// ` at line L column C`, or nothing when the place is unknown (line 0).
pub(crate) fn at(line: u64, column: u64) -> String {
    if line == 0 { String::new() } else { format!(" at line {line} column {column}") }
}
