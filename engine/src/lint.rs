//! Scenario lints: what is valid but is most likely not what the exercise
//! designer meant, found on a validated `Model` (`cascade check` prints them
//! as warnings; `--deny-warnings` makes them errors).
//!
//! Each lint names its item as validation errors do (`incident #2
//! "creos-grid-intrusion"`) and says what will happen in the exercise and
//! what to change. Lints never change a model and never run the simulation:
//! they are static readings of the scenario.

use std::collections::BTreeSet;

use crate::model::{Model, ResolvedRule};
use crate::scenario::{OrganisationKind, TeamRole};

/// One warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lint {
    /// The item, as validation names it (`objective #1 "piu-within-60"`).
    pub item: String,
    pub message: String,
}

impl std::fmt::Display for Lint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.item, self.message)
    }
}

/// Every lint of `model`, in scenario order.
pub fn lint(model: &Model) -> Vec<Lint> {
    let mut lints = Vec::new();
    media_in_constituencies(model, &mut lints);
    regimes_nobody_reads(model, &mut lints);
    incidents_nobody_can_contain(model, &mut lints);
    objectives_that_cannot_be_met(model, &mut lints);
    physical_damage_settings_unused(model, &mut lints);
    lints
}

/// As validation names items: `objective #1 "piu-within-60"` (from 1).
fn item(kind: &str, index: usize, id: &str) -> String {
    format!("{kind} #{} {id:?}", index + 1)
}

/// Organisations that field at least one team.
fn with_teams(m: &Model) -> BTreeSet<u32> {
    m.team_organisation.iter().copied().collect()
}

fn has_role(m: &Model, role: TeamRole) -> bool {
    m.scenario.teams.iter().any(|t| t.role == role)
}

fn media_in_constituencies(m: &Model, lints: &mut Vec<Lint>) {
    for (o, organisation) in m.scenario.organisations.iter().enumerate() {
        for &member in &m.organisation_constituency[o] {
            let served = &m.scenario.organisations[member as usize];
            if served.kind == OrganisationKind::Media {
                lints.push(Lint {
                    item: item("organisation", o, &organisation.id),
                    message: format!(
                        "constituency: {:?} is a Media organisation: TLP:AMBER shared with {} never reaches it through the constituency (docs/model.md, TLP), and the bots never share indicators with it; drop it from the constituency, or name its teams where they must be told",
                        served.id, organisation.id
                    ),
                });
            }
        }
    }
}

fn regimes_nobody_reads(m: &Model, lints: &mut Vec<Lint>) {
    let fielded = with_teams(m);
    for (r, regime) in m.exercise.regimes.iter().enumerate() {
        let id = &m.scenario.regimes[r].id;
        let authority = &m.scenario.organisations[regime.authority as usize].id;
        if !fielded.contains(&regime.authority) {
            lints.push(Lint {
                item: item("regime", r, id),
                message: format!(
                    "authority {authority:?} fields no team: the reports filed under it reach nobody who plays; give the authority a team (a regulator), or leave it to exercise control knowingly"
                ),
            });
        }
    }
}

/// An incident that can reach an asset whose organisation nobody plays: no
/// team of its own, no CSIRT serving it, and no CERC (which may act on any
/// asset once the plan is active). Nobody can ever isolate or restore it.
fn incidents_nobody_can_contain(m: &Model, lints: &mut Vec<Lint>) {
    if has_role(m, TeamRole::Cerc) {
        return;
    }
    let fielded = with_teams(m);
    let served: BTreeSet<u32> = m
        .scenario
        .teams
        .iter()
        .zip(&m.team_organisation)
        .filter(|(t, _)| t.role == TeamRole::Csirt)
        .flat_map(|(_, &org)| m.organisation_constituency[org as usize].iter().copied())
        .collect();
    let ex = &m.exercise;
    for (i, incident) in ex.incidents.iter().enumerate() {
        // The assets it can ever compromise: its targets, and what the network
        // links reach from them when it spreads.
        let mut reach: BTreeSet<u32> = incident.targets.iter().copied().collect();
        if incident.spread > 0 {
            let mut frontier: Vec<u32> = reach.iter().copied().collect();
            while let Some(a) = frontier.pop() {
                let (from, to) = (ex.link_start[a as usize] as usize, ex.link_start[a as usize + 1] as usize);
                for &next in &ex.link_targets[from..to] {
                    if reach.insert(next) {
                        frontier.push(next);
                    }
                }
            }
        }
        let orphans: Vec<&str> = reach
            .iter()
            .filter(|&&a| {
                let org = m.assets[a as usize].organisation;
                !fielded.contains(&org) && !served.contains(&org)
            })
            .map(|&a| m.scenario.assets[a as usize].id.as_str())
            .collect();
        if let Some(first) = orphans.first() {
            let more = if orphans.len() > 1 { format!(" (and {} more)", orphans.len() - 1) } else { String::new() };
            lints.push(Lint {
                item: item("incident", i, &m.scenario.incidents[i].id),
                message: format!(
                    "can compromise asset {first:?}{more}, whose organisation fields no team and no CSIRT serves (and there is no CERC): nobody can ever isolate or restore it; give the organisation a team, put it in a CSIRT's constituency, or keep the incident off it"
                ),
            });
        }
    }
}

fn objectives_that_cannot_be_met(m: &Model, lints: &mut Vec<Lint>) {
    let fielded = with_teams(m);
    for (o, objective) in m.exercise.objectives.iter().enumerate() {
        let it = item("objective", o, &m.scenario.objectives[o].id);
        match &objective.rule {
            ResolvedRule::PiuActivatedWithin { .. } if !has_role(m, TeamRole::CrisisCell) => lints.push(Lint {
                item: it,
                message: format!(
                    "no team has the CrisisCell role, so nobody can activate the {}: it is missed at the first critical outage",
                    m.scenario.response.plan.name
                ),
            }),
            ResolvedRule::ReportsOnTime { regime, organisations, .. } => {
                let applies = &m.exercise.regimes[*regime as usize].applies_to;
                let filers = (0..applies.len() as u32).filter(|&org| {
                    applies[org as usize]
                        && !m.scenario.organisations[org as usize].simulated
                        && fielded.contains(&org)
                        && (organisations.is_empty() || organisations.contains(&org))
                });
                if filers.count() == 0 {
                    lints.push(Lint {
                        item: it,
                        message: format!(
                            "no organisation that fields a team (and is not simulated) is subject to regime {:?}{}: no report can be filed by players, so it is never met",
                            m.scenario.regimes[*regime as usize].id,
                            if organisations.is_empty() { "" } else { " among its organisations" }
                        ),
                    });
                }
            }
            _ => {}
        }
    }
}

/// `physical_damage: false` keeps one kind of damage: an incident marked
/// `physical` then damages like any other (a restore repairs it) and an
/// asset's `repair_ticks` has nothing to repair.
fn physical_damage_settings_unused(m: &Model, lints: &mut Vec<Lint>) {
    if m.physical_damage {
        return;
    }
    for (i, incident) in m.scenario.incidents.iter().enumerate() {
        if incident.physical {
            lints.push(Lint {
                item: item("incident", i, &incident.id),
                message: "physical: true has no effect with physical_damage: false: its damage is undone by a restore from backup like any other; remove physical_damage: false (the default keeps the two kinds apart)".into(),
            });
        }
    }
    for (a, asset) in m.scenario.assets.iter().enumerate() {
        if asset.repair_ticks.is_some() {
            lints.push(Lint {
                item: item("asset", a, &asset.id),
                message: "repair_ticks has no effect with physical_damage: false: there is no physical damage to repair; remove physical_damage: false (the default keeps the two kinds apart)".into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn model(text: &str) -> Model {
        crate::load::parse_model(text.as_bytes(), Path::new("lint.ron")).unwrap_or_else(|e| panic!("{e}"))
    }

    const BASE: &str = r#"Scenario(
        name: "Lints",
        duration_ticks: 60,
        start: "2026-03-10T08:00",
        sectors: [Sector(id: "energy")],
        organisations: [
            Organisation(id: "grid", kind: Operator, sector: "energy"),
            Organisation(id: "orphan", kind: Operator, sector: "energy"),
            Organisation(id: "cert", kind: Csirt, constituency: ["grid", "rtl"]),
            Organisation(id: "rtl", kind: Media),
            Organisation(id: "ilr", kind: Authority),
        ],
        assets: [
            Asset(id: "grid-scada", organisation: "grid", sector: "energy", population: 100),
            Asset(id: "orphan-box", organisation: "orphan", sector: "energy", population: 100),
        ],
        links: [Link(from: "grid-scada", to: "orphan-box")],
        teams: [
            Team(id: "grid-ops", organisation: "grid", role: Operator),
            Team(id: "cert", organisation: "cert", role: Csirt),
        ],
        incidents: [Incident(id: "worm", kind: Ransomware, targets: ["grid-scada"], spread: 500)],
        regimes: [Regime(id: "nis2", preset: Nis2, authority: "ilr", organisations: ["orphan"])],
        objectives: [
            Objective(id: "piu", rule: PiuActivatedWithin(minutes: 60)),
            Objective(id: "reports", rule: ReportsOnTime(regime: "nis2")),
        ],
    )"#;

    #[test]
    fn each_lint_fires_on_its_cause_and_names_the_item() {
        let lints = lint(&model(BASE));
        let text: Vec<String> = lints.iter().map(ToString::to_string).collect();
        let has = |needle: &str| text.iter().any(|t| t.contains(needle));
        assert!(has("organisation #3 \"cert\": constituency: \"rtl\" is a Media organisation"), "{text:#?}");
        assert!(has("regime #1 \"nis2\": authority \"ilr\" fields no team"), "{text:#?}");
        assert!(has("incident #1 \"worm\": can compromise asset \"orphan-box\""), "{text:#?}");
        assert!(has("objective #1 \"piu\": no team has the CrisisCell role"), "{text:#?}");
        assert!(has("objective #2 \"reports\": no organisation that fields a team"), "{text:#?}");
        assert_eq!(lints.len(), 5, "{text:#?}");
    }

    #[test]
    fn a_scenario_that_gives_each_cause_its_remedy_has_no_lints() {
        let fixed = BASE
            .replace(r#"constituency: ["grid", "rtl"]"#, r#"constituency: ["grid", "orphan"]"#)
            .replace(r#"organisations: ["orphan"])"#, r#"organisations: ["grid"])"#)
            .replace(
                r#"Team(id: "cert", organisation: "cert", role: Csirt),"#,
                r#"Team(id: "cert", organisation: "cert", role: Csirt),
            Team(id: "ilr", organisation: "ilr", role: Regulator),
            Team(id: "cell", organisation: "ilr", role: CrisisCell),"#,
            );
        let lints = lint(&model(&fixed));
        assert!(lints.is_empty(), "{lints:#?}");
    }

    #[test]
    fn physical_settings_without_physical_damage_are_named() {
        let text = BASE
            .replace("spread: 500)", "spread: 500, physical: true)")
            .replace(
                r#"population: 100),
            Asset(id: "orphan-box""#,
                r#"population: 100, repair_ticks: 30),
            Asset(id: "orphan-box""#,
            )
            .replace("    regimes:", "    physical_damage: false,\n        regimes:");
        let lints: Vec<String> = lint(&model(&text)).iter().map(ToString::to_string).collect();
        assert!(
            lints.iter().any(|l| l.starts_with("incident #1 \"worm\": physical: true has no effect")),
            "{lints:#?}"
        );
        assert!(
            lints.iter().any(|l| l.starts_with("asset #1 \"grid-scada\": repair_ticks has no effect")),
            "{lints:#?}"
        );
        // With the default, the same settings are meant and not linted.
        let meant = text.replace("physical_damage: false,", "");
        let lints: Vec<String> = lint(&model(&meant)).iter().map(ToString::to_string).collect();
        assert!(!lints.iter().any(|l| l.contains("physical_damage")), "{lints:#?}");
    }

    #[test]
    fn the_bundled_scenarios_have_no_lints() {
        for file in ["../scenarios/luxembourg.ron", "../scenarios/tutorial.ron"] {
            let m = crate::load::load_model(Path::new(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let lints: Vec<String> = lint(&m).iter().map(ToString::to_string).collect();
            assert!(lints.is_empty(), "{file}: {lints:#?}");
        }
    }
}
