//! Built-in team policies (DESIGN §4): a bot's decisions are a pure function of
//! the state and the "bots" random stream, so a replay recomputes them and they
//! are never journaled. A bot plays its team until a human takes over.
//!
//! `Responsive { delay, skill }`: each tick, a responsive bot draws once (always
//! exactly once, whether or not it then finds something to do, so one bot's
//! choices never shift another's draws) and acts with per-mille chance `skill`.
//! It then gives at most one order, the first that applies in its role's
//! priority list, and only about situations at least `delay` ticks old. Its
//! orders go through the same checks as a human's and apply at the next tick.

use super::Ctx;
use super::command::{Authority, Order, authority, needs_request};
use super::measure::{Filing, due, filing};
use crate::rng::Purpose;
use crate::scenario::{Anchor, BotPolicy, TeamRole, Tlp};

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
        if let Some(order) = choose(ctx, t, team.role, ripe) {
            orders.push((t, order));
        }
    }
    ctx.ex.bot_orders = orders;
}

/// The first applicable order for `team`, about things visible since `ripe`.
fn choose(ctx: &Ctx, team: u32, role: TeamRole, ripe: u64) -> Option<Order> {
    let m = ctx.model;
    let ex = &*ctx.ex;
    let org = m.team_organisation[team as usize];
    let free = ex.free_staff(team);
    let r = &m.scenario.response;
    let pending = |name: &str, a: u32| ex.pending.iter().any(|p| p.order.name() == name && p.order.asset() == Some(a));
    let may_act = |a: u32| match authority(m, team, a) {
        Some(Authority::Own) => true,
        Some(Authority::Constituency) => {
            !needs_request(m) || ex.assistance.contains(&(m.assets[a as usize].organisation, org))
        }
        Some(Authority::Cerc) => ex.piu.active_since.is_some(),
        None => false,
    };
    // Detected compromises on assets the team may act on, seen since `ripe`.
    let detected = |a: u32| {
        ex.incidents.iter().any(|s| s.infections.get(&a).is_some_and(|inf| inf.detected.is_some_and(|d| d <= ripe)))
    };
    let all_known = |a: u32| ex.incidents.iter().all(|s| s.infections.get(&a).is_none_or(|inf| inf.detected.is_some()));
    let assets = 0..m.assets.len() as u32;

    match role {
        TeamRole::CrisisCell => {
            if ex.piu.active_since.is_none() && ex.first_critical_outage.is_some_and(|c| c <= ripe) {
                return Some(Order::ActivatePiu(2));
            }
            None
        }
        TeamRole::Communication => {
            let piu = ex.piu.active_since.is_some_and(|p| p <= ripe);
            if piu && ex.teams[team as usize].statements == 0 {
                return Some(Order::PublicStatement(
                    "The national cyber crisis response plan is active. Emergency numbers work; follow LU-Alert and infocrise.lu for updates.".to_string(),
                ));
            }
            None
        }
        TeamRole::Cerc => assets
            .filter(|&a| may_act(a) && detected(a) && !ex.isolated[a as usize] && !pending("isolate", a))
            .find(|_| free >= r.isolate.staff)
            .map(Order::Isolate),
        TeamRole::Operator | TeamRole::Csirt => {
            // 1. Contain what is known to be compromised.
            if free >= r.isolate.staff
                && let Some(a) = assets
                    .clone()
                    .find(|&a| may_act(a) && detected(a) && !ex.isolated[a as usize] && !pending("isolate", a))
            {
                return Some(Order::Isolate(a));
            }
            // 2. Share indicators with the constituency and the other CSIRTs.
            if role == TeamRole::Csirt
                && let Some((&incident, _)) = ex.teams[team as usize]
                    .indicators
                    .iter()
                    .find(|(i, got)| **got <= ripe && !ex.teams[team as usize].shared.contains(i))
            {
                let constituency = &m.organisation_constituency[org as usize];
                let to: Vec<u32> = (0..m.scenario.teams.len() as u32)
                    .filter(|&t| {
                        t != team
                            && (constituency.contains(&m.team_organisation[t as usize])
                                || m.scenario.teams[t as usize].role == TeamRole::Csirt)
                    })
                    .collect();
                if !to.is_empty() {
                    return Some(Order::Share { to, tlp: Tlp::Amber, incident: Some(incident), text: String::new() });
                }
            }
            // 3. Reports due: the earliest due first.
            let mut owed: Vec<(u64, Order)> = ex
                .obligations
                .iter()
                .filter(|o| {
                    o.organisation == org && matches!(filing(m, ex, o, ctx.tick), Filing::Open | Filing::Overdue)
                })
                .filter(|o| ex.awareness.get(&(org, o.incident)).is_some_and(|&a| a <= ripe))
                .filter_map(|o| {
                    due(m, ex, o).map(|d| (d, Order::Report { regime: o.regime, stage: o.stage, incident: o.incident }))
                })
                .collect();
            owed.sort_by_key(|(d, _)| *d);
            if let Some((_, order)) = owed.into_iter().next()
                && free >= r.report.staff
            {
                return Some(order);
            }
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
                    return Some(Order::Classify(incident));
                }
            }
            // 5. An operator that knows it is hit asks the CSIRTs that serve it.
            if role == TeamRole::Operator && ex.awareness.iter().any(|(&(o, _), &aware)| o == org && aware <= ripe) {
                let csirt = (0..m.scenario.teams.len() as u32).find(|&t| {
                    let csirt_org = m.team_organisation[t as usize];
                    m.scenario.teams[t as usize].role == TeamRole::Csirt
                        && csirt_org != org
                        && m.organisation_constituency[csirt_org as usize].contains(&org)
                        && !ex.assistance.contains(&(org, csirt_org))
                });
                if let Some(csirt) = csirt {
                    return Some(Order::RequestAssistance(csirt));
                }
            }
            // 6. Restore isolated assets whose compromises are all known.
            if free >= r.restore.staff
                && let Some(a) = assets.clone().find(|&a| {
                    may_act(a)
                        && ex.isolated[a as usize]
                        && all_known(a)
                        && !pending("restore", a)
                        && !pending("isolate", a)
                })
            {
                return Some(Order::Restore(a));
            }
            // 7. Investigate degraded assets not looked at recently.
            if free >= r.investigate.staff {
                let recent = u64::from(r.investigate.ticks) * 2;
                return assets
                    .filter(|&a| {
                        may_act(a)
                            && ctx.integrity[a as usize] < 1000
                            && !detected(a)
                            && !pending("investigate", a)
                            && ex.investigated_at[a as usize].is_none_or(|t| t + recent <= ctx.tick)
                    })
                    .min_by_key(|&a| (m.assets[a as usize].organisation != org, a))
                    .map(Order::Investigate);
            }
            None
        }
        TeamRole::Regulator | TeamRole::Ministry | TeamRole::Media => None,
    }
}
