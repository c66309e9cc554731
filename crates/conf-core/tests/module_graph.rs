//! conf-core's top-level modules import one another without cycles (issue 13).
//!
//! Reads `src/**/*.rs`, collects the `crate::<module>` paths each top-level
//! module names (`layers/retry.rs` counts as `layers`; names re-exported at the
//! crate root, such as `crate::Error`, count as the module they come from) and
//! fails on any cycle. Comments, string literals and `#[cfg(test)]` items are
//! ignored: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Edges allowed to close a cycle, each with the reason it is still there.
/// Empty: every cycle has been removed. Adding an entry needs a comment naming
/// the cycle it closes (e.g. `("operation", "auth")` for `auth -> request -> operation -> auth`).
const ALLOWED_BACK_EDGES: &[(&str, &str)] = &[];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The source with comments removed and string/char literals emptied, so
/// braces and paths inside them do not count.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0usize;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == b'r' && matches!(b.get(i + 1), Some(b'"' | b'#')) && (i == 0 || !is_ident(b[i - 1])) {
            // Raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) == Some(&b'"') {
                let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                j += 1;
                while j < b.len() && !b[j..].starts_with(&close) {
                    j += 1;
                }
                out.push_str("\"\"");
                i = j + close.len();
            } else {
                out.push('r');
                i += 1;
            }
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == b'\'' {
            // A char literal ('x', '\n', '{') or a lifetime ('a).
            if b.get(i + 1) == Some(&b'\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != b'\'' {
                    j += 1;
                }
                out.push_str("' '");
                i = j + 1;
            } else if let Some(len) = src[i + 1..].chars().next().map(char::len_utf8)
                && b.get(i + 1 + len) == Some(&b'\'')
            {
                out.push_str("' '");
                i += len + 2;
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            let ch = src[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `code` without the items marked `#[cfg(test)]`.
fn without_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        // The item ends at its first `;` outside braces or at its closing brace.
        let mut depth = 0usize;
        let mut end = item.len();
        for (k, ch) in item.char_indices().skip("#[cfg(test)]".len()) {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The first segments of the paths named after each `crate::` in `code`
/// (`crate::a::b` gives `a`; `crate::{a::b, C}` gives `a` and `C`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if at > 0 && is_ident(code.as_bytes()[at - 1]) {
            continue;
        }
        let tail = code[at + "crate::".len()..].trim_start();
        if let Some(group) = tail.strip_prefix('{') {
            // Split the group at its top-level commas; each entry's first segment is a name.
            let mut depth = 0usize;
            let mut entry = String::new();
            let mut entries = Vec::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => entries.push(std::mem::take(&mut entry)),
                    c => entry.push(c),
                }
            }
            entries.push(entry);
            for e in entries {
                let name: String = e.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    names.push(name);
                }
            }
        } else {
            let name: String = tail.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                names.push(name);
            }
        }
    }
    names
}

/// Names re-exported at the crate root (`pub use error::{Error, ..}`), mapped to their module.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(path) = stmt.trim().strip_prefix("pub use ") else { continue };
        let Some((module, names)) = path.split_once("::") else { continue };
        let names = names.trim().trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.trim().rsplit("::").next().unwrap_or_default().trim();
            if !name.is_empty() {
                map.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    map
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The import graph between conf-core's top-level modules.
fn module_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = code_only(&std::fs::read_to_string(src.join("lib.rs")).expect("read lib.rs"));
    let reexports = root_reexports(&lib);
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let module_of = |p: &Path| -> String {
        let rel = p.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("non-empty").as_os_str().to_string_lossy().into_owned();
        first.trim_end_matches(".rs").to_owned()
    };
    let modules: BTreeSet<String> = files.iter().map(|p| module_of(p)).filter(|m| m != "lib").collect();
    let mut graph = Graph::new();
    for file in &files {
        let from = module_of(file);
        if from == "lib" {
            continue;
        }
        let code = without_test_items(&code_only(&std::fs::read_to_string(file).expect("read source")));
        let targets = graph.entry(from.clone()).or_default();
        for name in crate_paths(&code) {
            let to = if modules.contains(&name) { Some(name) } else { reexports.get(&name).cloned() };
            if let Some(to) = to
                && to != from
            {
                targets.insert(to);
            }
        }
    }
    graph
}

/// One cycle of `graph` (as a path that starts and ends at the same module), if any.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit<'a>(node: &'a str, graph: &'a Graph, stack: &mut Vec<&'a str>, done: &mut BTreeSet<&'a str>) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = stack[at..].iter().map(|s| (*s).to_owned()).collect();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

fn without_allowed(mut graph: Graph) -> Graph {
    for (from, to) in ALLOWED_BACK_EDGES {
        if let Some(t) = graph.get_mut(*from) {
            t.remove(*to);
        }
    }
    graph
}

#[test]
fn conf_core_modules_have_no_import_cycle() {
    let graph = module_graph();
    // The scan sees the request path's layering (guards against a parser that finds nothing).
    for (from, to) in [("client", "layers"), ("layers", "attempt"), ("client", "attempt"), ("request", "body"), ("codegen", "error")] {
        assert!(graph.get(from).is_some_and(|t| t.contains(to)), "expected edge {from} -> {to} in {graph:#?}");
    }
    for (from, to) in ALLOWED_BACK_EDGES {
        assert!(graph.get(*from).is_some_and(|t| t.contains(*to)), "allowlisted edge {from} -> {to} is gone: remove it from the list");
    }
    if let Some(cycle) = find_cycle(&without_allowed(graph.clone())) {
        panic!("import cycle between conf-core modules: {}\ngraph: {graph:#?}", cycle.join(" -> "));
    }
}

#[test]
fn the_checker_finds_a_new_cycle() {
    let mut graph = module_graph();
    // What used to be there: the layers reaching back into the client for `Shared`.
    graph.entry("layers".to_owned()).or_default().insert("client".to_owned());
    let cycle = find_cycle(&without_allowed(graph)).expect("cycle found");
    assert_eq!(cycle.first(), cycle.last());
    assert!(cycle.contains(&"layers".to_owned()) && cycle.contains(&"client".to_owned()), "{cycle:?}");
}

#[test]
fn parser_ignores_comments_strings_and_test_items() {
    let src = r#"
        //! See crate::client for details.
        use crate::{error::Error, Operation, layers::{http, retry}};
        use crate::config::ClientConfig;
        /// Links to crate::stream.
        fn f() -> &'static str { let _c = '{'; "crate::negotiate {" }
        #[cfg(test)]
        mod tests { use crate::client::Client; fn g() { let _ = "}"; } }
        #[cfg(test)]
        use crate::tasks::X;
        fn h() { crate::redirect::send(); }
    "#;
    let names = crate_paths(&without_test_items(&code_only(src)));
    assert_eq!(names, ["error", "Operation", "layers", "config", "redirect"]);
}
