//! Prometheus metrics: requests by route and status, and latency histograms by route, kept by
//! the `prometheus` crate (atomic counters behind a read-mostly map of label sets, instead of a
//! hand-written registry behind one mutex); the served models' monitors are read when scraped.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};
use std::fmt::Write;
use std::time::Instant;

use super::AppState;
use crate::service::models::monitor::MonitorCounts;
use crate::service::models::ModelRegistry;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The HTTP metrics of one server.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = IntCounterVec::new(
            Opts::new(
                "revcast_http_requests_total",
                "HTTP requests by method, route and status.",
            ),
            &["method", "route", "status"],
        )
        .expect("a valid counter");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "revcast_http_request_duration_seconds",
                "HTTP request latency by method and route.",
            )
            .buckets(BUCKETS.to_vec()),
            &["method", "route"],
        )
        .expect("a valid histogram");
        let registry = Registry::new();
        registry
            .register(Box::new(requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        Metrics {
            registry,
            requests,
            latency,
        }
    }
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let code = StatusCode::from_u16(status).ok();
        let status = code.as_ref().map_or("other", StatusCode::as_str);
        self.requests
            .with_label_values(&[method, route, status])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "metrics do not encode");
                String::new()
            })
    }
}

/// A counter of the model monitors: its name, its help text and how to read it.
type MonitorCounter = (&'static str, &'static str, fn(&MonitorCounts) -> u64);

/// The served models' monitors: unrecognised fields and missing features counted over the
/// scoring requests, records scored, and the drift (PSI) of each feature and of the score.
pub fn render_models(registry: &ModelRegistry) -> String {
    let served = registry.served();
    let mut out = String::new();
    let counters: [MonitorCounter; 3] = [
        (
            "revcast_model_scored_records_total",
            "Records scored on request, by model version.",
            |c| c.scored,
        ),
        (
            "revcast_model_unrecognised_fields_total",
            "Fields sent for scoring that the model does not read, by model version.",
            |c| c.unrecognised_fields,
        ),
        (
            "revcast_model_missing_features_total",
            "Model features missing from records sent for scoring, by model version.",
            |c| c.missing_features,
        ),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (m, mon) in &served {
            let _ = writeln!(
                out,
                "{name}{{model=\"{}\",kind=\"{}\"}} {}",
                m.version,
                m.model.spec.kind.as_str(),
                value(&mon.counts())
            );
        }
    }
    out.push_str("# HELP revcast_model_psi Population stability index of a feature (or `score`) between training and the recently scored records.\n# TYPE revcast_model_psi gauge\n");
    for (m, mon) in &served {
        let Some(r) = mon.drift(m) else { continue };
        let psis = r.features.iter().map(|f| (f.feature.as_str(), f.psi));
        for (feature, psi) in psis.chain([("score", r.score_psi)]) {
            let feature = feature.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(
                out,
                "revcast_model_psi{{model=\"{}\",feature=\"{feature}\"}} {psi}",
                m.version
            );
        }
    }
    out
}

/// Middleware: times every request and records it under its route pattern (not its raw path,
/// so ids do not explode the label set).
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let start = Instant::now();
    let method = req.method().clone();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    if let Some(state) = state {
        state.metrics.observe(
            method.as_str(),
            &route,
            res.status().as_u16(),
            start.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/v1/leads/{id}", 200, 0.003);
        m.observe("GET", "/v1/leads/{id}", 404, 0.0004);
        let text = m.render();
        assert!(text.contains(
            "revcast_http_requests_total{method=\"GET\",route=\"/v1/leads/{id}\",status=\"404\"} 1"
        ));
        assert!(text.contains("le=\"0.0005\"} 1"));
        assert!(text.contains("le=\"0.005\"} 2"));
        assert!(text.contains("_count{method=\"GET\",route=\"/v1/leads/{id}\"} 2"));
    }
}
