//! User levels: what data a user can see.

use crate::ValidationError;
use std::fmt;

/// Ordered from the narrowest to the widest view, so `a > b` means "a sees
/// more than b".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Staff,
    Team,
    Company,
    Global,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Global, Level::Company, Level::Team, Level::Staff];

    /// The stable code stored in the database and used on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Level::Global => "global",
            Level::Company => "company",
            Level::Team => "team",
            Level::Staff => "staff",
        }
    }

    /// The name shown on screen.
    pub fn label(self) -> &'static str {
        match self {
            Level::Global => "Global",
            Level::Company => "Company",
            Level::Team => "Team",
            Level::Staff => "Staff",
        }
    }

    /// Parses a code or a label, any case.
    pub fn parse(input: &str) -> Result<Level, ValidationError> {
        let wanted = input.trim().to_ascii_lowercase();
        Level::ALL
            .into_iter()
            .find(|level| level.code() == wanted)
            .ok_or_else(|| {
                ValidationError::new("level", "choose one of global, company, team or staff")
            })
    }

    /// Team and Staff users always belong to a team; the wider levels may not.
    pub fn needs_team(self) -> bool {
        matches!(self, Level::Team | Level::Staff)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_by_how_much_they_see() {
        assert!(Level::Global > Level::Company);
        assert!(Level::Company > Level::Team);
        assert!(Level::Team > Level::Staff);
    }

    #[test]
    fn parse_accepts_codes_and_labels_in_any_case() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.code()), Ok(level));
            assert_eq!(Level::parse(level.label()), Ok(level));
            assert_eq!(Level::parse(&level.code().to_uppercase()), Ok(level));
        }
        assert!(Level::parse("admin").is_err());
        assert!(Level::parse("").is_err());
    }

    #[test]
    fn only_team_and_staff_need_a_team() {
        assert!(!Level::Global.needs_team());
        assert!(!Level::Company.needs_team());
        assert!(Level::Team.needs_team());
        assert!(Level::Staff.needs_team());
    }
}
