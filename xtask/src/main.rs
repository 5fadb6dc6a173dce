//! `cargo xtask`: contributor tasks (code generation, the CI suite, chaos runs).

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "shoal contributor tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile `proto/` into the checked-in Rust code of `shoal-proto`.
    Codegen {
        /// Fail instead of writing when the checked-in code is stale.
        #[arg(long)]
        check: bool,
    },
    /// The whole test suite, as CI runs it: formatting, clippy with warnings denied,
    /// codegen freshness, every test of the workspace, and a short chaos run.
    Ci,
    /// A chaos run: a cluster of real shoal processes, faults from a seeded schedule, and a
    /// linearizability check of everything clients saw. Builds the binaries first; every
    /// argument after `--release` goes to shoal-chaos (try `cargo xtask chaos --help-run`).
    /// shoal against etcd on this machine: fresh 3-node clusters of each, the same load
    /// generator, interleaved repetitions, busy runs dropped; writes a ratio table to
    /// docs/benchmarks/bench-compare.md. Installs etcd (apt-get) when it is missing; set
    /// SHOAL=path to skip the release build.
    BenchCompare {
        /// Measured time per run (after a 3 s warm-up).
        #[arg(long, default_value = "10s")]
        duration: String,
        /// Repetitions of every workload on each system.
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Only these workloads (put, get, get-stale, mixed, batch); default all.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Secure shoal (mTLS, TLS, API keys) against plaintext shoal instead of etcd:
        /// the cost of security, in docs/benchmarks/bench-compare-tls.md.
        #[arg(long)]
        tls: bool,
    },
    /// The container image of shoal (`FROM scratch`: the binary, the libraries it links,
    /// nothing pulled), built with the local Docker engine from a release build (or
    /// --binary) and tagged shoal:<version> and shoal:latest; prints its size.
    Image {
        /// Put this binary in the image instead of building the release one.
        #[arg(long)]
        binary: Option<PathBuf>,
    },
    /// The Docker Compose cluster of deploy/compose exercised with real containers: image
    /// from --binary (default target/debug/shoal), up, verify through a kill and restart
    /// of the node leading the most shards, consistency check, tear-down. Skips when there
    /// is no Docker engine.
    Containers {
        #[arg(long)]
        binary: Option<PathBuf>,
    },
    Chaos {
        /// Build and run optimized binaries (slower to build, closer to production).
        #[arg(long)]
        release: bool,
        /// Show shoal-chaos's own options.
        #[arg(long)]
        help_run: bool,
        /// Arguments for shoal-chaos, e.g. --seed 7 --duration 10m.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Codegen { check } => {
            let root = workspace_root();
            if check {
                xtask::codegen::check(&root)?;
                println!("generated code is up to date");
            } else {
                let written = xtask::codegen::generate(&root)?;
                println!("wrote {written} file(s) to {}", xtask::codegen::OUTPUT_DIR);
            }
        }
        Command::Ci => xtask::ci::run(&workspace_root())?,
        Command::BenchCompare {
            duration,
            reps,
            only,
            tls,
        } => xtask::bench::run(
            &workspace_root(),
            &xtask::bench::Options {
                duration,
                reps,
                only,
                tls,
            },
        )?,
        Command::Image { binary } => {
            let root = workspace_root();
            let binary = match binary {
                Some(binary) => binary,
                None => {
                    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                    let status = std::process::Command::new(cargo)
                        .args([
                            "build",
                            "--release",
                            "--locked",
                            "-p",
                            "shoal-node",
                            "--bin",
                            "shoal",
                        ])
                        .current_dir(&root)
                        .status()?;
                    anyhow::ensure!(status.success(), "the release build failed");
                    xtask::chaos::target_dir(&root).join("release/shoal")
                }
            };
            let version = env!("CARGO_PKG_VERSION");
            let tag = format!("shoal:{version}");
            let size = xtask::image::build(&xtask::image::ImageRequest {
                binary,
                dockerfile: root.join("deploy/docker/Dockerfile"),
                tag: tag.clone(),
                version: version.into(),
                revision: xtask::containers::git_revision(&root),
            })?;
            let status = std::process::Command::new("docker")
                .args(["tag", &tag, "shoal:latest"])
                .status()?;
            anyhow::ensure!(status.success(), "docker tag failed");
            println!(
                "built {tag} (also shoal:latest): {:.1} MB",
                size as f64 / 1e6
            );
        }
        Command::Containers { binary } => {
            let root = workspace_root();
            let binary =
                binary.unwrap_or_else(|| xtask::chaos::target_dir(&root).join("debug/shoal"));
            xtask::containers::run(&root, &binary)?;
        }
        Command::Chaos {
            release,
            help_run,
            mut args,
        } => {
            if help_run {
                args.push("--help".into());
            }
            xtask::chaos::run(&workspace_root(), release, &args)?
        }
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
