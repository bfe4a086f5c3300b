//! The report as CSV: one row per fact (`section, area_code, area_name, indicator, value,
//! previous, target, target_met, light, at, by, note`), machine values (status codes, plain
//! numbers at full precision, `true`/`false`) rather than the page's words. The change's
//! exact test is written as its machine values: `change_p`, `rate_ratio`, `rate_ratio_low`,
//! `rate_ratio_high` (empty when n/a) and `target_significant`. Free text that a spreadsheet
//! would take for a formula is prefixed with `'`.

use super::{Report, light_class};
use crate::analysis::kpis::Light;
use crate::domain::ProgrammeStatus;

const HEADER: [&str; 12] = [
    "section",
    "area_code",
    "area_name",
    "indicator",
    "value",
    "previous",
    "target",
    "target_met",
    "light",
    "at",
    "by",
    "note",
];

/// Free text made safe for a spreadsheet: a leading `=`, `+`, `-`, `@`, tab or carriage
/// return would start a formula.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A number as a spreadsheet reads it, to the last digit: plain decimals, or the shortest
/// exponent form for very small and very large values (a p value of 1e-100 is not a hundred
/// zeros).
fn number(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-5 || v.abs() >= 1e16) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(String::new, number)
}

fn met(v: Option<bool>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

fn light(l: Light) -> String {
    light_class(l).to_owned()
}

/// The whole report.
///
/// # Errors
/// Only if the CSV writer fails, which writing to memory does not.
pub fn render(r: &Report<'_>) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    totals(&mut w, r)?;
    areas(&mut w, r)?;
    let bytes = w.into_inner().map_err(csv::IntoInnerError::into_error)?;
    // Every field written is a `str`, so the bytes are UTF-8; still, no panic on a bug.
    String::from_utf8(bytes)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e).into())
}

fn totals(w: &mut csv::Writer<Vec<u8>>, r: &Report<'_>) -> Result<(), csv::Error> {
    let z = r.zone;
    let (cases, cases_prev) = r.cases();
    let mut totals: Vec<(&str, String, String)> = vec![
        ("year", r.year.to_string(), String::new()),
        ("period_from", z.format(r.period.from), String::new()),
        ("period_to", z.format(r.period.to), String::new()),
        ("designated", r.areas.len().to_string(), String::new()),
    ];
    for s in ProgrammeStatus::ALL {
        totals.push((s.as_str(), r.count(s).to_string(), String::new()));
    }
    totals.extend([
        ("conversion_rate", opt(r.conversion_rate()), String::new()),
        ("flagged", r.flagged().to_string(), String::new()),
        ("incidents", cases.to_string(), cases_prev.to_string()),
        ("incidents_change_p", opt(r.cases_test().p), String::new()),
    ]);
    for (name, value, prev) in totals {
        w.write_record([
            "totals", "", "", name, &value, &prev, "", "", "", "", "", "",
        ])?;
    }
    Ok(())
}

fn areas(w: &mut csv::Writer<Vec<u8>>, r: &Report<'_>) -> Result<(), csv::Error> {
    for a in &r.areas {
        let d = a.designation;
        let k = &a.kpis;
        let t = &d.terms.targets;
        let l = k.traffic_lights;
        let (code, name) = (cell(&d.area_code), cell(a.name));
        let area_rows: [(&str, String); 6] = [
            ("status", d.status.as_str().to_owned()),
            ("unit", cell(&d.terms.unit)),
            ("reasons", cell(&d.terms.reasons.join("; "))),
            // Catalogue codes, which cannot start a formula.
            ("categories", d.terms.categories.join(";")),
            ("years_not_converted", a.years_not_converted.to_string()),
            (
                "population",
                k.population.map_or_else(String::new, |p| p.to_string()),
            ),
        ];
        for (ind, v) in area_rows {
            w.write_record(["area", &code, &name, ind, &v, "", "", "", "", "", "", ""])?;
        }
        let none = String::new;
        let kpi_rows: [(&str, String, String, String, String, String); 13] = [
            (
                "incidents",
                k.incidents.to_string(),
                k.incidents_previous.to_string(),
                none(),
                none(),
                none(),
            ),
            (
                "change_pct",
                k.change_pct.map_or_else(|| "n/a".to_owned(), number),
                none(),
                t.case_change_pct.to_string(),
                met(k.target_met),
                light(l.cases),
            ),
            ("change_p", opt(k.change_p), none(), none(), none(), none()),
            (
                "rate_ratio",
                opt(k.rate_ratio),
                none(),
                none(),
                none(),
                none(),
            ),
            (
                "rate_ratio_low",
                opt(k.rate_ratio_low),
                none(),
                none(),
                none(),
                none(),
            ),
            (
                "rate_ratio_high",
                opt(k.rate_ratio_high),
                none(),
                none(),
                none(),
                none(),
            ),
            (
                "target_significant",
                met(k.target_significant),
                none(),
                t.case_change_pct.to_string(),
                none(),
                none(),
            ),
            (
                "rate_per_10k",
                opt(k.rate_per_10k),
                opt(k.rate_per_10k_previous),
                "down".into(),
                met(k.rate_target_met),
                light(l.rate_per_10k),
            ),
            (
                "clearance_rate",
                opt(k.clearance_rate),
                opt(k.clearance_rate_previous),
                t.clearance_rate.to_string(),
                met(k.clearance_target_met),
                light(l.clearance),
            ),
            (
                "clearance_rate_serious",
                opt(k.clearance_rate_serious),
                opt(k.clearance_rate_serious_previous),
                t.clearance_rate_serious.to_string(),
                met(k.clearance_serious_target_met),
                light(l.clearance_serious),
            ),
            (
                "hot_cells",
                k.hot_cells.to_string(),
                none(),
                "0".into(),
                met(k.hotspots_target_met),
                light(l.hotspots),
            ),
            (
                "cameras",
                k.cameras.to_string(),
                none(),
                none(),
                none(),
                none(),
            ),
            (
                "models",
                k.models.to_string(),
                none(),
                none(),
                none(),
                none(),
            ),
        ];
        for (ind, v, p, target, m, li) in kpi_rows {
            w.write_record([
                "kpi", &code, &name, ind, &v, &p, &target, &m, &li, "", "", "",
            ])?;
        }
        for zz in &k.hotspot_zones {
            w.write_record([
                "hotspot_zone",
                &code,
                &name,
                &zz.id,
                &zz.incidents.to_string(),
                "",
                "",
                "",
                "",
                "",
                "",
                &format!("{} cells, {} km²", zz.cells, number(zz.area_km2)),
            ])?;
        }
        for ev in &a.events {
            let detail = match (&ev.note, ev.evidence.is_empty()) {
                (Some(n), true) => cell(n),
                (Some(n), false) => cell(&format!("{n} [{}]", ev.evidence.join(" "))),
                // Links are validated to start with http(s)://.
                (None, false) => ev.evidence.join(" "),
                (None, true) => String::new(),
            };
            w.write_record([
                "history",
                &code,
                &name,
                ev.kind.as_str(),
                ev.to.as_str(),
                ev.from.map_or("", ProgrammeStatus::as_str),
                "",
                "",
                "",
                &r.zone.format(ev.at),
                &cell(&ev.by.name),
                &detail,
            ])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Catalogue, Zone};
    use crate::report::tests::{designations, events, report};

    fn records() -> Vec<csv::StringRecord> {
        let (zone, catalogue) = (Zone::default(), Catalogue::defaults());
        let (d, e) = (designations(), events());
        let text = render(&report(&zone, &catalogue, &d, &e)).unwrap();
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(rd.headers().unwrap(), HEADER.as_slice());
        rd.records().map(Result::unwrap).collect()
    }

    fn find<'a>(rs: &'a [csv::StringRecord], section: &str, ind: &str) -> &'a csv::StringRecord {
        rs.iter()
            .find(|r| &r[0] == section && &r[3] == ind)
            .unwrap_or_else(|| panic!("no {section} {ind}"))
    }

    #[test]
    fn formulas_are_guarded_and_other_text_kept() {
        let rs = records();
        let unit = find(&rs, "area", "unit");
        assert_eq!(&unit[4], "'=HYPERLINK(\"http://evil.example\",\"bấm\")");
        // HTML is not CSV's business: the name is kept as written.
        assert_eq!(&unit[2], "<script>alert('x')</script> & \"chợ\"");
        assert_eq!(&find(&rs, "area", "reasons")[4], "'-1 trộm cắp");
        let h = find(&rs, "history", "transition");
        assert_eq!(&h[10], "'@cán bộ");
        assert_eq!(
            &h[11],
            "'=cmd|' /C calc'!A0 <b>đậm</b> [https://example.org/a?b=1&c='2']"
        );
        assert_eq!((&h[4], &h[5]), ("not_converted", "in_progress"));
    }

    #[test]
    fn totals_and_machine_values() {
        let rs = records();
        let v = |ind: &str| find(&rs, "totals", ind)[4].to_owned();
        assert_eq!(v("year"), "2024");
        assert_eq!(v("designated"), "2");
        assert_eq!(v("conversion_rate"), "0.5");
        assert_eq!(v("flagged"), "1");
        assert_eq!(&find(&rs, "totals", "incidents")[5], "8");
        assert_eq!(&find(&rs, "area", "categories")[4], "theft;retired_code");
        let change = find(&rs, "kpi", "change_pct");
        assert_eq!((&change[4], &change[6], &change[8]), ("50", "-5", "grey"));
        // The exact test's machine values at full precision: 12 against 8.
        let p: f64 = find(&rs, "kpi", "change_p")[4].parse().unwrap();
        assert!((p - 0.503_444_671_630_859_4).abs() < 1e-12, "{p}");
        assert_eq!(&find(&rs, "kpi", "rate_ratio")[4], "1.5");
        let low: f64 = find(&rs, "kpi", "rate_ratio_low")[4].parse().unwrap();
        assert!(low > 0.5 && low < 1.0, "{low}");
        assert_eq!(&find(&rs, "kpi", "target_significant")[4], "");
        assert_eq!(number(4.571_949_565_129_136e-100), "4.571949565129136e-100");
        assert_eq!(number(0.000_030_517_578_125), "0.000030517578125");
        assert_eq!(number(0.000_003_051_757_812_5), "3.0517578125e-6");
        assert_eq!(number(0.25), "0.25");
        // The second area had no case a year earlier: no ratio, no upper bound.
        let second = |ind: &str| {
            rs.iter()
                .find(|r| &r[0] == "kpi" && &r[1] == "dbpt-02" && &r[3] == ind)
                .unwrap()[4]
                .to_owned()
        };
        assert_eq!(
            (second("rate_ratio"), second("rate_ratio_high")),
            (String::new(), String::new())
        );
        assert!(!second("rate_ratio_low").is_empty());
    }
}
