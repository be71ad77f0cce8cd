//! Running the service: serve until told to stop, reload on SIGHUP, drain in-flight requests
//! on SIGTERM or SIGINT, then flush and close the decision log.

use crate::state::AppState;
use std::future::Future;
use std::sync::Arc;

/// Why the service stopped badly.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ServeError {
    /// The listener failed.
    #[error("the service stopped: {0}")]
    #[diagnostic(code(fivesafes::serve::io))]
    Io(String),
    /// In-flight requests were still running when the drain timeout ended.
    #[error("{0} requests were still in flight when the drain timeout (--drain-timeout-s) ended")]
    #[diagnostic(code(fivesafes::serve::drain))]
    Drain(i64),
    /// The decision log could not be flushed and closed.
    #[error("the decision log could not be closed: {0}")]
    #[diagnostic(code(fivesafes::serve::log), help("run `fivesafes audit verify` on the log's directory"))]
    Log(String),
}

/// Serve on `listener` until `shutdown` completes; then stop accepting, let the requests in
/// flight finish (up to the drain timeout), and flush and close the decision log.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (stop_tx, _) = tokio::sync::watch::channel(false);
    let app = crate::router(Arc::clone(&state));
    let graceful = {
        let mut rx = stop_tx.subscribe();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    let mut server = tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(graceful).await });
    let signalled = {
        let state = Arc::clone(&state);
        async move {
            shutdown.await;
            state.start_draining();
            tracing::info!("shutting down: draining the requests in flight");
            let _ = stop_tx.send(true);
        }
    };
    tokio::pin!(signalled);
    let mut drained = tokio::select! {
        served = &mut server => Some(served),
        () = &mut signalled => None,
    };
    if drained.is_none() {
        drained = tokio::time::timeout(state.config.drain_timeout, &mut server).await.ok();
    }
    let result = match drained {
        Some(Ok(Ok(()))) => Ok(()),
        Some(Ok(Err(e))) => Err(ServeError::Io(e.to_string())),
        Some(Err(e)) => Err(ServeError::Io(e.to_string())),
        None => {
            server.abort();
            Err(ServeError::Drain(state.metrics.in_flight().get()))
        }
    };
    let mut closed = close_log(&state).await;
    if let (Ok(()), Some(failure)) = (&closed, state.log_failure()) {
        // The log stopped at a failed write: what it holds ends at the last entry recorded,
        // perhaps with a torn line the next start recovers.
        closed = Err(ServeError::Log(format!(
            "it stopped at a failed append earlier ({failure}); the next start recovers its last complete entry"
        )));
    }
    tracing::info!("stopped");
    result.and(closed)
}

/// Flush and close the decision log (after the last decision).
async fn close_log(state: &AppState) -> Result<(), ServeError> {
    let Some(log) = state.take_log() else { return Ok(()) };
    tokio::task::spawn_blocking(move || match Arc::try_unwrap(log) {
        Ok(log) => log.close(),
        // A decision abandoned by the drain timeout still holds it: flush what is written.
        Err(shared) => shared.flush(),
    })
    .await
    .map_err(|e| ServeError::Log(e.to_string()))?
    .map_err(|e| ServeError::Log(e.to_string()))?;
    tracing::info!("decision log flushed and closed");
    Ok(())
}

/// Completes on SIGTERM or SIGINT; meanwhile reloads the bundle on every SIGHUP.
#[cfg(unix)]
pub async fn signals(state: Arc<AppState>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) =
        (signal(SignalKind::hangup()), signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::error!("cannot listen for signals; stop the service with SIGKILL");
        return std::future::pending().await;
    };
    loop {
        tokio::select! {
            _ = hup.recv() => {
                let _ = state.reload("SIGHUP").await;
            }
            _ = term.recv() => { tracing::info!("SIGTERM"); return; }
            _ = int.recv() => { tracing::info!("SIGINT"); return; }
        }
    }
}

/// Completes on Ctrl-C (no SIGHUP reloads off Unix: use the admin endpoint).
#[cfg(not(unix))]
pub async fn signals(_state: Arc<AppState>) {
    let _ = tokio::signal::ctrl_c().await;
}
