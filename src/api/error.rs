//! The one error contract of the API: `{"error": {"code", "message", "details"}}`.
//!
//! Every error code maps to exactly one HTTP status in [`ErrorCode::status`]. 4xx errors tell the
//! caller what to fix; a 5xx never carries internals (the cause is logged, not sent).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

use crate::domain::RowProblem;
use crate::service::ServiceError;
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MalformedJson,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    NoActiveModel,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    DatabaseUnavailable,
    Internal,
}

impl ErrorCode {
    /// The single table from error code to HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::MalformedJson | ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict | ErrorCode::NoActiveModel => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// One thing wrong with the request: which row (for batches), which field, and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// 0-based index of the row in the batch, for batch requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The field (or query parameter) at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    pub details: Vec<ErrorDetail>,
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Vec<ErrorDetail>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn with_details(mut self, details: Vec<ErrorDetail>) -> Self {
        self.details = details;
        self
    }

    pub fn bad_request(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        ApiError::new(
            ErrorCode::BadRequest,
            format!("invalid `{field}`: {reason}"),
        )
        .with_details(vec![ErrorDetail {
            index: None,
            field: Some(field.to_string()),
            reason,
        }])
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::NotFound, what)
    }

    pub fn validation(problems: Vec<RowProblem>) -> Self {
        let rows: std::collections::BTreeSet<usize> = problems.iter().map(|p| p.index).collect();
        let message = format!(
            "{} row(s) of the batch are invalid; nothing was written",
            rows.len()
        );
        let details = problems
            .into_iter()
            .map(|p| ErrorDetail {
                index: Some(p.index),
                field: (!p.field.is_empty()).then_some(p.field),
                reason: p.reason,
            })
            .collect();
        ApiError::new(ErrorCode::ValidationFailed, message).with_details(details)
    }

    pub fn internal() -> Self {
        ApiError::new(ErrorCode::Internal, "internal error; it has been logged")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if self.code == ErrorCode::DatabaseUnavailable {
            res.insert_header((
                actix_web::http::header::RETRY_AFTER,
                RETRY_AFTER_SECONDS.to_string(),
            ));
        }
        res.json(ErrorResponse {
            error: ErrorBody {
                code: self.code,
                message: self.message.clone(),
                details: self.details.clone(),
            },
        })
    }
}

/// Seconds a client is asked to wait (`Retry-After`) before retrying after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 2;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e.surfaced() {
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::new(
                    ErrorCode::DatabaseUnavailable,
                    "the database is unavailable; try again shortly",
                )
            }
            other => {
                tracing::error!(error = ?anyhow::Error::from(other), "store error");
                ApiError::internal()
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(problems) => ApiError::validation(problems),
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::BadInput { field, reason } => ApiError::bad_request(&field, reason),
            ServiceError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            ServiceError::NoActiveModel(message) => {
                ApiError::new(ErrorCode::NoActiveModel, message)
            }
            ServiceError::Store(s) => s.into(),
            ServiceError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ApiError::internal()
            }
        }
    }
}

/// For a known path with a method it does not serve.
pub(crate) async fn method_not_allowed(
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} is not allowed on {}", req.method(), req.path()),
    ))
}
