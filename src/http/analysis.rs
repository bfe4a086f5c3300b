//! Aggregated results: density and Gi* hotspots, as GeoJSON hexagons (or CSV).
//!
//! Shared by every analysis endpoint:
//! - filters `from`/`to` (RFC 3339 or a date in the committee's zone), `category`,
//!   `severity`, `bbox` or `area` (an area code: only incidents inside its polygon), `res`;
//! - `format=csv` (one row per feature, `h3` first);
//! - an ETag tied to the data version and the parameters, with `If-None-Match` → 304, and a
//!   result cache keyed the same way;
//! - provenance in the foreign member `diemnong` (parameters, data version, computation
//!   time, software version);
//! - the audience ([`super::public`]): a signed-in viewer gets exact answers; when aggregates
//!   are public (`--public-aggregates`) an anonymous caller gets answers computed from the
//!   published (perturbed) counts of whole periods and cells, never from the exact ones;
//! - a request whose cost (cells × slices) exceeds `--max-cost` is refused with 422.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use h3o::Resolution;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::AppState;
use super::analysis_rows::{
    ClusterFeature, DensityFeature, EmergingFeature, HotspotFeature, KdeFeature, MoranFeature,
    PublicClusterFeature, ZoneFeature,
};
use super::answer::{Answer, accepts_gzip};
use super::cache::VersionedCache;
use super::error::ApiError;
use super::extract::{Caller, Params};
use super::filter::{FilterText, incident_filter};
use super::public::{self, Audience, PublicQuery, PublicRules, Selection};
use super::render::{self, Feature};
use crate::analysis::cells::{Tally, cell_values, published_counts};
use crate::analysis::density::{density, density_of};
use crate::analysis::gistar::{
    BinBy, GiParams, HotRule, HotspotError, Hotspots, Study, disk_size, hotspots_on,
    study_set_bound,
};
use crate::analysis::weights::{Weight, Weighting};
use crate::auth::Role;
use crate::domain::HarmWeights;
use crate::index::{Filter, Snapshot};

/// Default H3 resolution of the analyses.
pub const DEFAULT_RES: u8 = 9;

/// Settings of the aggregated endpoints.
#[derive(Debug, Clone)]
pub struct AnalysisSettings {
    /// Serve aggregates without a token: perturbed, coarse ([`super::public`]).
    pub public_aggregates: bool,
    /// Smallest positive count published to callers without a token.
    pub min_cell_count: u32,
    /// Largest absolute noise of a published count (the p-table's D).
    pub perturbation_max: u32,
    /// Variance of that noise (the p-table's V).
    pub perturbation_variance: f64,
    /// Finest H3 resolution served to callers without a token.
    pub public_max_res: u8,
    /// Largest cells × slices one request may compute.
    pub max_cost: u64,
    /// Results kept in the cache.
    pub cache_entries: usize,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        Self {
            public_aggregates: false,
            min_cell_count: 3,
            perturbation_max: 5,
            perturbation_variance: 3.0,
            public_max_res: 9,
            max_cost: 2_000_000,
            cache_entries: 64,
        }
    }
}

impl AnalysisSettings {
    /// The rules for anonymous callers, `None` when aggregates are not public.
    ///
    /// # Errors
    /// When the perturbation parameters make no p-table (the error names the one at fault),
    /// or the resolution limit is not one.
    pub fn public_rules(&self) -> Result<Option<PublicRules>, String> {
        if !self.public_aggregates {
            return Ok(None);
        }
        let res = Resolution::try_from(self.public_max_res)
            .map_err(|e| format!("--public-max-res {}: {e}", self.public_max_res))?;
        PublicRules::new(
            self.perturbation_max,
            self.perturbation_variance,
            self.min_cell_count,
            res,
        )
        .map(Some)
        .map_err(|e| {
            format!(
                "--perturbation-max {}, --perturbation-variance {}, --min-cell-count {}: {e}",
                self.perturbation_max, self.perturbation_variance, self.min_cell_count
            )
        })
    }
}

/// The analyses: density, Gi* hotspots, zones, emerging hotspots, local Moran's I outliers,
/// kernel density, clusters.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/density", axum::routing::get(get_density))
        .route("/kde", axum::routing::get(get_kde))
        .route("/clusters", axum::routing::get(get_clusters))
        .route("/hotspots", axum::routing::get(get_hotspots))
        .route("/hotspots/zones", axum::routing::get(get_zones))
        .route("/hotspots/emerging", axum::routing::get(get_emerging))
        .route("/outliers", axum::routing::get(get_outliers))
}

/// Rendered answers (body, content type, gzip made once) by (endpoint, parameters,
/// audience), for the data version they were computed on.
pub type ResultCache = VersionedCache<String, Answer>;

/// The body an analysis answer is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisFormat {
    Geojson,
    Json,
    Csv,
}

/// Defines a query struct of an analysis endpoint: the shared filters, `format`, and the
/// endpoint's own fields. Strict (unknown parameters are 400), documented for OpenAPI.
macro_rules! analysis_params {
    ($(#[$sdoc:meta])* $name:ident { $($(#[$doc:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$sdoc])*
        #[derive(Debug, Default, Deserialize, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Inclusive start: RFC 3339, or a date / date-time in the committee's zone.
            pub from: Option<String>,
            /// Exclusive end, as `from`.
            pub to: Option<String>,
            /// Comma-separated category codes (any of them).
            pub category: Option<String>,
            /// Comma-separated severities.
            pub severity: Option<String>,
            /// `min_lon,min_lat,max_lon,max_lat`.
            pub bbox: Option<String>,
            /// An area code: only incidents inside its polygon.
            pub area: Option<String>,
            /// `geojson` (default; `json` says the same) or `csv`; `f` is accepted for it,
            /// as OGC API clients write it.
            #[serde(alias = "f")]
            #[param(inline)]
            pub format: Option<AnalysisFormat>,
            $($(#[$doc])* pub $field: $ty,)*
        }

        impl $name {
            /// The shared filters, with this endpoint's resolution and weighing.
            fn common(&self, res: Option<u8>, weight: Option<Weight>) -> Common<'_> {
                Common {
                    weight,
                    from: &self.from,
                    to: &self.to,
                    category: &self.category,
                    severity: &self.severity,
                    bbox: &self.bbox,
                    area: &self.area,
                    res,
                    format: self.format,
                }
            }
        }
    };
}

analysis_params!(
    /// Query of `GET /api/v1/density`.
    DensityParams {
    /// `count` (default: every incident counts one) or `harm` (each weighs its harm in
    /// days, the catalogue's harm weights; counts are still given).
    #[param(inline)]
    weight: Option<Weight>,
    /// H3 resolution, 5–11 (default 9).
    res: Option<u8>,
});

analysis_params!(
    /// Query of `GET /api/v1/hotspots`.
    HotspotParams {
    /// `count` (default: every incident counts one) or `harm` (each weighs its harm in
    /// days, the catalogue's harm weights; counts are still given).
    #[param(inline)]
    weight: Option<Weight>,
    /// H3 resolution, 5–11 (default 9).
    res: Option<u8>,
    /// Radius of the H3 disk of neighbours, 1–5 (default 1).
    k: Option<u32>,
    /// `kring` (default: occupied cells and their k-disks, empty cells as zeros) or `occupied`.
    #[param(inline)]
    study: Option<Study>,
    /// Bins by Benjamini–Hochberg q (default true) or by raw p.
    fdr: Option<bool>,
});

struct Common<'a> {
    weight: Option<Weight>,
    from: &'a Option<String>,
    to: &'a Option<String>,
    category: &'a Option<String>,
    severity: &'a Option<String>,
    bbox: &'a Option<String>,
    area: &'a Option<String>,
    res: Option<u8>,
    format: Option<AnalysisFormat>,
}

/// Parsed shared parameters.
struct Query {
    filter: Filter,
    res: Resolution,
    csv: bool,
    weighting: Weighting,
    /// The weights' provenance and digest, when weighing by harm.
    weights: Option<WeightsNote>,
    audience: Audience,
    /// For the public, the cells a `bbox` or `area` selects (the filter then holds neither).
    selection: Selection,
}

impl Query {
    /// The occupied cells at the query's resolution every cell analysis starts from: the
    /// exact tallies for a viewer, the published counts for the public.
    fn occupied(&self, snap: &Snapshot) -> Vec<(h3o::CellIndex, Tally)> {
        match self.audience.public() {
            None => cell_values(&snap.incidents, &self.filter, self.res, &self.weighting),
            Some(rules) => published_counts(&snap.incidents, &self.filter, self.res, &rules.ptable)
                .into_iter()
                .map(|(c, n)| (c, Tally::from(n)))
                .collect(),
        }
    }
}

/// What a harm-weighted answer says of its weights: in the provenance, and (the digest) in
/// the cache key and ETag.
#[derive(Debug, Clone)]
struct WeightsNote {
    digest: String,
    provenance: Value,
}

impl WeightsNote {
    fn of(weights: &HarmWeights) -> Self {
        let overrides: Vec<Value> = weights
            .overrides()
            .map(|(c, s, d)| json!({"category": c, "severity": s.as_str(), "days": d}))
            .collect();
        let digest = weights.digest();
        Self {
            provenance: json!({
                "kind": "harm",
                "unit": crate::domain::harm::UNIT,
                "defaults": crate::domain::Severity::ALL
                    .into_iter()
                    .map(|s| (s.as_str().to_owned(), json!(crate::domain::harm::default_days(s))))
                    .collect::<Map<String, Value>>(),
                "overrides": overrides,
                "sha256": digest,
            }),
            digest,
        }
    }
}

fn common(
    state: &AppState,
    snap: &Snapshot,
    c: &Common<'_>,
    audience: Audience,
) -> Result<Query, ApiError> {
    // The public's default is the finest resolution it may ask for, at most the default.
    let res = c.res.unwrap_or_else(|| {
        audience
            .public()
            .map_or(DEFAULT_RES, |r| DEFAULT_RES.min(u8::from(r.max_res)))
    });
    if !(5..=11).contains(&res) {
        return Err(ApiError::param("res", format!("{res} is outside 5–11")));
    }
    let res = Resolution::try_from(res).map_err(|e| ApiError::param("res", e.to_string()))?;
    let csv = c.format == Some(AnalysisFormat::Csv);
    let mut filter = incident_filter(
        snap,
        &state.zone,
        &FilterText {
            from: c.from.as_deref(),
            to: c.to.as_deref(),
            category: c.category.as_deref(),
            severity: c.severity.as_deref(),
            bbox: c.bbox.as_deref(),
            area: c.area.as_deref(),
        },
    )?;
    let weight = c.weight.unwrap_or_default();
    let mut selection = Selection::default();
    if let Some(rules) = audience.public() {
        public::check(
            rules,
            &state.zone,
            &PublicQuery {
                from: filter.from,
                to: filter.to,
                category: c.category.as_deref(),
                severity: c.severity.as_deref(),
                res,
                harm: weight == Weight::Harm,
            },
        )?;
        selection = Selection::take(&mut filter);
    }
    let weighting = Weighting::new(weight, &snap.catalogue.harm, snap.incidents.categories());
    let weights = (weight == Weight::Harm).then(|| WeightsNote::of(&snap.catalogue.harm));
    Ok(Query {
        filter,
        res,
        csv,
        weighting,
        weights,
        audience,
        selection,
    })
}

/// What a handler asks [`serve_analysis`] for.
struct Job<'a> {
    endpoint: &'static str,
    /// The raw query string (part of the cache key and the provenance).
    query: &'a str,
    csv: bool,
    /// The harm weights the answer is weighed with.
    weights: Option<&'a WeightsNote>,
    audience: &'a Audience,
}

/// Everything an analysis handler shares: cache, ETag, provenance (with the audience's
/// disclosure), off-runtime computation, and the last guard of public answers. `snap` is the
/// snapshot the handler parsed its filter against: the key, the ETag and the computation
/// all use that one version.
async fn serve_analysis<F: Feature + Send + 'static>(
    state: AppState,
    snap: Arc<Snapshot>,
    headers: &HeaderMap,
    job: Job<'_>,
    compute: impl FnOnce(Arc<Snapshot>) -> Result<(Vec<F>, Map<String, Value>), ApiError>
    + Send
    + 'static,
) -> Result<Response, ApiError> {
    let csv = job.csv;
    let (endpoint, raw_query) = (job.endpoint, job.query);
    let key = format!(
        "{endpoint}?{raw_query}&v={}&audience={}{}",
        snap.version,
        job.audience.key(),
        job.weights
            .map_or(String::new(), |w| format!("&weights={}", w.digest))
    );
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(key.as_bytes())[..12]));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let version = snap.version;
    let cached = state.cache.get(version, &key);
    let body = if let Some(b) = cached {
        b
    } else {
        let provenance = json!({
            "endpoint": endpoint,
            "parameters": serde_urlencoded::from_str::<Vec<(String, String)>>(raw_query)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect::<Map<String, Value>>(),
            "data_version": snap.version,
            "computed_at": jiff::Timestamp::now().to_string(),
            "software_version": env!("CARGO_PKG_VERSION"),
            "weights": job.weights.map_or(json!({"kind": "count"}), |w| w.provenance.clone()),
            "disclosure": job.audience.provenance(),
        });
        let (rows, warnings) = tokio::task::spawn_blocking(move || compute(snap))
            .await
            .map_err(ApiError::internal)??;
        if let Some(rules) = job.audience.public() {
            guard(endpoint, &rows, rules)?;
        }
        let b = Arc::new(Answer::new(if csv {
            render::csv(&rows)?
        } else {
            render::geojson(&rows, provenance, warnings, &state.hexagons)?
        }));
        state.cache.put(version, key, Arc::clone(&b));
        b
    };
    // The gzip body is made once per cached answer, off the runtime's threads.
    let gzip = if accepts_gzip(headers) {
        if body.has_gzip() {
            body.gzip()
        } else {
            let b = Arc::clone(&body);
            tokio::task::spawn_blocking(move || b.gzip())
                .await
                .map_err(ApiError::internal)?
        }
    } else {
        None
    };
    let mut res = match gzip {
        Some(gz) => {
            let mut res = (StatusCode::OK, gz).into_response();
            res.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            res
        }
        None => (StatusCode::OK, body.body()).into_response(),
    };
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(body.content_type())
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&job.audience.header()) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("diemnong-disclosure"), v);
    }
    Ok(res)
}

/// Defence in depth behind the perturbation: a public answer with a feature standing for
/// 1…js incidents is a bug, answered 500 (and logged) rather than published.
fn guard<F: Feature>(endpoint: &str, rows: &[F], rules: &PublicRules) -> Result<(), ApiError> {
    let below = u64::from(rules.min_count);
    match rows
        .iter()
        .find(|r| r.incidents().is_some_and(|n| n > 0 && n < below))
    {
        Some(r) => Err(ApiError::internal(format!(
            "{endpoint}: a public feature ({:?}) stands for fewer than {below} incidents",
            serde_json::to_string(&r.id()).unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

fn cost_check(max_cost: u64, cells: usize, slices: usize) -> Result<(), ApiError> {
    let cost = (cells as u64).saturating_mul(slices as u64);
    if cost > max_cost {
        return Err(over_cost(cost, max_cost));
    }
    Ok(())
}

fn over_cost(cost: u64, max_cost: u64) -> ApiError {
    ApiError::Unprocessable(format!(
        "this request would compute {cost} cell-slices; the limit is {max_cost}: narrow the area or time range, or use a coarser res"
    ))
}

#[utoipa::path(get, path = "/api/v1/density", tag = "analysis", params(DensityParams),
    description = "Needs a viewer token unless the server runs with `--public-aggregates` (401 without one). Anonymous answers are computed from perturbed counts (the cell-key method) of one whole calendar month, quarter or year (or all time), at most one category and one class, res up to the public limit (default 9), bbox and area selecting whole cells; other anonymous queries are 400 naming the parameter (README, \"What anonymous visitors see\"); `diemnong.disclosure` says which. 422 when the request is over the cost limit.",
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "One hexagon per occupied cell: h3, count, per_km2 (GeoJSON, or CSV with format=csv)", content_type = "application/geo+json", body = Object),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 422, response = super::error::responses::UnprocessableEntity),
    ))]
pub(crate) async fn get_density(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<DensityParams>,
) -> Result<Response, ApiError> {
    let snap = state.snapshots.current();
    let audience = state.audience(&caller)?;
    let q = common(&state, &snap, &p.common(p.res, p.weight), audience.clone())?;
    let weights = q.weights.clone();
    let csv = q.csv;
    let max_cost = state.analysis.max_cost;
    serve_analysis(
        state.clone(),
        snap,
        &headers,
        Job {
            endpoint: "density",
            query: uri.query().unwrap_or(""),
            csv,
            weights: weights.as_ref(),
            audience: &audience,
        },
        move |snap| {
            let cells = if q.audience.public().is_some() {
                // Published counts: the density of what anonymous callers see.
                density_of(
                    q.occupied(&snap)
                        .into_iter()
                        .filter(|(c, _)| q.selection.keeps(*c))
                        .collect(),
                    false,
                )
            } else {
                density(&snap.incidents, &q.filter, q.res, &q.weighting)
            };
            cost_check(max_cost, cells.len(), 1)?;
            let rows: Vec<DensityFeature> = cells.into_iter().map(Into::into).collect();
            Ok((rows, Map::new()))
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/hotspots", tag = "analysis", params(HotspotParams),
    description = "Needs a viewer token unless the server runs with `--public-aggregates` (401 without one). Anonymous answers are computed from perturbed counts (the cell-key method) of one whole calendar month, quarter or year (or all time), at most one category and one class, res up to the public limit (default 9), bbox and area selecting whole cells; other anonymous queries are 400 naming the parameter (README, \"What anonymous visitors see\"); `diemnong.disclosure` says which. 422 when the request is over the cost limit, or there are too few cells or no variance for Gi*.",
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "Getis-Ord Gi* per cell of the study set: h3, count, gi_z, gi_p (two-sided), gi_q (Benjamini–Hochberg), gi_bin (−3…3)", content_type = "application/geo+json", body = Object),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 422, response = super::error::responses::UnprocessableEntity),
    ))]
pub(crate) async fn get_hotspots(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<HotspotParams>,
) -> Result<Response, ApiError> {
    let snap = state.snapshots.current();
    let audience = state.audience(&caller)?;
    let q = common(&state, &snap, &p.common(p.res, p.weight), audience.clone())?;
    let weights = q.weights.clone();
    let gi = GiSpec::parse(p.k, p.study, p.fdr, state.analysis.max_cost)?;
    let csv = q.csv;
    serve_analysis(
        state.clone(),
        snap,
        &headers,
        Job {
            endpoint: "hotspots",
            query: uri.query().unwrap_or(""),
            csv,
            weights: weights.as_ref(),
            audience: &audience,
        },
        move |snap| {
            let harm = q.weighting.harm().is_some();
            let gi = gi.compute(&snap, &q)?;
            let rows: Vec<HotspotFeature> = gi
                .cells
                .iter()
                .zip(&gi.bins)
                .filter(|(c, _)| q.selection.keeps(c.cell))
                .map(|(c, bin)| HotspotFeature::new(c, *bin, harm))
                .collect();
            Ok((rows, Map::new()))
        },
    )
    .await
}

/// The Gi* parameters shared by `/hotspots` and `/hotspots/zones`.
#[derive(Debug, Clone, Copy)]
struct GiSpec {
    k: u32,
    study: Study,
    bin_by: BinBy,
    max_cost: u64,
}

impl GiSpec {
    fn parse(
        k: Option<u32>,
        study: Option<Study>,
        fdr: Option<bool>,
        max_cost: u64,
    ) -> Result<Self, ApiError> {
        let k = k.unwrap_or(1);
        if !(1..=5).contains(&k) {
            return Err(ApiError::param("k", format!("{k} is outside 1–5")));
        }
        let study = study.unwrap_or(Study::Kring);
        Ok(Self {
            k,
            study,
            bin_by: if fdr.unwrap_or(true) {
                BinBy::FdrQ
            } else {
                BinBy::RawP
            },
            max_cost,
        })
    }

    /// Gi* of the query's occupied cells ([`Query::occupied`]: exact, or published), refusing
    /// a study set over the cost limit first.
    fn compute(&self, snap: &Snapshot, q: &Query) -> Result<Hotspots, ApiError> {
        self.compute_on(&q.occupied(snap), q.res)
    }

    /// [`Self::compute`] on occupied cells already counted.
    fn compute_on(
        &self,
        occupied: &[(h3o::CellIndex, Tally)],
        res: Resolution,
    ) -> Result<Hotspots, ApiError> {
        let params = GiParams {
            res,
            k: self.k,
            study: self.study,
            bin_by: self.bin_by,
            max_cells: Some(self.max_cost),
        };
        hotspots_on(occupied, &params).map_err(|e| match e {
            HotspotError::TooLarge { cells, .. } => over_cost(cells as u64, self.max_cost),
            HotspotError::Gi(e) => ApiError::Unprocessable(e.to_string()),
        })
    }
}

analysis_params!(
    /// Query of `GET /api/v1/hotspots/zones`: the hotspot parameters and `min_bin`.
    ZoneParams {
    /// `count` (default: every incident counts one) or `harm` (each weighs its harm in
    /// days, the catalogue's harm weights; counts are still given).
    #[param(inline)]
    weight: Option<Weight>,
    /// H3 resolution, 5–11 (default 9).
    res: Option<u8>,
    /// Radius of the H3 disk of neighbours, 1–5 (default 1).
    k: Option<u32>,
    /// `kring` (default) or `occupied`.
    #[param(inline)]
    study: Option<Study>,
    /// Bins by Benjamini–Hochberg q (default true) or by raw p.
    fdr: Option<bool>,
    /// Smallest Gi* bin that makes a cell hot: 1 (90%), 2 (95%, default) or 3 (99%).
    min_bin: Option<i8>,
});

#[utoipa::path(get, path = "/api/v1/hotspots/zones", tag = "analysis", params(ZoneParams),
    description = "Needs a viewer token unless the server runs with `--public-aggregates` (401 without one). Anonymous answers are computed from perturbed counts (the cell-key method) of one whole calendar month, quarter or year (or all time), at most one category and one class, res up to the public limit (default 9), bbox and area selecting whole cells; other anonymous queries are 400 naming the parameter (README, \"What anonymous visitors see\"); `diemnong.disclosure` says which. 422 when the request is over the cost limit, or there are too few cells or no variance for Gi*.",
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "Hotspot zones: contiguous hot cells dissolved into polygons, largest first, with id (stable), incidents, share, area_km2, top_categories, busiest_hours, busiest_weekdays, cameras, models, wards, complex_areas", content_type = "application/geo+json", body = Object),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 422, response = super::error::responses::UnprocessableEntity),
    ))]
pub(crate) async fn get_zones(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ZoneParams>,
) -> Result<Response, ApiError> {
    let snap = state.snapshots.current();
    let audience = state.audience(&caller)?;
    let q = common(&state, &snap, &p.common(p.res, p.weight), audience.clone())?;
    let weights = q.weights.clone();
    let gi = GiSpec::parse(p.k, p.study, p.fdr, state.analysis.max_cost)?;
    let min_bin = p.min_bin.unwrap_or(2);
    if !(1..=3).contains(&min_bin) {
        return Err(ApiError::param(
            "min_bin",
            format!("{min_bin} is not 1, 2 or 3"),
        ));
    }
    let csv = q.csv;
    let tz = state.zone.tz().clone();
    serve_analysis(
        state.clone(),
        snap,
        &headers,
        Job {
            endpoint: "hotspots/zones",
            query: uri.query().unwrap_or(""),
            csv,
            weights: weights.as_ref(),
            audience: &audience,
        },
        move |snap| {
            use crate::analysis::zones::{Published, ZoneParams, zones_published, zones_weighted};
            let occupied = q.occupied(&snap);
            let cells = gi.compute_on(&occupied, q.res)?.cells;
            let params = ZoneParams {
                filter: &q.filter,
                res: q.res,
                hot: HotRule {
                    by: gi.bin_by,
                    min_bin,
                },
                tz: &tz,
            };
            let zones = match q.audience.public() {
                None => zones_weighted(&snap, &cells, &params, q.weighting.harm()),
                Some(rules) => {
                    // The published counts Gi* ran on, not counted again.
                    let counts: Vec<(h3o::CellIndex, u32)> =
                        occupied.iter().map(|(c, t)| (*c, t.count)).collect();
                    zones_published(
                        &snap,
                        &cells,
                        &params,
                        Published {
                            ptable: &rules.ptable,
                            counts: &counts,
                        },
                    )
                }
            };
            let rows: Vec<ZoneFeature> = zones
                .into_iter()
                .filter(|z| q.selection.keeps_any(&z.cells))
                .map(Into::into)
                .collect();
            Ok((rows, Map::new()))
        },
    )
    .await
}

analysis_params!(
    /// Query of `GET /api/v1/hotspots/emerging`.
    EmergingParams {
    /// `count` (default: every incident counts one) or `harm` (each weighs its harm in
    /// days, the catalogue's harm weights; counts are still given).
    #[param(inline)]
    weight: Option<Weight>,
    /// H3 resolution, 5–11 (default 9).
    res: Option<u8>,
    /// Radius of the H3 disk of neighbours, 1–5 (default 1).
    k: Option<u32>,
    /// `week`, `month` (default) or `quarter`, in the committee's zone (`week` needs a sign-in).
    #[param(inline)]
    slice: Option<crate::analysis::cube::Slice>,
    /// Previous slices in the time window of each bin, 0–12 (default 1).
    time_k: Option<usize>,
});

#[utoipa::path(get, path = "/api/v1/hotspots/emerging", tag = "analysis", params(EmergingParams),
    description = "Needs a viewer token unless the server runs with `--public-aggregates` (401 without one). Anonymous answers are computed from perturbed counts (the cell-key method) of one whole calendar month, quarter or year (or all time), at most one category and one class, res up to the public limit (default 9), bbox and area selecting whole cells; other anonymous queries are 400 naming the parameter (README, \"What anonymous visitors see\"); `diemnong.disclosure` says which. 422 when the request is over the cost limit (cells × slices), or there is no data in the range.",
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "Emerging hot spots: per cell its category (ArcGIS's seventeen), Mann-Kendall trend of its Gi* z series (trend_z, trend_p, trend_tau) and per-slice counts, z and bins (+1 hot, −1 cold, 0)", content_type = "application/geo+json", body = Object),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 422, response = super::error::responses::UnprocessableEntity),
    ))]
pub(crate) async fn get_emerging(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<EmergingParams>,
) -> Result<Response, ApiError> {
    use crate::analysis::cube::{CubeParams, Slice, emerging, emerging_published};
    let snap = state.snapshots.current();
    let audience = state.audience(&caller)?;
    let q = common(&state, &snap, &p.common(p.res, p.weight), audience.clone())?;
    let weights = q.weights.clone();
    let k = GiSpec::parse(p.k, None, None, state.analysis.max_cost)?.k;
    let slice = p.slice.unwrap_or(Slice::Month);
    if slice == Slice::Week && audience.public().is_some() {
        return Err(ApiError::param(
            "slice",
            "without a sign-in, slices are months or quarters: a week of a cell holds too few incidents to publish",
        ));
    }
    let time_k = p.time_k.unwrap_or(1);
    if time_k > 12 {
        return Err(ApiError::param(
            "time_k",
            format!("{time_k} is outside 0–12"),
        ));
    }
    let (mut from, mut to) = (q.filter.from, q.filter.to);
    if audience.public().is_some() && from.is_none() && to.is_none() {
        // All time, for the public: the whole months of all the incidents, not the span of
        // the filtered ones (whose first and last months would tell where a few lie).
        let all = {
            let snap = Arc::clone(&snap);
            tokio::task::spawn_blocking(move || snap.incidents.extent())
                .await
                .map_err(ApiError::internal)?
        };
        if let Some((f, t)) = all.and_then(|e| super::extent::month_span(&state.zone, &e)) {
            (from, to) = (Some(f), Some(t));
        }
    }
    let csv = q.csv;
    let max_cost = state.analysis.max_cost;
    let zone = Arc::clone(&state.zone);
    serve_analysis(
        state.clone(),
        snap,
        &headers,
        Job { endpoint: "hotspots/emerging", query: uri.query().unwrap_or(""), csv, weights: weights.as_ref(), audience: &audience },
        move |snap| {
            // Refuse before building: occupied cells grown by their k-disks, times slices
            // (for the public, the published cells: a refusal says nothing exact either).
            let occupied = q.occupied(&snap).len();
            let span = match (from, to) {
                (Some(f), Some(t)) => crate::analysis::cube::slice_bounds(f, t, slice, zone.tz()).len().saturating_sub(1),
                _ => 0,
            };
            cost_check(max_cost, study_set_bound(occupied, k, Study::Kring), span.max(1))?;
            let params = CubeParams { res: q.res, k, time_k, slice, range: (from, to) };
            let cube = match q.audience.public() {
                None => emerging(&snap.incidents, &q.filter, &params, zone.tz(), &q.weighting),
                Some(rules) => emerging_published(&snap.incidents, &q.filter, &params, zone.tz(), &rules.ptable),
            }
                .ok_or_else(|| ApiError::Unprocessable("no incidents match in this range: there is no cube to analyse".into()))?;
            let slices = cube.bounds.len() - 1;
            cost_check(max_cost, cube.cells.len(), slices)?;
            let mut warnings = Vec::new();
            if slices < 10 {
                warnings.push(format!(
                    "only {slices} time slices: ArcGIS recommends at least 10 for Emerging Hot Spot Analysis; trends and categories are weak"
                ));
            }
            let starts: Vec<String> = cube.bounds[..slices].iter().map(|t| zone.format(*t)).collect();
            let mut rows: Vec<EmergingFeature> = cube
                .cells
                .iter()
                .filter(|c| q.selection.keeps(c.cell))
                .map(Into::into)
                .collect();
            if let Some(rules) = q.audience.public() {
                // A cell's count over the range is the published count of that set, as
                // density publishes it (perturbation does not add up over the slices).
                let totals = published_counts(&snap.incidents, &q.filter, q.res, &rules.ptable);
                for r in &mut rows {
                    r.count = totals
                        .binary_search_by_key(&r.h3, |(c, _)| *c)
                        .map_or(0, |j| u64::from(totals[j].1));
                }
            }
            let mut extra = Map::new();
            extra.insert("slices".into(), json!(starts));
            if !warnings.is_empty() {
                extra.insert("warnings".into(), json!(warnings));
            }
            Ok((rows, extra))
        },
    )
    .await
}

analysis_params!(
    /// Query of `GET /api/v1/outliers`.
    OutlierParams {
    /// `count` (default) or `harm`: the value each cell's statistic compares.
    #[param(inline)]
    weight: Option<Weight>,
    /// H3 resolution, 5–11 (default 9).
    res: Option<u8>,
    /// Radius of the H3 disk of neighbours, 1–5 (default 1).
    k: Option<u32>,
    /// `kring` (default: occupied cells and their k-disks, empty cells as zeros) or `occupied`.
    #[param(inline)]
    study: Option<Study>,
    /// `significant` reads the Benjamini–Hochberg q (default true) or the raw pseudo p.
    fdr: Option<bool>,
    /// Conditional permutations per cell, 99–9,999 (default 999).
    permutations: Option<u32>,
    /// Seed of the permutations (default 0): the same seed, the same p-values.
    seed: Option<u64>,
});

/// Fewest and most permutations a request may ask for.
pub const PERMUTATIONS: std::ops::RangeInclusive<u32> = 99..=9_999;

#[utoipa::path(get, path = "/api/v1/outliers", tag = "analysis", params(OutlierParams),
    description = "Local Moran's I (Anselin 1995) per cell, with the same H3 k-disk neighbours and study sets as Gi* (row-standardised weights, as esda's `Moran_Local`), conditional-permutation pseudo p-values (reproducible with `seed`) and Benjamini–Hochberg q. HH and LL cells are clusters of high and low values; HL and LH cells are outliers (high among low, low among high). Needs a viewer token unless the server runs with `--public-aggregates` (401 without one). Anonymous answers are computed from perturbed counts (the cell-key method) of one whole calendar month, quarter or year (or all time), at most one category and one class, res up to the public limit (default 9), bbox and area selecting whole cells; other anonymous queries are 400 naming the parameter (README, \"What anonymous visitors see\"); `diemnong.disclosure` says which. 422 when the request is over the cost limit (study-set cells × thousands of permutations), or there are too few cells or no variance.",
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "One hexagon per cell of the study set: h3, count, local_i, p_sim, q_fdr, quadrant (HH, LH, LL, HL), significant", content_type = "application/geo+json", body = Object),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 422, response = super::error::responses::UnprocessableEntity),
    ))]
pub(crate) async fn get_outliers(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<OutlierParams>,
) -> Result<Response, ApiError> {
    use crate::analysis::gistar::study_set;
    use crate::analysis::moran::{MoranParams, local_moran};
    let snap = state.snapshots.current();
    let audience = state.audience(&caller)?;
    let q = common(&state, &snap, &p.common(p.res, p.weight), audience.clone())?;
    let weights = q.weights.clone();
    let gi = GiSpec::parse(p.k, p.study, p.fdr, state.analysis.max_cost)?;
    let permutations = p.permutations.unwrap_or(999);
    if !PERMUTATIONS.contains(&permutations) {
        return Err(ApiError::param(
            "permutations",
            format!("{permutations} is outside 99–9,999"),
        ));
    }
    let params = MoranParams {
        permutations,
        seed: p.seed.unwrap_or(0),
        fdr: gi.bin_by == BinBy::FdrQ,
        alpha: 0.05,
    };
    let csv = q.csv;
    let max_cost = state.analysis.max_cost;
    serve_analysis(
        state.clone(),
        snap,
        &headers,
        Job {
            endpoint: "outliers",
            query: uri.query().unwrap_or(""),
            csv,
            weights: weights.as_ref(),
            audience: &audience,
        },
        move |snap| {
            let occupied = q.occupied(&snap);
            // Each permutation redraws every cell's neighbourhood: cells × thousands of
            // permutations, refused before the study set is built.
            let bound = study_set_bound(occupied.len(), gi.k, gi.study);
            cost_check(max_cost, bound, permutations.div_ceil(1000) as usize)?;
            let set = study_set(&occupied, gi.k, gi.study);
            let values: Vec<(h3o::CellIndex, f64)> =
                set.iter().map(|(c, t)| (*c, t.value)).collect();
            let cells = local_moran(&values, gi.k, &params)
                .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
            let harm = q.weighting.harm().is_some();
            let rows: Vec<MoranFeature> = cells
                .iter()
                .zip(&set)
                .filter(|(c, _)| q.selection.keeps(c.cell))
                .map(|(c, (_, t))| MoranFeature::new(c, t.count, harm))
                .collect();
            Ok((rows, Map::new()))
        },
    )
    .await
}

analysis_params!(
    /// Query of `GET /api/v1/kde`.
    KdeParams {
    /// `count` (default: every incident counts one) or `harm` (each weighs its harm in
    /// days, the catalogue's harm weights; counts are still given).
    #[param(inline)]
    weight: Option<Weight>,
    /// H3 resolution of the evaluation grid (cell centres), 5–11 (default 9).
    res: Option<u8>,
    /// Bandwidth in metres (10–10,000). Default: ArcGIS's spatial Silverman rule on the
    /// matching incidents (echoed in the response).
    bandwidth_m: Option<f64>,
    /// `quartic` (default; as ArcGIS and QGIS) or `gaussian` (truncated at 3 bandwidths).
    #[param(inline)]
    kernel: Option<crate::analysis::kde::Kernel>,
});

/// Largest bandwidth accepted (a city-scale kernel; beyond it the map is one blur).
pub const MAX_BANDWIDTH_M: f64 = 10_000.0;

/// Smallest bandwidth served to callers without a token: a narrow kernel would draw each
/// incident as its own peak, which is the disclosure the minimum cell count prevents.
pub const MIN_PUBLIC_BANDWIDTH_M: f64 = 250.0;

#[utoipa::path(get, path = "/api/v1/kde", tag = "analysis", params(KdeParams),
    description = "Needs a viewer token unless the server runs with `--public-aggregates` (401 without one). Anonymous answers are computed from perturbed counts (the cell-key method) of one whole calendar month, quarter or year (or all time), at most one category and one class, res up to the public limit (default 9), bbox and area selecting whole cells; other anonymous queries are 400 naming the parameter (README, \"What anonymous visitors see\"); `diemnong.disclosure` says which. 422 when the request is over the cost limit, or there are too few incidents for a default bandwidth.",
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "Kernel density at the centre of every cell with positive density: h3, density (incidents per km²); great-circle distances on the sphere of radius 6,371,008.8 m; the bandwidth used is in the `diemnong` member", content_type = "application/geo+json", body = Object),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 422, response = super::error::responses::UnprocessableEntity),
    ))]
pub(crate) async fn get_kde(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<KdeParams>,
) -> Result<Response, ApiError> {
    use crate::analysis::kde::{
        Kernel, kde, kde_of_masses, silverman_bandwidth_m, silverman_of_masses,
    };
    let snap = state.snapshots.current();
    let audience = state.audience(&caller)?;
    let q = common(&state, &snap, &p.common(p.res, p.weight), audience.clone())?;
    let weights = q.weights.clone();
    let kernel = p.kernel.unwrap_or(Kernel::Quartic);
    if let Some(b) = p.bandwidth_m
        && !(b.is_finite() && (10.0..=MAX_BANDWIDTH_M).contains(&b))
    {
        return Err(ApiError::param(
            "bandwidth_m",
            format!("{b} is outside 10–{MAX_BANDWIDTH_M} metres"),
        ));
    }
    let given = p.bandwidth_m;
    if audience.public().is_some() && given.is_some_and(|h| h < MIN_PUBLIC_BANDWIDTH_M) {
        return Err(ApiError::param(
            "bandwidth_m",
            format!(
                "without a sign-in, bandwidth_m is at least {MIN_PUBLIC_BANDWIDTH_M} m: a narrow kernel shows single incidents"
            ),
        ));
    }
    let csv = q.csv;
    let max_cost = state.analysis.max_cost;
    serve_analysis(
        state.clone(),
        snap,
        &headers,
        Job { endpoint: "kde", query: uri.query().unwrap_or(""), csv, weights: weights.as_ref(), audience: &audience },
        move |snap| {
            let public = q.audience.public().is_some();
            // For the public, the masses are the published counts at their cell centres: no
            // incident's position enters the surface.
            let masses: Option<Vec<(h3o::CellIndex, f64)>> = q.audience.public().map(|rules| {
                published_counts(&snap.incidents, &q.filter, q.res, &rules.ptable)
                    .into_iter()
                    .map(|(c, n)| (c, f64::from(n)))
                    .collect()
            });
            let (h, rule) = match given {
                Some(h) => (h, "given"),
                None => (
                    masses
                        .as_deref()
                        .map_or_else(|| silverman_bandwidth_m(&snap.incidents, &q.filter), silverman_of_masses)
                        .ok_or_else(|| ApiError::Unprocessable("a default bandwidth needs at least 2 incidents at distinct places; give bandwidth_m".into()))?
                        .clamp(if public { MIN_PUBLIC_BANDWIDTH_M } else { 10.0 }, MAX_BANDWIDTH_M),
                    "arcgis_spatial_silverman",
                ),
            };
            // Cells examined: each occupied cell grown by a disk covering the kernel's support.
            let occupied = match &masses {
                Some(m) => m.len(),
                None => crate::analysis::cells::count_cells(&snap.incidents, &q.filter, q.res).len(),
            };
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a small positive ratio")]
            let k = (kernel.support_m(h) / (q.res.edge_length_m() * 1.5)).ceil() as usize + 1;
            cost_check(max_cost, occupied.saturating_mul(disk_size(k)), 1)?;
            let cells = match &masses {
                Some(m) => kde_of_masses(m, q.res, h, kernel),
                None => kde(&snap.incidents, &q.filter, q.res, h, kernel, &q.weighting),
            };
            let rows: Vec<KdeFeature> = cells
                .into_iter()
                .filter(|c| q.selection.keeps(c.cell))
                .map(Into::into)
                .collect();
            let mut extra = Map::new();
            extra.insert("bandwidth_m".into(), json!(h));
            extra.insert("bandwidth_rule".into(), json!(rule));
            extra.insert("kernel".into(), json!(match kernel { Kernel::Quartic => "quartic", Kernel::Gaussian => "gaussian" }));
            Ok((rows, extra))
        },
    )
    .await
}

analysis_params!(
    /// Query of `GET /api/v1/clusters`.
    ClusterParams {
    /// Neighbourhood radius in great-circle metres, 1–5,000 (default 100); without a sign-in
    /// a multiple of 50 from 100 (default 400: the public clusters res-9 cells, ~370 m apart).
    eps_m: Option<f64>,
    /// Points within eps (the point itself included) that make a core point, 2–10,000
    /// (default 10); without a sign-in at least the smallest published count (3).
    min_points: Option<usize>,
});

#[utoipa::path(get, path = "/api/v1/clusters", tag = "analysis", params(ClusterParams),
    description = "Needs a viewer token unless the server runs with `--public-aggregates` (401 without one). Anonymous answers are computed from perturbed counts (the cell-key method) of one whole calendar month, quarter or year (or all time), at most one category and one class, res up to the public limit (default 9), bbox and area selecting whole cells; other anonymous queries are 400 naming the parameter (README, \"What anonymous visitors see\"); `diemnong.disclosure` says which. 422 when the request is over the cost limit (points).",
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "DBSCAN clusters (great-circle metres; min_points counts the point itself): each as the convex hull of its members (a counter-clockwise Polygon; when the members are coincident or collinear, whose hull has no area, a small valid polygon covering them instead: octagons of 5 m radius around the point, or around both ends of the segment, and the strip between) with id, count, core, first and last occurred_at, top_categories; noise left out. Anonymous callers get DBSCAN of the published counts (each cell of the public resolution a point at its centre weighing its published count), each cluster its cells dissolved, with id, cells, incidents (the sum of the cells' published counts) and top_categories, and no times. format=csv lists the members instead (viewers only)", content_type = "application/geo+json", body = Object),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 422, response = super::error::responses::UnprocessableEntity),
    ))]
pub(crate) async fn get_clusters(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ClusterParams>,
) -> Result<Response, ApiError> {
    use crate::analysis::clusters::{members, summaries};
    use crate::analysis::dbscan::dbscan;
    let snap = state.snapshots.current();
    let audience = state.audience(&caller)?;
    let q = common(&state, &snap, &p.common(None, None), audience.clone())?;
    // The public clusters cells, whose centres are some 370 m apart at res 9: at 100 m each
    // heavy cell would be a cluster of its own.
    let eps = p.eps_m.unwrap_or(if audience.public().is_some() {
        super::public::PUBLIC_EPS_DEFAULT_M
    } else {
        100.0
    });
    if !(eps.is_finite() && (1.0..=5_000.0).contains(&eps)) {
        return Err(ApiError::param(
            "eps_m",
            format!("{eps} is outside 1–5,000 metres"),
        ));
    }
    let min_points = p.min_points.unwrap_or(10);
    if !(2..=10_000).contains(&min_points) {
        return Err(ApiError::param(
            "min_points",
            format!("{min_points} is outside 2–10,000"),
        ));
    }
    if let Some(rules) = audience.public() {
        public_cluster_params(rules, eps, min_points)?;
    }
    let max_cost = state.analysis.max_cost;
    if q.csv {
        // The members are raw incidents: a viewer's to see.
        caller.require(Role::Viewer)?;
        let filter = q.filter;
        let snap2 = Arc::clone(&snap);
        let c = tokio::task::spawn_blocking(move || {
            let c = dbscan(&snap2.incidents, &filter, eps, min_points);
            cost_check(max_cost, c.ids.len(), 1).map(|()| c)
        })
        .await
        .map_err(ApiError::internal)??;
        let members = members(&c);
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["external_id", "cluster", "core"])
            .map_err(ApiError::internal)?;
        for chunk in members.chunks(1_000) {
            let ids: Vec<i64> = chunk.iter().map(|m| m.id).collect();
            let rows = state.store.incidents_by_ids(&ids).await?;
            let ext: HashMap<i64, String> = rows
                .into_iter()
                .map(|r| (r.id, r.data.external_id.unwrap_or_default()))
                .collect();
            for m in chunk {
                w.write_record([
                    ext.get(&m.id).map_or("", String::as_str),
                    &m.cluster.to_string(),
                    if m.core { "true" } else { "false" },
                ])
                .map_err(ApiError::internal)?;
            }
        }
        let body = w.into_inner().map_err(ApiError::internal)?;
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response());
    }
    let job = Job {
        endpoint: "clusters",
        query: uri.query().unwrap_or(""),
        csv: false,
        weights: None,
        audience: &audience,
    };
    if let Some(rules) = audience.public() {
        let rules = Arc::new(PublicClusterRules {
            res: rules.max_res,
            eps,
            min_points,
            max_cost,
        });
        return serve_analysis(state.clone(), snap, &headers, job, move |snap| {
            public_clusters(&snap, &q, &rules)
        })
        .await;
    }
    let zone = Arc::clone(&state.zone);
    serve_analysis(state.clone(), snap, &headers, job, move |snap| {
        let c = dbscan(&snap.incidents, &q.filter, eps, min_points);
        cost_check(max_cost, c.ids.len(), 1)?;
        let rows: Vec<ClusterFeature> = summaries(&snap.incidents, &q.filter, &c)
            .into_iter()
            .map(|cl| ClusterFeature::new(cl, &zone))
            .collect();
        let mut extra = Map::new();
        extra.insert("clusters".into(), json!(c.clusters));
        extra.insert("noise".into(), json!(c.noise()));
        Ok((rows, extra))
    })
    .await
}

/// The public's DBSCAN parameters: a radius on a 50 m grid from 100 m (cells of the public
/// resolution are some 400 m across, so a finer step changes nothing; a grid keeps the
/// public answers few and cached), and a weight of at least the smallest published count.
fn public_cluster_params(rules: &PublicRules, eps: f64, min_points: usize) -> Result<(), ApiError> {
    use super::public::EPS_STEP_M;
    if eps < 2.0 * EPS_STEP_M || eps % EPS_STEP_M != 0.0 {
        return Err(ApiError::param(
            "eps_m",
            format!(
                "without a sign-in, eps_m is a multiple of {EPS_STEP_M} m from {} m; {eps} is not",
                2.0 * EPS_STEP_M
            ),
        ));
    }
    if min_points < rules.min_count as usize {
        return Err(ApiError::param(
            "min_points",
            format!(
                "without a sign-in, min_points is at least {}; {min_points} is not",
                rules.min_count
            ),
        ));
    }
    Ok(())
}

/// What [`public_clusters`] needs besides the query.
struct PublicClusterRules {
    res: Resolution,
    eps: f64,
    min_points: usize,
    max_cost: u64,
}

/// DBSCAN as anonymous callers get it: of the published counts at the public resolution,
/// each cell a point at its centre weighing its count
/// ([`crate::analysis::clusters::cell_dbscan`]), never of the incidents — on the incidents,
/// sweeping `min_points` would tell a cell's exact count by when its cluster vanishes.
/// Each cluster is its cells dissolved, with their published counts added up; ids follow
/// the clusters' first cells.
fn public_clusters(
    snap: &Snapshot,
    q: &Query,
    r: &PublicClusterRules,
) -> Result<(Vec<PublicClusterFeature>, Map<String, Value>), ApiError> {
    use crate::analysis::cells::keyed_by_category;
    use crate::analysis::clusters::{TOP_CATEGORIES, cell_dbscan};
    let Some(rules) = q.audience.public() else {
        return Err(ApiError::internal("public clusters for a viewer"));
    };
    let counts = published_counts(&snap.incidents, &q.filter, r.res, &rules.ptable);
    cost_check(r.max_cost, counts.len(), 1)?;
    let count_of = |cell: &h3o::CellIndex| {
        counts
            .binary_search_by_key(cell, |(c, _)| *c)
            .map_or(0, |j| counts[j].1)
    };
    let sets = cell_dbscan(
        &counts,
        r.eps,
        u32::try_from(r.min_points).unwrap_or(u32::MAX),
    );
    let mut owner: Vec<(h3o::CellIndex, usize)> = sets
        .iter()
        .enumerate()
        .flat_map(|(id, set)| set.iter().map(move |cell| (*cell, id)))
        .collect();
    owner.sort_unstable();
    let cells: Vec<h3o::CellIndex> = owner.iter().map(|(c, _)| *c).collect();
    let mut cats: Vec<HashMap<String, u64>> = vec![HashMap::new(); sets.len()];
    for ((cell, cat), k) in keyed_by_category(&snap.incidents, &q.filter, r.res, &cells) {
        let n = rules.ptable.perturb(k.count, k.key);
        if n > 0
            && let Ok(j) = cells.binary_search(&cell)
        {
            *cats[owner[j].1]
                .entry(snap.incidents.categories().code(cat).to_owned())
                .or_default() += u64::from(n);
        }
    }
    let solvent = h3o::geom::SolventBuilder::new().build();
    let mut rows = Vec::new();
    for (id, (set, cats)) in sets.into_iter().zip(cats).enumerate() {
        if !q.selection.keeps_any(&set) {
            continue;
        }
        let mut top: Vec<(String, u64)> = cats.into_iter().collect();
        top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(TOP_CATEGORIES);
        rows.push(PublicClusterFeature::new(
            id,
            set.iter().map(|cell| u64::from(count_of(cell))).sum(),
            top,
            solvent
                .dissolve(set.iter().copied())
                .map_err(ApiError::internal)?,
            set.len(),
        ));
    }
    let mut extra = Map::new();
    extra.insert("clusters".into(), json!(rows.len()));
    Ok((rows, extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last guard: a public answer with a feature standing for 1 or 2 incidents is an
    /// error, whatever computed it; 0 (an empty study-set cell) and 3 pass, and a surface
    /// without a count (KDE) is not judged by this rule.
    #[test]
    fn the_guard_refuses_a_public_feature_of_one_or_two_incidents() {
        let rules = PublicRules::new(5, 3.0, 3, Resolution::Nine).expect("the default table");
        let cell = h3o::LatLng::new(10.77, 106.70)
            .expect("a point")
            .to_cell(Resolution::Nine);
        let row = |count| DensityFeature {
            h3: cell,
            count,
            per_km2: 0.0,
            harm: None,
            harm_per_km2: None,
        };
        assert!(guard("density", &[row(0), row(3), row(17)], &rules).is_ok());
        for small in [1, 2] {
            assert!(
                guard("density", &[row(5), row(small)], &rules).is_err(),
                "{small}"
            );
        }
        let kde = KdeFeature {
            h3: cell,
            density: 1.0,
        };
        assert!(guard("kde", &[kde], &rules).is_ok());
    }
}
