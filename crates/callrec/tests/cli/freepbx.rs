//! Recordings from Asterisk/FreePBX (issue 27): `callrec import --layout
//! asterisk` reads FreePBX's MixMonitor names, once or watching a folder,
//! with FreePBX's CDR table in MariaDB when `--cdr` names it; bad files go
//! to `DIR/rejected` with their reason, and nothing is deleted from the
//! folder unless `--remove-imported` says so.

use super::*;
use callrec_domain::recording::Direction;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// The recording imported for `uniqueid`, from the store.
fn imported(cli: &Cli, uniqueid: &str) -> Option<callrec_store::Recording> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let acme = runtime
        .block_on(store.company_by_name("Acme"))
        .unwrap()
        .unwrap();
    runtime
        .block_on(store.recording_by_external_id(acme.id, &format!("asterisk:{uniqueid}")))
        .unwrap()
}

fn files_below(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = walk(dir)
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
        .collect();
    names.sort();
    names
}

on_each_backend! {
    fn freepbx_names_become_calls_and_bad_files_are_set_aside(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    let day = dir.join("2026/11/20");
    std::fs::create_dir_all(&day).unwrap();
    // MixMonitor's D option: each party on its own channel.
    let stereo: Vec<i16> = (0..8000).flat_map(|i| [if i < 4000 { 20_000 } else { 0 }, if i < 4000 { 0 } else { -20_000 }]).collect();
    std::fs::write(day.join("in-2125551234-07700900123-20261120-093000-1763631000.17.wav"), callrec_domain::audio::pcm_wav_channels(&stereo, 2, 8000)).unwrap();
    std::fs::write(dir.join("out-02079460000-2001-20261120-101500-1763633700.20.wav"), wav_file(4000, 5)).unwrap();
    std::fs::write(dir.join("internal-2002-2001-20261120-110000-1763636400.31.wav"), wav_file(4000, 7)).unwrap();
    std::fs::write(dir.join("meeting.wav"), wav_file(800, 9)).unwrap();
    std::fs::write(dir.join("in-2125551234--20261120-093000-1763631000.50.wav"), wav_file(800, 11)).unwrap();
    std::fs::write(dir.join("q-400-07700900124-20261120-120000-1763640000.60.wav"), b"not audio at all").unwrap();
    let path = dir.to_str().unwrap();
    let args = ["import", "--company", "Acme", "--layout", "asterisk", "--zone", "America/New_York", path];
    let out = cli.expect(1, &args, "");
    assert!(out.contains("4 added, 0 already there, 2 failed, of 6 files"), "{out}");
    assert!(out.contains("they are in") && out.contains("rejected with a .reason beside each"), "{out}");

    // What each name said, in the PBX's zone (New York: UTC-5 in November).
    let inbound = imported(cli, "1763631000.17").expect("the inbound call");
    assert_eq!(inbound.direction, Direction::Inbound);
    assert_eq!((inbound.calling_number.as_str(), inbound.called_number.as_str()), ("07700900123", "2125551234"));
    assert_eq!(inbound.started_at_ms, 1_795_185_000_000, "09:30 in New York is 14:30 UTC");
    assert_eq!(inbound.duration_ms, 1000, "from the WAV header");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let peaks = runtime.block_on(cli.store(&runtime).audio_peaks(&inbound.storage_key)).unwrap().unwrap();
    assert_eq!(peaks.channels().len(), 2, "both parties kept, a lane each");
    let outbound = imported(cli, "1763633700.20").expect("the outbound call");
    assert_eq!((outbound.direction, outbound.calling_number.as_str(), outbound.called_number.as_str()), (Direction::Outbound, "2001", "02079460000"));
    assert_eq!(outbound.extension.as_ref().map(|e| e.as_str()), Some("2001"));
    let internal = imported(cli, "1763636400.31").expect("the internal call");
    assert_eq!(internal.direction, Direction::Internal);
    // A withheld caller is kept, as the recording server keeps one.
    let withheld = imported(cli, "1763631000.50").expect("the withheld caller's call");
    assert!(withheld.calling_number.is_withheld(), "{:?}", withheld.calling_number);

    // The bad ones are set aside with their reasons; the rest stay.
    assert_eq!(files_below(dir), [
        "2026/11/20/in-2125551234-07700900123-20261120-093000-1763631000.17.wav",
        "in-2125551234--20261120-093000-1763631000.50.wav",
        "internal-2002-2001-20261120-110000-1763636400.31.wav",
        "out-02079460000-2001-20261120-101500-1763633700.20.wav",
        "rejected/meeting.wav",
        "rejected/meeting.wav.reason",
        "rejected/q-400-07700900124-20261120-120000-1763640000.60.wav",
        "rejected/q-400-07700900124-20261120-120000-1763640000.60.wav.reason",
    ]);
    let reason = |name: &str| std::fs::read_to_string(dir.join("rejected").join(format!("{name}.reason"))).unwrap();
    assert!(reason("meeting.wav").contains("not KIND-A-B-YYYYMMDD-HHMMSS-UNIQUEID"), "{}", reason("meeting.wav"));
    assert!(reason("q-400-07700900124-20261120-120000-1763640000.60.wav").contains("not WAV, MP3 or Ogg"));

    // Again: nothing new, nothing twice; then imported files removed.
    let again = cli.expect(0, &args, "");
    assert!(again.contains("0 added, 4 already there, 0 failed, of 4 files"), "{again}");
    // The same call's id with other audio (written on after it was taken)
    // is set aside, never taken for the recording or deleted; a second
    // file of a name set aside already gets its own.
    let grown = dir.join("internal-2002-2001-20261120-110000-1763636400.31.wav");
    std::fs::write(&grown, wav_file(6000, 7)).unwrap();
    std::fs::write(dir.join("meeting.wav"), wav_file(900, 9)).unwrap();
    let mut removing = args.to_vec();
    removing.insert(1, "--remove-imported");
    let out = cli.expect(1, &removing, "");
    assert!(out.contains("3 already there, 2 failed"), "{out}");
    assert!(std::fs::read_to_string(dir.join("rejected/internal-2002-2001-20261120-110000-1763636400.31.wav.reason")).unwrap().contains("has this call's id (asterisk:1763636400.31) with other audio"));
    assert!(dir.join("rejected/meeting.wav.1.reason").exists() && dir.join("rejected/meeting.wav.reason").exists());
    assert_eq!(files_below(dir).iter().filter(|f| !f.starts_with("rejected/")).count(), 0, "the three taken were removed");

    // A link planted where rejected files go is not followed.
    let spool = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), spool.path().join("rejected")).unwrap();
    std::fs::write(spool.path().join("meeting.wav"), wav_file(800, 9)).unwrap();
    let planted = cli.expect(1, &["import", "--company", "Acme", "--layout", "asterisk", spool.path().to_str().unwrap()], "");
    assert!(planted.contains("is not a folder (a link or a file is there)"), "{planted}");
    assert!(walk(elsewhere.path()).is_empty(), "nothing written through the link");

    // Wrong flags say what to do.
    assert!(cli.expect(2, &["import", "--company", "Acme", "--cdr", "mysql://x@y/z", path], "").contains("--cdr and --zone go with --layout asterisk"));
    assert!(cli.expect(2, &["import", "--company", "Acme", "--layout", "asterisk", "--zone", "Mars/Olympus", path], "").contains("is not a time zone"));
    assert!(cli.expect(2, &["import", "--company", "Acme", "--layout", "asterisk", "--cdr", "postgres://x@y/z", path], "").contains("must start with mysql://"));
    assert!(cli.expect(2, &["import", "--company", "Acme", "--layout", "fritzbox", path], "").contains("invalid value 'fritzbox'"));
}
}

/// A database on this machine's MariaDB holding FreePBX's CDR table (the
/// columns the import reads, typed as FreePBX types them), or `None` when
/// MariaDB is not there. Dropped with the guard.
struct CdrDatabase(String);

impl CdrDatabase {
    fn create() -> Option<CdrDatabase> {
        let name = format!("callrec_cdr_{}", std::process::id());
        let sql = format!(
            "CREATE DATABASE {name}; USE {name}; CREATE TABLE cdr (
               calldate datetime NOT NULL, clid varchar(80) NOT NULL DEFAULT '',
               src varchar(80) NOT NULL DEFAULT '', dst varchar(80) NOT NULL DEFAULT '',
               dcontext varchar(80) NOT NULL DEFAULT '', duration int NOT NULL DEFAULT 0,
               billsec int NOT NULL DEFAULT 0, disposition varchar(45) NOT NULL DEFAULT '',
               uniqueid varchar(32) NOT NULL DEFAULT '', did varchar(50) NOT NULL DEFAULT '',
               recordingfile varchar(255) NOT NULL DEFAULT '');
             INSERT INTO cdr VALUES
               ('2026-11-20 09:29:50', '', '+447700900123', '2001', 'from-trunk', 25, 0, 'NO ANSWER', '1763631000.17', '+442079460000', ''),
               ('2026-11-20 09:29:50', '', '+447700900123', '2001', 'from-trunk', 25, 3, 'ANSWERED', '1763631000.17', '+442079460000', 'x.wav');"
        );
        let created = Command::new("mysql")
            .args(["-h", "127.0.0.1", "-u", "root", "-e", &sql])
            .output()
            .ok()?;
        created.status.success().then_some(CdrDatabase(name))
    }

    fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:3306/{}", self.0)
    }
}

impl Drop for CdrDatabase {
    fn drop(&mut self) {
        let _ = Command::new("mysql")
            .args([
                "-h",
                "127.0.0.1",
                "-u",
                "root",
                "-e",
                &format!("DROP DATABASE {}", self.0),
            ])
            .output();
    }
}

#[test]
fn a_watched_folder_takes_each_call_once_it_is_closed_with_its_cdr() {
    let Some(cdr) = CdrDatabase::create() else {
        eprintln!("SKIPPED cli::a_watched_folder_takes_each_call_once_it_is_closed_with_its_cdr: MariaDB is not running on 127.0.0.1:3306");
        return;
    };
    let cli = Cli::new();
    cli.expect(0, &["company", "add", "Acme"], "");
    cli.expect(0, &["team", "add", "--company", "Acme", "Desk"], "");
    let desk = [
        "user",
        "add",
        "--company",
        "Acme",
        "--username",
        "desk.one",
        "--level",
        "staff",
        "--team",
        "Desk",
    ];
    cli.expect(
        0,
        &[&desk[..], &["--extension", "2001", "--password-stdin"]].concat(),
        GOOD_PASSWORD,
    );
    let taken = [
        "user",
        "add",
        "--company",
        "Acme",
        "--username",
        "desk.two",
        "--level",
        "staff",
        "--team",
        "Desk",
    ];
    let refused = cli.expect(
        2,
        &[&taken[..], &["--extension", "2001", "--password-stdin"]].concat(),
        GOOD_PASSWORD,
    );
    assert!(
        refused.contains("Another user of the company has that extension"),
        "{refused}"
    );
    let listed = cli.expect(0, &["user", "list", "--company", "Acme"], "");
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("desk.one\t") && l.ends_with("\t2001")),
        "{listed}"
    );
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().to_path_buf();
    let mut child = Command::new(env!("CARGO_BIN_EXE_callrec"))
        .args([
            "import",
            "--company",
            "Acme",
            "--layout",
            "asterisk",
            "--zone",
            "UTC",
            "--settle",
            "1",
        ])
        .args(["--cdr", &cdr.url(), "--watch", dir.to_str().unwrap()])
        .env("CALLREC_DATA_DIR", cli.dir.path())
        .env_remove("CALLREC_DATABASE_URL")
        .env("CALLREC_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next = |what: &str| -> String {
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no {what:?} line in 30 s"));
            if line.contains(what) {
                return line;
            }
        }
    };
    assert!(next("Watching").contains("unchanged for 1 s"));

    // Asterisk writes the call as it goes: a piece every 300 ms for 3 s.
    // It is taken only once it stops growing, whole.
    let whole = wav_file(16_000, 3);
    let name = "exten-2001-07700900123-20261120-093000-1763631000.17.wav";
    let pieces: Vec<&[u8]> = whole.chunks(whole.len() / 10 + 1).collect();
    {
        let mut file = std::fs::File::create(dir.join(name)).unwrap();
        for piece in pieces {
            file.write_all(piece).unwrap();
            file.flush().unwrap();
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    assert_eq!(next("added:"), format!("added: {name}"));
    let call = imported(&cli, "1763631000.17").expect("imported");
    assert_eq!(
        call.size_bytes as usize,
        whole.len(),
        "the whole file, not a part"
    );
    // The CDR's answered row: the numbers as the trunk gave them, inbound
    // by its context, the DID rather than the extension it rang.
    assert_eq!(
        (
            call.direction,
            call.calling_number.as_str(),
            call.called_number.as_str()
        ),
        (Direction::Inbound, "+447700900123", "+442079460000")
    );
    assert_eq!(call.extension.as_ref().map(|e| e.as_str()), Some("2001"));
    assert_eq!(
        call.username.as_deref(),
        Some("desk.one"),
        "the user with the extension"
    );

    // A bad file is set aside, the good one stays where it was.
    std::fs::write(
        dir.join("out-1-2001-20261120-093000-9.9.wav"),
        b"RIFF but no audio",
    )
    .unwrap();
    assert!(next("rejected:").contains("out-1-2001-20261120-093000-9.9.wav"));
    assert!(dir
        .join("rejected/out-1-2001-20261120-093000-9.9.wav.reason")
        .exists());
    assert!(
        dir.join(name).exists(),
        "nothing deleted without --remove-imported"
    );

    // SIGTERM stops it cleanly.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(next("Stopped:").contains("1 added, 0 already there, 1 rejected"));
    reader.join().unwrap();
}
