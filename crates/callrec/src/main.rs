//! The `callrec` binary: the portal and its administration commands.

mod cli;
mod commands;
mod config;
mod error;
mod keys;
mod logging;

use clap::Parser;
use cli::{Cli, Command};
use error::CliError;
use std::process::ExitCode;

/// Many small allocations per request (rows, strings, HTML): mimalloc
/// serves them with less locking than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(err) = logging::init(cli.global.log_format.as_deref()) {
        eprintln!("error: {err}");
        return ExitCode::from(err.exit_code());
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let config = config::Config::read(cli.global)?;
    let storage = config.storage()?;
    match cli.command {
        Command::Serve(args) => {
            // Serve settings are checked before the database is touched.
            let settings = config.serve(&args)?;
            let store = commands::open_store(&storage).await?;
            let keyring = commands::keyring(&storage, &store).await?;
            let blobs = commands::blobs(&storage)?;
            commands::serve::run(store, blobs, &storage, settings, keyring, args.demo).await
        }
        Command::Migrate => {
            let store = commands::open_store(&storage).await?;
            println!("Database is up to date ({}).", store.backend().name());
            let keys = commands::data_keys(&storage, &store).await?;
            let blobs = commands::blobs(&storage)?;
            commands::seal::seal_plain(&store, &blobs, &keys).await?;
            commands::seal::draw_waveforms(&store, &blobs, &keys).await
        }
        Command::Demo(args) => {
            let store = commands::open_store(&storage).await?;
            let blobs = commands::blobs(&storage)?;
            let keys = commands::data_keys(&storage, &store).await?;
            let (loaded, logins) =
                commands::demo::load(&store, &blobs, &keys, args.recordings).await?;
            println!(
                "{}",
                if loaded {
                    "Loaded the demo data."
                } else {
                    "The demo data is already loaded."
                }
            );
            commands::demo::print_logins(&logins);
            Ok(())
        }
        Command::Company(command) => {
            let settings = commands::admin::CompanySettings {
                records: config.records()?,
                default_zone: config.default_time_zone()?,
                default_country: config.default_country()?,
                mail: config.mail()?.is_some(),
                storage: storage.clone(),
            };
            commands::admin::company(&commands::open_store(&storage).await?, command, &settings)
                .await
        }
        Command::Team(command) => {
            commands::admin::team(&commands::open_store(&storage).await?, command).await
        }
        Command::Token(command) => {
            let mail = config.mail()?.is_some();
            commands::token::run(&commands::open_store(&storage).await?, command, mail).await
        }
        Command::Capture(command) => {
            let country = config.default_country()?;
            commands::capture::run(
                &commands::open_store(&storage).await?,
                command,
                country,
                &storage,
            )
            .await
        }
        Command::Import(args) => {
            let store = commands::open_store(&storage).await?;
            let keys = commands::data_keys(&storage, &store).await?;
            let blobs = commands::blobs(&storage)?;
            let zone = config.default_time_zone()?;
            commands::import::run(&store, &keys, &blobs, &zone, &args).await
        }
        Command::Verify(args) => {
            let store = commands::open_store(&storage).await?;
            let blobs = commands::blobs(&storage)?;
            let keys = commands::data_keys(&storage, &store).await?;
            commands::verify::run(&store, &blobs, &keys, args.company.as_deref()).await
        }
        Command::Audit(cli::AuditCommand::Verify { anchors }) => {
            let store = commands::open_store(&storage).await?;
            commands::audit::verify(&store, anchors.as_deref()).await
        }
        Command::Audit(cli::AuditCommand::Anchor) => {
            commands::audit::anchor(&commands::open_store(&storage).await?, commands::now()).await
        }
        Command::Purge(args) => {
            let records = config.records()?;
            let zone = config.default_time_zone()?;
            let store = commands::open_store(&storage).await?;
            let blobs = commands::blobs(&storage)?;
            commands::purge::run(&store, &blobs, records, &zone, args.batch).await
        }
        Command::Keys(cli::KeysCommand::Rotate {
            company: Some(company),
            data: true,
        }) => {
            let store = commands::open_store(&storage).await?;
            let keys = commands::data_keys(&storage, &store).await?;
            let blobs = commands::blobs(&storage)?;
            commands::seal::reseal(&store, &blobs, &keys, &company).await
        }
        Command::Keys(cli::KeysCommand::Generate) => {
            println!("{}", keys::generate());
            Ok(())
        }
        Command::Backup(args) => {
            let store = commands::open_store(&storage).await?;
            let blobs = commands::blobs(&storage)?;
            commands::backup::backup(&store, &blobs, &storage, &args.dir).await
        }
        Command::Restore(args) => commands::backup::restore(&storage, &args.dir).await,
        Command::Audio(cli::AudioCommand::Migrate { to }) => {
            let from = commands::blobs(&storage)?;
            let target = config.audio_target(&to)?;
            let store = callrec_store::BlobStore::at(&target, &storage.data_dir)
                .map_err(|err| error::CliError::Usage(format!("--to {to}: {err}")))?;
            let target = store;
            let store = commands::open_store(&storage).await?;
            commands::audio::migrate(&store, &from, &target, &to).await
        }
        Command::Keys(cli::KeysCommand::Rotate { .. }) => {
            keys::rotate(&commands::open_store(&storage).await?, &storage.data_dir).await
        }
        Command::User(command) => {
            let hours = config.temporary_password_hours()?;
            let mail = config.mail()?.is_some();
            let store = commands::open_store(&storage).await?;
            commands::admin::user(&store, command, hours, mail).await
        }
    }
}
