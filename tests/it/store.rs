//! Store parity: every store method on SQLite and PostgreSQL alike.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{TestDb, repo_path};
use diemnong::auth::{Role, hash_token};
use diemnong::domain::{
    Area, AreaGeometry, AreaKind, Camera, Catalogue, CatalogueEntry, Incident, LonLat, Model,
    NewArea, NewCamera, NewIncident, NewModel, Severity,
};
use diemnong::index::{IncidentRow, Snapshot};
use diemnong::ingest::Layer;
use diemnong::ingest::csv::CsvOptions;
use diemnong::service::{ImportMode, ImportReport, Service, Source, load_snapshot};
use diemnong::store::{CatalogueKind, Store, StoreError};
use geo::Winding as _;
use std::fmt::Write as _;

#[tokio::test]
async fn migrations_seed_the_default_catalogue() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let c = store.catalogue().await.unwrap();
        let d = Catalogue::defaults();
        assert_eq!(c.categories, d.categories, "{}", db.backend);
        assert_eq!(c.model_kinds, d.model_kinds, "{}", db.backend);
        assert_eq!(store.data_version().await.unwrap(), 0);
        // Connecting again (a restart) runs no migration twice.
        drop(store);
        let again = db.store().await;
        assert_eq!(
            again.catalogue().await.unwrap().categories.len(),
            d.categories.len()
        );
        again.close().await;
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

#[expect(clippy::too_many_arguments, reason = "one argument per field")]
fn incident(
    ext: Option<&str>,
    t: i64,
    cat: &str,
    severity: Severity,
    solved: bool,
    lon: f64,
    lat: f64,
    address: Option<&str>,
    ward: Option<&str>,
) -> NewIncident {
    NewIncident::new(
        ext.map(str::to_owned),
        t,
        cat.to_owned(),
        severity,
        solved,
        ll(lon, lat),
        address.map(str::to_owned),
        ward.map(str::to_owned),
    )
}

/// Incidents that exercise every column: absent optional fields, every severity, both
/// booleans, extreme coordinates and instants, non-ASCII text.
fn sample_incidents() -> Vec<NewIncident> {
    vec![
        incident(
            Some("INC-1"),
            1_735_662_600,
            "theft",
            Severity::LessSerious,
            false,
            106.700_175,
            10.757_199,
            Some("104/34 Đường Đoàn Văn Bơ"),
            Some("Phường 2"),
        ),
        incident(
            None,
            0,
            "fraud",
            Severity::Serious,
            true,
            0.0,
            0.0,
            None,
            None,
        ),
        incident(
            Some("INC-3"),
            -2_208_988_800,
            "drugs",
            Severity::VerySerious,
            true,
            -179.999_999,
            -89.999_999,
            Some("  "),
            None,
        ),
        incident(
            Some("INC-4 \"quoted\" 'x'"),
            253_402_300_799,
            "murder",
            Severity::EspeciallySerious,
            false,
            180.0,
            90.0,
            None,
            Some("Xã Bình Chánh"),
        ),
        incident(
            Some("INC-5"),
            1_700_000_000,
            "other",
            Severity::Serious,
            false,
            -180.0,
            -90.0,
            Some("x"),
            Some("y"),
        ),
    ]
}

fn sample_cameras() -> Vec<NewCamera> {
    vec![
        NewCamera {
            external_id: Some("CAM-1".into()),
            location: ll(106.760_527, 10.787_572),
            kind: "ptz".into(),
            active: true,
            installed_at: Some(1_577_836_800),
        },
        NewCamera {
            external_id: None,
            location: ll(-0.5, -45.25),
            kind: "fixed".into(),
            active: false,
            installed_at: None,
        },
        // A second camera without external id: NULLs never conflict.
        NewCamera {
            external_id: None,
            location: ll(1.0, 2.0),
            kind: "anpr".into(),
            active: true,
            installed_at: Some(-86_400),
        },
        NewCamera {
            external_id: Some("CAM-4".into()),
            location: ll(180.0, 90.0),
            kind: "Camera hồng ngoại".into(),
            active: false,
            installed_at: Some(4_102_444_800),
        },
    ]
}

fn sample_models() -> Vec<NewModel> {
    vec![
        NewModel {
            external_id: Some("MH-1".into()),
            location: ll(106.607_89, 10.826_456),
            kind: "religious_group".into(),
            name: "Cơ sở tôn giáo tự quản nhà thờ Tân Định, Phường 1".into(),
            established_at: Some(1_664_668_800),
            active: true,
        },
        NewModel {
            external_id: None,
            location: ll(-12.5, 33.25),
            kind: "team_363".into(),
            name: "Tổ 363".into(),
            established_at: None,
            active: false,
        },
        NewModel {
            external_id: Some("MH-3".into()),
            location: ll(106.643_901, 10.813_939),
            kind: "reintegration_5_plus_1".into(),
            name: "Mô hình \"5+1\"".into(),
            established_at: Some(-1),
            active: true,
        },
    ]
}

fn ring(points: &[(f64, f64)]) -> Vec<Vec<f64>> {
    points.iter().map(|&(x, y)| vec![x, y]).collect()
}

fn sample_areas() -> Vec<NewArea> {
    // Coordinates of at most 6 decimals: what the store keeps (it rounds to 6, ~0.1 m).
    // Clockwise on input: validation orients it, and what is stored is the oriented form.
    let cw = ring(&[
        (106.7, 10.7),
        (106.7, 10.71),
        (106.71, 10.71),
        (106.71, 10.7),
        (106.7, 10.7),
    ]);
    // A polygon with a hole, and a two-part MultiPolygon.
    let outer = ring(&[
        (106.6, 10.6),
        (106.7, 10.6),
        (106.7, 10.7),
        (106.6, 10.7),
        (106.6, 10.6),
    ]);
    let hole = ring(&[
        (106.62, 10.62),
        (106.62, 10.64),
        (106.64, 10.64),
        (106.64, 10.62),
        (106.62, 10.62),
    ]);
    let a = ring(&[
        (106.8, 10.8),
        (106.801234, 10.8),
        (106.801234, 10.801234),
        (106.8, 10.801234),
        (106.8, 10.8),
    ]);
    let b = ring(&[
        (-0.000001, -0.5),
        (0.25, -0.5),
        (0.0, 0.75),
        (-0.000001, -0.5),
    ]);
    vec![
        NewArea {
            code: "ward-q1-01".into(),
            name: "Phường 1".into(),
            kind: AreaKind::Ward,
            geometry: AreaGeometry::from_raw(&[vec![cw]]).unwrap(),
            population: Some(29_491),
        },
        NewArea {
            code: "district.q3".into(),
            name: "Quận 3".into(),
            kind: AreaKind::District,
            geometry: AreaGeometry::from_raw(&[vec![outer, hole]]).unwrap(),
            population: None,
        },
        NewArea {
            code: "complex_A-1".into(),
            name: "Địa bàn phức tạp bến xe".into(),
            kind: AreaKind::ComplexArea,
            geometry: AreaGeometry::from_raw(&[vec![a], vec![b]]).unwrap(),
            population: Some(0),
        },
    ]
}

fn ids_of_incidents(v: &[Incident]) -> Vec<i64> {
    v.iter().map(|i| i.id).collect()
}

/// What the index scan yields after `after_id`, with each category as its code.
async fn scan(store: &Store, after_id: i64) -> Vec<(IncidentRow, String)> {
    let scanned = store.scan_incidents(after_id).await.unwrap();
    scanned
        .rows
        .iter()
        .map(|r| (*r, scanned.categories[r.category.index()].clone()))
        .collect()
}

async fn all_incidents(store: &Store) -> Vec<Incident> {
    let ids: Vec<i64> = scan(store, 0).await.iter().map(|(r, _)| r.id).collect();
    store.incidents_by_ids(&ids).await.unwrap()
}

async fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match store {
        Store::Sqlite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(p)
            .await
            .unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

// ---------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn incidents_round_trip_every_field() {
    for db in TestDb::all().await {
        let b = db.backend;
        let store = db.store().await;
        let input = sample_incidents();
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.insert_incidents(&input).await.unwrap(),
            input.len() as u64,
            "{b}"
        );
        tx.commit().await.unwrap();

        let stored = all_incidents(&store).await;
        assert_eq!(stored.len(), input.len(), "{b}");
        // Ids are assigned in insertion order, strictly increasing.
        assert!(
            stored.windows(2).all(|w| w[0].id < w[1].id),
            "{b}: {:?}",
            ids_of_incidents(&stored)
        );
        for (got, want) in stored.iter().zip(&input) {
            assert_eq!(&got.data, want, "{b}: incident {}", got.id);
        }
        // The index scan yields the same values, with the category code beside each row.
        let scanned = scan(&store, 0).await;
        assert_eq!(scanned.len(), input.len(), "{b}");
        for ((r, code), inc) in scanned.iter().zip(&stored) {
            assert_eq!(r.id, inc.id, "{b}");
            assert_eq!(r.occurred_at, inc.data.occurred_at, "{b}");
            assert_eq!(code, &inc.data.category, "{b}");
            assert_eq!(r.severity, inc.data.severity, "{b}");
            assert_eq!(r.solved, inc.data.solved, "{b}");
            assert_eq!(
                (r.lon, r.lat),
                (inc.data.location.lon(), inc.data.location.lat()),
                "{b}"
            );
            assert_eq!(r.cell, inc.data.cell, "{b}");
        }
        // `after_id` skips what was already seen.
        let after: Vec<i64> = scan(&store, stored[2].id)
            .await
            .iter()
            .map(|(r, _)| r.id)
            .collect();
        assert_eq!(after, ids_of_incidents(&stored[3..]), "{b}");
        // A data write through the store alone does not bump the version.
        assert_eq!(store.data_version().await.unwrap(), 0, "{b}");
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn cameras_models_and_areas_round_trip_every_field() {
    for db in TestDb::all().await {
        let b = db.backend;
        let store = db.store().await;
        let (cams, models, areas) = (sample_cameras(), sample_models(), sample_areas());
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.insert_cameras(&cams).await.unwrap(),
            cams.len() as u64,
            "{b}"
        );
        assert_eq!(
            tx.insert_models(&models).await.unwrap(),
            models.len() as u64,
            "{b}"
        );
        assert_eq!(
            tx.insert_areas(&areas).await.unwrap(),
            areas.len() as u64,
            "{b}"
        );
        tx.commit().await.unwrap();

        let got_cams = store.cameras().await.unwrap();
        assert_eq!(
            got_cams.iter().map(|c| c.data.clone()).collect::<Vec<_>>(),
            cams,
            "{b}"
        );
        assert!(got_cams.windows(2).all(|w| w[0].id < w[1].id), "{b}");
        let got_models = store.models().await.unwrap();
        assert_eq!(
            got_models
                .iter()
                .map(|m| m.data.clone())
                .collect::<Vec<_>>(),
            models,
            "{b}"
        );
        assert!(got_models.windows(2).all(|w| w[0].id < w[1].id), "{b}");
        let got_areas = store.areas().await.unwrap();
        assert_eq!(
            got_areas.iter().map(|a| a.data.clone()).collect::<Vec<_>>(),
            areas,
            "{b}"
        );
        assert!(got_areas.windows(2).all(|w| w[0].id < w[1].id), "{b}");
        // Stored geometry is RFC 7946 wound: exterior rings counter-clockwise.
        for a in &got_areas {
            for p in &a.data.geometry.multi_polygon().0 {
                assert!(p.exterior().is_ccw(), "{b}: {}", a.data.code);
                assert!(
                    p.interiors().iter().all(geo::Winding::is_cw),
                    "{b}: {}",
                    a.data.code
                );
            }
        }
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
#[expect(
    clippy::cast_precision_loss,
    reason = "row numbers below 2^52 are exact in f64"
)]
async fn reinserting_the_same_keys_inserts_nothing_and_changes_nothing() {
    for db in TestDb::all().await {
        let b = db.backend;
        let store = db.store().await;
        // Across chunk boundaries (the store inserts 1,000 rows a statement).
        let many: Vec<NewIncident> = (0..2_500)
            .map(|i| {
                incident(
                    Some(&format!("E-{i:05}")),
                    1_700_000_000 + i,
                    "theft",
                    Severity::Serious,
                    i % 2 == 0,
                    106.6 + (i as f64) * 1e-5,
                    10.7,
                    None,
                    None,
                )
            })
            .collect();
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.insert_incidents(&many).await.unwrap(), 2_500, "{b}");
        assert_eq!(
            tx.insert_cameras(&sample_cameras()).await.unwrap(),
            4,
            "{b}"
        );
        assert_eq!(tx.insert_models(&sample_models()).await.unwrap(), 3, "{b}");
        assert_eq!(tx.insert_areas(&sample_areas()).await.unwrap(), 3, "{b}");
        tx.commit().await.unwrap();
        let before = (
            all_incidents(&store).await,
            store.cameras().await.unwrap(),
            store.models().await.unwrap(),
            store.areas().await.unwrap(),
        );

        // The same keys with different values: nothing is inserted, nothing overwritten.
        let changed: Vec<NewIncident> = many
            .iter()
            .map(|i| {
                let mut i = i.clone();
                i.category = "fraud".into();
                i.solved = !i.solved;
                i.occurred_at += 1;
                i
            })
            .collect();
        let keyed_cams: Vec<NewCamera> = sample_cameras()
            .into_iter()
            .filter(|c| c.external_id.is_some())
            .map(|mut c| {
                c.active = !c.active;
                c.kind = "changed".into();
                c
            })
            .collect();
        let keyed_models: Vec<NewModel> = sample_models()
            .into_iter()
            .filter(|m| m.external_id.is_some())
            .map(|mut m| {
                m.name = "changed".into();
                m
            })
            .collect();
        let same_codes: Vec<NewArea> = sample_areas()
            .into_iter()
            .map(|mut a| {
                a.name = "changed".into();
                a.population = Some(1);
                a
            })
            .collect();
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.insert_incidents(&changed).await.unwrap(), 0, "{b}");
        assert_eq!(tx.insert_cameras(&keyed_cams).await.unwrap(), 0, "{b}");
        assert_eq!(tx.insert_models(&keyed_models).await.unwrap(), 0, "{b}");
        assert_eq!(tx.insert_areas(&same_codes).await.unwrap(), 0, "{b}");
        tx.commit().await.unwrap();
        let after = (
            all_incidents(&store).await,
            store.cameras().await.unwrap(),
            store.models().await.unwrap(),
            store.areas().await.unwrap(),
        );
        assert_eq!(before, after, "{b}");

        // A mix of known and new keys inserts exactly the new ones.
        let mut mixed = changed[1_990..2_010].to_vec();
        mixed.push(incident(
            Some("E-new"),
            1,
            "assault",
            Severity::LessSerious,
            false,
            1.0,
            1.0,
            None,
            None,
        ));
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.insert_incidents(&mixed).await.unwrap(), 1, "{b}");
        tx.commit().await.unwrap();
        assert_eq!(count(&store, "incidents").await, 2_501, "{b}");
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn rollback_and_drop_leave_nothing() {
    for db in TestDb::all().await {
        let b = db.backend;
        let store = db.store().await;
        for explicit in [true, false] {
            let mut tx = store.begin().await.unwrap();
            assert_eq!(
                tx.insert_incidents(&sample_incidents()).await.unwrap(),
                5,
                "{b}"
            );
            assert_eq!(
                tx.insert_cameras(&sample_cameras()).await.unwrap(),
                4,
                "{b}"
            );
            assert_eq!(tx.insert_models(&sample_models()).await.unwrap(), 3, "{b}");
            assert_eq!(tx.insert_areas(&sample_areas()).await.unwrap(), 3, "{b}");
            tx.upsert_catalogue_entry(
                CatalogueKind::Categories,
                &CatalogueEntry::new("arson", "Đốt nhà", "Arson").unwrap(),
            )
            .await
            .unwrap();
            tx.insert_token("t", Role::Admin, &hash_token("secret"), 1)
                .await
                .unwrap();
            assert_eq!(tx.bump_version().await.unwrap(), 1, "{b}");
            if explicit {
                tx.rollback().await.unwrap();
            } else {
                drop(tx);
            }
            for table in ["incidents", "cameras", "models", "areas", "api_tokens"] {
                assert_eq!(
                    count(&store, table).await,
                    0,
                    "{b}: {table} after rollback (explicit: {explicit})"
                );
            }
            assert_eq!(store.data_version().await.unwrap(), 0, "{b}");
            assert_eq!(
                store.catalogue().await.unwrap().categories,
                Catalogue::defaults().categories,
                "{b}"
            );
            assert_eq!(
                store.token_role(&hash_token("secret")).await.unwrap(),
                None,
                "{b}"
            );
        }
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_store_refuses_unknown_category_and_model_kind() {
    for db in TestDb::all().await {
        let b = db.backend;
        let store = db.store().await;
        let mut tx = store.begin().await.unwrap();
        let bad = incident(
            Some("X"),
            1,
            "not_a_category",
            Severity::Serious,
            false,
            1.0,
            1.0,
            None,
            None,
        );
        assert!(
            tx.insert_incidents(&[bad]).await.is_err(),
            "{b}: foreign key on incidents.category"
        );
        tx.rollback().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let mut m = sample_models().remove(0);
        m.kind = "not_a_kind".into();
        assert!(
            tx.insert_models(&[m]).await.is_err(),
            "{b}: foreign key on models.kind"
        );
        tx.rollback().await.unwrap();
        assert_eq!(
            count(&store, "incidents").await + count(&store, "models").await,
            0,
            "{b}"
        );
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn bump_version_is_monotonic_and_transactional() {
    for db in TestDb::all().await {
        let b = db.backend;
        let store = db.store().await;
        let mut seen = vec![store.data_version().await.unwrap()];
        for _ in 0..3 {
            let mut tx = store.begin().await.unwrap();
            let v1 = tx.bump_version().await.unwrap();
            let v2 = tx.bump_version().await.unwrap();
            assert_eq!(v2, v1 + 1, "{b}");
            // Not visible outside the transaction before commit.
            assert_eq!(
                store.data_version().await.unwrap(),
                *seen.last().unwrap(),
                "{b}"
            );
            tx.commit().await.unwrap();
            seen.push(store.data_version().await.unwrap());
            assert_eq!(*seen.last().unwrap(), v2, "{b}");
        }
        assert_eq!(seen, vec![0, 2, 4, 6], "{b}");
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.bump_version().await.unwrap(), 7, "{b}");
        tx.rollback().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), 6, "{b}");
        // A restart reads the same version.
        store.close().await;
        assert_eq!(db.store().await.data_version().await.unwrap(), 6, "{b}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn catalogue_upsert_appends_new_entries_and_relabels_existing_ones() {
    for db in TestDb::all().await {
        let b = db.backend;
        let store = db.store().await;
        let arson = CatalogueEntry::new("arson", "Cố ý gây cháy", "Arson").unwrap();
        let smuggling = CatalogueEntry::new("smuggling", "Buôn lậu", "Smuggling").unwrap();
        let theft = CatalogueEntry::new("theft", "Trộm cắp", "Stealing").unwrap();
        let kind = CatalogueEntry::new("zalo_group", "Nhóm Zalo", "Zalo group").unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.upsert_catalogue_entry(CatalogueKind::Categories, &arson)
            .await
            .unwrap();
        tx.upsert_catalogue_entry(CatalogueKind::Categories, &smuggling)
            .await
            .unwrap();
        tx.upsert_catalogue_entry(CatalogueKind::Categories, &theft)
            .await
            .unwrap();
        tx.upsert_catalogue_entry(CatalogueKind::ModelKinds, &kind)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut want = Catalogue::defaults();
        want.categories[0] = theft.clone(); // relabelled in place: keeps its position
        want.categories.push(arson.clone());
        want.categories.push(smuggling.clone());
        want.model_kinds.push(kind.clone());
        let got = store.catalogue().await.unwrap();
        assert_eq!(got.categories, want.categories, "{b}");
        assert_eq!(got.model_kinds, want.model_kinds, "{b}");

        // Relabelling a new entry again keeps it where it is; the other list is untouched.
        let arson2 = CatalogueEntry::new("arson", "Đốt phá", "Arson (wilful)").unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.upsert_catalogue_entry(CatalogueKind::Categories, &arson2)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let n = want.categories.len();
        want.categories[n - 2] = arson2;
        let got = store.catalogue().await.unwrap();
        assert_eq!(got.categories, want.categories, "{b}");
        assert_eq!(got.model_kinds, want.model_kinds, "{b}");
        // A new category is usable by incidents at once (the foreign key sees it).
        let mut tx = store.begin().await.unwrap();
        let i = incident(
            Some("A"),
            1,
            "arson",
            Severity::Serious,
            false,
            1.0,
            1.0,
            None,
            None,
        );
        assert_eq!(tx.insert_incidents(&[i]).await.unwrap(), 1, "{b}");
        tx.commit().await.unwrap();
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn tokens_insert_resolve_revoke_and_list() {
    for db in TestDb::all().await {
        let b = db.backend;
        let store = db.store().await;
        let (ha, hb, hc) = (hash_token("dn_a"), hash_token("dn_b"), hash_token("dn_c"));
        let mut tx = store.begin().await.unwrap();
        let a = tx
            .insert_token("viewer bot", Role::Viewer, &ha, 1_000)
            .await
            .unwrap();
        let bb = tx
            .insert_token("Chủ tịch", Role::Editor, &hb, 2_000)
            .await
            .unwrap();
        let c = tx
            .insert_token("admin", Role::Admin, &hc, 3_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(a < bb && bb < c, "{b}");
        assert_eq!(
            store.token_role(&ha).await.unwrap(),
            Some(Role::Viewer),
            "{b}"
        );
        assert_eq!(
            store.token_role(&hb).await.unwrap(),
            Some(Role::Editor),
            "{b}"
        );
        assert_eq!(
            store.token_role(&hc).await.unwrap(),
            Some(Role::Admin),
            "{b}"
        );
        assert_eq!(
            store.token_role(&hash_token("dn_unknown")).await.unwrap(),
            None,
            "{b}"
        );

        // A second token with the same hash is a conflict.
        let mut tx = store.begin().await.unwrap();
        let dup = tx.insert_token("again", Role::Viewer, &ha, 4_000).await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{b}: {dup:?}");
        drop(tx);

        let mut tx = store.begin().await.unwrap();
        tx.revoke_token(bb, 5_000).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.token_role(&hb).await.unwrap(), None, "{b}");
        assert_eq!(
            store.token_role(&ha).await.unwrap(),
            Some(Role::Viewer),
            "{b}"
        );

        let mut tx = store.begin().await.unwrap();
        let again = tx.revoke_token(bb, 6_000).await;
        assert!(
            matches!(again, Err(StoreError::NotFound(_))),
            "{b}: {again:?}"
        );
        let missing = tx.revoke_token(c + 1_000, 6_000).await;
        assert!(
            matches!(missing, Err(StoreError::NotFound(_))),
            "{b}: {missing:?}"
        );
        tx.rollback().await.unwrap();

        let list = store.tokens().await.unwrap();
        let rows: Vec<_> = list
            .iter()
            .map(|t| (t.id, t.name.as_str(), t.role, t.created_at, t.revoked_at))
            .collect();
        assert_eq!(
            rows,
            vec![
                (c, "admin", Role::Admin, 3_000, None),
                (bb, "Chủ tịch", Role::Editor, 2_000, Some(5_000)),
                (a, "viewer bot", Role::Viewer, 1_000, None),
            ],
            "{b}"
        );
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
#[expect(
    clippy::cast_precision_loss,
    reason = "row numbers below 2^52 are exact in f64"
)]
async fn incidents_by_ids_returns_the_existing_subset_in_id_order() {
    for db in TestDb::all().await {
        let b = db.backend;
        let store = db.store().await;
        let rows: Vec<NewIncident> = (0..2_300)
            .map(|i| {
                incident(
                    Some(&format!("K{i}")),
                    i,
                    "theft",
                    Severity::Serious,
                    false,
                    106.0,
                    10.0 + (i as f64) * 1e-4,
                    None,
                    None,
                )
            })
            .collect();
        let mut tx = store.begin().await.unwrap();
        tx.insert_incidents(&rows).await.unwrap();
        tx.commit().await.unwrap();
        let all: Vec<i64> = scan(&store, 0).await.iter().map(|(r, _)| r.id).collect();
        assert_eq!(all.len(), 2_300, "{b}");

        // Unordered, with duplicates and ids that do not exist: the existing subset, in id order.
        let ask = vec![all[10], -5, all[3], 0, all[2_299] + 100, all[7], all[3]];
        let got = store.incidents_by_ids(&ask).await.unwrap();
        assert_eq!(ids_of_incidents(&got), vec![all[3], all[7], all[10]], "{b}");
        assert_eq!(got[1].data.external_id.as_deref(), Some("K7"), "{b}");
        assert!(store.incidents_by_ids(&[]).await.unwrap().is_empty(), "{b}");
        assert!(
            store.incidents_by_ids(&[-1, 0]).await.unwrap().is_empty(),
            "{b}"
        );

        // More ids than one statement takes (1,000): still every one, in id order.
        let every = store.incidents_by_ids(&all).await.unwrap();
        assert_eq!(ids_of_incidents(&every), all, "{b}");
        let mut reversed = all[..1_500].to_vec();
        reversed.reverse();
        let got = store.incidents_by_ids(&reversed).await.unwrap();
        assert_eq!(
            ids_of_incidents(&got),
            all[..1_500].to_vec(),
            "{b}: unordered input over one chunk"
        );
        // An id asked for in two chunks comes back once.
        let mut twice = all[..1_200].to_vec();
        twice.push(all[0]);
        twice.push(all[2_000]);
        let got = store.incidents_by_ids(&twice).await.unwrap();
        let mut want = all[..1_200].to_vec();
        want.push(all[2_000]);
        assert_eq!(
            ids_of_incidents(&got),
            want,
            "{b}: duplicates across chunks"
        );
        store.close().await;
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// Restart parity: the in-memory index is a function of the database
// ---------------------------------------------------------------------------------------

/// An index row with the category as its code (interned references are an internal detail).
type Row = (i64, i64, String, String, bool, f64, f64, i64);

fn index_rows(s: &Snapshot) -> Vec<Row> {
    s.incidents
        .rows_by_id()
        .into_iter()
        .map(|(r, code)| {
            (
                r.id,
                r.occurred_at,
                code,
                r.severity.as_str().to_owned(),
                r.solved,
                r.lon,
                r.lat,
                i64::try_from(u64::from(r.cell)).unwrap(),
            )
        })
        .collect()
}

async fn sql_rows(store: &Store) -> Vec<Row> {
    const SQL: &str = "SELECT id, occurred_at, category, severity, solved, lon, lat, h3_cell FROM incidents ORDER BY id";
    match store {
        Store::Sqlite(p) => sqlx::query_as(SQL).fetch_all(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_as(SQL).fetch_all(p).await.unwrap(),
    }
}

fn assert_same_small_layers(
    a: &Snapshot,
    cams: &[Camera],
    models: &[Model],
    areas: &[Area],
    cat: &Catalogue,
    what: &str,
) {
    assert_eq!(a.cameras.records(), cams, "{what}: cameras");
    assert_eq!(a.models.records(), models, "{what}: models");
    assert_eq!(a.areas.areas(), areas, "{what}: areas");
    assert_eq!(a.catalogue.categories, cat.categories, "{what}: categories");
    assert_eq!(
        a.catalogue.model_kinds, cat.model_kinds,
        "{what}: model kinds"
    );
}

/// The live service's snapshot equals a rebuild after a restart and the database itself.
async fn assert_index_matches_database(db: &TestDb, live: &Service, what: &str) {
    let snap = live.snapshot();
    let restarted = Store::connect(&db.url).await.unwrap();
    let fresh = load_snapshot(&restarted).await.unwrap();
    let sql = sql_rows(&restarted).await;
    let live_rows = index_rows(&snap);
    assert_eq!(live_rows.len(), sql.len(), "{what}: row count");
    assert_eq!(
        live_rows,
        index_rows(&fresh),
        "{what}: live index vs rebuild after restart"
    );
    assert_eq!(live_rows, sql, "{what}: index vs plain SQL");
    assert_eq!(snap.version, fresh.version, "{what}: version");
    assert_eq!(
        snap.version,
        restarted.data_version().await.unwrap(),
        "{what}: version"
    );
    assert_eq!(
        snap.incidents.max_id(),
        sql.last().map_or(0, |r| r.0),
        "{what}: max id"
    );
    let (cams, models, areas, cat) = (
        restarted.cameras().await.unwrap(),
        restarted.models().await.unwrap(),
        restarted.areas().await.unwrap(),
        restarted.catalogue().await.unwrap(),
    );
    assert_same_small_layers(&snap, &cams, &models, &areas, &cat, what);
    assert_same_small_layers(&fresh, &cams, &models, &areas, &cat, what);
    // Every stored cell is the resolution-15 H3 cell of the stored position.
    for (id, _, _, _, _, lon, lat, cell) in &sql {
        let c = h3o::CellIndex::try_from(u64::try_from(*cell).unwrap()).unwrap();
        assert_eq!(
            c.resolution(),
            h3o::Resolution::Fifteen,
            "{what}: incident {id}"
        );
        let want = h3o::LatLng::new(*lat, *lon)
            .unwrap()
            .to_cell(h3o::Resolution::Fifteen);
        assert_eq!(c, want, "{what}: incident {id} at {lon},{lat}");
    }
    // A service opened on the restarted store serves the same index.
    let reopened = Service::open(restarted.clone(), diemnong::domain::Zone::default())
        .await
        .unwrap();
    assert_eq!(
        index_rows(&reopened.snapshot()),
        live_rows,
        "{what}: reopened service"
    );
    restarted.close().await;
}

async fn import(svc: &Service, layer: Layer, source: Source) -> ImportReport {
    let r = svc
        .import(
            layer,
            source,
            ImportMode::AllOrNothing,
            Box::new(|_| {}),
            Box::new(|_, _| {}),
        )
        .await
        .unwrap();
    assert!(
        r.committed && r.errors.is_empty(),
        "{layer}: {:?}",
        r.errors
    );
    r
}

fn csv_file(rel: &str) -> Source {
    Source::Csv {
        reader: Box::new(std::fs::File::open(repo_path(rel)).unwrap()),
        options: CsvOptions::default(),
    }
}

fn csv_text(text: String) -> Source {
    Source::Csv {
        reader: Box::new(std::io::Cursor::new(text.into_bytes())),
        options: CsvOptions::default(),
    }
}

/// `n` deterministic pseudo-random incidents over Hồ Chí Minh City (ids `{prefix}-…`).
#[expect(
    clippy::cast_precision_loss,
    reason = "pseudo-random offsets below 10^6, exact in f64"
)]
fn generated_csv(prefix: &str, n: usize, seed: u64, categories: &[&str]) -> String {
    let mut s = seed;
    let mut next = move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        s >> 11
    };
    let sev = [
        "less_serious",
        "serious",
        "very_serious",
        "especially_serious",
    ];
    let mut out =
        String::from("external_id,occurred_at,category,severity,solved,lon,lat,address\n");
    for i in 0..n {
        let lon = 106.55 + (next() % 300_000) as f64 / 1e6;
        let lat = 10.65 + (next() % 250_000) as f64 / 1e6;
        let t = 1_704_067_200 + (next() % 31_536_000);
        let cat = categories[usize::try_from(next() % categories.len() as u64).unwrap()];
        let sv = sev[(next() % 4) as usize];
        let solved = next() % 2 == 0;
        let ts = jiff::Timestamp::from_second(i64::try_from(t).unwrap()).unwrap();
        let _ = writeln!(
            out,
            "{prefix}-{i:06},{ts},{cat},{sv},{solved},{lon:.6},{lat:.6},\"{i} Đường số {}\"",
            i % 50
        );
    }
    out
}

#[tokio::test]
async fn a_restart_rebuilds_an_index_identical_to_the_database() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        assert_index_matches_database(&db, &svc, &format!("{b}: empty")).await;

        let r = import(
            &svc,
            Layer::Incidents,
            csv_file("sample-data/incidents.csv"),
        )
        .await;
        assert_eq!(r.inserted, 20_000, "{b}");
        import(&svc, Layer::Cameras, csv_file("sample-data/cameras.csv")).await;
        import(&svc, Layer::Models, csv_file("sample-data/models.csv")).await;
        let areas = std::fs::read(repo_path("sample-data/areas.geojson")).unwrap();
        import(&svc, Layer::Areas, Source::Json(areas)).await;
        assert_eq!(svc.snapshot().incidents.len(), 20_000, "{b}");
        assert_index_matches_database(&db, &svc, &format!("{b}: after the sample import")).await;

        // Incremental: appended rows go to the delta (3,000 < a quarter of main)…
        let all_cats: Vec<String> = Catalogue::defaults()
            .categories
            .into_iter()
            .map(|e| e.code)
            .collect();
        let cats: Vec<&str> = all_cats.iter().map(String::as_str).collect();
        let r = import(
            &svc,
            Layer::Incidents,
            csv_text(generated_csv("GEN1", 3_000, 7, &cats)),
        )
        .await;
        assert_eq!(r.inserted, 3_000, "{b}");
        let mut delta_states = vec![svc.snapshot().incidents.delta().len()];
        assert_index_matches_database(&db, &svc, &format!("{b}: after an appended import")).await;

        // …a category added meanwhile is interned after the others…
        let arson = CatalogueEntry::new("arson", "Cố ý gây cháy", "Arson").unwrap();
        svc.put_catalogue_entry(CatalogueKind::Categories, &arson)
            .await
            .unwrap();
        let mut with_new = cats.clone();
        with_new.push("arson");
        let r = import(
            &svc,
            Layer::Incidents,
            csv_text(generated_csv("GEN2", 3_000, 11, &with_new)),
        )
        .await;
        assert_eq!(r.inserted, 3_000, "{b}");
        // …and a delta grown past a quarter of main is merged into it.
        delta_states.push(svc.snapshot().incidents.delta().len());
        // (Whatever the merge policy, this sequence must go through both paths.)
        assert!(
            delta_states.iter().any(|&n| n > 0) && delta_states.contains(&0),
            "{b}: the delta and the merge paths are both exercised: delta sizes {delta_states:?}"
        );
        assert_eq!(svc.snapshot().incidents.len(), 26_000, "{b}");
        assert_index_matches_database(&db, &svc, &format!("{b}: after a merged import")).await;

        // Another writer (a second service on the same database, like the CLI) is picked
        // up by refresh.
        let other = db.service().await;
        import(
            &other,
            Layer::Incidents,
            csv_text(generated_csv("GEN3", 500, 13, &with_new)),
        )
        .await;
        assert!(svc.refresh().await.unwrap(), "{b}");
        assert!(!svc.refresh().await.unwrap(), "{b}: nothing more to read");
        assert_index_matches_database(&db, &svc, &format!("{b}: after a refresh")).await;
        assert_eq!(
            index_rows(&other.snapshot()),
            index_rows(&svc.snapshot()),
            "{b}"
        );
        drop((svc, other));
        db.cleanup().await;
    }
}

#[tokio::test]
#[expect(
    clippy::float_cmp,
    reason = "rounded to 6 decimals means exactly the double nearest the decimal"
)]
async fn area_geometry_is_stored_to_6_decimals_and_always_reads_back() {
    // Valid at full precision, but narrower than 6 decimals can tell apart: refused when
    // validated, rather than stored and then unreadable (which would stop a restart).
    let tiny = ring(&[
        (106.7, 10.7),
        (106.700_000_4, 10.7),
        (106.700_000_4, 10.700_000_4),
        (106.7, 10.700_000_4),
        (106.7, 10.7),
    ]);
    let err = AreaGeometry::from_raw(&[vec![tiny]]).unwrap_err();
    assert!(err.reason.contains("valid"), "{err}");
    for db in TestDb::all().await {
        let b = db.backend;
        let store = db.store().await;
        let fine = ring(&[
            (106.123_456_4, 10.1),
            (106.2, 10.1),
            (106.2, 10.2),
            (106.123_456_4, 10.1),
        ]);
        let area = NewArea {
            code: "fine".into(),
            name: "fine".into(),
            kind: AreaKind::Ward,
            geometry: AreaGeometry::from_raw(&[vec![fine]]).unwrap(),
            population: Some(u64::try_from(i64::MAX).unwrap()),
        };
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.insert_areas(std::slice::from_ref(&area)).await.unwrap(),
            1,
            "{b}"
        );
        tx.commit().await.unwrap();
        let got = store.areas().await.unwrap();
        assert_eq!(got.len(), 1, "{b}");
        // The validated value already holds what the store keeps.
        assert_eq!(got[0].data, area, "{b}");
        let min_x = got[0].data.geometry.multi_polygon().0[0]
            .exterior()
            .0
            .iter()
            .map(|c| c.x)
            .fold(f64::MAX, f64::min);
        assert_eq!(min_x, 106.123_456, "{b}: rounded to 6 decimals");
        store.close().await;
        db.cleanup().await;
    }
}

/// Record keys (the cell-key method's, issue 18): every stored incident has one, drawn at
/// random on both write paths (the bulk import and the store's own insert), the same after
/// a restart and after re-importing the same rows; a row without one is refused by the scan.
#[tokio::test]
async fn record_keys_are_random_kept_and_never_missing() {
    use std::collections::BTreeMap;
    let keys = |scanned: Vec<(IncidentRow, String)>| -> BTreeMap<i64, u32> {
        scanned.into_iter().map(|(r, _)| (r.id, r.key)).collect()
    };
    for db in TestDb::all().await {
        let b = db.backend;
        let service = db.service().await;
        let rows: Vec<String> = (0..200)
            .map(|i| {
                format!(
                    "K-{i},2024-03-0{}T10:00:00+07:00,theft,serious,false,{},{}",
                    1 + i % 9,
                    106.69 + f64::from(i) * 1e-4,
                    10.77 + f64::from(i % 17) * 1e-4
                )
            })
            .collect();
        common::fixtures::import_incidents(&service, &rows[..150]).await;
        let store = db.store().await;
        let first = keys(scan(&store, 0).await);
        assert_eq!(first.len(), 150, "{b}");
        let distinct: std::collections::BTreeSet<u32> = first.values().copied().collect();
        assert!(
            distinct.len() >= 149,
            "{b}: random keys, {} distinct",
            distinct.len()
        );
        // Re-importing the same rows changes no key; new rows get theirs.
        common::fixtures::import_incidents(&service, &rows).await;
        let second = keys(scan(&store, 0).await);
        assert_eq!(second.len(), 200, "{b}");
        assert!(
            first.iter().all(|(id, k)| second[id] == *k),
            "{b}: keys kept"
        );
        // The store's own insert path draws keys too.
        let mut tx = store.begin().await.unwrap();
        tx.insert_incidents(&sample_incidents()).await.unwrap();
        tx.commit().await.unwrap();
        // A fresh connection (a restart) reads the same keys.
        store.close().await;
        let again = db.store().await;
        let third = keys(scan(&again, 0).await);
        assert!(second.iter().all(|(id, k)| third[id] == *k), "{b}: stable");
        assert!(third.len() > 200, "{b}");
        if let Store::Sqlite(p) = &again {
            // A row without a key (as the migration's default leaves one) is refused.
            sqlx::query("UPDATE incidents SET record_key = -1 WHERE external_id = 'K-7'")
                .execute(p)
                .await
                .unwrap();
            let err = again.scan_incidents(0).await.unwrap_err().to_string();
            assert!(err.contains("no record key"), "{b}: {err}");
        }
        again.close().await;
        db.cleanup().await;
    }
}

/// A database from before the record keys (migrations 1–3 only) with incidents in it gets
/// a random key for every row when the server's migrations bring it to version 4.
#[tokio::test]
async fn migration_4_backfills_a_random_key_for_every_existing_incident() {
    const INSERT: &str = "INSERT INTO incidents (external_id, occurred_at, category, severity, solved, lon, lat, h3_cell) \
         VALUES ($1, $2, 'theft', 'serious', false, 106.7, 10.78, $3)";
    let cell = i64::try_from(u64::from(
        diemnong::domain::LonLat::new(106.7, 10.78)
            .unwrap()
            .cell15(),
    ))
    .unwrap();
    for db in TestDb::all().await {
        let b = db.backend;
        // Migrations 1–3, as a deployment before this one had them, and 50 incidents.
        if db.backend == "sqlite" {
            let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&db.url)
                .unwrap()
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
            let mut m = sqlx::migrate!("migrations/sqlite");
            m.migrations = std::borrow::Cow::Owned(m.migrations[..3].to_vec());
            m.run(&pool).await.unwrap();
            for i in 0..50_i64 {
                sqlx::query(INSERT)
                    .bind(format!("OLD-{i}"))
                    .bind(i)
                    .bind(cell)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            pool.close().await;
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let mut m = sqlx::migrate!("migrations/postgres");
            m.migrations = std::borrow::Cow::Owned(m.migrations[..3].to_vec());
            m.run(&pool).await.unwrap();
            for i in 0..50_i64 {
                sqlx::query(INSERT)
                    .bind(format!("OLD-{i}"))
                    .bind(i)
                    .bind(cell)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            pool.close().await;
        }
        // The server's connect runs migration 4.
        let store = db.store().await;
        let rows = scan(&store, 0).await;
        assert_eq!(rows.len(), 50, "{b}");
        let keys: std::collections::BTreeSet<u32> = rows.iter().map(|(r, _)| r.key).collect();
        assert!(
            keys.len() >= 49,
            "{b}: random keys, {} distinct",
            keys.len()
        );
        store.close().await;
        db.cleanup().await;
    }
}
