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

/// The journal's stored scenario, inflated straight into the engine's reader
/// and never held whole as text (330 MB at a million assets), if it is
/// stored compressed and reads that way, and is exactly the text the header
/// declares (length and blake3). The header lets it go either way once it is
/// decoded: a replay keeps the model, not the scenario (a branch reads it
/// again). `None`: the caller reads it whole, which says what is wrong.
fn streamed_scenario(journal: &mut Journal) -> Option<Scenario> {
    let header = &journal.header;
    let (base64, declared) = header.compressed_scenario()?;
    let inflating = scenario_blob::inflating(base64, declared).ok()?;
    let blake3 = header.scenario_blake3.clone();
    journal.release_scenario();
    match read_stored_scenario(inflating) {
        (Some(scenario), Some(read)) => read.is_the_stored_text(&blake3).then_some(scenario),
        _ => None,
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
        let model = match streamed_scenario(&mut journal) {
            Some(scenario) => stored_model(scenario, label).map_err(invalid)?,
            // Format 1, or a stored scenario the stream did not take: read
            // whole, which says what is wrong if anything is.
            None => {
                let text = journal
                    .scenario()
                    .map_err(|e| ReplayError::Scenario(format!("{}: {e}", journal.path.display())))?;
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
