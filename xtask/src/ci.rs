//! `cargo xtask ci`: the one command that runs the whole test suite, in the order that
//! fails fastest (formatting, lints, codegen freshness, then all tests).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Result, bail};

fn step(root: &Path, name: &str, program: &str, args: &[&str]) -> Result<()> {
    println!("==> {name}: {program} {}", args.join(" "));
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("step '{name}' failed ({status})");
    }
    println!("==> {name}: ok in {:.0?}", started.elapsed());
    Ok(())
}

/// Runs every check; stops at the first failure.
pub fn run(root: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    step(root, "format", &cargo, &["fmt", "--all", "--check"])?;
    step(
        root,
        "clippy",
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    crate::codegen::check(root)?;
    println!("==> codegen: generated code is up to date");
    step(
        root,
        "build binary",
        &cargo,
        &["build", "--locked", "-p", "shoal-node", "--bin", "shoal"],
    )?;
    step(
        root,
        "tests",
        &cargo,
        &["test", "--workspace", "--locked", "--no-fail-fast"],
    )?;
    Ok(())
}
