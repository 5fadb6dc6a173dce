//! Test hooks on a stopped node's data (`shoal debug`, hidden): ways to damage a replica
//! that only the cluster's own checks can find.

use std::path::Path;

use anyhow::{Context, Result, bail};
use shoal_consensus::{Storage, StorageOptions};
use shoal_replication::kv::{Record, SPACE_KEYS};
use shoal_shardmap::{GroupId, ShardId};

/// Rewrites `key`'s value in this node's replica of `shard` (keeping its version and
/// expiry), bypassing Raft: the replica then differs from its peers while every record
/// still passes its checksum.
pub async fn diverge(data_dir: &Path, shard: u32, key: &[u8], value: &[u8]) -> Result<()> {
    let storage = Storage::open(data_dir, StorageOptions::default()).with_context(|| {
        format!(
            "opening the storage in {} (is the node stopped?)",
            data_dir.display()
        )
    })?;
    let group = GroupId::for_shard(ShardId(shard));
    let Some(stored) = storage.reader(group).get(SPACE_KEYS, key)? else {
        bail!(
            "shard {shard} holds no key {:?} in {}",
            String::from_utf8_lossy(key),
            data_dir.display()
        );
    };
    let record = Record {
        value: value.to_vec(),
        ..Record::decode(&stored)?
    };
    storage
        .debug_write_state(group, SPACE_KEYS, key, &record.encode())
        .await?;
    storage.close(std::time::Duration::from_secs(10)).await?;
    Ok(())
}
