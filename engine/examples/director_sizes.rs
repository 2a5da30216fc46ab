//! Bytes of the director's snapshot over a whole exercise, part by part, and
//! the time to build it: what a director joining at that tick is sent.
//!
//! `cargo run --release -p cascade-engine --example director_sizes -- FILE [EVERY]`
//! runs the scenario headless and, every EVERY ticks (default 120), builds
//! the director's view as the host does for a snapshot and prints its JSON
//! size, the size of its largest parts, and how long it took to build.
//! docs/performance.md quotes it for a million assets, against the 16 MiB
//! server frame limit of docs/protocol.md.

use std::sync::Arc;
use std::time::Instant;

use cascade_engine::Simulation;
use cascade_engine::view::director_view;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!("usage: director_sizes FILE [EVERY]");
        std::process::exit(2);
    };
    let every: u64 = match args.get(1).map(|e| e.parse::<u64>()) {
        None => 120,
        Some(Ok(e)) if e > 0 => e,
        Some(_) => {
            eprintln!("EVERY is a number of ticks above 0");
            std::process::exit(2);
        }
    };
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
    println!("tick\tbytes\tassets\torganisations\tmessages\tteams\tbuild_ms");
    loop {
        if sim.tick().is_multiple_of(every) {
            let started = Instant::now();
            let view = director_view(&sim, 0);
            let built = started.elapsed();
            println!(
                "{}\t{}\t{} ({})\t{} ({})\t{} ({})\t{}\t{:.0}",
                sim.tick(),
                len(&view),
                len(&view.assets),
                view.assets.len(),
                len(&view.organisations),
                view.organisations.len(),
                len(&view.messages),
                view.messages.len(),
                len(&view.teams),
                built.as_secs_f64() * 1e3
            );
        }
        if !sim.step() {
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
