//! `cascade bot`: a bot that joins a running exercise as one team's client
//! (cascade-observer's `bot` module has the policy).

use cascade_observer::bot::{BotConfig, Params, Policy};
use clap::Args;

#[derive(Args, Debug)]
pub struct BotArgs {
    #[command(flatten)]
    server: crate::server_args::ServerArgs,
    /// `responsive` (acts on what its team sees) or `passive` (stays connected, does nothing).
    #[arg(long, default_value = "responsive")]
    policy: Policy,
    /// Ticks a situation must be visible before the bot acts on it.
    #[arg(long, default_value_t = 0)]
    delay: u64,
    /// Chance per mille of acting on a tick (0-1000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(0..=1000))]
    skill: u16,
    /// Seed of the bot's own dice (for --skill below 1000).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Ticks before the bot investigates the same asset again.
    #[arg(long, default_value_t = 60)]
    recheck: u64,
    /// Client id, kept across reconnects (default: bot-<hostname>-<pid>).
    #[arg(long = "client", value_name = "ID")]
    client: Option<String>,
    /// Consecutive failed reconnection attempts before the bot gives up and exits.
    #[arg(long, default_value_t = 5)]
    retries: u32,
}

pub fn bot(args: &BotArgs) -> bool {
    let server = match args.server.resolve() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {e}");
            return false;
        }
    };
    let config = BotConfig {
        url: server.url,
        token: server.token,
        trust: server.trust,
        client: args.client.clone(),
        policy: args.policy,
        params: Params { delay: args.delay, skill: args.skill, recheck: args.recheck },
        seed: args.seed,
        retries: args.retries,
    };
    match cascade_observer::bot::run_bot(config) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}
