//! JSON request bodies: the errors every JSON body answers with (syntax 400, wrong shape 422, too
//! big 413, not JSON 415), and [`JsonBytes`], a body read whole but not parsed, for the bulk
//! scoring endpoints that parse their rows straight from the text.

use actix_web::dev::{Decompress, Payload};
use actix_web::error::JsonPayloadError;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{mime, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;

use super::error::{ApiError, ErrorCode};
use super::startup::MAX_BODY_BYTES;

/// The largest body accepted (app data; [`MAX_BODY_BYTES`] when absent), as `web::JsonConfig`'s.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Maps body errors onto the contract: syntax 400, wrong shape 422, too big 413, not JSON 415.
pub(crate) fn json_error(e: JsonPayloadError) -> ApiError {
    match e {
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is larger than {limit} bytes; send smaller batches"),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonPayloadError::Deserialize(err) | JsonPayloadError::Serialize(err) => {
            use serde_json::error::Category;
            match err.classify() {
                Category::Data => ApiError::new(
                    ErrorCode::ValidationFailed,
                    format!("the body has the wrong shape: {err}"),
                ),
                _ => ApiError::new(ErrorCode::MalformedJson, format!("malformed JSON: {err}")),
            }
        }
        other => ApiError::new(
            ErrorCode::MalformedJson,
            format!("unreadable body: {other}"),
        ),
    }
}

/// A JSON body, read whole (decompressed as `web::Json` does) but not parsed: the same
/// content-type rule, limit and errors as `web::Json`, and one buffer of the announced length
/// instead of one grown chunk by chunk.
#[derive(Debug)]
pub struct JsonBytes(pub Bytes);

fn is_json(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(m)) => m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON),
        _ => false,
    }
}

impl FromRequest for JsonBytes {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let limit = req.app_data::<BodyLimit>().map_or(MAX_BODY_BYTES, |l| l.0);
        let length = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let body = Decompress::from_headers(payload.take(), req.headers());
        Box::pin(async move {
            let mut body = std::pin::pin!(body);
            if !json {
                return Err(json_error(JsonPayloadError::ContentType));
            }
            if let Some(length) = length.filter(|&n| n > limit) {
                return Err(json_error(JsonPayloadError::OverflowKnownLength {
                    length,
                    limit,
                }));
            }
            let mut buf = BytesMut::with_capacity(length.unwrap_or(8192).min(limit));
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| json_error(JsonPayloadError::Payload(e)))?;
                if buf.len() + chunk.len() > limit {
                    return Err(json_error(JsonPayloadError::Overflow { limit }));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(JsonBytes(buf.freeze()))
        })
    }
}
