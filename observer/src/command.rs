//! The player's command line: words to an [`Action`], and Tab completion over the
//! ids the team's view shows.
//!
//! ```text
//! investigate ASSET        isolate ASSET        restore ASSET        harden ASSET
//! repair ASSET
//! share TEAM[,TEAM…] TLP INCIDENT|- [TEXT…]
//! report REGIME STAGE INCIDENT                  classify INCIDENT
//! request_assistance CSIRT                      activate_piu LEVEL   set_piu_level LEVEL
//! public_statement TEXT…                        message TEAM[,TEAM…] [TLP] TEXT…
//! takeover
//! ```
//!
//! Action names may use `-` for `_`. A TLP is `clear`, `green`, `amber`,
//! `amber+strict` or `red` (any case, with or without `TLP:`). In `share`, the
//! third word is always the incident whose indicators to pass on — one the team
//! holds, refused here before anything is sent otherwise — or `-` for none (then
//! the text is required). Once the view has brought the team directory, team
//! ids that are no team's are refused here too.
//!
//! Tab completes, from the first snapshot on: action names; team ids (from the
//! directory, and anyone named in a message); CSIRTs for `request_assistance`;
//! the assets the team may act on (its own, then its constituents' for a
//! CSIRT, then the outages it sees); TLP words; in `share`, the incidents whose
//! indicators it holds; in `report`, the regimes (those it reports under
//! first), then that regime's stages, then the incidents its deadlines name.

use std::collections::BTreeSet;

use cascade_engine::exercise::Action;
use cascade_engine::scenario::{TeamRole, Tlp};
use cascade_engine::view::{MessageView, TeamView};

/// The actions a team can type, with their syntax.
pub const ACTIONS: [(&str, &str); 14] = [
    ("investigate", "investigate ASSET"),
    ("isolate", "isolate ASSET"),
    ("restore", "restore ASSET"),
    ("harden", "harden ASSET"),
    ("repair", "repair ASSET"),
    ("share", "share TEAM[,TEAM] TLP INCIDENT|- [TEXT]"),
    ("report", "report REGIME STAGE INCIDENT"),
    ("classify", "classify INCIDENT"),
    ("request_assistance", "request_assistance CSIRT"),
    ("activate_piu", "activate_piu LEVEL(1-4)"),
    ("set_piu_level", "set_piu_level LEVEL(1-4)"),
    ("public_statement", "public_statement TEXT"),
    ("message", "message TEAM[,TEAM] [TLP] TEXT"),
    ("takeover", "takeover"),
];

/// TLP labels as typed.
pub const TLP_WORDS: [&str; 5] = ["clear", "green", "amber", "amber+strict", "red"];

/// A reporting regime as the command line needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownRegime {
    pub id: String,
    /// Stage ids, in order.
    pub stages: Vec<String>,
    /// The team's organisation reports under it.
    pub applies: bool,
}

/// The ids a team knows of, from its view and the messages it received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// The assets it may act on (its own, then its constituents'), then other
    /// organisations' assets seen in outages.
    pub assets: Vec<String>,
    /// Other teams: the directory's (in scenario order), then any other named
    /// in messages (senders and recipients).
    pub teams: Vec<String>,
    /// Every team id of the exercise (the directory's, this team's too);
    /// empty until a snapshot brought the directory.
    pub directory: Vec<String>,
    /// The CSIRT teams (other than this one), from the directory.
    pub csirts: Vec<String>,
    /// Incidents whose indicators the team holds first, then others it has seen.
    pub incidents: Vec<String>,
    /// Incidents whose indicators the team holds (what `share` may pass on).
    pub held: Vec<String>,
    /// The reporting regimes, those the team reports under first.
    pub regimes: Vec<KnownRegime>,
    /// (regime, stage, incident) of every deadline the team's organisation owes.
    pub deadlines: Vec<(String, String, String)>,
}

fn push_unique(list: &mut Vec<String>, id: &str) {
    if !id.is_empty() && !list.iter().any(|x| x == id) {
        list.push(id.to_string());
    }
}

impl Known {
    pub fn from_view<'a>(view: &TeamView, messages: impl IntoIterator<Item = &'a MessageView>) -> Self {
        let mut known = Known::default();
        for a in view.assets.iter().chain(&view.constituents) {
            push_unique(&mut known.assets, &a.id);
        }
        for o in &view.outages {
            push_unique(&mut known.assets, &o.id);
        }
        for i in view.indicators.iter().chain(view.held.iter().map(|h| &h.incident)) {
            push_unique(&mut known.held, i);
            push_unique(&mut known.incidents, i);
        }
        for a in view.assets.iter().chain(&view.constituents) {
            for i in &a.compromised {
                push_unique(&mut known.incidents, i);
            }
        }
        for d in &view.deadlines {
            push_unique(&mut known.incidents, &d.incident);
            let key = (d.regime.clone(), d.stage.clone(), d.incident.clone());
            if !known.deadlines.contains(&key) {
                known.deadlines.push(key);
            }
        }
        for d in &view.directory {
            push_unique(&mut known.directory, &d.id);
            if d.id != view.team {
                push_unique(&mut known.teams, &d.id);
                if d.role == TeamRole::Csirt {
                    push_unique(&mut known.csirts, &d.id);
                }
            }
        }
        let mut regimes: Vec<KnownRegime> = view
            .regimes
            .iter()
            .map(|r| KnownRegime { id: r.id.clone(), stages: r.stages.clone(), applies: r.applies })
            .collect();
        regimes.sort_by_key(|r| !r.applies);
        known.regimes = regimes;
        let mut teams = BTreeSet::new();
        for m in messages {
            if let Some(i) = &m.incident {
                push_unique(&mut known.incidents, i);
            }
            teams.extend(m.sender_team.iter().cloned());
            teams.extend(m.to.iter().cloned());
        }
        teams.remove(&view.team);
        for t in teams {
            push_unique(&mut known.teams, &t);
        }
        known
    }
}

/// The canonical action name for a typed word (`-` for `_`, a few short forms).
fn action_name(word: &str) -> Option<&'static str> {
    let word = word.to_ascii_lowercase().replace('-', "_");
    let alias = match word.as_str() {
        "assist" | "request" => "request_assistance",
        "piu" => "activate_piu",
        "statement" => "public_statement",
        "msg" => "message",
        "take_over" => "takeover",
        other => other,
    };
    ACTIONS.iter().map(|(name, _)| *name).find(|name| *name == alias)
}

fn usage(name: &str) -> &'static str {
    ACTIONS.iter().find(|(n, _)| *n == name).map(|(_, u)| *u).unwrap_or("")
}

fn parse_tlp(word: &str) -> Option<Tlp> {
    Tlp::parse(word)
}

/// A comma list of team ids; once the directory is known, every id must be a team's.
fn parse_teams(word: &str, known: &Known) -> Result<Vec<String>, String> {
    let teams: Vec<String> = word.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
    if teams.is_empty() {
        return Err("name at least one team".to_string());
    }
    if !known.directory.is_empty()
        && let Some(unknown) = teams.iter().find(|t| !known.directory.contains(t))
    {
        return Err(format!("no team {unknown:?} in the directory (Tab completes team ids; 6 lists the teams)"));
    }
    Ok(teams)
}

fn parse_level(word: Option<&str>, name: &str) -> Result<u8, String> {
    let word = word.ok_or_else(|| format!("usage: {}", usage(name)))?;
    match word.parse::<u8>() {
        Ok(l @ 1..=4) => Ok(l),
        _ => Err(format!("the PIU level is 1 to 4, not {word:?}")),
    }
}

/// The rest of the line from word `n` on, as typed (inner spacing kept).
fn text_from(line: &str, n: usize) -> String {
    let mut rest = line.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest.trim_end().to_string()
}

/// Why `word` cannot be the incident of a share: the team holds no indicators of it.
fn not_held(word: &str, known: &Known) -> String {
    if known.held.is_empty() {
        format!(
            "you hold no indicators yet, so none of {word:?} to share; `-` instead of the incident shares text only"
        )
    } else {
        format!(
            "you hold no indicators of {word:?} (you hold: {}); `-` instead of the incident shares text only",
            known.held.join(", ")
        )
    }
}

/// Parses one command line into an action (the server still checks it).
pub fn parse(line: &str, known: &Known) -> Result<Action, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(first) = words.first() else {
        return Err("type an action: investigate, isolate, share, report, … (? for help)".to_string());
    };
    let Some(name) = action_name(first) else {
        return Err(format!("unknown action {first:?} (Tab lists them; ? for help)"));
    };
    let arg = |i: usize| words.get(i).copied();
    let need = |count: usize| {
        if words.len() < count + 1 { Err(format!("usage: {}", usage(name))) } else { Ok(()) }
    };
    let exactly = |count: usize| {
        if words.len() != count + 1 { Err(format!("usage: {}", usage(name))) } else { Ok(()) }
    };
    let action = match name {
        "investigate" | "isolate" | "restore" | "harden" | "repair" => {
            exactly(1)?;
            let asset = arg(1).unwrap().to_string();
            match name {
                "investigate" => Action::Investigate { asset },
                "isolate" => Action::Isolate { asset },
                "restore" => Action::Restore { asset },
                "repair" => Action::Repair { asset },
                _ => Action::Harden { asset },
            }
        }
        "share" => {
            need(3)?;
            let to = parse_teams(arg(1).unwrap(), known)?;
            let tlp = parse_tlp(arg(2).unwrap()).ok_or_else(|| {
                format!("{:?} is not a TLP label (clear, green, amber, amber+strict, red)", arg(2).unwrap())
            })?;
            let incident = match arg(3).unwrap() {
                "-" => None,
                w if known.held.iter().any(|i| i == w) => Some(w.to_string()),
                w => return Err(not_held(w, known)),
            };
            let text = text_from(line, 4);
            if incident.is_none() && text.is_empty() {
                return Err("share what? after `-`, write the text (or name an incident you hold)".to_string());
            }
            Action::Share { to, tlp, incident, text }
        }
        "report" => {
            exactly(3)?;
            Action::Report {
                regime: arg(1).unwrap().to_string(),
                stage: arg(2).unwrap().to_string(),
                incident: arg(3).unwrap().to_string(),
            }
        }
        "classify" => {
            exactly(1)?;
            Action::Classify { incident: arg(1).unwrap().to_string() }
        }
        "request_assistance" => {
            exactly(1)?;
            let mut csirt = parse_teams(arg(1).unwrap(), known)?;
            if csirt.len() != 1 {
                return Err(format!("usage: {}", usage(name)));
            }
            Action::RequestAssistance { csirt: csirt.remove(0) }
        }
        "activate_piu" => {
            exactly(1)?;
            Action::ActivatePiu { level: parse_level(arg(1), name)? }
        }
        "set_piu_level" => {
            exactly(1)?;
            Action::SetPiuLevel { level: parse_level(arg(1), name)? }
        }
        "public_statement" => {
            let text = text_from(line, 1);
            if text.is_empty() {
                return Err(format!("usage: {}", usage(name)));
            }
            Action::PublicStatement { text }
        }
        "message" => {
            need(2)?;
            let to = parse_teams(arg(1).unwrap(), known)?;
            let (tlp, text_at) = match parse_tlp(arg(2).unwrap()) {
                Some(tlp) => (tlp, 3),
                None => (Tlp::Red, 2),
            };
            let text = text_from(line, text_at);
            if text.is_empty() {
                return Err(format!("usage: {}", usage(name)));
            }
            Action::Message { to, text, tlp }
        }
        "takeover" => {
            exactly(0)?;
            Action::Takeover
        }
        _ => unreachable!("every name of ACTIONS is handled"),
    };
    Ok(action)
}

/// A short line for people: `isolate chem-it`, `share circl,govcert TLP:AMBER ransom-x`.
pub fn describe(action: &Action) -> String {
    match action {
        Action::Investigate { asset } => format!("investigate {asset}"),
        Action::Isolate { asset } => format!("isolate {asset}"),
        Action::Restore { asset } => format!("restore {asset}"),
        Action::Harden { asset } => format!("harden {asset}"),
        Action::Repair { asset } => format!("repair {asset}"),
        Action::Share { to, tlp, incident, .. } => {
            let incident = incident.as_deref().map(|i| format!(" {i}")).unwrap_or_default();
            format!("share {} {tlp}{incident}", to.join(","))
        }
        Action::Report { regime, stage, incident } => format!("report {regime} {stage} {incident}"),
        Action::Classify { incident } => format!("classify {incident}"),
        Action::RequestAssistance { csirt } => format!("request_assistance {csirt}"),
        Action::ActivatePiu { level } => format!("activate_piu {level}"),
        Action::SetPiuLevel { level } => format!("set_piu_level {level}"),
        Action::PublicStatement { .. } => "public_statement".to_string(),
        Action::Message { to, tlp, .. } => format!("message {} {tlp}", to.join(",")),
        Action::Takeover => "takeover".to_string(),
        Action::Inject(_) => "inject".to_string(),
        Action::Msel { inject, op } => format!("{} {inject}", op.name()),
    }
}

/// Most characters of a text quoted by [`describe_with_text`].
const QUOTED_CHARS: usize = 60;

/// Most recipients named by [`describe_with_text`] (then `+N more`).
const NAMED_RECIPIENTS: usize = 4;

/// [`describe`] with the text of a share, message or statement quoted (cut to
/// 60 characters) and long lists of recipients cut (`a,b,c +5 more`), for the
/// action log.
pub fn describe_with_text(action: &Action) -> String {
    let short = match action {
        Action::Share { to, tlp, incident, text } if to.len() > NAMED_RECIPIENTS => {
            let to =
                vec![format!("{} +{} more", to[..NAMED_RECIPIENTS - 1].join(","), to.len() - NAMED_RECIPIENTS + 1)];
            Action::Share { to, tlp: *tlp, incident: incident.clone(), text: text.clone() }
        }
        Action::Message { to, tlp, text } if to.len() > NAMED_RECIPIENTS => {
            let to =
                vec![format!("{} +{} more", to[..NAMED_RECIPIENTS - 1].join(","), to.len() - NAMED_RECIPIENTS + 1)];
            Action::Message { to, tlp: *tlp, text: text.clone() }
        }
        other => other.clone(),
    };
    let action = &short;
    let text = match action {
        Action::Share { text, .. } | Action::Message { text, .. } | Action::PublicStatement { text } => text,
        _ => return describe(action),
    };
    if text.trim().is_empty() {
        return describe(action);
    }
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let quoted = if one_line.chars().count() > QUOTED_CHARS {
        format!("{}…", one_line.chars().take(QUOTED_CHARS - 1).collect::<String>())
    } else {
        one_line
    };
    format!("{} “{quoted}”", describe(action))
}

/// A command of the action log in words: the action when it is one, else its
/// `action` field and the rest as JSON (a command the server refused as malformed).
pub fn describe_command(command: &serde_json::Value) -> String {
    match serde_json::from_value::<Action>(command.clone()) {
        Ok(action) => describe_with_text(&action),
        Err(_) => {
            let name = command.get("action").and_then(|a| a.as_str()).unwrap_or("?");
            let mut rest = command.clone();
            if let Some(map) = rest.as_object_mut() {
                map.remove("action");
            }
            let rest = rest.to_string();
            if rest == "{}" || rest == "null" { name.to_string() } else { format!("{name} {rest}") }
        }
    }
}

/// Completions for the word being typed at the end of `line`: each candidate is
/// the whole replacement of that word (in a comma list, the earlier teams kept).
pub fn complete(line: &str, known: &Known) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at_new_word = line.is_empty() || line.ends_with(char::is_whitespace);
    let position = if at_new_word { words.len() } else { words.len() - 1 };
    let partial = if at_new_word { "" } else { words[words.len() - 1] };
    let name = words.first().and_then(|w| action_name(w));
    let owned = |list: &[String]| list.to_vec();
    let tlp = || TLP_WORDS.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let levels = || (1..=4).map(|l| l.to_string()).collect::<Vec<_>>();
    let options: Vec<String> = match (position, name) {
        (0, _) => ACTIONS.iter().map(|(n, _)| n.to_string()).collect(),
        (_, None) => Vec::new(),
        (1, Some("investigate" | "isolate" | "restore" | "harden" | "repair")) => owned(&known.assets),
        (1, Some("share" | "message")) => owned(&known.teams),
        (1, Some("request_assistance")) => {
            if known.csirts.is_empty() {
                owned(&known.teams)
            } else {
                owned(&known.csirts)
            }
        }
        (2, Some("share" | "message")) => tlp(),
        (3, Some("share")) => owned(&known.held),
        (1, Some("classify")) => owned(&known.incidents),
        (1, Some("activate_piu" | "set_piu_level")) => levels(),
        (1, Some("report")) => {
            let mut out = Vec::new();
            for r in &known.regimes {
                push_unique(&mut out, &r.id);
            }
            for (r, _, _) in &known.deadlines {
                push_unique(&mut out, r);
            }
            out
        }
        (2, Some("report")) => {
            let mut out = Vec::new();
            for r in known.regimes.iter().filter(|r| r.id == words[1]) {
                for s in &r.stages {
                    push_unique(&mut out, s);
                }
            }
            for (r, s, _) in &known.deadlines {
                if r == words[1] {
                    push_unique(&mut out, s);
                }
            }
            out
        }
        (3, Some("report")) => {
            // The incidents this stage is owed for first, then any other known.
            let mut out = Vec::new();
            for (r, s, i) in &known.deadlines {
                if r == words[1] && s == words[2] {
                    push_unique(&mut out, i);
                }
            }
            for i in &known.incidents {
                push_unique(&mut out, i);
            }
            out
        }
        _ => Vec::new(),
    };
    // Lists of teams complete after the last comma.
    let is_list = position == 1 && matches!(name, Some("share" | "message"));
    let (stem, part) = match partial.rfind(',') {
        Some(i) if is_list => (&partial[..=i], &partial[i + 1..]),
        _ => ("", partial),
    };
    let already: Vec<&str> = stem.split(',').collect();
    let lower = part.to_ascii_lowercase();
    options
        .into_iter()
        .filter(|o| o.to_ascii_lowercase().starts_with(&lower) && !(is_list && already.contains(&o.as_str())))
        .map(|o| format!("{stem}{o}"))
        .collect()
}

/// The longest prefix all candidates share.
pub fn common_prefix(candidates: &[String]) -> String {
    let Some(first) = candidates.first() else { return String::new() };
    let mut prefix = first.as_str();
    for c in &candidates[1..] {
        let same: usize = prefix.chars().zip(c.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
        prefix = &prefix[..same];
    }
    prefix.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known {
        Known {
            assets: vec!["chem-it".into(), "chem-scada".into(), "post-core".into()],
            teams: vec!["circl".into(), "govcert".into(), "post-ops".into()],
            directory: Vec::new(),
            csirts: Vec::new(),
            incidents: vec!["ransom-x".into(), "ddos-y".into()],
            held: vec!["ransom-x".into()],
            regimes: Vec::new(),
            deadlines: vec![
                ("nis2".into(), "early-warning".into(), "ransom-x".into()),
                ("nis2".into(), "notification".into(), "ransom-x".into()),
                ("gdpr".into(), "breach-notification".into(), "ransom-x".into()),
            ],
        }
    }

    /// What the sample team's view gives the command line: the directory,
    /// the regimes and its held indicators.
    fn known_from_view() -> Known {
        let view = crate::testing::sample_view();
        Known::from_view(&view, &view.messages)
    }

    fn ok(line: &str) -> Action {
        parse(line, &known()).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn err(line: &str) -> String {
        parse(line, &known()).expect_err(line)
    }

    #[test]
    fn every_action_parses() {
        assert_eq!(ok("investigate chem-it"), Action::Investigate { asset: "chem-it".into() });
        assert_eq!(ok("isolate chem-it"), Action::Isolate { asset: "chem-it".into() });
        assert_eq!(ok("  restore   chem-it "), Action::Restore { asset: "chem-it".into() });
        assert_eq!(ok("harden post-core"), Action::Harden { asset: "post-core".into() });
        assert_eq!(
            ok("share circl,govcert amber ransom-x some  text"),
            Action::Share {
                to: vec!["circl".into(), "govcert".into()],
                tlp: Tlp::Amber,
                incident: Some("ransom-x".into()),
                text: "some  text".into()
            }
        );
        assert_eq!(
            ok("share circl TLP:AMBER+STRICT ransom-x"),
            Action::Share {
                to: vec!["circl".into()],
                tlp: Tlp::AmberStrict,
                incident: Some("ransom-x".into()),
                text: "".into()
            }
        );
        assert_eq!(
            ok("share circl red - heads up"),
            Action::Share { to: vec!["circl".into()], tlp: Tlp::Red, incident: None, text: "heads up".into() }
        );
        assert_eq!(
            ok("share circl green - ransom-x is spreading"),
            Action::Share {
                to: vec!["circl".into()],
                tlp: Tlp::Green,
                incident: None,
                text: "ransom-x is spreading".into()
            }
        );
        assert_eq!(
            ok("report nis2 early-warning ransom-x"),
            Action::Report { regime: "nis2".into(), stage: "early-warning".into(), incident: "ransom-x".into() }
        );
        assert_eq!(ok("classify ransom-x"), Action::Classify { incident: "ransom-x".into() });
        assert_eq!(ok("request-assistance circl"), Action::RequestAssistance { csirt: "circl".into() });
        assert_eq!(ok("assist circl"), Action::RequestAssistance { csirt: "circl".into() });
        assert_eq!(ok("activate_piu 2"), Action::ActivatePiu { level: 2 });
        assert_eq!(ok("piu 3"), Action::ActivatePiu { level: 3 });
        assert_eq!(ok("set_piu_level 4"), Action::SetPiuLevel { level: 4 });
        assert_eq!(
            ok("public_statement Water is safe to drink."),
            Action::PublicStatement { text: "Water is safe to drink.".into() }
        );
        assert_eq!(
            ok("message govcert,circl call me"),
            Action::Message { to: vec!["govcert".into(), "circl".into()], text: "call me".into(), tlp: Tlp::Red }
        );
        assert_eq!(
            ok("MESSAGE govcert green call me"),
            Action::Message { to: vec!["govcert".into()], text: "call me".into(), tlp: Tlp::Green }
        );
        assert_eq!(ok("takeover"), Action::Takeover);
        assert_eq!(ok("take-over"), Action::Takeover);
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(err("").contains("type an action"));
        assert!(err("nuke chem-it").contains("unknown action \"nuke\""));
        assert!(err("isolate").contains("usage: isolate ASSET"));
        assert!(err("isolate a b").contains("usage: isolate ASSET"));
        assert!(err("share circl").contains("usage: share TEAM[,TEAM] TLP INCIDENT|- [TEXT]"));
        assert!(err("share circl amber").contains("usage: share"));
        assert!(err("share circl purple ransom-x").contains("not a TLP label"));
        assert!(err("share circl amber -").contains("share what?"));
        assert!(err("share , amber ransom-x").contains("at least one team"));
        assert!(err("report nis2 early-warning").contains("usage: report REGIME STAGE INCIDENT"));
        assert!(err("classify").contains("usage"));
        assert!(err("activate_piu 5").contains("1 to 4"));
        assert!(err("set_piu_level two").contains("1 to 4"));
        assert!(err("activate_piu").contains("usage"));
        assert!(err("public_statement").contains("usage"));
        assert!(err("message govcert").contains("usage"));
        assert!(err("message govcert amber").contains("usage"));
        assert!(err("request_assistance").contains("usage"));
        assert!(err("request_assistance circl,govcert").contains("usage"));
        assert!(err("takeover now").contains("usage: takeover"));
    }

    #[test]
    fn a_share_of_an_incident_the_team_does_not_hold_is_refused_before_sending() {
        // ddos-y is known (seen in a message) but its indicators are not held.
        let e = err("share circl amber ddos-y C2 at 198.51.100.7");
        assert!(e.contains("you hold no indicators of \"ddos-y\" (you hold: ransom-x)"), "{e}");
        assert!(e.contains("`-`"), "{e}");
        // The third word is always the incident: text there is refused, not sent as text.
        let e = err("share circl red heads up");
        assert!(e.contains("no indicators of \"heads\""), "{e}");
        let mut k = known();
        k.held.clear();
        let e = parse("share circl amber ransom-x", &k).unwrap_err();
        assert!(e.contains("you hold no indicators yet"), "{e}");
        // From the view: the held indicators are the sample's.
        let k = known_from_view();
        assert_eq!(k.held, vec!["ransom-x"]);
        assert!(parse("share govcert amber ransom-x seen here too", &k).is_ok());
        assert!(parse("share govcert amber wiper-z", &k).unwrap_err().contains("no indicators of \"wiper-z\""));
    }

    #[test]
    fn teams_outside_the_directory_are_refused_once_it_is_known() {
        let k = known_from_view();
        let e = parse("message govcert,nobody hello", &k).unwrap_err();
        assert!(e.contains("no team \"nobody\" in the directory"), "{e}");
        assert!(parse("request_assistance nobody", &k).is_err());
        assert!(parse("message govcert,circl hello", &k).is_ok());
        // Without a directory (an older server), the server judges.
        assert!(parse("message nobody hello", &known()).is_ok());
    }

    #[test]
    fn completion_uses_the_view() {
        let k = known();
        assert_eq!(complete("", &k).len(), ACTIONS.len());
        assert_eq!(complete("is", &k), vec!["isolate"]);
        assert_eq!(complete("ta", &k), vec!["takeover"]);
        assert_eq!(complete("isolate ", &k), vec!["chem-it", "chem-scada", "post-core"]);
        assert_eq!(complete("isolate ch", &k), vec!["chem-it", "chem-scada"]);
        assert_eq!(complete("isolate chem-it ", &k), Vec::<String>::new());
        assert_eq!(complete("share ", &k), vec!["circl", "govcert", "post-ops"]);
        assert_eq!(complete("share circl,g", &k), vec!["circl,govcert"]);
        assert_eq!(complete("share circl,", &k), vec!["circl,govcert", "circl,post-ops"]);
        assert_eq!(complete("share circl am", &k), vec!["amber", "amber+strict"]);
        // Only the incidents whose indicators the team holds.
        assert_eq!(complete("share circl amber ", &k), vec!["ransom-x"]);
        assert_eq!(complete("report ", &k), vec!["nis2", "gdpr"]);
        assert_eq!(complete("report nis2 ", &k), vec!["early-warning", "notification"]);
        assert_eq!(complete("report gdpr breach-notification ", &k), vec!["ransom-x", "ddos-y"]);
        assert_eq!(complete("piu ", &k), vec!["1", "2", "3", "4"]);
        assert_eq!(complete("frobnicate ", &k), Vec::<String>::new());
        assert_eq!(complete("public_statement ", &k), Vec::<String>::new());
    }

    #[test]
    fn completion_from_the_first_snapshot_covers_the_directory_regimes_and_constituents() {
        let k = known_from_view();
        // Every other team of the directory, in scenario order, then any only seen in messages.
        assert_eq!(complete("message ", &k), vec!["govcert", "circl", "post-ops", "ilr", "crisis-comms"]);
        assert_eq!(complete("share govcert,c", &k), vec!["govcert,circl", "govcert,crisis-comms"]);
        assert_eq!(complete("request_assistance ", &k), vec!["govcert", "circl"]);
        // Regimes it reports under first, then the stage names of the regime typed.
        assert_eq!(complete("report ", &k), vec!["nis2", "gdpr"]);
        assert_eq!(complete("report nis2 ", &k), vec!["early-warning", "notification", "final-report"]);
        assert_eq!(complete("report nis2 f", &k), vec!["final-report"]);
        assert_eq!(complete("report gdpr ", &k), vec!["breach-notification"]);
        assert_eq!(complete("report nis2 final-report ", &k), vec!["ransom-x"]);
        // Own assets, then the constituents' a CSIRT acts on, then outages.
        let mut view = crate::testing::sample_view();
        view.constituents = vec![crate::testing::asset("post-mail", 1000, 1000)];
        let k = Known::from_view(&view, &view.messages);
        assert_eq!(complete("isolate ", &k), vec!["chem-it", "chem-scada", "chem-lab", "post-mail", "post-core"]);
        // At tick 0 with nothing else: the directory and regimes alone.
        let mut view = crate::testing::sample_view();
        view.messages.clear();
        view.deadlines.clear();
        let k = Known::from_view(&view, &[]);
        assert_eq!(complete("message i", &k), vec!["ilr"]);
        assert_eq!(complete("report nis2 notif", &k), vec!["notification"]);
    }

    #[test]
    fn common_prefixes() {
        assert_eq!(common_prefix(&["chem-it".into(), "chem-scada".into()]), "chem-");
        assert_eq!(common_prefix(&["amber".into(), "amber+strict".into()]), "amber");
        assert_eq!(common_prefix(&["a".into()]), "a");
        assert_eq!(common_prefix(&[]), "");
        assert_eq!(common_prefix(&["é1".into(), "é2".into()]), "é");
    }

    #[test]
    fn descriptions_are_short() {
        assert_eq!(
            describe(&ok("share circl,govcert amber ransom-x long text")),
            "share circl,govcert TLP:AMBER ransom-x"
        );
        assert_eq!(describe(&ok("isolate chem-it")), "isolate chem-it");
        assert_eq!(describe(&Action::Takeover), "takeover");
        assert_eq!(describe_with_text(&ok("message govcert  call\nme")), "message govcert TLP:RED “call me”");
        assert_eq!(
            describe_with_text(&ok("share circl,govcert,post-ops,a,b,c amber ransom-x")),
            "share circl,govcert,post-ops +3 more TLP:AMBER ransom-x"
        );
        assert_eq!(
            describe_with_text(&ok("message circl,govcert,post-ops,a hi")),
            "message circl,govcert,post-ops,a TLP:RED “hi”"
        );
        let long = format!("public_statement {}", "word ".repeat(30));
        assert_eq!(describe_with_text(&ok(&long)).chars().count(), "public_statement “”".chars().count() + 60);
        assert_eq!(
            describe_command(
                &serde_json::json!({"action": "report", "regime": "nis2", "stage": "early-warning", "incident": "ransom-x"})
            ),
            "report nis2 early-warning ransom-x"
        );
        assert_eq!(describe_command(&serde_json::json!({"action": "isolate", "asset": 7})), "isolate {\"asset\":7}");
        assert_eq!(describe_command(&serde_json::json!({"action": "launch"})), "launch");
    }
}
