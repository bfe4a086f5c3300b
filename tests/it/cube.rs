//! The space-time cube against esda: Gi* per (cell, month) with cylinder weights, per-slice
//! Benjamini–Hochberg bins and Mann-Kendall trends (pymannkendall), on the committed sample
//! (fixtures by `scripts/fixtures/make_cube_fixtures.py`).
#![allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly on a broken fixture"
)]

use crate::common;

use diemnong::analysis::cube::{CubeParams, Slice, emerging};
use diemnong::analysis::emerging::classify;
use diemnong::domain::Zone;
use diemnong::index::{Filter, IncidentIndex};
use serde_json::Value;

#[test]
fn cube_matches_esda_and_pymannkendall() {
    let records = common::sample_records();
    let index = IncidentIndex::from_records(&records);
    let zone = Zone::default();
    for name in [
        "res8_k1_t1_2024_all",
        "res7_k1_t0_2023_2024_theft",
        "res8_k1_t1_2024_all_harm",
    ] {
        let fx: Value = serde_json::from_slice(
            &std::fs::read(common::repo_path(&format!(
                "tests/fixtures/cube/{name}.json"
            )))
            .unwrap(),
        )
        .unwrap();
        let mut filter = Filter::default();
        if let Some(c) = fx["category"].as_str() {
            filter.categories = Some(vec![index.categories().get(c).unwrap()]);
        }
        let from = zone
            .parse_instant("from", fx["from"].as_str().unwrap())
            .unwrap();
        let to = zone
            .parse_instant("to", fx["to"].as_str().unwrap())
            .unwrap();
        filter.from = Some(from);
        filter.to = Some(to);
        let res =
            h3o::Resolution::try_from(u8::try_from(fx["res"].as_u64().unwrap()).unwrap()).unwrap();
        let k = u32::try_from(fx["k"].as_u64().unwrap()).unwrap();
        let time_k = usize::try_from(fx["time_k"].as_u64().unwrap()).unwrap();
        let params = CubeParams {
            res,
            k,
            time_k,
            slice: Slice::Month,
            range: (Some(from), Some(to)),
        };
        let harm = fx["weight"] == "harm";
        let weighting = common::fixture_weighting(&fx, &index, name);
        let cube = emerging(&index, &filter, &params, zone.tz(), &weighting).unwrap();
        assert_eq!(
            cube.bounds.len() - 1,
            usize::try_from(fx["n_slices"].as_u64().unwrap()).unwrap(),
            "{name}: slices"
        );
        let cells = fx["cells"].as_array().unwrap();
        assert_eq!(cube.cells.len(), cells.len(), "{name}: cells");
        let mut significant = 0;
        for (ours, theirs) in cube.cells.iter().zip(cells) {
            let h3 = theirs["h3"].as_str().unwrap();
            assert_eq!(ours.cell.to_string(), h3, "{name}");
            let counts: Vec<u32> = theirs["counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| u32::try_from(v.as_u64().unwrap()).unwrap())
                .collect();
            assert_eq!(ours.counts, counts, "{name} {h3}: counts");
            if harm {
                let want: Vec<f64> = theirs["harm"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect();
                let got = ours.harm.as_ref().unwrap();
                assert_eq!(got.len(), want.len());
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() <= 1e-9 * w.max(1.0), "{name} {h3}: harm");
                }
            } else {
                assert!(ours.harm.is_none());
            }
            for (s, z) in theirs["z"].as_array().unwrap().iter().enumerate() {
                let z = z.as_f64().unwrap();
                assert!(
                    (ours.z[s] - z).abs() <= 1e-9,
                    "{name} {h3} slice {s}: z {} vs {z}",
                    ours.z[s]
                );
            }
            let bins: Vec<i8> = theirs["bins"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| i8::try_from(v.as_i64().unwrap()).unwrap())
                .collect();
            assert_eq!(ours.bins, bins, "{name} {h3}: bins");
            significant += bins.iter().filter(|b| **b != 0).count();
            match (&ours.trend, theirs["trend_s"].as_i64()) {
                (Some(t), Some(s)) => {
                    assert_eq!(t.s, s, "{name} {h3}: S");
                    let var = theirs["trend_var_s"].as_f64().unwrap();
                    assert!(
                        (t.var_s - var).abs() <= 1e-9 * var.abs().max(1.0),
                        "{name} {h3}: Var(S) {} vs {var}",
                        t.var_s
                    );
                    assert!(
                        (t.z - theirs["trend_z"].as_f64().unwrap()).abs() <= 1e-9,
                        "{name} {h3}: trend z"
                    );
                    assert!(
                        (t.p - theirs["trend_p"].as_f64().unwrap()).abs() <= 1e-9,
                        "{name} {h3}: trend p"
                    );
                    assert!(
                        (t.tau - theirs["trend_tau"].as_f64().unwrap()).abs() <= 1e-12,
                        "{name} {h3}: tau"
                    );
                }
                (None, None) => {}
                (a, b) => panic!("{name} {h3}: trend {a:?} vs {b:?}"),
            }
            assert_eq!(ours.category, classify(&ours.bins, ours.trend.as_ref()));
        }
        assert!(significant > 0, "{name}: the sample has significant bins");
    }
}

/// The cube anonymous callers get (issue 18): each (cell, month) bin is exactly the count a
/// density of that cell over that month publishes — the same incidents, the same number —
/// and the cells are those published over the year, grown by their k-disks.
#[test]
fn the_published_cube_bins_are_the_published_month_counts() {
    use diemnong::analysis::cells::published_counts;
    use diemnong::analysis::cube::emerging_published;
    use diemnong::analysis::disclosure::{PTable, PTableParams};
    let index = IncidentIndex::from_records(&common::sample_records());
    let zone = Zone::default();
    let pt = PTable::build(PTableParams::default()).unwrap();
    let at = |d: &str| zone.parse_instant("t", d).unwrap();
    let (from, to) = (at("2024-01-01"), at("2025-01-01"));
    let res = h3o::Resolution::Nine;
    let filter = Filter {
        from: Some(from),
        to: Some(to),
        ..Filter::default()
    };
    let params = CubeParams {
        res,
        k: 1,
        time_k: 1,
        slice: Slice::Month,
        range: (Some(from), Some(to)),
    };
    let cube = emerging_published(&index, &filter, &params, zone.tz(), &pt).unwrap();
    assert_eq!(cube.bounds.len(), 13);
    let year = published_counts(&index, &filter, res, &pt);
    let published_cells: std::collections::BTreeSet<_> = year.iter().map(|(c, _)| *c).collect();
    let in_cube: std::collections::BTreeSet<_> = cube.cells.iter().map(|c| c.cell).collect();
    assert!(published_cells.is_subset(&in_cube));
    let mut positive = 0;
    for s in 0..12 {
        let month = Filter {
            from: Some(cube.bounds[s]),
            to: Some(cube.bounds[s + 1]),
            ..Filter::default()
        };
        let counts: std::collections::BTreeMap<_, _> = published_counts(&index, &month, res, &pt)
            .into_iter()
            .collect();
        for c in &cube.cells {
            let n = c.counts[s];
            assert!(n == 0 || n >= 3, "{} month {s}: {n}", c.cell);
            assert_eq!(
                n,
                counts.get(&c.cell).copied().unwrap_or(0),
                "{} month {s}",
                c.cell
            );
            positive += usize::from(n > 0);
        }
    }
    assert!(positive > 100, "{positive} published bins");
    // And not the exact counts: some bins differ from the viewers' cube.
    let exact = emerging(
        &index,
        &filter,
        &params,
        zone.tz(),
        &diemnong::analysis::weights::Weighting::Count,
    )
    .unwrap();
    let differ = exact
        .cells
        .iter()
        .filter_map(|e| cube.cells.iter().find(|c| c.cell == e.cell).map(|c| (e, c)))
        .filter(|(e, c)| e.counts != c.counts)
        .count();
    assert!(differ > 10, "{differ}");
}

/// The cube counted from the time cubes (a time-only filter on whole days, open ends too)
/// is the cube counted by passing over the rows (the same query with a box around the whole
/// world, which the time cubes do not answer): the same cells, counts, keys, z-scores, bins,
/// trends and categories, with rows in both the sorted main segment and the delta.
#[test]
fn the_cube_from_time_cubes_equals_the_cube_from_a_pass() {
    use diemnong::analysis::cube::emerging_published;
    use diemnong::analysis::disclosure::{PTable, PTableParams};
    use diemnong::analysis::weights::Weighting;
    let records = common::sample_records();
    let (mut main, mut delta) = (
        diemnong::index::Scanned::default(),
        diemnong::index::Scanned::default(),
    );
    for (id, r) in (1..).zip(&records) {
        if id <= 18_000 {
            main.push(id, r);
        } else {
            delta.push(id, r);
        }
    }
    let index = IncidentIndex::build(main).with_appended(&delta);
    assert!(!index.delta().is_empty());
    let zone = Zone::default();
    let at = |d: &str| zone.parse_instant("t", d).unwrap();
    let world = diemnong::index::BBox::new(-180.0, -90.0, 180.0, 90.0).unwrap();
    let pt = PTable::build(PTableParams::default()).unwrap();
    for (range, slice) in [
        (
            (Some(at("2024-01-01")), Some(at("2025-01-01"))),
            Slice::Month,
        ),
        (
            (Some(at("2023-03-01")), Some(at("2024-07-01"))),
            Slice::Quarter,
        ),
        ((None, None), Slice::Month),
        ((Some(at("2023-06-15")), None), Slice::Week),
    ] {
        let params = CubeParams {
            res: h3o::Resolution::Eight,
            k: 1,
            time_k: 1,
            slice,
            range,
        };
        let timed = Filter {
            from: range.0,
            to: range.1,
            ..Filter::default()
        };
        let boxed = Filter {
            bbox: Some(world),
            ..timed.clone()
        };
        let pairs = [
            (
                emerging(&index, &timed, &params, zone.tz(), &Weighting::Count).unwrap(),
                emerging(&index, &boxed, &params, zone.tz(), &Weighting::Count).unwrap(),
            ),
            (
                emerging_published(&index, &timed, &params, zone.tz(), &pt).unwrap(),
                emerging_published(&index, &boxed, &params, zone.tz(), &pt).unwrap(),
            ),
        ];
        for (a, b) in &pairs {
            assert_eq!(a.bounds, b.bounds, "{range:?}");
            assert_eq!(a.cells.len(), b.cells.len(), "{range:?}");
            assert!(
                a.cells
                    .iter()
                    .map(|c| c.counts.iter().sum::<u32>())
                    .sum::<u32>()
                    > 100
            );
            for (x, y) in a.cells.iter().zip(&b.cells) {
                assert_eq!(x.cell, y.cell);
                assert_eq!(x.counts, y.counts, "{} {range:?}", x.cell);
                assert_eq!(x.z, y.z, "{} {range:?}", x.cell);
                assert_eq!(x.bins, y.bins, "{} {range:?}", x.cell);
                assert_eq!(
                    x.category.as_str(),
                    y.category.as_str(),
                    "{} {range:?}",
                    x.cell
                );
                assert_eq!(
                    x.trend.as_ref().map(|t| (t.z, t.p, t.tau)),
                    y.trend.as_ref().map(|t| (t.z, t.p, t.tau)),
                    "{} {range:?}",
                    x.cell
                );
            }
        }
    }
}
