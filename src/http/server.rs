//! Serving the router to the world: HTTP/1.1 with a deadline for each request's headers (which
//! also closes keep-alive connections left idle), a deadline for the whole request, its body
//! included, a cap on the connections held open at once, and a graceful stop. A few thousand
//! idle or slow clients cannot keep `/healthz` from answering.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Extension, Router,
    extract::{ConnectInfo, Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_util::sync::CancellationToken;

use super::error::ApiError;

/// How long requests in flight may take to finish once kabar stops.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long the server waits before accepting again when accepting failed (out of file
/// descriptors, say): the connections it holds close meanwhile.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once; past it, new ones wait in the listen queue.
    pub max_connections: usize,
    /// A request's headers must arrive within this, and an idle keep-alive connection is closed
    /// after it.
    pub header_timeout: Duration,
    /// A request, its body included, must arrive and be answered within this: a client sending
    /// its body a byte at a time cannot hold a connection either.
    pub request_timeout: Duration,
}

impl ConnectionLimits {
    /// Files kept for everything but HTTP clients: the database, feed fetches, the chat API.
    const FILES_FOR_THE_REST: u64 = 256;

    /// These limits, with no more connections than the process may open files for: past that,
    /// accepting fails and `/healthz` could not be reached at all.
    pub fn within_open_files(self) -> ConnectionLimits {
        let Ok((allowed, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) else { return self };
        let room = allowed.saturating_sub(Self::FILES_FOR_THE_REST).max(16);
        let max_connections = self.max_connections.min(usize::try_from(room).unwrap_or(usize::MAX));
        ConnectionLimits { max_connections, ..self }
    }
}

/// Serves `router` on `listener` until `stop` is cancelled.
pub async fn serve(listener: TcpListener, router: Router, limits: ConnectionLimits, stop: CancellationToken) {
    let router = router.layer(middleware::from_fn_with_state(limits.request_timeout, answer_within));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the connection slots are never closed"),
            () = stop.cancelled() => break,
        };
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept an HTTP connection; trying again shortly");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let connection = http.serve_connection(TokioIo::new(stream), service_for(&router, client));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%client, %error, "an HTTP connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(STOP_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("HTTP requests still in flight after the grace period were left behind");
    }
}

/// Runs the request, answering 408 (and closing the connection) when it takes longer than
/// `deadline`, reading the body included.
async fn answer_within(State(deadline): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(?deadline, "an HTTP request took too long and was cut off");
            ApiError::TimedOut(deadline.as_secs()).into_response()
        }
    }
}

/// The router for one client's connection, knowing the client's address (the dashboard's login
/// limit is per address).
fn service_for(router: &Router, client: SocketAddr) -> TowerToHyperService<Router> {
    TowerToHyperService::new(router.clone().layer(Extension(ConnectInfo(client))))
}
