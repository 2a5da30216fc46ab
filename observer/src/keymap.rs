//! Configurable keys for the director console (live and replay), in the
//! manner of gitui's `key_bindings.ron`: a RON map from action names to keys,
//!
//! ```ron
//! {
//!     "pause": "p",
//!     "step": "ctrl-n",
//!     "branch": "F5",
//! }
//! ```
//!
//! read from `--keys FILE`, else `$CASCADE_KEYS`, else
//! `$XDG_CONFIG_HOME/cascade/keys.ron` or `~/.config/cascade/keys.ron` when
//! that file exists. A configured key stands for its action wherever the
//! console is not taking text (the filter, the inject form and the go-to prompt
//! keep every key for typing); it takes precedence over the default key it may
//! shadow, and the default keys of the other actions keep working. Esc and
//! Ctrl-C cannot be rebound: they always close and quit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Largest key file read.
pub const MAX_KEYS_FILE_BYTES: u64 = 64 * 1024;

/// Every action a key can be bound to: its name in the file, its default key
/// (as the console's key handling knows it) and what it does.
pub const ACTIONS: &[(&str, &str, &str)] = &[
    ("pause", "space", "start / pause / resume (replay: play / pause)"),
    ("faster", "+", "faster"),
    ("slower", "-", "slower"),
    ("step", "s", "one tick forward"),
    ("step_back", "S", "replay: one tick back"),
    ("inject", "i", "write an inject"),
    ("end", "E", "end the exercise"),
    ("next_panel", "tab", "next panel"),
    ("previous_panel", "backtab", "previous panel"),
    ("down", "j", "select down"),
    ("up", "k", "select up"),
    ("page_down", "pagedown", "select 10 down"),
    ("page_up", "pageup", "select 10 up"),
    ("first", "g", "select the first"),
    ("last", "G", "select the last"),
    ("details", "enter", "details (replay timeline: go to the event)"),
    ("filter", "/", "filter every list"),
    ("help", "?", "this help"),
    ("join", "J", "live: how players join (address, join links)"),
    ("quit", "q", "quit"),
    ("next_event", "n", "replay: next event"),
    ("previous_event", "N", "replay: previous event"),
    ("goto", "t", "replay: go to a tick or time"),
    ("branch", "b", "replay: branch a live exercise"),
];

/// A key as the console compares them: its code and the modifiers that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Chord {
    code: KeyCodeKey,
    ctrl: bool,
    alt: bool,
}

/// `KeyCode` without the variants a key file cannot name, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum KeyCodeKey {
    Char(char),
    F(u8),
    Named(u8),
}

const NAMED: &[(&str, KeyCode)] = &[
    ("space", KeyCode::Char(' ')),
    ("enter", KeyCode::Enter),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("shift-tab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("insert", KeyCode::Insert),
    ("delete", KeyCode::Delete),
];

impl Chord {
    fn of(key: KeyEvent) -> Option<Chord> {
        let code = match key.code {
            KeyCode::Char(c) => KeyCodeKey::Char(c),
            KeyCode::F(n) => KeyCodeKey::F(n),
            other => KeyCodeKey::Named(NAMED.iter().position(|(_, k)| *k == other)? as u8),
        };
        Some(Chord {
            code,
            ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
            alt: key.modifiers.contains(KeyModifiers::ALT),
        })
    }

    fn event(self) -> KeyEvent {
        let code = match self.code {
            KeyCodeKey::Char(c) => KeyCode::Char(c),
            KeyCodeKey::F(n) => KeyCode::F(n),
            KeyCodeKey::Named(i) => NAMED[usize::from(i)].1,
        };
        let mut modifiers = KeyModifiers::NONE;
        if self.ctrl {
            modifiers |= KeyModifiers::CONTROL;
        }
        if self.alt {
            modifiers |= KeyModifiers::ALT;
        }
        KeyEvent::new(code, modifiers)
    }

    /// `ctrl-x`, `alt-F5`, `space`, `G`, `+`.
    fn parse(text: &str) -> Result<Chord, String> {
        let mut rest = text;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            if lower.starts_with("ctrl-") && rest.len() > 5 {
                ctrl = true;
                rest = &rest[5..];
            } else if lower.starts_with("alt-") && rest.len() > 4 {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let lower = rest.to_ascii_lowercase();
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => KeyCodeKey::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => {
                if let Some(key) = NAMED.iter().find(|(name, _)| *name == lower).map(|(_, k)| *k) {
                    // As a key press arrives: space is a character, shift-tab is backtab.
                    match Chord::of(KeyEvent::new(key, KeyModifiers::NONE)) {
                        Some(chord) => chord.code,
                        None => unreachable!("every named key has a chord"),
                    }
                } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok())
                    && (1..=12).contains(&n)
                {
                    KeyCodeKey::F(n)
                } else {
                    return Err(format!(
                        "{text:?} is not a key: a character (\"p\", \"G\", \"+\"), a name ({}), or F1–F12, \
                         optionally after ctrl- or alt-",
                        NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        };
        let chord = Chord { code, ctrl, alt };
        if chord == (Chord { code: KeyCodeKey::Char('c'), ctrl: true, alt: false }) {
            return Err("ctrl-c always quits; it cannot be bound".into());
        }
        Ok(chord)
    }
}

/// A RON map read in order, duplicate keys kept (a `BTreeMap` would keep the
/// last silently).
struct Entries(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of action names to keys")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Entries, M::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    if entries.len() >= ACTIONS.len() * 4 {
                        return Err(serde::de::Error::custom("too many entries"));
                    }
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// The keys configured on top of the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMap {
    /// Configured key → the default key of its action.
    remap: BTreeMap<Chord, Chord>,
    /// (action, key as written), by action name, for the help.
    shown: Vec<(String, String)>,
}

impl KeyMap {
    /// Reads a key file; errors name the file, and the line and column for syntax.
    pub fn load(path: &Path) -> Result<KeyMap, String> {
        use std::io::Read;
        let shown = path.display();
        let file = std::fs::File::open(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
        let mut text = String::new();
        file.take(MAX_KEYS_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("{shown}: cannot read: {e}"))?;
        if text.len() as u64 > MAX_KEYS_FILE_BYTES {
            return Err(format!("{shown}: larger than {} KiB", MAX_KEYS_FILE_BYTES / 1024));
        }
        KeyMap::parse(&text).map_err(|e| format!("{shown}:{e}"))
    }

    /// Parses the RON text of a key file. Errors start with `line:col: ` for
    /// syntax, or name the action.
    pub fn parse(text: &str) -> Result<KeyMap, String> {
        let Entries(entries) = ron::from_str(text).map_err(|e| {
            format!(
                "{}:{}: {} (expected a map such as {{\"pause\": \"p\"}})",
                e.span.start.line, e.span.start.col, e.code
            )
        })?;
        // Where the `nth` mention of an action is written, for errors about it.
        let line_of = |action: &str, nth: usize| {
            let at = text.match_indices(&format!("\"{action}\"")).nth(nth).map(|(at, _)| at);
            at.map_or(1, |at| text[..at].matches('\n').count() + 1)
        };
        let mut actions_seen: BTreeMap<&str, usize> = BTreeMap::new();
        let mut map = KeyMap::default();
        let mut by_key: BTreeMap<Chord, String> = BTreeMap::new();
        for (action, key) in &entries {
            let seen = actions_seen.entry(action.as_str()).or_insert(0);
            let line = line_of(action, *seen);
            *seen += 1;
            let Some((_, default, _)) = ACTIONS.iter().find(|(name, ..)| name == action) else {
                let names: Vec<&str> = ACTIONS.iter().map(|(n, ..)| *n).collect();
                return Err(format!("{line}: unknown action {action:?}; the actions are {}", names.join(", ")));
            };
            if *seen > 1 {
                return Err(format!("{line}: {action} is given twice"));
            }
            let chord = Chord::parse(key).map_err(|e| format!("{line}: {action}: {e}"))?;
            if let Some(other) = by_key.insert(chord, action.clone()) {
                return Err(format!("{line}: {key:?} is bound twice: to {other} and to {action}"));
            }
            let target = Chord::parse(default).expect("the default keys parse");
            map.remap.insert(chord, target);
            map.shown.push((action.clone(), key.clone()));
        }
        map.shown.sort();
        Ok(map)
    }

    /// The key file to read when none is given: `$CASCADE_KEYS`, else the
    /// configuration directory's `cascade/keys.ron` if it exists.
    pub fn default_path() -> Option<PathBuf> {
        // An empty variable counts as unset, as the XDG specification says.
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(path) = var("CASCADE_KEYS") {
            return Some(PathBuf::from(path));
        }
        let config = var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        let path = config.join("cascade").join("keys.ron");
        path.is_file().then_some(path)
    }

    /// `--keys FILE` if given, else the default file if there is one, else no
    /// configured keys.
    pub fn from_args(path: Option<&Path>) -> Result<KeyMap, String> {
        match path.map(Path::to_path_buf).or_else(KeyMap::default_path) {
            Some(path) => KeyMap::load(&path),
            None => Ok(KeyMap::default()),
        }
    }

    /// The key the console's handling knows for `key`: the default key of
    /// the action `key` is configured for, or `key` itself.
    pub fn translate(&self, key: KeyEvent) -> KeyEvent {
        match Chord::of(key).and_then(|c| self.remap.get(&c)) {
            Some(target) => {
                let mut event = target.event();
                event.kind = key.kind;
                event
            }
            None => key,
        }
    }

    /// The configured keys, for the help: `p pause`, …
    pub fn help_line(&self) -> Option<String> {
        (!self.shown.is_empty())
            .then(|| self.shown.iter().map(|(action, key)| format!("{key} {action}")).collect::<Vec<_>>().join("  "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn configured_keys_stand_for_their_action() {
        let map =
            KeyMap::parse(r#"{"pause": "p", "step": "ctrl-N", "branch": "F5", "quit": "x", "next_panel": "right"}"#)
                .unwrap();
        let check = |input: KeyEvent, expected: KeyEvent| assert_eq!(map.translate(input), expected, "{input:?}");
        check(key(KeyCode::Char('p')), key(KeyCode::Char(' ')));
        check(ctrl('n'), key(KeyCode::Char('s')));
        check(key(KeyCode::F(5)), key(KeyCode::Char('b')));
        check(key(KeyCode::Char('x')), key(KeyCode::Char('q')));
        check(key(KeyCode::Right), key(KeyCode::Tab));
        // Unconfigured keys, defaults included, pass through.
        check(key(KeyCode::Char(' ')), key(KeyCode::Char(' ')));
        check(key(KeyCode::Char('q')), key(KeyCode::Char('q')));
        check(key(KeyCode::Esc), key(KeyCode::Esc));
        assert_eq!(map.help_line().unwrap(), "F5 branch  right next_panel  p pause  x quit  ctrl-N step");
        assert_eq!(KeyMap::default().help_line(), None);
    }

    #[test]
    fn named_keys_match_the_keys_as_they_arrive() {
        let map = KeyMap::parse(r#"{"step": "space", "next_panel": "shift-tab", "filter": "ctrl-space"}"#).unwrap();
        assert_eq!(map.translate(key(KeyCode::Char(' '))), key(KeyCode::Char('s')));
        assert_eq!(map.translate(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)), key(KeyCode::Tab));
        assert_eq!(map.translate(ctrl(' ')), key(KeyCode::Char('/')));
    }

    #[test]
    fn every_default_key_parses() {
        for (action, default, _) in ACTIONS {
            assert!(Chord::parse(default).is_ok(), "{action}: {default}");
        }
    }

    #[test]
    fn bad_key_files_say_what_and_where() {
        let check = |text: &str, expected: &str| {
            let error = KeyMap::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        };
        check("{\"pause\": \"p\",\n \"step\" \"s\"}", "2:");
        check(r#"{"paws": "p"}"#, "unknown action \"paws\"; the actions are pause, faster");
        check(r#"{"pause": "hyper-p"}"#, "pause: \"hyper-p\" is not a key");
        check(r#"{"pause": "F13"}"#, "is not a key");
        check(r#"{"pause": ""}"#, "is not a key");
        check(r#"{"quit": "ctrl-c"}"#, "ctrl-c always quits");
        check(r#"{"pause": "p", "step": "p"}"#, "\"p\" is bound twice: to pause and to step");
        check(r#"{"step": "space", "pause": " "}"#, "\" \" is bound twice: to step and to pause");
        check("{\n \"quit\": \"x\",\n \"quit\": \"z\"}", "3: quit is given twice");
        check("{\n \"pause\": \"p\",\n \"paws\": \"z\"}", "3: unknown action \"paws\"");
        check("[1, 2]", "expected a map");
    }

    #[test]
    fn a_missing_or_huge_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("keys.ron");
        assert!(KeyMap::load(&missing).unwrap_err().starts_with(&format!("{}: cannot read", missing.display())));
        std::fs::write(&missing, " ".repeat(MAX_KEYS_FILE_BYTES as usize + 1)).unwrap();
        assert!(KeyMap::load(&missing).unwrap_err().contains("larger than 64 KiB"));
        std::fs::write(&missing, "{\"help\": \"h\"}").unwrap();
        assert_eq!(KeyMap::load(&missing).unwrap().translate(key(KeyCode::Char('h'))), key(KeyCode::Char('?')));
    }
}
