//! Running the portal: graceful shutdown with an upload in flight, the
//! metrics endpoint on its own address, request ids in responses, error
//! pages and from trusted proxies — on SQLite and PostgreSQL.

use crate::harness::*;
use crate::recordings::{metadata, token_for, wav};
use bytes::Bytes;
use callrec_domain::network::TrustedProxies;
use callrec_store::backend_tests;
use callrec_web::server::ConnectionTimeouts;
use std::time::Duration;

/// One multipart upload as raw bytes, and its content type.
fn multipart(meta: &serde_json::Value, audio: &[u8]) -> (Vec<u8>, String) {
    let boundary = "callrec-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{meta}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n\
         Content-Type: audio/wav\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(audio);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// Runs `node` until told to stop.
fn run_until_told(
    node: callrec_web::startup::Application,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    (
        stop,
        tokio::spawn(node.run_until_stopped(async {
            let _ = stopped.await;
        })),
    )
}

/// An upload to `address` that sends half its body, waits for `go`, then
/// sends the rest.
fn half_then_rest(
    address: std::net::SocketAddr,
    token: &str,
    go: impl std::future::Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
    let (body, content_type) = multipart(&metadata("acme.agent"), &wav(8000 * 20));
    let half = body.len() / 2;
    let (first, rest) = (
        Bytes::from(body[..half].to_vec()),
        Bytes::from(body[half..].to_vec()),
    );
    let go: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> = Box::pin(go);
    let stream = futures_util::stream::unfold(
        (Some(first), Some(go), Some(rest)),
        |(first, go, rest)| async move {
            if let Some(first) = first {
                return Some((Ok::<_, std::io::Error>(first), (None, go, rest)));
            }
            if let Some(go) = go {
                go.await;
            }
            rest.map(|rest| (Ok(rest), (None, None, None)))
        },
    );
    tokio::spawn(
        reqwest::Client::new()
            .post(format!("http://{address}/api/v1/recordings"))
            .bearer_auth(token)
            .header("Content-Type", content_type)
            .body(reqwest::Body::wrap_stream(stream))
            .send(),
    )
}

/// The value of the first sample of `name` with `labels` in Prometheus text.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(name) && !line.starts_with('#'))
        .filter(|line| line[name.len()..].starts_with(['{', ' ']))
        .filter(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .find_map(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

backend_tests! {
    /// SIGTERM's path: the listener closes at once (new connections are
    /// refused), and an upload half-sent when shutdown began finishes with
    /// its 201 and is stored; then the node stops.
    async fn shutdown_lets_an_upload_in_flight_finish(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let node = app.node(test_config(), ConnectionTimeouts { shutdown: Duration::from_secs(20), ..TEST_TIMEOUTS }, None).await;
        let address = node.address();
        let (stop, running) = run_until_told(node);
        let (go, wait) = tokio::sync::oneshot::channel::<()>();
        let upload = half_then_rest(address, &token, async { let _ = wait.await; });
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(tokio::net::TcpStream::connect(address).await.is_err(), "new connections are refused once shutdown begins");
        assert!(!running.is_finished(), "the node waits for the upload");
        go.send(()).unwrap();
        let response = upload.await.unwrap().expect("the upload is answered");
        assert_eq!(response.status(), 201, "the upload in flight finished");
        tokio::time::timeout(Duration::from_secs(10), running).await.expect("the node stops once it is done").unwrap();
        assert_eq!(app.store.count_recordings(Some(seed.acme.id)).await.unwrap(), 1);
    }

    /// A request still going at the end of the grace period does not keep
    /// the node from stopping.
    async fn shutdown_ends_after_its_grace_period(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let timeouts = ConnectionTimeouts { shutdown: Duration::from_secs(1), body: Duration::from_secs(60), ..TEST_TIMEOUTS };
        let node = app.node(test_config(), timeouts, None).await;
        let address = node.address();
        let (stop, running) = run_until_told(node);
        // Half a body, then silence for longer than the grace period.
        let upload = half_then_rest(address, &token, tokio::time::sleep(Duration::from_secs(3600)));
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(15), running).await.expect("stopped after the grace period").unwrap();
        upload.abort();
        assert_eq!(app.store.count_recordings(Some(seed.acme.id)).await.unwrap(), 0, "the cut upload stored nothing");
    }

    /// GET /metrics answers on its own address only, with requests by
    /// route template and status, sign-in results, database connections
    /// and the mail queue.
    async fn metrics_answer_on_their_own_address(db) {
        let app = spawn_app(db).await;
        app.seed().await;
        let node = app.node(test_config(), TEST_TIMEOUTS, Some("127.0.0.1:0".parse().unwrap())).await;
        let portal = format!("http://{}", node.address());
        let metrics = format!("http://{}/metrics", node.metrics_address().unwrap());
        tokio::spawn(node.run_until_stopped(std::future::pending()));
        let before = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
        let browser = Browser::new(&portal);
        assert_eq!(browser.login("acme.agent", "not the password").await.status(), 401);
        assert_eq!(browser.get("/recordings/0123456789abcdef0123456789abcdef").await.status(), 303);
        assert_eq!(browser.get("/metrics").await.status(), 404, "not on the portal's port");
        let odd = reqwest::Method::from_bytes(b"AAAA1").unwrap();
        browser.client.request(odd, format!("{portal}/recordings")).send().await.unwrap();

        let response = reqwest::get(&metrics).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let after = response.text().await.unwrap();
        let refused = [("result", "refused")];
        // At least ours: other tests in this process count too.
        assert!(sample(&after, "callrec_sign_ins_total", &refused) >= sample(&before, "callrec_sign_ins_total", &refused) + 1.0, "{after}");
        let login = [("method", "POST"), ("route", "/login"), ("status", "401")];
        assert!(sample(&after, "callrec_http_requests_total", &login) >= 1.0, "{after}");
        let by_template = [("route", "/recordings/{id}"), ("status", "303")];
        assert!(sample(&after, "callrec_http_requests_total", &by_template) >= 1.0, "route templates, not paths");
        assert!(!after.contains("0123456789abcdef0123456789abcdef"), "no ids in labels");
        assert!(!after.contains("AAAA1") && after.contains(r#"method="other""#), "methods from a fixed set");
        assert!(after.contains("callrec_http_request_duration_seconds_bucket"), "latency histograms");
        assert!(sample(&after, "callrec_db_connections_max", &[("pool", "main")]) >= 1.0);
        assert!(after.contains("callrec_mail_queue_length"), "{after}");
    }

    /// Every response names its request id; error pages show it; a
    /// trusted proxy's X-Request-Id is kept, anyone else's is not.
    async fn request_ids_come_from_trusted_proxies_only(db) {
        let app = spawn_app(db).await;
        let get = |base: String, id: &'static str| async move {
            reqwest::Client::new().get(format!("{base}/no-such-page")).header("X-Request-Id", id).send().await.unwrap()
        };
        let untrusted = get(app.address.clone(), "proxy-id-1").await;
        let generated = untrusted.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_ne!(generated, "proxy-id-1", "not from an untrusted client");
        assert_eq!(generated.len(), 16);
        let page = untrusted.text().await.unwrap();
        assert!(page.contains(&generated), "the error page shows the id: {page}");

        let mut config = test_config();
        config.trusted_proxies = TrustedProxies::parse("127.0.0.0/8").unwrap();
        let node = app.node(config, TEST_TIMEOUTS, None).await;
        let behind = format!("http://{}", node.address());
        tokio::spawn(node.run_until_stopped(std::future::pending()));
        let kept = get(behind.clone(), "proxy-id-1").await;
        assert_eq!(kept.headers()["x-request-id"], "proxy-id-1", "kept from a trusted proxy");
        let odd = get(behind, "two words").await;
        assert_ne!(odd.headers()["x-request-id"], "two words", "an odd id is replaced");
    }
}
