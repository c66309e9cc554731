//! Error-code tables: inline `[[error_codes]]` or a TSV file, turned into unique variant names.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};

use super::names;
use super::spec::{ErrorCodeDef, value_text};

/// One code of the generated enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: String,
    pub variant: String,
    pub zh: Option<String>,
    pub en: Option<String>,
    pub retryable: bool,
    pub scope: Option<String>,
}

/// Read a TSV table: a header row naming the columns (`code`, `name`, `zh`, `en`,
/// `retryable`, `scope`; also `meaning_zh`/`message_zh`, `meaning_en`/`message_en`),
/// then one code per line. `#` lines and blank lines are skipped.
pub fn parse_tsv(text: &str) -> Result<Vec<ErrorCodeDef>> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let (_, header) = lines.next().context("empty error table")?;
    let cols: Vec<String> = header.split('\t').map(|c| c.trim().to_ascii_lowercase()).collect();
    let col = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
    let code_col = col(&["code", "error_code"]).context("error table has no `code` column")?;
    let name_col = col(&["name", "variant"]);
    let zh_col = col(&["zh", "meaning_zh", "message_zh", "zh_cn"]);
    let en_col = col(&["en", "meaning_en", "message_en"]);
    let retry_col = col(&["retryable", "retry"]);
    let scope_col = col(&["scope"]);
    let mut out = Vec::new();
    for (no, line) in lines {
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        let get = |c: Option<usize>| c.and_then(|c| cells.get(c)).map(|s| (*s).to_owned()).filter(|s| !s.is_empty());
        let code = get(Some(code_col)).with_context(|| format!("line {}: no code", no + 1))?;
        let retryable = match get(retry_col).map(|s| s.to_ascii_lowercase()) {
            None => false,
            Some(s) if matches!(s.as_str(), "true" | "yes" | "1" | "y") => true,
            Some(s) if matches!(s.as_str(), "false" | "no" | "0" | "n") => false,
            Some(s) => bail!("line {}: retryable `{s}` is not a boolean", no + 1),
        };
        out.push(ErrorCodeDef {
            code: toml::Value::String(code),
            name: get(name_col),
            zh: get(zh_col),
            en: get(en_col),
            retryable,
            scope: get(scope_col),
        });
    }
    Ok(out)
}

/// Load a TSV file relative to the spec directory.
pub fn load_tsv(spec_dir: &Path, file: &str) -> Result<Vec<ErrorCodeDef>> {
    let path = spec_dir.join(file);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading error table {}", path.display()))?;
    parse_tsv(&text).with_context(|| format!("parsing error table {}", path.display()))
}

/// Assign every code a unique, valid variant name. A missing name becomes `E<code>`
/// (`Neg2` for `-2`); a clash is resolved with the scope (`VrsE24102`), then a number.
pub fn resolve(defs: &[ErrorCodeDef]) -> Result<Vec<ErrorCode>> {
    let mut seen = names::Deduper::default();
    seen.reserve("Unknown");
    let mut out = Vec::new();
    let mut pairs = std::collections::BTreeSet::new();
    for d in defs {
        let code = value_text(&d.code).context("error code must be a string or integer")?.trim().to_owned();
        ensure!(!code.is_empty(), "empty error code");
        ensure!(
            pairs.insert((d.scope.clone(), code.clone())),
            "error code `{code}` is listed twice{}",
            d.scope.as_deref().map(|s| format!(" in scope `{s}`")).unwrap_or_default()
        );
        let base = match &d.name {
            Some(n) => names::type_name(n),
            None => code_name(&code),
        };
        let variant = if seen.contains(&base) {
            match &d.scope {
                Some(s) => seen.unique(&format!("{}{base}", names::pascal(s))),
                None => seen.unique(&base),
            }
        } else {
            seen.unique(&base)
        };
        out.push(ErrorCode { code, variant, zh: d.zh.clone(), en: d.en.clone(), retryable: d.retryable, scope: d.scope.clone() });
    }
    Ok(out)
}

/// `10002` -> `E10002`, `-2` -> `Neg2`, `A.1` -> `EA1`.
pub fn code_name(code: &str) -> String {
    let (neg, digits) = match code.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, code),
    };
    let clean: String = digits.chars().filter(char::is_ascii_alphanumeric).collect();
    let clean = clean.to_ascii_uppercase();
    if neg { format!("Neg{clean}") } else { format!("E{clean}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_without_names_derives_them_and_dedupes_by_scope() {
        let defs = parse_tsv(
            "code\tscope\tmeaning_zh\n10001\tplatform\t软件认证失败\n-2\tplatform\t缺少参数\n24102\tplatform\ta\n24102\tvrs\tb\n",
        )
        .unwrap();
        let codes = resolve(&defs).unwrap();
        let v: Vec<&str> = codes.iter().map(|c| c.variant.as_str()).collect();
        assert_eq!(v, ["E10001", "Neg2", "E24102", "VrsE24102"]);
        assert_eq!(codes[0].zh.as_deref(), Some("软件认证失败"));
        assert!(!codes[0].retryable);
    }

    #[test]
    fn named_table_with_retryable() {
        let defs = parse_tsv("code\tname\tzh\ten\tretryable\n20003\tMcu Busy\t忙\tbusy\ttrue\n20004\tMcuBusy\t忙\tbusy\t0\n").unwrap();
        let codes = resolve(&defs).unwrap();
        assert_eq!(codes[0].variant, "McuBusy");
        assert_eq!(codes[1].variant, "McuBusy2");
        assert!(codes[0].retryable && !codes[1].retryable);
        assert!(parse_tsv("code\tretryable\n1\tmaybe\n").is_err());
        let dup = parse_tsv("code\n1\n1\n").unwrap();
        assert!(resolve(&dup).is_err());
    }

    #[test]
    fn unknown_is_reserved() {
        let defs = vec![ErrorCodeDef {
            code: toml::Value::Integer(1),
            name: Some("Unknown".into()),
            zh: None,
            en: None,
            retryable: false,
            scope: None,
        }];
        assert_eq!(resolve(&defs).unwrap()[0].variant, "Unknown2");
    }
}
