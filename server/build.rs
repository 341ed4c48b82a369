//! Embeds the built dashboard (Trunk's `dist/`) into the binary, so deploying Seltzer is copying
//! one file. Generates `$OUT_DIR/embedded_dist.rs` with one `include_bytes!` per file.
//!
//! `SELTZER_DIST` points at another folder (default: `dist/` at the workspace root). When the
//! folder does not exist yet (a `cargo build` before `trunk build`) it is created empty: cargo
//! reruns a build script on every build while a watched path is missing, which would rebuild the
//! server each time; an empty folder embeds nothing and the server explains how to build the UI.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    // `sqlx::migrate!` embeds the migration files, but cargo only rebuilds for a new one when told.
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=SELTZER_DIST");
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dist = env::var_os("SELTZER_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../dist"));
    if !dist.exists() {
        fs::create_dir_all(&dist).expect("create the empty dist folder");
    }
    let dist = dist.canonicalize().expect("dist folder path");
    println!("cargo:rerun-if-changed={}", dist.display());

    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();

    let mut out = String::from("pub(crate) static FILES: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in &files {
        writeln!(out, "    ({rel:?}, include_bytes!({abs:?})),").expect("write to string");
    }
    out.push_str("];\n");
    let out_path =
        PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("embedded_dist.rs");
    fs::write(out_path, out).expect("write embedded_dist.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read dist folder")
        .map(|e| e.expect("dist entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Trunk stages its next build in dist/.stage; never embed that.
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel = path
                .strip_prefix(root)
                .expect("inside dist")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((rel, path.display().to_string()));
        }
    }
}
