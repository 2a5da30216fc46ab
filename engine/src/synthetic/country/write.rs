//! Writing a generated country as a scenario file, streamed: one item per
//! line, each serialised by serde and RON as the loader reads it back.
//!
//! The bulk (assets, dependencies, links) goes through small mirrors of the
//! scenario types that leave out fields at their defaults (`buffer_ticks: 0`,
//! `group: None`, `directed: false`, …): a third less text, so more assets fit
//! the loader's size limit (`load::MAX_SCENARIO_BYTES`). The mirrors
//! destructure the real types field by field, so a field added to them fails
//! to compile here instead of being dropped silently; the test
//! `written_text_reads_back_as_the_same_scenario` checks the whole file.

use std::io::{self, Write};

use ron::extensions::Extensions;
use ron::ser::PrettyConfig;
use serde::Serialize;

use super::Country;
use crate::scenario::{Asset, Criticality, Dependency, DependencyKind, Link, PER_MILLE};

#[derive(Serialize)]
#[serde(rename = "Asset")]
struct AssetOut<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    organisation: &'a str,
    sector: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    population: u64,
    #[serde(skip_serializing_if = "is_medium")]
    criticality: Criticality,
    #[serde(skip_serializing_if = "is_full")]
    integrity: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    isolation_cap: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repair_ticks: Option<u32>,
}

impl<'a> From<&'a Asset> for AssetOut<'a> {
    fn from(a: &'a Asset) -> Self {
        let Asset { id, name, organisation, sector, population, criticality, integrity, isolation_cap, repair_ticks } =
            a;
        AssetOut {
            id,
            name,
            organisation,
            sector,
            population: *population,
            criticality: *criticality,
            integrity: *integrity,
            isolation_cap: *isolation_cap,
            repair_ticks: *repair_ticks,
        }
    }
}

#[derive(Serialize)]
#[serde(rename = "Dependency")]
struct DependencyOut<'a> {
    asset: &'a str,
    on: &'a str,
    kind: DependencyKind,
    weight: u32,
    threshold: u32,
    #[serde(skip_serializing_if = "is_zero_u32")]
    buffer_ticks: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
}

impl<'a> From<&'a Dependency> for DependencyOut<'a> {
    fn from(d: &'a Dependency) -> Self {
        let Dependency { asset, on, kind, weight, threshold, buffer_ticks, group } = d;
        DependencyOut {
            asset,
            on,
            kind: *kind,
            weight: *weight,
            threshold: *threshold,
            buffer_ticks: *buffer_ticks,
            group: group.as_deref(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename = "Link")]
struct LinkOut<'a> {
    from: &'a str,
    to: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    directed: bool,
}

impl<'a> From<&'a Link> for LinkOut<'a> {
    fn from(l: &'a Link) -> Self {
        let Link { from, to, directed } = l;
        LinkOut { from, to, directed: *directed }
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}
fn is_full(v: &u32) -> bool {
    *v == PER_MILLE
}
fn is_medium(c: &Criticality) -> bool {
    *c == Criticality::Medium
}

/// A RON writer that counts what it wrote.
struct Out<W> {
    w: W,
    buf: String,
    options: ron::Options,
    /// One item per line: struct names, fields on the same line.
    item: PrettyConfig,
    bytes: u64,
}

impl<W: Write> Out<W> {
    fn raw(&mut self, text: &str) -> io::Result<()> {
        self.bytes += text.len() as u64;
        self.w.write_all(text.as_bytes())
    }

    /// `value` as RON text into `buf`.
    fn serialise<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        self.buf.clear();
        self.options.to_writer_pretty(&mut self.buf, value, self.item.clone()).map_err(io::Error::other)
    }

    /// `  name: value,`
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> io::Result<()> {
        self.serialise(value)?;
        let line = format!("  {name}: {},\n", self.buf);
        self.raw(&line)
    }

    fn list_start(&mut self, name: &str) -> io::Result<()> {
        self.raw(&format!("  {name}: [\n"))
    }

    /// `    item,`
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        self.serialise(value)?;
        self.bytes += self.buf.len() as u64 + 6;
        self.w.write_all(b"    ")?;
        self.w.write_all(self.buf.as_bytes())?;
        self.w.write_all(b",\n")
    }

    fn list_end(&mut self) -> io::Result<()> {
        self.raw("  ],\n")
    }

    fn list<T: Serialize>(&mut self, name: &str, items: &[T]) -> io::Result<()> {
        if items.is_empty() {
            return self.raw(&format!("  {name}: [],\n"));
        }
        self.list_start(name)?;
        for item in items {
            self.item(item)?;
        }
        self.list_end()
    }
}

impl Country {
    /// Writes the scenario file to `w` (buffer it: items are written in small
    /// pieces) and returns its size in bytes. The same parameters give the
    /// same bytes.
    pub fn write_ron<W: Write>(&self, w: W) -> io::Result<u64> {
        let mut out = Out {
            w,
            buf: String::with_capacity(256),
            // As the loader reads: optional values written plainly.
            options: ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME),
            // Strings as they are (a raw string when one holds a quote), not
            // with every apostrophe escaped.
            item: PrettyConfig::new()
                .struct_names(true)
                .compact_structs(true)
                .compact_arrays(true)
                .escape_strings(false),
            bytes: 0,
        };
        let s = self.header();
        let p = &self.params;
        out.raw(&format!(
            "// A synthetic country, generated by `cascade gen --assets {} --teams {} --seed {} --ticks {}{}`.\n// Its structure is described in docs/gen.md; the format in docs/scenario-format.md.\n",
            p.assets,
            p.teams,
            p.seed,
            p.duration_ticks,
            if p.bots == super::Bots::Passive { " --bots passive" } else { "" },
        ))?;
        out.raw("Scenario(\n")?;
        out.field("name", &s.name)?;
        out.field("description", &s.description)?;
        out.field("seed", &s.seed)?;
        out.field("tick_seconds", &s.tick_seconds)?;
        out.field("duration_ticks", &s.duration_ticks)?;
        out.field("start", &s.start)?;
        out.field("time_zone", &s.time_zone)?;
        out.field("population", &s.population)?;
        out.list("sectors", &s.sectors)?;
        out.list("organisations", &s.organisations)?;

        out.list_start("assets")?;
        self.for_each_asset(|a| out.item(&AssetOut::from(&a)))?;
        out.list_end()?;
        out.list_start("dependencies")?;
        self.for_each_dependency(|d| out.item(&DependencyOut::from(&d)))?;
        out.list_end()?;
        out.list_start("links")?;
        self.for_each_link(|l| out.item(&LinkOut::from(&l)))?;
        out.list_end()?;

        out.list("teams", &s.teams)?;
        out.list("disruptions", &s.disruptions)?;
        out.list("incidents", &s.incidents)?;
        out.list("regimes", &s.regimes)?;
        out.list("injects", &s.injects)?;
        out.list("objectives", &s.objectives)?;
        out.field("physical_damage", &s.physical_damage)?;
        out.raw(")\n")?;
        out.w.flush()?;
        Ok(out.bytes)
    }
}
