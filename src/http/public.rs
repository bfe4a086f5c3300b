//! What an anonymous caller may ask and receives (issue 18; the contract in
//! `docs/plans/issue-18-public-api.md`, the method in the README's "What anonymous visitors
//! see").
//!
//! A caller is a viewer (any valid token or session: exact answers) or, on a server with
//! `--public-aggregates`, the public. Public answers are built only from *published cells*
//! — (H3 cell at `res`, one whole calendar period, one category or all, one class or all) —
//! whose counts are perturbed by the cell-key method ([`crate::analysis::disclosure`]). Each
//! rule below closes one way of turning public numbers back into incidents:
//! - one whole month, quarter or year (or all time): any range of whole months would make a
//!   month the difference of some twenty pairs of ranges, and their noise would average out;
//! - at most one category and one class, for the same reason (any subset would do);
//! - resolutions no finer than `--public-max-res`: a res-10 cell holds one or two incidents;
//! - a box or an area *selects whole cells* (by their centres) instead of clipping counts:
//!   narrowing a box round a cell would otherwise locate its incidents;
//! - no harm weights: a cell's mean harm has its true count as denominator.

use std::sync::Arc;

use h3o::{CellIndex, LatLng, Resolution};
use jiff::civil::Date;
use serde_json::{Value, json};

use super::error::ApiError;
use super::filter::list;
use crate::analysis::disclosure::{PTable, PTableError, PTableParams};
use crate::domain::Zone;
use crate::index::{BBox, Filter};

/// The sentence every public answer and the map page carry.
pub const NOTE_VI: &str = "Số liệu công khai đã được làm nhiễu để bảo vệ bí mật";
/// [`NOTE_VI`] in English.
pub const NOTE_EN: &str = "Public figures are perturbed to protect confidentiality";

/// The calendar periods a public query may cover.
pub const PERIODS: [&str; 4] = ["month", "quarter", "year", "all"];

/// Step of the public DBSCAN radius, in metres: a finer sweep of `eps_m` would read the
/// distances between incidents off the moments clusters merge.
pub const EPS_STEP: u32 = 50;
/// The public's default DBSCAN radius: a little more than the distance between neighbouring
/// res-9 cell centres (H3 cells vary in size: 371–376 m in Ho Chi Minh City, 302 m on
/// average), so that neighbouring cells can join.
pub const PUBLIC_EPS_DEFAULT_M: f64 = 400.0;
/// [`EPS_STEP`] as the radius is given.
pub const EPS_STEP_M: f64 = EPS_STEP as f64;

/// The disclosure rules of a public server, built once at start.
#[derive(Debug)]
pub struct PublicRules {
    pub ptable: PTable,
    /// Finest resolution served publicly.
    pub max_res: Resolution,
    /// Smallest positive published count (`js + 1`).
    pub min_count: u32,
    /// What every public cache key and ETag carries: the p-table and the resolution limit.
    pub digest: String,
}

impl PublicRules {
    /// The rules for a p-table with noise at most `d`, variance `v`, and no positive count
    /// below `min_count`, served up to resolution `max_res`.
    ///
    /// # Errors
    /// When the p-table cannot be built (its error names the parameter at fault).
    pub fn new(d: u32, v: f64, min_count: u32, max_res: Resolution) -> Result<Self, PTableError> {
        let ptable = PTable::build(PTableParams {
            d,
            v,
            js: min_count.saturating_sub(1),
        })?;
        let digest = format!("{}/r{}", ptable.digest(), u8::from(max_res));
        Ok(Self {
            ptable,
            max_res,
            min_count: min_count.max(1),
            digest,
        })
    }

    /// `diemnong.disclosure` of a public answer.
    #[must_use]
    pub fn provenance(&self) -> Value {
        let PTableParams { d, v, js } = self.ptable.params();
        json!({
            "audience": "public",
            "method": "cell-key perturbation (Fraser & Wooton 2005; ABS TableBuilder, Thompson, Broadfoot & Elazar 2013)",
            "record_keys": "uniform integers 0…2^32−1, cell key = sum mod 2^32",
            "ptable": {
                "D": d, "V": v, "js": js,
                "construction": "maximum entropy, zero mean, variance V (Giessing 2016; R ptable)",
                "sha256": self.ptable.digest(),
            },
            "periods": PERIODS,
            "max_res": u8::from(self.max_res),
            "selection": "bbox and area select whole cells",
            "note": {"vi": NOTE_VI, "en": NOTE_EN},
        })
    }

    /// The extent's `public` member: what the map page offers a signed-out visitor.
    #[must_use]
    pub fn extent_member(&self) -> Value {
        json!({
            "periods": PERIODS,
            "max_res": u8::from(self.max_res),
            "min_count": self.min_count,
            "perturbed": true,
            "eps_m_step": EPS_STEP,
            "note": {"vi": NOTE_VI, "en": NOTE_EN},
        })
    }

    /// A count as published.
    #[inline]
    #[must_use]
    pub fn publish(&self, count: u32, key: u32) -> u32 {
        self.ptable.perturb(count, key)
    }
}

/// Who is asking, decided once per request.
#[derive(Debug, Clone)]
pub enum Audience {
    /// Signed in: exact answers.
    Viewer,
    /// Anonymous on a public server.
    Public(Arc<PublicRules>),
}

impl Audience {
    /// The public rules, when the caller is the public.
    #[must_use]
    pub fn public(&self) -> Option<&PublicRules> {
        match self {
            Self::Viewer => None,
            Self::Public(r) => Some(r),
        }
    }

    /// `diemnong.disclosure`.
    #[must_use]
    pub fn provenance(&self) -> Value {
        match self {
            Self::Viewer => json!({"audience": "viewer", "method": "exact"}),
            Self::Public(r) => r.provenance(),
        }
    }

    /// The `Diemnong-Disclosure` header of every analysis answer: what a CSV, which has no
    /// provenance member, says of its numbers.
    #[must_use]
    pub fn header(&self) -> String {
        match self {
            Self::Viewer => "viewer; exact".to_owned(),
            Self::Public(r) => {
                let PTableParams { d, v, js } = r.ptable.params();
                format!(
                    "public; cell-key perturbation; D={d}; V={v}; js={js}; max-res={}",
                    u8::from(r.max_res)
                )
            }
        }
    }

    /// What the cache key and ETag carry.
    #[must_use]
    pub fn key(&self) -> String {
        match self {
            Self::Viewer => "viewer".to_owned(),
            Self::Public(r) => format!("public/{}", r.digest),
        }
    }
}

/// Which cells of a city-wide public answer a `bbox` or `area` keeps: those whose centre lies
/// inside. Never a clip: a box changes which cells are shown, not what they count.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    bbox: Option<BBox>,
    within: Option<Arc<geo::MultiPolygon<f64>>>,
}

impl Selection {
    /// Takes the box and the area out of `filter`, leaving time, categories and classes.
    pub fn take(filter: &mut Filter) -> Self {
        Self {
            bbox: filter.bbox.take(),
            within: filter.within.take(),
        }
    }

    /// Whether the answer keeps everything.
    #[must_use]
    pub fn is_all(&self) -> bool {
        self.bbox.is_none() && self.within.is_none()
    }

    /// Whether `cell` is selected.
    #[must_use]
    pub fn keeps(&self, cell: CellIndex) -> bool {
        if self.is_all() {
            return true;
        }
        let c = LatLng::from(cell);
        let (lon, lat) = (c.lng(), c.lat());
        self.bbox.is_none_or(|b| b.contains(lon, lat))
            && self
                .within
                .as_ref()
                .is_none_or(|mp| geo::Contains::contains(mp.as_ref(), &geo::Point::new(lon, lat)))
    }

    /// Whether any of `cells` is selected.
    #[must_use]
    pub fn keeps_any(&self, cells: &[CellIndex]) -> bool {
        self.is_all() || cells.iter().any(|c| self.keeps(*c))
    }
}

/// The raw filter parameters a public query is checked on.
#[derive(Debug, Clone, Copy)]
pub struct PublicQuery<'a> {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub category: Option<&'a str>,
    pub severity: Option<&'a str>,
    pub res: Resolution,
    pub harm: bool,
}

/// Refuses what a public query may not ask (module documentation), naming the parameter.
///
/// # Errors
/// A 400 naming `from`/`to`, `category`, `severity`, `res` or `weight`.
pub fn check(rules: &PublicRules, zone: &Zone, q: &PublicQuery<'_>) -> Result<(), ApiError> {
    whole_period(zone, q.from, q.to)?;
    for (name, text) in [("category", q.category), ("severity", q.severity)] {
        if text.is_some_and(|t| list(t).count() > 1) {
            return Err(ApiError::param(
                name,
                format!(
                    "without a sign-in, one {name} at a time (or none for all): the difference \
                     of overlapping lists would undo the protection of public figures"
                ),
            ));
        }
    }
    if q.res > rules.max_res {
        return Err(ApiError::param(
            "res",
            format!(
                "{} is finer than the public limit {}; sign in for finer cells",
                u8::from(q.res),
                u8::from(rules.max_res)
            ),
        ));
    }
    if q.harm {
        return Err(ApiError::param(
            "weight",
            "weight=harm needs a sign-in: harm per cell would reveal the classes of its few incidents",
        ));
    }
    Ok(())
}

/// A calendar period of the committee's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Month,
    Quarter,
    Year,
}

impl Period {
    fn months(self) -> i8 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::Year => 12,
        }
    }

    /// Whether `d` is the first day of one such period.
    fn starts(self, d: Date) -> bool {
        d.day() == 1
            && match self {
                Self::Month => true,
                Self::Quarter => (d.month() - 1) % 3 == 0,
                Self::Year => d.month() == 1,
            }
    }

    /// The period's first day that contains `d`.
    fn start_of(self, d: Date) -> Date {
        let m = d.month() - (d.month() - 1) % self.months();
        Date::new(d.year(), m, 1).unwrap_or(d)
    }

    fn next(self, d: Date) -> Option<Date> {
        d.checked_add(jiff::Span::new().months(self.months())).ok()
    }
}

/// Midnight starting `d` in the zone, as Unix seconds.
fn midnight(zone: &Zone, d: Date) -> Option<i64> {
    d.to_datetime(jiff::civil::Time::midnight())
        .to_zoned_datetime(zone.tz().clone())
        .ok()
        .map(|z| z.timestamp().as_second())
}

/// `[from, to)` must be one whole month, quarter or year in the zone, or both absent.
fn whole_period(zone: &Zone, from: Option<i64>, to: Option<i64>) -> Result<(), ApiError> {
    const RULE: &str = "without a sign-in, time is one whole calendar month, quarter or year, or \
                        no from/to for all time";
    let (f, t) = match (from, to) {
        (None, None) => return Ok(()),
        (Some(f), Some(t)) => (f, t),
        (Some(_), None) => return Err(ApiError::param("to", format!("{RULE}: give to as well"))),
        (None, Some(_)) => {
            return Err(ApiError::param(
                "from",
                format!("{RULE}: give from as well"),
            ));
        }
    };
    let start = zone.date_of(f);
    for p in [Period::Month, Period::Quarter, Period::Year] {
        if p.starts(start)
            && midnight(zone, start) == Some(f)
            && p.next(start).and_then(|n| midnight(zone, n)) == Some(t)
        {
            return Ok(());
        }
    }
    // Say which period would do: the smallest whole one containing the range.
    let last = zone.date_of(t.saturating_sub(1));
    let hint = [Period::Month, Period::Quarter, Period::Year]
        .into_iter()
        .find_map(|p| {
            let s = p.start_of(start);
            let n = p.next(s)?;
            (last < n).then(|| format!(" The smallest one containing it is from={s}&to={n}."))
        })
        .unwrap_or_default();
    let (name, what) = if midnight(zone, start) == Some(f)
        && [Period::Month, Period::Quarter, Period::Year]
            .into_iter()
            .any(|p| p.starts(start))
    {
        ("to", "to is not the end of the period from starts")
    } else {
        ("from", "from is not the start of a month, quarter or year")
    };
    Err(ApiError::param(
        name,
        format!(
            "{RULE} in {}; {what}.{hint} Signed-in viewers may ask for any range.",
            zone.name()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Zone {
        Zone::new("Asia/Ho_Chi_Minh").expect("zone")
    }

    fn ts(z: &Zone, s: &str) -> i64 {
        z.parse_instant("t", s).expect("instant")
    }

    #[test]
    fn whole_months_quarters_and_years_pass() {
        let z = zone();
        for (f, t) in [
            ("2024-03-01", "2024-04-01"),
            ("2024-12-01", "2025-01-01"),
            ("2024-04-01", "2024-07-01"),
            ("2024-01-01", "2025-01-01"),
            // Local midnight written in UTC: 1 January 00:00 +07 is 31 December 17:00Z.
            ("2023-12-31T17:00:00Z", "2024-01-31T17:00:00Z"),
        ] {
            assert!(
                whole_period(&z, Some(ts(&z, f)), Some(ts(&z, t))).is_ok(),
                "{f}…{t}"
            );
        }
        assert!(whole_period(&z, None, None).is_ok());
    }

    #[test]
    fn other_ranges_are_refused_naming_the_end_at_fault() {
        let z = zone();
        let refuse = |f: &str, t: &str| match whole_period(&z, Some(ts(&z, f)), Some(ts(&z, t))) {
            Err(ApiError::BadParameter { parameter, detail }) => (parameter, detail),
            other => panic!("{f}…{t}: {other:?}"),
        };
        let (p, d) = refuse("2024-03-05", "2024-03-06");
        assert_eq!(p, "from");
        assert!(d.contains("from=2024-03-01&to=2024-04-01"), "{d}");
        // Six months: from is a start, to is not the end of its month, quarter or year.
        let (p, d) = refuse("2024-01-01", "2024-07-01");
        assert_eq!(p, "to");
        assert!(d.contains("from=2024-01-01&to=2025-01-01"), "{d}");
        // A quarter must start in January, April, July or October.
        assert_eq!(refuse("2024-02-01", "2024-05-01").0, "to");
        // Midnight UTC is 07:00 in the zone: not a period start.
        assert_eq!(
            refuse("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z").0,
            "from"
        );
        assert!(whole_period(&z, Some(0), None).is_err());
        assert!(whole_period(&z, None, Some(0)).is_err());
    }

    #[test]
    fn a_selection_keeps_cells_by_their_centre() {
        let cell: CellIndex = "8965b193453ffff".parse().expect("cell");
        let c = LatLng::from(cell);
        let mut f = Filter {
            bbox: Some(
                BBox::new(
                    c.lng() - 1e-6,
                    c.lat() - 1e-6,
                    c.lng() + 1e-6,
                    c.lat() + 1e-6,
                )
                .expect("box"),
            ),
            ..Filter::default()
        };
        let s = Selection::take(&mut f);
        assert!(f.bbox.is_none());
        assert!(s.keeps(cell));
        let far = cell
            .grid_disk::<Vec<_>>(3)
            .into_iter()
            .find(|n| cell.grid_distance(*n).ok() == Some(3))
            .expect("ring");
        assert!(!s.keeps(far));
        assert!(s.keeps_any(&[far, cell]));
    }
}
