//! `fivesafes serve`: the gateway decision service (docs/serve.md).

use crate::exit::Exit;
use fivesafes_audit::files::{DecisionLog, Durability, LogConfig};
use fivesafes_host::{HostOptions, keys};
use fivesafes_server::{AppState, LoadError, Loaded, Loader, ServiceConfig};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// When a decision is durable in the log.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum DurabilityArg {
    /// fsync before a decision is answered: nothing answered is lost, whatever crashes.
    Strict,
    /// Answer once written; sync in groups (--group-interval-ms, --group-max-entries): a
    /// machine crash loses at most the last group, a process crash nothing.
    Group,
}

/// The service's trace log format (on standard error).
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum TraceFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// Arguments of `fivesafes serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A federation bundle directory (as `decide --bundle`); default: the embedded example
    /// federation. Reloads read it again.
    #[arg(long, conflicts_with = "artifact")]
    bundle: Option<PathBuf>,
    /// An extra vocabulary (Turtle, N-Triples, RDF/XML, JSON-LD); repeatable.
    #[arg(long, conflicts_with = "artifact")]
    vocab: Vec<PathBuf>,
    /// A gateway artifact (`fivesafes build`): decisions are made by its WebAssembly engine in
    /// wasmtime sandboxes. Reloads read the file again.
    #[arg(long)]
    artifact: Option<PathBuf>,
    /// A trusted public key (SPKI PEM); repeatable. With any, the artifact must be signed by one
    /// of them (and a reload to an artifact that is not is refused).
    #[arg(long, requires = "artifact")]
    trust: Vec<PathBuf>,
    /// Sandboxes deciding in parallel with --artifact (default: the number of CPUs).
    #[arg(long, requires = "artifact")]
    instances: Option<usize>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8181")]
    listen: String,
    /// The decision log's directory (created if missing; recovered if a crash tore its end).
    #[arg(long, value_name = "DIR", required_unless_present = "no_log")]
    log: Option<PathBuf>,
    /// Do not log decisions (for trying the service out; a TRE must log every decision).
    #[arg(long, conflicts_with = "log")]
    no_log: bool,
    /// When a decision is durable in the log.
    #[arg(long, value_enum, default_value = "strict")]
    durability: DurabilityArg,
    /// Group commit: sync when the oldest unsynced decision is this old (milliseconds).
    #[arg(long, default_value_t = 10)]
    group_interval_ms: u64,
    /// Group commit: sync when this many decisions are unsynced (appends wait beyond it).
    #[arg(long, default_value_t = 4096)]
    group_max_entries: u64,
    /// Rotate `decisions.log` before it would grow past this many bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    log_max_bytes: u64,
    /// A file holding the bearer token of `POST /v1/admin/reload` (the endpoint is off without
    /// one). The environment variable FIVESAFES_ADMIN_TOKEN works too.
    #[arg(long, value_name = "FILE")]
    admin_token_file: Option<PathBuf>,
    /// The largest request body accepted (413 above it).
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// The longest a request may take, in milliseconds (503 after it).
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Requests answered at once; more are refused at once with 503 and Retry-After.
    #[arg(long, default_value_t = 1024)]
    max_concurrency: usize,
    /// How long a shutdown (SIGTERM, SIGINT) waits for the requests in flight, in seconds.
    #[arg(long, default_value_t = 30)]
    drain_timeout_s: u64,
    /// Bytes of decisions kept for requests repeated verbatim, answered again without deciding
    /// again (still each a decision of its own, logged); 0 turns it off. A decision depends
    /// on the bundle and the request's text alone, and a reload empties the cache.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    decision_cache_bytes: u64,
    /// The trace log's format (standard error; the level is set by FIVESAFES_LOG, e.g.
    /// `debug` for a line per decision; default `info`).
    #[arg(long, value_enum, default_value = "text")]
    trace_format: TraceFormat,
    /// Worker threads (default: the number of CPUs).
    #[arg(long)]
    workers: Option<usize>,
}

/// Run the service until SIGTERM or SIGINT. Exit 0 after a clean shutdown; 4 when the bundle
/// or artifact cannot be loaded; 5 when the log, the token file or the address cannot be
/// opened; 1 when the shutdown could not drain or close the log.
pub fn run(args: &Args) -> Exit {
    init_tracing(args.trace_format);
    let loader = match loader(args) {
        Ok(l) => l,
        Err(exit) => return exit,
    };
    let loaded = match loader() {
        Ok(l) => l,
        Err(e) => return crate::fail(e, Exit::InvalidBundle),
    };
    let admin_token = match admin_token(args) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let log = match &args.log {
        None => None,
        Some(dir) => match open_log(args, dir) {
            Ok(log) => Some(log),
            Err(exit) => return exit,
        },
    };
    let config = ServiceConfig {
        max_body_bytes: args.max_body_bytes,
        timeout: Duration::from_millis(args.timeout_ms),
        max_concurrency: args.max_concurrency,
        drain_timeout: Duration::from_secs(args.drain_timeout_s),
        admin_token,
        decision_cache_bytes: args.decision_cache_bytes,
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(n) = args.workers {
        runtime.worker_threads(n.max(1));
    }
    let runtime = match runtime.build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the service's runtime: {e}");
            return Exit::Failed;
        }
    };
    let identity = loaded.identity.clone();
    let state = AppState::new(loaded, loader, log, config);
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on `{}`: {e}", args.listen);
                return Exit::CannotRead;
            }
        };
        let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| args.listen.clone());
        tracing::info!(
            address = %address,
            federation = %identity.federation,
            version = %identity.version,
            bundle = %identity.hash,
            engine = ?identity.engine,
            log = %args.log.as_ref().map(|d| d.display().to_string()).unwrap_or_else(|| "off".into()),
            durability = ?args.durability,
            "listening"
        );
        let shutdown = fivesafes_server::signals(Arc::clone(&state));
        match fivesafes_server::serve(listener, state, shutdown).await {
            Ok(()) => Exit::Allow,
            Err(e) => crate::fail(e, Exit::Failed),
        }
    })
}

fn init_tracing(format: TraceFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FIVESAFES_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr);
    let _ = match format {
        TraceFormat::Text => builder.try_init(),
        TraceFormat::Json => builder.json().try_init(),
    };
}

/// How the bundle is loaded, at start and at every reload.
fn loader(args: &Args) -> Result<Loader, Exit> {
    if let Some(path) = &args.artifact {
        let mut trusted_keys = Vec::new();
        for key in &args.trust {
            let pem = crate::sources::read(key).map_err(|e| crate::fail(e, Exit::CannotRead))?;
            trusted_keys.push(keys::read_public(&pem).map_err(|e| crate::fail(e, Exit::InvalidInput))?);
        }
        let options = HostOptions { trusted_keys, ..HostOptions::default() };
        let instances =
            args.instances.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
        let path = path.clone();
        return Ok(Arc::new(move || {
            let bytes =
                std::fs::read(&path).map_err(|e| LoadError::new(format!("cannot read `{}`: {e}", path.display())))?;
            Loaded::artifact(&bytes, &options, instances, path.display().to_string())
        }));
    }
    let (dir, vocab) = (args.bundle.clone(), args.vocab.clone());
    Ok(Arc::new(move || {
        let files = crate::sources::collect(None, dir.as_deref(), &vocab).map_err(|e| LoadError::new(e.to_string()))?;
        let source = dir.as_ref().map(|d| d.display().to_string()).unwrap_or_else(|| "embedded".into());
        Loaded::native(&files, source)
    }))
}

fn admin_token(args: &Args) -> Result<Option<String>, Exit> {
    let token = match &args.admin_token_file {
        Some(path) => Some(crate::sources::read(path).map_err(|e| crate::fail(e, Exit::CannotRead))?),
        None => std::env::var("FIVESAFES_ADMIN_TOKEN").ok(),
    };
    match token.map(|t| t.trim().to_owned()) {
        Some(t) if t.len() < 16 => {
            eprintln!("error: the admin token must be at least 16 characters");
            Err(Exit::Usage)
        }
        other => Ok(other),
    }
}

fn open_log(args: &Args, dir: &std::path::Path) -> Result<DecisionLog, Exit> {
    let durability = match args.durability {
        DurabilityArg::Strict => Durability::Strict,
        DurabilityArg::Group => Durability::Group {
            interval: Duration::from_millis(args.group_interval_ms.max(1)),
            max_entries: args.group_max_entries.max(1),
        },
    };
    let config = LogConfig { dir: dir.to_path_buf(), durability, max_file_bytes: args.log_max_bytes.max(1) };
    let log = DecisionLog::open(config).map_err(|e| crate::fail(e, Exit::CannotRead))?;
    let recovered = log.recovered();
    if let Some((file, bytes)) = &recovered.torn {
        tracing::warn!(file = %file.display(), bytes, "cut off a torn last line left by a crash (never acknowledged)");
    }
    tracing::info!(dir = %dir.display(), sequence = recovered.head.sequence, "decision log open");
    Ok(log)
}
