//! The audit log's catalogue of actions: what can happen, the code stored
//! for it and the label Reports shows.

macro_rules! audit_actions {
    ($($variant:ident => $code:literal, $label:literal;)*) => {
        /// What happened. The code is stored; the label is shown in Reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum AuditAction { $($variant),* }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $(AuditAction::$variant => $code),* }
            }

            pub fn label(self) -> &'static str {
                match self { $(AuditAction::$variant => $label),* }
            }

            pub fn from_code(code: &str) -> Option<AuditAction> {
                match code { $($code => Some(AuditAction::$variant),)* _ => None }
            }
        }
    };
}

audit_actions! {
    SignInSucceeded => "sign_in.succeeded", "Signed in";
    SignInFailed => "sign_in.failed", "Sign-in failed";
    SignInThrottled => "sign_in.throttled", "Sign-in throttled";
    SignedOut => "signed_out", "Signed out";
    SsoChanged => "company.sso_changed", "Single sign-on changed";
    CompanyCreated => "company.created", "Company created";
    CompanyRenamed => "company.renamed", "Company renamed";
    CompanyDisabled => "company.disabled", "Company disabled";
    CompanyEnabled => "company.enabled", "Company enabled";
    CompanySettingsChanged => "company.settings_changed", "Company settings changed";
    TeamCreated => "team.created", "Team created";
    TeamRenamed => "team.renamed", "Team renamed";
    TeamDisabled => "team.disabled", "Team disabled";
    TeamEnabled => "team.enabled", "Team enabled";
    UserCreated => "user.created", "User created";
    UserChanged => "user.changed", "User changed";
    RolesChanged => "user.roles_changed", "Roles changed";
    PasswordChanged => "user.password_changed", "Password changed";
    PasswordChangeRefused => "user.password_change_refused", "Password change refused";
    PasswordResetRequested => "user.password_reset_requested", "Password reset link requested";
    MfaPolicyChanged => "mfa.policy_changed", "Company MFA changed";
    MfaOptedIn => "mfa.opted_in", "MFA turned on (self)";
    MfaOptedOut => "mfa.opted_out", "MFA turned off (self)";
    MfaRegistrationStarted => "mfa.registration_started", "MFA registration started";
    MfaRegistrationConfirmed => "mfa.registration_confirmed", "MFA registered";
    MfaCodeAccepted => "mfa.code_accepted", "MFA code accepted";
    MfaCodeRefused => "mfa.code_refused", "MFA code refused";
    MfaCodeReplayed => "mfa.code_replayed", "MFA code replayed";
    MfaAttemptEnded => "mfa.attempt_ended", "MFA sign-in attempt ended";
    MfaLocked => "mfa.locked", "MFA locked";
    MfaOwnReset => "mfa.own_reset", "MFA reset (self)";
    MfaReset => "mfa.reset", "MFA reset by administrator";
    MfaRemindersSent => "mfa.reminders_sent", "MFA reminders sent";
    MfaRecoveryCodesCreated => "mfa.recovery_codes_created", "MFA recovery codes made";
    MfaRecoveryCodeUsed => "mfa.recovery_code_used", "MFA recovery code used";
    MfaKeyAdded => "mfa.key_added", "Security key added";
    MfaKeyRemoved => "mfa.key_removed", "Security key removed";
    MfaKeyUsed => "mfa.key_used", "Security key used";
    MfaKeyRefused => "mfa.key_refused", "Security key refused";
    RecordingIngested => "recording.ingested", "Recording received";
    RecordingCaptured => "recording.captured", "Call captured";
    CaptureSourceAdded => "capture.source_added", "Recording source added";
    CaptureSourceRemoved => "capture.source_removed", "Recording source removed";
    CaptureCredentialsChanged => "capture.credentials_changed", "Recording source credentials changed";
    NumbersAdded => "company.numbers_added", "Numbers added";
    NumbersRemoved => "company.numbers_removed", "Numbers removed";
    TranscriptionChanged => "company.transcription_changed", "Transcription settings changed";
    RecordingPlayed => "recording.played", "Recording played";
    TranscriptRead => "recording.transcript_read", "Transcript read";
    TranscriptDownloaded => "recording.transcript_downloaded", "Transcript downloaded";
    TranscriptionQueued => "recording.transcription_queued", "Transcript queued again";
    AudioRedacted => "recording.audio_redacted", "Audio redacted";
    RecordingDownloaded => "recording.downloaded", "Recording downloaded";
    RecordingDeleted => "recording.deleted", "Recording deleted";
    RecordingRestored => "recording.restored", "Recording restored";
    RecordingTagsChanged => "recording.tags_changed", "Tags changed";
    NoteAdded => "recording.note_added", "Note added";
    NoteChanged => "recording.note_changed", "Note changed";
    NoteDeleted => "recording.note_deleted", "Note deleted";
    RecordingsPurged => "recording.purged", "Recordings purged";
    HoldPlaced => "recording.hold_placed", "Legal hold placed";
    HoldReleased => "recording.hold_released", "Legal hold released";
    RecordingsDownloaded => "recording.bulk_downloaded", "Recordings downloaded (ZIP)";
    CallReportExported => "report.calls_exported", "Call detail report exported";
    DataKeyRotated => "company.data_key_rotated", "Audio data key rotated";
    SecretsReencrypted => "keys.reencrypted", "Secrets re-encrypted with a new master key";
    RecordingIntegrityFailed => "recording.integrity_failed", "Recording integrity failure";
    AuditExported => "audit.exported", "Audit report exported";
    TokenCreated => "token.created", "API token created";
    TokenRevoked => "token.revoked", "API token revoked";
    ApiRead => "api.read", "Read through the API";
}
