//! shoal-replication
