//! Catalogues: incident categories and self-managed model kinds.
//!
//! Each entry is a short machine code (what files and the API carry) with a Vietnamese and an
//! English label. The defaults below are seeded by the first migration; committees edit them
//! through the API. The migration SQL is generated from these lists by a test
//! (`catalogue_seed_matches_migrations`), so the two cannot drift apart.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::DomainError;

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogueEntry {
    /// Machine code: lower-case ASCII letters, digits and `_`, 1–64 characters.
    pub code: String,
    /// Vietnamese label (the default language of the map page and reports).
    pub label_vi: String,
    /// English label.
    pub label_en: String,
}

/// Default incident categories (code, Vietnamese, English).
pub const DEFAULT_CATEGORIES: &[(&str, &str, &str)] = &[
    ("theft", "Trộm cắp tài sản", "Theft"),
    ("snatching", "Cướp giật tài sản", "Snatching"),
    ("robbery", "Cướp tài sản", "Robbery"),
    ("fraud", "Lừa đảo chiếm đoạt tài sản", "Fraud"),
    (
        "high_tech",
        "Tội phạm sử dụng công nghệ cao",
        "High-tech crime",
    ),
    ("drugs", "Tội phạm về ma túy", "Drugs"),
    ("gambling", "Đánh bạc, tổ chức đánh bạc", "Gambling"),
    ("prostitution", "Mại dâm", "Prostitution"),
    ("loan_sharking", "Cho vay lãi nặng", "Loan sharking"),
    ("assault", "Cố ý gây thương tích", "Assault"),
    ("murder", "Giết người", "Murder"),
    ("property_damage", "Hủy hoại tài sản", "Property damage"),
    (
        "public_disorder",
        "Gây rối trật tự công cộng",
        "Public disorder",
    ),
    ("other", "Khác", "Other"),
];

/// Default kinds of self-managed security models (mô hình tự quản).
pub const DEFAULT_MODEL_KINDS: &[(&str, &str, &str)] = &[
    (
        "camera_model",
        "Mô hình camera an ninh",
        "Security camera model",
    ),
    (
        "worker_boarding_house",
        "Khu nhà trọ công nhân tự quản",
        "Self-managed worker boarding house",
    ),
    (
        "household_group",
        "Tổ liên gia tự quản",
        "Self-managed household group",
    ),
    (
        "social_media_group",
        "Nhóm tuyên truyền trên mạng xã hội",
        "Social-media propaganda group",
    ),
    (
        "reintegration_5_plus_1",
        "Mô hình \"5+1\" giúp người tái hòa nhập cộng đồng",
        "\"5+1\" reintegration model",
    ),
    ("team_363", "Tổ 363", "363 team"),
    ("safe_street", "Tuyến đường an ninh, trật tự", "Safe street"),
    (
        "safe_market",
        "Chợ an toàn về an ninh, trật tự",
        "Safe market",
    ),
    (
        "security_team",
        "Tổ bảo vệ an ninh, trật tự ở cơ sở",
        "Grassroots security team",
    ),
    (
        "religious_group",
        "Cơ sở tôn giáo tự quản",
        "Self-managed religious establishment",
    ),
    ("other", "Mô hình khác", "Other model"),
];

/// Validates a catalogue code: lower-case ASCII, digits and `_`, 1–64 characters.
///
/// # Errors
/// `DomainError` naming `field` when the code is empty, too long or has other characters.
pub fn validate_code(field: &'static str, code: &str) -> Result<(), DomainError> {
    if code.is_empty() || code.len() > 64 {
        return Err(DomainError::new(field, "must be 1–64 characters"));
    }
    if !code
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(DomainError::new(
            field,
            format!("{code:?} may contain only a-z, 0-9 and _"),
        ));
    }
    Ok(())
}

impl CatalogueEntry {
    /// Builds a validated entry.
    ///
    /// # Errors
    /// When the code is malformed or a label is empty.
    pub fn new(code: &str, label_vi: &str, label_en: &str) -> Result<Self, DomainError> {
        validate_code("code", code)?;
        for (field, label) in [("label_vi", label_vi), ("label_en", label_en)] {
            if label.trim().is_empty() || label.chars().count() > 200 {
                return Err(DomainError::new(field, "must be 1–200 characters"));
            }
        }
        Ok(Self {
            code: code.to_owned(),
            label_vi: label_vi.trim().to_owned(),
            label_en: label_en.trim().to_owned(),
        })
    }
}

/// Both catalogues, as one value (what `GET /api/v1/catalogue` serves).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Catalogue {
    pub categories: Vec<CatalogueEntry>,
    pub model_kinds: Vec<CatalogueEntry>,
    /// The harm weights in force (`GET /api/v1/catalogue` lists them as a table).
    #[serde(skip)]
    pub harm: super::harm::HarmWeights,
}

/// How to find a code from what a file wrote: the code itself, case-insensitively, or
/// either label exactly (ignoring case), so an export from another system that writes
/// "Trộm cắp tài sản" or "Theft" imports without editing.
fn lookup<'a>(entries: &'a [CatalogueEntry], text: &str) -> Option<&'a CatalogueEntry> {
    let t = text.trim();
    entries
        .iter()
        .find(|e| e.code.eq_ignore_ascii_case(t))
        .or_else(|| {
            let lower = t.to_lowercase();
            entries
                .iter()
                .find(|e| e.label_en.to_lowercase() == lower || e.label_vi.to_lowercase() == lower)
        })
}

impl Catalogue {
    /// The default catalogue, as seeded by the first migration.
    #[must_use]
    pub fn defaults() -> Self {
        let conv = |list: &[(&str, &str, &str)]| {
            list.iter()
                .map(|(c, vi, en)| CatalogueEntry {
                    code: (*c).to_owned(),
                    label_vi: (*vi).to_owned(),
                    label_en: (*en).to_owned(),
                })
                .collect()
        };
        Self {
            categories: conv(DEFAULT_CATEGORIES),
            model_kinds: conv(DEFAULT_MODEL_KINDS),
            harm: super::harm::HarmWeights::default(),
        }
    }

    /// Resolves an incident category as written in a file to its code.
    #[must_use]
    pub fn category(&self, text: &str) -> Option<&str> {
        lookup(&self.categories, text).map(|e| e.code.as_str())
    }

    /// Resolves a model kind as written in a file to its code.
    #[must_use]
    pub fn model_kind(&self, text: &str) -> Option<&str> {
        lookup(&self.model_kinds, text).map(|e| e.code.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_unique() {
        let c = Catalogue::defaults();
        for list in [&c.categories, &c.model_kinds] {
            let mut codes: Vec<_> = list.iter().map(|e| e.code.clone()).collect();
            for e in list {
                CatalogueEntry::new(&e.code, &e.label_vi, &e.label_en).expect("valid default");
            }
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), list.len());
        }
    }

    #[test]
    fn lookup_accepts_code_case_and_labels() {
        let c = Catalogue::defaults();
        assert_eq!(c.category("THEFT"), Some("theft"));
        assert_eq!(c.category("Cướp giật tài sản"), Some("snatching"));
        assert_eq!(c.category("high-tech crime"), Some("high_tech"));
        assert_eq!(c.category("burglary of the moon"), None);
        assert_eq!(c.model_kind("Tổ 363"), Some("team_363"));
    }

    #[test]
    fn bad_codes_are_refused() {
        assert!(validate_code("code", "").is_err());
        assert!(validate_code("code", "Theft").is_err());
        assert!(validate_code("code", "a b").is_err());
        assert!(validate_code("code", "ok_1").is_ok());
    }
}
