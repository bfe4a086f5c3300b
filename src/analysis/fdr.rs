//! Benjamini–Hochberg false discovery rate (Benjamini & Hochberg 1995).
//!
//! q_(i) = min over j ≥ i of p_(j) · m / j for p-values sorted ascending, capped at 1; the
//! adjusted values are monotone in p. Equal p-values get equal q-values.

/// BH-adjusted q-values, in the order of `p`.
#[must_use]
pub fn bh_adjust(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_unstable_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![0.0; m];
    let mut running = 1.0f64;
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    for (rank, &i) in order.iter().enumerate().rev() {
        let v = p[i] * m as f64 / (rank + 1) as f64;
        running = running.min(v).min(1.0);
        q[i] = running;
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed: sorted p·m/rank = 0.025, 0.025, 0.05, 0.05, 0.2, then running minima from the top.
    #[test]
    fn matches_r_p_adjust() {
        let q = bh_adjust(&[0.01, 0.04, 0.03, 0.005, 0.2]);
        let want = [0.025, 0.05, 0.05, 0.025, 0.2];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert!(bh_adjust(&[]).is_empty());
        assert_eq!(bh_adjust(&[0.9, 0.95]), vec![0.95, 0.95]);
    }
}
