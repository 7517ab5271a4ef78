//! What a sandbox is started with: the bot's identity, Telegram's rate limits and text limits.

/// How a [`crate::Sandbox`] behaves. `Default` gives Telegram's documented limits.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The bot token the server accepts; the part before `:` is the bot's user id.
    pub token: String,
    /// The bot's profile as `getMe` reports it.
    pub bot: BotProfile,
    /// Rate limits; see [`Limits`].
    pub limits: Limits,
    /// Longest message text, in UTF-16 code units after entity parsing (Telegram: 4096).
    pub max_text_len: usize,
    /// Longest media caption, in UTF-16 code units after entity parsing (Telegram: 1024).
    pub max_caption_len: usize,
    /// Reject a bare `&` in HTML text. Telegram itself passes it through literally, but a bot that
    /// leaves `&` unescaped also mangles text such as `&lt;` from its sources, so the sandbox
    /// is stricter by default. Set to `false` for Telegram's exact leniency.
    pub strict_html: bool,
}

/// The bot's identity.
#[derive(Clone, Debug)]
pub struct BotProfile {
    /// Display name.
    pub first_name: String,
    /// Username without `@`; bots always have one.
    pub username: String,
    /// `getMe.can_join_groups`.
    pub can_join_groups: bool,
    /// `getMe.can_read_all_group_messages`: when `false` (privacy mode, Telegram's default), the
    /// bot only receives commands and replies to its own messages in groups.
    pub can_read_all_group_messages: bool,
    /// `getMe.supports_inline_queries`.
    pub supports_inline_queries: bool,
}

/// Telegram's flood limits, from the Bot FAQ. `None` switches a limit off.
///
/// What counts: every new message (`sendMessage`, `sendPhoto`) counts towards all three limits;
/// edits (`editMessageText`, `editMessageCaption`, `editMessageReplyMarkup`) count towards the
/// global and per-chat limits when [`Limits::edits_count`] is set, never towards the group minute
/// limit. Deletions, callback answers and reads are never limited. A rejected request consumes
/// nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Sends per bot in any sliding one-second window (Telegram: about 30).
    pub global_per_second: Option<u32>,
    /// Sustained sends per second into one chat (Telegram: about 1), as the refill rate of a
    /// token bucket.
    pub per_chat_per_second: Option<f64>,
    /// Size of the per-chat bucket: how many messages a chat may receive in a short burst.
    pub per_chat_burst: u32,
    /// Messages per group or supergroup in any sliding 60-second window (Telegram: 20).
    pub per_group_per_minute: Option<u32>,
    /// Whether edits count towards the global and per-chat limits.
    pub edits_count: bool,
}

impl Limits {
    /// Telegram's documented limits: 30/s per bot, 1/s per chat with bursts of 3, 20/min per group.
    pub fn telegram() -> Self {
        Limits {
            global_per_second: Some(30),
            per_chat_per_second: Some(1.0),
            per_chat_burst: 3,
            per_group_per_minute: Some(20),
            edits_count: true,
        }
    }

    /// No rate limits at all, for benchmarks of the bot's own engine.
    pub fn unlimited() -> Self {
        Limits {
            global_per_second: None,
            per_chat_per_second: None,
            per_chat_burst: 3,
            per_group_per_minute: None,
            edits_count: true,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::telegram()
    }
}

impl Default for BotProfile {
    fn default() -> Self {
        BotProfile {
            first_name: "Kabar Sandbox".to_owned(),
            username: "kabar_sandbox_bot".to_owned(),
            can_join_groups: true,
            can_read_all_group_messages: false,
            supports_inline_queries: false,
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            token: "123456:SANDBOX-TOKEN".to_owned(),
            bot: BotProfile::default(),
            limits: Limits::telegram(),
            max_text_len: 4096,
            max_caption_len: 1024,
            strict_html: true,
        }
    }
}

impl SandboxConfig {
    /// Telegram's limits switched off (text limits stay), for engine benchmarks.
    pub fn unlimited() -> Self {
        SandboxConfig { limits: Limits::unlimited(), ..SandboxConfig::default() }
    }

    /// The same configuration with another token; its numeric prefix becomes the bot's id.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// The bot's user id: the token's numeric prefix, as in real tokens.
    pub fn bot_id(&self) -> i64 {
        self.token.split(':').next().and_then(|id| id.parse().ok()).unwrap_or(123_456)
    }
}
