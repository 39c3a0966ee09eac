//! Escaping text for XML, SVG and (XHTML-compatible) HTML.

use std::borrow::Cow;

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, safe in element
/// content and in quoted attribute values alike.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
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
}
