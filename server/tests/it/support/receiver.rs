//! A real HTTP receiver on a loopback port, standing in for a webhook endpoint, Slack or Teams:
//! it records every request and answers with the statuses it is told to, then 200 (with the
//! body it is told to, if any).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::Value;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Inbox {
    received: Vec<Received>,
    answers: VecDeque<u16>,
    /// The body of every answer (JSON), when set.
    body: Option<String>,
}

pub struct Receiver {
    pub url: String,
    inbox: Arc<Mutex<Inbox>>,
    task: tokio::task::JoinHandle<()>,
}

async fn record(
    State(inbox): State<Arc<Mutex<Inbox>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    let mut inbox = inbox.lock().unwrap();
    inbox.received.push(Received {
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let status = inbox.answers.pop_front().unwrap_or(200);
    let answer = inbox.body.clone().unwrap_or_default();
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        answer,
    )
}

impl Receiver {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// A receiver on this loopback port (0: any free one).
    pub async fn start_on(port: u16) -> Self {
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let app = Router::new().fallback(record).with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, inbox, task }
    }

    /// The next requests are answered with these statuses, in order.
    pub fn answer(&self, statuses: &[u16]) {
        self.inbox.lock().unwrap().answers.extend(statuses);
    }

    /// Every next answer carries this JSON body.
    pub fn answer_body(&self, body: &str) {
        self.inbox.lock().unwrap().body = Some(body.to_owned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().received.clone()
    }

    /// Waits until `n` requests have arrived (10 s at most), then a moment more to catch any
    /// that should not come; all that arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        super::wait_for_count(n, || self.received()).await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
