//! The layers of `server/src`, checked on the source: `cli` → `backtest` → `http`, `seed`,
//! `validate` →
//! `storage` → `soda` (what Soda Core sends and asks) → `config`, `credentials`, `timestamp`.
//! A module names (`crate::…`) only modules of a lower layer, so no import circle can form, and
//! `soda` never reaches `http` or `storage`.

use std::path::Path;

/// Each top-level module of `server/src` and its layer (higher layers use lower ones).
const LAYERS: &[(&str, u8)] = &[
    ("cli", 6),
    ("backtest", 5),
    ("http", 5),
    ("notify", 4),
    ("runner", 4),
    ("agent", 5),
    ("seed", 4),
    ("validate", 4),
    ("venvs", 2),
    ("storage", 3),
    ("soda", 2),
    ("config", 1),
    ("credentials", 1),
    ("schedule", 2),
    ("secrets", 2),
    ("timestamp", 1),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// `(file, module it names)` for every `crate::module` path in the file or folder `path`.
fn references(path: &Path, out: &mut Vec<(String, String)>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            references(&entry.unwrap().path(), out);
        }
        return;
    }
    if path.extension().is_none_or(|e| e != "rs") {
        return;
    }
    let text = std::fs::read_to_string(path).unwrap();
    for (i, _) in text.match_indices("crate::") {
        let name: String = text[i + 7..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        out.push((path.display().to_string(), name));
    }
}

#[test]
fn modules_use_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut modules = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let layer_of = layer(&name).unwrap_or_else(|| {
            panic!("src/{name} has no layer: add it to LAYERS in tests/it/layers.rs")
        });
        let mut refs = Vec::new();
        references(&path, &mut refs);
        for (file, used) in refs {
            if used == name {
                continue;
            }
            match layer(&used) {
                Some(l) if l < layer_of => {}
                // The crate root's re-exports (`crate::run`, `crate::StorageError`) are for
                // the command line only.
                None if name == "cli" => {}
                _ => wrong.push(format!("{file} uses crate::{used}")),
            }
        }
        modules.push(name);
    }
    assert!(
        wrong.is_empty(),
        "against the layers:\n{}",
        wrong.join("\n")
    );
    assert!(modules.len() >= LAYERS.len(), "{modules:?}");
}
