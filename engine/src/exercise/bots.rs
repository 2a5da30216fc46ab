//! Built-in team policies (DESIGN §4): a bot's decisions are a pure function of
//! the state and the "bots" random stream, so a replay recomputes them and they
//! are never journaled. A bot plays its team until a human takes over.
//!
//! `Responsive { delay, skill }`: each tick, a responsive bot draws once (always
//! exactly once, whether or not it then finds something to do, so one bot's
//! choices never shift another's draws) and acts with per-mille chance `skill`.
//! It then gives at most one order: the first of its role's priority list that
//! the state allows now, about situations at least `delay` ticks old. Its orders
//! go through the same checks as a human's again when they apply, at the next tick.

use super::Ctx;
use super::command::{Order, needs_request};
use super::measure::{Filing, due, filing};
use super::orders::check;
use crate::rng::Purpose;
use crate::scenario::{Anchor, BotPolicy, OrganisationKind, TeamRole, Tlp};

/// Step 5, after timed actions: every bot decides; orders apply at t+1.
pub fn decide(ctx: &mut Ctx) {
    let m = ctx.model;
    let mut orders = Vec::new();
    for (t, team) in m.scenario.teams.iter().enumerate() {
        let t = t as u32;
        let BotPolicy::Responsive { delay, skill } = team.bot else { continue };
        if !ctx.ex.bot_active(t) {
            continue;
        }
        if !ctx.rng.chance(Purpose::Bots, skill as u16) {
            continue;
        }
        let ripe = ctx.tick.saturating_sub(u64::from(delay));
        // The first candidate the state allows now (staff, nothing identical
        // already running, …): a bot never wastes its turn on a refusal.
        let chosen = candidates(ctx, t, team.role, ripe).into_iter().find(|o| check(ctx, t, o).is_ok());
        if let Some(order) = chosen {
            orders.push((t, order));
        }
    }
    ctx.ex.bot_orders = orders;
}

/// The orders `team` would give, in priority order, about things visible since `ripe`.
fn candidates(ctx: &Ctx, team: u32, role: TeamRole, ripe: u64) -> Vec<Order> {
    let m = ctx.model;
    let ex = &*ctx.ex;
    let org = m.team_organisation[team as usize];
    let r = &m.scenario.response;
    let mut out = Vec::new();
    // The assets it may act on now, in index order: the same set as asking
    // `authority` of every asset, without a pass over the whole country and a
    // search of the constituency per asset (a national country has 100,000s).
    let scope = scope(m, ex, team, role);
    let in_scope = || scope.iter().copied();
    // A compromise of the asset detected at or before `ripe`.
    let detected = |a: u32| {
        ex.incidents.iter().any(|s| s.infections.get(&a).is_some_and(|inf| inf.detected.is_some_and(|d| d <= ripe)))
    };
    // Isolating is worth the service it costs only against a compromise that
    // does damage: a bot leaves an asset running for an incident with no
    // impact (espionage) when isolating it would lower its level.
    let worth_isolating = |a: u32| {
        m.assets[a as usize].isolation_cap >= 1000
            || ex.incidents.iter().enumerate().any(|(i, s)| {
                m.exercise.incidents[i].impact > 0
                    && s.infections.get(&a).is_some_and(|inf| inf.detected.is_some_and(|d| d <= ripe))
            })
    };
    let all_known = |a: u32| ex.incidents.iter().all(|s| s.infections.get(&a).is_none_or(|inf| inf.detected.is_some()));
    let csirts_serving = |o: u32| {
        (0..m.scenario.teams.len() as u32).filter(move |&t| {
            let csirt_org = m.team_organisation[t as usize];
            m.scenario.teams[t as usize].role == TeamRole::Csirt
                && csirt_org != o
                && m.organisation_constituency[csirt_org as usize].contains(&o)
        })
    };

    match role {
        TeamRole::CrisisCell => {
            if ex.piu.active_since.is_none() && ex.first_critical_outage.is_some_and(|c| c <= ripe) {
                out.push(Order::ActivatePiu(2));
            }
        }
        TeamRole::Communication => {
            let piu = ex.piu.active_since.is_some_and(|p| p <= ripe);
            if piu && ex.teams[team as usize].statements == 0 {
                out.push(Order::PublicStatement(
                    "The national cyber crisis response plan is active. Emergency numbers work; follow LU-Alert and infocrise.lu for updates.".to_string(),
                ));
            }
        }
        TeamRole::Cerc => {
            out.extend(
                in_scope()
                    .filter(|&a| detected(a) && worth_isolating(a) && !ex.isolated[a as usize])
                    .map(Order::Isolate),
            );
        }
        TeamRole::Operator | TeamRole::Csirt => {
            // 1. Contain what is known to be compromised and doing damage.
            out.extend(
                in_scope()
                    .filter(|&a| detected(a) && worth_isolating(a) && !ex.isolated[a as usize])
                    .map(Order::Isolate),
            );
            // 2. Share indicators, as TLP allows: an operator with the CSIRTs
            //    that serve it; a CSIRT with its constituency (its Media
            //    organisations aside: indicators are not news), and with the other
            //    CSIRTs when the indicators are its own or TLP:CLEAR/GREEN. Always
            //    under TLP:AMBER at least (check() refuses what TLP forbids).
            let holding = &ex.teams[team as usize];
            for (&incident, held) in
                holding.indicators.iter().filter(|(i, held)| held.since <= ripe && !holding.shared.contains(i))
            {
                let to: Vec<u32> = if role == TeamRole::Csirt {
                    let constituency = &m.organisation_constituency[org as usize];
                    let community = held.tlp <= Tlp::Green;
                    (0..m.scenario.teams.len() as u32)
                        .filter(|&t| {
                            let their_org = m.team_organisation[t as usize];
                            let media = m.scenario.organisations[their_org as usize].kind == OrganisationKind::Media;
                            t != team
                                && ((constituency.contains(&their_org) && !media)
                                    || (community && m.scenario.teams[t as usize].role == TeamRole::Csirt))
                        })
                        .collect()
                } else {
                    csirts_serving(org).collect()
                };
                if !to.is_empty() {
                    out.push(Order::Share {
                        to,
                        tlp: held.tlp.max(Tlp::Amber),
                        incident: Some(incident),
                        text: String::new(),
                    });
                }
            }
            // 3. Reports owed: the earliest due first.
            let mut owed: Vec<(u64, Order)> = ex
                .obligations
                .iter()
                .filter(|o| {
                    o.organisation == org
                        && matches!(filing(m, ex, o, ctx.tick), Filing::Open | Filing::Overdue)
                        && super::orders::stage_ready(m, ex, org, o.regime, o.stage, o.incident, ctx.tick).is_ok()
                })
                .filter(|o| ex.awareness.get(&(org, o.incident)).is_some_and(|&a| a <= ripe))
                .filter_map(|o| {
                    due(m, ex, o).map(|d| (d, Order::Report { regime: o.regime, stage: o.stage, incident: o.incident }))
                })
                .collect();
            owed.sort_by_key(|(d, _)| *d);
            out.extend(owed.into_iter().map(|(_, order)| order));
            // 4. Classify incidents under a regime with classification deadlines.
            for (&(o, incident), &aware) in &ex.awareness {
                let classifies = ex.obligations.iter().any(|ob| {
                    ob.organisation == o
                        && ob.incident == incident
                        && m.exercise.regimes[ob.regime as usize].stages[ob.stage as usize]
                            .deadlines
                            .iter()
                            .any(|(anchor, _)| *anchor == Anchor::Classification)
                });
                if o == org && aware <= ripe && classifies && !ex.classification.contains_key(&(o, incident)) {
                    out.push(Order::Classify(incident));
                }
            }
            // 5. An operator that knows it is hit asks the CSIRTs that serve it.
            if role == TeamRole::Operator && ex.awareness.iter().any(|(&(o, _), &aware)| o == org && aware <= ripe) {
                out.extend(
                    csirts_serving(org)
                        .filter(|&t| !ex.assistance.contains(&(org, m.team_organisation[t as usize])))
                        .map(Order::RequestAssistance),
                );
            }
            // 6. Restore isolated assets whose compromises are all known.
            out.extend(in_scope().filter(|&a| ex.isolated[a as usize] && all_known(a)).map(Order::Restore));
            // 7. Investigate degraded assets not looked at recently, own first.
            let recent = u64::from(r.investigate.ticks) * 2;
            let mut suspect: Vec<u32> = in_scope()
                .filter(|&a| {
                    // Cyber damage: a burned plant is no sign of compromise.
                    ctx.damage.cyber(a as usize) < 1000
                        && !detected(a)
                        && ex.investigated_at[a as usize].is_none_or(|t| t + recent <= ctx.tick)
                })
                .collect();
            suspect.sort_by_key(|&a| (m.assets[a as usize].organisation != org, a));
            out.extend(suspect.into_iter().map(Order::Investigate));
        }
        TeamRole::Regulator | TeamRole::Ministry | TeamRole::Media => {}
    }
    out
}

/// The assets `team` may act on now, ascending: its organisation's; a CSIRT's
/// constituency's (once asked, when the scenario says so); the CERC's every
/// asset once the PIU is active. Exactly the assets for which `authority`
/// gives a path the state allows (`scope_tests`).
fn scope(m: &crate::Model, ex: &super::state::Exercise, team: u32, role: TeamRole) -> Vec<u32> {
    let org = m.team_organisation[team as usize];
    if role == TeamRole::Cerc && ex.piu.active_since.is_some() {
        return (0..m.assets.len() as u32).collect();
    }
    let mut assets = m.organisation_assets[org as usize].clone();
    if role == TeamRole::Csirt {
        for &owner in &m.organisation_constituency[org as usize] {
            if owner != org && (!needs_request(m) || ex.assistance.contains(&(owner, org))) {
                assets.extend_from_slice(&m.organisation_assets[owner as usize]);
            }
        }
        assets.sort_unstable();
        assets.dedup();
    }
    assets
}

#[cfg(test)]
mod scope_tests {
    use super::super::command::{Authority, authority};
    use super::*;

    /// `scope` against `authority` asked of every asset, on the bundled
    /// Luxembourg scenario, for every team, with and without assistance and
    /// the PIU.
    #[test]
    fn the_scope_is_what_authority_allows() {
        let model = crate::load::load_model(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/luxembourg.ron"
        )))
        .unwrap();
        let mut sim = crate::Simulation::new(std::sync::Arc::new(model), 1);
        // Far enough for assistance requests and the PIU (the bots play).
        for tick in 0..200 {
            sim.step();
            if tick % 20 != 0 {
                continue;
            }
            {
                let m = sim.model();
                let ex = sim.exercise();
                for (t, team) in m.scenario.teams.iter().enumerate() {
                    let t = t as u32;
                    let org = m.team_organisation[t as usize];
                    let expected: Vec<u32> = (0..m.assets.len() as u32)
                        .filter(|&a| match authority(m, t, a) {
                            Some(Authority::Own) => true,
                            Some(Authority::Constituency) => {
                                !needs_request(m) || ex.assistance.contains(&(m.assets[a as usize].organisation, org))
                            }
                            Some(Authority::Cerc) => ex.piu.active_since.is_some(),
                            None => false,
                        })
                        .collect();
                    assert_eq!(scope(m, ex, t, team.role), expected, "team {} at tick {tick}", team.id);
                }
            }
        }
        // Both conditional paths were taken by then.
        assert!(sim.exercise().piu.active_since.is_some(), "the PIU is active");
        assert!(!sim.exercise().assistance.is_empty(), "CSIRTs were asked for assistance");
    }
}
