//! Density: incidents per occupied H3 cell and per km² of the cell's true (spherical) area;
//! with `weight=harm`, the cell's harm (days) and harm per km² too.

use h3o::{CellIndex, Resolution};

use super::cells::cell_values;
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

/// Every occupied cell at `res`, sorted by cell.
#[must_use]
pub fn density(
    index: &IncidentIndex,
    filter: &Filter,
    res: Resolution,
    w: &Weighting,
) -> Vec<DensityCell> {
    let harm = w.harm().is_some();
    cell_values(index, filter, res, w)
        .into_iter()
        .map(|(cell, t)| {
            let area = cell.area_km2();
            DensityCell {
                cell,
                count: t.count,
                per_km2: f64::from(t.count) / area,
                harm: harm.then(|| (t.value, t.value / area)),
            }
        })
        .collect()
}
