//! SCIM 2.0 provisioning over HTTP (issue 29): users and teams kept by a
//! token of scope `scim`, for its company only; Company and Global users
//! out of reach; deprovisioning ends sessions on every node — on SQLite
//! and PostgreSQL.

use crate::harness::*;
use crate::recordings::token_with;
use callrec_domain::{Level, Role};
use callrec_store::backend_tests;
use serde_json::{json, Value};

struct Scim {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Scim {
    fn new(app: &TestApp, token: &str) -> Scim {
        Scim {
            client: reqwest::Client::new(),
            base: format!("{}/scim/v2", app.address),
            token: token.to_string(),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        if status != 204 {
            assert_eq!(
                response.headers()["content-type"],
                "application/scim+json",
                "{path}"
            );
        }
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send("GET", path, None).await
    }
}

fn patch(operations: Value) -> Value {
    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations })
}

backend_tests! {
    async fn scim_keeps_users_of_its_company(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_with(&app, &seed.acme, "entra", "scim").await;
        let scim = Scim::new(&app, &token);

        // Discovery says what is kept.
        let (status, config) = scim.get("/ServiceProviderConfig").await;
        assert_eq!(status, 200);
        assert_eq!(config["patch"]["supported"], json!(true));
        let (_, types) = scim.get("/ResourceTypes").await;
        assert_eq!(types["totalResults"], json!(2));
        let (_, schema) = scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").await;
        assert_eq!(schema["attributes"][0]["name"], json!("userName"));

        // Created: Staff with the Agent preset, on the company's first team.
        let (status, ann) = scim.send("POST", "/Users", Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ann@acme.test",
            "externalId": "entra-1",
            "name": { "givenName": "Ann", "familyName": "Lee" },
            "emails": [{ "value": "ann@acme.test", "type": "work", "primary": true }],
            "active": true,
            "title": "not kept",
        }))).await;
        assert_eq!(status, 201, "{ann}");
        assert_eq!(ann["displayName"], json!("Ann Lee"));
        assert_eq!(ann["groups"][0]["display"], json!("Sales"));
        let id = ann["id"].as_str().unwrap().to_string();
        let made = app.store.user_by_username("ann@acme.test").await.unwrap().unwrap();
        assert_eq!((made.level, made.company_id), (Level::Staff, seed.acme.id));
        assert_eq!(made.roles.iter().collect::<Vec<_>>(), vec![Role::Recordings]);
        let (status, again) = scim.send("POST", "/Users", Some(json!({ "userName": "ANN@acme.test" }))).await;
        assert_eq!(status, 409);
        assert_eq!(again["scimType"], json!("uniqueness"));

        // Found by the provider's lookups; paged.
        for filter in [r#"userName eq "Ann@Acme.test""#, r#"emails.value eq "ann@acme.test""#, r#"externalId eq "entra-1""#] {
            let (status, found) = scim.get(&format!("/Users?filter={}", urlencode(filter))).await;
            assert_eq!(status, 200, "{filter}");
            assert_eq!(found["totalResults"], json!(1), "{filter}: {found}");
            assert_eq!(found["Resources"][0]["id"], json!(id));
        }
        let (status, refused) = scim.get(&format!("/Users?filter={}", urlencode(r#"title co "x""#))).await;
        assert_eq!(status, 400);
        assert_eq!(refused["scimType"], json!("invalidFilter"));
        let (_, all) = scim.get("/Users?startIndex=1&count=2").await;
        let (_, rest) = scim.get("/Users?startIndex=3&count=2").await;
        // Acme's Team and Staff users: lead, agent, support and Ann —
        // never acme.admin (Company level) nor another company's.
        assert_eq!(all["totalResults"], json!(4), "{all}");
        assert_eq!(all["itemsPerPage"], json!(2));
        assert_eq!(rest["startIndex"], json!(3));
        let names: Vec<Value> = [&all, &rest].iter().flat_map(|p| p["Resources"].as_array().unwrap().iter().map(|r| r["userName"].clone())).collect();
        assert!(!names.contains(&json!("acme.admin")) && !names.contains(&json!("globex.agent")), "{names:?}");
        assert_eq!(scim.get(&format!("/Users/{}", seed.acme_admin.id.0)).await.0, 404, "Company users are out of reach");
        let (status, _) = scim.send("PUT", &format!("/Users/{}", seed.acme_admin.id.0), Some(json!({ "userName": "taken.over" }))).await;
        assert_eq!(status, 404);

        // Entra ID's PATCH: replace with string booleans, an email by filter.
        let (status, patched) = scim.send("PATCH", &format!("/Users/{id}"), Some(patch(json!([
            { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ann.lee@acme.test" },
            { "op": "Replace", "path": "displayName", "value": "Ann Lee-Smith" },
        ])))).await;
        assert_eq!(status, 200, "{patched}");
        assert_eq!(patched["emails"][0]["value"], json!("ann.lee@acme.test"));
        assert_eq!(patched["displayName"], json!("Ann Lee-Smith"));
        // PUT replaces what is kept; bad values are refused whole.
        let (status, bad) = scim.send("PUT", &format!("/Users/{id}"), Some(json!({ "userName": "a b" }))).await;
        assert_eq!(status, 400);
        assert_eq!(bad["scimType"], json!("invalidValue"));
        let (status, put) = scim.send("PUT", &format!("/Users/{id}"), Some(json!({ "userName": "ann@acme.test", "displayName": "Ann", "active": true }))).await;
        assert_eq!(status, 200);
        assert!(put.get("emails").is_none(), "{put}");
        let (status, _) = scim.send("PATCH", &format!("/Users/{id}"), Some(json!({ "Operations": [] }))).await;
        assert_eq!(status, 400, "no PatchOp schema");

        // Deleted: gone from SCIM, disabled in the portal, history kept.
        assert_eq!(scim.send("DELETE", &format!("/Users/{id}"), None).await.0, 204);
        assert_eq!(scim.get(&format!("/Users/{id}")).await.0, 404);
        let kept = app.store.user_by_username("ann@acme.test").await.unwrap().unwrap();
        assert!(!kept.enabled);
        let changed = app.audit_of("user.changed").await;
        assert!(changed.iter().any(|(actor, d)| actor == "token:entra" && d.contains("deleted through SCIM")), "{changed:?}");
        let created = app.audit_of("user.created").await;
        assert!(created.iter().any(|(actor, d)| actor == "token:entra" && d.contains("through SCIM")), "{created:?}");
    }

    async fn scim_tokens_need_their_scope_and_stay_in_their_company(db) {
        let mut config = test_config();
        config.api_per_token = callrec_store::ThrottleWindow { seconds: 60, limit: 5 };
        let app = spawn_app_with(db, config).await;
        let seed = app.seed().await;
        let reader = token_with(&app, &seed.acme, "reader", "directory:read").await;
        let (status, refused) = Scim::new(&app, &reader).get("/Users").await;
        assert_eq!(status, 403);
        assert_eq!(refused["schemas"][0], json!("urn:ietf:params:scim:api:messages:2.0:Error"));
        let (status, _) = Scim::new(&app, "crt_not_a_token").get("/Users").await;
        assert_eq!(status, 401);
        let globex = Scim::new(&app, &token_with(&app, &seed.globex, "okta", "scim").await);
        assert_eq!(globex.get(&format!("/Users/{}", seed.acme_agent.id.0)).await.0, 404, "another company's user");
        let (status, _) = globex.send("PATCH", &format!("/Users/{}", seed.acme_agent.id.0), Some(patch(json!([{ "op": "replace", "path": "active", "value": false }])))).await;
        assert_eq!(status, 404);
        assert!(app.store.user_by_username("acme.agent").await.unwrap().unwrap().enabled);
        assert_eq!(globex.get(&format!("/Groups/{}", seed.sales.id.0)).await.0, 404, "another company's team");
        // The API's rate limit per token: the sixth request in a minute waits.
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(globex.get("/Users").await.0);
        }
        assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    }

    async fn scim_groups_are_teams(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let scim = Scim::new(&app, &token_with(&app, &seed.acme, "entra", "scim").await);
        let agent = seed.acme_agent.id.0.to_string();
        let lead = seed.acme_lead.id.0.to_string();

        let (status, group) = scim.send("POST", "/Groups", Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Night shift",
            "externalId": "grp-1",
            "members": [{ "value": agent }],
        }))).await;
        assert_eq!(status, 201, "{group}");
        let id = group["id"].as_str().unwrap().to_string();
        assert_eq!(group["members"][0]["value"], json!(agent));
        let moved = app.store.user_by_username("acme.agent").await.unwrap().unwrap();
        assert_eq!(moved.team_name.as_deref(), Some("Night shift"), "adding moves them");
        let (status, dup) = scim.send("POST", "/Groups", Some(json!({ "displayName": "night SHIFT" }))).await;
        assert_eq!((status, dup["scimType"].clone()), (409, json!("uniqueness")));
        let (_, found) = scim.get(&format!("/Groups?filter={}", urlencode(r#"displayName eq "Night shift""#))).await;
        assert_eq!(found["totalResults"], json!(1));

        // Members added by PATCH; one asked out alone is refused (each
        // user belongs to one team), someone not in it is nothing.
        let (status, patched) = scim.send("PATCH", &format!("/Groups/{id}"), Some(patch(json!([
            { "op": "add", "path": "members", "value": [{ "value": lead }] },
            { "op": "replace", "path": "displayName", "value": "Nights" },
        ])))).await;
        assert_eq!(status, 200, "{patched}");
        assert_eq!(patched["members"].as_array().unwrap().len(), 2);
        assert_eq!(patched["displayName"], json!("Nights"));
        // Asked out, a member goes back to the team for new people (the
        // company's oldest, Sales): each user belongs to one team.
        let (status, left) = scim.send("PATCH", &format!("/Groups/{id}"), Some(patch(json!([
            { "op": "remove", "path": format!("members[value eq \"{lead}\"]") },
        ])))).await;
        assert_eq!(status, 200, "{left}");
        assert_eq!(left["members"], json!([{ "value": agent, "$ref": format!("/scim/v2/Users/{agent}") }]));
        let back = app.store.user_by_username("acme.lead").await.unwrap().unwrap();
        assert_eq!(back.team_name.as_deref(), Some("Sales"));
        let (status, _) = scim.send("PATCH", &format!("/Groups/{id}"), Some(patch(json!([
            { "op": "remove", "path": format!("members[value eq \"{}\"]", seed.acme_support.id.0) },
        ])))).await;
        assert_eq!(status, 200, "not a member: nothing to do");
        // A member of another company cannot be added.
        let (status, _) = scim.send("PATCH", &format!("/Groups/{id}"), Some(patch(json!([
            { "op": "add", "path": "members", "value": [{ "value": seed.globex_agent.id.0.to_string() }] },
        ])))).await;
        assert_eq!(status, 400);
        // Nobody leaves the team for new people itself, nor is it deleted.
        let (status, refused) = scim.send("PATCH", &format!("/Groups/{}", seed.sales.id.0), Some(patch(json!([
            { "op": "remove", "path": format!("members[value eq \"{lead}\"]") },
        ])))).await;
        assert_eq!(status, 400, "{refused}");
        assert!(refused["detail"].as_str().unwrap().contains("team for new people"), "{refused}");
        assert_eq!(scim.send("DELETE", &format!("/Groups/{}", seed.sales.id.0), None).await.0, 400);
        // Deleted with a member in it: they go to Sales; the team is
        // disabled, gone from SCIM, its history kept.
        assert_eq!(scim.send("DELETE", &format!("/Groups/{id}"), None).await.0, 204);
        assert_eq!(scim.get(&format!("/Groups/{id}")).await.0, 404);
        let agent_now = app.store.user_by_username("acme.agent").await.unwrap().unwrap();
        assert_eq!(agent_now.team_name.as_deref(), Some("Sales"));
        // attributes / excludedAttributes, and a search by POST.
        let (_, only) = scim.get(&format!("/Groups/{}?attributes=displayName", seed.sales.id.0)).await;
        assert!(only.get("members").is_none() && only["displayName"] == json!("Sales") && only["id"].is_string(), "{only}");
        let (status, searched) = scim.send("POST", "/Groups/.search", Some(json!({ "filter": "displayName eq \"sales\"", "excludedAttributes": ["members"] }))).await;
        assert_eq!(status, 200);
        assert_eq!(searched["totalResults"], json!(1));
        assert!(searched["Resources"][0].get("members").is_none());
        assert_eq!(scim.send("POST", "/.search", Some(json!({}))).await.0, 501);
        assert_eq!(scim.get("/Nothing").await.0, 404);
        let teams = app.audit_of("team.created").await;
        assert!(teams.iter().any(|(actor, d)| actor == "token:entra" && d.contains("through SCIM")), "{teams:?}");
    }

    /// Deprovisioning on one node ends the person's sessions on every node.
    async fn scim_deprovisioning_ends_sessions_on_two_nodes(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let scim = Scim::new(&app, &token_with(&app, &seed.acme, "entra", "scim").await);
        let second = app.second_node().await;
        let agent = Browser::signed_in(&second, "acme.agent").await;
        assert_eq!(agent.get_text("/recordings").await.0, 200);
        let other = Browser::signed_in(&app.address, "acme.agent").await;
        let (status, _) = scim.send("PATCH", &format!("/Users/{}", seed.acme_agent.id.0), Some(patch(json!([
            { "op": "Replace", "path": "active", "value": "False" },
        ])))).await;
        assert_eq!(status, 200);
        for browser in [&agent, &other] {
            let response = browser.get("/recordings").await;
            assert_eq!(location(&response), "/login", "signed out on {}", browser.base);
        }
        assert_eq!(app.store.count_user_sessions(seed.acme_agent.id).await.unwrap(), 0);
        assert_eq!(app.browser().login("acme.agent", PASSWORD).await.status(), 401);
        let changed = app.audit_of("user.changed").await;
        assert!(changed.iter().any(|(_, d)| d.contains("deactivated; sessions ended")), "{changed:?}");
    }
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
