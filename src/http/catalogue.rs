//! `GET /api/v1/catalogue` (public) and its edits (editor role).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;
use super::extract::Caller;
use crate::auth::Role;
use crate::domain::{Catalogue, CatalogueEntry};
use crate::store::CatalogueKind;

#[utoipa::path(get, path = "/api/v1/catalogue", tag = "catalogue",
    responses((status = 200, description = "Incident categories and self-managed model kinds, with Vietnamese and English labels", body = Catalogue)))]
pub async fn get_catalogue(State(state): State<AppState>) -> Json<Catalogue> {
    Json((*state.snapshots.current().catalogue).clone())
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

/// The catalogue of categories and model kinds.
pub fn router() -> axum::Router<super::AppState> {
    axum::Router::new()
        .route("/catalogue", axum::routing::get(get_catalogue))
        .route("/catalogue/{kind}/{code}", axum::routing::put(put_entry))
}
