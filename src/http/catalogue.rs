//! `GET /api/v1/catalogue` (public) and its edits (editor role).

use axum::Json;
use axum::extract::{Path, State};
use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;
use super::extract::Caller;
use crate::auth::Role;
use crate::domain::harm::{self, HarmWeightEntry};
use crate::domain::{Catalogue, CatalogueEntry, Severity};
use crate::store::CatalogueKind;

/// What `GET /api/v1/catalogue` answers: both catalogues and the harm weights in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueView {
    pub categories: Vec<CatalogueEntry>,
    pub model_kinds: Vec<CatalogueEntry>,
    pub harm_weights: HarmTable,
}

/// The weights of `weight=harm` (src/domain/harm.rs explains the defaults).
#[derive(Debug, Serialize, ToSchema)]
pub struct HarmTable {
    /// Always `days` (of custody, as a crime harm index counts).
    pub unit: &'static str,
    /// Digest of the weights in force; harm-weighted answers carry it in their provenance.
    pub sha256: String,
    /// The default weight of each class: the midpoint of its band of maximum penalties in
    /// the Penal Code (art. 9), in days.
    pub defaults: BTreeMap<Severity, f64>,
    /// Every (category, class) with its weight and whether it is the default.
    pub weights: Vec<HarmWeightEntry>,
}

impl CatalogueView {
    fn of(c: &Catalogue) -> Self {
        Self {
            categories: c.categories.clone(),
            model_kinds: c.model_kinds.clone(),
            harm_weights: HarmTable {
                unit: harm::UNIT,
                sha256: c.harm.digest(),
                defaults: Severity::ALL
                    .into_iter()
                    .map(|s| (s, harm::default_days(s)))
                    .collect(),
                weights: c.harm.table(c.categories.iter().map(|e| e.code.as_str())),
            },
        }
    }
}

#[utoipa::path(get, path = "/api/v1/catalogue", tag = "catalogue",
    responses((status = 200, description = "Incident categories and self-managed model kinds, with Vietnamese and English labels, and the harm weights in force", body = CatalogueView)))]
pub async fn get_catalogue(State(state): State<AppState>) -> Json<CatalogueView> {
    Json(CatalogueView::of(&state.snapshots.current().catalogue))
}

/// New labels for an entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub label_vi: String,
    pub label_en: String,
}

#[utoipa::path(put, path = "/api/v1/catalogue/{kind}/{code}", tag = "catalogue",
    description = "Needs an editor token. 400 for a bad code, bad labels or a bad body; 404 for an unknown catalogue.",
    params(("kind" = CatalogueKind, Path, description = "`categories` or `model_kinds`"), ("code" = String, Path, description = "Entry code")),
    request_body = Labels,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Added or relabelled", body = CatalogueEntry),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
        (status = 404, response = super::error::responses::NotFound),
    ))]
pub(crate) async fn put_entry(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, code)): Path<(String, String)>,
    body: super::extract::Body,
) -> Result<Json<CatalogueEntry>, ApiError> {
    caller.require(Role::Editor)?;
    let kind = match kind.as_str() {
        "categories" => CatalogueKind::Categories,
        "model_kinds" => CatalogueKind::ModelKinds,
        other => {
            return Err(ApiError::NotFound(format!(
                "catalogue {other:?} (use categories or model_kinds)"
            )));
        }
    };
    let labels: Labels = body.json()?;
    let entry = CatalogueEntry::new(&code, &labels.label_vi, &labels.label_en)
        .map_err(|e| ApiError::param(e.field.to_string(), e.reason))?;
    state.service.put_catalogue_entry(kind, &entry).await?;
    Ok(Json(entry))
}

/// A harm weight.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HarmWeightBody {
    /// Days of custody one incident of this category and class weighs (above 0, at most
    /// 365,250).
    pub days: f64,
}

/// The category (known to the catalogue) and class of a harm-weight path.
fn harm_key(state: &AppState, category: &str, severity: &str) -> Result<Severity, ApiError> {
    let snap = state.snapshots.current();
    if !snap.catalogue.categories.iter().any(|e| e.code == category) {
        return Err(ApiError::NotFound(format!("category {category:?}")));
    }
    severity
        .parse::<Severity>()
        .ok()
        .filter(|s| s.as_str() == severity)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "severity {severity:?} (use less_serious, serious, very_serious or especially_serious)"
            ))
        })
}

#[utoipa::path(put, path = "/api/v1/catalogue/harm_weights/{category}/{severity}", tag = "catalogue",
    description = "Needs an admin token. Sets the weight of one (category, class) for `weight=harm` analyses; the data version moves, so every harm-weighted answer is recomputed.",
    params(("category" = String, Path, description = "Category code"), ("severity" = Severity, Path, description = "Class")),
    request_body = HarmWeightBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The weight now in force", body = HarmWeightEntry),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
        (status = 404, response = super::error::responses::NotFound),
    ))]
pub(crate) async fn put_harm_weight(
    State(state): State<AppState>,
    caller: Caller,
    Path((category, severity)): Path<(String, String)>,
    body: super::extract::Body,
) -> Result<Json<HarmWeightEntry>, ApiError> {
    caller.require(Role::Admin)?;
    let severity = harm_key(&state, &category, &severity)?;
    let b: HarmWeightBody = body.json()?;
    let days = harm::validate_days(b.days).map_err(|e| ApiError::param(e.field, e.reason))?;
    state
        .service
        .set_harm_weight(&category, severity, Some(days))
        .await?;
    Ok(Json(HarmWeightEntry {
        category,
        severity,
        days,
        default: false,
    }))
}

#[utoipa::path(delete, path = "/api/v1/catalogue/harm_weights/{category}/{severity}", tag = "catalogue",
    description = "Needs an admin token. Puts the (category, class) back on its class's default weight.",
    params(("category" = String, Path, description = "Category code"), ("severity" = Severity, Path, description = "Class")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The default weight applies"),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
        (status = 404, response = super::error::responses::NotFound),
    ))]
pub(crate) async fn delete_harm_weight(
    State(state): State<AppState>,
    caller: Caller,
    Path((category, severity)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Admin)?;
    let severity = harm_key(&state, &category, &severity)?;
    state
        .service
        .set_harm_weight(&category, severity, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The catalogue of categories and model kinds.
pub fn router() -> axum::Router<super::AppState> {
    axum::Router::new()
        .route("/catalogue", axum::routing::get(get_catalogue))
        .route("/catalogue/{kind}/{code}", axum::routing::put(put_entry))
        .route(
            "/catalogue/harm_weights/{category}/{severity}",
            axum::routing::put(put_harm_weight).delete(delete_harm_weight),
        )
}
