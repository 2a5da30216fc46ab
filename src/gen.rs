//! `cascade gen --assets N --teams K --seed S > country.ron`: write a synthetic
//! country (`cascade_engine::synthetic::country`, described in docs/gen.md)
//! as a scenario file, for benchmarks, load tests and documentation.
//!
//! It must never: print anything but the scenario on standard output, leave a
//! half-written --out file behind, or panic on bad arguments (they are usage
//! errors, exit 2, as clap's own).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use cascade_engine::load::MAX_SCENARIO_BYTES;
use cascade_engine::synthetic::country::{Bots, Country, DEFAULT_DURATION_TICKS, Params};
use clap::{Args, ValueEnum};

#[derive(Args, Debug)]
pub struct GenArgs {
    /// Number of assets, 1 to 1,000,000 (a million make a 480 MB file, within
    /// the 768 MiB a scenario file may have: docs/gen.md).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    assets: u32,
    /// Number of teams, 0 to 10,000, all played by bots: at most one per
    /// organisation of the country (about one per ten assets) and 1,000.
    #[arg(long, value_name = "K", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    teams: u32,
    /// Seed of the generator, also the scenario's own seed.
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Exercise length in one-minute ticks (1440: a day).
    #[arg(long, default_value_t = DEFAULT_DURATION_TICKS, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    ticks: u64,
    /// How the teams' bots play: each role's responsive policy, or not at all.
    #[arg(long, value_enum, default_value_t = BotsArg::Responsive)]
    bots: BotsArg,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BotsArg {
    Responsive,
    Passive,
}

pub fn generate(args: &GenArgs) -> bool {
    let params = Params {
        assets: args.assets,
        teams: args.teams,
        seed: args.seed,
        duration_ticks: args.ticks,
        bots: match args.bots {
            BotsArg::Responsive => Bots::Responsive,
            BotsArg::Passive => Bots::Passive,
        },
    };
    let country = match Country::generate(&params) {
        Ok(country) => country,
        // Only the team count can be out of range here (clap checks the
        // others): a usage error, exit 2, like clap's own.
        Err(error) => {
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("invalid value for --{error}\n")).exit()
        }
    };
    let written = match &args.out {
        None => {
            let stdout = std::io::stdout().lock();
            match country.write_ron(BufWriter::with_capacity(1 << 20, stdout)) {
                // `cascade gen | head`: the reader had enough; as for any
                // Unix filter that is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return true,
                other => other.map_err(|e| format!("standard output: {e}")),
            }
        }
        Some(path) => {
            let result = File::create(path)
                .and_then(|file| country.write_ron(BufWriter::with_capacity(1 << 20, file)))
                .map_err(|e| format!("{}: {e}", path.display()));
            if result.is_err() {
                // Never leave a truncated scenario that looks like a real one.
                let _ = std::fs::remove_file(path);
            }
            result
        }
    };
    match written {
        Ok(bytes) => {
            if bytes > MAX_SCENARIO_BYTES {
                eprintln!(
                    "warning: the scenario is {bytes} bytes, over the {} MiB a scenario file may have: `cascade check` and `cascade run` refuse it (docs/gen.md)",
                    MAX_SCENARIO_BYTES / (1024 * 1024)
                );
            }
            if let Some(path) = &args.out {
                println!(
                    "{}: {} assets, {} teams, seed {}, {bytes} bytes",
                    path.display(),
                    args.assets,
                    args.teams,
                    args.seed
                );
            }
            let _ = std::io::stdout().flush();
            true
        }
        Err(error) => {
            eprintln!("error: cannot write the scenario: {error}");
            false
        }
    }
}
