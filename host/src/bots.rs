//! `--bots TEAM,…`: which teams the scenario's bots play. `all` (the default):
//! every team, until a human's first command journals a takeover. `none`, or a
//! list of team ids: every team not listed is human from the first tick (the
//! host journals its takeover for tick 1, before anything else).

use anyhow::{Result, bail};

/// The teams (indices, in scenario order) that humans play from the first tick
/// under `--bots spec`, given the scenario's team ids in order. An unknown id is
/// an error naming it, the nearest known one and every valid one.
pub fn human_teams(spec: &str, team_ids: &[String]) -> Result<Vec<u32>> {
    let spec = spec.trim();
    match spec {
        "all" => return Ok(Vec::new()),
        "none" => return Ok((0..team_ids.len() as u32).collect()),
        _ => {}
    }
    let mut bots = vec![false; team_ids.len()];
    for id in spec.split(',').map(str::trim) {
        if id.is_empty() {
            bail!("--bots takes `all`, `none` or team ids separated by commas, not {spec:?}");
        }
        let Some(index) = team_ids.iter().position(|t| t == id) else {
            let near = cascade_engine::validate::closest(id, team_ids.iter().map(String::as_str));
            let hint = near.map(|n| format!(" (did you mean {n:?}?)")).unwrap_or_default();
            bail!("--bots: unknown team {id:?}{hint}; the scenario's teams are {}", team_ids.join(", "));
        };
        bots[index] = true;
    }
    Ok(bots.iter().enumerate().filter(|(_, bot)| !**bot).map(|(i, _)| i as u32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teams() -> Vec<String> {
        ["team-a", "team-b", "csirt"].map(String::from).to_vec()
    }

    #[test]
    fn all_none_and_lists() {
        assert_eq!(human_teams("all", &teams()).unwrap(), Vec::<u32>::new());
        assert_eq!(human_teams("none", &teams()).unwrap(), [0, 1, 2]);
        assert_eq!(human_teams("team-a", &teams()).unwrap(), [1, 2]);
        assert_eq!(human_teams("csirt, team-a,csirt", &teams()).unwrap(), [1]);
        assert_eq!(human_teams("team-a,team-b,csirt", &teams()).unwrap(), Vec::<u32>::new());
    }

    #[test]
    fn unknown_ids_are_named_with_the_nearest_and_the_valid_ones() {
        let e = human_teams("team-a,team-c", &teams()).unwrap_err().to_string();
        assert!(e.contains("\"team-c\""), "{e}");
        assert!(e.contains("did you mean \"team-a\"?") || e.contains("did you mean \"team-b\"?"), "{e}");
        assert!(e.contains("team-a, team-b, csirt"), "{e}");
        let e = human_teams("zzzzzzzz", &teams()).unwrap_err().to_string();
        assert!(!e.contains("did you mean"), "{e}");
        assert!(human_teams("team-a,", &teams()).is_err());
        assert!(human_teams("", &teams()).is_err());
    }
}
