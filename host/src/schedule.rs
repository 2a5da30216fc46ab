//! When the exercise clock's ticks are due, and how late they come.
//!
//! Deadlines are absolute: tick n after a start is due at start + n periods.
//! A tick that comes late is followed by the next one at once, so a short
//! stall is caught up and exercise time keeps to wall time. A clock more than
//! [`MAX_CATCH_UP`] behind (a disk that stalled for long, a suspended laptop,
//! a host that cannot compute ticks at the speed asked) gives up catching up:
//! its schedule restarts from now. Pure: the caller passes the time.

use std::time::Duration;

use tokio::time::Instant;

/// How far behind its schedule the clock may fall and still catch up.
pub const MAX_CATCH_UP: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    due: Instant,
    period: Duration,
}

/// What became of the schedule when a tick ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ran {
    /// How late the tick started against its deadline.
    pub late: Duration,
    /// The schedule restarted from now (it was over `MAX_CATCH_UP` behind).
    pub restarted: bool,
}

impl Schedule {
    /// A clock that starts (or changes speed) at `now`: the first tick is due
    /// one period later.
    pub fn start(now: Instant, period: Duration) -> Schedule {
        Schedule { due: now + period, period }
    }

    /// When the next tick is due.
    pub fn due(&self) -> Instant {
        self.due
    }

    /// The tick due at `self.due()` started at `started` and finished at
    /// `finished`: moves on to the next deadline.
    pub fn ran(&mut self, started: Instant, finished: Instant) -> Ran {
        let late = started.saturating_duration_since(self.due);
        self.due += self.period;
        let behind = finished.saturating_duration_since(self.due);
        let restarted = behind > MAX_CATCH_UP;
        if restarted {
            self.due = finished + self.period;
        }
        Ran { late, restarted }
    }
}

/// What the directors were last told of the clock's lateness: they are told
/// again only when it changed by a period or more, or crossed one period
/// either way, not at every jitter of a few milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lateness {
    told: Duration,
}

impl Lateness {
    /// The lateness to tell now, if it is news: `late` if at least one
    /// `period`, else zero.
    pub fn news(&mut self, late: Duration, period: Duration) -> Option<Duration> {
        let shown = if late >= period { late } else { Duration::ZERO };
        let changed = shown.abs_diff(self.told) >= period || (shown.is_zero() != self.told.is_zero());
        if !changed {
            return None;
        }
        self.told = shown;
        Some(shown)
    }

    /// The lateness last told.
    pub fn told(&self) -> Duration {
        self.told
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Duration = Duration::from_millis(100);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn on_time_ticks_keep_the_grid() {
        let t0 = Instant::now();
        let mut s = Schedule::start(t0, P);
        for n in 1..=5u32 {
            assert_eq!(s.due(), t0 + P * n);
            let ran = s.ran(s.due(), s.due() + ms(3));
            assert_eq!(ran, Ran { late: Duration::ZERO, restarted: false });
        }
    }

    #[test]
    fn a_late_tick_is_followed_at_once_and_the_clock_catches_up() {
        let t0 = Instant::now();
        let mut s = Schedule::start(t0, P);
        // Tick 1 runs 250 ms late and takes 10 ms: ticks 2 and 3 are overdue.
        let ran = s.ran(t0 + ms(350), t0 + ms(360));
        assert_eq!(ran.late, ms(250));
        assert_eq!(s.due(), t0 + ms(200), "the next deadline is kept, in the past: run at once");
        assert_eq!(s.ran(t0 + ms(360), t0 + ms(365)).late, ms(160));
        assert_eq!(s.ran(t0 + ms(365), t0 + ms(370)).late, ms(65));
        // Caught up: tick 4 is on time again, on the original grid.
        assert_eq!(s.due(), t0 + ms(400));
        assert_eq!(s.ran(t0 + ms(400), t0 + ms(401)).late, Duration::ZERO);
    }

    #[test]
    fn over_the_catch_up_limit_the_schedule_restarts_from_now() {
        let t0 = Instant::now();
        let mut s = Schedule::start(t0, P);
        let stalled = t0 + MAX_CATCH_UP + ms(500);
        let ran = s.ran(stalled, stalled + ms(5));
        assert!(ran.restarted);
        assert_eq!(s.due(), stalled + ms(5) + P);
    }

    #[test]
    fn directors_hear_of_lateness_only_when_it_matters() {
        let mut l = Lateness::default();
        assert_eq!(l.news(ms(30), P), None, "jitter under a period is no news");
        assert_eq!(l.news(ms(250), P), Some(ms(250)));
        assert_eq!(l.news(ms(300), P), None, "changed by less than a period");
        assert_eq!(l.news(ms(400), P), Some(ms(400)));
        assert_eq!(l.told(), ms(400));
        assert_eq!(l.news(ms(20), P), Some(Duration::ZERO), "back on time is news");
        assert_eq!(l.news(ms(10), P), None);
    }
}
