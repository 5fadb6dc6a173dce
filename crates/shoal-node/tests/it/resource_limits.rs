//! Hostile or careless clients cannot starve the others, each case bounded in count and
//! time, against a real node: one connection may hold at most
//! `server.max_streams_per_connection` streams (here, streams whose request body never
//! ends); connections that never send a byte are closed on every port, and one address
//! holds at most `server.max_connections_per_ip` of them; a message larger than the
//! internal port accepts is refused at its header, so memory does not grow with what a
//! peer claims to send; a full descriptor table neither spins the accept loop nor stops
//! the node for good; one client address holds only its share of the request slots, and
//! a request that finds none free is shed at once; a client trickling its headers to the
//! admin port is cut off at the header timeout. Meanwhile a fresh client is served within
//! its normal latency, and the node's resident memory grows by less than 64 MiB.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use shoal_client::{ConnectOptions, PutOptions};
use tokio::io::AsyncReadExt;

use crate::support::cluster::ProcessCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_with_stuck_streams_does_not_starve_other_clients() {
    let (cluster, tls) = secure_node(|config| config.server.max_streams_per_connection = 64).await;
    let node = &cluster.nodes[0];
    let address = node.ports.client;
    let baseline = node.rss_bytes();

    // One raw HTTP/2 connection (over TLS, as any client) opening as many Get streams as it
    // may, never finishing a request body.
    let ca = cluster.dir.path().join("certs/ca.crt");
    let sender = raw_connection(&ca, address, None).await;
    // The server announces its limit in its SETTINGS (h2 keeps to it from then on; a peer
    // that does not is refused the extra streams by the server's own h2).
    let limit = crate::support::wait_for("the server's SETTINGS", Duration::from_secs(10), || {
        let limit = sender.current_max_send_streams();
        async move { (limit != usize::MAX && limit <= 1000).then_some(limit) }
    })
    .await;
    assert_eq!(limit, 64);
    // 100 Get streams whose request body never ends: the server takes 64 of them; h2 keeps
    // the others waiting on the client's side of this connection.
    let held = stuck_gets(&sender, address, 100).await;

    // Everyone else is served, promptly, and the held streams cost next to nothing.
    still_serves(&node.client_address(), node.ports.admin, &tls).await;
    let rss = node.rss_bytes();
    assert!(
        rss < baseline + (64 << 20),
        "64 stuck streams grew the node from {baseline} to {rss} bytes"
    );
    drop(held);
}

/// A raw HTTP/2 connection over TLS (trusting `ca`) to the client port at `address`, from
/// `from` when given.
async fn raw_connection(
    ca: &std::path::Path,
    address: SocketAddr,
    from: Option<IpAddr>,
) -> h2::client::SendRequest<bytes::Bytes> {
    let client_tls = shoal_tls::ClientTls::load(shoal_tls::TlsFiles {
        cert_file: None,
        key_file: None,
        ca_file: Some(ca.to_path_buf()),
    })
    .unwrap();
    let io = shoal_tls::Connector::new(Some(client_tls))
        .with_local_address(from)
        .connect(format!("http://{address}").parse().unwrap())
        .await
        .unwrap();
    let (sender, connection) = h2::client::handshake(io).await.unwrap();
    tokio::spawn(connection);
    sender
}

/// A stream whose request never ends: the answer, and the request body kept open.
type Stuck = (h2::client::ResponseFuture, h2::SendStream<bytes::Bytes>);

/// Opens `count` Get streams on `sender` whose request body never ends.
async fn stuck_gets(
    sender: &h2::client::SendRequest<bytes::Bytes>,
    address: SocketAddr,
    count: usize,
) -> Vec<Stuck> {
    let mut held = Vec::new();
    for _ in 0..count {
        let mut ready = sender.clone().ready().await.unwrap();
        let request = http::Request::post(format!("https://{address}/shoal.v1.KV/Get"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .unwrap();
        held.push(ready.send_request(request, false).unwrap());
    }
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_only_its_share_of_the_request_slots_and_the_rest_is_shed() {
    const SLOTS: usize = 60;
    const SHARE: usize = 30;
    let (cluster, tls) = secure_node(|config| {
        config.server.max_concurrent_requests = SLOTS;
        config.server.max_concurrent_requests_per_ip = SHARE;
        // The stuck requests must outlive the test's phases.
        config.server.request_timeout = Duration::from_secs(120);
    })
    .await;
    let node = &cluster.nodes[0];
    let address = node.ports.client;
    let ca = cluster.dir.path().join("certs/ca.crt");
    let baseline = node.rss_bytes();

    // A greedy client at 127.0.0.2: 4 connections with 20 stuck Gets each, 80 requests
    // where its share is 30. Its 50 over the share are refused at once.
    let greedy: IpAddr = "127.0.0.2".parse().unwrap();
    let mut connections = Vec::new();
    let mut greedy_streams = Vec::new();
    for _ in 0..4 {
        let sender = raw_connection(&ca, address, Some(greedy)).await;
        greedy_streams.extend(stuck_gets(&sender, address, 20).await);
        connections.push(sender);
    }
    let mut answers: futures::stream::FuturesUnordered<_> = greedy_streams
        .iter_mut()
        .map(|(response, _)| response)
        .collect();
    let mut refused = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while refused.len() < 80 - SHARE {
        use futures::StreamExt;
        let Ok(Some(answer)) = tokio::time::timeout_at(deadline, answers.next()).await else {
            break;
        };
        let answer = answer.expect("an answer to a refused stream");
        let header = |name: &str| {
            answer
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or_default().to_owned())
                .unwrap_or_default()
        };
        refused.push((header("grpc-status"), header("grpc-message")));
    }
    drop(answers);
    assert_eq!(
        refused.len(),
        80 - SHARE,
        "the requests over the address's share are answered at once: {refused:?}"
    );
    assert!(
        refused.iter().all(
            |(code, message)| code == "8" && message.contains("max_concurrent_requests_per_ip")
        ),
        "each is RESOURCE_EXHAUSTED naming the limit: {refused:?}"
    );
    assert_eq!(
        node.metric("shoal_requests_refused_total{reason=\"per_ip_limit\"}")
            .await,
        (80 - SHARE) as u64
    );
    // Everyone else still finds room (30 of the 60 slots are free).
    still_serves(&node.client_address(), node.ports.admin, &tls).await;

    // A second client at 127.0.0.3 takes its own share: now every slot is held, and a
    // request from anyone is shed at once rather than queued to its deadline.
    let second: IpAddr = "127.0.0.3".parse().unwrap();
    let sender = raw_connection(&ca, address, Some(second)).await;
    let second_streams = stuck_gets(&sender, address, SHARE).await;
    let shed = crate::support::wait_for(
        "a request shed while every slot is held",
        Duration::from_secs(20),
        || {
            let (address, tls) = (node.client_address(), tls.clone());
            async move {
                let client = shoal_client::Client::connect_with(&address, &tls)
                    .await
                    .ok()?;
                let started = std::time::Instant::now();
                match client.get("k", false).await {
                    Err(error) if error.code() == Some(tonic::Code::ResourceExhausted) => {
                        Some((error, started.elapsed()))
                    }
                    _ => None,
                }
            }
        },
    )
    .await;
    assert!(
        shed.1 < Duration::from_secs(10),
        "shed at once, not after waiting in line to its 120 s deadline: {shed:?}"
    );
    // The second client goes away: its slots are free again, and the greedy one still
    // holds only its share.
    drop(second_streams);
    drop(sender);
    crate::support::wait_for("a fresh Get served again", Duration::from_secs(20), || {
        let (address, tls) = (node.client_address(), tls.clone());
        async move {
            let client = shoal_client::Client::connect_with(&address, &tls)
                .await
                .ok()?;
            client.get("k", false).await.ok()
        }
    })
    .await;
    still_serves(&node.client_address(), node.ports.admin, &tls).await;
    let rss = node.rss_bytes();
    assert!(
        rss < baseline + (64 << 20),
        "110 stuck streams grew the node from {baseline} to {rss} bytes"
    );
    drop((connections, greedy_streams));
}

/// utime + stime of process `pid`, in clock ticks (`/proc/<pid>/stat`).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 11 and 12 after the name.
    field(11) + field(12)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_descriptor_table_neither_spins_the_accept_loop_nor_stops_the_node_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let ports = crate::support::cluster::Ports::reserve();
    // Soft and hard limit 256: the node cannot raise it, and 400 connections exhaust it.
    let mut child = std::process::Command::new("bash")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" \"$@\"")
        .arg(crate::support::shoal_binary())
        .arg("start")
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--client-listen")
        .arg(ports.client.to_string())
        .arg("--admin-listen")
        .arg(ports.admin.to_string())
        .arg("--cluster-listen")
        .arg(ports.internal.to_string())
        .env_remove("SHOAL_LOG")
        .env("SHOAL_SERVER__HANDSHAKE_TIMEOUT", "2s")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("node.log")).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id();
    let admin = ports.admin.to_string();
    let healthy = || async {
        matches!(
            shoal_testkit::admin_get(&admin, "/readyz").await,
            Ok((200, _))
        )
        .then_some(())
    };
    crate::support::wait_for("the node to start", Duration::from_secs(60), healthy).await;
    let baseline = shoal_testkit::rss_of(pid).unwrap_or(0);

    // 400 connections that never send a byte.
    let mut silent = Vec::new();
    for _ in 0..400 {
        match tokio::net::TcpStream::connect(ports.client).await {
            Ok(stream) => silent.push(stream),
            Err(_) => break,
        }
    }
    // While the table is full the accept loop backs off instead of spinning: the node uses
    // well under half a core.
    // (A spinning loop burns a whole core: 200 ticks in 2 s; the bound is a quarter of that.)
    let before = cpu_ticks(pid);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = cpu_ticks(pid) - before;
    assert!(
        used < 50,
        "the node burned {used} ticks in 2 s with its descriptors exhausted"
    );
    let rss = shoal_testkit::rss_of(pid).unwrap_or(0);
    assert!(
        rss < baseline + (64 << 20),
        "{} silent connections grew the node from {baseline} to {rss} bytes",
        silent.len()
    );
    // The silent connections are closed after the handshake timeout, and the node answers
    // again (the admin port, then a fresh client) without a restart.
    crate::support::wait_for(
        "the admin port to answer again",
        Duration::from_secs(30),
        healthy,
    )
    .await;
    let client = shoal_client::Client::connect(&ports.client.to_string())
        .await
        .unwrap();
    client
        .put("after", "v", PutOptions::default())
        .await
        .unwrap();
    let found = tokio::time::timeout(Duration::from_secs(2), client.get("after", false))
        .await
        .expect("a Get after the table emptied was not served within 2 s")
        .unwrap();
    assert_eq!(found.unwrap().value, b"v");
    assert!(
        silent.len() >= 200,
        "only {} connections were opened",
        silent.len()
    );
    drop(silent);
    let _ = child.kill();
    let _ = child.wait();
    // The table really was full (accept failed, and the node said so).
    let log = std::fs::read_to_string(dir.path().join("node.log")).unwrap_or_default();
    assert!(
        log.contains("accepting a connection failed"),
        "the descriptor table never filled up:\n{log}"
    );
}

/// A single node with TLS on every port, `customize` applied, and the key `k` written.
async fn secure_node(
    customize: impl Fn(&mut shoal_node::config::Config),
) -> (ProcessCluster, ConnectOptions) {
    let (cluster, tls) = ProcessCluster::single_secure_node(customize).await;
    let client = shoal_client::Client::connect_with(&cluster.nodes[0].client_address(), &tls)
        .await
        .unwrap();
    client.put("k", "v", PutOptions::default()).await.unwrap();
    (cluster, tls)
}

/// A fresh TLS client reads the key within 2 s, and the admin port says the node is ready.
async fn still_serves(address: &str, admin: SocketAddr, tls: &ConnectOptions) {
    let served = async {
        let client = shoal_client::Client::connect_with(address, tls).await?;
        client.get("k", false).await
    };
    let found = tokio::time::timeout(Duration::from_secs(2), served)
        .await
        .expect("a fresh client was not served within 2 s")
        .unwrap();
    assert_eq!(found.unwrap().value, b"v");
    let (status, _) = shoal_testkit::admin_get_with(&admin.to_string(), "/readyz", tls)
        .await
        .unwrap();
    assert_eq!(status, 200);
}

/// A TCP connection to `address` from `source` (a loopback address).
async fn connect_from(source: std::net::IpAddr, address: SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    socket.connect(address).await.unwrap()
}

/// The server has closed `stream` (EOF or reset) within `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(within, stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_closed_on_every_port_and_one_address_holds_only_its_share() {
    const SILENT_PER_PORT: usize = 120;
    const PER_IP: usize = 80;
    let (cluster, tls) = secure_node(|config| {
        config.server.handshake_timeout = Duration::from_secs(2);
        config.server.max_connections_per_ip = PER_IP;
    })
    .await;
    let node = &cluster.nodes[0];
    let ports = [node.ports.client, node.ports.admin, node.ports.internal];
    let baseline = node.rss_bytes();
    // 120 connections to each port from 127.0.0.2 that never send a byte: the first 80 are
    // held until the handshake timeout, the other 40 are closed at once.
    let greedy: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let mut silent = Vec::new();
    for port in ports {
        for _ in 0..SILENT_PER_PORT {
            silent.push((port, connect_from(greedy, port).await));
        }
    }
    // Everyone else is served meanwhile, on every port.
    still_serves(&node.client_address(), node.ports.admin, &tls).await;
    let rss = node.rss_bytes();
    assert!(
        rss < baseline + (64 << 20),
        "{} silent connections grew the node from {baseline} to {rss} bytes",
        silent.len()
    );
    // Each is closed by the node: those over the per-address limit at once, the rest when
    // the handshake timeout (2 s) passes.
    for (port, stream) in &mut silent {
        assert!(
            closed_within(stream, Duration::from_secs(10)).await,
            "a silent connection to {port} was still open after 10 s"
        );
    }
    for port in ["client", "admin", "internal"] {
        let over = node
            .metric(&format!(
                "shoal_connections_refused_total{{port=\"{port}\",reason=\"max_connections_per_ip\"}}"
            ))
            .await;
        assert!(
            over >= (SILENT_PER_PORT - PER_IP) as u64,
            "{port}: {over} refused over the per-address limit"
        );
        // Silent ones on TLS ports fail their handshake in time; the metric of the
        // handshake failures counts them.
        let silent = node
            .metric(&format!(
                "shoal_tls_handshake_failures_total{{port=\"{port}\"}}"
            ))
            .await;
        assert!(
            silent >= PER_IP as u64,
            "{port}: {silent} handshakes timed out"
        );
    }
    still_serves(&node.client_address(), node.ports.admin, &tls).await;
}

/// Opens a stream on `sender` to `path` whose gRPC message claims `claimed` bytes, sends
/// `sent` of them, and returns the gRPC status code and message the server answers with.
async fn oversized_call(
    mut sender: h2::client::SendRequest<bytes::Bytes>,
    authority: &str,
    path: &str,
    claimed: u32,
    sent: usize,
) -> (String, String) {
    let request = http::Request::post(format!("https://{authority}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    sender = sender.ready().await.unwrap();
    let (response, mut body) = sender.send_request(request, false).unwrap();
    let mut message = vec![0u8; 5 + sent];
    message[1..5].copy_from_slice(&claimed.to_be_bytes());
    // The peer may stop reading (and reset the stream) once it has refused the message.
    let _ = body.send_data(message.into(), false);
    let response = response.await.unwrap();
    let header = |map: &http::HeaderMap, name: &str| {
        map.get(name)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
    };
    if let Some(code) = header(response.headers(), "grpc-status") {
        let message = header(response.headers(), "grpc-message").unwrap_or_default();
        return (code, message);
    }
    let mut received = response.into_body();
    while let Some(chunk) = received.data().await {
        if chunk.is_err() {
            break;
        }
    }
    let trailers = received.trailers().await.unwrap().unwrap_or_default();
    (
        header(&trailers, "grpc-status").unwrap_or_default(),
        header(&trailers, "grpc-message").unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_larger_than_the_internal_port_takes_is_refused_at_its_header() {
    let (cluster, tls) = secure_node(|_| {}).await;
    let node = &cluster.nodes[0];
    let certs = cluster.dir.path().join("certs");
    // A peer with a node certificate of the cluster: only nodes get this far (strangers
    // and clients are refused at the handshake, before anything is decoded).
    let peer = shoal_tls::ClientTls::load(shoal_tls::TlsFiles {
        cert_file: Some(certs.join("node-1.crt")),
        key_file: Some(certs.join("node-1.key")),
        ca_file: Some(certs.join("ca.crt")),
    })
    .unwrap();
    let internal = node.ports.internal;
    let io = shoal_tls::Connector::new(Some(peer))
        .connect(format!("http://{internal}").parse().unwrap())
        .await
        .unwrap();
    let (sender, connection) = h2::client::handshake(io).await.unwrap();
    tokio::spawn(connection);
    let baseline = node.rss_bytes();
    // Eight streams at once, each claiming a 240 MiB append and sending 2 MiB of it.
    let authority = internal.to_string();
    let calls = (0..8).map(|_| {
        oversized_call(
            sender.clone(),
            &authority,
            "/shoal.internal.v1.Raft/AppendEntries",
            240 << 20,
            2 << 20,
        )
    });
    let answers = tokio::time::timeout(Duration::from_secs(20), futures::future::join_all(calls))
        .await
        .expect("the oversized messages were not refused within 20 s");
    for (code, message) in &answers {
        // RESOURCE_EXHAUSTED, naming the size claimed and the limit.
        let message = message.replace("%20", " ");
        assert_eq!(code, "8", "{message}");
        assert!(
            message.contains("too large") && message.contains(&(240u32 << 20).to_string()),
            "{message}"
        );
    }
    let rss = node.rss_bytes();
    assert!(
        rss < baseline + (64 << 20),
        "8 claimed 240 MiB messages grew the node from {baseline} to {rss} bytes"
    );
    still_serves(&node.client_address(), node.ports.admin, &tls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_its_headers_is_cut_off_at_the_admin_ports_header_timeout() {
    use tokio::io::AsyncWriteExt;
    let (cluster, tls) = secure_node(|_| {}).await;
    let node = &cluster.nodes[0];
    let ca = cluster.dir.path().join("certs/ca.crt");
    let client_tls = shoal_tls::ClientTls::load(shoal_tls::TlsFiles {
        cert_file: None,
        key_file: None,
        ca_file: Some(ca),
    })
    .unwrap()
    .for_http1()
    .unwrap();
    let admin = node.ports.admin;
    // Twenty slowloris connections: the TLS handshake and a request line at once (so the
    // first-bytes timeout is passed), then one header byte every 250 ms, never the end.
    let mut trickling = Vec::new();
    for _ in 0..20 {
        let mut stream = shoal_tls::Connector::new(Some(client_tls.clone()))
            .connect(format!("http://{admin}").parse().unwrap())
            .await
            .unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: shoal\r\n")
            .await
            .unwrap();
        trickling.push(stream);
    }
    let started = tokio::time::Instant::now();
    let limit = shoal_node::admin::HEADER_READ_TIMEOUT;
    let mut open = trickling.len();
    let mut bytes_sent = 0;
    while open > 0 && started.elapsed() < limit * 4 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        open = 0;
        for stream in &mut trickling {
            // A write fails once the node has closed the connection (at first the
            // bytes may still be taken by the socket: the read below tells for sure).
            if stream.write_all(b"x").await.is_ok() && stream.flush().await.is_ok() {
                let mut byte = [0u8; 1];
                // Silence: still open. An end, an error or an answer (408): given up on.
                if tokio::time::timeout(Duration::from_millis(1), stream.read(&mut byte))
                    .await
                    .is_err()
                {
                    open += 1;
                }
            }
        }
        bytes_sent += 1;
        // Everyone else is served meanwhile.
        if bytes_sent == 4 {
            still_serves(&node.client_address(), node.ports.admin, &tls).await;
        }
    }
    let took = started.elapsed();
    assert_eq!(
        open, 0,
        "{open} of 20 connections trickling their headers were still open after {took:?}"
    );
    assert!(
        took >= limit - Duration::from_millis(500) && bytes_sent >= 10,
        "cut off after {took:?} and {bytes_sent} bytes: by the header timeout ({limit:?}), \
         not before it"
    );
    still_serves(&node.client_address(), node.ports.admin, &tls).await;
}
