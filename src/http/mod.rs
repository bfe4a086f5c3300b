//! The HTTP API (axum). [`app`] builds the router from an [`AppState`]; [`serve`] binds it.
//! Each route family lives in its own module; errors become problem+json in `error`.

pub mod analysis;
pub mod analysis_rows;
pub mod answer;
pub mod areas;
pub mod assets;
pub mod cache;
pub mod catalogue;
pub mod error;
pub mod extent;
pub mod extract;
pub mod features;
pub mod filter;
pub mod openapi;
pub mod public;
pub mod render;
pub mod report;
pub mod session;
pub mod state;
pub mod tokens;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use error::ApiError;
pub use state::AppState;

/// Largest request body (an import of ~300,000 incidents as JSON).
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The whole API as a router (tests drive it in-process or on a real socket).
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/", get(landing))
        .merge(features::router())
        .merge(areas::router())
        .merge(analysis::router())
        .merge(report::router())
        .merge(catalogue::router())
        .merge(tokens::router())
        .merge(session::router())
        .merge(extent::router())
        .merge(openapi::router());
    Router::new()
        .merge(assets::router())
        .route("/healthz", get(health))
        // The landing page as documented and as the map page links it (`nest` serves the
        // nested "/" at "/api/v1" only).
        .route("/api/v1/", get(landing))
        .nest("/api/v1", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CompressionLayer::new().gzip(true))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a handler panicked").into_response()
        }))
}

/// Serves `router` on `listener` until Ctrl-C / SIGTERM, with periodic catch-up of writes
/// made by other processes (the CLI, other replicas).
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    refresh_every: Duration,
) -> std::io::Result<()> {
    let snapshots = Arc::clone(&state.snapshots);
    let refresher = tokio::spawn(async move {
        let mut tick = tokio::time::interval(refresh_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is at once: the containment lists of the loaded snapshot, and
        // later of any new one, are built here, off the requests' path.
        let mut warm = true;
        loop {
            tick.tick().await;
            match snapshots.refresh().await {
                Ok(changed) => warm |= changed,
                Err(e) => tracing::warn!(error = %e, "refresh from the database failed"),
            }
            if std::mem::take(&mut warm) {
                let snap = snapshots.current();
                let version = snap.version;
                let started = std::time::Instant::now();
                let warmed = std::sync::Arc::clone(&snap);
                match tokio::task::spawn_blocking(move || warmed.incidents.warm_containment()).await
                {
                    // Said in the log so that an operator (and scripts/bench-http.sh) can
                    // tell when counting runs at full speed.
                    Ok(()) => tracing::info!(
                        data_version = version,
                        seconds = started.elapsed().as_secs_f64(),
                        "containment lists built"
                    ),
                    Err(e) => tracing::warn!(error = %e, "building the containment lists failed"),
                }
                // The map's usual resolutions: time-range counts there read the cubes.
                let started = std::time::Instant::now();
                let res = [
                    h3o::Resolution::Seven,
                    h3o::Resolution::Eight,
                    h3o::Resolution::Nine,
                ];
                match tokio::task::spawn_blocking(move || {
                    snap.incidents.warm_time_cubes(&res);
                    snap.incidents.time_cube_bytes()
                })
                .await
                {
                    Ok(bytes) => tracing::info!(
                        data_version = version,
                        seconds = started.elapsed().as_secs_f64(),
                        bytes,
                        "time cubes built"
                    ),
                    Err(e) => tracing::warn!(error = %e, "building the time cubes failed"),
                }
            }
        }
    });
    let r = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown())
        .await;
    refresher.abort();
    r
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, description = "Alive; the data version and row counts the index holds", body = Object)))]
pub async fn health(State(state): State<AppState>) -> Response {
    let s = state.snapshots.current();
    axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "backend": state.store.backend(),
        "data_version": s.version,
        "incidents": s.incidents.len(),
        "cameras": s.cameras.len(),
        "models": s.models.len(),
        "areas": s.areas.areas().len(),
    }))
    .into_response()
}

/// OGC API landing page: where the collections and the API description are.
#[utoipa::path(get, path = "/api/v1/", tag = "service",
    responses((status = 200, description = "Links to the layers and the OpenAPI document", body = Object)))]
pub async fn landing() -> Response {
    let link = |rel: &str, ty: &str, href: &str, title: &str| json!({"rel": rel, "type": ty, "href": href, "title": title});
    axum::Json(json!({
        "title": "diemnong",
        "description": "Hotspot analysis for crime-prevention committees",
        "links": [
            link("service-desc", "application/vnd.oai.openapi+json;version=3.0", "/api/v1/openapi.json", "OpenAPI document"),
            link("data", "application/geo+json", "/api/v1/incidents", "Incidents (viewer token)"),
            link("data", "application/geo+json", "/api/v1/cameras", "Cameras (viewer token)"),
            link("data", "application/geo+json", "/api/v1/models", "Self-managed models (viewer token)"),
            link("data", "application/geo+json", "/api/v1/areas", "Areas"),
            link("data", "application/json", "/api/v1/catalogue", "Catalogue"),
            link("describedby", "application/json", "/api/v1/extent", "Time span and bounding box of the incidents; years of the conversion programme"),
        ]
    }))
    .into_response()
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("{} (see /api/v1/openapi.json)", uri.path()))
}

async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "{} does not accept this method (see /api/v1/openapi.json)",
        uri.path()
    ))
}
