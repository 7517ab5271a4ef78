//! The HTTP surface as any client sees it: body encodings, method-name case, error envelopes,
//! and the `/control` API.

mod common;

use std::time::Duration;

use common::{ANN, GROUP, call, http, sandbox, sandbox_with};
use serde_json::{Value, json};
use tg_sandbox::{NewUser, SandboxConfig};

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn method_names_are_case_insensitive() {
    let sandbox = sandbox();
    for name in ["getMe", "GetMe", "getme", "GETME"] {
        let (status, body) = call(&sandbox, name, json!({})).await;
        assert_eq!((status, body["ok"].clone()), (200, json!(true)), "{name}");
    }
}

#[tokio::test]
async fn a_wrong_token_and_an_unknown_method_answer_like_telegram() {
    let sandbox = sandbox();
    let (status, body) = http(&sandbox, "POST", "/bot1:nope/getMe", "application/json", b"{}").await;
    assert_eq!(status, 401);
    assert_eq!(parse(&body), json!({"ok": false, "error_code": 401, "description": "Unauthorized"}));
    let (status, body) = call(&sandbox, "sendTelepathy", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"ok": false, "error_code": 404, "description": "Not Found"}));
}

#[tokio::test]
async fn form_query_and_multipart_parameters_are_all_read() {
    let sandbox = sandbox_with(SandboxConfig::unlimited());
    let path = format!("/bot{}/sendMessage", sandbox.token());
    let form = format!("chat_id={ANN}&text=%3Cb%3Eform%3C%2Fb%3E&parse_mode=HTML");
    let (status, body) = http(&sandbox, "POST", &path, "application/x-www-form-urlencoded", form.as_bytes()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(parse(&body)["result"]["entities"][0]["type"], "bold");

    let query = format!("{path}?chat_id={ANN}&text=query");
    let (status, body) = http(&sandbox, "GET", &query, "text/plain", b"").await;
    assert_eq!((status, parse(&body)["result"]["text"].clone()), (200, json!("query")));

    let boundary = "XyZ";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n{ANN}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"reply_markup\"\r\n\r\n\
         {{\"inline_keyboard\":[[{{\"text\":\"ok\",\"callback_data\":\"ok\"}}]]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nmultipart\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let (status, body) = http(&sandbox, "POST", &path, &content_type, multipart.as_bytes()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(parse(&body)["result"]["reply_markup"]["inline_keyboard"][0][0]["text"], "ok");
}

#[tokio::test]
async fn a_429_carries_retry_after_in_parameters() {
    let mut config = SandboxConfig::default();
    config.limits.per_chat_per_second = Some(0.001);
    let sandbox = sandbox_with(config);
    for _ in 0..3 {
        call(&sandbox, "sendMessage", json!({"chat_id": ANN, "text": "x"})).await;
    }
    let (status, body) = call(&sandbox, "sendMessage", json!({"chat_id": ANN, "text": "x"})).await;
    assert_eq!(status, 429);
    let wait = body["parameters"]["retry_after"].as_u64().unwrap();
    assert!(wait >= 1);
    assert_eq!(body["description"], format!("Too Many Requests: retry after {wait}"));
    assert_eq!(body["error_code"], 429);
}

#[tokio::test]
async fn bad_keyboards_are_refused() {
    let sandbox = sandbox_with(SandboxConfig::unlimited());
    let long_data = "d".repeat(65);
    let cases = [
        (json!({"inline_keyboard": [[{"text": "x", "callback_data": long_data}]]}), "Bad Request: BUTTON_DATA_INVALID"),
        (
            json!({"inline_keyboard": [[{"text": "x"}]]}),
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ),
    ];
    for (markup, description) in cases {
        let (status, body) =
            call(&sandbox, "sendMessage", json!({"chat_id": ANN, "text": "x", "reply_markup": markup})).await;
        assert_eq!((status, body["description"].as_str().unwrap()), (400, description));
    }
    assert!(sandbox.sent().is_empty());
}

#[tokio::test]
async fn the_global_limit_holds_in_every_one_second_window() {
    let sandbox = sandbox();
    let readers: Vec<i64> = (5000..5200).collect();
    for id in &readers {
        sandbox.add_user(NewUser::new(*id, "Reader"));
    }
    let mut accepted = 0;
    for id in &readers {
        let (status, _) = call(&sandbox, "sendMessage", json!({"chat_id": id, "text": "bulletin"})).await;
        accepted += usize::from(status == 200);
    }
    assert!(accepted >= 30, "an empty window admits the first thirty");
    assert_eq!(accepted + sandbox.count_429(), readers.len());
    assert!(sandbox.max_sends_in_any_window(Duration::from_secs(1), None) <= 30);
    let per_second: usize = sandbox.sends_per_second().iter().map(|(_, n)| n).sum();
    assert_eq!(per_second, accepted);
}

#[tokio::test]
async fn the_control_api_plays_readers_over_http() {
    let sandbox = sandbox();
    let control = |path: &str, body: Value| {
        let sandbox = sandbox.clone();
        let path = format!("/control{path}");
        async move {
            let (status, body) = http(&sandbox, "POST", &path, "application/json", body.to_string().as_bytes()).await;
            (status, parse(&body))
        }
    };
    let (status, _) = control("/users", json!({"id": 3003, "first_name": "Cy", "username": "cy"})).await;
    assert_eq!(status, 200);
    let (_, sent) = control("/messages", json!({"chat_id": 3003, "user_id": 3003, "text": "/start"})).await;
    assert_eq!(sent["result"]["message_id"], 1);
    let (status, body) = control("/messages", json!({"chat_id": GROUP, "user_id": 3003, "text": "hi"})).await;
    assert_eq!(status, 400, "Cy is not in the group: {body}");
    let (status, _) = control("/users/3003/block", json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = call(&sandbox, "sendMessage", json!({"chat_id": 3003, "text": "x"})).await;
    assert_eq!(status, 403);
    let (status, body) = http(&sandbox, "GET", "/control/rejections", "application/json", b"").await;
    assert_eq!(status, 200);
    assert_eq!(parse(&body)["result"][0]["description"], "Forbidden: bot was blocked by the user");
    let (status, _) = control("/faults", json!({"fault": "bad_gateway", "method": "getMe"})).await;
    assert_eq!(status, 200);
    let (status, body) = call_raw_get_me(&sandbox).await;
    assert_eq!(status, 502);
    assert!(body.contains("<title>502 Bad Gateway</title>"));
}

async fn call_raw_get_me(sandbox: &tg_sandbox::Sandbox) -> (u16, String) {
    let path = format!("/bot{}/getMe", sandbox.token());
    http(sandbox, "POST", &path, "application/json", b"{}").await
}

#[tokio::test]
async fn waiting_for_messages_that_never_come_returns_what_there_is() {
    let sandbox = sandbox();
    let sent = sandbox.wait_for_sent(ANN, 1, Duration::from_millis(50)).await;
    assert!(sent.is_empty());
}

#[tokio::test]
async fn shutdown_ends_long_polls_and_stops_serving() {
    let sandbox = sandbox();
    let (_, body) = call(&sandbox, "getUpdates", json!({"offset": -1})).await;
    let next = body["result"][0]["update_id"].as_i64().unwrap() + 1;
    let polling = {
        let sandbox = sandbox.clone();
        tokio::spawn(async move { call(&sandbox, "getUpdates", json!({"offset": next, "timeout": 50})).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    sandbox.shutdown();
    let (status, body) = tokio::time::timeout(common::PATIENCE, polling).await.unwrap().unwrap();
    assert_eq!((status, body["result"].clone()), (200, json!([])));
    let addr = sandbox.addr();
    let refused = tokio::time::timeout(common::PATIENCE, async move {
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    assert!(refused.await.is_ok(), "the listener closes");
}
