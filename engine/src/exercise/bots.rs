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

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::ops::ControlFlow;

use super::Ctx;
use super::command::{Order, needs_request};
use super::measure::{Filing, due, filing};
use super::orders::{check, staff_needed};
use super::state::{Exercise, NEVER};
use crate::rng::Purpose;
use crate::scenario::{Anchor, BotPolicy, OrganisationKind, TeamRole, Tlp};

/// Step 5, after timed actions: every bot decides; orders apply at t+1.
pub fn decide(ctx: &mut Ctx) {
    let m = ctx.model;
    let mut orders = Vec::new();
    let known = Known::default();
    // The fewest staff any order a bot gives needs: a bot with fewer free has
    // nothing the checks would allow, whatever the state.
    let cheapest = cheapest_bot_order(m);
    for (t, team) in m.scenario.teams.iter().enumerate() {
        let t = t as u32;
        let BotPolicy::Responsive { delay, skill } = team.bot else { continue };
        if !ctx.ex.bot_active(t) {
            continue;
        }
        if !ctx.rng.chance(Purpose::Bots, skill as u16) {
            continue;
        }
        let free = ctx.ex.free_staff(t);
        if free < cheapest {
            continue;
        }
        let ripe = ctx.tick.saturating_sub(u64::from(delay));
        let ctx = &*ctx;
        // Most operators of a national country have nothing going on: no
        // indicators to share and nothing about their organisation anywhere.
        if team.role == TeamRole::Operator
            && ctx.ex.teams[t as usize].indicators.is_empty()
            && !known.eventful(ctx)[m.team_organisation[t as usize] as usize]
        {
            debug_assert!(candidates(ctx, t, team.role, ripe, &known).is_empty(), "team {} had candidates", team.id);
            continue;
        }
        // The first candidate the state allows now (staff, nothing identical
        // already running, …): a bot never wastes its turn on a refusal. The
        // candidates come in priority order and the search stops at the first
        // one allowed, so a bot with a long list of suspects pays for the few
        // it looks at. Staff is tested first: it is `check`'s last test, the
        // cheapest, and the one most often failed.
        let mut chosen = None;
        let _ = each_candidate(ctx, t, team.role, ripe, &known, &mut |order| {
            if staff_needed(ctx, &order) <= free && check(ctx, t, &order).is_ok() {
                chosen = Some(order);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        if let Some(order) = chosen {
            orders.push((t, order));
        }
    }
    ctx.ex.bot_orders = orders;
}

/// Whether an asset last investigated `at` (`NEVER`: not yet) may be
/// investigated again at `tick`, `recent` ticks being too soon.
fn investigated_long_ago(at: u64, recent: u64, tick: u64) -> bool {
    at == NEVER || at.saturating_add(recent) <= tick
}

/// The fewest staff needed by any kind of order a bot gives.
fn cheapest_bot_order(m: &crate::Model) -> u32 {
    let r = &m.scenario.response;
    [
        r.investigate,
        r.isolate,
        r.restore,
        r.share,
        r.report,
        r.classify,
        r.request_assistance,
        r.activate_piu,
        r.public_statement,
    ]
    .iter()
    .map(|cost| cost.staff)
    .min()
    .unwrap_or(0)
}

/// What every bot of a tick asks about, gathered once for them all (the state
/// does not change while they decide), each part at its first question: a
/// tick where no bot acts gathers nothing.
#[derive(Debug, Default)]
struct Known {
    compromises: OnceCell<Compromises>,
    serving: Serving,
    lists: Lists,
    eventful: OnceCell<Vec<bool>>,
}

impl Known {
    fn compromises(&self, ex: &Exercise, m: &crate::Model) -> &Compromises {
        self.compromises.get_or_init(|| Compromises::gather(ex, m))
    }

    /// Per organisation: whether anything an operator's bot acts on concerns
    /// it — an asset compromised, isolated or with cyber damage, an incident
    /// it is aware of, a report it owes. An operator of an organisation
    /// without, holding no indicators, has no candidate (its scope is its
    /// organisation; debug builds check it).
    fn eventful(&self, ctx: &Ctx) -> &[bool] {
        self.eventful.get_or_init(|| {
            let (m, ex) = (ctx.model, &*ctx.ex);
            let mut eventful = vec![false; m.scenario.organisations.len()];
            let marked = [&self.compromises(ex, m).marked, self.lists.isolated(m, ex), self.lists.cyber_damaged(ctx)];
            for &(o, _) in marked.iter().flat_map(|marked| &marked.by_organisation) {
                eventful[o as usize] = true;
            }
            for &(o, _) in ex.awareness.keys() {
                eventful[o as usize] = true;
            }
            for obligation in &ex.obligations {
                eventful[obligation.organisation as usize] = true;
            }
            eventful
        })
    }
}

/// What the bots ask about the compromises on an asset, over every incident:
/// built from the incidents' infections (hundreds at national scale) so a bot
/// looking at its assets asks a map of the compromised ones, not every
/// incident for every asset.
#[derive(Debug)]
struct Compromises {
    /// Compromised assets (ascending) → what their compromises say.
    by_asset: BTreeMap<u32, Seen>,
    /// Per asset, a bit: whether it is in `by_asset` (most are not; a look
    /// here spares the map's search). Bits, not bools: it is built every tick
    /// a bot acts, and a country has up to millions of assets.
    any: Vec<u64>,
    /// The compromised assets by organisation.
    marked: Marked,
}

/// The compromises on one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    /// The earliest detection of any of them (`NEVER` if none is detected).
    detected: u64,
    /// The earliest detection of one by an incident with impact (`NEVER` if none).
    harmful: u64,
    /// One of them is undetected.
    unknown: bool,
}

impl Compromises {
    fn gather(ex: &Exercise, m: &crate::Model) -> Self {
        let mut by_asset: BTreeMap<u32, Seen> = BTreeMap::new();
        let mut any = vec![0u64; m.assets.len().div_ceil(64)];
        for (i, state) in ex.incidents.iter().enumerate() {
            let impact = m.exercise.incidents[i].impact > 0;
            for (&a, inf) in &state.infections {
                any[a as usize / 64] |= 1 << (a % 64);
                let seen = by_asset.entry(a).or_insert(Seen { detected: NEVER, harmful: NEVER, unknown: false });
                match inf.detected {
                    Some(d) => {
                        seen.detected = seen.detected.min(d);
                        if impact {
                            seen.harmful = seen.harmful.min(d);
                        }
                    }
                    None => seen.unknown = true,
                }
            }
        }
        let marked = Marked::new(m, by_asset.keys().copied().collect());
        Self { by_asset, any, marked }
    }

    fn seen(&self, a: u32) -> Option<&Seen> {
        if self.any[a as usize / 64] & (1 << (a % 64)) != 0 { self.by_asset.get(&a) } else { None }
    }

    /// A compromise of `a` detected at or before `ripe`.
    fn detected(&self, a: u32, ripe: u64) -> bool {
        self.seen(a).is_some_and(|s| s.detected <= ripe)
    }

    /// A compromise of `a` by an incident with impact detected at or before `ripe`.
    fn harmful(&self, a: u32, ripe: u64) -> bool {
        self.seen(a).is_some_and(|s| s.harmful <= ripe)
    }

    /// Every compromise of `a` is detected (true when it has none).
    fn all_known(&self, a: u32) -> bool {
        self.seen(a).is_none_or(|s| !s.unknown)
    }

    /// The assets of `scope` with a compromise detected at or before `ripe`,
    /// ascending.
    fn detected_in(&self, m: &crate::Model, scope: &Scope, ripe: u64) -> Vec<u32> {
        let mut found = self.marked.within(m, scope);
        found.retain(|&a| self.detected(a, ripe));
        found
    }
}

/// The CSIRT teams that serve each organisation (not their own), in team
/// order: built at the first question of a tick, by one pass over the CSIRT
/// teams' constituencies, instead of a pass over every team and a search of
/// each constituency per question. Flat (an organisation's teams are
/// `teams[start[o]..start[o + 1]]`): a national country has 10,000s of
/// organisations and constituencies of 1,000s.
#[derive(Debug, Default)]
struct Serving {
    index: OnceCell<(Vec<u32>, Vec<u32>)>,
}

impl Serving {
    fn of(&self, m: &crate::Model, organisation: u32) -> &[u32] {
        let (start, teams) = self.index.get_or_init(|| {
            let organisations = m.organisation_constituency.len();
            // Each (CSIRT team, organisation it serves) once, in team order.
            let served = |each: &mut dyn FnMut(u32, u32)| {
                for (t, team) in m.scenario.teams.iter().enumerate() {
                    let csirt_org = m.team_organisation[t];
                    if team.role != TeamRole::Csirt {
                        continue;
                    }
                    let constituency = &m.organisation_constituency[csirt_org as usize];
                    // Validation refuses an organisation listed twice or in
                    // its own constituency; the guard keeps the rule's wording.
                    for &o in constituency {
                        if o != csirt_org {
                            each(o, t as u32);
                        }
                    }
                }
            };
            let mut start = vec![0u32; organisations + 1];
            served(&mut |o, _| start[o as usize + 1] += 1);
            for o in 0..organisations {
                start[o + 1] += start[o];
            }
            let mut next = start.clone();
            let mut teams = vec![0u32; start[organisations] as usize];
            served(&mut |o, t| {
                teams[next[o as usize] as usize] = t;
                next[o as usize] += 1;
            });
            (start, teams)
        });
        &teams[start[organisation as usize] as usize..start[organisation as usize + 1] as usize]
    }
}

/// Assets in a state a bot looks for (isolated; cyber-damaged), listed at
/// the first question of a tick by one pass over the country. They are few at
/// any time, so a bot asks for those in its scope (by organisation) instead
/// of walking its scope: the bots' work follows what happened, not the size
/// of the country.
#[derive(Debug, Default)]
struct Lists {
    isolated: OnceCell<Marked>,
    cyber_damaged: OnceCell<Marked>,
}

impl Lists {
    fn isolated(&self, m: &crate::Model, ex: &Exercise) -> &Marked {
        self.isolated.get_or_init(|| Marked::new(m, positions(&ex.isolated, |isolated| isolated)))
    }

    /// Below full cyber integrity (what makes an asset a suspect).
    fn cyber_damaged(&self, ctx: &Ctx) -> &Marked {
        self.cyber_damaged
            .get_or_init(|| Marked::new(ctx.model, positions(ctx.damage.cyber, |cyber: u16| cyber < 1000)))
    }
}

/// The indices of the values that `hit`, ascending. Blocks without one are
/// passed over by a branch-free test, so a scan of a country where little is
/// marked runs at memory speed.
fn positions<T: Copy>(values: &[T], hit: impl Fn(T) -> bool) -> Vec<u32> {
    const BLOCK: usize = 256;
    let mut out = Vec::new();
    for (b, block) in values.chunks(BLOCK).enumerate() {
        if !block.iter().fold(false, |any, &v| any | hit(v)) {
            continue;
        }
        out.extend(block.iter().enumerate().filter(|&(_, &v)| hit(v)).map(|(i, _)| (b * BLOCK + i) as u32));
    }
    out
}

/// A few marked assets, by organisation.
#[derive(Debug, Default)]
struct Marked {
    /// Ascending.
    assets: Vec<u32>,
    /// (organisation, asset), ascending.
    by_organisation: Vec<(u32, u32)>,
}

impl Marked {
    fn new(m: &crate::Model, assets: Vec<u32>) -> Self {
        debug_assert!(assets.is_sorted());
        let mut by_organisation: Vec<(u32, u32)> =
            assets.iter().map(|&a| (m.assets[a as usize].organisation, a)).collect();
        by_organisation.sort_unstable();
        Self { assets, by_organisation }
    }

    /// The marked assets in `scope`, ascending.
    fn within(&self, m: &crate::Model, scope: &Scope) -> Vec<u32> {
        let organisations = match scope {
            Scope::All => return self.assets.clone(),
            Scope::Organisations(organisations) => organisations,
        };
        // As many searches as organisations in scope, when that is fewer than
        // the marked assets; else one walk over them.
        if organisations.len() >= self.assets.len() {
            return self.assets.iter().copied().filter(|&a| scope.contains(m, a)).collect();
        }
        let mut found = Vec::new();
        for &o in organisations {
            let start = self.by_organisation.partition_point(|&(org, _)| org < o);
            found.extend(self.by_organisation[start..].iter().take_while(|&&(org, _)| org == o).map(|&(_, a)| a));
        }
        if organisations.len() > 1 {
            found.sort_unstable();
        }
        found
    }
}

/// The orders `team` would give, in priority order, about things visible since
/// `ripe`: the whole list (the tests compare it with the rule as first
/// written; debug builds check that a bot passed over had none).
fn candidates(ctx: &Ctx, team: u32, role: TeamRole, ripe: u64, known: &Known) -> Vec<Order> {
    let mut out = Vec::new();
    let _ = each_candidate(ctx, team, role, ripe, known, &mut |order| {
        out.push(order);
        ControlFlow::Continue(())
    });
    out
}

/// Hands `visit` the orders `team` would give, in priority order, about things
/// visible since `ripe`, until it breaks: each list is built only when the
/// orders before it were all passed over.
fn each_candidate(
    ctx: &Ctx,
    team: u32,
    role: TeamRole,
    ripe: u64,
    known: &Known,
    visit: &mut dyn FnMut(Order) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let Known { serving, lists, .. } = known;
    let m = ctx.model;
    let ex = &*ctx.ex;
    let compromises = known.compromises(ex, m);
    let org = m.team_organisation[team as usize];
    let r = &m.scenario.response;
    // The assets it may act on now, in index order: the same set as asking
    // `authority` of every asset, without a pass over the whole country and a
    // search of the constituency per asset (a national country has 100,000s).
    let scope = scope(m, ex, team, role);
    // A compromise of the asset detected at or before `ripe`.
    let detected = |a: u32| compromises.detected(a, ripe);
    // Isolating is worth the service it costs only against a compromise that
    // does damage: a bot leaves an asset running for an incident with no
    // impact (espionage) when isolating it would lower its level.
    let worth_isolating = |a: u32| m.assets[a as usize].isolation_cap >= 1000 || compromises.harmful(a, ripe);
    let all_known = |a: u32| compromises.all_known(a);
    // What to isolate: detected compromises in scope, found from the (few)
    // compromised assets rather than by asking about every asset in scope.
    let to_isolate = || {
        compromises
            .detected_in(m, &scope, ripe)
            .into_iter()
            .filter(|&a| worth_isolating(a) && !ex.isolated[a as usize])
            .map(Order::Isolate)
    };

    match role {
        TeamRole::CrisisCell => {
            if ex.piu.active_since.is_none() && ex.first_critical_outage.is_some_and(|c| c <= ripe) {
                visit(Order::ActivatePiu(2))?;
            }
        }
        TeamRole::Communication => {
            let piu = ex.piu.active_since.is_some_and(|p| p <= ripe);
            if piu && ex.teams[team as usize].statements == 0 {
                visit(Order::PublicStatement(
                    "The national cyber crisis response plan is active. Emergency numbers work; follow LU-Alert and infocrise.lu for updates.".to_string(),
                ))?;
            }
        }
        TeamRole::Cerc => {
            to_isolate().try_for_each(&mut *visit)?;
        }
        TeamRole::Operator | TeamRole::Csirt => {
            // 1. Contain what is known to be compromised and doing damage.
            to_isolate().try_for_each(&mut *visit)?;
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
                    serving.of(m, org).to_vec()
                };
                if !to.is_empty() {
                    visit(Order::Share {
                        to,
                        tlp: held.tlp.max(Tlp::Amber),
                        incident: Some(incident),
                        text: String::new(),
                    })?;
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
            owed.into_iter().map(|(_, order)| order).try_for_each(&mut *visit)?;
            // 4. Classify incidents under a regime with classification deadlines.
            // Its own organisation's entries only (the map is ordered by
            // organisation first): the same entries, in the same order, as a
            // walk over every organisation's.
            for (&(o, incident), &aware) in ex.awareness.range((org, 0)..=(org, u32::MAX)) {
                let classifies = ex.obligations.iter().any(|ob| {
                    ob.organisation == o
                        && ob.incident == incident
                        && m.exercise.regimes[ob.regime as usize].stages[ob.stage as usize]
                            .deadlines
                            .iter()
                            .any(|(anchor, _)| *anchor == Anchor::Classification)
                });
                if o == org && aware <= ripe && classifies && !ex.classification.contains_key(&(o, incident)) {
                    visit(Order::Classify(incident))?;
                }
            }
            // 5. An operator that knows it is hit asks the CSIRTs that serve it.
            if role == TeamRole::Operator
                && ex.awareness.range((org, 0)..=(org, u32::MAX)).any(|(_, &aware)| aware <= ripe)
            {
                serving
                    .of(m, org)
                    .iter()
                    .copied()
                    .filter(|&t| !ex.assistance.contains(&(org, m.team_organisation[t as usize])))
                    .map(Order::RequestAssistance)
                    .try_for_each(&mut *visit)?;
            }
            // 6. Restore isolated assets whose compromises are all known.
            lists
                .isolated(m, ex)
                .within(m, &scope)
                .into_iter()
                .filter(|&a| all_known(a))
                .map(Order::Restore)
                .try_for_each(&mut *visit)?;
            // 7. Investigate assets with cyber damage (a burned plant is no
            //    sign of compromise) not looked at recently, own first, each
            //    part in index order.
            let recent = u64::from(r.investigate.ticks) * 2;
            let mut suspects = lists.cyber_damaged(ctx).within(m, &scope);
            suspects
                .retain(|&a| !detected(a) && investigated_long_ago(ex.investigated_at[a as usize], recent, ctx.tick));
            let own = |a: &u32| m.assets[*a as usize].organisation == org;
            suspects.iter().copied().filter(own).map(Order::Investigate).try_for_each(&mut *visit)?;
            suspects.iter().copied().filter(|a| !own(a)).map(Order::Investigate).try_for_each(&mut *visit)?;
        }
        TeamRole::Regulator | TeamRole::Ministry | TeamRole::Media => {}
    }
    ControlFlow::Continue(())
}

/// The assets a team may act on now: all of them, or those of some
/// organisations.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// Every asset of the country: the CERC once the PIU is active.
    All,
    /// The assets of these organisations (ascending, without repeats).
    Organisations(Vec<u32>),
}

impl Scope {
    fn contains(&self, m: &crate::Model, a: u32) -> bool {
        match self {
            Scope::All => true,
            Scope::Organisations(organisations) => {
                organisations.binary_search(&m.assets[a as usize].organisation).is_ok()
            }
        }
    }

    /// Its assets, ascending (what `authority` allows; `scope_tests`).
    #[cfg(test)]
    fn assets(&self, m: &crate::Model) -> Vec<u32> {
        (0..m.assets.len() as u32).filter(|&a| self.contains(m, a)).collect()
    }
}

/// What `team` may act on now: its organisation's assets; a CSIRT's
/// constituency's too (once asked, when the scenario says so); the CERC's
/// every asset once the PIU is active. Exactly the assets for which
/// `authority` gives a path the state allows (`scope_tests`).
fn scope(m: &crate::Model, ex: &Exercise, team: u32, role: TeamRole) -> Scope {
    let org = m.team_organisation[team as usize];
    if role == TeamRole::Cerc && ex.piu.active_since.is_some() {
        return Scope::All;
    }
    let mut organisations = vec![org];
    if role == TeamRole::Csirt {
        organisations.extend(
            m.organisation_constituency[org as usize]
                .iter()
                .copied()
                .filter(|&owner| owner != org && (!needs_request(m) || ex.assistance.contains(&(owner, org)))),
        );
    }
    // `Scope::contains` searches it.
    organisations.sort_unstable();
    organisations.dedup();
    Scope::Organisations(organisations)
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
                    assert_eq!(scope(m, ex, t, team.role).assets(m), expected, "team {} at tick {tick}", team.id);
                }
            }
        }
        // Both conditional paths were taken by then.
        assert!(sim.exercise().piu.active_since.is_some(), "the PIU is active");
        assert!(!sim.exercise().assistance.is_empty(), "CSIRTs were asked for assistance");
    }
}

#[cfg(test)]
mod candidate_tests {
    //! The indexed candidates (compromises gathered once a tick, the CSIRTs
    //! serving an organisation indexed, awareness ranged by organisation)
    //! against the rule as first written, for every team, at every tick of
    //! runs where incidents spread, are detected, isolated and restored.

    use std::sync::Arc;

    use super::*;

    /// The rule as first written (every incident asked about every asset in
    /// scope, every team asked whether it serves the organisation): the reference
    /// the indexed `candidates` must equal.
    fn plain_candidates(ctx: &Ctx, team: u32, role: TeamRole, ripe: u64) -> Vec<Order> {
        let m = ctx.model;
        let ex = &*ctx.ex;
        let org = m.team_organisation[team as usize];
        let r = &m.scenario.response;
        let mut out = Vec::new();
        // The assets it may act on now, in index order: the same set as asking
        // `authority` of every asset, without a pass over the whole country and a
        // search of the constituency per asset (a national country has 100,000s).
        let scope: Vec<u32> = scope(m, ex, team, role).assets(m);
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
        let all_known =
            |a: u32| ex.incidents.iter().all(|s| s.infections.get(&a).is_none_or(|inf| inf.detected.is_some()));
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
                                let media =
                                    m.scenario.organisations[their_org as usize].kind == OrganisationKind::Media;
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
                            && super::super::orders::stage_ready(m, ex, org, o.regime, o.stage, o.incident, ctx.tick)
                                .is_ok()
                    })
                    .filter(|o| ex.awareness.get(&(org, o.incident)).is_some_and(|&a| a <= ripe))
                    .filter_map(|o| {
                        due(m, ex, o)
                            .map(|d| (d, Order::Report { regime: o.regime, stage: o.stage, incident: o.incident }))
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
                if role == TeamRole::Operator && ex.awareness.iter().any(|(&(o, _), &aware)| o == org && aware <= ripe)
                {
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
                            && investigated_long_ago(ex.investigated_at[a as usize], recent, ctx.tick)
                    })
                    .collect();
                suspect.sort_by_key(|&a| (m.assets[a as usize].organisation != org, a));
                out.extend(suspect.into_iter().map(Order::Investigate));
            }
            TeamRole::Regulator | TeamRole::Ministry | TeamRole::Media => {}
        }
        out
    }

    /// Compares both at every tick for every team, with the team's own delay
    /// and with no delay at all (the ripest view).
    fn compare(model: crate::Model, ticks: u64) -> usize {
        let mut sim = crate::Simulation::new(Arc::new(model), 7);
        let mut compared = 0;
        for _ in 0..ticks {
            sim.step();
            let m = sim.model();
            let tick = sim.tick();
            let ex = sim.exercise();
            let known = Known::default();
            let mut ex_copy = ex.clone();
            let (mut integrity, mut physical, mut cyber) =
                (sim.integrity().to_vec(), sim.physical().to_vec(), sim.cyber().to_vec());
            let mut cap = vec![1000; integrity.len()];
            let mut rng = crate::rng::RngStreams::new(0);
            let ctx = Ctx {
                model: m,
                tick,
                ex: &mut ex_copy,
                damage: crate::damage::Damage {
                    integrity: &mut integrity,
                    physical: &mut physical,
                    cyber: &mut cyber,
                    separate: m.physical_damage,
                    written: &mut crate::hash::v2::Written::new(0, 0),
                },
                cap: &mut cap,
                level: sim.levels(),
                rng: &mut rng,
            };
            for (t, team) in m.scenario.teams.iter().enumerate() {
                let BotPolicy::Responsive { delay, .. } = team.bot else { continue };
                for ripe in [tick.saturating_sub(u64::from(delay)), tick] {
                    let t = t as u32;
                    let fast = candidates(&ctx, t, team.role, ripe, &known);
                    let plain = plain_candidates(&ctx, t, team.role, ripe);
                    assert_eq!(fast, plain, "team {} at tick {tick}, ripe {ripe}", team.id);
                    compared += fast.len();
                }
            }
        }
        compared
    }

    #[test]
    fn the_indexed_candidates_are_the_plain_rule_on_luxembourg() {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/luxembourg.ron"));
        let model = crate::load::load_model(path).unwrap();
        assert!(compare(model, 480) > 1000, "the bots had things to do");
    }

    #[test]
    fn the_indexed_candidates_are_the_plain_rule_on_a_synthetic_country() {
        let params = crate::synthetic::country::Params::new(2000, 60, 5);
        let scenario = crate::synthetic::country::scenario(&params).unwrap();
        let model = crate::validate::validate(scenario).unwrap();
        // Far enough for incidents to spread and the PIU to be active.
        assert!(compare(model, 900) > 1000, "the bots had things to do");
    }
}
