//! How many of something each remote address holds (connections on a port, requests in
//! flight on the client port), with a limit per address: the one count both the acceptor
//! and the client port's per-address request limit keep.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Counts per address; an address holding nothing has no entry.
#[derive(Debug, Default)]
pub struct PerIp {
    counts: Mutex<HashMap<IpAddr, usize>>,
}

impl PerIp {
    /// One more for `ip`, unless it already holds `limit`.
    pub fn take(&self, ip: IpAddr, limit: usize) -> bool {
        let mut counts = self.counts.lock().expect("per-address table poisoned");
        let count = counts.entry(ip).or_default();
        if *count >= limit {
            if *count == 0 {
                counts.remove(&ip);
            }
            return false;
        }
        *count += 1;
        true
    }

    /// Gives back one that [`PerIp::take`] gave `ip`.
    pub fn give_back(&self, ip: IpAddr) {
        let mut counts = self.counts.lock().expect("per-address table poisoned");
        if let Some(count) = counts.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&ip);
            }
        }
    }

    /// Addresses holding anything.
    pub fn addresses(&self) -> usize {
        self.counts
            .lock()
            .expect("per-address table poisoned")
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_its_limit_and_gets_it_back() {
        let table = PerIp::default();
        let one: IpAddr = "10.0.0.1".parse().unwrap();
        let two: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(table.take(one, 2) && table.take(one, 2));
        assert!(!table.take(one, 2), "a third is over the limit");
        assert!(table.take(two, 2), "another address has its own");
        table.give_back(one);
        assert!(table.take(one, 2), "one given back is free again");
        assert!(!table.take(two, 0), "a limit of 0 holds nothing");
        assert_eq!(table.addresses(), 2);
        for _ in 0..2 {
            table.give_back(one);
        }
        table.give_back(two);
        assert_eq!(
            table.addresses(),
            0,
            "an address holding nothing leaves no entry"
        );
    }
}
