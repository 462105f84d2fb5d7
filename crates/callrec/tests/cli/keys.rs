//! The master key and the audio data keys: rotation, sealing, crashes mid-run.

use super::*;

#[test]
fn mfa_keys_are_generated_private_and_rotate() {
    let cli = Cli::new();
    let printed = serve_once(&cli, &[]);
    assert!(printed.contains("callrec is serving"));
    let key_file = cli.dir.path().join("mfa-keys");
    let first = std::fs::read_to_string(&key_file).expect("key file generated on first start");
    assert_eq!(first.lines().count(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "only the owner may read the key");
    }
    let out = cli.expect(0, &["keys", "rotate"], "");
    assert!(out.contains("Re-encrypted 0 of 0 secrets"), "{out}");
    let rotated = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(rotated.lines().count(), 2);
    assert!(
        rotated.starts_with(&first),
        "old keys are kept to read older secrets"
    );

    let bad = Command::new(env!("CARGO_BIN_EXE_callrec"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CALLREC_DATA_DIR", cli.dir.path())
        .env("CALLREC_SECRET_KEY", "too-short")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("CALLREC_SECRET_KEY must hold 32 bytes in base64"));
    let out = cli.expect(2, &["serve", "--mfa-issuer", "Bad:Issuer"], "");
    assert!(out.contains("without a colon"), "{out}");
}

// `callrec keys rotate` over a real registration: with the key file, with
// CALLREC_SECRET_KEY and _PREVIOUS (the documented procedure for nodes
// sharing a database), and its failure exit when a key is missing.
on_each_backend! {
    fn keys_rotate_re_encrypts_real_registrations(cli) {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use callrec_domain::totp::TotpSecret;
    use callrec_app::Keyring;
    let key =
        |line: &str| -> [u8; 32] { STANDARD.decode(line.trim()).unwrap().try_into().unwrap() };
    let file_keys = || -> Vec<[u8; 32]> {
        std::fs::read_to_string(cli.dir.path().join("mfa-keys"))
            .unwrap()
            .lines()
            .map(key)
            .collect()
    };
    company_admin(cli, "key.user");
    cli.expect(0, &["keys", "rotate"], "");
    let first = file_keys()[0];
    // A registration encrypted with the oldest key, as an older node left it.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let user = runtime
        .block_on(store.user_by_username("key.user"))
        .unwrap()
        .unwrap();
    let secret = TotpSecret::from_bytes([7; 20]);
    let old = Keyring::new(first, &[]).encrypt(user.id, &secret);
    runtime
        .block_on(store.set_up(1, async |write| write.start_mfa_registration(user.id, &old, "s").await))
        .unwrap();
    runtime
        .block_on(store.set_up(1, async |write| write.confirm_mfa_registration(user.id, "s", 1).await))
        .unwrap();
    let stored = || {
        runtime.block_on(store.mfa_ciphertexts()).unwrap()[0]
            .1
            .clone()
    };

    let out = cli.expect(0, &["keys", "rotate"], "");
    assert!(out.contains("Re-encrypted 1 of 1 secrets"), "{out}");
    let newest = *file_keys().last().unwrap();
    assert_eq!(file_keys().len(), 3);
    assert_eq!(
        Keyring::new(newest, &[])
            .decrypt(user.id, &stored())
            .unwrap(),
        secret,
        "readable with the new key alone"
    );
    assert!(
        Keyring::new(first, &[])
            .decrypt(user.id, &stored())
            .is_err(),
        "no longer with the old one"
    );

    // CALLREC_SECRET_KEY: the new key there, the old in _PREVIOUS.
    let env_key = [9u8; 32];
    let env = [
        ("CALLREC_SECRET_KEY", STANDARD.encode(env_key)),
        ("CALLREC_SECRET_KEY_PREVIOUS", STANDARD.encode(newest)),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = cli.expect_with(0, &["keys", "rotate"], "", &env);
    assert!(out.contains("Re-encrypted 1 of 1 secrets"), "{out}");
    assert_eq!(
        Keyring::new(env_key, &[])
            .decrypt(user.id, &stored())
            .unwrap(),
        secret
    );

    // A key that cannot read the secret: exit 1, saying what to do; nothing changes.
    let before = stored();
    let wrong = STANDARD.encode([3u8; 32]);
    let out = cli.expect_with(
        1,
        &["keys", "rotate"],
        "",
        &[("CALLREC_SECRET_KEY", wrong.as_str())],
    );
    assert!(
        out.contains("could not be read") && out.contains("CALLREC_SECRET_KEY_PREVIOUS"),
        "{out}"
    );
    assert_eq!(stored(), before);
}
}

// `callrec keys rotate --company C --data` killed with SIGKILL three times
// mid-run (issue 13): after each kill every recording still verifies (each
// file whole, on the old key or the new); the next run finishes with the
// same new key, and only that key is left.
on_each_backend! {
    fn reencryption_killed_mid_run_resumes(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    let folder = cli.dir.path().join("in");
    std::fs::create_dir_all(&folder).unwrap();
    for n in 0..120u32 {
        let samples: Vec<i16> = (0..20_000u32).map(|i| (i.wrapping_mul(n + 3) % 30_011) as i16).collect();
        std::fs::write(folder.join(format!("call{n}.wav")), callrec_domain::audio::pcm_wav(&samples, 8000)).unwrap();
        let meta = format!(r#"{{"started_at": "2026-11-20T09:{:02}:00Z", "direction": "inbound", "from": "0770{n}", "to": "2001"}}"#, n % 60);
        std::fs::write(folder.join(format!("call{n}.json")), meta).unwrap();
    }
    cli.expect(0, &["import", "--company", "Acme", folder.to_str().unwrap()], "");
    assert!(sealed_with(cli).iter().all(|k| *k == Some(1)), "sealed with key 1 at ingest");
    assert!(cli.expect(0, &["keys", "rotate", "--help"], "").contains("--data"));
    assert!(cli.expect(2, &["keys", "rotate", "--data"], "").contains("--company"));

    // Each run is killed right after its n-th progress line (a tenth of
    // the files), never on a timer: every kill lands mid-run, with the
    // lease held (a sleep sometimes killed a run before it began).
    for tenths in [1usize, 4, 7] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_callrec"))
            .args(["keys", "rotate", "--company", "Acme", "--data"])
            .env("CALLREC_DATA_DIR", cli.dir.path())
            .env_remove("CALLREC_DATABASE_URL")
            .env_remove("CALLREC_SECRET_KEY")
            .env("CALLREC_LOG", "warn")
            .envs(cli.database_url.iter().map(|url| ("CALLREC_DATABASE_URL", url)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_after_progress(&mut child, "re-sealed or checked", tenths);
        let checked = cli.expect(0, &["verify"], "");
        assert!(checked.contains("Checked 120 recordings: 0 missing, 0 altered"), "after a kill at {tenths} tenths: {checked}");
        // While the dead run's lease lasts (five minutes), no other may seal.
        let busy = cli.expect(1, &["keys", "rotate", "--company", "Acme", "--data"], "");
        assert!(busy.contains("another run is sealing audio now"), "{busy}");
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(callrec_store::testing::execute(&cli.store(&runtime), "DELETE FROM job_leases")).unwrap();
        assert!(sealed_with(cli).iter().all(|k| matches!(k, Some(1) | Some(2))), "each file on the old key or the new");
    }
    let done = cli.expect(0, &["keys", "rotate", "--company", "Acme", "--data"], "");
    assert!(done.contains("audio sealed with data key 2") && done.contains("older keys kept until a run at least 10 minutes after"), "uploads in flight may hold key 1: {done}");
    assert!(sealed_with(cli).iter().all(|k| *k == Some(2)), "every file on the new key");
    // Ten minutes on (the key's age moved back), the next run retires key 1
    // and makes no key 3.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    runtime.block_on(callrec_store::testing::execute(&store, "UPDATE data_keys SET created_at = created_at - 601")).unwrap();
    let retired = cli.expect(0, &["keys", "rotate", "--company", "Acme", "--data"], "");
    assert!(retired.contains("audio sealed with data key 2 (0 files re-sealed, 120 already were); older keys retired"), "{retired}");
    let acme = runtime.block_on(store.company_by_name("Acme")).unwrap().unwrap();
    assert_eq!(runtime.block_on(store.count_data_keys(acme.id)).unwrap(), 1);
    let checked = cli.expect(0, &["verify"], "");
    assert!(checked.contains("0 missing, 0 altered"), "{checked}");
    eprintln!("re-encryption: 3 of 3 runs killed mid-way, on progress lines");
    }
}

// `callrec migrate` seals audio stored before sealing existed; run again,
// it finds nothing left to do.
#[test]
fn migrate_seals_plain_audio() {
    let cli = Cli::new();
    cli.expect(0, &["company", "add", "Acme"], "");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let blobs = callrec_store::BlobStore::new(cli.dir.path());
    let acme = runtime
        .block_on(store.company_by_name("Acme"))
        .unwrap()
        .unwrap();
    // Files of the recordings stored before sealing (one without a
    // recording is an orphan: never sealed, swept instead).
    for n in 0..3u8 {
        let stored = runtime
            .block_on(blobs.put(&[b"RIFF....WAVE plain ".as_slice(), &[n]].concat(), acme.id))
            .unwrap();
        let new = callrec_store::NewRecording {
            id: callrec_domain::recording::RecordingId::from_bytes([n + 1; 16]),
            company_id: acme.id,
            team_id: None,
            user_id: None,
            extension: None,
            direction: callrec_domain::recording::Direction::Inbound,
            calling_number: callrec_domain::PhoneNumber::from_stored("2001").unwrap(),
            called_number: callrec_domain::PhoneNumber::from_stored("2002").unwrap(),
            started_at_ms: 1_800_000_000_000,
            duration_ms: 1000,
            format: callrec_domain::audio::AudioFormat::Wav,
            size_bytes: stored.size as i64,
            sha256: stored.sha256.clone(),
            storage_key: stored.key.clone(),
            external_id: None,
        };
        runtime
            .block_on(store.insert_recording(&new, 1_800_000_000))
            .unwrap();
    }
    assert_eq!(sealed_with(&cli), vec![None; 3]);
    let out = cli.expect(0, &["migrate"], "");
    assert!(
        out.contains("sealed 3 files that were plain; 0 were sealed already"),
        "{out}"
    );
    // Their waveforms too, with progress (these are not real WAV files:
    // marked as having no samples to draw, and not tried again).
    assert!(
        out.contains("  3/3 files drawn (100 %)")
            && out.contains("Waveforms: drew 0 files; 3 have no samples to draw"),
        "{out}"
    );
    assert_eq!(sealed_with(&cli), vec![Some(1); 3]);
    let again = cli.expect(0, &["migrate"], "");
    assert!(
        again.contains("sealed 0 files that were plain; 3 were sealed already")
            && again.contains("Waveforms: drew 0 files; 0 have no samples"),
        "{again}"
    );
}
