//! The timeline for a terminal: a header line per body (its name, and its renamings and
//! discontinuation), one line per seat (a label, then one character per slice of time: the
//! State's code where it fits, `━` for the rest of a term, `·` for a vacancy), a line of
//! meetings, and a year axis. Fits `width` columns.

use super::{MarkKind, Timeline};

const LABEL: usize = 12;

/// Renders the timeline in `width` columns (at least 40).
pub fn render(t: &Timeline, width: usize) -> String {
    let width = width.max(40);
    let cols = width - LABEL;
    let col = |d| ((t.fraction(d) * cols as f64).floor().max(0.0) as usize).min(cols);
    let mut out = String::new();

    let axis = axis_lines(t, cols, &col);
    out.push_str(&format!("{:LABEL$}{}\n", "", axis.0));
    out.push_str(&format!("{:LABEL$}{}\n", "", axis.1));

    for group in &t.groups {
        let mut header = group.name.clone();
        for mark in group
            .marks
            .iter()
            .filter(|m| m.kind != MarkKind::Established)
        {
            header.push_str(&format!(" · {} {}", mark.label, mark.date));
        }
        out.push_str(&fit(&header, width));
        out.push('\n');
        for row in &group.rows {
            let mut cells = vec![' '; cols];
            for v in &row.vacancies {
                let (a, b) = (col(v.start), col(v.end).max(col(v.start) + 1).min(cols));
                cells[a.min(cols)..b].iter_mut().for_each(|c| *c = '·');
            }
            for bar in &row.bars {
                let a = col(bar.span.start).min(cols - 1);
                let b = col(bar.span.end).max(a + 1).min(cols);
                let code: Vec<char> = bar.state.as_str().chars().collect();
                for (i, cell) in cells[a..b].iter_mut().enumerate() {
                    *cell = code.get(i).copied().unwrap_or('━');
                }
                // Running on the day asked about, where the bar now stops.
                if bar.running() && b - a > code.len() {
                    cells[b - 1] = '▸';
                }
            }
            let label = match row.label.as_str() {
                "President-designate" => "designate".to_owned(),
                other => other.to_owned(),
            };
            let line = format!(
                "{}{}",
                pad(&format!("  {label}"), LABEL),
                cells.iter().collect::<String>()
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }

    let mut meetings = vec![' '; cols];
    for m in &t.meetings {
        meetings[col(m.end).min(cols - 1)] = '╵';
    }
    if let Some(today) = t.today {
        meetings[col(today).min(cols - 1)] = '▲';
    }
    out.push_str(&format!(
        "{}{}\n",
        pad("  meetings", LABEL),
        meetings.iter().collect::<String>().trim_end()
    ));
    out.push_str(&format!("{:LABEL$}{}\n", "", axis.1));
    out.push_str(&format!("{:LABEL$}{}\n", "", axis.0));
    let mut legend =
        "ABC━ term (State code)  ▸ running  · vacant  ╵ meeting (at its close)".to_owned();
    if let Some(today) = t.today {
        legend.push_str(&format!("  ▲ {today}"));
    }
    out.push_str(&fit(&legend, width));
    out.push('\n');
    out
}

/// The year labels and the tick line.
fn axis_lines(
    t: &Timeline,
    cols: usize,
    col: &impl Fn(crate::domain::Date) -> usize,
) -> (String, String) {
    let mut labels = vec![' '; cols];
    let mut ticks = vec!['─'; cols];
    let mut free = 0;
    for (year, day) in t.years() {
        let c = col(day);
        if c < cols {
            ticks[c] = '┬';
        }
        // Every year when four digits fit between ticks, else every second (third, …).
        let per_year = cols as f64 * 365.25 / t.days() as f64;
        let step = (5.0 / per_year).ceil().max(1.0) as i32;
        let text = year.to_string();
        if year % step == 0 && c >= free && c + text.len() <= cols {
            for (i, ch) in text.chars().enumerate() {
                labels[c + i] = ch;
            }
            free = c + text.len() + 1;
        }
    }
    (
        labels.iter().collect::<String>().trim_end().to_owned(),
        ticks.iter().collect(),
    )
}

/// `text` padded or cut (with `…`) to exactly `width` characters.
fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n < width {
        format!("{text}{}", " ".repeat(width - n))
    } else {
        let cut: String = text.chars().take(width.saturating_sub(2)).collect();
        format!("{cut}… ")
    }
}

/// `text` cut (with `…`) to at most `width` characters.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}
