//! What checking an API key costs a request: parse the presented `shoal_<id>_<secret>`,
//! find the id among the node's cached keys, hash the secret (SHA-256) and compare it in
//! constant time, check revocation and expiry — everything the auth layer does per request
//! apart from one lock-free cache load. A benchmark, never a test:
//! `cargo bench -p shoal-replication --bench api_key`.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use shoal_replication::api_key::{KeySpec, Role, new_key, parse};

fn main() {
    let spec = |name: String| KeySpec {
        name,
        role: Role::Write,
        prefix: None,
        expires_at_ms: None,
    };
    // A cache of 1,000 keys, as a busy cluster might hold.
    let mut keys = HashMap::new();
    let mut presented = String::new();
    for i in 0..1_000 {
        let (text, record) = new_key(spec(format!("key-{i}")), 0);
        presented = text;
        keys.insert(record.id.clone(), record);
    }
    let check = |text: &str| {
        let (id, secret) = parse(text).expect("a key");
        let record = keys.get(id).expect("known");
        record.matches(secret) && record.usable(1).is_ok()
    };
    for _ in 0..10_000 {
        assert!(check(black_box(&presented)));
    }
    let rounds = 1_000_000u32;
    let started = Instant::now();
    for _ in 0..rounds {
        assert!(check(black_box(&presented)));
    }
    let elapsed = started.elapsed();
    println!(
        "api key check: {:.0} ns per request ({rounds} checks in {:.2?}, one core)",
        elapsed.as_nanos() as f64 / f64::from(rounds),
        elapsed
    );
}
