//! Metrics: the catalogue of every series a node exports on `/metrics`, the process-wide
//! Prometheus recorder, and the series read at scrape time.
//!
//! Two kinds of series. Events are counted where they happen, through the `metrics` facade
//! (requests, storage commits, TLS handshakes, …), and rendered by
//! `metrics-exporter-prometheus`. State is read when Prometheus scrapes — every hosted
//! Raft group's term, indexes and leader, replication lag, transfers in flight, gossip
//! members, moves, file sizes, and the process (CPU, memory, fds; `metrics-process`) — so
//! it costs nothing between scrapes, and a group that moved away leaves no stale series.
//!
//! [`CATALOGUE`] lists every series with its type, labels and meaning; `docs/metrics.md`
//! is generated from it ([`markdown`]), and tests check it against the source (every
//! facade call names a catalogued series with its labels) and against a live scrape.
//! Label sets stay bounded: groups hosted here, peer node ids, RPC names, status codes,
//! fixed reasons — never a key, a client address or an API key.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use shoal_consensus::{GroupRole, RaftGroup, Transport};
use shoal_gateway::Backend;
use shoal_membership::Membership;

/// A series' Prometheus type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Where a series comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Counted where it happens (the `metrics` facade).
    Event,
    /// Read at scrape time.
    Scrape,
    /// The process collector (`metrics-process`).
    Process,
}

/// One series family.
#[derive(Debug, Clone, Copy)]
pub struct Series {
    pub name: &'static str,
    pub kind: Kind,
    pub labels: &'static [&'static str],
    pub help: &'static str,
    pub source: Source,
}

const fn series(
    name: &'static str,
    kind: Kind,
    labels: &'static [&'static str],
    source: Source,
    help: &'static str,
) -> Series {
    Series {
        name,
        kind,
        labels,
        help,
        source,
    }
}

use Kind::{Counter, Gauge, Histogram};
use Source::{Event, Process, Scrape};

/// Every series a node exports.
pub const CATALOGUE: &[Series] = &[
    // Requests.
    series(
        "shoal_grpc_requests_total",
        Counter,
        &["rpc", "code"],
        Event,
        "Client API requests answered, by method (`KV/Put`, …, `Health/Check`, or `other`) and gRPC status code.",
    ),
    series(
        "shoal_grpc_request_duration_seconds",
        Histogram,
        &["rpc"],
        Event,
        "Time from a client request's arrival to its answer, by method.",
    ),
    series(
        "shoal_requests_forwarded_total",
        Counter,
        &["via"],
        Event,
        "Requests this node forwarded to a shard's leader: over the node-pair stream (`pipe`) or a unary call (`call`).",
    ),
    series(
        "shoal_requests_refused_total",
        Counter,
        &["reason"],
        Event,
        "Requests refused by authentication (`unauthenticated`), authorization (`permission_denied`), or because their client address already had its share of the request slots in flight (`per_ip_limit`).",
    ),
    series(
        "shoal_audit_entries_dropped_total",
        Counter,
        &[],
        Event,
        "Audit entries that could not be added to the meta group's history (their log lines stay).",
    ),
    series(
        "shoal_ttl_expired_keys_total",
        Counter,
        &[],
        Event,
        "Expired keys removed by the expiry collector of the shards this node leads.",
    ),
    series(
        "shoal_consistency_checks_total",
        Counter,
        &["verdict"],
        Event,
        "Replica consistency checks run by this node, by verdict.",
    ),
    series(
        "shoal_consistency_check_duration_seconds",
        Histogram,
        &[],
        Event,
        "Time one consistency check took.",
    ),
    // Raft groups.
    series(
        "shoal_raft_term",
        Gauge,
        &["group"],
        Scrape,
        "The group's current term as this node sees it (`group` is `meta` or `shard-N`).",
    ),
    series(
        "shoal_raft_leader",
        Gauge,
        &["group"],
        Scrape,
        "1 when this node leads the group.",
    ),
    series(
        "shoal_raft_leader_known",
        Gauge,
        &["group"],
        Scrape,
        "1 when this node knows a leader of the group; 0 during an election or without a quorum.",
    ),
    series(
        "shoal_raft_commit_index",
        Gauge,
        &["group"],
        Scrape,
        "The last log index this node knows committed.",
    ),
    series(
        "shoal_raft_applied_index",
        Gauge,
        &["group"],
        Scrape,
        "The last log index applied to this node's state machine.",
    ),
    series(
        "shoal_raft_last_log_index",
        Gauge,
        &["group"],
        Scrape,
        "The last log index in this node's log.",
    ),
    series(
        "shoal_raft_snapshot_index",
        Gauge,
        &["group"],
        Scrape,
        "The last log index covered by this node's snapshot.",
    ),
    series(
        "shoal_raft_purged_index",
        Gauge,
        &["group"],
        Scrape,
        "The last log index purged from this node's log (its rate is log entries purged per second).",
    ),
    series(
        "shoal_raft_elections_total",
        Counter,
        &["group"],
        Scrape,
        "Elections this node stood in (it became a candidate) since the group started here.",
    ),
    series(
        "shoal_raft_leader_changes_total",
        Counter,
        &["group"],
        Scrape,
        "Leader changes this node saw since the group started here.",
    ),
    series(
        "shoal_raft_replication_lag_entries",
        Gauge,
        &["group", "follower"],
        Scrape,
        "On the leader: log entries a member has not yet matched (the leader's last index minus the member's).",
    ),
    series(
        "shoal_raft_write_batch_entries",
        Histogram,
        &[],
        Event,
        "Client writes merged into one proposal.",
    ),
    series(
        "shoal_raft_append_batch_entries",
        Histogram,
        &[],
        Event,
        "Entries per log append.",
    ),
    series(
        "shoal_raft_apply_batch_entries",
        Histogram,
        &[],
        Event,
        "Entries per state-machine apply.",
    ),
    series(
        "shoal_raft_snapshots_built_total",
        Counter,
        &[],
        Event,
        "Snapshots this node built (of any group).",
    ),
    series(
        "shoal_raft_snapshots_installed_total",
        Counter,
        &[],
        Event,
        "Snapshots this node installed from a leader.",
    ),
    series(
        "shoal_replicas_quarantined",
        Gauge,
        &[],
        Event,
        "Groups quarantined on this node because their data failed a check.",
    ),
    // Storage.
    series(
        "shoal_storage_commits_total",
        Counter,
        &["writer"],
        Event,
        "Storage commits, by writer (`shoal-log-writer`, `shoal-state-writer`).",
    ),
    series(
        "shoal_storage_write_operations_total",
        Counter,
        &["writer"],
        Event,
        "Write operations committed (several share one commit).",
    ),
    series(
        "shoal_storage_written_bytes_total",
        Counter,
        &["writer"],
        Event,
        "Bytes of keys, values and log entries committed (payload, not file growth).",
    ),
    series(
        "shoal_storage_fsyncs_total",
        Counter,
        &["writer"],
        Event,
        "Durable (fsynced) commits.",
    ),
    series(
        "shoal_storage_durable_commit_duration_seconds",
        Histogram,
        &["writer"],
        Event,
        "Time of one durable commit, fsync included.",
    ),
    series(
        "shoal_storage_checksum_failures_total",
        Counter,
        &["file"],
        Event,
        "Records that failed their checksum when read.",
    ),
    series(
        "shoal_storage_file_bytes",
        Gauge,
        &["file"],
        Scrape,
        "Size of a storage file (`log`, `state`).",
    ),
    series(
        "shoal_storage_disk_free_bytes",
        Gauge,
        &[],
        Event,
        "Free bytes on the data directory's file system.",
    ),
    series(
        "shoal_storage_disk_total_bytes",
        Gauge,
        &[],
        Event,
        "Size of the data directory's file system.",
    ),
    series(
        "shoal_storage_below_reserve",
        Gauge,
        &[],
        Event,
        "1 when free space is below `storage.reserved_bytes` (writes are refused).",
    ),
    series(
        "shoal_storage_waiting_for_space",
        Gauge,
        &[],
        Event,
        "Storage files whose writes wait for disk space.",
    ),
    // Peers and transfers.
    series(
        "shoal_peer_pipe_connects_total",
        Counter,
        &["peer"],
        Event,
        "Node-pair streams opened to a peer (one per peer while it lives; a rise means it broke).",
    ),
    series(
        "shoal_peer_calls_timed_out_total",
        Counter,
        &["peer"],
        Event,
        "Raft messages to a peer whose deadline passed unanswered.",
    ),
    series(
        "shoal_snapshot_transfers_active",
        Gauge,
        &[],
        Scrape,
        "Snapshot transfers this node is sending.",
    ),
    series(
        "shoal_snapshot_transfer_sent_bytes_total",
        Counter,
        &[],
        Scrape,
        "Snapshot bytes this node sent (its rate is the transfer rate).",
    ),
    // Cluster.
    series(
        "shoal_gossip_members",
        Gauge,
        &["state"],
        Scrape,
        "Nodes this node's gossip knows, by state (`alive`, `unreachable`).",
    ),
    series(
        "shoal_peer_clock_offset_seconds",
        Gauge,
        &["peer"],
        Scrape,
        "A peer's wall clock minus this node's, as last read (every 10 s, over the internal \
         port; within half a round trip).",
    ),
    series(
        "shoal_gossip_failures_detected_total",
        Counter,
        &[],
        Event,
        "Times the failure detector declared a node dead.",
    ),
    series(
        "shoal_gossip_datagrams_dropped_total",
        Counter,
        &["reason"],
        Event,
        "Gossip datagrams dropped (e.g. `unauthenticated`).",
    ),
    series(
        "shoal_placement_moves_in_flight",
        Gauge,
        &[],
        Scrape,
        "Replica moves in flight in the cluster (from the meta group).",
    ),
    series(
        "shoal_placement_moves_ended_total",
        Counter,
        &["outcome"],
        Scrape,
        "Replica moves ended in the cluster, `finished` or `aborted` (from the meta group).",
    ),
    series(
        "shoal_node_ready",
        Gauge,
        &[],
        Scrape,
        "1 when this node serves requests (`/readyz`).",
    ),
    series(
        "shoal_build_info",
        Gauge,
        &["version"],
        Scrape,
        "Always 1; the label names the running version.",
    ),
    // Connections and TLS.
    series(
        "shoal_connections_open",
        Gauge,
        &["port"],
        Event,
        "Connections held open, by port (`client`, `internal`, `admin`).",
    ),
    series(
        "shoal_connections_refused_total",
        Counter,
        &["port", "reason"],
        Event,
        "Connections refused (`max_connections`, `max_connections_per_ip`, `silent`).",
    ),
    series(
        "shoal_tls_handshake_duration_seconds",
        Histogram,
        &["port"],
        Event,
        "Time of a server-side TLS handshake.",
    ),
    series(
        "shoal_tls_handshake_failures_total",
        Counter,
        &["port"],
        Event,
        "TLS handshakes that failed.",
    ),
    series(
        "shoal_tls_reloads_total",
        Counter,
        &["outcome"],
        Event,
        "Certificate reloads, `ok` or `failed`.",
    ),
    // The process.
    series(
        "process_cpu_seconds_total",
        Counter,
        &[],
        Process,
        "CPU time used by the process.",
    ),
    series(
        "process_resident_memory_bytes",
        Gauge,
        &[],
        Process,
        "Resident memory (RSS).",
    ),
    series(
        "process_virtual_memory_bytes",
        Gauge,
        &[],
        Process,
        "Virtual memory size.",
    ),
    series(
        "process_virtual_memory_max_bytes",
        Gauge,
        &[],
        Process,
        "Limit of virtual memory.",
    ),
    series(
        "process_open_fds",
        Gauge,
        &[],
        Process,
        "Open file descriptors.",
    ),
    series(
        "process_max_fds",
        Gauge,
        &[],
        Process,
        "Limit of open file descriptors.",
    ),
    series(
        "process_threads",
        Gauge,
        &[],
        Process,
        "Threads of the process.",
    ),
    series(
        "process_start_time_seconds",
        Gauge,
        &[],
        Process,
        "Start time, seconds since the Unix epoch.",
    ),
];

/// Buckets of the duration histograms, in seconds.
const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Buckets of the batch-size histograms, in entries.
const ENTRY_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

/// The catalogued series called `name`.
pub fn find(name: &str) -> Option<&'static Series> {
    CATALOGUE.iter().find(|series| series.name == name)
}

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder, before anything records (storage publishes its
/// gauges when it opens).
pub fn install() {
    recorder();
}

/// Installs the process-wide recorder once (later calls reuse it): histograms with real
/// buckets, every event series described.
fn recorder() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let mut builder = PrometheusBuilder::new();
            for series in CATALOGUE.iter().filter(|s| s.kind == Histogram) {
                let buckets = if series.name.ends_with("_seconds") {
                    DURATION_BUCKETS
                } else {
                    ENTRY_BUCKETS
                };
                builder = builder
                    .set_buckets_for_metric(Matcher::Full(series.name.to_owned()), buckets)
                    .ok()?;
            }
            let handle = builder.install_recorder().ok()?;
            for series in CATALOGUE.iter().filter(|s| s.source != Source::Scrape) {
                match series.kind {
                    Counter => metrics::describe_counter!(series.name, series.help),
                    Gauge => metrics::describe_gauge!(series.name, series.help),
                    Histogram => metrics::describe_histogram!(series.name, series.help),
                }
            }
            Some(handle)
        })
        .as_ref()
}

/// What the scrape-time series (and `/healthz?verbose`) are read from, once the node has
/// them.
pub(crate) struct Sources {
    pub(crate) backend: Arc<Backend>,
    pub(crate) membership: Option<Arc<Membership>>,
    /// The backend as the gateway's services hold it, and their settings (the status
    /// page's `/api/status` answers what `Cluster/Status` does).
    pub(crate) cell: shoal_gateway::BackendCell,
    pub(crate) gateway: shoal_gateway::GatewaySettings,
}

impl Sources {
    /// The meta group and every shard group hosted here now.
    pub(crate) fn groups(&self) -> Vec<RaftGroup> {
        crate::node::all_groups(&self.backend)
    }
}

/// The `/metrics` endpoint's renderer.
pub struct Exporter {
    process: metrics_process::Collector,
    transport: Arc<Transport>,
    data_dir: PathBuf,
    ready: Arc<crate::admin::Readiness>,
    sources: OnceLock<Sources>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl Exporter {
    /// Installs the recorder (so events are counted from now on).
    pub fn new(
        transport: Arc<Transport>,
        data_dir: PathBuf,
        ready: Arc<crate::admin::Readiness>,
    ) -> Exporter {
        recorder();
        let process = metrics_process::Collector::default();
        process.describe();
        Exporter {
            process,
            transport,
            data_dir,
            ready,
            sources: OnceLock::new(),
        }
    }

    /// The node's groups, control plane and gossip, once it has started them.
    pub fn attach(
        &self,
        backend: Arc<Backend>,
        membership: Option<Arc<Membership>>,
        cell: shoal_gateway::BackendCell,
        gateway: shoal_gateway::GatewaySettings,
    ) {
        let _ = self.sources.set(Sources {
            backend,
            membership,
            cell,
            gateway,
        });
    }

    /// The node's groups, control plane and gossip; None while it starts.
    pub(crate) fn node(&self) -> Option<&Sources> {
        self.sources.get()
    }

    /// This node's readings of its peers' clocks.
    pub(crate) fn clocks(&self) -> &shoal_consensus::clocks::PeerClocks {
        self.transport.clocks()
    }

    pub(crate) fn readiness(&self) -> &crate::admin::Readiness {
        &self.ready
    }

    /// The whole scrape, in the Prometheus text format; None without a recorder (another
    /// one was installed first in this process).
    pub fn render(&self) -> Option<String> {
        let handle = recorder()?;
        self.process.collect();
        handle.run_upkeep();
        let mut text = handle.render();
        let mut out = Text(&mut text);
        self.render_state(&mut out);
        Some(text)
    }

    fn render_state(&self, out: &mut Text) {
        out.one(
            "shoal_node_ready",
            &[],
            f64::from(u8::from(self.ready.is_ready())),
        );
        out.one(
            "shoal_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))],
            1.0,
        );
        let mut files = out.family("shoal_storage_file_bytes");
        for (file, name) in [("log", "log.redb"), ("state", "state.redb")] {
            if let Ok(meta) = std::fs::metadata(self.data_dir.join(name)) {
                files.sample(&[("file", file)], meta.len() as f64);
            }
        }
        let transfers = self.transport.transfers();
        let active = transfers.all_in_flight();
        let sent =
            transfers.bytes_sent_total() + active.iter().map(|t| t.sent_this_attempt).sum::<u64>();
        out.one("shoal_snapshot_transfers_active", &[], active.len() as f64);
        out.one("shoal_snapshot_transfer_sent_bytes_total", &[], sent as f64);
        let clocks = self
            .transport
            .clocks()
            .recent(crate::health::CLOCK_READING_MAX_AGE);
        if !clocks.is_empty() {
            let mut family = out.family("shoal_peer_clock_offset_seconds");
            for (peer, reading) in clocks {
                family.sample(
                    &[("peer", &peer.to_string())],
                    reading.offset_ms as f64 / 1000.0,
                );
            }
        }
        let Some(sources) = self.sources.get() else {
            return;
        };
        if let Some(membership) = &sources.membership {
            let members = membership.members();
            let alive = members.values().filter(|m| m.live).count();
            let mut family = out.family("shoal_gossip_members");
            family.sample(&[("state", "alive")], alive as f64);
            family.sample(&[("state", "unreachable")], (members.len() - alive) as f64);
        }
        let meta = &sources.backend.meta;
        if let (Ok(moves), Ok(ended)) = (meta.moves(), meta.move_counters()) {
            out.one("shoal_placement_moves_in_flight", &[], moves.len() as f64);
            let mut family = out.family("shoal_placement_moves_ended_total");
            family.sample(&[("outcome", "finished")], ended.finished as f64);
            family.sample(&[("outcome", "aborted")], ended.aborted as f64);
        }
        render_groups(out, &sources.groups());
    }
}

/// The per-group series of every group hosted here.
fn render_groups(out: &mut Text, groups: &[RaftGroup]) {
    let statuses: Vec<_> = groups
        .iter()
        .map(|group| {
            let label = match group.group().shard() {
                Some(shard) => format!("shard-{shard}"),
                None => "meta".to_owned(),
            };
            (label, group.status(), group)
        })
        .collect();
    type Read = fn(&shoal_consensus::GroupStatus, &RaftGroup) -> f64;
    let per_group: [(&str, Read); 10] = [
        ("shoal_raft_term", |s, _| s.term as f64),
        ("shoal_raft_leader", |s, _| {
            f64::from(u8::from(s.role == GroupRole::Leader))
        }),
        ("shoal_raft_leader_known", |s, _| {
            f64::from(u8::from(s.leader.is_some()))
        }),
        ("shoal_raft_commit_index", |s, _| s.committed_index as f64),
        ("shoal_raft_applied_index", |s, _| s.applied_index as f64),
        ("shoal_raft_last_log_index", |s, _| s.last_log_index as f64),
        ("shoal_raft_snapshot_index", |s, _| s.snapshot_index as f64),
        ("shoal_raft_purged_index", |s, _| s.purged_index as f64),
        ("shoal_raft_elections_total", |_, g| {
            g.events().elections() as f64
        }),
        ("shoal_raft_leader_changes_total", |_, g| {
            g.events().leader_changes() as f64
        }),
    ];
    for (name, read) in per_group {
        let mut family = out.family(name);
        for (label, status, group) in &statuses {
            family.sample(&[("group", label)], read(status, group));
        }
    }
    let mut family = out.family("shoal_raft_replication_lag_entries");
    for (label, status, _) in &statuses {
        for (follower, lag) in status.follower_lags() {
            family.sample(
                &[("group", label), ("follower", &follower.0.to_string())],
                lag as f64,
            );
        }
    }
}

/// Prometheus text output for the scrape-time series.
struct Text<'a>(&'a mut String);

/// One family being written: its samples follow its HELP and TYPE lines.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
}

impl Text<'_> {
    fn family(&mut self, name: &'static str) -> Family<'_> {
        let series = find(name).expect("every rendered series is catalogued");
        let _ = writeln!(self.0, "# HELP {name} {}", series.help);
        let _ = writeln!(self.0, "# TYPE {name} {}", series.kind.as_str());
        Family {
            out: &mut *self.0,
            name,
        }
    }

    fn one(&mut self, name: &'static str, labels: &[(&str, &str)], value: f64) {
        self.family(name).sample(labels, value);
    }
}

impl Family<'_> {
    fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        let out = &mut *self.out;
        out.push_str(self.name);
        if !labels.is_empty() {
            out.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let escaped = value
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(out, "{key}=\"{escaped}\"");
            }
            out.push('}');
        }
        let _ = writeln!(out, " {value}");
    }
}

/// `docs/metrics.md`'s table of every series.
pub fn markdown() -> String {
    let mut text =
        String::from("| series | type | labels | source | meaning |\n|---|---|---|---|---|\n");
    for series in CATALOGUE {
        let labels = if series.labels.is_empty() {
            "—".to_owned()
        } else {
            series
                .labels
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let source = match series.source {
            Event => "event",
            Scrape => "scrape",
            Process => "process",
        };
        let _ = writeln!(
            text,
            "| `{}` | {} | {labels} | {source} | {} |",
            series.name,
            series.kind.as_str(),
            series.help.replace('|', "\\|")
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn docs_metrics_md_lists_every_series_of_the_catalogue() {
        let path = workspace().join("docs/metrics.md");
        let doc = std::fs::read_to_string(&path).unwrap_or_default();
        let table = markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let start = doc.find("| series |").unwrap_or(doc.len());
            let end = doc[start..]
                .find("\n\n")
                .map_or(doc.len(), |end| start + end + 1);
            let updated = format!("{}{table}{}", &doc[..start], &doc[end..]);
            std::fs::write(&path, updated).unwrap();
            return;
        }
        assert!(
            doc.contains(&table),
            "docs/metrics.md does not hold the catalogue's table: run \
             `UPDATE_DOCS=1 cargo test -p shoal-node --lib metrics` and commit the file"
        );
    }

    #[test]
    fn the_catalogue_follows_the_prometheus_naming_conventions() {
        let mut names = BTreeSet::new();
        for series in CATALOGUE {
            assert!(names.insert(series.name), "{} listed twice", series.name);
            assert!(
                series.name.starts_with("shoal_") || series.source == Source::Process,
                "{}",
                series.name
            );
            match series.kind {
                Counter => assert!(series.name.ends_with("_total"), "{}", series.name),
                Gauge => assert!(!series.name.ends_with("_total"), "{}", series.name),
                Histogram => assert!(
                    series.name.ends_with("_seconds") || series.name.ends_with("_entries"),
                    "{}",
                    series.name
                ),
            }
            assert!(!series.help.is_empty());
        }
    }

    /// Every `metrics::counter!` / `gauge!` / `histogram!` call in the workspace's sources,
    /// as (name, kind, label keys, file).
    fn facade_calls() -> Vec<(String, Kind, Vec<String>, PathBuf)> {
        fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, files);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut files = Vec::new();
        for krate in std::fs::read_dir(workspace().join("crates"))
            .unwrap()
            .flatten()
        {
            let src = krate.path().join("src");
            if src.is_dir() {
                walk(&src, &mut files);
            }
        }
        let mut calls = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (macro_name, kind) in [
                ("metrics::counter!(", Counter),
                ("metrics::gauge!(", Gauge),
                ("metrics::histogram!(", Histogram),
            ] {
                for (at, _) in text.match_indices(macro_name) {
                    if text[..at].ends_with('"') {
                        continue; // this scanner's own patterns
                    }
                    let rest = &text[at + macro_name.len()..];
                    // The macro's arguments, up to its closing parenthesis.
                    let mut depth = 1;
                    let end = rest
                        .char_indices()
                        .find(|(_, c)| {
                            match c {
                                '(' => depth += 1,
                                ')' => depth -= 1,
                                _ => {}
                            }
                            depth == 0
                        })
                        .map_or(rest.len(), |(i, _)| i);
                    let args = &rest[..end];
                    let mut quoted = args.split('"').skip(1).step_by(2);
                    let Some(name) = quoted.next() else {
                        panic!("{}: a metric named by a variable: {args}", file.display());
                    };
                    // A label key is a quoted word right before `=>` (a match arm's
                    // pattern is not quoted; its quoted value comes after `=>`).
                    let pieces: Vec<&str> = args.split("=>").collect();
                    let labels = pieces[..pieces.len() - 1]
                        .iter()
                        .filter(|before| before.trim_end().ends_with('"'))
                        .filter_map(|before| before.rsplit('"').nth(1))
                        .map(str::to_owned)
                        .collect::<Vec<_>>();
                    calls.push((name.to_owned(), kind, labels, file.clone()));
                }
            }
        }
        calls
    }

    #[test]
    fn every_series_the_code_records_is_catalogued_with_its_type_and_labels() {
        let calls = facade_calls();
        assert!(
            calls.len() > 20,
            "the scan found only {} calls",
            calls.len()
        );
        for (name, kind, labels, file) in &calls {
            let series = find(name).unwrap_or_else(|| {
                panic!("{name} ({}) is not in metrics::CATALOGUE", file.display())
            });
            assert_eq!(series.kind, *kind, "{name} in {}", file.display());
            assert_eq!(series.source, Source::Event, "{name} in {}", file.display());
            assert_eq!(
                series.labels,
                labels.as_slice(),
                "labels of {name} in {}",
                file.display()
            );
        }
        let recorded: BTreeSet<&str> = calls.iter().map(|(name, ..)| name.as_str()).collect();
        for series in CATALOGUE.iter().filter(|s| s.source == Source::Event) {
            assert!(
                recorded.contains(series.name),
                "{} is catalogued as an event but nothing records it",
                series.name
            );
        }
    }
}
