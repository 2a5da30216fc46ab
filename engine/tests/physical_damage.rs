//! Physical versus cyber damage (docs/model.md, "Physical and cyber damage"),
//! worked by hand tick by tick: a substation compromised by ransomware and
//! burned by a scheduled disruption is restored from backup — and stays down —
//! until its operator repairs it; a destructive incident; the director's
//! SetIntegrity effect; per-asset repair durations; the refusals; and the
//! single kind of damage of journals written before the distinction.
//!
//! Timing (DESIGN §2): a command at t applies in step 1; a timed action of d
//! ticks lands in step 5 of t+d, after the cascade of t+d, so its effect shows
//! in levels from t+d+1; disruptions fire in step 2, incident impact in step 3.

use std::path::Path;
use std::sync::Arc;

use cascade_engine::exercise::{Action, Command};
use cascade_engine::{Simulation, parse_model};

/// One-minute ticks. `substation` (grid) feeds `hospital` fully (weight 1000,
/// threshold 1000). Ransomware on the substation from tick 1 eats 100 of its
/// cyber integrity a tick; a fire burns it to 0 at tick 5. Costs: investigate,
/// isolate 1 tick; restore 2; repair 3 (the substation's own: 3; default 10).
const SCENARIO: &str = r#"
Scenario(
    name: "Physical damage test",
    duration_ticks: 60,
    start: "2026-03-10T08:00",
    time_zone: "UTC",
    sectors: [Sector(id: "energy"), Sector(id: "health")],
    organisations: [
        Organisation(id: "grid", kind: Operator, sector: "energy"),
        Organisation(id: "clinic", kind: Operator, sector: "health"),
        Organisation(id: "cert", kind: Csirt, constituency: ["grid"]),
    ],
    assets: [
        Asset(id: "substation", organisation: "grid", sector: "energy", population: 100, repair_ticks: 3),
        Asset(id: "feeder", organisation: "grid", sector: "energy", population: 100),
        Asset(id: "hospital", organisation: "clinic", sector: "health", population: 100),
    ],
    dependencies: [Dependency(asset: "hospital", on: "substation", kind: Power, weight: 1000, threshold: 1000)],
    teams: [
        Team(id: "grid-ops", organisation: "grid", role: Operator, staff: 5),
        Team(id: "clinic-ops", organisation: "clinic", role: Operator),
        Team(id: "cert", organisation: "cert", role: Csirt),
    ],
    disruptions: [Disruption(tick: 5, asset: "substation", integrity: 0, note: "Fire at the substation.")],
    incidents: [
        Incident(id: "ransom", kind: Ransomware, targets: ["substation"], start: 1, impact: 100, floor: 0,
                 detectability: 1000),
        Incident(id: "sabotage", kind: Wiper, targets: ["feeder"], impact: 300, floor: 100, physical: true,
                 detectability: 1000),
    ],
    response: Response(
        investigate: Cost(ticks: 1, staff: 1), isolate: Cost(ticks: 1, staff: 1),
        restore: Cost(ticks: 2, staff: 1), repair: Cost(ticks: 10, staff: 2),
        restore_integrity: 1000, isolation_cap: 0,
    ),
    injects: [
        Inject(id: "start-sabotage", at: 20, effects: [StartIncident("sabotage")]),
        Inject(id: "flood", at: 40, effects: [SetIntegrity(asset: "hospital", integrity: 300)]),
    ],
)
"#;

struct Run {
    sim: Simulation,
}

fn asset(id: &str) -> String {
    id.to_string()
}

impl Run {
    fn new(physical_damage: Option<bool>) -> Self {
        let mut text = SCENARIO.to_string();
        if let Some(separate) = physical_damage {
            text = text.replacen("    injects: [", &format!("    physical_damage: {separate},\n    injects: ["), 1);
        }
        let model = parse_model(text.as_bytes(), Path::new("physical.ron")).unwrap_or_else(|e| panic!("{e}"));
        Self { sim: Simulation::new(Arc::new(model), 1) }
    }

    fn stored(&self) -> Self {
        // The journal's view of the scenario: what was loaded, field and all.
        let ron = cascade_engine::load::to_ron(&self.sim.model().scenario);
        let model = cascade_engine::load::parse_stored_model(ron, Path::new("stored")).unwrap();
        Self { sim: Simulation::new(Arc::new(model), 1) }
    }

    fn to(&mut self, tick: u64) {
        while self.sim.tick() < tick {
            self.sim.step();
        }
    }

    /// Steps to `tick - 1`, then gives `team`'s `action` at `tick`.
    fn at(&mut self, tick: u64, team: &str, action: Action) -> Result<(), &'static str> {
        self.to(tick - 1);
        let team = self.sim.team_index(team).unwrap();
        if let Err(refusal) = self.sim.check_command(team, &action) {
            return Err(refusal.code);
        }
        let outcome = self.sim.step_with(vec![Command { team, action, origin: None }]);
        outcome[0].result.clone().map_err(|r| r.code)
    }

    fn index(&self, id: &str) -> usize {
        self.sim.model().asset_index(id).unwrap() as usize
    }

    /// (integrity, physical, cyber, level) of an asset now.
    fn state(&self, id: &str) -> (u16, u16, u16, u16) {
        let a = self.index(id);
        (self.sim.integrity()[a], self.sim.physical()[a], self.sim.cyber()[a], self.sim.levels()[a])
    }
}

/// The story of the issue: restored from backup, the burned substation stays
/// down; repaired, it comes back, and the hospital a tick later.
#[test]
fn a_restore_leaves_a_burned_substation_down_until_it_is_repaired() {
    let mut r = Run::new(None);
    // t1..t3: ransomware eats 100 of cyber integrity a tick: 900, 800, 700.
    assert_eq!(r.at(2, "grid-ops", Action::Investigate { asset: asset("substation") }), Ok(()));
    r.to(3); // lands at t3: detected
    assert_eq!(r.state("substation"), (700, 1000, 700, 700));
    assert_eq!(r.at(4, "grid-ops", Action::Isolate { asset: asset("substation") }), Ok(()));
    // t4: impact to 600 (isolation lands in step 5 of t5? no: 1 tick, t5).
    r.to(4);
    assert_eq!(r.state("substation").2, 600);
    r.to(5);
    // t5: the fire (step 2) sets physical 0; impact (step 3) takes cyber to
    // 500 (not isolated yet); the isolation lands in step 5.
    assert_eq!(r.state("substation"), (0, 0, 500, 0));
    r.to(6);
    assert_eq!(r.state("substation").2, 500, "isolated: no more impact");
    assert_eq!(r.at(7, "grid-ops", Action::Restore { asset: asset("substation") }), Ok(()));
    r.to(9); // lands at t9: cyber 1000, isolation lifted; the plant still burned
    assert_eq!(r.state("substation"), (0, 0, 1000, 0));
    let told = &r.sim.exercise().messages.last().unwrap().text;
    assert!(told.contains("restored from backup") && told.contains("physical damage remains"), "{told}");
    r.to(12);
    assert_eq!(r.state("substation").3, 0, "still down three ticks later");
    assert_eq!(r.state("hospital").3, 0, "and the hospital with it");
    // The repair takes the substation's own 3 ticks (not the response's 10).
    assert_eq!(r.at(13, "grid-ops", Action::Repair { asset: asset("substation") }), Ok(()));
    r.to(15);
    assert_eq!(r.state("substation"), (0, 0, 1000, 0));
    r.to(16); // lands at t16 (step 5, after the cascade): level from t17
    assert_eq!(r.state("substation"), (1000, 1000, 1000, 0));
    assert_eq!(r.sim.exercise().messages.last().unwrap().text, "substation is repaired.");
    r.to(17);
    assert_eq!((r.state("substation").3, r.state("hospital").3), (1000, 0), "the hospital reads t16's level");
    r.to(18);
    assert_eq!(r.state("hospital").3, 1000);
}

/// Journals written before physical damage existed store scenarios without
/// `physical_damage`: one kind of damage, and the restore repairs the fire, as
/// it then did (and as `physical_damage: false` asks).
#[test]
fn without_physical_damage_a_restore_repairs_everything_as_before() {
    let loaded = Run::new(Some(false));
    for mut r in [Run::new(Some(false)), loaded.stored()] {
        assert!(!r.sim.model().physical_damage);
        r.at(2, "grid-ops", Action::Investigate { asset: asset("substation") }).unwrap();
        r.at(4, "grid-ops", Action::Isolate { asset: asset("substation") }).unwrap();
        r.to(5);
        assert_eq!(r.state("substation"), (0, 1000, 0, 0), "the fire is the one kind of damage");
        r.at(7, "grid-ops", Action::Restore { asset: asset("substation") }).unwrap();
        r.to(10);
        assert_eq!(r.state("substation"), (1000, 1000, 1000, 1000));
        assert_eq!(r.at(11, "grid-ops", Action::Repair { asset: asset("substation") }), Err("not_damaged"));
    }
    // A scenario file that does not say gets physical damage, and keeps it
    // through the journal.
    let r = Run::new(None);
    assert!(r.sim.model().physical_damage && r.stored().sim.model().physical_damage);
}

#[test]
fn a_destructive_incident_damages_the_plant_and_only_a_repair_undoes_it() {
    let mut r = Run::new(None);
    // Sabotage starts at t20 (inject, step 2) and strikes in step 3 of t20:
    // physical 1000 - 300 = 700, then 400 at t21, then the floor 100 at t22.
    r.to(22);
    assert_eq!(r.state("feeder"), (100, 100, 1000, 100));
    r.at(23, "grid-ops", Action::Investigate { asset: asset("feeder") }).unwrap();
    r.at(25, "grid-ops", Action::Isolate { asset: asset("feeder") }).unwrap();
    r.to(26);
    r.at(27, "grid-ops", Action::Restore { asset: asset("feeder") }).unwrap();
    r.to(29);
    assert_eq!(r.state("feeder").0, 100, "a backup does not rebuild wrecked equipment");
    // The response's repair: 10 ticks, 2 staff.
    r.at(30, "grid-ops", Action::Repair { asset: asset("feeder") }).unwrap();
    assert_eq!(r.sim.exercise().teams[r.sim.team_index("grid-ops").unwrap() as usize].busy, 2);
    assert_eq!(r.at(31, "grid-ops", Action::Repair { asset: asset("feeder") }), Err("in_progress"));
    r.to(39);
    assert_eq!(r.state("feeder").1, 100);
    r.to(40);
    assert_eq!(r.state("feeder"), (1000, 1000, 1000, 100));
}

#[test]
fn exercise_controls_set_integrity_is_physical() {
    let mut r = Run::new(None);
    r.to(40);
    // Level 0: its substation still lies burned (nobody repaired it here).
    assert_eq!(r.state("hospital"), (300, 300, 1000, 0));
    // Only its operator repairs it: not the CSIRT, not another operator.
    assert_eq!(r.at(41, "cert", Action::Repair { asset: asset("hospital") }), Err("not_allowed_for_role"));
    assert_eq!(r.at(41, "grid-ops", Action::Repair { asset: asset("hospital") }), Err("not_your_asset"));
    assert_eq!(r.at(41, "clinic-ops", Action::Repair { asset: asset("substation") }), Err("not_your_asset"));
    assert_eq!(r.at(41, "clinic-ops", Action::Repair { asset: asset("hospital") }), Ok(()));
    r.to(51);
    assert_eq!(r.state("hospital").0, 1000);
}

#[test]
fn physical_damage_is_in_the_hash() {
    let hashes = |repair: bool| {
        let mut r = Run::new(None);
        r.to(40);
        if repair {
            r.at(41, "clinic-ops", Action::Repair { asset: asset("hospital") }).unwrap();
        }
        r.to(60);
        r.sim.state_hash()
    };
    assert_ne!(hashes(true), hashes(false));
    assert_eq!(hashes(true), hashes(true));
}
