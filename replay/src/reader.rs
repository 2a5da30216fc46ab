//! Reading a journal: the header, then command and checkpoint lines in order.
//!
//! A last line without its newline, or that is not valid JSON, is torn (the
//! writer died mid-line): it is ignored, and `valid_len` tells a resuming writer
//! where to cut. Any other bad line is an error naming its line number.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use crate::format::{CommandLine, DIRECTOR, Entry, Header, KNOWN_FORMATS, unsupported};

/// Largest journal accepted (a full-day exercise is a few MiB).
pub const MAX_JOURNAL_BYTES: u64 = 1024 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{}: cannot read: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: larger than the {} MiB limit for a journal", path.display(), MAX_JOURNAL_BYTES >> 20)]
    TooLarge { path: PathBuf },
    #[error("{}:{line}: {message}", path.display())]
    Line { path: PathBuf, line: usize, message: String },
}

/// A journal read into memory.
#[derive(Debug, Clone)]
pub struct Journal {
    pub path: PathBuf,
    /// Its scenario was decoded and checked against `scenario_blake3` when
    /// the journal was read; [`Journal::scenario`] decodes it again. After
    /// [`Journal::release_scenario`] the header holds the scenario's digest
    /// only, and the scenario is read again from the file when wanted.
    pub header: Header,
    pub commands: Vec<(usize, CommandLine)>,
    /// Checkpoint hashes by tick (index = tick), from 0.
    pub checkpoints: Vec<String>,
    /// Bytes up to the end of the last good line.
    pub valid_len: u64,
    /// A torn last line was found (and ignored).
    pub torn: bool,
}

impl Journal {
    /// The scenario's RON text as stored, whatever the header's format: the
    /// one place callers get it. Decoded on each call rather than kept: at a
    /// million assets it is 330 MB, wanted once (to build the model) and by
    /// then only in the way. The header was checked when the journal was
    /// read, so this fails only if it was changed since.
    pub fn scenario(&self) -> Result<String, String> {
        if self.header.holds_scenario() { self.header.scenario_text() } else { self.stored_header()?.scenario_text() }
    }

    /// Lets the stored scenario go (at a million assets about 110 MB of
    /// compressed text) once the model is built from it: a replay keeps the
    /// model, not the text. `scenario` and `stored_header` then read the
    /// header again from the file, checked to hold the same scenario.
    pub fn release_scenario(&mut self) {
        self.header.scenario = None;
        self.header.scenario_zlib = None;
    }

    /// The header with its scenario: this one, or, after
    /// `release_scenario`, the file's first line read again and checked to
    /// be the same header (format, seed, scenario digest); a file changed
    /// since it was read is an error that says so.
    pub fn stored_header(&self) -> Result<Header, String> {
        if self.header.holds_scenario() {
            return Ok(self.header.clone());
        }
        let again = read_header(&self.path).map_err(|e| e.to_string())?;
        let h = &self.header;
        let changed: Vec<&str> = [
            ("format", again.format != h.format),
            ("seed", again.seed != h.seed),
            ("scenario", again.scenario_blake3 != h.scenario_blake3),
            ("started_at", again.started_at != h.started_at),
        ]
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect();
        if !changed.is_empty() {
            return Err(format!(
                "{}: the journal's header changed since it was read (different: {})",
                self.path.display(),
                changed.join(", ")
            ));
        }
        Ok(again)
    }

    /// The last tick with a checkpoint.
    pub fn last_tick(&self) -> u64 {
        self.checkpoints.len().saturating_sub(1) as u64
    }

    /// The tick of the first director `end`, if the director ended the exercise.
    pub fn end_stamp(&self) -> Option<u64> {
        self.commands
            .iter()
            .find(|(_, c)| c.team == DIRECTOR && c.command.get("action").and_then(|a| a.as_str()) == Some("end"))
            .map(|(_, c)| c.tick)
    }

    /// The commands stamped for `tick`, in journal order, with their line numbers.
    pub fn commands_for(&self, tick: u64) -> impl Iterator<Item = &(usize, CommandLine)> {
        let start = self.commands.partition_point(|(_, c)| c.tick < tick);
        self.commands[start..].iter().take_while(move |(_, c)| c.tick == tick)
    }
}

pub fn read_journal(path: &Path) -> Result<Journal, JournalError> {
    let io = |source| JournalError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_JOURNAL_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_JOURNAL_BYTES {
        return Err(JournalError::TooLarge { path: path.to_path_buf() });
    }
    parse_journal(&bytes, path)
}

/// The header of the journal at `path` (its first line), checked as
/// `read_journal` checks it, without reading the rest.
pub fn read_header(path: &Path) -> Result<Header, JournalError> {
    let io = |source| JournalError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut line = Vec::new();
    std::io::BufReader::new(file.take(MAX_JOURNAL_BYTES + 1)).read_until(b'\n', &mut line).map_err(io)?;
    if line.len() as u64 > MAX_JOURNAL_BYTES {
        return Err(JournalError::TooLarge { path: path.to_path_buf() });
    }
    let error = |message: String| JournalError::Line { path: path.to_path_buf(), line: 1, message };
    if line.last() != Some(&b'\n') {
        return Err(error("the header line is incomplete".to_string()));
    }
    let value: serde_json::Value = std::str::from_utf8(&line)
        .map_err(|_| "not valid UTF-8".to_string())
        .and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string()))
        .map_err(|e| error(format!("not a JSON line: {e}")))?;
    parse_header(value).map_err(error)
}

/// A header line's value made a header: its format known, its fields
/// right, its scenario intact.
fn parse_header(value: serde_json::Value) -> Result<Header, String> {
    // The format first, so that a newer header is refused as such and not
    // for fields this build does not know.
    if let Some(format) = value.get("format").and_then(serde_json::Value::as_u64)
        && !KNOWN_FORMATS.iter().any(|&known| u64::from(known) == format)
    {
        return Err(unsupported(format));
    }
    let h: Header = serde_json::from_value(value).map_err(|e| format!("bad header: {e}"))?;
    // Checked now, so that a bad scenario is an error of line 1; the text
    // itself is decoded again when it is wanted.
    h.scenario_text()?;
    Ok(h)
}

pub fn parse_journal(bytes: &[u8], path: &Path) -> Result<Journal, JournalError> {
    let error = |line: usize, message: String| JournalError::Line { path: path.to_path_buf(), line, message };
    let mut header: Option<Header> = None;
    let mut commands = Vec::new();
    let mut checkpoints: Vec<String> = Vec::new();
    let mut valid_len = 0u64;
    let mut torn = false;
    let mut offset = 0usize;
    let mut number = 0usize;
    while offset < bytes.len() {
        number += 1;
        let end = bytes[offset..].iter().position(|&b| b == b'\n').map(|i| offset + i);
        let (text, next) = match end {
            Some(e) => (&bytes[offset..e], e + 1),
            None => (&bytes[offset..], bytes.len()),
        };
        let is_last = next >= bytes.len();
        let parsed: Result<serde_json::Value, String> = std::str::from_utf8(text)
            .map_err(|_| "not valid UTF-8".to_string())
            .and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string()));
        let value = match parsed {
            // A last line without its newline was still being written.
            _ if end.is_none() => {
                torn = true;
                break;
            }
            Ok(v) => v,
            Err(_) if is_last => {
                torn = true;
                break;
            }
            Err(e) => return Err(error(number, format!("not a JSON line: {e}"))),
        };
        if header.is_none() {
            header = Some(parse_header(value).map_err(|message| error(number, message))?);
        } else {
            let entry: Entry = serde_json::from_value(value)
                .map_err(|_| error(number, "neither a command line nor a checkpoint".to_string()))?;
            match entry {
                Entry::Checkpoint(c) => {
                    if c.checkpoint != checkpoints.len() as u64 {
                        return Err(error(
                            number,
                            format!("checkpoint {} out of order: expected {}", c.checkpoint, checkpoints.len()),
                        ));
                    }
                    let well_formed =
                        c.hash.len() == 64 && c.hash.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
                    if !well_formed {
                        return Err(error(number, "a checkpoint hash is 64 lowercase hex characters".to_string()));
                    }
                    checkpoints.push(c.hash);
                }
                Entry::Command(c) => {
                    // A command is stamped for the first tick not yet computed.
                    let expected = checkpoints.len() as u64;
                    if checkpoints.is_empty() || c.tick != expected {
                        return Err(error(
                            number,
                            format!(
                                "a command stamped for tick {} after checkpoint {}",
                                c.tick,
                                expected.saturating_sub(1)
                            ),
                        ));
                    }
                    commands.push((number, c));
                }
            }
        }
        valid_len = next as u64;
        offset = next;
    }
    let header = header.ok_or_else(|| error(1, "the journal has no header".to_string()))?;
    Ok(Journal { path: path.to_path_buf(), header, commands, checkpoints, valid_len, torn })
}
