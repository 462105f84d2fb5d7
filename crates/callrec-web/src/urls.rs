//! Every address the portal serves, once. The routers mount these paths,
//! redirects and links are built from them, and the route matrix (the
//! HTTP tests' `routes`) proves every one of them for every kind of user.
//! A route's methods are written here and in its router; the matrix checks
//! that the two agree.

macro_rules! routes {
    ($($name:ident => $path:literal [$($method:ident),+];)*) => {
        /// A route the portal serves.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum Route {
            $($name),*
        }

        impl Route {
            pub const ALL: &'static [Route] = &[$(Route::$name),*];

            /// The route as the router matches it (`{id}` for a part).
            pub const fn path(self) -> &'static str {
                match self {
                    $(Route::$name => $path),*
                }
            }

            /// The HTTP methods it answers.
            pub fn methods(self) -> &'static [&'static str] {
                match self {
                    $(Route::$name => &[$(stringify!($method)),+]),*
                }
            }
        }
    };
}

routes! {
    Root => "/" [GET];
    Home => "/home" [GET];
    Login => "/login" [GET, POST];
    SsoStart => "/sso/start" [POST];
    SsoCallback => "/sso/callback" [GET];
    ScimServiceProviderConfig => "/scim/v2/ServiceProviderConfig" [GET];
    ScimResourceTypes => "/scim/v2/ResourceTypes" [GET];
    ScimResourceType => "/scim/v2/ResourceTypes/{id}" [GET];
    ScimSchemas => "/scim/v2/Schemas" [GET];
    ScimSchema => "/scim/v2/Schemas/{id}" [GET];
    ScimUsers => "/scim/v2/Users" [GET, POST];
    ScimSearch => "/scim/v2/.search" [POST];
    ScimUsersSearch => "/scim/v2/Users/.search" [POST];
    ScimGroupsSearch => "/scim/v2/Groups/.search" [POST];
    ScimUser => "/scim/v2/Users/{id}" [GET, PUT, PATCH, DELETE];
    ScimGroups => "/scim/v2/Groups" [GET, POST];
    ScimGroup => "/scim/v2/Groups/{id}" [GET, PUT, PATCH, DELETE];
    ScimUnknown => "/scim/v2/{*rest}" [GET, POST, PUT, PATCH, DELETE];
    Logout => "/logout" [POST];
    ChoosePassword => "/choose-password" [GET, POST];
    ForgottenPassword => "/forgotten-password" [GET, POST];
    ResetPassword => "/reset-password" [GET, POST];
    Mfa => "/mfa" [GET];
    MfaRegister => "/mfa/register" [POST];
    MfaRegisterConfirm => "/mfa/register/confirm" [POST];
    MfaVerify => "/mfa/verify" [POST];
    MfaRecovery => "/mfa/recovery" [POST];
    RecoveryCodesSaved => "/mfa/recovery-codes/saved" [POST];
    KeySignInOptions => "/mfa/security-key/options" [POST];
    KeySignIn => "/mfa/security-key" [POST];
    RegisterNow => "/mfa/register-now" [POST];
    MyAccount => "/my-account" [GET];
    MyPassword => "/my-account/password" [POST];
    MyTimeZone => "/my-account/time-zone" [POST];
    MySsoLink => "/my-account/sso-link" [POST];
    MyMfa => "/my-mfa" [POST];
    SecurityKeys => "/my-mfa/security-keys" [GET, POST];
    SecurityKeyOptions => "/my-mfa/security-keys/options" [POST];
    ConfirmKeyOptions => "/my-mfa/confirm-key/options" [POST];
    SecurityKeyRemove => "/my-mfa/security-keys/{id}/remove" [POST];
    NewRecoveryCodes => "/my-mfa/recovery-codes" [POST];
    Users => "/users" [GET, POST];
    User => "/users/{id}" [POST];
    UserResetMfa => "/users/{id}/reset-mfa" [POST];
    Teams => "/teams" [GET, POST];
    TeamRename => "/teams/{id}/rename" [POST];
    TeamStatus => "/teams/{id}/status" [POST];
    Companies => "/companies" [GET, POST];
    CompanyRename => "/companies/{id}/rename" [POST];
    CompanyStatus => "/companies/{id}/status" [POST];
    CompanySettings => "/company-settings" [GET, POST];
    CancelRetention => "/company-settings/cancel-retention" [POST];
    CompanyTags => "/company-settings/tags" [POST];
    CompanyCapture => "/company-settings/capture" [POST];
    CompanyNumbers => "/company-settings/numbers" [POST];
    CompanyTranscription => "/company-settings/transcription" [POST];
    CompanySso => "/company-settings/sso" [POST];
    CompanyMfa => "/company-mfa" [GET, POST];
    CompanyMfaRemind => "/company-mfa/remind" [POST];
    ApiTokens => "/api-tokens" [GET, POST];
    ApiTokenRevoke => "/api-tokens/{id}/revoke" [POST];
    Recordings => "/recordings" [GET];
    Recording => "/recordings/{id}" [GET];
    RecordingAudio => "/recordings/{id}/audio" [GET];
    RecordingDownload => "/recordings/{id}/download" [GET];
    RecordingWaveform => "/recordings/{id}/waveform" [GET];
    RecordingNotes => "/recordings/{id}/notes" [POST];
    RecordingTranscript => "/recordings/{id}/transcript" [GET, POST];
    RecordingTags => "/recordings/{id}/tags" [POST];
    RecordingDelete => "/recordings/{id}/delete" [POST];
    RecordingHold => "/recordings/{id}/hold" [POST];
    RecordingRelease => "/recordings/{id}/release" [POST];
    HoldMatching => "/recordings/holds" [POST];
    DownloadSelected => "/recordings/download" [POST];
    HoldSelected => "/recordings/selected/hold" [POST];
    DeleteSelected => "/recordings/selected/delete" [POST];
    TagSelected => "/recordings/selected/tag" [POST];
    DeletedRecordings => "/recordings/deleted" [GET];
    RecordingRestore => "/recordings/deleted/{id}/restore" [POST];
    Reports => "/reports" [GET];
    AuditCsv => "/reports/audit.csv" [GET];
    CallReport => "/reports/calls" [GET];
    CallReportCsv => "/reports/calls.csv" [GET];
    ApiRecordings => "/api/v1/recordings" [GET, POST];
    ApiRecording => "/api/v1/recordings/{id}" [GET];
    ApiRecordingAudio => "/api/v1/recordings/{id}/audio" [GET];
    ApiRecordingNotes => "/api/v1/recordings/{id}/notes" [GET, POST];
    ApiRecordingTranscript => "/api/v1/recordings/{id}/transcript" [GET];
    ApiUsers => "/api/v1/users" [GET];
    ApiTeams => "/api/v1/teams" [GET];
    ApiAudit => "/api/v1/audit" [GET];
    ApiDescription => "/api/v1/openapi.json" [GET];
    ApiDocs => "/api/docs" [GET];
    ApiUnknown => "/api/v1/{*rest}" [GET];
    StyleSheet => "/assets/app.css" [GET];
    Script => "/assets/app.js" [GET];
    Icon => "/favicon.ico" [GET];
    Healthz => "/healthz" [GET];
    Readyz => "/readyz" [GET];
    Metrics => "/metrics" [GET];
}

impl Route {
    /// The address of the route for the thing `id` (its `{id}` filled in).
    pub fn with_id(self, id: impl std::fmt::Display) -> String {
        self.path().replace("{id}", &id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique_and_absolute() {
        let mut seen = std::collections::BTreeSet::new();
        for route in Route::ALL {
            assert!(route.path().starts_with('/'), "{route:?}");
            assert!(seen.insert(route.path()), "{route:?} twice");
            assert!(!route.methods().is_empty());
        }
        assert_eq!(
            Route::RecordingAudio.with_id("ab12"),
            "/recordings/ab12/audio"
        );
    }
}
