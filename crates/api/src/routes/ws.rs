//! Contract section "WebSocket": `GET /api/ws`, the live event channel.
//! A socket authenticates with a JWT in the `token` query parameter or in
//! its first message (`{"type":"auth","token":"..."}`), else it is closed
//! with a policy-violation code. It then receives its tenant's events
//! (`entity_updated`, `sync_completed`, `presence_update`) as JSON text
//! frames, announces what its user edits (`{"type":"editing",...}`,
//! `{"type":"idle"}`), and is pinged every interval; a socket that stops
//! answering, or falls further behind than its queue allows, is closed.

use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use serde::Deserialize;
use std::time::{Duration, Instant};
use studiobrain_auth::Principal;
use studiobrain_kernel::TenantId;
use studiobrain_sync::presence::ConnectionId;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

/// How long a socket may take to send its credentials.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest frame accepted from a client.
const MAX_FRAME: usize = 64 * 1024;

/// Query of the upgrade request.
#[derive(Debug, Deserialize, IntoParams)]
pub struct WsQuery {
    /// An access token (JWT); else send it as the first message.
    pub token: Option<String>,
}

/// What a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    /// Credentials (first message only).
    Auth { token: String },
    /// The user edits this entity now.
    Editing {
        entity_type: String,
        entity_id: String,
    },
    /// The user edits nothing now.
    Idle,
    /// Application-level keep-alive.
    Ping,
}

fn close(code: CloseCode, why: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code,
        description: Some(why.to_owned()),
    })
}

/// Open the live event channel.
#[utoipa::path(tag = "WebSocket", params(WsQuery),
    responses((status = 101, description = "Switching to the WebSocket protocol"), (status = 400, description = "Not a WebSocket upgrade")))]
#[get("/api/ws")]
pub async fn websocket(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
    query: web::Query<WsQuery>,
) -> actix_web::Result<HttpResponse> {
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(MAX_FRAME);
    let token = query.into_inner().token;
    actix_web::rt::spawn(async move {
        let mut socket = Socket {
            state,
            session,
            stream,
        };
        let principal = match token {
            Some(token) => socket.state.auth.authenticate(&token).await.ok(),
            None => socket.first_message_credentials().await,
        };
        match principal {
            Some(principal) => socket.serve(principal).await,
            None => {
                let _ = socket
                    .session
                    .close(close(CloseCode::Policy, "authentication required"))
                    .await;
            }
        }
    });
    Ok(response)
}

/// One connected socket.
struct Socket {
    state: web::Data<AppState>,
    session: Session,
    stream: MessageStream,
}

impl Socket {
    /// Waits for `{"type":"auth","token":...}` as the first message.
    async fn first_message_credentials(&mut self) -> Option<Principal> {
        let first = tokio::time::timeout(AUTH_TIMEOUT, self.stream.recv())
            .await
            .ok()??;
        let Ok(Message::Text(text)) = first else {
            return None;
        };
        match serde_json::from_str::<ClientMessage>(&text) {
            Ok(ClientMessage::Auth { token }) => self.state.auth.authenticate(&token).await.ok(),
            _ => None,
        }
    }

    /// Relays the tenant's events and the client's presence until either
    /// side goes away.
    async fn serve(mut self, principal: Principal) {
        let state = self.state.clone();
        let live = &state.live;
        let events = live.reconciler.entities().events().clone();
        let tenant = principal.tenant_id.clone();
        let mut bus = live.bus.subscribe();
        let (connection, online) = live.presence.connect(&tenant, &principal.user_id);
        if let Some(online) = online {
            events.publish(online);
        }
        let hello = serde_json::json!({
            "type": "connected",
            "tenant_id": tenant,
            "user_id": principal.user_id,
        });
        let every = Duration::from_secs(self.state.settings.sync.ping_interval_secs.max(1));
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let mut last_heard = Instant::now();
        let mut reason = None;
        if self.session.text(hello.to_string()).await.is_ok() {
            loop {
                tokio::select! {
                    event = bus.recv() => match event {
                        Ok(event) if event.tenant_id == tenant => {
                            let Ok(json) = serde_json::to_string(&*event) else { continue };
                            if self.session.text(json).await.is_err() {
                                break;
                            }
                        }
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => {
                            reason = close(CloseCode::Again, "too slow: events were dropped, reconnect and reload");
                            break;
                        }
                        Err(RecvError::Closed) => break,
                    },
                    message = self.stream.recv() => {
                        let Some(Ok(message)) = message else { break };
                        last_heard = Instant::now();
                        live.presence.touch(&tenant, connection);
                        if self.answer(message, &tenant, connection).await.is_err() {
                            break;
                        }
                    }
                    _ = ping.tick() => {
                        if last_heard.elapsed() > every * 2 || !live.presence.is_live(&tenant, connection) {
                            reason = close(CloseCode::Away, "no answer to pings");
                            break;
                        }
                        if self.session.ping(b"").await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
        if let Some(offline) = live.presence.disconnect(&tenant, connection) {
            events.publish(offline);
        }
        let _ = self.session.close(reason).await;
    }

    /// Acts on one client frame. `Err` when the socket should close.
    async fn answer(
        &mut self,
        message: Message,
        tenant: &TenantId,
        connection: ConnectionId,
    ) -> Result<(), actix_ws::Closed> {
        let state = self.state.clone();
        let live = &state.live;
        let presence_change = |target| {
            if let Some(event) = live.presence.set_editing(tenant, connection, target) {
                live.reconciler.entities().events().publish(event);
            }
        };
        match message {
            Message::Ping(bytes) => self.session.pong(&bytes).await,
            Message::Close(_) => Err(actix_ws::Closed),
            Message::Text(text) => match serde_json::from_str::<ClientMessage>(&text) {
                Ok(ClientMessage::Editing {
                    entity_type,
                    entity_id,
                }) => {
                    presence_change(Some((entity_type, entity_id)));
                    Ok(())
                }
                Ok(ClientMessage::Idle) => {
                    presence_change(None);
                    Ok(())
                }
                Ok(ClientMessage::Ping) => self.session.text(r#"{"type":"pong"}"#).await,
                Ok(ClientMessage::Auth { .. }) => Ok(()),
                Err(err) => {
                    let error = serde_json::json!({"type": "error", "detail": format!("unreadable message: {err}")});
                    self.session.text(error.to_string()).await
                }
            },
            _ => Ok(()),
        }
    }
}
