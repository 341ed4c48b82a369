//! Soda Core's protocol replayed from the captured traffic of real Soda Core 3.5.6 and 4.28.0
//! runs (`tests/data/soda-core-3.5.6/`, `tests/data/soda-core-4.28.0/`), with a real login and
//! Seltzer's own file ids.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use super::{RunningServer, Seltzer, http_post_json, http_send, send};

/// A captured Soda Core 3.5.6 scenario's folder.
pub fn fixture_dir(scenario: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/soda-core-3.5.6")
        .join(scenario)
}

/// A captured Soda Core 4.28.0 scenario's folder.
pub fn v4_fixture_dir(scenario: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/soda-core-4.28.0")
        .join(scenario)
}

/// What replaying one scenario produced.
pub struct Replayed {
    /// Each insert's request body (as sent, with our file ids) and the stored scan id.
    pub inserts: Vec<(Value, i64)>,
}

/// Whom a replay talks to: Seltzer in-process, or a real `seltzer serve` over HTTP.
#[allow(async_fn_in_trait)]
pub trait SodaCoreLink {
    /// A token from logging in with the link's API key.
    async fn login(&self) -> String;
    /// Posts a command; the status and the JSON answer.
    async fn command(&self, path: &str, body: &Value) -> (u16, Value);
    /// Posts a text body (a failed-rows file, log lines) with the token in a bare
    /// `Authorization` header; the status and the JSON answer.
    async fn post_text(
        &self,
        token: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Value);
}

impl SodaCoreLink for Seltzer {
    async fn login(&self) -> String {
        Seltzer::login(self).await
    }

    async fn command(&self, path: &str, body: &Value) -> (u16, Value) {
        let answer = self.post(path, body).await;
        let json = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        (answer.status.as_u16(), json)
    }

    async fn post_text(
        &self,
        token: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Value) {
        let mut request = Request::post(path).header("Authorization", token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::from(body.to_owned())).unwrap();
        let answer = send(&self.app, request).await;
        let json = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        (answer.status.as_u16(), json)
    }
}

/// A real `seltzer serve`, reached over HTTP with an API key.
pub struct ServedSeltzer<'a> {
    pub server: &'a RunningServer,
    pub key_id: String,
    pub secret: String,
}

impl SodaCoreLink for ServedSeltzer<'_> {
    async fn login(&self) -> String {
        let login = json!({"type": "login", "apiKeyId": self.key_id, "apiKeySecret": self.secret});
        let (status, answer) = self.command("/api/command", &login).await;
        assert_eq!(status, 200, "{answer}");
        answer["token"].as_str().unwrap().to_owned()
    }

    async fn command(&self, path: &str, body: &Value) -> (u16, Value) {
        let answer = http_post_json(&self.server.addr, path, body);
        (answer.status, answer.json_or_null())
    }

    async fn post_text(
        &self,
        token: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Value) {
        let mut all = vec![("Authorization", token)];
        all.extend_from_slice(headers);
        let answer = http_send(&self.server.addr, "POST", path, &all, body.as_bytes());
        (answer.status, answer.json_or_null())
    }
}

/// Replays a Soda Core 3.5.6 scenario's requests in order, with a real login and our own file
/// ids, and checks every answer is a 200 with the JSON Soda Core reads.
pub async fn replay(link: &impl SodaCoreLink, scenario: &str) -> Replayed {
    replay_dir(link, &fixture_dir(scenario)).await
}

/// The same for a Soda Core 4.28.0 scenario (its contract file uploaded as a command).
pub async fn replay_v4(link: &impl SodaCoreLink, scenario: &str) -> Replayed {
    replay_dir(link, &v4_fixture_dir(scenario)).await
}

async fn replay_dir(link: &impl SodaCoreLink, scenario: &std::path::Path) -> Replayed {
    let dir = scenario.join("requests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut token = None;
    // The captured server's file ids and run references, and ours in their place.
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut inserts = Vec::new();
    for file in files {
        let captured: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let request = &captured["request"];
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("_login") {
            token = Some(link.login().await);
            continue;
        }
        let token = token.clone().expect("a login before other requests");
        let path = request["path"].as_str().unwrap();
        if path == "/api/scan/upload" {
            let file_path = request["headers"]["File-Path"].as_str().unwrap();
            let body = request["body_text"].as_str().unwrap();
            let headers = [
                ("File-Path", file_path),
                ("Content-Type", "application/octet-stream"),
            ];
            let (status, answer) = link.post_text(&token, path, &headers, body).await;
            assert_eq!(status, 200, "{name}: {answer}");
            let ours = answer["fileId"].as_str().unwrap().to_owned();
            if let Some(theirs) = captured["response"]["body"]["fileId"].as_str() {
                ids.insert(theirs.to_owned(), ours);
            }
            continue;
        }
        if path.starts_with("/api/logs/") {
            // A batched run's log lines, addressed by its SODA_SCAN_ID.
            let body = request["body_text"].as_str().unwrap();
            let headers = [("Content-Type", "application/jsonlines")];
            let (status, answer) = link.post_text(&token, path, &headers, body).await;
            assert_eq!(status, 200, "{name}: {answer}");
            continue;
        }
        let mut text = request["body"].to_string();
        for (theirs, ours) in &ids {
            text = text.replace(theirs, ours);
        }
        let mut body: Value = serde_json::from_str(&text).unwrap();
        body["token"] = json!(token);
        let (status, reply) = link.command(path, &body).await;
        assert_eq!(status, 200, "{name}: {reply}");
        for id in ["fileId", "scanReference"] {
            if let (Some(theirs), Some(ours)) = (
                captured["response"]["body"][id].as_str(),
                reply[id].as_str(),
            ) {
                ids.insert(theirs.to_owned(), ours.to_owned());
            }
        }
        match body["type"].as_str().unwrap() {
            "sodaCoreScanStart" => {
                assert!(reply["scanReference"].is_string(), "{name}: {reply}");
            }
            "sodaCoreInsertScanDataBatch" => assert_eq!(reply, json!({}), "{name}"),
            "sodaCoreMarkScanFailed" => assert_eq!(reply["scanId"], body["scanId"], "{name}"),
            "sodaCoreInsertScanResults" | "sodaCoreScanEndAsync" => {
                let scan_id: i64 = reply["scanId"].as_str().unwrap().parse().unwrap();
                assert!(
                    reply["cloudUrl"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!("/scans/{scan_id}"))
                );
                inserts.push((body, scan_id));
            }
            "sodaCoreCloudConfiguration" => {
                assert_eq!(reply, json!({"disableCollectingWarehouseData": false}));
            }
            "sodaCoreUploadContractFile" | "sodaCorePublishContract" => {
                assert!(reply["fileId"].is_string(), "{name}: {reply}");
            }
            "sodaCoreGetContract" => assert!(reply["contents"].is_string(), "{name}: {reply}"),
            "sodaCoreCanManageContracts" => {
                assert!(reply["allowed"].is_boolean(), "{name}: {reply}");
            }
            "whoAmI" => assert!(reply["apiKeyId"].is_string(), "{name}: {reply}"),
            _ => assert!(reply["results"].is_array(), "{name}: {reply}"),
        }
    }
    Replayed { inserts }
}

impl Replayed {
    /// The stored scans' ids, in the order they were sent.
    pub fn scan_ids(&self) -> Vec<i64> {
        self.inserts.iter().map(|(_, id)| *id).collect()
    }
}
