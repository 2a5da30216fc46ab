//! The parts of an HSEEP After-Action Report / Improvement Plan that are built
//! from the rest of the report: the executive summary, the exercise details,
//! each core capability's rating, and the Improvement Plan matrix.
//!
//! A capability's rating is derived from its objectives by a fixed rule (below,
//! and docs/journal.md), and the evaluator may override it (`cascade report
//! --ratings FILE`): the report says which ratings are derived and which are the
//! evaluator's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Report;

/// How many strengths and areas for improvement the executive summary lists.
pub const SUMMARY_ITEMS: usize = 3;

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ExecutiveSummary {
    pub objectives_met: usize,
    pub objectives_missed: usize,
    pub objectives_pending: usize,
    /// The first three strengths and areas for improvement (in report order:
    /// objectives first, then notifications, incidents, teams).
    pub strengths: Vec<String>,
    pub improvements: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ExerciseDetails {
    /// Every organisation of the scenario: id, name and kind.
    pub organisations: Vec<OrganisationRow>,
    /// Teams people played (took over), and teams their bots played throughout.
    pub human_teams: Vec<String>,
    pub bot_teams: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganisationRow {
    pub id: String,
    pub name: String,
    pub kind: String,
}

/// One core capability, rated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapabilityRating {
    pub capability: String,
    /// The objectives that evaluate it, with their status.
    pub objectives: Vec<(String, String)>,
    /// `P`, `S`, `M` or `U` (below).
    pub rating: String,
    /// What the rule derived, whatever the evaluator said.
    pub derived: String,
    /// The evaluator's rating replaced the derived one.
    pub by_evaluator: bool,
    pub note: String,
}

/// One row of the Improvement Plan: the area for improvement, and the fields
/// the organisations fill in (left empty here).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImprovementRow {
    pub area: String,
    pub capability: String,
    pub corrective_action: String,
    pub primary_responsible_organisation: String,
    pub point_of_contact: String,
    pub start_date: String,
    pub completion_date: String,
}

/// An evaluator's rating of a capability, as `--ratings` reads it:
/// `{"Cybersecurity": {"rating": "S", "note": "…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluatorRating {
    pub rating: String,
    #[serde(default)]
    pub note: String,
}

/// The HSEEP ratings and what they mean.
pub const RATINGS: [(&str, &str); 4] = [
    ("P", "Performed without challenges"),
    ("S", "Performed with some challenges"),
    ("M", "Performed with major challenges"),
    ("U", "Unable to be performed"),
];

/// The derived rating of a capability from its objectives' statuses: every
/// objective met, P; at least half met, S; some met, M; none met, U (an
/// objective still pending at the end counts as not met).
pub fn derive_rating(statuses: &[&str]) -> &'static str {
    let met = statuses.iter().filter(|s| **s == "met").count();
    match met {
        m if m == statuses.len() => "P",
        m if m * 2 >= statuses.len() => "S",
        0 => "U",
        _ => "M",
    }
}

/// Reads evaluator ratings; every capability must be one the report rates and
/// every rating one of P, S, M, U.
pub fn parse_ratings(text: &str, known: &[String]) -> Result<BTreeMap<String, EvaluatorRating>, String> {
    let ratings: BTreeMap<String, EvaluatorRating> = serde_json::from_str(text).map_err(|e| {
        format!("not a ratings file: {e} (expected {{\"capability\": {{\"rating\": \"S\", \"note\": \"…\"}}}})")
    })?;
    for (capability, r) in &ratings {
        if !known.contains(capability) {
            return Err(format!(
                "capability {capability:?} is not rated in this report (its objectives name: {})",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ));
        }
        if !RATINGS.iter().any(|(code, _)| *code == r.rating) {
            return Err(format!("{capability:?}: rating {:?} is not one of P, S, M, U", r.rating));
        }
    }
    Ok(ratings)
}

/// Fills the HSEEP parts of `report` from the rest (after strengths and
/// improvements are derived), applying the evaluator's ratings.
pub fn complete(report: &mut Report, model: &cascade_engine::Model, ratings: &BTreeMap<String, EvaluatorRating>) {
    let count = |status: &str| report.objectives.iter().filter(|o| o.status == status).count();
    report.summary = ExecutiveSummary {
        objectives_met: count("met"),
        objectives_missed: count("missed"),
        objectives_pending: count("pending"),
        strengths: report.strengths.iter().take(SUMMARY_ITEMS).cloned().collect(),
        improvements: report.improvements.iter().take(SUMMARY_ITEMS).cloned().collect(),
    };
    let s = &model.scenario;
    report.details = ExerciseDetails {
        organisations: s
            .organisations
            .iter()
            .map(|o| OrganisationRow {
                id: o.id.clone(),
                name: if o.name.is_empty() { o.id.clone() } else { o.name.clone() },
                kind: format!("{:?}", o.kind),
            })
            .collect(),
        human_teams: report.teams.iter().filter(|t| t.human).map(|t| t.id.clone()).collect(),
        bot_teams: report.teams.iter().filter(|t| !t.human).map(|t| t.id.clone()).collect(),
    };
    let mut by_capability: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (o, result) in s.objectives.iter().zip(&report.objectives) {
        if !o.capability.trim().is_empty() {
            by_capability
                .entry(o.capability.trim().to_string())
                .or_default()
                .push((o.id.clone(), result.status.clone()));
        }
    }
    report.capabilities = by_capability
        .into_iter()
        .map(|(capability, objectives)| {
            let statuses: Vec<&str> = objectives.iter().map(|(_, st)| st.as_str()).collect();
            let derived = derive_rating(&statuses).to_string();
            let evaluator = ratings.get(&capability);
            CapabilityRating {
                rating: evaluator.map_or_else(|| derived.clone(), |r| r.rating.clone()),
                by_evaluator: evaluator.is_some(),
                note: evaluator.map(|r| r.note.clone()).unwrap_or_default(),
                derived,
                capability,
                objectives,
            }
        })
        .collect();
    // Each area for improvement is a row; an objective's carries its capability
    // and the organisation of its first team, the rest are for the planners.
    report.improvement_plan = report
        .improvements
        .iter()
        .map(|area| {
            let objective = s.objectives.iter().find(|o| area.starts_with(&format!("Objective {} ", o.id)));
            let organisation = objective
                .and_then(|o| o.teams.first())
                .and_then(|t| s.teams.iter().find(|x| &x.id == t))
                .map(|t| t.organisation.clone())
                .unwrap_or_default();
            ImprovementRow {
                area: area.clone(),
                capability: objective.map(|o| o.capability.clone()).unwrap_or_default(),
                corrective_action: String::new(),
                primary_responsible_organisation: organisation,
                point_of_contact: String::new(),
                start_date: String::new(),
                completion_date: String::new(),
            }
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_follow_the_share_of_objectives_met() {
        assert_eq!(derive_rating(&["met", "met"]), "P");
        assert_eq!(derive_rating(&["met", "missed"]), "S");
        assert_eq!(derive_rating(&["met", "missed", "pending"]), "M");
        assert_eq!(derive_rating(&["missed", "pending"]), "U");
    }

    #[test]
    fn evaluator_ratings_are_checked() {
        let known = vec!["Cybersecurity".to_string()];
        let ok = parse_ratings(r#"{"Cybersecurity": {"rating": "M", "note": "late"}}"#, &known).unwrap();
        assert_eq!(ok["Cybersecurity"], EvaluatorRating { rating: "M".into(), note: "late".into() });
        let unknown = parse_ratings(r#"{"Logistics": {"rating": "P"}}"#, &known).unwrap_err();
        assert!(unknown.contains("\"Logistics\" is not rated") && unknown.contains("Cybersecurity"), "{unknown}");
        let bad = parse_ratings(r#"{"Cybersecurity": {"rating": "A"}}"#, &known).unwrap_err();
        assert!(bad.contains("not one of P, S, M, U"), "{bad}");
        assert!(parse_ratings("[1]", &known).unwrap_err().contains("not a ratings file"));
    }
}
