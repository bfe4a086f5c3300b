//! The conversion programme (chương trình chuyển hóa) of complex areas (địa bàn phức tạp).
//!
//! Each year a committee designates complex areas, each with its reasons, the responsible
//! unit and numeric targets, and at the year's review declares each converted or not. The
//! status of one designation (one area, one year) is a small state machine:
//!
//! ```text
//! designated ──► in_progress ──► converted
//!                            └─► not_converted
//! ```
//!
//! `converted` and `not_converted` are final for that year; the area goes on by being
//! designated again for the next year (a new designation, with its own targets and
//! history), which is allowed only once the previous year is closed. Every change is an
//! event of an append-only history. An area not converted two or more years running is
//! flagged.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalogue::Catalogue;
use super::error::DomainError;
use super::period::YEARS;

/// Years not converted in a row from which an area is flagged.
pub const FLAG_AFTER_YEARS: u32 = 2;

/// Whether an area not converted `years_not_converted` years running is singled out.
#[must_use]
pub const fn is_flagged(years_not_converted: u32) -> bool {
    years_not_converted >= FLAG_AFTER_YEARS
}
/// Longest note, reason or unit name (characters).
pub const MAX_NOTE: usize = 2_000;
/// Most reasons, categories or evidence links one designation or transition carries.
pub const MAX_ITEMS: usize = 20;
/// Longest evidence link (characters).
pub const MAX_LINK: usize = 2_000;

/// Where a designation stands in its year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeStatus {
    /// Designated for the year; the programme has not started.
    Designated,
    /// The conversion programme is running.
    InProgress,
    /// Reviewed: converted (đã chuyển hóa). Final for the year.
    Converted,
    /// Reviewed: not converted (chưa chuyển hóa). Final for the year.
    NotConverted,
}

impl ProgrammeStatus {
    pub const ALL: [Self; 4] = [
        Self::Designated,
        Self::InProgress,
        Self::Converted,
        Self::NotConverted,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Designated => "designated",
            Self::InProgress => "in_progress",
            Self::Converted => "converted",
            Self::NotConverted => "not_converted",
        }
    }

    /// The statuses this one may move to. Final statuses have none: the area continues,
    /// if at all, as a new designation for the next year.
    #[must_use]
    pub const fn legal_next(self) -> &'static [Self] {
        match self {
            Self::Designated => &[Self::InProgress],
            Self::InProgress => &[Self::Converted, Self::NotConverted],
            Self::Converted | Self::NotConverted => &[],
        }
    }

    /// True once the year's review has decided.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Converted | Self::NotConverted)
    }

    /// The move to `to`, if it is legal.
    ///
    /// # Errors
    /// [`IllegalTransition`] naming the legal moves from here.
    pub fn transition(self, to: Self) -> Result<Self, IllegalTransition> {
        if self.legal_next().contains(&to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

impl fmt::Display for ProgrammeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProgrammeStatus {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| {
                DomainError::new(
                    "to",
                    format!(
                        "{s:?} is not one of designated, in_progress, converted, not_converted"
                    ),
                )
            })
    }
}

/// A refused move, with what would have been legal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct IllegalTransition {
    pub from: ProgrammeStatus,
    pub to: ProgrammeStatus,
}

impl IllegalTransition {
    #[must_use]
    pub const fn allowed(&self) -> &'static [ProgrammeStatus] {
        self.from.legal_next()
    }
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed = self.allowed();
        if allowed.is_empty() {
            write!(
                f,
                "cannot move from {} to {}: {} is final for the year (designate the area for the next year to continue)",
                self.from, self.to, self.from
            )
        } else {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            write!(
                f,
                "cannot move from {} to {}; the legal moves from {} are: {}",
                self.from,
                self.to,
                self.from,
                names.join(", ")
            )
        }
    }
}

/// The committee's numeric targets for one designation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Targets {
    /// Largest acceptable change in cases on the same period a year earlier, in percent
    /// (−5 = at least 5% fewer).
    pub case_change_pct: f64,
    /// Smallest acceptable clearance rate (solved / cases), 0–1.
    pub clearance_rate: f64,
    /// Smallest acceptable clearance rate of very serious and especially serious cases, 0–1.
    pub clearance_rate_serious: f64,
}

impl Targets {
    pub const DEFAULT_CASE_CHANGE_PCT: f64 = -5.0;
    pub const DEFAULT_CLEARANCE_RATE: f64 = 0.75;
    pub const DEFAULT_CLEARANCE_RATE_SERIOUS: f64 = 0.95;

    /// # Errors
    /// When a value is not finite, the change is outside −100…100 %, or a rate outside 0–1.
    pub fn new(
        case_change_pct: f64,
        clearance_rate: f64,
        clearance_rate_serious: f64,
    ) -> Result<Self, DomainError> {
        if !(case_change_pct.is_finite() && (-100.0..=100.0).contains(&case_change_pct)) {
            return Err(DomainError::new(
                "targets.case_change_pct",
                format!("{case_change_pct} is outside −100…100 (percent)"),
            ));
        }
        for (field, v) in [
            ("targets.clearance_rate", clearance_rate),
            ("targets.clearance_rate_serious", clearance_rate_serious),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(DomainError::new(
                    field,
                    format!("{v} is not a fraction between 0 and 1"),
                ));
            }
        }
        Ok(Self {
            case_change_pct,
            clearance_rate,
            clearance_rate_serious,
        })
    }

    /// These targets with the given ones overriding.
    ///
    /// # Errors
    /// As [`Targets::new`].
    pub fn with(self, o: &TargetOverrides) -> Result<Self, DomainError> {
        Self::new(
            o.case_change_pct.unwrap_or(self.case_change_pct),
            o.clearance_rate.unwrap_or(self.clearance_rate),
            o.clearance_rate_serious
                .unwrap_or(self.clearance_rate_serious),
        )
    }
}

impl Default for Targets {
    fn default() -> Self {
        Self {
            case_change_pct: Self::DEFAULT_CASE_CHANGE_PCT,
            clearance_rate: Self::DEFAULT_CLEARANCE_RATE,
            clearance_rate_serious: Self::DEFAULT_CLEARANCE_RATE_SERIOUS,
        }
    }
}

/// Targets as a request gives them: any left out take the committee's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetOverrides {
    pub case_change_pct: Option<f64>,
    pub clearance_rate: Option<f64>,
    pub clearance_rate_serious: Option<f64>,
}

/// Who did something: the name and id of the token used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Actor {
    pub name: String,
    /// The token's id (`None` for writes made outside the API).
    pub token_id: Option<i64>,
}

/// Trims a free-text field and bounds its length; blank is `None`.
fn text(field: &'static str, v: Option<&str>, max: usize) -> Result<Option<String>, DomainError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > max => Err(DomainError::new(
            field,
            format!("is longer than {max} characters"),
        )),
        Some(t) if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
            Err(DomainError::new(field, "contains control characters"))
        }
        Some(t) => Ok(Some(t.to_owned())),
    }
}

/// Validates an optional note.
///
/// # Errors
/// When it is too long or has control characters.
pub fn note(v: Option<&str>) -> Result<Option<String>, DomainError> {
    text("note", v, MAX_NOTE)
}

/// Validates evidence links: at most [`MAX_ITEMS`] absolute `http(s)` URLs without spaces.
///
/// # Errors
/// Names the link at fault.
pub fn evidence(links: &[String]) -> Result<Vec<String>, DomainError> {
    if links.len() > MAX_ITEMS {
        return Err(DomainError::new(
            "evidence",
            format!("has {} links; at most {MAX_ITEMS}", links.len()),
        ));
    }
    links
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let l = l.trim();
            let scheme_ok = l
                .split_once("://")
                .is_some_and(|(s, rest)| {
                    (s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"))
                        && !rest.is_empty()
                });
            if !scheme_ok
                || l.chars().count() > MAX_LINK
                || l.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(DomainError::new(
                    "evidence",
                    format!("link {i} ({l:?}) is not an http(s) URL of at most {MAX_LINK} characters without spaces"),
                ));
            }
            Ok(l.to_owned())
        })
        .collect()
}

/// What a designation says besides its area and year (also what an edit may change).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DesignationTerms {
    /// Why the area is designated (free text), 1–20 items.
    pub reasons: Vec<String>,
    /// Category codes of concern (from the catalogue), at most 20.
    pub categories: Vec<String>,
    /// The responsible unit.
    pub unit: String,
    pub targets: Targets,
}

impl DesignationTerms {
    /// # Errors
    /// Names the field at fault: no reason, a blank or over-long one, an unknown
    /// category, a missing unit.
    pub fn new(
        reasons: &[String],
        categories: &[String],
        unit: &str,
        targets: Targets,
        catalogue: &Catalogue,
    ) -> Result<Self, DomainError> {
        if reasons.is_empty() || reasons.len() > MAX_ITEMS {
            return Err(DomainError::new(
                "reasons",
                format!("must list 1–{MAX_ITEMS} reasons"),
            ));
        }
        let reasons = reasons
            .iter()
            .enumerate()
            .map(|(i, r)| {
                text("reasons", Some(r), MAX_NOTE)?
                    .ok_or_else(|| DomainError::new("reasons", format!("reason {i} is blank")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if categories.len() > MAX_ITEMS {
            return Err(DomainError::new(
                "categories",
                format!("at most {MAX_ITEMS} categories"),
            ));
        }
        let mut codes = Vec::with_capacity(categories.len());
        for c in categories {
            let code = catalogue.category(c).ok_or_else(|| {
                DomainError::new(
                    "categories",
                    format!("{c:?} is not in the category catalogue"),
                )
            })?;
            if !codes.iter().any(|x: &String| x == code) {
                codes.push(code.to_owned());
            }
        }
        let unit = text("unit", Some(unit), 200)?
            .ok_or_else(|| DomainError::new("unit", "is required"))?;
        Ok(Self {
            reasons,
            categories: codes,
            unit,
            targets,
        })
    }
}

/// A designation to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDesignation {
    pub area_code: String,
    pub year: i16,
    pub terms: DesignationTerms,
    /// A note for the first history event.
    pub note: Option<String>,
}

impl NewDesignation {
    /// # Errors
    /// When the year is outside the supported range.
    pub fn new(
        area_code: &str,
        year: i64,
        terms: DesignationTerms,
        note: Option<String>,
    ) -> Result<Self, DomainError> {
        let year = i16::try_from(year)
            .ok()
            .filter(|y| YEARS.contains(y))
            .ok_or_else(|| {
                DomainError::new(
                    "year",
                    format!("{year} is outside {}–{}", YEARS.start(), YEARS.end()),
                )
            })?;
        Ok(Self {
            area_code: area_code.to_owned(),
            year,
            terms,
            note,
        })
    }
}

/// A stored designation with its current status (that of its latest history event).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Designation {
    pub id: i64,
    pub area_code: String,
    pub year: i16,
    #[serde(flatten)]
    pub terms: DesignationTerms,
    pub status: ProgrammeStatus,
    pub created_by: Actor,
    /// Stored as Unix seconds; the API writes it as RFC 3339 in the committee's zone.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

/// What a history event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The designation itself (status `designated`).
    Designated,
    /// A status change.
    Transition,
    /// An edit of the designation's reasons, categories, unit or targets (`changes`).
    Edited,
}

impl EventKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Designated => "designated",
            Self::Transition => "transition",
            Self::Edited => "edited",
        }
    }
}

impl FromStr for EventKind {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "designated" => Ok(Self::Designated),
            "transition" => Ok(Self::Transition),
            "edited" => Ok(Self::Edited),
            _ => Err(DomainError::new(
                "kind",
                format!("{s:?} is not an event kind"),
            )),
        }
    }
}

/// One entry of a designation's append-only history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProgrammeEvent {
    pub id: i64,
    pub area_code: String,
    pub year: i16,
    /// 1, 2, … within the designation.
    pub seq: i64,
    pub kind: EventKind,
    /// The status before (absent for the designation itself).
    pub from: Option<ProgrammeStatus>,
    /// The status after.
    pub to: ProgrammeStatus,
    pub note: Option<String>,
    pub evidence: Vec<String>,
    /// For edits: each changed field with its value before and after.
    #[schema(value_type = Object)]
    pub changes: Option<serde_json::Value>,
    pub by: Actor,
    /// Stored as Unix seconds; the API writes it as RFC 3339 in the committee's zone.
    #[schema(value_type = String, format = DateTime)]
    pub at: i64,
}

/// Every designation, as the index keeps them: by area code, then year.
#[derive(Debug, Clone, Default)]
pub struct Programme {
    designations: Vec<Designation>,
}

impl Programme {
    #[must_use]
    pub fn new(mut designations: Vec<Designation>) -> Self {
        designations.sort_by(|a, b| a.area_code.cmp(&b.area_code).then(a.year.cmp(&b.year)));
        Self { designations }
    }

    #[must_use]
    pub fn all(&self) -> &[Designation] {
        &self.designations
    }

    /// An area's designations, oldest first.
    #[must_use]
    pub fn of_area(&self, code: &str) -> &[Designation] {
        let start = self
            .designations
            .partition_point(|d| d.area_code.as_str() < code);
        let end = self
            .designations
            .partition_point(|d| d.area_code.as_str() <= code);
        &self.designations[start..end]
    }

    #[must_use]
    pub fn get(&self, code: &str, year: i16) -> Option<&Designation> {
        self.of_area(code).iter().find(|d| d.year == year)
    }

    /// The designations of one year, by area code.
    pub fn of_year(&self, year: i16) -> impl Iterator<Item = &Designation> {
        self.designations.iter().filter(move |d| d.year == year)
    }

    /// Consecutive years the area was not converted, as seen at `year`: counted back from
    /// `year` itself when its review said `not_converted`, from the year before while
    /// `year` is still open (designated or in progress), and 0 when `year` was converted.
    /// A year without a designation, or not yet reviewed, ends the run.
    #[must_use]
    pub fn years_not_converted(&self, code: &str, year: i16) -> u32 {
        let mut y = match self.get(code, year).map(|d| d.status) {
            Some(ProgrammeStatus::Converted) => return 0,
            Some(ProgrammeStatus::NotConverted) => year,
            _ => year - 1,
        };
        let mut n = 0;
        while self
            .get(code, y)
            .is_some_and(|d| d.status == ProgrammeStatus::NotConverted)
        {
            n += 1;
            y -= 1;
        }
        n
    }

    /// Whether the area has not been converted [`FLAG_AFTER_YEARS`] or more years running.
    #[must_use]
    pub fn flagged(&self, code: &str, year: i16) -> bool {
        is_flagged(self.years_not_converted(code, year))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProgrammeStatus::*;

    #[test]
    fn legal_moves_and_only_those() {
        let legal = [
            (Designated, InProgress),
            (InProgress, Converted),
            (InProgress, NotConverted),
        ];
        for from in ProgrammeStatus::ALL {
            for to in ProgrammeStatus::ALL {
                let r = from.transition(to);
                assert_eq!(r.is_ok(), legal.contains(&(from, to)), "{from} → {to}");
                if let Err(e) = r {
                    assert_eq!(e.allowed(), from.legal_next());
                    let msg = e.to_string();
                    for a in from.legal_next() {
                        assert!(msg.contains(a.as_str()), "{msg}");
                    }
                }
            }
        }
        assert!(Converted.is_final() && NotConverted.is_final());
        assert_eq!(
            "in_progress".parse::<ProgrammeStatus>().unwrap(),
            InProgress
        );
        assert!("done".parse::<ProgrammeStatus>().is_err());
    }

    #[test]
    fn targets_are_validated() {
        assert_eq!(Targets::default(), Targets::new(-5.0, 0.75, 0.95).unwrap());
        assert!(Targets::new(f64::NAN, 0.75, 0.95).is_err());
        assert!(Targets::new(-5.0, 1.5, 0.95).is_err());
        assert!(Targets::new(-5.0, 0.75, -0.1).is_err());
        assert!(Targets::new(-101.0, 0.75, 0.95).is_err());
        let t = Targets::default()
            .with(&TargetOverrides {
                clearance_rate: Some(0.8),
                ..TargetOverrides::default()
            })
            .unwrap();
        assert_eq!(t, Targets::new(-5.0, 0.8, 0.95).unwrap());
    }

    #[test]
    fn evidence_and_terms() {
        assert!(evidence(&["https://example.org/a.pdf".into()]).is_ok());
        assert!(evidence(&["javascript:alert(1)".into()]).is_err());
        assert!(evidence(&["https://a b".into()]).is_err());
        let cat = Catalogue::defaults();
        let t = DesignationTerms::new(
            &["Tụ điểm ma túy".into()],
            &["drugs".into(), "Theft".into(), "drugs".into()],
            " Công an phường 3 ",
            Targets::default(),
            &cat,
        )
        .unwrap();
        assert_eq!(t.categories, vec!["drugs", "theft"]);
        assert_eq!(t.unit, "Công an phường 3");
        assert!(DesignationTerms::new(&[], &[], "u", Targets::default(), &cat).is_err());
        assert!(
            DesignationTerms::new(
                &["x".into()],
                &["nope".into()],
                "u",
                Targets::default(),
                &cat
            )
            .is_err()
        );
        assert!(DesignationTerms::new(&["x".into()], &[], " ", Targets::default(), &cat).is_err());
    }

    fn d(code: &str, year: i16, status: ProgrammeStatus) -> Designation {
        Designation {
            id: 0,
            area_code: code.into(),
            year,
            terms: DesignationTerms {
                reasons: vec!["r".into()],
                categories: vec![],
                unit: "u".into(),
                targets: Targets::default(),
            },
            status,
            created_by: Actor {
                name: "t".into(),
                token_id: None,
            },
            created_at: 0,
        }
    }

    #[test]
    fn runs_of_years_not_converted() {
        let p = Programme::new(vec![
            d("a", 2021, NotConverted),
            d("a", 2022, NotConverted),
            d("a", 2023, NotConverted),
            d("a", 2024, InProgress),
            d("b", 2023, Converted),
            d("b", 2024, NotConverted),
            d("c", 2022, NotConverted),
            d("c", 2024, NotConverted),
        ]);
        assert_eq!(p.years_not_converted("a", 2024), 3);
        assert!(p.flagged("a", 2024));
        assert_eq!(p.years_not_converted("a", 2022), 2);
        assert_eq!(p.years_not_converted("b", 2024), 1);
        assert!(!p.flagged("b", 2024));
        assert_eq!(p.years_not_converted("b", 2023), 0);
        // A gap (no designation in 2023) ends the run.
        assert_eq!(p.years_not_converted("c", 2024), 1);
        assert_eq!(p.of_area("a").len(), 4);
        assert_eq!(p.of_area("zz").len(), 0);
        assert_eq!(p.of_year(2024).count(), 3);
    }
}
