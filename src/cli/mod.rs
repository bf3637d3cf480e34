//! Command-line tools run from SSH or cron (the spec's `php install.php` and
//! OVH cron jobs). The binaries in `bin/` only call into here.

pub mod admin;
pub mod bench_seed;
pub mod ops;

/// Reads a secret from `env_var`, else from the terminal without echo.
pub fn read_secret(prompt: &str, env_var: &str) -> std::io::Result<String> {
    if let Ok(v) = std::env::var(env_var) {
        return Ok(v);
    }
    rpassword::prompt_password(prompt)
}
