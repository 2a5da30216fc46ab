//! The director's tick frame as what changed: [`DirectorDelta`] is the
//! difference between the director view a connection holds and the view now,
//! and [`DirectorDelta::apply`] turns the first into the second.
//!
//! Why: at national scale a director view is the 2,000 worst assets, the
//! 2,000 worst organisations and a thousand teams, up to a megabyte, and most
//! of it is what the console already holds. The host keeps the view it last
//! sent and sends each director connection that holds it the delta; one that
//! may not (just joined, or sent a snapshot after lagging or asking to
//! `resync`) gets [`DirectorDelta::full`] at its next tick.
//!
//! Rules (docs/protocol.md, *Tick frames are deltas*):
//! - the scalars (tick, clock, hash, service, PIU, assets_total, metrics) are
//!   always there; `messages` are the new messages and `actions` this tick's,
//!   as in a whole view;
//! - `assets`, `organisations`, `teams` travel as entries: `*_changed` (new,
//!   or different) and `*_gone` (ids no longer listed); a whole list comes
//!   only in a full delta and then replaces the client's;
//! - the client replaces a changed entry with the same id where it is, adds
//!   one it does not hold at the end, drops the gone ones, and, for a
//!   summarised view (`assets_total` over `DIRECTOR_ASSETS`), sorts the assets
//!   by level, integrity, then id and the organisations by lowest level, then
//!   id — the orders of the view; a whole view's assets (every asset, in
//!   declaration order) and the teams (scenario order) never change their set;
//! - every other list is present only when it changed, and then whole.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::delta::{Keyed, changed, entry_changes, replace};
use super::director_assets::{DIRECTOR_ASSETS, OrganisationSummary};
use super::{
    AssetView, DeadlineView, DirectorView, IncidentView, MessageView, MselEntry, ObjectiveView, PendingView, PiuView,
    Service, TeamActionView, TeamSummary,
};
use crate::exercise::state::ExerciseMetrics;

/// What changed in the director's view: the `director_tick` frame's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectorDelta {
    pub tick: u64,
    pub clock: String,
    pub hash: String,
    pub service: Service,
    pub piu: PiuView,
    pub assets_total: u64,
    pub metrics: ExerciseMetrics,
    /// Messages the connection has not been sent yet.
    pub messages: Vec<MessageView>,
    /// Every team's actions applied, failed or refused at this tick.
    pub actions: Vec<TeamActionView>,
    /// The whole list: in full deltas only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<Vec<AssetView>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets_changed: Vec<AssetView>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets_gone: Vec<String>,
    /// The whole list: in full deltas only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisations: Option<Vec<OrganisationSummary>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organisations_changed: Vec<OrganisationSummary>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organisations_gone: Vec<String>,
    /// The whole list: in full deltas only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<Vec<TeamSummary>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams_changed: Vec<TeamSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incidents: Option<Vec<IncidentView>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Vec<PendingView>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<Vec<DeadlineView>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectives: Option<Vec<ObjectiveView>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msel: Option<Vec<MselEntry>>,
}

impl Keyed for AssetView {
    fn key(&self) -> &str {
        &self.id
    }
}

impl Keyed for OrganisationSummary {
    fn key(&self) -> &str {
        &self.id
    }
}

impl Keyed for TeamSummary {
    fn key(&self) -> &str {
        &self.id
    }
}

/// Applies entry changes to `list`: the gone dropped, each changed entry in
/// the place of the one with its id, or at the end.
fn apply_entries<T: Keyed>(list: &mut Vec<T>, changed: Vec<T>, gone: &[String]) {
    if !gone.is_empty() {
        let gone: HashSet<&str> = gone.iter().map(String::as_str).collect();
        list.retain(|e| !gone.contains(e.key()));
    }
    if changed.is_empty() {
        return;
    }
    let at: HashMap<String, usize> = list.iter().enumerate().map(|(i, e)| (e.key().to_string(), i)).collect();
    for entry in changed {
        match at.get(entry.key()) {
            Some(&i) => list[i] = entry,
            None => list.push(entry),
        }
    }
}

impl DirectorDelta {
    /// Everything in `now`: what a connection without a known base gets.
    pub fn full(now: &DirectorView) -> Self {
        Self {
            assets: Some(now.assets.clone()),
            organisations: Some(now.organisations.clone()),
            teams: Some(now.teams.clone()),
            incidents: Some(now.incidents.clone()),
            pending: Some(now.pending.clone()),
            deadlines: Some(now.deadlines.clone()),
            objectives: Some(now.objectives.clone()),
            msel: Some(now.msel.clone()),
            ..Self::scalars(now)
        }
    }

    /// What turns `before` (the view last sent) into `now`; `now.messages`
    /// and `now.actions` are sent whatever `before` held.
    pub fn between(before: &DirectorView, now: &DirectorView) -> Self {
        let (assets_changed, assets_gone) = entry_changes(&before.assets, &now.assets);
        let (organisations_changed, organisations_gone) = entry_changes(&before.organisations, &now.organisations);
        let (teams_changed, teams_gone) = entry_changes(&before.teams, &now.teams);
        if !teams_gone.is_empty() {
            // A scenario's teams never change: a base of another exercise.
            return Self::full(now);
        }
        Self {
            assets_changed,
            assets_gone,
            organisations_changed,
            organisations_gone,
            teams_changed,
            incidents: changed(&before.incidents, &now.incidents),
            pending: changed(&before.pending, &now.pending),
            deadlines: changed(&before.deadlines, &now.deadlines),
            objectives: changed(&before.objectives, &now.objectives),
            msel: changed(&before.msel, &now.msel),
            ..Self::scalars(now)
        }
    }

    /// `now`'s scalars, new messages and actions, every list unchanged.
    fn scalars(now: &DirectorView) -> Self {
        Self {
            tick: now.tick,
            clock: now.clock.clone(),
            hash: now.hash.clone(),
            service: now.service.clone(),
            piu: now.piu.clone(),
            assets_total: now.assets_total,
            metrics: now.metrics,
            messages: now.messages.clone(),
            actions: now.actions.clone(),
            assets: None,
            assets_changed: Vec::new(),
            assets_gone: Vec::new(),
            organisations: None,
            organisations_changed: Vec::new(),
            organisations_gone: Vec::new(),
            teams: None,
            teams_changed: Vec::new(),
            incidents: None,
            pending: None,
            deadlines: None,
            objectives: None,
            msel: None,
        }
    }

    /// Brings `view` (the view the delta was computed against) to the
    /// delta's tick. `view.messages` becomes the new messages (clients keep
    /// messages by index, apart from the view).
    pub fn apply(self, view: &mut DirectorView) {
        view.tick = self.tick;
        view.clock = self.clock;
        view.hash = self.hash;
        view.service = self.service;
        view.piu = self.piu;
        view.assets_total = self.assets_total;
        view.metrics = self.metrics;
        view.messages = self.messages;
        view.actions = self.actions;
        replace(&mut view.assets, self.assets);
        apply_entries(&mut view.assets, self.assets_changed, &self.assets_gone);
        replace(&mut view.organisations, self.organisations);
        apply_entries(&mut view.organisations, self.organisations_changed, &self.organisations_gone);
        if view.assets_total > DIRECTOR_ASSETS as u64 {
            view.assets.sort_by(|x, y| (x.level, x.integrity, &x.id).cmp(&(y.level, y.integrity, &y.id)));
            view.organisations.sort_by(|x, y| (x.lowest_level, &x.id).cmp(&(y.lowest_level, &y.id)));
        }
        replace(&mut view.teams, self.teams);
        apply_entries(&mut view.teams, self.teams_changed, &[]);
        replace(&mut view.incidents, self.incidents);
        replace(&mut view.pending, self.pending);
        replace(&mut view.deadlines, self.deadlines);
        replace(&mut view.objectives, self.objectives);
        replace(&mut view.msel, self.msel);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Simulation;
    use crate::synthetic::country::{Bots, Params, scenario};
    use crate::view::director_view;

    fn luxembourg() -> Simulation {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/luxembourg.ron");
        Simulation::new(Arc::new(crate::load::load_model(std::path::Path::new(path)).unwrap()), 1)
    }

    fn country(assets: u32) -> Simulation {
        let params = Params { bots: Bots::Responsive, ..Params::new(assets, 40, 3) };
        let model = crate::validate::validate(scenario(&params).unwrap()).unwrap_or_else(|p| panic!("{}", p[0]));
        Simulation::new(Arc::new(model), 3)
    }

    /// A client that holds the snapshot and applies every tick's delta
    /// (through JSON) holds, at every tick, exactly the view a new snapshot
    /// would give, messages aside (clients keep them by index). Returns how
    /// many deltas were smaller than the whole view.
    fn follow(mut sim: Simulation, ticks: u64) -> usize {
        let mut held = director_view(&sim, 0);
        let mut base = held.clone();
        let mut smaller = 0;
        while sim.tick() < ticks && sim.step() {
            let now = director_view(&sim, 0);
            let delta = DirectorDelta::between(&base, &now);
            let bytes = serde_json::to_string(&delta).unwrap();
            if bytes.len() < serde_json::to_string(&DirectorDelta::full(&now)).unwrap().len() {
                smaller += 1;
            }
            let delta: DirectorDelta = serde_json::from_str(&bytes).unwrap();
            delta.apply(&mut held);
            let mut expected = now.clone();
            (held.messages, expected.messages) = (Vec::new(), Vec::new());
            assert_eq!(held, expected, "tick {}", sim.tick());
            // A full delta applied to any view gives the view too.
            let mut other = base.clone();
            DirectorDelta::full(&now).apply(&mut other);
            other.messages.clear();
            assert_eq!(other, expected, "full delta, tick {}", sim.tick());
            base = now;
        }
        smaller
    }

    #[test]
    fn applying_every_delta_gives_the_view_of_every_tick() {
        // Every asset in declaration order (Luxembourg, its bots playing) ...
        let smaller = follow(luxembourg(), 480);
        assert!(smaller > 400, "deltas mostly smaller than the view: {smaller} of 480");
        // ... and a summarised view (over DIRECTOR_ASSETS assets): the worst
        // first, organisations, entries coming and going.
        let sim = country(DIRECTOR_ASSETS as u32 * 3 / 2);
        assert!(sim.model().assets.len() > DIRECTOR_ASSETS);
        let smaller = follow(sim, 400);
        assert!(smaller > 300, "deltas mostly smaller than the view: {smaller} of 400");
    }

    #[test]
    fn entries_come_go_and_change_in_place() {
        let team = |id: &str, busy: u32| TeamSummary {
            id: id.into(),
            organisation: "o".into(),
            role: crate::scenario::TeamRole::Operator,
            staff: 3,
            busy,
            human: false,
            last_action: None,
        };
        let before = [team("a", 0), team("b", 0), team("c", 0)];
        let now = [team("a", 0), team("c", 1), team("d", 0)];
        let (changed, gone) = entry_changes(&before, &now);
        assert_eq!(changed, [team("c", 1), team("d", 0)]);
        assert_eq!(gone, ["b"]);
        let mut list = before.to_vec();
        apply_entries(&mut list, changed, &gone);
        assert_eq!(list, now);
        assert_eq!(entry_changes(&now, &now), (Vec::new(), Vec::new()));
    }
}
