//! The Users page: search, scope, add, Modify with Details and Roles.

use crate::harness::*;
use callrec_domain::{Level, Role, RoleSet};
use callrec_store::{backend_tests, AuditQuery};

fn modify_form<'a>(
    display: &'a str,
    level: &'a str,
    team: &'a str,
    roles: &[&'a str],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("display_name", display),
        ("level", level),
        ("team", team),
        ("enabled", "on"),
    ];
    form.extend(roles.iter().map(|r| ("roles", *r)));
    form
}

backend_tests! {
    async fn search_finds_users_by_name_username_and_email(db) {
        let app = spawn_app(db).await;
        app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let (status, page) = admin.get_text("/users").await;
        assert_eq!(status, 200);
        assert!(page.contains(r#"<input type="search" id="user-search" name="q""#));
        assert!(page.contains(r#"<label for="user-search">Search</label>"#));
        for name in ["acme.admin", "acme.lead", "acme.agent", "acme.support"] {
            assert!(page.contains(&format!(r#"aria-label="Modify {name}""#)), "{name}");
        }
        assert!(!page.contains("globex"), "other companies stay invisible");
        let (_, page) = admin.get_text("/users?q=AGENT").await;
        assert!(page.contains("Modify acme.agent") && !page.contains("Modify acme.lead"));
        let (_, page) = admin.get_text("/users?q=support%40example").await;
        assert!(page.contains("Modify acme.support") && !page.contains("Modify acme.agent"));
        let (_, page) = admin.get_text("/users?q=globex").await;
        assert!(page.contains("No users match"), "search stays inside the scope");
    }

    async fn users_are_paged(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        for i in 0..30 {
            app.user(&seed.acme, Some(&seed.sales), &format!("bulk{i:02}"), Level::Staff, &[]).await;
        }
        let admin = app.as_user("acme.admin").await;
        let (_, first) = admin.get_text("/users").await;
        assert!(first.contains("1–25 of 34"), "{}", &first[first.find("pager").unwrap_or(0)..].chars().take(300).collect::<String>());
        assert!(first.contains(r#"href="/users?page=1">Next</a>"#));
        let (_, second) = admin.get_text("/users?page=1").await;
        assert!(second.contains("26–34 of 34") && second.contains(">Previous</a>") && !second.contains(">Next</a>"));
    }

    async fn each_level_sees_its_scope(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let (_, root_page) = app.as_user("root").await.get_text("/users").await;
        assert!(root_page.contains("Modify globex.agent") && root_page.contains("Modify acme.agent"));
        let lead = app.as_user("acme.lead").await;
        let (_, lead_page) = lead.get_text("/users").await;
        assert!(lead_page.contains("Modify acme.agent"), "same team");
        assert!(!lead_page.contains("acme.support"), "other team");
        assert!(!lead_page.contains("Modify acme.admin") && !lead_page.contains("acme.admin@"), "company users are outside a team");
        // Outside the scope, a user does not exist: 404 for view and change.
        for (browser, target) in [(&lead, &seed.acme_support), (&lead, &seed.globex_agent), (&app.as_user("acme.admin").await, &seed.globex_agent)] {
            assert_eq!(browser.get(&format!("/users?edit={}", target.id)).await.status(), 404);
            let form = modify_form("Hacked", "staff", "", &[]);
            assert_eq!(browser.post(&format!("/users/{}", target.id), &form).await.status(), 404);
        }
        assert_eq!(app.store.user(seed.globex_agent.id).await.unwrap().unwrap().display_name, "globex.agent display");
    }

    async fn nobody_edits_a_user_above_their_level(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let boss = app.user(&seed.acme, None, "acme.boss", Level::Company, &[]).await;
        let (_, page) = admin.get_text("/users").await;
        assert!(page.contains("acme.boss@example.com") && !page.contains("Modify acme.boss"), "a peer is listed, not editable");
        assert!(page.contains("can change this account\">Higher level only</span>"), "and the row says why");
        let lead = app.as_user("acme.lead").await;
        assert_eq!(lead.get(&format!("/users?edit={}", boss.id)).await.status(), 404);
        // Nor raise someone above their own level.
        let team = seed.sales.id.to_string();
        let (status, page) = lead.post_text(&format!("/users/{}", seed.acme_agent.id), &modify_form("Agent", "company", &team, &["recordings"])).await;
        assert_eq!(status, 422);
        assert!(page.contains("You cannot give a user a level above your own"));
        assert_eq!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().level, Level::Staff);
    }

    async fn modify_opens_a_dialog_with_details_and_roles_tabs(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let (status, page) = admin.get_text(&format!("/users?edit={}", seed.acme_agent.id)).await;
        assert_eq!(status, 200);
        assert!(page.contains(r#"<dialog id="edit-dialog" aria-labelledby="edit-title" open data-open"#));
        assert!(page.contains(">Modify acme.agent</h2>"));
        assert!(page.contains(r#"role="tab" id="edit-tab-details""#) && page.contains(">Details</button>"));
        assert!(page.contains(r#"role="tab" id="edit-tab-roles""#) && page.contains(">Roles</button>"));
        assert!(page.contains(r#"<label for="edit-available">Available</label>"#));
        assert!(page.contains(r#"<label for="edit-assigned">Assigned</label>"#));
        assert!(page.contains(r#"aria-label="Assign""#) && page.contains(r#"aria-label="Unassign""#));
        assert!(page.contains(">Save</button>"));
        let assigned = &page[page.find(r#"id="edit-assigned""#).unwrap()..];
        let assigned = &assigned[..assigned.find("</select>").unwrap()];
        assert!(assigned.contains("Access to Recordings") && assigned.contains("Access to Manage Own MFA"));
        assert!(!assigned.contains("Access to Manage Company MFA"));
    }

    async fn roles_are_assigned_through_the_roles_tab(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let team = seed.sales.id.to_string();
        let form = modify_form("Sam Agent", "staff", &team, &["recordings", "manage_own_mfa", "manage_company_mfa"]);
        let response = admin.post(&format!("/users/{}", seed.acme_agent.id), &form).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/users?done=user-saved");
        let agent = app.store.user(seed.acme_agent.id).await.unwrap().unwrap();
        assert_eq!(agent.roles, [Role::Recordings, Role::ManageOwnMfa, Role::ManageCompanyMfa].into_iter().collect::<RoleSet>());
        assert_eq!(agent.display_name, "Sam Agent");
        let (_, page) = admin.get_text("/users?done=user-saved").await;
        assert!(page.contains("Changes saved."));
        let audit = app.store.audit_entries(&AuditQuery { action: Some("user.roles_changed".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].details, "added: Access to Manage Company MFA; removed: none");
        assert_eq!(audit[0].actor_name.as_deref(), Some("acme.admin"));
        assert_eq!(audit[0].target.as_deref(), Some("acme.agent"));
    }

    async fn nobody_assigns_a_role_they_do_not_hold(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let lead = app.as_user("acme.lead").await;
        let team = seed.sales.id.to_string();
        let form = modify_form("Agent", "staff", &team, &["recordings", "manage_own_mfa", "audit_log"]);
        let (status, page) = lead.post_text(&format!("/users/{}", seed.acme_agent.id), &form).await;
        assert_eq!(status, 422);
        assert!(page.contains("You cannot assign roles you do not hold: Access to Audit Log"));
        let roles_tab = &page[page.find(r#"id="edit-tab-roles""#).unwrap()..];
        let roles_tab = &roles_tab[..roles_tab.find(">Roles</button>").unwrap()];
        assert!(roles_tab.contains(r#"aria-selected="true""#), "the pop-up reopens on the Roles tab: {roles_tab}");
        let agent = app.store.user(seed.acme_agent.id).await.unwrap().unwrap();
        assert!(!agent.roles.contains(Role::AuditLog), "nothing written");
        // A target holding a role the lead lacks is out of the lead's reach.
        app.store.set_up(0, async |write| write.update_user(seed.acme_agent.id, &callrec_store::UserUpdate {
            details: callrec_store::UserDetailsChange { display_name: callrec_domain::DisplayName::parse("Agent").unwrap(), email: None, extension: None, level: Level::Staff, team_id: Some(seed.sales.id), enabled: true },
            roles: [Role::Recordings, Role::AuditLog].into_iter().collect(),
            password: None,
        }).await).await.unwrap();
        let form = modify_form("Agent", "staff", &team, &["manage_own_mfa"]);
        assert_eq!(lead.post(&format!("/users/{}", seed.acme_agent.id), &form).await.status(), 403);
        let agent = app.store.user(seed.acme_agent.id).await.unwrap().unwrap();
        assert_eq!(agent.roles, [Role::Recordings, Role::AuditLog].into_iter().collect::<RoleSet>());
    }

    /// Security review, item 1: a Team manager set the password of another
    /// Team user holding Access to Delete Recordings; a Company user took
    /// over a peer Company user. Both are refused (403 in scope), the Users
    /// page offers no control for them, and creating a peer still works.
    async fn peers_and_stronger_users_are_out_of_reach(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let sales = seed.sales.id.to_string();
        // A Team user with Manage Users, and a Team peer who can delete recordings.
        let manager = app.user(&seed.acme, Some(&seed.sales), "team.manager", Level::Team, &[Role::ManageUsers, Role::Recordings, Role::ManageOwnMfa]).await;
        let deleter = app.user(&seed.acme, Some(&seed.sales), "team.deleter", Level::Team, &[Role::Recordings, Role::DeleteRecordings]).await;
        let strong_staff = app.user(&seed.acme, Some(&seed.sales), "strong.staff", Level::Staff, &[Role::DeleteRecordings]).await;
        let manager_browser = app.as_user(&manager.username).await;
        let (_, page) = manager_browser.get_text("/users").await;
        assert!(page.contains("team.deleter@example.com") && !page.contains("Modify team.deleter"));
        assert!(!page.contains("Modify strong.staff"), "a role the manager lacks protects a Staff user too");
        assert!(page.contains("Modify acme.agent"), "a Staff user with fewer roles stays editable");
        for target in [&deleter, &strong_staff] {
            let mut form = modify_form("Taken", target.level.code(), &sales, &["recordings"]);
            form.push(("new_password", "attacker chosen phrase"));
            assert_eq!(manager_browser.post(&format!("/users/{}", target.id), &form).await.status(), 403);
            assert_eq!(manager_browser.get(&format!("/users?edit={}", target.id)).await.status(), 403);
            assert_eq!(app.browser().login(&target.username, "attacker chosen phrase").await.status(), 401, "password unchanged");
        }
        // A Company user and a peer Company user.
        let peer = app.user(&seed.acme, None, "acme.peer", Level::Company, &[Role::Recordings]).await;
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text("/users").await;
        assert!(!page.contains("Modify acme.peer") && !page.contains("Reset MFA for acme.peer"));
        let mut form = modify_form("Taken", "company", "", &["recordings"]);
        form.push(("new_password", "attacker chosen phrase"));
        assert_eq!(admin.post(&format!("/users/{}", peer.id), &form).await.status(), 403);
        assert_eq!(admin.post(&format!("/users/{}/reset-mfa", peer.id), &[]).await.status(), 403);
        assert_eq!(admin.get(&format!("/users?reset={}", peer.id)).await.status(), 403);
        assert_eq!(app.browser().login("acme.peer", PASSWORD).await.status(), 303, "peer's password unchanged");
        // Out of scope stays 404, not 403.
        assert_eq!(admin.post(&format!("/users/{}", seed.globex_admin.id), &form).await.status(), 404);
        // Adding a second administrator is still allowed; from then on they are out of reach.
        let response = admin.post("/users", &[("username", "acme.second"), ("display_name", "Second"), ("level", "company"), ("password", "a long enough phrase"), ("roles", "manage_users")]).await;
        assert_eq!(response.status(), 303);
        let second = app.store.user_by_username("acme.second").await.unwrap().unwrap();
        assert_eq!(admin.get(&format!("/users?edit={}", second.id)).await.status(), 403);
        // Promoting a Staff user up to the actor's own level is allowed.
        let form = modify_form("Promoted", "company", "", &["recordings"]);
        assert_eq!(admin.post(&format!("/users/{}", seed.acme_support.id), &form).await.status(), 303);
        assert_eq!(app.store.user(seed.acme_support.id).await.unwrap().unwrap().level, Level::Company);
        assert_eq!(admin.get(&format!("/users?edit={}", seed.acme_support.id)).await.status(), 403, "now a peer");
    }

    async fn add_user_creates_and_audits(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let team = seed.support.id.to_string();
        let response = admin.post("/users", &[
            ("username", "New.Person"), ("display_name", "New Person"), ("email", "new@acme.example"),
            ("level", "staff"), ("team", &team), ("password", "a long enough phrase"),
            ("roles", "recordings"),
        ]).await;
        assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
        let user = app.store.user_by_username("new.person").await.unwrap().unwrap();
        assert_eq!((user.company_id, user.team_id, user.level), (seed.acme.id, Some(seed.support.id), Level::Staff));
        assert_eq!(user.roles, [Role::Recordings].into_iter().collect::<RoleSet>());
        assert_eq!(app.browser().login("NEW.PERSON", "a long enough phrase").await.status(), 303);
        let created = app.store.audit_entries(&AuditQuery { action: Some("user.created".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(created[0].target.as_deref(), Some("New.Person"));
    }

    async fn an_extension_is_one_users_and_its_calls_become_theirs(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let sales = seed.sales.id.to_string();
        let add = |username: &'static str, extension: &'static str| {
            vec![("username", username), ("display_name", username), ("level", "staff"), ("team", sales.as_str()), ("password", "a long enough phrase"), ("extension", extension), ("roles", "recordings")]
        };
        // Typed the way a phone shows it; kept as digits.
        assert_eq!(admin.post("/users", &add("desk.one", "20 01")).await.status(), 303);
        let one = app.store.user_by_username("desk.one").await.unwrap().unwrap();
        assert_eq!(one.extension.as_ref().map(|e| e.as_str()), Some("2001"));
        let (status, page) = admin.post_text("/users", &add("desk.two", "2001")).await;
        assert_eq!(status, 422);
        assert!(page.contains("Another user of the company has that extension") && page.contains(r#"id="add-extension" name="extension" value="2001""#), "{page}");
        let (status, page) = admin.post_text("/users", &add("desk.three", "two-oh")).await;
        assert_eq!(status, 422);
        assert!(page.contains("Extension must be the number the phone system dials"), "{page}");
        assert!(app.store.user_by_username("desk.two").await.unwrap().is_none(), "nothing half-written");
        // Another company may use the same extension.
        let root = app.as_user("root").await;
        let globex = seed.globex.id.to_string();
        let front = seed.front.id.to_string();
        let response = root.post("/users", &[("username", "globex.desk"), ("display_name", "G"), ("level", "staff"), ("company", &globex), ("team", &front), ("password", "a long enough phrase"), ("extension", "2001")]).await;
        assert_eq!(response.status(), 303);

        // Modify shows it, changes it (audited), and refuses a taken one.
        let (_, page) = admin.get_text(&format!("/users?edit={}", one.id)).await;
        assert!(page.contains(r#"name="extension" value="2001""#), "{page}");
        assert!(page.contains(r#"<td data-label="Name">desk.one<span class="cell-note muted">Extension 2001</span></td>"#), "shown in the list");
        let mut form = modify_form("desk.one", "staff", &sales, &["recordings"]);
        form.push(("extension", "2002"));
        assert_eq!(admin.post(&format!("/users/{}", one.id), &form).await.status(), 303);
        let changed = app.store.audit_entries(&AuditQuery { action: Some("user.changed".into()), limit: 1, ..AuditQuery::default() }).await.unwrap();
        assert!(changed[0].details.contains("extension 2001 → 2002"), "{}", changed[0].details);
        let mut taken = modify_form("Agent", "staff", &sales, &["recordings"]);
        taken.push(("extension", "2002"));
        let (status, page) = admin.post_text(&format!("/users/{}", seed.acme_agent.id), &taken).await;
        assert_eq!(status, 422);
        assert!(page.contains("Another user of the company has that extension"), "{page}");

        // A call on the extension, without a username, becomes theirs.
        let token = crate::recordings::token_for(&app, &seed.acme, "pbx").await;
        let metadata = serde_json::json!({"started_at": "2026-11-20T09:30:00Z", "direction": "inbound", "from": "+447700900123", "to": "2002", "extension": "2002"});
        let (status, body) = crate::recordings::upload(&app, &token, metadata, crate::recordings::wav(800), "a.wav").await;
        assert_eq!(status, 201, "{body}");
        let id = callrec_domain::recording::RecordingId::parse(body["id"].as_str().unwrap()).unwrap();
        let recording = app.store.recording_in_scope(&id, callrec_domain::permissions::DataScope::Everything).await.unwrap().unwrap();
        assert_eq!((recording.user_id, recording.team_id), (Some(one.id), Some(seed.sales.id)));
        // Once the user is disabled, calls on the extension stay with the company.
        let disable = [("display_name", "desk.one"), ("level", "staff"), ("team", sales.as_str()), ("roles", "recordings"), ("extension", "2002")];
        assert_eq!(admin.post(&format!("/users/{}", one.id), &disable).await.status(), 303);
        let metadata = serde_json::json!({"started_at": "2026-11-21T09:30:00Z", "direction": "inbound", "from": "+447700900123", "to": "2002", "extension": "2002"});
        let (_, body) = crate::recordings::upload(&app, &token, metadata, crate::recordings::wav(900), "b.wav").await;
        let id = callrec_domain::recording::RecordingId::parse(body["id"].as_str().unwrap()).unwrap();
        let recording = app.store.recording_in_scope(&id, callrec_domain::permissions::DataScope::Everything).await.unwrap().unwrap();
        assert_eq!(recording.user_id, None, "not a disabled user's");
        // A Team manager may not route calls by giving extensions.
        let lead = app.as_user("acme.lead").await;
        let mut theirs = modify_form("Agent", "staff", &sales, &["recordings"]);
        theirs.push(("extension", "2999"));
        let (status, page) = lead.post_text(&format!("/users/{}", seed.acme_agent.id), &theirs).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("Extensions are set by Company level users"), "{page}");
        let created = app.store.audit_entries(&AuditQuery { action: Some("user.created".into()), limit: 10, ..AuditQuery::default() }).await.unwrap();
        assert!(created.iter().any(|e| e.target.as_deref() == Some("desk.one") && e.details.contains("extension 2001")), "{created:?}");
        // The directory API names it.
        let directory = crate::recordings::token_with(&app, &seed.acme, "directory", "directory:read").await;
        let (_, users) = crate::api::get(&app.address, &directory, "/api/v1/users?search=desk.one").await;
        assert_eq!(users["items"][0]["extension"], "2002", "{users}");
    }

    async fn add_user_refuses_bad_input_and_writes_nothing(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let sales = seed.sales.id.to_string();
        let front = seed.front.id.to_string();
        let long_name = "n".repeat(101);
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("username", "ACME.AGENT"), ("display_name", "Dup"), ("level", "staff"), ("team", &sales), ("password", "a long enough phrase")], "That username is already taken"),
            (vec![("username", "weak.one"), ("display_name", "Weak"), ("level", "staff"), ("team", &sales), ("password", "password1234")], "Password is too easy to guess"),
            (vec![("username", "short.one"), ("display_name", "Short"), ("level", "staff"), ("team", &sales), ("password", "short")], "Password must be at least 12 characters"),
            (vec![("username", "no.team"), ("display_name", "No Team"), ("level", "staff"), ("team", ""), ("password", "a long enough phrase")], "Team and Staff users must belong to a team"),
            (vec![("username", "wrong.team"), ("display_name", "Wrong"), ("level", "staff"), ("team", &front), ("password", "a long enough phrase")], "That team is not part of the company"),
            (vec![("username", ""), ("display_name", ""), ("level", "staff"), ("team", &sales), ("password", "a long enough phrase")], "Username is required"),
            (vec![("username", "long.name"), ("display_name", &long_name), ("level", "staff"), ("team", &sales), ("password", "a long enough phrase")], "Name must be at most 100 characters"),
            (vec![("username", "bad email"), ("display_name", "x"), ("email", "not-an-email"), ("level", "staff"), ("team", &sales), ("password", "a long enough phrase")], "Email must look like name@example.com"),
            (vec![("username", "too.high"), ("display_name", "x"), ("level", "global"), ("password", "a long enough phrase")], "You cannot give a user a level above your own"),
            (vec![("username", "odd.level"), ("display_name", "x"), ("level", "emperor"), ("password", "a long enough phrase")], "choose one of global, company, team or staff"),
        ];
        let before = app.store.count_users().await.unwrap();
        for (form, message) in cases {
            let (status, page) = admin.post_text("/users", &form).await;
            assert_eq!(status, 422, "{message}");
            assert!(page.contains(message), "expected {message:?}");
            assert!(page.contains(r#"<dialog id="add-dialog" aria-labelledby="add-title" open data-open"#), "the pop-up stays open");
        }
        assert_eq!(app.store.count_users().await.unwrap(), before, "nothing half-written");
        let (_, page) = admin.post_text("/users", &[("username", "keep.me"), ("display_name", "Kept Value"), ("level", "staff"), ("password", "x")]).await;
        assert!(page.contains(r#"value="keep.me""#) && page.contains(r#"value="Kept Value""#), "typed values are kept");
        let lead = app.as_user("acme.lead").await;
        let support = seed.support.id.to_string();
        let (status, page) = lead.post_text("/users", &[("username", "other.team"), ("display_name", "x"), ("level", "staff"), ("team", &support), ("password", "a long enough phrase")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Choose a team you manage"));
    }

    async fn a_global_user_adds_users_to_any_company(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let root = app.as_user("root").await;
        let globex = seed.globex.id.to_string();
        let front = seed.front.id.to_string();
        let response = root.post("/users", &[("username", "globex.new"), ("display_name", "G New"), ("level", "company"), ("company", &globex), ("team", &front), ("password", "a long enough phrase")]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(app.store.user_by_username("globex.new").await.unwrap().unwrap().company_id, seed.globex.id);
        let (status, page) = root.post_text("/users", &[("username", "nowhere"), ("display_name", "x"), ("level", "company"), ("company", "999999"), ("password", "a long enough phrase")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Choose a company"));
    }

    async fn an_admin_resets_a_password_and_ends_sessions(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let agent = app.as_user("acme.agent").await;
        let admin = app.as_user("acme.admin").await;
        let team = seed.sales.id.to_string();
        let mut form = modify_form("Agent", "staff", &team, &["recordings"]);
        form.push(("new_password", "brand new pass phrase"));
        assert_eq!(admin.post(&format!("/users/{}", seed.acme_agent.id), &form).await.status(), 303);
        assert_eq!(location(&agent.get("/recordings").await), "/login", "old session ended");
        assert_eq!(app.browser().login("acme.agent", PASSWORD).await.status(), 401);
        assert_eq!(app.browser().login("acme.agent", "brand new pass phrase").await.status(), 303);
    }

    async fn nobody_disables_themselves(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let (status, page) = admin.post_text(&format!("/users/{}", seed.acme_admin.id), &[("display_name", "Me"), ("level", "company"), ("team", "")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("You cannot disable your own account"));
        assert!(app.store.user(seed.acme_admin.id).await.unwrap().unwrap().enabled);
    }

    /// With CALLREC_DORMANT_DAYS, an account nobody signed in to for that
    /// long (or, never signed in, since it was made) is marked Dormant.
    async fn unused_accounts_are_shown_as_dormant(db) {
        let clock = callrec_app::Clock::manual(1_800_000_000);
        let mut config = test_config();
        config.dormant_days = Some(30);
        let app = spawn_app_on(db, config, clock.clone()).await;
        app.seed().await;
        app.as_user("acme.agent").await;
        clock.advance(31 * 86_400);
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text("/users").await;
        let row = |name: &str| -> String {
            page.split("<tr").find(|row| row.contains(&format!("Modify {name}\""))).unwrap_or_default().to_string()
        };
        assert!(row("acme.agent").contains(">Dormant<"), "signed in 31 days ago");
        assert!(row("acme.support").contains(">Dormant<"), "never signed in, made 31 days ago");
        assert!(!row("acme.lead").is_empty());
        app.browser().login("acme.lead", PASSWORD).await;
        let (_, page) = admin.get_text("/users").await;
        let lead = page.split("<tr").find(|row| row.contains("Modify acme.lead\"")).unwrap();
        assert!(!lead.contains(">Dormant<"), "just signed in");
    }
}

backend_tests! {
    /// Disabling, revoking and a policy change made on one node reach
    /// sessions and tokens already in use on another (two stores, one
    /// database); disabling a user revokes the tokens they made unless
    /// told to keep them (security review, wave 2, item 3).
    async fn changes_on_one_node_reach_another(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let other_node = app.second_node().await;
        let on_b = |username: &'static str| Browser::signed_in(&other_node, username);
        let api_on_b = |token: String| {
            let url = format!("{other_node}/api/v1/teams");
            async move { reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap().status().as_u16() }
        };
        // Two Company users who make tokens on node A.
        let mut tokens = Vec::new();
        for name in ["maker.one", "maker.two"] {
            app.user(&seed.acme, None, name, Level::Company, &Role::ALL).await;
            let maker = app.as_user(name).await;
            let (status, page) = maker.post_text("/api-tokens", &[("name", name), ("scope", "directory:read")]).await;
            assert_eq!(status, 200);
            let start = page.find("crt_").expect("shown once");
            tokens.push(page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect::<String>());
        }
        assert_eq!((api_on_b(tokens[0].clone()).await, api_on_b(tokens[1].clone()).await), (200, 200));
        let one = on_b("maker.one").await;
        let agent = on_b("acme.agent").await;
        assert_eq!(one.get("/home").await.status(), 200);
        assert_eq!(agent.get("/recordings").await.status(), 200);

        // Disabled on A, with the default: revoked. The other keeps its token.
        let root = app.as_user("root").await;
        let (one_id, two_id) = (
            app.store.user_by_username("maker.one").await.unwrap().unwrap().id,
            app.store.user_by_username("maker.two").await.unwrap().unwrap().id,
        );
        let disable = |keep: bool| {
            let mut form = vec![("display_name", "Maker"), ("level", "company"), ("team", "")];
            form.extend(Role::ALL.iter().map(|r| ("roles", r.code())));
            if keep {
                form.push(("revoke_tokens", "no"));
            }
            form
        };
        assert_eq!(root.post(&format!("/users/{one_id}"), &disable(false)).await.status(), 303);
        assert_eq!(root.post(&format!("/users/{two_id}"), &disable(true)).await.status(), 303);
        assert_eq!(location(&one.get("/home").await), "/login", "the session on B ends at once");
        assert_eq!(api_on_b(tokens[0].clone()).await, 401, "revoked with its maker");
        assert_eq!(api_on_b(tokens[1].clone()).await, 200, "kept when asked");
        let revoked = app.store.audit_entries(&AuditQuery { action: Some("token.revoked".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(revoked.len(), 1);
        assert_eq!(revoked[0].target.as_deref(), Some("maker.one"));

        // A Global user's tokens, made for a customer company, go with them
        // too (a review of this change found them left working).
        let operator = app.company("Operator").await;
        app.user(&operator, None, "op.maker", Level::Global, &Role::ALL).await;
        let op = app.as_user("op.maker").await;
        let acme = seed.acme.id.to_string();
        let (status, page) = op.post_text("/api-tokens", &[("name", "op.maker"), ("scope", "directory:read"), ("company", acme.as_str())]).await;
        assert_eq!(status, 200);
        let start = page.find("crt_").expect("shown once");
        let global_token: String = page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
        assert_eq!(api_on_b(global_token.clone()).await, 200);
        // (No Global user may disable another, a peer: the use case itself.)
        let op_user = app.store.user_by_username("op.maker").await.unwrap().unwrap();
        let revoked = callrec_app::revoke_tokens_made_by(&app.store, &op_user, &callrec_app::audit::AuditContext::command_line()).await.unwrap();
        assert_eq!(revoked, 1);
        assert_eq!(api_on_b(global_token).await, 401);

        // Revoked on A's API tokens page: B refuses it on the next request.
        let listed = app.store.list_api_tokens(Some(seed.acme.id)).await.unwrap();
        let two = listed.iter().find(|t| t.name == "maker.two").unwrap();
        assert_eq!(root.post(&format!("/api-tokens/{}/revoke", two.id), &[]).await.status(), 303);
        assert_eq!(api_on_b(tokens[1].clone()).await, 401);

        // MFA Enabled on A reaches the agent's session on B at once.
        let admin = app.as_user("acme.admin").await;
        assert_eq!(admin.post("/company-mfa", &[("policy", "enabled")]).await.status(), 303);
        assert_eq!(location(&agent.get("/recordings").await), "/mfa", "B asks for MFA on the very next request");
    }
}
