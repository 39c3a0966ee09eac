//! Which characters the ledger's text may hold (issue 13, item 6).
//!
//! Names, ids, persons, locations, reasons and `recorded_by` are read by people on terminals,
//! in spreadsheets and in browsers. A control character (C0, DEL, C1: ESC sequences clear a
//! screen, print a fake "verified" line or hide a link; a newline forges a table row) or a
//! bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069: "Norway" shown for
//! "yawroN") has no place in any of them, so the ledger refuses them at the door. Every output
//! neutralises them anyway, since a ledger written before this rule may hold them.

/// Whether `c` is refused in any text of an event: a control character (Unicode category Cc:
/// C0, DEL, C1) or a bidirectional embedding, override or isolate.
pub fn is_refused(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// U+202A–U+202E (embeddings and overrides) and U+2066–U+2069 (isolates): they reorder the
/// text around them on screen, so what is shown is not what is stored.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The first refused character of `text`, if any. Looks at characters only when a byte
/// that could begin one is present (ASCII controls, and the lead bytes of C1 controls and of
/// the bidi range), so clean text costs one pass over its bytes.
pub fn first_refused(text: &str) -> Option<char> {
    // Folded a block at a time without stopping early, so the compiler checks a block's
    // bytes side by side (SIMD); stopping at the first suspicious byte made it a byte at a
    // time (a tenth of reading an import's lines, profiled).
    let suspicious = text.as_bytes().chunks(64).any(|block| {
        block.iter().fold(false, |seen, &b| {
            seen | (b < 0x20) | (b == 0x7F) | (b == 0xC2) | (b == 0xE2)
        })
    });
    if !suspicious {
        return None;
    }
    text.chars().find(|&c| is_refused(c))
}

/// JSON text with every refused character written as a `\u` escape of four hex digits
/// (U+202E as `\u202e`). serde_json escapes C0 controls but writes DEL, C1 controls and bidi controls as they are, and a terminal or an
/// editor showing the JSON acts on them; escaped, the JSON value is the same. Outside strings
/// JSON holds only ASCII syntax and the whitespace of pretty printing (newline, tab, CR), which
/// serde escapes inside strings: those three are left as they are, every other refused
/// character can only be inside a string.
pub fn json_escaped(json: &str) -> std::borrow::Cow<'_, str> {
    if first_refused(json).is_none() {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_refused(c) && !matches!(c, '\n' | '\t' | '\r') {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::first_refused;

    #[test]
    fn json_keeps_its_value_with_refused_characters_escaped() {
        let value = serde_json::json!({ "name": "a\u{202E}b\u{85}c\u{7f}\n" });
        for text in [
            serde_json::to_string(&value).unwrap(),
            serde_json::to_string_pretty(&value).unwrap(),
        ] {
            let escaped = super::json_escaped(&text);
            let left: Vec<char> = escaped.chars().filter(|&c| super::is_refused(c)).collect();
            assert!(left.iter().all(|&c| c == '\n'), "{escaped}");
            let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
            assert_eq!(back, value);
        }
    }

    #[test]
    fn control_and_bidi_characters_are_refused_and_nothing_else() {
        for hostile in [
            "\u{1b}[2J",
            "a\nb",
            "a\tb",
            "a\rb",
            "\u{7f}",
            "\u{85}",
            "\u{9b}31m",
            "\u{202e}yawroN",
            "\u{2066}x\u{2069}",
            "\u{202a}",
        ] {
            assert!(first_refused(hostile).is_some(), "{hostile:?}");
        }
        for fine in [
            "Côte d'Ivoire",
            "Türkiye",
            "São Tomé",
            "=HYPERLINK(\"x\")",
            "\u{a0}",
            "\u{2014}",
            "\u{2065}",
            "\u{202f}",
            "\u{2070}",
            "日本",
        ] {
            assert_eq!(first_refused(fine), None, "{fine:?}");
        }
    }

    #[test]
    fn a_refused_character_is_found_wherever_it_is_in_a_long_text() {
        for at in [0, 1, 63, 64, 65, 127, 128, 200] {
            for refused in ['\u{1b}', '\u{7f}', '\u{85}', '\u{202e}'] {
                let text: String = (0..201)
                    .map(|i| if i == at { refused } else { 'é' })
                    .collect();
                assert_eq!(first_refused(&text), Some(refused), "at {at}");
            }
        }
        assert_eq!(first_refused(&"é".repeat(300)), None);
    }
}
