//! The access log: one `info` event a request (method, path with its query, status, microseconds taken)
//! under the target [`TARGET`], as structured fields, so `REVCAST_LOG_FORMAT=json` gives them as
//! JSON keys. The probes (`/healthz`, `/metrics`) are not logged. How the lines reach stderr is
//! the log writer's business (the command line batches this target's lines; see `cli::logs`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Error;
use std::time::Instant;

/// The tracing target of the access log's lines.
pub const TARGET: &str = "revcast::access";

/// Paths polled by probes and scrapers, not logged.
const QUIET: [&str; 2] = ["/healthz", "/metrics"];

/// Middleware: logs every request but the probes once it is answered.
pub async fn log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if QUIET.contains(&req.path()) || !tracing::enabled!(target: TARGET, tracing::Level::INFO) {
        return next.call(req).await;
    }
    let start = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let answer = next.call(req).await;
    let status = match &answer {
        Ok(res) => res.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    tracing::info!(
        target: TARGET,
        method = %method,
        uri = %uri,
        status = status.as_u16(),
        micros = start.elapsed().as_micros() as u64,
        "request"
    );
    answer
}
