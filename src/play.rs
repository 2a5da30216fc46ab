//! `cascade play`: the terminal player client (cascade-observer does the work).

use clap::Args;

#[derive(Args, Debug)]
pub struct PlayArgs {
    /// The server, as `cascade serve` printed it: ws://HOST:PORT.
    url: String,
    /// Your team's token (from the exercise director).
    #[arg(long)]
    token: String,
    /// Client id, kept across reconnects (default: play-<hostname>-<pid>).
    #[arg(long = "client", value_name = "ID")]
    client: Option<String>,
    /// Redraws per second.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    fps: u32,
}

pub fn play(args: &PlayArgs) -> bool {
    let config = cascade_observer::play::PlayConfig {
        url: args.url.clone(),
        token: args.token.clone(),
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
