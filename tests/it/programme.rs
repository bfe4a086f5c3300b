//! The conversion programme's workflow over a real socket, on SQLite and PostgreSQL: every
//! legal transition and every illegal one (409 naming the legal moves), re-designation,
//! roles, edits recorded with before/after values, a history that survives a restart and
//! that neither the API nor direct SQL can change, and transitions racing from two servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use common::TestDb;
use common::api::Api;
use common::fixtures::{import_areas, server, square, tokens};
use diemnong::service::Service;
use diemnong::store::Store;
use serde_json::{Value, json};

const STATUSES: [&str; 4] = ["designated", "in_progress", "converted", "not_converted"];

/// The moves the committee's workflow allows.
const LEGAL: [(&str, &str); 3] = [
    ("designated", "in_progress"),
    ("in_progress", "converted"),
    ("in_progress", "not_converted"),
];

fn legal_from(from: &str) -> Vec<&'static str> {
    LEGAL
        .iter()
        .filter(|(f, _)| *f == from)
        .map(|(_, t)| *t)
        .collect()
}

async fn fixture(service: &Service) {
    import_areas(
        service,
        vec![
            square(
                "ca-1",
                "Địa bàn phức tạp chợ Bến Thành",
                "complex_area",
                106.70,
                10.77,
                0.01,
                Some(5000),
            ),
            square(
                "ca-2",
                "Địa bàn phức tạp bến xe",
                "complex_area",
                106.72,
                10.77,
                0.01,
                None,
            ),
            square(
                "ca-3",
                "Địa bàn phức tạp khu trọ",
                "complex_area",
                106.74,
                10.77,
                0.01,
                Some(800),
            ),
            square(
                "ward-1",
                "Phường 1",
                "ward",
                106.69,
                10.76,
                0.08,
                Some(40000),
            ),
        ],
    )
    .await;
}

/// Brings a fresh designation of `ca-1` for `year` to `status` by legal moves.
async fn reach(api: &Api, editor: &str, year: i64, status: &str) {
    api.designate(editor, "ca-1", year, json!({})).await;
    let path: &[&str] = match status {
        "designated" => &[],
        "in_progress" => &["in_progress"],
        "converted" => &["in_progress", "converted"],
        _ => &["in_progress", "not_converted"],
    };
    for to in path {
        api.move_to(editor, "ca-1", year, to, "").await;
    }
}

#[tokio::test]
async fn every_move_is_legal_or_refused_with_the_legal_ones() {
    for db in TestDb::all().await {
        let service = db.service().await;
        fixture(&service).await;
        let t = tokens(&service).await;
        let api = server(&service).await;
        // One designation per (from, to) pair, two years apart so that no designation has
        // an open previous year.
        let mut year = 2002;
        for from in STATUSES {
            for to in STATUSES {
                reach(&api, &t.editor, year, from).await;
                let r = api
                    .post(
                        "/api/v1/areas/ca-1/transitions",
                        Some(&t.editor),
                        &json!({"year": year, "to": to, "note": format!("{from} → {to}"), "evidence": ["https://example.org/bien-ban.pdf"]}),
                    )
                    .await;
                if LEGAL.contains(&(from, to)) {
                    let v = r.ok(200);
                    assert_eq!(v["designation"]["status"], to, "{}: {v}", db.backend);
                    assert_eq!(v["event"]["from"], from);
                    assert_eq!(v["event"]["to"], to);
                    assert_eq!(v["event"]["kind"], "transition");
                    assert_eq!(v["event"]["by"]["name"], "Cán bộ biên tập");
                    assert!(v["event"]["by"]["token_id"].is_i64());
                    assert_eq!(
                        v["event"]["evidence"][0],
                        "https://example.org/bien-ban.pdf"
                    );
                    assert_eq!(v["designation"]["legal_next"], json!(legal_from(to)));
                } else {
                    let p = r.problem(409);
                    assert_eq!(
                        p["allowed"].as_array().cloned().unwrap_or_default(),
                        legal_from(from)
                            .iter()
                            .map(|s| json!(s))
                            .collect::<Vec<_>>(),
                        "{} {from} → {to}: {p}",
                        db.backend
                    );
                    let detail = p["detail"].as_str().unwrap();
                    for l in legal_from(from) {
                        assert!(detail.contains(l), "{detail}");
                    }
                    if legal_from(from).is_empty() {
                        assert!(detail.contains("final"), "{detail}");
                    }
                }
                year += 2;
            }
        }
        // The history holds exactly the legal moves, in order, with their notes.
        let h = api
            .get("/api/v1/areas/ca-1/history", Some(&t.viewer))
            .await
            .ok(200);
        let transitions: Vec<&Value> = h["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "transition")
            .collect();
        // Reaching the `from` states (0 + 1 + 2 + 2 moves, four times each) plus the three
        // legal test moves.
        assert_eq!(transitions.len(), 4 * 5 + 3, "{}", db.backend);
        assert_eq!(h["designations"].as_array().unwrap().len(), 16);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn designation_rules_roles_and_validation() {
    for db in TestDb::all().await {
        let service = db.service().await;
        fixture(&service).await;
        let t = tokens(&service).await;
        let api = server(&service).await;
        let body = json!({"year": 2024, "reasons": ["Ma túy"], "categories": ["drugs"], "unit": "Công an phường Bến Thành", "targets": {"clearance_rate": 0.8}});
        let path = "/api/v1/areas/ca-2/designations";
        api.post(path, None, &body).await.problem(401);
        api.post(path, Some(&t.viewer), &body).await.problem(403);
        let d = api.post(path, Some(&t.editor), &body).await;
        assert!(
            d.header(reqwest::header::LOCATION)
                .ends_with("/areas/ca-2/history")
        );
        let d = d.ok(201);
        assert_eq!(d["status"], "designated");
        assert_eq!(d["legal_next"], json!(["in_progress"]));
        // Targets left out come from the committee's defaults.
        assert_eq!(
            d["targets"],
            json!({"case_change_pct": -5.0, "clearance_rate": 0.8, "clearance_rate_serious": 0.95})
        );
        assert_eq!(d["created_by"]["name"], "Cán bộ biên tập");
        // Twice for the same year: 409.
        api.post(path, Some(&t.editor), &body).await.problem(409);
        // Re-designation for the next year waits for the year's review…
        let next = json!({"year": 2025, "reasons": ["Chưa chuyển hóa"], "unit": "Công an phường Bến Thành"});
        let p = api.post(path, Some(&t.editor), &next).await.problem(409);
        assert_eq!(p["allowed"], json!(["in_progress"]), "{p}");
        api.move_to(&t.editor, "ca-2", 2024, "in_progress", "Bắt đầu")
            .await;
        let p = api.post(path, Some(&t.editor), &next).await.problem(409);
        assert_eq!(p["allowed"], json!(["converted", "not_converted"]), "{p}");
        api.move_to(&t.editor, "ca-2", 2024, "not_converted", "Chưa đạt")
            .await;
        // …then is a new designation with its own history.
        let d = api.post(path, Some(&t.editor), &next).await.ok(201);
        assert_eq!(d["status"], "designated");
        assert_eq!(d["years_not_converted"], 1);
        // Only complex areas are designated.
        api.post("/api/v1/areas/ward-1/designations", Some(&t.editor), &body)
            .await
            .problem(422);
        api.post("/api/v1/areas/nowhere/designations", Some(&t.editor), &body)
            .await
            .problem(404);
        // Field validation names the field.
        for (bad, field) in [
            (json!({"year": 2024, "reasons": [], "unit": "u"}), "reasons"),
            (json!({"year": 1999, "reasons": ["r"], "unit": "u"}), "year"),
            (json!({"year": 2030, "reasons": ["r"], "unit": " "}), "unit"),
            (
                json!({"year": 2030, "reasons": ["r"], "unit": "u", "categories": ["nope"]}),
                "categories",
            ),
            (
                json!({"year": 2030, "reasons": ["r"], "unit": "u", "targets": {"clearance_rate": 2}}),
                "targets.clearance_rate",
            ),
            (
                json!({"year": 2030, "reasons": ["r"], "unit": "u", "colour": "red"}),
                "body",
            ),
        ] {
            let p = api
                .post("/api/v1/areas/ca-3/designations", Some(&t.editor), &bad)
                .await
                .problem(400);
            assert_eq!(p["parameter"], field, "{bad}: {p}");
        }
        // Transitions: unknown status, bad evidence, no designation, roles.
        let tp = "/api/v1/areas/ca-3/transitions";
        let p = api
            .post(tp, Some(&t.editor), &json!({"year": 2024, "to": "done"}))
            .await
            .problem(400);
        assert_eq!(p["parameter"], "to");
        let p = api
            .post(
                tp,
                Some(&t.editor),
                &json!({"year": 2024, "to": "in_progress", "evidence": ["javascript:alert(1)"]}),
            )
            .await
            .problem(400);
        assert_eq!(p["parameter"], "evidence");
        api.post(
            tp,
            Some(&t.editor),
            &json!({"year": 2024, "to": "in_progress"}),
        )
        .await
        .problem(404);
        api.post(
            tp,
            Some(&t.viewer),
            &json!({"year": 2024, "to": "in_progress"}),
        )
        .await
        .problem(403);
        api.get("/api/v1/areas/ca-2/history", None)
            .await
            .problem(401);
        // The public area page shows the programme, without who.
        let a = api.get("/api/v1/areas/ca-2", None).await.ok(200);
        let prog = &a["properties"]["programme"];
        assert_eq!(prog[0]["year"], 2025);
        assert_eq!(prog[1]["status"], "not_converted");
        assert!(prog[0].get("created_by").is_none());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn edits_are_recorded_with_before_and_after() {
    for db in TestDb::all().await {
        let service = db.service().await;
        fixture(&service).await;
        let t = tokens(&service).await;
        let api = server(&service).await;
        api.designate(&t.editor, "ca-1", 2024, json!({"categories": ["theft"]}))
            .await;
        let path = "/api/v1/areas/ca-1/designations/2024";
        api.patch(path, Some(&t.viewer), &json!({"unit": "x"}))
            .await
            .problem(403);
        let v = api
            .patch(path, Some(&t.editor), &json!({"unit": "Đội Cảnh sát hình sự", "targets": {"case_change_pct": -10}, "note": "Theo kế hoạch 12/KH"}))
            .await
            .ok(200);
        assert_eq!(v["designation"]["unit"], "Đội Cảnh sát hình sự");
        assert_eq!(v["designation"]["targets"]["case_change_pct"], -10.0);
        let c = &v["event"]["changes"];
        assert_eq!(c["unit"]["from"], "Công an phường (ca-1)");
        assert_eq!(c["unit"]["to"], "Đội Cảnh sát hình sự");
        assert_eq!(
            c["targets.case_change_pct"],
            json!({"from": -5.0, "to": -10.0})
        );
        assert!(c.get("reasons").is_none(), "{c}");
        assert_eq!(v["event"]["kind"], "edited");
        assert_eq!(v["event"]["note"], "Theo kế hoạch 12/KH");
        // Nothing to change: nothing written.
        let v = api
            .patch(
                path,
                Some(&t.editor),
                &json!({"unit": "Đội Cảnh sát hình sự"}),
            )
            .await
            .ok(200);
        assert!(v["event"].is_null());
        api.patch(
            "/api/v1/areas/ca-1/designations/20x4",
            Some(&t.editor),
            &json!({}),
        )
        .await
        .problem(400);
        api.patch(
            "/api/v1/areas/ca-1/designations/2023",
            Some(&t.editor),
            &json!({"unit": "u"}),
        )
        .await
        .problem(404);
        // A closed year is no longer edited.
        api.move_to(&t.editor, "ca-1", 2024, "in_progress", "")
            .await;
        api.move_to(&t.editor, "ca-1", 2024, "converted", "Đạt các chỉ tiêu")
            .await;
        api.patch(path, Some(&t.editor), &json!({"unit": "y"}))
            .await
            .problem(409);
        let h = api
            .get("/api/v1/areas/ca-1/history", Some(&t.viewer))
            .await
            .ok(200);
        let kinds: Vec<&str> = h["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["designated", "edited", "transition", "transition"]);
        db.cleanup().await;
    }
}

async fn exec(store: &Store, sql: &str) -> Result<u64, sqlx::Error> {
    match store {
        Store::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(p)
            .await
            .map(|r| r.rows_affected()),
        Store::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(p)
            .await
            .map(|r| r.rows_affected()),
    }
}

#[tokio::test]
async fn history_survives_a_restart_and_cannot_be_changed() {
    for db in TestDb::all().await {
        let backend = db.backend;
        let before = {
            let service = db.service().await;
            fixture(&service).await;
            let t = tokens(&service).await;
            let api = server(&service).await;
            api.designate(&t.editor, "ca-1", 2024, json!({"note": "Nghị quyết số 5"}))
                .await;
            api.move_to(&t.editor, "ca-1", 2024, "in_progress", "Triển khai")
                .await;
            api.move_to(
                &t.editor,
                "ca-1",
                2024,
                "not_converted",
                "Chưa đạt 2/4 chỉ tiêu",
            )
            .await;
            let h = api
                .get("/api/v1/areas/ca-1/history", Some(&t.viewer))
                .await
                .ok(200);
            // No route edits or deletes the history.
            for (m, p) in [
                (reqwest::Method::DELETE, "/api/v1/areas/ca-1/history"),
                (reqwest::Method::PUT, "/api/v1/areas/ca-1/history"),
                (reqwest::Method::POST, "/api/v1/areas/ca-1/history"),
                (reqwest::Method::DELETE, "/api/v1/areas/ca-1/transitions"),
                (reqwest::Method::PUT, "/api/v1/areas/ca-1/transitions"),
                (
                    reqwest::Method::DELETE,
                    "/api/v1/areas/ca-1/designations/2024",
                ),
                (reqwest::Method::PUT, "/api/v1/areas/ca-1/designations/2024"),
            ] {
                let r = api
                    .send_json(m.clone(), p, Some(&t.editor), &json!({}))
                    .await;
                assert!(r.status == 405 || r.status == 404, "{m} {p}: {}", r.status);
            }
            service.store().close().await;
            h["events"].clone()
        };
        // A new service on the same database: the same history.
        let service = db.service().await;
        let t = tokens(&service).await;
        let api = server(&service).await;
        let h = api
            .get("/api/v1/areas/ca-1/history", Some(&t.viewer))
            .await
            .ok(200);
        assert_eq!(h["events"], before, "{backend}");
        assert_eq!(h["designations"][0]["status"], "not_converted");
        assert_eq!(h["designations"][0]["years_not_converted"], 1);
        // The database itself refuses to change it.
        let store = service.store();
        for sql in [
            "UPDATE programme_events SET note = 'rewritten'",
            "UPDATE programme_events SET to_status = 'converted' WHERE kind = 'transition'",
            "DELETE FROM programme_events",
            "DELETE FROM designations",
            "UPDATE designations SET year = 2023",
            "UPDATE designations SET created_by = 'someone else'",
        ] {
            let r = exec(store, sql).await;
            assert!(r.is_err(), "{backend}: {sql} was accepted: {r:?}");
        }
        if backend == "postgres" {
            assert!(
                exec(store, "TRUNCATE programme_events CASCADE")
                    .await
                    .is_err()
            );
            assert!(exec(store, "TRUNCATE designations CASCADE").await.is_err());
        }
        let h = api
            .get("/api/v1/areas/ca-1/history", Some(&t.viewer))
            .await
            .ok(200);
        assert_eq!(h["events"], before, "{backend}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn racing_transitions_from_two_servers_apply_once() {
    for db in TestDb::all().await {
        let backend = db.backend;
        let a = db.service().await;
        fixture(&a).await;
        let t = tokens(&a).await;
        // A second server with its own connection pool on the same database (a replica).
        let b: Arc<Service> = db.service().await;
        let (api_a, api_b) = (server(&a).await, server(&b).await);
        for (year, target) in [(2024, "converted"), (2026, "not_converted")] {
            api_a.designate(&t.editor, "ca-3", year, json!({})).await;
            api_a
                .move_to(&t.editor, "ca-3", year, "in_progress", "")
                .await;
            let mut tasks = Vec::new();
            for i in 0..8 {
                let api = if i % 2 == 0 { &api_a } else { &api_b };
                let to = if i % 3 == 0 { "not_converted" } else { target };
                let body = json!({"year": year, "to": to, "note": format!("racer {i}")});
                let editor = t.editor.as_str();
                tasks.push(async move {
                    api.post("/api/v1/areas/ca-3/transitions", Some(editor), &body)
                        .await
                });
            }
            let results = futures_util::future::join_all(tasks).await;
            let ok = results.iter().filter(|r| r.status == 200).count();
            let conflicts = results.iter().filter(|r| r.status == 409).count();
            assert_eq!(
                (ok, conflicts),
                (1, 7),
                "{backend}: {:?}",
                results
                    .iter()
                    .map(|r| (r.status, r.text()))
                    .collect::<Vec<_>>()
            );
            let h = api_b
                .get("/api/v1/areas/ca-3/history", Some(&t.viewer))
                .await
                .ok(200);
            let finals = h["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["year"] == year && e["from"] == "in_progress")
                .count();
            assert_eq!(finals, 1, "{backend}: {h}");
        }
        db.cleanup().await;
    }
}
