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
/// leaves after [`RESERVED`]: the waiting connections keep at most a quarter,
/// the joined ones get the rest. The second value says whether they were lowered.
pub fn fit(asked: Caps, limit: Option<u64>) -> (Caps, bool) {
    let Some(limit) = limit else { return (asked, false) };
    let usable = limit.saturating_sub(RESERVED).max(2) as usize;
    if asked.max_connections + asked.max_waiting <= usable {
        return (asked, false);
    }
    let max_waiting = asked.max_waiting.min(usable / 4).max(1);
    let max_connections = asked.max_connections.min(usable - max_waiting).max(1);
    let max_waiting_per_address = asked.max_waiting_per_address.min(max_waiting);
    (Caps { max_connections, max_waiting, max_waiting_per_address }, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASKED: Caps = Caps { max_connections: 4096, max_waiting: 1024, max_waiting_per_address: 64 };

    #[test]
    fn caps_that_fit_are_kept() {
        assert_eq!(fit(ASKED, Some(1 << 20)), (ASKED, false));
        assert_eq!(fit(ASKED, None), (ASKED, false));
    }

    #[test]
    fn under_a_small_limit_the_waiting_get_a_quarter_and_the_joined_the_rest() {
        let (caps, lowered) = fit(ASKED, Some(1024));
        assert!(lowered);
        assert_eq!(caps.max_waiting, 240);
        assert_eq!(caps.max_connections, 720);
        assert_eq!(caps.max_waiting_per_address, 64);
        assert!(caps.max_connections + caps.max_waiting + RESERVED as usize <= 1024);
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
