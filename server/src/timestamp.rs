//! Times as Seltzer stores them: UTC epoch milliseconds (they sort and compare the same on both
//! database engines), parsed from and formatted as RFC 3339.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Milliseconds since the Unix epoch, UTC.
pub type EpochMillis = i64;

pub fn now() -> EpochMillis {
    to_millis(OffsetDateTime::now_utc())
}

fn to_millis(t: OffsetDateTime) -> EpochMillis {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Parses an RFC 3339 / ISO-8601 time with an offset (`2021-04-28T07:00:00+00:00`, `…Z`).
/// Soda Core always sends an explicit offset; a time without one is ambiguous and refused.
pub fn parse(text: &str) -> Result<EpochMillis, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(to_millis)
        .map_err(|_| {
            format!(
                "'{text}' is not a timestamp with a UTC offset, such as 2026-11-23T04:23:08+00:00"
            )
        })
}

/// `2026-11-23T04:23:08Z`, or with milliseconds when they are not zero.
pub fn format(millis: EpochMillis) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000) else {
        return millis.to_string();
    };
    let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
    let (h, mi, s, ms) = (t.hour(), t.minute(), t.second(), t.millisecond());
    if ms == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }
}

/// As Soda Core writes its timestamps (and reads `-t`): RFC 3339 with `+00:00`, not `Z`.
pub fn format_offset(millis: EpochMillis) -> String {
    let mut text = format(millis);
    if text.ends_with('Z') {
        text.pop();
        text.push_str("+00:00");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_converted_to_utc() {
        let a = parse("2021-04-28T09:00:00+02:00").unwrap();
        let b = parse("2021-04-28T07:00:00+00:00").unwrap();
        let c = parse("2021-04-28T07:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(format(a), "2021-04-28T07:00:00Z");
        assert_eq!(format(a + 5), "2021-04-28T07:00:00.005Z");
    }

    #[test]
    fn times_without_offset_are_refused_with_an_example() {
        let err = parse("2021-04-28 07:00:00").unwrap_err();
        assert!(err.contains("2026-11-23T04:23:08+00:00"), "{err}");
        assert!(parse("yesterday").is_err());
    }
}
