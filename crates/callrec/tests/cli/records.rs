//! Recordings from the command line: import, demo data, verify, audit, purge, audio moves and backups.

use super::*;

on_each_backend! {
    fn import_takes_a_folder_reports_each_bad_file_and_skips_what_is_there(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    let meta = |from: &str| {
        format!(
            r#"{{"started_at": "2026-11-01T10:00:00Z", "direction": "inbound", "from": "{from}", "to": "2001"}}"#
        )
    };
    std::fs::write(dir.join("a.wav"), wav_file(800, 3)).unwrap();
    std::fs::write(dir.join("a.json"), meta("0770001")).unwrap();
    std::fs::write(dir.join("b.wav"), wav_file(900, 5)).unwrap();
    std::fs::write(dir.join("b.wav.json"), meta("0770002")).unwrap();
    std::fs::write(dir.join("c.wav"), wav_file(700, 7)).unwrap(); // no sidecar
    std::fs::write(dir.join("d.wav"), b"just some text pretending").unwrap();
    std::fs::write(dir.join("d.json"), meta("0770004")).unwrap();
    std::fs::write(dir.join("e.mp3"), wav_file(600, 9)).unwrap();
    std::fs::write(dir.join("e.json"), r#"{"direction": "sideways"}"#).unwrap();
    std::fs::write(dir.join("notes.txt"), "not audio").unwrap();
    let path = dir.to_str().unwrap();
    let out = cli.expect(1, &["import", "--company", "Acme", path], "");
    assert!(
        out.contains("2 added, 0 already there, 3 failed, of 5 files"),
        "{out}"
    );
    assert!(
        out.contains("[##############################] 5/5"),
        "progress is shown: {out}"
    );
    assert!(out.contains("failed: c.wav: no sidecar .json"), "{out}");
    assert!(
        out.contains("failed: d.wav: the audio is not WAV, MP3 or Ogg"),
        "{out}"
    );
    assert!(
        out.contains("failed: e.mp3: started_at is required; direction must be inbound"),
        "{out}"
    );
    let again = cli.expect(1, &["import", "--company", "Acme", path], "");
    assert!(
        again.contains("0 added, 2 already there, 3 failed"),
        "{again}"
    );
    assert!(cli
        .expect(2, &["import", "--company", "Acme", "/no/such/folder"], "")
        .contains("cannot read the folder"));
    let empty = tempfile::tempdir().unwrap();
    assert!(cli
        .expect(
            2,
            &[
                "import",
                "--company",
                "Acme",
                empty.path().to_str().unwrap()
            ],
            ""
        )
        .contains("no audio files"));
}
}

#[test]
fn demo_recordings_are_added_in_bulk() {
    let cli = Cli::new();
    let first = cli.expect(0, &["demo"], "");
    assert!(first.contains("Added 3000 demo recordings."), "{first}");
    let more = cli.expect(0, &["demo", "--recordings", "12000"], "");
    assert!(
        more.contains("12000/12000 recordings") && more.contains("Added 12000 demo recordings."),
        "{more}"
    );
    let audio = cli.dir.path().join("audio");
    let audio_files = walk(&audio)
        .into_iter()
        .filter(|p| !p.starts_with(audio.join("tmp")))
        .count();
    assert_eq!(
        audio_files, 24,
        "a dozen shared audio files per demo company (two), not one per row"
    );
}

// `callrec verify` (issue 13): every stored file re-hashed against the
// fingerprint taken at ingest; missing, altered and orphaned files are
// named and the exit code is 1.
on_each_backend! {
    fn verify_names_missing_altered_and_orphaned_audio(cli) {
    cli.expect(0, &["demo", "--recordings", "50"], "");
    let clean = cli.expect(0, &["verify"], "");
    assert!(clean.contains("recordings checked (100 %)") && clean.contains(": 0 missing, 0 altered, 0 orphaned files;"), "{clean}");
    assert!(cli.expect(0, &["verify", "--help"], "").contains("--company"));
    assert!(cli.expect(2, &["verify", "--company", "Nobody Ltd"], "").contains("no company named"));

    let audio = cli.dir.path().join("audio");
    let mut files: Vec<_> = walk(&audio).into_iter().filter(|p| !p.starts_with(audio.join("tmp"))).collect();
    files.sort();
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&files[0], bytes).unwrap();
    std::fs::remove_file(&files[1]).unwrap();
    // A stray file where a recording's audio would be stored.
    let company_dir = files[2].parent().unwrap().parent().unwrap().parent().unwrap();
    let stray = company_dir.join("00").join("00").join("0".repeat(64));
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, b"not a recording").unwrap();
    let young = cli.expect(1, &["verify"], "");
    assert!(!young.contains("ORPHANED"), "a file this new may be an upload in progress: {young}");
    let a_while_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
    std::fs::OpenOptions::new().write(true).open(&stray).unwrap().set_modified(a_while_ago).unwrap();

    let found = cli.expect(1, &["verify"], "");
    assert!(found.contains("ALTERED  recording ") && found.contains("MISSING  recording "), "{found}");
    let company_folder = company_dir.file_name().unwrap().to_string_lossy().into_owned();
    assert!(found.contains(&format!("ORPHANED {company_folder}/{}:", "0".repeat(64))), "{found}");
    assert!(!found.contains(" 0 altered") && !found.contains(" 0 missing") && found.contains(" 1 orphaned files;"), "{found}");
    assert!(found.contains("restore the files from a backup"), "{found}");
    }
}

// `callrec audit verify` and `anchor` (issue 13): intact, then an entry
// edited in the database is named and the exit code is 1; anchors kept in
// a file are checked.
on_each_backend! {
    fn audit_verify_names_an_edited_entry(cli) {
    company_admin(cli, "audit.admin");
    cli.expect(0, &["user", "reset-mfa", "audit.admin"], "");
    let intact = cli.expect(0, &["audit", "verify"], "");
    assert!(intact.contains("intact") && intact.contains("The audit log is intact."), "{intact}");
    let anchors = cli.expect(0, &["audit", "anchor"], "");
    assert!(anchors.starts_with("# callrec audit anchors"), "{anchors}");
    let file = cli.dir.path().join("anchors.txt");
    std::fs::write(&file, &anchors).unwrap();
    let checked = cli.expect(0, &["audit", "verify", "--anchors", file.to_str().unwrap()], "");
    assert!(checked.contains("anchor matched") || checked.contains("anchors matched"), "{checked}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let pool_sql = "UPDATE audit_log SET details = 'edited' WHERE seq = 1";
    runtime.block_on(callrec_store::testing::execute(&store, pool_sql)).unwrap();
    let broken = cli.expect(1, &["audit", "verify"], "");
    assert!(broken.contains("BROKEN after 0 intact entries: entry #") && broken.contains("(position 1) was changed"), "{broken}");
    assert!(broken.contains("treat the server as compromised"), "{broken}");
    std::fs::write(&file, "not an anchor\n").unwrap();
    assert!(cli.expect(2, &["audit", "verify", "--anchors", file.to_str().unwrap()], "").contains("line 1: not an anchor"));
    assert!(cli.expect(0, &["audit", "--help"], "").contains("anchor"));
    }
}

// The purge job killed with SIGKILL at five points mid-run (issue 13): after
// each kill no row lacks its audio and no file is lost track of; the next
// run finishes the work, and only recordings within retention are left.
on_each_backend! {
    fn purge_killed_mid_run_resumes_with_nothing_half_done(cli) {
    assert!(cli.expect(0, &["purge", "--help"], "").contains("--batch"));
    cli.expect(0, &["demo", "--recordings", "1500"], "");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    // Acme keeps 30 days of its 90 days of demo calls.
    runtime.block_on(callrec_store::testing::execute(&store, "UPDATE companies SET retention = '30d' WHERE name = 'Acme Telecom'")).unwrap();
    let (_, _, before) = purge_loose_ends(cli, &runtime);
    // Each run is killed right after a batch's progress line, never on a
    // timer: every kill lands mid-run.
    for batches in [1usize, 3, 5, 7, 9] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_callrec"))
            .args(["purge", "--batch", "2"])
            .env("CALLREC_DATA_DIR", cli.dir.path())
            .env_remove("CALLREC_DATABASE_URL")
            .env("CALLREC_LOG", "warn")
            .envs(cli.database_url.iter().map(|url| ("CALLREC_DATABASE_URL", url)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_after_progress(&mut child, "recordings past retention", batches);
        let (rows_without_audio, untracked_files, _) = purge_loose_ends(cli, &runtime);
        assert_eq!((rows_without_audio, untracked_files), (0, 0), "after a kill after {batches} batches");
        // The dead run's lease must expire before another run may work.
        runtime.block_on(callrec_store::testing::execute(&store, "DELETE FROM job_leases")).unwrap();
    }
    let done = cli.expect(0, &["purge"], "");
    assert!(done.starts_with("Purged ") || done.contains("\nPurged "), "{done}");
    let (rows_without_audio, untracked_files, after) = purge_loose_ends(cli, &runtime);
    assert_eq!((rows_without_audio, untracked_files), (0, 0));
    assert!(runtime.block_on(store.purged_audio(10)).unwrap().is_empty(), "the queue is worked off");
    let due: i64 = {
        // Kept through the whole of its last day (UTC, the default zone).
        let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        let cutoff = callrec_domain::retention::Retention::Days(30).cutoff(&callrec_domain::zone::Zone::utc(), now_ms).unwrap();
        let acme = runtime.block_on(store.company_by_name("Acme Telecom")).unwrap().unwrap();
        runtime.block_on(store.count_due(acme.id, cutoff)).unwrap()
    };
    assert_eq!(due, 0, "nothing due is left");
    assert!(after < before && after > 0, "{before} → {after}");
    eprintln!("purge: 5 of 5 runs killed mid-way, on progress lines; {before} → {after} recordings");
    let again = cli.expect(0, &["purge"], "");
    assert!(again.contains("Purged 0 recordings past their retention"), "{again}");
    }
}

// `callrec audio migrate --to s3://…` (issue 14): copies every file with
// progress; a second run copies nothing new; the portal then reads the
// bucket (`callrec verify` finds everything intact there).
#[test]
fn audio_migrate_moves_the_audio_to_a_bucket_and_resumes() {
    let Some(s3) = callrec_store::testing::test_s3(
        "cli::audio_migrate_moves_the_audio_to_a_bucket_and_resumes",
    ) else {
        return;
    };
    let cli = Cli::new();
    cli.expect(0, &["demo", "--recordings", "20"], "");
    let target = format!("s3://{}/{}", s3.bucket, s3.prefix);
    let endpoint = s3.endpoint.clone().unwrap();
    let env = [("CALLREC_S3_ENDPOINT", endpoint.as_str())];
    let first = cli.expect_with(0, &["audio", "migrate", "--to", &target], "", &env);
    assert!(
        first.contains("files copied or checked (100 %)") && first.contains("were there already"),
        "{first}"
    );
    assert!(
        first.contains(&format!("CALLREC_AUDIO_STORE={target}")),
        "says what to do next: {first}"
    );
    let again = cli.expect_with(0, &["audio", "migrate", "--to", &target], "", &env);
    assert!(again.contains("Copied 0 files"), "{again}");
    let on_s3 = [
        ("CALLREC_S3_ENDPOINT", endpoint.as_str()),
        ("CALLREC_AUDIO_STORE", target.as_str()),
    ];
    let verified = cli.expect_with(0, &["verify"], "", &on_s3);
    assert!(
        verified.contains(": 0 missing, 0 altered, 0 orphaned files;"),
        "{verified}"
    );
}

// `callrec backup` / `restore` (issue 14) with the keys in the data
// directory: the key file travels with the backup and the restored portal
// reads its audio; on PostgreSQL the backup says to take pg_dump first.
on_each_backend! {
    fn a_backup_restores_with_its_key_file(cli) {
    cli.expect(0, &["demo", "--recordings", "10"], "");
    let backup = cli.dir.path().join("backup");
    let said = cli.expect(0, &["backup", backup.to_str().unwrap()], "");
    assert!(said.contains("Backed up into") && said.contains("the key file"), "{said}");
    assert!(backup.join("mfa-keys").exists() && backup.join("backup.json").exists());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(backup.join("backup.json")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the manifest is the operator's only (wave 2, item 8)");
    }
    let again = cli.expect(1, &["backup", backup.to_str().unwrap()], "");
    assert!(again.contains("is not empty"), "{again}");
    if cli.database_url.is_some() {
        assert!(said.contains("pg_dump"), "{said}");
        assert!(!backup.join("callrec.db").exists());
        let restored = Cli::new();
        let out = restored.expect(1, &["restore", backup.to_str().unwrap()], "");
        assert!(out.contains("PostgreSQL") && out.contains("pg_restore"), "{out}");
        return;
    }
    let restored = Cli::new();
    let out = restored.expect(0, &["restore", backup.to_str().unwrap()], "");
    assert!(out.contains("audio files copied"), "{out}");
    let verified = restored.expect(0, &["verify"], "");
    assert!(verified.contains(": 0 missing, 0 altered, 0 orphaned files;"), "{verified}");
    assert!(restored.expect(1, &["restore", "/no/such/backup"], "").contains("is not a callrec backup"));
    }
}
