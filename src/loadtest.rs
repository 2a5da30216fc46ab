//! `cascade loadtest`: the command line of the host's load benchmark (the
//! benchmark itself is `cascade_host::load`). Parses and bounds the options,
//! builds the runtime, prints the report, and maps failure to exit code 1.
//!
//! It must never accept a count or duration outside the bounds below, nor an
//! address: the benchmark only ever runs its own host on 127.0.0.1.

use std::path::PathBuf;

use cascade_host::load::{LoadConfig, MAX_CLIENTS, MAX_SECONDS};
use clap::Args;

#[derive(Args, Debug)]
pub struct LoadtestArgs {
    /// Scenario file (.ron) the host runs.
    scenario: PathBuf,
    /// Connections to open, the director's included (1 to 10000).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=MAX_CLIENTS as u64))]
    clients: u64,
    /// Seconds measured from the clock's start (1 to 600).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    seconds: u64,
    /// Ticks per second the host runs at (0.01 to 1000).
    #[arg(long, default_value_t = 1.0, value_parser = speed)]
    speed: f64,
    /// Team connections that send commands (default: 20, or fewer if there are
    /// fewer team connections; at most clients - 1).
    #[arg(long)]
    senders: Option<usize>,
    /// Commands per second each sender sends (0.01 to 1000).
    #[arg(long, default_value_t = 2.0, value_parser = speed)]
    command_rate: f64,
    /// The host's --rate: commands per second allowed per connection.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    rate: u32,
    /// Keep the temporary directory (journal, tokens, the host's log) and say where.
    #[arg(long)]
    keep: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Measure the baseline instead of the host: a minimal server of the same
    /// traffic (tick frames as large as the host's, commands fdatasynced before
    /// their ack) with no exercise behind it (docs/performance.md).
    #[arg(long)]
    baseline: bool,
    /// Be the baseline server, writing its tokens and journal in DIR (what
    /// --baseline starts).
    #[arg(long, hide = true, value_name = "DIR")]
    baseline_host: Option<PathBuf>,
}

fn speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if cascade_host::SPEEDS.contains(&x) => Ok(x),
        Ok(_) => Err("must be between 0.01 and 1000".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

pub fn loadtest(args: &LoadtestArgs) -> bool {
    if let Some(dir) = &args.baseline_host {
        let serve = async {
            let (tokens, journal) = (dir.join("tokens.json"), dir.join("load.jsonl"));
            cascade_host::baseline::serve_baseline(&args.scenario, &tokens, &journal, args.speed).await
        };
        let served = tokio::runtime::Builder::new_multi_thread().enable_all().build().map(|rt| rt.block_on(serve));
        return match served {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                eprintln!("error: {e:#}");
                false
            }
            Err(e) => {
                eprintln!("error: cannot start the runtime: {e}");
                false
            }
        };
    }
    let clients = args.clients as usize;
    let senders = match args.senders {
        Some(k) if k >= clients => {
            let message =
                format!("--senders must be at most --clients - 1 ({}): one client is the director", clients - 1);
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{message}\n")).exit();
        }
        Some(k) => k,
        None => 20.min(clients - 1),
    };
    let config = LoadConfig {
        scenario: args.scenario.clone(),
        clients,
        seconds: args.seconds,
        speed: args.speed,
        senders,
        command_rate: args.command_rate,
        host_rate: args.rate,
        keep: args.keep,
        baseline: args.baseline,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return false;
        }
    };
    match runtime.block_on(cascade_host::load::run(&config)) {
        Ok(report) if args.json => match serde_json::to_string_pretty(&report) {
            Ok(text) => {
                println!("{text}");
                true
            }
            Err(e) => {
                eprintln!("error: {e}");
                false
            }
        },
        Ok(report) => {
            print!("{report}");
            true
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            false
        }
    }
}
