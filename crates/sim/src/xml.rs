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

/// Where an element goes among its siblings: the docs' XML shows `status` first, then the
/// object (`<video key=..>`), inside it `link` (`protocol`, `address`, `path`, `query`) before
/// `session_id`, and `redirect_link` after the object (`003_*.txt`); `rate_limit` last.
/// Names the docs do not show keep their (alphabetical) place in the middle.
fn rank(name: &str) -> u8 {
    match name {
        "status" => 0,
        n if KEYED.contains(&n) => 1,
        "protocol" => 2,
        "address" => 3,
        "path" => 4,
        "query" => 5,
        "link" => 6,
        "session_id" => 7,
        "redirect_link" => 9,
        "rate_limit" => 10,
        _ => 8,
    }
}

/// The entries of `map` in the docs' element order.
fn ordered(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by_key(|(k, _)| rank(k));
    entries
}

/// Renders `value` (an object) as `<?xml ...?><response>...</response>`.
pub fn render(value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>");
    if let Value::Object(map) = value {
        for (k, v) in ordered(map) {
            element(&mut out, k, v);
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
            for (k, v) in ordered(map) {
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
    fn elements_follow_the_docs_order() {
        // 003_*.txt: the create reply and the last chunk's reply.
        let v = serde_json::json!({"status":"ok","video":{"key":"tL17msiU","session_id":"S",
            "link":{"query":{"key":"vtQmcboj"},"path":"/v1/videos/upload/resumable",
                    "protocol":"http","address":"upload.jwplatform.com"}}});
        assert!(render(&v).contains(concat!(
            "<response><status>ok</status><video key=\"tL17msiU\"><link><protocol>http</protocol>",
            "<address>upload.jwplatform.com</address><path>/v1/videos/upload/resumable</path>",
            "<query><key>vtQmcboj</key></query></link><session_id>S</session_id></video></response>"
        )));
        let v = serde_json::json!({"status":"ok","video":{"key":"K","size":3},
            "redirect_link":{"query":{"parameter1":"value1"},"address":"http://example.com/path/K"},
            "rate_limit":{"limit":60}});
        assert!(render(&v).contains(concat!(
            "<status>ok</status><video key=\"K\"><size>3</size></video><redirect_link>",
            "<address>http://example.com/path/K</address><query><parameter1>value1</parameter1>",
            "</query></redirect_link><rate_limit><limit>60</limit></rate_limit>"
        )));
    }

    #[test]
    fn key_becomes_attribute() {
        let v = serde_json::json!({"status":"ok","video":{"key":"K","size":3}});
        assert!(render(&v).contains("<video key=\"K\"><size>3</size></video>"));
    }
}
