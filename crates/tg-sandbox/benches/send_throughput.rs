//! Prints how many `sendMessage` calls per second the sandbox sustains when the real teloxide
//! client drives it from many tasks at once (client and server share the machine, as in the
//! bot's own benchmarks). Run with `cargo bench -p tg-sandbox --bench send_throughput`.

use std::time::Instant;

use teloxide::prelude::*;
use teloxide::types::ParseMode;
use tg_sandbox::{NewUser, Sandbox, SandboxConfig};

const READERS: i64 = 1_000;
const MESSAGES: usize = 40_000;
const CONCURRENCY: usize = 64;

#[tokio::main]
async fn main() {
    let sandbox = Sandbox::start(SandboxConfig::unlimited()).expect("sandbox starts");
    for id in 1..=READERS {
        sandbox.add_user(NewUser::new(id, "Reader"));
    }
    let bot = Bot::new(sandbox.token()).set_api_url(sandbox.api_url().parse().unwrap());
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..CONCURRENCY {
        let bot = bot.clone();
        workers.spawn(async move {
            for n in (worker..MESSAGES).step_by(CONCURRENCY) {
                let chat = ChatId(1 + n as i64 % READERS);
                bot.send_message(chat, "<b>Headline</b>: a summary &amp; a <a href=\"https://example.com/a\">link</a>")
                    .parse_mode(ParseMode::Html)
                    .await
                    .expect("unlimited sandbox accepts every message");
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.expect("worker finished");
    }
    let elapsed = started.elapsed();
    let rate = MESSAGES as f64 / elapsed.as_secs_f64();
    assert_eq!(sandbox.sent().len(), MESSAGES);
    println!("{MESSAGES} sendMessage calls in {elapsed:.2?}: {rate:.0} per second ({CONCURRENCY} concurrent)");
}
