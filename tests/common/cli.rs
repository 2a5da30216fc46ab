//! Helpers shared by the command-line end-to-end tests (`tests/cli*.rs`): run the
//! built `cascade` binary and read what it printed.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn tutorial() -> PathBuf {
    repo().join("scenarios/tutorial.ron")
}

/// `cascade` with `args`, run in `dir`.
pub fn cascade_in(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("cascade").unwrap().current_dir(dir).args(args).output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// The exit code is `code` and the binary did not panic.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "stdout:\n{}\nstderr:\n{}", stdout(output), stderr(output));
    assert!(!stderr(output).contains("panicked"), "the binary panicked:\n{}", stderr(output));
}
