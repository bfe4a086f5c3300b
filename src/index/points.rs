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
