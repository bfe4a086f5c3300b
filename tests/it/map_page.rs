//! The map page as the server embeds and serves it: settings written into its `<meta>` tags
//! (escaped), every file with its content type and a revalidating ETag, nothing else.
//! (The page's behaviour in a browser is tested by `tests/e2e/`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::TestDb;
use diemnong::http::assets::PageSettings;
use diemnong::http::{AppState, serve};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};

#[tokio::test]
async fn page_is_embedded_with_its_settings() {
    let db = TestDb::sqlite().await;
    let service = db.service().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(service).with_page(&PageSettings {
        basemap_url: Some("https://tile.openstreetmap.org/{z}/{x}/{y}.png".into()),
        basemap_attribution: Some(r#"© OSM "contributors" <b>"#.into()),
        timezone: "Asia/Ho_Chi_Minh".into(),
    });
    tokio::spawn(async move {
        let _ = serve(listener, state, std::time::Duration::from_secs(1)).await;
    });
    let http = reqwest::Client::new();

    let r = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(r.headers()[CACHE_CONTROL], "no-cache");
    let tag = r.headers()[ETAG].to_str().unwrap().to_owned();
    let html = r.text().await.unwrap();
    assert!(html.contains(
        r#"<meta name="diemnong-basemap" content="https://tile.openstreetmap.org/{z}/{x}/{y}.png">"#
    ));
    // The attribution is text in an attribute: quotes and markup cannot escape it.
    assert!(html.contains(
        r#"<meta name="diemnong-basemap-attribution" content="© OSM &quot;contributors&quot; &lt;b&gt;">"#
    ));
    assert!(html.contains(r#"<meta name="diemnong-timezone" content="Asia/Ho_Chi_Minh">"#));
    assert!(
        html.contains(r#"<html lang="vi">"#),
        "Vietnamese by default"
    );

    // Revalidation: the same ETag gives 304 with no body.
    let r = http
        .get(format!("{base}/"))
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.bytes().await.unwrap().is_empty());

    for (path, ct) in [
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
        ("/vendor/maplibre-gl.mjs", "text/javascript"),
        ("/vendor/maplibre-gl-worker.mjs", "text/javascript"),
        ("/vendor/maplibre-gl.css", "text/css"),
    ] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(
            r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with(ct),
            "{path}"
        );
        assert!(r.headers().get(ETAG).is_some(), "{path}");
        assert!(!r.bytes().await.unwrap().is_empty(), "{path}");
    }
    // Only the page's own files: no directory traversal, no listing.
    for path in [
        "/vendor/VERSION",
        "/vendor/..%2FCargo.toml",
        "/vendor/",
        "/dist/app.js",
    ] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            r.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json"),
            "{path}"
        );
    }
    db.cleanup().await;
}

#[tokio::test]
async fn no_basemap_by_default() {
    let html = diemnong::http::assets::index_html(&PageSettings {
        timezone: "Asia/Bangkok".into(),
        ..PageSettings::default()
    });
    assert!(html.contains(r#"<meta name="diemnong-basemap" content="">"#));
    assert!(html.contains(r#"<meta name="diemnong-timezone" content="Asia/Bangkok">"#));
}
