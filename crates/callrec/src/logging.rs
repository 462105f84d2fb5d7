//! Log lines on standard error: `CALLREC_LOG_FORMAT=json` (one object per
//! line, with the request's span — id, method, route, user — for a log
//! shipper) or `text`; by default text on a terminal and json otherwise,
//! and never colour codes where output is not a terminal.
//! `CALLREC_LOG` filters (default `info,sqlx=warn`).

use crate::error::CliError;
use std::io::IsTerminal;
use std::sync::OnceLock;
use tracing_subscriber::EnvFilter;

/// Whether lines are JSON (set once, by `init`).
static JSON: OnceLock<bool> = OnceLock::new();

/// Lines for the person who started callrec — the address, a first
/// password, the demo logins — on standard output: plain text, or under
/// JSON logging one JSON object a line, shaped like the log's, so every
/// line a log shipper reads parses.
pub fn say(text: &str) {
    if !JSON.get().copied().unwrap_or(false) {
        println!("{text}");
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    for line in text.lines() {
        println!("{}", json_line(now, line));
    }
}

fn json_line(unix_ms: i64, message: &str) -> serde_json::Value {
    serde_json::json!({
        "timestamp": callrec_domain::time::format_rfc3339_ms(unix_ms),
        "level": "INFO",
        "fields": { "message": message },
        "target": "callrec::console",
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogFormat {
    Json,
    Text,
}

fn format(setting: Option<&str>, terminal: bool) -> Result<LogFormat, CliError> {
    match setting.map(str::trim) {
        None | Some("") => Ok(if terminal {
            LogFormat::Text
        } else {
            LogFormat::Json
        }),
        Some(text) if text.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
        Some(text) if text.eq_ignore_ascii_case("text") => Ok(LogFormat::Text),
        Some(other) => Err(CliError::Usage(format!(
            "--log-format / CALLREC_LOG_FORMAT must be json or text (got {other:?})"
        ))),
    }
}

pub fn init(setting: Option<&str>) -> Result<(), CliError> {
    let terminal = std::io::stderr().is_terminal();
    let filter =
        EnvFilter::try_from_env("CALLREC_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let format = format(setting, terminal)?;
    let _ = JSON.set(format == LogFormat::Json);
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => builder.with_ansi(terminal).init(),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_off_a_terminal_and_text_on_one_unless_told() {
        assert_eq!(format(None, false).unwrap(), LogFormat::Json);
        assert_eq!(format(None, true).unwrap(), LogFormat::Text);
        assert_eq!(format(Some("TEXT"), false).unwrap(), LogFormat::Text);
        assert_eq!(format(Some(" json "), true).unwrap(), LogFormat::Json);
        let err = format(Some("xml"), true).unwrap_err().to_string();
        assert!(err.contains("json or text"), "{err}");
    }

    #[test]
    fn console_lines_are_json_objects_in_json_mode() {
        let line = json_line(0, "callrec is serving http://127.0.0.1:8080 (\"x\")").to_string();
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            parsed["fields"]["message"],
            "callrec is serving http://127.0.0.1:8080 (\"x\")"
        );
        assert_eq!(parsed["timestamp"], "1970-01-01T00:00:00.000Z");
    }
}
