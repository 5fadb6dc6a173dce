//! shoal-shardmap
