//! The States' colours on one chart: each State keeps one colour wherever it appears (so its
//! terms are easy to follow), and States whose bars touch — one after the other in a seat, or
//! at the same time in the seats above and below — get different colours, and where the
//! palette allows, different lightness, so that they stay apart printed in grey.
//!
//! Pure: it sees the layout (which bars neighbour which), not pixels.

use std::collections::{BTreeMap, BTreeSet};

use super::{Bar, Timeline};
use crate::domain::StateCode;

/// One colour: its fill and its lightness band (0: light … 2: dark), what is left of it in
/// greyscale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Colour {
    pub fill: &'static str,
    pub band: u8,
}

/// Five hues (blue, orange, green, purple, ochre) at three lightnesses (CIELAB L* 91, 79 and
/// 67: dark text reads on all of them, and each band is a distinct grey).
pub const PALETTE: [Colour; 15] = {
    const fn c(fill: &'static str, band: u8) -> Colour {
        Colour { fill, band }
    }
    [
        c("#cde9fe", 0),
        c("#ffdfce", 0),
        c("#ceeeca", 0),
        c("#f8dcfe", 0),
        c("#f2e5bb", 0),
        c("#7bcdfe", 1),
        c("#f7b591", 1),
        c("#a0d09a", 1),
        c("#e2b4ed", 1),
        c("#d5c384", 1),
        c("#39ade6", 2),
        c("#db9269", 2),
        c("#79b173", 2),
        c("#c491d2", 2),
        c("#b4a35a", 2),
    ]
};

/// Each State on the chart and its colour.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Colours(BTreeMap<StateCode, Colour>);

impl Colours {
    /// The State's colour (the first of the palette for a State not on the chart).
    pub fn of(&self, state: &StateCode) -> Colour {
        self.0.get(state).copied().unwrap_or(PALETTE[0])
    }
}

/// How two States' bars touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Touch {
    /// At the same time, in the seats above and below (a white gap between them).
    Stacked,
    /// One after the other in a seat (nothing between them but a hairline).
    Beside,
}

/// Colours the States of `t`. First a band (lightness) for each State, so that States beside
/// each other differ in grey ([`bands`]). Then, greedy, most-connected State first (then by
/// code, so the answer is the same every time): each takes the colour no neighbour has, in
/// its band, preferring one the neighbours above and below do not share the band of, then
/// the colour least used so far. Then a few rounds of repair: a State whose colour still clashes
/// with a neighbour's moves to the colour that clashes least, given all the others, until
/// none improves. Only a State with more neighbours than the palette has colours can share
/// one with a neighbour; its bars still have an outline and a label.
pub fn colours(t: &Timeline) -> Colours {
    let touches = touches(t);
    // The States by index, most-connected first (then by code): plain vectors from here on.
    let mut degree: BTreeMap<&StateCode, usize> = t.bars().map(|b| (&b.state, 0)).collect();
    for (a, b) in touches.keys() {
        *degree.entry(a).or_default() += 1;
        *degree.entry(b).or_default() += 1;
    }
    let mut states: Vec<&StateCode> = degree.keys().copied().collect();
    states.sort_by_key(|s| (std::cmp::Reverse(degree[s]), *s));
    let index: BTreeMap<&StateCode, usize> =
        states.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut neighbours: Vec<Vec<(usize, Touch)>> = vec![Vec::new(); states.len()];
    for ((a, b), touch) in &touches {
        let (a, b) = (index[a], index[b]);
        neighbours[a].push((b, *touch));
        neighbours[b].push((a, *touch));
    }

    // The bands first, as a search: States beside each other in different bands, which a
    // chart's few dozen States almost always allow; where they do not (or the search runs
    // too long), the greedy colouring below decides the bands too.
    let beside: Vec<Vec<usize>> = neighbours
        .iter()
        .map(|n| {
            n.iter()
                .filter(|(_, touch)| *touch == Touch::Beside)
                .map(|(o, _)| *o)
                .collect()
        })
        .collect();
    let bands = bands(&beside);

    // How badly colour `i` would clash for `state`: neighbours of the same colour, then not
    // the band found for it, then neighbours of the same band beside it, then above or below.
    let clashes = |chosen: &[Option<usize>], state: usize, i: usize| {
        let band = bands.as_ref().map(|b| b[state]);
        let mut clash = (
            0,
            usize::from(band.is_some_and(|b| b != PALETTE[i].band)),
            0,
            0,
        );
        for &(other, touch) in &neighbours[state] {
            let Some(j) = chosen[other] else {
                continue;
            };
            clash.0 += usize::from(i == j);
            if PALETTE[i].band == PALETTE[j].band {
                match touch {
                    Touch::Beside => clash.2 += 1,
                    Touch::Stacked => clash.3 += 1,
                }
            }
        }
        clash
    };
    let mut chosen: Vec<Option<usize>> = vec![None; states.len()];
    let mut used = [0usize; PALETTE.len()];
    for state in 0..states.len() {
        let best = (0..PALETTE.len())
            .min_by_key(|&i| (clashes(&chosen, state, i), used[i], i))
            .expect("the palette is not empty");
        used[best] += 1;
        chosen[state] = Some(best);
    }
    // Bounded: each move strictly lowers the number of clashes, which is finite; the bound
    // only caps the work on a pathological chart.
    for _ in 0..16 {
        let mut moved = false;
        for state in 0..states.len() {
            let now = chosen[state].expect("every State has a colour");
            let best = (0..PALETTE.len())
                .min_by_key(|&i| (clashes(&chosen, state, i), i != now, used[i], i))
                .expect("the palette is not empty");
            if best != now {
                used[now] -= 1;
                used[best] += 1;
                chosen[state] = Some(best);
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    Colours(
        states
            .into_iter()
            .zip(chosen)
            .map(|(s, i)| (s.clone(), PALETTE[i.expect("every State has a colour")]))
            .collect(),
    )
}

/// How many bands there are.
const BANDS: u8 = 3;
/// How many steps the search for bands may take before it gives up (a chart of a few dozen
/// States takes about as many; one of hundreds of States drawn at random, a few thousand).
const BAND_STEPS: usize = 20_000;

/// A band for each State (by index) such that no two beside each other share one, searched
/// for with backtracking in index order (each State tries the band least used so far first);
/// `None` when there is none, or none found within [`BAND_STEPS`].
fn bands(beside: &[Vec<usize>]) -> Option<Vec<u8>> {
    struct Search<'a> {
        beside: &'a [Vec<usize>],
        band: Vec<Option<u8>>,
        count: [usize; BANDS as usize],
        steps: usize,
    }
    impl Search<'_> {
        fn place(&mut self, state: usize) -> bool {
            if state == self.beside.len() {
                return true;
            }
            self.steps += 1;
            if self.steps > BAND_STEPS {
                return false;
            }
            let mut tries: Vec<u8> = (0..BANDS).collect();
            tries.sort_by_key(|&b| (self.count[b as usize], b));
            for b in tries {
                if self.beside[state].iter().any(|&n| self.band[n] == Some(b)) {
                    continue;
                }
                self.band[state] = Some(b);
                self.count[b as usize] += 1;
                if self.place(state + 1) {
                    return true;
                }
                self.band[state] = None;
                self.count[b as usize] -= 1;
                if self.steps > BAND_STEPS {
                    return false;
                }
            }
            false
        }
    }
    let mut search = Search {
        beside,
        band: vec![None; beside.len()],
        count: [0; BANDS as usize],
        steps: 0,
    };
    search
        .place(0)
        .then(|| search.band.into_iter().flatten().collect())
}

/// Every pair of different States whose bars touch, and how (beside wins over stacked).
fn touches(t: &Timeline) -> BTreeMap<(StateCode, StateCode), Touch> {
    let mut out = BTreeMap::new();
    let mut touch = |a: &Bar, b: &Bar, how: Touch| {
        if a.state == b.state {
            return;
        }
        let key = if a.state < b.state {
            (a.state.clone(), b.state.clone())
        } else {
            (b.state.clone(), a.state.clone())
        };
        let entry = out.entry(key).or_insert(how);
        *entry = (*entry).max(how);
    };
    let rows: Vec<Vec<&Bar>> = t
        .groups
        .iter()
        .flat_map(|g| &g.rows)
        .map(|r| {
            let mut bars: Vec<&Bar> = r.bars.iter().collect();
            bars.sort_by_key(|b| (b.span.start, b.span.end));
            bars
        })
        .collect();
    for row in &rows {
        for pair in row.windows(2) {
            touch(pair[0], pair[1], Touch::Beside);
        }
    }
    for pair in rows.windows(2) {
        // A seat's bars do not overlap, so each bar above meets a run of the bars below
        // that starts where the last one's did: linear in the bars, not their product.
        let below = &pair[1];
        let mut first = 0;
        for a in &pair[0] {
            while below.get(first).is_some_and(|b| b.span.end < a.span.start) {
                first += 1;
            }
            // A day's overlap is enough: bars are drawn at least a sliver wide.
            for b in below[first..]
                .iter()
                .take_while(|b| b.span.start <= a.span.end)
            {
                if a.span.start <= b.span.end {
                    touch(a, b, Touch::Stacked);
                }
            }
        }
    }
    out
}

/// The States on the chart, each once, for a key: code and name (if recorded), by code.
pub fn states(t: &Timeline) -> Vec<(&StateCode, Option<&str>)> {
    let mut seen = BTreeSet::new();
    let mut out: Vec<(&StateCode, Option<&str>)> = t
        .bars()
        .filter(|b| seen.insert(&b.state))
        .map(|b| (&b.state, b.state_name.as_deref()))
        .collect();
    out.sort_by_key(|(code, _)| *code);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Group, Row, Span};

    fn bar(state: &str, start: &str, end: &str) -> Bar {
        let date = |s| crate::domain::Date::parse(s).unwrap();
        Bar {
            span: Span {
                start: date(start),
                end: date(end),
            },
            start: date(start),
            end: Some(date(end)),
            state: StateCode::new(state).unwrap(),
            state_name: None,
            person: None,
            how_ended: "succeeded",
            decision: crate::domain::MeetingId::new("1MSP").unwrap(),
            seq: crate::domain::Seq(0),
        }
    }

    fn chart(rows: Vec<Vec<Bar>>) -> Timeline {
        let date = |s| crate::domain::Date::parse(s).unwrap();
        Timeline {
            from: date("2010-01-01"),
            to: date("2029-12-31"),
            today: None,
            groups: vec![Group {
                id: "g".into(),
                name: "G".into(),
                rows: rows
                    .into_iter()
                    .map(|bars| Row {
                        label: "seat".into(),
                        bars,
                        vacancies: Vec::new(),
                    })
                    .collect(),
                marks: Vec::new(),
            }],
            meetings: Vec::new(),
        }
    }

    #[test]
    fn a_state_keeps_its_colour_and_its_neighbours_differ_in_colour_and_band() {
        // AAA and BBB take turns in the seat; CCC sits below both at once.
        let t = chart(vec![
            vec![
                bar("AAA", "2011-01-01", "2012-01-01"),
                bar("BBB", "2012-01-01", "2013-01-01"),
                bar("AAA", "2013-01-01", "2014-01-01"),
            ],
            vec![bar("CCC", "2011-06-01", "2013-06-01")],
        ]);
        let colours = colours(&t);
        let [a, b, c] = ["AAA", "BBB", "CCC"].map(|s| colours.of(&StateCode::new(s).unwrap()));
        assert!(a != b && b != c && a != c, "{a:?} {b:?} {c:?}");
        assert_ne!(a.band, b.band, "beside each other: apart in grey too");
        assert_ne!(a.band, c.band);
        assert_ne!(b.band, c.band);
    }

    #[test]
    fn the_colouring_is_the_same_every_time() {
        let rows = || {
            vec![
                vec![
                    bar("NOR", "2011-01-01", "2012-01-01"),
                    bar("CIV", "2012-01-01", "2013-01-01"),
                ],
                vec![bar("LAO", "2011-01-01", "2013-01-01")],
            ]
        };
        assert_eq!(colours(&chart(rows())), colours(&chart(rows())));
    }
}
