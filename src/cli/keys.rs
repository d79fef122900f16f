//! `revcast keys create|list|revoke`.

use clap::Subcommand;

use super::{connect, DbArgs};
use crate::service::{self, Scope};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key; it is printed once, on the last line, and never stored.
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated: score, ingest, read, admin.
        #[arg(long)]
        scopes: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List keys (never the keys themselves).
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a key by its id.
    Revoke {
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Create { name, scopes, db } => {
            let scopes = Scope::parse_list(&scopes)?;
            let store = connect(&db).await?;
            let k = service::create_key(&store, &name, &scopes).await?;
            println!("id: {}", k.info.id);
            println!("name: {}", k.info.name);
            println!("scopes: {}", join(&k.info.scopes));
            println!("The key is shown once; store it now.");
            println!("{}", k.key);
        }
        KeysCommand::List { db } => {
            let store = connect(&db).await?;
            println!(
                "{:<18} {:<24} {:<28} {:<26} revoked",
                "id", "name", "scopes", "created"
            );
            for k in service::list_keys(&store).await? {
                println!(
                    "{:<18} {:<24} {:<28} {:<26} {}",
                    k.id,
                    k.name,
                    join(&k.scopes),
                    k.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    k.revoked_at
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                        .unwrap_or_else(|| "-".into())
                );
            }
        }
        KeysCommand::Revoke { id, db } => {
            let store = connect(&db).await?;
            service::revoke_key(&store, &id).await?;
            println!("revoked {id}");
        }
    }
    Ok(())
}

fn join(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
