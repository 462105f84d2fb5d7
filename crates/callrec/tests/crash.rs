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
    let mut child = callrec(dir, database_url)
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
                // Distinct audio each time, a few hundred kilobytes.
                let salt = worker.wrapping_mul(7919).wrapping_add(n.wrapping_mul(104_729)).wrapping_add(1);
                let samples: Vec<i16> = (0..100_000u32).map(|i| (i.wrapping_mul(salt) % 65_521) as i16).collect();
                let audio = callrec_domain::audio::pcm_wav(&samples, 8000);
                let sha = hex(&Sha256::digest(&audio));
                let meta = serde_json::json!({"started_at": "2026-11-01T10:00:00Z", "direction": "inbound", "from": "0770", "to": "2001"});
                let form = reqwest::multipart::Form::new()
                    .part("metadata", reqwest::multipart::Part::text(meta.to_string()))
                    .part("audio", reqwest::multipart::Part::bytes(audio).file_name("a.wav"));
                in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let sent = client.post(format!("{url}/api/v1/recordings")).bearer_auth(&token).multipart(form).send().await;
                in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                let Ok(response) = sent else {
                    break; // the server is gone
                };
                if response.status() == 201 {
                    let Ok(body) = response.json::<serde_json::Value>().await else { break };
                    acknowledged.lock().unwrap().push((body["id"].as_str().unwrap().to_string(), sha));
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
