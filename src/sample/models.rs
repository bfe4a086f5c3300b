//! Self-managed models (mô hình tự quản) of the default catalogue's kinds, placed where they
//! would be (safe markets at markets, worker boarding houses near industrial zones, safe
//! streets on main roads) and named as committees name them.

use std::io;

use jiff::civil::Date;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::city::{Tiling, point_on_corridor};
use super::clusters::Cluster;
use super::tables::{CORRIDORS, MODEL_KIND_WEIGHTS, MODEL_KINDS, Mix, RELIGIOUS_PLACES};
use super::{random_date, weighted};

pub(super) struct Model {
    pub(super) lon: f64,
    pub(super) lat: f64,
    pub(super) kind: &'static str,
    pub(super) name: String,
    pub(super) established: Date,
    pub(super) active: bool,
}

pub(super) fn build_models(
    rng: &mut ChaCha8Rng,
    n: usize,
    tiling: &Tiling,
    clusters: &[Cluster],
    end: Date,
) -> io::Result<Vec<Model>> {
    // Established over the seven years up to the sample's end.
    let first_year = end.year() - 6;
    let kinds = weighted(&MODEL_KIND_WEIGHTS)?;
    let pick_ward = tiling.ward_by_population()?;
    let markets: Vec<&Cluster> = clusters.iter().filter(|c| c.spec.market).collect();
    let workers: Vec<&Cluster> = clusters
        .iter()
        .filter(|c| c.spec.mix == Mix::Workers)
        .collect();
    let years = weighted(&[0.08, 0.10, 0.12, 0.14, 0.16, 0.19, 0.21])?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let kind = MODEL_KINDS[rng.sample(&kinds)];
        let near = |rng: &mut ChaCha8Rng, list: &[&Cluster], sigma: f64| {
            let c = list.get(rng.random_range(0..list.len().max(1)))?;
            let p = tiling.point_near(rng, c.lon, c.lat, sigma)?;
            Some((p, Some(c.spec.place)))
        };
        // Where the model sits, and the market or street it is named after.
        let placed = match kind {
            "safe_market" if rng.random_bool(0.6) => near(rng, &markets, 80.0),
            "worker_boarding_house" if rng.random_bool(0.7) => {
                near(rng, &workers, 400.0).map(|(p, _)| (p, None))
            }
            "safe_street" => {
                let corridor = rng.random_range(0..CORRIDORS.len());
                point_on_corridor(rng, tiling, corridor)
                    .map(|p| (p, CORRIDORS.get(corridor).map(|c| c.0)))
            }
            _ => None,
        };
        let ((lon, lat, ward), label) = if let Some(p) = placed {
            p
        } else {
            let w = rng.sample(&pick_ward);
            let (x, y) = tiling.point_in_ward(rng, w)?;
            ((x, y, w), None)
        };
        let district = tiling.district_of(ward);
        let place = format!("{}, {}", tiling.ward_name(ward), district.name);
        let kp: u32 = rng.random_range(1..=12);
        let name = match kind {
            "camera_model" => format!("Mô hình camera an ninh khu phố {kp}, {place}"),
            "worker_boarding_house" => {
                let no: u32 = rng.random_range(1..=40);
                format!("Khu nhà trọ công nhân tự quản số {no}, {place}")
            }
            "household_group" => format!("Tổ liên gia tự quản khu phố {kp}, {place}"),
            "social_media_group" => format!("Nhóm Zalo an ninh trật tự khu phố {kp}, {place}"),
            "reintegration_5_plus_1" => {
                format!("Mô hình 5+1 giúp người tái hòa nhập cộng đồng khu phố {kp}, {place}")
            }
            "team_363" => format!("Tổ 363 khu phố {kp}, {place}"),
            "safe_street" => {
                let street = match label {
                    Some(s) => s,
                    None => district.streets[rng.random_range(0..district.streets.len())],
                };
                format!("Tuyến đường an ninh, trật tự đường {street}, {place}")
            }
            "safe_market" => {
                let market = label.map_or_else(|| format!("chợ khu phố {kp}"), str::to_owned);
                format!("Chợ an toàn về an ninh, trật tự {market}, {place}")
            }
            "security_team" => format!("Tổ bảo vệ an ninh, trật tự khu phố {kp}, {place}"),
            "religious_group" => {
                let site = RELIGIOUS_PLACES[rng.random_range(0..RELIGIOUS_PLACES.len())];
                format!("Cơ sở tôn giáo tự quản {site}, {place}")
            }
            _ => format!("Mô hình khu phố không ma túy khu phố {kp}, {place}"),
        };
        let year_idx = rng.sample(&years);
        let year = first_year + i16::try_from(year_idx).unwrap_or(0);
        let established = random_date(rng, year, end)?;
        let active = rng.random_bool(0.84 + 0.015 * f64::from(year - first_year));
        out.push(Model {
            lon,
            lat,
            kind,
            name,
            established,
            active,
        });
    }
    Ok(out)
}
