//! Metadata by allowlist: which fields a browser may set for each call, and the length and
//! character rules every value must meet. An unknown field is a 400 that names it.

use serde_json::{Map, Value};

use crate::config::MetadataRules;
use crate::error::ApiError;

/// Where metadata goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// v1 `videos/create|update` parameters.
    V1Video,
    /// v2 `POST /v2/sites/{site}/media` `metadata`.
    V2Video,
    /// v1 `videos/thumbnails/update`.
    Thumbnail,
    /// v1 `videos/tracks/create`.
    Track,
    /// v1 `accounts/images|skins/create`.
    Account,
}

/// The longest value of `field`, in characters.
fn max_chars(field: &str) -> usize {
    match field {
        // A fetch import is titled by its URL (up to 2048 characters).
        "title" => 2048,
        "description" => 5000,
        "tags" => 1000,
        _ => 255,
    }
}

/// The value rule: no control characters (but newlines and tabs in a description), at most
/// [`max_chars`], and no `<` or `>` except in `title` (a title is the file's name by default,
/// and file names may hold them: every page showing one escapes it, the widget included).
fn check_text(field: &str, text: &str) -> Result<(), ApiError> {
    let max = max_chars(field);
    if text.chars().count() > max {
        return Err(ApiError::bad_request(format!(
            "metadata.{field} is longer than {max} characters"
        )));
    }
    let multiline = field == "description";
    let bad_control = text
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t')));
    if bad_control {
        return Err(ApiError::bad_request(format!(
            "metadata.{field} must not contain control characters"
        )));
    }
    if field != "title" && text.contains(['<', '>']) {
        return Err(ApiError::bad_request(format!(
            "metadata.{field} must not contain '<' or '>'"
        )));
    }
    Ok(())
}

fn is_custom_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn scalar_text(field: &str, value: &Value) -> Result<Option<String>, ApiError> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(_) | Value::Object(_) => {
            return Err(ApiError::bad_request(format!(
                "metadata.{field} must be a string, number or boolean"
            )))
        }
    };
    check_text(field, &text)?;
    Ok(Some(text))
}

fn allowed(target: Target, rules: &MetadataRules) -> Vec<&str> {
    match target {
        Target::V1Video => rules.v1_video.iter().map(String::as_str).collect(),
        Target::V2Video => rules.v2_video.iter().map(String::as_str).collect(),
        Target::Thumbnail | Target::Account => vec!["title"],
        Target::Track => vec!["title", "kind", "label"],
    }
}

fn unknown(field: &str, allowed: &[&str]) -> ApiError {
    ApiError::bad_request(format!(
        "metadata.{field} is not a field this backend accepts (allowed: {})",
        allowed.join(", ")
    ))
}

/// Checks `metadata` for `target` and flattens it into v1 call parameters (`custom.x` for
/// custom parameters).
pub fn v1_params(
    metadata: &Map<String, Value>,
    target: Target,
    rules: &MetadataRules,
) -> Result<Vec<(String, String)>, ApiError> {
    let allow = allowed(target, rules);
    let mut params = Vec::new();
    for (field, value) in metadata {
        let custom = field
            .strip_prefix("custom.")
            .filter(|_| target == Target::V1Video && rules.custom_params);
        let known = allow.contains(&field.as_str());
        match custom {
            Some(name) if is_custom_name(name) => {}
            Some(_) => {
                return Err(ApiError::bad_request(format!(
                    "metadata.{field}: a custom parameter name is 1 to 64 letters, digits or '_'"
                )))
            }
            None if known => {}
            None => return Err(unknown(field, &allow)),
        }
        if field == "kind" && !matches!(value.as_str(), Some("captions" | "chapters")) {
            return Err(ApiError::bad_request(
                "metadata.kind must be \"captions\" or \"chapters\"",
            ));
        }
        if let Some(text) = scalar_text(field, value)? {
            params.push((field.clone(), text));
        }
    }
    Ok(params)
}

/// Checks `metadata` for a v2 media and returns the object to send (`tags` may be a list of
/// strings; `custom_params` an object of strings when enabled).
pub fn v2_metadata(
    metadata: &Map<String, Value>,
    rules: &MetadataRules,
) -> Result<Map<String, Value>, ApiError> {
    let allow = allowed(Target::V2Video, rules);
    let mut out = Map::new();
    for (field, value) in metadata {
        if field == "custom_params" && rules.custom_params {
            let Value::Object(params) = value else {
                return Err(ApiError::bad_request(
                    "metadata.custom_params must be an object of strings",
                ));
            };
            let mut checked = Map::new();
            for (name, v) in params {
                if !is_custom_name(name) {
                    return Err(ApiError::bad_request(format!(
                        "metadata.custom_params.{name}: a name is 1 to 64 letters, digits or '_'"
                    )));
                }
                let field_name = format!("custom_params.{name}");
                if let Some(text) = scalar_text(&field_name, v)? {
                    checked.insert(name.clone(), Value::String(text));
                }
            }
            out.insert(field.clone(), Value::Object(checked));
            continue;
        }
        if !allow.contains(&field.as_str()) {
            return Err(unknown(field, &allow));
        }
        match value {
            Value::Array(items) if field == "tags" => {
                let mut tags = Vec::new();
                for item in items {
                    let Value::String(tag) = item else {
                        return Err(ApiError::bad_request("metadata.tags must hold strings"));
                    };
                    check_text(field, tag)?;
                    tags.push(Value::String(tag.clone()));
                }
                out.insert(field.clone(), Value::Array(tags));
            }
            other => {
                if let Some(text) = scalar_text(field, other)? {
                    out.insert(field.clone(), Value::String(text));
                }
            }
        }
    }
    Ok(out)
}
