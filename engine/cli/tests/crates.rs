#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! Five Safes RO-Crates through the binary: `decide CRATE` (directory, ZIP, bare metadata),
//! `crate check` and `crate assess`, with their exit codes.

mod common;

use common::{code, fivesafes, scratch, text};
use fivesafes_tests::root;

const BAG: &str = "tests/crates/request-cardio";

#[test]
fn decide_reads_a_crate_directory_a_zip_and_a_bare_metadata_file() {
    let o = fivesafes(&["decide", BAG, "--time", "2026-11-22", "--member", "de-hd", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["runsAt"], serde_json::json!(["de-hd"]));
    let bare = root().join(BAG).join("data/ro-crate-metadata.json");
    let o = fivesafes(&["decide", bare.to_str().unwrap(), "--time", "2026-11-22"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let dir = scratch("crate-decide-zip");
    let zip = dir.join("assessed.zip");
    let o = fivesafes(&[
        "crate",
        "assess",
        BAG,
        "--out",
        zip.to_str().unwrap(),
        "--time",
        "2026-11-22",
        "--member",
        "de-hd",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("SignOff allow"), "{}", text(&o));
    let o = fivesafes(&["decide", zip.to_str().unwrap(), "--time", "2026-11-22"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    // The TRE's own actions in a crate that comes back are a client's now, and go.
    assert!(text(&o).contains("client-submitted AssessAction was removed"), "{}", text(&o));
    let o = fivesafes(&["crate", "check", zip.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
}

#[test]
fn crate_check_fails_a_tampered_bag_with_exit_1() {
    let dir = scratch("crate-check-tampered");
    for f in
        ["bagit.txt", "bag-info.txt", "manifest-sha512.txt", "tagmanifest-sha512.txt", "data/ro-crate-metadata.json"]
    {
        let to = dir.join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root().join(BAG).join(f), to).unwrap();
    }
    std::fs::write(dir.join("data/query.sql"), "DROP TABLE cohort;\n").unwrap();
    let o = fivesafes(&["crate", "check", dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["checkValue"]["passed"], false);
    assert_eq!(r["validation"]["passed"], true);
    assert!(text(&o).contains("data/query.sql"));
}

#[test]
fn crate_assess_never_overwrites() {
    let dir = scratch("crate-assess-exists");
    let o = fivesafes(&["crate", "assess", BAG, "--out", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", text(&o));
}

#[test]
fn an_unreadable_crate_is_exit_3_and_says_where() {
    let dir = scratch("crate-bad-json");
    std::fs::write(dir.join("ro-crate-metadata.json"), "{\"@context\": \"x\", \"@graph\": [}").unwrap();
    let o = fivesafes(&["decide", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(text(&o).contains("ro-crate-metadata.json"), "{}", text(&o));
}
