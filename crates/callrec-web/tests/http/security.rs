//! Headers, cross-site refusal, scope by URL, and no 500 on bad requests.

use crate::harness::*;
use callrec_store::{backend_tests, AuditQuery, ThrottleWindow};

/// A failed sign-in carrying forwarding headers.
async fn failed_sign_in_via(app: &TestApp, headers: &[(&str, &str)]) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{}/login", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("username=acme.admin&password=not+the+password");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn failure_clients(app: &TestApp) -> Vec<String> {
    let entries = app
        .store
        .audit_entries(&AuditQuery {
            action: Some("sign_in.failed".into()),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    entries
        .into_iter()
        .map(|e| e.client_addr.unwrap_or_default())
        .collect()
}

/// Reads until the server closes the connection (or 10 s pass), returning
/// what it sent and how long that took.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> (String, std::time::Duration) {
    use tokio::io::AsyncReadExt;
    let started = std::time::Instant::now();
    let mut received = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut received),
    )
    .await;
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

backend_tests! {
    /// Every response names its request id (the log line's), a new one each time.
    async fn responses_carry_a_request_id(db) {
        let app = spawn_app(db).await;
        let id = |response: reqwest::Response| response.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let first = id(app.browser().get("/login").await);
        let second = id(app.browser().get("/no-such-page").await);
        assert_eq!(first.len(), 16, "{first:?}");
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(first, second);
    }

    /// Security review, item 9: `return_to` names only the portal's own
    /// pages; `/\t/evil.example` (read as `//evil.example`) and a line break
    /// land on /home, never on another site or a 500.
    async fn return_to_accepts_only_the_portals_pages(db) {
        let app = spawn_app(db).await;
        app.seed().await;
        let agent = app.as_user("acme.agent").await;
        for (given, expected) in [("/recordings", "/recordings"), ("/\t/evil.example", "/home"), ("//evil.example", "/home"), ("/users\nSet-Cookie: a=b", "/home"), ("https://evil.example/", "/home"), ("/users?x=1", "/home")] {
            let response = agent.post("/my-mfa", &[("return_to", given), ("reset", "0")]).await;
            assert_eq!(response.status(), 303, "{given:?}");
            assert_eq!(location(&response), format!("{expected}?done=my-mfa-saved"), "{given:?}");
        }
    }

    /// Security review, item 12: a connection that holds half-sent headers
    /// is closed after the header timeout (1 s in tests), and a body that
    /// stops arriving ends its request after the body timeout (2 s).
    async fn slow_headers_and_slow_bodies_are_cut_off(db) {
        use tokio::io::AsyncWriteExt;
        let app = spawn_app(db).await;
        app.seed().await;
        let host = app.address.trim_start_matches("http://").to_string();
        let mut half = tokio::net::TcpStream::connect(&host).await.unwrap();
        half.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
        let (_, waited) = read_until_closed(&mut half).await;
        assert!(waited < std::time::Duration::from_secs(10), "still open after {waited:?}");
        let mut slow = tokio::net::TcpStream::connect(&host).await.unwrap();
        slow.write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=a").await.unwrap();
        let (answer, waited) = read_until_closed(&mut slow).await;
        assert!(waited < std::time::Duration::from_secs(10), "still open after {waited:?}");
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
        // A normal request on a new connection is served as before.
        assert_eq!(app.browser().get("/login").await.status(), 200);
    }

    /// Security review, item 4: forwarding headers from an untrusted peer
    /// are ignored (the audit log and the per-address limit see the peer).
    async fn spoofed_forwarding_headers_from_an_untrusted_peer_are_ignored(db) {
        let mut config = test_config();
        config.sign_in_per_client = ThrottleWindow { seconds: 900, limit: 3 };
        let app = spawn_app_with(db, config).await;
        app.seed().await;
        for spoof in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
            assert_eq!(failed_sign_in_via(&app, &[("X-Forwarded-For", spoof), ("Forwarded", &format!("for={spoof}"))]).await, 401);
        }
        assert_eq!(failure_clients(&app).await, vec!["127.0.0.1"; 3]);
        assert_eq!(failed_sign_in_via(&app, &[("X-Forwarded-For", "203.0.113.99")]).await, 429, "rotating the header does not escape the limit");
    }

    /// From a trusted proxy the forwarded client counts: each client has its
    /// own limit, and the audit log names it, not the proxy.
    async fn a_trusted_proxy_names_the_client(db) {
        let mut config = test_config();
        config.sign_in_per_client = ThrottleWindow { seconds: 900, limit: 3 };
        config.sign_in_per_account = ThrottleWindow { seconds: 900, limit: 100 };
        config.trusted_proxies = callrec_domain::network::TrustedProxies::parse("127.0.0.0/8").unwrap();
        let app = spawn_app_with(db, config).await;
        app.seed().await;
        for _ in 0..3 {
            assert_eq!(failed_sign_in_via(&app, &[("X-Forwarded-For", "198.51.100.7, 127.0.0.2")]).await, 401);
        }
        assert_eq!(failed_sign_in_via(&app, &[("X-Forwarded-For", "198.51.100.7")]).await, 429, "that client is paused");
        assert_eq!(failed_sign_in_via(&app, &[("Forwarded", "for=\"[2001:db8::5]:4711\"")]).await, 401, "another client is not");
        let clients = failure_clients(&app).await;
        assert!(clients.contains(&"198.51.100.7".to_string()) && clients.contains(&"2001:db8::5".to_string()), "{clients:?}");
        assert!(!clients.contains(&"127.0.0.1".to_string()), "the proxy is never taken for the client");
    }

    async fn pages_carry_security_headers(db) {
        let app = spawn_app(db).await;
        app.seed().await;
        let browser = app.as_user("acme.admin").await;
        for path in ["/login", "/users", "/no-such-page"] {
            let response = browser.get(path).await;
            let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            let csp = header("content-security-policy");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
            assert!(csp.contains("style-src 'self'"), "{path}: {csp}");
            assert_eq!(header("x-content-type-options"), "nosniff");
            assert_eq!(header("referrer-policy"), "same-origin");
            assert_eq!(header("cache-control"), "no-store");
        }
        let (_, page) = browser.get_text("/users").await;
        assert!(!page.contains("<script>") && !page.contains(" style=\""), "no inline script or style");
    }

    async fn cross_site_posts_are_refused(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let browser = app.as_user("acme.admin").await;
        let attempts = [
            vec![("Sec-Fetch-Site", "cross-site")],
            vec![("Origin", "https://evil.example")],
            vec![("Sec-Fetch-Site", "same-site"), ("Origin", "https://sub.evil.example")],
        ];
        for headers in attempts {
            let mut request = browser.client.post(format!("{}/logout", app.address))
                .header("Content-Type", "application/x-www-form-urlencoded");
            for (name, value) in &headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "{headers:?}");
        }
        assert_eq!(app.store.count_user_sessions(seed.acme_admin.id).await.unwrap(), 1, "still signed in");
        // The same request from the portal's own pages goes through.
        let mut same = browser.client.post(format!("{}/logout", app.address)).header("Sec-Fetch-Site", "same-origin");
        same = same.header("Content-Type", "application/x-www-form-urlencoded");
        assert_eq!(same.send().await.unwrap().status(), 303);
    }

    async fn staff_see_no_admin_pages_and_get_404_by_url(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let agent = app.as_user("acme.agent").await;
        let (status, page) = agent.get_text("/recordings").await;
        assert_eq!(status, 200);
        assert!(page.contains(r#"<nav class="menu" aria-label="Main menu">"#));
        assert!(page.contains(r#"href="/recordings""#));
        for hidden in [r#"href="/users""#, r#"href="/teams""#, r#"href="/company-mfa""#, r#"href="/reports""#] {
            assert!(!page.contains(hidden), "{hidden} must not be in a Staff menu");
        }
        let id = seed.acme_admin.id.to_string();
        for path in ["/users", "/teams", "/reports", "/company-mfa", &format!("/users?edit={id}")] {
            assert_eq!(agent.get(path).await.status(), 404, "{path}");
        }
        for path in [format!("/users/{id}"), "/users".to_string(), "/teams".to_string()] {
            assert_eq!(agent.post(&path, &[("display_name", "x")]).await.status(), 404, "{path}");
        }
        // A user with no roles at all lands on a welcome page.
        let support = app.as_user("acme.support").await;
        assert_eq!(location(&support.login("acme.support", PASSWORD).await), "/home");
        let (status, page) = support.get_text("/home").await;
        assert_eq!(status, 200);
        assert!(page.contains("no access to recordings or administration yet"));
    }

    async fn admins_see_the_whole_menu(db) {
        let app = spawn_app(db).await;
        app.seed().await;
        let (_, page) = app.as_user("acme.admin").await.get_text("/users").await;
        let menu: Vec<_> = ["Recordings", "Users", "Teams", "Company MFA", "Reports"]
            .iter()
            .map(|label| page.find(&format!(">{label}</a>")).unwrap_or_else(|| panic!("{label} missing")))
            .collect();
        assert!(menu.windows(2).all(|w| w[0] < w[1]), "menu order");
        assert!(page.contains(r#"aria-current="page">Users</a>"#));
        assert!(page.contains(">Log out</button>"));
    }

    async fn malformed_requests_never_answer_500(db) {
        let app = spawn_app(db).await;
        app.seed().await;
        let browser = app.as_user("root").await;
        let cases: Vec<(&str, &str, u16)> = vec![
            ("GET", "/users?edit=abc", 400),
            ("GET", "/users?edit=99999999", 404),
            ("GET", "/users?edit=99999999999999999999999", 400),
            ("GET", "/users?page=-1&q=%FF%FE", 200),
            ("GET", "/users?company_filter=zzz", 200),
            ("GET", "/teams?rename=xyz", 404),
            ("GET", "/teams?company=1e9", 400),
            ("GET", "/reports?before=abc", 400),
            ("GET", "/reports?action=bogus", 200),
            ("POST", "/users/abc", 404),
            ("POST", "/users/-5", 404),
            ("POST", "/teams/abc/rename", 404),
            ("POST", "/teams/1/status", 400),
            ("GET", "/%00", 404),
            ("DELETE", "/users", 405),
        ];
        for (method, path, expected) in cases {
            let request = browser.client.request(method.parse().unwrap(), format!("{}{path}", app.address))
                .header("Origin", &app.address)
                .header("Content-Type", "application/x-www-form-urlencoded");
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), expected, "{method} {path}");
        }
        let (status, _) = browser.post_text("/users", &[("roles", "super_admin")]).await;
        assert_eq!(status, 400, "an unknown role code is a forged request");
    }
}

#[tokio::test]
async fn https_public_url_makes_cookies_secure() {
    let mut config = test_config();
    config.public_url = Some("https://calls.example.com".into());
    let app = spawn_app_with(callrec_store::testing::TestDb::sqlite().await, config).await;
    app.seed().await;
    let response = app.browser().login("acme.admin", PASSWORD).await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(response
        .headers()
        .get("strict-transport-security")
        .is_some());
}
