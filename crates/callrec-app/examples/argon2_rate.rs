//! The bound on sign-ins per second: raw Argon2id verifications per second
//! with the portal's default settings, on THREADS threads (default: every
//! core) for SECONDS seconds (default 10). `bench/cluster.sh` divides the
//! sign-ins the portal answers by this.
//!
//!     cargo run --release -p callrec-app --example argon2_rate -- [THREADS] [SECONDS]

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use callrec_app::Argon2Settings;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let threads: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let settings = Argon2Settings::default();
    let params = Params::new(
        settings.memory_kib,
        settings.iterations,
        settings.parallelism,
        None,
    )
    .expect("the default settings are valid");
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::encode_b64(b"callrec-bench-salt").expect("a valid salt");
    let hash = argon2
        .hash_password(b"a benchmark password", &salt)
        .expect("hashing works")
        .to_string();
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (done, hash, argon2) = (done.clone(), hash.clone(), argon2.clone());
            std::thread::spawn(move || {
                let parsed = PasswordHash::new(&hash).expect("a valid hash");
                while Instant::now() < until {
                    assert!(argon2
                        .verify_password(b"a benchmark password", &parsed)
                        .is_ok());
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a worker finished");
    }
    let rate = done.load(Ordering::Relaxed) as f64 / seconds as f64;
    println!(
        "{rate:.1} Argon2id verifies/s on {threads} threads (m={} KiB, t={}, p={})",
        settings.memory_kib, settings.iterations, settings.parallelism
    );
}
