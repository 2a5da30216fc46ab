//! The player's screen drawn on a TestBackend, read back as text.

use super::*;
use crate::client::ClientEvent;
use crate::testing::{ME, key, sample_view, type_str};
use cascade_engine::view::TeamDelta;
use cascade_engine::wire::ServerMessage;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

pub(crate) fn app() -> App {
    let mut app = App::with_client("ws://127.0.0.1:7878", ME);
    app.on_client(ClientEvent::Frame(ServerMessage::Welcome {
        team: "chem-ops".into(),
        role: "operator".into(),
        tick: 47,
        protocol: 3,
        scenario: "Test".into(),
        running: true,
        ticks_per_second: 1.0,
    }));
    app.on_client(ClientEvent::Connection(Connection::Connected));
    app.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new(sample_view()))));
    app.on_client(ClientEvent::Frame(ServerMessage::Clock {
        tick: 47,
        running: true,
        ticks_per_second: 1.0,
        ended: false,
        behind_ms: 0,
    }));
    app
}

pub(crate) fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    terminal.backend().buffer().clone()
}

/// The screen as text, one string per row (wide glyphs' trailing cells skipped).
pub(crate) fn rows(buffer: &Buffer) -> Vec<String> {
    let area = buffer.area;
    (0..area.height)
        .map(|y| {
            let mut row = String::new();
            let mut skip = 0;
            for x in 0..area.width {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let symbol = buffer[(x, y)].symbol();
                skip = ratatui::text::Span::raw(symbol).width().saturating_sub(1);
                row.push_str(symbol);
            }
            row
        })
        .collect()
}

pub(crate) fn screen(buffer: &Buffer) -> String {
    rows(buffer).join("\n")
}

/// The screen's text with each row trimmed and the rows joined by one space:
/// wrapped sentences read whole.
pub(crate) fn flat(buffer: &Buffer) -> String {
    rows(buffer)
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`flat`] of the columns `from..to` only (one panel of several side by side).
pub(crate) fn flat_cols(buffer: &Buffer, from: usize, to: usize) -> String {
    let text: Vec<String> = rows(buffer)
        .iter()
        .map(|r| r.chars().skip(from).take(to - from).collect::<String>().trim().to_string())
        .collect();
    text.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where `needle` starts on the screen: (x, y) in cells.
pub(crate) fn find(buffer: &Buffer, needle: &str) -> (u16, u16) {
    try_find(buffer, needle).unwrap_or_else(|| panic!("{needle:?} not on screen:\n{}", screen(buffer)))
}

fn try_find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol()).collect();
        if let Some(i) = line.find(needle) {
            let x = line[..i].chars().count() as u16;
            return Some((x, y));
        }
    }
    None
}

fn contains_all(buffer: &Buffer, needles: &[&str]) {
    let s = screen(buffer);
    for needle in needles {
        assert!(s.contains(needle), "{needle:?} missing:\n{s}");
    }
}

fn on_page(page: char) -> App {
    let mut a = app();
    a.handle_key(key(KeyCode::Char(page)));
    a
}

/// Every size the player is tested at.
const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

#[test]
fn the_overview_fits_80x24() {
    let b = render(&app(), 80, 24);
    let rows = rows(&b);
    assert!(rows[0].starts_with("chem-ops (operator) │ 08:47 t47 │ ▶ running ×1 │ ● online"), "{}", rows[0]);
    assert!(
        rows[1].starts_with(" [1 Overview]  2 Actions✗2  3 Inbox•3  4 Talk•3  5 Brief•1  6 Teams  7 IOCs•1"),
        "{}",
        rows[1]
    );
    contains_all(
        &b,
        &[
            "Assets (3)",
            "✓ chem-it",
            "✗ chem-lab",
            "▼ chem-scada",
            "200/ 600",
            "⛔",
            "── Outages elsewhere (1)",
            "▼ post-core  300",
            "Deadlines (3)",
            "My actions (5)",
            "✗ 08:47 you isolate post-core",
            "refused: not_your_asset",
            "✗ 08:44 analyst-2 report nis2 early-wa",
            "⧗ 08:40 bot investigate chem-it",
            "running, lands 09:10 (in 23 min)",
            "done, landed 08:35",
            ": command  1-7 Tab page",
        ],
    );
    let f = flat_cols(&b, 41, 80);
    for needle in [
        "⚠ nis2 early-warning ransom-x was due 08:42 (overdue by 5 min)",
        "○ nis2 notification ransom-x due 09:10 (in 23 min)",
        "○ nis2 final-report ransom-x due 2026-03-11 08:30 (in 23 h 43 min)",
    ] {
        assert!(f.contains(needle), "{needle:?} missing:\n{}", screen(&b));
    }
    // The latest action first; failures red, and marked ✗ for those without colour.
    assert!(find(&b, "share govcert").1 < find(&b, "isolate post-core").1);
    let (x, y) = find(&b, "✗ 08:47");
    assert_eq!(b[(x, y)].fg, Color::Red);
    assert_eq!(rows.len(), 24);
}

#[test]
fn a_large_screen_shows_the_overview_in_three_columns() {
    let mut a = app();
    a.sent(9, cascade_engine::exercise::Action::Isolate { asset: "chem-it".into() });
    a.on_client(ClientEvent::Frame(ServerMessage::Ack { seq: 9, tick: 48 }));
    let b = render(&a, 200, 50);
    contains_all(
        &b,
        &[
            "[1 Overview]  2 My actions✗2  3 Inbox•3  4 Conversations•3  5 Brief•1  6 Directory  7 Indicators•1",
            "service 90.0%",
            "staff 4/6 free",
            "POST core (post)",
            "⚠ nis2 early-warning ransom-x was due 08:42 (overdue by 5 min)",
            "My actions (6), newest first · ✗ 2 refused or failed",
            "… 08:47 you isolate chem-it",
            "accepted, applies at 08:48",
            "Latest messages (7)",
            "08:46 inject TLP:CLEAR EXCON → all teams",
            "Objectives (1)",
            "… pending Ransomware contained within 2 hours",
            "isolate chem-it: accepted for tick 48",
        ],
    );
    let middle = flat_cols(&b, 69, 134);
    assert!(middle.contains("failed: not_aware — chem has not detected ransom-x: nothing to report yet"), "{middle}");
    // Three columns: assets, then deadlines and actions, then messages.
    let (assets_x, _) = find(&b, "Assets (3)");
    let (deadlines_x, _) = find(&b, "Deadlines (3)");
    let (messages_x, _) = find(&b, "Latest messages");
    assert!(assets_x < deadlines_x && deadlines_x < messages_x);
    // Longer bars.
    let (_, y) = find(&b, "✓ chem-it");
    assert!(rows(&b)[y as usize].matches('█').count() >= 16);
}

#[test]
fn my_actions_show_every_fate_in_words_at_80x24_and_200x50() {
    for (w, h) in SIZES {
        let a = on_page('2');
        let b = render(&a, w, h);
        contains_all(
            &b,
            &[
                "My actions (5), newest first · ✗ 2 refused or failed",
                "… 08:48 you",
                "share govcert TLP:AMBER ransom-x",
                "accepted, applies at 08:48",
                "✗ 08:47 you",
                "✗ 08:44 analyst-2",
                "report nis2 early-warning ransom-x",
                "failed: not_aware — chem has not detected ransom-x: nothing to report yet",
                "⧗ 08:40 bot",
                "running, lands 09:10 (in 23 min)",
                "✓ 08:30 you",
                "done, landed 08:35",
            ],
        );
        let f = flat_cols(&b, 0, 134);
        assert!(
            f.contains(
                "refused: not_your_asset — \"post-core\" belongs to post; a team acts on its own organisation's assets"
            ),
            "{w}x{h}:\n{}",
            screen(&b)
        );
        // Newest first.
        assert!(find(&b, "share govcert").1 < find(&b, "isolate chem-scada").1);
        // Failures in red and bold, the words readable without colour.
        let (x, y) = find(&b, "failed: not_aware");
        assert_eq!(b[(x, y)].fg, Color::Red);
        assert!(b[(x, y)].modifier.contains(Modifier::BOLD));
        // Seen: no more mark on the tab.
        assert!(!screen(&b).contains("✗2"), "{}", screen(&b));
    }
    // Wide: the fate on the action's row.
    let b = render(&on_page('2'), 200, 50);
    let (_, y) = find(&b, "isolate post-core");
    assert!(rows(&b)[y as usize].contains("refused: not_your_asset"), "{}", screen(&b));
}

#[test]
fn my_actions_scroll_and_keep_the_latest_in_view() {
    let mut view = sample_view();
    let first = view.actions[0].clone();
    view.actions = (0..50)
        .map(|i| {
            let mut a = first.clone();
            a.command = serde_json::json!({"action": "harden", "asset": format!("asset-{i:02}")});
            a
        })
        .collect();
    let mut a = app();
    a.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new(view))));
    a.handle_key(key(KeyCode::Char('2')));
    let b = render(&a, 80, 24);
    contains_all(&b, &["harden asset-49", "▼ j: more"]);
    assert!(!screen(&b).contains("asset-00"));
    a.handle_key(key(KeyCode::Char('G')));
    let b = render(&a, 80, 24);
    contains_all(&b, &["harden asset-00", "▲ k"]);
    assert!(!screen(&b).contains("asset-49"));
}

#[test]
fn the_inbox_shows_exercise_control_with_times_and_all_teams() {
    for (w, h) in SIZES {
        let b = render(&on_page('3'), w, h);
        contains_all(
            &b,
            &[
                "Inbox (3)",
                "08:46 inject TLP:CLEAR EXCON → all teams",
                "National media report outages at POST.",
                "08:46 ⚠ alert TLP:RED exercise ☣ransom-x",
                "08:40 inject TLP:CLEAR RTL journalist",
            ],
        );
        // Conversations are not in it.
        let s = screen(&b);
        let inbox_part: String =
            rows(&b).iter().map(|r| r.chars().take(usize::from(w) * 2 / 3).collect::<String>()).collect();
        assert!(!inbox_part.contains("Can you confirm"), "{s}");
        assert!(!s.contains("chem-ops,"), "never a list of every id: {s}");
        let (x, y) = find(&b, "TLP:RED");
        assert_eq!(b[(x, y)].fg, Color::Rgb(0xFF, 0x2B, 0x2B));
        assert_eq!(b[(x, y)].bg, Color::Black);
        assert!(find(&b, "EXCON").1 < find(&b, "RTL journalist").1, "newest first");
    }
}

#[test]
fn conversations_group_messages_by_team_at_80x24_and_200x50() {
    for (w, h) in SIZES {
        let mut a = on_page('4');
        let b = render(&a, w, h);
        contains_all(
            &b,
            &[
                "Conversations (2)",
                "▸ all teams",
                "govcert",
                "•2",
                "all teams: statements and messages to every team",
                "08:45 statement TLP:CLEAR Crisis communication cell",
                "→ all teams",
                "j/k thread",
            ],
        );
        let thread_x = find(&b, "08:45 statement").0 as usize;
        let thread = flat_cols(&b, thread_x, usize::from(w) * 2 / 3 + 30);
        assert!(thread.contains("The government is handling a cyber incident at ChemCo."), "{thread}");
        a.handle_key(key(KeyCode::Char('j')));
        let b = render(&a, w, h);
        contains_all(
            &b,
            &[
                "▸ govcert",
                "govcert — GOVCERT.LU, CSIRT (3)",
                "08:30 share TLP:AMBER GOVCERT.LU",
                "08:42 message TLP:RED you → govcert",
                "Can you confirm the C2 address?",
                "08:44 message TLP:AMBER GOVCERT.LU",
                "Confirmed: block",
            ],
        );
        let thread_x = find(&b, "08:42 message").0 as usize;
        let thread = flat_cols(&b, thread_x, if w >= 160 { 135 } else { usize::from(w) });
        assert!(thread.contains("GOVCERT.LU (govcert) → you, post-ops"), "{thread}");
        // Oldest first, the newest at the bottom; TLP in its colours.
        assert!(find(&b, "Can you confirm").1 < find(&b, "Confirmed: block").1);
        let (x, y) = find(&b, "TLP:AMBER");
        assert_eq!(b[(x, y)].fg, Color::Rgb(0xFF, 0xC0, 0x00));
        assert!(!screen(&b).contains("Is the hospital affected?") || w >= 160, "injects stay in the inbox");
    }
}

#[test]
fn a_long_thread_keeps_its_newest_message_in_view() {
    let mut a = app();
    let base = sample_view().messages[3].clone();
    let mut view = sample_view();
    view.messages = (0..40)
        .map(|i| {
            let mut m = base.clone();
            m.index = 100 + i;
            m.text = format!("update number {i}");
            m
        })
        .collect();
    a.on_client(ClientEvent::Frame(ServerMessage::Tick(Box::new(TeamDelta::full(&view)))));
    a.handle_key(key(KeyCode::Char('4')));
    let b = render(&a, 80, 24);
    contains_all(&b, &["update number 39", "▲ PgUp older"]);
    a.handle_key(key(KeyCode::PageUp));
    a.handle_key(key(KeyCode::PageUp));
    let b = render(&a, 80, 24);
    assert!(!screen(&b).contains("update number 39"), "{}", screen(&b));
    contains_all(&b, &["▼ PgDn newer"]);
}

#[test]
fn the_brief_says_what_is_expected_and_who_plays() {
    for (w, h) in SIZES {
        let mut a = on_page('5');
        let b = render(&a, w, h);
        let f = flat(&b);
        for needle in [
            "Brief — ChemCo Operations",
            "You are ChemCo Operations (chem-ops), operator of ChemCo, sector health.",
            "Operations team of ChemCo, a chemical plant: keep the plant's systems running.",
            "Expected of you (1)",
            "08:40 (7 min ago) from RTL journalist: Answer the press within 30 minutes: is the hospital affected?",
            "Objectives (1)",
            "… pending Ransomware contained within 2 hours",
            "Reports owed (3)",
            "was due 08:42 (overdue by 5 min)",
        ] {
            assert!(f.contains(needle), "{w}x{h}: {needle:?} missing:\n{}", screen(&b));
        }
        assert!(!f.contains("played by its bot"), "people play it");
        // Its bot plays it: the notice, in the header and the status line too.
        a.on_client(ClientEvent::Frame(ServerMessage::Tick(Box::new(TeamDelta::full(&{
            let mut v = sample_view();
            v.human = false;
            v.messages.clear();
            v
        })))));
        let b = render(&a, w, h);
        let f = flat(&b);
        assert!(
            f.contains("⚙ Your team is played by its bot until your first command (or press T / type takeover)."),
            "{w}x{h}:\n{}",
            screen(&b)
        );
        assert!(rows(&b)[0].contains("⚙ bot plays"), "{}", rows(&b)[0]);
        assert!(rows(&b)[usize::from(h) - 2].starts_with("⚙ your bot plays your team until your first command"));
        assert!(rows(&b)[usize::from(h) - 1].starts_with("T take over"), "{}", rows(&b)[usize::from(h) - 1]);
        if w >= 200 {
            assert!(f.contains("Reporting regimes"), "{}", screen(&b));
            assert!(f.contains("nis2 — NIS2 incident reporting to the ILR (to ilr; you report under it): early-warning → notification → final-report"));
        }
    }
}

#[test]
fn the_directory_lists_every_team_and_who_plays_it() {
    for (w, h) in SIZES {
        let b = render(&on_page('6'), w, h);
        let f = flat(&b);
        for needle in [
            "Directory: 6 teams, 2 played by people now",
            "◉ people chem-ops (you)",
            "◉ people govcert",
            "⚙ bot circl",
            "POST network operations",
            "POST Luxembourg",
            "Institut Luxembourgeois de Régulation",
            "regulator",
            "telecom",
            "chem, post",
        ] {
            assert!(f.contains(needle), "{w}x{h}: {needle:?} missing:\n{}", screen(&b));
        }
    }
    // Wide: a table, one row a team.
    let b = render(&on_page('6'), 200, 50);
    let (_, y) = find(&b, "govcert ");
    let row = &rows(&b)[y as usize];
    for cell in ["◉ people", "GOVCERT.LU", "CSIRT", "government", "chem, post"] {
        assert!(row.contains(cell), "{cell:?} not on {row:?}");
    }
    // `humans` says who plays now, whatever the snapshot's directory said.
    let mut a = on_page('6');
    a.on_client(ClientEvent::Frame(ServerMessage::Tick(Box::new(TeamDelta::full(&{
        let mut v = sample_view();
        v.directory.clear();
        v.humans = vec!["chem-ops".into(), "circl".into()];
        v.messages.clear();
        v
    })))));
    let f = flat(&render(&a, 80, 24));
    assert!(f.contains("◉ people circl") && f.contains("⚙ bot govcert"), "{f}");
}

#[test]
fn a_long_directory_pages_at_80x24() {
    let mut view = sample_view();
    let template = view.directory[3].clone();
    for i in 0..35 {
        let mut d = template.clone();
        d.id = format!("team-{i:02}");
        view.directory.push(d);
    }
    let mut a = app();
    a.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new(view))));
    a.handle_key(key(KeyCode::Char('6')));
    let b = render(&a, 80, 24);
    assert!(screen(&b).contains("chem-ops") && !screen(&b).contains("team-34"));
    a.handle_key(key(KeyCode::Char('G')));
    let b = render(&a, 80, 24);
    contains_all(&b, &["▸ ⚙ bot    team-34"]);
    assert!(!screen(&b).contains("ChemCo Operations"), "scrolled past the first team");
    a.handle_key(key(KeyCode::PageUp));
    let b = render(&a, 80, 24);
    contains_all(&b, &["▸ ⚙ bot    team-24"]);
}

#[test]
fn the_indicators_held_with_label_date_source_and_values() {
    for (w, h) in SIZES {
        let b = render(&on_page('7'), w, h);
        let f = flat(&b);
        for needle in [
            "Indicators held (1)",
            "☣ ransom-x — CHEM ransomware TLP:AMBER",
            "since 08:30 (17 min ago) from govcert · share under TLP:AMBER or stricter",
            "ip 198.51.100.7 C2 server",
            "domain update.chem.example dropper host",
            "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "loader",
        ] {
            assert!(f.contains(needle), "{w}x{h}: {needle:?} missing:\n{}", screen(&b));
        }
        let (x, y) = find(&b, "TLP:AMBER");
        assert_eq!(b[(x, y)].fg, Color::Rgb(0xFF, 0xC0, 0x00));
    }
    let mut a = app();
    a.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new({
        let mut v = sample_view();
        v.held.clear();
        v.indicators.clear();
        v
    }))));
    a.handle_key(key(KeyCode::Char('7')));
    assert!(flat(&render(&a, 80, 24)).contains("no indicators yet"));
}

/// GOVCERT's view: a CSIRT with constituents' assets it may act on.
fn csirt_app(constituents: bool) -> App {
    use crate::testing::asset;
    let mut view = sample_view();
    view.team = "govcert".into();
    view.organisation = "govcert".into();
    let mut own = asset("gov-soc", 1000, 1000);
    own.organisation = "govcert".into();
    view.assets = vec![own];
    if constituents {
        let mut mail = asset("post-mail", 400, 1000);
        mail.organisation = "post".into();
        mail.compromised = vec!["ransom-x".into()];
        view.constituents = vec![asset("chem-it", 1000, 1000), asset("chem-scada", 0, 600), mail];
    }
    view.actions.clear();
    let mut app = App::with_client("ws://x", ME);
    app.on_client(ClientEvent::Connection(Connection::Connected));
    app.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new(view))));
    app
}

#[test]
fn a_csirt_sees_its_constituents_assets_by_owner() {
    let mut app = csirt_app(true);
    for a in app.view.as_mut().unwrap().constituents.iter_mut().filter(|a| a.id == "chem-scada") {
        a.isolated = true;
        a.compromised = vec!["ransom-x".into()];
    }
    for (w, h) in SIZES {
        let b = render(&app, w, h);
        contains_all(
            &b,
            &[
                "Assets (1)",
                "✓ gov-soc",
                "── Constituents' assets (3)",
                "chem's (ChemCo)",
                "post's (POST Luxembourg)",
                "✗ chem-scada",
                "▼ post-mail",
                "── Outages elsewhere (1)",
            ],
        );
        // The isolated/compromised marks come before the owner's, which a
        // narrow screen may cut (the group's heading names the owner).
        let (_, y) = find(&b, "✗ chem-scada");
        let row: String = (0..b.area.width).map(|x| b[(x, y)].symbol()).collect();
        assert!(row.contains('⛔') && row.contains('☣'), "{row}");
        if w >= 200 {
            contains_all(&b, &["@post"]);
        }
        assert!(find(&b, "chem's (ChemCo)").1 < find(&b, "✓ chem-it").1);
        assert!(find(&b, "post's (POST").1 < find(&b, "▼ post-mail").1);
    }
    let b = render(&csirt_app(false), 80, 24);
    let left = flat_cols(&b, 0, 40);
    assert!(left.contains("Constituents' assets (0) none yet: a constituent's request for assistance"), "{left}");
    // Completion offers them.
    let mut a = csirt_app(true);
    a.handle_key(key(KeyCode::Char(':')));
    type_str(&mut a, "isolate post-m");
    a.handle_key(key(KeyCode::Tab));
    assert_eq!(a.input, "isolate post-mail ");
}

/// The sample view with its notification waiting for the early warning and
/// its final report held until two weeks after the notification.
fn held_back_app(page: char) -> App {
    let mut a = on_page(page);
    a.on_client(ClientEvent::Frame(ServerMessage::Tick(Box::new(TeamDelta::full(&{
        let mut v = sample_view();
        v.messages.clear();
        v.deadlines[1].waits_for = Some("early-warning".into());
        v.deadlines[2].not_before = Some(47 + 14 * 1440);
        v.deadlines[2].not_before_clock = Some("2026-03-25 08:47".into());
        v.deadlines[2].or_contained = true;
        v
    })))));
    a
}

#[test]
fn report_stages_that_cannot_be_filed_yet_say_why_and_from_when() {
    // The brief's reports owed, at both sizes.
    for (w, h) in SIZES {
        let b = render(&held_back_app('5'), w, h);
        let f = flat(&b);
        for needle in [
            "Reports owed (3)",
            "⚠ nis2 early-warning ransom-x was due 08:42 (overdue by 5 min)",
            "◌ nis2 notification ransom-x due 09:10 (in 23 min) · waits for: early-warning",
            "◌ nis2 final-report ransom-x due 2026-03-11 08:30 (in 23 h 43 min) · not before 2026-03-25 08:47 (or once contained)",
        ] {
            assert!(f.contains(needle), "{w}x{h}: {needle:?} missing:\n{}", screen(&b));
        }
        // Not "open": dim, not the open deadline's colour.
        let (x, y) = find(&b, "◌ nis2 notification");
        assert_eq!(b[(x, y)].fg, Color::DarkGray, "{w}x{h}");
    }
    // The overview's deadlines panel too (80x24: the middle column).
    let b = render(&held_back_app('1'), 80, 24);
    let f = flat_cols(&b, 41, 80);
    assert!(
        f.contains("◌ nis2 notification ransom-x due 09:10 (in 23 min) · waits for: early-warning"),
        "{}",
        screen(&b)
    );
    // And the help's legend names the symbol.
    let mut a = app();
    a.handle_key(key(KeyCode::Char('?')));
    assert!(flat(&render(&a, 200, 50)).contains("◌ not yet"));
}

#[test]
fn wide_pages_keep_deadlines_and_latest_actions_beside_them() {
    let b = render(&on_page('3'), 200, 50);
    contains_all(
        &b,
        &[
            "Inbox (3)",
            "Deadlines (3)",
            "⚠ nis2 early-warning ransom-x was due 08:42 (overdue by 5 min)",
            "My actions (5)",
        ],
    );
    let b = render(&on_page('2'), 200, 50);
    contains_all(&b, &["Latest messages", "Deadlines (3)"]);
    // Not at 80 columns: the page has the screen.
    let b = render(&on_page('3'), 80, 24);
    assert!(!screen(&b).contains("Deadlines"));
}

#[test]
fn tlp_labels_carry_their_colours() {
    let b = render(&on_page('3'), 80, 24);
    let (x, y) = find(&b, "TLP:CLEAR");
    assert_eq!(b[(x, y)].fg, Color::Rgb(0xFF, 0xFF, 0xFF));
    assert_eq!(b[(x, y)].bg, Color::Black);
    assert_eq!(tlp_style(Tlp::Red).fg, Some(Color::Rgb(0xFF, 0x2B, 0x2B)));
    assert_eq!(tlp_style(Tlp::Green).fg, Some(Color::Rgb(0x33, 0xFF, 0x00)));
    // State symbols are coloured too, but readable without.
    let b = render(&app(), 80, 24);
    let (x, y) = find(&b, "✗ chem-lab");
    assert_eq!(b[(x, y)].fg, Color::Red);
}

#[test]
fn the_command_line_shows_input_and_completions() {
    let mut a = app();
    a.handle_key(key(KeyCode::Char(':')));
    type_str(&mut a, "isolate c");
    a.handle_key(key(KeyCode::Tab));
    a.handle_key(key(KeyCode::Tab));
    let b = render(&a, 80, 24);
    let rows = rows(&b);
    assert_eq!(rows[23].trim_end(), ":isolate chem-it");
    assert!(rows[22].starts_with("Tab: chem-it  chem-scada"), "{}", rows[22]);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| draw(f, &a)).unwrap();
    terminal.backend_mut().assert_cursor_position(Position::new(16, 23));
}

#[test]
fn errors_show_in_the_status_line() {
    let mut a = app();
    a.handle_key(key(KeyCode::Char(':')));
    type_str(&mut a, "share govcert amber wiper-z");
    a.handle_key(key(KeyCode::Enter));
    let b = render(&a, 80, 24);
    let (x, y) = find(&b, "you hold no indicators of \"wiper-z\"");
    assert_eq!(y, 22);
    assert_eq!(b[(x, y)].fg, Color::Red);
}

#[test]
fn help_lists_every_key_scrolls_and_fits_80x24() {
    let mut a = app();
    a.handle_key(key(KeyCode::Char('?')));
    let b = render(&a, 80, 24);
    contains_all(
        &b,
        &[
            "Help",
            "1 Overview  2 My actions  3 Inbox  4 Conversations  5 Brief",
            "open the command line",
            "take your team over",
        ],
    );
    // The rest is one scroll away.
    for _ in 0..HELP.len() {
        a.handle_key(key(KeyCode::Char('j')));
    }
    let b = render(&a, 80, 24);
    contains_all(
        &b,
        &["share TEAM[,TEAM] TLP INCIDENT|- [TEXT]", "takeover", "⛔ isolated", "✗ refused/failed", "⚙ its bot does"],
    );
    // Every help line fits inside the box at 80 columns.
    for line in HELP {
        assert!(ratatui::text::Span::raw(*line).width() <= 76, "{line}");
    }
    assert!(ratatui::text::Span::raw(BOT_NOTICE_SHORT).width() <= 80);
    // The help's command syntax is the parser's.
    for (name, _) in crate::command::ACTIONS {
        assert!(HELP.iter().any(|l| l.contains(name)), "{name} missing from the help");
    }
    let share = crate::command::ACTIONS.iter().find(|(n, _)| *n == "share").unwrap().1;
    assert!(HELP.iter().any(|l| l.contains(share)), "{share}");
}

#[test]
fn before_the_welcome_and_after_a_loss() {
    let mut a = App::new("ws://127.0.0.1:9");
    let s = screen(&render(&a, 80, 24));
    assert!(s.contains("Connecting to ws://127.0.0.1:9"), "{s}");
    assert!(s.contains("◌ connecting"), "{s}");
    a.on_client(ClientEvent::Connection(Connection::Lost {
        reason: "cannot connect: refused".into(),
        retry_in: std::time::Duration::from_millis(500),
    }));
    let s = screen(&render(&a, 80, 24));
    assert!(s.contains("✗ offline, retry in 0.5s"), "{s}");
    assert!(s.contains("Cannot reach ws://127.0.0.1:9: cannot connect: refused"), "{s}");
    // A dropped connection keeps the last view on screen, marked offline.
    let mut a = app();
    a.on_client(ClientEvent::Connection(Connection::Lost {
        reason: "gone".into(),
        retry_in: std::time::Duration::from_secs(2),
    }));
    let s = screen(&render(&a, 80, 24));
    assert!(s.contains("✗ offline, retry in 2.0s") && s.contains("Assets (3)"), "{s}");
}

#[test]
fn bars_show_level_and_integrity() {
    assert_eq!(bar(1000, 1000, 4), ("████".into(), "".into(), "".into()));
    assert_eq!(bar(0, 1000, 4), ("".into(), "▒▒▒▒".into(), "".into()));
    assert_eq!(bar(250, 500, 4), ("█".into(), "▒".into(), "░░".into()));
    assert_eq!(bar(0, 0, 4), ("".into(), "".into(), "░░░░".into()));
    // Any service at all shows at least one cell.
    assert_eq!(bar(1, 1, 10).0, "█");
}

#[test]
fn the_keys_of_every_page_fit_80_columns() {
    for page in ['1', '2', '3', '4', '5', '6', '7'] {
        let mut a = on_page(page);
        a.on_client(ClientEvent::Frame(ServerMessage::Tick(Box::new(TeamDelta::full(&{
            let mut v = sample_view();
            v.human = false;
            v.messages.clear();
            v
        })))));
        let b = render(&a, 80, 24);
        let last = rows(&b)[23].trim_end().to_string();
        assert!(last.ends_with("? help  q quit") || last.ends_with("? help"), "page {page}: {last}");
        assert!(last.starts_with("T take over  : command"), "{last}");
        // The full line where it fits.
        let wide = rows(&render(&a, 200, 50))[49].trim_end().to_string();
        assert!(wide.starts_with("T take over  : command  1-7 Tab page") && wide.ends_with("q quit"), "{wide}");
    }
}

#[test]
fn tiny_terminals_do_not_panic() {
    for page in ['1', '2', '3', '4', '5', '6', '7'] {
        let mut a = on_page(page);
        for (w, h) in [(1, 1), (10, 5), (30, 8), (80, 6), (80, 24), (159, 40), (160, 40), (200, 50)] {
            render(&a, w, h);
        }
        let mut c = csirt_app(true);
        c.handle_key(key(KeyCode::Char(page)));
        for (w, h) in [(1, 1), (10, 5), (30, 8)] {
            render(&c, w, h);
        }
        a.handle_key(key(KeyCode::Char('?')));
        for (w, h) in [(1, 1), (10, 5), (30, 8)] {
            render(&a, w, h);
        }
    }
}
