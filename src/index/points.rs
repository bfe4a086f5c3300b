//! Small point layers (cameras, self-managed models): the full records, in id order, with
//! an R-tree of their positions. A few thousand rows at most, so a write rebuilds the layer.

use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use super::incidents::BBox;
use crate::domain::{Camera, LonLat, Model};

/// Anything with a position and an id.
pub trait Located {
    fn id(&self) -> i64;
    fn location(&self) -> LonLat;
}

impl Located for Camera {
    fn id(&self) -> i64 {
        self.id
    }
    fn location(&self) -> LonLat {
        self.data.location
    }
}

impl Located for Model {
    fn id(&self) -> i64 {
        self.id
    }
    fn location(&self) -> LonLat {
        self.data.location
    }
}

#[derive(Debug)]
pub struct PointLayer<T> {
    records: Vec<T>,
    tree: RTree<GeomWithData<[f64; 2], usize>>,
}

impl<T> Default for PointLayer<T> {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            tree: RTree::new(),
        }
    }
}

impl<T: Located> PointLayer<T> {
    /// `records` must be in id order (as the store returns them).
    #[must_use]
    pub fn new(records: Vec<T>) -> Self {
        let tree = RTree::bulk_load(
            records
                .iter()
                .enumerate()
                .map(|(i, r)| GeomWithData::new([r.location().lon(), r.location().lat()], i))
                .collect(),
        );
        Self { records, tree }
    }

    #[must_use]
    pub fn records(&self) -> &[T] {
        &self.records
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.records.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Positions (into [`Self::records`]) of the records inside `bbox`, in id order.
    #[must_use]
    pub fn in_bbox(&self, bbox: Option<&BBox>) -> Vec<usize> {
        match bbox {
            None => (0..self.records.len()).collect(),
            Some(b) => {
                let env = AABB::from_corners([b.min_lon, b.min_lat], [b.max_lon, b.max_lat]);
                let mut v: Vec<usize> =
                    self.tree.locate_in_envelope(&env).map(|g| g.data).collect();
                v.sort_unstable();
                v
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct P(i64, LonLat);

    impl Located for P {
        fn id(&self) -> i64 {
            self.0
        }
        fn location(&self) -> LonLat {
            self.1
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// A box query equals a linear scan with the same closed-box test, points on the
        /// box's edges included (coordinates on a 0.001° grid make edges common).
        #[test]
        fn in_bbox_equals_linear_scan(
            pts in prop::collection::vec((0u32..200, 0u32..200), 0..300),
            b in (0u32..200, 0u32..200, 0u32..80, 0u32..80),
        ) {
            let deg = |i: u32| 106.6 + f64::from(i) / 1000.0;
            let records: Vec<P> = pts
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| P(i64::try_from(i).unwrap() + 1, LonLat::new(deg(x), deg(y) - 96.0).unwrap()))
                .collect();
            let bbox = BBox::new(deg(b.0), deg(b.1) - 96.0, deg(b.0 + b.2), deg(b.1 + b.3) - 96.0).unwrap();
            let want: Vec<usize> = records
                .iter()
                .enumerate()
                .filter(|(_, r)| bbox.contains(r.1.lon(), r.1.lat()))
                .map(|(i, _)| i)
                .collect();
            let layer = PointLayer::new(records);
            prop_assert_eq!(layer.in_bbox(Some(&bbox)), want);
            prop_assert_eq!(layer.in_bbox(None), (0..layer.len()).collect::<Vec<_>>());
        }
    }
}
