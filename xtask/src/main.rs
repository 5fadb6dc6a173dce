//! `cargo xtask`: contributor tasks (code generation, and later chaos and bench drivers).

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
    /// codegen freshness, and every test of the workspace.
    Ci,
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
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
