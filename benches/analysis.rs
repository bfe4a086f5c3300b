//! Analysis benchmarks on 1,000,000 generated incidents (seed 138, two years, HCMC):
//! `cargo bench --bench analysis` (or `-- N` for another size). Prints the median of 15 runs
//! of each computation on the in-memory index, with no HTTP, cache or serialisation.

// A benchmark reports on standard output, and its figures are ratios of counts and bytes
// far below 2^52, where usize → f64 is exact.
#![expect(clippy::print_stdout, reason = "the report is this program's output")]
#![expect(
    clippy::cast_precision_loss,
    reason = "counts, bytes and nanoseconds of one run, far below 2^52"
)]

use std::time::{Duration, Instant};

use diemnong::analysis::cells::{Tally, cell_values, count_cells};
use diemnong::analysis::density::density;
use diemnong::analysis::gistar::{Study, gi_star, study_set};
use diemnong::analysis::moran::{MoranParams, local_moran};
use diemnong::analysis::weights::{HarmTable, Weighting};
use diemnong::domain::{NewIncident, Zone};
use diemnong::index::containment::Exceptions;
use diemnong::index::{CategoryRef, Filter, IncidentIndex, Scanned};
use diemnong::ingest::{Context, read_file_with};
use diemnong::sample::{SampleConfig, generate};
use h3o::Resolution;

/// Resident memory from `/proc/self/status`: (`VmRSS`, `VmHWM`) in bytes (0 off Linux).
fn rss() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            .unwrap_or(0)
            * 1024
    };
    (kib("VmRSS:"), kib("VmHWM:"))
}

/// Runs `f` once and returns its result with the peak resident memory it added: the
/// high-water mark is reset first (Linux's `clear_refs` 5), then read after. Large
/// buffers are mapped and unmapped by the allocator, so this is close to the computation's
/// working memory (an upper bound by the allocator's slack).
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let base = rss().0;
    let out = f();
    let peak = if reset {
        rss().1.saturating_sub(base)
    } else {
        0
    };
    (out, peak)
}

/// One computation's peak working memory (run by the parent in a child process).
fn memory(index: &IncidentIndex, what: &str) {
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
    let all = Filter::default();
    let (label, peak) = if what == "kde" {
        (
            "kde quartic 500 m res 9".to_owned(),
            peak_during(|| {
                diemnong::analysis::kde::kde(
                    index,
                    &all,
                    Resolution::Nine,
                    500.0,
                    diemnong::analysis::kde::Kernel::Quartic,
                    &Weighting::Count,
                )
            })
            .1,
        )
    } else {
        let eps: f64 = what.trim_start_matches("dbscan").parse().unwrap_or(50.0);
        (
            format!("dbscan eps {eps} m, min_points 10"),
            peak_during(|| diemnong::analysis::dbscan::dbscan(index, &all, eps, 10)).1,
        )
    };
    println!(
        "{label}: peak working memory {:.1} MiB ({:.0} bytes/incident)",
        mib(peak),
        peak as f64 / index.len() as f64
    );
}

fn median(mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut out = 0;
    for _ in 0..15 {
        let t = Instant::now();
        out = std::hint::black_box(f());
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], out)
}

/// The emerging bench's cube: res 8, 24 monthly slices of 2023–2024, k 1, `time_k` 1.
fn months_2023_2024(
    zone: &Zone,
) -> Result<diemnong::analysis::cube::CubeParams, Box<dyn std::error::Error>> {
    Ok(diemnong::analysis::cube::CubeParams {
        res: Resolution::Eight,
        k: 1,
        time_k: 1,
        slice: diemnong::analysis::cube::Slice::Month,
        range: (
            Some(zone.parse_instant("from", "2023-01-01")?),
            Some(zone.parse_instant("to", "2025-01-01")?),
        ),
    })
}

/// What anonymous callers cost (issue 18): the keyed counting pass against the plain one, the
/// p-table, and each public analysis on the published counts; then how far public Gi* bins
/// are from a viewer's (utility, not a target).
fn public(
    index: &IncidentIndex,
    zone: &Zone,
    dir: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    use diemnong::analysis::cells::{keyed_counts, published_counts};
    use diemnong::analysis::disclosure::{PTable, PTableParams};
    use diemnong::analysis::gistar::{BinBy, GiParams, hotspots_on};
    let t = Instant::now();
    let pt = PTable::build(PTableParams::default())?;
    println!(
        "public: p-table D 5 V 3 js 2 built in {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    // The table for the Python side (scripts/bench/python_compare.py): each entry's row,
    // noise and upper cell key, so that both perturb with the very same table.
    let entries: Vec<String> = pt
        .rows()
        .map(|(i, e)| format!("[{i},{},{}]", e.v, e.keys().end))
        .collect();
    std::fs::write(
        dir.join("ptable.json"),
        format!(
            "{{\"imax\":{},\"entries\":[{}]}}\n",
            pt.imax(),
            entries.join(",")
        ),
    )?;
    let year = Filter {
        from: Some(zone.parse_instant("from", "2024-01-01")?),
        to: Some(zone.parse_instant("to", "2025-01-01")?),
        ..Filter::default()
    };
    for (what, f) in [("all time", Filter::default()), ("2024", year.clone())] {
        // The same incidents with `to` one second later than the last one (a range off the
        // quarter hours): the counting pass, not the time cube.
        let scan = Filter {
            to: Some(f.to.unwrap_or(i64::MAX - 1) + 1),
            ..f.clone()
        };
        for res in [Resolution::Seven, Resolution::Eight, Resolution::Nine] {
            let (plain, cells) = median(|| count_cells(index, &scan, res).len());
            let (keyed, _) = median(|| keyed_counts(index, &scan, res).len());
            let (plain_cube, _) = median(|| count_cells(index, &f, res).len());
            let (keyed_cube, _) = median(|| keyed_counts(index, &f, res).len());
            println!(
                "time cube: count res {} {what}: {cells} cells, pass {:.2} ms, cube {:.3} ms; keyed pass {:.2} ms, keyed cube {:.3} ms",
                u8::from(res),
                plain.as_secs_f64() * 1e3,
                plain_cube.as_secs_f64() * 1e3,
                keyed.as_secs_f64() * 1e3,
                keyed_cube.as_secs_f64() * 1e3
            );
            let (published, shown) = median(|| published_counts(index, &f, res, &pt).len());
            let sum: u64 = published_counts(index, &f, res, &pt)
                .iter()
                .map(|(_, n)| u64::from(*n))
                .sum();
            println!(
                "public: count res {} {what}: {cells} cells, plain {:.2} ms, keyed {:.2} ms, published {:.2} ms ({shown} cells shown, sum {sum})",
                u8::from(res),
                plain.as_secs_f64() * 1e3,
                keyed.as_secs_f64() * 1e3,
                published.as_secs_f64() * 1e3
            );
        }
    }
    let gi = |tallies: &[(h3o::CellIndex, Tally)]| {
        hotspots_on(
            tallies,
            &GiParams {
                res: Resolution::Nine,
                k: 1,
                study: Study::Kring,
                bin_by: BinBy::FdrQ,
                max_cells: None,
            },
        )
    };
    let tallies = |f: &Filter| -> Vec<(h3o::CellIndex, Tally)> {
        published_counts(index, f, Resolution::Nine, &pt)
            .into_iter()
            .map(|(c, n)| (c, Tally::from(n)))
            .collect()
    };
    let (d, cells) = median(|| gi(&tallies(&Filter::default())).map_or(0, |h| h.cells.len()));
    println!(
        "public: gi* res 9 k 1 Kring on published counts: {cells} cells, {:.2} ms (counting included)",
        d.as_secs_f64() * 1e3
    );
    let (d, cells) = median(|| {
        let masses: Vec<(h3o::CellIndex, f64)> =
            published_counts(index, &Filter::default(), Resolution::Nine, &pt)
                .into_iter()
                .map(|(c, n)| (c, f64::from(n)))
                .collect();
        diemnong::analysis::kde::kde_of_masses(
            &masses,
            Resolution::Nine,
            500.0,
            diemnong::analysis::kde::Kernel::Quartic,
        )
        .len()
    });
    println!(
        "public: kde quartic 500 m res 9 of published counts: {cells} cells, {:.2} ms",
        d.as_secs_f64() * 1e3
    );
    let months = months_2023_2024(zone)?;
    let (d, cells) = median(|| {
        diemnong::analysis::cube::emerging_published(
            index,
            &Filter::default(),
            &months,
            zone.tz(),
            &pt,
        )
        .map_or(0, |c| c.cells.len())
    });
    println!(
        "public: emerging res 8, 24 monthly slices on published counts: {cells} cells, {:.2} ms",
        d.as_secs_f64() * 1e3
    );
    // Utility: the same Gi* (res 9, k 1, kring, FDR) over 2024 on exact and on published
    // counts. Cells of either study set; a cell missing from one has bin 0 there.
    let exact: Vec<(h3o::CellIndex, Tally)> =
        cell_values(index, &year, Resolution::Nine, &Weighting::Count);
    let (a, b) = (gi(&exact)?, gi(&tallies(&year))?);
    let bins = |h: &diemnong::analysis::gistar::Hotspots| -> std::collections::HashMap<h3o::CellIndex, i8> {
        h.cells.iter().map(|c| c.cell).zip(h.bins.iter().copied()).collect()
    };
    let (ba, bb) = (bins(&a), bins(&b));
    let cells: std::collections::BTreeSet<h3o::CellIndex> =
        ba.keys().chain(bb.keys()).copied().collect();
    let same = cells
        .iter()
        .filter(|c| ba.get(c).copied().unwrap_or(0) == bb.get(c).copied().unwrap_or(0))
        .count();
    let hot = |m: &std::collections::HashMap<h3o::CellIndex, i8>| -> std::collections::BTreeSet<h3o::CellIndex> {
        m.iter().filter(|(_, b)| **b >= 2).map(|(c, _)| *c).collect()
    };
    let (ha, hb) = (hot(&ba), hot(&bb));
    println!(
        "public: utility, gi* res 9 2024: {same} of {} cells in the same bin ({:.1}%); hot (bin >= 2): viewer {}, public {}, both {}",
        cells.len(),
        100.0 * same as f64 / cells.len() as f64,
        ha.len(),
        hb.len(),
        ha.intersection(&hb).count()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("diemnong-bench-{n}"));
    if !dir.join("incidents.csv").exists() {
        generate(
            &SampleConfig {
                incidents: n,
                ..SampleConfig::default()
            },
            &dir,
        )?;
    }
    let zone = Zone::default();
    // Through the import's parser and validation, but no database: rows numbered 1…n in
    // file order as an import would number them (`IncidentIndex::from_records`), streamed
    // into the index's rows so that a million records' texts are never held at once.
    // Parsed and built on a thread of its own: glibc raises its mmap threshold as the
    // parser frees large blocks, so the build would leave resident holes in the main
    // thread's heap that the computations measured below reuse, hiding their working
    // memory. In that thread's arena they stay out of the way.
    let path = dir.join("incidents.csv");
    let (index, build) = std::thread::scope(|s| {
        s.spawn(|| {
            let mut scanned = Scanned::default();
            let mut id = 0;
            read_file_with(&path, &Context::defaults(), |r: NewIncident| {
                id += 1;
                scanned.push(id, &r);
            })?;
            let t = Instant::now();
            let index = IncidentIndex::build(scanned);
            Ok::<_, diemnong::ingest::ReadError>((index, t.elapsed()))
        })
        .join()
    })
    .map_err(|_| "the parser thread panicked")??;
    let all = Filter::default();
    if let Some(what) = std::env::args().find_map(|a| a.strip_prefix("mem=").map(str::to_owned)) {
        memory(&index, &what);
        return Ok(());
    }
    println!(
        "incidents: {}; index build {:.0} ms; index {:.1} bytes/incident",
        index.len(),
        build.as_secs_f64() * 1e3,
        index.heap_bytes() as f64 / index.len() as f64
    );
    // Which rows' containing cell (h3's latLngToCell) is not their resolution-15 cell's
    // parent, per served resolution: built directly here (the segment caches its own).
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut containment_bytes = 0;
    for r in diemnong::index::containment::SERVED {
        let res = Resolution::try_from(r)?;
        let t = Instant::now();
        let e = Exceptions::of(index.main(), res, threads);
        let took = t.elapsed();
        containment_bytes += e.bytes();
        println!(
            "containment res {r}: {} exceptions ({:.2}%), found in {:.0} ms on {threads} threads, {:.2} bytes/incident",
            e.len(),
            100.0 * e.len() as f64 / index.len() as f64,
            took.as_secs_f64() * 1e3,
            e.bytes() as f64 / index.len() as f64
        );
    }
    println!(
        "containment, resolutions 5-11: {:.1} bytes/incident",
        containment_bytes as f64 / index.len() as f64
    );
    // Time cubes (issue 21): built per resolution on first use; their time and memory.
    for res in [Resolution::Seven, Resolution::Eight, Resolution::Nine] {
        let before = index.time_cube_bytes();
        let t = Instant::now();
        index.warm_time_cubes(&[res]);
        println!(
            "time cube res {}: built in {:.0} ms, {:.1} bytes/incident",
            u8::from(res),
            t.elapsed().as_secs_f64() * 1e3,
            (index.time_cube_bytes() - before) as f64 / index.len() as f64
        );
    }
    for res in [Resolution::Seven, Resolution::Eight, Resolution::Nine] {
        let (d, cells) = median(|| density(&index, &all, res, &Weighting::Count).len());
        println!(
            "density res {}: {cells} cells, {:.2} ms",
            u8::from(res),
            d.as_secs_f64() * 1e3
        );
    }
    let theft = Filter {
        categories: Some(vec![
            index.categories().get("theft").unwrap_or(CategoryRef::NONE),
        ]),
        ..Filter::default()
    };
    let (d, cells) = median(|| count_cells(&index, &theft, Resolution::Nine).len());
    println!(
        "count res 9, category=theft: {cells} cells, {:.2} ms",
        d.as_secs_f64() * 1e3
    );
    for (k, study) in [(1, Study::Kring), (1, Study::Occupied), (2, Study::Kring)] {
        let (d, cells) = median(|| {
            let occ = count_cells(&index, &all, Resolution::Nine);
            let set = study_set(&occ, k, study);
            gi_star(&set, k).map_or(0, |g| g.len())
        });
        println!(
            "gi* res 9 k {k} {study:?}: {cells} cells, {:.2} ms (counting included)",
            d.as_secs_f64() * 1e3
        );
    }
    // Zones (`/hotspots/zones`' defaults: res 9, k 1, kring, hot at bin ≥ 2 on the BH q) with
    // every layer the statistics look up: cameras, models and areas from the sample files.
    let ctx = Context::defaults();
    let snap = diemnong::index::Snapshot {
        incidents: index.clone(),
        cameras: std::sync::Arc::new(diemnong::index::PointLayer::new(
            (1..)
                .zip(diemnong::ingest::read_file(&dir.join("cameras.csv"), &ctx)?)
                .map(|(id, data)| diemnong::domain::Camera { id, data })
                .collect(),
        )),
        models: std::sync::Arc::new(diemnong::index::PointLayer::new(
            (1..)
                .zip(diemnong::ingest::read_file(&dir.join("models.csv"), &ctx)?)
                .map(|(id, data)| diemnong::domain::Model { id, data })
                .collect(),
        )),
        areas: std::sync::Arc::new(diemnong::index::AreaLayer::new(
            (1..)
                .zip(diemnong::ingest::read_file(
                    &dir.join("areas.geojson"),
                    &ctx,
                )?)
                .map(|(id, data)| diemnong::domain::Area { id, data })
                .collect(),
        )),
        ..diemnong::index::Snapshot::default()
    };
    let tz = zone.tz().clone();
    let zp = diemnong::analysis::zones::ZoneParams {
        filter: &all,
        res: Resolution::Nine,
        hot: diemnong::analysis::gistar::HotRule {
            by: diemnong::analysis::gistar::BinBy::FdrQ,
            min_bin: 2,
        },
        tz: &tz,
    };
    let occ = count_cells(&index, &all, Resolution::Nine);
    let gi = gi_star(&study_set(&occ, 1, Study::Kring), 1)?;
    let (d, zones) = median(|| diemnong::analysis::zones::zones(&snap, &gi, &zp).len());
    println!(
        "zones res 9 (statistics and dissolve, after Gi*): {zones} zones, {:.2} ms",
        d.as_secs_f64() * 1e3
    );
    // Harm-weighted (weight=harm, the default weights): the same passes adding a weight
    // looked up per row.
    let harm = Weighting::Harm(HarmTable::new(
        &diemnong::domain::HarmWeights::default(),
        index.categories(),
    ));
    let (d, cells) = median(|| density(&index, &all, Resolution::Nine, &harm).len());
    println!(
        "density res 9 harm: {cells} cells, {:.2} ms",
        d.as_secs_f64() * 1e3
    );
    let (d, cells) = median(|| {
        let occ = cell_values(&index, &all, Resolution::Nine, &harm);
        let set = study_set(&occ, 1, Study::Kring);
        gi_star(&set, 1).map_or(0, |g| g.len())
    });
    println!(
        "gi* res 9 k 1 Kring harm: {cells} cells, {:.2} ms (counting included)",
        d.as_secs_f64() * 1e3
    );
    // Local Moran's I with esda's default 999 conditional permutations, on every core.
    let moran = MoranParams {
        permutations: 999,
        seed: 0,
        fdr: true,
        alpha: 0.05,
    };
    let (d, cells) = median(|| {
        let occ = count_cells(&index, &all, Resolution::Nine);
        let set: Vec<(h3o::CellIndex, f64)> = study_set(&occ, 1, Study::Kring)
            .into_iter()
            .map(|(c, n)| (c, f64::from(n)))
            .collect();
        local_moran(&set, 1, &moran).map_or(0, |m| m.len())
    });
    println!(
        "moran res 9 k 1 Kring, 999 permutations: {cells} cells, {:.2} ms (counting included, {threads} threads)",
        d.as_secs_f64() * 1e3
    );
    let (d, cells) = median(|| {
        diemnong::analysis::kde::kde(
            &index,
            &all,
            Resolution::Nine,
            500.0,
            diemnong::analysis::kde::Kernel::Quartic,
            &harm,
        )
        .len()
    });
    println!(
        "kde quartic 500 m res 9 harm: {cells} cells, {:.2} ms",
        d.as_secs_f64() * 1e3
    );
    let (d, cells) = median(|| {
        diemnong::analysis::kde::kde(
            &index,
            &all,
            Resolution::Nine,
            500.0,
            diemnong::analysis::kde::Kernel::Quartic,
            &Weighting::Count,
        )
        .len()
    });
    println!(
        "kde quartic 500 m res 9: {cells} cells, {:.2} ms",
        d.as_secs_f64() * 1e3
    );
    let tz = zone.tz().clone();
    let months = months_2023_2024(&zone)?;
    let (d, cells) = median(|| {
        diemnong::analysis::cube::emerging(&index, &all, &months, &tz, &Weighting::Count)
            .map_or(0, |c| c.cells.len())
    });
    println!(
        "emerging res 8, 24 monthly slices, k 1, time_k 1: {cells} cells, {:.2} ms",
        d.as_secs_f64() * 1e3
    );
    public(&index, &zone, &dir)?;
    for eps in [50.0, 100.0] {
        let t = Instant::now();
        let c = diemnong::analysis::dbscan::dbscan(&index, &all, eps, 10);
        let took = t.elapsed();
        // FNV-1a of every (id, label, core) in visiting order: equal hashes, equal results
        // (ambiguous border points included), whatever the implementation or thread count.
        let mut hash = 0xcbf2_9ce4_8422_2325_u64;
        for k in 0..c.ids.len() {
            let bytes = c.ids[k]
                .to_le_bytes()
                .into_iter()
                .chain(c.labels[k].to_le_bytes());
            for b in bytes.chain([u8::from(c.core[k])]) {
                hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        println!(
            "dbscan eps {eps} m, min_points 10: {} clusters, {} noise, {:.0} ms (one run, {threads} threads; result hash {hash:016x})",
            c.clusters,
            c.labels.iter().filter(|l| **l < 0).count(),
            took.as_secs_f64() * 1e3
        );
    }
    // Memory, each computation in a fresh process so that none reuses pages another freed.
    for what in ["kde", "dbscan50", "dbscan100"] {
        let out = std::process::Command::new(std::env::current_exe()?)
            .args([n.to_string(), format!("mem={what}")])
            .output()?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    Ok(())
}
