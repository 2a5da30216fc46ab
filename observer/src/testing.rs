//! Fixtures for the unit tests: a team view with a bit of everything.

use cascade_engine::exercise::Action;
use cascade_engine::exercise::Status;
use cascade_engine::exercise::state::MessageKind;
use cascade_engine::scenario::Tlp;
use cascade_engine::view::{
    AssetView, DeadlineView, MessageView, ObjectiveView, OutageView, PendingView, PiuView, SectorService, Service,
    TeamView,
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::App;

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn type_str(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(key(KeyCode::Char(c)));
    }
}

pub fn asset(id: &str, level: u16, integrity: u16) -> AssetView {
    AssetView {
        id: id.into(),
        name: id.into(),
        organisation: "chem".into(),
        sector: "health".into(),
        level,
        integrity,
        cap: 1000,
        isolated: false,
        hardened: false,
        compromised: Vec::new(),
    }
}

pub fn message(index: u64, tick: u64, from: &str, sender: Option<&str>, tlp: Tlp, text: &str) -> MessageView {
    MessageView {
        index,
        tick,
        clock: format!("{:02}:{:02}", 8 + tick / 60, tick % 60),
        kind: if sender.is_some() { MessageKind::Share } else { MessageKind::Inject },
        from: from.into(),
        sender_team: sender.map(str::to_string),
        to: vec!["chem-ops".into()],
        to_all: false,
        tlp,
        text: text.into(),
        incident: None,
    }
}

/// Team `chem-ops`: `chem-it` fine, `chem-scada` isolated with a detected
/// ransomware, `chem-lab` down; one outage elsewhere, two messages, a deadline,
/// an objective, an investigation running, indicators of `ransom-x`.
pub fn sample_view() -> TeamView {
    let mut scada = asset("chem-scada", 200, 600);
    scada.isolated = true;
    scada.cap = 200;
    scada.compromised = vec!["ransom-x".into()];
    let mut share = message(0, 30, "GOVCERT.LU", Some("govcert"), Tlp::Amber, "IOC for ransom-x: C2 198.51.100.7");
    share.incident = Some("ransom-x".into());
    TeamView {
        tick: 47,
        clock: "08:47".into(),
        tick_seconds: 60,
        time_zone: "Europe/Luxembourg".into(),
        team: "chem-ops".into(),
        organisation: "chem".into(),
        human: true,
        brief: "Operations team of ChemCo, a chemical plant: keep the plant's systems running.".into(),
        expected: Vec::new(),
        directory: Vec::new(),
        humans: vec!["chem-ops".into()],
        regimes: Vec::new(),
        staff: 6,
        busy: 2,
        service: Service {
            national: 900_000,
            population: 1_000_000,
            sectors: vec![SectorService { id: "health".into(), served: 90_000, population: 100_000 }],
        },
        piu: PiuView { active_since: None, level: 0 },
        assets: vec![asset("chem-it", 1000, 1000), scada, asset("chem-lab", 0, 1000)],
        outages: vec![OutageView {
            id: "post-core".into(),
            name: "POST core".into(),
            organisation: "post".into(),
            sector: "telecom".into(),
            level: 300,
        }],
        messages: vec![share, message(1, 40, "RTL journalist", None, Tlp::Clear, "Is the hospital affected?")],
        pending: vec![PendingView {
            team: "chem-ops".into(),
            command: Action::Investigate { asset: "chem-it".into() },
            started: 40,
            finish: 70,
            finish_clock: "09:10".into(),
            staff: 2,
        }],
        deadlines: vec![DeadlineView {
            organisation: "chem".into(),
            regime: "nis2".into(),
            stage: "early-warning".into(),
            incident: "ransom-x".into(),
            authority: "ilr".into(),
            due: Some(1470),
            due_clock: Some("2026-03-11 08:30".into()),
            filed: None,
            filed_clock: None,
            status: "open".into(),
        }],
        objectives: vec![ObjectiveView {
            id: "contain-fast".into(),
            description: "Ransomware contained within 2 hours".into(),
            status: Status::Pending,
        }],
        indicators: vec!["ransom-x".into()],
        held: Vec::new(),
        actions: Vec::new(),
        constituents: Vec::new(),
    }
}

/// The director's view of the same moment: four assets in two sectors (one
/// compromised by `ransom-x`, one down), one detected incident, three teams
/// (one human), three messages, one pending action, two objectives.
pub fn director_view() -> cascade_engine::view::DirectorView {
    use cascade_engine::scenario::{IncidentKind, TeamRole};
    use cascade_engine::view::{DirectorView, IncidentView, TeamSummary};
    let team = sample_view();
    let mut post = asset("post-core", 300, 1000);
    post.organisation = "post".into();
    post.sector = "telecom".into();
    let mut messages = team.messages.clone();
    let mut alert = message(2, 45, "EXCON", None, Tlp::Clear, "Power cut in Esch");
    alert.to = vec!["post-ops".into()];
    messages.push(alert);
    let summary = |id: &str, organisation: &str, role: TeamRole, human: bool, last: Option<(u64, &str)>| TeamSummary {
        id: id.into(),
        organisation: organisation.into(),
        role,
        staff: 6,
        busy: 2,
        human,
        last_action: last.map(|(t, a)| (t, a.to_string())),
    };
    DirectorView {
        tick: 47,
        clock: "08:47".into(),
        hash: "ab12cd34ef".into(),
        service: Service {
            national: 900_000,
            population: 1_000_000,
            sectors: vec![
                SectorService { id: "health".into(), served: 90_000, population: 100_000 },
                SectorService { id: "telecom".into(), served: 300_000, population: 400_000 },
            ],
        },
        piu: PiuView { active_since: Some(40), level: 2 },
        assets: vec![team.assets[0].clone(), team.assets[1].clone(), team.assets[2].clone(), post],
        incidents: vec![
            IncidentView {
                id: "ransom-x".into(),
                kind: IncidentKind::Ransomware,
                started_at: Some(12),
                first_detected: Some(30),
                contained_at: None,
                recovered_at: None,
                compromised: vec!["chem-scada".into()],
            },
            IncidentView {
                id: "ddos-later".into(),
                kind: IncidentKind::Ddos,
                started_at: None,
                first_detected: None,
                contained_at: None,
                recovered_at: None,
                compromised: vec![],
            },
        ],
        teams: vec![
            summary("chem-ops", "chem", TeamRole::Operator, true, Some((40, "investigate"))),
            summary("govcert", "govcert", TeamRole::Csirt, false, Some((30, "share"))),
            summary("post-ops", "post", TeamRole::Operator, false, None),
        ],
        messages,
        pending: team.pending.clone(),
        deadlines: team.deadlines.clone(),
        objectives: vec![
            team.objectives[0].clone(),
            ObjectiveView {
                id: "piu".into(),
                description: "PIU activated within 1 hour".into(),
                status: Status::Met(40),
            },
        ],
        metrics: Default::default(),
        actions: Vec::new(),
    }
}
