//! Inject reconciliation: the MSEL against the response. For each fired inject
//! that says what exercise control expects (`expected_action`), what each
//! addressed team actually did in response, or that it did nothing — the table
//! evaluators otherwise build by hand.
//!
//! An expected action is free text, so the engine cannot tell which command
//! answers it. The rule is simple and documented instead (docs/journal.md,
//! *The report*): a team's response to an inject is every command the team
//! (its people or its bot) gave from the tick the inject fired up to the next
//! expected-action inject addressed to that team, or the end of the run. The
//! evaluator reads the commands against the expectation.

use serde::Serialize;

use super::{CommandRecord, Moment, minutes, moment};
use cascade_engine::view::{FiredBy, MselStatus};
use cascade_engine::{Model, Simulation};

/// One fired inject with an expected action, and each addressed team's response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InjectReconciliation {
    pub inject: String,
    pub fired: Moment,
    /// What fired it: `time`, `condition`, `director` (fired by hand),
    /// `replaced` (a live inject the director sent in its place, perhaps
    /// edited: its words and recipients are those sent) or `released` (its
    /// time or condition, once the director released a hold or skip).
    pub how: String,
    /// When the director held (or skipped) it, if it was released since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_since: Option<Moment>,
    pub from: String,
    pub message: String,
    pub expected_action: String,
    pub responses: Vec<TeamResponse>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamResponse {
    pub team: String,
    /// The team's commands in the response window, in order (the takeover not
    /// counted).
    pub commands: Vec<ResponseCommand>,
    /// Minutes from the inject to the first of them.
    pub first_after_minutes: Option<u64>,
    /// The window's end (exclusive): the next expected-action inject to the
    /// team, or `None` for the end of the run.
    pub until: Option<Moment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseCommand {
    pub at: Moment,
    /// The client id, or `bot`.
    pub by: String,
    pub human: bool,
    /// The command in a few words (`report nis2 early-warning ransom-x`).
    pub command: String,
    pub fate: String,
}

/// The reconciliation of every fired inject with an expected action, in
/// firing order.
pub fn reconcile(m: &Model, sim: &Simulation, commands: &[CommandRecord]) -> Vec<InjectReconciliation> {
    let s = &m.scenario;
    let ex = sim.exercise();
    let fired = &ex.inject_fired;
    // What each inject said as sent: an edited one sent in its place included.
    let msel = cascade_engine::view::msel(sim);
    let addressed = |i: usize| match ex.inject_replacements.get(&(i as u32)) {
        Some(r) => &r.to,
        None => &m.exercise.injects[i].to,
    };
    // (tick, inject index) of every fired inject that expects something.
    let mut expecting: Vec<(u64, usize)> = (0..s.injects.len())
        .filter_map(|i| {
            let tick = fired[i]?;
            (!msel[i].expected_action.trim().is_empty()).then_some((tick, i))
        })
        .collect();
    expecting.sort();
    expecting
        .iter()
        .map(|&(tick, i)| {
            let inject = &msel[i];
            let responses = addressed(i)
                .iter()
                .map(|&t| {
                    let team = &s.teams[t as usize].id;
                    // The next expected-action inject to this team closes the window.
                    let until = expecting
                        .iter()
                        .find(|&&(other_tick, j)| other_tick > tick && addressed(j).contains(&t))
                        .map(|&(other_tick, _)| other_tick);
                    let commands: Vec<ResponseCommand> = commands
                        .iter()
                        .filter(|c| {
                            &c.team == team
                                && c.action != "takeover"
                                && c.tick >= tick
                                && until.is_none_or(|end| c.tick < end)
                        })
                        .map(|c| ResponseCommand {
                            at: moment(m, c.tick),
                            by: c.client.clone(),
                            human: c.human,
                            command: crate::player::command_text(&c.command),
                            fate: c.fate.clone(),
                        })
                        .collect();
                    TeamResponse {
                        team: team.clone(),
                        first_after_minutes: commands.first().map(|c| minutes(m, c.at.tick - tick)),
                        commands,
                        until: until.map(|t| moment(m, t)),
                    }
                })
                .collect();
            InjectReconciliation {
                inject: inject.id.clone(),
                fired: moment(m, tick),
                how: match (inject.how, inject.held_since) {
                    (Some(FiredBy::Time | FiredBy::Condition), Some(_)) => "released",
                    (how, _) => how.map_or("time", fired_by_name),
                }
                .to_string(),
                held_since: inject.held_since.map(|t| moment(m, t)),
                from: if inject.from.is_empty() { "exercise control".to_string() } else { inject.from.clone() },
                message: inject.message.clone(),
                expected_action: inject.expected_action.clone(),
                responses,
            }
        })
        .collect()
}

fn fired_by_name(how: FiredBy) -> &'static str {
    match how {
        FiredBy::Time => "time",
        FiredBy::Condition => "condition",
        FiredBy::Director => "director",
        FiredBy::Replaced => "replaced",
    }
}

/// An inject of the MSEL that did not fire, and why: the director skipped or
/// held it, or its time or condition never came.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotFired {
    pub inject: String,
    /// `skipped`, `held` (never released) or `not_due`.
    pub status: String,
    /// When it was skipped or held.
    pub since: Option<Moment>,
}

/// The injects that never fired, in scenario order.
pub fn not_fired(m: &Model, sim: &Simulation) -> Vec<NotFired> {
    cascade_engine::view::msel(sim)
        .into_iter()
        .filter(|e| e.status != MselStatus::Fired)
        .map(|e| NotFired {
            inject: e.id,
            status: match e.status {
                MselStatus::Held => "held",
                MselStatus::Skipped => "skipped",
                _ => "not_due",
            }
            .to_string(),
            since: e.since.map(|t| moment(m, t)),
        })
        .collect()
}

/// "09:10 (by hand)": when an inject fired, and how when not by its time.
pub fn fired_words(i: &InjectReconciliation) -> String {
    match i.how.as_str() {
        "director" => format!("{} (by hand)", i.fired.clock),
        "replaced" => format!("{} (edited, sent in its place)", i.fired.clock),
        "condition" => format!("{} (condition)", i.fired.clock),
        "released" => {
            let held = i.held_since.as_ref().map(|h| h.clock.as_str()).unwrap_or("");
            format!("{} (held from {held}, then released)", i.fired.clock)
        }
        _ => i.fired.clock.clone(),
    }
}

/// The injects the director skipped or held for good, in words (empty: none).
pub fn not_fired_words(list: &[NotFired]) -> String {
    let words: Vec<String> = list
        .iter()
        .filter(|n| n.status != "not_due")
        .map(|n| {
            let at = n.since.as_ref().map(|s| s.clock.as_str()).unwrap_or("");
            match n.status.as_str() {
                "held" => format!("{} (held at {at}, never released)", n.inject),
                _ => format!("{} (skipped at {at})", n.inject),
            }
        })
        .collect();
    words.join(", ")
}
