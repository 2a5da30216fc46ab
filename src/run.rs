//! `cascade run FILE`: a headless run as fast as the engine goes, with optional
//! per-tick traces (CSV: service per sector; chosen assets, `asset_trace`) and
//! final state (JSON), and a summary for people.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use cascade_engine::exercise::Status;
use cascade_engine::view::service_label;
use cascade_engine::{Model, Simulation};
use cascade_replay::{Header, JournalWriter};
use clap::Args;

use crate::asset_trace::AssetTraceWriter;
use serde::Serialize;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (.ron).
    file: PathBuf,
    /// Seed for every random stream (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Stop after this many ticks (at most the scenario's duration_ticks).
    #[arg(long)]
    ticks: Option<u64>,
    /// Write one CSV row per tick: tick,hash,national_service,<one column per sector>.
    #[arg(long, value_name = "OUT.csv")]
    trace: Option<PathBuf>,
    /// Write chosen assets (IDS: `all`, or ids separated by commas) at every
    /// tick from 0 as CSV, one row per tick and asset:
    /// tick,time,asset,level,integrity,physical,cyber,cap,on_backup
    /// (docs/graph.md).
    #[arg(long, num_args = 2, value_names = ["IDS", "OUT.csv"])]
    trace_assets: Option<Vec<String>>,
    /// Write every asset's id, level and integrity at the last tick as JSON.
    #[arg(long, value_name = "OUT.json")]
    final_state: Option<PathBuf>,
    /// Write the exercise metrics of every tick as CSV (incidents, notifications, PIU).
    #[arg(long, value_name = "OUT.csv")]
    metrics: Option<PathBuf>,
    /// Record the run as a journal (docs/journal.md), for `cascade replay`. Never overwrites.
    #[arg(long, value_name = "OUT.jsonl")]
    journal: Option<PathBuf>,
}

pub fn run(args: &RunArgs) -> bool {
    let Some(model) = crate::check::load_or_report(&args.file) else {
        return false;
    };
    let trace_assets = match &args.trace_assets {
        Some(values) => match crate::asset_trace::parse_assets(&values[0], &model) {
            Ok(assets) => Some((assets, PathBuf::from(&values[1]))),
            // A bad argument: exit 2, like clap's own errors.
            Err(message) => clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{message}\n")).exit(),
        },
        None => None,
    };
    match run_model(model, args, trace_assets) {
        Ok(()) => true,
        Err(error) => {
            eprintln!("error: {error:#}");
            false
        }
    }
}

fn run_model(model: Model, args: &RunArgs, trace_assets: Option<(Vec<u32>, PathBuf)>) -> Result<()> {
    let seed = args.seed.unwrap_or(model.scenario.seed);
    let last_tick = args.ticks.unwrap_or(u64::MAX).min(model.scenario.duration_ticks);
    // Open outputs before simulating, so a bad path fails at once.
    let mut trace = args.trace.as_deref().map(TraceWriter::create).transpose()?;
    let mut metrics = args.metrics.as_deref().map(MetricsWriter::create).transpose()?;
    let mut asset_trace =
        trace_assets.map(|(assets, path)| AssetTraceWriter::create(&path, &model, assets)).transpose()?;

    let started = Instant::now();
    let mut journal = match &args.journal {
        Some(path) => {
            let header = Header::new(&model.scenario, seed, jiff::Timestamp::now().to_string())
                .context("cannot record the scenario in a journal")?;
            Some(
                JournalWriter::create(path, &header)
                    .with_context(|| format!("cannot create journal {}", path.display()))?,
            )
        }
        None => None,
    };
    let mut sim = Simulation::new(Arc::new(model), seed);
    let mut lows = Lows::new(&sim);
    if let Some(trace) = &mut trace {
        trace.header(sim.model())?;
        trace.row(&sim)?;
    }
    if let Some(metrics) = &mut metrics {
        metrics.row(&sim)?;
    }
    if let Some(asset_trace) = &mut asset_trace {
        asset_trace.row(&sim)?;
    }
    if let Some(journal) = &mut journal {
        checkpoint(journal, &sim)?;
    }
    while sim.tick() < last_tick {
        sim.step();
        lows.observe(&sim);
        if let Some(trace) = &mut trace {
            trace.row(&sim)?;
        }
        if let Some(metrics) = &mut metrics {
            metrics.row(&sim)?;
        }
        if let Some(asset_trace) = &mut asset_trace {
            asset_trace.row(&sim)?;
        }
        if let Some(journal) = &mut journal {
            checkpoint(journal, &sim)?;
        }
    }
    if let Some(journal) = &mut journal {
        journal.sync().with_context(|| format!("cannot write journal {}", journal.path().display()))?;
    }
    let elapsed = started.elapsed();

    if let Some(trace) = trace {
        trace.finish()?;
    }
    if let Some(metrics) = metrics {
        metrics.finish()?;
    }
    if let Some(asset_trace) = asset_trace {
        asset_trace.finish()?;
    }
    if let Some(path) = &args.final_state {
        write_final_state(path, &sim, seed)?;
    }
    print_summary(&sim, seed, &lows, elapsed);
    Ok(())
}

fn checkpoint(journal: &mut JournalWriter, sim: &Simulation) -> Result<()> {
    journal
        .append_checkpoint(sim.tick(), &sim.state_hash())
        .with_context(|| format!("cannot write journal {}", journal.path().display()))
}

/// The lowest service seen, nationally and per sector, with the first tick of it.
struct Lows {
    national: (u64, u64),
    per_sector: Vec<(u64, u64)>,
}

impl Lows {
    fn new(sim: &Simulation) -> Self {
        let at = sim.tick();
        Self {
            national: (sim.national_service(), at),
            per_sector: sim.sector_service().iter().map(|&s| (s, at)).collect(),
        }
    }

    fn observe(&mut self, sim: &Simulation) {
        let at = sim.tick();
        if sim.national_service() < self.national.0 {
            self.national = (sim.national_service(), at);
        }
        for (low, &now) in self.per_sector.iter_mut().zip(sim.sector_service()) {
            if now < low.0 {
                *low = (now, at);
            }
        }
    }
}

struct TraceWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl TraceWriter {
    fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("cannot create trace file {}", path.display()))?;
        Ok(Self { path: path.to_path_buf(), out: BufWriter::new(file) })
    }

    /// Sector ids are validated to be plain words, so they need no CSV quoting.
    fn header(&mut self, model: &Model) -> Result<()> {
        let mut line = String::from("tick,hash,national_service");
        for sector in &model.scenario.sectors {
            line.push(',');
            line.push_str(&sector.id);
        }
        line.push('\n');
        self.write(line.as_bytes())
    }

    fn row(&mut self, sim: &Simulation) -> Result<()> {
        let mut line = format!("{},{},{}", sim.tick(), sim.state_hash().to_hex(), sim.national_service());
        for value in sim.sector_service() {
            line.push(',');
            line.push_str(&value.to_string());
        }
        line.push('\n');
        self.write(line.as_bytes())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).with_context(|| format!("cannot write trace file {}", self.path.display()))
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().with_context(|| format!("cannot write trace file {}", self.path.display()))
    }
}

/// Per-tick exercise metrics as CSV.
struct MetricsWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl MetricsWriter {
    const HEADER: &'static str = "tick,incidents_open,incidents_detected,incidents_contained,incidents_recovered,notifications_on_time,notifications_late,notifications_overdue,piu_level,messages\n";

    fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("cannot create metrics file {}", path.display()))?;
        let mut writer = Self { path: path.to_path_buf(), out: BufWriter::new(file) };
        writer.write(Self::HEADER.as_bytes())?;
        Ok(writer)
    }

    fn row(&mut self, sim: &Simulation) -> Result<()> {
        let ex = sim.exercise();
        let m = &ex.metrics;
        let piu = if ex.piu.active_since.is_some() { ex.piu.level } else { 0 };
        let line = format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            sim.tick(),
            m.incidents_open,
            m.incidents_detected,
            m.incidents_contained,
            m.incidents_recovered,
            m.notifications_on_time,
            m.notifications_late,
            m.notifications_overdue,
            piu,
            ex.messages.len()
        );
        self.write(line.as_bytes())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).with_context(|| format!("cannot write metrics file {}", self.path.display()))
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().with_context(|| format!("cannot write metrics file {}", self.path.display()))
    }
}

#[derive(Serialize)]
struct FinalState<'a> {
    scenario: &'a str,
    /// A decimal string: JSON numbers lose precision above 2^53 in many readers.
    seed: String,
    tick: u64,
    hash: String,
    national_service: u64,
    assets: Vec<AssetState<'a>>,
}

#[derive(Serialize)]
struct AssetState<'a> {
    id: &'a str,
    level: u16,
    integrity: u16,
    cap: u16,
}

fn write_final_state(path: &Path, sim: &Simulation, seed: u64) -> Result<()> {
    let model = sim.model();
    let assets = model
        .scenario
        .assets
        .iter()
        .enumerate()
        .map(|(i, a)| AssetState {
            id: &a.id,
            level: sim.levels()[i],
            integrity: sim.integrity()[i],
            cap: sim.caps()[i],
        })
        .collect();
    let state = FinalState {
        scenario: &model.scenario.name,
        seed: seed.to_string(),
        tick: sim.tick(),
        hash: sim.state_hash().to_hex().to_string(),
        national_service: sim.national_service(),
        assets,
    };
    let mut json = serde_json::to_vec_pretty(&state)?;
    json.push(b'\n');
    std::fs::write(path, json).with_context(|| format!("cannot write final state {}", path.display()))
}

fn print_summary(sim: &Simulation, seed: u64, lows: &Lows, elapsed: std::time::Duration) {
    let model = sim.model();
    let s = &model.scenario;
    let clock = &model.clock;
    let total = model.total_population;
    let at = |tick: u64| format!("tick {tick} ({})", clock.label(tick));
    println!("{} — seed {seed}, start {}, {} s per tick", s.name, clock.start_label(), s.tick_seconds);
    println!(
        "ran {} of {} ticks in {:.1} ms; final state hash {}",
        sim.tick(),
        s.duration_ticks,
        elapsed.as_secs_f64() * 1000.0,
        sim.state_hash().to_hex()
    );
    let (low, low_tick) = lows.national;
    println!(
        "national service: lowest {} at {}; at the end {}",
        service_label(low, total, s.population),
        at(low_tick),
        service_label(sim.national_service(), total, s.population)
    );
    let mut hit = Vec::new();
    let mut spared = Vec::new();
    for (i, sector) in s.sectors.iter().enumerate() {
        let whole = model.sector_population[i];
        let (low, low_tick) = lows.per_sector[i];
        if low < whole {
            hit.push((sector.id.as_str(), low, low_tick, whole, sim.sector_service()[i]));
        } else {
            spared.push(sector.id.as_str());
        }
    }
    if hit.is_empty() {
        println!("sectors hit: none");
    } else {
        println!("sectors hit (lowest service, when; at the end):");
        let width = hit.iter().map(|h| h.0.len()).max().unwrap_or(0);
        for (id, low, low_tick, whole, end) in hit {
            let people = s.sectors.iter().find(|x| x.id == id).and_then(|x| x.population);
            let (low, end) = (service_label(low, whole, people), service_label(end, whole, people));
            println!("  {id:<width$}  {low:>6} at {}; {end}", at(low_tick));
        }
    }
    if !spared.is_empty() {
        println!("sectors not hit: {}", spared.join(", "));
    }
    print_exercise_summary(sim);
}

/// Minutes between two ticks, for "time to detect" and the like.
fn minutes(model: &Model, from: u64, to: u64) -> String {
    let total = to.saturating_sub(from) * u64::from(model.scenario.tick_seconds) / 60;
    if total >= 120 { format!("{} h {:02} min", total / 60, total % 60) } else { format!("{total} min") }
}

fn print_exercise_summary(sim: &Simulation) {
    let model = sim.model();
    let s = &model.scenario;
    let ex = sim.exercise();
    let clock = &model.clock;
    if !s.incidents.is_empty() {
        println!("incidents (start; then time to detect, contain, recover):");
        let width = s.incidents.iter().map(|i| i.id.len()).max().unwrap_or(0);
        let kind_width = s.incidents.iter().map(|i| i.kind.label().len()).max().unwrap_or(0);
        for (incident, state) in s.incidents.iter().zip(&ex.incidents) {
            let Some(start) = state.started_at else {
                println!("  {:<width$}  {:<kind_width$}  never started", incident.id, incident.kind.label());
                continue;
            };
            let after = |t: Option<u64>| t.map_or("never".to_string(), |t| format!("+{}", minutes(model, start, t)));
            println!(
                "  {:<width$}  {:<kind_width$}  {}; detected {}, contained {}, recovered {}; {} asset(s) compromised",
                incident.id,
                incident.kind.label(),
                clock.label(start),
                after(state.first_detected),
                after(state.contained_at),
                after(state.recovered_at),
                state.ever_compromised.len()
            );
        }
    }
    let m = &ex.metrics;
    if !ex.obligations.is_empty() {
        println!(
            "notifications: {} on time, {} late, {} overdue (of {} owed)",
            m.notifications_on_time,
            m.notifications_late,
            m.notifications_overdue,
            ex.obligations.len()
        );
    }
    match ex.piu.active_since {
        Some(t) => println!("Cyber PIU: activated at {} (level {})", clock.label(t), ex.piu.level),
        None if ex.first_critical_outage.is_some() => println!("Cyber PIU: not activated"),
        None => {}
    }
    if !s.objectives.is_empty() {
        println!("objectives:");
        let width = s.objectives.iter().map(|o| o.id.len()).max().unwrap_or(0);
        for (objective, status) in s.objectives.iter().zip(&ex.objectives) {
            let verdict = match status {
                Status::Met(t) => format!("met at {}", clock.label(*t)),
                Status::Missed(t) => format!("MISSED at {}", clock.label(*t)),
                Status::Pending => "pending (not decided by the end)".to_string(),
            };
            println!("  {:<width$}  {verdict}", objective.id);
        }
    }
    if !s.teams.is_empty() {
        let fired = ex.inject_fired.iter().filter(|f| f.is_some()).count();
        println!("{} messages exchanged; {fired} of {} injects fired", ex.messages.len(), s.injects.len());
    }
}
