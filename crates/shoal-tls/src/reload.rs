//! Certificate reload without a restart: the files of every TLS configuration are read
//! again when their contents change (checked every `interval`) or on SIGHUP. New
//! connections use the new files; open connections keep the ones they were made with. A
//! set of files that does not load (a key written before its certificate, say) leaves the
//! previous configuration in place and is retried at the next change.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::files::{ClientTls, ServerTls, TlsError};

/// A TLS configuration read from files.
pub trait Reloadable: Send + Sync + 'static {
    fn paths(&self) -> Vec<PathBuf>;
    fn reload(&self) -> Result<(), TlsError>;
}

impl Reloadable for ServerTls {
    fn paths(&self) -> Vec<PathBuf> {
        self.files().paths()
    }
    fn reload(&self) -> Result<(), TlsError> {
        ServerTls::reload(self)
    }
}

impl Reloadable for ClientTls {
    fn paths(&self) -> Vec<PathBuf> {
        self.files().paths()
    }
    fn reload(&self) -> Result<(), TlsError> {
        ClientTls::reload(self)
    }
}

struct Watched {
    what: &'static str,
    config: Arc<dyn Reloadable>,
    contents: Vec<Option<Vec<u8>>>,
}

impl Watched {
    fn read(&self) -> Vec<Option<Vec<u8>>> {
        self.config
            .paths()
            .iter()
            .map(|path| std::fs::read(path).ok())
            .collect()
    }

    fn reload(&mut self, why: &str) {
        let contents = self.read();
        match self.config.reload() {
            Ok(()) => {
                tracing::info!(what = self.what, why, "reloaded the TLS certificate files");
                metrics::counter!("shoal_tls_reloads_total", "outcome" => "ok").increment(1);
            }
            Err(error) => {
                tracing::warn!(
                    what = self.what,
                    why,
                    %error,
                    "the TLS certificate files do not load; keeping the previous ones"
                );
                metrics::counter!("shoal_tls_reloads_total", "outcome" => "failed").increment(1);
            }
        }
        self.contents = contents;
    }
}

/// Watches the files of `configs` (each with a name for the logs) until `cancel`.
pub fn watch(
    configs: Vec<(&'static str, Arc<dyn Reloadable>)>,
    interval: Duration,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    // The contents as loaded, read now: a change right after this call is one.
    let mut watched: Vec<Watched> = configs
        .into_iter()
        .map(|(what, config)| {
            let mut watched = Watched {
                what,
                config,
                contents: Vec::new(),
            };
            watched.contents = watched.read();
            watched
        })
        .collect();
    tokio::spawn(async move {
        if watched.is_empty() {
            return;
        }
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let signalled = tokio::select! {
                () = cancel.cancelled() => return,
                _ = ticker.tick() => false,
                Some(()) = async {
                    match hangup.as_mut() {
                        Some(signal) => signal.recv().await,
                        None => std::future::pending().await,
                    }
                } => true,
            };
            for item in &mut watched {
                if signalled {
                    item.reload("SIGHUP");
                } else if item.read() != item.contents {
                    item.reload("the files changed");
                }
            }
        }
    })
}
