//! The p-table (`diemnong::analysis::disclosure`) against an independent implementation of R
//! `ptable`'s `create_cnt_ptable(D, V, js)` in scipy (SLSQP, cross-checked by trust-constr),
//! `scripts/fixtures/make_ptable_fixtures.py`, on four parameter sets: ptable's example
//! D = 5, V = 3, js = 2 (our default), a variance close to the blocked rows' least (D = 3,
//! V = 2.5, js = 2), and two without a threshold (D = 2, V = 0.9; D = 4, V = 1).
//!
//! Same rows, targets and noise; `|p − p_ref| ≤ 1e-6` and `|p_int_ub − ub_ref| ≤ 2e-6`. The
//! tolerances are set by R ptable's own accuracy, not ours: its nloptr SLSQP stops at a
//! relative step of 1e-7, so R's table is itself only ~1e-7 accurate (plan of issue 18, risk
//! (e)); the scipy reference here agrees with our exact solver far more closely (the largest
//! difference is printed).

use crate::common;

use diemnong::analysis::disclosure::{PTable, PTableParams};
use diemnong::analysis::maxent::{PTABLE_FLOOR, max_entropy};
use serde_json::Value;

const CASES: [&str; 4] = ["D5_V3_js2", "D3_V2.5_js2", "D2_V0.9_js0", "D4_V1_js0"];

fn fixture(name: &str) -> Value {
    let path = common::repo_path(&format!("tests/fixtures/ptable/{name}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn params(doc: &Value) -> PTableParams {
    let p = &doc["params"];
    PTableParams {
        d: u32::try_from(p["D"].as_u64().unwrap()).unwrap(),
        v: p["V"].as_f64().unwrap(),
        js: u32::try_from(p["js"].as_u64().unwrap()).unwrap(),
    }
}

/// Our solver's unrounded p against the script's SLSQP p (`p_raw`), row by row: within the
/// script's own cross-check tolerance (1e-7; it found SLSQP and trust-constr within 1e-8).
fn compare_raw(doc: &Value, name: &str) -> f64 {
    let params = params(doc);
    let refs = doc["rows"].as_array().unwrap();
    let mut worst = 0.0_f64;
    let imax = doc["imax"].as_u64().unwrap();
    for i in 1..=imax {
        let row: Vec<&Value> = refs.iter().filter(|r| r["i"].as_u64() == Some(i)).collect();
        let v: Vec<i32> = row
            .iter()
            .map(|r| i32::try_from(r["v"].as_i64().unwrap()).unwrap())
            .collect();
        let p = max_entropy(&v, params.v, true, PTABLE_FLOOR).unwrap();
        for (ours, r) in p.iter().zip(&row) {
            let d = (ours - r["p_raw"].as_f64().unwrap()).abs();
            assert!(
                d <= 1e-7,
                "{name}: row {i}, v = {}: {ours} vs {}",
                r["v"],
                r["p_raw"]
            );
            worst = worst.max(d);
        }
    }
    worst
}

fn compare(name: &str) -> (f64, f64) {
    let doc = fixture(name);
    let table = PTable::build(params(&doc)).unwrap();
    assert_eq!(
        u64::from(table.imax()),
        doc["imax"].as_u64().unwrap(),
        "{name}: imax"
    );
    let refs = doc["rows"].as_array().unwrap();
    let ours: Vec<_> = table.rows().collect();
    assert_eq!(ours.len(), refs.len(), "{name}: number of entries");
    let mut worst = 0.0_f64;
    for ((i, e), r) in ours.into_iter().zip(refs) {
        let at = format!("{name}: i = {i}, j = {}", e.j);
        assert_eq!(u64::from(i), r["i"].as_u64().unwrap(), "{at}");
        assert_eq!(u64::from(e.j), r["j"].as_u64().unwrap(), "{at}");
        assert_eq!(i64::from(e.v), r["v"].as_i64().unwrap(), "{at}");
        let dp = (e.p - r["p"].as_f64().unwrap()).abs();
        let dub = (e.ub - r["p_int_ub"].as_f64().unwrap()).abs();
        let dlb = (e.lb - r["p_int_lb"].as_f64().unwrap()).abs();
        assert!(dp <= 1e-6, "{at}: p {} vs {}", e.p, r["p"]);
        assert!(dub <= 2e-6, "{at}: p_int_ub {} vs {}", e.ub, r["p_int_ub"]);
        assert!(dlb <= 2e-6, "{at}: p_int_lb {} vs {}", e.lb, r["p_int_lb"]);
        worst = worst.max(dp);
    }
    (worst, compare_raw(&doc, name))
}

#[test]
fn d5_v3_js2() {
    let (rounded, raw) = compare(CASES[0]);
    eprintln!("D5_V3_js2: max |Δp| {rounded:.2e} after rounding to 1e-8, {raw:.2e} unrounded");
}

#[test]
fn d3_v2_5_js2() {
    let (rounded, raw) = compare(CASES[1]);
    eprintln!("D3_V2.5_js2: max |Δp| {rounded:.2e} after rounding to 1e-8, {raw:.2e} unrounded");
}

#[test]
fn d2_v0_9_js0() {
    let (rounded, raw) = compare(CASES[2]);
    eprintln!("D2_V0.9_js0: max |Δp| {rounded:.2e} after rounding to 1e-8, {raw:.2e} unrounded");
}

#[test]
fn d4_v1_js0() {
    let (rounded, raw) = compare(CASES[3]);
    eprintln!("D4_V1_js0: max |Δp| {rounded:.2e} after rounding to 1e-8, {raw:.2e} unrounded");
}

#[test]
fn default_parameters_are_the_first_fixtures() {
    assert_eq!(PTableParams::default(), params(&fixture(CASES[0])));
}
