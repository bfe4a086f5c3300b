//! The HTTP API over a real socket, driven by a real client (reqwest): authentication,
//! rejected bodies, paging against a brute-force filter of the sample, GeoJSON shape,
//! compression, the OpenAPI document, the catalogue and the error fallbacks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::api::{Api, Resp};
use common::fixtures::{Tokens, tokens};
use common::{TestDb, import_file};
use diemnong::auth::Role;
use diemnong::ingest::Layer;
use diemnong::ingest::csv::CsvOptions;
use diemnong::service::{Service, Source};
use diemnong::store::Store;
use reqwest::header;
use serde_json::{Value, json};

const ZONE: &str = "Asia/Ho_Chi_Minh";
const GEOJSON: &str = "application/geo+json";
const CSV_HEADER: &str = "external_id,occurred_at,category,severity,solved,lon,lat,address,ward";

// ---------------------------------------------------------------------------------------
// Loading data and tokens
// ---------------------------------------------------------------------------------------

use common::import;

/// The whole committed sample: 120 areas, 300 cameras, 250 models, 20,000 incidents.
async fn load_sample(service: &Service) {
    assert_eq!(
        import_file(service, Layer::Areas, "sample-data/areas.geojson")
            .await
            .inserted,
        120
    );
    assert_eq!(
        import_file(service, Layer::Cameras, "sample-data/cameras.csv")
            .await
            .inserted,
        300
    );
    assert_eq!(
        import_file(service, Layer::Models, "sample-data/models.csv")
            .await
            .inserted,
        250
    );
    assert_eq!(
        import_file(service, Layer::Incidents, "sample-data/incidents.csv")
            .await
            .inserted,
        20_000
    );
}

/// Areas and the first `n` incidents of the sample (enough for auth and body tests, and
/// quick on PostgreSQL).
async fn load_small(service: &Service, n: usize) {
    import_file(service, Layer::Areas, "sample-data/areas.geojson").await;
    let text = std::fs::read_to_string(common::repo_path("sample-data/incidents.csv")).unwrap();
    let head: String = text.lines().take(n + 1).fold(String::new(), |mut h, l| {
        h.push_str(l);
        h.push('\n');
        h
    });
    let source = Source::Csv {
        reader: Box::new(std::io::Cursor::new(head.into_bytes())),
        options: CsvOptions::default(),
    };
    assert_eq!(
        import(service, Layer::Incidents, source).await.inserted,
        n as u64
    );
}

// ---------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------

struct Server {
    db: TestDb,
    service: Arc<Service>,
    api: Api,
    tokens: Tokens,
}

async fn start(db: TestDb, load: impl AsyncFnOnce(&Service)) -> Server {
    let service = db.service().await;
    load(&service).await;
    let tokens = tokens(&service).await;
    let api = Api::new(common::spawn_server(Arc::clone(&service)).await);
    Server {
        db,
        service,
        api,
        tokens,
    }
}

/// Incidents actually stored (counted in the database, not the index).
async fn stored_incidents(service: &Service) -> usize {
    count_incidents(service.store()).await
}

async fn count_incidents(store: &Store) -> usize {
    const SQL: &str = "SELECT count(*) FROM incidents";
    let n: i64 = match store {
        Store::Sqlite(p) => sqlx::query_scalar(SQL).fetch_one(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(SQL).fetch_one(p).await.unwrap(),
    };
    usize::try_from(n).unwrap()
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

// ---------------------------------------------------------------------------------------
// Authentication and roles
// ---------------------------------------------------------------------------------------

fn csv_body(rows: &[&str]) -> String {
    let mut s = format!("{CSV_HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// A server per backend over the areas and 50 incidents, for a case that writes: each case
/// starts from the same state, so its counts are its own.
async fn small_servers() -> Vec<Server> {
    let mut v = Vec::new();
    for db in TestDb::all().await {
        v.push(start(db, async |svc: &Service| load_small(svc, 50).await).await);
    }
    v
}

fn one_incident() -> String {
    csv_body(&["AUTH-1,2024-05-01 10:00,theft,serious,false,106.70,10.78,1 Lê Lợi,Bến Nghé"])
}

/// No token, a viewer's, an unknown one and a Basic scheme are refused, and store nothing.
#[tokio::test]
async fn incident_writes_refuse_no_token_a_viewer_an_unknown_token_and_basic() {
    for s in small_servers().await {
        let (api, t, backend) = (&s.api, &s.tokens, s.db.backend);
        let one = one_incident();
        api.post_body("/api/v1/incidents", None, "text/csv", one.clone())
            .await
            .problem(401);
        let p = api
            .post_body(
                "/api/v1/incidents",
                Some(&t.viewer),
                "text/csv",
                one.clone(),
            )
            .await
            .problem(403);
        assert!(
            p["detail"].as_str().unwrap().contains("editor"),
            "{backend}: {p}"
        );
        let unknown = format!("dn_{}", "0".repeat(64));
        api.post_body("/api/v1/incidents", Some(&unknown), "text/csv", one.clone())
            .await
            .problem(401);
        let bad_scheme = api
            .http
            .post(api.url("/api/v1/incidents"))
            .header(header::AUTHORIZATION, format!("Basic {}", t.editor))
            .header(header::CONTENT_TYPE, "text/csv")
            .body(one.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            bad_scheme.status().as_u16(),
            401,
            "{backend}: a Basic scheme is not a bearer token"
        );
        assert!(bad_scheme.headers().get(header::WWW_AUTHENTICATE).is_some());
        assert_eq!(
            stored_incidents(&s.service).await,
            50,
            "{backend}: refused writes stored nothing"
        );
        s.db.cleanup().await;
    }
}

/// An editor writes (201, then 200 with nothing new for the same rows), an admin too, and
/// the listing counts what they wrote.
#[tokio::test]
async fn incident_writes_by_an_editor_or_admin_are_stored_once() {
    for s in small_servers().await {
        let (api, t, backend) = (&s.api, &s.tokens, s.db.backend);
        let one = one_incident();
        let r = api
            .post_body(
                "/api/v1/incidents",
                Some(&t.editor),
                "text/csv",
                one.clone(),
            )
            .await
            .ok(201);
        assert_eq!(
            (
                r["inserted"].as_u64(),
                r["read"].as_u64(),
                r["committed"].as_bool()
            ),
            (Some(1), Some(1), Some(true)),
            "{backend}: {r}"
        );
        let r = api
            .post_body(
                "/api/v1/incidents",
                Some(&t.editor),
                "text/csv",
                one.clone(),
            )
            .await
            .ok(200);
        assert_eq!(
            (r["inserted"].as_u64(), r["already_present"].as_u64()),
            (Some(0), Some(1)),
            "{backend}: {r}"
        );
        // Admins can do what editors can.
        let two = csv_body(&["AUTH-2,2024-05-01 11:00,fraud,,,106.71,10.77,,"]);
        api.post_body("/api/v1/incidents", Some(&t.admin), "text/csv", two)
            .await
            .ok(201);
        assert_eq!(stored_incidents(&s.service).await, 52, "{backend}");
        let fc = api
            .get("/api/v1/incidents?limit=1", Some(&t.viewer))
            .await
            .ok(200);
        assert_eq!(
            fc["numberMatched"],
            json!(52),
            "{backend}: {}",
            fc["numberMatched"]
        );
        s.db.cleanup().await;
    }
}

/// Other layers' writes are guarded the same way (areas are public to read, not to write).
#[tokio::test]
async fn area_camera_and_model_writes_need_an_editor() {
    for s in small_servers().await {
        let (api, t, backend) = (&s.api, &s.tokens, s.db.backend);
        let area = json!([{"code": "auth-area", "name": "A", "kind": "complex_area",
            "geometry": {"type": "Polygon", "coordinates": [[[106.70, 10.78], [106.71, 10.78], [106.71, 10.79], [106.70, 10.78]]]}}]);
        for path in ["/api/v1/areas", "/api/v1/cameras", "/api/v1/models"] {
            api.post_body(path, None, "application/json", area.to_string())
                .await
                .problem(401);
            api.post_body(path, Some(&t.viewer), "application/json", area.to_string())
                .await
                .problem(403);
        }
        api.post_body(
            "/api/v1/areas",
            Some(&t.editor),
            "application/json",
            area.to_string(),
        )
        .await
        .ok(201);
        assert_eq!(
            api.get("/api/v1/areas?limit=1000", None).await.ok(200)["numberMatched"],
            json!(121),
            "{backend}"
        );
        s.db.cleanup().await;
    }
}

/// Reads of point layers: none or an unknown token → 401, viewer → 200; areas, the
/// catalogue and one area are public.
#[tokio::test]
async fn point_layer_reads_need_a_viewer_and_areas_are_public() {
    for s in small_servers().await {
        let (api, t, backend) = (&s.api, &s.tokens, s.db.backend);
        let unknown = format!("dn_{}", "0".repeat(64));
        for path in ["/api/v1/incidents", "/api/v1/cameras", "/api/v1/models"] {
            api.get(path, None).await.problem(401);
            api.get(path, Some(&unknown)).await.problem(401);
            let fc = api.get(path, Some(&t.viewer)).await.ok(200);
            assert_eq!(fc["type"], "FeatureCollection", "{backend} {path}");
        }
        api.get("/api/v1/catalogue", None).await.ok(200);
        api.get("/api/v1/areas/ward-q1-01", None).await.ok(200);
        s.db.cleanup().await;
    }
}

/// Listing and creating tokens is for admins; the list carries no secrets and an editor
/// cannot make an admin.
#[tokio::test]
async fn token_administration_is_for_admins() {
    for s in small_servers().await {
        let (api, t, backend) = (&s.api, &s.tokens, s.db.backend);
        for tok in [None, Some(t.viewer.as_str()), Some(t.editor.as_str())] {
            let r = api.get("/api/v1/tokens", tok).await;
            r.problem(if tok.is_none() { 401 } else { 403 });
        }
        let list = api.get("/api/v1/tokens", Some(&t.admin)).await.ok(200);
        assert!(list.as_array().unwrap().len() >= 3, "{backend}: {list}");
        assert!(
            !list.to_string().contains(&t.viewer),
            "{backend}: the token list must not carry secrets"
        );
        let created = api
            .post_body(
                "/api/v1/tokens",
                Some(&t.admin),
                "application/json",
                json!({"role": "editor", "name": "made over http"}).to_string(),
            )
            .await
            .ok(201);
        let new_token = created["token"].as_str().unwrap().to_owned();
        assert!(
            new_token.starts_with("dn_") && new_token.len() == 67,
            "{backend}: {new_token}"
        );
        api.post_body(
            "/api/v1/tokens",
            Some(&t.editor),
            "application/json",
            json!({"role": "admin", "name": "escalate"}).to_string(),
        )
        .await
        .problem(403);
        s.db.cleanup().await;
    }
}

/// Revocation takes effect at once, over HTTP and through the service, and a revoked
/// token writes nothing.
#[tokio::test]
async fn revoked_tokens_are_refused_at_once() {
    for s in small_servers().await {
        let (api, t, backend) = (&s.api, &s.tokens, s.db.backend);
        let created = api
            .post_body(
                "/api/v1/tokens",
                Some(&t.admin),
                "application/json",
                json!({"role": "editor", "name": "made over http"}).to_string(),
            )
            .await
            .ok(201);
        let new_token = created["token"].as_str().unwrap().to_owned();
        let new_id = created["id"].as_i64().unwrap();
        let three = csv_body(&["AUTH-3,2024-05-02 10:00,theft,,,106.70,10.78,,"]);
        api.post_body(
            "/api/v1/incidents",
            Some(&new_token),
            "text/csv",
            three.clone(),
        )
        .await
        .ok(201);
        let r = api
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v1/tokens/{new_id}"),
                Some(&t.admin),
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{backend}: {}", r.text());
        let four = csv_body(&["AUTH-4,2024-05-02 11:00,theft,,,106.70,10.78,,"]);
        api.post_body(
            "/api/v1/incidents",
            Some(&new_token),
            "text/csv",
            four.clone(),
        )
        .await
        .problem(401);
        api.get("/api/v1/incidents", Some(&new_token))
            .await
            .problem(401);
        let r = api
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v1/tokens/{new_id}"),
                Some(&t.admin),
                None,
            )
            .await;
        r.problem(404);

        let (viewer_id, viewer2) = s
            .service
            .create_token("short-lived viewer", Role::Viewer)
            .await
            .unwrap();
        api.get("/api/v1/incidents?limit=1", Some(&viewer2))
            .await
            .ok(200);
        s.service.revoke_token(viewer_id).await.unwrap();
        api.get("/api/v1/incidents?limit=1", Some(&viewer2))
            .await
            .problem(401);
        assert_eq!(
            stored_incidents(&s.service).await,
            51,
            "{backend}: the 50 loaded and AUTH-3; the revoked token wrote nothing"
        );
        s.db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// Bad bodies
// ---------------------------------------------------------------------------------------

/// Where a problem must be reported.
#[derive(Debug, Clone)]
enum At {
    Line(u64, Option<&'static str>),
    Pointer(&'static str),
}

impl At {
    fn matches(&self, e: &Value) -> bool {
        match self {
            Self::Line(line, col) => {
                e["line"].as_u64() == Some(*line)
                    && col.is_none_or(|c| e["column"].as_str() == Some(c))
            }
            Self::Pointer(p) => e["pointer"].as_str() == Some(*p),
        }
    }
}

struct Case {
    name: &'static str,
    content_type: &'static str,
    query: &'static str,
    body: Vec<u8>,
    status: u16,
    /// Every place the problem list must name.
    at: Vec<At>,
    /// Text the problem (detail or a reason) must contain.
    says: &'static str,
}

fn case(
    name: &'static str,
    content_type: &'static str,
    body: impl Into<Vec<u8>>,
    at: Vec<At>,
    says: &'static str,
) -> Case {
    Case {
        name,
        content_type,
        query: "",
        body: body.into(),
        status: 422,
        at,
        says,
    }
}

const GOOD: &str = "BAD-0,2024-05-01 10:00,theft,serious,false,106.70,10.78,1 Lê Lợi,Bến Nghé";

/// The bad bodies of each kind: CSV, JSON and GeoJSON, and those not read at all (a media
/// type we do not take, a bad query string).
struct BadCases {
    csv: Vec<Case>,
    json: Vec<Case>,
    unread: Vec<Case>,
}

fn bad_cases() -> BadCases {
    let mut latin1 =
        format!("{CSV_HEADER}\nBAD-1,2024-05-01 10:00,theft,,,106.70,10.78,").into_bytes();
    latin1.extend_from_slice(b"Ph\xf0\xf4ng 3 \xe9,x\n");
    let mut json_latin1 = br#"[{"external_id":"BAD-J","occurred_at":"2024-05-01 10:00","category":"theft","lon":106.7,"lat":10.78,"address":"Ph"#.to_vec();
    json_latin1.extend_from_slice(b"\xf0\xf4ng\"}]");
    let rec = |extra: Value| {
        let mut base = json!({"external_id": "BAD-J1", "occurred_at": "2024-05-01 10:00", "category": "theft", "lon": 106.7, "lat": 10.78});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        base
    };
    let good = rec(json!({"external_id": "BAD-J0"}));
    let feature = |coords: Value, props: Value| json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": coords}, "properties": props});
    let props = json!({"external_id": "BAD-F1", "occurred_at": "2024-05-01T10:00:00+07:00", "category": "theft"});
    BadCases {
        csv: vec![
            case("csv latitude 91", "text/csv", csv_body(&[GOOD, "BAD-2,2024-05-01 10:00,theft,,,106.70,91,,"]), vec![At::Line(3, Some("lat"))], "91"),
            case("csv NaN and inf", "text/csv", csv_body(&["BAD-1,2024-05-01 10:00,theft,,,NaN,inf,,", GOOD]), vec![At::Line(2, Some("lon")), At::Line(2, Some("lat"))], "finite"),
            case("csv bad dates", "text/csv", csv_body(&["BAD-1,2024-02-30,theft,,,106.7,10.78,,", GOOD, "BAD-3,yesterday,theft,,,106.7,10.78,,"]), vec![At::Line(2, Some("occurred_at")), At::Line(4, Some("occurred_at"))], "yesterday"),
            case("csv unknown category", "text/csv", csv_body(&[GOOD, "BAD-1,2024-05-01 10:00,burglary_of_the_moon,,,106.7,10.78,,"]), vec![At::Line(3, Some("category"))], "burglary_of_the_moon"),
            case("csv bad severity and solved", "text/csv", csv_body(&["BAD-1,2024-05-01 10:00,theft,catastrophic,perhaps,106.7,10.78,,"]), vec![At::Line(2, Some("severity")), At::Line(2, Some("solved"))], "catastrophic"),
            case("csv missing column", "text/csv", "external_id,occurred_at,category,lon\nBAD-1,2024-05-01 10:00,theft,106.7\n", vec![At::Line(1, Some("lat"))], "required column lat"),
            case("csv short row", "text/csv", csv_body(&[GOOD, "BAD-1,2024-05-01 10:00,theft"]), vec![At::Line(3, None)], "fields"),
            case("csv wrong delimiter", "text/csv", CSV_HEADER.replace(',', ";") + "\n" + &GOOD.replace(',', ";") + "\n", vec![At::Line(1, None)], "delimiter"),
            Case { query: "?delimiter=%3B", ..case("csv delimiter query does not match", "text/csv", csv_body(&[GOOD]), vec![At::Line(1, None)], "delimiter") },
            case("csv empty body", "text/csv", "", vec![At::Line(1, None)], "empty"),
            case("csv header only blank", "text/csv", "\n\n", vec![At::Line(1, None)], ""),
            case("csv non-UTF-8 bytes", "text/csv", latin1, vec![At::Line(2, Some("address"))], "UTF-8"),
            case("csv duplicate external_id", "text/csv", csv_body(&[GOOD, "BAD-1,2024-05-01 11:00,fraud,,,106.7,10.78,,", "BAD-0,2024-05-02 10:00,theft,,,106.71,10.77,,"]), vec![At::Line(4, Some("external_id"))], "line 2"),
            case("csv swapped coordinates", "text/csv", csv_body(&["BAD-1,2024-05-01 10:00,theft,,,10.78,106.7,,"]), vec![At::Line(2, Some("lat"))], "swapped"),
            Case { query: "?skip_invalid=true", ..case("csv header problem even with skip_invalid", "text/csv", "lon,lat\n106.7,10.78\n", vec![At::Line(1, Some("occurred_at")), At::Line(1, Some("category"))], "") },
        ],
        json: vec![
            case("json invalid", "application/json", r#"[{"lon": 106.7,"#, vec![At::Pointer("")], "not valid JSON"),
            case("json empty body", "application/json", "", vec![At::Pointer("")], "not valid JSON"),
            case("json literal NaN", "application/json", r#"[{"lon": NaN, "lat": 10.78}]"#, vec![At::Pointer("")], "not valid JSON"),
            case("json object that is not a collection", "application/json", json!({"type": "Feature", "properties": {}}).to_string(), vec![At::Pointer("")], "FeatureCollection"),
            case("json scalar", "application/json", "42", vec![At::Pointer("")], ""),
            case("json collection without features", "application/geo+json", r#"{"type":"FeatureCollection"}"#, vec![At::Pointer("/features")], "features"),
            case("json empty array", "application/json", "[]", vec![At::Pointer("")], "no records"),
            case("json latitude 91", "application/json", json!([good, rec(json!({"lat": 91}))]).to_string(), vec![At::Pointer("/1/lat")], "91"),
            case("json NaN string", "application/json", json!([rec(json!({"lon": "NaN"}))]).to_string(), vec![At::Pointer("/0/lon")], "finite"),
            case("json bad date under an alias", "application/json", json!([rec(json!({"occurred_at": null, "date": "2024-13-45"}))]).to_string(), vec![At::Pointer("/0/date")], "2024-13-45"),
            case("json unknown category", "application/json", json!([good, rec(json!({"category": "alien_abduction"}))]).to_string(), vec![At::Pointer("/1/category")], "alien_abduction"),
            case("json missing field", "application/json", json!([rec(json!({"lat": null}))]).to_string(), vec![At::Pointer("/0/lat")], "required"),
            case("json duplicate external_id", "application/json", json!([good, rec(json!({})), rec(json!({"external_id": "BAD-J0"}))]).to_string(), vec![At::Pointer("/2/external_id")], "repeated"),
            case("json record not an object", "application/json", json!([good, 7]).to_string(), vec![At::Pointer("/1")], "object"),
            case("json nested value", "application/json", json!([rec(json!({"address": ["a", "b"]}))]).to_string(), vec![At::Pointer("/0/address")], ""),
            case("json non-UTF-8 bytes", "application/json", json_latin1, vec![At::Pointer("")], "JSON"),
            case("geojson latitude 91", "application/geo+json", json!({"type": "FeatureCollection", "features": [feature(json!([106.7, 91.0]), props.clone())]}).to_string(), vec![At::Pointer("/features/0/geometry")], "91"),
            case("geojson not a point", "application/geo+json", json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[106.7, 10.7], [106.8, 10.8]]}, "properties": props.clone()}]}).to_string(), vec![At::Pointer("/features/0/geometry")], "Point"),
            case("geojson broken geometry", "application/geo+json", json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": "here"}, "properties": props.clone()}]}).to_string(), vec![At::Pointer("/features/0/geometry")], "geometry"),
            case("geojson unknown category", "application/geo+json", json!({"type": "FeatureCollection", "features": [feature(json!([106.7, 10.78]), json!({"occurred_at": "2024-05-01", "category": "nope"}))]}).to_string(), vec![At::Pointer("/features/0/properties/category")], "nope"),
            case("geojson properties not an object", "application/geo+json", json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.7, 10.78]}, "properties": [1]}]}).to_string(), vec![At::Pointer("/features/0/properties")], "object"),
        ],
        unread: vec![
            // Not a body we read at all.
            Case { status: 415, ..case("text/plain", "text/plain", csv_body(&[GOOD]), vec![], "text/plain") },
            Case { status: 415, ..case("xml", "application/xml", "<incidents/>", vec![], "application/xml") },
            Case { status: 415, ..case("form", "application/x-www-form-urlencoded", "lon=106.7&lat=10.78", vec![], "x-www-form-urlencoded") },
            // Bad query strings on a write.
            Case { status: 400, query: "?dry_run=true", ..case("unknown query parameter", "text/csv", csv_body(&[GOOD]), vec![], "dry_run") },
            // serde_urlencoded does not say which parameter a bad value belongs to; the problem
            // names the query string and what was wrong with the value.
            Case { status: 400, query: "?skip_invalid=maybe", ..case("bad skip_invalid", "text/csv", csv_body(&[GOOD]), vec![], "`true` or `false`") },
            Case { status: 400, query: "?delimiter=%3B%3B", ..case("two-character delimiter", "text/csv", csv_body(&[GOOD]), vec![], "delimiter") },
        ],
    }
}

/// Posts each case as an editor on a fresh server per backend (areas and 40 incidents) and
/// asserts a 4xx problem naming every place it must, and that nothing was written.
async fn assert_rejected(cases: fn(BadCases) -> Vec<Case>) {
    for db in TestDb::all().await {
        let backend = db.backend;
        let s = start(db, async |svc: &Service| load_small(svc, 40).await).await;
        let (api, t) = (&s.api, &s.tokens);
        let before_health = api.health().await;
        let before_matched = api
            .get("/api/v1/incidents?limit=1", Some(&t.viewer))
            .await
            .ok(200)["numberMatched"]
            .clone();
        assert_eq!(before_matched, json!(40));
        let before_version = s.service.store().data_version().await.unwrap();

        for c in cases(bad_cases()) {
            let label = format!("{backend}: {}", c.name);
            let r = api
                .post_body(
                    &format!("/api/v1/incidents{}", c.query),
                    Some(&t.editor),
                    c.content_type,
                    c.body.clone(),
                )
                .await;
            assert!(
                (400..500).contains(&r.status),
                "{label}: status {} {}",
                r.status,
                r.text()
            );
            let p = r.problem(c.status);
            let errors = p["errors"].as_array().cloned().unwrap_or_default();
            for at in &c.at {
                assert!(
                    errors.iter().any(|e| at.matches(e)),
                    "{label}: no problem at {at:?}: {p:#}"
                );
            }
            for e in &errors {
                assert!(
                    e["reason"].as_str().is_some_and(|r| !r.is_empty()),
                    "{label}: {e}"
                );
                assert!(
                    e.get("line").is_some() || e.get("pointer").is_some(),
                    "{label}: a problem without a place: {e}"
                );
            }
            if c.status == 422 {
                assert!(
                    !errors.is_empty(),
                    "{label}: a rejected import lists its problems: {p:#}"
                );
                assert!(
                    p["errors_total"]
                        .as_u64()
                        .is_some_and(|n| n >= errors.len() as u64),
                    "{label}: {p}"
                );
                assert!(
                    p["detail"]
                        .as_str()
                        .unwrap()
                        .contains("nothing was written"),
                    "{label}: {p}"
                );
            }
            let all_text = p.to_string();
            assert!(
                all_text.contains(c.says),
                "{label}: the problem should say {:?}: {p:#}",
                c.says
            );

            // Nothing was written: not in the index, not in the database, no new version.
            let matched = api
                .get("/api/v1/incidents?limit=1", Some(&t.viewer))
                .await
                .ok(200)["numberMatched"]
                .clone();
            assert_eq!(matched, before_matched, "{label}");
            let h = api.health().await;
            assert_eq!(h["data_version"], before_health["data_version"], "{label}");
            assert_eq!(h["incidents"], before_health["incidents"], "{label}");
            assert_eq!(
                s.service.store().data_version().await.unwrap(),
                before_version,
                "{label}"
            );
            assert_eq!(stored_incidents(&s.service).await, 40, "{label}");
        }

        s.db.cleanup().await;
    }
}

#[tokio::test]
async fn bad_csv_bodies_are_422_problems_that_name_the_line_and_column_and_write_nothing() {
    assert_rejected(|c| c.csv).await;
}

#[tokio::test]
async fn bad_json_and_geojson_bodies_are_422_problems_that_name_the_pointer_and_write_nothing() {
    assert_rejected(|c| c.json).await;
}

#[tokio::test]
async fn unreadable_media_types_and_bad_write_queries_are_415_and_400_and_write_nothing() {
    assert_rejected(|c| c.unread).await;
}

/// The good row the bad bodies carried imports on its own (the rejections were about the bad
/// rows), a mixed body with `skip_invalid` takes its good rows, and a semicolon file with the
/// right delimiter parameter is fine.
#[tokio::test]
async fn good_rows_import_alone_with_skip_invalid_and_with_their_delimiter() {
    for db in TestDb::all().await {
        let backend = db.backend;
        let s = start(db, async |svc: &Service| load_small(svc, 40).await).await;
        let (api, t) = (&s.api, &s.tokens);
        // The same good row the cases carried imports fine on its own: the rejections were
        // about the bad rows, not the good one.
        let r = api
            .post_body(
                "/api/v1/incidents",
                Some(&t.editor),
                "text/csv",
                csv_body(&[GOOD]),
            )
            .await
            .ok(201);
        assert_eq!(r["inserted"], json!(1), "{backend}: {r}");
        // And with skip_invalid the good rows of a mixed body go in, the bad ones are reported.
        let mixed = csv_body(&[
            "BAD-10,2024-05-01 10:00,theft,,,106.70,10.78,,",
            "BAD-11,2024-05-01 10:00,theft,,,106.70,91,,",
        ]);
        let r = api
            .post_body(
                "/api/v1/incidents?skip_invalid=true",
                Some(&t.editor),
                "text/csv",
                mixed,
            )
            .await
            .ok(201);
        assert_eq!(
            (r["inserted"].as_u64(), r["rejected"].as_u64()),
            (Some(1), Some(1)),
            "{backend}: {r}"
        );
        assert!(
            At::Line(3, Some("lat")).matches(&r["errors"][0]),
            "{backend}: {r}"
        );
        // A semicolon file with the right delimiter parameter is fine.
        let semi =
            CSV_HEADER.replace(',', ";") + "\nBAD-12;2024-05-01 10:00;theft;;;106,70;10,78;;\n";
        let r = api
            .post_body(
                "/api/v1/incidents?delimiter=%3B",
                Some(&t.editor),
                "text/csv; charset=utf-8",
                semi,
            )
            .await
            .ok(201);
        assert_eq!(r["inserted"], json!(1), "{backend}: {r}");
        assert_eq!(stored_incidents(&s.service).await, 43, "{backend}");
        s.db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// Paging and filters, against a brute-force filter of the sample file
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct SampleIncident {
    external_id: String,
    t: i64,
    category: String,
    severity: String,
    lon: f64,
    lat: f64,
    raw_time: String,
}

fn sample_incidents() -> Vec<SampleIncident> {
    let mut rdr = csv::Reader::from_path(common::repo_path("sample-data/incidents.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (id, at, cat, sev, lon, lat) = (
        col("external_id"),
        col("occurred_at"),
        col("category"),
        col("severity"),
        col("lon"),
        col("lat"),
    );
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            SampleIncident {
                external_id: r[id].to_owned(),
                t: instant(&r[at]),
                category: r[cat].to_owned(),
                severity: r[sev].to_owned(),
                lon: r[lon].parse().unwrap(),
                lat: r[lat].parse().unwrap(),
                raw_time: r[at].to_owned(),
            }
        })
        .collect()
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

#[derive(Debug, Default, Clone)]
struct Query {
    bbox: Option<[f64; 4]>,
    from: Option<String>,
    to: Option<String>,
    category: Option<Vec<String>>,
    severity: Option<Vec<String>>,
}

impl Query {
    fn pairs(&self, limit: usize) -> Vec<(&'static str, String)> {
        let mut p = vec![("limit", limit.to_string())];
        if let Some(b) = self.bbox {
            p.push((
                "bbox",
                b.iter().map(f64::to_string).collect::<Vec<_>>().join(","),
            ));
        }
        if let Some(f) = &self.from {
            p.push(("from", f.clone()));
        }
        if let Some(t) = &self.to {
            p.push(("to", t.clone()));
        }
        if let Some(c) = &self.category {
            p.push(("category", c.join(",")));
        }
        if let Some(s) = &self.severity {
            p.push(("severity", s.join(",")));
        }
        p
    }

    fn brute_force(&self, all: &[SampleIncident]) -> BTreeSet<String> {
        let from = self.from.as_deref().map(instant);
        let to = self.to.as_deref().map(instant);
        all.iter()
            .filter(|i| {
                self.bbox
                    .is_none_or(|[a, b, c, d]| i.lon >= a && i.lon <= c && i.lat >= b && i.lat <= d)
            })
            .filter(|i| from.is_none_or(|f| i.t >= f) && to.is_none_or(|t| i.t < t))
            .filter(|i| {
                self.category
                    .as_ref()
                    .is_none_or(|c| c.contains(&i.category))
            })
            .filter(|i| {
                self.severity
                    .as_ref()
                    .is_none_or(|s| s.contains(&i.severity))
            })
            .map(|i| i.external_id.clone())
            .collect()
    }
}

/// Follows `next` links from `first` until there are none; checks every page and returns
/// (numberMatched, the features in order).
async fn walk(api: &Api, token: Option<&str>, first: &str, limit: usize) -> (u64, Vec<Value>) {
    let mut url = first.to_owned();
    let mut out = Vec::new();
    let mut matched = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages < 10_000, "{first}: the next links do not end");
        let r = api.get(&url, token).await;
        let fc = r.ok(200);
        assert!(
            r.content_type().starts_with(GEOJSON),
            "{url}: {}",
            r.content_type()
        );
        let features = fc["features"].as_array().unwrap().clone();
        let returned = fc["numberReturned"].as_u64().unwrap();
        assert_eq!(returned, features.len() as u64, "{url}");
        assert!(
            features.len() <= limit,
            "{url}: {} > limit {limit}",
            features.len()
        );
        let m = fc["numberMatched"].as_u64().unwrap();
        assert_eq!(
            *matched.get_or_insert(m),
            m,
            "{url}: numberMatched changed between pages"
        );
        let links = fc["links"].as_array().unwrap();
        let self_link = links
            .iter()
            .find(|l| l["rel"] == "self")
            .expect("a self link");
        assert_eq!(
            self_link["href"].as_str().unwrap(),
            api.url(&url),
            "self link"
        );
        let next = links
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_owned());
        out.extend(features);
        match next {
            Some(n) => {
                assert!(
                    n.starts_with(&api.base),
                    "next links are absolute on this server: {n}"
                );
                assert_eq!(
                    usize::try_from(returned).unwrap(),
                    limit,
                    "{url}: a page before the last is full"
                );
                url = n;
            }
            None => break,
        }
    }
    (matched.unwrap_or(0), out)
}

fn ids_of(features: &[Value]) -> Vec<i64> {
    features
        .iter()
        .map(|f| f["id"].as_i64().expect("numeric feature id"))
        .collect()
}

fn assert_paged_ids(label: &str, matched: u64, features: &[Value]) {
    let ids = ids_of(features);
    let set: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(set.len(), ids.len(), "{label}: duplicate ids across pages");
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "{label}: pages are in id order"
    );
    assert_eq!(
        ids.len() as u64,
        matched,
        "{label}: the pages hold numberMatched features"
    );
}

/// The whole sample on SQLite behind a server, built once and shared by the paging cases
/// that only read (a case that writes starts its own).
async fn sample_server() -> (Api, &'static Tokens) {
    static SERVER: tokio::sync::OnceCell<Server> = tokio::sync::OnceCell::const_new();
    let s = common::shared(&SERVER, || async {
        start(
            common::shared_sqlite("http-sample"),
            async |svc: &Service| load_sample(svc).await,
        )
        .await
    })
    .await;
    (Api::new(s.api.base.clone()), &s.tokens)
}

/// The incident queries, each with the ids its brute force must include and those the
/// pages must not: points sitting exactly on a box's edges, and instants exactly at from
/// and to.
fn incident_queries(
    all: &[SampleIncident],
) -> Vec<(&'static str, Query, Vec<String>, Vec<String>)> {
    assert_eq!(all.len(), 20_000);
    let p = &all[4321];
    let q = &all[12_345];
    let (w0, w1) = (&all[7000], &all[7150]);
    assert!(w0.t < w1.t);
    let local = |i: &SampleIncident| i.raw_time.replace("+07:00", "");
    let queries: Vec<(&str, Query, Vec<&str>, Vec<&str>)> = vec![
        (
            "bbox + categories + dates",
            Query {
                bbox: Some([106.68, 10.75, 106.72, 10.79]),
                from: Some("2024-01-01".into()),
                to: Some("2024-07-01".into()),
                category: Some(strings(&["theft", "snatching"])),
                ..Query::default()
            },
            vec![],
            vec![],
        ),
        (
            "RFC 3339 from, local to, severities",
            Query {
                from: Some("2023-03-01T00:00:00Z".into()),
                to: Some("2023-03-20".into()),
                severity: Some(strings(&["serious", "very_serious"])),
                ..Query::default()
            },
            vec![],
            vec![],
        ),
        (
            "min corner inclusive",
            Query {
                bbox: Some([p.lon, p.lat, p.lon + 0.01, p.lat + 0.01]),
                ..Query::default()
            },
            vec![p.external_id.as_str()],
            vec![],
        ),
        (
            "max corner inclusive",
            Query {
                bbox: Some([q.lon - 0.01, q.lat - 0.01, q.lon, q.lat]),
                ..Query::default()
            },
            vec![q.external_id.as_str()],
            vec![],
        ),
        (
            "degenerate box is the point",
            Query {
                bbox: Some([p.lon, p.lat, p.lon, p.lat]),
                ..Query::default()
            },
            vec![p.external_id.as_str()],
            vec![],
        ),
        (
            "from inclusive, to exclusive, local times",
            Query {
                from: Some(local(w0)),
                to: Some(local(w1)),
                ..Query::default()
            },
            vec![w0.external_id.as_str()],
            vec![w1.external_id.as_str()],
        ),
        (
            "from/to with offsets + category",
            Query {
                from: Some(w0.raw_time.clone()),
                to: Some(w1.raw_time.clone()),
                category: Some(vec![w0.category.clone()]),
                ..Query::default()
            },
            vec![w0.external_id.as_str()],
            vec![],
        ),
        (
            "nothing",
            Query {
                bbox: Some([106.0, 10.0, 106.1, 10.1]),
                ..Query::default()
            },
            vec![],
            vec![],
        ),
    ];
    queries
        .into_iter()
        .map(|(label, q, must, must_not)| {
            let own = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect();
            (label, q, own(must), own(must_not))
        })
        .collect()
}

/// Pages through the incident query `name` 7 at a time and compares the union of the pages
/// with a brute-force filter of the sample file.
async fn check_incident_query(name: &str) {
    let (api, t) = sample_server().await;
    let api = &api;
    let all = sample_incidents();
    let queries = incident_queries(&all);
    let (label, qy, must, must_not) = queries
        .iter()
        .find(|(label, ..)| *label == name)
        .unwrap_or_else(|| panic!("no incident query {name:?}"));
    let expected = qy.brute_force(&all);
    for id in must {
        assert!(
            expected.contains(id),
            "{label}: the brute force itself should include {id}"
        );
    }
    let url = format!(
        "/api/v1/incidents?{}",
        serde_urlencoded::to_string(qy.pairs(7)).unwrap()
    );
    let (matched, features) = walk(api, Some(&t.viewer), &url, 7).await;
    assert_paged_ids(label, matched, &features);
    let got: BTreeSet<String> = features
        .iter()
        .map(|f| f["properties"]["external_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        matched,
        expected.len() as u64,
        "{label}: numberMatched vs brute force"
    );
    assert_eq!(
        got, expected,
        "{label}: the union of the pages vs brute force"
    );
    for id in must_not {
        assert!(!got.contains(id), "{label}: {id} is excluded");
    }
    if *label == "bbox + categories + dates" {
        assert!(
            expected.len() > 30,
            "{label}: a test over many pages ({})",
            expected.len()
        );
        // The filters travel in every next link.
        let first = api.get(&url, Some(&t.viewer)).await.ok(200);
        let next = first["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .unwrap()["href"]
            .as_str()
            .unwrap()
            .to_owned();
        let q: BTreeMap<String, String> =
            serde_urlencoded::from_str(next.split_once('?').unwrap().1).unwrap();
        for k in ["bbox", "from", "to", "category", "limit", "cursor"] {
            assert!(q.contains_key(k), "{label}: next link lacks {k}: {next}");
        }
    }
}

#[tokio::test]
async fn paging_incidents_by_bbox_categories_and_dates_carries_the_filters_in_next_links() {
    check_incident_query("bbox + categories + dates").await;
}

#[tokio::test]
async fn paging_incidents_by_rfc3339_from_local_to_and_severities() {
    check_incident_query("RFC 3339 from, local to, severities").await;
}

#[tokio::test]
async fn paging_incidents_bbox_min_corner_is_inclusive() {
    check_incident_query("min corner inclusive").await;
}

#[tokio::test]
async fn paging_incidents_bbox_max_corner_is_inclusive() {
    check_incident_query("max corner inclusive").await;
}

#[tokio::test]
async fn paging_incidents_degenerate_box_is_the_point() {
    check_incident_query("degenerate box is the point").await;
}

#[tokio::test]
async fn paging_incidents_from_is_inclusive_and_to_exclusive_in_local_time() {
    check_incident_query("from inclusive, to exclusive, local times").await;
}

#[tokio::test]
async fn paging_incidents_from_and_to_with_offsets_and_a_category() {
    check_incident_query("from/to with offsets + category").await;
}

#[tokio::test]
async fn paging_incidents_outside_the_data_is_empty() {
    check_incident_query("nothing").await;
}

/// Pages through a camera query and compares with a filter of the sample file.
async fn check_camera_query(
    label: &str,
    kinds: Option<Vec<&str>>,
    bbox: Option<[f64; 4]>,
    from: Option<&str>,
) {
    let (api, t) = sample_server().await;
    let api = &api;
    let cameras = sample_points("sample-data/cameras.csv");
    let mut pairs = vec![("limit", "7".to_owned())];
    if let Some(k) = &kinds {
        pairs.push(("kind", k.join(",")));
    }
    if let Some(b) = bbox {
        pairs.push((
            "bbox",
            b.iter().map(f64::to_string).collect::<Vec<_>>().join(","),
        ));
    }
    if let Some(f) = from {
        pairs.push(("from", f.to_owned()));
    }
    let (matched, features) = walk(
        api,
        Some(&t.viewer),
        &format!(
            "/api/v1/cameras?{}",
            serde_urlencoded::to_string(&pairs).unwrap()
        ),
        7,
    )
    .await;
    assert_paged_ids(label, matched, &features);
    let expected: BTreeSet<String> = cameras
        .iter()
        .filter(|c| {
            kinds
                .as_ref()
                .is_none_or(|k| k.contains(&c["kind"].as_str()))
        })
        .filter(|c| {
            bbox.is_none_or(|[a, b, cc, d]| {
                let (x, y): (f64, f64) = (c["lon"].parse().unwrap(), c["lat"].parse().unwrap());
                x >= a && x <= cc && y >= b && y <= d
            })
        })
        .filter(|c| {
            from.is_none_or(|f| {
                !c["installed_at"].is_empty() && instant(&c["installed_at"]) >= instant(f)
            })
        })
        .map(|c| c["external_id"].clone())
        .collect();
    let got: BTreeSet<String> = features
        .iter()
        .map(|f| f["properties"]["external_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!expected.is_empty(), "{label}");
    assert_eq!(got, expected, "{label}");
}

#[tokio::test]
async fn paging_cameras_by_kind() {
    check_camera_query("cameras ptz,anpr", Some(vec!["ptz", "anpr"]), None, None).await;
}

#[tokio::test]
async fn paging_cameras_in_a_box_installed_since_a_date() {
    check_camera_query(
        "cameras in a box since 2021",
        None,
        Some([106.65, 10.74, 106.75, 10.82]),
        Some("2021-01-01"),
    )
    .await;
}

#[tokio::test]
async fn paging_models_by_kind() {
    let (api, t) = sample_server().await;
    let api = &api;
    let models = sample_points("sample-data/models.csv");
    let (matched, features) = walk(
        api,
        Some(&t.viewer),
        "/api/v1/models?limit=7&kind=security_team,religious_group",
        7,
    )
    .await;
    assert_paged_ids("models", matched, &features);
    let expected = models
        .iter()
        .filter(|m| ["security_team", "religious_group"].contains(&m["kind"].as_str()))
        .count();
    assert!(expected > 0);
    assert_eq!(features.len(), expected, "models by kind");
}

#[tokio::test]
async fn paging_areas_by_kind_needs_no_token() {
    let (api, _) = sample_server().await;
    let api = &api;
    let (matched, features) = walk(api, None, "/api/v1/areas?limit=7&kind=ward", 7).await;
    assert_paged_ids("areas", matched, &features);
    let sample_areas: Value = serde_json::from_slice(
        &std::fs::read(common::repo_path("sample-data/areas.geojson")).unwrap(),
    )
    .unwrap();
    let wards: BTreeSet<&str> = sample_areas["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["kind"] == "ward")
        .map(|f| f["properties"]["code"].as_str().unwrap())
        .collect();
    let got: BTreeSet<&str> = features
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(got, wards, "areas by kind");
}

/// An incident written while a client pages shows up on a later page, once, and the earlier
/// ids are neither repeated nor skipped (paging is by id, not by offset). This case writes,
/// so it has a server of its own.
#[tokio::test]
async fn paging_an_incident_written_between_pages_comes_once_on_a_later_page() {
    let s = start(TestDb::sqlite().await, async |svc: &Service| {
        load_sample(svc).await;
    })
    .await;
    let (api, t) = (&s.api, &s.tokens);
    let all = sample_incidents();
    let small = Query {
        bbox: Some([106.69, 10.77, 106.70, 10.78]),
        ..Query::default()
    };
    let before = small.brute_force(&all).len();
    assert!(before >= 3, "a box with a few incidents ({before})");
    let small_url = format!(
        "/api/v1/incidents?{}",
        serde_urlencoded::to_string(small.pairs(1)).unwrap()
    );
    let first = api.get(&small_url, Some(&t.viewer)).await.ok(200);
    let next = first["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post_body(
        "/api/v1/incidents",
        Some(&t.editor),
        "text/csv",
        csv_body(&["PAGE-NEW,2024-05-01 10:00,theft,,,106.695,10.775,,"]),
    )
    .await
    .ok(201);
    let (matched, rest) = walk(api, Some(&t.viewer), &next, 1).await;
    assert_eq!(usize::try_from(matched).unwrap(), before + 1);
    assert_eq!(
        rest.len() + 1,
        before + 1,
        "the pages after the write hold the rest and the new one"
    );
    assert_eq!(
        rest.last().unwrap()["properties"]["external_id"],
        "PAGE-NEW"
    );
    assert!(!ids_of(&rest).contains(&first["features"][0]["id"].as_i64().unwrap()));

    s.db.cleanup().await;
}

/// limit: above the maximum is clamped, 0 and negatives are refused.
#[tokio::test]
async fn paging_limit_above_the_maximum_is_clamped_and_zero_negative_or_text_refused() {
    let (api, t) = sample_server().await;
    let api = &api;
    let r = api
        .get("/api/v1/incidents?limit=20000", Some(&t.viewer))
        .await;
    let fc = r.ok(200);
    assert_eq!(fc["numberReturned"], json!(10_000), "clamped to 10,000");
    assert_eq!(fc["features"].as_array().unwrap().len(), 10_000);
    assert!(
        fc["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "next"),
        "a clamped page still links on"
    );
    let fc = api.get("/api/v1/areas?limit=99999999", None).await.ok(200);
    assert_eq!(fc["numberReturned"], json!(120));
    let p = api
        .get("/api/v1/incidents?limit=0", Some(&t.viewer))
        .await
        .problem(400);
    assert_eq!(p["parameter"], "limit", "{p}");
    api.get("/api/v1/incidents?limit=-3", Some(&t.viewer))
        .await
        .problem(400);
    api.get("/api/v1/incidents?limit=ten", Some(&t.viewer))
        .await
        .problem(400);
}

#[tokio::test]
async fn unknown_misspelt_and_misplaced_listing_parameters_are_400() {
    let (api, t) = sample_server().await;
    let api = &api;
    for (path, names) in [
        ("/api/v1/incidents?limti=7", "limti"),
        (
            "/api/v1/incidents?bbox=106.6,10.7,106.8,10.9&Category=theft",
            "Category",
        ),
        ("/api/v1/areas?page=2", "page"),
        ("/api/v1/cameras?crs=EPSG:4326", "crs"),
    ] {
        let p = api.get(path, Some(&t.viewer)).await.problem(400);
        assert!(p["detail"].as_str().unwrap().contains(names), "{path}: {p}");
    }
    for (path, param) in [
        ("/api/v1/incidents?kind=ptz", "kind"),
        ("/api/v1/cameras?category=theft", "category"),
        ("/api/v1/areas?from=2024-01-01", "from"),
        ("/api/v1/areas?year=2024&to=2024-06-01", "to"),
        (
            "/api/v1/incidents?category=burglary_of_the_moon",
            "category",
        ),
        ("/api/v1/incidents?severity=catastrophic", "severity"),
        ("/api/v1/incidents?from=yesterday", "from"),
        ("/api/v1/incidents?from=2024-02-01&to=2024-01-01", "to"),
        ("/api/v1/incidents?cursor=abc", "cursor"),
        ("/api/v1/incidents?f=xml", "f"),
    ] {
        let p = api.get(path, Some(&t.viewer)).await.problem(400);
        assert_eq!(p["parameter"], param, "{path}: {p}");
    }
}

#[tokio::test]
async fn bad_boxes_are_400_naming_bbox_on_every_layer() {
    let (api, t) = sample_server().await;
    let api = &api;
    for bbox in [
        "1,2,3",
        "a,b,c,d",
        "106.8,10.7,106.6,10.9",
        "106.6,10.9,106.8,10.7",
        "200,0,201,1",
        "106.6,-91,106.8,10",
        "NaN,10,106,11",
        "106.6,10.7,106.8,10.9,1",
        "",
    ] {
        for layer in ["incidents", "cameras", "areas"] {
            let path = format!("/api/v1/{layer}?{}", query(&[("bbox", bbox)]));
            let p = api.get(&path, Some(&t.viewer)).await.problem(400);
            assert_eq!(p["parameter"], "bbox", "{path}: {p}");
            assert!(
                p["detail"].as_str().unwrap().contains("bbox"),
                "{path}: {p}"
            );
        }
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn sample_points(rel: &str) -> Vec<BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(common::repo_path(rel)).unwrap();
    rdr.deserialize().map(|r| r.unwrap()).collect()
}

// ---------------------------------------------------------------------------------------
// GeoJSON shape (RFC 7946)
// ---------------------------------------------------------------------------------------

fn decimals(v: f64) -> usize {
    let s = v.to_string();
    s.split_once('.').map_or(0, |(_, d)| d.len())
}

fn check_position(label: &str, p: &Value) -> (f64, f64) {
    let a = p
        .as_array()
        .unwrap_or_else(|| panic!("{label}: a position is an array: {p}"));
    assert_eq!(a.len(), 2, "{label}: positions are [lon, lat]: {p}");
    let (lon, lat) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
    assert!(
        (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat),
        "{label}: out of range {p}"
    );
    // Ho Chi Minh City: lon ≈ 106.x, lat ≈ 10.x (so lon/lat are not swapped).
    assert!(
        (106.3..=107.1).contains(&lon) && (10.3..=11.2).contains(&lat),
        "{label}: not in HCMC (swapped?) {p}"
    );
    assert!(
        decimals(lon) <= 6 && decimals(lat) <= 6,
        "{label}: more than 6 decimals {p}"
    );
    (lon, lat)
}

/// Twice the signed area (shoelace): positive when counter-clockwise.
fn signed_area2(ring: &[(f64, f64)]) -> f64 {
    ring.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum()
}

fn check_polygon(label: &str, rings: &Value) {
    let rings = rings.as_array().unwrap();
    assert!(!rings.is_empty(), "{label}: a polygon has a ring");
    for (ri, ring) in rings.iter().enumerate() {
        let pts: Vec<(f64, f64)> = ring
            .as_array()
            .unwrap()
            .iter()
            .map(|p| check_position(label, p))
            .collect();
        assert!(
            pts.len() >= 4,
            "{label}: ring {ri} has {} positions",
            pts.len()
        );
        assert_eq!(pts.first(), pts.last(), "{label}: ring {ri} is closed");
        let a = signed_area2(&pts);
        if ri == 0 {
            assert!(
                a > 0.0,
                "{label}: the exterior ring is counter-clockwise (signed area {a})"
            );
        } else {
            assert!(a < 0.0, "{label}: hole {ri} is clockwise (signed area {a})");
        }
    }
}

fn no_crs(label: &str, v: &Value) {
    match v {
        Value::Object(o) => {
            assert!(
                !o.contains_key("crs"),
                "{label}: RFC 7946 has no crs member"
            );
            o.values().for_each(|x| no_crs(label, x));
        }
        Value::Array(a) => a.iter().for_each(|x| no_crs(label, x)),
        _ => {}
    }
}

fn check_feature(label: &str, f: &Value) -> &'static str {
    assert_eq!(f["type"], "Feature", "{label}");
    assert!(f["properties"].is_object(), "{label}: properties");
    assert!(f["id"].is_i64() || f["id"].is_string(), "{label}: id");
    let g = &f["geometry"];
    match g["type"].as_str() {
        Some("Point") => {
            check_position(label, &g["coordinates"]);
            "Point"
        }
        Some("Polygon") => {
            check_polygon(label, &g["coordinates"]);
            "Polygon"
        }
        Some("MultiPolygon") => {
            for p in g["coordinates"].as_array().unwrap() {
                check_polygon(label, p);
            }
            "MultiPolygon"
        }
        other => panic!("{label}: unexpected geometry {other:?}"),
    }
}

/// Checks a GeoJSON response; returns the collection and its geometry types.
fn check_collection(label: &str, r: &Resp) -> (Value, BTreeSet<&'static str>) {
    assert_eq!(r.status, 200, "{label}: {}", r.text());
    assert!(
        r.content_type().starts_with(GEOJSON),
        "{label}: content-type {}",
        r.content_type()
    );
    let fc = r.json();
    assert_eq!(fc["type"], "FeatureCollection", "{label}");
    no_crs(label, &fc);
    assert!(
        fc["numberMatched"].is_u64() && fc["numberReturned"].is_u64(),
        "{label}"
    );
    let features = fc["features"].as_array().unwrap();
    assert_eq!(
        fc["numberReturned"].as_u64(),
        Some(features.len() as u64),
        "{label}"
    );
    let types = features.iter().map(|f| check_feature(label, f)).collect();
    (fc, types)
}

#[tokio::test]
async fn geojson_responses_follow_rfc_7946() {
    let s = start(TestDb::sqlite().await, async |svc: &Service| {
        load_sample(svc).await;
    })
    .await;
    let (api, t) = (&s.api, &s.tokens);
    for (path, token, geometry, count) in [
        (
            "/api/v1/incidents?limit=10000",
            Some(&t.viewer),
            "Point",
            10_000,
        ),
        (
            "/api/v1/incidents?limit=500&bbox=106.68,10.75,106.72,10.79&category=theft",
            Some(&t.viewer),
            "Point",
            0,
        ),
        ("/api/v1/cameras?limit=10000", Some(&t.viewer), "Point", 300),
        (
            "/api/v1/models?limit=10000&f=geojson",
            Some(&t.viewer),
            "Point",
            250,
        ),
        ("/api/v1/areas?limit=10000&f=json", None, "Polygon", 120),
        (
            "/api/v1/areas?bbox=106.69,10.77,106.70,10.78",
            None,
            "Polygon",
            0,
        ),
    ] {
        let r = api.get(path, token.map(String::as_str)).await;
        let (fc, types) = check_collection(path, &r);
        assert_eq!(
            types.into_iter().collect::<Vec<_>>(),
            vec![geometry],
            "{path}"
        );
        let n = fc["features"].as_array().unwrap().len();
        if count > 0 {
            assert_eq!(n, count, "{path}");
        } else {
            assert!(n > 0, "{path}: the filter matches something");
        }
    }
    // A single area is a Feature with the same rules.
    let r = api.get("/api/v1/areas/ward-q1-01", None).await;
    assert!(
        r.content_type().starts_with(GEOJSON),
        "{}",
        r.content_type()
    );
    let f = r.ok(200);
    no_crs("area", &f);
    assert_eq!(check_feature("area", &f), "Polygon");
    assert_eq!(f["properties"]["code"], "ward-q1-01");
    api.get("/api/v1/areas/no-such-area", None)
        .await
        .problem(404);

    // Areas given clockwise, with a counter-clockwise hole and 9 decimals, come back in RFC
    // 7946 winding, rounded to 6 decimals, closed.
    let cw_exterior = json!([
        [106.700000001, 10.780000004],
        [106.700000001, 10.790000004],
        [106.710000009, 10.790000004],
        [106.710000009, 10.780000004],
        [106.700000001, 10.780000004]
    ]);
    let ccw_hole = json!([
        [106.703, 10.783],
        [106.707, 10.783],
        [106.707, 10.787],
        [106.703, 10.787],
        [106.703, 10.783]
    ]);
    let body = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "wound-cw", "name": "Clockwise", "kind": "complex_area"},
         "geometry": {"type": "Polygon", "coordinates": [cw_exterior, ccw_hole]}},
        {"type": "Feature", "properties": {"code": "multi", "name": "Two parts", "kind": "complex_area"},
         "geometry": {"type": "MultiPolygon", "coordinates": [[cw_exterior], [[[106.72, 10.78], [106.72, 10.79], [106.73, 10.79], [106.72, 10.78]]]]}},
    ]});
    api.post_body("/api/v1/areas", Some(&t.editor), GEOJSON, body.to_string())
        .await
        .ok(201);
    let f = api.get("/api/v1/areas/wound-cw", None).await.ok(200);
    assert_eq!(check_feature("wound-cw", &f), "Polygon");
    assert_eq!(
        f["geometry"]["coordinates"].as_array().unwrap().len(),
        2,
        "the hole is kept"
    );
    let f = api.get("/api/v1/areas/multi", None).await.ok(200);
    assert_eq!(check_feature("multi", &f), "MultiPolygon");
    let r = api
        .get("/api/v1/areas?limit=10000&kind=complex_area", None)
        .await;
    let (fc, _) = check_collection("complex areas", &r);
    assert!(fc["numberReturned"].as_u64().unwrap() >= 2);

    // Properties carry times in the committee's zone.
    let fc = api
        .get("/api/v1/incidents?limit=5", Some(&t.viewer))
        .await
        .ok(200);
    for f in fc["features"].as_array().unwrap() {
        let at = f["properties"]["occurred_at"].as_str().unwrap();
        assert!(at.ends_with("+07:00"), "{at}");
    }
    s.db.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// Compression
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn responses_are_gzipped_when_asked() {
    let s = start(TestDb::sqlite().await, async |svc: &Service| {
        load_small(svc, 300).await;
    })
    .await;
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    for (path, token) in [
        ("/api/v1/areas?limit=10000", None),
        (
            "/api/v1/incidents?limit=300",
            Some(s.tokens.viewer.as_str()),
        ),
        ("/api/v1/openapi.json", None),
    ] {
        let url = s.api.url(path);
        let with_token = |rq: reqwest::RequestBuilder| match token {
            Some(t) => rq.bearer_auth(t),
            None => rq,
        };
        let gz = with_token(raw.get(&url).header(header::ACCEPT_ENCODING, "gzip"))
            .send()
            .await
            .unwrap();
        assert_eq!(gz.status(), 200, "{path}");
        assert_eq!(
            gz.headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok()),
            Some("gzip"),
            "{path}"
        );
        let vary = gz
            .headers()
            .get_all(header::VARY)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
            .to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "{path}: Vary {vary:?}");
        let gz_body = gz.bytes().await.unwrap();
        assert_eq!(&gz_body[..2], &[0x1f, 0x8b], "{path}: a gzip stream");

        let plain = with_token(raw.get(&url)).send().await.unwrap();
        assert!(
            plain.headers().get(header::CONTENT_ENCODING).is_none(),
            "{path}: no encoding unless asked"
        );
        let plain_body = plain.bytes().await.unwrap();
        assert!(
            gz_body.len() * 2 < plain_body.len(),
            "{path}: gzip shrinks JSON ({} vs {})",
            gz_body.len(),
            plain_body.len()
        );
        let plain_json: Value = serde_json::from_slice(&plain_body).unwrap();

        // The decompressing client reads the same document.
        let auto = with_token(s.api.http.get(&url)).send().await.unwrap();
        let auto_json: Value = auto.json().await.unwrap();
        let strip = |mut v: Value| {
            if let Some(o) = v.as_object_mut() {
                o.remove("timeStamp");
            }
            v
        };
        assert_eq!(strip(auto_json), strip(plain_json), "{path}");
    }
    s.db.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------------------

/// Every route of the API router, with its methods, and which need a token.
const ROUTES: &[(&str, &str, bool)] = &[
    ("/api/v1/extent", "get", false),
    ("/healthz", "get", false),
    ("/api/v1/", "get", false),
    ("/api/v1/incidents", "get", true),
    ("/api/v1/incidents", "post", true),
    ("/api/v1/cameras", "get", true),
    ("/api/v1/cameras", "post", true),
    ("/api/v1/models", "get", true),
    ("/api/v1/models", "post", true),
    ("/api/v1/areas", "get", false),
    ("/api/v1/areas", "post", true),
    ("/api/v1/areas/{code}", "get", false),
    ("/api/v1/areas/{code}/history", "get", true),
    ("/api/v1/areas/{code}/kpis", "get", true),
    ("/api/v1/areas/{code}/designations", "post", true),
    ("/api/v1/areas/{code}/designations/{year}", "patch", true),
    ("/api/v1/areas/{code}/transitions", "post", true),
    ("/api/v1/programme/{year}/areas", "get", true),
    ("/api/v1/report", "get", true),
    ("/api/v1/catalogue", "get", false),
    ("/api/v1/outliers", "get", true),
    ("/api/v1/catalogue/{kind}/{code}", "put", true),
    (
        "/api/v1/catalogue/harm_weights/{category}/{severity}",
        "put",
        true,
    ),
    (
        "/api/v1/catalogue/harm_weights/{category}/{severity}",
        "delete",
        true,
    ),
    ("/api/v1/tokens", "get", true),
    ("/api/v1/tokens", "post", true),
    ("/api/v1/tokens/{id}", "delete", true),
    ("/api/v1/openapi.json", "get", false),
    // Sign-in takes a token in its body, not a bearer header (tests/it/session.rs).
    ("/api/v1/session", "get", false),
    ("/api/v1/session", "post", false),
    ("/api/v1/session", "delete", false),
    // Aggregates need a token unless the server runs with --public-aggregates (the test
    // server does not), so the document lists the bearer scheme as optional for them.
    ("/api/v1/density", "get", true),
    ("/api/v1/hotspots", "get", true),
    ("/api/v1/hotspots/zones", "get", true),
    ("/api/v1/hotspots/emerging", "get", true),
    ("/api/v1/kde", "get", true),
    ("/api/v1/clusters", "get", true),
];

fn concrete(path: &str) -> String {
    path.replace("{code}", "ward-q1-01")
        .replace("{kind}", "categories")
        .replace("{id}", "1")
        .replace("{year}", "2024")
        .replace("{category}", "theft")
        .replace("{severity}", "serious")
}

/// A server over the areas and 10 incidents on SQLite, shared by the cases that only read
/// (the OpenAPI document, the built-in catalogue).
async fn small_server() -> (Api, &'static Tokens) {
    static SERVER: tokio::sync::OnceCell<Server> = tokio::sync::OnceCell::const_new();
    let s = common::shared(&SERVER, || async {
        start(
            common::shared_sqlite("http-small"),
            async |svc: &Service| load_small(svc, 10).await,
        )
        .await
    })
    .await;
    (Api::new(s.api.base.clone()), &s.tokens)
}

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// The OpenAPI document, asserted to be JSON and OpenAPI 3.
async fn openapi_document(api: &Api) -> Value {
    let r = api.get("/api/v1/openapi.json", None).await;
    assert!(
        r.content_type().starts_with("application/json"),
        "{}",
        r.content_type()
    );
    let doc = r.ok(200);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "openapi {}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    doc
}

#[tokio::test]
async fn openapi_is_a_3_x_document_with_the_bearer_scheme() {
    let (api, _) = small_server().await;
    let doc = openapi_document(&api).await;
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert!(
        scheme["scheme"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("bearer")),
        "{scheme}"
    );
}

/// Every route is documented, with the bearer scheme exactly where a token is needed, and
/// the router really serves it (neither 404 nor 405), with or without a token as documented.
#[tokio::test]
async fn openapi_documents_every_route_and_the_router_serves_it() {
    let (api, _) = small_server().await;
    let api = &api;
    let doc = openapi_document(api).await;
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method, secured) in ROUTES {
        let op = paths
            .get(*path)
            .and_then(|p| p.get(*method))
            .unwrap_or_else(|| panic!("{method} {path} is not documented"));
        let security = op
            .get("security")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let uses_bearer = security.iter().any(|s| s.get("bearer").is_some());
        assert_eq!(
            uses_bearer, *secured,
            "{method} {path}: security {security:?}"
        );
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path}: responses"
        );
        if *secured {
            assert!(
                op["responses"].get("401").is_some(),
                "{method} {path}: documents 401"
            );
        }

        let m = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
        let body =
            (*method == "post" || *method == "put").then(|| ("application/json", b"{}".to_vec()));
        let r = api.send(m, &concrete(path), None, body).await;
        assert!(
            r.status != 404 && r.status != 405,
            "{method} {path}: {} {}",
            r.status,
            r.text()
        );
        if *secured {
            r.problem(401);
        } else if *path == "/api/v1/session" {
            // Nobody signed in (200, signed_in false), an empty sign-in body (400), signing
            // out (204).
            let want = match *method {
                "get" => 200,
                "post" => 400,
                _ => 204,
            };
            assert_eq!(r.status, want, "{method} {path}: {}", r.text());
        } else {
            assert_eq!(r.status, 200, "{method} {path} is public: {}", r.text());
        }
    }
}

#[tokio::test]
async fn openapi_documents_nothing_the_router_does_not_serve() {
    let (api, _) = small_server().await;
    let doc = openapi_document(&api).await;
    let paths = doc["paths"].as_object().expect("paths");
    let listed: BTreeSet<(&str, &str)> = ROUTES.iter().map(|(p, m, _)| (*p, *m)).collect();
    for (path, item) in paths {
        for m in METHODS {
            if item.get(m).is_some() {
                assert!(
                    listed.contains(&(path.as_str(), m)),
                    "{m} {path} is documented but not in the route list"
                );
            }
        }
    }
    assert_eq!(
        paths
            .values()
            .map(|i| METHODS.iter().filter(|m| i.get(**m).is_some()).count())
            .sum::<usize>(),
        ROUTES.len()
    );
}

/// The parameters of listings are documented, so clients can build queries, and the problem
/// schema is there for the error responses.
#[tokio::test]
async fn openapi_documents_listing_parameters_and_the_problem_schema() {
    let (api, _) = small_server().await;
    let doc = openapi_document(&api).await;
    let paths = doc["paths"].as_object().expect("paths");
    let params: BTreeSet<&str> = paths["/api/v1/incidents"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in [
        "bbox", "from", "to", "category", "severity", "limit", "cursor",
    ] {
        assert!(
            params.contains(name),
            "incidents documents {name}: {params:?}"
        );
    }
    // The problem schema is there for the error responses.
    assert!(doc["components"]["schemas"].get("Problem").is_some());
}

/// Every `"$ref"` string anywhere in `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The problem responses are declared once, as `components.responses` (problem+json with
/// the `Problem` schema), and every 4xx of every operation refers to the one of its status;
/// every `$ref` of the document resolves.
#[tokio::test]
async fn openapi_declares_problem_responses_once() {
    let s = start(TestDb::sqlite().await, async |svc: &Service| {
        load_small(svc, 10).await;
    })
    .await;
    let doc = s.api.get("/api/v1/openapi.json", None).await.ok(200);
    let status_of: BTreeMap<&str, u16> = [
        ("BadRequest", 400),
        ("Unauthorized", 401),
        ("Forbidden", 403),
        ("NotFound", 404),
        ("Conflict", 409),
        ("PayloadTooLarge", 413),
        ("UnsupportedMediaType", 415),
        ("UnprocessableEntity", 422),
    ]
    .into_iter()
    .collect();
    let components = doc["components"]["responses"]
        .as_object()
        .expect("components.responses");
    assert_eq!(
        components.keys().map(String::as_str).collect::<Vec<_>>(),
        status_of.keys().copied().collect::<Vec<_>>()
    );
    for (name, r) in components {
        assert!(
            r["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}: {r}"
        );
        let content = r["content"].as_object().expect("content");
        assert_eq!(
            content.keys().collect::<Vec<_>>(),
            ["application/problem+json"],
            "{name}: {r}"
        );
        assert_eq!(
            content["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem",
            "{name}: {r}"
        );
    }
    let mut used = BTreeSet::new();
    let mut problems = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, r) in op["responses"].as_object().unwrap() {
                let code: u16 = status.parse().unwrap();
                if code < 400 {
                    assert!(r.get("$ref").is_none(), "{method} {path} {status}: {r}");
                    continue;
                }
                let name = r["$ref"]
                    .as_str()
                    .and_then(|t| t.strip_prefix("#/components/responses/"))
                    .unwrap_or_else(|| panic!("{method} {path} {status} is not a $ref: {r}"));
                assert_eq!(
                    status_of.get(name),
                    Some(&code),
                    "{method} {path} {status} refers to {name}"
                );
                used.insert(name.to_owned());
                problems += 1;
            }
        }
    }
    assert!(problems > 60, "{problems} problem responses");
    assert_eq!(used.len(), components.len(), "unused: {used:?}");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    // The older form of the programme's overview documents its redirect.
    let listing = &doc["paths"]["/api/v1/areas"]["get"]["responses"];
    assert!(
        listing["308"]["headers"].get("Location").is_some(),
        "{listing}"
    );
    assert!(listing.get("401").is_none(), "{listing}");
    s.db.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// Catalogue
// ---------------------------------------------------------------------------------------

/// The codes of one catalogue list.
fn codes(c: &Value, k: &str) -> Vec<String> {
    c[k].as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

fn dog_theft_labels() -> Value {
    json!({"label_vi": "Trộm chó", "label_en": "Dog theft"})
}

/// A server of its own (a catalogue case writes) over the areas and 10 incidents.
async fn catalogue_server() -> Server {
    start(TestDb::sqlite().await, async |svc: &Service| {
        load_small(svc, 10).await;
    })
    .await
}

#[tokio::test]
async fn catalogue_is_public_with_the_built_in_codes_and_labels() {
    let (api, _) = small_server().await;
    let c = api.get("/api/v1/catalogue", None).await.ok(200);
    let cats = codes(&c, "categories");
    for code in [
        "theft",
        "snatching",
        "robbery",
        "fraud",
        "drugs",
        "murder",
        "other",
    ] {
        assert!(cats.contains(&code.to_owned()), "{code} in {cats:?}");
    }
    let theft = c["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "theft")
        .unwrap();
    assert_eq!(theft["label_vi"], "Trộm cắp tài sản");
    assert_eq!(theft["label_en"], "Theft");
    assert!(codes(&c, "model_kinds").contains(&"team_363".to_owned()));
}

/// A category is unknown (to imports and filters) until an editor adds it; the edit is a
/// new data version, and imports then use it by code or by label.
#[tokio::test]
async fn catalogue_a_category_added_by_an_editor_is_used_by_imports_and_filters() {
    let s = catalogue_server().await;
    let (api, t) = (&s.api, &s.tokens);
    let labels = dog_theft_labels();
    let row = "DOG-1,2024-05-01 10:00,dog_theft,,,106.70,10.78,,";
    // Unknown until added.
    api.post_body(
        "/api/v1/incidents",
        Some(&t.editor),
        "text/csv",
        csv_body(&[row]),
    )
    .await
    .problem(422);
    api.get("/api/v1/incidents?category=dog_theft", Some(&t.viewer))
        .await
        .problem(400);
    api.put_json("/api/v1/catalogue/categories/dog_theft", None, &labels)
        .await
        .problem(401);
    api.put_json(
        "/api/v1/catalogue/categories/dog_theft",
        Some(&t.viewer),
        &labels,
    )
    .await
    .problem(403);
    let version = api.health().await["data_version"].clone();
    let e = api
        .put_json(
            "/api/v1/catalogue/categories/dog_theft",
            Some(&t.editor),
            &labels,
        )
        .await
        .ok(200);
    assert_eq!(
        e,
        json!({"code": "dog_theft", "label_vi": "Trộm chó", "label_en": "Dog theft"})
    );
    assert_ne!(
        api.health().await["data_version"],
        version,
        "a catalogue edit is a new data version"
    );
    let c = api.get("/api/v1/catalogue", None).await.ok(200);
    assert!(codes(&c, "categories").contains(&"dog_theft".to_owned()));
    // A catalogued category with no incident yet matches nothing (and is not an error).
    assert_eq!(
        api.get("/api/v1/incidents?category=dog_theft", Some(&t.viewer))
            .await
            .ok(200)["numberMatched"],
        json!(0)
    );
    // Imports use it, by code or by label.
    api.post_body(
        "/api/v1/incidents",
        Some(&t.editor),
        "text/csv",
        csv_body(&[row, "DOG-2,2024-05-01 11:00,Trộm chó,,,106.70,10.78,,"]),
    )
    .await
    .ok(201);
    let fc = api
        .get("/api/v1/incidents?category=dog_theft", Some(&t.viewer))
        .await
        .ok(200);
    assert_eq!(fc["numberMatched"], json!(2), "{fc}");
    assert_eq!(fc["features"][1]["properties"]["category"], "dog_theft");
    s.db.cleanup().await;
}

#[tokio::test]
async fn catalogue_relabelling_a_category_keeps_its_code() {
    let s = catalogue_server().await;
    let (api, t) = (&s.api, &s.tokens);
    api.put_json(
        "/api/v1/catalogue/categories/dog_theft",
        Some(&t.editor),
        &dog_theft_labels(),
    )
    .await
    .ok(200);
    api.put_json(
        "/api/v1/catalogue/categories/dog_theft",
        Some(&t.editor),
        &json!({"label_vi": "Trộm chó mèo", "label_en": "Pet theft"}),
    )
    .await
    .ok(200);
    let c = api.get("/api/v1/catalogue", None).await.ok(200);
    let e = c["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "dog_theft")
        .unwrap();
    assert_eq!(e["label_en"], "Pet theft");
    assert_eq!(
        codes(&c, "categories")
            .iter()
            .filter(|c| *c == "dog_theft")
            .count(),
        1
    );
    s.db.cleanup().await;
}

#[tokio::test]
async fn catalogue_model_kinds_are_extended_likewise() {
    let s = catalogue_server().await;
    let (api, t) = (&s.api, &s.tokens);
    api.put_json(
        "/api/v1/catalogue/model_kinds/zalo_watch",
        Some(&t.editor),
        &json!({"label_vi": "Nhóm Zalo", "label_en": "Zalo watch"}),
    )
    .await
    .ok(200);
    let model = json!([{"external_id": "MH-NEW", "lon": 106.7, "lat": 10.78, "kind": "zalo_watch", "name": "Nhóm Zalo khu phố 1"}]);
    api.post_body(
        "/api/v1/models",
        Some(&t.editor),
        "application/json",
        model.to_string(),
    )
    .await
    .ok(201);
    s.db.cleanup().await;
}

#[tokio::test]
async fn catalogue_bad_edits_are_refused_and_add_nothing() {
    let s = catalogue_server().await;
    let (api, t) = (&s.api, &s.tokens);
    let labels = dog_theft_labels();
    for (path, body, status, parameter) in [
        (
            "/api/v1/catalogue/categories/Dog%20Theft",
            labels.clone(),
            400,
            Some("code"),
        ),
        (
            "/api/v1/catalogue/categories/ok_code",
            json!({"label_vi": "", "label_en": "x"}),
            400,
            Some("label_vi"),
        ),
        (
            "/api/v1/catalogue/categories/ok_code",
            json!({"label_vi": "x"}),
            400,
            Some("body"),
        ),
        (
            "/api/v1/catalogue/categories/ok_code",
            json!({"label_vi": "x", "label_en": "y", "colour": "red"}),
            400,
            Some("body"),
        ),
        (
            "/api/v1/catalogue/weapons/ok_code",
            labels.clone(),
            404,
            None,
        ),
    ] {
        let p = api
            .put_json(path, Some(&t.editor), &body)
            .await
            .problem(status);
        if let Some(name) = parameter {
            assert_eq!(p["parameter"], name, "{path}: {p}");
        }
    }
    let c = api.get("/api/v1/catalogue", None).await.ok(200);
    assert!(
        !codes(&c, "categories").contains(&"ok_code".to_owned()),
        "failed edits add nothing"
    );
    s.db.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// Fallbacks
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405_as_problems() {
    let s = start(TestDb::sqlite().await, async |_: &Service| {}).await;
    let api = &s.api;
    for path in [
        "/nope",
        "/api/v1/nope",
        "/api/v2/incidents",
        "/api/v1/incidents/1/extra",
        "/healthz/x",
    ] {
        let p = api.get(path, None).await.problem(404);
        assert!(p["detail"].as_str().unwrap().contains(path), "{path}: {p}");
    }
    for (method, path) in [
        (reqwest::Method::DELETE, "/api/v1/incidents"),
        (reqwest::Method::PUT, "/api/v1/areas"),
        (reqwest::Method::PATCH, "/api/v1/cameras"),
        (reqwest::Method::POST, "/healthz"),
        (reqwest::Method::POST, "/api/v1/catalogue"),
        (reqwest::Method::GET, "/api/v1/tokens/3"),
        (reqwest::Method::POST, "/api/v1/openapi.json"),
    ] {
        let label = format!("{method} {path}");
        let r = api.send(method, path, None, None).await;
        let p = r.problem(405);
        assert!(p["detail"].as_str().unwrap().contains(path), "{label}: {p}");
    }
    // The map page is HTML, not a problem, and none of the files it references is missing
    // (they are embedded in the binary: nothing comes from elsewhere).
    let r = api.get("/", None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.content_type().starts_with("text/html"),
        "{}",
        r.content_type()
    );
    let page = r.text();
    let refs: BTreeSet<String> = ["href=\"", "src=\""]
        .iter()
        .flat_map(|attr| page.split(attr).skip(1))
        .filter_map(|s| s.split('"').next())
        .filter(|h| !h.starts_with('#') && !h.starts_with("data:"))
        .map(|h| {
            assert!(!h.contains("://"), "the page loads {h} from elsewhere");
            format!("/{}", h.trim_start_matches('/'))
        })
        .collect();
    for want in ["/app.js", "/app.css", "/vendor/maplibre-gl.css"] {
        assert!(refs.contains(want), "{want} in {refs:?}");
    }
    for href in refs {
        assert_eq!(
            api.get(&href, None).await.status,
            200,
            "the map page links {href}"
        );
    }
    // The landing page answers with and without the trailing slash.
    let with = api.get("/api/v1/", None).await.ok(200);
    assert_eq!(api.get("/api/v1", None).await.ok(200), with);
    assert!(
        with["links"]
            .as_array()
            .is_some_and(|l| l.iter().any(|l| l["href"] == "/api/v1/openapi.json"))
    );
    s.db.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// The data's extent, and small layers whole
// ---------------------------------------------------------------------------------------

#[tokio::test]
#[expect(
    clippy::float_cmp,
    reason = "the public box must not equal any incident coordinate exactly, bit for bit"
)]
async fn extent_says_where_and_when_without_placing_an_incident() {
    // No data: no incident extent, no programme years, but the zone and today.
    let empty = start(TestDb::sqlite().await, async |_: &Service| {}).await;
    let e = empty.api.get("/api/v1/extent", None).await.ok(200);
    assert_eq!(e["incidents"], Value::Null, "{e}");
    assert_eq!(e["programme_years"], json!([]));
    assert_eq!(e["time_zone"], "Asia/Ho_Chi_Minh");
    assert_eq!(e["today"].as_str().unwrap().len(), 10);
    let p = empty
        .api
        .get("/api/v1/extent?from=2024-01-01", None)
        .await
        .problem(400);
    assert!(
        p.to_string().contains("from"),
        "the problem names the parameter: {p}"
    );

    let s = start(TestDb::sqlite().await, async |svc: &Service| {
        load_sample(svc).await;
    })
    .await;
    let (api, t) = (&s.api, &s.tokens);
    let all = sample_incidents();
    let fold = |f: fn(f64, f64) -> f64, g: fn(&SampleIncident) -> f64| {
        all.iter().map(g).reduce(f).unwrap()
    };
    let exact = [
        fold(f64::min, |i| i.lon),
        fold(f64::min, |i| i.lat),
        fold(f64::max, |i| i.lon),
        fold(f64::max, |i| i.lat),
    ];
    let first = all.iter().min_by_key(|i| i.t).unwrap();
    let last = all.iter().max_by_key(|i| i.t).unwrap();

    // Anonymous: whole months, a box on a 0.01° grid that holds every incident, and
    // nothing that is one incident's time or coordinate.
    let e = api.get("/api/v1/extent", None).await.ok(200);
    let inc = &e["incidents"];
    assert_eq!(inc["from"], "2023-01-01", "{e}");
    assert_eq!(inc["to"], "2025-01-01", "{e}");
    for k in ["count", "first", "last"] {
        assert!(inc.get(k).is_none(), "{k} is for signed-in callers: {e}");
    }
    let public: Vec<f64> = inc["bbox"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (i, (p, x)) in public.iter().zip(exact).enumerate() {
        assert!(
            ((p * 100.0).round() - p * 100.0).abs() < 1e-9,
            "{p} on the grid"
        );
        assert!((p - x).abs() < 0.01 + 1e-9, "{p} near {x}");
        assert!(if i < 2 { *p <= x } else { *p >= x }, "{p} holds {x}");
        assert!(
            !all.iter().any(|inc| inc.lon == *p || inc.lat == *p),
            "{p} is no incident's coordinate"
        );
    }

    // Signed in: exact.
    let e = api.get("/api/v1/extent", Some(&t.viewer)).await.ok(200);
    let inc = &e["incidents"];
    assert_eq!(inc["count"], 20_000);
    assert_eq!(inc["bbox"], json!(exact));
    assert_eq!(instant(inc["first"].as_str().unwrap()), first.t);
    assert_eq!(instant(inc["last"].as_str().unwrap()), last.t);
    assert_eq!(inc["from"], "2023-01-01");
    assert_eq!(e["programme_years"], json!([]));
}

#[tokio::test]
async fn small_layers_come_whole_and_incidents_in_pages() {
    let s = start(TestDb::sqlite().await, async |svc: &Service| {
        load_sample(svc).await;
    })
    .await;
    let (api, t) = (&s.api, &s.tokens);
    let has_next = |fc: &Value| {
        fc["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "next")
    };
    for (path, n) in [
        ("/api/v1/areas", 120),
        ("/api/v1/cameras", 300),
        ("/api/v1/models", 250),
    ] {
        let fc = api.get(path, Some(&t.viewer)).await.ok(200);
        assert_eq!(fc["numberReturned"], json!(n), "{path}");
        assert_eq!(fc["numberMatched"], json!(n), "{path}");
        assert!(!has_next(&fc), "{path} is whole");
        // Pages only when asked for.
        let fc = api
            .get(&format!("{path}?limit=50"), Some(&t.viewer))
            .await
            .ok(200);
        assert_eq!(fc["numberReturned"], json!(50), "{path}");
        assert!(has_next(&fc), "{path} in pages");
    }
    let fc = api.get("/api/v1/incidents", Some(&t.viewer)).await.ok(200);
    assert_eq!(fc["numberReturned"], json!(100));
    assert_eq!(fc["numberMatched"], json!(20_000));
    assert!(has_next(&fc));
}
