//! Sweeps spread over a batch scheduler: `--shard I/N` picks one contiguous slice
//! of the seeds, `--json OUT` writes that slice's outcomes as a shard file, and
//! `cascade sweep merge` checks that a set of shard files is exactly one sweep
//! (same scenario, same seeds, every shard once) before joining them in seed order.
//! The file format is documented in docs/sweep.md.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use cascade_engine::validate::limits::{MAX_DURATION_TICKS, MAX_TICK_SECONDS, MAX_TOTAL_POPULATION};
use serde::{Deserialize, Serialize};

use super::outcome::{Facts, ObjectiveEnd, Outcome, decimal};

/// The `format` field of a shard file: says what the JSON is.
pub const FORMAT: &str = "cascade-sweep-shard";
/// The `version` of the shard format this code writes and reads.
pub const VERSION: u32 = 1;
/// The most runs one sweep may have (also `--runs`' range).
pub const MAX_RUNS: u32 = 100_000;

/// Shard `index` of `count`, 0-based (0/N to N-1/N), like a Kubernetes Indexed
/// Job's completion index; the whole sweep is 0/1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The run numbers (0-based, run i has seed first-seed + i) of this shard: the
    /// `index`-th of `count` contiguous slices of 0..runs, whose sizes differ by
    /// at most one. Contiguous, so a shard's seeds are a range a person can name.
    pub fn runs(self, runs: u32) -> Range<u32> {
        let bound = |i: u32| (u64::from(i) * u64::from(runs) / u64::from(self.count.max(1))) as u32;
        bound(self.index)..bound(self.index + 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `--shard I/N`: clap's value parser. The message says what a scheduler's
/// unset variable looks like, the commonest way to get this wrong.
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let usage = "expected I/N: this shard's index, counted from 0, and the number of shards (0/4 to 3/4 for four)";
    let Some((index, count)) = text.split_once('/') else {
        return Err(format!("{usage}; got {text:?}"));
    };
    if index.trim().is_empty() {
        return Err(format!(
            "the shard index is empty in {text:?}: is the scheduler's variable ($SLURM_ARRAY_TASK_ID, \
             $JOB_COMPLETION_INDEX) set in this shell?"
        ));
    }
    let index: u32 = decimal::parse(index).map_err(|e| format!("{usage}; the index {e}"))?;
    let count: u32 = decimal::parse(count).map_err(|e| format!("{usage}; the count {e}"))?;
    if count == 0 {
        return Err("the number of shards must be at least 1".to_string());
    }
    if index >= count {
        return Err(format!(
            "shard {index} does not exist: {count} shard{} are numbered from 0 to {} \
             (a Slurm array for them is --array=0-{})",
            if count == 1 { "" } else { "s" },
            count - 1,
            count - 1
        ));
    }
    Ok(Shard { index, count })
}

/// A shard file: one slice of one sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The version of cascade that simulated the runs.
    pub engine: String,
    pub scenario: Facts,
    /// The seed of run 0 of the whole sweep (not of this shard).
    #[serde(with = "decimal")]
    pub first_seed: u64,
    /// Runs in the whole sweep.
    pub runs: u32,
    pub shard: Shard,
    /// This shard's runs, in seed order.
    pub outcomes: Vec<Outcome>,
}

impl ShardFile {
    pub fn new(scenario: Facts, first_seed: u64, runs: u32, shard: Shard, outcomes: Vec<Outcome>) -> Self {
        Self {
            format: FORMAT.to_string(),
            version: VERSION,
            engine: env!("CARGO_PKG_VERSION").to_string(),
            scenario,
            first_seed,
            runs,
            shard,
            outcomes,
        }
    }

    /// The seeds this shard holds, as text for messages.
    fn seeds_text(&self, shard: Shard) -> String {
        seeds_text(self.first_seed, shard.runs(self.runs))
    }

    /// Every rule a shard file obeys on its own; `Err` says which is broken.
    fn check(&self) -> Result<(), String> {
        if !(1..=MAX_RUNS).contains(&self.runs) {
            return Err(format!("runs is {}, not in 1..={MAX_RUNS}", self.runs));
        }
        if self.first_seed.checked_add(u64::from(self.runs) - 1).is_none() {
            return Err(format!("{} runs from seed {} go past the largest seed", self.runs, self.first_seed));
        }
        let Shard { index, count } = self.shard;
        if count == 0 || count > self.runs || index >= count {
            return Err(format!("shard {index}/{count} is not one of 1 to {} shards of {} runs", self.runs, self.runs));
        }
        let f = &self.scenario;
        let digest_ok = f.blake3.len() == 64 && f.blake3.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !digest_ok {
            return Err(format!("scenario.blake3 {:?} is not 64 lowercase hex digits", f.blake3));
        }
        // The scenario limits bound every product the summary computes, so numbers
        // from a file cannot overflow it.
        if !(1..=MAX_TICK_SECONDS).contains(&f.tick_seconds) {
            return Err(format!("scenario.tick_seconds {} is not in 1..={MAX_TICK_SECONDS}", f.tick_seconds));
        }
        if !(1..=MAX_DURATION_TICKS).contains(&f.duration_ticks) {
            return Err(format!("scenario.duration_ticks {} is not in 1..={MAX_DURATION_TICKS}", f.duration_ticks));
        }
        if f.total_population > MAX_TOTAL_POPULATION
            || f.population.is_some_and(|p| !(1..=MAX_TOTAL_POPULATION).contains(&p))
        {
            return Err(format!("a scenario population is over the limit of {MAX_TOTAL_POPULATION} (or 0 people)"));
        }
        let slice = self.shard.runs(self.runs);
        if self.outcomes.len() != slice.len() {
            return Err(format!(
                "it holds {} run{}, but shard {} of {} runs has {} ({}): was it cut short?",
                self.outcomes.len(),
                if self.outcomes.len() == 1 { "" } else { "s" },
                self.shard,
                self.runs,
                slice.len(),
                self.seeds_text(self.shard)
            ));
        }
        let most_lost = u128::from(f.total_population) * u128::from(f.duration_ticks);
        for (k, (o, run)) in self.outcomes.iter().zip(slice).enumerate() {
            let seed = self.first_seed + u64::from(run);
            let problem = if o.seed != seed {
                format!("has seed {}, not {seed}", o.seed)
            } else if o.lost_user_ticks > most_lost {
                format!("lost {} user-ticks, more than the {most_lost} there are", o.lost_user_ticks)
            } else if o.lowest_national > f.total_population {
                format!("served {} users, more than the {} there are", o.lowest_national, f.total_population)
            } else if o.objectives.len() != f.objectives.len() {
                format!("has {} objectives, the scenario {}", o.objectives.len(), f.objectives.len())
            } else if o.incidents.len() != f.incidents.len() {
                format!("has {} incidents, the scenario {}", o.incidents.len(), f.incidents.len())
            } else if o
                .objectives
                .iter()
                .any(|s| matches!(s, ObjectiveEnd::Met(t) | ObjectiveEnd::Missed(t) if *t > f.duration_ticks))
                || o.incidents.iter().any(|i| [i.0, i.1, i.2].into_iter().flatten().any(|t| t > f.duration_ticks))
            {
                format!("has a tick after the end ({})", f.duration_ticks)
            } else {
                continue;
            };
            return Err(format!("outcome {k} {problem}"));
        }
        Ok(())
    }
}

/// "seeds A to B" of runs `runs` of a sweep from `first_seed`, for messages.
pub fn seeds_text(first_seed: u64, runs: Range<u32>) -> String {
    let (a, b) = (first_seed + u64::from(runs.start), first_seed + u64::from(runs.end));
    match runs.len() {
        0 => "no seeds".to_string(),
        1 => format!("seed {a}"),
        _ => format!("seeds {a} to {}", b - 1),
    }
}

// ---------------------------------------------------------------- writing

/// A shard file being written: opened (as `OUT.partial`) before the runs so a bad
/// path fails at once, and renamed to `OUT` only when complete, so a job killed
/// half-way (a preempted Slurm task, an evicted pod) never leaves a file that
/// looks finished. Dropped unfinished (an error on the way), it removes `OUT.partial`.
pub struct ShardWriter {
    path: PathBuf,
    partial: PathBuf,
    out: BufWriter<File>,
    renamed: bool,
}

impl ShardWriter {
    pub fn create(path: &Path) -> Result<Self> {
        let name = path.file_name().ok_or_else(|| anyhow!("--json {}: not a file name", path.display()))?;
        let mut partial_name = name.to_os_string();
        partial_name.push(".partial");
        let partial = path.with_file_name(partial_name);
        let file = File::create(&partial)
            .with_context(|| format!("cannot create shard file {} (for {})", partial.display(), path.display()))?;
        Ok(Self { path: path.to_path_buf(), partial, out: BufWriter::new(file), renamed: false })
    }

    pub fn finish(mut self, shard: &ShardFile) -> Result<()> {
        let written = serde_json::to_writer(&mut self.out, shard)
            .map_err(anyhow::Error::from)
            .and_then(|()| Ok(self.out.write_all(b"\n")?))
            .and_then(|()| Ok(self.out.flush()?))
            .and_then(|()| Ok(self.out.get_ref().sync_all()?))
            .and_then(|()| Ok(std::fs::rename(&self.partial, &self.path)?));
        self.renamed = written.is_ok();
        written.with_context(|| format!("cannot write shard file {}", self.path.display()))
    }
}

impl Drop for ShardWriter {
    fn drop(&mut self) {
        if !self.renamed {
            // Best effort: the error that stopped the writer is what gets reported.
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

// ---------------------------------------------------------------- reading

/// Just enough of a file to say what it is before reading it as a shard.
#[derive(Deserialize)]
struct Probe {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// Reads and checks one shard file; the message names what is wrong (the caller
/// adds the path).
fn read(path: &Path) -> Result<ShardFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let probe: Probe = serde_json::from_slice(&bytes).map_err(|e| {
        if e.is_data() {
            // JSON, but not an object: a string, a number.
            format!("not a sweep shard (a shard is a JSON object; this is not one, at line {})", e.line())
        } else {
            format!("not valid JSON: {e}")
        }
    })?;
    match probe.format.as_ref().and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => return Err(format!("not a sweep shard: its format is {other:?}, not {FORMAT:?}")),
        None => {
            return Err(format!(
                "not a sweep shard (no \"format\": {FORMAT:?}; shards are written by `cascade sweep … --json`)"
            ));
        }
    }
    match probe.version.as_ref().and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => {
            return Err(format!(
                "shard format version {v}; this cascade ({}) reads version {VERSION}: merge with the cascade that wrote it",
                env!("CARGO_PKG_VERSION")
            ));
        }
        None => return Err("its \"version\" is missing or not a number".to_string()),
    }
    let shard: ShardFile = serde_json::from_slice(&bytes).map_err(|e| format!("not a valid shard: {e}"))?;
    shard.check().map_err(|e| format!("not a valid shard: {e}"))?;
    Ok(shard)
}

/// Reads `files` (in any order) and joins them into the whole sweep, as shard 0/1
/// with every run in seed order; refuses (naming the files and what differs) a set
/// that is not exactly every shard of one sweep once.
pub fn merge(files: &[PathBuf]) -> Result<ShardFile> {
    // Every unreadable file at once: with a hundred shards, one retry for all.
    let mut shards = Vec::new();
    let mut problems = Vec::new();
    for path in files {
        match read(path) {
            Ok(shard) => shards.push((path, shard)),
            Err(problem) => problems.push(format!("{}: {problem}", path.display())),
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }

    let mut seen: BTreeMap<PathBuf, &PathBuf> = BTreeMap::new();
    for path in files {
        // Canonical paths catch `a.json` and `./a.json`; read() has opened it already.
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if let Some(before) = seen.insert(canonical, path) {
            bail!("{} is given twice (also as {}): each shard is merged once", path.display(), before.display());
        }
    }

    let Some(((first_path, first), rest)) = shards.split_first() else {
        bail!("no shard files to merge");
    };
    let name = |p: &PathBuf| p.display().to_string();
    for (path, shard) in rest {
        let (a, b) = (name(first_path), name(path));
        if shard.scenario.blake3 != first.scenario.blake3 {
            let same_name = if shard.scenario.name == first.scenario.name {
                " (the same name, different contents: was the scenario changed between shards?)"
            } else {
                ""
            };
            bail!(
                "{a} and {b} are sweeps of different scenarios: {:?} (blake3 {}) and {:?} (blake3 {}){same_name}",
                first.scenario.name,
                first.scenario.blake3,
                shard.scenario.name,
                shard.scenario.blake3
            );
        }
        if shard.scenario != first.scenario {
            bail!("{a} and {b} have the same scenario blake3 but describe it differently: was one of them edited?");
        }
        if shard.engine != first.engine {
            bail!(
                "{a} was simulated by cascade {}, {b} by cascade {}: the shards of one sweep come from one version",
                first.engine,
                shard.engine
            );
        }
        let sweep = |s: &ShardFile| format!("{} runs from seed {} in {} shards", s.runs, s.first_seed, s.shard.count);
        if (shard.runs, shard.first_seed, shard.shard.count) != (first.runs, first.first_seed, first.shard.count) {
            bail!(
                "{a} and {b} are shards of different sweeps: {a} of {}, {b} of {} \
                 (every shard is run with the same --runs, --first-seed and N in --shard I/N)",
                sweep(first),
                sweep(shard)
            );
        }
    }

    let mut by_index: BTreeMap<u32, (&PathBuf, &ShardFile)> = BTreeMap::new();
    for (path, shard) in &shards {
        if let Some((other, _)) = by_index.insert(shard.shard.index, (path, shard)) {
            bail!(
                "{} and {} are both shard {} ({}): each shard is merged once",
                other.display(),
                path.display(),
                shard.shard,
                shard.seeds_text(shard.shard)
            );
        }
    }
    let count = first.shard.count;
    let missing: Vec<String> = (0..count)
        .filter(|i| !by_index.contains_key(i))
        .map(|index| {
            let shard = Shard { index, count };
            format!("{shard} ({})", first.seeds_text(shard))
        })
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} of the {count} shards {} missing: {}",
            missing.len(),
            if missing.len() == 1 { "is" } else { "are" },
            missing.join(", ")
        );
    }

    // Shards in index order are the seeds in order, each one checked already.
    let (scenario, first_seed, runs, engine) =
        (first.scenario.clone(), first.first_seed, first.runs, first.engine.clone());
    shards.sort_by_key(|(_, s)| s.shard.index);
    let outcomes = shards.into_iter().flat_map(|(_, s)| s.outcomes).collect();
    let mut whole = ShardFile::new(scenario, first_seed, runs, Shard::WHOLE, outcomes);
    // The merged file says who simulated the runs, not who merged them.
    whole.engine = engine;
    Ok(whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every run is in exactly one shard, in order, and shard sizes differ by at most one.
    #[test]
    fn shards_partition_the_runs() {
        for runs in [1, 2, 3, 5, 7, 10, 99, 100, 1000, MAX_RUNS] {
            for count in [1, 2, 3, 4, 7, 10, 64, 1000].into_iter().filter(|&c| c <= runs) {
                let slices: Vec<Range<u32>> = (0..count).map(|index| Shard { index, count }.runs(runs)).collect();
                assert_eq!(slices[0].start, 0);
                assert_eq!(slices[slices.len() - 1].end, runs);
                assert!(slices.windows(2).all(|w| w[0].end == w[1].start), "{runs} in {count}: {slices:?}");
                let sizes: Vec<usize> = slices.iter().map(|s| s.len()).collect();
                let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(*min >= 1 && max - min <= 1, "{runs} in {count}: {sizes:?}");
            }
        }
    }

    #[test]
    fn shard_arguments_are_0_based_i_of_n() {
        assert_eq!(parse_shard("0/1"), Ok(Shard::WHOLE));
        assert_eq!(parse_shard("2/3"), Ok(Shard { index: 2, count: 3 }));
        for bad in ["3/3", "/3", "1/", "1/0", "-1/3", "+1/3", "1 /3", "1/3/4", "x", "", "1"] {
            assert!(parse_shard(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_shard("/4").unwrap_err().contains("SLURM_ARRAY_TASK_ID"));
        assert!(parse_shard("4/4").unwrap_err().contains("--array=0-3"));
    }
}
