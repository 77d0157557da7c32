//! The clock of the admin plane: the current time in Unix seconds. At the bottom of the
//! crate so that records, the store and every use case can read it.

/// Current time, Unix milliseconds: when a session starts, or stops being valid.
pub fn now_unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Current time, Unix seconds. The one clock of the admin plane.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
