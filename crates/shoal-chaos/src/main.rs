//! `shoal-chaos` (run it with `cargo xtask chaos`): starts a cluster of real `shoal`
//! processes, drives the checked `shoal verify` workload against it while a nemesis injects
//! faults on a schedule drawn from `--seed`, heals everything, requires the cluster to
//! recover (every shard led, every replica identical) within a bound, reads every key, and
//! checks the whole history for linearizability. Writes the history (JSON), the faults
//! (JSON), a summary and a timeline page to the output directory.
//!
//! Network faults are iptables rules between the nodes' own loopback addresses, inside a
//! network namespace the run creates for itself (`unshare --net`, needs root): nothing
//! outside the run is touched, and the rules vanish with it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use shoal_testkit::verify::{
    VerifyOptions, VerifyWorkload, check_with_expiry_bound, outcome_counts,
};

mod cluster;
mod nemesis;
mod net;
mod timeline;

use cluster::{Cluster, Shape};
use net::Net;

/// Set in the re-executed process that runs inside the run's network namespace.
const IN_NETNS: &str = "CHAOS_INSIDE_NETNS";

#[derive(Parser, Debug, Clone)]
#[command(
    name = "shoal-chaos",
    about = "Chaos run: faults against a real shoal cluster, with a checked history"
)]
struct Args {
    /// Seeds the fault schedule and the workload (the same seed replays the same schedule).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Length of the fault phase.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2m")]
    duration: Duration,
    #[arg(long, default_value_t = 5)]
    nodes: u64,
    #[arg(long, default_value_t = 3)]
    replication_factor: u32,
    #[arg(long, default_value_t = 8)]
    shards: u32,
    /// Concurrent workload clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Keys the workload shares.
    #[arg(long, default_value_t = 24)]
    keys: usize,
    /// Where results go (default target/chaos/seed-<seed>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The shoal binary (default: `shoal` next to this program).
    #[arg(long)]
    shoal: Option<PathBuf>,
    /// Skip the faults that need iptables in a network namespace of the run's own (root).
    #[arg(long)]
    no_network_faults: bool,
    /// Longest time the cluster may take to recover after the faults are healed.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "60s")]
    recovery_timeout: Duration,
    /// How long past its expiry a key may still be read (clock skew of the ClockSkew
    /// fault, at most 1.2 s, plus the read path).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2s")]
    expiry_bound: Duration,
    /// Refuse to run unless the schedule holds every fault kind (CI uses it).
    #[arg(long)]
    require_all_kinds: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !args.no_network_faults && std::env::var_os(IN_NETNS).is_none() {
        return reexec_in_netns();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs this program again inside a new network namespace.
fn reexec_in_netns() -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("error: cannot find this program: {error}");
            return ExitCode::FAILURE;
        }
    };
    let status = std::process::Command::new("unshare")
        .arg("--net")
        .arg("--")
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env(IN_NETNS, "1")
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) if status.code() == Some(1) => ExitCode::FAILURE,
        Ok(status) => {
            eprintln!(
                "error: the run in its own network namespace ended with {status}; network \
                 faults need root and `unshare --net` (util-linux) and iptables; \
                 --no-network-faults runs without them"
            );
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!(
                "error: cannot run `unshare --net`: {error}; --no-network-faults runs without network faults"
            );
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<bool> {
    let net = Net {
        enabled: !args.no_network_faults,
    };
    if net.enabled {
        net::loopback_up()?;
        net.heal()
            .context("iptables is needed for network faults")?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("target/chaos/seed-{}", args.seed)));
    if out.exists() {
        // Only ever delete an earlier run's output.
        if !out.join("schedule.json").exists() && out.read_dir()?.next().is_some() {
            bail!(
                "{} exists and is not the output of a chaos run; choose another --out",
                out.display()
            );
        }
        std::fs::remove_dir_all(&out).with_context(|| format!("clearing {}", out.display()))?;
    }
    std::fs::create_dir_all(&out)?;
    let out = out.canonicalize()?;
    let plan = nemesis::schedule(args.seed, args.duration, args.nodes, net.enabled);
    if args.require_all_kinds {
        let missing: Vec<_> = nemesis::FaultKind::ALL
            .into_iter()
            .filter(|kind| net.enabled || !kind.needs_network())
            .filter(|kind| !plan.iter().any(|p| p.kind == *kind))
            .collect();
        if !missing.is_empty() {
            bail!(
                "the schedule of seed {} over {} lacks {missing:?}: give a longer --duration",
                args.seed,
                humantime::format_duration(args.duration)
            );
        }
    }
    std::fs::write(
        out.join("schedule.json"),
        serde_json::to_string_pretty(&plan)?,
    )?;
    println!(
        "chaos: seed {}, {} nodes (RF {}, {} shards), {} faults planned over {}, {} clients on {} keys; output in {}",
        args.seed,
        args.nodes,
        args.replication_factor,
        args.shards,
        plan.len(),
        humantime::format_duration(args.duration),
        args.clients,
        args.keys,
        out.display()
    );

    let shoal = match &args.shoal {
        Some(path) => path.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("no parent directory")?
            .join("shoal"),
    };
    if !shoal.exists() {
        bail!(
            "{} does not exist (build it: cargo build -p shoal-node)",
            shoal.display()
        );
    }
    let shape = Shape {
        nodes: args.nodes,
        replication_factor: args.replication_factor,
        shards: args.shards,
    };
    let mut cluster = Cluster::start(&shoal, &out.join("nodes"), &shape)?;
    let formed = cluster
        .wait_converged(Duration::from_secs(90))
        .await
        .context("the cluster did not form")?;
    println!("cluster of {} nodes ready in {formed:.1?}", args.nodes);

    let options = VerifyOptions {
        endpoints: cluster.endpoints(),
        clients: args.clients,
        keys: args.keys,
        seed: args.seed,
        request_timeout: Duration::from_secs(3),
        think_time: Duration::from_millis(5),
        connect: cluster.connect(),
        ..VerifyOptions::default()
    };
    let mut workload = VerifyWorkload::new(options)?;
    let recorder = workload.recorder().clone();
    let started = tokio::time::Instant::now();
    let until = std::time::Instant::now() + args.duration;
    let load = tokio::spawn(async move {
        let result = workload.run(until).await;
        (workload, result)
    });
    let injected = nemesis::run(
        &plan,
        &mut cluster,
        net,
        &recorder,
        started,
        started + args.duration,
    )
    .await;
    let (mut workload, result) = load.await.context("the workload panicked")?;
    result?;
    nemesis::heal_all(&mut cluster, net).await;
    println!("faults over, everything healed; waiting for the cluster to recover");
    let recovery = cluster.wait_converged(args.recovery_timeout).await;
    let recovered = match &recovery {
        Ok(took) => {
            println!(
                "recovered in {took:.1?}: every node ready, every shard led, all replicas identical"
            );
            true
        }
        Err(error) => {
            println!("NOT RECOVERED: {error:#}");
            false
        }
    };
    let reads = workload
        .final_reads(std::time::Instant::now() + Duration::from_secs(30))
        .await;
    // Every replica of every shard holds the same state at the same log index.
    let consistency = cluster.check_consistency().await;
    let history = workload.history();
    std::fs::write(out.join("history.json"), history.to_json())?;
    std::fs::write(
        out.join("faults.json"),
        serde_json::to_string_pretty(&injected)?,
    )?;
    let report = check_with_expiry_bound(&history, args.expiry_bound);
    let anomalous: Vec<u64> = report
        .anomalies
        .iter()
        .flat_map(|a| a.operations.iter().map(|op| op.id))
        .collect();
    let title = format!("shoal chaos, seed {}", args.seed);
    std::fs::write(
        out.join("timeline.html"),
        timeline::render(&title, &history, &injected, &anomalous),
    )?;
    workload.cleanup().await;
    cluster.stop().await;

    let counts = outcome_counts(&history);
    let mut by_kind = std::collections::BTreeMap::<String, usize>::new();
    for fault in &injected {
        *by_kind.entry(format!("{:?}", fault.kind)).or_default() += 1;
    }
    let failed_faults = injected.iter().filter(|f| f.error.is_some()).count();
    let mut summary = format!(
        "seed {}: {} operations ({} ok, {} failed, {} outcome unknown) on {} keys; {} did not succeed after retries\n\
         faults injected: {} ({} with errors): {}\n\
         recovery: {}\n\
         final reads: {}\n\
         consistency check: {}\n\
         anomalies: {}\n",
        args.seed,
        history.len(),
        counts.ok,
        counts.failed,
        counts.indeterminate,
        args.keys,
        workload.unsuccessful(),
        injected.len(),
        failed_faults,
        by_kind
            .iter()
            .map(|(kind, n)| format!("{kind}×{n}"))
            .collect::<Vec<_>>()
            .join(", "),
        match &recovery {
            Ok(took) => format!("{took:.1?}"),
            Err(error) => format!("FAILED: {error:#}"),
        },
        match &reads {
            Ok(()) => "every key read".to_owned(),
            Err(error) => format!("FAILED: {error:#}"),
        },
        match &consistency {
            Ok(summary) => summary.clone(),
            Err(error) => format!("FAILED: {error:#}"),
        },
        report.anomalies.len() + report.anomalies_left_off,
    );
    let passed = recovered && reads.is_ok() && consistency.is_ok() && report.is_valid();
    if !report.is_valid() {
        summary.push_str(&format!("{report}\n"));
    }
    summary.push_str(if passed { "PASS\n" } else { "FAIL\n" });
    std::fs::write(out.join("summary.txt"), &summary)?;
    print!("{summary}");
    println!(
        "history: {}  timeline: {}",
        out.join("history.json").display(),
        out.join("timeline.html").display()
    );
    Ok(passed)
}
