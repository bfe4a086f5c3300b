//! Incidents: from a cluster or the population-weighted background, on a day drawn from the
//! trend and the calendar (week, Tết, December), at an hour drawn from the category's daily
//! rhythm, with severity, clearance and an address.

use std::io;

use jiff::civil::Date;
use rand::Rng;
use rand::distr::weighted::WeightedIndex;
use rand_chacha::ChaCha8Rng;

use super::city::Tiling;
use super::clusters::Cluster;
use super::tables::{
    CLUSTER_SHARE, FRAUD, HOURS_EVENING, HOURS_NIGHT, HOURS_OFFICE, MIDDAY_BUMP, Mix, RECENT_DAYS,
    RECENT_PENALTY, SEVERITY_WEIGHTS, SOLVED_BASE, SOLVED_SEVERITY_BONUS, TET, THEFT,
    WEEKDAY_FACTOR, WEEKEND_EVENING_BOOST,
};
use super::{io_err, usize_to_f64, weighted};

pub(super) struct Incident {
    pub(super) day: usize,
    pub(super) minute: u16,
    pub(super) category: usize,
    pub(super) severity: usize,
    pub(super) solved: bool,
    pub(super) lon: f64,
    pub(super) lat: f64,
    pub(super) address: String,
    pub(super) ward: usize,
    /// Index into `World::clusters`, or `None` for background.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    pub(super) cluster: Option<usize>,
}

/// Day-of-calendar factor shared by all sources: weekly rhythm, Tết, December.
fn calendar_factors(days: &[Date]) -> io::Result<Vec<f64>> {
    let mut tet_idx = Vec::new();
    for &(y, m, d) in &TET {
        let t = Date::new(y, m, d).map_err(io_err)?;
        if let Some(i) = days.iter().position(|d| *d == t) {
            tet_idx.push(i);
        }
    }
    Ok(days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let dow = usize::try_from(d.weekday().to_monday_zero_offset()).unwrap_or(0);
            let mut f = WEEKDAY_FACTOR[dow.min(6)];
            for &t in &tet_idx {
                if i + 21 >= t && i < t {
                    f *= 1.2;
                } else if i >= t && i < t + 5 {
                    f *= 0.7;
                }
            }
            if d.month() == 12 {
                f *= 1.06;
            }
            f
        })
        .collect())
}

fn months(day: usize) -> f64 {
    usize_to_f64(day) / 30.4375
}

#[derive(Clone, Copy)]
enum HourKind {
    Evening = 0,
    Market = 1,
    Night = 2,
    Office = 3,
}

fn hour_kind(category: usize, market: bool) -> HourKind {
    match category {
        THEFT | FRAUD if market => HourKind::Market,
        5..=7 => HourKind::Night,
        FRAUD | 4 | 8 => HourKind::Office,
        _ => HourKind::Evening,
    }
}

/// Eight hour-of-day tables: `kind * 2 + (Friday or Saturday)`.
fn hour_tables() -> io::Result<Vec<WeightedIndex<f64>>> {
    let mut market = HOURS_EVENING;
    for (h, add) in MIDDAY_BUMP {
        market[h] += add;
    }
    let mut out = Vec::with_capacity(8);
    for (base, boost) in [
        (HOURS_EVENING, true),
        (market, true),
        (HOURS_NIGHT, true),
        (HOURS_OFFICE, false),
    ] {
        out.push(weighted(&base)?);
        let mut weekend = base;
        if boost {
            for w in &mut weekend[18..] {
                *w *= WEEKEND_EVENING_BOOST;
            }
        }
        out.push(weighted(&weekend)?);
    }
    Ok(out)
}

fn address(rng: &mut ChaCha8Rng, streets: &[&str]) -> String {
    let street = streets
        .get(rng.random_range(0..streets.len().max(1)))
        .copied()
        .unwrap_or("Lê Lợi");
    let number: u32 = rng.random_range(1..=320);
    let form: f64 = rng.random();
    if form < 0.55 {
        format!("{number} Đường {street}")
    } else if form < 0.9 {
        let alley: u32 = rng.random_range(1..=60);
        format!("{number}/{alley} Đường {street}")
    } else {
        let alley: u32 = rng.random_range(1..=60);
        let sub: u32 = rng.random_range(1..=30);
        format!("{number}/{alley}/{sub} Đường {street}")
    }
}

pub(super) fn build_incidents(
    rng: &mut ChaCha8Rng,
    n: usize,
    tiling: &Tiling,
    clusters: &[Cluster],
    days: &[Date],
) -> io::Result<Vec<Incident>> {
    let calendar = calendar_factors(days)?;
    // Background: a gentle 5 % decline over the two years.
    let last_day = usize_to_f64(days.len().saturating_sub(1)).max(1.0);
    let bg_days = weighted(
        &calendar
            .iter()
            .enumerate()
            .map(|(i, f)| f * (1.0 - 0.05 * usize_to_f64(i) / last_day))
            .collect::<Vec<_>>(),
    )?;
    let mut cluster_days = Vec::with_capacity(clusters.len());
    let mut cluster_mass = Vec::with_capacity(clusters.len());
    for c in clusters {
        let w: Vec<f64> = calendar
            .iter()
            .enumerate()
            .map(|(i, f)| f * c.trend.at(months(i)))
            .collect();
        cluster_mass.push(c.weight * w.iter().sum::<f64>());
        cluster_days.push(weighted(&w)?);
    }
    let pick_cluster = if clusters.is_empty() {
        None
    } else {
        Some(weighted(&cluster_mass)?)
    };
    let pick_ward = tiling.ward_by_population()?;
    let bg_categories = weighted(&Mix::Background.weights())?;
    let hours = hour_tables()?;
    let severities: Vec<WeightedIndex<f64>> = SEVERITY_WEIGHTS
        .iter()
        .map(|w| weighted(w))
        .collect::<io::Result<_>>()?;

    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let from_cluster = match &pick_cluster {
            Some(pick) if rng.random_bool(CLUSTER_SHARE) => Some(rng.sample(pick)),
            _ => None,
        };
        let (day, category, market, lon, lat, ward) = if let Some(ci) = from_cluster {
            let c = &clusters[ci];
            let day = rng.sample(&cluster_days[ci]);
            let category = rng.sample(&c.categories);
            let (lon, lat, ward) = if let Some(p) = tiling.point_near(rng, c.lon, c.lat, c.sigma_m)
            {
                p
            } else {
                let (x, y) = tiling.point_in_ward(rng, c.home_ward)?;
                (x, y, c.home_ward)
            };
            (day, category, c.spec.market, lon, lat, ward)
        } else {
            let day = rng.sample(&bg_days);
            let category = rng.sample(&bg_categories);
            let ward = rng.sample(&pick_ward);
            let (lon, lat) = tiling.point_in_ward(rng, ward)?;
            (day, category, false, lon, lat, ward)
        };
        let weekday = days
            .get(day)
            .map_or(0, |d| d.weekday().to_monday_zero_offset());
        let weekend = usize::from(weekday == 4 || weekday == 5);
        let table = &hours[hour_kind(category, market) as usize * 2 + weekend];
        let hour = rng.sample(table);
        let minute = u16::try_from(hour * 60 + rng.random_range(0..60)).unwrap_or(0);
        let severity = rng.sample(&severities[category]);
        let mut p = SOLVED_BASE[category] + SOLVED_SEVERITY_BONUS[severity];
        if day + RECENT_DAYS >= days.len() {
            p -= RECENT_PENALTY;
        }
        let solved = rng.random_bool(p.clamp(0.0, 0.97));
        let district = tiling.district_of(ward);
        let streets = match from_cluster {
            Some(ci) if rng.random_bool(0.75) => clusters[ci].spec.streets,
            _ => district.streets,
        };
        let address = address(rng, streets);
        out.push(Incident {
            day,
            minute,
            category,
            severity,
            solved,
            lon,
            lat,
            address,
            ward,
            cluster: from_cluster,
        });
    }
    out.sort_by_key(|i| (i.day, i.minute));
    Ok(out)
}

/// Scales the minutes of the incidents on day `last` into its first `passed` minutes,
/// keeping their order (and so the day's rhythm, compressed). Draws nothing, so the rest of
/// the sample is the same as without it.
pub(super) fn squeeze_last_day(incidents: &mut [Incident], last: usize, passed: u16) {
    let passed = u32::from(passed.min(24 * 60 - 1));
    for inc in incidents.iter_mut().filter(|i| i.day == last) {
        // minute ≤ 1439, so the product fits and the result is ≤ passed.
        inc.minute = u16::try_from(u32::from(inc.minute) * passed / (24 * 60 - 1)).unwrap_or(0);
    }
}
