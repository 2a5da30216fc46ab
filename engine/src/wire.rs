//! Every message on the wire (DESIGN §6; docs/protocol.md documents each), with
//! the limits checked here so that the host and the clients share one definition.
//!
//! Frames are JSON text, one object each, tagged by `"type"`. The engine owns
//! these types so that views and commands have one shape everywhere; it does no
//! I/O with them.

use serde::{Deserialize, Serialize};

use crate::view::{AssetPage, DirectorDelta, DirectorView, TeamDelta, TeamView};

/// The protocol version a client states in its hello. 2: a team's `tick`
/// frames are deltas (`view::TeamDelta`), and a client may ask to `resync`.
/// 3: the director's `director_tick` frames are deltas too
/// (`view::DirectorDelta`).
pub const PROTOCOL: u32 = 3;
/// Largest frame a client may send, in bytes (the connection is closed with
/// 1009 above it).
pub const MAX_CLIENT_FRAME_BYTES: usize = 64 * 1024;
/// Largest frame the host sends, in bytes: a tungstenite client's default
/// message limit. A frame that would be larger is never sent: the client gets
/// an `error` frame `unsendable_frame` instead and the host's log names it.
/// The director's view is summarised beyond `view::DIRECTOR_ASSETS` assets so
/// that its frames stay far below this at any scenario size.
pub const MAX_SERVER_FRAME_BYTES: usize = 16 << 20;
/// Longest client id, in characters.
pub const MAX_CLIENT_ID_CHARS: usize = 64;
/// Longest token, in characters.
pub const MAX_TOKEN_CHARS: usize = 128;

/// Client → server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// The first frame: who the client is.
    Hello { token: String, client: String, protocol: u32 },
    /// A command; `seq` is unique per (team, client). A team's command is an
    /// `exercise::Action`, the director's a `DirectorAction`.
    Command { seq: u64, command: serde_json::Value },
    /// The director asks for assets: those matching `filter` (case-insensitive,
    /// in sector, id, name, organisation or incidents; empty: all) from
    /// position `from`, a page of at most `view::DIRECTOR_ASSETS`. Answered by
    /// an `assets` frame; not journaled (it changes nothing).
    Assets {
        #[serde(default)]
        filter: String,
        #[serde(default)]
        from: u64,
    },
    /// Send me a snapshot now: a client that doubts the view it holds (a
    /// delta it could not apply, a bug) starts again from a whole one, sent
    /// with the next tick or sooner (asking again before it comes changes
    /// nothing). Not journaled.
    Resync,
}

/// The director's commands. `start`, `pause`, `resume`, `speed` and `step` steer
/// the wall clock only (journaled for the timeline, ignored by replay); `inject`,
/// `msel` and `end` are part of the exercise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum DirectorAction {
    Start,
    Pause,
    Resume,
    /// Ticks per wall-clock second (0.01 ..= 1000).
    Speed {
        ticks_per_second: f64,
    },
    /// Compute one tick now (while paused).
    Step,
    /// A live inject, delivered at the tick it is stamped for.
    Inject(LiveInject),
    /// Fire now, hold, release or skip one of the scenario's injects (the
    /// MSEL), at the tick it is stamped for.
    Msel {
        inject: String,
        op: MselOp,
    },
    /// End the exercise now.
    End,
    /// An evaluator's observation, stamped with the tick: journaled for the
    /// after-action report, ignored by the simulation (like `pause`).
    Note(Observation),
    /// Send this connection a team's view (`watched` frames) after every tick,
    /// or stop (`team` null): "what does GOVCERT see now?". Journaled for the
    /// timeline, ignored by the simulation.
    Watch {
        #[serde(default)]
        team: Option<String>,
    },
}

/// An evaluator's observation: what was seen, optionally about a team, an
/// objective or a core capability, with an optional HSEEP rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// `P`, `S`, `M` or `U`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
}

/// Longest observation text, in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;

impl Observation {
    /// The checks a host makes before journaling it: text present and not too
    /// long, a known team and objective, a rating of P, S, M or U.
    pub fn check(&self, model: &crate::Model) -> Result<(), crate::exercise::Refusal> {
        use crate::exercise::Refusal;
        let s = &model.scenario;
        if self.text.trim().is_empty() {
            return Err(Refusal::new("empty_text", "an observation needs text"));
        }
        if self.text.chars().count() > MAX_NOTE_CHARS
            || self.capability.as_ref().is_some_and(|c| c.chars().count() > 200)
        {
            return Err(Refusal::new("text_too_long", format!("text is longer than {MAX_NOTE_CHARS} characters")));
        }
        if let Some(team) = &self.team
            && !s.teams.iter().any(|t| &t.id == team)
        {
            return Err(Refusal::new("unknown_team", format!("no team {team:?}")));
        }
        if let Some(objective) = &self.objective
            && !s.objectives.iter().any(|o| &o.id == objective)
        {
            return Err(Refusal::new("unknown_objective", format!("no objective {objective:?}")));
        }
        if let Some(rating) = &self.rating
            && !["P", "S", "M", "U"].contains(&rating.as_str())
        {
            return Err(Refusal::new("bad_rating", format!("rating {rating:?} is not one of P, S, M, U")));
        }
        Ok(())
    }
}

/// An inject the director writes during the exercise: defined with the
/// commands it travels in (wire types depend on the model, never the reverse).
pub use crate::exercise::command::{LiveInject, MselOp};

/// How players join an exercise, as the host advertises it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinKit {
    /// The portal, `http(s)://HOST:PORT`.
    pub portal: String,
    /// The same port for terminal clients, `ws(s)://HOST:PORT`.
    pub websocket: String,
    /// The host listens on a loopback address: no other machine can join.
    pub loopback_only: bool,
    /// The certificate's SHA-256 fingerprint, when the host serves TLS.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// The kit's directory on the host's machine (`<journal>.join`).
    pub directory: String,
    /// One per team, in scenario order.
    pub teams: Vec<JoinLink>,
}

/// A team's join link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinLink {
    pub team: String,
    pub name: String,
    /// `http(s)://HOST:PORT/#join=<token>`.
    pub link: String,
}

/// Server → client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to a good hello.
    Welcome {
        team: String,
        /// The team's role, or `director`.
        role: String,
        tick: u64,
        protocol: u32,
        scenario: String,
        running: bool,
        ticks_per_second: f64,
    },
    /// A team's full view.
    Snapshot(Box<TeamView>),
    /// The director's full view.
    DirectorSnapshot(Box<DirectorView>),
    /// What changed for a team at a tick, against the view the connection
    /// holds (its snapshot with every tick frame since applied): see
    /// `TeamDelta` for the rules. A connection the host cannot be sure of
    /// (just joined, caught up after lagging, asked to `resync`) gets a
    /// delta with everything in it.
    Tick(Box<TeamDelta>),
    /// To a director watching a team: that team's full view, now and after
    /// every tick.
    Watched {
        team: String,
        view: Box<TeamView>,
    },
    /// What changed for the director at a tick, against the view the
    /// connection holds: see `DirectorDelta` for the rules; as for teams, a
    /// connection the host cannot be sure of gets a delta with everything.
    DirectorTick(Box<DirectorDelta>),
    /// To a director, after its welcome: how players join (the portal, the
    /// websocket address, each team's join link, which holds its token).
    JoinKit(Box<JoinKit>),
    /// The clock changed (start, pause, resume, speed, end), or, for the
    /// director, how far it runs behind its schedule did.
    Clock {
        tick: u64,
        running: bool,
        ticks_per_second: f64,
        ended: bool,
        /// How late the last tick came against the schedule the speed sets, in
        /// milliseconds: 0 unless at least one period late (the host cannot
        /// keep up, or stalled).
        #[serde(default)]
        behind_ms: u64,
    },
    /// The command is durable in the journal and stamped for `tick`.
    Ack {
        seq: u64,
        tick: u64,
    },
    /// Refused on receipt; not journaled.
    Reject {
        seq: u64,
        code: String,
        message: String,
    },
    /// What became of a journaled command when its tick applied it.
    Outcome {
        seq: u64,
        tick: u64,
        ok: bool,
        code: String,
        message: String,
    },
    Error {
        code: String,
        message: String,
    },
    /// A page of assets, the answer to a director's `assets` request.
    Assets(Box<AssetPage>),
    /// Who is connected (to the director only): on welcome, and whenever a
    /// team's connection count changes.
    Presence {
        teams: Vec<TeamPresence>,
    },
}

/// One scenario team in a `presence` frame: the open, welcomed connections
/// holding its token (0: nobody, its bot plays unless a human took over).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamPresence {
    pub team: String,
    pub connections: u32,
}
