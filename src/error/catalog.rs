//! The error catalogue: every code a client can receive, with its HTTP
//! status and its default French message, in one place (issue 7 item 5).
//!
//! A handler raises `catalog::ORDER_NOT_FOUND.err()`, or `.msg(...)` when
//! the message names the case (an order number, a limit). Codes are a
//! contract with the clients (they branch on them): the unit test below pins
//! each code's status and JSON body, so a change is always deliberate. The
//! OpenAPI document lists the catalogue ([`ALL`]).

use super::Error;
use std::borrow::Cow;

/// One error code: its HTTP status and default French message.
#[derive(Debug)]
pub struct Code {
    /// Stable English `snake_case` code.
    pub code: &'static str,
    /// HTTP status.
    pub status: u16,
    /// Default French message (the case may name a more precise one).
    pub message: &'static str,
}

impl Code {
    /// The error with the catalogue's message.
    #[track_caller]
    #[must_use]
    pub fn err(&'static self) -> Error {
        Error::new(self.status, self.code, self.message)
    }

    /// The error with a message that names the case.
    #[track_caller]
    pub fn msg(&'static self, message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(self.status, self.code, message)
    }
}

/// Declares each code as a `pub const` and lists them all in [`ALL`].
macro_rules! catalogue {
    ($($name:ident = $status:literal, $code:literal, $message:literal;)*) => {
        $(
            #[doc = concat!("`", $code, "` (", stringify!($status), ").")]
            pub const $name: Code = Code { code: $code, status: $status, message: $message };
        )*
        /// Every code, for the OpenAPI document and the test that pins them.
        pub const ALL: &[&Code] = &[$(&$name),*];
    };
}

// One line per code: NAME = status, "code", "default French message".
#[rustfmt::skip]
catalogue! {
    ACCOUNT_DISABLED = 401, "account_disabled", "Ce compte n'existe plus ou a été désactivé.";
    ALREADY_TAKEN = 409, "already_taken", "Cette commande est déjà en gravure.";
    ALREADY_VALIDATED = 409, "already_validated", "La gravure de cette commande est déjà validée.";
    ATELIER_CODE_TAKEN = 409, "atelier_code_taken", "Ce code d'atelier est déjà utilisé.";
    ATELIER_NOT_FOUND = 404, "atelier_not_found", "Atelier introuvable.";
    BACKUP_RUNNING = 409, "backup_running", "Une sauvegarde est déjà en cours, réessayez dans quelques minutes.";
    CANNOT_CHANGE_OWN_ROLE = 409, "cannot_change_own_role", "Vous ne pouvez pas modifier votre propre rôle.";
    CANNOT_DEACTIVATE_SELF = 409, "cannot_deactivate_self", "Vous ne pouvez pas désactiver votre propre compte.";
    CATALOG_ENTRY_NOT_FOUND = 404, "catalog_entry_not_found", "Entrée de catalogue introuvable.";
    CHRONO_ALREADY_RUNNING = 409, "chrono_already_running", "Un chrono est déjà en cours sur ce parcours : arrêtez-le avant d'en démarrer un nouveau.";
    CHRONO_AWAITS_VERIFICATION = 409, "chrono_awaits_verification", "Ce chrono est en attente de vérification : un administrateur le validera avant qu'il entre au classement.";
    CHRONO_NOT_FOUND = 404, "chrono_not_found", "Chrono introuvable.";
    CHRONO_NOT_PENDING = 409, "chrono_not_pending", "Ce chrono n'est pas en attente de validation.";
    CHRONO_NOT_RUNNING = 409, "chrono_not_running", "Ce chrono n'est pas en cours : il a déjà été arrêté.";
    CHRONO_REQUIRED = 409, "chrono_required", "Aucun chrono validé sur ce parcours : la gravure ne peut pas encore être validée.";
    CODE_TAKEN = 409, "code_taken", "Ce code est déjà utilisé.";
    CONCURRENT_WRITE = 409, "concurrent_write", "Une autre modification est en cours : merci de réessayer.";
    CONFIGURATION_ERROR = 500, "configuration_error", "Le serveur est mal configuré. L'administrateur a été prévenu.";
    CONVERSATION_NOT_FOUND = 404, "conversation_not_found", "Conversation introuvable.";
    COURSE_HAS_CHRONOS = 409, "course_has_chronos", "Impossible de supprimer ce parcours : des chronos y sont rattachés.";
    COURSE_HAS_ORDERS = 409, "course_has_orders", "Impossible de supprimer ce parcours : des commandes y sont rattachées.";
    COURSE_IN_USE = 409, "course_in_use", "Ce parcours est encore référencé (commandes, chronos…) : désactivez-le plutôt.";
    COURSE_INACTIVE = 409, "course_inactive", "Ce parcours est désactivé.";
    COURSE_NOT_FOUND = 404, "course_not_found", "Parcours introuvable.";
    COURSE_WITHOUT_COORDINATES = 422, "course_without_coordinates", "Ce parcours n'a pas de coordonnées de départ et d'arrivée : import GPX impossible.";
    DATABASE_UNAVAILABLE = 503, "database_unavailable", "Le service est momentanément indisponible. Merci de réessayer dans quelques instants.";
    DEFAUT_NOT_FOUND = 404, "defaut_not_found", "Défaut introuvable.";
    DEFAUT_TRANSITION_REFUSED = 409, "defaut_transition_refused", "Ce défaut ne peut pas passer dans ce statut.";
    DXF_INVALID = 422, "dxf_invalid", "Ce fichier n'est pas un DXF lisible.";
    DXF_UNKNOWN_PLACEHOLDER = 422, "dxf_unknown_placeholder", "Le template contient des placeholders inconnus.";
    EMAIL_TAKEN = 409, "email_taken", "Un compte existe déjà avec cette adresse email.";
    ENGRAVING_NOT_VALIDATED = 409, "engraving_not_validated", "La gravure de cette commande n'a pas été validée par le sportif.";
    EXPORT_DESTINATION_NOT_FOUND = 404, "export_destination_not_found", "Destination d'export introuvable.";
    FABRICANT_NOT_FOUND = 404, "fabricant_not_found", "Fabricant introuvable.";
    FILE_NOT_FOUND = 404, "file_not_found", "Aucun fichier DXF pour ce lot.";
    FILE_TOO_LARGE = 413, "file_too_large", "Le fichier dépasse la taille maximale autorisée (5 Mo).";
    FORBIDDEN = 403, "forbidden", "Vous n'avez pas les droits nécessaires pour cette action.";
    GPX_ALREADY_IMPORTED = 409, "gpx_already_imported", "Cette trace a déjà été importée pour ce parcours.";
    GPX_INVALID = 422, "gpx_invalid", "Ce fichier n'est pas une trace GPX lisible.";
    GPX_NEVER_FINISHED = 422, "gpx_never_finished", "La trace n'atteint jamais l'arrivée du parcours.";
    GPX_NEVER_STARTED = 422, "gpx_never_started", "La trace ne passe jamais par le départ du parcours.";
    GPX_NO_TIMESTAMPS = 422, "gpx_no_timestamps", "La trace GPX ne contient aucun point horodaté : impossible de calculer un temps.";
    INTERNAL_ERROR = 500, "internal_error", "Une erreur interne est survenue. L'équipe technique a été prévenue.";
    INVALID_CREDENTIALS = 401, "invalid_credentials", "Email ou mot de passe incorrect.";
    INVALID_ENCODING = 400, "invalid_encoding", "La requête contient des octets qui ne sont pas de l'UTF-8 valide.";
    INVALID_JSON = 400, "invalid_json", "Le corps de la requête n'est pas un JSON valide.";
    INVALID_MULTIPART = 400, "invalid_multipart", "Le formulaire envoyé est illisible.";
    LABEL_TEMPLATE_NOT_FOUND = 404, "label_template_not_found", "Template d'étiquette introuvable.";
    LABEL_TOO_EARLY = 409, "label_too_early", "Cette commande n'est pas encore prête pour son étiquette.";
    LOT_CANCELLED = 409, "lot_cancelled", "Ce lot est annulé.";
    LOT_NOT_FOUND = 404, "lot_not_found", "Lot introuvable.";
    LOT_NOT_REGENERABLE = 409, "lot_not_regenerable", "Ce lot ne peut plus être régénéré.";
    LOT_TRANSITION_REFUSED = 409, "lot_transition_refused", "Ce lot ne peut pas passer dans ce statut.";
    MAIL_FAILED = 502, "mail_failed", "L'email n'a pas pu être envoyé. Merci de réessayer plus tard.";
    MAINTENANCE = 503, "maintenance", "Le service est en maintenance. Merci de réessayer plus tard.";
    METHOD_NOT_ALLOWED = 405, "method_not_allowed", "Méthode HTTP non autorisée pour cette adresse.";
    MIXED_ATELIERS = 409, "mixed_ateliers", "Les commandes choisies relèvent de plusieurs ateliers : un lot est gravé dans un seul atelier.";
    NO_ATELIER = 403, "no_atelier", "Aucun atelier n'est associé à votre compte : contactez un administrateur.";
    NO_LABEL_TEMPLATE = 409, "no_label_template", "Aucun template d'étiquette actif : créez-en un dans le back-office.";
    NOT_FOUND = 404, "not_found", "Ressource introuvable.";
    NOTIFICATION_NOT_FOUND = 404, "notification_not_found", "Notification introuvable.";
    ORDER_ALREADY_IN_SAV = 409, "order_already_in_sav", "Cette commande est déjà en SAV.";
    ORDER_NOT_AWAITING_ENGRAVING = 409, "order_not_awaiting_engraving", "Cette commande n'attend pas de gravure.";
    ORDER_NOT_FOUND = 404, "order_not_found", "Commande introuvable.";
    ORDERS_NOT_DISPATCHABLE = 409, "orders_not_dispatchable", "Ces commandes ne sont plus en attente de gravure hors lot.";
    ORDERS_NOT_READY = 409, "orders_not_ready", "Ces commandes ne peuvent pas encore être gravées.";
    ORIGIN_NOT_ALLOWED = 403, "origin_not_allowed", "Origine non autorisée.";
    PARCOURS_INACTIVE = 409, "parcours_inactive", "Ce parcours est désactivé.";
    PARCOURS_NOT_FOUND = 404, "parcours_not_found", "Parcours introuvable.";
    PAYLOAD_TOO_LARGE = 413, "payload_too_large", "Le corps de la requête dépasse la taille maximale autorisée.";
    PIECE_JOINTE_NOT_FOUND = 404, "piece_jointe_not_found", "Pièce jointe introuvable.";
    PRESTASHOP_ADMIN_API_MISSING = 409, "prestashop_admin_api_missing", "L'Admin API PrestaShop (client OAuth2) n'est pas configurée : renseignez PRESTASHOP_CLIENT_ID et PRESTASHOP_CLIENT_SECRET.";
    PRESTASHOP_CIRCUIT_OPEN = 503, "prestashop_circuit_open", "Appels à la boutique suspendus après 5 échecs consécutifs.";
    PRESTASHOP_IMPORT_BUSY = 409, "prestashop_import_busy", "Cette commande est en cours d'import par un autre processus.";
    PRESTASHOP_NOT_CONFIGURED = 409, "prestashop_not_configured", "La boutique PrestaShop n'est pas configurée.";
    PRESTASHOP_PUSH_FAILED = 502, "prestashop_push_failed", "Les statuts n'ont pas pu être envoyés à la boutique PrestaShop.";
    PRESTASHOP_UNAVAILABLE = 502, "prestashop_unavailable", "La boutique PrestaShop n'a pas répondu correctement. Merci de réessayer plus tard.";
    PREUVE_NOT_FOUND = 404, "preuve_not_found", "Aucune preuve jointe à ce chrono.";
    RATE_LIMITED = 429, "rate_limited", "Trop de requêtes. Merci de patienter avant de réessayer.";
    REFRESH_TOKEN_INVALID = 401, "refresh_token_invalid", "Session expirée ou invalide. Merci de vous reconnecter.";
    REFRESH_TOKEN_REUSED = 401, "refresh_token_reused", "Ce jeton de session a déjà été utilisé : toutes vos sessions ont été fermées par sécurité. Merci de vous reconnecter.";
    RESET_TOKEN_INVALID = 400, "reset_token_invalid", "Ce lien de réinitialisation est invalide ou a expiré. Merci d'en demander un nouveau.";
    ROUTE_NOT_FOUND = 404, "route_not_found", "Cette adresse de l'API n'existe pas.";
    SAV_NOT_ALLOWED = 409, "sav_not_allowed", "Cette commande ne peut pas passer en SAV dans son statut actuel.";
    SAV_TICKET_NOT_FOUND = 404, "sav_ticket_not_found", "Ticket SAV introuvable.";
    SESSION_REVOKED = 401, "session_revoked", "Votre session a été fermée. Merci de vous reconnecter.";
    SETUP_ALREADY_DONE = 409, "setup_already_done", "L'installation est déjà faite : un super administrateur existe.";
    SEUIL_EXISTS = 409, "seuil_exists", "Un seuil de ce type existe déjà pour ce nombre de jours.";
    SEUIL_NOT_FOUND = 404, "seuil_not_found", "Seuil de relance introuvable.";
    SIGNIN_LINK_INVALID = 400, "signin_link_invalid", "Ce lien de connexion est invalide, a expiré ou a déjà servi. Merci d'en demander un nouveau.";
    SIGNIN_LINK_NOT_FOR_STAFF = 409, "signin_link_not_for_staff", "Ce compte se connecte avec son mot de passe.";
    SLUG_TAKEN = 409, "slug_taken", "Ce slug est déjà utilisé par un autre parcours.";
    STOCK_INSUFFICIENT = 409, "stock_insufficient", "Stock insuffisant.";
    STOCK_NOT_FOUND = 404, "stock_not_found", "Ligne de stock introuvable.";
    STRAVA_ACCESS_DENIED = 400, "strava_access_denied", "Vous avez refusé l'accès à Strava : MyKollector ne pourra pas détecter vos ascensions. Vous pouvez relancer la connexion à tout moment.";
    STRAVA_ACCOUNT_TAKEN = 409, "strava_account_taken", "Ce compte Strava est déjà relié à un autre compte MyKollector.";
    STRAVA_ACTIVITY_NOT_FOUND = 404, "strava_activity_not_found", "Activité Strava introuvable parmi vos activités.";
    STRAVA_AUTHORIZATION_REVOKED = 409, "strava_authorization_revoked", "Strava a refusé l'accès à votre compte : reconnectez Strava depuis votre tableau de bord.";
    STRAVA_BUSY = 503, "strava_busy", "La connexion Strava est en cours de renouvellement : réessayez dans quelques secondes.";
    STRAVA_CHALLENGE_MISSING = 400, "strava_challenge_missing", "Requête de validation Strava incomplète (hub.mode=subscribe et hub.challenge attendus).";
    STRAVA_CODE_MISSING = 400, "strava_code_missing", "Strava n'a pas transmis de code d'autorisation : relancez la connexion.";
    STRAVA_ERROR = 502, "strava_error", "Strava a refusé la demande. Merci de réessayer plus tard.";
    STRAVA_NOT_CONFIGURED = 503, "strava_not_configured", "La connexion Strava n'est pas configurée sur ce serveur.";
    STRAVA_NOT_CONNECTED = 409, "strava_not_connected", "Aucun compte Strava n'est connecté : connectez Strava depuis votre tableau de bord.";
    STRAVA_NOTHING_DETECTED = 422, "strava_nothing_detected", "Aucun parcours MyKollector n'a été reconnu dans cette activité.";
    STRAVA_RATE_LIMITED = 503, "strava_rate_limited", "Strava limite le nombre de requêtes : réessayez dans quelques minutes.";
    STRAVA_SCOPE_MISSING = 422, "strava_scope_missing", "Strava ne nous a pas donné accès à vos activités : sur la page d'autorisation Strava, laissez cochée la case « Voir les données de vos activités » (activity:read), sans laquelle MyKollector ne peut pas détecter vos ascensions. Relancez la connexion.";
    STRAVA_STATE_INVALID = 400, "strava_state_invalid", "Ce lien de connexion Strava est invalide, déjà utilisé ou expiré : relancez la connexion depuis votre tableau de bord.";
    STRAVA_SUBSCRIPTION_FAILED = 502, "strava_subscription_failed", "Strava a refusé l'abonnement : vérifiez que l'adresse du webhook est joignable depuis Internet et répond en moins de 2 s.";
    STRAVA_SUBSCRIPTION_UNKNOWN = 403, "strava_subscription_unknown", "Cet événement ne vient pas de notre abonnement Strava.";
    STRAVA_UNAVAILABLE = 502, "strava_unavailable", "Strava ne répond pas pour le moment. Merci de réessayer plus tard.";
    STRAVA_VERIFY_TOKEN_INVALID = 403, "strava_verify_token_invalid", "Jeton de vérification du webhook Strava incorrect.";
    TEMPLATE_IN_USE = 409, "template_in_use", "Ce template a servi à des lots : il ne peut pas être supprimé. Désactivez-le plutôt (actif = false).";
    TEMPLATE_INACTIVE = 409, "template_inactive", "Ce template de gravure est désactivé.";
    TEMPLATE_NOT_FOUND = 404, "template_not_found", "Template de gravure introuvable.";
    TEMPLATE_UNUSABLE = 409, "template_unusable", "Ce template de gravure est inutilisable.";
    TICKET_TRANSITION_REFUSED = 409, "ticket_transition_refused", "Ce ticket ne peut pas passer dans ce statut.";
    TOKEN_EXPIRED = 401, "token_expired", "Votre session a expiré. Merci de vous reconnecter.";
    TOKEN_INVALID = 401, "token_invalid", "Jeton d'authentification invalide.";
    TOKEN_MISSING = 401, "token_missing", "Authentification requise.";
    TRANSITION_REFUSED = 409, "transition_refused", "Cette commande ne peut pas passer dans ce statut.";
    UNSUPPORTED_FILE_TYPE = 415, "unsupported_file_type", "Format de fichier non accepté : envoyez une photo JPG ou PNG, un PDF ou une trace GPX.";
    UNSUPPORTED_MEDIA_TYPE = 415, "unsupported_media_type", "Envoyez le fichier en multipart/form-data.";
    USER_NOT_FOUND = 404, "user_not_found", "Utilisateur introuvable.";
    VALIDATION_ERROR = 422, "validation_error", "Une valeur envoyée n'est pas acceptable.";
    WRONG_PASSWORD = 422, "wrong_password", "Le mot de passe actuel est incorrect.";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Status and JSON body of every code, one per line: a change here is a
    /// change of the API contract.
    const PINNED: &str = r#"401 {"code":"account_disabled","error":true,"message":"Ce compte n'existe plus ou a été désactivé."}
409 {"code":"already_taken","error":true,"message":"Cette commande est déjà en gravure."}
409 {"code":"already_validated","error":true,"message":"La gravure de cette commande est déjà validée."}
409 {"code":"atelier_code_taken","error":true,"message":"Ce code d'atelier est déjà utilisé."}
404 {"code":"atelier_not_found","error":true,"message":"Atelier introuvable."}
409 {"code":"backup_running","error":true,"message":"Une sauvegarde est déjà en cours, réessayez dans quelques minutes."}
409 {"code":"cannot_change_own_role","error":true,"message":"Vous ne pouvez pas modifier votre propre rôle."}
409 {"code":"cannot_deactivate_self","error":true,"message":"Vous ne pouvez pas désactiver votre propre compte."}
404 {"code":"catalog_entry_not_found","error":true,"message":"Entrée de catalogue introuvable."}
409 {"code":"chrono_already_running","error":true,"message":"Un chrono est déjà en cours sur ce parcours : arrêtez-le avant d'en démarrer un nouveau."}
409 {"code":"chrono_awaits_verification","error":true,"message":"Ce chrono est en attente de vérification : un administrateur le validera avant qu'il entre au classement."}
404 {"code":"chrono_not_found","error":true,"message":"Chrono introuvable."}
409 {"code":"chrono_not_pending","error":true,"message":"Ce chrono n'est pas en attente de validation."}
409 {"code":"chrono_not_running","error":true,"message":"Ce chrono n'est pas en cours : il a déjà été arrêté."}
409 {"code":"chrono_required","error":true,"message":"Aucun chrono validé sur ce parcours : la gravure ne peut pas encore être validée."}
409 {"code":"code_taken","error":true,"message":"Ce code est déjà utilisé."}
409 {"code":"concurrent_write","error":true,"message":"Une autre modification est en cours : merci de réessayer."}
500 {"code":"configuration_error","error":true,"message":"Le serveur est mal configuré. L'administrateur a été prévenu."}
404 {"code":"conversation_not_found","error":true,"message":"Conversation introuvable."}
409 {"code":"course_has_chronos","error":true,"message":"Impossible de supprimer ce parcours : des chronos y sont rattachés."}
409 {"code":"course_has_orders","error":true,"message":"Impossible de supprimer ce parcours : des commandes y sont rattachées."}
409 {"code":"course_in_use","error":true,"message":"Ce parcours est encore référencé (commandes, chronos…) : désactivez-le plutôt."}
409 {"code":"course_inactive","error":true,"message":"Ce parcours est désactivé."}
404 {"code":"course_not_found","error":true,"message":"Parcours introuvable."}
422 {"code":"course_without_coordinates","error":true,"message":"Ce parcours n'a pas de coordonnées de départ et d'arrivée : import GPX impossible."}
503 {"code":"database_unavailable","error":true,"message":"Le service est momentanément indisponible. Merci de réessayer dans quelques instants."}
404 {"code":"defaut_not_found","error":true,"message":"Défaut introuvable."}
409 {"code":"defaut_transition_refused","error":true,"message":"Ce défaut ne peut pas passer dans ce statut."}
422 {"code":"dxf_invalid","error":true,"message":"Ce fichier n'est pas un DXF lisible."}
422 {"code":"dxf_unknown_placeholder","error":true,"message":"Le template contient des placeholders inconnus."}
409 {"code":"email_taken","error":true,"message":"Un compte existe déjà avec cette adresse email."}
409 {"code":"engraving_not_validated","error":true,"message":"La gravure de cette commande n'a pas été validée par le sportif."}
404 {"code":"export_destination_not_found","error":true,"message":"Destination d'export introuvable."}
404 {"code":"fabricant_not_found","error":true,"message":"Fabricant introuvable."}
404 {"code":"file_not_found","error":true,"message":"Aucun fichier DXF pour ce lot."}
413 {"code":"file_too_large","error":true,"message":"Le fichier dépasse la taille maximale autorisée (5 Mo)."}
403 {"code":"forbidden","error":true,"message":"Vous n'avez pas les droits nécessaires pour cette action."}
409 {"code":"gpx_already_imported","error":true,"message":"Cette trace a déjà été importée pour ce parcours."}
422 {"code":"gpx_invalid","error":true,"message":"Ce fichier n'est pas une trace GPX lisible."}
422 {"code":"gpx_never_finished","error":true,"message":"La trace n'atteint jamais l'arrivée du parcours."}
422 {"code":"gpx_never_started","error":true,"message":"La trace ne passe jamais par le départ du parcours."}
422 {"code":"gpx_no_timestamps","error":true,"message":"La trace GPX ne contient aucun point horodaté : impossible de calculer un temps."}
500 {"code":"internal_error","error":true,"message":"Une erreur interne est survenue. L'équipe technique a été prévenue."}
401 {"code":"invalid_credentials","error":true,"message":"Email ou mot de passe incorrect."}
400 {"code":"invalid_encoding","error":true,"message":"La requête contient des octets qui ne sont pas de l'UTF-8 valide."}
400 {"code":"invalid_json","error":true,"message":"Le corps de la requête n'est pas un JSON valide."}
400 {"code":"invalid_multipart","error":true,"message":"Le formulaire envoyé est illisible."}
404 {"code":"label_template_not_found","error":true,"message":"Template d'étiquette introuvable."}
409 {"code":"label_too_early","error":true,"message":"Cette commande n'est pas encore prête pour son étiquette."}
409 {"code":"lot_cancelled","error":true,"message":"Ce lot est annulé."}
404 {"code":"lot_not_found","error":true,"message":"Lot introuvable."}
409 {"code":"lot_not_regenerable","error":true,"message":"Ce lot ne peut plus être régénéré."}
409 {"code":"lot_transition_refused","error":true,"message":"Ce lot ne peut pas passer dans ce statut."}
502 {"code":"mail_failed","error":true,"message":"L'email n'a pas pu être envoyé. Merci de réessayer plus tard."}
503 {"code":"maintenance","error":true,"message":"Le service est en maintenance. Merci de réessayer plus tard."}
405 {"code":"method_not_allowed","error":true,"message":"Méthode HTTP non autorisée pour cette adresse."}
409 {"code":"mixed_ateliers","error":true,"message":"Les commandes choisies relèvent de plusieurs ateliers : un lot est gravé dans un seul atelier."}
403 {"code":"no_atelier","error":true,"message":"Aucun atelier n'est associé à votre compte : contactez un administrateur."}
409 {"code":"no_label_template","error":true,"message":"Aucun template d'étiquette actif : créez-en un dans le back-office."}
404 {"code":"not_found","error":true,"message":"Ressource introuvable."}
404 {"code":"notification_not_found","error":true,"message":"Notification introuvable."}
409 {"code":"order_already_in_sav","error":true,"message":"Cette commande est déjà en SAV."}
409 {"code":"order_not_awaiting_engraving","error":true,"message":"Cette commande n'attend pas de gravure."}
404 {"code":"order_not_found","error":true,"message":"Commande introuvable."}
409 {"code":"orders_not_dispatchable","error":true,"message":"Ces commandes ne sont plus en attente de gravure hors lot."}
409 {"code":"orders_not_ready","error":true,"message":"Ces commandes ne peuvent pas encore être gravées."}
403 {"code":"origin_not_allowed","error":true,"message":"Origine non autorisée."}
409 {"code":"parcours_inactive","error":true,"message":"Ce parcours est désactivé."}
404 {"code":"parcours_not_found","error":true,"message":"Parcours introuvable."}
413 {"code":"payload_too_large","error":true,"message":"Le corps de la requête dépasse la taille maximale autorisée."}
404 {"code":"piece_jointe_not_found","error":true,"message":"Pièce jointe introuvable."}
409 {"code":"prestashop_admin_api_missing","error":true,"message":"L'Admin API PrestaShop (client OAuth2) n'est pas configurée : renseignez PRESTASHOP_CLIENT_ID et PRESTASHOP_CLIENT_SECRET."}
503 {"code":"prestashop_circuit_open","error":true,"message":"Appels à la boutique suspendus après 5 échecs consécutifs."}
409 {"code":"prestashop_import_busy","error":true,"message":"Cette commande est en cours d'import par un autre processus."}
409 {"code":"prestashop_not_configured","error":true,"message":"La boutique PrestaShop n'est pas configurée."}
502 {"code":"prestashop_push_failed","error":true,"message":"Les statuts n'ont pas pu être envoyés à la boutique PrestaShop."}
502 {"code":"prestashop_unavailable","error":true,"message":"La boutique PrestaShop n'a pas répondu correctement. Merci de réessayer plus tard."}
404 {"code":"preuve_not_found","error":true,"message":"Aucune preuve jointe à ce chrono."}
429 {"code":"rate_limited","error":true,"message":"Trop de requêtes. Merci de patienter avant de réessayer."}
401 {"code":"refresh_token_invalid","error":true,"message":"Session expirée ou invalide. Merci de vous reconnecter."}
401 {"code":"refresh_token_reused","error":true,"message":"Ce jeton de session a déjà été utilisé : toutes vos sessions ont été fermées par sécurité. Merci de vous reconnecter."}
400 {"code":"reset_token_invalid","error":true,"message":"Ce lien de réinitialisation est invalide ou a expiré. Merci d'en demander un nouveau."}
404 {"code":"route_not_found","error":true,"message":"Cette adresse de l'API n'existe pas."}
409 {"code":"sav_not_allowed","error":true,"message":"Cette commande ne peut pas passer en SAV dans son statut actuel."}
404 {"code":"sav_ticket_not_found","error":true,"message":"Ticket SAV introuvable."}
401 {"code":"session_revoked","error":true,"message":"Votre session a été fermée. Merci de vous reconnecter."}
409 {"code":"setup_already_done","error":true,"message":"L'installation est déjà faite : un super administrateur existe."}
409 {"code":"seuil_exists","error":true,"message":"Un seuil de ce type existe déjà pour ce nombre de jours."}
404 {"code":"seuil_not_found","error":true,"message":"Seuil de relance introuvable."}
400 {"code":"signin_link_invalid","error":true,"message":"Ce lien de connexion est invalide, a expiré ou a déjà servi. Merci d'en demander un nouveau."}
409 {"code":"signin_link_not_for_staff","error":true,"message":"Ce compte se connecte avec son mot de passe."}
409 {"code":"slug_taken","error":true,"message":"Ce slug est déjà utilisé par un autre parcours."}
409 {"code":"stock_insufficient","error":true,"message":"Stock insuffisant."}
404 {"code":"stock_not_found","error":true,"message":"Ligne de stock introuvable."}
400 {"code":"strava_access_denied","error":true,"message":"Vous avez refusé l'accès à Strava : MyKollector ne pourra pas détecter vos ascensions. Vous pouvez relancer la connexion à tout moment."}
409 {"code":"strava_account_taken","error":true,"message":"Ce compte Strava est déjà relié à un autre compte MyKollector."}
404 {"code":"strava_activity_not_found","error":true,"message":"Activité Strava introuvable parmi vos activités."}
409 {"code":"strava_authorization_revoked","error":true,"message":"Strava a refusé l'accès à votre compte : reconnectez Strava depuis votre tableau de bord."}
503 {"code":"strava_busy","error":true,"message":"La connexion Strava est en cours de renouvellement : réessayez dans quelques secondes."}
400 {"code":"strava_challenge_missing","error":true,"message":"Requête de validation Strava incomplète (hub.mode=subscribe et hub.challenge attendus)."}
400 {"code":"strava_code_missing","error":true,"message":"Strava n'a pas transmis de code d'autorisation : relancez la connexion."}
502 {"code":"strava_error","error":true,"message":"Strava a refusé la demande. Merci de réessayer plus tard."}
503 {"code":"strava_not_configured","error":true,"message":"La connexion Strava n'est pas configurée sur ce serveur."}
409 {"code":"strava_not_connected","error":true,"message":"Aucun compte Strava n'est connecté : connectez Strava depuis votre tableau de bord."}
422 {"code":"strava_nothing_detected","error":true,"message":"Aucun parcours MyKollector n'a été reconnu dans cette activité."}
503 {"code":"strava_rate_limited","error":true,"message":"Strava limite le nombre de requêtes : réessayez dans quelques minutes."}
422 {"code":"strava_scope_missing","error":true,"message":"Strava ne nous a pas donné accès à vos activités : sur la page d'autorisation Strava, laissez cochée la case « Voir les données de vos activités » (activity:read), sans laquelle MyKollector ne peut pas détecter vos ascensions. Relancez la connexion."}
400 {"code":"strava_state_invalid","error":true,"message":"Ce lien de connexion Strava est invalide, déjà utilisé ou expiré : relancez la connexion depuis votre tableau de bord."}
502 {"code":"strava_subscription_failed","error":true,"message":"Strava a refusé l'abonnement : vérifiez que l'adresse du webhook est joignable depuis Internet et répond en moins de 2 s."}
403 {"code":"strava_subscription_unknown","error":true,"message":"Cet événement ne vient pas de notre abonnement Strava."}
502 {"code":"strava_unavailable","error":true,"message":"Strava ne répond pas pour le moment. Merci de réessayer plus tard."}
403 {"code":"strava_verify_token_invalid","error":true,"message":"Jeton de vérification du webhook Strava incorrect."}
409 {"code":"template_in_use","error":true,"message":"Ce template a servi à des lots : il ne peut pas être supprimé. Désactivez-le plutôt (actif = false)."}
409 {"code":"template_inactive","error":true,"message":"Ce template de gravure est désactivé."}
404 {"code":"template_not_found","error":true,"message":"Template de gravure introuvable."}
409 {"code":"template_unusable","error":true,"message":"Ce template de gravure est inutilisable."}
409 {"code":"ticket_transition_refused","error":true,"message":"Ce ticket ne peut pas passer dans ce statut."}
401 {"code":"token_expired","error":true,"message":"Votre session a expiré. Merci de vous reconnecter."}
401 {"code":"token_invalid","error":true,"message":"Jeton d'authentification invalide."}
401 {"code":"token_missing","error":true,"message":"Authentification requise."}
409 {"code":"transition_refused","error":true,"message":"Cette commande ne peut pas passer dans ce statut."}
415 {"code":"unsupported_file_type","error":true,"message":"Format de fichier non accepté : envoyez une photo JPG ou PNG, un PDF ou une trace GPX."}
415 {"code":"unsupported_media_type","error":true,"message":"Envoyez le fichier en multipart/form-data."}
404 {"code":"user_not_found","error":true,"message":"Utilisateur introuvable."}
422 {"code":"validation_error","error":true,"message":"Une valeur envoyée n'est pas acceptable."}
422 {"code":"wrong_password","error":true,"message":"Le mot de passe actuel est incorrect."}"#;

    #[test]
    fn every_code_keeps_its_status_and_body() {
        let rendered: Vec<String> = ALL
            .iter()
            .map(|c| format!("{} {}", c.status, c.err().to_json()))
            .collect();
        let pinned: Vec<&str> = PINNED.lines().collect();
        assert_eq!(rendered.len(), pinned.len(), "a code was added or removed");
        for (got, want) in rendered.iter().zip(pinned) {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn codes_are_unique_snake_case_and_statuses_are_errors() {
        let mut seen = std::collections::HashSet::new();
        for c in ALL {
            assert!(seen.insert(c.code), "duplicate {}", c.code);
            assert!(
                c.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                c.code
            );
            assert!((400..=599).contains(&c.status), "{}", c.code);
            assert!(!c.message.is_empty(), "{}", c.code);
        }
    }

    #[test]
    fn a_precise_message_keeps_code_and_status() {
        let e = ORDER_NOT_FOUND.msg("La commande MKO-1 est introuvable.");
        assert_eq!((e.status(), e.code()), (404, "order_not_found"));
        assert_eq!(e.message(), "La commande MKO-1 est introuvable.");
    }
}
