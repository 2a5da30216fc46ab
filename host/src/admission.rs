//! Who may hold a connection: the caps that keep connections without a token
//! from ever taking the place of a team or the director.
//!
//! A connection is *waiting* from the TCP accept until its hello names a valid
//! token, and *joined* after. The two are counted apart:
//! - joined connections are capped at `max_connections` (`server_full` past
//!   it), of which the last `DIRECTOR_RESERVE` are the director's alone, and
//!   one team's at `max_per_team` (`team_full`): a leaked token or a client
//!   reconnecting in a loop can fill its team's places, never the others' or
//!   the director's;
//! - waiting ones at `max_waiting` in all and `max_waiting_per_address` from one
//!   address (an IPv6 /64 counts as one address). A newcomer over either cap
//!   does not wait behind the connections already there: it takes the place of
//!   the oldest waiting connection of its own address, or, over the total cap,
//!   of the address that has the most waiting. A flood from a few addresses so
//!   only ever displaces itself, and a team that completes its hello in
//!   milliseconds gets in.
//!
//! Waiting also has a deadline (the hello timeout, counted from the accept),
//! kept by the connection itself.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// Joined places kept for directors: teams may fill all but these.
pub const DIRECTOR_RESERVE: usize = 8;

/// The caps, after the open-file limit is taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub max_connections: usize,
    pub max_per_team: usize,
    pub max_waiting: usize,
    pub max_waiting_per_address: usize,
}

#[derive(Debug)]
pub struct Admission {
    caps: Caps,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Waiting connections by id, so oldest first.
    waiting: BTreeMap<u64, Entry>,
    per_address: HashMap<IpAddr, usize>,
    joined: usize,
    /// Joined connections per team (by team index).
    per_team: HashMap<u32, usize>,
}

#[derive(Debug)]
struct Entry {
    address: IpAddr,
    evict: Arc<Notify>,
}

/// A waiting connection's place. Dropping it frees the place.
#[derive(Debug)]
pub struct Waiting {
    admission: Arc<Admission>,
    conn: u64,
    evict: Arc<Notify>,
}

/// A joined connection's place. Dropping it frees the place.
#[derive(Debug)]
pub struct Joined {
    admission: Arc<Admission>,
    team: Option<u32>,
}

/// Why there is no joined place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// Every place (for a team: every place but the director's) is taken.
    Server,
    /// The team has `max_per_team` connections already.
    Team,
}

/// The address a cap counts by: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by
/// its /64, which one subscriber usually holds whole.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl Admission {
    pub fn new(caps: Caps) -> Arc<Admission> {
        assert!(caps.max_waiting >= 1 && caps.max_waiting_per_address >= 1, "caps of at least one");
        Arc::new(Admission { caps, state: Mutex::new(State::default()) })
    }

    /// Takes a waiting place for connection `conn` (ids increase with time)
    /// from `peer`, displacing the oldest waiting connection of the same
    /// address, or of the busiest address, if a cap is reached.
    pub fn admit(self: &Arc<Self>, conn: u64, peer: IpAddr) -> Waiting {
        let address = address_key(peer);
        let mut state = self.state.lock().expect("admission state");
        let mine = state.per_address.get(&address).copied().unwrap_or(0);
        let victim = if mine >= self.caps.max_waiting_per_address {
            state.oldest_of(address)
        } else if state.waiting.len() >= self.caps.max_waiting {
            state.busiest_address().and_then(|a| state.oldest_of(a))
        } else {
            None
        };
        if let Some(victim) = victim {
            state.remove(victim).notify_one();
        }
        let evict = Arc::new(Notify::new());
        state.waiting.insert(conn, Entry { address, evict: Arc::clone(&evict) });
        *state.per_address.entry(address).or_insert(0) += 1;
        debug_assert!(state.waiting.len() <= self.caps.max_waiting);
        Waiting { admission: Arc::clone(self), conn, evict }
    }

    /// (waiting, joined) now.
    #[cfg(test)]
    pub fn counts(&self) -> (usize, usize) {
        let state = self.state.lock().expect("admission state");
        (state.waiting.len(), state.joined)
    }
}

impl State {
    fn oldest_of(&self, address: IpAddr) -> Option<u64> {
        self.waiting.iter().find(|(_, e)| e.address == address).map(|(&conn, _)| conn)
    }

    /// The address with the most waiting connections (ties: the one whose
    /// oldest connection is oldest).
    fn busiest_address(&self) -> Option<IpAddr> {
        let most = self.per_address.values().copied().max()?;
        self.waiting.values().find(|e| self.per_address[&e.address] == most).map(|e| e.address)
    }

    /// Forgets a waiting connection; returns its eviction signal.
    fn remove(&mut self, conn: u64) -> Arc<Notify> {
        let entry = self.waiting.remove(&conn).expect("a waiting connection");
        let count = self.per_address.get_mut(&entry.address).expect("counted");
        *count -= 1;
        if *count == 0 {
            self.per_address.remove(&entry.address);
        }
        entry.evict
    }
}

impl Waiting {
    /// Returns when a newcomer has taken this connection's place.
    pub async fn evicted(&self) {
        self.evict.notified().await
    }

    /// Leaves the waiting connections for a joined place of `team` (`None`:
    /// a director), if there is one. Either way this waiting place is freed.
    pub fn join(self, team: Option<u32>) -> Result<Joined, Full> {
        let admission = Arc::clone(&self.admission);
        drop(self);
        let caps = admission.caps;
        let mut state = admission.state.lock().expect("admission state");
        let limit = match team {
            None => caps.max_connections,
            Some(_) => caps.max_connections.saturating_sub(DIRECTOR_RESERVE.min(caps.max_connections / 2)).max(1),
        };
        if state.joined >= limit {
            return Err(Full::Server);
        }
        if let Some(t) = team
            && state.per_team.get(&t).copied().unwrap_or(0) >= caps.max_per_team
        {
            return Err(Full::Team);
        }
        state.joined += 1;
        if let Some(t) = team {
            *state.per_team.entry(t).or_insert(0) += 1;
        }
        drop(state);
        Ok(Joined { admission, team })
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut state = self.admission.state.lock().expect("admission state");
        // Not there any more if it was evicted.
        if state.waiting.contains_key(&self.conn) {
            state.remove(self.conn);
        }
    }
}

impl Drop for Joined {
    fn drop(&mut self) {
        let mut state = self.admission.state.lock().expect("admission state");
        state.joined -= 1;
        if let Some(t) = self.team {
            let count = state.per_team.get_mut(&t).expect("counted");
            *count -= 1;
            if *count == 0 {
                state.per_team.remove(&t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn caps(joined: usize, waiting: usize, per_address: usize) -> Caps {
        Caps { max_connections: joined, max_per_team: 100, max_waiting: waiting, max_waiting_per_address: per_address }
    }

    async fn is_evicted(w: &Waiting) -> bool {
        tokio::time::timeout(Duration::from_millis(20), w.evicted()).await.is_ok()
    }

    #[tokio::test]
    async fn a_newcomer_over_the_address_cap_displaces_the_oldest_of_that_address() {
        let a = Admission::new(caps(10, 100, 3));
        let flood: Vec<Waiting> = (0..3).map(|i| a.admit(i, ip("10.0.0.1"))).collect();
        let other = a.admit(3, ip("10.0.0.2"));
        let newcomer = a.admit(4, ip("10.0.0.1"));
        assert!(is_evicted(&flood[0]).await);
        assert!(!is_evicted(&flood[1]).await);
        assert!(!is_evicted(&other).await);
        assert!(!is_evicted(&newcomer).await);
        assert_eq!(a.counts(), (4, 0));
        drop(flood);
        assert_eq!(a.counts(), (2, 0), "an evicted place is not freed twice");
    }

    #[tokio::test]
    async fn over_the_total_cap_the_busiest_address_gives_way() {
        let a = Admission::new(caps(10, 4, 4));
        let busy: Vec<Waiting> = (0..3).map(|i| a.admit(i, ip("10.0.0.1"))).collect();
        let quiet = a.admit(3, ip("10.0.0.2"));
        let _newcomer = a.admit(4, ip("10.0.0.3"));
        assert!(is_evicted(&busy[0]).await);
        assert!(!is_evicted(&quiet).await);
        assert_eq!(a.counts(), (4, 0));
    }

    #[test]
    fn joined_places_are_counted_apart_and_freed_on_drop() {
        let a = Admission::new(caps(2, 1, 1));
        let one = a.admit(0, ip("10.0.0.1")).join(None).unwrap();
        let two = a.admit(1, ip("10.0.0.1")).join(None).unwrap();
        // Waiting connections cannot take a joined place, nor the reverse.
        let w = a.admit(2, ip("10.0.0.1"));
        assert_eq!(a.counts(), (1, 2));
        assert_eq!(w.join(None).unwrap_err(), Full::Server);
        assert_eq!(a.counts(), (0, 2));
        drop(one);
        assert!(a.admit(3, ip("10.0.0.9")).join(None).is_ok());
        drop(two);
        assert_eq!(a.counts(), (0, 0));
    }

    #[test]
    fn one_team_cannot_take_another_teams_place_or_the_directors() {
        let a =
            Admission::new(Caps { max_connections: 20, max_per_team: 10, max_waiting: 5, max_waiting_per_address: 5 });
        let mut held = Vec::new();
        for i in 0..10 {
            held.push(a.admit(i, ip("10.0.0.1")).join(Some(0)).unwrap());
        }
        assert_eq!(a.admit(10, ip("10.0.0.1")).join(Some(0)).unwrap_err(), Full::Team);
        // Other teams fill the rest but the director's reserve...
        for i in 0..2 {
            held.push(a.admit(20 + i, ip("10.0.0.2")).join(Some(1 + i as u32)).unwrap());
        }
        assert_eq!(a.admit(30, ip("10.0.0.3")).join(Some(5)).unwrap_err(), Full::Server);
        // ... which directors still have.
        for i in 0..8 {
            held.push(a.admit(40 + i, ip("10.0.0.4")).join(None).unwrap());
        }
        assert_eq!(a.admit(50, ip("10.0.0.4")).join(None).unwrap_err(), Full::Server);
        // A team's place frees for that team.
        held.remove(0);
        assert!(a.admit(60, ip("10.0.0.1")).join(Some(0)).is_err(), "the server is full now");
        held.truncate(5);
        assert!(a.admit(61, ip("10.0.0.1")).join(Some(0)).is_ok());
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(address_key(ip("2001:db8:1:2:aaaa::1")), address_key(ip("2001:db8:1:2:bbbb::9")));
        assert_ne!(address_key(ip("2001:db8:1:2::1")), address_key(ip("2001:db8:1:3::1")));
        assert_eq!(address_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }
}
