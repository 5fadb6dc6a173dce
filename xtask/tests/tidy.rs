//! Repository invariants checked as ordinary tests: crate layering, which crates may use
//! which third-party primitives, and every Rust file opening with a `//!` doc line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Normal (non-dev) dependencies of every workspace crate, by crate name.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(workspace_root().join("Cargo.toml"))
        .no_deps()
        .exec()
        .expect("cargo metadata");
    metadata
        .workspace_packages()
        .into_iter()
        .map(|package| {
            let deps = package
                .dependencies
                .iter()
                .filter(|d| d.kind == cargo_metadata::DependencyKind::Normal)
                .map(|d| d.name.clone())
                .collect();
            (package.name.to_string(), deps)
        })
        .collect()
}

/// The layering: each crate, in order, with the shoal crates it may use. The code map of
/// docs/ARCHITECTURE.md lists the crates in this same order (checked below): one truth.
const LAYERS: &[(&str, &[&str])] = &[
    ("shoal-proto", &[]),
    ("shoal-tls", &[]),
    ("shoal-shardmap", &[]),
    (
        "shoal-consensus",
        &["shoal-proto", "shoal-tls", "shoal-shardmap"],
    ),
    ("shoal-membership", &["shoal-shardmap"]),
    ("shoal-replication", &["shoal-shardmap", "shoal-consensus"]),
    (
        "shoal-control",
        &[
            "shoal-shardmap",
            "shoal-consensus",
            "shoal-replication",
            "shoal-membership",
        ],
    ),
    (
        "shoal-gateway",
        &[
            "shoal-proto",
            "shoal-tls",
            "shoal-shardmap",
            "shoal-consensus",
            "shoal-replication",
            "shoal-control",
        ],
    ),
    ("shoal-client", &["shoal-proto", "shoal-tls"]),
    ("shoal-verify", &[]),
    (
        "shoal-testkit",
        &["shoal-tls", "shoal-client", "shoal-verify"],
    ),
    (
        "shoal-node",
        &[
            "shoal-proto",
            "shoal-tls",
            "shoal-shardmap",
            "shoal-consensus",
            "shoal-membership",
            "shoal-replication",
            "shoal-control",
            "shoal-gateway",
            "shoal-client",
            "shoal-testkit",
        ],
    ),
    // The chaos runner drives real processes: it does not link the node.
    (
        "shoal-chaos",
        &["shoal-client", "shoal-verify", "shoal-testkit"],
    ),
];

#[test]
fn crates_depend_only_on_crates_below_them() {
    let deps = dependencies();
    for (position, (name, allowed)) in LAYERS.iter().enumerate() {
        for dep in *allowed {
            let below = LAYERS[..position].iter().any(|(layer, _)| layer == dep);
            assert!(
                below,
                "LAYERS: {name} may only use crates listed above it, not {dep}"
            );
        }
        let actual = deps
            .get(*name)
            .unwrap_or_else(|| panic!("crate {name} is missing"));
        for dep in actual.iter().filter(|d| d.starts_with("shoal-")) {
            assert!(
                allowed.contains(&dep.as_str()),
                "{name} must not depend on {dep} (see docs/ARCHITECTURE.md)"
            );
        }
    }
    for name in deps.keys().filter(|n| n.starts_with("shoal-")) {
        assert!(
            LAYERS.iter().any(|(layer, _)| layer == name),
            "crate {name} is not placed in LAYERS"
        );
    }
}

#[test]
fn third_party_primitives_are_wrapped_once() {
    let deps = dependencies();
    let only_in = |dependency: &str, owners: &[&str]| {
        for (name, actual) in &deps {
            if actual.contains(dependency) {
                assert!(
                    owners.contains(&name.as_str()),
                    "{dependency} may only be used by {owners:?}, not {name}"
                );
            }
        }
    };
    only_in("openraft", &["shoal-consensus"]);
    only_in("redb", &["shoal-consensus"]);
    only_in("chitchat", &["shoal-membership"]);
    // TLS in one place: rustls on the ring provider only.
    for tls in ["rustls", "tokio-rustls", "rcgen", "x509-parser"] {
        only_in(tls, &["shoal-tls"]);
    }
    // Generated protobuf and gRPC types stop at the edges: the crate that holds them, the
    // transport, the gateway, the client, and the binary that serves and calls them.
    for grpc in ["tonic", "prost", "tonic-prost"] {
        only_in(
            grpc,
            &[
                "shoal-proto",
                "shoal-tls",
                "shoal-consensus",
                "shoal-gateway",
                "shoal-client",
                "shoal-node",
                "xtask",
            ],
        );
    }
    for sans_io in ["shoal-control"] {
        for forbidden in ["tonic", "prost", "redb", "openraft", "chitchat"] {
            assert!(
                !deps[sans_io].contains(forbidden),
                "{sans_io} decides, the edges talk: it must not use {forbidden}"
            );
        }
    }
    for pure in ["shoal-shardmap", "shoal-verify"] {
        for forbidden in ["tokio", "tonic", "redb", "openraft"] {
            assert!(
                !deps[pure].contains(forbidden),
                "{pure} is pure and must not use {forbidden}"
            );
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "gen" && !name.to_string_lossy().starts_with('.') {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_module_doc_line() {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    rust_files(&root.join("xtask"), &mut files);
    let missing: Vec<_> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            !text.trim_start().starts_with("//!")
        })
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading //! doc line: {missing:?}"
    );
}

/// Every non-generated source file of the crates, with its text.
fn sources() -> Vec<(String, String)> {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    files
        .into_iter()
        .filter(|path| path.components().any(|c| c.as_os_str() == "src"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (
                path.strip_prefix(&root).unwrap().display().to_string(),
                text,
            )
        })
        .collect()
}

#[test]
fn grpc_statuses_are_built_in_one_place() {
    // The gateway maps errors to statuses in status.rs; the transport answers its own
    // internal service with one status for an undecodable payload.
    let allowed = [
        "crates/shoal-gateway/src/status.rs",
        "crates/shoal-consensus/src/transport.rs",
    ];
    let constructors = [
        "Status::new(",
        "Status::internal(",
        "Status::unavailable(",
        "Status::invalid_argument(",
        "Status::not_found(",
        "Status::failed_precondition(",
        "Status::unimplemented(",
        "Status::deadline_exceeded(",
        "Status::permission_denied(",
        "Status::unauthenticated(",
        "Status::resource_exhausted(",
        "Status::aborted(",
        "Status::unknown(",
    ];
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(path, _)| !allowed.contains(&path.as_str()) && !path.contains("/gen/"))
        .filter(|(_, text)| constructors.iter().any(|c| text.contains(c)))
        .map(|(path, _)| path)
        .collect();
    assert!(
        offenders.is_empty(),
        "gRPC statuses built outside shoal-gateway/src/status.rs: {offenders:?}"
    );
}

/// The crate names of docs/ARCHITECTURE.md's code map, in order.
fn code_map_crates() -> Vec<String> {
    let doc = std::fs::read_to_string(workspace_root().join("docs/ARCHITECTURE.md")).unwrap();
    let map = doc
        .split("## Code map")
        .nth(1)
        .expect("ARCHITECTURE.md has a code map")
        .split("\n## ")
        .next()
        .unwrap();
    map.lines()
        .filter_map(|line| line.strip_prefix("- `"))
        .filter_map(|rest| rest.split('`').next())
        .filter(|name| name.starts_with("shoal-"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_architecture_code_map_lists_the_crates_in_layering_order() {
    let layers: Vec<String> = LAYERS.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(
        code_map_crates(),
        layers,
        "docs/ARCHITECTURE.md's code map must list exactly the crates of LAYERS, in order"
    );
}

/// rustls runs on ring only: a dependency that turns on aws-lc-rs as well makes TLS set-up
/// panic at run time unless a provider is installed first, and doubles the crypto code.
#[test]
fn no_aws_lc_in_the_lock_file() {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock")).unwrap();
    for crate_name in ["aws-lc-rs", "aws-lc-sys", "aws-lc-fips-sys"] {
        assert!(
            !lock.contains(&format!("name = \"{crate_name}\"")),
            "{crate_name} is in Cargo.lock: find what enables it (cargo tree -i {crate_name})"
        );
    }
}
