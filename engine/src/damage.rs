//! Physical and cyber damage (docs/model.md, "Physical and cyber damage").
//!
//! An asset's integrity is the lesser of two: what its plant allows
//! (`physical`: scheduled disruptions, inject effects, incidents that destroy
//! equipment) and what attackers left of its systems (`cyber`: incident
//! impact, which a restore from backup resets). Only a repair — the operator's
//! timed `repair` action, or exercise control — undoes physical damage: a
//! substation that burned stays down however often its control system is
//! restored. Both are per mille, 1000 intact. The cascade reads `integrity`,
//! which every write here keeps equal to the lesser of the two.
//!
//! A scenario whose `physical_damage` is unset (read from a journal written
//! before the distinction existed) has one kind of damage only, as it then
//! had: every write goes to `cyber` and `physical` stays intact, so a restore
//! repairs everything and those journals replay bit for bit.
//!
//! This module only keeps the arrays consistent (and marks what it writes for
//! the state hash); it never decides what a
//! disruption, an incident or an action does (the callers do, per the model).

use crate::hash::v2::Written;

/// The per-asset damage arrays of the state, borrowed for writing.
pub struct Damage<'a> {
    /// min(physical, cyber), what the cascade reads.
    pub integrity: &'a mut [u16],
    pub physical: &'a mut [u16],
    pub cyber: &'a mut [u16],
    /// Whether physical damage is kept apart (`Model::physical_damage`).
    pub separate: bool,
    /// Where writes are marked for the state hash: every write here marks its
    /// asset, and so must every other write of an asset's hashed state
    /// (`mark`).
    pub written: &'a mut Written,
}

impl Damage<'_> {
    pub fn integrity(&self, asset: usize) -> u16 {
        self.integrity[asset]
    }

    pub fn physical(&self, asset: usize) -> u16 {
        self.physical[asset]
    }

    pub fn cyber(&self, asset: usize) -> u16 {
        self.cyber[asset]
    }

    /// Sets what the plant allows (a disruption, an effect, a destructive
    /// incident, a repair). Without separate physical damage it is cyber.
    pub fn set_physical(&mut self, asset: usize, value: u16) {
        if self.separate {
            self.physical[asset] = value;
        } else {
            self.cyber[asset] = value;
        }
        self.settle(asset);
    }

    /// Sets what attackers left (incident impact, a restore from backup).
    pub fn set_cyber(&mut self, asset: usize, value: u16) {
        self.cyber[asset] = value;
        self.settle(asset);
    }

    fn settle(&mut self, asset: usize) {
        self.integrity[asset] = self.physical[asset].min(self.cyber[asset]);
        self.written.asset(asset);
    }

    /// Marks `asset`'s other hashed state written (its cap, its response
    /// flags, its last investigation), for the state hash.
    pub fn mark(&mut self, asset: usize) {
        self.written.asset(asset);
    }
}

/// The arrays of tick 0: a scenario's starting integrity is the plant's state
/// (physical) when damage is kept apart, else the one kind there is.
/// Returns (integrity, physical, cyber).
pub fn initial(starting: &[u16], separate: bool) -> (Vec<u16>, Vec<u16>, Vec<u16>) {
    let intact = vec![1000u16; starting.len()];
    let (physical, cyber) = if separate { (starting.to_vec(), intact) } else { (intact, starting.to_vec()) };
    (starting.to_vec(), physical, cyber)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrays(separate: bool) -> (Vec<u16>, Vec<u16>, Vec<u16>) {
        initial(&[1000, 700], separate)
    }

    #[test]
    fn integrity_is_the_lesser_damage_and_a_cyber_reset_leaves_the_plant_broken() {
        let (mut integrity, mut physical, mut cyber) = arrays(true);
        assert_eq!((physical.clone(), cyber.clone()), (vec![1000, 700], vec![1000, 1000]));
        let mut d = Damage {
            integrity: &mut integrity,
            physical: &mut physical,
            cyber: &mut cyber,
            separate: true,
            written: &mut Written::new(2, 0),
        };
        d.set_cyber(0, 400);
        d.set_physical(0, 0);
        assert_eq!(d.integrity(0), 0);
        d.set_cyber(0, 1000); // restored from backup: the plant is still burned
        assert_eq!(d.integrity(0), 0);
        d.set_physical(0, 1000); // repaired
        assert_eq!(d.integrity(0), 1000);
        d.set_cyber(1, 900);
        assert_eq!(d.integrity(1), 700, "the starting damage is physical");
    }

    #[test]
    fn without_separate_damage_there_is_one_kind_as_before() {
        let (mut integrity, mut physical, mut cyber) = arrays(false);
        let mut d = Damage {
            integrity: &mut integrity,
            physical: &mut physical,
            cyber: &mut cyber,
            separate: false,
            written: &mut Written::new(2, 0),
        };
        d.set_physical(0, 0);
        assert_eq!((d.integrity(0), d.physical(0)), (0, 1000));
        d.set_cyber(0, 1000); // a restore repairs everything
        assert_eq!(d.integrity(0), 1000);
        d.set_cyber(1, 900);
        assert_eq!(d.integrity(1), 900);
    }
}
