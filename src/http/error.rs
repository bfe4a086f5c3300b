//! Every error the API returns, and the one place where errors become HTTP:
//! `application/problem+json` (RFC 9457). 4xx bodies say what was wrong and where; a 5xx
//! body is generic and the real error is logged.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::ingest::RowError;
use crate::programme::ProgrammeError;
use crate::service::{ImportReport, ServiceError};
use crate::store::StoreError;

/// A problem detail (RFC 9457) with diemnong's extension members.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The query parameter or body field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Per-record problems of an import (line/column or JSON pointer, and reason).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RowError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors_total: Option<u64>,
    /// For 409 on the conversion programme: the moves that are legal from here (empty
    /// once the year is closed; present on every such 409 so clients need not guess).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

/// The problem responses of the OpenAPI document, declared once as
/// `components.responses` (each an `application/problem+json` body with the [`Problem`]
/// schema). An operation lists the statuses it can answer with as
/// `(status = 404, response = super::error::NotFound)`, which the document writes as a
/// `$ref`; what a status means for that operation in particular goes into the operation's
/// `description`. A new one is declared here and registered in `openapi.rs`
/// (`components(responses(...))`).
pub mod responses {
    use super::Problem;
    use utoipa::ToResponse;

    /// A query parameter, path segment or body field is invalid; `parameter` names it
    /// when there is one.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct BadRequest(pub Problem);

    /// No token where the operation needs one, or an unknown or revoked token.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Unauthorized(pub Problem);

    /// The token's role is too weak for the operation (viewer < editor < admin).
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Forbidden(pub Problem);

    /// What the path names does not exist.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct NotFound(pub Problem);

    /// The request conflicts with the stored state; on the conversion programme,
    /// `allowed` lists the legal moves from the current status.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Conflict(pub Problem);

    /// The body is larger than the server accepts.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct PayloadTooLarge(pub Problem);

    /// The body's content type is not one the operation reads.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct UnsupportedMediaType(pub Problem);

    /// The request is well formed but cannot be carried out: records with problems
    /// (`errors` lists each with its place), over the cost limit, or too little data for
    /// the method.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct UnprocessableEntity(pub Problem);
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid parameter {parameter}: {detail}")]
    BadParameter { parameter: String, detail: String },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the body is too large: {0}")]
    TooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMedia(String),
    #[error("rejected import")]
    Rejected(Box<ImportReport>),
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Programme(ProgrammeError),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A failure of the server itself; the source is kept for the log (the client gets a
    /// generic message).
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// An internal failure, keeping `e` (and its sources) for the log.
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(e.into())
    }

    pub fn param(parameter: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::BadParameter {
            parameter: parameter.into(),
            detail: detail.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadParameter { .. } | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::Service(ServiceError::Store(StoreError::NotFound(_))) => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::Service(ServiceError::Store(StoreError::Conflict(_))) => {
                StatusCode::CONFLICT
            }
            Self::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Rejected(_) | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Service(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Programme(e) => match e {
                ProgrammeError::Invalid(_) => StatusCode::BAD_REQUEST,
                ProgrammeError::NoArea(_) | ProgrammeError::NotDesignated { .. } => {
                    StatusCode::NOT_FOUND
                }
                ProgrammeError::NotComplex { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                ProgrammeError::AlreadyDesignated { .. }
                | ProgrammeError::PreviousOpen { .. }
                | ProgrammeError::Closed { .. }
                | ProgrammeError::Illegal(_) => StatusCode::CONFLICT,
                // Not reached: `From` unwraps service errors into `Service`.
                ProgrammeError::Service(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }
}

impl From<ProgrammeError> for ApiError {
    fn from(e: ProgrammeError) -> Self {
        match e {
            // Database failures and store conflicts keep their one mapping.
            ProgrammeError::Service(e) => Self::Service(e),
            e => Self::Programme(e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Service(ServiceError::Store(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut p = Problem {
            kind: format!("https://diemnong.github.io/problems/{}", status.as_u16()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            parameter: None,
            errors: Vec::new(),
            errors_total: None,
            allowed: None,
        };
        match self {
            Self::BadParameter { parameter, detail } => {
                p.detail = format!("{parameter}: {detail}");
                p.parameter = Some(parameter);
            }
            Self::Rejected(report) => {
                p.detail = format!(
                    "{} of {} records have problems; nothing was written (send skip_invalid=true to import the valid ones)",
                    report.rejected, report.read
                );
                if report.read == 0 {
                    "the body has problems; nothing was written".clone_into(&mut p.detail);
                }
                p.errors_total = Some(report.errors_total);
                p.errors = report.errors;
            }
            Self::Service(ServiceError::Store(StoreError::NotFound(what))) => {
                p.detail = format!("{what} not found");
            }
            Self::Service(ServiceError::Store(StoreError::Conflict(what))) => {
                p.detail = format!("conflicts with stored data: {what}");
            }
            Self::Service(ref e) if status.is_server_error() => {
                tracing::error!(error = %e, "request failed");
                "an internal error occurred; it has been logged".clone_into(&mut p.detail);
            }
            Self::Programme(ref e) => {
                if status == StatusCode::CONFLICT {
                    p.allowed = Some(e.allowed().iter().map(|s| s.as_str().to_owned()).collect());
                }
                if let ProgrammeError::Invalid(d) = e {
                    p.detail = d.to_string();
                    p.parameter = Some(d.field.to_string());
                }
                if status.is_server_error() {
                    tracing::error!(error = %e, "request failed");
                    "an internal error occurred; it has been logged".clone_into(&mut p.detail);
                }
            }
            Self::Internal(ref e) => {
                let mut chain = e.to_string();
                let mut source = e.source();
                while let Some(s) = source {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    source = s.source();
                }
                tracing::error!(error = %chain, "request failed");
                "an internal error occurred; it has been logged".clone_into(&mut p.detail);
            }
            _ => {}
        }
        let mut res = (status, axum::Json(p)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"diemnong\""),
            );
        }
        res
    }
}
