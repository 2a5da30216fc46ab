//! `cascade serve` against clients that misbehave on purpose, each test
//! bounded to a few seconds: connections that never say hello and handshakes
//! sent a byte at a time (they must never lock out a team or the director),
//! floods of commands (every seq answered, none silently dropped), a frame too
//! large while the client keeps writing, text that is not UTF-8 and broken
//! websocket frames (each closed with its code, cleanly: the client reads the
//! close frame, not a reset).

#[path = "common/host.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout};

fn message(to: &[&str], text: &str) -> Value {
    json!({"action": "message", "to": to, "text": text, "tlp": "TLP:RED"})
}

fn server_addr(server: &Server) -> SocketAddr {
    server.url.strip_prefix("ws://").unwrap().parse().unwrap()
}

/// A TCP connection to the server from the loopback address `from`
/// (127.0.0.0/8 is all loopback on Linux: a test can be several hosts).
async fn tcp_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from.parse::<IpAddr>().unwrap(), 0)).unwrap();
    timeout(TIMEOUT, socket.connect(to)).await.expect("connect timed out").expect("connect")
}

/// Whether the server has closed `stream` (end of stream or reset) within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // an HTTP error page or a close frame: read on
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_and_slow_handshakes_never_lock_out_the_director_or_a_team() {
    let dir = tempfile::tempdir().unwrap();
    // Room for the three teams and the director (half the places are kept for directors).
    let args = [
        "--hello-timeout-ms",
        "1500",
        "--max-connections",
        "8",
        "--max-waiting",
        "200",
        "--max-waiting-per-address",
        "50",
    ];
    let mut server = Server::start(dir.path(), "siege", &args);
    let addr = server_addr(&server);
    // 300 connections that never send a byte, from the address the teams
    // use, and 100 from another one...
    let mut silent = Vec::new();
    for i in 0..400 {
        let from = if i < 300 { "127.0.0.1" } else { "127.0.0.2" };
        silent.push(tcp_from(from, addr).await);
    }
    // ... of which all but 50 per address gave their place to the next at once.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut displaced = 0;
    for stream in silent.iter_mut() {
        if closed_within(stream, Duration::from_millis(1)).await {
            displaced += 1;
        }
    }
    assert_eq!(displaced, 300, "each address keeps at most 50 waiting");
    // ... 20 handshakes sent a byte every 100 ms from a third (they would
    // need seconds to finish) ...
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = tcp_from("127.0.0.3", addr).await;
        slow.push(tokio::spawn(async move {
            let request = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
            for byte in request {
                if stream.write_all(&[*byte]).await.is_err() {
                    return true; // cut by the server
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        }));
    }
    // ... and 50 websockets upgraded but silent, from a fourth.
    let mut mute = Vec::new();
    for _ in 0..50 {
        let stream = tcp_from("127.0.0.4", addr).await;
        mute.push(Client::over(&server.url, stream).await);
    }
    let started = Instant::now();

    // The director and every team join and play all the same.
    let mut d = server.director().await;
    let mut teams = Vec::new();
    for (team, client) in [("team-a", "ui-a"), ("team-b", "ui-b"), ("csirt", "ui-c")] {
        teams.push((team, server.team(team, client).await));
    }
    d.acked(1, json!({"action": "step"})).await;
    for (i, (team, c)) in teams.iter_mut().enumerate() {
        let tick = c.acked(1 + i as u64, message(&[team], "we are in")).await;
        d.acked(10 + i as u64, json!({"action": "step"})).await;
        c.view_at(tick).await;
    }

    // Every silent, slow and mute connection is closed by the hello
    // deadline (1.5 s from its accept), whatever it holds.
    let wait = Duration::from_millis(3000).saturating_sub(started.elapsed()).max(Duration::from_millis(500));
    let mut open = 0;
    for stream in silent.iter_mut() {
        if !closed_within(stream, wait).await {
            open += 1;
        }
    }
    assert_eq!(open, 0, "{open} silent connections still open after the hello deadline");
    for task in slow {
        assert!(timeout(TIMEOUT, task).await.unwrap().unwrap(), "a slow handshake was cut before it finished");
    }
    for mut c in mute {
        let (code, frames) = c.closing().await;
        assert!(matches!(code, Some(1008) | Some(1013)), "{code:?} {frames:?}");
    }
    assert!(server.alive());
    // The teams are still joined and served.
    for (i, (team, c)) in teams.iter_mut().enumerate() {
        c.acked(100 + i as u64, message(&[team], "still in")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_hundreds_of_commands_gets_one_answer_per_seq() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "burst", &["--rate", "1000"]);
    let mut a = server.team("team-a", "ui-a").await;
    // 600 commands sent before reading a single answer.
    for seq in 1..=600 {
        a.command(seq, message(&["team-a"], &format!("burst {seq}"))).await;
    }
    let got = answers(&mut a, 600).await;
    assert_eq!(got.keys().copied().collect::<BTreeSet<u64>>(), (1..=600).collect());
    let acked = got.values().filter(|kind| *kind == "ack").count();
    let limited = got.values().filter(|kind| *kind == "rate_limited").count();
    assert_eq!(acked + limited, 600, "{got:?}");
    assert!(acked >= 500, "a 1000 per second bucket takes most of the burst: {acked} acked");
    let journaled: BTreeSet<u64> = journal_commands(&server.journal)
        .iter()
        .filter(|c| c["client"] == "ui-a")
        .map(|c| c["seq"].as_u64().unwrap())
        .collect();
    let acked_seqs: BTreeSet<u64> = got.iter().filter(|(_, k)| *k == "ack").map(|(s, _)| *s).collect();
    assert_eq!(journaled, acked_seqs, "exactly the acked commands are journaled");

    // At the default rate, 20 per second, the refusals name their seq too.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "burst-default", &[]);
    let mut b = server.team("team-b", "ui-b").await;
    for seq in 1..=300 {
        b.command(seq, message(&["team-b"], &format!("burst {seq}"))).await;
    }
    let got = answers(&mut b, 300).await;
    assert_eq!(got.keys().copied().collect::<BTreeSet<u64>>(), (1..=300).collect());
    let acked = got.values().filter(|kind| *kind == "ack").count();
    assert!((20..=25).contains(&acked), "{acked} acked");
    assert_eq!(got.values().filter(|kind| *kind == "rate_limited").count(), 300 - acked);
    // The log names the first few refusals, not every one.
    b.close().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert_eq!(log.matches(": rate_limited").count(), 10, "{log}");
    assert!(log.contains(&format!("{} frames refused in all", 300 - acked)), "{log}");
}

/// Reads until `n` distinct seqs are answered: seq → `ack` or the reject code.
/// A seq answered twice fails the test.
async fn answers(c: &mut Client, n: usize) -> BTreeMap<u64, String> {
    let mut answers = BTreeMap::new();
    while answers.len() < n {
        let f = c.wait_for("an answer", |v| matches!(kind(v), "ack" | "reject" | "error")).await;
        assert_ne!(kind(&f), "error", "{f}");
        let seq = f["seq"].as_u64().unwrap();
        let answer = if kind(&f) == "ack" { "ack".to_string() } else { f["code"].as_str().unwrap().to_string() };
        assert!(answers.insert(seq, answer).is_none(), "seq {seq} answered twice");
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_floods_without_reading_is_held_back_and_every_command_answered() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "flood", &["--rate", "100000"]);
    let mut a = server.team("team-a", "ui-a").await;
    let mut b = server.team("team-b", "ui-b").await;
    // 3000 commands, nothing read: the host stops reading this client while
    // its answers wait, then goes on.
    let flood = tokio::spawn(async move {
        for seq in 1..=3000 {
            a.command(seq, message(&["team-a"], "flood")).await;
        }
        a
    });
    // Another team is served meanwhile.
    tokio::time::sleep(Duration::from_millis(200)).await;
    b.acked(1, message(&["team-b"], "unbothered")).await;
    let mut a = timeout(TIMEOUT, flood).await.expect("the flood was taken in").unwrap();
    let got = answers(&mut a, 3000).await;
    assert!(got.values().all(|a| a == "ack"), "every command acked");
    assert!(server.alive());
    b.acked(2, message(&["team-b"], "still unbothered")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_too_large_closes_1009_cleanly_while_the_client_keeps_writing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "large", &[]);
    for round in 0..5 {
        let mut a = server.team("team-a", &format!("ui-{round}")).await;
        // A 1 MiB text frame: its header, then the whole payload, written on
        // although the server refused the frame at its header.
        let payload = vec![b'y'; 1 << 20];
        let frame = masked_frame(0x1, &payload);
        a.send_raw(&frame).await;
        let (code, frames, clean) = a.closing_cleanly().await;
        let errors: Vec<&Value> = frames.iter().filter(|f| !is_view(f) && kind(f) != "clock").collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["code"], "frame_too_large");
        assert_eq!(code, Some(1009), "round {round}");
        assert!(clean, "round {round}: the close frame, then the end of the stream; no reset");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_that_is_not_utf8_closes_1007_and_a_broken_frame_1002() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "utf8", &[]);
    let mut b = server.team("team-b", "ui-b").await;
    // Not UTF-8, before hello and after.
    for hello in [false, true] {
        let mut a = server.connect().await;
        if hello {
            a.hello(server.tokens.team("team-a"), "ui-a").await;
        }
        a.send_raw(&masked_frame(0x1, b"{\"type\":\"hello\xff\xfe\"}")).await;
        let (code, frames, clean) = a.closing_cleanly().await;
        let errors: Vec<&Value> = frames.iter().filter(|f| kind(f) == "error").collect();
        assert_eq!(errors.len(), 1, "{frames:?}");
        assert_eq!(errors[0]["code"], "invalid_utf8");
        assert_eq!(code, Some(1007));
        assert!(clean);
    }
    // A frame without the mask every client frame must have, and one with an
    // opcode that does not exist.
    for frame in [vec![0x81, 0x02, b'{', b'}'], vec![0x83, 0x80, 0, 0, 0, 0]] {
        let mut a = server.connect().await;
        a.send_raw(&frame).await;
        let (code, frames, clean) = a.closing_cleanly().await;
        assert_eq!(frames.iter().map(|f| f["code"].as_str().unwrap()).collect::<Vec<_>>(), ["protocol_error"]);
        assert_eq!(code, Some(1002));
        assert!(clean);
    }
    b.acked(1, message(&["team-b"], "unbothered")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_floods_and_never_reads_is_cut_and_never_wedges_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--rate", "1000000", "--idle-timeout-ms", "1500"];
    let server = Server::start(dir.path(), "wedge", &args);
    let mut d = server.director().await;
    // A team floods refused commands and never reads a byte: its answers pile
    // up, the host stops reading it, then gives up writing to it.
    let mut stream = tcp_from("127.0.0.1", server_addr(&server)).await;
    let key = "dGhlIHNhbXBsZSBub25jZQ==";
    let upgrade = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(upgrade.as_bytes()).await.unwrap();
    let hello = json!({"type": "hello", "token": server.tokens.team("team-a"), "client": "flood", "protocol": 3});
    stream.write_all(&masked_frame(0x1, hello.to_string().as_bytes())).await.unwrap();
    let flood = tokio::spawn(async move {
        let started = Instant::now();
        let mut seq = 0u64;
        while started.elapsed() < Duration::from_secs(8) {
            let mut batch = Vec::new();
            for _ in 0..100 {
                seq += 1;
                let command =
                    json!({"type": "command", "seq": seq, "command": {"action": "isolate", "asset": "nowhere"}});
                batch.extend(masked_frame(0x1, command.to_string().as_bytes()));
            }
            match timeout(Duration::from_millis(200), stream.write_all(&batch)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return (seq, true), // cut by the host
                Err(_) => {}                      // held back: the host does not read it
            }
        }
        (seq, false)
    });
    // Meanwhile, and after the host gave up on the flood, the director is answered.
    for seq in 1..=6u64 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        timeout(Duration::from_secs(2), d.acked(seq, json!({"action": "step"})))
            .await
            .unwrap_or_else(|_| panic!("the director's step {seq} went unanswered: the host is wedged"));
    }
    let (sent, cut) = flood.await.unwrap();
    assert!(cut, "the flood ({sent} commands, none read) was cut");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_team_token_cannot_take_another_teams_place_or_the_directors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "greedy", &["--max-connections", "12", "--max-connections-per-team", "3"]);
    // A leaked token, or a client reconnecting in a loop: team A tries 20 times.
    let mut held = Vec::new();
    let mut refused = Vec::new();
    for i in 0..20 {
        let mut c = server.connect().await;
        c.send_hello(server.tokens.team("team-a"), &format!("greedy-{i}")).await;
        match c.event().await {
            Event::Frame(f) if kind(&f) == "welcome" => held.push(c),
            Event::Frame(f) => {
                let (code, _) = c.closing().await;
                refused.push((f["code"].as_str().unwrap_or_default().to_string(), code));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(held.len(), 3);
    assert!(refused.iter().all(|r| *r == ("team_full".to_string(), Some(1013))), "{refused:?}");
    // The others still join: team B, the CSIRT, and the director.
    let mut b = server.team("team-b", "ui-b").await;
    b.acked(1, message(&["team-b"], "in")).await;
    server.team("csirt", "ui-c").await;
    let mut d = server.director().await;
    d.acked(1, json!({"action": "step"})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_from_connections_without_a_token_does_not_flood_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "churn", &[]);
    // The test's log level is debug: count the lines at warn and info only.
    for _ in 0..50 {
        let mut c = server.connect().await;
        for _ in 0..10 {
            c.send_text("not json at all").await;
        }
        c.send(json!({"type": "hello", "token": "0123456789abcdef0123456789abcdef", "client": "x", "protocol": 3}))
            .await;
        let (code, _) = c.closing().await;
        assert_eq!(code, Some(1008));
    }
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.lines().filter(|l| l.contains(" DEBUG ") && l.contains("bad_json")).count() >= 500, "{log}");
    let loud = log.lines().filter(|l| l.contains(" WARN ") || l.contains(" INFO ")).count();
    assert!(loud < 10, "{loud} lines at info or warn for 50 token-less connections:\n{log}");
}
