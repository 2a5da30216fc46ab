//! `cascade graph FILE --out deps.svg`: the scenario's dependency graph and
//! network links as a picture (SVG, laid out by cascade itself) or as Graphviz
//! DOT, for scenario designers (docs/graph.md). The drawing is
//! `cascade_observer::dependency_graph`; this file reads the scenario, picks
//! the format and writes the output.
//!
//! It must never: run an external program, leave a half-written output file
//! (the picture is built in memory first), or panic on bad input (every
//! problem is an error naming the file or argument).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cascade_observer::dependency_graph::{self, Format, Level};
use clap::{Args, ValueEnum};

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// Scenario file (.ron).
    file: PathBuf,
    /// Where to write: a file ending in .svg, or .dot / .gv, or `-` for
    /// standard output (the default).
    #[arg(long, short, value_name = "OUT.svg|OUT.dot|-", default_value = "-")]
    out: PathBuf,
    /// The format, whatever --out ends in (default: from --out's extension;
    /// DOT on standard output).
    #[arg(long, value_enum)]
    format: Option<GraphFormat>,
    /// One node per sector, with the dependencies and network links between
    /// sectors counted: the overview of a large scenario.
    #[arg(long)]
    sectors: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// SVG, laid out by cascade (open it in a browser: hover for details).
    Svg,
    /// Graphviz DOT (render with `dot -Tsvg`).
    Dot,
}

fn to_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The format: `--format`, else the extension of `--out`, else DOT on stdout.
/// An extension it cannot read is a usage error.
fn format_of(args: &GraphArgs) -> Result<Format, String> {
    if let Some(format) = args.format {
        return Ok(match format {
            GraphFormat::Svg => Format::Svg,
            GraphFormat::Dot => Format::Dot,
        });
    }
    if to_stdout(&args.out) {
        return Ok(Format::Dot);
    }
    let extension = args.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("svg") => Ok(Format::Svg),
        Some("dot" | "gv") => Ok(Format::Dot),
        _ => Err(format!(
            "--out {}: cannot tell the format from the file name: end it in .svg or .dot (or .gv), or give --format svg|dot",
            args.out.display()
        )),
    }
}

pub fn graph(args: &GraphArgs) -> bool {
    let format = match format_of(args) {
        Ok(format) => format,
        // A usage error: exit 2, like clap's own.
        Err(message) => clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{message}\n")).exit(),
    };
    let Some(model) = crate::check::load_or_report(&args.file) else {
        return false;
    };
    let level = if args.sectors { Level::Sectors } else { Level::Assets };
    let text = match dependency_graph::render(&model, format, level) {
        Ok(text) => text,
        Err(too_large) => {
            eprintln!("error: {}: {too_large}", args.file.display());
            return false;
        }
    };
    match write_out(&args.out, text.as_bytes()) {
        Ok(()) => {
            if !to_stdout(&args.out) {
                let what = if format == Format::Svg { "SVG" } else { "DOT" };
                println!("{}: {what}, {}", args.out.display(), dependency_graph::summary(&model));
            }
            true
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            false
        }
    }
}

fn write_out(path: &Path, bytes: &[u8]) -> Result<()> {
    if to_stdout(path) {
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(bytes)
            .and_then(|()| stdout.flush())
            .context("cannot write the graph to standard output");
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write the graph to {}", path.display()))
}
