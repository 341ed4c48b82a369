//! `GET /api/health`: is the server up, which version, which storage engine.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `"ok"` when the server answers and its database answers a query.
    pub status: String,
    /// The Seltzer version (the server crate's version).
    pub version: String,
    pub database: DatabaseEngine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DatabaseEngine {
    Sqlite,
    Postgres,
}

impl DatabaseEngine {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_wire_format() {
        let health = Health {
            status: "ok".into(),
            version: "0.1.0".into(),
            database: DatabaseEngine::Postgres,
        };
        assert_eq!(
            serde_json::to_string(&health).unwrap(),
            r#"{"status":"ok","version":"0.1.0","database":"postgres"}"#
        );
    }

    /// Runs in headless Chromium too (`cargo test -p shared --target wasm32-unknown-unknown`),
    /// proving the API types decode the same way in the browser.
    #[cfg(target_arch = "wasm32")]
    mod in_browser {
        use super::super::*;
        use wasm_bindgen_test::wasm_bindgen_test;

        wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

        #[wasm_bindgen_test]
        fn health_decodes_in_the_browser() {
            let health: Health =
                serde_json::from_str(r#"{"status":"ok","version":"1.2.3","database":"sqlite"}"#)
                    .unwrap();
            assert_eq!(health.database, DatabaseEngine::Sqlite);
            assert_eq!(health.database.as_str(), "sqlite");
        }
    }
}
