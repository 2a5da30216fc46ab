//! Client frames: text to a [`ClientMessage`], or the error code the client
//! is sent (docs/protocol.md, *Errors and limits*). Pure, so that it can be
//! fed anything (tests/protocol_props.rs in this crate does).

use cascade_engine::wire::{ClientMessage, MAX_CLIENT_ID_CHARS};

use crate::exercise::{HOST_CLIENT, SETUP_CLIENT};

/// Why a frame was refused: an `error` frame's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// Parses one text frame. Never panics, whatever the text: serde_json bounds
/// nesting (128 levels) and numbers out of range are errors.
pub fn parse(text: &str) -> Result<ClientMessage, Refusal> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Refusal { code: "bad_json", message: format!("not JSON: {e}") })?;
    let kind = value.get("type").and_then(|t| t.as_str()).map(str::to_string);
    serde_json::from_value(value).map_err(|e| match kind.as_deref() {
        None => Refusal { code: "missing_type", message: "a frame needs a \"type\"".to_string() },
        Some(known @ ("hello" | "command")) => Refusal { code: "bad_message", message: format!("bad {known}: {e}") },
        Some(other) => Refusal { code: "unknown_type", message: format!("unknown message type {other:?}") },
    })
}

/// Whether `client` may be a client id: 1 to 64 printable ASCII characters,
/// and not one of the ids the host journals under itself.
pub fn client_id_ok(client: &str) -> bool {
    !client.is_empty()
        && client.chars().count() <= MAX_CLIENT_ID_CHARS
        && client != HOST_CLIENT
        && client != SETUP_CLIENT
        && client.chars().all(|c| c.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The codes `parse` may give (docs/protocol.md, *Error codes*).
    const PARSE_CODES: [&str; 4] = ["bad_json", "missing_type", "unknown_type", "bad_message"];

    proptest! {
        #[test]
        fn any_text_parses_or_gets_one_of_its_codes(text in ".{0,200}") {
            if let Err(refusal) = parse(&text) {
                prop_assert!(PARSE_CODES.contains(&refusal.code), "{refusal:?}");
            }
        }

        #[test]
        fn json_of_the_wrong_shape_gets_a_code(
            kind in prop_oneof![Just("hello"), Just("command"), Just("other"), Just("")],
            seq in prop_oneof![Just("1".to_string()), Just("-1".to_string()), Just("1e400".to_string()),
                               Just("18446744073709551616".to_string()), Just("\"1\"".to_string()),
                               "[0-9]{1,30}"],
            depth in 0usize..300,
        ) {
            let command = format!("{}{{\"action\":\"x\"}}{}", "[".repeat(depth), "]".repeat(depth));
            let text = format!("{{\"type\":\"{kind}\",\"seq\":{seq},\"command\":{command}}}");
            match parse(&text) {
                Ok(ClientMessage::Command { .. }) => prop_assert_eq!(kind, "command"),
                Ok(other) => prop_assert!(false, "{other:?}"),
                Err(refusal) => prop_assert!(PARSE_CODES.contains(&refusal.code), "{refusal:?}"),
            }
        }
    }

    fn code(text: &str) -> &'static str {
        parse(text).unwrap_err().code
    }

    #[test]
    fn good_frames_parse() {
        let hello = parse(r#"{"type":"hello","token":"t","client":"c","protocol":3}"#).unwrap();
        assert_eq!(hello, ClientMessage::Hello { token: "t".into(), client: "c".into(), protocol: 3 });
        let command = parse(r#"{"type":"command","seq":18446744073709551615,"command":{"action":"x"}}"#).unwrap();
        assert!(matches!(command, ClientMessage::Command { seq: u64::MAX, .. }));
    }

    #[test]
    fn each_kind_of_bad_frame_has_its_code() {
        assert_eq!(code("not json"), "bad_json");
        assert_eq!(code(""), "bad_json");
        assert_eq!(code(&"[".repeat(10_000)), "bad_json", "too deep");
        assert_eq!(code("[1]"), "missing_type");
        assert_eq!(code(r#"{"type":3}"#), "missing_type");
        assert_eq!(code(r#"{"type":"ack"}"#), "unknown_type");
        assert_eq!(code(r#"{"type":"command","seq":1e400,"command":{}}"#), "bad_json", "out of f64 range");
        assert_eq!(code(r#"{"type":"command","seq":18446744073709551616,"command":{}}"#), "bad_message");
        assert_eq!(code(r#"{"type":"command","seq":-1,"command":{}}"#), "bad_message");
        assert_eq!(code(r#"{"type":"hello","token":"t","client":"c","protocol":3,"team":"x"}"#), "bad_message");
    }

    #[test]
    fn client_ids() {
        assert!(client_id_ok("laptop-1"));
        assert!(client_id_ok(&"x".repeat(64)));
        for bad in ["", "a b", "host", "host-setup", "é", &"x".repeat(65)] {
            assert!(!client_id_ok(bad), "{bad:?}");
        }
    }
}
