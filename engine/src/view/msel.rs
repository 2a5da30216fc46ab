//! The MSEL as the director sees it: every inject of the scenario with its
//! time or condition, recipients, TLP label, expected action, and what became
//! of it (waiting, held, skipped, fired — and how; one sent edited in its place
//! shows what was sent). The director console's MSEL
//! panel and the after-action report read it; teams never see it.

use serde::{Deserialize, Serialize};

use crate::exercise::state::InjectControl;
use crate::msel::describe_condition;
use crate::scenario::{Effect, Method, Tlp};
use crate::simulation::Simulation;

/// Where an inject stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MselStatus {
    /// Waiting for its time or its condition.
    Waiting,
    /// Held by the director (since `since`): it does not fire until released.
    Held,
    /// Skipped by the director: it does not fire unless fired by hand or released.
    Skipped,
    /// Fired (at `since`), `how` says by what.
    Fired,
}

/// What fired an inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiredBy {
    /// Its scheduled time (perhaps late, released after a hold).
    Time,
    /// Its condition.
    Condition,
    /// The director fired it by hand.
    Director,
    /// A live inject the director sent in its place (perhaps edited).
    Replaced,
}

/// One inject of the MSEL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MselEntry {
    pub id: String,
    /// Its scheduled tick (none: conditional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<u64>,
    /// `at` on the exercise's clock (local time).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub time: String,
    /// Its condition in words (`when incident x detected`), if conditional.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub when: String,
    pub from: String,
    /// Recipient team ids; empty: every team.
    pub to: Vec<String>,
    pub method: Method,
    pub tlp: Tlp,
    pub message: String,
    pub expected_action: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
    pub status: MselStatus,
    /// The tick it fired, or was held or skipped …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// … on the exercise's clock.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub since_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<FiredBy>,
    /// Held or skipped from this tick, then released (it fired late, or on
    /// time if released before it) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_since: Option<u64>,
    /// … on the exercise's clock.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub held_since_time: String,
}

/// Every inject of the scenario, in scenario order.
pub fn msel(sim: &Simulation) -> Vec<MselEntry> {
    let m = sim.model();
    let ex = sim.exercise();
    m.scenario
        .injects
        .iter()
        .enumerate()
        .map(|(i, inject)| {
            let control = ex.inject_control[i];
            let held_since = match control {
                InjectControl::Released(t) => Some(t),
                _ => None,
            };
            let (status, since, how) = match (ex.inject_fired[i], control) {
                (Some(t), InjectControl::FiredByHand) => (MselStatus::Fired, Some(t), Some(FiredBy::Director)),
                (Some(t), InjectControl::Replaced) => (MselStatus::Fired, Some(t), Some(FiredBy::Replaced)),
                (Some(t), _) if inject.at.is_some() => (MselStatus::Fired, Some(t), Some(FiredBy::Time)),
                (Some(t), _) => (MselStatus::Fired, Some(t), Some(FiredBy::Condition)),
                (None, InjectControl::Held(t)) => (MselStatus::Held, Some(t), None),
                (None, InjectControl::Skipped(t)) => (MselStatus::Skipped, Some(t), None),
                (None, _) => (MselStatus::Waiting, None, None),
            };
            // A replaced inject shows what the director actually sent.
            let sent = ex.inject_replacements.get(&(i as u32)).map(|r| &r.live);
            let entry = MselEntry {
                id: inject.id.clone(),
                at: inject.at,
                time: inject.at.map(|t| m.clock.label(t)).unwrap_or_default(),
                when: inject.when.as_ref().map(describe_condition).unwrap_or_default(),
                from: inject.from.clone(),
                to: inject.to.clone(),
                method: inject.method,
                tlp: inject.tlp,
                message: inject.message.clone(),
                expected_action: inject.expected_action.clone(),
                effects: inject.effects.clone(),
                status,
                since,
                since_time: since.map(|t| m.clock.label(t)).unwrap_or_default(),
                how,
                held_since,
                held_since_time: held_since.map(|t| m.clock.label(t)).unwrap_or_default(),
            };
            match sent {
                Some(live) => MselEntry {
                    from: live.from.clone(),
                    to: live.to.clone(),
                    method: live.method,
                    tlp: live.tlp,
                    message: live.message.clone(),
                    expected_action: live.expected_action.clone(),
                    effects: live.effects.clone(),
                    ..entry
                },
                None => entry,
            }
        })
        .collect()
}
