//! The director console on a recording (`cascade replay JOURNAL`): what the
//! console keeps besides the live state, and the keys that differ. Pure, like
//! [`crate::director`]: keys become state changes and [`Effect`]s (`Seek`,
//! `Branch`); the loop in [`crate::replay_console`] carries them out on a
//! `cascade_replay::Player` and hands the resulting view back.
//!
//! Keys: space plays and pauses, `+`/`-` change the speed, `s`/`→` and
//! `S`/`←` step one tick forward and back, `n`/`]` and `N`/`[` jump to the
//! next and previous event, `t` goes to a tick or a clock time, Enter on a
//! timeline event jumps to it, `b` branches a live exercise from the tick
//! shown, `q` quits at once (nothing runs).

use std::time::Duration;

use cascade_engine::view::DirectorView;
use cascade_replay::player::Event;
use crossterm::event::{KeyCode, KeyEvent};

use crate::app::Tone;
use crate::director::{DirectorApp, Effect, HISTORY, Mode, Panel, SPEEDS, ServiceHistory, edit_text, speed_label};

/// The replay's part of the console state.
#[derive(Debug, Clone, Default)]
pub struct ReplayState {
    /// The journal, as the header shows it.
    pub journal: String,
    pub last_tick: u64,
    /// Every event of the recording, by tick.
    pub events: Vec<Event>,
    /// The clock label of every tick (index = tick), for `t 08:30`.
    pub labels: Vec<String>,
    pub playing: bool,
    /// Ticks per second while playing.
    pub speed: f64,
    /// Ticks owed to playback between frames (fractions carry over).
    pub carry: f64,
    /// The `t` prompt's input.
    pub goto: String,
    /// How long the last seek took (restore, re-simulate, build the view).
    pub last_seek: Option<Duration>,
    /// Snapshots kept, their approximate bytes and the ticks between them.
    pub snapshots: (usize, usize, u64),
    /// A live exercise can branch from ticks before this one: the scenario's
    /// end, or the director's `end` if it came first.
    pub branch_before: u64,
}

impl ReplayState {
    pub fn new(journal: String, last_tick: u64, events: Vec<Event>, labels: Vec<String>) -> Self {
        Self { journal, last_tick, events, labels, speed: 4.0, branch_before: u64::MAX, ..Self::default() }
    }

    /// The tick `input` names: a tick number (`120`, `t120`), a time (`9:30`,
    /// `09:30`: the first tick at or after its next occurrence from the
    /// start, so `01:00` in an exercise that starts at 22:00 is the next
    /// night), a label with its date as the header shows it, `start` or `end`.
    pub fn parse_goto(&self, input: &str) -> Result<u64, String> {
        let input = input.trim();
        let number = input.strip_prefix('t').unwrap_or(input);
        if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
            return match number.parse::<u64>() {
                Ok(t) if t <= self.last_tick => Ok(t),
                _ => Err(format!("tick {number} is not recorded: 0 to {}", self.last_tick)),
            };
        }
        match input {
            "" => return Err("type a tick (e.g. 120) or a time (e.g. 9:30)".into()),
            "start" | "begin" => return Ok(0),
            "end" | "last" => return Ok(self.last_tick),
            _ => {}
        }
        // A label as the screen shows it (`02:30 +01:00` in the hour a DST
        // change repeats, `2026-03-11 08:45` on a later day): that tick.
        if let Some(tick) = self.labels.iter().position(|l| l == input) {
            return Ok(tick as u64);
        }
        if let Some(wanted) = minutes_of(input) {
            // Minutes from midnight of the first day: labels of the first day
            // are `HH:MM`, later days carry their date.
            let mut day = 0u32;
            let mut date: Option<&str> = None;
            let absolute: Vec<Option<u32>> = self
                .labels
                .iter()
                .map(|label| {
                    // The repeated hour's UTC offset is not part of the date.
                    let label = match label.rsplit_once(' ') {
                        Some((rest, offset)) if offset.starts_with(['+', '-']) => rest,
                        _ => label.as_str(),
                    };
                    let (label_date, time) = label.rsplit_once(' ').map_or((None, label), |(d, t)| (Some(d), t));
                    if label_date.is_some() && label_date != date {
                        day += 1;
                        date = label_date;
                    }
                    minutes_of(time).map(|m| day * 1440 + m)
                })
                .collect();
            let start = absolute.first().copied().flatten().unwrap_or(0);
            let wanted = if wanted >= start % 1440 { wanted } else { wanted + 1440 };
            return absolute
                .iter()
                .position(|m| m.is_some_and(|m| m >= wanted))
                .map(|t| t as u64)
                .ok_or_else(|| format!("no recorded tick at or after {input}"));
        }
        self.labels
            .iter()
            .position(|l| l == input)
            .map(|t| t as u64)
            .ok_or_else(|| format!("no recorded tick at {input:?} (a tick number, or a time such as 9:30)"))
    }
}

/// Minutes since midnight of `H:MM` or `HH:MM`.
fn minutes_of(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    let valid =
        |s: &str, len: std::ops::RangeInclusive<usize>| len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !valid(h, 1..=2) || !valid(m, 2..=2) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

impl DirectorApp {
    /// The console on a recording.
    pub fn replaying(state: ReplayState) -> Self {
        let mut app = DirectorApp::new(state.journal.clone());
        app.clock.ticks_per_second = state.speed;
        app.replay = Some(state);
        app
    }

    /// Shows the state at the view's tick: the view, its messages, the service
    /// series up to it (`national` and `sectors` are the whole recording's
    /// people served; `sectors` in the view's sector order).
    pub fn show_replay(&mut self, mut view: DirectorView, national: &[u64], sectors: &[Vec<u64>]) {
        let tick = view.tick;
        let end = (tick as usize + 1).min(national.len());
        let start = end.saturating_sub(HISTORY);
        let permille =
            |served: u64, population: u64| served.saturating_mul(1000).checked_div(population).unwrap_or(1000);
        let mut history = ServiceHistory {
            ticks: (start as u64..end as u64).collect(),
            national: national[start..end].iter().map(|&s| permille(s, view.service.population)).collect(),
            sectors: Vec::new(),
        };
        for (s, series) in view.service.sectors.iter().zip(sectors) {
            let values = series.get(start..end).unwrap_or_default();
            history.sectors.push((s.id.clone(), values.iter().map(|&v| permille(v, s.population)).collect()));
        }
        self.history = history;
        self.messages = view.messages.drain(..).map(|m| (m.index, m)).collect();
        self.clock.tick = tick;
        self.view = Some(view);
        // The timeline follows the tick shown: the last event at or before it.
        if let Some(r) = &self.replay {
            let shown = self.replay_events();
            let at = shown.iter().rposition(|(_, e)| e.tick <= tick).unwrap_or(0);
            if r.events.iter().any(|e| e.tick <= tick) || !shown.is_empty() {
                self.selected.insert(Panel::Timeline, at);
            }
        }
    }

    /// The replay's events that pass the filter, with their index.
    pub fn replay_events(&self) -> Vec<(usize, &Event)> {
        let Some(r) = &self.replay else { return Vec::new() };
        r.events
            .iter()
            .enumerate()
            .filter(|(_, e)| self.matches(&format!("t{} {} {} {}", e.tick, e.kind, e.who, e.text)))
            .collect()
    }

    /// One frame of playback: the tick to show next, if the replay plays.
    /// Pauses at the end.
    pub fn replay_frame(&mut self) -> Option<u64> {
        let fps = f64::from(self.fps.max(1));
        let tick = self.clock.tick;
        let r = self.replay.as_mut()?;
        if !r.playing {
            r.carry = 0.0;
            return None;
        }
        r.carry += r.speed / fps;
        let whole = r.carry.floor();
        r.carry -= whole;
        if whole < 1.0 {
            return None;
        }
        let next = tick.saturating_add(whole as u64).min(r.last_tick);
        if next >= r.last_tick {
            r.playing = false;
            self.clock.running = false;
            self.status = Some((Tone::Info, "end of the recording".into()));
        }
        (next != tick).then_some(next)
    }

    /// Keys of the `t` prompt.
    pub(crate) fn goto_key(&mut self, key: KeyEvent) -> Effect {
        let Some(r) = self.replay.as_mut() else {
            self.mode = Mode::Normal;
            return Effect::None;
        };
        match key.code {
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Enter => match r.parse_goto(&r.goto) {
                Ok(tick) => {
                    self.mode = Mode::Normal;
                    self.pause_replay();
                    return Effect::Seek(tick);
                }
                Err(e) => self.status = Some((Tone::Bad, e)),
            },
            _ => {
                edit_text(&mut r.goto, key, 40);
            }
        }
        Effect::None
    }

    fn pause_replay(&mut self) {
        if let Some(r) = self.replay.as_mut() {
            r.playing = false;
            r.carry = 0.0;
        }
        self.clock.running = false;
    }

    /// Keys of the normal mode that differ on a recording; `None` leaves the
    /// key to the live console's handling (moving, filter, details, help).
    pub(crate) fn replay_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let tick = self.clock.tick;
        let focus = self.focus;
        let r = self.replay.as_mut()?;
        let last = r.last_tick;
        let effect = match key.code {
            KeyCode::Char('q') => Effect::Quit,
            KeyCode::Char(' ') | KeyCode::Char('p') => {
                r.playing = !r.playing;
                r.carry = 0.0;
                self.clock.running = r.playing;
                if r.playing && tick >= last {
                    // Playing from the end starts over.
                    self.status = Some((Tone::Info, "from the start".into()));
                    return Some(Effect::Seek(0));
                }
                self.status = None;
                Effect::None
            }
            KeyCode::Char('+') | KeyCode::Char('=') | KeyCode::Char('-') | KeyCode::Char('_') => {
                let faster = matches!(key.code, KeyCode::Char('+') | KeyCode::Char('='));
                let now = r.speed;
                let next = if faster {
                    SPEEDS.iter().copied().find(|&s| s > now + 1e-9)
                } else {
                    SPEEDS.iter().rev().copied().find(|&s| s < now - 1e-9)
                };
                match next {
                    Some(speed) => {
                        r.speed = speed;
                        self.clock.ticks_per_second = speed;
                        self.status = Some((Tone::Info, format!("replay speed ×{}", speed_label(speed))));
                    }
                    None => self.status = Some((Tone::Info, format!("speed is already ×{}", speed_label(now)))),
                }
                Effect::None
            }
            KeyCode::Char('s') | KeyCode::Right => {
                self.pause_replay();
                if tick >= last {
                    self.status = Some((Tone::Info, "the last recorded tick".into()));
                    return Some(Effect::None);
                }
                Effect::Seek(tick + 1)
            }
            KeyCode::Char('S') | KeyCode::Left => {
                self.pause_replay();
                if tick == 0 {
                    self.status = Some((Tone::Info, "tick 0: the start".into()));
                    return Some(Effect::None);
                }
                Effect::Seek(tick - 1)
            }
            KeyCode::Char('n') | KeyCode::Char(']') | KeyCode::Char('N') | KeyCode::Char('[') => {
                let forward = matches!(key.code, KeyCode::Char('n') | KeyCode::Char(']'));
                // The events the filter shows, as in the timeline.
                let shown: Vec<u64> = self.replay_events().iter().map(|(_, e)| e.tick).collect();
                let target = if forward {
                    shown.iter().copied().find(|&t| t > tick)
                } else {
                    shown.iter().rev().copied().find(|&t| t < tick)
                };
                self.pause_replay();
                match target {
                    Some(t) => Effect::Seek(t),
                    None => {
                        let which = if forward { "after" } else { "before" };
                        self.status = Some((Tone::Info, format!("no event {which} tick {tick}")));
                        Effect::None
                    }
                }
            }
            KeyCode::Char('t') | KeyCode::Char(':') => {
                r.goto.clear();
                self.mode = Mode::Goto;
                Effect::None
            }
            KeyCode::Char('b') => {
                let before = r.branch_before;
                self.pause_replay();
                if tick >= before {
                    let last = before.saturating_sub(1);
                    self.status =
                        Some((Tone::Bad, format!("the exercise is over at tick {tick}: branch at {last} or earlier")));
                } else {
                    self.mode = Mode::ConfirmBranch;
                }
                Effect::None
            }
            KeyCode::Char('i') | KeyCode::Char('E') => {
                self.status =
                    Some((Tone::Bad, "a recording cannot change: b starts a live exercise from this tick".into()));
                Effect::None
            }
            KeyCode::Enter if focus == Panel::Timeline => {
                let shown = self.replay_events();
                match shown.get(self.selection(Panel::Timeline)) {
                    Some((_, e)) => {
                        let t = e.tick;
                        self.pause_replay();
                        Effect::Seek(t)
                    }
                    None => Effect::None,
                }
            }
            _ => return None,
        };
        Some(effect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{director_view, key};

    fn event(tick: u64, kind: &str, text: &str) -> Event {
        Event { tick, kind: kind.into(), who: "chem-ops".into(), text: text.into() }
    }

    /// A recording of 480 ticks starting at 08:00 with events at 12, 30 and
    /// 47 (twice), shown at tick 47 and paused.
    fn replay() -> DirectorApp {
        let labels = (0..=480u64).map(|t| format!("{:02}:{:02}", 8 + t / 60, t % 60)).collect();
        let events = vec![
            event(12, "incident", "Incident ransom-x starts."),
            event(30, "action", "investigate (bot)"),
            event(47, "director", "pause"),
            event(47, "objective", "met: PIU activated"),
        ];
        let mut app = DirectorApp::replaying(ReplayState::new("j.jsonl".into(), 480, events, labels));
        app.fps = 10;
        let view = director_view();
        let national = vec![view.service.national; 481];
        let sectors: Vec<Vec<u64>> = view.service.sectors.iter().map(|s| vec![s.served; 481]).collect();
        app.show_replay(view, &national, &sectors);
        app
    }

    fn press(app: &mut DirectorApp, code: KeyCode) -> Effect {
        app.handle_key(key(code))
    }

    fn typed(app: &mut DirectorApp, text: &str) {
        for c in text.chars() {
            press(app, KeyCode::Char(c));
        }
    }

    #[test]
    fn the_service_history_is_the_recording_up_to_the_tick_shown() {
        let app = replay();
        assert_eq!(app.clock.tick, 47);
        assert_eq!(app.history.ticks.len(), 48, "ticks 0..=47");
        assert_eq!(app.history.national.back(), Some(&900));
        assert_eq!(app.history.sectors[1], ("telecom".to_string(), std::iter::repeat_n(750, 48).collect()));
        assert_eq!(app.selection(Panel::Timeline), 3, "the timeline follows the tick: the last event at or before 47");
    }

    #[test]
    fn stepping_moves_one_tick_and_pauses() {
        let mut app = replay();
        assert_eq!(press(&mut app, KeyCode::Char(' ')), Effect::None);
        assert!(app.replay.as_ref().unwrap().playing);
        for (code, expected) in [
            (KeyCode::Char('s'), Effect::Seek(48)),
            (KeyCode::Right, Effect::Seek(48)),
            (KeyCode::Char('S'), Effect::Seek(46)),
            (KeyCode::Left, Effect::Seek(46)),
        ] {
            assert_eq!(press(&mut app, code), expected, "{code:?}");
            assert!(!app.replay.as_ref().unwrap().playing, "{code:?} pauses");
        }
        app.clock.tick = 0;
        assert_eq!(press(&mut app, KeyCode::Left), Effect::None, "nothing before tick 0");
        app.clock.tick = 480;
        assert_eq!(press(&mut app, KeyCode::Char('s')), Effect::None, "nothing after the last tick");
    }

    #[test]
    fn playback_advances_by_speed_over_frames_and_stops_at_the_end() {
        let mut app = replay();
        assert_eq!(app.replay_frame(), None, "paused: nothing to show");
        press(&mut app, KeyCode::Char(' '));
        assert!(app.clock.running);
        // ×4 at 10 frames a second: 0.4 ticks a frame, fractions carried.
        let shown: Vec<Option<u64>> = (0..5).map(|_| app.replay_frame()).collect();
        assert_eq!(shown, vec![None, None, Some(48), None, Some(48)]);
        // (The loop shows each tick, which moves the clock.)
        app.clock.tick = 478;
        for _ in 0..5 {
            press(&mut app, KeyCode::Char('+'));
        }
        assert_eq!(app.replay.as_ref().unwrap().speed, 128.0);
        assert_eq!(app.replay_frame(), Some(480), "clamped to the last tick");
        assert!(!app.replay.as_ref().unwrap().playing && !app.clock.running, "paused at the end");
        app.clock.tick = 480;
        assert_eq!(press(&mut app, KeyCode::Char(' ')), Effect::Seek(0), "play at the end starts over");
    }

    #[test]
    fn events_are_reached_with_n_and_shift_n() {
        let mut app = replay();
        assert_eq!(press(&mut app, KeyCode::Char('N')), Effect::Seek(30));
        assert_eq!(press(&mut app, KeyCode::Char('[')), Effect::Seek(30));
        assert_eq!(press(&mut app, KeyCode::Char('n')), Effect::None, "no event after 47");
        app.clock.tick = 12;
        assert_eq!(press(&mut app, KeyCode::Char(']')), Effect::Seek(30));
        assert_eq!(press(&mut app, KeyCode::Char('N')), Effect::None, "none before 12");
        app.clock.tick = 0;
        assert_eq!(press(&mut app, KeyCode::Char('n')), Effect::Seek(12));
    }

    #[test]
    fn enter_on_a_timeline_event_goes_to_its_tick() {
        let mut app = replay();
        app.focus = Panel::Timeline;
        press(&mut app, KeyCode::Char('g'));
        press(&mut app, KeyCode::Char('j'));
        assert_eq!(press(&mut app, KeyCode::Enter), Effect::Seek(30));
        app.focus = Panel::Assets;
        assert_eq!(press(&mut app, KeyCode::Enter), Effect::None);
        assert_eq!(app.mode, Mode::Details, "elsewhere Enter shows details");
    }

    #[test]
    fn t_goes_to_a_tick_or_a_time() {
        let mut app = replay();
        for (input, expected) in [("120", 120), ("t7", 7), ("09:30", 90), ("9:30", 90), ("end", 480), ("start", 0)] {
            press(&mut app, KeyCode::Char('t'));
            assert_eq!(app.mode, Mode::Goto);
            typed(&mut app, input);
            assert_eq!(press(&mut app, KeyCode::Enter), Effect::Seek(expected), "{input}");
            assert_eq!(app.mode, Mode::Normal);
        }
        for bad in ["481", "tt7", "25:00", "9:3", "16:01", "soon"] {
            press(&mut app, KeyCode::Char('t'));
            typed(&mut app, bad);
            assert_eq!(press(&mut app, KeyCode::Enter), Effect::None, "{bad}");
            assert_eq!(app.mode, Mode::Goto, "{bad}: the prompt stays to be corrected");
            assert!(matches!(&app.status, Some((Tone::Bad, _))), "{bad}");
            press(&mut app, KeyCode::Esc);
        }
    }

    #[test]
    fn a_time_goes_to_the_first_tick_at_or_after_it() {
        // 90-second ticks: 08:00, 08:01, 08:03, 08:04, 08:06, then the next day.
        let labels = ["08:00", "08:01", "08:03", "08:04", "08:06", "2026-03-11 08:00"].map(String::from).to_vec();
        let r = ReplayState::new("j".into(), 5, Vec::new(), labels);
        for (input, expected) in [("8:02", Ok(2)), ("08:04", Ok(3)), ("07:00", Ok(5)), ("2026-03-11 08:00", Ok(5))] {
            assert_eq!(r.parse_goto(input), expected, "{input}");
        }
        assert_eq!(r.parse_goto("08:07"), Ok(5), "the next morning");
        assert!(r.parse_goto("08:01x").is_err());
        // An exercise over midnight: 01:00 is the next night, not the start.
        let labels = ["22:00", "23:00", "2026-03-11 00:00", "2026-03-11 01:00"].map(String::from).to_vec();
        let night = ReplayState::new("j".into(), 3, Vec::new(), labels);
        assert_eq!(night.parse_goto("1:00"), Ok(3));
        assert_eq!(night.parse_goto("22:30"), Ok(1));
        assert!(night.parse_goto("02:00").unwrap_err().contains("no recorded tick at or after 02:00"));
        // Across the hour a DST change repeats (hourly ticks): each label goes
        // to its own tick, and the offset never counts as a new day.
        let labels = ["01:00", "02:00 +02:00", "02:00 +01:00", "03:00"].map(String::from).to_vec();
        let fall_back = ReplayState::new("j".into(), 3, Vec::new(), labels);
        assert_eq!(fall_back.parse_goto("02:00 +01:00"), Ok(2));
        assert_eq!(fall_back.parse_goto("02:00 +02:00"), Ok(1));
        assert_eq!(fall_back.parse_goto("02:30"), Ok(3), "the first tick at or after it on the wall clock");
        assert_eq!(fall_back.parse_goto("03:00"), Ok(3), "the same day");
    }

    #[test]
    fn next_and_previous_event_follow_the_filter() {
        let mut app = replay();
        app.clock.tick = 0;
        app.filter = "objective".into();
        assert_eq!(press(&mut app, KeyCode::Char('n')), Effect::Seek(47), "the incident at 12 is filtered out");
        app.clock.tick = 47;
        assert_eq!(press(&mut app, KeyCode::Char('N')), Effect::None);
    }

    #[test]
    fn b_branches_from_the_tick_shown_after_a_confirmation() {
        let mut app = replay();
        assert_eq!(press(&mut app, KeyCode::Char('b')), Effect::None);
        assert_eq!(app.mode, Mode::ConfirmBranch);
        assert_eq!(press(&mut app, KeyCode::Char('x')), Effect::None);
        assert_eq!(app.mode, Mode::Normal, "any other key stays in the replay");
        press(&mut app, KeyCode::Char('b'));
        assert_eq!(press(&mut app, KeyCode::Enter), Effect::None, "Enter does not branch");
        assert_eq!(app.mode, Mode::Normal);
        press(&mut app, KeyCode::Char('b'));
        assert_eq!(press(&mut app, KeyCode::Char('y')), Effect::Branch(47));
        // Not from the tick the exercise ended at, or after it.
        app.replay.as_mut().unwrap().branch_before = 47;
        assert_eq!(press(&mut app, KeyCode::Char('b')), Effect::None);
        assert_eq!(app.mode, Mode::Normal);
        assert!(
            matches!(&app.status, Some((Tone::Bad, t)) if t.contains("branch at 46 or earlier")),
            "{:?}",
            app.status
        );
    }

    #[test]
    fn a_recording_takes_no_commands_and_quits_at_once() {
        let mut app = replay();
        for code in [KeyCode::Char('i'), KeyCode::Char('E')] {
            assert_eq!(press(&mut app, code), Effect::None);
            assert_eq!(app.mode, Mode::Normal);
            assert!(matches!(&app.status, Some((Tone::Bad, text)) if text.contains("b starts a live exercise")));
        }
        press(&mut app, KeyCode::Char(' '));
        assert_eq!(press(&mut app, KeyCode::Char('q')), Effect::Quit, "no confirmation while playing");
    }
}
