//! `cargo xtask chaos`: builds `shoal` and `shoal-chaos`, then runs a chaos run.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

/// Builds the binaries (debug, or release) and runs `shoal-chaos` with `args`.
pub fn run(root: &Path, release: bool, args: &[String]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = vec![
        "build",
        "-p",
        "shoal-node",
        "-p",
        "shoal-chaos",
        // `--bin shoal` would limit both packages to a binary named shoal.
        "--bins",
    ];
    if release {
        build.push("--release");
    }
    let status = Command::new(&cargo)
        .args(&build)
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("building the binaries failed ({status})");
    }
    let profile = if release { "release" } else { "debug" };
    let bin = target_dir(root).join(profile);
    let status = Command::new(bin.join("shoal-chaos"))
        .arg("--shoal")
        .arg(bin.join("shoal"))
        .args(args)
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("the chaos run failed ({status})");
    }
    Ok(())
}

/// Where cargo puts what it builds (`CARGO_TARGET_DIR`, else `target/`).
pub fn target_dir(root: &Path) -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}
