//! Hotspot zones: each zone is exactly a connected component of hot cells, dissolved without
//! inner edges, with counts that equal brute-force recounts, and stable ids.

#![allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly on a broken fixture"
)]

use crate::common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use common::TestDb;
use diemnong::analysis::cells::count_cells;
use diemnong::analysis::gistar::{BinBy, HotRule, Study, bin, gi_star, study_set};
use diemnong::analysis::zones::{ZoneParams, zones};
use diemnong::auth::Role;
use diemnong::domain::{Area, Camera, Model, NewIncident, Zone};
use diemnong::index::{AreaLayer, Filter, IncidentIndex, PointLayer, Snapshot};
use diemnong::ingest::{Context, Layer, read_file};
use geo::{ChamberlainDuquetteArea, Contains, Validation, Winding};
use h3o::{CellIndex, Resolution};
use jiff::tz::TimeZone;

/// Zones of cells hot at `min_bin` on the BH q, as `/hotspots/zones` asks for them.
fn params<'a>(
    filter: &'a Filter,
    res: Resolution,
    min_bin: i8,
    tz: &'a TimeZone,
) -> ZoneParams<'a> {
    ZoneParams {
        filter,
        res,
        hot: HotRule {
            by: BinBy::FdrQ,
            min_bin,
        },
        tz,
    }
}

/// The committed sample's layers, built from the files with no database: each layer
/// numbered 1…n in file order, as a fresh database that imported the files would number it.
fn sample_snapshot() -> Snapshot {
    let ctx = Context::defaults();
    let path = common::repo_path;
    let incidents: Vec<NewIncident> = read_file(&path("sample-data/incidents.csv"), &ctx).unwrap();
    let cameras = read_file(&path("sample-data/cameras.csv"), &ctx).unwrap();
    let models = read_file(&path("sample-data/models.csv"), &ctx).unwrap();
    let areas = read_file(&path("sample-data/areas.geojson"), &ctx).unwrap();
    Snapshot {
        incidents: IncidentIndex::from_records(&incidents),
        cameras: Arc::new(PointLayer::new(
            (1..)
                .zip(cameras)
                .map(|(id, data)| Camera { id, data })
                .collect(),
        )),
        models: Arc::new(PointLayer::new(
            (1..)
                .zip(models)
                .map(|(id, data)| Model { id, data })
                .collect(),
        )),
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

#[test]
#[expect(
    clippy::cast_precision_loss,
    reason = "incident counts below 2^52 are exact in f64"
)]
fn zones_are_the_connected_hot_cells_with_exact_statistics() {
    let snap = sample_snapshot();
    let filter = Filter::default();
    let tz = Zone::default().tz().clone();

    for (res, min_bin) in [
        (Resolution::Nine, 2),
        (Resolution::Eight, 1),
        (Resolution::Nine, 3),
    ] {
        let occupied = count_cells(&snap.incidents, &filter, res);
        let gi = gi_star(&study_set(&occupied, 1, Study::Kring), 1).unwrap();
        let hot: HashSet<CellIndex> = gi
            .iter()
            .filter(|c| bin(c, BinBy::FdrQ) >= min_bin)
            .map(|c| c.cell)
            .collect();
        let counts: HashMap<CellIndex, u32> = occupied.iter().copied().collect();
        let zs = zones(&snap, &gi, &params(&filter, res, min_bin, &tz));
        assert!(!zs.is_empty(), "the sample has hotspots at {res:?}");

        // Every hot cell is in exactly one zone; zones hold only hot cells.
        let mut zone_of = HashMap::new();
        for (i, z) in zs.iter().enumerate() {
            for c in &z.cells {
                assert!(hot.contains(c), "{c} is in a zone but not hot");
                assert!(zone_of.insert(*c, i).is_none(), "{c} is in two zones");
            }
        }
        assert_eq!(zone_of.len(), hot.len());
        // Neighbouring hot cells share a zone, and each zone is connected.
        for (c, i) in &zone_of {
            for n in c.grid_disk::<Vec<_>>(1) {
                if let Some(j) = zone_of.get(&n) {
                    assert_eq!(i, j, "neighbours {c} and {n} are in different zones");
                }
            }
        }
        let total: u64 = occupied.iter().map(|(_, n)| u64::from(*n)).sum();
        for z in &zs {
            // Id: the smallest cell, stable.
            assert_eq!(z.id, format!("z{}", z.cells.iter().min().unwrap()));
            // Counts equal a recount from the cells.
            let n: u64 = z
                .cells
                .iter()
                .map(|c| u64::from(counts.get(c).copied().unwrap_or(0)))
                .sum();
            assert_eq!(z.incidents, n, "{}", z.id);
            assert!((z.share - n as f64 / total as f64).abs() < 1e-12);
            let cats: u64 = z.top_categories.iter().map(|(_, n)| n).sum();
            assert!(cats <= n && (z.top_categories.len() < 5 || cats > 0));
            // The dissolved outline: valid, counter-clockwise, no inner hexagon edges (its
            // area equals the cells' area and it has fewer vertices than the hexagons).
            assert!(z.geometry.is_valid(), "{}", z.id);
            for p in &z.geometry.0 {
                assert!(p.exterior().is_ccw(), "{}", z.id);
            }
            let km2 = z.geometry.chamberlain_duquette_unsigned_area() / 1e6;
            assert!(
                (km2 - z.area_km2).abs() / z.area_km2 < 0.01,
                "{}: {km2} vs {}",
                z.id,
                z.area_km2
            );
            let vertices: usize = z.geometry.0.iter().map(|p| p.exterior().0.len() - 1).sum();
            assert!(
                z.cells.len() == 1 || vertices < 6 * z.cells.len(),
                "{}: inner edges left",
                z.id
            );
            // Cameras and models inside: brute force over all of them.
            let cams = snap
                .cameras
                .records()
                .iter()
                .filter(|c| z.geometry.contains(&geo::Point::from(c.data.location)))
                .count() as u64;
            let models = snap
                .models
                .records()
                .iter()
                .filter(|m| z.geometry.contains(&geo::Point::from(m.data.location)))
                .count() as u64;
            assert_eq!((z.cameras, z.models), (cams, models), "{}", z.id);
            // Every ward listed touches the zone, and every touching ward is listed.
            let touching: Vec<String> = snap
                .areas
                .areas()
                .iter()
                .filter(|a| {
                    a.data.kind == diemnong::domain::AreaKind::Ward
                        && geo::Intersects::intersects(a.data.geometry.multi_polygon(), &z.geometry)
                })
                .map(|a| a.data.code.clone())
                .collect();
            let mut listed = z.wards.clone();
            listed.sort();
            let mut touching = touching;
            touching.sort();
            assert_eq!(listed, touching, "{}", z.id);
        }
        // Identical queries, identical zones.
        let again = zones(&snap, &gi, &params(&filter, res, min_bin, &tz));
        assert_eq!(
            zs.iter().map(|z| &z.id).collect::<Vec<_>>(),
            again.iter().map(|z| &z.id).collect::<Vec<_>>()
        );
    }
}

/// Over HTTP: the same zones as computed on the directly built snapshot (so this also checks
/// that the database round trip loses nothing), as polygons GDAL reads. The server needs a
/// `Service`, and so a database holding the sample.
#[tokio::test]
async fn zones_over_http_are_the_same_and_gdal_reads_them() {
    let db = TestDb::sqlite().await;
    let service = db.service().await;
    common::import_file(&service, Layer::Areas, "sample-data/areas.geojson").await;
    common::import_file(&service, Layer::Cameras, "sample-data/cameras.csv").await;
    common::import_file(&service, Layer::Models, "sample-data/models.csv").await;
    common::import_file(&service, Layer::Incidents, "sample-data/incidents.csv").await;
    let snap = sample_snapshot();
    let filter = Filter::default();
    let tz = service.zone().tz().clone();
    let (_, token) = service.create_token("t", Role::Viewer).await.unwrap();
    let base = common::spawn_server(Arc::clone(&service)).await;
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/hotspots/zones?res=9&min_bin=2"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let occupied = count_cells(&snap.incidents, &filter, Resolution::Nine);
    let gi = gi_star(&study_set(&occupied, 1, Study::Kring), 1).unwrap();
    let zs = zones(&snap, &gi, &params(&filter, Resolution::Nine, 2, &tz));
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), zs.len());
    for (f, z) in features.iter().zip(&zs) {
        assert_eq!(f["properties"]["id"], z.id.as_str());
        assert_eq!(f["properties"]["incidents"], z.incidents);
        assert!(matches!(
            f["geometry"]["type"].as_str(),
            Some("Polygon" | "MultiPolygon")
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zones.geojson");
    std::fs::write(&path, body.to_string()).unwrap();
    let out = std::process::Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(&path)
        .output()
        .expect("ogrinfo (Debian gdal-bin) must be installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("Feature Count: {}", zs.len())),
        "{text}"
    );
    db.cleanup().await;
}
