//! The conversion programme of complex areas over HTTP: the committee's overview of a
//! year (`GET /api/v1/programme/{year}/areas`; the older `GET /api/v1/areas?year=Y`
//! redirects there), an area's history and KPIs, and the editor's writes (designation,
//! edits, status transitions).
//!
//! Reads need a viewer token (the history names people; KPIs count incidents in small
//! places), writes an editor token. KPIs are computed from one snapshot per request; the
//! city-wide Gi* hot sets they share and the Empirical-Bayes ward rates (for a ward's KPIs)
//! are cached per data version and period, and each area's H3 cover is cached by the area
//! index.

use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::cache::VersionedCache;
use super::error::ApiError;
use super::extract::{Body, Caller, Params};
use super::features::{
    GEOJSON, ListFormat, ListParams, collection, feature, kind_ok, next_link, page_params,
    paginate, self_link,
};
use super::filter::parse_bbox;
use crate::analysis::kpis::{AreaKpis, HotDetail, HotSet, KpiInput, WardRates, hot_set, kpis};
use crate::auth::Role;
use crate::domain::Area;
use crate::domain::period::{YEARS, year_of};
use crate::domain::{
    AreaKind, Designation, DesignationTerms, NewDesignation, Period, ProgrammeEvent,
    ProgrammeStatus, TargetOverrides, Targets, Zone,
};
use crate::index::{BBox, Snapshot};
use crate::ingest::Layer;
use crate::programme::{Edit, Move};
use crate::report::i18n::Lang;

/// Hot sets kept for one data version before the cache is cleared (periods × details).
const HOT_CACHE: usize = 256;

/// A hot set's key within a data version: period start and end, what it holds.
type HotKey = (i64, i64, HotDetail);

/// Ward rate tables kept for one data version before the cache is cleared (periods).
const WARD_CACHE: usize = 64;

/// The committee's settings for the programme, and the caches its reads share.
#[derive(Debug)]
pub struct ProgrammeState {
    /// Targets a designation gets for what its request leaves out, and the targets KPIs
    /// are judged by for areas without a designation.
    pub targets: Targets,
    /// Hot sets by (from, to, detail), for the current data version.
    hot: VersionedCache<HotKey, HotSet>,
    /// Empirical-Bayes ward rates by period (from, to), for the current data version.
    wards: VersionedCache<(i64, i64), WardRates>,
}

impl Default for ProgrammeState {
    fn default() -> Self {
        Self::new(Targets::default())
    }
}

impl ProgrammeState {
    #[must_use]
    pub fn new(targets: Targets) -> Self {
        Self {
            targets,
            hot: VersionedCache::new(HOT_CACHE),
            wards: VersionedCache::new(WARD_CACHE),
        }
    }

    /// The city-wide hot set of `period` in this snapshot (computed once per version).
    pub fn hot(
        &self,
        snap: &Snapshot,
        period: Period,
        detail: HotDetail,
        zone: &Zone,
    ) -> Arc<HotSet> {
        self.hot
            .get_or_insert_with(snap.version, (period.from, period.to, detail), || {
                hot_set(snap, period, detail, zone.tz())
            })
    }

    /// The Empirical-Bayes rates of every ward over `period` in this snapshot (computed
    /// once per version: one count per ward with a population).
    pub fn ward_rates(&self, snap: &Snapshot, period: Period) -> Arc<WardRates> {
        self.wards
            .get_or_insert_with(snap.version, (period.from, period.to), || {
                WardRates::new(snap, period)
            })
    }
}

/// The `/areas` family: the area layer (public), one area, and the conversion programme on complex areas (the year's overview, history, KPIs, designations, transitions).
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/programme/{year}/areas",
            axum::routing::get(get_programme_areas),
        )
        .route(
            "/areas",
            axum::routing::get(list_areas).post(super::features::post_areas),
        )
        .route("/areas/{code}", axum::routing::get(get_area))
        .route("/areas/{code}/history", axum::routing::get(get_history))
        .route("/areas/{code}/kpis", axum::routing::get(get_kpis))
        .route(
            "/areas/{code}/designations",
            axum::routing::post(post_designation),
        )
        .route(
            "/areas/{code}/designations/{year}",
            axum::routing::patch(patch_designation),
        )
        .route(
            "/areas/{code}/transitions",
            axum::routing::post(post_transition),
        )
}

/// A period as a query asks for it: `year`, or `from` and `to`; the current year without.
fn period_of(
    zone: &Zone,
    year: Option<i64>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Period, Option<i16>), ApiError> {
    let tz = zone.tz();
    match (year, from, to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(ApiError::param(
            "year",
            "give year, or from and to, not both",
        )),
        (Some(y), None, None) => {
            let y = parse_year(y)?;
            Ok((
                Period::year(y, tz).map_err(|e| ApiError::param("year", e.reason))?,
                Some(y),
            ))
        }
        (None, Some(f), Some(t)) => {
            let f = zone
                .parse_instant("from", f)
                .map_err(|e| ApiError::param("from", e.reason))?;
            let t = zone
                .parse_instant("to", t)
                .map_err(|e| ApiError::param("to", e.reason))?;
            Ok((
                Period::new(f, t).map_err(|e| ApiError::param("to", e.reason))?,
                None,
            ))
        }
        (None, Some(_), None) => Err(ApiError::param("to", "give to with from")),
        (None, None, Some(_)) => Err(ApiError::param("from", "give from with to")),
        (None, None, None) => {
            let y = year_of(crate::service::now(), tz).map_err(ApiError::internal)?;
            Ok((
                Period::year(y, tz).map_err(|e| ApiError::param("year", e.reason))?,
                Some(y),
            ))
        }
    }
}

/// A programme year from a query or body.
pub(crate) fn parse_year(y: i64) -> Result<i16, ApiError> {
    i16::try_from(y)
        .ok()
        .filter(|y| YEARS.contains(y))
        .ok_or_else(|| {
            ApiError::param(
                "year",
                format!("{y} is outside {}–{}", YEARS.start(), YEARS.end()),
            )
        })
}

/// What a KPI computation is asked.
pub struct KpiJob {
    /// The area's position in the snapshot's area layer.
    pub pos: usize,
    pub targets: Targets,
    /// Also the monthly series (and each month's own hot cells).
    pub monthly: bool,
}

/// The KPIs of several areas over one period, off the async runtime, sharing one hot set.
///
/// # Errors
/// When the period is too long for a monthly series, or the blocking task fails.
pub async fn compute_kpis(
    state: &AppState,
    snap: &Arc<Snapshot>,
    period: Period,
    jobs: Vec<KpiJob>,
) -> Result<Vec<AreaKpis>, ApiError> {
    let (snap, zone, programme) = (
        Arc::clone(snap),
        Arc::clone(&state.zone),
        Arc::clone(&state.programme),
    );
    tokio::task::spawn_blocking(move || {
        let tz = zone.tz();
        let previous = period
            .previous_year(tz)
            .map_err(|e| ApiError::param("from", e.reason))?;
        let hot = programme.hot(&snap, period, HotDetail::CellsAndZones, &zone);
        // Ward rates only when a ward is asked for (the overview and the report are of
        // complex areas).
        let wards = jobs
            .iter()
            .any(|j| {
                snap.areas
                    .areas()
                    .get(j.pos)
                    .is_some_and(|a| a.data.kind == AreaKind::Ward)
            })
            .then(|| programme.ward_rates(&snap, period));
        let need_months = jobs.iter().any(|j| j.monthly);
        let (months, monthly_hot) = if need_months {
            let months = period
                .months(tz)
                .map_err(|e| ApiError::param("to", e.reason))?
                .into_iter()
                .map(|(label, m)| {
                    m.previous_year(tz)
                        .map(|p| (label, m, p))
                        .map_err(|e| ApiError::param("from", e.reason))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let hot = months
                .iter()
                .map(|(_, m, _)| programme.hot(&snap, *m, HotDetail::Cells, &zone))
                .collect::<Vec<_>>();
            (months, hot)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(jobs
            .iter()
            .map(|j| {
                let area = &snap.areas.areas()[j.pos];
                kpis(
                    &snap,
                    &KpiInput {
                        area,
                        cover: snap.areas.cover(j.pos),
                        period,
                        previous,
                        months: if j.monthly { &months } else { &[] },
                        targets: j.targets,
                        hot: &hot,
                        monthly_hot: if j.monthly { &monthly_hot } else { &[] },
                        wards: wards.as_deref(),
                    },
                )
            })
            .collect())
    })
    .await
    .map_err(ApiError::internal)?
}

fn area_pos(snap: &Snapshot, code: &str) -> Result<usize, ApiError> {
    snap.areas
        .position(code)
        .ok_or_else(|| ApiError::NotFound(format!("area {code:?}")))
}

fn provenance(snap: &Snapshot) -> Value {
    json!({
        "data_version": snap.version,
        "computed_at": jiff::Timestamp::now().to_string(),
        "software_version": env!("CARGO_PKG_VERSION"),
    })
}

fn targets_json(t: &Targets, source: &str) -> Value {
    json!({
        "case_change_pct": t.case_change_pct,
        "clearance_rate": t.clearance_rate,
        "clearance_rate_serious": t.clearance_rate_serious,
        "source": source,
    })
}

/// A designation as the API writes it (times in the committee's zone) with its derived
/// run of years not converted.
#[must_use]
pub fn designation_json(snap: &Snapshot, d: &Designation, zone: &Zone) -> Value {
    let years = snap.programme.years_not_converted(&d.area_code, d.year);
    json!({
        "area_code": d.area_code,
        "year": d.year,
        "status": d.status,
        "legal_next": d.status.legal_next(),
        "reasons": d.terms.reasons,
        "categories": d.terms.categories,
        "unit": d.terms.unit,
        "targets": d.terms.targets,
        "years_not_converted": years,
        "flagged": crate::domain::programme::is_flagged(years),
        "created_by": d.created_by,
        "created_at": zone.format(d.created_at),
    })
}

/// A history event as the API writes it.
#[must_use]
pub fn event_json(e: &ProgrammeEvent, zone: &Zone) -> Value {
    json!({
        "id": e.id,
        "year": e.year,
        "seq": e.seq,
        "kind": e.kind,
        "from": e.from,
        "to": e.to,
        "note": e.note,
        "evidence": e.evidence,
        "changes": e.changes,
        "by": e.by,
        "at": zone.format(e.at),
    })
}

/// The `programme` member of `GET /api/v1/areas/{code}`: the area's designations, newest
/// first, without who made them (the area is public; its history is not).
#[must_use]
pub fn public_programme(snap: &Snapshot, code: &str) -> Value {
    let list: Vec<Value> = snap
        .programme
        .of_area(code)
        .iter()
        .rev()
        .map(|d| {
            let years = snap.programme.years_not_converted(code, d.year);
            json!({
                "year": d.year,
                "status": d.status,
                "unit": d.terms.unit,
                "years_not_converted": years,
                "flagged": crate::domain::programme::is_flagged(years),
            })
        })
        .collect();
    Value::Array(list)
}

// ---------------------------------------------------------------------------------------
// Overview
// ---------------------------------------------------------------------------------------

/// Query of `GET /api/v1/programme/{year}/areas`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverviewParams {
    /// `min_lon,min_lat,max_lon,max_lat` (WGS84): only the areas whose box meets it.
    pub bbox: Option<String>,
    /// Output format: `geojson` or `json` (both GeoJSON); `f` is accepted for it, as OGC
    /// API clients write it.
    #[serde(alias = "f")]
    #[param(inline)]
    pub format: Option<ListFormat>,
}

#[utoipa::path(get, path = "/api/v1/programme/{year}/areas", tag = "programme",
    params(("year" = i64, Path, description = "The programme year (2000–2100)"), OverviewParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The complex areas designated for the year, each with status, legal_next, unit, reasons, targets, years_not_converted, flagged, headline kpis (with the change's exact test: change_p, rate_ratio and its 95% interval, target_significant, and change_words and target_words in vi and en, e.g. \"giảm 19%, có ý nghĩa thống kê\") and traffic_lights (green, amber, red, grey per indicator), and the year's totals in `diemnong.programme` (viewer role)", content_type = "application/geo+json", body = Object),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
    ))]
pub(crate) async fn get_programme_areas(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(year): Path<String>,
    Params(p): Params<OverviewParams>,
) -> Result<Response, ApiError> {
    let year = parse_year(
        year.parse::<i64>()
            .map_err(|_| ApiError::param("year", format!("{year:?} is not a year")))?,
    )?;
    let bbox = p.bbox.as_deref().map(parse_bbox).transpose()?;
    // Parameters first, then the token: a bad query is a 400 with or without one.
    let identity = Caller::of(&state, &headers).await?;
    overview(&state, &identity, year, bbox, self_link(&headers, &uri)).await
}

/// The programme's totals of a year: designations per status, flagged, all of them.
#[derive(Debug, Default)]
struct ProgrammeTotals {
    /// By the position of the status in [`ProgrammeStatus::ALL`].
    by_status: [usize; ProgrammeStatus::ALL.len()],
    flagged: usize,
    designated_total: usize,
}

impl ProgrammeTotals {
    fn count(&mut self, snap: &Snapshot, d: &Designation) {
        if let Some(i) = ProgrammeStatus::ALL.iter().position(|s| *s == d.status) {
            self.by_status[i] += 1;
        }
        let years = snap.programme.years_not_converted(&d.area_code, d.year);
        if crate::domain::programme::is_flagged(years) {
            self.flagged += 1;
        }
        self.designated_total += 1;
    }
}

impl serde::Serialize for ProgrammeTotals {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.by_status.len() + 2))?;
        for (status, n) in ProgrammeStatus::ALL.iter().zip(self.by_status) {
            m.serialize_entry(status.as_str(), &n)?;
        }
        m.serialize_entry("flagged", &self.flagged)?;
        m.serialize_entry("designated_total", &self.designated_total)?;
        m.end()
    }
}

/// A text in both of the committee's languages, as the report writes it.
fn words(text: impl Fn(Lang) -> String) -> Value {
    json!({"vi": text(Lang::Vi), "en": text(Lang::En)})
}

/// The year's designated complex areas with status, run of years not converted, flag,
/// headline KPIs (with the change's exact test, in numbers and in words) and traffic
/// lights.
pub(crate) async fn overview(
    state: &AppState,
    identity: &Caller,
    year: i16,
    bbox: Option<BBox>,
    self_link: String,
) -> Result<Response, ApiError> {
    identity.require(Role::Viewer)?;
    let zone = Arc::clone(&state.zone);
    let period = Period::year(year, zone.tz()).map_err(|e| ApiError::param("year", e.reason))?;
    let snap = state.snapshots.current();
    let in_bbox: Option<Vec<usize>> = bbox.map(|b| snap.areas.in_bbox(Some(&b)));
    let chosen: Vec<(usize, &Designation)> = snap
        .programme
        .of_year(year)
        .filter_map(|d| snap.areas.position(&d.area_code).map(|p| (p, d)))
        .filter(|(p, _)| in_bbox.as_ref().is_none_or(|v| v.binary_search(p).is_ok()))
        .collect();
    let jobs = chosen
        .iter()
        .map(|(pos, d)| KpiJob {
            pos: *pos,
            targets: d.terms.targets,
            monthly: false,
        })
        .collect();
    let results = compute_kpis(state, &snap, period, jobs).await?;
    let mut totals = ProgrammeTotals::default();
    let features: Vec<Value> = chosen
        .iter()
        .zip(&results)
        .map(|((pos, d), k)| {
            let mut f = area_feature(&snap.areas.areas()[*pos]);
            totals.count(&snap, d);
            let dj = designation_json(&snap, d, &zone);
            if let Some(p) = f["properties"].as_object_mut() {
                for key in [
                    "year",
                    "status",
                    "legal_next",
                    "unit",
                    "reasons",
                    "categories",
                    "targets",
                    "years_not_converted",
                    "flagged",
                ] {
                    p.insert(key.to_owned(), dj[key].clone());
                }
                p.insert(
                    "kpis".into(),
                    json!({
                        "incidents": k.incidents,
                        "incidents_previous": k.incidents_previous,
                        "change_pct": k.change_pct,
                        "change_pct_text": k.change_pct_text,
                        "target_met": k.target_met,
                        "change_p": k.change_p,
                        "rate_ratio": k.rate_ratio,
                        "rate_ratio_low": k.rate_ratio_low,
                        "rate_ratio_high": k.rate_ratio_high,
                        "target_significant": k.target_significant,
                        "change_words": words(|l| {
                            l.change_words(k.incidents, k.incidents_previous, k.change_p)
                        }),
                        "target_words": words(|l| {
                            l.target_words(k.target_met, k.target_significant).to_owned()
                        }),
                        "clearance_rate": k.clearance_rate,
                        "clearance_target_met": k.clearance_target_met,
                        "clearance_rate_serious": k.clearance_rate_serious,
                        "clearance_serious_target_met": k.clearance_serious_target_met,
                        "rate_per_10k": k.rate_per_10k,
                        "rate_per_10k_change_pct": k.rate_per_10k_change_pct,
                        "rate_target_met": k.rate_target_met,
                        "hot_cells": k.hot_cells,
                        "hotspots_target_met": k.hotspots_target_met,
                        "cameras": k.cameras,
                        "models": k.models,
                    }),
                );
                p.insert("traffic_lights".into(), json!(k.traffic_lights));
            }
            f
        })
        .collect();
    let n = features.len();
    let mut prov = provenance(&snap);
    if let Some(p) = prov.as_object_mut() {
        p.insert(
            "programme".into(),
            json!({"year": year, "totals": totals, "period": {"from": zone.format(period.from), "to": zone.format(period.to)}}),
        );
    }
    let body = json!({
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": n,
        "numberReturned": n,
        "timeStamp": jiff::Timestamp::now().to_string(),
        "links": [{"rel": "self", "type": GEOJSON, "href": self_link}],
        "diemnong": prov,
    });
    Ok(([(header::CONTENT_TYPE, GEOJSON)], body.to_string()).into_response())
}

// ---------------------------------------------------------------------------------------
// History and KPIs
// ---------------------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/areas/{code}/history", tag = "programme",
    params(("code" = String, Path, description = "The area's unique code")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The area's designations (newest first, with status, legal next moves, years not converted, flag) and the append-only history of every one: designation, transitions and edits with who (token name and id), when, from, to, note, evidence links and changed fields (viewer role)", content_type = "application/json", body = Object),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 404, response = super::error::responses::NotFound),
    ))]
pub(crate) async fn get_history(
    State(state): State<AppState>,
    identity: Caller,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    identity.require(Role::Viewer)?;
    let snap = state.snapshots.current();
    let pos = area_pos(&snap, &code)?;
    let zone = &*state.zone;
    let events = state.store.programme_events(Some(&code), None).await?;
    let area = &snap.areas.areas()[pos];
    let designations: Vec<Value> = snap
        .programme
        .of_area(&code)
        .iter()
        .rev()
        .map(|d| designation_json(&snap, d, zone))
        .collect();
    let body = json!({
        "code": code,
        "name": area.data.name,
        "kind": area.data.kind,
        "designations": designations,
        "events": events.iter().map(|e| event_json(e, zone)).collect::<Vec<_>>(),
        "diemnong": provenance(&snap),
    });
    Ok(Json(body).into_response())
}

/// Query of `GET /api/v1/areas/{code}/kpis`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KpiParams {
    /// A calendar year in the committee's zone (default: the current year).
    pub year: Option<i64>,
    /// Inclusive start, instead of `year`: RFC 3339, or a date / date-time in the
    /// committee's zone.
    pub from: Option<String>,
    /// Exclusive end, with `from`.
    pub to: Option<String>,
    /// Include the monthly series (default true).
    pub monthly: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/areas/{code}/kpis", tag = "programme",
    params(("code" = String, Path, description = "The area's unique code (ward, district or complex area)"), KpiParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The area's indicators over the period against the same period a year earlier (in the committee's zone; 29 February compared with 28 February): incidents, incidents_previous, change_pct (null and change_pct_text \"n/a\" without cases a year earlier), target_met, change_p (exact two-sided p of no change: conditional binomial test), rate_ratio with its 95% Clopper–Pearson interval (rate_ratio_low, rate_ratio_high), target_significant (target met and p < 0.05), by_category, by_severity, clearance_rate and clearance_rate_serious (fractions 0–1, null without cases), rate_per_10k (null when the population is unknown) and its change, for a ward rate_per_10k_eb and rate_per_10k_seb (Empirical-Bayes smoothed towards all wards, and towards the ward and its neighbours; null for other areas), every ratio at full precision, cameras and models inside (count, per km², per 10,000 residents), hot cells and hotspot zones inside or touching it (Gi*, res 9, k 1, FDR, 95%), traffic_lights, the targets used, and the monthly series (viewer role)", content_type = "application/json", body = AreaKpis),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 404, response = super::error::responses::NotFound),
    ))]
pub(crate) async fn get_kpis(
    State(state): State<AppState>,
    identity: Caller,
    Path(code): Path<String>,
    Params(p): Params<KpiParams>,
) -> Result<Response, ApiError> {
    identity.require(Role::Viewer)?;
    let zone = Arc::clone(&state.zone);
    let (period, year) = period_of(&zone, p.year, p.from.as_deref(), p.to.as_deref())?;
    let snap = state.snapshots.current();
    let pos = area_pos(&snap, &code)?;
    // Targets: the area's designation for the year the period starts in, else the
    // committee's defaults.
    let start_year =
        year_of(period.from, zone.tz()).map_err(|e| ApiError::param("from", e.reason))?;
    let designation = snap.programme.get(&code, start_year);
    let (targets, source) = designation.map_or((state.programme.targets, "settings"), |d| {
        (d.terms.targets, "designation")
    });
    let previous = period
        .previous_year(zone.tz())
        .map_err(|e| ApiError::param("from", e.reason))?;
    let monthly = p.monthly.unwrap_or(true);
    let mut k = compute_kpis(
        &state,
        &snap,
        period,
        vec![KpiJob {
            pos,
            targets,
            monthly,
        }],
    )
    .await?;
    let k = k.pop().ok_or_else(|| ApiError::internal("no KPI result"))?;
    let area = &snap.areas.areas()[pos];
    let mut body = json!({
        "area": {
            "code": area.data.code,
            "name": area.data.name,
            "kind": area.data.kind,
            "population": area.data.population,
        },
        "period": {
            "from": zone.format(period.from),
            "to": zone.format(period.to),
            "year": year,
            "timezone": zone.name(),
        },
        "previous_period": {
            "from": zone.format(previous.from),
            "to": zone.format(previous.to),
        },
        "targets": targets_json(&targets, source),
        "programme": designation.map(|d| {
            let years = snap.programme.years_not_converted(&code, d.year);
            json!({
                "year": d.year,
                "status": d.status,
                "years_not_converted": years,
                "flagged": crate::domain::programme::is_flagged(years),
            })
        }),
    });
    if let (Some(b), Value::Object(m)) = (
        body.as_object_mut(),
        serde_json::to_value(&k).map_err(ApiError::internal)?,
    ) {
        b.extend(m);
        b.insert("diemnong".into(), provenance(&snap));
    }
    Ok(Json(body).into_response())
}

// ---------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------

/// Body of `POST /api/v1/areas/{code}/designations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignationRequest {
    /// The programme year (2000–2100).
    pub year: i64,
    /// Why the area is designated: 1–20 free-text reasons.
    pub reasons: Vec<String>,
    /// Category codes (or labels) of concern, from the catalogue.
    #[serde(default)]
    pub categories: Vec<String>,
    /// The responsible unit.
    pub unit: String,
    /// Overrides of the committee's default targets (−5% cases, 0.75 and 0.95 clearance).
    #[serde(default)]
    pub targets: TargetOverrides,
    /// A note for the history.
    pub note: Option<String>,
}

/// Body of `PATCH /api/v1/areas/{code}/designations/{year}`: fields left out stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignationPatch {
    pub reasons: Option<Vec<String>>,
    pub categories: Option<Vec<String>>,
    pub unit: Option<String>,
    pub targets: Option<TargetOverrides>,
    /// Why the designation is edited (recorded with the change).
    pub note: Option<String>,
}

/// Body of `POST /api/v1/areas/{code}/transitions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub year: i64,
    /// `in_progress`, `converted` or `not_converted` (what is legal depends on the status).
    pub to: String,
    pub note: Option<String>,
    /// Links to evidence (http or https), at most 20.
    #[serde(default)]
    pub evidence: Vec<String>,
}

fn domain(e: crate::domain::DomainError) -> ApiError {
    ApiError::param(e.field.to_string(), e.reason)
}

#[utoipa::path(post, path = "/api/v1/areas/{code}/designations", tag = "programme",
    description = "Needs an editor token. 409 when the area is already designated for that year, or the previous year's programme is still open (`allowed` names its legal moves); 422 when the area is not a complex area.",
    params(("code" = String, Path, description = "A complex area's code")),
    request_body = DesignationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Designated (status `designated`); targets left out take the committee's defaults", content_type = "application/json", body = Object),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
        (status = 404, response = super::error::responses::NotFound),
        (status = 409, response = super::error::responses::Conflict),
        (status = 422, response = super::error::responses::UnprocessableEntity),
    ))]
pub(crate) async fn post_designation(
    State(state): State<AppState>,
    identity: Caller,
    Path(code): Path<String>,
    bytes: Body,
) -> Result<Response, ApiError> {
    let by = identity.require(Role::Editor)?;
    let req: DesignationRequest = bytes.json()?;
    let snap = state.snapshots.current();
    let targets = state.programme.targets.with(&req.targets).map_err(domain)?;
    let terms = DesignationTerms::new(
        &req.reasons,
        &req.categories,
        &req.unit,
        targets,
        &snap.catalogue,
    )
    .map_err(domain)?;
    let note = crate::domain::programme::note(req.note.as_deref()).map_err(domain)?;
    let d = NewDesignation::new(&code, req.year, terms, note).map_err(domain)?;
    let out = crate::programme::designate(&state.service, d, &by).await?;
    let snap = state.snapshots.current();
    let zone = &*state.zone;
    let location = format!("/api/v1/areas/{}/history", percent(&code));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(designation_json(&snap, &out, zone)),
    )
        .into_response())
}

/// A path segment: area codes are letters, digits, `-`, `_` and `.`, kept as they are.
fn percent(code: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.');
    percent_encoding::utf8_percent_encode(code, SEGMENT).to_string()
}

#[utoipa::path(patch, path = "/api/v1/areas/{code}/designations/{year}", tag = "programme",
    description = "Needs an editor token. 400 also for a bad year in the path; 404 when the area has no designation that year; 409 when the designation's year is closed (converted or not converted).",
    params(("code" = String, Path, description = "A complex area's code"), ("year" = i64, Path, description = "The programme year")),
    request_body = DesignationPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Edited: the designation, and the history event recording each changed field before and after (null when nothing changed)", content_type = "application/json", body = Object),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
        (status = 404, response = super::error::responses::NotFound),
        (status = 409, response = super::error::responses::Conflict),
    ))]
pub(crate) async fn patch_designation(
    State(state): State<AppState>,
    identity: Caller,
    Path((code, year)): Path<(String, String)>,
    bytes: Body,
) -> Result<Response, ApiError> {
    let by = identity.require(Role::Editor)?;
    let year = parse_year(
        year.parse::<i64>()
            .map_err(|_| ApiError::param("year", format!("{year:?} is not a year")))?,
    )?;
    let req: DesignationPatch = bytes.json()?;
    let note = crate::domain::programme::note(req.note.as_deref()).map_err(domain)?;
    let snap = state.snapshots.current();
    let (d, e) = crate::programme::edit(
        &state.service,
        &code,
        year,
        &Edit {
            reasons: req.reasons,
            categories: req.categories,
            unit: req.unit,
            targets: req.targets,
            note,
        },
        &snap.catalogue,
        &by,
    )
    .await?;
    let snap = state.snapshots.current();
    let zone = &*state.zone;
    Ok(Json(json!({
        "designation": designation_json(&snap, &d, zone),
        "event": e.map(|e| event_json(&e, zone)),
    }))
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/areas/{code}/transitions", tag = "programme",
    description = "Needs an editor token. 404 when the area is not designated for that year; 409 for an illegal move from the current status, `allowed` listing the legal ones (empty once the year is closed).",
    params(("code" = String, Path, description = "A complex area's code")),
    request_body = TransitionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Moved: the designation with its new status and legal next moves, and the history event", content_type = "application/json", body = Object),
        (status = 400, response = super::error::responses::BadRequest),
        (status = 401, response = super::error::responses::Unauthorized),
        (status = 403, response = super::error::responses::Forbidden),
        (status = 404, response = super::error::responses::NotFound),
        (status = 409, response = super::error::responses::Conflict),
    ))]
pub(crate) async fn post_transition(
    State(state): State<AppState>,
    identity: Caller,
    Path(code): Path<String>,
    bytes: Body,
) -> Result<Response, ApiError> {
    let by = identity.require(Role::Editor)?;
    let req: TransitionRequest = bytes.json()?;
    let year = parse_year(req.year)?;
    let to: ProgrammeStatus = req.to.parse().map_err(domain)?;
    let m = Move {
        year,
        to,
        note: crate::domain::programme::note(req.note.as_deref()).map_err(domain)?,
        evidence: crate::domain::programme::evidence(&req.evidence).map_err(domain)?,
    };
    let (d, e) = crate::programme::transition(&state.service, &code, &m, &by).await?;
    let snap = state.snapshots.current();
    let zone = &*state.zone;
    Ok(Json(json!({
        "designation": designation_json(&snap, &d, zone),
        "event": event_json(&e, zone),
    }))
    .into_response())
}

// ---------------------------------------------------------------------------------------
// The area layer itself (wards, districts, complex areas)
// ---------------------------------------------------------------------------------------

#[must_use]
pub fn area_feature(a: &Area) -> Value {
    let mut props = Map::new();
    props.insert("code".into(), json!(a.data.code));
    props.insert("name".into(), json!(a.data.name));
    props.insert("kind".into(), json!(a.data.kind.as_str()));
    props.insert("population".into(), json!(a.data.population));
    let geometry = serde_json::to_value(a.data.geometry.to_geojson()).unwrap_or(Value::Null);
    feature(a.id, geometry, props)
}

/// Areas are administrative boundaries, public by nature (the map draws wards as its base
/// layer for everyone), so they need no token.
#[utoipa::path(get, path = "/api/v1/areas", tag = "layers", params(ListParams),
    description = "With `year`, the older form of the programme's overview: a 308 to `/api/v1/programme/{year}/areas` with the other parameters kept (`kind` may only be `complex_area`, and is dropped).",
    responses(
        (status = 200, description = "Areas (wards, districts, complex areas); public", content_type = "application/geo+json", body = Object),
        (status = 308, description = "With `year`: moved to `/api/v1/programme/{year}/areas`", headers(("Location" = String, description = "`/api/v1/programme/{year}/areas`, with the query's other parameters"))),
        (status = 400, response = super::error::responses::BadRequest),
    ))]
pub(crate) async fn list_areas(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let page = page_params(&state, &p, Layer::Areas)?;
    // Areas have no time, with or without `year` (the programme's year is `year` itself).
    if let Some(name) = [("from", &page.from), ("to", &page.to)]
        .iter()
        .find_map(|(n, v)| v.is_some().then_some(*n))
    {
        return Err(ApiError::param(
            name,
            "areas have no time; from/to do not apply (use year for the programme's year)",
        ));
    }
    if let Some(year) = p.year {
        if p.cursor.is_some() || p.limit.is_some() {
            return Err(ApiError::param(
                if p.cursor.is_some() {
                    "cursor"
                } else {
                    "limit"
                },
                "does not apply with year (the year's designations come in one page)",
            ));
        }
        if let Some(k) = &p.kind
            && k.split(',')
                .any(|k| k.trim() != AreaKind::ComplexArea.as_str())
        {
            return Err(ApiError::param(
                "kind",
                "with year, only complex_area (complex areas are what is designated)",
            ));
        }
        return Ok(Redirect::permanent(&programme_location(year, uri.query())).into_response());
    }
    let snap = state.snapshots.current();
    let layer = &snap.areas;
    let items: Vec<(i64, usize)> = layer
        .in_bbox(page.bbox.as_ref())
        .into_iter()
        .map(|i| (layer.areas()[i].id, i))
        .filter(|(_, i)| kind_ok(&page, layer.areas()[*i].data.kind.as_str()))
        .collect();
    let (matched, chosen, next) = paginate(&items, &page);
    let features = chosen
        .into_iter()
        .map(|i| area_feature(&layer.areas()[i]))
        .collect();
    Ok(collection(
        features,
        matched,
        next.map(|c| next_link(&headers, &uri, c)),
        self_link(&headers, &uri),
        snap.version,
    ))
}

/// Where `GET /api/v1/areas?year=Y&…` moved: `/api/v1/programme/Y/areas`, with the query's
/// other parameters as they were written (`year` and `kind` left out).
fn programme_location(year: i64, query: Option<&str>) -> String {
    let rest: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            let key = pair
                .split_once('=')
                .map_or(*pair, |(k, _)| k)
                .replace('+', " ");
            let key = percent_encoding::percent_decode_str(&key).decode_utf8_lossy();
            !pair.is_empty() && key != "year" && key != "kind"
        })
        .collect();
    let mut location = format!("/api/v1/programme/{year}/areas");
    if !rest.is_empty() {
        location.push('?');
        location.push_str(&rest.join("&"));
    }
    location
}

#[utoipa::path(get, path = "/api/v1/areas/{code}", tag = "layers",
    params(("code" = String, Path, description = "The area's unique code")),
    responses(
        (status = 200, description = "One area as a GeoJSON Feature; `programme` lists its designations, newest first (year, status, unit, years_not_converted, flagged)", content_type = "application/geo+json", body = Object),
        (status = 404, response = super::error::responses::NotFound),
    ))]
pub(crate) async fn get_area(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let snap = state.snapshots.current();
    let a = snap
        .areas
        .by_code(&code)
        .ok_or_else(|| ApiError::NotFound(format!("area {code:?}")))?;
    let mut f = area_feature(a);
    if let Some(p) = f["properties"].as_object_mut() {
        p.insert("programme".into(), public_programme(&snap, &code));
    }
    Ok(([(header::CONTENT_TYPE, GEOJSON)], f.to_string()).into_response())
}
