//! Step 6: what the state means — the first critical outage, reporting deadlines
//! (on time, late, missed), incident containment and recovery, objectives, and
//! the per-tick counts.

use super::Ctx;
use super::state::{ExerciseMetrics, Obligation, Status};
use crate::model::{Model, ResolvedRule};
use crate::scenario::Anchor;

/// The due tick of an obligation: the earliest of its stage's deadlines whose
/// anchor has happened; `None` while none has.
pub fn due(model: &Model, ex: &super::Exercise, o: &Obligation) -> Option<u64> {
    let key = (o.organisation, o.incident);
    let stage = &model.exercise.regimes[o.regime as usize].stages[o.stage as usize];
    stage
        .deadlines
        .iter()
        .filter_map(|&(anchor, ticks)| {
            let from = match anchor {
                Anchor::Awareness => ex.awareness.get(&key),
                Anchor::Classification => ex.classification.get(&key),
            };
            // Saturating: `within_minutes` is not bounded, and a deadline past
            // u64::MAX is simply never reached (no overflow panic in debug).
            from.map(|t| t.saturating_add(ticks))
        })
        .min()
}

/// How an obligation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filing {
    OnTime,
    Late,
    Overdue,
    Open,
}

pub fn filing(model: &Model, ex: &super::Exercise, o: &Obligation, tick: u64) -> Filing {
    match (o.filed, due(model, ex, o)) {
        (Some(f), Some(d)) if f > d => Filing::Late,
        (Some(_), _) => Filing::OnTime,
        (None, Some(d)) if tick > d => Filing::Overdue,
        (None, _) => Filing::Open,
    }
}

pub fn measure(ctx: &mut Ctx, sector_service: &[u64]) {
    let m = ctx.model;
    let tick = ctx.tick;

    if ctx.ex.first_critical_outage.is_none() {
        let level = m.scenario.response.critical_outage_level as u16;
        let critical = m.critical_assets.iter().any(|&a| ctx.level[a as usize] < level);
        if critical {
            ctx.ex.first_critical_outage = Some(tick);
        }
    }

    let mut metrics = ExerciseMetrics::default();
    for i in 0..ctx.ex.obligations.len() {
        let state = filing(m, ctx.ex, &ctx.ex.obligations[i], tick);
        let o = &mut ctx.ex.obligations[i];
        match state {
            Filing::OnTime => metrics.notifications_on_time += 1,
            Filing::Late => {
                metrics.notifications_late += 1;
                o.missed_at.get_or_insert(tick);
            }
            Filing::Overdue => {
                metrics.notifications_overdue += 1;
                o.missed_at.get_or_insert(tick);
            }
            Filing::Open => {}
        }
    }

    for state in &mut ctx.ex.incidents {
        if state.started_at.is_none() {
            continue;
        }
        let all_contained = state.infections.keys().all(|&a| ctx.ex.isolated[a as usize]);
        if state.first_detected.is_some() && all_contained {
            state.contained_at.get_or_insert(tick);
        }
        if state.infections.is_empty() {
            state.recovered_at.get_or_insert(tick);
        }
        // Counted on the current state: an incident that spreads back after a
        // first recovery is open again (its recovered_at keeps the first time).
        if state.infections.is_empty() {
            metrics.incidents_recovered += 1;
        } else {
            metrics.incidents_open += 1;
        }
        metrics.incidents_detected += u32::from(state.first_detected.is_some());
        metrics.incidents_contained += u32::from(state.contained_at.is_some());
    }
    ctx.ex.metrics = metrics;

    for (i, objective) in m.exercise.objectives.iter().enumerate() {
        if ctx.ex.objectives[i] == Status::Pending {
            ctx.ex.objectives[i] = evaluate(ctx, &objective.rule, sector_service);
        }
    }
}

/// An objective's status at this tick, given it was pending.
fn evaluate(ctx: &Ctx, rule: &ResolvedRule, sector_service: &[u64]) -> Status {
    let m = ctx.model;
    let ex = &*ctx.ex;
    let tick = ctx.tick;
    let end = m.scenario.duration_ticks;
    let deadline = |from: Option<u64>, ticks: u64, done: Option<u64>| -> Status {
        match from {
            None => Status::Pending,
            // Saturating, as in `due`: `minutes` is not bounded.
            Some(from) => match done {
                Some(at) if at <= from.saturating_add(ticks) => Status::Met(tick),
                _ if tick > from.saturating_add(ticks) => Status::Missed(tick),
                _ => Status::Pending,
            },
        }
    };
    match rule {
        ResolvedRule::PiuActivatedWithin { ticks } => deadline(ex.first_critical_outage, *ticks, ex.piu.active_since),
        ResolvedRule::ReportsOnTime { regime, stage, organisations } => {
            let matching = ex.obligations.iter().filter(|o| {
                o.regime == *regime
                    && stage.is_none_or(|s| o.stage == s)
                    && (organisations.is_empty() || organisations.contains(&o.organisation))
            });
            let mut any = false;
            for o in matching {
                any = true;
                if matches!(filing(m, ex, o, tick), Filing::Late | Filing::Overdue) {
                    return Status::Missed(tick);
                }
            }
            if tick >= end && any { Status::Met(tick) } else { Status::Pending }
        }
        ResolvedRule::AssetLevelBy { asset, at_least, by } => {
            if tick < *by {
                Status::Pending
            } else if ctx.level[*asset as usize] >= *at_least {
                Status::Met(tick)
            } else {
                Status::Missed(tick)
            }
        }
        ResolvedRule::SectorServiceBy { sector, at_least, by } => {
            let whole = m.sector_population[*sector as usize];
            if tick < *by {
                Status::Pending
            } else if sector_service[*sector as usize] * 1000 >= whole * u64::from(*at_least) {
                Status::Met(tick)
            } else {
                Status::Missed(tick)
            }
        }
        ResolvedRule::IndicatorsSharedWithin { incident, teams, ticks } => {
            let received = teams
                .iter()
                .map(|&t| ex.teams[t as usize].indicators.get(incident).map(|held| held.since))
                .try_fold(0u64, |latest, got| got.map(|g| latest.max(g)));
            deadline(ex.incidents[*incident as usize].first_detected, *ticks, received)
        }
        ResolvedRule::ContainedWithin { incident, ticks } => {
            let state = &ex.incidents[*incident as usize];
            deadline(state.first_detected, *ticks, state.contained_at)
        }
    }
}
