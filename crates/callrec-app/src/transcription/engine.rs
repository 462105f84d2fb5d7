//! The speech engine: any server answering the OpenAI-compatible
//! `POST {base}/audio/transcriptions` (faster-whisper servers, whisper.cpp,
//! LocalAI, vLLM, hosted services). One channel of a call goes in as a
//! WAV file; its words with their times come back. The API key is sent
//! as a bearer token and is never logged or printed.

use std::time::Duration;

/// `CALLREC_TRANSCRIBE_*`: where the engine is and how to ask it.
#[derive(Clone)]
pub struct EngineSettings {
    /// The API base, e.g. `http://asr.internal:8000/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub language: String,
    /// How long one request may take (a long call on a slow engine).
    pub timeout: Duration,
}

/// Never prints the key.
impl std::fmt::Debug for EngineSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSettings")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "(set)"))
            .field("language", &self.language)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// One word as the engine heard it, with when (ms from the start of the
/// audio sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeardWord {
    pub text: String,
    pub start_ms: u32,
    pub end_ms: u32,
}

/// Why the engine gave no transcript: each is retried later, none is
/// shown to a user as more than "Transcript failed".
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the speech engine cannot be reached ({0})")]
    Unreachable(String),
    #[error("the speech engine took longer than {0:?}")]
    TimedOut(Duration),
    #[error("the speech engine answered {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("the speech engine's answer is not a transcript: {0}")]
    Garbage(String),
}

/// The most words one answer may hold (8 hours of fast speech is about
/// 100,000), and the longest word.
const MAX_WORDS: usize = 200_000;
const MAX_WORD_CHARS: usize = 100;
/// The largest answer read from an engine.
const MAX_ANSWER_BYTES: usize = 64_000_000;
/// The most of an error body kept in a message.
const MAX_MESSAGE_CHARS: usize = 200;

/// A client of one engine.
#[derive(Debug, Clone)]
pub struct Engine {
    settings: EngineSettings,
    http: reqwest::Client,
}

impl Engine {
    pub fn new(settings: EngineSettings) -> Engine {
        // No redirects: a call's audio goes to the configured engine only.
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Engine { settings, http }
    }

    /// How long one request may take.
    pub fn timeout(&self) -> Duration {
        self.settings.timeout
    }

    /// The words said in `wav` (one party's channel), in order.
    pub async fn transcribe(&self, wav: Vec<u8>) -> Result<Vec<HeardWord>, EngineError> {
        let url = format!(
            "{}/audio/transcriptions",
            self.settings.base_url.trim_end_matches('/')
        );
        let file = reqwest::multipart::Part::bytes(wav)
            .file_name("channel.wav")
            .mime_str("audio/wav")
            .map_err(|err| EngineError::Garbage(err.to_string()))?;
        let form = reqwest::multipart::Form::new()
            .part("file", file)
            .text("model", self.settings.model.clone())
            .text("response_format", "verbose_json")
            .text("timestamp_granularities[]", "word")
            .text("language", self.settings.language.clone());
        let mut request = self.http.post(&url).multipart(form);
        if let Some(key) = &self.settings.api_key {
            request = request.bearer_auth(key);
        }
        let mut response = request.send().await.map_err(|err| self.failed(err))?;
        let status = response.status();
        // Read a piece at a time, up to a bound: an engine's answer for
        // one party of a long call is a few MB.
        let mut body = Vec::new();
        while let Some(piece) = response.chunk().await.map_err(|err| self.failed(err))? {
            if body.len() + piece.len() > MAX_ANSWER_BYTES {
                return Err(EngineError::Garbage(format!(
                    "an answer of more than {} MB",
                    MAX_ANSWER_BYTES / 1_000_000
                )));
            }
            body.extend_from_slice(&piece);
        }
        if !status.is_success() {
            return Err(EngineError::Refused {
                status: status.as_u16(),
                message: message_of(&body),
            });
        }
        words_of(&body)
    }

    fn failed(&self, err: reqwest::Error) -> EngineError {
        if err.is_timeout() {
            EngineError::TimedOut(self.settings.timeout)
        } else {
            // Without the URL's query or credentials: the error's own words.
            EngineError::Unreachable(err.without_url().to_string())
        }
    }
}

/// An error body's message (OpenAI's `{"error": {"message": …}}`, or the
/// start of the text), on one line.
fn message_of(body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let text = parsed
        .as_ref()
        .and_then(|v| v.pointer("/error/message").or_else(|| v.get("detail")))
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect()
}

/// The words of a `verbose_json` answer: its `words`, else its segments'
/// `words` (servers that nest them there).
fn words_of(body: &[u8]) -> Result<Vec<HeardWord>, EngineError> {
    let garbage = |why: &str| EngineError::Garbage(why.to_string());
    let answer: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| garbage("not JSON"))?;
    let listed: Vec<&serde_json::Value> = match answer.get("words").and_then(|w| w.as_array()) {
        Some(words) => words.iter().collect(),
        None => answer
            .get("segments")
            .and_then(|s| s.as_array())
            .ok_or_else(|| garbage("neither words nor segments"))?
            .iter()
            .filter_map(|segment| segment.get("words").and_then(|w| w.as_array()))
            .flatten()
            .collect(),
    };
    if listed.len() > MAX_WORDS {
        return Err(garbage("too many words"));
    }
    let seconds = |value: Option<&serde_json::Value>| -> Result<u32, EngineError> {
        let seconds = value
            .and_then(|v| v.as_f64())
            .filter(|s| s.is_finite() && (0.0..=86_400.0).contains(s))
            .ok_or_else(|| garbage("a word without a time"))?;
        Ok((seconds * 1000.0).round() as u32)
    };
    let mut words = Vec::with_capacity(listed.len());
    for word in listed {
        let text = word
            .get("word")
            .and_then(|w| w.as_str())
            .ok_or_else(|| garbage("a word without text"))?
            .trim();
        if text.is_empty() {
            continue;
        }
        if text.chars().count() > MAX_WORD_CHARS || text.chars().any(char::is_control) {
            return Err(garbage("a word that is not one"));
        }
        let (start_ms, end_ms) = (seconds(word.get("start"))?, seconds(word.get("end"))?);
        if end_ms < start_ms {
            return Err(garbage("a word that ends before it starts"));
        }
        words.push(HeardWord {
            text: text.to_string(),
            start_ms,
            end_ms,
        });
    }
    words.sort_by_key(|w| w.start_ms);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_read_from_either_place_and_checked() {
        let top = br#"{"text":"hi there","words":[{"word":" there","start":0.5,"end":0.9},{"word":"Hi","start":0.1,"end":0.4}]}"#;
        let words = words_of(top).unwrap();
        assert_eq!(
            words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
            ["Hi", "there"]
        );
        assert_eq!((words[1].start_ms, words[1].end_ms), (500, 900));
        let nested = br#"{"segments":[{"words":[{"word":"one","start":1,"end":1.25}]},{"text":"no words"}]}"#;
        assert_eq!(words_of(nested).unwrap()[0].end_ms, 1250);
        for bad in [
            &b"not json"[..],
            br#"{"text":"only text"}"#,
            br#"{"words":[{"word":"x","start":"soon","end":1}]}"#,
            br#"{"words":[{"word":"x","start":2,"end":1}]}"#,
            br#"{"words":[{"word":"x","start":-1,"end":1}]}"#,
            br#"{"words":[{"start":0,"end":1}]}"#,
        ] {
            assert!(
                matches!(words_of(bad), Err(EngineError::Garbage(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn an_error_says_the_engine_s_message_on_one_line() {
        assert_eq!(
            message_of(br#"{"error":{"message":"model not found"}}"#),
            "model not found"
        );
        assert_eq!(message_of(b"Bad\ngateway"), "Bad gateway");
        assert_eq!(message_of(&[b'x'; 1000]).len(), MAX_MESSAGE_CHARS);
    }

    #[test]
    fn the_key_is_never_printed() {
        let settings = EngineSettings {
            base_url: "http://asr/v1".into(),
            model: "whisper-1".into(),
            api_key: Some("sk-very-secret".into()),
            language: "en".into(),
            timeout: Duration::from_secs(1),
        };
        assert!(!format!("{settings:?}").contains("very-secret"));
        assert!(!format!("{:?}", Engine::new(settings)).contains("very-secret"));
    }
}
