//! Getting an exercise ready to serve: a new one from a scenario (journal and
//! tokens created, `--bots` takeovers journaled), a crashed one from its own
//! journal (`resume`), and what resuming and branching share
//! (`resume_journal`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use cascade_engine::{Simulation, load_model};
use cascade_replay::{Header, JournalWriter, Replay, read_journal};
use tracing::info;

use crate::bots;
use crate::exercise::Exercise;
use crate::tokens::Tokens;

/// An exercise ready to serve.
pub(crate) struct Prepared {
    pub exercise: Exercise,
    pub tokens: Tokens,
    pub journal: PathBuf,
    /// Where it came from, for the startup print (branches).
    pub origin: Option<String>,
    /// The speed, when it is the last one the director set in the journal.
    pub journal_speed: Option<f64>,
}

/// `journals/<stem>-<UTC time>.jsonl` (creating journals/).
pub(crate) fn default_journal(stem: &str) -> Result<PathBuf> {
    let now = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    std::fs::create_dir_all("journals").context("cannot create journals/")?;
    Ok(PathBuf::from(format!("journals/{stem}-{now}.jsonl")))
}

/// A new exercise of the scenario `file`.
pub(crate) fn start(
    file: &Path,
    bots_spec: Option<&str>,
    seed: Option<u64>,
    journal: Option<&Path>,
    speed: f64,
) -> Result<Prepared> {
    let model = load_model(file).map_err(|e| anyhow::anyhow!("{e}"))?;
    let seed = seed.unwrap_or(model.scenario.seed);
    let team_ids: Vec<String> = model.scenario.teams.iter().map(|t| t.id.clone()).collect();
    // Checked before anything is written.
    let humans = bots::human_teams(bots_spec.unwrap_or("all"), &team_ids)?;
    let journal_path = match journal {
        Some(p) => p.to_path_buf(),
        None => default_journal(file.file_stem().and_then(|s| s.to_str()).unwrap_or("exercise"))?,
    };
    let tokens = Tokens::generate(&team_ids)?;
    let header = Header::new(&model.scenario, seed, jiff::Timestamp::now().to_string())
        .with_context(|| format!("cannot record {} in a journal", file.display()))?;
    let mut journal = JournalWriter::create(&journal_path, &header)
        .with_context(|| format!("cannot create journal {} (it must not exist yet)", journal_path.display()))?;
    tokens.write(&Tokens::path_beside(&journal_path))?;
    let sim = Simulation::new(Arc::new(model), seed);
    journal.append_checkpoint(0, &sim.state_hash())?;
    journal.sync()?;
    let mut exercise = Exercise::new(sim, journal, speed);
    exercise
        .take_over_from_start(&humans)
        .with_context(|| format!("cannot write journal {}", journal_path.display()))?;
    Ok(Prepared { exercise, tokens, journal: journal_path, origin: None, journal_speed: None })
}

/// `--resume`: the exercise of a crashed host, paused at its last checkpoint.
pub(crate) fn resume(path: &Path, speed: Option<f64>) -> Result<Prepared> {
    let (exercise, tokens, journal_speed) = resume_journal(path, speed)?;
    info!("resumed {} at tick {}, paused until the director resumes", path.display(), exercise.sim.tick());
    Ok(Prepared { exercise, tokens, journal: path.to_path_buf(), origin: None, journal_speed })
}

/// The last speed the director set in a journal, if any.
pub(crate) fn last_director_speed(journal: &cascade_replay::Journal) -> Option<f64> {
    journal.commands.iter().rev().find_map(|(_, line)| {
        if line.team != cascade_replay::DIRECTOR || line.command.get("action")?.as_str()? != "speed" {
            return None;
        }
        let speed = line.command.get("ticks_per_second")?.as_f64()?;
        crate::config::SPEEDS.contains(&speed).then_some(speed)
    })
}

/// What `--resume` and `--branch` share: re-simulates the journal at `path` to
/// its last checkpoint (checking every hash), reads the tokens beside it, cuts
/// a torn last line, and requeues the commands acknowledged for the next tick.
/// The exercise comes back paused, at `speed`, or if that is `None` at the
/// director's last speed in the journal (returned too), or 1.
pub(crate) fn resume_journal(path: &Path, speed: Option<f64>) -> Result<(Exercise, Tokens, Option<f64>)> {
    let journal = read_journal(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let valid_len = journal.valid_len;
    let replay = Replay::new(journal).map_err(|e| anyhow::anyhow!("{e}"))?;
    let sim = replay.verify(|_| {}).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let tokens = Tokens::read(&Tokens::path_beside(path))?;
    let team_ids: Vec<String> = sim.model().scenario.teams.iter().map(|t| t.id.clone()).collect();
    tokens.check_teams(&team_ids)?;
    let next = sim.tick() + 1;
    let pending = replay.commands_for(&sim, next).map_err(|e| anyhow::anyhow!("{e}"))?;
    let journal_speed = if speed.is_none() { last_director_speed(&replay.journal) } else { None };
    let writer = JournalWriter::resume(path, valid_len)?;
    let mut exercise = Exercise::new(sim, writer, speed.or(journal_speed).unwrap_or(1.0));
    for (_, line) in &replay.journal.commands {
        exercise.note_seen(line.team.clone(), line.client.clone(), line.seq, line.tick, &line.command);
    }
    exercise.ended = replay.journal.end_stamp().is_some() || exercise.sim.is_finished();
    exercise.requeue(pending);
    Ok((exercise, tokens, journal_speed))
}
