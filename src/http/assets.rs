//! The map page: `map-ui/dist/` (built from `map-ui/src/` by `npm run build` and committed)
//! embedded in the binary, so a server on a machine with no internet serves all of it and
//! nothing is fetched from a CDN.
//!
//! `index.html` carries three `<meta>` tags the server fills when it starts: the optional
//! XYZ basemap template (`--basemap-url`) and its attribution, and the committee's time
//! zone. Every file is served with a strong ETag (a hash of its bytes) and `no-cache`,
//! so a browser revalidates with a 304 and never runs a stale page after an upgrade.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;

/// The page's files, relative to `map-ui/dist/`, with their content types.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../map-ui/dist/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../map-ui/dist/app.css"),
    ),
    (
        "vendor/maplibre-gl.mjs",
        "text/javascript; charset=utf-8",
        include_bytes!("../../map-ui/dist/vendor/maplibre-gl.mjs"),
    ),
    (
        "vendor/maplibre-gl-worker.mjs",
        "text/javascript; charset=utf-8",
        include_bytes!("../../map-ui/dist/vendor/maplibre-gl-worker.mjs"),
    ),
    (
        "vendor/maplibre-gl.css",
        "text/css; charset=utf-8",
        include_bytes!("../../map-ui/dist/vendor/maplibre-gl.css"),
    ),
    (
        "vendor/LICENSE-maplibre-gl.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../map-ui/dist/vendor/LICENSE-maplibre-gl.txt"),
    ),
];

const INDEX: &str = include_str!("../../map-ui/dist/index.html");

/// The page as this server serves it.
#[derive(Debug, Clone)]
pub struct Page {
    pub index_html: String,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            index_html: index_html(&PageSettings {
                timezone: crate::domain::Zone::default().name().to_owned(),
                ..PageSettings::default()
            }),
        }
    }
}

/// What the server writes into the page's `<meta>` tags.
#[derive(Debug, Clone, Default)]
pub struct PageSettings {
    /// An XYZ raster template (`https://tile.openstreetmap.org/{z}/{x}/{y}.png`); none: a
    /// plain background with the ward boundaries as the base.
    pub basemap_url: Option<String>,
    pub basemap_attribution: Option<String>,
    /// The committee's IANA zone (the page counts days and months in it).
    pub timezone: String,
}

/// The page's `index.html` with its settings filled in (attribute-escaped).
#[must_use]
pub fn index_html(settings: &PageSettings) -> String {
    let fill = |html: String, name: &str, value: &str| {
        html.replace(
            &format!(r#"<meta name="{name}" content="">"#),
            &format!(r#"<meta name="{name}" content="{}">"#, escape(value)),
        )
    };
    let html = fill(
        INDEX.to_owned(),
        "diemnong-basemap",
        settings.basemap_url.as_deref().unwrap_or(""),
    );
    let html = fill(
        html,
        "diemnong-basemap-attribution",
        settings.basemap_attribution.as_deref().unwrap_or(""),
    );
    html.replace(
        r#"<meta name="diemnong-timezone" content="Asia/Ho_Chi_Minh">"#,
        &format!(
            r#"<meta name="diemnong-timezone" content="{}">"#,
            escape(&settings.timezone)
        ),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(bytes))[..32])
}

fn respond(headers: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let tag = etag(&body);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// `GET /`: the map page.
pub async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(
        &headers,
        "text/html; charset=utf-8",
        state.page.index_html.as_bytes().to_vec(),
    )
}

/// `GET /app.js`, `/app.css`, `/vendor/…`: the page's other files.
pub(crate) async fn file(uri: Uri, headers: HeaderMap) -> Result<Response, ApiError> {
    let path = uri.path().trim_start_matches('/');
    FILES
        .iter()
        .find(|(name, _, _)| *name == path)
        .map(|(_, ct, bytes)| respond(&headers, ct, bytes.to_vec()))
        .ok_or_else(|| ApiError::NotFound(format!("/{path}")))
}

/// The map page and its files, at the root (not under `/api/v1`).
pub fn router() -> axum::Router<super::AppState> {
    axum::Router::new()
        .route("/", axum::routing::get(index))
        .route("/app.js", axum::routing::get(file))
        .route("/app.css", axum::routing::get(file))
        .route("/vendor/{file}", axum::routing::get(file))
}
