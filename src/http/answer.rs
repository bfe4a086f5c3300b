//! An analysis answer as the result cache keeps it, compressed at most once.
//!
//! Browsers ask with `Accept-Encoding: gzip`, and a city-wide GeoJSON is about 1 MB: the
//! compression layer gzipped it again for every response, which took several times as long
//! as answering from the cache (41 ms against 6 ms for a density at res 9). An [`Answer`]
//! makes its gzip body on the first request that accepts it and keeps it beside the plain
//! one, so a cached answer is a copy of either; the compression layer leaves a response
//! that already has a `Content-Encoding` alone.

use std::io::Write;
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};

/// One rendered answer: the body, its content type, and the body gzipped on demand.
#[derive(Debug)]
pub struct Answer {
    body: Bytes,
    content_type: String,
    gzip: OnceLock<Option<Bytes>>,
}

impl Answer {
    #[must_use]
    pub fn new((body, content_type): (String, String)) -> Self {
        Self {
            body: Bytes::from(body),
            content_type,
            gzip: OnceLock::new(),
        }
    }

    #[must_use]
    pub fn body(&self) -> Bytes {
        self.body.clone()
    }

    #[must_use]
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The body gzipped, made once; `None` only if compressing failed (out of memory), when
    /// the plain body is sent. Level 1: the first request pays for it, and on our GeoJSON
    /// it keeps most of the default level's gain in a fraction of its time (BENCHMARKS.md).
    pub fn gzip(&self) -> Option<Bytes> {
        self.gzip
            .get_or_init(|| {
                let mut enc = flate2::write::GzEncoder::new(
                    Vec::with_capacity(self.body.len() / 4),
                    flate2::Compression::new(1),
                );
                enc.write_all(&self.body).ok()?;
                enc.finish().ok().map(Bytes::from)
            })
            .clone()
    }

    /// Whether the gzip body is made already.
    #[must_use]
    pub fn has_gzip(&self) -> bool {
        self.gzip.get().is_some()
    }
}

/// Whether the request accepts gzip: a `gzip` (or `*`) coding in `Accept-Encoding` whose
/// q is not 0 (RFC 9110, 12.5.3).
#[must_use]
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let zero = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f64>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !zero
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Read;

    fn with(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn accept_encoding_is_read_with_its_q_values() {
        assert!(accepts_gzip(&with("gzip, deflate, br")));
        assert!(accepts_gzip(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("br, deflate")));
        assert!(!accepts_gzip(&with("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn the_gzip_body_is_the_plain_body_compressed_once() {
        let text = "{\"type\":\"FeatureCollection\"}".repeat(1000);
        let a = Answer::new((text.clone(), "application/geo+json".into()));
        assert!(!a.has_gzip());
        let gz = a.gzip().unwrap();
        assert!(a.has_gzip());
        assert!(gz.len() < text.len() / 10);
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
        // The same bytes again, not a second compression.
        assert_eq!(a.gzip().unwrap().as_ptr(), gz.as_ptr());
    }
}
