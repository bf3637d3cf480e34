//! The shop's data ids MyKollector relies on (spec 7.2–7.3, 13.2): they are
//! shop data, so they are configurable — `.env` wins over the
//! `prestashop_config` row, whose defaults are the spec's values.

use crate::config::Config;
use crate::error::Result;
use mysql::prelude::Queryable;
use mysql::Conn;

/// State and group ids of the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// "Paiement accepté" (2): the state of orders to import.
    pub statut_paiement_id: u64,
    /// "En gravure" (24): pushed when a lot goes to the laser.
    pub statut_gravure_id: u64,
    /// "Expédié" (4): pushed with the tracking number.
    pub statut_expedition_id: u64,
    /// "Professionnels" (4): customers of this default group are B2B.
    pub groupe_b2b_id: u64,
}

impl Settings {
    /// Reads the row and applies the `.env` overrides, then the console's.
    pub fn load(config: &Config, conn: &mut Conn) -> Result<Settings> {
        let config = &crate::api::settings::overlay(config, conn)?;
        let row: Option<(u64, u64, u64, u64)> = conn.query_first(
            "SELECT statut_paiement_id, statut_gravure_id, statut_expedition_id, groupe_b2b_id FROM prestashop_config WHERE id = 1",
        )?;
        let (paiement, gravure, expedition, groupe) = row.unwrap_or((2, 24, 4, 4));
        Ok(Settings {
            statut_paiement_id: config.var_parsed("PRESTASHOP_STATUT_PAIEMENT_ID", paiement),
            statut_gravure_id: config.var_parsed("PRESTASHOP_STATUT_GRAVAGE_ID", gravure),
            statut_expedition_id: config.var_parsed("PRESTASHOP_STATUT_EXPEDITION_ID", expedition),
            groupe_b2b_id: config.var_parsed("PRESTASHOP_GROUP_B2B_ID", groupe),
        })
    }
}
