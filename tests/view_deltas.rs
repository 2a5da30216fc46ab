//! A team's tick frames are deltas (docs/protocol.md, *Tick frames are
//! deltas*), end to end: the real binary on 127.0.0.1 port 0, real websocket
//! clients applying them as the protocol says. After every tick, the view a
//! client built from its snapshot and the deltas equals a fresh snapshot of
//! the same tick; the deltas leave out what did not change; `resync` brings a
//! snapshot and then a whole tick frame.

#[path = "common/host.rs"]
mod common;

use common::*;
use serde_json::{Value, json};

/// A view without what a snapshot and a built view may rightly differ in:
/// the messages (clients keep them apart, by index), the frame's type, and
/// the directory's `human` flags, which are as of the snapshot (`humans`
/// says who plays now, and is compared).
fn comparable(view: &Value) -> Value {
    let mut view = view.clone();
    let object = view.as_object_mut().unwrap();
    object.remove("messages");
    object.remove("type");
    for entry in object["directory"].as_array_mut().unwrap() {
        entry.as_object_mut().unwrap().remove("human");
    }
    view
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_built_from_deltas_equals_a_fresh_snapshot_at_every_tick() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "deltas", &[]);
    let mut director = server.director().await;
    let mut x = server.team("team-a", "analyst-x").await;
    let mut y = server.team("team-a", "analyst-y").await;
    let assets = x.snapshot["assets"].as_array().unwrap().len();
    assert!(assets >= 2, "team-a owns several assets: {}", x.snapshot);

    let mut partial = 0;
    for tick in 1..=12u64 {
        // Something to change now and then: the team acts, the bots play the others.
        if tick == 3 {
            x.acked(1, json!({"action": "isolate", "asset": "a-core"})).await;
        }
        if tick == 8 {
            y.acked(1, json!({"action": "restore", "asset": "a-core"})).await;
        }
        director.acked(tick, json!({"action": "step"})).await;
        let frame = y.wait_for(&format!("tick {tick}"), |f| kind(f) == "tick" && f["tick"] == tick).await;
        assert!(frame.get("directory").is_none() && frame.get("brief").is_none(), "never in a tick frame: {frame}");
        if frame["assets"].as_array().unwrap().len() < assets && frame.get("outages").is_none() {
            partial += 1;
        }
        x.wait_for(&format!("tick {tick}"), |f| kind(f) == "tick" && f["tick"] == tick).await;

        // A newcomer's snapshot of this tick is what x and y have built.
        let fresh = server.team("team-a", &format!("newcomer-{tick}")).await;
        assert_eq!(fresh.snapshot["tick"], tick);
        assert_eq!(comparable(&y.view), comparable(&fresh.snapshot), "y's view at tick {tick}");
        assert_eq!(comparable(&x.view), comparable(&fresh.snapshot), "x's view at tick {tick}");
    }
    assert!(partial >= 3, "most tick frames carry only what changed ({partial} of 12 did)");

    // resync: a snapshot (the clock is paused: between ticks, at once), then
    // a whole tick frame; a client that did not ask keeps getting deltas.
    x.send(json!({"type": "resync"})).await;
    let snapshot = x.wait_for("the snapshot asked for", |f| kind(f) == "snapshot").await;
    assert_eq!(snapshot["tick"], 12);
    assert!(!snapshot["directory"].as_array().unwrap().is_empty(), "a snapshot is whole");
    director.acked(13, json!({"action": "step"})).await;
    let whole = x.wait_for("tick 13", |f| kind(f) == "tick" && f["tick"] == 13).await;
    assert_eq!(whole["assets"].as_array().unwrap().len(), assets, "after a snapshot, a whole tick frame");
    for list in ["outages", "pending", "deadlines", "objectives", "actions", "held", "humans"] {
        assert!(whole.get(list).is_some(), "{list} in a whole tick frame: {whole}");
    }
    let delta = y.wait_for("tick 13", |f| kind(f) == "tick" && f["tick"] == 13).await;
    assert!(delta.get("objectives").is_none(), "y holds its base: a delta: {delta}");
    assert_eq!(comparable(&x.view), comparable(&y.view));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_needs_a_hello_first() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "resync", &[]);
    let mut x = server.connect().await;
    x.send(json!({"type": "resync"})).await;
    let error = x.wait_for("an error", |f| kind(f) == "error").await;
    assert_eq!(error["code"], "hello_first", "{error}");
}

/// A director view without what a snapshot and a built view may rightly
/// differ in: the messages (kept apart, by index), the frame's type, and an
/// empty `organisations` list written out or left out.
fn director_comparable(view: &Value) -> Value {
    let mut view = view.clone();
    let object = view.as_object_mut().unwrap();
    object.remove("messages");
    object.remove("type");
    object.entry("organisations").or_insert(json!([]));
    view
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_director_view_built_from_deltas_equals_a_fresh_snapshot_at_every_tick() {
    // A small country (every asset, in scenario order) and one over 2,000
    // assets (summarised: the worst first, organisations), so that both ways
    // of applying entries are tried, through JSON as the protocol says.
    for (name, scenario) in [("small", SCENARIO.to_string()), ("summarised", bulky_scenario(2500, 200))] {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start_scenario(dir.path(), name, &scenario, &[]);
        let mut director = server.director().await;
        let mut x = server.team("team-a", "analyst-x").await;
        let mut smaller = 0;
        for tick in 1..=10u64 {
            if tick == 3 {
                x.acked(1, json!({"action": "isolate", "asset": "a-core"})).await;
            }
            if tick == 6 {
                x.acked(2, json!({"action": "restore", "asset": "a-core"})).await;
            }
            director.acked(tick, json!({"action": "step"})).await;
            let frame =
                director.wait_for(&format!("tick {tick}"), |f| kind(f) == "director_tick" && f["tick"] == tick).await;
            if frame.get("assets").is_none() && frame.get("teams").is_none() {
                smaller += 1;
            }
            // A director joining now gets, as its snapshot, what the first built.
            let fresh = server.director().await;
            assert_eq!(fresh.snapshot["tick"], tick);
            let (built, snapshot) = (director_comparable(&director.view), director_comparable(&fresh.snapshot));
            let differ: Vec<(&String, &Value, &Value)> = built
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, v)| snapshot.get(k.as_str()) != Some(*v))
                .map(|(k, v)| (k, v, &snapshot[k.as_str()]))
                .collect();
            assert_eq!(built, snapshot, "{name}: the director's view at tick {tick} differs in {differ:?}");
        }
        assert!(smaller >= 9, "{name}: tick frames carry what changed ({smaller} of 10 did)");
        let assets = director.view["assets"].as_array().unwrap().len();
        assert_eq!(assets, if name == "small" { 3 } else { 2000 }, "{name}");
    }
}
