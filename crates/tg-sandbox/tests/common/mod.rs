//! Helpers shared by the integration tests: a sandbox with readers, a teloxide bot pointed at
//! it, and a bare HTTP client for requests teloxide would never make.

#![allow(dead_code)]

use std::time::Duration;

use std::io::{Read, Write};
use tg_sandbox::{NewGroup, NewUser, Sandbox, SandboxConfig};

/// Ann, a reader in a private chat.
pub const ANN: i64 = 1001;
/// Bob, another reader.
pub const BOB: i64 = 1002;
/// A basic group with Ann (owner) and Bob.
pub const GROUP: i64 = -4001;
/// A supergroup with Ann (owner).
pub const SUPERGROUP: i64 = -1_000_000_004_002;
/// A channel owned by Ann, with the bot as admin.
pub const CHANNEL: i64 = -1_000_000_004_003;

/// Generous, because a loaded machine is slow; never a timing assertion.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A sandbox with Ann, Bob, a group, a supergroup and a channel.
pub fn sandbox_with(config: SandboxConfig) -> Sandbox {
    let sandbox = Sandbox::start(config).expect("sandbox starts");
    sandbox.add_user(NewUser::new(ANN, "Ann").username("ann").language_code("en"));
    sandbox.add_user(NewUser::new(BOB, "Bob").last_name("Builder"));
    sandbox.add_group(NewGroup::group(GROUP, "Readers").owner(ANN).member(BOB)).unwrap();
    let supergroup = NewGroup::supergroup(SUPERGROUP, "Big readers").owner(ANN).admin(BOB).username("bigreaders");
    sandbox.add_group(supergroup).unwrap();
    sandbox.add_group(NewGroup::channel(CHANNEL, "News").owner(ANN).username("kabarnews")).unwrap();
    sandbox
}

/// A sandbox with Telegram's limits.
pub fn sandbox() -> Sandbox {
    sandbox_with(SandboxConfig::default())
}

/// The real teloxide client, pointed at the sandbox.
pub fn bot(sandbox: &Sandbox) -> teloxide::Bot {
    teloxide::Bot::new(sandbox.token()).set_api_url(sandbox.api_url().parse().unwrap())
}

/// A bare HTTP/1.1 request; returns status and body. Blocking I/O on a blocking thread keeps
/// the tests free of extra tokio features.
pub async fn http(sandbox: &Sandbox, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let addr = sandbox.addr();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(&request).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        String::from_utf8(response).unwrap()
    })
    .await
    .unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// A JSON POST to the Bot API.
pub async fn call(sandbox: &Sandbox, method: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let path = format!("/bot{}/{method}", sandbox.token());
    let (status, body) = http(sandbox, "POST", &path, "application/json", body.to_string().as_bytes()).await;
    (status, serde_json::from_str(&body).unwrap())
}
