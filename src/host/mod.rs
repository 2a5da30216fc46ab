//! `cascade serve`: the exercise host. A tokio runtime with three kinds of task:
//! the listener (accepts, caps connections), one task per connection
//! (`connection`), and the exercise actor (`exercise`) that alone owns the
//! simulation, the journal and the clock. The engine stays pure: this module does
//! all the I/O around it. An exercise starts from a scenario (`start`), from its
//! own journal after a crash (`--resume`) or from another's at a tick
//! (`--branch`, in `branch`).

pub mod bots;
pub mod branch;
mod connection;
mod exercise;
pub mod tokens;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use cascade_engine::load::to_ron;
use cascade_engine::{Simulation, load_model};
use cascade_replay::{Header, JournalWriter, Replay, read_journal};
use clap::Args;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::{info, warn};

use connection::{Limits, Shared, serve_connection};
use exercise::{Exercise, Request};
use tokens::Tokens;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Scenario file (.ron); not with --resume or --branch.
    // Conflicts with --branch are checked by `branch::refuse_with`: declared to
    // clap they would hide "--at needs --branch" (clap skips a required argument
    // that conflicts with one present).
    #[arg(required_unless_present_any = ["resume", "branch"], conflicts_with = "resume")]
    file: Option<PathBuf>,
    /// Continue a crashed exercise from its journal (the scenario comes from it).
    #[arg(long, value_name = "JOURNAL", conflicts_with = "branch")]
    resume: Option<PathBuf>,
    /// Start a new exercise from the state of a recorded one at --at TICK
    /// (scenario and seed from its journal), paused until the director resumes.
    #[arg(long, value_name = "JOURNAL", requires = "at")]
    branch: Option<PathBuf>,
    /// The tick of the --branch journal to start from (one of its checkpoints).
    #[arg(long, value_name = "TICK", requires = "branch", conflicts_with = "resume")]
    at: Option<u64>,
    /// Teams the scenario's bots play: `all` (every team, until a human's first
    /// command), `none`, or team ids separated by commas; every other team is
    /// human from the first tick.
    #[arg(long, value_name = "TEAM,…", conflicts_with = "resume")]
    bots: Option<String>,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: String,
    /// Journal to write (default: journals/<scenario>-<UTC time>.jsonl, with --branch
    /// journals/<source>-branch-t<TICK>-<UTC time>.jsonl). Never overwritten.
    #[arg(long, conflicts_with = "resume")]
    journal: Option<PathBuf>,
    /// Also write the tokens as JSON to this file (mode 0600).
    #[arg(long, value_name = "PATH")]
    tokens_out: Option<PathBuf>,
    /// Ticks per second once started.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Seed for every random stream (default: the scenario's).
    #[arg(long, conflicts_with = "resume")]
    seed: Option<u64>,
    /// Milliseconds a connection has to say hello.
    #[arg(long, default_value_t = 5000)]
    hello_timeout_ms: u64,
    /// Milliseconds a joined client may stay silent (it is pinged meanwhile)
    /// before it counts as gone and is closed.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    idle_timeout_ms: u64,
    /// Commands per second allowed from one connection.
    #[arg(long, default_value_t = 20)]
    rate: u32,
    /// Most simultaneous connections.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
}

pub fn serve(args: &ServeArgs) -> bool {
    if args.branch.is_some() {
        branch::refuse_with(&[
            ("[FILE]", args.file.is_some()),
            ("--seed <SEED>", args.seed.is_some()),
            ("--bots <TEAM,…>", args.bots.is_some()),
        ]);
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "cascade=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return false;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("error: {e:#}");
            false
        }
    }
}

/// `journals/<stem>-<UTC time>.jsonl` (creating journals/).
fn default_journal(stem: &str) -> Result<PathBuf> {
    let now = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    std::fs::create_dir_all("journals").context("cannot create journals/")?;
    Ok(PathBuf::from(format!("journals/{stem}-{now}.jsonl")))
}

/// What an in-process host runs: a new exercise of a scenario, or a branch of
/// a recorded one.
#[derive(Debug, Clone)]
pub enum Source {
    Scenario { file: PathBuf, bots: Option<String> },
    Branch { journal: PathBuf, at: u64 },
}

impl ServeArgs {
    /// The settings of an in-process host (`cascade exercise`), the other
    /// options at their defaults.
    pub fn in_process(source: Source, addr: String, journal: Option<PathBuf>, speed: f64) -> ServeArgs {
        let (file, bots, branch, at) = match source {
            Source::Scenario { file, bots } => (Some(file), bots, None, None),
            Source::Branch { journal, at } => (None, None, Some(journal), Some(at)),
        };
        ServeArgs {
            file,
            resume: None,
            branch,
            at,
            bots,
            addr,
            journal,
            tokens_out: None,
            speed,
            seed: None,
            hello_timeout_ms: 5000,
            idle_timeout_ms: 30_000,
            rate: 20,
            max_connections: 256,
        }
    }
}

/// An exercise ready to serve.
struct Prepared {
    exercise: Exercise,
    tokens: Tokens,
    journal: PathBuf,
    /// Where it came from, for the startup print (branches).
    origin: Option<String>,
}

/// What an in-process host reports once it listens (see [`run_until`]).
#[derive(Debug, Clone)]
pub struct Ready {
    /// `ws://HOST:PORT`, with the port actually bound.
    pub url: String,
    pub director: String,
    pub journal: PathBuf,
}

async fn run(args: &ServeArgs) -> Result<()> {
    run_until(args, None, None).await
}

/// The host, as `cascade serve` runs it, for a caller in the same process
/// (`cascade exercise`): once it listens it sends the bound address, the
/// director's token and the journal on `ready`, and it stops (flushing the
/// journal) when `stop` turns true or its sender is dropped, as on Ctrl-C.
/// The listing of tokens is printed to stdout as by `cascade serve`.
pub async fn run_until(
    args: &ServeArgs,
    ready: Option<tokio::sync::oneshot::Sender<Ready>>,
    stop: Option<watch::Receiver<bool>>,
) -> Result<()> {
    if !(0.01..=1000.0).contains(&args.speed) {
        bail!("--speed must be between 0.01 and 1000 ticks per second");
    }
    // Listen first: a busy address must fail before a journal, tokens or a
    // branch's files are written.
    let listener = TcpListener::bind(&args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
    let prepared = match (&args.resume, &args.branch) {
        (Some(journal), _) => resume(journal, args.speed)?,
        (None, Some(source)) => {
            let at = args.at.expect("clap requires --at with --branch");
            branch::branch(source, at, args.journal.as_deref(), args.speed)?
        }
        (None, None) => start(args)?,
    };
    let Prepared { exercise, tokens, journal: journal_path, origin } = prepared;
    if let Some(path) = &args.tokens_out {
        tokens.write(path)?;
    }
    let team_ids: Vec<String> = exercise.sim.model().scenario.teams.iter().map(|t| t.id.clone()).collect();
    let local = listener.local_addr()?;
    println!("listening on ws://{local}");
    println!("journal {}", journal_path.display());
    if let Some(origin) = &origin {
        println!("{origin}");
    }
    println!("tokens in {}", Tokens::path_beside(&journal_path).display());
    println!("director token {}", tokens.director);
    for (team, token) in &tokens.teams {
        println!("team {team} token {token}");
    }
    println!("the exercise starts when the director sends start");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    if let Some(ready) = ready {
        let url = format!("ws://{local}");
        let _ = ready.send(Ready { url, director: tokens.director.clone(), journal: journal_path.clone() });
    }
    let stopped = async move {
        match stop {
            Some(mut stop) => {
                let _ = stop.wait_for(|s| *s).await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stopped);

    let (requests_tx, requests_rx) = mpsc::channel::<Request>(1024);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let actor = tokio::spawn(exercise.run(requests_rx, shutdown_rx));
    let shared = Arc::new(Shared {
        tokens,
        team_ids,
        requests: requests_tx,
        limits: Limits {
            hello_timeout: Duration::from_millis(args.hello_timeout_ms),
            idle_timeout: Duration::from_millis(args.idle_timeout_ms),
            commands_per_second: args.rate.max(1),
            ..Limits::default()
        },
    });
    let slots = Arc::new(Semaphore::new(args.max_connections));
    let ids = AtomicU64::new(0);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let conn = ids.fetch_add(1, Ordering::Relaxed);
                let shared = Arc::clone(&shared);
                let permit = Arc::clone(&slots).try_acquire_owned();
                tokio::spawn(async move {
                    let full = permit.is_err();
                    serve_connection(stream, peer, conn, shared, full).await;
                    drop(permit);
                });
            }
            _ = &mut ctrl_c => {
                info!("Ctrl-C: flushing the journal and stopping");
                let _ = shutdown_tx.send(true);
                break;
            }
            _ = &mut stopped => {
                info!("stopped by its caller: flushing the journal");
                let _ = shutdown_tx.send(true);
                break;
            }
        }
    }
    let _ = actor.await;
    Ok(())
}

fn start(args: &ServeArgs) -> Result<Prepared> {
    let file = args.file.as_ref().expect("clap requires FILE without --resume or --branch");
    let model = load_model(file).map_err(|e| anyhow::anyhow!("{e}"))?;
    let seed = args.seed.unwrap_or(model.scenario.seed);
    let team_ids: Vec<String> = model.scenario.teams.iter().map(|t| t.id.clone()).collect();
    // Checked before anything is written.
    let humans = bots::human_teams(args.bots.as_deref().unwrap_or("all"), &team_ids)?;
    let journal_path = match &args.journal {
        Some(p) => p.clone(),
        None => default_journal(file.file_stem().and_then(|s| s.to_str()).unwrap_or("exercise"))?,
    };
    let tokens = Tokens::generate(&team_ids)?;
    let header = Header::new(to_ron(&model.scenario), seed, jiff::Timestamp::now().to_string());
    let mut journal = JournalWriter::create(&journal_path, &header)
        .with_context(|| format!("cannot create journal {} (it must not exist yet)", journal_path.display()))?;
    tokens.write(&Tokens::path_beside(&journal_path))?;
    let sim = Simulation::new(Arc::new(model), seed);
    journal.append_checkpoint(0, &sim.state_hash())?;
    journal.sync()?;
    let mut exercise = Exercise::new(sim, journal, args.speed);
    exercise
        .take_over_from_start(&humans)
        .with_context(|| format!("cannot write journal {}", journal_path.display()))?;
    Ok(Prepared { exercise, tokens, journal: journal_path, origin: None })
}

/// `--resume`: the exercise of a crashed host, paused at its last checkpoint.
fn resume(path: &Path, speed: f64) -> Result<Prepared> {
    let (exercise, tokens) = resume_journal(path, speed)?;
    info!("resumed {} at tick {}, paused until the director resumes", path.display(), exercise.sim.tick());
    Ok(Prepared { exercise, tokens, journal: path.to_path_buf(), origin: None })
}

/// What `--resume` and `--branch` share: re-simulates the journal at `path` to
/// its last checkpoint (checking every hash), reads the tokens beside it, cuts
/// a torn last line, and requeues the commands acknowledged for the next tick.
/// The exercise comes back paused.
fn resume_journal(path: &Path, speed: f64) -> Result<(Exercise, Tokens)> {
    let journal = read_journal(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let valid_len = journal.valid_len;
    let replay = Replay::new(journal).map_err(|e| anyhow::anyhow!("{e}"))?;
    let sim = replay.verify(|_| {}).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let tokens = Tokens::read(&Tokens::path_beside(path))?;
    let team_ids: Vec<String> = sim.model().scenario.teams.iter().map(|t| t.id.clone()).collect();
    tokens.check_teams(&team_ids)?;
    let next = sim.tick() + 1;
    let pending = replay.commands_for(&sim, next).map_err(|e| anyhow::anyhow!("{e}"))?;
    let writer = JournalWriter::resume(path, valid_len)?;
    let mut exercise = Exercise::new(sim, writer, speed);
    for (_, line) in &replay.journal.commands {
        exercise.note_seen(line.team.clone(), line.client.clone(), line.seq, line.tick);
    }
    exercise.ended = replay.journal.end_stamp().is_some() || exercise.sim.is_finished();
    exercise.requeue(pending);
    Ok((exercise, tokens))
}
