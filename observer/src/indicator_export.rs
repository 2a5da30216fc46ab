//! A team's held indicators as files other tools read: MISP events (JSON, one
//! per incident) and a STIX 2.1 bundle. Pure: the caller supplies the time
//! stamp, and every identifier is derived from the content, so exporting the
//! same indicators twice gives the same files.
//!
//! The values are the scenario's synthetic ones (validation admits only
//! documentation addresses and example domains), and each export is tagged as
//! exercise data, so nothing here can be mistaken for live intelligence.

use cascade_engine::scenario::{IndicatorKind, Tlp};
use cascade_engine::view::HeldView;
use serde_json::{Value, json};

/// An identifier in UUID form (version 4 layout) hashed from `parts`: stable
/// across exports of the same content.
fn stable_uuid(parts: &[&str]) -> String {
    let mut hasher = blake3::Hasher::new_derive_key("cascade indicator export v1");
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let mut b = [0u8; 16];
    b.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

fn misp_tlp(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "tlp:clear",
        Tlp::Green => "tlp:green",
        Tlp::Amber => "tlp:amber",
        Tlp::AmberStrict => "tlp:amber+strict",
        Tlp::Red => "tlp:red",
    }
}

fn misp_category(kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Ip | IndicatorKind::Domain | IndicatorKind::Url => "Network activity",
        IndicatorKind::Email => "Payload delivery",
        IndicatorKind::Sha256 | IndicatorKind::Md5 | IndicatorKind::Filename => "Payload delivery",
        IndicatorKind::Technique => "External analysis",
    }
}

/// One MISP event per incident (a JSON array of `{"Event": …}` objects, each
/// importable with MISP's "Add event from JSON"). `date` is `YYYY-MM-DD`.
pub fn misp_events(team: &str, held: &[HeldView], date: &str) -> Value {
    let events: Vec<Value> = held
        .iter()
        .map(|h| {
            let attributes: Vec<Value> = h
                .values
                .iter()
                .map(|v| {
                    let mut comment = v.comment.clone();
                    if v.kind == IndicatorKind::Technique {
                        comment =
                            format!("MITRE ATT&CK {}{}{comment}", v.value, if comment.is_empty() { "" } else { ": " });
                    }
                    json!({
                        "uuid": stable_uuid(&["misp-attribute", team, &h.incident, &v.value]),
                        "type": v.kind.misp_type(),
                        "category": misp_category(v.kind),
                        "value": v.value,
                        "to_ids": v.kind != IndicatorKind::Technique,
                        "comment": comment,
                    })
                })
                .collect();
            json!({"Event": {
                "uuid": stable_uuid(&["misp-event", team, &h.incident]),
                "info": format!("Cascade exercise: {} ({})", h.name, h.incident),
                "date": date,
                "threat_level_id": "4",
                "analysis": "0",
                "distribution": "0",
                "published": false,
                "Tag": [
                    {"name": misp_tlp(h.tlp)},
                    {"name": "cascade:exercise"},
                    {"name": format!("cascade:source=\"{}\"", h.source)},
                ],
                "Attribute": attributes,
            }})
        })
        .collect();
    Value::Array(events)
}

/// The STIX 2.1 marking definition for a TLP label: TLP 1.0's predefined ones
/// (CLEAR is TLP 1.0's WHITE; AMBER+STRICT, which TLP 1.0 lacks, is marked AMBER
/// and written out in each object's labels).
fn stix_marking(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Green => "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Amber | Tlp::AmberStrict => "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Red => "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    }
}

fn quote(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "\\'")
}

/// The STIX pattern of an indicator (None for an ATT&CK technique, which is
/// an attack-pattern object instead).
fn stix_pattern(kind: IndicatorKind, value: &str) -> Option<String> {
    let v = quote(value);
    Some(match kind {
        IndicatorKind::Ip if value.contains(':') => format!("[ipv6-addr:value = '{v}']"),
        IndicatorKind::Ip => format!("[ipv4-addr:value = '{v}']"),
        IndicatorKind::Domain => format!("[domain-name:value = '{v}']"),
        IndicatorKind::Url => format!("[url:value = '{v}']"),
        IndicatorKind::Email => format!("[email-addr:value = '{v}']"),
        IndicatorKind::Sha256 => format!("[file:hashes.'SHA-256' = '{v}']"),
        IndicatorKind::Md5 => format!("[file:hashes.MD5 = '{v}']"),
        IndicatorKind::Filename => format!("[file:name = '{v}']"),
        IndicatorKind::Technique => return None,
    })
}

/// A STIX 2.1 bundle of the held indicators. `timestamp` is RFC 3339 UTC with
/// milliseconds (`2026-03-10T09:41:00.000Z`), used for `created`, `modified`
/// and `valid_from`.
pub fn stix_bundle(team: &str, held: &[HeldView], timestamp: &str) -> Value {
    let mut objects = Vec::new();
    for h in held {
        let marking = stix_marking(h.tlp);
        let labels = json!(["exercise", "cascade", h.tlp.label().to_lowercase()]);
        for v in &h.values {
            let description = format!(
                "Cascade exercise indicator of {} ({}){}{}",
                h.name,
                h.incident,
                if v.comment.is_empty() { "" } else { ": " },
                v.comment
            );
            match stix_pattern(v.kind, &v.value) {
                Some(pattern) => objects.push(json!({
                    "type": "indicator",
                    "spec_version": "2.1",
                    "id": format!("indicator--{}", stable_uuid(&["stix-indicator", team, &h.incident, &v.value])),
                    "created": timestamp,
                    "modified": timestamp,
                    "name": format!("{} {}", v.kind.label(), v.value),
                    "description": description,
                    "pattern": pattern,
                    "pattern_type": "stix",
                    "valid_from": timestamp,
                    "labels": labels,
                    "object_marking_refs": [marking],
                })),
                None => objects.push(json!({
                    "type": "attack-pattern",
                    "spec_version": "2.1",
                    "id": format!("attack-pattern--{}", stable_uuid(&["stix-attack-pattern", team, &h.incident, &v.value])),
                    "created": timestamp,
                    "modified": timestamp,
                    "name": v.value,
                    "description": description,
                    "external_references": [{"source_name": "mitre-attack", "external_id": v.value}],
                    "labels": labels,
                    "object_marking_refs": [marking],
                })),
            }
        }
    }
    let ids: Vec<&str> = objects.iter().filter_map(|o| o["id"].as_str()).collect();
    let mut parts = vec!["stix-bundle", team];
    parts.extend(ids);
    json!({"type": "bundle", "id": format!("bundle--{}", stable_uuid(&parts)), "objects": objects})
}

#[cfg(test)]
mod tests {
    use cascade_engine::view::IndicatorValue;

    use super::*;

    fn held() -> Vec<HeldView> {
        let value =
            |kind, value: &str, comment: &str| IndicatorValue { kind, value: value.into(), comment: comment.into() };
        vec![HeldView {
            incident: "ransom-x".into(),
            name: "ChemCo ransomware".into(),
            tlp: Tlp::Amber,
            since: 30,
            since_clock: "08:30".into(),
            source: "govcert".into(),
            values: vec![
                value(IndicatorKind::Ip, "198.51.100.7", "C2"),
                value(IndicatorKind::Ip, "2001:db8::7", ""),
                value(IndicatorKind::Sha256, &"ab".repeat(32), "dropper"),
                value(IndicatorKind::Filename, "o'hare.txt", ""),
                value(IndicatorKind::Technique, "T1486", "encryption"),
            ],
        }]
    }

    #[test]
    fn misp_events_carry_types_tlp_and_exercise_tags() {
        let events = misp_events("chem-ops", &held(), "2026-03-10");
        let event = &events[0]["Event"];
        assert_eq!(event["info"], "Cascade exercise: ChemCo ransomware (ransom-x)");
        let tags: Vec<&str> = event["Tag"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(tags, ["tlp:amber", "cascade:exercise", "cascade:source=\"govcert\""]);
        let types: Vec<&str> =
            event["Attribute"].as_array().unwrap().iter().map(|a| a["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["ip-dst", "ip-dst", "sha256", "filename", "text"]);
        assert_eq!(event["Attribute"][4]["to_ids"], false);
        assert_eq!(event["Attribute"][4]["comment"], "MITRE ATT&CK T1486: encryption");
    }

    #[test]
    fn stix_bundles_have_patterns_markings_and_stable_ids() {
        let bundle = stix_bundle("chem-ops", &held(), "2026-03-10T08:30:00.000Z");
        let objects = bundle["objects"].as_array().unwrap();
        let patterns: Vec<&str> = objects.iter().filter_map(|o| o["pattern"].as_str()).collect();
        assert_eq!(
            patterns,
            [
                "[ipv4-addr:value = '198.51.100.7']",
                "[ipv6-addr:value = '2001:db8::7']",
                &format!("[file:hashes.'SHA-256' = '{}']", "ab".repeat(32)),
                "[file:name = 'o\\'hare.txt']",
            ]
        );
        let technique = objects.iter().find(|o| o["type"] == "attack-pattern").unwrap();
        assert_eq!(technique["external_references"][0]["external_id"], "T1486");
        assert!(objects.iter().all(|o| o["object_marking_refs"][0] == stix_marking(Tlp::Amber)));
        // Same content, same ids; ids look like UUIDs.
        assert_eq!(bundle, stix_bundle("chem-ops", &held(), "2026-03-10T08:30:00.000Z"));
        let id = bundle["id"].as_str().unwrap().strip_prefix("bundle--").unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(bundle["id"], stix_bundle("other-team", &held(), "2026-03-10T08:30:00.000Z")["id"]);
    }
}
