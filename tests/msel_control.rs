//! The MSEL in the director's hands, end to end (issue 12): the real `cascade
//! serve` on 127.0.0.1 port 0, a director firing, holding and releasing the
//! scenario's injects over the websocket, a team receiving them, the journal
//! replayed with `--verify`, and the after-action report saying what the
//! director did with the MSEL.

#[path = "common/host.rs"]
mod common;

use common::*;
use serde_json::{Value, json};

/// The host test scenario with three injects for team A: `call` at tick 5,
/// `late` at tick 3, `spare` at tick 8.
fn scenario() -> String {
    SCENARIO.replace(
        "    response:",
        r#"    injects: [
        Inject(id: "call", at: 5, from: "RTL", to: ["team-a"], message: "CALL-5", expected_action: "Answer the press."),
        Inject(id: "late", at: 3, to: ["team-a"], message: "LATE-3", expected_action: "Read it."),
        Inject(id: "spare", at: 8, to: ["team-a"], message: "SPARE-8"),
    ],
    response:"#,
    )
}

fn msel(inject: &str, op: &str) -> Value {
    json!({"action": "msel", "inject": inject, "op": op})
}

fn entry<'a>(view: &'a Value, id: &str) -> &'a Value {
    view["msel"].as_array().unwrap().iter().find(|e| e["id"] == id).unwrap()
}

fn got(client: &Client, text: &str) -> bool {
    client.all_text().contains(text)
}

#[tokio::test]
async fn the_director_fires_holds_releases_and_skips_injects_and_the_journal_replays() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_scenario(dir.path(), "msel", &scenario(), &[]);
    let mut d = server.director().await;
    let mut a = server.team("team-a", "ui-a").await;
    let view = d.snapshot.clone();
    assert_eq!(entry(&view, "call")["status"], "waiting");
    assert_eq!(entry(&view, "call")["time"], "08:05");

    // Fire `call` now (tick 1) and hold `late`; skip `spare`.
    d.acked(1, msel("call", "fire")).await;
    d.acked(2, msel("late", "hold")).await;
    d.acked(3, msel("spare", "skip")).await;
    // Refused on receipt: an unknown inject, a team steering the MSEL, a bad op.
    assert_eq!(d.rejected(4, msel("nope", "fire")).await, "unknown_inject");
    assert_eq!(d.rejected(5, msel("call", "explode")).await, "bad_command");
    assert_eq!(a.rejected(1, msel("call", "fire")).await, "bad_command");
    let mut seq = 5;
    let mut step = async |d: &mut Client, to: u64| {
        seq += 1;
        d.acked(seq, json!({"action": "step"})).await;
        d.view_at(to).await
    };
    let view = step(&mut d, 1).await;
    assert_eq!(entry(&view, "call")["status"], "fired");
    assert_eq!(entry(&view, "call")["how"], "director");
    assert_eq!(entry(&view, "late")["status"], "held");
    assert_eq!(entry(&view, "spare")["status"], "skipped");
    a.wait_for("the call fired by hand", |v| is_view(v) && v.to_string().contains("CALL-5")).await;
    // Fired: no second firing, not even at its time, nor in its place.
    assert_eq!(d.rejected(100, msel("call", "fire")).await, "inject_fired");
    let again = json!({"action": "inject", "message": "CALL-AGAIN", "to": ["team-a"], "replaces": "call"});
    assert_eq!(d.rejected(99, again).await, "inject_fired");
    // A tick that changes nothing in the MSEL leaves it out of the frame;
    // the console keeps the one it holds.
    let view = step(&mut d, 2).await;
    let frame: serde_json::Value = serde_json::from_str(d.raw.last().unwrap()).unwrap();
    assert_eq!((kind(&frame), frame["tick"].as_u64()), ("director_tick", Some(2)), "{frame}");
    assert!(frame.get("msel").is_none(), "{frame}");
    assert_eq!(entry(&view, "call")["status"], "fired");
    for tick in 3..=6 {
        step(&mut d, tick).await;
    }
    a.view_at(6).await;
    assert!(!got(&a, "LATE-3"), "held past its time");
    let calls: std::collections::BTreeSet<u64> = a
        .frames()
        .iter()
        .filter(|f| is_view(f))
        .flat_map(|f| f["messages"].as_array().cloned().unwrap_or_default())
        .filter(|m| m["text"] == "CALL-5")
        .filter_map(|m| m["tick"].as_u64())
        .collect();
    assert_eq!(calls.into_iter().collect::<Vec<_>>(), [1], "CALL-5 came once, at tick 1");
    // Released at 7: its time has passed, so it comes at once.
    d.acked(101, msel("late", "release")).await;
    let view = step(&mut d, 7).await;
    assert_eq!(entry(&view, "late")["since"], 7);
    a.wait_for("the late inject at its release", |v| is_view(v) && v.to_string().contains("LATE-3")).await;
    for tick in 8..=10 {
        step(&mut d, tick).await;
    }
    a.view_at(10).await;
    assert!(!got(&a, "SPARE-8"), "skipped");

    // The journal replays bit for bit, and the report says what the director did.
    let (ok, out, err) = replay_verify(&server.journal);
    assert!(ok, "{out}\n{err}");
    let report_dir = dir.path().join("report");
    let report = std::process::Command::new(cascade_bin())
        .arg("report")
        .arg(&server.journal)
        .arg("--out")
        .arg(&report_dir)
        .output()
        .unwrap();
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let md = std::fs::read_to_string(report_dir.join("report.md")).unwrap();
    assert!(md.contains("| call | 08:01 (by hand) |"), "{md}");
    assert!(md.contains("Not delivered, by the director's decision: spare (skipped at 08:01)."), "{md}");
    assert!(md.contains("| late | 08:07 (held from 08:01, then released) |"), "{md}");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["injects_not_fired"][0]["inject"], "spare");
}
