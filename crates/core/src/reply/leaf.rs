//! Tolerant pieces of a reply: a JSON leaf read whatever its type ([`Leaf`]), and an object
//! that may turn out to be something else ([`Obj`]). They stand in for `serde_json::Value`,
//! whose tree, map and `Deserializer` cost the wasm far more than these two visitors.

use serde::de::{DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// One field's value, read whatever it is: objects and arrays are skipped (`Other`), like `null`.
/// `Absent` (the default) means the field was not there at all.
#[derive(Debug, Default, PartialEq)]
pub(crate) enum Leaf {
    #[default]
    Absent,
    Str(String),
    Uint(u64),
    Int(i64),
    Float(f64),
    Bool(bool),
    Other,
}

impl Leaf {
    /// Whether the field was there (even as `null`).
    pub fn is_present(&self) -> bool {
        !matches!(self, Leaf::Absent)
    }

    /// A string, or a number or bool written as one (the platform sends both for keys and
    /// expiries; a bool is Python's `True`/`False`).
    pub fn scalar_string(&self) -> Option<String> {
        match self {
            Leaf::Str(s) => Some(s.clone()),
            Leaf::Uint(n) => Some(n.to_string()),
            Leaf::Int(n) => Some(n.to_string()),
            // As `serde_json::Number` writes it (the shortest round-trip form).
            Leaf::Float(f) => serde_json::to_string(f).ok(),
            Leaf::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
            Leaf::Absent | Leaf::Other => None,
        }
    }

    /// A size sent as a non-negative integer or a decimal string.
    pub fn size(&self) -> Option<u64> {
        match self {
            Leaf::Uint(n) => Some(*n),
            Leaf::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A string value only.
    pub fn text(self) -> Option<String> {
        match self {
            Leaf::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Any number, as an f64.
    pub fn number(&self) -> Option<f64> {
        match *self {
            Leaf::Uint(n) => Some(n as f64),
            Leaf::Int(n) => Some(n as f64),
            Leaf::Float(f) => Some(f),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Leaf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Leaf, D::Error> {
        d.deserialize_any(LeafVisitor)
    }
}

struct LeafVisitor;

impl<'de> Visitor<'de> for LeafVisitor {
    type Value = Leaf;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Leaf, E> {
        Ok(Leaf::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Leaf, E> {
        Ok(Leaf::Str(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Leaf, E> {
        Ok(Leaf::Uint(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Leaf, E> {
        Ok(Leaf::Int(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Leaf, E> {
        Ok(Leaf::Float(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Leaf, E> {
        Ok(Leaf::Bool(v))
    }
    fn visit_unit<E>(self) -> Result<Leaf, E> {
        Ok(Leaf::Other)
    }
    fn visit_none<E>(self) -> Result<Leaf, E> {
        Ok(Leaf::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Leaf, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Leaf::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Leaf, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Leaf::Other)
    }
}

/// A JSON object's members, sorted by name, the last of a repeated name kept (as
/// `serde_json::Value` does). Inserted one by one (a link's query has a handful), so the wasm
/// holds no sort for it.
#[derive(Debug, Default)]
pub(crate) struct Members(pub litemap::LiteMap<String, Leaf>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Members, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = litemap::LiteMap::new();
                while let Some((k, v)) = map.next_entry::<String, Leaf>()? {
                    members.insert(k, v);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(MembersVisitor)
    }
}

/// `T` when the value is a JSON object, else `None` (a string, number, array or `null` where
/// an object was hoped for is skipped, not an error). `T`'s own fields decide the rest.
#[derive(Debug)]
pub(crate) struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Obj<T>, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Obj<T>, A::Error> {
        LeafVisitor.visit_seq(seq).map(|_| Obj(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_unit<E>(self) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_none<E>(self) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
}

/// The first element of a non-empty JSON array (`Some(Obj(None))` when it is not an object);
/// `None` for an empty array or anything that is not an array.
#[derive(Debug)]
pub(crate) struct First<T>(pub Option<Obj<T>>);

impl<T> Default for First<T> {
    fn default() -> Self {
        First(None)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for First<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<First<T>, D::Error> {
        struct FirstVisitor<T>(PhantomData<T>);
        impl<'de, T: DeserializeOwned> Visitor<'de> for FirstVisitor<T> {
            type Value = First<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First<T>, A::Error> {
                let first = seq.next_element::<Obj<T>>()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(First(first))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<First<T>, A::Error> {
                LeafVisitor.visit_map(map).map(|_| First(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<First<T>, E> {
                Ok(First(None))
            }
            fn visit_unit<E>(self) -> Result<First<T>, E> {
                Ok(First(None))
            }
        }
        d.deserialize_any(FirstVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Deserialize, Debug, Default)]
    #[serde(default)]
    struct Probe {
        a: Leaf,
        o: Obj<Inner>,
        f: First<Inner>,
    }

    #[derive(Deserialize, Debug)]
    struct Inner {
        x: Leaf,
    }

    fn probe(s: &str) -> Probe {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn leaves_of_any_type() {
        assert_eq!(probe("{}").a, Leaf::Absent);
        assert_eq!(probe(r#"{"a":null}"#).a, Leaf::Other);
        assert!(probe(r#"{"a":null}"#).a.is_present());
        assert_eq!(probe(r#"{"a":{"b":[1]}}"#).a, Leaf::Other);
        assert_eq!(probe(r#"{"a":7}"#).a.scalar_string().as_deref(), Some("7"));
        assert_eq!(probe(r#"{"a":-7}"#).a.size(), None);
        assert_eq!(probe(r#"{"a":" 12 "}"#).a.size(), Some(12));
        assert_eq!(
            probe(r#"{"a":1.5}"#).a.scalar_string().as_deref(),
            Some("1.5")
        );
        assert_eq!(probe(r#"{"a":1.5}"#).a.number(), Some(1.5));
        assert_eq!(
            probe(r#"{"a":true}"#).a.scalar_string().as_deref(),
            Some("True")
        );
        assert_eq!(probe(r#"{"a":5}"#).a.text(), None);
    }

    #[test]
    fn objects_and_first_elements_or_nothing() {
        let p = probe(r#"{"o":{"x":"k","y":[]},"f":[{"x":1},2]}"#);
        assert_eq!(p.o.0.unwrap().x, Leaf::Str("k".into()));
        assert_eq!(p.f.0.unwrap().0.unwrap().x, Leaf::Uint(1));
        let q = probe(r#"{"o":"k","f":[3,{"x":1}]}"#);
        assert!(q.o.0.is_none());
        assert!(q.f.0.unwrap().0.is_none());
        let r = probe(r#"{"o":[{"x":1}],"f":[]}"#);
        assert!(r.o.0.is_none() && r.f.0.is_none());
        assert!(probe(r#"{"f":{"0":{"x":1}}}"#).f.0.is_none());
        let m: Members = serde_json::from_str(r#"{"b":1,"a":2,"b":"3"}"#).unwrap();
        let names: Vec<_> =
            m.0.iter()
                .map(|(k, v)| (k.as_str(), v.scalar_string()))
                .collect();
        assert_eq!(names, [("a", Some("2".into())), ("b", Some("3".into()))]);
    }
}
