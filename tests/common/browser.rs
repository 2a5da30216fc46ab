//! A real browser for the portal's end-to-end tests: Debian's headless
//! Chromium, driven over the Chrome DevTools Protocol (a websocket of JSON
//! commands) with the websocket client the other tests already use — a few
//! hundred lines instead of a CDP crate with thousands of generated types.
//!
//! Every wait is bounded (`TIMEOUT`), the browser runs with its own empty
//! profile in a temporary directory, and it is killed on drop. What the page
//! logs — console errors, uncaught exceptions, Content-Security-Policy
//! violations — is kept so a test can assert there was none.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The longest a single wait may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// The browser: `$CASCADE_CHROMIUM`, else Debian's.
pub fn chromium_path() -> PathBuf {
    let path = std::env::var_os("CASCADE_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "the portal's tests need Chromium at {} (Debian: apt-get install chromium; .ci/run installs it; \
         or set CASCADE_CHROMIUM to another Chromium or Chrome binary)",
        path.display()
    );
    path
}

pub struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: Option<String>,
    /// Console errors, exceptions and log entries of level error (CSP
    /// violations among them), as text.
    pub problems: Vec<String>,
}

impl Browser {
    /// Starts headless Chromium with `extra` flags.
    pub async fn launch(extra: &[&str]) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut command = Command::new(chromium_path());
        command
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--mute-audio",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--window-size=1280,720",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("cannot start chromium");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut found = false;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if !found && let Some(at) = line.find("ws://") {
                    found = true;
                    let _ = tx.send(line[at..].trim().to_string());
                }
            }
        });
        let url = match rx.recv_timeout(TIMEOUT) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("chromium did not print its DevTools address within {TIMEOUT:?}");
            }
        };
        let (ws, _) = timeout(TIMEOUT, tokio_tungstenite::connect_async(url.as_str()))
            .await
            .expect("DevTools connection timed out")
            .expect("cannot connect to DevTools");
        Browser { child, _profile: profile, ws, next_id: 0, session: None, problems: Vec::new() }
    }

    /// Sends a command (to the page once one is open) and returns its result;
    /// a DevTools error panics, naming the command.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut frame = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            frame["sessionId"] = json!(session);
        }
        self.ws.send(Message::text(frame.to_string())).await.expect("DevTools send");
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = timeout(deadline.saturating_duration_since(Instant::now()), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("DevTools did not answer {method} within {TIMEOUT:?}"))
                .expect("DevTools closed")
                .expect("DevTools read");
            let Message::Text(text) = message else { continue };
            let v: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
            if v["id"] == id {
                if let Some(error) = v.get("error") {
                    panic!("DevTools {method} failed: {error}");
                }
                return v["result"].clone();
            }
            self.note_event(&v);
        }
    }

    fn note_event(&mut self, v: &Value) {
        let params = &v["params"];
        match v["method"].as_str().unwrap_or("") {
            "Runtime.exceptionThrown" => {
                let d = &params["exceptionDetails"];
                let text = d["exception"]["description"].as_str().or(d["text"].as_str()).unwrap_or("?");
                self.problems.push(format!("exception: {text}"));
            }
            "Runtime.consoleAPICalled" if params["type"] == "error" => {
                let args: Vec<String> = params["args"]
                    .as_array()
                    .map(|a| {
                        a.iter().map(|x| x["value"].as_str().map_or_else(|| x.to_string(), str::to_string)).collect()
                    })
                    .unwrap_or_default();
                self.problems.push(format!("console.error: {}", args.join(" ")));
            }
            "Log.entryAdded" if params["entry"]["level"] == "error" => {
                let text = params["entry"]["text"].as_str().unwrap_or("?");
                // The page's own reconnection attempts while a test cuts the
                // network are expected, not problems.
                if !text.contains("WebSocket connection to") {
                    self.problems.push(format!("log: {text}"));
                }
            }
            _ => {}
        }
    }

    /// Opens a tab at `url` with a `width`×`height` viewport and waits for the
    /// page to load.
    pub async fn open(&mut self, url: &str, width: u32, height: u32) {
        let target = self.call("Target.createTarget", json!({"url": "about:blank"})).await;
        let target = target["targetId"].as_str().unwrap().to_string();
        let attached = self.call("Target.attachToTarget", json!({"targetId": target, "flatten": true})).await;
        self.session = Some(attached["sessionId"].as_str().unwrap().to_string());
        self.call("Runtime.enable", json!({})).await;
        self.call("Log.enable", json!({})).await;
        self.call("Page.enable", json!({})).await;
        self.viewport(width, height).await;
        self.navigate(url).await;
    }

    pub async fn viewport(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
    }

    /// Prefers a dark or light colour scheme (`"dark"`, `"light"`).
    pub async fn color_scheme(&mut self, scheme: &str) {
        self.call(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        )
        .await;
    }

    pub async fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url})).await;
        self.wait_for("the page to load", "document.readyState === 'complete'").await;
    }

    /// Evaluates `expression` in the page (promises awaited) and returns its
    /// value; an exception panics with the expression.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call("Runtime.evaluate", json!({"expression": expression, "returnByValue": true, "awaitPromise": true}))
            .await;
        if let Some(e) = result.get("exceptionDetails") {
            panic!("the page threw evaluating {expression}: {e}");
        }
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it is truthy (JS truthiness), every 50 ms,
    /// and returns its value; panics after `TIMEOUT` with `what` and the page's
    /// text.
    pub async fn wait_for(&mut self, what: &str, expression: &str) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let v = self
                .eval(&format!("(() => {{ try {{ return ({expression}); }} catch (e) {{ return null; }} }})()"))
                .await;
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return v;
            }
            if Instant::now() >= deadline {
                let text = self.eval("document.body ? document.body.innerText : ''").await;
                panic!("timed out waiting for {what} ({expression}); the page shows:\n{}", text.as_str().unwrap_or(""));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The text the page shows.
    pub async fn text(&mut self) -> String {
        self.eval("document.body.innerText").await.as_str().unwrap_or("").to_string()
    }

    /// Presses a key as a person would (keydown, char, keyup) on whatever has
    /// the focus. `key` is a DOM key name (`"Tab"`, `"Enter"`, `"a"`).
    pub async fn press(&mut self, key: &str, shift: bool) {
        let (code, vk, text) = match key {
            "Tab" => ("Tab", 9, ""),
            "Enter" => ("Enter", 13, "\r"),
            "Escape" => ("Escape", 27, ""),
            "ArrowDown" => ("ArrowDown", 40, ""),
            "ArrowUp" => ("ArrowUp", 38, ""),
            " " => ("Space", 32, " "),
            k => ("", k.chars().next().map_or(0, |c| c.to_ascii_uppercase() as i64), k),
        };
        let modifiers = if shift { 8 } else { 0 };
        let base = json!({"key": key, "code": code, "windowsVirtualKeyCode": vk, "modifiers": modifiers});
        let mut down = base.clone();
        down["type"] = json!(if text.is_empty() { "rawKeyDown" } else { "keyDown" });
        if !text.is_empty() {
            down["text"] = json!(text);
        }
        self.call("Input.dispatchKeyEvent", down).await;
        let mut up = base;
        up["type"] = json!("keyUp");
        self.call("Input.dispatchKeyEvent", up).await;
    }

    /// Types text into the focused element.
    pub async fn type_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text})).await;
    }

    /// A PNG of the viewport, written to `path`.
    pub async fn screenshot(&mut self, path: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"})).await;
        let png = base64_decode(shot["data"].as_str().expect("screenshot data"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    /// Takes the events DevTools sent meanwhile (console errors and the like)
    /// into `problems`.
    pub async fn drain_events(&mut self) {
        // A cheap round trip: events before its answer are read on the way.
        self.call("Runtime.evaluate", json!({"expression": "0"})).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = text.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, c)| n | (u32::from(value(*c)) << (18 - 6 * i)));
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    out
}

/// A TCP relay between the browser and the host that a test can cut: every
/// connection through it is dropped at once, and new ones are refused until
/// `heal`. (The page must notice, say it is offline, and recover.)
pub struct Relay {
    pub addr: std::net::SocketAddr,
    cut: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    pub async fn start(upstream: std::net::SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, cut_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { return };
                let mut cut_rx = cut_rx.clone();
                if *cut_rx.borrow() {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut_rx.wait_for(|c| *c) => {}
                    }
                });
            }
        });
        Relay { addr, cut }
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        let _ = self.cut.send(true);
    }

    pub fn heal(&self) {
        let _ = self.cut.send(false);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(super::base64_decode("aGVsbG8="), b"hello");
        assert_eq!(super::base64_decode("aGk="), b"hi");
        assert_eq!(super::base64_decode("YWJj"), b"abc");
    }
}
