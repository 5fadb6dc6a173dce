//! `cargo xtask bench-compare`: shoal against etcd on this machine, with the same load
//! generator (`shoal bench`), fresh 3-node clusters of each, several interleaved
//! repetitions, runs dropped when something else was using the machine, and a ratio table
//! written to `docs/benchmarks/bench-compare.md`, with a chart of it in
//! `docs/benchmarks/bench-compare.png`.
//!
//! A benchmark, never a test: it asserts nothing. Everything runs on loopback.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// One row of the table: what the client does and how many requests it keeps in flight.
struct Workload {
    name: &'static str,
    /// `shoal bench --workload`.
    kind: &'static str,
    clients: usize,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "put, 64 in flight",
        kind: "put",
        clients: 64,
    },
    Workload {
        name: "put, 256 in flight",
        kind: "put",
        clients: 256,
    },
    Workload {
        name: "linearizable get",
        kind: "get",
        clients: 64,
    },
    Workload {
        name: "stale get",
        kind: "get-stale",
        clients: 64,
    },
    Workload {
        name: "mixed 90% get / 10% put",
        kind: "mixed",
        clients: 64,
    },
    Workload {
        name: "batch of 100 puts (keys/s)",
        kind: "batch",
        clients: 16,
    },
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum System {
    /// `shoal dev --insecure`: plaintext, no API keys (like etcd's defaults).
    Shoal,
    /// `shoal dev`: mTLS between the nodes, signed gossip, TLS and API keys for clients.
    ShoalSecure,
    Etcd,
}

impl System {
    fn label(self) -> &'static str {
        match self {
            System::Shoal => "shoal",
            System::ShoalSecure => "shoal secure",
            System::Etcd => "etcd",
        }
    }
}

/// What one run measured.
#[derive(Clone, Debug)]
struct Run {
    ops_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Server CPU (all members) per operation, warm-up included.
    cpu_us_per_op: f64,
}

pub struct Options {
    pub duration: String,
    pub reps: usize,
    /// Names of rows to run (their `kind`); empty = all.
    pub only: Vec<String>,
    /// Secure shoal against plaintext shoal (the cost of TLS and API keys) instead of
    /// shoal against etcd.
    pub tls: bool,
}

const SHOAL_CLIENTS: &str = "127.0.0.1:15444,127.0.0.1:15544,127.0.0.1:15644";
const ETCD_CLIENTS: &str = "127.0.0.1:12379,127.0.0.1:22379,127.0.0.1:32379";
/// A run is dropped when processes other than the servers and the client used more than
/// this share of the machine's CPU during it.
const BUSY_SHARE: f64 = 0.15;

pub fn run(root: &Path, options: &Options) -> Result<()> {
    let shoal = match std::env::var_os("SHOAL") {
        Some(path) => PathBuf::from(path),
        None => {
            let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["build", "--release", "-p", "shoal-node", "--bin", "shoal"])
                .current_dir(root)
                .status()?;
            if !status.success() {
                bail!("building the release binary failed");
            }
            root.join("target/release/shoal")
        }
    };
    let (subject, peer) = if options.tls {
        (System::ShoalSecure, System::Shoal)
    } else {
        ensure_etcd()?;
        (System::Shoal, System::Etcd)
    };
    let rows: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| options.only.is_empty() || options.only.iter().any(|o| o == w.kind))
        .collect();
    if rows.is_empty() {
        bail!("no workload matches {:?}", options.only);
    }
    let mut results: Vec<(Vec<Run>, Vec<Run>, usize)> = vec![(vec![], vec![], 0); rows.len()];
    for rep in 0..options.reps {
        for (row, workload) in rows.iter().enumerate() {
            // Alternate which system goes first, so a drift of the machine's speed during
            // a repetition does not always favour the same one.
            let order = if rep % 2 == 0 {
                [subject, peer]
            } else {
                [peer, subject]
            };
            for system in order {
                eprintln!(
                    "==> rep {}/{}: {} on {system:?}",
                    rep + 1,
                    options.reps,
                    workload.name
                );
                match measure(&shoal, system, workload, &options.duration)? {
                    Some(run) if system == subject => results[row].0.push(run),
                    Some(run) => results[row].1.push(run),
                    None => results[row].2 += 1,
                }
            }
        }
    }
    let report = table(&rows, &results, options, (subject, peer));
    println!("{report}");
    let out = root.join("docs/benchmarks");
    std::fs::create_dir_all(&out)?;
    let name = if options.tls {
        "bench-compare-tls"
    } else {
        "bench-compare"
    };
    let path = out.join(format!("{name}.md"));
    std::fs::write(&path, &report)?;
    eprintln!("written to {}", path.display());
    let png = out.join(format!("{name}.png"));
    chart(&rows, &results, &png, (subject, peer))?;
    eprintln!("chart written to {}", png.display());
    Ok(())
}

/// The font of the chart's text (plotters draws text with ab_glyph, from a font file:
/// DejaVu Sans, installed with apt when missing).
fn font() -> Result<&'static [u8]> {
    const PATH: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    if !Path::new(PATH).exists() {
        eprintln!("==> the chart needs a font: apt-get install -y fonts-dejavu-core");
        let _ = Command::new("apt-get")
            .args(["install", "-y", "fonts-dejavu-core"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
    }
    let bytes = std::fs::read(PATH)
        .with_context(|| format!("reading {PATH} (apt-get install fonts-dejavu-core)"))?;
    Ok(Box::leak(bytes.into_boxed_slice()))
}

/// `bench-compare.png`: per workload, shoal's throughput as a multiple of etcd's (left) and
/// the server CPU per operation of both (right).
fn chart(
    rows: &[&Workload],
    results: &[(Vec<Run>, Vec<Run>, usize)],
    path: &Path,
    (subject, peer): (System, System),
) -> Result<()> {
    use plotters::prelude::*;

    plotters::style::register_font("sans-serif", FontStyle::Normal, font()?)
        .map_err(|_| anyhow::anyhow!("the chart's font file is not a font"))?;
    let stat = |runs: &[Run], f: fn(&Run) -> f64| {
        let value = median(&mut runs.iter().map(f).collect::<Vec<_>>());
        if value.is_finite() { value } else { 0.0 }
    };
    let names: Vec<&str> = rows.iter().map(|w| w.name).collect();
    let ratios: Vec<f64> = results
        .iter()
        .map(|(shoal, etcd, _)| {
            let e = stat(etcd, |r| r.ops_per_second);
            if e > 0.0 {
                stat(shoal, |r| r.ops_per_second) / e
            } else {
                0.0
            }
        })
        .collect();
    let cpu: Vec<(f64, f64)> = results
        .iter()
        .map(|(shoal, etcd, _)| {
            (
                stat(shoal, |r| r.cpu_us_per_op),
                stat(etcd, |r| r.cpu_us_per_op),
            )
        })
        .collect();
    let count = rows.len() as f64;
    let label = |y: &f64| -> String {
        let index = y.floor() as usize;
        if (y - y.floor() - 0.5).abs() < 1e-6 && index < names.len() {
            // The first row on top, as in the table.
            names[names.len() - 1 - index].to_string()
        } else {
            String::new()
        }
    };
    let shoal_colour = RGBColor(31, 119, 180);
    let etcd_colour = RGBColor(214, 120, 40);
    let draw = |error: &dyn std::fmt::Display| anyhow::anyhow!("drawing the chart: {error}");

    let height = 140 + 70 * rows.len() as u32;
    let root = BitMapBackend::new(path, (1400, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| draw(&e))?;
    let (left, right) = root.split_horizontally(760);

    let top = ratios.iter().copied().fold(1.0, f64::max) * 1.25;
    let mut ratio_chart = ChartBuilder::on(&left)
        .caption(
            format!(
                "{} ops/s as a multiple of {}'s (same client, same run)",
                subject.label(),
                peer.label()
            ),
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(230)
        .build_cartesian_2d(0.0..top, 0.0..count)
        .map_err(|e| draw(&e))?;
    ratio_chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(rows.len() * 2 + 1)
        .y_label_formatter(&label)
        .x_label_formatter(&|x| format!("{x:.1}×"))
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(|e| draw(&e))?;
    ratio_chart
        .draw_series(ratios.iter().enumerate().map(|(i, ratio)| {
            let y = count - 1.0 - i as f64;
            Rectangle::new([(0.0, y + 0.2), (*ratio, y + 0.8)], shoal_colour.filled())
        }))
        .map_err(|e| draw(&e))?;
    ratio_chart
        .draw_series(ratios.iter().enumerate().map(|(i, ratio)| {
            Text::new(
                if *ratio > 0.0 {
                    format!("{ratio:.2}×")
                } else {
                    "no runs kept".to_string()
                },
                (*ratio + top * 0.01, count - 1.0 - i as f64 + 0.35),
                ("sans-serif", 15),
            )
        }))
        .map_err(|e| draw(&e))?;
    ratio_chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(1.0, 0.0), (1.0, count)],
            etcd_colour.stroke_width(2),
        )))
        .map_err(|e| draw(&e))?
        .label(format!("{} = 1×", peer.label()))
        .legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], etcd_colour.stroke_width(2))
        });
    ratio_chart
        .configure_series_labels()
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| draw(&e))?;

    let most = cpu.iter().map(|(s, e)| s.max(*e)).fold(1.0, f64::max) * 1.2;
    let mut cpu_chart = ChartBuilder::on(&right)
        .caption(
            "server CPU µs per operation (all members)",
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(10)
        .build_cartesian_2d(0.0..most, 0.0..count)
        .map_err(|e| draw(&e))?;
    cpu_chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(|e| draw(&e))?;
    cpu_chart
        .draw_series(cpu.iter().enumerate().map(|(i, (s, _))| {
            let y = count - 1.0 - i as f64;
            Rectangle::new([(0.0, y + 0.5), (*s, y + 0.85)], shoal_colour.filled())
        }))
        .map_err(|e| draw(&e))?
        .label(subject.label())
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], shoal_colour.filled()));
    cpu_chart
        .draw_series(cpu.iter().enumerate().map(|(i, (_, e))| {
            let y = count - 1.0 - i as f64;
            Rectangle::new([(0.0, y + 0.15), (*e, y + 0.5)], etcd_colour.filled())
        }))
        .map_err(|e| draw(&e))?
        .label(peer.label())
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], etcd_colour.filled()));
    cpu_chart
        .configure_series_labels()
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| draw(&e))?;
    root.present().map_err(|e| draw(&e))?;
    Ok(())
}

fn ensure_etcd() -> Result<()> {
    let installed = |name: &str| {
        Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if installed("etcd") {
        return Ok(());
    }
    eprintln!("==> etcd is not installed: apt-get install -y etcd-server");
    let status = Command::new("apt-get")
        .args(["install", "-y", "etcd-server"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    if !matches!(status, Ok(s) if s.success()) || !installed("etcd") {
        bail!("etcd is needed for the comparison: install it (apt-get install etcd-server)");
    }
    Ok(())
}

/// Servers of one system, stopped when dropped.
struct Servers {
    children: Vec<Child>,
    /// What a client passes to reach them (the CA and the API key of a secure shoal).
    client_args: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Drop for Servers {
    fn drop(&mut self) {
        for child in &self.children {
            // SIGINT: shoal dev stops its nodes, etcd exits.
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
        }
        for child in &mut self.children {
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The environment without the caller's `SHOAL_*` variables (shoal reads them all).
fn clean(command: &mut Command) -> &mut Command {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("SHOAL_") {
            command.env_remove(key);
        }
    }
    command
}

fn start(shoal: &Path, system: System) -> Result<Servers> {
    let dir = tempfile::tempdir()?;
    let mut children = Vec::new();
    match system {
        System::Shoal | System::ShoalSecure => {
            let log = std::fs::File::create(dir.path().join("dev.log"))?;
            let insecure: &[&str] = if system == System::Shoal {
                &["--insecure"]
            } else {
                &[]
            };
            children.push(
                clean(&mut Command::new(shoal))
                    .arg("dev")
                    .args(insecure)
                    .args(["--nodes", "3", "--port-offset", "10000", "--data-dir"])
                    .arg(dir.path().join("data"))
                    .stdout(log.try_clone()?)
                    .stderr(log)
                    .spawn()
                    .context("starting shoal dev")?,
            );
        }
        System::Etcd => {
            let cluster =
                "e1=http://127.0.0.1:12380,e2=http://127.0.0.1:22380,e3=http://127.0.0.1:32380";
            for i in 1..=3 {
                let log = std::fs::File::create(dir.path().join(format!("etcd-{i}.log")))?;
                children.push(
                    Command::new("etcd")
                        .args(["--name", &format!("e{i}"), "--data-dir"])
                        .arg(dir.path().join(format!("e{i}")))
                        .args([
                            "--listen-client-urls",
                            &format!("http://127.0.0.1:{i}2379"),
                            "--advertise-client-urls",
                            &format!("http://127.0.0.1:{i}2379"),
                            "--listen-peer-urls",
                            &format!("http://127.0.0.1:{i}2380"),
                            "--initial-advertise-peer-urls",
                            &format!("http://127.0.0.1:{i}2380"),
                            "--initial-cluster",
                            cluster,
                            "--initial-cluster-state",
                            "new",
                            "--initial-cluster-token",
                            "bench",
                        ])
                        .stdout(log.try_clone()?)
                        .stderr(log)
                        .spawn()
                        .context("starting etcd")?,
                );
            }
        }
    }
    let data = dir.path().join("data");
    let mut servers = Servers {
        children,
        client_args: Vec::new(),
        _dir: dir,
    };
    let health: Vec<(u16, &str)> = match system {
        System::Shoal | System::ShoalSecure => {
            vec![(19443, "/readyz"), (19543, "/readyz"), (19643, "/readyz")]
        }
        System::Etcd => vec![(12379, "/health"), (22379, "/health"), (32379, "/health")],
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = |port: u16, path: &str| match system {
        // The secure cluster's admin ports serve HTTPS: ask with `shoal health`.
        System::ShoalSecure => clean(&mut Command::new(shoal))
            .args(["health", "--admin", &format!("https://127.0.0.1:{port}")])
            .arg("--ca-file")
            .arg(data.join("certs/ca.crt"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success()),
        System::Shoal | System::Etcd => http_status(port, path) == Some(200),
    };
    for (port, path) in health {
        while !ready(port, path) {
            if Instant::now() > deadline {
                bail!("{system:?} on port {port} never became healthy");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    if system == System::ShoalSecure {
        // The bootstrap admin key, in the data dir of the node that made it.
        let key = loop {
            if let Some(key) = (1..=3)
                .map(|id| data.join(format!("node-{id}/admin.key")))
                .find_map(|path| std::fs::read_to_string(path).ok())
            {
                break key.trim().to_owned();
            }
            if Instant::now() > deadline {
                bail!("the secure cluster wrote no admin key");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let ca = data.join("certs/ca.crt");
        servers.client_args = vec![
            "--ca-file".into(),
            ca.to_string_lossy().into_owned(),
            "--api-key".into(),
            key,
        ];
    }
    if system != System::Etcd {
        // Every shard has a leader.
        while Instant::now() < deadline {
            let status = clean(&mut Command::new(shoal))
                .args([
                    "cluster",
                    "status",
                    "--json",
                    "--endpoint",
                    "127.0.0.1:15444",
                ])
                .args(&servers.client_args)
                .output()?;
            if status.status.success()
                && !String::from_utf8_lossy(&status.stdout).contains("\"leaderId\": \"0\"")
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(servers)
}

fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// utime + stime of `pid` in clock ticks (0 once it is gone).
fn process_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // Fields after the command name, which may contain spaces: ") S ppid …".
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// Every process whose parent is one of `roots`, and the roots.
fn tree(roots: &[u32]) -> Vec<u32> {
    let mut all = roots.to_vec();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let parent = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    stat.rsplit_once(')')?
                        .1
                        .split_whitespace()
                        .nth(1)?
                        .parse::<u32>()
                        .ok()
                });
            if parent.is_some_and(|parent| roots.contains(&parent)) {
                all.push(pid);
            }
        }
    }
    all
}

/// Busy and total clock ticks of the whole machine.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().next() else {
        return (0, 0);
    };
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().take(8).sum();
    // idle + iowait are not busy.
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

fn measure(
    shoal: &Path,
    system: System,
    workload: &Workload,
    duration: &str,
) -> Result<Option<Run>> {
    let servers = start(shoal, system)?;
    let roots: Vec<u32> = servers.children.iter().map(Child::id).collect();
    let members = tree(&roots);
    let server_ticks = || members.iter().map(|&pid| process_ticks(pid)).sum::<u64>();
    let (target, endpoints) = match (system, workload.kind) {
        (System::Etcd, _) => ("etcd", ETCD_CLIENTS),
        // A batch goes to one node, which splits it by shard.
        (_, "batch") => ("shoal", SHOAL_CLIENTS),
        _ => ("shoal-smart", SHOAL_CLIENTS),
    };
    let cpu_before = server_ticks();
    let (busy_before, total_before) = machine_ticks();
    let mut bench = clean(&mut Command::new(shoal))
        .args(["bench", "--target", target, "--endpoint", endpoints])
        .args([
            "--workload",
            workload.kind,
            "--clients",
            &workload.clients.to_string(),
        ])
        .args([
            "--connections",
            "12",
            "--keys",
            "100000",
            "--value-size",
            "256",
        ])
        .args(["--batch", "100", "--duration", duration, "--warmup", "3s"])
        .args(&servers.client_args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting shoal bench")?;
    let pid = bench.id();
    let mut bench_ticks = 0;
    while bench.try_wait()?.is_none() {
        bench_ticks = bench_ticks.max(process_ticks(pid));
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = bench.wait_with_output()?;
    let cpu = server_ticks().saturating_sub(cpu_before);
    let (busy_after, total_after) = machine_ticks();
    drop(servers);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "shoal bench failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let field = |name: &str| -> Option<f64> {
        let start = text.find(name)? + name.len();
        let rest = &text[start..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        rest[..end].parse().ok()
    };
    let (Some(ops), Some(rate), Some(p50), Some(p99)) = (
        field("ops="),
        field("throughput="),
        field("p50="),
        field("p99="),
    ) else {
        bail!("unreadable bench output: {text}");
    };
    // Whatever else ran meanwhile: the machine's busy ticks minus ours.
    let others = (busy_after - busy_before).saturating_sub(cpu + bench_ticks);
    let window = (total_after - total_before).max(1);
    let share = others as f64 / window as f64;
    if share > BUSY_SHARE {
        eprintln!(
            "    dropped: other processes used {:.0}% of the machine",
            share * 100.0
        );
        return Ok(None);
    }
    let tick_us = 1_000_000.0 / 100.0; // USER_HZ
    let run = Run {
        ops_per_second: rate,
        p50_ms: p50,
        p99_ms: p99,
        cpu_us_per_op: cpu as f64 * tick_us / ops.max(1.0),
    };
    eprintln!(
        "    {:.0} ops/s, p50 {:.2} ms, p99 {:.2} ms, {:.0} us of server CPU per op",
        run.ops_per_second, run.p50_ms, run.p99_ms, run.cpu_us_per_op
    );
    Ok(Some(run))
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn table(
    rows: &[&Workload],
    results: &[(Vec<Run>, Vec<Run>, usize)],
    options: &Options,
    (subject, peer): (System, System),
) -> String {
    let (a, b) = (subject.label(), peer.label());
    let mut out = String::new();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let _ = writeln!(out, "# {a} against {b}, 3 nodes each, same client\n");
    let _ = writeln!(
        out,
        "`cargo xtask bench-compare --duration {} --reps {}{}` on a {cores}-core machine: fresh \
         3-node clusters ({}), one after the other, order alternating per repetition; `shoal bench` \
         drives both (256-byte values, 100,000 keys, 12 connections; shoal with the \
         cluster-aware client, batches through any node). Medians of the kept runs; a run \
         is dropped when other processes used over {:.0}% of the machine. Server CPU per \
         operation sums all members and includes the warm-up (and, for reads, the preload).\n",
        options.duration,
        options.reps,
        if options.tls { " --tls" } else { "" },
        if options.tls {
            "shoal secure: `shoal dev --nodes 3` — mTLS between the nodes, signed gossip, \
             TLS and an admin API key for the client; shoal: `shoal dev --insecure --nodes 3` \
             — plaintext, no keys; both RF 3, 16 shards"
        } else {
            "shoal: `shoal dev --insecure --nodes 3`, RF 3, 16 shards, plaintext like etcd's \
             defaults; etcd: 3 members, defaults"
        },
        BUSY_SHARE * 100.0
    );
    let _ = writeln!(
        out,
        "| workload | {a} ops/s | p50 / p99 ms | CPU µs/op | {b} ops/s | p50 / p99 ms | CPU µs/op | {a} / {b} | runs kept (dropped) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (workload, (shoal, etcd, dropped)) in rows.iter().zip(results) {
        let stat =
            |runs: &[Run], f: fn(&Run) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
        let s = stat(shoal, |r| r.ops_per_second);
        let e = stat(etcd, |r| r.ops_per_second);
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.1} / {:.1} | {:.0} | {:.0} | {:.1} / {:.1} | {:.0} | **{:.2}×** | {} / {} ({dropped}) |",
            workload.name,
            s,
            stat(shoal, |r| r.p50_ms),
            stat(shoal, |r| r.p99_ms),
            stat(shoal, |r| r.cpu_us_per_op),
            e,
            stat(etcd, |r| r.p50_ms),
            stat(etcd, |r| r.p99_ms),
            stat(etcd, |r| r.cpu_us_per_op),
            s / e,
            shoal.len(),
            etcd.len(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ops_per_second: f64, cpu_us_per_op: f64) -> Run {
        Run {
            ops_per_second,
            p50_ms: 1.0,
            p99_ms: 5.0,
            cpu_us_per_op,
        }
    }

    #[test]
    fn the_chart_is_a_png_of_every_row() {
        let rows: Vec<&Workload> = WORKLOADS.iter().collect();
        let results: Vec<(Vec<Run>, Vec<Run>, usize)> = (0..rows.len())
            .map(|i| {
                // A row whose runs were all dropped draws as nothing, not as an error.
                if i == 2 {
                    return (vec![], vec![], 2);
                }
                let i = i as f64;
                (
                    vec![run(1000.0 * (i + 1.0), 300.0)],
                    vec![run(1500.0, 200.0 + i * 20.0)],
                    0,
                )
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chart.png");
        chart(&rows, &results, &path, (System::Shoal, System::Etcd)).expect("the chart");
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian, after the signature and the chunk header.
        let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!((width, height), (1400, 140 + 70 * rows.len() as u32));
        if let Some(keep) = std::env::var_os("KEEP_CHART") {
            std::fs::copy(&path, keep).unwrap();
        }
    }
}
