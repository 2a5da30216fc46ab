//! Fixtures for the unit tests: a team view with a bit of everything.

use cascade_engine::exercise::Action;
use cascade_engine::exercise::Status;
use cascade_engine::exercise::state::MessageKind;
use cascade_engine::scenario::{IndicatorKind, OrganisationKind, TeamRole, Tlp};
use cascade_engine::view::{
    ActionFate, ActionView, AssetView, DeadlineView, DirectoryEntry, ExpectedView, HeldView, IndicatorValue,
    MessageView, ObjectiveView, OutageView, PendingView, PiuView, RegimeView, SectorService, Service, TeamView,
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
        isolation_cap: 1000,
        no_damage: Vec::new(),
        physical: 1000,
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

/// The client id the tests' player runs as (its entries in the action log are "you").
pub const ME: &str = "play-me";

/// Clock label of a tick of the sample exercise (08:00 at tick 0, one minute a tick).
pub fn clock(tick: u64) -> String {
    format!("{:02}:{:02}", 8 + tick / 60, tick % 60)
}

fn team(id: &str, name: &str, org: &str, org_name: &str, role: TeamRole, sector: Option<&str>) -> DirectoryEntry {
    let organisation_kind = match role {
        TeamRole::Csirt => OrganisationKind::Csirt,
        TeamRole::Regulator => OrganisationKind::Authority,
        TeamRole::Communication | TeamRole::CrisisCell => OrganisationKind::CrisisCell,
        _ => OrganisationKind::Operator,
    };
    DirectoryEntry {
        id: id.into(),
        name: name.into(),
        organisation: org.into(),
        organisation_name: org_name.into(),
        organisation_kind,
        role,
        sector: sector.map(str::to_string),
        constituency: Vec::new(),
        human: false,
    }
}

#[allow(clippy::too_many_arguments)]
fn action(
    tick: u64,
    client: Option<(&str, u64)>,
    command: serde_json::Value,
    fate: ActionFate,
    code: Option<&str>,
    message: Option<&str>,
    lands: Option<u64>,
) -> ActionView {
    ActionView {
        tick,
        clock: clock(tick),
        client: client.map(|(c, _)| c.to_string()),
        seq: client.map(|(_, s)| s),
        command,
        fate,
        code: code.map(str::to_string),
        message: message.map(str::to_string),
        lands,
        lands_clock: lands.map(clock),
    }
}

fn deadline(stage: &str, due: u64, status: &str) -> DeadlineView {
    DeadlineView {
        organisation: "chem".into(),
        regime: "nis2".into(),
        stage: stage.into(),
        incident: "ransom-x".into(),
        authority: "ilr".into(),
        due: Some(due),
        due_clock: Some(if due < 960 { clock(due) } else { "2026-03-11 08:30".into() }),
        filed: None,
        filed_clock: None,
        status: status.into(),
        waits_for: None,
        not_before: None,
        not_before_clock: None,
        or_contained: false,
    }
}

/// Team `chem-ops` at 08:47 (tick 47, a minute a tick), played by people:
/// `chem-it` fine, `chem-scada` isolated with a detected ransomware,
/// `chem-lab` down; one outage elsewhere; an investigation running.
///
/// - Messages: GOVCERT's share of `ransom-x` (0), an RTL journalist's inject
///   (1), a chat with `govcert` (2: ours, 3: theirs, also to `post-ops`), the
///   crisis communication cell's statement to all teams (4), an alert (5) and
///   exercise control's inject to all teams (6).
/// - Deadlines (nis2, `ransom-x`): early-warning overdue since 08:42,
///   notification due 09:10, final report due the next day.
/// - The action log ([`ME`] is this client): isolate applied (landed 08:35),
///   the bot's investigation running until 09:10, another analyst's report
///   failed (`not_aware`), our isolate of another's asset refused
///   (`not_your_asset`), our share acknowledged for 08:48.
/// - A directory of six teams (`chem-ops` and `govcert` played by people),
///   two regimes, `ransom-x`'s indicators held from `govcert` under
///   TLP:AMBER, one expected action, one objective.
pub fn sample_view() -> TeamView {
    let mut scada = asset("chem-scada", 200, 600);
    scada.isolated = true;
    scada.cap = 200;
    scada.compromised = vec!["ransom-x".into()];
    let mut share = message(0, 30, "GOVCERT.LU", Some("govcert"), Tlp::Amber, "IOC for ransom-x: C2 198.51.100.7");
    share.incident = Some("ransom-x".into());
    let mut ours = message(2, 42, "ChemCo Operations", Some("chem-ops"), Tlp::Red, "Can you confirm the C2 address?");
    ours.kind = MessageKind::Chat;
    ours.to = vec!["govcert".into()];
    let mut theirs =
        message(3, 44, "GOVCERT.LU", Some("govcert"), Tlp::Amber, "Confirmed: block 198.51.100.7 at the perimeter.");
    theirs.kind = MessageKind::Chat;
    theirs.to = vec!["chem-ops".into(), "post-ops".into()];
    let mut statement = message(
        4,
        45,
        "Crisis communication cell",
        Some("crisis-comms"),
        Tlp::Clear,
        "The government is handling a cyber incident at ChemCo.",
    );
    statement.kind = MessageKind::Statement;
    statement.to = Vec::new();
    statement.to_all = true;
    let mut alert = message(5, 46, "exercise", None, Tlp::Red, "CHEM ransomware detected on chem-scada.");
    alert.kind = MessageKind::Alert;
    alert.incident = Some("ransom-x".into());
    let mut to_all = message(6, 46, "EXCON", None, Tlp::Clear, "National media report outages at POST.");
    to_all.to = Vec::new();
    to_all.to_all = true;
    let mut govcert = team("govcert", "GOVCERT.LU", "govcert", "GOVCERT.LU", TeamRole::Csirt, Some("government"));
    govcert.constituency = vec!["chem".into(), "post".into()];
    govcert.human = true;
    let mut chem = team("chem-ops", "ChemCo Operations", "chem", "ChemCo", TeamRole::Operator, Some("health"));
    chem.human = true;
    use serde_json::json;
    TeamView {
        tick: 47,
        clock: "08:47".into(),
        tick_seconds: 60,
        time_zone: "Europe/Luxembourg".into(),
        team: "chem-ops".into(),
        organisation: "chem".into(),
        human: true,
        brief: "Operations team of ChemCo, a chemical plant: keep the plant's systems running.".into(),
        expected: vec![ExpectedView {
            inject: "rtl-call".into(),
            tick: 40,
            clock: clock(40),
            from: "RTL journalist".into(),
            expected_action: "Answer the press within 30 minutes: is the hospital affected?".into(),
        }],
        directory: vec![
            chem,
            govcert,
            team("circl", "CIRCL", "circl", "CIRCL", TeamRole::Csirt, None),
            team("post-ops", "POST network operations", "post", "POST Luxembourg", TeamRole::Operator, Some("telecom")),
            team("ilr", "ILR supervision", "ilr", "Institut Luxembourgeois de Régulation", TeamRole::Regulator, None),
            team(
                "crisis-comms",
                "Crisis communication cell",
                "crisis-cell",
                "National Crisis Cell",
                TeamRole::Communication,
                None,
            ),
        ],
        humans: vec!["chem-ops".into(), "govcert".into()],
        regimes: vec![
            RegimeView {
                id: "nis2".into(),
                name: "NIS2 incident reporting to the ILR".into(),
                authority: "ilr".into(),
                stages: vec!["early-warning".into(), "notification".into(), "final-report".into()],
                applies: true,
                personal_data_only: false,
            },
            RegimeView {
                id: "gdpr".into(),
                name: "GDPR personal-data breach notification to the CNPD".into(),
                authority: "cnpd".into(),
                stages: vec!["breach-notification".into()],
                applies: false,
                personal_data_only: true,
            },
        ],
        staff: 6,
        busy: 2,
        service: Service {
            national: 900_000,
            population: 1_000_000,
            sectors: vec![SectorService { id: "health".into(), served: 90_000, population: 100_000 }],
        },
        piu: PiuView { active_since: None, level: 0, plan: "Cyber PIU".into(), short: "PIU".into() },
        assets: vec![asset("chem-it", 1000, 1000), scada, asset("chem-lab", 0, 1000)],
        outages: vec![OutageView {
            id: "post-core".into(),
            name: "POST core".into(),
            organisation: "post".into(),
            sector: "telecom".into(),
            level: 300,
        }],
        messages: vec![
            share,
            message(1, 40, "RTL journalist", None, Tlp::Clear, "Is the hospital affected?"),
            ours,
            theirs,
            statement,
            alert,
            to_all,
        ],
        pending: vec![PendingView {
            team: "chem-ops".into(),
            command: Action::Investigate { asset: "chem-it".into() },
            started: 40,
            finish: 70,
            finish_clock: "09:10".into(),
            staff: 2,
        }],
        deadlines: vec![
            deadline("early-warning", 42, "overdue"),
            deadline("notification", 70, "open"),
            deadline("final-report", 1470, "open"),
        ],
        objectives: vec![ObjectiveView {
            id: "contain-fast".into(),
            description: "Ransomware contained within 2 hours".into(),
            status: Status::Pending,
        }],
        indicators: vec!["ransom-x".into()],
        held: vec![HeldView {
            incident: "ransom-x".into(),
            name: "CHEM ransomware".into(),
            tlp: Tlp::Amber,
            since: 30,
            since_clock: clock(30),
            source: "govcert".into(),
            values: vec![
                IndicatorValue { kind: IndicatorKind::Ip, value: "198.51.100.7".into(), comment: "C2 server".into() },
                IndicatorValue {
                    kind: IndicatorKind::Domain,
                    value: "update.chem.example".into(),
                    comment: "dropper host".into(),
                },
                IndicatorValue {
                    kind: IndicatorKind::Sha256,
                    value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
                    comment: "loader".into(),
                },
            ],
        }],
        actions: vec![
            action(
                30,
                Some((ME, 4)),
                json!({"action": "isolate", "asset": "chem-scada"}),
                ActionFate::Applied,
                None,
                None,
                Some(35),
            ),
            action(
                40,
                None,
                json!({"action": "investigate", "asset": "chem-it"}),
                ActionFate::Running,
                None,
                None,
                Some(70),
            ),
            action(
                44,
                Some(("analyst-2", 3)),
                json!({"action": "report", "regime": "nis2", "stage": "early-warning", "incident": "ransom-x"}),
                ActionFate::Failed,
                Some("not_aware"),
                Some("chem has not detected ransom-x: nothing to report yet"),
                None,
            ),
            action(
                47,
                Some((ME, 5)),
                json!({"action": "isolate", "asset": "post-core"}),
                ActionFate::Refused,
                Some("not_your_asset"),
                Some("\"post-core\" belongs to post; a team acts on its own organisation's assets"),
                None,
            ),
            action(
                48,
                Some((ME, 6)),
                json!({"action": "share", "to": ["govcert"], "tlp": "TLP:AMBER", "incident": "ransom-x", "text": ""}),
                ActionFate::Acknowledged,
                None,
                None,
                None,
            ),
        ],
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
    // The sample's first two messages and first deadline (as they were before
    // the player's view grew).
    let mut messages = team.messages[..2].to_vec();
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
        piu: PiuView { active_since: Some(40), level: 2, plan: "Cyber PIU".into(), short: "PIU".into() },
        assets: vec![team.assets[0].clone(), team.assets[1].clone(), team.assets[2].clone(), post],
        assets_total: 4,
        organisations: Vec::new(),
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
            waits_for: None,
            not_before: None,
            not_before_clock: None,
            or_contained: false,
        }],
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
        msel: msel_entries(),
    }
}

/// Three MSEL entries: one fired at its time, one still to come, one
/// conditional.
pub fn msel_entries() -> Vec<cascade_engine::view::MselEntry> {
    use cascade_engine::scenario::{Method, Tlp};
    use cascade_engine::view::{FiredBy, MselEntry, MselStatus};
    let entry = |id: &str, at: Option<u64>, time: &str, message: &str| MselEntry {
        id: id.into(),
        at,
        time: time.into(),
        when: String::new(),
        from: "ILR duty officer".into(),
        to: vec!["chem-ops".into()],
        method: Method::Phone,
        tlp: Tlp::Amber,
        message: message.into(),
        expected_action: "File the NIS2 early warning".into(),
        effects: Vec::new(),
        status: MselStatus::Waiting,
        since: None,
        since_time: String::new(),
        how: None,
        held_since: None,
        held_since_time: String::new(),
    };
    vec![
        MselEntry {
            status: MselStatus::Fired,
            since: Some(30),
            since_time: "08:30".into(),
            how: Some(FiredBy::Time),
            ..entry("storm-warning", Some(30), "08:30", "Storm warning for the whole country")
        },
        MselEntry {
            when: "when incident ransom-x detected".into(),
            to: Vec::new(),
            tlp: Tlp::Clear,
            method: Method::Media,
            ..entry("press-call", None, "", "RTL asks about the chemical plant")
        },
        entry("regulator-call", Some(60), "09:00", "The regulator calls about the outage at the plant"),
    ]
}
