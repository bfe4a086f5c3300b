//! Counts per cell against h3-py: every incident of the committed sample in the cell that
//! contains it (`latlng_to_cell(lat, lon, res)`), resolutions 5–11 and one category
//! filter, from `tests/fixtures/h3/sample_counts.json`
//! (`scripts/fixtures/make_h3_count_fixtures.py`). Each case records how many cells the
//! old rule (the parent of the resolution-15 cell) would count differently, so a return to
//! it fails here.

use std::collections::BTreeMap;

use crate::common;

use diemnong::analysis::cells::count_cells;
use diemnong::index::{Filter, IncidentIndex};
use serde_json::Value;

#[test]
fn counts_per_cell_equal_h3_py_at_every_resolution() {
    let records = common::sample_records();
    let index = IncidentIndex::from_records(&records);
    let fx: Value = serde_json::from_slice(
        &std::fs::read(common::repo_path("tests/fixtures/h3/sample_counts.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(fx["cell_assignment"], "latlng_to_cell(lat, lon, res)");
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8, "resolutions 5–11 and theft at 9");
    for case in cases {
        let res = u8::try_from(case["res"].as_u64().unwrap()).unwrap();
        let mut filter = Filter::default();
        if let Some(c) = case["category"].as_str() {
            filter.categories = Some(vec![index.categories().get(c).unwrap()]);
        }
        let what = format!("res {res}, category {}", case["category"]);
        assert!(
            case["differs_from_parent15_rule"].as_u64().unwrap() > 0,
            "{what}: the fixture must tell the two rules apart"
        );
        let want: BTreeMap<String, u64> = case["counts"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(c, n)| (c.clone(), n.as_u64().unwrap()))
            .collect();
        let got: BTreeMap<String, u64> =
            count_cells(&index, &filter, h3o::Resolution::try_from(res).unwrap())
                .into_iter()
                .map(|(c, n)| (c.to_string(), u64::from(n)))
                .collect();
        assert_eq!(got.len(), want.len(), "{what}: occupied cells");
        assert_eq!(got, want, "{what}");
        assert_eq!(
            got.values().sum::<u64>(),
            case["incidents"].as_u64().unwrap(),
            "{what}"
        );
    }
}
