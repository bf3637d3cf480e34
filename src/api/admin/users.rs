//! Spec §5.10 `GET/POST/PATCH/DELETE /api/admin/users` — "CRUD
//! utilisateurs" (admin+). Only a `super_admin` creates or edits admin accounts
//! (`auth::may_manage`); nobody can deactivate or demote themselves; a
//! "deleted" user is deactivated, never removed, because orders, chronos and
//! the audit log reference it.

use super::queries::{self, AdminUser, UserUpdate};
use crate::api::auth;
use crate::db::rows;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::{like_contains, query_u64, Page, Where};
use crate::http::{Ctx, Response};
use crate::security::{password, Role};
use mysql::Conn;
use serde::Deserialize;
use serde_json::json;

/// Spec 5.10 `GET /api/admin/users`: "CRUD utilisateurs" — the list, with
/// filters `role`, `q` (email, nom, prénom), `actif`, `atelier_id`.
pub fn list_users(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let mut filter = Where::default();
    filter.and("u.anonymized_at IS NULL", []);
    if let Some(role) = ctx.req.query_param("role") {
        filter.and("u.role = ?", [parse_role(&role)?.as_str().into()]);
    }
    if let Some(q) = ctx.req.query_param("q").filter(|q| !q.trim().is_empty()) {
        let pattern = like_contains(q.trim());
        filter.and(
            "(u.email LIKE ? OR u.nom LIKE ? OR u.prenom LIKE ?)",
            [
                pattern.as_str().into(),
                pattern.as_str().into(),
                pattern.as_str().into(),
            ],
        );
    }
    if let Some(actif) = ctx.req.query_param("actif") {
        let actif = match actif.as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => {
                return Err(Error::invalid(
                    "Le paramètre actif doit valoir true ou false.",
                ))
            }
        };
        filter.and("COALESCE(u.actif, FALSE) = ?", [actif.into()]);
    }
    if let Some(atelier_id) = query_u64(ctx.req, "atelier_id")? {
        filter.and("u.atelier_id = ?", [atelier_id.into()]);
    }
    let listed = queries::list_users(ctx.conn()?, &filter, &page)?;
    Ok(Response::ok(&page.answer(&listed)))
}

/// Spec 5.10 `GET /api/admin/users/{id}`: "CRUD utilisateurs" — one user.
pub fn show_user(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let user = queries::find_user(ctx.conn()?, id, false)?.ok_or_else(user_not_found)?;
    Ok(Response::ok(&user))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    email: String,
    password: String,
    role: String,
    nom: Option<String>,
    prenom: Option<String>,
    atelier_id: Option<u64>,
    fabricant_id: Option<u64>,
}

/// Spec 5.10 `POST /api/admin/users`: "CRUD utilisateurs" — creates an
/// account; 10.5: an `operateur_fab` works for its assigned atelier.
pub fn create_user(ctx: &mut Ctx) -> Result<Response> {
    let body: CreateBody = ctx.json()?;
    let actor = ctx.role()?;
    // 1. Only a super_admin hands out admin roles.
    let role = parse_role(&body.role)?;
    if !auth::may_manage(actor, role) {
        return Err(Error::forbidden());
    }
    // 2. Values.
    let nom = auth::clean_opt_name(body.nom.as_deref(), "nom")?;
    let prenom = auth::clean_opt_name(body.prenom.as_deref(), "prénom")?;
    let tx = ctx.tx()?;
    check_atelier(tx, role, body.atelier_id)?;
    check_fabricant(tx, body.fabricant_id)?;
    // 3. Insert (email checked, password hashed, duplicate → 409 email_taken).
    let id = auth::create_user(
        tx,
        &body.email,
        &body.password,
        role,
        nom.as_deref(),
        prenom.as_deref(),
        body.atelier_id,
    )?;
    if body.fabricant_id.is_some() {
        queries::set_fabricant(tx, id, body.fabricant_id)?;
    }
    let user = queries::find_user(tx, id, false)?
        .ok_or_else(|| Error::internal("user vanished right after insert"))?;
    ctx.audit_entity("user", id);
    ctx.audit_details(json!({ "action": "create", "email": user.account.email, "role": role }));
    Ok(Response::created(&user))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    role: Option<String>,
    nom: Option<String>,
    prenom: Option<String>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    atelier_id: Option<Option<u64>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    fabricant_id: Option<Option<u64>>,
    actif: Option<bool>,
    /// A new password set by the admin (the user is logged out everywhere).
    password: Option<String>,
}

/// Spec 5.10 `PATCH /api/admin/users/{id}`: "CRUD utilisateurs" — role,
/// names, atelier, fabricant, active flag, password reset by an admin.
pub fn update_user(ctx: &mut Ctx) -> Result<Response> {
    let body: UpdateBody = ctx.json()?;
    let id = ctx.id("id")?;
    let (actor, actor_id) = (ctx.role()?, ctx.user_id()?);
    let new_role = body.role.as_deref().map(parse_role).transpose()?;
    // 1. Nobody locks themselves out or demotes themselves (another admin
    //    must do it, so there is always someone left to undo it).
    if id == actor_id {
        refuse_own_lockout(actor, &body, new_role)?;
    }
    // 2. Values, before any lock is taken.
    let nom = auth::clean_opt_name(body.nom.as_deref(), "nom")?;
    let prenom = auth::clean_opt_name(body.prenom.as_deref(), "prénom")?;
    let new_hash = body.password.as_deref().map(password::hash).transpose()?;
    let tx = ctx.tx()?;
    let current = queries::find_user(tx, id, true)?.ok_or_else(user_not_found)?;
    // 3. Both the account as it is and the role it would get must be within
    //    the actor's reach: an admin_fab can neither edit an admin nor make one.
    if !auth::may_manage(actor, current.account.role)
        || new_role.is_some_and(|r| !auth::may_manage(actor, r))
    {
        return Err(Error::forbidden());
    }
    // 4. The merged account must be consistent.
    let role = new_role.unwrap_or(current.account.role);
    let atelier_id = body.atelier_id.unwrap_or(current.account.atelier_id);
    let fabricant_id = body.fabricant_id.unwrap_or(current.fabricant_id);
    let actif = body.actif.unwrap_or(current.account.actif);
    if body.atelier_id.is_some() || role != current.account.role {
        check_atelier(tx, role, atelier_id)?;
    }
    if body.fabricant_id.is_some() {
        check_fabricant(tx, fabricant_id)?;
    }
    let update = UserUpdate {
        role,
        nom: nom.as_deref().or(current.account.nom.as_deref()),
        prenom: prenom.as_deref().or(current.account.prenom.as_deref()),
        atelier_id,
        fabricant_id,
        actif,
    };
    let changes = changed_fields(&current, &update, new_hash.is_some());
    // 5. Write.
    queries::update_user(tx, id, &update)?;
    if let Some(hash) = &new_hash {
        queries::set_password(tx, id, hash)?;
    }
    // A refresh token must not outlive what it was issued for: a new
    // password, a disabled account, another role or atelier.
    let revoke = ["password", "actif", "role", "atelier_id"]
        .iter()
        .any(|f| changes.contains(f));
    let sessions_revoked = if revoke {
        queries::revoke_sessions(tx, id)?
    } else {
        0
    };
    let user = queries::find_user(tx, id, false)?.ok_or_else(user_not_found)?;
    ctx.audit_entity("user", id);
    ctx.audit_details(json!({
        "action": "update",
        "changes": changes,
        "role": { "avant": current.account.role, "apres": role },
        "actif": actif,
        "sessions_revoked": sessions_revoked,
    }));
    let mut answer = json!(user);
    answer["sessions_revoked"] = json!(sessions_revoked);
    Ok(Response::ok(&answer))
}

/// An admin editing its own account may neither deactivate it nor change
/// its role.
fn refuse_own_lockout(actor: Role, body: &UpdateBody, new_role: Option<Role>) -> Result<()> {
    if body.actif == Some(false) {
        return Err(cannot_deactivate_self());
    }
    if new_role.is_some_and(|r| r != actor) {
        return Err(catalog::CANNOT_CHANGE_OWN_ROLE.err());
    }
    Ok(())
}

/// The fields an update changes, for the audit log and session revocation.
fn changed_fields(current: &AdminUser, new: &UserUpdate, password: bool) -> Vec<&'static str> {
    let account = &current.account;
    [
        ("role", new.role != account.role),
        ("nom", new.nom != account.nom.as_deref()),
        ("prenom", new.prenom != account.prenom.as_deref()),
        ("atelier_id", new.atelier_id != account.atelier_id),
        ("fabricant_id", new.fabricant_id != current.fabricant_id),
        ("actif", new.actif != account.actif),
        ("password", password),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect()
}

/// Spec 5.10 `DELETE /api/admin/users/{id}`: "CRUD utilisateurs" — the
/// account is deactivated and all its sessions revoked; the row stays.
pub fn delete_user(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let (actor, actor_id) = (ctx.role()?, ctx.user_id()?);
    // 1. Never oneself.
    if id == actor_id {
        return Err(cannot_deactivate_self());
    }
    let tx = ctx.tx()?;
    let current = queries::find_user(tx, id, true)?.ok_or_else(user_not_found)?;
    // 2. Within the actor's reach.
    if !auth::may_manage(actor, current.account.role) {
        return Err(Error::forbidden());
    }
    // 3. Deactivate and log out everywhere.
    queries::deactivate_user(tx, id)?;
    let sessions_revoked = queries::revoke_sessions(tx, id)?;
    let user = queries::find_user(tx, id, false)?.ok_or_else(user_not_found)?;
    ctx.audit_entity("user", id);
    ctx.audit_details(json!({
        "action": "deactivate",
        "etait_actif": current.account.actif,
        "sessions_revoked": sessions_revoked,
    }));
    let mut answer = json!(user);
    answer["sessions_revoked"] = json!(sessions_revoked);
    Ok(Response::ok(&answer))
}

fn user_not_found() -> Error {
    catalog::USER_NOT_FOUND.err()
}

fn cannot_deactivate_self() -> Error {
    catalog::CANNOT_DEACTIVATE_SELF.err()
}

/// A role name of the API (`sportif`, `operateur_fab`…).
fn parse_role(raw: &str) -> Result<Role> {
    Role::parse(raw.trim()).ok_or_else(|| {
        Error::invalid(
            "Rôle inconnu : choisir parmi sportif, operateur_fab, admin_fab, admin_chrono, super_admin.",
        )
    })
}

/// An `operateur_fab` works for one atelier (spec 10.5 "atelier assigné"): it
/// must be given and exist. Other roles may name an existing atelier or none.
fn check_atelier(conn: &mut Conn, role: Role, atelier_id: Option<u64>) -> Result<()> {
    match atelier_id {
        None if role == Role::OperateurFab => Err(Error::invalid(
            "Un opérateur de fabrication doit être rattaché à un atelier (atelier_id).",
        )),
        None => Ok(()),
        Some(id) if rows::exists(conn, "ateliers", id)? => Ok(()),
        Some(_) => Err(Error::invalid("Cet atelier n'existe pas.")),
    }
}

fn check_fabricant(conn: &mut Conn, fabricant_id: Option<u64>) -> Result<()> {
    match fabricant_id {
        Some(id) if !rows::exists(conn, "fabricants", id)? => {
            Err(Error::invalid("Ce fabricant n'existe pas."))
        }
        _ => Ok(()),
    }
}
