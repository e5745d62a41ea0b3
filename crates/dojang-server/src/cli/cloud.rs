//! `dojang admin rp cloud …`: a relying party's publishable key for the cloud certificate's SDK,
//! the origins that may embed dojang's cloud UI for it, and the stylesheets it may apply there.

use std::process::ExitCode;

use clap::Subcommand;
use dojang_core::Clock;
use serde_json::json;

use super::say;
use crate::instance::Instance;
use crate::service::cloud::{check_origin, check_stylesheet, new_publishable_key};

#[derive(Debug, Subcommand)]
pub(crate) enum CloudCommand {
    /// Set the origins (and stylesheets) of a relying party's cloud-certificate SDK and print
    /// its publishable key (`pk_…`, public: it goes into the party's web pages). The key is
    /// made the first time and kept when the origins change.
    Set {
        /// The relying party's client code.
        client_code: String,
        /// An origin allowed to embed dojang's cloud UI: `https://host[:port]` (`http://` for
        /// localhost only). Repeat for several.
        #[arg(long = "origin", required = true)]
        origins: Vec<String>,
        /// A stylesheet on one of the origins that `Dojang.init({cssPath})` may apply. Repeat
        /// for several.
        #[arg(long = "stylesheet")]
        stylesheets: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the publishable key, origins and stylesheets.
    Show {
        /// The relying party's client code.
        client_code: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove the publishable key: the SDK stops working for this party (a later `set` makes
    /// a new key).
    Clear {
        /// The relying party's client code.
        client_code: String,
    },
}

fn show(p: &dojang_store::CloudParty, as_json: bool) {
    if as_json {
        say(json!({
            "clientCode": p.client_code.to_string(),
            "publishableKey": p.publishable_key,
            "origins": p.origins,
            "stylesheets": p.stylesheets,
        }));
    } else {
        say(format!("publishable key: {}", p.publishable_key));
        for o in &p.origins {
            say(format!("origin:          {o}"));
        }
        for s in &p.stylesheets {
            say(format!("stylesheet:      {s}"));
        }
    }
}

pub(crate) async fn run(
    instance: &Instance,
    clock: &dyn Clock,
    command: CloudCommand,
) -> Result<ExitCode, String> {
    match command {
        CloudCommand::Set {
            client_code,
            origins,
            stylesheets,
            json,
        } => {
            let code = super::admin::registered(instance, &client_code).await?;
            let origins = origins
                .iter()
                .map(|o| {
                    check_origin(o).map_err(|_| format!("not an origin (https://host[:port]): {o}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let stylesheets = stylesheets
                .iter()
                .map(|s| {
                    check_stylesheet(s, &origins)
                        .map_err(|_| format!("not a URL on one of the origins: {s}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let stored = instance
                .store
                .set_cloud_party(&dojang_store::CloudParty {
                    client_code: code,
                    publishable_key: new_publishable_key(),
                    origins,
                    stylesheets,
                    updated_at: clock.now(),
                })
                .await
                .map_err(|e| e.to_string())?;
            show(&stored, json);
            Ok(ExitCode::SUCCESS)
        }
        CloudCommand::Show { client_code, json } => {
            let code = super::admin::registered(instance, &client_code).await?;
            match instance
                .store
                .cloud_party(&code)
                .await
                .map_err(|e| e.to_string())?
            {
                Some(p) => {
                    show(&p, json);
                    Ok(ExitCode::SUCCESS)
                }
                None => Err(format!(
                    "{code} has no publishable key (dojang admin rp cloud set)"
                )),
            }
        }
        CloudCommand::Clear { client_code } => {
            let code = super::admin::registered(instance, &client_code).await?;
            if instance
                .store
                .remove_cloud_party(&code)
                .await
                .map_err(|e| e.to_string())?
            {
                say(format!("{code}: publishable key removed"));
                Ok(ExitCode::SUCCESS)
            } else {
                Err(format!("{code} has no publishable key"))
            }
        }
    }
}
