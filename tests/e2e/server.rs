//! The HTTP server under siege, through the real binary: thousands of idle connections, clients
//! that send their headers a line at a time or their body a byte at a time, keep-alive
//! connections left open. `/healthz` keeps
//! answering, and what holds a connection without using it is cut off.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use reqwest::Client;

use crate::binary::{Setup, kill};

const IDLE_CONNECTIONS: usize = 2_000;
/// The `[http] header_timeout_secs` these tests run with.
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// The `[http] request_timeout_secs` these tests run with.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

fn setup() -> Setup {
    let setup = Setup::new();
    // The config file ends in its [http] table, so the keys land there.
    setup.write_config(&format!(
        "header_timeout_secs = {}\nrequest_timeout_secs = {}",
        HEADER_TIMEOUT.as_secs(),
        REQUEST_TIMEOUT.as_secs()
    ));
    setup
}

#[tokio::test]
async fn healthz_answers_while_two_thousand_idle_connections_are_open() {
    // The test itself holds the connections: it needs as many files.
    rlimit::increase_nofile_limit(IDLE_CONNECTIONS as u64 + 1_000).unwrap();
    let setup = Setup::new();
    setup.write_config("");
    let http = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let kabar = setup.start(&http).await;
    let address = format!("127.0.0.1:{}", setup.port);
    let idle: Vec<TcpStream> = (0..IDLE_CONNECTIONS).map(|_| TcpStream::connect(&address).unwrap()).collect();

    let fresh = Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let answer = fresh.get(format!("{}/healthz", setup.api())).send().await.expect("/healthz answers");
        assert_eq!(answer.status(), 200);
        eprintln!("/healthz answered in {:?} beside {} idle connections", started.elapsed(), idle.len());
    }
    drop(idle);
    kill(kabar);
}

#[tokio::test]
async fn a_client_sending_its_headers_a_line_at_a_time_is_cut_off_after_the_header_timeout() {
    let setup = setup();
    let http = Client::new();
    let kabar = setup.start(&http).await;
    let mut slow = TcpStream::connect(format!("127.0.0.1:{}", setup.port)).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: kabar\r\n").unwrap();
    let started = Instant::now();
    let mut cut_off = false;
    for line in 0..20 {
        std::thread::sleep(Duration::from_millis(500));
        if slow.write_all(format!("X-Line-{line}: still coming\r\n").as_bytes()).is_err() {
            cut_off = true;
            break;
        }
        if answered_or_closed(&mut slow) {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "a client dribbling headers kept its connection for {:?}", started.elapsed());
    kill(kabar);
}

#[tokio::test]
async fn a_client_sending_its_body_a_byte_at_a_time_gets_408_after_the_request_timeout() {
    let setup = setup();
    let http = Client::new();
    let kabar = setup.start(&http).await;
    let mut slow = TcpStream::connect(format!("127.0.0.1:{}", setup.port)).unwrap();
    let headers = format!(
        "POST /api/broadcasts HTTP/1.1\r\nHost: kabar\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        crate::helpers::ADMIN_TOKEN
    );
    slow.write_all(headers.as_bytes()).unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    while started.elapsed() < REQUEST_TIMEOUT * 4 {
        std::thread::sleep(Duration::from_millis(250));
        if slow.write_all(b" ").is_err() {
            break;
        }
        if let Some(read) = read_available(&mut slow) {
            answer = read;
            break;
        }
    }
    assert!(answer.starts_with("HTTP/1.1 408"), "after {:?}: {answer:?}", started.elapsed());
    assert!(answer.contains("took longer than 3 seconds"), "{answer}");
    assert!(
        started.elapsed() >= REQUEST_TIMEOUT - Duration::from_millis(500),
        "cut off early: {:?}",
        started.elapsed()
    );
    // A new connection: the pooled one idled past the header timeout and is closed.
    let fresh = Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let answer = fresh.get(format!("{}/healthz", setup.api())).send().await.unwrap();
    assert_eq!(answer.status(), 200, "the server goes on");
    kill(kabar);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let setup = setup();
    let http = Client::new();
    let kabar = setup.start(&http).await;
    let mut client = TcpStream::connect(format!("127.0.0.1:{}", setup.port)).unwrap();
    client.write_all(b"GET /healthz HTTP/1.1\r\nHost: kabar\r\n\r\n").unwrap();
    client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = [0u8; 4096];
    let read = client.read(&mut answer).unwrap();
    assert!(String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 200"));

    client.set_read_timeout(Some(HEADER_TIMEOUT * 5)).unwrap();
    let idle_since = Instant::now();
    let read = client.read(&mut answer);
    assert!(matches!(read, Ok(0)), "the idle connection is still open after {:?}: {read:?}", idle_since.elapsed());
    kill(kabar);
}

/// What the server has sent so far, when it has sent anything or closed the connection.
fn read_available(stream: &mut TcpStream) -> Option<String> {
    stream.set_nonblocking(true).unwrap();
    let mut buffer = [0u8; 4096];
    let result = stream.read(&mut buffer);
    stream.set_nonblocking(false).unwrap();
    match result {
        Ok(read) => Some(String::from_utf8_lossy(&buffer[..read]).into_owned()),
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(error) => Some(format!("closed: {error}")),
    }
}

/// Whether the server has answered (a 408, say) or closed the connection.
fn answered_or_closed(stream: &mut TcpStream) -> bool {
    read_available(stream).is_some()
}
