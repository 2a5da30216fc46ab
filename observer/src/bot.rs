//! `cascade bot ws://HOST:PORT --token T --policy responsive`: a bot that joins a
//! running exercise as an ordinary client of one team.
//!
//! It sees exactly what the team sees (its `TeamView`) and nothing more: unlike
//! the engine's built-in bots (docs/model.md, *Bots*), it cannot know about
//! undetected compromises, other teams' state, or which indicators it already
//! shared before it started. Its commands are journaled like a human's (so its
//! first one silences the team's built-in bot).
//!
//! Each tick it decides at most one command with [`decide`], a pure function of
//! the view and its [`Memory`]. The responsive policy, in priority order:
//!
//! 1. isolate an own asset with a detected compromise — unless isolating it
//!    costs service (its `isolation_cap` is below 1000) and every compromise
//!    detected on it does no damage (all in its `no_damage`: impact 0, as
//!    espionage), the built-in bots' rule (docs/model.md, *Bots*);
//! 2. restore an isolated asset once an investigation of it has finished since
//!    it was isolated (so its compromises are, as far as the team can tell, all
//!    known — a restore clears only the detected ones);
//! 3. file the open (or overdue) report with the earliest due tick among
//!    those that can be filed now (not waiting for the previous stage or for
//!    its earliest time: `waits_for`, `not_before`);
//! 4. share indicators it holds and has not shared, as TLP 2.0 lets it pass
//!    them on (the engine's rule, docs/model.md): held under TLP:RED they stay;
//!    under TLP:AMBER+STRICT they go to the other teams of its organisation;
//!    under TLP:AMBER also to its constituency's teams (newsrooms aside); its
//!    own findings and TLP:CLEAR/GREEN ones also to the teams named in
//!    messages it received (newsrooms aside) — always under TLP:AMBER at least
//!    and never under a label less restrictive than it got them under;
//! 5. investigate an own asset with cyber damage — integrity below what its
//!    plant allows, so not a burned substation (or isolated and not yet
//!    investigated since) that it has not investigated in the last `recheck`
//!    ticks, the most damaged first.
//!
//! A situation must be at least `delay` ticks old (as the bot saw it) before it
//! acts on it, and it acts on a tick with chance `skill` per mille (its own
//! seeded generator). Asset actions wait for free staff. A command refused on
//! receipt is never sent again (nor, for a share, any share of that incident);
//! one that failed when applied waits 10 ticks,
//! then 20, 40, … (at most 320) before it is tried again; one not yet answered
//! is not repeated. The `passive` policy stays connected and does nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use cascade_engine::exercise::Action;
use cascade_engine::scenario::Tlp;
use cascade_engine::view::TeamView;
use cascade_engine::wire::ServerMessage;

use crate::client::{Client, ClientConfig, ClientEvent, Connection, default_client_id};
use crate::command::describe;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Passive,
    Responsive,
}

impl std::str::FromStr for Policy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "passive" => Ok(Policy::Passive),
            "responsive" => Ok(Policy::Responsive),
            other => Err(format!("unknown policy {other:?} (passive or responsive)")),
        }
    }
}

/// The responsive policy's knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Ticks a situation must have been visible before the bot acts on it.
    pub delay: u64,
    /// Chance per mille of acting on a tick.
    pub skill: u16,
    /// Ticks before an asset is investigated again.
    pub recheck: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self { delay: 0, skill: 1000, recheck: 60 }
    }
}

/// Ticks a command waits for its answer before it may be sent again anyway
/// (an answer lost with a dropped connection).
const ANSWER_TICKS: u64 = 10;
/// The first wait after a command failed when applied (it doubles per failure).
const RETRY_TICKS: u64 = 10;
const MAX_RETRY_TICKS: u64 = 320;

/// Why a command may not be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// Refused on receipt: it would be refused again.
    Forever,
    /// Until this tick (sent and unanswered, or failed `failures` times).
    Until { tick: u64, failures: u32 },
}

/// What the bot remembers between ticks. Only `observe`, `sent` and `answer`
/// change it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    /// The tick each current situation was first seen (keys like
    /// `compromised:ASSET`, `isolated:ASSET`, `deadline:R/S/I`, `indicators:I`,
    /// `degraded:ASSET`); a situation that ends is forgotten.
    pub first_seen: BTreeMap<String, u64>,
    /// Asset → the tick the bot last sent an investigation of it.
    pub investigated: BTreeMap<String, u64>,
    /// Asset → the tick its last investigation finished (seen leaving `pending`).
    pub investigation_done: BTreeMap<String, u64>,
    /// Assets with an investigation in `pending` at the last view.
    running_investigations: BTreeSet<String>,
    /// Incidents whose indicators the bot has shared.
    pub shared: BTreeSet<String>,
    /// Other teams named in messages received.
    pub teams: BTreeSet<String>,
    /// The team directory, from the last view that carried it (snapshots do,
    /// tick frames do not).
    pub directory: Vec<cascade_engine::view::DirectoryEntry>,
    /// Commands (as their JSON) that may not be sent now.
    pub blocked: BTreeMap<String, Block>,
    /// seq → the command sent with it, until answered.
    pub in_flight: HashMap<u64, Action>,
    /// The last tick seen.
    pub tick: u64,
}

fn key(action: &Action) -> String {
    serde_json::to_string(action).expect("actions serialise")
}

impl Memory {
    /// Takes in a view (before `decide`).
    pub fn observe(&mut self, view: &TeamView) {
        self.tick = view.tick;
        let mut now = BTreeSet::new();
        for a in &view.assets {
            if !a.compromised.is_empty() && !a.isolated {
                now.insert(format!("compromised:{}", a.id));
            }
            if a.isolated {
                now.insert(format!("isolated:{}", a.id));
            }
            if cyber_damage(a) {
                now.insert(format!("degraded:{}", a.id));
            }
        }
        for d in &view.deadlines {
            if d.filed.is_none() {
                now.insert(format!("deadline:{}/{}/{}", d.regime, d.stage, d.incident));
            }
        }
        for i in &view.indicators {
            now.insert(format!("indicators:{i}"));
        }
        self.first_seen.retain(|k, _| now.contains(k));
        for k in now {
            self.first_seen.entry(k).or_insert(view.tick);
        }
        let running: BTreeSet<String> = view
            .pending
            .iter()
            .filter_map(|p| match &p.command {
                Action::Investigate { asset } => Some(asset.clone()),
                _ => None,
            })
            .collect();
        for done in self.running_investigations.difference(&running) {
            self.investigation_done.insert(done.clone(), view.tick);
        }
        self.running_investigations = running;
        for m in &view.messages {
            self.teams.extend(m.sender_team.iter().cloned());
            self.teams.extend(m.to.iter().cloned());
        }
        self.teams.remove(&view.team);
        if !view.directory.is_empty() {
            self.directory = view.directory.clone();
        }
    }

    /// Records a command sent with `seq` at the current tick.
    pub fn sent(&mut self, seq: u64, action: &Action) {
        match action {
            Action::Investigate { asset } => {
                self.investigated.insert(asset.clone(), self.tick);
            }
            Action::Share { incident: Some(i), .. } => {
                self.shared.insert(i.clone());
            }
            _ => {}
        }
        let failures = match self.blocked.get(&key(action)) {
            Some(Block::Until { failures, .. }) => *failures,
            _ => 0,
        };
        self.blocked.insert(key(action), Block::Until { tick: self.tick + ANSWER_TICKS, failures });
        self.in_flight.insert(seq, action.clone());
    }

    /// Takes in an answer (`reject` or `outcome`; other frames are ignored).
    pub fn answer(&mut self, frame: &ServerMessage) {
        let (seq, ok, forever) = match frame {
            ServerMessage::Reject { seq, .. } => (*seq, false, true),
            ServerMessage::Outcome { seq, ok, .. } => (*seq, *ok, false),
            _ => return,
        };
        let Some(action) = self.in_flight.remove(&seq) else { return };
        let k = key(&action);
        if ok {
            self.blocked.remove(&k);
            return;
        }
        // Let the memory that stood for "done" go, so the block alone decides
        // (a share refused on receipt stays "done": another share of the same
        // incident, to other teams, would be refused again).
        match &action {
            Action::Investigate { asset } => {
                self.investigated.remove(asset);
            }
            Action::Share { incident: Some(i), .. } if !forever => {
                self.shared.remove(i);
            }
            _ => {}
        }
        let block = if forever {
            Block::Forever
        } else {
            let failures = match self.blocked.get(&k) {
                Some(Block::Until { failures, .. }) => failures + 1,
                _ => 1,
            };
            let wait = (RETRY_TICKS << (failures - 1).min(10)).min(MAX_RETRY_TICKS);
            Block::Until { tick: self.tick + wait, failures }
        };
        self.blocked.insert(k, block);
    }

    fn allowed(&self, action: &Action, tick: u64) -> bool {
        match self.blocked.get(&key(action)) {
            None => true,
            Some(Block::Forever) => false,
            Some(Block::Until { tick: until, .. }) => tick >= *until,
        }
    }

    fn ripe(&self, situation: &str, tick: u64, delay: u64) -> bool {
        self.first_seen.get(situation).is_some_and(|&seen| seen + delay <= tick)
    }
}

/// To whom and under which label the team may pass on indicators it holds
/// (`None`: to nobody). The engine's onward-sharing rule, so that the host
/// never has to refuse it (`tlp_forbids`): RED stays; AMBER+STRICT within the
/// organisation; AMBER also to the organisation's constituency; the team's
/// own findings and CLEAR/GREEN ones also to the teams it has heard from.
/// Newsrooms only ever get indicators when named by a person.
fn share_of(view: &TeamView, memory: &Memory, held: &cascade_engine::view::HeldView) -> Option<(Vec<String>, Tlp)> {
    use cascade_engine::scenario::OrganisationKind;
    let me = memory.directory.iter().find(|d| d.id == view.team)?;
    let others = || memory.directory.iter().filter(|d| d.id != view.team);
    let colleagues = || others().filter(|d| d.organisation == me.organisation);
    let clients = || {
        others().filter(|d| me.constituency.contains(&d.organisation) && d.organisation_kind != OrganisationKind::Media)
    };
    let heard = || others().filter(|d| memory.teams.contains(&d.id) && d.organisation_kind != OrganisationKind::Media);
    let to: BTreeSet<&str> = match held.tlp {
        Tlp::Red => return None,
        Tlp::AmberStrict => colleagues().map(|d| d.id.as_str()).collect(),
        Tlp::Amber => colleagues().chain(clients()).map(|d| d.id.as_str()).collect(),
        Tlp::Green | Tlp::Clear => colleagues().chain(clients()).chain(heard()).map(|d| d.id.as_str()).collect(),
    };
    (!to.is_empty()).then(|| (to.into_iter().map(str::to_string).collect(), held.tlp.max(Tlp::Amber)))
}

/// Whether attackers may explain the asset's damage: its integrity is below
/// what its plant allows. A burned substation (integrity equal to its physical
/// state) is no sign of compromise, as for the built-in bots.
fn cyber_damage(asset: &cascade_engine::view::AssetView) -> bool {
    asset.integrity < asset.physical
}

/// Whether isolating `asset` is worth the service it costs (the built-in bots'
/// rule, docs/model.md, *Bots*): always when it costs none (`isolation_cap`
/// 1000); otherwise only against a detected compromise that does damage —
/// a bot does not black out a town to stop a spy.
fn worth_isolating(asset: &cascade_engine::view::AssetView) -> bool {
    asset.isolation_cap >= 1000 || asset.compromised.iter().any(|i| !asset.no_damage.contains(i))
}

/// The one command to give now, if any: a pure function of the view and the
/// memory (call `Memory::observe` with the view first).
pub fn decide(view: &TeamView, memory: &Memory, params: &Params) -> Option<Action> {
    let tick = view.tick;
    let ripe = |s: String| memory.ripe(&s, tick, params.delay);
    let ok = |a: &Action| memory.allowed(a, tick) && !view.pending.iter().any(|p| p.command == *a);
    let staff_free = view.staff > view.busy;
    let running = |f: &dyn Fn(&Action) -> bool| view.pending.iter().any(|p| f(&p.command));

    if staff_free {
        // 1. Isolate detected compromises that do damage, or any when isolating is free.
        for a in view.assets.iter().filter(|a| worth_isolating(a)) {
            let action = Action::Isolate { asset: a.id.clone() };
            if !a.isolated && !a.compromised.is_empty() && ripe(format!("compromised:{}", a.id)) && ok(&action) {
                return Some(action);
            }
        }
        // 2. Restore isolated assets investigated since their isolation.
        for a in &view.assets {
            let action = Action::Restore { asset: a.id.clone() };
            let isolated_at = memory.first_seen.get(&format!("isolated:{}", a.id));
            let checked = match (isolated_at, memory.investigation_done.get(&a.id)) {
                (Some(isolated), Some(done)) => done >= isolated,
                _ => false,
            };
            let investigating = running(&|c| matches!(c, Action::Investigate { asset } if *asset == a.id));
            if a.isolated && checked && !investigating && ripe(format!("isolated:{}", a.id)) && ok(&action) {
                return Some(action);
            }
        }
    }
    // 3. File the report due first.
    let mut owed: Vec<_> = view
        .deadlines
        .iter()
        .filter(|d| d.can_file() && (d.status == "open" || d.status == "overdue"))
        .filter_map(|d| d.due.map(|due| (due, d)))
        .collect();
    owed.sort_by_key(|(due, _)| *due);
    for (_, d) in owed {
        let action = Action::Report { regime: d.regime.clone(), stage: d.stage.clone(), incident: d.incident.clone() };
        if ripe(format!("deadline:{}/{}/{}", d.regime, d.stage, d.incident)) && ok(&action) {
            return Some(action);
        }
    }
    // 4. Share indicators as TLP 2.0 lets it pass them on.
    for held in &view.held {
        let Some((to, tlp)) = share_of(view, memory, held) else { continue };
        let i = &held.incident;
        let action = Action::Share {
            to,
            tlp,
            incident: Some(i.clone()),
            text: format!("Indicators of {i} from {}.", view.team),
        };
        if !memory.shared.contains(i) && ripe(format!("indicators:{i}")) && ok(&action) {
            return Some(action);
        }
    }
    // 5. Investigate assets with cyber damage, the most damaged first.
    if staff_free {
        let mut candidates: Vec<_> = view.assets.iter().enumerate().collect();
        candidates.sort_by_key(|(i, a)| (a.integrity, *i));
        for (_, a) in candidates {
            let action = Action::Investigate { asset: a.id.clone() };
            let recently = memory.investigated.get(&a.id).is_some_and(|&t| t + params.recheck > tick);
            let damaged = cyber_damage(a) && ripe(format!("degraded:{}", a.id));
            let unchecked_isolation = a.isolated
                && memory
                    .first_seen
                    .get(&format!("isolated:{}", a.id))
                    .is_some_and(|isolated| memory.investigation_done.get(&a.id).is_none_or(|done| done < isolated));
            if (damaged || unchecked_isolation) && !recently && ok(&action) {
                return Some(action);
            }
        }
    }
    None
}

/// A small seeded generator for the skill roll (SplitMix64).
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with chance `per_mille` / 1000 (one draw each call).
    pub fn chance(&mut self, per_mille: u16) -> bool {
        ((self.next_u64() >> 32) * 1000) >> 32 < u64::from(per_mille)
    }
}

/// `cascade bot`'s settings.
#[derive(Debug, Clone)]
pub struct BotConfig {
    pub url: String,
    pub token: String,
    /// Default `bot-<hostname>-<pid>`.
    pub client: Option<String>,
    pub policy: Policy,
    pub params: Params,
    pub seed: u64,
    /// Consecutive failed reconnection attempts before giving up.
    pub retries: u32,
    /// For wss://: the certificates to trust.
    pub trust: crate::tls::Trust,
}

/// Runs the bot until the connection is gone for good, the exercise ends, or
/// Ctrl-C. `Ok` once it had joined; `Err` if it never could.
pub fn run_bot(config: BotConfig) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(run(config))
}

fn log(text: String) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

async fn run(config: BotConfig) -> Result<(), String> {
    let client_id = config.client.clone().unwrap_or_else(|| default_client_id("bot"));
    let mut client_config = ClientConfig::new(&config.url, &config.token, client_id.clone());
    client_config.trust = config.trust.clone();
    client_config.max_retries = Some(config.retries);
    let (mut client, mut events) = Client::spawn(client_config);
    let mut memory = Memory::default();
    let mut held: Option<TeamView> = None;
    let mut dice = Dice::new(config.seed);
    let mut joined = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let policy = match config.policy {
        Policy::Passive => "passive",
        Policy::Responsive => "responsive",
    };
    log(format!("bot {client_id} ({policy}) connecting to {}", config.url));
    let closed = loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = &mut ctrl_c => {
                log("interrupted: closing".to_string());
                break None;
            }
        };
        let Some(event) = event else { break Some("the connection task ended".to_string()) };
        match event {
            ClientEvent::Connection(Connection::Closed { reason }) => break Some(reason),
            ClientEvent::Connection(Connection::Lost { reason, retry_in }) => {
                log(format!("connection lost ({reason}); retrying in {:.1}s", retry_in.as_secs_f32()));
            }
            ClientEvent::Connection(_) => {}
            ClientEvent::Frame(frame) => match frame {
                ServerMessage::Welcome { team, role, tick, scenario, .. } => {
                    joined = true;
                    log(format!("joined {scenario:?} as {team} ({role}) at tick {tick}"));
                }
                ServerMessage::Snapshot(_) | ServerMessage::Tick(_) => {
                    // A tick frame is a delta: applied to the view held (the
                    // snapshot always comes first).
                    match frame {
                        ServerMessage::Snapshot(view) => held = Some(*view),
                        ServerMessage::Tick(delta) => {
                            if let Some(view) = held.as_mut() {
                                delta.apply(view);
                            }
                        }
                        _ => {}
                    }
                    let Some(view) = held.as_ref() else { continue };
                    memory.observe(view);
                    if config.policy == Policy::Responsive
                        && dice.chance(config.params.skill)
                        && let Some(action) = decide(view, &memory, &config.params)
                    {
                        let seq = client.send(&action);
                        memory.sent(seq, &action);
                        log(format!("t{} send #{seq} {}", view.tick, describe(&action)));
                    }
                }
                ServerMessage::Clock { ended: true, tick, .. } => {
                    log(format!("the exercise ended at tick {tick}"));
                    break None;
                }
                ServerMessage::Reject { seq, ref code, ref message } => {
                    log(format!("#{seq} refused ({code}): {message}"));
                    memory.answer(&frame);
                }
                ServerMessage::Outcome { seq, tick, ok, ref code, ref message } => {
                    if ok {
                        log(format!("t{tick} #{seq} applied"));
                    } else {
                        log(format!("t{tick} #{seq} failed ({code}): {message}"));
                    }
                    memory.answer(&frame);
                }
                ServerMessage::Error { code, message } => log(format!("server error {code}: {message}")),
                _ => {}
            },
        }
    };
    client.close();
    // Let the close frame go out (bounded).
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(event) = events.recv().await {
            if matches!(event, ClientEvent::Connection(Connection::Closed { .. })) {
                break;
            }
        }
    })
    .await;
    match closed {
        Some(reason) if !joined => Err(format!("cannot join {}: {reason}", config.url)),
        Some(reason) => {
            log(format!("disconnected: {reason}"));
            Ok(())
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{asset, message, sample_view};
    use cascade_engine::view::{DeadlineView, PendingView};

    fn quiet_view() -> TeamView {
        let mut v = sample_view();
        v.assets = vec![asset("a1", 1000, 1000), asset("a2", 1000, 1000)];
        v.messages.clear();
        v.pending.clear();
        v.deadlines.clear();
        v.indicators.clear();
        v.held.clear();
        v
    }

    fn step(view: &TeamView, memory: &mut Memory, params: &Params) -> Option<Action> {
        memory.observe(view);
        decide(view, memory, params)
    }

    #[test]
    fn a_quiet_team_does_nothing() {
        let v = quiet_view();
        let mut m = Memory::default();
        assert_eq!(step(&v, &mut m, &Params::default()), None);
    }

    #[test]
    fn isolates_a_detected_compromise_first() {
        let mut v = quiet_view();
        v.assets[1].compromised = vec!["ransom-x".into()];
        v.assets[1].integrity = 700;
        v.deadlines.push(deadline("nis2", "early-warning", 100));
        let mut m = Memory::default();
        let p = Params::default();
        assert_eq!(step(&v, &mut m, &p), Some(Action::Isolate { asset: "a2".into() }));
        // Sent and unanswered: not repeated; the next thing is the report.
        m.sent(1, &Action::Isolate { asset: "a2".into() });
        assert_eq!(step(&v, &mut m, &p), Some(report("nis2", "early-warning")));
        // Once running (in pending), still not repeated.
        m.answer(&ServerMessage::Outcome { seq: 1, tick: 47, ok: true, code: "ok".into(), message: "".into() });
        v.pending.push(pending(Action::Isolate { asset: "a2".into() }));
        assert_eq!(step(&v, &mut m, &p), Some(report("nis2", "early-warning")));
    }

    #[test]
    fn does_not_isolate_a_compromise_that_does_no_damage_when_isolating_costs_service() {
        let mut v = quiet_view();
        let p = Params::default();
        // A spy (impact 0) on an asset whose isolation caps it at 30%: left running.
        v.assets[0].compromised = vec!["spy".into()];
        v.assets[0].no_damage = vec!["spy".into()];
        v.assets[0].isolation_cap = 300;
        assert_eq!(step(&v, &mut Memory::default(), &p), None);
        // The same spy where isolating costs nothing: isolated.
        v.assets[0].isolation_cap = 1000;
        assert_eq!(step(&v, &mut Memory::default(), &p), Some(Action::Isolate { asset: "a1".into() }));
        // Impact > 0 (not in no_damage): isolated, whatever it costs.
        v.assets[0].isolation_cap = 0;
        v.assets[0].compromised = vec!["ransom-x".into()];
        v.assets[0].no_damage.clear();
        assert_eq!(step(&v, &mut Memory::default(), &p), Some(Action::Isolate { asset: "a1".into() }));
        // A spy and a ransomware on it: the ransomware is worth the cost.
        v.assets[0].compromised = vec!["spy".into(), "ransom-x".into()];
        v.assets[0].no_damage = vec!["spy".into()];
        assert_eq!(step(&v, &mut Memory::default(), &p), Some(Action::Isolate { asset: "a1".into() }));
        // The spy's asset left running does not hold up the next isolation.
        v.assets[0].compromised = vec!["spy".into()];
        v.assets[1].compromised = vec!["ransom-x".into()];
        assert_eq!(step(&v, &mut Memory::default(), &p), Some(Action::Isolate { asset: "a2".into() }));
    }

    #[test]
    fn files_only_the_reports_that_can_be_filed_now() {
        let mut v = quiet_view();
        let p = Params::default();
        let mut notification = deadline("nis2", "notification", 100);
        notification.waits_for = Some("early-warning".into());
        let mut final_report = deadline("nis2", "final-report", 200);
        final_report.not_before = Some(20_000);
        final_report.or_contained = true;
        v.deadlines = vec![notification, final_report];
        // Neither can be filed: nothing to do (no report refused, no back-off).
        assert_eq!(step(&v, &mut Memory::default(), &p), None);
        // With the early warning owed too, that one, though due later than the notification.
        v.deadlines.push(deadline("nis2", "early-warning", 150));
        assert_eq!(step(&v, &mut Memory::default(), &p), Some(report("nis2", "early-warning")));
        // Once the final report may be filed (contained), it goes.
        v.deadlines.pop();
        v.deadlines[1].not_before = None;
        v.deadlines[1].or_contained = false;
        assert_eq!(step(&v, &mut Memory::default(), &p), Some(report("nis2", "final-report")));
    }

    #[test]
    fn the_delay_waits_for_situations_to_age() {
        let mut v = quiet_view();
        v.assets[0].compromised = vec!["ransom-x".into()];
        let mut m = Memory::default();
        let p = Params { delay: 5, ..Params::default() };
        assert_eq!(step(&v, &mut m, &p), None);
        v.tick += 4;
        assert_eq!(step(&v, &mut m, &p), None);
        v.tick += 1;
        assert_eq!(step(&v, &mut m, &p), Some(Action::Isolate { asset: "a1".into() }));
    }

    #[test]
    fn no_asset_actions_without_free_staff() {
        let mut v = quiet_view();
        v.assets[0].compromised = vec!["ransom-x".into()];
        v.busy = v.staff;
        let mut m = Memory::default();
        assert_eq!(step(&v, &mut m, &Params::default()), None);
        v.deadlines.push(deadline("nis2", "early-warning", 100));
        assert_eq!(step(&v, &mut m, &Params::default()), Some(report("nis2", "early-warning")));
    }

    #[test]
    fn restores_only_after_an_investigation_since_isolation() {
        let mut v = quiet_view();
        v.assets[0].isolated = true;
        v.assets[0].compromised = vec!["ransom-x".into()];
        v.assets[0].integrity = 600;
        let mut m = Memory::default();
        let p = Params::default();
        // Isolated but not checked since: investigate it.
        assert_eq!(step(&v, &mut m, &p), Some(Action::Investigate { asset: "a1".into() }));
        m.sent(1, &Action::Investigate { asset: "a1".into() });
        m.answer(&ServerMessage::Outcome { seq: 1, tick: 48, ok: true, code: "ok".into(), message: "".into() });
        v.tick = 48;
        v.pending.push(pending(Action::Investigate { asset: "a1".into() }));
        assert_eq!(step(&v, &mut m, &p), None);
        // The investigation lands: restore.
        v.tick = 78;
        v.pending.clear();
        assert_eq!(step(&v, &mut m, &p), Some(Action::Restore { asset: "a1".into() }));
    }

    #[test]
    fn files_the_report_due_first() {
        let mut v = quiet_view();
        v.deadlines.push(deadline("nis2", "notification", 4000));
        v.deadlines.push(deadline("nis2", "early-warning", 1440));
        let mut filed = deadline("gdpr", "breach-notification", 10);
        filed.filed = Some(12);
        filed.status = "late".into();
        v.deadlines.push(filed);
        let mut not_due = deadline("dora", "initial-notification", 0);
        not_due.due = None;
        v.deadlines.push(not_due);
        let mut m = Memory::default();
        assert_eq!(step(&v, &mut m, &Params::default()), Some(report("nis2", "early-warning")));
    }

    /// `quiet_view` holding the indicators of `ransom-x` under `tlp`.
    fn holding(tlp: Tlp) -> TeamView {
        let mut v = quiet_view();
        let mut held = sample_view().held.remove(0);
        held.tlp = tlp;
        v.indicators = vec![held.incident.clone()];
        v.held = vec![held];
        v
    }

    #[test]
    fn shares_its_own_findings_with_teams_it_heard_of_once() {
        let mut v = holding(Tlp::Clear);
        let mut m = Memory::default();
        let p = Params::default();
        // Nobody to share with yet.
        assert_eq!(step(&v, &mut m, &p), None);
        v.messages = vec![message(3, 40, "GOVCERT", Some("govcert"), Tlp::Green, "hello")];
        let share = step(&v, &mut m, &p).unwrap();
        assert!(
            matches!(&share, Action::Share { to, tlp: Tlp::Amber, incident: Some(i), .. }
            if *to == vec!["govcert".to_string()] && i == "ransom-x"),
            "{share:?}"
        );
        m.sent(2, &share);
        v.messages.clear();
        v.tick += 1;
        assert_eq!(step(&v, &mut m, &p), None);
        // Its own team is never a recipient.
        assert!(!m.teams.contains("chem-ops"));
    }

    #[test]
    fn shares_only_as_the_label_it_holds_them_under_allows() {
        use cascade_engine::scenario::OrganisationKind;
        let p = Params::default();
        let heard = |v: &mut TeamView| v.messages = vec![message(3, 40, "GOVCERT", Some("govcert"), Tlp::Green, "hi")];
        // RED: never, however many teams it has heard of.
        let mut v = holding(Tlp::Red);
        heard(&mut v);
        assert_eq!(step(&v, &mut Memory::default(), &p), None);
        // AMBER+STRICT: its own organisation only (here nobody else).
        let mut v = holding(Tlp::AmberStrict);
        heard(&mut v);
        assert_eq!(step(&v, &mut Memory::default(), &p), None);
        // AMBER: its constituency (the newsroom in it aside), not who it heard of.
        let mut v = holding(Tlp::Amber);
        heard(&mut v);
        let me = v.directory.iter_mut().find(|d| d.id == "chem-ops").unwrap();
        me.constituency = vec!["post".into(), "rtl".into()];
        let mut newsroom = v.directory.iter().find(|d| d.id == "post-ops").unwrap().clone();
        newsroom.id = "rtl-news".into();
        newsroom.organisation = "rtl".into();
        newsroom.organisation_kind = OrganisationKind::Media;
        v.directory.push(newsroom);
        let share = step(&v, &mut Memory::default(), &p).unwrap();
        assert!(
            matches!(&share, Action::Share { to, tlp: Tlp::Amber, .. } if *to == vec!["post-ops".to_string()]),
            "{share:?}"
        );
        // Refused on receipt: no other share of that incident, ever.
        let mut m = Memory::default();
        let share = step(&v, &mut m, &p).unwrap();
        m.sent(9, &share);
        m.answer(&ServerMessage::Reject { seq: 9, code: "indicators_not_held".into(), message: String::new() });
        v.directory.push(crate::testing::sample_view().directory.remove(2));
        let client = v.directory.last_mut().unwrap();
        client.id = "post-soc".into();
        client.organisation = "post".into();
        v.tick += 1000;
        assert_eq!(step(&v, &mut m, &p), None, "another recipient list is not another chance");
    }

    #[test]
    fn investigates_damaged_assets_then_waits_recheck_ticks() {
        let mut v = quiet_view();
        v.assets[0].integrity = 900;
        v.assets[1].integrity = 500;
        let mut m = Memory::default();
        let p = Params { recheck: 60, ..Params::default() };
        assert_eq!(step(&v, &mut m, &p), Some(Action::Investigate { asset: "a2".into() }));
        m.sent(1, &Action::Investigate { asset: "a2".into() });
        assert_eq!(step(&v, &mut m, &p), Some(Action::Investigate { asset: "a1".into() }));
        m.sent(2, &Action::Investigate { asset: "a1".into() });
        m.answer(&ServerMessage::Outcome { seq: 1, tick: 48, ok: true, code: "ok".into(), message: "".into() });
        m.answer(&ServerMessage::Outcome { seq: 2, tick: 48, ok: true, code: "ok".into(), message: "".into() });
        v.tick = 47 + 59;
        assert_eq!(step(&v, &mut m, &p), None);
        v.tick = 47 + 60;
        assert_eq!(step(&v, &mut m, &p), Some(Action::Investigate { asset: "a2".into() }));
    }

    #[test]
    fn physical_damage_alone_is_not_investigated() {
        let mut v = quiet_view();
        // A burned plant: integrity is what the plant allows.
        v.assets[0].integrity = 0;
        v.assets[0].physical = 0;
        let mut m = Memory::default();
        let p = Params::default();
        assert_eq!(step(&v, &mut m, &p), None);
        // Attackers on top of a half-burned plant: worth a look.
        v.assets[1].physical = 600;
        v.assets[1].integrity = 400;
        assert_eq!(step(&v, &mut m, &p), Some(Action::Investigate { asset: "a2".into() }));
    }

    #[test]
    fn refused_commands_are_not_repeated_and_failed_ones_back_off() {
        let mut v = quiet_view();
        v.assets[0].compromised = vec!["ransom-x".into()];
        v.deadlines.push(deadline("nis2", "early-warning", 100));
        let mut m = Memory::default();
        let p = Params::default();
        let isolate = Action::Isolate { asset: "a1".into() };
        assert_eq!(step(&v, &mut m, &p), Some(isolate.clone()));
        m.sent(1, &isolate);
        m.answer(&ServerMessage::Reject { seq: 1, code: "not_your_asset".into(), message: "".into() });
        v.tick += 1000;
        assert_eq!(step(&v, &mut m, &p), Some(report("nis2", "early-warning")));
        m.sent(2, &report("nis2", "early-warning"));
        m.answer(&ServerMessage::Outcome {
            seq: 2,
            tick: v.tick,
            ok: false,
            code: "no_staff".into(),
            message: "".into(),
        });
        let t0 = v.tick;
        v.tick = t0 + 9;
        assert_eq!(step(&v, &mut m, &p), None);
        v.tick = t0 + 10;
        assert_eq!(step(&v, &mut m, &p), Some(report("nis2", "early-warning")));
        // A second failure waits twice as long.
        m.sent(3, &report("nis2", "early-warning"));
        m.answer(&ServerMessage::Outcome { seq: 3, tick: v.tick, ok: false, code: "x".into(), message: "".into() });
        let t1 = v.tick;
        v.tick = t1 + 19;
        assert_eq!(step(&v, &mut m, &p), None);
        v.tick = t1 + 20;
        assert!(step(&v, &mut m, &p).is_some());
        // Unanswered commands may go again after a while (a lost answer).
        m.sent(4, &report("nis2", "early-warning"));
        v.tick += ANSWER_TICKS - 1;
        assert_eq!(step(&v, &mut m, &p), None);
        v.tick += 1;
        assert!(step(&v, &mut m, &p).is_some());
        // Answers for unknown seqs change nothing.
        let before = m.clone();
        m.answer(&ServerMessage::Reject { seq: 999, code: "x".into(), message: "".into() });
        assert_eq!(m, before);
    }

    #[test]
    fn dice_are_seeded_and_fair_enough() {
        let mut a = Dice::new(7);
        let mut b = Dice::new(7);
        let rolls: Vec<bool> = (0..1000).map(|_| a.chance(300)).collect();
        assert_eq!(rolls, (0..1000).map(|_| b.chance(300)).collect::<Vec<_>>());
        let hits = rolls.iter().filter(|r| **r).count();
        assert!((200..400).contains(&hits), "{hits}");
        assert!((0..100).all(|_| a.chance(1000)));
        assert!((0..100).all(|_| !a.chance(0)));
    }

    #[test]
    fn policies_parse() {
        assert_eq!("responsive".parse::<Policy>(), Ok(Policy::Responsive));
        assert_eq!("Passive".parse::<Policy>(), Ok(Policy::Passive));
        assert!("eager".parse::<Policy>().is_err());
    }

    fn deadline(regime: &str, stage: &str, due: u64) -> DeadlineView {
        DeadlineView {
            organisation: "chem".into(),
            regime: regime.into(),
            stage: stage.into(),
            incident: "ransom-x".into(),
            authority: "ilr".into(),
            due: Some(due),
            due_clock: None,
            filed: None,
            filed_clock: None,
            status: "open".into(),
            waits_for: None,
            not_before: None,
            not_before_clock: None,
            or_contained: false,
        }
    }

    fn report(regime: &str, stage: &str) -> Action {
        Action::Report { regime: regime.into(), stage: stage.into(), incident: "ransom-x".into() }
    }

    fn pending(command: Action) -> PendingView {
        PendingView {
            team: "chem-ops".into(),
            command,
            started: 47,
            finish: 52,
            finish_clock: "08:52".into(),
            staff: 1,
        }
    }
}
