//! The generator's properties, its determinism and the committed sample.

use std::fs;

use geo::{Contains, LineString, Point, Polygon};
use geojson::GeometryValue;
use jiff::civil::Date;

use super::tables::{
    CAMERA_KINDS, CATEGORIES, LAT_MAX, LAT_MIN, LON_MAX, LON_MIN, MODEL_KINDS, SEVERITIES, Shape,
};
use super::{PINNED_END, SampleConfig, SampleSummary, build, generate, usize_to_f64};
use geo::{Area as _, Centroid, Intersects, Validation, Winding};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

const N: usize = 5_000;
const FILES: [&str; 4] = [
    "incidents.csv",
    "cameras.csv",
    "models.csv",
    "areas.geojson",
];

fn small(seed: u64) -> SampleConfig {
    SampleConfig {
        seed,
        incidents: N,
        cameras: 120,
        models: 100,
        end: PINNED_END,
        end_minutes: None,
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("diemnong-sample-{}-{tag}", std::process::id()))
}

/// Generates into a temporary directory, reads the files back and removes it.
fn generate_files(cfg: &SampleConfig, tag: &str) -> (SampleSummary, Vec<Vec<u8>>) {
    let dir = temp_dir(tag);
    let summary = generate(cfg, &dir).expect("generate");
    let files = FILES
        .iter()
        .map(|f| fs::read(dir.join(f)).expect("read back"))
        .collect();
    fs::remove_dir_all(&dir).expect("clean up");
    (summary, files)
}

struct Shared {
    summary: SampleSummary,
    files: Vec<Vec<u8>>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let (summary, files) = generate_files(&small(138), "shared");
        Shared { summary, files }
    })
}

fn text(i: usize) -> &'static str {
    std::str::from_utf8(&shared().files[i]).expect("utf-8")
}

fn records(i: usize) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text(i).as_bytes())
        .records()
        .collect::<Result<_, _>>()
        .expect("valid csv")
}

struct ParsedArea {
    code: String,
    name: String,
    kind: String,
    population: Option<u64>,
    ring: Vec<[f64; 2]>,
    poly: Polygon<f64>,
}

fn areas() -> Vec<ParsedArea> {
    let fc: geojson::FeatureCollection =
        serde_json::from_str(text(3)).expect("a FeatureCollection");
    assert!(fc.foreign_members.is_none(), "no crs or other members");
    fc.features
        .iter()
        .map(|f| {
            let props = f.properties.as_ref().expect("properties");
            let s = |k: &str| props[k].as_str().expect("string property").to_owned();
            let Some(GeometryValue::Polygon { coordinates }) =
                f.geometry.as_ref().map(|g| g.value.clone())
            else {
                panic!("every geometry is a Polygon");
            };
            assert_eq!(coordinates.len(), 1, "no holes");
            let ring: Vec<[f64; 2]> = coordinates[0]
                .iter()
                .map(|p| {
                    assert_eq!(p.len(), 2);
                    [p[0], p[1]]
                })
                .collect();
            let poly = Polygon::new(LineString::from(ring.clone()), vec![]);
            ParsedArea {
                code: s("code"),
                name: s("name"),
                kind: s("kind"),
                population: props.get("population").and_then(serde_json::Value::as_u64),
                ring,
                poly,
            }
        })
        .collect()
}

fn has_6_decimals(x: f64) -> bool {
    ((x * 1e6).round() / 1e6 - x).abs() < 1e-12
}

fn inside_extent(lon: f64, lat: f64) -> bool {
    (LON_MIN..=LON_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_differs() {
    let (_, a) = generate_files(&small(7), "det-a");
    let (_, b) = generate_files(&small(7), "det-b");
    let (_, c) = generate_files(&small(8), "det-c");
    for (i, name) in FILES.iter().enumerate() {
        assert!(a[i] == b[i], "{name} differs for the same seed");
        assert!(a[i] != c[i], "{name} is the same for different seeds");
    }
}

#[test]
fn headers_and_row_counts() {
    let s = shared();
    assert_eq!(
        s.summary,
        SampleSummary {
            incidents: N,
            cameras: 120,
            models: 100,
            wards: 88,
            districts: 12,
            complex_areas: 20,
        }
    );
    let first = |i: usize| text(i).lines().next().expect("a header line");
    assert_eq!(
        first(0),
        "external_id,occurred_at,category,severity,solved,lon,lat,address,ward"
    );
    assert_eq!(first(1), "external_id,lon,lat,kind,active,installed_at");
    assert_eq!(
        first(2),
        "external_id,lon,lat,kind,name,established_at,active"
    );
    assert_eq!(records(0).len(), N);
    assert_eq!(records(1).len(), 120);
    assert_eq!(records(2).len(), 100);
    assert_eq!(areas().len(), 88 + 12 + 20);
}

#[test]
fn polygons_are_valid_closed_ccw_and_tile_the_extent() {
    let all = areas();
    let mut codes = BTreeSet::new();
    for a in &all {
        assert!(codes.insert(a.code.clone()), "duplicate code {}", a.code);
        assert!(a.code.is_ascii() && !a.code.contains(' '), "{}", a.code);
        assert!(!a.name.is_empty());
        assert!(a.ring.len() >= 4, "{}", a.code);
        assert_eq!(a.ring.first(), a.ring.last(), "{} not closed", a.code);
        assert!(
            a.poly.is_valid(),
            "{}: {:?}",
            a.code,
            a.poly.validation_errors()
        );
        assert!(
            a.poly.exterior().is_ccw(),
            "{} not counter-clockwise",
            a.code
        );
        for c in &a.ring {
            assert!(has_6_decimals(c[0]) && has_6_decimals(c[1]), "{}", a.code);
            assert!(inside_extent(c[0], c[1]), "{} leaves the extent", a.code);
        }
    }
    let of = |k: &str| all.iter().filter(|a| a.kind == k).collect::<Vec<_>>();
    let (wards, districts, complex) = (of("ward"), of("district"), of("complex_area"));
    assert!((80..=100).contains(&wards.len()));
    assert!((10..=12).contains(&districts.len()));
    assert!((18..=22).contains(&complex.len()));
    assert_eq!(wards.len() + districts.len() + complex.len(), all.len());

    // Wards tile the extent: all inside it and their areas add up to it.
    let extent = (LON_MAX - LON_MIN) * (LAT_MAX - LAT_MIN);
    let total: f64 = wards.iter().map(|w| w.poly.unsigned_area()).sum();
    assert!(
        (total - extent).abs() < 1e-9 * extent,
        "{total} vs {extent}"
    );

    // Each ward lies in exactly one district, which is the union of its wards.
    let mut sums: BTreeMap<&str, (f64, u64)> = BTreeMap::new();
    for w in &wards {
        let pop = w.population.expect("ward population");
        assert!((10_000..=45_000).contains(&pop), "{}", w.code);
        assert!(w.name.starts_with("Phường "), "{}", w.name);
        let c = w.poly.centroid().expect("centroid");
        let owners: Vec<_> = districts.iter().filter(|d| d.poly.contains(&c)).collect();
        assert_eq!(
            owners.len(),
            1,
            "{} is in {} districts",
            w.code,
            owners.len()
        );
        let e = sums.entry(owners[0].code.as_str()).or_default();
        e.0 += w.poly.unsigned_area();
        e.1 += pop;
    }
    for d in &districts {
        let (area, pop) = sums[d.code.as_str()];
        assert!((d.poly.unsigned_area() - area).abs() < 1e-12, "{}", d.code);
        assert_eq!(d.population, Some(pop), "{}", d.code);
    }

    // Complex areas: a few thousand people, two without a population, no overlaps.
    assert_eq!(complex.iter().filter(|c| c.population.is_none()).count(), 2);
    for (i, a) in complex.iter().enumerate() {
        if let Some(p) = a.population {
            assert!((1_000..=10_000).contains(&p), "{}", a.code);
        }
        assert!((9..=13).contains(&a.ring.len()), "{}", a.code);
        for b in &complex[i + 1..] {
            assert!(!a.poly.intersects(&b.poly), "{} meets {}", a.code, b.code);
        }
    }
}

#[test]
fn geometry_holds_for_many_seeds() {
    let extent = (LON_MAX - LON_MIN) * (LAT_MAX - LAT_MIN);
    for seed in 0..40 {
        let cfg = SampleConfig {
            seed,
            incidents: 0,
            cameras: 0,
            models: 0,
            end: PINNED_END,
            end_minutes: None,
        };
        let world = build(&cfg).expect("build");
        let t = &world.tiling;
        let areas = t.wards.iter().chain(&t.districts).chain(&world.complex);
        for a in areas {
            assert!(a.poly.is_valid(), "seed {seed} {}", a.code);
            assert!(a.poly.exterior().is_ccw(), "seed {seed} {}", a.code);
            assert!(a.ring.iter().all(|c| inside_extent(c[0], c[1])));
        }
        let total: f64 = t.wards.iter().map(|w| w.poly.unsigned_area()).sum();
        assert!((total - extent).abs() < 1e-9 * extent, "seed {seed}");
        for (i, a) in world.complex.iter().enumerate() {
            for b in &world.complex[i + 1..] {
                assert!(
                    !a.poly.intersects(&b.poly),
                    "seed {seed}: {} {}",
                    a.code,
                    b.code
                );
            }
        }
    }
}

#[test]
fn every_incident_lies_in_its_named_ward() {
    let all = areas();
    let wards: Vec<_> = all.iter().filter(|a| a.kind == "ward").collect();
    let mut ids = BTreeSet::new();
    for r in records(0) {
        assert!(ids.insert(r[0].to_owned()), "duplicate id {}", &r[0]);
        assert!(CATEGORIES.contains(&&r[2]), "{}", &r[2]);
        assert!(SEVERITIES.contains(&&r[3]), "{}", &r[3]);
        assert!(r[4] == *"true" || r[4] == *"false");
        for f in [&r[5], &r[6]] {
            let (_, decimals) = f.split_once('.').expect("a decimal point");
            assert_eq!(decimals.len(), 6, "{f}");
        }
        let lon: f64 = r[5].parse().expect("lon");
        let lat: f64 = r[6].parse().expect("lat");
        assert!(inside_extent(lon, lat), "{lon},{lat}");
        assert!(r[7].contains(" Đường "), "{}", &r[7]);
        let p = Point::new(lon, lat);
        let holders: Vec<_> = wards.iter().filter(|w| w.poly.contains(&p)).collect();
        assert_eq!(holders.len(), 1, "{} is in {} wards", &r[0], holders.len());
        assert_eq!(holders[0].name, r[8], "{}", &r[0]);
    }
}

#[test]
fn timestamps_are_local_sorted_and_span_both_years() {
    let start: jiff::Timestamp = "2023-01-01T00:00:00+07:00".parse().expect("start");
    let end: jiff::Timestamp = "2024-12-31T23:59:00+07:00".parse().expect("end");
    let mut previous = start;
    let mut years = BTreeSet::new();
    for r in records(0) {
        let s = &r[1];
        assert_eq!(s.len(), 25, "{s}");
        assert!(s.ends_with(":00+07:00"), "{s}");
        let t: jiff::Timestamp = s.parse().expect("RFC 3339");
        assert!(t >= start && t <= end, "{s}");
        assert!(t >= previous, "not sorted at {}", &r[0]);
        previous = t;
        let year = &s[..4];
        assert!(r[0].starts_with(&format!("INC-{year}-")), "{}", &r[0]);
        years.insert(year.to_owned());
    }
    assert_eq!(years.into_iter().collect::<Vec<_>>(), ["2023", "2024"]);
}

#[test]
fn clusters_grow_fade_and_appear() {
    let world = build(&small(138)).expect("build");
    let q4_2024 = world
        .days
        .iter()
        .position(|d| d.year() == 2024 && d.month() == 10)
        .expect("October 2024");
    let mut q1 = vec![0_usize; world.clusters.len()];
    let mut q4 = vec![0_usize; world.clusters.len()];
    let mut in_2023 = vec![0_usize; world.clusters.len()];
    for inc in &world.incidents {
        if let Some(c) = inc.cluster {
            if inc.day < 90 {
                q1[c] += 1;
            }
            if inc.day >= q4_2024 {
                q4[c] += 1;
            }
            if inc.day < 365 {
                in_2023[c] += 1;
            }
        }
    }
    let rising = (0..q1.len()).filter(|&c| q4[c] >= 10 && q4[c] >= 3 * q1[c]);
    let falling = (0..q1.len()).filter(|&c| q1[c] >= 10 && q1[c] >= 3 * q4[c]);
    assert!(rising.count() >= 3, "q1 {q1:?} q4 {q4:?}");
    assert!(falling.count() >= 3, "q1 {q1:?} q4 {q4:?}");
    for (c, cluster) in world.clusters.iter().enumerate() {
        match cluster.trend.shape {
            Shape::Fade => assert_eq!(q4[c], 0, "{}", cluster.spec.place),
            Shape::New(_) => assert_eq!(in_2023[c], 0, "{}", cluster.spec.place),
            Shape::Grow => assert!(q4[c] > 2 * q1[c], "{}", cluster.spec.place),
            _ => {}
        }
    }
    let from_clusters = world
        .incidents
        .iter()
        .filter(|i| i.cluster.is_some())
        .count();
    let share = usize_to_f64(from_clusters) / usize_to_f64(N);
    assert!((0.50..0.60).contains(&share), "{share}");
}

#[test]
fn mixes_and_rhythms_are_plausible() {
    let rows = records(0);
    let n = usize_to_f64(rows.len());
    let share = |pred: &dyn Fn(&csv::StringRecord) -> bool| {
        usize_to_f64(rows.iter().filter(|r| pred(r)).count()) / n
    };
    let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *by_category
            .entry(CATEGORIES[CATEGORIES.iter().position(|c| *c == &r[2]).expect("known")])
            .or_default() += 1;
    }
    let mut ranked: Vec<_> = by_category.iter().collect();
    ranked.sort_by_key(|(_, n)| std::cmp::Reverse(**n));
    let top: BTreeSet<&str> = ranked.iter().take(2).map(|(c, _)| **c).collect();
    assert_eq!(top, BTreeSet::from(["snatching", "theft"]));
    assert!(share(&|r| &r[2] == "murder") < 0.01);
    for (sev, target) in SEVERITIES.iter().zip([0.55, 0.30, 0.12, 0.03]) {
        let s = share(&|r| &r[3] == *sev);
        assert!((s - target).abs() < 0.05, "{sev}: {s}");
    }
    let solved = share(&|r| &r[4] == "true");
    assert!((0.60..=0.85).contains(&solved), "{solved}");

    let hour = |r: &csv::StringRecord| r[1][11..13].parse::<u32>().expect("hour");
    let evening = share(&|r| (18..=22).contains(&hour(r)));
    let small_hours = share(&|r| (3..=5).contains(&hour(r)));
    assert!(evening > 5.0 * small_hours, "{evening} vs {small_hours}");
    let weekday = |r: &csv::StringRecord| {
        r[1][..10]
            .parse::<Date>()
            .expect("date")
            .weekday()
            .to_monday_zero_offset()
    };
    let fri_sat = share(&|r| (4..=5).contains(&weekday(r))) / 2.0;
    let mon_thu = share(&|r| weekday(r) <= 3) / 4.0;
    assert!(fri_sat > 1.1 * mon_thu, "{fri_sat} vs {mon_thu}");
}

#[test]
fn cameras_and_models_are_well_formed() {
    let all = areas();
    let wards: Vec<_> = all.iter().filter(|a| a.kind == "ward").collect();
    let in_some_ward = |lon: &str, lat: &str| {
        let p = Point::new(lon.parse().expect("lon"), lat.parse().expect("lat"));
        wards.iter().any(|w| w.poly.contains(&p))
    };
    let date_in = |s: &str, from: i16, to: i16| {
        let d: Date = s.parse().expect("YYYY-MM-DD");
        s.len() == 10 && (from..=to).contains(&d.year())
    };
    let cameras = records(1);
    let mut ids = BTreeSet::new();
    for r in &cameras {
        assert!(ids.insert(r[0].to_owned()));
        assert!(in_some_ward(&r[1], &r[2]), "{}", &r[0]);
        assert!(CAMERA_KINDS.contains(&&r[3]), "{}", &r[3]);
        assert!(r[4] == *"true" || r[4] == *"false");
        assert!(date_in(&r[5], 2019, 2024), "{}", &r[5]);
    }
    let active = cameras.iter().filter(|r| &r[4] == "true").count();
    assert!(active * 10 > cameras.len() * 7);
    let models = records(2);
    for r in &models {
        assert!(ids.insert(r[0].to_owned()));
        assert!(in_some_ward(&r[1], &r[2]), "{}", &r[0]);
        assert!(MODEL_KINDS.contains(&&r[3]), "{}", &r[3]);
        assert!(!r[4].is_empty());
        assert!(date_in(&r[5], 2018, 2024), "{}", &r[5]);
        assert!(r[6] == *"true" || r[6] == *"false");
    }
    let active = models.iter().filter(|r| &r[6] == "true").count();
    assert!(active * 10 > models.len() * 7);
}

/// A sample ending on any day covers the 24 calendar months up to it, numbers incidents
/// per year, designates areas in its last two years and installs nothing after its end.
#[test]
fn the_span_follows_the_end_day() {
    let end = jiff::civil::date(2026, 12, 7);
    let cfg = SampleConfig { end, ..small(138) };
    let world = build(&cfg).expect("build");
    assert_eq!(world.days.first(), Some(&jiff::civil::date(2025, 1, 1)));
    assert_eq!(world.days.last(), Some(&end));
    let last_day = world
        .incidents
        .iter()
        .map(|i| i.day)
        .max()
        .expect("incidents");
    assert!(world.days[last_day] >= jiff::civil::date(2026, 11, 1));
    let mut codes: Vec<&str> = world.complex.iter().map(|a| &a.code[..9]).collect();
    codes.dedup();
    assert_eq!(codes.first(), Some(&"dbpt-2025"));
    assert!(codes.contains(&"dbpt-2026"), "{codes:?}");
    assert!(
        world
            .complex
            .iter()
            .all(|a| a.code.starts_with("dbpt-2025-") || a.code.starts_with("dbpt-2026-"))
    );
    assert!(
        world
            .cameras
            .iter()
            .all(|c| c.installed <= end && c.installed.year() >= 2021)
    );
    assert!(
        world
            .models
            .iter()
            .all(|m| m.established <= end && m.established.year() >= 2020)
    );

    // A span over three calendar years (April 2025 … March 2027) numbers each year anew.
    let dir = temp_dir("three-years");
    let cfg = SampleConfig {
        end: jiff::civil::date(2027, 3, 15),
        ..small(138)
    };
    generate(&cfg, &dir).expect("generate");
    let text = fs::read_to_string(dir.join("incidents.csv")).expect("read back");
    fs::remove_dir_all(&dir).expect("clean up");
    let mut years = BTreeSet::new();
    for line in text.lines().skip(1) {
        let (id, rest) = line.split_once(',').expect("columns");
        assert_eq!(&id[4..8], &rest[..4], "{line}");
        assert!(
            rest[..10] >= *"2025-04-01" && rest[..10] <= *"2027-03-15",
            "{line}"
        );
        years.insert(id[4..8].to_owned());
    }
    assert_eq!(
        years.into_iter().collect::<Vec<_>>(),
        ["2025", "2026", "2027"]
    );
    for y in ["2025", "2026", "2027"] {
        assert!(text.contains(&format!("INC-{y}-000001,")), "{y}");
    }
}

/// The committed `sample-data/` is exactly what `diemnong sample --incidents 20000
/// --end 2024-12-31` writes: the fixtures computed from it can be regenerated.
#[test]
fn committed_sample_is_the_pinned_generation() {
    let dir = temp_dir("committed");
    let cfg = SampleConfig {
        incidents: 20_000,
        ..SampleConfig::default()
    };
    generate(&cfg, &dir).expect("generate");
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    for f in FILES {
        let got = fs::read(dir.join(f)).expect("read back");
        let want = fs::read(committed.join(f)).expect("committed sample");
        assert!(got == want, "{f} differs from sample-data/{f}");
    }
    fs::remove_dir_all(&dir).expect("clean up");
}

/// A sample that ends "now" has no incident after now, and is otherwise the same.
#[test]
fn the_last_day_stops_at_end_minutes() {
    let whole = build(&small(138)).expect("build");
    let cut = build(&SampleConfig {
        end_minutes: Some(10 * 60),
        ..small(138)
    })
    .expect("build");
    let last = whole.days.len() - 1;
    assert_eq!(whole.incidents.len(), cut.incidents.len());
    let mut on_last_day = 0;
    for (a, b) in whole.incidents.iter().zip(&cut.incidents) {
        assert_eq!(
            (a.day, a.lon, a.lat, a.category),
            (b.day, b.lon, b.lat, b.category)
        );
        if a.day == last {
            on_last_day += 1;
            assert!(
                b.minute <= 600 && b.minute <= a.minute,
                "{} → {}",
                a.minute,
                b.minute
            );
        } else {
            assert_eq!(a.minute, b.minute);
        }
    }
    assert!(on_last_day > 0);
    assert!(
        cut.incidents
            .windows(2)
            .all(|w| (w[0].day, w[0].minute) <= (w[1].day, w[1].minute))
    );
}
