//! The HTTP suite: every test talks to the real binary through a real Apache
//! (started by `scripts/test.sh`, once under `mod_cgid` and once under
//! `mod_fcgid`) in front of a fresh MariaDB database.

// The 80-line rule is for src/: a scenario test reads as one story.
#![expect(clippy::too_many_lines, reason = "a scenario test reads as one story")]

mod common;

mod admin;
mod auth;
mod chronos;
mod commandes;
mod fab;
mod gravure;
mod hardening;
mod lists;
mod messaging;
mod ops;
mod parcours;
mod platform;
mod prestashop;
mod sav;
mod settings;
mod stock;
mod strava;
