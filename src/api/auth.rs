//! Bearer API keys with scopes, checked by the `Authed<S>` extractor.
//!
//! Keys are checked against the process's in-memory [`KeyRing`](crate::service::KeyRing), which a
//! background task refreshes from the database every half second: a known key never waits on the
//! database, and scoring keeps working while the database is down.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use super::error::{ApiError, ErrorCode};
use super::AppState;
use crate::service::{Principal, Scope};

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

impl<S: ScopeMarker + 'static> FromRequest for Authed<S> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = bearer(req);
        Box::pin(async move {
            let key = key?;
            let state = state.ok_or_else(ApiError::internal)?;
            let p = state
                .keys
                .authenticate(&state.store, &key)
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
