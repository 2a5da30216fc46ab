//! report.docx: the after-action report as a Word document, in the HSEEP
//! AAR/IP order, because evaluators finish the report in Word (the Improvement
//! Plan's corrective actions, points of contact and dates are theirs to fill).
//! Built with docx-rs; the same data as report.md, without the per-command
//! table (report.json and report.md have it), cut at the same limits
//! (`render::limits`).

use std::io::Cursor;

use docx_rs::{Docx, Paragraph, Run, Style, StyleType, Table, TableCell, TableRow};

use super::Report;
use super::hseep::RATINGS;
use super::render::{clip, id_list, inject_rows, limits, more, sector_rows, shown, teams_shown};

fn styles(docx: Docx) -> Docx {
    docx.add_style(Style::new("Title", StyleType::Paragraph).name("Title").size(40).bold())
        .add_style(Style::new("Heading1", StyleType::Paragraph).name("Heading 1").size(32).bold().outline_lvl(0))
        .add_style(Style::new("Heading2", StyleType::Paragraph).name("Heading 2").size(26).bold().outline_lvl(1))
}

fn heading(docx: Docx, text: &str) -> Docx {
    docx.add_paragraph(Paragraph::new().style("Heading1").add_run(Run::new().add_text(text)))
}

fn subheading(docx: Docx, text: &str) -> Docx {
    docx.add_paragraph(Paragraph::new().style("Heading2").add_run(Run::new().add_text(text)))
}

fn para(docx: Docx, text: &str) -> Docx {
    docx.add_paragraph(Paragraph::new().add_run(Run::new().add_text(text)))
}

fn bullets(mut docx: Docx, items: &[String], none: &str) -> Docx {
    if items.is_empty() {
        return para(docx, none);
    }
    for item in items {
        docx = para(docx, &format!("• {item}"));
    }
    docx
}

fn cell(text: &str, bold: bool) -> TableCell {
    let run = Run::new().add_text(text);
    TableCell::new().add_paragraph(Paragraph::new().add_run(if bold { run.bold() } else { run }))
}

/// A table with a bold header row.
fn table(docx: Docx, headers: &[&str], rows: Vec<Vec<String>>) -> Docx {
    let mut table_rows = vec![TableRow::new(headers.iter().map(|h| cell(h, true)).collect())];
    table_rows.extend(rows.into_iter().map(|r| TableRow::new(r.iter().map(|c| cell(c, false)).collect())));
    docx.add_table(Table::new(table_rows))
}

fn clock(m: &Option<super::Moment>) -> String {
    m.as_ref().map_or("—".to_string(), |m| m.clock.clone())
}

fn meaning(code: &str) -> &'static str {
    RATINGS.iter().find(|(c, _)| *c == code).map_or("", |(_, m)| m)
}

/// The report as a .docx package.
pub fn docx(r: &Report) -> Result<Vec<u8>, String> {
    let o = &r.overview;
    let mut d = styles(Docx::new());
    d = d.add_paragraph(
        Paragraph::new()
            .style("Title")
            .add_run(Run::new().add_text(format!("After-Action Report / Improvement Plan: {}", o.scenario))),
    );

    d = heading(d, "Executive Summary");
    let s = &r.summary;
    d = para(
        d,
        &format!(
            "Objectives: {} met, {} missed, {} not decided by the end.",
            s.objectives_met, s.objectives_missed, s.objectives_pending
        ),
    );
    d = para(d, "Main strengths:");
    d = bullets(d, &s.strengths, "None identified.");
    d = para(d, "Main areas for improvement:");
    d = bullets(d, &s.improvements, "None identified.");

    d = heading(d, "Exercise Details");
    let lowest = cascade_engine::view::service_label(r.lowest_service.served, r.service.population, r.service.people);
    d = table(
        d,
        &["", ""],
        vec![
            vec!["Scenario".into(), o.scenario.clone()],
            vec!["Exercise time".into(), format!("{} to {}", o.start, o.end)],
            vec!["Recorded".into(), o.recorded_at.clone()],
            vec!["Seed".into(), o.seed.clone()],
            vec!["Final state hash".into(), o.final_hash.clone()],
            vec!["Teams played by people".into(), list(&r.details.human_teams)],
            vec!["Teams played by their bots".into(), list(&r.details.bot_teams)],
            vec!["Lowest national service".into(), format!("{lowest} at {}", r.lowest_service.at.clock)],
        ],
    );
    d = subheading(d, "Participating organisations");
    let (organisations, rest) = shown(&r.details.organisations, limits::TABLE_ROWS);
    d = table(
        d,
        &["Organisation", "Name", "Kind"],
        organisations.iter().map(|g| vec![g.id.clone(), g.name.clone(), g.kind.clone()]).collect(),
    );
    d = more_para(d, rest, "organisations");
    d = outages(d, r);

    d = heading(d, "Analysis of Core Capabilities");
    if r.capabilities.is_empty() {
        d = para(d, "No objective names a core capability.");
    } else {
        d = table(
            d,
            &["Capability", "Objectives", "Rating", "Derived", "Evaluator's note"],
            r.capabilities
                .iter()
                .map(|c| {
                    let objectives: Vec<String> = c.objectives.iter().map(|(id, st)| format!("{id} ({st})")).collect();
                    let by = if c.by_evaluator { " (evaluator)" } else { "" };
                    vec![
                        c.capability.clone(),
                        objectives.join(", "),
                        format!("{} — {}{by}", c.rating, meaning(&c.rating)),
                        c.derived.clone(),
                        c.note.clone(),
                    ]
                })
                .collect(),
        );
    }

    d = heading(d, "Analysis of Objectives");
    for obj in &r.objectives {
        d = subheading(d, &format!("{}: {}", obj.id, obj.status.to_uppercase()));
        if !obj.description.is_empty() {
            d = para(d, &obj.description);
        }
        d = bullets(d, &obj.evidence, "No evidence.");
    }

    d = heading(d, "Incidents");
    d = table(
        d,
        &["Incident", "Kind", "Started", "Detected", "Contained", "Recovered"],
        r.incidents
            .iter()
            .map(|i| {
                vec![
                    i.id.clone(),
                    i.kind.clone(),
                    clock(&i.started),
                    clock(&i.detected),
                    clock(&i.contained),
                    clock(&i.recovered),
                ]
            })
            .collect(),
    );

    d = heading(d, "Notifications");
    let (notifications, notifications_rest) = shown(&r.notifications, limits::TABLE_ROWS);
    d = table(
        d,
        &["Organisation", "Regime", "Stage", "Incident", "Due", "Filed", "Filed by", "Status"],
        notifications
            .iter()
            .map(|n| {
                vec![
                    n.organisation.clone(),
                    n.regime.clone(),
                    n.stage.clone(),
                    n.incident.clone(),
                    clock(&n.due),
                    clock(&n.filed),
                    n.filed_by.clone().unwrap_or_else(|| "—".into()),
                    n.status.replace('_', " "),
                ]
            })
            .collect(),
    );

    d = more_para(d, notifications_rest, "notifications");

    d = heading(d, "Injects and Responses");
    let mut rows = Vec::new();
    let (shown_rows, rest) = inject_rows(&r.injects);
    for (i, t) in shown_rows {
        let did: Vec<String> =
            t.commands.iter().map(|c| format!("{} {} ({}, {})", c.at.clock, c.command, c.by, c.fate)).collect();
        rows.push(vec![
            i.inject.clone(),
            super::reconcile::fired_words(i),
            i.expected_action.clone(),
            t.team.clone(),
            if did.is_empty() { "nothing".into() } else { clip(&did.join("; ")) },
        ]);
    }
    d = table(d, &["Inject", "Fired", "Expected", "Team", "What the team did"], rows);
    d = more_para(d, rest, "team responses");
    let withheld = super::reconcile::not_fired_words(&r.injects_not_fired);
    if !withheld.is_empty() {
        d = para(d, &format!("Not delivered, by the director's decision: {withheld}."));
    }

    d = heading(d, "Team Activity");
    let (teams, teams_rest) = teams_shown(&r.teams);
    d = table(
        d,
        &["Team", "Played by", "Takeover", "Actions", "People / bot", "Applied / failed / refused"],
        teams
            .iter()
            .map(|t| {
                vec![
                    t.id.clone(),
                    if t.human { "people".into() } else { "bot".into() },
                    clock(&t.takeover),
                    t.total_actions.to_string(),
                    format!("{} / {}", t.by_people, t.by_bot),
                    format!("{} / {} / {}", t.applied, t.failed, t.refused),
                ]
            })
            .collect(),
    );

    d = more_para(d, teams_rest, "teams");

    d = heading(d, "Strengths");
    d = bullets(d, &r.strengths, "None identified.");
    d = heading(d, "Areas for Improvement");
    d = bullets(d, &r.improvements, "None identified.");

    d = heading(d, "Evaluator Observations");
    let notes: Vec<String> = r
        .observations
        .iter()
        .map(|n| {
            let about: Vec<&str> =
                [n.team.as_deref(), n.objective.as_deref(), n.capability.as_deref(), n.rating.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
            let about = if about.is_empty() { String::new() } else { format!(" [{}]", about.join(", ")) };
            format!("{} ({}){about}: {}", n.clock, n.taken, n.text)
        })
        .collect();
    d = bullets(d, &notes, "No observation was noted.");

    d = heading(d, "Timeline");
    let (timeline, rest) = shown(&r.timeline, limits::TIMELINE_ROWS);
    d = table(
        d,
        &["Time", "Kind", "From", "Event"],
        timeline.iter().map(|e| vec![e.clock.clone(), e.kind.clone(), e.from.clone(), clip(&e.text)]).collect(),
    );
    d = more_para(d, rest, "entries");

    d = heading(d, "Appendix A: Improvement Plan");
    d = table(
        d,
        &[
            "Area for improvement",
            "Corrective action",
            "Capability",
            "Primary responsible organisation",
            "Point of contact",
            "Start date",
            "Completion date",
        ],
        r.improvement_plan
            .iter()
            .map(|p| {
                vec![
                    p.area.clone(),
                    p.corrective_action.clone(),
                    p.capability.clone(),
                    p.primary_responsible_organisation.clone(),
                    p.point_of_contact.clone(),
                    p.start_date.clone(),
                    p.completion_date.clone(),
                ]
            })
            .collect(),
    );

    let mut bytes = Cursor::new(Vec::new());
    d.build().pack(&mut bytes).map_err(|e| format!("cannot build report.docx: {e}"))?;
    Ok(bytes.into_inner())
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() { "none".to_string() } else { id_list(ids) }
}

/// The line under a cut table, when it was cut.
fn more_para(docx: Docx, rest: usize, what: &str) -> Docx {
    if rest > 0 { para(docx, &format!("{}.", more(rest, what))) } else { docx }
}

/// Service per sector and the worst outages, as in report.md.
fn outages(mut d: Docx, r: &Report) -> Docx {
    d = heading(d, "Worst Outages");
    d = table(
        d,
        &["Sector", "Lowest service", "At", "At the end"],
        sector_rows(r).into_iter().map(Vec::from).collect(),
    );
    if r.outages.is_empty() {
        return para(d, "No asset fell below the critical outage level.");
    }
    d = para(
        d,
        &format!(
            "{} assets of {} organisations fell below the critical outage level. The longest outages:",
            r.outage_assets,
            r.organisation_outages.len()
        ),
    );
    let (assets, _) = shown(&r.outages, limits::OUTAGE_ROWS);
    let rest = r.outage_assets as usize - assets.len();
    d = table(
        d,
        &["Asset", "Organisation", "Sector", "Lowest", "First below", "Minutes below", "Down at the end"],
        assets
            .iter()
            .map(|a| {
                vec![
                    a.id.clone(),
                    a.organisation.clone(),
                    a.sector.clone(),
                    format!("{}‰ at {}", a.lowest, a.lowest_at.clock),
                    a.first_below.clock.clone(),
                    a.minutes_below.to_string(),
                    if a.down_at_end { "yes" } else { "no" }.into(),
                ]
            })
            .collect(),
    );
    if rest > 0 {
        d = para(d, &format!("{}.", super::render::more_outages(rest, r)));
    }
    d = para(d, "The organisations hardest hit (minutes below the level, summed over their assets):");
    let (organisations, rest) = shown(&r.organisation_outages, limits::OUTAGE_ROWS);
    d = table(
        d,
        &["Organisation", "Assets", "Down", "Down at the end", "Minutes below", "Lowest"],
        organisations
            .iter()
            .map(|o| {
                vec![
                    o.id.clone(),
                    o.assets.to_string(),
                    o.assets_down.to_string(),
                    o.down_at_end.to_string(),
                    o.minutes_below.to_string(),
                    format!("{}‰", o.lowest),
                ]
            })
            .collect(),
    );
    more_para(d, rest, "organisations")
}
