//! `cascade`: the one binary. A thin command-line layer over the engine: it parses
//! arguments, does the file I/O and printing, and maps failures to exit codes
//! (0 success, 1 a problem with the input or outputs, 2 bad arguments).

mod asset_trace;
mod bot;
mod check;
mod exercise_cmd;
// `gen` is a reserved word in Rust 2024; the file is src/gen.rs.
mod r#gen;
mod graph;
mod loadtest;
mod msel;
mod observe;
mod play;
mod replay;
mod report;
mod run;
mod serve;
mod server_args;
mod sweep;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "cascade", version, about = "Cascade: a deterministic national cyber-crisis exercise engine")]
struct Cli {
    /// With no subcommand: `cascade exercise scenarios/luxembourg.ron`.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check scenario files: exit 0 if all are valid, 1 with every error on
    /// stderr; warnings (valid, but probably not meant) on stderr too.
    Check {
        /// Scenario files (.ron).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Treat warnings as errors (exit 1 if there is any).
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Run a scenario headless, as fast as possible, and print a summary.
    Run(run::RunArgs),
    /// Write a synthetic country as a scenario (sectors, hubs, buffers,
    /// redundancy, incidents, bot-played teams), the same for the same seed.
    Gen(r#gen::GenArgs),
    /// Draw a scenario's dependency graph and network links: SVG (laid out by
    /// cascade) or Graphviz DOT, by asset with sectors as clusters, or by sector.
    Graph(graph::GraphArgs),
    /// Print a scenario's MSEL (its injects, with any `msel` CSV merged in) as CSV.
    Msel {
        /// Scenario file (.ron).
        file: PathBuf,
    },
    /// Run a scenario under many seeds, every team played by its bot, and print the
    /// distribution of outcomes (lost national service, objectives met).
    Sweep(sweep::SweepArgs),
    /// Read a journal: summarise it, or with --verify re-simulate it and check
    /// every checkpoint hash (exit 1 naming the first tick that differs).
    Replay(replay::ReplayArgs),
    /// Write the after-action report of a journal (report.md, report.html,
    /// report.json, report.docx) into --out DIR, re-simulating it and checking every checkpoint.
    Report(report::ReportArgs),
    /// Host a live exercise over websockets (or continue one with --resume).
    Serve(serve::ServeArgs),
    /// Play a team in a live exercise from this terminal (ws://HOST:PORT --token T).
    Play(play::PlayArgs),
    /// Join a live exercise as a bot playing one team (ws://HOST:PORT --token T).
    Bot(bot::BotArgs),
    /// Direct a live exercise from this terminal: the director console
    /// (ws://HOST:PORT --token DIRECTOR).
    Observe(observe::ObserveArgs),
    /// Host an exercise in this process and direct it from this terminal; every
    /// team is played by its bot until a human joins with its token.
    Exercise(exercise_cmd::ExerciseArgs),
    /// Benchmark the exercise host: start it on 127.0.0.1, join --clients
    /// websocket clients, run the clock for --seconds and report tick and
    /// answer latencies, losses, closes, CPU and memory.
    Loadtest(loadtest::LoadtestArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // No subcommand: the bundled exercise for a person at a terminal; a usage
    // error (exit 2) for scripts.
    let command = cli.command.unwrap_or_else(|| {
        use std::io::IsTerminal;
        if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
            use clap::CommandFactory;
            Cli::command()
                .error(
                    clap::error::ErrorKind::MissingSubcommand,
                    "a subcommand is needed when not on a terminal (on one, `cascade` runs the bundled exercise)",
                )
                .exit();
        }
        Command::Exercise(exercise_cmd::ExerciseArgs::default_exercise())
    });
    let ok = match command {
        Command::Check { files, deny_warnings } => check::check_files(&files, deny_warnings),
        Command::Run(args) => run::run(&args),
        Command::Gen(args) => r#gen::generate(&args),
        Command::Graph(args) => graph::graph(&args),
        Command::Msel { file } => msel::print_msel(&file),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Replay(args) => replay::replay(&args),
        Command::Report(args) => report::report(&args),
        Command::Serve(args) => serve::serve(&args),
        Command::Play(args) => play::play(&args),
        Command::Bot(args) => bot::bot(&args),
        Command::Observe(args) => observe::observe(&args),
        Command::Exercise(args) => exercise_cmd::exercise(&args),
        Command::Loadtest(args) => loadtest::loadtest(&args),
    };
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
