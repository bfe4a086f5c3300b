//! Emerging hot spot categories, after ArcGIS Pro's Emerging Hot Spot Analysis (Esri,
//! "How Emerging Hot Spot Analysis works").
//!
//! Input per cell: its Gi* result in each of T time slices, reduced to a bin per slice —
//! hot (> 0: significant hot spot), cold (< 0: significant cold spot) or 0 (not
//! significant) — and the Mann–Kendall test ([`super::mann_kendall`]) of the cell's Gi* z
//! series (`None` when undefined, e.g. a constant series; treated as "no significant trend").
//! Any positive bin counts as hot and any negative as cold, so confidence bins (±1..±3) can be
//! passed directly.
//!
//! # Rules
//!
//! With H hot and C cold slices out of T, "hot at the end" meaning the last slice is hot,
//! "≥ 90 %" meaning 10·H ≥ 9·T (integer arithmetic, no rounding) and a trend "significantly
//! up/down" meaning Mann–Kendall p < 0.05 with z > 0 / z < 0, the first rule that holds wins:
//!
//! | # | rule (ours) | category | ArcGIS's definition (paraphrased) |
//! |---|---|---|---|
//! | 1 | H ≥ 90 %, hot at the end, trend significantly up | intensifying hot spot | a statistically significant hot spot for 90 % of the time steps, including the final one, and the intensity of clustering of high counts is increasing overall, significantly |
//! | 1 | H ≥ 90 %, hot at the end, trend significantly down | diminishing hot spot | a significant hot spot for 90 % of the time steps, including the final one, and the intensity of clustering is decreasing overall, significantly |
//! | 1 | H ≥ 90 %, hot at the end, otherwise | persistent hot spot | a significant hot spot for 90 % of the time steps with no discernible trend in the intensity of clustering |
//! | 2 | H ≥ 90 %, not hot at the end | historical hot spot | the most recent time period is not hot, but at least 90 % of the time steps have been significant hot spots |
//! | 3 | hot at the end, H = 1 | new hot spot | a significant hot spot for the final time step that has never been a significant hot spot before |
//! | 4 | hot at the end, the final run of hot slices is ≥ 2 long and no hot slice precedes it | consecutive hot spot | a single uninterrupted run of at least two significant hot spot bins in the final time steps; never a significant hot spot before that run, and less than 90 % of all bins hot |
//! | 5 | hot at the end, C ≥ 1 | oscillating hot spot | a significant hot spot for the final time step that has been a significant cold spot during a prior time step; less than 90 % of the time steps hot |
//! | 6 | hot at the end | sporadic hot spot | a significant hot spot for the final time step with a history of being an on-again, off-again hot spot; less than 90 % of the time steps hot and none of them a significant cold spot |
//! | 7–12 | rules 1–6 with hot and cold swapped | the cold spot categories | ArcGIS's mirror definitions; *intensifying* cold = trend significantly **down** (ever colder z), *diminishing* cold = significantly **up** |
//! | — | none of the above | no pattern | does not fall into any of the hot or cold spot patterns |
//!
//! # Where this simplifies or pins down ArcGIS
//!
//! * **Order.** The hot rules are tried before the cold ones. A cell that is both (e.g. hot
//!   in ≥ 90 % of the slices and cold in the last one) is a *historical hot spot*, not a
//!   new/oscillating cold spot.
//! * **Persistent / intensifying / diminishing** require the last slice to be hot (rule 1);
//!   ArcGIS's "persistent" wording does not mention the final step, but a ≥ 90 % hot cell
//!   that is not hot at the end falls to *historical* in both. "No discernible trend" is
//!   "Mann–Kendall p ≥ 0.05 or undefined".
//! * **Historical: the 90 % counts all T slices, the final (not hot) one included**:
//!   10·H ≥ 9·T. ArcGIS's wording can be read as the 90 % being of the earlier time steps;
//!   ours is stricter by at most one slice (T = 10 needs all 9 earlier slices hot; T = 20
//!   needs 18 of the 19).
//! * **Sporadic** (rule 6) is reached only with C = 0 (rule 5 catches C ≥ 1), as in ArcGIS,
//!   and only when the hot slices are not a single trailing run (rules 3–4), i.e. on again,
//!   off again.
//! * **Consecutive** (rule 4) is decided before **oscillating** (rule 5): a cell cold early
//!   and hot in an uninterrupted trailing run of ≥ 2 is consecutive, not oscillating (ArcGIS's
//!   consecutive definition says nothing about cold spots).
//! * **New** (rule 3) allows earlier cold slices (ArcGIS: "never been a significant *hot*
//!   spot before"); with H = 1 and C ≥ 1 it is new, not oscillating.
//! * **Short series.** Nothing requires T ≥ 10 (ArcGIS recommends at least 10 slices for the
//!   Mann–Kendall trend). With small T the 90 % rule bites early: T = 1 hot → persistent,
//!   T = 2 both hot → persistent, T = 2 with only the last hot → new.
//! * **Empty input** (T = 0) → no pattern.
//!
//! Complexity: O(T) per cell.

use super::mann_kendall::Trend;

/// p-value below which the Mann–Kendall trend counts as significant.
pub const TREND_ALPHA: f64 = 0.05;

/// An emerging hot spot category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    NewHotSpot,
    ConsecutiveHotSpot,
    IntensifyingHotSpot,
    PersistentHotSpot,
    DiminishingHotSpot,
    SporadicHotSpot,
    OscillatingHotSpot,
    HistoricalHotSpot,
    NewColdSpot,
    ConsecutiveColdSpot,
    IntensifyingColdSpot,
    PersistentColdSpot,
    DiminishingColdSpot,
    SporadicColdSpot,
    OscillatingColdSpot,
    HistoricalColdSpot,
    NoPattern,
}

impl Category {
    /// Every category, hot spots first, `NoPattern` last.
    pub const ALL: [Self; 17] = [
        Self::NewHotSpot,
        Self::ConsecutiveHotSpot,
        Self::IntensifyingHotSpot,
        Self::PersistentHotSpot,
        Self::DiminishingHotSpot,
        Self::SporadicHotSpot,
        Self::OscillatingHotSpot,
        Self::HistoricalHotSpot,
        Self::NewColdSpot,
        Self::ConsecutiveColdSpot,
        Self::IntensifyingColdSpot,
        Self::PersistentColdSpot,
        Self::DiminishingColdSpot,
        Self::SporadicColdSpot,
        Self::OscillatingColdSpot,
        Self::HistoricalColdSpot,
        Self::NoPattern,
    ];

    /// `snake_case` name, e.g. `"new_hot_spot"`, `"no_pattern"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewHotSpot => "new_hot_spot",
            Self::ConsecutiveHotSpot => "consecutive_hot_spot",
            Self::IntensifyingHotSpot => "intensifying_hot_spot",
            Self::PersistentHotSpot => "persistent_hot_spot",
            Self::DiminishingHotSpot => "diminishing_hot_spot",
            Self::SporadicHotSpot => "sporadic_hot_spot",
            Self::OscillatingHotSpot => "oscillating_hot_spot",
            Self::HistoricalHotSpot => "historical_hot_spot",
            Self::NewColdSpot => "new_cold_spot",
            Self::ConsecutiveColdSpot => "consecutive_cold_spot",
            Self::IntensifyingColdSpot => "intensifying_cold_spot",
            Self::PersistentColdSpot => "persistent_cold_spot",
            Self::DiminishingColdSpot => "diminishing_cold_spot",
            Self::SporadicColdSpot => "sporadic_cold_spot",
            Self::OscillatingColdSpot => "oscillating_cold_spot",
            Self::HistoricalColdSpot => "historical_cold_spot",
            Self::NoPattern => "no_pattern",
        }
    }
}

/// Significant trend direction: +1 up, −1 down, 0 none or undefined.
fn trend_dir(trend: Option<&Trend>) -> i8 {
    match trend {
        Some(t) if t.p < TREND_ALPHA && t.z > 0.0 => 1,
        Some(t) if t.p < TREND_ALPHA && t.z < 0.0 => -1,
        _ => 0,
    }
}

/// The six categories of one polarity, in the order of the rules.
struct Side {
    intensifying: Category,
    diminishing: Category,
    persistent: Category,
    historical: Category,
    new: Category,
    consecutive: Category,
    oscillating: Category,
    sporadic: Category,
}

const HOT: Side = Side {
    intensifying: Category::IntensifyingHotSpot,
    diminishing: Category::DiminishingHotSpot,
    persistent: Category::PersistentHotSpot,
    historical: Category::HistoricalHotSpot,
    new: Category::NewHotSpot,
    consecutive: Category::ConsecutiveHotSpot,
    oscillating: Category::OscillatingHotSpot,
    sporadic: Category::SporadicHotSpot,
};

const COLD: Side = Side {
    intensifying: Category::IntensifyingColdSpot,
    diminishing: Category::DiminishingColdSpot,
    persistent: Category::PersistentColdSpot,
    historical: Category::HistoricalColdSpot,
    new: Category::NewColdSpot,
    consecutive: Category::ConsecutiveColdSpot,
    oscillating: Category::OscillatingColdSpot,
    sporadic: Category::SporadicColdSpot,
};

/// Rules 1–6 for one polarity: `sign` = +1 for hot, −1 for cold (`dir` is the trend
/// direction multiplied by `sign`, so +1 means "intensifying").
fn side(bins: &[i8], sign: i8, dir: i8, cats: &Side) -> Option<Category> {
    let is_this = |b: i8| b.signum() == sign;
    let is_other = |b: i8| b.signum() == -sign;
    let t = bins.len();
    let this = bins.iter().filter(|&&b| is_this(b)).count();
    let other = bins.iter().filter(|&&b| is_other(b)).count();
    let at_end = bins.last().is_some_and(|&b| is_this(b));
    if this > 0 && 10 * this >= 9 * t {
        return Some(if !at_end {
            cats.historical
        } else if dir > 0 {
            cats.intensifying
        } else if dir < 0 {
            cats.diminishing
        } else {
            cats.persistent
        });
    }
    if !at_end {
        return None;
    }
    if this == 1 {
        return Some(cats.new);
    }
    let run = bins.iter().rev().take_while(|&&b| is_this(b)).count();
    if run >= 2 && run == this {
        return Some(cats.consecutive);
    }
    if other >= 1 {
        return Some(cats.oscillating);
    }
    Some(cats.sporadic)
}

/// Emerging hot spot category of one cell from its per-slice bins (oldest first; +1
/// significant hot, −1 significant cold, 0 not significant) and the Mann–Kendall test of its
/// z series (`None` if undefined). See the module docs for the rules.
#[must_use]
pub fn classify(bins: &[i8], trend: Option<&Trend>) -> Category {
    let dir = trend_dir(trend);
    side(bins, 1, dir, &HOT)
        .or_else(|| side(bins, -1, -dir, &COLD))
        .unwrap_or(Category::NoPattern)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn trend(z: f64, p: f64) -> Trend {
        Trend {
            s: 0,
            var_s: 1.0,
            z,
            p,
            tau: 0.0,
        }
    }
    const UP: Trend = Trend {
        s: 40,
        var_s: 125.0,
        z: 3.5,
        p: 0.0005,
        tau: 0.9,
    };
    const DOWN: Trend = Trend {
        s: -40,
        var_s: 125.0,
        z: -3.5,
        p: 0.0005,
        tau: -0.9,
    };

    fn neg(b: &[i8]) -> Vec<i8> {
        b.iter().map(|x| -x).collect()
    }

    /// One constructed series per category (T = 10 unless stated).
    #[test]
    fn every_category() {
        let flat = trend(0.4, 0.69);
        let all_hot = [1; 10];
        let nine_then_quiet = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0];
        let new = [0, 0, -1, 0, 0, 0, 0, 0, 0, 1];
        let consecutive = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1];
        let sporadic = [0, 1, 0, 0, 1, 1, 0, 0, 0, 1];
        let oscillating = [-1, 0, 1, 0, 0, -1, 0, 0, 1, 1];
        let nine_of_ten_end = [1, 1, 1, 0, 1, 1, 1, 1, 1, 1];
        let cases: Vec<(Vec<i8>, Option<&Trend>, Category)> = vec![
            (new.to_vec(), None, Category::NewHotSpot),
            (consecutive.to_vec(), None, Category::ConsecutiveHotSpot),
            (all_hot.to_vec(), Some(&UP), Category::IntensifyingHotSpot),
            (all_hot.to_vec(), Some(&flat), Category::PersistentHotSpot),
            (nine_of_ten_end.to_vec(), None, Category::PersistentHotSpot),
            (all_hot.to_vec(), Some(&DOWN), Category::DiminishingHotSpot),
            (sporadic.to_vec(), None, Category::SporadicHotSpot),
            (oscillating.to_vec(), None, Category::OscillatingHotSpot),
            (
                nine_then_quiet.to_vec(),
                Some(&UP),
                Category::HistoricalHotSpot,
            ),
            (neg(&new), None, Category::NewColdSpot),
            (neg(&consecutive), None, Category::ConsecutiveColdSpot),
            // Colder and colder: z series trending DOWN.
            (neg(&all_hot), Some(&DOWN), Category::IntensifyingColdSpot),
            (neg(&all_hot), Some(&flat), Category::PersistentColdSpot),
            (neg(&all_hot), None, Category::PersistentColdSpot),
            (neg(&all_hot), Some(&UP), Category::DiminishingColdSpot),
            (neg(&sporadic), None, Category::SporadicColdSpot),
            (neg(&oscillating), None, Category::OscillatingColdSpot),
            (
                neg(&nine_then_quiet),
                Some(&DOWN),
                Category::HistoricalColdSpot,
            ),
            (
                vec![0, 1, 1, 0, 0, -1, 0, 0, 0, 0],
                None,
                Category::NoPattern,
            ),
        ];
        let mut seen = HashSet::new();
        for (bins, tr, want) in &cases {
            assert_eq!(classify(bins, *tr), *want, "{bins:?} {tr:?}");
            seen.insert(*want);
        }
        assert_eq!(
            seen.len(),
            Category::ALL.len(),
            "every category constructed"
        );
    }

    #[test]
    fn names_are_snake_case_and_distinct() {
        let names: HashSet<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), 17);
        assert_eq!(Category::NewHotSpot.as_str(), "new_hot_spot");
        assert_eq!(
            Category::IntensifyingColdSpot.as_str(),
            "intensifying_cold_spot"
        );
        assert_eq!(Category::NoPattern.as_str(), "no_pattern");
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
    }

    #[test]
    fn trend_significance_threshold() {
        let b = [1; 10];
        // p must be strictly below 0.05.
        assert_eq!(
            classify(&b, Some(&trend(2.0, 0.05))),
            Category::PersistentHotSpot
        );
        assert_eq!(
            classify(&b, Some(&trend(2.0, 0.049))),
            Category::IntensifyingHotSpot
        );
        assert_eq!(
            classify(&b, Some(&trend(-2.0, 0.049))),
            Category::DiminishingHotSpot
        );
    }

    #[test]
    fn edge_cases() {
        // T < 10 still classifies.
        assert_eq!(classify(&[0, 0, 1], None), Category::NewHotSpot);
        assert_eq!(classify(&[0, 0, 1, 1], None), Category::ConsecutiveHotSpot);
        assert_eq!(classify(&[1, 0, 1], None), Category::SporadicHotSpot);
        assert_eq!(
            classify(&[-1, -1, -1], Some(&DOWN)),
            Category::IntensifyingColdSpot
        );
        assert_eq!(
            classify(&[1], None),
            Category::PersistentHotSpot,
            "T = 1: H ≥ 0.9·T"
        );
        assert_eq!(classify(&[0, 1], None), Category::NewHotSpot);
        assert_eq!(classify(&[], None), Category::NoPattern);
        // All zeros.
        assert_eq!(classify(&[0; 12], Some(&UP)), Category::NoPattern);
        // Hot at the end with a cold slice → oscillating.
        assert_eq!(
            classify(&[0, -1, 0, 1, 0, 1], None),
            Category::OscillatingHotSpot
        );
        // Hot at the end, earlier hot slice separated by a gap → not consecutive (sporadic).
        let gap = [0, 1, 0, 0, 0, 1, 1];
        assert_ne!(classify(&gap, None), Category::ConsecutiveHotSpot);
        assert_eq!(classify(&gap, None), Category::SporadicHotSpot);
        // Trailing run after early cold slices: consecutive is decided before oscillating.
        assert_eq!(
            classify(&[-1, 0, 0, 0, 1, 1], None),
            Category::ConsecutiveHotSpot
        );
        // One hot slice at the end after cold ones: new (ArcGIS: never *hot* before).
        assert_eq!(classify(&[-1, -1, 0, 1], None), Category::NewHotSpot);
        // Hot ≥ 90 % but cold at the end: the hot rules win → historical hot.
        assert_eq!(
            classify(&[1, 1, 1, 1, 1, 1, 1, 1, 1, -1], None),
            Category::HistoricalHotSpot
        );
        // Historical counts all T: 8 of 9 earlier slices hot with T = 10 is not 90 %.
        assert_eq!(
            classify(&[1, 1, 0, 1, 1, 1, 1, 1, 1, 0], None),
            Category::NoPattern
        );
        // 90 % boundary with T = 20: 18 hot including the end → persistent; 17 → sporadic.
        let mut b = [1i8; 20];
        b[3] = 0;
        b[7] = 0;
        assert_eq!(classify(&b, None), Category::PersistentHotSpot);
        b[11] = 0;
        assert_eq!(classify(&b, None), Category::SporadicHotSpot);
        // Confidence bins (±1..±3) are accepted as hot/cold.
        assert_eq!(
            classify(&[0, 0, 0, 2, 3], None),
            Category::ConsecutiveHotSpot
        );
    }
}
