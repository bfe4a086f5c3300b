//! Instants and the committee's calendar.
//!
//! Instants are stored as Unix seconds in UTC. Days, months and years are counted in the
//! committee's zone (default `Asia/Ho_Chi_Minh`), so a timestamp written without an offset,
//! or a bare date, means wall-clock time there.

use std::fmt;

use jiff::{Timestamp, tz::TimeZone};

use super::error::DomainError;

/// The default zone of a committee.
pub const DEFAULT_ZONE: &str = "Asia/Ho_Chi_Minh";

/// The committee's time zone, validated against the bundled tz database.
#[derive(Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Zone {
    /// # Errors
    /// When `name` is not an IANA zone known to the bundled database.
    pub fn new(name: &str) -> Result<Self, DomainError> {
        let tz = TimeZone::get(name).map_err(|e| {
            DomainError::new(
                "timezone",
                format!("{name:?} is not a known IANA time zone: {e}"),
            )
        })?;
        Ok(Self {
            name: name.to_owned(),
            tz,
        })
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    #[must_use]
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// Parses an instant as files and query strings write it: RFC 3339 with an offset
    /// (`2024-03-01T20:15:00+07:00`, `…Z`), a local date-time without offset
    /// (`2024-03-01 20:15[:00]`, `2024-03-01T20:15`), or a bare date (`2024-03-01`, midnight),
    /// the last two in this zone. Returns Unix seconds.
    ///
    /// # Errors
    /// Names `field` and quotes the text when none of the forms match.
    pub fn parse_instant(&self, field: &'static str, text: &str) -> Result<i64, DomainError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(DomainError::new(field, "is empty"));
        }
        if let Ok(ts) = t.parse::<Timestamp>() {
            return Ok(ts.as_second());
        }
        let civil = t.parse::<jiff::civil::DateTime>().or_else(|_| {
            t.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        });
        match civil {
            Ok(dt) => dt
                .to_zoned_datetime(self.tz.clone())
                .map(|z| z.timestamp().as_second())
                .map_err(|e| DomainError::new(field, format!("{t:?}: {e}"))),
            Err(_) => Err(DomainError::new(
                field,
                format!(
                    "{t:?} is not a date or time (expected RFC 3339 like 2024-03-01T20:15:00+07:00, \
                     or 2024-03-01 20:15, or 2024-03-01)"
                ),
            )),
        }
    }

    /// The calendar day in this zone at Unix second `secs`.
    #[must_use]
    pub fn date_of(&self, secs: i64) -> jiff::civil::Date {
        Timestamp::from_second(secs)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.tz.clone())
            .date()
    }

    /// Today in this zone (the committee's "today", whatever the server's clock zone).
    #[must_use]
    pub fn today(&self) -> jiff::civil::Date {
        Timestamp::now().to_zoned_datetime(self.tz.clone()).date()
    }

    /// Formats Unix seconds as RFC 3339 in this zone (what the API and exports write).
    #[must_use]
    pub fn format(&self, secs: i64) -> String {
        Timestamp::from_second(secs).map_or_else(
            |_| secs.to_string(),
            |ts| {
                ts.to_zoned_datetime(self.tz.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            },
        )
    }
}

impl Default for Zone {
    fn default() -> Self {
        // The bundled database always has this zone; fall back to UTC rather than panic.
        Self::new(DEFAULT_ZONE).unwrap_or_else(|_| Self {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_forms() {
        let z = Zone::default();
        let a = z.parse_instant("t", "2024-03-01T20:15:00+07:00").unwrap();
        let b = z.parse_instant("t", "2024-03-01 20:15").unwrap();
        let c = z.parse_instant("t", "2024-03-01T13:15:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        let d = z.parse_instant("t", "2024-03-01").unwrap();
        assert_eq!(a - d, 20 * 3600 + 15 * 60);
        assert!(z.parse_instant("t", "2024-13-01").is_err());
        assert!(z.parse_instant("t", "yesterday").is_err());
        assert_eq!(z.format(a), "2024-03-01T20:15:00+07:00");
    }

    #[test]
    fn unknown_zone_is_refused() {
        assert!(Zone::new("Asia/Nowhere").is_err());
        assert!(Zone::new("Europe/Paris").is_ok());
    }
}
