//! The penal code's four classes of offence (Bộ luật Hình sự 2015, Article 9).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::DomainError;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Severity {
    /// Tội phạm ít nghiêm trọng.
    LessSerious = 0,
    /// Tội phạm nghiêm trọng.
    Serious = 1,
    /// Tội phạm rất nghiêm trọng.
    VerySerious = 2,
    /// Tội phạm đặc biệt nghiêm trọng.
    EspeciallySerious = 3,
}

impl Severity {
    pub const ALL: [Self; 4] = [
        Self::LessSerious,
        Self::Serious,
        Self::VerySerious,
        Self::EspeciallySerious,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LessSerious => "less_serious",
            Self::Serious => "serious",
            Self::VerySerious => "very_serious",
            Self::EspeciallySerious => "especially_serious",
        }
    }

    /// The class as the index's two-bit code.
    #[must_use]
    pub const fn code(self) -> u8 {
        self as u8
    }

    #[must_use]
    pub const fn from_code(code: u8) -> Self {
        match code & 3 {
            0 => Self::LessSerious,
            1 => Self::Serious,
            2 => Self::VerySerious,
            _ => Self::EspeciallySerious,
        }
    }

    /// Very serious and especially serious cases have their own clearance target (95%).
    #[must_use]
    pub const fn is_grave(self) -> bool {
        matches!(self, Self::VerySerious | Self::EspeciallySerious)
    }
}

/// A set of severity classes, one bit per class: what a filter on severity holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(transparent)]
pub struct SeveritySet(u8);

impl SeveritySet {
    pub const EMPTY: Self = Self(0);
    pub const ALL: Self = Self(0b1111);

    /// The set of one class.
    #[must_use]
    pub const fn of(s: Severity) -> Self {
        Self(1 << s.code())
    }

    /// This set and `s`.
    #[must_use]
    pub const fn with(self, s: Severity) -> Self {
        Self(self.0 | 1 << s.code())
    }

    #[must_use]
    pub const fn contains(self, s: Severity) -> bool {
        self.0 & (1 << s.code()) != 0
    }

    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Severity> for SeveritySet {
    fn from_iter<I: IntoIterator<Item = Severity>>(iter: I) -> Self {
        iter.into_iter().fold(Self::EMPTY, Self::with)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = DomainError;

    /// Accepts the API codes, the Vietnamese terms (with or without diacritics) and the
    /// class numbers 1–4 that police spreadsheets commonly use.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase().replace(['-', ' '], "_");
        Ok(match t.as_str() {
            "less_serious" | "1" | "ít_nghiêm_trọng" | "it_nghiem_trong" | "minor" => {
                Self::LessSerious
            }
            "serious" | "2" | "nghiêm_trọng" | "nghiem_trong" => Self::Serious,
            "very_serious" | "3" | "rất_nghiêm_trọng" | "rat_nghiem_trong" => {
                Self::VerySerious
            }
            "especially_serious" | "4" | "đặc_biệt_nghiêm_trọng" | "dac_biet_nghiem_trong" => {
                Self::EspeciallySerious
            }
            _ => {
                return Err(DomainError::new(
                    "severity",
                    format!(
                        "{s:?} is not one of less_serious, serious, very_serious, especially_serious"
                    ),
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_vietnamese_and_numbers() {
        assert_eq!("serious".parse::<Severity>().unwrap(), Severity::Serious);
        assert_eq!(
            "Đặc biệt nghiêm trọng".parse::<Severity>().unwrap(),
            Severity::EspeciallySerious
        );
        assert_eq!("3".parse::<Severity>().unwrap(), Severity::VerySerious);
        assert!("grave".parse::<Severity>().is_err());
        for s in Severity::ALL {
            assert!(SeveritySet::of(s).contains(s) && SeveritySet::ALL.contains(s));
            assert!(!SeveritySet::EMPTY.contains(s));
            assert_eq!(Severity::from_code(s.code()), s);
            assert_eq!(s.as_str().parse::<Severity>().unwrap(), s);
        }
    }

    #[test]
    fn severity_sets() {
        let set: SeveritySet = [Severity::Serious, Severity::EspeciallySerious]
            .into_iter()
            .collect();
        let held: Vec<Severity> = Severity::ALL
            .into_iter()
            .filter(|s| set.contains(*s))
            .collect();
        assert_eq!(held, [Severity::Serious, Severity::EspeciallySerious]);
        assert_eq!(
            Severity::ALL.into_iter().collect::<SeveritySet>(),
            SeveritySet::ALL
        );
        assert!(SeveritySet::EMPTY.is_empty() && !set.is_empty());
    }
}
