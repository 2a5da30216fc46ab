//! Evaluator notes taken while watching a recording: they cannot go into the
//! journal (a recording does not change), so they go beside it, in
//! `<journal>.notes.jsonl`, one `{"tick":T,"note":{…}}` per line. Notes taken
//! live are director commands inside the journal instead; the report reads
//! both.

use std::io::Write;
use std::path::{Path, PathBuf};

use cascade_engine::wire::Observation;
use serde::{Deserialize, Serialize};

/// Most notes read from one file (a limit on everything).
pub const MAX_NOTES: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteLine {
    pub tick: u64,
    pub note: Observation,
}

/// The notes file of a journal.
pub fn notes_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".notes.jsonl");
    PathBuf::from(name)
}

/// Appends a note taken at `tick` (created if needed; flushed and synced, so
/// a crash of the console loses nothing written).
pub fn append_note(journal: &Path, tick: u64, note: &Observation) -> Result<PathBuf, String> {
    let path = notes_path(journal);
    let line = serde_json::to_string(&NoteLine { tick, note: note.clone() }).map_err(|e| e.to_string())? + "\n";
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    Ok(path)
}

/// The notes beside a journal, in file order (none if there is no file). A
/// bad line is an error naming it; a last line without its newline is torn
/// and ignored, as in journals.
pub fn read_notes(journal: &Path) -> Result<Vec<NoteLine>, String> {
    let path = notes_path(journal);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    };
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    let mut notes = Vec::new();
    for (i, line) in complete.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if notes.len() == MAX_NOTES {
            return Err(format!("{}: more than {MAX_NOTES} notes", path.display()));
        }
        let note: NoteLine =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: not a note: {e}", path.display(), i + 1))?;
        notes.push(note);
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(text: &str) -> Observation {
        Observation {
            text: text.into(),
            team: Some("cerc".into()),
            objective: None,
            capability: None,
            rating: Some("S".into()),
        }
    }

    #[test]
    fn notes_append_and_read_back_and_a_torn_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.jsonl");
        assert_eq!(read_notes(&journal).unwrap(), vec![], "no file, no notes");
        let path = append_note(&journal, 7, &note("slow start")).unwrap();
        append_note(&journal, 9, &note("better")).unwrap();
        assert_eq!(path, dir.path().join("j.jsonl.notes.jsonl"));
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"tick\":10,");
        std::fs::write(&path, &text).unwrap();
        let notes = read_notes(&journal).unwrap();
        assert_eq!(
            notes.iter().map(|n| (n.tick, n.note.text.as_str())).collect::<Vec<_>>(),
            [(7, "slow start"), (9, "better")]
        );
        std::fs::write(&path, "garbage\n").unwrap();
        assert!(read_notes(&journal).unwrap_err().contains("j.jsonl.notes.jsonl:1: not a note"));
    }
}
