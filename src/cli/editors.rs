//! `kabar editors`: who may push breaking news from the chat, managed from the shell beside the
//! config's `editors.user_ids`. It works on the database, so a running kabar sees changes at once.

use clap::{Args, Subcommand};

use super::ConfigArg;
use crate::{domain::EditorRecord, services::Services, telegram::ids::person_refusal};

#[derive(Debug, Args)]
pub struct EditorsArgs {
    #[command(flatten)]
    config: ConfigArg,
    #[command(subcommand)]
    action: EditorsAction,
}

#[derive(Debug, Subcommand)]
enum EditorsAction {
    /// Lets a Telegram user push breaking news with /breaking.
    Add {
        // Negative numbers are taken as ids, so they get a clear refusal, not "unknown option".
        #[arg(allow_negative_numbers = true)]
        user_id: i64,
        /// Who this is, for the list.
        #[arg(long)]
        name: Option<String>,
    },
    /// Takes editing away from a user added with `add`.
    Remove {
        #[arg(allow_negative_numbers = true)]
        user_id: i64,
    },
    /// Lists the editors: the config's and those added with `add`.
    List,
}

impl EditorsArgs {
    pub async fn execute(self) -> anyhow::Result<()> {
        let settings = self.config.load()?;
        let services = crate::app::tool_services(&settings).await?;
        let from_config = &settings.editors.user_ids;
        match self.action {
            EditorsAction::Add { user_id, name } => add(&services, user_id, name.as_deref(), from_config).await,
            EditorsAction::Remove { user_id } => remove(&services, user_id, from_config).await,
            EditorsAction::List => {
                print_editors(from_config, &services.editors().list().await?);
                Ok(())
            }
        }
    }
}

async fn add(services: &Services, user_id: i64, name: Option<&str>, from_config: &[i64]) -> anyhow::Result<()> {
    if let Some(reason) = person_refusal(user_id) {
        anyhow::bail!("{user_id} cannot be an editor: {reason}");
    }
    if services.editors().add(user_id, name).await? {
        println!("{user_id} is now an editor");
    } else {
        println!("{user_id} was an editor already; the name is updated");
    }
    if from_config.contains(&user_id) {
        println!("(they are in the config's editors.user_ids too)");
    }
    Ok(())
}

async fn remove(services: &Services, user_id: i64, from_config: &[i64]) -> anyhow::Result<()> {
    let removed = services.editors().remove(user_id).await?;
    // The config is the operator's to edit; this command only changes the table.
    anyhow::ensure!(
        removed || !from_config.contains(&user_id),
        "{user_id} is an editor through the config's editors.user_ids; remove it there"
    );
    anyhow::ensure!(removed, "{user_id} is not an editor");
    println!("{user_id} is no longer an editor");
    Ok(())
}

fn print_editors(from_config: &[i64], added: &[EditorRecord]) {
    println!("{:<14} {:<24} SOURCE", "USER ID", "NAME");
    for user_id in from_config {
        println!("{user_id:<14} {:<24} from config", "");
    }
    for editor in added {
        let since = chrono::DateTime::from_timestamp_millis(editor.added_at)
            .map_or_else(String::new, |at| at.format("%Y-%m-%d %H:%M UTC").to_string());
        println!("{:<14} {:<24} added {since}", editor.user_id, editor.name.as_deref().unwrap_or(""));
    }
}
