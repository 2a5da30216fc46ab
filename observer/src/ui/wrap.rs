//! Word wrapping that keeps each span's style, so that a panel knows how many
//! rows its text takes (to scroll it exactly, and to keep the newest in view).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

/// The rows `line` takes in `width` columns, words kept whole where they fit;
/// rows after the first start with `indent` spaces. Never empty.
pub fn wrap(line: Line<'static>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = if indent * 2 > width { 0 } else { indent };
    let style = line.style;
    let cells: Vec<(char, Style, usize)> = line
        .spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .map(|(c, st)| (c, st, char_width(c)))
        .collect();
    let total: usize = cells.iter().map(|c| c.2).sum();
    if total <= width {
        return vec![line];
    }
    // Tokens: runs of spaces and runs of other characters.
    let mut tokens: Vec<&[(char, Style, usize)]> = Vec::new();
    let mut start = 0;
    for i in 1..=cells.len() {
        if i == cells.len() || (cells[i].0 == ' ') != (cells[start].0 == ' ') {
            tokens.push(&cells[start..i]);
            start = i;
        }
    }
    let mut rows: Vec<Vec<(char, Style)>> = vec![Vec::new()];
    let mut used = 0;
    let new_row = |rows: &mut Vec<Vec<(char, Style)>>, used: &mut usize| {
        rows.push((0..indent).map(|_| (' ', Style::new())).collect());
        *used = indent;
    };
    for token in tokens {
        let token_width: usize = token.iter().map(|c| c.2).sum();
        let is_space = token[0].0 == ' ';
        if used + token_width <= width {
            rows.last_mut().unwrap().extend(token.iter().map(|c| (c.0, c.1)));
            used += token_width;
            continue;
        }
        if is_space {
            // A break: the spaces go.
            new_row(&mut rows, &mut used);
            continue;
        }
        if token_width <= width - indent && used > indent {
            new_row(&mut rows, &mut used);
        }
        for &(c, st, w) in token {
            if used + w > width && used > indent {
                new_row(&mut rows, &mut used);
            }
            rows.last_mut().unwrap().push((c, st));
            used += w;
        }
    }
    rows.into_iter()
        .map(|mut row| {
            // A row ends where a word did not fit: its trailing spaces go.
            while row.last().is_some_and(|c| c.0 == ' ') {
                row.pop();
            }
            row
        })
        .filter(|r| !r.is_empty())
        .map(|row| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            let mut text = String::new();
            let mut current = row[0].1;
            for (c, st) in row {
                if st != current {
                    spans.push(Span::styled(std::mem::take(&mut text), current));
                    current = st;
                }
                text.push(c);
            }
            spans.push(Span::styled(text, current));
            Line::from(spans).style(style)
        })
        .collect()
}

/// `line` cut to `width` columns, with `…` where it was cut.
pub fn clip(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let room = width.saturating_sub(1);
    let mut used = 0;
    let mut spans = Vec::new();
    for span in &line.spans {
        let mut text = String::new();
        for c in span.content.chars() {
            let w = char_width(c);
            if used + w > room {
                break;
            }
            used += w;
            text.push(c);
        }
        let full = text.len() == span.content.len();
        if !text.is_empty() {
            spans.push(Span::styled(text, span.style));
        }
        if !full {
            break;
        }
    }
    if width > 0 {
        spans.push(Span::raw("…"));
    }
    Line::from(spans).style(line.style)
}

/// [`wrap`] for many lines.
pub fn wrap_all(lines: impl IntoIterator<Item = Line<'static>>, width: usize, indent: usize) -> Vec<Line<'static>> {
    lines.into_iter().flat_map(|l| wrap(l, width, indent)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    #[test]
    fn words_wrap_with_an_indent_and_keep_their_style() {
        let red = Style::new().fg(Color::Red);
        let line = Line::from(vec![Span::styled("✗ failed:", red), Span::raw(" not_aware — nothing to report yet")]);
        let rows = wrap(line, 20, 2);
        assert_eq!(text(&rows), vec!["✗ failed: not_aware", "  — nothing to", "  report yet"]);
        assert_eq!(rows[0].spans[0].style, red);
        assert_eq!(rows[0].spans[0].content, "✗ failed:");
        // A line that fits is untouched; a word longer than a row is cut.
        assert_eq!(text(&wrap(Line::raw("short"), 20, 2)), vec!["short"]);
        let hash = "9f86d081884c7d659a2feaa0c55ad015";
        assert_eq!(
            text(&wrap(Line::raw(format!("sha256 {hash}")), 12, 0)).concat().replace(' ', ""),
            format!("sha256{hash}")
        );
        for row in wrap(Line::raw(format!("sha256 {hash}")), 12, 2) {
            assert!(row.width() <= 12, "{row:?}");
        }
        // Clipped: one row, with an ellipsis.
        let clipped = clip(Line::raw("refused: not_your_asset — belongs to post"), 20);
        assert_eq!(text(&[clipped]), vec!["refused: not_your_a…"]);
        assert_eq!(text(&[clip(Line::raw("short"), 20)]), vec!["short"]);
        // Tiny widths do not loop or panic.
        assert!(!wrap(Line::raw("a b c"), 1, 4).is_empty());
        assert_eq!(wrap(Line::raw(""), 10, 0).len(), 1);
    }
}
