//! Extractors that turn every rejection into problem+json naming what was wrong.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;
use crate::auth::Role;

/// Query parameters, deserialised strictly: an unknown parameter is a 400 (GIS clients
/// expect that; a typo must not silently widen a query).
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str::<T>(q).map(Params).map_err(|e| {
            // serde's message says what is wrong but not always with which parameter
            // ("invalid digit found in string"). Every parameter struct is all-optional, so
            // deserialising each pair alone finds the one at fault.
            let culprit = serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .unwrap_or_default()
                .into_iter()
                .find(|(k, v)| {
                    serde_urlencoded::to_string([(k, v)])
                        .is_ok_and(|one| serde_urlencoded::from_str::<T>(&one).is_err())
                });
            match culprit {
                Some((k, v)) => ApiError::param(k, format!("{v:?}: {e}")),
                None => ApiError::param("query", e.to_string()),
            }
        })
    }
}

/// Who is calling: the token presented (bearer header or session cookie) with its name, id
/// and role — what authorisation checks and what the programme's history records as "who"
/// — or nobody. The one auth extractor of the API.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<crate::store::TokenInfo>);

impl Caller {
    /// The caller's role, if a known token was presented.
    #[must_use]
    pub fn role(&self) -> Option<Role> {
        self.0.as_ref().map(|t| t.role)
    }

    /// The caller as an actor, if its role is at least `role`: 401 without a token, 403
    /// with a weaker one.
    ///
    /// # Errors
    /// As above.
    pub fn require(&self, role: Role) -> Result<crate::domain::Actor, ApiError> {
        match &self.0 {
            Some(t) if t.role >= role => Ok(crate::domain::Actor {
                name: t.name.clone(),
                token_id: Some(t.id),
            }),
            Some(t) => Err(ApiError::Forbidden(format!(
                "this needs the {role} role; the token has {}",
                t.role
            ))),
            None => Err(ApiError::Unauthorized(format!(
                "this needs a token with the {role} role (Authorization: Bearer …)"
            ))),
        }
    }

    /// Resolves the credential of `headers`, for handlers that need it only sometimes (a
    /// public listing must not fail over a token it does not need).
    ///
    /// # Errors
    /// 401 for a malformed header or an unknown or revoked bearer token.
    pub async fn of(state: &AppState, headers: &HeaderMap) -> Result<Self, ApiError> {
        let Some(cred) = Credential::of(headers)? else {
            return Ok(Self(None));
        };
        match state
            .store
            .token_by_hash(&crate::auth::hash_token(cred.token()))
            .await?
        {
            Some(info) => Ok(Self(Some(info))),
            None => cred.unknown().map(|()| Self(None)),
        }
    }
}

/// The name of the sign-in cookie (see [`super::session`]).
pub const SESSION_COOKIE: &str = "dn_session";

/// A presented credential: a bearer token, or the map page's session cookie.
#[derive(Debug, Clone, Copy)]
enum Credential<'a> {
    Bearer(&'a str),
    Cookie(&'a str),
}

impl<'a> Credential<'a> {
    /// The Authorization header wins over the cookie (a script's explicit token is what
    /// it means to use).
    fn of(headers: &'a HeaderMap) -> Result<Option<Self>, ApiError> {
        if let Some(t) = bearer(headers)? {
            return Ok(Some(Self::Bearer(t)));
        }
        Ok(session_cookie(headers).map(Self::Cookie))
    }

    fn token(self) -> &'a str {
        match self {
            Self::Bearer(t) | Self::Cookie(t) => t,
        }
    }

    /// What an unknown or revoked credential means: a bearer token is refused (401); a
    /// stale cookie makes the caller anonymous, so that public pages keep working for a
    /// browser whose token was revoked (`GET /api/v1/session` tells the page).
    fn unknown(self) -> Result<(), ApiError> {
        match self {
            Self::Bearer(_) => Err(ApiError::Unauthorized(
                "the token is unknown or revoked".into(),
            )),
            Self::Cookie(_) => Ok(()),
        }
    }
}

/// The value of the session cookie, if the request carries one.
#[must_use]
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, v)| *k == SESSION_COOKIE && !v.is_empty())
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not ASCII".into()))?;
    match v.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <token>`".into(),
        )),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Self::of(state, &parts.headers).await
    }
}

/// The raw request body; a body over the limit or a broken stream is problem+json. Read
/// it after authorising (extractors run first; [`Body::json`] parses on demand).
pub struct Body(pub axum::body::Bytes);

impl Body {
    /// The body as JSON of type `T`; a problem names `body` and says what is wrong where.
    ///
    /// # Errors
    /// A 400 for a body that is not such JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.0).map_err(|e| ApiError::param("body", e.to_string()))
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => Ok(Self(b)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge(e.body_text()))
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}
