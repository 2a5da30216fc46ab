//! Bytes of the teams' tick frames, whole (what protocol 1 sent every tick)
//! against deltas (protocol 2), over the first ticks of a scenario.
//!
//! `cargo run --release -p cascade-engine --example view_sizes -- FILE [TICKS]`
//! prints per tick the total of all teams' whole tick frames and of their
//! deltas, as JSON text; docs/performance.md quotes it.

use std::sync::Arc;

use cascade_engine::Simulation;
use cascade_engine::view::{TeamDelta, team_view_update};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!("usage: view_sizes FILE [TICKS]");
        std::process::exit(2);
    };
    let ticks: u64 = args.get(1).map_or(60, |t| t.parse().expect("TICKS is a number"));
    let model = match cascade_engine::load_model(std::path::Path::new(file)) {
        Ok(model) => model,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let seed = model.scenario.seed;
    let mut sim = Simulation::new(Arc::new(model), seed);
    let teams = sim.model().scenario.teams.len() as u32;
    let mut last: Vec<_> = (0..teams).map(|t| team_view_update(&sim, t, usize::MAX)).collect();
    let (mut whole_sum, mut delta_sum) = (0usize, 0usize);
    println!("tick\twhole_bytes\tdelta_bytes");
    for _ in 0..ticks {
        if !sim.step() {
            break;
        }
        let (mut whole, mut delta) = (0usize, 0usize);
        for t in 0..teams {
            let now = team_view_update(&sim, t, usize::MAX);
            whole += serde_json::to_string(&TeamDelta::full(&now)).unwrap().len();
            delta += serde_json::to_string(&TeamDelta::between(&last[t as usize], &now)).unwrap().len();
            last[t as usize] = now;
        }
        println!("{}\t{whole}\t{delta}", sim.tick());
        (whole_sum, delta_sum) = (whole_sum + whole, delta_sum + delta);
    }
    let per = |bytes: usize| bytes as f64 / (ticks as f64 * f64::from(teams)) / 1000.0;
    eprintln!(
        "{teams} teams, {ticks} ticks: whole {:.1} KB a team a tick, deltas {:.2} KB ({:.1}x smaller); messages not counted",
        per(whole_sum),
        per(delta_sum),
        whole_sum as f64 / delta_sum.max(1) as f64
    );
}
