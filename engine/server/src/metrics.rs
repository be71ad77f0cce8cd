//! Prometheus metrics (`GET /metrics`, OpenMetrics text): decisions by outcome and by member,
//! latency, errors, reloads and the bundle being served.

use crate::loaded::BundleIdentity;
use fivesafes_core::{Decision, Outcome};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    endpoint: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MemberLabels {
    member: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BundleLabels {
    federation: String,
    version: String,
    hash: String,
    engine: &'static str,
    signature: String,
}

/// What went wrong, as the errors counter labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A request that could not be read (a deny naming the error).
    InvalidInput,
    /// The engine could not answer (a deny naming the error).
    Engine,
    /// The decision log could not record a decision (the client was not given it).
    Log,
    /// Refused: too many requests in flight.
    Overloaded,
    /// The request took longer than the timeout.
    Timeout,
    /// A bundle reload was refused.
    Reload,
}

impl ErrorKind {
    fn label(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Engine => "engine",
            ErrorKind::Log => "log",
            ErrorKind::Overloaded => "overloaded",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reload => "reload",
        }
    }
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    decisions: Family<DecisionLabels, Counter>,
    members: Family<MemberLabels, Counter>,
    latency: Family<EndpointLabels, Histogram>,
    errors: Family<ErrorLabels, Counter>,
    reloads: Family<ResultLabels, Counter>,
    bundle: Family<BundleLabels, Gauge>,
    in_flight: Gauge,
    cache: Family<ResultLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("fivesafes");
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register("decisions", "Decisions made, by endpoint and overall outcome", decisions.clone());
        let members = Family::<MemberLabels, Counter>::default();
        registry.register("member_decisions", "Per-member outcomes of the decisions made", members.clone());
        let latency = Family::<EndpointLabels, Histogram>::new_with_constructor(|| {
            // 50 us to about 6.5 s.
            Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
        });
        registry.register(
            "request_duration_seconds",
            "Time from a request's arrival to its answer, by endpoint",
            latency.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register("errors", "Errors, by kind", errors.clone());
        let reloads = Family::<ResultLabels, Counter>::default();
        registry.register("bundle_reloads", "Bundle reloads, by result", reloads.clone());
        let bundle = Family::<BundleLabels, Gauge>::default();
        registry.register("bundle_info", "The bundle being served (value 1)", bundle.clone());
        let in_flight = Gauge::default();
        registry.register("requests_in_flight", "Requests being answered", in_flight.clone());
        let cache = Family::<ResultLabels, Counter>::default();
        registry.register(
            "decision_cache_lookups",
            "Requests looked up in the cache of decisions already made under the bundle, by result",
            cache.clone(),
        );
        Metrics { registry, decisions, members, latency, errors, reloads, bundle, in_flight, cache }
    }

    /// A decision was made at `endpoint`.
    pub fn decision(&self, endpoint: &'static str, decision: &Decision) {
        self.decisions.get_or_create(&DecisionLabels { endpoint, outcome: outcome(decision.decision) }).inc();
        for m in &decision.members {
            self.members.get_or_create(&MemberLabels { member: m.member.clone(), outcome: outcome(m.outcome) }).inc();
        }
    }

    /// A request was looked up in the decision cache.
    pub fn cache_lookup(&self, hit: bool) {
        self.cache.get_or_create(&ResultLabels { result: if hit { "hit" } else { "miss" } }).inc();
    }

    /// An error of `kind`.
    pub fn error(&self, kind: ErrorKind) {
        self.errors.get_or_create(&ErrorLabels { kind: kind.label() }).inc();
    }

    /// A request at `endpoint` took `seconds`.
    pub fn latency(&self, endpoint: &str, seconds: f64) {
        self.latency.get_or_create(&EndpointLabels { endpoint: endpoint.to_owned() }).observe(seconds);
    }

    /// A reload succeeded or was refused.
    pub fn reload(&self, ok: bool) {
        self.reloads.get_or_create(&ResultLabels { result: if ok { "success" } else { "failure" } }).inc();
        if !ok {
            self.error(ErrorKind::Reload);
        }
    }

    /// The bundle now served.
    pub fn serving(&self, identity: &BundleIdentity) {
        self.bundle.clear();
        let labels = BundleLabels {
            federation: identity.federation.clone(),
            version: identity.version.clone(),
            hash: identity.hash.clone(),
            engine: match identity.engine {
                crate::loaded::EngineKind::Native => "native",
                crate::loaded::EngineKind::Wasm => "wasm",
            },
            signature: identity.artifact.as_ref().map(|a| a.signature.status.clone()).unwrap_or_else(|| "none".into()),
        };
        self.bundle.get_or_create(&labels).set(1);
    }

    /// Requests being answered.
    pub fn in_flight(&self) -> &Gauge {
        &self.in_flight
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text = "# the metrics could not be encoded\n".into();
        }
        text
    }
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Allow => "allow",
        Outcome::Review => "review",
        Outcome::Deny => "deny",
    }
}
