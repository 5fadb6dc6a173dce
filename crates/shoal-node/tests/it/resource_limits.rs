//! Hostile or careless clients cannot starve the others: one connection may hold at most
//! `server.max_streams_per_connection` streams (here, streams whose request body never
//! ends), and a fresh client is served meanwhile, within its normal latency.

use std::time::Duration;

use shoal_client::PutOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_with_stuck_streams_does_not_starve_other_clients() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::test_config(dir.path());
    config.server.max_streams_per_connection = 64;
    let (node, client) = crate::support::start_node(config).await;
    client.put("k", "v", PutOptions::default()).await.unwrap();
    let address = node.client_address;

    // One raw HTTP/2 connection opening as many Get streams as it may, never finishing a
    // request body.
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let (sender, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
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
    let mut held = Vec::new();
    for _ in 0..100 {
        let mut ready = sender.clone().ready().await.unwrap();
        let request = http::Request::post(format!("http://{address}/shoal.v1.KV/Get"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .unwrap();
        held.push(ready.send_request(request, false).unwrap());
    }

    // Everyone else is served, promptly.
    let fresh = shoal_client::Client::connect(&address.to_string())
        .await
        .unwrap();
    let found = tokio::time::timeout(Duration::from_secs(5), fresh.get("k", false))
        .await
        .expect("a fresh client waited behind the stuck streams")
        .unwrap();
    assert_eq!(found.unwrap().value, b"v");
    drop(held);
    node.shutdown().await.unwrap();
}
