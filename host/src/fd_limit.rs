//! The open-file limit: every connection is a file descriptor, and a host
//! that runs out of them can accept no one (not even the director). At start
//! the host raises its soft limit to the hard one and sizes its connection
//! caps to what fits (`fit`), and says so.

use crate::admission::Caps;

/// Descriptors kept for everything that is not a connection: the journal,
/// stdio, the runtime's event loop, a log file, with room to spare.
pub const RESERVED: u64 = 64;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the soft limit
/// in force afterwards (`None` where there is no such limit to read).
#[cfg(unix)]
pub fn raise() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
        // SAFETY: setrlimit reads the struct we own; failure leaves the limit as it was.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is u64 here, not on every unix
    Some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn raise() -> Option<u64> {
    None
}

/// The caps asked for, lowered if they need more descriptors than `limit`
/// leaves after [`RESERVED`]. A waiting connection counts twice: one that
/// was displaced or timed out has freed its place for a newcomer but may hold
/// its descriptor a moment longer while it closes. The waiting connections
/// keep at most a quarter, the joined ones get the rest. A per-address cap is
/// never above the total. The second value says whether they were lowered.
pub fn fit(asked: Caps, limit: Option<u64>) -> (Caps, bool) {
    let asked = Caps {
        max_waiting_per_address: asked.max_waiting_per_address.min(asked.max_waiting),
        max_per_team: asked.max_per_team.min(asked.max_connections),
        ..asked
    };
    let Some(limit) = limit else { return (asked, false) };
    let usable = usize::try_from(limit.saturating_sub(RESERVED)).unwrap_or(usize::MAX).max(3);
    if asked.max_connections.saturating_add(asked.max_waiting.saturating_mul(2)) <= usable {
        return (asked, false);
    }
    let max_waiting = asked.max_waiting.min(usable / 8).max(1);
    let max_connections = asked.max_connections.min(usable - 2 * max_waiting).max(1);
    let caps = Caps {
        max_connections,
        max_per_team: asked.max_per_team.min(max_connections),
        max_waiting,
        max_waiting_per_address: asked.max_waiting_per_address.min(max_waiting),
    };
    (caps, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASKED: Caps =
        Caps { max_connections: 4096, max_per_team: 64, max_waiting: 1024, max_waiting_per_address: 64 };

    #[test]
    fn caps_that_fit_are_kept() {
        assert_eq!(fit(ASKED, Some(1 << 20)), (ASKED, false));
        assert_eq!(fit(ASKED, None), (ASKED, false));
    }

    #[test]
    fn under_a_small_limit_the_waiting_get_an_eighth_counted_twice_and_the_joined_the_rest() {
        let (caps, lowered) = fit(ASKED, Some(1024));
        assert!(lowered);
        assert_eq!(caps.max_waiting, 120);
        assert_eq!(caps.max_connections, 720);
        assert_eq!(caps.max_waiting_per_address, 64);
        assert!(caps.max_connections + 2 * caps.max_waiting + RESERVED as usize <= 1024);
    }

    #[test]
    fn huge_asks_neither_overflow_nor_escape_the_limit() {
        let huge = Caps {
            max_connections: usize::MAX,
            max_per_team: usize::MAX,
            max_waiting: usize::MAX,
            max_waiting_per_address: usize::MAX,
        };
        let (caps, lowered) = fit(huge, Some(20_000));
        assert!(lowered);
        assert!(caps.max_connections + 2 * caps.max_waiting <= 20_000 - RESERVED as usize);
        assert_eq!(caps.max_waiting_per_address, caps.max_waiting);
        assert_eq!(caps.max_per_team, caps.max_connections);
        // Without a limit to fit, a per-address cap is still never above the total.
        let (caps, _) = fit(Caps { max_waiting: 10, ..huge }, None);
        assert_eq!(caps.max_waiting_per_address, 10);
    }

    #[test]
    fn a_tiny_limit_still_lets_one_in() {
        let (caps, lowered) = fit(ASKED, Some(10));
        assert!(lowered);
        assert!(caps.max_connections >= 1 && caps.max_waiting >= 1 && caps.max_waiting_per_address >= 1);
    }

    #[cfg(unix)]
    #[test]
    fn raising_never_lowers_the_limit() {
        let mut before = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: as in `raise`.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut before) }, 0);
        let after = raise().expect("a limit");
        #[allow(clippy::unnecessary_cast)]
        let before = before.rlim_cur as u64;
        assert!(after >= before);
    }
}
