//! What each subcommand does. Human messages go to standard error; standard output carries
//! only what a script would capture (a token, a JSON report, the map's address).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{
    Cli, Command, DEFAULT_DATABASE_URL, DEFAULT_DEMO_DATABASE_URL, ImportArgs, SampleArgs,
    ServeArgs, TokenCommand,
};
use crate::domain::Zone;
use crate::http::analysis::AnalysisSettings;
use crate::http::{AppState, serve};
use crate::ingest::csv::CsvOptions;
use crate::ingest::fields::parse_column_map;
use crate::ingest::{Layer, Place, RowError};
use crate::service::{ImportMode, RejectSink, Service, open_source};
use crate::store::Store;

/// How much the demo generates: the committed sample's sizes.
const DEMO_SAMPLE: crate::sample::SampleConfig = crate::sample::SampleConfig {
    seed: 138,
    incidents: 20_000,
    cameras: 300,
    models: 250,
    end: crate::sample::PINNED_END,
    end_minutes: None,
};

/// Runs the parsed command line.
///
/// # Errors
/// Anything that stops the command, with context for the user.
pub async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let zone = Zone::new(&cli.global.timezone).map_err(|e| anyhow::anyhow!("--timezone {e}"))?;
    match cli.command {
        Command::Sample(args) => sample(&args, &zone),
        Command::Demo(args) => {
            let url = cli
                .global
                .database_url
                .unwrap_or_else(|| DEFAULT_DEMO_DATABASE_URL.to_owned());
            if let Some(path) = url
                .strip_prefix("sqlite://")
                .and_then(|p| std::path::Path::new(p).parent())
                && !path.as_os_str().is_empty()
            {
                std::fs::create_dir_all(path)
                    .with_context(|| format!("creating {}", path.display()))?;
            }
            let end = args.end.unwrap_or_else(|| zone.today());
            let service = open(&url, zone).await?;
            if service.snapshot().incidents.is_empty() {
                load_sample(&service, end).await?;
                seed_programme(&service, end).await?;
            } else {
                // A second day's sample would be a different one: keep what is there.
                eprintln!(
                    "{} already holds {} incidents: serving them as they are (remove the \
                     database for a sample that ends today)",
                    redact(&url),
                    service.snapshot().incidents.len()
                );
            }
            let (_, token) = service
                .create_token("demo", crate::auth::Role::Admin)
                .await?;
            eprintln!(
                "demo admin token (sign in with it; valid while this database lives): {token}"
            );
            serve_with(service, &args.serve, true).await
        }
        Command::Serve(args) => {
            let url = cli
                .global
                .database_url
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
            serve_with(open(&url, zone).await?, &args, false).await
        }
        Command::Import(args) => {
            let url = cli
                .global
                .database_url
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
            import(open_for_writes(&url, zone).await?, args).await
        }
        Command::Token(cmd) => {
            let url = cli
                .global
                .database_url
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
            token(open_for_writes(&url, zone).await?, cmd).await
        }
    }
}

async fn open(url: &str, zone: Zone) -> anyhow::Result<Arc<Service>> {
    let started = std::time::Instant::now();
    let store = Store::connect(url)
        .await
        .with_context(|| format!("opening the database {}", redact(url)))?;
    let service = Service::open(store, zone)
        .await
        .context("building the index")?;
    let s = service.snapshot();
    tracing::info!(
        incidents = s.incidents.len(),
        index_bytes = s.incidents.heap_bytes(),
        seconds = started.elapsed().as_secs_f64(),
        "index built"
    );
    Ok(service)
}

async fn open_for_writes(url: &str, zone: Zone) -> anyhow::Result<Arc<Service>> {
    let store = Store::connect(url)
        .await
        .with_context(|| format!("opening the database {}", redact(url)))?;
    Ok(Service::open_for_writes(store, zone).await?)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

async fn serve_with(
    service: Arc<Service>,
    args: &ServeArgs,
    demo: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let targets = crate::domain::Targets::new(
        args.target_case_change_pct,
        args.target_clearance,
        args.target_clearance_serious,
    )
    .map_err(|e| anyhow::anyhow!("invalid default target (--target-…): {e}"))?;
    let page = crate::http::assets::PageSettings {
        basemap_url: args.basemap_url.clone(),
        basemap_attribution: args
            .basemap_url
            .as_ref()
            .map(|_| args.basemap_attribution.clone()),
        timezone: service.zone().name().to_owned(),
    };
    crate::parallel::set_limit(args.analysis_threads);
    let settings = AnalysisSettings {
        // The demo is public by design: its data is synthetic.
        public_aggregates: args.public_aggregates || demo,
        min_cell_count: args.min_cell_count,
        perturbation_max: args.perturbation_max,
        perturbation_variance: args.perturbation_variance,
        public_max_res: args.public_max_res,
        max_cost: args.max_cost,
        cache_entries: args.cache_entries,
    };
    // Refuse to start on perturbation parameters that make no p-table, naming them.
    settings
        .public_rules()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    let addr = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "diemnong: map at http://{addr}/")
            .and_then(|()| out.flush())
            .context("writing the map's address to standard output")?;
    }
    serve(
        listener,
        AppState::with_settings(service, settings)
            .with_targets(targets)
            .with_page(&page),
        Duration::from_secs(args.refresh_secs.max(1)),
    )
    .await?;
    Ok(std::process::ExitCode::SUCCESS)
}

fn place_text(p: &Place) -> String {
    match p {
        Place::Line {
            line,
            column: Some(c),
        } => format!("line {line}, column {c}"),
        Place::Line { line, column: None } => format!("line {line}"),
        Place::Pointer { pointer } => pointer.clone(),
    }
}

async fn import(service: Arc<Service>, args: ImportArgs) -> anyhow::Result<std::process::ExitCode> {
    let delimiter = match args.delimiter.as_str() {
        "\\t" | "tab" => b'\t',
        d if d.len() == 1 => d.as_bytes()[0],
        d => bail!("--delimiter {d:?} must be one ASCII character"),
    };
    let fields = match args.layer {
        Layer::Incidents => crate::ingest::records::INCIDENT_FIELDS,
        Layer::Cameras => crate::ingest::records::CAMERA_FIELDS,
        Layer::Models => crate::ingest::records::MODEL_FIELDS,
        Layer::Areas => crate::ingest::records::AREA_FIELDS,
    };
    let columns = args
        .columns
        .as_deref()
        .map(|c| parse_column_map(c, fields))
        .transpose()
        .map_err(|e| anyhow::anyhow!(e))?
        .unwrap_or_default();
    let (source, len) = open_source(&args.file, args.format, CsvOptions { delimiter, columns })
        .with_context(|| format!("opening {}", args.file.display()))?;
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(format!("importing {}", args.layer));
    let progress_bar = bar.clone();
    let mode = if args.skip_invalid {
        ImportMode::SkipInvalid
    } else {
        ImportMode::AllOrNothing
    };
    let rejects_path = args.rejects.clone().unwrap_or_else(|| {
        let mut p = args.file.clone().into_os_string();
        p.push(".rejects.csv");
        p.into()
    });
    let reject_writer: Option<Arc<Mutex<csv::Writer<std::fs::File>>>> = if args.skip_invalid {
        let mut w = csv::Writer::from_path(&rejects_path)
            .with_context(|| format!("creating {}", rejects_path.display()))?;
        w.write_record(["place", "reason", "record"])?;
        Some(Arc::new(Mutex::new(w)))
    } else {
        None
    };
    let sink_writer = reject_writer.clone();
    let err_bar = bar.clone();
    let sink: RejectSink = Box::new(move |errors: &[RowError], raw: &str| {
        for e in errors {
            match &sink_writer {
                Some(w) => {
                    if let Ok(mut w) = w.lock() {
                        let _ =
                            w.write_record([place_text(&e.place).as_str(), e.reason.as_str(), raw]);
                    }
                }
                None => err_bar.suspend(|| eprintln!("{e}")),
            }
        }
    });
    let report = service
        .import(
            args.layer,
            source,
            mode,
            Box::new(move |b| progress_bar.set_position(b)),
            sink,
        )
        .await?;
    bar.finish_and_clear();
    if let Some(w) = reject_writer
        && let Ok(mut w) = w.lock()
    {
        w.flush()?;
    }
    #[expect(clippy::cast_precision_loss, reason = "a rate for people")]
    let rate = report.read as f64 / report.seconds.max(1e-9);
    if report.committed {
        eprintln!(
            "{}: read {} records in {:.2} s ({rate:.0}/s): {} new, {} already present, {} rejected{}",
            report.layer,
            report.read,
            report.seconds,
            report.inserted,
            report.already_present,
            report.rejected,
            if report.rejected > 0 {
                format!(" (see {})", rejects_path.display())
            } else {
                String::new()
            }
        );
    } else {
        // With --skip-invalid the sink sent the problems to the rejects file only; a failed
        // import (problems with the file itself) must still show them.
        if args.skip_invalid {
            for e in &report.errors {
                eprintln!("{e}");
            }
        }
        eprintln!(
            "{}: {} problems in {} of {} records; nothing was written (fix them, or use --skip-invalid)",
            report.layer, report.errors_total, report.rejected, report.read
        );
    }
    if args.json {
        writeln!(
            std::io::stdout(),
            "{}",
            serde_json::to_string_pretty(&report)?
        )
        .context("writing the report to standard output")?;
    }
    Ok(if report.committed {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

async fn token(service: Arc<Service>, cmd: TokenCommand) -> anyhow::Result<std::process::ExitCode> {
    match cmd {
        TokenCommand::Create { role, name } => {
            let (id, token) = service.create_token(&name, role).await?;
            eprintln!("created {role} token {id} ({name}); it is shown only now");
            writeln!(std::io::stdout(), "{token}")
                .context("writing the token to standard output")?;
        }
        TokenCommand::List => {
            let tokens = service.store().tokens().await?;
            let mut out = std::io::stdout().lock();
            for t in tokens {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{state}",
                    t.id,
                    t.role,
                    t.name,
                    service.zone().format(t.created_at)
                )
                .context("writing the token list to standard output")?;
            }
        }
        TokenCommand::Revoke { id } => {
            service.revoke_token(id).await?;
            eprintln!("revoked token {id}");
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn sample(args: &SampleArgs, zone: &Zone) -> anyhow::Result<std::process::ExitCode> {
    let cfg = crate::sample::SampleConfig {
        seed: args.seed,
        incidents: args.incidents,
        cameras: args.cameras,
        models: args.models,
        end: args.end.unwrap_or_else(|| zone.today()),
        end_minutes: None,
    };
    let cfg = crate::sample::SampleConfig {
        end_minutes: minutes_passed(zone, cfg.end),
        ..cfg
    };
    let s = crate::sample::generate(&cfg, &args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "wrote {}: {} incidents up to {}, {} cameras, {} models, {} wards, {} districts, {} complex areas",
        args.out.display(),
        s.incidents,
        cfg.end,
        s.cameras,
        s.models,
        s.wards,
        s.districts,
        s.complex_areas
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// How much of `end` has passed in the committee's zone, when `end` is today: a sample
/// that ends today stops at now, not at midnight.
fn minutes_passed(zone: &Zone, end: jiff::civil::Date) -> Option<u16> {
    let now = jiff::Timestamp::now().to_zoned_datetime(zone.tz().clone());
    (now.date() == end)
        .then(|| u16::try_from(i32::from(now.hour()) * 60 + i32::from(now.minute())).ok())
        .flatten()
}

/// Generates the demo's sample (the 24 months up to `end`) into a temporary directory and
/// imports it, all-or-nothing per layer.
async fn load_sample(service: &Service, end: jiff::civil::Date) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("diemnong-demo-")
        .tempdir()
        .context("creating a temporary directory for the sample")?;
    let cfg = crate::sample::SampleConfig {
        end,
        end_minutes: minutes_passed(service.zone(), end),
        ..DEMO_SAMPLE
    };
    let generated = {
        let (cfg, path) = (cfg.clone(), dir.path().to_owned());
        tokio::task::spawn_blocking(move || crate::sample::generate(&cfg, &path)).await?
    };
    generated.context("generating the sample")?;
    for (layer, name) in [
        (Layer::Areas, "areas.geojson"),
        (Layer::Cameras, "cameras.csv"),
        (Layer::Models, "models.csv"),
        (Layer::Incidents, "incidents.csv"),
    ] {
        let path = dir.path().join(name);
        let (source, _) = open_source(&path, None, CsvOptions::default())
            .with_context(|| format!("opening the generated {name}"))?;
        let r = service
            .import(
                layer,
                source,
                ImportMode::AllOrNothing,
                Box::new(|_| {}),
                Box::new(|_: &[RowError], _: &str| {}),
            )
            .await?;
        if !r.committed {
            bail!(
                "the generated sample {name} did not import: {:?}",
                r.errors.first()
            );
        }
        eprintln!(
            "sample {name}: {} new, {} already present",
            r.inserted, r.already_present
        );
    }
    eprintln!(
        "sample: {} incidents from {} to {end}",
        cfg.incidents,
        end.first_of_month()
            .checked_sub(jiff::Span::new().months(23))
            .unwrap_or(end)
    );
    Ok(())
}

/// When the demo's history says a step happened: `frac` of the way through `year`, or
/// through the part of it up to `end` (and never after now) when `year` is `end`'s year,
/// in the committee's zone. So last year's programme reads as a year's work and this
/// year's as what has happened so far.
fn programme_time(zone: &Zone, year: i16, end: jiff::civil::Date, frac: f64) -> i64 {
    let at = |d: jiff::civil::Date| {
        d.to_zoned_datetime(zone.tz().clone())
            .map_or(0, |z| z.timestamp().as_second())
    };
    let start = at(jiff::civil::date(year, 1, 1));
    let stop = if year < end.year() {
        at(jiff::civil::date(year, 12, 31))
    } else {
        end.tomorrow().map_or(start, at).min(crate::service::now())
    };
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "seconds within one year, far inside f64's exact range"
    )]
    let offset = ((stop - start).max(0) as f64 * frac) as i64;
    // Round to the minute, as a person would write the time down.
    (start + offset) / 60 * 60
}

/// The demo's conversion programme, so that its map and report show every status in the
/// last and the current year: each sample complex area `dbpt-YYYY-NN` is designated in
/// year YYYY (the sample's end year, or the one before). The earlier year's ones all close
/// that year (converted, or every third not converted and designated again for the current
/// year, where the first of those fails a second time and is flagged); the current year's
/// are left at designated, in progress or converted. Areas converted last year stay free
/// for this year, where a visitor (or the end-to-end tests) can designate them. Each step
/// is dated through the year (designated in January, in progress by March, closed in
/// December; this year's spread over its days so far), so the history reads as it would
/// have happened. Runs once per database: a second start finds the designations there and
/// changes nothing.
async fn seed_programme(service: &Service, end: jiff::civil::Date) -> anyhow::Result<()> {
    use crate::domain::{Actor, DesignationTerms, NewDesignation, ProgrammeStatus, Targets};
    use crate::programme::{Move, ProgrammeError, designate_at, transition_at};
    use ProgrammeStatus::{Converted, InProgress, NotConverted};

    let by = Actor {
        name: "demo".to_owned(),
        token_id: None,
    };
    let snap = service.snapshot();
    if !snap.programme.all().is_empty() {
        return Ok(());
    }
    let zone = service.zone().clone();
    let (last_year, this_year) = (end.year() - 1, end.year());
    let codes: Vec<String> = snap
        .areas
        .areas()
        .iter()
        .filter(|a| a.data.code.starts_with("dbpt-"))
        .map(|a| a.data.code.clone())
        .collect();
    let terms = |unit: &str| {
        DesignationTerms::new(
            &["Trộm cắp, cướp giật tài sản tăng về đêm".to_owned()],
            &["theft".to_owned(), "snatching".to_owned()],
            unit,
            Targets::default(),
            &snap.catalogue,
        )
    };
    // Designated early in the year, in progress by its first quarter's end, closed at its
    // review in December (this year: near the end of what has passed).
    let when = |year: i16, step: ProgrammeStatus| {
        let frac = match (step, year < this_year) {
            (ProgrammeStatus::Designated, _) => 0.04,
            (InProgress, _) => 0.18,
            (_, true) => 0.96,
            (_, false) => 0.9,
        };
        programme_time(&zone, year, end, frac)
    };
    let step = async |code: &str, year: i16, to: ProgrammeStatus| {
        transition_at(
            service,
            code,
            &Move {
                year,
                to,
                note: Some("Dữ liệu mẫu (demo)".to_owned()),
                evidence: Vec::new(),
            },
            &by,
            when(year, to),
        )
        .await
        .map(|_| ())
    };
    let designate = async |code: &str, year: i16, unit: &str| {
        let d = NewDesignation::new(code, i64::from(year), terms(unit)?, None)?;
        designate_at(service, d, &by, when(year, ProgrammeStatus::Designated))
            .await
            .map(|_| ())
            .map_err(anyhow::Error::from)
    };
    for code in &codes {
        // dbpt-YYYY-NN
        let mut parts = code.trim_start_matches("dbpt-").split('-');
        let (Some(Ok(year)), Some(Ok(n))) = (
            parts.next().map(str::parse::<i16>),
            parts.next().map(str::parse::<u32>),
        ) else {
            continue;
        };
        let unit = format!("Ban Chỉ đạo 138 ({code})");
        match designate(code, year, &unit).await {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.downcast_ref::<ProgrammeError>(),
                    Some(ProgrammeError::AlreadyDesignated { .. })
                ) =>
            {
                continue;
            }
            Err(e) => return Err(e),
        }
        match (year == last_year, n % 3, n) {
            (true, 0, _) => {
                step(code, year, InProgress).await?;
                step(code, year, NotConverted).await?;
                designate(code, this_year, &unit).await?;
                step(code, this_year, InProgress).await?;
                if n == 3 {
                    step(code, this_year, NotConverted).await?;
                }
            }
            (true, _, _) | (false, _, 1) => {
                step(code, year, InProgress).await?;
                step(code, year, Converted).await?;
            }
            (false, 0 | 1, _) => step(code, year, InProgress).await?,
            _ => {}
        }
    }
    eprintln!(
        "demo programme: {} complex areas designated for {last_year} and {this_year}",
        codes.len()
    );
    Ok(())
}
