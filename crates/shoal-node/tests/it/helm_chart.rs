//! The Helm chart (`deploy/helm/shoal`), checked offline with real tools: rendered by
//! Helm's own engine (PyPI `helm-python-sdk`, no helm binary or cluster) for the default
//! values and variants (5 replicas, TLS from an existing Secret, cert-manager, no zones with
//! hard anti-affinity and the Prometheus Operator resources, plaintext), `helm lint
//! --strict`, every rendered manifest validated with `kubernetes-validate --strict`
//! against a current Kubernetes version's schemas, `yamllint` on the chart's YAML and what
//! it renders; the rendered shoal configuration read by the real binary's parser (`shoal
//! config check`, with each pod's environment), so a value shoal would refuse fails here;
//! values the chart must refuse are refused; and the certificate Helm makes at install is
//! one a real node serves TLS with.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{shoal_binary, shoal_command};

/// yamllint's relaxed rules, warnings fatal (`-s`); long lines allowed (certificates, the
/// alert rules' descriptions) and sequences indented either way (Helm's toYaml does not
/// indent them).
const YAMLLINT: &str = "{extends: relaxed, rules: {line-length: disable, indentation: {spaces: consistent, indent-sequences: whatever}}}";

fn chart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/helm/shoal")
}

fn run(command: &mut Command) -> (bool, String) {
    let output = command.output().expect("the tool runs");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// The tools' directory in the test virtualenv.
fn venv_bin(python: &Path) -> PathBuf {
    python.parent().expect("venv/bin/python").to_path_buf()
}

#[test]
fn the_chart_renders_lints_validates_and_configures_nodes_shoal_accepts() {
    let python = crate::support::python_with(&[
        ("helm-python-sdk==0.2.2", "helm_python"),
        ("kubernetes-validate", "kubernetes_validate"),
        ("yamllint", "yamllint"),
    ]);
    let bin = venv_bin(&python);
    let out = tempfile::tempdir().unwrap();
    let variants = serde_json::json!({
        "default": {},
        "five": { "replicas": 5 },
        "existing-secret": {
            "tls": { "source": "existingSecret", "existingSecret": "my-shoal-tls", "gossipKeySecret": "my-gossip" },
            "auth": { "bootstrapKeySecret": "my-admin-key" }
        },
        "cert-manager": {
            "tls": { "source": "certManager", "certManager": { "issuerRef": { "name": "ca-issuer", "kind": "ClusterIssuer" } } }
        },
        "no-zones": {
            "cluster": { "zoneFromNodeLabel": false, "shutdownTimeout": "2m" },
            "podAntiAffinity": "hard",
            "topologySpread": false,
            "metrics": { "serviceMonitor": { "enabled": true }, "prometheusRule": { "enabled": true } },
            "extraConfig": { "storage": { "cache_bytes": 268435456 } }
        },
        "plaintext": { "tls": { "enabled": false }, "auth": { "enabled": false } },
        // Refused by the schema, by the chart, or by shoal itself (below).
        "bad-schema": { "cluster": { "shards": 0 } },
        "bad-unknown-key": { "replica": 3 },
        "bad-rf": { "replicas": 3, "cluster": { "replicationFactor": 5 } },
        "bad-existing-secret": { "tls": { "source": "existingSecret" } },
        "bad-for-shoal": { "extraConfig": { "storage": { "cache_bytes": 1024 } } },
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/render_chart.py");
    let (ok, said) = run(Command::new(&python)
        .arg(&script)
        .arg(chart_dir())
        .arg(out.path())
        .arg(variants.to_string()));
    assert!(ok, "rendering the chart failed: {said}");

    // helm lint --strict: no warning, no error.
    let lint: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("lint.json")).unwrap())
            .unwrap();
    let findings: Vec<&serde_json::Value> = lint["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|m| m["severity"].as_i64() >= Some(2))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        findings.is_empty() && lint["errors"].as_array().is_none_or(|e| e.is_empty()),
        "helm lint --strict: {lint}"
    );

    // The refusals name what is wrong.
    let refusal = |variant: &str| {
        std::fs::read_to_string(out.path().join(format!("{variant}.error")))
            .unwrap_or_else(|_| panic!("the chart rendered {variant}, which it must refuse"))
    };
    assert!(
        refusal("bad-schema").contains("shards"),
        "{}",
        refusal("bad-schema")
    );
    assert!(
        refusal("bad-unknown-key").contains("replica"),
        "{}",
        refusal("bad-unknown-key")
    );
    assert!(
        refusal("bad-rf").contains("cannot exceed replicas"),
        "{}",
        refusal("bad-rf")
    );
    assert!(
        refusal("bad-existing-secret").contains("tls.existingSecret"),
        "{}",
        refusal("bad-existing-secret")
    );

    let good = [
        "default",
        "five",
        "existing-secret",
        "cert-manager",
        "no-zones",
        "plaintext",
    ];
    // Custom resources (cert-manager, Prometheus Operator) have no schemas in
    // kubernetes-validate: those documents are checked for their kind only.
    let custom = ["Certificate", "ServiceMonitor", "PrometheusRule"];
    for variant in good {
        let dir = out.path().join(variant);
        let facts: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.path().join(format!("{variant}.json"))).unwrap(),
        )
        .unwrap();
        let kinds: Vec<&str> = facts["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|k| k.as_str())
            .collect();
        for kind in [
            "StatefulSet",
            "Service",
            "ConfigMap",
            "PodDisruptionBudget",
            "Pod",
        ] {
            assert!(kinds.contains(&kind), "{variant}: no {kind} in {kinds:?}");
        }
        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        let (standard, crds): (Vec<&PathBuf>, Vec<&PathBuf>) = files.iter().partition(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            !custom
                .iter()
                .any(|kind| text.contains(&format!("kind: {kind}\n")))
        });
        let (ok, said) = run(Command::new(bin.join("kubernetes-validate"))
            .args(["--strict", "--kubernetes-version", "1.33.0"])
            .args(&standard));
        assert!(ok, "{variant}: kubernetes-validate --strict: {said}");
        let (ok, said) = run(Command::new(bin.join("yamllint"))
            .args(["-d", YAMLLINT, "-s"])
            .args(&files));
        assert!(ok, "{variant}: yamllint: {said}");
        if variant == "cert-manager" {
            assert!(crds.iter().any(|p| {
                std::fs::read_to_string(p)
                    .unwrap()
                    .contains("kind: Certificate")
            }));
        }
        if variant == "no-zones" {
            assert_eq!(
                crds.len(),
                1,
                "{variant}: ServiceMonitor and PrometheusRule: {crds:?}"
            );
            assert_eq!(facts["grace"], 150, "shutdownTimeout 2m + 30 s");
        }

        // The node configuration, read by shoal's own parser with pod 0's environment.
        let (ok, said) = check_config(out.path(), variant, &facts);
        assert!(
            ok,
            "{variant}: shoal refuses the chart's configuration: {said}"
        );
        let args: Vec<&str> = facts["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a.as_str())
            .collect();
        assert_eq!(args, ["start", "--config", "/etc/shoal/config/shoal.toml"]);
        let expect = if variant == "five" { 5 } else { 3 };
        assert!(
            said.contains(&format!("expect_nodes = {expect}")),
            "{variant}: {said}"
        );
    }

    // A value only shoal knows to be wrong fails the same check.
    let facts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("bad-for-shoal.json")).unwrap(),
    )
    .unwrap();
    let (ok, said) = check_config(out.path(), "bad-for-shoal", &facts);
    assert!(!ok && said.contains("storage.cache_bytes"), "{said}");

    // The chart's alert rules are the tested ones.
    assert_eq!(
        std::fs::read_to_string(chart_dir().join("files/shoal-alerts.yml")).unwrap(),
        std::fs::read_to_string(chart_dir().join("../../prometheus/shoal-alerts.yml")).unwrap(),
        "deploy/helm/shoal/files/shoal-alerts.yml is a copy of deploy/prometheus/shoal-alerts.yml"
    );
    let (ok, said) = run(Command::new(bin.join("yamllint"))
        .args(["-d", YAMLLINT, "-s"])
        .arg(chart_dir().join("values.yaml"))
        .arg(chart_dir().join("Chart.yaml"))
        .arg(chart_dir().join("../../compose/docker-compose.yml"))
        .arg(chart_dir().join("../../../.github/workflows")));
    assert!(
        ok,
        "yamllint of the chart's values, the compose file, the workflows: {said}"
    );

    serves_tls_with_the_certificate_helm_made(out.path());
}

/// `shoal config check --with-env` of a variant's shoal.toml, with the environment its pod
/// 0 would have (and none of this process's SHOAL_* variables).
fn check_config(out: &Path, variant: &str, facts: &serde_json::Value) -> (bool, String) {
    let config = out.join(format!("{variant}.toml"));
    std::fs::write(&config, facts["toml"].as_str().expect("a shoal.toml")).unwrap();
    let mut check = shoal_command();
    check.args(["config", "check", "--with-env"]).arg(&config);
    for (name, value) in facts["env"].as_object().unwrap() {
        check.env(name, value.as_str().unwrap());
    }
    run(&mut check)
}

/// A node started with the certificate and key of the default variant's Secret (RSA, made
/// by Helm's genCA / genSignedCert) serves its admin port over TLS, and a client trusting
/// that CA and checking the name `localhost` is answered.
fn serves_tls_with_the_certificate_helm_made(out: &Path) {
    let tls = out.join("default-tls");
    let dir = tempfile::tempdir().unwrap();
    let ports = crate::support::cluster::Ports::reserve();
    // The certificate names 127.0.0.1 and localhost: the admin port listens there.
    let admin_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = shoal_command()
        .arg("start")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--client-listen")
        .arg(ports.client.to_string())
        .arg("--admin-listen")
        .arg(format!("127.0.0.1:{admin_port}"))
        .arg("--cluster-listen")
        .arg(ports.internal.to_string())
        .env("SHOAL_SERVER__TLS__CERT_FILE", tls.join("tls.crt"))
        .env("SHOAL_SERVER__TLS__KEY_FILE", tls.join("tls.key"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("node.log")).unwrap())
        .spawn()
        .unwrap();
    let admin = format!("https://localhost:{admin_port}");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let (ready, said) = loop {
        let (ok, said) = run(Command::new(shoal_binary())
            .args(["health", "--admin", &admin, "--ca-file"])
            .arg(tls.join("ca.crt")));
        if ok || std::time::Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break (ok, said);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        ready,
        "a node with Helm's certificate did not answer over TLS: {said}\n{}",
        std::fs::read_to_string(dir.path().join("node.log")).unwrap_or_default()
    );
}
