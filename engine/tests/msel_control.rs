//! The MSEL in the director's hands (docs/model.md, "The MSEL in the
//! director's hands"): fire now, hold, release, skip, and a live inject sent
//! in an entry's place — each worked out by hand on a two-inject scenario, with
//! the refusals, the director's view and the state hash.
//!
//! Timing (DESIGN §2): a command given at tick t applies in step 1 of t, before
//! the injects of step 2; so an inject fired by hand at t is delivered at t,
//! and one released at t whose time passed fires in step 2 of t.

use std::path::Path;
use std::sync::Arc;

use cascade_engine::exercise::command::{DIRECTOR_TEAM, LiveInject, MselOp};
use cascade_engine::exercise::state::{InjectControl, MessageKind};
use cascade_engine::exercise::{Action, Command, Refusal};
use cascade_engine::view::{FiredBy, MselStatus, director_view};
use cascade_engine::{Simulation, parse_model};

/// One-minute ticks; `journalist` at tick 45 to the CSIRT, `piu-call` when the
/// PIU is active.
const SCENARIO: &str = r#"
Scenario(
    name: "MSEL control test",
    duration_ticks: 200,
    start: "2026-03-10T08:00",
    time_zone: "UTC",
    sectors: [Sector(id: "health")],
    organisations: [
        Organisation(id: "chem", kind: Operator, sector: "health"),
        Organisation(id: "csirt", kind: Csirt),
        Organisation(id: "hcpn", kind: CrisisCell),
    ],
    assets: [Asset(id: "chem-it", organisation: "chem", sector: "health", population: 1000)],
    teams: [
        Team(id: "csirt", organisation: "csirt", role: Csirt),
        Team(id: "chem-ops", organisation: "chem", role: Operator),
        Team(id: "crisis", organisation: "hcpn", role: CrisisCell),
    ],
    injects: [
        Inject(id: "journalist", at: 45, from: "RTL", to: ["csirt"], method: Phone,
               message: "JOURNALIST-CALL", expected_action: "Holding statement."),
        Inject(id: "piu-call", when: PiuActive, to: ["crisis"], message: "PIU-CALL"),
    ],
)
"#;

struct Run {
    sim: Simulation,
}

fn msel(inject: &str, op: MselOp) -> Action {
    Action::Msel { inject: inject.into(), op }
}

impl Run {
    fn new() -> Self {
        let model = parse_model(SCENARIO.as_bytes(), Path::new("msel-control.ron")).unwrap_or_else(|e| panic!("{e}"));
        Self { sim: Simulation::new(Arc::new(model), 7) }
    }

    /// Steps to `tick - 1`, then applies the director's `actions` at `tick`.
    fn at(&mut self, tick: u64, actions: Vec<Action>) -> Vec<Result<(), Refusal>> {
        self.to(tick - 1);
        let commands =
            actions.into_iter().map(|action| Command { team: DIRECTOR_TEAM, action, origin: None }).collect();
        self.sim.step_with(commands).into_iter().map(|o| o.result).collect()
    }

    fn ok(&mut self, tick: u64, action: Action) {
        assert_eq!(self.at(tick, vec![action]), [Ok(())]);
    }

    fn fails(&mut self, tick: u64, action: Action) -> &'static str {
        match self.at(tick, vec![action]).remove(0) {
            Err(refusal) => refusal.code,
            Ok(()) => panic!("expected a refusal"),
        }
    }

    fn to(&mut self, tick: u64) {
        while self.sim.tick() < tick {
            self.sim.step();
        }
    }

    /// The ticks at which `text` was delivered.
    fn delivered(&self, text: &str) -> Vec<u64> {
        self.sim.exercise().messages.iter().filter(|m| m.text == text).map(|m| m.tick).collect()
    }
}

#[test]
fn fire_now_delivers_at_once_and_consumes_the_scheduled_firing() {
    let mut r = Run::new();
    r.ok(10, msel("journalist", MselOp::Fire));
    r.to(60);
    // Once, at 10, as the MSEL's inject (kind, sender and recipients its own).
    assert_eq!(r.delivered("JOURNALIST-CALL"), [10]);
    let m = r.sim.exercise().messages.iter().find(|m| m.text == "JOURNALIST-CALL").unwrap();
    assert_eq!((m.kind, m.from.as_str(), m.to.clone()), (MessageKind::Inject, "RTL", vec![0]));
    assert_eq!(r.sim.exercise().inject_fired[0], Some(10));
    assert_eq!(r.sim.exercise().inject_control[0], InjectControl::FiredByHand);
    let view = director_view(&r.sim, 0);
    assert_eq!(
        (view.msel[0].status, view.msel[0].since, view.msel[0].how),
        (MselStatus::Fired, Some(10), Some(FiredBy::Director))
    );
    assert_eq!(view.msel[0].since_time, "08:10");
    // A fired inject takes no more orders.
    for op in [MselOp::Fire, MselOp::Hold, MselOp::Skip, MselOp::Release] {
        assert_eq!(r.fails(61, msel("journalist", op)), "inject_fired", "{op:?}");
    }
}

#[test]
fn a_conditional_inject_fires_by_hand_before_its_condition() {
    let mut r = Run::new();
    r.ok(5, msel("piu-call", MselOp::Fire));
    r.ok(6, Action::Inject(LiveInject { message: "unrelated".into(), ..live("") }));
    r.to(20);
    assert_eq!(r.delivered("PIU-CALL"), [5]);
}

#[test]
fn held_past_its_time_it_fires_at_the_release() {
    let mut r = Run::new();
    r.ok(40, msel("journalist", MselOp::Hold));
    r.to(46);
    assert!(r.delivered("JOURNALIST-CALL").is_empty(), "held at its time: nothing");
    let view = director_view(&r.sim, 0);
    assert_eq!((view.msel[0].status, view.msel[0].since), (MselStatus::Held, Some(40)));
    assert_eq!(r.fails(47, msel("journalist", MselOp::Hold)), "already_held");
    r.ok(50, msel("journalist", MselOp::Release));
    r.to(60);
    // Released at 50, its time (45) has passed: step 2 of tick 50 fires it.
    assert_eq!(r.delivered("JOURNALIST-CALL"), [50]);
    let view = director_view(&r.sim, 0);
    assert_eq!(
        (view.msel[0].status, view.msel[0].since, view.msel[0].how),
        (MselStatus::Fired, Some(50), Some(FiredBy::Time))
    );
}

#[test]
fn released_before_its_time_it_fires_on_time() {
    let mut r = Run::new();
    r.ok(10, msel("journalist", MselOp::Hold));
    r.ok(20, msel("journalist", MselOp::Release));
    r.to(60);
    assert_eq!(r.delivered("JOURNALIST-CALL"), [45]);
    // The hold is remembered (for the report), the firing was its time's.
    assert_eq!(r.sim.exercise().inject_control[0], InjectControl::Released(10));
    let view = director_view(&r.sim, 0);
    assert_eq!((view.msel[0].how, view.msel[0].held_since), (Some(FiredBy::Time), Some(10)));
}

#[test]
fn a_skipped_inject_never_fires_by_itself_but_can_be_fired_by_hand() {
    let mut r = Run::new();
    r.ok(10, msel("journalist", MselOp::Skip));
    assert_eq!(r.fails(11, msel("journalist", MselOp::Skip)), "already_skipped");
    // The PIU's activation makes the conditional one due; skipped, it stays quiet.
    r.ok(12, msel("piu-call", MselOp::Skip));
    let crisis = r.sim.team_index("crisis").unwrap();
    r.to(14);
    let activate = Command { team: crisis, action: Action::ActivatePiu { level: 2 }, origin: None };
    assert!(r.sim.step_with(vec![activate])[0].result.is_ok());
    r.to(100);
    assert!(r.delivered("JOURNALIST-CALL").is_empty() && r.delivered("PIU-CALL").is_empty());
    let view = director_view(&r.sim, 0);
    assert_eq!((view.msel[0].status, view.msel[0].since), (MselStatus::Skipped, Some(10)));
    // Released, the condition (still true) fires it at once; fired by hand,
    // the skipped one comes now.
    r.ok(101, msel("piu-call", MselOp::Release));
    r.ok(102, msel("journalist", MselOp::Fire));
    assert_eq!(r.delivered("PIU-CALL"), [101]);
    assert_eq!(r.delivered("JOURNALIST-CALL"), [102]);
    let view = director_view(&r.sim, 0);
    assert_eq!(view.msel[1].how, Some(FiredBy::Condition));
}

fn live(replaces: &str) -> LiveInject {
    LiveInject {
        from: "EXCON".into(),
        to: vec!["csirt".into()],
        method: Default::default(),
        message: "EDITED-CALL".into(),
        expected_action: "Say something.".into(),
        effects: Vec::new(),
        tlp: cascade_engine::scenario::Tlp::Red,
        replaces: (!replaces.is_empty()).then(|| replaces.to_string()),
    }
}

#[test]
fn a_live_inject_sent_in_an_entrys_place_consumes_it() {
    let mut r = Run::new();
    r.ok(10, Action::Inject(live("journalist")));
    r.to(60);
    assert_eq!(r.delivered("EDITED-CALL"), [10]);
    assert!(r.delivered("JOURNALIST-CALL").is_empty(), "the scheduled firing is consumed");
    let view = director_view(&r.sim, 0);
    assert_eq!((view.msel[0].status, view.msel[0].how), (MselStatus::Fired, Some(FiredBy::Replaced)));
    // The director's view, the team's "expected of you" and the report see
    // what was sent, not the scenario's entry.
    assert_eq!((view.msel[0].message.as_str(), view.msel[0].from.as_str()), ("EDITED-CALL", "EXCON"));
    let csirt = r.sim.team_index("csirt").unwrap();
    let expected = cascade_engine::view::team_view(&r.sim, csirt, 0).expected;
    assert_eq!(expected.len(), 1);
    assert_eq!((expected[0].from.as_str(), expected[0].expected_action.as_str()), ("EXCON", "Say something."));
    // Sent again in place of the fired entry, it is refused (it would deliver
    // the entry twice, effects and all) and nothing goes out.
    assert_eq!(r.fails(61, Action::Inject(live("journalist"))), "inject_fired");
    assert_eq!(r.delivered("EDITED-CALL"), [10]);
}

#[test]
fn a_replacement_to_other_teams_asks_them_not_the_entrys() {
    let mut r = Run::new();
    let to_crisis = LiveInject { to: vec!["crisis".into()], ..live("journalist") };
    r.ok(10, Action::Inject(to_crisis));
    let team = |id: &str| r.sim.team_index(id).unwrap();
    let expected = |t| cascade_engine::view::team_view(&r.sim, t, 0).expected.len();
    assert_eq!((expected(team("csirt")), expected(team("crisis"))), (0, 1));
}

#[test]
fn orders_are_checked_on_receipt_and_at_their_tick() {
    let mut r = Run::new();
    // On receipt (the model): an unknown inject, for an order or a replacement.
    let model = r.sim.model();
    let resolve = cascade_engine::exercise::command::resolve_director;
    assert_eq!(resolve(model, &msel("nope", MselOp::Fire)).map(|_| ()).unwrap_err().code, "unknown_inject");
    assert_eq!(resolve(model, &Action::Inject(live("nope"))).map(|_| ()).unwrap_err().code, "unknown_inject");
    // A team cannot steer the MSEL.
    let csirt = r.sim.team_index("csirt").unwrap();
    assert_eq!(r.sim.check_command(csirt, &msel("journalist", MselOp::Fire)).unwrap_err().code, "not_allowed_for_role");
    // At the tick (the state): a release of a waiting inject, and the second of two fires.
    assert_eq!(r.fails(3, msel("journalist", MselOp::Release)), "not_held");
    let both = r.at(4, vec![msel("journalist", MselOp::Fire), msel("journalist", MselOp::Fire)]);
    assert_eq!(both[0], Ok(()));
    assert_eq!(both[1].as_ref().unwrap_err().code, "inject_fired");
    assert_eq!(r.delivered("JOURNALIST-CALL"), [4]);
}

#[test]
fn the_hash_follows_the_directors_orders_and_replays_exactly() {
    let script = |hold: bool| {
        let mut r = Run::new();
        if hold {
            r.ok(10, msel("journalist", MselOp::Hold));
        } else {
            r.to(10);
        }
        r.to(30);
        r.sim.state_hash()
    };
    // A hold changes the state (nothing else differs before tick 45) ...
    assert_ne!(script(true), script(false));
    // ... and the same orders give the same hash, tick after tick.
    let run = |ops: &[(u64, &str, MselOp)]| {
        let mut r = Run::new();
        let mut hashes = Vec::new();
        for &(tick, id, op) in ops {
            let _ = r.at(tick, vec![msel(id, op)]);
            hashes.push(r.sim.state_hash());
        }
        r.to(100);
        hashes.push(r.sim.state_hash());
        hashes
    };
    let ops = [(5, "journalist", MselOp::Hold), (6, "piu-call", MselOp::Skip), (50, "journalist", MselOp::Release)];
    assert_eq!(run(&ops), run(&ops));
    // Held-then-released late differs from on time: the message came at 50.
    assert_ne!(run(&ops).last(), run(&[(6, "piu-call", MselOp::Skip)]).last());
}
