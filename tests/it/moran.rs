//! Local Moran's I against reference values computed by PySAL esda
//! (`Moran_Local(y, w, transformation='r', permutations=9999)`) on the committed sample, by
//! `scripts/fixtures/make_moran_fixtures.py`: resolutions 8 and 9, k = 1 and 2, both study
//! sets, a filtered case and a case with real-valued y.
//!
//! I and the quadrant are deterministic and must agree to rounding. The pseudo p-values
//! come from different random draws (numpy's there, `ChaCha8Rng` here), so they agree within
//! Monte Carlo error: each is a proportion over 9,999 draws, so their difference has SD
//! √(2p(1 − p)/10⁴); the tolerance is 5 SD plus 2·10⁻⁴ for the discreteness of (l + 1)/(R + 1).
//! The reference is esda's p with exact ties counted as "at least" (`p_sim_ties`; the
//! script and `diemnong::analysis::moran` explain why), and islands are not compared.

use crate::common;

use diemnong::analysis::cells::count_cells;
use diemnong::analysis::gistar::{Study, study_set};
use diemnong::analysis::moran::{MoranParams, local_moran};
use diemnong::domain::Zone;
use diemnong::index::{Filter, IncidentIndex};
use h3o::CellIndex;
use serde_json::Value;

const PERMUTATIONS: u32 = 9_999;

/// Every fixture, by file name, sorted.
fn fixtures() -> Vec<(String, Value)> {
    let mut paths: Vec<_> = std::fs::read_dir(common::repo_path("tests/fixtures/moran"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 5, "5 fixture cases");
    paths
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap(),
            )
        })
        .collect()
}

/// The fixture's study set: its cells and their y.
fn fixture_set(fx: &Value) -> Vec<(CellIndex, f64)> {
    fx["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["h3"].as_str().unwrap().parse().unwrap(),
                c["y"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The study set the server builds from counts, as the f64 values `local_moran` takes
/// (the one place to change if `study_set` itself carries f64).
fn study_set_f64(occupied: &[(CellIndex, u32)], k: u32, study: Study) -> Vec<(CellIndex, f64)> {
    study_set(occupied, k, study)
        .into_iter()
        .map(|(c, v)| (c, f64::from(v)))
        .collect()
}

fn k_of(fx: &Value) -> u32 {
    u32::try_from(fx["k"].as_u64().unwrap()).unwrap()
}

#[test]
fn local_moran_matches_esda_on_every_fixture() {
    let params = MoranParams {
        permutations: PERMUTATIONS,
        seed: 20_240_611,
        fdr: false,
        alpha: 0.05,
    };
    for (name, fx) in fixtures() {
        assert_eq!(fx["permutations"].as_u64(), Some(u64::from(PERMUTATIONS)));
        let set = fixture_set(&fx);
        let out = local_moran(&set, k_of(&fx), &params).unwrap();
        let cells = fx["cells"].as_array().unwrap();
        assert_eq!(out.len(), cells.len(), "{name}");
        let (mut max_di, mut max_dp, mut max_ratio) = (0.0f64, 0.0f64, 0.0f64);
        let (mut max_dp_raw, mut raw_out) = (0.0f64, 0);
        for (ours, theirs) in out.iter().zip(cells) {
            let h3 = theirs["h3"].as_str().unwrap();
            assert_eq!(ours.cell.to_string(), h3, "{name}: cell order");
            assert_eq!(
                u64::from(ours.neighbours),
                theirs["neighbours"].as_u64().unwrap(),
                "{name} {h3}: neighbours"
            );
            let i = theirs["Is"].as_f64().unwrap();
            let di = (ours.local_i - i).abs();
            assert!(
                di <= 1e-9 * i.abs().max(1.0),
                "{name} {h3}: I {} vs esda {i}",
                ours.local_i
            );
            max_di = max_di.max(di);
            assert_eq!(
                u64::from(ours.quadrant.esda_q()),
                theirs["q"].as_u64().unwrap(),
                "{name} {h3}: quadrant (z {}, lag {})",
                ours.z,
                ours.lag
            );
            if ours.neighbours == 0 {
                assert!((ours.p_sim - 1.0).abs() < f64::EPSILON);
                continue;
            }
            let p = theirs["p_sim_ties"].as_f64().unwrap();
            let tol = 5.0 * (2.0 * p * (1.0 - p) / 1e4).sqrt() + 2e-4;
            let dp = (ours.p_sim - p).abs();
            assert!(
                dp <= tol,
                "{name} {h3}: p {} vs esda {p} (tolerance {tol})",
                ours.p_sim
            );
            max_dp = max_dp.max(dp);
            max_ratio = max_ratio.max(dp / tol);
            let raw = theirs["p_sim"].as_f64().unwrap();
            max_dp_raw = max_dp_raw.max((ours.p_sim - raw).abs());
            raw_out += usize::from((ours.p_sim - raw).abs() > tol);
        }
        eprintln!(
            "{name}: {} cells, max |ΔI| {max_di:e}, max |Δp| {max_dp:.4} vs p_sim_ties \
             (at most {max_ratio:.2} of the tolerance); \
             vs esda's raw p_sim: max |Δp| {max_dp_raw:.4}, {raw_out} cells outside the tolerance",
            out.len()
        );
    }
}

#[test]
fn counting_and_the_study_set_agree_with_h3_py() {
    let records = common::sample_records();
    let index = IncidentIndex::from_records(&records);
    let zone = Zone::default();
    let mut checked = 0;
    for (name, fx) in fixtures() {
        if fx["values"].as_str() != Some("count") {
            continue;
        }
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
        let study = match fx["study"].as_str().unwrap() {
            "kring" => Study::Kring,
            _ => Study::Occupied,
        };
        let occupied = count_cells(&index, &filter, res);
        assert_eq!(
            occupied.iter().map(|(_, c)| u64::from(*c)).sum::<u64>(),
            fx["incidents"].as_u64().unwrap(),
            "{name}: incidents"
        );
        let set = study_set_f64(&occupied, k_of(&fx), study);
        assert_eq!(set, fixture_set(&fx), "{name}: study set");
        checked += 1;
    }
    assert_eq!(checked, 4);
}
