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
    /// Stable English snake_case code.
    pub code: &'static str,
    /// HTTP status.
    pub status: u16,
    /// Default French message (the case may name a more precise one).
    pub message: &'static str,
}

impl Code {
    /// The error with the catalogue's message.
    #[track_caller]
    pub fn err(&'static self) -> Error {
        Error::new(self.status, self.code, self.message)
    }

    /// The error with a message that names the case.
    #[track_caller]
    pub fn msg(&'static self, message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(self.status, self.code, message)
    }
}

/// 401 `account_disabled`.
pub const ACCOUNT_DISABLED: Code = Code {
    code: "account_disabled",
    status: 401,
    message: "Ce compte n'existe plus ou a été désactivé.",
};

/// 409 `already_taken`.
pub const ALREADY_TAKEN: Code = Code {
    code: "already_taken",
    status: 409,
    message: "Cette commande est déjà en gravure.",
};

/// 409 `already_validated`.
pub const ALREADY_VALIDATED: Code = Code {
    code: "already_validated",
    status: 409,
    message: "La gravure de cette commande est déjà validée.",
};

/// 409 `atelier_code_taken`.
pub const ATELIER_CODE_TAKEN: Code = Code {
    code: "atelier_code_taken",
    status: 409,
    message: "Ce code d'atelier est déjà utilisé.",
};

/// 404 `atelier_not_found`.
pub const ATELIER_NOT_FOUND: Code = Code {
    code: "atelier_not_found",
    status: 404,
    message: "Atelier introuvable.",
};

/// 409 `cannot_change_own_role`.
pub const CANNOT_CHANGE_OWN_ROLE: Code = Code {
    code: "cannot_change_own_role",
    status: 409,
    message: "Vous ne pouvez pas modifier votre propre rôle.",
};

/// 409 `cannot_deactivate_self`.
pub const CANNOT_DEACTIVATE_SELF: Code = Code {
    code: "cannot_deactivate_self",
    status: 409,
    message: "Vous ne pouvez pas désactiver votre propre compte.",
};

/// 404 `catalog_entry_not_found`.
pub const CATALOG_ENTRY_NOT_FOUND: Code = Code {
    code: "catalog_entry_not_found",
    status: 404,
    message: "Entrée de catalogue introuvable.",
};

/// 409 `chrono_already_running`.
pub const CHRONO_ALREADY_RUNNING: Code = Code {
    code: "chrono_already_running",
    status: 409,
    message:
        "Un chrono est déjà en cours sur ce parcours : arrêtez-le avant d'en démarrer un nouveau.",
};

/// 409 `chrono_awaits_verification`.
pub const CHRONO_AWAITS_VERIFICATION: Code = Code {
    code: "chrono_awaits_verification",
    status: 409,
    message: "Ce chrono est en attente de vérification : un administrateur le validera avant qu'il entre au classement.",
};

/// 404 `chrono_not_found`.
pub const CHRONO_NOT_FOUND: Code = Code {
    code: "chrono_not_found",
    status: 404,
    message: "Chrono introuvable.",
};

/// 409 `chrono_not_pending`.
pub const CHRONO_NOT_PENDING: Code = Code {
    code: "chrono_not_pending",
    status: 409,
    message: "Ce chrono n'est pas en attente de validation.",
};

/// 409 `chrono_not_running`.
pub const CHRONO_NOT_RUNNING: Code = Code {
    code: "chrono_not_running",
    status: 409,
    message: "Ce chrono n'est pas en cours : il a déjà été arrêté.",
};

/// 409 `chrono_required`.
pub const CHRONO_REQUIRED: Code = Code {
    code: "chrono_required",
    status: 409,
    message: "Aucun chrono validé sur ce parcours : la gravure ne peut pas encore être validée.",
};

/// 409 `code_taken`.
pub const CODE_TAKEN: Code = Code {
    code: "code_taken",
    status: 409,
    message: "Ce code est déjà utilisé.",
};

/// 409 `concurrent_write`.
pub const CONCURRENT_WRITE: Code = Code {
    code: "concurrent_write",
    status: 409,
    message: "Une autre modification est en cours : merci de réessayer.",
};

/// 500 `configuration_error`.
pub const CONFIGURATION_ERROR: Code = Code {
    code: "configuration_error",
    status: 500,
    message: "Le serveur est mal configuré. L'administrateur a été prévenu.",
};

/// 409 `course_has_chronos`.
pub const COURSE_HAS_CHRONOS: Code = Code {
    code: "course_has_chronos",
    status: 409,
    message: "Impossible de supprimer ce parcours : des chronos y sont rattachés.",
};

/// 409 `course_has_orders`.
pub const COURSE_HAS_ORDERS: Code = Code {
    code: "course_has_orders",
    status: 409,
    message: "Impossible de supprimer ce parcours : des commandes y sont rattachées.",
};

/// 409 `course_in_use`.
pub const COURSE_IN_USE: Code = Code {
    code: "course_in_use",
    status: 409,
    message: "Ce parcours est encore référencé (commandes, chronos…) : désactivez-le plutôt.",
};

/// 409 `course_inactive`.
pub const COURSE_INACTIVE: Code = Code {
    code: "course_inactive",
    status: 409,
    message: "Ce parcours est désactivé.",
};

/// 404 `course_not_found`.
pub const COURSE_NOT_FOUND: Code = Code {
    code: "course_not_found",
    status: 404,
    message: "Parcours introuvable.",
};

/// 422 `course_without_coordinates`.
pub const COURSE_WITHOUT_COORDINATES: Code = Code {
    code: "course_without_coordinates",
    status: 422,
    message: "Ce parcours n'a pas de coordonnées de départ et d'arrivée : import GPX impossible.",
};

/// 503 `database_unavailable`.
pub const DATABASE_UNAVAILABLE: Code = Code {
    code: "database_unavailable",
    status: 503,
    message:
        "Le service est momentanément indisponible. Merci de réessayer dans quelques instants.",
};

/// 404 `defaut_not_found`.
pub const DEFAUT_NOT_FOUND: Code = Code {
    code: "defaut_not_found",
    status: 404,
    message: "Défaut introuvable.",
};

/// 409 `defaut_transition_refused`.
pub const DEFAUT_TRANSITION_REFUSED: Code = Code {
    code: "defaut_transition_refused",
    status: 409,
    message: "Ce défaut ne peut pas passer dans ce statut.",
};

/// 422 `dxf_invalid`.
pub const DXF_INVALID: Code = Code {
    code: "dxf_invalid",
    status: 422,
    message: "Ce fichier n'est pas un DXF lisible.",
};

/// 422 `dxf_unknown_placeholder`.
pub const DXF_UNKNOWN_PLACEHOLDER: Code = Code {
    code: "dxf_unknown_placeholder",
    status: 422,
    message: "Le template contient des placeholders inconnus.",
};

/// 409 `email_taken`.
pub const EMAIL_TAKEN: Code = Code {
    code: "email_taken",
    status: 409,
    message: "Un compte existe déjà avec cette adresse email.",
};

/// 409 `engraving_not_validated`.
pub const ENGRAVING_NOT_VALIDATED: Code = Code {
    code: "engraving_not_validated",
    status: 409,
    message: "La gravure de cette commande n'a pas été validée par le sportif.",
};

/// 404 `export_destination_not_found`.
pub const EXPORT_DESTINATION_NOT_FOUND: Code = Code {
    code: "export_destination_not_found",
    status: 404,
    message: "Destination d'export introuvable.",
};

/// 404 `fabricant_not_found`.
pub const FABRICANT_NOT_FOUND: Code = Code {
    code: "fabricant_not_found",
    status: 404,
    message: "Fabricant introuvable.",
};

/// 404 `file_not_found`.
pub const FILE_NOT_FOUND: Code = Code {
    code: "file_not_found",
    status: 404,
    message: "Aucun fichier DXF pour ce lot.",
};

/// 413 `file_too_large`.
pub const FILE_TOO_LARGE: Code = Code {
    code: "file_too_large",
    status: 413,
    message: "Le fichier dépasse la taille maximale autorisée (5 Mo).",
};

/// 403 `forbidden`.
pub const FORBIDDEN: Code = Code {
    code: "forbidden",
    status: 403,
    message: "Vous n'avez pas les droits nécessaires pour cette action.",
};

/// 409 `gpx_already_imported`.
pub const GPX_ALREADY_IMPORTED: Code = Code {
    code: "gpx_already_imported",
    status: 409,
    message: "Cette trace a déjà été importée pour ce parcours.",
};

/// 422 `gpx_invalid`.
pub const GPX_INVALID: Code = Code {
    code: "gpx_invalid",
    status: 422,
    message: "Ce fichier n'est pas une trace GPX lisible.",
};

/// 422 `gpx_never_finished`.
pub const GPX_NEVER_FINISHED: Code = Code {
    code: "gpx_never_finished",
    status: 422,
    message: "La trace n'atteint jamais l'arrivée du parcours.",
};

/// 422 `gpx_never_started`.
pub const GPX_NEVER_STARTED: Code = Code {
    code: "gpx_never_started",
    status: 422,
    message: "La trace ne passe jamais par le départ du parcours.",
};

/// 422 `gpx_no_timestamps`.
pub const GPX_NO_TIMESTAMPS: Code = Code {
    code: "gpx_no_timestamps",
    status: 422,
    message: "La trace GPX ne contient aucun point horodaté : impossible de calculer un temps.",
};

/// 500 `internal_error`.
pub const INTERNAL_ERROR: Code = Code {
    code: "internal_error",
    status: 500,
    message: "Une erreur interne est survenue. L'équipe technique a été prévenue.",
};

/// 401 `invalid_credentials`.
pub const INVALID_CREDENTIALS: Code = Code {
    code: "invalid_credentials",
    status: 401,
    message: "Email ou mot de passe incorrect.",
};

/// 400 `invalid_json`.
pub const INVALID_JSON: Code = Code {
    code: "invalid_json",
    status: 400,
    message: "Le corps de la requête n'est pas un JSON valide.",
};

/// 400 `invalid_multipart`.
pub const INVALID_MULTIPART: Code = Code {
    code: "invalid_multipart",
    status: 400,
    message: "Le formulaire envoyé est illisible.",
};

/// 404 `label_template_not_found`.
pub const LABEL_TEMPLATE_NOT_FOUND: Code = Code {
    code: "label_template_not_found",
    status: 404,
    message: "Template d'étiquette introuvable.",
};

/// 409 `label_too_early`.
pub const LABEL_TOO_EARLY: Code = Code {
    code: "label_too_early",
    status: 409,
    message: "Cette commande n'est pas encore prête pour son étiquette.",
};

/// 409 `lot_cancelled`.
pub const LOT_CANCELLED: Code = Code {
    code: "lot_cancelled",
    status: 409,
    message: "Ce lot est annulé.",
};

/// 404 `lot_not_found`.
pub const LOT_NOT_FOUND: Code = Code {
    code: "lot_not_found",
    status: 404,
    message: "Lot introuvable.",
};

/// 409 `lot_not_regenerable`.
pub const LOT_NOT_REGENERABLE: Code = Code {
    code: "lot_not_regenerable",
    status: 409,
    message: "Ce lot ne peut plus être régénéré.",
};

/// 409 `lot_transition_refused`.
pub const LOT_TRANSITION_REFUSED: Code = Code {
    code: "lot_transition_refused",
    status: 409,
    message: "Ce lot ne peut pas passer dans ce statut.",
};

/// 502 `mail_failed`.
pub const MAIL_FAILED: Code = Code {
    code: "mail_failed",
    status: 502,
    message: "L'email n'a pas pu être envoyé. Merci de réessayer plus tard.",
};

/// 503 `maintenance`.
pub const MAINTENANCE: Code = Code {
    code: "maintenance",
    status: 503,
    message: "Le service est en maintenance. Merci de réessayer plus tard.",
};

/// 405 `method_not_allowed`.
pub const METHOD_NOT_ALLOWED: Code = Code {
    code: "method_not_allowed",
    status: 405,
    message: "Méthode HTTP non autorisée pour cette adresse.",
};

/// 409 `mixed_ateliers`.
pub const MIXED_ATELIERS: Code = Code {
    code: "mixed_ateliers",
    status: 409,
    message: "Les commandes choisies relèvent de plusieurs ateliers : un lot est gravé dans un seul atelier.",
};

/// 403 `no_atelier`.
pub const NO_ATELIER: Code = Code {
    code: "no_atelier",
    status: 403,
    message: "Aucun atelier n'est associé à votre compte : contactez un administrateur.",
};

/// 409 `no_label_template`.
pub const NO_LABEL_TEMPLATE: Code = Code {
    code: "no_label_template",
    status: 409,
    message: "Aucun template d'étiquette actif : créez-en un dans le back-office.",
};

/// 404 `not_found`.
pub const NOT_FOUND: Code = Code {
    code: "not_found",
    status: 404,
    message: "Ressource introuvable.",
};

/// 409 `order_already_in_sav`.
pub const ORDER_ALREADY_IN_SAV: Code = Code {
    code: "order_already_in_sav",
    status: 409,
    message: "Cette commande est déjà en SAV.",
};

/// 409 `order_not_awaiting_engraving`.
pub const ORDER_NOT_AWAITING_ENGRAVING: Code = Code {
    code: "order_not_awaiting_engraving",
    status: 409,
    message: "Cette commande n'attend pas de gravure.",
};

/// 404 `order_not_found`.
pub const ORDER_NOT_FOUND: Code = Code {
    code: "order_not_found",
    status: 404,
    message: "Commande introuvable.",
};

/// 409 `orders_not_ready`.
pub const ORDERS_NOT_READY: Code = Code {
    code: "orders_not_ready",
    status: 409,
    message: "Ces commandes ne peuvent pas encore être gravées.",
};

/// 403 `origin_not_allowed`.
pub const ORIGIN_NOT_ALLOWED: Code = Code {
    code: "origin_not_allowed",
    status: 403,
    message: "Origine non autorisée.",
};

/// 409 `parcours_inactive`.
pub const PARCOURS_INACTIVE: Code = Code {
    code: "parcours_inactive",
    status: 409,
    message: "Ce parcours est désactivé.",
};

/// 404 `parcours_not_found`.
pub const PARCOURS_NOT_FOUND: Code = Code {
    code: "parcours_not_found",
    status: 404,
    message: "Parcours introuvable.",
};

/// 413 `payload_too_large`.
pub const PAYLOAD_TOO_LARGE: Code = Code {
    code: "payload_too_large",
    status: 413,
    message: "Le corps de la requête dépasse la taille maximale autorisée.",
};

/// 404 `preuve_not_found`.
pub const PREUVE_NOT_FOUND: Code = Code {
    code: "preuve_not_found",
    status: 404,
    message: "Aucune preuve jointe à ce chrono.",
};

/// 429 `rate_limited`.
pub const RATE_LIMITED: Code = Code {
    code: "rate_limited",
    status: 429,
    message: "Trop de requêtes. Merci de patienter avant de réessayer.",
};

/// 401 `refresh_token_invalid`.
pub const REFRESH_TOKEN_INVALID: Code = Code {
    code: "refresh_token_invalid",
    status: 401,
    message: "Session expirée ou invalide. Merci de vous reconnecter.",
};

/// 401 `refresh_token_reused`.
pub const REFRESH_TOKEN_REUSED: Code = Code {
    code: "refresh_token_reused",
    status: 401,
    message: "Ce jeton de session a déjà été utilisé : toutes vos sessions ont été fermées par sécurité. Merci de vous reconnecter.",
};

/// 400 `reset_token_invalid`.
pub const RESET_TOKEN_INVALID: Code = Code {
    code: "reset_token_invalid",
    status: 400,
    message:
        "Ce lien de réinitialisation est invalide ou a expiré. Merci d'en demander un nouveau.",
};

/// 404 `route_not_found`.
pub const ROUTE_NOT_FOUND: Code = Code {
    code: "route_not_found",
    status: 404,
    message: "Cette adresse de l'API n'existe pas.",
};

/// 409 `sav_not_allowed`.
pub const SAV_NOT_ALLOWED: Code = Code {
    code: "sav_not_allowed",
    status: 409,
    message: "Cette commande ne peut pas passer en SAV dans son statut actuel.",
};

/// 404 `sav_ticket_not_found`.
pub const SAV_TICKET_NOT_FOUND: Code = Code {
    code: "sav_ticket_not_found",
    status: 404,
    message: "Ticket SAV introuvable.",
};

/// 409 `setup_already_done`.
pub const SETUP_ALREADY_DONE: Code = Code {
    code: "setup_already_done",
    status: 409,
    message: "L'installation est déjà faite : un super administrateur existe.",
};

/// 409 `slug_taken`.
pub const SLUG_TAKEN: Code = Code {
    code: "slug_taken",
    status: 409,
    message: "Ce slug est déjà utilisé par un autre parcours.",
};

/// 409 `stock_insufficient`.
pub const STOCK_INSUFFICIENT: Code = Code {
    code: "stock_insufficient",
    status: 409,
    message: "Stock insuffisant.",
};

/// 404 `stock_not_found`.
pub const STOCK_NOT_FOUND: Code = Code {
    code: "stock_not_found",
    status: 404,
    message: "Ligne de stock introuvable.",
};

/// 409 `template_in_use`.
pub const TEMPLATE_IN_USE: Code = Code {
    code: "template_in_use",
    status: 409,
    message: "Ce template a servi à des lots : il ne peut pas être supprimé. Désactivez-le plutôt (actif = false).",
};

/// 409 `template_inactive`.
pub const TEMPLATE_INACTIVE: Code = Code {
    code: "template_inactive",
    status: 409,
    message: "Ce template de gravure est désactivé.",
};

/// 404 `template_not_found`.
pub const TEMPLATE_NOT_FOUND: Code = Code {
    code: "template_not_found",
    status: 404,
    message: "Template de gravure introuvable.",
};

/// 409 `template_unusable`.
pub const TEMPLATE_UNUSABLE: Code = Code {
    code: "template_unusable",
    status: 409,
    message: "Ce template de gravure est inutilisable.",
};

/// 409 `ticket_transition_refused`.
pub const TICKET_TRANSITION_REFUSED: Code = Code {
    code: "ticket_transition_refused",
    status: 409,
    message: "Ce ticket ne peut pas passer dans ce statut.",
};

/// 401 `token_expired`.
pub const TOKEN_EXPIRED: Code = Code {
    code: "token_expired",
    status: 401,
    message: "Votre session a expiré. Merci de vous reconnecter.",
};

/// 401 `token_invalid`.
pub const TOKEN_INVALID: Code = Code {
    code: "token_invalid",
    status: 401,
    message: "Jeton d'authentification invalide.",
};

/// 401 `token_missing`.
pub const TOKEN_MISSING: Code = Code {
    code: "token_missing",
    status: 401,
    message: "Authentification requise.",
};

/// 409 `transition_refused`.
pub const TRANSITION_REFUSED: Code = Code {
    code: "transition_refused",
    status: 409,
    message: "Cette commande ne peut pas passer dans ce statut.",
};

/// 415 `unsupported_file_type`.
pub const UNSUPPORTED_FILE_TYPE: Code = Code {
    code: "unsupported_file_type",
    status: 415,
    message:
        "Format de fichier non accepté : envoyez une photo JPG ou PNG, un PDF ou une trace GPX.",
};

/// 415 `unsupported_media_type`.
pub const UNSUPPORTED_MEDIA_TYPE: Code = Code {
    code: "unsupported_media_type",
    status: 415,
    message: "Envoyez le fichier en multipart/form-data.",
};

/// 404 `user_not_found`.
pub const USER_NOT_FOUND: Code = Code {
    code: "user_not_found",
    status: 404,
    message: "Utilisateur introuvable.",
};

/// 422 `validation_error`.
pub const VALIDATION_ERROR: Code = Code {
    code: "validation_error",
    status: 422,
    message: "Une valeur envoyée n'est pas acceptable.",
};

/// 422 `wrong_password`.
pub const WRONG_PASSWORD: Code = Code {
    code: "wrong_password",
    status: 422,
    message: "Le mot de passe actuel est incorrect.",
};

/// Every code, for the OpenAPI document and the test that pins them.
pub const ALL: &[&Code] = &[
    &ACCOUNT_DISABLED,
    &ALREADY_TAKEN,
    &ALREADY_VALIDATED,
    &ATELIER_CODE_TAKEN,
    &ATELIER_NOT_FOUND,
    &CANNOT_CHANGE_OWN_ROLE,
    &CANNOT_DEACTIVATE_SELF,
    &CATALOG_ENTRY_NOT_FOUND,
    &CHRONO_ALREADY_RUNNING,
    &CHRONO_AWAITS_VERIFICATION,
    &CHRONO_NOT_FOUND,
    &CHRONO_NOT_PENDING,
    &CHRONO_NOT_RUNNING,
    &CHRONO_REQUIRED,
    &CODE_TAKEN,
    &CONCURRENT_WRITE,
    &CONFIGURATION_ERROR,
    &COURSE_HAS_CHRONOS,
    &COURSE_HAS_ORDERS,
    &COURSE_IN_USE,
    &COURSE_INACTIVE,
    &COURSE_NOT_FOUND,
    &COURSE_WITHOUT_COORDINATES,
    &DATABASE_UNAVAILABLE,
    &DEFAUT_NOT_FOUND,
    &DEFAUT_TRANSITION_REFUSED,
    &DXF_INVALID,
    &DXF_UNKNOWN_PLACEHOLDER,
    &EMAIL_TAKEN,
    &ENGRAVING_NOT_VALIDATED,
    &EXPORT_DESTINATION_NOT_FOUND,
    &FABRICANT_NOT_FOUND,
    &FILE_NOT_FOUND,
    &FILE_TOO_LARGE,
    &FORBIDDEN,
    &GPX_ALREADY_IMPORTED,
    &GPX_INVALID,
    &GPX_NEVER_FINISHED,
    &GPX_NEVER_STARTED,
    &GPX_NO_TIMESTAMPS,
    &INTERNAL_ERROR,
    &INVALID_CREDENTIALS,
    &INVALID_JSON,
    &INVALID_MULTIPART,
    &LABEL_TEMPLATE_NOT_FOUND,
    &LABEL_TOO_EARLY,
    &LOT_CANCELLED,
    &LOT_NOT_FOUND,
    &LOT_NOT_REGENERABLE,
    &LOT_TRANSITION_REFUSED,
    &MAIL_FAILED,
    &MAINTENANCE,
    &METHOD_NOT_ALLOWED,
    &MIXED_ATELIERS,
    &NO_ATELIER,
    &NO_LABEL_TEMPLATE,
    &NOT_FOUND,
    &ORDER_ALREADY_IN_SAV,
    &ORDER_NOT_AWAITING_ENGRAVING,
    &ORDER_NOT_FOUND,
    &ORDERS_NOT_READY,
    &ORIGIN_NOT_ALLOWED,
    &PARCOURS_INACTIVE,
    &PARCOURS_NOT_FOUND,
    &PAYLOAD_TOO_LARGE,
    &PREUVE_NOT_FOUND,
    &RATE_LIMITED,
    &REFRESH_TOKEN_INVALID,
    &REFRESH_TOKEN_REUSED,
    &RESET_TOKEN_INVALID,
    &ROUTE_NOT_FOUND,
    &SAV_NOT_ALLOWED,
    &SAV_TICKET_NOT_FOUND,
    &SETUP_ALREADY_DONE,
    &SLUG_TAKEN,
    &STOCK_INSUFFICIENT,
    &STOCK_NOT_FOUND,
    &TEMPLATE_IN_USE,
    &TEMPLATE_INACTIVE,
    &TEMPLATE_NOT_FOUND,
    &TEMPLATE_UNUSABLE,
    &TICKET_TRANSITION_REFUSED,
    &TOKEN_EXPIRED,
    &TOKEN_INVALID,
    &TOKEN_MISSING,
    &TRANSITION_REFUSED,
    &UNSUPPORTED_FILE_TYPE,
    &UNSUPPORTED_MEDIA_TYPE,
    &USER_NOT_FOUND,
    &VALIDATION_ERROR,
    &WRONG_PASSWORD,
];

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
409 {"code":"order_already_in_sav","error":true,"message":"Cette commande est déjà en SAV."}
409 {"code":"order_not_awaiting_engraving","error":true,"message":"Cette commande n'attend pas de gravure."}
404 {"code":"order_not_found","error":true,"message":"Commande introuvable."}
409 {"code":"orders_not_ready","error":true,"message":"Ces commandes ne peuvent pas encore être gravées."}
403 {"code":"origin_not_allowed","error":true,"message":"Origine non autorisée."}
409 {"code":"parcours_inactive","error":true,"message":"Ce parcours est désactivé."}
404 {"code":"parcours_not_found","error":true,"message":"Parcours introuvable."}
413 {"code":"payload_too_large","error":true,"message":"Le corps de la requête dépasse la taille maximale autorisée."}
404 {"code":"preuve_not_found","error":true,"message":"Aucune preuve jointe à ce chrono."}
429 {"code":"rate_limited","error":true,"message":"Trop de requêtes. Merci de patienter avant de réessayer."}
401 {"code":"refresh_token_invalid","error":true,"message":"Session expirée ou invalide. Merci de vous reconnecter."}
401 {"code":"refresh_token_reused","error":true,"message":"Ce jeton de session a déjà été utilisé : toutes vos sessions ont été fermées par sécurité. Merci de vous reconnecter."}
400 {"code":"reset_token_invalid","error":true,"message":"Ce lien de réinitialisation est invalide ou a expiré. Merci d'en demander un nouveau."}
404 {"code":"route_not_found","error":true,"message":"Cette adresse de l'API n'existe pas."}
409 {"code":"sav_not_allowed","error":true,"message":"Cette commande ne peut pas passer en SAV dans son statut actuel."}
404 {"code":"sav_ticket_not_found","error":true,"message":"Ticket SAV introuvable."}
409 {"code":"setup_already_done","error":true,"message":"L'installation est déjà faite : un super administrateur existe."}
409 {"code":"slug_taken","error":true,"message":"Ce slug est déjà utilisé par un autre parcours."}
409 {"code":"stock_insufficient","error":true,"message":"Stock insuffisant."}
404 {"code":"stock_not_found","error":true,"message":"Ligne de stock introuvable."}
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
