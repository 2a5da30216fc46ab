//! Each team's log of its own actions: every command its clients gave (and its
//! bot's orders while the bot played) with what became of it, so that a player
//! sees every outcome, whatever the client saw or missed.
//!
//! The log is derived from the journaled commands and the state, so replay and
//! resume rebuild it exactly; it never influences a later tick, so it is not in
//! the state hash. It is bounded: a team keeps its last [`MAX_ACTIONS_KEPT`].

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::command::{Order, Refusal};

/// Actions a team's log keeps (the oldest are forgotten first).
pub const MAX_ACTIONS_KEPT: usize = 50;

/// Who gave a command: a client of the team (by its id and sequence number) or
/// the team's bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub client: String,
    pub seq: u64,
}

impl Origin {
    pub fn new(client: impl Into<String>, seq: u64) -> Self {
        Self { client: client.into(), seq }
    }

    /// A command given without a client's name (tests and tools that build
    /// commands themselves): logged as a person's, with an empty client id.
    pub fn unnamed() -> Self {
        Self { client: String::new(), seq: 0 }
    }
}

/// What became of an action once its tick applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Done (an instant action, or a timed one that has landed).
    Applied,
    /// Started; its effect lands at `lands`.
    Running,
    /// Refused by the state at that tick.
    Failed(Refusal),
}

/// One applied (or failed) command of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    /// Numbers run from 0 per team and are never reused.
    pub number: u64,
    /// The tick that applied it.
    pub tick: u64,
    /// `None`: the team's bot.
    pub origin: Option<Origin>,
    pub order: RecordedOrder,
    pub fate: Fate,
    /// The tick a timed action lands (or landed).
    pub lands: Option<u64>,
}

/// The order as given: resolved when it could be, the wire form otherwise (a
/// command the engine refused to resolve keeps its journaled words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedOrder {
    Resolved(Order),
    Unresolved(super::Action),
}

/// A team's bounded action log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionLog {
    records: VecDeque<ActionRecord>,
    next: u64,
}

impl ActionLog {
    /// Adds a record and returns its number.
    pub fn push(
        &mut self,
        tick: u64,
        origin: Option<Origin>,
        order: RecordedOrder,
        fate: Fate,
        lands: Option<u64>,
    ) -> u64 {
        let number = self.next;
        self.next += 1;
        if self.records.len() == MAX_ACTIONS_KEPT {
            self.records.pop_front();
        }
        self.records.push_back(ActionRecord { number, tick, origin, order, fate, lands });
        number
    }

    /// Marks record `number` as landed (if it is still kept).
    pub fn landed(&mut self, number: u64) {
        let Some(first) = self.records.front().map(|r| r.number) else { return };
        if let Some(record) = number.checked_sub(first).and_then(|i| self.records.get_mut(i as usize)) {
            debug_assert_eq!(record.number, number);
            record.fate = Fate::Applied;
        }
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &ActionRecord> {
        self.records.iter()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn approximate_bytes(&self) -> usize {
        self.records.len() * 160
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(log: &mut ActionLog, tick: u64) -> u64 {
        log.push(tick, None, RecordedOrder::Resolved(Order::Investigate(0)), Fate::Running, Some(tick + 5))
    }

    #[test]
    fn keeps_the_last_records_and_numbers_never_repeat() {
        let mut log = ActionLog::default();
        for tick in 0..(MAX_ACTIONS_KEPT as u64 + 7) {
            assert_eq!(push(&mut log, tick), tick);
        }
        assert_eq!(log.len(), MAX_ACTIONS_KEPT);
        assert_eq!(log.iter().next().unwrap().number, 7);
        assert_eq!(log.iter().last().unwrap().number, MAX_ACTIONS_KEPT as u64 + 6);
    }

    #[test]
    fn landing_marks_the_right_record_and_ignores_forgotten_ones() {
        let mut log = ActionLog::default();
        for tick in 0..(MAX_ACTIONS_KEPT as u64 + 3) {
            push(&mut log, tick);
        }
        log.landed(10);
        log.landed(1); // forgotten: nothing happens
        for r in log.iter() {
            assert_eq!(r.fate == Fate::Applied, r.number == 10, "record {}", r.number);
        }
    }
}
