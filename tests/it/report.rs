//! The yearly report (`GET /api/v1/report`), on SQLite and PostgreSQL: HTML in both
//! languages with every text escaped, the same content as CSV, and the page printed to PDF
//! by Debian's headless Chromium: every area's name is in the PDF's text, table headers
//! repeat on every page, and no table row is split across pages (each row's first cell and
//! the end of its last cell are on the same page, read per page with `pdftotext`).
//! The fixture is built once per backend and shared, as the tests only read it, and the
//! report is printed once per backend for the tests of the PDF.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestDb;
use common::api::Api;
use common::fixtures::{import_areas, import_incidents, server, square, tokens};
use diemnong::service::Service;
use serde_json::json;

const AREAS: usize = 30;

fn code(i: usize) -> String {
    format!("dbpt_{i:02}")
}

fn name(i: usize) -> String {
    format!("Địa bàn phức tạp số {i:02} khu vực chợ Bến Thành – phường Bến Nghé")
}

/// Last cell of an area's summary row: ends with a marker.
fn unit(i: usize) -> String {
    format!("Công an phường số {i} và tổ công tác chuyển hóa liên ngành U{i:02}END")
}

/// A note long enough to wrap over several lines, starting and ending with markers.
fn note(i: usize, j: usize) -> String {
    format!(
        "N{i:02}x{j}START Tổ công tác đã rà soát các tụ điểm, phối hợp với mặt trận và các đoàn thể \
         tuyên truyền, vận động nhân dân tham gia phòng ngừa tội phạm; lập hồ sơ, đưa các đối tượng \
         vào diện quản lý theo quy định, đề xuất xử lý nghiêm các hành vi vi phạm Z{i:02}x{j}END"
    )
}

const INJECTION: &str = "<script>alert('x')</script> & \"trích dẫn\"";
const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"bấm\")";

/// Areas, a few incidents, designations and histories. Returns (area index, event id,
/// note markers) for every note written.
#[expect(
    clippy::cast_precision_loss,
    reason = "a handful of areas, exact in f64"
)]
async fn fixture(service: &Service, api: &Api, editor: &str) -> Vec<(usize, i64, usize)> {
    let mut areas = Vec::new();
    for i in 0..AREAS {
        #[expect(clippy::cast_precision_loss, reason = "small numbers")]
        let (x, y) = (
            106.60 + (i % 6) as f64 * 0.01,
            10.70 + (i / 6) as f64 * 0.01,
        );
        areas.push(square(
            &code(i),
            &name(i),
            "complex_area",
            x,
            y,
            0.005,
            (i % 3 != 0).then_some(1000 * (i as u64 + 1)),
        ));
    }
    import_areas(service, areas).await;
    let mut rows = Vec::new();
    for i in 0..AREAS {
        #[expect(clippy::cast_precision_loss, reason = "small numbers")]
        let (x, y) = (
            106.6025 + (i % 6) as f64 * 0.01,
            10.7025 + (i / 6) as f64 * 0.01,
        );
        for n in 0..(i % 4) {
            rows.push(format!(
                "R{i}-{n},2024-0{}-10 10:00,theft,serious,{},{x},{y}",
                n + 1,
                n % 2 == 0
            ));
            rows.push(format!(
                "Q{i}-{n},2023-0{}-10 10:00,theft,very_serious,true,{x},{y}",
                n + 2
            ));
        }
    }
    import_incidents(service, &rows).await;
    let mut notes = Vec::new();
    for i in 0..AREAS {
        api.designate(
            editor,
            &code(i),
            2024,
            json!({"unit": unit(i), "categories": ["theft", "drugs"], "reasons": ["Tụ điểm ma túy, cờ bạc", "Trộm cắp tài sản kéo dài"]}),
        )
        .await;
        let steps: &[&str] = match i % 3 {
            0 => &["in_progress", "converted"],
            1 => &["in_progress", "not_converted"],
            _ => &["in_progress"],
        };
        for (j, to) in steps.iter().enumerate() {
            let text = match (i, j) {
                (1, 0) => format!("{} {INJECTION} {}", note(i, j), note(i, 9)),
                (2, 0) => FORMULA.to_owned(),
                _ => note(i, j),
            };
            let v = api
                .post(
                    &format!("/api/v1/areas/{}/transitions", code(i)),
                    Some(editor),
                    &json!({"year": 2024, "to": to, "note": text, "evidence": [format!("https://example.org/bien-ban/{i}/{j}.pdf")]}),
                )
                .await
                .ok(200);
            if (i, j) != (2, 0) {
                notes.push((i, v["event"]["id"].as_i64().unwrap(), j));
            }
        }
    }
    // One area with a long history (target edits, each with a long note), so that its
    // history table runs over several pages.
    for j in 1..=24_usize {
        let v = api
            .patch(
                &format!("/api/v1/areas/{}/designations/2024", code(5)),
                Some(editor),
                &json!({"targets": {"case_change_pct": -5.0 - j as f64}, "note": note(5, 10 + j)}),
            )
            .await
            .ok(200);
        notes.push((5, v["event"]["id"].as_i64().unwrap(), 10 + j));
    }
    notes
}

/// The fixture on one backend behind a server, built once and shared by the tests here (they
/// only read it), with the notes written and, once a test asks, the report printed to PDF.
struct Report {
    backend: &'static str,
    base: String,
    viewer: String,
    notes: Vec<(usize, i64, usize)>,
    printed: tokio::sync::OnceCell<Printed>,
    _db: TestDb,
    _service: Arc<Service>,
}

async fn build(db: TestDb) -> Report {
    let service = db.service().await;
    let t = tokens(&service).await;
    let api = server(&service).await;
    let notes = fixture(&service, &api, &t.editor).await;
    Report {
        backend: db.backend,
        base: api.base.clone(),
        viewer: t.viewer,
        notes,
        printed: tokio::sync::OnceCell::new(),
        _db: db,
        _service: service,
    }
}

/// The shared report fixture on every backend available.
async fn reports() -> Vec<&'static Report> {
    static SQLITE: tokio::sync::OnceCell<Report> = tokio::sync::OnceCell::const_new();
    static POSTGRES: tokio::sync::OnceCell<Option<Report>> = tokio::sync::OnceCell::const_new();
    let mut v = vec![common::shared(&SQLITE, || build(common::shared_sqlite("report"))).await];
    let pg = common::shared(&POSTGRES, || async {
        match common::shared_postgres("report").await {
            Some(db) => Some(build(db).await),
            None => None,
        }
    })
    .await;
    match pg {
        Some(pg) => v.push(pg),
        None => eprintln!(
            "note: {} is unset; PostgreSQL half of this test skipped",
            common::PG_ENV
        ),
    }
    v
}

#[tokio::test]
async fn report_needs_a_viewer_and_names_a_bad_parameter() {
    for r in reports().await {
        let (api, b) = (Api::new(r.base.clone()), r.backend);
        api.get("/api/v1/report?year=2024", None).await.problem(401);
        for (q, param) in [
            ("year=2024&lang=fr", "lang"),
            ("year=2024&format=pdf", "format"),
            ("year=3000", "year"),
        ] {
            let p = api
                .get(&format!("/api/v1/report?{q}"), Some(&r.viewer))
                .await
                .problem(400);
            assert_eq!(p["parameter"], param, "{b}");
        }
    }
}

#[tokio::test]
async fn report_html_in_vietnamese_has_every_area_and_event_with_notes_escaped() {
    for r in reports().await {
        let (api, b) = (Api::new(r.base.clone()), r.backend);
        let resp = api.get("/api/v1/report?year=2024", Some(&r.viewer)).await;
        assert_eq!(resp.status, 200, "{b}: {}", resp.text());
        assert!(
            resp.header(reqwest::header::CONTENT_TYPE)
                .starts_with("text/html")
        );
        assert!(
            resp.header(reqwest::header::CONTENT_SECURITY_POLICY)
                .contains("default-src 'none'")
        );
        let html = resp.text();
        for needle in [
            "@page { size: A4",
            "tr, th, td { break-inside: avoid",
            "thead { display: table-header-group; }",
            "<html lang=\"vi\">",
            "Báo cáo kết quả chuyển hóa",
        ] {
            assert!(html.contains(needle), "{b}: no {needle:?}");
        }
        for i in 0..AREAS {
            assert!(html.contains(&name(i)), "{b}: {} missing", name(i));
            assert!(html.contains(&unit(i)));
        }
        assert!(
            !html.contains("<script>"),
            "{b}: a note reached the page unescaped"
        );
        assert!(html.contains(
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;trích dẫn&quot;"
        ));
        assert!(
            html.contains("Đã chuyển hóa")
                && html.contains("Chưa chuyển hóa")
                && html.contains("Đang chuyển hóa")
        );
        for (_, id, _) in &r.notes {
            assert!(html.contains(&format!("<td>#{id}</td>")), "{b}: event {id}");
        }
    }
}

#[tokio::test]
async fn report_html_in_english() {
    for r in reports().await {
        let (api, b) = (Api::new(r.base.clone()), r.backend);
        let en = api
            .get("/api/v1/report?year=2024&lang=en", Some(&r.viewer))
            .await
            .text();
        assert!(
            en.contains("<html lang=\"en\">")
                && en.contains("annual report")
                && en.contains("Not converted")
        );
        assert!(en.contains(&name(5)), "{b}");
    }
}

/// CSV: the same content as the HTML.
#[tokio::test]
async fn report_csv_has_the_totals_and_every_area_s_status_kpis_and_history() {
    for r in reports().await {
        let (api, b) = (Api::new(r.base.clone()), r.backend);
        let resp = api
            .get("/api/v1/report?year=2024&format=csv", Some(&r.viewer))
            .await;
        assert_eq!(resp.status, 200);
        assert!(
            resp.header(reqwest::header::CONTENT_TYPE)
                .starts_with("text/csv")
        );
        let text = resp.text();
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(
            header[..5],
            ["section", "area_code", "area_name", "indicator", "value"]
        );
        let records: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        let get = |section: &str, code: &str, ind: &str| {
            records
                .iter()
                .find(|r| &r[0] == section && &r[1] == code && &r[3] == ind)
                .unwrap_or_else(|| panic!("no {section} {code} {ind}"))
                .clone()
        };
        assert_eq!(
            &get("totals", "", "designated")[4],
            AREAS.to_string().as_str()
        );
        let third = (AREAS / 3).to_string();
        assert_eq!(&get("totals", "", "converted")[4], third.as_str());
        assert_eq!(&get("totals", "", "not_converted")[4], third.as_str());
        assert_eq!(&get("totals", "", "in_progress")[4], third.as_str());
        assert_eq!(&get("totals", "", "conversion_rate")[4], "0.5");
        let mut histories: BTreeMap<String, usize> = BTreeMap::new();
        for r in records.iter().filter(|r| &r[0] == "history") {
            *histories.entry(r[1].to_owned()).or_default() += 1;
        }
        for i in 0..AREAS {
            assert_eq!(&get("area", &code(i), "status")[2], name(i).as_str());
            assert_eq!(&get("area", &code(i), "unit")[4], unit(i).as_str());
            // Area i has i % 4 incidents in 2024 (serious) and as many in 2023.
            assert_eq!(
                &get("kpi", &code(i), "incidents")[4],
                (i % 4).to_string().as_str()
            );
            let change = get("kpi", &code(i), "change_pct");
            assert_eq!(&change[4], if i % 4 == 0 { "n/a" } else { "0" }, "{b} {i}");
            let edits = if i == 5 { 24 } else { 0 };
            assert_eq!(histories[&code(i)], 1 + [2, 2, 1][i % 3] + edits, "{b} {i}");
        }
    }
}

#[tokio::test]
async fn report_csv_keeps_notes_as_written_and_defuses_formulas() {
    for r in reports().await {
        let (api, b) = (Api::new(r.base.clone()), r.backend);
        let resp = api
            .get("/api/v1/report?year=2024&format=csv", Some(&r.viewer))
            .await;
        assert_eq!(resp.status, 200);
        assert!(
            resp.header(reqwest::header::CONTENT_TYPE)
                .starts_with("text/csv")
        );
        let text = resp.text();
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(
            header[..5],
            ["section", "area_code", "area_name", "indicator", "value"]
        );
        let records: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert!(
            text.contains(INJECTION.replace('"', "\"\"").as_str()),
            "{b}: CSV keeps the note as written"
        );
        let formula = records
            .iter()
            .find(|r| &r[0] == "history" && r[11].contains("HYPERLINK"))
            .unwrap();
        assert!(formula[11].starts_with("'="), "{b}: {:?}", &formula[11]);
    }
}

/// Runs a program with a deadline; fails with `install` when it is missing.
fn run(program: &str, args: &[&str], install: &str) -> std::process::Output {
    let child = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("{program} is not installed: {install} (scripts/test.sh installs it)")
        }
        Err(e) => panic!("running {program}: {e}"),
    };
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_mins(3) {
            let _ = child.kill();
            panic!("{program} {args:?} took more than 3 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn pdftotext(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    let out = run(
        "pdftotext",
        &[
            "-f",
            &p,
            "-l",
            &p,
            "-enc",
            "UTF-8",
            pdf.to_str().unwrap(),
            "-",
        ],
        "apt-get install -y poppler-utils",
    );
    String::from_utf8(out.stdout).unwrap()
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The report printed to PDF by headless Chromium, read back per page with `pdftotext`.
struct Printed {
    info: String,
    pages: usize,
    texts: Vec<String>,
}

/// Prints the report of `r` once, however many tests ask.
async fn printed(r: &Report) -> &Printed {
    r.printed
        .get_or_init(|| async {
            let api = Api::new(r.base.clone());
            let html = api.get("/api/v1/report?year=2024", Some(&r.viewer)).await;
            assert_eq!(html.status, 200);
            let dir = tempfile::tempdir().unwrap();
            let page = dir.path().join("report.html");
            let pdf = dir.path().join("report.pdf");
            std::fs::write(&page, &html.body).unwrap();
            let (page_s, pdf_s, profile) = (
                page.to_str().unwrap().to_owned(),
                pdf.to_str().unwrap().to_owned(),
                dir.path().join("profile").to_str().unwrap().to_owned(),
            );
            tokio::task::spawn_blocking(move || {
                run(
                    "chromium",
                    &[
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--no-first-run",
                        &format!("--user-data-dir={profile}"),
                        "--no-pdf-header-footer",
                        &format!("--print-to-pdf={pdf_s}"),
                        &format!("file://{page_s}"),
                    ],
                    "apt-get install -y chromium",
                )
            })
            .await
            .unwrap();
            let info = String::from_utf8(
                run(
                    "pdfinfo",
                    &[pdf.to_str().unwrap()],
                    "apt-get install -y poppler-utils",
                )
                .stdout,
            )
            .unwrap();
            let pages: usize = info
                .lines()
                .find_map(|l| l.strip_prefix("Pages:"))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let texts: Vec<String> = (1..=pages).map(|p| pdftotext(&pdf, p)).collect();
            Printed { info, pages, texts }
        })
        .await
}

/// The printed pages' words, flattened, and split into tokens.
fn page_words(p: &Printed) -> (Vec<String>, Vec<Vec<&str>>) {
    let flat: Vec<String> = p.texts.iter().map(|t| words(t)).collect();
    let tokens_of: Vec<Vec<&str>> = p
        .texts
        .iter()
        .map(|t| t.split_whitespace().collect())
        .collect();
    (flat, tokens_of)
}

/// A4 (595 × 842 points, which pdfinfo names), the summary, then one page or more per area.
#[tokio::test]
async fn report_prints_on_a4_with_more_pages_than_areas() {
    for r in reports().await {
        let b = r.backend;
        let p = printed(r).await;
        let (info, pages) = (&p.info, p.pages);
        assert!(
            info.lines()
                .any(|l| l.starts_with("Page size:") && l.ends_with("(A4)")),
            "{b}: not A4:\n{info}"
        );
        assert!(pages > AREAS, "{b}: {pages} pages");
    }
}

#[tokio::test]
async fn report_pdf_holds_every_area_s_name() {
    for r in reports().await {
        let b = r.backend;
        let p = printed(r).await;
        let (flat, _) = page_words(p);
        let all = flat.join(" ");
        for i in 0..AREAS {
            assert!(all.contains(&name(i)), "{b}: the PDF lacks {:?}", name(i));
        }
    }
}

/// Summary rows: code (first cell) and unit marker (end of the last cell) together; the
/// header repeats on every page the table reaches.
#[tokio::test]
async fn report_pdf_splits_no_summary_row_and_repeats_its_header() {
    for r in reports().await {
        let b = r.backend;
        let p = printed(r).await;
        let (flat, tokens_of) = page_words(p);
        let pages = p.pages;
        // First page whose words contain `needle` (a whole word when `word`).
        let page_of = |needle: &str, word: bool| -> usize {
            (0..pages)
                .find(|&p| {
                    if word {
                        tokens_of[p].contains(&needle)
                    } else {
                        flat[p].contains(needle)
                    }
                })
                .unwrap_or_else(|| panic!("{b}: {needle:?} is on no page"))
        };
        for i in 0..AREAS {
            let first = page_of(&code(i), true);
            let last = page_of(&format!("U{i:02}END"), false);
            assert_eq!(
                first,
                last,
                "{b}: summary row {i} split over pages {} and {}",
                first + 1,
                last + 1
            );
            assert!(
                flat[first].contains("Tên địa bàn"),
                "{b}: page {} has summary rows without the header",
                first + 1
            );
        }
    }
}

/// History rows: "#id" (first cell) and the note's start and end markers together.
#[tokio::test]
async fn report_pdf_splits_no_history_row_and_repeats_its_header() {
    for r in reports().await {
        let b = r.backend;
        let p = printed(r).await;
        let (flat, tokens_of) = page_words(p);
        let pages = p.pages;
        // First page whose words contain `needle` (a whole word when `word`).
        let page_of = |needle: &str, word: bool| -> usize {
            (0..pages)
                .find(|&p| {
                    if word {
                        tokens_of[p].contains(&needle)
                    } else {
                        flat[p].contains(needle)
                    }
                })
                .unwrap_or_else(|| panic!("{b}: {needle:?} is on no page"))
        };
        for (i, id, j) in &r.notes {
            let first = page_of(&format!("#{id}"), true);
            let start = page_of(&format!("N{i:02}x{j}START"), false);
            let end = page_of(&format!("Z{i:02}x{j}END"), false);
            assert!(
                first == start && start == end,
                "{b}: history row #{id} split over pages {} {} {}",
                first + 1,
                start + 1,
                end + 1
            );
            assert!(
                flat[first].contains("Ghi chú"),
                "{b}: page {} has history rows without the header",
                first + 1
            );
        }
    }
}
