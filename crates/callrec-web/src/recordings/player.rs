//! The one player of a page (`player.html`, `assets/player.js`): pinned to
//! the bottom of Recordings, where each row's Play loads its call, and at
//! the top of a recording's page, opened at `?t=` seconds.

use super::PageId;
use callrec_store::Recording;

pub(crate) struct Player {
    /// The call it opens with (a recording's page); none on Recordings.
    pub id: Option<PageId>,
    /// Where it opens, in seconds (`?t=83` is 1:23).
    pub start: u32,
    /// Whether it offers Download (Access to Download Recordings).
    pub can_download: bool,
    /// Pinned to the bottom of the window (Recordings).
    pub pinned: bool,
    pub title: String,
}

impl Player {
    /// The player of Recordings: no call until a row's Play.
    pub fn for_list(can_download: bool) -> Player {
        Player {
            id: None,
            start: 0,
            can_download,
            pinned: true,
            title: "Press Play on a call to hear it here.".into(),
        }
    }

    /// The player of `recording`'s page, at `t` seconds (`?t=`) when that
    /// is within the call; `started` is its start in the viewer's zone.
    pub fn for_call(recording: &Recording, started: &str, t: &str, can_download: bool) -> Player {
        let longest = u32::try_from(recording.duration_ms.max(0) / 1000).unwrap_or(u32::MAX);
        Player {
            id: Some(PageId(recording.id.clone())),
            start: t.trim().parse::<u32>().map_or(0, |t| t.min(longest)),
            can_download,
            pinned: false,
            title: format!(
                "{started} · {} → {}",
                recording.calling_number, recording.called_number
            ),
        }
    }
}
