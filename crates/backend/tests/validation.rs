//! POST /api/uploads input: what each request maps to, and the 4xx for bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jw_upload_backend::{plan_upload, Apis, MetadataRules, PlatformCall, Rules};
use serde_json::{json, Value};

/// Everything optional on: image and skin, fetch.
fn open() -> Rules {
    Rules {
        metadata: MetadataRules::default(),
        account_uploads: true,
        fetch: true,
        allowed_types: String::new(),
        ..Rules::default()
    }
}

fn plan(body: Value) -> PlatformCall {
    plan_upload(body.to_string().as_bytes(), &open())
        .map(|p| p.call)
        .unwrap_or_else(|e| panic!("{body}: {e:?}"))
}

fn refused(body: Value) -> String {
    refused_with(body, &open())
}

fn refused_with(body: Value, rules: &Rules) -> String {
    match plan_upload(body.to_string().as_bytes(), rules) {
        Ok(call) => panic!("{body} was accepted as {call:?}"),
        Err(e) => {
            assert_eq!(e.status, 400, "{body}");
            assert_eq!(e.code, "bad_request");
            e.message
        }
    }
}

fn v1(call: PlatformCall) -> (&'static str, Vec<(String, String)>) {
    match call {
        PlatformCall::V1 { call, mut params } => {
            params.sort();
            (call, params)
        }
        other => panic!("not v1: {other:?}"),
    }
}

fn p(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

fn file() -> Value {
    json!({"name": "clip.mp4", "size": 1000, "type": "video/mp4"})
}

#[test]
fn s3_form_resumable_are_v1_videos_create() {
    let (call, params) = v1(plan(
        json!({"method":"s3","file":file(),"metadata":{"title":"T"}}),
    ));
    assert_eq!(call, "videos/create");
    assert_eq!(params, vec![p("title", "T"), p("upload_method", "s3")]);
    let (call, params) = v1(plan(json!({"method":"form","file":file()})));
    assert_eq!(call, "videos/create");
    assert_eq!(
        params,
        vec![p("title", "clip.mp4")],
        "title defaults to the file name"
    );
    let (_, params) = v1(plan(
        json!({"method":"resumable","file":file(),"metadata":{"title":"R","author":3,"tags":true,"description":null}}),
    ));
    assert_eq!(
        params,
        vec![
            p("author", "3"),
            p("tags", "true"),
            p("title", "R"),
            p("upload_method", "resumable")
        ]
    );
}

#[test]
fn media_id_means_renewal_by_videos_update() {
    let (call, params) = v1(plan(
        json!({"method":"s3","file":file(),"media_id":"tL17msiU"}),
    ));
    assert_eq!(call, "videos/update");
    assert_eq!(
        params,
        vec![p("upload_method", "s3"), p("video_key", "tL17msiU")]
    );
    let (call, params) = v1(plan(
        json!({"method":"resumable","file":file(),"video_key":"tL17msiU"}),
    ));
    assert_eq!(call, "videos/update");
    assert_eq!(
        params,
        vec![p("upload_method", "resumable"), p("video_key", "tL17msiU")]
    );
    let (call, params) = v1(plan(
        json!({"method":"form","file":file(),"media_id":"k1","video_key":"k1"}),
    ));
    assert_eq!(
        (call, params),
        ("videos/update", vec![p("video_key", "k1")])
    );
    refused(json!({"method":"form","file":file(),"media_id":"k1","video_key":"k2"}));
    refused(json!({"method":"multipart","file":file(),"media_id":"k1"}));
}

#[test]
fn multipart_and_fetch_are_v2_media_create() {
    let body = match plan(json!({"method":"multipart","file":file(),"metadata":{"title":"M"}})) {
        PlatformCall::V2Create { body } => body,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        body,
        json!({"upload":{"method":"multipart"},"metadata":{"title":"M"}})
    );
    let body = match plan(json!({"method":"fetch","download_url":"https://cdn.example/a.mp4"})) {
        PlatformCall::V2Create { body } => body,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        body,
        json!({"upload":{"method":"fetch","download_url":"https://cdn.example/a.mp4"},"metadata":{"title":"a.mp4"}})
    );
}

#[test]
fn resources_map_to_their_v1_calls() {
    let (call, params) = v1(plan(
        json!({"resource":"thumbnail","file":file(),"video_key":"vid1"}),
    ));
    assert_eq!(call, "videos/thumbnails/update");
    assert_eq!(params, vec![p("video_key", "vid1")]);
    let (call, params) = v1(plan(
        json!({"resource":"track","method":"form","file":{"name":"en.vtt","size":10},"video_key":"vid1","metadata":{"label":"English"}}),
    ));
    assert_eq!(call, "videos/tracks/create");
    assert_eq!(
        params,
        vec![
            p("kind", "captions"),
            p("label", "English"),
            p("video_key", "vid1")
        ]
    );
    let (_, params) = v1(plan(
        json!({"resource":"track","file":{"name":"en.vtt","size":10},"video_key":"vid1","metadata":{"title":"Deutsch"}}),
    ));
    assert_eq!(
        params,
        vec![
            p("kind", "captions"),
            p("label", "Deutsch"),
            p("video_key", "vid1")
        ]
    );
    let (call, _) = v1(plan(json!({"resource":"image","file":file()})));
    assert_eq!(call, "accounts/images/create");
    let (call, _) = v1(plan(
        json!({"resource":"skin","file":{"name":"s.zip","size":1}}),
    ));
    assert_eq!(call, "accounts/skins/create");
}

#[test]
fn resources_need_what_they_need() {
    assert!(refused(json!({"resource":"thumbnail","file":file()})).contains("video_key"));
    assert!(refused(json!({"resource":"track","file":file()})).contains("video_key"));
    refused(json!({"resource":"image","file":file(),"video_key":"v1"}));
    refused(json!({"resource":"thumbnail","method":"s3","file":file(),"video_key":"v1"}));
    refused(json!({"resource":"thumbnail","file":file(),"video_key":"v1","media_id":"v1"}));
    assert!(refused(json!({"resource":"poster","file":file()})).contains("resource"));
}

#[test]
fn method_must_be_known() {
    assert!(refused(json!({"file":file()})).contains("method"));
    assert!(refused(json!({"method":"ftp","file":file()})).contains("method"));
    refused(json!({"method":5,"file":file()}));
}

#[test]
fn file_must_be_sane() {
    refused(json!({"method":"s3"}));
    refused(json!({"method":"s3","file":"clip.mp4"}));
    for size in [json!(-1), json!(1.5), json!("10"), json!(null), json!(1e30)] {
        let msg = refused(json!({"method":"s3","file":{"name":"a.mp4","size":size}}));
        assert!(msg.contains("file.size"), "{msg}");
    }
    refused(json!({"method":"s3","file":{"name":"a.mp4"}}));
    assert!(refused(json!({"method":"s3","file":{"name":"","size":1}})).contains("file.name"));
    assert!(refused(json!({"method":"s3","file":{"name":"   ","size":1}})).contains("file.name"));
    refused(json!({"method":"s3","file":{"size":1}}));
    refused(json!({"method":"s3","file":{"name":"a\nb","size":1}}));
    refused(json!({"method":"s3","file":{"name":"a","size":1,"type":7}}));
    let long = "é".repeat(256);
    assert!(refused(json!({"method":"s3","file":{"name":long,"size":1}})).contains("255"));
    plan(json!({"method":"s3","file":{"name":"é".repeat(255),"size":0}}));
}

#[test]
fn size_limits_follow_the_docs() {
    // "less than 5GB": the core's S3_LIMIT, refused at and over it, as the core does.
    let five_gib: u64 = 5 * 1024 * 1024 * 1024;
    assert_eq!(five_gib, jw_upload_core::method::S3_LIMIT);
    plan(json!({"method":"s3","file":{"name":"a","size":five_gib - 1}}));
    assert!(refused(json!({"method":"s3","file":{"name":"a","size":five_gib}})).contains("5 GB"));
    plan(json!({"method":"multipart","file":{"name":"a","size":five_gib * 5}}));
    refused(json!({"method":"multipart","file":{"name":"a","size":five_gib * 5 + 1}}));
    // direct is one S3 PUT as well: the same limit.
    plan(json!({"method":"direct","file":{"name":"a","size":five_gib - 1}}));
    let msg = refused(json!({"method":"direct","file":{"name":"a","size":five_gib}}));
    assert!(msg.contains("5 GB limit of direct"), "{msg}");
}

#[test]
fn direct_is_a_v2_media_create_without_mime_type() {
    let body = match plan(json!({"method":"direct",
        "file":{"name":"a.mp4","size":5,"type":"video/mp4"},"metadata":{"title":"D"}}))
    {
        PlatformCall::V2Create { body } => body,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        body,
        json!({"upload":{"method":"direct"},"metadata":{"title":"D"}})
    );
    // A direct link is renewed by a new create, never by naming the media.
    let msg = refused(json!({"method":"direct","file":file(),"media_id":"k1"}));
    assert!(msg.contains("direct link by a new create"), "{msg}");
}

#[test]
fn each_method_needs_its_generation_credentials() {
    let only = |v1: bool, v2: bool| Rules {
        apis: Apis { v1, v2 },
        ..open()
    };
    let forbidden = |body: Value, rules: &Rules| {
        let e = plan_upload(body.to_string().as_bytes(), rules)
            .err()
            .unwrap_or_else(|| panic!("{body} was accepted"));
        assert_eq!((e.status.as_u16(), e.code), (403, "not_enabled"), "{body}");
        e.message
    };
    let v2_only = only(false, true);
    for m in ["direct", "multipart"] {
        let body = json!({"method": m, "file": file()});
        assert!(
            plan_upload(body.to_string().as_bytes(), &v2_only).is_ok(),
            "{m}"
        );
        let msg = forbidden(body, &only(true, false));
        assert!(msg.contains("needs the v2 secret"), "{msg}");
    }
    let fetch = json!({"method":"fetch","download_url":"https://cdn.example/a.mp4"});
    assert!(plan_upload(fetch.to_string().as_bytes(), &v2_only).is_ok());
    forbidden(fetch, &only(true, false));
    for m in ["s3", "form", "resumable"] {
        let body = json!({"method": m, "file": file()});
        assert!(plan_upload(body.to_string().as_bytes(), &only(true, false)).is_ok());
        let msg = forbidden(body, &v2_only);
        assert!(msg.contains("needs the v1 API key and secret"), "{msg}");
    }
    forbidden(
        json!({"resource":"thumbnail","video_key":"k1","file":file()}),
        &v2_only,
    );
}

#[test]
fn download_url_is_http_for_fetch_only() {
    refused(json!({"method":"fetch"}));
    for bad in [
        "ftp://x/y",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "not a url",
        "http://",
    ] {
        let msg = refused(json!({"method":"fetch","download_url":bad}));
        assert!(msg.contains("download_url"), "{bad}: {msg}");
    }
    assert!(
        refused(json!({"method":"s3","file":file(),"download_url":"https://x/y"}))
            .contains("fetch")
    );
    plan(json!({"method":"fetch","download_url":"http://127.0.0.1:8000/x.mp4","file":file()}));
}

#[test]
fn metadata_cannot_override_what_the_backend_sets() {
    for key in [
        "api_key",
        "api_signature",
        "upload_method",
        "video_key",
        "download_url",
    ] {
        let msg = refused(json!({"method":"s3","file":file(),"metadata":{key: "x"}}));
        assert!(msg.contains(key), "{msg}");
    }
    refused(json!({"method":"s3","file":file(),"metadata":{"bad name":"x"}}));
    // The deny list's gaps of old: other case, other names, custom and dates.
    for key in [
        "DOWNLOAD_URL",
        "sourceurl",
        "redirect_address",
        "md5",
        "custom.x",
        "date",
        "publish_start_date",
        "expires_date",
    ] {
        let msg = refused(json!({"method":"s3","file":file(),"metadata":{key: "x"}}));
        assert!(msg.contains(key) && msg.contains("not a field"), "{msg}");
        let msg = refused(json!({"method":"multipart","file":file(),"metadata":{key: "x"}}));
        assert!(msg.contains(key), "v2 {msg}");
    }
    refused(json!({"method":"s3","file":file(),"metadata":{"tags":["a"]}}));
    refused(json!({"method":"s3","file":file(),"metadata":"title"}));
}

#[test]
fn ids_are_checked() {
    refused(json!({"method":"s3","file":file(),"media_id":"../etc"}));
    refused(json!({"method":"s3","file":file(),"media_id":""}));
    refused(json!({"resource":"track","file":file(),"video_key":"a b"}));
}

#[test]
fn the_body_must_be_a_json_object() {
    for body in ["", "[]", "\"s3\"", "{", "null"] {
        let e = plan_upload(body.as_bytes(), &open()).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "bad_request"), "{body}");
    }
}

#[test]
fn fetch_ignores_an_empty_file_description_and_titles_from_the_url() {
    let body = match plan(
        json!({"method":"fetch","download_url":"http://127.0.0.1:8000/dir/My%20Clip.mp4",
        "file":{"name":"","size":0,"type":""},"metadata":null}),
    ) {
        PlatformCall::V2Create { body } => body,
        other => panic!("{other:?}"),
    };
    assert_eq!(body["metadata"], json!({"title":"My Clip.mp4"}));
    let body = match plan(
        json!({"method":"fetch","download_url":"http://127.0.0.1:8000/","metadata":{"title":"Kept"}}),
    ) {
        PlatformCall::V2Create { body } => body,
        other => panic!("{other:?}"),
    };
    assert_eq!(body["metadata"], json!({"title":"Kept"}));
    // A named file is still checked.
    refused(json!({"method":"fetch","download_url":"http://h/x","file":{"name":"a","size":-1}}));
}

#[test]
fn metadata_values_follow_the_character_and_length_rules() {
    for bad in ["a\u{0}b", "a\rb", "x\u{1b}[31m"] {
        let msg = refused(json!({"method":"s3","file":file(),"metadata":{"title": bad}}));
        assert!(msg.contains("title"), "{bad}: {msg}");
    }
    for bad in ["<script>", "a\u{0}b", "a\rb", "x\u{1b}[31m"] {
        refused(json!({"method":"multipart","file":file(),"metadata":{"author": bad}}));
        refused(json!({"method":"s3","file":file(),"metadata":{"description": bad}}));
    }
    // A title is a file name by default, and file names may hold '<' and '>'.
    plan(json!({"method":"s3","file":{"name":"<b>.mp4","size":1}}));
    refused(json!({"method":"s3","file":file(),"metadata":{"author": "a".repeat(256)}}));
    // A description may have lines.
    plan(json!({"method":"s3","file":file(),"metadata":{"description": "one\ntwo"}}));
    // v2 tags may be a list of strings.
    plan(json!({"method":"multipart","file":file(),"metadata":{"tags": ["a", "b"]}}));
}

#[test]
fn custom_params_only_when_enabled() {
    let mut rules = open();
    refused_with(
        json!({"method":"s3","file":file(),"metadata":{"custom.team":"a"}}),
        &rules,
    );
    rules.metadata.custom_params = true;
    let call = plan_upload(
        json!({"method":"s3","file":file(),"metadata":{"custom.team":"a"}})
            .to_string()
            .as_bytes(),
        &rules,
    )
    .map(|p| p.call);
    let Ok(PlatformCall::V1 { params, .. }) = call else {
        panic!("{call:?}");
    };
    assert!(params.contains(&p("custom.team", "a")));
    refused_with(
        json!({"method":"s3","file":file(),"metadata":{"custom.a b":"x"}}),
        &rules,
    );
    let call = plan_upload(
        json!({"method":"multipart","file":file(),"metadata":{"custom_params":{"team":"a"}}})
            .to_string()
            .as_bytes(),
        &rules,
    )
    .map(|p| p.call);
    let Ok(PlatformCall::V2Create { body }) = call else {
        panic!("{call:?}");
    };
    assert_eq!(body["metadata"]["custom_params"], json!({"team":"a"}));
}

#[test]
fn unknown_request_fields_are_named() {
    let msg = refused(json!({"method":"s3","file":file(),"sourceurl":"http://x"}));
    assert!(msg.contains("sourceurl"), "{msg}");
    let msg = refused(json!({"method":"s3","file":{"name":"a","size":1,"path":"/etc"}}));
    assert!(msg.contains("path"), "{msg}");
}

#[test]
fn image_skin_and_fetch_are_off_by_default() {
    let closed = Rules::default();
    for body in [
        json!({"resource":"image","file":file()}),
        json!({"resource":"skin","file":file()}),
        json!({"method":"fetch","download_url":"https://example.com/a.mp4"}),
    ] {
        let e = plan_upload(body.to_string().as_bytes(), &closed).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (403, "not_enabled"), "{body}");
    }
}

#[test]
fn a_huge_v1_call_is_refused_as_too_large_not_a_502() {
    let mut rules = open();
    rules.metadata.custom_params = true;
    let mut metadata = serde_json::Map::new();
    for i in 0..100 {
        metadata.insert(format!("custom.f{i}"), json!("é".repeat(250)));
    }
    let e = plan_upload(
        json!({"method":"s3","file":file(),"metadata":metadata})
            .to_string()
            .as_bytes(),
        &rules,
    )
    .unwrap_err();
    assert_eq!(e.status.as_u16(), 413);
}

#[test]
fn allowed_types_are_checked_for_video_files_only() {
    let rules = Rules {
        allowed_types: "video/*, .mkv".into(),
        ..open()
    };
    let ok = |body: Value| plan_upload(body.to_string().as_bytes(), &rules).is_ok();
    assert!(ok(json!({"method":"s3","file":file()})));
    assert!(ok(
        json!({"method":"multipart","file":{"name":"a.MKV","size":9,"type":""}})
    ));
    // A caption track is not a video file: the list does not apply to it.
    assert!(ok(
        json!({"method":"form","resource":"track","video_key":"abcd1234","file":{"name":"a.vtt","size":9,"type":"text/vtt"}})
    ));
    assert!(ok(
        json!({"method":"fetch","download_url":"https://cdn.example/a.mp4"})
    ));
    for (name, ty) in [("notes.txt", "text/plain"), ("doc.pdf", "application/pdf")] {
        let body = json!({"method":"s3","file":{"name":name,"size":9,"type":ty}});
        let e = plan_upload(body.to_string().as_bytes(), &rules).unwrap_err();
        assert_eq!(e.status, 415, "{body}");
        assert_eq!(
            e.message,
            format!("file type not allowed: this backend takes video/*, .mkv and this is {ty}")
        );
    }
    // Not set: any type.
    assert!(plan_upload(
        json!({"method":"s3","file":{"name":"notes.txt","size":9,"type":"text/plain"}})
            .to_string()
            .as_bytes(),
        &open()
    )
    .is_ok());
}
