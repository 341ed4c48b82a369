//! Seltzer in-process: the router over a test database with one API key, and one request
//! through it at a time.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use server::http::assets::Assets;
use server::notify::spawn_sender;
use server::storage::AttributeDefinition;
use server::{AppState, Database, IngestConfig, NotifyConfig, router};
use shared::api::Role;
use tower::ServiceExt;

use super::TestDb;

/// A response of the in-process router, body read.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as text, for messages and "never contains" checks.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `message` of an error answer.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Asserts a refusal: this status, and a message that names `words`.
    #[track_caller]
    pub fn assert_refused(&self, status: StatusCode, words: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        let message = self.message();
        assert!(message.contains(words), "{words:?} not in {message:?}");
    }
}

/// Requests to one in-process Seltzer carrying the same headers (a credential, an origin).
#[derive(Clone)]
pub struct Client<'a> {
    seltzer: &'a Seltzer,
    headers: Vec<(&'static str, String)>,
}

impl Client<'_> {
    /// The same client with one more header.
    pub fn with(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub async fn get(&self, path: impl AsRef<str>) -> Answer {
        self.send("GET", path, None).await
    }

    pub async fn post(&self, path: impl AsRef<str>, body: Value) -> Answer {
        self.send("POST", path, Some(body)).await
    }

    pub async fn delete(&self, path: impl AsRef<str>) -> Answer {
        self.send("DELETE", path, None).await
    }

    pub async fn send(&self, method: &str, path: impl AsRef<str>, body: Option<Value>) -> Answer {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        self.seltzer
            .request(method, path.as_ref(), &headers, body)
            .await
    }
}

/// Sends one request through the router in-process.
pub async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

pub fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

/// The check attributes the fixtures' checks use (s09 uses others on purpose).
pub async fn define_fixture_attributes(db: &Database) {
    for (name, kind, allowed) in [
        ("owner", "text", None),
        ("priority", "number", None),
        (
            "domain",
            "singleSelect",
            Some(json!(["sales", "marketing", "finance"])),
        ),
        (
            "tags",
            "multiSelect",
            Some(json!(["pii", "marketing", "finance", "critical"])),
        ),
        ("reviewed", "checkbox", Some(json!([true, false]))),
        ("review_date", "datetime", None),
    ] {
        db.create_attribute(&AttributeDefinition {
            name: name.into(),
            label: name.into(),
            attribute_type: kind.into(),
            allowed_values: allowed.map(|v| v.as_array().unwrap().clone()),
        })
        .await
        .unwrap();
    }
}

/// A Seltzer in-process with one API key and the attributes the fixtures use. A clone is the
/// same Seltzer (for concurrent clients).
#[derive(Clone)]
pub struct Seltzer {
    pub app: Router,
    pub db: Database,
    pub key_id: String,
    pub secret: String,
    /// The notification sender, when started (`with_notifications`); stopped with the last
    /// clone.
    _sender: Option<Arc<Sender>>,
}

/// A running notification sender, stopped when dropped.
struct Sender(tokio::task::JoinHandle<()>);

impl Drop for Sender {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Seltzer {
    pub async fn start(test_db: &TestDb, config: IngestConfig) -> Self {
        // Server errors are logged, never returned: show them in a failing test's output.
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        let db = Database::connect(&test_db.url).await.unwrap();
        db.migrate().await.unwrap();
        let key = db.create_api_key("replay", Role::Viewer).await.unwrap();
        define_fixture_attributes(&db).await;
        let app = router(AppState::new(db.clone(), Assets::Embedded, config));
        Self {
            app,
            db,
            key_id: key.id,
            secret: key.secret,
            _sender: None,
        }
    }

    /// A Seltzer with these notification settings and its sender running, as `serve` runs it.
    pub async fn with_notifications(test_db: &TestDb, notify: NotifyConfig) -> Self {
        let mut seltzer = Self::start(test_db, IngestConfig::default()).await;
        let state = AppState::new(
            seltzer.db.clone(),
            Assets::Embedded,
            IngestConfig::default(),
        )
        .with_notify(notify);
        let task = spawn_sender(
            seltzer.db.clone(),
            state.notify.clone(),
            state.wake_sender.clone(),
        );
        seltzer.app = router(state);
        seltzer._sender = Some(Arc::new(Sender(task)));
        seltzer
    }

    /// Another Seltzer on the same database and key, with other notification settings (its
    /// sender is the first one's).
    pub fn reopen_with_notifications(other: &Self, notify: NotifyConfig) -> Self {
        let state = AppState::new(other.db.clone(), Assets::Embedded, IngestConfig::default())
            .with_notify(notify);
        Self {
            app: router(state),
            ..other.clone()
        }
    }

    /// Another Seltzer on the same database and key, with another configuration.
    pub fn reopen(other: &Self, config: IngestConfig) -> Self {
        Self {
            app: router(AppState::new(other.db.clone(), Assets::Embedded, config)),
            db: other.db.clone(),
            key_id: other.key_id.clone(),
            secret: other.secret.clone(),
            _sender: None,
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        let request = Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        send(&self.app, request).await
    }

    /// One request as a client on `localhost` sends it, with a JSON body when there is one.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        send(&self.app, builder.body(body).unwrap()).await
    }

    /// The dashboard's sign-in with this email and password, as a browser sends it.
    pub async fn sign_in(&self, email: &str, password: &str) -> Answer {
        let credentials = json!({"email": email, "password": password});
        self.anonymous().post("/api/auth/login", credentials).await
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Client<'_> {
        Client {
            seltzer: self,
            headers: Vec::new(),
        }
    }

    /// A client sending this `Authorization` value (see [`Seltzer::basic_auth`]).
    pub fn authorized(&self, authorization: &str) -> Client<'_> {
        self.anonymous().with("authorization", authorization)
    }

    /// A client of a signed-in dashboard: this `Cookie` value.
    pub fn with_cookie(&self, cookie: &str) -> Client<'_> {
        self.anonymous().with("cookie", cookie)
    }

    /// A new user who can sign in with `password`.
    pub async fn add_user(&self, email: &str, role: Role, password: &str) {
        let created = self.db.create_user(email, role, password).await.unwrap();
        assert!(created, "{email} existed already");
    }

    /// An `Authorization` value (HTTP Basic) of a new API key acting as `role`.
    pub async fn basic_auth(&self, role: Role) -> String {
        let key = self.db.create_api_key(role.as_str(), role).await.unwrap();
        super::basic(&key.id, &key.secret)
    }

    /// A Soda Core token for this Seltzer's key.
    pub async fn login(&self) -> String {
        self.login_as(&self.key_id, &self.secret).await
    }

    /// A Soda Core token for any key.
    pub async fn login_as(&self, id: &str, secret: &str) -> String {
        let answer = self
            .post(
                "/api/command",
                &json!({"type": "login", "apiKeyId": id, "apiKeySecret": secret}),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        answer.json()["token"].as_str().unwrap().to_owned()
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }
}

/// A good scan of `orders` by the definition `definition`, at `data_timestamp`.
pub fn good_orders_scan(token: &str, definition: &str, data_timestamp: &str) -> Value {
    json!({
        "type": "sodaCoreInsertScanResults", "token": token,
        "definitionName": definition, "defaultDataSource": "shop",
        "dataTimestamp": data_timestamp,
        "scanStartTimestamp": data_timestamp, "scanEndTimestamp": data_timestamp,
        "hasErrors": false, "hasWarnings": false, "hasFailures": false,
        "metrics": [], "logs": [],
        "checks": [{"identity": "aaaa0001", "identities": {"v1": "1", "v2": "2", "v3": "aaaa0001"},
            "name": "row_count > 0", "table": "orders", "outcome": "pass", "diagnostics": {"value": 3}}],
    })
}
