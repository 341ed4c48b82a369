//! The dashboard's files (Trunk's `dist/`): embedded in the binary at build time (see
//! `build.rs`), or read from a folder with `seltzer serve --dist DIR`.
//!
//! Any path that is not a file serves `index.html`, so client-side routes survive a reload.
//! Trunk puts a content hash in asset names (`main-0123456789abcdef.css`), and
//! `scripts/build-app.sh` puts the dashboard's wasm, its chunks and their JS in a folder named by
//! the hash of all of them (`app-0123456789abcdef/`); those are cached for a year, everything
//! else (index.html first) is revalidated on every load.

use std::path::{Component, Path, PathBuf};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::AppState;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_dist.rs"));
}

#[derive(Debug, Clone)]
pub enum Assets {
    /// The files compiled into this binary.
    Embedded,
    /// A folder on disk (frontend development).
    Directory(PathBuf),
}

/// Served when the binary was built before the dashboard was.
const NOT_BUILT_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Seltzer</title></head><body><h1>Seltzer</h1><p>The API is running, but this binary was \
built without the dashboard. Build it with <code>trunk build --release</code> and rebuild the \
server, or start with <code>seltzer serve --dist dist</code>.</p></body></html>";

impl Assets {
    pub fn has_index(&self) -> bool {
        match self {
            Self::Embedded => embedded_file("index.html").is_some(),
            Self::Directory(dir) => dir.join("index.html").is_file(),
        }
    }

    async fn read(&self, path: &str) -> Option<Vec<u8>> {
        match self {
            Self::Embedded => embedded_file(path).map(<[u8]>::to_vec),
            Self::Directory(dir) => {
                let rel = safe_relative_path(path)?;
                tokio::fs::read(dir.join(rel)).await.ok()
            }
        }
    }
}

fn embedded_file(path: &str) -> Option<&'static [u8]> {
    embedded::FILES
        .binary_search_by(|(name, _)| name.cmp(&path))
        .ok()
        .map(|i| embedded::FILES[i].1)
}

/// Only plain relative paths: no `..`, no absolute paths, so `--dist` cannot leak other files.
fn safe_relative_path(path: &str) -> Option<&Path> {
    let p = Path::new(path);
    p.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(p)
}

/// Trunk's hashed names carry 16 hex digits after a dash, e.g. `main-1a2b3c4d5e6f7a8b.css`;
/// the split dashboard's files sit in `app-<16 hex digits>/`.
fn is_content_hashed(path: &str) -> bool {
    let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
    let hashed_folder = folder.split('/').any(|f| {
        f.strip_prefix("app-")
            .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    hashed_folder
        || name.match_indices('-').any(|(i, _)| {
            let hash = &name.as_bytes()[i + 1..];
            hash.len() > 16
                && hash[..16].iter().all(u8::is_ascii_hexdigit)
                && !hash[16].is_ascii_hexdigit()
        })
}

pub(super) async fn serve(State(state): State<AppState>, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if !path.is_empty()
        && path != "index.html"
        && let Some(body) = state.assets.read(path).await
    {
        let mime = mime_guess::from_path(path).first_or_octet_stream();
        let cache = if is_content_hashed(path) {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return file_response(mime.as_ref(), cache, body);
    }
    // A missing file of a split build is a stale tab asking for the chunk of an older build:
    // index.html in its place would fail as "not wasm"; a 404 says what happened.
    if path.starts_with("app-") && path.contains('/') {
        return (
            StatusCode::NOT_FOUND,
            "no such file in this build of the dashboard",
        )
            .into_response();
    }
    match state.assets.read("index.html").await {
        Some(body) => file_response("text/html; charset=utf-8", "no-cache", body),
        None => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT_PAGE,
        )
            .into_response(),
    }
}

fn file_response(content_type: &str, cache_control: &'static str, body: Vec<u8>) -> Response {
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_hashed_names_are_recognised() {
        assert!(is_content_hashed("frontend-1a2b3c4d5e6f7a8b_bg.wasm"));
        assert!(is_content_hashed("main-0123456789abcdef.css"));
        assert!(is_content_hashed("echarts.min-0123456789abcdef.js"));
        assert!(!is_content_hashed("index.html"));
        assert!(!is_content_hashed("echarts.min.js"));
        assert!(!is_content_hashed("my-file.js"));
        assert!(is_content_hashed("app-0123456789abcdef/frontend_bg.wasm"));
        assert!(is_content_hashed("app-0123456789abcdef/chunk_12.wasm"));
        assert!(!is_content_hashed("app-0123456789abcdeg/chunk_12.wasm"));
        assert!(!is_content_hashed("app-0123456789abcdef0/chunk_12.wasm"));
        assert!(!is_content_hashed("app-0123456789abcdef"));
    }

    #[test]
    fn only_plain_relative_paths_are_read_from_disk() {
        assert!(safe_relative_path("a/b.js").is_some());
        assert!(safe_relative_path("../etc/passwd").is_none());
        assert!(safe_relative_path("/etc/passwd").is_none());
        assert!(safe_relative_path("a/../../b").is_none());
    }
}
