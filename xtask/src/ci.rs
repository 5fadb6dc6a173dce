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
        "build binaries",
        &cargo,
        &[
            "build",
            "--locked",
            "-p",
            "shoal-node",
            "-p",
            "shoal-chaos",
            "--bins",
        ],
    )?;
    let (mut passed, mut failed, mut ignored) = run_tests(root, &cargo)?;
    // The Compose cluster in real containers (skipped, and said so, without Docker).
    println!("==> containers: the Docker Compose cluster of deploy/compose");
    let started = Instant::now();
    match crate::containers::run(root, &crate::chaos::target_dir(root).join("debug/shoal")) {
        Ok(Some(_)) => {
            passed += 1;
            println!("==> containers: ok in {:.0?}", started.elapsed());
        }
        Ok(None) => ignored += 1,
        Err(error) => {
            failed += 1;
            println!(
                "==> containers: FAILED in {:.0?}: {error:#}",
                started.elapsed()
            );
        }
    }
    // A short chaos run with a fixed seed, long enough for every fault kind.
    println!("==> chaos: seed 1, 2 minutes of faults");
    let started = Instant::now();
    match crate::chaos::run(
        root,
        false,
        &[
            "--seed".into(),
            "1".into(),
            "--duration".into(),
            CI_CHAOS_DURATION.into(),
            "--require-all-kinds".into(),
        ],
    ) {
        Ok(()) => {
            passed += 1;
            println!("==> chaos: ok in {:.0?}", started.elapsed());
        }
        Err(error) => {
            failed += 1;
            println!("==> chaos: FAILED in {:.0?}: {error:#}", started.elapsed());
        }
    }
    println!("tests and chaos: {passed} passed, {failed} failed, {ignored} skipped");
    if failed > 0 {
        bail!("{failed} failed");
    }
    Ok(())
}

/// Fault phase of the CI chaos run: seed 1's schedule holds every fault kind within it.
const CI_CHAOS_DURATION: &str = "120s";

/// Runs every test, echoing the output; returns the passed, failed and ignored counts over
/// all test binaries.
fn run_tests(root: &Path, cargo: &str) -> Result<(u64, u64, u64)> {
    let args = ["test", "--workspace", "--locked", "--no-fail-fast"];
    println!("==> tests: {cargo} {}", args.join(" "));
    let started = Instant::now();
    let mut child = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .stdout(Stdio::piped())
        .spawn()?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    for line in BufReader::new(child.stdout.take().expect("piped stdout")).lines() {
        let line = line?;
        println!("{line}");
        if let Some(result) = line.strip_prefix("test result: ") {
            let count = |label: &str| {
                result
                    .split(';')
                    .find_map(|part| {
                        part.trim()
                            .trim_start_matches("ok. ")
                            .trim_start_matches("FAILED. ")
                            .strip_suffix(label)
                    })
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .unwrap_or(0)
            };
            passed += count(" passed");
            failed += count(" failed");
            ignored += count(" ignored");
        }
    }
    let status = child.wait()?;
    println!("==> tests: done in {:.0?}", started.elapsed());
    if !status.success() && failed == 0 {
        bail!("step 'tests' failed ({status}) without a failing test (a build error?)");
    }
    Ok((passed, failed, ignored))
}
