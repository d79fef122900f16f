//! The HTTP face of revcast (actix-web): routes, API keys, the error contract, metrics and the
//! OpenAPI spec. Handlers extract, parse, make one service call and respond.

pub mod access;
pub mod auth;
pub mod body;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod params;
pub mod routes;
pub(crate) mod startup;

pub use startup::{Application, Settings};

use std::sync::Arc;

use crate::service::models::{ModelRegistry, Rescorer};
use crate::service::KeyRing;
use crate::store::Store;

/// The state every handler shares, built once per process.
pub struct AppState {
    pub store: Store,
    /// The API keys, refreshed in the background (started by `Application::build`).
    pub keys: Arc<KeyRing>,
    pub metrics: metrics::Metrics,
    /// The active models, in memory.
    pub registry: Arc<ModelRegistry>,
    /// Rescores stored records after ingestion and promotion.
    pub rescorer: Arc<Rescorer>,
    /// The web app's browser sessions and one-time sign-in links.
    pub web: crate::web::Sessions,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        AppState {
            store,
            keys: Arc::new(KeyRing::default()),
            metrics: metrics::Metrics::default(),
            registry: Arc::new(ModelRegistry::default()),
            rescorer: Arc::new(Rescorer::default()),
            web: crate::web::Sessions::default(),
        }
    }
}
