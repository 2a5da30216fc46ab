//! Re-simulating a journal: the scenario and seed from its header, its commands at
//! their ticks, and every checkpoint hash compared.

use std::path::Path;
use std::sync::Arc;

use cascade_engine::exercise::actions::Origin;
use cascade_engine::exercise::command::DIRECTOR_TEAM;
use cascade_engine::exercise::{Action, Command};
use cascade_engine::hash::HashVersion;
use cascade_engine::load::{LoadError, parse_stored_model, read_stored_scenario, stored_model};
use cascade_engine::scenario::Scenario;
use cascade_engine::wire::DirectorAction;
use cascade_engine::{Model, Simulation};

use crate::format::DIRECTOR;
use crate::reader::Journal;
use crate::scenario_blob;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{0}")]
    Scenario(String),
    /// The checkpoints cannot be those of this scenario (none, or too many).
    #[error("{0}")]
    Checkpoints(String),
    #[error("{path}:{line}: {message}")]
    Command { path: String, line: usize, message: String },
    #[error("checkpoint mismatch at tick {tick}: the journal has {expected}, re-simulation gives {actual}")]
    Mismatch { tick: u64, expected: String, actual: String },
    /// The evaluator's notes beside the journal cannot be read.
    #[error("{0}")]
    Notes(String),
}

/// What reading the journal's stored scenario as a stream came to.
enum StoredScenario {
    /// Read, and exactly the stored text (length and blake3).
    Scenario(Box<Scenario>),
    /// Not read that way: here is the text, decoded whole and checked, to
    /// parse as before (whose errors name what is wrong).
    Text(Result<String, String>),
    /// Not stored compressed (format 1), or the stream could not hand the
    /// compressed bytes back: read it from the journal as before.
    NotCompressed,
}

/// The journal's stored scenario, inflated straight into the engine's reader
/// and never held whole as text (330 MB at a million assets). The header
/// lets the scenario go once it is decoded: a replay keeps the model, not
/// the scenario (a branch reads it again from the file).
fn streamed_scenario(journal: &mut Journal) -> StoredScenario {
    let header = &journal.header;
    let Some((base64, declared)) = header.compressed_scenario() else {
        return StoredScenario::NotCompressed;
    };
    let Ok(inflating) = scenario_blob::inflating(base64, declared) else {
        return StoredScenario::NotCompressed;
    };
    let blake3 = header.scenario_blake3.clone();
    journal.release_scenario();
    let (scenario, Some(mut read)) = read_stored_scenario(inflating) else {
        return StoredScenario::NotCompressed;
    };
    match scenario {
        Some(scenario) if read.is_the_stored_text(&blake3) => StoredScenario::Scenario(Box::new(scenario)),
        _ => StoredScenario::Text(read.into_text(&blake3).map_err(|e| e.to_string())),
    }
}

/// A journal with its scenario loaded, ready to re-simulate.
pub struct Replay {
    pub journal: Journal,
    pub model: Arc<Model>,
    pub seed: u64,
    /// The state hash its checkpoints hold (from the header's format).
    pub hash: HashVersion,
}

impl Replay {
    pub fn new(mut journal: Journal) -> Result<Self, ReplayError> {
        let label = Path::new("journal header scenario");
        let path = journal.path.clone();
        let invalid =
            |e: LoadError| ReplayError::Scenario(format!("{}: the stored scenario is invalid:\n{e}", path.display()));
        let unreadable = |e: String| ReplayError::Scenario(format!("{}: {e}", path.display()));
        let model = match streamed_scenario(&mut journal) {
            StoredScenario::Scenario(scenario) => stored_model(*scenario, label).map_err(invalid)?,
            // A stored scenario the stream did not take: parsed whole, which
            // says what is wrong if anything is.
            StoredScenario::Text(text) => parse_stored_model(text.map_err(unreadable)?, label).map_err(invalid)?,
            StoredScenario::NotCompressed => {
                let text = journal.scenario().map_err(unreadable)?;
                // The model is what a replay keeps: the stored scenario goes
                // before the model is built beside it (a branch reads it again).
                journal.release_scenario();
                parse_stored_model(text, label).map_err(invalid)?
            }
        };
        let seed = journal.header.seed.parse::<u64>().map_err(|_| {
            ReplayError::Scenario(format!(
                "{}: seed {:?} is not a decimal u64",
                journal.path.display(),
                journal.header.seed
            ))
        })?;
        let path = journal.path.display();
        if journal.checkpoints.is_empty() {
            return Err(ReplayError::Checkpoints(format!("{path}: the journal has no checkpoint, not even tick 0")));
        }
        let duration = model.scenario.duration_ticks;
        if journal.last_tick() > duration {
            return Err(ReplayError::Checkpoints(format!(
                "{path}: checkpoint {} is past the scenario's end (it lasts {duration} ticks)",
                duration + 1
            )));
        }
        let hash = journal.header.hash_version();
        Ok(Self { journal, model: Arc::new(model), seed, hash })
    }

    /// The simulation of tick 0, hashing as the journal's checkpoints do:
    /// every re-simulation of a journal starts here.
    pub fn simulation(&self) -> Simulation {
        Simulation::with_hash(Arc::clone(&self.model), self.seed, self.hash)
    }

    /// The engine commands stamped for `tick`, in journal order.
    pub fn commands_for(&self, sim: &Simulation, tick: u64) -> Result<Vec<Command>, ReplayError> {
        let mut out = Vec::new();
        for (line, c) in self.journal.commands_for(tick) {
            let fail = |message: String| ReplayError::Command {
                path: self.journal.path.display().to_string(),
                line: *line,
                message,
            };
            if c.team == DIRECTOR {
                let action: DirectorAction = serde_json::from_value(c.command.clone())
                    .map_err(|e| fail(format!("bad director command: {e}")))?;
                match action {
                    // The wall clock's business; `end` stops the ticks, which the
                    // checkpoints already show.
                    DirectorAction::Start
                    | DirectorAction::Pause
                    | DirectorAction::Resume
                    | DirectorAction::Speed { .. }
                    | DirectorAction::Step
                    | DirectorAction::End
                    | DirectorAction::Note(_)
                    | DirectorAction::Watch { .. } => {}
                    DirectorAction::Inject(live) => {
                        out.push(Command { team: DIRECTOR_TEAM, action: Action::Inject(live), origin: None })
                    }
                    DirectorAction::Msel { inject, op } => {
                        out.push(Command { team: DIRECTOR_TEAM, action: Action::Msel { inject, op }, origin: None })
                    }
                }
                continue;
            }
            let team = sim.team_index(&c.team).ok_or_else(|| fail(format!("unknown team {:?}", c.team)))?;
            let action: Action =
                serde_json::from_value(c.command.clone()).map_err(|e| fail(format!("bad command: {e}")))?;
            out.push(Command { team, action, origin: Some(Origin::new(c.client.clone(), c.seq)) });
        }
        Ok(out)
    }

    /// Re-simulates every checkpointed tick and compares the hashes; `progress` is
    /// called after each tick. Returns the simulation at the last checkpoint.
    pub fn verify(&self, mut progress: impl FnMut(u64)) -> Result<Simulation, ReplayError> {
        let mut sim = self.simulation();
        for (tick, expected) in self.journal.checkpoints.iter().enumerate() {
            let tick = tick as u64;
            if tick > 0 {
                let commands = self.commands_for(&sim, tick)?;
                sim.step_with(commands);
            }
            let actual = sim.state_hash().to_hex().to_string();
            if actual != *expected {
                return Err(ReplayError::Mismatch { tick, expected: expected.clone(), actual });
            }
            progress(tick);
        }
        Ok(sim)
    }
}

impl Replay {
    /// The checkpoint hashes of ticks 0..=`through` in the current format
    /// (v2), for a branch, which is written in it. A journal of the current
    /// format has them; an older one is re-simulated: each of its v1
    /// checkpoints checked by a v1 simulation, and a v2 simulation fed the
    /// same commands beside it gives the hash of the same state.
    pub fn current_checkpoints(&self, through: u64) -> Result<Vec<String>, ReplayError> {
        let wanted = self.journal.checkpoints.iter().take(through as usize + 1);
        if self.hash == HashVersion::default() {
            return Ok(wanted.cloned().collect());
        }
        let mut old = self.simulation();
        let mut new = Simulation::new(Arc::clone(&self.model), self.seed);
        let mut out = Vec::new();
        for (tick, expected) in wanted.enumerate() {
            let tick = tick as u64;
            if tick > 0 {
                let commands = self.commands_for(&old, tick)?;
                old.step_with(commands.clone());
                new.step_with(commands);
            }
            let actual = old.state_hash().to_hex().to_string();
            if actual != *expected {
                return Err(ReplayError::Mismatch { tick, expected: expected.clone(), actual });
            }
            out.push(new.state_hash().to_hex().to_string());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::read_journal;

    /// The journals of the previous engine (format 2) are read as a stream,
    /// as the stored text whole reads.
    #[test]
    fn a_compressed_scenario_is_read_as_a_stream() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        for name in ["tutorial-format2.jsonl", "luxembourg-format2.jsonl"] {
            let mut journal = read_journal(&fixtures.join(name)).unwrap();
            let text = journal.scenario().unwrap();
            let StoredScenario::Scenario(streamed) = streamed_scenario(&mut journal) else {
                panic!("{name}: not read as a stream");
            };
            let whole = cascade_engine::load::parse_scenario(text.as_bytes(), Path::new(name)).unwrap();
            assert!(*streamed == whole, "{name}");
        }
    }
}
