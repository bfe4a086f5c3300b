//! The report's words in Vietnamese and English, and its numbers written the way each
//! language writes them (Vietnamese uses a decimal comma).

use crate::analysis::kpis::{Light, change_pct};
use crate::analysis::rates::SIGNIFICANCE;
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
    RateRatio,
    Significant,
    NotSignificant,
    TargetMet,
    TargetMetSignificant,
    TargetNotMet,
    Unchanged,
    Up,
    UpFromZero,
    Ci95,
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
            T::RateRatio => (
                "Tỷ số so cùng kỳ (kiểm định chính xác)",
                "Ratio to last year (exact test)",
            ),
            T::Significant => ("có ý nghĩa thống kê", "statistically significant"),
            T::NotSignificant => ("chưa có ý nghĩa thống kê", "not statistically significant"),
            T::TargetMet => ("đạt", "met"),
            T::TargetMetSignificant => ("đạt, có ý nghĩa thống kê", "met and significant"),
            T::TargetNotMet => ("không đạt", "not met"),
            T::Unchanged => ("không đổi", "unchanged"),
            T::Up => ("tăng", "up"),
            T::UpFromZero => ("tăng từ 0", "up from 0"),
            T::Ci95 => ("KTC 95%:", "95% CI"),
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

    /// A change from `prev` to `cur` cases in words, with whether it is statistically
    /// significant (`p` < 0.05, the exact test's p value): "giảm 19%, có ý nghĩa thống kê",
    /// "up 4.5%, not statistically significant". Whole percent from 10% up, one decimal
    /// below; "n/a" without cases in either period; "không đổi" / "unchanged" for equal
    /// counts.
    #[must_use]
    pub fn change_words(self, cur: u64, prev: u64, p: Option<f64>) -> String {
        let Some(p) = p else {
            return self.t(T::Na).to_owned();
        };
        let direction = match (change_pct(cur, prev), cur.cmp(&prev)) {
            (_, std::cmp::Ordering::Equal) => return self.t(T::Unchanged).to_owned(),
            (None, _) => self.t(T::UpFromZero).to_owned(),
            (Some(v), order) => {
                let a = v.abs();
                // Whole percent from 10% up, one decimal below.
                let digits = usize::from(a < 9.95);
                let word = if order.is_lt() { T::Down } else { T::Up };
                format!("{} {}%", self.t(word), self.num(a, digits))
            }
        };
        let sig = if p < SIGNIFICANCE {
            T::Significant
        } else {
            T::NotSignificant
        };
        format!("{direction}, {}", self.t(sig))
    }

    /// The case target: "đạt" / "đạt, có ý nghĩa thống kê" / "không đạt" (met / met and
    /// significant / not met); "n/a" when it cannot be judged.
    #[must_use]
    pub const fn target_words(self, met: Option<bool>, significant: Option<bool>) -> &'static str {
        match (met, significant) {
            (None, _) => self.t(T::Na),
            (Some(false), _) => self.t(T::TargetNotMet),
            (Some(true), Some(true)) => self.t(T::TargetMetSignificant),
            (Some(true), _) => self.t(T::TargetMet),
        }
    }

    /// A ratio: two decimals, or two significant digits below 0.1.
    #[must_use]
    pub fn ratio(self, v: f64) -> String {
        let digits = if v == 0.0 || v >= 0.095 {
            2
        } else {
            // −log10 of a positive ratio below 0.1: at most a few hundred.
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a small positive number of digits"
            )]
            let d = (-v.log10()).ceil() as usize + 1;
            d.min(12)
        };
        self.num(v, digits)
    }

    /// A rate ratio with its 95% interval: "0,81 (KTC 95%: 0,72–0,91)", "0.81 (95% CI
    /// 0.72–0.91)"; without cases a year earlier the ratio is n/a and the interval open
    /// above ("n/a (95% CI ≥ 0.03)").
    #[must_use]
    pub fn rate_ratio(self, rr: Option<f64>, low: Option<f64>, high: Option<f64>) -> String {
        let na = self.t(T::Na);
        let ci = self.t(T::Ci95);
        match (rr, low, high) {
            (_, None, _) => na.to_owned(),
            (rr, Some(lo), None) => format!(
                "{} ({ci} ≥ {})",
                rr.map_or_else(|| na.to_owned(), |v| self.ratio(v)),
                self.ratio(lo)
            ),
            (rr, Some(lo), Some(hi)) => format!(
                "{} ({ci} {}–{})",
                rr.map_or_else(|| na.to_owned(), |v| self.ratio(v)),
                self.ratio(lo),
                self.ratio(hi)
            ),
        }
    }

    /// A p value: "p = 0,042", "p < 0,001"; "n/a" when absent.
    #[must_use]
    pub fn p_value(self, p: Option<f64>) -> String {
        match p {
            None => self.t(T::Na).to_owned(),
            Some(p) if p < 0.001 => format!("p < {}", self.num(0.001, 3)),
            Some(p) => format!("p = {}", self.num(p, 3)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_in_words() {
        // 81 against 100: −19%, p ≈ 0.18.
        assert_eq!(
            Lang::Vi.change_words(81, 100, Some(0.18)),
            "giảm 19%, chưa có ý nghĩa thống kê"
        );
        assert_eq!(
            Lang::En.change_words(810, 1000, Some(1e-5)),
            "down 19%, statistically significant"
        );
        assert_eq!(
            Lang::Vi.change_words(810, 1000, Some(1e-5)),
            "giảm 19%, có ý nghĩa thống kê"
        );
        assert_eq!(
            Lang::Vi.change_words(209, 200, Some(0.7)),
            "tăng 4,5%, chưa có ý nghĩa thống kê"
        );
        assert_eq!(
            Lang::En.change_words(12, 0, Some(0.0005)),
            "up from 0, statistically significant"
        );
        assert_eq!(Lang::En.change_words(7, 7, Some(1.0)), "unchanged");
        assert_eq!(Lang::Vi.change_words(0, 0, None), "n/a");
    }

    #[test]
    fn targets_ratios_and_p_values_in_words() {
        assert_eq!(
            Lang::Vi.target_words(Some(true), Some(true)),
            "đạt, có ý nghĩa thống kê"
        );
        assert_eq!(Lang::Vi.target_words(Some(true), Some(false)), "đạt");
        assert_eq!(Lang::Vi.target_words(Some(false), Some(false)), "không đạt");
        assert_eq!(
            Lang::En.target_words(Some(true), Some(true)),
            "met and significant"
        );
        assert_eq!(Lang::En.target_words(None, None), "n/a");
        assert_eq!(
            Lang::Vi.rate_ratio(Some(0.81), Some(0.72), Some(0.91)),
            "0,81 (KTC 95%: 0,72–0,91)"
        );
        assert_eq!(
            Lang::En.rate_ratio(Some(0.81), Some(0.72), Some(0.91)),
            "0.81 (95% CI 0.72–0.91)"
        );
        assert_eq!(
            Lang::En.rate_ratio(None, Some(0.0256), None),
            "n/a (95% CI ≥ 0.026)"
        );
        assert_eq!(Lang::En.rate_ratio(None, None, None), "n/a");
        assert_eq!(Lang::Vi.p_value(Some(0.0421)), "p = 0,042");
        assert_eq!(Lang::En.p_value(Some(1e-9)), "p < 0.001");
    }
}
