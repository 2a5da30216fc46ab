//! What happened between two director views, as timeline events: the live
//! console's timeline shows them beside the messages, so that team actions,
//! incident milestones and objectives met or missed appear as they happen (a
//! recording gets the same kinds of event from `cascade_replay::Player`).
//!
//! Pure: a function of the previous and the new view. The views are the
//! engine's; nothing here decides anything about the exercise.

use std::collections::BTreeSet;

use cascade_engine::exercise::Status;
use cascade_engine::view::{ActionFate, DirectorView};
use cascade_replay::player::Event;

/// Most events the live console keeps (older ones scroll out).
pub const MAX_EVENTS: usize = 5_000;

fn event(tick: u64, kind: &str, who: &str, text: String) -> Event {
    Event { tick, kind: kind.into(), who: who.into(), text }
}

/// Events in `next` that `previous` did not have yet; with no previous view
/// (a console that joins mid-exercise), what `next` shows already happened:
/// incident milestones and decided objectives, and each team's last action.
pub fn diff(previous: Option<&DirectorView>, next: &DirectorView) -> Vec<Event> {
    let mut out = Vec::new();
    for incident in &next.incidents {
        let before = previous.and_then(|p| p.incidents.iter().find(|i| i.id == incident.id));
        let milestones = [
            (incident.started_at, before.and_then(|b| b.started_at), "starts"),
            (incident.first_detected, before.and_then(|b| b.first_detected), "is first detected"),
            (incident.contained_at, before.and_then(|b| b.contained_at), "is contained"),
            (incident.recovered_at, before.and_then(|b| b.recovered_at), "is recovered"),
        ];
        for (now, then, what) in milestones {
            if let (Some(tick), None) = (now, then) {
                out.push(event(tick, "incident", "exercise", format!("Incident {} {what}.", incident.id)));
            }
        }
    }
    // Actions: timed ones as they start (pending), instant ones as the team's
    // last action; one event per (team, tick, action).
    let mut seen = BTreeSet::new();
    let previous_pending: BTreeSet<(&str, u64, String)> = previous
        .map(|p| p.pending.iter().map(|a| (a.team.as_str(), a.started, crate::command::describe(&a.command))).collect())
        .unwrap_or_default();
    let human = |team: &str| next.teams.iter().any(|t| t.id == team && t.human);
    let by = |team: &str| if human(team) { "" } else { " (bot)" };
    for action in &next.pending {
        let what = crate::command::describe(&action.command);
        let key = (action.team.as_str(), action.started, what.clone());
        if !previous_pending.contains(&key) && previous.is_some_and(|p| action.started > p.tick) {
            let name = what.split_whitespace().next().unwrap_or_default().to_string();
            seen.insert((action.team.clone(), action.started, name));
            out.push(event(action.started, "action", &action.team, format!("{what}{}", by(&action.team))));
        }
    }
    for team in &next.teams {
        let before =
            previous.and_then(|p| p.teams.iter().find(|t| t.id == team.id)).and_then(|t| t.last_action.clone());
        if let Some((tick, action)) = &team.last_action
            && before.as_ref() != Some(&(*tick, action.clone()))
            && !seen.contains(&(team.id.clone(), *tick, action.clone()))
        {
            out.push(event(*tick, "action", &team.id, format!("{action}{}", by(&team.id))));
        }
    }
    // Commands that failed at this tick or were refused on receipt since the
    // last one (the host adds those), worded as a recording words them.
    if previous.is_some() {
        for entry in &next.actions {
            let action = &entry.action;
            let verb = match action.fate {
                ActionFate::Failed => "failed",
                ActionFate::Refused => "refused",
                _ => continue,
            };
            let name = action.command["action"].as_str().unwrap_or("command");
            let code = action.code.as_deref().unwrap_or("?");
            let message = action.message.as_deref().unwrap_or("");
            let who = action.client.as_deref().map_or(" (bot)".to_string(), |c| format!(" ({c})"));
            let text = format!("{name} {verb} ({code}): {message}{who}");
            out.push(event(action.tick, "failed", &entry.team, text));
        }
    }
    for objective in &next.objectives {
        let before = previous.and_then(|p| p.objectives.iter().find(|o| o.id == objective.id)).map(|o| o.status);
        if before == Some(objective.status) {
            continue;
        }
        let (tick, what) = match objective.status {
            Status::Met(t) => (t, "met"),
            Status::Missed(t) => (t, "missed"),
            Status::Pending => continue,
        };
        let text = if objective.description.is_empty() { objective.id.clone() } else { objective.description.clone() };
        out.push(event(tick, "objective", &objective.id, format!("{what}: {text}")));
    }
    out.sort_by_key(|e| e.tick);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::director_view;

    fn texts(events: &[Event]) -> Vec<String> {
        events.iter().map(|e| format!("t{} {} {}: {}", e.tick, e.kind, e.who, e.text)).collect()
    }

    #[test]
    fn joining_mid_exercise_shows_what_already_happened() {
        let view = director_view();
        assert_eq!(
            texts(&diff(None, &view)),
            [
                "t12 incident exercise: Incident ransom-x starts.",
                "t30 incident exercise: Incident ransom-x is first detected.",
                "t30 action govcert: share (bot)",
                "t40 action chem-ops: investigate",
                "t40 objective piu: met: PIU activated within 1 hour",
            ]
        );
    }

    #[test]
    fn the_next_tick_adds_only_what_changed() {
        let before = director_view();
        assert!(diff(Some(&before), &before).is_empty(), "nothing changed, nothing to show");
        let mut after = before.clone();
        after.tick = 48;
        after.incidents[0].contained_at = Some(48);
        after.incidents[1].started_at = Some(48);
        after.teams[2].last_action = Some((48, "isolate".into()));
        after.objectives[0].status = Status::Missed(48);
        let failed = |fate: ActionFate, code: &str, tick: u64| cascade_engine::view::TeamActionView {
            team: "chem-ops".into(),
            action: cascade_engine::view::ActionView {
                tick,
                clock: String::new(),
                client: Some("laptop".into()),
                seq: Some(4),
                command: serde_json::json!({"action": "report"}),
                fate,
                code: Some(code.into()),
                message: Some("why".into()),
                lands: None,
                lands_clock: None,
            },
        };
        after.actions =
            vec![failed(ActionFate::Failed, "not_aware", 48), failed(ActionFate::Refused, "unknown_regime", 48)];
        assert_eq!(
            texts(&diff(Some(&before), &after)),
            [
                "t48 incident exercise: Incident ransom-x is contained.",
                "t48 incident exercise: Incident ddos-later starts.",
                "t48 action post-ops: isolate (bot)",
                "t48 failed chem-ops: report failed (not_aware): why (laptop)",
                "t48 failed chem-ops: report refused (unknown_regime): why (laptop)",
                format!("t48 objective {}: missed: {}", after.objectives[0].id, after.objectives[0].description)
                    .as_str(),
            ]
        );
    }
}
