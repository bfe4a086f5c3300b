//! Support for the attack tests of issue 18 (`attacks.rs`, `public_surface.rs`): the
//! committed sample on every backend behind a server with public aggregates, the truth an
//! attacker is scored against (the sample file itself, counted here with h3o), and the
//! checks an anonymous answer must pass whatever the record keys (they are random per
//! database, so no published number is known in advance; every assertion is about how
//! published numbers relate to each other and to the truth).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diemnong::auth::Role;
use diemnong::http::analysis::AnalysisSettings;
use diemnong::ingest::Layer;
use diemnong::service::Service;
use h3o::{CellIndex, LatLng, Resolution};
use serde_json::Value;

use super::api::{Api, Resp};
use super::{SharedCells, TestDb};

/// The committee's zone: periods are calendar months, quarters and years there.
pub const ZONE: &str = "Asia/Ho_Chi_Minh";

/// The finest resolution an anonymous caller may ask for (the contract's default).
pub const PUBLIC_MAX_RES: u8 = 9;

/// The p-table's variance (`--perturbation-variance`, default 3): what an attacker knows
/// of each published number's noise, and weighs estimates by.
pub const V: f64 = 3.0;

/// The sample on one backend behind a server with `--public-aggregates` (and the default
/// disclosure settings), and a viewer token for the exact answers.
pub struct Public {
    pub backend: &'static str,
    pub base: String,
    pub viewer: String,
    _db: TestDb,
    _service: Arc<Service>,
}

impl Public {
    /// A client of this server (long timeout: the debug build on a busy machine).
    pub fn api(&self) -> Api {
        Api::with_timeout(self.base.clone(), Duration::from_mins(5))
    }
}

async fn build(db: TestDb) -> Public {
    let service = db.service().await;
    let areas = super::import_file(&service, Layer::Areas, "sample-data/areas.geojson").await;
    assert_eq!(areas.inserted, 120);
    let incidents =
        super::import_file(&service, Layer::Incidents, "sample-data/incidents.csv").await;
    assert_eq!(incidents.inserted, 20_000);
    let viewer = service
        .create_token("attack tests", Role::Viewer)
        .await
        .unwrap()
        .1;
    let base = super::spawn_server_with(
        Arc::clone(&service),
        AnalysisSettings {
            public_aggregates: true,
            min_cell_count: 3,
            ..AnalysisSettings::default()
        },
    )
    .await;
    Public {
        backend: db.backend,
        base,
        viewer,
        _db: db,
        _service: service,
    }
}

/// The public sample on every backend available, loaded once per process and shared by
/// the attack and surface tests (they only read).
pub async fn samples() -> Vec<&'static Public> {
    static CELLS: SharedCells<Public> = (
        tokio::sync::OnceCell::const_new(),
        tokio::sync::OnceCell::const_new(),
    );
    super::shared_all(&CELLS, "attack_sample", build).await
}

// ---------------------------------------------------------------------------------------
// The truth
// ---------------------------------------------------------------------------------------

/// One incident of the sample, as the attacker would like to know it.
#[derive(Debug, Clone)]
pub struct Inc {
    pub lon: f64,
    pub lat: f64,
    /// Unix seconds.
    pub t: i64,
    /// Local calendar year and month (1–12) in [`ZONE`].
    pub year: i16,
    pub month: i8,
    pub category: String,
    pub severity: &'static str,
}

impl Inc {
    /// The cell holding it at `res` (h3's latLngToCell, as the server counts).
    pub fn cell(&self, res: u8) -> CellIndex {
        LatLng::new(self.lat, self.lon)
            .unwrap()
            .to_cell(Resolution::try_from(res).unwrap())
    }

    /// Local quarter, 1–4.
    pub fn quarter(&self) -> i8 {
        (self.month - 1) / 3 + 1
    }
}

/// The sample's incidents and what follows from them.
pub struct Truth {
    pub incidents: Vec<Inc>,
    /// Every incident position in micro-degrees (the 6 decimals of the file and of every
    /// coordinate the API writes).
    pub positions: HashSet<(i64, i64)>,
    /// The categories that occur, sorted.
    pub categories: Vec<String>,
    /// The severity classes that occur, sorted.
    pub severities: Vec<&'static str>,
}

/// The sample, parsed once per process (the import's own parser: the same 20,000 records
/// the server holds).
pub fn truth() -> &'static Truth {
    static TRUTH: OnceLock<Truth> = OnceLock::new();
    TRUTH.get_or_init(|| {
        let tz = jiff::tz::TimeZone::get(ZONE).unwrap();
        let incidents: Vec<Inc> = super::sample_records()
            .into_iter()
            .map(|r| {
                let local = jiff::Timestamp::from_second(r.occurred_at)
                    .unwrap()
                    .to_zoned_datetime(tz.clone());
                Inc {
                    lon: r.location.lon(),
                    lat: r.location.lat(),
                    t: r.occurred_at,
                    year: local.year(),
                    month: local.month(),
                    category: r.category.clone(),
                    severity: r.severity.as_str(),
                }
            })
            .collect();
        let positions = incidents
            .iter()
            .map(|i| (micro(i.lon), micro(i.lat)))
            .collect();
        let mut categories: Vec<String> = incidents.iter().map(|i| i.category.clone()).collect();
        categories.sort();
        categories.dedup();
        let mut severities: Vec<&'static str> = incidents.iter().map(|i| i.severity).collect();
        severities.sort_unstable();
        severities.dedup();
        Truth {
            incidents,
            positions,
            categories,
            severities,
        }
    })
}

impl Truth {
    /// Incidents per cell at `res` among those `keep` accepts.
    pub fn counts(&self, res: u8, keep: impl Fn(&Inc) -> bool) -> HashMap<CellIndex, u32> {
        let mut m = HashMap::new();
        for i in self.incidents.iter().filter(|i| keep(i)) {
            *m.entry(i.cell(res)).or_insert(0) += 1;
        }
        m
    }

    /// Whether (lon, lat), at 6 decimals, is an incident's position.
    pub fn is_incident_position(&self, lon: f64, lat: f64) -> bool {
        self.positions.contains(&(micro(lon), micro(lat)))
    }
}

/// A coordinate in micro-degrees (6 decimals), the precision the API writes.
#[expect(
    clippy::cast_possible_truncation,
    reason = "degrees × 1e6 is far inside i64"
)]
pub fn micro(deg: f64) -> i64 {
    (deg * 1e6).round() as i64
}

// ---------------------------------------------------------------------------------------
// Periods (the only time ranges an anonymous caller may ask for)
// ---------------------------------------------------------------------------------------

/// `from=…&to=…` of local month `m` (1–12) of `y`.
pub fn month_q(y: i16, m: i8) -> String {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    format!("from={y}-{m:02}-01&to={ny}-{nm:02}-01")
}

/// `from=…&to=…` of local quarter `q` (1–4) of `y`.
pub fn quarter_q(y: i16, q: i8) -> String {
    let m = (q - 1) * 3 + 1;
    let (ny, nm) = if q == 4 { (y + 1, 1) } else { (y, m + 3) };
    format!("from={y}-{m:02}-01&to={ny}-{nm:02}-01")
}

/// `from=…&to=…` of local year `y`.
pub fn year_q(y: i16) -> String {
    format!("from={y}-01-01&to={}-01-01", y + 1)
}

/// Whether a string is a date-time whose time is not midnight (as written, or in the
/// committee's zone): a time of day.
pub fn time_of_day(s: &str) -> bool {
    use jiff::civil::{DateTime, Time};
    let midnight = Time::midnight();
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        let local = ts.to_zoned_datetime(jiff::tz::TimeZone::get(ZONE).unwrap());
        // RFC 3339: the clock time as written (before its offset) is characters 11–18.
        let written = s.get(11..19).and_then(|t| t.parse::<Time>().ok());
        return local.time() != midnight && written != Some(midnight);
    }
    if let Ok(dt) = s.parse::<DateTime>() {
        return dt.time() != midnight;
    }
    // A bare clock time (07:43, 07:43:00).
    s.len() >= 5 && s.as_bytes()[2] == b':' && s.parse::<Time>().is_ok()
}

// ---------------------------------------------------------------------------------------
// Reading answers
// ---------------------------------------------------------------------------------------

/// `GET path` (anonymous unless `token`), asserted 200 GeoJSON.
pub async fn geojson(api: &Api, path: &str, token: Option<&str>) -> Value {
    api.get(path, token).await.geojson()
}

/// The cell of a feature (its `h3` property).
pub fn feature_cell(f: &Value) -> CellIndex {
    f["properties"]["h3"]
        .as_str()
        .unwrap_or_else(|| panic!("a feature without h3: {f}"))
        .parse()
        .unwrap()
}

/// `count` by cell of a collection of cell features (density, hotspots, outliers, emerging).
pub fn counts_of(fc: &Value) -> HashMap<CellIndex, u32> {
    let mut m = HashMap::new();
    for f in fc["features"].as_array().unwrap() {
        let n = u32::try_from(
            f["properties"]["count"]
                .as_u64()
                .unwrap_or_else(|| panic!("a feature without a count: {f}")),
        )
        .unwrap();
        assert!(
            m.insert(feature_cell(f), n).is_none(),
            "a cell appears twice: {f}"
        );
    }
    m
}

/// Published counts of `density?res=…&{q}`, anonymous (or with `token`), by cell; cells
/// published as 0 are absent, which is the same as 0.
pub async fn density(api: &Api, res: u8, q: &str, token: Option<&str>) -> HashMap<CellIndex, u32> {
    let sep = if q.is_empty() { "" } else { "&" };
    counts_of(&geojson(api, &format!("/api/v1/density?res={res}{sep}{q}"), token).await)
}

/// Asserts a 400 problem naming one of `params` (as `ApiError::param` names it, in the
/// problem's `parameter` member); returns its detail.
pub fn refused(r: &Resp, params: &[&str]) -> String {
    let p = r.problem(400);
    let named = p["parameter"].as_str().unwrap_or("");
    assert!(
        params.contains(&named),
        "{}: the problem names {named:?}, not one of {params:?}: {p}",
        r.what
    );
    p["detail"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------------------
// Geometry
// ---------------------------------------------------------------------------------------

/// Every position (`[lon, lat, …]`) of a GeoJSON geometry's coordinates, at any nesting.
pub fn positions(coordinates: &Value) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    walk_positions(coordinates, &mut out);
    out
}

fn walk_positions(v: &Value, out: &mut Vec<(f64, f64)>) {
    let Some(a) = v.as_array() else { return };
    if a.len() >= 2 && a[0].is_number() && a[1].is_number() {
        out.push((a[0].as_f64().unwrap(), a[1].as_f64().unwrap()));
    } else {
        for x in a {
            walk_positions(x, out);
        }
    }
}

/// Whether a written position (6 decimals) is a vertex of `cell`'s boundary: within half a
/// unit of the 6th decimal of one (plus a hair for the rounding of the double).
pub fn is_vertex_of(cell: CellIndex, lon: f64, lat: f64) -> bool {
    cell.boundary()
        .iter()
        .any(|v| (v.lng() - lon).abs() <= 0.51e-6 && (v.lat() - lat).abs() <= 0.51e-6)
}

/// Whether a written position is a vertex of some H3 cell at `res`: the cells sharing a
/// vertex are the one the (rounded) position falls in and its neighbours.
pub fn is_h3_vertex(lon: f64, lat: f64, res: u8) -> bool {
    let Ok(ll) = LatLng::new(lat, lon) else {
        return false;
    };
    ll.to_cell(Resolution::try_from(res).unwrap())
        .grid_disk::<Vec<_>>(1)
        .into_iter()
        .any(|c| is_vertex_of(c, lon, lat))
}

/// The centre of a cell as (lon, lat).
pub fn centre(cell: CellIndex) -> (f64, f64) {
    let ll = LatLng::from(cell);
    (ll.lng(), ll.lat())
}

/// Asserts that no position in `fc`'s geometries is an incident's (at 6 decimals).
pub fn assert_no_incident_position(label: &str, fc: &Value) {
    let truth = truth();
    for f in fc["features"].as_array().unwrap() {
        for (x, y) in positions(&f["geometry"]["coordinates"]) {
            assert!(
                !truth.is_incident_position(x, y),
                "{label}: ({x}, {y}) is an incident's position: {}",
                f["properties"]
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Scoring an attack
// ---------------------------------------------------------------------------------------

/// How well an attacker's estimates recover true counts.
#[derive(Debug, Clone, Copy)]
pub struct Score {
    /// Targets estimated.
    pub n: usize,
    /// Targets whose estimate rounds to the true count.
    pub hits: usize,
    /// Share of targets whose estimate rounds to the true count.
    pub hit_rate: f64,
    /// Root mean square error of the estimates.
    pub rmse: f64,
}

impl Score {
    /// Scores (true count, estimate) pairs.
    #[expect(clippy::cast_precision_loss, reason = "a few thousand targets at most")]
    pub fn of(pairs: impl IntoIterator<Item = (u32, f64)>) -> Self {
        let (mut n, mut hits, mut sq) = (0usize, 0usize, 0.0);
        for (want, est) in pairs {
            n += 1;
            let want = f64::from(want);
            if (est.round() - want).abs() < 0.5 {
                hits += 1;
            }
            sq += (est - want).powi(2);
        }
        let nf = n.max(1) as f64;
        Self {
            n,
            hits,
            hit_rate: hits as f64 / nf,
            rmse: (sq / nf).sqrt(),
        }
    }

    /// Asserts the attack failed: at least `min_n` targets, exact-hit rate < 0.5 and RMSE
    /// ≥ 0.75 (the plan's bounds, with wide margins: `attacks.rs` gives what is measured).
    pub fn assert_fails(&self, label: &str, min_n: usize) {
        eprintln!(
            "{label}: {} targets, exact-hit rate {:.3}, RMSE {:.3}",
            self.n, self.hit_rate, self.rmse
        );
        assert!(
            self.n >= min_n,
            "{label}: only {} targets (want ≥ {min_n}): the attack was not tried",
            self.n
        );
        assert!(
            self.hit_rate < 0.5,
            "{label}: the attacker recovers {:.1}% of the small counts exactly",
            100.0 * self.hit_rate
        );
        assert!(
            self.rmse >= 0.75,
            "{label}: the attacker's RMSE is only {:.3}",
            self.rmse
        );
    }
}
