//! Protobuf code generation without a system `protoc`: `protox` parses `proto/`
//! into a descriptor set, `tonic-prost-build` turns it into Rust.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Where the generated code lives, relative to the workspace root.
pub const OUTPUT_DIR: &str = "crates/shoal-proto/src/gen";

/// Every `.proto` file compiled, relative to `proto/`.
const PROTO_FILES: &[&str] = &[
    "shoal/v1/kv.proto",
    "shoal/v1/cluster.proto",
    "shoal/internal/v1/raft.proto",
    "shoal/internal/v1/control.proto",
];

/// Regenerates the checked-in code. Returns the number of files written.
pub fn generate(root: &Path) -> Result<usize> {
    let output = root.join(OUTPUT_DIR);
    fs::create_dir_all(&output).with_context(|| format!("creating {}", output.display()))?;
    let scratch = tempfile::tempdir()?;
    let files = generate_into(root, scratch.path())?;
    for (name, contents) in &files {
        fs::write(output.join(name), contents).with_context(|| format!("writing {name}"))?;
    }
    Ok(files.len())
}

/// Fails when the checked-in code differs from what `proto/` generates now.
pub fn check(root: &Path) -> Result<()> {
    let output = root.join(OUTPUT_DIR);
    let scratch = tempfile::tempdir()?;
    let mut stale = Vec::new();
    for (name, contents) in generate_into(root, scratch.path())? {
        let current = fs::read_to_string(output.join(&name)).unwrap_or_default();
        if current != contents {
            stale.push(name);
        }
    }
    if !stale.is_empty() {
        bail!(
            "generated code in {OUTPUT_DIR} is stale ({}): run `cargo xtask codegen` and commit the result",
            stale.join(", ")
        );
    }
    Ok(())
}

/// Generates into `scratch` and returns `(file name, contents)` pairs, sorted.
fn generate_into(root: &Path, scratch: &Path) -> Result<Vec<(String, String)>> {
    let proto_root = root.join("proto");
    let files: Vec<PathBuf> = PROTO_FILES
        .iter()
        .map(|file| proto_root.join(file))
        .collect();
    let descriptors =
        protox::compile(&files, [&proto_root]).context("compiling proto/ with protox")?;
    let encoded = prost::Message::encode_to_vec(&descriptors);
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .emit_rerun_if_changed(false)
        .out_dir(scratch)
        .compile_fds(descriptors)
        .context("generating Rust code with tonic-prost-build")?;
    // serde impls in the proto3 JSON mapping, for the public API only (`--json` output).
    pbjson_build::Builder::new()
        .register_descriptors(&encoded)
        .context("reading the descriptor set for pbjson")?
        .out_dir(scratch)
        .build(&[".shoal.v1"])
        .context("generating proto3 JSON mapping with pbjson-build")?;
    let mut generated = Vec::new();
    for entry in fs::read_dir(scratch)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .context("odd file name")?
            .to_owned();
        generated.push((name, fs::read_to_string(&path)?));
    }
    generated.sort();
    Ok(generated)
}
