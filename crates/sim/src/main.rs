//! Run with: cargo run -p jw-platform-sim -- --listen 127.0.0.1:4010 --data-dir .sim-data

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use jw_platform_sim::Config;

/// JW Platform simulator: v1/v2 APIs, form, resumable, S3 and multipart uploads, fault injection.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on (API and upload hosts share it).
    #[arg(long, env = "JW_SIM_LISTEN", default_value = "127.0.0.1:4010")]
    listen: SocketAddr,
    /// Directory for uploaded files.
    #[arg(long, env = "JW_SIM_DATA_DIR", default_value = "./.sim-data")]
    data_dir: PathBuf,
    /// v2 site id.
    #[arg(long, env = "JW_SIM_SITE_ID", default_value = "simsite1")]
    site_id: String,
    /// v1 API key.
    #[arg(long, env = "JW_SIM_API_KEY", default_value = "simkey01")]
    api_key: String,
    /// v1 API secret.
    #[arg(long, env = "JW_SIM_API_SECRET", default_value = "sim-v1-secret")]
    api_secret: String,
    /// v2 API secret.
    #[arg(long, env = "JW_SIM_V2_SECRET", default_value = "sim-v2-secret")]
    v2_secret: String,
    /// What `link.address` says (default: the bound host:port).
    #[arg(long, env = "JW_SIM_PUBLIC_ADDRESS")]
    public_address: Option<String>,
    /// Allowed CORS origins (repeatable; `*` reflects any).
    #[arg(
        long = "allow-origin",
        env = "JW_SIM_ALLOW_ORIGINS",
        value_delimiter = ',',
        default_value = "*"
    )]
    allow_origins: Vec<String>,
    /// How long a media stays `processing`.
    #[arg(long, env = "JW_SIM_PROCESSING_MS", default_value_t = 2000)]
    processing_ms: u64,
    /// Lifetime of multipart part links.
    #[arg(long, env = "JW_SIM_PART_LINK_TTL_SECS", default_value_t = 3600)]
    part_link_ttl_secs: u64,
    /// Lifetime of S3 links.
    #[arg(long, env = "JW_SIM_S3_LINK_TTL_SECS", default_value_t = 3600)]
    s3_link_ttl_secs: u64,
    /// Lifetime of v2 upload tokens.
    #[arg(long, env = "JW_SIM_UPLOAD_TOKEN_TTL_SECS", default_value_t = 86_400)]
    upload_token_ttl_secs: u64,
    /// v1 calls per key per minute.
    #[arg(long, env = "JW_SIM_RATE_LIMIT", default_value_t = 60)]
    rate_limit: u32,
    /// Let pages on any origin read and change `/_sim/*` (the demo's trouble controls and the
    /// browser suites need it); off, only loopback callers without a foreign `Origin` may.
    #[arg(long, env = "JW_SIM_OPEN_ADMIN")]
    open_admin: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let a = Args::parse();
    let config = Config {
        listen: a.listen,
        data_dir: a.data_dir,
        site_id: a.site_id,
        api_key: a.api_key,
        api_secret: a.api_secret,
        v2_secret: a.v2_secret,
        public_address: a.public_address,
        allow_origins: a.allow_origins,
        processing_ms: a.processing_ms,
        part_link_ttl_secs: a.part_link_ttl_secs,
        s3_link_ttl_secs: a.s3_link_ttl_secs,
        upload_token_ttl_secs: a.upload_token_ttl_secs,
        rate_limit: a.rate_limit,
        open_admin: a.open_admin,
        ..Config::default()
    };
    let server = jw_platform_sim::spawn(config.clone()).await?;
    println!("jw-platform-sim listening on {}", server.url());
    println!("  site id        {}", config.site_id);
    println!("  v1 api key     {}", config.api_key);
    println!("  v1 api secret  {}", config.api_secret);
    println!("  v2 api secret  {}", config.v2_secret);
    println!("  data dir       {}", config.data_dir.display());
    println!("  link.address   {}", server.state.link_address());
    println!("  allow origins  {}", config.allow_origins.join(","));
    println!(
        "  processing     {} ms, rate limit {}/min",
        config.processing_ms, config.rate_limit
    );
    println!(
        "  admin          {}/_sim/log, /_sim/media/KEY, /_sim/faults, /_sim/clock ({})",
        server.url(),
        if config.open_admin {
            "open to every origin"
        } else {
            "loopback, same-origin only"
        }
    );
    tokio::signal::ctrl_c().await?;
    println!("shutting down");
    server.shutdown().await;
    Ok(())
}
