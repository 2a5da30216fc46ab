//! End to end: the real `cascade exercise` binary in a pseudo-terminal, its
//! screen read back through a terminal emulator (vt100), driven by key presses
//! as a director would: the console draws, space starts the clock, `?` opens
//! the help and Esc closes it, `q` asks before quitting a running exercise and
//! `y` quits; the process exits 0, leaves the terminal as it found it (main
//! screen, cooked mode, cursor shown) and leaves a journal with checkpoints.
//!
//! This is the only test that exercises what the TestBackend tests cannot: raw
//! mode, the alternate screen, crossterm's key decoding and the real draw loop.
//! Every wait is bounded; a failure prints the screen as the emulator sees it,
//! and the child is killed and reaped on drop.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// The longest any single wait may take.
const TIMEOUT: Duration = Duration::from_secs(15);
const ROWS: u16 = 30;
const COLS: u16 = 100;

type Writer = Arc<Mutex<Box<dyn Write + Send>>>;

/// The emulator's replies to the queries a program may send its terminal.
/// crossterm asks for the cursor position (`ESC [ 6 n`) in some set-ups (an
/// inline viewport, `cursor::position()`) and waits for the answer; today's
/// console does not ask. Every CSI sequence vt100 does not handle is recorded,
/// to show in a failure.
struct Replies {
    writer: Writer,
    unhandled: Vec<String>,
}

impl vt100::Callbacks for Replies {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        // (SGR 59, ratatui's "default underline colour", is not worth listing.)
        let intermediates: String = [i1, i2].iter().flatten().map(|&b| char::from(b)).collect();
        let seen = format!("CSI {intermediates}{params:?} {c}");
        if c != 'm' && !self.unhandled.contains(&seen) {
            self.unhandled.push(seen);
        }
        // Device status report: the cursor position, 1-based.
        if i1.is_none() && c == 'n' && params == [&[6u16][..]] {
            let (row, col) = screen.cursor_position();
            let reply = format!("\x1b[{};{}R", row + 1, col + 1);
            let mut w = self.writer.lock().unwrap();
            let _ = w.write_all(reply.as_bytes()).and_then(|()| w.flush());
        }
    }
}

/// `cascade` running in a pseudo-terminal, its output parsed as it arrives.
struct Console {
    child: Box<dyn Child + Send + Sync>,
    parser: Arc<Mutex<vt100::Parser<Replies>>>,
    writer: Writer,
    reader: Option<JoinHandle<()>>,
    master: Box<dyn MasterPty + Send>,
}

impl Console {
    fn spawn(args: &[&str], dir: &Path) -> Console {
        let pair = native_pty_system()
            .openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 })
            .expect("a pseudo-terminal");
        let mut command = CommandBuilder::new(assert_cmd::cargo::cargo_bin("cascade"));
        command.args(args);
        command.cwd(dir);
        command.env("TERM", "xterm-256color");
        let child = pair.slave.spawn_command(command).expect("cascade starts in the pty");
        // Only the child holds the slave now, so its exit ends the reader.
        drop(pair.slave);
        let writer: Writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let mut output = pair.master.try_clone_reader().unwrap();
        let replies = Replies { writer: writer.clone(), unhandled: Vec::new() };
        let size = |n| NonZeroU16::new(n).unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new_with_callbacks(size(ROWS), size(COLS), 0, replies)));
        let feed = parser.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // EOF, or EIO on Linux, once the child has closed the terminal.
            while let Ok(n @ 1..) = output.read(&mut buf) {
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        Console { child, parser, writer, reader: Some(reader), master: pair.master }
    }

    fn parser(&self) -> MutexGuard<'_, vt100::Parser<Replies>> {
        self.parser.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The visible screen, one string per row, trailing blanks trimmed.
    fn rows(&self) -> Vec<String> {
        let cols = self.parser().screen().size().1.get();
        self.parser().screen().rows(0, cols).map(|r| r.trim_end().to_string()).collect()
    }

    /// Resizes the terminal, as a window manager would (the program gets
    /// SIGWINCH; no key is pressed).
    fn resize(&self, rows: u16, cols: u16) {
        self.parser().set_size(NonZeroU16::new(rows).unwrap(), NonZeroU16::new(cols).unwrap());
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("resize");
    }

    /// The screen and what else helps to understand a failure.
    fn describe(&mut self) -> String {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => format!("exited: {status}"),
            Ok(None) => "running".to_string(),
            Err(e) => format!("unknown: {e}"),
        };
        let rows = self.rows();
        let parser = self.parser();
        let screen = parser.screen();
        format!(
            "process {status}; alternate screen {}; unhandled CSI {:?}\n┌{}\n│{}\n└{}",
            screen.alternate_screen(),
            parser.callbacks().unhandled,
            "─".repeat(usize::from(COLS)),
            rows.join("\n│"),
            "─".repeat(usize::from(COLS)),
        )
    }

    /// Waits until `pred` holds for the screen's rows; fails showing the screen.
    #[track_caller]
    fn wait_for_screen(&mut self, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let rows = self.rows();
            if pred(&rows) {
                return rows;
            }
            if Instant::now() >= deadline {
                panic!("timed out after {TIMEOUT:?} waiting for {what}; {}", self.describe());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The terminal's local modes by name (`ICANON`, `ECHO`, … : raw mode
    /// clears both).
    fn local_modes(&self) -> Vec<String> {
        let termios = self.master.get_termios().expect("the terminal's modes");
        // Debug gives `LocalFlags(ECHOKE | ECHO | ICANON | …)`.
        let flags = format!("{:?}", termios.local_flags);
        let names = flags.trim_start_matches("LocalFlags(").trim_end_matches(')');
        names.split(" | ").map(str::to_string).collect()
    }

    fn press(&self, keys: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(keys.as_bytes()).and_then(|()| w.flush()).expect("keys reach the pty");
    }

    /// Waits for the process to exit, then for its last output to be parsed.
    #[track_caller]
    fn wait_for_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                panic!("the process did not exit within {TIMEOUT:?}; {}", self.describe());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while self.reader.as_ref().is_some_and(|r| !r.is_finished()) {
            if Instant::now() >= deadline {
                panic!("the terminal was not closed within {TIMEOUT:?} of the exit; {}", self.describe());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        status
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // portable-pty's kill is a SIGHUP (cascade does not catch it); should
            // the process outlive it, a SIGKILL by its id.
            let _ = self.child.kill();
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if let (Ok(None), Some(pid)) = (self.child.try_wait(), self.child.process_id()) {
                let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
        }
        let _ = self.child.wait();
        // The reader thread ends with the child's end of the terminal; it is
        // detached, never waited for.
        drop(self.reader.take());
    }
}

/// The tick in the header: `Name │ 08:00 t12 │ ▶ running ×10 │ …`, or on a
/// recording `Name │ 08:00 t12/180 │ …`.
fn tick(rows: &[String]) -> Option<u64> {
    let clock = rows.first()?.split('│').nth(1)?;
    clock.split_whitespace().find_map(|w| w.strip_prefix('t')?.split('/').next()?.parse().ok())
}

fn screen_has(rows: &[String], needle: &str) -> bool {
    rows.iter().any(|r| r.contains(needle))
}

#[test]
fn the_director_console_runs_in_a_real_terminal() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.jsonl");
    let journal_arg = journal.to_str().expect("a UTF-8 temporary path");
    // The tutorial lasts 180 ticks: at 10 ticks per second the exercise is
    // still running (18 s) when `q` is pressed, so quitting asks first, even
    // on a loaded machine. Faster, it may end before: `q` would quit at once.
    let args = ["exercise", "scenarios/tutorial.ron", "--journal", journal_arg, "--speed", "10"];
    let mut console = Console::spawn(&args, Path::new(env!("CARGO_MANIFEST_DIR")));

    // The console: the scenario's name and the clock in the header, paused at t0.
    // (The name comes with the welcome, the clock and the panels with the
    // first snapshot, just after.)
    let rows = console.wait_for_screen("the console, connected and paused at 08:00 t0", |rows| {
        rows[0].starts_with("Tutorial: a power cut")
            && rows[0].contains("08:00 t0")
            && screen_has(rows, "⏸ paused ×10")
            && screen_has(rows, "● online")
            && screen_has(rows, "Assets")
    });
    assert!(console.parser().screen().alternate_screen(), "the console draws on the alternate screen");
    let modes = console.local_modes();
    assert!(!modes.contains(&"ICANON".into()) && !modes.contains(&"ECHO".into()), "not in raw mode: {modes:?}");
    for panel in ["Service", "Assets", "Incidents", "Teams", "space pause/resume"] {
        assert!(screen_has(&rows, panel), "{panel:?} missing; {}", console.describe());
    }

    // Space starts the clock; the tick shown increases.
    console.press(" ");
    console.wait_for_screen("running, past tick 0", |rows| {
        screen_has(rows, "▶ running ×10") && tick(rows).is_some_and(|t| t > 0)
    });

    // `?` opens the help over the console; Esc closes it.
    console.press("?");
    console.wait_for_screen("the help overlay", |rows| {
        screen_has(rows, "Help — Esc or ? to close") && screen_has(rows, "step one tick")
    });
    console.press("\x1b");
    console.wait_for_screen("the help closed", |rows| {
        !screen_has(rows, "Help — Esc or ? to close") && screen_has(rows, "space pause/resume")
    });

    // `q` while running asks first (on the status line, above the key hints).
    console.press("q");
    let rows = console.wait_for_screen("the quit confirmation", |rows| {
        screen_has(rows, "The exercise is running: quit the console? y/q/Enter quits, any other key stays")
    });
    assert!(rows[usize::from(ROWS) - 2].contains("quit the console?"), "{}", console.describe());
    assert!(screen_has(&rows, "▶ running"), "{}", console.describe());
    console.press("y");

    let status = console.wait_for_exit();
    assert!(status.success(), "exit status {status}; {}", console.describe());

    // The terminal is restored: back on the main screen (what was printed before
    // the console opened, then the journal's path), cooked mode, cursor shown.
    {
        let parser = console.parser();
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "still on the alternate screen");
        assert!(!screen.hide_cursor(), "the cursor is still hidden");
        // The host's lines from before the console, then, printed after it
        // closed, the journal's path (the last line).
        let main = screen.contents();
        assert!(main.starts_with("listening on ws://127.0.0.1:"), "the main screen:\n{main}");
        let last = main.lines().rfind(|l| !l.trim().is_empty());
        assert_eq!(last, Some(format!("journal {journal_arg}").as_str()), "the main screen:\n{main}");
        assert!(!main.contains("Help — Esc"), "the console leaked onto the main screen:\n{main}");
    }
    let modes = console.local_modes();
    assert!(modes.contains(&"ICANON".into()) && modes.contains(&"ECHO".into()), "raw mode left on: {modes:?}");

    // The journal: its header, then checkpoints from tick 0 onwards.
    let text = std::fs::read_to_string(&journal).unwrap_or_else(|e| panic!("no journal {}: {e}", journal.display()));
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert!(lines.first().is_some_and(|h| h["format"] == 3 && h.get("checkpoint").is_none()), "header:\n{text}");
    let checkpoints: Vec<u64> = lines.iter().filter_map(|l| l.get("checkpoint")?.as_u64()).collect();
    assert_eq!(checkpoints.first(), Some(&0), "checkpoint 0 first:\n{text}");
    assert!(checkpoints.last().is_some_and(|&t| t > 0), "no checkpoint past tick 0: {checkpoints:?}");
    assert!(checkpoints.windows(2).all(|w| w[1] == w[0] + 1), "checkpoints in order: {checkpoints:?}");

    let unhandled = console.parser().callbacks().unhandled.clone();
    eprintln!("pty test: {:.2?}; unhandled CSI sequences: {unhandled:?}", started.elapsed());
}

/// The checkpoint hashes of a journal, by tick.
fn checkpoints(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("no journal {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|l| Some(l.get("hash")?.as_str()?.to_string()))
        .collect()
}

#[test]
fn the_replay_console_seeks_and_branches_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("recorded.jsonl");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let recorded = std::process::Command::new(assert_cmd::cargo::cargo_bin("cascade"))
        .args(["run", "scenarios/tutorial.ron", "--journal"])
        .arg(&journal)
        .current_dir(root)
        .output()
        .unwrap();
    assert!(recorded.status.success(), "{}", String::from_utf8_lossy(&recorded.stderr));
    let recorded_hashes = checkpoints(&journal);
    assert_eq!(recorded_hashes.len(), 181, "the tutorial's 180 ticks and tick 0");

    // Run from the temporary directory: the branch's journal goes to its journals/.
    let mut console = Console::spawn(&["replay", journal.to_str().unwrap()], dir.path());
    console.wait_for_screen("the replay console at t0", |rows| {
        rows[0].contains("08:00 t0/180") && screen_has(rows, "⏵ REPLAY") && screen_has(rows, "Timeline")
    });
    // Go to a tick, step back, jump to the previous event (the tutorial's
    // only one: the first critical outage, at tick 15).
    console.press("t90\r");
    console.wait_for_screen("tick 90", |rows| rows[0].contains(" t90/180"));
    console.press("S");
    console.wait_for_screen("tick 89", |rows| rows[0].contains(" t89/180"));
    console.press("N");
    console.wait_for_screen("the previous event, at tick 15", |rows| rows[0].contains(" t15/180"));
    let at = 15;
    // b asks, then starts a live exercise from that tick in the same terminal.
    console.press("b");
    console.wait_for_screen("the branch confirmation", |rows| {
        screen_has(rows, &format!("Branch a live exercise from t{at}"))
    });
    console.press("y");
    let rows = console.wait_for_screen("the live console on the branch, at the same tick", |rows| {
        screen_has(rows, "● online") && !screen_has(rows, "REPLAY") && tick(rows) == Some(at)
    });
    assert!(screen_has(&rows, "⏸ paused"), "a branch waits for the director; {}", console.describe());
    // The branch is hosted: J shows where players join it.
    console.press("J");
    console.wait_for_screen("the branch's join links", |rows| {
        screen_has(rows, "How players join") && screen_has(rows, "http://127.0.0.1:") && screen_has(rows, "/#join=")
    });
    console.press("\x1b");
    console.wait_for_screen("the join links closed", |rows| !screen_has(rows, "How players join"));
    // One tick of the branch, computed live: the recording's next tick (the
    // same bots, no commands), so the branch really starts from its state.
    console.press("s");
    console.wait_for_screen("the branch's next tick", |rows| tick(rows) == Some(at + 1));
    console.press("q");
    let status = console.wait_for_exit();
    assert!(status.success(), "exit status {status}; {}", console.describe());

    // The branch's journal: the recording up to that tick (copied), then the
    // tick it computed itself, equal to the recording's.
    let branches: Vec<_> = std::fs::read_dir(dir.path().join("journals"))
        .expect("the branch wrote journals/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    assert_eq!(branches.len(), 1, "{branches:?}");
    let branched = checkpoints(&branches[0]);
    assert_eq!(branched.len(), at as usize + 2, "checkpoints 0..={}", at + 1);
    assert_eq!(branched[..], recorded_hashes[..=at as usize + 1]);
}

#[test]
fn with_start_the_exercise_runs_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.jsonl");
    let args =
        ["exercise", "scenarios/tutorial.ron", "--journal", journal.to_str().unwrap(), "--speed", "10", "--start"];
    let mut console = Console::spawn(&args, Path::new(env!("CARGO_MANIFEST_DIR")));
    console.wait_for_screen("running by itself, past tick 0", |rows| {
        screen_has(rows, "▶ running ×10") && tick(rows).is_some_and(|t| t > 0)
    });
    console.press("q");
    console.wait_for_screen("the quit confirmation", |rows| screen_has(rows, "quit the console?"));
    console.press("y");
    let status = console.wait_for_exit();
    assert!(status.success(), "exit status {status}; {}", console.describe());
    // The start is the director's first command in the journal, like a space.
    let text = std::fs::read_to_string(&journal).unwrap();
    let first_command = text.lines().find(|l| l.contains("\"team\":\"director\"")).unwrap_or_default();
    assert!(first_command.contains(r#""command":{"action":"start"}"#), "{first_command}");
}

#[test]
fn the_console_of_an_encrypted_exercise_joins_it_over_wss_and_shows_the_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("tls.jsonl");
    let args = ["exercise", "scenarios/tutorial.ron", "--journal", journal.to_str().unwrap(), "--tls-self-signed"];
    let mut console = Console::spawn(&args, Path::new(env!("CARGO_MANIFEST_DIR")));
    console.wait_for_screen("the console online over wss", |rows| screen_has(rows, "● online"));
    // A resize is redrawn at the new size without a key.
    console.resize(40, 140);
    console.wait_for_screen("the console redrawn at 140x40", |rows| {
        rows.len() == 40 && rows.iter().any(|r| r.chars().count() > 120) && screen_has(rows, "● online")
    });
    console.press("J");
    let certificate = std::fs::read_to_string(dir.path().join("tls.jsonl.tls/cert.pem")).unwrap();
    assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----"));
    console.wait_for_screen("https links and the fingerprint", |rows| {
        screen_has(rows, "https://127.0.0.1:")
            && screen_has(rows, "wss://127.0.0.1:")
            && screen_has(rows, "Certificate SHA-256")
    });
    console.press("\x1b");
    // (Esc and q at once would read as Alt-q.)
    console.wait_for_screen("the join links closed", |rows| !screen_has(rows, "How players join"));
    console.press("q");
    let status = console.wait_for_exit();
    assert!(status.success(), "exit status {status}; {}", console.describe());
}
