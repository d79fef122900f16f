//! Parameters the databases could not hold are bad requests, named, before any handler runs: a
//! query parameter with a NUL character (U+0000) is a 400 naming it, on both backends (PostgreSQL
//! cannot store or compare such text, SQLite would silently match nothing).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpRequest, ResponseError};
use serde::de::DeserializeOwned;
use std::future::{ready, Ready};

use super::error::{ApiError, ErrorCode};
use crate::domain::storable::text_problem;

/// Query parameters parsed into `T` at the edge (grouping, order and kind as their enums). A
/// parameter whose value does not parse, or that the endpoint does not take, is a 400 naming it,
/// with the reason its type gives (the same words as the CLI's).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string into `T`, naming the parameter at fault.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(pairs).map_err(|e| {
        let field = match e.path().iter().collect::<Vec<_>>().as_slice() {
            [serde_path_to_error::Segment::Map { key }] => Some(key.clone()),
            _ => None,
        };
        let reason = e.into_inner().to_string();
        match field {
            Some(f) => ApiError::bad_request(&crate::domain::truncate_for_message(&f, 40), reason),
            None => ApiError::new(
                ErrorCode::BadRequest,
                format!("invalid query parameters: {reason}"),
            ),
        }
    })
}

/// Middleware: answers 400 naming the first query parameter whose name or value cannot be stored.
pub async fn check_query(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if let Some(err) = query_problem(req.query_string()) {
        let res = err.error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn query_problem(query: &str) -> Option<ApiError> {
    // A query that does not decode is left to the handler's own extractor (a 400 there).
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    pairs.into_iter().find_map(|(name, value)| {
        let reason = text_problem(&name).or_else(|| text_problem(&value))?;
        Some(ApiError::bad_request(
            &crate::domain::truncate_for_message(&name.replace('\0', "\\0"), 40),
            reason,
        ))
    })
}

/// A text path parameter (an id), or a 400 naming it when a database could not hold it.
pub fn path_text<'a>(name: &str, value: &'a str) -> Result<&'a str, ApiError> {
    match text_problem(value) {
        Some(reason) => Err(ApiError::bad_request(name, reason)),
        None => Ok(value),
    }
}

/// Most rows one page of any list returns.
pub const MAX_PAGE: i64 = 1000;

/// The `limit` of a paged list: `default` when absent, else 1..=[`MAX_PAGE`] or a 400 naming it.
pub fn page_limit(given: Option<i64>, default: u32) -> Result<u32, ApiError> {
    match given.unwrap_or(i64::from(default)) {
        n @ 1..=MAX_PAGE => Ok(n as u32),
        _ => Err(ApiError::bad_request(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_a_query_value_names_the_parameter() {
        let err = query_problem("limit=5&owner=a%00b").expect("refused");
        assert_eq!(err.details[0].field.as_deref(), Some("owner"));
        assert!(query_problem("limit=5&owner=R-07").is_none());
        assert!(query_problem("after=%E2%9C%93").is_none());
    }

    #[test]
    fn a_nul_in_a_path_id_is_refused() {
        assert!(path_text("id", "a\0b").is_err());
        assert_eq!(path_text("id", "a|b").unwrap(), "a|b");
    }
}
