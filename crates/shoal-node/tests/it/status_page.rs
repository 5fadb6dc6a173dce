//! The status page (`/ui` on the admin port) in a real headless Chromium (Debian's
//! package, installed by the test when missing): it loads with no console message or
//! script error, shows every node of a 3-node cluster as up, and shows a killed node as
//! down within seconds. `/api/status` is the document `shoal cluster status --json`
//! prints.

use std::process::Command;
use std::time::Duration;

use crate::support::cluster::ProcessCluster;

/// The headless browser: Debian's `chromium` (installed when no Chromium-based browser is
/// on the PATH), or a Google Chrome already there (hosted CI runners have one, and
/// Ubuntu's `chromium` package is only a snap wrapper).
fn browser() -> &'static str {
    static FOUND: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    FOUND.get_or_init(|| {
        let on_path = |name: &str| {
            Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        for name in ["chromium", "google-chrome", "google-chrome-stable"] {
            if on_path(name) {
                return name;
            }
        }
        crate::support::debian_package("chromium", "chromium");
        "chromium"
    })
}

/// The page's DOM after its scripts ran for a few (virtual) seconds, and what Chromium
/// logged (console messages and script errors included).
fn render(url: &str, screenshot: Option<&std::path::Path>) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let mut command = Command::new(browser());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=6000",
            "--window-size=1280,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()));
    match screenshot {
        Some(path) => command.arg(format!("--screenshot={}", path.display())),
        None => command.arg("--dump-dom"),
    };
    let output = command.arg(url).output().expect("the browser runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// What the page shows for `node`: `up`, `down`, or None when it has no row for it.
fn shown(dom: &str, node: u64) -> Option<&str> {
    let at = dom.find(&format!("data-node=\"{node}\""))?;
    let row = &dom[at..dom[at..].find('>').map_or(dom.len(), |end| at + end)];
    ["up", "down"]
        .into_iter()
        .find(|state| row.contains(&format!("data-live=\"{state}\"")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_shows_every_node_and_a_killed_one_as_down() {
    browser();
    // A plaintext admin port (Chromium would need the test CA otherwise).
    let mut cluster = ProcessCluster::start_plaintext_ports(|_| {}).await;
    let admin = cluster.node(1).ports.admin;
    let url = format!("http://{admin}/ui");

    // /api/status is the CLI's JSON document.
    let (code, api) = cluster.node(1).admin_get("/api/status").await;
    assert_eq!(code, 200, "{api}");
    let api: serde_json::Value = serde_json::from_str(&api).unwrap();
    let cli = crate::support::shoal_command()
        .args(["cluster", "status", "--json", "--endpoint"])
        .arg(cluster.node(1).client_address())
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    let keys = |value: &serde_json::Value| {
        value
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(keys(&api), keys(&cli), "the same document");
    assert_eq!(api["clusterId"], cli["clusterId"]);
    assert_eq!(api["nodes"].as_array().map(Vec::len), Some(3));

    let (dom, log) = render(&url, None);
    assert!(
        dom.contains("data-loaded=\"yes\""),
        "the page did not load its data:\n{dom}\n{log}"
    );
    for node in 1..=3 {
        assert_eq!(shown(&dom, node), Some("up"), "node {node}:\n{dom}");
    }
    for bad in ["CONSOLE", "Uncaught", "Failed to load resource"] {
        assert!(!log.contains(bad), "the page logged {bad:?}:\n{log}");
    }

    cluster.node(3).kill();
    crate::support::wait_for(
        "the page to show node 3 down",
        Duration::from_secs(60),
        || {
            let url = url.clone();
            async move {
                let (dom, _) = tokio::task::spawn_blocking(move || render(&url, None))
                    .await
                    .unwrap();
                (shown(&dom, 3) == Some("down") && shown(&dom, 1) == Some("up")).then_some(())
            }
        },
    )
    .await;
    let screenshot = tempfile::tempdir().unwrap();
    let path = screenshot.path().join("ui.png");
    render(&url, Some(&path));
    assert!(
        std::fs::metadata(&path).is_ok_and(|m| m.len() > 10_000),
        "no screenshot"
    );
}
