//! The MSEL overlay (`m`) and the inject form (`i`), drawn from the
//! [`DirectorApp`] state: what is still to come, what fired and how, and the
//! form whose message wraps as it is typed.

use cascade_engine::view::{FiredBy, MselEntry, MselStatus};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{BAD, FOCUS, OK, WARN, centred};
use crate::director::{DirectorApp, Field};
use crate::ui::{dim, fit, tlp_style};

/// Most rows the inject form gives its message (older rows scroll up).
const MESSAGE_ROWS: usize = 5;

/// Where an inject stands, in words and a symbol that reads without colour.
pub fn status_words(e: &MselEntry) -> (String, Style) {
    let at = if e.since_time.is_empty() {
        e.since.map(|t| format!("t{t}")).unwrap_or_default()
    } else {
        e.since_time.clone()
    };
    match (e.status, e.how) {
        (MselStatus::Waiting, _) => ("· waiting".into(), Style::new()),
        (MselStatus::Held, _) => (format!("⏸ held {at}"), Style::new().fg(WARN).bold()),
        (MselStatus::Skipped, _) => (format!("⤼ skipped {at}"), dim()),
        (MselStatus::Fired, Some(FiredBy::Director)) => (format!("✓ fired {at} by hand"), Style::new().fg(OK)),
        (MselStatus::Fired, Some(FiredBy::Replaced)) => (format!("✓ sent edited {at}"), Style::new().fg(OK)),
        (MselStatus::Fired, Some(FiredBy::Condition)) => (format!("✓ fired {at} (condition)"), Style::new().fg(OK)),
        (MselStatus::Fired, _) => (format!("✓ fired {at}"), Style::new().fg(OK)),
    }
}

fn recipients(e: &MselEntry) -> String {
    if e.to.is_empty() { "all teams".into() } else { e.to.join(",") }
}

/// The MSEL panel: one row per inject (time or condition, id, status, TLP,
/// recipients, method), then the selected inject in full.
pub fn msel_popup(frame: &mut Frame, area: Rect, app: &DirectorApp) {
    // Below the header, above the status line (where "fire … now? y / n" asks).
    let mut popup = centred(area, area.width.saturating_sub(2).min(130), area.height.saturating_sub(3));
    popup.y = area.y + 1.min(area.height);
    frame.render_widget(Clear, popup);
    let keys = if app.replay.is_some() {
        " MSEL (a recording: read only) — j k move, Esc close "
    } else {
        " MSEL — j k move, f fire now, h hold, r release, x skip, e edit & send in its place, Esc close "
    };
    let block = Block::bordered().title(keys).border_style(Style::new().fg(FOCUS));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let rows = app.msel_rows();
    if rows.is_empty() {
        let text = if app.view.is_none() { "waiting for the host's view" } else { "the scenario has no injects" };
        frame.render_widget(Paragraph::new(Line::styled(text, dim())), inner);
        return;
    }
    let width = usize::from(inner.width);
    // The selected inject in full below the list: at most half the panel.
    let selected = app.msel_selected.min(rows.len() - 1);
    let detail = detail_lines(rows[selected]);
    let detail_paragraph = Paragraph::new(detail).wrap(Wrap { trim: false });
    let detail_rows = detail_paragraph.line_count(inner.width).min(usize::from(inner.height) / 2) as u16;
    let list_rows = usize::from(inner.height.saturating_sub(detail_rows + 1)).max(1);
    let first = selected.saturating_sub(list_rows.saturating_sub(1));
    let mut lines: Vec<Line> = Vec::with_capacity(list_rows);
    lines.push(Line::styled(
        fit(
            &format!("  {:<22} {:<20} {:<22} {:<17} {:<20} {}", "time", "inject", "status", "TLP", "to", "method"),
            width,
        ),
        dim(),
    ));
    for (i, e) in rows.iter().enumerate().skip(first).take(list_rows.saturating_sub(1)) {
        let (status, status_style) = match app.pending_msel(&e.id) {
            // Sent, not applied yet (the next tick applies it).
            Some(op) => (format!("⧗ {} sent", op.name()), Style::new().fg(FOCUS)),
            None => status_words(e),
        };
        let time = if e.at.is_some() { e.time.clone() } else { e.when.clone() };
        let mark = if i == selected { "▸ " } else { "  " };
        let row_style = if i == selected { Style::new().fg(FOCUS).bold() } else { Style::new() };
        let spans = vec![
            Span::styled(format!("{mark}{:<22} ", fit(&time, 22)), row_style),
            Span::styled(format!("{:<20} ", fit(&e.id, 20)), row_style),
            Span::styled(format!("{:<22} ", fit(&status, 22)), status_style),
            Span::styled(format!("{:<17} ", e.tlp.label()), tlp_style(e.tlp)),
            Span::raw(format!("{:<20} ", fit(&recipients(e), 20))),
            Span::styled(e.method.name().to_string(), dim()),
        ];
        lines.push(Line::from(spans));
    }
    let [list_area, detail_area] = {
        // Right under the list when it is short.
        let list_height = inner.height.saturating_sub(detail_rows + 1).min(lines.len() as u16);
        let list = Rect { height: list_height, ..inner };
        let detail = Rect { y: inner.y + list_height + 1, height: detail_rows, ..inner };
        [list, detail]
    };
    frame.render_widget(Paragraph::new(lines), list_area);
    let rule = Rect { y: list_area.y + list_area.height, height: 1, ..inner };
    frame.render_widget(Paragraph::new(Line::styled("─".repeat(width), dim())), rule);
    frame.render_widget(detail_paragraph, detail_area);
}

/// The selected inject in full: sender, recipients, method, condition,
/// effects, the message and what is expected of the players.
fn detail_lines(e: &MselEntry) -> Vec<Line<'static>> {
    let (status, status_style) = status_words(e);
    let mut lines = vec![Line::from(vec![
        Span::styled(e.id.clone(), Style::new().bold()),
        Span::raw("  "),
        Span::styled(status, status_style),
        Span::raw("  "),
        Span::styled(e.tlp.label(), tlp_style(e.tlp)),
        Span::styled(format!("  by {}", e.method.name()), dim()),
    ])];
    let when = if e.at.is_some() { format!("at {}", e.time) } else { e.when.clone() };
    let from = if e.from.is_empty() { "exercise control" } else { e.from.as_str() };
    lines.push(Line::raw(format!("{when} · from {from} · to {}", recipients(e))));
    if !e.effects.is_empty() {
        let effects: Vec<String> = e.effects.iter().map(|x| ron::to_string(x).unwrap_or_default()).collect();
        lines.push(Line::raw(format!("effects: {}", effects.join(", "))));
    }
    if e.message.is_empty() {
        lines.push(Line::styled("(no message: effects only)", dim()));
    } else {
        lines.push(Line::raw(e.message.clone()));
    }
    if !e.expected_action.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("expected: ", Style::new().fg(FOCUS)),
            Span::raw(e.expected_action.clone()),
        ]));
    }
    lines
}

/// Splits `text` into rows of at most `width` characters, breaking after a
/// space where one is near, so the end of the text (where the cursor is)
/// is always the end of the last row.
pub fn wrap_rows(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let chars: Vec<char> = text.chars().collect();
    let mut rows = Vec::new();
    let mut start = 0;
    while chars.len() - start > width {
        let window = &chars[start..start + width];
        // Break after the last space of the row, unless that leaves it short.
        let cut = match window.iter().rposition(|c| *c == ' ') {
            Some(space) if space + 1 > width / 2 => space + 1,
            _ => width,
        };
        rows.push(chars[start..start + cut].iter().collect());
        start += cut;
    }
    rows.push(chars[start..].iter().collect());
    rows
}

/// The inject form: recipients, sender, the message (wrapped over up to
/// `MESSAGE_ROWS` rows), TLP label and delivery method, and a hint line.
pub fn inject_popup(frame: &mut Frame, area: Rect, app: &DirectorApp) {
    let form = &app.inject;
    let popup_width = area.width.saturating_sub(2).min(96);
    const LABEL: usize = 10;
    let text_width = usize::from(popup_width.saturating_sub(2)).saturating_sub(LABEL).max(1);
    let mut message_rows = wrap_rows(&form.message, text_width);
    let hidden = message_rows.len().saturating_sub(MESSAGE_ROWS);
    message_rows.drain(..hidden);
    let height = 2 + 2 + message_rows.len() as u16 + 2 + 2;
    let popup = centred(area, popup_width, height);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(" Inject — Enter next/send, Tab complete, Ctrl-T TLP, Ctrl-D method, Esc cancel ")
        .border_style(Style::new().fg(FOCUS));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let mut lines = Vec::new();
    let mut cursor = None;
    let label = |field: Field, name: &str| {
        let active = form.field == field;
        let style = if active { Style::new().fg(FOCUS).bold() } else { dim() };
        Span::styled(format!("{}{name:<9}", if active { "▸" } else { " " }), style)
    };
    for (field, name, value) in [(Field::To, "To", &form.to), (Field::From, "From", &form.from)] {
        let count = value.chars().count();
        let visible: String = value.chars().skip(count.saturating_sub(text_width.saturating_sub(1))).collect();
        if form.field == field {
            cursor = Some((LABEL + visible.chars().count(), lines.len()));
        }
        let shown = if visible.is_empty() && field == Field::To { "(all teams)".to_string() } else { visible };
        let style = if value.is_empty() { dim() } else { Style::new() };
        lines.push(Line::from(vec![label(field, name), Span::styled(shown, style)]));
    }
    for (i, row) in message_rows.iter().enumerate() {
        let head = if i == 0 {
            label(Field::Message, if hidden > 0 { "Message…" } else { "Message" })
        } else {
            Span::raw(" ".repeat(LABEL))
        };
        lines.push(Line::from(vec![head, Span::raw(row.clone())]));
    }
    if form.field == Field::Message {
        let last = message_rows.last().map_or(0, |r| r.chars().count());
        cursor = Some((LABEL + last.min(text_width.saturating_sub(1)), lines.len() - 1));
    }
    lines.push(Line::from(vec![
        Span::styled(format!(" {:<9}", "TLP"), dim()),
        Span::styled(form.tlp.label(), tlp_style(form.tlp)),
        Span::styled("  (Ctrl-T changes)", dim()),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!(" {:<9}", "Method"), dim()),
        Span::styled(form.method.name(), Style::new().bold()),
        Span::styled("  (Ctrl-D changes)", dim()),
    ]));
    lines.push(Line::raw(""));
    let all = app.msel_entries();
    let entries = all.len();
    if let Some(e) = &form.error {
        lines.push(Line::styled(e.clone(), Style::new().fg(BAD)));
    } else if !form.candidates.is_empty() {
        lines.push(Line::raw(format!("Tab: {}", form.candidates.join("  "))));
    } else if let (Some(i), Some(id)) = (form.msel, form.replaces()) {
        let effects = form.template.as_ref().map_or(0, |t| t.effects.len());
        lines.push(Line::styled(
            format!("MSEL {}/{entries} in place of {id} ({effects} effects; it won't fire again) Ctrl-N/P", i + 1),
            Style::new().fg(FOCUS),
        ));
    } else if let Some((id, _)) = form.msel.and_then(|i| all.get(i)) {
        let i = form.msel.unwrap_or(0);
        lines.push(Line::styled(
            format!("MSEL {}/{entries}: a copy of {id}, sent as a new inject  Ctrl-N/P", i + 1),
            Style::new().fg(FOCUS),
        ));
    } else if entries > 0 {
        lines.push(Line::styled(
            format!("Ctrl-N/Ctrl-P: load one of the {entries} MSEL injects; To empty: every team"),
            dim(),
        ));
    } else {
        lines.push(Line::styled("To: team ids, comma-separated (empty: every team)", dim()));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some((x, y)) = cursor {
        frame.set_cursor_position(Position::new(
            inner.x + (x as u16).min(inner.width.saturating_sub(1)),
            inner.y + (y as u16).min(inner.height.saturating_sub(1)),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::wrap_rows;

    #[test]
    fn rows_break_after_spaces_and_keep_every_character() {
        let text = "Power lost at the Kirchberg substation; hospitals on generators";
        let rows = wrap_rows(text, 20);
        assert!(rows.iter().all(|r| r.chars().count() <= 20), "{rows:?}");
        assert_eq!(rows.concat(), text);
        assert_eq!(rows[0], "Power lost at the ");
        // A word longer than the row is cut; an empty text is one empty row.
        assert_eq!(wrap_rows("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap_rows("", 4), [""]);
    }
}
