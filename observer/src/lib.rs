//! cascade-observer: the terminal screens (director console, replay viewer,
//! player client) and their websocket client side.
//!
//! Not built yet: the screens arrive with the observer issue (#5). The crate
//! exists now so that the workspace has the shape of DESIGN §1.
//!
//! It must never: compute simulation state (it renders views the engine computed)
//! or write journals.
