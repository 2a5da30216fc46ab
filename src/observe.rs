//! `cascade observe`: the live director console (cascade-observer does the work).

use clap::Args;

#[derive(Args, Debug)]
pub struct ObserveArgs {
    #[command(flatten)]
    server: crate::server_args::ServerArgs,
    /// Client id, kept across reconnects (default: director-<hostname>-<pid>).
    #[arg(long = "client", value_name = "ID")]
    client: Option<String>,
    /// The exercise's scenario file, to pick injects from its MSEL (`i`, then Ctrl-N).
    #[arg(long, value_name = "FILE")]
    scenario: Option<std::path::PathBuf>,
    /// Redraws per second (independent of the exercise's speed).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    fps: u32,
    /// Key bindings (RON: {"pause": "p", …}; default: $CASCADE_KEYS, else
    /// ~/.config/cascade/keys.ron if it exists). README lists the actions.
    #[arg(long, value_name = "FILE")]
    keys: Option<std::path::PathBuf>,
}

pub fn observe(args: &ObserveArgs) -> bool {
    let keys = match cascade_observer::keymap::KeyMap::from_args(args.keys.as_deref()) {
        Ok(keys) => keys,
        Err(e) => {
            eprintln!("error: {e}");
            return false;
        }
    };
    let msel = match &args.scenario {
        Some(path) => match crate::check::load_or_report(path) {
            Some(model) => cascade_observer::director::msel_of(&model.scenario),
            None => return false,
        },
        None => Vec::new(),
    };
    let server = match args.server.resolve() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {e}");
            return false;
        }
    };
    let config = cascade_observer::observe::ObserveConfig {
        url: server.url,
        token: server.token,
        trust: server.trust,
        client: args.client.clone(),
        fps: args.fps,
        msel,
        keys,
        start: false,
    };
    match cascade_observer::observe::observe(config) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}
