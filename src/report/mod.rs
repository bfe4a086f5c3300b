//! The yearly report of the conversion programme: the programme's totals, then every complex
//! area designated for the year with its status, KPIs against its targets, hotspots and
//! history. This module is the model and its two renderings, pure functions of their input
//! (no database, no server, no clock): `http::report` gathers the input (the snapshot, the
//! year's history from the store, KPIs computed off the runtime) and answers with
//! [`html::render`] (printable A4, Vietnamese or English: [`i18n`]) or [`csv::render`].
//!
//! Every text from the database is escaped in HTML by construction (maud) and guarded
//! against spreadsheet formulas in CSV.

pub mod csv;
pub mod html;
pub mod i18n;

use crate::analysis::kpis::{AreaKpis, Light, change_pct};
use crate::analysis::rates::ChangeTest;
use crate::domain::programme::is_flagged;
use crate::domain::{Catalogue, Designation, Period, ProgrammeEvent, ProgrammeStatus, Zone};
use crate::index::Snapshot;
use i18n::Lang;

/// One complex area of the report.
#[derive(Debug, Clone)]
pub struct AreaReport<'a> {
    pub designation: &'a Designation,
    /// The area's name (from the area layer).
    pub name: &'a str,
    /// Over the report's period, against the designation's targets.
    pub kpis: AreaKpis,
    /// The designation's history, oldest first.
    pub events: Vec<&'a ProgrammeEvent>,
    /// The run of years not converted up to the report's year.
    pub years_not_converted: u32,
}

impl AreaReport<'_> {
    /// Singled out: not converted two or more years running.
    #[must_use]
    pub fn flagged(&self) -> bool {
        is_flagged(self.years_not_converted)
    }
}

/// What both formats show.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    pub year: i16,
    pub period: Period,
    /// The committee's zone, in which every time is written.
    pub zone: &'a Zone,
    /// Unix seconds; an input rather than a clock read, so that rendering is repeatable.
    pub generated_at: i64,
    /// The snapshot's `data_version`, so that a printed report can be traced to its data.
    pub data_version: i64,
    /// Labels of the categories of concern.
    pub catalogue: &'a Catalogue,
    /// In the programme's order.
    pub areas: Vec<AreaReport<'a>>,
}

/// The year's designations whose area is in the snapshot, with the area's position in the
/// area layer (what the KPIs are computed for), in the programme's order.
#[must_use]
pub fn designations(snap: &Snapshot, year: i16) -> Vec<(usize, &Designation)> {
    snap.programme
        .of_year(year)
        .filter_map(|d| snap.areas.position(&d.area_code).map(|p| (p, d)))
        .collect()
}

impl<'a> Report<'a> {
    /// The report of `year` from a snapshot, the [`designations`] with their KPIs (in the
    /// same order), and the year's history (any order of areas; each area's events oldest
    /// first).
    #[must_use]
    pub fn from_snapshot(
        snap: &'a Snapshot,
        zone: &'a Zone,
        year: i16,
        period: Period,
        generated_at: i64,
        areas: impl IntoIterator<Item = ((usize, &'a Designation), AreaKpis)>,
        events: &'a [ProgrammeEvent],
    ) -> Self {
        let areas = areas
            .into_iter()
            .map(|((pos, d), kpis)| AreaReport {
                designation: d,
                name: &snap.areas.areas()[pos].data.name,
                kpis,
                events: events
                    .iter()
                    .filter(|e| e.area_code == d.area_code && e.year == d.year)
                    .collect(),
                years_not_converted: snap.programme.years_not_converted(&d.area_code, d.year),
            })
            .collect();
        Self {
            year,
            period,
            zone,
            generated_at,
            data_version: snap.version,
            catalogue: &snap.catalogue,
            areas,
        }
    }

    /// Areas whose designation has status `s`.
    #[must_use]
    pub fn count(&self, s: ProgrammeStatus) -> usize {
        self.areas
            .iter()
            .filter(|a| a.designation.status == s)
            .count()
    }

    /// Areas reviewed at the year's end: converted or not.
    #[must_use]
    pub fn reviewed(&self) -> usize {
        self.count(ProgrammeStatus::Converted) + self.count(ProgrammeStatus::NotConverted)
    }

    #[must_use]
    pub fn flagged(&self) -> usize {
        self.areas.iter().filter(|a| a.flagged()).count()
    }

    /// Converted over reviewed; `None` before any review.
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    #[must_use]
    pub fn conversion_rate(&self) -> Option<f64> {
        let reviewed = self.reviewed();
        (reviewed > 0).then(|| self.count(ProgrammeStatus::Converted) as f64 / reviewed as f64)
    }

    /// Cases in all areas: this period and the same period a year earlier.
    #[must_use]
    pub fn cases(&self) -> (u64, u64) {
        self.areas.iter().fold((0, 0), |(a, b), e| {
            (a + e.kpis.incidents, b + e.kpis.incidents_previous)
        })
    }

    /// Whether every area's data reach back into the period a year earlier
    /// (`AreaKpis::previous_covered`): otherwise the totals' comparison is n/a too.
    #[must_use]
    pub fn previous_covered(&self) -> bool {
        self.areas.iter().all(|e| e.kpis.previous_covered)
    }

    /// Percent change of [`Self::cases`]; `None` without cases (or data) a year earlier.
    #[must_use]
    pub fn cases_change_pct(&self) -> Option<f64> {
        let (cases, previous) = self.cases();
        change_pct(cases, previous).filter(|_| self.previous_covered())
    }

    /// The exact test of [`Self::cases`]' change (the areas' counts summed); empty without
    /// data a year earlier.
    #[must_use]
    pub fn cases_test(&self) -> ChangeTest {
        let (cases, previous) = self.cases();
        crate::analysis::kpis::compared(self.previous_covered(), cases, previous)
    }

    /// A category's label; its code when the catalogue no longer has it.
    #[must_use]
    pub fn category_label<'s>(&'s self, code: &'s str, lang: Lang) -> &'s str {
        self.catalogue
            .categories
            .iter()
            .find(|c| c.code == code)
            .map_or(code, |c| match lang {
                Lang::Vi => &c.label_vi,
                Lang::En => &c.label_en,
            })
    }
}

/// A traffic light's name: its CSS class on the page and its value in CSV.
#[must_use]
pub const fn light_class(l: Light) -> &'static str {
    match l {
        Light::Green => "green",
        Light::Amber => "amber",
        Light::Red => "red",
        Light::Grey => "grey",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! A small hand-built report, shared by the renderers' tests: no server, no database.

    use super::*;
    use crate::analysis::kpis::Lights;
    use crate::domain::{Actor, DesignationTerms, EventKind, Targets};

    pub const HOSTILE_NAME: &str = "<script>alert('x')</script> & \"chợ\"";
    pub const FORMULA_UNIT: &str = "=HYPERLINK(\"http://evil.example\",\"bấm\")";

    pub fn kpis(incidents: u64, incidents_previous: u64) -> AreaKpis {
        let test = crate::analysis::rates::change_test(incidents, incidents_previous);
        AreaKpis {
            incidents,
            incidents_previous,
            change_pct: change_pct(incidents, incidents_previous),
            change_pct_text: String::new(),
            previous_covered: true,
            target_met: None,
            change_p: test.p,
            rate_ratio: test.rate_ratio,
            rate_ratio_low: test.low,
            rate_ratio_high: test.high,
            target_significant: None,
            by_category: Vec::new(),
            by_severity: Vec::new(),
            solved: 0,
            solved_previous: 0,
            clearance_rate: None,
            clearance_rate_previous: None,
            clearance_target_met: None,
            serious: 0,
            serious_solved: 0,
            clearance_rate_serious: None,
            clearance_rate_serious_previous: None,
            clearance_serious_target_met: None,
            population: None,
            rate_per_10k: None,
            rate_per_10k_previous: None,
            rate_per_10k_change_pct: None,
            rate_target_met: None,
            rate_per_10k_eb: None,
            rate_per_10k_seb: None,
            area_km2: 1.0,
            cameras: 0,
            cameras_active: 0,
            cameras_per_km2: 0.0,
            cameras_per_10k: None,
            models: 0,
            models_active: 0,
            models_per_km2: 0.0,
            models_per_10k: None,
            hotspot_res: h3o::Resolution::Nine,
            hot_cells: 0,
            hot_cell_ids: Vec::new(),
            hotspot_zones: Vec::new(),
            hotspots_target_met: Some(true),
            hotspots_note: None,
            traffic_lights: Lights {
                cases: Light::Grey,
                rate_per_10k: Light::Grey,
                clearance: Light::Grey,
                clearance_serious: Light::Grey,
                hotspots: Light::Green,
            },
            monthly: Vec::new(),
        }
    }

    pub fn designation(code: &str, status: ProgrammeStatus, unit: &str) -> Designation {
        Designation {
            id: 1,
            area_code: code.to_owned(),
            year: 2024,
            terms: DesignationTerms {
                reasons: vec!["-1 trộm cắp".to_owned()],
                categories: vec!["theft".to_owned(), "retired_code".to_owned()],
                unit: unit.to_owned(),
                targets: Targets::default(),
            },
            status,
            created_by: Actor {
                name: "tester".to_owned(),
                token_id: None,
            },
            created_at: 1_704_042_000,
        }
    }

    pub fn event(code: &str, note: &str, evidence: &str) -> ProgrammeEvent {
        ProgrammeEvent {
            id: 7,
            area_code: code.to_owned(),
            year: 2024,
            seq: 2,
            kind: EventKind::Transition,
            from: Some(ProgrammeStatus::InProgress),
            to: ProgrammeStatus::NotConverted,
            note: Some(note.to_owned()),
            evidence: vec![evidence.to_owned()],
            changes: None,
            by: Actor {
                name: "@cán bộ".to_owned(),
                token_id: Some(3),
            },
            at: 1_735_000_000,
        }
    }

    /// Two areas: one with hostile text everywhere and flagged (not converted three years
    /// running), one plain and converted.
    pub fn report<'a>(
        zone: &'a Zone,
        catalogue: &'a Catalogue,
        designations: &'a [Designation],
        events: &'a [ProgrammeEvent],
    ) -> Report<'a> {
        Report {
            year: 2024,
            period: Period {
                from: 1_704_042_000,
                to: 1_735_664_400,
            },
            zone,
            generated_at: 1_735_000_000,
            data_version: 42,
            catalogue,
            areas: vec![
                AreaReport {
                    designation: &designations[0],
                    name: HOSTILE_NAME,
                    kpis: kpis(12, 8),
                    events: events.iter().collect(),
                    years_not_converted: 3,
                },
                AreaReport {
                    designation: &designations[1],
                    name: "Khu phố 2",
                    kpis: kpis(3, 0),
                    events: Vec::new(),
                    years_not_converted: 0,
                },
            ],
        }
    }

    pub fn designations() -> [Designation; 2] {
        [
            designation("dbpt-01", ProgrammeStatus::NotConverted, FORMULA_UNIT),
            designation("dbpt-02", ProgrammeStatus::Converted, "Công an phường"),
        ]
    }

    pub fn events() -> [ProgrammeEvent; 1] {
        [event(
            "dbpt-01",
            "=cmd|' /C calc'!A0 <b>đậm</b>",
            "https://example.org/a?b=1&c='2'",
        )]
    }

    #[test]
    fn totals_count_reviews_flags_and_cases() {
        let (zone, catalogue) = (Zone::default(), Catalogue::defaults());
        let (d, e) = (designations(), events());
        let r = report(&zone, &catalogue, &d, &e);
        assert_eq!(r.count(ProgrammeStatus::NotConverted), 1);
        assert_eq!(r.count(ProgrammeStatus::InProgress), 0);
        assert_eq!(r.reviewed(), 2);
        assert_eq!(r.conversion_rate(), Some(0.5));
        assert_eq!(r.flagged(), 1);
        assert_eq!(r.cases(), (15, 8));
        assert_eq!(r.cases_change_pct(), Some(87.5));
        assert_eq!(r.category_label("theft", Lang::En), "Theft");
        assert_eq!(r.category_label("theft", Lang::Vi), "Trộm cắp tài sản");
        assert_eq!(r.category_label("retired_code", Lang::Vi), "retired_code");
    }

    #[test]
    fn no_review_no_rate() {
        let (zone, catalogue) = (Zone::default(), Catalogue::defaults());
        let (d, e) = (designations(), events());
        let mut r = report(&zone, &catalogue, &d, &e);
        r.areas.clear();
        assert_eq!(r.conversion_rate(), None);
        assert_eq!(r.cases_change_pct(), None);
    }
}
