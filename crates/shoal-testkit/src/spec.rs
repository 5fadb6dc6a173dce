//! A node's configuration file, written from typed fields: what a process harness sets
//! (addresses, identity, the cluster's shape) and nothing else, so every other key keeps
//! the node's default. shoal-node's tests check that what this writes parses as its
//! `Config` with the same values (the keys cannot drift apart silently).

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// One node of a cluster of real processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    pub node_id: u64,
    pub node_name: String,
    pub data_dir: PathBuf,
    /// `server.client_listen`.
    pub client: String,
    /// `server.admin_listen`.
    pub admin: String,
    /// `cluster.listen_address`, also advertised.
    pub internal: String,
    /// `cluster.gossip_listen`.
    pub gossip: String,
    /// `cluster.discovery.seeds`.
    pub seeds: Vec<String>,
    /// `cluster.bootstrap.expect_nodes`.
    pub expect_nodes: u32,
    /// `cluster.data.replication_factor`.
    pub replication_factor: u32,
    /// `cluster.data.shards`.
    pub shards: u32,
    /// `cluster.raft.snapshot_threshold`, when not the default.
    pub snapshot_threshold: Option<u64>,
    /// `cluster.discovery.gossip_interval`, when not the default.
    pub gossip_interval: Option<Duration>,
    /// mTLS between the nodes, signed gossip and TLS for clients with these files; a
    /// plaintext `--insecure` cluster when `None`.
    pub tls: Option<crate::pki::NodeTls>,
}

#[derive(Serialize)]
struct File<'a> {
    server: Server<'a>,
    cluster: Cluster<'a>,
}

#[derive(Serialize)]
struct Server<'a> {
    data_dir: &'a PathBuf,
    client_listen: &'a str,
    admin_listen: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<Tls<'a>>,
}

#[derive(Serialize)]
struct Tls<'a> {
    cert_file: &'a PathBuf,
    key_file: &'a PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_ca_file: Option<&'a PathBuf>,
}

#[derive(Serialize)]
struct Gossip<'a> {
    key_file: &'a PathBuf,
}

#[derive(Serialize)]
struct Cluster<'a> {
    enabled: bool,
    insecure: bool,
    node_id: u64,
    node_name: &'a str,
    listen_address: &'a str,
    advertise_address: &'a str,
    gossip_listen: &'a str,
    discovery: Discovery<'a>,
    bootstrap: Bootstrap,
    data: Data,
    #[serde(skip_serializing_if = "Raft::is_default")]
    raft: Raft,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<Tls<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gossip: Option<Gossip<'a>>,
}

#[derive(Serialize)]
struct Discovery<'a> {
    seeds: &'a [String],
    #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    gossip_interval: Option<Duration>,
}

#[derive(Serialize)]
struct Bootstrap {
    expect_nodes: u32,
}

#[derive(Serialize)]
struct Data {
    replication_factor: u32,
    shards: u32,
}

#[derive(Serialize)]
struct Raft {
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot_threshold: Option<u64>,
}

impl Raft {
    fn is_default(&self) -> bool {
        self.snapshot_threshold.is_none()
    }
}

impl NodeSpec {
    /// The TOML file a node of this spec starts from: secure with `tls`, otherwise
    /// `insecure` (test clusters on loopback or a private network namespace).
    pub fn to_toml(&self) -> String {
        let tls = self.tls.as_ref();
        let file = File {
            server: Server {
                data_dir: &self.data_dir,
                client_listen: &self.client,
                admin_listen: &self.admin,
                tls: tls.map(|tls| Tls {
                    cert_file: &tls.cert_file,
                    key_file: &tls.key_file,
                    client_ca_file: None,
                }),
            },
            cluster: Cluster {
                enabled: true,
                insecure: tls.is_none(),
                node_id: self.node_id,
                node_name: &self.node_name,
                listen_address: &self.internal,
                advertise_address: &self.internal,
                gossip_listen: &self.gossip,
                discovery: Discovery {
                    seeds: &self.seeds,
                    gossip_interval: self.gossip_interval,
                },
                bootstrap: Bootstrap {
                    expect_nodes: self.expect_nodes,
                },
                data: Data {
                    replication_factor: self.replication_factor,
                    shards: self.shards,
                },
                raft: Raft {
                    snapshot_threshold: self.snapshot_threshold,
                },
                tls: tls.map(|tls| Tls {
                    cert_file: &tls.cert_file,
                    key_file: &tls.key_file,
                    client_ca_file: Some(&tls.ca_file),
                }),
                gossip: tls.map(|tls| Gossip {
                    key_file: &tls.gossip_key_file,
                }),
            },
        };
        toml::to_string(&file).expect("a node spec always serializes")
    }

    /// Writes the file to `path`.
    pub fn write(&self, path: &std::path::Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_toml())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_writes_only_the_keys_it_sets() {
        let spec = NodeSpec {
            node_id: 3,
            node_name: "n3".into(),
            data_dir: "/tmp/n3".into(),
            client: "127.0.0.13:5344".into(),
            admin: "127.0.0.13:9343".into(),
            internal: "127.0.0.13:5343".into(),
            gossip: "127.0.0.13:5345".into(),
            seeds: vec!["127.0.0.11:5345".into()],
            expect_nodes: 3,
            replication_factor: 3,
            shards: 8,
            snapshot_threshold: None,
            gossip_interval: Some(Duration::from_millis(100)),
            tls: None,
        };
        let text = spec.to_toml();
        assert!(text.contains("node_id = 3"), "{text}");
        assert!(text.contains("gossip_interval = \"100ms\""), "{text}");
        assert!(!text.contains("snapshot_threshold"), "{text}");
        assert!(!text.contains("[cluster.raft]"), "{text}");
    }
}
