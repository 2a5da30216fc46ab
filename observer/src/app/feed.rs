//! What `cascade play` shows, derived from what it received (pure, no drawing):
//! the action log merged with this client's commands the log does not carry
//! yet, the conversations between teams (by counterpart) apart from the inbox
//! (exercise control's injects, alerts and results), and times as people read
//! them: clock labels and countdowns, `(due − tick) × tick_seconds`.

use std::collections::BTreeMap;

use cascade_engine::view::{ActionFate, DeadlineView, MessageView, TeamView};

use crate::client::{CommandStatus, Tracker};
use crate::command::{describe_command, describe_with_text};

/// The thread of messages addressed to every team (and how such messages name
/// their recipients).
pub const ALL_TEAMS: &str = "all teams";

/// The read mark of the inbox (a key no team id can be: ids have no spaces).
pub const INBOX: &str = " inbox";

/// A span of exercise time in words: `23 min`, `1 h 05 min`, `2 d 3 h`
/// (minutes rounded up: a deadline 30 s away is `1 min` away).
pub fn duration_words(seconds: u64) -> String {
    let minutes = seconds.div_ceil(60);
    match minutes {
        0..60 => format!("{minutes} min"),
        60..1440 => match (minutes / 60, minutes % 60) {
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m:02} min"),
        },
        _ => match (minutes / 1440, minutes % 1440 / 60) {
            (d, 0) => format!("{d} d"),
            (d, h) => format!("{d} d {h} h"),
        },
    }
}

/// How far `tick` is from `now`: `in 23 min`, `now`, `5 min ago`.
pub fn relative(now: u64, tick: u64, tick_seconds: u32) -> String {
    let seconds = |ticks: u64| ticks.saturating_mul(u64::from(tick_seconds));
    match tick.cmp(&now) {
        std::cmp::Ordering::Equal => "now".to_string(),
        std::cmp::Ordering::Greater => format!("in {}", duration_words(seconds(tick - now))),
        std::cmp::Ordering::Less => format!("{} ago", duration_words(seconds(now - tick))),
    }
}

/// The clock label of `tick`, counted from the view's own label, when it falls
/// on the same day (the engine's labels carry the date on other days, which a
/// client cannot compute); `None` otherwise.
pub fn clock_at(view: &TeamView, tick: u64) -> Option<String> {
    let label = view.clock.as_str();
    let (date, time) = match label.rsplit_once(' ') {
        Some((date, time)) => (Some(date), time),
        None => (None, label),
    };
    let (h, m) = time.split_once(':')?;
    let now = i64::from(h.parse::<u16>().ok()?) * 60 + i64::from(m.parse::<u16>().ok()?);
    let delta_seconds = (tick as i64 - view.tick as i64).checked_mul(i64::from(view.tick_seconds))?;
    // Whole minutes only: the labels are minutes.
    let minutes = now + delta_seconds.div_euclid(60);
    if !(0..1440).contains(&minutes) {
        return None;
    }
    let time = format!("{:02}:{:02}", minutes / 60, minutes % 60);
    Some(match date {
        Some(date) => format!("{date} {time}"),
        None => time,
    })
}

/// A tick as people read it: its clock label when known, else its distance from now.
pub fn when(view: &TeamView, tick: u64) -> String {
    clock_at(view, tick).unwrap_or_else(|| relative(view.tick, tick, view.tick_seconds))
}

/// Where a report owed stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineState {
    /// Not filed, due later (or not due yet), and it can be filed now.
    Open,
    /// Not filed, not overdue, and it cannot be filed yet: it waits for the
    /// previous stage, or for its earliest time (or the incident's containment).
    Waiting,
    /// Not filed, and the deadline has passed.
    Overdue,
    OnTime,
    Late,
}

/// Why an unfiled report stage cannot be filed yet, in words (`None`: it
/// can): `waits for: early-warning`, `not before 2026-03-24 08:03 (or once
/// contained)`.
pub fn hold_words(view: &TeamView, d: &DeadlineView) -> Option<String> {
    if d.filed.is_some() {
        return None;
    }
    if let Some(previous) = &d.waits_for {
        return Some(format!("waits for: {previous}"));
    }
    let earliest = d.not_before?;
    let at = d.not_before_clock.clone().unwrap_or_else(|| when(view, earliest));
    let or_contained = if d.or_contained { " (or once contained)" } else { "" };
    Some(format!("not before {at}{or_contained}"))
}

/// A deadline in words: `nis2 early-warning ransom-x due 09:42 (in 23 min)`,
/// `… was due 08:42 (overdue by 5 min)`, `… filed 08:45 (on time)`; a stage
/// that cannot be filed yet says why (`… · waits for: early-warning`).
pub fn deadline_words(view: &TeamView, d: &DeadlineView) -> (DeadlineState, String) {
    let (state, words) = deadline_status_words(view, d);
    match hold_words(view, d) {
        Some(hold) => {
            let state = if state == DeadlineState::Open { DeadlineState::Waiting } else { state };
            (state, format!("{words} · {hold}"))
        }
        None => (state, words),
    }
}

/// A deadline's due date or filing in words, regardless of readiness.
fn deadline_status_words(view: &TeamView, d: &DeadlineView) -> (DeadlineState, String) {
    let what = format!("{} {} {}", d.regime, d.stage, d.incident);
    let label = |clock: &Option<String>, tick: Option<u64>| {
        clock.clone().or_else(|| tick.map(|t| when(view, t))).unwrap_or_else(|| "?".to_string())
    };
    let overdue_by =
        |due: u64| duration_words(view.tick.saturating_sub(due).saturating_mul(u64::from(view.tick_seconds)));
    match (d.status.as_str(), d.due) {
        ("on_time", _) => (DeadlineState::OnTime, format!("{what} filed {} (on time)", label(&d.filed_clock, d.filed))),
        ("late", _) => (DeadlineState::Late, format!("{what} filed {} (late)", label(&d.filed_clock, d.filed))),
        (_, None) => (DeadlineState::Open, format!("{what}: no deadline yet")),
        ("overdue", Some(due)) => (
            DeadlineState::Overdue,
            format!("{what} was due {} (overdue by {})", label(&d.due_clock, d.due), overdue_by(due)),
        ),
        (_, Some(due)) if due < view.tick => (
            DeadlineState::Overdue,
            format!("{what} was due {} (overdue by {})", label(&d.due_clock, d.due), overdue_by(due)),
        ),
        (_, Some(due)) => (
            DeadlineState::Open,
            format!("{what} due {} ({})", label(&d.due_clock, d.due), relative(view.tick, due, view.tick_seconds)),
        ),
    }
}

/// Deadlines in the order that matters: overdue, then open by due tick, then filed.
pub fn deadlines_in_order(view: &TeamView) -> Vec<(DeadlineState, String)> {
    let mut rows: Vec<(u8, u64, DeadlineState, String)> = view
        .deadlines
        .iter()
        .map(|d| {
            let (state, words) = deadline_words(view, d);
            let rank = match state {
                DeadlineState::Overdue => 0,
                DeadlineState::Open | DeadlineState::Waiting => 1,
                DeadlineState::Late | DeadlineState::OnTime => 2,
            };
            (rank, d.due.unwrap_or(u64::MAX), state, words)
        })
        .collect();
    rows.sort_by_key(|r| (r.0, r.1));
    rows.into_iter().map(|(_, _, state, words)| (state, words)).collect()
}

/// Who gave an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// This client.
    You,
    /// Another client of the team (another analyst, `host` for its takeover).
    Client(String),
    /// The team's bot.
    Bot,
}

impl Who {
    pub fn words(&self) -> &str {
        match self {
            Who::You => "you",
            Who::Client(c) => c,
            Who::Bot => "bot",
        }
    }
}

/// What became of an action, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowFate {
    /// Sent by this client; no answer yet.
    Sent,
    /// Journaled; applies at the tick of `clock`.
    Acknowledged {
        clock: String,
    },
    Refused {
        code: String,
        message: String,
    },
    Failed {
        code: String,
        message: String,
    },
    /// Started; lands at `lands`.
    Running {
        lands: Option<u64>,
        lands_clock: Option<String>,
    },
    /// Done (`landed`: the clock at which a timed action landed).
    Applied {
        landed: Option<String>,
    },
}

impl RowFate {
    pub fn is_failure(&self) -> bool {
        matches!(self, RowFate::Refused { .. } | RowFate::Failed { .. })
    }

    /// The symbol that carries the fate without colour.
    pub fn symbol(&self) -> &'static str {
        match self {
            RowFate::Sent | RowFate::Acknowledged { .. } => "…",
            RowFate::Refused { .. } | RowFate::Failed { .. } => "✗",
            RowFate::Running { .. } => "⧗",
            RowFate::Applied { .. } => "✓",
        }
    }

    /// The fate in words: `failed: not_aware — …`, `running, lands 09:42 (in 12 min)`.
    pub fn words(&self, view: Option<&TeamView>) -> String {
        match self {
            RowFate::Sent => "sent, no answer yet".to_string(),
            RowFate::Acknowledged { clock } => format!("accepted, applies at {clock}"),
            RowFate::Refused { code, message } => format!("refused: {code} — {message}"),
            RowFate::Failed { code, message } => format!("failed: {code} — {message}"),
            RowFate::Running { lands: Some(lands), lands_clock } => {
                let clock = lands_clock.clone().unwrap_or_else(|| format!("t{lands}"));
                match view {
                    Some(v) => format!("running, lands {clock} ({})", relative(v.tick, *lands, v.tick_seconds)),
                    None => format!("running, lands {clock}"),
                }
            }
            RowFate::Running { lands: None, .. } => "running".to_string(),
            RowFate::Applied { landed: Some(clock) } => format!("done, landed {clock}"),
            RowFate::Applied { landed: None } => "applied".to_string(),
        }
    }
}

/// One line of "My actions".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRow {
    /// When it was given (refused, sent) or applied.
    pub clock: String,
    pub who: Who,
    /// The action in words (`report nis2 early-warning ransom-x`).
    pub what: String,
    pub fate: RowFate,
    /// (client, seq): what identifies it across frames.
    pub key: (Option<String>, Option<u64>),
}

/// The team's action log, newest first: the server's log, then (newer) this
/// client's commands it does not carry yet — unanswered, or answered (`fresh`:
/// seq → the clock when the answer came) but not yet in a view's log.
pub fn action_rows(
    view: Option<&TeamView>,
    tracker: &Tracker,
    fresh: &BTreeMap<u64, String>,
    me: Option<&str>,
) -> Vec<ActionRow> {
    let mut rows = Vec::new();
    let log = view.map(|v| v.actions.as_slice()).unwrap_or_default();
    for a in log {
        let who = match &a.client {
            None => Who::Bot,
            Some(c) if Some(c.as_str()) == me => Who::You,
            Some(c) => Who::Client(c.clone()),
        };
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        let fate = match a.fate {
            ActionFate::Acknowledged => RowFate::Acknowledged { clock: a.clock.clone() },
            ActionFate::Refused => RowFate::Refused { code: text(&a.code), message: text(&a.message) },
            ActionFate::Failed => RowFate::Failed { code: text(&a.code), message: text(&a.message) },
            ActionFate::Running => RowFate::Running { lands: a.lands, lands_clock: a.lands_clock.clone() },
            ActionFate::Applied => RowFate::Applied { landed: a.lands_clock.clone() },
        };
        rows.push(ActionRow {
            clock: a.clock.clone(),
            who,
            what: describe_command(&a.command),
            fate,
            key: (a.client.clone(), a.seq),
        });
    }
    let in_log = |seq: u64| log.iter().any(|a| a.seq == Some(seq) && a.client.as_deref() == me && me.is_some());
    let now = view.map(|v| v.clock.clone()).unwrap_or_else(|| "--:--".to_string());
    for (seq, c) in tracker.iter() {
        if in_log(seq) || (c.status.is_final() && !fresh.contains_key(&seq)) {
            continue;
        }
        let at = |tick: u64| view.map(|v| when(v, tick)).unwrap_or_else(|| format!("t{tick}"));
        let fate = match &c.status {
            CommandStatus::Sent => RowFate::Sent,
            CommandStatus::Acked { tick } => RowFate::Acknowledged { clock: at(*tick) },
            CommandStatus::Rejected { code, message } => {
                RowFate::Refused { code: code.clone(), message: message.clone() }
            }
            CommandStatus::Applied { .. } => RowFate::Applied { landed: None },
            CommandStatus::Failed { code, message, .. } => {
                RowFate::Failed { code: code.clone(), message: message.clone() }
            }
        };
        rows.push(ActionRow {
            clock: fresh.get(&seq).unwrap_or(&now).clone(),
            who: Who::You,
            what: describe_with_text(&c.action),
            fate,
            key: (me.map(str::to_string), Some(seq)),
        });
    }
    rows.reverse();
    rows
}

/// A conversation: the messages exchanged with one counterpart (a team id, or
/// [`ALL_TEAMS`]), by log index, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    pub key: String,
    pub messages: Vec<u64>,
    /// Messages from others not read yet.
    pub unread: usize,
}

/// Sent by a team (a share, chat, statement, report, request for assistance or
/// PIU notice): a conversation's. Exercise control's injects, alerts and the
/// results of the team's own actions go to the inbox.
pub fn is_conversation(m: &MessageView) -> bool {
    m.sender_team.is_some()
}

/// The threads a team message belongs to: every team's for a message to all,
/// each recipient's for one we sent, else its sender's.
pub fn counterparts(m: &MessageView, me: &str) -> Vec<String> {
    let sender = m.sender_team.as_deref().unwrap_or_default();
    if m.to_all {
        return vec![ALL_TEAMS.to_string()];
    }
    if sender == me {
        let others: Vec<String> = m.to.iter().filter(|t| *t != me).cloned().collect();
        if !others.is_empty() {
            return others;
        }
    }
    vec![sender.to_string()]
}

/// The recipients in words: `all teams`, or the ids with `you` for this team.
pub fn recipients(m: &MessageView, me: &str) -> String {
    if m.to_all {
        return ALL_TEAMS.to_string();
    }
    let names: Vec<&str> = m.to.iter().map(|t| if t == me { "you" } else { t.as_str() }).collect();
    names.join(", ")
}

fn unread(m: &MessageView, me: &str, mark: Option<u64>) -> bool {
    m.sender_team.as_deref() != Some(me) && mark.is_none_or(|read| m.index > read)
}

/// The conversations, the most recently active first.
pub fn threads(messages: &BTreeMap<u64, MessageView>, me: &str, read: &BTreeMap<String, u64>) -> Vec<Thread> {
    let mut by_key: BTreeMap<String, Thread> = BTreeMap::new();
    for m in messages.values().filter(|m| is_conversation(m)) {
        for key in counterparts(m, me) {
            let thread = by_key.entry(key.clone()).or_insert_with(|| Thread {
                key: key.clone(),
                messages: Vec::new(),
                unread: 0,
            });
            thread.messages.push(m.index);
            if unread(m, me, read.get(&key).copied()) {
                thread.unread += 1;
            }
        }
    }
    let mut threads: Vec<Thread> = by_key.into_values().collect();
    threads.sort_by_key(|t| std::cmp::Reverse(t.messages.last().copied().unwrap_or(0)));
    threads
}

/// Exercise control's messages (injects, alerts, results), newest first.
pub fn inbox(messages: &BTreeMap<u64, MessageView>) -> Vec<&MessageView> {
    messages.values().rev().filter(|m| !is_conversation(m)).collect()
}

/// Inbox messages not read yet.
pub fn unread_inbox(messages: &BTreeMap<u64, MessageView>, me: &str, read: &BTreeMap<String, u64>) -> usize {
    let mark = read.get(INBOX).copied();
    messages.values().filter(|m| !is_conversation(m) && unread(m, me, mark)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ME, sample_view};
    use cascade_engine::exercise::Action;

    #[test]
    fn durations_read_as_minutes_hours_and_days() {
        assert_eq!(duration_words(0), "0 min");
        assert_eq!(duration_words(30), "1 min");
        assert_eq!(duration_words(23 * 60), "23 min");
        assert_eq!(duration_words(60 * 60), "1 h");
        assert_eq!(duration_words(65 * 60), "1 h 05 min");
        assert_eq!(duration_words(1423 * 60), "23 h 43 min");
        assert_eq!(duration_words(2 * 86_400 + 3 * 3600 + 60), "2 d 3 h");
        assert_eq!(relative(47, 70, 60), "in 23 min");
        assert_eq!(relative(47, 47, 60), "now");
        assert_eq!(relative(47, 42, 60), "5 min ago");
        assert_eq!(relative(10, 12, 30), "in 1 min");
    }

    #[test]
    fn clock_labels_are_counted_from_the_views_on_the_same_day() {
        let mut v = sample_view();
        assert_eq!(clock_at(&v, 70).as_deref(), Some("09:10"));
        assert_eq!(clock_at(&v, 0).as_deref(), Some("08:00"));
        assert_eq!(clock_at(&v, 47 + 16 * 60), None, "midnight: another day");
        assert_eq!(when(&v, 47 + 16 * 60), "in 16 h");
        v.clock = "2026-03-11 08:47".into();
        assert_eq!(clock_at(&v, 48).as_deref(), Some("2026-03-11 08:48"));
        v.tick_seconds = 30;
        assert_eq!(clock_at(&v, 49).as_deref(), Some("2026-03-11 08:48"));
    }

    #[test]
    fn deadlines_say_when_and_how_long() {
        let v = sample_view();
        let rows = deadlines_in_order(&v);
        assert_eq!(
            rows,
            vec![
                (DeadlineState::Overdue, "nis2 early-warning ransom-x was due 08:42 (overdue by 5 min)".to_string()),
                (DeadlineState::Open, "nis2 notification ransom-x due 09:10 (in 23 min)".to_string()),
                (DeadlineState::Open, "nis2 final-report ransom-x due 2026-03-11 08:30 (in 23 h 43 min)".to_string()),
            ]
        );
        let mut filed = v.deadlines[0].clone();
        filed.status = "on_time".into();
        (filed.filed, filed.filed_clock) = (Some(41), Some("08:41".into()));
        assert_eq!(deadline_words(&v, &filed).1, "nis2 early-warning ransom-x filed 08:41 (on time)");
        filed.status = "late".into();
        assert_eq!(
            deadline_words(&v, &filed),
            (DeadlineState::Late, "nis2 early-warning ransom-x filed 08:41 (late)".into())
        );
        filed.due = None;
        filed.status = "open".into();
        assert_eq!(deadline_words(&v, &filed).1, "nis2 early-warning ransom-x: no deadline yet");
    }

    #[test]
    fn deadlines_that_cannot_be_filed_yet_say_why_and_from_when() {
        let mut v = sample_view();
        v.deadlines[1].waits_for = Some("early-warning".into());
        v.deadlines[2].not_before = Some(47 + 14 * 1440);
        v.deadlines[2].not_before_clock = Some("2026-03-24 08:47".into());
        v.deadlines[2].or_contained = true;
        assert_eq!(
            deadlines_in_order(&v),
            vec![
                (DeadlineState::Overdue, "nis2 early-warning ransom-x was due 08:42 (overdue by 5 min)".to_string()),
                (
                    DeadlineState::Waiting,
                    "nis2 notification ransom-x due 09:10 (in 23 min) · waits for: early-warning".to_string()
                ),
                (
                    DeadlineState::Waiting,
                    "nis2 final-report ransom-x due 2026-03-11 08:30 (in 23 h 43 min) · not before 2026-03-24 08:47 (or once contained)"
                        .to_string()
                ),
            ]
        );
        // Overdue and held back: still overdue, and says why.
        v.deadlines[0].waits_for = Some("something-before".into());
        assert_eq!(
            deadline_words(&v, &v.deadlines[0]),
            (
                DeadlineState::Overdue,
                "nis2 early-warning ransom-x was due 08:42 (overdue by 5 min) · waits for: something-before".into()
            )
        );
        // Without the clock label (a server that sent none), the tick in words; no containment clause.
        let mut d = v.deadlines[1].clone();
        (d.waits_for, d.not_before, d.not_before_clock) = (None, Some(60), None);
        assert_eq!(hold_words(&v, &d).as_deref(), Some("not before 09:00"));
        // Filed: nothing holds it.
        d.filed = Some(40);
        assert_eq!(hold_words(&v, &d), None);
    }

    #[test]
    fn the_action_log_newest_first_with_who_and_fate() {
        let v = sample_view();
        let rows = action_rows(Some(&v), &Tracker::default(), &BTreeMap::new(), Some(ME));
        let summary: Vec<(&str, &str, String)> =
            rows.iter().map(|r| (r.who.words(), r.what.as_str(), r.fate.words(Some(&v)))).collect();
        assert_eq!(
            summary,
            vec![
                ("you", "share govcert TLP:AMBER ransom-x", "accepted, applies at 08:48".to_string()),
                (
                    "you",
                    "isolate post-core",
                    "refused: not_your_asset — \"post-core\" belongs to post; a team acts on its own organisation's assets"
                        .to_string()
                ),
                (
                    "analyst-2",
                    "report nis2 early-warning ransom-x",
                    "failed: not_aware — chem has not detected ransom-x: nothing to report yet".to_string()
                ),
                ("bot", "investigate chem-it", "running, lands 09:10 (in 23 min)".to_string()),
                ("you", "isolate chem-scada", "done, landed 08:35".to_string()),
            ]
        );
        assert_eq!(rows.iter().filter(|r| r.fate.is_failure()).count(), 2);
        assert_eq!(rows[3].fate.symbol(), "⧗");
        assert_eq!(rows[1].fate.symbol(), "✗");
    }

    #[test]
    fn commands_not_yet_in_the_log_show_until_the_log_has_them() {
        let v = sample_view();
        let mut tracker = Tracker::default();
        // Seq 6 is in the log already: shown once, from the log.
        tracker.sent(
            6,
            Action::Share {
                to: vec!["govcert".into()],
                tlp: cascade_engine::scenario::Tlp::Amber,
                incident: Some("ransom-x".into()),
                text: String::new(),
            },
        );
        tracker.sent(7, Action::Harden { asset: "chem-it".into() });
        tracker.sent(8, Action::Classify { incident: "nope".into() });
        tracker.on_frame(&cascade_engine::wire::ServerMessage::Reject {
            seq: 8,
            code: "unknown_incident".into(),
            message: "no such incident".into(),
        });
        let rows = action_rows(Some(&v), &tracker, &BTreeMap::new(), Some(ME));
        assert_eq!(rows.len(), 6);
        assert_eq!(
            (rows[0].what.as_str(), rows[0].fate.words(None)),
            ("harden chem-it", "sent, no answer yet".to_string())
        );
        // Refused since the last view: shown until the next view's log has it.
        let fresh = BTreeMap::from([(8, "08:46".to_string())]);
        let rows = action_rows(Some(&v), &tracker, &fresh, Some(ME));
        assert_eq!(rows.len(), 7);
        assert_eq!(rows[0].fate.words(None), "refused: unknown_incident — no such incident");
        assert_eq!(rows[0].clock, "08:46", "when the answer came");
    }

    #[test]
    fn conversations_are_grouped_by_counterpart_apart_from_the_inbox() {
        let v = sample_view();
        let messages: BTreeMap<u64, MessageView> = v.messages.iter().map(|m| (m.index, m.clone())).collect();
        let threads = threads(&messages, "chem-ops", &BTreeMap::new());
        let keys: Vec<(&str, &[u64], usize)> =
            threads.iter().map(|t| (t.key.as_str(), t.messages.as_slice(), t.unread)).collect();
        assert_eq!(keys, vec![(ALL_TEAMS, &[4][..], 1), ("govcert", &[0, 2, 3][..], 2)]);
        let inbox: Vec<u64> = inbox(&messages).iter().map(|m| m.index).collect();
        assert_eq!(inbox, vec![6, 5, 1]);
        assert_eq!(recipients(&messages[&6], "chem-ops"), "all teams");
        assert_eq!(recipients(&messages[&3], "chem-ops"), "you, post-ops");
        // Read marks.
        let read = BTreeMap::from([("govcert".to_string(), 0), (INBOX.to_string(), 5)]);
        assert_eq!(super::threads(&messages, "chem-ops", &read)[1].unread, 1);
        assert_eq!(unread_inbox(&messages, "chem-ops", &read), 1);
    }
}
