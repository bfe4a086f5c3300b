//! CSV sources. Headers are matched case-insensitively with aliases (see
//! [`super::fields`]); every problem is reported as `line N, column C: reason`.

use std::io::Read;

use csv::{ByteRecord, ReaderBuilder};

use super::fields::{FieldSpec, Fields, resolve};
use super::{Context, Dedup, Outcome, Record, RowError};

/// How to read a CSV file.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub delimiter: u8,
    /// Explicit (field, header) mappings, from `--columns`.
    pub columns: Vec<(String, String)>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            delimiter: b',',
            columns: Vec::new(),
        }
    }
}

struct CsvFields<'a> {
    rec: &'a ByteRecord,
    cols: &'a [Option<usize>],
    specs: &'static [FieldSpec],
}

impl Fields for CsvFields<'_> {
    fn text(&self, field: &str) -> Option<&str> {
        let i = self.specs.iter().position(|s| s.name == field)?;
        let bytes = self.rec.get(self.cols[i]?)?;
        let t = std::str::from_utf8(bytes).ok()?.trim();
        (!t.is_empty()).then_some(t)
    }
}

fn raw_line(rec: &ByteRecord, delimiter: u8) -> String {
    let parts: Vec<String> = rec
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    parts.join(&char::from(delimiter).to_string())
}

/// Reads `src`, calling `sink` once per data row in order. `progress` is called with the
/// bytes consumed so far. Header problems (missing columns, an empty file, bad bytes in the
/// header) are returned as errors on line 1 and no rows are read.
///
/// # Errors
/// Only I/O failures of the source; everything about its content goes to `sink` or the
/// returned list.
pub fn read<R: Record>(
    src: impl Read,
    opts: &CsvOptions,
    ctx: &Context,
    mut progress: impl FnMut(u64),
    mut sink: impl FnMut(Outcome<R>),
) -> std::io::Result<Vec<RowError>> {
    let mut rdr = ReaderBuilder::new()
        .delimiter(opts.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(LastChunk {
            inner: src,
            chunk: Vec::new(),
            start: 0,
        });
    let mut rec = ByteRecord::new();
    let header = match rdr.read_byte_record(&mut rec) {
        Ok(true) => rec.clone(),
        Ok(false) => {
            return Ok(vec![RowError::at_line(
                1,
                None,
                "the file is empty: expected a header line",
            )]);
        }
        Err(e) => return Err(csv_io(e)),
    };
    let mut headers = Vec::with_capacity(header.len());
    let mut header_errors = Vec::new();
    for (i, h) in header.iter().enumerate() {
        match std::str::from_utf8(h) {
            Ok(s) => headers.push(s.to_owned()),
            Err(e) => {
                header_errors.push(RowError::at_line(
                    1,
                    Some(&format!("{}", i + 1)),
                    utf8_reason(h, &e),
                ));
                headers.push(String::from_utf8_lossy(h).into_owned());
            }
        }
    }
    if headers.iter().all(|h| h.trim().is_empty()) {
        header_errors.push(RowError::at_line(1, None, "the header line is blank"));
    }
    let cols = match resolve(&headers, R::FIELDS, &opts.columns, opts.delimiter) {
        Ok(c) if header_errors.is_empty() => c,
        Ok(_) => return Ok(header_errors),
        Err(mut e) => {
            header_errors.append(&mut e);
            return Ok(header_errors);
        }
    };
    let column_name = |field: &str| -> String {
        R::FIELDS
            .iter()
            .position(|s| s.name == field)
            .and_then(|i| cols[i])
            .map_or_else(|| field.to_owned(), |c| headers[c].trim().to_owned())
    };
    let mut dedup = Dedup::default();
    let mut rows = 0u64;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_io(e)),
        }
        let line = record_line(&rdr, &rec);
        rows += 1;
        if rows.is_multiple_of(4096) {
            progress(rec.position().map_or(0, csv::Position::byte));
        }
        // A blank line is not a record.
        if rec.len() == 1
            && rec
                .get(0)
                .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
        {
            continue;
        }
        let mut errors = Vec::new();
        if rec.len() != headers.len() {
            errors.push(RowError::at_line(
                line,
                None,
                format!(
                    "has {} fields, the header has {} (check quoting and the delimiter)",
                    rec.len(),
                    headers.len()
                ),
            ));
        }
        for (i, c) in cols.iter().enumerate() {
            if let Some(bytes) = c.and_then(|c| rec.get(c))
                && let Err(e) = std::str::from_utf8(bytes)
            {
                errors.push(RowError::at_line(
                    line,
                    Some(&column_name(R::FIELDS[i].name)),
                    utf8_reason(bytes, &e),
                ));
            }
        }
        let fields = CsvFields {
            rec: &rec,
            cols: &cols,
            specs: R::FIELDS,
        };
        let parsed = if errors.is_empty() {
            Some(R::parse(&fields, ctx))
        } else {
            None
        };
        match parsed {
            Some(Ok(r)) => {
                if let Some(reason) = r.key().and_then(|k| {
                    dedup
                        .check(k, line)
                        .map(|first| super::dup_reason(k, &format!("line {first}")))
                }) {
                    errors.push(RowError::at_line(
                        line,
                        Some(&column_name(key_field::<R>())),
                        reason,
                    ));
                } else {
                    sink(Outcome::Valid(r));
                    continue;
                }
            }
            Some(Err(es)) => {
                errors.extend(
                    es.into_iter()
                        .map(|e| RowError::at_line(line, Some(&column_name(&e.field)), e.reason)),
                );
            }
            None => {}
        }
        sink(Outcome::Invalid {
            errors,
            raw: raw_line(&rec, opts.delimiter),
        });
    }
    progress(rdr.position().byte());
    Ok(Vec::new())
}

/// The source, keeping the chunk the parser last read so that the byte which ended a record
/// can be looked at.
struct LastChunk<S> {
    inner: S,
    chunk: Vec<u8>,
    /// Offset of `chunk` in the source.
    start: u64,
}

impl<S: Read> Read for LastChunk<S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.start += self.chunk.len() as u64;
        self.chunk.clear();
        self.chunk.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// The line a record starts on. csv's own `Position` of a record is where the previous one
/// ended, before the blank lines — and the `\n` of a CRLF — that separate them, so it is a
/// line early after a blank line and on every line of a CRLF file. Count back instead from
/// where the record ended: past the newlines inside its quoted fields, and past its
/// terminator when that was a `\n` (not a CR, nor the end of the file).
fn record_line<S: Read>(rdr: &csv::Reader<LastChunk<S>>, rec: &ByteRecord) -> u64 {
    let end = rdr.position();
    let src = rdr.get_ref();
    #[expect(
        clippy::naive_bytecount,
        reason = "fields are short; counting their newlines is not worth the bytecount crate"
    )]
    let inner: usize = rec
        .iter()
        .map(|f| f.iter().filter(|&&b| b == b'\n').count())
        .sum();
    let last = end
        .byte()
        .checked_sub(1)
        .and_then(|o| o.checked_sub(src.start))
        .and_then(|i| src.chunk.get(usize::try_from(i).ok()?));
    let term = u64::from(last == Some(&b'\n'));
    end.line().saturating_sub(inner as u64 + term).max(1)
}

/// The field whose value is the record's key.
pub(crate) fn key_field<R: Record>() -> &'static str {
    if R::FIELDS.iter().any(|f| f.name == "external_id") {
        "external_id"
    } else {
        "code"
    }
}

fn utf8_reason(bytes: &[u8], e: &std::str::Utf8Error) -> String {
    let at = e.valid_up_to();
    let bad: Vec<String> = bytes[at..]
        .iter()
        .take(4)
        .map(|b| format!("0x{b:02X}"))
        .collect();
    format!(
        "is not valid UTF-8 (bytes {} at position {at}); save the file as UTF-8",
        bad.join(" ")
    )
}

fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}
