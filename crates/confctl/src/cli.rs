//! The command line, spelled exactly as the documented interface.
//!
//! Every credential flag can also come from `CONFCTL_<VENDOR>_<FLAG>` (e.g.
//! `CONFCTL_YTX_AUTH_TOKEN`) so secrets need not appear in the process list;
//! their values are never shown in `--help`.

use std::ffi::OsString;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

/// The command tree as parsed: [`Cli`] with every flag that takes a value accepting a
/// value that begins with `-` (secrets, keys and passphrases are random and may start
/// with `-`: `--passphrase -fe6SyORff0`). Applied here, once, for every flag present and
/// future; positional arguments keep clap's default (a text that starts with `-` goes after
/// `--`).
pub fn command() -> clap::Command {
    fn allow_hyphens(cmd: clap::Command) -> clap::Command {
        cmd.mut_args(|a| if a.is_positional() || !a.get_action().takes_values() { a } else { a.allow_hyphen_values(true) })
            .mut_subcommands(allow_hyphens)
    }
    allow_hyphens(Cli::command())
}

/// Parse a command line with [`command`].
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut cmd = command();
    let mut matches = cmd.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut cmd))
}

/// conf-sdk's operator tool and guided tour.
#[derive(Debug, Parser)]
#[command(name = "confctl", version, about = "Operate conferencing platforms with conf-sdk, or tour the embedded emulators")]
pub struct Cli {
    /// Print exactly one JSON document on stdout (JSON lines for event streams).
    #[arg(long, global = true)]
    pub json: bool,

    /// Log level for the SDK's tracing output on stderr (error, warn, info, debug, trace).
    #[arg(long, global = true, env = "CONFCTL_LOG", default_value = "warn")]
    pub log: String,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start every emulator in-process and run one realistic flow per vendor through the real clients.
    Tour(TourArgs),
    /// Serve all five emulators on loopback until interrupted.
    Sandbox(SandboxArgs),
    /// Meeting WebAPI: meetings and join tokens.
    Webapi(WebapiArgs),
    /// ytx phone meetings (TeleMeeting).
    Ytx(YtxArgs),
    /// 摩云 platform API.
    Moyun(MoyunArgs),
    /// In-meeting control of a virtual meeting room.
    Vmr(VmrArgs),
    /// 声网灵隼 Agora Link.
    Lingsun(LingsunArgs),
}

/// `confctl tour`.
#[derive(Debug, Args)]
pub struct TourArgs {
    /// Run only these vendors (default: all five).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<Vendor>,
}

/// The five vendors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Vendor {
    /// 摩云 platform API.
    Moyun,
    /// VMR in-meeting control.
    Vmr,
    /// Meeting WebAPI.
    Webapi,
    /// ytx TeleMeeting.
    Ytx,
    /// 声网灵隼.
    Lingsun,
}

/// `confctl sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address of the first emulator; the others take the following ports (default: ephemeral ports).
    #[arg(long, value_name = "127.0.0.1:PORT")]
    pub bind: Option<std::net::SocketAddr>,
    /// Set a moyun app's API level (apps: system, mc, vc, nms, amc, vrs), e.g. `vc=0`: clients then
    /// refuse that app's calls as unsupported, and calls sent anyway answer 404. Repeatable.
    #[arg(long = "moyun-api-level", value_name = "APP=LEVEL", value_parser = crate::sandbox::parse_api_level)]
    pub moyun_api_level: Vec<(String, u32)>,
}

// ---------------------------------------------------------------- fleet mode

/// `--credential-store` / `--credential-key`, on every vendor command.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Share credentials and sessions with every other process using this Redis
    /// (`redis://[:password@]host:port[/db]`, `rediss://` for TLS); see docs/fleet.md.
    /// ytx and webapi hold no session: for them the store is checked and left unused.
    #[arg(long = "credential-store", env = "CONFCTL_CREDENTIAL_STORE", value_name = "redis://HOST:PORT", hide_env_values = true)]
    pub credential_store: Option<String>,
    /// PEM file of the CA that issued a `rediss://` store's certificate, when the
    /// system's roots do not know it (a private deployment's CA).
    #[arg(long = "credential-store-ca", env = "CONFCTL_CREDENTIAL_STORE_CA", value_name = "PEM-FILE")]
    pub credential_store_ca: Option<std::path::PathBuf>,
    /// The fleet's AES-256 key for credentials at rest (64 hex digits or base64 of 32
    /// bytes; required with --credential-store).
    #[arg(long = "credential-key", env = "CONFCTL_CREDENTIAL_KEY", hide_env_values = true)]
    pub credential_key: Option<String>,
}

// ---------------------------------------------------------------- webapi

/// `confctl webapi`.
#[derive(Debug, Args)]
pub struct WebapiArgs {
    /// Fleet mode: share credentials and sessions with other processes.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// WebAPI server base URL (e.g. `https://xx.com`).
    #[arg(long, env = "CONFCTL_WEBAPI_BASE_URL")]
    pub base_url: Option<String>,
    /// Company key (企业 ID).
    #[arg(long, env = "CONFCTL_WEBAPI_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: WebapiCommand,
}

/// WebAPI commands.
#[derive(Debug, Subcommand)]
pub enum WebapiCommand {
    /// Make a join token (prints only the URL-encoded token without --json). Nothing is sent.
    JoinToken(JoinTokenArgs),
    /// Meetings.
    #[command(subcommand)]
    Meeting(MeetingCommand),
}

/// Token flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Flavor {
    /// The document's Java code: key and IV as hex.
    Java,
    /// The document's PHP code: key and IV derived from passkey and passphrase.
    Php,
}

/// `confctl webapi join-token`.
#[derive(Debug, Args)]
pub struct JoinTokenArgs {
    /// Token flavour.
    #[arg(long)]
    pub flavor: Flavor,
    /// AES-256 key as 64 hex digits (java flavour).
    #[arg(long, env = "CONFCTL_WEBAPI_KEY_HEX", hide_env_values = true)]
    pub key_hex: Option<String>,
    /// IV as 32 hex digits (java flavour).
    #[arg(long, env = "CONFCTL_WEBAPI_IV_HEX", hide_env_values = true)]
    pub iv_hex: Option<String>,
    /// Passkey (php flavour).
    #[arg(long, env = "CONFCTL_WEBAPI_PASSKEY", hide_env_values = true)]
    pub passkey: Option<String>,
    /// Passphrase (php flavour).
    #[arg(long, env = "CONFCTL_WEBAPI_PASSPHRASE", hide_env_values = true)]
    pub passphrase: Option<String>,
    /// Meeting number.
    #[arg(long)]
    pub serial: String,
    /// User id (unique).
    #[arg(long)]
    pub userid: String,
    /// Display name.
    #[arg(long)]
    pub username: String,
    /// Join role: presenter, speaker or chairman.
    #[arg(long)]
    pub role: String,
}

/// `confctl webapi meeting ...`.
#[derive(Debug, Subcommand)]
pub enum MeetingCommand {
    /// Book a meeting.
    Create(MeetingCreateArgs),
    /// Delete a meeting.
    Delete(MeetingDeleteArgs),
}

/// `confctl webapi meeting create`.
#[derive(Debug, Args)]
pub struct MeetingCreateArgs {
    /// Meeting name.
    #[arg(long)]
    pub name: String,
    /// Start, Unix seconds.
    #[arg(long)]
    pub start: u64,
    /// End, Unix seconds (none: permanent).
    #[arg(long)]
    pub end: Option<u64>,
    /// Chairman password (4 to 20 characters).
    #[arg(long, env = "CONFCTL_WEBAPI_CHAIRMAN_PWD", hide_env_values = true)]
    pub chairman_pwd: String,
    /// Live-stream the meeting.
    #[arg(long)]
    pub live: bool,
}

/// `confctl webapi meeting delete`.
#[derive(Debug, Args)]
pub struct MeetingDeleteArgs {
    /// Meeting number.
    #[arg(long)]
    pub serial: String,
}

// ---------------------------------------------------------------- ytx

/// `confctl ytx`.
#[derive(Debug, Args)]
pub struct YtxArgs {
    /// Fleet mode: share credentials and sessions with other processes.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// API base URL (`http://api.ytx.net`, `http://sandbox.ytx.net`, or any).
    #[arg(long, env = "CONFCTL_YTX_BASE_URL")]
    pub base_url: String,
    /// Account SID.
    #[arg(long, env = "CONFCTL_YTX_ACCOUNT_SID")]
    pub account_sid: String,
    /// Account auth token.
    #[arg(long, env = "CONFCTL_YTX_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: String,
    /// Application id.
    #[arg(long, env = "CONFCTL_YTX_APP_ID")]
    pub app_id: String,
    /// What to do.
    #[command(subcommand)]
    pub command: YtxCommand,
}

/// ytx commands.
#[derive(Debug, Subcommand)]
pub enum YtxCommand {
    /// Lock or unlock a meeting room (lockMeeting).
    Lock {
        /// Meeting room number.
        #[arg(long)]
        conf_id: String,
        /// true to lock, false to unlock.
        #[arg(long, action = clap::ArgAction::Set)]
        locked: bool,
    },
    /// Members and their state (meetingState).
    State {
        /// Meeting room number.
        #[arg(long)]
        conf_id: String,
    },
}

// ---------------------------------------------------------------- moyun

/// `confctl moyun`.
#[derive(Debug, Args)]
pub struct MoyunArgs {
    /// Fleet mode: share credentials and sessions with other processes.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Platform base URL.
    #[arg(long, env = "CONFCTL_MOYUN_BASE_URL")]
    pub base_url: String,
    /// App key (oauth_consumer_key).
    #[arg(long, env = "CONFCTL_MOYUN_APP_KEY")]
    pub app_key: String,
    /// App secret (oauth_consumer_secret).
    #[arg(long, env = "CONFCTL_MOYUN_APP_SECRET", hide_env_values = true)]
    pub app_secret: String,
    /// User name.
    #[arg(long, env = "CONFCTL_MOYUN_USERNAME")]
    pub username: String,
    /// Password.
    #[arg(long, env = "CONFCTL_MOYUN_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// Accept self-signed certificates (private deployments).
    #[arg(long)]
    pub insecure: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: MoyunCommand,
}

/// moyun commands.
#[derive(Debug, Subcommand)]
pub enum MoyunCommand {
    /// Conferences.
    #[command(subcommand)]
    Confs(ConfsCommand),
    /// Terminals in a conference.
    #[command(subcommand)]
    Mts(MtsCommand),
}

/// `confctl moyun confs ...`.
#[derive(Debug, Subcommand)]
pub enum ConfsCommand {
    /// List ongoing conferences.
    List,
}

/// `confctl moyun mts ...`.
#[derive(Debug, Subcommand)]
pub enum MtsCommand {
    /// List the terminals of a conference.
    List {
        /// Conference id.
        #[arg(long)]
        conf_id: String,
    },
    /// Add a terminal to a conference.
    Add {
        /// Conference id.
        #[arg(long)]
        conf_id: String,
        /// Terminal account (E164, moid, IP...).
        #[arg(long)]
        account: String,
        /// Account type (1 moid, 4 non-registered, 5 E164, 6 IP, 7 phone, 8 ...).
        #[arg(long, default_value_t = 5)]
        account_type: i64,
        /// Call bitrate (kbps).
        #[arg(long, default_value_t = 2048)]
        bitrate: i64,
        /// Protocol: 0 H.323, 1 SIP.
        #[arg(long, default_value_t = 0)]
        protocol: i64,
        /// Validate only (debug=1): print the platform's parameter problems, change nothing.
        #[arg(long)]
        debug: bool,
    },
}

// ---------------------------------------------------------------- vmr

/// Deployment kind of a VMR platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deployment {
    /// Public cloud.
    Public,
    /// Enterprise (private) cloud.
    Enterprise,
}

/// `confctl vmr`.
#[derive(Debug, Args)]
pub struct VmrArgs {
    /// Fleet mode: share credentials and sessions with other processes.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Meeting node base URL (the `mcuHost` base), e.g. `https://mcu.example.com`.
    #[arg(long, env = "CONFCTL_VMR_BASE_URL", conflicts_with = "api_server")]
    pub base_url: Option<String>,
    /// Resolve the meeting node through the join check at this API server instead.
    #[arg(long, env = "CONFCTL_VMR_API_SERVER", requires_all = ["join_account", "participant_name"])]
    pub api_server: Option<String>,
    /// Join account for the join check.
    #[arg(long, env = "CONFCTL_VMR_JOIN_ACCOUNT")]
    pub join_account: Option<String>,
    /// Participant name for the join check.
    #[arg(long, env = "CONFCTL_VMR_PARTICIPANT_NAME")]
    pub participant_name: Option<String>,
    /// Room alias (email form) or numeric id.
    #[arg(long, env = "CONFCTL_VMR_ROOM")]
    pub room: Option<String>,
    /// Host or guest PIN.
    #[arg(long, env = "CONFCTL_VMR_PIN", hide_env_values = true)]
    pub pin: Option<String>,
    /// Display name of this control session.
    #[arg(long, default_value = "confctl")]
    pub display_name: String,
    /// Deployment kind (enterprise lacks some commands).
    #[arg(long, value_enum, default_value = "public")]
    pub deployment: Deployment,
    /// Accept self-signed certificates (private deployments).
    #[arg(long)]
    pub insecure: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: VmrCommand,
}

/// vmr commands (each runs in its own session, closed before exiting).
#[derive(Debug, Subcommand)]
pub enum VmrCommand {
    /// Conference status (locked, guests muted, ...).
    Status,
    /// Participant list.
    Participants,
    /// Lock the conference.
    Lock,
    /// Unlock the conference.
    Unlock,
    /// Mute all guests.
    MuteGuests,
    /// Unmute all guests.
    UnmuteGuests,
    /// Send a text message to everyone.
    Message {
        /// The text.
        text: String,
    },
    /// Mute one participant.
    Mute {
        /// Participant uuid.
        #[arg(long)]
        participant: String,
    },
    /// Print N events as JSON lines, then end the session.
    ///
    /// Gives up after --timeout seconds without N events (exit 4), or when the event stream
    /// gives up (too many failed reconnects, a token refused again after renewal).
    Events {
        /// How many events.
        #[arg(long)]
        count: usize,
        /// Most seconds to wait for the N events (default 60).
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
}

// ---------------------------------------------------------------- lingsun

/// Region path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Region {
    /// Mainland China.
    Cn,
    /// North America.
    Na,
}

/// `confctl lingsun`.
#[derive(Debug, Args)]
pub struct LingsunArgs {
    /// Fleet mode: share credentials and sessions with other processes.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Base URL; repeat to replace the built-in domain list with an ordered failover list.
    #[arg(long = "base-url", env = "CONFCTL_LINGSUN_BASE_URL", value_delimiter = ',')]
    pub base_url: Vec<String>,
    /// Region.
    #[arg(long, value_enum, default_value = "cn")]
    pub region: Region,
    /// OAuth client id.
    #[arg(long, env = "CONFCTL_LINGSUN_CLIENT_ID")]
    pub client_id: String,
    /// OAuth client secret.
    #[arg(long, env = "CONFCTL_LINGSUN_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// User name (password grant).
    #[arg(long, env = "CONFCTL_LINGSUN_USERNAME")]
    pub username: String,
    /// Password (password grant).
    #[arg(long, env = "CONFCTL_LINGSUN_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// What to do.
    #[command(subcommand)]
    pub command: LingsunCommand,
}

/// lingsun commands.
#[derive(Debug, Subcommand)]
pub enum LingsunCommand {
    /// Cloud-record packages.
    #[command(subcommand)]
    Packages(PackagesCommand),
}

/// `confctl lingsun packages ...`.
#[derive(Debug, Subcommand)]
pub enum PackagesCommand {
    /// List every package.
    List,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        command().debug_assert();
    }

    /// Every flag that takes a value, in every subcommand, accepts a value that begins with
    /// `-`: a flag added later cannot forget it.
    #[test]
    fn every_value_flag_accepts_leading_hyphens() {
        fn walk(cmd: &mut clap::Command, path: &str, seen: &mut usize) {
            cmd.build();
            for a in cmd.get_arguments() {
                if !a.is_positional() && a.get_num_args().is_some_and(|n| n.takes_values()) {
                    assert!(a.is_allow_hyphen_values_set(), "{path} --{}: a value starting with '-' is refused", a.get_id());
                    *seen += 1;
                }
            }
            for sub in cmd.get_subcommands_mut() {
                let p = format!("{path} {}", sub.get_name());
                walk(sub, &p, seen);
            }
        }
        let mut seen = 0;
        walk(&mut command(), "confctl", &mut seen);
        assert!(seen > 40, "walked {seen} value flags");
    }

    #[test]
    fn secrets_starting_with_a_hyphen_parse() {
        let a = parse([
            "confctl",
            "webapi",
            "join-token",
            "--flavor",
            "php",
            "--passkey",
            "--SYXCXASD",
            "--passphrase",
            "-fe6SyORff0",
            "--serial",
            "-1",
            "--userid",
            "-u",
            "--username",
            "-",
            "--role",
            "chairman",
        ])
        .unwrap();
        let Command::Webapi(WebapiArgs { command: WebapiCommand::JoinToken(t), .. }) = a.command else { panic!("{a:?}") };
        assert_eq!(
            (t.passkey.as_deref(), t.passphrase.as_deref(), t.serial.as_str(), t.userid.as_str(), t.username.as_str()),
            (Some("--SYXCXASD"), Some("-fe6SyORff0"), "-1", "-u", "-")
        );
        // flags without a value are still flags
        let b = parse(["confctl", "vmr", "--base-url", "http://x", "--pin", "-12", "--insecure", "--json", "lock"]).unwrap();
        assert!(b.json);
        assert!(matches!(b.command, Command::Vmr(VmrArgs { insecure: true, ref pin, .. }) if pin.as_deref() == Some("-12")));
        // a positional text that starts with '-' goes after `--`, as documented
        let c = parse(["confctl", "vmr", "--room", "1061", "message", "--", "-1 from me"]).unwrap();
        assert!(matches!(c.command, Command::Vmr(VmrArgs { command: VmrCommand::Message { ref text }, .. }) if text == "-1 from me"));
    }

    #[test]
    fn json_flag_is_global() {
        let a = parse([
            "confctl",
            "--json",
            "ytx",
            "--base-url",
            "http://x",
            "--account-sid",
            "s",
            "--auth-token",
            "t",
            "--app-id",
            "a",
            "state",
            "--conf-id",
            "1",
        ])
        .unwrap();
        assert!(a.json);
        let b = parse([
            "confctl",
            "ytx",
            "--base-url",
            "http://x",
            "--account-sid",
            "s",
            "--auth-token",
            "t",
            "--app-id",
            "a",
            "lock",
            "--conf-id",
            "1",
            "--locked",
            "false",
            "--json",
        ])
        .unwrap();
        assert!(b.json);
        assert!(matches!(b.command, Command::Ytx(YtxArgs { command: YtxCommand::Lock { locked: false, .. }, .. })));
    }

    #[test]
    fn secrets_are_hidden_in_help() {
        let help = command().find_subcommand_mut("ytx").unwrap().render_long_help().to_string();
        assert!(help.contains("CONFCTL_YTX_AUTH_TOKEN"));
    }
}
