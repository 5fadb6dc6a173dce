//! shoal-gateway
