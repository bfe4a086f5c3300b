//! How many threads one computation may use.
//!
//! The hot paths that split their work (KDE's evaluation, DBSCAN, the Local Moran
//! permutations, the containment and time-cube builds) ask [`threads`] rather than the
//! machine, so that one request never takes more than its share of the cores: the server
//! sets the limit from `--analysis-threads` at start, and the instruction-count benchmark
//! sets 1 so that its counts do not depend on scheduling. Every splitting site joins its
//! parts in order, so results never depend on the limit.

use std::sync::atomic::{AtomicUsize, Ordering};

/// 0: no limit but the machine's cores.
static LIMIT: AtomicUsize = AtomicUsize::new(0);

/// Caps the threads of every later computation at `n` (0 lifts the cap).
pub fn set_limit(n: usize) {
    LIMIT.store(n, Ordering::Relaxed);
}

/// The threads a computation may use now: the machine's cores, capped by [`set_limit`].
#[must_use]
pub fn threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    match LIMIT.load(Ordering::Relaxed) {
        0 => cores,
        n => n.min(cores),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn limit_caps_and_lifts() {
        let cores = super::threads();
        assert!(cores >= 1);
        super::set_limit(1);
        assert_eq!(super::threads(), 1);
        super::set_limit(0);
        assert_eq!(super::threads(), cores);
    }
}
