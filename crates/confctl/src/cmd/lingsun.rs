//! `confctl lingsun`: cloud-record packages, with an ordered failover list of hosts.

use conf_core::Error;
use conf_core::secret::secret;
use lingsun_rest::{Area, GetAllPackagesRequest, Grant, Hosts, LingsunClient, Region};
use serde_json::json;

use super::{text, to_json};
use crate::cli::{LingsunArgs, LingsunCommand, PackagesCommand, Region as CliRegion};
use crate::exit;
use crate::output::{Output, Table};

/// The hosts of repeated `--base-url`, tried in the order given: the first twice (the
/// document's "same host once more"), then each other one. The first is both primary
/// domains and the rest are the regional list, so no host is skipped whatever failed.
pub fn hosts(urls: &[String]) -> Result<Option<Hosts>, Error> {
    Hosts::ordered(urls)
}

/// Run a `lingsun` command.
pub async fn run(args: LingsunArgs, out: Output) -> Result<u8, Error> {
    let hosts = hosts(&args.base_url)?;
    // Enough attempts to reach every listed host (the first is tried twice).
    let attempts = u32::try_from(args.base_url.len()).unwrap_or(u32::MAX).saturating_add(1).max(lingsun_rest::default_retry().max_attempts);
    let grant = Grant::Password { username: args.username.clone(), password: secret(args.password) };
    let (region, area) = match args.region {
        CliRegion::Cn => (Region::Cn, Area::ChinaMainland),
        CliRegion::Na => (Region::Na, Area::Global),
    };
    // The document's domains for the area unless hosts were given; lingsun's transport
    // defaults with enough attempts for every host.
    let hosts = match hosts {
        Some(h) => h,
        None => Hosts::for_area(area, None)?,
    };
    let config = lingsun_rest::default_config(hosts.primary.clone()).retry(lingsun_rest::default_retry().max_attempts(attempts));
    let mut builder =
        LingsunClient::builder(args.client_id, secret(args.client_secret), grant).config(config).region(region).area(area).hosts(hosts);
    if let Some(store) = super::fleet::store(&args.fleet)? {
        builder = builder.credential_store(store);
    }
    let client = builder.build()?;
    match args.command {
        LingsunCommand::Packages(PackagesCommand::List) => {
            let packages = client.get_all_packages_with(GetAllPackagesRequest::new()).await?.data.unwrap_or_default();
            let mut table = Table::new(["id", "name", "type", "life_cycle", "bucket"]);
            for p in &packages {
                table.row([
                    text(p.id),
                    text(p.package_name.as_ref()),
                    text(p.package_type.as_ref()),
                    text(p.life_cycle.as_ref()),
                    text(p.bucket.as_ref()),
                ]);
            }
            let host = client.resolver().remembered().map(|u| u.to_string());
            out.result(&json!({ "packages": to_json(&packages), "host": host }), &table);
        }
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lingsun_rest::FailoverResolver;

    #[test]
    fn repeated_base_urls_are_tried_in_order_whatever_failed() {
        let urls: Vec<String> = ["http://a.test", "http://b.test", "http://c.test"].iter().map(|s| (*s).to_string()).collect();
        let h = hosts(&urls).unwrap().unwrap();
        let order = |failure| -> Vec<String> {
            FailoverResolver::plan(&h, &h.primary, failure).iter().map(|u| u.host_str().unwrap().to_string()).collect()
        };
        for failure in [None, Some(conf_core::AttemptOutcome::NetworkFailure), Some(conf_core::AttemptOutcome::DnsFailure)] {
            assert_eq!(order(failure), ["a.test", "a.test", "b.test", "c.test"], "{failure:?}");
        }
        assert_eq!(hosts(&urls[..1]).unwrap().unwrap(), Hosts::single(url::Url::parse("http://a.test").unwrap()));
        assert!(hosts(&[]).unwrap().is_none());
        assert!(matches!(hosts(&["ftp://x".to_string()]), Err(Error::InvalidInput { .. })));
    }
}
