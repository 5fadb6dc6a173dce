//! The `shoal` binary as a user runs it: start a node, use `shoal kv` and
//! `shoal cluster status`, stop it with SIGTERM and get exit code 0.

use std::process::Command;

use crate::support::ShoalProcess;

fn shoal(endpoint: &str, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(crate::support::shoal_binary())
        .args(args)
        .args(["--endpoint", endpoint])
        .output()
        .expect("run shoal");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn cli_session_against_a_real_node() {
    let dir = tempfile::tempdir().unwrap();
    let mut process = ShoalProcess::start(dir.path());
    let endpoint = process.client_address.clone();

    let (code, out, _) = shoal(
        &endpoint,
        &["kv", "put", "greeting", "hello", "--ttl", "1h"],
    );
    assert_eq!(code, 0);
    let version: u64 = out
        .trim()
        .strip_prefix("version ")
        .unwrap()
        .parse()
        .unwrap();

    let (code, out, err) = shoal(&endpoint, &["kv", "get", "greeting"]);
    assert_eq!((code, out.as_str()), (0, "hello\n"));
    assert!(
        err.contains(&format!("version {version}")) && err.contains("expires in"),
        "{err}"
    );

    let (code, _, err) = shoal(
        &endpoint,
        &["kv", "put", "greeting", "bye", "--if-version", "1"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("current version is {version}")),
        "{err}"
    );

    let (code, out, _) = shoal(&endpoint, &["kv", "get", "greeting", "--stale"]);
    assert_eq!((code, out.as_str()), (0, "hello\n"));
    let (code, out, _) = shoal(&endpoint, &["kv", "touch", "greeting"]);
    assert_eq!((code, out.as_str()), (0, "touched\n"));
    let (code, out, _) = shoal(&endpoint, &["kv", "delete", "greeting"]);
    assert_eq!((code, out.as_str()), (0, "deleted\n"));
    let (code, _, err) = shoal(&endpoint, &["kv", "get", "greeting"]);
    assert_eq!(code, 2);
    assert!(err.contains("not found"), "{err}");

    let (code, out, _) = shoal(&endpoint, &["cluster", "status"]);
    assert_eq!(code, 0);
    assert!(out.contains("ready=true"), "{out}");
    let shard_lines = out
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()));
    assert_eq!(
        shard_lines.filter(|l| l.contains(" leader ")).count(),
        16,
        "{out}"
    );

    let (code, _, err) = shoal(&endpoint, &["kv", "put", "", "v"]);
    assert_eq!(code, 1);
    assert!(err.contains("key: must not be empty"), "{err}");

    let status = ureq_get(&process.admin_address, "/readyz");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");

    let exit = process.terminate();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}

#[test]
fn unknown_config_key_stops_the_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("shoal.toml");
    std::fs::write(&config, "[cluster.data]\nshard = 4\n").unwrap();
    let output = Command::new(crate::support::shoal_binary())
        .args(["start", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("shard"), "{err}");
}

/// A minimal HTTP/1.1 GET over a plain socket (the admin server speaks HTTP/1.1).
fn ureq_get(address: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}
