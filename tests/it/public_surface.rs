//! The whole anonymous surface, enumerated from the OpenAPI document (issue 18, plan §6):
//! for every GET operation, anonymous requests are built from its declared parameters
//! (every enum value, `res` 5…9, each month and quarter of 2024, the year and all time, one
//! category, one class, a ward, a box; path parameters from the sample), and every answer
//! is checked:
//! - statuses are only 200, 304, 400, 401 or 422, and viewer-only operations answer 401;
//! - a 200 body has no position equal (at 6 decimals) to an incident's, no `count`,
//!   `incidents`, element of `counts` or `top_categories[].count` equal to 1 or 2, no string
//!   outside the `diemnong` provenance member holding a time of day, and no `record_key`.
//!
//! A GET path the test does not know, or a parameter it cannot fill, fails the test: a new
//! endpoint or parameter is either covered here or listed with the reason it needs none.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeSet;

use common::attack::{self, month_q, quarter_q, time_of_day, truth, year_q};
use serde_json::Value;

/// Who may call a GET path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anonymous callers are answered (analysis with `--public-aggregates`, or data with no
    /// incident numbers): the bodies are checked.
    Open,
    /// A token is needed: every anonymous request is 401.
    Viewer,
}

/// Every GET path of the document, and why it is open or closed.
const KNOWN: &[(&str, Access, &str)] = &[
    ("/healthz", Access::Open, "service health: no incident data"),
    ("/api/v1/", Access::Open, "the landing document: links"),
    (
        "/api/v1/openapi.json",
        Access::Open,
        "this document: no incident data",
    ),
    (
        "/api/v1/extent",
        Access::Open,
        "whole months and a 0.01° box for anonymous callers, no count",
    ),
    (
        "/api/v1/session",
        Access::Open,
        "who is signed in: nobody, for an anonymous caller",
    ),
    (
        "/api/v1/catalogue",
        Access::Open,
        "categories, classes and harm weights: no incident numbers",
    ),
    ("/api/v1/areas", Access::Open, "area outlines and names"),
    ("/api/v1/areas/{code}", Access::Open, "one area"),
    ("/api/v1/density", Access::Open, "published counts"),
    ("/api/v1/hotspots", Access::Open, "Gi* of published counts"),
    (
        "/api/v1/hotspots/zones",
        Access::Open,
        "zones of public Gi*, sums of published counts",
    ),
    (
        "/api/v1/hotspots/emerging",
        Access::Open,
        "cubes of published cell-slices",
    ),
    (
        "/api/v1/outliers",
        Access::Open,
        "Moran's I of published counts",
    ),
    (
        "/api/v1/kde",
        Access::Open,
        "kernel sums of published counts at cell centres",
    ),
    ("/api/v1/clusters", Access::Open, "clusters as H3 cells"),
    (
        "/api/v1/incidents",
        Access::Viewer,
        "the incidents themselves",
    ),
    ("/api/v1/cameras", Access::Viewer, "a viewer layer"),
    ("/api/v1/models", Access::Viewer, "a viewer layer"),
    (
        "/api/v1/areas/{code}/history",
        Access::Viewer,
        "the programme's workflow",
    ),
    (
        "/api/v1/areas/{code}/kpis",
        Access::Viewer,
        "exact counts of an area",
    ),
    (
        "/api/v1/programme/{year}/areas",
        Access::Viewer,
        "the programme overview: exact counts",
    ),
    (
        "/api/v1/report",
        Access::Viewer,
        "the yearly report: exact counts",
    ),
    ("/api/v1/tokens", Access::Viewer, "token management (admin)"),
];

/// A ward of the sample, for `area` and `{code}`.
const WARD: &str = "ward-q1-01";

/// The values tried for each query parameter that is not an enum or a boolean (those try
/// every value). An empty list is a parameter known and deliberately left at its default,
/// with the reason beside it.
fn values(name: &str) -> Option<Vec<String>> {
    let v = |xs: &[&str]| Some(xs.iter().map(|s| (*s).to_owned()).collect());
    match name {
        "res" => Some(
            (5..=attack::PUBLIC_MAX_RES)
                .map(|r| r.to_string())
                .collect(),
        ),
        "category" => v(&["theft"]),
        "severity" => v(&["serious"]),
        "area" => v(&[WARD]),
        "bbox" => v(&["106.66,10.74,106.72,10.79"]),
        "k" | "min_bin" => v(&["1", "3"]),
        "time_k" => v(&["0", "2"]),
        "eps_m" => v(&["100", "250"]),
        "min_points" => v(&["3", "10"]),
        "bandwidth_m" => v(&["250", "800"]),
        "permutations" => v(&["99"]),
        "seed" => v(&["7"]),
        "kind" => v(&["ward", "complex_area"]),
        "limit" => v(&["5"]),
        "year" => v(&["2024"]),
        // An opaque position handed out in a `next` link: nothing to build it from.
        "cursor" => v(&[]),
        _ => None,
    }
}

/// The anonymous time ranges: each month and quarter of 2024, the year, and all time.
fn periods() -> Vec<String> {
    let mut v: Vec<String> = (1..=12).map(|m| month_q(2024, m)).collect();
    v.extend((1..=4).map(|q| quarter_q(2024, q)));
    v.push(year_q(2024));
    v.push(String::new());
    v
}

/// Parameters every request of a path carries unless it varies them: one month for an
/// analysis (all time is one of the period variants; the other variants need not each
/// recompute all of it), and the cheapest permutation count (999 would only cost time).
fn base(path: &str, analysis: bool) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if analysis {
        v = serde_urlencoded::from_str(&month_q(2024, 3)).unwrap();
    }
    if path == "/api/v1/outliers" {
        v.push(("permutations".into(), "99".into()));
    }
    v
}

/// A `$ref`'s target in the document.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => {
            let mut at = doc;
            for part in r.trim_start_matches("#/").split('/') {
                at = &at[part];
            }
            at
        }
        None => v,
    }
}

/// The enum values and whether the type is boolean, anywhere in a parameter's schema.
fn enum_values(doc: &Value, schema: &Value, out: &mut BTreeSet<String>, boolean: &mut bool) {
    let s = resolve(doc, schema);
    if let Some(e) = s["enum"].as_array() {
        out.extend(e.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    let is_bool = |t: &Value| t == "boolean";
    if is_bool(&s["type"]) || s["type"].as_array().is_some_and(|a| a.iter().any(is_bool)) {
        *boolean = true;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for sub in s[key].as_array().into_iter().flatten() {
            enum_values(doc, sub, out, boolean);
        }
    }
}

/// The requests (path and query) an operation's parameters give, or why it cannot be filled.
fn requests(doc: &Value, path: &str, op: &Value) -> Result<Vec<String>, String> {
    let mut filled = path.to_owned();
    let mut variants: Vec<Vec<(String, String)>> = Vec::new();
    let mut has_period = false;
    for p in op["parameters"].as_array().into_iter().flatten() {
        let p = resolve(doc, p);
        let name = p["name"].as_str().unwrap();
        match p["in"].as_str() {
            Some("path") => {
                let value = match name {
                    "code" => WARD,
                    "year" => "2024",
                    _ => return Err(format!("path parameter {{{name}}}")),
                };
                filled = filled.replace(&format!("{{{name}}}"), value);
            }
            Some("query") => {
                if name == "from" || name == "to" {
                    has_period = true;
                    continue;
                }
                let (mut enums, mut boolean) = (BTreeSet::new(), false);
                enum_values(doc, &p["schema"], &mut enums, &mut boolean);
                let vals: Vec<String> = if !enums.is_empty() {
                    enums.into_iter().collect()
                } else if boolean {
                    vec!["true".into(), "false".into()]
                } else {
                    values(name).ok_or_else(|| format!("query parameter {name:?}"))?
                };
                variants.extend(vals.into_iter().map(|v| vec![(name.to_owned(), v)]));
            }
            other => return Err(format!("parameter {name:?} in {other:?}")),
        }
    }
    let analysis = has_period
        && op["tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "analysis"));
    if filled.contains('{') {
        return Err(format!("{filled}: a path parameter is not declared"));
    }
    if has_period {
        for q in periods() {
            // All time: no from or to (an empty value keeps the base month out).
            let q = if q.is_empty() {
                "from=&to=".to_owned()
            } else {
                q
            };
            variants.push(serde_urlencoded::from_str::<Vec<(String, String)>>(&q).unwrap());
        }
        if path.starts_with("/api/v1/density") || path.starts_with("/api/v1/hotspots") {
            // A few combinations of the filters, as the map page sends them.
            let with = |q: String, more: &[(&str, &str)]| {
                let mut v = serde_urlencoded::from_str::<Vec<(String, String)>>(&q).unwrap();
                v.extend(more.iter().map(|(k, x)| ((*k).to_owned(), (*x).to_owned())));
                v
            };
            variants.push(with(
                month_q(2024, 3),
                &[("category", "theft"), ("res", "8")],
            ));
            variants.push(with(
                quarter_q(2024, 2),
                &[
                    ("severity", "serious"),
                    ("bbox", "106.66,10.74,106.72,10.79"),
                ],
            ));
            variants.push(with(
                year_q(2024),
                &[("area", WARD), ("category", "snatching")],
            ));
        }
    }
    let mut out = vec![Vec::new()];
    out.extend(variants);
    Ok(out
        .into_iter()
        .map(|mut v| {
            for (k, x) in base(path, analysis) {
                if !v.iter().any(|(name, _)| *name == k) {
                    v.push((k, x));
                }
            }
            v.retain(|(_, x)| !x.is_empty());
            if v.is_empty() {
                filled.clone()
            } else {
                format!("{filled}?{}", serde_urlencoded::to_string(&v).unwrap())
            }
        })
        .collect())
}

/// What is wrong with a body: (where, what kind, the detail).
struct Findings {
    issues: Vec<(String, &'static str, String)>,
}

/// The kinds of finding.
const POSITION: &str = "an incident's position";
const SMALL: &str = "a count of 1 or 2";
const TIME: &str = "a time of day";
const KEY: &str = "a record key";

impl Findings {
    fn push(&mut self, at: &str, kind: &'static str, detail: String) {
        self.issues.push((at.to_owned(), kind, detail));
    }

    fn position(&mut self, at: &str, x: &Value, y: &Value) {
        if let (Some(x), Some(y)) = (x.as_f64(), y.as_f64())
            && truth().is_incident_position(x, y)
        {
            self.push(at, POSITION, format!("({x}, {y})"));
        }
    }

    fn small(&mut self, at: &str, v: &Value) {
        if v.as_u64().is_some_and(|n| (1..=2).contains(&n)) {
            self.push(at, SMALL, v.to_string());
        }
    }

    fn walk(&mut self, at: &str, v: &Value, provenance: bool) {
        match v {
            Value::Object(m) => {
                if let (Some(x), Some(y)) = (m.get("lon"), m.get("lat")) {
                    self.position(at, x, y);
                }
                for (k, x) in m {
                    let here = format!("{at}.{k}");
                    if k == "record_key" {
                        self.push(&here, KEY, String::new());
                    }
                    if k == "count" || k == "incidents" {
                        self.small(&here, x);
                    }
                    if k == "counts" {
                        for (i, n) in x.as_array().into_iter().flatten().enumerate() {
                            self.small(&format!("{here}[{i}]"), n);
                        }
                    }
                    self.walk(&here, x, provenance || (at.is_empty() && k == "diemnong"));
                }
            }
            Value::Array(a) => {
                // Positions, and boxes (min and max corners), are pairs of numbers.
                if a.len() >= 2 && a.iter().all(Value::is_number) {
                    for pair in a.chunks_exact(2) {
                        self.position(at, &pair[0], &pair[1]);
                    }
                }
                for (i, x) in a.iter().enumerate() {
                    self.walk(&format!("{at}[{i}]"), x, provenance);
                }
            }
            // OGC API Features' `timeStamp` of a collection is when the answer was made,
            // as the provenance's `computed_at`: not a time of the data.
            Value::String(s) if !provenance && at != ".timeStamp" && time_of_day(s) => {
                self.push(at, TIME, format!("{s:?}"));
            }
            _ => {}
        }
    }

    /// A CSV body: the same rules on its columns.
    fn csv(&mut self, text: &str) {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let headers = rdr.headers().unwrap().clone();
        let col = |n: &str| headers.iter().position(|h| h == n);
        if col("record_key").is_some() {
            self.push("header", KEY, String::new());
        }
        let counted: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| *h == "count" || *h == "incidents")
            .map(|(i, _)| i)
            .collect();
        for (r, row) in rdr.records().enumerate() {
            let row = row.unwrap();
            for i in &counted {
                if row[*i] == *"1" || row[*i] == *"2" {
                    self.push(
                        &format!("row {r}.{}", &headers[*i]),
                        SMALL,
                        row[*i].to_owned(),
                    );
                }
            }
            if let (Some(x), Some(y)) = (col("lon"), col("lat"))
                && let (Ok(x), Ok(y)) = (row[x].parse::<f64>(), row[y].parse::<f64>())
                && truth().is_incident_position(x, y)
            {
                self.push(&format!("row {r}"), POSITION, format!("({x}, {y})"));
            }
            for field in &row {
                if time_of_day(field) {
                    self.push(&format!("row {r}"), TIME, format!("{field:?}"));
                }
            }
        }
    }
}

/// The property: every anonymous answer of every GET operation keeps the public promise.
#[tokio::test]
async fn every_anonymous_answer_keeps_the_public_promise() {
    for s in attack::samples().await {
        let api = s.api();
        let doc = api.get("/api/v1/openapi.json", None).await.ok(200);
        let paths = doc["paths"].as_object().unwrap();
        let gets: BTreeSet<&str> = paths
            .iter()
            .filter(|(_, item)| item.get("get").is_some())
            .map(|(p, _)| p.as_str())
            .collect();
        let known: BTreeSet<&str> = KNOWN.iter().map(|(p, ..)| *p).collect();
        let unknown: Vec<&&str> = gets.difference(&known).collect();
        assert!(
            unknown.is_empty(),
            "GET paths this test does not know (cover them in KNOWN, with why): {unknown:?}"
        );
        let gone: Vec<&&str> = known.difference(&gets).collect();
        assert!(
            gone.is_empty(),
            "KNOWN lists paths the document no longer has: {gone:?}"
        );

        let mut problems: Vec<String> = Vec::new();
        let mut by_kind: std::collections::BTreeMap<String, usize> =
            std::collections::BTreeMap::new();
        let (mut sent, mut ok) = (0usize, 0usize);
        for (path, access, why) in KNOWN {
            let op = &paths[*path]["get"];
            let urls = requests(&doc, path, op)
                .unwrap_or_else(|what| panic!("{path} ({why}): the test cannot fill {what}"));
            for (i, url) in urls.into_iter().enumerate() {
                let r = api.get(&url, None).await;
                sent += 1;
                let status = r.status;
                if !matches!(status, 200 | 304 | 400 | 401 | 422) {
                    problems.push(format!("{url}: status {status}: {}", r.text()));
                    continue;
                }
                if *access == Access::Viewer {
                    if status != 401 {
                        problems.push(format!("{url} ({why}): {status} anonymously, not 401"));
                    }
                    continue;
                }
                if status != 200 {
                    // The base request of an open path is answered: the surface was
                    // exercised, not refused wholesale.
                    if i == 0 {
                        problems.push(format!("{url} ({why}): {status} anonymously"));
                    }
                    continue;
                }
                ok += 1;
                let mut found = Findings { issues: Vec::new() };
                let ct = r.content_type().to_owned();
                if ct.starts_with("text/csv") {
                    found.csv(&r.text());
                } else if ct.contains("json") {
                    found.walk("", &r.json(), false);
                }
                for (at, kind, detail) in found.issues {
                    // Grouped by endpoint, member (indices and rows dropped) and kind.
                    let member: String = at
                        .split('[')
                        .map(|p| p.split_once(']').map_or(p, |(_, rest)| rest))
                        .collect::<Vec<_>>()
                        .join("[]");
                    let member = if member.starts_with("row ") {
                        "row".into()
                    } else {
                        member
                    };
                    *by_kind
                        .entry(format!("{path} {member}: {kind}"))
                        .or_insert(0usize) += 1;
                    problems.push(format!("{url}: {at}: {kind}: {detail}"));
                }
            }
        }
        eprintln!(
            "{}: {sent} anonymous requests over {} GET paths, {ok} answered 200",
            s.backend,
            KNOWN.len()
        );
        assert!(
            problems.is_empty(),
            "{}: {} problems, by kind:\n{}\nthe first:\n{}",
            s.backend,
            problems.len(),
            by_kind
                .iter()
                .map(|(k, n)| format!("{n:>6} {k}"))
                .collect::<Vec<_>>()
                .join("\n"),
            problems
                .iter()
                .take(25)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// The time-of-day rule reads times as a person would: dates and local midnights are not
/// times of day; anything else with a clock time is.
#[test]
fn time_of_day_is_recognised() {
    for s in [
        "2024-03-05T07:43:00+07:00",
        "2024-03-05T00:43:00Z",
        "2024-03-05T07:43:00",
        "07:43",
        "08:20:00",
    ] {
        assert!(time_of_day(s), "{s} holds a time of day");
    }
    for s in [
        "2024-03-01",
        "2024-03-01T00:00:00+07:00",
        "2024-02-29T17:00:00Z",
        "2024-03-01T00:00:00",
        "theft",
        "ward-q1-01",
        "10:1",
    ] {
        assert!(!time_of_day(s), "{s} holds no time of day");
    }
}
