//! A team's tick frame as what changed: [`TeamDelta`] is the difference
//! between the view a connection has and the view now, and
//! [`TeamDelta::apply`] turns the first into the second.
//!
//! Why: at national scale an operator owns a thousand assets and a team sees
//! up to `MAX_OUTAGES_IN_VIEW` outages; sending the whole view every tick to a
//! thousand teams is tens of megabytes a tick, most of it what the client
//! already holds. The host builds each team's view once per tick, keeps the
//! last one it sent, and sends the delta to every connection of the team that
//! holds that last view (a connection that may not — just joined, lagged,
//! asked to resync — gets [`TeamDelta::full`]).
//!
//! Rules (docs/protocol.md, *Tick frames are deltas*):
//! - the scalars (tick, clock, human, staff, busy, service, PIU) are always there;
//! - `assets` holds the team's own assets whose entry changed, in the
//!   snapshot's order; the client replaces its entries with the same `id` (the
//!   set of a team's own assets never changes);
//! - `messages` holds the new messages, as before deltas;
//! - the outages elsewhere (up to 500, a hundred bytes each, and the same
//!   national picture for every team) travel as entries: `outages_changed`
//!   (new, or another level) and `outages_gone` (ids no longer listed); the
//!   client re-sorts by level, then id — the order of the view. A whole
//!   `outages` list comes only in a full delta;
//! - every other list is present only when it changed, and then whole; absent
//!   means "as you have it".
//!
//! What never changes after the snapshot (the team, its organisation, brief,
//! directory, regimes, tick length, time zone) is not in a delta at all.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{
    ActionView, AssetView, DeadlineView, ExpectedView, HeldView, MessageView, ObjectiveView, OutageView, PendingView,
    PiuView, Service, TeamView,
};

/// What changed in a team's view: the `tick` frame's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamDelta {
    pub tick: u64,
    pub clock: String,
    pub human: bool,
    pub staff: u32,
    pub busy: u32,
    pub service: Service,
    pub piu: PiuView,
    /// The team's own assets whose entry changed (every one in a full delta).
    pub assets: Vec<AssetView>,
    /// Messages the connection has not been sent yet.
    pub messages: Vec<MessageView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Vec<ExpectedView>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub humans: Option<Vec<String>>,
    /// The whole list of outages elsewhere: in full deltas only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outages: Option<Vec<OutageView>>,
    /// Outages newly listed, or listed at another level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outages_changed: Vec<OutageView>,
    /// Ids of the outages no longer listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outages_gone: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Vec<PendingView>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<Vec<DeadlineView>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectives: Option<Vec<ObjectiveView>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicators: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Vec<HeldView>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<ActionView>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constituents: Option<Vec<AssetView>>,
}

/// An entry of a list keyed by id: deltas send such lists as entries.
pub(super) trait Keyed {
    fn key(&self) -> &str;
}

impl Keyed for OutageView {
    fn key(&self) -> &str {
        &self.id
    }
}

/// The entries of `now` not in `before` as they are, and the ids of
/// `before`'s entries not in `now`.
pub(super) fn entry_changes<T: Keyed + PartialEq + Clone>(before: &[T], now: &[T]) -> (Vec<T>, Vec<String>) {
    if before == now {
        return (Vec::new(), Vec::new());
    }
    // The common case of a fixed set in a fixed order: compare in step.
    if before.len() == now.len() && before.iter().zip(now).all(|(b, n)| b.key() == n.key()) {
        return (before.iter().zip(now).filter(|(b, n)| b != n).map(|(_, n)| n.clone()).collect(), Vec::new());
    }
    let was: HashMap<&str, &T> = before.iter().map(|e| (e.key(), e)).collect();
    let is: HashSet<&str> = now.iter().map(Keyed::key).collect();
    let changed = now.iter().filter(|e| was.get(e.key()).is_none_or(|w| *w != *e)).cloned().collect();
    let gone = before.iter().filter(|e| !is.contains(e.key())).map(|e| e.key().to_string()).collect();
    (changed, gone)
}

/// Puts `new` in `slot` when there is one.
pub(super) fn replace<T>(slot: &mut Vec<T>, new: Option<Vec<T>>) {
    if let Some(new) = new {
        *slot = new;
    }
}

/// `Some(now)` when it differs from `before`.
pub(super) fn changed<T: PartialEq + Clone>(before: &[T], now: &[T]) -> Option<Vec<T>> {
    (before != now).then(|| now.to_vec())
}

impl TeamDelta {
    /// Everything in `now` a delta can carry: what a connection without a
    /// known base gets (its snapshot's brief, directory and regimes stand).
    pub fn full(now: &TeamView) -> Self {
        Self {
            assets: now.assets.clone(),
            expected: Some(now.expected.clone()),
            humans: Some(now.humans.clone()),
            outages: Some(now.outages.clone()),
            pending: Some(now.pending.clone()),
            deadlines: Some(now.deadlines.clone()),
            objectives: Some(now.objectives.clone()),
            indicators: Some(now.indicators.clone()),
            held: Some(now.held.clone()),
            actions: Some(now.actions.clone()),
            constituents: Some(now.constituents.clone()),
            ..Self::scalars(now)
        }
    }

    /// What turns `before` (the view last sent) into `now`; `now.messages`
    /// are the messages to send, whatever `before` held.
    pub fn between(before: &TeamView, now: &TeamView) -> Self {
        let same_assets =
            before.assets.len() == now.assets.len() && before.assets.iter().zip(&now.assets).all(|(b, n)| b.id == n.id);
        let assets = if same_assets {
            before.assets.iter().zip(&now.assets).filter(|(b, n)| b != n).map(|(_, n)| n.clone()).collect()
        } else {
            now.assets.clone()
        };
        let (outages_changed, outages_gone) = entry_changes(&before.outages, &now.outages);
        Self {
            assets,
            outages_changed,
            outages_gone,
            expected: changed(&before.expected, &now.expected),
            humans: changed(&before.humans, &now.humans),
            pending: changed(&before.pending, &now.pending),
            deadlines: changed(&before.deadlines, &now.deadlines),
            objectives: changed(&before.objectives, &now.objectives),
            indicators: changed(&before.indicators, &now.indicators),
            held: changed(&before.held, &now.held),
            actions: changed(&before.actions, &now.actions),
            constituents: changed(&before.constituents, &now.constituents),
            ..Self::scalars(now)
        }
    }

    /// `now`'s scalars and new messages, every list unchanged.
    fn scalars(now: &TeamView) -> Self {
        Self {
            tick: now.tick,
            clock: now.clock.clone(),
            human: now.human,
            staff: now.staff,
            busy: now.busy,
            service: now.service.clone(),
            piu: now.piu.clone(),
            assets: Vec::new(),
            messages: now.messages.clone(),
            expected: None,
            humans: None,
            outages: None,
            outages_changed: Vec::new(),
            outages_gone: Vec::new(),
            pending: None,
            deadlines: None,
            objectives: None,
            indicators: None,
            held: None,
            actions: None,
            constituents: None,
        }
    }

    /// Brings `view` (the view the delta was computed against) to the
    /// delta's tick. `view.messages` becomes the new messages (clients keep
    /// messages by index, apart from the view). An asset the view does not
    /// hold is added at the end, so a delta never loses an entry.
    pub fn apply(self, view: &mut TeamView) {
        view.tick = self.tick;
        view.clock = self.clock;
        view.human = self.human;
        view.staff = self.staff;
        view.busy = self.busy;
        view.service = self.service;
        view.piu = self.piu;
        view.messages = self.messages;
        if !self.assets.is_empty() {
            let at: HashMap<String, usize> =
                view.assets.iter().enumerate().map(|(i, asset)| (asset.id.clone(), i)).collect();
            for asset in self.assets {
                match at.get(&asset.id) {
                    Some(&i) => view.assets[i] = asset,
                    None => view.assets.push(asset),
                }
            }
        }
        replace(&mut view.expected, self.expected);
        replace(&mut view.humans, self.humans);
        replace(&mut view.outages, self.outages);
        if !self.outages_changed.is_empty() || !self.outages_gone.is_empty() {
            let gone: HashSet<&str> = self.outages_gone.iter().map(String::as_str).collect();
            let changed: HashSet<&str> = self.outages_changed.iter().map(|o| o.id.as_str()).collect();
            view.outages.retain(|o| !gone.contains(o.id.as_str()) && !changed.contains(o.id.as_str()));
            view.outages.extend(self.outages_changed);
            view.outages.sort_by(|x, y| x.level.cmp(&y.level).then_with(|| x.id.cmp(&y.id)));
        }
        replace(&mut view.pending, self.pending);
        replace(&mut view.deadlines, self.deadlines);
        replace(&mut view.objectives, self.objectives);
        replace(&mut view.indicators, self.indicators);
        replace(&mut view.held, self.held);
        replace(&mut view.actions, self.actions);
        replace(&mut view.constituents, self.constituents);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Simulation;
    use crate::view::{team_view, team_view_update};

    fn luxembourg() -> Simulation {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/luxembourg.ron");
        Simulation::new(Arc::new(crate::load::load_model(std::path::Path::new(path)).unwrap()), 1)
    }

    /// A client that holds the snapshot and applies every tick's delta holds,
    /// at every tick, exactly the view a new snapshot would give (its messages
    /// aside, which clients keep by index): Luxembourg's day, its bots
    /// playing, every team, and the deltas were not all empty or all full.
    #[test]
    fn applying_every_delta_gives_the_view_of_every_tick() {
        let mut sim = luxembourg();
        let teams = sim.model().scenario.teams.len() as u32;
        let mut held: Vec<TeamView> = (0..teams).map(|t| team_view(&sim, t, 0)).collect();
        let mut last: Vec<TeamView> = (0..teams).map(|t| team_view_update(&sim, t, 0)).collect();
        let (mut partial, mut whole) = (0usize, 0usize);
        while sim.step() {
            for t in 0..teams {
                let now = team_view_update(&sim, t, 0);
                let delta = TeamDelta::between(&last[t as usize], &now);
                if delta.assets.len() < now.assets.len() {
                    partial += 1;
                }
                if !delta.outages_changed.is_empty() || !delta.outages_gone.is_empty() {
                    whole += 1;
                }
                // Through JSON, as a client receives it.
                let delta: TeamDelta = serde_json::from_str(&serde_json::to_string(&delta).unwrap()).unwrap();
                delta.apply(&mut held[t as usize]);
                let mut expected = team_view(&sim, t, 0);
                expected.messages = now.messages.clone();
                assert_eq!(held[t as usize], expected, "team {t} at tick {}", sim.tick());
                last[t as usize] = now;
            }
        }
        assert!(partial > 0 && whole > 0, "deltas were all full ({partial}) or never carried outages ({whole})");
    }

    /// A full delta applied to any view of the same team gives the view now.
    #[test]
    fn a_full_delta_resets_whatever_the_client_held() {
        let mut sim = luxembourg();
        let stale = team_view(&sim, 3, 0);
        for _ in 0..240 {
            sim.step();
        }
        let now = team_view_update(&sim, 3, 0);
        let mut held = stale;
        TeamDelta::full(&now).apply(&mut held);
        let mut expected = team_view(&sim, 3, 0);
        expected.messages = now.messages.clone();
        assert_eq!(held, expected);
    }

    /// Outage lists of random ids and levels, sorted as views sort them:
    /// applying the entries that changed and went restores the list.
    #[test]
    fn outage_entries_restore_the_sorted_list() {
        let mut g = crate::synthetic::Gen(5);
        // Each of 60 ids listed or not, at one of four levels.
        let list = |g: &mut crate::synthetic::Gen| {
            let mut l = Vec::new();
            for i in 0..60 {
                if g.below(2) == 0 {
                    let level = g.below(4) as u16 * 300;
                    let id = format!("a{i}");
                    l.push(OutageView {
                        id,
                        name: String::new(),
                        organisation: String::new(),
                        sector: String::new(),
                        level,
                    });
                }
            }
            l.sort_by(|x: &OutageView, y: &OutageView| x.level.cmp(&y.level).then_with(|| x.id.cmp(&y.id)));
            l
        };
        for _ in 0..500 {
            let (before, now) = (list(&mut g), list(&mut g));
            let (changed, gone) = entry_changes(&before, &now);
            let mut view = luxembourg_view();
            view.outages = before.clone();
            let mut delta = TeamDelta::between(&view, &view);
            (delta.outages_changed, delta.outages_gone) = (changed, gone);
            delta.apply(&mut view);
            assert_eq!(view.outages, now, "from {before:?}");
        }
    }

    fn luxembourg_view() -> TeamView {
        team_view(&luxembourg(), 0, 0)
    }

    /// Nothing changed: only the scalars travel.
    #[test]
    fn an_unchanged_view_gives_an_empty_delta() {
        let sim = luxembourg();
        let view = team_view_update(&sim, 0, 0);
        let mut now = view.clone();
        now.messages.clear();
        let delta = TeamDelta::between(&view, &now);
        assert!(delta.assets.is_empty());
        let json = serde_json::to_value(&delta).unwrap();
        for list in [
            "outages",
            "outages_changed",
            "outages_gone",
            "pending",
            "deadlines",
            "objectives",
            "held",
            "actions",
            "constituents",
            "humans",
        ] {
            assert!(json.get(list).is_none(), "{list} was sent unchanged");
        }
    }
}
