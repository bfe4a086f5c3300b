//! Maximum-entropy transition probabilities for the p-table of the cell-key method (issue 18).
//!
//! **The problem** (Giessing 2016, *Computational issues in the design of transition
//! probabilities and disclosure risk estimation for additive noise*, PSD 2016, LNCS 9867,
//! pp. 237–251; as the R package `ptable` states it, `R/pt_optim_entropy.R`, `optim = 1`,
//! `mono = TRUE`): given the noise values `v₁ < … < vₙ` of one row of the p-table, find the
//! probabilities `p` that
//!
//! ```text
//! minimise   Σ p_k ln p_k                  (maximum entropy: the least informative noise)
//! subject to Σ p_k = 1,  Σ v_k p_k = 0     (a distribution; unbiased noise)
//!            Σ v_k² p_k ≤ V                 (variance at most V)
//!            p_k ≥ ε                        (ptable's ε = 1e-8: every target stays possible)
//!            p_k ≤ p_{k+1} for v_{k+1} ≤ 0  (monotony left of v = 0; none when 0 is absent)
//! ```
//!
//! ptable hands this to nloptr's SLSQP, which stops at a relative step of 1e-7. It is small
//! (n ≤ 2D + 1) and its structure gives an exact method, written here so the server builds its
//! table with no numerical library and to full precision.
//!
//! **Why the dual.** Entropy is separable and strictly convex, and every constraint is linear,
//! so (Boyd & Vandenberghe, *Convex Optimization*, §5.2.4) the Lagrangian minimised over `p`
//! for fixed multipliers `λ = (α, β, γ)` of the three moment constraints has a closed form,
//! the exponential family `p_k = exp(−1 − c_k)` with `c_k = α + β v_k + γ v_k²`: a discrete
//! Gaussian when the variance binds. The two other kinds of constraint are kept *inside* that
//! inner minimisation instead of being given multipliers of their own, because it stays
//! solvable exactly:
//! - the floor: the minimiser of `p ln p + c p` over `p ≥ ε` is `max(ε, exp(−1 − c))`;
//! - monotony: a separable convex objective under a chain `p₁ ≤ … ≤ p_z` is minimised by
//!   pooling adjacent violators (Best & Chakravarti 1990: PAVA holds for any separable convex
//!   objective), a pooled block taking the minimiser of its summed terms, which for entropy
//!   is `max(ε, exp(−1 − mean c))`.
//!
//! The dual function `g(λ)` is then concave and continuously differentiable (the inner
//! minimiser is unique), with gradient the constraint residuals `(Σp − 1, Σvp, Σv²p − V)` and
//! a generalised Hessian `−Σ_blocks |B| q ā āᵀ` (ā the block's mean of `(1, v, v²)`; floored
//! blocks contribute nothing). Newton's method with an Armijo line search on `−g` converges
//! to residuals of ~1e-15 (at most 17 steps per phase over 3,000 random p-table rows with
//! D ≤ 8, js ≤ 4, variances from 0.001 above the least feasible one; a prototype of this
//! code in numpy, written alongside); the primal solution is `p(λ*)`, and strong
//! duality (Slater: a strictly feasible `p` exists whenever `V` exceeds the least feasible
//! variance, checked first by [`min_variance`]) makes it the optimum.
//!
//! **When the variance does not bind.** The constraint is `≤`, as in ptable's default: if the
//! maximum-entropy distribution with mean 0 alone already has variance ≤ V (a wide `V` for a
//! short support), spreading it further would lower the entropy, so the answer is that
//! distribution (γ = 0). The solver first solves with γ = 0; only if that variance exceeds V
//! does it solve for all three multipliers, and then the concavity of the dual in γ puts the
//! optimum at γ > 0, where the variance equals V. [`Solution::variance_binding`] says which.
//!
//! The result is checked against the KKT conditions in the unit tests, against an independent
//! scipy implementation of ptable's formulation in `tests/it/ptable.rs`.

/// ptable's lower bound of every probability (`epsilon = 1/10^ndigits`, `ndigits = 8`).
pub const PTABLE_FLOOR: f64 = 1e-8;

/// Newton steps per phase; the method needs ~10–30 from the uniform start.
const MAX_ITER: usize = 200;
/// Residual (max over the moment constraints) at which Newton stops early.
const STOP: f64 = 1e-14;
/// Residual an answer must reach to be returned (a stalled line search stops before `STOP`).
const ACCEPT: f64 = 1e-10;

/// Why a row has no maximum-entropy distribution.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MaxEntError {
    #[error("the noise values must be non-empty and strictly increasing")]
    BadSupport,
    #[error("the floor must be positive and leave room for every value (n·ε < 1), got {0}")]
    BadFloor(f64),
    #[error("the variance bound must be finite and positive, got {0}")]
    BadVariance(f64),
    #[error("no distribution on these values with every p at least the floor has mean 0")]
    MeanInfeasible,
    #[error(
        "a variance of at most {variance} is infeasible: the least variance on these values with \
         mean 0 and every p at least the floor is {min_variance}"
    )]
    VarianceInfeasible { variance: f64, min_variance: f64 },
    #[error("the solver did not converge (constraint residual {residual:e})")]
    NoConvergence { residual: f64 },
}

/// The maximum-entropy distribution and the multipliers that certify it.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The probabilities, one per noise value, in the order given.
    pub p: Vec<f64>,
    /// Multipliers of `Σp = 1`, `Σvp = 0` and `Σv²p ≤ V` (γ ≥ 0): `p_k = exp(−1 − α − β v_k
    /// − γ v_k²)` wherever neither the floor nor monotony holds `p_k`.
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    /// Whether the variance bound is active (γ > 0, variance = V); otherwise the
    /// maximum-entropy distribution with mean 0 already has variance < V.
    pub variance_binding: bool,
}

/// The maximum-entropy probabilities of one p-table row (see the module documentation):
/// noise values `v` (strictly increasing), variance bound `var`, monotony left of `v = 0`
/// when `mono_left_of_zero`, floor `eps` (ptable: [`PTABLE_FLOOR`]).
///
/// # Errors
/// [`MaxEntError`]: bad input, an infeasible problem, or (not seen in practice) no convergence.
pub fn max_entropy(
    v: &[i32],
    var: f64,
    mono_left_of_zero: bool,
    eps: f64,
) -> Result<Vec<f64>, MaxEntError> {
    solve(v, var, mono_left_of_zero, eps).map(|s| s.p)
}

/// As [`max_entropy`], with the multipliers.
///
/// # Errors
/// As [`max_entropy`].
pub fn solve(
    v: &[i32],
    var: f64,
    mono_left_of_zero: bool,
    eps: f64,
) -> Result<Solution, MaxEntError> {
    if v.is_empty() || v.windows(2).any(|w| w[0] >= w[1]) {
        return Err(MaxEntError::BadSupport);
    }
    #[expect(clippy::cast_precision_loss, reason = "n ≤ a few dozen")]
    let n = v.len() as f64;
    if !(eps > 0.0 && eps * n < 1.0) {
        return Err(MaxEntError::BadFloor(eps));
    }
    if !(var.is_finite() && var > 0.0) {
        return Err(MaxEntError::BadVariance(var));
    }
    let min_var = min_variance(v, eps).ok_or(MaxEntError::MeanInfeasible)?;
    // Slater's condition: a strictly feasible point exists only above the least variance;
    // at it the feasible set is one point and the multipliers are unbounded.
    if var <= min_var {
        return Err(MaxEntError::VarianceInfeasible {
            variance: var,
            min_variance: min_var,
        });
    }
    let problem = Problem {
        v: v.iter().map(|&x| f64::from(x)).collect(),
        chain: if mono_left_of_zero {
            v.iter().position(|&x| x == 0).map_or(0, |z| z + 1)
        } else {
            0
        },
        eps,
        var,
    };
    // Phase 1: the variance bound inactive (γ = 0).
    let start = [n.ln() - 1.0, 0.0, 0.0];
    let (lam, _) = problem.newton(start, 2)?;
    let p = problem.inner(lam).p;
    let variance: f64 = problem.v.iter().zip(&p).map(|(x, q)| x * x * q).sum();
    if variance <= var {
        return problem.finish(lam, false);
    }
    // Phase 2: the variance at γ = 0 exceeds V, so the dual's maximum over γ ≥ 0 is where its
    // derivative, Σv²p − V, is 0: solve for all three multipliers.
    let (lam, _) = problem.newton(lam, 3)?;
    if lam[2] < 0.0 {
        return Err(MaxEntError::NoConvergence {
            residual: lam[2].abs(),
        });
    }
    problem.finish(lam, true)
}

/// The least variance `Σ v² p` over distributions on `v` (strictly increasing) with mean 0
/// and every `p ≥ eps`, or `None` when no such distribution exists.
///
/// Write `p = eps + q` with `q ≥ 0`, `Σq = s = 1 − n·eps`, `Σ v q = −eps Σv`: then `q/s` is a
/// distribution with mean `m = −eps Σv / s`, and the least `Σ v² q` is `s` times the lower
/// convex hull of the points `(v, v²)` at `m`. Those points lie on a parabola, so the hull is
/// the chord between the two values adjacent to `m`: the least variance is
/// `eps Σv² + s · (chord at m)`.
#[must_use]
pub fn min_variance(v: &[i32], eps: f64) -> Option<f64> {
    let (&lo, &hi) = (v.first()?, v.last()?);
    #[expect(clippy::cast_precision_loss, reason = "n ≤ a few dozen")]
    let s = 1.0 - v.len() as f64 * eps;
    let sum: f64 = v.iter().map(|&x| f64::from(x)).sum();
    let sum2: f64 = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    let m = -eps * sum / s;
    if !(f64::from(lo) <= m && m <= f64::from(hi)) {
        return None;
    }
    let b = v.iter().position(|&x| f64::from(x) >= m)?;
    let vb = f64::from(v[b]);
    // `vb ≥ m` by its choice, so `vb <= m` means `m` is one of the values.
    let chord = if b == 0 || vb <= m {
        vb * vb
    } else {
        let va = f64::from(v[b - 1]);
        va * va + (vb * vb - va * va) * (m - va) / (vb - va)
    };
    Some(eps * sum2 + s * chord)
}

struct Problem {
    v: Vec<f64>,
    /// Entries `0..chain` must be non-decreasing (those up to and including v = 0).
    chain: usize,
    eps: f64,
    var: f64,
}

/// A run of entries sharing one value (a single entry outside the monotone chain).
struct Block {
    start: usize,
    len: usize,
    sum_c: f64,
    q: f64,
    floored: bool,
}

struct Inner {
    p: Vec<f64>,
    blocks: Vec<Block>,
    /// The dual objective to minimise, `−g(λ)`.
    phi: f64,
}

impl Problem {
    /// The block value: `argmin_{q ≥ ε} Σ_B (q ln q + c_k q) = max(ε, exp(−1 − mean c))`.
    fn block_value(&self, sum_c: f64, len: usize) -> (f64, bool) {
        #[expect(clippy::cast_precision_loss, reason = "len ≤ a few dozen")]
        let e = (-1.0 - sum_c / len as f64).min(700.0).exp();
        if e <= self.eps {
            (self.eps, true)
        } else {
            (e, false)
        }
    }

    /// The minimiser of the Lagrangian over the floor and the monotone chain, for multipliers
    /// `lam`, by pooling adjacent violators along the chain.
    fn inner(&self, lam: [f64; 3]) -> Inner {
        let c: Vec<f64> = self
            .v
            .iter()
            .map(|&x| lam[0] + lam[1] * x + lam[2] * x * x)
            .collect();
        let mut blocks: Vec<Block> = Vec::with_capacity(c.len());
        for (k, &ck) in c.iter().enumerate() {
            let (q, floored) = self.block_value(ck, 1);
            blocks.push(Block {
                start: k,
                len: 1,
                sum_c: ck,
                q,
                floored,
            });
            if k < self.chain {
                while let [.., a, b] = blocks.as_slice() {
                    if a.q <= b.q {
                        break;
                    }
                    let (start, len, sum_c) = (a.start, a.len + b.len, a.sum_c + b.sum_c);
                    let (q, floored) = self.block_value(sum_c, len);
                    blocks.truncate(blocks.len() - 2);
                    blocks.push(Block {
                        start,
                        len,
                        sum_c,
                        q,
                        floored,
                    });
                }
            }
        }
        let mut p = vec![0.0; c.len()];
        for b in &blocks {
            p[b.start..b.start + b.len].fill(b.q);
        }
        let lagrangian: f64 = p
            .iter()
            .zip(&c)
            .map(|(&q, &ck)| q * q.ln() + ck * q)
            .sum::<f64>()
            - lam[0]
            - lam[2] * self.var;
        Inner {
            p,
            blocks,
            phi: -lagrangian,
        }
    }

    /// `A p − b`: the residuals of `Σp = 1`, `Σvp = 0`, `Σv²p = V`.
    fn residuals(&self, p: &[f64]) -> [f64; 3] {
        let mut r = [-1.0, 0.0, -self.var];
        for (&x, &q) in self.v.iter().zip(p) {
            r[0] += q;
            r[1] += x * q;
            r[2] += x * x * q;
        }
        r
    }

    /// Newton's method on `−g` over the first `m` multipliers (2: α, β with γ fixed; 3: all).
    fn newton(&self, mut lam: [f64; 3], m: usize) -> Result<([f64; 3], f64), MaxEntError> {
        let mut cur = self.inner(lam);
        let mut residual = f64::INFINITY;
        for _ in 0..MAX_ITER {
            let r = self.residuals(&cur.p);
            residual = max_abs(&r[..m]);
            if residual <= STOP {
                break;
            }
            // ∇(−g) = −r; Hessian of −g = Σ_B |B| q ā āᵀ over the free blocks.
            let mut h = [[0.0_f64; 3]; 3];
            for b in cur.blocks.iter().filter(|b| !b.floored) {
                let seg = &self.v[b.start..b.start + b.len];
                #[expect(clippy::cast_precision_loss, reason = "len ≤ a few dozen")]
                let len = b.len as f64;
                let abar = [
                    1.0,
                    seg.iter().sum::<f64>() / len,
                    seg.iter().map(|x| x * x).sum::<f64>() / len,
                ];
                for i in 0..m {
                    for j in 0..m {
                        h[i][j] += len * b.q * abar[i] * abar[j];
                    }
                }
            }
            let Some(d) = solve_regularised(&h, &r, m) else {
                break;
            };
            // Armijo on −g along d (a descent direction: ∇(−g)·d = −rᵀd < 0).
            let slope: f64 = -(0..m).map(|i| r[i] * d[i]).sum::<f64>();
            if slope >= 0.0 {
                break;
            }
            let mut t = 1.0;
            let mut accepted = None;
            for _ in 0..60 {
                let mut trial = lam;
                for i in 0..m {
                    trial[i] += t * d[i];
                }
                let next = self.inner(trial);
                // Near the optimum −g is flat to rounding (its changes fall below one ulp of
                // its value) and Armijo would refuse every step: there, a step is taken when
                // it does not raise −g beyond rounding and shrinks the gradient (the residuals).
                let sufficient = next.phi <= cur.phi + 1e-4 * t * slope;
                let flat = next.phi <= cur.phi + 1e-12 * cur.phi.abs()
                    && max_abs(&self.residuals(&next.p)[..m]) < residual;
                if next.phi.is_finite() && (sufficient || flat) {
                    accepted = Some((trial, next));
                    break;
                }
                t *= 0.5;
            }
            let Some((trial, next)) = accepted else { break };
            lam = trial;
            cur = next;
        }
        let r = self.residuals(&cur.p);
        residual = residual.min(max_abs(&r[..m]));
        if residual <= ACCEPT {
            Ok((lam, residual))
        } else {
            Err(MaxEntError::NoConvergence { residual })
        }
    }

    /// The primal solution at `lam`, checked for feasibility before it is returned.
    fn finish(&self, lam: [f64; 3], binding: bool) -> Result<Solution, MaxEntError> {
        let p = self.inner(lam).p;
        let r = self.residuals(&p);
        let tol = ACCEPT * 10.0;
        let monotone = p[..self.chain].windows(2).all(|w| w[0] <= w[1]);
        let floor = p.iter().all(|&q| q >= self.eps);
        let residual = r[0].abs().max(r[1].abs()).max(r[2].max(0.0));
        if residual > tol || !monotone || !floor {
            return Err(MaxEntError::NoConvergence { residual });
        }
        Ok(Solution {
            p,
            alpha: lam[0],
            beta: lam[1],
            gamma: lam[2],
            variance_binding: binding,
        })
    }
}

fn max_abs(r: &[f64]) -> f64 {
    r.iter().fold(0.0_f64, |a, x| a.max(x.abs()))
}

/// Solves `(H + δI) d = r` on the leading `m × m` block by Gaussian elimination with partial
/// pivoting, with `δ = 0` first and growing only if `H` is singular (all but one or two
/// entries at the floor leave the Hessian rank-deficient: Levenberg's remedy).
fn solve_regularised(h: &[[f64; 3]; 3], r: &[f64; 3], m: usize) -> Option<[f64; 3]> {
    let scale = (0..m)
        .map(|i| h[i][i].abs())
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut delta = 0.0;
    for _ in 0..12 {
        let mut a = *h;
        let mut b = *r;
        for (i, row) in a.iter_mut().enumerate().take(m) {
            row[i] += delta;
        }
        if let Some(d) = gauss(&mut a, &mut b, m) {
            return Some(d);
        }
        delta = if delta == 0.0 {
            scale * 1e-12
        } else {
            delta * 100.0
        };
    }
    None
}

fn gauss(a: &mut [[f64; 3]; 3], b: &mut [f64; 3], m: usize) -> Option<[f64; 3]> {
    let scale = (0..m)
        .flat_map(|i| (0..m).map(move |j| (i, j)))
        .fold(0.0_f64, |s, (i, j)| s.max(a[i][j].abs()));
    for col in 0..m {
        let piv = (col..m).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        let pivot = a[piv][col].abs();
        if pivot.is_nan() || pivot <= scale * 1e-14 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for row in col + 1..m {
            let f = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (x, y) in a[row][col..m].iter_mut().zip(&pivot_row[col..m]) {
                *x -= f * y;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 3];
    for i in (0..m).rev() {
        let s: f64 = (i + 1..m).map(|k| a[i][k] * x[k]).sum();
        x[i] = (b[i] - s) / a[i][i];
    }
    x.iter().all(|x| x.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EPS: f64 = PTABLE_FLOOR;

    /// Checks the KKT conditions of the module's problem at `s`: primal feasibility, γ ≥ 0
    /// with complementary slackness, and stationarity `ln p_k + 1 + c_k − μ_k + ν_k − ν_{k−1}
    /// = 0` with floor multipliers μ ≥ 0 (0 off the floor) and chain multipliers ν ≥ 0 (0
    /// between entries that differ), reconstructed along the chain.
    fn assert_kkt(v: &[i32], var: f64, mono: bool, s: &Solution) {
        let p = &s.p;
        let vf: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
        let sum: f64 = p.iter().sum();
        let mean: f64 = vf.iter().zip(p).map(|(x, q)| x * q).sum();
        let variance: f64 = vf.iter().zip(p).map(|(x, q)| x * x * q).sum();
        assert!((sum - 1.0).abs() < 1e-13, "sum {sum}");
        assert!(mean.abs() < 1e-12, "mean {mean}");
        assert!(variance <= var + 1e-12, "variance {variance} > {var}");
        assert!(p.iter().all(|&q| q >= EPS), "floor {p:?}");
        assert!(s.gamma >= 0.0, "gamma {}", s.gamma);
        if s.variance_binding {
            assert!(
                (variance - var).abs() < 1e-12,
                "binding but variance {variance}"
            );
        } else {
            assert!(s.gamma == 0.0);
        }
        let chain = if mono {
            v.iter().position(|&x| x == 0).map_or(0, |z| z + 1)
        } else {
            0
        };
        assert!(
            p[..chain].windows(2).all(|w| w[0] <= w[1]),
            "monotony {p:?}"
        );
        let at_floor = |q: f64| q <= EPS * (1.0 + 1e-9);
        let g: Vec<f64> = vf
            .iter()
            .zip(p)
            .map(|(&x, &q)| q.ln() + 1.0 + s.alpha + s.beta * x + s.gamma * x * x)
            .collect();
        let tol = 1e-8;
        for k in chain..p.len() {
            if at_floor(p[k]) {
                assert!(g[k] >= -tol, "floor multiplier {} < 0 at {k}", g[k]);
            } else {
                assert!(g[k].abs() < tol, "stationarity {} at {k}", g[k]);
            }
        }
        // Along the chain: ν_k = ν_{k−1} − g_k + μ_k, ν ≥ 0, and ν = 0 where p_k < p_{k+1}
        // (and after the last entry of the chain).
        let mut nu = 0.0;
        for k in 0..chain {
            let end = k + 1 == chain || p[k] < p[k + 1] * (1.0 - 1e-12);
            let free = nu - g[k];
            if at_floor(p[k]) {
                // μ_k ≥ 0 can raise ν to 0 from below, and must end the block at 0.
                assert!(!end || free <= tol, "floored block end {free} at {k}");
                nu = if end { 0.0 } else { free.max(0.0) };
            } else {
                assert!(free >= -tol, "chain multiplier {free} < 0 at {k}");
                assert!(
                    !end || free.abs() < tol,
                    "chain multiplier {free} at a block end {k}"
                );
                nu = if end { 0.0 } else { free };
            }
        }
    }

    #[test]
    fn symmetric_three_points_by_hand() {
        // Σp = 1, mean 0 and variance V on {−1, 0, 1} leave p = (V/2, 1 − V, V/2) only; the
        // bound binds because the unconstrained maximum (uniform, variance 2/3) exceeds V.
        for var in [0.05, 0.2, 0.5, 0.6] {
            let s = solve(&[-1, 0, 1], var, true, EPS).unwrap();
            let want = [var / 2.0, 1.0 - var, var / 2.0];
            for (a, b) in s.p.iter().zip(want) {
                assert!((a - b).abs() < 1e-14, "{:?} vs {want:?}", s.p);
            }
            assert!(s.variance_binding);
            assert_kkt(&[-1, 0, 1], var, true, &s);
        }
    }

    #[test]
    fn variance_not_binding_gives_the_uniform_distribution() {
        // Mean 0 alone on {−1, 0, 1}: uniform, variance 2/3 < 1, so γ = 0.
        let s = solve(&[-1, 0, 1], 1.0, true, EPS).unwrap();
        for q in &s.p {
            assert!((q - 1.0 / 3.0).abs() < 1e-14);
        }
        assert!(!s.variance_binding);
        assert_kkt(&[-1, 0, 1], 1.0, true, &s);
    }

    #[test]
    fn monotony_pools_by_hand() {
        // ptable's D = 2, V = 0.9, js = 0, row 1: v = −1…2. Unconstrained, mean 0 needs
        // p(−1) > p(0); monotony pools them, and the four equations Σp = 1, mean 0, variance
        // 0.9, p(−1) = p(0) leave (0.3625, 0.3625, 0.1875, 0.0875).
        let v = [-1, 0, 1, 2];
        let s = solve(&v, 0.9, true, EPS).unwrap();
        let want = [0.3625, 0.3625, 0.1875, 0.0875];
        for (a, b) in s.p.iter().zip(want) {
            assert!((a - b).abs() < 1e-13, "{:?}", s.p);
        }
        assert_kkt(&v, 0.9, true, &s);
        // Without monotony p(−1) > p(0).
        let free = solve(&v, 0.9, false, EPS).unwrap();
        assert!(free.p[0] > free.p[1]);
        assert_kkt(&v, 0.9, false, &free);
    }

    #[test]
    fn floor_binds_near_the_least_variance() {
        // Row 1 of js = 2, D = 5: v = {−1, 2, 3, 4, 5}; the least variance is 2 (+ ~3e-7 for
        // the floors). Just above it the tail sits on the floor.
        let v = [-1, 2, 3, 4, 5];
        let min = min_variance(&v, EPS).unwrap();
        assert!((min - 2.0).abs() < 1e-6 && min > 2.0, "{min}");
        for var in [2.0001, 2.01, 2.1, 3.0] {
            let s = solve(&v, var, false, EPS).unwrap();
            assert_kkt(&v, var, false, &s);
        }
        let s = solve(&v, 2.0001, false, EPS).unwrap();
        assert!(s.p[4] <= EPS * (1.0 + 1e-9), "{:?}", s.p);
    }

    #[test]
    fn min_variance_by_hand() {
        // With no floor: the two values adjacent to 0, i·(js + 1 − i) for row i of a table.
        assert_eq!(min_variance(&[-1, 2, 3], 0.0), Some(2.0));
        assert_eq!(min_variance(&[-2, 1, 2], 0.0), Some(2.0));
        assert_eq!(min_variance(&[-3, 0, 4], 0.0), Some(0.0));
        assert_eq!(min_variance(&[1, 2], 0.0), None);
        assert_eq!(min_variance(&[-2, -1], EPS), None);
    }

    #[test]
    fn infeasible_and_bad_inputs_are_refused() {
        assert!(matches!(
            solve(&[-1, 2, 3, 4, 5], 2.0, false, EPS),
            Err(MaxEntError::VarianceInfeasible { .. })
        ));
        assert_eq!(
            solve(&[1, 2, 3], 1.0, false, EPS),
            Err(MaxEntError::MeanInfeasible)
        );
        assert_eq!(
            solve(&[0, 0, 1], 1.0, false, EPS),
            Err(MaxEntError::BadSupport)
        );
        assert_eq!(solve(&[], 1.0, false, EPS), Err(MaxEntError::BadSupport));
        assert!(
            matches!(solve(&[-1, 1], f64::NAN, false, EPS), Err(MaxEntError::BadVariance(x)) if x.is_nan())
        );
        assert!(matches!(
            solve(&[-1, 1], 0.0, false, EPS),
            Err(MaxEntError::BadVariance(_))
        ));
        assert_eq!(
            solve(&[-1, 1], 1.0, false, 0.0),
            Err(MaxEntError::BadFloor(0.0))
        );
    }

    #[test]
    fn single_point_zero() {
        // One value 0: p = 1, variance 0.
        let s = solve(&[0], 1.0, true, EPS).unwrap();
        assert_eq!(s.p, vec![1.0]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Every row of every p-table with D ≤ 8 and js ≤ 4 satisfies the KKT conditions,
        /// for variances from just above the least feasible one to well past binding.
        #[test]
        fn kkt_holds_on_ptable_rows(d in 1i32..=8, js in 0i32..=4, i_frac in 0.0f64..1.0,
                                    extra in 0.001f64..8.0, mono in any::<bool>()) {
            prop_assume!(js == 0 || d > js);
            let imax = if js == 0 { d } else { d + js + 1 };
            #[expect(clippy::cast_possible_truncation, reason = "small")]
            let i = 1 + ((f64::from(imax) * i_frac) as i32).min(imax - 1);
            let v: Vec<i32> = ((i - d).max(0)..=i + d)
                .filter(|j| !(1..=js).contains(j))
                .map(|j| j - i)
                .collect();
            let var = min_variance(&v, EPS).unwrap() + extra;
            let s = solve(&v, var, mono, EPS).unwrap();
            assert_kkt(&v, var, mono, &s);
        }
    }
}
