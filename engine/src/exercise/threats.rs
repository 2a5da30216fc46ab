//! Incidents: their start (step 2) and their advance (step 3) — lateral spread,
//! impact on integrity, and the owners noticing them unaided.
//!
//! Spread is double-buffered: at tick t it starts only from assets compromised at
//! the end of t-1 (`since < t`). All draws happen in a fixed order — incidents in
//! stable order, then compromised assets by index, then their links in link
//! order — so the same seed gives the same spread on every machine.

use super::Ctx;
use super::orders::detect;
use super::state::Infection;
use crate::rng::Purpose;

/// Starts `incident` now, compromising its targets (no effect if already started).
pub fn start_incident(ctx: &mut Ctx, incident: u32) {
    let tick = ctx.tick;
    let state = &mut ctx.ex.incidents[incident as usize];
    if state.started_at.is_some() {
        return;
    }
    state.started_at = Some(tick);
    for &a in &ctx.model.exercise.incidents[incident as usize].targets {
        state.infections.entry(a).or_insert(Infection { since: tick, detected: None });
        state.ever_compromised.insert(a);
    }
}

/// Starts the incidents scheduled for this tick, in stable order.
pub fn start_scheduled(ctx: &mut Ctx) {
    for i in 0..ctx.model.exercise.incidents.len() {
        if ctx.model.exercise.incidents[i].start == Some(ctx.tick) {
            start_incident(ctx, i as u32);
        }
    }
}

/// Step 3: spread, impact, unaided detection, for each started incident.
pub fn advance(ctx: &mut Ctx) {
    let tick = ctx.tick;
    let m = ctx.model;
    let protection = m.scenario.response.harden_protection;
    let mut fresh: Vec<u32> = Vec::new();
    // Per asset: compromised by the incident being spread (or freshly this
    // tick). Set from its infections and cleared after, so the spread asks an
    // array, not the infection map, for each link of each source: thousands
    // of questions a tick once an incident runs loose in a national country.
    let mut infected: Vec<bool> = Vec::new();
    for i in 0..ctx.ex.incidents.len() {
        if ctx.ex.incidents[i].started_at.is_none() {
            continue;
        }
        let params = &m.exercise.incidents[i];

        // Spread from assets compromised at the end of the previous tick.
        fresh.clear();
        if params.spread > 0 {
            infected.resize(m.assets.len(), false);
            let mut sources: Vec<u32> = Vec::new();
            for (&a, inf) in &ctx.ex.incidents[i].infections {
                infected[a as usize] = true;
                if inf.since < tick && !ctx.ex.isolated[a as usize] {
                    sources.push(a);
                }
            }
            for source in sources {
                let links = m.exercise.link_start[source as usize] as usize
                    ..m.exercise.link_start[source as usize + 1] as usize;
                for &target in &m.exercise.link_targets[links] {
                    // Compromised already, or moments ago by another source.
                    if infected[target as usize] || ctx.ex.isolated[target as usize] {
                        continue;
                    }
                    let mut chance = u32::from(params.spread);
                    if ctx.ex.hardened[target as usize] {
                        chance = chance * (1000 - protection) / 1000;
                    }
                    if ctx.rng.chance(Purpose::Threats, chance as u16) {
                        fresh.push(target);
                        infected[target as usize] = true;
                    }
                }
            }
        }
        let state = &mut ctx.ex.incidents[i];
        for &a in &fresh {
            state.infections.insert(a, Infection { since: tick, detected: None });
            state.ever_compromised.insert(a);
        }
        if params.spread > 0 {
            for &a in state.infections.keys() {
                infected[a as usize] = false;
            }
        }

        // Impact on every compromised asset that is not contained.
        for &a in state.infections.keys() {
            if ctx.ex.isolated[a as usize] {
                continue;
            }
            // A destructive incident wrecks the plant; the others its systems.
            let a = a as usize;
            let physical = params.physical && ctx.damage.separate;
            let current = if physical { ctx.damage.physical(a) } else { ctx.damage.cyber(a) };
            if current > params.floor {
                let left = current.saturating_sub(params.impact).max(params.floor);
                if physical {
                    ctx.damage.set_physical(a, left);
                } else {
                    ctx.damage.set_cyber(a, left);
                }
            }
        }

        // The owners notice compromises by themselves with the incident's visibility.
        if params.visibility > 0 {
            let undetected: Vec<u32> =
                state.infections.iter().filter(|(_, inf)| inf.detected.is_none()).map(|(a, _)| *a).collect();
            for a in undetected {
                if ctx.rng.chance(Purpose::Detection, params.visibility) {
                    detect(ctx, i as u32, a, None);
                }
            }
        }
    }
}
