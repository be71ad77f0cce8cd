//! What the CLI test files share: running the binary and scratch directories.
#![allow(
    dead_code,
    clippy::panic,
    clippy::unwrap_used,
    reason = "each test file uses what it needs; tests fail loudly"
)]

use fivesafes_tests::root;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Run `fivesafes` with these arguments from the repository root.
pub fn fivesafes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fivesafes"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run fivesafes: {e}"))
}

/// The exit code (-1 when killed by a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Standard output then standard error.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// An empty scratch directory under target/ for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target").join("cli-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
