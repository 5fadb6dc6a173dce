//! shoal-consensus
