//! Log lines on standard error: `CALLREC_LOG_FORMAT=json` (one object per
//! line, with the request's span — id, method, route, user — for a log
//! shipper) or `text`; by default text on a terminal and json otherwise,
//! and never colour codes where output is not a terminal.
//! `CALLREC_LOG` filters (default `info,sqlx=warn`).

use crate::error::CliError;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

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
    match format(setting, terminal)? {
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
}
