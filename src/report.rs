//! `cascade report JOURNAL --out DIR`: the after-action report of a recorded run,
//! as report.md, a self-contained report.html, report.json and report.docx.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use cascade_replay::report::{build, hseep, render, render_docx};
use cascade_replay::{Replay, read_journal};
use clap::Args;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Journal file (.jsonl).
    journal: PathBuf,
    /// Directory for report.md, report.html and report.json (created if needed).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The evaluator's ratings of core capabilities, overriding the derived ones:
    /// JSON `{"Cybersecurity": {"rating": "S", "note": "…"}}` (ratings P, S, M, U).
    #[arg(long, value_name = "FILE.json")]
    ratings: Option<PathBuf>,
}

pub fn report(args: &ReportArgs) -> bool {
    match make(args) {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            true
        }
        Err(message) => {
            eprintln!("{message}");
            false
        }
    }
}

fn make(args: &ReportArgs) -> Result<Vec<PathBuf>, String> {
    let journal = read_journal(&args.journal).map_err(|e| e.to_string())?;
    let replay = Replay::new(journal).map_err(|e| e.to_string())?;
    // The output directory first, so an unwritable one fails before the work.
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: cannot create directory: {e}", args.out.display()))?;
    let total = replay.journal.checkpoints.len() as u64;
    let bar = progress_bar(total);
    let result = build(&replay, |_| bar.inc(1));
    bar.finish_and_clear();
    let mut report = result.map_err(|e| format!("{}: {e}", args.journal.display()))?;
    if let Some(path) = &args.ratings {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let known: Vec<String> = report.capabilities.iter().map(|c| c.capability.clone()).collect();
        let ratings = hseep::parse_ratings(&text, &known).map_err(|e| format!("{}: {e}", path.display()))?;
        hseep::complete(&mut report, &replay.model, &ratings);
    }
    let json = serde_json::to_string_pretty(&report).map_err(|e| format!("cannot serialise the report: {e}"))?;
    let docx = render_docx::docx(&report)?;
    let outputs = [
        ("report.md", render::markdown(&report).into_bytes()),
        ("report.html", render::html(&report).into_bytes()),
        ("report.json", (json + "\n").into_bytes()),
        ("report.docx", docx),
    ];
    let mut paths = Vec::new();
    for (name, bytes) in outputs {
        let path = args.out.join(name);
        write(&path, &bytes)?;
        paths.push(path);
    }
    Ok(paths)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// A progress bar on stderr when it is a terminal; hidden otherwise.
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if std::io::stderr().is_terminal() { indicatif::ProgressBar::new(total) } else { indicatif::ProgressBar::hidden() }
}
