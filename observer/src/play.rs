//! `cascade play ws://HOST:PORT --token T`: the terminal player client.
//!
//! One loop consumes one stream of [`Event`]s: keys (from a reader thread),
//! the client's frames and connection changes (from the websocket task), and
//! frame ticks at a fixed rate (10 per second by default, independent of the
//! exercise's speed). It redraws on a frame tick when something changed. The
//! terminal is restored on exit and, by ratatui's panic hook, on a panic.

use crate::app::{App, Effect, Event, Tone};
use crate::client::{Client, ClientConfig, ClientEvent, Connection, default_client_id};

/// `cascade play`'s settings.
#[derive(Debug, Clone)]
pub struct PlayConfig {
    pub url: String,
    pub token: String,
    /// The client id; default `play-<hostname>-<pid>`.
    pub client: Option<String>,
    /// Redraws per second.
    pub fps: u32,
    /// For wss://: the certificates to trust.
    pub trust: crate::tls::Trust,
}

/// Runs the player until `q`; returns an error for people if the terminal
/// cannot be set up or the server refused the token.
pub fn play(config: PlayConfig) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(run(config))
}

async fn run(config: PlayConfig) -> Result<(), String> {
    let client_id = config.client.clone().unwrap_or_else(|| default_client_id("play"));
    let (mut client, client_events) = Client::spawn(ClientConfig {
        trust: config.trust.clone(),
        ..ClientConfig::new(&config.url, &config.token, client_id.clone())
    });
    let mut terminal = ratatui::try_init().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let (mut events, keys) = crate::inputs::spawn(client_events, config.fps);

    // The client id tells this analyst's entries in the team's action log ("you").
    let mut app = App::with_client(&config.url, client_id);
    let mut dirty = true;
    let mut refused = None;
    let mut result = Ok(());
    while let Some(event) = events.recv().await {
        match event {
            Event::Frame => {
                if let Err(e) = crate::inputs::redraw(&mut terminal, &mut dirty, |frame| crate::ui::draw(frame, &app)) {
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
                        let seq = client.send(&action);
                        app.sent(seq, action);
                    }
                    Effect::ExportIndicators => export_indicators(&mut app),
                    Effect::None => {}
                }
            }
            Event::Client(event) => {
                dirty = true;
                if let ClientEvent::Connection(Connection::Closed { reason }) = &event
                    && app.team.is_none()
                {
                    // Never welcomed (a wrong token, say): nothing to look at.
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
        return Err(format!("cannot join {}: {reason}", config.url));
    }
    result
}

/// Writes the team's held indicators into the current directory as
/// `<team>-t<tick>-indicators.misp.json` and `….stix.json`, and says where.
fn export_indicators(app: &mut App) {
    let Some(view) = &app.view else { return };
    let now = jiff::Timestamp::now();
    let date = now.strftime("%Y-%m-%d").to_string();
    let stamp = now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    // The name comes from the server: only plain characters reach the path.
    let team: String =
        view.team.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let base = format!("{team}-t{}-indicators", view.tick);
    let files = [
        (format!("{base}.misp.json"), crate::indicator_export::misp_events(&view.team, &view.held, &date)),
        (format!("{base}.stix.json"), crate::indicator_export::stix_bundle(&view.team, &view.held, &stamp)),
    ];
    let mut written = Vec::new();
    for (name, json) in files {
        let text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
        if let Err(e) = std::fs::write(&name, text) {
            app.status = Some((Tone::Bad, format!("cannot write {name}: {e}")));
            return;
        }
        written.push(name);
    }
    app.status = Some((Tone::Good, format!("indicators exported: {}", written.join(", "))));
}
