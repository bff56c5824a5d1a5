use std::process::ExitCode;

use clap::Parser;
use safetrain::cli::{Cli, Command, ServeArgs, TokenArgs};
use safetrain::config::{Overrides, Settings};
use safetrain::{auth, db, startup, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Openapi) => {
            use std::io::Write;
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().write_all(startup::document_json().as_bytes());
            ExitCode::SUCCESS
        }
        Some(Command::Token(args)) => {
            run(&args.common.overrides(), |s| async move { token(s, &args) })
        }
        Some(Command::Migrate(args)) => run(&args.overrides(), migrate),
        Some(Command::Serve(args)) => serve(&args),
        None => serve(&cli.serve),
    }
}

fn serve(args: &ServeArgs) -> ExitCode {
    run(&args.overrides(), |settings| async move {
        telemetry::init(telemetry::DEFAULT_FILTER);
        match safetrain::http::limits::raise_open_files_limit() {
            Ok(limit) => tracing::info!(open_files = limit, "open-files limit"),
            Err(e) => tracing::warn!(error = %e, "could not raise the open-files limit"),
        }
        let listen = settings.listen.clone();
        let app = startup::Application::build(settings)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(listen = %listen, port = app.port(), "serving");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

async fn migrate(settings: Settings) -> Result<(), String> {
    let conn = db::connect(&settings).await.map_err(|e| e.to_string())?;
    db::migrate(&conn).await.map_err(|e| e.to_string())?;
    safetrain::cities::load_fixtures(&conn)
        .await
        .map_err(|e| e.to_string())
}

fn token(settings: Settings, args: &TokenArgs) -> Result<(), String> {
    let role: auth::Role = args.role.parse()?;
    let sub = args
        .sub
        .clone()
        .unwrap_or_else(|| format!("{}-cli", role.as_str()));
    let actor = auth::Actor::new(
        settings.auth.platform.issuer.clone(),
        sub,
        role,
        args.city.clone(),
        args.institution,
    )?;
    let authenticator = auth::Authenticator::from_settings(&settings)?;
    println!("{}", authenticator.issue(&actor, args.ttl)?);
    Ok(())
}

/// Loads settings (a bad one stops here with one line) and runs `f` on a Tokio runtime.
fn run<F, Fut>(overrides: &Overrides, f: F) -> ExitCode
where
    F: FnOnce(Settings) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let settings = match Settings::load(overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("safetrain: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("safetrain: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(f(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("safetrain: {e}");
            ExitCode::FAILURE
        }
    }
}
