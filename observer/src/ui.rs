//! Drawing `cascade play`'s screen from the [`App`] state (nothing else).
//!
//! ```text
//! chem-ops (operator) │ 08:47 t47 │ ▶ running ×1 │ ● online │ staff 4/6 free │ ser
//!  [1 Overview]  2 Actions✗2  3 Inbox•3  4 Talk•3  5 Brief•1  6 Teams  7 IOCs•1
//!  Assets (3) ────────────────────────────  Deadlines (3) ────────────────────────
//! ✓ chem-it    ████████ 1000/1000          ⚠ nis2 early-warning ransom-x was due
//! ▼ chem-scada ██▒▒▒░░░  200/ 600 ⛔☣ranso   08:42 (overdue by 5 min)
//! ✗ chem-lab   ▒▒▒▒▒▒▒▒    0/1000          ○ nis2 notification ransom-x due 09:10
//! ── Outages elsewhere (1)                   (in 23 min)
//! ▼ post-core  300 POST core (post)         My actions (5) ───────────────────────
//!                                          ✗ 08:47 you isolate post-core
//!                                            refused: not_your_asset — "post-core…
//!                                          ⧗ 08:40 bot investigate chem-it
//!                                            running, lands 09:10 (in 23 min)
//! status line: a local error, the last answer, completions (or the bot notice)
//! : command  1-7 Tab page  j/k scroll  ? help  q quit   (or the command line)
//! ```
//!
//! Seven pages, switched with 1–7, Tab / Shift-Tab or ← →: the overview above,
//! My actions (the team's action log with every fate), the Inbox (exercise
//! control's injects, alerts and results), Conversations (with other teams, by
//! counterpart), the Brief (what the team is, what is expected of it, its
//! objectives and reports, whether its bot plays it), the Directory (every
//! team) and the Indicators held. At 160 columns and more, every page but the
//! overview (which takes three columns) gets a side column with the deadlines
//! and the latest actions.
//!
//! State symbols carry the meaning without colour: ✓ ok, ▼ degraded, ✗ down,
//! ⛔ isolated, ☣ compromised (detected), ⚒ hardened, ✚ physically damaged; actions ✓ done, ⧗ running,
//! … sent or accepted, ✗ refused or failed (with the words); ◉ people play a
//! team, ⚙ its bot does. TLP labels are written out and coloured as TLP 2.0
//! specifies (on black).

mod pages;
mod wrap;

use cascade_engine::scenario::Tlp;
use cascade_engine::view::AssetView;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::{App, Mode, Page, Tone};
use crate::client::Connection;

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
    if a.physical < 1000 {
        // Physical damage: a restore from backup does not fix it, a repair does.
        spans.push(Span::styled(format!("✚{}", a.physical), Style::new().fg(WARN).bold()));
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

fn header(app: &App) -> Line<'static> {
    let sep = || Span::styled(" │ ", dim());
    let team = app.team.clone().unwrap_or_else(|| "—".to_string());
    let mut spans = vec![Span::styled(team, Style::new().bold())];
    if !app.role.is_empty() {
        spans.push(Span::raw(format!(" ({})", app.role)));
    }
    if app.view.is_some() && !app.human() {
        spans.push(Span::styled(" ⚙ bot plays", Style::new().fg(WARN).bold()));
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
            let plan = if v.piu.short.is_empty() { "PIU" } else { v.piu.short.as_str() };
            spans.push(Span::styled(format!("{plan} level {}", v.piu.level), Style::new().fg(WARN).bold()));
        }
    }
    Line::from(spans)
}

/// A page's mark in the tab bar: what is new there.
fn badge(app: &App, page: Page) -> Option<(String, Style)> {
    let count = |n: usize| (n > 0).then(|| (format!("•{n}"), Style::new().fg(WARN).bold()));
    match page {
        Page::Actions => {
            let n = app.unseen_failures();
            (n > 0).then(|| (format!("✗{n}"), Style::new().fg(BAD).bold()))
        }
        Page::Inbox => count(app.unread_inbox()),
        Page::Talk => count(app.unread_talk()),
        Page::Brief => {
            let mut mark = String::new();
            if app.view.is_some() && !app.human() {
                mark.push('⚙');
            }
            if app.unseen_expected() > 0 {
                mark.push_str(&format!("•{}", app.unseen_expected()));
            }
            (!mark.is_empty()).then(|| (mark, Style::new().fg(WARN).bold()))
        }
        Page::Indicators => count(app.unseen_held()),
        Page::Overview | Page::Teams => None,
    }
}

/// The tab bar: `[1 Overview] 2 My actions ✗2  3 Inbox •3 …`, the current page
/// in brackets (and reversed), with shorter names when the long ones do not fit.
pub(crate) fn tabs(app: &App, width: u16) -> Line<'static> {
    let build = |short: bool, bare: bool| {
        let mut spans = vec![Span::raw(" ")];
        for (i, page) in Page::ALL.iter().enumerate() {
            let (long, short_name) = page.names();
            let current = *page == app.page;
            let name = if bare && !current {
                String::new()
            } else if short {
                format!(" {short_name}")
            } else {
                format!(" {long}")
            };
            let (label, style) = if current {
                (format!("[{}{name}]", i + 1), Style::new().reversed().bold())
            } else {
                (format!("{}{name}", i + 1), Style::new())
            };
            spans.push(Span::styled(label, style));
            if let Some((text, style)) = badge(app, *page) {
                spans.push(Span::styled(text, style));
            }
            spans.push(Span::raw("  "));
        }
        Line::from(spans)
    };
    let width = usize::from(width);
    [build(false, false), build(true, false)]
        .into_iter()
        .find(|l| l.width() <= width)
        .unwrap_or_else(|| build(true, true))
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
    if app.status.is_none() && app.view.is_some() && !app.human() {
        return Line::styled(BOT_NOTICE_SHORT, Style::new().fg(WARN).bold());
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

/// What the Brief says while the team's bot plays it.
pub const BOT_NOTICE: &str = "⚙ Your team is played by its bot until your first command (or press T / type takeover).";

/// The same in the status line, within 80 columns.
pub const BOT_NOTICE_SHORT: &str = "⚙ your bot plays your team until your first command: T or :takeover stops it";

/// The keys of the current page, for the bottom line: the least needed go
/// first when `width` is short (the tab bar shows the pages; `?` lists all).
fn hints(app: &App, width: u16) -> String {
    let page = match app.page {
        Page::Talk => "j/k thread  PgUp/Dn read  m reply",
        Page::Teams => "j/k select  m message",
        Page::Indicators => "j/k scroll  x export",
        _ => "j/k scroll",
    };
    if app.looking_only {
        return ["Esc back to the director", "1-7 Tab page", page, "? help"].join("  ");
    }
    let takeover = app.view.is_some() && !app.human();
    let mut parts: Vec<&str> = Vec::new();
    if takeover {
        parts.push("T take over");
    }
    parts.extend([": command", "1-7 Tab page", page, "? help", "q quit"]);
    for drop in ["1-7 Tab page", "q quit"] {
        if parts.join("  ").chars().count() <= usize::from(width) {
            break;
        }
        parts.retain(|p| *p != drop);
    }
    parts.join("  ")
}

/// Every key and the command syntax, for the `?` overlay.
pub const HELP: &[&str] = &[
    "Pages",
    "  1 Overview  2 My actions  3 Inbox  4 Conversations  5 Brief",
    "  6 Directory  7 Indicators      Tab ⇧Tab ← → h l  next / previous",
    "Keys",
    "  j k ↑ ↓     scroll (Conversations: thread; Directory: team)",
    "  PgUp PgDn   a page (Conversations: older / newer)   g G  top / end",
    "  m or r      message the team selected (Directory, Conversations)",
    "  T           take your team over from its bot (as :takeover)",
    "  x           (Indicators) export them: MISP events + STIX 2.1 bundle",
    "  : or /      open the command line       Enter   send the command",
    "  Tab         complete (again: next)     ↑ ↓     command history",
    "  Esc         close the line / help      Ctrl-U  clear  Ctrl-W  word",
    "  ?  F1       this help (j k to scroll)  q  Ctrl-C  quit",
    "Commands",
    "  investigate | isolate | restore | harden | repair ASSET",
    "  share TEAM[,TEAM] TLP INCIDENT|- [TEXT]   (an incident you hold)",
    "  report REGIME STAGE INCIDENT           classify INCIDENT",
    "  request_assistance CSIRT               public_statement TEXT",
    "  activate_piu LEVEL | set_piu_level LEVEL  (1-4)",
    "  message TEAM[,TEAM] [TLP] TEXT         (default TLP:RED)",
    "  takeover                               silence your team's bot",
    "  TLP: clear green amber amber+strict red",
    "Symbols",
    "  ✓ ok ▼ degraded ✗ down ⛔ isolated ☣ compromised ⚒ hardened ✚ to repair",
    "  bar: █ level  ▒ integrity above the level  ░ lost; numbers level/integrity",
    "  actions: ✓ done  ⧗ running  … sent/accepted  ✗ refused/failed",
    "  who: you (this client), another client's id, bot (your team's bot)",
    "  ◉ people play the team  ⚙ its bot does   •N new   ✗N new failures",
    "  deadlines: ⚠ overdue  ○ open  ◌ not yet  ✓ filed on time  ✗ filed late",
];

fn help(frame: &mut Frame, area: Rect, app: &App) {
    let width = area.width.min(78);
    let height = area.height.min(HELP.len() as u16 + 2);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    frame.render_widget(Clear, popup);
    let rows = usize::from(height.saturating_sub(2));
    let max = HELP.len().saturating_sub(rows);
    let offset = usize::from(app.help_scroll).min(max);
    let title = if max > 0 {
        format!(" Help {}–{} of {} (j k) — Esc or ? to close ", offset + 1, offset + rows, HELP.len())
    } else {
        " Help — Esc or ? to close ".to_string()
    };
    let block = Block::bordered().title(title).border_style(Style::new().fg(Color::Cyan));
    let lines: Vec<Line> = HELP
        .iter()
        .skip(offset)
        .map(|l| if l.starts_with(' ') { Line::raw(*l) } else { Line::styled(*l, Style::new().bold()) })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// What a console shows before it has a view: connecting, or why not.
pub(crate) fn not_joined_yet(frame: &mut Frame, area: Rect, connection: &Connection, url: &str) {
    let text = match connection {
        Connection::Closed { reason } => format!("Disconnected from {url}: {reason}"),
        Connection::Lost { reason, .. } => format!("Cannot reach {url}: {reason}"),
        _ => format!("Connecting to {url}…"),
    };
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn body(frame: &mut Frame, area: Rect, app: &App) {
    let Some(view) = &app.view else {
        return not_joined_yet(frame, area, &app.connection, &app.url);
    };
    pages::draw(frame, area, app, view);
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let [top, tab_bar, middle, status, input] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header(app)).style(Style::new().reversed()), top);
    frame.render_widget(Paragraph::new(tabs(app, tab_bar.width)), tab_bar);
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
            frame.render_widget(Paragraph::new(Line::styled(hints(app, input.width), dim())), input);
        }
    }
    if app.mode == Mode::Help {
        help(frame, area, app);
    }
}

#[cfg(test)]
pub(crate) mod tests;
