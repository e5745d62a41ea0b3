//! Reading a device's push socket in tests, telling silence from failure. "Nothing was pushed"
//! proves something only on a socket that is still alive: a socket that closed, failed or sent
//! something that is not a push message fails the test instead of passing as silence, and a
//! silent socket must still answer a ping at the end of the wait.

use std::time::Duration;

use dojang_proto::device::PushMessage;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;

pub type Push = dojang_app::api::PushSocket;

/// How long a socket that stayed silent has to answer the ping that shows it is alive.
const PONG_WITHIN: Duration = Duration::from_secs(5);

/// The next push message within `within`. `Ok(None)` only when nothing came and the socket then
/// answered a ping (silence on a live socket); `Err` when it ended, failed, or sent a frame that
/// is not a push message. A push message that arrives while the ping is answered is returned.
pub async fn read_push(ws: &mut Push, within: Duration) -> Result<Option<PushMessage>, String> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, ws.next()).await else {
            break;
        };
        if let Some(m) = message(next)? {
            return Ok(Some(m));
        }
    }
    // Silent so far: is anyone still there?
    const PROBE: &[u8] = b"dojang test: alive?";
    ws.send(Message::Ping(PROBE.to_vec().into()))
        .await
        .map_err(|e| format!("silent, and the ping to check the socket failed: {e}"))?;
    let deadline = tokio::time::Instant::now() + PONG_WITHIN;
    loop {
        let next = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| format!("silent, and no answer to a ping within {PONG_WITHIN:?}"))?;
        if let Some(Ok(Message::Pong(p))) = &next
            && p.as_ref() == PROBE
        {
            return Ok(None);
        }
        if let Some(m) = message(next)? {
            return Ok(Some(m));
        }
    }
}

/// One item of the socket's stream: a push message, nothing to report (a ping or pong), or why
/// the socket can no longer tell us anything.
fn message(
    next: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> Result<Option<PushMessage>, String> {
    match next {
        None => Err("the socket ended".into()),
        Some(Err(e)) => Err(format!("socket error: {e}")),
        Some(Ok(Message::Text(t))) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| format!("not a push message ({e}): {t}")),
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(None),
        Some(Ok(Message::Close(f))) => Err(format!("the server closed the socket: {f:?}")),
        Some(Ok(other)) => Err(format!("not a push message: {other:?}")),
    }
}

/// The next push message, or `None` after `within` of silence on a live socket. A socket that
/// ended, failed or sent garbage fails the test.
pub async fn next_push(ws: &mut Push, within: Duration) -> Option<PushMessage> {
    read_push(ws, within)
        .await
        .unwrap_or_else(|e| panic!("push socket: {e}"))
}

/// Nothing is pushed within `within`, on a socket still alive to say so.
pub async fn assert_not_pushed(ws: &mut Push, within: Duration, what: &str) {
    match read_push(ws, within).await {
        Ok(None) => {}
        Ok(Some(m)) => panic!("{what}: pushed {m:?}"),
        Err(e) => panic!("{what}: cannot tell, the push socket failed: {e}"),
    }
}

/// The hello every push connection starts with.
pub async fn expect_hello(ws: &mut Push) {
    let hello = next_push(ws, Duration::from_secs(5)).await;
    assert!(
        matches!(hello, Some(PushMessage::Hello { .. })),
        "the hello comes first: {hello:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::{BIRTH, NAME, PHONE};
    use dojang_testkit::TestServer;
    use tokio::net::TcpListener;

    /// How a stand-in push server behaves after the handshake.
    #[derive(Clone, Copy)]
    enum Peer {
        /// Keeps the socket open and answers pings, saying nothing.
        Silent,
        /// Sends a close frame.
        Closes,
        /// Drops the TCP connection without a closing handshake.
        Drops,
        /// Sends text that is not a push message.
        Garbage,
        /// Keeps the socket open but never reads it, so a ping goes unanswered.
        Deaf,
    }

    /// A client socket connected to a stand-in push server on 127.0.0.1 behaving as `peer`.
    async fn socket_to(peer: Peer) -> Push {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            match peer {
                Peer::Silent => while let Some(Ok(_)) = ws.next().await {},
                Peer::Closes => {
                    ws.close(None).await.unwrap();
                    while let Some(Ok(_)) = ws.next().await {}
                }
                Peer::Drops => drop(ws),
                Peer::Garbage => {
                    ws.send(Message::Text("{\"type\":\"nonsense\"".into()))
                        .await
                        .unwrap();
                    while let Some(Ok(_)) = ws.next().await {}
                }
                Peer::Deaf => {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    drop(ws);
                }
            }
        });
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/push"))
            .await
            .unwrap();
        ws
    }

    /// Whether `assert_not_pushed` fails the test on this socket.
    async fn negative_check_fails(ws: Push) -> bool {
        let task = tokio::spawn(async move {
            let mut ws = ws;
            assert_not_pushed(&mut ws, Duration::from_millis(300), "a negative check").await;
        });
        match task.await {
            Ok(()) => false,
            Err(e) => e.is_panic(),
        }
    }

    #[tokio::test]
    async fn silence_on_a_live_socket_passes_the_negative_check() {
        assert!(!negative_check_fails(socket_to(Peer::Silent).await).await);
        let mut ws = socket_to(Peer::Silent).await;
        assert_eq!(
            read_push(&mut ws, Duration::from_millis(200)).await,
            Ok(None)
        );
    }

    #[tokio::test]
    async fn a_closed_broken_garbled_or_deaf_socket_fails_the_negative_check() {
        for (peer, name) in [
            (Peer::Closes, "closed"),
            (Peer::Drops, "dropped"),
            (Peer::Garbage, "garbage"),
        ] {
            let mut ws = socket_to(peer).await;
            let got = read_push(&mut ws, Duration::from_millis(300)).await;
            assert!(got.is_err(), "{name}: {got:?}");
            assert!(
                negative_check_fails(socket_to(peer).await).await,
                "{name}: the negative check must fail"
            );
        }
        // Silent but not answering a ping: not known to be alive.
        let started = tokio::time::Instant::now();
        assert!(negative_check_fails(socket_to(Peer::Deaf).await).await);
        assert!(started.elapsed() >= PONG_WITHIN);
    }

    #[tokio::test]
    async fn the_real_push_socket_is_silent_when_alive_and_fails_once_closed() {
        let s = TestServer::start().await;
        let device = s.enrol(NAME, PHONE, BIRTH).await;
        let mut ws = device.api.connect_push().await.unwrap();
        expect_hello(&mut ws).await;
        // The server answers the liveness ping: silence is silence.
        assert_eq!(
            read_push(&mut ws, Duration::from_millis(300)).await,
            Ok(None)
        );
        // The client closes its socket: the negative check can no longer pass.
        ws.close(None).await.unwrap();
        assert!(negative_check_fails(ws).await);
        // The server closes it (as at shutdown).
        let mut ws = device.api.connect_push().await.unwrap();
        expect_hello(&mut ws).await;
        s.state().shutdown.cancel();
        let got = read_push(&mut ws, Duration::from_secs(2)).await;
        assert!(got.is_err(), "after the server's close: {got:?}");
    }
}
