//! The HSEEP sections of report.md and report.html (executive summary,
//! exercise details, core capabilities, Improvement Plan), and the HTML page's
//! table of contents.

use std::fmt::Write;

use super::Report;
use super::hseep::RATINGS;
use super::render::{cell, esc, id_list, limits, more, shown};

fn meaning(code: &str) -> &'static str {
    RATINGS.iter().find(|(c, _)| *c == code).map_or("", |(_, m)| m)
}

fn bullets_md(s: &mut String, items: &[String], none: &str) {
    if items.is_empty() {
        let _ = writeln!(s, "- {none}");
    }
    for item in items {
        let _ = writeln!(s, "- {}", cell(item));
    }
}

fn bullets_html(s: &mut String, items: &[String], none: &str) {
    let _ = writeln!(s, "<ul>");
    if items.is_empty() {
        let _ = writeln!(s, "<li>{none}</li>");
    }
    for item in items {
        let _ = writeln!(s, "<li>{}</li>", esc(item));
    }
    let _ = writeln!(s, "</ul>");
}

/// Executive summary, then exercise details (Markdown).
pub fn top_md(s: &mut String, r: &Report) {
    let sum = &r.summary;
    let _ = writeln!(s, "## Executive Summary\n");
    let _ = writeln!(
        s,
        "Objectives: {} met, {} missed, {} not decided by the end.\n",
        sum.objectives_met, sum.objectives_missed, sum.objectives_pending
    );
    let _ = writeln!(s, "Main strengths:\n");
    bullets_md(s, &sum.strengths, "none identified");
    let _ = writeln!(s, "\nMain areas for improvement:\n");
    bullets_md(s, &sum.improvements, "none identified");
    let _ = writeln!(s, "\n## Exercise Details\n");
    let o = &r.overview;
    let _ = writeln!(s, "- Exercise time: {} to {}; recorded {}", cell(&o.start), cell(&o.end), cell(&o.recorded_at));
    let _ = writeln!(s, "- Teams played by people: {}", list(&r.details.human_teams));
    let _ = writeln!(s, "- Teams played by their bots throughout: {}\n", list(&r.details.bot_teams));
    let _ = writeln!(s, "| Organisation | Name | Kind |\n|---|---|---|");
    let (organisations, rest) = shown(&r.details.organisations, limits::TABLE_ROWS);
    for org in organisations {
        let _ = writeln!(s, "| {} | {} | {} |", cell(&org.id), cell(&org.name), org.kind);
    }
    if rest > 0 {
        let _ = writeln!(s, "\n{}.", more(rest, "organisations"));
    }
    let _ = writeln!(s, "\n## Core Capabilities\n");
    if r.capabilities.is_empty() {
        let _ = writeln!(s, "No objective names a core capability (`capability` in the scenario's objectives).\n");
        return;
    }
    let _ = writeln!(s, "| Capability | Objectives | Rating | Derived | Evaluator's note |\n|---|---|---|---|---|");
    for c in &r.capabilities {
        let objectives: Vec<String> = c.objectives.iter().map(|(id, st)| format!("{id} ({st})")).collect();
        let rating =
            format!("{} — {}{}", c.rating, meaning(&c.rating), if c.by_evaluator { " (evaluator)" } else { "" });
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            cell(&c.capability),
            cell(&objectives.join(", ")),
            cell(&rating),
            c.derived,
            cell(&c.note)
        );
    }
    let _ = writeln!(
        s,
        "\nDerived ratings: every objective met P, at least half S, some M, none U (pending counts as not met).\n"
    );
}

/// The observations about `key` (an objective or a team), or the general ones.
fn grouped(r: &Report) -> Vec<(String, Vec<&super::ObservationRow>)> {
    let mut groups: Vec<(String, Vec<&super::ObservationRow>)> = Vec::new();
    let mut add = |title: String, row| match groups.iter_mut().find(|(t, _)| *t == title) {
        Some((_, rows)) => rows.push(row),
        None => groups.push((title, vec![row])),
    };
    for o in &r.observations {
        if let Some(objective) = &o.objective {
            add(format!("Objective {objective}"), o);
        }
        if let Some(team) = &o.team {
            add(format!("Team {team}"), o);
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    groups
}

fn observation_words(o: &super::ObservationRow) -> String {
    let mut tags = Vec::new();
    if let Some(c) = &o.capability {
        tags.push(c.clone());
    }
    if let Some(rating) = &o.rating {
        tags.push(format!("{rating} — {}", meaning(rating)));
    }
    let tags = if tags.is_empty() { String::new() } else { format!(" [{}]", tags.join("; ")) };
    format!("{} ({}, {}){tags}: {}", o.clock, o.tick, o.taken, o.text)
}

/// Evaluator observations by objective and team, and the hot wash (Markdown).
pub fn observations_md(s: &mut String, r: &Report) {
    let _ = writeln!(s, "\n## Evaluator Observations\n");
    if r.observations.is_empty() {
        let _ = writeln!(s, "No observation was noted (`o` in the director console, live or on the recording).");
    }
    for (title, rows) in grouped(r) {
        let _ = writeln!(s, "### {}\n", cell(&title));
        for o in rows {
            let _ = writeln!(s, "- {}", cell(&observation_words(o)));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "\n## Hot Wash\n");
    let general: Vec<&super::ObservationRow> =
        r.observations.iter().filter(|o| o.team.is_none() && o.objective.is_none()).collect();
    if general.is_empty() {
        let _ = writeln!(s, "No general observation.");
    }
    for o in general {
        let _ = writeln!(s, "- {}", cell(&observation_words(o)));
    }
}

/// The same in HTML.
pub fn observations_html(s: &mut String, r: &Report) {
    let _ = writeln!(s, "<h2>Evaluator Observations</h2>");
    if r.observations.is_empty() {
        let _ = writeln!(s, "<p>No observation was noted.</p>");
    }
    for (title, rows) in grouped(r) {
        let _ = writeln!(s, "<h3>{}</h3><ul>", esc(&title));
        for o in rows {
            let _ = writeln!(s, "<li>{}</li>", esc(&observation_words(o)));
        }
        let _ = writeln!(s, "</ul>");
    }
    let _ = writeln!(s, "<h2>Hot Wash</h2>");
    let general: Vec<String> =
        r.observations.iter().filter(|o| o.team.is_none() && o.objective.is_none()).map(observation_words).collect();
    bullets_html(s, &general, "No general observation.");
}

/// The Improvement Plan matrix (Markdown).
pub fn bottom_md(s: &mut String, r: &Report) {
    let _ = writeln!(s, "\n## Improvement Plan\n");
    if r.improvement_plan.is_empty() {
        let _ = writeln!(s, "No area for improvement.");
        return;
    }
    let _ = writeln!(
        s,
        "| Area for improvement | Corrective action | Capability | Primary responsible organisation | Point of contact | Start date | Completion date |\n|---|---|---|---|---|---|---|"
    );
    for row in &r.improvement_plan {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&row.area),
            cell(&row.corrective_action),
            cell(&row.capability),
            cell(&row.primary_responsible_organisation),
            cell(&row.point_of_contact),
            cell(&row.start_date),
            cell(&row.completion_date)
        );
    }
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() { "none".to_string() } else { cell(&id_list(ids)) }
}

/// Executive summary, exercise details and capabilities (HTML).
pub fn top_html(s: &mut String, r: &Report) {
    let sum = &r.summary;
    let _ = writeln!(s, "<h2>Executive Summary</h2>");
    let _ = writeln!(
        s,
        "<p>Objectives: {} met, {} missed, {} not decided by the end.</p><p>Main strengths:</p>",
        sum.objectives_met, sum.objectives_missed, sum.objectives_pending
    );
    bullets_html(s, &sum.strengths, "none identified");
    let _ = writeln!(s, "<p>Main areas for improvement:</p>");
    bullets_html(s, &sum.improvements, "none identified");
    let o = &r.overview;
    let _ = writeln!(s, "<h2>Exercise Details</h2>");
    let ids = |v: &[String]| if v.is_empty() { "none".to_string() } else { esc(&id_list(v)) };
    let _ = writeln!(
        s,
        "<ul><li>Exercise time: {} to {}; recorded {}</li><li>Teams played by people: {}</li><li>Teams played by their bots throughout: {}</li></ul>",
        esc(&o.start),
        esc(&o.end),
        esc(&o.recorded_at),
        ids(&r.details.human_teams),
        ids(&r.details.bot_teams)
    );
    let _ = writeln!(s, "<table><tr><th>Organisation</th><th>Name</th><th>Kind</th></tr>");
    let (organisations, rest) = shown(&r.details.organisations, limits::TABLE_ROWS);
    for org in organisations {
        let _ = writeln!(s, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(&org.id), esc(&org.name), esc(&org.kind));
    }
    let _ = writeln!(s, "</table>");
    if rest > 0 {
        let _ = writeln!(s, "<p>{}.</p>", esc(&more(rest, "organisations")));
    }
    let _ = writeln!(s, "<h2>Core Capabilities</h2>");
    if r.capabilities.is_empty() {
        let _ = writeln!(s, "<p>No objective names a core capability.</p>");
        return;
    }
    let _ = writeln!(
        s,
        "<table><tr><th>Capability</th><th>Objectives</th><th>Rating</th><th>Derived</th><th>Evaluator's note</th></tr>"
    );
    for c in &r.capabilities {
        let objectives: Vec<String> = c.objectives.iter().map(|(id, st)| format!("{id} ({st})")).collect();
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{} — {}{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.capability),
            esc(&objectives.join(", ")),
            esc(&c.rating),
            meaning(&c.rating),
            if c.by_evaluator { " (evaluator)" } else { "" },
            esc(&c.derived),
            esc(&c.note)
        );
    }
    let _ = writeln!(
        s,
        "</table><p>Derived ratings: every objective met P, at least half S, some M, none U (pending counts as not met).</p>"
    );
}

/// The Improvement Plan matrix (HTML).
pub fn bottom_html(s: &mut String, r: &Report) {
    let _ = writeln!(s, "<h2>Improvement Plan</h2>");
    if r.improvement_plan.is_empty() {
        let _ = writeln!(s, "<p>No area for improvement.</p>");
        return;
    }
    let _ = writeln!(
        s,
        "<table><tr><th>Area for improvement</th><th>Corrective action</th><th>Capability</th><th>Primary responsible organisation</th><th>Point of contact</th><th>Start date</th><th>Completion date</th></tr>"
    );
    for row in &r.improvement_plan {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&row.area),
            esc(&row.corrective_action),
            esc(&row.capability),
            esc(&row.primary_responsible_organisation),
            esc(&row.point_of_contact),
            esc(&row.start_date),
            esc(&row.completion_date)
        );
    }
    let _ = writeln!(s, "</table>");
}

/// Gives every `<h2>` an id and puts a table of contents after the `<h1>`.
pub fn with_contents(page: String) -> String {
    let mut out = String::with_capacity(page.len() + 2048);
    let mut entries = Vec::new();
    let mut rest = page.as_str();
    while let Some(at) = rest.find("<h2>") {
        let end = rest[at..].find("</h2>").map_or(rest.len(), |e| at + e);
        let title = &rest[at + 4..end];
        let id = format!("s{}", entries.len() + 1);
        out.push_str(&rest[..at]);
        let _ = write!(out, "<h2 id=\"{id}\">{title}</h2>");
        entries.push((id, title.to_string()));
        rest = &rest[(end + 5).min(rest.len())..];
    }
    out.push_str(rest);
    let mut nav = String::from("<nav class=\"toc\"><h2>Contents</h2><ol>");
    for (id, title) in &entries {
        let _ = write!(nav, "<li><a href=\"#{id}\">{title}</a></li>");
    }
    nav.push_str("</ol></nav>\n");
    match out.find("</h1>") {
        Some(h1) => {
            out.insert_str(h1 + 5, &format!("\n{nav}"));
            out
        }
        None => nav + &out,
    }
}

#[cfg(test)]
mod tests {
    use super::with_contents;

    #[test]
    fn contents_link_every_section() {
        let page = with_contents("<h1>R</h1>\n<h2>A &amp; B</h2><p>x</p><h2>C</h2>".to_string());
        assert!(page.contains("<h2 id=\"s1\">A &amp; B</h2>"), "{page}");
        assert!(page.contains("<a href=\"#s2\">C</a>"), "{page}");
        assert!(page.find("<nav").unwrap() < page.find("id=\"s1\"").unwrap());
    }
}
