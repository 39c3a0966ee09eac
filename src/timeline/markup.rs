//! Escaping text for XML, SVG and (XHTML-compatible) HTML.

use std::borrow::Cow;

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, safe in element
/// content and in quoted attribute values alike; and every character XML forbids (C0
/// controls but tab, newline and carriage return; U+FFFE, U+FFFF), every other control
/// character (DEL, C1) and every bidi override or isolate replaced by U+FFFD. The ledger
/// refuses those in new text, but one written before the rule may hold them: a raw ESC would
/// make the page not well-formed XML, an override would reorder what a reader sees.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'', '\u{FFFE}', '\u{FFFF}'])
        && crate::domain::text::first_refused(text).is_none()
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c if crate::domain::text::is_refused(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_the_five_markup_characters_and_nothing_else() {
        assert_eq!(escape("Côte d'Ivoire"), "Côte d&#39;Ivoire");
        assert_eq!(
            escape(r#"<script>alert("x & y")</script>"#),
            "&lt;script&gt;alert(&quot;x &amp; y&quot;)&lt;/script&gt;"
        );
        assert!(matches!(escape("Norway"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn characters_xml_forbids_and_bidi_overrides_become_the_replacement_character() {
        assert_eq!(escape("a\u{1b}[2Jb"), "a\u{FFFD}[2Jb");
        assert_eq!(
            escape("\u{202e}yawroN\u{85}\u{FFFF}"),
            "\u{FFFD}yawroN\u{FFFD}\u{FFFD}"
        );
        assert_eq!(escape("line\none"), "line\none");
    }
}
