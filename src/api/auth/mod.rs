//! Spec §5.1 — `/api/setup`, `/api/auth/*`, `/api/user/profil`.
//!
//! Access tokens are short-lived JWTs; refresh tokens are random, stored
//! hashed in `sessions`, and rotated on every use. All the refresh tokens that
//! descend from one login share a `family_id`: presenting a token that was
//! already rotated means it was stolen (or replayed), so the whole family is
//! revoked and the user must log in again.

mod queries;

use crate::error::catalog;
use crate::error::{Error, Result, ResultExt};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::mail;
use crate::ratelimit;
use crate::security::account::Account;
use crate::security::{jwt, password, roles, tokens, Role};
use serde::Deserialize;
use serde_json::json;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/setup",
        Access::Public,
        show_setup,
        "Indique si le premier super_admin reste à créer",
    ),
    route(
        Method::Post,
        "/api/setup",
        Access::Public,
        create_setup,
        "Crée le premier super_admin (une seule fois)",
    ),
    route(
        Method::Post,
        "/api/auth/login",
        Access::Public,
        login,
        "Connexion : JWT + refresh token",
    )
    .open_in_maintenance(),
    route(
        Method::Post,
        "/api/auth/logout",
        Access::Authenticated,
        logout,
        "Déconnexion : révoque le refresh token",
    ),
    route(
        Method::Get,
        "/api/auth/me",
        Access::Authenticated,
        show_me,
        "Utilisateur courant",
    )
    .open_in_maintenance(),
    route(
        Method::Post,
        "/api/auth/refresh",
        Access::Public,
        refresh,
        "Nouveau JWT contre un refresh token (rotation)",
    )
    .open_in_maintenance(),
    route(
        Method::Post,
        "/api/auth/forgot-password",
        Access::Public,
        forgot_password,
        "Envoie un lien de réinitialisation (valable 1 h)",
    ),
    route(
        Method::Post,
        "/api/auth/reset-password",
        Access::Public,
        reset_password,
        "Nouveau mot de passe avec le jeton reçu par email",
    ),
    route(
        Method::Patch,
        "/api/user/profil",
        Access::Authenticated,
        update_profile,
        "Modifie nom, prénom (source de vérité de la gravure) ou mot de passe",
    ),
];

/// Login attempts are counted over this window (spec 10.4: 5 per 15 min).
const LOGIN_WINDOW_SECS: u32 = 15 * 60;
/// Reset emails one address may receive per hour (mail-bombing guard).
const RESET_MAILS_PER_HOUR: u32 = 3;

/// Spec 5.1 `GET /api/setup`: "Vérifie si premier démarrage".
fn show_setup(ctx: &mut Ctx) -> Result<Response> {
    let done = queries::super_admin_exists(ctx.conn()?, false)?;
    Ok(Response::ok(&json!({ "setup_required": !done })))
}

#[derive(Deserialize)]
struct SetupBody {
    email: String,
    password: String,
    nom: Option<String>,
    prenom: Option<String>,
}

/// Spec 5.1 `POST /api/setup`: "Crée le `super_admin` — bloqué après".
fn create_setup(ctx: &mut Ctx) -> Result<Response> {
    let body: SetupBody = ctx.json()?;
    let email = normalize_email(&body.email)?;
    let nom = clean_opt_name(body.nom.as_deref(), "nom")?;
    let prenom = clean_opt_name(body.prenom.as_deref(), "prénom")?;
    let hash = password::hash(&body.password)?;
    let tx = ctx.tx()?;
    // The locking read serialises concurrent setups: the second one waits,
    // then sees the first one's super_admin.
    if queries::super_admin_exists(tx, true)? {
        return Err(catalog::SETUP_ALREADY_DONE.err());
    }
    let id = queries::insert_user(
        tx,
        &queries::NewUser {
            email: &email,
            password_hash: &hash,
            role: Role::SuperAdmin,
            nom: nom.as_deref(),
            prenom: prenom.as_deref(),
            atelier_id: None,
        },
    )?;
    ctx.audit.user_id = Some(id);
    ctx.audit_entity("user", id);
    Ok(Response::created(
        &json!({ "id": id, "email": email, "role": "super_admin" }),
    ))
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

/// Spec 5.1 `POST /api/auth/login`: "Login → JWT + refresh token".
///
/// Spec 10.4 limits failed attempts: per account (5 per 15 min) and per
/// client address (`LOGIN_MAX_ATTEMPTS_PER_IP`, see README). Each attempt is
/// counted first, in one atomic statement outside the request's transaction,
/// and handed back when the password was right: concurrent attempts can
/// never all read a count under the limit (a burst of 200 wrong passwords
/// lets exactly 5 through), yet a successful login uses up nothing.
fn login(ctx: &mut Ctx) -> Result<Response> {
    let body: LoginBody = ctx.json()?;
    let email = body.email.trim().to_lowercase();
    ctx.audit.email = Some(email.chars().take(255).collect());
    let keys = [
        (
            format!("login:email:{email}"),
            ctx.config.login_max_attempts,
        ),
        (
            format!("login:ip:{}", ctx.req.remote_addr),
            ctx.config.login_max_attempts_per_ip,
        ),
    ];
    take_attempt(ctx.autocommit()?, &keys)?;
    let conn = ctx.conn()?;
    let user = queries::find_user_by_email(conn, &email)?;
    let verified = if let Some(u) = &user {
        u.account.actif && password::verify(&body.password, &u.password_hash)
    } else {
        password::verify_dummy(&body.password);
        false
    };
    let Some(user) = user.filter(|_| verified) else {
        return Err(catalog::INVALID_CREDENTIALS.err());
    };
    // Committed with the session: a right password costs no attempt.
    for (key, _) in &keys {
        ratelimit::give_back(conn, key)?;
    }
    queries::touch_last_login(conn, user.account.id)?;
    ctx.audit.user_id = Some(user.account.id);
    let (session, _) = start_session(ctx, &user.account, None)?;
    Ok(Response::ok(&session))
}

/// Counts one login attempt against each `(key, max)`; 429 (and the count
/// handed back) when one is over its limit.
fn take_attempt(conn: &mut mysql::Conn, keys: &[(String, u32)]) -> Result<()> {
    for (i, (key, max)) in keys.iter().enumerate() {
        if ratelimit::hit(conn, key, LOGIN_WINDOW_SECS)? > *max {
            let retry = ratelimit::retry_after(conn, key, LOGIN_WINDOW_SECS)?;
            for (taken, _) in &keys[..=i] {
                ratelimit::give_back(conn, taken)?;
            }
            return Err(Error::too_many_requests(retry));
        }
    }
    Ok(())
}

/// Issues an access token and a new refresh token (in `family`, or a new
/// family for a fresh login).
/// Returns the answer's body and the new session's id. Also used by the
/// sign-in link ([`crate::api::signin`]).
pub fn start_session(
    ctx: &mut Ctx,
    user: &Account,
    family: Option<&str>,
) -> Result<(serde_json::Value, u64)> {
    let refresh = tokens::random_token();
    let family = family.map_or_else(|| tokens::random_hex(16), str::to_string);
    let access = jwt::issue(
        &ctx.config.jwt_secret,
        ctx.config.jwt_expiry,
        user.id,
        user.role,
        user.atelier_id,
        &family,
    )?;
    let user_agent: String = ctx
        .req
        .header("user-agent")
        .unwrap_or("")
        .chars()
        .take(255)
        .collect();
    let (ip, lifetime) = (
        ctx.req.remote_addr.clone(),
        ctx.config.refresh_expiry.as_secs(),
    );
    let session_id = queries::insert_session(
        ctx.conn()?,
        user.id,
        &tokens::sha256_hex(refresh.as_bytes()),
        &family,
        lifetime,
        &ip,
        &user_agent,
    )?;
    ctx.audit_entity("session", session_id);
    let body = json!({
        "token": access,
        "token_type": "Bearer",
        "expires_in": ctx.config.jwt_expiry.as_secs(),
        "refresh_token": refresh,
        "refresh_expires_in": lifetime,
        "user": user,
    });
    Ok((body, session_id))
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: String,
}

/// Spec 5.1 `POST /api/auth/refresh`: "Renouvellement JWT via refresh token".
fn refresh(ctx: &mut Ctx) -> Result<Response> {
    let body: RefreshBody = ctx.json()?;
    let hash = tokens::sha256_hex(body.refresh_token.trim().as_bytes());
    // Read outside the transaction: a reuse revokes the family for good,
    // although the request then fails (and rolls back).
    let conn = ctx.autocommit()?;
    let invalid = || catalog::REFRESH_TOKEN_INVALID.err();
    let session = queries::find_session(conn, &hash)?.ok_or_else(invalid)?;
    if session.revoked {
        queries::revoke_family(conn, &session.family_id)?;
        ctx.audit.user_id = Some(session.user_id);
        ctx.audit_details(json!({ "event": "refresh_token_reuse" }));
        return Err(catalog::REFRESH_TOKEN_REUSED.err());
    }
    if session.expired {
        return Err(invalid());
    }
    let user = queries::find_user_by_id(conn, session.user_id)?
        .filter(|u| u.account.actif)
        .ok_or_else(invalid)?
        .account;
    ctx.audit.user_id = Some(user.id);
    // Claiming the old token is a conditional update inside the transaction:
    // of two concurrent uses of one token, only one gets a new session.
    if !queries::revoke_session(ctx.tx()?, session.id)? {
        return Err(invalid());
    }
    let (body, new_id) = start_session(ctx, &user, Some(&session.family_id))?;
    queries::link_replacement(ctx.conn()?, session.id, new_id)?;
    Ok(Response::ok(&body))
}

#[derive(Deserialize, Default)]
struct LogoutBody {
    refresh_token: Option<String>,
}

/// Spec 5.1 `POST /api/auth/logout`: closes the login session of the access
/// token used (so that token stops working at once, issue 13 item 9) and
/// revokes the given refresh token, or all of the user's sessions when none
/// is given.
fn logout(ctx: &mut Ctx) -> Result<Response> {
    let body: LogoutBody = if ctx.req.body.is_empty() {
        LogoutBody::default()
    } else {
        ctx.json()?
    };
    let claims = ctx.claims()?;
    let (user_id, own_session) = (claims.sub, claims.sid.clone());
    let tx = ctx.tx()?;
    let revoked = match body.refresh_token {
        Some(token) => {
            queries::revoke_user_session(tx, user_id, &tokens::sha256_hex(token.trim().as_bytes()))?
                + queries::revoke_family(tx, &own_session)?
        }
        None => queries::revoke_user_sessions(tx, user_id)?,
    };
    Ok(Response::ok(
        &json!({ "ok": true, "sessions_revoked": revoked }),
    ))
}

/// Spec 5.1 `GET /api/auth/me`: "Infos utilisateur courant". The dispatcher
/// already loaded the live account to authorise the request.
fn show_me(ctx: &mut Ctx) -> Result<Response> {
    let account = ctx.account.as_ref().ok_or_else(Error::forbidden)?;
    Ok(Response::ok(account))
}

#[derive(Deserialize)]
struct ForgotBody {
    email: String,
}

/// Spec 5.1 `POST /api/auth/forgot-password`: "Email reset (token 1h)".
///
/// The answer is the same whether the address is known or not, and so is the
/// work done before it (issue 7 item 8: no account enumeration by timing):
/// one rate-limit count on the address, whatever it is. Looking the account
/// up, storing the token and writing the mail happen in an after-commit job
/// ([`send_reset_mail`]), once the answer no longer depends on them.
fn forgot_password(ctx: &mut Ctx) -> Result<Response> {
    let body: ForgotBody = ctx.json()?;
    let email = body.email.trim().to_lowercase();
    let answer = Response::ok(&json!({
        "ok": true,
        "message": "Si un compte existe pour cette adresse, un email de réinitialisation vient d'être envoyé."
    }));
    let within_limit =
        ratelimit::hit(ctx.conn()?, &format!("forgot:{email}"), 3600)? <= RESET_MAILS_PER_HOUR;
    if within_limit {
        ctx.after_commit(move |config, conn| send_reset_mail(config, conn, &email));
    }
    Ok(answer)
}

/// Sends the reset link to the active account of `email`, if there is one:
/// stores the token and the outbox row together, then sends the row (a
/// failure stays in the outbox for the cron to retry).
fn send_reset_mail(
    config: &crate::config::Config,
    conn: &mut mysql::Conn,
    email: &str,
) -> Result<()> {
    let Some(user) = queries::find_user_by_email(conn, email)?
        .map(|u| u.account)
        .filter(|u| u.actif)
    else {
        return Ok(());
    };
    let token = tokens::random_token();
    let mail = mail::templates::password_reset(
        &config.app_url,
        &user.email,
        user.prenom.as_deref().unwrap_or(""),
        &token,
    );
    let token_hash = tokens::sha256_hex(token.as_bytes());
    let id = crate::db::transaction(conn, |tx| {
        queries::store_reset_token(tx, user.id, &token_hash)?;
        mail::outbox::enqueue(tx, &mail)
    })?;
    mail::outbox::deliver(config, conn, id).map(|_| ())
}

#[derive(Deserialize)]
struct ResetBody {
    token: String,
    password: String,
}

/// Spec 5.1 `POST /api/auth/reset-password`: "{ token, password } → nouveau
/// MDP". The token works once; every open session is closed.
fn reset_password(ctx: &mut Ctx) -> Result<Response> {
    let body: ResetBody = ctx.json()?;
    let hash = password::hash(&body.password)?;
    let tx = ctx.tx()?;
    let user_id =
        queries::consume_reset_token(tx, &tokens::sha256_hex(body.token.trim().as_bytes()))?
            .ok_or_else(|| catalog::RESET_TOKEN_INVALID.err())?;
    queries::set_password(tx, user_id, &hash)?;
    queries::revoke_user_sessions(tx, user_id)?;
    ctx.audit.user_id = Some(user_id);
    ctx.audit_entity("user", user_id);
    Ok(Response::ok(
        &json!({ "ok": true, "message": "Votre mot de passe a été modifié. Vous pouvez vous connecter." }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileBody {
    nom: Option<String>,
    prenom: Option<String>,
    mot_de_passe_actuel: Option<String>,
    nouveau_mot_de_passe: Option<String>,
}

/// Spec 5.1 `PATCH /api/user/profil`: "Modifier nom/prénom — source vérité
/// gravure". Orders already validated keep the text they froze.
fn update_profile(ctx: &mut Ctx) -> Result<Response> {
    let body: ProfileBody = ctx.json()?;
    let id = ctx.user_id()?;
    let nom = clean_opt_name(body.nom.as_deref(), "nom")?;
    let prenom = clean_opt_name(body.prenom.as_deref(), "prénom")?;
    let new_hash = match (&body.mot_de_passe_actuel, &body.nouveau_mot_de_passe) {
        (_, None) => None,
        (None, Some(_)) => {
            return Err(Error::invalid(
                "Le mot de passe actuel est requis pour en choisir un nouveau.",
            ))
        }
        (Some(current), Some(new)) => {
            let user = queries::find_user_by_id(ctx.conn()?, id)?.ok_or_else(Error::forbidden)?;
            if !password::verify(current, &user.password_hash) {
                return Err(catalog::WRONG_PASSWORD.err());
            }
            Some(password::hash(new)?)
        }
    };
    let tx = ctx.tx()?;
    queries::update_names(tx, id, nom.as_deref(), prenom.as_deref())?;
    if let Some(hash) = new_hash {
        queries::set_password(tx, id, &hash)?;
    }
    let user = queries::find_user_by_id(tx, id)?.ok_or_else(Error::forbidden)?;
    ctx.audit_entity("user", id);
    Ok(Response::ok(&user.account))
}

/// Trims and checks a person's name for engraving: 1–100 characters, letters,
/// spaces, hyphens and apostrophes (what a laser font can draw). An invisible
/// character (control, bidi, zero-width) gets its own message rather than
/// being folded into a space.
pub fn clean_name(raw: &str, field: &str) -> Result<String> {
    crate::text::check_engravable(raw, field)?;
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let ok_chars = name
        .chars()
        .all(|c| c.is_alphabetic() || " -'’.".contains(c));
    if name.is_empty() || name.chars().count() > 100 || !ok_chars {
        return Err(Error::invalid(format!(
            "Le {field} doit contenir entre 1 et 100 caractères (lettres, espaces, tirets, apostrophes)."
        )));
    }
    Ok(name)
}

/// [`clean_name`] for an optional field.
pub fn clean_opt_name(raw: Option<&str>, field: &str) -> Result<Option<String>> {
    raw.map(|n| clean_name(n, field)).transpose()
}

/// Lower-cases and checks an email address.
pub fn normalize_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 255
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == ';');
    if valid {
        Ok(email)
    } else {
        Err(Error::invalid("Adresse email invalide."))
    }
}

/// Creates a user (used by the setup, the admin CRUD and the install CLI).
pub fn create_user(
    conn: &mut mysql::Conn,
    email: &str,
    plain_password: &str,
    role: Role,
    nom: Option<&str>,
    prenom: Option<&str>,
    atelier_id: Option<u64>,
) -> Result<u64> {
    let email = normalize_email(email)?;
    let hash = password::hash(plain_password)?;
    queries::insert_user(
        conn,
        &queries::NewUser {
            email: &email,
            password_hash: &hash,
            role,
            nom,
            prenom,
            atelier_id,
        },
    )
    .on_duplicate(
        "uk_users_email",
        &catalog::EMAIL_TAKEN,
        "Un compte existe déjà avec cette adresse email.",
    )
}

/// Roles that only a `super_admin` may hand out or edit.
pub const ADMIN_ROLES: &[Role] = &[Role::AdminFab, Role::AdminChrono, Role::SuperAdmin];

/// Whether `actor` may create or edit a user with role `target`.
#[must_use]
pub fn may_manage(actor: Role, target: Role) -> bool {
    actor == Role::SuperAdmin || (actor.is_in(roles::ADMIN_PLUS) && !target.is_in(ADMIN_ROLES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_for_engraving() {
        assert_eq!(
            clean_name("  Jean-Pierre   d'Arc ", "nom").unwrap(),
            "Jean-Pierre d'Arc"
        );
        assert_eq!(clean_name("Éloïse", "prénom").unwrap(), "Éloïse");
        assert!(clean_name("", "nom").is_err());
        assert!(clean_name("Robert'); DROP TABLE users;--", "nom").is_err());
        assert!(clean_name(&"a".repeat(101), "nom").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email(" Julien@Example.FR ").unwrap(),
            "julien@example.fr"
        );
        assert!(normalize_email("nope").is_err());
        assert!(normalize_email("a@b").is_err());
        assert!(normalize_email("a b@c.fr").is_err());
    }

    #[test]
    fn only_super_admin_manages_admins() {
        assert!(may_manage(Role::SuperAdmin, Role::AdminFab));
        assert!(may_manage(Role::AdminFab, Role::OperateurFab));
        assert!(may_manage(Role::AdminFab, Role::Sportif));
        assert!(!may_manage(Role::AdminFab, Role::AdminFab));
        assert!(!may_manage(Role::AdminFab, Role::SuperAdmin));
        assert!(!may_manage(Role::OperateurFab, Role::Sportif));
    }
}
