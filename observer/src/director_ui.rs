//! Drawing the director console from the [`DirectorApp`] state (nothing else).
//!
//! ```text
//! Scenario │ 08:47 t47 │ ⏸ paused ×1 │ ● online │ service 90.0% │ PIU 2 │ #ab12cd34
//! ── Service, t12–t47 ────────────────────────────────────────────────────────
//! national ▇▇▇▆▆▅▅▅  90.0%              telecom  ██▇▇▆▅▄▄  75.0%
//! ── ▸ Assets (4) ──────────────── ── Incidents (2) ─────────────────────────
//! health                            ☣ ransom-x s12 d30 c– r– (1)
//! ✓ chem-it  ████████ 1000/1000     ── Teams (3) ─────────────────────────────
//! ✗ chem-lab ▒▒▒▒▒▒▒▒    0/1000     ◉ chem-ops 4/6 free investigate t40 ⧗1
//! ── Timeline (3) ── / ── Objectives (2) ──
//! status line · key hints (or the filter being typed)
//! ```
//!
//! With 140 columns or more the timeline gets a column of its own. Symbols carry
//! the meaning without colour (the help overlay lists them).

use cascade_engine::exercise::Status;
use cascade_engine::view::{AssetView, IncidentView};
use cascade_replay::player::Event;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

mod msel_panel;

use crate::client::Connection;
use crate::director::{DirectorApp, Mode, Panel, TimelineRow, speed_label};
use crate::ui::{asset_columns, asset_line, dim, fit, panel, status_text, tlp_style};

const OK: Color = Color::Green;
const WARN: Color = Color::Yellow;
const BAD: Color = Color::Red;
const FOCUS: Color = Color::Cyan;

/// Sparkline glyphs, lowest to highest.
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` values (permille) as a sparkline; a value of 0 is a space
/// only if everything is lost, so a dip stays visible.
pub fn spark<'a>(values: impl DoubleEndedIterator<Item = &'a u64> + ExactSizeIterator, width: usize) -> String {
    let skip = values.len().saturating_sub(width);
    values.skip(skip).map(|&v| if v == 0 { ' ' } else { SPARKS[(v.min(1000) * 7 / 1000) as usize] }).collect()
}

fn percent(permille: u64) -> String {
    format!("{}.{}%", permille / 10, permille % 10)
}

fn permille_style(permille: u64) -> Style {
    Style::new().fg(match permille {
        1000.. => OK,
        900.. => Color::Reset,
        500.. => WARN,
        _ => BAD,
    })
}

fn header(app: &DirectorApp, width: u16) -> Line<'static> {
    let sep = || Span::styled(" │ ", dim());
    // Everything but the name, each with the order in which it gives way on a
    // narrow terminal (0: never); the name takes what is left.
    let mut rest: Vec<(Span<'static>, u8)> = Vec::new();
    let clock = app.view.as_ref().map(|v| v.clock.clone()).unwrap_or_else(|| "--:--".into());
    let speed = speed_label(app.clock.ticks_per_second);
    if let Some(r) = &app.replay {
        // A recording: the position in it instead of the connection.
        rest.push((Span::raw(format!("{clock} t{}/{}", app.clock.tick, r.last_tick)), 0));
        rest.push((sep(), 0));
        rest.push((
            if r.playing {
                Span::styled(format!("▶ playing ×{speed}"), Style::new().fg(OK).bold())
            } else {
                Span::styled(format!("⏸ paused ×{speed}"), Style::new().fg(WARN).bold())
            },
            0,
        ));
        rest.push((sep(), 0));
        rest.push((Span::styled("⏵ REPLAY", Style::new().fg(Color::Magenta).bold()), 0));
        if let Some(d) = r.last_seek {
            rest.push((Span::styled(format!(" seek {:.1} ms", d.as_secs_f64() * 1000.0), dim()), 4));
        }
    } else {
        let mut spans = Vec::new();
        live_clock(app, &clock, &speed, &mut spans);
        rest.extend(spans.into_iter().map(|s| (s, 0)));
    }
    if let Some(v) = &app.view {
        // National service is also the first sparkline: it gives way last.
        if let Some(&national) = app.history.national.back() {
            rest.push((sep(), 2));
            rest.push((Span::styled(format!("service {}", percent(national)), permille_style(national)), 2));
        }
        if v.piu.active_since.is_some() {
            rest.push((sep(), 3));
            let plan = if v.piu.short.is_empty() { "PIU" } else { v.piu.short.as_str() };
            rest.push((Span::styled(format!("{plan} {}", v.piu.level), Style::new().fg(WARN).bold()), 3));
        }
        rest.push((sep(), 0));
        rest.push((Span::styled(format!("#{}", v.hash.chars().take(8).collect::<String>()), dim()), 0));
    }
    let name = if app.scenario.is_empty() { "director".to_string() } else { app.scenario.clone() };
    let min_name = name.chars().count().min(8);
    let width = usize::from(width);
    let used = |rest: &[(Span, u8)]| rest.iter().map(|(s, _)| s.width()).sum::<usize>() + 3;
    while used(&rest) + min_name > width {
        let Some(&rank) = rest.iter().map(|(_, r)| r).filter(|&&r| r > 0).max() else { break };
        rest.retain(|(_, r)| *r != rank);
    }
    let room = width.saturating_sub(used(&rest)).max(min_name);
    let name = fit(&name, room).trim_end().to_string();
    let mut spans = vec![Span::styled(name, Style::new().bold()), sep()];
    spans.extend(rest.into_iter().map(|(s, _)| s));
    Line::from(spans)
}

/// The live part of the header: clock, running state and connection.
fn live_clock(app: &DirectorApp, clock: &str, speed: &str, spans: &mut Vec<Span<'static>>) {
    let sep = || Span::styled(" │ ", dim());
    spans.push(Span::raw(format!("{clock} t{}", app.clock.tick)));
    spans.push(sep());
    spans.push(if app.clock.ended {
        Span::styled("■ ended", Style::new().fg(BAD).bold())
    } else if app.clock.running && app.clock.behind_ms > 0 {
        // The host cannot keep the pace asked (or stalled): say by how much.
        let behind = app.clock.behind_ms as f64 / 1000.0;
        Span::styled(format!("▶ running ×{speed}, {behind:.1}s behind"), Style::new().fg(WARN).bold())
    } else if app.clock.running {
        Span::styled(format!("▶ running ×{speed}"), Style::new().fg(OK).bold())
    } else {
        Span::styled(format!("⏸ paused ×{speed}"), Style::new().fg(WARN).bold())
    });
    spans.push(sep());
    spans.push(match &app.connection {
        Connection::Connected => match app.silent_for() {
            Some(s) => Span::styled(format!("⚠ server silent {s:.0}s"), Style::new().fg(WARN).bold()),
            None => Span::styled("● online", Style::new().fg(OK)),
        },
        Connection::Connecting { attempt: 1 } => Span::styled("◌ connecting", Style::new().fg(WARN)),
        Connection::Connecting { attempt } => Span::styled(format!("◌ reconnecting #{attempt}"), Style::new().fg(WARN)),
        Connection::Lost { retry_in, .. } => {
            Span::styled(format!("✗ offline, retry in {:.1}s", retry_in.as_secs_f32()), Style::new().fg(BAD).bold())
        }
        Connection::Closed { .. } => Span::styled("✗ disconnected", Style::new().fg(BAD).bold()),
    });
}

/// Rows the service panel wants: title plus its entries in `columns`.
fn service_rows(app: &DirectorApp, width: u16, height: u16) -> u16 {
    let entries = 1 + app.history.sectors.len();
    let cap = if height >= 40 {
        5
    } else if height >= 30 {
        4
    } else {
        3
    };
    let columns = service_columns(entries, width, cap);
    (entries.div_ceil(columns).min(cap) + 1) as u16
}

/// Columns of sparklines: as few as `rows` allow (the longer the history shown
/// the better), at least 40 cells each.
fn service_columns(entries: usize, width: u16, rows: usize) -> usize {
    entries.div_ceil(rows.max(1)).clamp(1, usize::from(width / 40).max(1))
}

fn service_panel(frame: &mut Frame, area: Rect, app: &DirectorApp) {
    let h = &app.history;
    let title = match (h.ticks.front(), h.ticks.back()) {
        (Some(a), Some(b)) => format!(" Service, t{a}–t{b} "),
        _ => " Service ".to_string(),
    };
    let block = panel(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // National first, then the sectors worst first.
    let mut entries: Vec<(&str, &std::collections::VecDeque<u64>)> = vec![("national", &h.national)];
    let mut sectors: Vec<_> = h.sectors.iter().map(|(id, s)| (id.as_str(), s)).collect();
    sectors.sort_by_key(|(id, s)| (s.back().copied().unwrap_or(1000), *id));
    entries.extend(sectors);
    let rows = usize::from(inner.height);
    if rows == 0 {
        return;
    }
    let columns = service_columns(entries.len(), inner.width, rows);
    let shown = entries.len().min(rows * columns);
    let hidden = entries.len() - shown;
    let col_width = usize::from(inner.width) / columns;
    let name_width = entries.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(8).min(col_width / 3);
    let spark_width = col_width.saturating_sub(name_width + 10);
    let areas = Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(inner);
    for (c, column) in areas.iter().enumerate() {
        let lines: Vec<Line> = entries
            .iter()
            .take(shown)
            .skip(c * rows)
            .take(rows)
            .enumerate()
            .map(|(i, (name, series))| {
                let now = series.back().copied().unwrap_or(1000);
                let mut label = fit(name, name_width);
                if hidden > 0 && c == columns - 1 && i == rows - 1 {
                    label = fit(&format!("+{hidden} more"), name_width);
                }
                Line::from(vec![
                    Span::styled(label, if *name == "national" { Style::new().bold() } else { Style::new() }),
                    Span::raw(" "),
                    Span::styled(format!("{:<spark_width$}", spark(series.iter(), spark_width)), permille_style(now)),
                    Span::styled(format!(" {:>6}", percent(now)), permille_style(now)),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), *column);
    }
}

/// A list panel: title (marked when focused), lines, the selected line
/// highlighted and kept in view.
fn list_panel(frame: &mut Frame, area: Rect, app: &DirectorApp, which: Panel, title: String, list: ListLines) {
    let focused = app.focus == which;
    let title = if focused { format!(" ▸{title} ") } else { format!(" {title} ") };
    let title_style = if focused { Style::new().fg(FOCUS).bold() } else { Style::new().bold() };
    let block = panel(String::new()).title(Span::styled(title, title_style));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let ListLines { mut lines, selected, empty } = list;
    if lines.is_empty() {
        frame.render_widget(Paragraph::new(Line::styled(empty, dim())), inner);
        return;
    }
    if focused && let Some(line) = selected.and_then(|s| lines.get_mut(s)) {
        *line = std::mem::take(line).patch_style(Style::new().add_modifier(Modifier::REVERSED));
    }
    let height = usize::from(inner.height.max(1));
    let offset = selected.unwrap_or(0).saturating_sub(height - 1);
    frame.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), inner);
}

struct ListLines {
    lines: Vec<Line<'static>>,
    /// The line of the selected item.
    selected: Option<usize>,
    empty: String,
}

fn none_text(app: &DirectorApp, what: &str) -> String {
    if app.filter.is_empty() { format!("no {what}") } else { format!("no {what} match /{}", app.filter) }
}

fn assets_lines(app: &DirectorApp, width: u16) -> ListLines {
    let assets = app.assets();
    let owned: Vec<AssetView> = assets.iter().map(|a| (*a).clone()).collect();
    let (id_width, bar_width) = asset_columns(&owned, usize::from(width));
    let chosen = app.selection(Panel::Assets);
    let mut lines = Vec::new();
    let mut selected = None;
    let mut sector: Option<&str> = None;
    for (i, a) in assets.iter().enumerate() {
        if sector != Some(a.sector.as_str()) {
            sector = Some(a.sector.as_str());
            let down = assets.iter().filter(|b| b.sector == a.sector && b.level < 1000).count();
            let total = assets.iter().filter(|b| b.sector == a.sector).count();
            lines.push(Line::from(vec![
                Span::styled(a.sector.clone(), Style::new().bold().add_modifier(Modifier::UNDERLINED)),
                Span::styled(format!(" {down}/{total} degraded"), dim()),
            ]));
        }
        if i == chosen {
            selected = Some(lines.len());
        }
        lines.push(asset_line(a, id_width, bar_width));
    }
    ListLines { lines, selected, empty: none_text(app, "assets") }
}

/// The symbol, colour and stage of an incident.
pub fn incident_state(i: &IncidentView) -> (&'static str, Color, &'static str) {
    match (i.started_at, i.first_detected, i.contained_at, i.recovered_at) {
        (None, ..) => ("·", Color::DarkGray, "not started"),
        (_, _, _, Some(_)) => ("✓", OK, "recovered"),
        (_, _, Some(_), None) => ("◐", WARN, "contained"),
        (_, Some(_), None, None) => ("☣", BAD, "detected"),
        (Some(_), None, None, None) => ("◌", BAD, "undetected"),
    }
}

fn at(t: Option<u64>) -> String {
    t.map_or("–".to_string(), |t| t.to_string())
}

fn incidents_lines(app: &DirectorApp) -> ListLines {
    let chosen = app.selection(Panel::Incidents);
    let lines = app
        .incidents()
        .iter()
        .map(|i| {
            let (symbol, colour, _) = incident_state(i);
            Line::from(vec![
                Span::styled(symbol, Style::new().fg(colour).bold()),
                Span::raw(format!(" {} ", i.id)),
                Span::styled(
                    format!(
                        "s{} d{} c{} r{} ({})",
                        at(i.started_at),
                        at(i.first_detected),
                        at(i.contained_at),
                        at(i.recovered_at),
                        i.compromised.len()
                    ),
                    dim(),
                ),
                Span::styled(format!(" {}", i.kind.label()), dim()),
            ])
        })
        .collect::<Vec<_>>();
    let selected = (!lines.is_empty()).then_some(chosen);
    ListLines { lines, selected, empty: none_text(app, "incidents") }
}

fn teams_lines(app: &DirectorApp) -> ListLines {
    let chosen = app.selection(Panel::Teams);
    let pending = |team: &str| app.view.as_ref().map_or(0, |v| v.pending.iter().filter(|p| p.team == team).count());
    let lines = app
        .teams()
        .iter()
        .map(|t| {
            // ◉ a human has taken the team over, ⚙ its bot plays it.
            let (symbol, style) = if t.human { ("◉", Style::new().fg(OK).bold()) } else { ("⚙", dim()) };
            let last = match &t.last_action {
                Some((tick, action)) => format!(" {action} t{tick}"),
                None => " —".to_string(),
            };
            let mut spans = vec![Span::styled(symbol, style)];
            // ● connected (how many), ○ nobody connected with its token.
            match app.connections(&t.id) {
                Some(0) => spans.push(Span::styled("○", dim())),
                Some(1) => spans.push(Span::styled("●", Style::new().fg(OK))),
                Some(n) => spans.push(Span::styled(format!("●{n}"), Style::new().fg(OK))),
                None => {}
            }
            spans.push(Span::raw(format!(" {} ", t.id)));
            spans.push(Span::styled(format!("{}/{} free", t.staff.saturating_sub(t.busy), t.staff), dim()));
            let n = pending(&t.id);
            if n > 0 {
                spans.push(Span::styled(format!(" ⧗{n}"), Style::new().fg(WARN)));
            }
            spans.push(Span::raw(last));
            Line::from(spans)
        })
        .collect::<Vec<_>>();
    let selected = (!lines.is_empty()).then_some(chosen);
    ListLines { lines, selected, empty: none_text(app, "teams") }
}

/// A recording's timeline: every event of the exercise, those still to come
/// dimmed, the current tick's in bold.
fn replay_timeline_lines(app: &DirectorApp) -> ListLines {
    let chosen = app.selection(Panel::Timeline);
    let now = app.clock.tick;
    let lines = app.replay_events().iter().map(|(_, e)| event_line(e, now)).collect::<Vec<_>>();
    let selected = (!lines.is_empty()).then_some(chosen);
    ListLines { lines, selected, empty: none_text(app, "events") }
}

/// An event of the timeline seen at tick `now`: `• t12 incident exercise: …`,
/// dimmed (`·`) while still to come, bold at `now`.
fn event_line(e: &Event, now: u64) -> Line<'static> {
    let style = match e.tick.cmp(&now) {
        std::cmp::Ordering::Greater => dim(),
        std::cmp::Ordering::Equal => Style::new().bold(),
        std::cmp::Ordering::Less => Style::new(),
    };
    let marker = if e.tick <= now { "•" } else { "·" };
    Line::from(vec![
        Span::styled(format!("{marker} t{} ", e.tick), dim()),
        Span::styled(format!("{} ", e.kind), if e.tick > now { style } else { style.fg(event_colour(&e.kind)) }),
        Span::styled(format!("{}: ", e.who), style.bold()),
        Span::styled(e.text.lines().next().unwrap_or("").to_string(), style),
    ])
}

fn event_colour(kind: &str) -> Color {
    match kind {
        "incident" | "outage" | "failed" | "alert" => BAD,
        "objective" | "action" => OK,
        "director" | "inject" => Color::Magenta,
        _ => Color::Reset,
    }
}

fn timeline_lines(app: &DirectorApp) -> ListLines {
    if app.replay.is_some() {
        return replay_timeline_lines(app);
    }
    let chosen = app.selection(Panel::Timeline);
    let now = app.clock.tick;
    let lines = app
        .timeline()
        .iter()
        .map(|row| match row {
            TimelineRow::Event(e) => event_line(e, now),
            TimelineRow::Message(m) => {
                let to = if m.to.is_empty() { "all".to_string() } else { m.to.join(",") };
                let first = m.text.lines().next().unwrap_or("");
                Line::from(vec![
                    Span::styled(format!("✉ t{} ", m.tick), dim()),
                    Span::styled(m.tlp.label(), tlp_style(m.tlp)),
                    Span::styled(format!(" {}", m.from), Style::new().bold()),
                    Span::styled(format!(" → {to}: "), dim()),
                    Span::raw(first.to_string()),
                ])
            }
        })
        .collect::<Vec<_>>();
    let selected = (!lines.is_empty()).then_some(chosen);
    ListLines { lines, selected, empty: none_text(app, "events yet") }
}

fn objectives_lines(app: &DirectorApp) -> ListLines {
    let chosen = app.selection(Panel::Objectives);
    let lines = app
        .objectives()
        .iter()
        .map(|o| {
            let (symbol, style) = match o.status {
                Status::Pending => ("… pending".to_string(), Style::new().fg(WARN)),
                Status::Met(t) => (format!("✓ met t{t}"), Style::new().fg(OK)),
                Status::Missed(t) => (format!("✗ missed t{t}"), Style::new().fg(BAD)),
            };
            let text = if o.description.is_empty() { o.id.clone() } else { o.description.clone() };
            Line::from(vec![Span::styled(symbol, style), Span::raw(format!(" {text}"))])
        })
        .collect::<Vec<_>>();
    let selected = (!lines.is_empty()).then_some(chosen);
    ListLines { lines, selected, empty: none_text(app, "objectives") }
}

fn objectives_title(app: &DirectorApp) -> String {
    let all = app.view.as_ref().map(|v| v.objectives.as_slice()).unwrap_or_default();
    let met = all.iter().filter(|o| matches!(o.status, Status::Met(_))).count();
    let missed = all.iter().filter(|o| matches!(o.status, Status::Missed(_))).count();
    format!("Objectives ✓{met} ✗{missed} …{}", all.len() - met - missed)
}

/// Rows for a list panel: its title line plus up to `max` items.
fn rows(items: usize, max: usize) -> u16 {
    (items.clamp(1, max.max(1)) + 1) as u16
}

fn body(frame: &mut Frame, area: Rect, app: &DirectorApp) {
    let Some(view) = &app.view else {
        return crate::ui::not_joined_yet(frame, area, &app.connection, &app.url);
    };
    let [service, rest] =
        Layout::vertical([Constraint::Length(service_rows(app, area.width, area.height)), Constraint::Fill(1)])
            .areas(area);
    service_panel(frame, service, app);
    let h = usize::from(rest.height);
    let cap = if h > 30 {
        10
    } else if h > 16 {
        4
    } else {
        2
    };
    let sized = |panel: Panel, n: usize| {
        if app.focus == panel { Constraint::Min(rows(n, cap)) } else { Constraint::Length(rows(n, cap)) }
    };
    let wide = area.width >= 140;
    let (left, middle, right) = if wide {
        let [l, m, r] =
            Layout::horizontal([Constraint::Percentage(33), Constraint::Percentage(27), Constraint::Fill(1)])
                .spacing(1)
                .areas(rest);
        (l, m, Some(r))
    } else {
        let [l, m] = Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).spacing(1).areas(rest);
        (l, m, None)
    };
    let assets = assets_lines(app, left.width);
    let title = assets_title(app, view);
    list_panel(frame, left, app, Panel::Assets, title, assets);

    let incidents = (Panel::Incidents, format!("Incidents ({})", app.incidents().len()), incidents_lines(app));
    let teams = (Panel::Teams, format!("Teams ({})", app.teams().len()), teams_lines(app));
    let timeline_title = match &app.replay {
        Some(r) => format!("Timeline ({}/{} events)", app.replay_events().len(), r.events.len()),
        None => format!("Timeline ({})", app.timeline().len()),
    };
    let timeline = (Panel::Timeline, timeline_title, timeline_lines(app));
    let objectives = (Panel::Objectives, objectives_title(app), objectives_lines(app));
    // Wide: incidents and teams in the middle, timeline and objectives right.
    let stacks = match right {
        Some(right) => vec![(middle, vec![incidents, teams], 1), (right, vec![timeline, objectives], 0)],
        None => vec![(middle, vec![incidents, teams, timeline, objectives], 2)],
    };
    for (area, stack, default_fill) in stacks {
        // The focused panel takes the room left; else the timeline (or the teams) do.
        let fill = stack.iter().position(|(p, ..)| *p == app.focus).unwrap_or(default_fill);
        let constraints: Vec<Constraint> = stack
            .iter()
            .enumerate()
            .map(|(i, (p, _, l))| if i == fill { Constraint::Fill(1) } else { sized(*p, l.lines.len()) })
            .collect();
        let areas = Layout::vertical(constraints).split(area);
        for ((p, t, l), a) in stack.into_iter().zip(areas.iter()) {
            list_panel(frame, *a, app, p, t, l);
        }
    }
}

fn status_line(app: &DirectorApp) -> Line<'static> {
    if app.mode == Mode::ConfirmEnd {
        return Line::styled(
            "End the exercise for every team now? y ends it, any other key goes on",
            Style::new().fg(BAD).bold(),
        );
    }
    if app.mode == Mode::ConfirmBranch {
        let clock = app.view.as_ref().map(|v| v.clock.clone()).unwrap_or_default();
        return Line::styled(
            format!("Branch a live exercise from t{} ({clock})? y starts it, any other key stays", app.clock.tick),
            Style::new().fg(WARN).bold(),
        );
    }
    if app.mode == Mode::ConfirmQuit {
        let teams = app.connected_teams();
        let state = match (app.clock.running, teams) {
            (true, _) => "The exercise is running".to_string(),
            (false, 1) => "1 team is connected".to_string(),
            (false, n) => format!("{n} teams are connected"),
        };
        return Line::styled(
            format!("{state}: quit the console? y/q/Enter quits, any other key stays"),
            Style::new().fg(WARN).bold(),
        );
    }
    status_text(&app.status)
}

/// Every key, for the `?` overlay.
pub const HELP: &[&str] = &[
    "Clock",
    "  space p     start / pause / resume     + -     faster / slower",
    "  s →         step one tick (paused)     i       write an inject",
    "  E           end (asks)                 o       an evaluator's note",
    "  v           view as a team (Esc returns)  J       how players join: links",
    "  m           the MSEL: f fire now, h hold, r release, x skip, e edit",
    "Moving",
    "  Tab l       next panel                 S-Tab h ←  previous panel",
    "  j k ↓ ↑     select                     PgDn PgUp  g G  jump",
    "  Enter       details of the selection   /       filter every list",
    "  Esc  close / clear filter   ? F1  this help   q  quit (asks)   Ctrl-C  now",
    "Inject form",
    "  Tab         complete a team id, or next field   ↑ ↓  field",
    "  Enter       next field / send          Esc     cancel",
    "  Ctrl-N/P    next / previous MSEL inject   Ctrl-T TLP   Ctrl-D method",
    "Symbols",
    "  ✓ ok ▼ degraded ✗ down ⛔ isolated ☣ compromised ⚒ hardened ✚ to repair",
    "  incidents: · not started ◌ undetected ☣ detected ◐ contained ✓ recovered",
    "    s d c r: tick started, detected, contained, recovered; (n) assets hit",
    "  teams: ◉ human ⚙ bot ● connected ○ not; free staff; ⧗ pending actions",
    "  objectives: ✓ met  ✗ missed  … pending   timeline: ✉ message  • event",
];

fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height }
}

/// Every key of the console on a recording, for the `?` overlay.
pub const REPLAY_HELP: &[&str] = &[
    "Replay (a recording: nothing here changes it)",
    "  space p     play / pause               + -     faster / slower",
    "  s →         one tick forward           S ←     one tick back",
    "  m           the MSEL at this tick (read only)",
    "  n ]         next event                 N [     previous event",
    "  t :         go to a tick (120), a time (09:30), start or end",
    "  Enter       on a timeline event: go to its tick",
    "  b           branch: a live exercise from this tick (asks)",
    "  o           an evaluator's note at this tick, kept beside the journal",
    "  v           view as a team: its own screen at this tick (Esc returns)",
    "Moving",
    "  Tab l       next panel                 S-Tab h    previous panel",
    "  j k ↓ ↑     select                     PgDn PgUp  g G  jump",
    "  Enter       details of the selection   /       filter every list",
    "  Esc         close / clear the filter   ?  F1   this help",
    "  q           quit                       Ctrl-C  quit at once",
    "Symbols",
    "  ✓ ok ▼ degraded ✗ down ⛔ isolated ☣ compromised ⚒ hardened ✚ to repair",
    "  incidents: · not started ◌ undetected ☣ detected ◐ contained ✓ recovered",
    "  teams: ◉ human  ⚙ bot; timeline: • happened  · still to come",
    "  objectives: ✓ met  ✗ missed  … pending",
];

fn help(frame: &mut Frame, area: Rect, app: &DirectorApp) {
    let text = if app.replay.is_some() { REPLAY_HELP } else { HELP };
    let mut lines: Vec<Line> = text
        .iter()
        .map(|l| if l.starts_with(' ') { Line::raw(*l) } else { Line::styled(*l, Style::new().bold()) })
        .collect();
    // Keys from the key file, first, in the rows the terminal has left (the
    // key list itself must stay whole).
    let mut height = lines.len() as u16 + 2;
    let spare = usize::from(area.height.saturating_sub(height));
    if let Some(keys) = app.keys.help_line()
        && spare > 0
    {
        // Word wrapping fills a 76-column row to 60 or more (the entries are short).
        const PER_ROW: usize = 60;
        let mut line = format!("Your keys: {keys}");
        if line.chars().count() > spare * PER_ROW {
            line = line.chars().take(spare * PER_ROW - 1).collect::<String>() + "…";
        }
        height += Span::raw(line.as_str()).width().div_ceil(PER_ROW) as u16;
        lines.insert(0, Line::styled(line, Style::new().fg(FOCUS)));
    }
    let popup = centred(area, 78, height);
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(" Help — Esc or ? to close ").border_style(Style::new().fg(FOCUS));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), popup);
}

/// The selected item, described line by line.
pub fn details(app: &DirectorApp) -> (String, Vec<String>) {
    let pretty = |v: serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}: {s}"),
                    other => format!("{k}: {other}"),
                })
                .collect(),
            other => vec![other.to_string()],
        }
    };
    match app.focus {
        Panel::Assets => match app.assets().get(app.selection(Panel::Assets)) {
            Some(a) => {
                let mut lines = pretty(serde_json::to_value(*a).unwrap_or_default());
                // A summarised view: how its organisation fares as a whole.
                if let Some(o) = app.view.as_ref().and_then(|v| v.organisations.iter().find(|o| o.id == a.organisation))
                {
                    lines.push(format!(
                        "{}: {} of {} assets affected, {} compromised, {} isolated, lowest level {}",
                        o.id,
                        o.affected,
                        o.assets,
                        o.compromised,
                        o.isolated,
                        cascade_engine::view::percent(o.lowest_level, 1000u16)
                    ));
                }
                (format!("Asset {}", a.id), lines)
            }
            None => (String::new(), Vec::new()),
        },
        Panel::Incidents => match app.incidents().get(app.selection(Panel::Incidents)) {
            Some(i) => {
                let mut lines = vec![format!("state: {}", incident_state(i).2)];
                lines.extend(pretty(serde_json::to_value(*i).unwrap_or_default()));
                (format!("Incident {}", i.id), lines)
            }
            None => (String::new(), Vec::new()),
        },
        Panel::Teams => match app.teams().get(app.selection(Panel::Teams)) {
            Some(t) => {
                let mut lines = pretty(serde_json::to_value(*t).unwrap_or_default());
                if let Some(n) = app.connections(&t.id) {
                    lines.push(format!("connections: {n}"));
                }
                if let Some(v) = &app.view {
                    for p in v.pending.iter().filter(|p| p.team == t.id) {
                        lines.push(format!(
                            "pending: {} t{}→t{} ({} staff)",
                            crate::command::describe(&p.command),
                            p.started,
                            p.finish,
                            p.staff
                        ));
                    }
                }
                (format!("Team {}", t.id), lines)
            }
            None => (String::new(), Vec::new()),
        },
        Panel::Timeline => match app.timeline().get(app.selection(Panel::Timeline)) {
            Some(TimelineRow::Event(e)) => {
                let mut lines = vec![format!("tick {}  {}", e.tick, e.kind), format!("who {}", e.who), String::new()];
                lines.extend(e.text.lines().map(str::to_string));
                (format!("Event at tick {}", e.tick), lines)
            }
            Some(TimelineRow::Message(m)) => {
                let mut lines = vec![
                    format!("tick {}  {:?}  {}", m.tick, m.kind, m.tlp.label()),
                    format!("from {}", m.from),
                    format!("to {}", if m.to.is_empty() { "all".to_string() } else { m.to.join(", ") }),
                ];
                if let Some(i) = &m.incident {
                    lines.push(format!("incident {i}"));
                }
                lines.push(String::new());
                lines.extend(m.text.lines().map(str::to_string));
                (format!("Message #{}", m.index), lines)
            }
            None => (String::new(), Vec::new()),
        },
        Panel::Objectives => match app.objectives().get(app.selection(Panel::Objectives)) {
            Some(o) => (format!("Objective {}", o.id), pretty(serde_json::to_value(*o).unwrap_or_default())),
            None => (String::new(), Vec::new()),
        },
    }
}

fn details_popup(frame: &mut Frame, area: Rect, app: &DirectorApp) {
    let (title, lines) = details(app);
    let lines: Vec<Line> = lines.into_iter().map(Line::raw).collect();
    // As tall as the lines once wrapped: a long message or note is not cut.
    let width = area.width.saturating_sub(4).min(100);
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = paragraph.line_count(width.saturating_sub(2)).min(usize::from(u16::MAX)) as u16;
    let popup = centred(area, width, rows.saturating_add(2));
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(format!(" {title} — Esc to close ")).border_style(Style::new().fg(FOCUS));
    frame.render_widget(paragraph.block(block), popup);
}

/// How players join: the lines of the `J` overlay.
pub fn join_lines(app: &DirectorApp) -> Vec<Line<'static>> {
    let Some(kit) = &app.join else { return vec![Line::raw("the host has not said how players join")] };
    let mut lines = vec![
        Line::from(vec![Span::styled("Portal (browsers)  ", dim()), Span::raw(format!("{}/", kit.portal))]),
        Line::from(vec![Span::styled("cascade play, bots ", dim()), Span::raw(kit.websocket.clone())]),
    ];
    if let Some(fingerprint) = &kit.fingerprint {
        lines.push(Line::from(vec![Span::styled("Certificate SHA-256 ", dim()), Span::raw(fingerprint.clone())]));
    }
    if kit.loopback_only {
        lines.push(Line::styled(
            "⚠ loopback only: no other machine can join. Restart with --addr 0.0.0.0:PORT for the room's network.",
            Style::new().fg(Color::Yellow).bold(),
        ));
    }
    lines.push(Line::from(vec![
        Span::styled("Join kit           ", dim()),
        Span::raw(format!("{}/index.html (a page per team to hand out; links.csv)", kit.directory)),
    ]));
    lines.push(Line::styled("Each link holds its team's token: give it to that team only.", dim()));
    lines.push(Line::raw(""));
    for team in &kit.teams {
        lines.push(Line::from(vec![Span::styled(format!("{} ({})", team.name, team.team), Style::new().bold())]));
        lines.push(Line::raw(format!("  {}", team.link)));
    }
    lines
}

fn join_popup(frame: &mut Frame, area: Rect, app: &DirectorApp) {
    let lines = join_lines(app);
    let popup = centred(area, area.width.saturating_sub(2).min(110), area.height.saturating_sub(2));
    frame.render_widget(Clear, popup);
    let block =
        Block::bordered().title(" How players join — j k scroll, Esc to close ").border_style(Style::new().fg(FOCUS));
    let inner_height = usize::from(popup.height.saturating_sub(2));
    // Scrolling stops once the last row is shown (a long line wraps to more).
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = paragraph.line_count(popup.width.saturating_sub(2));
    let scroll = app.join_scroll.min(rows.saturating_sub(inner_height)) as u16;
    frame.render_widget(paragraph.scroll((scroll, 0)).block(block), popup);
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &DirectorApp) {
    // Viewing as a team: the player's own screen, from the team's view.
    if let Some(player) = &app.viewing {
        crate::ui::draw(frame, player);
        return;
    }
    let area = frame.area();
    let [top, middle, status, hints] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1), Constraint::Length(1)])
            .areas(area);
    frame.render_widget(Paragraph::new(header(app, area.width)).style(Style::new().reversed()), top);
    body(frame, middle, app);
    frame.render_widget(Paragraph::new(status_line(app)), status);
    let prompt = match (app.mode, &app.replay) {
        (Mode::Filter, _) => Some(format!("/{}", app.filter)),
        (Mode::Goto, Some(r)) => Some(format!("go to tick or time (Enter, Esc): {}", r.goto)),
        (Mode::Note, _) => Some(format!("note [@team #objective ~capability !P|S|M|U] text: {}", app.note)),
        (Mode::ViewAsPrompt, _) => {
            Some(format!("view the exercise as team (Tab completes; Enter, Esc): {}", app.view_as_input))
        }
        _ => None,
    };
    if let Some(shown) = prompt {
        let cursor = shown.chars().count() as u16;
        frame.render_widget(Paragraph::new(shown), hints);
        frame.set_cursor_position(Position::new(hints.x + cursor.min(hints.width.saturating_sub(1)), hints.y));
    } else {
        let keys = if matches!(app.mode, Mode::Msel | Mode::ConfirmMsel) {
            "j k move  f fire now  h hold  r release  x skip  e edit & send  Esc close"
        } else if app.replay.is_some() {
            "space play  +/- speed  s/S step ±1  n/N event  t go to  b branch  ? help  q quit"
        } else {
            "space pause/resume  +/- speed  s step  i inject  m MSEL  E end  / filter  ? help  q quit"
        };
        let mut spans = vec![Span::styled(keys, dim())];
        if !app.filter.is_empty() {
            spans.insert(0, Span::styled(format!("/{} (Esc clears)  ", app.filter), Style::new().fg(FOCUS)));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), hints);
    }
    match app.mode {
        Mode::Help => help(frame, area, app),
        Mode::Details => details_popup(frame, area, app),
        Mode::Inject => msel_panel::inject_popup(frame, area, app),
        Mode::Join => join_popup(frame, area, app),
        Mode::Msel | Mode::ConfirmMsel => msel_panel::msel_popup(frame, area, app),
        _ => {}
    }
}

/// The assets panel's title: shown of held, and when the view is summarised
/// (a country of more than `DIRECTOR_ASSETS` assets) what it holds and how to
/// find the others.
fn assets_title(app: &DirectorApp, view: &cascade_engine::view::DirectorView) -> String {
    let shown = app.assets().len();
    match (&app.asset_page, app.summarised()) {
        (Some(page), true) if page.filter == app.filter && !app.filter.is_empty() => {
            format!("Assets ({shown}/{} matching, of {})", page.total, view.assets_total)
        }
        (_, true) => format!("Assets ({shown}/{} worst of {}; / finds others)", view.assets.len(), view.assets_total),
        (_, false) => format!("Assets ({shown}/{})", view.assets.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientEvent;
    use crate::testing::{director_view, key};
    use cascade_engine::wire::{self, ServerMessage};
    use crossterm::event::KeyCode;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;

    fn app() -> DirectorApp {
        let mut a = DirectorApp::new("ws://127.0.0.1:7878");
        a.on_client(ClientEvent::Connection(Connection::Connected));
        a.on_client(ClientEvent::Frame(ServerMessage::Welcome {
            team: "director".into(),
            role: "director".into(),
            tick: 46,
            protocol: 3,
            scenario: "Test".into(),
            running: false,
            ticks_per_second: 1.0,
        }));
        let mut v = director_view();
        v.tick = 46;
        v.service.national = 1_000_000;
        a.on_client(ClientEvent::Frame(ServerMessage::DirectorSnapshot(Box::new(v))));
        let delta = cascade_engine::view::DirectorDelta::full(&director_view());
        a.on_client(ClientEvent::Frame(ServerMessage::DirectorTick(Box::new(delta))));
        a.on_client(ClientEvent::Frame(ServerMessage::Clock {
            tick: 47,
            running: true,
            ticks_per_second: 2.0,
            ended: false,
            behind_ms: 0,
        }));
        a
    }

    fn render(app: &DirectorApp, width: u16, height: u16) -> Buffer {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| draw(f, app)).unwrap();
        terminal.backend().buffer().clone()
    }

    // The screen as text: the player's screen tests' helpers.
    use crate::ui::tests::{rows, screen};

    fn find(buffer: &Buffer, needle: &str) -> (u16, u16) {
        for y in 0..buffer.area.height {
            let line: String = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol()).collect();
            if let Some(i) = line.find(needle) {
                return (line[..i].chars().count() as u16, y);
            }
        }
        panic!("{needle:?} not on screen:\n{}", screen(buffer));
    }

    /// The console on a recording of 480 ticks, shown at tick 47.
    fn replay_app() -> DirectorApp {
        use crate::replay_state::ReplayState;
        use cascade_replay::player::Event;
        let event = |tick: u64, kind: &str, who: &str, text: &str| Event {
            tick,
            kind: kind.into(),
            who: who.into(),
            text: text.into(),
        };
        let events = vec![
            event(12, "incident", "exercise", "Incident ransom-x starts."),
            event(47, "objective", "piu", "met: PIU activated within 1 hour"),
            event(300, "action", "chem-ops", "recover (bot)"),
        ];
        let labels = (0..=480).map(|t| format!("t{t}")).collect();
        let mut state = ReplayState::new("grey-tuesday.jsonl".into(), 480, events, labels);
        state.last_seek = Some(std::time::Duration::from_micros(420));
        let mut a = DirectorApp::replaying(state);
        a.scenario = "Test".into();
        let v = director_view();
        let national = vec![v.service.national; 481];
        let sectors: Vec<Vec<u64>> = v.service.sectors.iter().map(|s| vec![s.served; 481]).collect();
        a.show_replay(v, &national, &sectors);
        a
    }

    #[test]
    fn a_replay_says_so_and_shows_every_event_at_80x24() {
        let rows_of = |b: &Buffer| rows(b);
        let mut a = replay_app();
        a.focus = Panel::Timeline;
        let b = render(&a, 80, 24);
        let s = screen(&b);
        let rows = rows(&b);
        // At 80 columns the seek time and the PIU give way; the hash stays.
        assert_eq!(rows[0].trim_end(), "Test │ 08:47 t47/480 │ ⏸ paused ×4 │ ⏵ REPLAY │ service 90.0% │ #ab12cd34");
        let wide = rows_of(&render(&a, 120, 30));
        assert!(wide[0].contains("⏵ REPLAY seek 0.4 ms │ service 90.0% │ PIU 2 │ #ab12cd34"), "{}", wide[0]);
        // A long name gives way to everything else.
        a.scenario = "Luxembourg: Grey Tuesday (national cyber-crisis exercise)".into();
        let narrow = rows_of(&render(&a, 80, 24));
        assert!(narrow[0].starts_with("Luxembourg… │ 08:47 t47/480"), "{}", narrow[0]);
        assert!(narrow[0].trim_end().ends_with("#ab12cd34"), "{}", narrow[0]);
        a.scenario = "Test".into();
        for needle in [
            "Timeline (3/3 events)",
            "• t12 incident exercise: Incident ranso",
            "• t47 objective piu: met",
            "· t300 action chem-ops: recover (bot)",
            "s/S step ±1",
            "b branch  ? help  q quit",
        ] {
            assert!(s.contains(needle), "{needle:?} missing:\n{s}");
        }
        assert!(!s.contains("online"), "no connection to show:\n{s}");
        // Events still to come are dimmed; the selection follows the tick.
        let (x, y) = find(&b, "t300 action");
        assert_eq!(b[(x + 5, y)].fg, Color::DarkGray, "{:?}", b[(x + 5, y)]);
        let (x, y) = find(&b, "t12 incident");
        assert_eq!(b[(x + 4, y)].fg, BAD, "{:?}", b[(x + 4, y)]);
        let (x, y) = find(&b, "t47 objective");
        assert!(b[(x, y)].modifier.contains(Modifier::REVERSED));

        a.handle_key(key(KeyCode::Char('b')));
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("Branch a live exercise from t47 (08:47)? y starts it, any other key stays"), "{s}");
        a.handle_key(key(KeyCode::Esc));
        a.handle_key(key(KeyCode::Char('t')));
        a.handle_key(key(KeyCode::Char('9')));
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("go to tick or time (Enter, Esc): 9"), "{s}");
        a.handle_key(key(KeyCode::Esc));
        a.handle_key(key(KeyCode::Char('?')));
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("one tick back") && s.contains("branch: a live exercise"), "{s}");
    }

    #[test]
    fn a_long_live_header_keeps_the_connection_and_the_hash_at_80_columns() {
        let mut a = app();
        a.scenario = "Luxembourg: Grey Tuesday (national cyber-crisis exercise)".into();
        a.on_client(ClientEvent::Connection(Connection::Lost {
            reason: "refused".into(),
            retry_in: std::time::Duration::from_millis(4300),
        }));
        let top = rows(&render(&a, 80, 24))[0].trim_end().to_string();
        assert!(top.contains("✗ offline, retry in 4.3s") && top.ends_with("#ab12cd34"), "{top}");
    }

    #[test]
    fn the_teams_show_who_is_connected() {
        use cascade_engine::wire::TeamPresence;
        let mut a = app();
        let presence = |counts: &[(&str, u32)]| ServerMessage::Presence {
            teams: counts.iter().map(|(t, n)| TeamPresence { team: t.to_string(), connections: *n }).collect(),
        };
        a.on_client(ClientEvent::Frame(presence(&[("chem-ops", 2), ("govcert", 1), ("post-ops", 0)])));
        let s = screen(&render(&a, 80, 24));
        for needle in ["◉●2 chem-ops", "⚙● govcert", "⚙○ post-ops"] {
            assert!(s.contains(needle), "{needle:?} missing:\n{s}");
        }
        a.filter = "offline".into();
        assert_eq!(a.teams().iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["post-ops"]);
        a.filter.clear();
        a.on_client(ClientEvent::Frame(presence(&[("chem-ops", 0), ("govcert", 1), ("post-ops", 0)])));
        let b = render(&a, 80, 24);
        assert!(screen(&b).contains("◉○ chem-ops"), "{}", screen(&b));
        let (x, y) = find(&b, "● govcert");
        assert_eq!(b[(x, y)].fg, OK);
    }

    #[test]
    fn the_console_fits_80x24() {
        let b = render(&app(), 80, 24);
        let s = screen(&b);
        let rows = rows(&b);
        assert_eq!(rows.len(), 24);
        assert!(rows[0].starts_with("Test │ 08:47 t47 │ ▶ running ×2 │ ● online │ service 90.0%"), "{}", rows[0]);
        for needle in [
            "Service, t46–t47",
            "national",
            "█▇",
            "90.0%",
            "telecom",
            "75.0%",
            "▸Assets (4/4)",
            "health 2/3 degraded",
            "✓ chem-it",
            "✗ chem-lab",
            "⛔☣ranso",
            "Incidents (2)",
            "☣ ransom-x s12 d30 c– r– (1)",
            "Teams (3)",
            "◉ chem-ops 4/6 free ⧗1 investigate t40",
            "Timeline (8)",
            "• t40 objective piu: met",
            "Objectives ✓1 ✗0 …1",
            "space pause/resume",
            "E end",
        ] {
            assert!(s.contains(needle), "{needle:?} missing:\n{s}");
        }
        // The selected asset of the focused panel is highlighted.
        let (x, y) = find(&b, "chem-it");
        assert!(b[(x, y)].modifier.contains(Modifier::REVERSED));
        // Readable without colour, coloured too.
        let (x, y) = find(&b, "✗ chem-lab");
        assert_eq!(b[(x, y)].fg, Color::Red);
        let (x, y) = find(&b, "▶ running");
        assert_eq!(b[(x, y)].fg, Color::Green);
    }

    #[test]
    fn a_large_terminal_shows_everything() {
        let b = render(&app(), 160, 48);
        let s = screen(&b);
        for needle in [
            "#ab12cd34",
            "PIU 2",
            "telecom 1/1 degraded",
            "▼ post-core",
            "· ddos-later",
            "⚙ govcert 4/6 free share t30",
            "⚙ post-ops 4/6 free —",
            "t45 TLP:CLEAR EXCON → post-ops: Power cut in Esch",
            "TLP:AMBER GOVCERT.LU → chem-ops: IOC for ransom-x: C2",
            "✓ met t40 PIU activated within 1 hour",
            "… pending Ransomware contained within 2 hours",
        ] {
            assert!(s.contains(needle), "{needle:?} missing:\n{s}");
        }
        // The timeline has a column of its own, right of the teams.
        let (tx, _) = find(&b, "Timeline");
        let (mx, _) = find(&b, "Teams");
        assert!(tx > mx + 20, "{s}");
        let (x, y) = find(&b, "TLP:AMBER");
        assert_eq!(b[(x, y)].bg, Color::Black);
    }

    #[test]
    fn a_clock_behind_its_schedule_says_by_how_much() {
        let mut a = app();
        a.on_client(ClientEvent::Frame(ServerMessage::Clock {
            tick: 47,
            running: true,
            ticks_per_second: 2.0,
            ended: false,
            behind_ms: 2345,
        }));
        let b = render(&a, 100, 24);
        let (x, y) = find(&b, "▶ running ×2, 2.3s behind");
        assert_eq!(b[(x, y)].fg, WARN, "shown as a warning");
        // Back on time: the plain running state again.
        a.on_client(ClientEvent::Frame(ServerMessage::Clock {
            tick: 48,
            running: true,
            ticks_per_second: 2.0,
            ended: false,
            behind_ms: 0,
        }));
        let s = screen(&render(&a, 100, 24));
        assert!(s.contains("▶ running ×2") && !s.contains("behind"), "{s}");
    }

    #[test]
    fn paused_ended_and_offline_headers() {
        let mut a = app();
        a.clock.running = false;
        assert!(screen(&render(&a, 80, 24)).contains("⏸ paused ×2"));
        a.clock.ended = true;
        assert!(screen(&render(&a, 80, 24)).contains("■ ended"));
        a.on_client(ClientEvent::Connection(Connection::Lost {
            reason: "gone".into(),
            retry_in: std::time::Duration::from_secs(2),
        }));
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("✗ offline, retry in 2.0s") && s.contains("Assets (4/4)"), "{s}");
        // A server that stops sending while running shows as silent.
        let mut a = app();
        for _ in 0..50 {
            a.on_frame_tick();
        }
        assert!(screen(&render(&a, 80, 24)).contains("⚠ server silent 5s"));
        // Before the welcome.
        let a = DirectorApp::new("ws://127.0.0.1:9");
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("Connecting to ws://127.0.0.1:9") && s.contains("◌ connecting"), "{s}");
    }

    #[test]
    fn focus_filter_and_details_render() {
        let mut a = app();
        a.handle_key(key(KeyCode::Tab));
        a.handle_key(key(KeyCode::Tab));
        let b = render(&a, 80, 24);
        let (x, y) = find(&b, "▸Teams (3)");
        assert_eq!(b[(x + 1, y)].fg, FOCUS);
        a.handle_key(key(KeyCode::Char('j')));
        a.handle_key(key(KeyCode::Enter));
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("Team govcert — Esc to close") && s.contains("role: Csirt"), "{s}");
        a.handle_key(key(KeyCode::Esc));
        a.handle_key(key(KeyCode::Char('/')));
        for c in "post".chars() {
            a.handle_key(key(KeyCode::Char(c)));
        }
        let b = render(&a, 80, 24);
        let r = rows(&b);
        assert_eq!(r[23].trim_end(), "/post");
        let s = screen(&b);
        assert!(s.contains("Assets (1/4)") && s.contains("Teams (1)") && s.contains("no incidents match /post"), "{s}");
    }

    #[test]
    fn the_inject_form_and_confirmation_render() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('i')));
        for c in "chem".chars() {
            a.handle_key(key(KeyCode::Char(c)));
        }
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("Inject — Enter next/send") && s.contains("▸To       chem") && s.contains("From     EXCON"));
        assert!(s.contains("TLP      TLP:RED  (Ctrl-T changes)"), "{s}");
        // With the host's MSEL, Ctrl-N loads an entry and says which.
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("Ctrl-N/Ctrl-P: load one of the 3 MSEL injects"), "{s}");
        a.handle_key(crossterm::event::KeyEvent::new(KeyCode::Char('n'), crossterm::event::KeyModifiers::CONTROL));
        let s = screen(&render(&a, 80, 24));
        // storm-warning fired already: a copy, a new inject.
        assert!(s.contains("MSEL 1/3: a copy of storm-warning") && s.contains("Storm warning for the whole"), "{s}");
        assert!(s.contains("Method   Phone"), "{s}");
        // press-call waits: sent in its place.
        a.handle_key(crossterm::event::KeyEvent::new(KeyCode::Char('n'), crossterm::event::KeyModifiers::CONTROL));
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("MSEL 2/3 in place of press-call"), "{s}");
        a.handle_key(key(KeyCode::Esc));
        a.handle_key(key(KeyCode::Char('q')));
        let b = render(&a, 80, 24);
        let (_, y) = find(&b, "quit the console?");
        assert_eq!(y, 22);
    }

    #[test]
    fn the_inject_message_wraps_and_the_cursor_follows_its_end() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('i')));
        a.inject.field = crate::director::Field::Message;
        let text = "Kirchberg substation fire: the fire brigade asks every operator on the plateau to report \
                    which sites run on generators and for how long their fuel lasts";
        for c in text.chars() {
            a.handle_key(key(KeyCode::Char(c)));
        }
        let b = render(&a, 80, 24);
        let s = screen(&b);
        // Every word is on screen, over several rows, none cut at the edge.
        for word in ["Kirchberg", "plateau", "generators", "lasts"] {
            assert!(s.contains(word), "{word} missing:\n{s}");
        }
        let (_, first) = find(&b, "Kirchberg");
        let (x, last) = find(&b, "lasts");
        assert!(last > first, "the message wraps:\n{s}");
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|f| draw(f, &a)).unwrap();
        let cursor = terminal.get_cursor_position().unwrap();
        assert_eq!((cursor.x, cursor.y), (x + 5, last), "the cursor sits after the last character");
    }

    #[test]
    fn the_msel_panel_shows_times_states_and_the_selected_inject() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('m')));
        let s = screen(&render(&a, 120, 30));
        assert!(s.contains("MSEL — j k move, f fire now, h hold"), "{s}");
        assert!(s.contains("08:30") && s.contains("storm-warning") && s.contains("✓ fired 08:30"), "{s}");
        assert!(s.contains("▸ 09:00") && s.contains("· waiting"), "{s}");
        assert!(s.contains("when incident ransom") && s.contains("all teams") && s.contains("TLP:CLEAR"), "{s}");
        // The selected inject in full: sender, message, what is expected.
        assert!(s.contains("from ILR duty officer") && s.contains("expected: File the NIS2 early warning"), "{s}");
        // Held and hand-fired injects say so.
        let v = a.view.as_mut().unwrap();
        v.msel[2].status = cascade_engine::view::MselStatus::Held;
        v.msel[2].since_time = "08:47".into();
        let s = screen(&render(&a, 120, 30));
        assert!(s.contains("⏸ held 08:47"), "{s}");
        // A recording's MSEL is read only.
        let s80 = screen(&render(&a, 80, 24));
        assert!(s80.contains("regulator-call"), "{s80}");
        a.handle_key(key(KeyCode::Char('f')));
        let s = screen(&render(&a, 120, 30));
        assert!(s.contains("fire regulator-call now? y / n"), "{s}");
    }

    #[test]
    fn details_wrap_a_long_message_whole() {
        let mut a = app();
        let text = format!("{} THE-END-MARK", "a long inject message that goes on ".repeat(8));
        a.messages
            .insert(900, crate::testing::message(900, 46, "RTL", None, cascade_engine::scenario::Tlp::Clear, &text));
        a.focus = Panel::Timeline;
        let row = a.timeline().iter().position(|r| matches!(r, TimelineRow::Message(m) if m.index == 900)).unwrap();
        a.selected.insert(Panel::Timeline, row);
        a.handle_key(key(KeyCode::Enter));
        assert_eq!(a.mode, Mode::Details);
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("THE-END-MARK"), "the message's end is shown:\n{s}");
    }

    #[test]
    fn j_shows_how_players_join_and_scrolls_through_every_team() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('J')));
        assert_eq!(a.mode, Mode::Normal, "nothing to show before the host sends it");
        assert!(a.status.as_ref().is_some_and(|(_, s)| s.contains("not said how players join")));
        let teams: Vec<wire::JoinLink> = (0..30)
            .map(|i| wire::JoinLink {
                team: format!("team-{i}"),
                name: format!("Team {i}"),
                link: format!("http://127.0.0.1:7878/#join=tok{i:02}"),
            })
            .collect();
        a.on_client(ClientEvent::Frame(ServerMessage::JoinKit(Box::new(wire::JoinKit {
            portal: "http://127.0.0.1:7878".into(),
            websocket: "ws://127.0.0.1:7878".into(),
            loopback_only: true,
            fingerprint: Some("AB:CD".into()),
            directory: "journals/x.jsonl.join".into(),
            teams,
        }))));
        a.handle_key(key(KeyCode::Char('J')));
        assert_eq!(a.mode, Mode::Join);
        let s = screen(&render(&a, 100, 30));
        for needle in [
            "http://127.0.0.1:7878/",
            "ws://127.0.0.1:7878",
            "AB:CD",
            "loopback only",
            "x.jsonl.join/index.html",
            "Team 0 (team-0)",
            "#join=tok00",
        ] {
            assert!(s.contains(needle), "{needle:?} missing:\n{s}");
        }
        assert!(!s.contains("tok29"), "the last team is below the fold:\n{s}");
        for _ in 0..100 {
            a.handle_key(key(KeyCode::Char('j')));
        }
        let s = screen(&render(&a, 100, 30));
        assert!(s.contains("#join=tok29"), "scrolled to the last team:\n{s}");
        a.handle_key(key(KeyCode::Esc));
        assert_eq!(a.mode, Mode::Normal);
    }

    #[test]
    fn help_lists_every_key_and_fits_80x24() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('?')));
        let s = screen(&render(&a, 80, 24));
        for needle in ["pause / resume", "step one tick", "write an inject", "filter every list", "details", "quit"] {
            assert!(s.contains(needle), "{needle:?} missing:\n{s}");
        }
        for line in HELP.iter().chain(REPLAY_HELP) {
            assert!(Span::raw(*line).width() <= 76, "{line}");
        }
        assert!(HELP.len() + 2 <= 24 && REPLAY_HELP.len() + 2 <= 24, "the overlays fit 24 rows");
        // Configured keys are listed first.
        a.keys = crate::keymap::KeyMap::parse(r#"{"pause": "p", "branch": "F5"}"#).unwrap();
        let s = screen(&render(&a, 100, 30));
        assert!(s.contains("Your keys: F5 branch  p pause"), "{s}");
        // At 80x24 with many keys, the help's own lines all stay.
        let many: Vec<String> = crate::keymap::ACTIONS
            .iter()
            .enumerate()
            .map(|(i, (action, ..))| format!("\"{action}\": \"F{}\"", 1 + i % 12))
            .take(12)
            .collect();
        a.keys = crate::keymap::KeyMap::parse(&format!("{{{}}}", many.join(", "))).unwrap();
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("Your keys: F1 pause") || s.contains("Your keys:"), "{s}");
        for line in HELP {
            assert!(s.contains(line.trim()), "{line:?} cut:\n{s}");
        }
    }

    #[test]
    fn sparklines_scale_to_permille() {
        assert_eq!(spark([1000, 500, 1, 0].iter(), 10), "█▄▁ ");
        assert_eq!(spark([1000, 900, 800].iter(), 2), "▇▆");
    }

    #[test]
    fn tiny_terminals_do_not_panic() {
        let mut a = app();
        for mode in ['x', '?', 'i'] {
            a.mode = Mode::Normal;
            a.handle_key(key(KeyCode::Char(mode)));
            for (w, h) in [(1, 1), (10, 5), (30, 8), (80, 6), (200, 60)] {
                render(&a, w, h);
            }
        }
        a.mode = Mode::Normal;
        a.handle_key(key(KeyCode::Enter));
        render(&a, 20, 5);
    }
}
