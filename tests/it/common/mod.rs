//! Test support: every test owns its database — a temporary SQLite file, and, when
//! `DIEMNONG_TEST_POSTGRES_URL` is set (CI sets it), a fresh PostgreSQL database created
//! for the test and dropped after it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod api;
pub mod attack;
pub mod fixtures;

use std::sync::Arc;

use diemnong::domain::Zone;
use diemnong::http::AppState;
use diemnong::service::Service;
use diemnong::store::Store;

/// The variable the PostgreSQL tests read (a server URL; each test creates its own database).
pub const PG_ENV: &str = "DIEMNONG_TEST_POSTGRES_URL";

/// A database owned by one test.
pub struct TestDb {
    pub url: String,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    #[expect(
        clippy::unused_async,
        reason = "the same shape as TestDb::postgres, which awaits, so tests can pick either"
    )]
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Self {
            url,
            backend: "sqlite",
            _dir: Some(dir),
            pg_admin: None,
        }
    }

    /// `None` when the PostgreSQL variable is unset (the only reason a test may skip).
    pub async fn postgres() -> Option<Self> {
        let base = std::env::var(PG_ENV).ok()?;
        let name = format!("dn_test_{}", hex_id());
        let admin = sqlx::PgPool::connect(&base)
            .await
            .expect("connect to PostgreSQL at DIEMNONG_TEST_POSTGRES_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let url = match base.rfind('/') {
            Some(i) if base[..i].ends_with(|c: char| c != '/') => format!("{}/{name}", &base[..i]),
            _ => format!("{base}/{name}"),
        };
        Some(Self {
            url,
            backend: "postgres",
            _dir: None,
            pg_admin: Some((base, name)),
        })
    }

    /// Every backend available: SQLite always, PostgreSQL when configured.
    pub async fn all() -> Vec<Self> {
        let mut v = vec![Self::sqlite().await];
        if let Some(pg) = Self::postgres().await {
            v.push(pg);
        } else {
            eprintln!("note: {PG_ENV} is unset; PostgreSQL half of this test skipped");
        }
        v
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.url)
            .await
            .expect("connect and migrate")
    }

    pub async fn service(&self) -> Arc<Service> {
        Service::open(self.store().await, Zone::default())
            .await
            .expect("open service")
    }

    /// Drops a PostgreSQL test database (SQLite files go with their temp dir).
    pub async fn cleanup(self) {
        if let Some((base, name)) = &self.pg_admin
            && let Ok(admin) = sqlx::PgPool::connect(base).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&admin)
            .await;
            admin.close().await;
        }
    }
}

/// Gives every incident of `db` a record key computed from its id (a multiplicative hash),
/// so that the published counts of a test are the same on every run and backend; returns a
/// service opened afterwards, which reads them. Production keys are random (issue 18).
pub async fn set_record_keys(db: &TestDb) -> Arc<Service> {
    const SQL: &str = "UPDATE incidents SET record_key = (id * 2654435761) % 4294967296";
    debug_assert_eq!(test_key(3), 3_668_339_987);
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(SQL).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::query(SQL).execute(&pool).await.unwrap();
        pool.close().await;
    }
    db.service().await
}

/// The record key [`set_record_keys`] gives incident `id`.
#[must_use]
pub fn test_key(id: i64) -> u32 {
    u32::try_from(id.wrapping_mul(2_654_435_761).rem_euclid(1 << 32)).unwrap()
}

/// The truth a test checks public answers against: the index of `records` (ids 1…n, as a
/// fresh import numbers them) with the keys of [`set_record_keys`].
#[must_use]
pub fn keyed_index(records: &[diemnong::domain::NewIncident]) -> diemnong::index::IncidentIndex {
    let mut scanned = diemnong::index::Scanned::from_records(records);
    for r in &mut scanned.rows {
        r.key = test_key(r.id);
    }
    diemnong::index::IncidentIndex::build(scanned)
}

/// The (multi)polygon of a GeoJSON `Polygon` or `MultiPolygon` geometry.
#[must_use]
pub fn multipolygon(g: &serde_json::Value) -> geo::MultiPolygon<f64> {
    let ring = |r: &serde_json::Value| -> geo::LineString<f64> {
        r.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect::<Vec<_>>()
            .into()
    };
    let polygon = |rings: &serde_json::Value| {
        let rings = rings.as_array().unwrap();
        geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
    };
    match g["type"].as_str().unwrap() {
        "Polygon" => geo::MultiPolygon(vec![polygon(&g["coordinates"])]),
        "MultiPolygon" => geo::MultiPolygon(
            g["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(polygon)
                .collect(),
        ),
        other => panic!("{other}: not a polygon"),
    }
}

fn hex_id() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    hex::encode(b)
}

/// A real server on 127.0.0.1:0 over `service` (aggregates need a token); returns its
/// base URL.
pub async fn spawn_server(service: Arc<Service>) -> String {
    spawn_server_with(
        service,
        diemnong::http::analysis::AnalysisSettings::default(),
    )
    .await
}

/// As [`spawn_server`], with the analysis settings given.
pub async fn spawn_server_with(
    service: Arc<Service>,
    settings: diemnong::http::analysis::AnalysisSettings,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = diemnong::http::serve(
            listener,
            AppState::with_settings(service, settings),
            std::time::Duration::from_secs(1),
        )
        .await;
    });
    format!("http://{addr}")
}

/// Path of a file under `tests/fixtures` or the repository.
pub fn repo_path(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Imports a repository file (CSV or GeoJSON, by extension) all-or-nothing and asserts it
/// committed.
pub async fn import_file(
    service: &Service,
    layer: diemnong::ingest::Layer,
    rel: &str,
) -> diemnong::service::ImportReport {
    let (source, _) = diemnong::service::open_source(
        &repo_path(rel),
        None,
        diemnong::ingest::csv::CsvOptions::default(),
    )
    .expect("open a repository file");
    import(service, layer, source).await
}

/// The committed sample's 20,000 incidents, parsed and validated as an import would and
/// indexed with no database (ids 1…n in file order).
pub fn sample_records() -> Vec<diemnong::domain::NewIncident> {
    let records = diemnong::ingest::read_file(
        &repo_path("sample-data/incidents.csv"),
        &diemnong::ingest::Context::defaults(),
    )
    .expect("the committed sample parses");
    assert_eq!(records.len(), 20_000);
    records
}

/// The weighing a reference fixture was computed with: counts, or (`"weight": "harm"`) the
/// default harm weights, which the fixture records as `harm_days` and which must still be
/// ours (a changed default would make the fixture stale, not the code wrong).
pub fn fixture_weighting(
    fx: &serde_json::Value,
    index: &diemnong::index::IncidentIndex,
    name: &str,
) -> diemnong::analysis::weights::Weighting {
    use diemnong::analysis::weights::{HarmTable, Weighting};
    use diemnong::domain::{HarmWeights, Severity, harm::default_days};
    if fx["weight"] != "harm" {
        return Weighting::Count;
    }
    for s in Severity::ALL {
        assert_eq!(
            fx["harm_days"][s.as_str()].as_f64(),
            Some(default_days(s)),
            "{name}: the fixture's weight of {s:?} is our default"
        );
    }
    Weighting::Harm(HarmTable::new(&HarmWeights::default(), index.categories()))
}

/// Imports `source` all or nothing, and fails the test unless it was committed.
pub async fn import(
    service: &Service,
    layer: diemnong::ingest::Layer,
    source: diemnong::service::Source,
) -> diemnong::service::ImportReport {
    let r = service
        .import(
            layer,
            source,
            diemnong::service::ImportMode::AllOrNothing,
            Box::new(|_| {}),
            Box::new(|_, _| {}),
        )
        .await
        .expect("import");
    assert!(
        r.committed,
        "{layer} did not import: {:?}",
        r.errors.first()
    );
    r
}

/// Runs `ogrinfo ARGS` off the async runtime (the server under test shares it) and returns
/// its standard output. Fails, rather than skips, when GDAL is not installed.
pub async fn ogrinfo(args: Vec<String>) -> String {
    let shown = args.join(" ");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("ogrinfo")
            .args(&args)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .output()
    })
    .await
    .unwrap();
    let out = match out {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!(
                "ogrinfo is not installed: install gdal-bin (apt-get install -y gdal-bin); CI installs it"
            )
        }
        Err(e) => panic!("running ogrinfo: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ogrinfo {shown} failed:\n{stdout}\n{stderr}"
    );
    assert!(
        !stderr.contains("ERROR"),
        "ogrinfo {shown} reported errors:\n{stderr}"
    );
    stdout
}

/// The value after `name: ` on the line that starts with it.
pub fn field<'a>(info: &'a str, name: &str) -> &'a str {
    info.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(": ")))
        .unwrap_or_else(|| panic!("ogrinfo printed no {name:?}:\n{info}"))
        .trim()
}

/// The runtime shared fixtures live on. A `#[tokio::test]` has a runtime of its own that
/// ends with the test, and a server or pool spawned on it would end with it; this one lasts
/// as long as the test process.
fn shared_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("shared-fixture")
            .enable_all()
            .build()
            .expect("the shared fixtures' runtime")
    })
}

/// A fixture that several tests only read, built once by the first test that asks (on the
/// shared runtime, so its server outlives that test) and handed to every other. Cases that
/// write build their own. Tests reach a shared fixture's database only through its server:
/// a service or pool called from a test opens its connections on that test's runtime, and
/// the next test finds them dead ("A Tokio 1.x context was found, but it is being shutdown").
pub async fn shared<T, F>(
    cell: &'static tokio::sync::OnceCell<T>,
    build: impl FnOnce() -> F,
) -> &'static T
where
    T: Send + Sync + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    cell.get_or_init(|| async {
        shared_runtime()
            .spawn(build())
            .await
            .expect("building a shared fixture")
    })
    .await
}

/// A SQLite database for a shared fixture: it lives as long as the process, so it is kept
/// under the target directory (`CARGO_TARGET_TMPDIR`), in a directory named after `name` and
/// this process; directories of processes that have ended are removed first.
pub fn shared_sqlite(name: &str) -> TestDb {
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let prefix = format!("it-shared-{name}-");
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            let file_name = e.file_name();
            let Some(pid) = file_name
                .to_str()
                .and_then(|n| n.strip_prefix(&prefix))
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let dir = root.join(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TestDb {
        url: format!("sqlite://{}", dir.join("test.db").display()),
        backend: "sqlite",
        _dir: None,
        pg_admin: None,
    }
}

/// A PostgreSQL database for a shared fixture, `None` when the PostgreSQL variable is unset.
/// It lives as long as the process, so it is named after `name` and this process, and the
/// databases of processes on this machine that have ended are dropped first.
pub async fn shared_postgres(name: &str) -> Option<TestDb> {
    let base = std::env::var(PG_ENV).ok()?;
    let admin = sqlx::PgPool::connect(&base)
        .await
        .expect("connect to PostgreSQL at DIEMNONG_TEST_POSTGRES_URL");
    let prefix = format!("dn_shared_{name}_");
    let existing: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(&prefix)
            .fetch_all(&admin)
            .await
            .unwrap();
    let me = std::process::id();
    for db in existing {
        let Some(pid) = db.strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me || !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
            )))
            .execute(&admin)
            .await;
        }
    }
    let name = format!("{prefix}{me}");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let url = match base.rfind('/') {
        Some(i) if base[..i].ends_with(|c: char| c != '/') => format!("{}/{name}", &base[..i]),
        _ => format!("{base}/{name}"),
    };
    Some(TestDb {
        url,
        backend: "postgres",
        _dir: None,
        pg_admin: None,
    })
}

/// The two cells of a fixture shared on every backend: SQLite's, and PostgreSQL's (`None`
/// when it is not configured).
pub type SharedCells<T> = (tokio::sync::OnceCell<T>, tokio::sync::OnceCell<Option<T>>);

/// A fixture shared on every backend available: `build` over a shared SQLite database
/// (`shared_sqlite(name)`), and over a shared PostgreSQL one when configured
/// (`shared_postgres(name)`; `name` is then part of a database name: lower case and `_`).
pub async fn shared_all<T, F>(
    cells: &'static SharedCells<T>,
    name: &'static str,
    build: fn(TestDb) -> F,
) -> Vec<&'static T>
where
    T: Send + Sync + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    let mut v = vec![shared(&cells.0, || build(shared_sqlite(name))).await];
    let pg = shared(&cells.1, || async move {
        match shared_postgres(name).await {
            Some(db) => Some(build(db).await),
            None => None,
        }
    })
    .await;
    match pg {
        Some(t) => v.push(t),
        None => eprintln!("note: {PG_ENV} is unset; PostgreSQL half of this test skipped"),
    }
    v
}
