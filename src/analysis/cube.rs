//! The space-time cube of Emerging Hot Spot Analysis (ArcGIS Pro's method, on H3).
//!
//! Slices are calendar weeks (ISO, Monday first), months or quarters in the committee's zone;
//! cells are those occupied at any time and every cell of their k-disks (empty bins count as
//! zeros). Each (cell, slice) bin gets a Gi* z-score with binary weights over a cylinder: the
//! cell's k-disk (itself included) in the same slice and in each of the previous `time_k`
//! slices — bins before the first slice do not exist. The mean and the population standard
//! deviation are taken over the whole cube (ArcGIS's "entire cube" global window); a bin's
//! denominator uses the number of its existing neighbours W:
//!
//! ```text
//! z = (Σ_j x_j − x̄ W) / (S · √((N W − W²) / (N − 1)))     N = cells × slices
//! ```
//!
//! This is the z of [`super::gistar`] ([`Globals`]) over the cube's bins and cylinders; the
//! cells are that module's k-ring study set of the cells occupied in the range.
//!
//! A bin is significant when its Benjamini–Hochberg q ≤ 0.05, the correction taken over the
//! bins of its slice. Each cell's z series then gets a Mann-Kendall trend and one of the
//! seventeen categories (see [`super::emerging`]). Complexity: O(N · |disk| · (`time_k` + 1)).

use h3o::{CellIndex, Resolution};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::cells::{count_cells, published_counts};
use super::disclosure::PTable;
use super::emerging::{Category, classify};
use super::fdr::bh_adjust;
use super::gistar::{Globals, Study, study_set, two_sided_p};
use super::mann_kendall::{Trend, mann_kendall};
use super::weights::Weighting;
use crate::index::timecube::TimeCube;
use crate::index::{Filter, IncidentIndex};

/// Calendar slice length (`week`, `month`, `quarter` in a query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Slice {
    Week,
    Month,
    Quarter,
}

/// Significance level of a bin (on its per-slice BH q).
pub const BIN_ALPHA: f64 = 0.05;

/// Slice boundaries (Unix seconds) covering `[from, to)`: slice `t` is
/// `[bounds[t], bounds[t + 1])`. The first slice starts at the calendar boundary at or
/// before `from`, so partial first and last slices are whole calendar periods.
#[must_use]
pub fn slice_bounds(from: i64, to: i64, slice: Slice, tz: &TimeZone) -> Vec<i64> {
    let Ok(start) = Timestamp::from_second(from) else {
        return Vec::new();
    };
    let d = tz.to_datetime(start).date();
    let first: Date = match slice {
        Slice::Week => d
            .checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
            .unwrap_or(d),
        Slice::Month => d.first_of_month(),
        Slice::Quarter => {
            let m = (d.month() - 1) / 3 * 3 + 1;
            Date::new(d.year(), m, 1).unwrap_or(d)
        }
    };
    let step = match slice {
        Slice::Week => 1.week(),
        Slice::Month => 1.month(),
        Slice::Quarter => 3.months(),
    };
    let mut out = Vec::new();
    let mut day = first;
    loop {
        let Ok(z) = day
            .to_datetime(jiff::civil::Time::midnight())
            .to_zoned_datetime(tz.clone())
        else {
            break;
        };
        let s = z.timestamp().as_second();
        out.push(s);
        if s >= to || out.len() > 100_000 {
            break;
        }
        match day.checked_add(step) {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

/// One cell of the cube's result.
#[derive(Debug, Clone)]
pub struct EmergingCell {
    pub cell: CellIndex,
    /// Incidents per slice.
    pub counts: Vec<u32>,
    /// Harm (days) per slice, when weighing by harm: then the z-scores are of harm.
    pub harm: Option<Vec<f64>>,
    /// Gi* z per slice.
    pub z: Vec<f64>,
    /// +1 significant hot, −1 significant cold, 0 not, per slice.
    pub bins: Vec<i8>,
    pub trend: Option<Trend>,
    pub category: Category,
}

/// The whole result.
#[derive(Debug, Clone)]
pub struct Cube {
    /// Slice start times (Unix seconds); one more than slices (the end).
    pub bounds: Vec<i64>,
    pub cells: Vec<EmergingCell>,
}

/// The cube's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CubeParams {
    /// H3 resolution of the cells.
    pub res: Resolution,
    /// Radius of the k-disk of neighbours in a slice.
    pub k: u32,
    /// Previous slices in each bin's cylinder.
    pub time_k: usize,
    pub slice: Slice,
    /// `[from, to)` in Unix seconds; either end defaults to the filtered data's extent.
    pub range: (Option<i64>, Option<i64>),
}

/// Builds and analyses the cube of the incidents matching `filter`, slices in the zone `tz`,
/// each bin the count of its incidents or (`w` by harm) their harm. `None` when the range is
/// empty or no incident falls in it.
#[must_use]
pub fn emerging(
    index: &IncidentIndex,
    filter: &Filter,
    params: &CubeParams,
    tz: &TimeZone,
    w: &Weighting,
) -> Option<Cube> {
    build(index, filter, params, tz, w, None)
}

/// [`emerging`] on the counts anonymous callers are published: every (cell, slice) bin is
/// its incidents' count perturbed by `ptable` at their cell key — the same number a density
/// of that cell over that slice publishes — and the cells are those with a positive
/// published count over the whole range, grown by their k-disks. Counts only.
#[must_use]
pub fn emerging_published(
    index: &IncidentIndex,
    filter: &Filter,
    params: &CubeParams,
    tz: &TimeZone,
    ptable: &PTable,
) -> Option<Cube> {
    build(index, filter, params, tz, &Weighting::Count, Some(ptable))
}

fn build(
    index: &IncidentIndex,
    filter: &Filter,
    params: &CubeParams,
    tz: &TimeZone,
    w: &Weighting,
    published: Option<&PTable>,
) -> Option<Cube> {
    let CubeParams {
        res,
        k,
        time_k,
        slice,
        range,
    } = *params;
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    if range.0.is_none() || range.1.is_none() {
        index.for_each(filter, |seg, i| {
            lo = lo.min(seg.time[i]);
            hi = hi.max(seg.time[i] + 1);
        });
    }
    let from = range.0.unwrap_or(lo);
    let to = range.1.unwrap_or(hi);
    if from >= to {
        return None;
    }
    let bounds = slice_bounds(from, to, slice, tz);
    let t_n = bounds.len().saturating_sub(1);
    if t_n == 0 {
        return None;
    }
    // Cells occupied in [from, to), then one pass that drops each incident into its bin.
    // No hashing: `main` is in H3 order, so consecutive rows share a parent and the cell's
    // position is looked up only when the parent changes.
    //
    // An end the range leaves open is the data's first or last time; the slices' outer
    // bounds take in the same incidents and, being midnights, let the time cube count them.
    let from = if range.0.is_none() { bounds[0] } else { from };
    let to = if range.1.is_none() { bounds[t_n] } else { to };
    let mut within = filter.clone();
    within.from = Some(within.from.map_or(from, |f| f.max(from)));
    within.to = Some(within.to.map_or(to, |t| t.min(to)));
    let occ = match published {
        None => count_cells(index, &within, res),
        Some(pt) => published_counts(index, &within, res, pt),
    };
    let cells: Vec<CellIndex> = study_set(&occ, k, Study::Kring)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let n_cells = cells.len();
    if n_cells == 0 {
        return None;
    }
    let raw: Vec<u64> = cells.iter().map(|c| u64::from(*c)).collect();
    // x[c * t_n + s]: the bin's value; counts[c * t_n + s]: its incidents.
    let mut x = vec![0f64; n_cells * t_n];
    let mut counts = vec![0u32; n_cells * t_n];
    // keys[c * t_n + s]: the bin's cell key, when publishing.
    let mut keys = vec![
        0u32;
        if published.is_some() {
            n_cells * t_n
        } else {
            0
        }
    ];
    let harm = w.harm();
    // Each slice's edges, clipped to the range: counts (not harm) of a time-only filter on
    // quarter hours come from the main segment's time cube, two binary searches per cell and
    // edge; the delta (and anything else) is passed over.
    let mut edges = bounds.clone();
    edges[0] = edges[0].max(within.from.unwrap_or(i64::MIN));
    edges[t_n] = edges[t_n].min(within.to.unwrap_or(i64::MAX));
    let from_cube = harm.is_none() && edges.iter().all(|e| TimeCube::covers(Some(*e), None));
    // The cube of the filter's categories and classes (the edges carry its time range).
    let attrs = Filter {
        from: None,
        to: None,
        ..within.clone()
    };
    let cube = if from_cube {
        index.main().cube_for(&attrs, res)
    } else {
        None
    };
    if let Some(cube) = &cube {
        for (ci, &c) in raw.iter().enumerate() {
            for (s, (n, key)) in cube.series(c, &edges).into_iter().enumerate() {
                counts[ci * t_n + s] = n;
                x[ci * t_n + s] = f64::from(n);
                if let Some(k) = keys.get_mut(ci * t_n + s) {
                    *k = key;
                }
            }
        }
    }
    let (mut last_parent, mut last_ci) = (u64::MAX, None);
    let mut add = |seg: &crate::index::Segment, i: usize| {
        // The containing cell (h3's latLngToCell); consecutive rows mostly share one.
        let p = seg.containing_cell(i, res);
        if p != last_parent {
            last_parent = p;
            last_ci = raw.binary_search(&p).ok();
        }
        let t = seg.time[i];
        let s = bounds.partition_point(|&b| b <= t).saturating_sub(1);
        if let Some(ci) = last_ci
            && s < t_n
        {
            x[ci * t_n + s] += harm.map_or(1.0, |h| h.of(seg, i));
            counts[ci * t_n + s] += 1;
            if let Some(k) = keys.get_mut(ci * t_n + s) {
                *k = k.wrapping_add(seg.key[i]);
            }
        }
    };
    if cube.is_some() {
        IncidentIndex::for_each_in_segment(index.delta(), &within, &mut add);
    } else {
        index.for_each(&within, &mut add);
    }
    if let Some(pt) = published {
        for ((n, x), k) in counts.iter_mut().zip(&mut x).zip(&keys) {
            *n = pt.perturb(*n, *k);
            *x = f64::from(*n);
        }
    }
    let globals = Globals::of(x.iter().copied());
    let neighbours: Vec<Vec<usize>> = cells
        .iter()
        .map(|c| {
            c.grid_disk::<Vec<_>>(k)
                .into_iter()
                .filter_map(|n| cells.binary_search(&n).ok())
                .collect()
        })
        .collect();
    let mut z = vec![0f64; x.len()];
    if globals.sd > 0.0 {
        for ci in 0..n_cells {
            for s in 0..t_n {
                let first = s.saturating_sub(time_k);
                let mut sum = 0.0;
                let mut w = 0.0;
                for &nj in &neighbours[ci] {
                    for t in first..=s {
                        sum += x[nj * t_n + t];
                        w += 1.0;
                    }
                }
                z[ci * t_n + s] = globals.z(sum, w);
            }
        }
    }
    // Per-slice BH.
    let mut bins = vec![0i8; x.len()];
    for s in 0..t_n {
        let p: Vec<f64> = (0..n_cells)
            .map(|ci| two_sided_p(z[ci * t_n + s]))
            .collect();
        let q = bh_adjust(&p);
        for ci in 0..n_cells {
            if q[ci] <= BIN_ALPHA {
                let v = z[ci * t_n + s];
                bins[ci * t_n + s] = if v > 0.0 {
                    1
                } else if v < 0.0 {
                    -1
                } else {
                    0
                };
            }
        }
    }
    let out = cells
        .iter()
        .enumerate()
        .map(|(ci, cell)| {
            let zs = z[ci * t_n..(ci + 1) * t_n].to_vec();
            let bs = bins[ci * t_n..(ci + 1) * t_n].to_vec();
            let trend = mann_kendall(&zs);
            EmergingCell {
                cell: *cell,
                counts: counts[ci * t_n..(ci + 1) * t_n].to_vec(),
                harm: harm.map(|_| x[ci * t_n..(ci + 1) * t_n].to_vec()),
                category: classify(&bs, trend.as_ref()),
                z: zs,
                bins: bs,
                trend,
            }
        })
        .collect();
    Some(Cube { bounds, cells: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_follow_the_calendar_in_the_zone() {
        let tz = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let ts = |s: &str| s.parse::<Timestamp>().unwrap().as_second();
        // 2024-01-15 local to 2024-03-10 local: months Jan, Feb, Mar.
        let b = slice_bounds(
            ts("2024-01-15T00:00:00+07:00"),
            ts("2024-03-10T00:00:00+07:00"),
            Slice::Month,
            &tz,
        );
        assert_eq!(b.len(), 4);
        assert_eq!(b[0], ts("2024-01-01T00:00:00+07:00"));
        assert_eq!(b[1], ts("2024-02-01T00:00:00+07:00"));
        assert_eq!(b[3], ts("2024-04-01T00:00:00+07:00"));
        // Quarters of 2023–2024: 8 slices.
        let q = slice_bounds(
            ts("2023-01-01T00:00:00+07:00"),
            ts("2025-01-01T00:00:00+07:00"),
            Slice::Quarter,
            &tz,
        );
        assert_eq!(q.len(), 9);
        // Weeks start on Monday: 2024-01-03 is a Wednesday, its week began 2024-01-01.
        let w = slice_bounds(
            ts("2024-01-03T12:00:00+07:00"),
            ts("2024-01-20T00:00:00+07:00"),
            Slice::Week,
            &tz,
        );
        assert_eq!(w[0], ts("2024-01-01T00:00:00+07:00"));
        assert_eq!(w[1] - w[0], 7 * 86_400);
        // 23:30 UTC on 31 December is already the next year in Ho Chi Minh City.
        let y = slice_bounds(
            ts("2023-12-31T23:30:00Z"),
            ts("2024-01-02T00:00:00Z"),
            Slice::Month,
            &tz,
        );
        assert_eq!(y[0], ts("2024-01-01T00:00:00+07:00"));
    }
}
