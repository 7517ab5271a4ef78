//! The environment's layer: `KABAR_<SECTION>__<KEY>` variables over the file's tree.

use super::ConfigError;

pub(super) fn env_value<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Keys whose value is text even when it looks like a number (an all-digit admin token, say).
const TEXT_KEYS: &[&str] = &[
    "telegram.token",
    "telegram.api_url",
    "telegram.webhook_url",
    "telegram.webhook_secret",
    "database.url",
    "http.listen",
    "http.admin_token",
    "http.public_url",
    "readers.default_language",
    "readers.timezone",
];

/// Applies every `KABAR_<SECTION>__<KEY>=value` to the tree. The value is read as a TOML value
/// when it is one (`25`, `true`, `[1, 2]`) and as a string otherwise, or always for text keys.
pub(super) fn apply_env(tree: &mut toml::Table, env: &[(String, String)]) -> Result<(), ConfigError> {
    for (name, raw) in env {
        let Some(path) = name.strip_prefix("KABAR_") else { continue };
        let Some((section, key)) = path.split_once("__") else { continue };
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        if section == "sources" || section == "channels" {
            return Err(ConfigError::key(name.clone(), format!("{section} can only be set in the config file")));
        }
        let value = if TEXT_KEYS.contains(&format!("{section}.{key}").as_str()) {
            toml::Value::String(raw.clone())
        } else {
            toml::from_str::<toml::Table>(&format!("v = {raw}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(raw.clone()))
        };
        let table = tree
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| ConfigError::key(section.clone(), format!("is not a table, so {name} cannot set it")))?;
        table.insert(key, value);
    }
    Ok(())
}
