//! `cascade check FILE…`: validate scenarios and report every problem.

use std::path::{Path, PathBuf};

use cascade_engine::{Model, load_model};

/// Loads a scenario for a command that needs one; on failure prints every problem
/// on stderr (the command then exits 1).
pub fn load_or_report(path: &Path) -> Option<Model> {
    match load_model(path) {
        Ok(model) => Some(model),
        Err(error) => {
            for message in error.messages() {
                eprintln!("{message}");
            }
            None
        }
    }
}

/// Checks each file; prints a one-line summary per valid file on stdout and every
/// problem and warning on stderr. Returns true when all files are valid (and,
/// with `deny_warnings`, have no warning).
pub fn check_files(files: &[PathBuf], deny_warnings: bool) -> bool {
    let mut all_valid = true;
    for path in files {
        match load_model(path) {
            Ok(model) => {
                let s = &model.scenario;
                println!(
                    "{}: ok: {:?}, {} sectors, {} organisations, {} assets, {} dependencies, {} links, {} teams, {} disruptions, {} incidents, {} injects, {} regimes, {} objectives, {} ticks",
                    path.display(),
                    s.name,
                    s.sectors.len(),
                    s.organisations.len(),
                    s.assets.len(),
                    s.dependencies.len(),
                    s.links.len(),
                    s.teams.len(),
                    s.disruptions.len(),
                    s.incidents.len(),
                    s.injects.len(),
                    s.regimes.len(),
                    s.objectives.len(),
                    s.duration_ticks,
                );
                let warnings = cascade_engine::lint::lint(&model);
                for warning in &warnings {
                    eprintln!("{}: warning: {warning}", path.display());
                }
                if !warnings.is_empty() {
                    let n = warnings.len();
                    let denied = if deny_warnings { " (denied: --deny-warnings)" } else { "" };
                    eprintln!("{}: {n} warning{}{denied}", path.display(), if n == 1 { "" } else { "s" });
                    all_valid &= !deny_warnings;
                }
            }
            Err(error) => {
                all_valid = false;
                let messages = error.messages();
                for message in &messages {
                    eprintln!("{message}");
                }
                let n = messages.len();
                eprintln!("{}: {n} error{}", path.display(), if n == 1 { "" } else { "s" });
            }
        }
    }
    all_valid
}
