//! Density: incidents per occupied H3 cell and per km² of the cell's true (spherical) area;
//! with `weight=harm`, the cell's harm (days) and harm per km² too.

use std::collections::HashMap;

use h3o::{CellIndex, Resolution};

use super::cells::{Tally, cell_values};
use super::weights::Weighting;
use crate::index::{Filter, IncidentIndex};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DensityCell {
    pub cell: CellIndex,
    pub count: u32,
    /// `count` over the cell's area in km² (h3o's exact spherical area; cells of one
    /// resolution differ in size by up to a factor of two across the globe).
    pub per_km2: f64,
    /// The incidents' harm in days and its density per km², when weighing by harm.
    pub harm: Option<(f64, f64)>,
}

/// Cells' areas kept once computed: h3o's exact spherical area of a cell is a few hundred
/// nanoseconds, which over ~3,000 cells was most of a density once counting took 0.01 ms
/// (issue 21). A cell's area never changes; the memo is cleared when it outgrows its bound.
static AREAS: std::sync::LazyLock<std::sync::RwLock<HashMap<CellIndex, f64>>> =
    std::sync::LazyLock::new(Default::default);

/// Cells the area memo holds at most.
const AREAS_MAX: usize = 1 << 20;

/// The area in km² of each of `cells` (h3o's `area_km2`), through the memo.
#[must_use]
pub fn areas_km2(cells: &[CellIndex]) -> Vec<f64> {
    let mut out = vec![f64::NAN; cells.len()];
    let mut missing = Vec::new();
    {
        let memo = AREAS
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (i, c) in cells.iter().enumerate() {
            match memo.get(c) {
                Some(a) => out[i] = *a,
                None => missing.push(i),
            }
        }
    }
    if !missing.is_empty() {
        let mut memo = AREAS
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if memo.len() + missing.len() > AREAS_MAX {
            memo.clear();
        }
        for i in missing {
            let a = cells[i].area_km2();
            memo.insert(cells[i], a);
            out[i] = a;
        }
    }
    out
}

/// Every occupied cell at `res`, sorted by cell.
#[must_use]
pub fn density(
    index: &IncidentIndex,
    filter: &Filter,
    res: Resolution,
    w: &Weighting,
) -> Vec<DensityCell> {
    density_of(cell_values(index, filter, res, w), w.harm().is_some())
}

/// The density of cells' tallies (exact, or published counts), with the harm when `harm`.
#[must_use]
pub fn density_of(values: Vec<(CellIndex, Tally)>, harm: bool) -> Vec<DensityCell> {
    let cells: Vec<CellIndex> = values.iter().map(|(c, _)| *c).collect();
    values
        .into_iter()
        .zip(areas_km2(&cells))
        .map(|((cell, t), area)| DensityCell {
            cell,
            count: t.count,
            per_km2: f64::from(t.count) / area,
            harm: harm.then(|| (t.value, t.value / area)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo gives h3o's areas, the first time and from memory, in the order asked.
    #[test]
    fn areas_come_from_h3o_and_then_from_memory() {
        let origin = h3o::LatLng::new(10.78, 106.70)
            .expect("a point")
            .to_cell(Resolution::Nine);
        let cells: Vec<CellIndex> = origin.grid_disk(3);
        let want: Vec<f64> = cells.iter().map(|c| c.area_km2()).collect();
        assert_eq!(areas_km2(&cells), want);
        let mut reversed = cells.clone();
        reversed.reverse();
        let mut want_reversed = want.clone();
        want_reversed.reverse();
        assert_eq!(areas_km2(&reversed), want_reversed);
    }
}
