//! Canonical bytes: the exact bytes that are hashed and signed.
//!
//! The rule (see `docs/protocol.md`): JSON with object keys sorted by their UTF-8
//! bytes, no insignificant whitespace, strings escaped as `serde_json` and Python's
//! `json.dumps(..., ensure_ascii=False)` both escape them, integers only (no floats).
//! Python reproduces it with
//! `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`.

use serde::Serialize;
use serde_json::Value;

use crate::ProtocolError;

/// Encodes any serialisable value to its canonical bytes.
pub fn to_canonical_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, ProtocolError> {
    let value = serde_json::to_value(value).map_err(|e| ProtocolError::Json(e.to_string()))?;
    let mut out = Vec::with_capacity(1024);
    write_value(&value, &mut out, "$")?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>, path: &str) -> Result<(), ProtocolError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if n.is_f64() {
                return Err(ProtocolError::FloatInCanonical(path.to_owned()));
            }
            out.extend_from_slice(n.to_string().as_bytes());
        }
        Value::String(s) => write_string(s, out)?,
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out, path)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out)?;
                out.push(b':');
                if let Some(v) = map.get(key) {
                    write_value(v, out, key)?;
                }
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    serde_json::to_writer(&mut *out, s).map_err(|e| ProtocolError::Json(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_whitespace_removed() {
        let v = json!({"b": 1, "a": {"d": [1, 2, null], "c": "x"}, "A": true});
        let bytes = to_canonical_bytes(&v).expect("encode");
        assert_eq!(
            String::from_utf8(bytes).expect("utf8"),
            r#"{"A":true,"a":{"c":"x","d":[1,2,null]},"b":1}"#
        );
    }

    #[test]
    fn strings_escape_like_python_json_dumps() {
        let v = json!({"s": "é\"\\\n\t\u{1}/ع"});
        let bytes = to_canonical_bytes(&v).expect("encode");
        assert_eq!(
            String::from_utf8(bytes).expect("utf8"),
            "{\"s\":\"é\\\"\\\\\\n\\t\\u0001/ع\"}"
        );
    }

    #[test]
    fn floats_are_refused() {
        let v = json!({"lat": 36.7});
        assert_eq!(
            to_canonical_bytes(&v),
            Err(ProtocolError::FloatInCanonical("lat".into()))
        );
    }
}
