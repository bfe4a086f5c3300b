//! Counts over time per cell, kept once per (segment, resolution), so that counting the
//! incidents of a time range is O(cells), not O(incidents) (issue 21).
//!
//! Time is cut into buckets of [`BUCKET_S`] seconds (15 minutes) from the Unix epoch.
//! Every time zone's offset from UTC today is a whole number of quarter hours (India's +5:30
//! and Nepal's +5:45 included), so every local midnight — hence every day, month, quarter
//! and year of any committee — starts a bucket, and the cube needs no zone. (Some zones'
//! historic offsets were not, e.g. Monrovia's −0:44:30 until 1972; a range whose ends are
//! not bucket starts is simply counted by the scan.) Per containing cell
//! (h3's `latLngToCell`, through the segment's containment lists) it keeps the buckets that
//! hold incidents, in order, with the running count and the running (wrapping) sum of the
//! record keys up to and including each: the incidents of cell `c` in `[from, to)` are the
//! running values at the last bucket before `to` less those at the last bucket before
//! `from`, two binary searches.
//!
//! A filter on categories or classes is counted from a cube of those rows alone
//! ([`AttrCubes`]): built on the first query that asks for that combination (a pass and a
//! sort of the matching rows), kept per segment within [`ATTR_CUBES_BYTES`], the least
//! recently used dropped first. A range whose ends are not bucket starts, a box or an area
//! fall back to the scan (`crate::analysis::cells`), which gives the same counts; property
//! tests check the two agree. Memory: at most one entry (12 bytes) per row, built on first
//! use; an attribute cube at most one per matching row.

use std::sync::{Arc, Mutex, PoisonError};

use h3o::Resolution;

use super::Segment;
use super::rows::CategoryRef;
use crate::domain::SeveritySet;

/// Heap bytes of attribute cubes one segment keeps (a category's cube at res 9 is ~12 bytes
/// per incident of that category: a few MB for a common one over 1M incidents).
pub const ATTR_CUBES_BYTES: usize = 256 << 20;

/// Bucket length in seconds: a quarter hour, the finest step of any UTC offset.
pub const BUCKET_S: i64 = 900;

/// The running counts of one segment at one resolution.
#[derive(Debug, Default, Clone)]
pub struct TimeCube {
    /// Containing cells (raw bits), sorted.
    cells: Vec<u64>,
    /// Cell `i`'s entries are `start[i]..start[i + 1]`.
    start: Vec<u32>,
    /// Bucket of each entry (Unix seconds / [`BUCKET_S`], less `base`), increasing per cell.
    bucket: Vec<u32>,
    /// Running count and running key sum up to and including the entry's bucket.
    running: Vec<(u32, u32)>,
    base: i64,
}

impl TimeCube {
    /// Builds the cube of `seg` at `res` (its containing cells, through its lists). `None`
    /// for a segment of 2³² rows or more, or spanning 2³² quarter hours (122,000 years) or
    /// more: the scan counts those.
    #[must_use]
    pub fn of(seg: &Segment, res: Resolution) -> Option<Self> {
        Self::of_rows(seg, res, |_| true)
    }

    /// [`Self::of`] over the rows `keep` accepts.
    #[must_use]
    pub fn of_rows(seg: &Segment, res: Resolution, keep: impl Fn(usize) -> bool) -> Option<Self> {
        let n = seg.len();
        u32::try_from(n).ok()?;
        if n == 0 {
            return Some(Self::default());
        }
        let base = seg
            .time
            .iter()
            .map(|t| t.div_euclid(BUCKET_S))
            .min()
            .unwrap_or(0);
        let mut rows: Vec<(u64, u32, u32)> = (0..n)
            .filter(|&i| keep(i))
            .map(|i| {
                let b = u32::try_from(seg.time[i].div_euclid(BUCKET_S) - base).ok()?;
                Some((seg.containing_cell(i, res), b, seg.key[i]))
            })
            .collect::<Option<_>>()?;
        rows.sort_unstable_by_key(|&(c, b, _)| (c, b));
        let mut cube = Self {
            base,
            ..Self::default()
        };
        for (c, b, k) in rows {
            let new_cell = cube.cells.last() != Some(&c);
            if new_cell {
                cube.cells.push(c);
                cube.start.push(u32::try_from(cube.bucket.len()).ok()?);
            }
            let same_bucket = !new_cell && cube.bucket.last() == Some(&b);
            let (count, key) = if new_cell {
                (0, 0)
            } else {
                cube.running.last().copied().unwrap_or((0, 0))
            };
            let next = (count + 1, key.wrapping_add(k));
            if same_bucket {
                if let Some(last) = cube.running.last_mut() {
                    *last = next;
                }
            } else {
                cube.bucket.push(b);
                cube.running.push(next);
            }
        }
        cube.start.push(u32::try_from(cube.bucket.len()).ok()?);
        Some(cube)
    }

    /// Whether the cube can answer `[from, to)`: each end absent or a bucket start.
    #[must_use]
    pub fn covers(from: Option<i64>, to: Option<i64>) -> bool {
        from.is_none_or(|t| t.rem_euclid(BUCKET_S) == 0)
            && to.is_none_or(|t| t.rem_euclid(BUCKET_S) == 0)
    }

    /// The bucket of Unix second `t` relative to the cube's first, 0 for any before it.
    fn relative(&self, t: i64) -> u64 {
        u64::try_from(t.div_euclid(BUCKET_S) - self.base).unwrap_or(0)
    }

    /// Each occupied cell's count and key sum over `[from, to)` (ends as [`Self::covers`]
    /// accepts; `None` for open), cells with none left out, sorted by cell.
    #[must_use]
    pub fn counts(&self, from: Option<i64>, to: Option<i64>) -> Vec<(u64, (u32, u32))> {
        let lo = from.map(|t| self.relative(t));
        let hi = to.map(|t| self.relative(t));
        let mut out = Vec::with_capacity(self.cells.len());
        for (i, &cell) in self.cells.iter().enumerate() {
            let (s, e) = (self.start[i] as usize, self.start[i + 1] as usize);
            let buckets = &self.bucket[s..e];
            let running = &self.running[s..e];
            // Entries before `t`: those with bucket < t.
            let before = |t: Option<u64>, open: usize| {
                t.map_or(open, |t| buckets.partition_point(|&b| u64::from(b) < t))
            };
            let (a, b) = (before(lo, 0), before(hi, buckets.len()));
            if b <= a {
                continue;
            }
            let at = |j: usize| if j == 0 { (0, 0) } else { running[j - 1] };
            let (c1, k1) = at(b);
            let (c0, k0) = at(a);
            out.push((cell, (c1 - c0, k1.wrapping_sub(k0))));
        }
        out
    }

    /// The count and key sum of `cell` (raw bits) in each interval `[edges[s], edges[s + 1])`
    /// (edges increasing, each a bucket start); zeros for a cell the cube does not hold.
    #[must_use]
    pub fn series(&self, cell: u64, edges: &[i64]) -> Vec<(u32, u32)> {
        let n = edges.len().saturating_sub(1);
        let Ok(i) = self.cells.binary_search(&cell) else {
            return vec![(0, 0); n];
        };
        let (s, e) = (self.start[i] as usize, self.start[i + 1] as usize);
        let buckets = &self.bucket[s..e];
        let running = &self.running[s..e];
        // The running values before each edge.
        let before: Vec<(u32, u32)> = edges
            .iter()
            .map(|&t| {
                let rel = self.relative(t);
                match buckets.partition_point(|&b| u64::from(b) < rel) {
                    0 => (0, 0),
                    j => running[j - 1],
                }
            })
            .collect();
        before
            .windows(2)
            .map(|w| (w[1].0 - w[0].0, w[1].1.wrapping_sub(w[0].1)))
            .collect()
    }

    /// Heap bytes held.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.cells.capacity() * 8
            + self.start.capacity() * 4
            + self.bucket.capacity() * 4
            + self.running.capacity() * 8
    }
}

/// What an attribute cube counts: a resolution and a filter's categories (sorted, no
/// duplicates) and classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attrs {
    pub res: Resolution,
    pub categories: Option<Vec<CategoryRef>>,
    pub severities: Option<SeveritySet>,
}

/// One segment's attribute cubes, least recently used first.
#[derive(Debug, Default)]
pub struct AttrCubes {
    entries: Mutex<Vec<(Attrs, Arc<TimeCube>)>>,
}

impl AttrCubes {
    /// The cube of `key`, built by `build` when it is not kept. Built outside the lock, so
    /// that queries of other cubes do not wait; two first queries of one key may both build.
    pub fn get_or_build(
        &self,
        key: &Attrs,
        build: impl FnOnce() -> Option<TimeCube>,
    ) -> Option<Arc<TimeCube>> {
        {
            // A poisoned lock means a panic elsewhere while holding it; entries are only
            // ever pushed or removed whole, so the list is still sound.
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(at) = entries.iter().position(|(k, _)| k == key) {
                let hit = entries.remove(at);
                let cube = Arc::clone(&hit.1);
                entries.push(hit);
                return Some(cube);
            }
        }
        let cube = Arc::new(build()?);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if !entries.iter().any(|(k, _)| k == key) {
            entries.push((key.clone(), Arc::clone(&cube)));
        }
        let mut held: usize = entries.iter().map(|(_, c)| c.bytes()).sum();
        while held > ATTR_CUBES_BYTES && entries.len() > 1 {
            held -= entries.remove(0).1.bytes();
        }
        Some(cube)
    }

    /// Heap bytes held.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(_, c)| c.bytes())
            .sum()
    }
}

/// A time cube a segment lends: its own all-rows cube or a shared attribute cube.
#[derive(Debug)]
pub enum Cube<'a> {
    Rows(&'a TimeCube),
    Attrs(Arc<TimeCube>),
}

impl std::ops::Deref for Cube<'_> {
    type Target = TimeCube;
    fn deref(&self) -> &TimeCube {
        match self {
            Self::Rows(c) => c,
            Self::Attrs(c) => c,
        }
    }
}
