//! Seeded generator of realistic **synthetic** Ho Chi Minh City data for demos, benchmarks and
//! tests: incidents, cameras, self-managed models (mô hình tự quản) and the area polygons
//! (wards, districts, complex areas / địa bàn phức tạp) that the importer reads.
//!
//! Nothing here is real crime data. Place names, street names and landmark coordinates are real
//! enough that a committee member recognises the map; every count, time and attribute is drawn
//! from the model below.
//!
//! # Determinism
//! Everything comes from one [`ChaCha8Rng`] seeded with [`SampleConfig::seed`], consumed in a fixed
//! order: ward-grid jitter → ward populations → clusters → complex areas → incidents → cameras →
//! models. The same seed and counts give byte-identical files (on one platform: a few weights use
//! `sin`/`cos`, whose last bit may differ between C libraries). No clock, no thread RNG, no hash-map
//! iteration order is involved.
//!
//! # Geography
//! * **Wards** (phường): an 11 × 8 grid over the urban core (lon 106.600–106.800, lat
//!   10.720–10.860) whose grid lines follow the real layout loosely (narrower columns and rows in
//!   the centre, where wards are small). Every interior grid vertex is jittered by at most 20 % of
//!   the neighbouring spacing on each axis (so every quad stays convex); vertices on the outer
//!   edge move only along that edge, so the tiling's extent stays the exact rectangle. A ward is
//!   the quad of four neighbouring vertices, so wards share edges with no gaps or overlaps.
//!   Populations are 10,000–45,000.
//! * **Districts** (quận): 12 rectangular blocks of wards named and placed roughly where the real
//!   districts are (Quận 1 holds chợ Bến Thành and Bùi Viện, Bình Thạnh holds Hàng Xanh, …). A
//!   district's polygon walks the same jittered vertices around its block, so it equals the union
//!   of its wards; its population is the sum of theirs. Wards are named `Phường N`, numbered
//!   within their district, so **ward names repeat across districts** (as they did in HCMC);
//!   codes (`ward-q1-03`) are unique.
//! * **Complex areas** (địa bàn phức tạp): 20 star-shaped simple polygons (8–12 vertices, radius
//!   250–700 m). 17 sit on incident clusters — including the fading ones (areas designated in 2023
//!   that were since turned around) — but none on the three *new* clusters: those are the
//!   emerging hotspots that no one has designated yet, which is what a hotspot analysis should
//!   find. Three sit on quiet places (designated, but with no excess of incidents). Two have no
//!   population on purpose, so importers must accept a missing `population`.
//!
//! # Incidents
//! About 55 % of incidents come from 25 **clusters** centred on real landmarks (markets, the
//! Bùi Viện nightlife street, bus stations, the Tân Thuận export-processing zone, drug spots by
//! canals…), each an isotropic Gaussian with σ = 80–400 m, its own category mix (market: theft and
//! snatching; nightlife: drugs, assault, disorder; worker housing: theft, gambling, loan sharking;
//! new urban areas: fraud and high-tech crime), and its own **temporal profile** over the 24
//! months of 2023–2024:
//! * *persist* — flat with a mild yearly wave;
//! * *grow* — intensity rising from ~0.35 to ~2 (Q4 2024 ≫ Q1 2023);
//! * *fade* — strong in 2023, declining to zero by mid/late 2024 (a successful crackdown);
//! * *new* — absent until the last 3–6 months, then intense (emerging hotspots);
//! * *oscillate* — a 5–8-month wave (tourist seasons, school terms).
//!
//! The rest is **background**: a ward drawn in proportion to its population and a uniform point
//! inside it, with a city-wide category mix. So a Gi* or emerging-hotspot analysis has true
//! positives of every trend type, and a population-weighted baseline to be compared against.
//!
//! Times have minute resolution in `Asia/Ho_Chi_Minh` local time (+07:00). The day is drawn from
//! the cluster's trend × a **weekly rhythm** (Friday and Saturday highest) × a **seasonal**
//! factor (more theft in the three weeks before Tết, a dip during the Tết holiday, a busier
//! December). The hour is drawn from a **daily rhythm** chosen by category: street crime peaks
//! 18:00–23:00 with a trough 03:00–06:00 and is boosted further on Friday/Saturday evenings;
//! theft and fraud around markets add a midday bump; drugs, gambling and prostitution peak late
//! at night; fraud, high-tech crime and loan sharking follow office hours (when they are
//! reported).
//!
//! Severity depends on the category (overall roughly 55/30/12/3 % from less serious to especially
//! serious; robbery and murder skew serious). Clearance is 55–90 % by category, higher for more
//! serious cases, and lower for the last 60 days (investigations still open).
//!
//! Cameras cluster around hotspots and along ten main roads, plus a population-weighted
//! background; models follow the kinds of the default catalogue and sit where they would
//! (safe-market models at markets, worker boarding houses near industrial zones, safe streets on
//! main roads).

use std::f64::consts::TAU;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use geo::{Contains, LineString, Point, Polygon};
use geojson::{Feature, Geometry, GeometryValue, JsonObject};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleConfig {
    /// Seed of the one random stream everything is drawn from.
    pub seed: u64,
    /// Number of incidents (rows of `incidents.csv`).
    pub incidents: usize,
    /// Number of cameras (rows of `cameras.csv`).
    pub cameras: usize,
    /// Number of self-managed models (rows of `models.csv`).
    pub models: usize,
    /// The last day of the sample (inclusive, in the city's local time). Incidents cover
    /// the 24 calendar months that end with this day's month, up to and including it; the
    /// complex areas are designated in its year and the year before.
    pub end: Date,
    /// Minutes of `end` that have passed (the demo's "now"): incidents drawn for that day
    /// are squeezed into them, so a sample ending today has none in the future. `None`:
    /// the whole day.
    pub end_minutes: Option<u16>,
}

/// The end of the committed `sample-data/` (2023-01-01 … 2024-12-31): the default, so tests
/// and benchmarks that build a sample get the same data on every day they run. The demo
/// and `diemnong sample` end on today instead unless `--end` pins them.
pub const PINNED_END: Date = jiff::civil::date(2024, 12, 31);

impl Default for SampleConfig {
    fn default() -> Self {
        Self {
            seed: 138,
            incidents: 100_000,
            cameras: 300,
            models: 250,
            end: PINNED_END,
            end_minutes: None,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSummary {
    pub incidents: usize,
    pub cameras: usize,
    pub models: usize,
    pub wards: usize,
    pub districts: usize,
    pub complex_areas: usize,
}

/// Writes `incidents.csv`, `cameras.csv`, `models.csv` and `areas.geojson` into `out_dir`
/// (created if missing), overwriting them.
///
/// # Errors
/// When a file cannot be written, or (never in practice) when the model cannot place a point.
pub fn generate(cfg: &SampleConfig, out_dir: &Path) -> io::Result<SampleSummary> {
    let world = build(cfg)?;
    fs::create_dir_all(out_dir)?;
    write_incidents(&world, &out_dir.join("incidents.csv"))?;
    write_cameras(&world, &out_dir.join("cameras.csv"))?;
    write_models(&world, &out_dir.join("models.csv"))?;
    write_areas(&world, &out_dir.join("areas.geojson"))?;
    Ok(SampleSummary {
        incidents: world.incidents.len(),
        cameras: world.cameras.len(),
        models: world.models.len(),
        wards: world.tiling.wards.len(),
        districts: world.tiling.districts.len(),
        complex_areas: world.complex.len(),
    })
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/// Column lines of the ward grid (west → east); 11 columns, narrower in the centre.
const LON_LINES: [f64; 12] = [
    106.600, 106.618, 106.636, 106.652, 106.664, 106.676, 106.688, 106.700, 106.712, 106.730,
    106.760, 106.800,
];
/// Row lines of the ward grid (south → north); 8 rows.
const LAT_LINES: [f64; 9] = [
    10.720, 10.736, 10.752, 10.764, 10.777, 10.792, 10.808, 10.830, 10.860,
];
const LON_MIN: f64 = LON_LINES[0];
const LON_MAX: f64 = LON_LINES[LON_LINES.len() - 1];
const LAT_MIN: f64 = LAT_LINES[0];
const LAT_MAX: f64 = LAT_LINES[LAT_LINES.len() - 1];
/// Largest jitter of a grid vertex, as a share of the smaller neighbouring spacing.
const JITTER: f64 = 0.2;
/// Metres per degree of the generator's flat offsets (≈ a degree of the WGS 84 equator). Not
/// `analysis::geodesy::M_PER_DEG` (111,195 m): that would move every generated point, and the
/// committed sample and its fixtures are pinned to this one.
const M_PER_DEG: f64 = 111_320.0;

/// A district: a block of ward cells `[c0, c1) × [r0, r1)` of the grid, with a few real streets.
struct DistrictSpec {
    name: &'static str,
    slug: &'static str,
    cols: (usize, usize),
    rows: (usize, usize),
    streets: &'static [&'static str],
}

const DISTRICTS: [DistrictSpec; 12] = [
    DistrictSpec {
        name: "Quận 1",
        slug: "q1",
        cols: (6, 9),
        rows: (3, 5),
        streets: &[
            "Lê Lợi",
            "Đồng Khởi",
            "Hai Bà Trưng",
            "Lý Tự Trọng",
            "Nguyễn Thị Minh Khai",
            "Trần Hưng Đạo",
            "Phạm Ngũ Lão",
            "Nguyễn Trãi",
        ],
    },
    DistrictSpec {
        name: "Quận 3",
        slug: "q3",
        cols: (4, 6),
        rows: (2, 5),
        streets: &[
            "Võ Văn Tần",
            "Nam Kỳ Khởi Nghĩa",
            "Cách Mạng Tháng Tám",
            "Lê Văn Sỹ",
            "Trần Quốc Thảo",
            "Nguyễn Đình Chiểu",
        ],
    },
    DistrictSpec {
        name: "Quận 4",
        slug: "q4",
        cols: (6, 8),
        rows: (0, 3),
        streets: &[
            "Khánh Hội",
            "Hoàng Diệu",
            "Tôn Đản",
            "Nguyễn Tất Thành",
            "Bến Vân Đồn",
        ],
    },
    DistrictSpec {
        name: "Quận 5",
        slug: "q5",
        cols: (2, 6),
        rows: (0, 2),
        streets: &[
            "An Dương Vương",
            "Nguyễn Trãi",
            "Châu Văn Liêm",
            "Hải Thượng Lãn Ông",
            "Trần Phú",
        ],
    },
    DistrictSpec {
        name: "Quận 6",
        slug: "q6",
        cols: (0, 2),
        rows: (0, 5),
        streets: &[
            "Hậu Giang",
            "Kinh Dương Vương",
            "Hồng Bàng",
            "Minh Phụng",
            "Bình Phú",
        ],
    },
    DistrictSpec {
        name: "Quận 7",
        slug: "q7",
        cols: (8, 11),
        rows: (0, 3),
        streets: &[
            "Nguyễn Văn Linh",
            "Huỳnh Tấn Phát",
            "Nguyễn Thị Thập",
            "Lê Văn Lương",
            "Nguyễn Hữu Thọ",
        ],
    },
    DistrictSpec {
        name: "Quận 10",
        slug: "q10",
        cols: (2, 4),
        rows: (2, 5),
        streets: &[
            "Lý Thường Kiệt",
            "Ba Tháng Hai",
            "Sư Vạn Hạnh",
            "Thành Thái",
            "Tô Hiến Thành",
            "Nguyễn Tri Phương",
        ],
    },
    DistrictSpec {
        name: "Thủ Đức",
        slug: "thu-duc",
        cols: (9, 11),
        rows: (3, 8),
        streets: &[
            "Quốc Hương",
            "Thảo Điền",
            "Nguyễn Văn Hưởng",
            "Trần Não",
            "Lương Định Của",
            "Mai Chí Thọ",
        ],
    },
    DistrictSpec {
        name: "Tân Bình",
        slug: "tan-binh",
        cols: (0, 4),
        rows: (5, 7),
        streets: &[
            "Cộng Hòa",
            "Trường Chinh",
            "Hoàng Văn Thụ",
            "Lạc Long Quân",
            "Âu Cơ",
            "Bàu Cát",
        ],
    },
    DistrictSpec {
        name: "Phú Nhuận",
        slug: "phu-nhuan",
        cols: (4, 6),
        rows: (5, 7),
        streets: &[
            "Phan Xích Long",
            "Phan Đình Phùng",
            "Nguyễn Văn Trỗi",
            "Huỳnh Văn Bánh",
            "Lê Văn Sỹ",
        ],
    },
    DistrictSpec {
        name: "Bình Thạnh",
        slug: "binh-thanh",
        cols: (6, 9),
        rows: (5, 8),
        streets: &[
            "Xô Viết Nghệ Tĩnh",
            "Điện Biên Phủ",
            "Đinh Bộ Lĩnh",
            "Bạch Đằng",
            "Phan Đăng Lưu",
            "Nơ Trang Long",
        ],
    },
    DistrictSpec {
        name: "Gò Vấp",
        slug: "go-vap",
        cols: (0, 6),
        rows: (7, 8),
        streets: &[
            "Quang Trung",
            "Nguyễn Oanh",
            "Phan Văn Trị",
            "Lê Đức Thọ",
            "Nguyễn Văn Nghi",
            "Phạm Văn Đồng",
        ],
    },
];

/// Incident category codes (the default catalogue's order).
const CATEGORIES: [&str; 14] = [
    "theft",
    "snatching",
    "robbery",
    "fraud",
    "high_tech",
    "drugs",
    "gambling",
    "prostitution",
    "loan_sharking",
    "assault",
    "murder",
    "property_damage",
    "public_disorder",
    "other",
];
const THEFT: usize = 0;
const FRAUD: usize = 3;

const SEVERITIES: [&str; 4] = [
    "less_serious",
    "serious",
    "very_serious",
    "especially_serious",
];

/// Severity weights per category, in [`SEVERITIES`] order.
const SEVERITY_WEIGHTS: [[f64; 4]; 14] = [
    [66.0, 26.0, 7.0, 1.0],   // theft
    [44.0, 40.0, 13.0, 3.0],  // snatching
    [12.0, 45.0, 32.0, 11.0], // robbery
    [50.0, 32.0, 13.0, 5.0],  // fraud
    [46.0, 33.0, 15.0, 6.0],  // high_tech
    [38.0, 36.0, 19.0, 7.0],  // drugs
    [66.0, 26.0, 6.0, 2.0],   // gambling
    [68.0, 25.0, 6.0, 1.0],   // prostitution
    [54.0, 33.0, 11.0, 2.0],  // loan_sharking
    [48.0, 36.0, 13.0, 3.0],  // assault
    [0.0, 8.0, 37.0, 55.0],   // murder
    [68.0, 25.0, 6.0, 1.0],   // property_damage
    [74.0, 21.0, 4.0, 1.0],   // public_disorder
    [66.0, 26.0, 7.0, 1.0],   // other
];

/// Base clearance rate per category; serious cases are solved more often.
const SOLVED_BASE: [f64; 14] = [
    0.62, 0.66, 0.80, 0.60, 0.55, 0.88, 0.86, 0.84, 0.70, 0.78, 0.90, 0.66, 0.82, 0.68,
];
const SOLVED_SEVERITY_BONUS: [f64; 4] = [0.0, 0.03, 0.08, 0.12];
/// Cases from the last `RECENT_DAYS` days are still under investigation more often.
const RECENT_DAYS: usize = 60;
const RECENT_PENALTY: f64 = 0.15;

/// Category mixes, in [`CATEGORIES`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mix {
    Background,
    Market,
    Nightlife,
    Snatching,
    Drugs,
    Workers,
    Online,
    Transit,
    Gambling,
    Park,
}

impl Mix {
    fn weights(self) -> [f64; 14] {
        match self {
            Mix::Background => [
                30.0, 17.0, 4.0, 10.0, 5.0, 8.0, 5.0, 2.0, 2.5, 7.0, 0.15, 3.0, 5.0, 3.2,
            ],
            Mix::Market => [
                45.0, 22.0, 3.0, 12.0, 2.0, 2.0, 1.0, 0.5, 1.0, 3.0, 0.05, 1.5, 4.0, 3.0,
            ],
            Mix::Nightlife => [
                22.0, 14.0, 4.0, 5.0, 2.0, 14.0, 3.0, 8.0, 1.0, 12.0, 0.2, 3.0, 10.0, 2.0,
            ],
            Mix::Snatching => [
                20.0, 52.0, 10.0, 2.0, 1.0, 2.0, 0.5, 0.5, 0.5, 5.0, 0.1, 1.0, 2.0, 3.0,
            ],
            Mix::Drugs => [
                14.0, 6.0, 5.0, 2.0, 1.0, 50.0, 8.0, 3.0, 2.0, 8.0, 0.3, 2.0, 6.0, 2.0,
            ],
            Mix::Workers => [
                38.0, 8.0, 3.0, 6.0, 4.0, 7.0, 11.0, 2.0, 12.0, 9.0, 0.2, 4.0, 6.0, 3.0,
            ],
            Mix::Online => [
                20.0, 6.0, 1.0, 35.0, 28.0, 1.0, 1.0, 0.5, 3.0, 1.0, 0.02, 1.0, 1.0, 2.0,
            ],
            Mix::Transit => [
                34.0, 18.0, 7.0, 14.0, 2.0, 4.0, 4.0, 3.0, 2.0, 6.0, 0.1, 1.0, 6.0, 2.0,
            ],
            Mix::Gambling => [
                12.0, 4.0, 3.0, 3.0, 2.0, 8.0, 35.0, 3.0, 20.0, 6.0, 0.2, 5.0, 8.0, 2.0,
            ],
            Mix::Park => [
                22.0, 14.0, 5.0, 2.0, 1.0, 12.0, 3.0, 12.0, 1.0, 12.0, 0.2, 5.0, 14.0, 2.0,
            ],
        }
    }
}

/// The shape of a cluster's intensity over the 24 months (parameters are drawn per seed).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Persist,
    Grow,
    Fade,
    /// Appears in the given month (0 = the sample's first month).
    New(f64),
    /// Waves with the given period in months.
    Oscillate(f64),
}

struct ClusterSpec {
    /// What the place is called after "khu vực" (used to name its complex area).
    place: &'static str,
    lon: f64,
    lat: f64,
    sigma_m: f64,
    weight: f64,
    mix: Mix,
    shape: Shape,
    /// Markets add a midday bump to theft and fraud.
    market: bool,
    /// Designated as a complex area.
    complex: bool,
    streets: &'static [&'static str],
}

#[rustfmt::skip]
const CLUSTERS: [ClusterSpec; 25] = [
    ClusterSpec { place: "chợ Bến Thành", lon: 106.6981, lat: 10.7725, sigma_m: 180.0, weight: 1.6, mix: Mix::Market, shape: Shape::Persist, market: true, complex: true, streets: &["Lê Lợi", "Lê Thánh Tôn", "Phan Bội Châu", "Phan Chu Trinh"] },
    ClusterSpec { place: "phố Tây Bùi Viện", lon: 106.6932, lat: 10.7672, sigma_m: 120.0, weight: 1.5, mix: Mix::Nightlife, shape: Shape::Grow, market: false, complex: true, streets: &["Bùi Viện", "Đề Thám", "Phạm Ngũ Lão"] },
    ClusterSpec { place: "phố đi bộ Nguyễn Huệ", lon: 106.7035, lat: 10.7745, sigma_m: 150.0, weight: 0.9, mix: Mix::Market, shape: Shape::Oscillate(6.0), market: true, complex: false, streets: &["Nguyễn Huệ", "Đồng Khởi", "Ngô Đức Kế"] },
    ClusterSpec { place: "chợ Bình Tây", lon: 106.6510, lat: 10.7497, sigma_m: 220.0, weight: 1.2, mix: Mix::Market, shape: Shape::Persist, market: true, complex: true, streets: &["Tháp Mười", "Hậu Giang", "Lê Quang Sung", "Phạm Đình Hổ"] },
    ClusterSpec { place: "phố Hải Thượng Lãn Ông", lon: 106.6605, lat: 10.7508, sigma_m: 250.0, weight: 1.0, mix: Mix::Gambling, shape: Shape::Fade, market: false, complex: true, streets: &["Hải Thượng Lãn Ông", "Châu Văn Liêm", "Lương Nhữ Học"] },
    ClusterSpec { place: "Xóm Chiếu", lon: 106.7055, lat: 10.7575, sigma_m: 200.0, weight: 1.1, mix: Mix::Drugs, shape: Shape::Fade, market: false, complex: true, streets: &["Xóm Chiếu", "Tôn Đản", "Đoàn Văn Bơ"] },
    ClusterSpec { place: "khu chế xuất Tân Thuận", lon: 106.7360, lat: 10.7625, sigma_m: 350.0, weight: 1.2, mix: Mix::Workers, shape: Shape::Grow, market: false, complex: true, streets: &["Tân Thuận Tây", "Huỳnh Tấn Phát", "Nguyễn Văn Quỳ"] },
    ClusterSpec { place: "khu đô thị Phú Mỹ Hưng", lon: 106.7195, lat: 10.7290, sigma_m: 300.0, weight: 0.9, mix: Mix::Online, shape: Shape::New(18.0), market: false, complex: false, streets: &["Nguyễn Văn Linh", "Nguyễn Đức Cảnh", "Tôn Dật Tiên"] },
    ClusterSpec { place: "vòng xoay Hàng Xanh", lon: 106.7113, lat: 10.8010, sigma_m: 150.0, weight: 1.1, mix: Mix::Snatching, shape: Shape::Persist, market: false, complex: true, streets: &["Xô Viết Nghệ Tĩnh", "Điện Biên Phủ", "Bạch Đằng"] },
    ClusterSpec { place: "bến xe Miền Đông cũ", lon: 106.7110, lat: 10.8150, sigma_m: 200.0, weight: 1.0, mix: Mix::Transit, shape: Shape::Fade, market: false, complex: true, streets: &["Đinh Bộ Lĩnh", "Nơ Trang Long", "Xô Viết Nghệ Tĩnh"] },
    ClusterSpec { place: "chợ Bà Chiểu", lon: 106.6990, lat: 10.8015, sigma_m: 150.0, weight: 0.9, mix: Mix::Market, shape: Shape::Persist, market: true, complex: false, streets: &["Bạch Đằng", "Lê Quang Định", "Vũ Tùng"] },
    ClusterSpec { place: "đường Nguyễn Hữu Cảnh", lon: 106.7215, lat: 10.7945, sigma_m: 250.0, weight: 0.8, mix: Mix::Snatching, shape: Shape::New(20.0), market: false, complex: false, streets: &["Nguyễn Hữu Cảnh", "Điện Biên Phủ", "Ung Văn Khiêm"] },
    ClusterSpec { place: "Thảo Điền", lon: 106.7330, lat: 10.8040, sigma_m: 300.0, weight: 0.9, mix: Mix::Online, shape: Shape::Grow, market: false, complex: true, streets: &["Thảo Điền", "Quốc Hương", "Xuân Thủy", "Nguyễn Văn Hưởng"] },
    ClusterSpec { place: "chợ Hạnh Thông Tây", lon: 106.6580, lat: 10.8365, sigma_m: 180.0, weight: 0.9, mix: Mix::Market, shape: Shape::Oscillate(8.0), market: true, complex: true, streets: &["Quang Trung", "Lê Văn Thọ", "Nguyễn Văn Lượng"] },
    ClusterSpec { place: "khu nhà trọ đường Lê Đức Thọ", lon: 106.6700, lat: 10.8480, sigma_m: 400.0, weight: 1.0, mix: Mix::Workers, shape: Shape::Grow, market: false, complex: true, streets: &["Lê Đức Thọ", "Thống Nhất", "Nguyễn Oanh"] },
    ClusterSpec { place: "chợ Tân Bình", lon: 106.6545, lat: 10.7955, sigma_m: 150.0, weight: 0.8, mix: Mix::Market, shape: Shape::Persist, market: true, complex: false, streets: &["Lý Thường Kiệt", "Lạc Long Quân", "Bàu Cát"] },
    ClusterSpec { place: "đường Cộng Hòa", lon: 106.6480, lat: 10.8030, sigma_m: 300.0, weight: 0.9, mix: Mix::Snatching, shape: Shape::Fade, market: false, complex: true, streets: &["Cộng Hòa", "Trường Chinh", "Út Tịch"] },
    ClusterSpec { place: "chợ Bàn Cờ", lon: 106.6820, lat: 10.7695, sigma_m: 120.0, weight: 0.7, mix: Mix::Market, shape: Shape::Persist, market: true, complex: false, streets: &["Nguyễn Thiện Thuật", "Nguyễn Đình Chiểu", "Cao Thắng"] },
    ClusterSpec { place: "ga Sài Gòn", lon: 106.6775, lat: 10.7820, sigma_m: 150.0, weight: 0.7, mix: Mix::Transit, shape: Shape::New(21.0), market: false, complex: false, streets: &["Nguyễn Thông", "Kỳ Đồng", "Cách Mạng Tháng Tám"] },
    ClusterSpec { place: "trường Đại học Bách khoa", lon: 106.6580, lat: 10.7725, sigma_m: 200.0, weight: 0.8, mix: Mix::Snatching, shape: Shape::Grow, market: false, complex: true, streets: &["Lý Thường Kiệt", "Tô Hiến Thành", "Ba Tháng Hai"] },
    ClusterSpec { place: "công viên Lê Thị Riêng", lon: 106.6625, lat: 10.7860, sigma_m: 200.0, weight: 0.8, mix: Mix::Park, shape: Shape::Persist, market: false, complex: true, streets: &["Cách Mạng Tháng Tám", "Tô Hiến Thành", "Bắc Hải"] },
    ClusterSpec { place: "cầu Chữ Y", lon: 106.6840, lat: 10.7505, sigma_m: 250.0, weight: 0.9, mix: Mix::Drugs, shape: Shape::Grow, market: false, complex: true, streets: &["Nguyễn Biểu", "Trần Hưng Đạo", "Trần Bình Trọng"] },
    ClusterSpec { place: "chợ Phú Nhuận", lon: 106.6800, lat: 10.7975, sigma_m: 150.0, weight: 0.7, mix: Mix::Market, shape: Shape::Fade, market: true, complex: true, streets: &["Phan Đình Phùng", "Huỳnh Văn Bánh", "Nguyễn Trọng Tuyển"] },
    ClusterSpec { place: "công viên Đầm Sen", lon: 106.6405, lat: 10.7665, sigma_m: 250.0, weight: 0.8, mix: Mix::Park, shape: Shape::Oscillate(7.0), market: false, complex: false, streets: &["Hòa Bình", "Lạc Long Quân", "Lãnh Binh Thăng"] },
    ClusterSpec { place: "khu dân cư An Phú", lon: 106.7500, lat: 10.7950, sigma_m: 300.0, weight: 0.7, mix: Mix::Workers, shape: Shape::Persist, market: false, complex: true, streets: &["Lương Định Của", "Trần Não", "Song Hành"] },
];

/// Share of incidents drawn from clusters (the rest is background).
const CLUSTER_SHARE: f64 = 0.55;
/// Number of quiet complex areas (designated, no cluster underneath).
const QUIET_COMPLEX: usize = 3;

/// Monday … Sunday.
const WEEKDAY_FACTOR: [f64; 7] = [0.92, 0.90, 0.93, 0.96, 1.10, 1.22, 1.04];
/// Street crime: evening peak, 03–06 trough.
const HOURS_EVENING: [f64; 24] = [
    0.55, 0.42, 0.30, 0.20, 0.15, 0.18, 0.30, 0.45, 0.55, 0.60, 0.65, 0.70, 0.72, 0.66, 0.60, 0.65,
    0.75, 0.90, 1.20, 1.45, 1.55, 1.50, 1.30, 0.90,
];
/// Added to [`HOURS_EVENING`] for theft and fraud around markets.
const MIDDAY_BUMP: [(usize, f64); 6] = [
    (9, 0.2),
    (10, 0.45),
    (11, 0.6),
    (12, 0.6),
    (13, 0.4),
    (14, 0.2),
];
/// Drugs, gambling, prostitution: late night.
const HOURS_NIGHT: [f64; 24] = [
    1.30, 1.10, 0.80, 0.50, 0.30, 0.20, 0.15, 0.15, 0.20, 0.25, 0.30, 0.35, 0.35, 0.35, 0.35, 0.40,
    0.45, 0.55, 0.70, 0.90, 1.10, 1.35, 1.50, 1.50,
];
/// Fraud, high-tech crime, loan sharking: reported in office hours.
const HOURS_OFFICE: [f64; 24] = [
    0.15, 0.10, 0.08, 0.06, 0.06, 0.08, 0.20, 0.50, 0.90, 1.20, 1.25, 1.20, 0.90, 1.10, 1.15, 1.10,
    1.00, 0.90, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25,
];
/// Friday and Saturday evenings (18:00–23:59) are busier still.
const WEEKEND_EVENING_BOOST: f64 = 1.35;

/// Main roads (for cameras and safe-street models), as rough polylines.
#[rustfmt::skip]
const CORRIDORS: [(&str, &[(f64, f64)]); 10] = [
    ("Võ Văn Kiệt", &[(106.632, 10.7455), (106.660, 10.7490), (106.685, 10.7555), (106.705, 10.7665)]),
    ("Điện Biên Phủ", &[(106.678, 10.7700), (106.695, 10.7870), (106.712, 10.8005), (106.722, 10.8030)]),
    ("Cách Mạng Tháng Tám", &[(106.693, 10.7740), (106.675, 10.7850), (106.660, 10.7950)]),
    ("Nguyễn Văn Linh", &[(106.680, 10.7330), (106.705, 10.7300), (106.725, 10.7290), (106.745, 10.7360)]),
    ("Mai Chí Thọ", &[(106.722, 10.7760), (106.745, 10.7830), (106.770, 10.7900)]),
    ("Cộng Hòa", &[(106.658, 10.8010), (106.645, 10.8035), (106.630, 10.8080), (106.615, 10.8150)]),
    ("Nguyễn Văn Trỗi", &[(106.690, 10.7840), (106.680, 10.7950), (106.670, 10.8030)]),
    ("Quang Trung", &[(106.668, 10.8300), (106.655, 10.8360), (106.640, 10.8450), (106.625, 10.8520)]),
    ("Huỳnh Tấn Phát", &[(106.737, 10.7560), (106.735, 10.7400), (106.734, 10.7240)]),
    ("Xô Viết Nghệ Tĩnh", &[(106.711, 10.8010), (106.710, 10.8150), (106.712, 10.8300)]),
];

const CAMERA_KINDS: [&str; 3] = ["fixed", "ptz", "anpr"];

const MODEL_KINDS: [&str; 11] = [
    "camera_model",
    "worker_boarding_house",
    "household_group",
    "social_media_group",
    "reintegration_5_plus_1",
    "team_363",
    "safe_street",
    "safe_market",
    "security_team",
    "religious_group",
    "other",
];
const MODEL_KIND_WEIGHTS: [f64; 11] = [12.0, 10.0, 24.0, 8.0, 8.0, 6.0, 8.0, 6.0, 10.0, 5.0, 3.0];

const RELIGIOUS_PLACES: [&str; 10] = [
    "chùa Vĩnh Nghiêm",
    "chùa Giác Lâm",
    "chùa Ngọc Hoàng",
    "nhà thờ Tân Định",
    "nhà thờ Huyện Sỹ",
    "chùa Bà Thiên Hậu",
    "chùa Xá Lợi",
    "nhà thờ Ba Chuông",
    "tịnh xá Ngọc Phương",
    "thánh đường Hồi giáo Jamiul Muslimin",
];

// ---------------------------------------------------------------------------------------------
// The generated world
// ---------------------------------------------------------------------------------------------

/// A polygon area as written to `areas.geojson`.
struct Area {
    code: String,
    name: String,
    kind: &'static str,
    population: Option<u32>,
    /// Closed exterior ring (first == last), counter-clockwise, 6-decimal coordinates.
    ring: Vec<[f64; 2]>,
    poly: Polygon<f64>,
    /// min lon, min lat, max lon, max lat.
    bbox: [f64; 4],
}

impl Area {
    fn new(
        code: String,
        name: String,
        kind: &'static str,
        population: Option<u32>,
        ring: Vec<[f64; 2]>,
    ) -> Self {
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for c in &ring {
            bbox[0] = bbox[0].min(c[0]);
            bbox[1] = bbox[1].min(c[1]);
            bbox[2] = bbox[2].max(c[0]);
            bbox[3] = bbox[3].max(c[1]);
        }
        let poly = Polygon::new(LineString::from(ring.clone()), vec![]);
        Self {
            code,
            name,
            kind,
            population,
            ring,
            poly,
            bbox,
        }
    }

    /// Strictly inside (a point on the boundary belongs to no area).
    fn contains(&self, lon: f64, lat: f64) -> bool {
        lon > self.bbox[0]
            && lon < self.bbox[2]
            && lat > self.bbox[1]
            && lat < self.bbox[3]
            && self.poly.contains(&Point::new(lon, lat))
    }
}

struct Tiling {
    wards: Vec<Area>,
    /// District index of each ward.
    ward_district: Vec<usize>,
    districts: Vec<Area>,
}

struct Trend {
    shape: Shape,
    /// Phase (persist, oscillate), exponent (grow), plateau end (fade), start (new).
    a: f64,
    /// Zero month (fade).
    b: f64,
}

impl Trend {
    /// Relative intensity `x` months after the sample's first day.
    fn at(&self, x: f64) -> f64 {
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

struct Cluster {
    spec: &'static ClusterSpec,
    lon: f64,
    lat: f64,
    sigma_m: f64,
    weight: f64,
    trend: Trend,
    categories: WeightedIndex<f64>,
    /// Ward containing the centre (fallback when Gaussian draws keep leaving the tiling).
    home_ward: usize,
}

struct Incident {
    day: usize,
    minute: u16,
    category: usize,
    severity: usize,
    solved: bool,
    lon: f64,
    lat: f64,
    address: String,
    ward: usize,
    /// Index into `World::clusters`, or `None` for background.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    cluster: Option<usize>,
}

struct Camera {
    lon: f64,
    lat: f64,
    kind: &'static str,
    active: bool,
    installed: Date,
}

struct Model {
    lon: f64,
    lat: f64,
    kind: &'static str,
    name: String,
    established: Date,
    active: bool,
}

struct World {
    tiling: Tiling,
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    clusters: Vec<Cluster>,
    complex: Vec<Area>,
    /// The 24 months up to `SampleConfig::end` (2023-01-01 … 2024-12-31 for [`PINNED_END`]).
    days: Vec<Date>,
    incidents: Vec<Incident>,
    cameras: Vec<Camera>,
    models: Vec<Model>,
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Metres east/north of (`lon`, `lat`) → coordinates.
fn offset(lon: f64, lat: f64, east_m: f64, north_m: f64) -> (f64, f64) {
    (
        lon + east_m / (M_PER_DEG * lat.to_radians().cos()),
        lat + north_m / M_PER_DEG,
    )
}

fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dx = (a.0 - b.0) * M_PER_DEG * a.1.to_radians().cos();
    let dy = (a.1 - b.1) * M_PER_DEG;
    dx.hypot(dy)
}

fn weighted(weights: &[f64]) -> io::Result<WeightedIndex<f64>> {
    WeightedIndex::new(weights.iter().copied()).map_err(io_err)
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

fn usize_to_f64(n: usize) -> f64 {
    // Counts here are far below 2^52.
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

impl Tiling {
    fn build(rng: &mut ChaCha8Rng) -> Self {
        let (nx, ny) = (LON_LINES.len(), LAT_LINES.len());
        // Jittered vertices, row-major by (column line, row line).
        let mut vertices = vec![[0.0_f64; 2]; nx * ny];
        for j in 0..ny {
            for i in 0..nx {
                let dx = if i == 0 || i == nx - 1 {
                    0.0
                } else {
                    let span =
                        (LON_LINES[i] - LON_LINES[i - 1]).min(LON_LINES[i + 1] - LON_LINES[i]);
                    rng.random_range(-1.0..1.0) * JITTER * span
                };
                let dy = if j == 0 || j == ny - 1 {
                    0.0
                } else {
                    let span =
                        (LAT_LINES[j] - LAT_LINES[j - 1]).min(LAT_LINES[j + 1] - LAT_LINES[j]);
                    rng.random_range(-1.0..1.0) * JITTER * span
                };
                vertices[j * nx + i] = [round6(LON_LINES[i] + dx), round6(LAT_LINES[j] + dy)];
            }
        }
        let v = |i: usize, j: usize| vertices[j * nx + i];

        let mut wards = Vec::new();
        let mut ward_district = Vec::new();
        let mut districts = Vec::new();
        for (d, spec) in DISTRICTS.iter().enumerate() {
            let (c0, c1) = spec.cols;
            let (r0, r1) = spec.rows;
            let mut population = 0_u32;
            let mut number = 0;
            // Numbered in reading order from the north-west corner.
            for r in (r0..r1).rev() {
                for c in c0..c1 {
                    number += 1;
                    let pop = rng.random_range(10_000..=45_000_u32);
                    population += pop;
                    let outline = vec![v(c, r), v(c + 1, r), v(c + 1, r + 1), v(c, r + 1), v(c, r)];
                    wards.push(Area::new(
                        format!("ward-{}-{number:02}", spec.slug),
                        format!("Phường {number}"),
                        "ward",
                        Some(pop),
                        outline,
                    ));
                    ward_district.push(d);
                }
            }
            let mut outline = Vec::new();
            outline.extend((c0..=c1).map(|c| v(c, r0)));
            outline.extend((r0 + 1..=r1).map(|r| v(c1, r)));
            outline.extend((c0..c1).rev().map(|c| v(c, r1)));
            outline.extend((r0..r1).rev().map(|r| v(c0, r)));
            districts.push(Area::new(
                format!("district-{}", spec.slug),
                spec.name.to_owned(),
                "district",
                Some(population),
                outline,
            ));
        }
        Self {
            wards,
            ward_district,
            districts,
        }
    }

    fn locate(&self, lon: f64, lat: f64) -> Option<usize> {
        self.wards.iter().position(|w| w.contains(lon, lat))
    }

    /// A uniform point strictly inside ward `w`, rounded to 6 decimals.
    fn point_in_ward(&self, rng: &mut ChaCha8Rng, w: usize) -> io::Result<(f64, f64)> {
        let ward = self
            .wards
            .get(w)
            .ok_or_else(|| io_err(format!("no ward {w}")))?;
        let [x0, y0, x1, y1] = ward.bbox;
        for _ in 0..1000 {
            let lon = round6(rng.random_range(x0..x1));
            let lat = round6(rng.random_range(y0..y1));
            if ward.contains(lon, lat) {
                return Ok((lon, lat));
            }
        }
        Err(io_err(format!("could not place a point in {}", ward.code)))
    }

    /// A Gaussian point around (`lon`, `lat`) that falls strictly inside a ward.
    fn point_near(
        &self,
        rng: &mut ChaCha8Rng,
        lon: f64,
        lat: f64,
        sigma_m: f64,
    ) -> Option<(f64, f64, usize)> {
        for _ in 0..64 {
            let (e, n) = (normal(rng) * sigma_m, normal(rng) * sigma_m);
            let (x, y) = offset(lon, lat, e, n);
            let (x, y) = (round6(x), round6(y));
            if let Some(w) = self.locate(x, y) {
                return Some((x, y, w));
            }
        }
        None
    }

    fn district_of(&self, ward: usize) -> &'static DistrictSpec {
        let d = self.ward_district.get(ward).copied().unwrap_or(0);
        &DISTRICTS[d.min(DISTRICTS.len() - 1)]
    }

    fn ward_name(&self, ward: usize) -> &str {
        self.wards.get(ward).map_or("", |w| w.name.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

fn build(cfg: &SampleConfig) -> io::Result<World> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let tiling = Tiling::build(&mut rng);
    let clusters = build_clusters(&mut rng, &tiling)?;
    let complex = build_complex(&mut rng, &tiling, &clusters, cfg.end.year())?;
    let days = calendar(cfg.end)?;
    let mut incidents = build_incidents(&mut rng, cfg.incidents, &tiling, &clusters, &days)?;
    if let Some(passed) = cfg.end_minutes {
        squeeze_last_day(&mut incidents, days.len().saturating_sub(1), passed);
    }
    let cameras = build_cameras(&mut rng, cfg.cameras, &tiling, &clusters, cfg.end)?;
    let models = build_models(&mut rng, cfg.models, &tiling, &clusters, cfg.end)?;
    Ok(World {
        tiling,
        clusters,
        complex,
        days,
        incidents,
        cameras,
        models,
    })
}

/// Every day from the first of the month 23 months before `end`'s month to `end`.
fn calendar(end: Date) -> io::Result<Vec<Date>> {
    let mut d = end
        .first_of_month()
        .checked_sub(jiff::Span::new().months(23))
        .map_err(io_err)?;
    let mut days = vec![d];
    while d < end {
        d = d.tomorrow().map_err(io_err)?;
        days.push(d);
    }
    Ok(days)
}

fn build_clusters(rng: &mut ChaCha8Rng, tiling: &Tiling) -> io::Result<Vec<Cluster>> {
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

/// Vertices of a star-shaped simple polygon around (`lon`, `lat`), counter-clockwise, closed,
/// shrunk until it lies inside the tiling's extent.
fn blob(rng: &mut ChaCha8Rng, lon: f64, lat: f64, radius_m: f64) -> Vec<[f64; 2]> {
    let n: u32 = rng.random_range(8..=12);
    let step = TAU / f64::from(n);
    let start = rng.random_range(0.0..step);
    let shape: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            let angle = start + f64::from(k) * step + rng.random_range(-0.3..0.3) * step;
            (angle, rng.random_range(0.7..1.0))
        })
        .collect();
    let margin = 1e-5;
    let mut radius = radius_m;
    loop {
        let mut outline: Vec<[f64; 2]> = shape
            .iter()
            .map(|&(a, f)| {
                let (x, y) = offset(lon, lat, radius * f * a.cos(), radius * f * a.sin());
                [round6(x), round6(y)]
            })
            .collect();
        let inside = outline.iter().all(|c| {
            c[0] > LON_MIN + margin
                && c[0] < LON_MAX - margin
                && c[1] > LAT_MIN + margin
                && c[1] < LAT_MAX - margin
        });
        if inside || radius < 50.0 {
            if let Some(&first) = outline.first() {
                outline.push(first);
            }
            return outline;
        }
        radius *= 0.85;
    }
}

fn build_complex(
    rng: &mut ChaCha8Rng,
    tiling: &Tiling,
    clusters: &[Cluster],
    end_year: i16,
) -> io::Result<Vec<Area>> {
    // Areas are designated in the sample's last two years: growing clusters in the last,
    // the others in the one before (the fading ones are those since turned around).
    let (first, last) = (end_year - 1, end_year);
    // (centre, radius, name, designation year)
    let mut plans: Vec<((f64, f64), f64, String, i16)> = Vec::new();
    for c in clusters.iter().filter(|c| c.spec.complex) {
        let (lon, lat) = offset(
            c.lon,
            c.lat,
            normal(rng) * 0.2 * c.sigma_m,
            normal(rng) * 0.2 * c.sigma_m,
        );
        let radius = (c.sigma_m * 2.0 * rng.random_range(0.9..1.2)).clamp(280.0, 700.0);
        let year = match c.trend.shape {
            Shape::Grow => last,
            _ => first,
        };
        plans.push((
            (lon, lat),
            radius,
            format!("Địa bàn phức tạp khu vực {}", c.spec.place),
            year,
        ));
    }
    let centres: Vec<(f64, f64)> = clusters.iter().map(|c| (c.lon, c.lat)).collect();
    let mut quiet: Vec<(f64, f64)> = Vec::new();
    let mut tries = 0;
    while quiet.len() < QUIET_COMPLEX {
        tries += 1;
        if tries > 10_000 {
            return Err(io_err("no quiet place for a complex area"));
        }
        let lon = rng.random_range(LON_MIN + 0.008..LON_MAX - 0.008);
        let lat = rng.random_range(LAT_MIN + 0.008..LAT_MAX - 0.008);
        let far = centres
            .iter()
            .chain(quiet.iter())
            .all(|&c| distance_m(c, (lon, lat)) > 1_500.0);
        let Some(ward) = tiling.locate(lon, lat) else {
            continue;
        };
        if !far {
            continue;
        }
        quiet.push((lon, lat));
        let district = tiling.district_of(ward);
        let street = district.streets[rng.random_range(0..district.streets.len())];
        let alley = rng.random_range(10..=400);
        let radius = rng.random_range(280.0..500.0);
        let year = if rng.random_bool(0.5) { first } else { last };
        plans.push((
            (lon, lat),
            radius,
            format!("Địa bàn phức tạp khu vực hẻm {alley} đường {street}"),
            year,
        ));
    }
    // Complex areas never overlap: the discs holding two polygons keep 40 m apart, shrinking
    // both in proportion when they would not (only neighbours in the centre ever need it).
    for _ in 0..8 {
        let mut changed = false;
        for i in 0..plans.len() {
            for j in i + 1..plans.len() {
                let gap = distance_m(plans[i].0, plans[j].0) - 40.0;
                let (ri, rj) = (plans[i].1, plans[j].1);
                if ri + rj > gap {
                    let scale = (gap / (ri + rj)).max(0.1);
                    plans[i].1 = ri * scale;
                    plans[j].1 = rj * scale;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut seq_first = 0;
    let mut seq_last = 0;
    let last = plans.len().saturating_sub(1);
    let mut out = Vec::with_capacity(plans.len());
    for (i, ((lon, lat), radius, name, year)) in plans.into_iter().enumerate() {
        let outline = blob(rng, lon, lat, radius);
        let seq = if year == first {
            seq_first += 1;
            seq_first
        } else {
            seq_last += 1;
            seq_last
        };
        let population = rng.random_range(1_500..=8_000_u32);
        // Two areas without a population on purpose: importers must cope.
        let population = (i != 5 && i != last).then_some(population);
        out.push(Area::new(
            format!("dbpt-{year}-{seq:02}"),
            name,
            "complex_area",
            population,
            outline,
        ));
    }
    Ok(out)
}

/// The first day of Tết (Vietnamese lunar new year), 2015–2040; a sample outside these
/// years simply has no Tết effect.
const TET: [(i16, i8, i8); 26] = [
    (2015, 2, 19),
    (2016, 2, 8),
    (2017, 1, 28),
    (2018, 2, 16),
    (2019, 2, 5),
    (2020, 1, 25),
    (2021, 2, 12),
    (2022, 2, 1),
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
    (2031, 1, 23),
    (2032, 2, 11),
    (2033, 1, 31),
    (2034, 2, 19),
    (2035, 2, 8),
    (2036, 1, 28),
    (2037, 2, 15),
    (2038, 2, 4),
    (2039, 1, 24),
    (2040, 2, 12),
];

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

fn build_incidents(
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
    let ward_pop: Vec<f64> = tiling
        .wards
        .iter()
        .map(|w| f64::from(w.population.unwrap_or(1)))
        .collect();
    let pick_ward = weighted(&ward_pop)?;
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
fn squeeze_last_day(incidents: &mut [Incident], last: usize, passed: u16) {
    let passed = u32::from(passed.min(24 * 60 - 1));
    for inc in incidents.iter_mut().filter(|i| i.day == last) {
        // minute ≤ 1439, so the product fits and the result is ≤ passed.
        inc.minute = u16::try_from(u32::from(inc.minute) * passed / (24 * 60 - 1)).unwrap_or(0);
    }
}

/// A point on a random corridor, offset sideways by a few tens of metres.
fn point_on_corridor(
    rng: &mut ChaCha8Rng,
    tiling: &Tiling,
    corridor: usize,
) -> Option<(f64, f64, usize)> {
    let (_, line) = CORRIDORS.get(corridor)?;
    let lengths: Vec<f64> = line.windows(2).map(|s| distance_m(s[0], s[1])).collect();
    let pick = WeightedIndex::new(lengths.iter().copied()).ok()?;
    for _ in 0..64 {
        let segment = rng.sample(&pick);
        let (from, to) = (line.get(segment)?, line.get(segment + 1)?);
        let along: f64 = rng.random();
        let (x, y) = (
            from.0 + along * (to.0 - from.0),
            from.1 + along * (to.1 - from.1),
        );
        let (x, y) = offset(x, y, normal(rng) * 25.0, normal(rng) * 25.0);
        let (x, y) = (round6(x), round6(y));
        if let Some(w) = tiling.locate(x, y) {
            return Some((x, y, w));
        }
    }
    None
}

/// A day of `year`, never after `end` (a camera is not installed in the future).
fn random_date(rng: &mut ChaCha8Rng, year: i16, end: Date) -> io::Result<Date> {
    let first = Date::new(year, 1, 1).map_err(io_err)?;
    let doy = rng.random_range(1..=first.days_in_year());
    let d = first.with().day_of_year(doy).build().map_err(io_err)?;
    Ok(d.min(end))
}

fn build_cameras(
    rng: &mut ChaCha8Rng,
    n: usize,
    tiling: &Tiling,
    clusters: &[Cluster],
    end: Date,
) -> io::Result<Vec<Camera>> {
    // Installed over the six years up to the sample's end, more of them recently.
    let first_year = end.year() - 5;
    // Cameras predate the new hotspots, so those attract none.
    let near_weights: Vec<f64> = clusters
        .iter()
        .map(|c| match c.trend.shape {
            Shape::New(_) => 0.0,
            _ => c.spec.weight,
        })
        .collect();
    let pick_cluster = weighted(&near_weights).ok();
    let pick_corridor = weighted(&[1.0; CORRIDORS.len()])?;
    let ward_pop: Vec<f64> = tiling
        .wards
        .iter()
        .map(|w| f64::from(w.population.unwrap_or(1)))
        .collect();
    let pick_ward = weighted(&ward_pop)?;
    let years = weighted(&[0.10, 0.12, 0.14, 0.18, 0.22, 0.24])?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let source: f64 = rng.random();
        let placed = if source < 0.45 {
            match &pick_cluster {
                Some(pick) => {
                    let c = &clusters[rng.sample(pick)];
                    tiling
                        .point_near(rng, c.lon, c.lat, c.sigma_m * 1.5 + 100.0)
                        .map(|p| (p, [50.0, 40.0, 10.0]))
                }
                None => None,
            }
        } else if source < 0.8 {
            let corridor = rng.sample(&pick_corridor);
            point_on_corridor(rng, tiling, corridor).map(|p| (p, [45.0, 20.0, 35.0]))
        } else {
            None
        };
        let ((lon, lat, _), kinds) = if let Some(p) = placed {
            p
        } else {
            let w = rng.sample(&pick_ward);
            let (x, y) = tiling.point_in_ward(rng, w)?;
            ((x, y, w), [80.0, 15.0, 5.0])
        };
        let kind = CAMERA_KINDS[rng.sample(weighted(&kinds)?)];
        let year_idx = rng.sample(&years);
        let year = first_year + i16::try_from(year_idx).unwrap_or(0);
        let installed = random_date(rng, year, end)?;
        let active = rng.random_bool(0.80 + 0.03 * f64::from(year - first_year));
        out.push(Camera {
            lon,
            lat,
            kind,
            active,
            installed,
        });
    }
    Ok(out)
}

fn build_models(
    rng: &mut ChaCha8Rng,
    n: usize,
    tiling: &Tiling,
    clusters: &[Cluster],
    end: Date,
) -> io::Result<Vec<Model>> {
    // Established over the seven years up to the sample's end.
    let first_year = end.year() - 6;
    let kinds = weighted(&MODEL_KIND_WEIGHTS)?;
    let ward_pop: Vec<f64> = tiling
        .wards
        .iter()
        .map(|w| f64::from(w.population.unwrap_or(1)))
        .collect();
    let pick_ward = weighted(&ward_pop)?;
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

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

fn write_incidents(world: &World, path: &Path) -> io::Result<()> {
    let tz = TimeZone::get("Asia/Ho_Chi_Minh").map_err(io_err)?;
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "external_id",
        "occurred_at",
        "category",
        "severity",
        "solved",
        "lon",
        "lat",
        "address",
        "ward",
    ])?;
    // Numbered per year: INC-<year>-000001, … (the span covers two or three years).
    let mut seq_by_year: std::collections::BTreeMap<i16, u32> = std::collections::BTreeMap::new();
    for inc in &world.incidents {
        let date = *world
            .days
            .get(inc.day)
            .ok_or_else(|| io_err("day out of range"))?;
        let hour = i8::try_from(inc.minute / 60).map_err(io_err)?;
        let minute = i8::try_from(inc.minute % 60).map_err(io_err)?;
        let time = Time::new(hour, minute, 0, 0).map_err(io_err)?;
        let zoned = tz
            .to_zoned_datetime(date.to_datetime(time))
            .map_err(io_err)?;
        let year = date.year();
        let seq = seq_by_year.entry(year).or_insert(0);
        *seq += 1;
        w.write_record([
            format!("INC-{year}-{seq:06}").as_str(),
            zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string().as_str(),
            CATEGORIES[inc.category],
            SEVERITIES[inc.severity],
            if inc.solved { "true" } else { "false" },
            format!("{:.6}", inc.lon).as_str(),
            format!("{:.6}", inc.lat).as_str(),
            inc.address.as_str(),
            world.tiling.ward_name(inc.ward),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn write_cameras(world: &World, path: &Path) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "external_id",
        "lon",
        "lat",
        "kind",
        "active",
        "installed_at",
    ])?;
    for (i, c) in world.cameras.iter().enumerate() {
        w.write_record([
            format!("CAM-{:04}", i + 1).as_str(),
            format!("{:.6}", c.lon).as_str(),
            format!("{:.6}", c.lat).as_str(),
            c.kind,
            if c.active { "true" } else { "false" },
            c.installed.to_string().as_str(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn write_models(world: &World, path: &Path) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "external_id",
        "lon",
        "lat",
        "kind",
        "name",
        "established_at",
        "active",
    ])?;
    for (i, m) in world.models.iter().enumerate() {
        w.write_record([
            format!("MH-{:04}", i + 1).as_str(),
            format!("{:.6}", m.lon).as_str(),
            format!("{:.6}", m.lat).as_str(),
            m.kind,
            m.name.as_str(),
            m.established.to_string().as_str(),
            if m.active { "true" } else { "false" },
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn feature(area: &Area) -> Feature {
    let mut props = JsonObject::new();
    props.insert("code".to_owned(), area.code.clone().into());
    props.insert("name".to_owned(), area.name.clone().into());
    props.insert("kind".to_owned(), area.kind.into());
    if let Some(p) = area.population {
        props.insert("population".to_owned(), p.into());
    }
    Feature {
        bbox: None,
        geometry: Some(Geometry::new(GeometryValue::new_polygon([area
            .ring
            .iter()
            .copied()]))),
        id: None,
        properties: Some(props),
        foreign_members: None,
    }
}

/// One feature per line, so diffs of the committed sample stay readable.
fn write_areas(world: &World, path: &Path) -> io::Result<()> {
    let mut out = BufWriter::new(fs::File::create(path)?);
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let areas = world
        .tiling
        .wards
        .iter()
        .chain(&world.tiling.districts)
        .chain(&world.complex);
    for (i, area) in areas.enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, &feature(area))?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
