//! `spawn_app()`: the portal on port 0 over a fresh database, and a
//! cookie-keeping client per simulated browser.

use callrec_app::bootstrap::BootstrapAdmin;
use callrec_app::{Argon2Settings, Clock, Keyring, Passwords};
use callrec_domain::retention::Retention;
use callrec_domain::{
    CompanyName, DisplayName, Email, Level, NewPassword, Role, RoleSet, TeamName, Username,
};
use callrec_store::testing::TestDb;
use callrec_store::{BlobStore, Company, NewUser, Store, StoredPassword, Team, User};
use callrec_web::server::ConnectionTimeouts;
use callrec_web::startup::{Application, Startup};
use callrec_web::WebConfig;

pub const PASSWORD: &str = "correct horse battery staple";

/// Every node of a test shares this key, as nodes of a deployment share
/// CALLREC_SECRET_KEY.
pub const TEST_KEY: [u8; 32] = [42; 32];

/// Cheap hashing keeps tests quick; production defaults are tested in the
/// unit tests of the password module.
pub fn test_config() -> WebConfig {
    WebConfig {
        argon2: Argon2Settings {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        },
        ..WebConfig::default()
    }
}

pub struct TestApp {
    pub address: String,
    pub store: Store,
    pub blobs: BlobStore,
    /// The portal's clock: the system's, or one the test moves.
    pub clock: Clock,
    pub config: WebConfig,
    /// Held so the database lives as long as the app.
    _db: TestDb,
}

pub async fn spawn_app(db: TestDb) -> TestApp {
    spawn_app_with(db, test_config()).await
}

pub async fn spawn_app_with(db: TestDb, config: WebConfig) -> TestApp {
    spawn_app_on(db, config, Clock::system()).await
}

/// The portal on a clock the test holds (`Clock::manual`).
/// The portal's log, only with `TEST_LOG=1` (captured per test by libtest).
fn init_test_log() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,sqlx=warn,hyper=info")
            .with_test_writer()
            .try_init();
    }
}

pub async fn spawn_app_on(db: TestDb, config: WebConfig, clock: Clock) -> TestApp {
    let blobs = BlobStore::new(db.data_dir());
    spawn_app_storing(db, config, clock, blobs).await
}

/// The portal with its audio in the test S3 server (`scripts/s3-server.sh`),
/// or `None` when it is not running (a failure under CI).
pub async fn spawn_app_on_s3(db: TestDb, test: &str) -> Option<TestApp> {
    let location = callrec_store::testing::test_s3(test)?;
    let blobs = BlobStore::at(&callrec_store::AudioLocation::S3(location), db.data_dir()).unwrap();
    Some(spawn_app_storing(db, test_config(), Clock::system(), blobs).await)
}

async fn spawn_app_storing(
    db: TestDb,
    config: WebConfig,
    clock: Clock,
    blobs: BlobStore,
) -> TestApp {
    init_test_log();
    let store = db.store.clone();
    let address = serve_with(store.clone(), config.clone(), blobs.clone(), clock.clone()).await;
    TestApp {
        address,
        store,
        blobs,
        clock,
        config,
        _db: db,
    }
}

/// The first administrator every test database starts with, as a fresh
/// deployment does (with `CALLREC_BOOTSTRAP_ADMIN_PASSWORD` set).
pub const BOOTSTRAP_ADMIN: &str = "admin";

/// Connection limits of test nodes: short, so tests of them are quick.
pub const TEST_TIMEOUTS: ConnectionTimeouts = ConnectionTimeouts {
    header: std::time::Duration::from_secs(1),
    body: std::time::Duration::from_secs(2),
    shutdown: std::time::Duration::from_secs(5),
};

/// A node through the real start-up (`Application::build`), not yet
/// serving: tidy-up, bootstrap and the purge run here as in `callrec serve`.
pub async fn build_node(
    store: Store,
    config: WebConfig,
    blobs: BlobStore,
    clock: Clock,
    timeouts: ConnectionTimeouts,
    metrics_listen: Option<std::net::SocketAddr>,
) -> Application {
    let admin = BootstrapAdmin {
        username: Username::parse(BOOTSTRAP_ADMIN).unwrap(),
        password: Some(NewPassword::parse(PASSWORD, BOOTSTRAP_ADMIN).unwrap()),
    };
    Application::build(Startup {
        store,
        config,
        keyring: Keyring::new(TEST_KEY, &[]),
        blobs,
        clock,
        timeouts,
        orphan_grace: std::time::Duration::from_secs(60),
        admin,
        listen: "127.0.0.1:0".parse().unwrap(),
        metrics_listen,
    })
    .await
    .expect("the portal starts")
}

/// A node serving until the test ends; its address.
pub async fn serve_with(store: Store, config: WebConfig, blobs: BlobStore, clock: Clock) -> String {
    let app = build_node(store, config, blobs, clock, TEST_TIMEOUTS, None).await;
    let address = format!("http://{}", app.address());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    address
}

/// A browser: keeps cookies, does not follow redirects, and sends the
/// `Origin` header a real browser sends with a form.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                // A fresh connection per request: the server closes a
                // keep-alive connection that sends no header within its
                // header timeout, and a client reusing it at that moment
                // fails to send (seen once in the route matrix: a client
                // race, not a server answer).
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            base: base.to_string(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.client
            .post(format!("{}{path}", self.base))
            .header("Origin", &self.base)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_text(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let response = self.post(path, form).await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }

    /// Signs in and checks it worked.
    pub async fn signed_in(base: &str, username: &str) -> Browser {
        let browser = Browser::new(base);
        let response = browser.login(username, PASSWORD).await;
        assert_eq!(response.status(), 303, "sign-in of {username} failed");
        browser
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A small world: two tenant companies and the operator, with users of
/// every level. Not every test reads every field.
#[allow(dead_code)]
pub struct Seed {
    pub acme: Company,
    pub globex: Company,
    pub sales: Team,
    pub support: Team,
    pub front: Team,
    pub root: User,
    pub acme_admin: User,
    pub acme_lead: User,
    pub acme_agent: User,
    pub acme_support: User,
    pub globex_admin: User,
    pub globex_agent: User,
}

const NOW: i64 = 1_800_000_000;

impl TestApp {
    /// Another node: its own store (own pools and caches) on the same
    /// database, the same audio folder, configuration and clock.
    /// Another node, built but not yet serving (the test runs it).
    pub async fn node(
        &self,
        config: WebConfig,
        timeouts: ConnectionTimeouts,
        metrics_listen: Option<std::net::SocketAddr>,
    ) -> Application {
        let store = self._db.another_node().await;
        build_node(
            store,
            config,
            self.blobs.clone(),
            self.clock.clone(),
            timeouts,
            metrics_listen,
        )
        .await
    }

    pub async fn second_node(&self) -> String {
        let store = self._db.another_node().await;
        serve_with(
            store,
            self.config.clone(),
            self.blobs.clone(),
            self.clock.clone(),
        )
        .await
    }

    /// Every byte the database holds (`TestDb::dump`).
    pub fn database_bytes(&self) -> Vec<u8> {
        self._db.dump()
    }

    /// The bodies of the messages in the mail outbox.
    pub async fn outbox_bodies(&self) -> Vec<String> {
        self._db.outbox_bodies().await
    }

    /// The newest 50 audit entries of `action`: (actor, details).
    pub async fn audit_of(&self, action: &str) -> Vec<(String, String)> {
        self.store
            .audit_entries(&callrec_store::AuditQuery {
                action: Some(action.into()),
                limit: 50,
                ..callrec_store::AuditQuery::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|entry| (entry.actor_name.unwrap_or_default(), entry.details))
            .collect()
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// Signed in, and "Confirm it's you" answered a moment ago: the changes
    /// that ask for presence (a token, a new user, more access, a shorter
    /// retention, a new secret) go through for five minutes, as they do
    /// for a person who just confirmed. Tests of the question itself use
    /// `as_unconfirmed_user`.
    pub async fn as_user(&self, username: &str) -> Browser {
        let browser = Browser::signed_in(&self.address, username).await;
        self.set_confirmed(username, Some(self.clock.now())).await;
        browser
    }

    /// Signed in only: the changes that ask for presence ask.
    pub async fn as_unconfirmed_user(&self, username: &str) -> Browser {
        let browser = Browser::signed_in(&self.address, username).await;
        self.set_confirmed(username, None).await;
        browser
    }

    async fn set_confirmed(&self, username: &str, at: Option<i64>) {
        let at = at.map_or_else(|| "NULL".to_string(), |at| at.to_string());
        callrec_store::testing::execute(
            &self.store,
            &format!(
                "UPDATE sessions SET confirmed_at = {at} WHERE user_id = \
                 (SELECT id FROM users WHERE username = '{username}')"
            ),
        )
        .await
        .unwrap();
    }

    /// The company `name`: made now, or the one the bootstrap made.
    pub async fn company(&self, name: &str) -> Company {
        let name = CompanyName::parse(name).unwrap();
        if let Some(made) = self.store.company_by_name(name.as_str()).await.unwrap() {
            return made;
        }
        self.store
            .set_up(NOW, async |w| {
                w.create_company(&name, Retention::Forever).await
            })
            .await
            .unwrap()
    }

    pub async fn team(&self, company: &Company, name: &str) -> Team {
        self.store
            .set_up(NOW, async |w| {
                w.create_team(company.id, &TeamName::parse(name).unwrap())
                    .await
            })
            .await
            .unwrap()
    }

    pub async fn user(
        &self,
        company: &Company,
        team: Option<&Team>,
        username: &str,
        level: Level,
        roles: &[Role],
    ) -> User {
        let passwords = Passwords::new(&test_config().argon2).unwrap();
        let name = Username::parse(username).unwrap();
        let display = DisplayName::parse(&format!("{username} display")).unwrap();
        let email = Email::parse_optional(&format!("{username}@example.com")).unwrap();
        self.store
            .set_up(NOW, async |w| {
                w.create_user(&NewUser {
                    company_id: company.id,
                    team_id: team.map(|t| t.id),
                    username: &name,
                    display_name: &display,
                    email: email.as_ref(),
                    extension: None,
                    level,
                    password: StoredPassword::permanent(passwords.hash(PASSWORD).await.unwrap()),
                    roles: roles.iter().copied().collect::<RoleSet>(),
                })
                .await
            })
            .await
            .unwrap()
    }

    pub async fn seed(&self) -> Seed {
        let operator = self.company("Operator").await;
        let acme = self.company("Acme").await;
        let globex = self.company("Globex").await;
        let sales = self.team(&acme, "Sales").await;
        let support = self.team(&acme, "Support").await;
        let front = self.team(&globex, "Front").await;
        let lead_roles = [
            Role::ManageUsers,
            Role::ManageTeams,
            Role::Recordings,
            Role::ManageOwnMfa,
        ];
        Seed {
            root: self
                .user(&operator, None, "root", Level::Global, &Role::ALL)
                .await,
            acme_admin: self
                .user(&acme, None, "acme.admin", Level::Company, &Role::ALL)
                .await,
            acme_lead: self
                .user(&acme, Some(&sales), "acme.lead", Level::Team, &lead_roles)
                .await,
            acme_agent: self
                .user(
                    &acme,
                    Some(&sales),
                    "acme.agent",
                    Level::Staff,
                    &[Role::Recordings, Role::ManageOwnMfa],
                )
                .await,
            acme_support: self
                .user(&acme, Some(&support), "acme.support", Level::Staff, &[])
                .await,
            globex_admin: self
                .user(&globex, None, "globex.admin", Level::Company, &Role::ALL)
                .await,
            globex_agent: self
                .user(
                    &globex,
                    Some(&front),
                    "globex.agent",
                    Level::Staff,
                    &[Role::Recordings],
                )
                .await,
            acme,
            globex,
            sales,
            support,
            front,
        }
    }
}
