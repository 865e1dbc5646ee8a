//! JSON parsing that refuses a repeated object key anywhere.
//!
//! `serde_json` keeps the last of two equal keys in maps and `Value`s, while
//! other parsers keep the first: a first `"outcome"` could then hide the real
//! one from a reader. Every protocol object is parsed here, so a document with
//! a repeated key means the same thing to nobody and is refused.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::ProtocolError;

/// A parsed JSON value and the first repeated key found in it, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedValue {
    /// The value (with the last of repeated keys, as `serde_json` keeps it).
    pub value: Value,
    /// The first repeated key, with its path.
    pub repeated_key: Option<String>,
}

impl CheckedValue {
    /// The value when no key was repeated.
    pub fn into_strict(self) -> Result<Value, ProtocolError> {
        match self.repeated_key {
            Some(k) => Err(ProtocolError::DuplicateKey(k)),
            None => Ok(self.value),
        }
    }
}

/// Parses JSON text, refusing repeated keys at any depth.
pub fn parse_value_strict(bytes: &[u8]) -> Result<Value, ProtocolError> {
    let checked: CheckedValue =
        serde_json::from_slice(bytes).map_err(|e| ProtocolError::Json(e.to_string()))?;
    checked.into_strict()
}

/// Parses JSON text into `T`, refusing repeated keys at any depth.
pub fn from_slice_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ProtocolError> {
    let value = parse_value_strict(bytes)?;
    serde_json::from_value(value).map_err(|e| ProtocolError::Json(e.to_string()))
}

impl<'de> Deserialize<'de> for CheckedValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

fn plain(value: Value) -> CheckedValue {
    CheckedValue {
        value,
        repeated_key: None,
    }
}

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = CheckedValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<CheckedValue, E> {
        Ok(plain(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<CheckedValue, E> {
        Ok(plain(Value::Number(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<CheckedValue, E> {
        Ok(plain(Value::Number(v.into())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<CheckedValue, E> {
        Number::from_f64(v)
            .map(|n| plain(Value::Number(n)))
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<CheckedValue, E> {
        Ok(plain(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<CheckedValue, E> {
        Ok(plain(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<CheckedValue, E> {
        Ok(plain(Value::Null))
    }
    fn visit_none<E>(self) -> Result<CheckedValue, E> {
        Ok(plain(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<CheckedValue, D::Error> {
        CheckedValue::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CheckedValue, A::Error> {
        let mut items = Vec::new();
        let mut repeated_key = None;
        while let Some(item) = seq.next_element::<CheckedValue>()? {
            let index = items.len();
            if repeated_key.is_none() {
                repeated_key = item.repeated_key.map(|k| format!("[{index}].{k}"));
            }
            items.push(item.value);
        }
        Ok(CheckedValue {
            value: Value::Array(items),
            repeated_key,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CheckedValue, A::Error> {
        let mut out = Map::new();
        let mut repeated_key = None;
        while let Some(key) = map.next_key::<String>()? {
            let item: CheckedValue = map.next_value()?;
            if repeated_key.is_none() {
                if out.contains_key(&key) {
                    repeated_key = Some(key.clone());
                } else if let Some(inner) = item.repeated_key {
                    repeated_key = Some(format!("{key}.{inner}"));
                }
            }
            out.insert(key, item.value);
        }
        Ok(CheckedValue {
            value: Value::Object(out),
            repeated_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_refused_at_any_depth() {
        assert!(parse_value_strict(br#"{"a":1,"b":{"c":[{"d":1}]}}"#).is_ok());
        assert_eq!(
            parse_value_strict(br#"{"outcome":"no_answer","outcome":"delivered"}"#),
            Err(ProtocolError::DuplicateKey("outcome".into()))
        );
        assert_eq!(
            parse_value_strict(br#"{"events":[{"body":{"x":1,"x":2}}]}"#),
            Err(ProtocolError::DuplicateKey("events.[0].body.x".into()))
        );
    }

    #[test]
    fn values_parse_like_serde_json() {
        let text = br#"{"n":-5,"u":18446744073709551615,"s":"\u00e9","z":null,"t":[true,false]}"#;
        let strict = parse_value_strict(text).expect("parse");
        let plain: Value = serde_json::from_slice(text).expect("parse");
        assert_eq!(strict, plain);
    }
}
