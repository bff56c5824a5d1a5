//! Single byte ranges of a file (RFC 9110 §14): `bytes=a-b`, `bytes=a-`, `bytes=-n`. A header
//! the server does not take (another unit, several ranges, bad syntax) is ignored, and the whole
//! file is answered, as the RFC allows.
use std::ops::Range;

/// What a `Range` header asks of a file of a given size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Whole,
    Part(Range<u64>),
    /// No byte of the range is in the file: 416.
    Unsatisfiable,
}

pub fn resolve(header: &str, size: u64) -> Resolved {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Resolved::Whole;
    };
    if spec.contains(',') {
        return Resolved::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Resolved::Whole;
    };
    let number = |s: &str| {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse::<u64>().ok()
        } else {
            None
        }
    };
    match (first.is_empty(), number(first), number(last)) {
        // bytes=-n: the last n bytes.
        (true, _, Some(n)) if n > 0 && size > 0 => Resolved::Part(size.saturating_sub(n)..size),
        (true, _, Some(_)) => Resolved::Unsatisfiable,
        (false, Some(start), _) if start >= size => Resolved::Unsatisfiable,
        (false, Some(start), None) if last.is_empty() => Resolved::Part(start..size),
        (false, Some(start), Some(end)) if end >= start => {
            Resolved::Part(start..end.saturating_add(1).min(size))
        }
        _ => Resolved::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_resolved_against_the_size() {
        for (header, expected) in [
            ("bytes=0-99", Resolved::Part(0..100)),
            ("bytes=100-", Resolved::Part(100..1000)),
            ("bytes=-10", Resolved::Part(990..1000)),
            ("bytes=-5000", Resolved::Part(0..1000)),
            ("bytes=990-5000", Resolved::Part(990..1000)),
            ("bytes=999-999", Resolved::Part(999..1000)),
            ("bytes=1000-", Resolved::Unsatisfiable),
            ("bytes=1000-1001", Resolved::Unsatisfiable),
            ("bytes=-0", Resolved::Unsatisfiable),
            ("bytes=5-4", Resolved::Whole),
            ("bytes=0-1,5-6", Resolved::Whole),
            ("items=0-1", Resolved::Whole),
            ("bytes=a-b", Resolved::Whole),
            ("bytes=-", Resolved::Whole),
            ("bytes=5-x", Resolved::Whole),
        ] {
            assert_eq!(resolve(header, 1000), expected, "{header}");
        }
        assert_eq!(resolve("bytes=-1", 0), Resolved::Unsatisfiable);
    }
}
