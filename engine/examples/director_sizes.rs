//! Bytes of the director's frames over an exercise: the snapshot part by
//! part (what a director joining at that tick is sent) and the tick frames as
//! deltas (what a director connected throughout is sent, protocol 3).
//!
//! `cargo run --release -p cascade-engine --example director_sizes -- FILE [EVERY [TICKS]]`
//! runs the scenario headless for TICKS ticks (default: all), builds the
//! director's view at every tick as the host does, and every EVERY ticks
//! (default 120) prints the snapshot's JSON size, the size of its largest
//! parts, how long the view took to build, and the mean sizes of the tick
//! frames since the last line: as protocol 2 sent them (the whole view, the
//! MSEL only when it changed) and as deltas (`DirectorDelta`), both without
//! their messages (new messages are sent once either way).
//! docs/performance.md quotes it, against the 16 MiB server frame limit of
//! docs/protocol.md.

use std::sync::Arc;
use std::time::Instant;

use cascade_engine::Simulation;
use cascade_engine::view::{DirectorDelta, director_view};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!("usage: director_sizes FILE [EVERY [TICKS]]");
        std::process::exit(2);
    };
    let number = |at: usize, default: u64| match args.get(at).map(|e| e.parse::<u64>()) {
        None => default,
        Some(Ok(e)) if e > 0 => e,
        Some(_) => {
            eprintln!("EVERY and TICKS are numbers of ticks above 0");
            std::process::exit(2);
        }
    };
    let (every, ticks) = (number(1, 120), number(2, u64::MAX));
    let model = match cascade_engine::load_model(std::path::Path::new(file)) {
        Ok(model) => model,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let seed = model.scenario.seed;
    let mut sim = Simulation::new(Arc::new(model), seed);
    let len = |v: &dyn erased::Json| v.json_len();
    println!(
        "tick\tsnapshot_bytes\tassets\torganisations\tmessages\tteams\tbuild_ms\twhole_tick_bytes_mean\tdelta_bytes_mean"
    );
    let mut base = director_view(&sim, 0);
    base.messages.clear();
    let (mut whole_bytes, mut delta_bytes, mut deltas) = (0usize, 0usize, 0usize);
    loop {
        let started = Instant::now();
        let view = director_view(&sim, 0);
        let built = started.elapsed();
        if sim.tick() > 0 {
            let mut now = view.clone();
            now.messages.clear();
            delta_bytes += len(&DirectorDelta::between(&base, &now));
            let mut whole = now.clone();
            if whole.msel == base.msel {
                whole.msel.clear();
            }
            whole_bytes += len(&whole);
            deltas += 1;
            base = now;
        }
        if sim.tick().is_multiple_of(every) {
            println!(
                "{}\t{}\t{} ({})\t{} ({})\t{} ({})\t{}\t{:.0}\t{}\t{}",
                sim.tick(),
                len(&view),
                len(&view.assets),
                view.assets.len(),
                len(&view.organisations),
                view.organisations.len(),
                len(&view.messages),
                view.messages.len(),
                len(&view.teams),
                built.as_secs_f64() * 1e3,
                whole_bytes.checked_div(deltas).unwrap_or(0),
                delta_bytes.checked_div(deltas).unwrap_or(0),
            );
            (whole_bytes, delta_bytes, deltas) = (0, 0, 0);
        }
        if sim.tick() >= ticks || !sim.step() {
            break;
        }
    }
}

/// JSON length of any serialisable value, behind one trait object.
mod erased {
    pub trait Json {
        fn json_len(&self) -> usize;
    }
    impl<T: serde::Serialize> Json for T {
        fn json_len(&self) -> usize {
            serde_json::to_vec(self).map_or(0, |v| v.len())
        }
    }
}
