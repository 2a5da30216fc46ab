//! Checks of the exercise part of a scenario: incidents, response settings, bot
//! policies, reporting regimes, injects and objectives. Same conventions as the
//! parent module: every problem recorded, each naming its item.

use std::collections::HashSet;

use super::{Ids, Validator, item, limits::*};
use crate::clock::ExerciseClock;
use crate::model::{
    ExerciseModel, ResolvedCondition, ResolvedEffect, ResolvedIncident, ResolvedInject, ResolvedLink,
    ResolvedObjective, ResolvedRegime, ResolvedRule, ResolvedStage, minutes_to_ticks,
};
use crate::scenario::{
    Anchor, BotPolicy, Condition, Deadline, Effect, NotBefore, Regime, RegimePreset, Rule, Scenario, Stage, TimeRef,
};

/// Most staff a team may have.
pub const MAX_STAFF: u32 = 10_000;
pub const MAX_INCIDENTS: usize = 10_000;
pub const MAX_INJECTS: usize = 100_000;
pub const MAX_OBJECTIVES: usize = 10_000;
pub const MAX_REGIMES: usize = 100;

/// The id maps of the infrastructure part, built by the parent.
pub(super) struct Refs<'a> {
    pub sectors: &'a Ids,
    pub organisations: &'a Ids,
    pub assets: &'a Ids,
    pub teams: &'a Ids,
}

const MINUTES_PER_DAY: u64 = 24 * 60;
/// A preset's final report waits for the incident to be contained, or this
/// long after the stage before it (two weeks: the incident handled, well
/// inside the final report's one-month deadline).
pub const FINAL_REPORT_WAIT_MINUTES: u64 = 14 * MINUTES_PER_DAY;

/// The stages of a preset regime.
pub fn preset_stages(preset: RegimePreset) -> Vec<Stage> {
    let stage = |id: &str, deadlines: &[(Anchor, u64)]| Stage {
        id: id.to_string(),
        deadlines: deadlines.iter().map(|&(from, within_minutes)| Deadline { from, within_minutes }).collect(),
        after_previous: false,
        not_before: None,
    };
    // A later stage follows the one before it; a final report waits for the
    // incident to be contained, or two weeks after the stage before it.
    let then = |mut s: Stage| {
        s.after_previous = true;
        s
    };
    let at_the_end = |mut s: Stage| {
        s.after_previous = true;
        s.not_before = Some(NotBefore { minutes_after_previous: FINAL_REPORT_WAIT_MINUTES, unless_contained: true });
        s
    };
    use Anchor::*;
    match preset {
        RegimePreset::Nis2 => vec![
            stage("early-warning", &[(Awareness, MINUTES_PER_DAY)]),
            then(stage("notification", &[(Awareness, 3 * MINUTES_PER_DAY)])),
            at_the_end(stage("final-report", &[(Awareness, 30 * MINUTES_PER_DAY)])),
        ],
        RegimePreset::Gdpr => vec![stage("breach-notification", &[(Awareness, 3 * MINUTES_PER_DAY)])],
        RegimePreset::Dora => vec![
            stage("initial-notification", &[(Classification, 4 * 60), (Awareness, MINUTES_PER_DAY)]),
            then(stage("intermediate-report", &[(Classification, 3 * MINUTES_PER_DAY)])),
            at_the_end(stage("final-report", &[(Classification, 30 * MINUTES_PER_DAY)])),
        ],
    }
}

/// A regime's stages: its own if it lists any, else its preset's.
pub fn regime_stages(regime: &Regime) -> Vec<Stage> {
    match (regime.stages.is_empty(), regime.preset) {
        (false, _) | (true, None) => regime.stages.clone(),
        (true, Some(preset)) => preset_stages(preset),
    }
}

pub(super) fn check(
    v: &mut Validator,
    s: &Scenario,
    refs: &Refs,
    clock: Option<&ExerciseClock>,
    organisation_sector: &[Option<u32>],
    links: &[ResolvedLink],
) -> ExerciseModel {
    let duration = s.duration_ticks;
    let ticks = |minutes: u64| minutes_to_ticks(minutes, s.tick_seconds);

    // ---- response settings and teams' own settings
    let r = &s.response;
    for (field, value) in [
        ("isolation_cap", r.isolation_cap),
        ("restore_integrity", r.restore_integrity),
        ("indicator_bonus", r.indicator_bonus),
        ("harden_protection", r.harden_protection),
        ("critical_outage_level", r.critical_outage_level),
    ] {
        v.per_mille("response", field, value);
    }
    for (field, text, limit) in [
        ("plan.name", &r.plan.name, MAX_NAME_CHARS),
        ("plan.short", &r.plan.short, 20),
        ("plan.activation", &r.plan.activation, MAX_TEXT_CHARS),
    ] {
        if text.trim().is_empty() {
            v.problem("response", format!("{field}: empty (the plan needs words for its messages and screens)"));
        }
        v.check_name("response", field, text, limit);
    }
    for (field, cost) in [
        ("investigate", r.investigate),
        ("isolate", r.isolate),
        ("restore", r.restore),
        ("harden", r.harden),
        ("share", r.share),
        ("report", r.report),
        ("classify", r.classify),
        ("request_assistance", r.request_assistance),
        ("activate_piu", r.activate_piu),
        ("public_statement", r.public_statement),
        ("message", r.message),
        ("repair", r.repair),
    ] {
        if cost.staff > MAX_STAFF {
            v.problem("response", format!("{field}: staff {} is over the limit of {MAX_STAFF}", cost.staff));
        }
        if u64::from(cost.ticks) > MAX_DURATION_TICKS {
            v.problem("response", format!("{field}: {} ticks is over the limit of {MAX_DURATION_TICKS}", cost.ticks));
        }
    }
    for (i, team) in s.teams.iter().enumerate() {
        let it = item("team", i, &team.id);
        if team.staff > MAX_STAFF {
            v.problem(&it, format!("staff: {} is over the limit of {MAX_STAFF}", team.staff));
        }
        if let BotPolicy::Responsive { skill, delay } = team.bot {
            v.per_mille(&it, "bot skill", skill);
            if u64::from(delay) > duration {
                v.problem(&it, format!("bot delay: {delay} ticks is longer than the exercise ({duration} ticks)"));
            }
        }
    }

    // ---- incidents
    let incident_ids = v.check_ids("incident", s.incidents.iter().map(|x| x.id.as_str()), MAX_INCIDENTS);
    let mut incidents = Vec::with_capacity(s.incidents.len());
    for (i, inc) in s.incidents.iter().enumerate() {
        let it = item("incident", i, &inc.id);
        v.check_name(&it, "name", &inc.name, MAX_NAME_CHARS);
        if inc.targets.is_empty() {
            v.problem(&it, "targets: an incident needs at least one target asset");
        }
        let mut seen = HashSet::new();
        let mut targets = Vec::with_capacity(inc.targets.len());
        for target in &inc.targets {
            if !seen.insert(target.as_str()) {
                v.problem(&it, format!("targets: lists {target:?} twice"));
            }
            targets.push(v.resolve(&it, "targets", "asset", target, refs.assets));
        }
        if let Some(start) = inc.start {
            check_tick(v, &it, "start", start, duration);
        }
        if inc.indicators.len() > super::indicators::MAX_INDICATORS_PER_INCIDENT {
            v.problem(
                &it,
                format!("indicators: more than {} indicators", super::indicators::MAX_INDICATORS_PER_INCIDENT),
            );
        }
        for (k, indicator) in inc.indicators.iter().enumerate() {
            if let Some(why) = super::indicators::problem(indicator) {
                v.problem(&it, format!("indicators[{k}] ({:?} {:?}): {why}", indicator.kind, indicator.value));
            }
        }
        incidents.push(ResolvedIncident {
            targets,
            start: inc.start,
            impact: v.per_mille(&it, "impact", inc.impact),
            floor: v.per_mille(&it, "floor", inc.floor),
            spread: v.per_mille(&it, "spread", inc.spread),
            visibility: v.per_mille(&it, "visibility", inc.visibility),
            detectability: v.per_mille(&it, "detectability", inc.detectability),
            personal_data: inc.personal_data,
            physical: inc.physical,
        });
    }

    // ---- reporting regimes
    let regime_ids = v.check_ids("regime", s.regimes.iter().map(|x| x.id.as_str()), MAX_REGIMES);
    let mut regimes = Vec::with_capacity(s.regimes.len());
    let mut regime_stage_ids: Vec<Vec<String>> = Vec::with_capacity(s.regimes.len());
    for (i, regime) in s.regimes.iter().enumerate() {
        let it = item("regime", i, &regime.id);
        v.check_name(&it, "name", &regime.name, MAX_NAME_CHARS);
        let authority = v.resolve(&it, "authority", "organisation", &regime.authority, refs.organisations);
        let stages = regime_stages(regime);
        if stages.is_empty() {
            v.problem(&it, "has no stages: give a `preset` (Nis2, Gdpr, Dora) or `stages`");
        }
        let mut stage_ids = HashSet::new();
        let mut resolved_stages = Vec::with_capacity(stages.len());
        for stage in &stages {
            v.check_id(&it, "stage id", &stage.id);
            if !stage_ids.insert(stage.id.as_str()) {
                v.problem(&it, format!("stage {:?} is listed twice", stage.id));
            }
            if stage.deadlines.is_empty() {
                v.problem(&it, format!("stage {:?} has no deadline", stage.id));
            }
            if (stage.after_previous || stage.not_before.is_some()) && resolved_stages.is_empty() {
                v.problem(&it, format!("stage {:?} is the first: it has no previous stage to wait for", stage.id));
            }
            resolved_stages.push(ResolvedStage {
                id: stage.id.clone(),
                deadlines: stage.deadlines.iter().map(|d| (d.from, ticks(d.within_minutes))).collect(),
                after_previous: stage.after_previous || stage.not_before.is_some(),
                not_before: stage.not_before.map(|n| (ticks(n.minutes_after_previous), n.unless_contained)),
            });
        }
        let sectors: Vec<u32> =
            regime.sectors.iter().map(|x| v.resolve(&it, "sectors", "sector", x, refs.sectors)).collect();
        let named: Vec<u32> = regime
            .organisations
            .iter()
            .map(|x| v.resolve(&it, "organisations", "organisation", x, refs.organisations))
            .collect();
        let applies_to = (0..organisation_sector.len() as u32)
            .map(|o| {
                // Everyone when neither list is given; otherwise the organisations
                // of the listed sectors and the listed organisations.
                let everyone = sectors.is_empty() && named.is_empty();
                let by_sector = organisation_sector[o as usize].is_some_and(|sector| sectors.contains(&sector));
                (everyone || by_sector || named.contains(&o)) && o != authority
            })
            .collect();
        regime_stage_ids.push(stages.iter().map(|x| x.id.clone()).collect());
        regimes.push(ResolvedRegime {
            authority,
            stages: resolved_stages,
            applies_to,
            personal_data_only: regime.personal_data_only || regime.preset == Some(RegimePreset::Gdpr),
        });
    }

    // ---- injects
    let _ = v.check_ids("inject", s.injects.iter().map(|x| x.id.as_str()), MAX_INJECTS);
    let all_teams: Vec<u32> = (0..s.teams.len() as u32).collect();
    let mut injects = Vec::with_capacity(s.injects.len());
    for (i, inject) in s.injects.iter().enumerate() {
        let it = item("inject", i, &inject.id);
        match (inject.at, &inject.when) {
            (None, None) => v.problem(&it, "never fires: give `at` (a tick) or `when` (a condition)"),
            (Some(_), Some(_)) => v.problem(&it, "has both `at` and `when`: give one"),
            (Some(at), None) => check_tick(v, &it, "at", at, duration),
            (None, Some(_)) => {}
        }
        let when = inject.when.as_ref().map(|c| match c {
            Condition::AssetBelow { asset, level } => ResolvedCondition::AssetBelow {
                asset: v.resolve(&it, "when", "asset", asset, refs.assets),
                level: v.per_mille(&it, "when level", *level),
            },
            Condition::SectorBelow { sector, per_mille } => ResolvedCondition::SectorBelow {
                sector: v.resolve(&it, "when", "sector", sector, refs.sectors),
                per_mille: v.per_mille(&it, "when per_mille", *per_mille),
            },
            Condition::IncidentDetected(id) => {
                ResolvedCondition::IncidentDetected(v.resolve(&it, "when", "incident", id, &incident_ids))
            }
            Condition::DeadlineMissed(id) => {
                ResolvedCondition::DeadlineMissed(v.resolve(&it, "when", "regime", id, &regime_ids))
            }
            Condition::PiuActive => ResolvedCondition::PiuActive,
        });
        v.check_name(&it, "from", &inject.from, MAX_NAME_CHARS);
        v.check_name(&it, "message", &inject.message, MAX_TEXT_CHARS);
        v.check_name(&it, "expected_action", &inject.expected_action, MAX_TEXT_CHARS);
        let to = resolve_teams(v, &it, "to", &inject.to, refs.teams);
        let effects = inject
            .effects
            .iter()
            .map(|e| match e {
                Effect::StartIncident(id) => {
                    ResolvedEffect::StartIncident(v.resolve(&it, "StartIncident", "incident", id, &incident_ids))
                }
                Effect::SetIntegrity { asset, integrity } => ResolvedEffect::SetIntegrity {
                    asset: v.resolve(&it, "SetIntegrity", "asset", asset, refs.assets),
                    integrity: v.per_mille(&it, "SetIntegrity integrity", *integrity),
                },
                Effect::SetStaff { team, staff } => {
                    if *staff > MAX_STAFF {
                        v.problem(&it, format!("SetStaff: staff {staff} is over the limit of {MAX_STAFF}"));
                    }
                    ResolvedEffect::SetStaff {
                        team: v.resolve(&it, "SetStaff", "team", team, refs.teams),
                        staff: *staff,
                    }
                }
                Effect::Alert { incident, asset } => ResolvedEffect::Alert {
                    incident: v.resolve(&it, "Alert", "incident", incident, &incident_ids),
                    asset: v.resolve(&it, "Alert", "asset", asset, refs.assets),
                },
                Effect::Indicators { incident, to, tlp } => {
                    let to_teams = resolve_teams(v, &it, "Indicators to", to, refs.teams);
                    if to_teams.is_empty() {
                        v.problem(&it, "Indicators: name the teams that receive them");
                    }
                    ResolvedEffect::Indicators {
                        incident: v.resolve(&it, "Indicators", "incident", incident, &incident_ids),
                        to: to_teams,
                        tlp: *tlp,
                    }
                }
            })
            .collect();
        injects.push(ResolvedInject {
            at: inject.at,
            when,
            to: if to.is_empty() { all_teams.clone() } else { to },
            effects,
        });
    }

    // ---- objectives
    let _ = v.check_ids("objective", s.objectives.iter().map(|x| x.id.as_str()), MAX_OBJECTIVES);
    let mut objectives = Vec::with_capacity(s.objectives.len());
    for (i, objective) in s.objectives.iter().enumerate() {
        let it = item("objective", i, &objective.id);
        v.check_name(&it, "description", &objective.description, MAX_TEXT_CHARS);
        v.check_name(&it, "capability", &objective.capability, MAX_NAME_CHARS);
        let teams = resolve_teams(v, &it, "teams", &objective.teams, refs.teams);
        let by = |v: &mut Validator, time: &TimeRef| -> u64 {
            let tick = match (time, clock) {
                (TimeRef::Tick(t), _) => *t,
                (TimeRef::Clock(text), Some(clock)) => clock.tick_at(text).unwrap_or_else(|e| {
                    v.problem(&it, format!("by: {e}"));
                    0
                }),
                (TimeRef::Clock(_), None) => 0, // the clock itself is already reported
            };
            if tick > duration {
                v.problem(&it, format!("by: tick {tick} is after the end of the exercise (duration_ticks {duration})"));
            }
            tick
        };
        let rule = match &objective.rule {
            Rule::PiuActivatedWithin { minutes } => ResolvedRule::PiuActivatedWithin { ticks: ticks(*minutes) },
            Rule::ReportsOnTime { regime, stage, organisations } => {
                let r = v.resolve(&it, "regime", "regime", regime, &regime_ids);
                let stage = stage.as_ref().map(|id| {
                    let known = regime_stage_ids.get(r as usize).cloned().unwrap_or_default();
                    match known.iter().position(|x| x == id) {
                        Some(p) => p as u32,
                        None => {
                            if regime_ids.contains_key(regime.as_str()) {
                                v.problem(
                                    &it,
                                    format!("stage: regime {regime:?} has no stage {id:?} (it has {known:?})"),
                                );
                            }
                            0
                        }
                    }
                });
                let organisations = organisations
                    .iter()
                    .map(|o| v.resolve(&it, "organisations", "organisation", o, refs.organisations))
                    .collect();
                ResolvedRule::ReportsOnTime { regime: r, stage, organisations }
            }
            Rule::AssetLevelBy { asset, at_least, by: time } => ResolvedRule::AssetLevelBy {
                asset: v.resolve(&it, "asset", "asset", asset, refs.assets),
                at_least: v.per_mille(&it, "at_least", *at_least),
                by: by(v, time),
            },
            Rule::SectorServiceBy { sector, at_least, by: time } => ResolvedRule::SectorServiceBy {
                sector: v.resolve(&it, "sector", "sector", sector, refs.sectors),
                at_least: v.per_mille(&it, "at_least", *at_least),
                by: by(v, time),
            },
            Rule::IndicatorsSharedWithin { incident, teams: recipients, minutes } => {
                let incident = v.resolve(&it, "incident", "incident", incident, &incident_ids);
                let recipients = resolve_teams(v, &it, "teams", recipients, refs.teams);
                if recipients.is_empty() {
                    v.problem(&it, "teams: name the teams that must receive the indicators");
                }
                ResolvedRule::IndicatorsSharedWithin { incident, teams: recipients, ticks: ticks(*minutes) }
            }
            Rule::ContainedWithin { incident, minutes } => ResolvedRule::ContainedWithin {
                incident: v.resolve(&it, "incident", "incident", incident, &incident_ids),
                ticks: ticks(*minutes),
            },
        };
        objectives.push(ResolvedObjective { rule, teams });
    }

    // ---- network links as adjacency (both ways unless directed), in link order
    let n = s.assets.len();
    let mut degree = vec![0u32; n + 1];
    // (A link with an unknown id resolved to a placeholder; the model is then
    // discarded with the problem, so its edges are never used.)
    let mut edges = Vec::with_capacity(links.len() * 2);
    for &ResolvedLink { from, to, directed } in links {
        edges.push((from, to));
        if !directed {
            edges.push((to, from));
        }
    }
    // A stable sort keeps link order within each asset's neighbours.
    edges.sort_by_key(|&(from, _)| from);
    for &(from, _) in &edges {
        degree[from as usize + 1] += 1;
    }
    for a in 0..n {
        degree[a + 1] += degree[a];
    }
    ExerciseModel {
        incidents,
        regimes,
        injects,
        objectives,
        link_start: degree,
        link_targets: edges.into_iter().map(|(_, to)| to).collect(),
    }
}

fn check_tick(v: &mut Validator, it: &str, field: &str, tick: u64, duration: u64) {
    if tick == 0 {
        v.problem(it, format!("{field}: tick 0 is the starting state; the first tick that runs is 1"));
    } else if tick > duration {
        v.problem(it, format!("{field}: tick {tick} is after the end of the exercise (duration_ticks {duration})"));
    }
}

fn resolve_teams(v: &mut Validator, it: &str, field: &str, ids: &[String], teams: &Ids) -> Vec<u32> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if !seen.insert(id.as_str()) {
            v.problem(it, format!("{field}: lists {id:?} twice"));
        }
        out.push(v.resolve(it, field, "team", id, teams));
    }
    out
}
