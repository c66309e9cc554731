//! The generated error-code enum is the vendor document's table: every row, same
//! Chinese text, an English meaning, and codes that round-trip.

use std::path::PathBuf;

use webapi::ErrorCode;

/// The `| code | meaning |` rows of the document's 错误码参考 table.
fn document_rows() -> Vec<(String, String)> {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let name = "002_fd5e4e9625976c96.txt";
    let candidates = [crate_dir.join("../../../shared/vendor-docs").join(name), crate_dir.join("../../shared/vendor-docs").join(name)];
    let Some(path) = candidates.iter().find(|p| p.is_file()) else {
        panic!(
            "the vendor document {name} is missing: looked for {} and {} (shared/ lives beside the clone)",
            candidates[0].display(),
            candidates[1].display()
        )
    };
    let text = std::fs::read_to_string(path).unwrap();
    let table = text.split("错误码参考").nth(1).expect("the document has an error-code table");
    table
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim().trim_matches('|').split('|').map(str::trim).collect();
            (cells.len() == 2 && cells[0].bytes().all(|b| b.is_ascii_digit()) && !cells[0].is_empty())
                .then(|| (cells[0].to_owned(), cells[1].to_owned()))
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
