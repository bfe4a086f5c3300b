//! Imports through `Service::import`: every format, every kind of problem, both modes.
//! The all-or-nothing and idempotency tests run on every backend (see `TestDb::all`).
#![allow(clippy::unwrap_used)]

use crate::common;
use std::fmt::Write as _;

use std::sync::{Arc, Mutex};

use common::{TestDb, repo_path};
use diemnong::domain::{AreaGeometry, AreaKind, Incident, Severity, Zone};
use diemnong::ingest::csv::CsvOptions;
use diemnong::ingest::{Layer, RowError};
use diemnong::service::{ImportMode, ImportReport, Service, Source};
use diemnong::store::Store;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// One import's report, what went to the reject sink, and the progress calls.
struct Run {
    report: ImportReport,
    rejects: Vec<(Vec<RowError>, String)>,
    progress: Vec<u64>,
}

async fn run(svc: &Service, layer: Layer, source: Source, mode: ImportMode) -> Run {
    let rejects = Arc::new(Mutex::new(Vec::new()));
    let progress = Arc::new(Mutex::new(Vec::new()));
    let (r2, p2) = (Arc::clone(&rejects), Arc::clone(&progress));
    let report = svc
        .import(
            layer,
            source,
            mode,
            Box::new(move |n| p2.lock().unwrap().push(n)),
            Box::new(move |errors: &[RowError], raw: &str| {
                r2.lock().unwrap().push((errors.to_vec(), raw.to_owned()));
            }),
        )
        .await
        .unwrap();
    let rejects = std::mem::take(&mut *rejects.lock().unwrap());
    let progress = std::mem::take(&mut *progress.lock().unwrap());
    Run {
        report,
        rejects,
        progress,
    }
}

async fn all_or_nothing(svc: &Service, layer: Layer, source: Source) -> ImportReport {
    run(svc, layer, source, ImportMode::AllOrNothing)
        .await
        .report
}

/// An import that must succeed completely.
async fn ok(svc: &Service, layer: Layer, source: Source) -> ImportReport {
    let r = all_or_nothing(svc, layer, source).await;
    assert!(r.committed, "{layer}: {:?}", messages(&r));
    assert_eq!(
        (r.rejected, r.errors_total),
        (0, 0),
        "{layer}: {:?}",
        messages(&r)
    );
    r
}

fn csv(text: &str) -> Source {
    csv_with(text.as_bytes().to_vec(), b',', &[])
}

fn csv_with(bytes: Vec<u8>, delimiter: u8, columns: &[(&str, &str)]) -> Source {
    Source::Csv {
        reader: Box::new(std::io::Cursor::new(bytes)),
        options: CsvOptions {
            delimiter,
            columns: columns
                .iter()
                .map(|(f, h)| ((*f).to_owned(), (*h).to_owned()))
                .collect(),
        },
    }
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(repo_path(rel)).unwrap()
}

fn json(text: &str) -> Source {
    Source::Json(text.as_bytes().to_vec())
}

/// The report's problems as users read them (`line N, column C: reason`, or a pointer).
fn messages(r: &ImportReport) -> Vec<String> {
    r.errors.iter().map(ToString::to_string).collect()
}

/// The one problem whose message starts with `place` (`line 3, column lat`, `/features/1/geometry`).
fn problem<'a>(r: &'a ImportReport, place: &str) -> &'a RowError {
    let prefix = format!("{place}: ");
    let found: Vec<&RowError> = r
        .errors
        .iter()
        .filter(|e| e.to_string().starts_with(&prefix))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "exactly one problem at {place}; got {:#?}",
        messages(r)
    );
    found[0]
}

/// Asserts a problem at `place` whose reason mentions every one of `words`.
fn assert_problem(r: &ImportReport, place: &str, words: &[&str]) {
    let e = problem(r, place);
    for w in words {
        assert!(
            e.reason.contains(w),
            "{place}: reason {:?} should mention {w:?}",
            e.reason
        );
    }
}

/// Every stored incident (ids by plain SQL, records through the store).
async fn stored_incidents(store: &Store) -> Vec<Incident> {
    const SQL: &str = "SELECT id FROM incidents ORDER BY id";
    let ids: Vec<i64> = match store {
        Store::Sqlite(p) => sqlx::query_scalar(SQL).fetch_all(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(SQL).fetch_all(p).await.unwrap(),
    };
    store.incidents_by_ids(&ids).await.unwrap()
}

fn by_external_id<'a>(v: &'a [Incident], ext: &str) -> &'a Incident {
    v.iter()
        .find(|i| i.data.external_id.as_deref() == Some(ext))
        .unwrap_or_else(|| panic!("{ext} not stored"))
}

/// Asserts that nothing was written: no committed flag, no row, no version change.
async fn assert_nothing_written(svc: &Service, r: &ImportReport, version_before: i64, what: &str) {
    assert!(!r.committed, "{what}: committed");
    assert_eq!((r.inserted, r.already_present), (0, 0), "{what}");
    assert_eq!(r.data_version, version_before, "{what}: reported version");
    let store = svc.store();
    assert_eq!(
        store.data_version().await.unwrap(),
        version_before,
        "{what}: stored version"
    );
    let total = stored_incidents(store).await.len()
        + store.cameras().await.unwrap().len()
        + store.models().await.unwrap().len()
        + store.areas().await.unwrap().len();
    assert_eq!(total, 0, "{what}: rows were written");
    assert!(svc.snapshot().incidents.is_empty(), "{what}: index changed");
}

fn instant(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// `n` good incident rows with ids `{prefix}-…` (no header).
#[expect(
    clippy::cast_precision_loss,
    reason = "row numbers below 2^52 are exact in f64"
)]
fn good_rows(prefix: &str, n: usize) -> String {
    let mut rows = String::new();
    for i in 0..n {
        let _ = writeln!(
            rows,
            "{prefix}-{i:06},2024-03-01T08:00:00+07:00,theft,serious,false,{:.6},{:.6}",
            106.6 + (i % 400) as f64 * 0.0005,
            10.7 + (i / 400) as f64 * 0.0005
        );
    }
    rows
}

const HEADER: &str = "external_id,occurred_at,category,severity,solved,lon,lat\n";

// ---------------------------------------------------------------------------------------
// Sample data and idempotency
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sample_files_import_and_reimporting_them_changes_nothing() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let files: [(Layer, &str, u64); 4] = [
            (Layer::Incidents, "sample-data/incidents.csv", 20_000),
            (Layer::Cameras, "sample-data/cameras.csv", 300),
            (Layer::Models, "sample-data/models.csv", 250),
            (Layer::Areas, "sample-data/areas.geojson", 120),
        ];
        let source = |rel: &str| {
            let bytes = fixture(rel);
            if rel.ends_with(".geojson") {
                Source::Json(bytes)
            } else {
                csv_with(bytes, b',', &[])
            }
        };
        for (i, (layer, rel, n)) in files.iter().enumerate() {
            let run = run(&svc, *layer, source(rel), ImportMode::AllOrNothing).await;
            let r = &run.report;
            assert!(r.committed, "{b} {rel}: {:?}", messages(r));
            assert_eq!(
                (r.read, r.valid, r.inserted, r.already_present, r.rejected),
                (*n, *n, *n, 0, 0),
                "{b} {rel}"
            );
            assert_eq!(r.errors_total, 0, "{b} {rel}");
            assert_eq!(
                r.data_version,
                i64::try_from(i).unwrap() + 1,
                "{b} {rel}: one version per import"
            );
            assert!(run.rejects.is_empty(), "{b} {rel}");
            // Progress ends at the source's size.
            let size = std::fs::metadata(repo_path(rel)).unwrap().len();
            assert_eq!(
                run.progress.last().copied(),
                Some(size),
                "{b} {rel}: progress"
            );
        }
        let snap = svc.snapshot();
        assert_eq!(
            (
                snap.incidents.len(),
                snap.cameras.len(),
                snap.models.len(),
                snap.areas.areas().len()
            ),
            (20_000, 300, 250, 120),
            "{b}"
        );
        let store = svc.store();
        let stored = (
            stored_incidents(store).await,
            store.cameras().await.unwrap(),
            store.models().await.unwrap(),
            store.areas().await.unwrap(),
        );
        assert_eq!(stored.0.len(), 20_000, "{b}");
        // A row read back as the file wrote it.
        let first = by_external_id(&stored.0, "INC-2023-000001");
        assert_eq!(
            first.data.occurred_at,
            instant("2023-01-01T00:06:00+07:00"),
            "{b}"
        );
        assert_eq!(
            (
                first.data.category.as_str(),
                first.data.severity,
                first.data.solved
            ),
            ("drugs", Severity::VerySerious, true),
            "{b}"
        );
        assert_eq!(
            (first.data.location.lon(), first.data.location.lat()),
            (106.700_175, 10.757_199),
            "{b}"
        );
        assert_eq!(
            first.data.address.as_deref(),
            Some("104/34 Đường Đoàn Văn Bơ"),
            "{b}"
        );
        assert_eq!(first.data.ward.as_deref(), Some("Phường 2"), "{b}");

        // Importing every file again changes nothing.
        for (layer, rel, n) in files {
            let r = all_or_nothing(&svc, layer, source(rel)).await;
            assert!(r.committed, "{b} {rel} again: {:?}", messages(&r));
            assert_eq!(
                (r.read, r.valid, r.inserted, r.already_present, r.rejected),
                (n, n, 0, n, 0),
                "{b} {rel} again"
            );
            assert_eq!(r.data_version, 4, "{b} {rel} again: version unchanged");
        }
        assert_eq!(store.data_version().await.unwrap(), 4, "{b}");
        let again = (
            stored_incidents(store).await,
            store.cameras().await.unwrap(),
            store.models().await.unwrap(),
            store.areas().await.unwrap(),
        );
        assert!(stored == again, "{b}: a re-import changed stored rows");
        assert_eq!(svc.snapshot().incidents.len(), 20_000, "{b}");
        drop(svc);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_file_without_external_ids_reimports_idempotently() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let text = "occurred_at,category,lon,lat,address\n\
                    2024-03-01 08:00,theft,106.7,10.77,1 Lê Lợi\n\
                    2024-03-01 08:00,theft,106.7,10.77,2 Lê Lợi\n\
                    2024-03-01 08:00,fraud,106.7,10.77,1 Lê Lợi\n\
                    2024-03-01 08:01,theft,106.7,10.77,1 Lê Lợi\n\
                    2024-03-01 08:00,theft,106.7,10.770001,1 Lê Lợi\n";
        let r = ok(&svc, Layer::Incidents, csv(text)).await;
        assert_eq!((r.inserted, r.data_version), (5, 1), "{b}");
        let stored = stored_incidents(svc.store()).await;
        let mut ids: Vec<&str> = stored
            .iter()
            .map(|i| i.data.external_id.as_deref().unwrap())
            .collect();
        assert!(
            ids.iter()
                .all(|id| id.starts_with("auto:") && id.len() > 10),
            "{b}: {ids:?}"
        );
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 5, "{b}: rows that differ get different ids");

        let r = ok(&svc, Layer::Incidents, csv(text)).await;
        assert_eq!(
            (r.inserted, r.already_present, r.data_version),
            (0, 5, 1),
            "{b}: second import"
        );
        // The same rows in another order and with another header spelling: still known.
        let reordered = "Lat,Lng,Type,Date,Address\n\
                         10.77,106.7,Theft,2024-03-01T01:00:00Z,2 Lê Lợi\n\
                         10.77,106.7,theft,2024-03-01 08:00,1 Lê Lợi\n";
        let r = ok(&svc, Layer::Incidents, csv(reordered)).await;
        assert_eq!(
            (r.inserted, r.already_present),
            (0, 2),
            "{b}: the derived id depends on the values only"
        );
        assert_eq!(stored_incidents(svc.store()).await.len(), 5, "{b}");
        // Two identical rows in one file are one event given twice: a duplicate.
        let twice = "occurred_at,category,lon,lat\n2024-05-01 08:00,theft,106.7,10.7\n2024-05-01 08:00,theft,106.7,10.7\n";
        let r = all_or_nothing(&svc, Layer::Incidents, csv(twice)).await;
        assert!(!r.committed, "{b}");
        assert_problem(&r, "line 3, column external_id", &["repeated", "line 2"]);
        drop(svc);
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// All or nothing
// ---------------------------------------------------------------------------------------

/// `tests/fixtures/import/bad_rows.csv`, line by line:
///  1 header                          8 (blank)
///  2 BAD-001 good                    9 BAD-006 unknown category
///  3 BAD-002 latitude 91            10 BAD-001 again (duplicate of line 2)
///  4 BAD-003 longitude NaN          11 BAD-007 good (Vietnamese category, severity, "có")
///  5 BAD-004 2024-02-30             12 BAD-008 five problems at once
///  6 BAD-005 good, with an address  13 BAD-009 good
///  7   quoted over two lines
const BAD_ROWS: &str = "tests/fixtures/import/bad_rows.csv";

fn assert_bad_rows_report(r: &ImportReport, b: &str) {
    assert_eq!((r.read, r.valid, r.rejected), (10, 4, 6), "{b}");
    assert_eq!(r.errors_total, 10, "{b}: {:#?}", messages(r));
    assert_eq!(r.errors.len(), 10, "{b}");
    assert_problem(r, "line 3, column lat", &["91", "−90…90"]);
    assert_problem(r, "line 4, column lon", &["NaN", "not a finite number"]);
    assert_problem(
        r,
        "line 5, column occurred_at",
        &["2024-02-30 10:00", "not a date or time"],
    );
    assert_problem(
        r,
        "line 9, column category",
        &["burglary of the moon", "not in the category catalogue"],
    );
    assert_problem(
        r,
        "line 10, column external_id",
        &["BAD-001", "repeated", "first given at line 2"],
    );
    // Every problem of a row, not only the first.
    assert_problem(r, "line 12, column occurred_at", &["2024-13-01"]);
    assert_problem(r, "line 12, column category", &["nonsense"]);
    assert_problem(r, "line 12, column severity", &["grave"]);
    assert_problem(r, "line 12, column solved", &["maybe", "yes/no"]);
    assert_problem(r, "line 12, column lon", &["abc", "not a number"]);
    // In source order.
    let lines: Vec<u64> = r
        .errors
        .iter()
        .map(|e| match &e.place {
            diemnong::ingest::Place::Line { line, .. } => *line,
            other @ diemnong::ingest::Place::Pointer { .. } => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 9, 10, 12, 12, 12, 12, 12], "{b}");
}

#[tokio::test]
async fn a_file_with_bad_rows_reports_every_problem_and_writes_nothing() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let run = run(
            &svc,
            Layer::Incidents,
            csv_with(fixture(BAD_ROWS), b',', &[]),
            ImportMode::AllOrNothing,
        )
        .await;
        assert_bad_rows_report(&run.report, b);
        assert_nothing_written(&svc, &run.report, 0, b).await;
        // The sink hears about every rejected row even when nothing is written.
        assert_eq!(run.rejects.len(), 6, "{b}");
        drop(svc);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_bad_row_after_several_written_batches_rolls_everything_back() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        // 12,000 rows: two batches of 5,000 reach the database before the bad last row.
        let mut text = format!("{HEADER}{}", good_rows("OK", 12_000));
        text.push_str("LAST,2024-03-01 08:00,theft,serious,false,106.7,-91\n");
        let r = all_or_nothing(&svc, Layer::Incidents, csv(&text)).await;
        assert_eq!((r.read, r.valid, r.rejected), (12_001, 12_000, 1), "{b}");
        assert_problem(&r, "line 12002, column lat", &["-91"]);
        assert_nothing_written(&svc, &r, 0, b).await;

        // The same file with --skip-invalid keeps the 12,000.
        let run = run(&svc, Layer::Incidents, csv(&text), ImportMode::SkipInvalid).await;
        assert!(run.report.committed, "{b}");
        assert_eq!(
            (
                run.report.inserted,
                run.report.rejected,
                run.report.data_version
            ),
            (12_000, 1, 1),
            "{b}"
        );
        assert_eq!(stored_incidents(svc.store()).await.len(), 12_000, "{b}");
        assert_eq!(svc.snapshot().incidents.len(), 12_000, "{b}");
        drop(svc);
        db.cleanup().await;
    }
}

/// A required column is missing: one problem naming it, and no row is read.
#[tokio::test]
async fn file_problems_a_missing_required_column_stops_the_import() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let r = all_or_nothing(
            &svc,
            Layer::Incidents,
            csv("external_id,occurred_at,category,lon\nX,2024-03-01,theft,106.7\n"),
        )
        .await;
        assert_eq!(messages(&r).len(), 1, "{b}: {:?}", messages(&r));
        assert_problem(
            &r,
            "line 1, column lat",
            &[
                "required column lat not found",
                "latitude",
                "--columns lat=HEADER",
            ],
        );
        assert_eq!(r.read, 0, "{b}: no row is read after a bad header");
        assert_nothing_written(&svc, &r, 0, &format!("{b}: missing column")).await;

        drop(svc);
        db.cleanup().await;
    }
}

/// A ';' file read with ',': one header column; the reason names the delimiter.
#[tokio::test]
async fn file_problems_a_semicolon_file_read_with_commas_names_the_delimiter() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let semi = "external_id;occurred_at;category;lon;lat\nX;2024-03-01;theft;106,7;10,7\n";
        let r = all_or_nothing(&svc, Layer::Incidents, csv(semi)).await;
        assert_eq!(
            r.errors.len(),
            4,
            "{b}: occurred_at, category, lon, lat: {:?}",
            messages(&r)
        );
        for field in ["occurred_at", "category", "lon", "lat"] {
            assert_problem(
                &r,
                &format!("line 1, column {field}"),
                &["is the delimiter ';'?", "--delimiter"],
            );
        }
        assert_nothing_written(&svc, &r, 0, &format!("{b}: wrong delimiter")).await;

        drop(svc);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn file_problems_an_empty_file_stops_the_import() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        // An empty file.
        let r = all_or_nothing(&svc, Layer::Incidents, csv("")).await;
        assert_eq!(
            messages(&r),
            vec!["line 1: the file is empty: expected a header line".to_owned()],
            "{b}"
        );
        assert_nothing_written(&svc, &r, 0, &format!("{b}: empty file")).await;

        drop(svc);
        db.cleanup().await;
    }
}

/// Latin-1 bytes in a data row: the line and column are named; the good line 2 is not
/// written either.
#[tokio::test]
async fn file_problems_latin1_bytes_in_a_row_name_the_line_and_column_and_write_nothing() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let r = all_or_nothing(
            &svc,
            Layer::Incidents,
            csv_with(fixture("tests/fixtures/import/latin1_row.csv"), b',', &[]),
        )
        .await;
        assert_eq!(r.errors.len(), 1, "{b}: {:?}", messages(&r));
        assert_problem(
            &r,
            "line 3, column ward",
            &[
                "not valid UTF-8",
                "0xF0 0xF4",
                "position 2",
                "save the file as UTF-8",
            ],
        );
        assert_eq!((r.read, r.valid, r.rejected), (2, 1, 1), "{b}");
        assert_nothing_written(&svc, &r, 0, &format!("{b}: non-UTF-8")).await;

        drop(svc);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn file_problems_latin1_bytes_in_the_header_name_the_column() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        // Latin-1 bytes in the header.
        let r = all_or_nothing(
            &svc,
            Layer::Incidents,
            csv_with(
                b"occurred_at,category,lon,lat,Ph\xF0\xF4ng\n".to_vec(),
                b',',
                &[],
            ),
        )
        .await;
        assert_problem(&r, "line 1, column 5", &["not valid UTF-8"]);
        assert_nothing_written(&svc, &r, 0, &format!("{b}: non-UTF-8 header")).await;

        drop(svc);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn file_problems_a_row_with_the_wrong_number_of_fields_stops_the_import() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        // A row with the wrong number of fields.
        let text = format!(
            "{HEADER}{}A-2,2024-03-01 08:00,theft,serious,106.7,10.7\n",
            good_rows("A", 1)
        );
        let r = all_or_nothing(&svc, Layer::Incidents, csv(&text)).await;
        assert_eq!(
            messages(&r),
            vec![
                "line 3: has 6 fields, the header has 7 (check quoting and the delimiter)"
                    .to_owned()
            ],
            "{b}"
        );
        assert_nothing_written(&svc, &r, 0, &format!("{b}: field count")).await;

        drop(svc);
        db.cleanup().await;
    }
}

/// --skip-invalid does not skip past a bad header or an empty file: the file problem goes
/// to the sink too, with no raw row.
#[tokio::test]
async fn file_problems_are_not_skipped_by_skip_invalid() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        for text in [
            "external_id,occurred_at,category,lon\nX,2024-03-01,theft,106.7\n",
            "",
        ] {
            let r = run(&svc, Layer::Incidents, csv(text), ImportMode::SkipInvalid).await;
            assert_eq!(
                r.rejects.len(),
                1,
                "{b}: the file problem goes to the sink too"
            );
            assert_eq!(r.rejects[0].1, "", "{b}: a file problem has no raw row");
            assert_nothing_written(&svc, &r.report, 0, &format!("{b}: skip-invalid, {text:?}"))
                .await;
        }
        drop(svc);
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// Skip invalid
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn skip_invalid_imports_the_good_rows_and_passes_rejects_to_the_sink() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let run1 = run(
            &svc,
            Layer::Incidents,
            csv_with(fixture(BAD_ROWS), b',', &[]),
            ImportMode::SkipInvalid,
        )
        .await;
        let r = &run1.report;
        assert_bad_rows_report(r, b);
        assert!(r.committed, "{b}");
        assert_eq!(
            (r.inserted, r.already_present, r.data_version),
            (4, 0, 1),
            "{b}"
        );

        // Each rejected row, with its problems and its text.
        let rejects = &run1.rejects;
        assert_eq!(rejects.len(), 6, "{b}");
        let expect = [
            ("BAD-002", "lat", 1),
            ("BAD-003", "lon", 1),
            ("BAD-004", "occurred_at", 1),
            ("BAD-006", "category", 1),
            ("BAD-001,2024-03-04 13:00,assault", "external_id", 1),
            ("BAD-008", "lon", 5),
        ];
        for ((errors, raw), (text, column, n)) in rejects.iter().zip(expect) {
            assert!(
                raw.starts_with(text),
                "{b}: raw {raw:?} should start with {text:?}"
            );
            assert_eq!(errors.len(), n, "{b}: {raw}");
            assert!(
                errors.iter().any(|e| matches!(&e.place, diemnong::ingest::Place::Line { column: Some(c), .. } if c == column)),
                "{b}: {raw}: {errors:?}"
            );
            assert!(errors.iter().all(|e| !e.reason.is_empty()), "{b}");
        }

        let stored = stored_incidents(svc.store()).await;
        let mut ids: Vec<&str> = stored
            .iter()
            .map(|i| i.data.external_id.as_deref().unwrap())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, vec!["BAD-001", "BAD-005", "BAD-007", "BAD-009"], "{b}");
        // The first BAD-001 is the one kept.
        assert_eq!(
            by_external_id(&stored, "BAD-001").data.category,
            "theft",
            "{b}"
        );
        let five = by_external_id(&stored, "BAD-005");
        assert_eq!(
            five.data.address.as_deref(),
            Some("5 Lê Lợi\n(tầng 2)"),
            "{b}: a quoted newline is kept"
        );
        let seven = &by_external_id(&stored, "BAD-007").data;
        assert_eq!(
            (seven.category.as_str(), seven.severity, seven.solved),
            ("theft", Severity::Serious, true),
            "{b}"
        );
        let nine = &by_external_id(&stored, "BAD-009").data;
        assert_eq!(
            (
                nine.occurred_at,
                nine.severity,
                nine.solved,
                nine.ward.as_deref()
            ),
            (
                instant("2024-03-06T08:00:00Z"),
                Severity::EspeciallySerious,
                false,
                None
            ),
            "{b}"
        );

        // Again: nothing new, the same rejects.
        let run2 = run(
            &svc,
            Layer::Incidents,
            csv_with(fixture(BAD_ROWS), b',', &[]),
            ImportMode::SkipInvalid,
        )
        .await;
        assert_eq!(
            (
                run2.report.inserted,
                run2.report.already_present,
                run2.report.rejected
            ),
            (0, 4, 6),
            "{b}"
        );
        assert_eq!(run2.report.data_version, 1, "{b}");
        assert_eq!(run2.rejects, run1.rejects, "{b}");
        drop(svc);
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// Headers, delimiters, spellings
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn header_aliases_match_case_insensitively_and_optional_columns_default() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let text = "ID,Datetime,Type,Severity,Solved,LNG,Latitude\n\
                    H-1,2024-03-01T08:00:00+07:00,Theft,SERIOUS,Yes,106.7,10.77\n\
                    H-2,2024-03-01T09:00:00+07:00,fraud,4,0,106.71,10.78\n";
        ok(&svc, Layer::Incidents, csv(text)).await;
        let text = "EXTERNAL_ID,Occurred_At,CATEGORY,Lon,LAT,  Address  ,Phường\n\
                    H-3,2024-03-01,Drugs,106.72,10.79,,Phường 6\n";
        ok(&svc, Layer::Incidents, csv(text)).await;
        let stored = stored_incidents(svc.store()).await;
        let h1 = &by_external_id(&stored, "H-1").data;
        assert_eq!(
            (h1.category.as_str(), h1.severity, h1.solved),
            ("theft", Severity::Serious, true),
            "{b}"
        );
        assert_eq!(
            (h1.location.lon(), h1.location.lat()),
            (106.7, 10.77),
            "{b}"
        );
        let h2 = &by_external_id(&stored, "H-2").data;
        assert_eq!(
            (h2.category.as_str(), h2.severity, h2.solved),
            ("fraud", Severity::EspeciallySerious, false),
            "{b}"
        );
        // Without severity and solved columns: less serious, not solved; empty address absent.
        let h3 = &by_external_id(&stored, "H-3").data;
        assert_eq!(
            (h3.category.as_str(), h3.severity, h3.solved),
            ("drugs", Severity::LessSerious, false),
            "{b}"
        );
        assert_eq!(
            (h3.address.as_deref(), h3.ward.as_deref()),
            (None, Some("Phường 6")),
            "{b}"
        );
        assert_eq!(
            h3.occurred_at,
            instant("2024-02-29T17:00:00Z"),
            "{b}: a bare date is local midnight"
        );
        drop(svc);
        db.cleanup().await;
    }
}

#[tokio::test]
#[expect(clippy::float_cmp, reason = "a coordinate must round-trip bit for bit")]
async fn excel_exports_with_a_byte_order_mark_and_crlf_import() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let text = "\u{feff}external_id,occurred_at,category,lon,lat\r\nB-1,2024-03-01 08:00,theft,106.7,10.77\r\nB-2,2024-03-01 08:00,theft,106.7,10.77\r\n";
        let r = ok(&svc, Layer::Incidents, csv(text)).await;
        assert_eq!(r.inserted, 2, "{b}");
        let stored = stored_incidents(svc.store()).await;
        let ids: Vec<Option<&str>> = stored
            .iter()
            .map(|i| i.data.external_id.as_deref())
            .collect();
        assert_eq!(
            ids,
            vec![Some("B-1"), Some("B-2")],
            "{b}: the first header is recognised despite the mark"
        );
        assert_eq!(
            by_external_id(&stored, "B-2").data.location.lat(),
            10.77,
            "{b}: no stray \\r"
        );
        // Problems are placed as on other files, and the column is named without the mark.
        let bad = "\u{feff}external_id,occurred_at,category,lon,lat\r\nB-3,2024-03-01 08:00,theft,106.7,10.77\r\nB-3,2024-03-01 08:00,theft,106.7,10.77\r\nB-4,2024-03-01 08:00,theft,106.7,99\r\n";
        let r = all_or_nothing(&svc, Layer::Incidents, csv(bad)).await;
        assert_eq!(r.errors.len(), 2, "{b}: {:?}", messages(&r));
        assert_problem(&r, "line 3, column external_id", &["repeated", "line 2"]);
        assert_problem(&r, "line 4, column lat", &["99"]);
        assert_eq!(stored_incidents(svc.store()).await.len(), 2, "{b}");
        drop(svc);
        db.cleanup().await;
    }
}

/// Lines of a generated file and the physical lines (1-based) of its bad rows.
fn file_with_bad_rows(n: usize) -> (Vec<String>, Vec<u64>) {
    let mut lines = vec!["external_id,occurred_at,category,lon,lat,address".to_owned()];
    let mut bad = Vec::new();
    for i in 0..n {
        if i % 700 == 3 {
            lines.push(String::new());
            lines.push("   ".to_owned());
        }
        if i % 900 == 5 {
            // An address quoted over two lines: the record spans both.
            lines.push(format!(
                "N-{i},2024-03-01 08:00,theft,106.7,10.7,\"{i} Lê Lợi"
            ));
            lines.push("(tầng 2)\"".to_owned());
            continue;
        }
        let lat = if i % 500 == 7 || i + 1 == n {
            "99"
        } else {
            "10.7"
        };
        lines.push(format!(
            "N-{i},2024-03-01 08:00,theft,106.7,{lat},{i} Lê Lợi"
        ));
        if lat == "99" {
            bad.push(lines.len() as u64);
        }
    }
    (lines, bad)
}

#[tokio::test]
async fn problems_name_physical_lines_whatever_the_line_endings() {
    let db = TestDb::sqlite().await;
    let svc = db.service().await;
    // Over 8 KiB, so records straddle the parser's buffer refills.
    let (lines, bad) = file_with_bad_rows(3_000);
    assert_eq!(bad.len(), 7);
    for eol in ["\n", "\r\n"] {
        for trailing in [true, false] {
            let mut text = lines.join(eol);
            if trailing {
                text.push_str(eol);
            }
            let what = format!("eol {eol:?}, trailing newline: {trailing}");
            let r = all_or_nothing(&svc, Layer::Incidents, csv(&text)).await;
            assert_eq!(r.read, 3_000, "{what}");
            let got: Vec<u64> = r
                .errors
                .iter()
                .map(|e| match &e.place {
                    diemnong::ingest::Place::Line { line, column } => {
                        assert_eq!(column.as_deref(), Some("lat"), "{what}");
                        *line
                    }
                    other @ diemnong::ingest::Place::Pointer { .. } => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(got, bad, "{what}");
            // The line named is the line that holds the value.
            for l in &got {
                let line = &lines[usize::try_from(*l).unwrap() - 1];
                assert!(line.contains(",99,"), "{what}: line {l} is {line:?}");
            }
        }
    }
    drop(svc);
    db.cleanup().await;
}

#[tokio::test]
#[expect(clippy::float_cmp, reason = "a coordinate must round-trip bit for bit")]
async fn explicit_column_mappings_name_odd_headers() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let map = [
            ("occurred_at", "Ngay"),
            ("lon", "Kinh do"),
            ("lat", "Vi do"),
            ("category", "Toi danh"),
        ];
        let text =
            "Ma,Ngay,Toi danh,Kinh do,Vi do,Ghi chu\nM-1,2024-03-01 08:00,theft,106.7,10.77,x\n";
        let r = all_or_nothing(&svc, Layer::Incidents, csv_with(text.into(), b',', &map)).await;
        assert!(r.committed, "{b}: {:?}", messages(&r));
        // Headers no alias knows: refused without a mapping, imported with one.
        let odd = "So ho so,Thoi diem xay ra,Toi danh,Toa do X,Toa do Y\nM-2,2024-03-02 08:00,fraud,106.71,10.78\n";
        let r = all_or_nothing(&svc, Layer::Incidents, csv(odd)).await;
        assert!(!r.committed, "{b}");
        assert_eq!(r.errors.len(), 4, "{b}: {:?}", messages(&r));
        let map = [
            ("external_id", "So ho so"),
            ("occurred_at", "thoi diem xay ra"),
            ("category", "TOI DANH"),
            ("lon", "Toa do X"),
            ("lat", "Toa do Y"),
        ];
        let r = all_or_nothing(&svc, Layer::Incidents, csv_with(odd.into(), b',', &map)).await;
        assert!(r.committed, "{b}: {:?}", messages(&r));
        // A mapping wins over an alias that would match another column.
        let both = "external_id,occurred_at,category,lon,lat,lon_corrected\nM-3,2024-03-03 08:00,theft,0.5,10.79,106.72\n";
        let r = all_or_nothing(
            &svc,
            Layer::Incidents,
            csv_with(both.into(), b',', &[("lon", "lon_corrected")]),
        )
        .await;
        assert!(r.committed, "{b}: {:?}", messages(&r));
        // A mapping to a header the file does not have is a header problem.
        let r = all_or_nothing(
            &svc,
            Layer::Incidents,
            csv_with(text.into(), b',', &[("lon", "Longitude (WGS84)")]),
        )
        .await;
        assert!(!r.committed, "{b}");
        assert_problem(
            &r,
            "line 1, column Longitude (WGS84)",
            &["--columns maps lon"],
        );

        let stored = stored_incidents(svc.store()).await;
        assert_eq!(stored.len(), 3, "{b}");
        let m1 = &by_external_id(&stored, "M-1").data;
        assert_eq!(
            (m1.location.lon(), m1.location.lat(), m1.category.as_str()),
            (106.7, 10.77, "theft"),
            "{b}"
        );
        assert_eq!(by_external_id(&stored, "M-2").data.category, "fraud", "{b}");
        assert_eq!(
            by_external_id(&stored, "M-3").data.location.lon(),
            106.72,
            "{b}"
        );
        drop(svc);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn semicolon_files_with_vietnamese_words_and_decimal_commas() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let text = "Ma;Thời gian;Loại;Mức độ;Đã phá án;Kinh độ;Vĩ độ;Địa chỉ;Phường\n\
                    V-1;2024-03-01 08:00;Trộm cắp tài sản;Rất nghiêm trọng;Đã;106,700123;10,776543;12 Nguyễn Huệ, Q1;Bến Nghé\n\
                    V-2;2024-03-01 09:00;cướp giật tài sản;Đặc biệt nghiêm trọng;chưa;106,71;10,78;;\n\
                    V-3;2024-03-01 10:00;Lừa đảo chiếm đoạt tài sản;ít nghiêm trọng;Có;106.72;10.79;;\n\
                    V-4;2024-03-01 11:00;Theft;nghiem trong;khong;106,73;10,8;;\n";
        let r = all_or_nothing(&svc, Layer::Incidents, csv_with(text.into(), b';', &[])).await;
        assert!(r.committed, "{b}: {:?}", messages(&r));
        assert_eq!(r.inserted, 4, "{b}");
        let stored = stored_incidents(svc.store()).await;
        let v1 = &by_external_id(&stored, "V-1").data;
        assert_eq!(
            (v1.category.as_str(), v1.severity, v1.solved),
            ("theft", Severity::VerySerious, true),
            "{b}"
        );
        assert_eq!(
            (v1.location.lon(), v1.location.lat()),
            (106.700_123, 10.776_543),
            "{b}"
        );
        assert_eq!(v1.address.as_deref(), Some("12 Nguyễn Huệ, Q1"), "{b}");
        let v2 = &by_external_id(&stored, "V-2").data;
        assert_eq!(
            (v2.category.as_str(), v2.severity, v2.solved),
            ("snatching", Severity::EspeciallySerious, false),
            "{b}"
        );
        assert_eq!(
            (v2.location.lon(), v2.location.lat()),
            (106.71, 10.78),
            "{b}"
        );
        let v3 = &by_external_id(&stored, "V-3").data;
        assert_eq!(
            (v3.category.as_str(), v3.severity, v3.solved),
            ("fraud", Severity::LessSerious, true),
            "{b}"
        );
        let v4 = &by_external_id(&stored, "V-4").data;
        assert_eq!(
            (v4.category.as_str(), v4.severity, v4.solved),
            ("theft", Severity::Serious, false),
            "{b}"
        );

        // A comma that is not a decimal comma is not silently accepted.
        let bad = "external_id;occurred_at;category;lon;lat\nV-5;2024-03-01;theft;106,700,1;10,7\n";
        let r = all_or_nothing(&svc, Layer::Incidents, csv_with(bad.into(), b';', &[])).await;
        assert_problem(&r, "line 2, column lon", &["106,700,1", "not a number"]);
        drop(svc);
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// JSON and GeoJSON
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn geojson_incidents_with_a_bad_feature_are_placed_by_json_pointer() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let feature = |id: &str, geometry: &str, category: &str| {
            format!(
                r#"{{"type":"Feature","id":"{id}","geometry":{geometry},"properties":{{"occurred_at":"2024-03-01T08:00:00+07:00","Category":"{category}","severity":"serious","solved":true}}}}"#
            )
        };
        let point = r#"{"type":"Point","coordinates":[106.7,10.77]}"#;
        let features = [
            feature("G-0", point, "theft"),
            feature("G-1", point, "burglary of the moon"),
            feature(
                "G-2",
                r#"{"type":"LineString","coordinates":[[106.7,10.77],[106.71,10.78]]}"#,
                "theft",
            ),
            feature(
                "G-3",
                r#"{"type":"Point","coordinates":[106.7,91]}"#,
                "theft",
            ),
            feature(
                "G-4",
                r#"{"type":"Point","coordinates":[106.71,10.78]}"#,
                "Trộm cắp tài sản",
            ),
        ];
        let doc = format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        );
        let r = all_or_nothing(&svc, Layer::Incidents, json(&doc)).await;
        assert_eq!(
            (r.read, r.valid, r.rejected),
            (5, 2, 3),
            "{b}: {:?}",
            messages(&r)
        );
        assert_problem(
            &r,
            "/features/1/properties/Category",
            &["burglary of the moon"],
        );
        assert_problem(
            &r,
            "/features/2/geometry",
            &["LineString", "expected a Point"],
        );
        assert_problem(&r, "/features/3/geometry", &["91"]);
        assert_eq!(r.errors.len(), 3, "{b}");
        assert_nothing_written(&svc, &r, 0, b).await;

        let run = run(&svc, Layer::Incidents, json(&doc), ImportMode::SkipInvalid).await;
        assert_eq!((run.report.inserted, run.report.rejected), (2, 3), "{b}");
        assert!(
            run.rejects[0].1.contains("burglary of the moon"),
            "{b}: the raw feature goes to the sink"
        );
        let stored = stored_incidents(svc.store()).await;
        // A Feature's `id` is its external id; the Point is its location.
        let g0 = &by_external_id(&stored, "G-0").data;
        assert_eq!(
            (g0.location.lon(), g0.location.lat(), g0.severity, g0.solved),
            (106.7, 10.77, Severity::Serious, true),
            "{b}"
        );
        assert_eq!(by_external_id(&stored, "G-4").data.category, "theft", "{b}");
        // Again: idempotent.
        let r = run_again(&svc, &doc).await;
        assert_eq!((r.inserted, r.already_present), (0, 2), "{b}");
        drop(svc);
        db.cleanup().await;
    }
}

async fn run_again(svc: &Service, doc: &str) -> ImportReport {
    run(svc, Layer::Incidents, json(doc), ImportMode::SkipInvalid)
        .await
        .report
}

#[tokio::test]
async fn a_json_array_of_flat_objects_imports() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let doc = r#"[
            {"id": "J-1", "date": "2024-03-01T08:00:00+07:00", "type": "Theft", "lng": 106.7, "lat": 10.77, "severity": 3, "solved": true, "address": "1 Lê Lợi", "extra": [1, 2]},
            {"external_id": 42, "occurred_at": "2024-03-01 09:00", "category": "fraud", "lon": "106.71", "lat": "10.78", "ward": null}
        ]"#;
        let r = all_or_nothing(&svc, Layer::Incidents, json(doc)).await;
        assert!(r.committed, "{b}: {:?}", messages(&r));
        assert_eq!(r.inserted, 2, "{b}");
        let stored = stored_incidents(svc.store()).await;
        let j1 = &by_external_id(&stored, "J-1").data;
        assert_eq!(
            (
                j1.category.as_str(),
                j1.severity,
                j1.solved,
                j1.address.as_deref()
            ),
            ("theft", Severity::VerySerious, true, Some("1 Lê Lợi")),
            "{b}"
        );
        let j2 = &by_external_id(&stored, "42").data;
        assert_eq!(
            (j2.location.lon(), j2.occurred_at, j2.ward.as_deref()),
            (106.71, instant("2024-03-01T02:00:00Z"), None),
            "{b}"
        );

        let bad = r#"[{"id": "J-3", "date": "2024-03-01", "type": "theft", "lng": 106.7, "lat": 10.7},
                     {"id": "J-4", "date": "2024-03-01", "type": "theft", "lng": 106.7, "Latitude": "north"},
                     {"id": "J-5", "date": "2024-03-01", "type": "theft", "lng": {"x": 1}, "lat": 10.7},
                     "not an object"]"#;
        let r = all_or_nothing(&svc, Layer::Incidents, json(bad)).await;
        assert_problem(&r, "/1/Latitude", &["north", "not a number"]);
        assert_problem(&r, "/2/lng", &["must be a string, number or boolean"]);
        assert_problem(&r, "/3", &["must be a JSON object"]);
        assert!(!r.committed, "{b}");
        // Documents that are not a list of records.
        for (doc, words) in [
            ("{\"a\": 1}", vec!["expected a JSON array"]),
            ("[", vec!["is not valid JSON", "line 1"]),
            ("[]", vec!["holds no records"]),
        ] {
            let r = all_or_nothing(&svc, Layer::Incidents, json(doc)).await;
            assert!(!r.committed, "{b}: {doc}");
            assert_eq!(r.errors.len(), 1, "{b}: {doc}: {:?}", messages(&r));
            assert!(
                words.iter().all(|w| r.errors[0].reason.contains(w)),
                "{b}: {doc}: {:?}",
                messages(&r)
            );
        }
        assert_eq!(stored_incidents(svc.store()).await.len(), 2, "{b}");
        drop(svc);
        db.cleanup().await;
    }
}

fn area_feature(code: &str, kind: &str, rings: &str) -> String {
    format!(
        r#"{{"type":"Feature","geometry":{{"type":"Polygon","coordinates":{rings}}},"properties":{{"code":"{code}","name":"Khu {code}","kind":"{kind}","population":1200}}}}"#
    )
}

#[tokio::test]
async fn areas_with_open_or_self_intersecting_rings_are_rejected_with_reasons() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let features = [
            area_feature("ok-1", "ward", "[[[106.7,10.7],[106.71,10.7],[106.71,10.71],[106.7,10.71],[106.7,10.7]]]"),
            area_feature("open-1", "ward", "[[[106.7,10.7],[106.71,10.7],[106.71,10.71],[106.7,10.71],[106.7,10.705]]]"),
            area_feature("bowtie-1", "complex_area", "[[[106.7,10.7],[106.71,10.71],[106.71,10.7],[106.7,10.71],[106.7,10.7]]]"),
            // Valid at full precision, degenerate at the 6 decimals the store keeps.
            area_feature(
                "tiny-1",
                "ward",
                "[[[106.7,10.7],[106.7000001,10.7],[106.7000001,10.7000001],[106.7,10.7000001],[106.7,10.7]]]",
            ),
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[106.7,10.7]},"properties":{"code":"pt","name":"P","kind":"ward"}}"#.to_owned(),
        ];
        let doc = format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        );
        let r = all_or_nothing(&svc, Layer::Areas, json(&doc)).await;
        assert_eq!(
            (r.read, r.valid, r.rejected),
            (5, 1, 4),
            "{b}: {:?}",
            messages(&r)
        );
        assert_problem(
            &r,
            "/features/1/geometry",
            &["polygon 0, ring 0 is not closed"],
        );
        assert_problem(&r, "/features/2/geometry", &["is not a valid polygon"]);
        assert_problem(&r, "/features/3/geometry", &["is not a valid polygon"]);
        assert_problem(
            &r,
            "/features/4/geometry",
            &["Point", "Polygon or MultiPolygon"],
        );
        assert_nothing_written(&svc, &r, 0, b).await;

        let r = run(&svc, Layer::Areas, json(&doc), ImportMode::SkipInvalid)
            .await
            .report;
        assert_eq!((r.inserted, r.rejected), (1, 4), "{b}");
        let areas = svc.store().areas().await.unwrap();
        assert_eq!(areas.len(), 1, "{b}");
        assert_eq!(
            (areas[0].data.code.as_str(), areas[0].data.population),
            ("ok-1", Some(1200)),
            "{b}"
        );
        // What was stored reads back: a restart works.
        let reopened = Service::open(db.store().await, Zone::default())
            .await
            .unwrap();
        assert_eq!(reopened.snapshot().areas.areas(), areas.as_slice(), "{b}");
        drop((svc, reopened));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn areas_from_a_csv_with_wkt_geometry() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let poly = "POLYGON((106.7 10.7,106.71 10.7,106.71 10.71,106.7 10.71,106.7 10.7))";
        let multi = "MULTIPOLYGON(((106.8 10.8,106.81 10.8,106.81 10.81,106.8 10.8)),((106.9 10.9,106.91 10.9,106.91 10.91,106.9 10.9)))";
        let geojson_cell = r#"{""type"":""Polygon"",""coordinates"":[[[106.6,10.6],[106.61,10.6],[106.61,10.61],[106.6,10.6]]]}"#;
        let text = format!(
            "Mã,Tên,Loại,Dân số,WKT\n\
             ward-x,Phường X,Phường,12000,\"{poly}\"\n\
             district-y,Quận Y,quận,,\"{multi}\"\n\
             complex-z,Bến xe Miền Đông,dia ban phuc tap,15000.0,\"{geojson_cell}\"\n"
        );
        let r = all_or_nothing(&svc, Layer::Areas, csv(&text)).await;
        assert!(r.committed, "{b}: {:?}", messages(&r));
        assert_eq!(r.inserted, 3, "{b}");
        let areas = svc.store().areas().await.unwrap();
        let got: Vec<(&str, &str, AreaKind, Option<u64>)> = areas
            .iter()
            .map(|a| {
                (
                    a.data.code.as_str(),
                    a.data.name.as_str(),
                    a.data.kind,
                    a.data.population,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("ward-x", "Phường X", AreaKind::Ward, Some(12_000)),
                ("district-y", "Quận Y", AreaKind::District, None),
                (
                    "complex-z",
                    "Bến xe Miền Đông",
                    AreaKind::ComplexArea,
                    Some(15_000)
                ),
            ],
            "{b}"
        );
        assert_eq!(
            areas[0].data.geometry,
            AreaGeometry::from_text(poly).unwrap(),
            "{b}"
        );
        assert_eq!(
            areas[1].data.geometry,
            AreaGeometry::from_text(multi).unwrap(),
            "{b}"
        );
        assert_eq!(areas[1].data.geometry.multi_polygon().0.len(), 2, "{b}");
        // The snapshot's area layer answers point-in-polygon over what was imported.
        let snap = svc.snapshot();
        let inside: Vec<&str> = snap
            .areas
            .containing(106.705, 10.705)
            .map(|a| a.data.code.as_str())
            .collect();
        assert_eq!(inside, vec!["ward-x"], "{b}");

        // Bad WKT, a bad kind, a bad code and a fractional population, all on one line.
        let bad =
            "code,name,kind,population,geometry\nbad code,X,city,12.5,\"POLYGON((1 2, 3 4\"\n";
        let r = all_or_nothing(&svc, Layer::Areas, csv(bad)).await;
        assert_eq!(r.errors.len(), 4, "{b}: {:?}", messages(&r));
        assert_problem(&r, "line 2, column geometry", &["neither GeoJSON nor WKT"]);
        assert_problem(&r, "line 2, column kind", &["city"]);
        assert_problem(&r, "line 2, column code", &["bad code"]);
        assert_problem(&r, "line 2, column population", &["12.5"]);
        // Re-importing: codes already stored are left alone.
        let r = all_or_nothing(&svc, Layer::Areas, csv(&text)).await;
        assert_eq!(
            (r.inserted, r.already_present, r.data_version),
            (0, 3, 1),
            "{b}"
        );
        drop(svc);
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// Time zones
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn times_without_an_offset_are_in_the_committee_zone() {
    for db in TestDb::all().await {
        let b = db.backend;
        let svc = db.service().await;
        let text = "external_id,occurred_at,category,lon,lat\n\
                    T-local,2024-12-31 23:30,theft,106.7,10.77\n\
                    T-local-t,2024-12-31T23:30,theft,106.7,10.77\n\
                    T-utc,2024-12-31T23:30:00Z,theft,106.7,10.77\n\
                    T-offset,2024-12-31T23:30:00+07:00,theft,106.7,10.77\n\
                    T-date,2025-01-01,theft,106.7,10.77\n";
        ok(&svc, Layer::Incidents, csv(text)).await;
        let stored = stored_incidents(svc.store()).await;
        let at = |ext: &str| by_external_id(&stored, ext).data.occurred_at;
        assert_eq!(at("T-local"), instant("2024-12-31T16:30:00Z"), "{b}");
        assert_eq!(at("T-local-t"), instant("2024-12-31T16:30:00Z"), "{b}");
        assert_eq!(at("T-utc"), instant("2024-12-31T23:30:00Z"), "{b}");
        assert_eq!(at("T-offset"), instant("2024-12-31T16:30:00Z"), "{b}");
        assert_eq!(at("T-date"), instant("2024-12-31T17:00:00Z"), "{b}");
        drop(svc);

        // Another committee zone changes what a local time means, not what an offset means.
        let paris = Service::open(db.store().await, Zone::new("Europe/Paris").unwrap())
            .await
            .unwrap();
        let text = "external_id,occurred_at,category,lon,lat\n\
                    P-local,2024-07-01 12:00,theft,2.35,48.85\n\
                    P-utc,2024-07-01T12:00:00Z,theft,2.35,48.85\n";
        ok(&paris, Layer::Incidents, csv(text)).await;
        let stored = stored_incidents(paris.store()).await;
        assert_eq!(
            by_external_id(&stored, "P-local").data.occurred_at,
            instant("2024-07-01T10:00:00Z"),
            "{b}"
        );
        assert_eq!(
            by_external_id(&stored, "P-utc").data.occurred_at,
            instant("2024-07-01T12:00:00Z"),
            "{b}"
        );
        drop(paris);
        db.cleanup().await;
    }
}
