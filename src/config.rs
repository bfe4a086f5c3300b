//! Command line and environment: every flag can also be set by a `DIEMNONG_…` variable
//! (the database by `DATABASE_URL`). Defaults are the named constants below.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::auth::Role;
use crate::ingest::{Format, Layer};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://diemnong.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DEMO_DATABASE_URL: &str = "sqlite://data/demo.db";

#[derive(Debug, Parser)]
#[command(
    name = "diemnong",
    version,
    about = "Hotspot analysis server for crime-prevention committees (điểm nóng = hotspot)"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Database: `sqlite://FILE` (created and migrated on first use) or `postgres://…`.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The committee's IANA time zone: days, months and years are counted in it.
    #[arg(long, global = true, env = "DIEMNONG_TIMEZONE", default_value = crate::domain::time::DEFAULT_ZONE)]
    pub timezone: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the map page.
    Serve(ServeArgs),
    /// Import a CSV or GeoJSON file into a layer.
    Import(ImportArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Generate the Ho Chi Minh City sample (the 24 months up to today), load it into an
    /// embedded database with a conversion programme, and serve it.
    Demo(DemoArgs),
    /// Generate synthetic sample data (seeded, reproducible).
    Sample(SampleArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DIEMNONG_BIND", default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// Serve aggregated results (density, hotspots…) without a token. Anonymous callers
    /// then get perturbed counts (the cell-key method) of whole calendar periods at
    /// resolutions up to --public-max-res: README, "What anonymous visitors see".
    #[arg(long, env = "DIEMNONG_PUBLIC_AGGREGATES")]
    pub public_aggregates: bool,
    /// Smallest positive count published to callers without a token: smaller true counts
    /// are published as 0 or at least this (the p-table's threshold js is one less).
    #[arg(long, env = "DIEMNONG_MIN_CELL_COUNT", default_value_t = 3,
        value_parser = clap::value_parser!(u32).range(1..=9))]
    pub min_cell_count: u32,
    /// Largest absolute noise added to a published count (the p-table's D).
    #[arg(long, env = "DIEMNONG_PERTURBATION_MAX", default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(1..=20))]
    pub perturbation_max: u32,
    /// Variance of the noise added to a published count (the p-table's V).
    #[arg(long, env = "DIEMNONG_PERTURBATION_VARIANCE", default_value_t = 3.0)]
    pub perturbation_variance: f64,
    /// Finest H3 resolution served to callers without a token (5–11).
    #[arg(long, env = "DIEMNONG_PUBLIC_MAX_RES", default_value_t = 9,
        value_parser = clap::value_parser!(u8).range(5..=11))]
    pub public_max_res: u8,
    /// Largest cells × slices one analysis request may compute (larger ones get 422).
    #[arg(long, env = "DIEMNONG_MAX_COST", default_value_t = 2_000_000)]
    pub max_cost: u64,
    /// Threads one analysis may use (KDE, DBSCAN, Local Moran's I and the index's per-
    /// resolution tables split their work); 0 means every core. Results do not depend on it.
    #[arg(long, env = "DIEMNONG_ANALYSIS_THREADS", default_value_t = 0)]
    pub analysis_threads: usize,
    /// Analysis results kept in memory per server (0 turns the result cache off: every
    /// request computes, as the benchmarks' "computed" column measures).
    #[arg(long, env = "DIEMNONG_CACHE_ENTRIES", default_value_t = 64)]
    pub cache_entries: usize,
    /// An XYZ raster basemap for the map page, e.g.
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png` (the browser fetches the tiles).
    /// Without it the page draws a plain background with the ward boundaries as its base,
    /// which works with no internet.
    #[arg(long, env = "DIEMNONG_BASEMAP_URL", value_parser = basemap_url)]
    pub basemap_url: Option<String>,
    /// The basemap's attribution, shown on the map (required by most tile providers).
    #[arg(
        long,
        env = "DIEMNONG_BASEMAP_ATTRIBUTION",
        default_value = "© OpenStreetMap contributors"
    )]
    pub basemap_attribution: String,
    /// Seconds between checks for writes made by other processes or replicas.
    #[arg(long, env = "DIEMNONG_REFRESH_SECS", default_value_t = 2)]
    pub refresh_secs: u64,
    /// Conversion programme: default target for the change in criminal cases on the same
    /// period a year earlier, in percent (−5 = at least 5% fewer).
    #[arg(long, env = "DIEMNONG_TARGET_CASE_CHANGE_PCT", default_value_t = crate::domain::Targets::DEFAULT_CASE_CHANGE_PCT, allow_negative_numbers = true)]
    pub target_case_change_pct: f64,
    /// Conversion programme: default target clearance rate (solved / cases), 0–1.
    #[arg(long, env = "DIEMNONG_TARGET_CLEARANCE", default_value_t = crate::domain::Targets::DEFAULT_CLEARANCE_RATE)]
    pub target_clearance: f64,
    /// Conversion programme: default target clearance rate of very serious and especially
    /// serious cases, 0–1.
    #[arg(long, env = "DIEMNONG_TARGET_CLEARANCE_SERIOUS", default_value_t = crate::domain::Targets::DEFAULT_CLEARANCE_RATE_SERIOUS)]
    pub target_clearance_serious: f64,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// The sample's last day (YYYY-MM-DD); default: today in the committee's zone. Pin it
    /// for reproducible data (`2024-12-31` gives the committed `sample-data/`).
    #[arg(long, env = "DIEMNONG_SAMPLE_END")]
    pub end: Option<jiff::civil::Date>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Which layer the file holds.
    #[arg(value_enum)]
    pub layer: Layer,
    /// The file (`.csv`, `.geojson`, `.json`).
    pub file: PathBuf,
    /// Format, when the file name does not tell.
    #[arg(long, value_enum, env = "DIEMNONG_IMPORT_FORMAT")]
    pub format: Option<Format>,
    /// CSV field delimiter (one character; `\t` for tab).
    #[arg(long, env = "DIEMNONG_IMPORT_DELIMITER", default_value = ",")]
    pub delimiter: String,
    /// Map fields to headers the aliases do not cover: `lon=LNG,lat=LAT,occurred_at=Ngay`.
    #[arg(long, env = "DIEMNONG_IMPORT_COLUMNS")]
    pub columns: Option<String>,
    /// Import the valid rows and write the rejected ones, with reasons, to `--rejects`.
    #[arg(long, env = "DIEMNONG_IMPORT_SKIP_INVALID")]
    pub skip_invalid: bool,
    /// Where rejected rows go with `--skip-invalid` (default: FILE.rejects.csv).
    #[arg(long, env = "DIEMNONG_IMPORT_REJECTS")]
    pub rejects: Option<PathBuf>,
    /// Print the report as JSON on standard output.
    #[arg(long, env = "DIEMNONG_IMPORT_JSON")]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it alone on standard output.
    Create {
        #[arg(long, value_enum, env = "DIEMNONG_TOKEN_ROLE")]
        role: Role,
        /// Who or what the token is for.
        #[arg(long, env = "DIEMNONG_TOKEN_NAME", default_value = "cli")]
        name: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Output directory.
    #[arg(
        long,
        env = "DIEMNONG_SAMPLE_OUT",
        default_value = "sample-data/generated"
    )]
    pub out: PathBuf,
    /// Seed of the generator: the same seed gives byte-identical files.
    #[arg(long, env = "DIEMNONG_SAMPLE_SEED", default_value_t = 138)]
    pub seed: u64,
    #[arg(long, env = "DIEMNONG_SAMPLE_INCIDENTS", default_value_t = 100_000)]
    pub incidents: usize,
    #[arg(long, env = "DIEMNONG_SAMPLE_CAMERAS", default_value_t = 300)]
    pub cameras: usize,
    #[arg(long, env = "DIEMNONG_SAMPLE_MODELS", default_value_t = 250)]
    pub models: usize,
    /// The last day (YYYY-MM-DD): incidents cover the 24 calendar months up to it. Default:
    /// today in the committee's zone; pin it for reproducible files (`2024-12-31` gives the
    /// committed `sample-data/` with `--incidents 20000`).
    #[arg(long, env = "DIEMNONG_SAMPLE_END")]
    pub end: Option<jiff::civil::Date>,
}

/// An XYZ template: http(s), with `{z}`, `{x}` and `{y}`.
fn basemap_url(s: &str) -> Result<String, String> {
    let ok_scheme = s.starts_with("https://") || s.starts_with("http://");
    if !ok_scheme || !["{z}", "{x}", "{y}"].iter().all(|p| s.contains(p)) {
        return Err("must be an http(s) XYZ template with {z}, {x} and {y}".into());
    }
    Ok(s.to_owned())
}
