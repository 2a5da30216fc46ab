//! The cascade rule of DESIGN §3 on hand-built graphs, with every expected value
//! worked out by hand. Each test is a spec: a little world and the table of what
//! must happen, tick by tick.
//!
//! World lines:
//!   asset NAME [integrity N] [population P] [sector S]
//!   dep A <- B weight W threshold H [buffer K] [group G]
//!   at T set A N               (a disruption: at tick T, A's integrity becomes N)
//! Table: a header `tick COL…` then rows; a column is an asset id (its level),
//! `outage#N` (the N-th dependency's counter, from 1), `national`, or
//! `sector:S`. Only the listed ticks are checked; the run ends at the last one.

mod common;

use common::*;

fn check(world: &str, table: &str) {
    let mut s = empty_scenario(1);
    for line in world.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let option = |name: &str| words.iter().position(|w| *w == name).map(|i| words[i + 1]);
        let number = |name: &str, default: u64| option(name).map_or(default, |v| v.parse().unwrap());
        match words[0] {
            "asset" => add_asset(
                &mut s,
                words[1],
                option("sector").unwrap_or("s"),
                number("population", 0),
                number("integrity", 1000) as u32,
            ),
            "dep" => {
                assert_eq!(words[2], "<-", "{line}");
                add_dependency(
                    &mut s,
                    words[1],
                    words[3],
                    number("weight", 1000) as u32,
                    number("threshold", 1000) as u32,
                    number("buffer", 0) as u32,
                    option("group"),
                );
            }
            "at" => add_disruption(&mut s, words[1].parse().unwrap(), words[3], words[4].parse().unwrap()),
            other => panic!("unknown world line {other:?}"),
        }
    }

    let mut rows = table.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
    let header: Vec<&str> = rows.next().expect("table header").split_whitespace().collect();
    assert_eq!(header[0], "tick");
    let rows: Vec<Vec<u64>> =
        rows.map(|r| r.split('#').next().unwrap().split_whitespace().map(|v| v.parse().unwrap()).collect()).collect();
    s.duration_ticks = rows.iter().map(|r| r[0]).max().unwrap().max(1);
    let sector_ids: Vec<String> = s.sectors.iter().map(|x| x.id.clone()).collect();
    let asset_ids: Vec<String> = s.assets.iter().map(|x| x.id.to_string()).collect();
    let mut sim = simulate(s, 0);

    for row in rows {
        let tick = row[0];
        while sim.tick() < tick {
            assert!(sim.step());
        }
        for (column, &expected) in header[1..].iter().zip(&row[1..]) {
            let actual = if *column == "national" {
                sim.national_service()
            } else if let Some(sector) = column.strip_prefix("sector:") {
                sim.sector_service()[sector_ids.iter().position(|x| x == sector).unwrap()]
            } else if let Some(n) = column.strip_prefix("outage#") {
                u64::from(sim.outages()[n.parse::<usize>().unwrap() - 1])
            } else {
                let a = asset_ids.iter().position(|x| x == column).unwrap_or_else(|| panic!("no asset {column}"));
                u64::from(sim.levels()[a])
            };
            assert_eq!(actual, expected, "tick {tick}, column {column}");
        }
    }
}

#[test]
fn a_failure_moves_one_hop_per_tick_down_a_chain_and_back() {
    check(
        "asset a
         asset b
         asset c
         dep b <- c weight 1000 threshold 1000
         dep a <- b weight 1000 threshold 1000
         at 1 set c 0
         at 5 set c 1000",
        "tick a    b    c
         0    1000 1000 1000
         1    1000 1000 0     # an event acts before the cascade step of its tick
         2    1000 0    0     # b reads c of tick 1
         3    0    0    0
         5    0    0    1000  # recovery moves up the chain one hop per tick too
         6    0    1000 1000
         7    1000 1000 1000",
    );
}

#[test]
fn weights_attenuate_a_shortfall_down_a_chain() {
    check(
        "asset a
         asset b
         asset c
         dep b <- c weight 500 threshold 1000
         dep a <- b weight 500 threshold 1000
         at 1 set c 0",
        "tick a    b    c
         2    1000 500  0     # 1000 - 500 * 1000 / 1000
         3    750  500  0     # 1000 - 500 * 500 / 1000",
    );
}

#[test]
fn a_buffer_runs_out_and_refills_at_once() {
    check(
        "asset grid
         asset hospital
         dep hospital <- grid weight 1000 threshold 500 buffer 2
         at 1 set grid 0
         at 6 set grid 1000
         at 8 set grid 0",
        "tick grid hospital outage#1
         0    1000 1000     0
         1    0    1000     0   # reads the grid of tick 0
         2    0    1000     1   # on backup
         3    0    1000     2   # on backup, last tick
         4    0    0        3   # buffer exhausted
         5    0    0        4
         6    1000 0        5   # grid back; the hospital still reads tick 5
         7    1000 1000     0   # provider back at threshold: buffer refilled at once
         8    0    1000     0
         9    0    1000     1   # a full buffer again
         10   0    1000     2
         11   0    0        3",
    );
}

#[test]
fn the_threshold_is_inclusive_and_rounding_is_down() {
    check(
        "asset p
         asset x
         asset y
         dep x <- p weight 1000 threshold 600
         dep y <- p weight 300 threshold 600
         at 1 set p 600
         at 3 set p 599",
        "tick p    x    y
         1    600  1000 1000
         2    600  1000 1000  # 600 >= 600: full supply
         3    599  1000 1000
         4    599  599  880   # y: 1000 - 300 * 401 / 1000 = 1000 - 120 (120.3 rounded down)",
    );
}

#[test]
fn a_redundancy_group_takes_its_best_provider() {
    check(
        "asset p1
         asset p2
         asset x
         dep x <- p1 weight 1000 threshold 1000 group net
         dep x <- p2 weight 500 threshold 1000 group net
         at 1 set p1 0
         at 3 set p2 400
         at 5 set p2 0",
        "tick p1 p2   x    outage#1 outage#2
         2    0  1000 1000 1        0         # one provider down: the other supplies
         3    0  400  1000 2        0
         4    0  400  700  3        1         # both down: max(0, 1000 - 500 * 600 / 1000)
         6    0  0    500  5        3         # both fully down: the lighter weight still wins",
    );
}

#[test]
fn groups_combine_by_min_and_are_scoped_to_their_asset() {
    check(
        "asset p1
         asset p2
         asset q
         asset x
         asset y
         dep x <- p1 weight 1000 threshold 1000 group net
         dep x <- p2 weight 1000 threshold 1000 group net
         dep x <- q weight 1000 threshold 1000
         dep y <- p1 weight 1000 threshold 1000 group net
         at 1 set p1 0
         at 1 set q 300",
        "tick x   y
         1    1000 1000
         2    300  0      # x: min(group max(0, 1000), q 300); y's group net holds p1 only",
    );
}

#[test]
fn a_cycle_without_backup_stays_dark() {
    check(
        "asset a
         asset b
         dep a <- b weight 1000 threshold 500
         dep b <- a weight 1000 threshold 500
         at 1 set a 0
         at 3 set a 1000",
        "tick a    b
         1    0    1000
         2    0    0
         3    0    0     # a is repaired, but b still has no supply from a
         20   0    0",
    );
}

#[test]
fn a_buffer_lets_a_cycle_black_start() {
    check(
        "asset a
         asset b
         dep a <- b weight 1000 threshold 500 buffer 2
         dep b <- a weight 1000 threshold 500
         at 1 set a 0
         at 3 set a 1000",
        "tick a    b    outage#1 outage#2
         1    0    1000 0        0
         2    0    0    0        1
         3    1000 0    1        2     # a runs on backup while b is dark
         4    1000 1000 2        0
         5    1000 1000 0        0",
    );
}

#[test]
fn a_self_dependency_slows_recovery() {
    check(
        "asset a
         dep a <- a weight 500 threshold 1000
         at 1 set a 400
         at 3 set a 1000",
        "tick a
         1    400    # reads its own 1000 of tick 0
         2    400    # supply 1000 - 500 * 600 / 1000 = 700 > integrity 400
         3    700    # integrity back to 1000, supply still 700
         4    850    # 1000 - 500 * 300 / 1000
         5    925
         6    963    # 1000 - 37 (37.5 rounded down)",
    );
}

#[test]
fn duplicate_dependencies_each_count() {
    check(
        "asset p
         asset x
         dep x <- p weight 1000 threshold 1000
         dep x <- p weight 500 threshold 1000
         at 1 set p 0",
        "tick x outage#1 outage#2
         2    0 1        1",
    );
}

#[test]
fn the_later_of_two_events_on_one_asset_wins() {
    check(
        "asset a
         asset b
         at 1 set a 0
         at 1 set a 300
         at 2 set b 300
         at 2 set b 0",
        "tick a   b
         1    300 1000
         2    300 0",
    );
}

#[test]
fn starting_integrity_sets_the_levels_of_tick_zero() {
    check(
        "asset p integrity 200
         asset x
         dep x <- p weight 1000 threshold 500",
        "tick p   x
         0    200 1000  # tick 0 runs no cascade step
         1    200 200",
    );
}

#[test]
fn national_service_divides_once_at_the_end() {
    check(
        "asset a population 1 integrity 999 sector s1
         asset b population 1 integrity 999 sector s2
         asset c population 672050 integrity 333 sector s3",
        "tick national sector:s1 sector:s2 sector:s3
         0    223794   0         0         223792
         # national: (999 + 999 + 672050 * 333) / 1000 = 223794648 / 1000;
         # each sector rounds down on its own",
    );
}
