//! KPIs of areas checked against values worked out by hand on a small fixture, on SQLite
//! and PostgreSQL: a square complex area with incidents around a leap day and around New
//! Year in the committee's zone, an area without population and without cases a year
//! earlier, a ward around both, cameras and models with installation dates, and a dense
//! cluster elsewhere that the Gi* engine must report as a hotspot. Also the committee's
//! overview (`/api/v1/programme/{year}/areas`, and the older `/api/v1/areas?year=Y` that
//! redirects there) and parameter validation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::float_cmp)]

use crate::common;

use common::TestDb;
use common::api::Api;
use common::fixtures::{
    Tokens, import_areas, import_cameras, import_incidents, import_models, server, square, tokens,
};
use diemnong::service::Service;
use geo::Intersects;
use h3o::{CellIndex, LatLng, Resolution};
use serde_json::{Value, json};

fn row(id: &str, at: &str, cat: &str, sev: &str, solved: bool, lon: f64, lat: f64) -> String {
    format!("{id},{at},{cat},{sev},{solved},{lon},{lat}")
}

/// The fixture (see the module documentation; each incident's comment says where it
/// counts).
async fn fixture(service: &Service) {
    import_areas(
        service,
        vec![
            // A: 0.01° square, 20,000 residents.
            square(
                "ca-a",
                "Địa bàn phức tạp A",
                "complex_area",
                106.70,
                10.78,
                0.01,
                Some(20_000),
            ),
            // B: population unknown.
            square(
                "ca-b",
                "Địa bàn phức tạp B",
                "complex_area",
                106.72,
                10.78,
                0.01,
                None,
            ),
            // C: where the dense cluster is.
            square(
                "ca-c",
                "Địa bàn phức tạp C",
                "complex_area",
                106.65,
                10.82,
                0.01,
                Some(3_000),
            ),
            // W: a ward around A and B.
            square(
                "ward-w",
                "Phường W",
                "ward",
                106.69,
                10.77,
                0.05,
                Some(50_000),
            ),
        ],
    )
    .await;
    let mut rows = vec![
        // In A, 2024 (local time):
        row(
            "A1",
            "2024-01-15T10:00:00+07:00",
            "theft",
            "less_serious",
            true,
            106.705,
            10.785,
        ),
        row(
            "A2",
            "2024-02-29T12:00:00+07:00",
            "drugs",
            "very_serious",
            true,
            106.706,
            10.786,
        ),
        row(
            "A3",
            "2024-03-10T09:00:00+07:00",
            "robbery",
            "especially_serious",
            false,
            106.704,
            10.784,
        ),
        row(
            "A4",
            "2024-06-01T20:00:00+07:00",
            "theft",
            "serious",
            false,
            106.703,
            10.787,
        ),
        // 23:30 UTC on 31 December 2024 is 06:30 on 1 January 2025 in Ho Chi Minh City.
        row(
            "A5",
            "2024-12-31T23:30:00Z",
            "theft",
            "less_serious",
            true,
            106.705,
            10.783,
        ),
        // 23:30 UTC on 31 December 2023: counts in 2024.
        row(
            "A6",
            "2023-12-31T23:30:00Z",
            "theft",
            "less_serious",
            true,
            106.707,
            10.785,
        ),
        // In A, 2023:
        row(
            "Pa",
            "2023-02-28T12:00:00+07:00",
            "drugs",
            "serious",
            true,
            106.706,
            10.786,
        ),
        row(
            "Pb",
            "2023-05-01T08:00:00+07:00",
            "theft",
            "less_serious",
            false,
            106.702,
            10.782,
        ),
        row(
            "Pc",
            "2023-07-01T08:00:00+07:00",
            "theft",
            "less_serious",
            true,
            106.702,
            10.788,
        ),
        row(
            "Pd",
            "2023-08-01T08:00:00+07:00",
            "assault",
            "very_serious",
            true,
            106.708,
            10.782,
        ),
        // 16:59 UTC on 31 December 2023 is 23:59 local: still 2023.
        row(
            "Pe",
            "2023-12-31T16:59:00Z",
            "theft",
            "less_serious",
            false,
            106.708,
            10.788,
        ),
        row(
            "Pf",
            "2023-10-10T08:00:00+07:00",
            "fraud",
            "less_serious",
            false,
            106.701,
            10.789,
        ),
        // In B, 2024 only.
        row(
            "B1",
            "2024-05-05T10:00:00+07:00",
            "theft",
            "less_serious",
            false,
            106.725,
            10.785,
        ),
        // Just outside A, inside W.
        row(
            "W1",
            "2024-08-08T10:00:00+07:00",
            "theft",
            "less_serious",
            true,
            106.7105,
            10.785,
        ),
    ];
    // A dense cluster in C (one res-9 cell), April 2024.
    for i in 0..40 {
        rows.push(row(
            &format!("C{i}"),
            &format!("2024-04-01T{:02}:{:02}:00+07:00", i / 4, (i % 4) * 10),
            "snatching",
            "serious",
            false,
            106.655,
            10.825,
        ));
    }
    // Scattered background far from everything (one per cell), April 2024 too, so that
    // April alone has a study set where the cluster stands out.
    for i in 0..30 {
        rows.push(row(
            &format!("S{i}"),
            "2024-04-15T12:00:00+07:00",
            "theft",
            "less_serious",
            false,
            106.60 + f64::from(i) * 0.004,
            10.70,
        ));
    }
    import_incidents(service, &rows).await;
    import_cameras(
        service,
        &[
            "CAM-1,106.701,10.781,fixed,true,2020-01-01".into(),
            "CAM-2,106.702,10.782,fixed,false,2022-06-01".into(),
            "CAM-3,106.703,10.783,fixed,true,2025-03-01".into(),
            "CAM-4,106.7105,10.785,fixed,true,2020-01-01".into(),
        ],
    )
    .await;
    import_models(
        service,
        &[
            "MH-1,106.708,10.788,household_group,Tổ liên gia 1,2023-01-01,true".into(),
            "MH-2,106.725,10.785,household_group,Tổ liên gia 2,2024-06-15,true".into(),
        ],
    )
    .await;
}

/// Area of the square `[lon, lon + 0.01°] × [lat, lat + 0.01°]` on the WGS84 ellipsoid, by
/// hand: width along the parallel N(φ)·cos φ·Δλ, height along the meridian M(φ)·Δφ, at the
/// middle latitude φ (exact to ~1e-6 for so small a square).
fn square_km2(lat: f64) -> f64 {
    let (a, e2) = (6_378_137.0_f64, 0.006_694_379_990_14_f64);
    let phi = (lat + 0.005).to_radians();
    let w = 1.0 - e2 * phi.sin().powi(2);
    let n = a / w.sqrt();
    let m = a * (1.0 - e2) / w.powf(1.5);
    let d = 0.01_f64.to_radians();
    n * phi.cos() * d * m * d / 1e6
}

fn close(v: &Value, expected: f64, tol: f64, what: &str) {
    let x = v
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {v} is not a number"));
    assert!((x - expected).abs() <= tol, "{what}: {x} ≠ {expected}");
}

async fn kpis(api: &Api, token: &str, code: &str, query: &str) -> Value {
    api.get(&format!("/api/v1/areas/{code}/kpis?{query}"), Some(token))
        .await
        .ok(200)
}

fn by<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e[key] == value)
        .unwrap_or_else(|| panic!("no {key} = {value} in {list}"))
}

/// The fixture on one backend behind a server, with A designated for 2024 with its own case
/// target: built once per backend and shared by the cases below (they only read).
struct KpiServer {
    backend: &'static str,
    base: String,
    tokens: Tokens,
    _db: TestDb,
    _service: std::sync::Arc<Service>,
}

async fn build_kpi_server(db: TestDb) -> KpiServer {
    let service = db.service().await;
    fixture(&service).await;
    let t = tokens(&service).await;
    let api = server(&service).await;
    api.designate(
        &t.editor,
        "ca-a",
        2024,
        json!({"targets": {"case_change_pct": -10}}),
    )
    .await;
    KpiServer {
        backend: db.backend,
        base: api.base.clone(),
        tokens: t,
        _db: db,
        _service: service,
    }
}

async fn kpi_servers() -> Vec<&'static KpiServer> {
    static CELLS: common::SharedCells<KpiServer> = (
        tokio::sync::OnceCell::const_new(),
        tokio::sync::OnceCell::const_new(),
    );
    common::shared_all(&CELLS, "kpis", build_kpi_server).await
}

/// A, 2024: A1 A2 A3 A4 A6 (A5 is 2025 locally) against Pa…Pf (6), with the monthly series.
#[tokio::test]
async fn kpis_of_a_designated_area_in_2024_match_the_hand_computed_values() {
    for s in kpi_servers().await {
        let (b, api, t) = (s.backend, Api::new(s.base.clone()), &s.tokens);
        let k = kpis(&api, &t.viewer, "ca-a", "year=2024").await;
        assert_eq!(k["period"]["from"], "2024-01-01T00:00:00+07:00", "{b}");
        assert_eq!(k["period"]["to"], "2025-01-01T00:00:00+07:00");
        assert_eq!(k["previous_period"]["from"], "2023-01-01T00:00:00+07:00");
        assert_eq!(k["targets"]["source"], "designation");
        assert_eq!(k["targets"]["case_change_pct"], -10.0);
        assert_eq!(k["incidents"], 5, "{b}: {k}");
        assert_eq!(k["incidents_previous"], 6);
        close(&k["change_pct"], -16.67, 0.005, "change_pct"); // (5 − 6) / 6
        assert_eq!(k["change_pct_text"], "-16.7%");
        assert_eq!(k["target_met"], true); // −16.7 ≤ −10
        assert_eq!(k["solved"], 3); // A1 A2 A6
        close(&k["clearance_rate"], 0.6, 1e-9, "clearance");
        close(
            &k["clearance_rate_previous"],
            0.5,
            1e-9,
            "clearance previous",
        ); // Pa Pc Pd
        assert_eq!(k["clearance_target_met"], false);
        assert_eq!(k["serious"], 2); // A2 very, A3 especially
        assert_eq!(k["serious_solved"], 1);
        close(&k["clearance_rate_serious"], 0.5, 1e-9, "serious");
        close(
            &k["clearance_rate_serious_previous"],
            1.0,
            1e-9,
            "serious previous",
        ); // Pd
        assert_eq!(k["clearance_serious_target_met"], false);
        assert_eq!(k["population"], 20_000);
        close(&k["rate_per_10k"], 2.5, 1e-9, "rate"); // 5 / 20,000 × 10,000
        close(&k["rate_per_10k_previous"], 3.0, 1e-9, "rate previous");
        close(&k["rate_per_10k_change_pct"], -16.67, 0.005, "rate change");
        assert_eq!(k["rate_target_met"], true);
        let km2 = square_km2(10.78);
        close(&k["area_km2"], km2, km2 * 1e-4, "area");
        assert_eq!(k["cameras"], 2, "{b}"); // CAM-1, CAM-2; CAM-3 installed in 2025
        assert_eq!(k["cameras_active"], 1);
        close(&k["cameras_per_km2"], 2.0 / km2, 1e-3, "cameras per km²");
        close(&k["cameras_per_10k"], 1.0, 1e-9, "cameras per 10k");
        assert_eq!(k["models"], 1);
        close(&k["models_per_10k"], 0.5, 1e-9, "models per 10k");
        assert_eq!(k["hot_cells"], 0, "{b}: {}", k["hot_cell_ids"]);
        assert_eq!(k["hotspots_target_met"], true);
        assert_eq!(
            k["traffic_lights"],
            json!({"cases": "green", "rate_per_10k": "green", "clearance": "red", "clearance_serious": "red", "hotspots": "green"})
        );
        let cat = &k["by_category"];
        assert_eq!(by(cat, "category", "theft")["incidents"], 3);
        assert_eq!(by(cat, "category", "theft")["incidents_previous"], 3);
        assert_eq!(by(cat, "category", "theft")["change_pct"], 0.0);
        assert_eq!(by(cat, "category", "robbery")["change_pct"], Value::Null);
        assert_eq!(by(cat, "category", "assault")["incidents"], 0);
        assert_eq!(by(cat, "category", "assault")["change_pct"], -100.0);
        let sev = &k["by_severity"];
        assert_eq!(by(sev, "severity", "less_serious")["incidents"], 2);
        assert_eq!(by(sev, "severity", "less_serious")["incidents_previous"], 4);
        assert_eq!(by(sev, "severity", "less_serious")["change_pct"], -50.0);
        assert_eq!(
            by(sev, "severity", "especially_serious")["incidents_previous"],
            0
        );
        assert_eq!(
            by(sev, "severity", "especially_serious")["clearance_rate"],
            0.0
        );
        // The monthly series, in the committee's months.
        let m = k["monthly"].as_array().unwrap();
        assert_eq!(m.len(), 12);
        let month = |label: &str| m.iter().find(|x| x["month"] == label).unwrap();
        assert_eq!(month("2024-01")["incidents"], 2); // A1 and A6
        assert_eq!(month("2024-01")["change_pct"], Value::Null);
        assert_eq!(month("2024-02")["incidents"], 1); // A2 on the leap day
        assert_eq!(month("2024-02")["incidents_previous"], 1); // Pa
        assert_eq!(month("2024-05")["change_pct"], -100.0); // Pb
        assert_eq!(month("2024-12")["incidents"], 0); // A5 is January 2025
        assert_eq!(month("2024-12")["incidents_previous"], 1); // Pe
        close(&month("2024-06")["rate_per_10k"], 0.5, 1e-9, "June rate");
        assert_eq!(month("2024-06")["clearance_rate_serious"], Value::Null);
        assert_eq!(month("2024-03")["serious"], 1);
        assert_eq!(month("2024-01")["cameras"], 2);
        let sum = |key: &str| m.iter().map(|x| x[key].as_u64().unwrap()).sum::<u64>();
        assert_eq!((sum("incidents"), sum("incidents_previous")), (5, 6));
    }
}

/// The 23:30 UTC New Year's Eve incidents belong to the next local year; another year's
/// targets are the settings'.
#[tokio::test]
async fn kpis_put_new_years_eve_at_23_30_utc_in_the_next_local_year() {
    for s in kpi_servers().await {
        let (b, api, t) = (s.backend, Api::new(s.base.clone()), &s.tokens);
        let k = kpis(&api, &t.viewer, "ca-a", "year=2025&monthly=false").await;
        assert_eq!(k["incidents"], 1, "{b}"); // A5
        assert_eq!(k["incidents_previous"], 5);
        assert_eq!(k["cameras"], 3);
        assert!(k["monthly"].as_array().unwrap().is_empty());
        let k = kpis(&api, &t.viewer, "ca-a", "year=2023").await;
        assert_eq!(k["incidents"], 6); // Pe at 23:59 local is 2023
        assert_eq!(k["targets"]["source"], "settings");
        assert_eq!(k["targets"]["case_change_pct"], -5.0);
    }
}

/// 29 February 2024 is compared with 28 February 2023, a period ending with 28 February
/// keeps it a year earlier, and twelve months across the leap day.
#[tokio::test]
async fn kpis_compare_the_leap_day_with_28_february() {
    for s in kpi_servers().await {
        let (b, api, t) = (s.backend, Api::new(s.base.clone()), &s.tokens);
        let k = kpis(&api, &t.viewer, "ca-a", "from=2024-02-29&to=2024-03-01").await;
        assert_eq!(
            k["previous_period"]["from"], "2023-02-28T00:00:00+07:00",
            "{b}"
        );
        assert_eq!(k["previous_period"]["to"], "2023-03-01T00:00:00+07:00");
        assert_eq!(
            (k["incidents"].as_u64(), k["incidents_previous"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(k["change_pct"], 0.0);
        assert_eq!(k["target_met"], false);
        assert_eq!(k["traffic_lights"]["cases"], "amber");
        // A period ending with 28 February keeps 28 February a year earlier.
        let k = kpis(&api, &t.viewer, "ca-a", "from=2024-02-01&to=2024-02-29").await;
        assert_eq!(k["previous_period"]["to"], "2023-03-01T00:00:00+07:00");
        assert_eq!(
            (k["incidents"].as_u64(), k["incidents_previous"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(k["change_pct"], -100.0);
        assert_eq!(k["clearance_rate"], Value::Null); // no cases: n/a, not 0/0
        assert_eq!(k["traffic_lights"]["clearance"], "grey");
        // Twelve months across the leap day: A3 A4 A5 against Pb Pc Pd Pe Pf A6 A1 A2.
        let k = kpis(&api, &t.viewer, "ca-a", "from=2024-03-01&to=2025-03-01").await;
        assert_eq!(
            (k["incidents"].as_u64(), k["incidents_previous"].as_u64()),
            (Some(3), Some(8))
        );
        close(&k["change_pct"], -62.5, 1e-9, "change");
        assert_eq!(k["monthly"].as_array().unwrap().len(), 12);
    }
}

/// B: no cases a year earlier, no population.
#[tokio::test]
async fn kpis_with_no_cases_a_year_earlier_and_no_population_are_n_a() {
    for s in kpi_servers().await {
        let (b, api, t) = (s.backend, Api::new(s.base.clone()), &s.tokens);
        let k = kpis(&api, &t.viewer, "ca-b", "year=2024").await;
        assert_eq!(
            (k["incidents"].as_u64(), k["incidents_previous"].as_u64()),
            (Some(1), Some(0))
        );
        assert_eq!(k["change_pct"], Value::Null, "{b}: {k}");
        assert_eq!(k["change_pct_text"], "n/a");
        assert_eq!(k["target_met"], Value::Null);
        assert_eq!(k["population"], Value::Null);
        assert_eq!(k["rate_per_10k"], Value::Null);
        assert_eq!(k["rate_target_met"], Value::Null);
        assert_eq!(k["cameras_per_10k"], Value::Null);
        assert_eq!(k["clearance_rate"], 0.0);
        assert_eq!(k["clearance_rate_serious"], Value::Null);
        assert_eq!(k["models"], 1); // MH-2, established mid-June
        let m = k["monthly"].as_array().unwrap();
        assert_eq!(m[4]["models"], 0); // May
        assert_eq!(m[5]["models"], 1); // June
        assert!(m.iter().all(|x| x["rate_per_10k"].is_null()));
        assert_eq!(
            k["traffic_lights"],
            json!({"cases": "grey", "rate_per_10k": "grey", "clearance": "red", "clearance_serious": "grey", "hotspots": "green"})
        );
    }
}

/// The ward around A and B: A's five, B1, W1 against A's six; default targets.
#[tokio::test]
async fn kpis_of_a_ward_count_every_area_in_it_against_default_targets() {
    for s in kpi_servers().await {
        let (b, api, t) = (s.backend, Api::new(s.base.clone()), &s.tokens);
        let k = kpis(&api, &t.viewer, "ward-w", "year=2024").await;
        assert_eq!(
            (k["incidents"].as_u64(), k["incidents_previous"].as_u64()),
            (Some(7), Some(6)),
            "{b}"
        );
        close(&k["change_pct"], 16.67, 0.005, "ward change");
        assert_eq!(k["targets"]["source"], "settings");
        assert_eq!(k["target_met"], false);
        assert_eq!(k["traffic_lights"]["cases"], "red");
        close(&k["rate_per_10k"], 1.4, 1e-9, "ward rate");
        assert_eq!(k["cameras"], 3); // CAM-1, CAM-2, CAM-4
    }
}

/// C: the cluster is a hotspot, as the Gi* engine says, and every hot cell of the engine
/// touching C is reported.
#[tokio::test]
async fn kpis_hot_cells_are_the_gi_star_engine_s_cells_touching_the_area() {
    for s in kpi_servers().await {
        let (b, api, t) = (s.backend, Api::new(s.base.clone()), &s.tokens);
        let k = kpis(&api, &t.viewer, "ca-c", "year=2024").await;
        let cluster = LatLng::new(10.825, 106.655)
            .unwrap()
            .to_cell(Resolution::Nine);
        let ids: Vec<&str> = k["hot_cell_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(ids.contains(&cluster.to_string().as_str()), "{b}: {k}");
        assert_eq!(
            usize::try_from(k["hot_cells"].as_u64().unwrap()).unwrap(),
            ids.len()
        );
        assert_eq!(k["traffic_lights"]["hotspots"], "red");
        assert_eq!(k["hotspots_target_met"], false);
        let engine = api
            .get(
                "/api/v1/hotspots?from=2024-01-01&to=2025-01-01&res=9",
                Some(&t.viewer),
            )
            .await
            .ok(200);
        let hot: Vec<String> = engine["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["properties"]["gi_bin"].as_i64().unwrap() >= 2)
            .map(|f| f["properties"]["h3"].as_str().unwrap().to_owned())
            .collect();
        let c_poly = geo::Polygon::new(
            geo::LineString::from(vec![
                (106.65, 10.82),
                (106.66, 10.82),
                (106.66, 10.83),
                (106.65, 10.83),
                (106.65, 10.82),
            ]),
            vec![],
        );
        for id in &ids {
            assert!(
                hot.iter().any(|h| h == id),
                "{id} is not hot for the engine"
            );
            let cell: CellIndex = id.parse().unwrap();
            let hex = geo::Polygon::new(
                geo::LineString::from(
                    cell.boundary()
                        .iter()
                        .map(|ll| (ll.lng(), ll.lat()))
                        .collect::<Vec<_>>(),
                ),
                vec![],
            );
            assert!(hex.intersects(&c_poly), "{id} does not touch C");
        }
        // And every hot cell of the engine touching C is reported.
        let touching = hot
            .iter()
            .filter(|h| {
                let cell: CellIndex = h.parse().unwrap();
                let hex = geo::Polygon::new(
                    geo::LineString::from(
                        cell.boundary()
                            .iter()
                            .map(|ll| (ll.lng(), ll.lat()))
                            .collect::<Vec<_>>(),
                    ),
                    vec![],
                );
                hex.intersects(&c_poly)
            })
            .count();
        assert_eq!(touching, ids.len());
        let zones = k["hotspot_zones"].as_array().unwrap();
        assert_eq!(zones.len(), 1, "{zones:?}");
        assert_eq!(zones[0]["incidents"], 40);
        let april = &k["monthly"][3];
        assert_eq!(april["month"], "2024-04");
        assert!(april["hot_cells"].as_u64().unwrap() >= 1);
    }
}

#[tokio::test]
async fn overview_of_the_year_with_flags_and_lights() {
    for db in TestDb::all().await {
        let b = db.backend;
        let service = db.service().await;
        fixture(&service).await;
        let t = tokens(&service).await;
        let api = server(&service).await;
        // A: not converted in 2022 and 2023, in progress in 2024.
        for year in [2022, 2023] {
            api.designate(&t.editor, "ca-a", year, json!({})).await;
            api.move_to(&t.editor, "ca-a", year, "in_progress", "")
                .await;
            api.move_to(&t.editor, "ca-a", year, "not_converted", "")
                .await;
        }
        api.designate(
            &t.editor,
            "ca-a",
            2024,
            json!({"targets": {"case_change_pct": -10}}),
        )
        .await;
        api.move_to(&t.editor, "ca-a", 2024, "in_progress", "")
            .await;
        api.designate(&t.editor, "ca-b", 2024, json!({})).await;
        api.designate(&t.editor, "ca-c", 2024, json!({})).await;
        api.move_to(&t.editor, "ca-c", 2024, "in_progress", "")
            .await;
        api.move_to(&t.editor, "ca-c", 2024, "converted", "").await;

        let path = "/api/v1/programme/2024/areas";
        api.get(path, None).await.problem(401);
        let r = api.get(path, Some(&t.viewer)).await;
        assert!(
            r.header(reqwest::header::CONTENT_TYPE)
                .starts_with("application/geo+json")
        );
        let fc = r.ok(200);
        assert_eq!(fc["type"], "FeatureCollection");
        assert_eq!(fc["numberMatched"], 3, "{b}: {fc}");
        let f = |code: &str| {
            fc["features"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["properties"]["code"] == code)
                .unwrap()
                .clone()
        };
        let a = f("ca-a");
        assert_eq!(a["geometry"]["type"], "Polygon");
        let p = &a["properties"];
        assert_eq!(p["status"], "in_progress");
        assert_eq!(p["years_not_converted"], 2);
        assert_eq!(p["flagged"], true);
        assert_eq!(p["kpis"]["incidents"], 5);
        assert_eq!(p["kpis"]["incidents_previous"], 6);
        assert_eq!(p["kpis"]["target_met"], true);
        assert_eq!(
            p["traffic_lights"],
            json!({"cases": "green", "rate_per_10k": "green", "clearance": "red", "clearance_serious": "red", "hotspots": "green"})
        );
        let pb = &f("ca-b")["properties"];
        assert_eq!(pb["status"], "designated");
        assert_eq!(pb["flagged"], false);
        assert_eq!(pb["kpis"]["change_pct"], Value::Null);
        assert_eq!(pb["kpis"]["change_pct_text"], "n/a");
        assert_eq!(pb["traffic_lights"]["cases"], "grey");
        let pc = &f("ca-c")["properties"];
        assert_eq!(pc["status"], "converted");
        assert_eq!(pc["traffic_lights"]["hotspots"], "red");
        let totals = &fc["diemnong"]["programme"]["totals"];
        assert_eq!(
            (
                totals["designated"].as_u64(),
                totals["in_progress"].as_u64(),
                totals["converted"].as_u64(),
                totals["flagged"].as_u64()
            ),
            (Some(1), Some(1), Some(1), Some(1)),
            "{totals}"
        );
        // 2023: A alone, not converted in 2022 nor 2023: two years running.
        let fc23 = api
            .get("/api/v1/programme/2023/areas", Some(&t.viewer))
            .await
            .ok(200);
        assert_eq!(fc23["numberMatched"], 1);
        assert_eq!(fc23["features"][0]["properties"]["years_not_converted"], 2);
        // The older form redirects (308) and the client following it reads the same
        // features and totals, the token carried along to the same origin.
        let old = api
            .get("/api/v1/areas?kind=complex_area&year=2024", Some(&t.viewer))
            .await
            .ok(200);
        assert_eq!(old["features"], fc["features"]);
        assert_eq!(old["diemnong"]["programme"], fc["diemnong"]["programme"]);
        assert!(
            old["links"][0]["href"]
                .as_str()
                .is_some_and(|h| h.ends_with("/api/v1/programme/2024/areas")),
            "{}",
            old["links"]
        );
        // The plain listing is unchanged and public.
        let all = api.get("/api/v1/areas", None).await.ok(200);
        assert_eq!(all["numberMatched"], 4);
        // Parameters, on the new path and the old form, each problem naming its parameter.
        for (path, parameter) in [
            ("/api/v1/programme/2024/areas?kind=complex_area", "kind"),
            ("/api/v1/programme/2024/areas?limit=5", "limit"),
            ("/api/v1/programme/2024/areas?bbox=106,10,107", "bbox"),
            ("/api/v1/programme/abc/areas", "year"),
            ("/api/v1/programme/1800/areas", "year"),
            ("/api/v1/areas?kind=ward&year=2024", "kind"),
            ("/api/v1/areas?year=2024&limit=5", "limit"),
            ("/api/v1/areas?year=abc", "year"),
            ("/api/v1/areas?year=1800", "year"),
            ("/api/v1/incidents?year=2024", "year"),
        ] {
            let p = api.get(path, Some(&t.viewer)).await.problem(400);
            assert_eq!(p["parameter"], parameter, "{path}: {p}");
        }
        db.cleanup().await;
    }
}

#[tokio::test]
async fn kpi_parameters_are_checked() {
    let db = TestDb::sqlite().await;
    let service = db.service().await;
    fixture(&service).await;
    let t = tokens(&service).await;
    let api = server(&service).await;
    api.get("/api/v1/areas/ca-a/kpis?year=2024", None)
        .await
        .problem(401);
    api.get("/api/v1/areas/nowhere/kpis?year=2024", Some(&t.viewer))
        .await
        .problem(404);
    for (q, param) in [
        ("year=2024&from=2024-01-01", "year"),
        ("from=2024-01-01", "to"),
        ("to=2024-01-01", "from"),
        ("from=2024-02-01&to=2024-01-01", "to"),
        ("from=yesterday&to=2024-01-01", "from"),
        ("year=1800", "year"),
        ("from=2000-01-01&to=2020-01-01", "to"),
        ("yaer=2024", "query"),
    ] {
        let p = api
            .get(&format!("/api/v1/areas/ca-a/kpis?{q}"), Some(&t.viewer))
            .await
            .problem(400);
        assert!(
            p["parameter"] == param || (param == "query" && p["parameter"].is_string()),
            "{q}: {p}"
        );
    }
    // No period: the current year.
    let k = kpis(&api, &t.viewer, "ca-a", "monthly=false").await;
    assert!(k["period"]["year"].is_i64());
    db.cleanup().await;
}
