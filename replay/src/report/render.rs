//! The report as Markdown (HSEEP AAR headings) and as one self-contained HTML page
//! (inline CSS, inline SVG charts, no script, nothing fetched). Scenario text is
//! user input: every string is escaped for the format it goes into.

use std::fmt::Write;

use super::{Moment, Report};

const PALETTE: [&str; 10] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

fn clock(m: &Option<Moment>) -> String {
    m.as_ref().map(|m| m.clock.clone()).unwrap_or_else(|| "—".to_string())
}

fn mins(m: Option<u64>) -> String {
    m.map(|m| m.to_string()).unwrap_or_else(|| "—".to_string())
}

/// A Markdown table cell: one line, pipes and markup escaped.
pub(super) fn cell(text: &str) -> String {
    md(text)
}

/// Text for Markdown prose: one line, characters Markdown or HTML would interpret escaped.
fn md(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// How much of each part report.md shows. The HTML page and report.docx
/// follow the same shape; report.json always has everything. Set so that a
/// small exercise (the bundled Luxembourg one: 58 organisations, 41 teams,
/// 166 timeline entries, 128 inject responses) is shown whole, and a national
/// one (10,000 organisations, 1,000 teams) stays a document a person reads:
/// beyond a limit a table says "and N more, see report.json".
pub mod limits {
    /// Rows of the per-organisation and per-team tables and of the notifications.
    pub const TABLE_ROWS: usize = 60;
    /// Rows of the timeline (the first, in tick order).
    pub const TIMELINE_ROWS: usize = 170;
    /// Rows of the commands (the first, in tick order).
    pub const COMMAND_ROWS: usize = 100;
    /// Rows of the inject responses in all, and teams shown per inject.
    pub const INJECT_ROWS: usize = 130;
    pub const INJECT_TEAMS: usize = 45;
    /// Ids listed in one cell or line (compromised assets, teams played by
    /// bots, teams that took no action).
    pub const LIST_IDS: usize = 50;
    /// Characters of free text in one cell: a share to 1,000 teams names them
    /// all; a story inject of a few sentences is left whole.
    pub const CELL_CHARS: usize = 500;
    /// Rows of each worst-outages table (assets, organisations).
    pub const OUTAGE_ROWS: usize = 30;
}

/// The first `limit` items, and how many are left out.
pub fn shown<T>(items: &[T], limit: usize) -> (&[T], usize) {
    let n = items.len().min(limit);
    (&items[..n], items.len() - n)
}

/// The line under a cut table: `and 940 more teams, see report.json`.
pub fn more(rest: usize, what: &str) -> String {
    format!("and {rest} more {what}, see report.json")
}

/// The line under the worst-outage assets: report.json lists only the worst
/// `OUTAGE_ASSETS`, so it says where the rest are counted.
pub fn more_outages(rest: usize, r: &Report) -> String {
    if r.outages.len() as u64 >= r.outage_assets {
        more(rest, "assets")
    } else {
        format!(
            "and {rest} more assets; report.json lists the worst {} (`outages`) and counts every one per organisation (`organisation_outages`)",
            r.outages.len()
        )
    }
}

/// Ids joined by ", ", at most `limits::LIST_IDS` of them, then how many more.
pub fn id_list(ids: &[String]) -> String {
    let (first, rest) = shown(ids, limits::LIST_IDS);
    let mut text = first.join(", ");
    if rest > 0 {
        text.push_str(&format!(", and {rest} more (see report.json)"));
    }
    text
}

/// Text cut to `limits::CELL_CHARS` characters, with "…" when cut.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(limits::CELL_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The teams of the Team Activity table: all of them up to the limit, else
/// the most active (most actions, then declaration order), in declaration order.
pub fn teams_shown(teams: &[super::TeamActivity]) -> (Vec<&super::TeamActivity>, usize) {
    if teams.len() <= limits::TABLE_ROWS {
        return (teams.iter().collect(), 0);
    }
    let mut order: Vec<usize> = (0..teams.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(teams[i].total_actions), i));
    order.truncate(limits::TABLE_ROWS);
    order.sort_unstable();
    (order.into_iter().map(|i| &teams[i]).collect(), teams.len() - limits::TABLE_ROWS)
}

/// The inject responses shown: at most `limits::INJECT_TEAMS` teams per
/// inject and `limits::INJECT_ROWS` in all, with the number left out.
pub fn inject_rows(
    injects: &[super::reconcile::InjectReconciliation],
) -> (Vec<(&super::reconcile::InjectReconciliation, &super::reconcile::TeamResponse)>, usize) {
    let mut rows = Vec::new();
    let mut rest = 0;
    for i in injects {
        let (first, more) = shown(&i.responses, limits::INJECT_TEAMS);
        rest += more;
        for t in first {
            if rows.len() < limits::INJECT_ROWS {
                rows.push((i, t));
            } else {
                rest += 1;
            }
        }
    }
    (rows, rest)
}

/// Per sector: its name, lowest service (per cent), when, and at the end.
pub fn sector_rows(r: &Report) -> Vec<[String; 4]> {
    r.service
        .sectors
        .iter()
        .map(|sector| {
            let pct = |v: u64| {
                if sector.population == 0 {
                    "—".to_string()
                } else {
                    format!("{:.1}%", v as f64 * 100.0 / sector.population as f64)
                }
            };
            let end = sector.served.last().copied().unwrap_or(sector.population);
            [sector.name.clone(), pct(sector.lowest), sector.lowest_at.clock.clone(), pct(end)]
        })
        .collect()
}

pub fn markdown(r: &Report) -> String {
    let o = &r.overview;
    let mut s = String::new();
    let _ = writeln!(s, "# After-Action Report: {}\n", md(&o.scenario));
    super::render_hseep::top_md(&mut s, r);
    let _ = writeln!(s, "## Exercise Overview\n");
    if !o.description.is_empty() {
        let _ = writeln!(s, "{}\n", md(&o.description));
    }
    let _ = writeln!(s, "| | |\n|---|---|");
    let rows = [
        ("Scenario", cell(&o.scenario)),
        ("Seed", o.seed.clone()),
        ("Start", cell(&o.start)),
        ("End", cell(&o.end)),
        ("Duration", format!("{} ticks of {} s ({} run)", o.duration_ticks, o.tick_seconds, o.ticks_run)),
        ("Teams", o.teams.to_string()),
        ("Recorded", cell(&o.recorded_at)),
        ("Engine", cell(&o.engine)),
        ("Final state hash", format!("`{}`", o.final_hash)),
        ("Re-simulation", if o.verified { "every checkpoint matched" } else { "NOT verified" }.to_string()),
        (
            "Lowest national service",
            format!(
                "{} at {} (tick {})",
                cascade_engine::view::service_label(r.lowest_service.served, r.service.population, r.service.people),
                r.lowest_service.at.clock,
                r.lowest_service.at.tick
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(s, "| {k} | {v} |");
    }

    outages_md(&mut s, r);

    let _ = writeln!(s, "\n## Analysis of Objectives\n");
    if r.objectives.is_empty() {
        let _ = writeln!(s, "The scenario has no objectives.");
    }
    for ob in &r.objectives {
        let when = ob.decided.as_ref().map(|d| format!(" at {} (tick {})", d.clock, d.tick)).unwrap_or_default();
        let _ = writeln!(s, "### {}: {}{when}\n", md(&ob.id), ob.status.to_uppercase());
        if !ob.description.is_empty() {
            let _ = writeln!(s, "{}\n", md(&ob.description));
        }
        for e in &ob.evidence {
            let _ = writeln!(s, "- {}", md(e));
        }
        let _ = writeln!(s);
    }

    let _ = writeln!(s, "## Timeline\n");
    let _ = writeln!(s, "| Time | Tick | Kind | From | Event |\n|---|---|---|---|---|");
    let (timeline, rest) = shown(&r.timeline, limits::TIMELINE_ROWS);
    for e in timeline {
        let _ = writeln!(s, "| {} | {} | {} | {} | {} |", e.clock, e.tick, e.kind, cell(&e.from), cell(&clip(&e.text)));
    }
    if rest > 0 {
        let _ = writeln!(s, "\n{}.", more(rest, "entries"));
    }

    let _ = writeln!(s, "\n## Incidents\n");
    let _ = writeln!(
        s,
        "| Incident | Kind | Started | Detected | Contained | Recovered | TTD (min) | TTC (min) | TTR (min) | Assets compromised |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for i in &r.incidents {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&i.id),
            i.kind,
            clock(&i.started),
            clock(&i.detected),
            clock(&i.contained),
            clock(&i.recovered),
            mins(i.ttd_minutes),
            mins(i.ttc_minutes),
            mins(i.ttr_minutes),
            cell(&id_list(&i.compromised))
        );
    }
    let _ = writeln!(s, "\nTimes to detect, contain and recover are counted from the incident's start.");

    let _ = writeln!(s, "\n## Notifications\n");
    if r.notifications.is_empty() {
        let _ = writeln!(s, "No report was owed.");
    } else {
        let _ = writeln!(
            s,
            "| Organisation | Regime | Stage | Incident | Authority | Due | Filed | Filed by | Status |\n|---|---|---|---|---|---|---|---|---|"
        );
        let (notifications, rest) = shown(&r.notifications, limits::TABLE_ROWS);
        for n in notifications {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&n.organisation),
                cell(&n.regime),
                cell(&n.stage),
                cell(&n.incident),
                cell(&n.authority),
                clock(&n.due),
                clock(&n.filed),
                cell(n.filed_by.as_deref().unwrap_or("—")),
                n.status.replace('_', " ")
            );
        }
        if rest > 0 {
            let _ = writeln!(s, "\n{}.", more(rest, "notifications"));
        }
    }

    let _ = writeln!(s, "\n## Injects and Responses\n");
    if r.injects.is_empty() {
        let _ = writeln!(s, "No fired inject said what was expected.");
    } else {
        let _ = writeln!(
            s,
            "Each fired inject that says what exercise control expects, and what each addressed team did from then until the next such inject to it (or the end).\n"
        );
        let _ = writeln!(
            s,
            "| Inject | Fired | Expected | Team | First response | What the team did |\n|---|---|---|---|---|---|"
        );
        let (rows, rest) = inject_rows(&r.injects);
        for (i, t) in rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&i.inject),
                cell(&super::reconcile::fired_words(i)),
                cell(&i.expected_action),
                cell(&t.team),
                t.first_after_minutes.map_or("—".to_string(), |m| format!("after {m} min")),
                cell(&clip(&response_words(t)))
            );
        }
        if rest > 0 {
            let _ = writeln!(
                s,
                "\nAt most {} teams per inject, {} rows in all, are shown: {}.",
                limits::INJECT_TEAMS,
                limits::INJECT_ROWS,
                more(rest, "team responses")
            );
        }
    }

    let withheld = super::reconcile::not_fired_words(&r.injects_not_fired);
    if !withheld.is_empty() {
        let _ = writeln!(s, "\nNot delivered, by the director's decision: {}.", cell(&withheld));
    }

    let _ = writeln!(s, "\n## Team Activity\n");
    let _ = writeln!(
        s,
        "| Team | Played by | Takeover | Actions | By people / bot | Applied / failed / refused | By kind | First action | Last action |\n|---|---|---|---|---|---|---|---|---|"
    );
    let (teams, rest) = teams_shown(&r.teams);
    for t in teams {
        let kinds: Vec<String> = t.actions.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} / {} | {} / {} / {} | {} | {} | {} |",
            cell(&t.id),
            played_by(t),
            clock(&t.takeover),
            t.total_actions,
            t.by_people,
            t.by_bot,
            t.applied,
            t.failed,
            t.refused,
            cell(&kinds.join(", ")),
            clock(&t.first_action),
            clock(&t.last_action)
        );
    }
    if rest > 0 {
        let _ = writeln!(s, "\nThe {} most active teams: {}.", limits::TABLE_ROWS, more(rest, "teams"));
    }
    let _ = writeln!(
        s,
        "\nActions before a team's takeover are its bot's. A failed action was refused by the state at its tick; a refused one by the checks on receipt."
    );

    let _ = writeln!(s, "\n## Commands\n");
    if r.commands.is_empty() {
        let _ = writeln!(s, "No team gave a command.");
    } else {
        let _ = writeln!(s, "| Time | Tick | Team | By | Action | Fate |\n|---|---|---|---|---|---|");
        let (commands, rest) = shown(&r.commands, limits::COMMAND_ROWS);
        for c in commands {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                c.clock,
                c.tick,
                cell(&c.team),
                cell(&c.client),
                cell(&clip(&crate::player::command_text(&c.command))),
                cell(&clip(&fate(c)))
            );
        }
        if rest > 0 {
            let _ = writeln!(s, "\nThe first {}: {}.", limits::COMMAND_ROWS, more(rest, "commands"));
        }
    }

    let _ = writeln!(s, "\n## Strengths\n");
    list_md(&mut s, &r.strengths, "None identified.");
    let _ = writeln!(s, "\n## Areas for Improvement\n");
    list_md(&mut s, &r.improvements, "None identified.");
    super::render_hseep::observations_md(&mut s, r);
    super::render_hseep::bottom_md(&mut s, r);
    s
}

/// Service per sector, and the worst outages: the assets longest below the
/// critical outage level, and the organisations hardest hit.
fn outages_md(s: &mut String, r: &Report) {
    let _ = writeln!(s, "\n## Worst Outages\n");
    if !r.service.sectors.is_empty() {
        let _ = writeln!(s, "| Sector | Lowest service | At | At the end |\n|---|---|---|---|");
        for [name, low, at, end] in sector_rows(r) {
            let _ = writeln!(s, "| {} | {low} | {at} | {end} |", cell(&name));
        }
        let _ = writeln!(s);
    }
    if r.outages.is_empty() {
        let _ = writeln!(s, "No asset fell below the critical outage level.");
        return;
    }
    let _ = writeln!(
        s,
        "{} assets of {} organisations fell below the critical outage level. The longest outages:\n",
        r.outage_assets,
        r.organisation_outages.len()
    );
    let _ = writeln!(
        s,
        "| Asset | Organisation | Sector | Criticality | Lowest | First below | Minutes below | Down at the end |\n|---|---|---|---|---|---|---|---|"
    );
    let (assets, _) = shown(&r.outages, limits::OUTAGE_ROWS);
    let rest = r.outage_assets as usize - assets.len();
    for a in assets {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {}‰ at {} | {} | {} | {} |",
            cell(&a.id),
            cell(&a.organisation),
            cell(&a.sector),
            a.criticality,
            a.lowest,
            a.lowest_at.clock,
            a.first_below.clock,
            a.minutes_below,
            if a.down_at_end { "yes" } else { "no" }
        );
    }
    if rest > 0 {
        let _ = writeln!(s, "\n{}.", more_outages(rest, r));
    }
    let _ = writeln!(s, "\nThe organisations hardest hit (minutes below the level, summed over their assets):\n");
    let _ = writeln!(
        s,
        "| Organisation | Assets | Down | Down at the end | Minutes below | Lowest |\n|---|---|---|---|---|---|"
    );
    let (organisations, rest) = shown(&r.organisation_outages, limits::OUTAGE_ROWS);
    for o in organisations {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {}‰ |",
            cell(&o.id),
            o.assets,
            o.assets_down,
            o.down_at_end,
            o.minutes_below,
            o.lowest
        );
    }
    if rest > 0 {
        let _ = writeln!(s, "\n{}.", more(rest, "organisations"));
    }
}

fn list_md(s: &mut String, items: &[String], none: &str) {
    if items.is_empty() {
        let _ = writeln!(s, "{none}");
    }
    for i in items {
        let _ = writeln!(s, "- {}", md(i));
    }
}

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f0f0f0}.met{color:#1a7f37;font-weight:bold}.missed{color:#c62828;font-weight:bold}.pending{color:#777}\
.late,.overdue{color:#c62828}.on_time{color:#1a7f37}svg{background:#fff;border:1px solid #ddd}code{font-size:.85em}\
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:1em;height:.6em;margin-right:.3em}tr.failed td{color:#c62828}\
nav.toc ol{columns:2}@media print{body{max-width:none;margin:0;font-size:10pt}nav.toc{page-break-after:always}\
h2{page-break-after:avoid}tr,svg{page-break-inside:avoid}a{color:inherit;text-decoration:none}}";

pub fn html(r: &Report) -> String {
    let o = &r.overview;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>After-Action Report: {}</title><style>{CSS}</style></head><body>\n",
        esc(&o.scenario)
    );
    let _ = writeln!(s, "<h1>After-Action Report: {}</h1>", esc(&o.scenario));
    super::render_hseep::top_html(&mut s, r);
    let _ = writeln!(s, "<h2>Exercise Overview</h2>");
    if !o.description.is_empty() {
        let _ = writeln!(s, "<p>{}</p>", esc(&o.description));
    }
    let _ = writeln!(s, "<table>");
    let rows = [
        ("Seed", esc(&o.seed)),
        ("Start", esc(&o.start)),
        ("End", esc(&o.end)),
        ("Duration", format!("{} ticks of {} s ({} run)", o.duration_ticks, o.tick_seconds, o.ticks_run)),
        ("Teams", o.teams.to_string()),
        ("Recorded", esc(&o.recorded_at)),
        ("Engine", esc(&o.engine)),
        ("Final state hash", format!("<code>{}</code>", esc(&o.final_hash))),
        ("Re-simulation", if o.verified { "every checkpoint matched" } else { "NOT verified" }.to_string()),
        (
            "Lowest national service",
            format!(
                "{} at {} (tick {})",
                cascade_engine::view::service_label(r.lowest_service.served, r.service.population, r.service.people),
                esc(&r.lowest_service.at.clock),
                r.lowest_service.at.tick
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(s, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    let _ = writeln!(s, "</table>");
    let _ = writeln!(s, "<h3>Service over time</h3>");
    s.push_str(&service_chart(r));
    outages_html(&mut s, r);

    let _ = writeln!(s, "<h2>Analysis of Objectives</h2>");
    if r.objectives.is_empty() {
        let _ = writeln!(s, "<p>The scenario has no objectives.</p>");
    }
    for ob in &r.objectives {
        let when = ob.decided.as_ref().map(|d| format!(" at {} (tick {})", esc(&d.clock), d.tick)).unwrap_or_default();
        let _ = writeln!(
            s,
            "<h3>{}: <span class=\"{}\">{}</span>{when}</h3>",
            esc(&ob.id),
            esc(&ob.status),
            esc(&ob.status.to_uppercase())
        );
        if !ob.description.is_empty() {
            let _ = writeln!(s, "<p>{}</p>", esc(&ob.description));
        }
        list_html(&mut s, &ob.evidence, "");
    }

    let _ = writeln!(
        s,
        "<h2>Timeline</h2>\n<table><tr><th>Time</th><th>Tick</th><th>Kind</th><th>From</th><th>Event</th></tr>"
    );
    let (timeline, rest) = shown(&r.timeline, limits::TIMELINE_ROWS);
    for e in timeline {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&e.clock),
            e.tick,
            esc(&e.kind),
            esc(&e.from),
            esc(&clip(&e.text))
        );
    }
    let _ = writeln!(s, "</table>");
    more_html(&mut s, rest, "entries");

    let _ = writeln!(s, "<h2>Incidents</h2>");
    s.push_str(&gantt(r));
    let _ = writeln!(
        s,
        "<table><tr><th>Incident</th><th>Kind</th><th>Started</th><th>Detected</th><th>Contained</th><th>Recovered</th><th>TTD (min)</th><th>TTC (min)</th><th>TTR (min)</th><th>Assets compromised</th></tr>"
    );
    for i in &r.incidents {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&i.id),
            esc(&i.kind),
            esc(&clock(&i.started)),
            esc(&clock(&i.detected)),
            esc(&clock(&i.contained)),
            esc(&clock(&i.recovered)),
            mins(i.ttd_minutes),
            mins(i.ttc_minutes),
            mins(i.ttr_minutes),
            esc(&id_list(&i.compromised))
        );
    }
    let _ = writeln!(s, "</table><p>Times to detect, contain and recover are counted from the incident's start.</p>");

    let _ = writeln!(s, "<h2>Notifications</h2>");
    if r.notifications.is_empty() {
        let _ = writeln!(s, "<p>No report was owed.</p>");
    } else {
        let _ = writeln!(
            s,
            "<table><tr><th>Organisation</th><th>Regime</th><th>Stage</th><th>Incident</th><th>Authority</th><th>Due</th><th>Filed</th><th>Filed by</th><th>Status</th></tr>"
        );
        let (notifications, rest) = shown(&r.notifications, limits::TABLE_ROWS);
        for n in notifications {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                esc(&n.organisation),
                esc(&n.regime),
                esc(&n.stage),
                esc(&n.incident),
                esc(&n.authority),
                esc(&clock(&n.due)),
                esc(&clock(&n.filed)),
                esc(n.filed_by.as_deref().unwrap_or("—")),
                esc(&n.status),
                esc(&n.status.replace('_', " "))
            );
        }
        let _ = writeln!(s, "</table>");
        more_html(&mut s, rest, "notifications");
    }

    let _ = writeln!(s, "<h2>Injects and Responses</h2>");
    if r.injects.is_empty() {
        let _ = writeln!(s, "<p>No fired inject said what was expected.</p>");
    } else {
        let _ = writeln!(
            s,
            "<p>Each fired inject that says what exercise control expects, and what each addressed team did from then until the next such inject to it (or the end).</p>\n<table><tr><th>Inject</th><th>Fired</th><th>Expected</th><th>Team</th><th>First response</th><th>What the team did</th></tr>"
        );
        let (rows, rest) = inject_rows(&r.injects);
        for (i, t) in rows {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&i.inject),
                esc(&super::reconcile::fired_words(i)),
                esc(&i.expected_action),
                esc(&t.team),
                t.first_after_minutes.map_or("—".to_string(), |m| format!("after {m} min")),
                esc(&clip(&response_words(t)))
            );
        }
        let _ = writeln!(s, "</table>");
        more_html(&mut s, rest, "team responses");
    }

    let withheld = super::reconcile::not_fired_words(&r.injects_not_fired);
    if !withheld.is_empty() {
        let _ = writeln!(s, "<p>Not delivered, by the director's decision: {}.</p>", esc(&withheld));
    }

    let _ = writeln!(
        s,
        "<h2>Team Activity</h2>\n<table><tr><th>Team</th><th>Played by</th><th>Takeover</th><th>Actions</th><th>By people / bot</th><th>Applied / failed / refused</th><th>By kind</th><th>First action</th><th>Last action</th></tr>"
    );
    let (teams, rest) = teams_shown(&r.teams);
    for t in teams {
        let kinds: Vec<String> = t.actions.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td><td>{} / {} / {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&t.id),
            played_by(t),
            esc(&clock(&t.takeover)),
            t.total_actions,
            t.by_people,
            t.by_bot,
            t.applied,
            t.failed,
            t.refused,
            esc(&kinds.join(", ")),
            esc(&clock(&t.first_action)),
            esc(&clock(&t.last_action))
        );
    }
    let _ = writeln!(s, "</table>");
    more_html(&mut s, rest, "teams");
    let _ = writeln!(
        s,
        "<p>Actions before a team's takeover are its bot's. A failed action was refused by the state at its tick; a refused one by the checks on receipt.</p>"
    );

    let _ = writeln!(s, "<h2>Commands</h2>");
    if r.commands.is_empty() {
        let _ = writeln!(s, "<p>No team gave a command.</p>");
    } else {
        let _ = writeln!(
            s,
            "<table><tr><th>Time</th><th>Tick</th><th>Team</th><th>By</th><th>Action</th><th>Fate</th></tr>"
        );
        let (commands, rest) = shown(&r.commands, limits::COMMAND_ROWS);
        for c in commands {
            let class = if matches!(c.fate.as_str(), "failed" | "refused") { " class=\"failed\"" } else { "" };
            let _ = writeln!(
                s,
                "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.clock),
                c.tick,
                esc(&c.team),
                esc(&c.client),
                esc(&clip(&crate::player::command_text(&c.command))),
                esc(&clip(&fate(c)))
            );
        }
        let _ = writeln!(s, "</table>");
        more_html(&mut s, rest, "commands");
    }

    let _ = writeln!(s, "<h2>Strengths</h2>");
    list_html(&mut s, &r.strengths, "None identified.");
    let _ = writeln!(s, "<h2>Areas for Improvement</h2>");
    list_html(&mut s, &r.improvements, "None identified.");
    super::render_hseep::observations_html(&mut s, r);
    super::render_hseep::bottom_html(&mut s, r);
    s.push_str("</body></html>\n");
    super::render_hseep::with_contents(s)
}

/// The line under a cut table, when it was cut.
fn more_html(s: &mut String, rest: usize, what: &str) {
    if rest > 0 {
        let _ = writeln!(s, "<p>{}.</p>", esc(&more(rest, what)));
    }
}

/// The worst outages, as in report.md.
fn outages_html(s: &mut String, r: &Report) {
    let _ = writeln!(s, "<h2>Worst Outages</h2>");
    if !r.service.sectors.is_empty() {
        let _ = writeln!(s, "<table><tr><th>Sector</th><th>Lowest service</th><th>At</th><th>At the end</th></tr>");
        for [name, low, at, end] in sector_rows(r) {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&name),
                esc(&low),
                esc(&at),
                esc(&end)
            );
        }
        let _ = writeln!(s, "</table>");
    }
    if r.outages.is_empty() {
        let _ = writeln!(s, "<p>No asset fell below the critical outage level.</p>");
        return;
    }
    let _ = writeln!(
        s,
        "<p>{} assets of {} organisations fell below the critical outage level. The longest outages:</p>",
        r.outage_assets,
        r.organisation_outages.len()
    );
    let _ = writeln!(
        s,
        "<table><tr><th>Asset</th><th>Organisation</th><th>Sector</th><th>Criticality</th><th>Lowest</th><th>First below</th><th>Minutes below</th><th>Down at the end</th></tr>"
    );
    let (assets, _) = shown(&r.outages, limits::OUTAGE_ROWS);
    let rest = r.outage_assets as usize - assets.len();
    for a in assets {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}‰ at {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.id),
            esc(&a.organisation),
            esc(&a.sector),
            esc(&a.criticality),
            a.lowest,
            esc(&a.lowest_at.clock),
            esc(&a.first_below.clock),
            a.minutes_below,
            if a.down_at_end { "yes" } else { "no" }
        );
    }
    let _ = writeln!(s, "</table>");
    if rest > 0 {
        let _ = writeln!(s, "<p>{}.</p>", esc(&more_outages(rest, r)));
    }
    let _ = writeln!(
        s,
        "<p>The organisations hardest hit (minutes below the level, summed over their assets):</p><table><tr><th>Organisation</th><th>Assets</th><th>Down</th><th>Down at the end</th><th>Minutes below</th><th>Lowest</th></tr>"
    );
    let (organisations, rest) = shown(&r.organisation_outages, limits::OUTAGE_ROWS);
    for o in organisations {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}‰</td></tr>",
            esc(&o.id),
            o.assets,
            o.assets_down,
            o.down_at_end,
            o.minutes_below,
            o.lowest
        );
    }
    let _ = writeln!(s, "</table>");
    more_html(s, rest, "organisations");
}

fn list_html(s: &mut String, items: &[String], none: &str) {
    if items.is_empty() {
        if !none.is_empty() {
            let _ = writeln!(s, "<p>{none}</p>");
        }
        return;
    }
    s.push_str("<ul>");
    for i in items {
        let _ = write!(s, "<li>{}</li>", esc(i));
    }
    s.push_str("</ul>\n");
}

const W: f64 = 960.0;
const LEFT: f64 = 170.0;
const RIGHT: f64 = 20.0;

/// x of `tick` in a chart spanning ticks 0..=last.
fn x_of(tick: u64, last: u64) -> f64 {
    LEFT + (W - LEFT - RIGHT) * tick as f64 / last.max(1) as f64
}

/// The axis labels of `r.service.axis` along the x axis, at `y`, with grid lines
/// from `top`.
fn time_axis(s: &mut String, r: &Report, top: f64, y: f64) {
    let last = r.overview.ticks_run;
    for m in &r.service.axis {
        let x = x_of(m.tick, last);
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            y + 14.0,
            esc(&m.clock)
        );
    }
}

/// National and per-sector service (per cent of population) over time.
pub fn service_chart(r: &Report) -> String {
    let (h, top, bottom) = (320.0, 15.0, 290.0);
    let last = r.overview.ticks_run;
    let y_of = |served: u64, pop: u64| -> f64 {
        let frac = if pop == 0 { 1.0 } else { served as f64 / pop as f64 };
        bottom - (bottom - top) * frac
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{h}\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-label=\"Service over time\">"
    );
    for p in [0u64, 25, 50, 75, 100] {
        let y = y_of(p, 100);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{p}%</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
    }
    time_axis(&mut s, r, top, bottom);
    let line = |s: &mut String, series: &[u64], pop: u64, colour: &str, width: f64, name: &str| {
        // Consecutive equal values are merged: a long flat run is two points.
        let mut points = String::new();
        for (t, &v) in series.iter().enumerate() {
            let keep = t == 0 || t + 1 == series.len() || series[t - 1] != v || series[t + 1] != v;
            if keep {
                let _ = write!(points, "{:.1},{:.1} ", x_of(t as u64, last), y_of(v, pop));
            }
        }
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"{width}\" points=\"{}\"><title>{}</title></polyline>",
            points.trim_end(),
            esc(name)
        );
    };
    for (k, sector) in r.service.sectors.iter().enumerate() {
        line(&mut s, &sector.served, sector.population, PALETTE[k % PALETTE.len()], 1.5, &sector.name);
    }
    line(&mut s, &r.service.national, r.service.population, "#000", 3.0, "National");
    s.push_str("</svg>\n<p class=\"legend\"><span><i style=\"background:#000\"></i>National</span>");
    for (k, sector) in r.service.sectors.iter().enumerate() {
        let _ =
            write!(s, "<span><i style=\"background:{}\"></i>{}</span>", PALETTE[k % PALETTE.len()], esc(&sector.name));
    }
    s.push_str("</p>\n");
    s
}

/// One bar per incident: started → detected (red), → contained (orange), →
/// recovered (blue); a phase not reached runs to the end of the run.
pub fn gantt(r: &Report) -> String {
    let last = r.overview.ticks_run;
    let row = 26.0;
    let top = 10.0;
    let bottom = top + row * r.incidents.len().max(1) as f64;
    let h = bottom + 25.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{h}\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-label=\"Incident timeline\">"
    );
    time_axis(&mut s, r, top, bottom);
    for (k, i) in r.incidents.iter().enumerate() {
        let y = top + row * k as f64 + 4.0;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            LEFT - 4.0,
            y + 13.0,
            esc(&i.id)
        );
        let Some(start) = i.started.as_ref().map(|m| m.tick) else { continue };
        let ticks = [i.detected.as_ref(), i.contained.as_ref(), i.recovered.as_ref()].map(|m| m.map(|m| m.tick));
        let phases = [
            ("#d62728", "undetected"),
            ("#ff7f0e", "detected, not contained"),
            ("#1f77b4", "contained, not recovered"),
        ];
        let mut from = start;
        for (phase, (colour, name)) in phases.iter().enumerate() {
            let to = ticks[phase].unwrap_or(last);
            if to > from || (to == from && ticks[phase].is_none()) {
                let (x0, x1) = (x_of(from, last), x_of(to, last));
                let _ = write!(
                    s,
                    "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"18\" fill=\"{colour}\"><title>{}: {name}</title></rect>",
                    (x1 - x0).max(1.0),
                    esc(&i.id)
                );
            }
            match ticks[phase] {
                Some(t) => from = t,
                None => break,
            }
        }
    }
    s.push_str("</svg>\n<p class=\"legend\"><span><i style=\"background:#d62728\"></i>undetected</span><span><i style=\"background:#ff7f0e\"></i>detected</span><span><i style=\"background:#1f77b4\"></i>contained</span></p>\n");
    s
}

/// A team's response in words: `nothing`, or its commands (at most 12, then a count).
fn response_words(t: &super::reconcile::TeamResponse) -> String {
    if t.commands.is_empty() {
        return "nothing".to_string();
    }
    let mut words: Vec<String> = t
        .commands
        .iter()
        .take(12)
        .map(|c| {
            let fate = if matches!(c.fate.as_str(), "failed" | "refused") {
                format!(" ✗ {}", c.fate)
            } else {
                String::new()
            };
            format!("{} {} ({}){fate}", c.at.clock, c.command, c.by)
        })
        .collect();
    if t.commands.len() > 12 {
        words.push(format!("and {} more", t.commands.len() - 12));
    }
    words.join("; ")
}

/// Who played a team: `bot`, `human`, or `bot, then human` after a takeover.
fn played_by(t: &super::TeamActivity) -> &'static str {
    match (t.human, t.by_bot > 0) {
        (true, true) => "bot, then human",
        (true, false) => "human",
        (false, _) => "bot",
    }
}

/// A command's fate in words: `applied`, `running (lands 09:41)`, `failed: not_aware — …`.
fn fate(c: &super::CommandRecord) -> String {
    match c.fate.as_str() {
        "failed" | "refused" => {
            format!("✗ {}: {} — {}", c.fate, c.code.as_deref().unwrap_or("?"), c.message.as_deref().unwrap_or(""))
        }
        "running" => format!("running (lands {})", c.lands.as_ref().map_or("?", |l| l.clock.as_str())),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_markup_and_quotes() {
        assert_eq!(esc("<script>\"a\" & 'b'</script>"), "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    }

    #[test]
    fn markdown_cells_stay_on_one_line() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(cell("early-warning"), "early-warning");
        assert_eq!(md("<b>*x*</b>"), "\\<b\\>\\*x\\*\\</b\\>");
    }
}
