//! The yearly report (`GET /api/v1/report`), on SQLite and PostgreSQL: HTML in both
//! languages with every text escaped, the same content as CSV, and the page printed to PDF
//! by Debian's headless Chromium: every area's name is in the PDF's text, table headers
//! repeat on every page, and no table row is split across pages (each row's first cell and
//! the end of its last cell are on the same page, read per page with `pdftotext`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
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

#[tokio::test]
async fn report_in_html_and_csv_has_every_area_escaped() {
    for db in TestDb::all().await {
        let b = db.backend;
        let service = db.service().await;
        let t = tokens(&service).await;
        let api = server(&service).await;
        let notes = fixture(&service, &api, &t.editor).await;
        api.get("/api/v1/report?year=2024", None).await.problem(401);
        for (q, param) in [
            ("year=2024&lang=fr", "lang"),
            ("year=2024&format=pdf", "format"),
            ("year=3000", "year"),
        ] {
            let p = api
                .get(&format!("/api/v1/report?{q}"), Some(&t.viewer))
                .await
                .problem(400);
            assert_eq!(p["parameter"], param);
        }

        let r = api.get("/api/v1/report?year=2024", Some(&t.viewer)).await;
        assert_eq!(r.status, 200, "{b}: {}", r.text());
        assert!(
            r.header(reqwest::header::CONTENT_TYPE)
                .starts_with("text/html")
        );
        assert!(
            r.header(reqwest::header::CONTENT_SECURITY_POLICY)
                .contains("default-src 'none'")
        );
        let html = r.text();
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
        for (_, id, _) in &notes {
            assert!(html.contains(&format!("<td>#{id}</td>")), "{b}: event {id}");
        }
        let en = api
            .get("/api/v1/report?year=2024&lang=en", Some(&t.viewer))
            .await
            .text();
        assert!(
            en.contains("<html lang=\"en\">")
                && en.contains("annual report")
                && en.contains("Not converted")
        );
        assert!(en.contains(&name(5)));

        // CSV: the same content.
        let r = api
            .get("/api/v1/report?year=2024&format=csv", Some(&t.viewer))
            .await;
        assert_eq!(r.status, 200);
        assert!(
            r.header(reqwest::header::CONTENT_TYPE)
                .starts_with("text/csv")
        );
        let text = r.text();
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
        assert!(
            text.contains(INJECTION.replace('"', "\"\"").as_str()),
            "{b}: CSV keeps the note as written"
        );
        let formula = records
            .iter()
            .find(|r| &r[0] == "history" && r[11].contains("HYPERLINK"))
            .unwrap();
        assert!(formula[11].starts_with("'="), "{b}: {:?}", &formula[11]);
        db.cleanup().await;
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
        if started.elapsed() > Duration::from_secs(180) {
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

#[tokio::test]
async fn report_prints_to_a4_with_every_area_and_no_split_row() {
    for db in TestDb::all().await {
        let b = db.backend;
        let service = db.service().await;
        let t = tokens(&service).await;
        let api = server(&service).await;
        let notes = fixture(&service, &api, &t.editor).await;
        let html = api.get("/api/v1/report?year=2024", Some(&t.viewer)).await;
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
        // A4 is 595 × 842 points; pdfinfo names it.
        assert!(
            info.lines()
                .any(|l| l.starts_with("Page size:") && l.ends_with("(A4)")),
            "{b}: not A4:\n{info}"
        );
        // The summary, then one page or more per area.
        assert!(pages > AREAS, "{b}: {pages} pages");
        let texts: Vec<String> = (1..=pages).map(|p| pdftotext(&pdf, p)).collect();
        let flat: Vec<String> = texts.iter().map(|t| words(t)).collect();
        let all = flat.join(" ");
        let tokens_of: Vec<Vec<&str>> = texts
            .iter()
            .map(|t| t.split_whitespace().collect())
            .collect();
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

        // Every area's name is in the text.
        for i in 0..AREAS {
            assert!(all.contains(&name(i)), "{b}: the PDF lacks {:?}", name(i));
        }
        // Summary rows: code (first cell) and unit marker (end of the last cell) together;
        // the header repeats on every page the table reaches.
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
        // History rows: "#id" (first cell) and the note's start and end markers together.
        for (i, id, j) in &notes {
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
        db.cleanup().await;
    }
}
