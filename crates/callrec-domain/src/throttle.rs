//! Limits on guesses: what is counted, and what a wrong password or code
//! leads to. The counting itself happens in the database (one conditional
//! write per attempt), so these rules hold across nodes.

/// What a failure counter counts. The code is stored with the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThrottleScope {
    /// Failed passwords per username (lower-cased, existing or not).
    SignInAccount,
    /// Failed passwords per client address.
    SignInClient,
    /// Wrong codes in one sign-in (keyed by the half-signed-in session).
    MfaSignIn,
    /// Wrong codes per account; when full, MFA for the account is locked.
    MfaAccount,
    /// Entries audited once per window: plays per session (or token) and
    /// recording, an API token's reads per scope.
    PlayAudit,
    /// Forgotten-password requests per username or email typed (existing
    /// or not).
    ResetAccount,
    /// Forgotten-password requests per client address.
    ResetClient,
    /// Password links mailed per account (by user id).
    ResetUser,
    /// API requests per token (by token id).
    ApiToken,
}

impl ThrottleScope {
    pub fn code(self) -> &'static str {
        match self {
            ThrottleScope::SignInAccount => "account",
            ThrottleScope::SignInClient => "client",
            ThrottleScope::MfaSignIn => "mfa_attempt",
            ThrottleScope::MfaAccount => "mfa_account",
            ThrottleScope::PlayAudit => "play_audit",
            ThrottleScope::ResetAccount => "reset_account",
            ThrottleScope::ResetClient => "reset_client",
            ThrottleScope::ResetUser => "reset_user",
            ThrottleScope::ApiToken => "api_token",
        }
    }

    /// The word used in the audit log for a pause of this scope.
    pub fn label(self) -> &'static str {
        match self {
            ThrottleScope::SignInAccount => "account",
            ThrottleScope::SignInClient => "client address",
            ThrottleScope::MfaSignIn => "sign-in",
            ThrottleScope::MfaAccount => "account",
            ThrottleScope::PlayAudit => "play",
            ThrottleScope::ResetAccount => "account",
            ThrottleScope::ResetClient => "client address",
            ThrottleScope::ResetUser => "account",
            ThrottleScope::ApiToken => "API token",
        }
    }
}

/// What a wrong code leads to, given the counts that include it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongCode {
    /// Say so and ask again.
    TryAgain,
    /// This sign-in has used its tries: back to the password.
    AttemptEnded,
    /// The account used its hourly tries: MFA is locked for a while.
    Locked,
}

/// The lockout rule. `in_sign_in` and `in_hour` count the wrong codes of
/// this sign-in and of the account's hour, this one included; the lock
/// wins over ending the attempt because it is the stronger measure.
pub fn wrong_code(
    in_sign_in: i64,
    sign_in_limit: i64,
    in_hour: i64,
    hourly_limit: i64,
) -> WrongCode {
    if in_hour >= hourly_limit {
        WrongCode::Locked
    } else if in_sign_in >= sign_in_limit {
        WrongCode::AttemptEnded
    } else {
        WrongCode::TryAgain
    }
}

/// Why the sign-in page is shown again after a redirect (`?reason=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInReason {
    MfaAttempts,
    MfaLocked,
    /// Not a failure: a new password was chosen through a reset link.
    PasswordReset,
}

impl SignInReason {
    pub const ALL: [SignInReason; 3] = [
        SignInReason::MfaAttempts,
        SignInReason::MfaLocked,
        SignInReason::PasswordReset,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SignInReason::MfaAttempts => "mfa-attempts",
            SignInReason::MfaLocked => "mfa-locked",
            SignInReason::PasswordReset => "password-reset",
        }
    }

    pub fn from_code(code: &str) -> Option<SignInReason> {
        SignInReason::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            SignInReason::MfaAttempts => "Too many wrong codes. Sign in again to get a new try.",
            SignInReason::MfaLocked => "Too many wrong codes: MFA for this account is locked for a while. Try again later or ask your administrator.",
            SignInReason::PasswordReset => "Your new password is saved. Sign in with it.",
        }
    }

    /// Good news, shown as a notice rather than an error.
    pub fn is_notice(self) -> bool {
        self == SignInReason::PasswordReset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_code_table() {
        use WrongCode::*;
        // (in sign-in, sign-in limit, in hour, hourly limit, outcome)
        let table = [
            (1, 5, 1, 20, TryAgain),
            (4, 5, 19, 20, TryAgain),
            (5, 5, 5, 20, AttemptEnded),
            (3, 5, 20, 20, Locked),
            (5, 5, 20, 20, Locked),
        ];
        for (sign_in, sign_in_limit, hour, hourly_limit, expected) in table {
            assert_eq!(
                wrong_code(sign_in, sign_in_limit, hour, hourly_limit),
                expected
            );
        }
    }

    #[test]
    fn reasons_round_trip_and_unknown_codes_are_none() {
        for reason in SignInReason::ALL {
            assert_eq!(SignInReason::from_code(reason.code()), Some(reason));
        }
        assert_eq!(SignInReason::from_code("<script>"), None);
    }

    #[test]
    fn scope_codes_are_distinct() {
        let codes = [
            ThrottleScope::SignInAccount,
            ThrottleScope::SignInClient,
            ThrottleScope::MfaSignIn,
            ThrottleScope::MfaAccount,
            ThrottleScope::PlayAudit,
        ]
        .map(ThrottleScope::code);
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
    }
}
