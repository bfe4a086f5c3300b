//! A whole file read into validated records with no database: what builds an index directly
//! (the oracle tests, the analysis benchmark). Validation is the import's, all or nothing:
//! one problem anywhere and no records come back, every problem does.

use std::path::Path;

use super::csv::CsvOptions;
use super::{Context, Format, Outcome, Record, RowError};

/// Why [`read_file`] returned no records.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("reading the source failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("{} problem(s) in the source, the first: {}", .0.len(), first(.0))]
    Invalid(Vec<RowError>),
}

fn first(errors: &[RowError]) -> String {
    errors.first().map(ToString::to_string).unwrap_or_default()
}

/// Every record of the file at `path` (CSV, or GeoJSON / JSON for `.geojson` and `.json`,
/// as [`Format::from_path`] guesses), in source order.
///
/// # Errors
/// When the file cannot be read, or any record (or the header) has a problem: then all of
/// them, in source order.
pub fn read_file<R: Record>(path: &Path, ctx: &Context) -> Result<Vec<R>, ReadError> {
    let mut out = Vec::new();
    read_file_with(path, ctx, |r| out.push(r))?;
    Ok(out)
}

/// As [`read_file`], handing each valid record to `sink` as it is read instead of keeping
/// them (a million incidents as `NewIncident`s would hold their texts too). After an
/// `Err`, `sink` may have seen some records: discard what it kept.
///
/// # Errors
/// As [`read_file`].
pub fn read_file_with<R: Record>(
    path: &Path,
    ctx: &Context,
    mut sink: impl FnMut(R),
) -> Result<(), ReadError> {
    let mut errors = Vec::new();
    let mut on_record = |o: Outcome<R>| match o {
        Outcome::Valid(r) => sink(r),
        Outcome::Invalid { errors: e, .. } => errors.extend(e),
    };
    let file_errors = match Format::from_path(path) {
        Format::Csv => super::csv::read::<R>(
            std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?),
            &CsvOptions::default(),
            ctx,
            |_| {},
            &mut on_record,
        )?,
        Format::Geojson => super::json::read::<R>(&std::fs::read(path)?, ctx, &mut on_record)
            .err()
            .unwrap_or_default(),
    };
    // Problems with the file itself come first, as an import reports them.
    errors.splice(0..0, file_errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ReadError::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NewIncident;

    #[test]
    fn reads_valid_files_and_reports_every_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("incidents.csv");
        std::fs::write(
            &path,
            "external_id,occurred_at,category,lon,lat\n\
             a,2024-01-01T08:00:00+07:00,theft,106.7,10.78\n\
             b,2024-01-02T08:00:00+07:00,theft,106.71,10.79\n",
        )
        .unwrap();
        let ctx = Context::defaults();
        let rows: Vec<NewIncident> = read_file(&path, &ctx).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].external_id.as_deref(), Some("b"));

        std::fs::write(
            &path,
            "external_id,occurred_at,category,lon,lat\n\
             a,2024-01-01T08:00:00+07:00,theft,106.7,10.78\n\
             b,2024-01-02T08:00:00+07:00,nonsense,106.71,95\n",
        )
        .unwrap();
        match read_file::<NewIncident>(&path, &ctx) {
            Err(ReadError::Invalid(e)) => {
                assert_eq!(e.len(), 2, "{e:?}");
                assert!(e.iter().all(|e| e.to_string().starts_with("line 3, ")));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read_file::<NewIncident>(&dir.path().join("absent.csv"), &ctx),
            Err(ReadError::Io(_))
        ));
    }
}
