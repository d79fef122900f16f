//! Signing in to the web app: wrong keys, expired sessions and forms without their CSRF token are
//! refused; the cookie is HttpOnly, SameSite and expiring; a one-time link works once.

use revcast::service::Scope;
use std::time::Duration;

use crate::helpers::Backend;
use crate::web_helpers::{csrf_of, spawn_web, WebApp};

/// Runs a case on SQLite, and on PostgreSQL when configured, with sessions lasting `ttl`.
macro_rules! web_case {
    ($name:ident, $ttl:expr, $case:path) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn on_sqlite() {
                let app = spawn_web(Backend::Sqlite, $ttl).await.expect("sqlite");
                $case(&app).await;
            }
            #[tokio::test]
            async fn on_postgres() {
                match spawn_web(Backend::Postgres, $ttl).await {
                    Some(app) => $case(&app).await,
                    None => eprintln!("REVCAST_TEST_DATABASE_URL not set: PostgreSQL case not run"),
                }
            }
        }
    };
}

const HOURS_8: Duration = Duration::from_secs(8 * 3600);

async fn a_wrong_key_is_refused_and_gets_no_session(app: &WebApp) {
    let p = app
        .post_form("/signin", None, "key=rvc_not_a_real_key")
        .await;
    assert_eq!(p.status, 401, "{}", p.body);
    assert!(p.set_cookie.is_none(), "no cookie for a wrong key");
    assert!(p.body.contains("unknown or revoked API key"), "{}", p.body);
    let score_only = app.key_with(&[Scope::Score]).await;
    let p = app
        .post_form("/signin", None, &format!("key={score_only}"))
        .await;
    assert_eq!(p.status, 403, "a key without read may not see pages");
}
web_case!(
    wrong_key,
    HOURS_8,
    a_wrong_key_is_refused_and_gets_no_session
);

async fn the_session_cookie_is_http_only_same_site_and_expiring(app: &WebApp) {
    let p = app.get("/models", None).await;
    assert_eq!(p.status, 303, "pages need a session");
    assert_eq!(p.location.as_deref(), Some("/signin"));
    let p = app
        .post_form("/signin", None, &format!("key={}", app.admin_key))
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/"));
    let set = p.set_cookie.expect("cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Max-Age=28800", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing from {set}");
    }
    assert!(
        !set.contains(&app.admin_key),
        "the key never goes to the browser"
    );
    let cookie = set.split(';').next().unwrap();
    let page = app.get("/models", Some(cookie)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>Models</h1>"));
    let forged = app
        .get("/models", Some("revcast_session=0123456789abcdef"))
        .await;
    assert_eq!(forged.status, 303, "an unknown token is no session");
}
web_case!(
    cookie,
    HOURS_8,
    the_session_cookie_is_http_only_same_site_and_expiring
);

async fn an_expired_session_is_refused(app: &WebApp) {
    let cookie = app.sign_in(&app.admin_key).await;
    assert_eq!(app.get("/models", Some(&cookie)).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let p = app.get("/models", Some(&cookie)).await;
    assert_eq!(p.status, 303, "expired: back to the sign-in form");
    assert_eq!(p.location.as_deref(), Some("/signin"));
}
web_case!(
    expired,
    Duration::from_secs(1),
    an_expired_session_is_refused
);

async fn a_form_without_its_csrf_token_is_refused(app: &WebApp) {
    let cookie = app.sign_in(&app.admin_key).await;
    let page = app.get("/models", Some(&cookie)).await;
    let token = csrf_of(&page.body);
    let missing = app.post_form("/signout", Some(&cookie), "").await;
    assert_eq!(missing.status, 403, "{}", missing.body);
    assert!(missing.body.contains("CSRF"), "{}", missing.body);
    let wrong = app
        .post_form(
            "/signout",
            Some(&cookie),
            &format!("csrf={}", "0".repeat(64)),
        )
        .await;
    assert_eq!(wrong.status, 403);
    let rollback = app
        .post_form("/models/win/rollback", Some(&cookie), "")
        .await;
    assert_eq!(rollback.status, 403, "admin forms need the token too");
    assert_eq!(
        app.get("/models", Some(&cookie)).await.status,
        200,
        "still signed in"
    );
    let out = app
        .post_form("/signout", Some(&cookie), &format!("csrf={token}"))
        .await;
    assert_eq!(out.status, 303);
    assert!(out.set_cookie.unwrap().contains("Max-Age=0"));
    assert_eq!(
        app.get("/models", Some(&cookie)).await.status,
        303,
        "signed out"
    );
}
web_case!(csrf, HOURS_8, a_form_without_its_csrf_token_is_refused);

async fn a_one_time_link_signs_in_once(app: &WebApp) {
    let token = app.state.web.one_time_token(&app.admin_key);
    let path = format!("/signin/once?token={token}");
    let first = app.get(&path, None).await;
    assert_eq!(first.status, 303);
    assert_eq!(first.location.as_deref(), Some("/"));
    let cookie = first.set_cookie.expect("cookie");
    let cookie = cookie.split(';').next().unwrap();
    assert_eq!(app.get("/models", Some(cookie)).await.status, 200);
    let again = app.get(&path, None).await;
    assert_eq!(again.status, 401, "a spent link is refused");
    assert!(again.set_cookie.is_none());
}
web_case!(one_time, HOURS_8, a_one_time_link_signs_in_once);

async fn a_read_key_cannot_use_admin_forms(app: &WebApp) {
    let read = app.key_with(&[Scope::Read]).await;
    let cookie = app.sign_in(&read).await;
    let page = app.get("/models", Some(&cookie)).await;
    assert!(page.body.contains("(read)"), "{}", page.body);
    let token = csrf_of(&page.body);
    let p = app
        .post_form(
            "/models/win/rollback",
            Some(&cookie),
            &format!("csrf={token}"),
        )
        .await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("admin key"), "{}", p.body);
}
web_case!(read_key, HOURS_8, a_read_key_cannot_use_admin_forms);
