//! One response per endpoint, kept as a reviewed snapshot (`tests/it/snapshots/`, each file
//! named `it__snapshots__NAME.snap` after this module's path): the shape of the API is a
//! contract with GIS tools and the map page, so any change to it shows up in a diff and is
//! reviewed like code. The data is the committed sample (2023–2024) with a small
//! conversion programme written at fixed times; what changes from run to run (the clock,
//! the port) is replaced by a placeholder before comparing.
//!
//! After an intended change: `INSTA_UPDATE=always cargo test --test it snapshots::`, then read
//! the diff of `tests/it/snapshots/` before committing it. (In CI, `CI=true` makes a mismatch
//! fail instead of writing anything.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use common::TestDb;
use diemnong::auth::Role;
use diemnong::domain::{Actor, DesignationTerms, NewDesignation, ProgrammeStatus, Targets, Zone};
use diemnong::http::analysis::AnalysisSettings;
use diemnong::ingest::Layer;
use diemnong::programme::{Move, designate_at, transition_at};
use diemnong::service::Service;
use serde_json::Value;

/// Keys whose values depend on the clock, not on the data.
const VOLATILE: [&str; 4] = ["timeStamp", "computed_at", "today", "created_at"];

/// Unix seconds of a local time in Ho Chi Minh City.
fn at(text: &str) -> i64 {
    Zone::default().parse_instant("at", text).unwrap()
}

/// The sample, and a programme over two complex areas written at fixed times.
async fn service() -> (TestDb, Arc<Service>) {
    let db = TestDb::sqlite().await;
    let service = db.service().await;
    for (layer, file) in [
        (Layer::Areas, "sample-data/areas.geojson"),
        (Layer::Cameras, "sample-data/cameras.csv"),
        (Layer::Models, "sample-data/models.csv"),
        (Layer::Incidents, "sample-data/incidents.csv"),
    ] {
        common::import_file(&service, layer, file).await;
    }
    let by = Actor {
        name: "snapshot".to_owned(),
        token_id: None,
    };
    let snap = service.snapshot();
    let terms = || {
        DesignationTerms::new(
            &["Trộm cắp tài sản tăng".to_owned()],
            &["theft".to_owned()],
            "Công an phường",
            Targets::default(),
            &snap.catalogue,
        )
        .unwrap()
    };
    for (code, year) in [("dbpt-2023-01", 2023), ("dbpt-2023-02", 2023)] {
        let d = NewDesignation::new(code, year, terms(), None).unwrap();
        designate_at(&service, d, &by, at("2023-01-16 09:00"))
            .await
            .unwrap();
    }
    for (code, to, when) in [
        (
            "dbpt-2023-01",
            ProgrammeStatus::InProgress,
            "2023-03-01 10:00",
        ),
        (
            "dbpt-2023-01",
            ProgrammeStatus::Converted,
            "2023-12-20 15:30",
        ),
        (
            "dbpt-2023-02",
            ProgrammeStatus::InProgress,
            "2023-03-02 10:00",
        ),
    ] {
        let m = Move {
            year: 2023,
            to,
            note: Some("snapshot".to_owned()),
            evidence: Vec::new(),
        };
        transition_at(&service, code, &m, &by, at(when))
            .await
            .unwrap();
    }
    // Keys from the ids: the anonymous (perturbed) answers are the same on every run.
    drop(service);
    let service = common::set_record_keys(&db).await;
    (db, service)
}

/// Replaces the clock's values and the server's address with placeholders.
fn normalise(v: &mut Value, base: &str) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if VOLATILE.contains(&k.as_str()) && !x.is_null() {
                    *x = Value::String(format!("[{k}]"));
                } else {
                    normalise(x, base);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| normalise(x, base)),
        Value::String(s) if s.contains(base) => *s = s.replace(base, "http://[server]"),
        _ => {}
    }
}

/// The report's "generated at" time (an RFC 3339 instant after the label) as a placeholder.
fn clock_free_text(text: &str) -> String {
    let mut out = text.to_owned();
    for label in ["Generated at: ", "Lập lúc: "] {
        if let Some(i) = out.find(label) {
            let start = i + label.len();
            let end = out[start..]
                .find([' ', '<', '\n', ','])
                .map_or(out.len(), |n| start + n);
            out.replace_range(start..end, "[generated]");
        }
    }
    out
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    /// The response's status, content type and body, normalised (JSON pretty-printed).
    async fn get(&self, path: &str, token: Option<&str>) -> String {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let ty = r.headers()["content-type"].to_str().unwrap().to_owned();
        let text = r.text().await.unwrap();
        let body = if ty.contains("json") {
            let mut v: Value = serde_json::from_str(&text).unwrap();
            normalise(&mut v, &self.base);
            serde_json::to_string_pretty(&v).unwrap()
        } else {
            clock_free_text(&text.replace(&self.base, "http://[server]"))
        };
        format!("GET {path}\n{status} {ty}\n\n{body}\n")
    }
}

/// A small box in the city centre (Quận 1 and around), so analysis snapshots stay short.
const BOX: &str = "bbox=106.69,10.77,106.71,10.79";

#[tokio::test]
async fn one_response_per_endpoint() {
    let (_db, service) = service().await;
    let (_, viewer) = service.create_token("viewer", Role::Viewer).await.unwrap();
    let base = common::spawn_server_with(
        Arc::clone(&service),
        AnalysisSettings {
            public_aggregates: true,
            ..AnalysisSettings::default()
        },
    )
    .await;
    let c = Client {
        base,
        http: reqwest::Client::new(),
    };
    let v = Some(viewer.as_str());
    let r = "from=2024-01-01&to=2025-01-01";
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        ("landing", "/api/v1/".into(), None),
        ("extent_public", "/api/v1/extent".into(), None),
        ("extent_viewer", "/api/v1/extent".into(), v),
        ("catalogue", "/api/v1/catalogue".into(), None),
        ("session_anonymous", "/api/v1/session".into(), None),
        (
            "incidents_page",
            format!("/api/v1/incidents?limit=3&{BOX}&{r}"),
            v,
        ),
        ("cameras", format!("/api/v1/cameras?{BOX}"), v),
        ("models", format!("/api/v1/models?{BOX}"), v),
        (
            "areas_districts",
            "/api/v1/areas?kind=district&limit=2".into(),
            None,
        ),
        ("area_ward", "/api/v1/areas/ward-q1-01".into(), None),
        ("area_complex", "/api/v1/areas/dbpt-2023-01".into(), None),
        (
            "area_history",
            "/api/v1/areas/dbpt-2023-01/history".into(),
            v,
        ),
        (
            "area_kpis",
            "/api/v1/areas/dbpt-2023-01/kpis?year=2023".into(),
            v,
        ),
        (
            "programme_overview",
            "/api/v1/programme/2023/areas".into(),
            v,
        ),
        (
            "report_csv",
            "/api/v1/report?year=2023&format=csv".into(),
            v,
        ),
        (
            "report_html_en",
            "/api/v1/report?year=2023&lang=en".into(),
            v,
        ),
        ("report_html_vi", "/api/v1/report?year=2023".into(), v),
        ("density", format!("/api/v1/density?res=8&{BOX}&{r}"), v),
        (
            "density_public",
            format!("/api/v1/density?res=9&{BOX}&{r}"),
            None,
        ),
        (
            "density_csv",
            format!("/api/v1/density?res=8&{BOX}&{r}&format=csv"),
            v,
        ),
        ("hotspots", format!("/api/v1/hotspots?res=8&{BOX}&{r}"), v),
        (
            "hotspots_harm",
            format!("/api/v1/hotspots?res=8&weight=harm&{BOX}&{r}"),
            v,
        ),
        (
            "outliers",
            format!("/api/v1/outliers?res=8&permutations=99&{BOX}&{r}"),
            v,
        ),
        (
            "zones",
            format!("/api/v1/hotspots/zones?res=8&{BOX}&{r}"),
            v,
        ),
        (
            "emerging",
            format!("/api/v1/hotspots/emerging?res=7&slice=quarter&{BOX}"),
            v,
        ),
        (
            "kde",
            format!("/api/v1/kde?res=8&bandwidth_m=400&{BOX}&{r}"),
            v,
        ),
        (
            "clusters",
            format!("/api/v1/clusters?eps_m=60&min_points=15&{BOX}&{r}"),
            v,
        ),
        (
            "clusters_csv",
            format!("/api/v1/clusters?eps_m=60&min_points=15&{BOX}&{r}&format=csv"),
            v,
        ),
        ("problem_bad_parameter", "/api/v1/density?res=99".into(), v),
        ("problem_unknown_path", "/api/v1/nothing".into(), None),
        ("problem_needs_token", "/api/v1/incidents".into(), None),
        ("openapi", "/api/v1/openapi.json".into(), None),
    ];
    for (name, path, token) in cases {
        let text = c.get(&path, token).await;
        insta::assert_snapshot!(name, text);
    }
}
