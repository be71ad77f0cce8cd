#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! The example corpus and bad inputs through the `fivesafes` binary: exit codes, JSON output
//! identical to the library's, clear errors.

mod common;

use common::{code, fivesafes, scratch};
use fivesafes_core::{Bundle, DecideOptions, decide_json, embedded};
use fivesafes_tests::{cases, root};
use std::process::Output;

#[test]
fn corpus_through_the_cli_matches_the_library_and_exit_codes() {
    let bundle = Bundle::load(&embedded::default_sources()).unwrap_or_else(|e| panic!("{e}"));
    for case in cases() {
        let path = case.request.to_string_lossy().into_owned();
        let mut args = vec!["decide", path.as_str(), "--format", "json"];
        if case.expect.all_members {
            args.push("--all-members");
        }
        let out = fivesafes(&args);
        let want = match case.expect.exit.as_str() {
            "allow" => 0,
            "deny" => 10,
            "review" => 11,
            "invalid" => 3,
            other => panic!("{}: unknown exit `{other}`", case.name),
        };
        assert_eq!(code(&out), want, "{}: stderr {}", case.name, String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let library =
            decide_json(&bundle, &case.text, DecideOptions { all_members: case.expect.all_members }).to_json();
        if want != 3 {
            assert_eq!(stdout.trim_end(), library, "{}: CLI and library differ", case.name);
        } else {
            assert!(stdout.contains("\"decision\": \"deny\""), "{}: invalid input must print a deny", case.name);
            assert!(!out.stderr.is_empty(), "{}: the error is explained on stderr", case.name);
        }
    }
}

#[test]
fn human_output_shows_the_matrix_and_reasons() {
    let out = fivesafes(&["decide", "examples/requests/01-allow-cardio-de.json", "--all-members"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["member", "people", "outputs", "de-hd", "holder", "candidate", "reasons:", "runs at: de-hd"] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
}

#[test]
fn missing_request_file_exits_5() {
    let out = fivesafes(&["decide", "no/such/request.json"]);
    assert_eq!(code(&out), 5);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/request.json"));
}

#[test]
fn broken_bundle_exits_4_and_names_the_file() {
    let dir = std::env::temp_dir().join(format!("fivesafes-bad-bundle-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    std::fs::write(
        dir.join("federation.ttl"),
        "@prefix fs: <https://w3id.org/fivesafes#> .\n<urn:x> a fs:Federation ;\n  fs:hasMember <urn:m> \n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let bundle = dir.to_string_lossy().into_owned();
    let out = fivesafes(&["decide", "examples/requests/01-allow-cardio-de.json", "--bundle", &bundle]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code(&out), 4);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("federation.ttl"), "{err}");
}

#[test]
fn a_bundle_directory_loads_like_the_embedded_default() {
    let dir = std::env::temp_dir().join(format!("fivesafes-bundle-{}", std::process::id()));
    let _ = std::fs::create_dir_all(dir.join("members"));
    let _ = std::fs::create_dir_all(dir.join("vocab"));
    let _ = std::fs::create_dir_all(dir.join("keys"));
    let copy = |from: &str, to: &str| {
        std::fs::copy(root().join(from), dir.join(to)).unwrap_or_else(|e| panic!("{from}: {e}"));
    };
    copy("examples/federation/federation.ttl", "federation.ttl");
    copy("vocab/diseases.ttl", "vocab/diseases.ttl");
    for k in ["federation-aai", "kaleva-permits"] {
        copy(&format!("examples/federation/keys/{k}.jwks.json"), &format!("keys/{k}.jwks.json"));
    }
    for m in ["de-hd", "fi-fin", "nl-odi", "es-bcn", "no-osl", "gb-sail", "ch-zrh"] {
        copy(&format!("policies/members/{m}.cedar"), &format!("members/{m}.cedar"));
    }
    let bundle = dir.to_string_lossy().into_owned();
    let a =
        fivesafes(&["decide", "examples/requests/01-allow-cardio-de.json", "--bundle", &bundle, "--format", "json"]);
    let b = fivesafes(&["decide", "examples/requests/01-allow-cardio-de.json", "--format", "json"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code(&a), 0, "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout, "same files, same bundle hash, same decision");
}

#[test]
fn duo_match_prints_duos_results_with_exit_codes() {
    let run = |p: &str, d: &str| fivesafes(&["duo", "match", "--purpose", p, "--dataset", d, "--format", "json"]);
    let approve = run("examples/duo/purpose-lung-cancer.json", "examples/duo/dataset-cancer-pub.json");
    assert_eq!(code(&approve), 0);
    let v: serde_json::Value = serde_json::from_slice(&approve.stdout).unwrap_or_default();
    assert_eq!(v["result"], "APPROVE");
    assert_eq!(v["obligations"][0]["code"], "PUB");
    let deny = run("examples/duo/purpose-cancer-duos.json", "examples/duo/dataset-lung-cancer-npu-duos.json");
    assert_eq!(code(&deny), 10);
    let abstain = run("examples/duo/purpose-pediatric-hmb.json", "examples/duo/dataset-gru.json");
    assert_eq!(code(&abstain), 11);
    let v: serde_json::Value = serde_json::from_slice(&abstain.stdout).unwrap_or_default();
    assert_eq!(v["result"], "ABSTAIN");
    assert!(v["rationale"].as_array().is_some_and(|r| !r.is_empty()));
}

#[test]
fn help_documents_the_exit_codes() {
    let out = fivesafes(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("10 deny") && text.contains("11 review") && text.contains("3 invalid"), "{text}");
}

#[test]
fn the_wasm_engine_needs_an_artifact_and_keygen_never_overwrites() {
    let out = fivesafes(&["decide", "--engine", "wasm", "examples/requests/01-allow-cardio-de.json"]);
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--artifact"));
    let dir = scratch("keygen");
    let prefix = dir.join("k").to_string_lossy().into_owned();
    assert_eq!(code(&fivesafes(&["keygen", "--out", &prefix])), 0);
    let again = fivesafes(&["keygen", "--out", &prefix]);
    assert_eq!(code(&again), 3);
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    let missing = fivesafes(&["build", "--out", &format!("{prefix}.fsb"), "--engine", "no/such/engine.wasm"]);
    assert_eq!(code(&missing), 5, "{}", String::from_utf8_lossy(&missing.stderr));
}

/// `fivesafes decide --engine wasm --artifact ARTIFACT --trust KEY ARGS...`.
fn through_wasm(artifact: &str, key: &str, args: &[&str]) -> Output {
    let mut all = vec!["decide", "--engine", "wasm", "--artifact", artifact, "--trust", key];
    all.extend_from_slice(args);
    fivesafes(&all)
}

/// Needs the engine component (`bash wasm/build.sh gateway`; the README's test command builds
/// it first).
#[test]
fn a_signed_artifact_decides_as_natively_and_an_altered_one_is_refused() {
    let dir = scratch("artifact");
    let key = dir.join("release").to_string_lossy().into_owned();
    let other = dir.join("other").to_string_lossy().into_owned();
    let artifact = dir.join("example.fsb").to_string_lossy().into_owned();
    assert_eq!(code(&fivesafes(&["keygen", "--out", &key])), 0);
    assert_eq!(code(&fivesafes(&["keygen", "--out", &other])), 0);
    let built = fivesafes(&["build", "--out", &artifact, "--sign", &format!("{key}.pem")]);
    assert_eq!(code(&built), 0, "{}", String::from_utf8_lossy(&built.stderr));
    assert!(String::from_utf8_lossy(&built.stdout).contains("signed by ed25519:"));

    let request = "examples/requests/01-allow-cardio-de.json";
    let trusted = format!("{key}.pub.pem");
    let wasm = through_wasm(&artifact, &trusted, &[request, "--format", "json"]);
    let native = fivesafes(&["decide", request, "--format", "json"]);
    assert_eq!(code(&wasm), 0, "{}", String::from_utf8_lossy(&wasm.stderr));
    assert_eq!(wasm.stdout, native.stdout);

    let inspected = fivesafes(&["inspect", &artifact, "--trust", &trusted]);
    assert_eq!(code(&inspected), 0, "{}", String::from_utf8_lossy(&inspected.stderr));
    let listing = String::from_utf8_lossy(&inspected.stdout);
    assert!(listing.contains("signed by trusted key ed25519:") && listing.contains("engine.wasm"), "{listing}");

    let untrusted = through_wasm(&artifact, &format!("{other}.pub.pem"), &[request]);
    assert_eq!(code(&untrusted), 4);
    assert!(String::from_utf8_lossy(&untrusted.stderr).contains("not a trusted key"));

    let mut bytes = std::fs::read(&artifact).unwrap();
    // The first Cedar policy text is inside bundle.json, the first part after the manifest.
    let at = bytes.windows(8).position(|w| w == b"permit (").unwrap();
    bytes[at] = b'P';
    let altered = dir.join("altered.fsb").to_string_lossy().into_owned();
    std::fs::write(&altered, bytes).unwrap();
    let refused = through_wasm(&altered, &trusted, &[request]);
    assert_eq!(code(&fivesafes(&["inspect", &altered])), 4, "altered is refused even with no keys");
    assert_eq!(code(&refused), 4);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("altered"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
