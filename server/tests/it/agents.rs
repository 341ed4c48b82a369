//! Agents: `seltzer agent` processes that run the scans of the data sources naming them, near
//! the data. Registered by admins (the key shown once), they claim only their data sources'
//! runs (and a Seltzer process never does), follow the claim → heartbeat → log → finish
//! protocol with their key, resolve `${env:}` references from their own environment, and are
//! taken over like a Seltzer process when they die. Against a real `seltzer serve` and real
//! `seltzer agent` processes, with the fake `soda` and with real Soda Core 3.5.6.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::scan_runs::{Runs, SECRET_VALUE, alive, fake_soda, shop_database};
use crate::support::{RawResponse, RunningServer, TestDb, cached_venv, http_send, on_both_engines};

on_both_engines!(
    multi_thread: agents_are_registered_and_hold_only_their_data_sources_runs,
    a_seltzer_agent_runs_scans_with_its_own_environment,
    an_agent_that_dies_is_taken_over_and_a_wrong_key_stops_it,
    real_soda_core_runs_on_an_agent,
);

/// A `seltzer agent` process; killed when dropped.
struct AgentProcess {
    child: Child,
    log: std::sync::mpsc::Receiver<String>,
    _work: tempfile::TempDir,
}

impl AgentProcess {
    fn start(server: &RunningServer, key: &str, soda: &Path, env: &[(&str, &str)]) -> Self {
        let work = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_seltzer"))
            .args(["agent", "--server", &server.url(""), "--poll-ms", "100"])
            .arg("--soda-v3")
            .arg(soda)
            .arg("--run-dir")
            .arg(work.path())
            .env("SELTZER_AGENT_KEY", key)
            .envs(env.iter().copied())
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Self {
            child,
            log: rx,
            _work: work,
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Registers agent `name`: its key.
fn register(r: &Runs, name: &str) -> String {
    let created = r.call("POST", "/api/agents", &r.admin, Some(json!({"name": name})));
    assert_eq!(created.status, 201, "{}", created.text());
    let key = created.json()["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("seltzer-agent-"), "{key}");
    key
}

/// The stored secret `warehouse-password` and data source `name` run by `agent`.
fn remote_source(r: &Runs, name: &str, agent: &str, configuration: &str) {
    let secret = r.call(
        "POST",
        "/api/secrets",
        &r.admin,
        Some(json!({"name": "warehouse-password", "value": SECRET_VALUE})),
    );
    assert!(matches!(secret.status, 200 | 201), "{}", secret.text());
    let source = r.call(
        "POST",
        "/api/data-sources",
        &r.admin,
        Some(
            json!({"name": name, "type": "duckdb", "configuration": configuration,
                    "agent": agent, "maxConcurrent": 2}),
        ),
    );
    assert_eq!(source.status, 201, "{}", source.text());
    assert_eq!(source.json()["agent"], agent);
}

fn define(r: &Runs, name: &str, source: &str, checks: &str, extra: &Value) {
    let mut body = json!({"name": name, "dataSource": source, "checks": checks});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        body[k] = v;
    }
    let created = r.call("POST", "/api/scan-definitions", &r.editor, Some(body));
    assert_eq!(created.status, 201, "{}", created.text());
}

/// A request of the agent protocol with `key`.
fn agent_call(r: &Runs, key: &str, path: &str, body: &Value) -> RawResponse {
    let auth = format!("Bearer {key}");
    http_send(
        &r.server.addr,
        "POST",
        &format!("/api/agent{path}"),
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
}

async fn agents_are_registered_and_hold_only_their_data_sources_runs(test_db: TestDb) {
    let r = Runs::start(&test_db, &fake_soda(), &[]).await;
    // Admins register agents; the key is shown once and kept as a hash.
    let editor = r.call(
        "POST",
        "/api/agents",
        &r.editor,
        Some(json!({"name": "eu-1"})),
    );
    assert_eq!(editor.status, 403);
    let bad = r.call(
        "POST",
        "/api/agents",
        &r.admin,
        Some(json!({"name": "eu 1"})),
    );
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("name: 'eu 1'"), "{}", bad.text());
    let key = register(&r, "eu-1");
    let other_key = register(&r, "us-1");
    let taken = r.call(
        "POST",
        "/api/agents",
        &r.admin,
        Some(json!({"name": "eu-1"})),
    );
    assert_eq!(taken.status, 409);
    let stored: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM agents")
        .fetch_all(r.db.pool())
        .await
        .unwrap();
    assert!(stored.iter().all(|(h,)| !h.contains(&key[14..])));
    // A data source names a registered agent; `${file:}` is then the agent's to read, wherever.
    let unknown = r.call(
        "POST",
        "/api/data-sources",
        &r.admin,
        Some(
            json!({"name": "remote", "type": "duckdb", "configuration": "path: /x\n",
                    "agent": "nobody"}),
        ),
    );
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.text().contains("agent: no agent 'nobody'"),
        "{}",
        unknown.text()
    );
    // A Seltzer process runs the other data sources' runs, never the agent's.
    r.define(
        "local",
        "# fake: echo local\nchecks for orders:\n  - row_count > 0\n",
        &json!({}),
    );
    remote_source(
        &r,
        "remote",
        "eu-1",
        "path: /data/shop.duckdb\npassword: ${secret:warehouse-password}\n\
         user: ${env:REMOTE_USER}\ntoken: ${file:/etc/agent/token}\n",
    );
    define(
        &r,
        "remote daily",
        "remote",
        "# fake: echo hi\nchecks for orders:\n  - row_count > 0\n",
        &json!({}),
    );
    let remote = r.run_now("remote daily");
    let local = r.run_now("local");
    let local = r.wait_for_end(local);
    assert!(local["agent"].is_null(), "{local}");
    assert!(
        local["runner"]
            .as_str()
            .unwrap()
            .starts_with("Seltzer process "),
        "{local}"
    );
    let queued = r.run(remote);
    assert_eq!(queued["state"], "queuing");
    assert_eq!(queued["agent"], "eu-1", "{queued}");
    assert!(queued["runner"].is_null(), "{queued}");
    let v1 = r
        .call(
            "GET",
            &format!("/api/v1/scans/run-{remote}"),
            &r.viewer,
            None,
        )
        .json();
    assert_eq!(v1["agentId"], "eu-1", "{v1}");

    // Only an agent key speaks the protocol.
    let hello = json!({"instance": "box-1", "host": "box.eu", "version": "test"});
    for wrong in ["seltzer-agent-0000", "nonsense"] {
        let refused = agent_call(&r, wrong, "/claim", &hello);
        assert_eq!(refused.status, 401, "{}", refused.text());
    }
    let basic = http_send(
        &r.server.addr,
        "POST",
        "/api/agent/claim",
        &[
            ("Authorization", r.admin.as_str()),
            ("Content-Type", "application/json"),
        ],
        hello.to_string().as_bytes(),
    );
    assert_eq!(basic.status, 401);
    let bad_instance = agent_call(&r, &key, "/claim", &json!({"instance": "a b"}));
    assert_eq!(bad_instance.status, 400);
    assert!(
        bad_instance.text().contains("instance"),
        "{}",
        bad_instance.text()
    );
    // Another agent has nothing to run.
    assert_eq!(
        agent_call(&r, &other_key, "/claim", &json!({"instance": "x"})).status,
        204
    );

    // The claim hands out the job: stored secrets opened, the rest left for the agent.
    let claimed = agent_call(&r, &key, "/claim", &hello);
    assert_eq!(claimed.status, 200, "{}", claimed.text());
    let job = claimed.json();
    assert_eq!(job["runId"], remote);
    assert_eq!(job["definition"], "remote daily");
    assert_eq!(job["engine"], "v3");
    assert_eq!(job["dataSourceType"], "duckdb");
    assert_eq!(job["secrets"], json!({"warehouse-password": SECRET_VALUE}));
    let configuration = job["configuration"].as_str().unwrap();
    assert!(configuration.contains("${env:REMOTE_USER}"), "{job}");
    assert!(configuration.contains("${file:/etc/agent/token}"), "{job}");
    assert!(job["checks"].as_str().unwrap().contains("# fake: echo hi"));
    assert_eq!(job["leaseMs"], 5000);
    let run = r.run(remote);
    assert_eq!(run["state"], "executing");
    assert_eq!(run["runner"], "agent eu-1/box-1", "{run}");
    assert!(
        r.log(remote)
            .iter()
            .any(|l| l.ends_with("on agent 'eu-1' (box.eu)")),
        "{:?}",
        r.log(remote)
    );
    assert_eq!(agent_call(&r, &key, "/claim", &hello).status, 204);

    // Heartbeats, logs and the finish come from the instance holding the run's attempt.
    let beat_attempt = |key: &str, instance: &str, attempt: i64| {
        agent_call(
            &r,
            key,
            &format!("/runs/{remote}/heartbeat"),
            &json!({"instance": instance, "attempt": attempt}),
        )
    };
    let beat = |key: &str, instance: &str| beat_attempt(key, instance, 1);
    assert_eq!(beat(&key, "box-2").status, 409);
    assert_eq!(beat(&other_key, "box-1").status, 409);
    assert_eq!(beat_attempt(&key, "box-1", 2).status, 409);
    let held = beat(&key, "box-1");
    assert_eq!(held.status, 200, "{}", held.text());
    assert_eq!(held.json()["state"], "executing");
    let line =
        |text: &str| json!({"at": server::timestamp::now(), "stream": "stdout", "line": text});
    let too_many: Vec<Value> = (0..1001).map(|i| line(&format!("line {i}"))).collect();
    let refused = agent_call(
        &r,
        &key,
        &format!("/runs/{remote}/logs"),
        &json!({"instance": "box-1", "attempt": 1, "lines": too_many}),
    );
    assert_eq!(refused.status, 400);
    let bad_stream = agent_call(
        &r,
        &key,
        &format!("/runs/{remote}/logs"),
        &json!({"instance": "box-1", "attempt": 1,
                "lines": [{"at": 0, "stream": "other", "line": "x"}]}),
    );
    assert_eq!(bad_stream.status, 400);
    assert!(
        bad_stream.text().contains("lines[0].stream"),
        "{}",
        bad_stream.text()
    );
    let sent = agent_call(
        &r,
        &key,
        &format!("/runs/{remote}/logs"),
        &json!({"instance": "box-1", "attempt": 1, "lines": [line("scanning near the data")]}),
    );
    assert_eq!(sent.status, 200, "{}", sent.text());
    assert!(
        r.log(remote)
            .contains(&"stdout: scanning near the data".to_owned())
    );
    // A cancel reaches the agent with its next heartbeat.
    let cancel = r.call(
        "POST",
        &format!("/api/scan-runs/{remote}/cancel"),
        &r.editor,
        None,
    );
    assert_eq!(cancel.status, 200, "{}", cancel.text());
    assert_eq!(beat(&key, "box-1").json()["state"], "cancelationRequested");
    let finish = |state: &str| {
        agent_call(
            &r,
            &key,
            &format!("/runs/{remote}/finish"),
            &json!({"instance": "box-1", "attempt": 1, "state": state, "exitCode": null,
                    "error": "canceled while running", "apiKeyId": job["apiKeyId"]}),
        )
    };
    assert_eq!(finish("queuing").status, 400);
    let ended = finish("canceled");
    assert_eq!(ended.status, 200, "{}", ended.text());
    assert_eq!(ended.json()["state"], "canceled");
    let run = r.run(remote);
    assert_eq!(run["state"], "canceled");
    assert_eq!(run["error"], "canceled while running");
    assert!(
        r.log(remote).last().unwrap().ends_with("ended: canceled"),
        "{:?}",
        r.log(remote)
    );
    // Its key died with it; a finished run is nobody's.
    let revoked: Option<i64> = sqlx::query_scalar("SELECT revoked_at FROM api_keys WHERE id = $1")
        .bind(job["apiKeyId"].as_str().unwrap())
        .fetch_one(r.db.pool())
        .await
        .unwrap();
    assert!(revoked.is_some());
    assert_eq!(finish("completed").status, 409);
    assert_eq!(beat(&key, "box-1").status, 409);

    // The dashboard's list: who is online, where, for what.
    let agents = r.call("GET", "/api/agents", &r.viewer, None).json();
    let eu = &agents.as_array().unwrap()[0];
    assert_eq!(eu["name"], "eu-1", "{agents}");
    assert_eq!(eu["online"], true, "{agents}");
    assert_eq!(eu["host"], "box.eu", "{agents}");
    assert_eq!(eu["dataSources"], json!(["remote"]), "{agents}");
    assert_eq!(eu["executing"], 0, "{agents}");
    assert_eq!(agents[1]["dataSources"], json!([]), "{agents}");

    // An agent in use stays; a new key replaces the old one at once.
    let in_use = r.call("DELETE", "/api/agents/eu-1", &r.admin, None);
    assert_eq!(in_use.status, 409);
    assert!(in_use.text().contains("remote"), "{}", in_use.text());
    let rotated = r.call("POST", "/api/agents/eu-1/key", &r.admin, None);
    assert_eq!(rotated.status, 200);
    let new_key = rotated.json()["key"].as_str().unwrap().to_owned();
    assert_eq!(agent_call(&r, &key, "/claim", &hello).status, 401);
    assert_eq!(agent_call(&r, &new_key, "/claim", &hello).status, 204);
    let removed = r.call("DELETE", "/api/agents/us-1", &r.admin, None);
    assert_eq!(removed.status, 200);
    assert_eq!(agent_call(&r, &other_key, "/claim", &hello).status, 401);

    // A definition moved off the agent's data source while its run waits: the run's version
    // still names the agent's data source, so Seltzer does not run it (nor hand it over).
    define(
        &r,
        "moved",
        "remote",
        "# fake: echo moved\nchecks for orders:\n  - row_count > 0\n",
        &json!({}),
    );
    let waiting = r.run_now("moved");
    let moved = r.call(
        "PUT",
        "/api/scan-definitions/moved",
        &r.editor,
        Some(json!({"name": "moved", "dataSource": "shop",
                    "checks": "# fake: echo moved\nchecks for orders:\n  - row_count > 0\n"})),
    );
    assert_eq!(moved.status, 200, "{}", moved.text());
    let run = r.wait_for_end(waiting);
    assert_eq!(run["state"], "failed", "{run}");
    assert!(
        run["error"]
            .as_str()
            .unwrap()
            .contains("version 1 runs on the data source 'remote', which agent 'eu-1' runs"),
        "{run}"
    );
    assert!(!r.log(waiting).join("\n").contains("stdout: moved"));
}

/// Waits for the agent to log a line containing `text`.
fn agent_logged(agent: &AgentProcess, text: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = agent.log.recv_timeout(Duration::from_millis(200)) {
            let found = line.contains(text);
            seen.push(line);
            if found {
                return seen;
            }
        }
    }
    panic!("the agent never logged '{text}': {seen:#?}");
}

async fn a_seltzer_agent_runs_scans_with_its_own_environment(test_db: TestDb) {
    let r = Runs::start(&test_db, &fake_soda(), &[]).await;
    let key = register(&r, "eu-1");
    // `REMOTE_USER` is set where the agent runs, not where Seltzer does.
    remote_source(
        &r,
        "remote",
        "eu-1",
        "path: /data/shop.duckdb\npassword: ${secret:warehouse-password}\n\
         user: ${env:REMOTE_USER}\n",
    );
    define(
        &r,
        "remote daily",
        "remote",
        "# fake: echo hello from afar\n# fake: env\n# fake: config\n\
         checks for orders:\n  - row_count > 0\n",
        &json!({"variables": {"region": "eu"}}),
    );
    define(
        &r,
        "remote long",
        "remote",
        "# fake: child\n# fake: sleep 300\nchecks for orders:\n  - row_count > 0\n",
        &json!({}),
    );
    let agent = AgentProcess::start(&r.server, &key, &fake_soda(), &[("REMOTE_USER", "grace")]);
    agent_logged(&agent, "agent asking for work");
    let id = r.run_now("remote daily");
    let run = r.wait_for_end(id);
    let log = r.log(id);
    let text = log.join("\n");
    // The fake sends no results: judged by Seltzer as any run is.
    assert_eq!(run["state"], "failed", "{run}\n{text}");
    assert_eq!(run["error"], "Soda Core sent no results (exit code 0)");
    assert!(text.contains("on agent 'eu-1' ("), "{text}");
    assert!(text.contains("stdout: hello from afar"), "{text}");
    let started = log
        .iter()
        .find(|l| l.starts_with("stdout: fake soda: scan"))
        .unwrap();
    assert!(
        started.contains("-s remote daily") && started.contains("-v region=eu"),
        "{started}"
    );
    // The agent's environment gave the user; both references masked; the clean environment
    // holds what it holds in a Seltzer process.
    assert!(text.contains("env: SELTZER_REFERENCE_0=***"), "{text}");
    assert!(text.contains("env: SELTZER_REFERENCE_1=***"), "{text}");
    assert!(
        !text.contains("grace") && !text.contains(SECRET_VALUE),
        "{text}"
    );
    assert!(!text.contains("env: REMOTE_USER"), "{text}");
    // Soda Core posts to Seltzer at the agent's --server address.
    let port = r.server.addr.rsplit(':').next().unwrap();
    assert!(text.contains("config:   host: 127.0.0.1"), "{text}");
    assert!(
        text.contains(&format!("config:   port: '{port}'")),
        "{text}"
    );
    assert!(text.contains("config:   api_key_secret: ***"), "{text}");
    assert!(text.ends_with("seltzer: ended: failed"), "{text}");
    // The agent reported itself.
    let agents = r.call("GET", "/api/agents", &r.viewer, None).json();
    assert_eq!(agents[0]["online"], true, "{agents}");
    assert!(
        agents[0]["version"]
            .as_str()
            .unwrap()
            .contains("Soda Core 3: yes; Soda Core 4: no"),
        "{agents}"
    );

    // A cancel ends the scan's whole process group on the agent's machine.
    let long = r.run_now("remote long");
    let child = {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(pid) = r
                .log(long)
                .iter()
                .find_map(|l| l.strip_prefix("stdout: child ").map(str::to_owned))
            {
                break pid;
            }
            assert!(Instant::now() < deadline, "{:?}", r.log(long));
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let cancel = r.call(
        "DELETE",
        &format!("/api/v1/scans/run-{long}"),
        &r.editor,
        None,
    );
    assert_eq!(cancel.status, 200, "{}", cancel.text());
    let run = r.wait_for_end(long);
    assert_eq!(run["state"], "canceled", "{run}");
    assert!(!alive(&child), "the canceled scan's child lives on");
    // A definition whose data source needs what the agent lacks fails, saying so.
    let missing = r.call(
        "PUT",
        "/api/data-sources/remote",
        &r.admin,
        Some(json!({"name": "remote", "type": "duckdb", "agent": "eu-1",
                    "configuration": "path: /x\nuser: ${env:NOT_ON_THE_AGENT}\n"})),
    );
    assert_eq!(missing.status, 200, "{}", missing.text());
    let id = r.run_now("remote daily");
    let run = r.wait_for_end(id);
    assert_eq!(run["state"], "failed");
    assert!(
        run["error"]
            .as_str()
            .unwrap()
            .contains("${env:NOT_ON_THE_AGENT}, which is not set"),
        "{run}"
    );
}

async fn an_agent_that_dies_is_taken_over_and_a_wrong_key_stops_it(test_db: TestDb) {
    let r = Runs::start(&test_db, &fake_soda(), &["--run-lease-ms", "1500"]).await;
    let key = register(&r, "eu-1");
    remote_source(&r, "remote", "eu-1", "path: /data/shop.duckdb\n");
    define(
        &r,
        "fragile",
        "remote",
        "# fake: sleep 2\n# fake: echo done\nchecks for orders:\n  - row_count > 0\n",
        &json!({"maxAttempts": 2}),
    );
    let mut first = AgentProcess::start(&r.server, &key, &fake_soda(), &[]);
    let id = r.run_now("fragile");
    r.wait_for(id, &["executing"]);
    // `kill -9` of the agent: its lease lapses, Seltzer queues the run again.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let requeued = r.wait_for(id, &["queuing"]);
    assert_eq!(requeued["attempt"], 2, "{requeued}");
    // The lost attempt's key went with it (its Soda Core may still be running somewhere).
    let live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE run_id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .fetch_one(r.db.pool())
    .await
    .unwrap();
    assert_eq!(live, 0);
    let second = AgentProcess::start(&r.server, &key, &fake_soda(), &[]);
    let run = r.wait_for_end(id);
    assert_eq!(run["attempt"], 2, "{run}");
    assert_eq!(run["error"], "Soda Core sent no results (exit code 0)");
    let log = r.log(id).join("\n");
    assert!(
        log.contains("attempt 1 lost its runner (agent eu-1/")
            && log.contains(": no heartbeat); queued again as attempt 2"),
        "{log}"
    );
    assert!(log.contains("stdout: done"), "{log}");
    drop(second);
    // A key that is not (or no longer) an agent's stops the agent with a clear error.
    let mut wrong = AgentProcess::start(&r.server, "seltzer-agent-0000", &fake_soda(), &[]);
    let status = wrong.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let said: Vec<String> = wrong.log.iter().collect();
    assert!(
        said.iter()
            .any(|l| l.contains("Seltzer refused the agent key")),
        "{said:#?}"
    );
}

async fn real_soda_core_runs_on_an_agent(test_db: TestDb) {
    let Some(venv) = cached_venv("SELTZER_SODA_VENV", "soda-core-3.5.6", "soda") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let database = shop_database(&venv, data.path());
    // Seltzer itself has no Soda Core: only the agent can run it.
    let r = Runs::start(&test_db, Path::new("/nonexistent/soda"), &[]).await;
    let key = register(&r, "near-the-data");
    remote_source(
        &r,
        "shop",
        "near-the-data",
        &format!("path: {}\n", database.display()),
    );
    define(
        &r,
        "customers daily",
        "shop",
        "checks for customers:\n  - row_count > 0\n  - missing_count(email) = 0\n",
        &json!({}),
    );
    let _agent = AgentProcess::start(&r.server, &key, &venv.join("bin/soda"), &[]);
    let id = r.run_now("customers daily");
    let run = r.wait_for_end(id);
    let log = r.log(id).join("\n");
    assert_eq!(run["state"], "completedWithFailures", "{run}\n{log}");
    let scan_id = run["scanId"].as_i64().expect("the run's scan");
    let scan = r
        .call("GET", &format!("/api/scans/{scan_id}"), &r.viewer, None)
        .json();
    assert_eq!(scan["scan"]["definition"], "customers daily", "{scan}");
    assert_eq!(scan["checks"].as_array().unwrap().len(), 2, "{scan}");
    let v1 = r
        .call("GET", &format!("/api/v1/scans/run-{id}"), &r.viewer, None)
        .json();
    assert_eq!(v1["state"], "completedWithFailures", "{v1}");
    // Its key sent its one scan and died.
    let live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE run_id IS NOT NULL AND revoked_at IS NULL",
    )
    .fetch_one(r.db.pool())
    .await
    .unwrap();
    assert_eq!(live, 0);
}
