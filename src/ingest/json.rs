//! JSON sources: a GeoJSON `FeatureCollection` (properties + geometry) or a JSON array of
//! flat objects (or of Features). Problems are placed with JSON pointers.

use serde_json::Value;

use super::fields::{Fields, normalize};
use super::{Context, Dedup, Outcome, Record, RowError};

struct JsonFields {
    values: Vec<(&'static str, String)>,
    geometry: Option<geojson::Geometry>,
}

impl Fields for JsonFields {
    fn text(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn geometry(&self) -> Option<&geojson::Geometry> {
        self.geometry.as_ref()
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Reads a whole JSON document, calling `sink` per record in order.
///
/// # Errors
/// A document that is not JSON, or not an array or `FeatureCollection`, is one error at
/// the pointer `""` (the whole document).
pub fn read<R: Record>(
    body: &[u8],
    ctx: &Context,
    mut sink: impl FnMut(Outcome<R>),
) -> Result<(), Vec<RowError>> {
    let doc: Value = serde_json::from_slice(body).map_err(|e| {
        vec![RowError::at_pointer(
            "",
            format!(
                "is not valid JSON: {e} (line {}, column {})",
                e.line(),
                e.column()
            ),
        )]
    })?;
    let (items, base) = match &doc {
        Value::Array(a) => (a, String::new()),
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("FeatureCollection") => {
            match o.get("features") {
                Some(Value::Array(a)) => (a, "/features".to_owned()),
                _ => {
                    return Err(vec![RowError::at_pointer(
                        "/features",
                        "a FeatureCollection needs a \"features\" array",
                    )]);
                }
            }
        }
        _ => {
            return Err(vec![RowError::at_pointer(
                "",
                "expected a JSON array of records or a GeoJSON FeatureCollection",
            )]);
        }
    };
    if items.is_empty() {
        return Err(vec![RowError::at_pointer(base, "holds no records")]);
    }
    let mut dedup = Dedup::default();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{base}/{i}");
        let mut errors = Vec::new();
        let fields = record_fields::<R>(item, &at, &mut errors);
        let pointer_of = |field: &str| -> String {
            match (item.get("type").and_then(Value::as_str), field) {
                (Some("Feature"), "geometry") => format!("{at}/geometry"),
                (Some("Feature"), "lon" | "lat")
                    if item.get("geometry").is_some_and(|g| !g.is_null()) =>
                {
                    format!("{at}/geometry")
                }
                (Some("Feature"), f) => format!(
                    "{at}/properties/{}",
                    escape(&original_key(item.get("properties"), f, R::FIELDS))
                ),
                (_, f) => format!("{at}/{}", escape(&original_key(Some(item), f, R::FIELDS))),
            }
        };
        if errors.is_empty() {
            match R::parse(&fields, ctx) {
                Ok(r) => {
                    let key_field = super::csv::key_field::<R>();
                    let duplicate = r.key().and_then(|k| {
                        dedup
                            .check(k, i as u64)
                            .map(|first| super::dup_reason(k, &format!("{base}/{first}")))
                    });
                    if let Some(reason) = duplicate {
                        errors.push(RowError::at_pointer(pointer_of(key_field), reason));
                    } else {
                        sink(Outcome::Valid(r));
                        continue;
                    }
                }
                Err(es) => errors.extend(
                    es.into_iter()
                        .map(|e| RowError::at_pointer(pointer_of(&e.field), e.reason)),
                ),
            }
        }
        sink(Outcome::Invalid {
            errors,
            raw: item.to_string(),
        });
    }
    Ok(())
}

/// The key a record actually used for `field` (so the pointer names what the client
/// sent), or the canonical name when absent.
fn original_key(obj: Option<&Value>, field: &str, specs: &[super::FieldSpec]) -> String {
    let spec = specs.iter().find(|s| s.name == field);
    obj.and_then(Value::as_object)
        .and_then(|o| {
            o.keys().find(|k| {
                let n = normalize(k);
                spec.is_some_and(|s| s.name == n || s.aliases.contains(&n.as_str()))
            })
        })
        .cloned()
        .unwrap_or_else(|| field.to_owned())
}

fn record_fields<R: Record>(item: &Value, at: &str, errors: &mut Vec<RowError>) -> JsonFields {
    let mut out = JsonFields {
        values: Vec::new(),
        geometry: None,
    };
    let Some(obj) = item.as_object() else {
        errors.push(RowError::at_pointer(at, "must be a JSON object"));
        return out;
    };
    let is_feature = obj.get("type").and_then(Value::as_str) == Some("Feature");
    let (props, props_at) = if is_feature {
        match obj.get("properties") {
            Some(Value::Object(p)) => (Some(p), format!("{at}/properties")),
            None | Some(Value::Null) => (None, String::new()),
            Some(_) => {
                errors.push(RowError::at_pointer(
                    format!("{at}/properties"),
                    "must be an object or null",
                ));
                (None, String::new())
            }
        }
    } else {
        (Some(obj), at.to_owned())
    };
    if is_feature {
        match obj.get("geometry") {
            None | Some(Value::Null) => {}
            Some(g) => match serde_json::from_value::<geojson::Geometry>(g.clone()) {
                Ok(g) => out.geometry = Some(g),
                Err(e) => errors.push(RowError::at_pointer(
                    format!("{at}/geometry"),
                    format!("is not a GeoJSON geometry: {e}"),
                )),
            },
        }
    }
    for (k, v) in props.into_iter().flatten() {
        let n = normalize(k);
        let Some(spec) = R::FIELDS
            .iter()
            .find(|s| s.name == n || s.aliases.contains(&n.as_str()))
        else {
            continue;
        };
        if out.values.iter().any(|(f, _)| *f == spec.name) {
            continue;
        }
        let text = match v {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Object(_) if spec.name == "geometry" => {
                match serde_json::from_value::<geojson::Geometry>(v.clone()) {
                    Ok(g) => {
                        out.geometry = Some(g);
                        continue;
                    }
                    Err(e) => {
                        errors.push(RowError::at_pointer(
                            format!("{props_at}/{}", escape(k)),
                            format!("is not a GeoJSON geometry: {e}"),
                        ));
                        continue;
                    }
                }
            }
            Value::Array(_) | Value::Object(_) => {
                errors.push(RowError::at_pointer(
                    format!("{props_at}/{}", escape(k)),
                    "must be a string, number or boolean",
                ));
                continue;
            }
        };
        out.values.push((spec.name, text));
    }
    // A Feature's `id` member stands for the external id (or area code) when the
    // properties do not give one.
    if is_feature {
        let key = super::csv::key_field::<R>();
        if !out.values.iter().any(|(f, _)| *f == key) {
            match obj.get("id") {
                Some(Value::String(s)) => out.values.push((key, s.clone())),
                Some(Value::Number(n)) => out.values.push((key, n.to_string())),
                _ => {}
            }
        }
    }
    out
}
