//! Sign-in for the map page: the token as an HttpOnly, SameSite=Strict session cookie that
//! every endpoint honours, and what happens when it is wrong, revoked or cleared.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::TestDb;
use diemnong::auth::Role;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};

/// The `Set-Cookie` header of a response, which must exist.
fn set_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get(SET_COOKIE)
        .expect("Set-Cookie")
        .to_str()
        .unwrap()
        .to_owned()
}

/// A server over an empty database with one viewer token, named "Phường 1".
struct Site {
    db: TestDb,
    service: std::sync::Arc<diemnong::service::Service>,
    viewer_id: i64,
    viewer: String,
    base: String,
}

async fn site(db: TestDb) -> Site {
    let service = db.service().await;
    let (viewer_id, viewer) = service
        .create_token("Phường 1", Role::Viewer)
        .await
        .unwrap();
    let base = common::spawn_server(service.clone()).await;
    Site {
        db,
        service,
        viewer_id,
        viewer,
        base,
    }
}

/// A site per backend, built once and shared by the cases that change nothing on the
/// server (signing in and out only sets and clears the browser's cookie).
async fn shared_sites() -> Vec<&'static Site> {
    static CELLS: common::SharedCells<Site> = (
        tokio::sync::OnceCell::const_new(),
        tokio::sync::OnceCell::const_new(),
    );
    common::shared_all(&CELLS, "session", site).await
}

/// A site per backend of its own, for a case that revokes the token.
async fn own_sites() -> Vec<Site> {
    let mut v = Vec::new();
    for db in TestDb::all().await {
        v.push(site(db).await);
    }
    v
}

#[tokio::test]
async fn without_a_session_raw_points_need_a_token_and_nobody_is_signed_in() {
    for s in shared_sites().await {
        let http = reqwest::Client::new();
        let url = |p: &str| format!("{}/api/v1/{p}", s.base);
        let r = http.get(url("incidents")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = http.get(url("session")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"signed_in": false})
        );
    }
}

/// A malformed token is a 400 naming the field; an unknown one a 401; neither sets a cookie.
#[tokio::test]
async fn a_malformed_or_unknown_token_is_refused_without_a_cookie() {
    for s in shared_sites().await {
        let http = reqwest::Client::new();
        let url = |p: &str| format!("{}/api/v1/{p}", s.base);
        for (body, status) in [
            (
                json!({"token": "dn_12; Path=/evil"}),
                StatusCode::BAD_REQUEST,
            ),
            (json!({"token": ""}), StatusCode::BAD_REQUEST),
            (json!({"token": "dn_0000"}), StatusCode::UNAUTHORIZED),
            (json!({"tok": "x"}), StatusCode::BAD_REQUEST),
        ] {
            let r = http.post(url("session")).json(&body).send().await.unwrap();
            assert_eq!(r.status(), status, "{body}");
            assert!(r.headers().get(SET_COOKIE).is_none(), "{body}");
            assert!(
                r.headers()[CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("application/problem+json")
            );
            if status == StatusCode::BAD_REQUEST && body.get("token").is_some() {
                let p: Value = r.json().await.unwrap();
                assert_eq!(p["parameter"], "token", "{p}");
            }
        }
    }
}

#[tokio::test]
async fn signing_in_sets_an_httponly_samesite_strict_cookie_secure_behind_https() {
    for s in shared_sites().await {
        let (http, viewer) = (reqwest::Client::new(), &s.viewer);
        let url = |p: &str| format!("{}/api/v1/{p}", s.base);
        // Sign in: the cookie is HttpOnly, SameSite=Strict, for the whole site, and not
        // `Secure` over plain HTTP (a browser would drop it); behind an HTTPS proxy it is.
        let r = http
            .post(url("session"))
            .json(&json!({ "token": viewer }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let c = set_cookie(&r);
        assert!(c.starts_with(&format!("dn_session={viewer};")), "{c}");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(c.split("; ").any(|a| a == attr), "{attr} in {c}");
        }
        assert!(!c.contains("Secure"), "{c}");
        let who: Value = r.json().await.unwrap();
        assert_eq!(
            who,
            json!({"signed_in": true, "role": "viewer", "name": "Phường 1"})
        );
        let r = http
            .post(url("session"))
            .header("X-Forwarded-Proto", "https")
            .json(&json!({ "token": viewer }))
            .send()
            .await
            .unwrap();
        assert!(set_cookie(&r).ends_with("; Secure"));
    }
}

#[tokio::test]
async fn with_the_cookie_the_endpoints_see_a_viewer_but_not_an_editor() {
    for s in shared_sites().await {
        let (http, viewer) = (reqwest::Client::new(), &s.viewer);
        let url = |p: &str| format!("{}/api/v1/{p}", s.base);
        // With the cookie, the endpoints see the viewer.
        let cookie = format!("theme=dark; dn_session={viewer}");
        let r = http
            .get(url("session"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.json::<Value>().await.unwrap()["role"], "viewer");
        let r = http
            .get(url("incidents"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        // … but not as more than a viewer: writes need an editor.
        let r = http
            .post(url("incidents"))
            .header(COOKIE, &cookie)
            .json(&json!({"type": "FeatureCollection", "features": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn signing_out_clears_the_cookie() {
    for s in shared_sites().await {
        let (http, viewer) = (reqwest::Client::new(), &s.viewer);
        let url = |p: &str| format!("{}/api/v1/{p}", s.base);
        let cookie = format!("theme=dark; dn_session={viewer}");
        // Signing out clears the cookie.
        let r = http
            .delete(url("session"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let c = set_cookie(&r);
        assert!(
            c.starts_with("dn_session=;") && c.contains("Max-Age=0"),
            "{c}"
        );
    }
}

#[tokio::test]
async fn a_revoked_tokens_cookie_is_anonymous_and_its_bearer_refused() {
    for s in own_sites().await {
        let (http, viewer) = (reqwest::Client::new(), &s.viewer);
        let url = |p: &str| format!("{}/api/v1/{p}", s.base);
        let cookie = format!("theme=dark; dn_session={viewer}");
        // A revoked token's cookie makes the browser anonymous, not broken: public pages
        // still answer, the session says nobody, raw points are refused.
        s.service.revoke_token(s.viewer_id).await.unwrap();
        let r = http
            .get(url("areas"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = http
            .get(url("incidents"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = http
            .get(url("session"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"signed_in": false})
        );
        // A revoked bearer token, by contrast, is an explicit credential and refused as such.
        let r = http
            .get(url("session"))
            .bearer_auth(viewer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let p: Value = r.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains("revoked"), "{p}");
        s.db.cleanup().await;
    }
}
