//! Browser sessions: an API key signs in once, the browser then holds only a random session
//! token in an `HttpOnly` cookie. Sessions live in memory (a restart signs everyone out), expire,
//! and carry a per-session CSRF token that every state-changing form must send back.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::WebError;
use crate::api::AppState;
use crate::service::{self, Principal, Scope};

/// The session cookie's name.
pub const COOKIE: &str = "revcast_session";
/// How long a session lasts after sign-in (8 hours).
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// How long a one-time sign-in link stays valid (15 minutes).
pub const ONE_TIME_TTL: Duration = Duration::from_secs(15 * 60);
/// More live sessions than this and the oldest expired ones are dropped first.
const MAX_SESSIONS: usize = 10_000;

/// A signed-in browser. The API key stays on the server; it is checked again on every page, so
/// revoking the key ends its sessions.
#[derive(Clone)]
struct Session {
    key: String,
    csrf: String,
    expires: Instant,
}

/// The live sessions and one-time sign-in tokens of this process.
pub struct Sessions {
    ttl: Duration,
    sessions: Mutex<HashMap<String, Session>>,
    once: Mutex<HashMap<String, (String, Instant)>>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions::with_ttl(SESSION_TTL)
    }
}

/// 32 random bytes from the operating system, as 64 hex digits.
fn token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Compares without stopping at the first difference, so timing tells nothing of the token.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Sessions {
    /// Sessions lasting `ttl` (tests use a short one to see expiry).
    pub fn with_ttl(ttl: Duration) -> Self {
        Sessions {
            ttl,
            sessions: Mutex::new(HashMap::new()),
            once: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a session for `key` (already checked); returns its token.
    fn start(&self, key: &str) -> String {
        let mut map = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| s.expires > now);
        }
        let t = token();
        let s = Session {
            key: key.to_string(),
            csrf: token(),
            expires: now + self.ttl,
        };
        map.insert(t.clone(), s);
        t
    }

    fn get(&self, token: &str) -> Option<Session> {
        let mut map = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(token) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                map.remove(token);
                None
            }
            None => None,
        }
    }

    fn end(&self, token: &str) {
        let mut map = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(token);
    }

    /// A link token that signs in as `key` once, within [`ONE_TIME_TTL`].
    pub fn one_time_token(&self, key: &str) -> String {
        let mut map = self.once.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, (_, at)| *at > now);
        let t = token();
        map.insert(t.clone(), (key.to_string(), now + ONE_TIME_TTL));
        t
    }

    /// The key of a one-time token, which is spent whether or not it is still valid.
    fn redeem(&self, token: &str) -> Option<String> {
        let mut map = self.once.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(token)
            .filter(|(_, at)| *at > Instant::now())
            .map(|(k, _)| k)
    }
}

/// The signed-in user of a page.
pub struct Viewer {
    pub principal: Principal,
    /// The session's CSRF token, to put in every form that changes something.
    pub csrf: String,
    token: String,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.principal.allows(Scope::Admin)
    }

    /// Refuses a form whose CSRF token is missing or is not this session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), WebError> {
        match sent {
            Some(s) if same(s, &self.csrf) => Ok(()),
            _ => Err(WebError::Forbidden(
                "the form's CSRF token is missing or stale; reload the page and try again".into(),
            )),
        }
    }
}

/// The principal of a key that may read pages, or the reason it may not.
async fn check_key(state: &AppState, key: &str) -> Result<Principal, WebError> {
    let p = service::authenticate(&state.store, key)
        .await?
        .ok_or(WebError::BadKey)?;
    if !p.allows(Scope::Read) {
        return Err(WebError::Forbidden(
            "this API key lacks the `read` scope the pages need".into(),
        ));
    }
    Ok(p)
}

/// The viewer of a request, from its session cookie; [`WebError::SignIn`] without a live session.
pub async fn viewer(req: &HttpRequest, state: &AppState) -> Result<Viewer, WebError> {
    let token = req
        .cookie(COOKIE)
        .ok_or(WebError::SignIn)?
        .value()
        .to_string();
    let s = state.web.get(&token).ok_or(WebError::SignIn)?;
    match check_key(state, &s.key).await {
        Ok(principal) => Ok(Viewer {
            principal,
            csrf: s.csrf,
            token,
        }),
        Err(WebError::BadKey) => {
            state.web.end(&token);
            Err(WebError::SignIn)
        }
        Err(e) => Err(e),
    }
}

/// Checks `key` and starts a session; returns the cookie to set.
pub async fn sign_in(state: &AppState, key: &str) -> Result<Cookie<'static>, WebError> {
    check_key(state, key.trim()).await?;
    let t = state.web.start(key.trim());
    Ok(cookie(t, state.web.ttl))
}

/// Spends a one-time link token and starts a session; returns the cookie to set.
pub async fn sign_in_once(state: &AppState, token: &str) -> Result<Cookie<'static>, WebError> {
    let key = state.web.redeem(token).ok_or(WebError::BadLink)?;
    sign_in(state, &key).await
}

/// Ends the viewer's session; returns the cookie that clears it in the browser.
pub fn sign_out(state: &AppState, v: &Viewer) -> Cookie<'static> {
    state.web.end(&v.token);
    cookie(String::new(), Duration::ZERO)
}

fn cookie(value: String, max_age: Duration) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        // Lax, not Strict: the demo's one-time link arrives from outside the site, and a
        // Strict cookie would not follow its redirect. Every POST also needs the CSRF token.
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(max_age.as_secs() as i64))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_expires_after_its_ttl() {
        let s = Sessions::with_ttl(Duration::from_millis(20));
        let t = s.start("k");
        assert!(s.get(&t).is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(s.get(&t).is_none());
    }

    #[test]
    fn a_one_time_token_works_once() {
        let s = Sessions::default();
        let t = s.one_time_token("k");
        assert_eq!(s.redeem(&t).as_deref(), Some("k"));
        assert_eq!(s.redeem(&t), None);
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (token(), token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same(&a, &a.clone()) && !same(&a, &b));
    }
}
