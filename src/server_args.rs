//! Where a client connects: the arguments `cascade play`, `bot` and `observe`
//! share. The server may be given as `ws://` / `wss://`, or as the join link
//! or portal address an organiser handed out (`http(s)://HOST:PORT/#join=T`),
//! whose token then needs no `--token`.

use std::path::PathBuf;

use cascade_observer::tls::{Trust, parse_server};
use clap::Args;

#[derive(Args, Debug)]
pub struct ServerArgs {
    /// The server: ws://HOST:PORT or wss://HOST:PORT as `cascade serve`
    /// printed it, or a team's join link (http(s)://HOST:PORT/#join=TOKEN).
    url: String,
    /// The token (not needed with a join link, which carries it).
    #[arg(long)]
    token: Option<String>,
    /// For wss://: trust the certificates in this PEM file (the host's
    /// self-signed certificate, or the exercise network's CA) instead of the
    /// public web's roots.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
}

/// The resolved address, token and trust.
pub struct Server {
    pub url: String,
    pub token: String,
    pub trust: Trust,
}

impl ServerArgs {
    pub fn resolve(&self) -> Result<Server, String> {
        let (url, link_token) = parse_server(&self.url)?;
        let token = match (&self.token, link_token) {
            (Some(given), Some(linked)) if *given != linked => {
                return Err("--token differs from the token in the join link: give one of them".to_string());
            }
            (Some(token), _) => token.clone(),
            (None, Some(token)) => token,
            (None, None) => return Err(format!("--token is needed with {url} (or give the team's join link)")),
        };
        if self.ca_cert.is_some() && !url.starts_with("wss://") {
            return Err(format!("--ca-cert is for encrypted connections (wss:// or https://), not {url}"));
        }
        let trust = self.ca_cert.clone().map_or(Trust::Public, Trust::CertFile);
        Ok(Server { url, token, trust })
    }
}
