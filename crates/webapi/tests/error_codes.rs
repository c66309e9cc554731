//! The generated error-code enum is the vendor document's table: every row, same
//! Chinese text, an English meaning, and codes that round-trip.

use std::path::PathBuf;

use webapi::ErrorCode;

/// The rows of the document's 错误码参考 table, as extracted into
/// `tests/data/error-codes-002.tsv` (see `tests/data/README.md`).
fn document_rows() -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/error-codes-002.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    assert_eq!(lines.next(), Some("code\tzh"), "header of {}", path.display());
    lines
        .map(|l| {
            let (code, zh) = l.split_once('\t').unwrap_or_else(|| panic!("not `code<TAB>zh`: {l}"));
            assert!(!code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()), "code {code:?} is not numeric");
            (code.to_owned(), zh.to_owned())
        })
        .collect()
}

#[test]
fn every_documented_code_is_in_the_enum() {
    let rows = document_rows();
    assert_eq!(rows.len(), 77, "the document lists 77 codes");
    for (code, zh) in &rows {
        let e = ErrorCode::from_code(code);
        assert!(!matches!(e, ErrorCode::Unknown(_)), "{code} is missing from the enum");
        assert_eq!(e.code(), code);
        assert_eq!(e.zh(), Some(zh.as_str()), "Chinese meaning of {code}");
        assert!(e.en().is_some_and(|en| !en.is_empty()), "English meaning of {code}");
        assert_eq!(e.is_retryable(), code == "9999", "only 9999 (系统繁忙请重试) is transient");
    }
    assert_eq!(ErrorCode::from_code("12345"), ErrorCode::Unknown("12345".into()));
}
