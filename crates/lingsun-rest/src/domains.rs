//! The document's domain table (切换域名 / 域名信息) as data.
//!
//! Two primary domains, `api.sd-rtn.com` and `api.agora.io`; under each, eight
//! regional domains `api-<region>.<domain>`. The document's table lists the regions
//! but not their neighbours; it gives one example (Europe central's neighbour is
//! Europe west). The neighbour of each region here is the other region of the same
//! geographic pair (US west/east, Asia-Pacific south-east/north-east, Europe
//! west/central, China east/north).

use url::Url;

/// Where the caller's business server is (decides the primary domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Area {
    /// The server's DNS is in mainland China: primary `api.sd-rtn.com`.
    ChinaMainland,
    /// Anywhere else: primary `api.agora.io`.
    Global,
}

/// A primary domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrimaryDomain {
    /// `sd-rtn.com` (`api.sd-rtn.com`).
    SdRtn,
    /// `agora.io` (`api.agora.io`).
    Agora,
}

impl PrimaryDomain {
    /// The registrable domain (`sd-rtn.com`).
    pub fn domain(self) -> &'static str {
        match self {
            Self::SdRtn => "sd-rtn.com",
            Self::Agora => "agora.io",
        }
    }

    /// The primary host (`api.sd-rtn.com`).
    pub fn host(self) -> String {
        format!("api.{}", self.domain())
    }

    /// The other primary domain.
    pub fn other(self) -> Self {
        match self {
            Self::SdRtn => Self::Agora,
            Self::Agora => Self::SdRtn,
        }
    }

    /// The primary domain for an area.
    pub fn for_area(area: Area) -> Self {
        match area {
            Area::ChinaMainland => Self::SdRtn,
            Area::Global => Self::Agora,
        }
    }
}

/// One row of the domain table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegionInfo {
    /// Region id, the host prefix without `api-` (`eu-central-1`).
    pub id: &'static str,
    /// Geographic area as the document names it (`欧洲中部`).
    pub name_zh: &'static str,
    /// The same in English.
    pub name_en: &'static str,
    /// Neighbouring regions, nearest first.
    pub neighbours: &'static [&'static str],
}

impl RegionInfo {
    /// The regional host under a primary domain (`api-eu-central-1.agora.io`).
    pub fn host(&self, domain: PrimaryDomain) -> String {
        format!("api-{}.{}", self.id, domain.domain())
    }
}

/// The regions of the document's table, in its order.
pub const REGIONS: &[RegionInfo] = &[
    RegionInfo { id: "us-west-1", name_zh: "美国西部", name_en: "US west", neighbours: &["us-east-1"] },
    RegionInfo { id: "us-east-1", name_zh: "美国东部", name_en: "US east", neighbours: &["us-west-1"] },
    RegionInfo { id: "ap-southeast-1", name_zh: "亚太东南", name_en: "Asia-Pacific south-east", neighbours: &["ap-northeast-1"] },
    RegionInfo { id: "ap-northeast-1", name_zh: "亚太东北", name_en: "Asia-Pacific north-east", neighbours: &["ap-southeast-1"] },
    RegionInfo { id: "eu-west-1", name_zh: "欧洲西部", name_en: "Europe west", neighbours: &["eu-central-1"] },
    RegionInfo { id: "eu-central-1", name_zh: "欧洲中部", name_en: "Europe central", neighbours: &["eu-west-1"] },
    RegionInfo { id: "cn-east-1", name_zh: "中国华东", name_en: "China east", neighbours: &["cn-north-1"] },
    RegionInfo { id: "cn-north-1", name_zh: "中国华北", name_en: "China north", neighbours: &["cn-east-1"] },
];

/// A region of the table by id.
pub fn region(id: &str) -> Option<&'static RegionInfo> {
    REGIONS.iter().find(|r| r.id == id)
}

/// The hosts one client tries, in the document's order. Replace them for private
/// routing or tests ([`Hosts::custom`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hosts {
    /// Primary base URL (tried first, and once more).
    pub primary: Url,
    /// The other primary domain (skipped after a network failure that is not a DNS failure).
    pub secondary: Url,
    /// Regional base URLs next to the one in use, in order.
    pub regional: Vec<Url>,
}

fn https(host: &str) -> Url {
    Url::parse(&format!("https://{host}")).expect("table hosts are valid")
}

impl Hosts {
    /// The document's plan for a server in `area` whose primary domain resolves to
    /// `home_region` (`eu-central-1`): primary, the other primary, then the
    /// neighbours of `home_region` under the primary domain and under the other one.
    /// Without a home region, China uses `cn-east-1` and elsewhere `us-west-1`.
    pub fn for_area(area: Area, home_region: Option<&str>) -> Result<Self, conf_core::Error> {
        let primary = PrimaryDomain::for_area(area);
        let home = match home_region {
            Some(id) => region(id).ok_or_else(|| {
                conf_core::Error::invalid_input("home_region", format!("`{id}` is not in the domain table (e.g. `eu-central-1`)"))
            })?,
            None => region(if area == Area::ChinaMainland { "cn-east-1" } else { "us-west-1" }).expect("table region"),
        };
        let mut regional = Vec::new();
        for n in home.neighbours {
            let r = region(n).expect("neighbours are table regions");
            regional.push(https(&r.host(primary)));
            regional.push(https(&r.host(primary.other())));
        }
        Ok(Self { primary: https(&primary.host()), secondary: https(&primary.other().host()), regional })
    }

    /// Any hosts (private routing, tests).
    pub fn custom(primary: Url, secondary: Url, regional: Vec<Url>) -> Self {
        Self { primary, secondary, regional }
    }

    /// One fixed host for everything (an emulator, a proxy).
    pub fn single(base: Url) -> Self {
        Self { primary: base.clone(), secondary: base, regional: Vec::new() }
    }

    /// An ordered failover list (`confctl lingsun --base-url a,b,c`,
    /// `CONFCTL_LINGSUN_BASE_URL`): the first is tried twice (the document's "same host
    /// once more"), then each other one, so no host is skipped whatever failed. Blank
    /// entries are skipped; none left is `None`; a bad URL is
    /// [`conf_core::Error::InvalidInput`].
    pub fn ordered(urls: &[impl AsRef<str>]) -> Result<Option<Self>, conf_core::Error> {
        let parsed: Vec<Url> = urls
            .iter()
            .map(|u| u.as_ref().trim())
            .filter(|u| !u.is_empty())
            .map(|u| conf_core::ClientConfig::parse(u).map(|c| c.base_url))
            .collect::<Result<_, _>>()?;
        Ok(match parsed.as_slice() {
            [] => None,
            [one] => Some(Self::single(one.clone())),
            [first, rest @ ..] => Some(Self::custom(first.clone(), first.clone(), rest.to_vec())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_symmetric() {
        assert_eq!(REGIONS.len(), 8);
        for r in REGIONS {
            for n in r.neighbours {
                assert!(region(n).unwrap().neighbours.contains(&r.id), "{} <-> {n}", r.id);
            }
        }
        assert_eq!(region("eu-central-1").unwrap().host(PrimaryDomain::Agora), "api-eu-central-1.agora.io");
    }

    #[test]
    fn document_example_europe() {
        let h = Hosts::for_area(Area::Global, Some("eu-central-1")).unwrap();
        assert_eq!(h.primary.as_str(), "https://api.agora.io/");
        assert_eq!(h.secondary.as_str(), "https://api.sd-rtn.com/");
        let regional: Vec<_> = h.regional.iter().map(Url::as_str).collect();
        assert_eq!(regional, ["https://api-eu-west-1.agora.io/", "https://api-eu-west-1.sd-rtn.com/"]);
        let cn = Hosts::for_area(Area::ChinaMainland, None).unwrap();
        assert_eq!(cn.primary.as_str(), "https://api.sd-rtn.com/");
        assert_eq!(cn.regional[0].as_str(), "https://api-cn-north-1.sd-rtn.com/");
        assert!(Hosts::for_area(Area::Global, Some("mars-1")).is_err());
    }
}
