//! Areas (wards, districts, complex areas) with an R-tree of their bounding boxes, for
//! point-in-polygon through the tree and exact `geo` predicates, and each area's H3 cover
//! (computed on first use, then kept as long as this version of the layer).

use std::sync::OnceLock;

use geo::{BoundingRect, Contains};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, Resolution};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::incidents::BBox;
use crate::domain::Area;

#[derive(Debug, Default)]
pub struct AreaLayer {
    areas: Vec<Area>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    /// Per area, its cover at [`COVER_RES`] (filled lazily: most areas are never asked).
    covers: Vec<OnceLock<Vec<CellIndex>>>,
}

/// Resolution of the cached covers: the KPIs' hotspot resolution (the analyses' default).
pub const COVER_RES: Resolution = Resolution::Nine;

/// The cells at `res` whose hexagon meets the polygons (inside or touching the boundary,
/// or covering a polygon smaller than a cell), sorted.
#[must_use]
pub fn cover(mp: &geo::MultiPolygon<f64>, res: Resolution) -> Vec<CellIndex> {
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::Covers)
        .build();
    // Stored geometries were validated on the way in; an invalid one covers nothing.
    if tiler.add_batch(mp.0.iter().cloned()).is_err() {
        return Vec::new();
    }
    let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
    cells.sort_unstable();
    cells.dedup();
    cells
}

impl AreaLayer {
    /// `areas` in id order.
    #[must_use]
    pub fn new(areas: Vec<Area>) -> Self {
        let tree = RTree::bulk_load(
            areas
                .iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    a.data.geometry.multi_polygon().bounding_rect().map(|r| {
                        GeomWithData::new(
                            Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                            i,
                        )
                    })
                })
                .collect(),
        );
        let covers = areas.iter().map(|_| OnceLock::new()).collect();
        Self {
            areas,
            tree,
            covers,
        }
    }

    /// The position of the area with this code.
    #[must_use]
    pub fn position(&self, code: &str) -> Option<usize> {
        self.areas.iter().position(|a| a.data.code == code)
    }

    /// The cover of the area at position `pos` at [`COVER_RES`], sorted; computed once per
    /// version of the layer. Empty for a position out of range.
    #[must_use]
    pub fn cover(&self, pos: usize) -> &[CellIndex] {
        match (self.covers.get(pos), self.areas.get(pos)) {
            (Some(slot), Some(a)) => {
                slot.get_or_init(|| cover(a.data.geometry.multi_polygon(), COVER_RES))
            }
            _ => &[],
        }
    }

    #[must_use]
    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    #[must_use]
    pub fn by_id(&self, id: i64) -> Option<&Area> {
        self.areas
            .binary_search_by_key(&id, |a| a.id)
            .ok()
            .map(|i| &self.areas[i])
    }

    #[must_use]
    pub fn by_code(&self, code: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.data.code == code)
    }

    /// Positions of areas whose bounding box meets `bbox`, in id order.
    #[must_use]
    pub fn in_bbox(&self, bbox: Option<&BBox>) -> Vec<usize> {
        match bbox {
            None => (0..self.areas.len()).collect(),
            Some(b) => {
                let env = AABB::from_corners([b.min_lon, b.min_lat], [b.max_lon, b.max_lat]);
                let mut v: Vec<usize> = self
                    .tree
                    .locate_in_envelope_intersecting(&env)
                    .map(|g| g.data)
                    .collect();
                v.sort_unstable();
                v
            }
        }
    }

    /// The areas containing the point: candidates from the tree, then the exact predicate.
    pub fn containing(&self, lon: f64, lat: f64) -> impl Iterator<Item = &Area> {
        let p = geo::Point::new(lon, lat);
        self.tree
            .locate_all_at_point(&[lon, lat])
            .map(|g| &self.areas[g.data])
            .filter(move |a| a.data.geometry.multi_polygon().contains(&p))
    }
}
