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
use crate::service::{ImportMode, RejectSink, Service, Source, open_source};
use crate::store::Store;

/// The committed sample, built into the binary so `diemnong demo` works from anywhere.
const SAMPLE: [(Layer, &str, &[u8]); 4] = [
    (
        Layer::Areas,
        "areas.geojson",
        include_bytes!("../sample-data/areas.geojson"),
    ),
    (
        Layer::Cameras,
        "cameras.csv",
        include_bytes!("../sample-data/cameras.csv"),
    ),
    (
        Layer::Models,
        "models.csv",
        include_bytes!("../sample-data/models.csv"),
    ),
    (
        Layer::Incidents,
        "incidents.csv",
        include_bytes!("../sample-data/incidents.csv"),
    ),
];

/// Runs the parsed command line.
///
/// # Errors
/// Anything that stops the command, with context for the user.
pub async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let zone = Zone::new(&cli.global.timezone).map_err(|e| anyhow::anyhow!("--timezone {e}"))?;
    match cli.command {
        Command::Sample(args) => sample(&args),
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
            let service = open(&url, zone).await?;
            for (layer, name, bytes) in SAMPLE {
                let source = if name.ends_with(".csv") {
                    Source::Csv {
                        reader: Box::new(std::io::Cursor::new(bytes)),
                        options: CsvOptions::default(),
                    }
                } else {
                    Source::Json(bytes.to_vec())
                };
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
                        "the bundled sample {name} did not import: {:?}",
                        r.errors.first()
                    );
                }
                eprintln!(
                    "sample {name}: {} new, {} already present",
                    r.inserted, r.already_present
                );
            }
            seed_programme(&service).await?;
            let (_, token) = service
                .create_token("demo", crate::auth::Role::Admin)
                .await?;
            eprintln!(
                "demo admin token (sign in with it; valid while this database lives): {token}"
            );
            serve_with(service, &args, true).await
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
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    let addr = listener.local_addr()?;
    println!("diemnong: map at http://{addr}/");
    let _ = std::io::stdout().flush();
    serve(
        listener,
        AppState::with_settings(
            service,
            AnalysisSettings {
                // The demo is public by design: its data is synthetic.
                public_aggregates: args.public_aggregates || demo,
                min_cell_count: args.min_cell_count,
                max_cost: args.max_cost,
                cache_entries: args.cache_entries,
            },
        )
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
        println!("{}", serde_json::to_string_pretty(&report)?);
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
            println!("{token}");
        }
        TokenCommand::List => {
            for t in service.store().tokens().await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    t.id,
                    t.role,
                    t.name,
                    service.zone().format(t.created_at)
                );
            }
        }
        TokenCommand::Revoke { id } => {
            service.revoke_token(id).await?;
            eprintln!("revoked token {id}");
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn sample(args: &SampleArgs) -> anyhow::Result<std::process::ExitCode> {
    let cfg = crate::sample::SampleConfig {
        seed: args.seed,
        incidents: args.incidents,
        cameras: args.cameras,
        models: args.models,
    };
    let s = crate::sample::generate(&cfg, &args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "wrote {}: {} incidents, {} cameras, {} models, {} wards, {} districts, {} complex areas",
        args.out.display(),
        s.incidents,
        s.cameras,
        s.models,
        s.wards,
        s.districts,
        s.complex_areas
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// The demo's conversion programme, so that its map and report show every status: each
/// sample complex area `dbpt-YYYY-NN` is designated in year YYYY. The 2023 ones all close
/// that year (converted, or every third not converted and designated again for 2024, where
/// the first of those fails a second time and is flagged); the 2024 ones are left at
/// designated, in progress or converted. Areas converted in 2023 stay free for 2024, where a
/// visitor (or the end-to-end tests) can designate them. Runs once per database: a second
/// start finds the designations there and changes nothing.
async fn seed_programme(service: &Service) -> anyhow::Result<()> {
    use crate::domain::{Actor, DesignationTerms, NewDesignation, ProgrammeStatus, Targets};
    use crate::programme::{Move, ProgrammeError, designate, transition};
    use ProgrammeStatus::{Converted, InProgress, NotConverted};

    let by = Actor {
        name: "demo".to_owned(),
        token_id: None,
    };
    let snap = service.snapshot();
    if !snap.programme.all().is_empty() {
        return Ok(());
    }
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
    let step = async |code: &str, year: i16, to: ProgrammeStatus| {
        transition(
            service,
            code,
            &Move {
                year,
                to,
                note: Some("Dữ liệu mẫu (demo)".to_owned()),
                evidence: Vec::new(),
            },
            &by,
        )
        .await
        .map(|_| ())
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
        let d = NewDesignation::new(code, i64::from(year), terms(&unit)?, None)?;
        match designate(service, d, &by).await {
            Ok(_) => {}
            Err(ProgrammeError::AlreadyDesignated { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
        match (year, n % 3, n) {
            (2023, 0, _) => {
                step(code, 2023, InProgress).await?;
                step(code, 2023, NotConverted).await?;
                let again = NewDesignation::new(code, 2024, terms(&unit)?, None)?;
                designate(service, again, &by).await?;
                step(code, 2024, InProgress).await?;
                if n == 3 {
                    step(code, 2024, NotConverted).await?;
                }
            }
            (2023, _, _) => {
                step(code, 2023, InProgress).await?;
                step(code, 2023, Converted).await?;
            }
            (_, _, 1) => {
                step(code, year, InProgress).await?;
                step(code, year, Converted).await?;
            }
            (_, 0 | 1, _) => step(code, year, InProgress).await?,
            _ => {}
        }
    }
    eprintln!("demo programme: {} complex areas designated", codes.len());
    Ok(())
}
