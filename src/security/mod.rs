//! Security primitives: roles, access tokens (JWT), password hashing and
//! random single-use tokens.

pub mod account;
pub mod jwt;
pub mod password;
pub mod roles;
pub mod tokens;

pub use roles::Role;
