//! Company MFA policy and who must pass MFA.

use crate::ValidationError;

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
    fn parse_codes_and_labels() {
        for policy in MfaPolicy::ALL {
            assert_eq!(MfaPolicy::parse(policy.code()), Ok(policy));
            assert_eq!(MfaPolicy::parse(policy.label()), Ok(policy));
        }
        assert!(MfaPolicy::parse("sometimes").is_err());
        assert_eq!(MfaPolicy::default(), MfaPolicy::Disabled);
    }
}
