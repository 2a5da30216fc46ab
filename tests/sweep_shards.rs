//! End-to-end tests of sweeps spread over a batch scheduler: `cascade sweep
//! --shard I/N --json OUT` runs one slice of the seeds and `cascade sweep merge`
//! joins the slices into byte for byte the report and CSV of one unsharded run;
//! and merge refuses every set of files that is not exactly one sweep, naming the
//! file and what differs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name)
}

/// The real binary, run in `dir`.
fn cascade(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade")).current_dir(dir).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Runs and asserts the exit code (and no panic); returns stdout.
#[track_caller]
fn expect(dir: &Path, args: &[&str], code: i32) -> Output {
    let output = cascade(dir, args);
    let (out, err) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(code), "cascade {args:?}\nstdout:\n{out}\nstderr:\n{err}");
    assert!(!err.contains("panicked"), "cascade {args:?} panicked:\n{err}");
    output
}

/// A refused merge: exit 1, nothing on stdout, and stderr containing every one of `needles`.
#[track_caller]
fn refused(dir: &Path, args: &[&str], needles: &[&str]) {
    let output = expect(dir, args, 1);
    assert!(output.stdout.is_empty(), "a refused merge printed:\n{}", text(&output.stdout));
    let err = text(&output.stderr);
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} is not in:\n{err}");
    }
}

/// Shards 0..count of a sweep of `file` into `dir`/`prefix`I.json, run at the same
/// time as a scheduler would; returns their names.
fn shards(dir: &Path, file: &Path, extra: &[&str], count: u32, prefix: &str) -> Vec<String> {
    let jobs: Vec<(String, String, std::process::Child)> = (0..count)
        .map(|i| {
            let name = format!("{prefix}{i}.json");
            let shard = format!("{i}/{count}");
            let mut args = vec!["sweep", file.to_str().unwrap(), "--shard", &shard, "--json", &name];
            args.extend_from_slice(extra);
            let child = Command::new(env!("CARGO_BIN_EXE_cascade"))
                .current_dir(dir)
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (name, shard, child)
        })
        .collect();
    jobs.into_iter()
        .map(|(name, shard, child)| {
            let output = child.wait_with_output().unwrap();
            let (out, err) = (text(&output.stdout), text(&output.stderr));
            assert!(output.status.success(), "shard {shard}\nstdout:\n{out}\nstderr:\n{err}");
            assert!(out.contains(&format!("shard {shard}")) && out.contains(&name), "{out}");
            name
        })
        .collect()
}

/// The Luxembourg day: runs that differ (losses, objectives, incidents,
/// notifications), so every percentile and count of the report is exercised.
#[test]
fn three_merged_shards_print_and_write_exactly_what_one_sweep_does() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let lux = scenario("luxembourg.ron");
    let whole = expect(d, &["sweep", lux.to_str().unwrap(), "--runs", "10", "--jobs", "2", "--csv", "whole.csv"], 0);
    let whole_out = text(&whole.stdout);
    assert!(whole_out.contains("10 runs"), "{whole_out}");

    // Different --jobs per shard: the slice depends only on its seeds.
    let names = shards(d, &lux, &["--runs", "10", "--jobs", "1"], 3, "lux");
    // Given in any order.
    let merged = expect(d, &["sweep", "merge", &names[2], &names[0], &names[1], "--csv", "merged.csv"], 0);
    assert_eq!(text(&merged.stdout), whole_out);
    assert!(merged.stderr.is_empty(), "{}", text(&merged.stderr));
    let csv = |name: &str| std::fs::read_to_string(d.join(name)).unwrap();
    assert_eq!(csv("merged.csv"), csv("whole.csv"));
    assert_eq!(csv("whole.csv").lines().count(), 11);

    // The shard files: contiguous slices of 3, 3 and 4 seeds with every raw
    // integer, the scenario's identity and the sweep they belong to.
    let json = |name: &str| -> serde_json::Value { serde_json::from_str(&csv(name)).unwrap() };
    let first_seed: u64 = 20260310;
    let mut seeds = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let shard = json(name);
        assert_eq!(shard["format"], "cascade-sweep-shard");
        assert_eq!(shard["version"], 1);
        assert_eq!(shard["scenario"]["name"], "Luxembourg: Grey Tuesday (national cyber-crisis exercise)");
        assert_eq!(shard["scenario"]["blake3"].as_str().unwrap().len(), 64);
        assert_eq!(shard["first_seed"], first_seed.to_string());
        assert_eq!(shard["runs"], 10);
        assert_eq!(shard["shard"], serde_json::json!({"index": i, "count": 3}));
        for outcome in shard["outcomes"].as_array().unwrap() {
            seeds.push(outcome["seed"].as_str().unwrap().parse::<u64>().unwrap());
            assert!(outcome["lost_user_ticks"].as_str().unwrap().parse::<u128>().is_ok(), "{outcome}");
            assert_eq!(outcome["objectives"].as_array().unwrap().len(), 10, "{outcome}");
            assert_eq!(outcome["incidents"].as_array().unwrap().len(), 6, "{outcome}");
        }
        assert_eq!(shard["outcomes"].as_array().unwrap().len(), [3, 3, 4][i]);
    }
    assert_eq!(seeds, (first_seed..first_seed + 10).collect::<Vec<_>>());

    // The merged runs as one file (shard 0/1) merge again to the same report.
    expect(d, &["sweep", "merge", "lux0.json", "lux1.json", "lux2.json", "--json", "all.json"], 0);
    assert_eq!(json("all.json")["shard"], serde_json::json!({"index": 0, "count": 1}));
    assert_eq!(text(&expect(d, &["sweep", "merge", "all.json"], 0).stdout), whole_out);
}

#[test]
fn a_sweep_with_its_own_first_seed_merges_too() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let tutorial = scenario("tutorial.ron");
    let args = ["--runs", "7", "--first-seed", "1000"];
    let mut all = vec!["sweep", tutorial.to_str().unwrap(), "--csv", "whole.csv"];
    all.extend(args);
    let whole = text(&expect(d, &all, 0).stdout);
    let names = shards(d, &tutorial, &args, 7, "t");
    let mut merge = vec!["sweep", "merge", "--csv", "merged.csv"];
    merge.extend(names.iter().map(String::as_str));
    merge.extend(["--json", "merged.json"]);
    assert_eq!(text(&expect(d, &merge, 0).stdout), whole);
    assert_eq!(std::fs::read(d.join("merged.csv")).unwrap(), std::fs::read(d.join("whole.csv")).unwrap());
    // `--json` on an unsharded sweep prints its report and writes the same file
    // as merging its shards.
    let mut direct = vec!["sweep", tutorial.to_str().unwrap(), "--json", "direct.json"];
    direct.extend(args);
    assert_eq!(text(&expect(d, &direct, 0).stdout), whole);
    assert_eq!(std::fs::read(d.join("direct.json")).unwrap(), std::fs::read(d.join("merged.json")).unwrap());
}

// ---- merge refuses what is not exactly one sweep ----

/// Five tutorial runs in three shards (seeds 42 | 43 44 | 45 46), in a temp dir.
fn tutorial_shards() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let tutorial = scenario("tutorial.ron");
    shards(dir.path(), &tutorial, &["--runs", "5"], 3, "s");
    (dir, tutorial)
}

#[test]
fn merge_refuses_missing_duplicated_and_overlapping_shards() {
    let (dir, _) = tutorial_shards();
    let d = dir.path();
    refused(d, &["sweep", "merge", "s0.json", "s2.json"], &["1 of the 3 shards is missing", "1/3 (seeds 43 to 44)"]);
    refused(
        d,
        &["sweep", "merge", "s1.json"],
        &["2 of the 3 shards are missing", "0/3 (seed 42)", "2/3 (seeds 45 to 46)"],
    );
    refused(
        d,
        &["sweep", "merge", "s0.json", "s1.json", "s2.json", "./s1.json"],
        &["./s1.json is given twice", "s1.json"],
    );
    std::fs::copy(d.join("s1.json"), d.join("copy.json")).unwrap();
    refused(
        d,
        &["sweep", "merge", "s0.json", "s1.json", "copy.json", "s2.json"],
        &["s1.json and copy.json are both shard 1/3 (seeds 43 to 44)"],
    );
}

#[test]
fn merge_refuses_shards_of_other_scenarios_or_sweeps() {
    let (dir, tutorial) = tutorial_shards();
    let d = dir.path();
    let t = tutorial.to_str().unwrap();
    let lux = scenario("luxembourg.ron");
    expect(d, &["sweep", lux.to_str().unwrap(), "--runs", "5", "--shard", "1/3", "--json", "lux.json"], 0);
    refused(
        d,
        &["sweep", "merge", "s0.json", "lux.json", "s2.json"],
        &["s0.json and lux.json are sweeps of different scenarios", "Tutorial", "Luxembourg", "blake3"],
    );

    // The same scenario changed between shards: same name, another digest.
    let changed = std::fs::read_to_string(&tutorial).unwrap().replace("duration_ticks: 180", "duration_ticks: 181");
    assert!(changed.contains("duration_ticks: 181"), "the tutorial's duration moved: update this test");
    std::fs::write(d.join("tutorial.ron"), changed).unwrap();
    expect(d, &["sweep", "tutorial.ron", "--runs", "5", "--shard", "1/3", "--json", "changed.json"], 0);
    refused(d, &["sweep", "merge", "s0.json", "changed.json", "s2.json"], &["different scenarios", "the same name"]);

    // The same scenario file elsewhere, reformatted: the same scenario, merged.
    let reformatted = format!("// a copy\n{}", std::fs::read_to_string(&tutorial).unwrap());
    std::fs::write(d.join("copy.ron"), reformatted).unwrap();
    expect(d, &["sweep", "copy.ron", "--runs", "5", "--shard", "1/3", "--json", "copy.json"], 0);
    expect(d, &["sweep", "merge", "s0.json", "copy.json", "s2.json"], 0);

    for (args, what) in [
        (["--runs", "6", "--first-seed", "42"], "s0.json of 5 runs from seed 42 in 3 shards, other.json of 6 runs"),
        (["--runs", "5", "--first-seed", "43"], "other.json of 5 runs from seed 43 in 3 shards"),
    ] {
        let mut all = vec!["sweep", t, "--shard", "1/3", "--json", "other.json"];
        all.extend(args);
        expect(d, &all, 0);
        refused(d, &["sweep", "merge", "s0.json", "other.json", "s2.json"], &["shards of different sweeps", what]);
    }
    expect(d, &["sweep", t, "--runs", "5", "--shard", "1/4", "--json", "other.json"], 0);
    refused(d, &["sweep", "merge", "s0.json", "other.json", "s2.json"], &["in 4 shards"]);
}

#[test]
fn merge_refuses_bad_files_naming_each_and_what_is_wrong() {
    let (dir, _) = tutorial_shards();
    let d = dir.path();
    let original: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("s1.json")).unwrap()).unwrap();
    let edited = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value = original.clone();
        edit(&mut value);
        std::fs::write(d.join(name), value.to_string()).unwrap();
    };
    std::fs::write(d.join("torn.json"), "{\"format\": \"cascade-sweep-shard\", \"version\": 1,").unwrap();
    std::fs::write(d.join("other.json"), "{\"format\": \"something else\"}").unwrap();
    edited("v2.json", &|v| v["version"] = 2.into());
    edited("cut.json", &|v| {
        v["outcomes"].as_array_mut().unwrap().pop();
    });
    edited("seed.json", &|v| v["outcomes"][0]["seed"] = "7".into());
    edited("number.json", &|v| v["outcomes"][0]["lost_user_ticks"] = 3199200.into());
    edited("huge.json", &|v| v["outcomes"][0]["lost_user_ticks"] = "99999999999999999999".into());
    edited("unknown.json", &|v| v["comment"] = "hi".into());
    edited("renamed.json", &|v| v["scenario"]["name"] = "Renamed".into());

    // Every bad file is named in one refusal, each with what is wrong.
    refused(
        d,
        &["sweep", "merge", "s0.json", "torn.json", "other.json", "missing.json", "s2.json"],
        &[
            "torn.json: not valid JSON",
            "other.json: not a sweep shard",
            "\"something else\"",
            "missing.json: cannot read it",
        ],
    );
    for (file, what) in [
        ("v2.json", "shard format version 2"),
        ("cut.json", "it holds 1 run, but shard 1/3 of 5 runs has 2 (seeds 43 to 44)"),
        ("seed.json", "outcome 0 has seed 7, not 43"),
        ("number.json", "expected an integer written as a decimal string"),
        ("huge.json", "more than the"),
        ("unknown.json", "unknown field `comment`"),
        ("renamed.json", "same scenario blake3 but describe it differently"),
    ] {
        refused(d, &["sweep", "merge", "s0.json", file, "s2.json"], &[file, what]);
    }
    // A refused merge writes no output.
    refused(d, &["sweep", "merge", "s0.json", "cut.json", "s2.json", "--csv", "out.csv"], &["cut.json"]);
    assert!(!d.join("out.csv").exists());
}

// ---- the arguments ----

#[test]
fn shard_arguments_are_checked() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let tutorial = scenario("tutorial.ron");
    let t = tutorial.to_str().unwrap();
    for (shard, what) in [
        ("3/3", "--array=0-2"),
        ("/3", "SLURM_ARRAY_TASK_ID"),
        ("1/0", "at least 1"),
        ("one/3", "expected I/N"),
        ("1-3", "expected I/N"),
    ] {
        let output = expect(d, &["sweep", t, "--runs", "5", "--shard", shard, "--json", "o.json"], 2);
        assert!(text(&output.stderr).contains(what), "{shard}: {}", text(&output.stderr));
    }
    let more_shards_than_runs = expect(d, &["sweep", t, "--runs", "2", "--shard", "0/3", "--json", "o.json"], 2);
    assert!(text(&more_shards_than_runs.stderr).contains("3 shards of --runs 2"));
    // A shard without a file to write it to would be lost; its CSV is merge's to write.
    let no_json = expect(d, &["sweep", t, "--runs", "5", "--shard", "0/2"], 2);
    assert!(text(&no_json.stderr).contains("--json"), "{}", text(&no_json.stderr));
    expect(d, &["sweep", t, "--runs", "5", "--shard", "0/2", "--json", "o.json", "--csv", "o.csv"], 2);
    // merge takes files, not a sweep's arguments; and at least one.
    expect(d, &["sweep", "merge", "--runs", "3"], 2);
    expect(d, &["sweep", "merge"], 2);
    // Nothing half-written is left where the shard goes.
    assert!(std::fs::read_dir(d).unwrap().next().is_none());
}

#[test]
fn an_unwritable_shard_file_fails_before_simulating() {
    let dir = TempDir::new().unwrap();
    let tutorial = scenario("tutorial.ron");
    let args = ["sweep", tutorial.to_str().unwrap(), "--runs", "2", "--shard", "0/2", "--json", "no-dir/s0.json"];
    let output = expect(dir.path(), &args, 1);
    assert!(text(&output.stderr).contains("no-dir/s0.json"), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
}
