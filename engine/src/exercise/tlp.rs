//! Who receives a message, by its TLP 2.0 label (DESIGN §5, exact).
//!
//! | label            | receives it                                                         |
//! |------------------|---------------------------------------------------------------------|
//! | TLP:CLEAR, GREEN | every team                                                          |
//! | TLP:AMBER        | recipients, other teams of their organisations, and teams of the    |
//! |                  | organisations in the recipients' organisations' constituency,       |
//! |                  | except Media organisations (named recipients still receive it)      |
//! | TLP:AMBER+STRICT | recipients and the other teams of their organisations               |
//! | TLP:RED          | the recipients only                                                 |
//!
//! The sender always sees what it sent (and the director sees everything, which
//! the host applies: the director is not a team).
//!
//! Media are never reached through a constituency: TLP 2.0 lets an AMBER
//! recipient pass it to its clients who need to know, and a newsroom a CSIRT
//! serves is not one of those for an incident's details (DESIGN §5's table,
//! refined: docs/model.md, *TLP*).

use crate::model::Model;
use crate::scenario::Tlp;

fn is_media(model: &Model, org: u32) -> bool {
    model.scenario.organisations[org as usize].kind == crate::scenario::OrganisationKind::Media
}

/// The teams that receive a message (sorted team indices), sender included.
pub fn audience(model: &Model, tlp: Tlp, sender: Option<u32>, recipients: &[u32]) -> Vec<u32> {
    let team_org = &model.team_organisation;
    let recipient_orgs: Vec<u32> = recipients.iter().map(|&t| team_org[t as usize]).collect();
    let receives = |team: u32| -> bool {
        let org = team_org[team as usize];
        match tlp {
            Tlp::Clear | Tlp::Green => true,
            Tlp::Red => recipients.contains(&team),
            Tlp::AmberStrict => recipients.contains(&team) || recipient_orgs.contains(&org),
            Tlp::Amber => {
                recipients.contains(&team)
                    || recipient_orgs.contains(&org)
                    || (!is_media(model, org)
                        && recipient_orgs.iter().any(|&r| model.organisation_constituency[r as usize].contains(&org)))
            }
        }
    };
    (0..team_org.len() as u32).filter(|&t| receives(t) || Some(t) == sender).collect()
}
