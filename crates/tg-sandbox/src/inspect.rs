//! Reading back what the bot did, and arming faults: the test's side of the sandbox.

use std::time::Duration;

use crate::Sandbox;
use crate::faults::Fault;
use crate::record::{CallbackAnswer, Rejection, SentMessage};
use crate::world::BotCommandEntry;

impl Sandbox {
    /// Everything the bot did to chats, in order: new messages, edits, deletions.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.shared.record.entries(None)
    }

    /// What the bot did to one chat (messages, edits, deletions), in order.
    pub fn sent_to(&self, chat_id: i64) -> Vec<SentMessage> {
        self.shared.record.entries(Some(chat_id))
    }

    /// Waits until `chat_id` has received `count` new messages and returns them (edits and
    /// deletions are not counted). At `timeout` returns what arrived so far, so a test asserts on
    /// the length rather than hanging.
    pub async fn wait_for_sent(&self, chat_id: i64, count: usize, timeout: Duration) -> Vec<SentMessage> {
        self.shared.record.wait_for_messages(chat_id, count, timeout).await
    }

    /// Every refused Bot API call, in order.
    pub fn rejections(&self) -> Vec<Rejection> {
        self.shared.record.rejections()
    }

    /// How many calls were refused with 429 Too Many Requests.
    pub fn count_429(&self) -> usize {
        self.shared.record.count_status(429)
    }

    /// Accepted sends per Unix second, `(second, count)` in order. Counts what the limits count:
    /// new messages, and edits unless [`crate::Limits::edits_count`] is off.
    pub fn sends_per_second(&self) -> Vec<(u64, usize)> {
        self.shared.record.per_second(self.shared.config.limits.edits_count)
    }

    /// The most sends accepted in any sliding `window`, for all chats or one: a test proves the
    /// bot stays under a limit with `max_sends_in_any_window(Duration::from_secs(1), None) <= 30`.
    pub fn max_sends_in_any_window(&self, window: Duration, chat_id: Option<i64>) -> usize {
        let edits_count = self.shared.config.limits.edits_count;
        self.shared.record.max_in_window(window, chat_id, edits_count)
    }

    /// Every `answerCallbackQuery` call, in order.
    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.shared.record.answers()
    }

    /// Forgets everything recorded (sends, rejections, answers); chats and limits stay.
    pub fn reset_record(&self) {
        self.shared.record.clear();
    }

    /// Updates queued and not yet confirmed by the bot.
    pub fn pending_updates(&self) -> usize {
        self.shared.updates.pending()
    }

    /// Updates the webhook acknowledged with a 2xx answer (each counted once, however many
    /// attempts it took). With [`Sandbox::webhook_failures`], lets a test wait for delivery
    /// without polling its own server.
    pub fn webhook_deliveries(&self) -> usize {
        self.shared.updates.webhook_counts().0
    }

    /// Webhook delivery attempts that failed (non-2xx answer, refused connection, timeout);
    /// each is retried after a backoff of 200 ms doubling up to 5 s.
    pub fn webhook_failures(&self) -> usize {
        self.shared.updates.webhook_counts().1
    }

    /// The bot's commands for a scope key and language (`""` for none). Scope keys:
    /// `default`, `all_private_chats`, `all_group_chats`, `all_chat_administrators`,
    /// `chat:<id>`, `chat_administrators:<id>`, `chat_member:<chat>:<user>`.
    pub fn my_commands(&self, scope: &str, language_code: &str) -> Vec<BotCommandEntry> {
        let key = (scope.to_owned(), language_code.to_owned());
        self.shared.world().commands.get(&key).cloned().unwrap_or_default()
    }

    /// The message as it stands now (after edits) as Bot API JSON, or `None` if deleted/unknown.
    pub fn message(&self, chat_id: i64, message_id: i32) -> Option<serde_json::Value> {
        let message = self.shared.world().messages.get(&(chat_id, message_id)).cloned()?;
        serde_json::to_value(&*message).ok()
    }

    /// Makes the next `count` Bot API calls (any method) fail with `fault`.
    pub fn inject_fault(&self, fault: Fault, count: u32) {
        self.shared.faults.add(fault, count, None);
    }

    /// Makes the next `count` calls of `method` (any case) fail with `fault`.
    pub fn inject_fault_on(&self, method: &str, fault: Fault, count: u32) {
        self.shared.faults.add(fault, count, Some(method));
    }

    /// Disarms all pending faults.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }
}
