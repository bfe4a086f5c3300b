//! The KDE, hotspot-zone and emerging-hotspot endpoints (`GET /api/v1/kde`,
//! `/api/v1/hotspots/zones`, `/api/v1/hotspots/emerging`) over a real socket with a real
//! client (reqwest), on the committed sample: results equal the library functions called on
//! the same snapshot, geometry is closed and counter-clockwise, provenance, parameter
//! validation, the disclosure rule for anonymous callers, the cost limit, and GDAL.
#![allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly on a broken fixture or response"
)]

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::TestDb;
use diemnong::analysis::cells::count_cells;
use diemnong::analysis::emerging::Category;
use diemnong::analysis::gistar::{BinBy, HotRule, Study, gi_star, study_set};
use diemnong::analysis::kde::{Kernel, kde, silverman_bandwidth_m};
use diemnong::analysis::zones::{ZoneParams, zones};
use diemnong::auth::Role;
use diemnong::http::analysis::AnalysisSettings;
use diemnong::index::Filter;
use diemnong::ingest::Layer;
use diemnong::service::Service;
use h3o::Resolution;
use reqwest::header;
use serde_json::Value;

const PROBLEM: &str = "application/problem+json";
const GEOJSON: &str = "application/geo+json";

// ---------------------------------------------------------------------------------------
// Data, servers, client
// ---------------------------------------------------------------------------------------

/// The whole committed sample on SQLite, loaded once and shared by every test here (they
/// only read), with a viewer token and three servers over it: public aggregates
/// (`public()`), the defaults, and a cost limit of 1000.
struct Sample {
    service: Arc<Service>,
    viewer: String,
    /// Public aggregates: anonymous callers get perturbed counts.
    base: String,
    /// The defaults: aggregates need a token.
    private_base: String,
    /// `max_cost: 1000`.
    tight_base: String,
    _db: TestDb,
}

async fn sample() -> &'static Sample {
    static SAMPLE: tokio::sync::OnceCell<Sample> = tokio::sync::OnceCell::const_new();
    common::shared(&SAMPLE, || async {
        let db = common::shared_sqlite("analysis-endpoints");
        let service = db.service().await;
        common::import_file(&service, Layer::Areas, "sample-data/areas.geojson").await;
        common::import_file(&service, Layer::Cameras, "sample-data/cameras.csv").await;
        common::import_file(&service, Layer::Models, "sample-data/models.csv").await;
        common::import_file(&service, Layer::Incidents, "sample-data/incidents.csv").await;
        // Keys from the ids: public answers are checked exactly against the keyed truth.
        drop(service);
        let service = common::set_record_keys(&db).await;
        let viewer = service
            .create_token("analysis endpoints test", Role::Viewer)
            .await
            .unwrap()
            .1;
        let base = common::spawn_server_with(Arc::clone(&service), public()).await;
        let private_base =
            common::spawn_server_with(Arc::clone(&service), AnalysisSettings::default()).await;
        let tight_base = common::spawn_server_with(
            Arc::clone(&service),
            AnalysisSettings {
                max_cost: 1000,
                ..AnalysisSettings::default()
            },
        )
        .await;
        Sample {
            service,
            viewer,
            base,
            private_base,
            tight_base,
            _db: db,
        }
    })
    .await
}

fn public() -> AnalysisSettings {
    AnalysisSettings {
        public_aggregates: true,
        min_cell_count: 3,
        ..AnalysisSettings::default()
    }
}

struct Resp {
    what: String,
    status: u16,
    content_type: String,
    etag: String,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", self.what, self.text))
    }

    fn geojson(&self) -> Value {
        assert_eq!(self.status, 200, "{}: {}", self.what, self.text);
        assert!(
            self.content_type.starts_with(GEOJSON),
            "{}: {}",
            self.what,
            self.content_type
        );
        assert!(
            !self.text.contains("NaN"),
            "{}: a non-finite number in the body",
            self.what
        );
        let fc = self.json();
        assert_eq!(fc["type"], "FeatureCollection", "{}", self.what);
        assert!(fc["features"].is_array(), "{}", self.what);
        assert!(fc["diemnong"].is_object(), "{}: provenance", self.what);
        fc
    }

    /// Asserts a problem with `status` and returns it.
    fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}: {}", self.what, self.text);
        assert!(
            self.content_type.starts_with(PROBLEM),
            "{}: {}",
            self.what,
            self.content_type
        );
        let p = self.json();
        assert_eq!(p["status"], status, "{}: {p}", self.what);
        p
    }

    /// Asserts 400 naming `param`.
    fn bad_param(&self, param: &str) {
        let p = self.problem(400);
        assert_eq!(p["parameter"], param, "{}: {p}", self.what);
    }
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn new(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::builder()
                .timeout(Duration::from_mins(5))
                .build()
                .unwrap(),
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.get_if_none_match(path, token, None).await
    }

    async fn get_if_none_match(&self, path: &str, token: Option<&str>, etag: Option<&str>) -> Resp {
        let mut rq = self.http.get(format!("{}{path}", self.base));
        if let Some(e) = etag {
            rq = rq.header(header::IF_NONE_MATCH, e);
        }
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        let what = format!(
            "GET {path} ({})",
            if token.is_some() {
                "viewer"
            } else {
                "anonymous"
            }
        );
        let res = rq.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = res.status().as_u16();
        let h = |n: header::HeaderName| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (content_type, etag) = (h(header::CONTENT_TYPE), h(header::ETAG));
        let text = res.text().await.unwrap();
        Resp {
            what,
            status,
            content_type,
            etag,
            text,
        }
    }
}

fn features(fc: &Value) -> &Vec<Value> {
    fc["features"].as_array().unwrap()
}

/// Asserts a closed ring of ≥ 4 points wound counter-clockwise (positive shoelace area).
fn check_ring(label: &str, ring: &Value) {
    let pts: Vec<(f64, f64)> = ring
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    assert!(pts.len() >= 4, "{label}: ring of {} points", pts.len());
    assert_eq!(pts.first(), pts.last(), "{label}: ring not closed");
    let area2: f64 = pts
        .windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum();
    assert!(area2 > 0.0, "{label}: ring not counter-clockwise ({area2})");
}

/// Asserts a closed counter-clockwise hexagon (7 positions).
fn check_hexagon(label: &str, f: &Value) {
    assert_eq!(f["geometry"]["type"], "Polygon", "{label}");
    let rings = f["geometry"]["coordinates"].as_array().unwrap();
    assert_eq!(rings.len(), 1, "{label}");
    assert_eq!(rings[0].as_array().unwrap().len(), 7, "{label}: a hexagon");
    check_ring(label, &rings[0]);
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}

// ---------------------------------------------------------------------------------------
// 1. KDE
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn kde_equals_the_library_for_the_quartic_and_gaussian_kernels() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let snap = sample.service.snapshot();
    let all = Filter::default();
    let v = Some(sample.viewer.as_str());
    for (name, kernel) in [("quartic", Kernel::Quartic), ("gaussian", Kernel::Gaussian)] {
        let path = format!("/api/v1/kde?res=9&bandwidth_m=500&kernel={name}");
        let fc = api.get(&path, v).await.geojson();
        let d = &fc["diemnong"];
        assert_eq!(d["bandwidth_m"].as_f64(), Some(500.0), "{path}: {d}");
        assert_eq!(d["bandwidth_rule"], "given", "{path}: {d}");
        assert_eq!(d["kernel"], name, "{path}: {d}");
        assert_eq!(d["endpoint"], "kde", "{path}: {d}");
        assert_eq!(d["parameters"]["bandwidth_m"], "500", "{path}: {d}");
        let want = kde(
            &snap.incidents,
            &all,
            Resolution::Nine,
            500.0,
            kernel,
            &diemnong::analysis::weights::Weighting::Count,
        );
        let got = features(&fc);
        assert!(!want.is_empty());
        assert_eq!(got.len(), want.len(), "{path}: number of cells");
        for (f, w) in got.iter().zip(&want) {
            let h3 = w.cell.to_string();
            assert_eq!(f["properties"]["h3"], h3.as_str(), "{path}: cell order");
            assert_eq!(f["id"], h3.as_str(), "{path}");
            let dens = f["properties"]["density"].as_f64().unwrap();
            assert!(dens > 0.0 && dens.is_finite(), "{path}: {h3} {dens}");
            assert!(
                close(dens, w.density, 1e-12),
                "{path}: {h3}: {dens} vs {}",
                w.density
            );
            check_hexagon(&format!("{path} {h3}"), f);
        }
    }
}

/// The default bandwidth: ArcGIS's spatial Silverman rule on the filtered incidents.
#[tokio::test]
async fn kde_default_bandwidth_is_silverman_on_the_filtered_incidents() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let snap = sample.service.snapshot();
    let all = Filter::default();
    let v = Some(sample.viewer.as_str());
    let silverman = silverman_bandwidth_m(&snap.incidents, &all).unwrap();
    let fc = api.get("/api/v1/kde?res=9", v).await.geojson();
    let d = &fc["diemnong"];
    assert_eq!(d["bandwidth_rule"], "arcgis_spatial_silverman", "{d}");
    assert_eq!(d["kernel"], "quartic", "{d}");
    let h = d["bandwidth_m"].as_f64().unwrap();
    assert!(
        close(h, silverman.clamp(10.0, 10_000.0), 1e-12),
        "{h} vs {silverman}"
    );
    let filtered = Filter {
        from: Some(
            "2024-01-01T00:00:00+07:00"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_second(),
        ),
        ..Filter::default()
    };
    let s2024 = silverman_bandwidth_m(&snap.incidents, &filtered).unwrap();
    let fc = api
        .get("/api/v1/kde?res=8&from=2024-01-01", v)
        .await
        .geojson();
    let h = fc["diemnong"]["bandwidth_m"].as_f64().unwrap();
    assert!(
        close(h, s2024.clamp(10.0, 10_000.0), 1e-12),
        "{h} vs {s2024}"
    );
    for f in features(&fc) {
        let dens = f["properties"]["density"].as_f64().unwrap();
        assert!(dens > 0.0 && dens.is_finite(), "{f}");
        check_hexagon("kde res=8 from=2024", f);
    }
}

/// ETag / If-None-Match, and CSV with `h3` first.
#[tokio::test]
async fn kde_etag_validates_and_csv_has_h3_first() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let v = Some(sample.viewer.as_str());
    let path = "/api/v1/kde?res=9&bandwidth_m=500";
    let r = api.get(path, v).await;
    assert!(r.etag.starts_with('"'), "{}", r.etag);
    let r304 = api.get_if_none_match(path, v, Some(&r.etag)).await;
    assert_eq!(r304.status, 304, "{}", r304.text);
    assert_eq!(r304.etag, r.etag);
    let n = features(&r.geojson()).len();
    let r = api.get(&format!("{path}&format=csv"), v).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.text.starts_with("h3,density\n"),
        "{}",
        &r.text[..40.min(r.text.len())]
    );
    assert_eq!(r.text.lines().count(), n + 1);
}

#[tokio::test]
async fn kde_bad_parameters_are_400_naming_them() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let v = Some(sample.viewer.as_str());
    // Bad parameters are 400 naming them.
    for (q, param) in [
        ("bandwidth_m=0", "bandwidth_m"),
        ("bandwidth_m=5", "bandwidth_m"),
        ("bandwidth_m=20000", "bandwidth_m"),
        ("bandwidth_m=abc", "bandwidth_m"),
        ("bandwidth_m=NaN", "bandwidth_m"),
        ("kernel=box", "kernel"),
    ] {
        api.get(&format!("/api/v1/kde?res=9&{q}"), v)
            .await
            .bad_param(param);
    }
}

/// The published counts of the sample at `res` over `filter` (the keys of
/// `common::set_record_keys`, the default p-table).
fn published(filter: &Filter, res: Resolution) -> Vec<(h3o::CellIndex, u32)> {
    use diemnong::analysis::disclosure::{PTable, PTableParams};
    static TRUTH: std::sync::OnceLock<diemnong::index::IncidentIndex> = std::sync::OnceLock::new();
    let truth = TRUTH.get_or_init(|| common::keyed_index(&common::sample_records()));
    let pt = PTable::build(PTableParams::default()).unwrap();
    diemnong::analysis::cells::published_counts(truth, filter, res, &pt)
}

/// Anonymous callers on a public server: no narrow kernels, and the surface is that of the
/// published counts at the cell centres (no incident's position enters it), its default
/// bandwidth the weighted Silverman rule on them with a floor of 250 m.
#[tokio::test]
async fn kde_anonymous_callers_get_the_surface_of_published_counts() {
    use diemnong::analysis::kde::{kde_of_masses, silverman_of_masses};
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    api.get("/api/v1/kde?res=9&bandwidth_m=100", None)
        .await
        .bad_param("bandwidth_m");
    let masses: Vec<(h3o::CellIndex, f64)> = published(&Filter::default(), Resolution::Nine)
        .into_iter()
        .map(|(c, n)| (c, f64::from(n)))
        .collect();
    let fc = api
        .get("/api/v1/kde?res=9&bandwidth_m=500", None)
        .await
        .geojson();
    assert_eq!(fc["diemnong"]["disclosure"]["audience"], "public");
    let want = kde_of_masses(&masses, Resolution::Nine, 500.0, Kernel::Quartic);
    assert_eq!(features(&fc).len(), want.len());
    for (f, w) in features(&fc).iter().zip(&want) {
        assert_eq!(f["properties"]["h3"], w.cell.to_string());
        let d = f["properties"]["density"].as_f64().unwrap();
        assert!(close(d, w.density, 1e-12), "{f} vs {w:?}");
    }
    // Not the viewers' surface.
    let v = Some(sample.viewer.as_str());
    let exact = api
        .get("/api/v1/kde?res=9&bandwidth_m=500", v)
        .await
        .geojson();
    assert_ne!(features(&exact), features(&fc));
    let fc = api.get("/api/v1/kde?res=9", None).await.geojson();
    let h = fc["diemnong"]["bandwidth_m"].as_f64().unwrap();
    let want = silverman_of_masses(&masses).unwrap().clamp(250.0, 10_000.0);
    assert!(h >= 250.0, "anonymous default bandwidth {h}");
    assert!(close(h, want, 1e-12), "{h} vs {want}");
    let snap = sample.service.snapshot();
    let points = silverman_bandwidth_m(&snap.incidents, &Filter::default()).unwrap();
    assert!(
        !close(h, points.clamp(250.0, 10_000.0), 1e-9),
        "the points' rule: {points}"
    );
}

#[tokio::test]
async fn kde_without_public_aggregates_refuses_anonymous_callers() {
    let sample = sample().await;
    // A server without public aggregates refuses anonymous callers.
    let private = Api::new(sample.private_base.clone());
    private
        .get("/api/v1/kde?res=9&bandwidth_m=500", None)
        .await
        .problem(401);
}

// ---------------------------------------------------------------------------------------
// 2. Zones
// ---------------------------------------------------------------------------------------

fn total_cells(fc: &Value) -> u64 {
    features(fc)
        .iter()
        .map(|f| f["properties"]["cells"].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn zones_equal_the_library_on_the_same_snapshot() {
    let sample = sample().await;
    let base = sample.base.clone();
    let api = Api::new(base.clone());
    let v = Some(sample.viewer.as_str());
    let snap = sample.service.snapshot();
    let all = Filter::default();
    let tz = sample.service.zone().tz().clone();
    let path = "/api/v1/hotspots/zones?res=9&min_bin=2";
    let r1 = api.get(path, v).await;
    let fc = r1.geojson();
    let occupied = count_cells(&snap.incidents, &all, Resolution::Nine);
    let gi = gi_star(&study_set(&occupied, 1, Study::Kring), 1).unwrap();
    let want = zones(
        &snap,
        &gi,
        &ZoneParams {
            filter: &all,
            res: Resolution::Nine,
            hot: HotRule {
                by: BinBy::FdrQ,
                min_bin: 2,
            },
            tz: &tz,
        },
    );
    let got = features(&fc);
    assert!(!want.is_empty(), "the sample has zones");
    assert_eq!(got.len(), want.len(), "number of zones");
    for (f, z) in got.iter().zip(&want) {
        let p = &f["properties"];
        let label = format!("zone {}", z.id);
        assert_eq!(p["id"], z.id.as_str(), "{label}");
        assert_eq!(f["id"], z.id.as_str(), "{label}");
        assert_eq!(p["incidents"], z.incidents, "{label}");
        assert_eq!(p["cameras"], z.cameras, "{label}");
        assert_eq!(p["models"], z.models, "{label}");
        assert_eq!(p["cells"], z.cells.len(), "{label}");
        assert_eq!(p["wards"], serde_json::json!(z.wards), "{label}");
        assert_eq!(
            p["complex_areas"],
            serde_json::json!(z.complex_areas),
            "{label}"
        );
        assert!(
            close(p["share"].as_f64().unwrap(), z.share, 1e-5),
            "{label}"
        );
        let g = &f["geometry"];
        let polys: Vec<&Value> = match g["type"].as_str().unwrap() {
            "Polygon" => vec![&g["coordinates"]],
            "MultiPolygon" => g["coordinates"].as_array().unwrap().iter().collect(),
            other => panic!("{label}: geometry {other}"),
        };
        assert_eq!(polys.len(), z.geometry.0.len(), "{label}: parts");
        for poly in polys {
            let rings = poly.as_array().unwrap();
            check_ring(&label, &rings[0]);
            for hole in &rings[1..] {
                let pts = hole.as_array().unwrap();
                assert_eq!(pts.first(), pts.last(), "{label}: hole not closed");
            }
        }
    }
}

#[tokio::test]
async fn zones_of_the_same_query_have_the_same_ids_and_etag() {
    let sample = sample().await;
    let base = sample.base.clone();
    let api = Api::new(base.clone());
    let v = Some(sample.viewer.as_str());
    let path = "/api/v1/hotspots/zones?res=9&min_bin=2";
    let r1 = api.get(path, v).await;
    let fc = r1.geojson();
    // The same query again: the same ids and ETag.
    let r2 = api.get(path, v).await;
    assert!(!r1.etag.is_empty());
    assert_eq!(r1.etag, r2.etag);
    let ids = |fc: &Value| -> Vec<String> {
        features(fc)
            .iter()
            .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&fc), ids(&r2.geojson()));
}

#[tokio::test]
async fn zones_of_a_laxer_bin_hold_at_least_as_many_cells_and_min_bin_is_checked() {
    let sample = sample().await;
    let base = sample.base.clone();
    let api = Api::new(base.clone());
    let v = Some(sample.viewer.as_str());
    let fc = api
        .get("/api/v1/hotspots/zones?res=9&min_bin=2", v)
        .await
        .geojson();
    // A laxer bin gives at least as many hot cells.
    let lax = api
        .get("/api/v1/hotspots/zones?res=9&min_bin=1", v)
        .await
        .geojson();
    let strict = api
        .get("/api/v1/hotspots/zones?res=9&min_bin=3", v)
        .await
        .geojson();
    assert!(total_cells(&lax) >= total_cells(&fc));
    assert!(total_cells(&fc) >= total_cells(&strict));
    assert!(total_cells(&lax) >= total_cells(&strict));

    for q in ["min_bin=0", "min_bin=4"] {
        api.get(&format!("/api/v1/hotspots/zones?res=9&{q}"), v)
            .await
            .bad_param("min_bin");
    }
}

#[tokio::test]
async fn zones_csv_has_id_first_and_one_row_per_zone() {
    let sample = sample().await;
    let base = sample.base.clone();
    let api = Api::new(base.clone());
    let v = Some(sample.viewer.as_str());
    let fc = api
        .get("/api/v1/hotspots/zones?res=9&min_bin=2", v)
        .await
        .geojson();
    let ids = |fc: &Value| -> Vec<String> {
        features(fc)
            .iter()
            .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // CSV: `id` first, one row per zone.
    let r = api
        .get("/api/v1/hotspots/zones?res=9&min_bin=2&format=csv", v)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.content_type.starts_with("text/csv"), "{}", r.content_type);
    let mut rd = csv::Reader::from_reader(r.text.as_bytes());
    assert_eq!(rd.headers().unwrap().get(0), Some("id"));
    let rows: Vec<String> = rd.records().map(|rec| rec.unwrap()[0].to_owned()).collect();
    assert_eq!(rows, ids(&fc));
}

/// GDAL reads the public URL (anonymous: zones under 3 incidents withheld).
#[tokio::test]
async fn zones_gdal_reads_the_public_url_and_anonymous_callers_see_no_small_zone() {
    let sample = sample().await;
    let base = sample.base.clone();
    let api = Api::new(base.clone());
    let zpath = "/api/v1/hotspots/zones?res=8";
    let anon = api.get(zpath, None).await.geojson();
    let n = features(&anon).len();
    assert!(n > 0, "{zpath}: no zones");
    for f in features(&anon) {
        assert!(f["properties"]["incidents"].as_u64().unwrap() >= 3, "{f}");
    }
    let url = format!("{base}{zpath}");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("ogrinfo")
            .args(["-ro", "-al", "-so", &url])
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let info = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ogrinfo failed:\n{info}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = info
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no Feature Count:\n{info}"))
        .trim();
    assert_eq!(count, n.to_string(), "{info}");
}

// ---------------------------------------------------------------------------------------
// 3. Emerging hot spots
// ---------------------------------------------------------------------------------------

/// Asserts `s` is RFC 3339 midnight at +07:00 and returns its date.
fn slice_start(s: &str) -> jiff::civil::Date {
    assert!(s.ends_with("T00:00:00+07:00"), "slice start {s:?}");
    s.parse::<jiff::Timestamp>().unwrap();
    s[..10].parse().unwrap()
}

fn slices(fc: &Value) -> Vec<String> {
    fc["diemnong"]["slices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn emerging_hotspots_have_one_entry_per_month_and_one_of_17_categories() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let v = Some(sample.viewer.as_str());
    let names: BTreeSet<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names.len(), 17);

    let fc = api
        .get("/api/v1/hotspots/emerging?res=8", v)
        .await
        .geojson();
    let s = slices(&fc);
    assert_eq!(s.len(), 24, "{s:?}");
    assert_eq!(s[0], "2023-01-01T00:00:00+07:00");
    for (i, start) in s.iter().enumerate() {
        let d = slice_start(start);
        let month = i8::try_from(i % 12).unwrap() + 1;
        assert_eq!(d.month(), month, "{start}");
        assert_eq!(d.day(), 1, "{start}");
    }
    assert!(
        fc["diemnong"].get("warnings").is_none(),
        "{}",
        fc["diemnong"]
    );
    let mut total = 0;
    for f in features(&fc) {
        let p = &f["properties"];
        let h3 = p["h3"].as_str().unwrap();
        for key in ["bins", "counts", "z"] {
            let a = p[key].as_array().unwrap();
            assert_eq!(a.len(), 24, "{h3}: {key}");
            assert!(a.iter().all(Value::is_number), "{h3}: {key} {a:?}");
        }
        let cat = p["category"].as_str().unwrap();
        assert!(names.contains(cat), "{h3}: category {cat:?}");
        let count = p["count"].as_u64().unwrap();
        let sum: u64 = p["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .sum();
        assert_eq!(count, sum, "{h3}");
        for b in p["bins"].as_array().unwrap() {
            assert!([-1, 0, 1].contains(&b.as_i64().unwrap()), "{h3}: bin {b}");
        }
        total += count;
        check_hexagon(h3, f);
    }
    assert_eq!(total, 20_000);
}

/// Quarters over 2024: 4 slices and a warning about ArcGIS's 10.
#[tokio::test]
async fn emerging_hotspots_by_quarter_warn_about_arcgis_s_10_slices() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let v = Some(sample.viewer.as_str());
    let fc = api
        .get(
            "/api/v1/hotspots/emerging?res=8&slice=quarter&from=2024-01-01&to=2025-01-01",
            v,
        )
        .await
        .geojson();
    let s = slices(&fc);
    assert_eq!(
        s,
        [
            "2024-01-01T00:00:00+07:00",
            "2024-04-01T00:00:00+07:00",
            "2024-07-01T00:00:00+07:00",
            "2024-10-01T00:00:00+07:00"
        ]
    );
    let w = fc["diemnong"]["warnings"].as_array().unwrap();
    assert!(
        w.iter().any(|w| w.as_str().unwrap().contains("10")),
        "{w:?}"
    );
    for f in features(&fc) {
        assert_eq!(f["properties"]["bins"].as_array().unwrap().len(), 4);
    }
}

#[tokio::test]
async fn emerging_hotspots_by_week_start_on_mondays() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let v = Some(sample.viewer.as_str());
    // Weeks start on Mondays.
    let fc = api
        .get(
            "/api/v1/hotspots/emerging?res=8&slice=week&from=2024-01-01&to=2024-03-01",
            v,
        )
        .await
        .geojson();
    let s = slices(&fc);
    assert!(s.len() >= 8, "{s:?}");
    for start in &s {
        assert_eq!(
            slice_start(start).weekday(),
            jiff::civil::Weekday::Monday,
            "{start}"
        );
    }
    for f in features(&fc) {
        assert_eq!(f["properties"]["z"].as_array().unwrap().len(), s.len());
    }
}

#[tokio::test]
async fn emerging_hotspots_bad_parameters_are_400_naming_them() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let v = Some(sample.viewer.as_str());
    // Bad parameters.
    api.get("/api/v1/hotspots/emerging?res=8&time_k=13", v)
        .await
        .bad_param("time_k");
    api.get("/api/v1/hotspots/emerging?res=8&slice=year", v)
        .await
        .bad_param("slice");
}

#[tokio::test]
async fn emerging_hotspots_csv_has_h3_first_then_the_count() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let v = Some(sample.viewer.as_str());
    // CSV: `h3` first, then the count.
    let r = api
        .get("/api/v1/hotspots/emerging?res=8&format=csv", v)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.text.starts_with("h3,count,category,"),
        "{}",
        &r.text[..60.min(r.text.len())]
    );
    assert!(!r.text.contains("NaN"));
}

#[tokio::test]
async fn emerging_hotspots_anonymous_callers_get_published_counts() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let zone = diemnong::domain::Zone::default();
    // Each bin is the cell-month's published count; `count` the cell's over the range.
    let fc = api
        .get(
            "/api/v1/hotspots/emerging?res=8&from=2024-01-01&to=2025-01-01",
            None,
        )
        .await
        .geojson();
    assert!(!features(&fc).is_empty());
    assert_eq!(fc["diemnong"]["disclosure"]["audience"], "public");
    let months: Vec<i64> = (1..=13)
        .map(|m| {
            let d = if m == 13 {
                "2025-01-01".to_owned()
            } else {
                format!("2024-{m:02}-01")
            };
            zone.parse_instant("t", &d).unwrap()
        })
        .collect();
    let per_month: Vec<std::collections::BTreeMap<h3o::CellIndex, u32>> = months
        .windows(2)
        .map(|w| {
            let f = Filter {
                from: Some(w[0]),
                to: Some(w[1]),
                ..Filter::default()
            };
            published(&f, Resolution::Eight).into_iter().collect()
        })
        .collect();
    let year: std::collections::BTreeMap<h3o::CellIndex, u32> = published(
        &Filter {
            from: Some(months[0]),
            to: Some(months[12]),
            ..Filter::default()
        },
        Resolution::Eight,
    )
    .into_iter()
    .collect();
    let mut positive = 0;
    for f in features(&fc) {
        let p = &f["properties"];
        let cell: h3o::CellIndex = p["h3"].as_str().unwrap().parse().unwrap();
        let counts = p["counts"].as_array().unwrap();
        assert_eq!(counts.len(), 12);
        for (s, n) in counts.iter().enumerate() {
            let n = u32::try_from(n.as_u64().unwrap()).unwrap();
            assert!(n == 0 || n >= 3, "anonymous sees {f}");
            assert_eq!(
                n,
                per_month[s].get(&cell).copied().unwrap_or(0),
                "{cell} month {s}"
            );
            positive += usize::from(n > 0);
        }
        assert_eq!(
            p["count"].as_u64(),
            Some(u64::from(year.get(&cell).copied().unwrap_or(0))),
            "{f}"
        );
    }
    assert!(positive > 50, "{positive}");
}

#[tokio::test]
async fn emerging_hotspots_over_the_cost_limit_are_422() {
    let sample = sample().await;
    let v = Some(sample.viewer.as_str());
    // Over the cost limit.
    let tight = Api::new(sample.tight_base.clone());
    tight
        .get("/api/v1/hotspots/emerging?res=8", v)
        .await
        .problem(422);
    tight
        .get(
            "/api/v1/hotspots/emerging?res=8&from=2023-01-01&to=2025-01-01",
            v,
        )
        .await
        .problem(422);
}

// ---------------------------------------------------------------------------------------
// Local Moran's I (`/outliers`); the statistic itself is checked against esda in moran.rs
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn outliers_equal_the_library_on_the_same_snapshot_and_the_seed_reproduces_them() {
    use diemnong::analysis::moran::{MoranParams, local_moran};
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let v = Some(sample.viewer.as_str());
    let snap = sample.service.snapshot();
    let path = "/api/v1/outliers?res=9&permutations=199&seed=7&fdr=false";
    let r = api.get(path, v).await;
    let fc = r.geojson();
    let occupied = count_cells(&snap.incidents, &Filter::default(), Resolution::Nine);
    let set = study_set(&occupied, 1, Study::Kring);
    let values: Vec<(h3o::CellIndex, f64)> = set.iter().map(|(c, n)| (*c, f64::from(*n))).collect();
    let params = MoranParams {
        permutations: 199,
        seed: 7,
        fdr: false,
        alpha: 0.05,
    };
    let want = local_moran(&values, 1, &params).unwrap();
    let got = features(&fc);
    assert_eq!(got.len(), want.len(), "one feature per study-set cell");
    let mut quadrants = BTreeSet::new();
    for (f, (w, (_, n))) in got.iter().zip(want.iter().zip(&set)) {
        let p = &f["properties"];
        let label = format!("outlier {}", w.cell);
        check_hexagon(&label, f);
        assert_eq!(p["h3"], w.cell.to_string(), "{label}");
        assert_eq!(p["count"], *n, "{label}");
        // serde_json reads floats to within an ulp (without its float_roundtrip feature).
        for (key, want) in [
            ("local_i", w.local_i),
            ("p_sim", w.p_sim),
            ("q_fdr", w.q_fdr),
        ] {
            let got = p[key].as_f64().unwrap();
            assert!(close(got, want, 1e-15), "{label}: {key} {got} vs {want}");
        }
        assert_eq!(p["significant"], w.significant, "{label}");
        assert_eq!(
            p["quadrant"],
            serde_json::to_value(w.quadrant).unwrap(),
            "{label}"
        );
        if w.significant {
            quadrants.insert(p["quadrant"].as_str().unwrap().to_owned());
        }
    }
    assert!(
        quadrants.contains("HH"),
        "the sample's clusters show as HH: {quadrants:?}"
    );
    // The same query: the same bytes (seeded permutations) and ETag; another seed moves
    // some pseudo p-values but no local I.
    let again = api.get(path, v).await;
    assert_eq!(again.text, r.text);
    assert_eq!(again.etag, r.etag);
    let other = api
        .get(
            "/api/v1/outliers?res=9&permutations=199&seed=8&fdr=false",
            v,
        )
        .await
        .geojson();
    let (a, b) = (features(&fc), features(&other));
    assert!(
        a.iter()
            .zip(b)
            .all(|(x, y)| x["properties"]["local_i"] == y["properties"]["local_i"])
    );
    assert!(
        a.iter()
            .zip(b)
            .any(|(x, y)| x["properties"]["p_sim"] != y["properties"]["p_sim"])
    );
}

#[tokio::test]
async fn outliers_check_their_parameters_cost_and_small_cells() {
    let sample = sample().await;
    let api = Api::new(sample.base.clone());
    let v = Some(sample.viewer.as_str());
    api.get("/api/v1/outliers?permutations=50", v)
        .await
        .bad_param("permutations");
    api.get("/api/v1/outliers?permutations=10000", v)
        .await
        .bad_param("permutations");
    api.get("/api/v1/outliers?k=6", v).await.bad_param("k");
    api.get("/api/v1/outliers?study=all", v)
        .await
        .bad_param("study");
    api.get("/api/v1/outliers?weight=days", v)
        .await
        .bad_param("weight");
    // Over the cost limit: refused before any permutation.
    let tight = Api::new(sample.tight_base.clone());
    let p = tight.get("/api/v1/outliers?res=9", v).await.problem(422);
    assert!(p["detail"].as_str().unwrap().contains("limit"), "{p}");
    // Anonymous callers get the statistic of the published counts (study-set cells with
    // none are 0); the CSV starts with h3.
    let anon = api
        .get("/api/v1/outliers?res=9&permutations=99", None)
        .await
        .geojson();
    let published: std::collections::BTreeMap<String, u64> =
        published(&Filter::default(), Resolution::Nine)
            .into_iter()
            .map(|(c, n)| (c.to_string(), u64::from(n)))
            .collect();
    assert!(!features(&anon).is_empty());
    for f in features(&anon) {
        let p = &f["properties"];
        let n = p["count"].as_u64().unwrap();
        assert_eq!(
            Some(n),
            Some(
                published
                    .get(p["h3"].as_str().unwrap())
                    .copied()
                    .unwrap_or(0)
            ),
            "{f}"
        );
    }
    let csv = api
        .get("/api/v1/outliers?res=9&permutations=99&format=csv", v)
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.text.lines().next().unwrap(),
        "h3,count,local_i,p_sim,q_fdr,quadrant,significant"
    );
    // Harm: the harm column appears and the statistic changes.
    let harm = api
        .get("/api/v1/outliers?res=9&permutations=99&weight=harm", v)
        .await
        .geojson();
    assert!(features(&harm)[0]["properties"]["harm"].is_f64());
    assert_eq!(harm["diemnong"]["weights"]["kind"], "harm");
}
