//! The listener: binds, prepares the exercise, prints how to join and writes
//! the join kit (with a certificate when serving TLS), then
//! accepts connections (each served by `connection`, admitted by `admission`)
//! until Ctrl-C or its caller stops it, and waits for the exercise actor to
//! flush the journal.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{info, warn};

use crate::admission::{Admission, Caps};
use cascade_engine::wire::{JoinKit, JoinLink};

use crate::config::{Config, SPEEDS, Source, Tls};
use crate::connection::{Shared, TurnedAway, serve_connection};
use crate::exercise::Request;
use crate::start::{Prepared, resume};
use crate::tokens::Tokens;
use crate::web::tls;
use crate::{branch, fd_limit, join_kit, start};

/// What an in-process host reports once it listens (see [`run_until`]).
#[derive(Debug, Clone)]
pub struct Ready {
    /// `ws://HOST:PORT` (`wss://` with TLS), with the port actually bound:
    /// the address this machine's own clients use.
    pub url: String,
    /// How players join (also sent to every director after its welcome).
    pub join: cascade_engine::wire::JoinKit,
    /// The certificate served (DER), with TLS.
    pub certificate: Option<Vec<u8>>,
    pub director: String,
    pub journal: std::path::PathBuf,
}

/// The first pause after a failed accept (out of file descriptors, most
/// likely); it doubles up to `ACCEPT_BACKOFF_MAX` while accepts keep failing.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(5);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// How often the log sums up the connections turned away before joining.
const TURNED_AWAY_SUMMARY_EVERY: Duration = Duration::from_secs(10);

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
    if let Some(speed) = config.speed
        && !SPEEDS.contains(&speed)
    {
        bail!("--speed must be between 0.01 and 1000 ticks per second");
    }
    let limits = &config.limits;
    let caps = [limits.max_connections, limits.max_connections_per_team, limits.max_waiting];
    if caps.contains(&0) || limits.max_waiting_per_address == 0 {
        bail!(
            "--max-connections, --max-connections-per-team, --max-waiting and --max-waiting-per-address must be at least 1"
        );
    }
    let (caps, lowered) = fd_limit::fit(
        Caps {
            max_connections: limits.max_connections,
            max_per_team: limits.max_connections_per_team,
            max_waiting: limits.max_waiting,
            max_waiting_per_address: limits.max_waiting_per_address,
        },
        fd_limit::raise(),
    );
    let public_url =
        config.public_url.as_deref().map(|u| join_kit::check_public_url(u, config.tls.is_some())).transpose()?;
    // Certificate files are read before anything is written, like the address.
    let mut certificate = match &config.tls {
        Some(Tls::Files { cert, key }) => Some(tls::load(cert, key)?),
        Some(Tls::SelfSigned) | None => None,
    };
    // Listen first: a busy address must fail before a journal, tokens or a
    // branch's files are written.
    let listener =
        TcpListener::bind(&config.addr).await.with_context(|| format!("cannot listen on {}", config.addr))?;
    let prepared = match &config.source {
        Source::Resume { journal } => resume(journal, config.speed)?,
        Source::Branch { journal, at } => branch::branch(journal, *at, config.journal.as_deref(), config.speed)?,
        Source::Scenario { file, bots, seed } => {
            start::start(file, bots.as_deref(), *seed, config.journal.as_deref(), config.speed.unwrap_or(1.0))?
        }
    };
    let Prepared { mut exercise, tokens, journal: journal_path, origin, journal_speed } = prepared;
    // A client that reads nothing for a third of the idle timeout (the ping
    // interval) while its views pile up is too slow.
    exercise.stall_limit = config.limits.idle_timeout / 3;
    if let Some(path) = &config.tokens_out {
        tokens.write(path)?;
    }
    let team_ids: Vec<String> = exercise.sim.model().scenario.teams.iter().map(|t| t.id.clone()).collect();
    let local = listener.local_addr()?;
    let address = join_kit::address(local, config.tls.is_some(), public_url.as_deref());
    let tls_dir = tls::dir_beside(&journal_path);
    if let Some(Tls::SelfSigned) = &config.tls {
        let names = join_kit::certificate_names(&address, local);
        let (made, missing) = tls::self_signed(&tls_dir, &names)?;
        if !missing.is_empty() {
            eprintln!(
                "warning: the certificate kept in {} does not name {}: browsers and clients reaching the host by that name will refuse it. \
                 To make a new one for this address, move that directory away and start again (players then check a new fingerprint)",
                tls_dir.display(),
                missing.join(", ")
            );
        }
        certificate = Some(made);
    } else if config.tls.is_none() && tls_dir.join("cert.pem").exists() {
        eprintln!(
            "warning: this exercise was served over TLS ({} exists) and now is not: the https:// links handed out will not work; add --tls-self-signed to keep them",
            tls_dir.display()
        );
    }
    let acceptor = certificate.as_ref().map(tls::acceptor).transpose()?;
    let scheme = if certificate.is_some() { "wss" } else { "ws" };
    println!("listening on {scheme}://{local}");
    println!("portal {}/", address.base);
    if address.loopback_only {
        eprintln!(
            "warning: listening on the loopback address {}: only this machine can join. For players on other machines, listen on the room's network: --addr 0.0.0.0:{} (every address) or --addr <this machine's address>:{}",
            local.ip(),
            local.port(),
            local.port()
        );
    } else if address.guessed {
        println!(
            "join links use {} (this machine's address on its default route); if players reach it otherwise, set --public-url",
            address.base
        );
    }
    if let Some(certificate) = &certificate {
        println!("certificate SHA-256 fingerprint {}", certificate.fingerprint);
        if certificate.generated {
            println!(
                "self-signed certificate made for {}: {}",
                join_kit::certificate_names(&address, local).join(", "),
                certificate.cert_file.display()
            );
        } else if matches!(config.tls, Some(Tls::SelfSigned)) {
            println!("self-signed certificate kept from an earlier run: {}", certificate.cert_file.display());
        }
    }
    println!("journal {}", journal_path.display());
    if let Some(origin) = &origin {
        println!("{origin}");
    }
    if let Some(speed) = journal_speed {
        println!("speed {speed} ticks per second, the director's last in the journal (--speed sets another)");
    }
    let limit_note = match fd_limit::raise() {
        Some(limit) if lowered => format!(" (lowered to fit the open-file limit of {limit}: raise it with ulimit -n)"),
        Some(limit) => format!(" (open-file limit {limit})"),
        None => String::new(),
    };
    println!(
        "holds {} joined connections ({} per team, {} kept for directors) and {} waiting to join, {} from one address{limit_note}",
        caps.max_connections,
        caps.max_per_team,
        crate::admission::DIRECTOR_RESERVE.min(caps.max_connections / 2),
        caps.max_waiting,
        caps.max_waiting_per_address
    );
    println!("tokens in {}", Tokens::path_beside(&journal_path).display());
    let kit_dir = join_kit::dir_beside(&journal_path);
    let tls_note = certificate.as_ref().map(|c| join_kit::TlsNote {
        fingerprint: &c.fingerprint,
        cert_file: &c.cert_file,
        self_signed: matches!(config.tls, Some(Tls::SelfSigned)),
    });
    let scenario = &exercise.sim.model().scenario;
    // A convenience for the organiser: it must never stop an exercise, nor
    // its recovery with --resume.
    match join_kit::write(&kit_dir, scenario, &tokens, &address, tls_note.as_ref()) {
        Ok(()) => println!("join kit in {} (index.html for the organiser, one page per team)", kit_dir.display()),
        Err(e) => eprintln!("warning: no join kit: {e:#} (the exercise goes on; the tokens are in the tokens file)"),
    }
    let join = JoinKit {
        portal: address.base.clone(),
        websocket: address.websocket.clone(),
        loopback_only: address.loopback_only,
        fingerprint: certificate.as_ref().map(|c| c.fingerprint.clone()),
        directory: kit_dir.display().to_string(),
        teams: scenario
            .teams
            .iter()
            .filter_map(|t| {
                let token = tokens.teams.get(&t.id)?;
                let name = if t.name.is_empty() { t.id.clone() } else { t.name.clone() };
                Some(JoinLink { team: t.id.clone(), name, link: address.join_link(token) })
            })
            .collect(),
    };
    exercise.join = Some(join.clone());
    println!("director token {}", tokens.director);
    for (team, token) in &tokens.teams {
        println!("team {team} token {token}");
    }
    println!("the exercise starts when the director sends start");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    if let Some(ready) = ready {
        // This machine's own clients use the address listened on (the
        // public one may not resolve here); an unspecified one is reached on
        // loopback.
        let ip = match local.ip() {
            std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::IpAddr::from([127, 0, 0, 1]),
            std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
            ip => ip,
        };
        let url = format!("{scheme}://{}", std::net::SocketAddr::new(ip, local.port()));
        let certificate = certificate.as_ref().map(|c| c.chain[0].as_ref().to_vec());
        let _ = ready.send(Ready {
            url,
            join,
            certificate,
            director: tokens.director.clone(),
            journal: journal_path.clone(),
        });
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
    let turned_away = TurnedAway::default();
    let shared = Arc::new(Shared {
        tokens,
        team_ids,
        requests: requests_tx,
        limits: config.limits.clone(),
        turned_away,
        tls: acceptor,
    });
    let mut summary = tokio::time::interval(TURNED_AWAY_SUMMARY_EVERY);
    summary.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let admission = Admission::new(caps);
    let mut accepts = Accepts::default();
    let mut conn = 0u64;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tokio::time::sleep(accepts.failed(&e)).await;
                        continue;
                    }
                };
                accepts.succeeded();
                conn += 1;
                let waiting = admission.admit(conn, peer.ip());
                tokio::spawn(serve_connection(stream, peer, conn, Arc::clone(&shared), waiting));
            }
            _ = summary.tick() => {
                if let Some(summary) = shared.turned_away.take_summary() {
                    info!("{summary} (in the last {} s)", TURNED_AWAY_SUMMARY_EVERY.as_secs());
                }
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

/// Failed accepts: the pause before the next try doubles while they keep
/// failing (out of file descriptors: spinning would only burn the CPU the
/// open connections need), and the log says so once a second, not per try.
#[derive(Default)]
struct Accepts {
    backoff: Option<Duration>,
    failures: u64,
    logged_at: Option<Instant>,
}

impl Accepts {
    /// The pause after a failed accept.
    fn failed(&mut self, e: &std::io::Error) -> Duration {
        self.failures += 1;
        let now = Instant::now();
        if self.logged_at.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1)) {
            let failures = self.failures;
            warn!("accept failed ({failures} times since the last success): {e}; retrying after a pause");
            self.logged_at = Some(now);
        }
        let next = self.backoff.map_or(ACCEPT_BACKOFF_MIN, |b| (b * 2).min(ACCEPT_BACKOFF_MAX));
        self.backoff = Some(next);
        next
    }

    fn succeeded(&mut self) {
        if self.failures > 0 {
            info!("accepting again after {} failed accepts", self.failures);
        }
        *self = Accepts::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn failed_accepts_back_off_doubling_to_a_second_and_reset_on_success() {
        let mut accepts = Accepts::default();
        let e = std::io::Error::from_raw_os_error(24); // EMFILE
        let pauses: Vec<Duration> = (0..10).map(|_| accepts.failed(&e)).collect();
        assert_eq!(pauses[0], ACCEPT_BACKOFF_MIN);
        assert!(pauses.windows(2).all(|w| w[1] == (w[0] * 2).min(ACCEPT_BACKOFF_MAX)), "{pauses:?}");
        assert_eq!(pauses[9], ACCEPT_BACKOFF_MAX);
        accepts.succeeded();
        assert_eq!(accepts.failed(&e), ACCEPT_BACKOFF_MIN);
    }
}
