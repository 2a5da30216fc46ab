//! The pages of `cascade play`: each builds its lines for the width it gets
//! (wrapped here, so that scrolling is exact and the newest stays in view) and
//! draws them in its panels.

use cascade_engine::exercise::Status;
use cascade_engine::exercise::state::MessageKind;
use cascade_engine::scenario::{OrganisationKind, TeamRole};
use cascade_engine::view::{AssetView, DirectoryEntry, MessageView, TeamView};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::wrap::{clip, wrap, wrap_all};
use super::{BAD, BOT_NOTICE, OK, WARN, asset_columns, asset_line, dim, fit, level_symbol, panel, tlp_style};
use crate::app::feed::{self, ALL_TEAMS, ActionRow, DeadlineState, RowFate};
use crate::app::{App, Page};

/// Columns from which the actions and the directory take one line per entry.
const ONE_LINE_FROM: usize = 100;
/// Columns from which every page but the overview gets a side column.
const SIDE_FROM: u16 = 160;

fn bold() -> Style {
    Style::new().bold()
}

/// `CrisisCell` → `crisis cell`, `Csirt` → `CSIRT`: enum names for people.
fn words_of(debug: String) -> String {
    match debug.as_str() {
        "Csirt" => return "CSIRT".to_string(),
        "Cerc" => return "CERC".to_string(),
        _ => {}
    }
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

pub(crate) fn role_words(role: TeamRole) -> String {
    words_of(format!("{role:?}"))
}

fn kind_words(kind: OrganisationKind) -> String {
    words_of(format!("{kind:?}"))
}

/// `operator of ChemCo`, `communication of National Crisis Cell (crisis cell)`:
/// the organisation's kind when the role does not say it.
fn role_of(d: &DirectoryEntry) -> String {
    let (role, kind) = (role_words(d.role), kind_words(d.organisation_kind));
    if role == kind {
        format!("{role} of {}", d.organisation_name)
    } else {
        format!("{role} of {} ({kind})", d.organisation_name)
    }
}

/// A message's kind in words (with ⚠ for alerts).
fn message_kind(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Inject => "inject",
        MessageKind::Share => "share",
        MessageKind::Report => "report",
        MessageKind::Statement => "statement",
        MessageKind::Chat => "message",
        MessageKind::Assistance => "assistance",
        MessageKind::Piu => "PIU",
        MessageKind::Result => "result",
        MessageKind::Alert => "⚠ alert",
    }
}

fn entry<'a>(view: &'a TeamView, id: &str) -> Option<&'a DirectoryEntry> {
    view.directory.iter().find(|d| d.id == id)
}

fn organisation_name(view: &TeamView, organisation: &str) -> Option<String> {
    view.directory.iter().find(|d| d.organisation == organisation).map(|d| d.organisation_name.clone())
}

/// A panel whose lines scroll with the page's keys: it tells the app how far
/// they can go, and its title says when there is more.
fn scrolled(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    page: Page,
    title: String,
    lines: impl FnOnce(usize) -> Vec<Line<'static>>,
) {
    let inner = panel(String::new()).inner(area);
    let lines = lines(usize::from(inner.width));
    let height = usize::from(inner.height);
    let max = lines.len().saturating_sub(height);
    app.max_scroll[page.index()].set(max.min(usize::from(u16::MAX)) as u16);
    let offset = usize::from(app.scroll[page.index()]).min(max);
    let more = match (offset > 0, offset < max) {
        (true, true) => "▲▼ j/k ",
        (true, false) => "▲ k ",
        (false, true) => "▼ j: more ",
        (false, false) => "",
    };
    frame.render_widget(panel(format!("{title}{more}")), area);
    let shown: Vec<Line> = lines.into_iter().skip(offset).take(height).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

/// A panel showing the first lines that fit.
fn fixed(frame: &mut Frame, area: Rect, title: String, lines: impl FnOnce(usize) -> Vec<Line<'static>>) {
    let block = panel(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = lines(usize::from(inner.width));
    frame.render_widget(Paragraph::new(lines.into_iter().take(usize::from(inner.height)).collect::<Vec<_>>()), inner);
}

/// Draws the current page (and, on a wide screen, the side column).
pub fn draw(frame: &mut Frame, area: Rect, app: &App, view: &TeamView) {
    if app.page == Page::Overview {
        overview(frame, area, app, view);
        return;
    }
    let (main, side) = if area.width >= SIDE_FROM {
        let [main, side] = Layout::horizontal([Constraint::Fill(1), Constraint::Percentage(32)]).spacing(1).areas(area);
        (main, Some(side))
    } else {
        (area, None)
    };
    match app.page {
        Page::Overview => {}
        Page::Actions => actions_page(frame, main, app, view),
        Page::Inbox => inbox_page(frame, main, app, view),
        Page::Talk => talk_page(frame, main, app, view),
        Page::Brief => brief_page(frame, main, app, view),
        Page::Teams => teams_page(frame, main, app, view),
        Page::Indicators => indicators_page(frame, main, app, view),
    }
    if let Some(side) = side {
        let deadlines = deadline_lines(view, usize::from(side.width));
        let [top, bottom] = Layout::vertical([
            Constraint::Length((deadlines.len().max(1) + 1).min(usize::from(side.height / 3)) as u16),
            Constraint::Fill(1),
        ])
        .areas(side);
        fixed(frame, top, format!(" Deadlines ({}) ", view.deadlines.len()), |_| deadlines);
        if app.page == Page::Actions {
            fixed(frame, bottom, " Latest messages ".to_string(), |w| latest_messages(app, view, w));
        } else {
            latest_actions(frame, bottom, app, view);
        }
    }
}

// ---- Overview -------------------------------------------------------------

fn overview(frame: &mut Frame, area: Rect, app: &App, view: &TeamView) {
    let wide = area.width >= SIDE_FROM;
    let tall = area.height > 30;
    let (left, middle, right) = if wide {
        let [l, m, r] =
            Layout::horizontal([Constraint::Percentage(34), Constraint::Percentage(33), Constraint::Fill(1)])
                .spacing(1)
                .areas(area);
        (l, m, Some(r))
    } else {
        let share = if area.width >= 100 { 45 } else { 50 };
        let [l, m] = Layout::horizontal([Constraint::Percentage(share), Constraint::Fill(1)]).spacing(1).areas(area);
        (l, m, None)
    };
    scrolled(frame, left, app, Page::Overview, format!(" Assets ({}) ", view.assets.len()), |w| {
        asset_section_lines(view, w)
    });
    let deadlines = deadline_lines(view, usize::from(middle.width));
    let cap = if tall { usize::from(middle.height / 2) } else { 7 };
    let [top, bottom] =
        Layout::vertical([Constraint::Length((deadlines.len().max(1) + 1).min(cap) as u16), Constraint::Fill(1)])
            .areas(middle);
    let rows = (deadlines.len() + 1).min(cap);
    let more = if deadlines.len() + 1 > rows { " — all on 5 (Brief)" } else { "" };
    fixed(frame, top, format!(" Deadlines ({}){more} ", view.deadlines.len()), |_| deadlines);
    latest_actions(frame, bottom, app, view);
    if let Some(right) = right {
        let objectives = objective_lines(view, usize::from(right.width));
        let [top, bottom] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length((objectives.len().max(1) + 1).min(usize::from(right.height / 3)) as u16),
        ])
        .areas(right);
        fixed(frame, top, format!(" Latest messages ({}) ", app.messages.len()), |w| latest_messages(app, view, w));
        fixed(frame, bottom, format!(" Objectives ({}) ", view.objectives.len()), |_| objectives);
    }
}

fn section(title: String) -> Line<'static> {
    Line::from(vec![Span::styled("── ", dim()), Span::styled(title, bold())])
}

/// Own assets, a CSIRT's constituents' assets by organisation, other
/// organisations' outages.
fn asset_section_lines(view: &TeamView, width: usize) -> Vec<Line<'static>> {
    let all: Vec<AssetView> = view.assets.iter().chain(&view.constituents).cloned().collect();
    let (id_width, bar_width) = asset_columns(&all, width);
    let mut lines: Vec<Line> = if view.assets.is_empty() {
        vec![Line::styled("no assets", dim())]
    } else {
        view.assets.iter().map(|a| asset_line(a, id_width, bar_width)).collect()
    };
    let csirt = entry(view, &view.team).is_some_and(|d| d.role == TeamRole::Csirt);
    if csirt || !view.constituents.is_empty() {
        lines.push(section(format!("Constituents' assets ({})", view.constituents.len())));
        if view.constituents.is_empty() {
            lines.extend(wrap(
                Line::styled("none yet: a constituent's request for assistance lets you act on its assets", dim()),
                width,
                2,
            ));
        }
        let mut owners: Vec<&str> = Vec::new();
        for a in &view.constituents {
            if !owners.contains(&a.organisation.as_str()) {
                owners.push(&a.organisation);
            }
        }
        for owner in owners {
            let name = organisation_name(view, owner).filter(|n| n != owner);
            let label = match name {
                Some(name) => format!("{owner}'s ({name})"),
                None => format!("{owner}'s"),
            };
            lines.push(Line::styled(fit(&label, width), Style::new().bold().italic()));
            lines.extend(view.constituents.iter().filter(|a| a.organisation == owner).map(|a| {
                // The flags (isolated, compromised) first: the group's heading
                // names the owner, so its mark may be the part a narrow screen cuts.
                let mut line = asset_line(a, id_width, bar_width);
                line.spans.push(Span::styled(format!(" @{owner}"), dim()));
                line
            }));
        }
    }
    lines.push(section(format!("Outages elsewhere ({})", view.outages.len())));
    if view.outages.is_empty() {
        lines.push(Line::styled("none", dim()));
    }
    for o in &view.outages {
        let (symbol, colour) = level_symbol(o.level);
        let owner = if o.name.is_empty() { o.organisation.clone() } else { format!("{} ({})", o.name, o.organisation) };
        lines.push(Line::from(vec![
            Span::styled(symbol, Style::new().fg(colour).bold()),
            Span::raw(format!(" {} {:>4} ", o.id, o.level)),
            Span::styled(owner, dim()),
        ]));
    }
    lines
}

/// Deadlines, overdue first, each with its clock time and countdown.
fn deadline_lines(view: &TeamView, width: usize) -> Vec<Line<'static>> {
    let rows = feed::deadlines_in_order(view);
    if rows.is_empty() {
        return vec![Line::styled("no reports owed", dim())];
    }
    rows.into_iter()
        .flat_map(|(state, words)| {
            let (symbol, style) = match state {
                DeadlineState::Overdue => ("⚠ ", Style::new().fg(BAD).bold()),
                DeadlineState::Open => ("○ ", Style::new().fg(WARN)),
                DeadlineState::Waiting => ("◌ ", dim()),
                DeadlineState::OnTime => ("✓ ", Style::new().fg(OK)),
                DeadlineState::Late => ("✗ ", Style::new().fg(BAD)),
            };
            let text_style = if state == DeadlineState::Overdue { style } else { Style::new() };
            wrap(Line::from(vec![Span::styled(symbol, style), Span::styled(words, text_style)]), width, 2)
        })
        .collect()
}

fn objective_lines(view: &TeamView, width: usize) -> Vec<Line<'static>> {
    if view.objectives.is_empty() {
        return vec![Line::styled("none for this team", dim())];
    }
    view.objectives
        .iter()
        .flat_map(|o| {
            let (symbol, style) = match o.status {
                Status::Pending => ("… pending".to_string(), Style::new().fg(WARN)),
                Status::Met(t) => (format!("✓ met {}", feed::when(view, t)), Style::new().fg(OK)),
                Status::Missed(t) => (format!("✗ missed {}", feed::when(view, t)), Style::new().fg(BAD)),
            };
            let text = if o.description.is_empty() { o.id.clone() } else { o.description.clone() };
            wrap(Line::from(vec![Span::styled(symbol, style), Span::raw(format!(" {text}"))]), width, 2)
        })
        .collect()
}

// ---- My actions ------------------------------------------------------------

fn fate_style(fate: &RowFate) -> Style {
    match fate {
        RowFate::Refused { .. } | RowFate::Failed { .. } => Style::new().fg(BAD).bold(),
        RowFate::Running { .. } => Style::new().fg(WARN),
        RowFate::Applied { .. } => Style::new().fg(OK),
        RowFate::Sent | RowFate::Acknowledged { .. } => dim(),
    }
}

/// Columns under which the latest actions (overview, side column) take two
/// clipped lines each, so that more of them show.
const COMPACT_UNDER: usize = 60;

/// The action log's lines: one per entry from 100 columns (the fate after the
/// action), else two (the fate below it); `compact`: two lines cut to the width.
fn action_lines(rows: &[ActionRow], view: &TeamView, width: usize, compact: bool) -> Vec<Line<'static>> {
    if rows.is_empty() {
        return wrap(
            Line::styled("no actions yet: `:` opens the command line (isolate ASSET, report …; ? for help)", dim()),
            width,
            2,
        );
    }
    let one_line = width >= ONE_LINE_FROM;
    let who_width = rows.iter().map(|r| r.who.words().chars().count()).max().unwrap_or(3).clamp(3, 16);
    let what_width = rows.iter().map(|r| r.what.chars().count()).max().unwrap_or(0).min(width * 2 / 5);
    let mut lines = Vec::new();
    for r in rows {
        let style = fate_style(&r.fate);
        let who_style = if r.who == feed::Who::You { bold() } else { Style::new() };
        let who = if one_line { fit(r.who.words(), who_width) } else { r.who.words().to_string() };
        let mut head = vec![
            Span::styled(r.fate.symbol(), style),
            Span::styled(format!(" {} ", r.clock), dim()),
            Span::styled(who, who_style),
            Span::raw(" "),
        ];
        let fate = Span::styled(r.fate.words(Some(view)), style);
        if one_line {
            let what = if r.what.chars().count() <= what_width { fit(&r.what, what_width) } else { r.what.clone() };
            head.push(Span::raw(what));
            head.push(Span::raw("  "));
            head.push(fate);
            lines.extend(wrap(Line::from(head), width, 4));
        } else if compact {
            head.push(Span::raw(r.what.clone()));
            lines.push(clip(Line::from(head), width));
            lines.push(clip(Line::from(vec![Span::raw("  "), fate]), width));
        } else {
            head.push(Span::raw(r.what.clone()));
            lines.extend(wrap(Line::from(head), width, 4));
            lines.extend(wrap(Line::from(vec![Span::raw("  "), fate]), width, 4));
        }
    }
    lines
}

fn actions_title(app: &App, rows: &[ActionRow]) -> String {
    let failures = rows.iter().filter(|r| r.fate.is_failure()).count();
    let new = app.unseen_failures();
    let mut title = format!(" My actions ({}), newest first", rows.len());
    if failures > 0 {
        title.push_str(&format!(" · ✗ {failures} refused or failed"));
    }
    if new > 0 && app.page != Page::Actions {
        title.push_str(&format!(" ({new} new)"));
    }
    title.push(' ');
    title
}

fn actions_page(frame: &mut Frame, area: Rect, app: &App, view: &TeamView) {
    let rows = app.action_rows();
    scrolled(frame, area, app, Page::Actions, actions_title(app, &rows), |w| action_lines(&rows, view, w, false));
}

/// The newest actions that fit, for the overview and the side column.
fn latest_actions(frame: &mut Frame, area: Rect, app: &App, view: &TeamView) {
    let rows = app.action_rows();
    let title = if area.width >= 60 { actions_title(app, &rows) } else { format!(" My actions ({}) ", rows.len()) };
    let title = if rows.len() > 3 && area.width >= 40 { format!("{title}— all on 2 ") } else { title };
    fixed(frame, area, title, |w| action_lines(&rows, view, w, w < COMPACT_UNDER));
}

// ---- Messages --------------------------------------------------------------

/// `08:40 inject TLP:CLEAR RTL journalist → all teams ☣ransom-x`
fn message_header(m: &MessageView, me: &str) -> Line<'static> {
    let mut spans = vec![
        Span::styled(format!("{} ", m.clock), dim()),
        Span::styled(
            message_kind(m.kind),
            if m.kind == MessageKind::Alert { Style::new().fg(BAD).bold() } else { dim() },
        ),
        Span::raw(" "),
        Span::styled(m.tlp.label(), tlp_style(m.tlp)),
        Span::raw(" "),
    ];
    match m.sender_team.as_deref() {
        Some(sender) if sender == me => spans.push(Span::styled("you", bold())),
        Some(sender) => {
            spans.push(Span::styled(m.from.clone(), bold()));
            if sender != m.from {
                spans.push(Span::styled(format!(" ({sender})"), dim()));
            }
        }
        None => spans.push(Span::styled(m.from.clone(), bold())),
    }
    let only_me = !m.to_all && m.to.iter().all(|t| t == me);
    if !only_me {
        spans.push(Span::styled(format!(" → {}", feed::recipients(m, me)), dim()));
    }
    if let Some(i) = &m.incident {
        spans.push(Span::styled(format!(" ☣{i}"), Style::new().fg(BAD)));
    }
    Line::from(spans)
}

fn message_lines(m: &MessageView, me: &str, width: usize) -> Vec<Line<'static>> {
    let mut lines = wrap(message_header(m, me), width, 6);
    for text in m.text.lines() {
        lines.extend(wrap(Line::raw(format!("  {text}")), width, 2));
    }
    lines
}

fn inbox_page(frame: &mut Frame, area: Rect, app: &App, view: &TeamView) {
    let inbox = feed::inbox(&app.messages);
    let title = format!(" Inbox ({}): exercise control's injects, alerts and results, newest first ", inbox.len());
    scrolled(frame, area, app, Page::Inbox, title, |w| {
        if inbox.is_empty() {
            return vec![Line::styled("nothing from exercise control yet", dim())];
        }
        inbox.iter().flat_map(|m| message_lines(m, &view.team, w)).collect()
    });
}

/// The newest messages of every kind, a header and a line of text each.
fn latest_messages(app: &App, view: &TeamView, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for m in app.messages.values().rev().take(50) {
        lines.extend(wrap(message_header(m, &view.team), width, 6));
        if let Some(first) = m.text.lines().next() {
            lines.push(Line::raw(fit(&format!("  {first}"), width)));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled("no messages yet", dim()));
    }
    lines
}

fn talk_page(frame: &mut Frame, area: Rect, app: &App, view: &TeamView) {
    let threads = app.threads();
    let list_width = (area.width / 3).clamp(16, 34);
    let [list, thread] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Fill(1)]).spacing(1).areas(area);
    let selected = app.selected_thread(&threads);
    // The thread list, the selection kept in view.
    let block = panel(format!(" Conversations ({}) ", threads.len()));
    let inner = block.inner(list);
    frame.render_widget(block, list);
    let width = usize::from(inner.width);
    // Counts and unread marks in one column.
    let suffix = threads
        .iter()
        .map(|t| {
            format!(" ({})", t.messages.len()).len()
                + if t.unread > 0 { format!(" •{}", t.unread).chars().count() } else { 0 }
        })
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = threads
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let current = i == selected;
            let mark = if current { "▸ " } else { "  " };
            let unread = if t.unread > 0 { format!(" •{}", t.unread) } else { String::new() };
            let count = format!(" ({})", t.messages.len());
            let room = width.saturating_sub(2 + suffix);
            let count = format!("{count:<0$}", suffix - unread.chars().count());
            let style = if current { Style::new().reversed().bold() } else { Style::new() };
            Line::from(vec![
                Span::styled(format!("{mark}{}", fit(&t.key, room)), style),
                Span::styled(count, dim()),
                Span::styled(unread, Style::new().fg(WARN).bold()),
            ])
        })
        .collect();
    if lines.is_empty() {
        lines = wrap_all([Line::styled("no conversations yet", dim())], width, 0);
    }
    let skip = selected.saturating_sub(usize::from(inner.height).saturating_sub(1));
    frame.render_widget(Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()), inner);

    // The selected thread, oldest first, the newest at the bottom.
    let Some(t) = threads.get(selected) else {
        fixed(frame, thread, " Thread ".to_string(), |w| {
            wrap_all(
                [
                    Line::raw("Messages between teams show here, one thread per team."),
                    Line::raw("Start one with  message TEAM TEXT  or  share TEAM TLP INCIDENT|- TEXT."),
                    Line::raw("Injects, alerts and results are in the Inbox (3)."),
                ],
                w,
                0,
            )
        });
        return;
    };
    let who = if t.key == ALL_TEAMS {
        "all teams: statements and messages to every team".to_string()
    } else {
        match entry(view, &t.key) {
            Some(d) => format!("{} — {}, {}", t.key, d.name, role_words(d.role)),
            None => t.key.clone(),
        }
    };
    let inner = panel(String::new()).inner(thread);
    let width = usize::from(inner.width);
    let lines: Vec<Line> = t
        .messages
        .iter()
        .filter_map(|i| app.messages.get(i))
        .flat_map(|m| message_lines(m, &view.team, width))
        .collect();
    let height = usize::from(inner.height);
    let max = lines.len().saturating_sub(height);
    let up = usize::from(app.thread_scroll).min(max);
    let offset = max - up;
    let more = match (offset > 0, up > 0) {
        (true, true) => "▲ PgUp older ▼ PgDn newer · ",
        (true, false) => "▲ PgUp older · ",
        (false, true) => "▼ PgDn newer · ",
        (false, false) => "",
    };
    frame.render_widget(panel(format!(" {more}{who} ({}) ", t.messages.len())), thread);
    let shown: Vec<Line> = lines.into_iter().skip(offset).take(height).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

// ---- Brief -----------------------------------------------------------------

fn brief_lines(view: &TeamView, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let heading = |lines: &mut Vec<Line<'static>>, text: String| {
        lines.push(Line::raw(""));
        lines.push(Line::styled(text, bold()));
    };
    if !view.human {
        lines.extend(wrap(Line::styled(BOT_NOTICE, Style::new().fg(WARN).bold()), width, 2));
        lines.push(Line::raw(""));
    }
    if let Some(me) = entry(view, &view.team) {
        let sector = me.sector.as_deref().map(|s| format!(", sector {s}")).unwrap_or_default();
        lines.extend(wrap(
            Line::from(vec![
                Span::raw("You are "),
                Span::styled(me.name.clone(), bold()),
                Span::raw(format!(" ({}), {}{sector}.", me.id, role_of(me))),
            ]),
            width,
            0,
        ));
    }
    if view.brief.trim().is_empty() {
        lines.push(Line::styled("(the scenario gives your team no brief)", dim()));
    }
    for paragraph in view.brief.lines() {
        lines.extend(wrap(Line::raw(paragraph.to_string()), width, 0));
    }
    heading(&mut lines, format!("Expected of you ({})", view.expected.len()));
    if view.expected.is_empty() {
        lines.extend(wrap(
            Line::styled("nothing yet: exercise control's injects that expect an action show here", dim()),
            width,
            2,
        ));
    }
    for e in view.expected.iter().rev() {
        lines.extend(wrap(
            Line::from(vec![
                Span::styled(format!("{} ", e.clock), bold()),
                Span::styled(
                    format!("({}) from {}: ", feed::relative(view.tick, e.tick, view.tick_seconds), e.from),
                    dim(),
                ),
                Span::raw(e.expected_action.clone()),
            ]),
            width,
            2,
        ));
    }
    heading(&mut lines, format!("Objectives ({})", view.objectives.len()));
    lines.extend(objective_lines(view, width));
    heading(&mut lines, format!("Reports owed ({})", view.deadlines.len()));
    lines.extend(deadline_lines(view, width));
    if !view.regimes.is_empty() {
        heading(&mut lines, "Reporting regimes".to_string());
        for r in &view.regimes {
            let applies = if r.applies { "you report under it" } else { "not for your organisation" };
            let personal = if r.personal_data_only { ", personal data only" } else { "" };
            lines.extend(wrap(
                Line::from(vec![
                    Span::styled(r.id.clone(), bold()),
                    Span::raw(format!(" — {} (to {}{personal}; {applies}): ", r.name, r.authority)),
                    Span::styled(r.stages.join(" → "), dim()),
                ]),
                width,
                2,
            ));
        }
    }
    lines
}

fn brief_page(frame: &mut Frame, area: Rect, app: &App, view: &TeamView) {
    let name = entry(view, &view.team).map(|d| d.name.clone()).unwrap_or_else(|| view.team.clone());
    scrolled(frame, area, app, Page::Brief, format!(" Brief — {name} "), |w| brief_lines(view, w));
}

// ---- Directory ---------------------------------------------------------------

fn who_plays(view: &TeamView, id: &str) -> (&'static str, Style) {
    if view.humans.iter().any(|h| h == id) { ("◉ people", Style::new().fg(OK)) } else { ("⚙ bot", dim()) }
}

/// Each team's lines: one from 120 columns (a table, with its header), else two.
fn team_entries(view: &TeamView, width: usize, selected: usize) -> (Option<Line<'static>>, Vec<Vec<Line<'static>>>) {
    let one_line = width >= ONE_LINE_FROM + 20;
    let you = |d: &DirectoryEntry| if d.id == view.team { " (you)" } else { "" };
    let id_width = view.directory.iter().map(|d| d.id.chars().count() + you(d).len()).max().unwrap_or(4).clamp(4, 26);
    let name_width = view.directory.iter().map(|d| d.name.chars().count()).max().unwrap_or(4).clamp(4, 34);
    let org_width = view.directory.iter().map(|d| d.organisation_name.chars().count()).max().unwrap_or(4).clamp(4, 40);
    let role_width = view.directory.iter().map(|d| role_words(d.role).chars().count()).max().unwrap_or(4).min(16);
    let sector_width =
        view.directory.iter().map(|d| d.sector.as_deref().map_or(1, |s| s.chars().count())).max().unwrap_or(1).min(16);
    let header = one_line.then(|| {
        Line::styled(
            format!(
                "  {:<9} {} {} {} {} {} constituency",
                "played by",
                fit("team", id_width),
                fit("name", name_width),
                fit("organisation", org_width),
                fit("role", role_width),
                fit("sector", sector_width.max(6)),
            ),
            dim().add_modifier(ratatui::style::Modifier::UNDERLINED),
        )
    });
    let sector_width = sector_width.max(6);
    let entries = view
        .directory
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let current = i == selected;
            let (plays, plays_style) = who_plays(view, &d.id);
            let mark = if current { "▸ " } else { "  " };
            let id_style = if current { Style::new().reversed().bold() } else { bold() };
            let you = you(d);
            let sector = d.sector.clone().unwrap_or_else(|| "—".to_string());
            let serves = if d.constituency.is_empty() { "—".to_string() } else { d.constituency.join(", ") };
            if one_line {
                let line = Line::from(vec![
                    Span::raw(mark),
                    Span::styled(format!("{plays:<9} "), plays_style),
                    Span::styled(fit(&format!("{}{you}", d.id), id_width), id_style),
                    Span::raw(" "),
                    Span::raw(fit(&d.name, name_width)),
                    Span::raw(" "),
                    Span::raw(fit(&d.organisation_name, org_width)),
                    Span::raw(" "),
                    Span::raw(fit(&role_words(d.role), role_width)),
                    Span::raw(" "),
                    Span::raw(fit(&sector, sector_width)),
                    Span::styled(if d.constituency.is_empty() { String::new() } else { format!(" {serves}") }, dim()),
                ]);
                wrap(line, width, 4)
            } else {
                let mut lines = wrap(
                    Line::from(vec![
                        Span::raw(mark),
                        Span::styled(format!("{plays:<8} "), plays_style),
                        Span::styled(format!("{}{you}", d.id), id_style),
                        Span::raw(format!("  {}", d.name)),
                    ]),
                    width,
                    4,
                );
                lines.extend(wrap(
                    Line::from(vec![
                        Span::raw("    "),
                        Span::raw(format!(
                            "{}{}",
                            role_of(d),
                            d.sector.as_deref().map(|s| format!(" · sector {s}")).unwrap_or_default()
                        )),
                        Span::styled(
                            if d.constituency.is_empty() { String::new() } else { format!(" · serves {serves}") },
                            dim(),
                        ),
                    ]),
                    width,
                    4,
                ));
                lines
            }
        })
        .collect();
    (header, entries)
}

fn teams_page(frame: &mut Frame, area: Rect, app: &App, view: &TeamView) {
    let people = view.directory.iter().filter(|d| view.humans.contains(&d.id)).count();
    let title = format!(" Directory: {} teams, {people} played by people now ", view.directory.len());
    let block = panel(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    if view.directory.is_empty() {
        let text = "the directory comes with the first snapshot (reconnect if it does not show)";
        frame.render_widget(Paragraph::new(wrap(Line::styled(text, dim()), width, 0)), inner);
        return;
    }
    let selected = app.team_selected.min(view.directory.len() - 1);
    let (header, entries) = team_entries(view, width, selected);
    let inner = match header {
        Some(header) if inner.height > 1 => {
            let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
            frame.render_widget(Paragraph::new(header), top);
            rest
        }
        _ => inner,
    };
    let start: usize = entries[..selected].iter().map(Vec::len).sum();
    let end = start + entries[selected].len();
    let height = usize::from(inner.height);
    let offset = if end > height { start.min(end - height) } else { 0 };
    let lines: Vec<Line> = entries.into_iter().flatten().skip(offset).take(height).collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

// ---- Indicators --------------------------------------------------------------

fn indicator_lines(view: &TeamView, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if view.held.is_empty() && view.indicators.is_empty() {
        return wrap_all(
            [
                Line::styled("no indicators yet: investigate your assets, or wait for a team to share its own", dim()),
                Line::styled("(then pass them on with  share TEAM TLP INCIDENT [TEXT])", dim()),
            ],
            width,
            2,
        );
    }
    for h in &view.held {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        let name = if h.name != h.incident { format!(" — {}", h.name) } else { String::new() };
        lines.extend(wrap(
            Line::from(vec![
                Span::styled(format!("☣ {}", h.incident), Style::new().fg(BAD).bold()),
                Span::styled(name, bold()),
                Span::raw("  "),
                Span::styled(h.tlp.label(), tlp_style(h.tlp)),
            ]),
            width,
            4,
        ));
        lines.extend(wrap(
            Line::styled(
                format!(
                    "  since {} ({}) from {} · share under {} or stricter",
                    h.since_clock,
                    feed::relative(view.tick, h.since, view.tick_seconds),
                    h.source,
                    h.tlp.label()
                ),
                dim(),
            ),
            width,
            4,
        ));
        let kind_width = h.values.iter().map(|v| format!("{:?}", v.kind).len()).max().unwrap_or(0);
        for v in &h.values {
            let kind = format!("{:?}", v.kind).to_lowercase();
            let mut spans = vec![
                Span::styled(format!("  {kind:<kind_width$} ", kind_width = kind_width), dim()),
                Span::raw(v.value.clone()),
            ];
            if !v.comment.is_empty() {
                spans.push(Span::styled(format!("  {}", v.comment), dim()));
            }
            lines.extend(wrap(Line::from(spans), width, kind_width + 3));
        }
        if h.values.is_empty() {
            lines.push(Line::styled("  (the scenario gives no values for it)", dim()));
        }
    }
    // Ids without details (a server older than the held list).
    for i in view.indicators.iter().filter(|i| !view.held.iter().any(|h| &h.incident == *i)) {
        lines.push(Line::styled(format!("☣ {i}"), Style::new().fg(BAD).bold()));
    }
    lines
}

fn indicators_page(frame: &mut Frame, area: Rect, app: &App, view: &TeamView) {
    let count = view.held.len().max(view.indicators.len());
    scrolled(frame, area, app, Page::Indicators, format!(" Indicators held ({count}) "), |w| indicator_lines(view, w));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names_read_as_words() {
        assert_eq!(role_words(TeamRole::Csirt), "CSIRT");
        assert_eq!(role_words(TeamRole::CrisisCell), "crisis cell");
        assert_eq!(role_words(TeamRole::Cerc), "CERC");
        assert_eq!(kind_words(OrganisationKind::Operator), "operator");
    }
}
