//! The part of a team's action log only the host knows: commands refused on
//! receipt (never journaled, so the engine never sees them) and commands
//! acknowledged but not yet applied. They are merged into the engine's log
//! when a view is built, so every client of the team sees every fate.
//!
//! Refusals live in memory only: a host restarted with `--resume` has lost
//! them (they were never part of the exercise), which docs/protocol.md says.

use std::collections::VecDeque;

use cascade_engine::Simulation;
use cascade_engine::exercise::Command;
use cascade_engine::exercise::actions::MAX_ACTIONS_KEPT;
use cascade_engine::view::{ActionFate, ActionView, DirectorView, TeamActionView, TeamView};

/// Per team, its refused commands (the last `MAX_ACTIONS_KEPT`), and every
/// team's refusals since the last tick for the director's timeline.
pub struct HostActions {
    refused: Vec<VecDeque<ActionView>>,
    since_tick: Vec<TeamActionView>,
}

/// Most refusals kept for the director between two ticks (a flood of bad
/// commands must not grow the director's frame without bound).
const MAX_REFUSALS_PER_TICK: usize = 1_000;

impl HostActions {
    pub fn new(teams: usize) -> Self {
        Self { refused: vec![VecDeque::new(); teams], since_tick: Vec::new() }
    }

    /// Notes that `team`'s command (`client`, `seq`) was refused on receipt.
    pub fn refused(
        &mut self,
        sim: &Simulation,
        team: u32,
        (client, seq): (&str, u64),
        command: &serde_json::Value,
        (code, message): (&str, &str),
    ) {
        let tick = sim.tick();
        let entry = ActionView {
            tick,
            clock: sim.model().clock.label(tick),
            client: Some(client.to_string()),
            seq: Some(seq),
            command: command.clone(),
            fate: ActionFate::Refused,
            code: Some(code.to_string()),
            message: Some(message.to_string()),
            lands: None,
            lands_clock: None,
        };
        if self.since_tick.len() < MAX_REFUSALS_PER_TICK {
            let id = sim.model().scenario.teams[team as usize].id.clone();
            self.since_tick.push(TeamActionView { team: id, action: entry.clone() });
        }
        let log = &mut self.refused[team as usize];
        if log.len() == MAX_ACTIONS_KEPT {
            log.pop_front();
        }
        log.push_back(entry);
    }

    /// Adds the host's entries to a team's view: its refusals, and its commands
    /// in `queued` (acknowledged, applied at the next tick); keeps the last
    /// `MAX_ACTIONS_KEPT` of the whole, in tick order.
    pub fn merge_team(&self, sim: &Simulation, team: u32, queued: &[Command], view: &mut TeamView) {
        let stamp = sim.tick() + 1;
        let clock = sim.model().clock.label(stamp);
        view.actions.extend(self.refused[team as usize].iter().cloned());
        view.actions.extend(queued.iter().filter(|c| c.team == team).map(|c| ActionView {
            tick: stamp,
            clock: clock.clone(),
            client: c.origin.as_ref().map(|o| o.client.clone()),
            seq: c.origin.as_ref().map(|o| o.seq),
            command: serde_json::to_value(&c.action).unwrap_or_default(),
            fate: ActionFate::Acknowledged,
            code: None,
            message: None,
            lands: None,
            lands_clock: None,
        }));
        // Stable: at one tick, what the tick applied, then what was refused
        // after it, then what waits for the next.
        view.actions.sort_by_key(|a| a.tick);
        let excess = view.actions.len().saturating_sub(MAX_ACTIONS_KEPT);
        view.actions.drain(..excess);
    }

    /// Adds the refusals since the last tick to a director's view.
    pub fn merge_director(&self, view: &mut DirectorView) {
        view.actions.extend(self.since_tick.iter().cloned());
    }

    /// The views of a tick are out: start the next tick's list.
    pub fn tick_sent(&mut self) {
        self.since_tick.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cascade_engine::exercise::Action;
    use cascade_engine::exercise::actions::Origin;
    use cascade_engine::view::{director_view, team_view};

    use super::*;

    fn sim() -> Simulation {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/luxembourg.ron"));
        let model = cascade_engine::load::load_model(path).unwrap();
        let seed = model.scenario.seed;
        Simulation::new(Arc::new(model), seed)
    }

    #[test]
    fn refusals_and_queued_commands_join_the_view_in_order_and_stay_bounded() {
        let sim = sim();
        let mut host = HostActions::new(sim.model().scenario.teams.len());
        let bad = serde_json::json!({"action": "isolate", "asset": "nope"});
        for seq in 0..(MAX_ACTIONS_KEPT as u64 + 5) {
            host.refused(&sim, 0, ("laptop", seq), &bad, ("unknown_asset", "no asset \"nope\""));
        }
        let queued = vec![
            Command { team: 0, action: Action::Takeover, origin: Some(Origin::new("laptop", 99)) },
            Command { team: 1, action: Action::Takeover, origin: Some(Origin::new("other", 1)) },
        ];
        let mut view = team_view(&sim, 0, 0);
        host.merge_team(&sim, 0, &queued, &mut view);
        assert_eq!(view.actions.len(), MAX_ACTIONS_KEPT);
        let last = view.actions.last().unwrap();
        assert_eq!((last.fate, last.seq, last.tick), (ActionFate::Acknowledged, Some(99), 1));
        assert_eq!(view.actions[0].fate, ActionFate::Refused);
        assert_eq!(view.actions[0].seq, Some(6), "the oldest refusals are forgotten first");
        assert_eq!(view.actions[0].code.as_deref(), Some("unknown_asset"));
        // Another team sees none of it.
        let mut other = team_view(&sim, 2, 0);
        host.merge_team(&sim, 2, &queued, &mut other);
        assert!(other.actions.is_empty());
    }

    #[test]
    fn the_director_sees_each_tick_s_refusals_once() {
        let sim = sim();
        let mut host = HostActions::new(sim.model().scenario.teams.len());
        host.refused(&sim, 3, ("c", 1), &serde_json::json!({"action": "x"}), ("bad_command", "not a command"));
        let mut view = director_view(&sim, 0);
        host.merge_director(&mut view);
        let team = &sim.model().scenario.teams[3].id;
        assert!(view.actions.iter().any(|a| &a.team == team && a.action.code.as_deref() == Some("bad_command")));
        host.tick_sent();
        let mut next = director_view(&sim, 0);
        host.merge_director(&mut next);
        assert!(next.actions.is_empty());
    }
}
