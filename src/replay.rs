//! `cascade replay JOURNAL`: on a terminal, the director console on the
//! recording (play, step back and forth, seek, jump to events, branch a live
//! exercise with `b`); otherwise, or with `--summary`, a summary of the
//! journal; with `--verify`, re-simulate it and check every checkpoint hash.

use std::io::IsTerminal;
use std::path::PathBuf;

use cascade_observer::replay_console::ReplayExit;
use cascade_replay::player::SNAPSHOT_BUDGET_BYTES;
use cascade_replay::{Player, Replay, read_journal};
use clap::Args;

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Journal file (.jsonl).
    journal: PathBuf,
    /// Re-simulate every tick and compare each checkpoint hash.
    #[arg(long)]
    verify: bool,
    /// Print the summary even on a terminal (no console).
    #[arg(long, conflicts_with = "verify")]
    summary: bool,
    /// Tick the console opens at (default 0).
    #[arg(long, value_name = "TICK", conflicts_with_all = ["verify", "summary"])]
    at: Option<u64>,
    /// Redraws per second of the console.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    fps: u32,
    /// Key bindings (RON: {"pause": "p", …}; default: $CASCADE_KEYS, else
    /// ~/.config/cascade/keys.ron if it exists). README lists the actions.
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
}

pub fn replay(args: &ReplayArgs) -> bool {
    let journal = match read_journal(&args.journal) {
        Ok(journal) => journal,
        Err(error) => {
            eprintln!("{error}");
            return false;
        }
    };
    let torn = journal.torn;
    let replay = match Replay::new(journal) {
        Ok(replay) => replay,
        Err(error) => {
            eprintln!("{error}");
            return false;
        }
    };
    let j = &replay.journal;
    let s = &replay.model.scenario;
    println!(
        "{}: {:?}, seed {}, started {}, engine {}",
        args.journal.display(),
        s.name,
        replay.seed,
        j.header.started_at,
        j.header.engine
    );
    println!(
        "{} ticks checkpointed (0..={}) of {}, {} commands{}",
        j.checkpoints.len(),
        j.last_tick(),
        s.duration_ticks,
        j.commands.len(),
        if torn { "; a torn last line was ignored" } else { "" }
    );
    if !args.verify {
        let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        if args.summary || !terminal {
            if args.at.is_some() {
                eprintln!("--at opens the console at a tick: it needs a terminal");
                return false;
            }
            return true;
        }
        return console(args, replay);
    }
    let total = j.checkpoints.len() as u64;
    let bar = progress_bar(total);
    match replay.verify(|_| bar.inc(1)) {
        Ok(sim) => {
            bar.finish_and_clear();
            println!("verified: every checkpoint matches; tick {} hash {}", sim.tick(), sim.state_hash().to_hex());
            true
        }
        Err(error) => {
            bar.finish_and_clear();
            eprintln!("{}: {error}", args.journal.display());
            false
        }
    }
}

/// The console on the recording; `b` in it starts a live exercise branched
/// from the tick shown (`cascade exercise --branch JOURNAL --at TICK`).
fn console(args: &ReplayArgs, replay: Replay) -> bool {
    let keys = match cascade_observer::keymap::KeyMap::from_args(args.keys.as_deref()) {
        Ok(keys) => keys,
        Err(e) => {
            eprintln!("error: {e}");
            return false;
        }
    };
    let bar = progress_bar(replay.journal.checkpoints.len() as u64);
    let started = std::time::Instant::now();
    let player = Player::open(replay, SNAPSHOT_BUDGET_BYTES, |_| bar.inc(1));
    bar.finish_and_clear();
    let mut player = match player {
        Ok(player) => player,
        Err(error) => {
            eprintln!("{}: {error}", args.journal.display());
            return false;
        }
    };
    let (count, bytes) = player.snapshots();
    println!(
        "re-simulated and checked in {:.2} s; {count} snapshots ({:.1} MiB), one every {} ticks",
        started.elapsed().as_secs_f64(),
        bytes as f64 / (1024.0 * 1024.0),
        player.interval()
    );
    if let Some(at) = args.at
        && at > player.last_tick()
    {
        eprintln!("--at {at}: the journal's last tick is {}", player.last_tick());
        return false;
    }
    let label =
        args.journal.file_name().map_or_else(|| args.journal.display().to_string(), |n| n.to_string_lossy().into());
    match cascade_observer::replay_console::run(&mut player, label, args.fps, args.at.unwrap_or(0), keys) {
        Ok(ReplayExit::Quit) => true,
        Ok(ReplayExit::Branch(tick)) => {
            println!("branching a live exercise from {} at tick {tick}", args.journal.display());
            let branch = crate::exercise_cmd::ExerciseArgs::branch_of(args.journal.clone(), tick);
            crate::exercise_cmd::exercise(&branch.with_keys(args.keys.clone()))
        }
        Err(error) => {
            eprintln!("error: {error}");
            false
        }
    }
}

/// A progress bar on stderr when it is a terminal; hidden otherwise.
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if std::io::stderr().is_terminal() { indicatif::ProgressBar::new(total) } else { indicatif::ProgressBar::hidden() }
}
