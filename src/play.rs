//! `cascade play`: the terminal player client (cascade-observer does the work).

use clap::Args;

#[derive(Args, Debug)]
pub struct PlayArgs {
    #[command(flatten)]
    server: crate::server_args::ServerArgs,
    /// Client id, kept across reconnects (default: play-<hostname>-<pid>).
    #[arg(long = "client", value_name = "ID")]
    client: Option<String>,
    /// Redraws per second.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    fps: u32,
}

pub fn play(args: &PlayArgs) -> bool {
    let server = match args.server.resolve() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {e}");
            return false;
        }
    };
    let config = cascade_observer::play::PlayConfig {
        url: server.url,
        token: server.token,
        trust: server.trust,
        client: args.client.clone(),
        fps: args.fps,
    };
    match cascade_observer::play::play(config) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}
