//! `cascade exercise FILE`: hosts the exercise in this process (the same host
//! as `cascade serve`, on a port of its own) and opens the director console on
//! it over the same websocket protocol. Every team is played by its bot until a
//! human joins with the team's token (printed before the console opens, and in
//! the tokens file beside the journal), unless `--bots` names the teams bots
//! play. Quitting the console stops the host, which flushes the journal.
//! `cascade` with no subcommand runs the bundled Luxembourg exercise this way.
//! `cascade exercise --branch JOURNAL --at TICK` does the same for a new
//! exercise that starts from a recording's state at a tick.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use cascade_host::{Config, Ready, Source};

/// The scenario's injects, for the console's inject form.
type Msel = Vec<(String, cascade_engine::wire::LiveInject)>;

/// The scenario `cascade` runs with no subcommand.
pub const DEFAULT_SCENARIO: &str = "scenarios/luxembourg.ron";

#[derive(Args, Debug)]
pub struct ExerciseArgs {
    /// Scenario file (.ron); not with --branch.
    // Conflicts with --branch: see `serve::refuse_with`.
    #[arg(required_unless_present = "branch")]
    file: Option<PathBuf>,
    /// Start a new exercise from the state of a recorded one at --at TICK
    /// (scenario and seed from its journal), paused until you resume it.
    #[arg(long, value_name = "JOURNAL", requires = "at")]
    branch: Option<PathBuf>,
    /// The tick of the --branch journal to start from (one of its checkpoints).
    #[arg(long, value_name = "TICK", requires = "branch")]
    at: Option<u64>,
    /// Teams the scenario's bots play: `all` (every team, until a human's first
    /// command), `none`, or team ids separated by commas; every other team is
    /// human from the first tick.
    #[arg(long, value_name = "TEAM,…")]
    bots: Option<String>,
    /// Address to listen on, for humans joining from elsewhere (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    /// Journal to write (default: journals/<scenario>-<UTC time>.jsonl, with --branch
    /// journals/<source>-branch-t<TICK>-<UTC time>.jsonl). Never overwritten.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Ticks per second once started.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Redraws per second of the console (independent of the exercise's speed).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    fps: u32,
    /// Start the clock as soon as the console is up (as `cascade` with no
    /// arguments does), instead of waiting for space.
    #[arg(long, conflicts_with = "branch")]
    start: bool,
    /// Key bindings (RON: {"pause": "p", …}; default: $CASCADE_KEYS, else
    /// ~/.config/cascade/keys.ron if it exists). README lists the actions.
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    #[command(flatten)]
    web: crate::serve::WebArgs,
}

impl ExerciseArgs {
    /// `cascade exercise scenarios/luxembourg.ron` with the defaults.
    pub fn default_exercise() -> ExerciseArgs {
        ExerciseArgs {
            file: Some(PathBuf::from(DEFAULT_SCENARIO)),
            branch: None,
            at: None,
            bots: None,
            addr: "127.0.0.1:0".into(),
            journal: None,
            speed: 1.0,
            fps: 10,
            keys: None,
            web: crate::serve::WebArgs::default(),
            // A newcomer sees the exercise unfold without knowing a key.
            start: true,
        }
    }

    /// `cascade exercise --branch JOURNAL --at TICK` with the defaults: a new
    /// exercise from the state of the recording `journal` at tick `at` (for the
    /// replay console's branch key). Call [`exercise`] outside any async runtime.
    pub fn branch_of(journal: PathBuf, at: u64) -> ExerciseArgs {
        // A branch waits for the director, who wants to do something else now.
        ExerciseArgs {
            file: None,
            branch: Some(journal),
            at: Some(at),
            start: false,
            ..ExerciseArgs::default_exercise()
        }
    }

    /// The same with the console's keys from `keys` (see `--keys`).
    pub fn with_keys(self, keys: Option<PathBuf>) -> ExerciseArgs {
        ExerciseArgs { keys, ..self }
    }

    /// What the host runs, checked before anything starts (so that a broken
    /// scenario, a bad --bots or an impossible branch leaves no journal
    /// behind), and the MSEL for the inject form.
    fn source(&self) -> anyhow::Result<(Source, Msel)> {
        if let (Some(journal), Some(at)) = (&self.branch, self.at) {
            let plan = cascade_host::branch::plan(journal, at)?;
            let msel = cascade_observer::director::msel_of(&plan.replay.model.scenario);
            return Ok((Source::Branch { journal: journal.clone(), at }, msel));
        }
        let file = self.file.clone().ok_or_else(|| anyhow::anyhow!("name a scenario file, or --branch JOURNAL"))?;
        if !file.exists() {
            anyhow::bail!("no scenario {} (run cascade from the project's directory, or name one)", file.display());
        }
        let Some(model) = crate::check::load_or_report(&file) else {
            anyhow::bail!("{} is not a valid scenario", file.display());
        };
        if let Some(bots) = &self.bots {
            let team_ids: Vec<String> = model.scenario.teams.iter().map(|t| t.id.clone()).collect();
            cascade_host::bots::human_teams(bots, &team_ids)?;
        }
        let msel = cascade_observer::director::msel_of(&model.scenario);
        Ok((Source::Scenario { file, bots: self.bots.clone(), seed: None }, msel))
    }
}

pub fn exercise(args: &ExerciseArgs) -> bool {
    if args.branch.is_some() {
        crate::serve::refuse_with(&[("[FILE]", args.file.is_some()), ("--bots <TEAM,…>", args.bots.is_some())]);
    }
    match run(args) {
        Ok(journal) => {
            println!("journal {}", journal.display());
            true
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            false
        }
    }
}

fn run(args: &ExerciseArgs) -> anyhow::Result<PathBuf> {
    // The host checks and loads it again; this copy feeds the inject form.
    let (source, msel) = args.source()?;
    let keys = cascade_observer::keymap::KeyMap::from_args(args.keys.as_deref()).map_err(anyhow::Error::msg)?;
    {
        use std::io::IsTerminal;
        if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
            anyhow::bail!("the director console needs a terminal (cascade serve hosts without one)");
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let serve = Config {
            journal: args.journal.clone(),
            speed: Some(args.speed),
            tls: args.web.tls(),
            public_url: args.web.public_url(),
            ..Config::new(source, &args.addr)
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Ready>();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let host = tokio::spawn(async move { cascade_host::run_until(&serve, Some(ready_tx), Some(stop_rx)).await });
        let ready = match ready_rx.await {
            Ok(ready) => ready,
            // The host stopped before listening: its error says why.
            Err(_) => {
                return match host.await {
                    Ok(Err(e)) => Err(e),
                    Ok(Ok(())) => Err(anyhow::anyhow!("the host stopped before listening")),
                    Err(e) => Err(anyhow::anyhow!("the host failed: {e}")),
                };
            }
        };
        let config = cascade_observer::observe::ObserveConfig {
            url: ready.url.clone(),
            token: ready.director.clone(),
            client: None,
            fps: args.fps,
            msel,
            keys,
            start: args.start,
            // The console is in the host's own process: it trusts exactly the
            // host's certificate, whatever names it holds.
            trust: match &ready.certificate {
                Some(der) => cascade_observer::tls::Trust::Pinned(der.clone().into()),
                None => cascade_observer::tls::Trust::Public,
            },
        };
        let console = cascade_observer::observe::run(config).await;
        let _ = stop_tx.send(true);
        match tokio::time::timeout(Duration::from_secs(10), host).await {
            Ok(Ok(Err(e))) => return Err(e),
            Ok(Err(e)) => return Err(anyhow::anyhow!("the host failed: {e}")),
            Err(_) => return Err(anyhow::anyhow!("the host did not stop within 10 s")),
            Ok(Ok(Ok(()))) => {}
        }
        console.map_err(|e| anyhow::anyhow!(e))?;
        Ok(ready.journal)
    })
}
