//! The exercise clock: tick numbers turned into the civil time people read.
//!
//! The simulation only counts integer ticks; this module is for labels (summaries,
//! consoles, reports). It is never read by a system, so wall-clock or time-zone rules
//! cannot leak into the state.

use jiff::{SignedDuration, ZonedDateTime, civil::DateTime, tz::TimeZone};

/// Tick 0's civil time in the exercise's time zone, and the length of a tick.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseClock {
    start: ZonedDateTime,
    tick_seconds: u32,
}

impl ExerciseClock {
    /// Parses `start` (`YYYY-MM-DDTHH:MM[:SS]`, local time) in the IANA zone `time_zone`.
    /// A local time that a DST change makes ambiguous resolves to the earlier instant.
    pub fn new(start: &str, time_zone: &str, tick_seconds: u32) -> Result<Self, String> {
        let civil: DateTime = start
            .parse()
            .map_err(|e| format!("start: {start:?} is not a local date and time like \"2026-03-10T08:00\" ({e})"))?;
        let zone = TimeZone::get(time_zone).map_err(|_| {
            format!(
                "time_zone: unknown time zone {time_zone:?} (use an IANA name such as \"Europe/Luxembourg\" or \"UTC\")"
            )
        })?;
        let start = civil
            .to_zoned_datetime(zone)
            .map_err(|e| format!("start: {start:?} cannot be placed in {time_zone} ({e})"))?;
        Ok(Self { start, tick_seconds })
    }

    /// The civil time of `tick`, or `None` past the end of representable time.
    pub fn at(&self, tick: u64) -> Option<ZonedDateTime> {
        let seconds = i64::try_from(tick.checked_mul(u64::from(self.tick_seconds))?).ok()?;
        self.start.checked_add(SignedDuration::from_secs(seconds)).ok()
    }

    /// `HH:MM` of `tick`, with the date in front when it is not the start's
    /// date, and its UTC offset after it in the hour a DST change repeats
    /// (`02:30 +02:00`, then `02:30 +01:00`), which would read twice otherwise.
    pub fn label(&self, tick: u64) -> String {
        let Some(time) = self.at(tick) else { return format!("tick {tick}") };
        let mut label = if time.date() == self.start.date() {
            time.strftime("%H:%M").to_string()
        } else {
            time.strftime("%Y-%m-%d %H:%M").to_string()
        };
        if self.start.time_zone().to_ambiguous_timestamp(time.datetime()).is_ambiguous() {
            label.push_str(&time.strftime(" %:z").to_string());
        }
        label
    }

    /// The start as `YYYY-MM-DD HH:MM <zone>`.
    pub fn start_label(&self) -> String {
        let zone = self.start.time_zone().iana_name().unwrap_or("UTC");
        format!("{} {zone}", self.start.strftime("%Y-%m-%d %H:%M"))
    }

    /// The first tick at or after the first time the clock shows `hh_mm` ("12:00")
    /// at or after the start. A date and time ("2026-10-25 12:00") is that
    /// moment (`tick_at_datetime`): the date is never dropped.
    pub fn tick_at(&self, hh_mm: &str) -> Result<u64, String> {
        // A UTC offset after the time picks one of a repeated hour's two
        // instants (`02:30 +01:00`), as `label` writes them.
        if let Some((time, offset)) = split_offset(hh_mm) {
            return self.tick_at_offset(hh_mm, time, offset);
        }
        // jiff reads a date-time as a `Time` too, keeping only its time of day.
        if hh_mm.contains('-') {
            return self.tick_at_datetime(hh_mm);
        }
        let time: jiff::civil::Time =
            hh_mm.parse().map_err(|_| format!("{hh_mm:?} is not a clock time like \"12:00\""))?;
        let zone = self.start.time_zone().clone();
        let mut day = self.start.date();
        for _ in 0..2 {
            let candidate = day
                .to_datetime(time)
                .to_zoned_datetime(zone.clone())
                .map_err(|e| format!("{hh_mm:?} cannot be placed on the exercise clock ({e})"))?;
            if candidate >= self.start {
                let seconds = candidate.timestamp().duration_since(self.start.timestamp()).as_secs();
                return Ok((seconds as u64).div_ceil(u64::from(self.tick_seconds)));
            }
            day = day.tomorrow().map_err(|e| e.to_string())?;
        }
        Err(format!("{hh_mm:?} cannot be placed on the exercise clock"))
    }

    /// The first tick at or after the local date and time `date_time`
    /// (`"2026-03-11 08:45"`, `T` also accepted as the separator, seconds optional),
    /// the form `label` gives past the start's day. A time before the start is an
    /// error; a local time that a DST change makes ambiguous resolves to the earlier
    /// instant, one that it skips to the later.
    pub fn tick_at_datetime(&self, date_time: &str) -> Result<u64, String> {
        let civil: DateTime = date_time
            .parse()
            .map_err(|_| format!("{date_time:?} is not a local date and time like \"2026-03-11 09:30\""))?;
        let candidate = civil
            .to_zoned_datetime(self.start.time_zone().clone())
            .map_err(|e| format!("{date_time:?} cannot be placed on the exercise clock ({e})"))?;
        if candidate < self.start {
            return Err(format!("{date_time:?} is before the start of the exercise ({})", self.start_label()));
        }
        let seconds = candidate.timestamp().duration_since(self.start.timestamp()).as_secs();
        Ok((seconds as u64).div_ceil(u64::from(self.tick_seconds.max(1))))
    }

    /// `text` (`[DATE ]HH:MM`) at the UTC offset `offset`: the first such
    /// instant at or after the start.
    fn tick_at_offset(&self, text: &str, time: &str, offset: jiff::tz::Offset) -> Result<u64, String> {
        let (days, wall) = if time.contains('-') {
            let civil: DateTime =
                time.parse().map_err(|_| format!("{text:?} is not a local date and time like \"2026-03-11 09:30\""))?;
            (vec![civil.date()], civil.time())
        } else {
            let wall: jiff::civil::Time =
                time.parse().map_err(|_| format!("{text:?} is not a clock time like \"12:00\""))?;
            let first = self.start.date();
            (vec![first, first.tomorrow().map_err(|e| e.to_string())?], wall)
        };
        self.first_at_offset(text, self.start.time_zone(), &days, wall, offset)
    }

    fn first_at_offset(
        &self,
        text: &str,
        zone: &TimeZone,
        days: &[jiff::civil::Date],
        wall: jiff::civil::Time,
        offset: jiff::tz::Offset,
    ) -> Result<u64, String> {
        for day in days {
            let instant = match offset.to_timestamp(day.to_datetime(wall)) {
                Ok(instant) => instant,
                Err(_) => continue,
            };
            // The offset must be the zone's own at that instant.
            if zone.to_offset(instant) != offset || instant < self.start.timestamp() {
                continue;
            }
            let seconds = instant.duration_since(self.start.timestamp()).as_secs();
            return Ok((seconds as u64).div_ceil(u64::from(self.tick_seconds.max(1))));
        }
        Err(format!("{text:?}: the exercise's clock never shows that time at that UTC offset"))
    }

    pub fn tick_seconds(&self) -> u32 {
        self.tick_seconds
    }
}

/// A duration in words for messages: `14 days`, `3 h`, `45 min`.
pub fn duration_words(seconds: u64) -> String {
    let minutes = seconds / 60;
    match minutes {
        m if m >= 2 * 24 * 60 && m % (24 * 60) == 0 => format!("{} days", m / (24 * 60)),
        m if m >= 60 && m % 60 == 0 => format!("{} h", m / 60),
        m => format!("{m} min"),
    }
}

/// `"02:30 +01:00"` as its time and offset (`None` without an offset).
fn split_offset(text: &str) -> Option<(&str, jiff::tz::Offset)> {
    let (time, offset) = text.trim().rsplit_once(' ')?;
    if !offset.starts_with(['+', '-']) || offset.len() != 6 {
        return None;
    }
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let hours: i8 = offset[1..3].parse().ok()?;
    let minutes: i8 = offset[4..6].parse().ok()?;
    if &offset[3..4] != ":" || minutes >= 60 {
        return None;
    }
    let seconds = sign * (i32::from(hours) * 3600 + i32::from(minutes) * 60);
    Some((time.trim(), jiff::tz::Offset::from_seconds(seconds).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_time_zone_across_dst() {
        // Europe/Luxembourg springs forward at 02:00 on 2026-03-29.
        let clock = ExerciseClock::new("2026-03-29T01:00", "Europe/Luxembourg", 60).unwrap();
        assert_eq!(clock.label(0), "01:00");
        assert_eq!(clock.label(59), "01:59");
        assert_eq!(clock.label(60), "03:00");
        assert_eq!(clock.label(23 * 60), "2026-03-30 01:00");
    }

    #[test]
    fn the_repeated_hour_is_labelled_with_its_offset_and_read_back() {
        // Europe/Luxembourg falls back at 03:00 CEST to 02:00 CET on 2026-10-25.
        let clock = ExerciseClock::new("2026-10-25T01:00", "Europe/Luxembourg", 60).unwrap();
        assert_eq!(clock.label(59), "01:59");
        assert_eq!(clock.label(90), "02:30 +02:00");
        assert_eq!(clock.label(150), "02:30 +01:00");
        assert_eq!(clock.label(180), "03:00");
        assert_ne!(clock.label(90), clock.label(150), "two instants, two labels");
        // Every label reads back as its tick, the repeated hour included.
        for tick in 0..300 {
            assert_eq!(clock.tick_at(&clock.label(tick)), Ok(tick), "{}", clock.label(tick));
        }
        assert_eq!(clock.tick_at("2026-10-25 02:30 +01:00"), Ok(150));
        // Without an offset, the earlier instant; an offset the zone never has is an error.
        assert_eq!(clock.tick_at("02:30"), Ok(90));
        assert!(clock.tick_at("02:30 +05:00").unwrap_err().contains("never shows"));
    }

    #[test]
    fn clock_times_turn_into_ticks() {
        let clock = ExerciseClock::new("2026-03-10T08:00", "Europe/Luxembourg", 60).unwrap();
        assert_eq!(clock.tick_at("12:00"), Ok(240));
        assert_eq!(clock.tick_at("08:00"), Ok(0));
        assert_eq!(clock.tick_at("07:00"), Ok(23 * 60), "the next day");
        let five_minutes = ExerciseClock::new("2026-03-10T08:00", "UTC", 300).unwrap();
        assert_eq!(five_minutes.tick_at("08:07"), Ok(2), "rounds up to the first tick at or after");
        assert!(clock.tick_at("25:00").unwrap_err().contains("not a clock time"));
    }

    #[test]
    fn dates_and_times_turn_into_ticks() {
        let clock = ExerciseClock::new("2026-03-10T08:00", "Europe/Luxembourg", 60).unwrap();
        assert_eq!(clock.tick_at_datetime("2026-03-10 12:00"), Ok(240));
        assert_eq!(clock.tick_at_datetime("2026-03-11 08:45"), Ok(24 * 60 + 45));
        assert_eq!(clock.tick_at_datetime("2026-03-11T08:45"), Ok(24 * 60 + 45));
        for tick in [0, 1, 59, 24 * 60 + 45, 3 * 24 * 60 + 7] {
            let label = clock.label(tick);
            let back = if label.len() == 5 { clock.tick_at(&label) } else { clock.tick_at_datetime(&label) };
            assert_eq!(back, Ok(tick), "{label}");
        }
        let err = clock.tick_at_datetime("2026-03-09 08:00").unwrap_err();
        assert_eq!(
            err,
            "\"2026-03-09 08:00\" is before the start of the exercise (2026-03-10 08:00 Europe/Luxembourg)"
        );
        // A date given where a clock time is accepted is honoured, not dropped.
        assert_eq!(clock.tick_at("2026-03-11 12:00"), Ok(28 * 60));
        assert_eq!(clock.tick_at("2026-03-10 12:00"), Ok(240));
        assert!(clock.tick_at("2026-03-09 12:00").unwrap_err().contains("before the start"));
        let err = clock.tick_at_datetime("2026-02-30 08:00").unwrap_err();
        assert!(err.contains("is not a local date and time"), "{err}");
    }

    #[test]
    fn bad_start_and_zone_are_explained() {
        let err = ExerciseClock::new("08:00", "UTC", 60).unwrap_err();
        assert!(err.starts_with("start: \"08:00\" is not a local date and time"), "{err}");
        let err = ExerciseClock::new("2026-03-10T08:00", "Europe/Luxemburg", 60).unwrap_err();
        assert!(err.contains("unknown time zone \"Europe/Luxemburg\""), "{err}");
    }
}
