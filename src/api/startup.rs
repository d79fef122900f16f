//! Building and running the HTTP server. Binding happens in `build`, so tests can bind port 0 and
//! ask for `port()`.

use actix_web::dev::Server;
use actix_web::error::QueryPayloadError;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpRequest, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;

use super::error::{ApiError, ErrorCode};
use super::{body, metrics, openapi, params, routes, AppState};

/// Largest request body accepted, in bytes (a 50,000-row batch of leads fits).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub bind: String,
    /// Worker threads (default: one per core).
    pub workers: Option<usize>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Compute the web app's default pages' numbers whenever the data settles
    /// ([`crate::service::warm`]); `revcast serve` and `demo` do, tests mostly do not.
    pub warm_pages: bool,
}

impl Settings {
    pub fn new(bind: impl Into<String>) -> Self {
        Settings {
            bind: bind.into(),
            workers: None,
            max_body_bytes: MAX_BODY_BYTES,
            warm_pages: false,
        }
    }
}

pub struct Application {
    server: Server,
    port: u16,
}

impl Application {
    /// Binds, and starts the model upkeep on the current runtime (call it from within one).
    pub fn build(settings: &Settings, state: Arc<AppState>) -> anyhow::Result<Application> {
        use anyhow::Context;
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("failed to bind {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        state.keys.clone().start(state.store.clone());
        state.store.watch_sqlite_file();
        crate::service::jobs::start_upkeep(state.store.clone());
        crate::service::models::upkeep::start(
            state.store.clone(),
            state.registry.clone(),
            state.rescorer.clone(),
        );
        if settings.warm_pages {
            crate::service::models::upkeep::keep_pages_warm(
                state.store.clone(),
                state.registry.clone(),
            );
        }
        let data = web::Data::from(state);
        let limit = settings.max_body_bytes;
        let mut server =
            HttpServer::new(move || {
                App::new()
                    .app_data(data.clone())
                    .app_data(json_config(limit))
                    .app_data(body::BodyLimit(limit))
                    .app_data(web::QueryConfig::default().error_handler(query_error))
                    .app_data(web::PathConfig::default().error_handler(|e, _| {
                        ApiError::new(ErrorCode::NotFound, e.to_string()).into()
                    }))
                    .wrap(from_fn(params::check_query))
                    .wrap(from_fn(metrics::record))
                    .wrap(from_fn(super::access::log))
                    .configure(routes::ops::configure)
                    .configure(routes::scoring::configure)
                    .configure(routes::bulk::configure)
                    .configure(routes::models::configure)
                    .configure(routes::kpis::configure)
                    .configure(routes::churn::configure)
                    .configure(routes::pipeline::configure)
                    .configure(routes::forecast::configure)
                    .configure(routes::series::configure)
                    .configure(routes::quotas::configure)
                    .configure(routes::records::configure)
                    .configure(openapi::configure)
                    .configure(crate::web::configure)
                    .default_service(web::to(not_found))
            })
            .listen(listener)?
            .shutdown_timeout(30);
        if let Some(w) = settings.workers {
            server = server.workers(w);
        }
        Ok(Application {
            server: server.run(),
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or Ctrl-C; in-flight requests finish first (graceful shutdown).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|e, _req| body::json_error(e).into())
}

fn query_error(e: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let message = match &e {
        QueryPayloadError::Deserialize(d) => d.to_string(),
        other => other.to_string(),
    };
    ApiError::new(
        ErrorCode::BadRequest,
        format!("invalid query parameters: {message}"),
    )
    .into()
}

async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}
