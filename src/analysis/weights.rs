//! What an analysis adds up per incident: one (`weight=count`), or its harm in days
//! (`weight=harm`, the catalogue's [`HarmWeights`]).
//!
//! The weight is looked up per row from the two columns the index already keeps, the
//! category's small integer and the class's two bits, in a flat table built once per
//! request: no string is touched in a hot loop.

use std::sync::Arc;

use crate::domain::{HarmWeights, Severity};
use crate::index::{Interner, Segment};

/// How incidents are weighed (`weight` in a query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Weight {
    /// Every incident counts one.
    #[default]
    Count,
    /// Every incident weighs its harm in days (the catalogue's harm weights).
    Harm,
}

/// The weighing an analysis runs with.
#[derive(Debug, Clone, Default)]
pub enum Weighting {
    #[default]
    Count,
    Harm(HarmTable),
}

impl Weighting {
    /// The weighing `w` asks for, with the catalogue's weights over the index's categories.
    #[must_use]
    pub fn new(w: Weight, weights: &HarmWeights, categories: &Interner) -> Self {
        match w {
            Weight::Count => Self::Count,
            Weight::Harm => Self::Harm(HarmTable::new(weights, categories)),
        }
    }

    /// The harm table, when weighing by harm.
    #[must_use]
    pub fn harm(&self) -> Option<&HarmTable> {
        match self {
            Self::Count => None,
            Self::Harm(t) => Some(t),
        }
    }
}

/// Harm in days by (category, class), indexed as the index interns categories.
#[derive(Debug, Clone, PartialEq)]
pub struct HarmTable {
    /// `days[category * 4 + class]`.
    days: Arc<[f64]>,
    /// For categories the index does not know (a filter's placeholder): each class's default.
    fallback: [f64; 4],
}

impl HarmTable {
    /// The table of `weights` for the categories of `categories`.
    #[must_use]
    pub fn new(weights: &HarmWeights, categories: &Interner) -> Self {
        let days: Vec<f64> = (0..categories.len())
            .flat_map(|i| {
                let code = categories.code(crate::index::CategoryRef::at(i));
                Severity::ALL
                    .into_iter()
                    .map(move |s| weights.days(code, s))
            })
            .collect();
        Self {
            days: days.into(),
            fallback: crate::domain::harm::DEFAULT_DAYS,
        }
    }

    /// The harm of row `i` of `seg`.
    #[inline]
    #[must_use]
    pub fn of(&self, seg: &Segment, i: usize) -> f64 {
        let class = usize::from(seg.flags[i] & 3);
        self.days
            .get(seg.category[i].index() * 4 + class)
            .copied()
            .unwrap_or(self.fallback[class])
    }
}
