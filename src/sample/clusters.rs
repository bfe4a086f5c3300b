//! Incident clusters: each landmark of [`CLUSTERS`] moved a little per seed, with its spread,
//! weight, category mix and trend over the 24 months.

use std::f64::consts::TAU;
use std::io;

use rand::Rng;
use rand::distr::weighted::WeightedIndex;
use rand_chacha::ChaCha8Rng;

use super::city::{Tiling, offset, round6};
use super::tables::{CLUSTERS, ClusterSpec, Shape};
use super::{io_err, normal, weighted};

pub(super) struct Trend {
    pub(super) shape: Shape,
    /// Phase (persist, oscillate), exponent (grow), plateau end (fade), start (new).
    a: f64,
    /// Zero month (fade).
    b: f64,
}

impl Trend {
    /// Relative intensity `x` months after the sample's first day.
    pub(super) fn at(&self, x: f64) -> f64 {
        match self.shape {
            Shape::Persist => 1.0 + 0.12 * (TAU * x / 12.0 + self.a).sin(),
            Shape::Grow => 0.35 + 1.65 * (x / 24.0).powf(self.a),
            Shape::Fade => {
                if x < self.a {
                    1.6
                } else if x < self.b {
                    1.6 * (self.b - x) / (self.b - self.a)
                } else {
                    0.0
                }
            }
            Shape::New(_) => {
                if x < self.a {
                    0.0
                } else {
                    3.0 * ((x - self.a) / 0.7).min(1.0)
                }
            }
            Shape::Oscillate(period) => 1.0 + 0.8 * (TAU * x / period + self.a).sin(),
        }
    }
}

pub(super) struct Cluster {
    pub(super) spec: &'static ClusterSpec,
    pub(super) lon: f64,
    pub(super) lat: f64,
    pub(super) sigma_m: f64,
    pub(super) weight: f64,
    pub(super) trend: Trend,
    pub(super) categories: WeightedIndex<f64>,
    /// Ward containing the centre (fallback when Gaussian draws keep leaving the tiling).
    pub(super) home_ward: usize,
}

pub(super) fn build_clusters(rng: &mut ChaCha8Rng, tiling: &Tiling) -> io::Result<Vec<Cluster>> {
    let mut out = Vec::with_capacity(CLUSTERS.len());
    for spec in &CLUSTERS {
        // Move the centre up to ~60 m so seeds differ, keeping it inside a ward.
        let mut centre = None;
        for _ in 0..64 {
            let (x, y) = offset(spec.lon, spec.lat, normal(rng) * 60.0, normal(rng) * 60.0);
            let (x, y) = (round6(x), round6(y));
            if let Some(w) = tiling.locate(x, y) {
                centre = Some((x, y, w));
                break;
            }
        }
        let (lon, lat, home_ward) =
            centre.ok_or_else(|| io_err(format!("cluster {} is off the map", spec.place)))?;
        let sigma_m = (spec.sigma_m * rng.random_range(0.85..1.15)).clamp(80.0, 400.0);
        let weight = spec.weight * rng.random_range(0.85..1.15);
        let trend = match spec.shape {
            Shape::Persist | Shape::Oscillate(_) => Trend {
                shape: spec.shape,
                a: rng.random_range(0.0..TAU),
                b: 0.0,
            },
            Shape::Grow => Trend {
                shape: spec.shape,
                a: rng.random_range(1.3..1.9),
                b: 0.0,
            },
            Shape::Fade => Trend {
                shape: spec.shape,
                a: rng.random_range(3.0..8.0),
                b: rng.random_range(15.0..20.0),
            },
            Shape::New(start) => Trend {
                shape: spec.shape,
                a: (start + rng.random_range(-0.5..0.5)).clamp(18.0, 21.5),
                b: 0.0,
            },
        };
        let mut mix = spec.mix.weights();
        for w in &mut mix {
            *w *= rng.random_range(0.8..1.2);
        }
        out.push(Cluster {
            spec,
            lon,
            lat,
            sigma_m,
            weight,
            trend,
            categories: weighted(&mix)?,
            home_ward,
        });
    }
    Ok(out)
}
