//! The sweep's summary and per-run CSV, computed from the outcomes list and the
//! scenario's facts alone: the one place both are made, whether the runs were just
//! simulated or read back from shard files, so a merged sweep prints byte for byte
//! what a single process would.
//!
//! Every figure is computed in integers. Percentiles are nearest-rank: the p-th
//! percentile of N values is the ⌈p·N/100⌉-th smallest (the median is the
//! ⌈N/2⌉-th), so each one is the outcome of an actual run, whose seed is printed
//! so that `cascade run FILE --seed S` replays it. Ties are broken by seed, so the
//! run named does not depend on the order the outcomes arrived in.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cascade_engine::view::{percent, service_label};

use super::outcome::{Facts, IncidentEnd, ObjectiveEnd, Outcome};

/// `println!` into the report's text: the report is made as one string and
/// written by the caller, which can then handle a closed stdout (a pipe into
/// `head`) instead of panicking as `println!` does. Writing to a String cannot fail.
macro_rules! say {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

// ---------------------------------------------------------------- numbers

/// Lost service in the scenario's stated people when it states them (the
/// weighted users scaled down, rounded down), in weighted users otherwise.
fn lost_people(facts: &Facts, lost_user_ticks: u128) -> u128 {
    match (facts.population, facts.total_population) {
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

// ---------------------------------------------------------------- CSV

/// The per-run CSV, one row per outcome in the order given (seed order).
pub struct CsvWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl CsvWriter {
    /// Creates the file and writes the header: done before any simulation, so a
    /// bad path fails at once.
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("cannot create CSV file {}", path.display()))?;
        let mut writer = Self { path: path.to_path_buf(), out: BufWriter::new(file) };
        writer.write(
            "seed,lost_person_hours,lowest_national_permille,objectives_met,objectives_missed,objectives_pending,\
             notifications_on_time,notifications_late,notifications_overdue\n",
        )?;
        Ok(writer)
    }

    /// Writes every row and closes the file.
    pub fn finish(mut self, facts: &Facts, outcomes: &[Outcome]) -> Result<()> {
        for o in outcomes {
            let (met, missed, pending) = o.objective_counts();
            let line = format!(
                "{},{},{},{met},{missed},{pending},{},{},{}\n",
                o.seed,
                person_hours(lost_people(facts, o.lost_user_ticks), facts.tick_seconds),
                permille(o.lowest_national, facts.total_population),
                o.notifications.on_time,
                o.notifications.late,
                o.notifications.overdue,
            );
            self.write(&line)?;
        }
        self.out.flush().with_context(|| format!("cannot write CSV file {}", self.path.display()))
    }

    fn write(&mut self, text: &str) -> Result<()> {
        self.out.write_all(text.as_bytes()).with_context(|| format!("cannot write CSV file {}", self.path.display()))
    }
}

// ---------------------------------------------------------------- summary

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

    fn write(&self, out: &mut String) {
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
            say!(out, "{}", text.trim_end());
        }
    }
}

/// The summary of `outcomes`, which are in seed order (the first and last seeds
/// head it). Empty for no outcomes: a sweep has at least one run.
pub fn summary(facts: &Facts, outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let (Some(first), Some(last)) = (outcomes.first(), outcomes.last()) else {
        return out;
    };
    let n = outcomes.len();
    let total = facts.total_population;
    let ticks = facts.duration_ticks;
    let seeds = if n == 1 { format!("seed {}", first.seed) } else { format!("seeds {} to {}", first.seed, last.seed) };
    say!(
        out,
        "{} — {n} run{}, {seeds}; {ticks} ticks of {} s, every team played by its bot",
        facts.name,
        if n == 1 { "" } else { "s" },
        facts.tick_seconds
    );
    say!(out);

    // Lost national service: the distribution over runs.
    let possible = u128::from(total) * u128::from(ticks);
    let mut by_lost: Vec<&Outcome> = outcomes.iter().collect();
    by_lost.sort_by_key(|o| (o.lost_user_ticks, o.seed));
    // People only where the scenario says how many there are; otherwise the
    // assets' weighted users (which overlap, so they are no head count).
    let unit = if facts.population.is_some() { "person-hours" } else { "user-hours (weighted)" };
    let mut table = Table::new(&["lost national service", unit, "of possible", "seed"]);
    for (label, i) in [("min", 0), ("median", rank(50, n)), ("95th percentile", rank(95, n)), ("max", n - 1)] {
        let o = by_lost[i];
        table.row(
            label,
            vec![
                person_hours(lost_people(facts, o.lost_user_ticks), facts.tick_seconds),
                percent(o.lost_user_ticks, possible),
                o.seed.to_string(),
            ],
        );
    }
    table.write(&mut out);
    match facts.population {
        Some(people) => say!(
            out,
            "  (possible: {} person-hours, {people} people for {ticks} ticks)",
            person_hours(u128::from(people) * u128::from(ticks), facts.tick_seconds)
        ),
        None => say!(
            out,
            "  (possible: {} weighted user-hours for {ticks} ticks; give the scenario a `population` to count people)",
            person_hours(possible, facts.tick_seconds)
        ),
    }
    say!(out);

    // The lowest national service: the bad tail is the low end.
    let mut by_lowest: Vec<&Outcome> = outcomes.iter().collect();
    by_lowest.sort_by_key(|o| (o.lowest_national, o.seed));
    let mut table = Table::new(&["lowest national service", "served", "seed"]);
    for (label, i) in [("median", rank(50, n)), ("5th percentile", rank(5, n))] {
        let o = by_lowest[i];
        table.row(label, vec![service_label(o.lowest_national, total, facts.population), o.seed.to_string()]);
    }
    table.write(&mut out);
    say!(out);

    objectives(&mut out, facts, outcomes);
    incidents(&mut out, facts, outcomes);
    notifications(&mut out, outcomes);
    out
}

fn objectives(out: &mut String, facts: &Facts, outcomes: &[Outcome]) {
    let n = outcomes.len();
    if facts.objectives.is_empty() {
        say!(out, "objectives: none in this scenario");
        say!(out);
        return;
    }
    let met: usize = outcomes.iter().map(|o| o.objective_counts().0).sum();
    let whole = facts.objectives.len() * n;
    say!(out, "objectives met: {} ({met} of {whole})", percent(met as u128, whole as u128));
    let mut table = Table::new(&["  objective", "met", "missed", "pending"]);
    for (i, id) in facts.objectives.iter().enumerate() {
        let count =
            |f: fn(&ObjectiveEnd) -> bool| outcomes.iter().filter(|o| o.objectives.get(i).is_some_and(f)).count();
        let met = count(|s| matches!(s, ObjectiveEnd::Met(_)));
        let missed = count(|s| matches!(s, ObjectiveEnd::Missed(_)));
        let pending = n - met - missed;
        table.row(id, [met, missed, pending].iter().map(|c| format!("{c}/{n}")).collect());
    }
    table.write(out);
    say!(out);
}

fn incidents(out: &mut String, facts: &Facts, outcomes: &[Outcome]) {
    let n = outcomes.len();
    if facts.incidents.is_empty() {
        say!(out, "incidents: none in this scenario");
        say!(out);
        return;
    }
    let mut table = Table::new(&["  incident", "started", "detected", "contained"]);
    let (mut started, mut detected, mut contained) = (0usize, 0usize, 0usize);
    for (i, id) in facts.incidents.iter().enumerate() {
        let count = |f: fn(&IncidentEnd) -> bool| outcomes.iter().filter(|o| o.incidents.get(i).is_some_and(f)).count();
        let (s, d, c) = (count(IncidentEnd::started), count(IncidentEnd::detected), count(IncidentEnd::contained));
        started += s;
        detected += d;
        contained += c;
        table.row(id, [s, d, c].iter().map(|c| format!("{c}/{n}")).collect());
    }
    say!(
        out,
        "incidents: detected {} and contained {} of the {started} that started",
        percent(detected as u128, started as u128),
        percent(contained as u128, started as u128)
    );
    table.write(out);
    say!(out);
}

fn notifications(out: &mut String, outcomes: &[Outcome]) {
    let sum = |f: fn(&Outcome) -> u32| outcomes.iter().map(|o| u128::from(f(o))).sum::<u128>();
    let on_time = sum(|o| o.notifications.on_time);
    let late = sum(|o| o.notifications.late);
    let overdue = sum(|o| o.notifications.overdue);
    let due = on_time + late + overdue;
    if due == 0 {
        say!(out, "notifications: none due");
    } else {
        say!(
            out,
            "notifications: {} on time ({on_time} of {due} filed or due: {late} late, {overdue} overdue at the end)",
            percent(on_time, due)
        );
    }
}
