//! The router in-process (`tower::ServiceExt::oneshot`, no socket): every way a query can be
//! wrong, on every endpoint that takes it, is a 400 `application/problem+json` naming the
//! parameter at fault — one named case per row, so a failure says which. Fast enough to
//! grow with every new parameter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TestDb;
use diemnong::auth::Role;
use diemnong::http::analysis::AnalysisSettings;
use diemnong::http::{AppState, app};
use diemnong::ingest::Layer;
use serde_json::Value;
use tower::ServiceExt as _;

struct Router {
    app: axum::Router,
    viewer: String,
}

async fn router(db: &TestDb) -> Router {
    let service = db.service().await;
    common::import_file(&service, Layer::Areas, "sample-data/areas.geojson").await;
    let (_, viewer) = service.create_token("router", Role::Viewer).await.unwrap();
    let state = AppState::with_settings(Arc::clone(&service), AnalysisSettings::default());
    Router {
        app: app(state),
        viewer,
    }
}

/// Status, content type and JSON body of a GET, signed in as a viewer or not.
async fn get(r: &Router, path: &str, signed_in: bool) -> (StatusCode, String, Value) {
    let mut req = Request::get(path);
    if signed_in {
        req = req.header(header::AUTHORIZATION, format!("Bearer {}", r.viewer));
    }
    let resp = r
        .app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ty = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, ty, body)
}

/// (case, path, the parameter the problem must name)
const BAD_PARAMETERS: &[(&str, &str, &str)] = &[
    (
        "unknown parameter on density",
        "/api/v1/density?resolution=9",
        "resolution",
    ),
    ("resolution out of range", "/api/v1/density?res=4", "res"),
    (
        "resolution not a number",
        "/api/v1/hotspots?res=nine",
        "res",
    ),
    ("from not a time", "/api/v1/density?from=yesterday", "from"),
    (
        "to before from",
        "/api/v1/density?from=2024-02-01&to=2024-01-01",
        "to",
    ),
    (
        "bbox of three numbers",
        "/api/v1/density?bbox=106,10,107",
        "bbox",
    ),
    ("bbox upside down", "/api/v1/kde?bbox=107,10,106,11", "bbox"),
    (
        "bbox out of range",
        "/api/v1/density?bbox=106,10,200,11",
        "bbox",
    ),
    (
        "unknown category",
        "/api/v1/density?category=piracy",
        "category",
    ),
    (
        "unknown severity",
        "/api/v1/density?severity=petty",
        "severity",
    ),
    ("unknown area", "/api/v1/density?area=nowhere", "area"),
    ("unknown format", "/api/v1/density?format=xlsx", "format"),
    ("Gi* k of zero", "/api/v1/hotspots?k=0", "k"),
    (
        "Gi* unknown study set",
        "/api/v1/hotspots?study=everything",
        "study",
    ),
    ("FDR not a boolean", "/api/v1/hotspots?fdr=maybe", "fdr"),
    (
        "zones min_bin out of range",
        "/api/v1/hotspots/zones?min_bin=7",
        "min_bin",
    ),
    (
        "emerging unknown slice",
        "/api/v1/hotspots/emerging?slice=decade",
        "slice",
    ),
    ("KDE unknown kernel", "/api/v1/kde?kernel=box", "kernel"),
    (
        "KDE negative bandwidth",
        "/api/v1/kde?bandwidth_m=-5",
        "bandwidth_m",
    ),
    ("DBSCAN eps of zero", "/api/v1/clusters?eps_m=0", "eps_m"),
    (
        "DBSCAN min_points not a number",
        "/api/v1/clusters?min_points=many",
        "min_points",
    ),
    (
        "listing limit of zero",
        "/api/v1/incidents?limit=0",
        "limit",
    ),
    (
        "listing negative limit",
        "/api/v1/cameras?limit=-1",
        "limit",
    ),
    (
        "listing forged cursor",
        "/api/v1/incidents?cursor=abc",
        "cursor",
    ),
    ("kind on incidents", "/api/v1/incidents?kind=ward", "kind"),
    (
        "category on cameras",
        "/api/v1/cameras?category=theft",
        "category",
    ),
    ("year on models", "/api/v1/models?year=2024", "year"),
    ("listing unknown output", "/api/v1/areas?f=kml", "f"),
    (
        "extent takes no parameter",
        "/api/v1/extent?from=2024-01-01",
        "from",
    ),
    (
        "report year not a number",
        "/api/v1/report?year=last",
        "year",
    ),
    (
        "report unknown language",
        "/api/v1/report?year=2024&lang=fr",
        "lang",
    ),
    (
        "KPIs year not a number",
        "/api/v1/areas/ward-q1-01/kpis?year=MMXXIV",
        "year",
    ),
    (
        "overview year not a number",
        "/api/v1/programme/MMXXIV/areas",
        "year",
    ),
    (
        "overview year out of range",
        "/api/v1/programme/1800/areas",
        "year",
    ),
    (
        "overview takes no kind",
        "/api/v1/programme/2024/areas?kind=complex_area",
        "kind",
    ),
    (
        "overview bbox of three numbers",
        "/api/v1/programme/2024/areas?bbox=106,10,107",
        "bbox",
    ),
    (
        "overview unknown output",
        "/api/v1/programme/2024/areas?f=kml",
        "f",
    ),
    (
        "old overview form, year not a number",
        "/api/v1/areas?year=abc",
        "year",
    ),
    (
        "old overview form, kind other than complex areas",
        "/api/v1/areas?year=2024&kind=ward",
        "kind",
    ),
    (
        "old overview form, paging",
        "/api/v1/areas?year=2024&cursor=5",
        "cursor",
    ),
];

#[tokio::test]
async fn every_bad_parameter_is_a_problem_that_names_it() {
    let db = TestDb::sqlite().await;
    let r = router(&db).await;
    let mut failures = Vec::new();
    for (case, path, parameter) in BAD_PARAMETERS {
        let (status, ty, body) = get(&r, path, true).await;
        let ok = status == StatusCode::BAD_REQUEST
            && ty == "application/problem+json"
            && body["parameter"] == *parameter
            && body["status"] == 400
            && body["detail"].as_str().is_some_and(|d| !d.is_empty());
        if !ok {
            failures.push(format!("{case}: GET {path} → {status} {ty} {body}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn auth_and_routing_problems_are_problem_json() {
    let db = TestDb::sqlite().await;
    let r = router(&db).await;
    for (case, path, signed_in, want) in [
        ("incidents need a token", "/api/v1/incidents", false, 401),
        (
            "aggregates need a token unless public",
            "/api/v1/density",
            false,
            401,
        ),
        (
            "the report needs a token",
            "/api/v1/report?year=2024",
            false,
            401,
        ),
        ("an unknown path", "/api/v1/nothing-here", true, 404),
        ("an unknown area", "/api/v1/areas/nowhere", false, 404),
        (
            "a map-page file that is not there",
            "/vendor/evil.js",
            false,
            404,
        ),
    ] {
        let (status, ty, body) = get(&r, path, signed_in).await;
        assert_eq!(status.as_u16(), want, "{case}: {body}");
        assert_eq!(ty, "application/problem+json", "{case}");
        assert_eq!(body["status"], want, "{case}: {body}");
    }
    // Public reads answer without a token, in-process as over a socket.
    for path in [
        "/api/v1/extent",
        "/api/v1/areas?kind=district",
        "/api/v1/catalogue",
        "/healthz",
    ] {
        let (status, _, body) = get(&r, path, false).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}

/// One spelling of the output format, `format`, with `f` accepted for it (OGC API clients
/// send `f`); both read the same way, and an unknown value names the spelling used.
#[tokio::test]
async fn format_and_its_alias_f() {
    let db = TestDb::sqlite().await;
    let r = router(&db).await;
    for path in [
        "/api/v1/areas?format=json",
        "/api/v1/areas?f=geojson",
        "/api/v1/density?format=csv",
        "/api/v1/density?f=csv",
    ] {
        let (status, ty, _) = get(&r, path, true).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let want = if path.contains("csv") {
            "text/csv"
        } else {
            "application/geo+json"
        };
        assert!(ty.starts_with(want), "{path}: {ty}");
    }
    for (path, parameter) in [
        ("/api/v1/density?format=xlsx", "format"),
        ("/api/v1/density?f=xlsx", "f"),
        ("/api/v1/report?year=2024&format=pdf", "format"),
    ] {
        let (status, _, body) = get(&r, path, true).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body["parameter"], parameter, "{path}: {body}");
    }
}

/// Status and `Location` of a GET, with no token.
async fn location(r: &Router, path: &str) -> (StatusCode, Option<String>) {
    let resp = r
        .app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    (resp.status(), location)
}

/// `GET /api/v1/areas?year=Y…`, the older form of the programme's overview, answers
/// 308 Permanent Redirect to `/api/v1/programme/Y/areas` with the other parameters as they
/// were written (so bookmarks and scripts keep working), with or without a token; what
/// it is redirected to answers.
#[tokio::test]
async fn the_old_overview_form_redirects_with_its_parameters() {
    let db = TestDb::sqlite().await;
    let r = router(&db).await;
    for (old, new) in [
        ("/api/v1/areas?year=2024", "/api/v1/programme/2024/areas"),
        (
            "/api/v1/areas?kind=complex_area&year=2023",
            "/api/v1/programme/2023/areas",
        ),
        (
            "/api/v1/areas?bbox=106.6,10.7,106.8,10.9&year=2024&kind=complex_area&f=json",
            "/api/v1/programme/2024/areas?bbox=106.6,10.7,106.8,10.9&f=json",
        ),
        (
            "/api/v1/areas?format=geojson&year=02024&bbox=106.6%2C10.7%2C106.8%2C10.9",
            "/api/v1/programme/2024/areas?format=geojson&bbox=106.6%2C10.7%2C106.8%2C10.9",
        ),
        // A year out of range is the new path's problem to name.
        ("/api/v1/areas?year=1800", "/api/v1/programme/1800/areas"),
    ] {
        let (status, location) = location(&r, old).await;
        assert_eq!(status, StatusCode::PERMANENT_REDIRECT, "{old}");
        assert_eq!(location.as_deref(), Some(new), "{old}");
    }
    // Without year the listing answers itself.
    assert_eq!(
        location(&r, "/api/v1/areas?kind=complex_area").await,
        (StatusCode::OK, None)
    );
    // Where it leads: the overview (viewer token), each parameter read.
    let (status, ty, body) = get(
        &r,
        "/api/v1/programme/2024/areas?bbox=106.6,10.7,106.8,10.9&f=json",
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ty, "application/geo+json");
    assert_eq!(body["diemnong"]["programme"]["year"], 2024, "{body}");
    let (status, ty, body) = get(&r, "/api/v1/programme/2024/areas", false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(ty, "application/problem+json");
}
