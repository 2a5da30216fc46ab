//! `cascade run … --trace-assets IDS OUT.csv`: chosen assets' level, integrity
//! and cap at every tick, with the dependencies each is riding out on backup,
//! as CSV in long form (one row per tick and asset) — to answer "why did the
//! water not drop?" (docs/graph.md, *Tracing assets*).
//!
//! It must never: hold the run in memory (each tick's rows are written as the
//! tick is computed), or change what the simulation does (it only reads it).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cascade_engine::{Model, Simulation};

/// The CSV header.
pub const HEADER: &str = "tick,time,asset,level,integrity,physical,cyber,cap,on_backup\n";

/// The assets `spec` names, as stable indices in the order given (repeats
/// dropped): `all`, or ids separated by commas. An unknown id is an error
/// naming it, with the nearest known id when one is close.
pub fn parse_assets(spec: &str, model: &Model) -> Result<Vec<u32>, String> {
    let spec = spec.trim();
    if spec == "all" {
        return Ok((0..model.asset_count() as u32).collect());
    }
    let mut chosen = Vec::new();
    for id in spec.split(',').map(str::trim) {
        if id.is_empty() {
            return Err(format!("--trace-assets takes `all` or asset ids separated by commas, not {spec:?}"));
        }
        let Some(index) = model.asset_index(id) else {
            let known = model.scenario.assets.iter().map(|a| a.id.as_str());
            let hint = cascade_engine::validate::closest(id, known)
                .map(|near| format!(" (did you mean {near:?}?)"))
                .unwrap_or_default();
            return Err(format!("--trace-assets: unknown asset {id:?}{hint}"));
        };
        if !chosen.contains(&index) {
            chosen.push(index);
        }
    }
    Ok(chosen)
}

pub struct AssetTraceWriter {
    path: PathBuf,
    out: BufWriter<File>,
    assets: Vec<u32>,
    /// Per traced asset (same order): its dependencies with a buffer, as
    /// (dependency index, provider index, buffer ticks), in scenario order.
    buffered: Vec<Vec<(usize, u32, u32)>>,
    /// Any traced asset has a buffered dependency: only then are the outage
    /// counters read (a copy per tick).
    needs_outages: bool,
}

impl AssetTraceWriter {
    /// Creates the file and writes the header: a bad path fails before the run.
    pub fn create(path: &Path, model: &Model, assets: Vec<u32>) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("cannot create asset trace {}", path.display()))?;
        let mut buffered = vec![Vec::new(); assets.len()];
        for (d, dep) in model.dependencies.iter().enumerate() {
            if dep.buffer_ticks == 0 {
                continue;
            }
            for (slot, &asset) in assets.iter().enumerate() {
                if asset == dep.asset {
                    buffered[slot].push((d, dep.on, dep.buffer_ticks));
                }
            }
        }
        let needs_outages = buffered.iter().any(|b| !b.is_empty());
        let mut writer = Self { path: path.to_path_buf(), out: BufWriter::new(file), assets, buffered, needs_outages };
        writer.write(HEADER)?;
        Ok(writer)
    }

    /// The rows of the tick just computed. `on_backup` lists, separated by
    /// `;`, every dependency of the asset whose provider is below its threshold
    /// while the buffer still supplies in full, as `provider:ticks left`.
    pub fn row(&mut self, sim: &Simulation) -> Result<()> {
        let model = sim.model();
        let tick = sim.tick();
        let time = model.clock.label(tick);
        let outages = if self.needs_outages { sim.outages() } else { Vec::new() };
        let (levels, integrity, caps) = (sim.levels(), sim.integrity(), sim.caps());
        let (physical, cyber) = (sim.physical(), sim.cyber());
        let mut lines = String::new();
        for (slot, &asset) in self.assets.iter().enumerate() {
            let a = asset as usize;
            let mut on_backup = String::new();
            for &(d, provider, buffer) in &self.buffered[slot] {
                let outage = outages[d];
                if outage >= 1 && outage <= buffer {
                    if !on_backup.is_empty() {
                        on_backup.push(';');
                    }
                    on_backup.push_str(&format!("{}:{}", model.scenario.assets[provider as usize].id, buffer - outage));
                }
            }
            // Ids are plain words and clock labels hold no commas: no quoting needed.
            lines.push_str(&format!(
                "{tick},{time},{},{},{},{},{},{},{on_backup}\n",
                model.scenario.assets[a].id, levels[a], integrity[a], physical[a], cyber[a], caps[a]
            ));
        }
        self.write(&lines)
    }

    fn write(&mut self, text: &str) -> Result<()> {
        self.out.write_all(text.as_bytes()).with_context(|| format!("cannot write asset trace {}", self.path.display()))
    }

    pub fn finish(mut self) -> Result<()> {
        self.out.flush().with_context(|| format!("cannot write asset trace {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tutorial() -> Model {
        cascade_engine::load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.ron")).unwrap()
    }

    #[test]
    fn ids_all_and_unknown_ones() {
        let model = tutorial();
        assert_eq!(parse_assets("all", &model).unwrap().len(), model.asset_count());
        assert_eq!(parse_assets("pumping, substation,pumping", &model).unwrap(), [2, 0]);
        let e = parse_assets("pumping,pumpin", &model).unwrap_err();
        assert!(e.contains("unknown asset \"pumpin\" (did you mean \"pumping\"?)"), "{e}");
        let e = parse_assets("zzzzzzzzzz", &model).unwrap_err();
        assert!(e.contains("\"zzzzzzzzzz\"") && !e.contains("did you mean"), "{e}");
        assert!(parse_assets("pumping,", &model).is_err());
    }
}
