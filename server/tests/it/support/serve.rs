//! A real `seltzer serve` process on a random loopback port.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use server::storage::{Database, NewApiKey};
use shared::api::Role;

/// A `seltzer serve` child process on a random loopback port. Killed when dropped.
pub struct RunningServer {
    pub child: Child,
    pub addr: String,
    pub log: mpsc::Receiver<String>,
}

impl RunningServer {
    /// Starts the binary with `args` after `serve --bind 127.0.0.1:0`, and waits for the log
    /// line that names the port.
    pub fn start(database_url: &str, extra_args: &[&str]) -> Self {
        Self::start_with_env(database_url, extra_args, &[])
    }

    /// `start`, with these environment variables set too.
    pub fn start_with_env(database_url: &str, extra_args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_seltzer"))
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .args(extra_args)
            .envs(env.iter().copied())
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start seltzer");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining even when nobody listens, or the server would block on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let addr = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("seltzer did not log 'listening on' within 60 s");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().expect("address").to_owned();
            }
        };
        Self {
            child,
            addr,
            log: rx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGTERM and waits for the exit status; also returns what it logged meanwhile.
    pub fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let exit = self.child.wait().expect("wait for seltzer");
        let mut log = Vec::new();
        while let Ok(line) = self.log.recv_timeout(Duration::from_secs(5)) {
            log.push(line);
        }
        (exit, log)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a real Soda Core client is pointed at: a migrated database, an API key of a role, and
/// a `seltzer serve` on it.
pub struct SodaCoreTarget {
    pub db: Database,
    pub key: NewApiKey,
    pub server: RunningServer,
}

impl SodaCoreTarget {
    pub async fn start(database_url: &str, key_name: &str, role: Role) -> Self {
        let db = Database::connect(database_url).await.expect("connect");
        db.migrate().await.expect("migrate");
        let key = db
            .create_api_key(key_name, role)
            .await
            .expect("create the key");
        let server = RunningServer::start(database_url, &[]);
        Self { db, key, server }
    }

    /// Stops the server, then closes the database.
    pub async fn close(self) {
        drop(self.server);
        self.db.close().await;
    }

    /// The port, as `soda_cloud.yml` and the fixtures' drivers take it.
    pub fn port(&self) -> String {
        self.server
            .addr
            .rsplit(':')
            .next()
            .expect("a port")
            .to_owned()
    }
}
