//! The web app's test harness: the real server with its state at hand (for one-time links and a
//! short session lifetime), and a browser-like HTTP client that does not follow redirects.

use revcast::api::{AppState, Application, Settings};
use revcast::service::{self, Scope};
use revcast::web::Sessions;
use std::sync::Arc;
use std::time::Duration;

use crate::helpers::{fresh_store, Backend, TempDir};

pub struct WebApp {
    pub address: String,
    pub state: Arc<AppState>,
    pub admin_key: String,
    pub client: reqwest::Client,
    _dir: Option<TempDir>,
}

/// The app on a random port; sessions last `ttl`. None when the backend is not configured.
pub async fn spawn_web(backend: Backend, ttl: Duration) -> Option<WebApp> {
    let (store, dir) = fresh_store(backend).await?;
    let key = service::create_key(&store, "web admin", &[Scope::Admin])
        .await
        .expect("admin key");
    let state = Arc::new(AppState {
        web: Sessions::with_ttl(ttl),
        ..AppState::new(store)
    });
    let app = Application::build(&Settings::new("127.0.0.1:0"), state.clone()).expect("app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Some(WebApp {
        address,
        state,
        admin_key: key.key,
        client,
        _dir: dir,
    })
}

/// A response as a browser sees it: status, Location, Set-Cookie and body.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub body: String,
}

async fn page_of(res: reqwest::Response) -> Page {
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (location, set_cookie) = (header("location"), header("set-cookie"));
    Page {
        status: res.status().as_u16(),
        location,
        set_cookie,
        body: res.text().await.expect("body"),
    }
}

impl WebApp {
    pub async fn key_with(&self, scopes: &[Scope]) -> String {
        service::create_key(&self.state.store, "web test", scopes)
            .await
            .expect("key")
            .key
    }

    /// GET with the session cookie `cookie` (`name=value`), if any.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Page {
        let mut req = self.client.get(format!("{}{path}", self.address));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        page_of(req.send().await.expect("request")).await
    }

    /// POST a form (`a=1&b=2`, already encoded) with the session cookie, if any.
    pub async fn post_form(&self, path: &str, cookie: Option<&str>, form: &str) -> Page {
        let mut req = self
            .client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string());
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        page_of(req.send().await.expect("request")).await
    }

    /// Signs in with `key` through the form; returns the cookie (`name=value`).
    pub async fn sign_in(&self, key: &str) -> String {
        let p = self.post_form("/signin", None, &format!("key={key}")).await;
        assert_eq!(p.status, 303, "{}", p.body);
        let set = p.set_cookie.expect("a session cookie");
        set.split(';').next().unwrap().to_string()
    }
}

/// The CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}
