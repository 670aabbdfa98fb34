//! The token's share of each rate-limit bucket learned from 429s, kept in the connector's state
//! (key [`keys::PACING`]) from one invocation and one sync to the next (see
//! [`crate::okta::ratelimit`]).

use serde_json::Value;

use super::state::keys;
use crate::airsync::extractor::Sink;
use crate::okta::ratelimit::LearnedShares;
use crate::okta::OktaClient;

/// The learned shares the state keeps (none when absent; unreadable ones are logged and
/// forgotten: pacing then starts from the share the client is told).
pub(crate) fn stored(state: &Value) -> LearnedShares {
    let Some(v) = state.get(keys::PACING) else { return Default::default() };
    serde_json::from_value(v.clone()).unwrap_or_else(|e| {
        tracing::warn!(key = keys::PACING, error = %e, "the saved rate-limit shares are unreadable; starting from the configured share");
        Default::default()
    })
}

/// Saves what the client learned of its token's share of each bucket through the writer, for
/// the next invocation; at the end of a sync (`sync_done`) the buckets that met no 429 in it
/// relax one step ([`LearnedShares::end_sync`]).
pub(crate) async fn keep(client: &OktaClient, sink: &Sink, stored: &LearnedShares, sync_done: bool) {
    let mut learned = client.learned_shares();
    if sync_done {
        learned.end_sync(client.rate_share());
    }
    if &learned == stored {
        return;
    }
    tracing::info!(shares = ?learned, "keeping the rate-limit shares learned for the next invocation");
    if sink.checkpoint(keys::PACING, &learned).await.is_err() {
        tracing::warn!("the writer is gone; the learned rate-limit shares are not kept");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_shares_are_read_back_and_an_unreadable_entry_is_forgotten() {
        let state = serde_json::json!({"pacing": {"/api/v1": {"share": 0.3, "limited": true}}});
        let learned = stored(&state);
        assert_eq!(learned.0.get("/api/v1").map(|l| (l.share, l.limited)), Some((0.3, true)));
        assert!(stored(&serde_json::json!({})).is_empty());
        assert!(stored(&serde_json::json!({"pacing": {"/api/v1": {"share": "most"}}})).is_empty());
    }
}
