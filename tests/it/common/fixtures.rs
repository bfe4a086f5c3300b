//! Fixture builders for the programme's tests (`programme.rs`, `kpis.rs`, `report.rs`):
//! square areas, incidents, cameras and models imported from a few rows, a token of each
//! role (`http.rs` uses them too), and a real server with its client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use diemnong::auth::Role;
use diemnong::ingest::Layer;
use diemnong::ingest::csv::CsvOptions;
use diemnong::service::{Service, Source};
use serde_json::{Value, json};

use super::api::Api;

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

use super::import;

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

/// One token of each role (the HTTP tests and the programme's).
pub struct Tokens {
    pub viewer: String,
    pub editor: String,
    pub admin: String,
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
        admin: service
            .create_token("test admin", Role::Admin)
            .await
            .unwrap()
            .1,
    }
}

/// A real server over `service`.
pub async fn server(service: &Arc<Service>) -> Api {
    Api::new(super::spawn_server(Arc::clone(service)).await)
}
