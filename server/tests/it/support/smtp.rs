//! A real SMTP server on a loopback port (aiosmtpd from PyPI, in the Soda Core virtualenv
//! `scripts/setup.sh --soda` creates), recording every message it accepts as JSON.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct SmtpServer {
    child: Child,
    out: tempfile::TempDir,
}

/// The Python with aiosmtpd: the Soda Core 3 virtualenv's.
fn python() -> Option<PathBuf> {
    let python =
        super::cached_venv("SELTZER_SODA_VENV", "soda-core-3.5.6", "python")?.join("bin/python");
    let has_aiosmtpd = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has_aiosmtpd {
        Some(python)
    } else {
        super::skip_or_fail(&format!(
            "no aiosmtpd for {} (scripts/setup.sh --soda installs it)",
            python.display()
        ));
        None
    }
}

/// A free loopback port (bound, then let go).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    /// An SMTP server on this port; `None` (a printed skip) where aiosmtpd is missing.
    pub fn start_on(port: u16) -> Option<Self> {
        let python = python()?;
        let out = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/support/smtp.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg("127.0.0.1")
            .arg(port.to_string())
            .arg(out.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready.trim(), "ready", "the SMTP server did not start");
        Some(Self { child, out })
    }

    pub fn received(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.out.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits until `n` messages have arrived (10 s at most), then a moment more to catch any
    /// that should not come; all that arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        super::wait_for_count(n, || self.received()).await
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
