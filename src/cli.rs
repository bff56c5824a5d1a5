//! The command line: `serve` (default), `openapi`, `token`, `migrate`.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

use crate::config::Overrides;

#[derive(Debug, Parser)]
#[command(
    name = "safetrain",
    version,
    about = "The safetrain REST API server",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve(ServeArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Print a token signed by the platform's own issuer.
    Token(TokenArgs),
    /// Apply migrations and load fixtures, then exit.
    Migrate(CommonArgs),
}

#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// Directory of the embedded database and generated keys.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// A TOML settings file.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT.
    #[arg(long)]
    pub listen: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// Role: province_admin, city_admin, institution_admin, platform_operator, learner, auditor, data_consumer.
    #[arg(long)]
    pub role: String,
    /// City module code (required for city_admin).
    #[arg(long)]
    pub city: Option<String>,
    /// Institution id (required for institution_admin).
    #[arg(long)]
    pub institution: Option<Uuid>,
    /// Token subject; defaults to `<role>-cli`.
    #[arg(long)]
    pub sub: Option<String>,
    /// Lifetime in seconds; defaults to the configured one.
    #[arg(long)]
    pub ttl: Option<u64>,
    #[command(flatten)]
    pub common: CommonArgs,
}

impl CommonArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config_file: self.config.clone(),
            listen: None,
            data_dir: self.data_dir.clone(),
        }
    }
}

impl ServeArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen.clone(),
            ..self.common.overrides()
        }
    }
}
