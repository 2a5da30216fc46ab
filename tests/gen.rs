//! End-to-end tests of `cascade gen`: the real binary writes a synthetic
//! country that `cascade check` accepts without a warning and `cascade run`
//! runs; the same arguments give the same bytes; bad arguments are usage
//! errors (exit 2) that name the argument.

use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

fn cascade(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade")).current_dir(dir).args(args).output().unwrap()
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(!text(&output.stderr).contains("panicked"), "{}", text(&output.stderr));
}

#[test]
fn a_generated_country_checks_and_runs() {
    let dir = TempDir::new().unwrap();
    let args = ["gen", "--assets", "2000", "--teams", "20", "--seed", "3"];
    let generated = cascade(dir.path(), &args);
    assert_exit(&generated, 0);
    std::fs::write(dir.path().join("country.ron"), &generated.stdout).unwrap();

    // The same arguments, the same bytes; --out writes what stdout gets.
    let mut to_file = args.to_vec();
    to_file.extend(["--out", "again.ron"]);
    assert_exit(&cascade(dir.path(), &to_file), 0);
    assert!(std::fs::read(dir.path().join("again.ron")).unwrap() == generated.stdout, "not byte-identical");

    let check = cascade(dir.path(), &["check", "country.ron", "--deny-warnings"]);
    assert_exit(&check, 0);
    let summary = String::from_utf8_lossy(&check.stdout);
    assert!(summary.contains("2000 assets") && summary.contains("20 teams"), "{summary}");

    assert_exit(&cascade(dir.path(), &["run", "country.ron", "--ticks", "30"]), 0);
}

#[test]
fn bad_arguments_are_usage_errors_naming_the_argument() {
    let dir = TempDir::new().unwrap();
    for (args, needle) in [
        (&["gen", "--assets", "0"][..], "--assets"),
        (&["gen", "--assets", "1000001"][..], "--assets"),
        (&["gen", "--assets", "50", "--teams", "10000"][..], "at most one team each"),
        (&["gen", "--assets", "50", "--teams", "10001"][..], "--teams"),
        (&["gen", "--assets", "10", "--ticks", "0"][..], "--ticks"),
        (&["gen", "--teams", "3"][..], "--assets"),
    ] {
        let output = cascade(dir.path(), args);
        assert_exit(&output, 2);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?} printed a scenario");
    }
}
