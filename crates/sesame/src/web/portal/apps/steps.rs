//! The set-up steps of a gallery application ("Set up ‹app›" on the SAML page and the
//! gallery card) as the portal shows them: one list item per step, the values to copy or
//! type (URLs, URNs, e-mail addresses) set apart as code, every piece escaped by the
//! template.

/// A piece of a step: prose, or a value shown as code.
pub(super) struct Segment {
    pub text: String,
    pub code: bool,
}

/// One step: its pieces in order.
pub(super) struct Step {
    pub segments: Vec<Segment>,
}

/// Whether a word (without surrounding punctuation) is a value to show as code.
fn is_value(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("urn:")
        || (word.contains('@')
            && word.contains('.')
            && !word.starts_with('@')
            && word.chars().all(|c| !c.is_whitespace()))
}

/// Splits a word into (leading punctuation, the value, trailing punctuation).
fn trim_punctuation(word: &str) -> (&str, &str, &str) {
    let start = word.len() - word.trim_start_matches(['(', '"', '\'']).len();
    let rest = &word[start..];
    let core = rest.trim_end_matches(['.', ',', ';', ':', ')', '"', '\'']);
    (&word[..start], core, &rest[core.len()..])
}

fn push_text(segments: &mut Vec<Segment>, text: &str) {
    if text.is_empty() {
        return;
    }
    match segments.last_mut() {
        Some(s) if !s.code => s.text.push_str(text),
        _ => segments.push(Segment {
            text: text.to_owned(),
            code: false,
        }),
    }
}

/// The steps of `instructions` (one a line, numbered `1.` or not): the numbering is
/// dropped (the list numbers them), blank lines are skipped.
pub(super) fn steps(instructions: &str) -> Vec<Step> {
    instructions
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let line = match line.split_once(". ") {
                Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => rest,
                _ => line,
            };
            let mut segments = Vec::new();
            for (i, word) in line.split(' ').enumerate() {
                if i > 0 {
                    push_text(&mut segments, " ");
                }
                let (lead, core, trail) = trim_punctuation(word);
                if is_value(core) {
                    push_text(&mut segments, lead);
                    segments.push(Segment {
                        text: core.to_owned(),
                        code: true,
                    });
                    push_text(&mut segments, trail);
                } else {
                    push_text(&mut segments, word);
                }
            }
            Step { segments }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(s: &Step) -> String {
        s.segments
            .iter()
            .map(|g| {
                if g.code {
                    format!("`{}`", g.text)
                } else {
                    g.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn steps_are_prose_with_values_as_code() {
        let s = steps(
            "1. Send the certificate to the Convene support team (support@convene.me.uk).\n\
             \n\
             2. Ask for your Reply URL (https://portal.convene.me.uk/saml/acs/<UID>) and enter it.\n\
             3. In AuthContextClassRef enter urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified; done.\n\
             Not numbered <b>here</b>",
        );
        assert_eq!(s.len(), 4);
        assert_eq!(
            show(&s[0]),
            "Send the certificate to the Convene support team (`support@convene.me.uk`)."
        );
        assert_eq!(
            show(&s[1]),
            "Ask for your Reply URL (`https://portal.convene.me.uk/saml/acs/<UID>`) and enter it."
        );
        assert_eq!(
            show(&s[2]),
            "In AuthContextClassRef enter `urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified`; done."
        );
        assert_eq!(show(&s[3]), "Not numbered <b>here</b>");
    }
}
