//! Strengths and areas for improvement, derived from the report's numbers by
//! fixed rules (so two reports of one journal always say the same).

use super::Report;

/// Roles whose teams mostly receive (reports, statements): no action is no finding.
pub const PASSIVE_ROLES: [&str; 2] = ["regulator", "media"];

/// Returns (strengths, areas for improvement).
pub fn derive(report: &Report) -> (Vec<String>, Vec<String>) {
    let mut strengths = Vec::new();
    let mut improvements = Vec::new();

    for o in &report.objectives {
        let when = o.decided.as_ref().map(|d| format!(" at {}", d.clock)).unwrap_or_default();
        let detail = match (o.minutes_taken, o.minutes_allowed) {
            (Some(t), Some(a)) => format!(": {t} min (objective: {a})"),
            _ => o.evidence.last().map(|e| format!(": {e}")).unwrap_or_default(),
        };
        match o.status.as_str() {
            "met" => strengths.push(format!("Objective {} met{when}{detail}", o.id)),
            "missed" => improvements.push(format!("Objective {} missed{when}{detail}", o.id)),
            _ => {}
        }
    }

    // What bots filed is no finding about the players: only notifications
    // people filed (or nobody did) count.
    let by_bot = |n: &&super::Notification| n.filed_by.as_deref() == Some("bot");
    let count = |status: &str| report.notifications.iter().filter(|n| n.status == status && !by_bot(n)).count();
    let on_time = count("on_time");
    let decided = on_time + count("late") + count("overdue");
    if decided > 0 && on_time == decided && on_time > 0 {
        strengths.push(format!("Every notification due was filed on time by people ({on_time} of {decided})."));
    }
    for n in report.notifications.iter().filter(|n| !by_bot(n)) {
        let what = format!("{} {} report of {} for {}", n.regime, n.stage, n.organisation, n.incident);
        let due = n.due.as_ref().map(|d| d.clock.clone()).unwrap_or_default();
        match n.status.as_str() {
            "late" => improvements.push(format!(
                "{what} filed late: at {} (due {due}).",
                n.filed.as_ref().map(|f| f.clock.as_str()).unwrap_or("?")
            )),
            "overdue" => improvements.push(format!("{what} never filed (due {due}).")),
            _ => {}
        }
    }

    for i in &report.incidents {
        if i.started.is_none() {
            continue;
        }
        // Speed is judged only against what the scenario asks (a
        // `ContainedWithin` objective on the incident), never a fixed figure.
        match (i.ttc_minutes, i.ttc_target_minutes) {
            (Some(ttc), Some(target)) if ttc <= target => strengths.push(format!(
                "Incident {} contained {ttc} min after it started (objective: {target}; detected after {} min).",
                i.id,
                i.ttd_minutes.unwrap_or(0)
            )),
            (Some(ttc), Some(target)) => improvements
                .push(format!("Incident {} contained only {ttc} min after it started (objective: {target}).", i.id)),
            (Some(_), None) => {}
            (None, _) if i.detected.is_some() => improvements.push(format!("Incident {} was never contained.", i.id)),
            (None, _) => improvements.push(format!("Incident {} was never detected.", i.id)),
        }
        if i.detected.is_some() && !i.indicators_shared {
            improvements.push(format!("The indicators of incident {} were never shared.", i.id));
        }
    }

    // Regulators and newsrooms mostly receive (reports, statements): their
    // silence is no finding.
    // Named up to the report's list limit (a national exercise has 100s of
    // idle teams); the team table of report.json has every one.
    let idle: Vec<String> = report
        .teams
        .iter()
        .filter(|t| t.total_actions == 0 && !PASSIVE_ROLES.contains(&t.role.as_str()))
        .map(|t| t.id.clone())
        .collect();
    if !idle.is_empty() && report.incidents.iter().any(|i| i.started.is_some()) {
        improvements.push(format!("Teams that took no action: {}.", super::render::id_list(&idle)));
    }
    (strengths, improvements)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::*;

    fn at(tick: u64) -> Option<Moment> {
        Some(Moment { tick, clock: format!("08:{tick:02}") })
    }

    fn empty() -> Report {
        Report {
            format: super::super::REPORT_FORMAT,
            summary: Default::default(),
            details: Default::default(),
            capabilities: vec![],
            improvement_plan: vec![],
            overview: Overview {
                scenario: "s".into(),
                description: String::new(),
                seed: "1".into(),
                start: String::new(),
                recorded_at: String::new(),
                engine: String::new(),
                tick_seconds: 60,
                duration_ticks: 10,
                ticks_run: 10,
                end: String::new(),
                teams: 0,
                final_hash: String::new(),
                verified: true,
            },
            service: ServiceSeries { population: 0, people: None, national: vec![], sectors: vec![], axis: vec![] },
            lowest_service: Lowest { served: 0, per_mille: 1000, people: None, at: at(0).unwrap() },
            outages: vec![],
            outage_assets: 0,
            organisation_outages: vec![],
            incidents: vec![],
            objectives: vec![],
            notifications: vec![],
            teams: vec![],
            commands: vec![],
            injects: vec![],
            injects_not_fired: vec![],
            observations: vec![],
            timeline: vec![],
            strengths: vec![],
            improvements: vec![],
        }
    }

    fn objective(status: &str, taken: Option<u64>) -> ObjectiveResult {
        ObjectiveResult {
            id: "piu".into(),
            description: String::new(),
            teams: vec![],
            status: status.into(),
            decided: at(20),
            evidence: vec!["PIU activated 12 min after the first critical outage (objective: 60).".into()],
            minutes_taken: taken,
            minutes_allowed: Some(60),
        }
    }

    fn incident(ttc: Option<u64>, shared: bool) -> IncidentResult {
        IncidentResult {
            id: "worm".into(),
            name: String::new(),
            kind: "ransomware".into(),
            started: at(5),
            detected: at(6),
            contained: ttc.and_then(|t| at(5 + t)),
            recovered: None,
            ttd_minutes: Some(1),
            ttc_minutes: ttc,
            ttr_minutes: None,
            compromised: vec!["hub".into()],
            indicators_shared: shared,
            ttc_target_minutes: Some(60),
        }
    }

    fn notification(status: &str) -> Notification {
        Notification {
            organisation: "op".into(),
            regime: "nis2".into(),
            stage: "early_warning".into(),
            incident: "worm".into(),
            authority: "csirt".into(),
            due: at(30),
            filed: if status == "overdue" { None } else { at(40) },
            status: status.into(),
            filed_by: if status == "overdue" { None } else { Some("laptop".into()) },
        }
    }

    #[test]
    fn a_met_objective_is_a_strength_with_its_minutes() {
        let mut r = empty();
        r.objectives.push(objective("met", Some(12)));
        let (s, i) = derive(&r);
        assert_eq!(s, vec!["Objective piu met at 08:20: 12 min (objective: 60)".to_string()]);
        assert!(i.is_empty());
    }

    #[test]
    fn a_missed_objective_is_an_area_for_improvement() {
        let mut r = empty();
        r.objectives.push(objective("missed", None));
        let (s, i) = derive(&r);
        assert!(s.is_empty());
        assert_eq!(i.len(), 1);
        assert!(i[0].starts_with("Objective piu missed at 08:20"), "{i:?}");
        // Pending objectives say nothing.
        let mut r = empty();
        r.objectives.push(objective("pending", None));
        assert_eq!(derive(&r), (vec![], vec![]));
    }

    #[test]
    fn late_and_overdue_notifications_are_areas_for_improvement() {
        let mut r = empty();
        r.notifications = vec![notification("on_time"), notification("late"), notification("overdue")];
        let (s, i) = derive(&r);
        assert!(s.is_empty(), "{s:?}");
        assert_eq!(
            i,
            vec![
                "nis2 early_warning report of op for worm filed late: at 08:40 (due 08:30).".to_string(),
                "nis2 early_warning report of op for worm never filed (due 08:30).".to_string(),
            ]
        );
        r.notifications = vec![notification("on_time"), notification("open")];
        let (s, i) = derive(&r);
        assert_eq!(s, vec!["Every notification due was filed on time by people (1 of 1).".to_string()]);
        assert!(i.is_empty());
        // What a bot filed says nothing of the players.
        r.notifications = vec![notification("on_time"), notification("late")];
        r.notifications.iter_mut().for_each(|n| n.filed_by = Some("bot".into()));
        assert_eq!(derive(&r), (vec![], vec![]));
    }

    #[test]
    fn containment_time_is_judged_against_the_scenario_s_objective_only() {
        let mut r = empty();
        r.incidents.push(incident(Some(60), true));
        let (s, i) = derive(&r);
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(i.is_empty(), "{i:?}");
        r.incidents[0] = incident(Some(61), true);
        let (s, i) = derive(&r);
        assert!(s.is_empty());
        assert_eq!(i, ["Incident worm contained only 61 min after it started (objective: 60)."]);
        r.incidents[0] = incident(None, true);
        assert_eq!(derive(&r).1, vec!["Incident worm was never contained.".to_string()]);
        // No objective on its containment: its speed is no finding.
        r.incidents[0] = incident(Some(600), true);
        r.incidents[0].ttc_target_minutes = None;
        assert_eq!(derive(&r), (vec![], vec![]));
    }

    #[test]
    fn indicators_never_shared_and_idle_teams_are_areas_for_improvement() {
        let mut r = empty();
        r.incidents.push(incident(Some(10), false));
        r.teams.push(team("ops".into(), 0));
        let mut regulator = r.teams[0].clone();
        regulator.id = "ilr".into();
        regulator.role = "regulator".into();
        r.teams.push(regulator);
        let (_, i) = derive(&r);
        assert_eq!(
            i,
            vec![
                "The indicators of incident worm were never shared.".to_string(),
                "Teams that took no action: ops.".to_string(),
            ]
        );
    }

    fn team(id: String, actions: u64) -> TeamActivity {
        TeamActivity {
            id: id.clone(),
            name: id,
            organisation: "op".into(),
            role: "operator".into(),
            human: false,
            takeover: None,
            commands_journaled: 0,
            actions: BTreeMap::new(),
            total_actions: actions,
            by_people: 0,
            by_bot: actions,
            applied: actions,
            failed: 0,
            refused: 0,
            first_action: None,
            last_action: None,
        }
    }

    /// Up to the limits every row shows and nothing says "more"; beyond them
    /// the tables are cut, the most active teams kept, and the rest counted,
    /// in report.md, the HTML page and report.json's findings alike (the
    /// report's own `teams` keeps every team).
    #[test]
    fn tables_are_whole_up_to_their_limits_and_cut_with_a_count_beyond() {
        use crate::report::render::{html, limits, markdown};
        let mut small = empty();
        small.incidents.push(incident(Some(10), false));
        for k in 0..limits::TABLE_ROWS {
            small.teams.push(team(format!("team-{k}"), (k % 3) as u64));
        }
        let md = markdown(&small);
        assert!(!md.contains("see report.json"), "{md}");
        assert!(md.contains(&format!("| team-{} |", limits::TABLE_ROWS - 1)));

        let mut big = empty();
        big.incidents.push(incident(Some(10), false));
        let n = limits::TABLE_ROWS * 10;
        // The last teams are the most active: they must be the ones shown.
        for k in 0..n {
            big.teams.push(team(format!("team-{k}"), if k >= n - limits::TABLE_ROWS { 5 } else { 0 }));
        }
        let (_, improvements) = derive(&big);
        big.improvements = improvements;
        let md = markdown(&big);
        let rest = n - limits::TABLE_ROWS;
        assert!(md.contains(&format!("and {rest} more teams, see report.json")), "{md}");
        assert!(md.contains(&format!("| team-{} |", n - 1)) && !md.contains("| team-0 |"));
        assert!(html(&big).contains(&format!("and {rest} more teams, see report.json")));
        // The idle teams are named up to the list limit, then counted.
        let idle = big.improvements.iter().find(|i| i.starts_with("Teams that took no action")).unwrap();
        assert!(idle.ends_with(&format!(", and {} more (see report.json).", rest - limits::LIST_IDS)), "{idle}");
        assert_eq!(big.teams.len(), n, "the report's data keeps every team");
    }
}
