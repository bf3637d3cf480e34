//! Spec §5.1 — `/api/setup`, `/api/auth/*`, `/api/user/profil`.
//!
//! Access tokens are short-lived JWTs; refresh tokens are random, stored
//! hashed in `sessions`, and rotated on every use. All the refresh tokens that
//! descend from one login share a `family_id`: presenting a token that was
//! already rotated means it was stolen (or replayed), so the whole family is
//! revoked and the user must log in again.

mod queries;

use crate::error::{Error, Result, ResultExt};
use crate::http::guard;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::mail;
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
    ),
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
    ),
    route(
        Method::Post,
        "/api/auth/refresh",
        Access::Public,
        refresh,
        "Nouveau JWT contre un refresh token (rotation)",
    ),
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
    #[serde(default)]
    nom: Option<String>,
    #[serde(default)]
    prenom: Option<String>,
}

/// Spec 5.1 `POST /api/setup`: "Crée le super_admin — bloqué après".
fn create_setup(ctx: &mut Ctx) -> Result<Response> {
    let body: SetupBody = ctx.json()?;
    let email = normalize_email(&body.email)?;
    let hash = password::hash(&body.password)?;
    let tx = ctx.tx()?;
    // The locking read serialises concurrent setups: the second one waits,
    // then sees the first one's super_admin.
    if queries::super_admin_exists(tx, true)? {
        return Err(Error::conflict(
            "setup_already_done",
            "L'installation est déjà faite : un super administrateur existe.",
        ));
    }
    let id = queries::insert_user(
        tx,
        &queries::NewUser {
            email: &email,
            password_hash: &hash,
            role: Role::SuperAdmin,
            nom: body.nom.as_deref(),
            prenom: body.prenom.as_deref(),
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
/// Only failed attempts count against the limits (per account and per IP),
/// so a user who logs in successfully never uses up the budget.
fn login(ctx: &mut Ctx) -> Result<Response> {
    let body: LoginBody = ctx.json()?;
    let email = body.email.trim().to_lowercase();
    ctx.audit.email = Some(email.chars().take(255).collect());
    let account_key = format!("login:email:{email}");
    let ip_key = format!("login:ip:{}", ctx.req.remote_addr);
    let (max_account, max_ip) = (
        ctx.config.login_max_attempts,
        ctx.config.login_max_attempts_per_ip,
    );
    let conn = ctx.conn()?;
    for (key, max) in [(&account_key, max_account), (&ip_key, max_ip)] {
        if guard::count(conn, key, LOGIN_WINDOW_SECS)? >= max {
            return Err(Error::too_many_requests(guard::retry_after(
                conn,
                key,
                LOGIN_WINDOW_SECS,
            )?));
        }
    }
    let user = queries::find_user_by_email(conn, &email)?;
    let verified = match &user {
        Some(u) => u.account.actif && password::verify(&body.password, &u.password_hash),
        None => {
            password::verify_dummy(&body.password);
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        // Autocommit writes: the failure must be counted although the
        // request fails.
        guard::hit(conn, &account_key, LOGIN_WINDOW_SECS)?;
        guard::hit(conn, &ip_key, LOGIN_WINDOW_SECS)?;
        return Err(Error::unauthorized(
            "invalid_credentials",
            "Email ou mot de passe incorrect.",
        ));
    };
    guard::reset(conn, &account_key)?;
    ctx.audit.user_id = Some(user.account.id);
    let tx = ctx.tx()?;
    queries::touch_last_login(tx, user.account.id)?;
    let (session, _) = start_session(ctx, &user.account, None)?;
    Ok(Response::ok(&session))
}

/// Issues an access token and a new refresh token (in `family`, or a new
/// family for a fresh login).
/// Returns the answer's body and the new session's id.
fn start_session(
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
    let conn = ctx.conn()?;
    let invalid = || {
        Error::unauthorized(
            "refresh_token_invalid",
            "Session expirée ou invalide. Merci de vous reconnecter.",
        )
    };
    let session = queries::find_session(conn, &hash)?.ok_or_else(invalid)?;
    if session.revoked {
        // Autocommit: the family stays revoked although the request fails.
        queries::revoke_family(conn, &session.family_id)?;
        ctx.audit.user_id = Some(session.user_id);
        ctx.audit_details(json!({ "event": "refresh_token_reuse" }));
        return Err(Error::unauthorized(
            "refresh_token_reused",
            "Ce jeton de session a déjà été utilisé : toutes vos sessions ont été fermées par sécurité. Merci de vous reconnecter.",
        ));
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
    #[serde(default)]
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
/// The answer is the same whether the address is known or not.
fn forgot_password(ctx: &mut Ctx) -> Result<Response> {
    let body: ForgotBody = ctx.json()?;
    let email = body.email.trim().to_lowercase();
    let answer = Response::ok(&json!({
        "ok": true,
        "message": "Si un compte existe pour cette adresse, un email de réinitialisation vient d'être envoyé."
    }));
    let conn = ctx.conn()?;
    let Some(user) = queries::find_user_by_email(conn, &email)?
        .map(|u| u.account)
        .filter(|u| u.actif)
    else {
        return Ok(answer);
    };
    if guard::hit(conn, &format!("forgot:{email}"), 3600)? > RESET_MAILS_PER_HOUR {
        return Ok(answer);
    }
    let token = tokens::random_token();
    queries::store_reset_token(conn, user.id, &tokens::sha256_hex(token.as_bytes()))?;
    ctx.audit.user_id = Some(user.id);
    // A mail failure is logged by `mail`; telling the caller would reveal
    // that the account exists.
    let _ = mail::send_password_reset(
        ctx.config,
        &user.email,
        user.prenom.as_deref().unwrap_or(""),
        &token,
    );
    Ok(answer)
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
            .ok_or_else(|| {
                Error::bad_request(
            "reset_token_invalid",
            "Ce lien de réinitialisation est invalide ou a expiré. Merci d'en demander un nouveau.",
        )
            })?;
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
    #[serde(default)]
    nom: Option<String>,
    #[serde(default)]
    prenom: Option<String>,
    #[serde(default)]
    mot_de_passe_actuel: Option<String>,
    #[serde(default)]
    nouveau_mot_de_passe: Option<String>,
}

/// Spec 5.1 `PATCH /api/user/profil`: "Modifier nom/prénom — source vérité
/// gravure". Orders already validated keep the text they froze.
fn update_profile(ctx: &mut Ctx) -> Result<Response> {
    let body: ProfileBody = ctx.json()?;
    let id = ctx.user_id()?;
    let nom = body
        .nom
        .as_deref()
        .map(|n| clean_name(n, "nom"))
        .transpose()?;
    let prenom = body
        .prenom
        .as_deref()
        .map(|n| clean_name(n, "prénom"))
        .transpose()?;
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
                return Err(Error::new(
                    422,
                    "wrong_password",
                    "Le mot de passe actuel est incorrect.",
                ));
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
/// spaces, hyphens and apostrophes (what a laser font can draw).
pub fn clean_name(raw: &str, field: &str) -> Result<String> {
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
        "email_taken",
        "Un compte existe déjà avec cette adresse email.",
    )
}

/// Roles that only a super_admin may hand out or edit.
pub const ADMIN_ROLES: &[Role] = &[Role::AdminFab, Role::AdminChrono, Role::SuperAdmin];

/// Whether `actor` may create or edit a user with role `target`.
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
