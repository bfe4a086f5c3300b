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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AreaGeometry, AreaKind, NewArea};
    use geo::Intersects;
    use proptest::prelude::*;

    /// A triangle or a quadrilateral around (x, y), counter-clockwise, on a 0.001° grid.
    fn area(i: usize, x: u32, y: u32, w: u32, h: u32, triangle: bool) -> Area {
        let deg = |v: u32| 106.6 + f64::from(v) / 1000.0;
        let lat = |v: u32| 10.6 + f64::from(v) / 1000.0;
        let (x0, y0, x1, y1) = (deg(x), lat(y), deg(x + w), lat(y + h));
        let ring: Vec<Vec<f64>> = if triangle {
            vec![vec![x0, y0], vec![x1, y0], vec![x0, y1], vec![x0, y0]]
        } else {
            vec![
                vec![x0, y0],
                vec![x1, y0],
                vec![x1, y1],
                vec![x0, y1],
                vec![x0, y0],
            ]
        };
        Area {
            id: i64::try_from(i).unwrap() + 1,
            data: NewArea {
                code: format!("a-{i}"),
                name: format!("Area {i}"),
                kind: AreaKind::Ward,
                geometry: AreaGeometry::from_raw(&[vec![ring]]).unwrap(),
                population: None,
            },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        /// Box queries and point-in-area lookups equal linear scans with `geo`'s exact
        /// predicates (points on shared edges and vertices included).
        #[test]
        fn queries_equal_linear_scans(
            shapes in prop::collection::vec((0u32..100, 0u32..100, 1u32..40, 1u32..40, any::<bool>()), 0..40),
            b in (0u32..120, 0u32..120, 0u32..50, 0u32..50),
            points in prop::collection::vec((0u32..150, 0u32..150), 1..40),
        ) {
            let areas: Vec<Area> = shapes
                .iter()
                .enumerate()
                .map(|(i, &(x, y, w, h, t))| area(i, x, y, w, h, t))
                .collect();
            let layer = AreaLayer::new(areas.clone());
            let deg = |v: u32| 106.6 + f64::from(v) / 1000.0;
            let lat = |v: u32| 10.6 + f64::from(v) / 1000.0;
            let bbox = BBox::new(deg(b.0), lat(b.1), deg(b.0 + b.2), lat(b.1 + b.3)).unwrap();
            let rect = geo::Rect::new((bbox.min_lon, bbox.min_lat), (bbox.max_lon, bbox.max_lat));
            let want: Vec<usize> = areas
                .iter()
                .enumerate()
                .filter(|(_, a)| a.data.geometry.multi_polygon().bounding_rect().is_some_and(|r| r.intersects(&rect)))
                .map(|(i, _)| i)
                .collect();
            prop_assert_eq!(layer.in_bbox(Some(&bbox)), want);
            for (x, y) in points {
                let p = geo::Point::new(deg(x), lat(y));
                let mut got: Vec<i64> = layer.containing(p.x(), p.y()).map(|a| a.id).collect();
                got.sort_unstable();
                let want: Vec<i64> = areas
                    .iter()
                    .filter(|a| a.data.geometry.multi_polygon().contains(&p))
                    .map(|a| a.id)
                    .collect();
                prop_assert_eq!(got, want);
            }
            for a in &areas {
                prop_assert_eq!(layer.by_code(&a.data.code).map(|x| x.id), Some(a.id));
                prop_assert_eq!(layer.by_id(a.id).map(|x| &x.data.code), Some(&a.data.code));
            }
        }
    }
}
