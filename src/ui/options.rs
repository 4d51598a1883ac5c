//! The widget's options: what the `<jw-upload>` attributes (or a Rust caller) configure.

use jw_upload_core::link::Resource;
use std::time::Duration;

use jw_upload_core::Method;

use super::labels::Labels;
use crate::driver::CredentialSource;
use crate::session::Settings;

/// Everything the widget is configured with. Built from the element's attributes by
/// [`WidgetOptions::set_attribute`], or directly from Rust.
#[derive(Clone, Debug, PartialEq)]
pub struct WidgetOptions {
    /// The backend endpoint that mints uploads (`POST`), e.g. `/api/uploads`.
    pub endpoint: String,
    /// Where to get a CSRF token (`GET` → `{"token"}`), sent as `X-CSRF-Token`. Default: the
    /// endpoint's sibling `csrf` (`/api/csrf`); empty to send none.
    pub csrf_endpoint: Option<String>,
    /// Send cookies with the calls to the backend (CSRF token, minting, status) when it is on
    /// another origin (`fetch` credentials `include`; the backend must allow this origin).
    pub with_credentials: bool,
    /// Follow processing through the backend (`/api/media`); `None`: stop when the bytes are in.
    pub status_endpoint: Option<String>,
    /// Base URL of the v2 upload API (multipart); `None`: the platform's.
    pub upload_api_base: Option<String>,
    /// The method for new files; `None` is automatic.
    pub method: Option<Method>,
    /// Methods offered in a selector (none: no selector).
    pub methods: Vec<Method>,
    /// The resource kind for new files.
    pub resource: Resource,
    /// Resource kinds offered in a selector (none or one: no selector).
    pub resources: Vec<Resource>,
    /// The video a thumbnail or caption track belongs to.
    pub video_key: String,
    /// Files uploading at once.
    pub parallel_files: usize,
    /// Multipart parts (or resumable chunks) in flight per file; `None`: the uploader's default.
    pub parallel: Option<u32>,
    /// Abort and retry a request after this many ms without progress; `None`: the default.
    pub stall_timeout: Option<u32>,
    /// The file picker's `accept` (`video/*`).
    pub accept: String,
    /// Show "Import from URL".
    pub import: bool,
    /// Ask before the page is left while files upload (`beforeunload`); on by default,
    /// `leave-warning="false"` turns it off.
    pub leave_warning: bool,
    /// Stop following processing after this many ms (`status unavailable`); `None`: 2 hours.
    pub status_timeout: Option<u32>,
    /// The words.
    pub labels: Labels,
}

impl Default for WidgetOptions {
    fn default() -> Self {
        WidgetOptions {
            endpoint: "/api/uploads".into(),
            csrf_endpoint: None,
            with_credentials: false,
            status_endpoint: None,
            upload_api_base: None,
            method: None,
            methods: Vec::new(),
            resource: Resource::Video,
            resources: Vec::new(),
            video_key: String::new(),
            parallel_files: 2,
            parallel: None,
            stall_timeout: None,
            accept: String::new(),
            import: true,
            leave_warning: true,
            status_timeout: None,
            labels: Labels::default(),
        }
    }
}

/// The attributes `<jw-upload>` observes (each also a camelCase property).
pub const ATTRIBUTES: &[&str] = &[
    "endpoint",
    "csrf-endpoint",
    "with-credentials",
    "status-endpoint",
    "upload-api-base",
    "method",
    "methods",
    "resource",
    "resources",
    "video-key",
    "parallel-files",
    "parallel",
    "stall-timeout",
    "accept",
    "import",
    "labels",
    "leave-warning",
    "status-timeout",
];

/// A snake_case enum name (`multipart`, `thumbnail`).
pub fn parse_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.trim().to_owned())).ok()
}

fn list<T: serde::de::DeserializeOwned>(v: Option<&str>) -> Vec<T> {
    v.unwrap_or_default()
        .split([',', ' '])
        .filter_map(parse_name)
        .collect()
}

fn non_empty(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl WidgetOptions {
    /// Applies one attribute (`None`: removed). Unknown names and bad values fall back to the
    /// defaults; nothing here can fail.
    pub fn set_attribute(&mut self, name: &str, value: Option<&str>) {
        let d = WidgetOptions::default();
        match name {
            "endpoint" => self.endpoint = non_empty(value).unwrap_or(d.endpoint),
            "csrf-endpoint" => self.csrf_endpoint = value.map(|v| v.trim().to_owned()),
            // A boolean attribute: present (and not "false") means on.
            "with-credentials" => {
                self.with_credentials = value.is_some_and(|v| v.trim() != "false")
            }
            "status-endpoint" => self.status_endpoint = non_empty(value),
            "upload-api-base" => self.upload_api_base = non_empty(value),
            "method" => self.method = value.and_then(parse_name),
            "methods" => self.methods = list(value),
            "resource" => self.resource = value.and_then(parse_name).unwrap_or_default(),
            "resources" => self.resources = list(value),
            "video-key" => self.video_key = value.unwrap_or_default().trim().to_owned(),
            "parallel-files" => {
                self.parallel_files = value
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .filter(|n| (1..=16).contains(n))
                    .unwrap_or(d.parallel_files)
            }
            "parallel" => {
                self.parallel = value
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .filter(|n| *n >= 1)
            }
            "stall-timeout" => {
                self.stall_timeout = value
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .filter(|n| *n >= 1000)
            }
            "accept" => self.accept = value.unwrap_or_default().to_owned(),
            "import" => self.import = value.is_none_or(|v| v.trim() != "false"),
            "labels" => self.labels = Labels::merge_json(value),
            "leave-warning" => {
                self.leave_warning = value.is_none_or(|v| !matches!(v.trim(), "false" | "off"))
            }
            "status-timeout" => {
                self.status_timeout = value
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .filter(|n| *n >= 1000)
            }
            _ => {}
        }
    }

    /// Where the CSRF token comes from (`None`: send none).
    pub fn csrf_url(&self) -> Option<String> {
        match &self.csrf_endpoint {
            Some(url) if url.is_empty() => None,
            Some(url) => Some(url.clone()),
            None => {
                let base = self.endpoint.trim_end_matches('/');
                let dir = base.rsplit_once('/').map_or("", |(dir, _)| dir);
                Some(format!("{dir}/csrf"))
            }
        }
    }

    /// The uploader settings these options make (the CSRF token sent as `X-CSRF-Token`):
    /// the same typed settings the JS API parses from `UploaderOptions`.
    pub fn settings(&self, csrf_token: Option<&str>) -> Settings {
        let creds = CredentialSource::Endpoint {
            url: self.endpoint.clone(),
            headers: csrf_token
                .map(|t| vec![("X-CSRF-Token".to_owned(), t.to_owned())])
                .unwrap_or_default(),
            include_cookies: self.with_credentials,
        };
        Settings {
            upload_api_base: self.upload_api_base.clone(),
            parallel: self.parallel.map(|n| n as usize),
            stall_timeout: self
                .stall_timeout
                .map(|ms| Duration::from_millis(u64::from(ms))),
            status_endpoint: self.status_endpoint.clone(),
            status_timeout: self
                .status_timeout
                .map(|ms| Duration::from_millis(u64::from(ms))),
            ..Settings::new(creds)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_parse_with_fallbacks() {
        let mut o = WidgetOptions::default();
        o.set_attribute("method", Some("multipart"));
        o.set_attribute("methods", Some("auto, s3,form,nonsense"));
        o.set_attribute("parallel-files", Some("0"));
        o.set_attribute("resources", Some("video,thumbnail,track"));
        assert_eq!(o.method, Some(Method::Multipart));
        assert_eq!(o.methods, vec![Method::S3, Method::Form]);
        o.set_attribute("methods", Some("direct,multipart"));
        assert_eq!(o.methods, vec![Method::Direct, Method::Multipart]);
        o.set_attribute("methods", Some("s3,form"));
        assert_eq!(o.parallel_files, 2);
        assert_eq!(o.resources.len(), 3);
        o.set_attribute("method", Some("auto"));
        assert_eq!(o.method, None);
        assert_eq!(o.csrf_url().as_deref(), Some("/api/csrf"));
        o.set_attribute("csrf-endpoint", Some(""));
        assert_eq!(o.csrf_url(), None);
        assert!(!o.with_credentials);
        o.set_attribute("with-credentials", Some(""));
        assert!(o.with_credentials);
        o.set_attribute("with-credentials", Some("false"));
        assert!(!o.with_credentials);
        o.set_attribute("with-credentials", Some("true"));
        o.set_attribute("with-credentials", None);
        assert!(!o.with_credentials);
    }

    /// The element class (js/jw-upload-element.js) observes exactly [`ATTRIBUTES`], in order.
    #[test]
    fn the_element_observes_the_same_attributes() {
        let js = include_str!("../../js/jw-upload-element.js");
        let list = js
            .split_once("const ATTRIBUTES = [")
            .and_then(|(_, rest)| rest.split_once("];"))
            .map(|(list, _)| list)
            .unwrap_or_default();
        let names: Vec<&str> = list
            .split(',')
            .map(|n| n.trim().trim_matches('"'))
            .filter(|n| !n.is_empty())
            .collect();
        assert_eq!(
            names, ATTRIBUTES,
            "js/jw-upload-element.js and ATTRIBUTES differ"
        );
    }
}
