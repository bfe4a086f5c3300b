//! Shared by the conversion programme's tests (`programme.rs`, `kpis.rs`, `report.rs`): a
//! small HTTP client, fixture builders (square areas, incidents, cameras, models) and
//! tokens.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use diemnong::auth::Role;
use diemnong::ingest::csv::CsvOptions;
use diemnong::ingest::{Layer, RowError};
use diemnong::service::{ImportMode, Service, Source};
use reqwest::header::{self, HeaderMap};
use serde_json::{Value, json};

pub const PROBLEM: &str = "application/problem+json";

pub struct Api {
    pub base: String,
    http: reqwest::Client,
}

#[derive(Debug)]
pub struct Resp {
    pub what: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: body is not JSON ({e}): {}", self.what, self.text()))
    }

    /// Asserts `status` and returns the body as JSON.
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}: {}", self.what, self.text());
        self.json()
    }

    /// Asserts a problem+json response with `status` and returns it.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}: {}", self.what, self.text());
        assert!(
            self.header(header::CONTENT_TYPE).starts_with(PROBLEM),
            "{}: content-type {:?}",
            self.what,
            self.header(header::CONTENT_TYPE)
        );
        let p = self.json();
        assert_eq!(p["status"], json!(status), "{}: {p}", self.what);
        assert!(
            p["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}: {p}",
            self.what
        );
        p
    }
}

impl Api {
    pub fn new(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .unwrap(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let what = format!("{method} {path}");
        let mut rq = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        if let Some(b) = body {
            rq = rq
                .header(header::CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        let res = rq.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        Resp {
            what,
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.bytes().await.unwrap().to_vec(),
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send(reqwest::Method::PATCH, path, token, Some(body))
            .await
    }

    /// Designates `code` for `year` (201 asserted); returns the designation.
    pub async fn designate(&self, token: &str, code: &str, year: i64, extra: Value) -> Value {
        let mut body = json!({
            "year": year,
            "reasons": [format!("Tụ điểm phức tạp {code}")],
            "unit": format!("Công an phường ({code})"),
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.post(
            &format!("/api/v1/areas/{code}/designations"),
            Some(token),
            &body,
        )
        .await
        .ok(201)
    }

    /// Moves `code`'s `year` to `to` (200 asserted); returns the response.
    pub async fn move_to(&self, token: &str, code: &str, year: i64, to: &str, note: &str) -> Value {
        self.post(
            &format!("/api/v1/areas/{code}/transitions"),
            Some(token),
            &json!({"year": year, "to": to, "note": note}),
        )
        .await
        .ok(200)
    }
}

/// A square area `[x0, x0 + d] × [y0, y0 + d]` as a GeoJSON Feature.
pub fn square(
    code: &str,
    name: &str,
    kind: &str,
    x0: f64,
    y0: f64,
    d: f64,
    population: Option<u64>,
) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]]},
        "properties": {"code": code, "name": name, "kind": kind, "population": population},
    })
}

async fn import(service: &Service, layer: Layer, source: Source) {
    let r = service
        .import(
            layer,
            source,
            ImportMode::AllOrNothing,
            Box::new(|_| {}),
            Box::new(|_: &[RowError], _: &str| {}),
        )
        .await
        .expect("import");
    assert!(r.committed, "{layer}: {:?}", r.errors.first());
}

pub async fn import_areas(service: &Service, features: Vec<Value>) {
    let fc = json!({"type": "FeatureCollection", "features": features});
    import(
        service,
        Layer::Areas,
        Source::Json(fc.to_string().into_bytes()),
    )
    .await;
}

fn csv(header: &str, rows: &[String]) -> Source {
    let mut text = format!("{header}\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    Source::Csv {
        reader: Box::new(std::io::Cursor::new(text.into_bytes())),
        options: CsvOptions::default(),
    }
}

/// Incident rows: `external_id,occurred_at,category,severity,solved,lon,lat`.
pub async fn import_incidents(service: &Service, rows: &[String]) {
    import(
        service,
        Layer::Incidents,
        csv(
            "external_id,occurred_at,category,severity,solved,lon,lat",
            rows,
        ),
    )
    .await;
}

/// Camera rows: `external_id,lon,lat,kind,active,installed_at`.
pub async fn import_cameras(service: &Service, rows: &[String]) {
    import(
        service,
        Layer::Cameras,
        csv("external_id,lon,lat,kind,active,installed_at", rows),
    )
    .await;
}

/// Model rows: `external_id,lon,lat,kind,name,established_at,active`.
pub async fn import_models(service: &Service, rows: &[String]) {
    import(
        service,
        Layer::Models,
        csv("external_id,lon,lat,kind,name,established_at,active", rows),
    )
    .await;
}

pub struct Tokens {
    pub viewer: String,
    pub editor: String,
}

pub async fn tokens(service: &Service) -> Tokens {
    Tokens {
        viewer: service
            .create_token("programme viewer", Role::Viewer)
            .await
            .unwrap()
            .1,
        editor: service
            .create_token("Cán bộ biên tập", Role::Editor)
            .await
            .unwrap()
            .1,
    }
}

/// A real server over `service`.
pub async fn server(service: &Arc<Service>) -> Api {
    Api::new(crate::common::spawn_server(Arc::clone(service)).await)
}
