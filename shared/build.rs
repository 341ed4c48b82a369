//! Lists the SodaCL corpus for the tests, so that the same differential test runs natively and
//! as wasm in the browser (where there is no file system to read the corpus from).

use std::fmt::Write;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let out_dir = std::env::var("OUT_DIR").unwrap_or_default();
    let mut code = String::from(
        "/// Corpus files: (directory, base name, checks YAML, oracle verdict JSON).\n\
         pub const CORPUS: &[(&str, &str, &str, &str)] = &[\n",
    );
    let mut companions = String::from(
        "/// Every file of each corpus directory (for `sql_file` references).\n\
         pub const COMPANIONS: &[(&str, &str)] = &[\n",
    );
    for dir in ["sodacl-corpus", "sodacl-extra"] {
        let path = Path::new(&manifest).join("tests/data").join(dir);
        println!("cargo:rerun-if-changed={}", path.display());
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in &names {
            let _ = writeln!(companions, "    ({dir:?}, {name:?}),");
            if let Some(stem) = name.strip_suffix(".expected.json") {
                let yml = path.join(format!("{stem}.yml"));
                let json = path.join(name);
                let _ = writeln!(
                    code,
                    "    ({dir:?}, {stem:?}, include_str!({:?}), include_str!({:?})),",
                    yml.display().to_string(),
                    json.display().to_string()
                );
            }
        }
    }
    code.push_str("];\n");
    companions.push_str("];\n");
    code.push_str(&companions);
    let _ = std::fs::write(Path::new(&out_dir).join("sodacl_corpus.rs"), code);
}
