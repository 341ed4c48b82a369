//! The dashboard's files (Trunk's `dist/`): embedded in the binary at build time (see
//! `build.rs`), or read from a folder with `seltzer serve --dist DIR`.
//!
//! Any path that is not a file serves `index.html`, so client-side routes survive a reload.
//! Trunk puts a content hash in asset names (`main-0123456789abcdef.css`), and
//! `scripts/build-app.sh` puts the dashboard's wasm, its chunks and their JS in a folder named by
//! the hash of all of them (`app-0123456789abcdef/`); those are cached for a year, everything
//! else (index.html first) is revalidated on every load.
//!
//! Embedded files go out gzip-compressed at the best level, compressed once on first request
//! and kept: the dashboard's first load is a budget (300 KB), and the response compression
//! layer works at its default level on every request. Files from `--dist` go through that
//! layer as they are.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
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

/// The Content-Security-Policy of the dashboard's responses: everything from Seltzer itself,
/// nothing inline but the scripts of `index.html` (by hash: `scripts/build-app.sh` writes the
/// one that starts the wasm), wasm compiled (`'wasm-unsafe-eval'`), inline styles (Leptos and
/// ECharts set `style` attributes), and no framing by other sites (clickjacking).
pub fn content_security_policy(index_html: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let mut hashes = String::new();
    let mut rest = index_html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let Some(close) = after.find("</script>") else {
            break;
        };
        let tag = &after[..tag_end];
        if !tag.contains(" src=") && tag_end < close {
            let inline = &after[tag_end + 1..close];
            let digest = Sha256::digest(inline.as_bytes());
            hashes.push_str(" 'sha256-");
            hashes.push_str(&base64::engine::general_purpose::STANDARD.encode(digest));
            hashes.push('\'');
        }
        rest = &after[close + "</script>".len()..];
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

impl Assets {
    /// The dashboard's [`content_security_policy`], from its `index.html`.
    fn csp(&self) -> HeaderValue {
        static EMBEDDED: OnceLock<HeaderValue> = OnceLock::new();
        let make = |html: &[u8]| {
            HeaderValue::from_str(&content_security_policy(&String::from_utf8_lossy(html)))
                .unwrap_or(HeaderValue::from_static("frame-ancestors 'none'"))
        };
        match self {
            Self::Embedded => EMBEDDED
                .get_or_init(|| make(embedded_file("index.html").unwrap_or_default()))
                .clone(),
            // Read each time: `--dist` is for working on the dashboard, which rebuilds it.
            Self::Directory(dir) => {
                make(&std::fs::read(dir.join("index.html")).unwrap_or_default())
            }
        }
    }

    pub fn has_index(&self) -> bool {
        match self {
            Self::Embedded => embedded_file("index.html").is_some(),
            Self::Directory(dir) => dir.join("index.html").is_file(),
        }
    }

    /// The file's bytes, gzip-compressed when `gzip` (the client accepts it) and the file is
    /// embedded; the flag says whether they are.
    async fn read(&self, path: &str, gzip: bool) -> Option<(Vec<u8>, bool)> {
        match self {
            Self::Embedded => {
                let index = embedded_index(path)?;
                if gzip {
                    let compressed = tokio::task::spawn_blocking(move || embedded_gzip(index))
                        .await
                        .ok()?;
                    if let Some(bytes) = compressed {
                        return Some((bytes.to_vec(), true));
                    }
                }
                Some((embedded::FILES[index].1.to_vec(), false))
            }
            Self::Directory(dir) => {
                let rel = safe_relative_path(path)?;
                tokio::fs::read(dir.join(rel))
                    .await
                    .ok()
                    .map(|b| (b, false))
            }
        }
    }
}

fn embedded_index(path: &str) -> Option<usize> {
    embedded::FILES
        .binary_search_by(|(name, _)| name.cmp(&path))
        .ok()
}

fn embedded_file(path: &str) -> Option<&'static [u8]> {
    embedded_index(path).map(|i| embedded::FILES[i].1)
}

/// The embedded file at `index`, gzip-compressed at the best level the first time it is asked
/// for; `None` when compressing does not make it smaller (an icon of a few bytes).
fn embedded_gzip(index: usize) -> Option<&'static [u8]> {
    static GZIPPED: OnceLock<Vec<OnceLock<Option<Vec<u8>>>>> = OnceLock::new();
    let slots = GZIPPED.get_or_init(|| embedded::FILES.iter().map(|_| OnceLock::new()).collect());
    slots[index]
        .get_or_init(|| {
            let raw = embedded::FILES[index].1;
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(raw).ok()?;
            let compressed = encoder.finish().ok()?;
            (compressed.len() < raw.len()).then_some(compressed)
        })
        .as_deref()
}

/// Whether the request's `Accept-Encoding` takes gzip (and does not refuse it with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
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

pub(super) async fn serve(
    State(state): State<AppState>,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    let mut response = serve_file(&state, &uri, &request_headers).await;
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, state.assets.csp());
    response
}

async fn serve_file(state: &AppState, uri: &Uri, request_headers: &HeaderMap) -> Response {
    let gzip = accepts_gzip(request_headers);
    let path = uri.path().trim_start_matches('/');
    if !path.is_empty()
        && path != "index.html"
        && let Some(body) = state.assets.read(path, gzip).await
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
    match state.assets.read("index.html", gzip).await {
        Some(body) => file_response("text/html; charset=utf-8", "no-cache", body),
        None => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT_PAGE,
        )
            .into_response(),
    }
}

/// `body` with its headers; `gzipped` bodies say so (the compression layer then leaves them
/// alone) and vary by `Accept-Encoding`, so a cache never hands them to a client without gzip.
fn file_response(
    content_type: &str,
    cache_control: &'static str,
    (body, gzipped): (Vec<u8>, bool),
) -> Response {
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut response = (
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
        .into_response();
    if gzipped {
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_allowed_by_their_hash_only() {
        let html = "<head><script type=\"module\">import init from \"/app/f.js\";</script>\
                    <script src=\"/x.js\"></script></head>";
        let csp = content_security_policy(html);
        // printf %s 'import init from "/app/f.js";' | openssl dgst -sha256 -binary | base64
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-w8ZayT5fbxbIeJDfEgXD8TQ3bSPG047cfp0FyXcMm+0=';"),
            "{csp}"
        );
        assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }

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
    fn gzip_is_taken_unless_refused() {
        let accepts = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
            accepts_gzip(&headers)
        };
        assert!(accepts("gzip"));
        assert!(accepts("gzip, deflate, br, zstd"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts("*"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("br, identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn only_plain_relative_paths_are_read_from_disk() {
        assert!(safe_relative_path("a/b.js").is_some());
        assert!(safe_relative_path("../etc/passwd").is_none());
        assert!(safe_relative_path("/etc/passwd").is_none());
        assert!(safe_relative_path("a/../../b").is_none());
    }
}
