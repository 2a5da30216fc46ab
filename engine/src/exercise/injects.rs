//! Step 2: scheduled incidents and injects of this tick, then the injects whose
//! condition holds on the state after step 1 — each fires once, in scenario order.

use super::Ctx;
use super::orders::{detect, push_message};
use super::state::{HeldFrom, MessageKind, Sender};
use super::threats::{start_incident, start_scheduled};
use crate::model::{ResolvedCondition, ResolvedEffect};
use crate::scenario::Tlp;

/// `served`: per sector, Σ population × level over the levels of the previous
/// tick (`ServiceMetrics`, kept as levels change), for sector conditions.
pub fn fire_injects(ctx: &mut Ctx, served: &[u64]) {
    start_scheduled(ctx);
    let model = ctx.model;
    // `at <= tick` rather than `==`: an inject held past its time fires at the
    // tick it is released (otherwise the two are the same, `at` being >= 1).
    for (i, inject) in model.exercise.injects.iter().enumerate() {
        if may_fire(ctx, i) && inject.at.is_some_and(|at| at <= ctx.tick) {
            fire(ctx, i);
        }
    }
    for (i, inject) in model.exercise.injects.iter().enumerate() {
        if may_fire(ctx, i)
            && let Some(condition) = &inject.when
            && holds(ctx, condition, served)
        {
            fire(ctx, i);
        }
    }
}

/// Whether a condition holds now (levels are those of the previous tick: the
/// cascade of this tick has not run yet). `served` is per sector Σ population
/// × level over those levels, kept by the service metrics as levels change, so
/// that a pending sector condition costs nothing per asset.
pub fn holds(ctx: &Ctx, condition: &ResolvedCondition, served: &[u64]) -> bool {
    let m = ctx.model;
    match *condition {
        ResolvedCondition::AssetBelow { asset, level } => ctx.level[asset as usize] < level,
        ResolvedCondition::SectorBelow { sector, per_mille } => {
            let whole = m.sector_population[sector as usize];
            let served = served[sector as usize];
            debug_assert_eq!(
                served,
                m.assets
                    .iter()
                    .zip(ctx.level)
                    .filter(|(a, _)| a.sector == sector)
                    .map(|(a, &l)| a.population * u64::from(l))
                    .sum::<u64>(),
                "the kept sums are the sums over the levels"
            );
            whole > 0 && served < whole * u64::from(per_mille)
        }
        ResolvedCondition::IncidentDetected(i) => ctx.ex.incidents[i as usize].first_detected.is_some(),
        ResolvedCondition::DeadlineMissed(r) => {
            ctx.ex.obligations.iter().any(|o| o.regime == r && o.missed_at.is_some())
        }
        ResolvedCondition::PiuActive => ctx.ex.piu.active_since.is_some(),
    }
}

/// Not fired yet, and neither held nor skipped by the director.
fn may_fire(ctx: &Ctx, index: usize) -> bool {
    ctx.ex.inject_fired[index].is_none() && ctx.ex.inject_control[index].may_fire_by_itself()
}

/// Fires an MSEL inject at the current tick (its time or condition came, or the
/// director fired it by hand).
pub fn fire(ctx: &mut Ctx, index: usize) {
    let m = ctx.model;
    ctx.ex.inject_fired[index] = Some(ctx.tick);
    let resolved = &m.exercise.injects[index];
    let source = &m.scenario.injects[index];
    let message = Delivery { from: &source.from, message: &source.message, tlp: source.tlp };
    deliver(ctx, Sender::Inject(index as u32), &message, &resolved.to, &resolved.effects);
}

/// An inject's message: its sender in the story, text and TLP label.
pub struct Delivery<'a> {
    pub from: &'a str,
    pub message: &'a str,
    pub tlp: Tlp,
}

/// An inject's effects, in order, then its message to `to` (nothing is sent for
/// an empty message: a control-only inject).
pub fn deliver(ctx: &mut Ctx, sender: Sender, delivery: &Delivery, to: &[u32], effects: &[ResolvedEffect]) {
    let Delivery { from, message, tlp } = *delivery;
    for effect in effects {
        match *effect {
            ResolvedEffect::StartIncident(i) => start_incident(ctx, i),
            // Exercise control's hand on the plant, like a disruption.
            ResolvedEffect::SetIntegrity { asset, integrity } => ctx.damage.set_physical(asset as usize, integrity),
            ResolvedEffect::SetStaff { team, staff } => ctx.ex.teams[team as usize].staff = staff,
            ResolvedEffect::Alert { incident, asset } => detect(ctx, incident, asset, None),
            ResolvedEffect::Indicators { incident, ref to, tlp } => {
                let source = match &sender {
                    Sender::Inject(i) => HeldFrom::Inject(*i),
                    _ => HeldFrom::Director,
                };
                for &t in to {
                    ctx.ex.teams[t as usize].receive_indicators(incident, ctx.tick, tlp, source);
                }
            }
        }
    }
    if !message.is_empty() {
        let from = if from.is_empty() { "exercise control".to_string() } else { from.to_string() };
        let incident = effects.iter().find_map(|e| match *e {
            ResolvedEffect::Alert { incident, .. }
            | ResolvedEffect::StartIncident(incident)
            | ResolvedEffect::Indicators { incident, .. } => Some(incident),
            _ => None,
        });
        push_message(
            ctx,
            MessageKind::Inject,
            sender,
            from,
            to.to_vec(),
            tlp,
            message.to_string(),
            incident,
            to.to_vec(),
        );
    }
}
