//! Harm weights: how much one incident weighs in a harm-weighted analysis (`weight=harm`).
//!
//! Counting treats a snatching and a murder alike; a committee deciding where to send its
//! patrols does not. A *crime harm index* (Sherman, Neyroud & Neyroud 2016, the Cambridge
//! Crime Harm Index) weighs each offence by the days of custody a first offender would be
//! sentenced to. Our defaults follow that idea with what every Vietnamese record carries,
//! its class under the Penal Code (Bộ luật Hình sự 2015, Article 9), whose classes are
//! defined by their maximum penalty: each class weighs the midpoint of its band, in days.
//!
//! | class | maximum penalty (art. 9) | weight |
//! |---|---|---|
//! | less serious (ít nghiêm trọng) | fine, non-custodial, or up to 3 years | 1.5 years = 548 days |
//! | serious (nghiêm trọng) | over 3 up to 7 years | 5 years = 1,826 days |
//! | very serious (rất nghiêm trọng) | over 7 up to 15 years | 11 years = 4,018 days |
//! | especially serious (đặc biệt nghiêm trọng) | over 15 to 20 years, life or death | 17.5 years = 6,392 days |
//!
//! Every category starts with the same four weights (the class already carries most of the
//! harm); a committee that weighs, say, a serious robbery above a serious fraud sets that
//! pair's weight (`PUT /api/v1/catalogue/harm_weights/{category}/{severity}`, admin). The
//! weights in force are part of every harm-weighted answer's provenance and ETag
//! ([`HarmWeights::digest`]).

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::error::DomainError;
use super::severity::Severity;

/// The default weight of each class, in days, indexed by [`Severity::code`].
pub const DEFAULT_DAYS: [f64; 4] = [548.0, 1826.0, 4018.0, 6392.0];

/// The default weight of class `s`, in days.
#[must_use]
pub const fn default_days(s: Severity) -> f64 {
    DEFAULT_DAYS[s.code() as usize]
}

/// The largest weight accepted, in days (a thousand years: far above any sentence, low
/// enough that sums over a million incidents stay exact to many digits).
pub const MAX_DAYS: f64 = 365_250.0;

/// The unit of every weight.
pub const UNIT: &str = "days";

/// Validates a weight: finite, positive, at most [`MAX_DAYS`].
///
/// # Errors
/// `DomainError` on `days` otherwise.
pub fn validate_days(days: f64) -> Result<f64, DomainError> {
    if days.is_finite() && days > 0.0 && days <= MAX_DAYS {
        Ok(days)
    } else {
        Err(DomainError::new(
            "days",
            format!("{days} is not a weight: give a number of days above 0 and at most {MAX_DAYS}"),
        ))
    }
}

/// The weights in force: the defaults and a committee's overrides of (category, class).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HarmWeights {
    overrides: BTreeMap<(String, Severity), f64>,
}

/// One (category, class) weight as the catalogue lists it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HarmWeightEntry {
    pub category: String,
    pub severity: Severity,
    /// Days of custody this incident weighs.
    pub days: f64,
    /// `true` while the weight is the class's default (no override stored).
    pub default: bool,
}

impl HarmWeights {
    /// Weights with these overrides (already validated, as the store reads them back).
    #[must_use]
    pub fn with_overrides(overrides: impl IntoIterator<Item = (String, Severity, f64)>) -> Self {
        Self {
            overrides: overrides.into_iter().map(|(c, s, d)| ((c, s), d)).collect(),
        }
    }

    /// The weight of one incident of `category` and `severity`.
    #[must_use]
    pub fn days(&self, category: &str, severity: Severity) -> f64 {
        self.overrides
            .get(&(category.to_owned(), severity))
            .copied()
            .unwrap_or(default_days(severity))
    }

    /// The overrides, by category then class.
    pub fn overrides(&self) -> impl Iterator<Item = (&str, Severity, f64)> {
        self.overrides
            .iter()
            .map(|((c, s), d)| (c.as_str(), *s, *d))
    }

    /// The whole table for these categories (four classes each).
    #[must_use]
    pub fn table<'a>(&self, categories: impl IntoIterator<Item = &'a str>) -> Vec<HarmWeightEntry> {
        categories
            .into_iter()
            .flat_map(|c| {
                Severity::ALL.into_iter().map(move |s| HarmWeightEntry {
                    category: c.to_owned(),
                    severity: s,
                    days: self.days(c, s),
                    default: !self.overrides.contains_key(&(c.to_owned(), s)),
                })
            })
            .collect()
    }

    /// A digest of the weights in force (defaults and overrides, canonically written):
    /// equal weights give equal digests, any change gives another. Part of the ETag and the
    /// provenance of every harm-weighted answer.
    #[must_use]
    pub fn digest(&self) -> String {
        use std::fmt::Write as _;
        let mut text = format!("harm-v1;defaults={DEFAULT_DAYS:?}");
        for ((c, s), d) in &self.overrides {
            let _ = write!(text, ";{c}/{}={d:?}", s.as_str());
        }
        hex::encode(&Sha256::digest(text.as_bytes())[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_midpoints_of_the_classes_in_days() {
        // Bands in years (Penal Code art. 9); the top band's upper end taken as 20 years.
        let bands = [(0.0, 3.0), (3.0, 7.0), (7.0, 15.0), (15.0, 20.0)];
        for (s, (lo, hi)) in Severity::ALL.into_iter().zip(bands) {
            let mid = f64::midpoint(lo, hi) * 365.25;
            assert!((default_days(s) - mid).abs() < 1.0, "{s:?}");
        }
        let w = HarmWeights::default();
        assert!((w.days("theft", Severity::Serious) - 1826.0).abs() < f64::EPSILON);
    }

    #[test]
    fn overrides_change_one_pair_and_the_digest() {
        let d0 = HarmWeights::default().digest();
        let w = HarmWeights::with_overrides([("robbery".to_owned(), Severity::Serious, 2500.0)]);
        assert!((w.days("robbery", Severity::Serious) - 2500.0).abs() < f64::EPSILON);
        assert!((w.days("theft", Severity::Serious) - 1826.0).abs() < f64::EPSILON);
        assert_ne!(w.digest(), d0);
        assert_eq!(
            w.digest(),
            HarmWeights::with_overrides([("robbery".to_owned(), Severity::Serious, 2500.0)])
                .digest()
        );
        let t = w.table(["robbery", "theft"]);
        assert_eq!(t.len(), 8);
        assert_eq!(t.iter().filter(|e| !e.default).count(), 1);
    }

    #[test]
    fn weights_are_validated() {
        assert!(validate_days(0.0).is_err());
        assert!(validate_days(-1.0).is_err());
        assert!(validate_days(f64::NAN).is_err());
        assert!(validate_days(MAX_DAYS * 2.0).is_err());
        assert!(validate_days(1.0).is_ok());
    }
}
