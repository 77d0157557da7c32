//! Compiles the app gallery (`gallery/*.toml` at the repository root) into the binary:
//! writes `$OUT_DIR/gallery_files.rs`, a sorted list of `(file name, include_str!(…))`.
//! Adding a file to `gallery/` is all it takes to add an application.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dir = manifest.join("../../gallery");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(String, PathBuf)> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .filter_map(|p| {
                let name = p.file_name()?.to_str()?.to_owned();
                Some((name, p))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut out = String::from(
        "/// The gallery files: (file name, contents), sorted by name.\n\
         pub(super) static FILES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        );
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out_dir.join("gallery_files.rs"), out) {
        println!("cargo:warning=cannot write gallery_files.rs: {e}");
        std::process::exit(1);
    }
}
