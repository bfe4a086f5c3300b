//! The yearly report of the conversion programme: `GET /api/v1/report?year=Y`, a printable
//! HTML page (Vietnamese by default, `lang=en`) or the same content as CSV (`format=csv`):
//! the programme's totals, then every complex area designated for the year with its
//! status, KPIs against its targets, hotspots and history.
//!
//! The page is self-contained (no scripts, fonts or images to fetch; a Content Security
//! Policy forbids them) and prints to A4: `@page { size: A4 }`, each area on a new page,
//! table headers repeated on every page (`thead { display: table-header-group }`) and no
//! table row split across pages (`tr { break-inside: avoid }`); a test prints it with
//! headless Chromium and checks both with `pdftotext`. Every text from the database is
//! HTML-escaped; in CSV, free text that a spreadsheet would take for a formula is prefixed
//! with `'`.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::areas::{KpiJob, compute_kpis, parse_year};
use super::error::ApiError;
use super::extract::{Identity, Params};
use crate::analysis::kpis::{AreaKpis, Light};
use crate::auth::Role;
use crate::domain::period::year_of;
use crate::domain::{Designation, EventKind, Period, ProgrammeEvent, ProgrammeStatus, Zone};
use crate::index::Snapshot;

/// Query of `GET /api/v1/report`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The programme year (default: the current year in the committee's zone).
    pub year: Option<i64>,
    /// `vi` (default) or `en`.
    pub lang: Option<String>,
    /// `html` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Vi,
    En,
}

/// Every fixed text of the report, in both languages.
#[derive(Clone, Copy)]
enum T {
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
    const fn t(self, t: T) -> &'static str {
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

    const fn status(self, s: ProgrammeStatus) -> &'static str {
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

    const fn light(self, l: Light) -> &'static str {
        match l {
            Light::Green => self.t(T::Met),
            Light::Amber => self.t(T::Nearly),
            Light::Red => self.t(T::NotMet),
            Light::Grey => self.t(T::Na),
        }
    }

    /// A number with this language's decimal separator.
    fn num(self, v: f64, decimals: usize) -> String {
        let s = format!("{v:.decimals$}");
        match self {
            Self::Vi => s.replace('.', ","),
            Self::En => s,
        }
    }

    fn pct(self, v: Option<f64>, signed: bool) -> String {
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

    fn fraction(self, v: Option<f64>) -> String {
        self.pct(v.map(|f| f * 100.0), false)
    }
}

/// Text made safe for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Free text made safe for a spreadsheet: a leading `=`, `+`, `-`, `@`, tab or carriage
/// return would start a formula.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// One area of the report.
struct Entry<'a> {
    pos: usize,
    designation: &'a Designation,
    kpis: AreaKpis,
    events: Vec<&'a ProgrammeEvent>,
    years_not_converted: u32,
}

/// What both formats show.
struct Report<'a> {
    year: i16,
    period: Period,
    snap: &'a Snapshot,
    zone: &'a Zone,
    entries: Vec<Entry<'a>>,
}

impl Report<'_> {
    fn name(&self, e: &Entry<'_>) -> &str {
        &self.snap.areas.areas()[e.pos].data.name
    }

    fn count(&self, s: ProgrammeStatus) -> usize {
        self.entries
            .iter()
            .filter(|e| e.designation.status == s)
            .count()
    }

    fn flagged(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| crate::domain::programme::is_flagged(e.years_not_converted))
            .count()
    }

    /// Converted over reviewed (converted + not converted).
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    fn conversion_rate(&self) -> Option<f64> {
        let c = self.count(ProgrammeStatus::Converted);
        let reviewed = c + self.count(ProgrammeStatus::NotConverted);
        (reviewed > 0).then(|| c as f64 / reviewed as f64)
    }

    fn cases(&self) -> (u64, u64) {
        self.entries.iter().fold((0, 0), |(a, b), e| {
            (a + e.kpis.incidents, b + e.kpis.incidents_previous)
        })
    }

    fn category_label(&self, code: &str, lang: Lang) -> String {
        self.snap
            .catalogue
            .categories
            .iter()
            .find(|c| c.code == code)
            .map_or_else(
                || code.to_owned(),
                |c| match lang {
                    Lang::Vi => c.label_vi.clone(),
                    Lang::En => c.label_en.clone(),
                },
            )
    }
}

const fn light_class(l: Light) -> &'static str {
    match l {
        Light::Green => "green",
        Light::Amber => "amber",
        Light::Red => "red",
        Light::Grey => "grey",
    }
}

/// A traffic light's dot.
fn dot(l: Light) -> String {
    format!(r#"<span class="light {}"></span>"#, light_class(l))
}

/// A traffic light's dot and its word.
fn light_html(lang: Lang, l: Light) -> String {
    format!("{}{}", dot(l), esc(lang.light(l)))
}

const CSS: &str = r#"
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
html { font-family: "DejaVu Sans", "Noto Sans", "Liberation Sans", Arial, sans-serif; font-size: 9pt; color: #000; background: #fff; }
body { margin: 0; }
h1 { font-size: 14pt; margin: 0 0 4pt; }
h2 { font-size: 12pt; margin: 10pt 0 4pt; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10pt; margin: 8pt 0 3pt; break-after: avoid; page-break-after: avoid; }
p { margin: 2pt 0; }
.meta { color: #333; font-size: 8pt; }
section.area { break-before: page; page-break-before: always; }
table { width: 100%; border-collapse: collapse; margin: 3pt 0 8pt; }
thead { display: table-header-group; }
tr, th, td { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 0.6pt solid #777; padding: 2pt 3pt; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: #e8e8e8; font-weight: bold; }
td.n, td.code { white-space: nowrap; }
td.n { text-align: right; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 1pt 8pt; margin: 3pt 0 6pt; }
dt { font-weight: bold; }
dd { margin: 0; }
.flag { border: 1pt solid #b2182b; color: #b2182b; padding: 2pt 4pt; display: inline-block; margin: 2pt 0; }
.light { display: inline-block; width: 7pt; height: 7pt; border-radius: 50%; margin-right: 3pt; border: 0.5pt solid #555; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.green { background: #1a9641; } .amber { background: #fdae61; } .red { background: #d7191c; } .grey { background: #bbbbbb; }
a { color: #000; }
"#;

#[expect(clippy::too_many_lines, reason = "one page, top to bottom")]
fn html(r: &Report<'_>, lang: Lang, data_version: i64) -> String {
    let z = r.zone;
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        r#"<!doctype html><html lang="{}"><head><meta charset="utf-8"><title>{} {}</title><style>{CSS}</style></head><body>"#,
        match lang {
            Lang::Vi => "vi",
            Lang::En => "en",
        },
        esc(lang.t(T::Title)),
        r.year
    );
    let _ = write!(
        h,
        r#"<header><h1>{} {}</h1><p class="meta">{}: {} – {} · {}: {} · {}: {} · {}: {}</p></header>"#,
        esc(lang.t(T::Title)),
        r.year,
        esc(lang.t(T::Period)),
        esc(&z.format(r.period.from)),
        esc(&z.format(r.period.to)),
        esc(lang.t(T::TimeZone)),
        esc(z.name()),
        esc(lang.t(T::Generated)),
        esc(&z.format(crate::service::now())),
        esc(lang.t(T::DataVersion)),
        data_version
    );

    // Totals.
    let (cases, cases_prev) = r.cases();
    let _ = write!(
        h,
        r#"<section id="totals"><h2>{}</h2><table class="totals"><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>"#,
        esc(lang.t(T::Totals)),
        esc(lang.t(T::Indicator)),
        esc(lang.t(T::ThisPeriod))
    );
    let mut row = |label: &str, value: String| {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="n">{}</td></tr>"#,
            esc(label),
            esc(&value)
        );
    };
    row(lang.t(T::Designated), r.entries.len().to_string());
    for s in ProgrammeStatus::ALL {
        row(lang.status(s), r.count(s).to_string());
    }
    row(
        lang.t(T::Reviewed),
        (r.count(ProgrammeStatus::Converted) + r.count(ProgrammeStatus::NotConverted)).to_string(),
    );
    row(
        lang.t(T::ConversionRate),
        lang.fraction(r.conversion_rate()),
    );
    row(lang.t(T::Flagged), r.flagged().to_string());
    row(
        lang.t(T::CasesAll),
        format!(
            "{cases} ({} {cases_prev}; {})",
            lang.t(T::LastYear),
            lang.pct(crate::analysis::kpis::change_pct(cases, cases_prev), true)
        ),
    );
    h.push_str("</tbody></table>");

    // Summary of every area.
    let _ = write!(h, "<h2>{}</h2>", esc(lang.t(T::Areas)));
    if r.entries.is_empty() {
        let _ = write!(h, "<p>{}</p>", esc(lang.t(T::NoAreas)));
    } else {
        h.push_str(r#"<table class="summary"><thead><tr>"#);
        for t in [
            T::Code,
            T::Name,
            T::Status,
            T::Cases,
            T::VsLastYear,
            T::Clearance,
            T::ClearanceSerious,
            T::Per10k,
            T::HotCells,
            T::Unit,
        ] {
            let _ = write!(h, "<th>{}</th>", esc(lang.t(t)));
        }
        h.push_str("</tr></thead><tbody>");
        for e in &r.entries {
            let k = &e.kpis;
            let lights = k.traffic_lights;
            let _ = write!(
                h,
                r#"<tr><td class="code">{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}{}</td><td class="n">{}{}</td><td class="n">{}{}</td><td class="n">{}</td><td class="n">{}{}</td><td>{}</td></tr>"#,
                esc(&e.designation.area_code),
                esc(r.name(e)),
                esc(&status_cell(lang, e)),
                k.incidents,
                dot(lights.cases),
                esc(&lang.pct(k.change_pct, true)),
                dot(lights.clearance),
                esc(&lang.fraction(k.clearance_rate)),
                dot(lights.clearance_serious),
                esc(&lang.fraction(k.clearance_rate_serious)),
                esc(&k
                    .rate_per_10k
                    .map_or_else(|| lang.t(T::Na).to_owned(), |v| lang.num(v, 2))),
                dot(lights.hotspots),
                k.hot_cells,
                esc(&e.designation.terms.unit),
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");

    // Each area.
    for e in &r.entries {
        let d = e.designation;
        let k = &e.kpis;
        let t = &d.terms.targets;
        let _ = write!(
            h,
            r#"<section class="area" id="area-{}"><h2>{} — {}</h2>"#,
            esc(&d.area_code),
            esc(&d.area_code),
            esc(r.name(e))
        );
        if crate::domain::programme::is_flagged(e.years_not_converted) {
            let _ = write!(h, r#"<p class="flag">{}</p>"#, esc(lang.t(T::FlagNote)));
        }
        let cats: Vec<String> = d
            .terms
            .categories
            .iter()
            .map(|c| r.category_label(c, lang))
            .collect();
        let _ = write!(
            h,
            "<dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
            esc(lang.t(T::Status)),
            esc(lang.status(d.status)),
            esc(lang.t(T::Unit)),
            esc(&d.terms.unit),
            esc(lang.t(T::Reasons)),
            esc(&d.terms.reasons.join("; ")),
            esc(lang.t(T::Categories)),
            esc(&if cats.is_empty() {
                "—".to_owned()
            } else {
                cats.join(", ")
            }),
            esc(lang.t(T::Population)),
            esc(&k
                .population
                .map_or_else(|| lang.t(T::Unknown).to_owned(), |p| p.to_string())),
            esc(lang.t(T::YearsNotConverted)),
            e.years_not_converted,
        );

        // KPIs against targets.
        h.push_str(r#"<table class="kpis"><thead><tr>"#);
        for c in [
            T::Indicator,
            T::ThisPeriod,
            T::LastYear,
            T::Target,
            T::Assessment,
        ] {
            let _ = write!(h, "<th>{}</th>", esc(lang.t(c)));
        }
        h.push_str("</tr></thead><tbody>");
        let l = k.traffic_lights;
        let rows: [(T, String, String, String, Light); 5] = [
            (
                T::Cases,
                format!("{} ({})", k.incidents, lang.pct(k.change_pct, true)),
                k.incidents_previous.to_string(),
                format!("≤ {}", lang.pct(Some(t.case_change_pct), true)),
                l.cases,
            ),
            (
                T::Per10k,
                k.rate_per_10k
                    .map_or_else(|| lang.t(T::Na).to_owned(), |v| lang.num(v, 2)),
                k.rate_per_10k_previous
                    .map_or_else(|| lang.t(T::Na).to_owned(), |v| lang.num(v, 2)),
                lang.t(T::Down).to_owned(),
                l.rate_per_10k,
            ),
            (
                T::Clearance,
                format!(
                    "{} ({}/{})",
                    lang.fraction(k.clearance_rate),
                    k.solved,
                    k.incidents
                ),
                lang.fraction(k.clearance_rate_previous),
                format!("≥ {}", lang.fraction(Some(t.clearance_rate))),
                l.clearance,
            ),
            (
                T::ClearanceSerious,
                format!(
                    "{} ({}/{})",
                    lang.fraction(k.clearance_rate_serious),
                    k.serious_solved,
                    k.serious
                ),
                lang.fraction(k.clearance_rate_serious_previous),
                format!("≥ {}", lang.fraction(Some(t.clearance_rate_serious))),
                l.clearance_serious,
            ),
            (
                T::HotCells,
                k.hot_cells.to_string(),
                String::new(),
                lang.t(T::None).to_owned(),
                l.hotspots,
            ),
        ];
        for (label, now, prev, target, light) in rows {
            let _ = write!(
                h,
                r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td>{}</td><td>{}</td></tr>"#,
                esc(lang.t(label)),
                esc(&now),
                esc(&prev),
                esc(&target),
                light_html(lang, light)
            );
        }
        for (label, n, per_km2, per_10k) in [
            (T::Cameras, k.cameras, k.cameras_per_km2, k.cameras_per_10k),
            (T::Models, k.models, k.models_per_km2, k.models_per_10k),
        ] {
            let per_10k = per_10k.map_or_else(|| lang.t(T::Na).to_owned(), |v| lang.num(v, 2));
            let detail = match lang {
                Lang::Vi => format!("{n} ({} /km²; {per_10k} /10.000 dân)", lang.num(per_km2, 2)),
                Lang::En => format!(
                    "{n} ({} /km²; {per_10k} /10,000 residents)",
                    lang.num(per_km2, 2)
                ),
            };
            let _ = write!(
                h,
                r#"<tr><td>{}</td><td class="n">{}</td><td></td><td></td><td></td></tr>"#,
                esc(lang.t(label)),
                esc(&detail),
            );
        }
        h.push_str("</tbody></table>");

        // Hotspots.
        let _ = write!(h, "<h3>{}</h3>", esc(lang.t(T::Hotspots)));
        if k.hotspot_zones.is_empty() && k.hot_cells == 0 {
            let _ = write!(h, "<p>{}</p>", esc(lang.t(T::NoHotspot)));
        } else {
            let _ = write!(
                h,
                "<p>{}: {}</p>",
                esc(lang.t(T::HotCells)),
                esc(&k.hot_cell_ids.join(", "))
            );
            if !k.hotspot_zones.is_empty() {
                let _ = write!(
                    h,
                    r#"<table class="zones"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
                    esc(lang.t(T::Zone)),
                    esc(lang.t(T::Incidents)),
                    esc(lang.t(T::Cells)),
                    esc(lang.t(T::AreaKm2))
                );
                for zz in &k.hotspot_zones {
                    let _ = write!(
                        h,
                        r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                        esc(&zz.id),
                        zz.incidents,
                        zz.cells,
                        esc(&lang.num(zz.area_km2, 3))
                    );
                }
                h.push_str("</tbody></table>");
            }
        }

        // History.
        let _ = write!(
            h,
            r#"<h3>{}</h3><table class="history"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
            esc(lang.t(T::History)),
            esc(lang.t(T::When)),
            esc(lang.t(T::By)),
            esc(lang.t(T::Change)),
            esc(lang.t(T::Evidence)),
            esc(lang.t(T::Note)),
        );
        for ev in &e.events {
            let links: Vec<String> = ev
                .evidence
                .iter()
                .map(|l| format!(r#"<a href="{}">{}</a>"#, esc(l), esc(l)))
                .collect();
            let _ = write!(
                h,
                "<tr><td>#{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ev.id,
                esc(&z.format(ev.at)),
                esc(&ev.by.name),
                esc(&change_text(ev, lang)),
                links.join("<br>"),
                esc(ev.note.as_deref().unwrap_or("")),
            );
        }
        h.push_str("</tbody></table></section>");
    }
    h.push_str("</body></html>");
    h
}

/// An area's status in the summary, with its run of years not converted when flagged.
fn status_cell(lang: Lang, e: &Entry<'_>) -> String {
    let status = lang.status(e.designation.status);
    if crate::domain::programme::is_flagged(e.years_not_converted) {
        match lang {
            Lang::Vi => format!("{status} ({} năm liên tiếp)", e.years_not_converted),
            Lang::En => format!("{status} ({} years running)", e.years_not_converted),
        }
    } else {
        status.to_owned()
    }
}

fn change_text(e: &ProgrammeEvent, lang: Lang) -> String {
    match e.kind {
        EventKind::Designated => format!("→ {}", lang.status(e.to)),
        EventKind::Transition => format!(
            "{} → {}",
            e.from.map_or("", |s| lang.status(s)),
            lang.status(e.to)
        ),
        EventKind::Edited => {
            let fields: Vec<&str> = e
                .changes
                .as_ref()
                .and_then(|c| c.as_object())
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            format!("{}: {}", lang.t(T::Edited), fields.join(", "))
        }
    }
}

fn csv(r: &Report<'_>) -> Result<String, ApiError> {
    let z = r.zone;
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| ApiError::Internal(e.to_string());
    w.write_record([
        "section",
        "area_code",
        "area_name",
        "indicator",
        "value",
        "previous",
        "target",
        "target_met",
        "light",
        "at",
        "by",
        "note",
    ])
    .map_err(err)?;
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    let met = |v: Option<bool>| v.map_or_else(String::new, |v| v.to_string());
    let light = |l: Light| light_class(l).to_owned();
    let (cases, cases_prev) = r.cases();
    let mut totals: Vec<(String, String, String)> = vec![
        ("year".into(), r.year.to_string(), String::new()),
        ("period_from".into(), z.format(r.period.from), String::new()),
        ("period_to".into(), z.format(r.period.to), String::new()),
        (
            "designated".into(),
            r.entries.len().to_string(),
            String::new(),
        ),
    ];
    for s in ProgrammeStatus::ALL {
        totals.push((s.as_str().into(), r.count(s).to_string(), String::new()));
    }
    totals.push((
        "conversion_rate".into(),
        opt(r.conversion_rate()),
        String::new(),
    ));
    totals.push(("flagged".into(), r.flagged().to_string(), String::new()));
    totals.push((
        "incidents".into(),
        cases.to_string(),
        cases_prev.to_string(),
    ));
    for (name, value, prev) in totals {
        w.write_record([
            "totals", "", "", &name, &value, &prev, "", "", "", "", "", "",
        ])
        .map_err(err)?;
    }
    for e in &r.entries {
        let d = e.designation;
        let k = &e.kpis;
        let t = &d.terms.targets;
        let l = k.traffic_lights;
        let (code, name) = (cell(&d.area_code), cell(r.name(e)));
        let area_rows: [(&str, String); 6] = [
            ("status", d.status.as_str().to_owned()),
            ("unit", cell(&d.terms.unit)),
            ("reasons", cell(&d.terms.reasons.join("; "))),
            ("categories", d.terms.categories.join(";")),
            ("years_not_converted", e.years_not_converted.to_string()),
            (
                "population",
                k.population.map_or_else(String::new, |p| p.to_string()),
            ),
        ];
        for (ind, v) in area_rows {
            w.write_record(["area", &code, &name, ind, &v, "", "", "", "", "", "", ""])
                .map_err(err)?;
        }
        let kpi_rows: [(&str, String, String, String, String, String); 8] = [
            (
                "incidents",
                k.incidents.to_string(),
                k.incidents_previous.to_string(),
                String::new(),
                String::new(),
                String::new(),
            ),
            (
                "change_pct",
                k.change_pct
                    .map_or_else(|| "n/a".to_owned(), |v| v.to_string()),
                String::new(),
                t.case_change_pct.to_string(),
                met(k.target_met),
                light(l.cases),
            ),
            (
                "rate_per_10k",
                opt(k.rate_per_10k),
                opt(k.rate_per_10k_previous),
                "down".into(),
                met(k.rate_target_met),
                light(l.rate_per_10k),
            ),
            (
                "clearance_rate",
                opt(k.clearance_rate),
                opt(k.clearance_rate_previous),
                t.clearance_rate.to_string(),
                met(k.clearance_target_met),
                light(l.clearance),
            ),
            (
                "clearance_rate_serious",
                opt(k.clearance_rate_serious),
                opt(k.clearance_rate_serious_previous),
                t.clearance_rate_serious.to_string(),
                met(k.clearance_serious_target_met),
                light(l.clearance_serious),
            ),
            (
                "hot_cells",
                k.hot_cells.to_string(),
                String::new(),
                "0".into(),
                met(k.hotspots_target_met),
                light(l.hotspots),
            ),
            (
                "cameras",
                k.cameras.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ),
            (
                "models",
                k.models.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ),
        ];
        for (ind, v, p, target, m, li) in kpi_rows {
            w.write_record([
                "kpi", &code, &name, ind, &v, &p, &target, &m, &li, "", "", "",
            ])
            .map_err(err)?;
        }
        for zz in &k.hotspot_zones {
            w.write_record([
                "hotspot_zone",
                &code,
                &name,
                &zz.id,
                &zz.incidents.to_string(),
                "",
                "",
                "",
                "",
                "",
                "",
                &format!("{} cells, {} km²", zz.cells, zz.area_km2),
            ])
            .map_err(err)?;
        }
        for ev in &e.events {
            let detail = match (&ev.note, ev.evidence.is_empty()) {
                (Some(n), true) => cell(n),
                (Some(n), false) => cell(&format!("{n} [{}]", ev.evidence.join(" "))),
                (None, false) => ev.evidence.join(" "),
                (None, true) => String::new(),
            };
            w.write_record([
                "history",
                &code,
                &name,
                ev.kind.as_str(),
                ev.to.as_str(),
                ev.from.map_or("", ProgrammeStatus::as_str),
                "",
                "",
                "",
                &z.format(ev.at),
                &cell(&ev.by.name),
                &detail,
            ])
            .map_err(err)?;
        }
    }
    String::from_utf8(
        w.into_inner()
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    )
    .map_err(|e| ApiError::Internal(e.to_string()))
}

#[utoipa::path(get, path = "/api/v1/report", tag = "programme", params(ReportParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The year's report: the programme's totals, then every designated complex area with its status, KPIs against its targets (traffic lights), hotspots and history. Printable HTML (A4; Vietnamese unless lang=en) or CSV (format=csv: section, area_code, area_name, indicator, value, previous, target, target_met, light, at, by, note) (viewer role)", content_type = "text/html", body = String),
        (status = 400, description = "A parameter is invalid", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = super::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_report(
    State(state): State<AppState>,
    identity: Identity,
    Params(p): Params<ReportParams>,
) -> Result<Response, ApiError> {
    identity.require(Role::Viewer)?;
    let lang = match p.lang.as_deref() {
        None | Some("vi") => Lang::Vi,
        Some("en") => Lang::En,
        Some(other) => {
            return Err(ApiError::param(
                "lang",
                format!("{other:?} is not vi or en"),
            ));
        }
    };
    let as_csv = match p.format.as_deref() {
        None | Some("html") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::param(
                "format",
                format!("{other:?} is not html or csv"),
            ));
        }
    };
    let zone = state.service.zone().clone();
    let year = match p.year {
        Some(y) => parse_year(y)?,
        None => year_of(crate::service::now(), zone.tz())
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    let period = Period::year(year, zone.tz()).map_err(|e| ApiError::param("year", e.reason))?;
    let snap = state.service.snapshot();
    let events = state
        .service
        .store()
        .programme_events(None, Some(year))
        .await?;
    let chosen: Vec<(usize, &Designation)> = snap
        .programme
        .of_year(year)
        .filter_map(|d| snap.areas.position(&d.area_code).map(|p| (p, d)))
        .collect();
    let jobs = chosen
        .iter()
        .map(|(pos, d)| KpiJob {
            pos: *pos,
            targets: d.terms.targets,
            monthly: false,
        })
        .collect();
    let results = compute_kpis(&state, &snap, period, jobs).await?;
    let entries = chosen
        .into_iter()
        .zip(results)
        .map(|((pos, d), kpis)| Entry {
            pos,
            designation: d,
            kpis,
            events: events
                .iter()
                .filter(|e| e.area_code == d.area_code && e.year == d.year)
                .collect(),
            years_not_converted: snap.programme.years_not_converted(&d.area_code, d.year),
        })
        .collect();
    let report = Report {
        year,
        period,
        snap: &snap,
        zone: &zone,
        entries,
    };
    if as_csv {
        let body = csv(&report)?;
        let disposition = format!("attachment; filename=\"diemnong-report-{year}.csv\"");
        let mut res = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(res);
    }
    let body = html(&report, lang, snap.version);
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page needs nothing but its own inline style: no scripts, no fetches.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        body,
    )
        .into_response())
}
