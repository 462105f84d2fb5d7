//! Company MFA policy and who must pass MFA.

use crate::{Role, RoleSet, ValidationError};

/// A company's MFA setting. New companies start `Disabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MfaPolicy {
    #[default]
    Disabled,
    /// Each user chooses for themselves (My MFA).
    Available,
    /// Every user of the company must use MFA.
    Enabled,
}

impl MfaPolicy {
    pub const ALL: [MfaPolicy; 3] = [
        MfaPolicy::Disabled,
        MfaPolicy::Available,
        MfaPolicy::Enabled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MfaPolicy::Disabled => "disabled",
            MfaPolicy::Available => "available",
            MfaPolicy::Enabled => "enabled",
        }
    }

    /// The words of the Company MFA dropdown.
    pub fn label(self) -> &'static str {
        match self {
            MfaPolicy::Disabled => "MFA Disabled",
            MfaPolicy::Available => "MFA Available",
            MfaPolicy::Enabled => "MFA Enabled",
        }
    }

    pub fn parse(input: &str) -> Result<MfaPolicy, ValidationError> {
        let wanted = input.trim();
        MfaPolicy::ALL
            .into_iter()
            .find(|p| {
                p.code().eq_ignore_ascii_case(wanted) || p.label().eq_ignore_ascii_case(wanted)
            })
            .ok_or_else(|| {
                ValidationError::new(
                    "policy",
                    "choose MFA Disabled, MFA Available or MFA Enabled",
                )
            })
    }
}

/// What a session brings to [`sign_in_step`]: MFA done in it, our MFA
/// demanded beyond the company's policy (single sign-on with `--mfa
/// both`), and how it began (a temporary password is replaced only by
/// someone who signed in with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionFacts {
    pub mfa_passed: bool,
    pub mfa_demanded: bool,
    pub method: crate::sso::SignInMethod,
}

impl SessionFacts {
    /// A password session, with MFA done in it or not.
    pub fn password(mfa_passed: bool) -> SessionFacts {
        SessionFacts {
            mfa_passed,
            ..SessionFacts::default()
        }
    }
}

/// What a signed-in user must do before they see the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInStep {
    /// Nothing more: the portal is open.
    SignedIn,
    /// Register an authenticator (QR code), then prove it with a code.
    Register,
    /// Enter a code from the registered authenticator.
    EnterCode,
    /// Choose a password of one's own in place of a temporary one (after
    /// MFA, so a temporary password alone never changes the account).
    ChoosePassword,
}

/// The phrase the Company MFA pop-up asks for before switching MFA off.
pub const DISABLE_PHRASE: &str = "Disable MFA";

/// Exactly the phrase: no trimming, no other case.
pub fn disable_confirmed(typed: &str) -> bool {
    typed == DISABLE_PHRASE
}

/// The next step for a session. Checked on every request, so a policy
/// change reaches sessions that are already open.
pub fn sign_in_step(
    policy: MfaPolicy,
    opted_in: bool,
    registered: bool,
    session_passed_mfa: bool,
    temporary_password: bool,
) -> SignInStep {
    if !mfa_required(policy, opted_in) || session_passed_mfa {
        if temporary_password {
            SignInStep::ChoosePassword
        } else {
            SignInStep::SignedIn
        }
    } else if registered {
        SignInStep::EnterCode
    } else {
        SignInStep::Register
    }
}

/// Under MFA Available with "Always require MFA for users who can manage
/// users or MFA" on, such users count as opted in: they must register even
/// if they never ticked Enable MFA. Off by default, so MFA Available still
/// means "each user decides" as the help pages say.
pub fn counts_as_opted_in(opted_in: bool, admins_must: bool, roles: &RoleSet) -> bool {
    opted_in || (admins_must && manages_access(roles))
}

/// The most days a company may give its users to register.
pub const MAX_DAYS_TO_REGISTER: i64 = 30;

/// Days to register, as typed on Company MFA (0–30; empty is 0).
pub fn parse_days_to_register(input: &str) -> Result<i64, ValidationError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(0);
    }
    input
        .parse::<i64>()
        .ok()
        .filter(|days| (0..=MAX_DAYS_TO_REGISTER).contains(days))
        .ok_or_else(|| {
            ValidationError::new(
                "days",
                "Days to register must be a whole number from 0 to 30",
            )
        })
}

/// Under MFA Enabled with days to register, a user without a
/// registration (who has not chosen to register now) may carry on until
/// the deadline.
pub fn in_grace(policy: MfaPolicy, deadline: Option<i64>, registered: bool, now: i64) -> bool {
    policy == MfaPolicy::Enabled && !registered && deadline.is_some_and(|deadline| now < deadline)
}

/// The policy a user meets now: in the grace period, MFA Enabled asks
/// nothing yet of one who has not chosen to register (Register now).
pub fn policy_now(policy: MfaPolicy, in_grace: bool, opted_in: bool) -> MfaPolicy {
    if in_grace && !opted_in {
        MfaPolicy::Available
    } else {
        policy
    }
}

/// Who can manage users or MFA: the accounts worth most to an attacker.
pub fn manages_access(roles: &RoleSet) -> bool {
    roles.contains(Role::ManageUsers) || roles.contains(Role::ManageCompanyMfa)
}

/// `policy == Enabled || (policy == Available && opted_in)`.
pub fn mfa_required(policy: MfaPolicy, opted_in: bool) -> bool {
    match policy {
        MfaPolicy::Disabled => false,
        MfaPolicy::Available => opted_in,
        MfaPolicy::Enabled => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_period_ends_at_its_deadline() {
        use MfaPolicy::*;
        assert!(in_grace(Enabled, Some(100), false, 99));
        assert!(
            !in_grace(Enabled, Some(100), false, 100),
            "the deadline itself ends it"
        );
        assert!(
            !in_grace(Enabled, Some(100), true, 50),
            "registered: nothing to wait for"
        );
        assert!(!in_grace(Enabled, None, false, 50));
        assert!(!in_grace(Available, Some(100), false, 50));
        assert_eq!(policy_now(Enabled, true, false), Available, "carries on");
        assert_eq!(
            policy_now(Enabled, true, true),
            Enabled,
            "chose Register now"
        );
        assert_eq!(policy_now(Enabled, false, false), Enabled);
        assert_eq!(parse_days_to_register(""), Ok(0));
        assert_eq!(parse_days_to_register(" 30 "), Ok(30));
        for bad in ["31", "-1", "7.5", "x"] {
            assert!(parse_days_to_register(bad).is_err(), "{bad}");
        }
    }

    /// Levels do not matter, roles do: every set of the nine roles, with
    /// the setting on and off, under every policy.
    #[test]
    fn administrators_must_register_when_the_company_says_so() {
        for bits in 0u16..1 << Role::ALL.len() {
            let roles: RoleSet = Role::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, r)| r)
                .collect();
            let admin = roles.contains(Role::ManageUsers) || roles.contains(Role::ManageCompanyMfa);
            for policy in MfaPolicy::ALL {
                for admins_must in [false, true] {
                    let required =
                        mfa_required(policy, counts_as_opted_in(false, admins_must, &roles));
                    let expected = match policy {
                        MfaPolicy::Disabled => false,
                        MfaPolicy::Enabled => true,
                        MfaPolicy::Available => admins_must && admin,
                    };
                    assert_eq!(
                        required, expected,
                        "{policy:?} admins_must={admins_must} {roles:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn mfa_required_table() {
        let table = [
            (MfaPolicy::Disabled, false, false),
            (MfaPolicy::Disabled, true, false),
            (MfaPolicy::Available, false, false),
            (MfaPolicy::Available, true, true),
            (MfaPolicy::Enabled, false, true),
            (MfaPolicy::Enabled, true, true),
        ];
        for (policy, opted_in, expected) in table {
            assert_eq!(
                mfa_required(policy, opted_in),
                expected,
                "{policy:?} {opted_in}"
            );
        }
    }

    #[test]
    fn sign_in_step_table() {
        use SignInStep::*;
        // Every combination of policy × opted in × registered × passed ×
        // temporary password.
        for policy in MfaPolicy::ALL {
            for opted_in in [false, true] {
                for registered in [false, true] {
                    for passed in [false, true] {
                        for temporary in [false, true] {
                            let required = policy == MfaPolicy::Enabled
                                || (policy == MfaPolicy::Available && opted_in);
                            let expected = match (required, passed, registered, temporary) {
                                (false, _, _, false) | (true, true, _, false) => SignedIn,
                                (false, _, _, true) | (true, true, _, true) => ChoosePassword,
                                (true, false, true, _) => EnterCode,
                                (true, false, false, _) => Register,
                            };
                            assert_eq!(
                                sign_in_step(policy, opted_in, registered, passed, temporary),
                                expected,
                                "{policy:?} opted_in={opted_in} registered={registered} passed={passed} temporary={temporary}"
                            );
                        }
                    }
                }
            }
        }
        // Spot checks that read like the design.
        assert_eq!(
            sign_in_step(MfaPolicy::Enabled, false, false, false, false),
            Register
        );
        assert_eq!(
            sign_in_step(MfaPolicy::Enabled, false, true, false, false),
            EnterCode
        );
        assert_eq!(
            sign_in_step(MfaPolicy::Available, false, true, false, false),
            SignedIn
        );
        assert_eq!(
            sign_in_step(MfaPolicy::Disabled, true, true, false, false),
            SignedIn
        );
    }

    #[test]
    fn the_disable_phrase_must_match_exactly() {
        assert!(disable_confirmed("Disable MFA"));
        for wrong in ["disable mfa", "Disable MFA ", " Disable MFA", "Disable", ""] {
            assert!(!disable_confirmed(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn parse_codes_and_labels() {
        for policy in MfaPolicy::ALL {
            assert_eq!(MfaPolicy::parse(policy.code()), Ok(policy));
            assert_eq!(MfaPolicy::parse(policy.label()), Ok(policy));
        }
        assert!(MfaPolicy::parse("sometimes").is_err());
        assert_eq!(MfaPolicy::default(), MfaPolicy::Disabled);
    }
}
