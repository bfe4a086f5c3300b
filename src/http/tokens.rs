//! Token administration (admin role). The CLI's `diemnong token create` does the same.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;
use super::extract::{Body, Caller};
use crate::auth::Role;
use crate::store::TokenInfo;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub role: Role,
    /// Who or what the token is for.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    pub role: Role,
    /// The token. Shown this once: only its hash is stored.
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken, security(("bearer" = [])),
    description = "Needs an admin token.",
    responses(
        (status = 201, description = "Created", body = CreatedToken),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    caller.require(Role::Admin)?;
    let req: NewToken =
        serde_json::from_slice(&body).map_err(|e| ApiError::param("body", e.to_string()))?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::param("name", "must be 1–200 characters"));
    }
    let (id, token) = state.service.create_token(name, req.role).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id,
            role: req.role,
            token,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])),
    description = "Needs an admin token.",
    responses(
        (status = 200, description = "Every token, without secrets", body = [TokenInfo]),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    caller.require(Role::Admin)?;
    Ok(Json(state.store.tokens().await?))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    description = "Needs an admin token. 404 when no live token has this id.",
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
        (status = 404, response = super::error::responses::NotFound),
    ))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Admin)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::param("id", format!("{id:?} is not a token id")))?;
    state.service.revoke_token(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Token administration (admin role).
pub fn router() -> axum::Router<super::AppState> {
    axum::Router::new()
        .route("/tokens", axum::routing::get(list).post(create))
        .route("/tokens/{id}", axum::routing::delete(revoke))
}
