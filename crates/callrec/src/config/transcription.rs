//! The speech engine's settings (`callrec serve`, issue 28): off unless
//! `CALLREC_TRANSCRIBE_URL` names one.

use super::{positive, Config};
use crate::cli::ServeArgs;
use crate::error::CliError;
use callrec_app::transcription::engine::EngineSettings;
use callrec_app::transcription::TranscriptionSettings;
use std::time::Duration;

const DEFAULT_MODEL: &str = "whisper-1";
const DEFAULT_LANGUAGE: &str = "en";
const DEFAULT_CONCURRENCY: usize = 1;
const DEFAULT_TIMEOUT_SECONDS: u64 = 600;
/// More calls at once than this per node is a typo.
const MAX_CONCURRENCY: usize = 64;

impl Config {
    pub(super) fn transcription(
        &self,
        args: &ServeArgs,
    ) -> Result<Option<TranscriptionSettings>, CliError> {
        let file = &self.file;
        let Some(url) = args
            .transcribe_url
            .clone()
            .or(file.transcribe_url.clone())
            .map(|url| url.trim().to_string())
            .filter(|url| !url.is_empty())
        else {
            return Ok(None);
        };
        let parsed = engine_url(&url)?;
        let model = args
            .transcribe_model
            .clone()
            .or(file.transcribe_model.clone())
            .unwrap_or_else(|| DEFAULT_MODEL.to_string());
        if model.trim().is_empty() || model.len() > 200 || model.chars().any(char::is_control) {
            return Err(CliError::Usage(
                "--transcribe-model / CALLREC_TRANSCRIBE_MODEL must be a model name of 1 to 200 characters".into(),
            ));
        }
        let language = args
            .transcribe_language
            .clone()
            .or(file.transcribe_language.clone())
            .unwrap_or_else(|| DEFAULT_LANGUAGE.to_string());
        if !(2..=3).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(CliError::Usage(format!(
                "--transcribe-language / CALLREC_TRANSCRIBE_LANGUAGE must be a language code such as en or de (got {language:?})"
            )));
        }
        let concurrency = positive(
            args.transcribe_concurrency.or(file.transcribe_concurrency),
            DEFAULT_CONCURRENCY,
            "--transcribe-concurrency / CALLREC_TRANSCRIBE_CONCURRENCY",
        )?;
        if concurrency > MAX_CONCURRENCY {
            return Err(CliError::Usage(format!(
                "--transcribe-concurrency / CALLREC_TRANSCRIBE_CONCURRENCY must be at most {MAX_CONCURRENCY} (got {concurrency})"
            )));
        }
        let timeout = positive(
            args.transcribe_timeout_seconds
                .or(file.transcribe_timeout_seconds),
            DEFAULT_TIMEOUT_SECONDS,
            "--transcribe-timeout-seconds / CALLREC_TRANSCRIBE_TIMEOUT_SECONDS",
        )?;
        let api_key = args
            .transcribe_api_key
            .clone()
            .filter(|key| !key.is_empty());
        Ok(Some(TranscriptionSettings {
            engine: EngineSettings {
                base_url: parsed,
                model: model.trim().to_string(),
                api_key,
                language,
                timeout: Duration::from_secs(timeout),
            },
            concurrency,
        }))
    }
}

/// The engine's base URL, checked: http or https with a host, and no
/// credentials in it (they would be printed with it: the key goes in
/// CALLREC_TRANSCRIBE_API_KEY).
fn engine_url(url: &str) -> Result<String, CliError> {
    let authority = url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split('/')
        .next()
        .unwrap_or("");
    if authority.contains('@') {
        return Err(CliError::Usage(
            "--transcribe-url / CALLREC_TRANSCRIBE_URL must not hold a user or password: give the engine's key in CALLREC_TRANSCRIBE_API_KEY".into(),
        ));
    }
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 2000
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
        && url
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !ok {
        return Err(CliError::Usage(format!(
            "--transcribe-url / CALLREC_TRANSCRIBE_URL must be the engine's API base, such as http://asr.internal:8000/v1 (got {url:?})"
        )));
    }
    Ok(url.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::engine_url;

    #[test]
    fn the_engine_url_is_checked_and_never_echoes_a_password() {
        assert_eq!(
            engine_url("http://asr.internal:8000/v1/").unwrap(),
            "http://asr.internal:8000/v1"
        );
        assert_eq!(
            engine_url("https://api.example.com/v1").unwrap(),
            "https://api.example.com/v1"
        );
        for bad in [
            "asr:8000",
            "ftp://asr/v1",
            "http:///v1",
            "http://asr /v1",
            "",
        ] {
            assert!(engine_url(bad).is_err(), "{bad}");
        }
        let refused = engine_url("http://me:s3cret@asr/v1")
            .unwrap_err()
            .to_string();
        assert!(
            !refused.contains("s3cret") && refused.contains("CALLREC_TRANSCRIBE_API_KEY"),
            "{refused}"
        );
    }
}
