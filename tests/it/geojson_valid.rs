//! RFC 7946, checked from outside the crate: every GeoJSON endpoint's body, on the committed
//! sample, goes through an independent validator (`scripts/validate_geojson.py`:
//! geojson-validator and shapely/GEOS, pinned in `scripts/requirements-test.txt`) and through
//! GDAL (`ogrinfo`), which must count the same features and see the geometry type the
//! endpoint promises. Includes DBSCAN clusters whose members are coincident, two points, or
//! collinear (their convex hull alone is no polygon). One test per endpoint, over a server
//! built once and shared (the tests only read).
//!
//! The validator runs in the venv `scripts/test.sh` makes; the test finds its Python through
//! `DIEMNONG_TEST_PYTHON` and fails, rather than skips, when that is unset.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::TestDb;
use diemnong::auth::Role;
use diemnong::ingest::Layer;
use serde_json::Value;

/// The Python with `scripts/requirements-test.txt` installed.
const PYTHON_ENV: &str = "DIEMNONG_TEST_PYTHON";

/// Every position the sample's endpoints serve lies in this lon/lat envelope (Ho Chi Minh
/// City with a margin for kernel and hexagon overhang); swapped axes would not.
const ENVELOPE: &str = "106.4,10.5,107.0,11.1";

fn python() -> String {
    match std::env::var(PYTHON_ENV) {
        Ok(p) if !p.is_empty() => p,
        _ => panic!(
            "{PYTHON_ENV} is unset: the GeoJSON validator needs a Python with \
             scripts/requirements-test.txt installed. Run the tests with `bash scripts/test.sh` \
             (it makes the venv .venv-test and sets {PYTHON_ENV}), or set {PYTHON_ENV} to such a \
             Python, e.g. {PYTHON_ENV}=$PWD/.venv-test/bin/python"
        ),
    }
}

/// Runs the validator on `files` with `args`, off the async runtime (the server shares it).
/// Returns whether it passed and what it printed.
async fn validator(args: Vec<String>, files: Vec<PathBuf>) -> (bool, String) {
    let py = python();
    let script = common::repo_path("scripts/validate_geojson.py");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&py)
            .arg(&script)
            .args(&args)
            .args(&files)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "running {py} {} failed: {e}; {PYTHON_ENV} must name a Python \
                     (bash scripts/test.sh makes one)",
                    script.display()
                )
            })
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => (true, text),
        Some(1) => (false, text),
        _ => panic!(
            "the validator could not run ({}): {text}\n(bash scripts/test.sh installs \
             scripts/requirements-test.txt into its venv)",
            out.status
        ),
    }
}

/// What one endpoint promises.
struct Endpoint {
    name: &'static str,
    path: String,
    token: bool,
    /// Geometry types its features may have.
    types: &'static [&'static str],
    /// One Feature rather than a FeatureCollection.
    single: bool,
}

fn ep(name: &'static str, path: &str, token: bool, types: &'static [&'static str]) -> Endpoint {
    Endpoint {
        name,
        path: path.to_owned(),
        token,
        types,
        single: false,
    }
}

const POINT: &[&str] = &["Point"];
const HEXAGON: &[&str] = &["Polygon"];
const POLYGONS: &[&str] = &["Polygon", "MultiPolygon"];

/// What `ogrinfo` may report for a layer whose features have `types`: GDAL 3.6 says
/// "Unknown (any)" for a mix of Polygon and MultiPolygon, newer versions may promote it.
fn ogr_types(types: &BTreeSet<String>) -> Vec<&'static str> {
    let has = |t: &str| types.contains(t);
    match (
        types.len(),
        has("Point"),
        has("Polygon"),
        has("MultiPolygon"),
    ) {
        (1, true, _, _) => vec!["Point"],
        (1, _, true, _) => vec!["Polygon"],
        (1, _, _, true) => vec!["Multi Polygon"],
        (2, _, true, true) => vec!["Multi Polygon", "Unknown (any)"],
        _ => panic!("unexpected mix of geometry types {types:?}"),
    }
}

/// Fetches `path`, asserts a 200 GeoJSON answer, saves the body as it came (the validator
/// reads the server's bytes, not a re-serialisation) and returns it parsed with its file.
async fn fetch(
    http: &reqwest::Client,
    base: &str,
    dir: &Path,
    e: &Endpoint,
    token: &str,
) -> (Value, PathBuf) {
    let mut rq = http.get(format!("{base}{}", e.path));
    if e.token {
        rq = rq.bearer_auth(token);
    }
    let r = rq.send().await.unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{} {}: {body}", e.name, e.path);
    assert!(
        ct.starts_with("application/geo+json"),
        "{} {}: content type {ct}",
        e.name,
        e.path
    );
    let file = dir.join(format!("{}.geojson", e.name));
    std::fs::write(&file, &body).unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    (v, file)
}

/// Features of a FeatureCollection, or the one Feature.
fn features(v: &Value, single: bool) -> Vec<&Value> {
    if single {
        vec![v]
    } else {
        v["features"].as_array().unwrap().iter().collect()
    }
}

/// Incidents in June 2025 (the sample ends in 2024): five tight groups 1 km apart, each a
/// DBSCAN cluster with `eps_m=30&min_points=2`: three coincident points, two points 11 m
/// apart, four points on an east–west line, three on a diagonal line, and a triangle.
const DEGENERATE_GROUPS: &str = "\
external_id,occurred_at,category,severity,lon,lat
deg-same-1,2025-06-02T09:00:00+07:00,theft,less_serious,106.650000,10.850000
deg-same-2,2025-06-03T09:00:00+07:00,theft,less_serious,106.650000,10.850000
deg-same-3,2025-06-04T09:00:00+07:00,snatching,serious,106.650000,10.850000
deg-pair-1,2025-06-02T10:00:00+07:00,theft,less_serious,106.660000,10.850000
deg-pair-2,2025-06-05T10:00:00+07:00,theft,less_serious,106.660100,10.850000
deg-line-1,2025-06-02T11:00:00+07:00,drugs,serious,106.670000,10.850000
deg-line-2,2025-06-03T11:00:00+07:00,drugs,serious,106.670100,10.850000
deg-line-3,2025-06-04T11:00:00+07:00,drugs,serious,106.670200,10.850000
deg-line-4,2025-06-05T11:00:00+07:00,drugs,serious,106.670300,10.850000
deg-diag-1,2025-06-02T12:00:00+07:00,fraud,less_serious,106.680000,10.850000
deg-diag-2,2025-06-03T12:00:00+07:00,fraud,less_serious,106.680100,10.850100
deg-diag-3,2025-06-04T12:00:00+07:00,fraud,less_serious,106.680200,10.850200
deg-tri-1,2025-06-02T13:00:00+07:00,robbery,serious,106.690000,10.850000
deg-tri-2,2025-06-03T13:00:00+07:00,robbery,serious,106.690100,10.850000
deg-tri-3,2025-06-04T13:00:00+07:00,robbery,serious,106.690000,10.850100
";

/// The exterior ring of a Polygon feature as (lon, lat).
fn exterior(f: &Value) -> Vec<(f64, f64)> {
    assert_eq!(f["geometry"]["type"], "Polygon", "{f}");
    f["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

/// Checks the five June 2025 clusters: a real triangle stays the hull of its members; each
/// degenerate one becomes a small polygon (within 20 m of its members) that covers them.
#[expect(
    clippy::cast_precision_loss,
    reason = "a mean over a few thousand positions, exact in f64"
)]
fn check_degenerate_clusters(fc: &Value) {
    use geo::{Area, Contains, Coord, Intersects, LineString, Point, Polygon};
    let fs = features(fc, false);
    let mut counts: Vec<u64> = fs
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, [2, 3, 3, 3, 4], "five clusters: {fc}");
    let groups: [(&str, &[(f64, f64)]); 5] = [
        ("coincident", &[(106.65, 10.85)]),
        ("pair", &[(106.66, 10.85), (106.6601, 10.85)]),
        ("line", &[(106.67, 10.85), (106.6703, 10.85)]),
        ("diagonal", &[(106.68, 10.85), (106.6802, 10.8502)]),
        (
            "triangle",
            &[(106.69, 10.85), (106.6901, 10.85), (106.69, 10.8501)],
        ),
    ];
    // 20 m in degrees of latitude and of longitude at 10.85° N.
    let (m_lat, m_lon) = (
        20.0 / 111_195.0,
        20.0 / (111_195.0 * 10.85_f64.to_radians().cos()),
    );
    for (name, pts) in groups {
        // The groups lie 1 km apart: a cluster is the group its vertices' mean is nearest.
        let mean = |v: &[(f64, f64)]| {
            let n = v.len() as f64;
            (
                v.iter().map(|p| p.0).sum::<f64>() / n,
                v.iter().map(|p| p.1).sum::<f64>() / n,
            )
        };
        let (cx, cy) = mean(pts);
        let f = fs
            .iter()
            .find(|f| {
                let ring = exterior(f);
                let (x, y) = mean(&ring[1..]);
                (x - cx).abs() < 5.0 * m_lon && (y - cy).abs() < 5.0 * m_lat
            })
            .unwrap_or_else(|| panic!("no cluster polygon at the {name} group: {fc}"));
        let ring = exterior(f);
        let poly = Polygon::new(
            LineString::from(
                ring.iter()
                    .map(|&(x, y)| Coord { x, y })
                    .collect::<Vec<_>>(),
            ),
            vec![],
        );
        assert!(
            ring.len() >= 4 && poly.signed_area() > 0.0,
            "{name}: not a counter-clockwise polygon with area: {f}"
        );
        for &(x, y) in pts {
            let p = Point::new(x, y);
            if name == "triangle" {
                // A real hull: its members are its vertices.
                assert!(poly.intersects(&p), "{name}: {p:?} not on {f}");
            } else {
                assert!(
                    poly.contains(&p),
                    "{name}: the outline does not contain its member {p:?}: {f}"
                );
            }
        }
        let (x0, x1) = pts
            .iter()
            .fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.0), a.1.max(p.0)));
        let (y0, y1) = pts
            .iter()
            .fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.1), a.1.max(p.1)));
        for &(x, y) in &ring {
            assert!(
                x >= x0 - m_lon && x <= x1 + m_lon && y >= y0 - m_lat && y <= y1 + m_lat,
                "{name}: a vertex ({x}, {y}) lies more than 20 m from the members: {f}"
            );
        }
        if name == "triangle" {
            assert_eq!(ring.len(), 4, "a real hull is left as it is: {f}");
        } else {
            // Buffered: at least 8 m across either way (octagons of radius 5 m).
            let (rx0, rx1) = ring
                .iter()
                .fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.0), a.1.max(p.0)));
            let (ry0, ry1) = ring
                .iter()
                .fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.1), a.1.max(p.1)));
            assert!(
                rx1 - rx0 >= 0.4 * m_lon && ry1 - ry0 >= 0.4 * m_lat,
                "{name}: the outline is too thin: {f}"
            );
        }
    }
}

/// Zones with a hole (a Polygon with interior rings, or such a part of a MultiPolygon).
fn zones_with_holes(fs: &[&Value]) -> usize {
    fs.iter()
        .filter(|f| {
            let c = f["geometry"]["coordinates"].as_array().unwrap();
            match f["geometry"]["type"].as_str() {
                Some("Polygon") => c.len() > 1,
                _ => c.iter().any(|p| p.as_array().unwrap().len() > 1),
            }
        })
        .count()
}

/// The whole sample with the degenerate groups posted through the API, behind a server,
/// built once and shared by the tests here (they only read it).
struct Served {
    base: String,
    viewer: String,
    _db: TestDb,
    _service: Arc<diemnong::service::Service>,
}

async fn served() -> &'static Served {
    static SERVED: tokio::sync::OnceCell<Served> = tokio::sync::OnceCell::const_new();
    common::shared(&SERVED, || async {
        let db = common::shared_sqlite("geojson-valid");
        let service = db.service().await;
        common::import_file(&service, Layer::Areas, "sample-data/areas.geojson").await;
        common::import_file(&service, Layer::Cameras, "sample-data/cameras.csv").await;
        common::import_file(&service, Layer::Models, "sample-data/models.csv").await;
        common::import_file(&service, Layer::Incidents, "sample-data/incidents.csv").await;
        let (_, viewer) = service
            .create_token("geojson validity", Role::Viewer)
            .await
            .unwrap();
        let (_, editor) = service
            .create_token("geojson validity", Role::Editor)
            .await
            .unwrap();
        let base = common::spawn_server(Arc::clone(&service)).await;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_mins(5))
            .build()
            .unwrap();

        // Clusters whose convex hull is a point or a segment, through the API.
        let r = http
            .post(format!("{base}/api/v1/incidents"))
            .bearer_auth(&editor)
            .header(reqwest::header::CONTENT_TYPE, "text/csv")
            .body(DEGENERATE_GROUPS)
            .send()
            .await
            .unwrap();
        let status = r.status();
        assert!(status.is_success(), "{status}: {}", r.text().await.unwrap());

        Served {
            base,
            viewer,
            _db: db,
            _service: service,
        }
    })
    .await
}

/// Every GeoJSON endpoint, with what it promises.
fn endpoints() -> Vec<Endpoint> {
    vec![
        ep("areas", "/api/v1/areas?limit=10000", false, POLYGONS),
        Endpoint {
            name: "area",
            path: "/api/v1/areas/ward-q1-01".into(),
            token: false,
            types: POLYGONS,
            single: true,
        },
        ep("incidents", "/api/v1/incidents?limit=10000", true, POINT),
        ep("cameras", "/api/v1/cameras?limit=10000", true, POINT),
        ep("models", "/api/v1/models?limit=10000", true, POINT),
        ep("density", "/api/v1/density?res=9", true, HEXAGON),
        ep("hotspots", "/api/v1/hotspots?res=9", true, HEXAGON),
        ep(
            "zones",
            "/api/v1/hotspots/zones?res=9&min_bin=1",
            true,
            POLYGONS,
        ),
        // Raw p-values at resolutions 8 and 11 give zones with holes (checked below).
        ep(
            "zones_holes_res8",
            "/api/v1/hotspots/zones?res=8&min_bin=1&fdr=false",
            true,
            POLYGONS,
        ),
        ep(
            "zones_holes_res11",
            "/api/v1/hotspots/zones?res=11&min_bin=1&fdr=false",
            true,
            POLYGONS,
        ),
        ep("emerging", "/api/v1/hotspots/emerging?res=8", true, HEXAGON),
        ep("kde", "/api/v1/kde?res=9&bandwidth_m=500", true, HEXAGON),
        ep("clusters", "/api/v1/clusters", true, HEXAGON),
        // Small clusters of the sample: many of two or three points.
        ep(
            "clusters_small",
            "/api/v1/clusters?eps_m=15&min_points=2",
            true,
            HEXAGON,
        ),
        ep(
            "clusters_degenerate",
            "/api/v1/clusters?from=2025-06-01&to=2025-07-01&eps_m=30&min_points=2",
            true,
            HEXAGON,
        ),
    ]
}

/// Fetches the endpoint `name` from the shared server, checks its features' geometry types
/// against its promise, and passes its body as served through the external validator and
/// through GDAL, which must count the same features and see the promised geometry type.
async fn check_endpoint(name: &str) {
    // Fail at once, before any set-up, when the validator is not available.
    python();
    let s = served().await;
    let (base, viewer) = (&s.base, &s.viewer);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_mins(5))
        .build()
        .unwrap();
    let endpoints = endpoints();
    let e = endpoints
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no endpoint {name:?}"));
    let dir = tempfile::tempdir().unwrap();
    let (v, file) = fetch(&http, base, dir.path(), e, viewer).await;
    let fs = features(&v, e.single);
    assert!(!fs.is_empty(), "{} {}: no features", e.name, e.path);
    let types: BTreeSet<String> = fs
        .iter()
        .map(|f| f["geometry"]["type"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        types.iter().all(|t| e.types.contains(&t.as_str())),
        "{} {}: geometry types {types:?}, the endpoint promises {:?}",
        e.name,
        e.path,
        e.types
    );
    if e.name == "clusters_degenerate" {
        check_degenerate_clusters(&v);
    }
    if e.name.starts_with("zones_holes") {
        // Holes must be clockwise: make sure the validator sees some.
        assert!(
            zones_with_holes(&fs) > 0,
            "{} {}: no zone with a hole",
            e.name,
            e.path
        );
    }
    eprintln!("{} {}: {} features {types:?}", e.name, e.path, fs.len());
    let n = fs.len();

    // The validator, with the endpoint's promised types (and root).
    let mut args = vec![
        "--bbox".to_owned(),
        ENVELOPE.to_owned(),
        "--max-decimals".to_owned(),
        "6".to_owned(),
    ];
    for t in e.types {
        args.extend(["--geometry-type".to_owned(), (*t).to_owned()]);
    }
    if e.single {
        args.extend(["--root".to_owned(), "Feature".to_owned()]);
    }
    let (ok, out) = validator(args, vec![file.clone()]).await;
    assert!(
        ok,
        "the GeoJSON validator rejected what the server serves:\n{out}"
    );

    // GDAL reads the file: the same number of features, the promised geometry type.
    let info = common::ogrinfo(vec![
        "-ro".into(),
        "-al".into(),
        "-so".into(),
        file.display().to_string(),
    ])
    .await;
    assert_eq!(
        common::field(&info, "Feature Count"),
        n.to_string(),
        "{} {}: GDAL counts other features:\n{info}",
        e.name,
        e.path
    );
    let geometry = common::field(&info, "Geometry");
    assert!(
        ogr_types(&types).contains(&geometry),
        "{} {}: GDAL sees {geometry}, the features are {types:?}:\n{info}",
        e.name,
        e.path
    );
}

#[tokio::test]
async fn geojson_of_areas_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("areas").await;
}

#[tokio::test]
async fn geojson_of_area_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("area").await;
}

#[tokio::test]
async fn geojson_of_incidents_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("incidents").await;
}

#[tokio::test]
async fn geojson_of_cameras_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("cameras").await;
}

#[tokio::test]
async fn geojson_of_models_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("models").await;
}

#[tokio::test]
async fn geojson_of_density_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("density").await;
}

#[tokio::test]
async fn geojson_of_hotspots_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("hotspots").await;
}

#[tokio::test]
async fn geojson_of_zones_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("zones").await;
}

#[tokio::test]
async fn geojson_of_zones_holes_res8_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("zones_holes_res8").await;
}

#[tokio::test]
async fn geojson_of_zones_holes_res11_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("zones_holes_res11").await;
}

#[tokio::test]
async fn geojson_of_emerging_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("emerging").await;
}

#[tokio::test]
async fn geojson_of_kde_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("kde").await;
}

#[tokio::test]
async fn geojson_of_clusters_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("clusters").await;
}

#[tokio::test]
async fn geojson_of_clusters_small_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("clusters_small").await;
}

#[tokio::test]
async fn geojson_of_clusters_degenerate_passes_the_rfc7946_validator_and_gdal() {
    check_endpoint("clusters_degenerate").await;
}

/// The validator is no rubber stamp: it rejects a clockwise exterior ring, and the
/// two-point "polygon" a bare convex hull of two incidents would be, naming file and
/// feature.
#[tokio::test]
async fn the_validator_rejects_a_clockwise_ring_and_a_degenerate_hull() {
    let dir = tempfile::tempdir().unwrap();
    let cw = dir.path().join("clockwise.geojson");
    std::fs::write(
        &cw,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"cw","properties":{},
        "geometry":{"type":"Polygon","coordinates":[[[106.7,10.7],[106.7,10.8],[106.8,10.8],[106.8,10.7],[106.7,10.7]]]}}]}"#,
    )
    .unwrap();
    let (ok, out) = validator(vec![], vec![cw.clone()]).await;
    assert!(!ok, "a clockwise exterior ring passed:\n{out}");
    assert!(
        out.contains("clockwise.geojson") && out.contains("feature 0 (id \"cw\")"),
        "the message names the file and the feature:\n{out}"
    );
    assert!(out.contains("counter-clockwise"), "{out}");

    let seg = dir.path().join("segment.geojson");
    std::fs::write(
        &seg,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":0},
        "geometry":{"type":"Polygon","coordinates":[[[106.66,10.85],[106.6601,10.85],[106.66,10.85]]]}}]}"#,
    )
    .unwrap();
    let (ok, out) = validator(vec![], vec![seg]).await;
    assert!(!ok, "a two-point ring passed:\n{out}");
    assert!(out.contains("segment.geojson: feature 0"), "{out}");

    // The same square, counter-clockwise, passes.
    let ccw = dir.path().join("ccw.geojson");
    std::fs::write(
        &ccw,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
        "geometry":{"type":"Polygon","coordinates":[[[106.7,10.7],[106.8,10.7],[106.8,10.8],[106.7,10.8],[106.7,10.7]]]}}]}"#,
    )
    .unwrap();
    let (ok, out) = validator(vec![], vec![ccw]).await;
    assert!(ok, "a valid square was rejected:\n{out}");
}
