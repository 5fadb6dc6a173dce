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

/// The layering of docs/ARCHITECTURE.md: each crate and the shoal crates it may use.
const LAYERS: &[(&str, &[&str])] = &[
    ("shoal-proto", &[]),
    ("shoal-shardmap", &[]),
    ("shoal-consensus", &["shoal-proto"]),
    ("shoal-replication", &["shoal-shardmap", "shoal-consensus"]),
    (
        "shoal-gateway",
        &["shoal-proto", "shoal-shardmap", "shoal-replication"],
    ),
    ("shoal-client", &["shoal-proto"]),
    ("shoal-membership", &[]),
    ("shoal-verify", &[]),
    (
        "shoal-node",
        &[
            "shoal-proto",
            "shoal-shardmap",
            "shoal-consensus",
            "shoal-replication",
            "shoal-gateway",
            "shoal-client",
            "shoal-membership",
            "shoal-verify",
        ],
    ),
    (
        "shoal-chaos",
        &["shoal-node", "shoal-client", "shoal-verify"],
    ),
];

#[test]
fn crates_depend_only_on_crates_below_them() {
    let deps = dependencies();
    for (name, allowed) in LAYERS {
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
