//! The country a company's phone numbers are typed in: what turns
//! `07700 900123` into `+447700900123` (Company settings → Country for
//! phone numbers). A country is one both libphonenumber's metadata and
//! ISO 3166-1 know, so it has a calling code and a name.

use crate::ValidationError;
use isocountry::CountryCode;
use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    id: Id,
    iso: CountryCode,
    calling_code: u16,
}

impl Country {
    /// A two-letter ISO 3166-1 code, any case: `GB`, `us`.
    pub fn parse(field: &'static str, code: &str) -> Result<Country, ValidationError> {
        let code = code.trim().to_ascii_uppercase();
        let iso = CountryCode::for_alpha2(&code).ok();
        let id = Id::from_str(&code).ok();
        let calling_code = DATABASE.by_id(code.as_str()).map(|m| m.country_code());
        match (iso, id, calling_code) {
            (Some(iso), Some(id), Some(calling_code)) => Ok(Country {
                id,
                iso,
                calling_code,
            }),
            _ => Err(ValidationError::new(
                field,
                "must be a two-letter country code such as GB, US or DE",
            )),
        }
    }

    /// Every country numbers can be typed in, by name.
    pub fn all() -> Vec<Country> {
        let mut all: Vec<Country> = CountryCode::as_array()
            .iter()
            .filter_map(|iso| Country::parse("country", iso.alpha2()).ok())
            .collect();
        all.sort_by_key(|c| c.name());
        all
    }

    /// `GB`.
    pub fn code(&self) -> &'static str {
        self.iso.alpha2()
    }

    pub fn name(&self) -> &'static str {
        self.iso.name()
    }

    /// `44` for the United Kingdom.
    pub fn calling_code(&self) -> u16 {
        self.calling_code
    }

    /// The name and calling code, for a list: `United Kingdom … (+44)`.
    pub fn label(&self) -> String {
        format!("{} (+{})", self.name(), self.calling_code)
    }

    pub(crate) fn id(&self) -> Id {
        self.id
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_by_code() {
        let gb = Country::parse("country", " gb ").unwrap();
        assert_eq!((gb.code(), gb.calling_code()), ("GB", 44));
        assert!(gb.label().ends_with("(+44)"), "{}", gb.label());
        assert_eq!(Country::parse("country", "US").unwrap().calling_code(), 1);
        for bad in ["", "G", "GBR", "XX", "1", "ZZ"] {
            assert!(Country::parse("country", bad).is_err(), "{bad:?}");
        }
        let all = Country::all();
        assert!(all.len() > 200, "{}", all.len());
        assert!(all.windows(2).all(|w| w[0].name() <= w[1].name()));
    }
}
