//! Where an exercise's tick goes: the whole exercise of a scenario file run
//! headless, each phase of every tick timed on its own.
//!
//! `cargo bench -p cascade-engine --bench phases -- FILE [TICKS]` runs the
//! scenario from tick 0 for TICKS ticks (default: its whole duration) with
//! `Simulation::step_with_phases`, and prints per phase its total, its mean
//! per tick and its share, then the phases in four groups:
//!
//! - the bare tick: what a simulation of the graph alone does every tick
//!   (clock, scheduled disruptions, cascade, service, state hash);
//! - the incidents: the threats' spread, impact and detection;
//! - the exercise's own work: commands, injects, orders landing, and the
//!   measures (reports, deadlines, objectives, counts);
//! - the bots' decisions.
//!
//! It then runs the same ticks again with plain `Simulation::step` and prints
//! that time beside the sum of the phases, so that the cost of timing each
//! phase (two clock reads per phase) shows. A measurement only; docs/
//! performance.md has the results.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cascade_engine::Simulation;
use cascade_engine::world::Phase;

fn main() {
    for phase in Phase::ALL {
        let homes = GROUPS.iter().filter(|(_, phases)| phases.contains(&phase)).count();
        assert_eq!(homes, 1, "{phase:?} must be in exactly one group");
    }
    // `cargo bench` passes `--bench` to every target.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let (file, ticks) = match args.as_slice() {
        [file] => (file, None),
        [file, ticks] => match ticks.parse::<u64>() {
            Ok(t) if t > 0 => (file, Some(t)),
            _ => usage(&format!("TICKS must be a whole number above 0, not {ticks:?}")),
        },
        _ => usage("give one scenario file, and optionally a number of ticks"),
    };
    let model = match cascade_engine::load::load_model(Path::new(file)) {
        Ok(model) => Arc::new(model),
        Err(e) => {
            eprintln!("{file}: {e}");
            std::process::exit(1);
        }
    };
    let seed = model.scenario.seed;
    let ticks = ticks.unwrap_or(model.scenario.duration_ticks).min(model.scenario.duration_ticks);

    let mut spent = [Duration::ZERO; Phase::ALL.len()];
    let mut sim = Simulation::new(Arc::clone(&model), seed);
    for _ in 0..ticks {
        sim.step_with_phases(Vec::new(), &mut |phase, run| {
            let started = Instant::now();
            run();
            spent[phase as usize] += started.elapsed();
        });
    }
    let phased_hash = sim.state_hash();

    let mut plain = Simulation::new(Arc::clone(&model), seed);
    let started = Instant::now();
    for _ in 0..ticks {
        plain.step();
    }
    let plain_time = started.elapsed();
    assert_eq!(plain.state_hash(), phased_hash, "the phased run and the plain run must end in the same state");

    let total: Duration = spent.iter().sum();
    let per_tick = |d: Duration| d.as_secs_f64() * 1e3 / ticks as f64;
    println!(
        "{file}: {} assets, {} teams, {ticks} ticks; final state hash {}",
        model.assets.len(),
        model.scenario.teams.len(),
        phased_hash.to_hex()
    );
    println!("phase\ttotal_ms\tper_tick_ms\tshare");
    for phase in Phase::ALL {
        let d = spent[phase as usize];
        println!("{}\t{:.1}\t{:.4}\t{:.1}%", phase.name(), ms(d), per_tick(d), share(d, total));
    }
    println!("group\ttotal_ms\tper_tick_ms\tshare");
    for (group, phases) in GROUPS {
        let d: Duration = phases.iter().map(|&p| spent[p as usize]).sum();
        println!("{group}\t{:.1}\t{:.4}\t{:.1}%", ms(d), per_tick(d), share(d, total));
    }
    println!("all phases\t{:.1}\t{:.4}", ms(total), per_tick(total));
    println!("plain step\t{:.1}\t{:.4}", ms(plain_time), per_tick(plain_time));
}

/// The phases grouped as the module doc explains; every phase in one group.
const GROUPS: [(&str, &[Phase]); 4] = [
    ("bare tick", &[Phase::Clock, Phase::Disruptions, Phase::Cascade, Phase::Service, Phase::Hash]),
    ("incidents", &[Phase::Threats]),
    ("exercise's own work", &[Phase::Commands, Phase::Injects, Phase::Orders, Phase::Exercise]),
    ("bots", &[Phase::Bots]),
];

fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nusage: cargo bench -p cascade-engine --bench phases -- FILE [TICKS]");
    std::process::exit(2);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn share(d: Duration, total: Duration) -> f64 {
    if total.is_zero() { 0.0 } else { 100.0 * d.as_secs_f64() / total.as_secs_f64() }
}
