//! DBSCAN against scikit-learn (`DBSCAN(metric='haversine')`, fixtures by
//! `scripts/fixtures/make_dbscan_fixtures.py`): the same core points, the same partition of
//! them into clusters, the same noise. Border points reachable from two clusters may go to
//! either (DBSCAN leaves that to visiting order), so they are checked only for being in some
//! cluster.
#![allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly on a broken fixture"
)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diemnong::analysis::dbscan::dbscan;
use diemnong::domain::Zone;
use diemnong::index::{Filter, IncidentIndex};
use serde_json::Value;

#[test]
fn dbscan_matches_scikit_learn() {
    let records = common::sample_records();
    let index = IncidentIndex::from_records(&records);
    // The index numbers the records 1…n in file order.
    let external: HashMap<i64, String> = (1..)
        .zip(&records)
        .map(|(id, r)| (id, r.external_id.clone().unwrap()))
        .collect();
    let zone = Zone::default();
    for name in ["all_100m_10", "theft_50m_5", "year2024_200m_20"] {
        let fx: Value = serde_json::from_slice(
            &std::fs::read(common::repo_path(&format!(
                "tests/fixtures/dbscan/{name}.json"
            )))
            .unwrap(),
        )
        .unwrap();
        let mut filter = Filter::default();
        if let Some(c) = fx["filter"]["category"].as_str() {
            filter.categories = Some(vec![index.categories().get(c).unwrap()]);
        }
        for (key, field) in [("from", &mut filter.from), ("to", &mut filter.to)] {
            if let Some(t) = fx["filter"][key].as_str() {
                *field = Some(zone.parse_instant("t", t).unwrap());
            }
        }
        let eps = fx["eps_m"].as_f64().unwrap();
        let min_points = usize::try_from(fx["min_points"].as_u64().unwrap()).unwrap();
        let ours = dbscan(&index, &filter, eps, min_points);
        assert_eq!(
            ours.ids.len() as u64,
            fx["n_points"].as_u64().unwrap(),
            "{name}: points"
        );
        assert_eq!(
            ours.clusters as u64,
            fx["n_clusters"].as_u64().unwrap(),
            "{name}: clusters"
        );

        let mut their_core = BTreeSet::new();
        let mut their_noise = BTreeSet::new();
        let mut their_groups: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        for p in fx["points"].as_array().unwrap() {
            let (ext, label, core) = (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_i64().unwrap(),
                p[2].as_bool().unwrap(),
            );
            if core {
                their_core.insert(ext.clone());
                their_groups.entry(label).or_default().insert(ext.clone());
            }
            if label == -1 {
                their_noise.insert(ext);
            }
        }
        let mut our_core = BTreeSet::new();
        let mut our_noise = BTreeSet::new();
        let mut our_groups: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
        for k in 0..ours.ids.len() {
            let ext = external[&ours.ids[k]].clone();
            if ours.core[k] {
                our_core.insert(ext.clone());
                our_groups
                    .entry(ours.labels[k])
                    .or_default()
                    .insert(ext.clone());
            }
            if ours.labels[k] == -1 {
                our_noise.insert(ext);
            }
        }
        assert_eq!(our_core, their_core, "{name}: core points");
        assert_eq!(our_noise, their_noise, "{name}: noise");
        let ours_partition: BTreeSet<BTreeSet<String>> = our_groups.into_values().collect();
        let theirs_partition: BTreeSet<BTreeSet<String>> = their_groups.into_values().collect();
        assert_eq!(
            ours_partition, theirs_partition,
            "{name}: partition of core points"
        );
    }
}

/// Cluster summaries read each incident's label by visiting order, or by id when the
/// clustering was not made in that order: both give the same rows, and each row counts
/// its cluster's members and core points.
#[test]
fn summaries_do_not_depend_on_the_clustering_order() {
    use diemnong::analysis::clusters::summaries;
    let index = IncidentIndex::from_records(&common::sample_records());
    let all = Filter::default();
    let c = dbscan(&index, &all, 100.0, 10);
    assert!(c.clusters > 1);
    let rows = summaries(&index, &all, &c);
    assert_eq!(rows.len(), c.clusters);
    let mut reversed = c.clone();
    reversed.ids.reverse();
    reversed.labels.reverse();
    reversed.core.reverse();
    assert_eq!(summaries(&index, &all, &reversed), rows);
    for row in &rows {
        let label = i32::try_from(row.id).unwrap();
        let members: Vec<usize> = (0..c.ids.len()).filter(|&k| c.labels[k] == label).collect();
        assert_eq!(row.count, members.len());
        assert_eq!(
            row.core,
            members.iter().filter(|&&k| c.core[k]).count() as u64
        );
    }
}
