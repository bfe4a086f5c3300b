//! The point and area layers as RFC 7946 feature collections, read from the index snapshot,
//! and their `POST` (import) endpoints.
//!
//! Listings page by id: `cursor` is the last id of the previous page and `next` links carry
//! every other parameter, so GDAL's OGC client (which only follows `rel=next`) reads a whole
//! layer. `numberMatched`/`numberReturned` are the OGC API – Features members. Only the
//! incidents page by default (they run to millions); cameras, models and areas come whole
//! unless `limit` asks for pages, since a plain GeoJSON reader takes the first response
//! for the layer.

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;

use super::AppState;
use super::error::ApiError;
use super::extract::{Body, Caller, Params};
use super::filter::{categories, list, parse_bbox, severities, time_range};
use crate::auth::Role;
use crate::domain::lonlat::round6;
use crate::domain::{Camera, LonLat, Model};
use crate::index::points::Located;
use crate::index::{BBox, Filter, PointLayer, Snapshot};
use crate::ingest::csv::CsvOptions;
use crate::ingest::{Layer, RowError};
use crate::service::{ImportMode, Source};

/// Incidents per page when `limit` is absent (cameras, models and areas come whole).
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page; a larger `limit` is clamped (as OGC API – Features asks), not refused.
pub const MAX_LIMIT: usize = 10_000;

pub const GEOJSON: &str = "application/geo+json";

/// The point layers: incidents, cameras, models (listings and imports).
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/incidents",
            axum::routing::get(list_incidents).post(post_incidents),
        )
        .route(
            "/cameras",
            axum::routing::get(list_cameras).post(post_cameras),
        )
        .route("/models", axum::routing::get(list_models).post(post_models))
}

/// Filters and paging shared by the layer listings.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `min_lon,min_lat,max_lon,max_lat` (WGS84).
    pub bbox: Option<String>,
    /// Inclusive start: RFC 3339, or a date / date-time in the committee's zone.
    pub from: Option<String>,
    /// Exclusive end, as `from`.
    pub to: Option<String>,
    /// Incidents only: comma-separated category codes (any of them).
    pub category: Option<String>,
    /// Incidents only: comma-separated severities.
    pub severity: Option<String>,
    /// Cameras, models, areas: comma-separated kinds.
    pub kind: Option<String>,
    /// Page size (1–10,000; larger values are clamped). Default: 100 for incidents; the
    /// whole layer for cameras, models and areas.
    pub limit: Option<usize>,
    /// Opaque position from a `next` link.
    pub cursor: Option<String>,
    /// Output format: `geojson` or `json` (both GeoJSON); `f` is accepted for it, as OGC
    /// API clients write it.
    #[serde(alias = "f")]
    #[param(inline)]
    pub format: Option<ListFormat>,
    /// Areas only, the older form of the programme's overview: answers 308 Permanent
    /// Redirect to `/api/v1/programme/{year}/areas` with the other parameters kept.
    pub year: Option<i64>,
}

/// What a listing is written as (both are GeoJSON; the parameter exists for the clients
/// that always send one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListFormat {
    Geojson,
    Json,
}

/// Query of an import.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Import the valid records and report the rest, instead of all-or-nothing.
    pub skip_invalid: Option<bool>,
    /// CSV bodies: the field delimiter (one character; default `,`).
    pub delimiter: Option<String>,
}

pub(super) struct Page {
    pub(super) limit: usize,
    pub(super) after: Option<i64>,
    pub(super) from: Option<i64>,
    pub(super) to: Option<i64>,
    pub(super) bbox: Option<BBox>,
    pub(super) kinds: Option<Vec<String>>,
}

pub(super) fn page_params(
    state: &AppState,
    p: &ListParams,
    layer: Layer,
) -> Result<Page, ApiError> {
    if layer != Layer::Areas && p.year.is_some() {
        return Err(ApiError::param(
            "year",
            format!("applies to areas only, not {layer}"),
        ));
    }
    if layer != Layer::Incidents {
        for (name, v) in [("category", &p.category), ("severity", &p.severity)] {
            if v.is_some() {
                return Err(ApiError::param(
                    name,
                    format!("applies to incidents only, not {layer}"),
                ));
            }
        }
    } else if p.kind.is_some() {
        return Err(ApiError::param(
            "kind",
            "does not apply to incidents (use category)",
        ));
    }
    let (from, to) = time_range(&state.zone, p.from.as_deref(), p.to.as_deref())?;
    let limit = match p.limit {
        Some(0) => return Err(ApiError::param("limit", "must be at least 1")),
        Some(l) => l.min(MAX_LIMIT),
        None if layer == Layer::Incidents => DEFAULT_LIMIT,
        // The small layers come whole: GDAL's GeoJSON driver and most web maps read one
        // response and do not follow `next`, so a first page would look like the layer.
        None => usize::MAX,
    };
    let after = p
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| ApiError::param("cursor", "is not a cursor from a next link"))
        })
        .transpose()?;
    Ok(Page {
        limit,
        after,
        from,
        to,
        bbox: p.bbox.as_deref().map(parse_bbox).transpose()?,
        kinds: p
            .kind
            .as_deref()
            .map(|k| list(k).map(str::to_owned).collect()),
    })
}

/// The absolute URL of this request with `cursor` replaced.
pub(super) fn next_link(headers: &HeaderMap, uri: &Uri, cursor: i64) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let mut pairs: Vec<(String, String)> = uri
        .query()
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default();
    pairs.retain(|(k, _)| k != "cursor");
    pairs.push(("cursor".to_owned(), cursor.to_string()));
    let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("http://{host}{}?{q}", uri.path())
}

fn point(p: LonLat) -> Value {
    json!({"type": "Point", "coordinates": [round6(p.lon()), round6(p.lat())]})
}

/// A GeoJSON Feature, its members moved in (a listing holds thousands: no copies).
pub(super) fn feature(id: i64, geometry: Value, properties: Map<String, Value>) -> Value {
    let mut f = Map::with_capacity(4);
    f.insert("type".into(), Value::from("Feature"));
    f.insert("id".into(), Value::from(id));
    f.insert("geometry".into(), geometry);
    f.insert("properties".into(), Value::Object(properties));
    Value::Object(f)
}

fn link(rel: &str, href: String) -> Value {
    let mut l = Map::with_capacity(3);
    l.insert("rel".into(), Value::from(rel));
    l.insert("type".into(), Value::from(GEOJSON));
    l.insert("href".into(), Value::String(href));
    Value::Object(l)
}

pub(super) fn collection(
    features: Vec<Value>,
    matched: usize,
    next: Option<String>,
    self_link: String,
    version: i64,
) -> Response {
    let returned = features.len();
    let mut links = vec![link("self", self_link)];
    if let Some(n) = next {
        links.push(link("next", n));
    }
    let mut body = Map::with_capacity(7);
    body.insert("type".into(), Value::from("FeatureCollection"));
    body.insert("features".into(), Value::Array(features));
    body.insert("numberMatched".into(), Value::from(matched));
    body.insert("numberReturned".into(), Value::from(returned));
    body.insert(
        "timeStamp".into(),
        Value::String(jiff::Timestamp::now().to_string()),
    );
    body.insert("links".into(), Value::Array(links));
    body.insert("diemnong".into(), json!({"data_version": version}));
    (
        [(header::CONTENT_TYPE, GEOJSON)],
        Value::Object(body).to_string(),
    )
        .into_response()
}

pub(super) fn self_link(headers: &HeaderMap, uri: &Uri) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{uri}")
}

/// Pages a list of (id, position) already in id order.
pub(super) fn paginate(items: &[(i64, usize)], page: &Page) -> (usize, Vec<usize>, Option<i64>) {
    let matched = items.len();
    let rest: Vec<&(i64, usize)> = items
        .iter()
        .filter(|(id, _)| page.after.is_none_or(|a| *id > a))
        .collect();
    let more = rest.len() > page.limit;
    let chosen: Vec<usize> = rest.iter().take(page.limit).map(|(_, i)| *i).collect();
    let last = rest.get(page.limit.saturating_sub(1)).map(|(id, _)| *id);
    (matched, chosen, if more { last } else { None })
}

fn opt_time(state: &AppState, t: Option<i64>) -> Value {
    t.map_or(Value::Null, |t| Value::String(state.zone.format(t)))
}

fn in_window(t: Option<i64>, page: &Page) -> bool {
    if page.from.is_none() && page.to.is_none() {
        return true;
    }
    t.is_some_and(|t| page.from.is_none_or(|f| t >= f) && page.to.is_none_or(|to| t < to))
}

#[utoipa::path(get, path = "/api/v1/incidents", tag = "layers", params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Incidents as a GeoJSON FeatureCollection (viewer role)", content_type = "application/geo+json", body = Object),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
    ))]
pub(crate) async fn list_incidents(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer)?;
    let page = page_params(&state, &p, Layer::Incidents)?;
    let snap = state.snapshots.current();
    let filter = Filter {
        bbox: page.bbox,
        from: page.from,
        to: page.to,
        categories: categories(&snap, p.category.as_deref())?,
        severities: severities(p.severity.as_deref())?,
        within: None,
    };
    let (matched, ids) = {
        let snap = std::sync::Arc::clone(&snap);
        let limit = page.limit + 1;
        let after = page.after;
        tokio::task::spawn_blocking(move || snap.incidents.page(&filter, after, limit))
            .await
            .map_err(ApiError::internal)?
    };
    let next = (ids.len() > page.limit).then(|| ids[page.limit - 1]);
    let ids = &ids[..ids.len().min(page.limit)];
    let rows = state.store.incidents_by_ids(ids).await?;
    let zone = &*state.zone;
    let features = rows
        .into_iter()
        .map(|r| {
            let d = r.data;
            let mut props = Map::new();
            props.insert("external_id".into(), json!(d.external_id));
            props.insert("occurred_at".into(), json!(zone.format(d.occurred_at)));
            props.insert("category".into(), json!(d.category));
            props.insert("severity".into(), json!(d.severity.as_str()));
            props.insert("solved".into(), json!(d.solved));
            props.insert("address".into(), json!(d.address));
            props.insert("ward".into(), json!(d.ward));
            feature(r.id, point(d.location), props)
        })
        .collect();
    Ok(collection(
        features,
        matched,
        next.map(|c| next_link(&headers, &uri, c)),
        self_link(&headers, &uri),
        snap.version,
    ))
}

pub(super) fn kind_ok(page: &Page, kind: &str) -> bool {
    page.kinds
        .as_ref()
        .is_none_or(|k| k.iter().any(|x| x == kind))
}

#[utoipa::path(get, path = "/api/v1/cameras", tag = "layers", params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cameras (viewer role); `from`/`to` filter on installed_at", content_type = "application/geo+json", body = Object),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
    ))]
pub(crate) async fn list_cameras(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer)?;
    list_points(&state, &headers, &uri, &p, Layer::Cameras, |s| &s.cameras)
}

#[utoipa::path(get, path = "/api/v1/models", tag = "layers", params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Self-managed models (viewer role); `from`/`to` filter on established_at", content_type = "application/geo+json", body = Object),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
    ))]
pub(crate) async fn list_models(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    caller.require(Role::Viewer)?;
    list_points(&state, &headers, &uri, &p, Layer::Models, |s| &s.models)
}

/// A point record as a listing filters and writes it.
trait Listed: Located {
    fn kind(&self) -> &str;
    /// The date `from`/`to` filter on.
    fn date(&self) -> Option<i64>;
    fn properties(&self, state: &AppState) -> Map<String, Value>;
}

impl Listed for Camera {
    fn kind(&self) -> &str {
        &self.data.kind
    }
    fn date(&self) -> Option<i64> {
        self.data.installed_at
    }
    fn properties(&self, state: &AppState) -> Map<String, Value> {
        let mut props = Map::new();
        props.insert("external_id".into(), json!(self.data.external_id));
        props.insert("kind".into(), json!(self.data.kind));
        props.insert("active".into(), json!(self.data.active));
        props.insert(
            "installed_at".into(),
            opt_time(state, self.data.installed_at),
        );
        props
    }
}

impl Listed for Model {
    fn kind(&self) -> &str {
        &self.data.kind
    }
    fn date(&self) -> Option<i64> {
        self.data.established_at
    }
    fn properties(&self, state: &AppState) -> Map<String, Value> {
        let mut props = Map::new();
        props.insert("external_id".into(), json!(self.data.external_id));
        props.insert("kind".into(), json!(self.data.kind));
        props.insert("name".into(), json!(self.data.name));
        props.insert(
            "established_at".into(),
            opt_time(state, self.data.established_at),
        );
        props.insert("active".into(), json!(self.data.active));
        props
    }
}

/// One page of a small point layer, straight from the snapshot.
fn list_points<T: Listed>(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    p: &ListParams,
    layer: Layer,
    pick: impl Fn(&Snapshot) -> &PointLayer<T>,
) -> Result<Response, ApiError> {
    let page = page_params(state, p, layer)?;
    let snap = state.snapshots.current();
    let records = pick(&snap).records();
    let items: Vec<(i64, usize)> = pick(&snap)
        .in_bbox(page.bbox.as_ref())
        .into_iter()
        .map(|i| (records[i].id(), i))
        .filter(|(_, i)| kind_ok(&page, records[*i].kind()) && in_window(records[*i].date(), &page))
        .collect();
    let (matched, chosen, next) = paginate(&items, &page);
    let features = chosen
        .into_iter()
        .map(|i| {
            feature(
                records[i].id(),
                point(records[i].location()),
                records[i].properties(state),
            )
        })
        .collect();
    Ok(collection(
        features,
        matched,
        next.map(|c| next_link(headers, uri, c)),
        self_link(headers, uri),
        snap.version,
    ))
}

pub(super) async fn import(
    state: AppState,
    caller: Caller,
    layer: Layer,
    headers: &HeaderMap,
    p: ImportParams,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(Role::Editor)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let source = match mime.as_str() {
        "application/json" | "application/geo+json" => Source::Json(body.to_vec()),
        "text/csv" => {
            let delimiter = match p.delimiter.as_deref() {
                None => b',',
                Some("\\t" | "tab") => b'\t',
                Some(d) if d.len() == 1 => d.as_bytes()[0],
                Some(d) => {
                    return Err(ApiError::param(
                        "delimiter",
                        format!("{d:?} is not one ASCII character"),
                    ));
                }
            };
            Source::Csv {
                reader: Box::new(std::io::Cursor::new(body)),
                options: CsvOptions {
                    delimiter,
                    columns: Vec::new(),
                },
            }
        }
        other => {
            return Err(ApiError::UnsupportedMedia(format!(
                "{other:?}; send application/json, application/geo+json or text/csv"
            )));
        }
    };
    let mode = if p.skip_invalid.unwrap_or(false) {
        ImportMode::SkipInvalid
    } else {
        ImportMode::AllOrNothing
    };
    let report = state
        .service
        .import(
            layer,
            source,
            mode,
            Box::new(|_| {}),
            Box::new(|_: &[RowError], _: &str| {}),
        )
        .await?;
    if !report.committed {
        return Err(ApiError::Rejected(Box::new(report)));
    }
    let status = if report.inserted > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(report)).into_response())
}

macro_rules! post_layer {
    ($name:ident, $layer:expr, $path:literal) => {
        #[utoipa::path(post, path = $path, tag = "layers", params(ImportParams),
            description = "Needs an editor token. 422 when records have problems: nothing was written, and `errors` lists each with its place.",
            security(("bearer" = [])),
            request_body(description = "A JSON array of records, a GeoJSON FeatureCollection, or CSV (text/csv) with the same columns as `diemnong import`", content(
                (Object = "application/json"), (Object = "application/geo+json"), (String = "text/csv"))),
            responses(
                (status = 201, description = "Imported; some records were new", body = crate::service::ImportReport),
                (status = 200, description = "Valid, but every record was already stored", body = crate::service::ImportReport),
                (status = 400, response = super::error::responses::BadRequest),
                (status = 401, response = super::error::responses::Unauthorized),
                (status = 403, response = super::error::responses::Forbidden),
                (status = 413, response = super::error::responses::PayloadTooLarge),
                (status = 415, response = super::error::responses::UnsupportedMediaType),
                (status = 422, response = super::error::responses::UnprocessableEntity),
            ))]
        pub(crate) async fn $name(State(state): State<AppState>, caller: Caller, headers: HeaderMap, Params(p): Params<ImportParams>, Body(body): Body) -> Result<Response, ApiError> {
            import(state, caller, $layer, &headers, p, body).await
        }
    };
}

post_layer!(post_incidents, Layer::Incidents, "/api/v1/incidents");
post_layer!(post_cameras, Layer::Cameras, "/api/v1/cameras");
post_layer!(post_models, Layer::Models, "/api/v1/models");
post_layer!(post_areas, Layer::Areas, "/api/v1/areas");
