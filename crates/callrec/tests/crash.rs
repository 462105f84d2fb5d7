//! Crash safety: uploads run while the server is killed with SIGKILL; after
//! a restart every recording that got a 201 is there with the right audio,
//! and no orphan row or file is left.

use callrec_store::{BlobStore, Store};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn callrec(dir: &std::path::Path, database_url: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_callrec"));
    command
        .env("CALLREC_DATA_DIR", dir)
        .env_remove("CALLREC_DATABASE_URL")
        .env("CALLREC_LOG", "warn")
        .env("CALLREC_ORPHAN_GRACE_SECONDS", "0")
        // These uploads test durability, not the per-token rate limit.
        .env("CALLREC_API_RATE_LIMIT", "1000000")
        .env("CALLREC_LOG_FORMAT", "text")
        // The master key, so the test can open the sealed audio.
        .env(
            "CALLREC_SECRET_KEY",
            "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
        );
    if let Some(url) = database_url {
        command.env("CALLREC_DATABASE_URL", url);
    }
    command
}

fn start(dir: &std::path::Path, database_url: Option<&str>) -> (Child, String) {
    serve(callrec(dir, database_url))
}

/// `command` serving on a free port: the child and its address.
fn serve(mut command: Command) -> (Child, String) {
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(url) = line.strip_prefix("callrec is serving ") {
            break url.split(' ').next().unwrap().to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (child, url)
}

/// An upload of audio no other (worker, n) sends, `samples` long, and its
/// SHA-256.
fn distinct_upload(worker: u32, n: u32, samples: u32) -> (reqwest::multipart::Form, String) {
    let salt = worker
        .wrapping_mul(7919)
        .wrapping_add(n.wrapping_mul(104_729))
        .wrapping_add(1);
    let samples: Vec<i16> = (0..samples)
        .map(|i| (i.wrapping_mul(salt) % 65_521) as i16)
        .collect();
    let audio = callrec_domain::audio::pcm_wav(&samples, 8000);
    let sha = hex(&Sha256::digest(&audio));
    let meta = serde_json::json!({"started_at": "2026-11-01T10:00:00Z", "direction": "inbound", "from": "0770", "to": "2001"});
    let form = reqwest::multipart::Form::new()
        .part("metadata", reqwest::multipart::Part::text(meta.to_string()))
        .part(
            "audio",
            reqwest::multipart::Part::bytes(audio).file_name("a.wav"),
        );
    (form, sha)
}

/// The ids of every audit entry in `store`.
async fn audit_ids(store: &Store) -> std::collections::HashSet<i64> {
    let query = callrec_store::AuditQuery {
        limit: 100_000,
        ..Default::default()
    };
    let entries = store.audit_entries(&query).await.unwrap();
    entries.iter().map(|e| e.id).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_uploads_survive_sigkill_on_sqlite() {
    survive_sigkill(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_uploads_survive_sigkill_on_postgres() {
    let Some(db) = callrec_store::testing::TestDb::postgres().await else {
        callrec_store::testing::postgres_missing(
            "acknowledged_uploads_survive_sigkill_on_postgres",
        );
        return;
    };
    survive_sigkill(db.database_url.as_deref()).await;
}

async fn survive_sigkill(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = callrec(dir.path(), database_url)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    run(&["company", "add", "Acme"]);
    let token = run(&["token", "create", "--company", "Acme", "--name", "pbx"])
        .lines()
        .find(|l| l.starts_with("crt_"))
        .unwrap()
        .to_string();
    let (mut server, url) = start(dir.path(), database_url);

    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    // Uploads sent and not yet answered: the kill must catch some.
    let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut workers = Vec::new();
    for worker in 0..6u32 {
        let (url, token, acknowledged) = (url.clone(), token.clone(), acknowledged.clone());
        let in_flight = in_flight.clone();
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0u32.. {
                if Instant::now() > deadline {
                    break;
                }
                let (form, sha) = distinct_upload(worker, n, 100_000);
                in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let sent = client
                    .post(format!("{url}/api/v1/recordings"))
                    .bearer_auth(&token)
                    .multipart(form)
                    .send()
                    .await;
                in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                let Ok(response) = sent else {
                    break; // the server is gone
                };
                if response.status() == 201 {
                    let Ok(body) = response.json::<serde_json::Value>().await else {
                        break;
                    };
                    acknowledged
                        .lock()
                        .unwrap()
                        .push((body["id"].as_str().unwrap().to_string(), sha));
                }
            }
        }));
    }
    // Kill mid-stream, once some uploads have been acknowledged.
    while acknowledged.lock().unwrap().len() < 25 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let uploading = in_flight.load(std::sync::atomic::Ordering::SeqCst);
    server.kill().unwrap(); // SIGKILL on Unix: no shutdown code runs
    server.wait().unwrap();
    assert!(uploading > 0, "no upload was in flight at the kill");
    for worker in workers {
        worker.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 25,
        "only {} uploads got a 201 before the kill",
        acknowledged.len()
    );

    // Restart: start-up removes files that no row points at.
    let (mut server, _) = start(dir.path(), database_url);
    server.kill().unwrap();
    server.wait().unwrap();

    let store = Store::connect(database_url, dir.path()).await.unwrap();
    let blobs = BlobStore::new(dir.path());
    for (id, sha) in &acknowledged {
        let id = callrec_domain::recording::RecordingId::parse(id).unwrap();
        let recording = store
            .recording_in_scope(&id, callrec_domain::permissions::DataScope::Everything)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged recording {id} is missing"));
        assert_eq!(&recording.sha256, sha);
        let keys = callrec_app::sealing::DataKeys::new(std::sync::Arc::new(
            callrec_app::Keyring::new([7; 32], &[]),
        ));
        let callrec_app::sealing::Opened::Audio(mut reader) =
            callrec_app::sealing::open_audio(&store, &blobs, &keys, &recording.storage_key)
                .await
                .unwrap()
        else {
            panic!("the audio of {id} is missing or malformed");
        };
        assert!(reader.is_sealed(), "stored sealed");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut bytes).unwrap();
        assert_eq!(
            &hex(&Sha256::digest(&bytes)),
            sha,
            "the audio of {id} is intact"
        );
    }
    let (files, partials) = blobs.scan().await.unwrap();
    let rows = store.storage_keys().await.unwrap();
    assert!(
        partials.is_empty(),
        "partial uploads were cleaned up: {partials:?}"
    );
    assert_eq!(files, rows, "every file has a row and every row a file");
    assert!(store.count_recordings(None).await.unwrap() >= acknowledged.len() as i64);
}

/// `callrec backup` while uploads stream in (issue 14): restored into a
/// fresh data directory, every recording acknowledged before the backup
/// began is there with its audio intact, and so is every user and every
/// audit entry of that moment; `callrec verify` finds the copy whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_write_load_restores_everything_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let run_in = |data: &std::path::Path, args: &[&str]| {
        let output = callrec(data, None).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    run_in(dir.path(), &["company", "add", "Acme"]);
    for name in ["ann.backup", "ben.backup"] {
        let output = callrec(dir.path(), None)
            .args([
                "user",
                "add",
                "--company",
                "Acme",
                "--username",
                name,
                "--level",
                "company",
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(b"A long enough password 1")?;
                child.wait_with_output()
            })
            .unwrap();
        assert!(output.status.success());
    }
    let token = run_in(
        dir.path(),
        &["token", "create", "--company", "Acme", "--name", "pbx"],
    )
    .lines()
    .find(|l| l.starts_with("crt_"))
    .unwrap()
    .to_string();
    let (mut server, url) = start(dir.path(), None);

    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..4u32 {
        let (url, token, acknowledged, stop) = (
            url.clone(),
            token.clone(),
            acknowledged.clone(),
            stop.clone(),
        );
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let (form, sha) = distinct_upload(worker, n, 50_000);
                let response = client
                    .post(format!("{url}/api/v1/recordings"))
                    .bearer_auth(&token)
                    .multipart(form)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                let body: serde_json::Value = response.json().await.unwrap();
                acknowledged
                    .lock()
                    .unwrap()
                    .push((body["id"].as_str().unwrap().to_string(), sha));
            }
        }));
    }
    while acknowledged.lock().unwrap().len() < 20 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let source = Store::connect(None, dir.path()).await.unwrap();
    let before = acknowledged.lock().unwrap().clone();
    let audit_before = audit_ids(&source).await;
    let backup = dir.path().join("backup");
    let backup_arg = backup.to_str().unwrap().to_string();
    let data = dir.path().to_path_buf();
    let said = tokio::task::spawn_blocking(move || run_in(&data, &["backup", &backup_arg]))
        .await
        .unwrap();
    let during = acknowledged.lock().unwrap().len();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        during > before.len(),
        "uploads went on while the backup ran ({} → {during})",
        before.len()
    );
    assert!(
        said.contains("Backed up into") && said.contains("the database"),
        "{said}"
    );

    let fresh = tempfile::tempdir().unwrap();
    let restored_said = {
        let output = callrec(fresh.path(), None)
            .args(["restore", backup.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(restored_said.contains("callrec verify"), "{restored_said}");
    let restored = Store::connect(None, fresh.path()).await.unwrap();
    let blobs = BlobStore::new(fresh.path());
    let keys =
        callrec_app::sealing::DataKeys::new(Arc::new(callrec_app::Keyring::new([7; 32], &[])));
    for (id, sha) in &before {
        let id = callrec_domain::recording::RecordingId::parse(id).unwrap();
        let recording = restored
            .recording_in_scope(&id, callrec_domain::permissions::DataScope::Everything)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged recording {id} is not in the backup"));
        assert_eq!(&recording.sha256, sha);
        assert_eq!(
            callrec_app::integrity::check_key(
                &restored,
                &blobs,
                &keys,
                &recording.storage_key,
                sha
            )
            .await
            .unwrap(),
            callrec_app::integrity::Integrity::Intact,
            "the audio of {id} is intact"
        );
    }
    assert_eq!(
        restored.count_users().await.unwrap(),
        source.count_users().await.unwrap(),
        "every user"
    );
    let audit_after = audit_ids(&restored).await;
    assert!(
        audit_before.is_subset(&audit_after),
        "every audit entry of the moment"
    );
    let verified = callrec(fresh.path(), None).arg("verify").output().unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    // A second restore into the same directory is refused.
    let again = callrec(fresh.path(), None)
        .args(["restore", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("restore into a new data directory"));
}

/// The transcription queue across a kill -9 (issue 28): a node hearing a
/// call (its engine never answers) is killed; the job stays leased to it;
/// once the lease has run out — set in the past here rather than waited
/// for — a restarted node with an engine that answers transcribes the
/// call, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_being_transcribed_when_its_node_is_killed_is_transcribed_after_a_restart() {
    let Some(engine) = callrec_store::testing::test_transcribe_url(
        "a_call_being_transcribed_when_its_node_is_killed_is_transcribed_after_a_restart",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = callrec(dir.path(), None).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    run(&["company", "add", "Acme"]);
    run(&[
        "company",
        "set",
        "--company",
        "Acme",
        "--transcription",
        "on",
    ]);
    let token = run(&[
        "token",
        "create",
        "--company",
        "Acme",
        "--name",
        "pbx",
        "--scope",
        "ingest",
    ])
    .lines()
    .find(|line| line.starts_with("crt_"))
    .unwrap()
    .to_string();
    // An engine that takes the request and never answers.
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hanging_url = format!("http://{}/v1", hanging.local_addr().unwrap());
    let (heard, heard_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in hanging.incoming() {
            held.push(stream);
            let _ = heard.send(());
        }
    });
    let mut node = callrec(dir.path(), None);
    node.env("CALLREC_TRANSCRIBE_URL", &hanging_url);
    let (mut child, url) = serve(node);
    let speech = callrec_store::testing::spoken("Please cancel my subscription today.");
    let wav = callrec_domain::audio::pcm_wav_channels(&speech, 1, 8000);
    let form = reqwest::multipart::Form::new()
        .part("metadata", reqwest::multipart::Part::text(r#"{"started_at":"2026-12-01T09:00:00Z","direction":"inbound","from":"+447700900123","to":"2001"}"#).mime_str("application/json").unwrap())
        .part("audio", reqwest::multipart::Part::bytes(wav).file_name("call.wav"));
    let sent = reqwest::Client::new()
        .post(format!("{url}/api/v1/recordings"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    let id: serde_json::Value = sent.json().await.unwrap();
    let id = callrec_domain::recording::RecordingId::parse(id["id"].as_str().unwrap()).unwrap();
    heard_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the node sent the call to its engine");
    child.kill().unwrap();
    child.wait().unwrap();

    let store = Store::connect(None, dir.path()).await.unwrap();
    let job = store.transcription_job(&id).await.unwrap().unwrap();
    assert_eq!(
        job.state,
        callrec_domain::transcription::JobState::Queued,
        "still queued after the kill"
    );
    assert!(
        job.lease_until.unwrap() > unix_now(),
        "and leased to the dead node"
    );
    callrec_store::testing::execute(&store, "UPDATE transcription_jobs SET lease_until = 1")
        .await
        .unwrap();

    let mut node = callrec(dir.path(), None);
    node.env("CALLREC_TRANSCRIBE_URL", &engine);
    let (mut child, _) = serve(node);
    let started = Instant::now();
    let transcript = loop {
        if let Some(transcript) = store.transcript(&id).await.unwrap() {
            break transcript;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not transcribed after a restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(transcript.word_count >= 3, "{transcript:?}");
    let job = store.transcription_job(&id).await.unwrap().unwrap();
    assert_eq!(
        (job.state, job.attempts),
        (callrec_domain::transcription::JobState::Done, 0)
    );
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
