//! JSON-to-XML rendering for v1 replies (`api_format=xml`), as the resumable doc shows them.

use serde_json::Value;

/// Objects whose `key` field is rendered as an attribute (`<video key="...">`).
const KEYED: &[&str] = &["video", "media", "track", "image", "skin", "thumbnail"];

/// Escapes text and attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `name` as an XML element name: characters an element name cannot hold become `_` (names
/// echo request parameters such as `redirect_query.*`, so no markup gets through them).
pub fn element_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let ok = c.is_ascii_alphabetic()
                || c == '_'
                || (i > 0 && (c.is_ascii_digit() || c == '-' || c == '.'));
            if ok {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// Renders `value` (an object) as `<?xml ...?><response>...</response>`.
pub fn render(value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>");
    if let Value::Object(map) = value {
        // `status` first and `rate_limit` last, as in the docs' XML.
        if let Some(st) = map.get("status") {
            element(&mut out, "status", st);
        }
        for (k, v) in map
            .iter()
            .filter(|(k, _)| k.as_str() != "status" && k.as_str() != "rate_limit")
        {
            element(&mut out, k, v);
        }
        if let Some(rl) = map.get("rate_limit") {
            element(&mut out, "rate_limit", rl);
        }
    }
    out.push_str("</response>\n");
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    let name = element_name(name);
    let name = name.as_str();
    match value {
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::Object(map) => {
            let key_attr = if KEYED.contains(&name) {
                map.get("key").and_then(Value::as_str)
            } else {
                None
            };
            match key_attr {
                Some(k) => out.push_str(&format!("<{name} key=\"{}\">", escape(k))),
                None => out.push_str(&format!("<{name}>")),
            }
            for (k, v) in map {
                if key_attr.is_some() && k == "key" {
                    continue;
                }
                element(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Array(items) => {
            for item in items {
                element(out, name, item);
            }
        }
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_names_cannot_carry_markup() {
        let v = serde_json::json!({"redirect_link":{"query":{"a><script>x</script><b":"v\"<"}}});
        let xml = render(&v);
        assert!(!xml.contains("<script>"), "{xml}");
        assert!(
            xml.contains("<a__script_x__script__b>v&quot;&lt;</a__script_x__script__b>"),
            "{xml}"
        );
    }

    #[test]
    fn key_becomes_attribute() {
        let v = serde_json::json!({"status":"ok","video":{"key":"K","size":3}});
        assert!(render(&v).contains("<video key=\"K\"><size>3</size></video>"));
    }
}
