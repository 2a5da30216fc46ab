//! The listener: binds, prepares the exercise, prints how to join, then
//! accepts connections (each served by `connection`) until Ctrl-C or its
//! caller stops it, and waits for the exercise actor to flush the journal.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::{info, warn};

use crate::config::{Config, Source};
use crate::connection::{Shared, serve_connection};
use crate::exercise::Request;
use crate::start::{Prepared, resume};
use crate::tokens::Tokens;
use crate::{branch, start};

/// What an in-process host reports once it listens (see [`run_until`]).
#[derive(Debug, Clone)]
pub struct Ready {
    /// `ws://HOST:PORT`, with the port actually bound.
    pub url: String,
    pub director: String,
    pub journal: std::path::PathBuf,
}

/// Runs the host until Ctrl-C or, for a caller in the same process (`cascade
/// exercise`), until `stop` turns true or its sender is dropped; then the
/// journal is flushed. Once it listens it prints the address, journal and
/// tokens on stdout and sends the bound address, the director's token and the
/// journal on `ready`.
pub async fn run_until(
    config: &Config,
    ready: Option<tokio::sync::oneshot::Sender<Ready>>,
    stop: Option<watch::Receiver<bool>>,
) -> Result<()> {
    let speed = config.speed.unwrap_or(1.0);
    if !(0.01..=1000.0).contains(&speed) {
        bail!("--speed must be between 0.01 and 1000 ticks per second");
    }
    // Listen first: a busy address must fail before a journal, tokens or a
    // branch's files are written.
    let listener =
        TcpListener::bind(&config.addr).await.with_context(|| format!("cannot listen on {}", config.addr))?;
    let prepared = match &config.source {
        Source::Resume { journal } => resume(journal, speed)?,
        Source::Branch { journal, at } => branch::branch(journal, *at, config.journal.as_deref(), speed)?,
        Source::Scenario { file, bots, seed } => {
            start::start(file, bots.as_deref(), *seed, config.journal.as_deref(), speed)?
        }
    };
    let Prepared { exercise, tokens, journal: journal_path, origin } = prepared;
    if let Some(path) = &config.tokens_out {
        tokens.write(path)?;
    }
    let team_ids: Vec<String> = exercise.sim.model().scenario.teams.iter().map(|t| t.id.clone()).collect();
    let local = listener.local_addr()?;
    println!("listening on ws://{local}");
    println!("journal {}", journal_path.display());
    if let Some(origin) = &origin {
        println!("{origin}");
    }
    println!("tokens in {}", Tokens::path_beside(&journal_path).display());
    println!("director token {}", tokens.director);
    for (team, token) in &tokens.teams {
        println!("team {team} token {token}");
    }
    println!("the exercise starts when the director sends start");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    if let Some(ready) = ready {
        let url = format!("ws://{local}");
        let _ = ready.send(Ready { url, director: tokens.director.clone(), journal: journal_path.clone() });
    }
    let stopped = async move {
        match stop {
            Some(mut stop) => {
                let _ = stop.wait_for(|s| *s).await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stopped);

    let (requests_tx, requests_rx) = mpsc::channel::<Request>(1024);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let actor = tokio::spawn(exercise.run(requests_rx, shutdown_rx));
    let shared = Arc::new(Shared { tokens, team_ids, requests: requests_tx, limits: config.limits.clone() });
    let slots = Arc::new(Semaphore::new(config.limits.max_connections));
    let ids = AtomicU64::new(0);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let conn = ids.fetch_add(1, Ordering::Relaxed);
                let shared = Arc::clone(&shared);
                let permit = Arc::clone(&slots).try_acquire_owned();
                tokio::spawn(async move {
                    let full = permit.is_err();
                    serve_connection(stream, peer, conn, shared, full).await;
                    drop(permit);
                });
            }
            _ = &mut ctrl_c => {
                info!("Ctrl-C: flushing the journal and stopping");
                let _ = shutdown_tx.send(true);
                break;
            }
            _ = &mut stopped => {
                info!("stopped by its caller: flushing the journal");
                let _ = shutdown_tx.send(true);
                break;
            }
        }
    }
    let _ = actor.await;
    Ok(())
}
