//! Applying orders (step 1) and landing timed actions (step 5), with the
//! state-dependent checks: a refusal here is an outcome, and leaves the state
//! exactly as it was.

use super::actions::{Fate, Origin, RecordedOrder};
use super::command::{Authority, MselOp, Order, Refusal, authority, needs_request};
use super::state::{HeldFrom, InjectControl, Message, MessageKind, Obligation, Pending, Sender};
use super::{Ctx, tlp};
use crate::rng::Purpose;
use crate::scenario::{Cost, Tlp};

/// Applies a director's order (a live inject, or an order on an MSEL inject)
/// at the current tick. An MSEL order the state no longer allows (the inject
/// fired meanwhile) fails and changes nothing.
pub fn apply_director(ctx: &mut Ctx, order: &Order) -> Result<(), Refusal> {
    match order {
        Order::Inject { live, to, effects, replaces } => {
            // The scheduled entry is consumed first, so that a condition
            // holding at this very tick does not fire it as well. One that
            // fired already is not sent twice (its effects would apply again).
            if let Some(i) = *replaces {
                if let Some(at) = ctx.ex.inject_fired[i as usize] {
                    return Err(Refusal::new("inject_fired", format!("that inject already fired (tick {at})")));
                }
                ctx.ex.inject_fired[i as usize] = Some(ctx.tick);
                ctx.ex.inject_control[i as usize] = InjectControl::Replaced;
                let replacement = super::state::Replacement { live: (**live).clone(), to: to.clone() };
                ctx.ex.inject_replacements.insert(i, replacement);
            }
            let message = super::injects::Delivery { from: &live.from, message: &live.message, tlp: live.tlp };
            super::injects::deliver(ctx, Sender::Director, &message, to, effects);
            Ok(())
        }
        Order::Msel { inject, op } => {
            check_msel(ctx.ex, *inject, *op)?;
            let i = *inject as usize;
            let tick = ctx.tick;
            match op {
                MselOp::Fire => {
                    ctx.ex.inject_control[i] = InjectControl::FiredByHand;
                    super::injects::fire(ctx, i);
                }
                MselOp::Hold => ctx.ex.inject_control[i] = InjectControl::Held(tick),
                MselOp::Skip => ctx.ex.inject_control[i] = InjectControl::Skipped(tick),
                MselOp::Release => {
                    let since = match ctx.ex.inject_control[i] {
                        InjectControl::Held(t) | InjectControl::Skipped(t) => t,
                        _ => tick,
                    };
                    ctx.ex.inject_control[i] = InjectControl::Released(since);
                }
            }
            Ok(())
        }
        // `resolve_director` gives no other order: nothing to do.
        _ => Ok(()),
    }
}

/// The state's checks on a director's order on an MSEL inject: it has not
/// fired; a release needs a hold or a skip; a hold or skip is not repeated.
pub fn check_msel(ex: &super::state::Exercise, inject: u32, op: MselOp) -> Result<(), Refusal> {
    let i = inject as usize;
    if let Some(at) = ex.inject_fired[i] {
        return Err(Refusal::new("inject_fired", format!("that inject already fired (tick {at})")));
    }
    match (op, ex.inject_control[i]) {
        (MselOp::Release, InjectControl::Held(_) | InjectControl::Skipped(_)) => Ok(()),
        (MselOp::Release, _) => Err(Refusal::new("not_held", "that inject is neither held nor skipped")),
        (MselOp::Hold, InjectControl::Held(_)) => Err(Refusal::new("already_held", "that inject is already held")),
        (MselOp::Skip, InjectControl::Skipped(_)) => {
            Err(Refusal::new("already_skipped", "that inject is already skipped"))
        }
        _ => Ok(()),
    }
}

/// Applies one order of `team` at the current tick: checks the state, then starts
/// the action (timed) or does it (instant). It goes into the team's action log
/// (`origin` `None`: the team's bot, whose refused orders are not logged).
pub fn apply(ctx: &mut Ctx, team: u32, order: &Order, origin: Option<Origin>) -> Result<(), Refusal> {
    let tick = ctx.tick;
    if let Err(refusal) = check(ctx, team, order) {
        if origin.is_some() {
            let recorded = RecordedOrder::Resolved(order.clone());
            ctx.ex.teams[team as usize].actions.push(tick, origin, recorded, Fate::Failed(refusal.clone()), None);
        }
        return Err(refusal);
    }
    let cost = cost_of(ctx, order);
    let state = &mut ctx.ex.teams[team as usize];
    state.last_action = Some((tick, order.name()));
    if cost.ticks == 0 {
        state.actions.push(tick, origin, RecordedOrder::Resolved(order.clone()), Fate::Applied, None);
        land(ctx, team, order);
    } else {
        let finish = tick + u64::from(cost.ticks);
        state.busy += cost.staff;
        let record =
            state.actions.push(tick, origin, RecordedOrder::Resolved(order.clone()), Fate::Running, Some(finish));
        ctx.ex.pending.push(Pending { team, order: order.clone(), started: tick, finish, staff: cost.staff, record });
    }
    Ok(())
}

/// The staff `order` occupies while it runs (what `check` compares with the
/// team's free staff).
pub fn staff_needed(ctx: &Ctx, order: &Order) -> u32 {
    cost_of(ctx, order).staff
}

fn cost_of(ctx: &Ctx, order: &Order) -> Cost {
    let r = &ctx.model.scenario.response;
    match order {
        Order::Investigate(_) => r.investigate,
        Order::Isolate(_) => r.isolate,
        Order::Restore(_) => r.restore,
        Order::Harden(_) => r.harden,
        // The asset's own duration (a transformer takes longer than a server).
        Order::Repair(a) => Cost::new(ctx.model.assets[*a as usize].repair_ticks, r.repair.staff),
        Order::Share { .. } => r.share,
        Order::Report { .. } => r.report,
        Order::Classify(_) => r.classify,
        Order::RequestAssistance(_) => r.request_assistance,
        Order::ActivatePiu(_) | Order::SetPiuLevel(_) => r.activate_piu,
        Order::PublicStatement(_) => r.public_statement,
        Order::Message { .. } => r.message,
        Order::Takeover | Order::Inject { .. } | Order::Msel { .. } => Cost::new(0, 0),
    }
}

/// The state-dependent checks.
pub fn check(ctx: &Ctx, team: u32, order: &Order) -> Result<(), Refusal> {
    let m = ctx.model;
    let ex = &*ctx.ex;
    let org = m.team_organisation[team as usize];
    // The same order already running for the same organisation: a second one
    // would only double the effort (and could overwrite the first's result).
    if ex.pending.iter().any(|p| p.order == *order && m.team_organisation[p.team as usize] == org) {
        return Err(Refusal::new("in_progress", format!("the same {} is already in progress", order.name())));
    }
    let asset_id = |a: u32| &m.scenario.assets[a as usize].id;
    let incident_id = |i: u32| &m.scenario.incidents[i as usize].id;
    if let Some(a) = order.asset() {
        match authority(m, team, a) {
            Some(Authority::Constituency) if needs_request(m) => {
                let owner = m.assets[a as usize].organisation;
                if !ex.assistance.contains(&(owner, org)) {
                    return Err(Refusal::new(
                        "no_authority_yet",
                        format!("{} has not requested your assistance", m.scenario.organisations[owner as usize].id),
                    ));
                }
            }
            Some(Authority::Cerc) if ex.piu.active_since.is_none() => {
                return Err(Refusal::new(
                    "piu_not_active",
                    "the CERC acts on others' assets only once the PIU is active",
                ));
            }
            _ => {}
        }
        if ex.pending.iter().any(|p| p.order.name() == order.name() && p.order.asset() == Some(a)) {
            return Err(Refusal::new(
                "in_progress",
                format!("a {} of {:?} is already in progress", order.name(), asset_id(a)),
            ));
        }
    }
    match order {
        Order::Isolate(a) if ex.isolated[*a as usize] => {
            return Err(Refusal::new("already_isolated", format!("{:?} is already isolated", asset_id(*a))));
        }
        Order::Repair(a) if ctx.damage.physical(*a as usize) >= 1000 => {
            return Err(Refusal::new(
                "not_damaged",
                format!(
                    "{:?} has no physical damage to repair (a restore from backup undoes cyber damage)",
                    asset_id(*a)
                ),
            ));
        }
        Order::Restore(a) if !ex.isolated[*a as usize] => {
            return Err(Refusal::new(
                "not_isolated",
                format!("isolate {:?} before restoring it from backup", asset_id(*a)),
            ));
        }
        Order::Share { incident: Some(i), to, tlp, .. } => {
            let Some(held) = ex.teams[team as usize].indicators.get(i) else {
                return Err(Refusal::new(
                    "indicators_not_held",
                    format!("your team holds no indicators of {:?} yet", incident_id(*i)),
                ));
            };
            pass_on(m, org, *i, held.tlp, to, *tlp)?;
        }
        Order::Report { regime, stage, incident } => {
            if !ex.awareness.contains_key(&(org, *incident)) {
                return Err(Refusal::new(
                    "not_aware",
                    format!(
                        "your organisation has not detected {:?}: there is nothing to report yet",
                        incident_id(*incident)
                    ),
                ));
            }
            let filed = ex.obligations.iter().any(|o| {
                o.regime == *regime
                    && o.stage == *stage
                    && o.incident == *incident
                    && o.organisation == org
                    && o.filed.is_some()
            });
            if filed {
                return Err(Refusal::new("already_filed", "that report has already been filed"));
            }
            stage_ready(m, ex, org, *regime, *stage, *incident, ctx.tick)?;
        }
        Order::Classify(i) => {
            if !ex.awareness.contains_key(&(org, *i)) {
                return Err(Refusal::new(
                    "not_aware",
                    format!("your organisation has not detected {:?}", incident_id(*i)),
                ));
            }
            if ex.classification.contains_key(&(org, *i)) {
                return Err(Refusal::new("already_classified", format!("{:?} is already classified", incident_id(*i))));
            }
        }
        Order::RequestAssistance(t) => {
            let csirt_org = m.team_organisation[*t as usize];
            if ex.assistance.contains(&(org, csirt_org)) {
                return Err(Refusal::new("already_requested", "assistance has already been requested from that CSIRT"));
            }
        }
        Order::ActivatePiu(_) if ex.piu.active_since.is_some() => {
            let plan = &m.scenario.response.plan.name;
            return Err(Refusal::new("piu_already_active", format!("the {plan} is already active")));
        }
        Order::SetPiuLevel(_) if ex.piu.active_since.is_none() => {
            let plan = &m.scenario.response.plan.name;
            return Err(Refusal::new("piu_not_active", format!("activate the {plan} first")));
        }
        _ => {}
    }
    let needed = cost_of(ctx, order).staff;
    let free = ex.free_staff(team);
    if needed > free {
        return Err(Refusal::new("no_staff", format!("{} needs {needed} staff; {free} free", order.name())));
    }
    Ok(())
}

/// Whether a report stage can be filed, and if not, what it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageReadiness {
    /// It can be filed (as far as the order of stages goes).
    Ready,
    /// It follows the previous stage (this index), which is not filed yet.
    AfterPrevious(u32),
    /// Not before tick `earliest` (its delay after the previous stage), or,
    /// when `or_contained`, as soon as the incident is contained.
    NotBefore { earliest: u64, or_contained: bool },
}

/// Whether `org` may file `stage` of `regime` for `incident` at `tick`: a
/// stage that follows the previous one waits for it to be filed, and one
/// with a `not_before` also for its delay after it, or for the incident to be
/// contained. The one rule behind the check of a report ([`stage_ready`]),
/// the bots and the team's view.
pub fn stage_readiness(
    m: &crate::model::Model,
    ex: &super::Exercise,
    org: u32,
    regime: u32,
    stage: u32,
    incident: u32,
    tick: u64,
) -> StageReadiness {
    let this = &m.exercise.regimes[regime as usize].stages[stage as usize];
    if stage == 0 || !this.after_previous {
        return StageReadiness::Ready;
    }
    let filed = ex
        .obligations
        .iter()
        .find(|o| o.regime == regime && o.stage == stage - 1 && o.incident == incident && o.organisation == org)
        .and_then(|o| o.filed);
    let Some(filed) = filed else {
        return StageReadiness::AfterPrevious(stage - 1);
    };
    if let Some((wait, unless_contained)) = this.not_before {
        let contained = ex.incidents[incident as usize].contained_at.is_some();
        let earliest = filed.saturating_add(wait);
        if tick < earliest && !(unless_contained && contained) {
            return StageReadiness::NotBefore { earliest, or_contained: unless_contained };
        }
    }
    StageReadiness::Ready
}

/// [`stage_readiness`] as the check of a report: a refusal saying why not.
/// Used by the check of a report and by the bots.
pub fn stage_ready(
    m: &crate::model::Model,
    ex: &super::Exercise,
    org: u32,
    regime: u32,
    stage: u32,
    incident: u32,
    tick: u64,
) -> Result<(), Refusal> {
    let stages = &m.exercise.regimes[regime as usize].stages;
    let this = &stages[stage as usize];
    match stage_readiness(m, ex, org, regime, stage, incident, tick) {
        StageReadiness::Ready => Ok(()),
        StageReadiness::AfterPrevious(previous) => Err(Refusal::new(
            "previous_stage_not_filed",
            format!(
                "the {:?} report comes after the {:?} report: file that first",
                this.id, stages[previous as usize].id
            ),
        )),
        StageReadiness::NotBefore { earliest, or_contained } => {
            let previous = &stages[stage as usize - 1].id;
            let wait = this.not_before.map_or(0, |(wait, _)| wait);
            let or_contained = if or_contained { ", or once the incident is contained" } else { "" };
            Err(Refusal::new(
                "too_early",
                format!(
                    "the {:?} report may be filed from {} ({} after the {previous:?} report){or_contained}",
                    this.id,
                    m.clock.label(earliest),
                    crate::clock::duration_words(wait * u64::from(m.scenario.tick_seconds)),
                ),
            ))
        }
    }
}

/// TLP 2.0 on passing indicators on: received under RED they stay with the
/// team; under AMBER+STRICT they go only to the team's own organisation; under
/// AMBER only to its organisation and its constituency (its clients); and never
/// under a less restrictive label than they came with.
fn pass_on(m: &crate::model::Model, org: u32, incident: u32, held: Tlp, to: &[u32], tlp: Tlp) -> Result<(), Refusal> {
    let id = &m.scenario.incidents[incident as usize].id;
    let within = |allowed: &dyn Fn(u32) -> bool| to.iter().all(|&t| allowed(m.team_organisation[t as usize]));
    let allowed = match held {
        Tlp::Red => false,
        Tlp::AmberStrict => within(&|o| o == org),
        Tlp::Amber => within(&|o| o == org || m.organisation_constituency[org as usize].contains(&o)),
        Tlp::Green | Tlp::Clear => true,
    };
    if !allowed || tlp < held {
        let rule = match held {
            Tlp::Red => "they may not be passed on",
            Tlp::AmberStrict => "share them only within your organisation, under TLP:AMBER+STRICT or TLP:RED",
            Tlp::Amber => "share them only with your organisation and its constituency, under TLP:AMBER or stricter",
            _ => "do not share them under a less restrictive label",
        };
        return Err(Refusal::new("tlp_forbids", format!("you received the indicators of {id:?} under {held}: {rule}")));
    }
    Ok(())
}

/// Lands the timed actions due at this tick (step 5), in the order they started.
pub fn land_due(ctx: &mut Ctx) {
    let tick = ctx.tick;
    let (due, rest): (Vec<Pending>, Vec<Pending>) =
        std::mem::take(&mut ctx.ex.pending).into_iter().partition(|p| p.finish <= tick);
    ctx.ex.pending = rest;
    for p in due {
        let team = &mut ctx.ex.teams[p.team as usize];
        team.busy = team.busy.saturating_sub(p.staff);
        team.actions.landed(p.record);
        land(ctx, p.team, &p.order);
    }
}

/// The effect of an order.
fn land(ctx: &mut Ctx, team: u32, order: &Order) {
    let m = ctx.model;
    let tick = ctx.tick;
    let team_name = m.scenario.teams[team as usize].id.clone();
    let asset_id = |a: u32| m.scenario.assets[a as usize].id.clone();
    match order {
        Order::Investigate(a) => {
            let a = *a;
            ctx.ex.investigated_at[a as usize] = tick;
            ctx.damage.mark(a as usize);
            let bonus = m.scenario.response.indicator_bonus;
            let mut found = Vec::new();
            for i in 0..ctx.ex.incidents.len() {
                let Some(infection) = ctx.ex.incidents[i].infections.get(&a).copied() else { continue };
                if infection.detected.is_some() {
                    // Already known: the investigators collect its indicators too.
                    ctx.ex.teams[team as usize].receive_indicators(i as u32, tick, Tlp::Clear, HeldFrom::Own);
                    found.push(i as u32);
                    continue;
                }
                let mut chance = u32::from(m.exercise.incidents[i].detectability);
                if ctx.ex.teams[team as usize].indicators.contains_key(&(i as u32)) {
                    chance = (chance + bonus).min(1000);
                }
                if ctx.rng.chance(Purpose::Detection, chance as u16) {
                    detect(ctx, i as u32, a, Some(team));
                    found.push(i as u32);
                }
            }
            let text = if found.is_empty() {
                format!("Investigation of {} found no compromise.", asset_id(a))
            } else {
                let names: Vec<String> = found.iter().map(|&i| incident_label(ctx, i)).collect();
                format!("Investigation of {} found: {}.", asset_id(a), names.join(", "))
            };
            system_message(ctx, MessageKind::Result, vec![team], text, found.first().copied());
        }
        Order::Isolate(a) => {
            ctx.ex.isolated[*a as usize] = true;
            ctx.cap[*a as usize] = m.assets[*a as usize].isolation_cap;
            ctx.damage.mark(*a as usize);
            system_message(ctx, MessageKind::Result, vec![team], format!("{} is isolated.", asset_id(*a)), None);
        }
        Order::Restore(a) => {
            let a = *a;
            // Backups bring systems back, not burned equipment.
            ctx.damage.set_cyber(a as usize, m.scenario.response.restore_integrity as u16);
            ctx.ex.isolated[a as usize] = false;
            ctx.cap[a as usize] = 1000;
            ctx.damage.mark(a as usize);
            let mut reinfected = Vec::new();
            for (i, incident) in ctx.ex.incidents.iter_mut().enumerate() {
                match incident.infections.get(&a) {
                    Some(inf) if inf.detected.is_some() => {
                        incident.infections.remove(&a);
                    }
                    Some(_) => reinfected.push(i as u32),
                    None => {}
                }
            }
            let mut text = if reinfected.is_empty() {
                format!("{} is restored from backup.", asset_id(a))
            } else {
                format!("{} is restored from backup, but the undetected compromise is still there.", asset_id(a))
            };
            let physical = ctx.damage.physical(a as usize);
            if physical < 1000 {
                text.push_str(&format!(" Its physical damage remains (integrity {physical}/1000): it needs a repair."));
            }
            system_message(ctx, MessageKind::Result, vec![team], text, None);
        }
        Order::Repair(a) => {
            ctx.damage.set_physical(*a as usize, 1000);
            system_message(ctx, MessageKind::Result, vec![team], format!("{} is repaired.", asset_id(*a)), None);
        }
        Order::Harden(a) => {
            ctx.ex.hardened[*a as usize] = true;
            ctx.damage.mark(*a as usize);
            system_message(ctx, MessageKind::Result, vec![team], format!("{} is hardened.", asset_id(*a)), None);
        }
        Order::Share { to, tlp, incident, text } => {
            let audience = tlp::audience(m, *tlp, Some(team), to);
            if let Some(i) = incident {
                for &t in &audience {
                    ctx.ex.teams[t as usize].receive_indicators(*i, tick, *tlp, HeldFrom::Team(team));
                }
                ctx.ex.teams[team as usize].shared.insert(*i);
            }
            let mut body = match incident {
                Some(i) => format!("Indicators of {}.", incident_label(ctx, *i)),
                None => String::new(),
            };
            if !text.is_empty() {
                if !body.is_empty() {
                    body.push(' ');
                }
                body.push_str(text);
            }
            push_message(
                ctx,
                MessageKind::Share,
                Sender::Team(team),
                team_name,
                to.clone(),
                *tlp,
                body,
                *incident,
                audience,
            );
        }
        Order::Report { regime, stage, incident } => {
            let org = m.team_organisation[team as usize];
            if let Some(o) =
                ctx.ex.obligations.iter_mut().find(|o| {
                    o.regime == *regime && o.stage == *stage && o.incident == *incident && o.organisation == org
                })
            {
                // The first filing counts: a later copy never makes it late.
                o.filed.get_or_insert(tick);
            }
            let r = &m.exercise.regimes[*regime as usize];
            let authority_teams: Vec<u32> = teams_of(ctx, r.authority);
            let mut audience = teams_of(ctx, org);
            audience.extend(&authority_teams);
            audience.sort_unstable();
            audience.dedup();
            let text = format!(
                "{} report ({}) on {} from {}.",
                m.scenario.regimes[*regime as usize].id,
                r.stages[*stage as usize].id,
                incident_label(ctx, *incident),
                m.scenario.organisations[org as usize].id
            );
            push_message(
                ctx,
                MessageKind::Report,
                Sender::Team(team),
                team_name,
                authority_teams,
                Tlp::AmberStrict,
                text,
                Some(*incident),
                audience,
            );
        }
        Order::Classify(i) => {
            let org = m.team_organisation[team as usize];
            ctx.ex.classification.entry((org, *i)).or_insert(tick);
            let text = format!("{} classified as a major incident.", incident_label(ctx, *i));
            system_message(ctx, MessageKind::Result, teams_of(ctx, org), text, Some(*i));
        }
        Order::RequestAssistance(csirt) => {
            let org = m.team_organisation[team as usize];
            let csirt_org = m.team_organisation[*csirt as usize];
            ctx.ex.assistance.insert((org, csirt_org));
            let text = format!(
                "{} requests the assistance of {}.",
                m.scenario.organisations[org as usize].id, m.scenario.organisations[csirt_org as usize].id
            );
            let audience = tlp::audience(m, Tlp::AmberStrict, Some(team), &[*csirt]);
            push_message(
                ctx,
                MessageKind::Assistance,
                Sender::Team(team),
                team_name,
                vec![*csirt],
                Tlp::AmberStrict,
                text,
                None,
                audience,
            );
        }
        Order::ActivatePiu(level) => {
            ctx.ex.piu.active_since = Some(tick);
            ctx.ex.piu.level = *level;
            let text = m.scenario.response.plan.activation.replace("{level}", &level.to_string());
            broadcast(ctx, team, team_name, MessageKind::Piu, text);
        }
        Order::SetPiuLevel(level) => {
            ctx.ex.piu.level = *level;
            let text = format!("The {} is now at level {level}.", m.scenario.response.plan.name);
            broadcast(ctx, team, team_name, MessageKind::Piu, text);
        }
        Order::PublicStatement(text) => {
            ctx.ex.teams[team as usize].statements += 1;
            broadcast(ctx, team, team_name, MessageKind::Statement, text.clone());
        }
        Order::Message { to, text, tlp } => {
            let audience = tlp::audience(m, *tlp, Some(team), to);
            push_message(
                ctx,
                MessageKind::Chat,
                Sender::Team(team),
                team_name,
                to.clone(),
                *tlp,
                text.clone(),
                None,
                audience,
            );
        }
        Order::Takeover => ctx.ex.teams[team as usize].human = true,
        // The director's orders never come from a team (`resolve` refuses
        // them); `apply_director` applies them.
        Order::Inject { .. } | Order::Msel { .. } => {}
    }
}

fn broadcast(ctx: &mut Ctx, team: u32, from: String, kind: MessageKind, text: String) {
    let all: Vec<u32> = (0..ctx.model.scenario.teams.len() as u32).collect();
    push_message(ctx, kind, Sender::Team(team), from, all.clone(), Tlp::Clear, text, None, all);
}

/// Marks the infection of `incident` on `asset` detected (by `team`, or by the
/// owner unaided / an alert): the owner organisation becomes aware, its teams and
/// the detecting team get the indicators, and reporting obligations begin.
pub fn detect(ctx: &mut Ctx, incident: u32, asset: u32, team: Option<u32>) {
    let tick = ctx.tick;
    let m = ctx.model;
    let state = &mut ctx.ex.incidents[incident as usize];
    let Some(infection) = state.infections.get_mut(&asset) else { return };
    if infection.detected.is_some() {
        return;
    }
    infection.detected = Some(tick);
    state.first_detected.get_or_insert(tick);
    let org = m.assets[asset as usize].organisation;
    let mut holders = teams_of(ctx, org);
    holders.extend(team);
    for t in holders {
        // The investigating team found them; its organisation's others (and
        // everyone, for an alert or an unaided detection) learn of them.
        let from = if team == Some(t) { HeldFrom::Own } else { HeldFrom::Detected };
        ctx.ex.teams[t as usize].receive_indicators(incident, tick, Tlp::Clear, from);
    }
    if ctx.ex.awareness.contains_key(&(org, incident)) {
        return;
    }
    ctx.ex.awareness.insert((org, incident), tick);
    let personal = m.exercise.incidents[incident as usize].personal_data;
    // An organisation exercise control plays owes no reports.
    let simulated = m.scenario.organisations[org as usize].simulated;
    for (r, regime) in m.exercise.regimes.iter().enumerate() {
        if !simulated && regime.applies_to[org as usize] && (personal || !regime.personal_data_only) {
            for stage in 0..regime.stages.len() {
                ctx.ex.obligations.push(Obligation {
                    regime: r as u32,
                    organisation: org,
                    incident,
                    stage: stage as u32,
                    filed: None,
                    missed_at: None,
                });
            }
        }
    }
    let text = format!("{} detected on {}.", incident_label(ctx, incident), m.scenario.assets[asset as usize].id);
    let to = teams_of(ctx, org);
    system_message(ctx, MessageKind::Alert, to, text, Some(incident));
}

fn incident_label(ctx: &Ctx, incident: u32) -> String {
    let inc = &ctx.model.scenario.incidents[incident as usize];
    if inc.name.is_empty() {
        format!("{} ({})", inc.id, inc.kind.label())
    } else {
        format!("{} ({})", inc.name, inc.kind.label())
    }
}

/// Teams of an organisation, in stable order.
pub fn teams_of(ctx: &Ctx, org: u32) -> Vec<u32> {
    (0..ctx.model.team_organisation.len() as u32).filter(|&t| ctx.model.team_organisation[t as usize] == org).collect()
}

/// A message from the engine to `to` (who alone see it).
pub fn system_message(ctx: &mut Ctx, kind: MessageKind, to: Vec<u32>, text: String, incident: Option<u32>) {
    let audience = to.clone();
    push_message(ctx, kind, Sender::System, "exercise".to_string(), to, Tlp::Red, text, incident, audience);
}

#[allow(clippy::too_many_arguments)]
pub fn push_message(
    ctx: &mut Ctx,
    kind: MessageKind,
    sender: Sender,
    from: String,
    to: Vec<u32>,
    tlp: Tlp,
    text: String,
    incident: Option<u32>,
    audience: Vec<u32>,
) {
    ctx.ex.messages.push(Message { tick: ctx.tick, kind, sender, from, to, tlp, text, incident, audience });
}
