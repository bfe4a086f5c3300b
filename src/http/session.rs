//! Sign-in for the map page: a session cookie carrying the caller's API token.
//!
//! A browser cannot keep a bearer token safe from the page's own scripts; a cookie marked
//! `HttpOnly` can. `POST /api/v1/session` checks a token and sets it as the `dn_session`
//! cookie (`HttpOnly; SameSite=Strict; Path=/`, plus `Secure` behind an HTTPS proxy that
//! says so with `X-Forwarded-Proto`), after which every endpoint sees the cookie as it
//! would the token (see [`super::extract`]). `SameSite=Strict` keeps other sites from
//! making the browser send it, and the writes take JSON bodies, which a cross-site form
//! cannot send without a CORS preflight this server never grants. The cookie holds the
//! token itself rather than a server-side session id, so every replica accepts it with no
//! shared session store, and revoking the token ends every session made with it.

use std::fmt::Write as _;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;
use super::extract::{Body, Caller, SESSION_COOKIE};
use crate::auth::Role;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// An API token (`dn_…`), as `diemnong token create` or `POST /api/v1/tokens` made it.
    pub token: String,
}

/// Who the session belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub signed_in: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The token's name (shown on the page as who is signed in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn cookie(headers: &HeaderMap, value: &str, max_age: Option<u32>) -> Result<HeaderValue, ApiError> {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let mut c = format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/");
    if let Some(age) = max_age {
        let _ = write!(c, "; Max-Age={age}");
    }
    if https {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).map_err(ApiError::internal)
}

#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignIn,
    description = "401 when the token is unknown or revoked.",
    responses(
        (status = 200, description = "Signed in: the `dn_session` cookie is set (HttpOnly, SameSite=Strict)", body = Session),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
    ))]
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let req: SignIn = body.json()?;
    let token = req.token.trim();
    // Tokens are `dn_` and hex: anything else cannot be one, and must not reach a header.
    if token.is_empty()
        || token.len() > 200
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(ApiError::param("token", "is not a diemnong token"));
    }
    let info = state
        .store
        .token_by_hash(&crate::auth::hash_token(token))
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the token is unknown or revoked".into()))?;
    let mut res = Json(Session {
        signed_in: true,
        role: Some(info.role),
        name: Some(info.name),
    })
    .into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, cookie(&headers, token, None)?);
    Ok(res)
}

#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    description = "401 only for a bearer token that is unknown or revoked; nobody signed in is not an error.",
    responses(
        (status = 200, description = "Who is signed in (by cookie or bearer token): `signed_in` false, with no role, for nobody — the page asks on every load, so that is not an error", body = Session),
        (status = 401, response = super::error::responses::Unauthorized),
    ))]
pub async fn current(identity: Caller) -> Json<Session> {
    Json(match identity.0 {
        Some(t) => Session {
            signed_in: true,
            role: Some(t.role),
            name: Some(t.name),
        },
        None => Session {
            signed_in: false,
            role: None,
            name: None,
        },
    })
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Signed out: the cookie is cleared")))]
pub(crate) async fn sign_out(headers: HeaderMap) -> Result<Response, ApiError> {
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, cookie(&headers, "", Some(0))?);
    Ok(res)
}

/// Sign-in for the map page (the token as a cookie).
pub fn router() -> axum::Router<super::AppState> {
    axum::Router::new().route(
        "/session",
        axum::routing::get(current).post(sign_in).delete(sign_out),
    )
}
