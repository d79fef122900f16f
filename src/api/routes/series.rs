//! Forecasting many series sent inline, in one call.

use actix_web::web::{self, Json};
use serde_json::value::RawValue;

use crate::api::auth::{Authed, ReadScope};
use crate::api::error::{ApiError, ErrorResponse};
use crate::service::forecast::{self, SeriesBatch, SeriesBatchRequest};

/// Forecast 1 to 20,000 series at once (at most 5,000,000 values in all), in parallel across the
/// cores; each series is forecast exactly as it would be alone. Series with dates get their season
/// from the dates' spacing unless `season` is given; series without dates need `season`. All or
/// nothing: every series that cannot be forecast is named by index, id and field.
#[utoipa::path(post, path = "/v1/forecast/series", tag = "forecast",
    request_body(content = SeriesBatchRequest),
    responses(
        (status = 200, description = "Every series' forecast, in order", body = SeriesBatch),
        (status = 400, description = "Malformed JSON, bad horizon or too many series", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Not JSON", body = ErrorResponse),
        (status = 422, description = "Series that cannot be forecast, named by index and field", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn forecast_series(
    _auth: Authed<ReadScope>,
    body: Json<Box<RawValue>>,
) -> Result<Json<SeriesBatch>, ApiError> {
    let text = body.into_inner().get().to_string();
    Ok(Json(forecast::forecast_series_body(text).await?))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/forecast/series", web::post().to(forecast_series));
}
