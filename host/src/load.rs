//! `cascade loadtest`: a load benchmark of the exercise host. It starts the
//! real host (`cascade serve`) as a child process on 127.0.0.1, joins many
//! websocket clients to it from this process (the director and teams), starts
//! the clock, has some teams send commands, and measures what participants
//! feel: tick delivery against the schedule and between clients, the time from
//! a command to its answer, what was lost or closed, and what the host spent.
//!
//! It must never: reach any address but 127.0.0.1, run unbounded (every count
//! has a cap and every wait a timeout), leave its host running once it returns
//! (the host is killed on every path, errors included), or judge the exercise
//! (it only speaks the protocol, as any client does).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior, sleep, sleep_until, timeout, timeout_at};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const MAX_CLIENTS: usize = 10_000;
pub const MAX_SECONDS: u64 = 600;
/// Handshakes in flight: well under the host's cap of connections waiting to
/// join from one address (128), so that the crowd never displaces itself.
const HANDSHAKES: usize = 64;
const JOIN_TRIES: u32 = 5;
const TRY_TIMEOUT: Duration = Duration::from_secs(10);
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// After the window, how long a sender waits for the answers it is still owed.
const DRAIN: Duration = Duration::from_secs(5);
/// Tick arrivals kept for the latency figures (16 bytes each); past it only
/// every k-th tick is sampled, so that 10,000 clients at 1,000 ticks a second
/// stay within a few hundred MB.
const MAX_SAMPLES: u64 = 8_000_000;

/// What to run (the binary's `cascade loadtest` options).
#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub scenario: PathBuf,
    /// Connections, the director's included.
    pub clients: usize,
    /// The measured window, from the clock's start.
    pub seconds: u64,
    pub speed: f64,
    /// Team connections that send commands, `command_rate` a second each.
    pub senders: usize,
    pub command_rate: f64,
    /// The host's `--rate` (commands per second per connection).
    pub host_rate: u32,
    /// Keep the temporary directory (journal, tokens, the host's log).
    pub keep: bool,
    /// Measure `baseline` (the same traffic, no exercise) instead of the host.
    pub baseline: bool,
}

/// A latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(mut micros: Vec<u64>) -> Latency {
        micros.sort_unstable();
        let ms = |p| percentile(&micros, p).unwrap_or(0) as f64 / 1000.0;
        Latency { samples: micros.len(), p50_ms: ms(50.0), p99_ms: ms(99.0), max_ms: ms(100.0) }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let Latency { samples, p50_ms, p99_ms, max_ms } = self;
        write!(f, "p50 {p50_ms:.2} ms, p99 {p99_ms:.2} ms, max {max_ms:.2} ms ({samples} samples)")
    }
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

/// Tick delivery, from arrivals `(tick, µs since the run began)` per client:
/// (spread) each arrival after the first arrival of that tick over every
/// client, and (lateness) each arrival after the tick's due time, the schedule
/// starting at `start` = (tick, µs) at `speed` ticks per second; early counts
/// as 0. Only ticks after the start tick that arrived by `end_us` count.
pub fn tick_latencies(clients: &[&[(u64, u64)]], start: (u64, u64), speed: f64, end_us: u64) -> (Vec<u64>, Vec<u64>) {
    let counted = || clients.iter().flat_map(|c| c.iter()).filter(|&&(tick, at)| tick > start.0 && at <= end_us);
    let mut first: HashMap<u64, u64> = HashMap::new();
    for &(tick, at) in counted() {
        first.entry(tick).and_modify(|f| *f = (*f).min(at)).or_insert(at);
    }
    let due = |tick: u64| start.1 as f64 + (tick - start.0) as f64 * 1e6 / speed;
    counted().map(|&(tick, at)| (at - first[&tick], (at as f64 - due(tick)).max(0.0) as u64)).unzip()
}

/// Every how many ticks arrivals are kept, for at most `MAX_SAMPLES` in all.
pub fn sample_every(clients: usize, expected_ticks: u64) -> u64 {
    (clients as u64 * expected_ticks).div_ceil(MAX_SAMPLES).max(1)
}

/// utime + stime (clock ticks) from a `/proc/<pid>/stat` line; the command
/// name in parentheses may hold spaces and parentheses, so count after the last `)`.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// A `Key:   1234 kB` line of `/proc/<pid>/status`, in kB.
pub fn status_kb(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.split(':').next() == Some(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A cheap command that is always acknowledged: hardening an asset of the
/// team's own organisation (operators and CSIRTs may), else a message to itself.
pub fn command_for(welcome: &Value, snapshot: &Value) -> Value {
    match snapshot["assets"][0]["id"].as_str() {
        Some(asset) if matches!(welcome["role"].as_str(), Some("operator" | "csirt")) => {
            json!({"action": "harden", "asset": asset})
        }
        _ => json!({"action": "message", "to": [welcome["team"]], "text": "load", "tlp": "TLP:RED"}),
    }
}

/// Counts summed over the clients.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub join_retries: u64,
    pub commands_sent: u64,
    pub acks: u64,
    /// Commands with no answer on a connection that stayed open: a host bug.
    pub unanswered: u64,
    /// Commands with no answer on a connection the server closed (a real
    /// client resends them when it reconnects).
    pub lost_with_connection: u64,
    pub outcomes: u64,
    /// Acknowledged commands with no outcome though their client saw the tick.
    pub outcomes_missing: u64,
    pub frames: u64,
    pub bytes: u64,
    /// Snapshots after the first: sent to a client that had fallen behind.
    pub fresh_snapshots: u64,
    /// Teams' `tick` frames (deltas) and directors' `director_tick` frames:
    /// how many, and their bytes.
    pub tick_frames: u64,
    pub tick_bytes: u64,
    pub director_tick_frames: u64,
    pub director_tick_bytes: u64,
    pub rejects: BTreeMap<String, u64>,
    pub error_frames: BTreeMap<String, u64>,
    /// Connections the server closed during the run, by close code.
    pub server_closes: BTreeMap<String, u64>,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        (self.join_retries, self.commands_sent, self.acks) =
            (self.join_retries + o.join_retries, self.commands_sent + o.commands_sent, self.acks + o.acks);
        (self.unanswered, self.lost_with_connection) =
            (self.unanswered + o.unanswered, self.lost_with_connection + o.lost_with_connection);
        (self.outcomes, self.outcomes_missing) =
            (self.outcomes + o.outcomes, self.outcomes_missing + o.outcomes_missing);
        (self.frames, self.bytes, self.fresh_snapshots) =
            (self.frames + o.frames, self.bytes + o.bytes, self.fresh_snapshots + o.fresh_snapshots);
        (self.tick_frames, self.tick_bytes) = (self.tick_frames + o.tick_frames, self.tick_bytes + o.tick_bytes);
        (self.director_tick_frames, self.director_tick_bytes) =
            (self.director_tick_frames + o.director_tick_frames, self.director_tick_bytes + o.director_tick_bytes);
        for (to, from) in [
            (&mut self.rejects, &o.rejects),
            (&mut self.error_frames, &o.error_frames),
            (&mut self.server_closes, &o.server_closes),
        ] {
            from.iter().for_each(|(k, n)| *to.entry(k.clone()).or_default() += n);
        }
    }
}

/// The report: what `cascade loadtest` prints (or, with --json, serialises).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    pub scenario: String,
    pub clients: usize,
    pub teams: usize,
    pub seconds: u64,
    pub speed: f64,
    pub senders: usize,
    pub command_rate: f64,
    pub joined: usize,
    pub failed_to_join: usize,
    pub join_failures: BTreeMap<String, u64>,
    pub join_seconds: f64,
    pub handshake: Latency,
    /// Distinct ticks sent to the director in the window (one that falls
    /// behind is sent a snapshot instead of the ticks it missed).
    pub ticks: u64,
    /// Ticks the clock advanced in the window, as far as any client saw.
    pub ticks_reached: u64,
    pub last_tick: u64,
    pub ticks_per_second: f64,
    /// The scenario's last tick came within the window.
    pub ended: bool,
    /// The most the host told the director its clock ran behind its schedule.
    pub max_behind_ms: u64,
    /// How long after the first client the director learnt of the start.
    pub start_skew_ms: f64,
    /// Tick arrivals are kept for every this many ticks.
    pub sampled_every: u64,
    pub spread: Latency,
    pub lateness: Latency,
    pub answer: Latency,
    #[serde(flatten)]
    pub counts: Counts,
    pub host_cpu_percent: Option<f64>,
    pub load_cpu_percent: Option<f64>,
    pub host_rss_kb: Option<u64>,
    pub host_peak_rss_kb: Option<u64>,
    pub load_peak_rss_kb: Option<u64>,
    pub kept: Option<String>,
    pub problems: Vec<String>,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let LoadReport { scenario, clients, teams, seconds, speed, senders, command_rate, joined, .. } = self;
        let LoadReport { failed_to_join, join_seconds, handshake, ticks, ticks_reached, last_tick, .. } = self;
        let LoadReport { ticks_per_second, max_behind_ms, start_skew_ms, spread, lateness, answer, .. } = self;
        let Counts { join_retries, commands_sent, acks, unanswered, lost_with_connection, .. } = &self.counts;
        let Counts { outcomes, outcomes_missing, frames, bytes, fresh_snapshots, .. } = &self.counts;
        let codes = |m: &BTreeMap<String, u64>| match m.is_empty() {
            true => " none".to_string(),
            false => m.iter().map(|(c, n)| format!(" {c}×{n}")).collect(),
        };
        let pct = |p: Option<f64>| p.map_or("unknown".into(), |p| format!("{p:.1} %"));
        let mib = |kb: Option<u64>| kb.map_or("unknown".into(), |kb| format!("{:.1} MiB", kb as f64 / 1024.0));
        writeln!(f, "load test of {scenario}: {clients} clients (the director and teams over {teams} teams),")?;
        writeln!(f, "  {seconds} s at {speed} ticks/s, {senders} senders of {command_rate} commands/s")?;
        writeln!(
            f,
            "joined      {joined} of {clients} in {join_seconds:.2} s ({failed_to_join} failed, {join_retries} retries)"
        )?;
        for (reason, n) in &self.join_failures {
            writeln!(f, "  {n} failed to join: {reason}")?;
        }
        writeln!(f, "handshake   {handshake}")?;
        let end = if self.ended { "; the exercise reached its last tick" } else { "" };
        writeln!(
            f,
            "ticks       {ticks_reached} to tick {last_tick}, {ticks_per_second:.2} per second of {speed}{end}"
        )?;
        writeln!(f, "            {ticks} sent to the director as ticks; host clock {max_behind_ms} ms behind at most")?;
        let every = self.sampled_every;
        let sampled = if every > 1 { format!(", every {every}th tick") } else { String::new() };
        writeln!(f, "tick spread {spread} after the first client{sampled}")?;
        writeln!(f, "lateness    {lateness} after the tick was due ({start_skew_ms:.2} ms start skew)")?;
        let rejected = codes(&self.counts.rejects);
        writeln!(f, "commands    {commands_sent} sent: {acks} acked, rejected{rejected}, {unanswered} unanswered")?;
        writeln!(f, "            {lost_with_connection} unanswered on a connection the server closed")?;
        writeln!(f, "answers     {answer}")?;
        writeln!(f, "outcomes    {outcomes} received, {outcomes_missing} missing (acked for a tick its client saw)")?;
        let (mb, errors) = (*bytes as f64 / 1048576.0, codes(&self.counts.error_frames));
        writeln!(f, "received    {frames} frames, {mb:.1} MiB; {fresh_snapshots} fresh snapshots; errors{errors}")?;
        let c = &self.counts;
        let kb = |bytes: u64, n: u64| if n == 0 { 0.0 } else { bytes as f64 / n as f64 / 1000.0 };
        writeln!(
            f,
            "            team tick frames {} ({:.1} KB each), director ticks {} ({:.1} KB each)",
            c.tick_frames,
            kb(c.tick_bytes, c.tick_frames),
            c.director_tick_frames,
            kb(c.director_tick_bytes, c.director_tick_frames)
        )?;
        writeln!(f, "closed      by the server during the run:{}", codes(&self.counts.server_closes))?;
        let (host, load) = (pct(self.host_cpu_percent), pct(self.load_cpu_percent));
        writeln!(f, "cpu         host {host}, load generator {load} (of one core, over the window)")?;
        let (rss, peak, load) = (mib(self.host_rss_kb), mib(self.host_peak_rss_kb), mib(self.load_peak_rss_kb));
        writeln!(f, "memory      host RSS {rss} at the end, {peak} at its peak; load generator peak {load}")?;
        if let Some(dir) = &self.kept {
            writeln!(f, "kept        {dir}")?;
        }
        if self.problems.is_empty() {
            return writeln!(f, "no problems seen");
        }
        self.problems.iter().try_for_each(|p| writeln!(f, "PROBLEM: {p}"))
    }
}

/// The host, killed and reaped when dropped, whatever happened.
struct Host(Child);

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The client tasks, aborted when dropped (an error must not leave them running).
struct Tasks(Vec<tokio::task::JoinHandle<Stats>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        self.0.iter().for_each(|t| t.abort());
    }
}

/// The temporary directory, removed when dropped unless kept.
struct TempDir(PathBuf, bool);

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.1 {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[derive(Deserialize)]
struct Tokens {
    director: String,
    teams: BTreeMap<String, String>,
}

/// The only fields read of a frame: parsing whole views would make the load
/// generator, not the host, what is measured.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    tick: Option<u64>,
    seq: Option<u64>,
    running: Option<bool>,
    ended: Option<bool>,
    behind_ms: Option<u64>,
    code: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Joining,
    Running,
    Stopped,
}

struct Ctx {
    url: String,
    t0: Instant,
    handshakes: Semaphore,
    phase: watch::Receiver<Phase>,
    joined: mpsc::UnboundedSender<(usize, Result<(), String>)>,
    sample_every: u64,
    command_period: Duration,
    senders: usize,
}

/// What one client saw; times are µs since `Ctx::t0`.
#[derive(Default)]
struct Stats {
    director: bool,
    join_us: Option<u64>,
    /// (tick, µs) of every `sample_every`-th tick or snapshot, until the stop.
    arrivals: Vec<(u64, u64)>,
    /// The director's: every one.
    director_ticks: Vec<(u64, u64)>,
    /// The furthest tick seen before the stop.
    last: Option<(u64, u64)>,
    /// The first `clock` that said running.
    started: Option<(u64, u64)>,
    max_behind_ms: u64,
    ended: bool,
    answer_us: Vec<u64>,
    closed: Option<String>,
    counts: Counts,
}

/// A text frame (`None`: not one, skip it), or why the connection ended.
fn text(frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> Result<Option<Utf8Bytes>, String> {
    match frame {
        Some(Ok(Message::Text(text))) => Ok(Some(text)),
        Some(Ok(Message::Close(close))) => Err(close.map_or("no code".into(), |c| u16::from(c.code).to_string())),
        Some(Ok(_)) => Ok(None),
        Some(Err(e)) => Err(format!("broken: {e}")),
        None => Err("no close frame".into()),
    }
}

fn micros(d: Duration) -> u64 {
    d.as_micros() as u64
}

/// Raises this process's open-file soft limit to the hard one (as the host
/// does in its fd_limit.rs): each client is a descriptor. Returns the limit.
#[cfg(unix)]
fn raise_fd_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
    // SAFETY: setrlimit reads the struct we own; failure leaves the limit as it was.
    if limit.rlim_cur < limit.rlim_max && unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        limit = raised;
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is u64 here, not on every unix
    Some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
fn raise_fd_limit() -> Option<u64> {
    None
}

fn clock_ticks_per_second() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads a configuration value.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if hz > 0 {
            return hz as f64;
        }
    }
    100.0
}

fn proc_cpu(pid: &str) -> Option<u64> {
    cpu_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Runs the benchmark: host up, clients joined, the window measured, host killed.
pub async fn run(config: &LoadConfig) -> Result<LoadReport> {
    let LoadConfig { clients, seconds, speed, senders, command_rate, .. } = *config;
    if !(1..=MAX_CLIENTS).contains(&clients) || !(1..=MAX_SECONDS).contains(&seconds) || senders >= clients {
        bail!("clients must be 1 to {MAX_CLIENTS}, seconds 1 to {MAX_SECONDS}, senders fewer than clients");
    }
    if !crate::SPEEDS.contains(&speed) || !command_rate.is_finite() || command_rate <= 0.0 {
        bail!("the speed must be 0.01 to 1000 ticks per second and the command rate above 0");
    }
    if let Some(limit) = raise_fd_limit()
        && limit < clients as u64 + 64
    {
        bail!("the open-file limit ({limit}) is too low for {clients} clients: raise it with ulimit -n");
    }
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let path = std::env::temp_dir().join(format!("cascade-load-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let dir = TempDir(path.clone(), config.keep);
    let log = path.join("host.log");
    let exe = std::env::current_exe().context("cannot find this program to start the host")?;
    let mut command = Command::new(exe);
    if config.baseline {
        command.arg("loadtest").arg(&config.scenario).arg("--baseline-host").arg(&path);
        command.args(["--speed", &speed.to_string()]);
    } else {
        command
            .arg("serve")
            .arg(&config.scenario)
            .args(["--addr", "127.0.0.1:0", "--speed", &speed.to_string(), "--rate", &config.host_rate.to_string()])
            .args(["--max-connections", &(clients + 16).to_string()])
            .arg("--journal")
            .arg(path.join("load.jsonl"))
            .arg("--tokens-out")
            .arg(path.join("tokens.json"));
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        // A file, not a pipe: the host's log can never fill a buffer and block it.
        .stderr(std::fs::File::create(&log).context("cannot create the host's log")?)
        .spawn()
        .context("cannot start the host")?;
    let mut host = Host(child);
    let pid = host.0.id().to_string();
    let stdout = host.0.stdout.take().context("the host's stdout")?;
    let (lines_tx, mut lines) = mpsc::unbounded_channel();
    // Reads to the end whatever happens, so that the host never blocks on stdout.
    std::thread::spawn(move || {
        BufReader::new(stdout).lines().map_while(|l| l.ok()).for_each(|l| {
            let _ = lines_tx.send(l);
        })
    });
    let url = ready(&mut host, &mut lines, &log).await?;
    let tokens: Tokens = serde_json::from_str(&std::fs::read_to_string(path.join("tokens.json"))?)
        .context("the host's tokens file is not as expected")?;
    let teams: Vec<String> = tokens.teams.into_values().collect();
    if teams.is_empty() && clients > 1 {
        bail!("the scenario has no teams to join as");
    }
    let expected_ticks = (speed * seconds as f64).ceil() as u64 + 1;
    let (phase_tx, phase) = watch::channel(Phase::Joining);
    let (joined, mut joins) = mpsc::unbounded_channel();
    let (start_tx, start_rx) = oneshot::channel();
    let t0 = Instant::now();
    let sample_every = sample_every(clients, expected_ticks);
    let command_period = Duration::from_secs_f64(1.0 / command_rate);
    let handshakes = Semaphore::new(HANDSHAKES);
    let ctx = Arc::new(Ctx { url, t0, handshakes, phase, joined, sample_every, command_period, senders });
    let mut start_tx = Some(start_tx);
    let spawn = |i: usize| {
        let token = if i == 0 { tokens.director.clone() } else { teams[(i - 1) % teams.len()].clone() };
        // The first teams send: round-robin, so they are distinct teams.
        let sender = (i >= 1 && i <= senders).then(|| i - 1);
        let start = if i == 0 { start_tx.take() } else { None };
        tokio::spawn(client(Arc::clone(&ctx), i, token, sender, start))
    };
    let mut tasks = Tasks((0..clients).map(spawn).collect());

    let mut report =
        LoadReport { scenario: config.scenario.display().to_string(), teams: teams.len(), ..Default::default() };
    let join_deadline = Instant::now() + Duration::from_secs(60) + Duration::from_millis(10 * clients as u64);
    for _ in 0..clients {
        let Ok(Some((i, result))) = timeout_at(join_deadline, joins.recv()).await else { break };
        match result {
            Ok(()) => report.joined += 1,
            Err(e) if i == 0 => bail!("the director could not join: {e}; the host's log ends:\n{}", tail(&log)),
            Err(e) => *report.join_failures.entry(e).or_default() += 1,
        }
    }
    report.join_seconds = t0.elapsed().as_secs_f64();
    let _ = phase_tx.send(Phase::Running);
    let Ok(Ok((t_start, tick_start))) = timeout(Duration::from_secs(10), start_rx).await else {
        bail!("the clock did not start within 10 s of the director's start; the host's log ends:\n{}", tail(&log));
    };
    let cpu0 = (proc_cpu(&pid), proc_cpu("self"), Instant::now());
    sleep_until(t_start + Duration::from_secs(seconds)).await;
    let cpu1 = (proc_cpu(&pid), proc_cpu("self"), Instant::now());
    let _ = phase_tx.send(Phase::Stopped);
    let (hz, window) = (clock_ticks_per_second(), (cpu1.2 - cpu0.2).as_secs_f64());
    let percent = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?) as f64 / hz / window * 100.0);
    (report.host_cpu_percent, report.load_cpu_percent) = (percent(cpu0.0, cpu1.0), percent(cpu0.1, cpu1.1));

    let collect_deadline = Instant::now() + DRAIN + Duration::from_secs(10);
    let mut stats = Vec::with_capacity(clients);
    for task in &mut tasks.0 {
        if let Ok(Ok(s)) = timeout_at(collect_deadline, task).await {
            stats.push(s);
        }
    }
    drop(tasks);
    if stats.len() < clients {
        report.problems.push(format!("{} clients did not finish in time", clients - stats.len()));
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    (report.host_rss_kb, report.host_peak_rss_kb) = (status_kb(&status, "VmRSS"), status_kb(&status, "VmHWM"));
    report.load_peak_rss_kb = status_kb(&std::fs::read_to_string("/proc/self/status").unwrap_or_default(), "VmHWM");
    if let Ok(Some(exit)) = host.0.try_wait() {
        report.problems.push(format!("the host exited during the run ({exit}); see its log"));
    }
    drop(host);
    let end_us = micros(t_start + Duration::from_secs(seconds) - t0);
    summarise(&mut report, config, &stats, (tick_start, micros(t_start - t0)), end_us);
    report.kept = config.keep.then(|| path.display().to_string());
    drop(dir);
    Ok(report)
}

/// The last lines of the host's log, for an error (the directory goes with it).
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Waits for the host's `listening on` line and the last line of its greeting.
async fn ready(host: &mut Host, lines: &mut mpsc::UnboundedReceiver<String>, log: &Path) -> Result<String> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut url = None;
    loop {
        match timeout_at(deadline, lines.recv()).await {
            Err(_) => bail!("the host printed no address within {} s", READY_TIMEOUT.as_secs()),
            Ok(None) => {
                sleep(Duration::from_millis(200)).await;
                let status = host.0.try_wait().ok().flatten().map_or("still running".into(), |s| s.to_string());
                bail!("the host stopped before it was ready ({status}):\n{}", tail(log));
            }
            Ok(Some(line)) if line.starts_with("listening on ws://127.0.0.1:") => {
                url = Some(line["listening on ".len()..].to_string());
            }
            Ok(Some(line)) if line.starts_with("the exercise starts") => {
                return url.context("the host did not say where it listens on 127.0.0.1");
            }
            Ok(Some(_)) => {}
        }
    }
}

/// The figures and the problems, from what every client saw; `start` is when
/// (µs) and at which tick the director learnt of the start.
fn summarise(report: &mut LoadReport, config: &LoadConfig, stats: &[Stats], start: (u64, u64), end_us: u64) {
    let r = report;
    (r.clients, r.seconds, r.speed) = (config.clients, config.seconds, config.speed);
    (r.senders, r.command_rate) = (config.senders, config.command_rate);
    r.failed_to_join = config.clients - r.joined;
    let missing = (r.failed_to_join as u64).saturating_sub(r.join_failures.values().sum::<u64>());
    if missing > 0 {
        r.join_failures.insert("no answer in time".into(), missing);
    }
    stats.iter().for_each(|s| r.counts.add(&s.counts));
    r.sampled_every = sample_every(config.clients, (config.speed * config.seconds as f64).ceil() as u64 + 1);
    // The schedule starts when the first client learnt of the start: the host
    // sends that clock frame to every connection at once, and the director's
    // may leave thousands of frames after the first.
    let first = stats.iter().filter_map(|s| s.started).min_by_key(|&(_, at)| at).unwrap_or(start);
    r.start_skew_ms = start.1.saturating_sub(first.1) as f64 / 1000.0;
    let arrivals: Vec<&[(u64, u64)]> = stats.iter().map(|s| s.arrivals.as_slice()).collect();
    let (spread, late) = tick_latencies(&arrivals, first, config.speed, end_us);
    (r.spread, r.lateness) = (Latency::of(spread), Latency::of(late));
    r.handshake = Latency::of(stats.iter().filter_map(|s| s.join_us).collect());
    r.answer = Latency::of(stats.iter().flat_map(|s| s.answer_us.iter().copied()).collect());
    let in_window = |&(t, at): &(u64, u64)| t > start.0 && at <= end_us;
    let mut ticks: Vec<u64> =
        stats.iter().flat_map(|s| s.director_ticks.iter().copied()).filter(in_window).map(|(t, _)| t).collect();
    ticks.sort_unstable();
    ticks.dedup();
    r.ticks = ticks.len() as u64;
    // The furthest tick any client saw: a director that falls behind or is
    // closed must not make the clock look slow.
    let last = stats.iter().filter_map(|s| s.last).filter(in_window).max().unwrap_or(start);
    r.last_tick = last.0;
    r.ticks_reached = last.0 - start.0;
    r.ended = stats.iter().any(|s| s.ended);
    // An exercise that reached its last tick ran only until then.
    let seconds = if r.ended { last.1.saturating_sub(start.1) as f64 / 1e6 } else { config.seconds as f64 };
    r.ticks_per_second = r.ticks_reached as f64 / seconds.max(1e-3);
    r.max_behind_ms = stats.iter().map(|s| s.max_behind_ms).max().unwrap_or(0);

    let expected = (config.speed * config.seconds as f64).floor() as u64;
    let director = stats.iter().find(|s| s.director);
    let director_closed = director.and_then(|s| s.closed.clone());
    let director_behind = director.map_or(0, |s| s.counts.fresh_snapshots);
    let c = &r.counts;
    let closes: u64 = c.server_closes.values().sum();
    let problems = [
        (
            director_closed.is_some(),
            format!(
                "the server closed the director ({}): its figures stop there",
                director_closed.as_deref().unwrap_or("")
            ),
        ),
        (c.unanswered > 0, format!("{} commands were never answered on an open connection", c.unanswered)),
        (c.outcomes_missing > 0, format!("{} acked commands had no outcome, their tick seen", c.outcomes_missing)),
        (closes > 0, format!("the server closed {closes} connections during the run")),
        (c.fresh_snapshots > 0, format!("{} fresh snapshots: clients fell behind", c.fresh_snapshots)),
        (r.max_behind_ms > 0, format!("the host's clock fell up to {} ms behind its schedule", r.max_behind_ms)),
        // Computed on time (above) is not delivered on time: ticks still on
        // their way when the window closes are missing here.
        (
            !r.ended && r.ticks_reached + 1 + expected / 100 < expected,
            format!("ticks arrive late: {} of {expected} scheduled arrived in the window", r.ticks_reached),
        ),
        (director_behind > 0, format!("the director fell behind: {director_behind} fresh snapshots")),
        (r.failed_to_join > 0, format!("{} clients could not join", r.failed_to_join)),
    ];
    r.problems.extend(problems.into_iter().filter(|(bad, _)| *bad).map(|(_, text)| text));
}

/// One client: join (with retries), read every frame, send commands if a
/// sender, and at the end wait a little for the answers it is owed.
async fn client(
    ctx: Arc<Ctx>,
    index: usize,
    token: String,
    sender: Option<usize>,
    mut start: Option<oneshot::Sender<(Instant, u64)>>,
) -> Stats {
    let director = index == 0;
    let mut s = Stats { director, ..Stats::default() };
    let hello = json!({"type": "hello", "token": token, "client": format!("load-{index}"), "protocol": 3}).to_string();
    let mut result = Err(String::new());
    if let Ok(_permit) = ctx.handshakes.acquire().await {
        for attempt in 0..JOIN_TRIES {
            if attempt > 0 {
                s.counts.join_retries += 1;
                // Backoff, spread by index so that retries do not come back as one crowd.
                sleep(Duration::from_millis((50 << attempt) + (index % 50) as u64)).await;
            }
            let began = Instant::now();
            result = join(&ctx.url, &hello, &mut s.counts).await;
            if result.is_ok() {
                s.join_us = Some(micros(began.elapsed()));
                break;
            }
        }
    }
    let (mut ws, welcome, snapshot) = match result {
        Ok(_) if *ctx.phase.borrow() != Phase::Joining => {
            let _ = ctx.joined.send((index, Err("joined after the run began".into())));
            return s;
        }
        Ok(joined) => joined,
        Err(e) => {
            let _ = ctx.joined.send((index, Err(e)));
            return s;
        }
    };
    let _ = ctx.joined.send((index, Ok(())));
    let parse = |t: &str| serde_json::from_str::<Value>(t).unwrap_or(Value::Null);
    let command = sender
        .map(|_| json!({"type": "command", "seq": 0, "command": command_for(&parse(&welcome), &parse(&snapshot))}));
    drop((welcome, snapshot));
    let mut phase = ctx.phase.clone();
    let mut timer: Option<Interval> = None;
    let (mut seq, mut last_view, mut start_sent) = (0u64, 0u64, false);
    let mut pending: HashMap<u64, Instant> = HashMap::new();
    let mut acked: HashMap<u64, u64> = HashMap::new();
    let (mut stop_by, mut to_send): (Option<Instant>, Option<Value>) = (None, None);
    loop {
        if stop_by.is_some() && pending.is_empty() {
            break;
        }
        tokio::select! {
            frame = ws.next() => {
                let now = Instant::now();
                let text = match text(frame) {
                    Ok(Some(text)) => text,
                    Ok(None) => continue,
                    Err(why) => {
                        s.closed = Some(why);
                        break;
                    }
                };
                let c = &mut s.counts;
                (c.frames, c.bytes) = (c.frames + 1, c.bytes + text.len() as u64);
                let Ok(head) = serde_json::from_str::<Head>(&text) else { continue };
                let at = micros(now - ctx.t0);
                match (head.kind.as_str(), head.tick, head.seq) {
                    (kind @ ("tick" | "director_tick" | "snapshot" | "director_snapshot"), Some(tick), _) => {
                        c.fresh_snapshots += u64::from(kind.ends_with("snapshot"));
                        let size = text.len() as u64;
                        match kind {
                            "tick" => (c.tick_frames, c.tick_bytes) = (c.tick_frames + 1, c.tick_bytes + size),
                            "director_tick" => {
                                (c.director_tick_frames, c.director_tick_bytes) =
                                    (c.director_tick_frames + 1, c.director_tick_bytes + size)
                            }
                            _ => {}
                        }
                        last_view = tick;
                        if stop_by.is_none() {
                            if tick % ctx.sample_every == 0 {
                                s.arrivals.push((tick, at));
                            }
                            if director {
                                s.director_ticks.push((tick, at));
                            }
                            s.last = s.last.max(Some((tick, at)));
                        }
                    }
                    ("clock", Some(tick), _) => {
                        if head.running == Some(true) && s.started.is_none() {
                            s.started = Some((tick, at));
                        }
                        s.ended |= head.ended == Some(true);
                        s.max_behind_ms = s.max_behind_ms.max(head.behind_ms.unwrap_or(0));
                        if start_sent && head.running == Some(true) && let Some(start) = start.take() {
                            let _ = start.send((now, tick));
                        }
                    }
                    (kind @ ("ack" | "reject"), _, Some(seq)) => {
                        if let Some(sent) = pending.remove(&seq) {
                            s.answer_us.push(micros(now - sent));
                        }
                        if kind == "reject" {
                            *c.rejects.entry(head.code.unwrap_or_default()).or_default() += 1;
                            continue;
                        }
                        c.acks += 1;
                        // The director's commands have no outcome.
                        if let (false, Some(tick)) = (director, head.tick) {
                            acked.insert(seq, tick);
                        }
                    }
                    ("outcome", _, Some(seq)) => {
                        c.outcomes += 1;
                        acked.remove(&seq);
                    }
                    ("error", _, _) => *c.error_frames.entry(head.code.unwrap_or_default()).or_default() += 1,
                    _ => {}
                }
            }
            changed = phase.changed(), if stop_by.is_none() => match changed.map(|_| *phase.borrow_and_update()) {
                Ok(Phase::Running) if director && !start_sent => {
                    start_sent = true;
                    to_send = Some(json!({"type": "command", "seq": 0, "command": {"action": "start"}}));
                }
                Ok(Phase::Running) => if let Some(i) = sender {
                    // Senders spread over the period, not all at once.
                    let offset = ctx.command_period.mul_f64(i as f64 / ctx.senders as f64);
                    let mut t = tokio::time::interval_at(Instant::now() + offset, ctx.command_period);
                    t.set_missed_tick_behavior(MissedTickBehavior::Skip);
                    timer = Some(t);
                },
                Ok(Phase::Joining) => {}
                Ok(Phase::Stopped) | Err(_) => stop_by = Some(Instant::now() + DRAIN),
            },
            _ = async { timer.as_mut().expect("a timer").tick().await }, if timer.is_some() && stop_by.is_none() => {
                to_send = command.clone();
            }
            _ = sleep_until(stop_by.unwrap_or_else(Instant::now)), if stop_by.is_some() => break,
        }
        if let Some(mut frame) = to_send.take() {
            seq += 1;
            frame["seq"] = json!(seq);
            pending.insert(seq, Instant::now());
            s.counts.commands_sent += 1;
            if let Err(e) = ws.send(Message::text(frame.to_string())).await {
                s.closed = Some(format!("broken: {e}"));
                break;
            }
        }
    }
    let c = &mut s.counts;
    // A closed connection's answers are gone with it (a real client resends
    // on reconnecting); only those missing on an open one are a host bug.
    match &s.closed {
        Some(code) => {
            c.lost_with_connection = pending.len() as u64;
            *c.server_closes.entry(code.clone()).or_default() += 1;
        }
        None => c.unanswered = pending.len() as u64,
    }
    c.outcomes_missing = acked.values().filter(|&&t| t <= last_view).count() as u64;
    if s.closed.is_none() {
        let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
    }
    s
}

/// One try at joining: connect, hello, until the welcome and the snapshot
/// (returned as text). Fails on anything else, a close, or after `TRY_TIMEOUT`.
async fn join(url: &str, hello: &str, c: &mut Counts) -> Result<(Ws, String, String), String> {
    let deadline = Instant::now() + TRY_TIMEOUT;
    // tungstenite zero-fills its whole read buffer (128 KiB by default) on
    // the first read: 10,000 clients would hold 1.3 GB for frames of a few KB.
    let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
    let connect = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
    let (mut ws, _) = timeout_at(deadline, connect)
        .await
        .map_err(|_| "no websocket handshake in time".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
    ws.send(Message::text(hello)).await.map_err(|e| format!("hello: {e}"))?;
    let mut welcome = String::new();
    loop {
        let frame = timeout_at(deadline, ws.next()).await.map_err(|_| "no welcome in time".to_string())?;
        let Some(text) = text(frame).map_err(|why| format!("closed: {why}"))? else { continue };
        (c.frames, c.bytes) = (c.frames + 1, c.bytes + text.len() as u64);
        let head: Head = serde_json::from_str(&text).map_err(|e| format!("a bad frame: {e}"))?;
        match head.kind.as_str() {
            "welcome" => welcome = text.to_string(),
            "snapshot" | "director_snapshot" => return Ok((ws, welcome, text.to_string())),
            "error" => return Err(format!("error {}", head.code.unwrap_or_default())),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), Some(50));
        assert_eq!(percentile(&values, 99.0), Some(99));
        assert_eq!(percentile(&values, 100.0), Some(100));
        assert_eq!(percentile(&[7], 50.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
        let l = Latency::of(vec![3000, 1000, 2000]);
        assert_eq!((l.samples, l.p50_ms, l.max_ms), (3, 2.0, 3.0));
    }

    #[test]
    fn tick_latencies_measure_from_the_first_client_and_the_schedule() {
        // Start at tick 10, 1,000,000 µs, 10 ticks a second: tick 11 is due at
        // 1,100,000 µs and tick 12 at 1,200,000 µs; tick 13 comes too late.
        let a: &[(u64, u64)] = &[(10, 900_000), (11, 1_101_000), (12, 1_199_000)];
        let b: &[(u64, u64)] = &[(11, 1_104_000), (12, 1_203_000), (13, 9_000_000)];
        let (mut spread, mut late) = tick_latencies(&[a, b], (10, 1_000_000), 10.0, 2_000_000);
        spread.sort_unstable();
        late.sort_unstable();
        assert_eq!(spread, [0, 0, 3000, 4000]);
        assert_eq!(late, [0, 1000, 3000, 4000]);
    }

    #[test]
    fn few_clients_keep_every_tick_and_many_a_sample() {
        assert_eq!(sample_every(200, 101), 1);
        assert_eq!(sample_every(10_000, 600_001), 751);
        assert!(10_000 * 600_001 / sample_every(10_000, 600_001) <= MAX_SAMPLES);
    }

    #[test]
    fn proc_files_parse() {
        let stat = "4242 (cascade (x) y) S 1 2 3 4 5 6 7 8 9 10 250 31 0 0 20 0 3 0";
        assert_eq!(cpu_ticks(stat), Some(281));
        assert_eq!(cpu_ticks("garbage"), None);
        let status = "Name:\tcascade\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!((status_kb(status, "VmRSS"), status_kb(status, "VmHWM")), (Some(40960), Some(51200)));
        assert_eq!(status_kb(status, "VmSwap"), None);
    }

    #[test]
    fn commands_are_ones_the_team_may_send() {
        let snapshot = json!({"assets": [{"id": "chem-clinical-it"}]});
        let operator = json!({"team": "chem-it", "role": "operator"});
        assert_eq!(command_for(&operator, &snapshot), json!({"action": "harden", "asset": "chem-clinical-it"}));
        let cell = json!({"team": "crisis-cell", "role": "crisiscell"});
        let message = json!({"action": "message", "to": ["crisis-cell"], "text": "load", "tlp": "TLP:RED"});
        assert_eq!(command_for(&cell, &snapshot), message);
        assert_eq!(command_for(&json!({"team": "crisis-cell", "role": "csirt"}), &json!({"assets": []})), message);
    }

    #[test]
    fn counts_add_up_and_the_report_prints_its_problems() {
        let mut one = Counts { acks: 2, frames: 10, ..Counts::default() };
        one.server_closes.insert("1013".into(), 1);
        let mut total = Counts::default();
        total.add(&one);
        total.add(&one);
        assert_eq!((total.acks, total.frames, total.server_closes["1013"]), (4, 20, 2));
        let report = LoadReport { counts: total, problems: vec!["x".into()], ..LoadReport::default() };
        let text = report.to_string();
        assert!(
            text.contains("closed      by the server during the run: 1013×2") && text.ends_with("PROBLEM: x\n"),
            "{text}"
        );
    }
}
