//! The tests' HTTP client: requests against a real server (reqwest) and assertions on what
//! comes back, problem+json above all.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use reqwest::header::{self, HeaderMap};
use serde_json::{Value, json};

pub const PROBLEM: &str = "application/problem+json";
pub const GEOJSON: &str = "application/geo+json";

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

#[derive(Debug)]
pub struct Resp {
    pub what: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: impl header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn content_type(&self) -> &str {
        self.header(header::CONTENT_TYPE)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: body is not JSON ({e}): {}", self.what, self.text()))
    }

    /// Asserts `status`, and for a success returns the body as JSON.
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}: {}", self.what, self.text());
        self.json()
    }

    /// The strong ETag of the response (asserted to be one).
    pub fn etag(&self) -> String {
        let e = self.header(header::ETAG).to_owned();
        assert!(
            e.len() > 2 && e.starts_with('"') && e.ends_with('"'),
            "{}: ETag {e:?} is not a quoted strong tag",
            self.what
        );
        e
    }

    /// Asserts 200 with a GeoJSON FeatureCollection and returns it.
    pub fn geojson(&self) -> Value {
        assert_eq!(self.status, 200, "{}: {}", self.what, self.text());
        assert!(
            self.content_type().starts_with(GEOJSON),
            "{}: content-type {:?}",
            self.what,
            self.content_type()
        );
        let fc = self.json();
        assert_eq!(fc["type"], "FeatureCollection", "{}", self.what);
        assert!(fc["features"].is_array(), "{}", self.what);
        fc
    }

    /// Asserts a problem+json response with `status` and returns its body.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}: {}", self.what, self.text());
        assert!(
            self.content_type().starts_with(PROBLEM),
            "{}: content-type {:?}",
            self.what,
            self.content_type()
        );
        let p = self.json();
        assert_eq!(p["status"], json!(status), "{}: {p}", self.what);
        assert!(
            p["type"].is_string() && p["title"].is_string(),
            "{}: {p}",
            self.what
        );
        assert!(
            p["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}: {p}",
            self.what
        );
        if status == 401 {
            let www = self.header(header::WWW_AUTHENTICATE);
            assert!(
                www.to_ascii_lowercase().starts_with("bearer"),
                "{}: WWW-Authenticate {www:?}",
                self.what
            );
        }
        p
    }
}

impl Api {
    pub fn new(base: String) -> Self {
        Self::with_timeout(base, std::time::Duration::from_mins(2))
    }

    /// A client whose requests give up after `timeout` (long analyses on big data).
    pub fn with_timeout(base: String, timeout: std::time::Duration) -> Self {
        Self {
            base,
            http: reqwest::Client::builder().timeout(timeout).build().unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Resp {
        self.send_with(method, path, token, &[], body).await
    }

    /// As [`Self::send`], with extra request headers.
    pub async fn send_with(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        extra: &[(header::HeaderName, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Resp {
        let what = format!("{method} {path}");
        let mut rq = self.http.request(method, self.url(path));
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        for (name, value) in extra {
            rq = rq.header(name, *value);
        }
        if let Some((ct, bytes)) = body {
            rq = rq.header(header::CONTENT_TYPE, ct).body(bytes);
        }
        let res = rq.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.bytes().await.unwrap().to_vec();
        Resp {
            what,
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    /// A conditional GET (`If-None-Match: etag`).
    pub async fn get_if_none_match(&self, path: &str, token: Option<&str>, etag: &str) -> Resp {
        self.send_with(
            reqwest::Method::GET,
            path,
            token,
            &[(header::IF_NONE_MATCH, etag)],
            None,
        )
        .await
    }

    /// A POST of a CSV body.
    pub async fn post_csv(&self, path: &str, token: Option<&str>, body: String) -> Resp {
        self.post_body(path, token, "text/csv", body).await
    }

    /// A POST with a body of content type `ct`.
    pub async fn post_body(
        &self,
        path: &str,
        token: Option<&str>,
        ct: &str,
        body: impl Into<Vec<u8>>,
    ) -> Resp {
        self.send(reqwest::Method::POST, path, token, Some((ct, body.into())))
            .await
    }

    pub async fn put_json(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send(
            reqwest::Method::PUT,
            path,
            token,
            Some(("application/json", body.to_string().into_bytes())),
        )
        .await
    }

    pub async fn health(&self) -> Value {
        self.get("/healthz", None).await.ok(200)
    }

    /// A request with a JSON body.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Resp {
        self.send(
            method,
            path,
            token,
            Some(("application/json", body.to_string().into_bytes())),
        )
        .await
    }

    /// A POST with a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send_json(reqwest::Method::POST, path, token, body)
            .await
    }

    /// A PATCH with a JSON body.
    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send_json(reqwest::Method::PATCH, path, token, body)
            .await
    }

    /// Designates `code` for `year` (201 asserted); returns the designation.
    pub async fn designate(&self, token: &str, code: &str, year: i64, extra: Value) -> Value {
        let mut body = json!({
            "year": year,
            "reasons": [format!("Tụ điểm phức tạp {code}")],
            "unit": format!("Công an phường ({code})"),
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.post(
            &format!("/api/v1/areas/{code}/designations"),
            Some(token),
            &body,
        )
        .await
        .ok(201)
    }

    /// Moves `code`'s `year` to `to` (200 asserted); returns the response.
    pub async fn move_to(&self, token: &str, code: &str, year: i64, to: &str, note: &str) -> Value {
        self.post(
            &format!("/api/v1/areas/{code}/transitions"),
            Some(token),
            &json!({"year": year, "to": to, "note": note}),
        )
        .await
        .ok(200)
    }
}
