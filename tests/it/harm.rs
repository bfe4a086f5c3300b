//! Harm weights over HTTP, on SQLite and PostgreSQL with a real client: the catalogue lists
//! the table in force; only an admin edits it; every analysis takes `weight=harm` and its
//! harm equals a plain sum of the weights over the incidents h3 puts in each cell; the
//! weights are in the provenance, and an edit changes the answer, the digest and the ETag.
//! (Gi*, the cube and KDE on harm are checked against esda and numpy in `gistar.rs`,
//! `cube.rs` and `kde.rs`.)

use crate::common;

use std::collections::BTreeMap;

use common::TestDb;
use common::fixtures::{import_incidents, server, tokens};
use diemnong::domain::harm::default_days;
use diemnong::domain::{LonLat, Severity};
use serde_json::{Value, json};

const CATEGORIES: [&str; 4] = ["theft", "robbery", "fraud", "drugs"];

/// 240 incidents in a few blocks of District 1, every category and class, in 2024.
fn rows() -> Vec<(String, String, Severity, f64, f64)> {
    (0..240)
        .map(|i| {
            let cat = CATEGORIES[i % 4];
            let sev = Severity::ALL[(i / 4) % 4];
            #[expect(clippy::cast_precision_loss, reason = "small integers: exact")]
            let (lon, lat) = (
                106.695 + ((i * 37) % 60) as f64 * 1.5e-4,
                10.770 + ((i * 53) % 60) as f64 * 1.5e-4,
            );
            (
                format!("H-{i:03}"),
                cat.to_owned(),
                sev,
                (lon * 1e6).round() / 1e6,
                (lat * 1e6).round() / 1e6,
            )
        })
        .collect()
}

/// Harm per resolution-9 cell, as h3 assigns cells, under `days(category, class)`.
fn oracle(days: impl Fn(&str, Severity) -> f64) -> BTreeMap<String, (u64, f64)> {
    let mut out: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    for (_, cat, sev, lon, lat) in rows() {
        let cell = h3o::LatLng::new(lat, lon)
            .unwrap()
            .to_cell(h3o::Resolution::Nine)
            .to_string();
        let e = out.entry(cell).or_default();
        e.0 += 1;
        e.1 += days(&cat, sev);
    }
    out
}

fn by_class(_: &str, s: Severity) -> f64 {
    default_days(s)
}

fn check_density(what: &str, fc: &Value, want: &BTreeMap<String, (u64, f64)>) {
    let feats = fc["features"].as_array().unwrap();
    assert_eq!(feats.len(), want.len(), "{what}: cells");
    for f in feats {
        let p = &f["properties"];
        let h3 = p["h3"].as_str().unwrap();
        let (n, h) = want[h3];
        assert_eq!(p["count"].as_u64(), Some(n), "{what} {h3}: count");
        let got = p["harm"].as_f64().unwrap();
        assert!(
            (got - h).abs() <= 1e-9 * h,
            "{what} {h3}: harm {got} vs {h}"
        );
        let area = h3.parse::<h3o::CellIndex>().unwrap().area_km2();
        let per = p["harm_per_km2"].as_f64().unwrap();
        assert!(
            (per - h / area).abs() <= 1e-9 * per,
            "{what} {h3}: harm per km²"
        );
    }
}

#[tokio::test]
async fn harm_weights_are_listed_edited_by_admins_and_weigh_every_analysis() {
    for db in TestDb::all().await {
        let b = db.backend;
        let service = db.service().await;
        let t = tokens(&service).await;
        let lines: Vec<String> = rows()
            .into_iter()
            .enumerate()
            .map(|(i, (id, cat, sev, lon, lat))| {
                LonLat::new(lon, lat).unwrap();
                format!(
                    "{id},2024-0{}-1{}T10:00:00+07:00,{cat},{},false,{lon},{lat}",
                    1 + i % 9,
                    i % 10,
                    sev.as_str()
                )
            })
            .collect();
        import_incidents(&service, &lines).await;
        let api = server(&service).await;
        let viewer = Some(t.viewer.as_str());

        // The catalogue lists every (category, class) at its default, and the digest.
        let cat = api.get("/api/v1/catalogue", None).await.ok(200);
        let hw = &cat["harm_weights"];
        assert_eq!(hw["unit"], "days", "{b}");
        let n_categories = cat["categories"].as_array().unwrap().len();
        let table = hw["weights"].as_array().unwrap();
        assert_eq!(
            table.len(),
            n_categories * 4,
            "{b}: four classes per category"
        );
        assert!(table.iter().all(|e| e["default"] == json!(true)), "{b}");
        for s in Severity::ALL {
            assert_eq!(
                hw["defaults"][s.as_str()].as_f64(),
                Some(default_days(s)),
                "{b}"
            );
        }
        let digest0 = hw["sha256"].as_str().unwrap().to_owned();

        // Density by harm: each cell's harm is the sum of its incidents' weights.
        let r = api.get("/api/v1/density?weight=harm", viewer).await;
        let etag0 = r.etag();
        let fc = r.geojson();
        check_density(&format!("{b} density"), &fc, &oracle(by_class));
        let w = &fc["diemnong"]["weights"];
        assert_eq!(w["kind"], "harm", "{b}");
        assert_eq!(w["sha256"], json!(digest0), "{b}");
        assert_eq!(w["overrides"], json!([]), "{b}");
        // By count (the default): no harm, and the provenance says so.
        let fc = api.get("/api/v1/density", viewer).await.geojson();
        assert!(fc["features"][0]["properties"].get("harm").is_none(), "{b}");
        assert_eq!(fc["diemnong"]["weights"]["kind"], "count", "{b}");
        // CSV carries the harm columns.
        let csv = api
            .get("/api/v1/density?weight=harm&format=csv", viewer)
            .await
            .text();
        assert!(
            csv.lines().next().unwrap().contains("harm,harm_per_km2"),
            "{b}: {csv:.80}"
        );

        // Only an admin edits; bad weights, categories and classes are refused clearly.
        let path = "/api/v1/catalogue/harm_weights/robbery/serious";
        api.put_json(path, Some(&t.editor), &json!({"days": 2500}))
            .await
            .problem(403);
        api.put_json(path, None, &json!({"days": 2500}))
            .await
            .problem(401);
        let p = api
            .put_json(path, Some(&t.admin), &json!({"days": 0}))
            .await
            .problem(400);
        assert!(p.to_string().contains("days"), "{b}: {p}");
        api.put_json(
            "/api/v1/catalogue/harm_weights/burglary_of_the_moon/serious",
            Some(&t.admin),
            &json!({"days": 10}),
        )
        .await
        .problem(404);
        api.put_json(
            "/api/v1/catalogue/harm_weights/robbery/grave",
            Some(&t.admin),
            &json!({"days": 10}),
        )
        .await
        .problem(404);
        let e = api
            .put_json(path, Some(&t.admin), &json!({"days": 2500}))
            .await
            .ok(200);
        assert_eq!(e["days"], json!(2500.0), "{b}");

        // The edit is listed, moves the digest, the answer and the ETag.
        let cat = api.get("/api/v1/catalogue", None).await.ok(200);
        let edited: Vec<&Value> = cat["harm_weights"]["weights"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["default"] == json!(false))
            .collect();
        assert_eq!(edited.len(), 1, "{b}");
        assert_eq!(edited[0]["category"], "robbery", "{b}");
        let digest1 = cat["harm_weights"]["sha256"].as_str().unwrap().to_owned();
        assert_ne!(digest1, digest0, "{b}");
        let r = api.get("/api/v1/density?weight=harm", viewer).await;
        assert_ne!(r.etag(), etag0, "{b}: the ETag follows the weights");
        let fc = r.geojson();
        let robbery_serious = |c: &str, s: Severity| {
            if c == "robbery" && s == Severity::Serious {
                2500.0
            } else {
                by_class(c, s)
            }
        };
        check_density(&format!("{b} edited"), &fc, &oracle(robbery_serious));
        assert_eq!(fc["diemnong"]["weights"]["sha256"], json!(digest1), "{b}");
        assert_eq!(
            fc["diemnong"]["weights"]["overrides"],
            json!([{"category": "robbery", "severity": "serious", "days": 2500.0}]),
            "{b}"
        );

        // Every analysis takes the weight; Gi* compares harm.
        let fc = api
            .get("/api/v1/hotspots?weight=harm&study=occupied", viewer)
            .await
            .geojson();
        let want = oracle(robbery_serious);
        for f in fc["features"].as_array().unwrap() {
            let p = &f["properties"];
            let h = want[p["h3"].as_str().unwrap()].1;
            assert!((p["harm"].as_f64().unwrap() - h).abs() <= 1e-9 * h, "{b}");
            assert!(p["gi_z"].is_f64(), "{b}");
        }
        let by_count = api
            .get("/api/v1/hotspots?study=occupied", viewer)
            .await
            .geojson();
        assert_ne!(
            fc["features"][0]["properties"]["gi_z"], by_count["features"][0]["properties"]["gi_z"],
            "{b}: harm and count give different z"
        );
        for path in [
            "/api/v1/hotspots/zones?weight=harm&min_bin=1&fdr=false",
            "/api/v1/hotspots/emerging?weight=harm&res=8&from=2024-01-01&to=2024-10-01",
            "/api/v1/kde?weight=harm&bandwidth_m=300",
        ] {
            let fc = api.get(path, viewer).await.geojson();
            assert_eq!(fc["diemnong"]["weights"]["kind"], "harm", "{b} {path}");
        }
        let em = api
            .get(
                "/api/v1/hotspots/emerging?weight=harm&res=8&from=2024-01-01&to=2024-10-01",
                viewer,
            )
            .await
            .geojson();
        let total: f64 = em["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["harm"].as_f64().unwrap())
            .sum();
        let want_total: f64 = want.values().map(|v| v.1).sum();
        assert!(
            (total - want_total).abs() <= 1e-9 * want_total,
            "{b}: emerging harm"
        );
        let p = api
            .get("/api/v1/density?weight=severity", viewer)
            .await
            .problem(400);
        assert!(p.to_string().contains("weight"), "{b}: {p}");

        // Reset: the default applies again, and the digest is the first one.
        let r = api
            .send(reqwest::Method::DELETE, path, Some(&t.admin), None)
            .await;
        assert_eq!(r.status, 204, "{b}");
        let cat = api.get("/api/v1/catalogue", None).await.ok(200);
        assert_eq!(cat["harm_weights"]["sha256"], json!(digest0), "{b}");
        let fc = api
            .get("/api/v1/density?weight=harm", viewer)
            .await
            .geojson();
        check_density(&format!("{b} reset"), &fc, &oracle(by_class));
        db.cleanup().await;
    }
}
