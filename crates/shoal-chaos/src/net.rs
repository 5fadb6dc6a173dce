//! Real network faults between nodes: iptables rules on the addresses of the nodes, inside
//! a network namespace of the run's own (so nothing outside the run is touched and every
//! rule vanishes with it). Each node's traffic carries its own 127.0.0.1x address (shoal
//! binds outgoing connections to its internal listen address and gossips from its gossip
//! address), so a rule between two addresses cuts exactly that pair.

use std::process::Command;

use anyhow::{Context, Result, bail};

/// Whether rules can be installed (inside the run's own network namespace).
#[derive(Debug, Clone, Copy)]
pub struct Net {
    pub enabled: bool,
}

impl Net {
    /// Drops every packet between `a` and `b` (both directions), with probability
    /// `probability` (1.0 = a cut).
    pub fn drop_between(&self, a: &str, b: &str, probability: f64) -> Result<()> {
        for (source, destination) in [(a, b), (b, a)] {
            let mut args = vec![
                "-A".to_owned(),
                "INPUT".into(),
                "-s".into(),
                source.into(),
                "-d".into(),
                destination.into(),
            ];
            if probability < 1.0 {
                args.extend([
                    "-m".into(),
                    "statistic".into(),
                    "--mode".into(),
                    "random".into(),
                    "--probability".into(),
                    format!("{probability:.2}"),
                ]);
            }
            args.extend(["-j".into(), "DROP".into()]);
            self.iptables(&args)?;
        }
        Ok(())
    }

    /// Cuts every pair with one side in `left` and the other in `right`.
    pub fn cut(&self, left: &[String], right: &[String], probability: f64) -> Result<()> {
        for a in left {
            for b in right {
                self.drop_between(a, b, probability)?;
            }
        }
        Ok(())
    }

    /// Removes every rule.
    pub fn heal(&self) -> Result<()> {
        self.iptables(&["-F".to_owned(), "INPUT".into()])
    }

    fn iptables(&self, args: &[String]) -> Result<()> {
        if !self.enabled {
            bail!("network faults are disabled in this run");
        }
        // -w: wait for the xtables lock rather than fail when another tool holds it.
        let status = Command::new("iptables")
            .arg("-w")
            .args(args)
            .status()
            .context("running iptables")?;
        if !status.success() {
            bail!("iptables {} failed: {status}", args.join(" "));
        }
        Ok(())
    }
}

/// Brings up loopback in a fresh network namespace.
pub fn loopback_up() -> Result<()> {
    let status = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .context("running ip")?;
    if !status.success() {
        bail!("ip link set lo up failed: {status}");
    }
    Ok(())
}
