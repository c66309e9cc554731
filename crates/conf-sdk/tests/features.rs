//! Picking one vendor feature compiles no other vendor crate and none of the
//! dependencies that only other vendors declare (inspected with `cargo tree`).

use std::collections::BTreeSet;
use std::process::Command;

const VENDORS: [(&str, &str); 5] =
    [("moyun", "moyun-api"), ("vmr", "vmr-rest"), ("webapi", "webapi"), ("ytx", "ytx-telemeeting"), ("lingsun", "lingsun-rest")];

/// Dependencies that belong to one vendor only (and its owner): never acceptable in another vendor's build.
const KNOWN_EXCLUSIVE: [(&str, &str); 4] = [("aes", "webapi"), ("cbc", "webapi"), ("cookie_store", "moyun-api"), ("cookie", "moyun-api")];

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.arg("--offline");
    c
}

fn manifest() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")
}

/// Package names in the normal-dependency tree of conf-sdk with `features`.
fn tree(features: &str) -> BTreeSet<String> {
    let out = cargo()
        .args(["tree", "--manifest-path", manifest(), "-p", "conf-sdk", "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .args(["--no-default-features", "--features", features])
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect()
}

/// Normal dependencies each workspace package declares in its manifest.
fn declared() -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let out =
        cargo().args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path", manifest()]).output().expect("cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

#[test]
fn each_vendor_feature_pulls_in_only_its_own_crates() {
    let declared = declared();
    let core_declared = &declared["conf-core"];
    let core_tree = tree("");
    for (feature, krate) in VENDORS {
        let deps = tree(feature);
        assert!(deps.contains(krate), "{feature}: {krate} missing from its own build");
        let own = &declared[krate];
        for (other_feature, other_crate) in VENDORS {
            if other_feature == feature {
                continue;
            }
            assert!(!deps.contains(other_crate), "feature {feature} compiles {other_crate}");
            for d in declared[other_crate].iter().filter(|d| !own.contains(*d) && !core_declared.contains(*d) && !core_tree.contains(*d)) {
                assert!(!deps.contains(d), "feature {feature} compiles {d}, which only {other_crate} declares");
            }
        }
        for (heavy, owner) in KNOWN_EXCLUSIVE {
            assert!(owner == krate || !deps.contains(heavy), "feature {feature} compiles {heavy}");
        }
    }
}

#[test]
fn no_vendor_feature_compiles_no_vendor() {
    let deps = tree("");
    for (_, krate) in VENDORS {
        assert!(!deps.contains(krate));
    }
}
