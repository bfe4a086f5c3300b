//! The report as one printable HTML page, through maud: every spliced text is escaped by
//! construction; only the page's own style sheet and doctype are spliced raw.
//!
//! The page is self-contained (no scripts, fonts or images to fetch; the handler's Content
//! Security Policy forbids them) and prints to A4: `@page { size: A4 }`, each area on a new
//! page, table headers repeated on every page (`thead { display: table-header-group }`) and
//! no table row split across pages (`tr { break-inside: avoid }`); `tests/report.rs` prints
//! it with headless Chromium and checks both with `pdftotext`.

use maud::{Markup, PreEscaped, Render, html};

use super::i18n::{Lang, T};
use super::{AreaReport, Report, light_class};
use crate::analysis::kpis::Light;
use crate::domain::{EventKind, ProgrammeEvent, ProgrammeStatus};

/// Free text from the database or the configuration (names, codes, units, reasons, labels,
/// notes, links, who did it). maud escapes `& < > "`, which is enough where it writes the
/// text; this also writes `'` as `&#39;`, as the report always has, so that the page stays
/// byte-for-byte what it was and safe even if a value ever lands in a single-quoted
/// attribute.
struct Text<'a>(&'a str);

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        for c in self.0.chars() {
            match c {
                '&' => buffer.push_str("&amp;"),
                '<' => buffer.push_str("&lt;"),
                '>' => buffer.push_str("&gt;"),
                '"' => buffer.push_str("&quot;"),
                '\'' => buffer.push_str("&#39;"),
                c => buffer.push(c),
            }
        }
    }
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

/// The whole page.
#[must_use]
pub fn render(r: &Report<'_>, lang: Lang) -> String {
    let z = r.zone;
    let page = html! {
        // maud's `DOCTYPE` is upper case; the page has always said `<!doctype html>`.
        (PreEscaped("<!doctype html>"))
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                title { (lang.t(T::Title)) " " (r.year) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { (lang.t(T::Title)) " " (r.year) }
                    p class="meta" {
                        (lang.t(T::Period)) ": " (z.format(r.period.from)) " – " (z.format(r.period.to))
                        " · " (lang.t(T::TimeZone)) ": " (Text(z.name()))
                        " · " (lang.t(T::Generated)) ": " (z.format(r.generated_at))
                        " · " (lang.t(T::DataVersion)) ": " (r.data_version)
                    }
                }
                section id="totals" {
                    (totals(r, lang))
                    (summary(r, lang))
                }
                @for a in &r.areas {
                    (area(r, a, lang))
                }
            }
        }
    };
    page.into_string()
}

/// The programme's totals for the year.
fn totals(r: &Report<'_>, lang: Lang) -> Markup {
    let (cases, cases_prev) = r.cases();
    let test = r.cases_test();
    let mut rows = vec![(lang.t(T::Designated), r.areas.len().to_string())];
    rows.extend(
        ProgrammeStatus::ALL
            .into_iter()
            .map(|s| (lang.status(s), r.count(s).to_string())),
    );
    rows.extend([
        (lang.t(T::Reviewed), r.reviewed().to_string()),
        (
            lang.t(T::ConversionRate),
            lang.fraction(r.conversion_rate()),
        ),
        (lang.t(T::Flagged), r.flagged().to_string()),
        (
            lang.t(T::CasesAll),
            format!(
                "{cases} ({} {cases_prev}; {})",
                lang.t(T::LastYear),
                lang.change_words(cases, cases_prev, test.p)
            ),
        ),
    ]);
    html! {
        h2 { (lang.t(T::Totals)) }
        table class="totals" {
            thead { tr { th { (lang.t(T::Indicator)) } th { (lang.t(T::ThisPeriod)) } } }
            tbody {
                @for (label, value) in &rows {
                    tr { td { (label) } td class="n" { (value) } }
                }
            }
        }
    }
}

/// One row per area: status and the headline indicators with their lights.
fn summary(r: &Report<'_>, lang: Lang) -> Markup {
    const HEADS: [T; 10] = [
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
    ];
    html! {
        h2 { (lang.t(T::Areas)) }
        @if r.areas.is_empty() {
            p { (lang.t(T::NoAreas)) }
        } @else {
            table class="summary" {
                thead { tr { @for t in HEADS { th { (lang.t(t)) } } } }
                tbody {
                    @for a in &r.areas {
                        @let k = &a.kpis;
                        @let lights = k.traffic_lights;
                        tr {
                            td class="code" { (Text(&a.designation.area_code)) }
                            td { (Text(a.name)) }
                            td { (status_cell(lang, a)) }
                            td class="n" { (k.incidents) }
                            td class="n" {
                                (dot(lights.cases))
                                (lang.change_words(k.incidents, k.incidents_previous, k.change_p))
                            }
                            td class="n" { (dot(lights.clearance)) (lang.fraction(k.clearance_rate)) }
                            td class="n" {
                                (dot(lights.clearance_serious)) (lang.fraction(k.clearance_rate_serious))
                            }
                            td class="n" { (per_10k(lang, k.rate_per_10k)) }
                            td class="n" { (dot(lights.hotspots)) (k.hot_cells) }
                            td { (Text(&a.designation.terms.unit)) }
                        }
                    }
                }
            }
        }
    }
}

/// An area's own page: its terms, KPIs against targets, hotspots and history.
fn area(r: &Report<'_>, a: &AreaReport<'_>, lang: Lang) -> Markup {
    let d = a.designation;
    let cats: Vec<&str> = d
        .terms
        .categories
        .iter()
        .map(|c| r.category_label(c, lang))
        .collect();
    let cats = if cats.is_empty() {
        "—".to_owned()
    } else {
        cats.join(", ")
    };
    let population = a
        .kpis
        .population
        .map_or_else(|| lang.t(T::Unknown).to_owned(), |p| p.to_string());
    html! {
        section class="area" id={ "area-" (Text(&d.area_code)) } {
            h2 { (Text(&d.area_code)) " — " (Text(a.name)) }
            @if a.flagged() {
                p class="flag" { (lang.t(T::FlagNote)) }
            }
            dl {
                dt { (lang.t(T::Status)) } dd { (lang.status(d.status)) }
                dt { (lang.t(T::Unit)) } dd { (Text(&d.terms.unit)) }
                dt { (lang.t(T::Reasons)) } dd { (Text(&d.terms.reasons.join("; "))) }
                dt { (lang.t(T::Categories)) } dd { (Text(&cats)) }
                dt { (lang.t(T::Population)) } dd { (population) }
                dt { (lang.t(T::YearsNotConverted)) } dd { (a.years_not_converted) }
            }
            (kpi_table(a, lang))
            (hotspots(a, lang))
            (history(r, a, lang))
        }
    }
}

/// A row of an area's indicator table: the indicator, this period, a year earlier, the
/// target, and the assessment (a light, if any, and its words).
type KpiRow = (T, String, String, String, (Option<Light>, String));

/// Each indicator this period and a year earlier, its target and its light.
fn kpi_table(a: &AreaReport<'_>, lang: Lang) -> Markup {
    const HEADS: [T; 5] = [
        T::Indicator,
        T::ThisPeriod,
        T::LastYear,
        T::Target,
        T::Assessment,
    ];
    let k = &a.kpis;
    let t = &a.designation.terms.targets;
    let l = k.traffic_lights;
    let judged = |light: Light| (Some(light), lang.light(light).to_owned());
    let rows: [KpiRow; 6] = [
        (
            T::Cases,
            format!(
                "{} ({})",
                k.incidents,
                lang.change_words(k.incidents, k.incidents_previous, k.change_p)
            ),
            k.incidents_previous.to_string(),
            format!("≤ {}", lang.pct(Some(t.case_change_pct), true)),
            // The light's word, and "met and significant" when the exact test agrees.
            (
                Some(l.cases),
                if k.target_significant == Some(true) {
                    sentence(lang.t(T::TargetMetSignificant))
                } else {
                    lang.light(l.cases).to_owned()
                },
            ),
        ),
        (
            T::RateRatio,
            lang.rate_ratio(k.rate_ratio, k.rate_ratio_low, k.rate_ratio_high),
            String::new(),
            String::new(),
            (None, lang.p_value(k.change_p)),
        ),
        (
            T::Per10k,
            per_10k(lang, k.rate_per_10k),
            per_10k(lang, k.rate_per_10k_previous),
            lang.t(T::Down).to_owned(),
            judged(l.rate_per_10k),
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
            judged(l.clearance),
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
            judged(l.clearance_serious),
        ),
        (
            T::HotCells,
            k.hot_cells.to_string(),
            String::new(),
            lang.t(T::None).to_owned(),
            judged(l.hotspots),
        ),
    ];
    let densities = [
        (T::Cameras, k.cameras, k.cameras_per_km2, k.cameras_per_10k),
        (T::Models, k.models, k.models_per_km2, k.models_per_10k),
    ]
    .map(|(label, n, per_km2, per_10k_residents)| {
        let per_km2 = lang.num(per_km2, 2);
        let per_10k_residents = per_10k(lang, per_10k_residents);
        let detail = match lang {
            Lang::Vi => format!("{n} ({per_km2} /km²; {per_10k_residents} /10.000 dân)"),
            Lang::En => format!("{n} ({per_km2} /km²; {per_10k_residents} /10,000 residents)"),
        };
        (label, detail)
    });
    html! {
        table class="kpis" {
            thead { tr { @for c in HEADS { th { (lang.t(c)) } } } }
            tbody {
                @for (label, now, prev, target, (light, words)) in &rows {
                    tr {
                        td { (lang.t(*label)) }
                        td class="n" { (now) }
                        td class="n" { (prev) }
                        td { (target) }
                        td {
                            @if let Some(light) = light { (dot(*light)) }
                            (words)
                        }
                    }
                }
                @for (label, detail) in &densities {
                    tr { td { (lang.t(*label)) } td class="n" { (detail) } td {} td {} td {} }
                }
            }
        }
    }
}

/// Hot cells inside or touching the area, and the hotspot zones they belong to.
fn hotspots(a: &AreaReport<'_>, lang: Lang) -> Markup {
    let k = &a.kpis;
    html! {
        h3 { (lang.t(T::Hotspots)) }
        @if k.hotspot_zones.is_empty() && k.hot_cells == 0 {
            p { (lang.t(T::NoHotspot)) }
        } @else {
            p { (lang.t(T::HotCells)) ": " (Text(&k.hot_cell_ids.join(", "))) }
            @if !k.hotspot_zones.is_empty() {
                table class="zones" {
                    thead {
                        tr {
                            th { (lang.t(T::Zone)) }
                            th { (lang.t(T::Incidents)) }
                            th { (lang.t(T::Cells)) }
                            th { (lang.t(T::AreaKm2)) }
                        }
                    }
                    tbody {
                        @for zz in &k.hotspot_zones {
                            tr {
                                td { (Text(&zz.id)) }
                                td class="n" { (zz.incidents) }
                                td class="n" { (zz.cells) }
                                td class="n" { (lang.num(zz.area_km2, 3)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The designation's history, one row per event.
fn history(r: &Report<'_>, a: &AreaReport<'_>, lang: Lang) -> Markup {
    html! {
        h3 { (lang.t(T::History)) }
        table class="history" {
            thead {
                tr {
                    th { "#" }
                    th { (lang.t(T::When)) }
                    th { (lang.t(T::By)) }
                    th { (lang.t(T::Change)) }
                    th { (lang.t(T::Evidence)) }
                    th { (lang.t(T::Note)) }
                }
            }
            tbody {
                @for ev in &a.events {
                    tr {
                        td { "#" (ev.id) }
                        td { (r.zone.format(ev.at)) }
                        td { (Text(&ev.by.name)) }
                        td { (Text(&change_text(ev, lang))) }
                        td {
                            @for (i, link) in ev.evidence.iter().enumerate() {
                                @if i > 0 { br; }
                                a href=(Text(link)) { (Text(link)) }
                            }
                        }
                        td { (Text(ev.note.as_deref().unwrap_or(""))) }
                    }
                }
            }
        }
    }
}

/// A traffic light's dot (its word, where shown, follows it).
fn dot(l: Light) -> Markup {
    html! { span class={ "light " (light_class(l)) } {} }
}

/// Words as a table cell starts them: the first letter upper case ("đạt" → "Đạt").
fn sentence(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// A rate per 10,000 residents, `n/a` without a population.
fn per_10k(lang: Lang, v: Option<f64>) -> String {
    v.map_or_else(|| lang.t(T::Na).to_owned(), |v| lang.num(v, 2))
}

/// An area's status in the summary, with its run of years not converted when flagged.
fn status_cell(lang: Lang, a: &AreaReport<'_>) -> String {
    let status = lang.status(a.designation.status);
    if a.flagged() {
        match lang {
            Lang::Vi => format!("{status} ({} năm liên tiếp)", a.years_not_converted),
            Lang::En => format!("{status} ({} years running)", a.years_not_converted),
        }
    } else {
        status.to_owned()
    }
}

/// What an event did: the designation, a move between statuses, or the fields edited.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Catalogue, Zone};
    use crate::report::tests::{FORMULA_UNIT, designations, events, report};

    fn page(lang: Lang) -> String {
        let (zone, catalogue) = (Zone::default(), Catalogue::defaults());
        let (d, e) = (designations(), events());
        render(&report(&zone, &catalogue, &d, &e), lang)
    }

    #[test]
    fn hostile_text_is_escaped() {
        let html = page(Lang::Vi);
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"));
        assert!(html.contains(
            "<td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;chợ&quot;</td>"
        ));
        // In the section's heading too, and in an attribute.
        assert!(html.contains("<h2>dbpt-01 — &lt;script&gt;"));
        assert!(html.contains(r#"<a href="https://example.org/a?b=1&amp;c=&#39;2&#39;">"#));
        assert!(html.contains("<td>=cmd|&#39; /C calc&#39;!A0 &lt;b&gt;đậm&lt;/b&gt;</td>"));
        // A formula is harmless in HTML: written as it is, only escaped.
        assert!(html.contains("=HYPERLINK(&quot;http://evil.example&quot;,&quot;bấm&quot;)"));
        assert!(!html.contains(FORMULA_UNIT));
    }

    #[test]
    fn labels_follow_the_language() {
        let (vi, en) = (page(Lang::Vi), page(Lang::En));
        assert!(vi.starts_with(r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Báo cáo kết quả chuyển hóa"#));
        assert!(en.starts_with(r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Conversion of complex areas"#));
        assert!(vi.ends_with("</tbody></table></section></body></html>"));
        for (html, flag, status, theft, rate, change) in [
            (
                &vi,
                "Cần tập trung chỉ đạo",
                "Chưa chuyển hóa (3 năm liên tiếp)",
                "Trộm cắp tài sản, retired_code",
                "<td>Tỷ lệ chuyển hóa (trên số đã đánh giá)</td><td class=\"n\">50,0%</td>",
                "Đang chuyển hóa → Chưa chuyển hóa",
            ),
            (
                &en,
                "Singled out",
                "Not converted (3 years running)",
                "Theft, retired_code",
                "<td>Conversion rate (of those reviewed)</td><td class=\"n\">50.0%</td>",
                "In progress → Not converted",
            ),
        ] {
            for needle in [flag, status, theft, rate, change] {
                assert!(html.contains(needle), "no {needle:?}");
            }
            // One flag: the second area is converted.
            assert_eq!(html.matches(r#"<p class="flag">"#).count(), 1);
        }
        assert!(vi.contains("Lập lúc: 2024-12-24T07:26:40+07:00"));
        assert!(en.contains("Generated at: 2024-12-24T07:26:40+07:00 · Data version: 42"));
    }

    #[test]
    fn lights_are_dots_with_their_class() {
        let html = page(Lang::En);
        assert!(html.contains(r#"<td><span class="light green"></span>Met</td>"#));
        // 12 cases against 8: up 50%, p ≈ 0.50.
        assert!(html.contains(
            r#"<td class="n"><span class="light grey"></span>up 50%, not statistically significant</td>"#
        ));
    }

    #[test]
    fn a_significant_fall_meets_the_target_in_words() {
        use crate::analysis::kpis::Light;
        let (zone, catalogue) = (Zone::default(), Catalogue::defaults());
        let (d, e) = (designations(), events());
        let mut r = report(&zone, &catalogue, &d, &e);
        let mut k = crate::report::tests::kpis(810, 1000);
        k.target_met = Some(true);
        k.target_significant = Some(true);
        k.traffic_lights.cases = Light::Green;
        r.areas[0].kpis = k;
        let (vi, en) = (render(&r, Lang::Vi), render(&r, Lang::En));
        assert!(vi.contains("810 (giảm 19%, có ý nghĩa thống kê)"), "{vi}");
        assert!(vi.contains("<span class=\"light green\"></span>Đạt, có ý nghĩa thống kê</td>"));
        assert!(en.contains("<span class=\"light green\"></span>Met and significant</td>"));
        assert!(vi.contains("0,81 (KTC 95%: 0,74–0,89)"), "{vi}");
        assert!(en.contains("0.81 (95% CI 0.74–0.89)"));
        assert!(en.contains("<td>p &lt; 0.001</td>"));
    }

    #[test]
    fn changes_are_tested_and_the_ratio_has_its_interval() {
        let (vi, en) = (page(Lang::Vi), page(Lang::En));
        // The first area: 12 against 8 (p = 0.503); the second 3 against none.
        assert!(en.contains("<td class=\"n\">12 (up 50%, not statistically significant)</td>"));
        assert!(vi.contains("<td class=\"n\">12 (tăng 50%, chưa có ý nghĩa thống kê)</td>"));
        assert!(
            en.contains("<td>Ratio to last year (exact test)</td><td class=\"n\">1.50 (95% CI ")
        );
        assert!(vi.contains("<td class=\"n\">1,50 (KTC 95%: 0,"));
        assert!(en.contains("<td>p = 0.503</td>"));
        assert!(en.contains("3 (up from 0, not statistically significant)"));
        assert!(en.contains("n/a (95% CI ≥ 0."));
        // Target n/a in this model: the words say so.
        assert!(vi.contains("<td><span class=\"light grey\"></span>n/a</td>"));
        // The totals: 15 against 8.
        assert!(en.contains("15 (Same period last year 8; up 88%, not statistically significant)"));
    }
}
