//! Prometheus metrics: requests by route and status, and latency histograms by route.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use super::AppState;
use crate::service::models::monitor::MonitorCounts;
use crate::service::models::ModelRegistry;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<(String, String), Histogram>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *m.requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let h = m
            .latency
            .entry((method.to_string(), route.to_string()))
            .or_default();
        h.count += 1;
        h.sum += seconds;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.counts[i] += 1;
            }
        }
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str(
            "# HELP revcast_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE revcast_http_requests_total counter\n");
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "revcast_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP revcast_http_request_duration_seconds HTTP request latency by method and route.\n");
        out.push_str("# TYPE revcast_http_request_duration_seconds histogram\n");
        for ((method, route), h) in &m.latency {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "revcast_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "revcast_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "revcast_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "revcast_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out
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
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    if let Some(state) = state {
        state.metrics.observe(
            &method,
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
