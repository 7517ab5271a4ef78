//! The stop signal: every long-running part holds a `watch::Receiver<bool>` that turns true when
//! kabar stops.

use tokio::sync::watch;

/// Resolves once the stop flag is raised (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}
