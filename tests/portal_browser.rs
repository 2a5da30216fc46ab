//! The player portal in a real browser: headless Chromium (Debian's; .ci/run
//! installs it) against the real `cascade serve`, driven over the DevTools
//! protocol (tests/common/browser.rs). A team opens its join link, sees its
//! view, acts through the page's forms and sees each command's ack and fate,
//! sees ticks advance, reads a TLP:RED message addressed to it and never one
//! addressed to another team, loses its connection and recovers — over plain
//! http through a relay the test can cut, and over https/wss with a
//! self-signed certificate. The page must raise no exception, console error or
//! Content-Security-Policy violation.
//!
//! With `CASCADE_SCREENSHOTS=DIR` the harness writes the screenshots of the
//! main screens used in README.md and docs/portal.md into DIR
//! (`CASCADE_SCREENSHOTS=docs/screenshots cargo test --test portal_browser`).

#[path = "common/browser.rs"]
mod browser;
#[path = "common/host.rs"]
mod common;

use std::net::SocketAddr;
use std::path::PathBuf;

use browser::{Browser, Relay};
use common::*;
use serde_json::{Value, json};

fn addr_of(url: &str) -> SocketAddr {
    url.split_once("://").unwrap().1.parse().unwrap()
}

/// Where the screenshots go: `$CASCADE_SCREENSHOTS`, else a temporary
/// directory (they are still taken, so that taking them is tested).
fn shots(dir: &tempfile::TempDir) -> PathBuf {
    std::env::var_os("CASCADE_SCREENSHOTS").map_or_else(|| dir.path().join("shots"), PathBuf::from)
}

/// The page's record of its command `seq`: its state (`sent`, `acked`,
/// `rejected`, `applied`, `failed`). (The actions page shows the same; it is
/// built only while shown.)
fn action_state(seq: &Value) -> String {
    format!("((cascadePortal.commands.find(c => c.seq === {seq}) || {{}}).state || '')")
}

/// The state the actions page shows for `seq`.
fn shown_state(seq: &Value) -> String {
    format!("(document.querySelector('#actions li[data-seq=\"{seq}\"]') || {{dataset: {{}}}}).dataset.state || ''")
}

async fn online(page: &mut Browser) {
    page.wait_for("the page to be online", "document.querySelector('#status').dataset.state === 'online'").await;
}

async fn tick_shown(page: &mut Browser) -> u64 {
    page.eval("Number(document.querySelector('#tick').textContent)").await.as_u64().unwrap()
}

/// Fills and submits the investigate form; returns the seq it was sent with.
async fn investigate(page: &mut Browser, asset: &str) -> Value {
    page.eval("cascadePortal.openAction('investigate')").await;
    page.eval(&format!(
        "(() => {{ const s = document.querySelector('#investigate-asset'); s.value = '{asset}'; \
         s.dispatchEvent(new Event('change', {{bubbles: true}})); document.querySelector('#investigate-submit').click(); }})()"
    ))
    .await;
    page.wait_for("the investigate form's result", "document.querySelector('#investigate-result').dataset.seq").await;
    let seq = page.eval("Number(document.querySelector('#investigate-result').dataset.seq)").await;
    assert!(seq.as_u64().is_some(), "{seq}");
    seq
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_plays_from_its_join_link_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let shots = shots(&dir);
    // Every team human: only what this test does happens.
    let server = Server::start(dir.path(), "browser", &["--bots", "none"]);
    let relay = Relay::start(addr_of(&server.url)).await;
    let token = server.tokens.team("team-a").to_string();
    let mut director = server.director().await;
    let mut bravo = server.team("team-b", "bravo-terminal").await;

    let mut page = Browser::launch(&[]).await;
    page.open(&format!("http://{}/#join={token}", relay.addr), 1280, 720).await;
    online(&mut page).await;
    // The token left the address bar; the page is the team's.
    assert_eq!(page.eval("location.hash").await, json!(""));
    assert_eq!(page.eval("location.href").await, json!(format!("http://{}/", relay.addr)));
    page.wait_for("team-a's assets", "document.body.innerText.includes('Alpha core')").await;
    assert_eq!(page.eval("cascadePortal.team").await, json!("team-a"));
    assert_eq!(tick_shown(&mut page).await, 0);
    let text = page.text().await;
    assert!(!text.contains("Bravo core") || text.contains("outage"), "only team-a's own assets:\n{text}");
    page.screenshot(&shots.join("portal-overview.png")).await;

    // An action through its form: acknowledged at once, its fate at its tick.
    let seq = investigate(&mut page, "a-core").await;
    page.wait_for("the investigation acknowledged", &format!("['acked','applied'].includes({})", action_state(&seq)))
        .await;
    director.acked(1, json!({"action": "step"})).await;
    page.wait_for("tick 1", "Number(document.querySelector('#tick').textContent) === 1").await;
    page.wait_for("the investigation applied", &format!("{} === 'applied'", action_state(&seq))).await;
    // A command refused at its tick shows as failed: isolating an asset of
    // another organisation is refused on receipt instead.
    let refused = page.eval("cascadePortal.send({action: 'isolate', asset: 'b-core'})").await;
    page.wait_for("the refusal", &format!("{} === 'rejected'", action_state(&refused))).await;
    page.eval("cascadePortal.show('actions')").await;
    page.wait_for(
        "the refusal's reason in the log",
        "document.querySelector('#actions').innerText.includes('refused')",
    )
    .await;
    page.wait_for("the log shows the refusal", &format!("{} === 'rejected'", shown_state(&refused))).await;
    page.wait_for("the log shows the investigation applied", &format!("{} === 'applied'", shown_state(&seq))).await;
    page.screenshot(&shots.join("portal-actions.png")).await;

    // Messages: one to team-a under TLP:RED, one to the CSIRT only.
    bravo
        .acked(1, json!({"action": "message", "to": ["team-a"], "text": "Bravo to Alpha: call us", "tlp": "TLP:RED"}))
        .await;
    bravo
        .acked(
            2,
            json!({"action": "message", "to": ["csirt"], "text": "Bravo to CSIRT only: secret", "tlp": "TLP:RED"}),
        )
        .await;
    director.acked(2, json!({"action": "step"})).await;
    page.wait_for("tick 2", "Number(document.querySelector('#tick').textContent) === 2").await;
    page.wait_for(
        "the RED message addressed to team-a",
        "cascadePortal.messages.some(m => m.text === 'Bravo to Alpha: call us' && m.tlp === 'TLP:RED')",
    )
    .await;
    page.eval("cascadePortal.show('talk')").await;
    page.wait_for(
        "the message, labelled, in the conversation",
        "[...document.querySelectorAll('[data-tlp=\"TLP:RED\"]')].some(e => e.innerText.includes('Bravo to Alpha'))",
    )
    .await;
    page.screenshot(&shots.join("portal-conversations.png")).await;
    // A reply through the message form, to team-b, under TLP:AMBER.
    page.eval("cascadePortal.openAction('message', {to: ['team-b']})").await;
    page.eval(
        "(() => { document.querySelector('#message-tlp-amber').click(); const t = document.querySelector('#message-text'); \
         t.value = 'Alpha to Bravo: on it'; t.dispatchEvent(new Event('input', {bubbles: true})); })()",
    )
    .await;
    page.screenshot(&shots.join("portal-act-message.png")).await;
    page.eval("document.querySelector('#message-submit').click()").await;
    page.wait_for(
        "the reply acknowledged",
        "['acked','applied'].includes(document.querySelector('#message-result').dataset.state)",
    )
    .await;
    director.acked(3, json!({"action": "step"})).await;
    bravo.wait_for("the reply, at the next tick", |v| v.to_string().contains("Alpha to Bravo: on it")).await;
    let text = page.text().await;
    let known = page.eval("JSON.stringify(cascadePortal.messages)").await;
    assert!(
        !text.contains("secret") && !known.as_str().unwrap().contains("secret"),
        "a message to the CSIRT only reached team-a"
    );

    // The connection drops: the page says so, keeps the view, queues an
    // action; the network comes back: it rejoins and sends it.
    relay.cut();
    page.wait_for("the page to see it is offline", "document.querySelector('#status').dataset.state !== 'online'")
        .await;
    page.eval("cascadePortal.show('overview')").await;
    page.wait_for(
        "the last view, still shown, marked stale",
        "document.body.innerText.includes('Alpha core') && !document.querySelector('#stale-mark').hidden",
    )
    .await;
    page.screenshot(&shots.join("portal-offline.png")).await;
    let queued = investigate(&mut page, "a-edge").await;
    assert_eq!(page.eval(&action_state(&queued)).await, json!("sent"));
    relay.heal();
    online(&mut page).await;
    page.wait_for(
        "the queued action acknowledged after the reconnect",
        &format!("['acked','applied'].includes({})", action_state(&queued)),
    )
    .await;
    director.acked(4, json!({"action": "step"})).await;
    page.wait_for("tick 4", "Number(document.querySelector('#tick').textContent) === 4").await;
    page.wait_for("the queued action applied", &format!("{} === 'applied'", action_state(&queued))).await;
    // Once, under the client id the page kept.
    let client = page.eval("cascadePortal.client").await;
    let journal = server.journal_text();
    let lines: Vec<&str> =
        journal.lines().filter(|l| l.contains("\"asset\":\"a-edge\"") && l.contains("investigate")).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(&format!("\"client\":{client}")), "{} {client}", lines[0]);

    // A tablet, dark.
    page.viewport(768, 1024).await;
    page.color_scheme("dark").await;
    page.eval("cascadePortal.show('overview')").await;
    page.screenshot(&shots.join("portal-tablet-dark.png")).await;
    let overflow = page.eval("document.documentElement.scrollWidth <= 768").await;
    assert_eq!(overflow, json!(true), "no sideways scrolling at 768 px");

    page.drain_events().await;
    assert!(page.problems.is_empty(), "the page logged problems: {:#?}", page.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_plays_over_https_and_wss_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "tls-browser", &["--bots", "none", "--tls-self-signed"]);
    let addr = addr_of(&server.url);
    let cert = dir.path().join("tls-browser.jsonl.tls/cert.pem");
    let mut director = Client::connect_tls(&server.url, &cert).await;
    director.hello(&server.tokens.director, "director").await;

    // The exercise's own certificate: a browser would ask the player to check
    // its fingerprint once; the test browser accepts it.
    let mut page = Browser::launch(&["--ignore-certificate-errors"]).await;
    let link = format!("https://127.0.0.1:{}/#join={}", addr.port(), server.tokens.team("team-a"));
    page.open(&link, 1280, 720).await;
    online(&mut page).await;
    assert_eq!(page.eval("location.protocol").await, json!("https:"));
    assert_eq!(page.eval("cascadePortal.team").await, json!("team-a"));
    let seq = investigate(&mut page, "a-core").await;
    page.wait_for("acknowledged over wss", &format!("['acked','applied'].includes({})", action_state(&seq))).await;
    director.acked(1, json!({"action": "step"})).await;
    page.wait_for("tick 1 over wss", "Number(document.querySelector('#tick').textContent) === 1").await;
    page.wait_for("applied", &format!("{} === 'applied'", action_state(&seq))).await;
    page.drain_events().await;
    assert!(page.problems.is_empty(), "the page logged problems: {:#?}", page.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_refused_on_the_join_form_and_the_keyboard_alone_joins() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "keyboard", &["--bots", "none"]);
    let mut page = Browser::launch(&[]).await;
    page.open(&format!("http://{}/#join=00000000000000000000000000000000", addr_of(&server.url)), 1280, 720).await;
    page.wait_for("the refusal on the join form", "document.querySelector('#join-error').innerText.trim().length > 0")
        .await;
    assert!(
        page.eval("!!sessionStorage.getItem('cascade.portal.token')").await == json!(false),
        "a refused token is forgotten"
    );
    page.screenshot(&shots(&dir).join("portal-join.png")).await;
    // Type the right token and press Enter, without a mouse.
    page.eval("document.querySelector('#join-token').value = ''; document.querySelector('#join-token').focus()").await;
    page.type_text(server.tokens.team("team-b")).await;
    page.press("Enter", false).await;
    online(&mut page).await;
    assert_eq!(page.eval("cascadePortal.team").await, json!("team-b"));
    // Page keys: 2 shows the actions log.
    page.eval("document.activeElement && document.activeElement.blur()").await;
    page.press("2", false).await;
    page.wait_for("the actions page", "cascadePortal.page === 'actions'").await;
    page.drain_events().await;
    assert!(page.problems.is_empty(), "the page logged problems: {:#?}", page.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_luxembourg_exercise_as_circl_sees_it_in_the_portal() {
    let dir = tempfile::tempdir().unwrap();
    let shots = shots(&dir);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = std::fs::read_to_string(root.join("scenarios/luxembourg.ron")).unwrap();
    // Every team played by its bot, CIRCL included (the page only watches),
    // a hundred exercise minutes in a second or two.
    let server = Server::start_scenario(dir.path(), "lux", &scenario, &["--speed", "100"]);
    let mut director = server.director().await;
    let mut page = Browser::launch(&[]).await;
    page.open(&format!("{}/#join={}", server.url.replace("ws://", "http://"), server.tokens.team("circl")), 1280, 720)
        .await;
    online(&mut page).await;
    director.acked(1, json!({"action": "start"})).await;
    page.wait_for("ninety minutes of the exercise", "cascadePortal.tick >= 90").await;
    director.acked(2, json!({"action": "pause"})).await;
    page.wait_for("paused", "document.querySelector('#run').dataset.state === 'paused'").await;
    // The clock in the exercise's own time zone.
    let zone = page.eval("document.querySelector('#clock-zone').textContent").await;
    assert!(zone.as_str().unwrap().contains("Luxembourg") || zone.as_str().unwrap().contains("CET"), "{zone}");
    page.screenshot(&shots.join("portal-luxembourg-overview.png")).await;
    for (page_id, file) in [
        ("actions", "portal-luxembourg-actions.png"),
        ("inbox", "portal-luxembourg-inbox.png"),
        ("brief", "portal-luxembourg-brief.png"),
        ("teams", "portal-luxembourg-directory.png"),
    ] {
        page.eval(&format!("cascadePortal.show('{page_id}')")).await;
        page.wait_for(&format!("the {page_id} page"), &format!("cascadePortal.page === '{page_id}'")).await;
        page.screenshot(&shots.join(file)).await;
    }
    // The directory lists every team of the scenario.
    let teams = scenario.matches("Team(id:").count();
    let listed = page.eval("document.querySelectorAll('#directory tr').length").await.as_u64().unwrap() as usize;
    assert!(listed >= teams, "{listed} of {teams} teams listed");
    // The share form offers only the incidents CIRCL holds indicators of.
    page.eval("cascadePortal.openAction('share')").await;
    let offered =
        page.eval("[...document.querySelectorAll('#share-incident option')].map(o => o.value).filter(v => v)").await;
    let held = page.eval("cascadePortal.view.indicators").await;
    assert!(!offered.as_array().unwrap().is_empty(), "by tick 90 CIRCL holds indicators to share");
    for incident in offered.as_array().unwrap() {
        assert!(held.as_array().unwrap().contains(incident), "{incident} offered but not held: {held}");
    }
    page.screenshot(&shots.join("portal-luxembourg-share.png")).await;
    page.drain_events().await;
    assert!(page.problems.is_empty(), "the page logged problems: {:#?}", page.problems);
}
