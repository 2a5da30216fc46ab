//! `cascade exercise FILE`: hosts the exercise in this process (the same host
//! as `cascade serve`, on a port of its own) and opens the director console on
//! it over the same websocket protocol. Every team is played by its bot until a
//! human joins with the team's token (printed before the console opens, and in
//! the tokens file beside the journal). Quitting the console stops the host,
//! which flushes the journal. `cascade` with no subcommand runs the bundled
//! Luxembourg exercise this way.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::host::{self, Ready, ServeArgs};

/// The scenario `cascade` runs with no subcommand.
pub const DEFAULT_SCENARIO: &str = "scenarios/luxembourg.ron";

#[derive(Args, Debug)]
pub struct ExerciseArgs {
    /// Scenario file (.ron).
    file: PathBuf,
    /// Address to listen on, for humans joining from elsewhere (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    /// Journal to write (default: journals/<scenario>-<UTC time>.jsonl). Never overwritten.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Ticks per second once started.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Redraws per second of the console (independent of the exercise's speed).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    fps: u32,
}

impl ExerciseArgs {
    /// `cascade exercise scenarios/luxembourg.ron` with the defaults.
    pub fn default_exercise() -> ExerciseArgs {
        ExerciseArgs {
            file: PathBuf::from(DEFAULT_SCENARIO),
            addr: "127.0.0.1:0".into(),
            journal: None,
            speed: 1.0,
            fps: 10,
        }
    }
}

pub fn exercise(args: &ExerciseArgs) -> bool {
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
    if !args.file.exists() {
        anyhow::bail!("no scenario {} (run cascade from the project's directory, or name one)", args.file.display());
    }
    // Checked before anything starts, so that a broken scenario leaves no
    // journal behind (the host loads it again; this copy feeds the inject
    // form's MSEL).
    let Some(model) = crate::check::load_or_report(&args.file) else {
        anyhow::bail!("{} is not a valid scenario", args.file.display());
    };
    let msel = cascade_observer::director::msel_of(&model.scenario);
    {
        use std::io::IsTerminal;
        if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
            anyhow::bail!("the director console needs a terminal (cascade serve hosts without one)");
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let serve = ServeArgs::in_process(args.file.clone(), args.addr.clone(), args.journal.clone(), args.speed);
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Ready>();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let host = tokio::spawn(async move { host::run_until(&serve, Some(ready_tx), Some(stop_rx)).await });
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
