//! Config errors name their key; the environment layers over the file.
use super::*;

fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let env: Vec<_> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Settings::from_toml_and_env(text, "test.toml", &env)
}

fn error_of(text: &str, env: &[(&str, &str)]) -> String {
    load(text, env).expect_err("the config should be refused").to_string()
}

#[test]
fn an_empty_file_gives_telegrams_published_limits() {
    let settings = load("", &[]).unwrap();
    assert_eq!(settings.limits, Limits { global_per_sec: 30, per_chat_per_sec: 1, group_per_min: 20 });
    assert_eq!(settings.database.url, "sqlite://kabar.db");
    assert_eq!(settings.telegram.api_url.as_str(), "https://api.telegram.org/");
}

#[test]
fn the_contract_example_file_loads() {
    let text = include_str!("../../kabar.example.toml");
    let settings = load(text, &[]).unwrap();
    assert_eq!(settings.sources.len(), 1);
    assert_eq!(settings.sources[0].kind, SourceKind::Feed);
    assert_eq!(settings.editors.user_ids, vec![11111111]);
}

#[test]
fn an_unknown_key_is_named_in_the_error() {
    let message = error_of("[limits]\nglobal_per_second = 5\n", &[]);
    assert!(message.contains("limits"), "{message}");
    assert!(message.contains("global_per_second"), "{message}");
}

#[test]
fn an_unknown_section_is_named_in_the_error() {
    assert!(error_of("[telegarm]\ntoken = \"x\"\n", &[]).contains("telegarm"));
}

#[test]
fn a_value_of_the_wrong_type_names_its_key() {
    let message = error_of("[limits]\nglobal_per_sec = \"fast\"\n", &[]);
    assert!(message.contains("limits.global_per_sec"), "{message}");
}

#[test]
fn a_zero_limit_is_refused_by_name() {
    assert!(error_of("[limits]\nper_chat_per_sec = 0\n", &[]).contains("limits.per_chat_per_sec"));
}

#[test]
fn a_source_with_a_bad_url_names_its_index_and_key() {
    let message = error_of("[[sources]]\nname = \"a\"\nurl = \"not a url\"\n", &[]);
    assert!(message.contains("sources[0].url"), "{message}");
}

#[test]
fn a_source_kind_other_than_feed_or_wordpress_is_refused() {
    let message = error_of("[[sources]]\nname = \"a\"\nurl = \"https://x.org/\"\nkind = \"gopher\"\n", &[]);
    assert!(message.contains("sources[0].kind"), "{message}");
}

#[test]
fn two_sources_with_one_name_are_refused() {
    let source = "[[sources]]\nname = \"a\"\nurl = \"https://x.org/feed\"\n";
    assert!(error_of(&format!("{source}{source}"), &[]).contains("sources[1].name"));
}

#[test]
fn a_bad_listen_address_is_named() {
    assert!(error_of("[http]\nlisten = \"everywhere\"\n", &[]).contains("http.listen"));
}

#[test]
fn kabar_environment_variables_override_the_file() {
    let settings = load("[limits]\nglobal_per_sec = 30\n", &[("KABAR_LIMITS__GLOBAL_PER_SEC", "25")]).unwrap();
    assert_eq!(settings.limits.global_per_sec, 25);
}

#[test]
fn an_environment_variable_for_an_unknown_key_is_named() {
    let message = error_of("", &[("KABAR_LIMITS__BURST", "5")]);
    assert!(message.contains("burst"), "{message}");
}

#[test]
fn an_all_digit_admin_token_from_the_environment_stays_text() {
    let settings = load("", &[("KABAR_HTTP__ADMIN_TOKEN", "1234567890123456")]).unwrap();
    assert_eq!(settings.http.admin_token.as_deref(), Some("1234567890123456"));
}

#[test]
fn teloxide_variables_win_over_the_file() {
    let text = "[telegram]\ntoken = \"1:file\"\napi_url = \"https://file.example\"\n";
    let env = [("TELOXIDE_TOKEN", "2:env"), ("TELOXIDE_API_URL", "http://127.0.0.1:9/")];
    let settings = load(text, &env).unwrap();
    assert_eq!(settings.telegram.token.as_deref(), Some("2:env"));
    assert_eq!(settings.telegram.api_url.as_str(), "http://127.0.0.1:9/");
}

#[test]
fn the_admin_token_variable_wins_over_the_file() {
    let text = "[http]\nadmin_token = \"file-token-long-enough\"\n";
    let settings = load(text, &[("KABAR_ADMIN_TOKEN", "env-token-long-enough")]).unwrap();
    assert_eq!(settings.http.admin_token.as_deref(), Some("env-token-long-enough"));
}

#[test]
fn a_string_value_from_the_environment_stays_a_string() {
    let settings = load("", &[("KABAR_DATABASE__URL", "sqlite://other.db")]).unwrap();
    assert_eq!(settings.database.url, "sqlite://other.db");
}

#[test]
fn broken_toml_is_reported_with_the_file_name() {
    assert!(error_of("[limits\n", &[]).contains("test.toml"));
}

#[test]
fn reader_defaults_and_channels_are_checked_by_key() {
    assert!(error_of("[readers]\ntimezone = \"Mars/Olympus\"", &[]).contains("readers.timezone"));
    assert!(error_of("[readers]\ndefault_language = \"fr\"", &[]).contains("readers.default_language"));
    let bad_slug = "[[channels]]\nslug = \"Politik Dalam\"\nname = \"Politik\"";
    assert!(error_of(bad_slug, &[]).contains("channels[0].slug"));
    let twice = "[[channels]]\nslug = \"a\"\nname = \"A\"\n[[channels]]\nslug = \"a\"\nname = \"B\"";
    assert!(error_of(twice, &[]).contains("channels[1].slug"));
    assert!(error_of("[[channels]]\nslug = \"a\"\nname = \"A\"\ncolour = 1", &[]).contains("colour"));
    assert!(error_of("", &[("KABAR_CHANNELS__SLUG", "x")]).contains("config file"));
}

#[test]
fn channels_load_with_their_names_in_other_languages() {
    let text = "[readers]\ntimezone = \"WITA\"\n[[channels]]\nslug = \"politik\"\nname = \"Politik\"\n\
                names = { en = \"Politics\" }\ncategories = [\"Pemerintahan\"]\ndefault = true";
    let settings = load(text, &[("KABAR_READERS__DEFAULT_LANGUAGE", "id")]).unwrap();
    assert_eq!(settings.readers.default_language, Language::Indonesian);
    assert_eq!(settings.channels[0].names["en"], "Politics");
    assert!(settings.channels[0].default);
}

#[test]
fn webhook_mode_needs_a_secret_telegram_accepts() {
    let url = "[telegram]\nwebhook_url = \"https://kabar.example.org/telegram/webhook\"";
    assert!(error_of(url, &[]).contains("telegram.webhook_secret"));
    let bad = format!("{url}\nwebhook_secret = \"has spaces\"");
    assert!(error_of(&bad, &[]).contains("telegram.webhook_secret"));
    let good = load(&format!("{url}\nwebhook_secret = \"s3cr3t_-\""), &[]).unwrap();
    assert_eq!(good.telegram.webhook_secret.as_deref(), Some("s3cr3t_-"));
}

#[test]
fn values_the_run_cannot_use_are_refused_by_key() {
    for (text, key) in [
        ("[delivery]\nconcurrency = 9223372036854775807", "delivery.concurrency"),
        ("[delivery]\nlease_secs = 0", "delivery.lease_secs"),
        ("[telegram]\npoll_timeout_secs = 0", "telegram.poll_timeout_secs"),
        ("[summary]\nmax_chars = 1000000", "summary.max_chars"),
        ("[http]\nmax_connections = 1", "http.max_connections"),
        ("[http]\nheader_timeout_secs = 0", "http.header_timeout_secs"),
        ("[http]\nrequest_timeout_secs = 0", "http.request_timeout_secs"),
        ("[watcher]\nmax_pushes_per_poll = 0", "watcher.max_pushes_per_poll"),
        ("[watcher]\nmax_pushes_per_poll = 100000", "watcher.max_pushes_per_poll"),
    ] {
        let message = error_of(text, &[]);
        assert!(message.contains(key) && message.contains("between"), "{text}: {message}");
    }
}

#[test]
fn a_source_name_with_a_line_break_is_refused() {
    let message = error_of("[[sources]]\nname = \"a\\nb\"\nurl = \"https://x.org/feed\"\n", &[]);
    assert!(message.contains("sources[0].name") && message.contains("control"), "{message}");
}

#[test]
fn pushes_per_poll_are_capped_by_default_and_the_cap_can_be_set() {
    assert_eq!(load("", &[]).unwrap().watcher.max_pushes_per_poll, 10);
    let settings = load("[watcher]\nmax_pushes_per_poll = 3\n", &[]).unwrap();
    assert_eq!(settings.watcher.max_pushes_per_poll, 3);
    let from_env = load("", &[("KABAR_WATCHER__MAX_PUSHES_PER_POLL", "25")]).unwrap();
    assert_eq!(from_env.watcher.max_pushes_per_poll, 25);
}

#[test]
fn a_database_url_kabar_cannot_open_is_refused_saying_why() {
    let no_server = error_of("[database]\nurl = \"postgres:///kabar\"\n", &[]);
    assert!(no_server.contains("database.url") && no_server.contains("must name the server"), "{no_server}");
    let mysql = error_of("[database]\nurl = \"mysql://db/kabar\"\n", &[]);
    assert!(mysql.contains("database.url") && mysql.contains("must start with sqlite: or postgres://"), "{mysql}");
}

#[test]
fn a_postgresql_url_is_taken() {
    for url in ["postgres://kabar:secret@db:5432/kabar", "postgresql://kabar@127.0.0.1/kabar?sslmode=disable"] {
        let settings = load(&format!("[database]\nurl = \"{url}\"\n"), &[]).unwrap();
        assert_eq!(settings.database.url, url);
    }
}

#[test]
fn a_database_password_is_never_shown() {
    let settings = load("[database]\nurl = \"postgres://kabar:s3cret@db:5432/kabar\"\n", &[]).unwrap();
    assert_eq!(settings.database.shown_url(), "postgres://kabar:***@db:5432/kabar");
    assert_eq!(load("", &[]).unwrap().database.shown_url(), "sqlite://kabar.db");
}
