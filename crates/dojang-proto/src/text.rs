//! What text a relying party (or an operator) may have shown to a person, shared by the
//! server, which refuses the rest, and the app, which strips it again before printing.
//!
//! A card is read in a terminal (`dojang-app`) or a page: a character that moves the cursor,
//! erases, starts an escape sequence or reorders the text around it lets whoever wrote the
//! text rewrite what the person sees, such as the "from:" line (issue 14, finding 5). Refused:
//!
//! - C0 controls (U+0000–U+001F) and DEL (U+007F): ESC starts terminal escapes, CR returns to
//!   the start of the line, BS moves back. A multi-line field (a message, a text to sign)
//!   may hold line feeds, tabs and CR only as part of CR LF;
//! - C1 controls (U+0080–U+009F): CSI (U+009B) is an escape sequence by itself;
//! - every format character (General Category Cf: bidirectional embeddings, overrides and
//!   isolates, LRM/RLM/ALM, zero-width space, word joiner, invisible operators, BOM, soft
//!   hyphen, tag characters, …) except the zero-width joiner and non-joiner, which emoji
//!   sequences and some scripts need and which move nothing;
//! - the line and paragraph separators (U+2028, U+2029), which break lines like a line feed.
//!
//! The general categories come from `unicode-properties` (the Unicode Character Database).

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Whether a field is one line (titles, names) or may hold several (messages, texts to sign).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// No line breaks and no tabs.
    One,
    /// Line feeds and tabs allowed; CR only directly before LF.
    Many,
}

/// Whether `c` may never be shown to a person, whatever the field (line breaks and tabs are
/// decided by [`Lines`], in [`first_unsafe`]).
pub fn is_unsafe(c: char) -> bool {
    match c {
        '\u{200C}' | '\u{200D}' => false,
        '\u{2028}' | '\u{2029}' => true,
        c if c.is_control() => true,
        c => c.general_category() == GeneralCategory::Format,
    }
}

/// The first character of `text` that must not be shown in a field of `lines`, with its
/// position in characters, or `None` if all may be shown.
pub fn first_unsafe(text: &str, lines: Lines) -> Option<(usize, char)> {
    let mut chars = text.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        let allowed = match (lines, c) {
            (Lines::Many, '\n' | '\t') => true,
            (Lines::Many, '\r') => chars.peek().is_some_and(|(_, n)| *n == '\n'),
            (_, c) => !is_unsafe(c),
        };
        if !allowed {
            return Some((i, c));
        }
    }
    None
}

/// `text` as it may be printed: every character [`first_unsafe`] would refuse becomes U+FFFD
/// (visible, so a person sees that something was removed), CR LF becomes LF.
pub fn for_display(text: &str, lines: Lines) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (lines, c) {
            (Lines::Many, '\r') if chars.peek() == Some(&'\n') => {}
            (Lines::Many, '\n' | '\t') => out.push(c),
            (_, c) if is_unsafe(c) => out.push('\u{FFFD}'),
            (_, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_refused() {
        for c in [
            '\u{1b}',
            '\u{0}',
            '\u{7}',
            '\u{8}',
            '\r',
            '\u{7f}',
            '\u{85}',
            '\u{9b}',
            '\u{202e}',
            '\u{202a}',
            '\u{2066}',
            '\u{2069}',
            '\u{200e}',
            '\u{200f}',
            '\u{061c}',
            '\u{200b}',
            '\u{2060}',
            '\u{feff}',
            '\u{ad}',
            '\u{e0041}',
            '\u{2028}',
            '\u{2029}',
            '\u{fff9}',
        ] {
            assert!(is_unsafe(c), "{:04x}", u32::from(c));
            assert!(
                first_unsafe(&format!("a{c}b"), Lines::Many).is_some(),
                "{:04x}",
                u32::from(c)
            );
        }
        for s in [
            "도장은행 본인확인",
            "Hello, world!",
            "👨\u{200d}👩\u{200d}👧",
            "가\u{fe0f}",
        ] {
            assert_eq!(first_unsafe(s, Lines::One), None, "{s:?}");
        }
        assert_eq!(first_unsafe("a\nb", Lines::One), Some((1, '\n')));
        assert_eq!(first_unsafe("a\tb", Lines::One), Some((1, '\t')));
        assert_eq!(first_unsafe("a\nb\tc\r\nd", Lines::Many), None);
        assert_eq!(first_unsafe("a\rb", Lines::Many), Some((1, '\r')));
        assert_eq!(first_unsafe("a\r", Lines::Many), Some((1, '\r')));
    }

    #[test]
    fn display_replaces_what_is_refused() {
        assert_eq!(
            for_display("\u{1b}[2K\rfrom: 국세청\u{202e}", Lines::One),
            "\u{fffd}[2K\u{fffd}from: 국세청\u{fffd}"
        );
        assert_eq!(for_display("a\r\nb\tc", Lines::Many), "a\nb\tc");
        assert_eq!(for_display("a\r\nb", Lines::One), "a\u{fffd}\u{fffd}b");
    }
}
