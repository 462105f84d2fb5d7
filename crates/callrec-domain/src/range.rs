//! HTTP `Range` headers for audio: one range of bytes, or the whole file.

/// A byte range of a file of `size` bytes, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// The range asks for bytes the file does not have (416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// `None`: no (usable) Range header, send everything. `Some(Err(_))`: the
/// range cannot be satisfied (416).
pub fn parse_range(header: Option<&str>, size: u64) -> Option<Result<ByteRange, Unsatisfiable>> {
    let spec = header?.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        // Several ranges: answer with the whole file, as RFC 9110 allows.
        return None;
    }
    let Some((start, end)) = spec.split_once('-') else {
        return Some(Err(Unsatisfiable));
    };
    let parse = |s: &str| s.trim().parse::<u64>();
    let range = match (start.trim(), end.trim()) {
        ("", "") => Err(Unsatisfiable),
        ("", suffix) => match parse(suffix) {
            Ok(0) | Err(_) => Err(Unsatisfiable),
            Ok(n) => Ok(ByteRange {
                start: size.saturating_sub(n),
                end: size.saturating_sub(1),
            }),
        },
        (start, "") => match parse(start) {
            Ok(s) if s < size => Ok(ByteRange {
                start: s,
                end: size - 1,
            }),
            _ => Err(Unsatisfiable),
        },
        (start, end) => match (parse(start), parse(end)) {
            (Ok(s), Ok(e)) if s <= e && s < size => Ok(ByteRange {
                start: s,
                end: e.min(size - 1),
            }),
            _ => Err(Unsatisfiable),
        },
    };
    Some(range.and_then(|r| if size == 0 { Err(Unsatisfiable) } else { Ok(r) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = |s: &str| parse_range(Some(s), 1000);
        assert_eq!(r("bytes=0-99"), Some(Ok(ByteRange { start: 0, end: 99 })));
        assert_eq!(
            r("bytes=900-"),
            Some(Ok(ByteRange {
                start: 900,
                end: 999
            }))
        );
        assert_eq!(
            r("bytes=-100"),
            Some(Ok(ByteRange {
                start: 900,
                end: 999
            }))
        );
        assert_eq!(r("bytes=-5000"), Some(Ok(ByteRange { start: 0, end: 999 })));
        assert_eq!(
            r("bytes=990-5000"),
            Some(Ok(ByteRange {
                start: 990,
                end: 999
            }))
        );
        for bad in [
            "bytes=1000-",
            "bytes=5-1",
            "bytes=abc",
            "bytes=-0",
            "bytes=-",
        ] {
            assert_eq!(r(bad), Some(Err(Unsatisfiable)), "{bad}");
        }
        assert_eq!(r("items=0-1"), None);
        assert_eq!(r("bytes=0-1,5-6"), None);
        assert_eq!(parse_range(None, 1000), None);
    }
}
