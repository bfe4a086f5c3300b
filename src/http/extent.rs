//! `GET /api/v1/extent`: where and when the data lie, so that a client (the map page, a GIS
//! user) can choose a view that shows data instead of guessing a time range.
//!
//! Public, because a signed-out visitor's map needs a default view too; but what it says
//! publicly cannot place an incident. The incident time span is given in whole months (the
//! first day of the first month with an incident, the first day after the last) and the
//! bounding box is rounded outward to 0.01° (about 1.1 km): an exact minimum or maximum
//! would be one incident's time or coordinate. A viewer token (or the session cookie) adds
//! the exact first and last times, the exact box and the count.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::AppState;
use super::error::ApiError;
use super::extract::{Caller, Params};
use crate::auth::Role;
use crate::domain::Zone;
use crate::index::Extent;

/// The extent takes no parameters (unknown ones are refused, as everywhere).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExtentParams {}

/// Grid of the public bounding box, in degrees.
const PUBLIC_BBOX_STEP: f64 = 0.01;

#[utoipa::path(get, path = "/api/v1/extent", tag = "service",
    description = "Takes no parameters: any given is a 400.",
    responses(
        (status = 200, description = "The committee's time zone and today in it; the incidents' time span in whole months and their bounding box (rounded outward to 0.01° without a token; exact, with the count and the first and last times, with a viewer token), `null` with no incidents; the years with designations in the conversion programme; on a server with public aggregates, `public`: what anonymous callers may ask (periods, max_res, min_count, eps_m_step) and that their figures are perturbed", body = Object),
        (status = 400, response = super::error::responses::BadRequest),
    ))]
pub(crate) async fn get_extent(
    State(state): State<AppState>,
    caller: Caller,
    Params(ExtentParams {}): Params<ExtentParams>,
) -> Result<Response, ApiError> {
    let exact = caller.require(Role::Viewer).is_ok();
    let snap = state.snapshots.current();
    let zone = &*state.zone;
    let extent = {
        let snap = std::sync::Arc::clone(&snap);
        tokio::task::spawn_blocking(move || snap.incidents.extent())
            .await
            .map_err(ApiError::internal)?
    };
    let mut years: Vec<i16> = snap.programme.all().iter().map(|d| d.year).collect();
    years.sort_unstable();
    years.dedup();
    let mut body = json!({
        "time_zone": zone.name(),
        "today": zone.today().to_string(),
        "incidents": extent.map_or(Value::Null, |e| incidents(zone, &e, exact)),
        "programme_years": years,
        "data_version": snap.version,
    });
    if let Some(rules) = &state.public {
        // What a signed-out page may ask for (issue 18): the same for every caller, so that
        // a signed-in page knows what signing out changes.
        body["public"] = rules.extent_member();
    }
    Ok((
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::VARY, "Authorization, Cookie"),
        ],
        axum::Json(body),
    )
        .into_response())
}

/// The first day of the first month with an incident and the first day after the last
/// one's month, in `zone`: what anyone may know of the data's span.
fn months(zone: &Zone, e: &Extent) -> (jiff::civil::Date, jiff::civil::Date) {
    let first_month = zone.date_of(e.first).first_of_month();
    let after_last_month = zone
        .date_of(e.last)
        .last_of_month()
        .tomorrow()
        .unwrap_or_else(|_| zone.date_of(e.last));
    (first_month, after_last_month)
}

/// [`months`] as Unix seconds (local midnights): the span an anonymous emerging-hotspot
/// analysis without `from`/`to` covers, so that its first and last slices come from all the
/// incidents, not from the few of one category or class.
#[must_use]
pub fn month_span(zone: &Zone, e: &Extent) -> Option<(i64, i64)> {
    let (a, b) = months(zone, e);
    let at = |d: jiff::civil::Date| {
        d.to_datetime(jiff::civil::Time::midnight())
            .to_zoned_datetime(zone.tz().clone())
            .ok()
            .map(|z| z.timestamp().as_second())
    };
    Some((at(a)?, at(b)?))
}

fn incidents(zone: &Zone, e: &Extent, exact: bool) -> Value {
    let (first_month, after_last_month) = months(zone, e);
    let mut out = json!({
        "from": first_month.to_string(),
        "to": after_last_month.to_string(),
    });
    if exact {
        out["bbox"] = json!(e.bbox);
        out["count"] = json!(e.count);
        out["first"] = json!(zone.format(e.first));
        out["last"] = json!(zone.format(e.last));
    } else {
        out["bbox"] = json!(public_bbox(e.bbox));
    }
    out
}

/// The box rounded outward to the public grid: it contains every incident, and none of its
/// edges is an incident's coordinate (unless one lies exactly on a grid line).
fn public_bbox([w, s, e, n]: [f64; 4]) -> [f64; 4] {
    let down = |x: f64| ((x / PUBLIC_BBOX_STEP).floor() * PUBLIC_BBOX_STEP * 100.0).round() / 100.0;
    let up = |x: f64| ((x / PUBLIC_BBOX_STEP).ceil() * PUBLIC_BBOX_STEP * 100.0).round() / 100.0;
    [down(w), down(s), up(e), up(n)]
}

/// Where and when the data lie.
pub fn router() -> axum::Router<super::AppState> {
    axum::Router::new().route("/extent", axum::routing::get(get_extent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::float_cmp,
        reason = "the grid's values are the doubles nearest each 0.01 step, as written"
    )]
    fn the_public_box_contains_the_exact_one_on_a_coarse_grid() {
        let b = public_bbox([106.600_123, 10.720_9, 106.799_5, 10.859_999]);
        assert_eq!(b, [106.6, 10.72, 106.8, 10.86]);
        let b = public_bbox([-0.004, -10.001, 0.004, -9.999]);
        assert_eq!(b, [-0.01, -10.01, 0.01, -9.99]);
    }

    #[test]
    fn months_are_counted_in_the_committees_zone() {
        let zone = Zone::new("Asia/Ho_Chi_Minh").expect("zone");
        // 2024-12-31T17:30Z is already 1 January 2025 in Hanoi; 2023-01-01T00:30+07 is
        // still 2022 in UTC.
        let e = Extent {
            count: 2,
            first: 1_672_507_800,
            last: 1_735_666_200,
            bbox: [106.7, 10.8, 106.7, 10.8],
        };
        let v = incidents(&zone, &e, false);
        assert_eq!(v["from"], "2023-01-01");
        assert_eq!(v["to"], "2025-02-01");
        assert!(v.get("count").is_none() && v.get("first").is_none());
        let v = incidents(&zone, &e, true);
        assert_eq!(v["count"], 2);
        assert_eq!(v["first"], "2023-01-01T00:30:00+07:00");
        assert_eq!(v["last"], "2025-01-01T00:30:00+07:00");
    }
}
