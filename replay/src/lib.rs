//! cascade-replay: the exercise journal (DESIGN §7) — writer, reader, crash
//! recovery, seek and the after-action report.
//!
//! Not built yet: the journal arrives with the exercise host (issue #4). The crate
//! exists now so that the workspace has the shape of DESIGN §1.
//!
//! It must never: simulate on its own terms (it drives cascade-engine), open
//! sockets or draw on a terminal.
