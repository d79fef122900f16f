//! Bearer API keys with scopes, checked by the `Authed<S>` extractor.
//!
//! Keys are looked up by hash and cached for a few seconds, so that scoring does not need the
//! database on every request and keeps working while the database is down.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::{ApiError, ErrorCode};
use super::AppState;
use crate::service::{self, Principal, Scope};
use crate::store::StoreError;

/// How long a looked-up key is trusted without asking the database again.
const CACHE_TTL: Duration = Duration::from_secs(10);

/// Recently seen keys, by key text. A key revoked elsewhere stops working within `CACHE_TTL`.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (Option<Principal>, Instant)>>,
}

impl KeyCache {
    fn fresh(&self, key: &str) -> Option<Option<Principal>> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(p, _)| p.clone())
    }

    /// Any cached answer, however old: used while the database is unavailable.
    fn stale(&self, key: &str) -> Option<Option<Principal>> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).map(|(p, _)| p.clone())
    }

    fn put(&self, key: &str, p: Option<Principal>) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(key.to_string(), (p, Instant::now()));
    }

    /// Forgets every cached key (after a revocation through this process).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

pub trait ScopeMarker {
    const SCOPE: Scope;
}

macro_rules! scope_marker {
    ($name:ident, $scope:expr) => {
        pub struct $name;
        impl ScopeMarker for $name {
            const SCOPE: Scope = $scope;
        }
    };
}
scope_marker!(ScoreScope, Scope::Score);
scope_marker!(IngestScope, Scope::Ingest);
scope_marker!(ReadScope, Scope::Read);
scope_marker!(AdminScope, Scope::Admin);

/// An authenticated caller holding scope `S` (or admin).
pub struct Authed<S> {
    pub principal: Principal,
    _scope: PhantomData<S>,
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            unauthorized("missing Authorization header; send `Authorization: Bearer KEY`")
        })?;
    let text = header
        .to_str()
        .map_err(|_| unauthorized("malformed Authorization header"))?;
    let (scheme, key) = text
        .trim()
        .split_once(' ')
        .ok_or_else(|| unauthorized("expected `Authorization: Bearer KEY`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || key.trim().is_empty() {
        return Err(unauthorized("expected `Authorization: Bearer KEY`"));
    }
    Ok(key.trim().to_string())
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, message)
}

async fn principal(state: &AppState, key: &str) -> Result<Option<Principal>, ApiError> {
    if let Some(p) = state.keys.fresh(key) {
        return Ok(p);
    }
    match service::authenticate(&state.store, key).await {
        Ok(p) => {
            state.keys.put(key, p.clone());
            Ok(p)
        }
        Err(service::ServiceError::Store(StoreError::Unavailable(cause))) => {
            match state.keys.stale(key) {
                Some(p) => Ok(p),
                None => Err(StoreError::Unavailable(cause).into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

impl<S: ScopeMarker + 'static> FromRequest for Authed<S> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = bearer(req);
        Box::pin(async move {
            let key = key?;
            let state = state.ok_or_else(ApiError::internal)?;
            let p = principal(&state, &key)
                .await?
                .ok_or_else(|| unauthorized("unknown or revoked API key"))?;
            if !p.allows(S::SCOPE) {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    format!("this API key lacks the `{}` scope", S::SCOPE),
                ));
            }
            Ok(Authed {
                principal: p,
                _scope: PhantomData,
            })
        })
    }
}
