//! `GET /api/v1/report?year=Y`: the yearly report of the conversion programme as a printable
//! HTML page (Vietnamese by default, `lang=en`) or the same content as CSV (`format=csv`).
//! This handler parses, checks the role and gathers the input (snapshot, the year's history,
//! KPIs off the runtime); the model and both renderings are pure functions in
//! [`crate::report`].

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::areas::{KpiJob, compute_kpis, parse_year};
use super::error::ApiError;
use super::extract::{Caller, Params};
use crate::auth::Role;
use crate::domain::Period;
use crate::domain::period::year_of;
use crate::report::{self, Report, i18n::Lang};

/// Query of `GET /api/v1/report`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The programme year (default: the current year in the committee's zone).
    pub year: Option<i64>,
    /// `vi` (default) or `en`.
    #[param(inline)]
    pub lang: Option<Lang>,
    /// `html` (default) or `csv`; `f` is accepted for it.
    #[serde(alias = "f")]
    #[param(inline)]
    pub format: Option<ReportFormat>,
}

/// What the report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Html,
    Csv,
}

#[utoipa::path(get, path = "/api/v1/report", tag = "programme", params(ReportParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The year's report: the programme's totals, then every designated complex area with its status, KPIs against its targets (traffic lights), hotspots and history. Printable HTML (A4; Vietnamese unless lang=en) or CSV (format=csv: section, area_code, area_name, indicator, value, previous, target, target_met, light, at, by, note) (viewer role)", content_type = "text/html", body = String),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
    ))]
pub(crate) async fn get_report(
    State(state): State<AppState>,
    identity: Caller,
    Params(p): Params<ReportParams>,
) -> Result<Response, ApiError> {
    identity.require(Role::Viewer)?;
    let lang = p.lang.unwrap_or(Lang::Vi);
    let as_csv = p.format == Some(ReportFormat::Csv);
    let zone = &*state.zone;
    let year = match p.year {
        Some(y) => parse_year(y)?,
        None => year_of(crate::service::now(), zone.tz()).map_err(ApiError::internal)?,
    };
    let period = Period::year(year, zone.tz()).map_err(|e| ApiError::param("year", e.reason))?;
    let snap = state.snapshots.current();
    let events = state.store.programme_events(None, Some(year)).await?;
    let chosen = report::designations(&snap, year);
    let jobs = chosen
        .iter()
        .map(|(pos, d)| KpiJob {
            pos: *pos,
            targets: d.terms.targets,
            monthly: false,
        })
        .collect();
    let kpis = compute_kpis(&state, &snap, period, jobs).await?;
    let report = Report::from_snapshot(
        &snap,
        zone,
        year,
        period,
        crate::service::now(),
        chosen.into_iter().zip(kpis),
        &events,
    );
    if as_csv {
        let body = report::csv::render(&report).map_err(ApiError::internal)?;
        let disposition = format!("attachment; filename=\"diemnong-report-{year}.csv\"");
        let mut res = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(res);
    }
    let body = report::html::render(&report, lang);
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page needs nothing but its own inline style: no scripts, no fetches.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        body,
    )
        .into_response())
}

/// The yearly report of the conversion programme.
pub fn router() -> axum::Router<super::AppState> {
    axum::Router::new().route("/report", axum::routing::get(get_report))
}
