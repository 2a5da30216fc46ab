//! Reading a scenario: bytes → RON → `Scenario` → validated `Model`, with errors a
//! scenario author can act on (file, line and column; or the item and what is wrong).
//!
//! This is the engine's only file access, and it is bounded: a file over
//! `MAX_SCENARIO_BYTES` is refused before it is read whole. A scenario's `msel`
//! field names a CSV file beside it (at most `msel::MAX_MSEL_BYTES`) whose rows
//! are appended to its injects before validation (`include_msel`).

use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use ron::extensions::Extensions;

use crate::clock::ExerciseClock;
use crate::model::Model;
use crate::msel::{MAX_MSEL_BYTES, parse_csv};
use crate::scenario::Scenario;
use crate::validate::limits::MAX_TICK_SECONDS;
use crate::validate::{Problem, validate};

mod compact_ron;
mod fast_ron;
mod read_ahead;

use fast_ron::Streamed;
use read_ahead::ReadAhead;

/// Largest scenario file accepted: set for a million assets (`cascade gen
/// --assets 1000000 --teams 1000` writes 480 MB; a hand-written country with
/// longer names and more dependencies per asset has room), and still far from
/// what a 24 GiB machine could not hold while parsing.
pub const MAX_SCENARIO_BYTES: u64 = 768 * 1024 * 1024;

/// Deepest RON nesting accepted; scenarios need about 4 levels.
const MAX_RON_DEPTH: usize = 64;

/// Why a scenario could not be loaded. `Display` writes one line per problem, each
/// starting with the file name, in the `file:line:column: message` style of compilers.
#[derive(Debug)]
pub enum LoadError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    TooLarge {
        path: PathBuf,
        limit: u64,
    },
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    /// The MSEL CSV named by the scenario's `msel` field could not be read or
    /// has bad rows; each message names the CSV file and line.
    Msel {
        path: PathBuf,
        messages: Vec<String>,
    },
}

impl LoadError {
    /// One message per problem, each naming the file and where in it.
    pub fn messages(&self) -> Vec<String> {
        match self {
            LoadError::Read { path, source } => {
                vec![format!("{}: cannot read: {source}", path.display())]
            }
            LoadError::TooLarge { path, limit } => vec![format!(
                "{}: file is larger than the {} MiB limit for a scenario",
                path.display(),
                limit / (1024 * 1024)
            )],
            LoadError::Syntax { path, line, column, message } => {
                vec![format!("{}:{line}:{column}: {message}", path.display())]
            }
            LoadError::Invalid { path, problems } => {
                problems.iter().map(|p| format!("{}: {p}", path.display())).collect()
            }
            LoadError::Msel { messages, .. } => messages.clone(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.messages().join("\n"))
    }
}

impl std::error::Error for LoadError {}

/// Reads, parses and validates the scenario file at `path`.
pub fn load_model(path: &Path) -> Result<Model, LoadError> {
    finish_model(read_scenario(path)?, path)
}

/// Reads and parses the scenario file at `path`, without semantic checks.
///
/// A regular file is read as a stream by the fast reader (read ahead on a
/// second thread) and never held whole: at a million assets its text is half
/// a gigabyte beside the scenario it parses into. A file the fast reader does
/// not take is read again from its start, whole, and parsed by the ron crate,
/// which reports any error with its line and column. Anything that is not a
/// regular file (a pipe cannot be read twice) is read whole from the start.
/// The file is opened once: what is read again is the same file.
pub fn read_scenario(path: &Path) -> Result<Scenario, LoadError> {
    let read_error = |source| LoadError::Read { path: path.to_path_buf(), source };
    let too_large = || LoadError::TooLarge { path: path.to_path_buf(), limit: MAX_SCENARIO_BYTES };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    if !metadata.is_file() {
        let bytes = read_open(file, &metadata, MAX_SCENARIO_BYTES).map_err(read_error)?.ok_or_else(too_large)?;
        return parse_scenario(&bytes, path);
    }
    if metadata.len() > MAX_SCENARIO_BYTES {
        return Err(too_large());
    }
    let streamed = match ReadAhead::new(file.try_clone().map_err(read_error)?) {
        Ok(mut ahead) => fast_ron::parse_reader(&mut ahead, MAX_SCENARIO_BYTES, fast_ron::CHUNK),
        // No thread to read ahead: the parser reads the file itself.
        Err(_) => {
            let mut file = file.try_clone().map_err(read_error)?;
            fast_ron::parse_reader(&mut file, MAX_SCENARIO_BYTES, fast_ron::CHUNK)
        }
    };
    match streamed {
        Streamed::Read(scenario) => Ok(scenario),
        Streamed::TooLarge => Err(too_large()),
        Streamed::Failed(source) => Err(read_error(source)),
        Streamed::GiveUp => {
            // The clone shared the file's offset: back to the start.
            file.seek(SeekFrom::Start(0)).map_err(read_error)?;
            let bytes = read_open(file, &metadata, MAX_SCENARIO_BYTES).map_err(read_error)?.ok_or_else(too_large)?;
            parse_text(&bytes, path, |text| ron_options().from_str(text))
        }
    }
}

/// Parses and validates scenario bytes; `path` names the source in errors, and a
/// `msel` CSV file is looked up beside it.
pub fn parse_model(bytes: &[u8], path: &Path) -> Result<Model, LoadError> {
    finish_model(parse_scenario(bytes, path)?, path)
}

/// A parsed scenario file made a model: its MSEL file read in, its defaults
/// set, validated.
fn finish_model(mut scenario: Scenario, path: &Path) -> Result<Model, LoadError> {
    include_msel(&mut scenario, path)?;
    // A scenario file keeps physical damage apart unless it says otherwise;
    // a journal's stored scenario is read as stored (`parse_stored_model`).
    scenario.physical_damage.get_or_insert(true);
    validate(scenario).map_err(|problems| LoadError::Invalid { path: path.to_path_buf(), problems })
}

/// Parses scenario bytes as RON without semantic checks.
pub fn parse_scenario(bytes: &[u8], path: &Path) -> Result<Scenario, LoadError> {
    // Plain RON (nearly every file) is read by the fast reader; whatever it
    // does not take, including every error, the ron crate reads and reports.
    parse_text(bytes, path, |text| match fast_ron::parse(text) {
        Some(scenario) => Ok(scenario),
        None => ron_options().from_str(text),
    })
}

/// `bytes` checked as UTF-8 and handed to `parse` as text; a syntax error it
/// returns is reported at its line and column in `path`.
fn parse_text(
    bytes: &[u8],
    path: &Path,
    parse: impl FnOnce(&str) -> Result<Scenario, ron::error::SpannedError>,
) -> Result<Scenario, LoadError> {
    let syntax = |line, column, message| LoadError::Syntax { path: path.to_path_buf(), line, column, message };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(bytes, e.valid_up_to());
        syntax(line, column, "the file is not valid UTF-8 text".to_string())
    })?;
    parse(text).map_err(|e| syntax(e.span.start.line, e.span.start.col, e.code.to_string()))
}

/// How the ron crate reads a scenario: `Some` may be left out, nesting is bounded.
fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME).with_recursion_limit(MAX_RON_DEPTH)
}

/// If the scenario names an MSEL CSV file (`msel`, relative to the directory of
/// `scenario_path`), reads it, appends its rows to `injects` and clears `msel`, so
/// the scenario is self-contained (journals embed it as loaded). Times are read
/// on the scenario's clock; if that clock is invalid, validation reports it.
pub fn include_msel(scenario: &mut Scenario, scenario_path: &Path) -> Result<(), LoadError> {
    let Some(relative) = scenario.msel.as_deref() else {
        return Ok(());
    };
    let dir = scenario_path.parent().unwrap_or(Path::new(""));
    let csv_path = dir.join(relative);
    let msel_error = |message: String| LoadError::Msel { path: csv_path.clone(), messages: vec![message] };
    let bytes = match read_limited(&csv_path, MAX_MSEL_BYTES) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(msel_error(format!(
                "{}: file is larger than the {} MiB limit for an MSEL",
                csv_path.display(),
                MAX_MSEL_BYTES / (1024 * 1024)
            )));
        }
        Err(e) => {
            return Err(msel_error(format!(
                "{}: cannot read the MSEL named by `msel` in {}: {e}",
                csv_path.display(),
                scenario_path.display()
            )));
        }
    };
    let clock = (1..=MAX_TICK_SECONDS)
        .contains(&scenario.tick_seconds)
        .then(|| ExerciseClock::new(&scenario.start, &scenario.time_zone, scenario.tick_seconds).ok())
        .flatten();
    let injects = parse_csv(&bytes, &csv_path, clock.as_ref())
        .map_err(|messages| LoadError::Msel { path: csv_path.clone(), messages })?;
    scenario.injects.extend(injects);
    scenario.msel = None;
    Ok(())
}

/// The whole file, or `None` if it is over `limit` bytes.
fn read_limited(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    read_open(file, &metadata, limit)
}

/// The rest of an open file, or `None` if it is over `limit` bytes.
fn read_open(file: std::fs::File, metadata: &std::fs::Metadata, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    // A regular file that says it is too large is refused without reading
    // hundreds of megabytes first.
    if metadata.is_file() && metadata.len() > limit {
        return Ok(None);
    }
    // Sized from the metadata when it can be: growing by doubling would copy
    // a large file's bytes several times and, for a moment, hold them twice.
    let expected = if metadata.is_file() { metadata.len().min(limit) as usize + 1 } else { 0 };
    let mut bytes = Vec::with_capacity(expected);
    // Read one byte past the limit to tell "exactly at the limit" from "over it"
    // without trusting metadata (a FIFO or /proc file reports no size, and a
    // file may grow while it is read).
    file.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, column)
}

/// The scenario as pretty RON text (two-space indentation): the scenario as
/// loaded, with its MSEL rows already among the injects. Format-1 journal
/// headers stored this text; format 2 stores [`to_ron_compact`]'s.
pub fn to_ron(scenario: &Scenario) -> String {
    ron::Options::default()
        .to_string_pretty(scenario, ron::ser::PrettyConfig::default().indentor("  ".to_string()))
        .expect("a scenario always serialises: it holds only strings, integers, lists and enums")
}

/// The scenario as compact RON (no indentation, no line breaks): what journal
/// format 2 stores, compressed. It reads back exactly as [`to_ron`]'s text
/// does, and for the 100,000-asset synthetic country it is 60% of the pretty
/// text (47 MB against 78 MB), which keeps it under `MAX_SCENARIO_BYTES`
/// (64 MiB) where the pretty text is over it.
/// The engine's own writer makes it (`load/compact_ron.rs`: the ron crate's
/// bytes, about ten times as fast), the ron crate whatever that one refuses.
pub fn to_ron_compact(scenario: &Scenario) -> String {
    let mut text = Vec::new();
    match compact_ron::write(&mut text, scenario) {
        Ok(()) => String::from_utf8(text).expect("the compact writer writes UTF-8"),
        Err(_) => ron::Options::default()
            .to_string(scenario)
            .expect("a scenario always serialises: it holds only strings, integers, lists and enums"),
    }
}

/// [`to_ron_compact`]'s text written to `out` as it is made, never held
/// whole, by the engine's own writer. `Ok(false)`: that writer does not take
/// this scenario (none so far: it takes every construct a scenario has); part
/// of the text may have been written, and the caller starts again with
/// [`write_ron_compact_by_ron`].
pub fn write_ron_compact(out: &mut impl std::io::Write, scenario: &Scenario) -> std::io::Result<bool> {
    match compact_ron::write(out, scenario) {
        Ok(()) => Ok(true),
        Err(compact_ron::Error::Unsupported(_)) => Ok(false),
        Err(compact_ron::Error::Io(e)) => Err(e),
        Err(compact_ron::Error::Custom(message)) => Err(std::io::Error::other(message)),
    }
}

/// [`to_ron_compact`]'s text written to `out` by the ron crate.
pub fn write_ron_compact_by_ron(out: impl std::io::Write, scenario: &Scenario) -> std::io::Result<()> {
    ron::Options::default().to_io_writer(out, scenario).map_err(|e| std::io::Error::other(e.to_string()))
}

/// Parses and validates a scenario stored in a journal. It must be
/// self-contained: a stored scenario that still names an MSEL file is refused,
/// so a journal never makes the reader open another file. The text is let go
/// once parsed (at a million assets it is 330 MB, and validation builds the
/// model beside the parsed scenario).
pub fn parse_stored_model(ron_text: String, label: &Path) -> Result<Model, LoadError> {
    let scenario = parse_scenario(ron_text.as_bytes(), label)?;
    drop(ron_text);
    stored_model(scenario, label)
}

/// A stored scenario read from `source` by the fast reader as it comes (a
/// journal's scenario inflated as it is read, never held whole as text), and
/// the source back, read to its end, for the caller to check what it read
/// (length, digest) before it trusts the scenario. `None`: the fast reader
/// does not take this text, or the source failed; the caller then reads the
/// text whole and calls [`parse_stored_model`], which reports why.
pub fn read_stored_scenario<R: Read + Send + 'static>(source: R) -> (Option<Scenario>, Option<R>) {
    match ReadAhead::new(source) {
        Ok(mut ahead) => {
            let streamed = fast_ron::parse_reader(&mut ahead, MAX_SCENARIO_BYTES, fast_ron::CHUNK);
            let source = ahead.into_source();
            match streamed {
                Streamed::Read(scenario) => (Some(scenario), source),
                _ => (None, source),
            }
        }
        // No thread to read ahead (the source went with the failed spawn).
        Err(_) => (None, None),
    }
}

/// A stored scenario, parsed, checked to be self-contained and validated.
pub fn stored_model(scenario: Scenario, label: &Path) -> Result<Model, LoadError> {
    if scenario.msel.is_some() {
        return Err(LoadError::Syntax {
            path: label.to_path_buf(),
            line: 1,
            column: 1,
            message: "a stored scenario must be self-contained, but it names an MSEL file".to_string(),
        });
    }
    validate(scenario).map_err(|problems| LoadError::Invalid { path: label.to_path_buf(), problems })
}

#[cfg(test)]
mod read_tests {
    use super::read_limited;

    #[test]
    fn a_file_at_the_limit_is_read_and_one_byte_over_it_is_not() {
        let dir = std::env::temp_dir().join(format!("cascade-read-limited-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scenario.ron");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_limited(&path, 10).unwrap().as_deref(), Some(&b"0123456789"[..]));
        assert_eq!(read_limited(&path, 9).unwrap(), None);
        // Not a regular file: no size to trust, read up to the limit.
        #[cfg(unix)]
        {
            assert_eq!(read_limited(std::path::Path::new("/dev/zero"), 4096).unwrap(), None);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
