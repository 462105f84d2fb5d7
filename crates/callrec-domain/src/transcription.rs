//! Transcription's rules (issue 28): a company's choices (Company
//! settings → Transcription and → Redaction), a job's states, and when a
//! failed attempt is tried again.

/// Company settings → Redaction: what card numbers are taken out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Redaction {
    /// Transcripts keep what was said, card numbers too.
    Off,
    /// Card numbers are replaced in the transcript and never indexed.
    #[default]
    Transcript,
    /// And silenced in the audio served (the original destroyed unless on
    /// hold).
    TranscriptAndAudio,
}

impl Redaction {
    pub const ALL: [Redaction; 3] = [
        Redaction::Off,
        Redaction::Transcript,
        Redaction::TranscriptAndAudio,
    ];

    /// As stored, on forms and on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Redaction::Off => "off",
            Redaction::Transcript => "transcript",
            Redaction::TranscriptAndAudio => "audio",
        }
    }

    pub fn parse(code: &str) -> Option<Redaction> {
        Redaction::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The dropdown's words.
    pub fn label(self) -> &'static str {
        match self {
            Redaction::Off => "Off",
            Redaction::Transcript => "Transcript only",
            Redaction::TranscriptAndAudio => "Transcript and audio",
        }
    }

    /// Whether card numbers come out of the transcript.
    pub fn of_transcript(self) -> bool {
        self != Redaction::Off
    }
}

/// Where a recording's transcript stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for a node (or for its next try after a failure).
    Queued,
    Done,
    /// Given up after [`GIVE_UP_SECONDS`]; "Retry" queues it again.
    Failed,
}

impl JobState {
    pub fn code(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(code: &str) -> Option<JobState> {
        [JobState::Queued, JobState::Done, JobState::Failed]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// A job still failing this long after it was queued is given up.
pub const GIVE_UP_SECONDS: i64 = 86_400;
/// The longest wait between two tries.
const MAX_RETRY_SECONDS: i64 = 3_600;

/// How long after its `attempts`-th failed try a job is tried again: 30 s,
/// doubling, at most an hour (an engine down for a night is tried about
/// once an hour, not hammered).
pub fn retry_after(attempts: u32) -> i64 {
    let doubled = 30i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    doubled.min(MAX_RETRY_SECONDS)
}

/// Whether a job queued at `queued_at` and failing again at `now` is
/// given up.
pub fn gives_up(queued_at: i64, now: i64) -> bool {
    now - queued_at >= GIVE_UP_SECONDS
}

/// The most days `--backfill-days` and the form go back.
pub const MAX_BACKFILL_DAYS: u32 = 3_650;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back() {
        for r in Redaction::ALL {
            assert_eq!(Redaction::parse(r.code()), Some(r));
        }
        assert_eq!(
            Redaction::parse("audio"),
            Some(Redaction::TranscriptAndAudio)
        );
        assert_eq!(Redaction::parse("Audio"), None);
        assert!(!Redaction::Off.of_transcript());
        for s in [JobState::Queued, JobState::Done, JobState::Failed] {
            assert_eq!(JobState::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn tries_back_off_to_an_hour_and_give_up_after_a_day() {
        let waits: Vec<i64> = (1..=9).map(retry_after).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(retry_after(u32::MAX), 3600);
        assert!(!gives_up(1000, 1000 + 86_399));
        assert!(gives_up(1000, 1000 + 86_400));
    }
}
