//! A thin command line around aws-ssm-bridge, an independent Rust client of the Session Manager data channel, so
//! that the sandbox can be checked against code nobody here wrote. Everything protocol-related is the crate's;
//! this file only wires its public API to stdin/stdout.
//!
//! ```text
//! ssm-bridge-probe proxy <target> [--port N] [--events FILE]   AWS-StartSSHSession on stdin/stdout (ProxyCommand),
//!                                                               resumed with ssm:ResumeSession when the socket drops
//! ssm-bridge-probe forward <target> <port> [--events FILE]     AWS-StartPortForwardingSession (smux) on a local port;
//!                                                               prints {"port":N,"sessionId":…}, ends on stdin EOF
//! ssm-bridge-probe frames                                       JSON lines on stdin: {"decode":"<hex>"} or
//!                                                               {"encode":{…}}; one JSON answer per line on stdout
//! ```
//!
//! The SSM endpoint, region and credentials come from the standard AWS environment (`AWS_ENDPOINT_URL_SSM`,
//! `AWS_REGION`, `AWS_ACCESS_KEY_ID`…). The data channel may be any URL (`EndpointPolicy::AllowAny`): the sandbox
//! serves it on loopback. `--events FILE` appends one JSON line per reconnect event and, at exit, the crate's
//! counters (messages, acknowledgements, retransmissions).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_ssm_bridge::binary_protocol::{ClientMessage, MessageType, PayloadType};
use aws_ssm_bridge::documents::{PortForwardingSession, SshSession};
use aws_ssm_bridge::metrics::{self, MetricsRecorder};
use aws_ssm_bridge::{
    DocumentSpec, EndpointPolicy, PortForwardConfig, PortForwarder, ReconnectConfig, ReconnectEvent,
    ReconnectingSession, SessionConfig, SessionManager, ShutdownSignal,
};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// Counters of the crate, kept for the events file.
#[derive(Default)]
struct Counters(Mutex<BTreeMap<String, u64>>);

/// The process-wide recorder handed to the crate; shares its counters with [`Events`].
struct Recorder(Arc<Counters>);

impl MetricsRecorder for Recorder {
    fn counter(&self, name: &str, value: u64) {
        *self.0 .0.lock().unwrap().entry(name.to_owned()).or_default() += value;
    }
}

/// Appends JSON lines to the `--events` file, if one was given.
#[derive(Clone)]
struct Events {
    file: Option<Arc<Mutex<std::fs::File>>>,
    counters: Arc<Counters>,
}

impl Events {
    fn open(path: Option<&str>) -> Result<Self, String> {
        let counters = Arc::new(Counters::default());
        let _ = metrics::register(Box::new(Recorder(Arc::clone(&counters))));
        let file = match path {
            Some(path) => Some(Arc::new(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("cannot open {path}: {e}"))?,
            ))),
            None => None,
        };
        Ok(Self { file, counters })
    }

    fn write(&self, value: Value) {
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap();
            let _ = writeln!(file, "{value}");
            let _ = file.flush();
        }
    }

    fn finish(&self, outcome: &str) {
        let counters = self.counters.0.lock().unwrap().clone();
        self.write(json!({ "event": "exit", "outcome": outcome, "counters": counters }));
    }
}

fn session_config(target: &str, document: DocumentSpec) -> SessionConfig {
    let mut config = SessionConfig::new(target);
    config.document = Some(document);
    config.endpoint_policy = EndpointPolicy::AllowAny;
    // Output is queued per subscriber and a subscriber that falls this far behind is evicted (bytes lost): leave
    // room for a fast sender and a slow stdout reader.
    config.output_buffer = 1 << 20;
    config
}

/// AWS-StartSSHSession as OpenSSH's ProxyCommand: stdin → session, session output → stdout.
async fn proxy(target: &str, port: u16, events: Events) -> Result<(), String> {
    let manager = SessionManager::new().await.map_err(|e| e.to_string())?;
    let config = ReconnectConfig {
        max_attempts: 20,
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_secs(2),
        session: session_config(target, DocumentSpec::new(&SshSession::on_port(port))),
    };
    let session = ReconnectingSession::connect_with(target, config, manager)
        .await
        .map_err(|e| format!("StartSession: {e}"))?;
    let mut output = session.output();
    let session_id = match session.current().await {
        Some(current) => current.id().to_owned(),
        None => String::new(),
    };
    events.write(json!({ "event": "started", "sessionId": session_id }));

    // A resumed session continues the byte stream; a replaced one is a new sshd connection in the middle of the
    // old one, which would corrupt SSH: report it and stop.
    let mut reconnects = session.events();
    let watcher_events = events.clone();
    tokio::spawn(async move {
        while let Ok(event) = reconnects.recv().await {
            let line = match &event {
                ReconnectEvent::Disconnected { reason } => {
                    json!({ "event": "disconnected", "reason": reason.to_string() })
                }
                ReconnectEvent::Resumed { session_id, attempts } => {
                    json!({ "event": "resumed", "sessionId": session_id, "attempts": attempts })
                }
                ReconnectEvent::Reconnected { session_id, .. } => {
                    watcher_events.write(json!({ "event": "replaced", "sessionId": session_id }));
                    watcher_events.finish("the session was replaced instead of resumed");
                    eprintln!("ssm-bridge-probe: the session could not be resumed and was replaced");
                    std::process::exit(3);
                }
                ReconnectEvent::GaveUp { reason, .. } => json!({ "event": "gave-up", "reason": reason }),
                ReconnectEvent::Reconnecting { attempt, .. } => {
                    json!({ "event": "reconnecting", "attempt": attempt })
                }
                _ => json!({ "event": format!("{event:?}") }),
            };
            watcher_events.write(line);
        }
    });

    let sender = session.clone();
    let upload = tokio::spawn(async move {
        let mut stdin = tokio::io::stdin();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match stdin.read(&mut buffer).await {
                Ok(0) | Err(_) => return Ok::<(), String>(()),
                Ok(n) => sender
                    .send(Bytes::copy_from_slice(&buffer[..n]))
                    .await
                    .map_err(|e| format!("send: {e}"))?,
            }
        }
    });

    let mut stdout = tokio::io::stdout();
    let download = async {
        while let Some(chunk) = output.next().await {
            if stdout.write_all(&chunk).await.is_err() {
                break;
            }
            let _ = stdout.flush().await;
        }
    };

    // Like AWS's plugin, the proxy ends when ssh closes its stdin or when the session ends.
    let result = tokio::select! {
        uploaded = upload => uploaded.unwrap_or_else(|e| Err(e.to_string())),
        () = download => {
            if output.lagged() {
                Err("output fell behind and was dropped".to_owned())
            } else {
                Ok(())
            }
        }
    };
    let _ = session.terminate().await;
    result
}

/// AWS-StartPortForwardingSession on a local port, multiplexed with smux by the crate's PortForwarder.
async fn forward(target: &str, port: u16, events: Events) -> Result<(), String> {
    let manager = SessionManager::new().await.map_err(|e| e.to_string())?;
    let session = Arc::new(
        manager
            .start_session(session_config(target, DocumentSpec::new(&PortForwardingSession::new(port))))
            .await
            .map_err(|e| format!("StartSession: {e}"))?,
    );
    let forwarder = PortForwarder::bind(PortForwardConfig::default())
        .await
        .map_err(|e| e.to_string())?;
    let local = forwarder.local_addr().port();
    println!("{}", json!({ "port": local, "sessionId": session.id() }));
    let _ = std::io::stdout().flush();
    events.write(json!({ "event": "started", "sessionId": session.id() }));

    let shutdown = ShutdownSignal::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let mut sink = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
        stop.shutdown();
    });
    let result = forwarder
        .forward(Arc::clone(&session), shutdown)
        .await
        .map_err(|e| e.to_string());
    if let Some(reason) = session.close_reason() {
        events.write(json!({ "event": "closed", "reason": reason.to_string() }));
    }
    let _ = session.terminate().await;
    result
}

fn message_type(name: &str) -> Result<MessageType, String> {
    Ok(match name {
        "input_stream_data" => MessageType::InputStreamData,
        "output_stream_data" => MessageType::OutputStreamData,
        "acknowledge" => MessageType::Acknowledge,
        "channel_closed" => MessageType::ChannelClosed,
        "start_publication" => MessageType::StartPublication,
        "pause_publication" => MessageType::PausePublication,
        other => return Err(format!("unknown message type {other}")),
    })
}

/// One request of `frames`: the crate's own decoder or encoder on one frame.
fn frame(request: &Value) -> Result<Value, String> {
    if let Some(hex_frame) = request.get("decode").and_then(Value::as_str) {
        let bytes = hex::decode(hex_frame).map_err(|e| e.to_string())?;
        let message = ClientMessage::deserialize(Bytes::from(bytes)).map_err(|e| e.to_string())?;
        return Ok(json!({
            "messageType": message.message_type.as_str(),
            "schemaVersion": message.schema_version,
            "createdDate": message.created_date,
            "sequenceNumber": message.sequence_number,
            "flags": message.flags,
            "messageId": message.message_id.hyphenated().to_string(),
            "payloadDigest": hex::encode(message.payload_digest),
            "payloadType": message.payload_type as u32,
            "payload": hex::encode(&message.payload),
        }));
    }
    let Some(fields) = request.get("encode") else {
        return Err("expected {\"decode\": hex} or {\"encode\": {...}}".to_owned());
    };
    let text = |key: &str| fields.get(key).and_then(Value::as_str).ok_or(format!("{key} is missing"));
    let number = |key: &str| fields.get(key).and_then(Value::as_u64).ok_or(format!("{key} is missing"));
    let payload = hex::decode(text("payload")?).map_err(|e| e.to_string())?;
    let payload_type = u32::try_from(number("payloadType")?).map_err(|e| e.to_string())?;
    let mut message = ClientMessage::new(
        message_type(text("messageType")?)?,
        fields
            .get("sequenceNumber")
            .and_then(Value::as_i64)
            .ok_or("sequenceNumber is missing")?,
        PayloadType::from_u32(payload_type).map_err(|e| e.to_string())?,
        Bytes::from(payload),
    );
    message.created_date = number("createdDate")?;
    message.flags = number("flags")?;
    message.message_id = uuid::Uuid::parse_str(text("messageId")?).map_err(|e| e.to_string())?;
    Ok(json!({ "hex": hex::encode(message.serialize()) }))
}

async fn frames() -> Result<(), String> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(request) => match frame(&request) {
                Ok(value) => json!({ "ok": true, "value": value }),
                Err(error) => json!({ "ok": false, "error": error }),
            },
            Err(error) => json!({ "ok": false, "error": error.to_string() }),
        };
        stdout
            .write_all(format!("{answer}\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
    }
    stdout.flush().await.map_err(|e| e.to_string())
}

const USAGE: &str = "usage: ssm-bridge-probe proxy <target> [--port N] [--events FILE]\n\
                     \x20      ssm-bridge-probe forward <target> <port> [--events FILE]\n\
                     \x20      ssm-bridge-probe frames";

#[tokio::main]
async fn main() -> ExitCode {
    // SSM_BRIDGE_PROBE_LOG=debug|trace|… prints the crate's own log on stderr.
    if let Some(level) = std::env::var("SSM_BRIDGE_PROBE_LOG")
        .ok()
        .and_then(|level| level.parse::<tracing_subscriber::filter::LevelFilter>().ok())
    {
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(std::io::stderr)
            .init();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let positional: Vec<&str> = {
        let mut out = Vec::new();
        let mut skip = false;
        for arg in &args {
            if skip {
                skip = false;
            } else if arg.starts_with("--") {
                skip = true;
            } else {
                out.push(arg.as_str());
            }
        }
        out
    };
    let events = match Events::open(option("--events")) {
        Ok(events) => events,
        Err(e) => {
            eprintln!("ssm-bridge-probe: {e}");
            return ExitCode::from(2);
        }
    };
    // OpenSSH ends its ProxyCommand with SIGHUP: still record the counters.
    for kind in [
        tokio::signal::unix::SignalKind::hangup(),
        tokio::signal::unix::SignalKind::terminate(),
    ] {
        if let Ok(mut signal) = tokio::signal::unix::signal(kind) {
            let events = events.clone();
            tokio::spawn(async move {
                signal.recv().await;
                events.finish("signal");
                std::process::exit(0);
            });
        }
    }
    let port = |text: Option<&str>, default: u16| text.map_or(Ok(default), str::parse::<u16>);
    let result = match positional.as_slice() {
        ["proxy", target] => match port(option("--port"), 22) {
            Ok(port) => proxy(target, port, events.clone()).await,
            Err(e) => Err(format!("--port: {e}")),
        },
        ["forward", target, remote] => match port(Some(remote), 0) {
            Ok(port) => forward(target, port, events.clone()).await,
            Err(e) => Err(format!("port: {e}")),
        },
        ["frames"] => frames().await,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Exit here rather than return: returning would wait for tokio's blocking stdin reader, which only ends when
    // stdin does.
    match result {
        Ok(()) => {
            events.finish("ok");
            std::process::exit(0)
        }
        Err(e) => {
            events.finish(&e);
            eprintln!("ssm-bridge-probe: {e}");
            std::process::exit(1)
        }
    }
}
