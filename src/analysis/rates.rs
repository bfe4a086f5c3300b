//! Rates and changes a committee can defend: the exact test of a change in counts, the rate
//! ratio with its interval, and Empirical-Bayes smoothed rates.
//!
//! **Is the change real?** ([`change_test`]) A KPI compares the cases of a period, `cur`, with
//! the cases of the same period a year earlier, `prev`. The two periods have the same length
//! (the year-earlier period maps 29 February to 28 February, so a leap period is one day
//! longer; that day is ignored) and the area has one population figure, so the ratio of the
//! counts is the ratio of the rates. Under "no change" the two counts are Poisson with the
//! same mean, and given their sum n = cur + prev, `cur` is Binomial(n, ½) (the conditional
//! test of two Poisson counts). The two-sided p value is
//! `min(1, 2 · min(P(X ≤ cur), P(X ≥ cur)))`, which for p = ½ equals scipy's
//! `binomtest(cur, n, 0.5).pvalue` (its "no more likely than observed" sum is symmetric
//! here). The rate ratio `cur / prev` gets the 95% Clopper–Pearson interval of π = cur / n
//! mapped by π / (1 − π). Checked against scipy on `tests/fixtures/kpi_stats/` to 1e-10
//! relative, counts up to 10⁵.
//!
//! The binomial probabilities are computed here rather than through an incomplete beta
//! function, whose log-gamma prefactor loses about ten digits' worth of relative precision
//! at n ≈ 10⁵: each probability by Loader's saddle-point expansion (as R's `dbinom`, exact
//! to a few ulps at any n), a tail as the sum of its terms from the one nearest the mode
//! outwards (consecutive terms by their exact ratio), and each interval bound by bisection
//! on the log-odds θ = ln(π / (1 − π)), so that the rate ratio, e^θ, keeps its relative
//! precision even when π is within 10⁻⁶ of 1.
//!
//! **Empirical Bayes.** ([`eb_global`], [`eb_spatial`]) A small ward's raw rate swings with a
//! handful of cases. Marshall's method-of-moments estimator shrinks each rate towards a
//! reference rate, the more the smaller the population: towards the city-wide rate
//! ([`eb_global`], esda's `Empirical_Bayes`) or towards the rate of the ward and its
//! neighbours ([`eb_spatial`], esda's `Spatial_Empirical_Bayes`). Both follow esda 2.9.0
//! step for step and are checked against it on `tests/fixtures/eb/` to 1e-12 relative. Two
//! deliberate differences at the edges: a negative variance estimate is clipped at 0 in
//! both (esda clips only in the spatial one, and its global estimator then gives weights
//! outside [0, 1], even negative rates); and where the reference rate and the variance are
//! both 0 (no case in the whole neighbourhood) the smoothed rate is the reference rate, 0,
//! where esda divides 0 by 0. Neighbours are queen contiguity ([`queen_neighbours`]): two
//! polygons that share at least one point.

use geo::{BoundingRect, Intersects, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// The level below which a change is called statistically significant.
pub const SIGNIFICANCE: f64 = 0.05;

/// The confidence level of the rate ratio's interval.
pub const CONFIDENCE: f64 = 0.95;

/// The exact test of a change from `prev` to `cur` cases (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ChangeTest {
    /// Two-sided p value of "no change"; `None` without any case in either period.
    pub p: Option<f64>,
    /// `cur / prev`; `None` when `prev` is 0.
    pub rate_ratio: Option<f64>,
    /// Lower bound of the ratio's 95% interval (0 when `cur` is 0); `None` without any case.
    pub low: Option<f64>,
    /// Upper bound; `None` when `prev` is 0 (unbounded) or without any case.
    pub high: Option<f64>,
}

impl ChangeTest {
    /// Whether the change is statistically significant (p < [`SIGNIFICANCE`]).
    #[must_use]
    pub fn significant(&self) -> Option<bool> {
        self.p.map(|p| p < SIGNIFICANCE)
    }
}

/// The conditional binomial test of `cur` against `prev` and the rate ratio with its 95%
/// Clopper–Pearson interval (see the module documentation).
#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
#[must_use]
pub fn change_test(cur: u64, prev: u64) -> ChangeTest {
    let Some(n) = cur.checked_add(prev).filter(|n| *n > 0) else {
        return ChangeTest {
            p: None,
            rate_ratio: None,
            low: None,
            high: None,
        };
    };
    let (x, nf) = (cur as f64, n as f64);
    let m = x.min(nf - x);
    // The middle value (or the two middle values when n is odd) is p = 1 exactly: the lower
    // tail holds half the mass or more.
    let p = if 2.0 * m + 1.0 >= nf {
        1.0
    } else {
        (2.0 * lower_tail(m, nf, 0.5, 0.5)).min(1.0)
    };
    let alpha = (1.0 - CONFIDENCE) / 2.0;
    // π's lower bound: P(X ≥ cur; n, π) = α/2, increasing in π.
    let low = if cur == 0 {
        0.0
    } else {
        log_odds_root(|pi, q| tail_ge(x, nf, pi, q) - alpha).exp()
    };
    // π's upper bound: P(X ≤ cur; n, π) = α/2, decreasing in π.
    let high = (prev > 0).then(|| log_odds_root(|pi, q| alpha - tail_le(x, nf, pi, q)).exp());
    ChangeTest {
        p: Some(p),
        rate_ratio: (prev > 0).then(|| x / prev as f64),
        low: Some(low),
        high,
    }
}

/// The θ where `f(π, 1 − π)` changes sign from negative to positive, π = 1 / (1 + e^−θ),
/// by bisection to the last bit (`f` increasing in θ).
fn log_odds_root(f: impl Fn(f64, f64) -> f64) -> f64 {
    let at = |theta: f64| {
        let pi = 1.0 / (1.0 + (-theta).exp());
        let q = 1.0 / (1.0 + theta.exp());
        f(pi, q)
    };
    let (mut lo, mut hi) = (-1.0_f64, 1.0_f64);
    while at(lo) > 0.0 && lo > -800.0 {
        lo *= 2.0;
    }
    while at(hi) < 0.0 && hi < 800.0 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if at(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Stirling's error ln(n!) − (n + ½) ln n + n − ½ ln(2π) for an integer `n` ≥ 0 (Loader
/// 2000; the table is the exact values, the series is exact to double precision above 15).
fn stirlerr(n: f64) -> f64 {
    const TABLE: [f64; 16] = [
        0.0,
        0.081_061_466_795_327_26,
        0.041_340_695_955_409_3,
        0.027_677_925_684_998_34,
        0.020_790_672_103_765_093,
        0.016_644_691_189_821_193,
        0.013_876_128_823_070_748,
        0.011_896_709_945_891_77,
        0.010_411_265_261_972_096,
        0.009_255_462_182_712_733,
        0.008_330_563_433_362_87,
        0.007_573_675_487_951_841,
        0.006_942_840_107_209_53,
        0.006_408_994_188_004_207,
        0.005_951_370_112_758_847_5,
        0.005_554_733_551_962_801,
    ];
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "an integer in 0..=15"
        )]
        return TABLE[n.max(0.0) as usize];
    }
    let nn = n * n;
    if n > 500.0 {
        (S0 - S1 / nn) / n
    } else if n > 80.0 {
        (S0 - (S1 - S2 / nn) / nn) / n
    } else if n > 35.0 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
}

/// The deviance term x ln(x / np) + np − x, without its cancellation near x = np (Loader).
#[expect(
    clippy::float_cmp,
    reason = "the series stops when a term no longer changes the sum"
)]
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        if s.abs() < f64::MIN_POSITIVE {
            return s;
        }
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let s1 = s + ej / f64::from(2 * j + 1);
            if s1 == s {
                return s1;
            }
            s = s1;
        }
    }
    x * (x / np).ln() + np - x
}

/// P(X = x) for X ~ Binomial(n, p), q = 1 − p given separately (Loader's saddle-point
/// form, R's `dbinom_raw`).
#[expect(
    clippy::float_cmp,
    reason = "counts are whole numbers, exact in a double; ½ is exact"
)]
fn dbinom(x: f64, n: f64, p: f64, q: f64) -> f64 {
    if p == 0.0 {
        return if x == 0.0 { 1.0 } else { 0.0 };
    }
    if q == 0.0 {
        return if x == n { 1.0 } else { 0.0 };
    }
    if p == 0.5 && q == 0.5 && (x == 0.0 || x == n) {
        // ½ⁿ exactly (the change test's extreme outcomes): powers of two multiply without
        // rounding; below 2⁻¹⁰⁷⁴ nothing is left.
        #[expect(clippy::cast_possible_truncation, reason = "n ≤ 1100 here")]
        return if n > 1100.0 {
            0.0
        } else {
            0.5_f64.powi(n as i32)
        };
    }
    if x == 0.0 {
        if n == 0.0 {
            return 1.0;
        }
        let lc = if p < 0.1 {
            -bd0(n, n * q) - n * p
        } else {
            n * q.ln()
        };
        return lc.exp();
    }
    if x == n {
        let lc = if q < 0.1 {
            -bd0(n, n * p) - n * q
        } else {
            n * p.ln()
        };
        return lc.exp();
    }
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
    let lf = std::f64::consts::TAU.ln() + x.ln() + (-x / n).ln_1p();
    (lc - 0.5 * lf).exp()
}

/// Relative size below which the remaining terms of a tail no longer change its sum.
const TAIL_EPS: f64 = 1e-17;

/// P(X ≤ m), summed from m downwards: accurate when m is at most about the mode.
fn lower_tail(m: f64, n: f64, p: f64, q: f64) -> f64 {
    if m < 0.0 {
        return 0.0;
    }
    if m >= n {
        return 1.0;
    }
    let mut term = dbinom(m, n, p, q);
    let mut sum = term;
    let mut k = m;
    while k > 0.0 && term > sum * TAIL_EPS {
        term *= k / (n - k + 1.0) * (q / p);
        sum += term;
        k -= 1.0;
    }
    sum
}

/// P(X ≥ m), summed from m upwards: accurate when m is at least about the mode.
fn upper_tail(m: f64, n: f64, p: f64, q: f64) -> f64 {
    if m <= 0.0 {
        return 1.0;
    }
    if m > n {
        return 0.0;
    }
    let mut term = dbinom(m, n, p, q);
    let mut sum = term;
    let mut k = m;
    while k < n && term > sum * TAIL_EPS {
        term *= (n - k) / (k + 1.0) * (p / q);
        sum += term;
        k += 1.0;
    }
    sum
}

/// P(X ≥ x), summing the tail that does not hold the mode.
fn tail_ge(x: f64, n: f64, p: f64, q: f64) -> f64 {
    if p == 0.0 || q == 0.0 {
        return if p == 0.0 { f64::from(x <= 0.0) } else { 1.0 };
    }
    if x > ((n + 1.0) * p).floor() {
        upper_tail(x, n, p, q)
    } else {
        1.0 - lower_tail(x - 1.0, n, p, q)
    }
}

/// P(X ≤ x), summing the tail that does not hold the mode.
fn tail_le(x: f64, n: f64, p: f64, q: f64) -> f64 {
    if p == 0.0 || q == 0.0 {
        return if p == 0.0 { 1.0 } else { f64::from(x >= n) };
    }
    if x < ((n + 1.0) * p).floor() {
        lower_tail(x, n, p, q)
    } else {
        1.0 - upper_tail(x + 1.0, n, p, q)
    }
}

/// The weight of a unit's own rate against the reference rate `r_mean`, given the variance
/// estimate (clipped at 0) and the unit's base: `r_var / (r_var + r_mean / base)`, and 0 (the
/// reference rate) where both the reference rate and the variance are 0.
fn weight(r_mean: f64, r_var: f64, base: f64) -> f64 {
    let r_var = r_var.max(0.0);
    let d = r_var + r_mean / base;
    if d > 0.0 { r_var / d } else { 0.0 }
}

/// Empirical-Bayes smoothed rates towards the global rate: esda 2.9.0 `Empirical_Bayes`
/// (Marshall 1991), rates per unit of `base`, with the variance estimate clipped at 0 (see
/// the module documentation). `base` must be positive (callers keep only wards with a
/// population); `events` and `base` have the same length.
#[must_use]
pub fn eb_global(events: &[f64], base: &[f64]) -> Vec<f64> {
    let n = events.len().min(base.len());
    if n == 0 {
        return Vec::new();
    }
    let (e, b) = (&events[..n], &base[..n]);
    let e_sum: f64 = e.iter().sum();
    let b_sum: f64 = b.iter().sum();
    let r_mean = e_sum / b_sum;
    #[expect(clippy::cast_precision_loss, reason = "a count of wards")]
    let b_mean = b_sum / n as f64;
    let r_var_left = e
        .iter()
        .zip(b)
        .map(|(e, b)| {
            let d = e / b - r_mean;
            b * d * d
        })
        .sum::<f64>()
        / b_sum;
    let r_var = r_var_left - r_mean / b_mean;
    e.iter()
        .zip(b)
        .map(|(e, b)| {
            let w = weight(r_mean, r_var, *b);
            w * (e / b) + (1.0 - w) * r_mean
        })
        .collect()
}

/// Empirical-Bayes smoothed rates towards each unit's neighbourhood (the unit and its
/// `neighbours`, indices into `events`): esda 2.9.0 `Spatial_Empirical_Bayes` with binary
/// weights (see the module documentation). Same input rules as [`eb_global`]; a neighbour
/// index out of range is ignored.
#[must_use]
pub fn eb_spatial(events: &[f64], base: &[f64], neighbours: &[Vec<usize>]) -> Vec<f64> {
    let n = events.len().min(base.len());
    let (e, b) = (&events[..n], &base[..n]);
    (0..n)
        .map(|i| {
            let around = neighbours.get(i).map_or(&[][..], Vec::as_slice);
            let hood = || {
                around
                    .iter()
                    .copied()
                    .filter(move |j| *j < n && *j != i)
                    .chain(std::iter::once(i))
            };
            // esda: (e + W e) / (b + W b), then the sums over the neighbourhood.
            let w_e: f64 = hood().filter(|j| *j != i).map(|j| e[j]).sum();
            let w_b: f64 = hood().filter(|j| *j != i).map(|j| b[j]).sum();
            let bi = w_b + b[i];
            let r_mean = (e[i] + w_e) / bi;
            let v: f64 = hood()
                .map(|j| {
                    let d = e[j] / b[j] - r_mean;
                    d * d * b[j]
                })
                .sum();
            #[expect(clippy::cast_precision_loss, reason = "a count of wards")]
            let count = hood().count() as f64;
            let r_var = v / bi - r_mean / (bi / count);
            r_mean + (e[i] / b[i] - r_mean) * weight(r_mean, r_var, b[i])
        })
        .collect()
}

/// Queen contiguity: for each polygon, the others it shares at least one point with
/// (boundaries included), in increasing order. Candidates by bounding box through an
/// R-tree, then `geo`'s exact `intersects`.
#[must_use]
pub fn queen_neighbours(shapes: &[&MultiPolygon<f64>]) -> Vec<Vec<usize>> {
    let boxes: Vec<Option<geo::Rect<f64>>> = shapes.iter().map(|s| s.bounding_rect()).collect();
    let tree = RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.map(|r| {
                    GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i,
                    )
                })
            })
            .collect(),
    );
    boxes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let Some(r) = r else {
                return Vec::new();
            };
            let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            let mut v: Vec<usize> = tree
                .locate_in_envelope_intersecting(&env)
                .map(|g| g.data)
                .filter(|j| *j != i && shapes[i].intersects(shapes[*j]))
                .collect();
            v.sort_unstable();
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(clippy::float_cmp, reason = "equal values differ by nothing")]
    fn rel(a: f64, b: f64) -> f64 {
        if a == b {
            0.0
        } else {
            (a - b).abs() / a.abs().max(b.abs())
        }
    }

    #[test]
    fn stirling_error_is_continuous_at_the_table_s_end() {
        // The series at 15 against the table's exact value.
        let n: f64 = 15.0;
        let nn = n * n;
        let series = (1.0 / 12.0
            - (1.0 / 360.0 - (1.0 / 1260.0 - (1.0 / 1680.0 - 1.0 / 1188.0 / nn) / nn) / nn) / nn)
            / n;
        assert!(rel(series, stirlerr(15.0)) < 1e-12);
    }

    #[test]
    fn small_binomials_by_hand() {
        // Bin(4, ½): 1, 4, 6, 4, 1 over 16.
        for (k, w) in [(0.0, 1.0), (1.0, 4.0), (2.0, 6.0), (3.0, 4.0), (4.0, 1.0)] {
            assert!(rel(dbinom(k, 4.0, 0.5, 0.5), w / 16.0) < 1e-15, "{k}");
        }
        assert!(rel(lower_tail(1.0, 4.0, 0.5, 0.5), 5.0 / 16.0) < 1e-15);
        assert!(rel(upper_tail(3.0, 4.0, 0.5, 0.5), 5.0 / 16.0) < 1e-15);
        // Bin(3, 0.2): P(X ≥ 1) = 1 − 0.8³.
        assert!(rel(tail_ge(1.0, 3.0, 0.2, 0.8), 1.0 - 0.512) < 1e-14);
        assert!(rel(tail_le(0.0, 3.0, 0.2, 0.8), 0.512) < 1e-14);
    }

    #[test]
    fn change_test_by_hand() {
        // 0 against 5: p = 2 · 2⁻⁵; π ≤ 1 − 0.025^(1/5).
        let t = change_test(0, 5);
        assert!(rel(t.p.unwrap(), 2.0 / 32.0) < 1e-14);
        assert_eq!((t.rate_ratio, t.low), (Some(0.0), Some(0.0)));
        let hi_pi = 1.0 - 0.025_f64.powf(0.2);
        assert!(rel(t.high.unwrap(), hi_pi / (1.0 - hi_pi)) < 1e-12);
        // 1 against 0: no ratio, no upper bound; π ≥ 0.025, so the ratio ≥ 0.025 / 0.975.
        let t = change_test(1, 0);
        assert_eq!((t.p, t.rate_ratio, t.high), (Some(1.0), None, None));
        assert!(rel(t.low.unwrap(), 0.025 / 0.975) < 1e-12);
        // Nothing either year: nothing to say.
        let t = change_test(0, 0);
        assert_eq!((t.p, t.rate_ratio, t.low, t.high), (None, None, None, None));
        assert_eq!(t.significant(), None);
        // Ties and one apart are p = 1.
        assert_eq!(change_test(7, 7).p, Some(1.0));
        assert_eq!(change_test(6, 5).p, Some(1.0));
        assert_eq!(change_test(100, 30).significant(), Some(true));
        // The extreme outcomes are powers of two, exactly.
        assert_eq!(change_test(25, 0).p, Some(2.0_f64.powi(-24)));
        assert_eq!(change_test(0, 331).p, Some(2.0_f64.powi(-330)));
    }

    #[test]
    fn global_eb_by_hand() {
        // Two units of 100 with 1 and 3 events: r̄ = 0.02, rates 0.01, 0.03;
        // var = (100·1e-4 + 100·1e-4)/200 − 0.02/100 = 1e-4 − 2e-4 < 0: clipped, so the
        // global rate for both.
        let r = eb_global(&[1.0, 3.0], &[100.0, 100.0]);
        assert!(rel(r[0], 0.02) < 1e-15 && rel(r[1], 0.02) < 1e-15, "{r:?}");
        // No events anywhere: 0, not 0/0.
        assert_eq!(eb_global(&[0.0, 0.0], &[10.0, 20.0]), vec![0.0, 0.0]);
        assert_eq!(
            eb_spatial(&[0.0, 0.0], &[10.0, 20.0], &[vec![1], vec![0]]),
            vec![0.0, 0.0]
        );
        assert!(eb_global(&[], &[]).is_empty());
    }

    #[test]
    fn spatial_eb_of_an_island_is_its_own_rate() {
        // Alone, the unit's neighbourhood is itself: r̄ = rate, so the rate stays.
        let r = eb_spatial(&[3.0, 5.0], &[100.0, 200.0], &[vec![], vec![]]);
        assert!(rel(r[0], 0.03) < 1e-15 && rel(r[1], 0.025) < 1e-15, "{r:?}");
    }

    #[test]
    fn queen_neighbours_share_a_point() {
        let sq = |x: f64, y: f64| {
            MultiPolygon::new(vec![geo::Polygon::new(
                geo::LineString::from(vec![
                    (x, y),
                    (x + 1.0, y),
                    (x + 1.0, y + 1.0),
                    (x, y + 1.0),
                    (x, y),
                ]),
                vec![],
            )])
        };
        // A 2×2 block and one square apart: corners count, a gap does not.
        let shapes = [
            sq(0.0, 0.0),
            sq(1.0, 0.0),
            sq(0.0, 1.0),
            sq(1.0, 1.0),
            sq(3.0, 0.0),
        ];
        let refs: Vec<&MultiPolygon<f64>> = shapes.iter().collect();
        assert_eq!(
            queen_neighbours(&refs),
            vec![
                vec![1, 2, 3],
                vec![0, 2, 3],
                vec![0, 1, 3],
                vec![0, 1, 2],
                vec![]
            ]
        );
    }
}
