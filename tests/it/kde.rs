//! Kernel density and the Silverman bandwidth against reference values computed by a direct
//! numpy sum (`scripts/fixtures/make_kde_fixtures.py`) on the committed sample: theft in
//! 2024, resolution 9, bandwidths 300 m and 800 m, quartic and Gaussian kernels.

use crate::common;

use std::collections::HashMap;

use diemnong::analysis::kde::{Kernel, kde, silverman_bandwidth_m};
use diemnong::domain::Zone;
use diemnong::index::{Filter, IncidentIndex};
use serde_json::Value;

#[test]
fn kde_and_bandwidth_match_numpy() {
    let records = common::sample_records();
    let index = IncidentIndex::from_records(&records);
    let zone = Zone::default();
    let fixture = |name: &str| -> Value {
        let path = common::repo_path(&format!("tests/fixtures/kde/{name}"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let filter_of = |fx: &Value| {
        let f = fx["filter"].as_object().unwrap();
        Filter {
            categories: Some(vec![
                index
                    .categories()
                    .get(f["category"].as_str().unwrap())
                    .unwrap(),
            ]),
            from: Some(
                zone.parse_instant("from", f["from"].as_str().unwrap())
                    .unwrap(),
            ),
            to: Some(zone.parse_instant("to", f["to"].as_str().unwrap()).unwrap()),
            ..Filter::default()
        }
    };

    let sv = fixture("silverman.json");
    let h = silverman_bandwidth_m(&index, &filter_of(&sv)).unwrap();
    let want = sv["bandwidth_m"].as_f64().unwrap();
    assert!(
        (h - want).abs() <= 1e-6 * want,
        "silverman {h} vs numpy {want}"
    );

    for name in [
        "quartic_300m.json",
        "quartic_800m.json",
        "gaussian_300m.json",
        "gaussian_800m.json",
        "quartic_300m_harm.json",
    ] {
        let fx = fixture(name);
        let filter = filter_of(&fx);
        let res =
            h3o::Resolution::try_from(u8::try_from(fx["res"].as_u64().unwrap()).unwrap()).unwrap();
        let kernel = match fx["kernel"].as_str().unwrap() {
            "quartic" => Kernel::Quartic,
            _ => Kernel::Gaussian,
        };
        let bw = fx["bandwidth_m"].as_f64().unwrap();
        let t = std::time::Instant::now();
        let weighting = common::fixture_weighting(&fx, &index, name);
        let out = kde(&index, &filter, res, bw, kernel, &weighting);
        eprintln!("{name}: {} cells in {:?}", out.len(), t.elapsed());
        assert!(
            out.windows(2).all(|w| w[0].cell < w[1].cell),
            "{name}: sorted"
        );
        assert!(out.iter().all(|c| c.density > 0.0 && c.density.is_finite()));
        let ours: HashMap<String, f64> = out
            .iter()
            .map(|c| (c.cell.to_string(), c.density))
            .collect();
        let cells = fx["cells"].as_array().unwrap();
        let (mut zeros, mut positive) = (0, 0);
        for c in cells {
            let h3 = c["h3"].as_str().unwrap();
            let want = c["density"].as_f64().unwrap();
            match ours.get(h3) {
                None => {
                    assert!(want == 0.0, "{name} {h3}: missing, numpy {want}");
                    zeros += 1;
                }
                Some(&got) => {
                    assert!(want > 0.0, "{name} {h3}: {got}, numpy 0");
                    assert!(
                        (got - want).abs() <= 1e-9 * want,
                        "{name} {h3}: {got} vs numpy {want}"
                    );
                    positive += 1;
                }
            }
        }
        assert!(zeros > 0 && positive > 0, "{name}: both kinds covered");
    }
}
