//! The virtualenvs Seltzer runs Soda Core from: one per Soda Core (3.5.6 for checks files, 4
//! for contracts) under one folder, each with the packages of the data source types it scans,
//! from PyPI. `seltzer soda-install` makes them; `seltzer serve --soda-v3/--soda-v4` names
//! their `soda`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use shared::api::Engine;

/// The Soda Core versions Seltzer speaks.
pub const SODA_V3: &str = "3.5.6";
pub const SODA_V4: &str = "4.28.0";

/// One virtualenv to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Venv {
    pub engine: Engine,
    pub dir: PathBuf,
    /// What `pip install` gets, pinned.
    pub packages: Vec<String>,
}

impl Venv {
    /// The virtualenv for `engine` under `root`, for data sources of these types.
    pub fn plan(root: &Path, engine: Engine, types: &BTreeSet<String>) -> Self {
        let mut packages = Vec::new();
        let dir = match engine {
            Engine::V3 => {
                for t in types {
                    packages.push(format!("soda-core-{t}=={SODA_V3}"));
                }
                // soda-core-duckdb 3.5.6 fails on DuckDB 1.1 and later; Soda Core 3 imports
                // distutils, gone from Python 3.12's standard library.
                if types.contains("duckdb") {
                    packages.push("duckdb<1.1.0".to_owned());
                }
                packages.push("setuptools".to_owned());
                root.join(format!("soda-core-{SODA_V3}"))
            }
            Engine::V4 => {
                packages.push(format!("soda-core=={SODA_V4}"));
                for t in types {
                    packages.push(format!("soda-{t}=={SODA_V4}"));
                }
                root.join(format!("soda-core-{SODA_V4}"))
            }
        };
        Self {
            engine,
            dir,
            packages,
        }
    }

    /// Its `soda` command.
    pub fn soda(&self) -> PathBuf {
        self.dir.join("bin/soda")
    }

    /// The commands that make it, as a shell would run them.
    pub fn commands(&self, python: &str) -> Vec<Vec<String>> {
        let pip = self.dir.join("bin/pip").to_string_lossy().into_owned();
        let mut install = vec![pip.clone(), "install".to_owned(), "-q".to_owned()];
        install.extend(self.packages.iter().cloned());
        vec![
            vec![
                python.to_owned(),
                "-m".to_owned(),
                "venv".to_owned(),
                self.dir.to_string_lossy().into_owned(),
            ],
            vec![
                pip,
                "install".to_owned(),
                "-q".to_owned(),
                "--upgrade".to_owned(),
                "pip".to_owned(),
            ],
            install,
        ]
    }

    /// Runs [`Venv::commands`], each after the one before succeeded.
    pub fn install(&self, python: &str) -> Result<(), String> {
        for command in self.commands(python) {
            let (program, args) = command.split_first().ok_or("empty command")?;
            let status = Command::new(program)
                .args(args)
                .status()
                .map_err(|e| format!("cannot run {program}: {e}"))?;
            if !status.success() {
                return Err(format!("`{}` failed ({status})", command.join(" ")));
            }
        }
        Ok(())
    }
}

/// Data source types as PyPI names them (`spark_df` → `spark-df`), without odd characters.
pub fn package_type(source_type: &str) -> Option<String> {
    let t = source_type.trim().to_ascii_lowercase().replace('_', "-");
    (!t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_soda_core_gets_its_packages_pinned() {
        let types: BTreeSet<String> = ["duckdb", "postgres"].map(str::to_owned).into();
        let v3 = Venv::plan(Path::new("/opt/soda"), Engine::V3, &types);
        assert_eq!(v3.dir, Path::new("/opt/soda/soda-core-3.5.6"));
        assert_eq!(
            v3.packages,
            [
                "soda-core-duckdb==3.5.6",
                "soda-core-postgres==3.5.6",
                "duckdb<1.1.0",
                "setuptools"
            ]
        );
        let v4 = Venv::plan(Path::new("/opt/soda"), Engine::V4, &types);
        assert_eq!(v4.soda(), Path::new("/opt/soda/soda-core-4.28.0/bin/soda"));
        assert_eq!(
            v4.packages,
            [
                "soda-core==4.28.0",
                "soda-duckdb==4.28.0",
                "soda-postgres==4.28.0"
            ]
        );
        assert_eq!(package_type("Spark_DF").as_deref(), Some("spark-df"));
        assert_eq!(package_type("a b"), None);
    }
}
