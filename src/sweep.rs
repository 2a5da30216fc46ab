//! `cascade sweep FILE --runs N`: the same scenario under N seeds, every team played
//! by its bot, and the distribution of the outcomes — the risk view: how much
//! national service is lost in a typical run and in a bad one, how often each
//! objective is met.
//!
//! Runs are independent, so they run in parallel (rayon, one simulation per
//! thread); each run depends only on its seed and the results are kept in seed
//! order, so what is printed and written is the same for any `--jobs`.
//!
//! Every figure is computed in integers. Percentiles are nearest-rank: the p-th
//! percentile of N values is the ⌈p·N/100⌉-th smallest (the median is the
//! ⌈N/2⌉-th), so each one is the outcome of an actual run, whose seed is printed
//! so that `cascade run FILE --seed S` replays it.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use cascade_engine::exercise::Status;
use cascade_engine::view::percent;
use cascade_engine::{Model, Simulation};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Scenario file (.ron).
    file: PathBuf,
    /// Number of runs (seeds), 1..=100000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    runs: u32,
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
    #[arg(long, value_name = "OUT.csv")]
    csv: Option<PathBuf>,
}

pub fn sweep(args: &SweepArgs) -> bool {
    let Some(model) = crate::check::load_or_report(&args.file) else {
        return false;
    };
    let first = args.first_seed.unwrap_or(model.scenario.seed);
    if first.checked_add(u64::from(args.runs) - 1).is_none() {
        // A bad combination of arguments: exit 2, like clap's own errors.
        clap::Error::raw(
            clap::error::ErrorKind::ValueValidation,
            format!("--runs {} from seed {first} would go past the largest seed, {}\n", args.runs, u64::MAX),
        )
        .exit();
    }
    match sweep_model(model, first, args) {
        Ok(()) => true,
        Err(error) => {
            eprintln!("error: {error:#}");
            false
        }
    }
}

fn sweep_model(model: Model, first: u64, args: &SweepArgs) -> Result<()> {
    // Open the output before simulating, so a bad path fails at once.
    let mut csv = args.csv.as_deref().map(CsvWriter::create).transpose()?;

    let runs = u64::from(args.runs);
    let jobs = match args.jobs {
        Some(j) => j as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.min(runs as usize))
        .build()
        .context("cannot start the worker threads")?;

    let progress = progress_bar(runs);
    let model = Arc::new(model);
    // An indexed parallel iterator collects in index order: results are in seed order.
    let outcomes: Vec<Outcome> = pool.install(|| {
        (0..runs)
            .into_par_iter()
            .map(|i| {
                let outcome = run_one(Arc::clone(&model), first + i);
                progress.inc(1);
                outcome
            })
            .collect()
    });
    progress.finish_and_clear();

    if let Some(csv) = &mut csv {
        for outcome in &outcomes {
            csv.row(&model, outcome)?;
        }
    }
    if let Some(csv) = csv {
        csv.finish()?;
    }
    print_summary(&model, &outcomes);
    Ok(())
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

/// What one run came to.
struct Outcome {
    seed: u64,
    /// Σ over ticks 1..=T of the people not served (person-ticks).
    lost_person_ticks: u128,
    /// The lowest national service over ticks 0..=T, in people.
    lowest_national: u64,
    /// Per objective (scenario order), at the end.
    objectives: Vec<Status>,
    /// Per incident (scenario order): (started, detected, contained).
    incidents: Vec<(bool, bool, bool)>,
    notifications_on_time: u32,
    notifications_late: u32,
    notifications_overdue: u32,
}

impl Outcome {
    fn objective_counts(&self) -> (usize, usize, usize) {
        let met = self.objectives.iter().filter(|s| matches!(s, Status::Met(_))).count();
        let missed = self.objectives.iter().filter(|s| matches!(s, Status::Missed(_))).count();
        (met, missed, self.objectives.len() - met - missed)
    }
}

/// A full run with no commands: every team is played by its scenario bot.
fn run_one(model: Arc<Model>, seed: u64) -> Outcome {
    let total = model.total_population;
    let mut sim = Simulation::new(model, seed);
    let mut lost_person_ticks = 0u128;
    let mut lowest_national = sim.national_service();
    while sim.step() {
        let served = sim.national_service();
        lost_person_ticks += u128::from(total.saturating_sub(served));
        lowest_national = lowest_national.min(served);
    }
    let ex = sim.exercise();
    Outcome {
        seed,
        lost_person_ticks,
        lowest_national,
        objectives: ex.objectives.clone(),
        incidents: ex
            .incidents
            .iter()
            .map(|s| (s.started_at.is_some(), s.first_detected.is_some(), s.contained_at.is_some()))
            .collect(),
        notifications_on_time: ex.metrics.notifications_on_time,
        notifications_late: ex.metrics.notifications_late,
        notifications_overdue: ex.metrics.notifications_overdue,
    }
}

// ---------------------------------------------------------------- numbers

/// Lost service in the scenario's stated people when it states them (the
/// weighted users scaled down, rounded down), in weighted users otherwise.
fn lost_people(model: &Model, lost_user_ticks: u128) -> u128 {
    match (model.scenario.population, model.total_population) {
        (Some(people), total) if total > 0 => lost_user_ticks * u128::from(people) / u128::from(total),
        _ => lost_user_ticks,
    }
}

/// Person-ticks as person-hours with one decimal, rounded down.
fn person_hours(person_ticks: u128, tick_seconds: u32) -> String {
    let tenths = person_ticks * u128::from(tick_seconds) * 10 / 3600;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// `part` of `whole` per mille, rounded down (1000 when there is nobody to serve).
fn permille(part: u64, whole: u64) -> u64 {
    if whole == 0 { 1000 } else { (u128::from(part) * 1000 / u128::from(whole)) as u64 }
}

/// The 0-based index of the nearest-rank p-th percentile of `n` sorted values.
fn rank(p: u64, n: usize) -> usize {
    ((p * n as u64).div_ceil(100).max(1) - 1) as usize
}

// ---------------------------------------------------------------- output

struct CsvWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl CsvWriter {
    fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("cannot create CSV file {}", path.display()))?;
        let mut writer = Self { path: path.to_path_buf(), out: BufWriter::new(file) };
        writer.write(
            "seed,lost_person_hours,lowest_national_permille,objectives_met,objectives_missed,objectives_pending,\
             notifications_on_time,notifications_late,notifications_overdue\n",
        )?;
        Ok(writer)
    }

    fn row(&mut self, model: &Model, o: &Outcome) -> Result<()> {
        let (met, missed, pending) = o.objective_counts();
        let line = format!(
            "{},{},{},{met},{missed},{pending},{},{},{}\n",
            o.seed,
            person_hours(lost_people(model, o.lost_person_ticks), model.scenario.tick_seconds),
            permille(o.lowest_national, model.total_population),
            o.notifications_on_time,
            o.notifications_late,
            o.notifications_overdue,
        );
        self.write(&line)
    }

    fn write(&mut self, text: &str) -> Result<()> {
        self.out.write_all(text.as_bytes()).with_context(|| format!("cannot write CSV file {}", self.path.display()))
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().with_context(|| format!("cannot write CSV file {}", self.path.display()))
    }
}

/// Lines of cells: the first column left-aligned, the others right-aligned; the
/// header's first cell is a section title, the rows are indented under it.
struct Table {
    lines: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Self { lines: vec![header.iter().map(|s| s.to_string()).collect()] }
    }

    fn row(&mut self, first: &str, rest: Vec<String>) {
        let mut line = vec![format!("  {first}")];
        line.extend(rest);
        self.lines.push(line);
    }

    fn print(&self) {
        let columns = self.lines.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| self.lines.iter().filter_map(|l| l.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
            .collect();
        for line in &self.lines {
            let mut text = String::new();
            for (c, cell) in line.iter().enumerate() {
                if c == 0 {
                    text.push_str(&format!("{cell:<w$}", w = widths[0]));
                } else {
                    text.push_str(&format!("  {cell:>w$}", w = widths[c]));
                }
            }
            println!("{}", text.trim_end());
        }
    }
}

fn print_summary(model: &Model, outcomes: &[Outcome]) {
    let s = &model.scenario;
    let n = outcomes.len();
    let total = model.total_population;
    let ticks = s.duration_ticks;
    let (first, last) = (outcomes[0].seed, outcomes[n - 1].seed);
    let seeds = if n == 1 { format!("seed {first}") } else { format!("seeds {first} to {last}") };
    println!(
        "{} — {n} run{}, {seeds}; {ticks} ticks of {} s, every team played by its bot",
        s.name,
        if n == 1 { "" } else { "s" },
        s.tick_seconds
    );
    println!();

    // Lost national service: the distribution over runs.
    let possible = u128::from(total) * u128::from(ticks);
    let mut by_lost: Vec<&Outcome> = outcomes.iter().collect();
    by_lost.sort_by_key(|o| (o.lost_person_ticks, o.seed));
    // People only where the scenario says how many there are; otherwise the
    // assets' weighted users (which overlap, so they are no head count).
    let unit = if s.population.is_some() { "person-hours" } else { "user-hours (weighted)" };
    let mut table = Table::new(&["lost national service", unit, "of possible", "seed"]);
    for (label, i) in [("min", 0), ("median", rank(50, n)), ("95th percentile", rank(95, n)), ("max", n - 1)] {
        let o = by_lost[i];
        table.row(
            label,
            vec![
                person_hours(lost_people(model, o.lost_person_ticks), s.tick_seconds),
                percent(o.lost_person_ticks, possible),
                o.seed.to_string(),
            ],
        );
    }
    table.print();
    match s.population {
        Some(people) => println!(
            "  (possible: {} person-hours, {people} people for {ticks} ticks)",
            person_hours(u128::from(people) * u128::from(ticks), s.tick_seconds)
        ),
        None => println!(
            "  (possible: {} weighted user-hours for {ticks} ticks; give the scenario a `population` to count people)",
            person_hours(possible, s.tick_seconds)
        ),
    }
    println!();

    // The lowest national service: the bad tail is the low end.
    let mut by_lowest: Vec<&Outcome> = outcomes.iter().collect();
    by_lowest.sort_by_key(|o| (o.lowest_national, o.seed));
    let mut table = Table::new(&["lowest national service", "served", "seed"]);
    for (label, i) in [("median", rank(50, n)), ("5th percentile", rank(5, n))] {
        let o = by_lowest[i];
        let served = cascade_engine::view::service_label(o.lowest_national, total, s.population);
        table.row(label, vec![served, o.seed.to_string()]);
    }
    table.print();
    println!();

    print_objectives(model, outcomes);
    print_incidents(model, outcomes);
    print_notifications(outcomes);
}

fn print_objectives(model: &Model, outcomes: &[Outcome]) {
    let n = outcomes.len();
    let objectives = &model.scenario.objectives;
    if objectives.is_empty() {
        println!("objectives: none in this scenario");
        println!();
        return;
    }
    let met: usize = outcomes.iter().map(|o| o.objective_counts().0).sum();
    let whole = objectives.len() * n;
    println!("objectives met: {} ({met} of {whole})", percent(met as u128, whole as u128));
    let mut table = Table::new(&["  objective", "met", "missed", "pending"]);
    for (i, objective) in objectives.iter().enumerate() {
        let count = |f: fn(&Status) -> bool| outcomes.iter().filter(|o| f(&o.objectives[i])).count();
        let met = count(|s| matches!(s, Status::Met(_)));
        let missed = count(|s| matches!(s, Status::Missed(_)));
        let pending = n - met - missed;
        table.row(&objective.id, [met, missed, pending].iter().map(|c| format!("{c}/{n}")).collect());
    }
    table.print();
    println!();
}

fn print_incidents(model: &Model, outcomes: &[Outcome]) {
    let n = outcomes.len();
    let incidents = &model.scenario.incidents;
    if incidents.is_empty() {
        println!("incidents: none in this scenario");
        println!();
        return;
    }
    let mut table = Table::new(&["  incident", "started", "detected", "contained"]);
    let (mut started, mut detected, mut contained) = (0usize, 0usize, 0usize);
    for (i, incident) in incidents.iter().enumerate() {
        let count = |f: fn(&(bool, bool, bool)) -> bool| outcomes.iter().filter(|o| f(&o.incidents[i])).count();
        let (s, d, c) = (count(|x| x.0), count(|x| x.0 && x.1), count(|x| x.0 && x.2));
        started += s;
        detected += d;
        contained += c;
        table.row(&incident.id, [s, d, c].iter().map(|c| format!("{c}/{n}")).collect());
    }
    println!(
        "incidents: detected {} and contained {} of the {started} that started",
        percent(detected as u128, started as u128),
        percent(contained as u128, started as u128)
    );
    table.print();
    println!();
}

fn print_notifications(outcomes: &[Outcome]) {
    let sum = |f: fn(&Outcome) -> u32| outcomes.iter().map(|o| u128::from(f(o))).sum::<u128>();
    let on_time = sum(|o| o.notifications_on_time);
    let late = sum(|o| o.notifications_late);
    let overdue = sum(|o| o.notifications_overdue);
    let due = on_time + late + overdue;
    if due == 0 {
        println!("notifications: none due");
    } else {
        println!(
            "notifications: {} on time ({on_time} of {due} filed or due: {late} late, {overdue} overdue at the end)",
            percent(on_time, due)
        );
    }
}
