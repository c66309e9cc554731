//! `cargo xtask codegen [--check]`: Rust and markdown from the endpoint specs
//! (format: `docs/codegen.md`).

mod docs;
mod errors;
mod every_endpoint;
mod model;
mod names;
mod rust;
pub mod spec;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};
use quote::quote;

pub use errors::ErrorCode;

/// Resolved `[service]` of one spec file.
#[derive(Debug, Clone)]
pub struct Service {
    pub vendor: String,
    pub client: String,
    /// Path of the vendor's deserializer (`fn<T: DeserializeOwned>(&Operation, &RawResponse) -> Result<T>`).
    pub decode: String,
    pub title: String,
    /// Sub-client (`client.<group>()`) holding this file's calls; none: on the client.
    pub group: Option<String>,
}

/// A generated error-code enum.
#[derive(Debug, Clone)]
pub struct ErrorEnum {
    pub name: String,
    pub codes: Vec<ErrorCode>,
}

/// One spec directory and where its output goes.
#[derive(Debug, Clone)]
pub struct Target {
    /// Crate directory name (`webapi`).
    pub crate_name: String,
    /// Spec directory, relative to the workspace root.
    pub spec_dir: PathBuf,
    /// Output directory of the Rust files, relative to the workspace root.
    pub out_dir: PathBuf,
    /// Markdown table, relative to the workspace root (none for test specs).
    pub docs: Option<PathBuf>,
}

/// Every `crates/*/spec/` directory, plus conf-core's test spec.
pub fn discover(root: &Path) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    let crates = root.join("crates");
    let mut dirs: Vec<_> = std::fs::read_dir(&crates)
        .with_context(|| format!("reading {}", crates.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if dir.join("spec").is_dir() {
            targets.push(Target {
                crate_name: name.clone(),
                spec_dir: PathBuf::from(format!("crates/{name}/spec")),
                out_dir: PathBuf::from(format!("crates/{name}/src/generated")),
                docs: Some(PathBuf::from(format!("docs/endpoints/{name}.md"))),
            });
        }
    }
    if root.join("crates/conf-core/tests/codegen/spec").is_dir() {
        targets.push(Target {
            crate_name: "conf-core".into(),
            spec_dir: PathBuf::from("crates/conf-core/tests/codegen/spec"),
            out_dir: PathBuf::from("crates/conf-core/tests/codegen/generated"),
            docs: None,
        });
    }
    Ok(targets)
}

fn rel(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// Generate every file of a target: path (relative to root) -> contents.
pub fn generate(root: &Path, target: &Target, fmt: &Formatter) -> Result<BTreeMap<PathBuf, String>> {
    let spec_dir = root.join(&target.spec_dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&spec_dir)
        .with_context(|| format!("reading {}", spec_dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    ensure!(!files.is_empty(), "{}: no *.toml spec files", rel(&target.spec_dir));

    // Parse all files, resolve modules and services.
    let mut specs = Vec::new();
    let mut modules = std::collections::BTreeSet::new();
    let mut loaded: Vec<(PathBuf, spec::SpecFile)> = files.iter().map(|f| spec::load(f).map(|s| (f.clone(), s))).collect::<Result<_>>()?;
    spec::expand_groups(&mut loaded)?;
    spec::lint_flags(&loaded)?;
    // Crate-wide defaults: for each key, the first file (in name order) that sets it.
    let mut defaults = spec::Service::default();
    for (_, file) in &loaded {
        if let Some(s) = &file.service {
            for (d, v) in [
                (&mut defaults.vendor, &s.vendor),
                (&mut defaults.client, &s.client),
                (&mut defaults.decode, &s.decode),
                (&mut defaults.title, &s.title),
            ] {
                if d.is_none() {
                    d.clone_from(v);
                }
            }
        }
    }
    for (f, file) in loaded {
        let spec_path = format!("{}/{}", rel(&target.spec_dir), f.file_name().unwrap_or_default().to_string_lossy());
        let s = file.service.clone().unwrap_or_default();
        let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
        let merged = spec::Service {
            vendor: pick(&s.vendor, &defaults.vendor),
            client: pick(&s.client, &defaults.client),
            decode: pick(&s.decode, &defaults.decode),
            title: pick(&s.title, &defaults.title),
            module: s.module.clone(),
            doc: s.doc.clone(),
            group: s.group.clone(),
        };
        let module = names::snake(&s.module.clone().unwrap_or_else(|| f.file_stem().unwrap_or_default().to_string_lossy().into_owned()));
        ensure!(module != "support" && module != "mod", "{spec_path}: module name `{module}` is reserved");
        ensure!(modules.insert(module.clone()), "{spec_path}: module `{module}` is generated by two spec files");
        let service = Service {
            vendor: merged.vendor.clone().unwrap_or_default(),
            client: merged.client.clone().unwrap_or_default(),
            decode: merged.decode.clone().unwrap_or_else(|| "conf_core::pipeline::typed::decode_json".into()),
            title: merged.title.clone().unwrap_or_else(|| target.crate_name.clone()),
            group: merged.group.as_deref().map(names::snake),
        };
        if !file.endpoints.is_empty() {
            ensure!(!service.vendor.is_empty(), "{spec_path}: `[service] vendor` is required");
            ensure!(!service.client.is_empty(), "{spec_path}: `[service] client` is required");
        }
        specs.push((spec_path, module, service, merged.doc, file));
    }

    let mut reg = model::Registry::default();
    for (spec_path, module, _, _, file) in &specs {
        reg.collect(module, spec_path, file)?;
    }

    let mut out = BTreeMap::new();
    let mut mod_decls = Vec::new();
    let mut item_names: BTreeMap<String, String> = BTreeMap::new();
    let mut uses_file = false;
    let mut uses_support = false;
    let title = specs.first().map(|s| s.2.title.clone()).unwrap_or_default();
    let mut doc = docs::DocBuilder::new(&title, &target.crate_name);
    for (spec_path, module, service, mdoc, file) in &specs {
        let g = rust::ModuleGen { reg: &reg, module, service, spec_path };
        let mut names_here: Vec<String> = reg.order.get(module.as_str()).cloned().unwrap_or_default();
        let mut items = g.prelude(!names_here.is_empty(), !file.endpoints.is_empty())?;
        items.extend(g.types().with_context(|| spec_path.clone())?);
        let mut eps = std::collections::BTreeSet::new();
        for ep in &file.endpoints {
            ensure!(eps.insert(names::snake(&ep.name)), "{spec_path}: endpoint `{}` is defined twice", ep.name);
            items.extend(g.endpoint(ep).with_context(|| format!("{spec_path}: endpoint `{}`", ep.name))?);
            names_here.push(format!("{}Request", names::pascal(&ep.name)));
            names_here.push(format!("{}RequestBuilder", names::pascal(&ep.name)));
            uses_file |= ep.params.iter().any(|p| p.ty.contains("file"));
        }
        if let Some(h) = g.group_handle() {
            items.extend(h);
            names_here.push(rust::group_ident(service.group.as_deref().unwrap_or_default()).to_string());
        }
        let mut defs = file.error_codes.clone();
        let mut enum_name = "ErrorCode".to_owned();
        if let Some(t) = &file.error_table {
            defs.extend(errors::load_tsv(&spec_dir, &t.file).with_context(|| spec_path.clone())?);
            if let Some(n) = &t.enum_name {
                enum_name = names::type_name(n);
            }
        }
        let error_enum = if defs.is_empty() {
            None
        } else {
            let codes = errors::resolve(&defs).with_context(|| format!("{spec_path}: error codes"))?;
            Some(ErrorEnum { name: enum_name, codes })
        };
        // The error table is text kept one row a line, appended after formatting.
        let mut error_table = String::new();
        if let Some(e) = &error_enum {
            let generated = g.error_enum(e);
            items.extend(generated.items);
            error_table = generated.table;
            names_here.push(e.name.clone());
            doc.module(module, spec_path, service.group.as_deref(), &file.endpoints)?;
            doc.errors(e);
        } else {
            doc.module(module, spec_path, service.group.as_deref(), &file.endpoints)?;
        }
        for n in &names_here {
            if let Some(other) = item_names.insert(n.clone(), module.clone()) {
                if other != *module {
                    bail!("{spec_path}: `{n}` is also generated in module `{other}`; names must be unique in a crate");
                }
            }
        }
        let module_doc = mdoc.clone().unwrap_or_else(|| format!("Generated from `{spec_path}`."));
        let mdoc_lines: Vec<String> = rust::doc_lines(&module_doc);
        let header = format!(
            "// @generated by `cargo xtask codegen` from {spec_path}. Do not edit.\n{}\n",
            mdoc_lines.iter().map(|l| if l.is_empty() { "//!".to_owned() } else { format!("//! {l}") }).collect::<Vec<_>>().join("\n")
        );
        let mut code = fmt.render(&header, items).with_context(|| format!("{spec_path}: formatting"))?;
        if !error_table.is_empty() {
            code.push('\n');
            code.push_str(&error_table);
        }
        uses_support |= code.contains("super::support::");
        out.insert(target.out_dir.join(format!("{module}.rs")), code);
        mod_decls.push((module.clone(), !names_here.is_empty()));
    }

    if let Some((path, code)) = every_endpoint::generate(target, &reg, &specs, fmt)? {
        out.insert(path, code);
    }

    // mod.rs
    let glob = format!("{}/*.toml", rel(&target.spec_dir));
    let mut m = format!(
        "// @generated by `cargo xtask codegen` from {glob}. Do not edit.\n//! Types and client methods generated from `{glob}` (see `docs/codegen.md`).\n\n"
    );
    if uses_support || uses_file {
        m.push_str("use conf_core::codegen as support;\n");
    }
    for (module, _) in &mod_decls {
        m.push_str(&format!("mod {};\n", names::raw_ident(module)));
    }
    m.push('\n');
    for (module, has_items) in &mod_decls {
        if *has_items {
            m.push_str(&format!("pub use {}::*;\n", names::raw_ident(module)));
        }
    }
    if uses_file {
        m.push_str("pub use support::FilePart;\n");
    }
    out.insert(target.out_dir.join("mod.rs"), fmt.rustfmt(&m)?);
    if let Some(d) = &target.docs {
        out.insert(d.clone(), doc.finish());
    }
    Ok(out)
}

/// Pretty-printing and rustfmt.
pub struct Formatter {
    rustfmt: String,
    config: Option<PathBuf>,
}

impl Formatter {
    /// Use the repository's `rustfmt.toml` when there is one.
    pub fn new(root: &Path) -> Self {
        let config = ["rustfmt.toml", ".rustfmt.toml"].iter().map(|n| root.join(n)).find(|p| p.is_file());
        Self { rustfmt: std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()), config }
    }

    /// Header + pretty-printed items, through rustfmt.
    pub fn render(&self, header: &str, items: proc_macro2::TokenStream) -> Result<String> {
        let file: syn::File = syn::parse2(quote!(#items)).context("generated tokens do not parse (generator bug)")?;
        let pretty = space_items(&prettyplease::unparse(&file));
        self.rustfmt(&format!("{header}\n{pretty}"))
    }

    /// Run rustfmt (edition 2024, repository config) over `code`.
    pub fn rustfmt(&self, code: &str) -> Result<String> {
        let mut cmd = Command::new(&self.rustfmt);
        cmd.args(["--edition", "2024", "--emit", "stdout"]);
        if let Some(c) = &self.config {
            cmd.arg("--config-path").arg(c);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {} (install it with `rustup component add rustfmt`)", self.rustfmt))?;
        let mut stdin = child.stdin.take().context("rustfmt stdin")?;
        let input = code.to_owned();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let output = child.wait_with_output()?;
        writer.join().map_err(|_| anyhow::anyhow!("rustfmt writer panicked"))??;
        if !output.status.success() {
            bail!("rustfmt failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let text = String::from_utf8(output.stdout)?;
        // `--emit stdout` with stdin input prints the code only.
        Ok(text)
    }
}

/// A blank line between consecutive items (prettyplease packs them).
pub fn space_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 16);
    let mut prev = "";
    for line in code.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim_start();
        let prev_closes = prev.trim_start() == "}" && prev.len() - prev.trim_start().len() == indent;
        let starts_item =
            ["///", "#[", "pub ", "impl", "fn ", "async ", "mod ", "use ", "const ", "struct ", "enum "].iter().any(|p| t.starts_with(p));
        if prev_closes && starts_item {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        prev = line;
    }
    out
}

/// Outcome of comparing generated files with the tree.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff {
    pub stale: Vec<PathBuf>,
    pub missing: Vec<PathBuf>,
    pub extra: Vec<PathBuf>,
}

impl Diff {
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// Compare expected files with what is on disk (plus stray `*.rs` in output dirs).
pub fn diff(root: &Path, expected: &BTreeMap<PathBuf, String>, out_dirs: &[PathBuf]) -> Diff {
    let mut d = Diff::default();
    for (path, text) in expected {
        match std::fs::read_to_string(root.join(path)) {
            Ok(old) if old == *text => {}
            Ok(_) => d.stale.push(path.clone()),
            Err(_) => d.missing.push(path.clone()),
        }
    }
    for dir in out_dirs {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            let mut found: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| dir.join(e.file_name())).collect();
            found.sort();
            for f in found {
                if f.extension().is_some_and(|e| e == "rs") && !expected.contains_key(&f) {
                    d.extra.push(f);
                }
            }
        }
    }
    d
}

/// `cargo xtask codegen [--check]`. Returns whether the tree is (now) up to date.
pub fn run(root: &Path, check: bool, only: Option<&str>) -> Result<bool> {
    let fmt = Formatter::new(root);
    let mut targets = discover(root)?;
    if let Some(only) = only {
        targets.retain(|t| t.crate_name == only || rel(&t.spec_dir).contains(only));
        ensure!(!targets.is_empty(), "no spec directory matches `{only}`");
    }
    let mut expected = BTreeMap::new();
    let mut failures = Vec::new();
    let mut out_dirs = Vec::new();
    for t in &targets {
        match generate(root, t, &fmt) {
            Ok(files) => {
                expected.extend(files);
                out_dirs.push(t.out_dir.clone());
            }
            // One broken spec directory must not hold up the others.
            Err(e) => failures.push(format!("{}: {e:#}", rel(&t.spec_dir))),
        }
    }
    let ok = write_or_check(root, check, &expected, &out_dirs)?;
    for (dir, lines) in generated_lines(&expected, &out_dirs) {
        println!("{}: {lines} generated lines", rel(&dir));
    }
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("error: {f}");
        }
        bail!("{} spec director{} failed to generate", failures.len(), if failures.len() == 1 { "y" } else { "ies" });
    }
    Ok(ok)
}

/// Lines of generated Rust per output directory (what `cargo xtask codegen` prints).
pub fn generated_lines(files: &BTreeMap<PathBuf, String>, out_dirs: &[PathBuf]) -> Vec<(PathBuf, usize)> {
    out_dirs
        .iter()
        .map(|dir| {
            let n = files
                .iter()
                .filter(|(p, _)| p.starts_with(dir) && p.extension().is_some_and(|e| e == "rs"))
                .map(|(_, t)| t.lines().count())
                .sum();
            (dir.clone(), n)
        })
        .collect()
}

fn write_or_check(root: &Path, check: bool, expected: &BTreeMap<PathBuf, String>, out_dirs: &[PathBuf]) -> Result<bool> {
    let d = diff(root, expected, out_dirs);
    if check {
        if d.is_clean() {
            println!("generated code is up to date ({} files)", expected.len());
            return Ok(true);
        }
        for p in &d.stale {
            eprintln!("stale: {}", rel(p));
        }
        for p in &d.missing {
            eprintln!("missing: {}", rel(p));
        }
        for p in &d.extra {
            eprintln!("extra (not generated by any spec): {}", rel(p));
        }
        eprintln!("run: cargo xtask codegen");
        return Ok(false);
    }
    for p in d.stale.iter().chain(&d.missing) {
        let full = root.join(p);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&full, &expected[p]).with_context(|| format!("writing {}", full.display()))?;
        println!("wrote {}", rel(p));
    }
    for p in &d.extra {
        std::fs::remove_file(root.join(p))?;
        println!("removed {}", rel(p));
    }
    if d.is_clean() {
        println!("generated code is up to date ({} files)", expected.len());
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("crates/demo/spec");
        std::fs::create_dir_all(&spec).unwrap();
        std::fs::write(
            spec.join("api.toml"),
            r#"
[service]
vendor = "demo"
client = "DemoClient"
title = "Demo"

[[endpoints]]
name = "ping"
method = "GET"
path = "/ping/{id}"
response = "json"
params = [ { name = "tag", validate = { max_len = 8 } } ]
"#,
        )
        .unwrap();
        dir
    }

    #[test]
    fn check_mode_reports_missing_stale_and_extra() {
        let dir = spec_tree();
        let root = dir.path();
        let fmt = Formatter::new(root);
        let targets = discover(root).unwrap();
        assert_eq!(targets.len(), 1);
        let files = generate(root, &targets[0], &fmt).unwrap();
        let out_dirs = vec![targets[0].out_dir.clone()];
        let d = diff(root, &files, &out_dirs);
        assert_eq!(d.missing.len(), 3, "{d:?}");
        assert!(!run(root, true, None).unwrap());
        assert!(run(root, false, None).unwrap());
        assert!(run(root, true, None).unwrap());
        // Generated code is deterministic.
        assert_eq!(generate(root, &targets[0], &fmt).unwrap(), files);
        let api = root.join("crates/demo/src/generated/api.rs");
        let text = std::fs::read_to_string(&api).unwrap();
        assert!(text.starts_with("// @generated by `cargo xtask codegen` from crates/demo/spec/api.toml. Do not edit.\n"));
        assert!(text.contains("#[request(http = \"GET /ping/{id}\""), "{text}");
        std::fs::write(&api, text.replace("ping", "pong")).unwrap();
        std::fs::write(root.join("crates/demo/src/generated/old.rs"), "").unwrap();
        let d = diff(root, &files, &out_dirs);
        assert_eq!(d.stale, vec![PathBuf::from("crates/demo/src/generated/api.rs")]);
        assert_eq!(d.extra, vec![PathBuf::from("crates/demo/src/generated/old.rs")]);
        assert!(!run(root, true, None).unwrap());
        assert!(run(root, false, None).unwrap());
        assert!(!root.join("crates/demo/src/generated/old.rs").exists());
        assert!(run(root, true, None).unwrap());
    }

    #[test]
    fn checked_in_proof_output_is_fresh() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let target = discover(root).unwrap().into_iter().find(|t| t.docs.is_none()).expect("conf-core proof spec");
        let files = generate(root, &target, &Formatter::new(root)).unwrap();
        assert_eq!(files.len(), 5, "mod.rs and one file per spec");
        let d = diff(root, &files, std::slice::from_ref(&target.out_dir));
        assert!(d.is_clean(), "run `cargo xtask codegen`: {d:?}");
    }

    #[test]
    fn runtime_is_imported_only_when_used() {
        let dir = spec_tree();
        let root = dir.path();
        let t = &discover(root).unwrap()[0];
        let fmt = Formatter::new(root);
        let mod_rs = |files: &BTreeMap<PathBuf, String>| files[&t.out_dir.join("mod.rs")].clone();
        // `ping` has a validated param: its validation uses the runtime.
        assert!(mod_rs(&generate(root, t, &fmt).unwrap()).contains("use conf_core::codegen as support;"));
        std::fs::write(
            root.join("crates/demo/spec/api.toml"),
            "[service]\nvendor = \"demo\"\nclient = \"DemoClient\"\n[[endpoints]]\nname = \"ping\"\nmethod = \"GET\"\npath = \"/ping\"\n",
        )
        .unwrap();
        assert!(!mod_rs(&generate(root, t, &fmt).unwrap()).contains("support"), "an unused import would fail clippy");
    }

    #[test]
    fn items_are_spaced() {
        assert_eq!(
            space_items("struct A {\n}\nimpl A {\n    fn a() {\n    }\n    fn b() {}\n}\n"),
            "struct A {\n}\n\nimpl A {\n    fn a() {\n    }\n\n    fn b() {}\n}\n"
        );
    }

    #[test]
    fn spec_errors_name_the_file_and_endpoint() {
        let dir = spec_tree();
        let root = dir.path();
        std::fs::write(
            root.join("crates/demo/spec/b.toml"),
            "[[endpoints]]\nname = \"bad\"\nmethod = \"GET\"\npath = \"/x\"\nbody = \"none\"\nparams = [ { name = \"q\", in = \"body\" } ]\n",
        )
        .unwrap();
        let t = &discover(root).unwrap()[0];
        let err = generate(root, t, &Formatter::new(root)).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("crates/demo/spec/b.toml") && msg.contains("`bad`") && msg.contains("body = \\\"none\\\"")
                || msg.contains("body = \"none\""),
            "{msg}"
        );
    }
}
