//! The first admin API key of a cluster with `server.auth.enabled`: made by whichever node
//! leads the meta group while the cluster has no key at all. Its secret is written once,
//! to `<data_dir>/admin.key` (mode 0600) on that node, and never logged; or it is the key
//! given in `SHOAL_BOOTSTRAP_ADMIN_KEY` or in the file `server.auth.bootstrap_key_file`
//! names (then no file is written).
//!
//! Every node runs this until the cluster has a key. Two nodes could in principle both see
//! no key across a change of meta leader and make one each; both are valid admin keys, and
//! `shoal auth key list` shows them (revoke the one you do not use).

use std::path::{Path, PathBuf};
use std::time::Duration;

use shoal_replication::Meta;
use shoal_replication::api_key::{self, KeySpec, Role};
use shoal_replication::meta::MetaCommand;
use tokio_util::sync::CancellationToken;

/// How often a node checks whether the cluster still needs its first key.
const CHECK_EVERY: Duration = Duration::from_millis(500);

/// Makes the bootstrap admin key once the cluster has none and this node leads the meta
/// group; returns when the cluster has a key (or the node stops).
pub async fn bootstrap_admin_key(
    meta: Meta,
    data_dir: PathBuf,
    preset: Option<String>,
    cancel: CancellationToken,
) {
    let clock = shoal_replication::Clock::system();
    loop {
        match meta.api_keys() {
            Ok(keys) if !keys.is_empty() => return,
            Ok(_) if meta.group().is_leader() => {
                match create(&meta, &data_dir, preset.as_deref(), clock.now_ms()).await {
                    Ok(()) => return,
                    Err(error) => {
                        tracing::warn!(%error, "making the bootstrap admin API key failed; retrying")
                    }
                }
            }
            _ => {}
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(CHECK_EVERY) => {}
        }
    }
}

async fn create(
    meta: &Meta,
    data_dir: &Path,
    preset: Option<&str>,
    now_ms: u64,
) -> anyhow::Result<()> {
    let spec = KeySpec {
        name: "bootstrap admin".into(),
        role: Role::Admin,
        prefix: None,
        expires_at_ms: None,
    };
    let (text, record) = match preset {
        Some(text) => {
            let record = api_key::record_of(text, spec, now_ms)
                .ok_or_else(|| anyhow::anyhow!("SHOAL_BOOTSTRAP_ADMIN_KEY is not an API key"))?;
            (None, record)
        }
        None => {
            let (text, record) = api_key::new_key(spec, now_ms);
            (Some(text), record)
        }
    };
    let id = record.id.clone();
    // The file first: a key nobody can read is worse than a file for a key that failed.
    let path = data_dir.join("admin.key");
    if let Some(text) = &text {
        shoal_tls::write_private(&path, format!("{text}\n").as_bytes())?;
    }
    let answer = meta.propose(&MetaCommand::CreateApiKey(record)).await?;
    if let Some(reason) = answer.rejection() {
        anyhow::bail!("the meta group refused the key: {reason}");
    }
    match text {
        Some(_) => tracing::info!(
            key_id = %id,
            file = %path.display(),
            "made the bootstrap admin API key; its secret is in the file (readable by this \
             user only): use it with --api-key, make keys of your own, then revoke it"
        ),
        None => {
            tracing::info!(
                key_id = %id,
                "installed the bootstrap admin API key given to the node \
                 (SHOAL_BOOTSTRAP_ADMIN_KEY or server.auth.bootstrap_key_file)"
            )
        }
    }
    Ok(())
}
