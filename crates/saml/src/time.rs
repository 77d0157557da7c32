//! xs:dateTime formatting and parsing; time is always passed in, never read from a clock.
//! (Owned by the messages work.)

/// An instant, in milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);
