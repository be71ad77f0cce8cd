//! The service, in process (no sockets): the example corpus through `/v1/decide` and
//! `/v1/check` against the native engine and against the WebAssembly engine of an artifact,
//! every decision in the log, fail-closed answers, reloads, limits and the OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fivesafes_audit::files::{DecisionLog, LogConfig, verify_files};
use fivesafes_audit::verify::{ChainStart, Verification};
use fivesafes_core::{Bundle, DecideOptions, SourceFile, SourceRole, decide_json, decide_json_checked, embedded};
use fivesafes_server::{AppState, Loaded, Loader, ServiceConfig, router};
use fivesafes_tests::{cases, root};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tower::ServiceExt;

type Answer = (StatusCode, axum::http::HeaderMap, String);

async fn call(state: &Arc<AppState>, request: Request<Body>) -> Answer {
    let response = router(Arc::clone(state)).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn post(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri).header("content-type", "application/json").body(body.into()).unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn native_loader() -> Loader {
    Arc::new(|| Loaded::native(&embedded::default_sources(), "embedded"))
}

fn state_with(log: Option<DecisionLog>, config: ServiceConfig) -> Arc<AppState> {
    let loader = native_loader();
    AppState::new(loader().unwrap(), loader, log, config)
}

fn bundle() -> &'static Bundle {
    static B: std::sync::OnceLock<Bundle> = std::sync::OnceLock::new();
    B.get_or_init(|| Bundle::load(&embedded::default_sources()).unwrap())
}

fn header<'a>(h: &'a axum::http::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

fn base64url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn verify(dir: &std::path::Path) -> Verification {
    let files = fivesafes_audit::files::log_files(dir).unwrap();
    verify_files(&files, ChainStart::Genesis).unwrap()
}

fn logged_ids(dir: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("decisions.log")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["decisionId"].as_str().unwrap().to_owned())
        .collect()
}

/// Every example through `/v1/decide` and `/v1/check`: the same decision, byte for byte, as
/// the engine's own JSON; 400 exactly for the invalid ones; 200 from check exactly for allow;
/// and every decision in the log, under the id the answer named, the chain verifying.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_through_decide_and_check_all_logged() {
    let dir = tempfile::tempdir().unwrap();
    let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
    let state = state_with(Some(log), ServiceConfig::default());
    let mut ids = Vec::new();
    let all = cases();
    assert!(all.len() >= 39, "the corpus is there");
    for case in &all {
        let options = DecideOptions { all_members: case.expect.all_members };
        let expected = decide_json(bundle(), &case.text, options);
        let valid = decide_json_checked(bundle(), &case.text, options).is_ok();
        let uri = if case.expect.all_members { "/v1/decide?allMembers=true" } else { "/v1/decide" };
        let (status, h, body) = call(&state, post(uri, case.text.clone())).await;
        assert_eq!(body, expected.to_json(), "{}: the decision", case.name);
        assert_eq!(status, if valid { StatusCode::OK } else { StatusCode::BAD_REQUEST }, "{}", case.name);
        assert_eq!(header(&h, "x-fivesafes-outcome"), expected.decision.name(), "{}", case.name);
        assert_eq!(header(&h, "x-fivesafes-bundle"), bundle().reference().hash);
        ids.push(header(&h, "x-fivesafes-decision-id").to_owned());

        let mut check = Request::get("/v1/check").header("x-fivesafes-request", base64url(&case.text));
        if case.expect.all_members {
            check = check.header("x-fivesafes-all-members", "true");
        }
        let (status, h, body) = call(&state, check.body(Body::empty()).unwrap()).await;
        let allowed = valid && expected.decision == fivesafes_core::Outcome::Allow;
        assert_eq!(status, if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN }, "{}: check", case.name);
        assert_eq!(body, expected.to_json(), "{}: check's body", case.name);
        assert_eq!(header(&h, "x-fivesafes-runs-at"), expected.runs_at.join(","), "{}", case.name);
        if !valid {
            assert!(!header(&h, "x-fivesafes-error").is_empty(), "{}: the error is named", case.name);
        }
        ids.push(header(&h, "x-fivesafes-decision-id").to_owned());
    }
    let log = state.take_log().unwrap();
    Arc::try_unwrap(log).unwrap().close().unwrap();
    assert_eq!(logged_ids(dir.path()), ids, "every decision logged, in order, under its id");
    let v = verify(dir.path());
    assert!(v.verified, "{v:?}");
    assert_eq!(v.entries, ids.len() as u64);
}

/// The check endpoint refuses what is not a request, and logs the refusal.
#[tokio::test]
async fn check_refuses_what_is_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
    let state = state_with(Some(log), ServiceConfig::default());
    let garbage =
        Request::get("/v1/check").header("x-fivesafes-request", "%%% not base64 %%%").body(Body::empty()).unwrap();
    let (status, h, _) = call(&state, garbage).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(header(&h, "x-fivesafes-outcome"), "deny");
    assert!(header(&h, "x-fivesafes-error").contains("base64url"), "{h:?}");
    let (status, h, _) = call(&state, get("/v1/check")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(header(&h, "x-fivesafes-error").contains("no request"), "{h:?}");
    // The body is read when the header is absent (Envoy ext_authz with the body forwarded).
    let text = std::fs::read_to_string(root().join("examples/requests/01-allow-cardio-de.json")).unwrap();
    let (status, _, _) = call(&state, post("/v1/check", text)).await;
    assert_eq!(status, StatusCode::OK);
    drop(state);
    assert_eq!(logged_ids(dir.path()).len(), 3);
}

/// A log that cannot record: no decision is given (503 deny from decide, 403 from check),
/// readiness goes down, and the error is counted.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_log_that_cannot_record_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    // Every write to /dev/full fails with "no space left on device".
    std::os::unix::fs::symlink("/dev/full", dir.path().join("decisions.log")).unwrap();
    let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
    let state = state_with(Some(log), ServiceConfig::default());
    let text = std::fs::read_to_string(root().join("examples/requests/01-allow-cardio-de.json")).unwrap();
    let (status, h, body) = call(&state, post("/v1/decide", text.clone())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&h, "x-fivesafes-outcome"), "deny");
    assert!(h.get("x-fivesafes-decision-id").is_none(), "no id: nothing in the log bears it");
    let d: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(d["decision"], "deny");
    assert!(d["errors"][0].as_str().unwrap().contains("the decision log could not record"), "{body}");
    let check = Request::get("/v1/check").header("x-fivesafes-request", base64url(&text)).body(Body::empty()).unwrap();
    let (status, h, _) = call(&state, check).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(header(&h, "x-fivesafes-error").contains("decision log"), "{h:?}");
    let (status, _, body) = call(&state, get("/health/ready")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("\"log\":\"failed: "), "{body}");
    let (_, _, metrics) = call(&state, get("/metrics")).await;
    assert!(metrics.contains("fivesafes_errors_total{kind=\"log\"} 2"), "{metrics}");
}

/// Reloads swap the bundle whole: a request holding the old one keeps it; a bundle that fails
/// to load is refused and the old one keeps serving; both are counted.
#[tokio::test]
async fn reloads_are_atomic_and_refused_bundles_change_nothing() {
    let broken = Arc::new(AtomicBool::new(false));
    let extra = Arc::new(AtomicBool::new(false));
    let loader: Loader = {
        let (broken, extra) = (Arc::clone(&broken), Arc::clone(&extra));
        Arc::new(move || {
            let mut files = embedded::default_sources();
            if broken.load(Ordering::SeqCst) {
                files.push(SourceFile::new(SourceRole::Vocabulary, "broken.ttl", "@prefix : <x> . this is not turtle"));
            }
            if extra.load(Ordering::SeqCst) {
                let ttl = "@prefix ex: <https://example.org/> . ex:Thing a <http://www.w3.org/2002/07/owl#Class> .";
                files.push(SourceFile::new(SourceRole::Vocabulary, "extra.ttl", ttl));
            }
            Loaded::native(&files, "test")
        })
    };
    let config = ServiceConfig { admin_token: Some("a-token-of-sixteen-chars".into()), ..ServiceConfig::default() };
    let state = AppState::new(loader().unwrap(), loader, None, config);
    let before = state.loaded();

    broken.store(true, Ordering::SeqCst);
    let refused = state.reload("test").await;
    assert!(refused.unwrap_err().to_string().contains("broken.ttl"));
    assert!(Arc::ptr_eq(&before, &state.loaded()), "the old bundle keeps serving");
    let reload = || Request::post("/v1/admin/reload").header("authorization", "Bearer a-token-of-sixteen-chars");
    let (status, _, body) = call(&state, reload().body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("reload-refused"), "{body}");

    broken.store(false, Ordering::SeqCst);
    extra.store(true, Ordering::SeqCst);
    let (status, _, body) = call(&state, reload().body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let identity: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(identity["generation"], 2);
    assert_ne!(identity["hash"], before.identity.hash.as_str(), "a new bundle");
    assert_eq!(before.identity.generation, 1, "a request holding the old bundle still has it whole");
    let (_, _, served) = call(&state, get("/v1/bundle")).await;
    assert!(served.contains(identity["hash"].as_str().unwrap()));
    let (_, _, metrics) = call(&state, get("/metrics")).await;
    assert!(metrics.contains("fivesafes_bundle_reloads_total{result=\"failure\"} 2"), "{metrics}");
    assert!(metrics.contains("fivesafes_bundle_reloads_total{result=\"success\"} 1"), "{metrics}");
    assert_eq!(metrics.matches("fivesafes_bundle_info{").count(), 1, "one bundle served: {metrics}");
}

#[tokio::test]
async fn the_admin_endpoint_needs_its_token() {
    let state = state_with(None, ServiceConfig::default());
    let (status, _, _) = call(&state, Request::post("/v1/admin/reload").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "off without a token");
    let config = ServiceConfig { admin_token: Some("a-token-of-sixteen-chars".into()), ..ServiceConfig::default() };
    let state = state_with(None, config);
    for auth in [None, Some("Bearer wrong-token-wrong-token"), Some("a-token-of-sixteen-chars")] {
        let mut r = Request::post("/v1/admin/reload");
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        let (status, h, _) = call(&state, r.body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(header(&h, "www-authenticate"), "Bearer");
    }
}

#[tokio::test]
async fn limits_answer_clearly() {
    let state = state_with(None, ServiceConfig { max_body_bytes: 64, ..ServiceConfig::default() });
    let (status, _, body) = call(&state, post("/v1/decide", "x".repeat(65))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("payload-too-large"), "{body}");

    let state = state_with(None, ServiceConfig { timeout: std::time::Duration::ZERO, ..ServiceConfig::default() });
    // Larger than what is decided on the receiving thread (16 KiB): decided on a blocking
    // thread, which the timeout does not wait for.
    let text = std::fs::read_to_string(root().join("examples/requests/25-allmembers-breast-cancer.json")).unwrap();
    let text = format!("{text}{}", " ".repeat(20 * 1024));
    let (status, _, body) = call(&state, post("/v1/decide?allMembers=true", text)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("\"code\":\"timeout\""), "{body}");

    let (status, _, body) = call(&state, get("/v1/nothing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("/openapi.json"), "{body}");
}

/// DUO matching, explanations and assessments answer what the engine's own calls answer.
#[tokio::test]
async fn duo_explain_and_assess() {
    let state = state_with(None, ServiceConfig::default());
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    let purpose = read("examples/duo/purpose-lung-cancer.json");
    let dataset = read("examples/duo/dataset-cancer-pub.json");
    let call_body = format!("{{\"purpose\": {purpose}, \"dataset\": {dataset}}}");
    let (status, _, body) = call(&state, post("/v1/duo/match", call_body)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let options = fivesafes_core::duo::MatchOptions::default();
    let expected = fivesafes_core::matching::match_json(&purpose, &dataset, &bundle().vocab, &options).unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap(), serde_json::to_value(&expected).unwrap());
    let (status, _, body) = call(&state, post("/v1/duo/match", "{\"purpose\": 1}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let text = read("examples/requests/02-deny-nl-ethics-always.json");
    let (status, _, body) = call(&state, post("/v1/explain", text.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let req = fivesafes_core::DecisionRequest::from_json(&text).unwrap();
    let expected = fivesafes_core::explain(bundle(), &req, DecideOptions::default()).unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap(), serde_json::to_value(&expected).unwrap());

    let description = read("examples/federation/descriptions/de-hd.ttl");
    let call_body = serde_json::json!({ "description": description, "date": "2026-11-01" }).to_string();
    let (status, _, body) = call(&state, post("/v1/assess", call_body)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let a: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(a["overall"].is_string(), "{body}");
}

/// A Five Safes RO-Crate (BagIt ZIP) is decided as `fivesafes decide CRATE` decides it.
#[tokio::test]
async fn a_crate_is_decided() {
    let state = state_with(None, ServiceConfig::default());
    let dir = root().join("tests/crates/request-cardio");
    let mut files = std::collections::BTreeMap::new();
    fn walk(dir: &std::path::Path, prefix: &str, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                out.insert(name, std::fs::read(e.path()).unwrap());
            }
        }
    }
    walk(&dir, "", &mut files);
    let zip = fivesafes_rocrate::CrateFiles::from_directory(files.clone()).to_zip().unwrap();
    let krate = fivesafes_rocrate::Crate::open(fivesafes_rocrate::CrateFiles::from_directory(files)).unwrap();
    let read = fivesafes_rocrate::ReadOptions { time: "2026-11-20".into(), member: None };
    let expected = fivesafes_rocrate::decide(bundle(), &krate, &read, DecideOptions::default()).decision;
    let request = Request::post("/v1/decide?time=2026-11-20")
        .header("content-type", "application/zip")
        .body(Body::from(zip))
        .unwrap();
    let (status, _, body) = call(&state, request).await;
    assert_eq!(body, expected.to_json());
    assert_eq!(status, if expected.request_hash.is_some() { StatusCode::OK } else { StatusCode::BAD_REQUEST });
    let (status, h, _) = call(
        &state,
        Request::post("/v1/decide")
            .header("content-type", "application/zip")
            .body(Body::from("PK\x03\x04 not a zip"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(header(&h, "x-fivesafes-outcome"), "deny");
}

/// The published OpenAPI document is the one the service serves, and it names every route.
#[tokio::test]
async fn the_openapi_document_is_published_and_complete() {
    let state = state_with(None, ServiceConfig::default());
    let (status, _, body) = call(&state, get("/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    let served: serde_json::Value = serde_json::from_str(&body).unwrap();
    let path = root().join("schemas/openapi.json");
    let text = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        published == text,
        "schemas/openapi.json is stale: run UPDATE_SCHEMAS=1 cargo test -p fivesafes-server --test service"
    );
    let paths = served["paths"].as_object().unwrap();
    for p in [
        "/v1/decide",
        "/v1/check",
        "/v1/explain",
        "/v1/duo/match",
        "/v1/assess",
        "/v1/bundle",
        "/v1/admin/reload",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    // Every $ref resolves.
    let schemas = served["components"]["schemas"].as_object().unwrap();
    for r in body.split("\"$ref\":").skip(1) {
        let target = r.trim_start().trim_start_matches('"').split('"').next().unwrap();
        let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{target}"));
        assert!(schemas.contains_key(name), "{target} resolves");
    }
}

/// The WebAssembly engine of an artifact, in a pool of sandboxes, answers the corpus exactly
/// as the native engine does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_artifact_decides_as_the_native_engine() {
    let path = root().join("target/wasm32-wasip2/gateway/fivesafes_gateway.wasm");
    let engine = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; build it with `bash wasm/build.sh gateway`", path.display()));
    let compiled = bundle().to_compiled_json().unwrap();
    let contents = fivesafes_host::artifact::Contents {
        engine: &engine,
        precompiled: None,
        bundle: &compiled,
        reference: bundle().reference(),
    };
    let bytes = fivesafes_host::artifact::build(&contents, None).unwrap();
    let loader: Loader = Arc::new(move || Loaded::artifact(&bytes, &Default::default(), 2, "test.fsb"));
    let state = AppState::new(loader().unwrap(), loader, None, ServiceConfig::default());
    let (_, _, identity) = call(&state, get("/v1/bundle")).await;
    let identity: serde_json::Value = serde_json::from_str(&identity).unwrap();
    assert_eq!(identity["engine"], "wasm");
    assert_eq!(identity["artifact"]["signature"]["status"], "unsigned");
    assert_eq!(identity["artifact"]["instances"], 2);
    let mut answers = Vec::new();
    for case in cases() {
        let uri = if case.expect.all_members { "/v1/decide?allMembers=true" } else { "/v1/decide" };
        answers.push(tokio::spawn({
            let state = Arc::clone(&state);
            async move {
                (
                    case.name.clone(),
                    case.text.clone(),
                    case.expect.all_members,
                    call(&state, post(uri, case.text)).await,
                )
            }
        }));
    }
    for a in answers {
        let (name, text, all_members, (status, _, body)) = a.await.unwrap();
        let options = DecideOptions { all_members };
        let expected = decide_json(bundle(), &text, options);
        assert_eq!(body, expected.to_json(), "{name}");
        let valid = decide_json_checked(bundle(), &text, options).is_ok();
        assert_eq!(status, if valid { StatusCode::OK } else { StatusCode::BAD_REQUEST }, "{name}");
    }
    let (status, _, _) = call(&state, post("/v1/assess", "{\"description\": \"\"}")).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
}

/// A request repeated verbatim is answered with the decision already made, byte for byte,
/// and is still a decision of its own in the log; with the cache off, the same answers.
#[tokio::test]
async fn repeated_requests_are_answered_alike_and_each_logged() {
    let text = std::fs::read_to_string(root().join("examples/requests/23-mixed-heart-five-members.json")).unwrap();
    let mut bodies = Vec::new();
    for bytes in [64 * 1024 * 1024, 0] {
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        let state = state_with(Some(log), ServiceConfig { decision_cache_bytes: bytes, ..ServiceConfig::default() });
        let mut ids = Vec::new();
        for _ in 0..3 {
            let (status, h, body) = call(&state, post("/v1/decide", text.clone())).await;
            assert_eq!(status, StatusCode::OK);
            ids.push(header(&h, "x-fivesafes-decision-id").to_owned());
            bodies.push(body);
        }
        let (_, _, metrics) = call(&state, get("/metrics")).await;
        if bytes > 0 {
            assert!(metrics.contains("fivesafes_decision_cache_lookups_total{result=\"hit\"} 2"), "{metrics}");
            assert!(metrics.contains("fivesafes_decision_cache_lookups_total{result=\"miss\"} 1"), "{metrics}");
        } else {
            assert!(!metrics.contains("fivesafes_decision_cache_lookups_total{"), "{metrics}");
        }
        drop(state);
        assert_eq!(logged_ids(dir.path()), ids, "three decisions, three entries");
        assert!(verify(dir.path()).verified);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "the same decision every time");
    assert_eq!(bodies[0], decide_json(bundle(), &text, DecideOptions::default()).to_json());
}

/// A GA4GH Passport in `X-Fivesafes-Passport`: the decision `fivesafes decide --passport`
/// makes, through decide and check; an unreadable passport is a logged deny; a crate with a
/// passport is refused rather than decided without it.
#[tokio::test]
async fn a_passport_in_a_header_is_the_researchers_evidence() {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    let text = read("examples/passports/ada-cardio.request.json");
    let passport_text = read("examples/passports/ada.passport.json");
    let passport = fivesafes_passport::Passport::parse(&passport_text).unwrap();
    let req = fivesafes_core::DecisionRequest::from_json(&text).unwrap();
    let expected = fivesafes_passport::decide(bundle(), &req, &passport, DecideOptions::default()).unwrap().decision;
    let without = decide_json(bundle(), &text, DecideOptions::default());
    assert_ne!(expected.decision, without.decision, "the passport is what decides this example");

    let dir = tempfile::tempdir().unwrap();
    let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
    let state = state_with(Some(log), ServiceConfig::default());
    let with = |r: axum::http::request::Builder| r.header("x-fivesafes-passport", base64url(&passport_text));
    let (status, _, body) =
        call(&state, with(Request::post("/v1/decide")).body(Body::from(text.clone())).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, expected.to_json());
    let check = with(Request::get("/v1/check")).header("x-fivesafes-request", base64url(&text));
    let (status, h, body) = call(&state, check.body(Body::empty()).unwrap()).await;
    assert_eq!(body, expected.to_json());
    let allowed = expected.decision == fivesafes_core::Outcome::Allow;
    assert_eq!(status, if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN }, "{h:?}");

    let bad =
        Request::post("/v1/decide").header("x-fivesafes-passport", base64url("{ not json")).body(Body::from(text));
    let (status, h, _) = call(&state, bad.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(header(&h, "x-fivesafes-outcome"), "deny");
    let krate = with(Request::post("/v1/decide").header("content-type", "application/ld+json"))
        .body(Body::from("{\"@graph\": []}"));
    let (status, _, body) = call(&state, krate.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("without a passport"), "{body}");
    drop(state);
    assert_eq!(logged_ids(dir.path()).len(), 4);
    assert!(verify(dir.path()).verified);
}
