//! HTTP `Range` headers for audio: one range of bytes, or the whole file.

/// A byte range of a file of `size` bytes, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// Whether it covers the whole of a file of `size` bytes.
    pub fn is_whole(self, size: u64) -> bool {
        self.start == 0 && self.end.saturating_add(1) >= size
    }
}

/// What a read of audio amounts to: the one rule, for the page and the API
/// alike, of how it is audited and who may make it. The whole file,
/// however asked for (no `Range`, `bytes=0-`, `bytes=0-{last}`), is a
/// download; a part, or a range outside the file, is a play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Download,
    Play,
}

impl Reading {
    pub fn of(range: Option<Result<ByteRange, Unsatisfiable>>, size: u64) -> Reading {
        match range {
            Some(Ok(range)) if range.is_whole(size) => Reading::Download,
            Some(_) => Reading::Play,
            None => Reading::Download,
        }
    }
}

/// The most a player is sent for one request. Browsers' players ask for
/// open-ended ranges (`bytes=0-` first); those are answered a window at a
/// time and never with the whole file, so playing is a series of parts (a
/// play) and the whole file comes only as a download.
pub const PLAYER_WINDOW: u64 = 1 << 20;

/// A player's `Range`: [`parse_range`], with an open-ended range cut to
/// [`PLAYER_WINDOW`] and short of the whole file (a file of one byte aside).
pub fn parse_player_range(
    header: Option<&str>,
    size: u64,
) -> Option<Result<ByteRange, Unsatisfiable>> {
    let open_ended = header.is_some_and(|h| h.trim().ends_with('-'));
    let range = parse_range(header, size)?;
    Some(range.map(|range| {
        if !open_ended {
            return range;
        }
        let window = PLAYER_WINDOW.min(size.saturating_sub(1)).max(1);
        ByteRange {
            start: range.start,
            end: range.end.min(range.start + window - 1),
        }
    }))
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

    #[test]
    fn the_whole_file_is_a_download_however_asked_for() {
        let size = 1000;
        let reading = |header: Option<&str>| Reading::of(parse_range(header, size), size);
        for whole in [
            None,
            Some("bytes=0-"),
            Some("bytes=0-999"),
            Some("bytes=0-5000"),
            Some("bytes=-1000"),
            Some("bytes=0-1,5-6"),
        ] {
            assert_eq!(reading(whole), Reading::Download, "{whole:?}");
        }
        for part in [
            Some("bytes=1-"),
            Some("bytes=0-998"),
            Some("bytes=-999"),
            Some("bytes=1000-"),
        ] {
            assert_eq!(reading(part), Reading::Play, "{part:?}");
        }
    }

    #[test]
    fn a_player_gets_windows_never_the_whole_file() {
        let size = 3 * PLAYER_WINDOW;
        let r = |s: &str| parse_player_range(Some(s), size).unwrap().unwrap();
        assert_eq!(
            r("bytes=0-"),
            ByteRange {
                start: 0,
                end: PLAYER_WINDOW - 1
            }
        );
        assert_eq!(
            r("bytes=100-"),
            ByteRange {
                start: 100,
                end: PLAYER_WINDOW + 99
            }
        );
        assert_eq!(
            r("bytes=0-999"),
            ByteRange { start: 0, end: 999 },
            "a closed range as asked"
        );
        // A small file: one byte short of the whole.
        let small = parse_player_range(Some("bytes=0-"), 500).unwrap().unwrap();
        assert_eq!(small, ByteRange { start: 0, end: 498 });
        assert_eq!(Reading::of(Some(Ok(small)), 500), Reading::Play);
        assert_eq!(
            parse_player_range(Some("bytes=0-"), 1),
            Some(Ok(ByteRange { start: 0, end: 0 }))
        );
        assert_eq!(parse_player_range(None, 500), None);
        assert_eq!(
            parse_player_range(Some("bytes=600-"), 500),
            Some(Err(Unsatisfiable))
        );
    }
}
