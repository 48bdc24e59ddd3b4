//! `/metrics`, in the Prometheus text format (`prometheus-client`). Labels hold outcomes and reason kinds only,
//! never a principal, a path or a credential.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A decision's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    /// `allowed`, `unauthenticated`, `forbidden`, `bad_request`, ...
    pub outcome: &'static str,
    /// The reason kind (`granted`, `deny_assignment`, `expired`, ...).
    pub reason: &'static str,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    /// Decisions by outcome and reason.
    pub decisions: Family<DecisionLabels, Counter>,
    /// Time from a request's head to its decision, in seconds.
    pub latency: Histogram,
    /// Reloads that swapped a snapshot in.
    pub reloads: Counter,
    /// Reloads that kept the old snapshot.
    pub reload_failures: Counter,
    /// The generation of the snapshot in use.
    pub generation: Gauge,
    /// Seconds since the snapshot in use was loaded.
    pub snapshot_age: Gauge<f64, AtomicU64>,
    /// Requests being answered.
    pub in_flight: Gauge,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("rolegate");
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register("decisions", "Decisions by outcome and reason kind", decisions.clone());
        // 1 µs to about 4 s.
        let latency = Histogram::new(exponential_buckets(1e-6, 2.0, 22));
        registry.register("decision_latency_seconds", "Time from a request's head to its decision", latency.clone());
        let reloads = Counter::default();
        registry.register("reloads", "Reloads that swapped a new snapshot in", reloads.clone());
        let reload_failures = Counter::default();
        registry.register("reload_failures", "Reloads that kept the snapshot in use", reload_failures.clone());
        let generation = Gauge::default();
        registry.register("snapshot_generation", "The generation of the snapshot in use", generation.clone());
        let snapshot_age = Gauge::<f64, AtomicU64>::default();
        registry.register("snapshot_age_seconds", "Seconds since the snapshot in use was loaded", snapshot_age.clone());
        let in_flight = Gauge::default();
        registry.register("in_flight_requests", "Requests being answered", in_flight.clone());
        Metrics { registry, decisions, latency, reloads, reload_failures, generation, snapshot_age, in_flight }
    }

    /// The text exposition, with the snapshot's age as of now.
    pub fn encode(&self, loaded_at: Option<Instant>) -> Result<String, std::fmt::Error> {
        self.snapshot_age.set(loaded_at.map_or(0.0, |t| t.elapsed().as_secs_f64()));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
