//! `cascade sweep FILE --runs N`: the same scenario under N seeds, every team played
//! by its bot, and the distribution of the outcomes — the risk view: how much
//! national service is lost in a typical run and in a bad one, how often each
//! objective is met.
//!
//! Runs are independent, so they run in parallel (rayon, one simulation per
//! thread); each run depends only on its seed and the results are kept in seed
//! order, so what is printed and written is the same for any `--jobs`. For the
//! same reason a sweep can be spread over machines: `--shard I/N --json OUT` runs
//! one slice of the seeds, and `cascade sweep merge` joins the slices into the
//! report one process would have printed (docs/sweep.md).
//!
//! Modules: `outcome` (what a run comes to, simulated), `report` (the summary and
//! CSV from a list of outcomes, the only place they are made), `shard` (slices,
//! the shard file, merging).

mod outcome;
mod report;
mod shard;

use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use cascade_engine::Model;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use outcome::{Facts, Outcome};
use report::CsvWriter;
use shard::{MAX_RUNS, Shard, ShardFile, ShardWriter};

// `merge` is a subcommand of `sweep` whose arguments conflict with the sweep's
// own, so `cascade sweep FILE --runs N` parses as it always did (a scenario
// file named `merge` is given as `./merge`).
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    command: Option<SweepCommand>,
    /// Scenario file (.ron).
    #[arg(required = true)]
    file: Option<PathBuf>,
    /// Number of runs (seeds), 1..=100000.
    #[arg(long, value_name = "N", required = true, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_RUNS)))]
    runs: Option<u32>,
    /// Seed of the first run; run i uses first-seed + i (default: the scenario's `seed`).
    #[arg(long, value_name = "S")]
    first_seed: Option<u64>,
    /// Runs computed in parallel (default: the number of available cores).
    #[arg(long, value_name = "J", value_parser = clap::value_parser!(u32).range(1..=1024))]
    jobs: Option<u32>,
    /// Write one CSV row per run: seed,lost_person_hours,lowest_national_permille,
    /// objectives_met,objectives_missed,objectives_pending,notifications_on_time,
    /// notifications_late,notifications_overdue. Person-hours count people when
    /// the scenario states its `population`, weighted users otherwise.
    #[arg(long, value_name = "OUT.csv", conflicts_with = "shard")]
    csv: Option<PathBuf>,
    /// Run only shard I of N (I counted from 0: 0/N to N-1/N): the I-th of N
    /// contiguous slices of the runs, for a batch scheduler (Slurm array, Kubernetes
    /// Indexed Job). Needs --json; `cascade sweep merge` joins the shards.
    #[arg(long, value_name = "I/N", requires = "json", value_parser = shard::parse_shard)]
    shard: Option<Shard>,
    /// Write every run's outcome as a shard file (JSON) for `cascade sweep merge`.
    #[arg(long, value_name = "OUT.json")]
    json: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum SweepCommand {
    /// Join the shard files of one sweep (`--shard I/N --json OUT`, any order) and
    /// print the report one `cascade sweep FILE --runs N` would have printed.
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
struct MergeArgs {
    /// Shard files, every shard of the sweep once.
    #[arg(required = true, value_name = "SHARD.json")]
    files: Vec<PathBuf>,
    /// Write the per-run CSV of the whole sweep, as `cascade sweep --csv` would.
    #[arg(long, value_name = "OUT.csv")]
    csv: Option<PathBuf>,
    /// Write the whole sweep as one shard file (shard 0/1).
    #[arg(long, value_name = "OUT.json")]
    json: Option<PathBuf>,
}

pub fn sweep(args: &SweepArgs) -> bool {
    if let Some(SweepCommand::Merge(merge)) = &args.command {
        return report_errors(merge_shards(merge));
    }
    // clap requires both without a subcommand; this is only a guard.
    let (Some(file), Some(runs)) = (&args.file, args.runs) else {
        bad_argument("a scenario FILE and --runs N are needed (or `cascade sweep merge SHARD.json…`)".to_string());
    };
    let Some(model) = crate::check::load_or_report(file) else {
        return false;
    };
    let first = args.first_seed.unwrap_or(model.scenario.seed);
    if first.checked_add(u64::from(runs) - 1).is_none() {
        bad_argument(format!("--runs {runs} from seed {first} would go past the largest seed, {}", u64::MAX));
    }
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    if shard.count > runs {
        bad_argument(format!("--shard {shard}: {} shards of --runs {runs} would leave some with no run", shard.count));
    }
    report_errors(sweep_model(model, first, runs, shard, args))
}

/// A bad combination of arguments: exit 2, like clap's own errors.
fn bad_argument(message: String) -> ! {
    clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{message}\n")).exit()
}

fn report_errors(result: Result<()>) -> bool {
    match result {
        Ok(()) => true,
        Err(error) => {
            eprintln!("error: {error:#}");
            false
        }
    }
}

fn sweep_model(model: Model, first: u64, runs: u32, shard: Shard, args: &SweepArgs) -> Result<()> {
    // Open the outputs before simulating, so a bad path fails at once.
    let csv = args.csv.as_deref().map(CsvWriter::create).transpose()?;
    let json = args.json.as_deref().map(ShardWriter::create).transpose()?;

    let facts = Facts::of(&model);
    let slice = shard.runs(runs);
    let outcomes = run_seeds(model, first, slice.clone(), args.jobs)?;

    if let Some(csv) = csv {
        csv.finish(&facts, &outcomes)?;
    }
    // The whole sweep is summarised; a shard alone would give percentiles of a
    // slice, which mean nothing, so it only says what it wrote.
    if args.shard.is_none() {
        print(&report::summary(&facts, &outcomes))?;
    }
    if let (Some(json), Some(path)) = (json, &args.json) {
        let count = outcomes.len();
        json.finish(&ShardFile::new(facts.clone(), first, runs, shard, outcomes))?;
        if args.shard.is_some() {
            print(&format!(
                "{} — shard {shard} of {runs} runs from seed {first}: {count} run{}, {}, written to {}\n",
                facts.name,
                if count == 1 { "" } else { "s" },
                shard::seeds_text(first, slice),
                path.display()
            ))?;
        }
    }
    Ok(())
}

/// Simulates runs `slice` (run i has seed `first` + i) on `jobs` threads; the
/// outcomes are in seed order.
fn run_seeds(model: Model, first: u64, slice: Range<u32>, jobs: Option<u32>) -> Result<Vec<Outcome>> {
    let runs = u64::from(slice.end - slice.start);
    let jobs = match jobs {
        Some(j) => j as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.min(runs as usize).max(1))
        .build()
        .context("cannot start the worker threads")?;

    let progress = progress_bar(runs);
    let model = Arc::new(model);
    // An indexed parallel iterator collects in index order: results are in seed order.
    let outcomes = pool.install(|| {
        slice
            .into_par_iter()
            .map(|run| {
                let outcome = outcome::run_one(Arc::clone(&model), first + u64::from(run));
                progress.inc(1);
                outcome
            })
            .collect()
    });
    progress.finish_and_clear();
    Ok(outcomes)
}

/// Writes `text` to stdout. A reader that went away (`| head`) is not an error:
/// it has what it wanted; the outputs written to files are complete either way.
fn print(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("cannot write the report to stdout")
        }
        _ => Ok(()),
    }
}

fn progress_bar(runs: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(runs);
    if let Ok(style) = ProgressStyle::with_template("sweeping {pos}/{len} runs [{bar:40}] {elapsed} (about {eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn merge_shards(args: &MergeArgs) -> Result<()> {
    let whole = shard::merge(&args.files)?;
    // Outputs only once the shards are known good: a refused merge writes nothing.
    let csv = args.csv.as_deref().map(CsvWriter::create).transpose()?;
    let json = args.json.as_deref().map(ShardWriter::create).transpose()?;
    if let Some(csv) = csv {
        csv.finish(&whole.scenario, &whole.outcomes)?;
    }
    print(&report::summary(&whole.scenario, &whole.outcomes))?;
    if let Some(json) = json {
        json.finish(&whole)?;
    }
    Ok(())
}
