//! The real `diemnong` binary: tokens, imports, the README's demo, `serve` configured
//! from the environment, and a bad time zone. Every command runs in its own temp dir.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use diemnong::auth::Role;
use diemnong::domain::Zone;
use diemnong::service::Service;
use diemnong::store::Store;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_diemnong");
const CSV_HEADER: &str = "external_id,occurred_at,category,severity,solved,lon,lat,address,ward";

/// The binary in `dir`, with none of the caller's configuration leaking in.
fn diemnong(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k == "DATABASE_URL" || k.starts_with("DIEMNONG_") || k == "RUST_LOG" {
            c.env_remove(k);
        }
    }
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run diemnong")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sqlite_url(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

async fn open(url: &str) -> std::sync::Arc<Service> {
    Service::open(Store::connect(url).await.unwrap(), Zone::default())
        .await
        .unwrap()
}

/// Incidents stored in the database at `url` (counted in the tables, not an index).
async fn stored_incidents(url: &str) -> usize {
    const SQL: &str = "SELECT count(*) FROM incidents";
    let store = Store::connect(url).await.unwrap();
    let n: i64 = match &store {
        Store::Sqlite(p) => sqlx::query_scalar(SQL).fetch_one(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(SQL).fetch_one(p).await.unwrap(),
    };
    store.close().await;
    usize::try_from(n).unwrap()
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn csv(rows: &[&str]) -> String {
    let mut s = format!("{CSV_HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// The first `n` incidents of the committed sample.
fn sample_head(n: usize) -> String {
    let all = std::fs::read_to_string(common::repo_path("sample-data/incidents.csv")).unwrap();
    all.lines().take(n + 1).fold(String::new(), |mut h, l| {
        h.push_str(l);
        h.push('\n');
        h
    })
}

/// A running server process, killed when dropped (also when a test fails).
struct Running {
    child: Child,
    first_line: String,
    stderr_path: PathBuf,
}

impl Running {
    /// Starts `cmd`, sends its stderr to a file (a full pipe would stall the server), and
    /// waits up to `timeout` for the first line of stdout.
    fn start(mut cmd: Command, dir: &Path, timeout: Duration) -> Self {
        let stderr_path = dir.join(format!("stderr-{}.log", std::process::id() ^ rand_u32()));
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn diemnong");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let mut running = Self {
            child,
            first_line: String::new(),
            stderr_path,
        };
        match rx.recv_timeout(timeout) {
            Ok(Some(Ok(line))) => running.first_line = line,
            other => {
                let _ = running.child.kill();
                let _ = running.child.wait();
                panic!(
                    "no first line on stdout within {timeout:?} ({other:?}); stderr:\n{}",
                    running.stderr()
                );
            }
        }
        running
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// The `http://ADDR/` of a `diemnong: map at http://ADDR/` line.
    fn base_url(&self) -> String {
        let url = self
            .first_line
            .strip_prefix("diemnong: map at ")
            .unwrap_or_else(|| panic!("unexpected first line {:?}", self.first_line));
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
            "{url}"
        );
        let port: u16 = url["http://127.0.0.1:".len()..url.len() - 1]
            .parse()
            .unwrap_or_else(|_| panic!("{url}"));
        assert_ne!(port, 0, "the real port is printed, not the requested :0");
        url.trim_end_matches('/').to_owned()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_u32() -> u32 {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).unwrap();
    u32::from_le_bytes(b)
}

async fn health(base: &str) -> Value {
    let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

/// Creates a viewer's and an editor's token with the binary on a fresh SQLite database,
/// asserting that stdout is the token alone and stderr the human message without it;
/// returns the directory, the database URL and the two tokens.
fn create_tokens() -> (tempfile::TempDir, String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "x.db");
    let mut tokens = Vec::new();
    for role in ["viewer", "editor"] {
        let out = run(diemnong(dir.path()).args([
            "--database-url",
            &url,
            "token",
            "create",
            "--role",
            role,
            "--name",
            &format!("{role} for tests"),
        ]));
        assert!(out.status.success(), "stderr: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert_eq!(stdout.lines().count(), 1, "stdout is one line: {stdout:?}");
        assert!(stdout.ends_with('\n'));
        let token = stdout.trim_end_matches('\n');
        assert_eq!(token.len(), 3 + 64, "{token:?}");
        assert!(
            token.starts_with("dn_")
                && token[3..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{token:?}"
        );
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("shown only now") && !stderr.contains(token),
            "human messages go to stderr, without the secret: {stderr}"
        );
        tokens.push(token.to_owned());
    }
    assert_ne!(tokens[0], tokens[1]);

    (dir, url, tokens)
}

/// The id of the viewer's token in `token list`, which shows it live and no secret.
fn viewer_token_id(dir: &Path, url: &str, tokens: &[String]) -> String {
    let out = run(diemnong(dir).args(["--database-url", url, "token", "list"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    assert!(
        !list.contains(&tokens[0]) && !list.contains(&tokens[1]),
        "{list}"
    );
    let viewer_line = list
        .lines()
        .find(|l| l.contains("viewer for tests"))
        .unwrap_or_else(|| panic!("{list}"));
    let fields: Vec<&str> = viewer_line.split('\t').collect();
    assert_eq!((fields[1], fields[4]), ("viewer", "live"), "{viewer_line}");
    fields[0].to_owned()
}

/// Each `token create` prints the token alone on stdout (see `create_tokens`).
#[test]
fn token_create_prints_only_the_token() {
    let (_dir, _url, tokens) = create_tokens();
    assert_eq!(tokens.len(), 2);
}

#[tokio::test]
async fn token_create_roles_are_what_the_library_and_a_server_see() {
    let (_dir, url, tokens) = create_tokens();
    // The library sees the roles; a server over the same database accepts the tokens.
    let service = open(&url).await;
    assert_eq!(
        service.role_of(&tokens[0]).await.unwrap(),
        Some(Role::Viewer)
    );
    assert_eq!(
        service.role_of(&tokens[1]).await.unwrap(),
        Some(Role::Editor)
    );
    assert_eq!(service.role_of("dn_0000").await.unwrap(), None);
    let base = common::spawn_server(std::sync::Arc::clone(&service)).await;
    let http = reqwest::Client::new();
    let get = |t: &str| {
        http.get(format!("{base}/api/v1/incidents"))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(get(&tokens[0]).await.unwrap().status(), 200);
    let post = |t: &str| {
        http.post(format!("{base}/api/v1/incidents"))
            .bearer_auth(t)
            .header("content-type", "text/csv")
            .body(csv(&["CLI-T1,2024-05-01 10:00,theft,,,106.7,10.78,,"]))
            .send()
    };
    assert_eq!(
        post(&tokens[0]).await.unwrap().status(),
        403,
        "a viewer cannot write"
    );
    assert_eq!(
        post(&tokens[1]).await.unwrap().status(),
        201,
        "an editor can"
    );
}

/// `token list` shows the tokens without their secrets; `token revoke` ends one, at once.
#[tokio::test]
async fn token_list_hides_the_secrets_and_revoke_ends_a_token() {
    let (dir, url, tokens) = create_tokens();
    let service = open(&url).await;
    let base = common::spawn_server(std::sync::Arc::clone(&service)).await;
    let http = reqwest::Client::new();
    let get = |t: &str| {
        http.get(format!("{base}/api/v1/incidents"))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(get(&tokens[0]).await.unwrap().status(), 200);
    let out = run(diemnong(dir.path()).args(["--database-url", &url, "token", "list"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    assert!(
        !list.contains(&tokens[0]) && !list.contains(&tokens[1]),
        "{list}"
    );
    let viewer_line = list
        .lines()
        .find(|l| l.contains("viewer for tests"))
        .unwrap_or_else(|| panic!("{list}"));
    let fields: Vec<&str> = viewer_line.split('\t').collect();
    assert_eq!((fields[1], fields[4]), ("viewer", "live"), "{viewer_line}");
    let out =
        run(diemnong(dir.path()).args(["--database-url", &url, "token", "revoke", fields[0]]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(service.role_of(&tokens[0]).await.unwrap(), None, "revoked");
    assert_eq!(get(&tokens[0]).await.unwrap().status(), 401);
    let out = run(diemnong(dir.path()).args(["--database-url", &url, "token", "list"]));
    assert!(
        text(&out.stdout)
            .lines()
            .any(|l| l.contains("viewer for tests") && l.ends_with("revoked")),
        "{}",
        text(&out.stdout)
    );
}

/// Revoking a token again, or creating one with an unknown role, fails.
#[tokio::test]
async fn token_revoke_twice_or_an_unknown_role_fails() {
    let (dir, url, tokens) = create_tokens();
    let id = viewer_token_id(dir.path(), &url, &tokens);
    let out = run(diemnong(dir.path()).args(["--database-url", &url, "token", "revoke", &id]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !run(diemnong(dir.path()).args(["--database-url", &url, "token", "revoke", &id]))
            .status
            .success()
    );
    let out = run(diemnong(dir.path()).args([
        "--database-url",
        &url,
        "token",
        "create",
        "--role",
        "superuser",
    ]));
    assert!(!out.status.success());
    assert!(
        out.stdout.is_empty(),
        "no token printed: {}",
        text(&out.stdout)
    );
}

// ---------------------------------------------------------------------------------------
// Imports
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn import_good_csv_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "imp.db");
    let file = write(dir.path(), "incidents.csv", &sample_head(500));
    let out = run(diemnong(dir.path())
        .args(["--database-url", &url, "import", "incidents"])
        .arg(&file)
        .arg("--json"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("--json prints the report ({e}): {}", text(&out.stdout)));
    assert_eq!(
        (
            report["read"].as_u64(),
            report["inserted"].as_u64(),
            report["committed"].as_bool()
        ),
        (Some(500), Some(500), Some(true)),
        "{report}"
    );
    assert!(
        text(&out.stderr).contains("500 new"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(stored_incidents(&url).await, 500);
    assert!(
        !dir.path().join("incidents.csv.rejects.csv").exists(),
        "no rejects file for a clean import"
    );

    // The same file again: nothing new, still success.
    let out = run(diemnong(dir.path())
        .args(["--database-url", &url, "import", "incidents"])
        .arg(&file));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        out.stdout.is_empty(),
        "without --json stdout stays empty: {}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("0 new, 500 already present"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(stored_incidents(&url).await, 500);

    // A larger file overlapping the first adds only the new rows.
    let file2 = write(dir.path(), "more.csv", &sample_head(800));
    let out = run(diemnong(dir.path())
        .args(["--database-url", &url, "import", "incidents"])
        .arg(&file2));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("300 new, 500 already present"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(stored_incidents(&url).await, 800);

    // Other layers, and GeoJSON by extension.
    let areas = common::repo_path("sample-data/areas.geojson");
    let out = run(diemnong(dir.path())
        .args(["--database-url", &url, "import", "areas"])
        .arg(&areas));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let service = open(&url).await;
    assert_eq!(service.snapshot().areas.areas().len(), 120);
}

#[tokio::test]
async fn import_of_a_bad_csv_lists_every_problem_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "bad.db");
    let body = csv(&[
        "CLI-1,2024-05-01 10:00,theft,,,106.70,10.78,,",
        "CLI-2,2024-05-01 10:00,theft,,,106.70,91,,",
        "CLI-3,2024-05-01 11:00,fraud,serious,true,106.71,10.77,,",
        "CLI-4,2024-02-30,theft,,,106.70,10.78,,",
        "CLI-5,2024-05-01 12:00,alien_abduction,,,106.70,10.78,,",
        "CLI-6,2024-05-01 13:00,theft,,,NaN,10.78,,",
        "CLI-1,2024-05-01 14:00,theft,,,106.70,10.78,,",
        "CLI-8,2024-05-01 15:00,theft",
    ]);
    let file = write(dir.path(), "bad.csv", &body);
    let out = run(diemnong(dir.path())
        .args(["--database-url", &url, "import", "incidents"])
        .arg(&file));
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "a bad file fails: {stderr}");
    for needle in [
        "line 3, column lat:",
        "line 5, column occurred_at:",
        "line 6, column category:",
        "line 7, column lon:",
        "line 8, column external_id:",
        "line 9:",
    ] {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains("line 2,") && !stderr.contains("line 4,"),
        "good rows are not reported:\n{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(stored_incidents(&url).await, 0, "all or nothing");
    assert_eq!(
        Store::connect(&url)
            .await
            .unwrap()
            .data_version()
            .await
            .unwrap(),
        0
    );
    assert!(!dir.path().join("bad.csv.rejects.csv").exists());

    // Problems with the header fail even with --skip-invalid.
    let headless = write(
        dir.path(),
        "headless.csv",
        "lon;lat;occurred_at;category\n106.7;10.78;2024-05-01;theft\n",
    );
    let out = run(diemnong(dir.path())
        .args([
            "--database-url",
            &url,
            "import",
            "incidents",
            "--skip-invalid",
        ])
        .arg(&headless));
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--delimiter"),
        "the wrong delimiter is pointed out: {stderr}"
    );
    assert_eq!(stored_incidents(&url).await, 0);
    // ... and with the right delimiter it imports.
    let out = run(diemnong(dir.path())
        .args([
            "--database-url",
            &url,
            "import",
            "incidents",
            "--delimiter",
            ";",
        ])
        .arg(&headless));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(stored_incidents(&url).await, 1);
    // A missing file is an error that names it.
    let out = run(diemnong(dir.path()).args([
        "--database-url",
        &url,
        "import",
        "incidents",
        "no-such-file.csv",
    ]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no-such-file.csv"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn skip_invalid_imports_the_rest_and_writes_a_rejects_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "skip.db");
    let bad_row = "CLI-2,2024-05-01 10:00,theft,,,106.70,91,,";
    let body = csv(&[
        "CLI-1,2024-05-01 10:00,theft,,,106.70,10.78,,",
        bad_row,
        "CLI-3,2024-05-01 11:00,fraud,serious,true,106.71,10.77,\"12 Nguyễn Huệ, Bến Nghé\",",
        "CLI-4,yesterday,robbery,,,106.70,10.78,,",
    ]);
    let file = write(dir.path(), "mixed.csv", &body);
    let rejects = dir.path().join("R.csv");
    let out = run(diemnong(dir.path())
        .args([
            "--database-url",
            &url,
            "import",
            "incidents",
            "--skip-invalid",
            "--rejects",
        ])
        .arg(&rejects)
        .arg(&file));
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("2 new") && stderr.contains("2 rejected") && stderr.contains("R.csv"),
        "{stderr}"
    );
    assert_eq!(stored_incidents(&url).await, 2);
    let service = open(&url).await;
    let ids: Vec<String> = service
        .store()
        .incidents_by_ids(&[1, 2, 3, 4])
        .await
        .unwrap()
        .into_iter()
        .filter_map(|i| i.data.external_id)
        .collect();
    assert_eq!(ids, ["CLI-1", "CLI-3"]);

    let mut rdr = csv::Reader::from_path(&rejects).unwrap();
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        ["place", "reason", "record"]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(&rows[0][0], "line 3, column lat");
    assert!(rows[0][1].contains("91"), "{:?}", rows[0]);
    assert_eq!(&rows[0][2], bad_row, "the raw record, to fix and re-import");
    assert_eq!(&rows[1][0], "line 5, column occurred_at");
    assert!(rows[1][1].contains("yesterday"), "{:?}", rows[1]);

    // Without --rejects the file goes beside the input.
    let url2 = sqlite_url(dir.path(), "skip2.db");
    let out = run(diemnong(dir.path())
        .args([
            "--database-url",
            &url2,
            "import",
            "incidents",
            "--skip-invalid",
        ])
        .arg(&file));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let default_rejects = dir.path().join("mixed.csv.rejects.csv");
    assert!(default_rejects.exists());
    assert_eq!(
        csv::Reader::from_path(&default_rejects)
            .unwrap()
            .records()
            .count(),
        2
    );
    assert_eq!(stored_incidents(&url2).await, 2);
}

#[tokio::test]
async fn columns_maps_headers_the_aliases_do_not_cover() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "cols.db");
    // The README's example: LNG/LAT.
    let file = write(
        dir.path(),
        "lnglat.csv",
        "Ngay xay ra,loai,LNG,LAT\n2024-05-01 10:00,theft,106.70,10.78\n2024-05-02 10:00,Cướp giật tài sản,106.71,10.79\n",
    );
    let out = run(diemnong(dir.path())
        .args([
            "--database-url",
            &url,
            "import",
            "incidents",
            "--columns",
            "lon=LNG,lat=LAT,occurred_at=Ngay xay ra",
        ])
        .arg(&file));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(stored_incidents(&url).await, 2);
    let service = open(&url).await;
    let rows = service.store().incidents_by_ids(&[1, 2]).await.unwrap();
    assert_eq!(
        (rows[0].data.location.lon(), rows[0].data.location.lat()),
        (106.70, 10.78),
        "lon/lat from LNG/LAT, not swapped"
    );
    assert_eq!(rows[1].data.category, "snatching");

    // Headers no alias knows: refused without a mapping (with a hint), imported with one.
    let odd = write(
        dir.path(),
        "odd.csv",
        "toa_do_x,toa_do_y,occurred_at,category\n106.72,10.80,2024-05-03,theft\n",
    );
    let url2 = sqlite_url(dir.path(), "cols2.db");
    let out = run(diemnong(dir.path())
        .args(["--database-url", &url2, "import", "incidents"])
        .arg(&odd));
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("line 1, column lon:") && stderr.contains("--columns lon=HEADER"),
        "{stderr}"
    );
    let out = run(diemnong(dir.path())
        .args([
            "--database-url",
            &url2,
            "import",
            "incidents",
            "--columns",
            "lon=toa_do_x,lat=toa_do_y",
        ])
        .arg(&odd));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(stored_incidents(&url2).await, 1);
    // Mapping to a header the file lacks, or a field the layer lacks, is an error.
    let out = run(diemnong(dir.path())
        .args([
            "--database-url",
            &url2,
            "import",
            "incidents",
            "--columns",
            "lon=LONGITUDE_X,lat=toa_do_y",
        ])
        .arg(&odd));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("LONGITUDE_X"),
        "{}",
        text(&out.stderr)
    );
    let out = run(diemnong(dir.path())
        .args([
            "--database-url",
            &url2,
            "import",
            "incidents",
            "--columns",
            "colour=toa_do_x",
        ])
        .arg(&odd));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("colour"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(stored_incidents(&url2).await, 1);
}

// ---------------------------------------------------------------------------------------
// Serving
// ---------------------------------------------------------------------------------------

/// A signed-in GET of `path` on `base`.
async fn get_json(base: &str, token: &str, path: &str) -> Value {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// The complex areas designated for `year`, as the programme overview lists them.
async fn overview(base: &str, token: &str, year: i16) -> Vec<Value> {
    get_json(base, token, &format!("/api/v1/programme/{year}/areas")).await["features"]
        .as_array()
        .unwrap()
        .clone()
}

fn demo_token(demo: &Running) -> String {
    let stderr = demo.stderr();
    stderr
        .split_whitespace()
        .find(|w| w.starts_with("dn_"))
        .unwrap_or_else(|| panic!("no admin token on stderr:\n{stderr}"))
        .to_owned()
}

#[tokio::test]
async fn readme_demo_serves_a_sample_that_ends_today() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut cmd = diemnong(dir.path());
    cmd.args(["demo", "--bind", "127.0.0.1:0"]);
    let demo = Running::start(cmd, dir.path(), Duration::from_mins(4));
    let base = demo.base_url();
    eprintln!(
        "demo ready in {:.1} s at {base}",
        started.elapsed().as_secs_f64()
    );
    let h = health(&base).await;
    assert_eq!(h["incidents"], 20_000, "{h}");
    assert_eq!(
        (
            h["areas"].as_u64(),
            h["cameras"].as_u64(),
            h["models"].as_u64()
        ),
        (Some(120), Some(300), Some(250)),
        "{h}"
    );
    assert_eq!(h["backend"], "sqlite");
    assert!(
        dir.path().join("data/demo.db").exists(),
        "the demo database is data/demo.db under the working directory"
    );
    // The map page, and the admin token the demo prints, work.
    let page = reqwest::get(format!("{base}/")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let token = demo_token(&demo);
    get_json(&base, &token, "/api/v1/tokens").await;

    // The sample ends today in the committee's zone and covers the 24 calendar months up
    // to it; the programme runs over last year and this year.
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
        .date();
    let first_month = today
        .first_of_month()
        .checked_sub(jiff::Span::new().months(23))
        .unwrap();
    let next_month = today.last_of_month().tomorrow().unwrap();
    let extent = get_json(&base, &token, "/api/v1/extent").await;
    assert_eq!(extent["today"], today.to_string(), "{extent}");
    assert_eq!(extent["incidents"]["from"], first_month.to_string());
    assert_eq!(extent["incidents"]["to"], next_month.to_string());
    assert_eq!(extent["incidents"]["count"], 20_000);
    let last: jiff::Timestamp = extent["incidents"]["last"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        last <= jiff::Timestamp::now(),
        "no incident in the future: {last}"
    );
    let (last_year, this_year) = (today.year() - 1, today.year());
    assert_eq!(
        extent["programme_years"],
        serde_json::json!([last_year, this_year])
    );
    // This month has incidents (unless it is its first day, before the sample's busy hours).
    let month = get_json(
        &base,
        &token,
        &format!("/api/v1/incidents?from={}&limit=1", today.first_of_month()),
    )
    .await;
    if today.day() > 1 {
        assert!(month["numberMatched"].as_u64().unwrap() > 0, "{month}");
    }

    // The demo's conversion programme shows every status this year, and one area flagged
    // for two years not converted; some complex areas stay free to designate.
    let current = overview(&base, &token, this_year).await;
    let statuses: std::collections::BTreeSet<&str> = current
        .iter()
        .map(|f| f["properties"]["status"].as_str().unwrap())
        .collect();
    for s in ["designated", "in_progress", "converted", "not_converted"] {
        assert!(statuses.contains(s), "{s} in {statuses:?}");
    }
    assert_eq!(
        current
            .iter()
            .filter(|f| f["properties"]["flagged"] == true)
            .count(),
        1
    );
    assert!(
        current.len() < 20,
        "some complex areas are left for visitors"
    );
    assert_eq!(overview(&base, &token, last_year).await.len(), 13);
    // The history reads as it happened: each year's steps dated within that year, in order,
    // none in the future, not all at one seed time.
    let code = current
        .iter()
        .find(|f| f["properties"]["flagged"] == true)
        .unwrap()["properties"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let history = get_json(&base, &token, &format!("/api/v1/areas/{code}/history")).await;
    let events = history["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        6,
        "designated, in progress, not converted; twice: {history}"
    );
    let mut previous = jiff::Timestamp::MIN;
    let mut times = std::collections::BTreeSet::new();
    for e in events {
        let at: jiff::Timestamp = e["at"].as_str().unwrap().parse().unwrap();
        let year = e["at"].as_str().unwrap()[..4].parse::<i64>().unwrap();
        assert_eq!(year, e["year"].as_i64().unwrap(), "{e}");
        assert!(at >= previous && at <= jiff::Timestamp::now(), "{e}");
        previous = at;
        times.insert(at);
    }
    assert_eq!(times.len(), events.len(), "every step at its own time");
    drop(demo);

    // A second demo in the same directory reuses the database: nothing imported twice.
    let mut cmd = diemnong(dir.path());
    cmd.args(["demo", "--bind", "127.0.0.1:0"]);
    let again = Running::start(cmd, dir.path(), Duration::from_mins(4));
    assert_eq!(health(&again.base_url()).await["incidents"], 20_000);
    assert!(
        again.stderr().contains("already holds 20000 incidents"),
        "{}",
        again.stderr()
    );
    assert!(
        !again.stderr().contains("demo programme:"),
        "the programme is seeded once: {}",
        again.stderr()
    );
}

/// `--end` pins the demo's span: 2024-12-31 serves exactly the committed sample.
#[tokio::test]
async fn demo_end_pins_the_span() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = diemnong(dir.path());
    cmd.args(["demo", "--bind", "127.0.0.1:0", "--end", "2024-12-31"]);
    let demo = Running::start(cmd, dir.path(), Duration::from_mins(4));
    let base = demo.base_url();
    let token = demo_token(&demo);
    let extent = get_json(&base, &token, "/api/v1/extent").await;
    assert_eq!(extent["incidents"]["from"], "2023-01-01", "{extent}");
    assert_eq!(extent["incidents"]["to"], "2025-01-01", "{extent}");
    assert_eq!(extent["programme_years"], serde_json::json!([2023, 2024]));
    // The incidents are the committed file's, one for one.
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/incidents.csv"),
    )
    .unwrap();
    let wanted: std::collections::BTreeSet<&str> = committed
        .lines()
        .filter(|l| l.get(16..26) == Some("2024-01-01"))
        .map(|l| &l[..15])
        .collect();
    let page = get_json(
        &base,
        &token,
        "/api/v1/incidents?from=2024-01-01&to=2024-01-02&limit=10000",
    )
    .await;
    let got: std::collections::BTreeSet<&str> = page["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["external_id"].as_str().unwrap())
        .collect();
    assert!(!got.is_empty());
    assert_eq!(got, wanted);
    assert_eq!(overview(&base, &token, 2023).await.len(), 13);
    // A bad --end is refused by the command line, naming the flag.
    let out = run(diemnong(dir.path()).args(["demo", "--end", "2024-13-01"]));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--end"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn serve_honours_diemnong_bind_and_database_url_and_sees_cli_imports() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "served.db");
    let mut cmd = diemnong(dir.path());
    cmd.arg("serve")
        .env("DIEMNONG_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", &url)
        .env("DIEMNONG_REFRESH_SECS", "1");
    let server = Running::start(cmd, dir.path(), Duration::from_mins(1));
    let base = server.base_url();
    assert_eq!(health(&base).await["incidents"], 0);
    assert!(
        dir.path().join("served.db").exists(),
        "DATABASE_URL was used"
    );
    assert!(
        !dir.path().join("diemnong.db").exists(),
        "not the default database"
    );

    // Another process (the CLI) imports; the server catches up by itself.
    let file = write(dir.path(), "some.csv", &sample_head(120));
    let out = run(diemnong(dir.path())
        .args(["import", "incidents"])
        .arg(&file)
        .env("DATABASE_URL", &url));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n = health(&base).await["incidents"].as_u64().unwrap();
        if n == 120 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not pick up the CLI import ({n})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A flag beats the variable; a bad address is refused.
    let mut cmd = diemnong(dir.path());
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env("DIEMNONG_BIND", "not-an-address")
        .env("DATABASE_URL", &url);
    let flagged = Running::start(cmd, dir.path(), Duration::from_mins(1));
    assert_ne!(flagged.base_url(), base);
    let out = run(diemnong(dir.path())
        .arg("serve")
        .env("DIEMNONG_BIND", "not-an-address")
        .env("DATABASE_URL", &url));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not-an-address"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn an_unknown_timezone_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "tz.db");
    let out = run(diemnong(dir.path()).args([
        "--timezone",
        "Asia/Nowhere",
        "--database-url",
        &url,
        "token",
        "create",
        "--role",
        "viewer",
    ]));
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(
        stderr.contains("--timezone")
            && stderr.contains("\"Asia/Nowhere\" is not a known IANA time zone"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "one clear line, no backtrace: {stderr}"
    );
    assert!(
        !dir.path().join("tz.db").exists(),
        "the zone is checked before the database is touched"
    );
    // The variable is checked the same way.
    let out = run(diemnong(dir.path())
        .args(["--database-url", &url, "serve", "--bind", "127.0.0.1:0"])
        .env("DIEMNONG_TIMEZONE", "Mars/Olympus_Mons"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("Mars/Olympus_Mons"),
        "{}",
        text(&out.stderr)
    );
    // A real zone other than the default works.
    let out = run(diemnong(dir.path()).args([
        "--timezone",
        "Asia/Bangkok",
        "--database-url",
        &url,
        "token",
        "create",
        "--role",
        "viewer",
    ]));
    assert!(out.status.success(), "{}", text(&out.stderr));
}
