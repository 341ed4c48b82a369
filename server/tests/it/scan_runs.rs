//! Scans Seltzer runs, against a real `seltzer serve`: secrets stored encrypted and never shown,
//! data sources and scan definitions checked field by field, runs from queued to their end with
//! their logs, the child's clean environment, timeouts and cancels that end the whole process
//! group, schedules that make one run per fire time however many processes tick, runs taken
//! over when their process dies, and real Soda Core 3.5.6 scanning a DuckDB file.
//!
//! Most runs use `tests/data/runner/fake-soda`, a stand-in that does what its checks file's
//! `# fake:` lines say; the last test runs the real Soda Core.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server::Database;
use shared::api::Role;

use crate::support::{
    RawResponse, Receiver, RunningServer, TestDb, basic, cached_venv, http_send, on_both_engines,
};

on_both_engines!(
    multi_thread: secrets_data_sources_and_definitions_are_checked_and_never_show_a_value,
    a_run_goes_from_queued_to_its_end_in_a_clean_environment,
    timeouts_and_cancels_end_the_whole_process_group,
    a_schedule_catches_up_once_after_downtime,
    a_run_whose_process_dies_is_taken_over_and_retried,
    soda_clouds_scan_api_starts_follows_and_cancels_runs,
    a_run_without_results_is_told_by_failed_scans_rules,
    real_soda_core_scans_a_duckdb_file_from_a_definition,
    agreements_hold_scheduled_runs_until_every_stakeholder_approves,
    a_late_scheduled_run_is_told_once,
    a_contract_runs_with_soda_core_4s_files,
    real_soda_core_4_verifies_a_contract_from_a_definition,
    real_soda_cores_scan_postgresql_as_a_data_source,
    a_schedule_runs_each_fire_time_once_on_a_moved_clock,
    a_data_sources_limit_holds_across_processes,
);

/// 32 bytes (0 to 31), in base64.
pub(crate) const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub(crate) const SECRET_VALUE: &str = "hunter2-very-secret";
/// The password of the users the tests sign in as.
const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn fake_soda() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/runner/fake-soda")
}

/// A `seltzer serve` that runs scans, with an admin's and an editor's API key.
pub(crate) struct Runs {
    pub(crate) server: RunningServer,
    pub(crate) db: Database,
    pub(crate) admin: String,
    pub(crate) editor: String,
    pub(crate) viewer: String,
    _work: tempfile::TempDir,
}

impl Runs {
    pub(crate) async fn start(test_db: &TestDb, soda: &Path, extra: &[&str]) -> Self {
        let db = Database::connect(&test_db.url).await.unwrap();
        db.migrate().await.unwrap();
        let key = |role: Role| {
            let db = db.clone();
            async move {
                let k = db.create_api_key(role.as_str(), role).await.unwrap();
                basic(&k.id, &k.secret)
            }
        };
        let (admin, editor, viewer) = (
            key(Role::Admin).await,
            key(Role::Editor).await,
            key(Role::Viewer).await,
        );
        let work = tempfile::tempdir().unwrap();
        let soda = soda.to_string_lossy().into_owned();
        let run_dir = work.path().to_string_lossy().into_owned();
        let mut args = vec![
            "--soda-v3",
            soda.as_str(),
            "--run-tick-ms",
            "100",
            "--run-dir",
            run_dir.as_str(),
        ];
        // Short enough for a test to wait out, long enough for a busy machine.
        if !extra.contains(&"--run-lease-ms") {
            args.extend(["--run-lease-ms", "5000"]);
        }
        args.extend_from_slice(extra);
        let server = RunningServer::start_with_env(
            &test_db.url,
            &args,
            &[
                ("SELTZER_SECRET_KEY", SECRET_KEY),
                ("SELTZER_TEST_WAREHOUSE_USER", "ada"),
            ],
        );
        Self {
            server,
            db,
            admin,
            editor,
            viewer,
            _work: work,
        }
    }

    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        auth: &str,
        body: Option<Value>,
    ) -> RawResponse {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        http_send(
            &self.server.addr,
            method,
            path,
            &[
                ("Authorization", auth),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    }

    /// The fake data source `shop` and a definition `name` with these checks.
    pub(crate) fn define(&self, name: &str, checks: &str, extra: &Value) {
        if self
            .call("GET", "/api/data-sources/shop", &self.viewer, None)
            .status
            == 404
        {
            let secret = self.call(
                "POST",
                "/api/secrets",
                &self.admin,
                Some(json!({"name": "warehouse-password", "value": SECRET_VALUE})),
            );
            assert_eq!(secret.status, 201, "{:?}", secret.json_or_null());
            let source = self.call(
                "POST",
                "/api/data-sources",
                &self.admin,
                Some(json!({"name": "shop", "type": "duckdb",
                            "configuration": "path: /nowhere/shop.duckdb\n\
                                              password: ${secret:warehouse-password}\n\
                                              user: ${env:SELTZER_TEST_WAREHOUSE_USER}\n",
                            "maxConcurrent": 2})),
            );
            assert_eq!(source.status, 201, "{:?}", source.json_or_null());
        }
        let mut body = json!({"name": name, "dataSource": "shop", "checks": checks});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        let created = self.call("POST", "/api/scan-definitions", &self.editor, Some(body));
        assert_eq!(created.status, 201, "{:?}", created.json_or_null());
    }

    /// A webhook channel to `receiver`: its id.
    pub(crate) fn hook(&self, receiver: &Receiver) -> Value {
        let channel = self.call(
            "POST",
            "/api/notification-channels",
            &self.admin,
            Some(json!({"name": "hook", "type": "webhook",
                        "url": format!("{}/hook", receiver.url)})),
        );
        assert_eq!(channel.status, 201, "{}", channel.text());
        channel.json()["id"].clone()
    }

    /// A notification rule (an editor's).
    pub(crate) fn rule(&self, rule: Value) {
        let created = self.call("POST", "/api/notification-rules", &self.editor, Some(rule));
        assert_eq!(created.status, 201, "{}", created.text());
    }

    /// The dashboard's session cookie of user `email` (password [`PASSWORD`]).
    pub(crate) fn sign_in(&self, email: &str) -> String {
        let body = json!({"email": email, "password": PASSWORD}).to_string();
        let answer = http_send(
            &self.server.addr,
            "POST",
            "/api/auth/login",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(answer.status, 200, "{}", answer.text());
        let cookie = answer.header("set-cookie").expect("a session cookie");
        cookie.split(';').next().unwrap().to_owned()
    }

    /// A request of a signed-in dashboard (its cookie, from its own page).
    pub(crate) fn call_signed_in(
        &self,
        method: &str,
        path: &str,
        cookie: &str,
        body: Option<Value>,
    ) -> RawResponse {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let origin = format!("http://{}", self.server.addr);
        http_send(
            &self.server.addr,
            method,
            path,
            &[
                ("Cookie", cookie),
                ("Origin", &origin),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    }

    /// Makes the definition's schedule due now (as if its fire time had come).
    pub(crate) async fn fire(&self, name: &str) {
        sqlx::query("UPDATE scan_definitions SET next_fire_at = $1 WHERE name = $2")
            .bind(server::timestamp::now() - 1_000)
            .bind(name)
            .execute(self.db.pool())
            .await
            .unwrap();
    }

    /// The definition's runs, newest first, once there are `count`.
    pub(crate) fn runs_of(&self, name: &str, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let list = self
                .call(
                    "GET",
                    &format!("/api/scan-definitions/{}/runs", name.replace(' ', "%20")),
                    &self.viewer,
                    None,
                )
                .json();
            let items = list["items"].as_array().unwrap().clone();
            if items.len() >= count {
                return items;
            }
            assert!(Instant::now() < deadline, "{list}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn run_now(&self, name: &str) -> i64 {
        let run = self.call(
            "POST",
            &format!("/api/scan-definitions/{}/runs", name.replace(' ', "%20")),
            &self.editor,
            None,
        );
        assert_eq!(run.status, 201, "{:?}", run.json_or_null());
        // As it is when answered: a runner ticking meanwhile may have claimed it already.
        let state = run.json()["state"].clone();
        assert!(state == "queuing" || state == "executing", "{state}");
        run.json()["id"].as_i64().unwrap()
    }

    pub(crate) fn run(&self, id: i64) -> Value {
        let run = self.call("GET", &format!("/api/scan-runs/{id}"), &self.viewer, None);
        assert_eq!(run.status, 200);
        run.json()
    }

    /// Polls the run until its state is one of `states`.
    pub(crate) fn wait_for(&self, id: i64, states: &[&str]) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let run = self.run(id);
            if states.iter().any(|s| run["state"] == *s) {
                return run;
            }
            assert!(Instant::now() < deadline, "run {id} stayed {run}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn wait_for_end(&self, id: i64) -> Value {
        self.wait_for(
            id,
            &[
                "canceled",
                "timedOut",
                "failed",
                "skipped",
                "completedWithErrors",
                "completedWithFailures",
                "completedWithWarnings",
                "completed",
            ],
        )
    }

    /// Every line of the run's log, read page by page as the dashboard follows it.
    pub(crate) fn log(&self, id: i64) -> Vec<String> {
        let mut lines = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .call(
                    "GET",
                    &format!("/api/scan-runs/{id}/logs?after={after}&limit=50"),
                    &self.viewer,
                    None,
                )
                .json();
            let got = page["lines"].as_array().unwrap().clone();
            for line in &got {
                lines.push(format!(
                    "{}: {}",
                    line["stream"].as_str().unwrap(),
                    line["line"].as_str().unwrap()
                ));
            }
            after = page["next"].as_i64().unwrap();
            if got.is_empty() {
                return lines;
            }
        }
    }
}

pub(crate) fn alive(pid: &str) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

async fn secrets_data_sources_and_definitions_are_checked_and_never_show_a_value(test_db: TestDb) {
    let r = Runs::start(&test_db, &fake_soda(), &[]).await;
    // Secrets: admins only, stored sealed, listed without values, a second POST replaces.
    let refused = r.call(
        "POST",
        "/api/secrets",
        &r.editor,
        Some(json!({"name": "pw", "value": SECRET_VALUE})),
    );
    assert_eq!(refused.status, 403);
    let bad = r.call(
        "POST",
        "/api/secrets",
        &r.admin,
        Some(json!({"name": "no spaces", "value": "x"})),
    );
    assert_eq!(bad.status, 400);
    assert!(bad.json()["message"].as_str().unwrap().starts_with("name:"));
    r.define(
        "checked",
        "checks for orders:\n  - row_count > 0\n",
        &json!({}),
    );
    let again = r.call(
        "POST",
        "/api/secrets",
        &r.admin,
        Some(json!({"name": "warehouse-password", "value": SECRET_VALUE})),
    );
    assert_eq!(again.status, 200);
    let listed = r.call("GET", "/api/secrets", &r.admin, None);
    assert!(!listed.text().contains(SECRET_VALUE));
    assert_eq!(listed.json()[0]["name"], "warehouse-password");
    let stored: Vec<(String, String)> = sqlx::query_as("SELECT nonce, ciphertext FROM secrets")
        .fetch_all(r.db.pool())
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|(n, c)| !n.contains("hunter2") && !c.contains("hunter2"))
    );
    // The data source says which references it holds, never a value.
    let source = r
        .call("GET", "/api/data-sources/shop", &r.viewer, None)
        .json();
    assert_eq!(
        source["references"],
        json!([
            "secret:warehouse-password",
            "env:SELTZER_TEST_WAREHOUSE_USER"
        ])
    );
    for (body, says) in [
        (
            json!({"name": "x", "type": "duckdb", "configuration": "password: ${secret:nope}"}),
            "${secret:nope} is not a stored secret",
        ),
        (
            json!({"name": "x", "type": "duckdb", "configuration": "- a list"}),
            "configuration: must be the connection properties",
        ),
        (
            json!({"name": "x", "type": "duck db", "configuration": "path: a"}),
            "type must be",
        ),
        (
            json!({"name": "x", "type": "duckdb", "configuration": "path: a", "maxConcurrent": 0}),
            "maxConcurrent",
        ),
    ] {
        let answer = r.call("POST", "/api/data-sources", &r.admin, Some(body));
        assert_eq!(answer.status, 400, "{says}");
        let message = answer.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(says), "{message}");
    }
    // Definitions: each field checked, named in the answer.
    for (body, says) in [
        (
            json!({"name": "d", "dataSource": "elsewhere", "checks": "checks for t:\n  - row_count > 0"}),
            "dataSource: 'elsewhere' is not a configured data source",
        ),
        (
            json!({"name": "d", "dataSource": "shop", "checks": "checks for t:\n  - row_count >"}),
            "checks: line 2",
        ),
        (
            json!({"name": "d", "dataSource": "shop", "checks": "checks for t:\n  - row_count > 0",
                   "schedule": {"cron": "0 6 * *"}}),
            "schedule.cron",
        ),
        (
            json!({"name": "d", "dataSource": "shop", "checks": "checks for t:\n  - row_count > 0",
                   "schedule": {"cron": "0 6 * * *", "timezone": "Mars/Olympus"}}),
            "schedule.timezone",
        ),
        (
            json!({"name": "d", "dataSource": "shop", "checks": "checks for t:\n  - row_count > 0",
                   "timeoutSeconds": 0}),
            "timeoutSeconds",
        ),
        (
            json!({"name": "d", "dataSource": "shop", "checks": "checks for t:\n  - row_count > 0",
                   "engine": "v5"}),
            "engine",
        ),
    ] {
        let answer = r.call("POST", "/api/scan-definitions", &r.editor, Some(body));
        assert_eq!(answer.status, 400, "{says}");
        let message = answer.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(says), "{message}");
    }
    // A schedule shows its next five fire times, in the zone; an edit is a new version.
    let scheduled = json!({"name": "checked", "dataSource": "shop",
                           "checks": "checks for orders:\n  - row_count > 1\n",
                           "schedule": {"cron": "30 6 * * 1-5", "timezone": "Europe/Amsterdam"}});
    let changed = r.call(
        "PUT",
        "/api/scan-definitions/checked",
        &r.editor,
        Some(scheduled),
    );
    assert_eq!(changed.status, 200, "{:?}", changed.json_or_null());
    let info = changed.json();
    assert_eq!(info["version"], 2);
    let times = info["nextFireTimes"].as_array().unwrap();
    assert_eq!(times.len(), 5);
    for t in times {
        // 06:30 in Amsterdam is 05:30 or 04:30 UTC.
        let t = t.as_str().unwrap();
        assert!(
            t.ends_with("T05:30:00Z") || t.ends_with("T04:30:00Z"),
            "{t}"
        );
    }
    let versions = r
        .call(
            "GET",
            "/api/scan-definitions/checked/versions",
            &r.viewer,
            None,
        )
        .json();
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(
        versions[1]["definition"]["checks"],
        "checks for orders:\n  - row_count > 0\n"
    );
    // The data source cannot go while a definition runs on it; viewers cannot run.
    let in_use = r.call("DELETE", "/api/data-sources/shop", &r.admin, None);
    assert_eq!(in_use.status, 409);
    assert!(in_use.text().contains("checked"));
    let viewer_run = r.call(
        "POST",
        "/api/scan-definitions/checked/runs",
        &r.viewer,
        None,
    );
    assert_eq!(viewer_run.status, 403);
}

async fn a_run_goes_from_queued_to_its_end_in_a_clean_environment(test_db: TestDb) {
    let r = Runs::start(&test_db, &fake_soda(), &[]).await;
    r.define(
        "nightly orders",
        "# fake: echo hello from the scan\n# fake: env\n# fake: config\n# fake: exit 3\n\
         checks for orders:\n  - row_count > 0\n",
        &json!({"variables": {"region": "eu"}}),
    );
    let id = r.run_now("nightly orders");
    let run = r.wait_for_end(id);
    // It sent no results: failed, the exit code said.
    assert_eq!(run["state"], "failed", "{run}");
    assert_eq!(run["exitCode"], 3);
    assert_eq!(run["error"], "Soda Core sent no results (exit code 3)");
    assert_eq!(run["origin"], "manual");
    assert!(run["requestedBy"].as_str().unwrap().starts_with("API key "));
    let log = r.log(id);
    let text = log.join("\n");
    assert!(text.contains("stdout: hello from the scan"), "{text}");
    // Soda Core got the definition's name, its data timestamp, variables, and a stable file.
    let started = log
        .iter()
        .find(|l| l.starts_with("stdout: fake soda: scan"))
        .unwrap();
    assert!(started.contains("-d shop"), "{started}");
    assert!(started.contains("-s nightly orders"), "{started}");
    assert!(started.contains("-v region=eu"), "{started}");
    assert!(started.ends_with("nightly_orders.yml"), "{started}");
    let timestamp = run["dataTimestamp"]
        .as_str()
        .unwrap()
        .replace('Z', "+00:00");
    assert!(started.contains(&format!("-t {timestamp}")), "{started}");
    // Only what it needs in its environment; the references resolved and masked in the log.
    let env: Vec<&str> = log
        .iter()
        .filter_map(|l| l.strip_prefix("stdout: env: "))
        .map(|l| l.split('=').next().unwrap())
        .collect();
    assert_eq!(
        env,
        [
            "HOME",
            "LANG",
            "PATH",
            "PWD",
            "PYTHONUNBUFFERED",
            "SELTZER_REFERENCE_0",
            "SELTZER_REFERENCE_1",
            "SHLVL",
            "_"
        ],
        "{text}"
    );
    // Environment references are masked as well: they often hold passwords too.
    assert!(text.contains("env: SELTZER_REFERENCE_0=***"), "{text}");
    assert!(text.contains("env: SELTZER_REFERENCE_1=***"), "{text}");
    assert!(!text.contains(SECRET_VALUE), "{text}");
    // The configuration holds the references' variables, Seltzer as Soda Cloud and a masked
    // key; telemetry is off in its home.
    assert!(
        text.contains("config:   password: ${ SELTZER_REFERENCE_0 }"),
        "{text}"
    );
    assert!(text.contains("config:   type: duckdb"), "{text}");
    assert!(text.contains("config:   scheme: http"), "{text}");
    assert!(text.contains("config:   api_key_secret: ***"), "{text}");
    assert!(text.ends_with("seltzer: ended: failed"), "{text}");
    // Its key died with it; it is not among the keys people manage.
    let keys: Vec<(Option<i64>,)> =
        sqlx::query_as("SELECT revoked_at FROM api_keys WHERE run_id IS NOT NULL")
            .fetch_all(r.db.pool())
            .await
            .unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].0.is_some());
    let listed = r.call("GET", "/api/admin/api-keys", &r.admin, None);
    assert!(!listed.text().contains("scan run"), "{}", listed.text());
    // Its working folder is gone.
    assert_eq!(std::fs::read_dir(r._work.path()).unwrap().count(), 0);
    // The definition names its last run; the list pages them.
    let definition = r
        .call(
            "GET",
            "/api/scan-definitions/nightly%20orders",
            &r.viewer,
            None,
        )
        .json();
    assert_eq!(definition["lastRun"]["id"], id);
    let runs = r
        .call(
            "GET",
            "/api/scan-definitions/nightly%20orders/runs",
            &r.viewer,
            None,
        )
        .json();
    assert_eq!(runs["total"], 1);
}

async fn timeouts_and_cancels_end_the_whole_process_group(test_db: TestDb) {
    let r = Runs::start(&test_db, &fake_soda(), &["--run-workers", "1"]).await;
    let stubborn = "# fake: ignore-term\n# fake: child\n# fake: sleep 300\n\
                    checks for orders:\n  - row_count > 0\n";
    r.define("stubborn", stubborn, &json!({"timeoutSeconds": 1}));
    let id = r.run_now("stubborn");
    let run = r.wait_for_end(id);
    assert_eq!(run["state"], "timedOut", "{run}");
    assert_eq!(run["error"], "timed out after 1 s");
    let log = r.log(id);
    let child = log
        .iter()
        .find_map(|l| l.strip_prefix("stdout: child "))
        .expect("the fake started a child")
        .to_owned();
    assert!(!alive(&child), "the scan's child process outlived the run");

    // Canceled while executing: the group ends, the run says so. A second run waits queued
    // (one worker) and is canceled at once.
    r.define(
        "long",
        "# fake: child\n# fake: sleep 300\nchecks for orders:\n  - row_count > 0\n",
        &json!({}),
    );
    let long = r.run_now("long");
    r.wait_for(long, &["executing"]);
    let queued = r.run_now("long");
    let canceled = r.call(
        "POST",
        &format!("/api/scan-runs/{queued}/cancel"),
        &r.editor,
        None,
    );
    assert_eq!(canceled.json()["state"], "canceled");
    // Wait for the child to be started before canceling, so its end can be checked.
    let deadline = Instant::now() + Duration::from_secs(30);
    let child = loop {
        if let Some(c) = r
            .log(long)
            .iter()
            .find_map(|l| l.strip_prefix("stdout: child ").map(str::to_owned))
        {
            break c;
        }
        assert!(
            Instant::now() < deadline,
            "the fake never started its child"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let asked = r.call(
        "POST",
        &format!("/api/scan-runs/{long}/cancel"),
        &r.editor,
        None,
    );
    assert_eq!(asked.status, 200);
    assert_eq!(asked.json()["state"], "cancelationRequested");
    let run = r.wait_for_end(long);
    assert_eq!(run["state"], "canceled", "{run}");
    assert!(!alive(&child), "the canceled scan's child process lives on");
    // A finished run cannot be canceled, as in Soda Cloud.
    let over = r.call(
        "POST",
        &format!("/api/scan-runs/{long}/cancel"),
        &r.editor,
        None,
    );
    assert_eq!(over.status, 400);
    assert!(over.text().contains("is over"), "{}", over.text());
}

async fn a_schedule_catches_up_once_after_downtime(test_db: TestDb) {
    let r = Runs::start(&test_db, &fake_soda(), &[]).await;
    r.define(
        "hourly",
        "# fake: echo scheduled\nchecks for orders:\n  - row_count > 0\n",
        &json!({"schedule": {"cron": "0 * * * *"}}),
    );
    // As if no Seltzer had run for three hours: the fire time three hours ago is due, and
    // so are the two since. One run, for the latest.
    let now = server::timestamp::now();
    let hour = 3_600_000;
    let three_hours_ago = now - now % hour - 2 * hour;
    sqlx::query("UPDATE scan_definitions SET next_fire_at = $1 WHERE name = 'hourly'")
        .bind(three_hours_ago)
        .execute(r.db.pool())
        .await
        .unwrap();
    // A second process on the same database ticks too (on SQLite as well: its runs are
    // serialized by the database like any writer's).
    let second = RunningServer::start_with_env(
        &test_db.url,
        &[
            "--soda-v3",
            fake_soda().to_str().unwrap(),
            "--run-tick-ms",
            "100",
        ],
        &[("SELTZER_SECRET_KEY", SECRET_KEY)],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let runs = loop {
        let list = r
            .call("GET", "/api/scan-definitions/hourly/runs", &r.viewer, None)
            .json();
        if list["total"] == 1 {
            break list;
        }
        assert!(Instant::now() < deadline, "{list}");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(1000));
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scan_runs")
        .fetch_one(r.db.pool())
        .await
        .unwrap();
    assert_eq!(
        total, 1,
        "one catch-up run, not one per missed hour or process"
    );
    let run = &runs["items"][0];
    assert_eq!(run["origin"], "schedule");
    let latest = server::timestamp::format(now - now % hour);
    assert_eq!(run["scheduledFor"], latest.as_str());
    assert_eq!(run["dataTimestamp"], latest.as_str());
    // The next fire time is the next hour.
    let next: i64 =
        sqlx::query_scalar("SELECT next_fire_at FROM scan_definitions WHERE name = 'hourly'")
            .fetch_one(r.db.pool())
            .await
            .unwrap();
    assert_eq!(next, now - now % hour + hour);
    drop(second);
}

async fn a_run_whose_process_dies_is_taken_over_and_retried(test_db: TestDb) {
    let receiver = Receiver::start().await;
    let notify = [
        "--public-url",
        "https://seltzer.example.com",
        "--notify-retry-ms",
        "300",
    ];
    let mut first = vec!["--run-lease-ms", "1500"];
    first.extend(notify);
    let mut r = Runs::start(&test_db, &fake_soda(), &first).await;
    let channel = r.hook(&receiver);
    r.rule(
        json!({"name": "runs", "channelIds": [channel], "outcomes": ["fail"],
                  "scanFailures": true}),
    );
    r.define(
        "fragile",
        "# fake: sleep 2\n# fake: echo done\nchecks for orders:\n  - row_count > 0\n",
        &json!({"maxAttempts": 2}),
    );
    let id = r.run_now("fragile");
    r.wait_for(id, &["executing"]);
    // `kill -9`: no shutdown, no last words; its lease (1.5 s) runs out.
    r.server.child.kill().unwrap();
    r.server.child.wait().unwrap();
    let fake = fake_soda();
    let mut args = vec![
        "--soda-v3",
        fake.to_str().unwrap(),
        "--run-tick-ms",
        "100",
        "--run-lease-ms",
        "1500",
    ];
    args.extend(notify);
    r.server = RunningServer::start_with_env(
        &test_db.url,
        &args,
        &[
            ("SELTZER_SECRET_KEY", SECRET_KEY),
            ("SELTZER_TEST_WAREHOUSE_USER", "ada"),
        ],
    );
    let run = r.wait_for_end(id);
    assert_eq!(run["attempt"], 2, "{run}");
    // The lost attempt is retried, not told; the run that ends without results is, once.
    let received = receiver.wait_for(1).await;
    assert_eq!(received[0].header("x-seltzer-event"), "runFailed");
    assert_eq!(received[0].json()["scan"]["id"], format!("run-{id}"));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.received().len(), 1, "{:#?}", receiver.received());
    assert_eq!(run["state"], "failed", "{run}");
    assert_eq!(run["error"], "Soda Core sent no results (exit code 0)");
    let log = r.log(id).join("\n");
    assert!(
        log.contains("attempt 1 lost its runner (Seltzer process ")
            && log.contains(": no heartbeat); queued again as attempt 2"),
        "{log}"
    );
    assert!(log.contains("seltzer: attempt 2 of 'fragile'"), "{log}");
    assert!(log.contains("stdout: done"), "{log}");
}

/// What an orchestrator written for Soda Cloud does: start a scan definition with a form,
/// follow the id from `X-Soda-Scan-Id`, read its logs, cancel it.
async fn soda_clouds_scan_api_starts_follows_and_cancels_runs(test_db: TestDb) {
    let r = Runs::start(&test_db, &fake_soda(), &[]).await;
    r.define(
        "pipeline",
        "# fake: echo working\n# fake: sleep 300\nchecks for orders:\n  - row_count > 0\n",
        &json!({}),
    );
    let form = |body: &str| {
        http_send(
            &r.server.addr,
            "POST",
            "/api/v1/scans",
            &[
                ("Authorization", r.editor.as_str()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
    };
    let started = form("scanDefinition=pipeline&dataTimestamp=2026-12-01T06%3A00%3A00%2B01%3A00");
    assert_eq!(started.status, 201, "{}", started.text());
    let id = started.header("x-soda-scan-id").unwrap().to_owned();
    assert!(id.starts_with("run-"), "{id}");
    assert_eq!(
        started.header("location"),
        Some(format!("/api/v1/scans/{id}").as_str())
    );
    assert_eq!(started.json()["scanTime"], "2026-12-01T05:00:00Z");
    assert_eq!(started.json()["scanDefinition"]["name"], "pipeline");
    // Followed until it executes; its log as Soda Cloud pages logs.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = r
            .call("GET", &format!("/api/v1/scans/{id}"), &r.viewer, None)
            .json();
        let logs = r
            .call("GET", &format!("/api/v1/scans/{id}/logs"), &r.viewer, None)
            .json();
        let working = logs["content"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["message"] == "working");
        if status["state"] == "executing" && working {
            assert!(
                status["started"].is_string() && status["ended"].is_null(),
                "{status}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{status} {logs}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Cancel: asked, then done; a finished one cannot be.
    let canceled = r.call("DELETE", &format!("/api/v1/scans/{id}"), &r.editor, None);
    assert_eq!(canceled.status, 200, "{}", canceled.text());
    assert_eq!(canceled.json()["state"], "cancelationRequested");
    let run_id: i64 = id.trim_start_matches("run-").parse().unwrap();
    assert_eq!(r.wait_for_end(run_id)["state"], "canceled");
    let again = r.call("DELETE", &format!("/api/v1/scans/{id}"), &r.editor, None);
    assert_eq!(again.status, 400);
    // Mistakes are named.
    let unknown = form("scanDefinition=nope");
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("'nope'"), "{}", unknown.text());
    let bad_time = form("scanDefinition=pipeline&dataTimestamp=yesterday");
    assert_eq!(bad_time.status, 400);
    assert!(
        bad_time.text().contains("dataTimestamp"),
        "{}",
        bad_time.text()
    );
    let no_form = r.call(
        "POST",
        "/api/v1/scans",
        &r.editor,
        Some(json!({"scanDefinition": "pipeline"})),
    );
    assert_eq!(no_form.status, 400);
    assert!(no_form.text().contains("as a form"), "{}", no_form.text());
    let viewer = http_send(
        &r.server.addr,
        "POST",
        "/api/v1/scans",
        &[
            ("Authorization", r.viewer.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"scanDefinition=pipeline",
    );
    assert_eq!(viewer.status, 403);
}

/// A run that ends without results stores no scan; rules with "failed scans too" are told by
/// the run's end instead, once; a canceled run tells no one.
async fn a_run_without_results_is_told_by_failed_scans_rules(test_db: TestDb) {
    let receiver = Receiver::start().await;
    let r = Runs::start(
        &test_db,
        &fake_soda(),
        &[
            "--public-url",
            "https://seltzer.example.com",
            "--notify-retry-ms",
            "300",
        ],
    )
    .await;
    let channel = r.hook(&receiver);
    r.rule(
        json!({"name": "runs", "channelIds": [channel], "outcomes": ["fail"],
                  "scanFailures": true, "filter": {"dataSource": "shop"}}),
    );
    r.define(
        "broken",
        "# fake: exit 3\nchecks for orders:\n  - row_count > 0\n",
        &json!({}),
    );
    let id = r.run_now("broken");
    assert_eq!(r.wait_for_end(id)["state"], "failed");
    let received = receiver.wait_for(1).await;
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(received[0].header("x-seltzer-event"), "runFailed");
    let event = received[0].json();
    assert_eq!(event["event"], "scanFailed");
    assert_eq!(event["scan"]["id"], format!("run-{id}"));
    assert_eq!(
        event["scan"]["sodaCloudUrl"],
        format!("https://seltzer.example.com/runs/{id}")
    );
    assert_eq!(event["scan"]["state"], "failed");
    assert_eq!(
        event["scan"]["errors"],
        json!(["Soda Core sent no results (exit code 3)"])
    );
    // Canceled is asked for, not a failure.
    r.define(
        "slow",
        "# fake: sleep 300\nchecks for orders:\n  - row_count > 0\n",
        &json!({}),
    );
    let slow = r.run_now("slow");
    r.wait_for(slow, &["executing"]);
    r.call(
        "POST",
        &format!("/api/scan-runs/{slow}/cancel"),
        &r.editor,
        None,
    );
    assert_eq!(r.wait_for_end(slow)["state"], "canceled");
    // The sender looks every second: two of its rounds, and still one message.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.received().len(), 1);
}

/// A DuckDB file made from the fixture's `create_db.sql` with the virtualenv's duckdb.
pub(crate) fn shop_database(venv: &Path, dir: &Path) -> PathBuf {
    let path = dir.join("shop.duckdb");
    let sql = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/soda-client/create_db.sql");
    let status = std::process::Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); \
             c.execute(open(sys.argv[2]).read()); c.close()",
        ])
        .arg(&path)
        .arg(sql)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

async fn real_soda_core_scans_a_duckdb_file_from_a_definition(test_db: TestDb) {
    let Some(venv) = cached_venv("SELTZER_SODA_VENV", "soda-core-3.5.6", "soda") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let database = shop_database(&venv, data.path());
    let r = Runs::start(&test_db, &venv.join("bin/soda"), &[]).await;
    let source = r.call(
        "POST",
        "/api/data-sources",
        &r.admin,
        Some(json!({"name": "shop", "type": "duckdb",
                    "configuration": format!("path: {}\n", database.display())})),
    );
    assert_eq!(source.status, 201, "{:?}", source.json_or_null());
    let checks = "checks for customers:\n  - row_count > 0\n  - missing_count(email) = 0\n";
    let created = r.call(
        "POST",
        "/api/scan-definitions",
        &r.editor,
        Some(json!({"name": "customers daily", "dataSource": "shop", "checks": checks})),
    );
    assert_eq!(created.status, 201, "{:?}", created.json_or_null());
    let id = r.run_now("customers daily");
    let run = r.wait_for_end(id);
    let log = r.log(id).join("\n");
    // One email is missing: the results say it, and they decide the state.
    assert_eq!(run["state"], "completedWithFailures", "{run}\n{log}");
    assert!(run["error"].is_null(), "{run}");
    let scan_id = run["scanId"].as_i64().expect("the run's scan");
    let scan = r.call("GET", &format!("/api/scans/{scan_id}"), &r.viewer, None);
    assert_eq!(scan.status, 200);
    let scan = scan.json();
    assert_eq!(scan["scan"]["definition"], "customers daily", "{scan}");
    let outcomes: Vec<&str> = scan["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap_or("none"))
        .collect();
    assert_eq!(outcomes.len(), 2, "{scan}");
    assert!(
        outcomes.contains(&"fail") && outcomes.contains(&"pass"),
        "{outcomes:?}"
    );
    assert!(log.contains("stdout: "), "{log}");
    // Soda Cloud's cancel does not delete a finished scan's results; Seltzer's own API does.
    let cancel = r.call(
        "DELETE",
        &format!("/api/v1/scans/{scan_id}"),
        &r.editor,
        None,
    );
    assert_eq!(cancel.status, 400);
    assert!(
        cancel.text().contains("DELETE /api/scans/"),
        "{}",
        cancel.text()
    );
    let v1 = r
        .call("GET", &format!("/api/v1/scans/run-{id}"), &r.viewer, None)
        .json();
    assert_eq!(v1["state"], "completedWithFailures");
    assert_eq!(v1["failures"], 1, "{v1}");
    assert_eq!(v1["checks"].as_array().unwrap().len(), 2, "{v1}");
    // Soda Core's usage report stayed off.
    assert!(!log.contains("collect.soda.io"), "{log}");

    // A dry run of edited checks: checked like a definition's, told, never stored.
    let invalid = r.call(
        "POST",
        "/api/scan-definitions/customers%20daily/dry-run",
        &r.editor,
        Some(json!({"checks": "checks for customers:\n  - row_count >\n"})),
    );
    assert_eq!(invalid.status, 400);
    assert!(
        invalid.text().contains("checks: line 2"),
        "{}",
        invalid.text()
    );
    let viewer = r.call(
        "POST",
        "/api/scan-definitions/customers%20daily/dry-run",
        &r.viewer,
        Some(json!({"checks": checks})),
    );
    assert_eq!(viewer.status, 403);
    let scans_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scans")
        .fetch_one(r.db.pool())
        .await
        .unwrap();
    let dry = r.call(
        "POST",
        "/api/scan-definitions/customers%20daily/dry-run",
        &r.editor,
        Some(
            json!({"checks": "checks for customers:\n  - row_count between 1 and 20\n  \
                               - row_count > 1000\n"}),
        ),
    );
    assert_eq!(dry.status, 201, "{}", dry.text());
    let dry_id = dry.json()["id"].as_i64().unwrap();
    let dry_run = r.wait_for_end(dry_id);
    let dry_log = r.log(dry_id).join("\n");
    assert_eq!(dry_run["origin"], "dryRun");
    assert_eq!(
        dry_run["state"], "completedWithFailures",
        "{dry_run}\n{dry_log}"
    );
    assert!(dry_run["scanId"].is_null());
    let outcomes = dry_run["outcomes"].as_array().expect("outcomes");
    assert_eq!(outcomes.len(), 2, "{dry_run}");
    let rows = outcomes
        .iter()
        .find(|c| c["outcome"] == "fail")
        .expect("row_count > 1000 fails");
    assert_eq!(rows["line"], 3, "{dry_run}");
    assert_eq!(rows["dataset"], "customers", "{dry_run}");
    let scans_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scans")
        .fetch_one(r.db.pool())
        .await
        .unwrap();
    assert_eq!(scans_after, scans_before, "a dry run stores no scan");
    let info = r
        .call(
            "GET",
            "/api/scan-definitions/customers%20daily",
            &r.viewer,
            None,
        )
        .json();
    assert_eq!(info["version"], 1, "a dry run saves nothing");

    // The two runs side by side: the stored scan's checks against the dry run's.
    let compared = r.call(
        "GET",
        &format!("/api/scan-runs/{dry_id}/compare?with={id}"),
        &r.viewer,
        None,
    );
    assert_eq!(compared.status, 200, "{}", compared.text());
    let compared = compared.json();
    assert_eq!(compared["before"]["id"], id, "the earlier run first");
    assert_eq!(compared["after"]["id"], dry_id);
    let changes: Vec<(String, String)> = compared["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap().to_owned(),
                c["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let kinds: Vec<&str> = changes.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["removed", "removed", "added", "added"],
        "{compared}"
    );
    assert!(
        changes
            .iter()
            .any(|(k, n)| k == "added" && n.contains("row_count > 1000")),
        "{compared}"
    );
    let diff = compared["checksDiff"].as_str().unwrap();
    assert!(
        diff.contains(&format!("--- run {id} (version 1)"))
            && diff.contains(&format!("+++ run {dry_id} (dry run)"))
            && diff.contains("-  - missing_count(email) = 0")
            && diff.contains("+  - row_count > 1000"),
        "{diff}"
    );
    let same = r
        .call(
            "GET",
            &format!("/api/scan-runs/{id}/compare?with={id}"),
            &r.viewer,
            None,
        )
        .json();
    assert!(
        same["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["change"] == "same" && c["delta"] == 0.0),
        "{same}"
    );
    assert_eq!(same["checksDiff"], "");
    let missing = r.call(
        "GET",
        &format!("/api/scan-runs/{id}/compare"),
        &r.viewer,
        None,
    );
    assert_eq!(missing.status, 400);
    assert!(missing.text().contains("with:"), "{}", missing.text());
}

/// A definition with stakeholders: its schedule's runs are skipped, saying who is awaited,
/// until every stakeholder (signed in, never an API key) has approved its current version; an
/// edit asks again.
async fn agreements_hold_scheduled_runs_until_every_stakeholder_approves(test_db: TestDb) {
    let r = Runs::start(&test_db, &fake_soda(), &[]).await;
    for email in ["ana@example.com", "Ben@Example.com", "cy@example.com"] {
        assert!(
            r.db.create_user(email, Role::Editor, PASSWORD)
                .await
                .unwrap()
        );
    }
    let checks = "# fake: echo agreed\nchecks for orders:\n  - row_count > 0\n";
    r.define(
        "agreed",
        checks,
        &json!({"schedule": {"cron": "0 3 * * *"},
                "stakeholders": ["ana@example.com", "Ben@Example.com"]}),
    );
    // Stakeholders are kept as their users' emails are stored (in lower case).
    // Stakeholders are users of this Seltzer.
    let refused = r.call(
        "PUT",
        "/api/scan-definitions/agreed",
        &r.editor,
        Some(
            json!({"name": "agreed", "dataSource": "shop", "checks": checks,
                    "stakeholders": ["nobody@example.com"]}),
        ),
    );
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .text()
            .contains("stakeholders: 'nobody@example.com'"),
        "{}",
        refused.text()
    );
    let info = r
        .call("GET", "/api/scan-definitions/agreed", &r.viewer, None)
        .json();
    assert_eq!(info["version"], 1);
    assert_eq!(
        info["awaitingApproval"],
        json!(["ana@example.com", "ben@example.com"])
    );

    // The fire time comes: skipped, and why.
    r.fire("agreed").await;
    let runs = r.runs_of("agreed", 1);
    let skipped = r.wait_for_end(runs[0]["id"].as_i64().unwrap());
    assert_eq!(skipped["state"], "skipped", "{skipped}");
    assert_eq!(
        skipped["error"],
        "skipped: version 1 awaits approval by ana@example.com, ben@example.com"
    );
    assert!(skipped["startedAt"].is_null() && !skipped["endedAt"].is_null());
    // Soda Cloud's API has no `skipped`: its scripts read a fire time not run as canceled.
    let v1 = r
        .call(
            "GET",
            &format!("/api/v1/scans/run-{}", skipped["id"]),
            &r.viewer,
            None,
        )
        .json();
    assert_eq!(v1["state"], "canceled", "{v1}");

    // Who may approve: a stakeholder, signed in, the current version.
    let approve = |cookie: Option<&str>, version: i64| {
        let body = Some(json!({"version": version}));
        match cookie {
            Some(c) => r.call_signed_in("POST", "/api/scan-definitions/agreed/approvals", c, body),
            None => r.call(
                "POST",
                "/api/scan-definitions/agreed/approvals",
                &r.editor,
                body,
            ),
        }
    };
    let by_key = approve(None, 1);
    assert_eq!(by_key.status, 403);
    assert!(by_key.text().contains("not API keys"), "{}", by_key.text());
    let cy = r.sign_in("cy@example.com");
    let outsider = approve(Some(&cy), 1);
    assert_eq!(outsider.status, 403);
    assert!(
        outsider
            .text()
            .contains("cy@example.com is not a stakeholder of 'agreed'"),
        "{}",
        outsider.text()
    );
    let ana = r.sign_in("ana@example.com");
    let stale = approve(Some(&ana), 2);
    assert_eq!(stale.status, 409);
    assert!(stale.text().contains("version 1 is"), "{}", stale.text());
    let approved = approve(Some(&ana), 1);
    assert_eq!(approved.status, 200, "{}", approved.text());
    assert_eq!(
        approved.json()["awaitingApproval"],
        json!(["ben@example.com"])
    );
    // Emails compare without case.
    let ben = r.sign_in("ben@example.com");
    let approved = approve(Some(&ben), 1);
    assert_eq!(approved.status, 200, "{}", approved.text());
    let approved = approved.json();
    assert_eq!(approved["awaitingApproval"], json!([]));
    let approvers: Vec<&str> = approved["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["approver"].as_str().unwrap())
        .collect();
    assert_eq!(approvers, ["ana@example.com", "ben@example.com"]);

    // The next fire time runs it.
    r.fire("agreed").await;
    let runs = r.runs_of("agreed", 2);
    let ran = r.wait_for_end(runs[0]["id"].as_i64().unwrap());
    assert_ne!(ran["state"], "skipped", "{ran}");
    assert!(
        r.log(ran["id"].as_i64().unwrap())
            .contains(&"stdout: agreed".to_owned())
    );

    // An edit is a new version, approved by nobody yet.
    let edited = r.call(
        "PUT",
        "/api/scan-definitions/agreed",
        &r.editor,
        Some(json!({"name": "agreed", "dataSource": "shop",
                    "checks": format!("{checks}  - row_count < 1000\n"),
                    "schedule": {"cron": "0 3 * * *"},
                    "stakeholders": ["ana@example.com", "Ben@Example.com"]})),
    );
    assert_eq!(edited.status, 200, "{}", edited.text());
    assert_eq!(edited.json()["version"], 2);
    assert_eq!(
        edited.json()["awaitingApproval"],
        json!(["ana@example.com", "ben@example.com"])
    );
    assert_eq!(edited.json()["approvals"], json!([]));
    // An editor cannot end the agreement, by leaving a stakeholder out or by deleting it.
    let dropped = r.call(
        "PUT",
        "/api/scan-definitions/agreed",
        &r.editor,
        Some(
            json!({"name": "agreed", "dataSource": "shop", "checks": checks,
                    "stakeholders": ["ana@example.com"]}),
        ),
    );
    assert_eq!(dropped.status, 403, "{}", dropped.text());
    assert!(
        dropped.text().contains("taking ben@example.com off"),
        "{}",
        dropped.text()
    );
    let deleted = r.call("DELETE", "/api/scan-definitions/agreed", &r.editor, None);
    assert_eq!(deleted.status, 403, "{}", deleted.text());
    let by_admin = r.call(
        "PUT",
        "/api/scan-definitions/agreed",
        &r.admin,
        Some(
            json!({"name": "agreed", "dataSource": "shop", "checks": checks,
                    "stakeholders": ["ANA@example.com"]}),
        ),
    );
    assert_eq!(by_admin.status, 200, "{}", by_admin.text());
    // Stored as the user's email is.
    assert_eq!(
        by_admin.json()["definition"]["stakeholders"],
        json!(["ana@example.com"])
    );
}

/// "Scan late": a rule with `lateRunMinutes` tells once when a scheduled run has no results
/// that long after its fire time, however many Seltzers look; a rule on another data source
/// does not.
async fn a_late_scheduled_run_is_told_once(test_db: TestDb) {
    let receiver = Receiver::start().await;
    let r = Runs::start(
        &test_db,
        &fake_soda(),
        &[
            "--public-url",
            "https://seltzer.example.com",
            "--notify-overdue-check-ms",
            "200",
            "--notify-retry-ms",
            "300",
        ],
    )
    .await;
    let channel_id = r.hook(&receiver);
    for (name, source) in [("late shop runs", "shop"), ("late elsewhere", "elsewhere")] {
        r.rule(
            json!({"name": name, "channelIds": [channel_id], "outcomes": ["fail"],
                      "lateRunMinutes": 5, "filter": {"dataSource": source}}),
        );
    }
    let out_of_range = r.call(
        "POST",
        "/api/notification-rules",
        &r.editor,
        Some(
            json!({"name": "never", "channelIds": [channel_id], "outcomes": ["fail"],
                    "lateRunMinutes": 0}),
        ),
    );
    assert_eq!(out_of_range.status, 400);
    assert!(out_of_range.text().contains("lateRunMinutes"));
    r.define(
        "nightly",
        "# fake: sleep 300\nchecks for orders:\n  - row_count > 0\n",
        &json!({"schedule": {"cron": "0 3 * * *"}}),
    );
    r.fire("nightly").await;
    let id = r.runs_of("nightly", 1)[0]["id"].as_i64().unwrap();
    r.wait_for(id, &["executing"]);
    // Running, not late yet: nothing.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(receiver.received().is_empty());
    // Six minutes later (its fire time moved back): late.
    sqlx::query("UPDATE scan_runs SET scheduled_for = scheduled_for - 360000 WHERE id = $1")
        .bind(id)
        .execute(r.db.pool())
        .await
        .unwrap();
    let received = receiver.wait_for(1).await;
    assert_eq!(received[0].header("x-seltzer-event"), "runLate");
    let event = received[0].json();
    assert_eq!(event["event"], "scanLate", "{event}");
    assert_eq!(event["rule"], "late shop runs");
    assert_eq!(event["minutes"], 5);
    assert_eq!(event["scan"]["id"], format!("run-{id}"));
    assert_eq!(event["scan"]["definition"], "nightly");
    assert_eq!(event["scan"]["state"], "executing");
    // A second Seltzer looks too: still told once.
    let second = RunningServer::start_with_env(
        &test_db.url,
        &[
            "--public-url",
            "https://seltzer.example.com",
            "--notify-overdue-check-ms",
            "200",
        ],
        &[("SELTZER_SECRET_KEY", SECRET_KEY)],
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(receiver.received().len(), 1, "{:#?}", receiver.received());
    drop(second);
    r.call(
        "POST",
        &format!("/api/scan-runs/{id}/cancel"),
        &r.editor,
        None,
    );
    assert_eq!(r.wait_for_end(id)["state"], "canceled");
}

/// A Soda Core 4 definition: the contract is checked when saved (its dataset on the
/// definition's data source, which needs a Soda Core 4 configuration); a run writes Soda Core
/// 4's data source and Soda Cloud files and starts `soda contract verify -p` with the run's id
/// and the definition's name in its environment, secrets resolved and masked.
async fn a_contract_runs_with_soda_core_4s_files(test_db: TestDb) {
    let fake = fake_soda();
    // The folder secret files are mounted in: `${file:…}` reads there only.
    let mounted = tempfile::tempdir().unwrap();
    let r = Runs::start(
        &test_db,
        &fake,
        &[
            "--soda-v4",
            fake.to_str().unwrap(),
            "--secret-files-dir",
            mounted.path().to_str().unwrap(),
        ],
    )
    .await;
    r.define(
        "three",
        "# fake: echo v3\nchecks for orders:\n  - row_count > 0\n",
        &json!({}),
    );
    let contract = "# fake: config\n# fake: env\ndataset: shop/main/orders\ncolumns:\n  - name: id\n\
                    checks:\n  - row_count:\n";
    let define = |body: Value| r.call("POST", "/api/scan-definitions", &r.editor, Some(body));
    let refused = define(json!({"name": "four", "dataSource": "shop", "engine": "v4",
                                "checks": contract}));
    assert_eq!(refused.status, 400);
    assert!(
        refused.text().contains("has no Soda Core 4 configuration"),
        "{}",
        refused.text()
    );
    let with_type = r.call(
        "PUT",
        "/api/data-sources/shop",
        &r.admin,
        Some(json!({"name": "shop", "type": "duckdb",
                    "configuration": "path: /nowhere/shop.duckdb\n",
                    "configurationV4": "type: duckdb\nconnection:\n  database: x\n"})),
    );
    assert_eq!(with_type.status, 400);
    assert!(
        with_type
            .text()
            .contains("configurationV4: leave out `type`")
    );
    // A user name from a mounted file (`${file:…}`, absolute paths in that folder only).
    let user_file = mounted.path().join("user");
    // Two lines (as a key file has): each is masked in the log, not only the whole.
    std::fs::write(&user_file, "ada-from-a-file\nsecond-line-of-it\n").unwrap();
    for outside in ["/etc/passwd", &format!("{}/../x", mounted.path().display())] {
        let refused = r.call(
            "PUT",
            "/api/data-sources/shop",
            &r.admin,
            Some(json!({"name": "shop", "type": "duckdb",
                        "configurationV4": format!("connection:\n  user: ${{file:{outside}}}\n")})),
        );
        assert_eq!(refused.status, 400, "{outside}");
        assert!(
            refused.text().contains("Seltzer reads secret files under"),
            "{}",
            refused.text()
        );
    }
    let relative = r.call(
        "PUT",
        "/api/data-sources/shop",
        &r.admin,
        Some(json!({"name": "shop", "type": "duckdb",
                    "configurationV4": "connection:\n  user: ${file:secrets/user}\n"})),
    );
    assert_eq!(relative.status, 400);
    assert!(
        relative.text().contains("absolute path"),
        "{}",
        relative.text()
    );
    let file = user_file.display().to_string();
    let configured = r.call(
        "PUT",
        "/api/data-sources/shop",
        &r.admin,
        Some(json!({"name": "shop", "type": "duckdb",
                    "configuration": "path: /nowhere/shop.duckdb\n",
                    "configurationV4": format!("connection:\n  database: /nowhere/shop.duckdb\n  \
                                        password: ${{secret:warehouse-password}}\n  \
                                        user: ${{file:{file}}}\n")})),
    );
    assert_eq!(configured.status, 200, "{}", configured.text());
    assert_eq!(
        configured.json()["references"],
        json!(["secret:warehouse-password", format!("file:{file}")])
    );
    let elsewhere = define(json!({"name": "four", "dataSource": "shop", "engine": "v4",
                                  "checks": "dataset: other/main/orders\n"}));
    assert_eq!(elsewhere.status, 400);
    assert!(
        elsewhere
            .text()
            .contains("the contract's dataset is on data source 'other'"),
        "{}",
        elsewhere.text()
    );
    let no_dataset = define(json!({"name": "four", "dataSource": "shop", "engine": "v4",
                                   "checks": "checks:\n  - row_count:\n"}));
    assert_eq!(no_dataset.status, 400);
    assert!(
        no_dataset.text().contains("`dataset:`"),
        "{}",
        no_dataset.text()
    );
    let no_columns = define(json!({"name": "four", "dataSource": "shop", "engine": "v4",
                                   "checks": "dataset: shop/main/orders\nchecks:\n  - row_count:\n"}));
    assert_eq!(no_columns.status, 400);
    assert!(
        no_columns.text().contains("`columns:`"),
        "{}",
        no_columns.text()
    );
    let created = define(json!({"name": "four", "dataSource": "shop", "engine": "v4",
                                "checks": contract, "variables": {"limit": "5"}}));
    assert_eq!(created.status, 201, "{}", created.text());

    let id = r.run_now("four");
    r.wait_for_end(id);
    let log = r.log(id).join("\n");
    assert!(
        log.contains("stdout: fake soda: contract verify -c ")
            && log.contains("/four.yml -ds ")
            && log.contains("/data_source.yml -sc ")
            && log.contains("/soda_cloud.yml -p --set limit=5"),
        "{log}"
    );
    for line in [
        "stdout: config: type: duckdb",
        "stdout: config: name: shop",
        "stdout: config:   password: ${env.SELTZER_REFERENCE_0}",
        "stdout: config:   user: ${env.SELTZER_REFERENCE_1}",
        "stdout: env: SELTZER_REFERENCE_0=***",
        "stdout: env: SELTZER_REFERENCE_1=***",
        "stdout: env: SODA_CORE_TELEMETRY_ENABLED=false",
        "stdout: env: SODA_SCAN_DEFINITION=four",
    ] {
        assert!(log.contains(line), "{line} in\n{log}");
    }
    assert!(
        log.contains(&format!("stdout: env: SODA_SCAN_ID=run-{id}")),
        "{log}"
    );
    assert!(!log.contains(SECRET_VALUE), "{log}");
    assert!(
        !log.contains("ada-from-a-file") && !log.contains("second-line-of-it"),
        "{log}"
    );
    // A file that is gone when the run starts: the run fails, saying which.
    std::fs::remove_file(&user_file).unwrap();
    let gone = r.run_now("four");
    let run = r.wait_for_end(gone);
    assert_eq!(run["state"], "failed");
    assert!(
        run["error"]
            .as_str()
            .unwrap()
            .contains(&format!("refers to ${{file:{file}}}, which cannot be read")),
        "{run}"
    );
    // The Soda Core 3 definition on the same data source still runs Soda Core 3.
    let three = r.run_now("three");
    r.wait_for_end(three);
    let log = r.log(three).join("\n");
    assert!(log.contains("stdout: fake soda: scan -d shop"), "{log}");
}

/// The real Soda Core 4.28.0 verifies a contract on a DuckDB file as a definition's run: the
/// results come back through the ingest as the definition's scan, linked to the run, and its
/// state is the results'. A dry run of an edited contract tells its outcomes and stores
/// nothing.
async fn real_soda_core_4_verifies_a_contract_from_a_definition(test_db: TestDb) {
    let Some(venv) = cached_venv("SELTZER_SODA4_VENV", "soda-core-4.28.0", "soda") else {
        return;
    };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/soda-core-4.28.0");
    let data = tempfile::tempdir().unwrap();
    let database = data.path().join("shop.duckdb");
    let created = std::process::Command::new(venv.join("bin/python"))
        .arg("-c")
        .arg("import sys, duckdb; duckdb.connect(sys.argv[1]).execute(open(sys.argv[2]).read())")
        .arg(&database)
        .arg(fixtures.join("create_db.sql"))
        .status()
        .unwrap();
    assert!(created.success());
    let r = Runs::start(
        &test_db,
        &fake_soda(),
        &["--soda-v4", venv.join("bin/soda").to_str().unwrap()],
    )
    .await;
    let source = r.call(
        "POST",
        "/api/data-sources",
        &r.admin,
        Some(json!({"name": "shop", "type": "duckdb",
                    "configurationV4": format!("connection:\n  database: {}\n", database.display())})),
    );
    assert_eq!(source.status, 201, "{}", source.text());
    let contract = std::fs::read_to_string(fixtures.join("s01_first_verify/contract.yml")).unwrap();
    let created = r.call(
        "POST",
        "/api/scan-definitions",
        &r.editor,
        Some(
            json!({"name": "orders contract", "dataSource": "shop", "engine": "v4",
                    "checks": contract}),
        ),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = r.run_now("orders contract");
    let run = r.wait_for_end(id);
    let log = r.log(id).join("\n");
    // The fixture's contract has failing checks (its captured run exited 1).
    assert_eq!(run["state"], "completedWithFailures", "{run}\n{log}");
    assert_eq!(run["exitCode"], 1, "{run}");
    let scan_id = run["scanId"].as_i64().expect("the run's scan");
    let scan = r
        .call("GET", &format!("/api/scans/{scan_id}"), &r.viewer, None)
        .json();
    assert_eq!(scan["scan"]["definition"], "orders contract", "{scan}");
    let checks = scan["checks"].as_array().unwrap();
    assert!(checks.len() >= 8, "{scan}");
    assert!(checks.iter().any(|c| c["outcome"] == "fail"), "{scan}");

    // A dry run of the contract with one check: its outcome, no scan stored.
    let scans_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scans")
        .fetch_one(r.db.pool())
        .await
        .unwrap();
    let dry = r.call(
        "POST",
        "/api/scan-definitions/orders%20contract/dry-run",
        &r.editor,
        Some(
            json!({"checks": "dataset: shop/main/orders\ncolumns:\n  - name: id\nchecks:\n  \
                               - row_count:\n      threshold:\n        \
                               must_be_greater_than: 1000\n"}),
        ),
    );
    assert_eq!(dry.status, 201, "{}", dry.text());
    assert_eq!(dry.json()["origin"], "dryRun");
    let dry_id = dry.json()["id"].as_i64().unwrap();
    let dry_run = r.wait_for_end(dry_id);
    let dry_log = r.log(dry_id).join("\n");
    assert_eq!(
        dry_run["state"], "completedWithFailures",
        "{dry_run}\n{dry_log}"
    );
    assert!(dry_run["scanId"].is_null(), "{dry_run}");
    let outcomes = dry_run["outcomes"].as_array().expect("outcomes");
    assert_eq!(outcomes.len(), 1, "{dry_run}");
    assert_eq!(outcomes[0]["outcome"], "fail");
    assert!(outcomes[0]["value"].as_f64().unwrap() < 1000.0, "{dry_run}");
    let scans_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scans")
        .fetch_one(r.db.pool())
        .await
        .unwrap();
    assert_eq!(scans_after, scans_before, "a dry run stores no scan");
    // The definition itself is unchanged.
    let info = r
        .call(
            "GET",
            "/api/scan-definitions/orders%20contract",
            &r.viewer,
            None,
        )
        .json();
    assert_eq!(info["version"], 1);
    assert_eq!(info["definition"]["checks"], contract.as_str());

    // `soda contract verify -r -p`: the CLI asks Seltzer to verify the contract on its runner,
    // follows the run through Soda Cloud's scan API and replays its log.
    let key = r.db.create_api_key("cli", Role::Editor).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("contract.yml"), &contract).unwrap();
    let port = r.server.addr.rsplit(':').next().unwrap();
    std::fs::write(
        work.path().join("soda_cloud.yml"),
        format!(
            "soda_cloud:\n  host: 127.0.0.1\n  port: '{port}'\n  scheme: http\n  \
             api_key_id: {}\n  api_key_secret: {}\n",
            key.id, key.secret
        ),
    )
    .unwrap();
    let verify = |publish: bool| {
        let mut command = std::process::Command::new(venv.join("bin/soda"));
        command
            .current_dir(work.path())
            .env("SODA_CORE_TELEMETRY_ENABLED", "false")
            .args([
                "contract",
                "verify",
                "-c",
                "contract.yml",
                "-sc",
                "soda_cloud.yml",
                "-r",
            ]);
        if publish {
            command.arg("-p");
        }
        let out = command.args(["-btm", "2"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    let (code, output) = verify(true);
    // Failed checks: exit 1, as a local verification with failures.
    assert_eq!(code, Some(1), "{output}");
    let runs = r.runs_of("orders contract", 3);
    let remote = &runs[0];
    assert!(
        output.contains(&format!(
            "Scan run-{} has state 'completedWithFailures'",
            remote["id"]
        )),
        "{output}"
    );
    assert_eq!(remote["origin"], "api", "{remote}");
    assert_eq!(remote["requestedBy"], format!("API key {}", key.id));
    assert!(remote["scanId"].as_i64().is_some(), "{remote}");
    // Its log came back to the console (Soda Core's banner, printed by the run, twice).
    assert!(output.matches("CLI v4.28.0").count() >= 2, "{output}");
    // Without -p: a dry run, nothing stored.
    let scans_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scans")
        .fetch_one(r.db.pool())
        .await
        .unwrap();
    let (code, output) = verify(false);
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(r.runs_of("orders contract", 4)[0]["origin"], "dryRun");
    let scans_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scans")
        .fetch_one(r.db.pool())
        .await
        .unwrap();
    assert_eq!(scans_after, scans_before);
    // A contract no definition verifies is refused, saying what to do; no run is made.
    std::fs::write(
        work.path().join("contract.yml"),
        contract.replace("shop/main/orders", "shop/main/customers"),
    )
    .unwrap();
    let (code, output) = verify(true);
    assert_ne!(code, Some(0), "{output}");
    assert_eq!(r.runs_of("orders contract", 4).len(), 4, "no run was made");
}

/// PostgreSQL as the warehouse: real Soda Core 3.5.6 and 4.28.0 scan a table of a PostgreSQL
/// database from definitions on one data source (each Soda Core's configuration, the password a
/// secret), and their results come back as the definitions' scans.
async fn real_soda_cores_scan_postgresql_as_a_data_source(test_db: TestDb) {
    let (Some(v3), Some(v4)) = (
        cached_venv("SELTZER_SODA_VENV", "soda-core-3.5.6", "soda"),
        cached_venv("SELTZER_SODA4_VENV", "soda-core-4.28.0", "soda"),
    ) else {
        return;
    };
    let Some(warehouse) = TestDb::postgres().await else {
        return;
    };
    let options: sqlx::postgres::PgConnectOptions = warehouse.url.parse().unwrap();
    let (host, port, user) = (
        options.get_host().to_owned(),
        options.get_port(),
        options.get_username().to_owned(),
    );
    let database = options.get_database().unwrap().to_owned();
    let pool = sqlx::PgPool::connect(&warehouse.url).await.unwrap();
    for sql in [
        "CREATE TABLE public.orders (id INTEGER, status TEXT, amount NUMERIC)",
        "INSERT INTO public.orders VALUES (1, 'paid', 10), (2, 'shipped', 20), (3, 'lost', 30)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let r = Runs::start(
        &test_db,
        &v3.join("bin/soda"),
        &["--soda-v4", v4.join("bin/soda").to_str().unwrap()],
    )
    .await;
    let password = "pg-password-from-a-secret";
    let secret = r.call(
        "POST",
        "/api/secrets",
        &r.admin,
        Some(json!({"name": "pg", "value": password})),
    );
    assert_eq!(secret.status, 201, "{}", secret.text());
    let source = r.call(
        "POST",
        "/api/data-sources",
        &r.admin,
        Some(json!({"name": "warehouse", "type": "postgres",
            "configuration": format!("host: {host}\nport: '{port}'\nusername: {user}\n\
                                      password: ${{secret:pg}}\ndatabase: {database}\n\
                                      schema: public\n"),
            "configurationV4": format!("connection:\n  host: {host}\n  port: {port}\n  \
                                        user: {user}\n  password: ${{secret:pg}}\n  \
                                        database: {database}\n")})),
    );
    assert_eq!(source.status, 201, "{}", source.text());
    let checks = "checks for orders:\n  - row_count = 3\n  - invalid_count(status) = 0:\n      \
                  valid values: [paid, shipped]\n";
    let contract = format!(
        "dataset: warehouse/{database}/public/orders\ncolumns:\n  - name: id\n  - name: status\n    \
         checks:\n      - invalid:\n          valid_values: [paid, shipped]\n  - name: amount\n\
         checks:\n  - row_count:\n"
    );
    for (name, engine, checks) in [
        ("orders v3", "v3", checks.to_owned()),
        ("orders v4", "v4", contract),
    ] {
        let created = r.call(
            "POST",
            "/api/scan-definitions",
            &r.editor,
            Some(
                json!({"name": name, "dataSource": "warehouse", "engine": engine,
                        "checks": checks}),
            ),
        );
        assert_eq!(created.status, 201, "{}", created.text());
        let id = r.run_now(name);
        let run = r.wait_for_end(id);
        let log = r.log(id).join("\n");
        // One status is not a valid one: the results say so, and decide the state.
        assert_eq!(
            run["state"], "completedWithFailures",
            "{name}: {run}\n{log}"
        );
        assert!(
            !log.contains(password),
            "{name}: the password shows in\n{log}"
        );
        let scan_id = run["scanId"].as_i64().expect("the run's scan");
        let scan = r
            .call("GET", &format!("/api/scans/{scan_id}"), &r.viewer, None)
            .json();
        assert_eq!(scan["scan"]["definition"], name, "{scan}");
        let outcomes: Vec<&str> = scan["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["outcome"].as_str().unwrap_or("none"))
            .collect();
        assert!(
            outcomes.contains(&"fail") && outcomes.contains(&"pass"),
            "{name}: {outcomes:?}"
        );
    }
    // A warehouse that cannot be reached: Soda Core 4 reports the scan failed (to its runner,
    // which keeps the output), and the run fails for want of results.
    let unreachable = r.call(
        "POST",
        "/api/data-sources",
        &r.admin,
        Some(json!({"name": "unreachable", "type": "postgres",
            "configurationV4": format!("connection:\n  host: {host}\n  port: 1\n  \
                                        user: {user}\n  database: {database}\n")})),
    );
    assert_eq!(unreachable.status, 201, "{}", unreachable.text());
    let created = r.call(
        "POST",
        "/api/scan-definitions",
        &r.editor,
        Some(
            json!({"name": "unreachable orders", "dataSource": "unreachable", "engine": "v4",
                    "checks": format!("dataset: unreachable/{database}/public/orders\n\
                                       columns:\n  - name: id\n")}),
        ),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = r.run_now("unreachable orders");
    let run = r.wait_for_end(id);
    let log = r.log(id).join("\n");
    assert_eq!(run["state"], "failed", "{run}\n{log}");
    assert!(run["scanId"].is_null(), "{run}");
    assert!(log.contains("Reported the failure of scan 'run-"), "{log}");
    let kept_elsewhere: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM batched_runs")
        .fetch_one(r.db.pool())
        .await
        .unwrap();
    assert_eq!(
        kept_elsewhere, 0,
        "the run's failure is the run's, not a batched run's"
    );
}

/// The schedule on a clock the test moves: two runners (as two Seltzer processes) on one
/// database tick together once a simulated minute for 100 minutes, with an outage from minute
/// 40 to 67. `*/5 * * * *` runs each fire time once; the outage ends in one catch-up run (for
/// minute 65), not one per missed fire time.
async fn a_schedule_runs_each_fire_time_once_on_a_moved_clock(test_db: TestDb) {
    use server::runner::Runner;
    use server::storage::DefinitionInput;
    let db = Database::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    db.configure_data_source("shop", "duckdb", "path: /nowhere.duckdb\n", None, 1, None)
        .await
        .unwrap();
    let source = db.configured_data_source("shop").await.unwrap().unwrap();
    // 2026-01-01T00:00:00Z.
    let start: i64 = 1_767_225_600_000;
    let minute = 60_000;
    let created = db
        .create_definition(&DefinitionInput {
            name: "every five",
            data_source_id: source.id,
            engine: "v3",
            checks: "checks for orders:\n  - row_count > 0\n",
            variables: "{}".to_owned(),
            cron: Some("*/5 * * * *"),
            timezone: None,
            timeout_seconds: 60,
            max_attempts: 1,
            paused: false,
            next_fire_at: Some(start),
            stakeholders: &[],
            body: "{}".to_owned(),
            author: "test",
        })
        .await
        .unwrap();
    assert!(created);
    let runner = || {
        Runner::new(
            db.clone(),
            std::sync::Arc::new(server::RunnerConfig::default()),
            None,
            "127.0.0.1:9".parse().unwrap(),
            std::sync::Arc::new(tokio::sync::Notify::new()),
        )
    };
    let (one, two) = (runner(), runner());
    for m in 0..100 {
        if (40..68).contains(&m) {
            continue;
        }
        // Seven seconds into the minute, as a tick lands.
        let now = start + m * minute + 7_000;
        let (a, b) = tokio::join!(one.schedule_due(now), two.schedule_due(now));
        a.unwrap();
        b.unwrap();
    }
    let runs: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT scheduled_for, data_timestamp, origin FROM scan_runs ORDER BY scheduled_for",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let minutes: Vec<i64> = runs.iter().map(|(s, ..)| (s - start) / minute).collect();
    assert_eq!(
        minutes,
        [0, 5, 10, 15, 20, 25, 30, 35, 65, 70, 75, 80, 85, 90, 95],
        "one run per fire time, one catch-up after the outage"
    );
    assert!(
        runs.iter()
            .all(|(s, d, o)| s == d && (s - start) % (5 * minute) == 0 && o == "schedule")
    );
    let next: i64 =
        sqlx::query_scalar("SELECT next_fire_at FROM scan_definitions WHERE name = 'every five'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(next, start + 100 * minute);
}

/// A data source's limit on scans at once holds however many processes and workers there are:
/// two Seltzers with two workers each (four slots) run six two-second scans of a data source
/// that allows two at once, never more than two together.
async fn a_data_sources_limit_holds_across_processes(test_db: TestDb) {
    let r = Runs::start(&test_db, &fake_soda(), &[]).await;
    let second = RunningServer::start_with_env(
        &test_db.url,
        &[
            "--soda-v3",
            fake_soda().to_str().unwrap(),
            "--run-tick-ms",
            "100",
        ],
        &[
            ("SELTZER_SECRET_KEY", SECRET_KEY),
            ("SELTZER_TEST_WAREHOUSE_USER", "ada"),
        ],
    );
    let mut ids = Vec::new();
    for n in 0..6 {
        let name = format!("limited {n}");
        r.define(
            &name,
            "# fake: sleep 2\nchecks for orders:\n  - row_count > 0\n",
            &json!({}),
        );
        ids.push(r.run_now(&name));
    }
    for id in &ids {
        r.wait_for_end(*id);
    }
    let spans: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT started_at, ended_at, worker FROM scan_runs WHERE started_at IS NOT NULL",
    )
    .fetch_all(r.db.pool())
    .await
    .unwrap();
    assert_eq!(spans.len(), 6);
    // The most runs executing at one moment: at some run's start, those started and not ended.
    let most = spans
        .iter()
        .map(|(at, ..)| spans.iter().filter(|(s, e, _)| s <= at && at < e).count())
        .max()
        .unwrap();
    assert_eq!(most, 2, "the limit is 2 at once, and it is used: {spans:?}");
    drop(second);
}
