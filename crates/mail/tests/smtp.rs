//! [`SmtpOutbox`] against a local fake SMTP server that speaks the protocol
//! (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) and records what it receives.

#![allow(clippy::unwrap_used)]

use secrecy::SecretString;
use studiobrain_auth::models::{EmailAddress, OutgoingEmail};
use studiobrain_auth::ports::Outbox;
use studiobrain_mail::{SmtpOutbox, SmtpSecurity, SmtpSettings, UnconfiguredOutbox};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Serves one SMTP session and returns the transcript of client lines.
async fn fake_smtp(listener: TcpListener) -> Vec<String> {
    let (socket, _) = listener.accept().await.unwrap();
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut transcript = Vec::new();
    write
        .write_all(b"220 fake.smtp ESMTP ready\r\n")
        .await
        .unwrap();
    let mut in_data = false;
    while let Some(line) = lines.next_line().await.unwrap() {
        transcript.push(line.clone());
        if in_data {
            if line == "." {
                in_data = false;
                write.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
            }
            continue;
        }
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-fake.smtp\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
            "AUTH" => b"235 2.7.0 authenticated\r\n",
            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 2.1.0 ok\r\n",
            "DATA" => {
                in_data = true;
                b"354 end with <CRLF>.<CRLF>\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await.unwrap();
                break;
            }
            _ => b"502 5.5.2 unknown command\r\n",
        };
        write.write_all(reply).await.unwrap();
    }
    transcript
}

#[tokio::test]
async fn delivers_through_the_relay_with_credentials() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(fake_smtp(listener));

    let outbox = SmtpOutbox::new(&SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: "mailer".into(),
        password: SecretString::from("relay-password"),
        from: "StudioBrain <no-reply@studio.example>".into(),
    })
    .unwrap();
    outbox
        .send(&OutgoingEmail {
            to: EmailAddress::parse("ann@example.com").unwrap(),
            subject: "Reset your password".into(),
            body: "Your token: abc123".into(),
        })
        .await
        .unwrap();
    drop(outbox);

    let transcript = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    let text = transcript.join("\n");
    assert!(
        text.contains("MAIL FROM:<no-reply@studio.example>"),
        "{text}"
    );
    assert!(text.contains("RCPT TO:<ann@example.com>"), "{text}");
    assert!(text.contains("AUTH PLAIN"), "credentials were used: {text}");
    assert!(text.contains("Subject: Reset your password"), "{text}");
    assert!(text.contains("Your token: abc123"), "{text}");
}

#[tokio::test]
async fn an_unreachable_relay_is_an_error_not_a_silent_success() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let outbox = SmtpOutbox::new(&SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: String::new(),
        password: SecretString::from(""),
        from: "no-reply@studio.example".into(),
    })
    .unwrap();
    let email = OutgoingEmail {
        to: EmailAddress::parse("ann@example.com").unwrap(),
        subject: "s".into(),
        body: "b".into(),
    };
    assert!(outbox.send(&email).await.is_err());
    let unconfigured = UnconfiguredOutbox
        .send(&email)
        .await
        .unwrap_err()
        .to_string();
    assert!(unconfigured.contains("smtp.host"), "{unconfigured}");
}
