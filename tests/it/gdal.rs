//! GDAL (`ogrinfo`, Debian's gdal-bin) reads what the server writes: the public areas layer
//! straight from its URL, and the token-protected incidents and cameras from files the test
//! fetched. A GIS user's first check of an export, automated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::sync::Arc;

use common::TestDb;
use diemnong::auth::Role;
use diemnong::ingest::Layer;
use serde_json::Value;

/// `Extent: (x0, y0) - (x1, y1)` as [x0, y0, x1, y1].
fn extent(info: &str) -> [f64; 4] {
    let nums: Vec<f64> = common::field(info, "Extent")
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|s| !s.is_empty() && *s != "-")
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(nums.len(), 4, "{info}");
    [nums[0], nums[1], nums[2], nums[3]]
}

/// The lon/lat envelope of every position in a FeatureCollection.
fn envelope(fc: &Value) -> [f64; 4] {
    fn walk(v: &Value, e: &mut [f64; 4]) {
        match v.as_array() {
            Some(a) if a.len() == 2 && a.iter().all(Value::is_number) => {
                let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
                *e = [e[0].min(x), e[1].min(y), e[2].max(x), e[3].max(y)];
            }
            Some(a) => a.iter().for_each(|x| walk(x, e)),
            None => {}
        }
    }
    let mut e = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for f in fc["features"].as_array().unwrap() {
        walk(&f["geometry"]["coordinates"], &mut e);
    }
    e
}

fn assert_extent(label: &str, info: &str, fc: &Value) {
    let (got, want) = (extent(info), envelope(fc));
    for i in 0..4 {
        // ogrinfo prints six decimals.
        assert!(
            (got[i] - want[i]).abs() < 1.5e-6,
            "{label}: GDAL's extent {got:?} vs the positions' {want:?} (axis order?)"
        );
    }
    assert!(
        (106.0..107.5).contains(&got[0]) && (10.0..11.5).contains(&got[1]),
        "{label}: x is lon, y is lat: {got:?}"
    );
}

fn assert_wgs84(label: &str, info: &str) {
    assert!(
        info.contains("WGS 84") && info.contains("\"EPSG\",4326"),
        "{label}: GeoJSON is WGS 84:\n{info}"
    );
}

async fn fetch(url: &str, token: Option<&str>) -> Value {
    let mut rq = reqwest::Client::new().get(url);
    if let Some(t) = token {
        rq = rq.bearer_auth(t);
    }
    let r = rq.send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.unwrap()
}

fn write_json(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.display().to_string()
}

#[tokio::test]
async fn ogrinfo_reads_the_areas_url_and_fetched_point_layers() {
    let db = TestDb::sqlite().await;
    let service = db.service().await;
    common::import_file(&service, Layer::Areas, "sample-data/areas.geojson").await;
    common::import_file(&service, Layer::Cameras, "sample-data/cameras.csv").await;
    common::import_file(&service, Layer::Incidents, "sample-data/incidents.csv").await;
    let (_, viewer) = service.create_token("gdal", Role::Viewer).await.unwrap();
    let base = common::spawn_server(Arc::clone(&service)).await;

    // Areas are public: GDAL reads the plain URL itself, and gets the whole layer (its
    // GeoJSON driver does not follow `next` links).
    let url = format!("{base}/api/v1/areas");
    let info = common::ogrinfo(vec!["-ro".into(), "-al".into(), "-so".into(), url.clone()]).await;
    let fc = fetch(&url, None).await;
    assert_eq!(fc["numberReturned"], 120);
    assert_eq!(common::field(&info, "Feature Count"), "120", "{info}");
    assert_eq!(common::field(&info, "Geometry"), "Polygon", "{info}");
    assert_extent("areas", &info, &fc);
    assert_wgs84("areas", &info);
    for attr in [
        "code: String",
        "name: String",
        "kind: String",
        "population: Integer",
    ] {
        assert!(info.contains(attr), "areas: GDAL sees {attr}:\n{info}");
    }
    // A filtered URL, through GDAL's explicit GeoJSON: prefix: the same features as the API.
    let url = format!("{base}/api/v1/areas?limit=10000&kind=ward&bbox=106.65,10.75,106.70,10.80");
    let fc = fetch(&url, None).await;
    let n = fc["numberReturned"].as_u64().unwrap();
    assert!(n > 0 && n < 120, "{n}");
    let info = common::ogrinfo(vec![
        "-ro".into(),
        "-so".into(),
        format!("GeoJSON:{url}"),
        "-al".into(),
    ])
    .await;
    assert_eq!(
        common::field(&info, "Feature Count"),
        n.to_string(),
        "{info}"
    );

    // Incidents and cameras need a token, which ogrinfo cannot send: fetch, save, read.
    let dir = tempfile::tempdir().unwrap();
    for (name, path, count) in [
        (
            "incidents",
            "/api/v1/incidents?limit=5000&bbox=106.6,10.7,106.8,10.9&from=2024-01-01",
            None,
        ),
        ("cameras", "/api/v1/cameras", Some(300)),
    ] {
        let fc = fetch(&format!("{base}{path}"), Some(&viewer)).await;
        let returned = fc["numberReturned"].as_u64().unwrap();
        if let Some(c) = count {
            assert_eq!(returned, c, "{name}");
        }
        assert!(returned > 100, "{name}: {returned}");
        let file = write_json(dir.path(), &format!("{name}.geojson"), &fc);
        let info = common::ogrinfo(vec!["-ro".into(), "-al".into(), "-so".into(), file]).await;
        assert_eq!(
            common::field(&info, "Feature Count"),
            returned.to_string(),
            "{name}:\n{info}"
        );
        assert_eq!(common::field(&info, "Geometry"), "Point", "{name}:\n{info}");
        assert_extent(name, &info, &fc);
        assert_wgs84(name, &info);
        if name == "incidents" {
            // Times with an offset are read as date-times, not strings.
            assert!(info.contains("occurred_at: DateTime"), "{info}");
            assert!(info.contains("solved: Integer(Boolean)"), "{info}");
        }
    }
    db.cleanup().await;
}
