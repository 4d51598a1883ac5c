//! sign_v1 against vectors computed independently (Python hashlib + urllib.parse.quote).

use jw_upload_backend::{canonical_query, pct_encode, sign_v1};

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn signature_matches_the_python_vector() {
    // python3: sorted quote(k, safe='') = quote(v, safe='') pairs, sha1(base + secret).
    let p = params(&[
        ("title", "My Uploaded Video ünï/&=+~*"),
        ("upload_method", "s3"),
        ("api_format", "json"),
        ("api_key", "simkey01"),
        ("api_nonce", "12345678"),
        ("api_timestamp", "1700000000"),
    ]);
    assert_eq!(
        canonical_query(&p),
        "api_format=json&api_key=simkey01&api_nonce=12345678&api_timestamp=1700000000\
         &title=My%20Uploaded%20Video%20%C3%BCn%C3%AF%2F%26%3D%2B~%2A&upload_method=s3"
    );
    assert_eq!(
        sign_v1(&p, "sim-v1-secret"),
        "7fd5a733476f72b2efc1d92fe4ccd88173c3b381"
    );
}

#[test]
fn signature_matches_the_classic_v1_documentation_example() {
    let p = params(&[
        ("text", "démo"),
        ("api_nonce", "80684843"),
        ("api_timestamp", "1237387851"),
        ("api_key", "XOqEAfxj"),
        ("api_format", "xml"),
    ]);
    assert_eq!(
        sign_v1(&p, "uA96CFtJa138E2T5GhKfngml"),
        "fbdee51a45980f9876834dc5ee1ec5e93f67cb89"
    );
}

#[test]
fn an_existing_api_signature_parameter_is_ignored() {
    let mut p = params(&[("b", "2"), ("a", "1")]);
    let without = sign_v1(&p, "s");
    p.push(("api_signature".into(), "deadbeef".into()));
    assert_eq!(sign_v1(&p, "s"), without);
    assert_eq!(canonical_query(&p), "a=1&b=2");
}

#[test]
fn sorting_is_by_encoded_name_then_value() {
    let p = params(&[("b", "y"), ("a b", "1"), ("b", "x"), ("A", "z")]);
    assert_eq!(canonical_query(&p), "A=z&a%20b=1&b=x&b=y");
}

#[test]
fn pct_encoding_is_rfc_3986() {
    assert_eq!(pct_encode("AZaz09-._~"), "AZaz09-._~");
    assert_eq!(
        pct_encode(" !*'()+,/:;=?@[]&%"),
        "%20%21%2A%27%28%29%2B%2C%2F%3A%3B%3D%3F%40%5B%5D%26%25"
    );
    assert_eq!(pct_encode("é"), "%C3%A9");
    assert_eq!(pct_encode(""), "");
}

#[test]
fn signature_is_lower_case_hex_sha1() {
    let sig = sign_v1(&[], "secret");
    assert_eq!(sig.len(), 40);
    assert!(sig
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    // sha1("secret") — the base string of no parameters is empty.
    assert_eq!(sig, "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4");
}
