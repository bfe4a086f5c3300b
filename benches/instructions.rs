//! Instruction counts of the hot paths (issue 21), for `scripts/instructions.sh`: a count of
//! executed instructions is the same on a busy shared machine as on an idle one, where a
//! time is not, so a regression can fail the test command.
//!
//! `instructions generate DIR` writes the fixed sample (100,000 incidents, seed 138, the
//! pinned two years) into DIR, natively: generating it under valgrind would take minutes.
//! `instructions DIR [PATH…]` reads it back, builds the index, warms what the paths read and
//! a server warms after start-up (containment and time cubes at res 8 and 9), then runs each
//! PATH (all of them by default, in the order of [`PATHS`]) once inside [`measured`], and
//! prints its name and answer size; `instructions list` names the paths.
//!
//! Only the paths are counted: the script runs callgrind with
//! `--dump-before=instructions::measured --dump-after=instructions::measured`. A dump writes
//! and zeroes the counters of *every* thread, so each profile written on leaving
//! [`measured`] holds exactly what ran inside it, on the path's thread and on any thread the
//! path spawned (KDE's evaluation spawns one even with one chunk: 68% of its count).
//! `--toggle-collect` would lose those: callgrind's collection state is per thread and a new
//! thread starts with `--collect-atstart`. Client requests, which switch instrumentation for
//! all threads, would need a dependency with inline assembly (and bindgen to build it). The
//! price is that the setup runs instrumented (~3·10⁹ instructions, most of the run's 30 s),
//! so every path runs in one process after one setup.
//!
//! What a path costs must not depend on what ran before it, yet glibc's malloc does: on
//! a heap the setup left behind, Gi*'s many small allocations took 10% more instructions
//! than on a fresh one, and which heap a path got changed with the length of the sample's
//! path. So each path runs on a thread of its own, started before the setup, whose first
//! allocation took a new malloc arena; every such thread lives to the end, as an ended
//! thread hands its arena to the next one started. The script also fixes glibc's mmap
//! threshold (`GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072`), which otherwise rises
//! with the largest block freed so far, setup included, and raises the arena limit
//! (`arena_max=64`; the default, 8 per core, would share arenas on a 1-core machine). With
//! both, a path run alone and after all the others count the same within 0.02%.
//!
//! The counts are deterministic but for std's `HashMap`, whose hasher is seeded at random
//! per process: where a path hashes (DBSCAN, KDE, the hexagon memo), its count moves by a
//! few instructions in 100,000 from run to run, far inside the check's 10%.

#![expect(
    clippy::print_stdout,
    reason = "the paths' names and answers are this program's output"
)]

use std::path::Path;
use std::sync::{Barrier, OnceLock, mpsc};

use diemnong::analysis::cells::count_cells;
use diemnong::analysis::cube::{CubeParams, Slice, emerging};
use diemnong::analysis::dbscan::dbscan;
use diemnong::analysis::density::density;
use diemnong::analysis::gistar::{BinBy, GiParams, Study, hotspots};
use diemnong::analysis::kde::{Kernel, kde};
use diemnong::analysis::weights::Weighting;
use diemnong::domain::{NewIncident, Zone};
use diemnong::http::analysis_rows::DensityFeature;
use diemnong::http::render::{self, HEXAGONS_MAX, HexagonMemo};
use diemnong::index::{Filter, IncidentIndex, Scanned};
use diemnong::ingest::{Context, read_file_with};
use diemnong::sample::{SampleConfig, generate};
use h3o::Resolution;

type Error = Box<dyn std::error::Error>;

/// Incidents in the sample.
const INCIDENTS: usize = 100_000;

/// The hot paths, by the names `benches/instructions.txt` uses, in the order they run.
const PATHS: [&str; 9] = [
    // Counts per cell, res 9: all time and the calendar year 2024 (both from the time
    // cube, as the map asks them), and all time up to a second past the last quarter hour
    // (the pass over the rows, which every other filter takes).
    "count_res9_all",
    "count_res9_2024",
    "count_res9_pass",
    // `/hotspots` as a viewer's default: res 9, k 1, k-ring study set, FDR bins.
    "gistar_res9_k1",
    "kde_quartic_500m_res9",
    // Res 8, 24 monthly slices of 2023–2024, k 1, time_k 1 (as benches/analysis.rs).
    "emerging_res8_monthly",
    "dbscan_50m_10",
    // `/density?res=9` written as GeoJSON: first with an empty hexagon memo (a server's
    // first answer: every outline computed), then with the memo full (every later one).
    "render_density_res9_cold",
    "render_density_res9",
];

/// What the paths read, built before any is measured.
struct Fixture {
    index: IncidentIndex,
    zone: Zone,
    /// The calendar year 2024 in the city's zone: a range on quarter hours.
    year: Filter,
    /// All time up to 2025-01-01 00:00:01, after the last incident: not on a quarter
    /// hour, so the pass counts it and not the time cube (as in benches/analysis.rs).
    pass: Filter,
    /// Density res 9 as `/density` renders it (only if a render path runs).
    features: Vec<DensityFeature>,
    /// Filled by one render of `features` during the setup, as a server's is after its
    /// first answer.
    hexagons: HexagonMemo,
}

/// The emerging benchmark's cube: res 8, 24 monthly slices of 2023–2024, k 1, `time_k` 1.
fn months(zone: &Zone) -> Result<CubeParams, Error> {
    Ok(CubeParams {
        res: Resolution::Eight,
        k: 1,
        time_k: 1,
        slice: Slice::Month,
        range: (
            Some(zone.parse_instant("from", "2023-01-01")?),
            Some(zone.parse_instant("to", "2025-01-01")?),
        ),
    })
}

/// A provenance like the one `/density` writes, without the clock (every run renders the
/// same bytes).
fn provenance() -> serde_json::Value {
    serde_json::json!({
        "endpoint": "density",
        "query": {"res": "9"},
        "data_version": 1,
        "software_version": env!("CARGO_PKG_VERSION"),
        "weights": {"kind": "count"},
        "disclosure": {"audience": "viewer"},
    })
}

fn render_density(features: &[DensityFeature], hexagons: &HexagonMemo) -> Result<usize, Error> {
    let (body, _) = render::geojson(features, provenance(), serde_json::Map::new(), hexagons)
        .map_err(|e| format!("render: {e:?}"))?;
    Ok(body.len())
}

fn setup(dir: &Path, render: bool) -> Result<Fixture, Error> {
    let zone = Zone::default();
    // As benches/analysis.rs: the import's parser and validation, ids 1…n in file order.
    let mut scanned = Scanned::default();
    let mut id = 0;
    read_file_with(
        &dir.join("incidents.csv"),
        &Context::defaults(),
        |r: NewIncident| {
            id += 1;
            scanned.push(id, &r);
        },
    )?;
    let index = IncidentIndex::build(scanned);
    if index.len() != INCIDENTS {
        return Err(format!("{} incidents in {}", index.len(), dir.display()).into());
    }
    // What the paths read and a server builds after start-up, so that no path pays for it
    // on first use. Only res 8 and 9 (the server also warms 5–11 and 7–9): the others cost
    // ~2·10⁹ instructions under callgrind and no path reads them.
    let served = [Resolution::Eight, Resolution::Nine];
    for res in served {
        let _ = index.main().exceptions(res);
    }
    index.warm_time_cubes(&served);
    let year = Filter {
        from: Some(zone.parse_instant("from", "2024-01-01")?),
        to: Some(zone.parse_instant("to", "2025-01-01")?),
        ..Filter::default()
    };
    let pass = Filter {
        to: Some(zone.parse_instant("to", "2025-01-01")? + 1),
        ..Filter::default()
    };
    let hexagons = HexagonMemo::new(HEXAGONS_MAX);
    let mut features = Vec::new();
    if render {
        features = density(
            &index,
            &Filter::default(),
            Resolution::Nine,
            &Weighting::Count,
        )
        .into_iter()
        .map(DensityFeature::from)
        .collect();
        render_density(&features, &hexagons)?;
    }
    Ok(Fixture {
        index,
        zone,
        year,
        pass,
        features,
        hexagons,
    })
}

/// Runs the hot path `path` once and returns the size of its answer (cells, clusters or
/// bytes). The only function callgrind counts (see the module's comment): never inlined.
#[inline(never)]
fn measured(path: &str, f: &Fixture) -> Result<usize, Error> {
    let all = Filter::default();
    let res = Resolution::Nine;
    Ok(match path {
        "count_res9_all" => count_cells(&f.index, &all, res).len(),
        "count_res9_2024" => count_cells(&f.index, &f.year, res).len(),
        "count_res9_pass" => count_cells(&f.index, &f.pass, res).len(),
        "gistar_res9_k1" => {
            let p = GiParams {
                res,
                k: 1,
                study: Study::Kring,
                bin_by: BinBy::FdrQ,
                max_cells: None,
            };
            hotspots(&f.index, &all, &p).map_or(0, |h| h.cells.len())
        }
        "kde_quartic_500m_res9" => kde(
            &f.index,
            &all,
            res,
            500.0,
            Kernel::Quartic,
            &Weighting::Count,
        )
        .len(),
        "emerging_res8_monthly" => {
            let months = months(&f.zone)?;
            emerging(&f.index, &all, &months, f.zone.tz(), &Weighting::Count)
                .map_or(0, |c| c.cells.len())
        }
        "dbscan_50m_10" => dbscan(&f.index, &all, 50.0, 10).clusters,
        "render_density_res9_cold" => render_density(&f.features, &HexagonMemo::new(HEXAGONS_MAX))?,
        "render_density_res9" => render_density(&f.features, &f.hexagons)?,
        other => return Err(format!("unknown path {other:?} (`list` names them)").into()),
    })
}

/// Runs `paths` once each, in order, and prints each one's name and answer size. Each runs
/// on a thread of its own (see the module's comment), all started before the setup.
fn run(dir: &Path, paths: &[&str]) -> Result<(), Error> {
    let fixture: OnceLock<Fixture> = OnceLock::new();
    let started = Barrier::new(paths.len() + 1);
    let (done_tx, done_rx) = mpsc::channel::<Result<usize, String>>();
    std::thread::scope(|s| -> Result<(), Error> {
        let mut go = Vec::new();
        for &path in paths {
            let (tx, rx) = mpsc::channel::<()>();
            let (fixture, started, done) = (&fixture, &started, done_tx.clone());
            s.spawn(move || {
                // A thread's first allocation gives it its malloc arena: a new, empty one,
                // as no thread has ended yet to hand its own on.
                drop(std::hint::black_box(Box::new(0_u64)));
                started.wait();
                if rx.recv().is_ok()
                    && let Some(f) = fixture.get()
                {
                    let _ = done.send(measured(path, f).map_err(|e| e.to_string()));
                    // Alive until every path has run: an ended thread's arena would go to
                    // the next thread started (a later path's part).
                    let _ = rx.recv();
                }
            });
            go.push(tx);
        }
        started.wait();
        let render = paths.iter().any(|p| p.starts_with("render"));
        if fixture.set(setup(dir, render)?).is_err() {
            return Err("the fixture was set twice".into());
        }
        for (tx, path) in go.iter().zip(paths) {
            tx.send(())?;
            let out = done_rx.recv()??;
            println!("{path} {out}");
        }
        // Dropping `go` ends the threads.
        Ok(())
    })
}

fn main() -> Result<(), Error> {
    // One thread per computation, so that no count depends on how work was split. (A path
    // that splits still runs its one part on a spawned thread; the dumps count it.)
    diemnong::parallel::set_limit(1);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [list] if list == "list" => {
            for p in PATHS {
                println!("{p}");
            }
        }
        [g, dir] if g == "generate" => {
            let cfg = SampleConfig {
                incidents: INCIDENTS,
                ..SampleConfig::default()
            };
            generate(&cfg, Path::new(dir))?;
        }
        [dir, paths @ ..] if !dir.is_empty() => {
            let paths: Vec<&str> = if paths.is_empty() {
                PATHS.to_vec()
            } else {
                paths.iter().map(String::as_str).collect()
            };
            if let Some(p) = paths.iter().find(|p| !PATHS.contains(p)) {
                return Err(format!("unknown path {p:?} (`list` names them)").into());
            }
            run(Path::new(dir), &paths)?;
        }
        _ => return Err("usage: instructions list | generate DIR | DIR [PATH…]".into()),
    }
    Ok(())
}
