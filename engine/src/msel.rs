//! The MSEL (Master Scenario Events List) as CSV, both ways.
//!
//! Exercise planners keep the MSEL in a spreadsheet: one row per inject with the
//! usual columns `number,time,from,to,method,message,expected_action`. `to_csv`
//! writes a scenario's injects in that form; `parse_csv` reads such a file into
//! scheduled injects, which `load` appends to the scenario's own when its `msel`
//! field names a CSV file. docs/scenario-format.md ("MSEL as CSV") is the
//! author's reference.
//!
//! Parsing never panics, whatever the bytes: every bad row is reported, each
//! message naming the file and the line (`msel.csv:7: …`). What needs the whole
//! scenario — ids well formed and unique, recipients known, ticks inside the
//! exercise — is left to validation, which runs on the merged injects.

use std::path::Path;

use csv::{ByteRecord, ReaderBuilder, Terminator, WriterBuilder};

use crate::clock::ExerciseClock;
use crate::model::{Model, minutes_to_ticks};
use crate::scenario::{Condition, Inject, Method, Tlp};

/// Largest MSEL file accepted.
pub const MAX_MSEL_BYTES: u64 = 16 * 1024 * 1024;

/// Most rows an MSEL file may hold (validation's limit on injects).
pub const MAX_MSEL_ROWS: usize = 100_000;

/// The columns, in the order `to_csv` writes them. The first seven are
/// required; `tlp` and `effects` may be left out (every inject is then
/// TLP:RED, without effects), so MSELs written before them read as they did.
pub const COLUMNS: [&str; 9] =
    ["number", "time", "from", "to", "method", "message", "expected_action", "tlp", "effects"];
/// How many of `COLUMNS` a header must have.
const REQUIRED_COLUMNS: usize = 7;

const NUMBER: usize = 0;
const TIME: usize = 1;
const FROM: usize = 2;
const TO: usize = 3;
const METHOD: usize = 4;
const MESSAGE: usize = 5;
const EXPECTED_ACTION: usize = 6;
const TLP: usize = 7;
const EFFECTS: usize = 8;

/// Tick given to rows whose time needs the clock when there is none (the
/// scenario's clock is invalid, so validation fails on it and the placeholder is
/// never simulated). Tick 1 is inside every valid exercise, so it adds no error.
const PLACEHOLDER_TICK: u64 = 1;

// ---------------------------------------------------------------- export

/// The scenario's injects, in scenario order, as MSEL CSV (with the header line).
pub fn to_csv(model: &Model) -> String {
    injects_to_csv(&model.scenario.injects, &model.clock)
}

/// `injects` as MSEL CSV, their times labelled by `clock`.
///
/// A scheduled inject's time is its clock label (`08:45`, or `2026-03-11 08:45`
/// past the start's day); when that label would not read back as the same tick
/// (ticks shorter than a minute) the tick number
/// is written instead, so that `parse_csv` always gives the tick back. A
/// conditional inject's time describes its condition (`when PIU active`); such
/// rows are for reading and are refused on import. Effects are written in
/// the scenario's RON, so a scheduled inject round-trips exactly.
pub fn injects_to_csv(injects: &[Inject], clock: &ExerciseClock) -> String {
    let mut writer = WriterBuilder::new().terminator(Terminator::Any(b'\n')).from_writer(Vec::new());
    // Writing into memory cannot fail; an error would only lose the output.
    let _ = writer.write_record(COLUMNS);
    for inject in injects {
        let time = match (inject.at, &inject.when) {
            (Some(tick), _) => time_label(tick, clock),
            (None, Some(condition)) => describe_condition(condition),
            (None, None) => String::new(),
        };
        let _ = writer.write_record([
            inject.id.as_str(),
            &time,
            &inject.from,
            &inject.to.join(";"),
            inject.method.name(),
            &inject.message,
            &inject.expected_action,
            inject.tlp.label(),
            &effects_cell(&inject.effects),
        ]);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// An inject's effects as its `effects` cell: the scenario's RON for the list
/// (`[StartIncident("post-ddos"), SetStaff(team: "circl", staff: 3)]`), empty
/// for none.
fn effects_cell(effects: &[crate::scenario::Effect]) -> String {
    if effects.is_empty() {
        return String::new();
    }
    // Effects are plain data: they always serialise.
    ron::to_string(effects).unwrap_or_default()
}

/// The clock label of `tick` if it reads back as `tick`, else the tick number.
fn time_label(tick: u64, clock: &ExerciseClock) -> String {
    let label = clock.label(tick);
    match parse_time(&label, Some(clock)) {
        Ok(back) if back == tick => label,
        _ => tick.to_string(),
    }
}

/// A condition in words, for the MSEL's time column: `when asset x below 500`.
pub fn describe_condition(condition: &Condition) -> String {
    match condition {
        Condition::AssetBelow { asset, level } => format!("when asset {asset} below {level}"),
        Condition::SectorBelow { sector, per_mille } => {
            format!("when sector {sector} below {per_mille}‰")
        }
        Condition::IncidentDetected(incident) => format!("when incident {incident} detected"),
        Condition::DeadlineMissed(regime) => format!("when regime {regime} deadline missed"),
        Condition::PiuActive => "when PIU active".to_string(),
    }
}

// ---------------------------------------------------------------- import

/// Reads MSEL CSV into scheduled injects (no condition), in row order.
///
/// The first non-blank line is the header: the seven `COLUMNS`, in any order,
/// any case, spaces around them ignored (`Expected Action` is `expected_action`). Blank rows (every cell empty) are
/// skipped. `time` is a clock time `HH:MM` (the first such time at or after the
/// start), a local date and time `YYYY-MM-DD HH:MM`, a tick number, or `T+N`
/// (N exercise minutes after the start, also `T+H:MM`); `to` lists team ids
/// separated by `;`, `,` or spaces (empty: every team); `method` is a `Method`
/// name in any case (empty: Email). `number`, `time`, `to` and `method` are
/// trimmed; `from`, `message` and `expected_action` are taken verbatim.
///
/// Without a clock (the scenario's clock is invalid, which validation reports)
/// times that need one are only checked for their form and the rows get tick 1.
///
/// Errors: one message per problem, every bad row reported, each starting with
/// `csv_path` and the line the row starts on (`msel.csv:7: …`).
pub fn parse_csv(bytes: &[u8], csv_path: &Path, clock: Option<&ExerciseClock>) -> Result<Vec<Inject>, Vec<String>> {
    let file = csv_path.display();
    if bytes.len() as u64 > MAX_MSEL_BYTES {
        return Err(vec![format!(
            "{file}: file is larger than the {} MiB limit for an MSEL",
            MAX_MSEL_BYTES / (1024 * 1024)
        )]);
    }
    // Spreadsheets often save UTF-8 with a byte-order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut record = ByteRecord::new();
    let mut errors = Vec::new();

    // ---- the header
    let columns = loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => {
                return Err(vec![format!("{file}: the file is empty: expected the header line {}", COLUMNS.join(","))]);
            }
            Ok(true) if is_blank(&record) => continue,
            Ok(true) => {
                let line = line_of(&record, bytes);
                match header(&record) {
                    Ok(columns) => break columns,
                    Err(problems) => {
                        return Err(problems.into_iter().map(|p| format!("{file}:{line}: header: {p}")).collect());
                    }
                }
            }
            Err(e) => return Err(vec![csv_error(&file.to_string(), &e)]),
        }
    };
    let width = record.len();

    // ---- the rows
    let mut injects = Vec::new();
    let mut rows = 0usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) if is_blank(&record) => {}
            Ok(true) => {
                let line = line_of(&record, bytes);
                rows += 1;
                if rows > MAX_MSEL_ROWS {
                    errors.push(format!(
                        "{file}:{line}: more than {MAX_MSEL_ROWS} rows: an MSEL file holds at most {MAX_MSEL_ROWS} injects"
                    ));
                    break;
                }
                match row(&record, &columns, width, clock) {
                    Ok(inject) => injects.push(inject),
                    Err(problems) => {
                        errors.extend(problems.into_iter().map(|p| format!("{file}:{line}: {p}")));
                    }
                }
            }
            Err(e) => {
                // The reader reports only I/O errors here (the input is a slice and
                // rows may be ragged); stop rather than risk reading on.
                errors.push(csv_error(&file.to_string(), &e));
                break;
            }
        }
    }
    if errors.is_empty() { Ok(injects) } else { Err(errors) }
}

/// The line a record starts on. The reader's position is where it began reading,
/// before the empty lines it skipped: count those too.
fn line_of(record: &ByteRecord, bytes: &[u8]) -> u64 {
    let Some(position) = record.position() else {
        return 0;
    };
    let start = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let skipped = bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .filter(|&&b| b == b'\n')
        .count();
    position.line() + skipped as u64
}

fn csv_error(file: &str, e: &csv::Error) -> String {
    match e.position() {
        Some(p) => format!("{file}:{}: {e}", p.line()),
        None => format!("{file}: {e}"),
    }
}

/// Every cell empty or spaces (a blank line, or `,,,,,,` from a spreadsheet).
fn is_blank(record: &ByteRecord) -> bool {
    record.iter().all(|cell| cell.iter().all(|b| b.is_ascii_whitespace()))
}

/// Where each of `COLUMNS` is in the header, or what is wrong with it.
fn header(record: &ByteRecord) -> Result<[Option<usize>; 9], Vec<String>> {
    let mut found: [Option<usize>; 9] = [None; 9];
    let mut problems = Vec::new();
    for (position, cell) in record.iter().enumerate() {
        let Ok(name) = std::str::from_utf8(cell) else {
            problems.push(format!("column {} is not valid UTF-8 text", position + 1));
            continue;
        };
        let name = name.trim();
        // "Expected Action" and "expected-action" are expected_action.
        let key: String = name
            .chars()
            .map(|c| match c {
                ' ' | '-' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        match COLUMNS.iter().position(|c| *c == key) {
            Some(k) if found[k].is_some() => {
                problems.push(format!("column {:?} appears twice", COLUMNS[k]));
            }
            Some(k) => found[k] = Some(position),
            None if name.is_empty() => {
                problems.push(format!("column {} has no name", position + 1));
            }
            None => {
                let hint = COLUMNS
                    .iter()
                    .map(|c| (strsim::damerau_levenshtein(c, &key), *c))
                    .filter(|&(distance, _)| distance <= (key.chars().count() / 3).max(1))
                    .min()
                    .map(|(_, c)| format!(" (did you mean {c:?}?)"))
                    .unwrap_or_default();
                problems.push(format!("unknown column {name:?}{hint}; the columns are {}", COLUMNS.join(",")));
            }
        }
    }
    for (k, column) in COLUMNS.iter().enumerate().take(REQUIRED_COLUMNS) {
        if found[k].is_none() {
            problems.push(format!("missing column {column:?}"));
        }
    }
    if problems.is_empty() { Ok(found) } else { Err(problems) }
}

/// One data row as an inject, or every problem in it.
fn row(
    record: &ByteRecord,
    columns: &[Option<usize>; 9],
    width: usize,
    clock: Option<&ExerciseClock>,
) -> Result<Inject, Vec<String>> {
    // Cells past the header's width are accepted only when empty (trailing
    // separators from a spreadsheet).
    let extra_filled = record.iter().skip(width).any(|cell| !cell.iter().all(|b| b.is_ascii_whitespace()));
    if record.len() < width || extra_filled {
        return Err(vec![format!("{} fields, but the header has {width}", record.len())]);
    }
    let mut problems = Vec::new();
    let mut cells: [&str; 9] = [""; 9];
    for (k, position) in columns.iter().enumerate() {
        let Some(position) = *position else { continue };
        let bytes = record.get(position).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok(text) => cells[k] = text,
            Err(_) => problems.push(format!("{}: not valid UTF-8 text", COLUMNS[k])),
        }
    }
    let id = cells[NUMBER].trim();
    if id.is_empty() && !problems.iter().any(|p| p.starts_with("number:")) {
        problems.push("number is empty: every inject needs an id".to_string());
    }
    let at = if problems.iter().any(|p| p.starts_with("time:")) {
        None
    } else {
        match parse_time(cells[TIME], clock) {
            Ok(tick) => Some(tick),
            Err(problem) => {
                problems.push(problem);
                None
            }
        }
    };
    let method = match parse_method(cells[METHOD]) {
        Ok(method) => method,
        Err(problem) => {
            problems.push(problem);
            Method::default()
        }
    };
    let effects = match parse_effects(cells[EFFECTS]) {
        Ok(effects) => effects,
        Err(problem) => {
            problems.push(problem);
            Vec::new()
        }
    };
    let tlp = match parse_tlp(cells[TLP]) {
        Ok(tlp) => tlp,
        Err(problem) => {
            problems.push(problem);
            crate::scenario::inject_tlp()
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Inject {
        id: id.to_string(),
        at,
        when: None,
        from: cells[FROM].to_string(),
        to: parse_recipients(cells[TO]),
        method,
        message: cells[MESSAGE].to_string(),
        expected_action: cells[EXPECTED_ACTION].to_string(),
        effects,
        tlp,
    })
}

/// A time cell as a tick; see `parse_csv` for the forms.
fn parse_time(cell: &str, clock: Option<&ExerciseClock>) -> Result<u64, String> {
    let text = cell.trim();
    let not_a_time = || format!("time {text:?} is not a clock time like \"09:30\", a tick, or \"T+90\"");
    if text.is_empty() {
        return Err("time is empty: give a clock time like \"09:30\", a tick, or \"T+90\"".to_string());
    }
    if text.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("when")) {
        return Err(format!(
            "time {text:?} is a condition: only scheduled injects can be read from CSV (write conditional injects in the scenario file)"
        ));
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(text) {
        return text.parse::<u64>().map_err(|_| format!("time {text:?} is too large a tick"));
    }
    if let Some(offset) = text.strip_prefix("T+").or_else(|| text.strip_prefix("t+")) {
        let minutes = match offset.split_once(':') {
            None if digits(offset) => offset.parse::<u64>().ok(),
            Some((h, m)) if digits(h) && m.len() == 2 && digits(m) => {
                let (h, m) = (h.parse::<u64>().ok(), m.parse::<u64>().ok());
                match (h, m) {
                    (Some(h), Some(m)) if m < 60 => h.checked_mul(60).and_then(|x| x.checked_add(m)),
                    _ => return Err(not_a_time()),
                }
            }
            _ => return Err(not_a_time()),
        };
        let Some(minutes) = minutes else {
            return Err(format!("time {text:?} is too far from the start"));
        };
        return Ok(clock.map_or(PLACEHOLDER_TICK, |c| minutes_to_ticks(minutes, c.tick_seconds())));
    }
    // A time in the hour a DST change repeats, with its UTC offset, as the
    // clock labels it (`02:30 +01:00`).
    if text.rsplit_once(' ').is_some_and(|(_, offset)| offset.starts_with(['+', '-'])) {
        return match clock {
            Some(clock) => clock.tick_at(text).map_err(|e| format!("time {e}")),
            None => Ok(PLACEHOLDER_TICK),
        };
    }
    let bytes = text.as_bytes();
    if bytes.len() > 5 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-' {
        // A local date and time, as the clock labels days after the start's.
        if text.parse::<jiff::civil::DateTime>().is_err() {
            return Err(format!("time {text:?} is not a local date and time like \"2026-03-11 09:30\""));
        }
        return match clock {
            Some(clock) => clock.tick_at_datetime(text).map_err(|e| format!("time {e}")),
            None => Ok(PLACEHOLDER_TICK),
        };
    }
    if text.contains(':') {
        // `9:30` is written `09:30` for the parser.
        let padded = match text.find(':') {
            Some(1) => format!("0{text}"),
            _ => text.to_string(),
        };
        if padded.parse::<jiff::civil::Time>().is_err() {
            return Err(not_a_time());
        }
        return match clock {
            Some(clock) => clock.tick_at(&padded).map_err(|e| format!("time {e}")),
            None => Ok(PLACEHOLDER_TICK),
        };
    }
    Err(not_a_time())
}

/// An effects cell: the RON list of the scenario format, empty for none.
/// Which incidents, assets and teams it names is checked with the scenario.
fn parse_effects(cell: &str) -> Result<Vec<crate::scenario::Effect>, String> {
    let text = cell.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    ron::from_str(text).map_err(|e| {
        format!(
            "effects: {e} (expected a list as in the scenario format, like [StartIncident(\"post-ddos\"), SetStaff(team: \"circl\", staff: 3)])"
        )
    })
}

/// A TLP cell: `TLP:CLEAR` … `TLP:RED` in any case, the `TLP:` optional;
/// empty: TLP:RED.
fn parse_tlp(cell: &str) -> Result<Tlp, String> {
    let text = cell.trim();
    if text.is_empty() {
        return Ok(crate::scenario::inject_tlp());
    }
    let labelled = if text.len() >= 4 && text[..4].eq_ignore_ascii_case("tlp:") {
        text.to_string()
    } else {
        format!("TLP:{text}")
    };
    Tlp::parse(&labelled).ok_or_else(|| {
        let labels: Vec<&str> = Tlp::ALL.iter().map(|t| t.label()).collect();
        format!("tlp: {text:?} is not a TLP 2.0 label ({})", labels.join(", "))
    })
}

fn parse_method(cell: &str) -> Result<Method, String> {
    let key: String =
        cell.chars().filter(|c| !c.is_whitespace() && *c != '-' && *c != '_').flat_map(char::to_lowercase).collect();
    if key.is_empty() {
        return Ok(Method::Email);
    }
    Method::ALL.into_iter().find(|m| m.name().to_ascii_lowercase() == key).ok_or_else(|| {
        let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
        format!("method {:?} is not one of {}", cell.trim(), names.join(", "))
    })
}

fn parse_recipients(cell: &str) -> Vec<String> {
    cell.split(|c: char| c == ';' || c == ',' || c.is_whitespace())
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> ExerciseClock {
        ExerciseClock::new("2026-03-10T08:00", "Europe/Luxembourg", 60).unwrap()
    }

    #[test]
    fn times_in_every_form() {
        let c = clock();
        let t = |s| parse_time(s, Some(&c));
        assert_eq!(t("08:45"), Ok(45));
        assert_eq!(t(" 9:30 "), Ok(90));
        assert_eq!(t("2026-03-11 08:45"), Ok(24 * 60 + 45));
        assert_eq!(t("17"), Ok(17));
        assert_eq!(t("T+90"), Ok(90));
        assert_eq!(t("t+1:30"), Ok(90));
        assert!(t("T+1:75").is_err());
        assert!(t("T+").is_err());
        assert!(t("99999999999999999999999").unwrap_err().contains("too large"));
        assert_eq!(t("9h30"), Err(r#"time "9h30" is not a clock time like "09:30", a tick, or "T+90""#.into()));
        assert!(t("when PIU active").unwrap_err().contains("is a condition"));
        // Without a clock only the form is checked.
        assert_eq!(parse_time("08:45", None), Ok(PLACEHOLDER_TICK));
        assert_eq!(parse_time("17", None), Ok(17));
        assert!(parse_time("8h", None).is_err());
    }

    #[test]
    fn the_repeated_hour_exports_with_its_offset_and_reads_back() {
        // Europe/Luxembourg falls back from 03:00 CEST to 02:00 CET on 2026-10-25.
        let c = ExerciseClock::new("2026-10-25T01:00", "Europe/Luxembourg", 60).unwrap();
        assert_eq!(time_label(90, &c), "02:30 +02:00");
        assert_eq!(time_label(150, &c), "02:30 +01:00");
        assert_eq!(parse_time("02:30 +01:00", Some(&c)), Ok(150));
        assert_eq!(parse_time("02:30 +02:00", Some(&c)), Ok(90));
        assert_eq!(parse_time("02:30 +01:00", None), Ok(PLACEHOLDER_TICK));
        assert!(parse_time("02:30 +07:00", Some(&c)).unwrap_err().contains("never shows"));
    }

    #[test]
    fn short_ticks_export_as_tick_numbers() {
        let c = ExerciseClock::new("2026-03-10T08:00", "UTC", 20).unwrap();
        assert_eq!(time_label(3, &c), "08:01");
        assert_eq!(time_label(4, &c), "4", "08:01:20 would read back as tick 3");
    }

    #[test]
    fn methods_in_any_spelling() {
        assert_eq!(parse_method(""), Ok(Method::Email));
        assert_eq!(parse_method("PHONE"), Ok(Method::Phone));
        assert_eq!(parse_method("in person"), Ok(Method::InPerson));
        assert_eq!(
            parse_method("fax"),
            Err("method \"fax\" is not one of Email, Phone, Media, Portal, Radio, InPerson".into())
        );
    }
}
