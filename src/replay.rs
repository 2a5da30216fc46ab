//! `cascade replay JOURNAL [--verify]`: summarise a journal, or re-simulate it and
//! check every checkpoint hash.

use std::io::IsTerminal;
use std::path::PathBuf;

use cascade_replay::{Replay, read_journal};
use clap::Args;

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Journal file (.jsonl).
    journal: PathBuf,
    /// Re-simulate every tick and compare each checkpoint hash.
    #[arg(long)]
    verify: bool,
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
        return true;
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

/// A progress bar on stderr when it is a terminal; hidden otherwise.
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if std::io::stderr().is_terminal() { indicatif::ProgressBar::new(total) } else { indicatif::ProgressBar::hidden() }
}
