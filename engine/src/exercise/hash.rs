//! The exercise sections of the state hash (docs/model.md lists them byte by
//! byte). Appended after the randomness section; each starts with its tag.
//! Ticks that have not happened are written as `u64::MAX`.
//!
//! Hash format 1 writes them all here; format 2 hashes the per-asset section
//! `0x03` in chunks (`crate::hash::v2`, section `0x13`) and takes the others
//! from here unchanged.

use super::command::MselOp;
use super::command::Order;
use super::state::{Exercise, InjectControl, NEVER, Status};

pub const SECTION_INCIDENTS: u8 = 0x02;
pub const SECTION_ASSET_RESPONSE: u8 = 0x03;
pub const SECTION_TEAMS: u8 = 0x04;
pub const SECTION_PENDING: u8 = 0x05;
pub const SECTION_BOT_ORDERS: u8 = 0x06;
pub const SECTION_REPORTING: u8 = 0x07;
pub const SECTION_INJECTS: u8 = 0x08;
pub const SECTION_OBJECTIVES: u8 = 0x09;
pub const SECTION_PIU: u8 = 0x0A;
pub const SECTION_MESSAGES: u8 = 0x0B;
/// Only present when the director held, skipped, fired by hand or replaced an
/// MSEL inject, so that exercises without such orders hash as before.
pub const SECTION_INJECT_CONTROL: u8 = 0x0C;

fn tick(out: &mut Vec<u8>, t: Option<u64>) {
    out.extend_from_slice(&t.unwrap_or(NEVER).to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn count(out: &mut Vec<u8>, n: usize) {
    u32le(out, n as u32);
}

/// Appends the exercise sections to `out` (hash format 1).
pub fn encode(ex: &Exercise, out: &mut Vec<u8>) {
    encode_sections(ex, out, true);
}

/// Appends the exercise sections but the per-asset `0x03`, whose size is the
/// country's (hash format 2 hashes it in chunks).
pub fn encode_small(ex: &Exercise, out: &mut Vec<u8>) {
    encode_sections(ex, out, false);
}

fn encode_sections(ex: &Exercise, out: &mut Vec<u8>, per_asset: bool) {
    out.push(SECTION_INCIDENTS);
    for s in &ex.incidents {
        for t in [s.started_at, s.first_detected, s.contained_at, s.recovered_at] {
            tick(out, t);
        }
        count(out, s.infections.len());
        for (&asset, inf) in &s.infections {
            u32le(out, asset);
            tick(out, Some(inf.since));
            tick(out, inf.detected);
        }
    }

    if per_asset {
        out.push(SECTION_ASSET_RESPONSE);
        for a in 0..ex.isolated.len() {
            out.push(u8::from(ex.isolated[a]) | (u8::from(ex.hardened[a]) << 1));
            tick(out, Some(ex.investigated_at[a]));
        }
    }

    out.push(SECTION_TEAMS);
    for t in &ex.teams {
        u32le(out, t.staff);
        u32le(out, t.busy);
        out.push(u8::from(t.human));
        u32le(out, t.statements);
        count(out, t.indicators.len());
        for (&incident, held) in &t.indicators {
            u32le(out, incident);
            tick(out, Some(held.since));
            out.push(held.tlp as u8);
        }
        count(out, t.shared.len());
        for &incident in &t.shared {
            u32le(out, incident);
        }
    }

    out.push(SECTION_PENDING);
    count(out, ex.pending.len());
    for p in &ex.pending {
        u32le(out, p.team);
        encode_order(&p.order, out);
        tick(out, Some(p.started));
        tick(out, Some(p.finish));
        u32le(out, p.staff);
    }

    out.push(SECTION_BOT_ORDERS);
    count(out, ex.bot_orders.len());
    for (team, order) in &ex.bot_orders {
        u32le(out, *team);
        encode_order(order, out);
    }

    out.push(SECTION_REPORTING);
    count(out, ex.assistance.len());
    for &(a, b) in &ex.assistance {
        u32le(out, a);
        u32le(out, b);
    }
    for map in [&ex.awareness, &ex.classification] {
        count(out, map.len());
        for (&(org, incident), &at) in map {
            u32le(out, org);
            u32le(out, incident);
            tick(out, Some(at));
        }
    }
    count(out, ex.obligations.len());
    for o in &ex.obligations {
        for v in [o.regime, o.organisation, o.incident, o.stage] {
            u32le(out, v);
        }
        tick(out, o.filed);
        tick(out, o.missed_at);
    }

    out.push(SECTION_INJECTS);
    for &fired in &ex.inject_fired {
        tick(out, fired);
    }
    let controlled: Vec<(usize, InjectControl)> =
        ex.inject_control.iter().copied().enumerate().filter(|(_, c)| *c != InjectControl::Scheduled).collect();
    if !controlled.is_empty() {
        out.push(SECTION_INJECT_CONTROL);
        count(out, controlled.len());
        for (i, control) in controlled {
            u32le(out, i as u32);
            let (code, at) = match control {
                InjectControl::Scheduled => (0u8, None),
                InjectControl::Held(t) => (1, Some(t)),
                InjectControl::Skipped(t) => (2, Some(t)),
                InjectControl::FiredByHand => (3, None),
                InjectControl::Replaced => (4, None),
                InjectControl::Released(t) => (5, Some(t)),
            };
            out.push(code);
            tick(out, at);
        }
    }

    out.push(SECTION_OBJECTIVES);
    for status in &ex.objectives {
        let (code, at) = match *status {
            Status::Pending => (0u8, None),
            Status::Met(t) => (1, Some(t)),
            Status::Missed(t) => (2, Some(t)),
        };
        out.push(code);
        tick(out, at);
    }

    out.push(SECTION_PIU);
    tick(out, ex.piu.active_since);
    out.push(ex.piu.level);
    tick(out, ex.first_critical_outage);

    out.push(SECTION_MESSAGES);
    out.extend_from_slice(&(ex.messages.len() as u64).to_le_bytes());
}

/// An order as bytes: a kind byte, then its operands. Free text is hashed as its
/// blake3 digest so that the encoding has a fixed shape.
pub fn encode_order(order: &Order, out: &mut Vec<u8>) {
    let text = |out: &mut Vec<u8>, t: &str| out.extend_from_slice(blake3::hash(t.as_bytes()).as_bytes());
    let list = |out: &mut Vec<u8>, to: &[u32]| {
        count(out, to.len());
        for &t in to {
            u32le(out, t);
        }
    };
    match order {
        Order::Investigate(a) => {
            out.push(1);
            u32le(out, *a)
        }
        Order::Isolate(a) => {
            out.push(2);
            u32le(out, *a)
        }
        Order::Restore(a) => {
            out.push(3);
            u32le(out, *a)
        }
        Order::Harden(a) => {
            out.push(4);
            u32le(out, *a)
        }
        Order::Repair(a) => {
            out.push(16);
            u32le(out, *a)
        }
        Order::Share { to, tlp, incident, text: t } => {
            out.push(5);
            list(out, to);
            out.push(*tlp as u8);
            u32le(out, incident.unwrap_or(u32::MAX));
            text(out, t);
        }
        Order::Report { regime, stage, incident } => {
            out.push(6);
            for v in [*regime, *stage, *incident] {
                u32le(out, v);
            }
        }
        Order::Classify(i) => {
            out.push(7);
            u32le(out, *i)
        }
        Order::RequestAssistance(t) => {
            out.push(8);
            u32le(out, *t)
        }
        Order::ActivatePiu(l) => {
            out.push(9);
            out.push(*l)
        }
        Order::SetPiuLevel(l) => {
            out.push(10);
            out.push(*l)
        }
        Order::PublicStatement(t) => {
            out.push(11);
            text(out, t)
        }
        Order::Message { to, text: t, tlp } => {
            out.push(12);
            list(out, to);
            out.push(*tlp as u8);
            text(out, t);
        }
        Order::Takeover => out.push(13),
        Order::Inject { live, to, .. } => {
            out.push(14);
            list(out, to);
            text(out, &serde_json::to_string(live).unwrap_or_default());
        }
        Order::Msel { inject, op } => {
            out.push(15);
            out.extend_from_slice(&inject.to_le_bytes());
            out.push(match op {
                MselOp::Fire => 0,
                MselOp::Hold => 1,
                MselOp::Release => 2,
                MselOp::Skip => 3,
            });
        }
    }
}
