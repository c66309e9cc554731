//! lingsun-rest: `open_order` (not idempotent) and `get_all_packages` (idempotent), with an
//! OAuth token that expires mid-flow.

use std::time::Duration;

use conf_core::Error;
use conf_sandbox::Server;
use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
use http::Method;
use lingsun_rest::{GetAllPackagesRequest, Grant, LingsunClient, OpenOrderRequest, OrderPayload};

use crate::matrix::{Case, Flow, Target, Verdict, core_config, wire_secrets};

const PREFIX: &str = "/agoralink/cn/api";

/// The lingsun flow.
pub struct LingsunFlow {
    emu: LingsunEmulator,
    server: Server,
    config: LingsunConfig,
    client: LingsunClient,
}

impl Flow for LingsunFlow {
    const VENDOR: &'static str = "lingsun-rest";

    async fn start() -> Self {
        let config = LingsunConfig::default();
        let (emu, server) = LingsunEmulator::start(config.clone()).await.expect("start lingsun emulator");
        let grant = Grant::Password { username: config.users[0].0.clone(), password: conf_core::secret::secret(config.users[0].1.clone()) };
        let transport = lingsun_rest::default_config(server.base_url().parse().expect("url"));
        let client = LingsunClient::builder(config.client_id.clone(), conf_core::secret::secret(config.client_secret.clone()), grant)
            .config(core_config(transport))
            .token_renewal(Duration::from_secs(60), Duration::ZERO)
            .build()
            .expect("lingsun client");
        let flow = Self { emu, server, config, client };
        flow.create().await.expect("warm-up create");
        flow
    }

    fn server(&self) -> &Server {
        &self.server
    }

    async fn read(&self) -> Result<(), Error> {
        self.client.get_all_packages_with(GetAllPackagesRequest::new()).await.map(drop)
    }

    fn read_target(&self) -> Target {
        Target::new(Method::POST, format!("{PREFIX}/cloud-recorder/cloud-record-package/v1/getAll"))
    }

    async fn create(&self) -> Result<(), Error> {
        let payload = OrderPayload::new("d0app", "user-1", "dev-1", "pay-6", 2);
        self.client.open_order_with(OpenOrderRequest::new(payload)).await.map(drop)
    }

    fn create_target(&self) -> Target {
        Target::new(Method::POST, format!("{PREFIX}/cloud-recorder/cloud-record-order/v1/open"))
    }

    fn created(&self) -> u64 {
        self.emu.orders().len() as u64
    }

    fn authentications(&self) -> Result<u64, &'static str> {
        Ok(self.emu.counters().grants.values().sum())
    }

    fn unexpected_shapes(&self) -> (String, String) {
        (
            r#"{"code":0,"msg":"ok","success":true,"data":{"packages":"none"}}"#.into(),
            r#"{"code":0,"msg":"ok","success":true,"data":{"orderId":[1,2]}}"#.into(),
        )
    }

    async fn stream(&self, _case: Case) -> Result<Verdict, &'static str> {
        Err("the lingsun REST API has no event stream")
    }

    fn secrets(&self) -> Vec<String> {
        let mut s = vec![self.config.client_secret.clone(), self.config.users[0].1.clone()];
        s.extend(wire_secrets(&self.server));
        s
    }
}
