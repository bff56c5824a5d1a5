//! Text as the matcher sees it: full-width forms folded to their ASCII counterparts, ASCII
//! letters in lower case, and the characters people put between the letters of a word to slip
//! past a filter (spaces, zero-width characters, common separators) left out. Every kept
//! character remembers where it stood, so a hit can be reported in the text as sent.

/// Characters left out between letters besides white space: zero-width characters and
/// separators (their full-width forms fold to these first).
pub const SEPARATORS: &[char] = &[
    '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{00ad}', '*', '.', '·', '・',
    '-', '_', '~', '|', '/', '\\', '+', '#', '，', '。', '、', ',', '!', '！', '?', '？',
];

/// Characters left out between letters: white space, zero-width characters and separators.
fn is_filler(c: char) -> bool {
    c.is_whitespace() || SEPARATORS.contains(&c)
}

/// The characters that count as a letter of a term, as a JSON Schema (ECMA-262) character
/// class: anything but U+0000, white space, a separator or a separator's full-width form.
pub fn term_letter_class() -> String {
    let mut class = format!("[^\\u0000{}", crate::domain::WHITESPACE_CLASS);
    for &c in SEPARATORS {
        class.push_str(&format!("\\u{:04x}", c as u32));
        if ('!'..='~').contains(&c) {
            class.push_str(&format!("\\u{:04x}", c as u32 + 0xFEE0));
        }
    }
    class.push(']');
    class
}

/// Full-width ASCII (U+FF01–U+FF5E) to its ASCII form, ASCII letters to lower case. (The
/// ideographic space is white space, left out as a filler.)
fn fold(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// The normalised text and, for each of its characters, the byte range it came from.
pub struct Normalized {
    pub text: String,
    /// `origin[i]` is the byte range in the original of the character starting at byte `starts[i]`.
    starts: Vec<usize>,
    origin: Vec<(usize, usize)>,
}

impl Normalized {
    pub fn new(raw: &str) -> Self {
        let mut text = String::with_capacity(raw.len());
        let (mut starts, mut origin) = (Vec::new(), Vec::new());
        for (at, c) in raw.char_indices() {
            let folded = fold(c);
            if is_filler(folded) {
                continue;
            }
            starts.push(text.len());
            origin.push((at, at + c.len_utf8()));
            text.push(folded);
        }
        Self {
            text,
            starts,
            origin,
        }
    }

    /// The byte range in the original text of the normalised byte range `start..end`.
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        let first = self.starts.partition_point(|s| *s < start);
        let last = self.starts.partition_point(|s| *s < end).saturating_sub(1);
        (self.origin[first].0, self.origin[last.max(first)].1)
    }
}

/// A term as the matcher stores it (the same folding and filler removal).
pub fn term(raw: &str) -> String {
    Normalized::new(raw).text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_spaced_out_text_folds_to_the_plain_form() {
        assert_eq!(Normalized::new("ＡＢＣ　１２３").text, "abc123");
        assert_eq!(Normalized::new("赌 博").text, "赌博");
        assert_eq!(Normalized::new("赌\u{200b}*博").text, "赌博");
        let n = Normalized::new("课程 含 赌 博 内容");
        let at = n.text.find("赌博").unwrap();
        let (s, e) = n.original(at, at + "赌博".len());
        assert_eq!(
            &"课程 含 赌 博 内容"[s..e],
            "赌 博",
            "the span in the text as sent"
        );
    }
}
