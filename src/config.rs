//! Configuration: one struct, loaded once per process from the environment and
//! the `.env` file.
//!
//! The `.env` file sits outside the web root. The binary finds it through
//! `MK_ENV_FILE` (set with `SetEnv` in the deployed `.htaccess`), else it looks
//! for `.env` beside the executable and in its two parent directories. Process
//! environment variables win over the file, and any key can instead be read
//! from a file named by `<KEY>_FILE` (for secrets mounted as files).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Values of `.env.example` that must never reach production.
const EXAMPLE_SECRET_PREFIX: &str = "changeme";
/// Minimum length of `JWT_SECRET` and `ENCRYPTION_KEY` in production.
const MIN_SECRET_LEN: usize = 32;

/// Deployment environment (`APP_ENV`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// The real host: secrets are checked, HTTPS is assumed.
    Production,
    /// A developer's machine or the demo.
    Development,
    /// The automated test suite.
    Test,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP (local fake servers in tests only).
    None,
    /// STARTTLS upgrade, usually on port 587.
    StartTls,
    /// Implicit TLS, usually on port 465.
    Tls,
}

/// Database connection settings.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// Host name or IP (ignored when `socket` is set).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Unix socket path, preferred when set: no TCP handshake.
    pub socket: Option<String>,
    /// Database name.
    pub name: String,
    /// User name.
    pub user: String,
    /// Password.
    pub pass: String,
}

/// SMTP settings for outgoing mail.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// Server host; empty means mail is disabled (logged instead).
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Login, if the server wants one.
    pub user: Option<String>,
    /// Password.
    pub pass: Option<String>,
    /// Sender address.
    pub from: String,
    /// Transport security.
    pub tls: SmtpTls,
}

/// The whole configuration of one process.
#[derive(Debug, Clone)]
pub struct Config {
    /// Deployment environment.
    pub app_env: AppEnv,
    /// Public URL of the athletes' site (links in emails, QR codes).
    pub app_url: String,
    /// Database settings.
    pub db: DbConfig,
    /// HS256 key of access tokens.
    pub jwt_secret: String,
    /// Lifetime of access tokens.
    pub jwt_expiry: Duration,
    /// Lifetime of refresh tokens.
    pub refresh_expiry: Duration,
    /// Secret from which the AES-256 key is derived.
    pub encryption_key: String,
    /// Uploads and generated files (outside the web root).
    pub storage_path: PathBuf,
    /// Application log directory.
    pub log_path: PathBuf,
    /// Database backups directory.
    pub backup_path: PathBuf,
    /// Origins allowed by CORS.
    pub cors_origins: Vec<String>,
    /// Outgoing mail.
    pub smtp: SmtpConfig,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Failed logins allowed per account in the window.
    pub login_max_attempts: u32,
    /// Failed logins allowed per client IP in the window (a shared office NAT
    /// must not lock out a whole club because one member mistyped).
    pub login_max_attempts_per_ip: u32,
    vars: BTreeMap<String, String>,
}

/// A configuration problem, reported with the key at fault.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Loads the configuration from the process environment and the `.env`
    /// file found as described in the module documentation.
    pub fn load() -> Result<Config, ConfigError> {
        let file = match std::env::var_os("MK_ENV_FILE") {
            Some(p) => Some(PathBuf::from(p)),
            None => find_env_file(),
        };
        Self::load_from(file.as_deref())
    }

    /// Loads with an explicit `.env` path (the CLIs' `--env-file`).
    pub fn load_from(env_file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut vars = BTreeMap::new();
        if let Some(path) = env_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
            vars = parse_dotenv(&text);
        }
        // vars_os: under CGI the environment also holds the request's
        // headers, which may be any bytes (`vars()` would panic on them).
        for (k, v) in std::env::vars_os() {
            if let (Ok(k), Ok(v)) = (k.into_string(), v.into_string()) {
                if is_config_key(&k) {
                    vars.insert(k, v);
                }
            }
        }
        Self::from_vars(&vars)
    }

    /// Builds the configuration from key/value pairs.
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let r = Reader { vars };
        let app_env = match r.opt("APP_ENV").as_deref().unwrap_or("production") {
            "production" | "prod" => AppEnv::Production,
            "development" | "dev" | "local" => AppEnv::Development,
            "test" => AppEnv::Test,
            other => return Err(ConfigError(format!("APP_ENV: unknown value {other:?}"))),
        };
        let storage_path = PathBuf::from(r.req("STORAGE_PATH")?);
        let config = Config {
            app_env,
            app_url: r
                .opt("APP_URL")
                .unwrap_or_else(|| "https://chrono.mykollector.com".into())
                .trim_end_matches('/')
                .to_string(),
            db: DbConfig {
                host: r.opt("DB_HOST").unwrap_or_else(|| "localhost".into()),
                port: r.parsed("DB_PORT", 3306)?,
                socket: r.opt("DB_SOCKET"),
                name: r.req("DB_NAME")?,
                user: r.req("DB_USER")?,
                pass: r.opt("DB_PASS").unwrap_or_default(),
            },
            jwt_secret: r.req("JWT_SECRET")?,
            jwt_expiry: Duration::from_secs(r.parsed("JWT_EXPIRY", 86_400)?),
            refresh_expiry: Duration::from_secs(r.parsed("REFRESH_EXPIRY", 30 * 86_400)?),
            encryption_key: r.req("ENCRYPTION_KEY")?,
            log_path: r
                .opt("LOG_PATH")
                .map_or_else(|| storage_path.join("../logs"), PathBuf::from),
            backup_path: r
                .opt("BACKUP_PATH")
                .map_or_else(|| storage_path.join("../backups"), PathBuf::from),
            storage_path,
            cors_origins: r
                .opt("CORS_ORIGINS")
                .unwrap_or_else(|| {
                    "https://chrono.mykollector.com,https://fab.mykollector.com".into()
                })
                .split(',')
                .map(|s| s.trim().trim_end_matches('/').to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            smtp: SmtpConfig {
                host: r.opt("SMTP_HOST").unwrap_or_default(),
                port: r.parsed("SMTP_PORT", 587)?,
                user: r.opt("SMTP_USER"),
                pass: r.opt("SMTP_PASS"),
                from: r
                    .opt("SMTP_FROM")
                    .unwrap_or_else(|| "noreply@mykollector.com".into()),
                tls: match r.opt("SMTP_TLS").as_deref().unwrap_or("starttls") {
                    "none" => SmtpTls::None,
                    "starttls" => SmtpTls::StartTls,
                    "tls" => SmtpTls::Tls,
                    other => return Err(ConfigError(format!("SMTP_TLS: unknown value {other:?}"))),
                },
            },
            max_body_bytes: r.parsed("MAX_BODY_BYTES", 6 * 1024 * 1024)?,
            login_max_attempts: r.parsed("LOGIN_MAX_ATTEMPTS", 5)?,
            login_max_attempts_per_ip: r.parsed("LOGIN_MAX_ATTEMPTS_PER_IP", 100)?,
            vars: vars.clone(),
        };
        Ok(config)
    }

    /// Refuses example or weak secrets in production.
    pub fn check_secrets(&self) -> Result<(), ConfigError> {
        if self.app_env != AppEnv::Production {
            return Ok(());
        }
        for (key, value) in [
            ("JWT_SECRET", &self.jwt_secret),
            ("ENCRYPTION_KEY", &self.encryption_key),
        ] {
            if value.starts_with(EXAMPLE_SECRET_PREFIX) || value.len() < MIN_SECRET_LEN {
                return Err(ConfigError(format!(
                    "{key} is still the example value or shorter than {MIN_SECRET_LEN} characters: \
                     set a random secret in .env before serving in production"
                )));
            }
        }
        Ok(())
    }

    /// Any other key of `.env` (modules read their own settings through this).
    pub fn var(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// This configuration with some keys replaced (the runtime settings of
    /// `app_config`, see `crate::api::settings::overlay`). A replaced key's
    /// `<KEY>_FILE` is dropped so the new value is the one read.
    pub fn with_vars<I>(&self, overrides: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut vars = self.vars.clone();
        for (key, value) in overrides {
            vars.remove(&format!("{key}_FILE"));
            vars.insert(key, value);
        }
        Self::from_vars(&vars)
    }

    /// A key parsed as a number, with a default when absent.
    pub fn var_parsed<T: std::str::FromStr>(&self, key: &str, default: T) -> T {
        self.var(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// The file that marks maintenance mode (a file, so checking it costs one
    /// `stat` and no database round trip).
    #[must_use]
    pub fn maintenance_flag(&self) -> PathBuf {
        self.storage_path.join("maintenance.flag")
    }
}

fn is_config_key(k: &str) -> bool {
    const PREFIXES: [&str; 13] = [
        "APP_",
        "DB_",
        "JWT_",
        "REFRESH_",
        "ENCRYPTION_",
        "STORAGE_",
        "LOG_",
        "BACKUP_",
        "CORS_",
        "SMTP_",
        "MAX_",
        "LOGIN_",
        "PRESTASHOP_",
    ];
    PREFIXES.iter().any(|p| k.starts_with(p)) || k.starts_with("STRAVA_") || k.starts_with("MK_")
}

struct Reader<'a> {
    vars: &'a BTreeMap<String, String>,
}

impl Reader<'_> {
    fn opt(&self, key: &str) -> Option<String> {
        if let Some(path) = self.vars.get(&format!("{key}_FILE")) {
            return std::fs::read_to_string(path)
                .ok()
                .map(|s| s.trim_end().to_string());
        }
        self.vars.get(key).filter(|v| !v.is_empty()).cloned()
    }

    fn req(&self, key: &str) -> Result<String, ConfigError> {
        self.opt(key)
            .ok_or_else(|| ConfigError(format!("{key} is missing from .env")))
    }

    fn parsed<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, ConfigError> {
        match self.opt(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError(format!("{key}: {v:?} is not a valid value"))),
        }
    }
}

fn find_env_file() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .take(3)
        .map(|dir| dir.join(".env"))
        .find(|p| p.is_file())
}

/// Parses `KEY=value` lines; `#` starts a comment line, values may be quoted,
/// and an `export ` prefix is accepted so the file can be sourced by a shell.
pub fn parse_dotenv(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("export ").unwrap_or(l).split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BTreeMap<String, String> {
        parse_dotenv(
            "APP_ENV=production\nDB_NAME=mk\nDB_USER=u\nSTORAGE_PATH=/tmp/s\n\
             JWT_SECRET=changeme_jwt_secret\nENCRYPTION_KEY=changeme_32chars_for_aes256\n",
        )
    }

    #[test]
    fn dotenv_quotes_comments_and_export() {
        let v = parse_dotenv("# c\nexport A=\"x y\"\nB='z'\nC = 3 \n\nD=");
        assert_eq!(v["A"], "x y");
        assert_eq!(v["B"], "z");
        assert_eq!(v["C"], "3");
        assert_eq!(v["D"], "");
    }

    #[test]
    fn production_refuses_example_secrets() {
        let c = Config::from_vars(&base()).unwrap();
        let err = c.check_secrets().unwrap_err().to_string();
        assert!(err.contains("JWT_SECRET"), "{err}");
    }

    #[test]
    fn production_accepts_real_secrets() {
        let mut v = base();
        v.insert("JWT_SECRET".into(), "a".repeat(40));
        v.insert("ENCRYPTION_KEY".into(), "b".repeat(40));
        assert!(Config::from_vars(&v).unwrap().check_secrets().is_ok());
    }

    #[test]
    fn development_tolerates_example_secrets() {
        let mut v = base();
        v.insert("APP_ENV".into(), "development".into());
        assert!(Config::from_vars(&v).unwrap().check_secrets().is_ok());
    }

    #[test]
    fn missing_key_is_named() {
        let mut v = base();
        v.remove("DB_NAME");
        assert!(Config::from_vars(&v)
            .unwrap_err()
            .to_string()
            .contains("DB_NAME"));
    }

    #[test]
    fn with_vars_replaces_keys_and_their_file_variant() {
        let mut v = base();
        v.insert("SMTP_HOST".into(), "old.example".into());
        v.insert("SMTP_PASS_FILE".into(), "/nonexistent/pass".into());
        let c = Config::from_vars(&v).unwrap();
        let c2 = c
            .with_vars([
                ("SMTP_HOST".to_string(), "new.example".to_string()),
                ("SMTP_PORT".to_string(), "2525".to_string()),
                ("SMTP_PASS".to_string(), "s3cret".to_string()),
            ])
            .unwrap();
        assert_eq!(c2.smtp.host, "new.example");
        assert_eq!(c2.smtp.port, 2525);
        assert_eq!(c2.smtp.pass.as_deref(), Some("s3cret"));
        assert_eq!(c.smtp.host, "old.example");
        assert_eq!(c2.db.name, c.db.name);
    }

    #[test]
    fn cors_defaults_to_the_two_subdomains() {
        let c = Config::from_vars(&base()).unwrap();
        assert_eq!(
            c.cors_origins,
            [
                "https://chrono.mykollector.com",
                "https://fab.mykollector.com"
            ]
        );
    }
}
