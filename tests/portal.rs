//! The player portal and how players reach it, against the real `cascade
//! serve`: the page and its files on the websocket's port (strict policy, no
//! exercise state in any HTTP response, bad requests answered and closed), the
//! join kit beside the journal, and https/wss with a self-signed certificate
//! (`cascade bot` over wss with `--ca-cert`, refused without it). The page in a
//! real browser is tests/portal_browser.rs.

#[path = "common/host.rs"]
mod common;

use std::net::SocketAddr;

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

fn addr_of(url: &str) -> SocketAddr {
    url.split_once("://").unwrap().1.parse().unwrap()
}

/// Sends `request` raw and reads the whole response (the host closes after
/// one answer).
async fn http(addr: SocketAddr, request: &[u8]) -> String {
    let mut tcp = timeout(TIMEOUT, TcpStream::connect(addr)).await.unwrap().unwrap();
    tcp.write_all(request).await.unwrap();
    let mut response = Vec::new();
    timeout(TIMEOUT, tcp.read_to_end(&mut response)).await.expect("the host closes after answering").unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

/// A team's page in a join kit (`teams/<NN>-<team>.html`).
fn team_page(kit: &std::path::Path, team: &str) -> String {
    let suffix = format!("-{team}.html");
    let page = std::fs::read_dir(kit.join("teams"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_str().unwrap().ends_with(&suffix))
        .unwrap_or_else(|| panic!("no page for {team} in {}", kit.display()));
    std::fs::read_to_string(page).unwrap()
}

fn status(response: &str) -> u16 {
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_is_served_on_the_websocket_port_with_a_strict_policy_and_nothing_of_the_exercise() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "portal", &[]);
    let addr = addr_of(&server.url);
    let mut secrets: Vec<&str> = server.tokens.teams.values().map(String::as_str).collect();
    secrets.push(&server.tokens.director);

    let mut bodies = String::new();
    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/portal.js", "text/javascript; charset=utf-8"),
        ("/portal.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
        ("/?join=x", "text/html; charset=utf-8"),
    ] {
        let response = http(addr, format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).await;
        assert_eq!(status(&response), 200, "{path}: {response:.300}");
        assert_eq!(header(&response, "content-type"), Some(content_type), "{path}");
        let csp = header(&response, "content-security-policy").expect("a CSP on every response");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {directive} missing from {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains("http"), "{csp}");
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
        assert_eq!(header(&response, "referrer-policy"), Some("no-referrer"));
        let body = response.split_once("\r\n\r\n").unwrap().1;
        assert_eq!(header(&response, "content-length").unwrap().parse::<usize>().unwrap(), body.len(), "{path}");
        assert!(!body.trim().is_empty(), "{path} is empty");
        bodies.push_str(body);
    }
    // The page loads nothing from elsewhere and nothing inline.
    let page = http(addr, b"GET / HTTP/1.1\r\n\r\n").await;
    for forbidden in ["<script>", "style=\"", "onclick=", "https://", "http://"] {
        assert!(!page.contains(forbidden), "the page holds {forbidden:?}");
    }
    assert!(page.contains("src=\"/portal.js\"") || page.contains("src=\"portal.js\""), "the page loads its script");
    // The same files for everyone: no token, no team, no scenario.
    for secret in &secrets {
        assert!(!bodies.contains(secret), "a token in an HTTP response");
    }
    for id in ["team-a", "team-b", "Host test", "a-core", "Alpha core"] {
        assert!(!bodies.contains(id), "{id:?} (the exercise's) in an HTTP response");
    }

    // Anything else is refused with a status that says why, and closed.
    let head = http(addr, b"HEAD /portal.js HTTP/1.1\r\n\r\n").await;
    assert_eq!(status(&head), 200);
    assert!(head.ends_with("\r\n\r\n"), "HEAD has no body");
    for (request, expected) in [
        (&b"GET /journal.jsonl HTTP/1.1\r\n\r\n"[..], 404),
        (b"GET /../../etc/passwd HTTP/1.1\r\n\r\n", 404),
        (b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 405),
        (b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: x\r\n\r\n", 426),
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03junk\r\n\r\n", 400),
    ] {
        let response = http(addr, request).await;
        assert_eq!(status(&response), expected, "{:?}: {response:.200}", String::from_utf8_lossy(request));
    }
    let huge = format!("GET / HTTP/1.1\r\nX-Filler: {}\r\n\r\n", "a".repeat(20_000));
    assert_eq!(status(&http(addr, huge.as_bytes()).await), 431);

    // The websocket on the same port still works, and the page's requests
    // took no place a team needs.
    let mut team = server.team("team-a", "after-http").await;
    team.acked(1, json!({"action": "investigate", "asset": "a-core"})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_join_kit_holds_a_page_per_team_and_loopback_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "kit", &[]);
    let portal = server.stdout.iter().find_map(|l| l.strip_prefix("portal ")).expect("a `portal` line").to_string();
    assert_eq!(portal, format!("{}/", server.url.replace("ws://", "http://")));
    let kit_line = server.stdout.iter().find(|l| l.starts_with("join kit in ")).expect("a `join kit in` line");
    let kit = dir.path().join("kit.jsonl.join");
    assert!(kit_line.contains("kit.jsonl.join"), "{kit_line}");
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("warning: listening on the loopback address 127.0.0.1: only this machine can join"), "{log}");

    let index = std::fs::read_to_string(kit.join("index.html")).unwrap();
    assert!(index.contains("only this machine can join"), "the kit says so too");
    for (team, token) in &server.tokens.teams {
        let link = format!("{portal}#join={token}");
        assert!(index.contains(&link), "{team}'s link in the index");
        let page = team_page(&kit, team);
        assert!(page.contains(&link) && page.contains(&format!("<code>{token}</code>")), "{team}'s page");
        assert!(page.contains(&format!("cascade play {} --token {token}", server.url)), "{team}'s play line");
        for (other, other_token) in &server.tokens.teams {
            assert!(other == team || !page.contains(other_token.as_str()), "{team}'s page holds {other}'s token");
        }
        assert!(!page.contains(&server.tokens.director), "a team page holds the director's token");
    }
    assert!(!index.contains(&server.tokens.director), "the kit never holds the director's token");
    let csv = std::fs::read_to_string(kit.join("links.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + server.tokens.teams.len(), "{csv}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for dir in [kit.clone(), kit.join("teams")] {
            assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
            for entry in std::fs::read_dir(&dir).unwrap() {
                let meta = entry.unwrap().metadata().unwrap();
                if meta.is_file() {
                    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
                }
            }
        }
    }

    // The director is told the same on joining (`hello` checks the frame).
    let _director = server.director().await;
    // A client asking for TLS of a plain host is told to use ws://.
    let secure_client = bot(&[&server.url.replace("ws://", "wss://"), "--token", server.tokens.team("csirt")]);
    assert!(secure_client.contains("the host does not serve TLS: use ws://"), "{secure_client}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_url_sets_the_links_and_must_match_the_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "public", &["--public-url", "http://exercise.lan:8080/"]);
    let token = server.tokens.team("csirt");
    let page = team_page(&dir.path().join("public.jsonl.join"), "csirt");
    assert!(page.contains(&format!("http://exercise.lan:8080/#join={token}")), "{page}");
    assert!(page.contains(&format!("cascade play ws://exercise.lan:8080 --token {token}")), "{page}");

    let scenario = dir.path().join("public.ron");
    let out = std::process::Command::new(cascade_bin())
        .arg("serve")
        .arg(&scenario)
        .args(["--addr", "127.0.0.1:0", "--public-url", "https://exercise.lan", "--journal"])
        .arg(dir.path().join("never.jsonl"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--public-url") && err.contains("http://"), "{err}");
    assert!(!dir.path().join("never.jsonl").exists(), "nothing written on a bad option");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_host_serves_https_and_wss_and_clients_trust_it_only_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "tls", &["--tls-self-signed"]);
    assert!(server.url.starts_with("wss://127.0.0.1:"), "{}", server.url);
    let fingerprint = server
        .stdout
        .iter()
        .find_map(|l| l.strip_prefix("certificate SHA-256 fingerprint "))
        .expect("the fingerprint is printed")
        .to_string();
    assert_eq!(fingerprint.len(), 95, "{fingerprint}");
    let cert = dir.path().join("tls.jsonl.tls/cert.pem");
    assert!(cert.exists() && dir.path().join("tls.jsonl.tls/key.pem").exists());

    // wss with the certificate trusted: a team joins and acts.
    let mut team = Client::connect_tls(&server.url, &cert).await;
    team.hello(server.tokens.team("team-a"), "tls-client").await;
    team.acked(1, json!({"action": "investigate", "asset": "a-core"})).await;

    // Plain HTTP to the TLS port is told, in plain HTTP, to use https, and
    // disturbs nothing.
    let addr = addr_of(&server.url);
    let plain = http(addr, b"GET / HTTP/1.1\r\n\r\n").await;
    assert_eq!(status(&plain), 400, "{plain}");
    assert!(plain.contains("served over TLS") && plain.contains("https://"), "{plain}");
    team.acked(2, json!({"action": "investigate", "asset": "a-edge"})).await;

    // The kit's links are https and show the fingerprint.
    let page = team_page(&dir.path().join("tls.jsonl.join"), "team-b");
    assert!(page.contains(&format!("https://127.0.0.1:{}/#join=", addr.port())) && page.contains(&fingerprint));

    // The real clients: `cascade bot` joins with --ca-cert and the join link,
    // and without it refuses the certificate, saying so.
    let link = format!("https://127.0.0.1:{}/#join={}", addr.port(), server.tokens.team("csirt"));
    let joined = bot(&[&link, "--ca-cert", cert.to_str().unwrap()]);
    assert!(joined.contains("joined"), "{joined}");
    let refused = bot(&[&server.url, "--token", server.tokens.team("csirt")]);
    assert!(refused.contains("does not trust the host's certificate") && refused.contains("--ca-cert"), "{refused}");
    assert!(!refused.contains("joined") && !refused.contains("retrying"), "no retrying what cannot work: {refused}");
    // The wrong scheme says which to use.
    let plain_client = bot(&[&server.url.replace("wss://", "ws://"), "--token", server.tokens.team("csirt")]);
    assert!(plain_client.contains("the host serves TLS: use wss://"), "{plain_client}");

    // A restarted host keeps its certificate: players keep the fingerprint.
    drop(team);
    drop(server);
    let again = Server::resume(&dir.path().join("tls.jsonl"), &["--tls-self-signed"]);
    assert!(again.stdout.iter().any(|l| l.ends_with(&fingerprint)), "{:?}", again.stdout);
    assert!(again.stdout.iter().any(|l| l.contains("kept from an earlier run")), "{:?}", again.stdout);
    // Resumed under a name the kept certificate lacks, or without TLS: warned.
    drop(again);
    let renamed =
        Server::resume(&dir.path().join("tls.jsonl"), &["--tls-self-signed", "--public-url", "https://exercise.lan"]);
    let log = std::fs::read_to_string(&renamed.log).unwrap();
    assert!(log.contains("does not name exercise.lan"), "{log}");
    drop(renamed);
    let plain = Server::resume(&dir.path().join("tls.jsonl"), &[]);
    let log = std::fs::read_to_string(&plain.log).unwrap();
    assert!(log.contains("was served over TLS") && log.contains("--tls-self-signed"), "{log}");
}

/// `cascade bot ARGS --retries 1` for a moment; what it printed.
fn bot(args: &[&str]) -> String {
    let mut child = std::process::Command::new(cascade_bin())
        .arg("bot")
        .args(args)
        .args(["--retries", "1", "--policy", "passive"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_kit_that_cannot_be_written_is_a_warning_not_a_stop() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the kit's directory goes.
    std::fs::write(dir.path().join("blocked.jsonl.join"), "in the way").unwrap();
    let server = Server::start(dir.path(), "blocked", &[]);
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("warning: no join kit:") && log.contains("in the way"), "{log}");
    assert!(!server.stdout.iter().any(|l| l.starts_with("join kit in")), "{:?}", server.stdout);
    // The exercise runs: a team joins and acts.
    let mut team = server.team("team-a", "despite-the-kit").await;
    team.acked(1, json!({"action": "investigate", "asset": "a-core"})).await;
    assert_eq!(std::fs::read_to_string(dir.path().join("blocked.jsonl.join")).unwrap(), "in the way");
}

/// `cascade serve` with `RUST_LOG` set to `filter` (or unset), its stderr in
/// `log`; returns the child and its websocket address.
fn serve_logging(
    dir: &std::path::Path,
    name: &str,
    filter: Option<&str>,
) -> (std::process::Child, String, std::path::PathBuf) {
    use std::io::BufRead;
    let scenario = dir.join(format!("{name}.ron"));
    std::fs::write(&scenario, SCENARIO).unwrap();
    let log = dir.join(format!("{name}.log"));
    let mut command = std::process::Command::new(cascade_bin());
    command
        .arg("serve")
        .arg(&scenario)
        .args(["--addr", "127.0.0.1:0", "--journal"])
        .arg(dir.join(format!("{name}.jsonl")));
    command.env_remove("RUST_LOG");
    if let Some(filter) = filter {
        command.env("RUST_LOG", filter);
    }
    command.stdout(std::process::Stdio::piped()).stderr(std::fs::File::create(&log).unwrap());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = lines.next().unwrap().unwrap().strip_prefix("listening on ").unwrap().to_string();
    std::thread::spawn(move || for _ in lines {});
    (child, url, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_library_never_logs_tokens_or_a_line_per_connection() {
    let dir = tempfile::tempdir().unwrap();
    for (name, filter) in
        [("quiet", None), ("verbose", Some("trace,tungstenite::protocol=trace,tokio_tungstenite=trace"))]
    {
        let (mut child, url, log) = serve_logging(dir.path(), name, filter);
        let tokens = Tokens::read(&dir.path().join(format!("{name}.jsonl.tokens.json")));
        let mut director = Client::connect(&url).await;
        director.hello(&tokens.director, "console").await;
        let mut team = Client::connect(&url).await;
        team.hello(tokens.team("team-a"), "analyst").await;
        // Connections that upgrade and close without a hello.
        for _ in 0..200 {
            Client::connect(&url).await.close().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(!text.contains(&tokens.director), "{name}: the director's token is in the log");
        for token in tokens.teams.values() {
            assert!(!text.contains(token.as_str()), "{name}: a team token is in the log");
        }
        assert!(
            !text.contains("tungstenite") || filter.is_some(),
            "{name}: the websocket library logs by default:\n{text:.2000}"
        );
        if filter.is_none() {
            assert!(
                text.lines().count() < 20,
                "{name}: {} lines for 200 connections:\n{text:.2000}",
                text.lines().count()
            );
        }
    }
}
