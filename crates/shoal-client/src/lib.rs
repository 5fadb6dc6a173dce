//! shoal-client
