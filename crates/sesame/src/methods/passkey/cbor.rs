//! A small, strict CBOR (RFC 8949) decoder for what WebAuthn sends: the attestation
//! object and COSE keys. Definite lengths only, integers, byte and text strings, arrays,
//! maps, booleans, null and floats; nesting and sizes bounded by the input, so a
//! malformed or hostile input is an error, never a panic or a large allocation.

/// A decoded CBOR value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer (major types 0 and 1).
    Int(i128),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A text string.
    Text(String),
    /// An array.
    Array(Vec<Value>),
    /// A map, in the order received.
    Map(Vec<(Value, Value)>),
    /// `true` or `false`.
    Bool(bool),
    /// `null` or `undefined`.
    Null,
    /// A float (kept only to be skipped).
    Float,
}

impl Value {
    /// The value of key `k` of a map.
    pub fn get(&self, k: &Value) -> Option<&Value> {
        match self {
            Value::Map(m) => m.iter().find(|(key, _)| key == k).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value of text key `k` of a map.
    pub fn get_text(&self, k: &str) -> Option<&Value> {
        self.get(&Value::Text(k.to_owned()))
    }

    /// The value of integer key `k` of a map.
    pub fn get_int(&self, k: i128) -> Option<&Value> {
        self.get(&Value::Int(k))
    }

    /// The bytes of a byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The integer.
    pub fn as_int(&self) -> Option<i128> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// Why CBOR could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    /// The input ends inside an item.
    #[error("the CBOR data ends early")]
    Truncated,
    /// An item Sesame does not accept (indefinite length, reserved value, tag).
    #[error("unsupported CBOR item (major type {0})")]
    Unsupported(u8),
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("the CBOR data is nested too deeply")]
    TooDeep,
    /// A text string that is not UTF-8.
    #[error("a CBOR text string is not UTF-8")]
    NotUtf8,
    /// Bytes left after the item.
    #[error("unexpected bytes after the CBOR data")]
    Trailing,
}

/// How deeply items may nest.
pub const MAX_DEPTH: usize = 16;

/// Decodes one item at the start of `input`; returns it and the bytes it took.
pub fn decode_prefix(input: &[u8]) -> Result<(Value, usize), CborError> {
    let mut d = Decoder { input, pos: 0 };
    let v = d.item(0)?;
    Ok((v, d.pos))
}

/// Decodes `input`, which must be exactly one item.
pub fn decode(input: &[u8]) -> Result<Value, CborError> {
    let (v, used) = decode_prefix(input)?;
    if used != input.len() {
        return Err(CborError::Trailing);
    }
    Ok(v)
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Decoder<'_> {
    fn byte(&mut self) -> Result<u8, CborError> {
        let b = *self.input.get(self.pos).ok_or(CborError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&[u8], CborError> {
        let n = usize::try_from(n).map_err(|_| CborError::Truncated)?;
        let end = self.pos.checked_add(n).ok_or(CborError::Truncated)?;
        let s = self.input.get(self.pos..end).ok_or(CborError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn argument(&mut self, major: u8, info: u8) -> Result<u64, CborError> {
        let n = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return Err(CborError::Unsupported(major)),
        };
        let mut v = 0u64;
        for b in self.take(n)? {
            v = (v << 8) | u64::from(*b);
        }
        Ok(v)
    }

    /// A count of items that cannot exceed the bytes left (each item is a byte at least).
    fn count(&self, n: u64) -> Result<usize, CborError> {
        let left = (self.input.len() - self.pos) as u64;
        if n > left {
            return Err(CborError::Truncated);
        }
        usize::try_from(n).map_err(|_| CborError::Truncated)
    }

    fn item(&mut self, depth: usize) -> Result<Value, CborError> {
        if depth > MAX_DEPTH {
            return Err(CborError::TooDeep);
        }
        let first = self.byte()?;
        let major = first >> 5;
        let info = first & 0x1f;
        match major {
            0 => Ok(Value::Int(i128::from(self.argument(major, info)?))),
            1 => Ok(Value::Int(-1 - i128::from(self.argument(major, info)?))),
            2 => {
                let n = self.argument(major, info)?;
                Ok(Value::Bytes(self.take(n)?.to_vec()))
            }
            3 => {
                let n = self.argument(major, info)?;
                let s = self.take(n)?.to_vec();
                String::from_utf8(s)
                    .map(Value::Text)
                    .map_err(|_| CborError::NotUtf8)
            }
            4 => {
                let n = self.argument(major, info)?;
                let n = self.count(n)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.item(depth + 1)?);
                }
                Ok(Value::Array(v))
            }
            5 => {
                let n = self.argument(major, info)?;
                let n = self.count(n.saturating_mul(2))? / 2;
                let mut m = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.item(depth + 1)?;
                    let v = self.item(depth + 1)?;
                    m.push((k, v));
                }
                Ok(Value::Map(m))
            }
            7 => match info {
                20 => Ok(Value::Bool(false)),
                21 => Ok(Value::Bool(true)),
                22 | 23 => Ok(Value::Null),
                25 => self.take(2).map(|_| Value::Float),
                26 => self.take(4).map(|_| Value::Float),
                27 => self.take(8).map(|_| Value::Float),
                _ => Err(CborError::Unsupported(major)),
            },
            _ => Err(CborError::Unsupported(major)),
        }
    }
}

/// Encoding, for tests and for building COSE keys in them.
#[cfg(test)]
pub mod encode {
    use super::Value;

    fn head(out: &mut Vec<u8>, major: u8, n: u64) {
        let m = major << 5;
        if n < 24 {
            out.push(m | n as u8);
        } else if n <= 0xff {
            out.extend([m | 24, n as u8]);
        } else if n <= 0xffff {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        } else {
            out.push(m | 27);
            out.extend(n.to_be_bytes());
        }
    }

    /// `v` as CBOR.
    pub fn to_vec(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        put(&mut out, v);
        out
    }

    fn put(out: &mut Vec<u8>, v: &Value) {
        match v {
            Value::Int(i) if *i >= 0 => head(out, 0, *i as u64),
            Value::Int(i) => head(out, 1, (-1 - *i) as u64),
            Value::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend(b);
            }
            Value::Text(t) => {
                head(out, 3, t.len() as u64);
                out.extend(t.as_bytes());
            }
            Value::Array(a) => {
                head(out, 4, a.len() as u64);
                for x in a {
                    put(out, x);
                }
            }
            Value::Map(m) => {
                head(out, 5, m.len() as u64);
                for (k, x) in m {
                    put(out, k);
                    put(out, x);
                }
            }
            Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
            Value::Null => out.push(0xf6),
            Value::Float => out.extend([0xf9, 0, 0]),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let v = Value::Map(vec![
            (Value::Int(1), Value::Int(2)),
            (Value::Int(-7), Value::Bytes(vec![1, 2, 3])),
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (
                Value::Int(300),
                Value::Array(vec![Value::Bool(true), Value::Null]),
            ),
        ]);
        let b = encode::to_vec(&v);
        assert_eq!(decode(&b).unwrap(), v);
        assert_eq!(v.get_int(-7).unwrap().as_bytes().unwrap(), &[1, 2, 3]);
        // Truncated anywhere: an error, never a panic.
        for n in 0..b.len() {
            assert!(decode(&b[..n]).is_err(), "{n}");
        }
        let mut t = b.clone();
        t.push(0);
        assert_eq!(decode(&t), Err(CborError::Trailing));
        // A huge announced length, an indefinite length, deep nesting.
        assert_eq!(
            decode(&[0x5b, 0xff, 0, 0, 0, 0, 0, 0, 0]),
            Err(CborError::Truncated)
        );
        assert_eq!(
            decode(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Err(CborError::Truncated)
        );
        assert_eq!(decode(&[0x5f]), Err(CborError::Unsupported(2)));
        assert_eq!(decode(&[0x81; 40]), Err(CborError::TooDeep));
        assert_eq!(decode(&[0x62, 0xff, 0xfe]), Err(CborError::NotUtf8));
        assert_eq!(decode(&[0xc0, 0x00]), Err(CborError::Unsupported(6)));
    }
}
