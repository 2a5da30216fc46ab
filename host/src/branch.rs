//! `--branch JOURNAL --at TICK`: a new live exercise that starts from the exact
//! state of a recording at a tick ("what if we had isolated earlier?").
//!
//! The new journal has the source's header in the current format (only
//! `started_at` is new, and a format-1 source's scenario is stored
//! compressed), then the source's command lines stamped up to TICK and its
//! checkpoints 0..=TICK, in order (a format-1 or -2 source's v1 hashes are
//! checked and recomputed as v2); commands stamped for TICK+1 belong to the future being replaced and
//! are dropped. Provenance goes to `<new journal>.branch.json`, fresh tokens
//! beside the journal, and then the host continues exactly as `--resume` does
//! on the new journal: re-simulated and verified, paused at TICK.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use cascade_replay::{JournalWriter, Replay, read_journal};
use serde::Serialize;

use crate::exercise::SETUP_CLIENT;
use crate::start::{Prepared, default_journal, resume_journal};
use crate::tokens::Tokens;

/// A recording checked to be branchable at `at`.
pub struct Plan {
    pub source: PathBuf,
    /// The source journal, with its scenario loaded.
    pub replay: Replay,
    pub at: u64,
}

impl Plan {
    /// The source's checkpoint hash at `at`.
    pub fn hash(&self) -> &str {
        &self.replay.journal.checkpoints[self.at as usize]
    }
}

/// Reads `source` and checks that it can be branched at `at`: a checkpoint of
/// it, before any director `end`, and before the exercise's last tick. Writes
/// nothing.
pub fn plan(source: &Path, at: u64) -> Result<Plan> {
    let journal = read_journal(source).map_err(|e| anyhow::anyhow!("{e}"))?;
    let shown = source.display();
    if journal.checkpoints.is_empty() {
        bail!("{shown}: the journal has no checkpoint to branch from");
    }
    let last = journal.last_tick();
    if at > last {
        bail!("{shown}: cannot branch at tick {at}: the recording's last checkpoint is tick {last}");
    }
    if let Some(end) = journal.end_stamp()
        && end <= at
    {
        bail!("{shown}: cannot branch at tick {at}: the director ended the exercise at tick {end}; branch before it");
    }
    let replay = Replay::new(journal).map_err(|e| anyhow::anyhow!("{e}"))?;
    let duration = replay.model.scenario.duration_ticks;
    if at >= duration {
        bail!("{shown}: cannot branch at tick {at}: the exercise is over then (it lasts {duration} ticks)");
    }
    Ok(Plan { source: source.to_path_buf(), replay, at })
}

/// `<journal>.branch.json`.
pub fn sidecar_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".branch.json");
    PathBuf::from(name)
}

/// The sidecar's content: where a branch journal came from.
#[derive(Serialize)]
struct Provenance<'a> {
    /// The source journal, as an absolute path.
    source: String,
    at: u64,
    /// The source's checkpoint hash at `at` (also the branch's, unless the
    /// source is of format 1 or 2, whose hashes are v1).
    hash: &'a str,
}

/// Branches `source` at `at` into `out` (default
/// `journals/<source stem>-branch-t<at>-<UTC time>.jsonl`, never overwritten)
/// and prepares the exercise as `--resume` would. If anything fails once the
/// journal exists, what was written is removed again.
pub(crate) fn branch(source: &Path, at: u64, out: Option<&Path>, speed: Option<f64>) -> Result<Prepared> {
    let plan = plan(source, at)?;
    let path = match out {
        Some(p) => p.to_path_buf(),
        None => {
            let stem = source.file_stem().and_then(|s| s.to_str()).unwrap_or("exercise");
            default_journal(&format!("{stem}-branch-t{at}"))?
        }
    };
    write_journal(&plan, &path)?;
    let written = [path.clone(), sidecar_path(&path), Tokens::path_beside(&path)];
    let prepared = write_beside(&plan, &path).and_then(|()| resume_journal(&path, speed));
    match prepared {
        Ok((exercise, tokens, journal_speed)) => {
            let origin = format!("branched from {} at tick {at} (hash {})", source.display(), plan.hash());
            Ok(Prepared { exercise, tokens, journal: path, origin: Some(origin), journal_speed })
        }
        Err(e) => {
            for file in &written {
                let _ = std::fs::remove_file(file);
            }
            Err(e.context(format!("cannot branch {} at tick {at}", source.display())))
        }
    }
}

/// The new journal: the source's header with a new `started_at` (in the
/// current format, the same scenario text), its command lines stamped up to
/// `at` and checkpoints 0..=`at` (in the current hash format: recomputed, and
/// the source's checked, if the source is of format 1 or 2), synced.
fn write_journal(plan: &Plan, path: &Path) -> Result<()> {
    let source = &plan.replay.journal;
    // The replay let its scenario go: read it again from the source's header.
    // (Its errors name the journal already.)
    let stored = source.stored_header().map_err(|e| anyhow::anyhow!("{e}"))?;
    let text = stored.scenario_text().map_err(|e| anyhow::anyhow!("{}: {e}", plan.source.display()))?;
    let header = stored
        .for_branch(&text, jiff::Timestamp::now().to_string())
        .map_err(|e| anyhow::anyhow!("{}: {e}", plan.source.display()))?;
    let hashes =
        plan.replay.current_checkpoints(plan.at).map_err(|e| anyhow::anyhow!("{}: {e}", plan.source.display()))?;
    let mut journal = JournalWriter::create(path, &header)
        .with_context(|| format!("cannot create journal {} (it must not exist yet)", path.display()))?;
    let copy = |journal: &mut JournalWriter| -> std::io::Result<()> {
        for (tick, hash) in hashes.iter().enumerate() {
            for (_, line) in source.commands_for(tick as u64) {
                journal.append_command(line)?;
            }
            journal.append_checkpoint_hex(tick as u64, hash)?;
        }
        if plan.at == 0 {
            for line in setup_takeovers(source) {
                journal.append_command(line)?;
            }
        }
        journal.sync()
    };
    if let Err(e) = copy(&mut journal) {
        let _ = std::fs::remove_file(path);
        return Err(e).with_context(|| format!("cannot write journal {}", path.display()));
    }
    Ok(())
}

/// The takeovers `--bots` journaled when the source started (client
/// `host-setup`, stamped for tick 1): a branch at tick 0 keeps them, so that
/// the same teams are human. Those a human's first command caused (client
/// `host`) belong to that human's future and are dropped with it.
fn setup_takeovers(source: &cascade_replay::Journal) -> Vec<&cascade_replay::CommandLine> {
    source.commands_for(1).map(|(_, line)| line).filter(|l| l.client == SETUP_CLIENT).collect()
}

/// The provenance sidecar and fresh tokens, beside the new journal.
fn write_beside(plan: &Plan, path: &Path) -> Result<()> {
    // Absolute, so that it still names the recording from beside the branch.
    let source = std::fs::canonicalize(&plan.source).unwrap_or_else(|_| plan.source.clone());
    let provenance = Provenance { source: source.display().to_string(), at: plan.at, hash: plan.hash() };
    let mut json = serde_json::to_vec_pretty(&provenance)?;
    json.push(b'\n');
    let sidecar = sidecar_path(path);
    std::fs::write(&sidecar, json).with_context(|| format!("cannot write {}", sidecar.display()))?;
    let team_ids: Vec<String> = plan.replay.model.scenario.teams.iter().map(|t| t.id.clone()).collect();
    Tokens::generate(&team_ids)?.write(&Tokens::path_beside(path))
}
