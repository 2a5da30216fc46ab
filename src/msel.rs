//! `cascade msel FILE`: print a scenario's MSEL (its injects) as CSV.

use std::io::Write;
use std::path::Path;

use cascade_engine::msel::to_csv;

/// Loads the scenario (with any `msel` CSV it names merged in) and prints its
/// injects as MSEL CSV on stdout; on failure prints every load error on stderr.
/// Returns true on success.
pub fn print_msel(path: &Path) -> bool {
    let Some(model) = crate::check::load_or_report(path) else {
        return false;
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(to_csv(&model).as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("cannot write the MSEL to stdout: {e}");
            false
        }
    }
}
