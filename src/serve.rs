//! `cascade serve`: the command line of the exercise host (the host itself is
//! the cascade-host crate). Parses the options, sets up logging and the
//! runtime, and maps failure to exit code 1.

use std::path::PathBuf;
use std::time::Duration;

use cascade_host::{Config, Limits, Source};
use clap::Args;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Scenario file (.ron); not with --resume or --branch.
    // Conflicts with --branch are checked by `refuse_with`: declared to clap
    // they would hide "--at needs --branch" (clap skips a required argument
    // that conflicts with one present).
    #[arg(required_unless_present_any = ["resume", "branch"], conflicts_with = "resume")]
    file: Option<PathBuf>,
    /// Continue a crashed exercise from its journal (the scenario comes from it).
    #[arg(long, value_name = "JOURNAL", conflicts_with = "branch")]
    resume: Option<PathBuf>,
    /// Start a new exercise from the state of a recorded one at --at TICK
    /// (scenario and seed from its journal), paused until the director resumes.
    #[arg(long, value_name = "JOURNAL", requires = "at")]
    branch: Option<PathBuf>,
    /// The tick of the --branch journal to start from (one of its checkpoints).
    #[arg(long, value_name = "TICK", requires = "branch", conflicts_with = "resume")]
    at: Option<u64>,
    /// Teams the scenario's bots play: `all` (every team, until a human's first
    /// command), `none`, or team ids separated by commas; every other team is
    /// human from the first tick.
    #[arg(long, value_name = "TEAM,…", conflicts_with = "resume")]
    bots: Option<String>,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: String,
    /// Journal to write (default: journals/<scenario>-<UTC time>.jsonl, with --branch
    /// journals/<source>-branch-t<TICK>-<UTC time>.jsonl). Never overwritten.
    #[arg(long, conflicts_with = "resume")]
    journal: Option<PathBuf>,
    /// Also write the tokens as JSON to this file (mode 0600).
    #[arg(long, value_name = "PATH")]
    tokens_out: Option<PathBuf>,
    /// Ticks per second once started (default 1; with --resume or --branch,
    /// the last speed the director set in the journal).
    #[arg(long)]
    speed: Option<f64>,
    /// Seed for every random stream (default: the scenario's).
    #[arg(long, conflicts_with = "resume")]
    seed: Option<u64>,
    /// Milliseconds a connection has, from the moment it is accepted, to
    /// complete the websocket upgrade and say hello with a valid token.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    hello_timeout_ms: u64,
    /// Milliseconds a joined client may stay silent (it is pinged meanwhile)
    /// before it counts as gone and is closed.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    idle_timeout_ms: u64,
    /// Commands per second allowed from one connection (bursts of as many).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    rate: u32,
    /// Most simultaneous connections that have joined (said hello with a valid token).
    #[arg(long, default_value_t = cascade_host::DEFAULT_MAX_CONNECTIONS, value_parser = at_least_one)]
    max_connections: usize,
    /// Most joined connections holding one team's token (8 further places are
    /// kept for directors whatever the teams hold).
    #[arg(long, default_value_t = cascade_host::DEFAULT_MAX_CONNECTIONS_PER_TEAM, value_parser = at_least_one)]
    max_connections_per_team: usize,
    /// Most connections waiting to join (accepted, no valid hello yet); a
    /// newcomer over the cap takes the place of the oldest from the busiest address.
    #[arg(long, default_value_t = cascade_host::DEFAULT_MAX_WAITING, value_parser = at_least_one)]
    max_waiting: usize,
    /// Most connections waiting to join from one address (an IPv6 /64 counts
    /// as one); a newcomer over it takes the place of that address's oldest.
    #[arg(long, default_value_t = cascade_host::DEFAULT_MAX_WAITING_PER_ADDRESS, value_parser = at_least_one)]
    max_waiting_per_address: usize,
    #[command(flatten)]
    web: WebArgs,
}

/// How players reach the host: TLS and the address in join links (shared by
/// `cascade serve` and `cascade exercise`).
#[derive(Args, Debug, Default)]
pub struct WebArgs {
    /// Serve https/wss with this PEM certificate (chain) file; needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key", conflicts_with = "tls_self_signed")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve https/wss with a self-signed certificate made for this machine
    /// (kept in <journal>.tls/ and reused on --resume); its SHA-256
    /// fingerprint is printed for players to check.
    #[arg(long)]
    tls_self_signed: bool,
    /// The address players reach the host at, for the join links
    /// (http(s)://HOST[:PORT]); default: the address listened on.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
}

impl WebArgs {
    pub fn tls(&self) -> Option<cascade_host::Tls> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(cascade_host::Tls::Files { cert: cert.clone(), key: key.clone() }),
            _ => self.tls_self_signed.then_some(cascade_host::Tls::SelfSigned),
        }
    }

    pub fn public_url(&self) -> Option<String> {
        self.public_url.clone()
    }
}

/// The connection caps: 1 to a million (the open-file limit lowers them further).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n @ 1..=1_000_000) => Ok(n),
        Ok(_) => Err("must be 1 to 1000000".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

impl ServeArgs {
    fn config(&self) -> Config {
        let source = match (&self.resume, &self.branch, self.at) {
            (Some(journal), _, _) => Source::Resume { journal: journal.clone() },
            (None, Some(journal), Some(at)) => Source::Branch { journal: journal.clone(), at },
            _ => Source::Scenario {
                file: self.file.clone().expect("clap requires FILE without --resume or --branch"),
                bots: self.bots.clone(),
                seed: self.seed,
            },
        };
        Config {
            source,
            addr: self.addr.clone(),
            journal: self.journal.clone(),
            tokens_out: self.tokens_out.clone(),
            speed: self.speed,
            limits: Limits {
                hello_timeout: Duration::from_millis(self.hello_timeout_ms),
                idle_timeout: Duration::from_millis(self.idle_timeout_ms),
                commands_per_second: self.rate,
                max_connections: self.max_connections,
                max_connections_per_team: self.max_connections_per_team,
                max_waiting: self.max_waiting,
                max_waiting_per_address: self.max_waiting_per_address,
                ..Limits::default()
            },
            tls: self.web.tls(),
            public_url: self.web.public_url(),
        }
    }
}

pub fn serve(args: &ServeArgs) -> bool {
    if args.branch.is_some() {
        refuse_with(&[
            ("[FILE]", args.file.is_some()),
            ("--seed <SEED>", args.seed.is_some()),
            ("--bots <TEAM,…>", args.bots.is_some()),
        ]);
    }
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return false;
        }
    };
    match runtime.block_on(cascade_host::run_until(&args.config(), None, None)) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("error: {e:#}");
            false
        }
    }
}

/// Logging to stderr, `RUST_LOG` filtering as usual, except the websocket
/// library: it logs every frame (hellos with their tokens, the directors'
/// join kits with every team's link) at trace and every close at debug, so
/// anyone who can connect could fill the log or read tokens in it. Nothing
/// of it below info passes, whatever `RUST_LOG` says, even for a more
/// specific target such as `tungstenite::protocol=trace`.
fn init_logging() {
    use std::io::IsTerminal;
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let env = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "cascade=info,cascade_host=info,warn".into());
    let websocket_capped = tracing_subscriber::filter::filter_fn(|meta| {
        let websocket = meta.target().starts_with("tungstenite") || meta.target().starts_with("tokio_tungstenite");
        !websocket || *meta.level() <= tracing::Level::INFO
    });
    let layer = tracing_subscriber::fmt::layer()
        // No colour codes in a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_filter(env)
        .with_filter(websocket_capped);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Exits as clap does (status 2) if any of `others` (argument, present) is
/// given with `--branch`, which takes the scenario, seed and takeovers from its
/// journal. Checked here rather than by clap, which skips a required argument
/// that conflicts with one present, and so would let `--at` pass without
/// `--branch` whenever one of these is given.
pub fn refuse_with(others: &[(&str, bool)]) {
    if let Some((name, _)) = others.iter().find(|(_, present)| *present) {
        let message = format!(
            "the argument '--branch <JOURNAL>' cannot be used with '{name}' (a branch takes its scenario, seed and bots from its journal)\n"
        );
        clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, message).exit();
    }
}
