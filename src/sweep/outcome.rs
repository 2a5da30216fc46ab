//! What a sweep keeps of each run, and of its scenario: exactly the integers the
//! summary and the CSV are computed from, so a sweep split into shards and merged
//! prints what one process running every seed prints. These types are also the
//! records of a shard file (docs/sweep.md), hence their serde shape.

use std::sync::Arc;

use cascade_engine::exercise::Status;
use cascade_engine::load::to_ron;
use cascade_engine::{Model, Simulation};
use serde::{Deserialize, Serialize};

/// What the report needs to know about the scenario, and its identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub name: String,
    /// blake3 of the scenario as loaded (MSEL rows included) serialised as RON,
    /// 64 lowercase hex digits: the same scenario copied to another machine or
    /// path, or reformatted, has the same digest; any change to what it says does not.
    pub blake3: String,
    pub tick_seconds: u32,
    pub duration_ticks: u64,
    /// The people the scenario states, if it does.
    #[serde(with = "decimal_option")]
    pub population: Option<u64>,
    /// Sum of every asset's population (weighted users).
    #[serde(with = "decimal")]
    pub total_population: u64,
    /// Objective ids, in scenario order.
    pub objectives: Vec<String>,
    /// Incident ids, in scenario order.
    pub incidents: Vec<String>,
}

impl Facts {
    pub fn of(model: &Model) -> Self {
        let s = &model.scenario;
        Self {
            name: s.name.clone(),
            blake3: blake3::hash(to_ron(s).as_bytes()).to_hex().to_string(),
            tick_seconds: s.tick_seconds,
            duration_ticks: s.duration_ticks,
            population: s.population,
            total_population: model.total_population,
            objectives: s.objectives.iter().map(|o| o.id.clone()).collect(),
            incidents: s.incidents.iter().map(|i| i.id.clone()).collect(),
        }
    }
}

/// What one run came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    #[serde(with = "decimal")]
    pub seed: u64,
    /// Σ over ticks 1..=T of the weighted users not served (user-ticks).
    #[serde(with = "decimal")]
    pub lost_user_ticks: u128,
    /// The lowest national service over ticks 0..=T, in weighted users.
    #[serde(with = "decimal")]
    pub lowest_national: u64,
    /// Per objective (scenario order), at the end.
    pub objectives: Vec<ObjectiveEnd>,
    /// Per incident (scenario order).
    pub incidents: Vec<IncidentEnd>,
    pub notifications: Notifications,
}

/// An objective's status at the end of a run, with the tick it was decided at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveEnd {
    Pending,
    Met(u64),
    Missed(u64),
}

/// An incident's ticks: `[started, first detected, contained]`, null where it
/// never happened (a JSON triple: one is kept per incident and run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentEnd(pub Option<u64>, pub Option<u64>, pub Option<u64>);

impl IncidentEnd {
    pub fn started(&self) -> bool {
        self.0.is_some()
    }
    /// Detected, counted only for an incident that started.
    pub fn detected(&self) -> bool {
        self.0.is_some() && self.1.is_some()
    }
    /// Contained, counted only for an incident that started.
    pub fn contained(&self) -> bool {
        self.0.is_some() && self.2.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    pub on_time: u32,
    pub late: u32,
    pub overdue: u32,
}

impl Outcome {
    /// (met, missed, pending).
    pub fn objective_counts(&self) -> (usize, usize, usize) {
        let met = self.objectives.iter().filter(|s| matches!(s, ObjectiveEnd::Met(_))).count();
        let missed = self.objectives.iter().filter(|s| matches!(s, ObjectiveEnd::Missed(_))).count();
        (met, missed, self.objectives.len() - met - missed)
    }
}

/// A full run with no commands: every team is played by its scenario bot.
pub fn run_one(model: Arc<Model>, seed: u64) -> Outcome {
    let total = model.total_population;
    let mut sim = Simulation::new(model, seed);
    let mut lost_user_ticks = 0u128;
    let mut lowest_national = sim.national_service();
    while sim.step() {
        let served = sim.national_service();
        lost_user_ticks += u128::from(total.saturating_sub(served));
        lowest_national = lowest_national.min(served);
    }
    let ex = sim.exercise();
    Outcome {
        seed,
        lost_user_ticks,
        lowest_national,
        objectives: ex
            .objectives
            .iter()
            .map(|s| match *s {
                Status::Pending => ObjectiveEnd::Pending,
                Status::Met(tick) => ObjectiveEnd::Met(tick),
                Status::Missed(tick) => ObjectiveEnd::Missed(tick),
            })
            .collect(),
        incidents: ex.incidents.iter().map(|s| IncidentEnd(s.started_at, s.first_detected, s.contained_at)).collect(),
        notifications: Notifications {
            on_time: ex.metrics.notifications_on_time,
            late: ex.metrics.notifications_late,
            overdue: ex.metrics.notifications_overdue,
        },
    }
}

/// Integers that may pass 2^53 as decimal strings, as the journal writes its seed:
/// many JSON readers (jq, JavaScript) hold numbers as doubles and would round them.
pub mod decimal {
    use std::fmt::Display;
    use std::marker::PhantomData;
    use std::str::FromStr;

    use serde::de::{Error, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromStr,
        D: Deserializer<'de>,
    {
        deserializer.deserialize_str(Decimal(PhantomData))
    }

    /// A visitor, so that a bare number is refused with what is expected instead.
    struct Decimal<T>(PhantomData<T>);

    impl<T: FromStr> Visitor<'_> for Decimal<T> {
        type Value = T;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an integer written as a decimal string, such as \"42\"")
        }

        fn visit_str<E: Error>(self, text: &str) -> Result<T, E> {
            parse(text).map_err(E::custom)
        }
    }

    /// Only plain decimal digits: `FromStr` would also take a leading `+`.
    pub fn parse<T: FromStr>(text: &str) -> Result<T, String> {
        let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        match text.parse() {
            Ok(value) if digits => Ok(value),
            _ => Err(format!("{text:?} is not a decimal integer in range")),
        }
    }
}

/// `Option<u64>` as a decimal string or null.
pub mod decimal_option {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.collect_str(v),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => super::decimal::parse(&text).map(Some).map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}
