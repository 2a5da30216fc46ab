//! Drawing `cascade play`'s screen from the [`App`] state (nothing else).
//!
//! ```text
//! team (role) │ 08:47 t47 │ ▶ running ×1 │ ● online │ staff 4/6 free
//! ── Assets (3) ─────────────────────── ── Messages (2) ───────────────────
//! ✓ chem-it      ████████  1000/1000    t40 TLP:CLEAR RTL journalist
//! ✗ chem-scada   ██▒▒▒▒░░   200/ 600 ⛔☣   Is the hospital affected?
//! ── Outages elsewhere (1) ────────────── ── Deadlines (1) ──────────────────
//! ── Pending (1) ──────────────────────── ── Objectives (1) ─────────────────
//! status line: the last command's answer, or completions
//! : command line
//! ```
//!
//! State symbols carry the meaning without colour: ✓ ok, ▼ degraded, ✗ down,
//! ⛔ isolated, ☣ compromised (detected), ⚒ hardened. TLP labels are written out
//! and coloured as TLP 2.0 specifies (on black).

use cascade_engine::exercise::Status;
use cascade_engine::scenario::Tlp;
use cascade_engine::view::{AssetView, TeamView};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::{App, Mode, Tone};
use crate::client::{CommandStatus, Connection};
use crate::command::describe;

/// TLP 2.0 colours: the label's text colour, on black.
pub fn tlp_style(tlp: Tlp) -> Style {
    let fg = match tlp {
        Tlp::Red => Color::Rgb(0xFF, 0x2B, 0x2B),
        Tlp::Amber | Tlp::AmberStrict => Color::Rgb(0xFF, 0xC0, 0x00),
        Tlp::Green => Color::Rgb(0x33, 0xFF, 0x00),
        Tlp::Clear => Color::Rgb(0xFF, 0xFF, 0xFF),
    };
    Style::new().fg(fg).bg(Color::Black).add_modifier(Modifier::BOLD)
}

const OK: Color = Color::Green;
const WARN: Color = Color::Yellow;
const BAD: Color = Color::Red;

pub(crate) fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// The symbol and colour of a service level.
pub fn level_symbol(level: u16) -> (&'static str, Color) {
    match level {
        1000.. => ("✓", OK),
        0 => ("✗", BAD),
        _ => ("▼", WARN),
    }
}

pub(crate) fn panel(title: String) -> Block<'static> {
    Block::new().borders(Borders::TOP).border_style(dim()).title(Span::styled(title, Style::new().bold()))
}

/// Cuts `s` to `width` characters, with an ellipsis when cut.
pub(crate) fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        format!("{s:<width$}")
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

/// A bar of `width` cells: █ up to the level, ▒ from the level to the
/// integrity, ░ for what is lost (the level never exceeds the integrity).
pub fn bar(level: u16, integrity: u16, width: usize) -> (String, String, String) {
    let cells = |v: u16| (usize::from(v.min(1000)) * width).div_ceil(1000);
    let full = cells(level);
    let mid = cells(integrity.max(level)).saturating_sub(full);
    let rest = width.saturating_sub(full + mid);
    ("█".repeat(full), "▒".repeat(mid), "░".repeat(rest))
}

/// The flags after an asset's bar: ⛔ isolated, ⚒ hardened, ☣ and the
/// incidents detected on it.
fn asset_flags(a: &AssetView) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if a.isolated {
        spans.push(Span::styled("⛔", Style::new().fg(Color::Magenta)));
    }
    if a.hardened {
        spans.push(Span::styled("⚒", Style::new().fg(Color::Cyan)));
    }
    if !a.compromised.is_empty() {
        spans.push(Span::styled(format!("☣{}", a.compromised.join(",")), Style::new().fg(BAD).bold()));
    }
    spans
}

/// Column widths of the assets panel: (id, bar).
pub(crate) fn asset_columns(assets: &[AssetView], width: usize) -> (usize, usize) {
    // Fixed parts: symbol and space, a space after the id, " 1000/1000 ".
    let fixed = 14;
    let longest_id = assets.iter().map(|a| a.id.chars().count()).max().unwrap_or(4);
    let flags = assets.iter().map(|a| asset_flags(a).iter().map(Span::width).sum::<usize>()).max().unwrap_or(0);
    let room = width.saturating_sub(fixed);
    let id_width = longest_id.clamp(4, (room / 2).max(4));
    let bar_width = room.saturating_sub(id_width + flags.min(room / 3)).clamp(3, 20);
    (id_width, bar_width)
}

pub(crate) fn asset_line(a: &AssetView, id_width: usize, bar_width: usize) -> Line<'static> {
    let (symbol, colour) = level_symbol(a.level);
    let (full, mid, rest) = bar(a.level, a.integrity, bar_width);
    let mut spans = vec![
        Span::styled(symbol, Style::new().fg(colour).bold()),
        Span::raw(" "),
        Span::raw(fit(&a.id, id_width)),
        Span::raw(" "),
        Span::styled(full, Style::new().fg(colour)),
        Span::styled(mid, Style::new().fg(colour).add_modifier(Modifier::DIM)),
        Span::styled(rest, dim()),
        Span::raw(format!(" {:>4}/{:>4} ", a.level, a.integrity)),
    ];
    spans.extend(asset_flags(a));
    Line::from(spans)
}

fn status_style(status: &str) -> (String, Style) {
    match status {
        "open" => ("open".into(), Style::new().fg(WARN)),
        "on_time" => ("on time".into(), Style::new().fg(OK)),
        "late" => ("late".into(), Style::new().fg(BAD)),
        "overdue" => ("OVERDUE".into(), Style::new().fg(BAD).bold()),
        other => (other.to_string(), Style::new()),
    }
}

fn header(app: &App) -> Line<'static> {
    let sep = || Span::styled(" │ ", dim());
    let team = app.team.clone().unwrap_or_else(|| "—".to_string());
    let mut spans = vec![Span::styled(team, Style::new().bold())];
    if !app.role.is_empty() {
        spans.push(Span::raw(format!(" ({})", app.role)));
    }
    spans.push(sep());
    let clock = app.view.as_ref().map(|v| v.clock.clone()).unwrap_or_else(|| "--:--".into());
    spans.push(Span::raw(format!("{clock} t{}", app.clock.tick)));
    spans.push(sep());
    spans.push(if app.clock.ended {
        Span::styled("■ ended", Style::new().fg(BAD))
    } else if app.clock.running {
        Span::styled(format!("▶ running ×{}", app.clock.ticks_per_second), Style::new().fg(OK))
    } else {
        Span::styled("⏸ paused", Style::new().fg(WARN))
    });
    spans.push(sep());
    spans.push(match &app.connection {
        Connection::Connected => Span::styled("● online", Style::new().fg(OK)),
        Connection::Connecting { attempt: 1 } => Span::styled("◌ connecting", Style::new().fg(WARN)),
        Connection::Connecting { attempt } => Span::styled(format!("◌ reconnecting #{attempt}"), Style::new().fg(WARN)),
        Connection::Lost { retry_in, .. } => {
            Span::styled(format!("✗ offline, retry in {:.1}s", retry_in.as_secs_f32()), Style::new().fg(BAD).bold())
        }
        Connection::Closed { .. } => Span::styled("✗ disconnected", Style::new().fg(BAD).bold()),
    });
    if let Some(v) = &app.view {
        spans.push(sep());
        spans.push(Span::raw(format!("staff {}/{} free", v.staff.saturating_sub(v.busy), v.staff)));
        if let Some(permille) = v.service.national.saturating_mul(1000).checked_div(v.service.population) {
            spans.push(sep());
            spans.push(Span::raw(format!("service {}.{}%", permille / 10, permille % 10)));
        }
        if v.piu.active_since.is_some() {
            spans.push(sep());
            spans.push(Span::styled(format!("PIU level {}", v.piu.level), Style::new().fg(WARN).bold()));
        }
    }
    Line::from(spans)
}

fn assets_panel(frame: &mut Frame, area: Rect, view: &TeamView) {
    let block = panel(format!(" Assets ({}) ", view.assets.len()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (id_width, bar_width) = asset_columns(&view.assets, usize::from(inner.width));
    let lines: Vec<Line> = if view.assets.is_empty() {
        vec![Line::styled("no assets", dim())]
    } else {
        view.assets.iter().map(|a| asset_line(a, id_width, bar_width)).collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

fn outages_panel(frame: &mut Frame, area: Rect, view: &TeamView) {
    let block = panel(format!(" Outages elsewhere ({}) ", view.outages.len()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = if view.outages.is_empty() {
        vec![Line::styled("none", dim())]
    } else {
        view.outages
            .iter()
            .map(|o| {
                let (symbol, colour) = level_symbol(o.level);
                let owner =
                    if o.name.is_empty() { o.organisation.clone() } else { format!("{} ({})", o.name, o.organisation) };
                Line::from(vec![
                    Span::styled(symbol, Style::new().fg(colour).bold()),
                    Span::raw(format!(" {} {:>4} ", o.id, o.level)),
                    Span::styled(owner, dim()),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

fn pending_panel(frame: &mut Frame, area: Rect, app: &App, view: &TeamView) {
    let unresolved: Vec<_> = app.commands.unresolved().rev().collect();
    let block = panel(format!(" Pending ({}) ", view.pending.len() + unresolved.len()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = view
        .pending
        .iter()
        .map(|p| {
            Line::from(vec![
                Span::styled("⧗ ", Style::new().fg(WARN)),
                Span::raw(describe(&p.command)),
                Span::styled(format!(" t{}→t{} ({} staff)", p.started, p.finish, p.staff), dim()),
            ])
        })
        .collect();
    for (_, c) in unresolved {
        let state = match c.status {
            CommandStatus::Acked { tick } => format!(" accepted for t{tick}"),
            _ => " sent".to_string(),
        };
        lines.push(Line::from(vec![
            Span::styled("… ", dim()),
            Span::raw(describe(&c.action)),
            Span::styled(state, dim()),
        ]));
    }
    if lines.is_empty() {
        lines.push(Line::styled("nothing running", dim()));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn messages_panel(frame: &mut Frame, area: Rect, app: &App, team: &str) {
    let block = panel(format!(" Messages ({}) ", app.messages.len()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = Vec::new();
    for m in app.messages.values().rev() {
        let mut head = vec![
            Span::styled(format!("t{} ", m.tick), dim()),
            Span::styled(m.tlp.label(), tlp_style(m.tlp)),
            Span::raw(" "),
            Span::styled(m.from.clone(), Style::new().bold()),
        ];
        if let Some(sender) = &m.sender_team
            && sender != &m.from
        {
            head.push(Span::styled(format!(" ({sender})"), dim()));
        }
        let others: Vec<&str> = m.to.iter().map(String::as_str).filter(|t| *t != team).collect();
        if !others.is_empty() {
            head.push(Span::styled(format!(" → {}", others.join(",")), dim()));
        }
        if let Some(i) = &m.incident {
            head.push(Span::styled(format!(" ☣{i}"), Style::new().fg(BAD)));
        }
        lines.push(Line::from(head));
        for text_line in m.text.lines() {
            lines.push(Line::raw(format!("  {text_line}")));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled("no messages yet", dim()));
    }
    let paragraph = Paragraph::new(Text::from(lines)).wrap(Wrap { trim: false }).scroll((app.scroll, 0));
    frame.render_widget(paragraph, inner);
}

fn deadlines_panel(frame: &mut Frame, area: Rect, view: &TeamView) {
    let block = panel(format!(" Deadlines ({}), due tick ", view.deadlines.len()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut deadlines: Vec<_> = view.deadlines.iter().collect();
    // Unfiled first, by due tick.
    deadlines.sort_by_key(|d| (d.filed.is_some(), d.due.unwrap_or(u64::MAX)));
    let rows: Vec<_> = deadlines
        .iter()
        .map(|d| {
            let (status, style) = status_style(&d.status);
            let when = match (d.filed, d.due) {
                (Some(f), _) => format!("filed t{f}"),
                (None, Some(due)) => format!("t{due}"),
                (None, None) => "not due".to_string(),
            };
            (status, style, when, format!("{}/{} {}", d.regime, d.stage, d.incident))
        })
        .collect();
    // Columns as wide as their widest entry: "open t1460 nis2/early-warning ransom-x".
    let status_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let when_width = rows.iter().map(|r| r.2.chars().count()).max().unwrap_or(0);
    let lines: Vec<Line> = if rows.is_empty() {
        vec![Line::styled("no reports owed", dim())]
    } else {
        rows.into_iter()
            .map(|(status, style, when, what)| {
                Line::from(vec![
                    Span::styled(format!("{status:<status_width$} "), style),
                    Span::styled(format!("{when:<when_width$} "), dim()),
                    Span::raw(what),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

fn objectives_panel(frame: &mut Frame, area: Rect, view: &TeamView) {
    let block = panel(format!(" Objectives ({}) ", view.objectives.len()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = if view.objectives.is_empty() {
        vec![Line::styled("none for this team", dim())]
    } else {
        view.objectives
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
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Rows for a list panel: its title line plus up to `max` items (at least one
/// row for "none").
fn rows(items: usize, max: usize) -> u16 {
    (items.clamp(1, max.max(1)) + 1) as u16
}

fn body(frame: &mut Frame, area: Rect, app: &App) {
    let Some(view) = &app.view else {
        let text = match &app.connection {
            Connection::Closed { reason } => format!("Disconnected from {}: {reason}", app.url),
            Connection::Lost { reason, .. } => format!("Cannot reach {}: {reason}", app.url),
            _ => format!("Connecting to {}…", app.url),
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    };
    let wide = area.width >= 100;
    let [left, right] = Layout::horizontal([Constraint::Percentage(if wide { 45 } else { 50 }), Constraint::Fill(1)])
        .spacing(1)
        .areas(area);
    let h = usize::from(area.height);
    let [assets, outages, pending] = Layout::vertical([
        Constraint::Length(rows(view.assets.len(), h.saturating_sub(6))),
        Constraint::Length(rows(view.outages.len(), if h > 30 { 8 } else { 3 })),
        Constraint::Fill(1),
    ])
    .areas(left);
    assets_panel(frame, assets, view);
    outages_panel(frame, outages, view);
    pending_panel(frame, pending, app, view);
    let [messages, deadlines, objectives] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(rows(view.deadlines.len(), if h > 30 { 8 } else { 4 })),
        Constraint::Length(rows(view.objectives.len(), if h > 30 { 6 } else { 3 })),
    ])
    .areas(right);
    messages_panel(frame, messages, app, &view.team);
    deadlines_panel(frame, deadlines, view);
    objectives_panel(frame, objectives, view);
}

fn status_line(app: &App) -> Line<'static> {
    if app.mode == Mode::Command
        && let Some(c) = &app.completion
    {
        let mut spans = vec![Span::styled("Tab: ", dim())];
        for (i, candidate) in c.candidates.iter().enumerate() {
            let style = if c.index == Some(i) { Style::new().reversed() } else { Style::new() };
            spans.push(Span::styled(candidate.clone(), style));
            spans.push(Span::raw("  "));
        }
        return Line::from(spans);
    }
    status_text(&app.status)
}

/// The status line's text: the last command's fate, coloured by its tone.
pub(crate) fn status_text(status: &Option<(Tone, String)>) -> Line<'static> {
    match status {
        Some((tone, text)) => {
            let style = match tone {
                Tone::Info => Style::new(),
                Tone::Good => Style::new().fg(OK),
                Tone::Bad => Style::new().fg(BAD),
            };
            Line::styled(text.clone(), style)
        }
        None => Line::styled("ready", dim()),
    }
}

/// Every key and the command syntax, for the `?` overlay.
pub const HELP: &[&str] = &[
    "Keys",
    "  : or /      open the command line       Enter   send the command",
    "  Tab         complete (again: next)     ↑ ↓     command history",
    "  Esc         close the line / help      Ctrl-U  clear  Ctrl-W  word",
    "  j k ↑ ↓     scroll messages            PgUp PgDn  Home (newest)",
    "  ?  F1       this help                  q  Ctrl-C  quit",
    "Commands",
    "  investigate | isolate | restore | harden ASSET",
    "  share TEAM[,TEAM] TLP [INCIDENT|-] TEXT",
    "  report REGIME STAGE INCIDENT           classify INCIDENT",
    "  request_assistance CSIRT               public_statement TEXT",
    "  activate_piu LEVEL | set_piu_level LEVEL  (1-4)",
    "  message TEAM[,TEAM] [TLP] TEXT         (default TLP:RED)",
    "  TLP: clear green amber amber+strict red",
    "Symbols",
    "  ✓ ok  ▼ degraded  ✗ down  ⛔ isolated  ☣ compromised  ⚒ hardened",
    "  bar: █ level  ▒ integrity above the level  ░ lost; numbers level/integrity",
    "  ⧗ action running  … sent, not yet applied",
];

fn help(frame: &mut Frame, area: Rect) {
    let width = area.width.min(78);
    let height = area.height.min(HELP.len() as u16 + 2);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(" Help — Esc or ? to close ").border_style(Style::new().fg(Color::Cyan));
    let lines: Vec<Line> = HELP
        .iter()
        .map(|l| if l.starts_with(' ') { Line::raw(*l) } else { Line::styled(*l, Style::new().bold()) })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let [top, middle, status, input] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1), Constraint::Length(1)])
            .areas(area);
    frame.render_widget(Paragraph::new(header(app)).style(Style::new().reversed()), top);
    body(frame, middle, app);
    frame.render_widget(Paragraph::new(status_line(app)), status);
    match app.mode {
        Mode::Command => {
            let shown = format!(":{}", app.input);
            // Keep the end of a long line in view.
            let width = usize::from(input.width.max(1)) - 1;
            let count = shown.chars().count();
            let visible: String = shown.chars().skip(count.saturating_sub(width)).collect();
            let cursor = visible.chars().count() as u16;
            frame.render_widget(Paragraph::new(visible), input);
            frame.set_cursor_position(Position::new(input.x + cursor.min(input.width.saturating_sub(1)), input.y));
        }
        _ => {
            let hints = ": command  Tab complete  ? help  j/k scroll  q quit";
            frame.render_widget(Paragraph::new(Line::styled(hints, dim())), input);
        }
    }
    if app.mode == Mode::Help {
        help(frame, area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientEvent;
    use crate::testing::{key, sample_view, type_str};
    use cascade_engine::wire::ServerMessage;
    use crossterm::event::KeyCode;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;

    fn app() -> App {
        let mut app = App::new("ws://127.0.0.1:7878");
        app.on_client(ClientEvent::Frame(ServerMessage::Welcome {
            team: "chem-ops".into(),
            role: "operator".into(),
            tick: 47,
            protocol: 1,
            scenario: "Test".into(),
            running: true,
            ticks_per_second: 1.0,
        }));
        app.on_client(ClientEvent::Connection(Connection::Connected));
        app.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new(sample_view()))));
        app.on_client(ClientEvent::Frame(ServerMessage::Clock {
            tick: 47,
            running: true,
            ticks_per_second: 1.0,
            ended: false,
            behind_ms: 0,
        }));
        app
    }

    fn render(app: &App, width: u16, height: u16) -> Buffer {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| draw(f, app)).unwrap();
        terminal.backend().buffer().clone()
    }

    /// The screen as text, one string per row (wide glyphs' trailing cells skipped).
    fn rows(buffer: &Buffer) -> Vec<String> {
        let area = buffer.area;
        (0..area.height)
            .map(|y| {
                let mut row = String::new();
                let mut skip = 0;
                for x in 0..area.width {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    let symbol = buffer[(x, y)].symbol();
                    skip = ratatui::text::Span::raw(symbol).width().saturating_sub(1);
                    row.push_str(symbol);
                }
                row
            })
            .collect()
    }

    fn screen(buffer: &Buffer) -> String {
        rows(buffer).join("\n")
    }

    /// Where `needle` starts on the screen: (x, y) in cells.
    fn find(buffer: &Buffer, needle: &str) -> (u16, u16) {
        for y in 0..buffer.area.height {
            let line: String = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol()).collect();
            if let Some(i) = line.find(needle) {
                let x = line[..i].chars().count() as u16;
                return (x, y);
            }
        }
        panic!("{needle:?} not on screen:\n{}", screen(buffer));
    }

    #[test]
    fn the_screen_fits_80x24() {
        let b = render(&app(), 80, 24);
        let s = screen(&b);
        let rows = rows(&b);
        assert!(rows[0].starts_with("chem-ops (operator) │ 08:47 t47 │ ▶ running ×1 │ ● online"), "{}", rows[0]);
        for needle in [
            "Assets (3)",
            "✓ chem-it",
            "✗ chem-lab",
            "▼ chem-scada",
            "200/ 600",
            "⛔",
            "☣ransom-x",
            "Outages elsewhere (1)",
            "▼ post-core  300",
            "Pending (1)",
            "investigate chem-it t40→t70",
            "Messages (2)",
            "TLP:CLEAR RTL journalist",
            "TLP:AMBER GOVCERT.LU (govcert)",
            "Deadlines (1), due tick",
            "open t1470 nis2/early-warning ransom-x",
            "Objectives (1)",
            "… pending Ransomware contained",
            ": command",
        ] {
            assert!(s.contains(needle), "{needle:?} missing:\n{s}");
        }
        // Newest message first.
        assert!(find(&b, "RTL journalist").1 < find(&b, "GOVCERT.LU").1, "{s}");
        assert_eq!(rows.len(), 24);
    }

    #[test]
    fn tlp_labels_carry_their_colours() {
        let b = render(&app(), 80, 24);
        let (x, y) = find(&b, "TLP:AMBER");
        assert_eq!(b[(x, y)].fg, Color::Rgb(0xFF, 0xC0, 0x00));
        assert_eq!(b[(x, y)].bg, Color::Black);
        let (x, y) = find(&b, "TLP:CLEAR");
        assert_eq!(b[(x, y)].fg, Color::Rgb(0xFF, 0xFF, 0xFF));
        assert_eq!(b[(x, y)].bg, Color::Black);
        assert_eq!(tlp_style(Tlp::Red).fg, Some(Color::Rgb(0xFF, 0x2B, 0x2B)));
        assert_eq!(tlp_style(Tlp::Green).fg, Some(Color::Rgb(0x33, 0xFF, 0x00)));
        // State symbols are coloured too, but readable without.
        let (x, y) = find(&b, "✗ chem-lab");
        assert_eq!(b[(x, y)].fg, Color::Red);
    }

    #[test]
    fn a_larger_screen_shows_more() {
        let mut a = app();
        a.sent(9, cascade_engine::exercise::Action::Isolate { asset: "chem-it".into() });
        a.on_client(ClientEvent::Frame(ServerMessage::Ack { seq: 9, tick: 48 }));
        let b = render(&a, 140, 40);
        let s = screen(&b);
        for needle in [
            "service 90.0%",
            "staff 4/6 free",
            "POST core (post)",
            "isolate chem-it accepted for t48",
            "Pending (2)",
            "IOC for ransom-x: C2 198.51.100.7",
            "isolate chem-it: accepted for tick 48",
        ] {
            assert!(s.contains(needle), "{needle:?} missing:\n{s}");
        }
        // The left column is wider: longer bars.
        let (x, y) = find(&b, "✓ chem-it");
        let row = &rows(&b)[y as usize];
        assert!(row.matches('█').count() >= 12, "{row}");
        assert!(x < 2);
    }

    #[test]
    fn the_command_line_shows_input_and_completions() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char(':')));
        type_str(&mut a, "isolate c");
        a.handle_key(key(KeyCode::Tab));
        a.handle_key(key(KeyCode::Tab));
        let b = render(&a, 80, 24);
        let rows = rows(&b);
        assert_eq!(rows[23].trim_end(), ":isolate chem-it");
        assert!(rows[22].starts_with("Tab: chem-it  chem-scada"), "{}", rows[22]);
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|f| draw(f, &a)).unwrap();
        terminal.backend_mut().assert_cursor_position(Position::new(16, 23));
    }

    #[test]
    fn errors_show_in_the_status_line() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char(':')));
        type_str(&mut a, "isolate");
        a.handle_key(key(KeyCode::Enter));
        let b = render(&a, 80, 24);
        let (x, y) = find(&b, "usage: isolate ASSET");
        assert_eq!(y, 22);
        assert_eq!(b[(x, y)].fg, Color::Red);
    }

    #[test]
    fn help_lists_every_key_and_fits_80x24() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('?')));
        let b = render(&a, 80, 24);
        let s = screen(&b);
        for needle in
            ["Help", "open the command line", "Ctrl-C  quit", "share TEAM[,TEAM] TLP", "⛔ isolated", "☣ compromised"]
        {
            assert!(s.contains(needle), "{needle:?} missing:\n{s}");
        }
        // Every help line fits inside the box at 80 columns.
        for line in HELP {
            assert!(ratatui::text::Span::raw(*line).width() <= 76, "{line}");
        }
    }

    #[test]
    fn before_the_welcome_and_after_a_loss() {
        let mut a = App::new("ws://127.0.0.1:9");
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("Connecting to ws://127.0.0.1:9"), "{s}");
        assert!(s.contains("◌ connecting"), "{s}");
        a.on_client(ClientEvent::Connection(Connection::Lost {
            reason: "cannot connect: refused".into(),
            retry_in: std::time::Duration::from_millis(500),
        }));
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("✗ offline, retry in 0.5s"), "{s}");
        assert!(s.contains("Cannot reach ws://127.0.0.1:9: cannot connect: refused"), "{s}");
        // A dropped connection keeps the last view on screen, marked offline.
        let mut a = app();
        a.on_client(ClientEvent::Connection(Connection::Lost {
            reason: "gone".into(),
            retry_in: std::time::Duration::from_secs(2),
        }));
        let s = screen(&render(&a, 80, 24));
        assert!(s.contains("✗ offline, retry in 2.0s") && s.contains("Assets (3)"), "{s}");
    }

    #[test]
    fn bars_show_level_and_integrity() {
        assert_eq!(bar(1000, 1000, 4), ("████".into(), "".into(), "".into()));
        assert_eq!(bar(0, 1000, 4), ("".into(), "▒▒▒▒".into(), "".into()));
        assert_eq!(bar(250, 500, 4), ("█".into(), "▒".into(), "░░".into()));
        assert_eq!(bar(0, 0, 4), ("".into(), "".into(), "░░░░".into()));
        // Any service at all shows at least one cell.
        assert_eq!(bar(1, 1, 10).0, "█");
    }

    #[test]
    fn tiny_terminals_do_not_panic() {
        let mut a = app();
        for (w, h) in [(1, 1), (10, 5), (30, 8), (80, 6)] {
            render(&a, w, h);
        }
        a.handle_key(key(KeyCode::Char('?')));
        for (w, h) in [(1, 1), (10, 5), (30, 8)] {
            render(&a, w, h);
        }
    }
}
