//! Ingestion and read-back of the CRM entities: `POST /v1/{entity}` (a batch upsert),
//! `GET /v1/{entity}/{id}` and `GET /v1/{entity}?limit=&after=`.
//!
//! The handlers are generic over the entity; a macro stamps out the thin, documented wrappers the
//! OpenAPI spec needs (one per entity and verb).

use crate::api::params::Query;
use actix_web::web::{self, Json, Path};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::{Authed, IngestScope, ReadScope};
use crate::api::error::ApiError;
use crate::api::AppState;
use crate::domain::Record;
use crate::service;
use crate::store::UpsertCounts;

/// Paging of a listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Return records whose key sorts after this one (the `next_after` of the previous page).
    pub after: Option<String>,
    /// Only stage events, snapshots or churn events of this opportunity or account, or quotas of this rep.
    pub parent: Option<String>,
}

/// A page of records and the cursor to the next.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T: ToSchema> {
    pub data: Vec<T>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_after: Option<String>,
}

pub(crate) async fn upsert<T: Record>(
    state: &AppState,
    rows: Vec<Box<RawValue>>,
) -> Result<Json<UpsertCounts>, ApiError> {
    Ok(Json(
        service::ingest_raw::<T>(&state.store, &state.rescorer, &rows).await?,
    ))
}

pub(crate) async fn get_one<T: Record>(state: &AppState, id: &str) -> Result<Json<T>, ApiError> {
    let id = crate::api::params::path_text("id", id)?;
    match state.store.get::<T>(id).await? {
        Some(r) => Ok(Json(r)),
        None => Err(ApiError::not_found(format!(
            "no {} with id `{}`",
            T::PATH.trim_end_matches('s'),
            crate::domain::truncate_for_message(id, 80)
        ))),
    }
}

pub(crate) async fn list<T: Record + ToSchema>(
    state: &AppState,
    params: ListParams,
) -> Result<Json<PageOf<T>>, ApiError> {
    let limit = crate::api::params::page_limit(params.limit, 100)?;
    let filter = match (params.parent.as_deref(), T::PARENT) {
        (Some(v), Some(c)) => Some((c, v)),
        (Some(_), None) => {
            return Err(ApiError::bad_request(
                "parent",
                format!("{} have no parent to filter by", T::PATH),
            ))
        }
        (None, _) => None,
    };
    let page = state
        .store
        .page::<T>(params.after.as_deref(), limit, filter)
        .await?;
    Ok(Json(PageOf {
        data: page.items.into_iter().map(|(_, r)| r).collect(),
        next_after: page.next_after,
    }))
}

/// Stamps out the documented handlers of each entity, a `configure` function for each, and one
/// for them all.
macro_rules! record_routes {
    ($($module:ident: $T:ty,)*) => {$(
        pub mod $module {
            use super::*;

            /// Upsert a batch by the CRM's ids: all rows or none.
            #[utoipa::path(post, path = format!("/v1/{}", <$T>::PATH), tag = "ingest",
                request_body(content = Vec<$T>, description = "1 to 50,000 rows"),
                responses(
                    (status = 200, description = "Counts of inserted, updated and unchanged rows", body = UpsertCounts),
                    (status = 400, description = "Malformed JSON", body = crate::api::error::ErrorResponse),
                    (status = 401, description = "No or unknown API key", body = crate::api::error::ErrorResponse),
                    (status = 403, description = "The key lacks the ingest scope", body = crate::api::error::ErrorResponse),
                    (status = 413, description = "Body too large", body = crate::api::error::ErrorResponse),
                    (status = 415, description = "The body is not sent as application/json", body = crate::api::error::ErrorResponse),
                    (status = 422, description = "Invalid rows, each named by index and field; nothing written", body = crate::api::error::ErrorResponse),
                    (status = 503, description = "Database unavailable", body = crate::api::error::ErrorResponse),
                ),
                security(("bearer" = ["ingest"])))]
            pub async fn create(
                _auth: Authed<IngestScope>,
                state: web::Data<AppState>,
                body: Json<Vec<Box<RawValue>>>,
            ) -> Result<Json<UpsertCounts>, ApiError> {
                upsert::<$T>(&state, body.into_inner()).await
            }

            /// Read one record by its key.
            #[utoipa::path(get, path = format!("/v1/{}/{{id}}", <$T>::PATH), tag = "ingest",
                params(("id" = String, Path, description = "The CRM id (or composite key)")),
                responses(
                    (status = 200, description = "The record", body = $T),
                    (status = 401, description = "No or unknown API key", body = crate::api::error::ErrorResponse),
                    (status = 403, description = "The key lacks the read scope", body = crate::api::error::ErrorResponse),
                    (status = 404, description = "No such record", body = crate::api::error::ErrorResponse),
                    (status = 503, description = "Database unavailable", body = crate::api::error::ErrorResponse),
                ),
                security(("bearer" = ["read"])))]
            pub async fn read(
                _auth: Authed<ReadScope>,
                state: web::Data<AppState>,
                id: Path<String>,
            ) -> Result<Json<$T>, ApiError> {
                get_one::<$T>(&state, &id).await
            }

            /// List records in key order, a page at a time.
            #[utoipa::path(get, path = format!("/v1/{}", <$T>::PATH), tag = "ingest",
                params(ListParams),
                responses(
                    (status = 200, description = "A page of records", body = PageOf<$T>),
                    (status = 400, description = "Bad paging parameters", body = crate::api::error::ErrorResponse),
                    (status = 401, description = "No or unknown API key", body = crate::api::error::ErrorResponse),
                    (status = 403, description = "The key lacks the read scope", body = crate::api::error::ErrorResponse),
                    (status = 503, description = "Database unavailable", body = crate::api::error::ErrorResponse),
                ),
                security(("bearer" = ["read"])))]
            pub async fn index(
                _auth: Authed<ReadScope>,
                state: web::Data<AppState>,
                params: Query<ListParams>,
            ) -> Result<Json<PageOf<$T>>, ApiError> {
                list::<$T>(&state, params.into_inner()).await
            }

            pub fn configure(cfg: &mut web::ServiceConfig) {
                cfg.service(
                    web::resource(format!("/v1/{}", <$T>::PATH))
                        .route(web::post().to(create))
                        .route(web::get().to(index))
                        .default_service(web::to(crate::api::error::method_not_allowed)),
                )
                .service(
                    web::resource(format!("/v1/{}/{{id}}", <$T>::PATH))
                        .route(web::get().to(read))
                        .default_service(web::to(crate::api::error::method_not_allowed)),
                );
            }
        }
    )*

        /// The routes of every entity.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(cfg.configure($module::configure);)*
        }
    };
}

crate::with_entities!(record_routes);
