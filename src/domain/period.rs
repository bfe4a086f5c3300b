//! Reporting periods in the committee's calendar: a year, an arbitrary `[from, to)` span,
//! the same span one year earlier, and the months that make it up.
//!
//! Instants are Unix seconds (UTC); years and months start at local midnight in the
//! committee's zone (default `Asia/Ho_Chi_Minh`), so an incident at 23:30 UTC on
//! 31 December belongs to the next year there (06:30 on 1 January, UTC+7).
//!
//! **The same period a year earlier.** Both ends map to the same wall-clock time one year
//! earlier; 29 February has no counterpart and maps to 28 February — except an exclusive
//! end at the midnight that opens 29 February (a period ending with 28 February), which
//! maps to the midnight that opens 1 March, so that the earlier period still ends with 28
//! February. So 29 February alone is compared with 28 February, calendar years with
//! calendar years, months with months (February 2024's 29 days with February 2023's 28),
//! and March 2024 – February 2025 with March 2023 – February 2024 (29 February included).

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::error::DomainError;

/// Longest period a KPI request may span, in months (ten years: the monthly series and the
/// per-month hotspot analyses grow with it).
pub const MAX_MONTHS: usize = 120;

/// Years a programme can be designated for (a bound that catches typos such as 20245).
pub const YEARS: std::ops::RangeInclusive<i16> = 2000..=2100;

/// A half-open span of time `[from, to)` in Unix seconds, `from < to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub from: i64,
    pub to: i64,
}

/// Local midnight starting `date` in `tz`.
fn midnight(date: Date, tz: &TimeZone) -> Result<i64, DomainError> {
    date.to_datetime(Time::midnight())
        .to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp().as_second())
        .map_err(|e| DomainError::new("period", format!("{date}: {e}")))
}

fn local(t: i64, tz: &TimeZone) -> Result<DateTime, DomainError> {
    Timestamp::from_second(t)
        .map(|ts| tz.to_datetime(ts))
        .map_err(|e| DomainError::new("period", format!("{t} is not an instant: {e}")))
}

/// The same wall-clock time one year earlier in `tz`; 29 February maps to 28 February.
///
/// # Errors
/// When `t` is outside the supported range of instants.
pub fn year_earlier(t: i64, tz: &TimeZone) -> Result<i64, DomainError> {
    let dt = local(t, tz)?;
    let d = dt.date();
    let day = if d.month() == 2 && d.day() == 29 {
        28
    } else {
        d.day()
    };
    let prev = Date::new(d.year() - 1, d.month(), day)
        .map_err(|e| DomainError::new("period", format!("a year before {d}: {e}")))?;
    prev.to_datetime(dt.time())
        .to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp().as_second())
        .map_err(|e| DomainError::new("period", format!("a year before {dt}: {e}")))
}

/// The calendar year an instant falls in, in `tz`.
///
/// # Errors
/// When `t` is outside the supported range of instants.
pub fn year_of(t: i64, tz: &TimeZone) -> Result<i16, DomainError> {
    Ok(local(t, tz)?.year())
}

impl Period {
    /// # Errors
    /// When `from` is not before `to`.
    pub fn new(from: i64, to: i64) -> Result<Self, DomainError> {
        if from >= to {
            return Err(DomainError::new("to", "must be after from"));
        }
        Ok(Self { from, to })
    }

    /// The calendar year `year` in `tz`: local midnight on 1 January to local midnight on
    /// 1 January of the next year.
    ///
    /// # Errors
    /// When the year is outside [`YEARS`].
    pub fn year(year: i16, tz: &TimeZone) -> Result<Self, DomainError> {
        if !YEARS.contains(&year) {
            return Err(DomainError::new(
                "year",
                format!("{year} is outside {}–{}", YEARS.start(), YEARS.end()),
            ));
        }
        let start = Date::new(year, 1, 1).map_err(|e| DomainError::new("year", e.to_string()))?;
        let end = Date::new(year + 1, 1, 1).map_err(|e| DomainError::new("year", e.to_string()))?;
        Self::new(midnight(start, tz)?, midnight(end, tz)?)
    }

    /// The same span one year earlier (see the module documentation for 29 February).
    ///
    /// # Errors
    /// When the instants are outside the supported range.
    pub fn previous_year(&self, tz: &TimeZone) -> Result<Self, DomainError> {
        let from = year_earlier(self.from, tz)?;
        let end = local(self.to, tz)?;
        let to = if end.month() == 2 && end.day() == 29 && end.time() == Time::midnight() {
            let march = Date::new(end.year() - 1, 3, 1)
                .map_err(|e| DomainError::new("period", e.to_string()))?;
            midnight(march, tz)?
        } else {
            year_earlier(self.to, tz)?
        };
        // Mapping is monotonic, so from < to still holds; keep the check for safety.
        Self::new(from, to.max(from + 1))
    }

    #[must_use]
    pub const fn contains(&self, t: i64) -> bool {
        t >= self.from && t < self.to
    }

    /// The calendar months (in `tz`) that make up the period, the first and last clipped to
    /// it, each labelled `YYYY-MM`.
    ///
    /// # Errors
    /// When the period spans more than [`MAX_MONTHS`] months.
    pub fn months(&self, tz: &TimeZone) -> Result<Vec<(String, Self)>, DomainError> {
        let first = local(self.from, tz)?.date().first_of_month();
        let mut out = Vec::new();
        let mut month = first;
        loop {
            let start = midnight(month, tz)?.max(self.from);
            let next = month
                .checked_add(1.month())
                .map_err(|e| DomainError::new("period", e.to_string()))?;
            let end = midnight(next, tz)?.min(self.to);
            if start < end {
                out.push((
                    format!("{:04}-{:02}", month.year(), month.month()),
                    Self {
                        from: start,
                        to: end,
                    },
                ));
            }
            if end >= self.to {
                break;
            }
            if out.len() >= MAX_MONTHS {
                return Err(DomainError::new(
                    "to",
                    format!("the period spans more than {MAX_MONTHS} months"),
                ));
            }
            month = next;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hcm() -> TimeZone {
        TimeZone::get("Asia/Ho_Chi_Minh").unwrap()
    }

    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn a_year_is_local() {
        let p = Period::year(2024, &hcm()).unwrap();
        assert_eq!(p.from, at("2023-12-31T17:00:00Z"));
        assert_eq!(p.to, at("2024-12-31T17:00:00Z"));
        // 23:30 UTC on 31 December is 06:30 on 1 January in Ho Chi Minh City.
        assert!(!p.contains(at("2024-12-31T23:30:00Z")));
        assert!(
            Period::year(2025, &hcm())
                .unwrap()
                .contains(at("2024-12-31T23:30:00Z"))
        );
        assert!(Period::year(1999, &hcm()).is_err());
    }

    #[test]
    fn previous_year_maps_29_february_to_28() {
        let tz = hcm();
        let y = Period::year(2024, &tz).unwrap();
        assert_eq!(
            y.previous_year(&tz).unwrap(),
            Period::year(2023, &tz).unwrap()
        );
        let day = |d: &str| midnight(d.parse().unwrap(), &tz).unwrap();
        // 29 February alone ↔ 28 February.
        let leap = Period::new(day("2024-02-29"), day("2024-03-01")).unwrap();
        assert_eq!(
            leap.previous_year(&tz).unwrap(),
            Period::new(day("2023-02-28"), day("2023-03-01")).unwrap()
        );
        // A period ending with 28 February keeps its last day.
        let before = Period::new(day("2024-02-01"), day("2024-02-29")).unwrap();
        assert_eq!(
            before.previous_year(&tz).unwrap(),
            Period::new(day("2023-02-01"), day("2023-03-01")).unwrap()
        );
        // Twelve months across a leap day keep it a year earlier.
        let spring = Period::new(day("2024-03-01"), day("2025-03-01")).unwrap();
        assert_eq!(
            spring.previous_year(&tz).unwrap(),
            Period::new(day("2023-03-01"), day("2024-03-01")).unwrap()
        );
        // Midday on 29 February maps to midday on 28 February.
        let half = Period::new(day("2024-02-29"), day("2024-02-29") + 12 * 3600).unwrap();
        assert_eq!(
            half.previous_year(&tz).unwrap(),
            Period::new(day("2023-02-28"), day("2023-02-28") + 12 * 3600).unwrap()
        );
        // February to February.
        let feb = Period::new(day("2024-02-01"), day("2024-03-01")).unwrap();
        assert_eq!(
            feb.previous_year(&tz).unwrap(),
            Period::new(day("2023-02-01"), day("2023-03-01")).unwrap()
        );
    }

    #[test]
    fn months_are_clipped_and_labelled() {
        let tz = hcm();
        let y = Period::year(2024, &tz).unwrap();
        let m = y.months(&tz).unwrap();
        assert_eq!(m.len(), 12);
        assert_eq!(m[0].0, "2024-01");
        assert_eq!(m[1].1.to - m[1].1.from, 29 * 86_400);
        assert_eq!(m[11].1.to, y.to);
        let p = Period::new(y.from + 10 * 86_400, y.from + 40 * 86_400).unwrap();
        let m = p.months(&tz).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].1.from, p.from);
        assert_eq!(m[1].1.to, p.to);
        let long = Period::new(y.from - 20 * 366 * 86_400, y.to).unwrap();
        assert!(long.months(&tz).is_err());
    }
}
