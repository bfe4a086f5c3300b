//! Gi* against reference values computed by PySAL esda (`G_Local(y, w, transform='B',
//! star=True)`) on the committed sample, by `scripts/fixtures/make_gistar_fixtures.py`:
//! resolutions 7–9, k = 1 and 2, both study sets, with and without FDR bins; and two cases
//! on harm (real-valued y: each cell's harm in days under the default weights).

use crate::common;

use diemnong::analysis::cells::cell_values;
use diemnong::analysis::gistar::{BinBy, Study, bin, gi_star, study_set};
use diemnong::domain::Zone;
use diemnong::index::{Filter, IncidentIndex};
use serde_json::Value;

fn close(a: f64, b: f64, abs: f64, rel: f64) -> bool {
    (a - b).abs() <= abs.max(rel * b.abs())
}

#[test]
fn gi_star_matches_esda_on_every_fixture() {
    let records = common::sample_records();
    let index = IncidentIndex::from_records(&records);
    let zone = Zone::default();

    let mut dir: Vec<_> = std::fs::read_dir(common::repo_path("tests/fixtures/gistar"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dir.sort();
    assert_eq!(dir.len(), 14, "12 count and 2 harm fixture cases");
    for path in dir {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let fx: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut filter = Filter::default();
        if let Some(f) = fx["filter"].as_object() {
            filter.categories = Some(vec![
                index
                    .categories()
                    .get(f["category"].as_str().unwrap())
                    .unwrap(),
            ]);
            filter.from = Some(
                zone.parse_instant("from", f["from"].as_str().unwrap())
                    .unwrap(),
            );
            filter.to = Some(zone.parse_instant("to", f["to"].as_str().unwrap()).unwrap());
        }
        let res =
            h3o::Resolution::try_from(u8::try_from(fx["res"].as_u64().unwrap()).unwrap()).unwrap();
        let k = u32::try_from(fx["k"].as_u64().unwrap()).unwrap();
        let study = match fx["study"].as_str().unwrap() {
            "kring" => Study::Kring,
            _ => Study::Occupied,
        };
        let harm = fx["weight"] == "harm";
        let weighting = common::fixture_weighting(&fx, &index, &name);
        let occupied = cell_values(&index, &filter, res, &weighting);
        assert_eq!(
            occupied.len() as u64,
            fx["occupied"].as_u64().unwrap(),
            "{name}: occupied cells"
        );
        assert_eq!(
            occupied
                .iter()
                .map(|(_, c)| u64::from(c.count))
                .sum::<u64>(),
            fx["incidents"].as_u64().unwrap(),
            "{name}: incidents"
        );
        let set = study_set(&occupied, k, study);
        assert_eq!(
            set.len() as u64,
            fx["n"].as_u64().unwrap(),
            "{name}: study set size"
        );
        let gi = gi_star(&set, k).unwrap();
        let cells = fx["cells"].as_array().unwrap();
        assert_eq!(gi.len(), cells.len());
        for (ours, theirs) in gi.iter().zip(cells) {
            let h3 = theirs["h3"].as_str().unwrap();
            assert_eq!(ours.cell.to_string(), h3, "{name}: cell order");
            assert_eq!(
                u64::from(ours.count),
                theirs["count"].as_u64().unwrap(),
                "{name} {h3}: count"
            );
            if harm {
                let h = theirs["harm"].as_f64().unwrap();
                assert!(
                    (ours.value - h).abs() <= 1e-9 * h.max(1.0),
                    "{name} {h3}: harm {} vs {h}",
                    ours.value
                );
            }
            let z = theirs["gi_z"].as_f64().unwrap();
            assert!(
                (ours.z - z).abs() <= 1e-9,
                "{name} {h3}: z {} vs esda {z}",
                ours.z
            );
            let p = theirs["gi_p"].as_f64().unwrap();
            assert!(
                close(ours.p, p, 1e-12, 1e-7),
                "{name} {h3}: p {} vs {p}",
                ours.p
            );
            let q = theirs["gi_q"].as_f64().unwrap();
            assert!(
                close(ours.q, q, 1e-12, 1e-7),
                "{name} {h3}: q {} vs {q}",
                ours.q
            );
            assert_eq!(
                i64::from(bin(ours, BinBy::FdrQ)),
                theirs["gi_bin_fdr"].as_i64().unwrap(),
                "{name} {h3}: FDR bin"
            );
            assert_eq!(
                i64::from(bin(ours, BinBy::RawP)),
                theirs["gi_bin_nofdr"].as_i64().unwrap(),
                "{name} {h3}: bin"
            );
        }
    }
}

#[test]
fn degenerate_inputs_are_errors_not_nan() {
    let c = |s: &str| s.parse::<h3o::CellIndex>().unwrap();
    let two = [(c("8965b193453ffff"), 3), (c("8965b19345bffff"), 1)];
    assert!(gi_star(&two, 1).is_err());
    let flat = study_set(
        &[
            (c("8965b193453ffff"), 2),
            (c("8965b19345bffff"), 2),
            (c("8965b19346bffff"), 2),
        ],
        1,
        Study::Occupied,
    );
    assert!(gi_star(&flat, 1).is_err());
}
