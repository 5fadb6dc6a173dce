//! openraft's own storage conformance suite, run against shoal's redb log and state machine.

use std::sync::Arc;

use openraft::StorageError;
use openraft::testing::log::{StoreBuilder, Suite};
use shoal_consensus::testing::{LogStore, MachineStore, TypeConfig};
use shoal_consensus::{NullMachine, Storage, StorageOptions};

struct RedbStoreBuilder;

impl StoreBuilder<TypeConfig, LogStore, MachineStore, tempfile::TempDir> for RedbStoreBuilder {
    async fn build(
        &self,
    ) -> Result<(tempfile::TempDir, LogStore, MachineStore), StorageError<TypeConfig>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = Storage::open(dir.path(), StorageOptions::default()).expect("open storage");
        // Use a group id other than 0 so the (group, …) keying is exercised.
        let group = shoal_shardmap::GroupId(7);
        let log = LogStore::new(storage.clone(), group);
        let machine = MachineStore::new(storage, group, Arc::new(NullMachine));
        Ok((dir, log, machine))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redb_store_passes_openraft_conformance_suite() {
    Suite::test_all(RedbStoreBuilder)
        .await
        .expect("conformance suite");
}
