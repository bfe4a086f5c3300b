//! Density: incidents per occupied H3 cell and per km² of the cell's true (spherical) area.

use h3o::{CellIndex, Resolution};

use super::cells::count_cells;
use crate::index::{Filter, IncidentIndex};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DensityCell {
    pub cell: CellIndex,
    pub count: u32,
    /// `count` over the cell's area in km² (h3o's exact spherical area; cells of one
    /// resolution differ in size by up to a factor of two across the globe).
    pub per_km2: f64,
}

/// Every occupied cell at `res`, sorted by cell.
#[must_use]
pub fn density(index: &IncidentIndex, filter: &Filter, res: Resolution) -> Vec<DensityCell> {
    count_cells(index, filter, res)
        .into_iter()
        .map(|(cell, count)| DensityCell {
            cell,
            count,
            per_km2: f64::from(count) / cell.area_km2(),
        })
        .collect()
}
