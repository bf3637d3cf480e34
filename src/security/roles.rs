//! Roles and the named role sets of DECISIONS.md.
//!
//! Roles are sets, not a ladder: `admin_chrono` is a side branch that may only
//! validate or reject chronos, so "at least operator" cannot be expressed as an
//! ordering.

use serde::{Deserialize, Serialize};

/// A user's role, as stored in `users.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An athlete.
    Sportif,
    /// A workshop operator, bound to one atelier.
    OperateurFab,
    /// A workshop administrator.
    AdminFab,
    /// Validates or rejects chronos by hand, nothing else.
    AdminChrono,
    /// Everything.
    SuperAdmin,
}

/// "operateur+" (and "fab+"): the workshop roles and the super admin.
pub const OPERATEUR_PLUS: &[Role] = &[Role::OperateurFab, Role::AdminFab, Role::SuperAdmin];
/// "admin+": workshop administrators and the super admin.
pub const ADMIN_PLUS: &[Role] = &[Role::AdminFab, Role::SuperAdmin];
/// The super admin alone.
pub const SUPER_ADMIN: &[Role] = &[Role::SuperAdmin];
/// Athletes.
pub const SPORTIF: &[Role] = &[Role::Sportif];
/// Who may validate or reject chronos by hand.
pub const CHRONO_VALIDATORS: &[Role] = &[Role::AdminChrono, Role::SuperAdmin];

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Sportif,
        Role::OperateurFab,
        Role::AdminFab,
        Role::AdminChrono,
        Role::SuperAdmin,
    ];

    /// The `users.role` value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sportif => "sportif",
            Role::OperateurFab => "operateur_fab",
            Role::AdminFab => "admin_fab",
            Role::AdminChrono => "admin_chrono",
            Role::SuperAdmin => "super_admin",
        }
    }

    /// Parses a `users.role` value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role is in `set`.
    #[must_use]
    pub fn is_in(self, set: &[Role]) -> bool {
        set.contains(&self)
    }

    /// Whether the role administers (admin+), e.g. to pass maintenance mode.
    #[must_use]
    pub fn is_admin(self) -> bool {
        self.is_in(ADMIN_PLUS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_sets() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(!Role::AdminChrono.is_in(OPERATEUR_PLUS));
        assert!(Role::OperateurFab.is_in(OPERATEUR_PLUS));
        assert!(!Role::OperateurFab.is_admin());
        assert!(Role::SuperAdmin.is_admin());
        assert_eq!(Role::parse("root"), None);
    }
}
