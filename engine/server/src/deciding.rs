//! Making a decision and recording it, shared by `/v1/decide` and `/v1/check`: the engine the
//! service runs decides (natively, or in a sandbox of the artifact), then the decision is
//! appended to the decision log before anyone is told it. Every failure is a deny that names
//! it: a request that cannot be read, an engine that cannot answer, a log that cannot record.

use crate::loaded::{Loaded, SandboxPool};
use crate::state::AppState;
use fivesafes_audit::files::{DecisionLog, Durability, Receipt};
use fivesafes_audit::{DecisionId, DecisionRecord};
use fivesafes_core::request::DecisionRequest;
use fivesafes_core::{DecideOptions, Decision, RequestError, decide_json_checked};
use fivesafes_host::Sandbox;
use fivesafes_passport::Passport;
use fivesafes_rocrate::{Crate, ReadOptions};
use std::cell::RefCell;
use std::sync::Arc;

/// Requests up to this size are decided on the thread that received them when the log does
/// not wait for a sync; larger ones (and crates) on a blocking thread.
const INLINE_BYTES: usize = 16 * 1024;

/// What is to be decided.
pub enum Input {
    /// A decision request (JSON text).
    Request(String),
    /// A decision request (JSON text) with the researcher's GA4GH Passport: each member
    /// decides on the evidence of the visas it accepts (`docs/passports.md`).
    WithPassport(String, Box<Passport>),
    /// A Five Safes RO-Crate, opened, with how to read it.
    Crate(Box<Crate>, ReadOptions),
    /// Something that is no request at all (not UTF-8, not base64url, not a crate): a deny
    /// naming why, logged like every decision.
    Unreadable(String),
}

/// How the decision came about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The engine decided the request.
    Decided,
    /// The request could not be read: a deny naming the error.
    Invalid(String),
    /// The engine could not answer: a deny naming why.
    EngineFailed(String),
    /// The decision could not be recorded in the log: it is not given (a deny naming why).
    NotRecorded(String),
}

/// A decision made, as it is answered.
#[derive(Debug)]
pub struct Made {
    /// The decision (a deny naming the error when the verdict is not `Decided`).
    pub decision: Decision,
    /// The decision as JSON, as `fivesafes decide --format json` prints it.
    pub json: String,
    /// How it came about.
    pub verdict: Verdict,
}

impl Made {
    fn new(decision: Decision, verdict: Verdict) -> Arc<Made> {
        let json = decision.to_json();
        Arc::new(Made { decision, json, verdict })
    }
}

/// A decision made and recorded.
pub struct Decided {
    /// The decision given (a deny naming the error when the verdict is not `Decided`), and how
    /// it came about.
    pub made: Arc<Made>,
    /// Its id, as the log records it.
    pub id: DecisionId,
    /// The log's receipt (none when decisions are not logged).
    pub receipt: Option<Receipt>,
    /// Whether the decision was taken from the cache of decisions already made (`None` when
    /// there is no cache or the input is not a request's text).
    pub cached: Option<bool>,
}

/// Decide `input` under the bundle being served, and record the decision.
pub async fn decide(state: &Arc<AppState>, input: Input, options: DecideOptions) -> Decided {
    let loaded = state.loaded();
    let log = state.log();
    // A request decided before, with a log that does not wait for a sync: answered on this
    // thread (no hand-off to a blocking thread, which would cost more than the answer).
    let waits = matches!(&log, Ok(Some(l)) if l.durability() == Durability::Strict);
    if !waits
        && let Input::Request(text) = &input
        && let Some(made) = loaded.cache.as_ref().and_then(|c| c.get(text, options))
    {
        let mut decided = record(&loaded, made, log);
        decided.cached = Some(true);
        if let Verdict::NotRecorded(e) = &decided.made.verdict {
            state.log_failed(e);
        }
        return decided;
    }
    let outcome = if loaded.pool.is_some() {
        SandboxPool::run(&loaded, {
            let loaded = Arc::clone(&loaded);
            move |sandbox| finish(&loaded, Some(sandbox), &input, options, log)
        })
        .await
    } else {
        let small = match &input {
            Input::Request(text) | Input::WithPassport(text, _) => text.len() <= INLINE_BYTES,
            Input::Crate(..) => false,
            Input::Unreadable(_) => true,
        };
        if small && !waits {
            // A request of a few kilobytes is decided in well under a millisecond: on this
            // thread, as a hand-off to a blocking thread would cost a good part of that again.
            // A panic (there should be none: the engine has no panicking paths) is an engine
            // failure and a deny, as on a blocking thread, not a dropped connection.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| finish(&loaded, None, &input, options, log)))
                .map_err(|_| "the engine panicked".to_owned())
        } else {
            let loaded = Arc::clone(&loaded);
            tokio::task::spawn_blocking(move || finish(&loaded, None, &input, options, log))
                .await
                .map_err(|e| e.to_string())
        }
    };
    let decided = outcome.unwrap_or_else(|e| {
        let message = format!("the engine could not answer: {e}");
        Decided {
            made: Made::new(Decision::failed(&loaded.bundle, None, message.clone()), Verdict::EngineFailed(message)),
            id: DecisionId::mint(),
            receipt: None,
            cached: None,
        }
    });
    if let Verdict::NotRecorded(e) = &decided.made.verdict {
        state.log_failed(e);
    }
    decided
}

/// On a blocking thread: decide, then append to the log.
fn finish(
    loaded: &Loaded,
    sandbox: Option<&mut Sandbox>,
    input: &Input,
    options: DecideOptions,
    log: Result<Option<Arc<DecisionLog>>, String>,
) -> Decided {
    let mut cached = None;
    let made = match input {
        Input::Request(text) => match loaded.cache.as_ref().and_then(|c| c.get(text, options)) {
            Some(made) => {
                cached = Some(true);
                made
            }
            None => {
                cached = loaded.cache.as_ref().map(|_| false);
                let (decision, verdict) = decide_text(loaded, sandbox, text, options);
                let made = Made::new(decision, verdict);
                if let Some(cache) = &loaded.cache {
                    cache.keep(text, options, &made);
                }
                made
            }
        },
        Input::WithPassport(text, passport) => {
            let (decision, verdict) = decide_with_passport(loaded, sandbox.is_some(), text, passport, options);
            Made::new(decision, verdict)
        }
        Input::Crate(krate, read) => {
            let (decision, verdict) = decide_crate(loaded, sandbox, krate, read, options);
            Made::new(decision, verdict)
        }
        Input::Unreadable(message) => {
            Made::new(Decision::failed(&loaded.bundle, None, message.clone()), Verdict::Invalid(message.clone()))
        }
    };
    let mut decided = record(loaded, made, log);
    decided.cached = cached;
    decided
}

fn decide_text(
    loaded: &Loaded,
    sandbox: Option<&mut Sandbox>,
    text: &str,
    options: DecideOptions,
) -> (Decision, Verdict) {
    match sandbox {
        None => match decide_json_checked(&loaded.bundle, text, options) {
            Ok(d) => (d, Verdict::Decided),
            Err(e) => {
                let message = e.to_string();
                (Decision::failed(&loaded.bundle, None, message.clone()), Verdict::Invalid(message))
            }
        },
        Some(sandbox) => match sandbox.try_decide(text, options.all_members) {
            Ok(json) => read_answer(loaded, &json),
            Err(stopped) => (Decision::failed(&loaded.bundle, None, stopped.clone()), Verdict::EngineFailed(stopped)),
        },
    }
}

/// Passports are verified natively (their signatures against the bundle's key sets); a service
/// running an artifact refuses them rather than decide without the evidence.
fn decide_with_passport(
    loaded: &Loaded,
    sandboxed: bool,
    text: &str,
    passport: &Passport,
    options: DecideOptions,
) -> (Decision, Verdict) {
    if sandboxed {
        let message = "this service decides in the artifact's sandbox, which does not verify passports: \
                       send the request without `X-Fivesafes-Passport`, or serve --bundle"
            .to_owned();
        return (Decision::failed(&loaded.bundle, None, message.clone()), Verdict::Invalid(message));
    }
    let decided = DecisionRequest::from_json(text)
        .and_then(|req| fivesafes_passport::decide(&loaded.bundle, &req, passport, options));
    match decided {
        Ok(d) => (d.decision, Verdict::Decided),
        Err(e) => {
            let message = e.to_string();
            (Decision::failed(&loaded.bundle, None, message.clone()), Verdict::Invalid(message))
        }
    }
}

/// The engine's answer: a decision, or (never passed on as anything but a deny) not one.
fn read_answer(loaded: &Loaded, json: &str) -> (Decision, Verdict) {
    match serde_json::from_str::<Decision>(json) {
        // The engine names no request hash exactly when it could not read the request.
        Ok(d) if d.request_hash.is_none() => {
            let message = d.errors.join("; ");
            (d, Verdict::Invalid(message))
        }
        Ok(d) => (d, Verdict::Decided),
        Err(e) => {
            let message = format!("the engine's answer is not a decision: {e}");
            (Decision::failed(&loaded.bundle, None, message.clone()), Verdict::EngineFailed(message))
        }
    }
}

fn decide_crate(
    loaded: &Loaded,
    sandbox: Option<&mut Sandbox>,
    krate: &Crate,
    read: &ReadOptions,
    options: DecideOptions,
) -> (Decision, Verdict) {
    let result = match sandbox {
        None => fivesafes_rocrate::decide(&loaded.bundle, krate, read, options),
        Some(sandbox) => {
            let sandbox = RefCell::new(sandbox);
            let decider = |req: &DecisionRequest| -> Result<Decision, RequestError> {
                let text = serde_json::to_string(req).map_err(|e| RequestError::Value {
                    path: "/".into(),
                    message: format!("the request read from the crate cannot be written: {e}"),
                })?;
                let mut sandbox = sandbox.borrow_mut();
                Ok(match sandbox.try_decide(&text, options.all_members) {
                    Ok(json) => read_answer(loaded, &json).0,
                    Err(stopped) => Decision::failed(&loaded.bundle, None, stopped),
                })
            };
            fivesafes_rocrate::decide_with(&loaded.bundle, krate, read, &decider)
        }
    };
    let decision = result.decision;
    let verdict = match &decision.request_hash {
        Some(_) => Verdict::Decided,
        None => Verdict::Invalid(decision.errors.join("; ")),
    };
    (decision, verdict)
}

/// Append the decision to the log. A decision the log could not record is not given: it
/// becomes a deny naming the failure.
fn record(loaded: &Loaded, made: Arc<Made>, log: Result<Option<Arc<DecisionLog>>, String>) -> Decided {
    let id = DecisionId::mint();
    let appended = log.and_then(|log| match log {
        None => Ok(None),
        Some(log) => log
            .append(DecisionRecord::new(&made.decision, id, jiff::Timestamp::now()))
            .map(Some)
            .map_err(|e| e.to_string()),
    });
    match appended {
        Ok(receipt) => Decided { made, id, receipt, cached: None },
        Err(e) => {
            let message = format!("the decision log could not record the decision: {e}");
            tracing::error!(decision_id = %id, error = %e, "decision not recorded; answered deny");
            let failed = Decision::failed(&loaded.bundle, made.decision.request_hash.clone(), message.clone());
            Decided { made: Made::new(failed, Verdict::NotRecorded(message)), id, receipt: None, cached: None }
        }
    }
}
