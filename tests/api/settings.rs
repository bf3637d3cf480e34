//! Issue 10 item 2: the runtime settings of `PATCH /api/admin/config` apply
//! without a redeploy — SMTP at the next delivery (and at the cron's retry),
//! the maintenance message while the flag is present, the CORS origins, the
//! Strava webhook's verify token.
//!
//! Every test here changes what all requests see: scripts/test.sh runs them
//! alone (`--ignored --test-threads=1`).

use crate::admin::FlagGuard;
use crate::common::*;
use crate::messaging::{outbox_state, run_cron_task, wait_for_mails};
use mykollector::security::Role;
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A second fake SMTP server (`scripts/fake_smtp.py`), stopped when dropped.
struct FakeSmtp {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl FakeSmtp {
    fn start() -> FakeSmtp {
        let dir = std::env::temp_dir().join(unique("mk-smtp2-"));
        std::fs::create_dir_all(&dir).unwrap();
        let ready = dir.join("port");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fake_smtp.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--dir", dir.join("mails").to_str().unwrap()])
            .args(["--port", "0", "--ready-file", ready.to_str().unwrap()])
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 runs the fake SMTP server");
        for _ in 0..100 {
            if let Some(port) = std::fs::read_to_string(&ready)
                .ok()
                .and_then(|p| p.trim().parse().ok())
            {
                return FakeSmtp { child, port, dir };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the second fake SMTP server did not start");
    }

    fn mails_to(&self, to: &str) -> Vec<String> {
        raw_mails_in(&self.dir.join("mails"), to)
    }

    fn wait_for(&self, to: &str) -> Vec<String> {
        for _ in 0..100 {
            let mails = self.mails_to(to);
            if !mails.is_empty() {
                return mails;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no mail to {to} reached the server of the new settings");
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the given settings when dropped, so a failing assertion never
/// leaves them in place for the rest of the run.
struct Settings<'a>(&'a str, &'static [&'static str]);

impl Settings<'_> {
    fn set(&self, values: &Value) -> Value {
        patch("/api/admin/config", Some(self.0), values).expect(200)
    }
}

impl Drop for Settings<'_> {
    fn drop(&mut self) {
        let nulls: serde_json::Map<String, Value> = self
            .1
            .iter()
            .map(|k| (k.to_string(), Value::Null))
            .collect();
        let _ = patch("/api/admin/config", Some(self.0), &Value::Object(nulls));
    }
}

fn forgot_password(email: &str) {
    let r = post(
        "/api/auth/forgot-password",
        None,
        &json!({ "email": email }),
    );
    assert_eq!(r.expect(200)["ok"], true);
}

/// Waits until the outbox row of `to` has been attempted and its failure
/// recorded.
fn wait_for_failure(to: &str) -> (u32, Option<String>, bool) {
    for _ in 0..200 {
        if let Some(state) = outbox_state(to).filter(|s| s.0 >= 1 && s.1.is_some()) {
            return state;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no failed attempt recorded for the mail to {to}");
}

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
#[ignore = "exclusive: scripts/test.sh runs it alone"]
fn smtp_settings_changed_in_the_console_apply_to_the_next_mail_and_its_retry() {
    let sa = user(Role::SuperAdmin);
    let settings = Settings(&sa.token, &["smtp.host", "smtp.port"]);
    let other = FakeSmtp::start();
    settings.set(&json!({ "smtp.host": "127.0.0.1", "smtp.port": other.port }));

    let first = user(Role::Sportif);
    forgot_password(&first.email);
    let mails = other.wait_for(&first.email);
    assert!(mails[0].contains("Subject:"), "{}", mails[0]);
    assert!(
        raw_mails_to(&first.email).is_empty(),
        "the .env server got nothing"
    );

    // A server that cannot be reached: the request still succeeds, the
    // outbox keeps the failure, and the retry uses the settings of its time.
    settings.set(&json!({ "smtp.port": closed_port() }));
    let second = user(Role::Sportif);
    forgot_password(&second.email);
    let (attempts, error, sent) = wait_for_failure(&second.email);
    assert_eq!((attempts, sent), (1, false), "{error:?}");
    assert!(other.mails_to(&second.email).is_empty());
    settings.set(&json!({ "smtp.port": other.port }));
    db().exec_drop(
        "UPDATE mail_outbox SET next_attempt_at = NOW() WHERE recipient = ?",
        (&second.email,),
    )
    .unwrap();
    run_cron_task("mail-outbox");
    assert_eq!(other.mails_to(&second.email).len(), 1);
    assert!(outbox_state(&second.email).unwrap().2, "marked sent");

    // Back to `.env`: the next mail goes to the suite's server again.
    drop(settings);
    let third = user(Role::Sportif);
    forgot_password(&third.email);
    wait_for_mails(&third.email, 1);
    assert!(other.mails_to(&third.email).is_empty());
}

#[test]
#[ignore = "exclusive: scripts/test.sh runs it alone"]
fn maintenance_message_of_the_console_is_shown_while_the_flag_is_present() {
    let _flag = FlagGuard;
    let sa = user(Role::SuperAdmin);
    let athlete = user(Role::Sportif);
    let settings = Settings(&sa.token, &["maintenance.message"]);
    let message = unique("Changement de laser, retour à 15 h ");
    settings.set(&json!({ "maintenance.message": message }));
    // Not in maintenance: the stored message changes nothing.
    get("/api/auth/me", Some(&athlete.token)).expect(200);
    assert_ne!(get("/api/setup", None).status, 503);

    post(
        "/api/admin/maintenance",
        Some(&sa.token),
        &json!({ "actif": true }),
    )
    .expect(200);
    let blocked = get("/api/setup", None);
    blocked.assert_error(503, "maintenance");
    assert_eq!(blocked.json()["message"], message.as_str());

    // A message given with the switch wins over the stored one.
    post(
        "/api/admin/maintenance",
        Some(&sa.token),
        &json!({ "actif": true, "message": "Inventaire en cours." }),
    )
    .expect(200);
    assert_eq!(
        get("/api/setup", None).json()["message"],
        "Inventaire en cours."
    );
    post(
        "/api/admin/maintenance",
        Some(&sa.token),
        &json!({ "actif": false }),
    )
    .expect(200);
    assert_ne!(get("/api/setup", None).status, 503);
}

fn with_origin(origin: &str) -> Resp {
    request("GET", "/api/health", None, &[("Origin", origin)], None)
}

#[test]
#[ignore = "exclusive: scripts/test.sh runs it alone"]
fn cors_origins_of_the_console_are_allowed_beside_those_of_env() {
    let sa = user(Role::SuperAdmin);
    let origin = format!("https://{}.example.fr", unique("console"));
    assert_eq!(
        with_origin(&origin).header("Access-Control-Allow-Origin"),
        None
    );
    let settings = Settings(&sa.token, &["cors.origins"]);
    settings.set(&json!({ "cors.origins": format!("https://autre.example.fr, {origin}/") }));
    assert_eq!(
        with_origin(&origin).header("Access-Control-Allow-Origin"),
        Some(origin.as_str())
    );
    let env_origin = config().cors_origins[0].clone();
    assert_eq!(
        with_origin(&env_origin).header("Access-Control-Allow-Origin"),
        Some(env_origin.as_str()),
        ".env origins stay allowed"
    );
    drop(settings);
    assert_eq!(
        with_origin(&origin).header("Access-Control-Allow-Origin"),
        None
    );
}

#[test]
#[ignore = "exclusive: scripts/test.sh runs it alone"]
fn strava_verify_token_of_the_console_answers_the_webhook_handshake() {
    let sa = user(Role::SuperAdmin);
    let token = unique("verif-");
    let path = format!(
        "/api/strava/webhook?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=abc123"
    );
    get(&path, None).assert_error(403, "strava_verify_token_invalid");
    let settings = Settings(&sa.token, &["strava.verify_token"]);
    settings.set(&json!({ "strava.verify_token": token }));
    assert_eq!(get(&path, None).expect(200)["hub.challenge"], "abc123");
    drop(settings);
    get(&path, None).assert_error(403, "strava_verify_token_invalid");
}
