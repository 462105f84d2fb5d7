//! What drawing the waveform of a compressed file costs at ingest: the
//! peaks of each file named on the command line (an hour of MP3 or Ogg
//! Vorbis made by `bench/waveform.sh`), decoded, best of 3.

use callrec_app::waveforms::peaks_of;
use std::time::Instant;

fn main() -> std::io::Result<()> {
    for path in std::env::args().skip(1) {
        let size = std::fs::metadata(&path)?.len();
        let mut best = f64::MAX;
        for _ in 0..3 {
            let started = Instant::now();
            let peaks = peaks_of(std::fs::File::open(&path)?)?;
            assert!(
                peaks.is_some_and(|p| p.channels().len() == 2),
                "{path}: two lanes"
            );
            best = best.min(started.elapsed().as_secs_f64());
        }
        let name = std::path::Path::new(&path)
            .extension()
            .map_or("?", |e| e.to_str().unwrap_or("?"));
        println!(
            "| stereo, {name} | {:.1} MB | {:.0} ms | {:.0} MB/s |",
            size as f64 / 1e6,
            best * 1000.0,
            size as f64 / 1e6 / best
        );
    }
    Ok(())
}
