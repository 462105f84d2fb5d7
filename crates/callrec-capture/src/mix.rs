//! A call's streams made into one interleaved file as packets arrive:
//! each stream's RTP timestamps placed on the call's own timeline, a short
//! jitter window in which late packets still find their place, and
//! silence wherever nothing arrived (loss, a pause, a quiet party).
//!
//! Pure: the caller says what time it is, in frames since the call began.

/// Frames per second of the stored file (G.711's rate).
pub const RATE: u64 = 8000;

/// Samples not yet written; a packet placed more than this ahead of the
/// written part is taken as a jump in the sender's clock, not held.
const MAX_AHEAD: u64 = 10 * RATE;

/// Where packets are gathered per channel until written.
#[derive(Debug)]
pub struct Mixer {
    channels: usize,
    /// Frames already handed out; index 0 of `pending` is this frame.
    written: u64,
    pending: Vec<Vec<i32>>,
    /// One past the last frame any stream has placed.
    end: u64,
}

/// What became of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    Kept,
    /// It arrived after its place was written out.
    Late,
    /// Its place is further ahead of the written part than any packet
    /// can be: dropped, so no sender decides how much memory a call holds.
    TooFar,
}

/// The most frames held per channel before they are written.
pub const MAX_PENDING: u64 = 2 * MAX_AHEAD;

impl Mixer {
    pub fn new(channels: usize) -> Mixer {
        Mixer {
            channels,
            written: 0,
            pending: vec![Vec::new(); channels],
            end: 0,
        }
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Adds `samples` to `channel` from frame `at` (two parties on one
    /// channel add up).
    pub fn put(&mut self, channel: usize, at: u64, samples: &[i16]) -> Placed {
        if at < self.written {
            return Placed::Late;
        }
        if at + samples.len() as u64 > self.written + MAX_PENDING {
            return Placed::TooFar;
        }
        let lane = &mut self.pending[channel.min(self.channels - 1)];
        let from = (at - self.written) as usize;
        if lane.len() < from + samples.len() {
            lane.resize(from + samples.len(), 0);
        }
        for (slot, sample) in lane[from..].iter_mut().zip(samples) {
            *slot += i32::from(*sample);
        }
        self.end = self.end.max(at + samples.len() as u64);
        Placed::Kept
    }

    /// Interleaved 16-bit frames from the written part up to frame `until`
    /// (silence where no stream put anything); they are written then.
    pub fn take_until(&mut self, until: u64) -> Vec<i16> {
        if until <= self.written {
            return Vec::new();
        }
        let count = (until - self.written) as usize;
        let mut out = Vec::with_capacity(count * self.channels);
        for frame in 0..count {
            for lane in &self.pending {
                let sample = lane.get(frame).copied().unwrap_or(0);
                out.push(sample.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16);
            }
        }
        for lane in &mut self.pending {
            lane.drain(..count.min(lane.len()));
        }
        self.written = until;
        out
    }

    /// Everything placed, at the end of the call.
    pub fn take_all(&mut self) -> Vec<i16> {
        let end = self.end.max(self.written);
        self.take_until(end)
    }
}

/// One stream's RTP timestamps on the call's timeline, rebased when the
/// source changes (a new SSRC, a clock jump, a sender running slow).
#[derive(Debug, Default)]
pub struct StreamClock {
    ssrc: Option<u32>,
    /// Frame of the call where `base_ts` falls.
    base_frame: u64,
    base_ts: i64,
    /// The last timestamp seen, unwrapped.
    last_ts: i64,
    highest_seq: Option<u16>,
    /// Which of the 64 sequence numbers up to `highest_seq` arrived.
    seen: u64,
}

/// Where a packet goes, or that it is dropped (a duplicate, or out of
/// order and nowhere near the call's present).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    At(u64),
    Dropped,
}

impl StreamClock {
    /// The frame a packet's first sample belongs at. `now` is the frame
    /// the call has reached by the wall clock; `written` the mixer's.
    pub fn place(&mut self, ssrc: u32, seq: u16, ts: u32, now: u64, written: u64) -> Timing {
        if self.ssrc != Some(ssrc) {
            self.ssrc = Some(ssrc);
            self.highest_seq = None;
            self.rebase(ts, now);
        }
        // Sequence numbers: duplicates dropped, order noted.
        let newer = match self.highest_seq {
            None => {
                self.highest_seq = Some(seq);
                self.seen = 1;
                true
            }
            Some(highest) => {
                let ahead = seq.wrapping_sub(highest);
                if ahead != 0 && ahead < 0x8000 {
                    self.seen = if ahead >= 64 { 0 } else { self.seen << ahead };
                    self.seen |= 1;
                    self.highest_seq = Some(seq);
                    true
                } else {
                    let behind = highest.wrapping_sub(seq);
                    if behind < 64 {
                        if self.seen & (1 << behind) != 0 {
                            return Timing::Dropped;
                        }
                        self.seen |= 1 << behind;
                    }
                    false
                }
            }
        };
        let unwrapped = self.unwrap(ts, newer);
        let at = self.base_frame as i64 + (unwrapped - self.base_ts);
        // A packet in order that lands before the written part (a sender
        // slower than our clock) or far ahead of now (a jump) restarts
        // the timeline at now; one out of order that lands so far away
        // is dropped.
        let far = at < written as i64 || at > (now + MAX_AHEAD) as i64;
        if far && newer {
            self.rebase(ts, now.max(written));
            return Timing::At(self.base_frame);
        }
        if far {
            return Timing::Dropped;
        }
        Timing::At(at.max(0) as u64)
    }

    fn rebase(&mut self, ts: u32, frame: u64) {
        self.base_frame = frame;
        self.base_ts = i64::from(ts);
        self.last_ts = i64::from(ts);
    }

    /// `ts` as a 64-bit count near the last one (RTP timestamps wrap).
    fn unwrap(&mut self, ts: u32, newer: bool) -> i64 {
        let last = self.last_ts;
        let delta = i64::from(ts.wrapping_sub(last as u32) as i32);
        let unwrapped = last + delta;
        if newer {
            self.last_ts = unwrapped;
        }
        unwrapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_channels_interleave_with_silence_where_nothing_came() {
        let mut mixer = Mixer::new(2);
        assert_eq!(mixer.put(0, 0, &[1, 2, 3]), Placed::Kept);
        assert_eq!(mixer.put(1, 2, &[9, 9]), Placed::Kept);
        assert_eq!(mixer.take_until(2), vec![1, 0, 2, 0]);
        assert_eq!(mixer.put(0, 1, &[5]), Placed::Late);
        assert_eq!(mixer.take_all(), vec![3, 9, 0, 9]);
        assert_eq!(mixer.written(), 4);
        // Two parties on one channel add up, and clip rather than wrap.
        mixer.put(0, 4, &[30000]);
        mixer.put(0, 4, &[30000]);
        assert_eq!(mixer.take_all(), vec![i16::MAX, 0]);
    }

    #[test]
    fn no_packet_makes_a_call_hold_more_than_its_bound() {
        let mut mixer = Mixer::new(2);
        assert_eq!(mixer.put(0, MAX_PENDING, &[1; 160]), Placed::TooFar);
        assert_eq!(mixer.put(0, MAX_PENDING - 160, &[1; 160]), Placed::Kept);
        // An old sequence number with a timestamp hours ahead is dropped,
        // not placed (nor allowed to move the stream's timeline).
        let mut clock = StreamClock::default();
        assert_eq!(clock.place(1, 100, 0, 0, 0), Timing::At(0));
        assert_eq!(clock.place(1, 99, i32::MAX as u32, 0, 0), Timing::Dropped);
        assert_eq!(clock.place(1, 101, 160, 160, 0), Timing::At(160));
    }

    #[test]
    fn timestamps_place_packets_reordered_lost_and_wrapped() {
        let mut clock = StreamClock::default();
        // First packet at call frame 800 (0.1 s in), timestamp near the wrap.
        let ts0 = u32::MAX - 100;
        assert_eq!(clock.place(7, 10, ts0, 800, 0), Timing::At(800));
        // Packet 12 before 11 (reordered), across the wrap.
        assert_eq!(
            clock.place(7, 12, ts0.wrapping_add(320), 1200, 0),
            Timing::At(1120)
        );
        assert_eq!(
            clock.place(7, 11, ts0.wrapping_add(160), 1200, 0),
            Timing::At(960)
        );
        assert_eq!(
            clock.place(7, 11, ts0.wrapping_add(160), 1200, 0),
            Timing::Dropped
        );
        // Packet 13 lost; 14 lands where it belongs, leaving a gap.
        assert_eq!(
            clock.place(7, 14, ts0.wrapping_add(640), 1500, 0),
            Timing::At(1440)
        );
        // A new SSRC starts from now.
        assert_eq!(clock.place(8, 1, 5, 4000, 0), Timing::At(4000));
        // A jump of a minute in the sender's clock restarts at now.
        assert_eq!(clock.place(8, 2, 5 + 60 * 8000, 4160, 0), Timing::At(4160));
        // A slow sender whose packet would land in the written part: at the written end.
        assert_eq!(
            clock.place(8, 3, 5 + 60 * 8000 + 160, 9000, 8000),
            Timing::At(9000)
        );
    }
}
