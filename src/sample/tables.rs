//! The constant tables the generator draws from: the ward grid, districts and their streets,
//! categories and severities, category mixes, the clusters' landmarks, weekly and daily rhythms,
//! Tết dates, main roads, camera and model kinds.

/// Column lines of the ward grid (west → east); 11 columns, narrower in the centre.
pub(super) const LON_LINES: [f64; 12] = [
    106.600, 106.618, 106.636, 106.652, 106.664, 106.676, 106.688, 106.700, 106.712, 106.730,
    106.760, 106.800,
];
/// Row lines of the ward grid (south → north); 8 rows.
pub(super) const LAT_LINES: [f64; 9] = [
    10.720, 10.736, 10.752, 10.764, 10.777, 10.792, 10.808, 10.830, 10.860,
];
pub(super) const LON_MIN: f64 = LON_LINES[0];
pub(super) const LON_MAX: f64 = LON_LINES[LON_LINES.len() - 1];
pub(super) const LAT_MIN: f64 = LAT_LINES[0];
pub(super) const LAT_MAX: f64 = LAT_LINES[LAT_LINES.len() - 1];
/// Largest jitter of a grid vertex, as a share of the smaller neighbouring spacing.
pub(super) const JITTER: f64 = 0.2;
/// Metres per degree of the generator's flat offsets (≈ a degree of the WGS 84 equator). Not
/// `analysis::geodesy::M_PER_DEG` (111,195 m): that would move every generated point, and the
/// committed sample and its fixtures are pinned to this one.
pub(super) const M_PER_DEG: f64 = 111_320.0;

/// A district: a block of ward cells `[c0, c1) × [r0, r1)` of the grid, with a few real streets.
pub(super) struct DistrictSpec {
    pub(super) name: &'static str,
    pub(super) slug: &'static str,
    pub(super) cols: (usize, usize),
    pub(super) rows: (usize, usize),
    pub(super) streets: &'static [&'static str],
}

pub(super) const DISTRICTS: [DistrictSpec; 12] = [
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
pub(super) const CATEGORIES: [&str; 14] = [
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
pub(super) const THEFT: usize = 0;
pub(super) const FRAUD: usize = 3;

pub(super) const SEVERITIES: [&str; 4] = [
    "less_serious",
    "serious",
    "very_serious",
    "especially_serious",
];

/// Severity weights per category, in [`SEVERITIES`] order.
pub(super) const SEVERITY_WEIGHTS: [[f64; 4]; 14] = [
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
pub(super) const SOLVED_BASE: [f64; 14] = [
    0.62, 0.66, 0.80, 0.60, 0.55, 0.88, 0.86, 0.84, 0.70, 0.78, 0.90, 0.66, 0.82, 0.68,
];
pub(super) const SOLVED_SEVERITY_BONUS: [f64; 4] = [0.0, 0.03, 0.08, 0.12];
/// Cases from the last `RECENT_DAYS` days are still under investigation more often.
pub(super) const RECENT_DAYS: usize = 60;
pub(super) const RECENT_PENALTY: f64 = 0.15;

/// Category mixes, in [`CATEGORIES`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mix {
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
    pub(super) fn weights(self) -> [f64; 14] {
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
pub(super) enum Shape {
    Persist,
    Grow,
    Fade,
    /// Appears in the given month (0 = the sample's first month).
    New(f64),
    /// Waves with the given period in months.
    Oscillate(f64),
}

pub(super) struct ClusterSpec {
    /// What the place is called after "khu vực" (used to name its complex area).
    pub(super) place: &'static str,
    pub(super) lon: f64,
    pub(super) lat: f64,
    pub(super) sigma_m: f64,
    pub(super) weight: f64,
    pub(super) mix: Mix,
    pub(super) shape: Shape,
    /// Markets add a midday bump to theft and fraud.
    pub(super) market: bool,
    /// Designated as a complex area.
    pub(super) complex: bool,
    pub(super) streets: &'static [&'static str],
}

#[rustfmt::skip]
pub(super) const CLUSTERS: [ClusterSpec; 25] = [
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
pub(super) const CLUSTER_SHARE: f64 = 0.55;
/// Number of quiet complex areas (designated, no cluster underneath).
pub(super) const QUIET_COMPLEX: usize = 3;

/// Monday … Sunday.
pub(super) const WEEKDAY_FACTOR: [f64; 7] = [0.92, 0.90, 0.93, 0.96, 1.10, 1.22, 1.04];
/// Street crime: evening peak, 03–06 trough.
pub(super) const HOURS_EVENING: [f64; 24] = [
    0.55, 0.42, 0.30, 0.20, 0.15, 0.18, 0.30, 0.45, 0.55, 0.60, 0.65, 0.70, 0.72, 0.66, 0.60, 0.65,
    0.75, 0.90, 1.20, 1.45, 1.55, 1.50, 1.30, 0.90,
];
/// Added to [`HOURS_EVENING`] for theft and fraud around markets.
pub(super) const MIDDAY_BUMP: [(usize, f64); 6] = [
    (9, 0.2),
    (10, 0.45),
    (11, 0.6),
    (12, 0.6),
    (13, 0.4),
    (14, 0.2),
];
/// Drugs, gambling, prostitution: late night.
pub(super) const HOURS_NIGHT: [f64; 24] = [
    1.30, 1.10, 0.80, 0.50, 0.30, 0.20, 0.15, 0.15, 0.20, 0.25, 0.30, 0.35, 0.35, 0.35, 0.35, 0.40,
    0.45, 0.55, 0.70, 0.90, 1.10, 1.35, 1.50, 1.50,
];
/// Fraud, high-tech crime, loan sharking: reported in office hours.
pub(super) const HOURS_OFFICE: [f64; 24] = [
    0.15, 0.10, 0.08, 0.06, 0.06, 0.08, 0.20, 0.50, 0.90, 1.20, 1.25, 1.20, 0.90, 1.10, 1.15, 1.10,
    1.00, 0.90, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25,
];
/// Friday and Saturday evenings (18:00–23:59) are busier still.
pub(super) const WEEKEND_EVENING_BOOST: f64 = 1.35;

/// Main roads (for cameras and safe-street models), as rough polylines.
#[rustfmt::skip]
pub(super) const CORRIDORS: [(&str, &[(f64, f64)]); 10] = [
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

pub(super) const CAMERA_KINDS: [&str; 3] = ["fixed", "ptz", "anpr"];

pub(super) const MODEL_KINDS: [&str; 11] = [
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
pub(super) const MODEL_KIND_WEIGHTS: [f64; 11] =
    [12.0, 10.0, 24.0, 8.0, 8.0, 6.0, 8.0, 6.0, 10.0, 5.0, 3.0];

pub(super) const RELIGIOUS_PLACES: [&str; 10] = [
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

/// The first day of Tết (Vietnamese lunar new year), 2015–2040; a sample outside these
/// years simply has no Tết effect.
pub(super) const TET: [(i16, i8, i8); 26] = [
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
