//! Reading a scenario: bytes → RON → `Scenario` → validated `Model`, with errors a
//! scenario author can act on (file, line and column; or the item and what is wrong).
//!
//! This is the engine's only file access, and it is bounded: a file over
//! `MAX_SCENARIO_BYTES` is refused before it is read whole.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use ron::extensions::Extensions;

use crate::model::Model;
use crate::scenario::Scenario;
use crate::validate::{Problem, validate};

/// Largest scenario file accepted (a 100k-asset national graph is about 20 MiB).
pub const MAX_SCENARIO_BYTES: u64 = 64 * 1024 * 1024;

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
            LoadError::Syntax {
                path,
                line,
                column,
                message,
            } => {
                vec![format!("{}:{line}:{column}: {message}", path.display())]
            }
            LoadError::Invalid { path, problems } => problems
                .iter()
                .map(|p| format!("{}: {p}", path.display()))
                .collect(),
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
    let text = read_bounded(path)?;
    parse_model(&text, path)
}

/// Parses and validates scenario bytes; `path` only names the source in errors.
pub fn parse_model(bytes: &[u8], path: &Path) -> Result<Model, LoadError> {
    let scenario = parse_scenario(bytes, path)?;
    validate(scenario).map_err(|problems| LoadError::Invalid {
        path: path.to_path_buf(),
        problems,
    })
}

/// Parses scenario bytes as RON without semantic checks.
pub fn parse_scenario(bytes: &[u8], path: &Path) -> Result<Scenario, LoadError> {
    let syntax = |line, column, message| LoadError::Syntax {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(bytes, e.valid_up_to());
        syntax(line, column, "the file is not valid UTF-8 text".to_string())
    })?;
    ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .with_recursion_limit(MAX_RON_DEPTH)
        .from_str(text)
        .map_err(|e| syntax(e.span.start.line, e.span.start.col, e.code.to_string()))
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, LoadError> {
    let read_error = |source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit to tell "exactly at the limit" from "over it"
    // without trusting metadata (a FIFO or /proc file reports no size).
    file.take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_SCENARIO_BYTES,
        });
    }
    Ok(bytes)
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}
