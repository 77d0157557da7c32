//! The server log's field formatter: every value written to the log (an event's message
//! and fields, a span's fields) has its control characters escaped, so that input from a
//! client — an Issuer, a tenant path segment, a user name — cannot end a log line and
//! forge the next one, nor carry terminal escape sequences. Each event stays one line.
//!
//! `sesame serve` installs it with `tracing_subscriber::fmt().fmt_fields(SafeFields::default())`.

use std::fmt::{self, Write as _};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::{DefaultFields, Writer};
use tracing_subscriber::fmt::FormatFields;

/// Formats fields as [`DefaultFields`] does, then escapes every control character of the
/// result (see [`escape_controls`]).
#[derive(Debug, Default)]
pub struct SafeFields {
    inner: DefaultFields,
}

impl<'writer> FormatFields<'writer> for SafeFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut raw = String::new();
        self.inner.format_fields(Writer::new(&mut raw), fields)?;
        writer.write_str(&escape_controls(&raw))
    }
}

/// `s` with its control characters (C0, DEL, C1) and the Unicode line and paragraph
/// separators written as escapes: `\r`, `\n`, `\t`, else `\u{…}` with the hex code point;
/// every other character is kept.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(needs_escape) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn escapes_controls_only() {
        assert_eq!(escape_controls("plain é ✓"), "plain é ✓");
        assert_eq!(
            escape_controls("a\r\nb\tc\u{1b}[31md\u{7f}\u{85}\u{2028}"),
            "a\\r\\nb\\tc\\u{1b}[31md\\u{7f}\\u{85}\\u{2028}"
        );
    }

    /// A value with CR/LF and a forged line, in an event's message, its fields and its
    /// span's fields, gives one log line with the characters escaped.
    #[test]
    fn an_event_with_line_breaks_is_one_line() {
        let out = Captured::default();
        let w = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(SafeFields::default())
            .with_ansi(false)
            .with_target(false)
            .with_writer(move || w.clone())
            .finish();
        let forged = "evil\r\n2026-01-01T00:00:00.000000Z ERROR forged line";
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", path = forged);
            let _g = span.enter();
            tracing::info!(issuer = %forged, "tenant \"{forged}\" does not exist here");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.ends_with('\n'), "{text}");
        assert_eq!(text.matches("evil\\r\\n2026-01-01").count(), 3, "{text}");
        assert!(!text.contains('\r'), "{text}");
    }
}
