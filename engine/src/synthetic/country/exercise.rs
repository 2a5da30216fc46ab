//! The exercise around a synthetic country: its teams (handed out in the
//! order a national response needs them), the storm, fire and fibre cut, seven
//! incidents, the reporting regimes whose authorities play, a few injects and
//! objectives. Every choice keeps `cascade check` free of warnings once the
//! crisis cell, the national CSIRT and the CERC have teams (`teams` >= 3):
//! a regime, objective or inject recipient that nobody plays is left out.

use super::catalog::{DIGITAL, ENERGY, FINANCE, GOVERNMENT, HEALTH, SECTORS, TELECOM};
use super::{
    Bots, CRISIS_CELL, CYBER_AGENCY, Country, DATA_PROTECTION, Draw, FIN_SUPERVISOR, INTERIOR, MEDIA, NATIONAL_CSIRT,
    Tier,
};
use crate::scenario::{
    BotPolicy, Condition, Disruption, Effect, Incident, IncidentKind, Indicator, IndicatorKind, Inject, Method,
    Objective, Regime, RegimePreset, Rule, Team, TeamRole, TimeRef, Tlp,
};

impl Country {
    pub(super) fn plan_exercise(&mut self) {
        let mut rng = Draw::new(self.params.seed, "gen/exercise");
        self.plan_teams(&mut rng);
        self.plan_disruptions();
        self.plan_incidents(&mut rng);
        self.plan_regimes();
        self.plan_injects_and_objectives();
    }

    /// A tick at `per_mille` of the exercise, within it.
    fn at(&self, per_mille: u64) -> u64 {
        (self.params.duration_ticks * per_mille / 1000).clamp(1, self.params.duration_ticks)
    }

    /// Teams in the order they are handed out: first those without which the
    /// national response cannot run (crisis cell, national CSIRT, CERC, the
    /// regulators), then the sectors' CSIRTs, then operators from the largest.
    fn team_slots(&self) -> Vec<(u32, TeamRole, String)> {
        let org_id = |o: u32| self.organisations[o as usize].id.clone();
        let largest = |spec: usize| self.layout.sector(spec).map(|sl| sl.first_operator);
        let mut slots = vec![
            (CRISIS_CELL, TeamRole::CrisisCell, org_id(CRISIS_CELL)),
            (NATIONAL_CSIRT, TeamRole::Csirt, org_id(NATIONAL_CSIRT)),
            (NATIONAL_CSIRT, TeamRole::Cerc, "cerc".to_string()),
            (CYBER_AGENCY, TeamRole::Regulator, org_id(CYBER_AGENCY)),
        ];
        let early: Vec<u32> = [largest(ENERGY), largest(TELECOM)].into_iter().flatten().collect();
        for &o in &early {
            slots.push((o, TeamRole::Operator, org_id(o)));
        }
        slots.push((FIN_SUPERVISOR, TeamRole::Regulator, org_id(FIN_SUPERVISOR)));
        slots.push((DATA_PROTECTION, TeamRole::Regulator, org_id(DATA_PROTECTION)));
        for sl in &self.layout.sectors {
            if let Some(csirt) = sl.csirt {
                slots.push((csirt, TeamRole::Csirt, org_id(csirt)));
            }
        }
        slots.push((CRISIS_CELL, TeamRole::Communication, "crisis-comms".to_string()));
        slots.push((INTERIOR, TeamRole::Ministry, org_id(INTERIOR)));
        slots.push((MEDIA, TeamRole::Media, org_id(MEDIA)));
        let most = self.layout.sectors.iter().map(|sl| sl.operators).max().unwrap_or(0);
        for rank in 0..most {
            for sl in &self.layout.sectors {
                let o = sl.first_operator + rank;
                if rank < sl.operators && !early.contains(&o) {
                    slots.push((o, TeamRole::Operator, org_id(o)));
                }
            }
        }
        slots
    }

    fn plan_teams(&mut self, rng: &mut Draw) {
        let slots = self.team_slots();
        let duration = self.params.duration_ticks.min(u64::from(u32::MAX)) as u32;
        for (organisation, role, id) in slots.into_iter().take(self.params.teams as usize) {
            let org = &self.organisations[organisation as usize];
            let (staff, delay, skill, brief) = match role {
                TeamRole::CrisisCell => (
                    6,
                    5,
                    800,
                    "You are the national crisis cell. Activate the national response plan once a critical service is lost, and keep the country informed through the crisis communication team.".to_string(),
                ),
                TeamRole::Csirt => (
                    if organisation == NATIONAL_CSIRT { 12 } else { 8 },
                    rng.range(3, 10),
                    rng.range(700, 900),
                    format!("You are the {}. Help the organisations of your constituency when they ask: investigate, isolate, restore and harden their assets, and share indicators with the other CSIRTs.", org.name),
                ),
                TeamRole::Cerc => (
                    6,
                    5,
                    800,
                    "You are the cyber risk evaluation cell, chaired by the national CSIRT. Once the plan is active you may investigate and isolate any asset in the country.".to_string(),
                ),
                TeamRole::Regulator => (
                    3,
                    10,
                    500,
                    format!("You are the {}. Operators report their incidents to you; follow up on late reports.", org.name),
                ),
                TeamRole::Communication => (
                    3,
                    10,
                    600,
                    "You speak for the crisis cell: tell people what works, what does not, and what to do.".to_string(),
                ),
                TeamRole::Ministry => (2, 10, 500, "You answer to the government for the crisis.".to_string()),
                TeamRole::Media => (2, 10, 500, "You are the national newsroom.".to_string()),
                TeamRole::Operator => {
                    let owned = self.owned[organisation as usize].len() as u32;
                    (
                        4 + (owned / 50).min(12),
                        rng.range(5, 20),
                        rng.range(400, 900),
                        format!("You run {}'s {} assets: keep them serving, report incidents, and ask your CSIRT for help.", org.name, owned),
                    )
                }
            };
            let bot = match self.params.bots {
                Bots::Responsive => BotPolicy::Responsive { delay: delay.min(duration), skill },
                Bots::Passive => BotPolicy::Passive,
            };
            let name = match role {
                TeamRole::Cerc => "Cyber risk evaluation cell".to_string(),
                TeamRole::Communication => "Crisis communication".to_string(),
                _ => org.name.clone(),
            };
            self.teams.push(Team { id, name, organisation: org.id.clone(), role, staff, bot, brief });
        }
    }

    /// A storm that trips a twentieth of the distribution substations (the
    /// first regions) and is repaired three hours later; a fire at a
    /// transmission substation at half time (its partners carry the load); a
    /// fibre cut in one region.
    fn plan_disruptions(&mut self) {
        let d = self.params.duration_ticks;
        let mut out = Vec::new();
        let mut disrupt = |tick: u64, asset: u32, integrity: u32, note: String| {
            if tick <= d {
                out.push(Disruption { tick, asset: self.ids[asset as usize].clone(), integrity, note });
            }
        };
        let storm = self.at(40);
        if let Some(sl) = self.layout.sector(ENERGY) {
            let tripped: Vec<u32> = if sl.regional == 0 {
                vec![sl.hub(0)]
            } else {
                (0..(sl.regional / 20).max(1)).map(|k| sl.regional_node(k)).collect()
            };
            for &a in &tripped {
                disrupt(storm, a, 0, "Storm: the substation tripped and its yard is flooded.".into());
            }
            for &a in &tripped {
                disrupt(storm + 180, a, 1000, "Storm damage repaired.".into());
            }
            if sl.hubs >= 2 {
                disrupt(self.at(500), sl.hub(0), 0, "Fire in the transformer hall.".into());
            }
        }
        if let Some(sl) = self.layout.sector(TELECOM)
            && sl.regional > 0
        {
            let node = sl.regional_node(sl.regional / 2);
            let cut = self.at(250);
            disrupt(cut, node, 200, "Fibre cut by road works.".into());
            disrupt(cut + 120, node, 1000, "Fibre spliced.".into());
        }
        out.sort_by_key(|x| x.tick);
        self.disruptions = out;
    }

    /// A leaf of sector `spec` (of its largest operator when `largest`), or
    /// failing that any asset of the sector, or the last asset.
    fn pick(&self, spec: usize, largest: bool, rng: &mut Draw) -> u32 {
        let Some(sl) = self.layout.sector(spec) else { return self.assets.len() as u32 - 1 };
        if largest {
            let leaves: Vec<u32> = self.owned[sl.first_operator as usize]
                .iter()
                .copied()
                .filter(|&a| self.assets[a as usize].tier == Tier::Leaf)
                .collect();
            if !leaves.is_empty() {
                return leaves[rng.below(leaves.len() as u32) as usize];
            }
        }
        if sl.leaves > 0 { sl.leaf(rng.below(sl.leaves)) } else { sl.hub(0) }
    }

    fn plan_incidents(&mut self, rng: &mut Draw) {
        let seed = self.params.seed;
        let ids = |targets: Vec<u32>| -> Vec<String> {
            let mut seen = Vec::new();
            for t in targets {
                if !seen.contains(&t) {
                    seen.push(t);
                }
            }
            seen.into_iter().map(|t| self.ids[t as usize].to_string()).collect()
        };
        let incident = |id: &str, name: &str, kind, targets: Vec<String>, start: Option<u64>| Incident {
            id: id.into(),
            name: name.into(),
            kind,
            targets,
            start,
            impact: 0,
            floor: 0,
            spread: 0,
            visibility: 0,
            detectability: 700,
            personal_data: false,
            physical: false,
            indicators: indicators(seed, id),
        };
        let mut out = Vec::new();

        let targets = ids(vec![self.pick(HEALTH, true, rng), self.pick(HEALTH, true, rng)]);
        let mut x = incident(
            "hospital-ransomware",
            "Ransomware at the university hospitals",
            IncidentKind::Ransomware,
            targets,
            Some(self.at(80)),
        );
        (x.impact, x.spread, x.visibility, x.personal_data) = (20, 50, 100, true);
        out.push(x);

        let targets = ids((0..3).map(|_| self.pick(FINANCE, false, rng)).collect());
        let mut x = incident("bank-ddos", "DDoS on online banking", IncidentKind::Ddos, targets, Some(self.at(150)));
        (x.impact, x.floor, x.visibility, x.detectability) = (300, 300, 1000, 1000);
        out.push(x);

        let provider = if self.managed.is_empty() {
            self.pick(DIGITAL, false, rng)
        } else {
            self.managed[rng.below(self.managed.len() as u32) as usize]
        };
        let mut x = incident(
            "msp-supply-chain",
            "Compromised managed service provider",
            IncidentKind::SupplyChain,
            ids(vec![provider]),
            Some(self.at(200)),
        );
        (x.impact, x.floor, x.spread, x.visibility, x.detectability) = (40, 200, 80, 30, 600);
        out.push(x);

        let targets = ids(vec![self.pick(GOVERNMENT, true, rng)]);
        let mut x =
            incident("state-wiper", "Wiper in the state IT centre", IncidentKind::Wiper, targets, Some(self.at(300)));
        (x.impact, x.spread, x.visibility) = (200, 30, 200);
        out.push(x);

        let substation = match self.layout.sector(ENERGY) {
            Some(sl) if sl.regional > 0 => sl.regional_node(sl.regional - 1),
            Some(sl) => sl.hub(0),
            None => self.assets.len() as u32 - 1,
        };
        let mut x = incident(
            "grid-sabotage",
            "Sabotage of a substation's control system",
            IncidentKind::Wiper,
            ids(vec![substation]),
            Some(self.at(400)),
        );
        (x.impact, x.visibility, x.physical) = (100, 300, true);
        out.push(x);

        let core = self.layout.sector(TELECOM).map_or(self.assets.len() as u32 - 1, |sl| sl.hub(0));
        let mut x = incident(
            "telecom-espionage",
            "Espionage in the telecom core",
            IncidentKind::Espionage,
            ids(vec![core]),
            Some(self.at(20)),
        );
        (x.spread, x.visibility, x.detectability) = (10, 2, 300);
        out.push(x);

        // Started by an inject (the data shows up for sale), not by the clock.
        let targets = ids(vec![self.pick(HEALTH, false, rng)]);
        let mut x = incident("patient-data-leak", "Patient records for sale", IncidentKind::DataBreach, targets, None);
        (x.visibility, x.personal_data) = (50, true);
        out.push(x);

        self.incidents = out;
    }

    fn team_of(&self, organisation: u32, role: TeamRole) -> Option<String> {
        let id = &self.organisations[organisation as usize].id;
        self.teams.iter().find(|t| &t.organisation == id && t.role == role).map(|t| t.id.clone())
    }

    /// NIS2 for every sector but finance, DORA for finance, GDPR for
    /// everyone; each only when its authority fields a team (otherwise its
    /// reports would reach nobody who plays).
    fn plan_regimes(&mut self) {
        let regime = |id: &str, name: &str, preset, authority: u32, sectors: Vec<String>| Regime {
            id: id.into(),
            name: name.into(),
            preset: Some(preset),
            stages: vec![],
            authority: self.organisations[authority as usize].id.clone(),
            sectors,
            organisations: vec![],
            personal_data_only: false,
        };
        let mut out = Vec::new();
        let played = |o: u32| self.team_of(o, TeamRole::Regulator).is_some();
        let nis2: Vec<String> = self
            .layout
            .sectors
            .iter()
            .filter(|sl| sl.spec != FINANCE)
            .map(|sl| SECTORS[sl.spec].id.to_string())
            .collect();
        if played(CYBER_AGENCY) && !nis2.is_empty() {
            out.push(regime("nis2", "NIS2", RegimePreset::Nis2, CYBER_AGENCY, nis2));
        }
        if played(FIN_SUPERVISOR) && self.layout.sector(FINANCE).is_some() {
            out.push(regime("dora", "DORA", RegimePreset::Dora, FIN_SUPERVISOR, vec!["finance".into()]));
        }
        if played(DATA_PROTECTION) {
            out.push(regime("gdpr", "GDPR", RegimePreset::Gdpr, DATA_PROTECTION, vec![]));
        }
        self.regimes = out;
    }

    fn plan_injects_and_objectives(&mut self) {
        let d = self.params.duration_ticks;
        let team = |o: u32, role| self.team_of(o, role).into_iter().collect::<Vec<String>>();
        let largest = |spec: usize| self.layout.sector(spec).map(|sl| sl.first_operator);
        let inject = |id: &str, at: Option<u64>, when: Option<Condition>, from: &str, to: Vec<String>| Inject {
            id: id.into(),
            at,
            when,
            from: from.into(),
            to,
            method: Method::Email,
            message: String::new(),
            expected_action: String::new(),
            effects: vec![],
            tlp: Tlp::Red,
        };
        let mut injects = Vec::new();
        let mut x = inject("storm-warning", Some(self.at(30)), None, "Weather service", vec![]);
        x.message = "Severe storm warning: gusts over 120 km/h expected within the hour.".into();
        x.expected_action = "Check backup power and staff rotas.".into();
        x.tlp = Tlp::Clear;
        injects.push(x);
        if self.layout.sector(ENERGY).is_some() {
            let mut x = inject(
                "energy-falling",
                None,
                Some(Condition::SectorBelow { sector: "energy".into(), per_mille: 950 }),
                "Grid control room",
                team(CRISIS_CELL, TeamRole::CrisisCell),
            );
            x.method = Method::Phone;
            x.message = "Several regions are without power; restoration times unknown.".into();
            x.expected_action = "Assess whether to activate the national response plan.".into();
            injects.push(x);
        }
        let mut x = inject(
            "press-ransomware",
            None,
            Some(Condition::IncidentDetected("hospital-ransomware".into())),
            "Journalist",
            team(CRISIS_CELL, TeamRole::Communication),
        );
        x.method = Method::Media;
        x.message = "We hear the hospitals are cancelling operations because of a cyberattack. Can you confirm?".into();
        x.expected_action = "A public statement with the facts people need.".into();
        injects.push(x);
        let mut x = inject("data-for-sale", Some(self.at(500)), None, "Threat intelligence partner", vec![]);
        x.message = "A criminal forum offers patient records from a national health provider.".into();
        x.expected_action = "Find the source and notify the data protection authority.".into();
        x.effects = vec![Effect::StartIncident("patient-data-leak".into())];
        injects.push(x);

        let objective = |id: &str, description: &str, capability: &str, teams: Vec<String>, rule| Objective {
            id: id.into(),
            description: description.into(),
            teams,
            rule,
            capability: capability.into(),
        };
        let mut objectives = Vec::new();
        if !team(CRISIS_CELL, TeamRole::CrisisCell).is_empty() {
            objectives.push(objective(
                "plan-within-60",
                "The national response plan is active within an hour of the first critical outage.",
                "Operational Coordination",
                team(CRISIS_CELL, TeamRole::CrisisCell),
                Rule::PiuActivatedWithin { minutes: 60 },
            ));
        }
        let health = self.layout.sector(HEALTH);
        let mut responders = largest(HEALTH).map(|o| team(o, TeamRole::Operator)).unwrap_or_default();
        responders.extend(health.and_then(|sl| sl.csirt).map(|o| team(o, TeamRole::Csirt)).unwrap_or_default());
        objectives.push(objective(
            "contain-ransomware",
            "The hospitals' ransomware is contained within four hours of its detection.",
            "Cybersecurity",
            responders,
            Rule::ContainedWithin { incident: "hospital-ransomware".into(), minutes: 240 },
        ));
        if self.layout.sector(ENERGY).is_some() {
            let by = (self.at(40) + 300).min(d);
            objectives.push(objective(
                "power-back",
                "Energy service back to 95% five hours after the storm.",
                "Infrastructure Systems",
                largest(ENERGY).map(|o| team(o, TeamRole::Operator)).unwrap_or_default(),
                Rule::SectorServiceBy { sector: "energy".into(), at_least: 950, by: TimeRef::Tick(by) },
            ));
        }
        // Only when a played operator owes NIS2 reports (else it cannot be met).
        let nis2_filer = self.regimes.iter().find(|r| r.id == "nis2").is_some_and(|r| {
            self.teams.iter().any(|t| {
                t.role == TeamRole::Operator
                    && self
                        .organisations
                        .iter()
                        .find(|o| o.id == t.organisation)
                        .and_then(|o| o.sector.as_ref())
                        .is_some_and(|s| r.sectors.contains(s))
            })
        });
        if nis2_filer {
            objectives.push(objective(
                "nis2-early-warnings",
                "Every NIS2 early warning is filed within 24 hours.",
                "Operational Coordination",
                vec![],
                Rule::ReportsOnTime {
                    regime: "nis2".into(),
                    stage: Some("early-warning".into()),
                    organisations: vec![],
                },
            ));
        }
        self.injects = injects;
        self.objectives = objectives;
    }
}

/// Made-up indicators, different per seed and incident, of documentation
/// values only (validation refuses anything else, docs/scenario-format.md).
fn indicators(seed: u64, incident: &str) -> Vec<Indicator> {
    let digest = blake3::hash(format!("cascade gen {seed} {incident}").as_bytes());
    let bytes = digest.as_bytes();
    let indicator = |kind, value: String, comment: &str| Indicator { kind, value, comment: comment.into() };
    vec![
        indicator(IndicatorKind::Ip, format!("198.51.100.{}", 1 + bytes[0] % 254), "C2 server"),
        indicator(
            IndicatorKind::Domain,
            format!("{incident}-{:02x}{:02x}.example.net", bytes[1], bytes[2]),
            "C2 domain",
        ),
        indicator(IndicatorKind::Sha256, digest.to_hex().to_string(), "payload"),
    ]
}
