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
use cascade_engine::view::{ActionFate, ActionView, DirectorView, TeamActionView, TeamView};

/// Per team, its refused commands (the last `MAX_ACTIONS_KEPT`), and every
/// team's refusals since the last tick for the director's timeline.
pub struct HostActions {
    refused: Vec<VecDeque<ActionView>>,
    since_tick: Vec<TeamActionView>,
}

/// Most refusals kept for the director between two ticks (a flood of bad
/// commands must not grow the director's frame without bound).
const MAX_REFUSALS_PER_TICK: usize = 200;
/// Most refusals a team's view shows (its newest): refusals must never push
/// the team's applied and failed actions out of its log.
pub const MAX_REFUSALS_SHOWN: usize = 10;
/// A refused command is kept as sent only if it is this small and shallow;
/// otherwise as its action's name alone (anything may be refused, and the log
/// goes to every analyst of the team and to the director, every tick).
const MAX_KEPT_COMMAND_BYTES: usize = 1_024;
const MAX_KEPT_COMMAND_DEPTH: usize = 4;
/// Longest refusal message kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// `command` as the log keeps it: itself when small and shallow, else
/// `{"action": NAME, "truncated": true}` with at most 64 characters of name.
fn kept(command: &serde_json::Value) -> serde_json::Value {
    fn depth(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            serde_json::Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }
    // Depth first: serialising a deep value is what must not happen.
    if depth(command) <= MAX_KEPT_COMMAND_DEPTH && command.to_string().len() <= MAX_KEPT_COMMAND_BYTES {
        return command.clone();
    }
    let name: String = command.get("action").and_then(|a| a.as_str()).unwrap_or("?").chars().take(64).collect();
    serde_json::json!({"action": name, "truncated": true})
}

/// `text` cut to `max` characters (with an ellipsis when cut).
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

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
            command: kept(command),
            fate: ActionFate::Refused,
            code: Some(code.to_string()),
            message: Some(cut(message, MAX_MESSAGE_CHARS)),
            lands: None,
            lands_clock: None,
        };
        if self.since_tick.len() < MAX_REFUSALS_PER_TICK {
            let id = sim.model().scenario.teams[team as usize].id.clone();
            self.since_tick.push(TeamActionView { team: id, action: entry.clone() });
        }
        let log = &mut self.refused[team as usize];
        if log.len() == MAX_REFUSALS_SHOWN {
            log.pop_front();
        }
        log.push_back(entry);
    }

    /// Adds the host's entries to a team's view: its last refusals (at most
    /// `MAX_REFUSALS_SHOWN`, beside the engine's log, never instead of it), and
    /// its commands in `queued`: acknowledged, applied at the next tick — or,
    /// once the exercise has `ended`, never applied. In tick order.
    pub fn merge_team(&self, sim: &Simulation, team: u32, queued: &[Command], ended: bool, view: &mut TeamView) {
        let stamp = sim.tick() + 1;
        let clock = sim.model().clock.label(stamp);
        view.actions.extend(self.refused[team as usize].iter().cloned());
        view.actions.extend(queued.iter().filter(|c| c.team == team).map(|c| {
            let (fate, code, message) = match ended {
                false => (ActionFate::Acknowledged, None, None),
                true => (
                    ActionFate::Failed,
                    Some("exercise_ended".to_string()),
                    Some("journaled, but the exercise ended before its tick".to_string()),
                ),
            };
            ActionView {
                tick: stamp,
                clock: clock.clone(),
                client: c.origin.as_ref().map(|o| o.client.clone()),
                seq: c.origin.as_ref().map(|o| o.seq),
                command: serde_json::to_value(&c.action).unwrap_or_default(),
                fate,
                code,
                message,
                lands: None,
                lands_clock: None,
            }
        }));
        // Stable: at one tick, what the tick applied, then what was refused
        // after it, then what waits for the next.
        view.actions.sort_by_key(|a| a.tick);
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
        for seq in 0..(MAX_REFUSALS_SHOWN as u64 + 5) {
            host.refused(&sim, 0, ("laptop", seq), &bad, ("unknown_asset", "no asset \"nope\""));
        }
        let queued = vec![
            Command { team: 0, action: Action::Takeover, origin: Some(Origin::new("laptop", 99)) },
            Command { team: 1, action: Action::Takeover, origin: Some(Origin::new("other", 1)) },
        ];
        let mut view = team_view(&sim, 0, 0);
        host.merge_team(&sim, 0, &queued, false, &mut view);
        assert_eq!(view.actions.len(), MAX_REFUSALS_SHOWN + 1);
        let last = view.actions.last().unwrap();
        assert_eq!((last.fate, last.seq, last.tick), (ActionFate::Acknowledged, Some(99), 1));
        assert_eq!(view.actions[0].fate, ActionFate::Refused);
        assert_eq!(view.actions[0].seq, Some(5), "the oldest refusals are forgotten first");
        assert_eq!(view.actions[0].code.as_deref(), Some("unknown_asset"));
        // Once the exercise has ended, a queued command will never apply.
        let mut ended = team_view(&sim, 0, 0);
        host.merge_team(&sim, 0, &queued, true, &mut ended);
        let last = ended.actions.last().unwrap();
        assert_eq!((last.fate, last.code.as_deref()), (ActionFate::Failed, Some("exercise_ended")));
        // Another team sees none of it.
        let mut other = team_view(&sim, 2, 0);
        host.merge_team(&sim, 2, &queued, false, &mut other);
        assert!(other.actions.is_empty());
    }

    #[test]
    fn huge_or_deep_refused_commands_are_kept_as_their_name_and_messages_cut() {
        let sim = sim();
        let mut host = HostActions::new(sim.model().scenario.teams.len());
        let mut deep = serde_json::json!(1);
        for _ in 0..125 {
            deep = serde_json::json!([deep]);
        }
        let huge = serde_json::json!({"action": "A".repeat(64_000)});
        host.refused(&sim, 0, ("c", 1), &serde_json::json!({"action": deep}), ("bad_command", &"x".repeat(70_000)));
        host.refused(&sim, 0, ("c", 2), &huge, ("bad_command", "no"));
        let small = serde_json::json!({"action": "isolate", "asset": "nope"});
        host.refused(&sim, 0, ("c", 3), &small, ("unknown_asset", "no asset"));
        let mut view = team_view(&sim, 0, 0);
        host.merge_team(&sim, 0, &[], false, &mut view);
        let commands: Vec<&serde_json::Value> = view.actions.iter().map(|a| &a.command).collect();
        assert_eq!(commands[0], &serde_json::json!({"action": "?", "truncated": true}));
        assert_eq!(commands[1], &serde_json::json!({"action": "A".repeat(64), "truncated": true}));
        assert_eq!(commands[2], &small);
        assert_eq!(view.actions[0].message.as_ref().unwrap().chars().count(), MAX_MESSAGE_CHARS + 1);
        let frame = serde_json::to_string(&view).unwrap();
        assert!(frame.len() < 64 * 1024, "{} bytes", frame.len());
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
