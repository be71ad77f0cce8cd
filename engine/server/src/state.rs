//! What every request shares: the bundle being served (swapped whole on reload), the decision
//! log, the metrics and the limits.

use crate::cache::DecisionCache;
use crate::loaded::{BundleIdentity, LoadError, Loaded};
use crate::metrics::Metrics;
use arc_swap::{ArcSwap, ArcSwapOption};
use fivesafes_audit::files::DecisionLog;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Loads the bundle again from where it first came from (for reloads): the caller (the CLI)
/// reads the files; the service only swaps.
pub type Loader = Arc<dyn Fn() -> Result<Loaded, LoadError> + Send + Sync>;

/// The service's limits and settings.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The largest request body accepted (413 above it).
    pub max_body_bytes: usize,
    /// The longest a request may take (503 after it).
    pub timeout: Duration,
    /// Requests answered at once; more are refused with 503 at once.
    pub max_concurrency: usize,
    /// How long a shutdown waits for requests in flight.
    pub drain_timeout: Duration,
    /// The bearer token of `POST /v1/admin/reload` (off without one).
    pub admin_token: Option<String>,
    /// Bytes of decisions kept for requests repeated verbatim (`crate::cache`); 0 for none.
    pub decision_cache_bytes: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            max_body_bytes: 1024 * 1024,
            timeout: Duration::from_secs(10),
            max_concurrency: 1024,
            drain_timeout: Duration::from_secs(30),
            admin_token: None,
            decision_cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The state shared by every request.
pub struct AppState {
    current: ArcSwap<Loaded>,
    loader: Loader,
    reloading: tokio::sync::Mutex<()>,
    /// The decision log (none with `--no-log`). Taken out to be closed at shutdown.
    log: ArcSwapOption<DecisionLog>,
    logged: bool,
    log_failure: Mutex<Option<String>>,
    draining: AtomicBool,
    /// The service's metrics.
    pub metrics: Metrics,
    /// Limits and settings.
    pub config: ServiceConfig,
    pub(crate) slots: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// The state of a service that starts with `loaded`.
    pub fn new(mut loaded: Loaded, loader: Loader, log: Option<DecisionLog>, config: ServiceConfig) -> Arc<AppState> {
        loaded.cache = DecisionCache::new(config.decision_cache_bytes);
        let metrics = Metrics::new();
        metrics.serving(&loaded.identity);
        Arc::new(AppState {
            current: ArcSwap::from_pointee(loaded),
            loader,
            reloading: tokio::sync::Mutex::new(()),
            logged: log.is_some(),
            log: ArcSwapOption::from(log.map(Arc::new)),
            log_failure: Mutex::new(None),
            draining: AtomicBool::new(false),
            metrics,
            slots: Arc::new(tokio::sync::Semaphore::new(config.max_concurrency.max(1))),
            config,
        })
    }

    /// The bundle being served. A request keeps the one it started with to its end, whatever
    /// reloads happen meanwhile.
    pub fn loaded(&self) -> Arc<Loaded> {
        self.current.load_full()
    }

    /// Load the bundle again and serve it from the next request on. On any failure the bundle
    /// being served stays, and the error is returned, logged and counted.
    pub async fn reload(&self, why: &str) -> Result<BundleIdentity, LoadError> {
        let _one_at_a_time = self.reloading.lock().await;
        let loader = Arc::clone(&self.loader);
        let loaded = tokio::task::spawn_blocking(move || loader())
            .await
            .unwrap_or_else(|e| Err(LoadError::new(format!("the loading thread failed: {e}"))));
        match loaded {
            Ok(mut loaded) => {
                let previous = self.current.load();
                loaded.identity.generation = previous.identity.generation.saturating_add(1);
                loaded.cache = DecisionCache::new(self.config.decision_cache_bytes);
                let identity = loaded.identity.clone();
                self.current.store(Arc::new(loaded));
                self.metrics.reload(true);
                self.metrics.serving(&identity);
                tracing::info!(
                    reason = why,
                    hash = %identity.hash,
                    version = %identity.version,
                    generation = identity.generation,
                    previous = %previous.identity.hash,
                    "bundle reloaded"
                );
                Ok(identity)
            }
            Err(e) => {
                self.metrics.reload(false);
                let serving = self.current.load();
                tracing::error!(
                    reason = why,
                    error = %e,
                    serving = %serving.identity.hash,
                    "bundle reload refused; the bundle being served stays"
                );
                Err(e)
            }
        }
    }

    /// The decision log: none when decisions are not logged (`--no-log`); an error when they
    /// are and the log is closed (a decision must then not be given).
    pub fn log(&self) -> Result<Option<Arc<DecisionLog>>, String> {
        match (self.logged, self.log.load_full()) {
            (_, Some(log)) => Ok(Some(log)),
            (false, None) => Ok(None),
            (true, None) => Err("the decision log is closed (the service is shutting down)".into()),
        }
    }

    /// Whether decisions are logged.
    pub fn logging(&self) -> bool {
        self.logged
    }

    /// Take the decision log out, to close it (at shutdown).
    pub fn take_log(&self) -> Option<Arc<DecisionLog>> {
        self.log.swap(None)
    }

    /// Record that the log failed (readiness reports it).
    pub fn log_failed(&self, message: &str) {
        if let Ok(mut f) = self.log_failure.lock() {
            f.get_or_insert_with(|| message.to_owned());
        }
    }

    /// The log's first failure, if any.
    pub fn log_failure(&self) -> Option<String> {
        self.log_failure.lock().ok().and_then(|f| f.clone())
    }

    /// Shutting down: not ready, finishing what is in flight.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether the service is shutting down.
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}
