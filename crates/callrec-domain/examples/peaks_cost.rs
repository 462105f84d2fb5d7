//! What drawing a waveform costs at ingest, per hour of audio: the peaks
//! of one hour of 8 kHz 16-bit audio, mono and stereo, read in the 64 kB
//! pieces ingest reads (`bench/waveform.sh` runs it in release).

use callrec_domain::audio::{pcm_wav_channels, wav_layout};
use callrec_domain::waveform::PeakScanner;
use std::time::Instant;

fn main() {
    for channels in [1u16, 2] {
        let frames = 8000 * 3600;
        let samples: Vec<i16> = (0..frames * usize::from(channels))
            .map(|i| ((i * 7919) % 65_536) as i16)
            .collect();
        let file = pcm_wav_channels(&samples, channels, 8000);
        let layout = wav_layout(&file).expect("a WAV");
        let mut best = f64::MAX;
        for _ in 0..5 {
            let started = Instant::now();
            let mut scanner = PeakScanner::new(&layout).expect("PCM");
            for piece in file.chunks(64 * 1024) {
                scanner.feed(piece);
            }
            let peaks = scanner.finish().expect("peaks");
            assert_eq!(peaks.channels().len(), usize::from(channels));
            best = best.min(started.elapsed().as_secs_f64());
        }
        println!(
            "| {} | {:.0} MB | {:.0} ms | {:.0} MB/s |",
            if channels == 1 { "mono" } else { "stereo" },
            file.len() as f64 / 1e6,
            best * 1000.0,
            file.len() as f64 / 1e6 / best
        );
    }
}
