//! The report's words in Vietnamese and English, and its numbers written the way each
//! language writes them (Vietnamese uses a decimal comma).

use crate::analysis::kpis::Light;
use crate::domain::ProgrammeStatus;

/// The report's language: Vietnamese, the committees' own, unless English is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    Vi,
    En,
}

/// Every fixed text of the report, in both languages (one table, so that a label missing
/// in one language is a compile error).
#[derive(Debug, Clone, Copy)]
pub enum T {
    Title,
    Generated,
    DataVersion,
    TimeZone,
    Period,
    Totals,
    Designated,
    Reviewed,
    ConversionRate,
    Flagged,
    CasesAll,
    Areas,
    NoAreas,
    Code,
    Name,
    Status,
    Cases,
    VsLastYear,
    Clearance,
    ClearanceSerious,
    Per10k,
    HotCells,
    Unit,
    Reasons,
    Categories,
    YearsNotConverted,
    FlagNote,
    Indicator,
    ThisPeriod,
    LastYear,
    Target,
    Assessment,
    Cameras,
    Models,
    Hotspots,
    NoHotspot,
    Zone,
    Incidents,
    Cells,
    AreaKm2,
    History,
    When,
    By,
    Change,
    Evidence,
    Note,
    Edited,
    Met,
    Nearly,
    NotMet,
    Na,
    Down,
    None,
    Population,
    Unknown,
}

impl Lang {
    /// The page's `lang` attribute.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Vi => "vi",
            Self::En => "en",
        }
    }

    #[must_use]
    pub const fn t(self, t: T) -> &'static str {
        let (vi, en) = match t {
            T::Title => (
                "Báo cáo kết quả chuyển hóa địa bàn phức tạp về trật tự, an toàn xã hội",
                "Conversion of complex areas (public order and safety): annual report",
            ),
            T::Generated => ("Lập lúc", "Generated at"),
            T::DataVersion => ("Phiên bản dữ liệu", "Data version"),
            T::TimeZone => ("Múi giờ", "Time zone"),
            T::Period => ("Kỳ báo cáo", "Period"),
            T::Totals => ("Tổng hợp", "Totals"),
            T::Designated => ("Số địa bàn được xác định", "Areas designated"),
            T::Reviewed => ("Đã đánh giá", "Reviewed"),
            T::ConversionRate => (
                "Tỷ lệ chuyển hóa (trên số đã đánh giá)",
                "Conversion rate (of those reviewed)",
            ),
            T::Flagged => (
                "Chưa chuyển hóa từ 2 năm liên tiếp trở lên",
                "Not converted two or more years running",
            ),
            T::CasesAll => (
                "Số vụ phạm pháp hình sự (tất cả địa bàn)",
                "Criminal cases (all areas)",
            ),
            T::Areas => ("Danh sách địa bàn", "Complex areas"),
            T::NoAreas => (
                "Không có địa bàn nào được xác định trong năm.",
                "No area is designated for the year.",
            ),
            T::Code => ("Mã", "Code"),
            T::Name => ("Tên địa bàn", "Area"),
            T::Status => ("Trạng thái", "Status"),
            T::Cases => ("Số vụ", "Cases"),
            T::VsLastYear => ("So cùng kỳ", "vs last year"),
            T::Clearance => ("Tỷ lệ điều tra làm rõ", "Clearance rate"),
            T::ClearanceSerious => (
                "Tỷ lệ làm rõ án rất và đặc biệt nghiêm trọng",
                "Clearance, very and especially serious",
            ),
            T::Per10k => ("Số vụ trên 10.000 dân", "Cases per 10,000 residents"),
            T::HotCells => ("Ô điểm nóng", "Hot cells"),
            T::Unit => ("Đơn vị chủ trì", "Responsible unit"),
            T::Reasons => ("Lý do xác định", "Reasons"),
            T::Categories => ("Loại tội phạm cần tập trung", "Categories of concern"),
            T::YearsNotConverted => (
                "Số năm liên tiếp chưa chuyển hóa",
                "Years not converted in a row",
            ),
            T::FlagNote => (
                "Cần tập trung chỉ đạo: chưa chuyển hóa từ 2 năm liên tiếp trở lên",
                "Singled out: not converted two or more years running",
            ),
            T::Indicator => ("Chỉ tiêu", "Indicator"),
            T::ThisPeriod => ("Kỳ này", "This year"),
            T::LastYear => ("Cùng kỳ năm trước", "Same period last year"),
            T::Target => ("Mục tiêu", "Target"),
            T::Assessment => ("Đánh giá", "Assessment"),
            T::Cameras => ("Camera an ninh", "Security cameras"),
            T::Models => ("Mô hình tự quản", "Self-managed models"),
            T::Hotspots => ("Điểm nóng", "Hotspots"),
            T::NoHotspot => (
                "Không còn ô điểm nóng trong hoặc giáp địa bàn.",
                "No hot cell inside or touching the area.",
            ),
            T::Zone => ("Vùng điểm nóng", "Hotspot zone"),
            T::Incidents => ("Số vụ (toàn vùng)", "Incidents (whole zone)"),
            T::Cells => ("Số ô", "Cells"),
            T::AreaKm2 => ("Diện tích (km²)", "Area (km²)"),
            T::History => ("Quá trình", "History"),
            T::When => ("Thời điểm", "When"),
            T::By => ("Người thực hiện", "By"),
            T::Change => ("Nội dung", "Change"),
            T::Evidence => ("Minh chứng", "Evidence"),
            T::Note => ("Ghi chú", "Note"),
            T::Edited => ("Điều chỉnh", "Edited"),
            T::Met => ("Đạt", "Met"),
            T::Nearly => ("Gần đạt", "Nearly"),
            T::NotMet => ("Chưa đạt", "Not met"),
            T::Na => ("n/a", "n/a"),
            T::Down => ("giảm", "down"),
            T::None => ("không còn", "none"),
            T::Population => ("Dân số", "Population"),
            T::Unknown => ("chưa có số liệu", "unknown"),
        };
        match self {
            Self::Vi => vi,
            Self::En => en,
        }
    }

    #[must_use]
    pub const fn status(self, s: ProgrammeStatus) -> &'static str {
        match (self, s) {
            (Self::Vi, ProgrammeStatus::Designated) => "Mới xác định",
            (Self::Vi, ProgrammeStatus::InProgress) => "Đang chuyển hóa",
            (Self::Vi, ProgrammeStatus::Converted) => "Đã chuyển hóa",
            (Self::Vi, ProgrammeStatus::NotConverted) => "Chưa chuyển hóa",
            (Self::En, ProgrammeStatus::Designated) => "Designated",
            (Self::En, ProgrammeStatus::InProgress) => "In progress",
            (Self::En, ProgrammeStatus::Converted) => "Converted",
            (Self::En, ProgrammeStatus::NotConverted) => "Not converted",
        }
    }

    #[must_use]
    pub const fn light(self, l: Light) -> &'static str {
        match l {
            Light::Green => self.t(T::Met),
            Light::Amber => self.t(T::Nearly),
            Light::Red => self.t(T::NotMet),
            Light::Grey => self.t(T::Na),
        }
    }

    /// A number with this language's decimal separator.
    #[must_use]
    pub fn num(self, v: f64, decimals: usize) -> String {
        let s = format!("{v:.decimals$}");
        match self {
            Self::Vi => s.replace('.', ","),
            Self::En => s,
        }
    }

    /// A percentage, `n/a` when absent; `signed` writes `+` before a rise.
    #[must_use]
    pub fn pct(self, v: Option<f64>, signed: bool) -> String {
        match v {
            None => self.t(T::Na).to_owned(),
            Some(v) if signed => {
                let s = self.num(v, 1);
                if v > 0.0 {
                    format!("+{s}%")
                } else {
                    format!("{s}%")
                }
            }
            Some(v) => format!("{}%", self.num(v, 1)),
        }
    }

    /// A fraction 0–1 as a percentage.
    #[must_use]
    pub fn fraction(self, v: Option<f64>) -> String {
        self.pct(v.map(|f| f * 100.0), false)
    }
}
