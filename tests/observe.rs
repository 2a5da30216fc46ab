//! The director console (`cascade observe`'s state, keys and screen) against a
//! real `cascade serve`: its keys become director commands on the wire, the
//! server's frames reach its panels. No terminal: the console's pure
//! `handle_key` and ratatui's TestBackend. Every wait is bounded.

#[path = "common/host.rs"]
mod common;

use std::time::Duration;

use cascade_observer::client::{Client, ClientConfig, ClientEvent};
use cascade_observer::director::{DirectorApp, Effect, Mode};
use common::{Server, TIMEOUT};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::Receiver;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Presses `code`; sends what it asks to send.
fn press(app: &mut DirectorApp, client: &mut Client, code: KeyCode) {
    if let Effect::Send(action) = app.handle_key(key(code)) {
        let seq = client.send_value(serde_json::to_value(&action).unwrap());
        app.sent(seq, &action);
    }
}

/// Feeds the client's events to the console until `done` holds.
async fn until(
    app: &mut DirectorApp,
    events: &mut Receiver<ClientEvent>,
    what: &str,
    done: impl Fn(&DirectorApp) -> bool,
) {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !done(app) {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) => app.on_client(event),
            Ok(None) => panic!("the client stopped while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}; status {:?}", app.status),
        }
    }
}

fn screen(app: &DirectorApp, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| cascade_observer::director_ui::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..height).map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect::<String>()).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_steers_a_live_exercise() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "observe", &["--speed", "50"]);
    let mut config = ClientConfig::new(&server.url, &server.tokens.director, "observe-test");
    config.max_retries = Some(0);
    let (mut client, mut events) = Client::spawn(config);
    let mut app = DirectorApp::new(&server.url);
    until(&mut app, &mut events, "the director snapshot", |a| a.view.is_some()).await;
    assert_eq!(app.scenario, "Host test");
    let teams: Vec<&str> = app.view.as_ref().unwrap().teams.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(teams, ["team-a", "team-b", "csirt"]);

    // Who is connected: nobody yet; then a team's client, shown in its panel.
    until(&mut app, &mut events, "presence", |a| a.presence.is_some()).await;
    assert_eq!(app.connections("team-b"), Some(0));
    let mut team_config = ClientConfig::new(&server.url, &server.tokens.teams["team-b"], "team-b-laptop");
    team_config.max_retries = Some(0);
    let (team_client, _team_events) = Client::spawn(team_config);
    until(&mut app, &mut events, "team-b connected", |a| a.connections("team-b") == Some(1)).await;
    let s = screen(&app, 100, 30);
    assert!(s.contains("⚙● team-b") && s.contains("⚙○ team-a"), "{s}");
    team_client.close();
    until(&mut app, &mut events, "team-b gone", |a| a.connections("team-b") == Some(0)).await;

    // Paused at tick 0: s steps one tick.
    press(&mut app, &mut client, KeyCode::Char('s'));
    until(&mut app, &mut events, "tick 1", |a| a.view.as_ref().is_some_and(|v| v.tick >= 1)).await;
    assert!(!app.clock.running);

    // An inject written in the form reaches the timeline.
    press(&mut app, &mut client, KeyCode::Char('i'));
    assert_eq!(app.mode, Mode::Inject);
    for c in "team-".chars() {
        press(&mut app, &mut client, KeyCode::Char(c));
    }
    press(&mut app, &mut client, KeyCode::Char('b'));
    press(&mut app, &mut client, KeyCode::Tab);
    assert_eq!(app.inject.to, "team-b,");
    press(&mut app, &mut client, KeyCode::Enter);
    press(&mut app, &mut client, KeyCode::Enter);
    for c in "Press call from RTL".chars() {
        press(&mut app, &mut client, KeyCode::Char(c));
    }
    press(&mut app, &mut client, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Normal);
    press(&mut app, &mut client, KeyCode::Char('s'));
    until(&mut app, &mut events, "the inject in the timeline", |a| {
        a.messages.values().any(|m| m.text == "Press call from RTL" && m.to == ["team-b"])
    })
    .await;

    // Space starts the clock, + speeds it up; ticks arrive and feed the history.
    press(&mut app, &mut client, KeyCode::Char(' '));
    until(&mut app, &mut events, "running", |a| a.clock.running).await;
    press(&mut app, &mut client, KeyCode::Char('+'));
    until(&mut app, &mut events, "speed 64", |a| a.clock.ticks_per_second == 64.0).await;
    until(&mut app, &mut events, "ten ticks of history", |a| a.history.national.len() >= 10).await;
    // q asks first while it runs; space pauses.
    assert_eq!(app.handle_key(key(KeyCode::Char('q'))), Effect::None);
    assert_eq!(app.mode, Mode::ConfirmQuit);
    app.handle_key(key(KeyCode::Char('n')));
    press(&mut app, &mut client, KeyCode::Char(' '));
    until(&mut app, &mut events, "paused", |a| !a.clock.running).await;

    let s = screen(&app, 80, 24);
    assert!(s.contains("Host test") && s.contains("⏸ paused ×64") && s.contains("● online"), "{s}");
    assert!(s.contains("EXCON → team-b: Press call") && s.contains("Teams (3)"), "{s}");
    let s = screen(&app, 160, 48);
    assert!(s.contains("Incidents (1)") && s.contains("Press call from RTL"), "{s}");
    // E ends the exercise, after a confirmation.
    press(&mut app, &mut client, KeyCode::Char('E'));
    assert_eq!(app.mode, Mode::ConfirmEnd);
    press(&mut app, &mut client, KeyCode::Char('y'));
    until(&mut app, &mut events, "ended", |a| a.clock.ended).await;
    assert!(screen(&app, 80, 24).contains("■ ended"));
    assert_eq!(app.handle_key(key(KeyCode::Char('q'))), Effect::Quit);
    client.close();
    let _ = tokio::time::timeout(Duration::from_secs(2), async { while events.recv().await.is_some() {} }).await;
}

/// A bad key file is refused, naming the file and the place, before anything
/// is hosted or any terminal touched.
#[test]
fn a_bad_key_file_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.ron");
    std::fs::write(&keys, "{\n  \"pause\": \"p\",\n  \"sleep\": \"z\",\n}").unwrap();
    let journal = dir.path().join("j.jsonl");
    let good = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/tutorial.ron");
    let out = std::process::Command::new(common::cascade_bin())
        .args(["exercise", good, "--journal"])
        .arg(&journal)
        .arg("--keys")
        .arg(&keys)
        .env_remove("CASCADE_KEYS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("keys.ron:3: unknown action \"sleep\""), "{stderr}");
    assert!(!journal.exists());

    std::fs::write(&keys, "{\"pause\": \"p\" \"step\": \"x\"}").unwrap();
    let out = std::process::Command::new(common::cascade_bin())
        .args(["observe", "ws://127.0.0.1:9", "--token", "t"])
        .env("CASCADE_KEYS", &keys)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("keys.ron:1:"), "the key file from $CASCADE_KEYS, with the place: {stderr}");
}

/// `cascade exercise` reports a missing or broken scenario before any terminal
/// is touched, and exits 1.
#[test]
fn exercise_refuses_a_bad_scenario_before_opening_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.ron");
    let out = std::process::Command::new(common::cascade_bin()).arg("exercise").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no scenario") && stderr.contains("missing.ron"), "{stderr}");

    let broken = dir.path().join("broken.ron");
    std::fs::write(&broken, "Scenario(name: \"x\")").unwrap();
    let journal = dir.path().join("broken.jsonl");
    let out = std::process::Command::new(common::cascade_bin())
        .arg("exercise")
        .arg(&broken)
        .arg("--journal")
        .arg(&journal)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: ") && stderr.contains("is not a valid scenario"), "{stderr}");
    assert!(!journal.exists(), "no journal for a scenario that does not load");

    // Without a terminal there is no console to open: said so, and nothing hosted.
    let good = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/tutorial.ron");
    let out = std::process::Command::new(common::cascade_bin())
        .args(["exercise", good, "--journal"])
        .arg(&journal)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));
    assert!(!journal.exists());
}

/// The bundled Luxembourg exercise, a few ticks in, on an 80×24 screen: every
/// panel is there and the sectors' service shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_luxembourg_exercise_fits_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/luxembourg.ron")).unwrap();
    let server = Server::start_scenario(dir.path(), "lux", &text, &["--speed", "200"]);
    let mut config = ClientConfig::new(&server.url, &server.tokens.director, "observe-lux");
    config.max_retries = Some(0);
    let (mut client, mut events) = Client::spawn(config);
    let mut app = DirectorApp::new(&server.url);
    until(&mut app, &mut events, "the director snapshot", |a| a.view.is_some()).await;
    press(&mut app, &mut client, KeyCode::Char(' '));
    until(&mut app, &mut events, "tick 30", |a| a.view.as_ref().is_some_and(|v| v.tick >= 30)).await;
    press(&mut app, &mut client, KeyCode::Char(' '));
    until(&mut app, &mut events, "paused", |a| !a.clock.running).await;
    let s = screen(&app, 80, 24);
    for needle in
        ["⏸ paused ×200", "Service, t", "national", "Assets (", "Incidents (", "Teams (", "Timeline (", "Objectives ✓"]
    {
        assert!(s.contains(needle), "{needle:?} missing:\n{s}");
    }
    // A large screen lists more and draws longer sparklines.
    let s = screen(&app, 160, 48);
    assert!(s.contains("Luxembourg: Grey Tuesday (national cyber-crisis exercise)"), "{s}");
    let national = s.lines().find(|l| l.starts_with("national")).unwrap();
    assert!(national.chars().filter(|c| ('▁'..='█').contains(c)).count() >= 31, "{s}");
    client.close();
}
