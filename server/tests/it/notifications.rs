//! Notifications end to end, on both engines: rules over ingested scans, messages to a real
//! HTTP receiver (webhook, Slack and Teams shapes), signatures, `onChange` and recovery, scan
//! failures only when asked, retries, dead letters and redelivery, secrets never shown.

use axum::http::StatusCode;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use server::{Database, NotifyConfig};
use sha2::Sha256;
use shared::api::{ChannelType, NewChannel, Role, RuleDefinition};

use crate::support::{
    Receiver, RunningServer, Seltzer, SmtpServer, TestDb, free_port, good_orders_scan,
    http_post_json, on_both_engines, replay_v4, skip_or_fail,
};

on_both_engines!(
    a_killed_seltzer_delivers_what_it_owed_after_a_restart,
    rules_send_one_signed_message_per_scan_and_channel,
    on_change_rules_tell_changes_and_recoveries_only,
    scan_failures_are_told_only_when_asked,
    failed_deliveries_are_retried_given_up_and_redelivered,
    notifications_need_a_public_url_and_valid_channels,
    a_rule_is_tried_on_stored_results_before_it_sends,
    email_channels_send_text_and_html_over_smtp,
    datasets_without_scans_are_told_once_until_scanned_again,
    soda_core_4_results_are_told_like_soda_core_3_ones,
    incident_events_reach_the_channels_that_take_them,
);

const PUBLIC_URL: &str = "https://seltzer.example.com";

async fn seltzer(test_db: &TestDb) -> Seltzer {
    Seltzer::with_notifications(
        test_db,
        NotifyConfig {
            public_url: Some(PUBLIC_URL.to_owned()),
            retry_base_ms: 200,
            poll_ms: 50,
            overdue_check_ms: 50,
        },
    )
    .await
}

/// One scan of the `orders` row-count check, `day` days into November, with this outcome.
async fn scan(seltzer: &Seltzer, token: &str, day: u32, outcome: &str) {
    let mut doc = good_orders_scan(token, "daily", &format!("2026-11-{day:02}T04:00:00Z"));
    doc["checks"][0]["outcome"] = json!(outcome);
    doc["checks"][0]["diagnostics"] = json!({"value": 0, "fail": {"lessThanOrEqual": 0.0}});
    let answer = seltzer.post("/api/command", &doc).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

/// A channel posting to `path` of the receiver; its id.
async fn channel(seltzer: &Seltzer, admin: &str, body: Value) -> i64 {
    let created = seltzer
        .authorized(admin)
        .post("/api/notification-channels", body)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    created.json()["id"].as_i64().unwrap()
}

/// A channel of this type posting to `url`, without headers or a secret; its id.
async fn plain_channel(seltzer: &Seltzer, admin: &str, name: &str, kind: &str, url: &str) -> i64 {
    channel(
        seltzer,
        admin,
        json!({"name": name, "type": kind, "url": url}),
    )
    .await
}

/// A Seltzer with notifications, a receiver for them and an admin's credentials.
struct Notified {
    seltzer: Seltzer,
    receiver: Receiver,
    admin: String,
}

impl Notified {
    async fn start(test_db: &TestDb) -> Self {
        let seltzer = seltzer(test_db).await;
        let admin = seltzer.basic_auth(Role::Admin).await;
        Self {
            seltzer,
            receiver: Receiver::start().await,
            admin,
        }
    }

    /// A channel named `name` of type `kind`, posting to `/name` on the receiver; its id.
    async fn to(&self, kind: &str, name: &str) -> i64 {
        let url = format!("{}/{name}", self.receiver.url);
        plain_channel(&self.seltzer, &self.admin, name, kind, &url).await
    }
}

async fn rule(seltzer: &Seltzer, editor: &str, body: Value) -> Value {
    let created = seltzer
        .authorized(editor)
        .post("/api/notification-rules", body)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    created.json()
}

fn verify(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    signature == format!("v1={expected}")
}

async fn rules_send_one_signed_message_per_scan_and_channel(test_db: TestDb) {
    let n = Notified::start(&test_db).await;
    let (seltzer, receiver, admin) = (&n.seltzer, &n.receiver, &n.admin);
    let editor = seltzer.basic_auth(Role::Editor).await;
    let hook = channel(
        seltzer,
        admin,
        json!({"name": "hook", "type": "webhook", "url": format!("{}/hook?token=t0ken", receiver.url),
               "headers": {"X-Team": "data"}, "secret": "s3cret"}),
    )
    .await;
    let slack = n.to("slack", "slack").await;
    let teams = n.to("teams", "teams").await;
    // Two rules match the same check on the same channel: still one message there.
    for name in ["failures", "orders failures"] {
        rule(
            seltzer,
            &editor,
            json!({"name": name, "channelIds": [hook, slack, teams], "outcomes": ["fail"],
                   "filter": {"dataset": "orders"}}),
        )
        .await;
    }

    let token = seltzer.login().await;
    scan(seltzer, &token, 1, "fail").await;
    let received = receiver.wait_for(3).await;
    assert_eq!(received.len(), 3, "one message per channel");
    let at = |path: &str| received.iter().find(|r| r.path == path).unwrap();

    let hook_message = at("/hook");
    let event = hook_message.json();
    assert_eq!(event["event"], "checkEvaluation");
    let result = &event["checkResults"][0];
    assert_eq!(result["name"], "row_count > 0");
    assert_eq!(result["outcome"], "fail");
    assert_eq!(result["evaluationStatus"], "fail");
    assert_eq!(result["datasets"][0]["name"], "orders");
    assert_eq!(result["datasets"][0]["datasource"]["name"], "shop");
    let link = result["sodaCloudUrl"].as_str().unwrap();
    assert!(link.starts_with(&format!("{PUBLIC_URL}/checks/")), "{link}");
    assert_eq!(hook_message.header("x-seltzer-event"), "checkEvaluation");
    assert_eq!(hook_message.header("x-team"), "data");
    assert!(verify(
        "s3cret",
        hook_message.header("x-seltzer-timestamp"),
        &hook_message.body,
        hook_message.header("x-seltzer-signature")
    ));
    assert!(!verify(
        "s3cret",
        hook_message.header("x-seltzer-timestamp"),
        b"{}",
        hook_message.header("x-seltzer-signature")
    ));
    let slack_text = at("/slack").json()["blocks"][1]["text"]["text"].clone();
    assert!(
        slack_text
            .as_str()
            .unwrap()
            .contains("fail: value 0 (fails when at most 0)"),
        "{slack_text}"
    );
    let card = at("/teams").json();
    assert_eq!(
        card["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );

    // A passing scan tells no one (the rules are about failures).
    scan(seltzer, &token, 2, "pass").await;
    assert_eq!(receiver.wait_for(3).await.len(), 3);

    // The delivery log, and channels listed without their secrets.
    let viewer_editor = seltzer.authorized(&editor);
    let log = viewer_editor
        .get("/api/notification-deliveries")
        .await
        .json();
    assert_eq!(log["total"], 3, "{log}");
    for d in log["items"].as_array().unwrap() {
        assert_eq!(d["status"], "delivered", "{d}");
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["checks"], 1);
    }
    let listed = viewer_editor.get("/api/notification-channels").await;
    let text = listed.text();
    assert!(
        !text.contains("t0ken") && !text.contains("s3cret") && !text.contains("\"data\""),
        "{text}"
    );
    assert_eq!(listed.json()[0]["signed"], true);
}

async fn on_change_rules_tell_changes_and_recoveries_only(test_db: TestDb) {
    let n = Notified::start(&test_db).await;
    let (seltzer, receiver, admin) = (&n.seltzer, &n.receiver, &n.admin);
    let hook = n.to("webhook", "hook").await;
    rule(
        seltzer,
        admin,
        json!({"name": "changes", "channelIds": [hook], "outcomes": ["fail", "warn"],
               "mode": "onChange", "recovery": true}),
    )
    .await;
    let token = seltzer.login().await;
    for (day, outcome) in [
        (1, "fail"),
        (2, "fail"),
        (3, "fail"),
        (4, "pass"),
        (5, "fail"),
    ] {
        scan(seltzer, &token, day, outcome).await;
        // One at a time, so each message is the one its scan caused.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let received = receiver.wait_for(3).await;
    let told: Vec<(String, bool)> = received
        .iter()
        .map(|r| {
            let result = &r.json()["checkResults"][0];
            (
                result["dataTimestamp"].as_str().unwrap().to_owned(),
                result["recovered"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        told,
        [
            ("2026-11-01T04:00:00Z".to_owned(), false),
            ("2026-11-04T04:00:00Z".to_owned(), true),
            ("2026-11-05T04:00:00Z".to_owned(), false),
        ],
        "fail, recovery, fail: five scans, three messages"
    );
    // An old scan sent again (its result is not the check's latest) tells no one.
    scan(seltzer, &token, 1, "pass").await;
    assert_eq!(receiver.wait_for(3).await.len(), 3);
}

async fn scan_failures_are_told_only_when_asked(test_db: TestDb) {
    let n = Notified::start(&test_db).await;
    let (seltzer, receiver, admin) = (&n.seltzer, &n.receiver, &n.admin);
    let quiet = n.to("webhook", "quiet").await;
    let loud = n.to("webhook", "loud").await;
    rule(
        seltzer,
        admin,
        json!({"name": "checks only", "channelIds": [quiet], "outcomes": ["fail"]}),
    )
    .await;
    rule(
        seltzer,
        admin,
        json!({"name": "scans too", "channelIds": [loud], "outcomes": ["fail"],
               "scanFailures": true, "filter": {"dataSource": "SHOP"}}),
    )
    .await;
    let token = seltzer.login().await;
    let mut doc = good_orders_scan(&token, "daily", "2026-11-01T04:00:00Z");
    doc["hasErrors"] = json!(true);
    doc["logs"] = json!([{"level": "error", "message": "Query failed: no such column", "index": 0,
                          "timestamp": "2026-11-01T04:00:00Z"}]);
    let answer = seltzer.post("/api/command", &doc).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let received = receiver.wait_for(1).await;
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(received[0].path, "/loud");
    let event = received[0].json();
    assert_eq!(event["event"], "scanFailed");
    assert_eq!(event["scan"]["failed"], true);
    assert_eq!(event["scan"]["errors"][0], "Query failed: no such column");
    assert!(
        event["scan"]["sodaCloudUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{PUBLIC_URL}/scans/"))
    );
}

async fn failed_deliveries_are_retried_given_up_and_redelivered(test_db: TestDb) {
    let n = Notified::start(&test_db).await;
    let (seltzer, receiver, admin) = (&n.seltzer, &n.receiver, &n.admin);
    let hook = n.to("webhook", "hook").await;
    rule(
        seltzer,
        admin,
        json!({"name": "failures", "channelIds": [hook], "outcomes": ["fail"]}),
    )
    .await;
    let token = seltzer.login().await;

    // 503, then 200: delivered on the second attempt, with the same delivery id.
    receiver.answer(&[503]);
    scan(seltzer, &token, 1, "fail").await;
    let received = receiver.wait_for(2).await;
    assert_eq!(received.len(), 2);
    let id = received[0].header("x-seltzer-delivery").to_owned();
    assert_eq!(received[1].header("x-seltzer-delivery"), id);
    // The same message, but for when it was sent.
    let without_time = |r: &crate::support::Received| {
        let mut body = r.json();
        body.as_object_mut().unwrap().remove("sentAt");
        body
    };
    assert_eq!(without_time(&received[0]), without_time(&received[1]));
    let log = seltzer
        .authorized(admin)
        .get("/api/notification-deliveries")
        .await
        .json();
    assert_eq!(log["items"][0]["status"], "delivered", "{log}");
    assert_eq!(log["items"][0]["attempts"], 2);

    // A 400 is not retried: the delivery is dead, and listed so.
    receiver.answer(&[400]);
    scan(seltzer, &token, 2, "fail").await;
    assert_eq!(receiver.wait_for(3).await.len(), 3);
    let log = seltzer
        .authorized(admin)
        .get("/api/notification-deliveries")
        .await
        .json();
    let dead = &log["items"][0];
    assert_eq!(dead["status"], "dead", "{log}");
    assert_eq!(dead["lastResponse"], "400");
    assert_eq!(dead["attempts"], 1);

    // Redelivered by hand: sent again with the same id, and delivered.
    let dead_id = dead["id"].as_str().unwrap();
    let again = seltzer
        .authorized(admin)
        .send(
            "POST",
            format!("/api/notification-deliveries/{dead_id}/redeliver"),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text());
    let received = receiver.wait_for(4).await;
    assert_eq!(received[3].header("x-seltzer-delivery"), dead_id);
    let log = seltzer
        .authorized(admin)
        .get("/api/notification-deliveries")
        .await
        .json();
    assert_eq!(log["items"][0]["status"], "delivered", "{log}");

    // A test message: Soda Cloud's `validate` event.
    let test = seltzer
        .authorized(admin)
        .send(
            "POST",
            format!("/api/notification-channels/{hook}/test"),
            None,
        )
        .await;
    assert_eq!(test.status, StatusCode::ACCEPTED, "{}", test.text());
    let received = receiver.wait_for(5).await;
    assert_eq!(received[4].json()["event"], "validate");
}

async fn notifications_need_a_public_url_and_valid_channels(test_db: TestDb) {
    // Without a public URL: channels may be set up, rules are refused with the fix.
    let plain = Seltzer::with_notifications(&test_db, NotifyConfig::default()).await;
    let admin = plain.basic_auth(Role::Admin).await;
    let client = plain.authorized(&admin);
    let hook = plain_channel(
        &plain,
        &admin,
        "hook",
        "webhook",
        "https://hooks.example.com/x",
    )
    .await;
    client
        .post(
            "/api/notification-rules",
            json!({"name": "r", "channelIds": [hook], "outcomes": ["fail"]}),
        )
        .await
        .assert_refused(StatusCode::CONFLICT, "--public-url");

    let seltzer = Seltzer::reopen_with_notifications(
        &plain,
        NotifyConfig {
            public_url: Some(PUBLIC_URL.to_owned()),
            ..NotifyConfig::default()
        },
    );
    let client = seltzer.authorized(&admin);
    for (body, words) in [
        (
            json!({"name": "plain", "type": "webhook", "url": "http://hooks.example.com/x"}),
            "https://",
        ),
        (
            json!({"name": "odd", "type": "pager", "url": "https://x.example.com"}),
            "type",
        ),
        (
            json!({"name": "hdr", "type": "webhook", "url": "https://x.example.com",
                   "headers": {"Bad Name": "x"}}),
            "headers",
        ),
        (json!({"name": "mail", "type": "email"}), "email"),
        (
            json!({"name": "mail", "type": "email", "email": {"host": "smtp.example.com",
                   "port": 25, "security": "none", "from": "s@example.com", "to": ["a@example.com"]}}),
            "email.security",
        ),
        (
            json!({"name": "mail", "type": "email", "email": {"host": "smtp.example.com",
                   "port": 587, "from": "s@example.com", "to": ["not an address"]}}),
            "email.to",
        ),
        (
            json!({"name": "mail", "type": "email", "email": {"host": "smtp.example.com",
                   "port": 587, "from": "s@example.com", "to": []}}),
            "email.to",
        ),
        (
            json!({"name": "hook2", "type": "webhook", "url": "https://x.example.com",
                   "email": {"host": "smtp.example.com", "port": 587, "from": "s@example.com",
                   "to": ["a@example.com"]}}),
            "only an email channel",
        ),
    ] {
        client
            .post("/api/notification-channels", body)
            .await
            .assert_refused(StatusCode::BAD_REQUEST, words);
    }
    client
        .post(
            "/api/notification-channels",
            json!({"name": "hook", "type": "webhook", "url": "https://x.example.com"}),
        )
        .await
        .assert_refused(StatusCode::CONFLICT, "exists already");
    for (body, words) in [
        (
            json!({"name": "r", "channelIds": [hook + 100], "outcomes": ["fail"]}),
            "no channel",
        ),
        (
            json!({"name": "r", "channelIds": [hook], "outcomes": ["pass"]}),
            "outcomes",
        ),
        (
            json!({"name": "r", "channelIds": [hook], "outcomes": ["fail"], "mode": "sometimes"}),
            "mode",
        ),
        (
            json!({"name": "r", "channelIds": [hook], "outcomes": ["fail"], "noScanHours": 0}),
            "noScanHours",
        ),
    ] {
        client
            .post("/api/notification-rules", body)
            .await
            .assert_refused(StatusCode::BAD_REQUEST, words);
    }
    let created = rule(
        &seltzer,
        &admin,
        json!({"name": "r", "channelIds": [hook], "outcomes": ["fail", "warn"], "suppressMinutes": 60}),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let paused = json!({"name": "r2", "channelIds": [hook], "outcomes": ["fail"], "paused": true});
    let updated = client
        .send("PUT", format!("/api/notification-rules/{id}"), Some(paused))
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    assert_eq!(updated.json()["paused"], true);
    assert_eq!(updated.json()["name"], "r2");
    let listed = client.get("/api/notification-rules").await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        client
            .delete(format!("/api/notification-rules/{id}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        client
            .delete(format!("/api/notification-channels/{hook}"))
            .await
            .status,
        StatusCode::OK
    );
}

/// Sets up a database for real `seltzer serve` processes: a webhook channel to `url`, a rule
/// for every failure, and a key for Soda Core. The key's id and secret.
async fn prepare(database_url: &str, url: &str) -> (Database, String, String) {
    let db = Database::connect(database_url).await.unwrap();
    db.migrate().await.unwrap();
    let channel = NewChannel {
        name: "hook".to_owned(),
        channel_type: ChannelType::Webhook,
        url: url.to_owned(),
        headers: Default::default(),
        secret: None,
        email: None,
        incidents: false,
    };
    let channel_id = db.create_channel(&channel).await.unwrap().unwrap();
    let rule: RuleDefinition = serde_json::from_value(
        json!({"name": "failures", "channelIds": [channel_id], "outcomes": ["fail"]}),
    )
    .unwrap();
    db.create_rule(&rule).await.unwrap().unwrap();
    let key = db.create_api_key("soda", Role::Viewer).await.unwrap();
    (db, key.id, key.secret)
}

/// Soda Core's login and one failing scan, over HTTP to a running Seltzer.
fn send_failing_scan(addr: &str, key_id: &str, secret: &str, day: u32) {
    let login = http_post_json(
        addr,
        "/api/command",
        &json!({"type": "login", "apiKeyId": key_id, "apiKeySecret": secret}),
    );
    let token = login.json()["token"].as_str().unwrap().to_owned();
    let mut doc = good_orders_scan(&token, "daily", &format!("2026-11-{day:02}T04:00:00Z"));
    doc["checks"][0]["outcome"] = json!("fail");
    let stored = http_post_json(addr, "/api/command", &doc);
    assert_eq!(stored.status, 200, "{:?}", stored.json_or_null());
}

pub(crate) const SERVE_ARGS: &[&str] = &["--public-url", PUBLIC_URL, "--notify-retry-ms", "300"];

/// `kill -9` of Seltzer while a message waits for its channel (down then): the next start
/// delivers it, once.
async fn a_killed_seltzer_delivers_what_it_owed_after_a_restart(test_db: TestDb) {
    // A port nobody listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let (db, key_id, secret) = prepare(&test_db.url, &url).await;
    // Two seconds between attempts: time to kill it between them.
    let args = ["--public-url", PUBLIC_URL, "--notify-retry-ms", "2000"];
    let first = RunningServer::start(&test_db.url, &args);
    send_failing_scan(&first.addr, &key_id, &secret, 1);
    // Killed once an attempt has failed and ended (a claim cut short by the kill is another
    // sender's to take only when its 3-minute lease runs out).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let failed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notification_deliveries \
             WHERE attempts >= 1 AND claimed_until IS NULL AND status = 'pending'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        if failed == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no attempt");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(first); // SIGKILL
    let receiver = Receiver::start_on(port).await;
    let _second = RunningServer::start(&test_db.url, &args);
    let received = receiver.wait_for(1).await;
    assert_eq!(received.len(), 1);
    let id: String = sqlx::query_scalar("SELECT id FROM notification_deliveries")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(received[0].header("x-seltzer-delivery"), id);
    assert_eq!(received[0].json()["checkResults"][0]["outcome"], "fail");
}

/// Two Seltzers on one PostgreSQL, scans sent to either: every message arrives once.
#[tokio::test(flavor = "multi_thread")]
async fn two_seltzers_on_one_postgres_send_each_message_once() {
    let Some(test_db) = TestDb::postgres().await else {
        skip_or_fail("no PostgreSQL for two Seltzers to share");
        return;
    };
    let receiver = Receiver::start().await;
    let (db, key_id, secret) = prepare(&test_db.url, &format!("{}/hook", receiver.url)).await;
    let servers = [
        RunningServer::start(&test_db.url, SERVE_ARGS),
        RunningServer::start(&test_db.url, SERVE_ARGS),
    ];
    for day in 1..=20u32 {
        let server = &servers[day as usize % 2];
        send_failing_scan(&server.addr, &key_id, &secret, day);
    }
    let received = receiver.wait_for(20).await;
    let mut ids: Vec<&str> = received
        .iter()
        .map(|r| r.header("x-seltzer-delivery"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((received.len(), ids.len()), (20, 20), "each message once");
    let delivered: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notification_deliveries WHERE status = 'delivered' AND attempts = 1",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(delivered, 20);
}

/// The simulator: what a rule would have sent over stored results, in its mode and the other.
async fn a_rule_is_tried_on_stored_results_before_it_sends(test_db: TestDb) {
    let seltzer = seltzer(&test_db).await;
    let editor = seltzer.basic_auth(Role::Editor).await;
    let token = seltzer.login().await;
    // Five daily scans ending yesterday: fail, fail, fail, pass, fail.
    let now = time::OffsetDateTime::now_utc();
    for (back, outcome) in [
        (5, "fail"),
        (4, "fail"),
        (3, "fail"),
        (2, "pass"),
        (1, "fail"),
    ] {
        let at = (now - time::Duration::days(back))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let mut doc = good_orders_scan(&token, "daily", &at);
        doc["checks"][0]["outcome"] = json!(outcome);
        let answer = seltzer.post("/api/command", &doc).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    let simulate = |rule: Value, days: i64| {
        let client = seltzer.authorized(&editor);
        async move {
            client
                .post(
                    "/api/notification-rules/simulate",
                    json!({"rule": rule, "days": days}),
                )
                .await
        }
    };
    let rule = json!({"name": "r", "channelIds": [], "outcomes": ["fail"], "mode": "onChange",
                      "recovery": true, "filter": {"dataset": "orders"}});
    let answer = simulate(rule.clone(), 30).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let s = answer.json();
    assert_eq!(
        (s["checks"].as_i64(), s["results"].as_i64()),
        (Some(1), Some(5)),
        "{s}"
    );
    // On change: the first failure, the recovery, the failure after it.
    assert_eq!(
        (s["messages"].as_i64(), s["notices"].as_i64()),
        (Some(3), Some(3)),
        "{s}"
    );
    assert_eq!(s["onChangeMessages"], 3);
    // Every result: the four failures.
    assert_eq!(s["everyResultMessages"], 4);
    let recovered: Vec<bool> = s["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["recovered"].as_bool().unwrap())
        .collect();
    assert_eq!(recovered, [false, true, false]);
    // The last two days: yesterday's failure alone.
    assert_eq!(simulate(rule.clone(), 2).await.json()["messages"], 1);
    // A filter that covers nothing, and bad input.
    let elsewhere = json!({"name": "r", "channelIds": [], "outcomes": ["fail"],
                           "filter": {"dataset": "customers"}});
    assert_eq!(simulate(elsewhere, 30).await.json()["checks"], 0);
    simulate(rule, 400)
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "days");
}

async fn email_channels_send_text_and_html_over_smtp(test_db: TestDb) {
    let seltzer = seltzer(&test_db).await;
    let admin = seltzer.basic_auth(Role::Admin).await;
    let client = seltzer.authorized(&admin);
    let port = free_port();
    let mail = channel(
        &seltzer,
        &admin,
        json!({"name": "mail", "type": "email", "email": {"host": "127.0.0.1", "port": port,
               "security": "none", "from": "Seltzer <seltzer@example.com>",
               "to": ["data@example.com", "oncall@example.com"]}}),
    )
    .await;
    // A relay that takes a password: listed without it.
    channel(
        &seltzer,
        &admin,
        json!({"name": "relay", "type": "email", "email": {"host": "smtp.example.com",
               "port": 587, "username": "seltzer", "password": "hunter2",
               "from": "seltzer@example.com", "to": ["data@example.com"]}}),
    )
    .await;
    let listed = client.get("/api/notification-channels").await;
    assert!(!listed.text().contains("hunter2"), "{}", listed.text());
    let relay = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "relay")
        .cloned()
        .unwrap();
    assert_eq!(relay["url"], "smtp://smtp.example.com:587");
    assert_eq!(relay["email"]["username"], "seltzer");
    assert_eq!(relay["email"]["security"], "starttls");
    assert!(relay["email"].get("password").is_none(), "{relay}");
    rule(
        &seltzer,
        &admin,
        json!({"name": "failures", "channelIds": [mail], "outcomes": ["fail"]}),
    )
    .await;

    // The SMTP server is down when the scan arrives: the message waits and is retried.
    let token = seltzer.login().await;
    scan(&seltzer, &token, 1, "fail").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let pending = loop {
        let log = client.get("/api/notification-deliveries").await.json();
        let d = log["items"][0].clone();
        // Attempts are counted when claimed; the answer is recorded after.
        if d["lastResponse"].is_string() && d["status"] == "pending" {
            break d;
        }
        assert!(std::time::Instant::now() < deadline, "{log}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        pending["lastResponse"].as_str().unwrap().contains("SMTP"),
        "{pending}"
    );
    let Some(smtp) = SmtpServer::start_on(port) else {
        return;
    };
    let received = smtp.wait_for(1).await;
    assert_eq!(received.len(), 1, "delivered once: {received:#?}");
    let m = &received[0];
    assert_eq!(
        m["rcptTos"],
        json!(["data@example.com", "oncall@example.com"])
    );
    assert_eq!(m["mailFrom"], "seltzer@example.com");
    assert_eq!(
        m["subject"],
        "Seltzer: 1 fail in scan daily of shop (2026-11-01T04:00:00Z)"
    );
    // The Message-ID is the delivery's: the same on every attempt.
    let id = pending["id"].as_str().unwrap();
    assert_eq!(m["messageId"], format!("<{id}@seltzer>"));
    let text = m["text"].as_str().unwrap();
    assert!(
        text.contains("row_count > 0 — fail: value 0 (fails when at most 0) · orders · shop"),
        "{text}"
    );
    assert!(text.contains(&format!("{PUBLIC_URL}/checks/")), "{text}");
    let html = m["html"].as_str().unwrap();
    assert!(
        html.contains(&format!("<a href=\"{PUBLIC_URL}/checks/")),
        "{html}"
    );
    assert!(html.contains("row_count &gt; 0"), "{html}");
    let log = client.get("/api/notification-deliveries").await.json();
    assert_eq!(log["items"][0]["status"], "delivered", "{log}");
    assert!(
        log["items"][0]["lastResponse"]
            .as_str()
            .unwrap()
            .starts_with("250"),
        "{log}"
    );

    // A test message.
    let queued = client
        .post(format!("/api/notification-channels/{mail}/test"), json!({}))
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.text());
    let received = smtp.wait_for(2).await;
    assert_eq!(received.len(), 2);
    assert!(
        received[1]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Seltzer test message"),
        "{:#?}",
        received[1]
    );
}

async fn datasets_without_scans_are_told_once_until_scanned_again(test_db: TestDb) {
    let n = Notified::start(&test_db).await;
    let (seltzer, receiver, admin) = (&n.seltzer, &n.receiver, &n.admin);
    let hook = n.to("webhook", "hook").await;
    let slack = n.to("slack", "slack").await;
    rule(
        seltzer,
        admin,
        json!({"name": "orders goes quiet", "channelIds": [hook, slack], "outcomes": ["fail"],
               "noScanHours": 1, "filter": {"dataset": "orders"}}),
    )
    .await;
    rule(
        seltzer,
        admin,
        json!({"name": "customers goes quiet", "channelIds": [hook], "outcomes": ["fail"],
               "noScanHours": 1, "filter": {"dataset": "customers"}}),
    )
    .await;
    let token = seltzer.login().await;
    scan(seltzer, &token, 1, "pass").await;
    // Two hours pass without a scan.
    let age = "UPDATE scans SET received_at = received_at - 7200000";
    sqlx::query(age).execute(seltzer.db.pool()).await.unwrap();
    let received = receiver.wait_for(2).await;
    assert_eq!(received.len(), 2, "told once per channel: {received:#?}");
    let hook_message = received.iter().find(|r| r.path == "/hook").unwrap();
    let event = hook_message.json();
    assert_eq!(event["event"], "datasetOverdue");
    assert_eq!(hook_message.header("x-seltzer-event"), "datasetOverdue");
    assert_eq!(event["rule"], "orders goes quiet");
    assert_eq!(event["hours"], 1);
    assert_eq!(event["datasets"].as_array().unwrap().len(), 1, "{event}");
    assert_eq!(event["datasets"][0]["name"], "orders");
    assert_eq!(event["datasets"][0]["datasource"]["name"], "shop");
    let link = event["datasets"][0]["sodaCloudUrl"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/datasets/")),
        "{link}"
    );
    let slack_message = received.iter().find(|r| r.path == "/slack").unwrap().json();
    assert_eq!(
        slack_message["text"],
        "Seltzer: 1 dataset without a scan for 1 hours (orders goes quiet)"
    );

    // Still quiet: not told again.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 2);

    // A new scan, then quiet again: told again.
    scan(seltzer, &token, 2, "pass").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 2, "a fresh scan is not overdue");
    sqlx::query(age).execute(seltzer.db.pool()).await.unwrap();
    assert_eq!(receiver.wait_for(4).await.len(), 4);
}

/// A Soda Core 4 contract verification goes through the same rules: its failing checks, under
/// their dataset's qualified name, in one message.
async fn soda_core_4_results_are_told_like_soda_core_3_ones(test_db: TestDb) {
    let n = Notified::start(&test_db).await;
    let hook = n.to("webhook", "hook").await;
    rule(
        &n.seltzer,
        &n.admin,
        json!({"name": "orders", "channelIds": [hook], "outcomes": ["fail"],
               "filter": {"dataSource": "shop", "dataset": "main/orders"}}),
    )
    .await;
    replay_v4(&n.seltzer, "s01_first_verify").await;
    let received = n.receiver.wait_for(1).await;
    assert_eq!(received.len(), 1);
    let event = received[0].json();
    assert_eq!(event["event"], "checkEvaluation");
    let results = event["checkResults"].as_array().unwrap();
    assert_eq!(results.len(), 4, "s01's four failing checks: {event}");
    for r in results {
        assert_eq!(r["outcome"], "fail");
        assert_eq!(r["datasets"][0]["name"], "main/orders");
        assert_eq!(r["datasets"][0]["datasource"]["name"], "shop");
    }
}

/// Incident events go to the channels that take them, in Soda Cloud's shape (webhook) or as a
/// line (chat): an incident a rule opens, then a change made through the API.
async fn incident_events_reach_the_channels_that_take_them(test_db: TestDb) {
    let n = Notified::start(&test_db).await;
    let (seltzer, receiver, admin) = (&n.seltzer, &n.receiver, &n.admin);
    let url = |name: &str| format!("{}/{name}", receiver.url);
    let hook = channel(
        seltzer,
        admin,
        json!({"name": "tickets", "type": "webhook", "url": url("tickets"), "incidents": true}),
    )
    .await;
    channel(
        seltzer,
        admin,
        json!({"name": "team", "type": "slack", "url": url("team"), "incidents": true}),
    )
    .await;
    // Alerts only: no incident events.
    let alerts = n.to("webhook", "alerts").await;
    rule(
        seltzer,
        admin,
        json!({"name": "order ids", "channelIds": [], "outcomes": ["fail"],
               "filter": {"checkName": "Order ids*"},
               "incidents": {"severity": "critical"}}),
    )
    .await;
    assert!(hook != alerts);
    // The ticketing system answers with its ticket, as Soda Cloud's receivers may.
    receiver.answer_body(
        r#"{"link": {"url": "https://jira.example.com/browse/DQ-1", "text": "DQ-1"}}"#,
    );

    replay_v4(seltzer, "s01_first_verify").await;
    let received = receiver.wait_for(2).await;
    assert_eq!(received.len(), 2, "{received:#?}");
    let ticket = received.iter().find(|r| r.path == "/tickets").unwrap();
    assert_eq!(ticket.header("x-seltzer-event"), "incidentCreated");
    let event = ticket.json();
    assert_eq!(event["event"], "incidentCreated");
    let incident = &event["incident"];
    assert_eq!(incident["id"], "1");
    assert_eq!(incident["number"], 1);
    assert_eq!(
        incident["title"],
        "Order ids are unique fails on main/orders"
    );
    assert_eq!(
        (&incident["severity"], &incident["status"]),
        (&json!("critical"), &json!("reported"))
    );
    assert_eq!(
        incident["sodaCloudUrl"],
        format!("{PUBLIC_URL}/incidents/1")
    );
    assert_eq!(incident["reporter"]["email"], "rule order ids");
    assert_eq!(incident["created"], incident["createdTimestamp"]);
    let result = &incident["checkResults"][0];
    assert_eq!(
        (&result["name"], &result["outcome"]),
        (&json!("Order ids are unique"), &json!("fail"))
    );
    assert_eq!(result["datasets"][0]["datasource"]["name"], "shop");
    let chat = received.iter().find(|r| r.path == "/team").unwrap().json();
    assert_eq!(
        chat["text"],
        "Incident #1 opened: Order ids are unique fails on main/orders (critical, reported)"
    );

    // Someone takes it on: incidentUpdated, saying what changed.
    let changed = seltzer
        .authorized(admin)
        .send(
            "PATCH",
            "/api/incidents/1",
            Some(json!({"status": "investigating"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    let received = receiver.wait_for(4).await;
    assert_eq!(received.len(), 4, "{received:#?}");
    let update = received[2..]
        .iter()
        .find(|r| r.path == "/tickets")
        .unwrap()
        .json();
    assert_eq!(update["event"], "incidentUpdated");
    assert_eq!(update["incident"]["status"], "investigating");
    assert_eq!(update["changes"][0]["kind"], "status");
    assert_eq!(update["changes"][0]["to"], "investigating");
    assert!(received.iter().all(|r| r.path != "/alerts"));

    // Its ticket, from the webhook's answer (the chat's answer is no ticket); another, called
    // back to the address the event gave, with its secret; a wrong secret is refused. Links
    // send no event (a receiver answering each event with its link would loop).
    let callback = update["incidentLinkCallbackUrl"].as_str().unwrap();
    assert_eq!(callback, update["incident"]["incidentLinkCallbackUrl"]);
    let path = callback.strip_prefix(PUBLIC_URL).unwrap().to_owned();
    assert!(path.starts_with("/api/incidents/1/links/"), "{path}");
    let servicenow = json!({"url": "https://sn.example.com/INC0001", "text": "INC0001"});
    let called = seltzer.anonymous().post(&path, servicenow.clone()).await;
    assert_eq!(called.status, StatusCode::OK, "{}", called.text());
    let forged = seltzer
        .anonymous()
        .post("/api/incidents/1/links/not-the-secret", servicenow)
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let bad = seltzer
        .anonymous()
        .post(&path, json!({"url": "javascript:alert(1)"}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let detail = seltzer
        .authorized(admin)
        .get("/api/incidents/1")
        .await
        .json();
    let tickets: Vec<(&str, &str)> = detail["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["text"].as_str().unwrap(), l["source"].as_str().unwrap()))
        .collect();
    assert_eq!(tickets, [("DQ-1", "tickets"), ("INC0001", "call back")]);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 4, "links send no event");
}
