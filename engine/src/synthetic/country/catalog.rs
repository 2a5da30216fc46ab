//! What the synthetic country is made of: its sectors, the kinds of asset in
//! each, the names of their largest operators, and how much of the country each
//! sector holds. Plain data, so the structure can be read (and changed) in one
//! place; `country.rs` turns it into assets, dependencies and organisations.

use crate::scenario::{Criticality, DependencyKind};

/// One kind of leaf asset (the assets that deliver a service to people).
pub struct LeafKind {
    pub name: &'static str,
    pub criticality: Criticality,
    /// Relative frequency among the sector's leaves.
    pub weight: u32,
}

/// A sector and the three tiers of its assets: a few national hubs, regional
/// nodes (one or more per region) and leaves.
pub struct SectorSpec {
    pub id: &'static str,
    pub name: &'static str,
    /// Two letters that prefix the sector's asset and organisation ids.
    pub code: &'static str,
    /// Share of the country's assets, per mille (the shares add up to 1000).
    pub share: u32,
    /// What the sector's providers supply to the assets that depend on them.
    pub service: DependencyKind,
    pub hub: &'static str,
    pub regional: &'static str,
    pub leaves: &'static [LeafKind],
    /// The name of the sector's largest operator (the one that owns its hubs).
    pub largest_operator: &'static str,
}

const fn leaf(name: &'static str, criticality: Criticality, weight: u32) -> LeafKind {
    LeafKind { name, criticality, weight }
}

use Criticality::{Critical, High, Low, Medium};

pub const ENERGY: usize = 0;
pub const TELECOM: usize = 1;
pub const DIGITAL: usize = 2;
pub const FINANCE: usize = 3;
pub const HEALTH: usize = 4;
pub const TRANSPORT: usize = 5;
pub const WATER: usize = 6;
pub const GOVERNMENT: usize = 7;
pub const FOOD: usize = 8;
pub const MANUFACTURING: usize = 9;

/// The leaf kind of the digital sector whose assets reach into their
/// customers' networks (a supply-chain incident spreads along those links).
pub const MANAGED_SERVICE: &str = "Managed service platform";

/// In this order: with fewer assets than sectors, the first ones are used.
pub const SECTORS: [SectorSpec; 10] = [
    SectorSpec {
        id: "energy",
        name: "Energy",
        code: "en",
        share: 130,
        service: DependencyKind::Power,
        hub: "Transmission substation",
        regional: "Distribution substation",
        leaves: &[
            leaf("Power plant control system", High, 2),
            leaf("Wind farm controller", Medium, 3),
            leaf("Gas pressure station", High, 2),
            leaf("Smart-meter head-end", Medium, 3),
        ],
        largest_operator: "National grid operator",
    },
    SectorSpec {
        id: "telecom",
        name: "Telecommunications",
        code: "te",
        share: 120,
        service: DependencyKind::Network,
        hub: "Core router",
        regional: "Aggregation exchange",
        leaves: &[
            leaf("Mobile base station", Medium, 6),
            leaf("Fibre access node", Medium, 5),
            leaf("Emergency call routing", Critical, 1),
        ],
        largest_operator: "Incumbent telecom operator",
    },
    SectorSpec {
        id: "digital",
        name: "Digital infrastructure",
        code: "di",
        share: 90,
        service: DependencyKind::Data,
        hub: "Data centre",
        regional: "Cloud zone",
        leaves: &[
            leaf("Hosting platform", Medium, 4),
            leaf("DNS resolver", High, 1),
            leaf(MANAGED_SERVICE, Medium, 2),
            leaf("Identity provider", High, 1),
        ],
        largest_operator: "National cloud provider",
    },
    SectorSpec {
        id: "finance",
        name: "Finance",
        code: "fi",
        share: 100,
        service: DependencyKind::Finance,
        hub: "Payment clearing system",
        regional: "Bank data centre",
        leaves: &[
            leaf("Online banking portal", High, 2),
            leaf("Card acquiring platform", High, 2),
            leaf("ATM network", Medium, 3),
            leaf("Branch systems", Low, 3),
        ],
        largest_operator: "Largest bank",
    },
    SectorSpec {
        id: "health",
        name: "Health",
        code: "he",
        share: 120,
        service: DependencyKind::Data,
        hub: "National eHealth platform",
        regional: "Hospital IT core",
        leaves: &[
            leaf("Clinical system", Critical, 3),
            leaf("Laboratory system", High, 2),
            leaf("Pharmacy system", Medium, 3),
            leaf("GP practice system", Low, 3),
        ],
        largest_operator: "University hospital group",
    },
    SectorSpec {
        id: "transport",
        name: "Transport",
        code: "tr",
        share: 100,
        service: DependencyKind::Supply,
        hub: "Traffic management centre",
        regional: "Rail signalling centre",
        leaves: &[
            leaf("Signalling interlocking", Critical, 1),
            leaf("Road traffic control", High, 2),
            leaf("Airport operations system", High, 1),
            leaf("Logistics platform", Medium, 4),
        ],
        largest_operator: "National railway",
    },
    SectorSpec {
        id: "water",
        name: "Drinking water",
        code: "wa",
        share: 80,
        service: DependencyKind::Supply,
        hub: "Water treatment plant",
        regional: "Pumping station",
        leaves: &[
            leaf("Reservoir telemetry", Medium, 3),
            leaf("District metering", Low, 3),
            leaf("Treatment SCADA", Critical, 1),
        ],
        largest_operator: "National water utility",
    },
    SectorSpec {
        id: "government",
        name: "Public administration",
        code: "go",
        share: 100,
        service: DependencyKind::Data,
        hub: "State data centre",
        regional: "Municipal IT centre",
        leaves: &[
            leaf("Police dispatch", Critical, 1),
            leaf("Municipal services", Medium, 4),
            leaf("Tax portal", Low, 2),
            leaf("Ministry office IT", Medium, 3),
        ],
        largest_operator: "State IT centre",
    },
    SectorSpec {
        id: "food",
        name: "Food supply",
        code: "fo",
        share: 80,
        service: DependencyKind::Supply,
        hub: "Central distribution warehouse",
        regional: "Regional warehouse",
        leaves: &[
            leaf("Supermarket systems", Medium, 5),
            leaf("Cold store", Medium, 2),
            leaf("Food processing plant", Low, 2),
        ],
        largest_operator: "Largest retail group",
    },
    SectorSpec {
        id: "manufacturing",
        name: "Manufacturing",
        code: "ma",
        share: 80,
        service: DependencyKind::Supply,
        hub: "Industrial gas plant",
        regional: "Chemical plant",
        leaves: &[
            leaf("Factory MES", Low, 4),
            leaf("Pharmaceutical plant", High, 1),
            leaf("Chemical process control", High, 2),
        ],
        largest_operator: "Chemicals group",
    },
];
