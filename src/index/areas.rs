//! Areas (wards, districts, complex areas) with an R-tree of their bounding boxes, for
//! point-in-polygon through the tree and exact `geo` predicates.

use geo::{BoundingRect, Contains};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::incidents::BBox;
use crate::domain::Area;

#[derive(Debug, Default)]
pub struct AreaLayer {
    areas: Vec<Area>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
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
        Self { areas, tree }
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
