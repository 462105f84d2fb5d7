//! Recordings, audit, keys, audio and backups: their subcommands and flags.

use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Recordings deleted per transaction [default: 500].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk every chain and name the first entry that was changed, removed
    /// or reordered (exit 1 on any).
    Verify {
        /// Anchors printed earlier by `callrec audit anchor`: each must
        /// still be in its chain.
        #[arg(long, value_name = "FILE")]
        anchors: Option<PathBuf>,
    },
    /// Print every chain's head (`<chain> <length> <hash>`), to keep
    /// outside this server and check later with `verify --anchors`.
    Anchor,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Only this company's recordings (and stored files).
    #[arg(long, value_name = "NAME")]
    pub company: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Synthetic recordings to add (sharing a few generated audio files)
    /// [default: 3000 when the demo is first loaded, else none].
    #[arg(long, value_name = "N")]
    pub recordings: Option<u64>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  callrec import --company \"Acme Telecom\" ./calls
  CALLREC_CDR_URL=mysql://… callrec import --company \"Acme Telecom\" --layout asterisk \\
      --watch /var/spool/asterisk/monitor")]
pub struct ImportArgs {
    /// The company the recordings belong to.
    #[arg(long, value_name = "NAME")]
    pub company: String,
    /// The folder to import once: audio files (WAV, MP3, Ogg) named as
    /// --layout says.
    #[arg(required_unless_present = "watch", conflicts_with = "watch")]
    pub dir: Option<std::path::PathBuf>,
    /// Keep importing from this folder and its subfolders as files are
    /// closed (unchanged for --settle seconds), until stopped with Ctrl-C
    /// or SIGTERM. A file that cannot be imported is moved to
    /// DIR/rejected with a NAME.reason beside it.
    #[arg(long, value_name = "DIR")]
    pub watch: Option<std::path::PathBuf>,
    /// How the files say what call they are: `sidecar`, a NAME.json beside
    /// each with the ingest API's metadata; `asterisk`, FreePBX's
    /// MixMonitor names (in-, out-, internal-, q-, exten-…).
    #[arg(long, value_enum, default_value_t = Layout::Sidecar)]
    pub layout: Layout,
    /// With --layout asterisk: FreePBX's CDR database
    /// (mysql://user:password@host/asteriskcdrdb), for each call's numbers,
    /// direction and answered time. Prefer CALLREC_CDR_URL: a password on
    /// the command line is visible to other users of the machine.
    #[arg(
        long,
        value_name = "URL",
        env = "CALLREC_CDR_URL",
        hide_env_values = true
    )]
    pub cdr: Option<String>,
    /// With --layout asterisk: the PBX's time zone, for the times in file
    /// names [default: the company's].
    #[arg(long, value_name = "ZONE")]
    pub zone: Option<String>,
    /// Delete each file from the folder once it is imported (or was
    /// already). Without it nothing is ever deleted there.
    #[arg(long)]
    pub remove_imported: bool,
    /// With --watch: seconds a file must stay the same size before it is
    /// taken as closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub settle: u64,
}

/// How an import folder names its calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// NAME.json beside each audio file.
    Sidecar,
    /// FreePBX's MixMonitor file names.
    Asterisk,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup's folder (new or empty for backup).
    pub dir: std::path::PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AudioCommand {
    /// Copy every stored audio file, as stored, from the configured store
    /// (CALLREC_AUDIO_STORE) to another, with progress, while the portal
    /// serves. Files already there are skipped: run it again to finish a
    /// stopped run, and once more just before pointing every node at the
    /// new store.
    Migrate {
        /// Where to: s3://bucket/prefix (with CALLREC_S3_ENDPOINT,
        /// CALLREC_S3_REGION and AWS_* credentials) or file:///folder.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new master key (base64 of 32 random bytes) for
    /// CALLREC_SECRET_KEY: give the same one to every node.
    Generate,
    /// Make a new current master key (in the key file; with
    /// CALLREC_SECRET_KEY set, put the new key there and the old one in
    /// CALLREC_SECRET_KEY_PREVIOUS first) and re-encrypt every stored MFA
    /// secret and every company's audio data key with it. With
    /// --company C --data: instead, give the company a new audio data key
    /// and re-seal all its audio with it, with progress (run it again to
    /// finish a run that stopped).
    Rotate {
        /// The company whose audio data key to replace (with --data).
        #[arg(long, value_name = "NAME", requires = "data")]
        company: Option<String>,
        /// Re-seal the company's audio with a new data key.
        #[arg(long, requires = "company")]
        data: bool,
    },
}
