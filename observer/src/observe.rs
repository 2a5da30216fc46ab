//! `cascade observe ws://HOST:PORT --token DIRECTOR`: the live director console.
//!
//! The same loop as `cascade play` ([`crate::play`]): one stream of events —
//! keys (a reader thread), the websocket client's frames and connection changes
//! (its task), and frame ticks at a fixed rate independent of the exercise's
//! speed. Nothing in the loop waits on the network: commands are only queued, a
//! silent or gone server shows in the header. The terminal is restored on exit
//! and, by ratatui's panic hook, on a panic.

use crate::app::Event;
use crate::client::{Client, ClientConfig, ClientEvent, Connection, default_client_id};
use crate::director::{DirectorApp, Effect};

/// `cascade observe`'s settings.
#[derive(Debug, Clone)]
pub struct ObserveConfig {
    pub url: String,
    pub token: String,
    /// The client id; default `director-<hostname>-<pid>`.
    pub client: Option<String>,
    /// Redraws per second.
    pub fps: u32,
    /// The scenario's MSEL for the inject form (see [`crate::director::msel_of`]).
    pub msel: Vec<(String, cascade_engine::wire::LiveInject)>,
    /// Keys configured on top of the defaults.
    pub keys: crate::keymap::KeyMap,
    /// Send `start` once welcomed, if the exercise has not started yet.
    pub start: bool,
    /// For wss://: the certificates to trust.
    pub trust: crate::tls::Trust,
}

/// Runs the console until `q`, in a runtime of its own.
pub fn observe(config: ObserveConfig) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(run(config))
}

/// Runs the console until `q` inside the caller's tokio runtime.
pub async fn run(config: ObserveConfig) -> Result<(), String> {
    let client_id = config.client.clone().unwrap_or_else(|| default_client_id("director"));
    let (mut client, client_events) = Client::spawn(ClientConfig {
        trust: config.trust.clone(),
        ..ClientConfig::new(&config.url, &config.token, client_id)
    });
    let mut terminal = ratatui::try_init().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let (mut events, keys) = crate::inputs::spawn(client_events, config.fps);
    let fps = config.fps.clamp(1, 60);

    let mut app = DirectorApp::new(&config.url);
    app.fps = fps;
    app.msel = config.msel.clone();
    app.keys = config.keys.clone();
    let mut dirty = true;
    let mut refused = None;
    let mut welcomed = false;
    let mut result = Ok(());
    let mut silent = false;
    while let Some(event) = events.recv().await {
        match event {
            Event::Frame => {
                app.on_frame_tick();
                if let Some(filter) = app.asset_page_refresh() {
                    client.ask_assets(&filter, 0);
                }
                // The "server silent" warning appears without any other event.
                let now_silent = app.silent_for().is_some();
                if now_silent || silent != now_silent {
                    dirty = true;
                }
                silent = now_silent;
                if let Err(e) =
                    crate::inputs::redraw(&mut terminal, &mut dirty, |frame| crate::director_ui::draw(frame, &app))
                {
                    result = Err(e);
                    break;
                }
            }
            Event::Resize => dirty = true,
            Event::Key(key) => {
                dirty = true;
                match app.handle_key(key) {
                    Effect::Quit => break,
                    Effect::Send(action) => {
                        let command = serde_json::to_value(&action).expect("director actions serialise");
                        let seq = client.send_value(command);
                        app.sent(seq, &action);
                    }
                    Effect::ViewAs(team) => {
                        // The host sends the team's view now and after each tick.
                        app.watching = Some(team.clone());
                        let action = cascade_engine::wire::DirectorAction::Watch { team: Some(team) };
                        let command = serde_json::to_value(&action).expect("director actions serialise");
                        let seq = client.send_value(command);
                        app.sent(seq, &action);
                    }
                    Effect::AskAssets(filter) => client.ask_assets(&filter, 0),
                    // Only a recording seeks, branches or keeps notes beside it.
                    Effect::None | Effect::Seek(_) | Effect::Branch(_) | Effect::Note(..) => {}
                }
            }
            Event::Client(event) => {
                dirty = true;
                if let ClientEvent::Frame(cascade_engine::wire::ServerMessage::Welcome { tick, running, .. }) = &event {
                    if config.start && !welcomed && *tick == 0 && !*running {
                        let action = cascade_engine::wire::DirectorAction::Start;
                        let seq = client.send_value(serde_json::to_value(&action).expect("director actions serialise"));
                        app.sent(seq, &action);
                    }
                    welcomed = true;
                }
                if let ClientEvent::Connection(Connection::Closed { reason }) = &event
                    && !welcomed
                {
                    refused = Some(reason.clone());
                }
                app.on_client(event);
                if refused.is_some() {
                    break;
                }
            }
        }
    }
    crate::inputs::close(keys, &client, &mut events).await;
    if let Some(reason) = refused {
        return Err(format!("cannot join {} as the director: {reason}", config.url));
    }
    result
}
