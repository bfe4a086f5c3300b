//! The analysis endpoints (`GET /api/v1/density`, `GET /api/v1/hotspots`) over a real
//! socket, driven by a real client (reqwest): counts against a brute-force count of the
//! committed sample (cells computed here with h3o, areas with geo), hexagon geometry,
//! Gi* against the esda fixtures, CSV, ETag / If-None-Match and data versions, the
//! disclosure rule for anonymous callers, the cost limit, degenerate inputs, parameter
//! validation, and GDAL reading the URLs. The sample is loaded once per backend and shared
//! by the tests that only read (`samples()`, `sqlite_sample()`); a test that writes loads
//! its own (`own_samples()`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use common::api::Api;
use common::{TestDb, import_file};
use diemnong::auth::Role;
use diemnong::http::analysis::AnalysisSettings;
use diemnong::ingest::Layer;
use diemnong::ingest::csv::CsvOptions;
use diemnong::service::{Service, Source};
use geo::Contains;
use h3o::{CellIndex, LatLng, Resolution};
use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

const ZONE: &str = "Asia/Ho_Chi_Minh";
const CSV_HEADER: &str = "external_id,occurred_at,category,severity,solved,lon,lat,address,ward";

// ---------------------------------------------------------------------------------------
// Loading data, tokens, servers
// ---------------------------------------------------------------------------------------

use common::import;

/// The areas and the 20,000 incidents of the committed sample.
async fn load_sample(service: &Service) {
    assert_eq!(
        import_file(service, Layer::Areas, "sample-data/areas.geojson")
            .await
            .inserted,
        120
    );
    assert_eq!(
        import_file(service, Layer::Incidents, "sample-data/incidents.csv")
            .await
            .inserted,
        20_000
    );
}

async fn token(service: &Service, role: Role) -> String {
    service
        .create_token(&format!("analysis test {role}"), role)
        .await
        .unwrap()
        .1
}

fn public_settings() -> AnalysisSettings {
    AnalysisSettings {
        public_aggregates: true,
        min_cell_count: 3,
        ..AnalysisSettings::default()
    }
}

/// The sample on one backend, loaded once and shared by the tests that only read, behind
/// three servers: the default settings, public aggregates (`public_settings`), and a cost
/// limit of 10. The tests that write load their own.
struct Sample {
    backend: &'static str,
    viewer: String,
    /// Aggregates need a token.
    base: String,
    /// Aggregates are public, small cells withheld from anonymous callers.
    public_base: String,
    /// `max_cost: 10`.
    cost_base: String,
    _db: TestDb,
    _service: Arc<Service>,
}

async fn build_sample(db: TestDb) -> Sample {
    load_sample(&*db.service().await).await;
    // Record keys from the ids, so that the public answers can be checked exactly against
    // `common::keyed_index` (production keys are random).
    let service = common::set_record_keys(&db).await;
    let viewer = token(&service, Role::Viewer).await;
    let base = common::spawn_server(Arc::clone(&service)).await;
    let public_base = common::spawn_server_with(Arc::clone(&service), public_settings()).await;
    let cost_base = common::spawn_server_with(
        Arc::clone(&service),
        AnalysisSettings {
            max_cost: 10,
            ..AnalysisSettings::default()
        },
    )
    .await;
    Sample {
        backend: db.backend,
        viewer,
        base,
        public_base,
        cost_base,
        _db: db,
        _service: service,
    }
}

/// The shared sample on SQLite.
async fn sqlite_sample() -> &'static Sample {
    static SAMPLE: OnceCell<Sample> = OnceCell::const_new();
    common::shared(&SAMPLE, || {
        build_sample(common::shared_sqlite("analysis-sample"))
    })
    .await
}

/// The shared sample on PostgreSQL, when it is configured.
async fn postgres_sample() -> Option<&'static Sample> {
    static SAMPLE: OnceCell<Option<Sample>> = OnceCell::const_new();
    common::shared(&SAMPLE, || async {
        match common::shared_postgres("analysis_sample").await {
            Some(db) => Some(build_sample(db).await),
            None => None,
        }
    })
    .await
    .as_ref()
}

/// The shared sample on every backend available.
async fn samples() -> Vec<&'static Sample> {
    let mut v = vec![sqlite_sample().await];
    match postgres_sample().await {
        Some(pg) => v.push(pg),
        None => eprintln!(
            "note: {} is unset; PostgreSQL half of this test skipped",
            common::PG_ENV
        ),
    }
    v
}

// ---------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------

/// A client for these tests: clusters and KDE on the whole sample may take a while on a
/// busy machine.
fn api(base: String) -> Api {
    Api::with_timeout(base, Duration::from_mins(5))
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

// ---------------------------------------------------------------------------------------
// The sample, brute force
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Inc {
    t: i64,
    category: String,
    lon: f64,
    lat: f64,
}

impl Inc {
    /// The cell that contains it, computed here with h3o (h3's latLngToCell).
    fn cell(&self, res: u8) -> String {
        LatLng::new(self.lat, self.lon)
            .unwrap()
            .to_cell(Resolution::try_from(res).unwrap())
            .to_string()
    }
}

fn sample_incidents() -> Vec<Inc> {
    let mut rdr = csv::Reader::from_path(common::repo_path("sample-data/incidents.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (at, cat, lon, lat) = (col("occurred_at"), col("category"), col("lon"), col("lat"));
    let v: Vec<Inc> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            let (lon, lat): (f64, f64) = (r[lon].parse().unwrap(), r[lat].parse().unwrap());
            Inc {
                t: instant(&r[at]),
                category: r[cat].to_owned(),
                lon,
                lat,
            }
        })
        .collect();
    assert_eq!(v.len(), 20_000);
    v
}

/// Unix seconds of an RFC 3339 instant, or of a local date / date-time in HCMC.
fn instant(text: &str) -> i64 {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return ts.as_second();
    }
    let tz = jiff::tz::TimeZone::get(ZONE).unwrap();
    let dt = text
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| {
            text.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    dt.to_zoned_datetime(tz).unwrap().timestamp().as_second()
}

/// Incidents per cell at `res` among those `keep` accepts.
fn brute(all: &[Inc], res: u8, keep: impl Fn(&Inc) -> bool) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for i in all.iter().filter(|i| keep(i)) {
        *m.entry(i.cell(res)).or_insert(0) += 1;
    }
    m
}

/// The (multi)polygon of an area of `sample-data/areas.geojson`, read here with `serde_json`.
fn area_polygon(code: &str) -> geo::MultiPolygon<f64> {
    let fc: Value = serde_json::from_slice(
        &std::fs::read(common::repo_path("sample-data/areas.geojson")).unwrap(),
    )
    .unwrap();
    let f = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == code)
        .unwrap_or_else(|| panic!("no area {code}"));
    common::multipolygon(&f["geometry"])
}

fn complex_area_codes() -> Vec<String> {
    let fc: Value = serde_json::from_slice(
        &std::fs::read(common::repo_path("sample-data/areas.geojson")).unwrap(),
    )
    .unwrap();
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["kind"] == "complex_area")
        .map(|f| f["properties"]["code"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Checking responses
// ---------------------------------------------------------------------------------------

/// Digits after the decimal point in a JSON number as serialised (shortest round-trip).
fn decimals(v: &Value) -> usize {
    let s = v.to_string();
    assert!(!s.contains(['e', 'E']), "{s}: exponent notation");
    s.split_once('.').map_or(0, |(_, d)| d.len())
}

/// Every feature is a closed counter-clockwise hexagon of its own cell, with `id` = `h3`
/// (15 lower-case hex digits, a cell at `res`); returns the properties by h3.
fn check_cells(label: &str, fc: &Value, res: u8) -> BTreeMap<String, Map<String, Value>> {
    let res = Resolution::try_from(res).unwrap();
    let mut out = BTreeMap::new();
    for f in fc["features"].as_array().unwrap() {
        assert_eq!(f["type"], "Feature", "{label}: {f}");
        let h3 = f["properties"]["h3"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: no h3 property: {f}"));
        assert_eq!(f["id"].as_str(), Some(h3), "{label}: id is the h3 index");
        assert!(
            h3.len() == 15
                && h3
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
            "{label}: {h3:?} is not 15 lower-case hex digits"
        );
        let cell: CellIndex = h3.parse().unwrap_or_else(|e| panic!("{label}: {h3}: {e}"));
        assert_eq!(cell.resolution(), res, "{label}: {h3}");
        assert_eq!(cell.to_string(), h3, "{label}: canonical form");

        let g = &f["geometry"];
        assert_eq!(g["type"], "Polygon", "{label} {h3}: {g}");
        let rings = g["coordinates"].as_array().unwrap();
        assert_eq!(rings.len(), 1, "{label} {h3}: one ring, no holes");
        let ring = rings[0].as_array().unwrap();
        assert_eq!(ring.len(), 7, "{label} {h3}: a hexagon has 7 positions");
        assert_eq!(ring[0], ring[6], "{label} {h3}: closed ring");
        let pts: Vec<(f64, f64)> = ring
            .iter()
            .map(|p| {
                let p = p.as_array().unwrap();
                assert_eq!(p.len(), 2, "{label} {h3}: [lon, lat]");
                for c in p {
                    assert!(decimals(c) <= 6, "{label} {h3}: {c} has over 6 decimals");
                }
                let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                // Coarse cells (res 5) reach a little past 107° / 11°.
                assert!(
                    (105.8..107.2).contains(&x) && (9.8..11.2).contains(&y),
                    "{label} {h3}: ({x}, {y}) is not [lon ≈ 106, lat ≈ 10]"
                );
                (x, y)
            })
            .collect();
        let (cx, cy) = (
            pts[..6].iter().map(|p| p.0).sum::<f64>() / 6.0,
            pts[..6].iter().map(|p| p.1).sum::<f64>() / 6.0,
        );
        assert!(
            (106.0..107.0).contains(&cx) && (10.0..11.0).contains(&cy),
            "{label} {h3}: the centre ({cx}, {cy}) is not lon 106.x, lat 10.x"
        );
        let twice_area: f64 = pts
            .windows(2)
            .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
            .sum();
        assert!(
            twice_area > 0.0,
            "{label} {h3}: the ring is clockwise (signed area {})",
            twice_area / 2.0
        );
        // The vertices are the cell's own (to the 6 decimals written).
        let boundary = cell.boundary();
        assert_eq!(boundary.len(), 6, "{label} {h3}");
        for (p, ll) in pts.iter().zip(boundary.iter()) {
            assert!(
                (p.0 - ll.lng()).abs() <= 0.51e-6 && (p.1 - ll.lat()).abs() <= 0.51e-6,
                "{label} {h3}: vertex {p:?} is not the cell's ({}, {})",
                ll.lng(),
                ll.lat()
            );
        }
        let props = f["properties"].as_object().unwrap().clone();
        assert_eq!(
            props.keys().next().map(String::as_str),
            Some("h3"),
            "{label}: h3 is the first property"
        );
        assert!(
            out.insert(h3.to_owned(), props).is_none(),
            "{label}: {h3} appears twice"
        );
    }
    out
}

/// Checks a density collection (geometry, `per_km2`) and returns its counts by h3.
fn check_density(label: &str, fc: &Value, res: u8) -> BTreeMap<String, u64> {
    let cells = check_cells(label, fc, res);
    cells
        .into_iter()
        .map(|(h3, p)| {
            let count = p["count"]
                .as_u64()
                .unwrap_or_else(|| panic!("{label} {h3}: count {}", p["count"]));
            assert!(count > 0, "{label} {h3}: an empty cell is listed");
            let area = h3.parse::<CellIndex>().unwrap().area_km2();
            #[allow(clippy::cast_precision_loss)]
            let want = count as f64 / area;
            let got = p["per_km2"].as_f64().unwrap();
            assert!(
                ((got - want) / want).abs() <= 1e-3,
                "{label} {h3}: per_km2 {got} vs {count} / {area} km² = {want}"
            );
            (h3, count)
        })
        .collect()
}

/// `want` vs `got` by cell, with the first differences in the message.
fn assert_counts(label: &str, got: &BTreeMap<String, u64>, want: &BTreeMap<String, u64>) {
    if got == want {
        return;
    }
    let keys: BTreeSet<&String> = got.keys().chain(want.keys()).collect();
    let diffs: Vec<String> = keys
        .into_iter()
        .filter(|k| got.get(*k) != want.get(*k))
        .take(8)
        .map(|k| {
            format!(
                "{k}: server {:?}, brute force {:?}",
                got.get(k),
                want.get(k)
            )
        })
        .collect();
    panic!(
        "{label}: {} cells / {} incidents from the server, {} / {} by brute force; first differences:\n{}",
        got.len(),
        got.values().sum::<u64>(),
        want.len(),
        want.values().sum::<u64>(),
        diffs.join("\n")
    );
}

fn close(a: f64, b: f64, abs: f64, rel: f64) -> bool {
    (a - b).abs() <= abs.max(rel * b.abs())
}

// ---------------------------------------------------------------------------------------
// 1. Density
// ---------------------------------------------------------------------------------------

/// The density at each resolution, and under each filter, equals a brute-force count of the
/// sample file, on every backend.
#[tokio::test]
async fn density_of_the_whole_sample_at_every_resolution_matches_a_brute_force_count() {
    let all = sample_incidents();
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let get = async |q: &str, res: u8| {
            let path = format!("/api/v1/density?{q}");
            let fc = api.get(&path, Some(viewer)).await.geojson();
            check_density(&format!("{backend} {path}"), &fc, res)
        };
        // Everything, at the default resolution and across the allowed range.
        let got = get("res=8", 8).await;
        assert_eq!(got.values().sum::<u64>(), 20_000, "{backend}");
        assert_counts(&format!("{backend} res=8"), &got, &brute(&all, 8, |_| true));
        assert_counts(
            &format!("{backend} default res"),
            &get("", 9).await,
            &brute(&all, 9, |_| true),
        );
        for res in [5, 11] {
            assert_counts(
                &format!("{backend} res={res}"),
                &get(&format!("res={res}"), res).await,
                &brute(&all, res, |_| true),
            );
        }
    }
}

#[tokio::test]
async fn density_by_category_matches_a_brute_force_count() {
    let all = sample_incidents();
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let get = async |q: &str, res: u8| {
            let path = format!("/api/v1/density?{q}");
            let fc = api.get(&path, Some(viewer)).await.geojson();
            check_density(&format!("{backend} {path}"), &fc, res)
        };
        // Categories.
        let got = get("res=8&category=theft,snatching", 8).await;
        let want = brute(&all, 8, |i| {
            i.category == "theft" || i.category == "snatching"
        });
        assert!(want.values().sum::<u64>() > 1000, "{want:?}");
        assert!(want.values().sum::<u64>() < 20_000);
        assert_counts(&format!("{backend} theft,snatching"), &got, &want);
    }
}

#[tokio::test]
async fn density_by_local_dates_and_from_an_instant_matches_a_brute_force_count() {
    let all = sample_incidents();
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let get = async |q: &str, res: u8| {
            let path = format!("/api/v1/density?{q}");
            let fc = api.get(&path, Some(viewer)).await.geojson();
            check_density(&format!("{backend} {path}"), &fc, res)
        };
        // Time: local dates, and an RFC 3339 instant with an offset.
        let (f, t) = (instant("2024-01-01"), instant("2025-01-01"));
        let want = brute(&all, 8, |i| i.t >= f && i.t < t);
        assert_counts(
            &format!("{backend} 2024"),
            &get("res=8&from=2024-01-01&to=2025-01-01", 8).await,
            &want,
        );
        let f2 = instant("2024-03-15T12:00:00+07:00");
        assert_counts(
            &format!("{backend} from an instant"),
            &get(
                &query(&[("res", "9"), ("from", "2024-03-15T12:00:00+07:00")]),
                9,
            )
            .await,
            &brute(&all, 9, |i| i.t >= f2),
        );
    }
}

#[tokio::test]
async fn density_in_a_bbox_alone_and_with_every_filter_matches_a_brute_force_count() {
    let all = sample_incidents();
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let get = async |q: &str, res: u8| {
            let path = format!("/api/v1/density?{q}");
            let fc = api.get(&path, Some(viewer)).await.geojson();
            check_density(&format!("{backend} {path}"), &fc, res)
        };
        // A bounding box (inclusive edges), alone and with every other filter.
        let [a, b, c, d] = [106.66, 10.75, 106.72, 10.80];
        let in_box = |i: &Inc| i.lon >= a && i.lon <= c && i.lat >= b && i.lat <= d;
        let want = brute(&all, 8, in_box);
        assert!(want.values().sum::<u64>() > 500 && want.values().sum::<u64>() < 15_000);
        assert_counts(
            &format!("{backend} bbox"),
            &get("res=8&bbox=106.66,10.75,106.72,10.80", 8).await,
            &want,
        );
        let (f, t) = (instant("2024-01-01"), instant("2025-01-01"));
        let want = brute(&all, 10, |i| {
            in_box(i) && i.t >= f && i.t < t && (i.category == "theft" || i.category == "snatching")
        });
        assert!(!want.is_empty());
        assert_counts(
            &format!("{backend} bbox+time+category res 10"),
            &get(
                "res=10&bbox=106.66,10.75,106.72,10.80&from=2024-01-01&to=2025-01-01&category=theft,snatching",
                10,
            )
            .await,
            &want,
        );
    }
}

#[tokio::test]
async fn density_of_each_complex_area_counts_the_polygon_not_its_bounding_box() {
    let all = sample_incidents();
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let get = async |q: &str, res: u8| {
            let path = format!("/api/v1/density?{q}");
            let fc = api.get(&path, Some(viewer)).await.geojson();
            check_density(&format!("{backend} {path}"), &fc, res)
        };
        // Areas: only the incidents inside the polygon (not its bounding box).
        let mut narrower_than_bbox = 0;
        for code in complex_area_codes() {
            let mp = area_polygon(&code);
            let want = brute(&all, 9, |i| mp.contains(&geo::Point::new(i.lon, i.lat)));
            let rect = geo::BoundingRect::bounding_rect(&mp).unwrap();
            let in_rect = brute(&all, 9, |i| {
                i.lon >= rect.min().x
                    && i.lon <= rect.max().x
                    && i.lat >= rect.min().y
                    && i.lat <= rect.max().y
            });
            if in_rect.values().sum::<u64>() > want.values().sum::<u64>() {
                narrower_than_bbox += 1;
            }
            assert_counts(
                &format!("{backend} area={code}"),
                &get(&format!("res=9&area={code}"), 9).await,
                &want,
            );
        }
        assert!(
            narrower_than_bbox > 0,
            "some area must hold fewer incidents than its bounding box for this to test anything"
        );
    }
}

#[tokio::test]
async fn density_of_an_area_with_a_category_matches_a_brute_force_count() {
    let all = sample_incidents();
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let get = async |q: &str, res: u8| {
            let path = format!("/api/v1/density?{q}");
            let fc = api.get(&path, Some(viewer)).await.geojson();
            check_density(&format!("{backend} {path}"), &fc, res)
        };
        // An area with a category filter.
        let code = &complex_area_codes()[0];
        let mp = area_polygon(code);
        assert_counts(
            &format!("{backend} area={code}&category=theft"),
            &get(&format!("res=10&area={code}&category=theft"), 10).await,
            &brute(&all, 10, |i| {
                i.category == "theft" && mp.contains(&geo::Point::new(i.lon, i.lat))
            }),
        );
    }
}

// ---------------------------------------------------------------------------------------
// 2. Hotspots against esda
// ---------------------------------------------------------------------------------------

fn fixture(name: &str) -> Value {
    serde_json::from_slice(
        &std::fs::read(common::repo_path(&format!(
            "tests/fixtures/gistar/{name}.json"
        )))
        .unwrap(),
    )
    .unwrap()
}

/// The hotspots of query `q` on every backend, with and without FDR, equal esda's fixture
/// `name`: the study set's cells, counts, z, p, q and bins.
async fn check_esda(name: &str, q: &str) {
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let fx = fixture(name);
        let res = u8::try_from(fx["res"].as_u64().unwrap()).unwrap();
        let want: BTreeMap<String, &Value> = fx["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["h3"].as_str().unwrap().to_owned(), c))
            .collect();
        assert_eq!(want.len() as u64, fx["n"].as_u64().unwrap(), "{name}");
        for fdr in [true, false] {
            let path = if fdr {
                format!("/api/v1/hotspots?{q}")
            } else {
                format!("/api/v1/hotspots?{q}&fdr=false")
            };
            let label = format!("{backend} {name} {path}");
            let r = api.get(&path, Some(viewer)).await;
            assert!(!r.text().contains("NaN"), "{label}");
            let fc = r.geojson();
            let got = check_cells(&label, &fc, res);
            assert_eq!(
                got.len() as u64,
                fx["n"].as_u64().unwrap(),
                "{label}: feature count vs esda's n"
            );
            let got_keys: BTreeSet<&String> = got.keys().collect();
            let want_keys: BTreeSet<&String> = want.keys().collect();
            assert_eq!(got_keys, want_keys, "{label}: the study set's cells");
            for (h3, p) in &got {
                let theirs = want[h3];
                assert_eq!(p["count"], theirs["count"], "{label} {h3}: count");
                let (z, ez) = (
                    p["gi_z"]
                        .as_f64()
                        .unwrap_or_else(|| panic!("{label} {h3}: gi_z {}", p["gi_z"])),
                    theirs["gi_z"].as_f64().unwrap(),
                );
                assert!((z - ez).abs() <= 1e-9, "{label} {h3}: z {z} vs esda {ez}");
                for k in ["gi_p", "gi_q"] {
                    let (v, e) = (p[k].as_f64().unwrap(), theirs[k].as_f64().unwrap());
                    assert!(
                        close(v, e, 1e-12, 1e-7),
                        "{label} {h3}: {k} {v} vs esda {e}"
                    );
                }
                let bin = if fdr { "gi_bin_fdr" } else { "gi_bin_nofdr" };
                assert_eq!(p["gi_bin"], theirs[bin], "{label} {h3}: gi_bin vs {bin}");
            }
            if name == "res8_k2_occupied" {
                // Occupied study set: every cell holds an incident; all 20,000 counted.
                let total: u64 = got.values().map(|p| p["count"].as_u64().unwrap()).sum();
                assert_eq!(total, 20_000, "{label}");
            }
            assert_eq!(
                fc["diemnong"]["endpoint"], "hotspots",
                "{label}: provenance"
            );
        }
        // The bins actually differ between FDR and raw p somewhere, so both checks bite.
        assert!(
            fx["cells"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["gi_bin_fdr"] != c["gi_bin_nofdr"]),
            "{name}: fixture bins identical with and without FDR"
        );
    }
}

#[tokio::test]
async fn hotspots_match_esda_at_res7_k1_kring() {
    check_esda("res7_k1_kring", "res=7&k=1&study=kring").await;
}

#[tokio::test]
async fn hotspots_match_esda_at_res8_k2_occupied() {
    check_esda("res8_k2_occupied", "res=8&k=2&study=occupied").await;
}

#[tokio::test]
async fn hotspots_match_esda_at_res9_k1_kring_for_theft_in_2024() {
    check_esda(
        "res9_k1_kring",
        "category=theft&from=2024-01-01&to=2025-01-01&res=9",
    )
    .await;
}

// ---------------------------------------------------------------------------------------
// 3. CSV
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn csv_rows_equal_the_geojson_properties() {
    let sample = sqlite_sample().await;
    let viewer = &sample.viewer;
    let api = api(sample.base.clone());
    for (endpoint, q, columns) in [
        ("density", "res=8", vec!["h3", "count", "per_km2"]),
        (
            "density",
            "res=9&category=theft&bbox=106.66,10.75,106.72,10.80",
            vec!["h3", "count", "per_km2"],
        ),
        (
            "hotspots",
            "res=8",
            vec!["h3", "count", "gi_z", "gi_p", "gi_q", "gi_bin"],
        ),
        (
            "hotspots",
            "res=9&k=2&study=occupied&fdr=false",
            vec!["h3", "count", "gi_z", "gi_p", "gi_q", "gi_bin"],
        ),
    ] {
        let label = format!("{endpoint}?{q}");
        let fc = api
            .get(&format!("/api/v1/{endpoint}?{q}"), Some(viewer))
            .await
            .geojson();
        let features = fc["features"].as_array().unwrap();
        assert!(!features.is_empty(), "{label}");
        let r = api
            .get(&format!("/api/v1/{endpoint}?{q}&format=csv"), Some(viewer))
            .await;
        assert_eq!(r.status, 200, "{label}: {}", r.text());
        assert!(
            r.content_type().starts_with("text/csv"),
            "{label}: content-type {:?}",
            r.content_type()
        );
        let text = r.text();
        assert!(
            text.starts_with("h3,"),
            "{label}: {}",
            &text[..text.len().min(200)]
        );
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let head: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(head, columns, "{label}: header");
        let props_keys: Vec<&str> = features[0]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            props_keys, columns,
            "{label}: CSV columns are the GeoJSON properties"
        );
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), features.len(), "{label}: one row per feature");
        for (row, f) in rows.iter().zip(features) {
            let p = &f["properties"];
            for (col, cell) in head.iter().zip(row.iter()) {
                let v = &p[col];
                match v {
                    Value::String(s) => assert_eq!(cell, s, "{label} {col}"),
                    Value::Number(n) if n.is_f64() => {
                        // Through the same parser as the GeoJSON (serde_json's float
                        // parsing may be 1 ulp off; identical text parses identically).
                        let x: Value = serde_json::from_str(cell)
                            .unwrap_or_else(|e| panic!("{label} {col}: {cell:?}: {e}"));
                        assert_eq!(
                            &x, v,
                            "{label} {} {col}: CSV {cell} vs GeoJSON {n}",
                            p["h3"]
                        );
                        let y: f64 = cell.parse().unwrap();
                        assert!(
                            close(y, n.as_f64().unwrap(), 0.0, 1e-15),
                            "{label} {col}: {cell} vs {n}"
                        );
                    }
                    Value::Number(n) => assert_eq!(cell, n.to_string(), "{label} {col}"),
                    other => panic!("{label} {col}: unexpected {other}"),
                }
            }
        }
        // The CSV body holds no provenance or geometry (one line per feature + header).
        assert_eq!(
            text.lines().count(),
            features.len() + 1,
            "{label}: no multi-line values"
        );
    }
    // An empty result is a header-only CSV.
    let r = api
        .get(
            "/api/v1/density?res=9&bbox=106.0,10.0,106.001,10.001&format=csv",
            Some(viewer),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().starts_with("h3"), "{}", r.text());
    assert_eq!(r.text().lines().count(), 1, "{}", r.text());
}

// ---------------------------------------------------------------------------------------
// 4. ETag, caching, provenance, data versions
// ---------------------------------------------------------------------------------------

/// The sample on each backend behind a server of its own, with a viewer and an editor, for a
/// case that writes.
async fn own_samples() -> Vec<(TestDb, Arc<Service>, Api, String, String)> {
    let mut v = Vec::new();
    for db in TestDb::all().await {
        let service = db.service().await;
        load_sample(&service).await;
        let viewer = token(&service, Role::Viewer).await;
        let editor = token(&service, Role::Editor).await;
        let api = api(common::spawn_server(Arc::clone(&service)).await);
        v.push((db, service, api, viewer, editor));
    }
    v
}

/// The provenance of a result: endpoint, parameters, the data version `/healthz` reports,
/// when it was computed, the software's version.
#[tokio::test]
async fn etag_provenance_names_the_endpoint_parameters_data_version_and_software() {
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let path = "/api/v1/density?res=8";
        let fc1 = api.get(path, Some(viewer)).await.geojson();
        // Provenance.
        let prov = &fc1["diemnong"];
        assert_eq!(prov["endpoint"], "density", "{backend}: {prov}");
        assert_eq!(prov["parameters"], json!({"res": "8"}), "{backend}: {prov}");
        let v1 = prov["data_version"]
            .as_i64()
            .unwrap_or_else(|| panic!("{backend}: data_version {prov}"));
        let computed = prov["computed_at"].as_str().unwrap();
        computed
            .parse::<jiff::Timestamp>()
            .unwrap_or_else(|e| panic!("{backend}: computed_at {computed:?}: {e}"));
        assert_eq!(
            prov["software_version"],
            env!("CARGO_PKG_VERSION"),
            "{backend}"
        );
        let health: Value = api.get("/healthz", None).await.json();
        assert_eq!(health["data_version"].as_i64(), Some(v1), "{backend}");
    }
}

#[tokio::test]
async fn etag_provenance_echoes_parameters_of_every_kind_as_given() {
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let q = "res=9&category=theft,snatching&from=2024-01-01&to=2025-01-01&bbox=106.66,10.75,106.72,10.80";
        let fc = api
            .get(&format!("/api/v1/density?{q}"), Some(viewer))
            .await
            .geojson();
        assert_eq!(
            fc["diemnong"]["parameters"],
            json!({"res": "9", "category": "theft,snatching", "from": "2024-01-01", "to": "2025-01-01", "bbox": "106.66,10.75,106.72,10.80"}),
            "{backend}"
        );
        let fc = api
            .get("/api/v1/hotspots?res=8&k=2&study=occupied", Some(viewer))
            .await
            .geojson();
        assert_eq!(
            fc["diemnong"]["parameters"],
            json!({"res": "8", "k": "2", "study": "occupied"}),
            "{backend}"
        );
        assert_eq!(fc["diemnong"]["endpoint"], "hotspots", "{backend}");
    }
}

/// The same request: the same ETag (and the cached body); If-None-Match → 304 with no body,
/// also with the ETag in a list; another ETag → 200.
#[tokio::test]
async fn etag_is_the_same_for_the_same_request_and_if_none_match_gives_304() {
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let path = "/api/v1/density?res=8";
        let r1 = api.get(path, Some(viewer)).await;
        let fc1 = r1.geojson();
        let etag1 = r1.etag();
        // The same request: the same ETag (and the cached body).
        let r = api.get(path, Some(viewer)).await;
        assert_eq!(r.status, 200, "{backend}");
        assert_eq!(r.etag(), etag1, "{backend}: same request, same ETag");
        assert_eq!(r.json(), fc1, "{backend}: the cached result");

        // If-None-Match → 304, no body.
        let r = api.get_if_none_match(path, Some(viewer), &etag1).await;
        assert_eq!(r.status, 304, "{backend}: {}", r.text());
        assert!(
            r.body.is_empty(),
            "{backend}: a 304 has no body: {}",
            r.text()
        );
        assert_eq!(r.etag(), etag1, "{backend}");
        let r = api
            .get_if_none_match(path, Some(viewer), &format!("\"nope\", {etag1}"))
            .await;
        assert_eq!(r.status, 304, "{backend}: ETag in a list");
        let r = api.get_if_none_match(path, Some(viewer), "\"nope\"").await;
        assert_eq!(r.status, 200, "{backend}: another ETag");
        assert_eq!(r.etag(), etag1, "{backend}");
    }
}

#[tokio::test]
async fn etag_differs_for_any_other_parameter_and_the_first_does_not_validate_it() {
    for sample in samples().await {
        let api = api(sample.base.clone());
        let (backend, viewer) = (sample.backend, &sample.viewer);
        let path = "/api/v1/density?res=8";
        let r1 = api.get(path, Some(viewer)).await;
        r1.geojson();
        let etag1 = r1.etag();
        let mut etags = BTreeSet::from([etag1.clone()]);
        for other in [
            "/api/v1/density?res=9",
            "/api/v1/density?res=8&format=csv",
            "/api/v1/density?res=8&category=theft",
            "/api/v1/hotspots?res=8",
            "/api/v1/hotspots?res=8&fdr=false",
        ] {
            let r = api.get(other, Some(viewer)).await;
            assert_eq!(r.status, 200, "{backend} {other}: {}", r.text());
            assert!(
                etags.insert(r.etag()),
                "{backend} {other}: the ETag {} is not new",
                r.etag()
            );
            // …and the first ETag does not validate it.
            let r = api.get_if_none_match(other, Some(viewer), &etag1).await;
            assert_eq!(r.status, 200, "{backend} {other}");
        }
    }
}

/// A write over HTTP (one incident in a known res-8 cell) and then one by another process (a
/// second service on the same database, like the CLI, picked up by a refresh): each gives a
/// new ETag and data version, the old `ETags` no longer validate, and the counts (the filtered
/// path's too, through the index's delta) hold the new rows.
#[tokio::test]
async fn etag_and_data_version_change_after_a_write_over_http_and_one_by_another_process() {
    let all = sample_incidents();
    for (db, service, api, viewer, editor) in own_samples().await {
        let backend = db.backend;
        let path = "/api/v1/density?res=8";
        let r1 = api.get(path, Some(&viewer)).await;
        let fc1 = r1.geojson();
        let etag1 = r1.etag();
        let v1 = fc1["diemnong"]["data_version"].as_i64().unwrap();
        let hot = "/api/v1/hotspots?res=8";
        let hot_etag1 = api.get(hot, Some(&viewer)).await.etag();

        let first = &all[0];
        let cell = first.cell(8);
        let before = check_density(backend, &fc1, 8);
        let row = format!(
            "ETAG-1,2025-06-01 10:00,theft,serious,false,{:.6},{:.6},1 Lê Lợi,Bến Nghé",
            first.lon, first.lat
        );
        let w = api
            .post_csv(
                "/api/v1/incidents",
                Some(&editor),
                format!("{CSV_HEADER}\n{row}\n"),
            )
            .await;
        assert_eq!(w.status, 201, "{backend}: {}", w.text());
        let r = api.get_if_none_match(path, Some(&viewer), &etag1).await;
        assert_eq!(
            r.status, 200,
            "{backend}: the old ETag no longer validates after a write"
        );
        let etag2 = r.etag();
        assert_ne!(etag2, etag1, "{backend}: new data, new ETag");
        let fc2 = r.geojson();
        let v2 = fc2["diemnong"]["data_version"].as_i64().unwrap();
        assert!(v2 > v1, "{backend}: data_version {v1} → {v2}");
        let after = check_density(backend, &fc2, 8);
        let mut want = before.clone();
        *want.get_mut(&cell).unwrap() += 1;
        assert_counts(&format!("{backend} after one POST"), &after, &want);
        let r = api.get_if_none_match(hot, Some(&viewer), &hot_etag1).await;
        assert_eq!(r.status, 200, "{backend}: hotspots after a write");
        assert_ne!(r.etag(), hot_etag1, "{backend}");
        let r = api.get_if_none_match(path, Some(&viewer), &etag2).await;
        assert_eq!(r.status, 304, "{backend}: the new ETag validates");

        // A write by another process (a second service on the same database, like the CLI),
        // picked up by a refresh.
        let other = db.service().await;
        let row2 = format!(
            "ETAG-2,2025-06-02 10:00,fraud,,,{:.6},{:.6},,",
            first.lon, first.lat
        );
        let source = Source::Csv {
            reader: Box::new(std::io::Cursor::new(
                format!("{CSV_HEADER}\n{row2}\n").into_bytes(),
            )),
            options: CsvOptions::default(),
        };
        assert_eq!(import(&other, Layer::Incidents, source).await.inserted, 1);
        service.refresh().await.unwrap();
        let r = api.get_if_none_match(path, Some(&viewer), &etag2).await;
        assert_eq!(r.status, 200, "{backend}: after another process wrote");
        let etag3 = r.etag();
        assert!(etag3 != etag2 && etag3 != etag1, "{backend}");
        let fc3 = r.geojson();
        let v3 = fc3["diemnong"]["data_version"].as_i64().unwrap();
        assert!(v3 > v2, "{backend}: data_version {v2} → {v3}");
        *want.get_mut(&cell).unwrap() += 1;
        assert_counts(
            &format!("{backend} after an outside write"),
            &check_density(backend, &fc3, 8),
            &want,
        );
        assert_eq!(
            want.values().sum::<u64>(),
            20_002,
            "{backend}: both writes counted"
        );
        // The filtered path sees the new rows (index delta) too.
        let box_q = format!(
            "/api/v1/density?res=10&category=fraud&bbox={},{},{},{}",
            first.lon - 0.01,
            first.lat - 0.01,
            first.lon + 0.01,
            first.lat + 0.01
        );
        let got = check_density(backend, &api.get(&box_q, Some(&viewer)).await.geojson(), 10);
        let mut want = brute(&all, 10, |i| {
            i.category == "fraud"
                && (i.lon - first.lon).abs() <= 0.01
                && (i.lat - first.lat).abs() <= 0.01
        });
        *want.entry(first.cell(10)).or_insert(0) += 1;
        assert_counts(&format!("{backend} {box_q}"), &got, &want);

        drop(other);
        db.cleanup().await;
    }
}

/// An area over recent writes (the index's delta): one new incident inside the polygon
/// counts, one inside its bounding box but outside the polygon does not.
#[tokio::test]
async fn density_of_an_area_counts_a_recent_write_inside_the_polygon_only() {
    for (db, _service, api, viewer, editor) in own_samples().await {
        let backend = db.backend;
        let code = complex_area_codes()[0].clone();
        let mp = area_polygon(&code);
        let inner = geo::InteriorPoint::interior_point(&mp).unwrap();
        let rect = geo::BoundingRect::bounding_rect(&mp).unwrap();
        let outer = [
            (rect.min().x, rect.min().y),
            (rect.min().x, rect.max().y),
            (rect.max().x, rect.min().y),
            (rect.max().x, rect.max().y),
        ]
        .into_iter()
        .map(|(x, y)| {
            // A little inside the box's corner.
            let (cx, cy) = (rect.center().x, rect.center().y);
            (x + (cx - x) * 0.02, y + (cy - y) * 0.02)
        })
        .find(|&(x, y)| !mp.contains(&geo::Point::new(x, y)))
        .expect("a bounding-box corner outside the polygon");
        let area_q = format!("/api/v1/density?res=9&area={code}");
        let before = check_density(backend, &api.get(&area_q, Some(&viewer)).await.geojson(), 9);
        let rows = format!(
            "{CSV_HEADER}\nAREA-IN,2025-06-03 10:00,theft,,,{:.6},{:.6},,\nAREA-OUT,2025-06-03 11:00,theft,,,{:.6},{:.6},,\n",
            inner.x(),
            inner.y(),
            outer.0,
            outer.1
        );
        let w = api.post_csv("/api/v1/incidents", Some(&editor), rows).await;
        assert_eq!(w.status, 201, "{backend}: {}", w.text());
        let got = check_density(backend, &api.get(&area_q, Some(&viewer)).await.geojson(), 9);
        let mut want = before;
        let cell = LatLng::new(
            (inner.y() * 1e6).round() / 1e6,
            (inner.x() * 1e6).round() / 1e6,
        )
        .unwrap()
        .to_cell(Resolution::Nine)
        .to_string();
        *want.entry(cell).or_insert(0) += 1;
        assert_counts(&format!("{backend} {area_q} after writes"), &got, &want);
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// 5. Disclosure
// ---------------------------------------------------------------------------------------

/// The sample's truth with the keys the shared servers hold (`common::set_record_keys`).
fn keyed_truth() -> &'static diemnong::index::IncidentIndex {
    static TRUTH: std::sync::OnceLock<diemnong::index::IncidentIndex> = std::sync::OnceLock::new();
    TRUTH.get_or_init(|| common::keyed_index(&common::sample_records()))
}

/// The filter a query string of `res`, `category`, `from`, `to` asks for, on `index`.
fn filter_of(index: &diemnong::index::IncidentIndex, q: &str) -> diemnong::index::Filter {
    let zone = diemnong::domain::Zone::new(ZONE).unwrap();
    let mut f = diemnong::index::Filter::default();
    for (k, v) in q.split('&').filter_map(|kv| kv.split_once('=')) {
        match k {
            "category" => f.categories = Some(vec![index.categories().get(v).unwrap()]),
            "from" => f.from = Some(zone.parse_instant("from", v).unwrap()),
            "to" => f.to = Some(zone.parse_instant("to", v).unwrap()),
            _ => {}
        }
    }
    f
}

/// On the server with public aggregates, an anonymous caller of `endpoint?q` gets exactly
/// the answer computed on the published counts — each cell's count perturbed by the default
/// p-table at its cell key, computed here on the truth with the same keys — never a 1 or 2,
/// under another ETag than a viewer's, with the method in its provenance; the CSV says the
/// same. A viewer of the same URL gets the exact counts.
async fn check_anonymous(endpoint: &str, q: &str) {
    use diemnong::analysis::cells::{Tally, count_cells, published_counts};
    use diemnong::analysis::disclosure::{PTable, PTableParams};
    use diemnong::analysis::gistar::{BinBy, GiParams, Study, hotspots_on};
    let sample = sqlite_sample().await;
    let viewer = &sample.viewer;
    let public = api(sample.public_base.clone());
    let path = format!("/api/v1/{endpoint}?{q}");
    let res: u8 = q
        .split('&')
        .find_map(|kv| kv.strip_prefix("res="))
        .unwrap()
        .parse()
        .unwrap();
    let ra = public.get(&path, None).await;
    let anon_fc = ra.geojson();
    let rv = public.get(&path, Some(viewer)).await;
    let viewer_fc = rv.geojson();
    assert_ne!(
        ra.etag(),
        rv.etag(),
        "{path}: anonymous and signed-in results differ, so must their ETags"
    );
    // An anonymous caller's ETag does not validate the viewer's exact result.
    let r = public
        .get_if_none_match(&path, Some(viewer), &ra.etag())
        .await;
    assert_eq!(r.status, 200, "{path}");
    let d = &anon_fc["diemnong"]["disclosure"];
    assert_eq!(d["audience"], "public", "{path}: {d}");
    assert_eq!(d["ptable"]["D"], 5, "{path}: {d}");
    assert_eq!(d["ptable"]["js"], 2, "{path}: {d}");
    assert_eq!(viewer_fc["diemnong"]["disclosure"]["audience"], "viewer");
    let anon = check_cells(&format!("anonymous {path}"), &anon_fc, res);
    let full = check_cells(&format!("viewer {path}"), &viewer_fc, res);
    let count = |p: &Map<String, Value>| p["count"].as_u64().unwrap();
    assert!(!anon.is_empty(), "{path}");
    for (h3, p) in &anon {
        assert!(
            !(1..=2).contains(&count(p)),
            "anonymous {path}: {h3} has count {}",
            count(p)
        );
    }
    for small in [1, 2] {
        assert!(
            full.values().any(|p| count(p) == small),
            "viewer {path}: a cell with count {small} is shown"
        );
    }
    // The expected answer, from the truth.
    let truth = keyed_truth();
    let filter = filter_of(truth, q);
    let r = Resolution::try_from(res).unwrap();
    let pt = PTable::build(PTableParams::default()).unwrap();
    let published = published_counts(truth, &filter, r, &pt);
    let exact: BTreeMap<String, u64> = count_cells(truth, &filter, r)
        .into_iter()
        .map(|(c, n)| (c.to_string(), u64::from(n)))
        .collect();
    let want: BTreeMap<String, u64> = if endpoint == "density" {
        published
            .iter()
            .map(|(c, n)| (c.to_string(), u64::from(*n)))
            .collect()
    } else {
        let k = if q.contains("k=2") { 2 } else { 1 };
        let study = if q.contains("study=occupied") {
            Study::Occupied
        } else {
            Study::Kring
        };
        let tallies: Vec<(CellIndex, Tally)> = published
            .iter()
            .map(|(c, n)| (*c, Tally::from(*n)))
            .collect();
        let gi = hotspots_on(
            &tallies,
            &GiParams {
                res: r,
                k,
                study,
                bin_by: BinBy::FdrQ,
                max_cells: None,
            },
        )
        .unwrap();
        for (c, bin) in gi.cells.iter().zip(&gi.bins) {
            let p = &anon[&c.cell.to_string()];
            let z = p["gi_z"].as_f64().unwrap();
            assert!(
                (z - c.z).abs() <= 1e-12 * c.z.abs().max(1.0),
                "{path} {}: z {z} vs {}",
                c.cell,
                c.z
            );
            assert_eq!(
                p["gi_bin"].as_i64(),
                Some(i64::from(*bin)),
                "{path} {}",
                c.cell
            );
        }
        gi.cells
            .iter()
            .map(|c| (c.cell.to_string(), u64::from(c.count)))
            .collect()
    };
    let got: BTreeMap<String, u64> = anon.iter().map(|(h, p)| (h.clone(), count(p))).collect();
    assert_eq!(got, want, "anonymous {path}: the published counts");
    // Perturbed, not exact: many occupied cells are published with another count.
    let differ = exact
        .iter()
        .filter(|(h, n)| got.get(*h).copied().unwrap_or(0) != **n)
        .count();
    assert!(
        differ * 4 > exact.len(),
        "{path}: only {differ} of {} cells differ",
        exact.len()
    );
    // The viewer's answer is the exact one.
    for (h, n) in &exact {
        assert_eq!(full.get(h).map(count), Some(*n), "viewer {path} {h}");
    }
    // CSV says the same.
    let r = public.get(&format!("{path}&format=csv"), None).await;
    assert_eq!(r.status, 200, "{path} csv: {}", r.text());
    let text = r.text();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let ci = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "count")
        .unwrap();
    let mut n = 0;
    for row in rdr.records() {
        let row = row.unwrap();
        assert_eq!(
            Some(row[ci].parse::<u64>().unwrap()),
            got.get(&row[0]).copied(),
            "{path} csv: {row:?}"
        );
        n += 1;
    }
    assert_eq!(n, anon.len(), "{path}: CSV rows");
}

#[tokio::test]
async fn anonymous_callers_get_published_density_counts_when_aggregates_are_public() {
    check_anonymous("density", "res=9").await;
}

#[tokio::test]
async fn anonymous_callers_get_published_density_counts_of_a_category() {
    check_anonymous("density", "res=9&category=theft").await;
}

#[tokio::test]
async fn anonymous_hotspots_are_gi_of_the_published_counts_kring() {
    check_anonymous("hotspots", "res=9").await;
}

#[tokio::test]
async fn anonymous_hotspots_are_gi_of_the_published_counts_occupied() {
    check_anonymous("hotspots", "res=9&k=2&study=occupied").await;
}

#[tokio::test]
async fn anonymous_hotspots_of_theft_in_2024_are_gi_of_its_published_counts() {
    check_anonymous(
        "hotspots",
        "category=theft&from=2024-01-01&to=2025-01-01&res=9",
    )
    .await;
}

/// What anonymous callers may not ask, each refusal naming its parameter; a viewer may.
#[tokio::test]
async fn anonymous_callers_get_coarse_queries_only() {
    let sample = sqlite_sample().await;
    let public = api(sample.public_base.clone());
    for (q, param) in [
        ("density?res=10", "res"),
        ("density?res=9&from=2024-03-05&to=2024-03-06", "from"),
        ("density?res=9&from=2024-01-01&to=2024-07-01", "to"),
        ("density?res=9&from=2024-01-01", "to"),
        ("density?res=9&category=theft,robbery", "category"),
        ("density?res=9&severity=serious,very_serious", "severity"),
        ("density?res=9&weight=harm", "weight"),
        ("hotspots?res=9&weight=harm", "weight"),
        ("hotspots/emerging?res=8&slice=week", "slice"),
        ("clusters?eps_m=20&min_points=3", "eps_m"),
        ("clusters?eps_m=125&min_points=3", "eps_m"),
        ("clusters?eps_m=100&min_points=2", "min_points"),
    ] {
        let path = format!("/api/v1/{q}");
        let p = public.get(&path, None).await.problem(400);
        assert_eq!(p["parameter"], param, "anonymous {path}: {p}");
        assert!(
            p["detail"].as_str().unwrap().contains("sign"),
            "anonymous {path}: the detail says a sign-in allows it: {p}"
        );
        let r = public.get(&path, Some(&sample.viewer)).await;
        assert_eq!(r.status, 200, "viewer {path}: {}", r.text());
    }
    for q in [
        "density?res=9&from=2024-03-01&to=2024-04-01",
        "density?res=9&from=2024-04-01&to=2024-07-01",
        "density?res=9&from=2024-01-01T00:00:00%2B07:00&to=2025-01-01",
        "density?res=9&severity=serious",
        "hotspots/emerging?res=8&slice=quarter&from=2023-01-01&to=2024-01-01",
        "clusters?eps_m=150&min_points=3&from=2024-03-01&to=2024-04-01",
    ] {
        let path = format!("/api/v1/{q}");
        let r = public.get(&path, None).await;
        assert_eq!(r.status, 200, "anonymous {path}: {}", r.text());
    }
}

/// The public's clusters default to a radius of 400 m: res-9 centres are ~370 m apart, so
/// neighbouring cells join, where at 100 m every cluster is one cell.
#[tokio::test]
async fn anonymous_clusters_default_to_400_m() {
    let sample = sqlite_sample().await;
    let public = api(sample.public_base.clone());
    let q = "min_points=30";
    let features = |fc: &Value| fc["features"].as_array().unwrap().clone();
    let cells = |f: &Value| f["properties"]["cells"].as_u64().unwrap();
    let default = features(
        &public
            .get(&format!("/api/v1/clusters?{q}"), None)
            .await
            .geojson(),
    );
    let at_400 = features(
        &public
            .get(&format!("/api/v1/clusters?eps_m=400&{q}"), None)
            .await
            .geojson(),
    );
    let at_100 = features(
        &public
            .get(&format!("/api/v1/clusters?eps_m=100&{q}"), None)
            .await
            .geojson(),
    );
    assert!(!default.is_empty() && !at_100.is_empty());
    assert_eq!(default, at_400);
    assert!(
        at_100.iter().all(|f| cells(f) == 1),
        "at 100 m no two cells are neighbours"
    );
    assert!(
        default.iter().any(|f| cells(f) > 1),
        "at 400 m neighbouring cells join"
    );
}

/// A box selects whole cells: every cell an anonymous caller sees inside a box has the
/// count the box-less answer gives it, and its centre lies in the box.
#[tokio::test]
async fn an_anonymous_box_selects_whole_cells() {
    let sample = sqlite_sample().await;
    let public = api(sample.public_base.clone());
    let all = check_cells(
        "all",
        &public.get("/api/v1/density?res=9", None).await.geojson(),
        9,
    );
    let bbox = [106.69, 10.77, 106.71, 10.79];
    let path = format!(
        "/api/v1/density?res=9&bbox={},{},{},{}",
        bbox[0], bbox[1], bbox[2], bbox[3]
    );
    let boxed = check_cells("boxed", &public.get(&path, None).await.geojson(), 9);
    assert!(!boxed.is_empty() && boxed.len() < all.len());
    let centred: BTreeSet<&String> = all
        .keys()
        .filter(|h| {
            let c = LatLng::from(h.parse::<CellIndex>().unwrap());
            (bbox[0]..=bbox[2]).contains(&c.lng()) && (bbox[1]..=bbox[3]).contains(&c.lat())
        })
        .collect();
    assert_eq!(boxed.keys().collect::<BTreeSet<_>>(), centred, "{path}");
    for (h, p) in &boxed {
        assert_eq!(p, &all[h], "{path} {h}");
    }
}

/// A bad token is refused, not treated as anonymous.
#[tokio::test]
async fn public_aggregates_refuse_a_bad_token() {
    let public = api(sqlite_sample().await.public_base.clone());
    public
        .get(
            "/api/v1/density?res=9",
            Some(&format!("dn_{}", "0".repeat(64))),
        )
        .await
        .problem(401);
}

/// Not public (the default): anonymous callers get 401; a viewer 200; a 304 is not a way
/// around the token.
#[tokio::test]
async fn aggregates_need_a_token_unless_public() {
    let sample = sqlite_sample().await;
    let viewer = &sample.viewer;
    let private = api(sample.base.clone());
    for path in [
        "/api/v1/density?res=9",
        "/api/v1/hotspots?res=9",
        "/api/v1/density?res=9&format=csv",
    ] {
        let p = private.get(path, None).await.problem(401);
        assert!(
            p["detail"].as_str().unwrap().contains("token"),
            "{path}: {p}"
        );
        assert_eq!(private.get(path, Some(viewer)).await.status, 200, "{path}");
        // A 304 is not a way around the token.
        let etag = private.get(path, Some(viewer)).await.etag();
        private
            .get_if_none_match(path, None, &etag)
            .await
            .problem(401);
    }
}

// ---------------------------------------------------------------------------------------
// 6. Cost limit
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn requests_over_the_cost_limit_are_422() {
    let sample = sqlite_sample().await;
    let viewer = &sample.viewer;
    let api = Api::new(sample.cost_base.clone());
    for path in [
        "/api/v1/density?res=9",
        "/api/v1/density?res=9&format=csv",
        "/api/v1/hotspots?res=9",
        "/api/v1/hotspots?res=9&study=occupied",
    ] {
        let p = api.get(path, Some(viewer)).await.problem(422);
        let d = p["detail"].as_str().unwrap();
        assert!(
            d.contains("limit") && d.contains("10"),
            "{path}: the detail names the limit: {d}"
        );
    }
    // Under the limit: served.
    let all = sample_incidents();
    let want = brute(&all, 5, |_| true);
    assert!(want.len() <= 10, "{want:?}");
    let fc = api
        .get("/api/v1/density?res=5", Some(viewer))
        .await
        .geojson();
    assert_counts(
        "res=5 under the limit",
        &check_density("res=5", &fc, 5),
        &want,
    );
}

// ---------------------------------------------------------------------------------------
// 7. Degenerate inputs
// ---------------------------------------------------------------------------------------

/// Asserts that a hotspot answer holds no NaN, null z or infinity.
fn no_nan(label: &str, text: &str) {
    assert!(!text.contains("NaN"), "{label}: {text}");
    assert!(!text.contains("\"gi_z\":null"), "{label}: {text}");
    assert!(!text.contains("Infinity"), "{label}: {text}");
}

/// A tiny box around one incident (the brute force confirms it holds 1 or 2): the occupied
/// study set is too small (422), the default k-ring one around the cell has 7 cells and
/// variance, so finite values.
#[tokio::test]
async fn degenerate_hotspots_of_one_incident_are_422_occupied_and_finite_kring() {
    let sample = sqlite_sample().await;
    let viewer = &sample.viewer;
    let api = api(sample.base.clone());
    let all = sample_incidents();
    let one = &all[123];
    let e = 1e-6;
    let bbox = format!(
        "{},{},{},{}",
        one.lon - e,
        one.lat - e,
        one.lon + e,
        one.lat + e
    );
    let inside = all
        .iter()
        .filter(|i| (i.lon - one.lon).abs() <= e && (i.lat - one.lat).abs() <= e)
        .count();
    assert!((1..=2).contains(&inside), "{inside}");
    let density = check_density(
        "tiny box",
        &api.get(&format!("/api/v1/density?res=9&bbox={bbox}"), Some(viewer))
            .await
            .geojson(),
        9,
    );
    assert_eq!(density.values().sum::<u64>(), inside as u64);
    for q in [
        format!("res=9&bbox={bbox}&study=occupied"),
        format!("res=9&bbox={bbox}&study=occupied&format=csv"),
    ] {
        let r = api
            .get(&format!("/api/v1/hotspots?{q}"), Some(viewer))
            .await;
        no_nan(&q, &r.text());
        let p = r.problem(422);
        let d = p["detail"].as_str().unwrap();
        assert!(d.contains("at least 3 cells"), "{q}: {d}");
    }
    // The default k-ring study set around one cell has 7 cells and variance: finite values.
    let r = api
        .get(&format!("/api/v1/hotspots?res=9&bbox={bbox}"), Some(viewer))
        .await;
    no_nan("kring tiny box", &r.text());
    let fc = r.geojson();
    let cells = check_cells("kring tiny box", &fc, 9);
    assert_eq!(cells.len(), 7, "one cell and its 6 neighbours");
    for (h3, p) in &cells {
        for k in ["gi_z", "gi_p", "gi_q"] {
            assert!(
                p[k].as_f64().is_some_and(f64::is_finite),
                "{h3}: {k} = {}",
                p[k]
            );
        }
    }
}

/// Nothing at all: density is an empty collection, hotspots a 422.
#[tokio::test]
async fn degenerate_hotspots_of_nothing_are_422_and_density_empty() {
    let sample = sqlite_sample().await;
    let viewer = &sample.viewer;
    let api = api(sample.base.clone());
    let empty = "bbox=106.0,10.0,106.001,10.001";
    let fc = api
        .get(&format!("/api/v1/density?{empty}"), Some(viewer))
        .await
        .geojson();
    assert_eq!(fc["features"].as_array().unwrap().len(), 0);
    for study in ["kring", "occupied"] {
        let r = api
            .get(
                &format!("/api/v1/hotspots?{empty}&study={study}"),
                Some(viewer),
            )
            .await;
        no_nan(study, &r.text());
        r.problem(422);
    }
}

/// No variance: a time window holding exactly three incidents in three different cells,
/// one each (occupied study set: counts 1, 1, 1).
#[tokio::test]
async fn degenerate_hotspots_without_variance_are_422() {
    let sample = sqlite_sample().await;
    let viewer = &sample.viewer;
    let api = api(sample.base.clone());
    let all = sample_incidents();
    let mut by_time: Vec<&Inc> = all.iter().collect();
    by_time.sort_by_key(|i| i.t);
    let w = by_time
        .windows(5)
        .find(|w| {
            w[0].t < w[1].t
                && w[3].t < w[4].t
                && w[1..4]
                    .iter()
                    .map(|i| i.cell(9))
                    .collect::<BTreeSet<_>>()
                    .len()
                    == 3
        })
        .expect("three incidents alone in a time window");
    let ts = |t: i64| jiff::Timestamp::from_second(t).unwrap().to_string();
    let window = query(&[("from", &ts(w[1].t)), ("to", &ts(w[3].t + 1))]);
    let q = format!("res=9&study=occupied&{window}");
    let fc = api
        .get(&format!("/api/v1/density?res=9&{window}"), Some(viewer))
        .await
        .geojson();
    assert_eq!(
        check_density(&q, &fc, 9)
            .values()
            .copied()
            .collect::<Vec<_>>(),
        vec![1, 1, 1],
        "{q}"
    );
    let r = api
        .get(&format!("/api/v1/hotspots?{q}"), Some(viewer))
        .await;
    no_nan(&q, &r.text());
    let p = r.problem(422);
    assert!(
        p["detail"].as_str().unwrap().contains("variance"),
        "{q}: {p}"
    );
}

// ---------------------------------------------------------------------------------------
// 8. Bad parameters
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let sample = sqlite_sample().await;
    let viewer = &sample.viewer;
    let api = api(sample.base.clone());
    let area = &complex_area_codes()[0];
    let cases: Vec<(String, &str, &str)> = vec![
        // (path, parameter named in the problem, a word the detail contains)
        ("/api/v1/density?res=4".into(), "res", "res"),
        ("/api/v1/density?res=12".into(), "res", "res"),
        ("/api/v1/hotspots?res=4".into(), "res", "res"),
        ("/api/v1/hotspots?res=12".into(), "res", "res"),
        // A malformed value is traced back to its parameter.
        ("/api/v1/density?res=abc".into(), "res", "abc"),
        ("/api/v1/hotspots?k=0".into(), "k", "k"),
        ("/api/v1/hotspots?k=6".into(), "k", "k"),
        ("/api/v1/hotspots?study=foo".into(), "study", "foo"),
        ("/api/v1/hotspots?fdr=maybe".into(), "fdr", "maybe"),
        ("/api/v1/density?format=xml".into(), "format", "xml"),
        ("/api/v1/hotspots?format=xml".into(), "format", "xml"),
        (
            "/api/v1/density?res=8&colour=red".into(),
            "colour",
            "colour",
        ),
        ("/api/v1/density?k=1".into(), "k", "k"),
        ("/api/v1/hotspots?limit=10".into(), "limit", "limit"),
        (
            format!("/api/v1/density?bbox=106.6,10.7,106.8,10.9&area={area}"),
            "area",
            "bbox",
        ),
        (
            format!("/api/v1/hotspots?bbox=106.6,10.7,106.8,10.9&area={area}"),
            "area",
            "bbox",
        ),
        (
            "/api/v1/density?area=no-such-area".into(),
            "area",
            "no-such-area",
        ),
        ("/api/v1/density?bbox=1,2,3".into(), "bbox", "bbox"),
        ("/api/v1/density?from=yesterday".into(), "from", "from"),
        (
            "/api/v1/density?from=2025-01-01&to=2024-01-01".into(),
            "to",
            "from",
        ),
        (
            "/api/v1/density?category=nonsense".into(),
            "category",
            "nonsense",
        ),
        (
            "/api/v1/density?severity=mild".into(),
            "severity",
            "severity",
        ),
    ];
    for (path, param, word) in &cases {
        let p = api.get(path, Some(viewer)).await.problem(400);
        assert_eq!(p["parameter"], *param, "{path}: {p}");
        let d = p["detail"].as_str().unwrap();
        assert!(d.contains(word), "{path}: the detail names {word:?}: {d}");
    }
    // The limits themselves are accepted.
    for path in [
        "/api/v1/hotspots?res=5&k=5",
        "/api/v1/density?res=11&format=geojson",
        "/api/v1/hotspots?res=7&k=1&study=kring&fdr=true&format=csv",
    ] {
        let r = api.get(path, Some(viewer)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
}

// ---------------------------------------------------------------------------------------
// 9. GDAL
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn ogrinfo_reads_the_public_density_and_hotspot_urls() {
    let base = sqlite_sample().await.public_base.clone();
    let api = Api::new(base.clone());
    for (path, attrs) in [
        (
            "/api/v1/density?res=8",
            vec!["h3: String", "count: Integer", "per_km2: Real"],
        ),
        (
            "/api/v1/hotspots?res=8",
            vec![
                "h3: String",
                "count: Integer",
                "gi_z: Real",
                "gi_p: Real",
                "gi_q: Real",
                "gi_bin: Integer",
            ],
        ),
    ] {
        let fc = api.get(path, None).await.geojson();
        let n = fc["features"].as_array().unwrap().len();
        assert!(n > 10, "{path}: {n}");
        let info = common::ogrinfo(vec![
            "-ro".into(),
            "-al".into(),
            "-so".into(),
            format!("{base}{path}"),
        ])
        .await;
        assert_eq!(
            common::field(&info, "Feature Count"),
            n.to_string(),
            "{path}:\n{info}"
        );
        assert_eq!(
            common::field(&info, "Geometry"),
            "Polygon",
            "{path}:\n{info}"
        );
        for a in attrs {
            assert!(info.contains(a), "{path}: GDAL sees {a}:\n{info}");
        }
        assert!(
            info.contains("WGS 84"),
            "{path}: GeoJSON is WGS 84:\n{info}"
        );
    }
}

/// A browser's `Accept-Encoding: gzip` gets the answer gzipped once and kept with it
/// (`http::answer`): the same bytes from the cache, which decompress to the plain answer;
/// `q=0` and no header get the plain body; every answer says it varies by encoding.
#[tokio::test]
async fn gzip_answers_are_the_plain_answer_compressed_once() {
    use std::io::Read;
    let sample = sqlite_sample().await;
    // No transparent decompression: this client sees the bytes as sent.
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let url = format!(
        "{}/api/v1/density?res=9&from=2024-01-01&to=2025-01-01",
        sample.base
    );
    let get = async |encoding: Option<&str>| {
        let mut req = client.get(&url).bearer_auth(&sample.viewer);
        if let Some(e) = encoding {
            req = req.header("accept-encoding", e);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        let headers = res.headers().clone();
        (headers, res.bytes().await.unwrap())
    };
    let (plain_h, plain) = get(None).await;
    assert!(plain_h.get("content-encoding").is_none());
    assert_eq!(plain_h["vary"], "accept-encoding");
    let (gz_h, gz) = get(Some("br, gzip")).await;
    assert_eq!(gz_h["content-encoding"], "gzip");
    assert_eq!(gz_h["vary"], "accept-encoding");
    assert_eq!(gz_h["etag"], plain_h["etag"]);
    assert!(
        gz.len() * 3 < plain.len(),
        "{} vs {}",
        gz.len(),
        plain.len()
    );
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, plain);
    let (_, again) = get(Some("gzip")).await;
    assert_eq!(again, gz, "the cached gzip body");
    let (refused_h, refused) = get(Some("gzip;q=0, identity")).await;
    assert!(refused_h.get("content-encoding").is_none());
    assert_eq!(refused, plain);
}
