//! "Is the change real?" and Empirical-Bayes rates against independent implementations:
//! the exact test and the rate ratio's interval against scipy
//! (`tests/fixtures/kpi_stats/change_tests.json`, made by
//! `scripts/fixtures/make_kpi_stats_fixtures.py`), and the ward rates against esda on the
//! committed sample's 2024 wards, with libpysal's queen neighbours
//! (`tests/fixtures/eb/`, made by `scripts/fixtures/make_eb_fixtures.py`). The sample's
//! layers are built straight from `sample-data/` with no database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::float_cmp)]

use std::sync::Arc;

use diemnong::analysis::kpis::{HotSet, KpiInput, WardRates, kpis};
use diemnong::analysis::rates::{change_test, eb_global, eb_spatial};
use diemnong::domain::{Area, AreaKind, NewIncident, Period, Targets, Zone};
use diemnong::index::{AreaLayer, IncidentIndex, Snapshot};
use diemnong::ingest::{Context, read_file};
use serde_json::Value;

use crate::common;

fn fixture(rel: &str) -> Value {
    let text = std::fs::read_to_string(common::repo_path(rel)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Relative difference, with an absolute floor for values the doubles barely hold.
fn rel_err(got: f64, want: f64, floor: f64) -> f64 {
    if got == want {
        return 0.0;
    }
    let diff = (got - want).abs();
    if diff <= floor {
        return 0.0;
    }
    diff / got.abs().max(want.abs())
}

fn opt(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// Every case of the scipy fixture, to 1e-10 relative (1e-300 absolute below the doubles'
/// reliable range): the p value, the ratio and both ends of its interval, null where scipy
/// says n/a.
#[test]
fn the_exact_test_and_the_ratio_s_interval_match_scipy() {
    let f = fixture("tests/fixtures/kpi_stats/change_tests.json");
    let cases = f["cases"].as_array().unwrap();
    assert!(cases.len() >= 60);
    let mut worst = [0.0_f64; 4];
    for c in cases {
        let (cur, prev) = (c["cur"].as_u64().unwrap(), c["prev"].as_u64().unwrap());
        let t = change_test(cur, prev);
        let pairs = [
            ("p", t.p, opt(&c["p"])),
            ("rate_ratio", t.rate_ratio, opt(&c["rate_ratio"])),
            ("rr_low", t.low, opt(&c["rr_low"])),
            ("rr_high", t.high, opt(&c["rr_high"])),
        ];
        for (i, (name, got, want)) in pairs.into_iter().enumerate() {
            match (got, want) {
                (None, None) => {}
                (Some(g), Some(w)) => {
                    let e = rel_err(g, w, 1e-300);
                    assert!(
                        e <= 1e-10,
                        "{cur} vs {prev}: {name} {g} ≠ scipy {w} ({e:e})"
                    );
                    worst[i] = worst[i].max(e);
                }
                _ => panic!("{cur} vs {prev}: {name} {got:?}, scipy {want:?}"),
            }
        }
        assert_eq!(
            t.significant(),
            opt(&c["p"]).map(|p| p < 0.05),
            "{cur} vs {prev}"
        );
    }
    eprintln!(
        "largest relative differences from scipy: p {:e}, ratio {:e}, low {:e}, high {:e}",
        worst[0], worst[1], worst[2], worst[3]
    );
}

/// The sample's wards and incidents, numbered 1…n in file order as a fresh import would.
fn sample_snapshot() -> Snapshot {
    let ctx = Context::defaults();
    let incidents: Vec<NewIncident> =
        read_file(&common::repo_path("sample-data/incidents.csv"), &ctx).unwrap();
    let areas = read_file(&common::repo_path("sample-data/areas.geojson"), &ctx).unwrap();
    Snapshot {
        incidents: IncidentIndex::from_records(&incidents),
        areas: Arc::new(AreaLayer::new(
            (1..)
                .zip(areas)
                .map(|(id, data)| Area { id, data })
                .collect(),
        )),
        catalogue: ctx.catalogue,
        ..Snapshot::default()
    }
}

fn year_2024() -> Period {
    Period::year(2024, Zone::default().tz()).unwrap()
}

/// The ward table of 2024 (counts, populations, neighbours) and both smoothed rates equal
/// esda's on libpysal's queen weights, the rates to 1e-12.
#[test]
fn ward_rates_of_2024_match_esda_and_libpysal() {
    let f = fixture("tests/fixtures/eb/wards_2024.json");
    let want = f["wards"].as_array().unwrap();
    let snap = sample_snapshot();
    let w = WardRates::new(&snap, year_2024());
    let areas = snap.areas.areas();
    let codes: Vec<&str> = w
        .positions
        .iter()
        .map(|p| areas[*p].data.code.as_str())
        .collect();
    let want_codes: Vec<&str> = want.iter().map(|x| x["code"].as_str().unwrap()).collect();
    assert_eq!(codes, want_codes);
    let mut worst = (0.0_f64, 0.0_f64);
    for (i, x) in want.iter().enumerate() {
        let code = codes[i];
        assert_eq!(w.population[i], x["population"].as_u64().unwrap(), "{code}");
        assert_eq!(w.events[i], x["events"].as_u64().unwrap(), "{code}");
        let mut ours: Vec<&str> = w.neighbours[i].iter().map(|j| codes[*j]).collect();
        ours.sort_unstable();
        let mut theirs: Vec<&str> = x["neighbours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        theirs.sort_unstable();
        assert_eq!(ours, theirs, "{code}'s neighbours");
        let (eb, seb) = (x["eb"].as_f64().unwrap(), x["seb"].as_f64().unwrap());
        let (e1, e2) = (rel_err(w.eb[i], eb, 0.0), rel_err(w.seb[i], seb, 0.0));
        assert!(e1 <= 1e-12, "{code}: EB {} ≠ esda {eb}", w.eb[i]);
        assert!(e2 <= 1e-12, "{code}: spatial EB {} ≠ esda {seb}", w.seb[i]);
        worst = (worst.0.max(e1), worst.1.max(e2));
    }
    eprintln!(
        "largest relative differences from esda: EB {:e}, spatial EB {:e}",
        worst.0, worst.1
    );
}

/// The hand-made edges: esda's values where esda defines them; the clipped variance (global)
/// and the empty neighbourhood (spatial) as the script documents.
#[test]
fn eb_edges_clip_the_variance_and_keep_empty_neighbourhoods_at_zero() {
    let f = fixture("tests/fixtures/eb/small.json");
    for c in f["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let nums = |k: &str| -> Vec<f64> {
            c[k].as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let (e, b) = (nums("events"), nums("base"));
        let nb: Vec<Vec<usize>> = c["neighbours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                l.as_array()
                    .unwrap()
                    .iter()
                    .map(|j| usize::try_from(j.as_u64().unwrap()).unwrap())
                    .collect()
            })
            .collect();
        for (got, want, what) in [
            (eb_global(&e, &b), nums("eb_expected"), "EB"),
            (eb_spatial(&e, &b, &nb), nums("seb_expected"), "spatial EB"),
        ] {
            assert_eq!(got.len(), want.len());
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    rel_err(*g, *w, 0.0) <= 1e-12,
                    "{name} {what} [{i}]: {g} ≠ {w}"
                );
            }
        }
    }
}

/// Through the KPIs: a ward's smoothed rates per 10,000 are esda's × 10,000, its count is
/// the ward table's, and the change test is the one checked against scipy; a complex area
/// has no EB rate.
#[test]
fn kpis_of_a_ward_carry_its_smoothed_rates_and_the_change_test() {
    let f = fixture("tests/fixtures/eb/wards_2024.json");
    let snap = sample_snapshot();
    let tz = Zone::default();
    let period = year_2024();
    let previous = period.previous_year(tz.tz()).unwrap();
    let w = WardRates::new(&snap, period);
    let hot = HotSet::default();
    let run = |pos: usize| {
        kpis(
            &snap,
            &KpiInput {
                area: &snap.areas.areas()[pos],
                cover: &[],
                period,
                previous,
                months: &[],
                targets: Targets::default(),
                hot: &hot,
                monthly_hot: &[],
                wards: Some(&w),
            },
        )
    };
    for x in f["wards"].as_array().unwrap().iter().step_by(11) {
        let code = x["code"].as_str().unwrap();
        let pos = snap.areas.position(code).unwrap();
        let k = run(pos);
        assert_eq!(k.incidents, x["events"].as_u64().unwrap(), "{code}");
        let eb = x["eb"].as_f64().unwrap() * 10_000.0;
        let seb = x["seb"].as_f64().unwrap() * 10_000.0;
        assert!(
            rel_err(k.rate_per_10k_eb.unwrap(), eb, 0.0) <= 1e-12,
            "{code}"
        );
        assert!(
            rel_err(k.rate_per_10k_seb.unwrap(), seb, 0.0) <= 1e-12,
            "{code}"
        );
        let t = change_test(k.incidents, k.incidents_previous);
        assert_eq!(
            (
                k.change_p,
                k.rate_ratio,
                k.rate_ratio_low,
                k.rate_ratio_high
            ),
            (t.p, t.rate_ratio, t.low, t.high),
            "{code}"
        );
        assert_eq!(
            k.target_significant,
            k.target_met.map(|m| m && t.p.unwrap() < 0.05),
            "{code}"
        );
        // Full precision: the raw rate is cases / residents × 10,000, not rounded.
        #[expect(clippy::cast_precision_loss, reason = "small counts")]
        let raw = k.incidents as f64 / x["population"].as_f64().unwrap() * 10_000.0;
        assert_eq!(k.rate_per_10k, Some(raw), "{code}");
    }
    let complex = snap
        .areas
        .areas()
        .iter()
        .position(|a| a.data.kind == AreaKind::ComplexArea)
        .unwrap();
    let k = run(complex);
    assert_eq!((k.rate_per_10k_eb, k.rate_per_10k_seb), (None, None));
}

/// The sample begins on 1 January 2023: 2024 against 2023 is a comparison, 2023 against
/// 2022 is not (no incident was recorded then, so its "0 cases" means "not recorded"), and
/// every comparison of such a period is n/a rather than a significant rise from 0.
#[test]
fn a_year_earlier_than_the_data_is_not_compared() {
    let snap = sample_snapshot();
    let tz = Zone::default();
    let hot = HotSet::default();
    let first = snap.incidents.first_time().unwrap();
    let records = common::sample_records();
    assert_eq!(
        Some(first),
        records.iter().map(|r| r.occurred_at).min(),
        "the index knows when the data begin"
    );
    let pos = snap
        .areas
        .areas()
        .iter()
        .position(|a| a.data.kind == AreaKind::ComplexArea)
        .unwrap();
    let run = |year: i16| {
        let period = Period::year(year, tz.tz()).unwrap();
        kpis(
            &snap,
            &KpiInput {
                area: &snap.areas.areas()[pos],
                cover: &[],
                period,
                previous: period.previous_year(tz.tz()).unwrap(),
                months: &[],
                targets: Targets::default(),
                hot: &hot,
                monthly_hot: &[],
                wards: None,
            },
        )
    };
    let k = run(2024);
    assert!(k.previous_covered);
    assert!(k.incidents > 0 && k.incidents_previous > 0);
    assert!(k.change_p.is_some() && k.rate_ratio.is_some() && k.target_met.is_some());
    let k = run(2023);
    assert!(!k.previous_covered);
    assert!(k.incidents > 0 && k.incidents_previous == 0);
    assert_eq!(
        (k.change_pct, k.target_met, k.change_p, k.rate_ratio_low),
        (None, None, None, None)
    );
    assert!(k.by_category.iter().all(|c| c.change_pct.is_none()));
}
