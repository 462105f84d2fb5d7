//! Demo companies, teams and users, with one documented password.

use super::now;
use crate::error::CliError;
use callrec_app::accounts::{self, CreateUser};
use callrec_app::audit::AuditContext;
use callrec_app::companies::create_company;
use callrec_app::sealing::{seal_plain_files, DataKeys};
use callrec_app::teams::create_team;
use callrec_app::{Argon2Settings, Passwords};
use callrec_domain::audio::pcm_wav_channels;
use callrec_domain::retention::Retention;
use callrec_domain::{
    CompanyName, DisplayName, Email, Level, NewPassword, PasswordLife, PhoneNumber, Role, RoleSet,
    TeamName, Username,
};
use callrec_store::{BlobStore, Store, Team};

/// Every demo user's password. Documented in the README; demo data is for
/// trying the portal, never for production.
pub const DEMO_PASSWORD: &str = "Demo-Calls-2026!";

/// The company whose presence means the demo is already loaded.
const MARKER_COMPANY: &str = "Acme Telecom";

struct DemoUser {
    username: &'static str,
    name: &'static str,
    level: Level,
    team: Option<&'static str>,
    roles: &'static [Role],
}

const STAFF_ROLES: &[Role] = &[
    Role::Recordings,
    Role::DownloadRecordings,
    Role::ManageOwnMfa,
];
const LEAD_ROLES: &[Role] = &[
    Role::ManageUsers,
    Role::Recordings,
    Role::DownloadRecordings,
    Role::AuditLog,
    Role::ManageOwnMfa,
];

const ACME: &[DemoUser] = &[
    DemoUser {
        username: "acme.admin",
        name: "Alex Admin",
        level: Level::Company,
        team: None,
        roles: &Role::ALL,
    },
    DemoUser {
        username: "acme.lead",
        name: "Lee Lead",
        level: Level::Team,
        team: Some("Sales"),
        roles: LEAD_ROLES,
    },
    DemoUser {
        username: "acme.agent",
        name: "Sam Agent",
        level: Level::Staff,
        team: Some("Sales"),
        roles: STAFF_ROLES,
    },
    DemoUser {
        username: "alice.jones",
        name: "Alice Jones",
        level: Level::Staff,
        team: Some("Sales"),
        roles: STAFF_ROLES,
    },
    DemoUser {
        username: "bob.smith",
        name: "Bob Smith",
        level: Level::Staff,
        team: Some("Support"),
        roles: &[Role::Recordings],
    },
    DemoUser {
        username: "carol.white",
        name: "Carol White",
        level: Level::Staff,
        team: Some("Support"),
        roles: &[],
    },
];

const GLOBEX: &[DemoUser] = &[
    DemoUser {
        username: "globex.admin",
        name: "Grace Globex",
        level: Level::Company,
        team: None,
        roles: &Role::ALL,
    },
    DemoUser {
        username: "globex.agent",
        name: "Gus Agent",
        level: Level::Staff,
        team: Some("Front Desk"),
        roles: STAFF_ROLES,
    },
];

const OPERATOR: &[DemoUser] = &[DemoUser {
    username: "operator",
    name: "Olivia Operator",
    level: Level::Global,
    team: None,
    roles: &Role::ALL,
}];

/// One line of the logins table printed after loading.
pub struct DemoLogin {
    pub username: &'static str,
    pub description: String,
}

/// Recordings added with the demo when no number is asked for.
const DEFAULT_RECORDINGS: u64 = 3000;

/// Loads the demo unless it is there already, then adds `recordings`
/// synthetic recordings (by default 3000 with a first load); returns whether
/// the demo was loaded now, and the logins.
pub async fn load(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    recordings: Option<u64>,
) -> Result<(bool, Vec<DemoLogin>), CliError> {
    let logins = logins();
    let loaded = if store.company_by_name(MARKER_COMPANY).await?.is_some() {
        false
    } else {
        load_people(store).await?;
        true
    };
    let count = recordings.unwrap_or(if loaded { DEFAULT_RECORDINGS } else { 0 });
    if count > 0 {
        add_recordings(store, blobs, count).await?;
        // The demo's few audio files are sealed like any other audio, and
        // drawn.
        seal_plain_files(store, blobs, keys, crate::commands::now(), |_, _| {}).await?;
        callrec_app::waveforms::fill_missing(store, blobs, keys, "demo", |_, _| {}).await?;
    }
    Ok((loaded, logins))
}

async fn load_people(store: &Store) -> Result<(), CliError> {
    // Demo hashes use a light Argon2 cost: the passwords are public anyway,
    // and loading stays quick.
    let passwords = Passwords::new(&Argon2Settings {
        memory_kib: 4096,
        iterations: 1,
        parallelism: 1,
    })?;
    let audit = AuditContext::command_line();
    let operator = match store.company_by_name("Operator").await? {
        Some(company) => company,
        None => {
            let name = CompanyName::parse("Operator")?;
            create_company(store, &name, Retention::Forever, &audit).await?
        }
    };
    add_users(store, &passwords, operator.id, &[], OPERATOR).await?;
    for (company, teams, users) in [
        (MARKER_COMPANY, &["Sales", "Support"][..], ACME),
        ("Globex Support", &["Front Desk"][..], GLOBEX),
    ] {
        let name = CompanyName::parse(company)?;
        let company = create_company(store, &name, Retention::Forever, &audit).await?;
        let mut created = Vec::new();
        for team in teams {
            let name = TeamName::parse(team)?;
            created.push(create_team(store, company.id, &name, &audit).await?);
        }
        add_users(store, &passwords, company.id, &created, users).await?;
    }
    Ok(())
}

async fn add_users(
    store: &Store,
    passwords: &Passwords,
    company: callrec_domain::CompanyId,
    teams: &[Team],
    users: &[DemoUser],
) -> Result<(), CliError> {
    for demo in users {
        if store.user_by_username(demo.username).await?.is_some() {
            continue;
        }
        let team_id = demo
            .team
            .and_then(|name| teams.iter().find(|t| t.name == name))
            .map(|t| t.id);
        let username = Username::parse(demo.username)?;
        accounts::create_user(
            store,
            passwords,
            callrec_app::Caller::Operator,
            CreateUser {
                company_id: company,
                team_id,
                email: Email::parse_optional(&format!("{}@example.com", demo.username))?,
                extension: None,
                display_name: DisplayName::parse(demo.name)?,
                level: demo.level,
                roles: demo.roles.iter().copied().collect::<RoleSet>(),
                password: NewPassword::parse(DEMO_PASSWORD, username.as_str())?,
                // The demo users exist to be tried: their password stays.
                password_life: PasswordLife::Permanent,
                username,
            },
            &AuditContext::command_line(),
        )
        .await?;
    }
    Ok(())
}

fn logins() -> Vec<DemoLogin> {
    [
        ("Operator", OPERATOR),
        (MARKER_COMPANY, ACME),
        ("Globex Support", GLOBEX),
    ]
    .into_iter()
    .flat_map(|(company, users)| {
        users.iter().map(move |user| DemoLogin {
            username: user.username,
            description: format!(
                "{} level, {}{}",
                user.level.label(),
                company,
                user.team.map(|t| format!(" / {t}")).unwrap_or_default()
            ),
        })
    })
    .collect()
}

pub fn print_logins(logins: &[DemoLogin]) {
    crate::logging::say(&format!("Demo logins (password for all: {DEMO_PASSWORD}):"));
    for login in logins {
        crate::logging::say(&format!("  {:<14} {}", login.username, login.description));
    }
}

/// 8 kHz WAV of two tones in short bursts, like a phone line. In stereo
/// the two parties take turns, the caller on the left channel and the
/// agent on the right, as a recorder that keeps them apart writes them.
fn synthetic_wav(seconds: u32, low: f64, high: f64, stereo: bool) -> Vec<u8> {
    let rate = 8000;
    let tone = |t: f64, on: bool, loudness: f64| -> i16 {
        if !on {
            return 0;
        }
        let wave = |f: f64| loudness * (2.0 * std::f64::consts::PI * f * t).sin();
        ((wave(low) + wave(high)) * f64::from(i16::MAX)) as i16
    };
    let samples: Vec<i16> = (0..rate * seconds)
        .flat_map(|i| {
            let t = f64::from(i) / f64::from(rate);
            if stereo {
                // The caller for 1.1 s, a pause, the agent for 0.9 s.
                let turn = t % 2.4;
                vec![
                    tone(t, turn < 1.1, 0.3),
                    tone(t, (1.3..2.2).contains(&turn), 0.18),
                ]
            } else {
                // On for 0.4 s, off for 0.2 s.
                vec![tone(t, (t % 0.6) < 0.4, 0.25)]
            }
        })
        .collect();
    pcm_wav_channels(&samples, if stereo { 2 } else { 1 }, rate)
}

/// Synthetic recordings over the last 90 days for the demo companies' team
/// members, sharing a dozen generated audio files per company.
async fn add_recordings(store: &Store, blobs: &BlobStore, count: u64) -> Result<(), CliError> {
    use callrec_domain::audio::AudioFormat;
    use callrec_domain::permissions::DataScope;
    use callrec_domain::recording::{Direction, RecordingId};
    use callrec_store::{NewRecording, UserQuery};
    use rand::{Rng, SeedableRng};

    let failed = |err: std::io::Error| CliError::Failed(format!("cannot store demo audio: {err}"));
    let audit = AuditContext::command_line();
    let mut people = Vec::new();
    for company in [MARKER_COMPANY, "Globex Support"] {
        let Some(company) = store.company_by_name(company).await? else {
            continue;
        };
        let query = UserQuery {
            scope: DataScope::Company(company.id),
            company: None,
            search: None,
            page: 0,
            per_page: 500,
        };
        for user in store
            .list_users(&query)
            .await?
            .items
            .into_iter()
            .filter(|u| u.team_id.is_some())
        {
            people.push((company.id, user.team_id, user.id));
        }
    }
    if people.is_empty() {
        return Err(CliError::Usage(
            "load the demo people first (`callrec demo`)".into(),
        ));
    }
    // Audio is never shared across companies: each gets its own copies.
    let mut audio = std::collections::HashMap::new();
    for (company, _, _) in &people {
        if audio.contains_key(company) {
            continue;
        }
        let mut files = Vec::new();
        for (i, seconds) in [4u32, 6, 7, 9, 11, 12, 14, 16, 18, 21, 25, 30]
            .into_iter()
            .enumerate()
        {
            let (low, high) = (350.0 + 40.0 * i as f64, 440.0 + 60.0 * i as f64);
            let wav = synthetic_wav(seconds, low, high, i % 2 == 1);
            let stored = blobs.put(&wav, *company).await.map_err(failed)?;
            files.push((stored, i64::from(seconds) * 1000));
        }
        audio.insert(*company, files);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(count ^ now() as u64);
    let now_ms = now() * 1000;
    let ninety_days_ms = 90 * 24 * 3600 * 1000;
    let chunk = 50_000;
    let mut added = 0;
    while added < count {
        let batch = (count - added).min(chunk);
        // Calls arrive in time order, so each batch covers the next slice of
        // the 90 days: the indexes grow at their newest end, as in real use.
        let slice_start = ninety_days_ms * added as i64 / count as i64;
        let slice_ms =
            (ninety_days_ms * (added + batch) as i64 / count as i64 - slice_start).max(1);
        let mut rows: Vec<NewRecording> = (0..batch)
            .map(|_| {
                let (company_id, team_id, user_id) = people[rng.gen_range(0..people.len())];
                let files = &audio[&company_id];
                let (stored, duration_ms) = &files[rng.gen_range(0..files.len())];
                let direction = [Direction::Inbound, Direction::Outbound, Direction::Internal]
                    [rng.gen_range(0..3)];
                // Digits by construction: `from_stored` cannot refuse them.
                let number = |text: String| PhoneNumber::from_stored(&text).expect("digits");
                let extension = number(format!("2{:03}", rng.gen_range(0..200)));
                let outside = number(format!(
                    "+44{}",
                    rng.gen_range(1_000_000_000u64..9_999_999_999)
                ));
                let other_extension = number(format!("2{:03}", rng.gen_range(0..200)));
                let (from, to) = match direction {
                    Direction::Inbound => (outside, extension.clone()),
                    Direction::Outbound => (extension.clone(), outside),
                    Direction::Internal => (extension.clone(), other_extension),
                };
                NewRecording {
                    id: RecordingId::from_bytes(rng.gen()),
                    company_id,
                    team_id,
                    user_id: Some(user_id),
                    extension: Some(extension),
                    direction,
                    calling_number: from,
                    called_number: to,
                    started_at_ms: now_ms - ninety_days_ms
                        + slice_start
                        + rng.gen_range(0..slice_ms),
                    duration_ms: *duration_ms,
                    format: AudioFormat::Wav,
                    size_bytes: stored.size as i64,
                    sha256: stored.sha256.clone(),
                    storage_key: stored.key.clone(),
                    external_id: None,
                }
            })
            .collect();
        rows.sort_by_key(|row| row.started_at_ms);
        callrec_app::ingest::add_in_bulk(store, &rows, "demo data", &audit).await?;
        added += batch;
        if count > 10_000 {
            eprintln!("  {added}/{count} recordings");
        }
    }
    // A few rows may not use every file: no orphans (`callrec verify`).
    let keys = audio
        .values()
        .flatten()
        .map(|(stored, _)| stored.key.as_str());
    callrec_app::housekeeping::remove_unused_audio(store, blobs, keys).await?;
    println!("Added {count} demo recordings.");
    Ok(())
}
