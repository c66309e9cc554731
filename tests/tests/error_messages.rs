//! Errors that point the right way (issue 11, §4): a base URL the vendor cannot use is
//! refused at build time with a message that says how to fix it.

use conf_core::Error;
use moyun_api::MoyunClient;

fn build(url: &str) -> Result<MoyunClient, Error> {
    MoyunClient::builder("key", "12345678", "name", "888888").base_url(url).heartbeat_interval(None).build()
}

#[test]
fn moyun_wants_a_bare_host() {
    let e = build("http://10.0.0.1/api/v1").unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    let shown = e.to_string();
    assert!(shown.contains("bare host such as `http://10.0.0.1:80`") && shown.contains("remove `/api/v1`"), "{shown}");
    build("http://10.0.0.1/").unwrap();
    build("https://meet.example.com").unwrap();
}

#[test]
fn a_base_url_without_scheme_says_add_one() {
    for url in ["10.0.0.1", "meet.example.com:8080"] {
        let shown = build(url).unwrap_err().to_string();
        assert!(shown.contains("add http:// or https://"), "{url}: {shown}");
    }
}
