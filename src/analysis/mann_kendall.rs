//! Mann–Kendall trend test with the tie correction (Mann 1945; Kendall 1975; Gilbert 1987,
//! *Statistical Methods for Environmental Pollution Monitoring*, §16.4).
//!
//! For a series `x_1` … `x_n` in time order:
//!
//! ```text
//! S      = Σ_{i<j} sign(x_j − x_i)
//! Var(S) = [n(n−1)(2n+5) − Σ_t t(t−1)(2t+5)] / 18     (t: size of each group of tied values)
//! Z      = (S − 1)/√Var(S) if S > 0,  0 if S = 0,  (S + 1)/√Var(S) if S < 0
//! p      = 2 · (1 − Φ(|Z|))                              (two-sided, normal approximation)
//! τ      = S / (n(n−1)/2)                                (Kendall's tau-a)
//! ```
//!
//! Z carries the continuity correction of ±1. p is computed with the normal survival
//! function, `2 · Φ̄(|Z|)`, which equals `2 · (1 − Φ(|Z|))` without its cancellation for
//! large |Z|. τ is tau-a — S over the number of pairs, with no tie correction in the
//! denominator — which is what pymannkendall's `original_test` reports as `Tau`. So S,
//! Var(S), Z, p and τ are pymannkendall 1.4.3's `s`, `var_s`, `z`, `p`, `Tau` (checked against
//! `tests/fixtures/mann_kendall/cases.json`, made by
//! `scripts/fixtures/make_mann_kendall_fixtures.py`). p agrees to ~1e-10 relative, the
//! accuracy of statrs's `erfc`, not to the last ulp.
//!
//! Conventions: the test is undefined (`None`) for fewer than 3 values or when Var(S) = 0
//! (a constant series). Values are compared exactly (`total_cmp`; equal floats are ties);
//! callers should not pass NaN. Complexity: O(n²) time for S (n is a number of time slices,
//! small), O(n log n) for the tie groups, O(n) memory.

use statrs::distribution::{ContinuousCDF, Normal};

/// The Mann–Kendall statistics of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Mann–Kendall S.
    pub s: i64,
    /// Var(S) with the tie correction.
    pub var_s: f64,
    /// Standardised S with the continuity correction.
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Kendall's tau-a, S / (n(n−1)/2).
    pub tau: f64,
}

/// Mann–Kendall test of `x` in the given order. `None` when fewer than 3 values or
/// Var(S) = 0.
#[must_use]
pub fn mann_kendall(x: &[f64]) -> Option<Trend> {
    let n = x.len();
    if n < 3 {
        return None;
    }
    let mut s: i64 = 0;
    for (i, a) in x.iter().enumerate() {
        for b in &x[i + 1..] {
            s += match b.total_cmp(a) {
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
            };
        }
    }
    let mut sorted = x.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let term = |t: f64| t * (t - 1.0) * (2.0 * t + 5.0);
    #[expect(clippy::cast_precision_loss, reason = "series lengths far below 2^52")]
    let (nf, ties) = {
        let ties: f64 = sorted
            .chunk_by(|a, b| a.total_cmp(b).is_eq())
            .map(|g| term(g.len() as f64))
            .sum();
        (n as f64, ties)
    };
    let var_s = (term(nf) - ties) / 18.0;
    if var_s <= 0.0 {
        return None;
    }
    #[expect(clippy::cast_precision_loss, reason = "|S| ≤ n²/2, far below 2^52")]
    let sf = s as f64;
    let z = match s.signum() {
        1 => (sf - 1.0) / var_s.sqrt(),
        -1 => (sf + 1.0) / var_s.sqrt(),
        _ => 0.0,
    };
    let p = (2.0 * Normal::standard().sf(z.abs())).min(1.0);
    let tau = sf / (nf * (nf - 1.0) / 2.0);
    Some(Trend {
        s,
        var_s,
        z,
        p,
        tau,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// x = [1, 2, 2, 3], n = 4.
    /// Pairs (i<j): (1,2)+ (1,2)+ (1,3)+ (2,2)0 (2,3)+ (2,3)+  → S = 5.
    /// n(n−1)(2n+5) = 4·3·13 = 156; one tie group t = 2: 2·1·9 = 18.
    /// Var = (156 − 18)/18 = 138/18 = 7.666…; Z = (5 − 1)/√7.666… = 1.44463…;
    /// τ = 5/6; p = 2·Φ̄(1.44463) = 0.14856….
    #[test]
    fn hand_computed_one_tie_group() {
        let t = mann_kendall(&[1.0, 2.0, 2.0, 3.0]).expect("defined");
        assert_eq!(t.s, 5);
        assert!(close(t.var_s, 138.0 / 18.0, 1e-12));
        assert!(close(t.z, 4.0 / (138.0f64 / 18.0).sqrt(), 1e-12));
        assert!(close(t.z, 1.444_630, 1e-6), "{t:?}");
        assert!(close(t.p, 0.148_562, 1e-6), "{t:?}");
        assert!(close(t.tau, 5.0 / 6.0, 1e-12));
    }

    /// x = [3, 1, 2, 2, 5, 5, 5], n = 7.
    /// From 3: 1− 2− 2− 5+ 5+ 5+ → 0; from 1: 2+ 2+ 5+ 5+ 5+ → +5; from the first 2: 2(0) and
    /// 5+ ×3 → +3; from the second 2: 5+ ×3 → +3; the 5s among themselves → 0.  S = 11.
    /// n(n−1)(2n+5) = 7·6·19 = 798; tie groups {2,2}: 2·1·9 = 18, {5,5,5}: 3·2·11 = 66;
    /// Σ = 84.  Var = (798 − 84)/18 = 714/18 = 39.666…; Z = 10/√39.666… = 1.58777…;
    /// τ = 11/21.
    #[test]
    fn hand_computed_two_tie_groups() {
        let t = mann_kendall(&[3.0, 1.0, 2.0, 2.0, 5.0, 5.0, 5.0]).expect("defined");
        assert_eq!(t.s, 11);
        assert!(close(t.var_s, 714.0 / 18.0, 1e-12));
        assert!(close(t.z, 10.0 / (714.0f64 / 18.0).sqrt(), 1e-12));
        assert!(close(t.z, 1.587_768, 1e-6), "{t:?}");
        assert!(close(t.tau, 11.0 / 21.0, 1e-12));
    }

    /// 1..=10 strictly increasing: S = 45 = n(n−1)/2, no ties, Var = 10·9·25/18 = 125,
    /// Z = 44/√125, τ = 1; reversed: everything negated.
    #[test]
    fn strictly_monotone() {
        let up: Vec<f64> = (1..=10).map(f64::from).collect();
        let t = mann_kendall(&up).expect("defined");
        assert_eq!(t.s, 45);
        assert!(close(t.var_s, 125.0, 1e-12));
        assert!(close(t.z, 44.0 / 125f64.sqrt(), 1e-12));
        assert!(t.p < 1e-4);
        assert!(close(t.tau, 1.0, 1e-15));
        let down: Vec<f64> = up.iter().rev().copied().collect();
        let d = mann_kendall(&down).expect("defined");
        assert_eq!(d.s, -45);
        assert!(close(d.z, -t.z, 1e-15));
        assert!(close(d.p, t.p, 1e-15));
        assert!(close(d.tau, -1.0, 1e-15));
    }

    #[test]
    fn undefined_cases() {
        assert!(mann_kendall(&[4.0; 8]).is_none(), "constant: Var(S) = 0");
        assert!(mann_kendall(&[]).is_none());
        assert!(mann_kendall(&[1.0, 2.0]).is_none(), "fewer than 3");
        // S = 0 but Var(S) > 0: defined, Z = 0, p = 1.
        let t = mann_kendall(&[1.0, 2.0, 1.0]).expect("defined");
        assert_eq!(t.s, 0);
        assert!(t.z == 0.0 && close(t.p, 1.0, 1e-15));
    }

    /// pymannkendall 1.4.3 `original_test` on 21 series (lengths 3..30, many with ties).
    #[test]
    fn matches_pymannkendall_fixtures() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/mann_kendall/cases.json"))
                .expect("fixture parses");
        let cases = doc["cases"].as_array().expect("cases");
        assert!(cases.len() >= 20);
        for c in cases {
            let name = c["name"].as_str().expect("name");
            let x: Vec<f64> = c["x"]
                .as_array()
                .expect("x")
                .iter()
                .map(|v| v.as_f64().expect("number"))
                .collect();
            let t = mann_kendall(&x).expect(name);
            let f = |k: &str| c[k].as_f64().expect(k);
            assert_eq!(t.s, c["s"].as_i64().expect("s"), "{name}");
            assert!(
                (t.var_s - f("var_s")).abs() <= 1e-9 * f("var_s").abs(),
                "{name}: var_s {} vs {}",
                t.var_s,
                f("var_s")
            );
            assert!(close(t.z, f("z"), 1e-9), "{name}: z {} vs {}", t.z, f("z"));
            assert!(close(t.p, f("p"), 1e-9), "{name}: p {} vs {}", t.p, f("p"));
            // statrs's erfc is accurate to ~1e-10 relative, not to the last ulp.
            assert!(
                (t.p - f("p_sf")).abs() <= 1e-9 * f("p_sf"),
                "{name}: p_sf {} vs {}",
                t.p,
                f("p_sf")
            );
            assert!(close(t.tau, f("tau"), 1e-12), "{name}: tau");
        }
    }
}
